"""Writing a project configuration (``grontur.yaml``) with comments a project lead can follow."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import yaml

from grontur.config import CONFIG_NAME, Workplace, load_project
from grontur.errors import ConfigError
from grontur.publish import check_k
from grontur.threshold import DEFAULT_K

#: The configuration, key by key: the key, and the catalogue key of the comment above it (in the
#: project's language; ``None``: no comment). Each value is written by the YAML writer (never
#: pasted into text), so a file name such as ``svar #2.csv``, a value ``yes`` or a value holding a
#: line break reads back exactly as given.
_SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("municipality", "setup.comment.municipality"),
    ("language", None),
    ("k", "setup.comment.k"),
    ("employees", "setup.comment.employees"),
    ("survey", "setup.comment.survey"),
    ("followup", None),
    ("mapping", "setup.comment.mapping"),
    ("wave", "setup.comment.wave"),
    ("workplaces", "setup.comment.workplaces"),
    ("geodata", "setup.comment.geodata"),
    ("context", "setup.comment.context"),
    ("pilots", "setup.comment.pilots"),
    ("weights", "setup.comment.weights"),
    ("catalogue", None),
    ("salt", "setup.comment.salt"),
)


def render_config(values: dict[str, object], *, header: str, lang: str) -> str:
    """``grontur.yaml`` text: ``header`` and each key's comment (in ``lang``) as YAML comments, each
    key and value written by ``yaml.safe_dump`` (an empty value as ``key:``)."""
    from grontur.i18n import t

    lines = [_comment(line) for line in header.splitlines()]
    for key, comment_key in _SECTIONS:
        if comment_key:
            lines.append("")
            lines.extend(_comment(line) for line in t(comment_key, lang).splitlines())
        value = values.get(key)
        if value is None:
            lines.append(f"{key}:")
        else:
            lines.append(yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False,
                                        default_flow_style=False, width=100).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    """One comment line; line breaks and control characters in ``text`` become spaces."""
    return "# " + "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)


def write_project(folder: Path, *, municipality: str, language: str | None = None, k: int = DEFAULT_K,
                  employees: int | None = None, survey: str | None = None, mapping: str | None = None,
                  wave: str | None = None, workplaces: Sequence[Workplace] = (), transit: str | None = None,
                  parking: str | None = None, facilities: dict[str, bool] | None = None,
                  postcodes: str | None = None, overwrite: bool = False) -> Path:
    """Write ``folder/grontur.yaml`` and check that it loads; return its path.

    A site fact not given (``transit``, ``parking``, a facility) is left out of the file: unknown,
    never a guess. ``postcodes`` names the postcode list the workplaces' postcodes are found in.
    """
    from grontur.config import default_language
    from grontur.i18n import t
    from grontur.municipalities import lookup

    found = lookup(municipality)
    folder = Path(folder)
    target = folder / CONFIG_NAME
    if target.exists() and not overwrite:
        msg = f"{target} exists already; edit it, or choose another folder."
        raise ConfigError(msg)
    check_k(k)
    places = [
        {key: value for key, value in
         (("name", w.name), ("lat", w.lat), ("lon", w.lon), ("postcode", w.postcode)) if value is not None}
        for w in workplaces
    ]
    lang = language or default_language(found.written_standard)
    context: dict[str, object] = {key: value for key, value in
                                  (("transit_service", transit), ("parking_at_work", parking)) if value is not None}
    context["facilities"] = dict(facilities or {})
    values: dict[str, object] = {
        "municipality": found.number,
        "language": lang,
        "k": k,
        "employees": employees,
        "survey": survey or None,
        "followup": None,
        "mapping": mapping or None,
        "wave": wave or None,
        "workplaces": places,
        "geodata": {"postcodes": postcodes} if postcodes else None,
        "context": context,
        "pilots": [],
        "weights": {},
        "catalogue": None,
        "salt": secrets.token_hex(8),
    }
    header = t("setup.header", lang, name=found.name, number=found.number, folder=folder)
    text = render_config(values, header=header, lang=lang)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{CONFIG_NAME}.new"
    temporary.write_text(text, encoding="utf-8")
    try:
        load_project(temporary)
    except ConfigError:
        temporary.unlink()
        raise
    temporary.replace(target)
    return target
