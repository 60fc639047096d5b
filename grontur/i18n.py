"""The translation catalogue: every user-visible sentence in nynorsk, bokmål and English.

Messages live in ``grontur/locale/*.yaml``; each file maps a dotted key to ``{nn, nb, en}``
strings with ``str.format`` placeholders. Files are merged; a key defined twice is an error, so
each module can keep its own file without stepping on another's.

Words that agree with a count use a plural field: ``{n:person|personar}`` is replaced by the first
form when ``n`` is 1 and by the second otherwise, so ``"For {n} {n:person|personar} manglar ..."``
reads "For 1 person manglar ..." and "For 3 personar manglar ...". Either form may be empty
(``"response{n:|s}"``), and a sentence may hold several counts. The count may be a number or its
formatted text ("1", "1 234"); a value that is no count (a suppressed "–") takes the second form.
"""

from __future__ import annotations

import re
import string
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
    text = texts[check_language(lang)]
    if not values:
        return text
    return _PLURAL_FORMATTER.format(text, **values) if "|" in text else text.format(**values)


#: A formatted count: digits, optionally grouped by thousands and with a sign.
_COUNT = re.compile(r"[-\u2212+]?\d{1,3}(?:[\u00a0\u202f ,]\d{3})*|[-\u2212+]?\d+")


def plural_count(value: object) -> int | None:
    """The whole number ``value`` stands for (an int, a whole float or its formatted text), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _COUNT.fullmatch(value.strip()):
        digits = re.sub(r"[\u00a0\u202f ,+]", "", value.strip()).replace("\u2212", "-")
        return int(digits)
    return None


def plural_form(count: object, one: str, other: str) -> str:
    """``one`` when ``count`` is 1, else ``other`` (Norwegian and English have just these two forms)."""
    return one if plural_count(count) == 1 else other


class _PluralFormatter(string.Formatter):
    """``str.format`` plus plural fields: ``{n:one|other}`` gives the form agreeing with ``n``."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" in format_spec:
            one, _, other = format_spec.partition("|")
            return plural_form(value, one, other)
        return super().format_field(value, format_spec)


_PLURAL_FORMATTER = _PluralFormatter()


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
