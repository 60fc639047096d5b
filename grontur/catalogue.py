"""The measures catalogue: one YAML file per workplace mobility measure, validated on load.

The catalogue is modelled on tiltak.no (TØI's Tiltakskatalog for transport og miljø): every
measure has a problem and purpose, a description, an effect range with its source, costs,
the actors who must act and the anchoring steps it needs. Its ``targets`` and ``requires``
fields are the rules the ranking evaluates; no measure has code of its own.

The schema is fixed in ``docs/contracts.md`` ("Measure schema") and explained field by field in
``measures/README.md`` and ``docs/schema/catalogue.md``.

Examples
--------
>>> catalogue = load_catalogue()
>>> catalogue.get("ebike-pool").family
'cycling'
>>> len(catalogue) >= 40
True
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from grontur import schema
from grontur._yaml import parse as parse_yaml
from grontur._yaml import read_yaml
from grontur.errors import CatalogueError
from grontur.resources import data_path

logger = logging.getLogger(__name__)

LANGUAGES: Final = ("nn", "nb", "en")

FAMILIES: Final = (
    "parking", "cycling", "walking", "transit", "carpool", "remote_work", "working_time",
    "information_campaign", "business_travel", "vehicles", "policy",
)
ACTORS: Final = (
    "hr", "property", "management", "unions", "amu", "municipality_road_owner",
    "county_transit_operator", "employees", "it",
)
#: Anchoring step ids used when ``measures/anchoring.yaml`` is absent (same ids as the template).
ANCHORING_STEPS: Final = (
    "mandate", "leader_group", "unions", "amu", "partssammensett_utval", "property", "budget",
    "klimasats", "communication", "pilot", "repeat_survey", "decision", "climate_plan",
    "procurement", "county_dialogue",
)
TRANSIT_SERVICE: Final = ("none", "poor", "fair", "good")
PARKING_CONTEXT: Final = ("free", "paid", "limited", "none")
#: Facilities a site may already have (``context["facilities"]``); see ``requires.facilities``.
FACILITIES: Final = ("showers", "lockers", "bike_parking", "drying_room", "ebike_pool", "service_cars")
COST_CLASSES: Final = ("low", "medium", "high")
#: First-year cost (one-off plus one year of running cost) that each class covers, in NOK.
COST_CLASS_NOK: Final = {"low": (0, 100_000), "medium": (100_000, 1_000_000), "high": (1_000_000, math.inf)}
TIMES_TO_EFFECT: Final = ("short", "medium", "long")
#: Whom an effect range is measured on: those who take part (borrow, sign up), everyone in the
#: target group (a fee or rule reaches them all), or the whole workforce (a site-wide figure).
APPLIES_TO: Final = ("participants", "eligible", "all_staff")
#: What an effect range rests on: a study whose setting is stated, or a labelled assumption.
EFFECT_BASES: Final = ("study", "assumption")
CONFIDENCE: Final = ("low", "medium", "high")
#: Units of a measure's physical capacity (``capacity.unit``).
CAPACITY_UNITS: Final = (
    "ebikes", "cargo_bikes", "bike_spaces", "parking_spaces", "cars", "travel_cards", "tickets",
    "lockers", "desks", "course_places", "grants",
)
#: Respondent columns a ``targets.conditions`` entry may test, and the values it may take.
CONDITION_COLUMNS: Final = {
    "car_needed_for_work": None, "shift_work": None, "children_drop_off": None,
    "job_group": schema.JOB_GROUPS, "parking_at_work": schema.PARKING, "age_band": schema.AGE_BANDS,
    "car_fuel": schema.FUELS,
}

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TILTAK_RE = re.compile(r"^(?:0|[A-E])(?:-\d+){0,2}$")
_TOP_FIELDS: Final = (
    "id", "family", "tiltak_ref", "role", "enables", "facility", "name", "summary", "problem", "description",
    "targets", "requires", "effect", "uptake", "capacity", "cost", "time_to_effect", "actors", "anchoring",
    "sources", "stages",
)
_OPTIONAL_FIELDS: Final = ("requires", "capacity", "role", "enables", "facility", "uptake", "stages")
_REQUIRED_FIELDS: Final = tuple(f for f in _TOP_FIELDS if f not in _OPTIONAL_FIELDS)
#: A core measure is ranked and can lead a plan; an enabler (a facility or a support measure)
#: travels with the core measures it makes work, as their add-on or prerequisite.
ROLES: Final = ("core", "enabler")
_EFFECT_FIELDS: Final = ("low", "high", "applies_to", "basis", "source", "setting", "reason", "confidence")
_TEXT_FIELDS: Final = ("name", "summary", "problem", "description")
_TARGET_FIELDS: Final = (
    "modes", "distance_km", "barriers", "would_help", "would_consider", "conditions", "shift_compatible",
    "removes_conditions",
)
#: Conditions a measure can take away (``targets.removes_conditions``): a pool car for work
#: trips removes "I need my car at work" from the feasibility of the alternatives.
REMOVABLE_CONDITIONS: Final = ("car_needed_for_work", "children_drop_off", "shift_work")
_REQUIRE_FIELDS: Final = ("transit_service", "parking_at_work", "facilities")
#: Families whose entries must declare a context requirement.
_FAMILY_REQUIRES: Final = {"transit": "transit_service", "parking": "parking_at_work"}

class UnknownMeasureError(CatalogueError, KeyError):
    """A measure id that the catalogue does not hold (also a ``KeyError`` for mapping use)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Targets:
    """Whom a measure reaches: the rules the ranking evaluates per respondent.

    Empty tuples mean "no restriction" for ``modes`` and "no match needed" for the others.
    ``distance_km`` is an inclusive ``(low, high)`` range of one-way distance, or None for any.
    """

    modes: tuple[str, ...] = ()
    distance_km: tuple[float, float] | None = None
    barriers: tuple[str, ...] = ()
    would_help: tuple[str, ...] = ()
    would_consider: tuple[str, ...] = ()
    conditions: Mapping[str, Any] = field(default_factory=dict)
    shift_compatible: bool = True
    removes_conditions: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            **({"removes_conditions": list(self.removes_conditions)} if self.removes_conditions else {}),
            "modes": list(self.modes),
            "distance_km": list(self.distance_km) if self.distance_km is not None else None,
            "barriers": list(self.barriers),
            "would_help": list(self.would_help),
            "would_consider": list(self.would_consider),
            "conditions": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.conditions.items()},
            "shift_compatible": self.shift_compatible,
        }


