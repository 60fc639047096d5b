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

#: The configuration, key by key: the comment above the key, the key, and where its value comes
#: from. Each value is written by the YAML writer (never pasted into text), so a file name such as
#: ``svar #2.csv``, a value ``yes`` or a value holding a line break reads back exactly as given.
_SECTIONS: tuple[tuple[str, str], ...] = (
    ("municipality", "Municipality (2024 number) and report language: nn (nynorsk), nb (bokmål) or en (English)."),
    ("language", ""),
    ("k", ("Privacy threshold: no table, chart, map area or segment describes fewer than k respondents.\n"
          "5 or higher.")),
    ("employees", "Total number of employees (for response rate and cars per 100 employees); leave empty if unknown."),
    ("survey", "The survey export, and a later wave of the same survey once it exists."),
    ("followup", ""),
    ("mapping", "A mapping file for an export grontur does not recognise (made by 'grontur import --interactive')."),
    ("wave", 'Survey round, e.g. "2026-03" (compare waves from the same season).'),
    ("workplaces", "Workplaces: name, and coordinates (WGS84 degrees) or a postcode."),
    ("context", ("What the ranking needs to know about the sites: public transport service (none, poor, fair,\n"
                "good), parking at work (free, paid, limited, none), and facilities that already exist.")),
    ("pilots", ("Pilots between waves: measure id from the catalogue, dates, and who took part, e.g.\n"
               "pilots:\n"
               "  - {measure: ebike-pool, start: 2026-04-01, end: 2026-10-31, participants: {workplace: Sjukeheimen}}")),
    ("weights", "Optional overrides of measures/weights.yaml, and a folder with extra catalogue entries."),
    ("catalogue", ""),
    ("salt", ("Salt for pseudonymous respondent ids. Keep it the same for every wave so panels link;\n"
             "never share it.")),
)


def render_config(values: dict[str, object], *, header: str) -> str:
    """``grontur.yaml`` text: ``header`` and each key's comment as YAML comments, each key and value
    written by ``yaml.safe_dump`` (an empty value as ``key:``)."""
    lines = [_comment(line) for line in header.splitlines()]
    for key, comment in _SECTIONS:
        if comment:
            lines.append("")
            lines.extend(_comment(line) for line in comment.splitlines())
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


def write_project(folder: Path, *, municipality: str, language: str | None = None, k: int = 5,
                  employees: int | None = None, survey: str | None = None, mapping: str | None = None,
                  wave: str | None = None, workplaces: Sequence[Workplace] = (), transit: str = "poor",
                  parking: str = "free", overwrite: bool = False) -> Path:
    """Write ``folder/grontur.yaml`` and check that it loads; return its path."""
    from grontur.config import default_language
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
    values: dict[str, object] = {
        "municipality": found.number,
        "language": language or default_language(found.written_standard),
        "k": k,
        "employees": employees,
        "survey": survey or None,
        "followup": None,
        "mapping": mapping or None,
        "wave": wave or None,
        "workplaces": places,
        "context": {"transit_service": transit, "parking_at_work": parking, "facilities": {}},
        "pilots": [],
        "weights": {},
        "catalogue": None,
        "salt": secrets.token_hex(8),
    }
    header = (f"grontur project configuration for {found.name} ({found.number}).\n"
              f"Relative paths are relative to this folder. Run: grontur analyse --project {folder} --out results")
    text = render_config(values, header=header)
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
