"""The persona file (``surveys/personas.yaml``) and the sentence that says how respondents were
segmented: what the report reads of segmentation.

Kept apart from :mod:`grontur.segment` (which re-exports all of it) and light: no pandas or
NumPy, so that the process that draws the report (:mod:`grontur.report.background`) need not
load them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from grontur._yaml import read_yaml
from grontur.errors import ConfigError
from grontur.i18n import LANGUAGES, t
from grontur.resources import data_path
from grontur.schema import BARRIERS, MODES

FLAGS: Final = ("shift_work", "car_needed_for_work", "children_drop_off")
#: The feature blocks of the data-driven route; the persona file weighs each.
BLOCKS: Final = (
    "mode_summer", "mode_winter", "log_distance", "days_on_site", *FLAGS,
    "parking_at_work", "barriers", "would_consider",
)

_PERSONA_RULES: Final = {
    "modes_all", "modes_any", "mode_summer", "mode_winter", "distance_km", "barriers_any", *FLAGS,
}


@dataclass(frozen=True)
class Persona:
    """One persona: id, names and summaries in nn/nb/en, and the rules that define it."""

    id: str
    name: dict[str, str]
    summary: dict[str, str]
    rules: dict[str, Any]
    #: the summary for a survey that asked about one season, when ``summary`` names seasons
    summary_one_season: dict[str, str] | None = None

    def summary_for(self, one_season: bool) -> dict[str, str]:
        """The summary to show: one that makes no season claim when one season was asked."""
        return dict(self.summary_one_season if one_season and self.summary_one_season else self.summary)


@dataclass(frozen=True)
class PersonaBook:
    """The personas in priority order and the feature weights of the data-driven route."""

    personas: tuple[Persona, ...]
    feature_weights: dict[str, float]
    path: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.personas)

    def by_id(self, persona_id: str) -> Persona:
        for persona in self.personas:
            if persona.id == persona_id:
                return persona
        msg = f"{self.path}: no persona with id {persona_id!r}; known ids are {', '.join(self.ids)}."
        raise ConfigError(msg)


def load_personas(path: str | Path | None = None) -> PersonaBook:
    """Load and validate a persona file (default ``surveys/personas.yaml``).

    Raises :class:`~grontur.errors.ConfigError` naming the file and the faulty entry.
    """
    resolved = Path(path) if path is not None else data_path("surveys", "personas.yaml")
    return _load_personas_cached(str(resolved))


@cache
def _load_personas_cached(path: str) -> PersonaBook:
    spec = read_yaml(Path(path), advice="fix or restore the persona file")
    if not isinstance(spec, dict) or not isinstance(spec.get("personas"), list) or not spec["personas"]:
        msg = f"{path}: the persona file needs a non-empty list 'personas'."
        raise ConfigError(msg)
    personas: list[Persona] = []
    for number, entry in enumerate(spec["personas"], start=1):
        personas.append(_parse_persona(entry, number, path))
    ids = [p.id for p in personas]
    if len(set(ids)) != len(ids):
        msg = f"{path}: persona ids must be unique; found duplicates in {ids}."
        raise ConfigError(msg)
    if personas[-1].rules:
        msg = f"{path}: the last persona ({personas[-1].id!r}) must have empty rules so it catches everybody else."
        raise ConfigError(msg)
    weights = spec.get("feature_weights") or {}
    if not isinstance(weights, dict) or set(weights) != set(BLOCKS):
        msg = f"{path}: 'feature_weights' must give a weight for each of {', '.join(BLOCKS)}."
        raise ConfigError(msg)
    try:
        parsed = {str(key): float(value) for key, value in weights.items()}
    except (TypeError, ValueError) as exc:
        msg = f"{path}: every value in 'feature_weights' must be a number >= 0."
        raise ConfigError(msg) from exc
    if any(value < 0 for value in parsed.values()):
        msg = f"{path}: every value in 'feature_weights' must be a number >= 0."
        raise ConfigError(msg)
    return PersonaBook(personas=tuple(personas), feature_weights=parsed, path=path)


def _parse_persona(entry: object, number: int, path: str) -> Persona:
    where = f"{path}: persona number {number}"
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        msg = f"{where} needs an 'id'."
        raise ConfigError(msg)
    where = f"{path}: persona {entry['id']!r}"
    texts = {}
    for key in ("name", "summary", "summary_one_season"):
        value = entry.get(key)
        if key == "summary_one_season" and value is None:
            continue
        if not isinstance(value, dict) or set(value) != set(LANGUAGES):
            msg = f"{where}: '{key}' must have exactly the languages nn, nb and en."
            raise ConfigError(msg)
        texts[key] = {lang: str(value[lang]) for lang in LANGUAGES}
    rules = entry.get("rules") or {}
    if not isinstance(rules, dict):
        msg = f"{where}: 'rules' must be a mapping."
        raise ConfigError(msg)
    unknown = set(rules) - _PERSONA_RULES
    if unknown:
        msg = f"{where}: unknown rule(s) {sorted(unknown)}; use {', '.join(sorted(_PERSONA_RULES))}."
        raise ConfigError(msg)
    for key in ("modes_all", "modes_any", "mode_summer", "mode_winter"):
        if key in rules and (not isinstance(rules[key], list) or set(rules[key]) - set(MODES)):
            msg = f"{where}: rule {key!r} must list mode codes from {', '.join(MODES)}."
            raise ConfigError(msg)
    if "barriers_any" in rules and (
        not isinstance(rules["barriers_any"], list) or set(rules["barriers_any"]) - set(BARRIERS)
    ):
        msg = f"{where}: rule 'barriers_any' must list barrier codes from grontur/schema.py."
        raise ConfigError(msg)
    if "distance_km" in rules:
        band = rules["distance_km"]
        if not isinstance(band, dict) or not band or set(band) - {"min", "max"} or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in band.values()
        ):
            msg = f"{where}: rule 'distance_km' must be a mapping with numbers 'min' and/or 'max'."
            raise ConfigError(msg)
    for flag in FLAGS:
        if flag in rules and not isinstance(rules[flag], bool):
            msg = f"{where}: rule {flag!r} must be true or false."
            raise ConfigError(msg)
    return Persona(id=entry["id"], name=texts["name"], summary=texts["summary"], rules=dict(rules),
                   summary_one_season=texts.get("summary_one_season"))


def reason_text(key: str, values: dict[str, Any], lang: str) -> str:
    """The one plain sentence (locale catalogue, ``segment.reason.<key>``) that says which route
    the segments took and why, from ``segmentation.chosen_because`` of results.json."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if name == "structure":
            shown[name] = t(f"segment.structure.{value or 'none'}", lang)
        elif value is None:
            shown[name] = "–"
        elif isinstance(value, float):
            shown[name] = _format_number(value, lang)
        else:
            shown[name] = value
    return t(f"segment.reason.{key}", lang, **shown)


def _format_number(value: float, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang in ("nn", "nb") else text