@dataclass(frozen=True)
class Requires:
    """Site and municipality context a measure needs; the measure is excluded when unmet.

    ``None`` means no requirement. ``facilities`` maps a facility to the state it must have
    (``{"showers": False}``: only where the site has no showers yet).
    """

    transit_service: tuple[str, ...] | None = None
    parking_at_work: tuple[str, ...] | None = None
    facilities: Mapping[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.transit_service is not None:
            out["transit_service"] = list(self.transit_service)
        if self.parking_at_work is not None:
            out["parking_at_work"] = list(self.parking_at_work)
        if self.facilities:
            out["facilities"] = dict(self.facilities)
        return out


@dataclass(frozen=True)
class Effect:
    """Relative reduction of car commuting trips among the people ``applies_to`` names.

    ``basis`` is ``"study"`` (``setting`` says where and for whom the figure was measured) or
    ``"assumption"`` (``reason`` says why no measured figure applies); ``source`` says what the
    range rests on in either case.
    """

    low: float
    high: float
    source: str
    applies_to: str
    basis: str
    confidence: str
    setting: str | None = None
    reason: str | None = None

    @property
    def central(self) -> float:
        """Midpoint of the range."""
        return (self.low + self.high) / 2

    @property
    def is_assumption(self) -> bool:
        """True when the range is a labelled assumption rather than a measured figure."""
        return self.basis == "assumption"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "applies_to": self.applies_to,
                               "basis": self.basis, "source": self.source}
        if self.setting is not None:
            out["setting"] = self.setting
        if self.reason is not None:
            out["reason"] = self.reason
        out["confidence"] = self.confidence
        return out


@dataclass(frozen=True)
class Capacity:
    """How many a measure can serve at once by default (pool size, spaces, places), with its source.

    A default for the impact model; a project's site context may give its own figure.
    """

    unit: str
    default: float
    source: str
    #: people one unit serves at a time (a shared travel card may serve several); 1 by default
    people_per_unit: float = 1.0

    @property
    def people(self) -> float:
        """How many people the default capacity serves at a time."""
        return self.default * self.people_per_unit

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": self.unit, "default": self.default, "source": self.source}
        if self.people_per_unit != 1.0:
            out["people_per_unit"] = self.people_per_unit
        return out


@dataclass(frozen=True)
class Uptake:
    """The share of the people a participant measure reaches who take part (borrow, sign up)."""

    low: float
    high: float
    basis: str
    source: str
    reason: str | None = None

    @property
    def central(self) -> float:
        return (self.low + self.high) / 2

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "basis": self.basis, "source": self.source}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Cost:
    """Cost class and NOK ranges (``(low, high)``) for the one-off and the yearly cost."""

    cost_class: str
    one_off_nok: tuple[float, float]
    yearly_nok: tuple[float, float]
    source: str

    @property
    def first_year_nok(self) -> tuple[float, float]:
        """One-off plus one year of running cost."""
        return (self.one_off_nok[0] + self.yearly_nok[0], self.one_off_nok[1] + self.yearly_nok[1])

    def as_dict(self) -> dict[str, Any]:
        return {
            "class": self.cost_class,
            "one_off_nok": list(self.one_off_nok),
            "yearly_nok": list(self.yearly_nok),
            "source": self.source,
        }


@dataclass(frozen=True)
class Source:
    id: str
    text: str
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "url": self.url}


