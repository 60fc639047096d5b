"""The translation catalogue: every user-visible sentence in nynorsk, bokmål and English.

Messages live in ``grontur/locale/*.yaml``; each file maps a dotted key to ``{nn, nb, en}``
strings with ``str.format`` placeholders. Files are merged; a key defined twice is an error, so
each module can keep its own file without stepping on another's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from grontur._yaml import read_yaml
from grontur.errors import ConfigError

LANGUAGES = ("nn", "nb", "en")
_LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Load and merge every locale file; raise :class:`ConfigError` on a bad or duplicate key."""
    merged: dict[str, dict[str, str]] = _questionnaire_labels()
    for path in sorted(_LOCALE_DIR.glob("*.yaml")):
        data = read_yaml(path, advice="quote texts that contain ': ', '?' or commas") or {}
        if not isinstance(data, dict):
            msg = f"{path}: a locale file must map keys to {{nn, nb, en}} texts."
            raise ConfigError(msg)
        for key, texts in data.items():
            if key in merged:
                msg = f"{path}: the message key {key!r} is already defined in another locale file; rename one."
                raise ConfigError(msg)
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                msg = f"{path}: the message {key!r} must have exactly the languages nn, nb and en."
                raise ConfigError(msg)
            merged[str(key)] = {lang: str(texts[lang]) for lang in LANGUAGES}
    return merged


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        msg = f"Unknown language {lang!r}: use one of nn (nynorsk), nb (bokmål) or en (English)."
        raise ConfigError(msg)
    return lang


def t(key: str, lang: str, /, **values: object) -> str:
    """Return the message ``key`` in ``lang`` with ``values`` filled in.

    A missing key raises ``KeyError``: untranslated text must never reach a user.
    """
    texts = catalogue()[key]
    return texts[check_language(lang)].format(**values) if values else texts[lang]


def has(key: str) -> bool:
    return key in catalogue()


class Translator:
    """A callable bound to one language, handy in templates: ``_("report.title", name=...)``."""

    def __init__(self, lang: str) -> None:
        self.lang = check_language(lang)

    def __call__(self, key: str, /, **values: object) -> str:
        return t(key, self.lang, **values)

    def code(self, kind: str, code: str) -> str:
        """Label of a canonical code, e.g. ``code("mode", "car_alone")`` -> "Bil, åleine"."""
        return t(f"code.{kind}.{code}", self.lang)


def _questionnaire_labels() -> dict[str, dict[str, str]]:
    """Code labels derived from the standard questionnaire, so each label is written once."""
    from grontur.resources import standard_questionnaire

    spec = standard_questionnaire()
    labels: dict[str, dict[str, str]] = {}
    for question in spec["questions"]:
        for code, texts in (question.get("options") or {}).items():
            entry = {lang: str(texts[lang]) for lang in LANGUAGES}
            labels[f"code.{question['column']}.{code}"] = entry
            if question["column"] == "mode_summer":
                labels[f"code.mode.{code}"] = entry
    return labels
