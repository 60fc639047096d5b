"""Writing a project configuration (``grontur.yaml``) with comments a project lead can follow."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

import yaml

from grontur.config import CONFIG_NAME, Workplace, load_project
from grontur.errors import ConfigError
from grontur.publish import check_k

_TEMPLATE = """\
# grontur project configuration for {name} ({number}).
# Relative paths are relative to this folder. Run: grontur analyse --project {folder} --out results

# Municipality (2024 number) and report language: nn (nynorsk), nb (bokmål) or en (English).
municipality: "{number}"
language: {language}

# Privacy threshold: no table, chart, map area or segment describes fewer than k respondents.
# 5 or higher.
k: {k}

# Total number of employees (for response rate and cars per 100 employees); leave empty if unknown.
employees: {employees}

# The survey export, and a later wave of the same survey once it exists.
survey: {survey}
followup:

# A mapping file for an export grontur does not recognise (made by 'grontur import --interactive').
mapping: {mapping}

# Survey round, e.g. "2026-03" (compare waves from the same season).
wave: {wave}

# Workplaces: name, and coordinates (WGS84 degrees) or a postcode.
{workplaces}

# What the ranking needs to know about the sites: public transport service (none, poor, fair,
# good), parking at work (free, paid, limited, none), and facilities that already exist.
context:
  transit_service: {transit}
  parking_at_work: {parking}
  facilities: {{}}

# Pilots between waves: measure id from the catalogue, dates, and who took part, e.g.
# pilots:
#   - {{measure: ebike-pool, start: 2026-04-01, end: 2026-10-31, participants: {{workplace: Sjukeheimen}}}}
pilots: []

# Optional overrides of measures/weights.yaml, and a folder with extra catalogue entries.
weights: {{}}
catalogue:

# Salt for pseudonymous respondent ids. Keep it the same for every wave so panels link;
# never share it.
salt: "{salt}"
"""


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
    workplace_text = yaml.safe_dump({"workplaces": places}, allow_unicode=True, sort_keys=False,
                                    default_flow_style=None).rstrip()
    text = _TEMPLATE.format(
        name=found.name, number=found.number, folder=folder,
        language=language or default_language(found.written_standard), k=k,
        employees=employees if employees is not None else "", survey=survey or "", mapping=mapping or "",
        wave=f'"{wave}"' if wave else "", workplaces=workplace_text, transit=transit, parking=parking,
        salt=secrets.token_hex(8),
    )
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