@dataclass(frozen=True)
class Measure:
    """One validated catalogue entry. Texts are ``{"nn": ..., "nb": ..., "en": ...}`` dicts."""

    id: str
    family: str
    tiltak_ref: str
    name: Mapping[str, str]
    summary: Mapping[str, str]
    problem: Mapping[str, str]
    description: Mapping[str, str]
    targets: Targets
    requires: Requires
    effect: Effect
    cost: Cost
    time_to_effect: str
    actors: tuple[str, ...]
    anchoring: tuple[str, ...]
    sources: tuple[Source, ...]
    capacity: Capacity | None = None
    role: str = "core"
    enables: tuple[str, ...] = ()
    facility: str | None = None
    uptake: Uptake | None = None
    #: Stages of change (grontur.schema.STAGES) whose people the measure suits: information and
    #: campaigns suit ``considering``, trials and equipment ``preparing``, facilities and rewards
    #: ``doing`` (grontur/stages.py); empty when the entry does not say.
    stages: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)
    origin: str = field(default="shipped", compare=False)

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def cost_class(self) -> str:
        return self.cost.cost_class

    def text(self, name: str, lang: str) -> str:
        """One of the texts (``name``, ``summary``, ``problem``, ``description``) in ``lang``."""
        if name not in _TEXT_FIELDS:
            msg = f"Measure texts are {', '.join(_TEXT_FIELDS)}; {name!r} is not one of them."
            raise ValueError(msg)
        if lang not in LANGUAGES:
            msg = f"Unknown language {lang!r}: use one of nn (nynorsk), nb (bokmål) or en (English)."
            raise CatalogueError(msg)
        return getattr(self, name)[lang]

    def as_dict(self) -> dict[str, Any]:
        """The entry as plain JSON types, in the shape of the YAML file."""
        return {
            "id": self.id,
            "family": self.family,
            "tiltak_ref": self.tiltak_ref,
            "role": self.role,
            **({"enables": list(self.enables)} if self.enables else {}),
            **({"facility": self.facility} if self.facility else {}),
            **{name: dict(getattr(self, name)) for name in _TEXT_FIELDS},
            "targets": self.targets.as_dict(),
            "requires": self.requires.as_dict(),
            "effect": self.effect.as_dict(),
            **({"uptake": self.uptake.as_dict()} if self.uptake is not None else {}),
            **({"capacity": self.capacity.as_dict()} if self.capacity is not None else {}),
            "cost": self.cost.as_dict(),
            "time_to_effect": self.time_to_effect,
            "actors": list(self.actors),
            "anchoring": list(self.anchoring),
            "sources": [s.as_dict() for s in self.sources],
            **({"stages": list(self.stages)} if self.stages else {}),
        }


class Catalogue(Mapping[str, Measure]):
    """An ordered, read-only mapping of measure id to :class:`Measure`.

    Order: by family (in the order of :data:`FAMILIES`), then by id.
    """

    def __init__(self, measures: Mapping[str, Measure] | None = None, *, paths: tuple[Path, ...] = ()) -> None:
        items = sorted((measures or {}).values(), key=lambda m: (FAMILIES.index(m.family), m.id))
        self._measures: dict[str, Measure] = {m.id: m for m in items}
        self.paths = paths

    def __getitem__(self, measure_id: str) -> Measure:
        try:
            return self._measures[measure_id]
        except KeyError:
            raise UnknownMeasureError(self._unknown_message(measure_id)) from None

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self._measures

    def __iter__(self) -> Iterator[str]:
        return iter(self._measures)

    def __len__(self) -> int:
        return len(self._measures)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} measures)"

    def get(self, measure_id: str, default: Any = None) -> Measure:
        """Return the measure ``measure_id``; raise :class:`CatalogueError` listing close ids.

        Unlike ``dict.get`` an unknown id is an error: a typo in a project file or a pilot
        must not pass silently. ``default`` is accepted for signature compatibility only.
        """
        return self[measure_id]

    def _unknown_message(self, measure_id: str) -> str:
        close = difflib.get_close_matches(str(measure_id), list(self._measures), n=5, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "run `grontur catalogue list` to see the ids."
        return f"The catalogue has no measure {measure_id!r}: {hint}"

    def ids(self) -> list[str]:
        return list(self._measures)

    def by_family(self, family: str) -> list[Measure]:
        """The measures of one family, in catalogue order."""
        if family not in FAMILIES:
            msg = f"Unknown measure family {family!r}: use one of {', '.join(FAMILIES)}."
            raise CatalogueError(msg)
        return [m for m in self._measures.values() if m.family == family]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {mid: m.as_dict() for mid, m in self._measures.items()}


# --------------------------------------------------------------------------------------------
# Loading


def load_weights(path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ranking weights (``measures/weights.yaml``); see :func:`grontur.rank.load_weights`."""
    from grontur.rank import load_weights as _load_weights

    return _load_weights(path, overrides=overrides)


def load_evidence(path: str | Path | None = None) -> list:
    """Pilot evidence records (``measures/evidence/``); see :func:`grontur.evidence.load_evidence`."""
    from grontur.evidence import load_evidence as _load_evidence

    return _load_evidence(path)


_CACHE: dict[tuple, Catalogue] = {}


def default_path() -> Path:
    """The shipped catalogue folder, ``measures/catalogue``."""
    return data_path("measures", "catalogue")


def clear_cache() -> None:
    """Forget loaded catalogues (tests and long-running sessions that edit the files)."""
    _CACHE.clear()
    _anchoring_steps_cached.cache_clear()
    _anchoring_template_steps.cache_clear()


def load_catalogue(path: str | Path | None = None, *, extra: str | Path | None = None) -> Catalogue:
    """Load and validate the measures catalogue.

    Parameters
    ----------
    path
        A folder of measure files (or one file); default the shipped ``measures/catalogue``.
    extra
        A project's own folder (or file) of measures. Its entries are added, and an entry whose
        id is already in ``path`` replaces the shipped one.

    Returns
    -------
    Catalogue
        Loaded once per process for the same files (the cache notices edited files).

    Raises
    ------
    CatalogueError
        On the first invalid entry, naming the file and field and saying what to do; the message
        says how many further problems there are (``grontur catalogue validate`` lists them all).
    """
    base = Path(path) if path is not None else default_path()
    base_files = _measure_files(base)
    extra_files = _measure_files(Path(extra)) if extra is not None else []
    key = (_signature(base_files), _signature(extra_files), _anchoring_steps())
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    measures, problems = _load_files(base_files, origin="shipped")
    extra_measures, extra_problems = _load_files(extra_files, origin="project")
    problems += extra_problems
    if problems:
        more = f" (and {len(problems) - 1} more problems; run `grontur catalogue validate` to list them)" if len(problems) > 1 else ""
        raise CatalogueError(problems[0] + more)
    overridden = sorted(set(measures) & set(extra_measures))
    if overridden:
        logger.info("%d shipped measures overridden by the project: %s", len(overridden), ", ".join(overridden))
    measures.update(extra_measures)
    dangling = _dangling_enables(measures)
    if dangling:
        raise CatalogueError(dangling[0])
    catalogue = Catalogue(measures, paths=tuple(p for p in (base, Path(extra) if extra else None) if p))
    logger.info("%d measures loaded from %d files", len(catalogue), len(base_files) + len(extra_files))
    _CACHE[key] = catalogue
    return catalogue


def validate_catalogue(path: str | Path | None = None, *, extra: str | Path | None = None) -> tuple[int, list[str]]:
    """Check every entry and return ``(number of valid measures, list of problems)``.

    Unlike :func:`load_catalogue` this collects every problem instead of stopping at the first.
    """
    base = Path(path) if path is not None else default_path()
    measures, problems = _load_files(_measure_files(base), origin="shipped")
    if extra is not None:  # a project's entry may override a shipped id, so check it on its own
        extra_measures, extra_problems = _load_files(_measure_files(Path(extra)), origin="project")
        measures.update(extra_measures)
        problems += extra_problems
    problems += _dangling_enables(measures)
    return len(measures), problems


def _dangling_enables(measures: Mapping[str, Measure]) -> list[str]:
    """An enabler's ``enables`` entry that is neither a family nor a measure of the catalogue."""
    problems = []
    for measure in measures.values():
        for i, item in enumerate(measure.enables):
            if item not in FAMILIES and item not in measures:
                problems.append(f"{measure.path or measure.id}: enables[{i}]: {item!r} is neither a family nor a "
                                "measure id of the catalogue; name a family or an existing measure.")
            elif item in measures and measures[item].role != "core":
                problems.append(f"{measure.path or measure.id}: enables[{i}]: {item!r} is itself an enabler; "
                                "an enabler goes with core measures.")
    return problems


def _measure_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        msg = f"{path}: the measures folder does not exist; give a folder of measure YAML files."
        raise CatalogueError(msg)
    with os.scandir(path) as entries:
        files = sorted(Path(e.path) for e in entries if e.name.endswith((".yaml", ".yml")) and e.is_file())
    if not files:
        msg = f"{path}: the folder holds no measure files (*.yaml); add one file per measure."
        raise CatalogueError(msg)
    return files


def _signature(files: list[Path]) -> tuple:
    """Path, modification time and size of every file: a cheap key that notices edits."""
    out = []
    for p in files:
        st = os.stat(p)
        out.append((os.path.abspath(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _load_files(files: list[Path], *, origin: str) -> tuple[dict[str, Measure], list[str]]:
    measures: dict[str, Measure] = {}
    problems: list[str] = []
    for file in files:
        try:
            measure = parse_measure(_read_yaml(file), file=file, origin=origin)
        except CatalogueError as error:
            problems.append(str(error))
            continue
        if measure.id in measures:
            problems.append(
                f"{file}: id: the measure id {measure.id!r} is already used by "
                f"{measures[measure.id].path}; give each measure its own id."
            )
            continue
        measures[measure.id] = measure
    return measures, problems


def _read_yaml(file: Path) -> Any:
    return read_yaml(file, error=CatalogueError, advice="fix the indentation or quoting there")


# --------------------------------------------------------------------------------------------
# Validation


def _anchoring_steps() -> tuple[str, ...]:
    return _anchoring_steps_cached()


@cache
def _anchoring_template_steps() -> dict[str, dict]:
    """The steps of ``measures/anchoring.yaml`` by id (empty when the template is absent)."""
    try:
        template = data_path("measures", "anchoring.yaml")
    except FileNotFoundError:
        return {}
    if not template.is_file():
        return {}
    try:
        data = parse_yaml(template.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        logger.warning("%s could not be read; using the built-in list of anchoring steps", template)
        return {}
    steps = data.get("steps") if isinstance(data, dict) else None
    if isinstance(steps, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in steps.items()}
    if isinstance(steps, list):
        return {str(s["id"]): s for s in steps if isinstance(s, dict) and "id" in s}
    return {}


@cache
def _anchoring_steps_cached() -> tuple[str, ...]:
    """Step ids from ``measures/anchoring.yaml`` when it exists, else :data:`ANCHORING_STEPS`."""
    return tuple(_anchoring_template_steps()) or ANCHORING_STEPS


def anchoring_step_title(step: str, lang: str) -> str:
    """The title of an anchoring step from the template, or the step id when it has none."""
    title = _anchoring_template_steps().get(step, {}).get("title")
    if isinstance(title, dict) and isinstance(title.get(lang), str):
        return title[lang]
    return step


class _Checker:
    """Validates one parsed YAML document; every error names the file and the field."""

    def __init__(self, file: Path | None) -> None:
        self.file = file

    def fail(self, where: str, what: str) -> CatalogueError:
        prefix = f"{self.file}: " if self.file is not None else ""
        return CatalogueError(f"{prefix}{where}: {what}")

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping of fields, got {_kind(value)}; indent the fields under {where.split('.')[-1]}:.")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty text, got {_kind(value)}; write the text (quote it if it contains ': ').")
        return value.strip()

    def number(self, value: Any, where: str, *, low: float = -math.inf, high: float = math.inf) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(where, f"expected a number, got {_kind(value)}; write a plain number without spaces or units.")
        if not low <= value <= high:
            hint = " (write fractions: 0.05 for 5 %)" if high == 1 and 1 < value <= 100 else ""
            raise self.fail(where, f"{value:g} is outside {low:g}..{high:g}; use a value in that range{hint}.")
        return float(value)

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}.")
        return value

    def codes(self, value: Any, where: str, allowed: tuple[str, ...], *, what: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of {what}, got {_kind(value)}; write [code, code].")
        out = []
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                close = difflib.get_close_matches(str(item), allowed, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(where, f"unknown {what} {item!r}; {hint}use one of {', '.join(allowed)}.")
            if item in out:
                raise self.fail(where, f"{item!r} is listed twice; list each code once.")
            out.append(item)
        return tuple(out)

    def range_(self, value: Any, where: str, *, low: float, high: float) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(where, f"expected a range [low, high], got {_kind(value)}.")
        a = self.number(value[0], f"{where}[0]", low=low, high=high)
        b = self.number(value[1], f"{where}[1]", low=low, high=high)
        if a > b:
            raise self.fail(where, f"the low end {a:g} is above the high end {b:g}; write [low, high].")
        return (a, b)

    def texts(self, value: Any, where: str) -> dict[str, str]:
        texts = self.mapping(value, where)
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise self.fail(f"{where}.{missing[0]}", f"the text is missing in {', '.join(missing)}; write it in nynorsk (nn), bokmål (nb) and English (en).")
        unknown = [k for k in texts if k not in LANGUAGES]
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", f"unknown language {unknown[0]!r}; use nn, nb and en.")
        return {lang: self.string(texts[lang], f"{where}.{lang}") for lang in LANGUAGES}

    def unknown_keys(self, data: dict, allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed fields are {', '.join(allowed)}."
                name = f"{where}.{key}" if where else str(key)
                raise self.fail(name, f"unknown field; {hint}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the value {value!r}"
    if isinstance(value, (int, float, str)):
        return f"the value {value!r}"
    return f"a {type(value).__name__}"


def parse_measure(data: Any, *, file: Path | None = None, origin: str = "shipped") -> Measure:
    """Validate one parsed measure document and return a :class:`Measure`.

    Raises :class:`CatalogueError` naming ``file`` and the field at fault.
    """
    c = _Checker(file)
    if data is None:
        raise c.fail("(file)", "the file is empty; write one measure with the fields in measures/README.md.")
    data = c.mapping(data, "(file)")
    c.unknown_keys(data, _TOP_FIELDS, "")
    for name in _REQUIRED_FIELDS:
        if name not in data:
            raise c.fail(name, "the field is missing; every measure needs it (see measures/README.md).")

    measure_id = c.string(data["id"], "id")
    if not _ID_RE.match(measure_id):
        raise c.fail("id", f"{measure_id!r} is not a valid id; use lower-case letters, digits and single hyphens.")
    if file is not None and file.stem != measure_id:
        raise c.fail("id", f"the id {measure_id!r} differs from the file name {file.name!r}; rename the file to {measure_id}.yaml or fix the id.")

    family = c.codes(data["family"], "family", FAMILIES, what="family")
    if len(family) != 1:
        raise c.fail("family", "give exactly one family.")
    tiltak_ref = c.string(str(data["tiltak_ref"]) if isinstance(data["tiltak_ref"], (int, float)) else data["tiltak_ref"], "tiltak_ref")
    if not _TILTAK_RE.match(tiltak_ref):
        raise c.fail("tiltak_ref", f"{tiltak_ref!r} is not a tiltak.no group such as B-1-5, B-3 or A-3-3.")
    texts = {name: c.texts(data[name], name) for name in _TEXT_FIELDS}

    targets = _parse_targets(c, data["targets"])
    requires = _parse_requires(c, data.get("requires"))
    effect = _parse_effect(c, data["effect"])
    capacity = _parse_capacity(c, data["capacity"]) if "capacity" in data else None
    cost = _parse_cost(c, data["cost"])
    time_to_effect = c.codes(data["time_to_effect"], "time_to_effect", TIMES_TO_EFFECT, what="time to effect")
    if len(time_to_effect) != 1:
        raise c.fail("time_to_effect", "give exactly one of short, medium, long.")
    actors = c.codes(data["actors"], "actors", ACTORS, what="actor")
    if not actors:
        raise c.fail("actors", "list at least one actor who must act.")
    # Families whose measures only work in a given context must say so, or a site without that
    # context (no bus, no car park) would still be offered them.
    needed = _FAMILY_REQUIRES.get(family[0])
    if needed is not None and getattr(requires, needed) is None:
        raise c.fail(
            f"requires.{needed}",
            f"a {family[0]} measure must say which {needed.replace('_', ' ')} it works with, "
            "so that sites without it leave the measure out; add the field.",
        )
    anchoring = c.codes(data["anchoring"], "anchoring", _anchoring_steps(), what="anchoring step")
    sources = _parse_sources(c, data["sources"])
    role, enables, facility = _parse_role(c, data)
    uptake = _parse_uptake(c, data.get("uptake")) if "uptake" in data else None
    if effect.applies_to == "participants" and uptake is None:
        raise c.fail("uptake", "the effect applies to participants, so say what share of those reached take part: "
                     "uptake {low, high, basis, source} (basis assumption needs a reason).")
    if effect.applies_to != "participants" and uptake is not None:
        raise c.fail("uptake", f"only a measure whose effect applies to participants has an uptake; this one applies to "
                     f"{effect.applies_to}. Drop the field or change effect.applies_to.")
    stages: tuple[str, ...] = ()
    if "stages" in data:
        stages = c.codes(data["stages"], "stages", schema.STAGES, what="stage of change")
        if not stages:
            raise c.fail("stages", f"list at least one stage of change ({', '.join(schema.STAGES)}) or leave the field out.")
    return Measure(
        id=measure_id, family=family[0], tiltak_ref=tiltak_ref, **texts,
        targets=targets, requires=requires, effect=effect, cost=cost,
        time_to_effect=time_to_effect[0], actors=actors, anchoring=anchoring, sources=sources,
        capacity=capacity, role=role, enables=enables, facility=facility, uptake=uptake, stages=stages,
        path=file, origin=origin,
    )


def _parse_role(c: _Checker, data: dict) -> tuple[str, tuple[str, ...], str | None]:
    role = c.codes(data.get("role", "core"), "role", ROLES, what="role")
    if len(role) != 1:
        raise c.fail("role", f"give exactly one of {', '.join(ROLES)}.")
    enables: tuple[str, ...] = ()
    if "enables" in data:
        if not isinstance(data["enables"], list) or not data["enables"]:
            raise c.fail("enables", "list the families or measure ids the enabler makes work, e.g. [cycling].")
        enables = tuple(c.string(item, f"enables[{i}]") for i, item in enumerate(data["enables"]))
        for i, item in enumerate(enables):
            if item not in FAMILIES and not _ID_RE.match(item):
                raise c.fail(f"enables[{i}]", f"{item!r} is neither a family ({', '.join(FAMILIES)}) nor a measure id.")
    if role[0] == "enabler" and not enables:
        raise c.fail("enables", "an enabler must say what it makes work: list families or measure ids, e.g. [cycling].")
    if role[0] == "core" and enables:
        raise c.fail("enables", "only an enabler (role: enabler) lists what it enables; drop the field or set the role.")
    facility = None
    if "facility" in data:
        found = c.codes(data["facility"], "facility", FACILITIES, what="facility")
        if len(found) != 1 or role[0] != "enabler":
            raise c.fail("facility", "an enabler that is a facility names exactly one facility "
                         f"({', '.join(FACILITIES)}); a core measure has none.")
        facility = found[0]
    return role[0], enables, facility


def _share_range(c: _Checker, data: dict, where: str) -> tuple[float, float]:
    """``low`` and ``high`` of ``where`` (effect, uptake): shares 0..1, low not above high."""
    low = c.number(data["low"], f"{where}.low", low=0, high=1)
    high = c.number(data["high"], f"{where}.high", low=0, high=1)
    if low > high:
        raise c.fail(where, f"low {low:g} is above high {high:g}; swap them.")
    return low, high


def _basis(c: _Checker, data: dict, where: str) -> tuple[str, ...]:
    """``basis`` of ``where``: exactly one of study, assumption."""
    basis = c.codes(data["basis"], f"{where}.basis", EFFECT_BASES, what="basis")
    if len(basis) != 1:
        raise c.fail(f"{where}.basis", "give exactly one of study, assumption.")
    return basis


def _parse_uptake(c: _Checker, value: Any) -> Uptake:
    data = c.mapping(value, "uptake")
    c.unknown_keys(data, ("low", "high", "basis", "source", "reason"), "uptake")
    for name in ("low", "high", "basis", "source"):
        if name not in data:
            raise c.fail(f"uptake.{name}", "the field is missing; give low, high (shares 0..1), basis and source.")
    low, high = _share_range(c, data, "uptake")
    basis = _basis(c, data, "uptake")
    if basis[0] == "assumption" and "reason" not in data:
        raise c.fail("uptake.reason", "the field is missing; say briefly why the uptake is an assumption.")
    reason = c.string(data["reason"], "uptake.reason") if "reason" in data else None
    return Uptake(low=low, high=high, basis=basis[0], source=c.string(data["source"], "uptake.source"), reason=reason)


def _parse_targets(c: _Checker, value: Any) -> Targets:
    data = c.mapping(value, "targets")
    c.unknown_keys(data, _TARGET_FIELDS, "targets")
    distance = None
    if data.get("distance_km") is not None:
        distance = c.range_(data["distance_km"], "targets.distance_km", low=0, high=schema.MAX_DISTANCE_KM)
    conditions: dict[str, Any] = {}
    raw_conditions = data.get("conditions") or {}
    for column, expected in c.mapping(raw_conditions, "targets.conditions").items():
        where = f"targets.conditions.{column}"
        if column not in CONDITION_COLUMNS:
            raise c.fail(where, f"unknown condition; use one of {', '.join(CONDITION_COLUMNS)}.")
        allowed = CONDITION_COLUMNS[column]
        if allowed is None:
            conditions[column] = c.boolean(expected, where)
        else:
            conditions[column] = c.codes(expected, where, allowed, what=f"{column} code")
    shift = data.get("shift_compatible", True)
    removes = c.codes(data.get("removes_conditions") or [], "targets.removes_conditions", REMOVABLE_CONDITIONS,
                      what="removable condition")
    return Targets(
        removes_conditions=removes,
        modes=c.codes(data.get("modes") or [], "targets.modes", schema.MODES, what="mode"),
        distance_km=distance,
        barriers=c.codes(data.get("barriers") or [], "targets.barriers", schema.BARRIERS, what="barrier"),
        would_help=c.codes(data.get("would_help") or [], "targets.would_help", schema.WOULD_HELP, what="would_help code"),
        would_consider=c.codes(data.get("would_consider") or [], "targets.would_consider", schema.MODES, what="mode"),
        conditions=conditions,
        shift_compatible=c.boolean(shift, "targets.shift_compatible"),
    )


def _parse_requires(c: _Checker, value: Any) -> Requires:
    if value is None:
        return Requires()
    data = c.mapping(value, "requires")
    c.unknown_keys(data, _REQUIRE_FIELDS, "requires")
    transit = parking = None
    if "transit_service" in data:
        transit = c.codes(data["transit_service"], "requires.transit_service", TRANSIT_SERVICE, what="transit service level")
        if not transit:
            raise c.fail("requires.transit_service", "the list is empty; list the levels the measure works with or drop the field.")
    if "parking_at_work" in data:
        parking = c.codes(data["parking_at_work"], "requires.parking_at_work", PARKING_CONTEXT, what="parking situation")
        if not parking:
            raise c.fail("requires.parking_at_work", "the list is empty; list the situations the measure works with or drop the field.")
    facilities: dict[str, bool] = {}
    for name, state in c.mapping(data.get("facilities") or {}, "requires.facilities").items():
        where = f"requires.facilities.{name}"
        if name not in FACILITIES:
            raise c.fail(where, f"unknown facility; use one of {', '.join(FACILITIES)}.")
        facilities[name] = c.boolean(state, where)
    return Requires(transit_service=transit, parking_at_work=parking, facilities=facilities)


def _parse_effect(c: _Checker, value: Any) -> Effect:
    data = c.mapping(value, "effect")
    c.unknown_keys(data, _EFFECT_FIELDS, "effect")
    for name in ("low", "high", "source"):
        if name not in data:
            raise c.fail(f"effect.{name}", "the field is missing; give low, high (fractions 0..1) and source.")
    low, high = _share_range(c, data, "effect")
    source = c.string(data["source"], "effect.source")
    if "applies_to" not in data:
        raise c.fail("effect.applies_to", "the field is missing; say whom the range is measured on: "
                     f"{', '.join(APPLIES_TO)} (see measures/README.md).")
    applies_to = c.codes(data["applies_to"], "effect.applies_to", APPLIES_TO, what="applies_to value")
    if len(applies_to) != 1:
        raise c.fail("effect.applies_to", f"give exactly one of {', '.join(APPLIES_TO)}.")
    if "basis" not in data:
        raise c.fail("effect.basis", "the field is missing; write study (and the setting) or assumption (and the reason).")
    basis = _basis(c, data, "effect")
    setting = reason = None
    if basis[0] == "study" and "setting" not in data:
        raise c.fail("effect.setting", "the field is missing; say where and for whom the source measured the figure "
                     "(place, kind of workplace, who was asked, how), or write basis: assumption with a reason.")
    if "setting" in data:
        setting = c.string(data["setting"], "effect.setting")
    if basis[0] == "assumption" and "reason" not in data:
        raise c.fail("effect.reason", "the field is missing; say briefly why the range is an assumption "
                     "(no study measured this measure, or the study's setting differs).")
    if "reason" in data:
        reason = c.string(data["reason"], "effect.reason")
    if "confidence" not in data:
        raise c.fail("effect.confidence", f"the field is missing; give one of {', '.join(CONFIDENCE)}.")
    confidence = c.codes(data["confidence"], "effect.confidence", CONFIDENCE, what="confidence")
    if len(confidence) != 1:
        raise c.fail("effect.confidence", f"give exactly one of {', '.join(CONFIDENCE)}.")
    return Effect(low=low, high=high, source=source, applies_to=applies_to[0], basis=basis[0],
                  confidence=confidence[0], setting=setting, reason=reason)


def _parse_capacity(c: _Checker, value: Any) -> Capacity:
    data = c.mapping(value, "capacity")
    c.unknown_keys(data, ("unit", "default", "source", "people_per_unit"), "capacity")
    for name in ("unit", "default", "source"):
        if name not in data:
            raise c.fail(f"capacity.{name}", "the field is missing; give unit, default and source.")
    unit = c.codes(data["unit"], "capacity.unit", CAPACITY_UNITS, what="capacity unit")
    if len(unit) != 1:
        raise c.fail("capacity.unit", "give exactly one unit.")
    default = c.number(data["default"], "capacity.default", low=1, high=1e6)
    per_unit = c.number(data.get("people_per_unit", 1.0), "capacity.people_per_unit", low=0.01, high=1000)
    return Capacity(unit=unit[0], default=default, source=c.string(data["source"], "capacity.source"),
                    people_per_unit=per_unit)


def _parse_cost(c: _Checker, value: Any) -> Cost:
    data = c.mapping(value, "cost")
    c.unknown_keys(data, ("class", "one_off_nok", "yearly_nok", "source"), "cost")
    for name in ("class", "one_off_nok", "yearly_nok", "source"):
        if name not in data:
            raise c.fail(f"cost.{name}", "the field is missing; give class, one_off_nok, yearly_nok and source.")
    cls = c.codes(data["class"], "cost.class", COST_CLASSES, what="cost class")
    if len(cls) != 1:
        raise c.fail("cost.class", "give exactly one of low, medium, high.")
    one_off = c.range_(data["one_off_nok"], "cost.one_off_nok", low=0, high=1e9)
    yearly = c.range_(data["yearly_nok"], "cost.yearly_nok", low=0, high=1e9)
    cost = Cost(cost_class=cls[0], one_off_nok=one_off, yearly_nok=yearly, source=c.string(data["source"], "cost.source"))
    first_low, first_high = cost.first_year_nok
    class_low, class_high = COST_CLASS_NOK[cost.cost_class]
    if first_high < class_low or first_low >= class_high:
        fitting = [name for name, (lo, hi) in COST_CLASS_NOK.items() if first_high >= lo and first_low < hi]
        raise c.fail(
            "cost.class",
            f"class {cost.cost_class!r} does not fit a first-year cost of {first_low:,.0f}-{first_high:,.0f} NOK "
            f"(one-off plus one year); use {' or '.join(fitting) or 'another class'}, or correct the NOK ranges.",
        )
    return cost


def _parse_sources(c: _Checker, value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list) or not value:
        raise c.fail("sources", "list at least one source as {id, text, url}.")
    out: list[Source] = []
    for i, item in enumerate(value):
        where = f"sources[{i}]"
        item = c.mapping(item, where)
        c.unknown_keys(item, ("id", "text", "url"), where)
        for name in ("id", "text"):
            if name not in item:
                raise c.fail(f"{where}.{name}", "the field is missing; every source needs an id and a text.")
        sid = c.string(item["id"], f"{where}.id")
        if any(s.id == sid for s in out):
            raise c.fail(f"{where}.id", f"the source id {sid!r} is used twice; give each source its own id.")
        url = item.get("url")
        if url is not None:
            url = c.string(url, f"{where}.url")
            if not url.startswith(("https://", "http://")):
                raise c.fail(f"{where}.url", f"{url!r} is not a web address; start it with https://.")
        out.append(Source(id=sid, text=c.string(item["text"], f"{where}.text"), url=url))
    return tuple(out)
