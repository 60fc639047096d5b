"""The explained ranking of workplace mobility measures.

For each measure in the catalogue and each segment of employees the catalogue's own rules say
whom the measure reaches (current modes in either season, distance range, conditions, shift
compatibility) and how strongly (barriers it removes, wishes it answers, alternatives it
supports); the site context says whether it can work at all. The catalogue's effect range, moved
towards pilot evidence from the network, turns reach into car trips per day and tonnes CO2e per
year avoided; cost class and time to effect complete the score. Every number behind a measure's
place is kept as structured reasons, so reports can explain it in any language. No rule here is
specific to one measure: everything comes from the catalogue and ``measures/weights.yaml``.
The scoring is written out in ``docs/ranking.md``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from grontur import bases
from grontur._multiselect import split_answers
from grontur._yaml import read_yaml
from grontur.errors import CatalogueError, ConfigError
from grontur.evidence import (
    AdjustedEffect,
    EvidenceRecord,
    adjust_effect,
    records_by_measure,
)
from grontur.i18n import LANGUAGES, check_language, has
from grontur.impact import BANDS, Baseline, MeasureImpact, MeasureImpacts
from grontur.plan import Plan, choose_plan
from grontur.potential import ALTERNATIVES
from grontur.publish import (
    DEFAULT_K,
    Derived,
    Fig,
    HiddenTally,
    Ledger,
    Listed,
    Publication,
    check_k,
    exact,
)
from grontur.resources import data_path
from grontur.schema import (
    CAR_MODES,
    MAX_DISTANCE_KM,
    STAGES,
)
from grontur.stages import answered_stage

logger = logging.getLogger(__name__)

COST_CLASSES = ("low", "medium", "high")
TIMES_TO_EFFECT = ("short", "medium", "long")
PACKAGES = ("quick_win", "core", "structural")
_MULTI_TARGETS = ("barriers", "would_help", "would_consider")
#: Boolean respondent columns a measure's ``targets.conditions`` may test.
_BOOL_COLUMNS = ("car_needed_for_work", "children_drop_off", "shift_work")
#: Context keys that are also answered per respondent: the survey answer wins where given.
_RESPONDENT_CONTEXT = {"parking_at_work": "parking_at_work"}
_UNKNOWN = ("", "unknown")
#: The switching alternative each ``would_consider`` mode stands for.
_ALTERNATIVE_OF = {"walk": "walk", "bike": "bike", "ebike": "ebike", "bus": "transit", "train": "transit",
                   "boat": "transit", "car_shared": "carpool", "car_passenger": "carpool", "remote": "remote"}


# ---------------------------------------------------------------------------------------------
# Weights

def load_weights(path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read the ranking weights (default ``measures/weights.yaml``) and apply a project's overrides.

    Overrides are merged key by key into the file's values; an unknown key or a value that is
    not a number where a number is expected raises :class:`ConfigError` naming it.
    """
    file = Path(path) if path is not None else data_path("measures", "weights.yaml")
    base = _read_weights(str(file))
    merged = _merge(base, overrides or {}, where="weights")
    _check_weights(merged, str(file))
    return merged


@functools.lru_cache(maxsize=8)
def _read_weights(file: str) -> dict[str, Any]:
    base = read_yaml(Path(file), error=CatalogueError, advice="fix or restore the ranking weights") or {}
    if not isinstance(base, dict):
        raise CatalogueError(f"{file}: the ranking weights must be a mapping of named settings.")
    return base


def _merge(base: Mapping[str, Any], override: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    result = copy.deepcopy(dict(base))
    if not isinstance(override, Mapping):
        raise ConfigError(f"{where}: the overrides must be a mapping of named settings, not {override!r}.")
    for key, value in override.items():
        if key not in result:
            known = ", ".join(sorted(str(k) for k in result))
            raise ConfigError(f"{where}.{key} is not a known ranking setting; use one of: {known}.")
        if isinstance(result[key], Mapping) and isinstance(value, Mapping):
            result[key] = _merge(result[key], value, where=f"{where}.{key}")
        else:
            result[key] = copy.deepcopy(value)
    return result


def _check_weights(weights: Mapping[str, Any], where: str) -> None:
    def number(path: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where}: the weight {path} is {value!r}; give a number of 0 or more.")

    required = {
        "score": ("trips", "tonnes", "match", "cost", "time"),
        "impact_half_saturation": ("trips", "tonnes"),
        "cost_score": COST_CLASSES,
        "time_score": TIMES_TO_EFFECT,
        "match": ("barriers", "would_help", "would_consider", "stages", "base", "bonus", "neutral"),
    }
    for section, keys in required.items():
        values = weights.get(section)
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}: the section {section!r} is missing; restore it from measures/weights.yaml.")
        for key in keys:
            if key not in values:
                raise ConfigError(f"{where}: {section}.{key} is missing; add it as a number.")
            number(f"{section}.{key}", values[key])
    if sum(float(v) for v in weights["score"].values()) <= 0:
        raise ConfigError(f"{where}: the score weights add up to 0; give at least one a positive value.")
    for key in ("segment_min_share", "working_days_per_week"):
        number(key, weights.get(key))
    plan = weights.get("plan")
    if not isinstance(plan, Mapping):
        raise ConfigError(f"{where}: the section 'plan' is missing; restore it from measures/weights.yaml.")
    for key in ("max_measures", "max_addons_per_measure", "min_marginal_share", "prerequisite_min_share",
                "annualise_years", "target_years"):
        if key not in plan:
            raise ConfigError(f"{where}: plan.{key} is missing; add it as a number.")
        number(f"plan.{key}", plan[key])
    if float(plan["annualise_years"]) <= 0 or int(plan["max_measures"]) < 1:
        raise ConfigError(f"{where}: plan.annualise_years must be above 0 and plan.max_measures at least 1.")
    if float(weights["working_days_per_week"]) <= 0:
        raise ConfigError(f"{where}: working_days_per_week must be above 0.")
    packages = weights.get("packages") or {}
    if not isinstance(packages, Mapping):
        raise ConfigError(f"{where}: packages must be a mapping with 'default' and 'rules'.")
    if packages.get("default") not in PACKAGES:
        raise ConfigError(f"{where}: packages.default must be one of {', '.join(PACKAGES)}.")
    rules = packages.get("rules") or []
    if not isinstance(rules, list):
        raise ConfigError(f"{where}: packages.rules must be a list of rules, not {rules!r}.")
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping) or rule.get("package") not in PACKAGES:
            raise ConfigError(f"{where}: packages.rules[{index}] needs 'package' set to one of {', '.join(PACKAGES)}.")


# ---------------------------------------------------------------------------------------------
# Measures as plain rules (works with the catalogue's Measure objects or with raw mappings)

def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _plain(obj: Any) -> Any:
    """Turn dataclasses / objects with ``as_dict`` into nested plain mappings and lists."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_plain(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    as_dict = getattr(obj, "as_dict", None)
    if callable(as_dict):
        return _plain(as_dict())
    return obj


def iter_measures(catalogue: Any) -> list[Any]:
    """The measures of a catalogue: a ``Catalogue`` (``.measures``), a mapping, or an iterable."""
    measures = getattr(catalogue, "measures", catalogue)
    if callable(measures):
        measures = measures()
    if isinstance(measures, Mapping):
        return list(measures.values())
    return list(measures)


@dataclass(frozen=True)
class MeasureRules:
    """What the ranking needs from one catalogue entry, as plain values."""

    id: str
    family: str
    name: Mapping[str, str]
    modes: tuple[str, ...] | None
    distance: tuple[float | None, float | None] | None
    barriers: tuple[str, ...]
    would_help: tuple[str, ...]
    would_consider: tuple[str, ...]
    conditions: Mapping[str, Any]
    shift_compatible: bool
    requires: Mapping[str, Any]
    effect_low: float
    effect_high: float
    effect_source: str
    cost_class: str
    one_off_nok: tuple[float, float] | None
    yearly_nok: tuple[float, float] | None
    time_to_effect: str
    actors: tuple[str, ...]
    anchoring: tuple[str, ...]
    role: str = "core"
    enables: tuple[str, ...] = ()
    facility: str | None = None
    applies_to: str = "eligible"
    effect_basis: str = "assumption"
    #: (low, high) share of those reached who take part; only for effects on participants
    uptake: tuple[float, float] | None = None
    uptake_basis: str | None = None
    capacity: float | None = None
    capacity_unit: str | None = None
    people_per_unit: float = 1.0
    removes_conditions: tuple[str, ...] = ()
    summary: Mapping[str, str] = field(default_factory=dict)
    #: stages of change (grontur.stages) whose people the measure suits; empty: not declared
    stages: tuple[str, ...] = ()

    @functools.cached_property
    def alternatives(self) -> tuple[str, ...]:
        """The switching alternatives (:data:`grontur.potential.ALTERNATIVES`) the measure moves
        people to: those of the modes it lists as ``would_consider``, else every alternative."""
        found = tuple(dict.fromkeys(_ALTERNATIVE_OF[m] for m in self.would_consider if m in _ALTERNATIVE_OF))
        return found or ALTERNATIVES

    def covers(self, core: MeasureRules) -> bool:
        """Whether this enabler goes with ``core`` (by its id or family)."""
        return self.role == "enabler" and core.role == "core" and (core.id in self.enables or core.family in self.enables)

    @classmethod
    def from_measure(cls, measure: Any) -> MeasureRules:
        """Read the fields of a catalogue entry (``docs/contracts.md``, measure schema)."""
        mid = str(_get(measure, "id") or "?")
        where = f"measure {mid!r}"
        targets = _plain(_get(measure, "targets")) or {}
        effect = _plain(_get(measure, "effect")) or {}
        cost = _plain(_get(measure, "cost")) or {}
        requires = _plain(_get(measure, "requires")) or {}
        cost_class = cost.get("class", cost.get("cost_class", _get(measure, "cost_class")))
        low, high = effect.get("low"), effect.get("high")
        try:
            low_f, high_f = float(low), float(high)  # type: ignore[arg-type]  # None raises TypeError: reported below
        except (TypeError, ValueError):
            raise CatalogueError(f"{where}: field 'effect.low'/'effect.high' must be numbers; got {low!r} and {high!r}.") from None
        if cost_class not in COST_CLASSES:
            raise CatalogueError(f"{where}: field 'cost.class' is {cost_class!r}; use one of {', '.join(COST_CLASSES)}.")
        time_to_effect = _get(measure, "time_to_effect")
        if time_to_effect not in TIMES_TO_EFFECT:
            raise CatalogueError(f"{where}: field 'time_to_effect' is {time_to_effect!r}; use one of {', '.join(TIMES_TO_EFFECT)}.")
        distance = targets.get("distance_km")
        dist: tuple[float | None, float | None] | None = None
        if distance is not None:
            values = list(distance) if isinstance(distance, (list, tuple)) else [None, distance]
            if len(values) != 2:
                raise CatalogueError(f"{where}: field 'targets.distance_km' must be [min, max]; got {distance!r}.")
            dist = (None if values[0] is None else float(values[0]), None if values[1] is None else float(values[1]))
        modes = targets.get("modes")
        name = _plain(_get(measure, "name")) or {}
        uptake = _plain(_get(measure, "uptake")) or None
        capacity = _plain(_get(measure, "capacity")) or None
        applies_to = str(effect.get("applies_to") or "eligible")
        if applies_to == "participants" and not uptake:
            raise CatalogueError(f"{where}: the effect applies to participants but 'uptake' is missing; "
                                 "say what share of those reached take part.")
        summary = _plain(_get(measure, "summary")) or {}
        return cls(
            stages=tuple(_plain(_get(measure, "stages")) or ()),
            summary={lang: str(summary[lang]) for lang in LANGUAGES if lang in summary} if isinstance(summary, Mapping) else {},
            role=str(_get(measure, "role") or "core"),
            enables=tuple(_plain(_get(measure, "enables")) or ()),
            facility=_get(measure, "facility"),
            applies_to=applies_to,
            effect_basis=str(effect.get("basis") or "assumption"),
            uptake=(float(uptake["low"]), float(uptake["high"])) if uptake and applies_to == "participants" else None,
            uptake_basis=str(uptake.get("basis")) if uptake else None,
            capacity=float(capacity["default"]) if capacity else None,
            capacity_unit=str(capacity.get("unit")) if capacity else None,
            people_per_unit=float(capacity.get("people_per_unit", 1.0)) if capacity else 1.0,
            removes_conditions=tuple(targets.get("removes_conditions") or ()),
            id=mid,
            family=str(_get(measure, "family") or ""),
            name={lang: str(name.get(lang, mid)) for lang in LANGUAGES} if isinstance(name, Mapping) else {lang: mid for lang in LANGUAGES},
            modes=tuple(modes) if modes else None,
            distance=dist,
            barriers=tuple(targets.get("barriers") or ()),
            would_help=tuple(targets.get("would_help") or ()),
            would_consider=tuple(targets.get("would_consider") or ()),
            conditions=dict(targets.get("conditions") or {}),
            shift_compatible=bool(targets.get("shift_compatible", True)),
            requires={key: value for key, value in requires.items() if value not in (None, {}, [], ())},
            effect_low=min(low_f, high_f),
            effect_high=max(low_f, high_f),
            effect_source=str(effect.get("source") or ""),
            cost_class=str(cost_class),
            one_off_nok=_range(cost.get("one_off_nok")),
            yearly_nok=_range(cost.get("yearly_nok")),
            time_to_effect=str(time_to_effect),
            actors=tuple(_plain(_get(measure, "actors")) or ()),
            anchoring=tuple(_plain(_get(measure, "anchoring")) or ()),
        )


@functools.lru_cache(maxsize=512)
def _cached_rules(measure: Any) -> MeasureRules:
    return MeasureRules.from_measure(measure)


def _rules(measure: Any) -> MeasureRules:
    """Rules of a measure; frozen catalogue entries are read once, mappings every time."""
    if isinstance(measure, MeasureRules):
        return measure
    if isinstance(measure, Mapping):
        return MeasureRules.from_measure(measure)
    try:
        return _cached_rules(measure)
    except TypeError:  # not hashable
        return MeasureRules.from_measure(measure)


def _range(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    values = [float(v) for v in value]
    return (min(values), max(values)) if values else None


# ---------------------------------------------------------------------------------------------
# Respondents as arrays (built once per call; everything per respondent is vectorised)

class _Respondents:
    """The table as arrays: categorical columns are factorised once, so a rule costs a lookup in
    the (few) distinct answers plus one vectorised take over respondents."""

    def __init__(self, table: pd.DataFrame, baseline: Baseline) -> None:
        self.index = table.index
        self.n = len(table)
        self.table = table
        self._factors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._multi_sets: dict[str, dict[str, np.ndarray]] = {}
        self._code_matrices: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        self._multi: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        self._is_in: dict[tuple[str, tuple[Any, ...], bool], np.ndarray] = {}
        self._bools: dict[str, np.ndarray] = {}
        dist = pd.to_numeric(table["distance_km"], errors="coerce") if "distance_km" in table else pd.Series(np.nan, index=table.index)
        self.distance = dist.to_numpy(dtype=float)
        self.distance_unknown = np.isnan(self.distance)
        self.baseline = baseline
        self.car_commuter = bases.mask(table, "car_users")
        self.car_driver = np.logical_or.reduce([baseline.driver[s] for s in baseline.driver])
        #: one-way car trips (as driver) on an average working day (grontur.emissions)
        self.car_trips = baseline.person_trips()
        self.tonnes = baseline.person_tonnes("central")
        self.shift = self.boolean("shift_work") == 1
        #: everyone and nobody (shared, never written to)
        self.everyone = np.ones(self.n, dtype=bool)
        self.nobody = np.zeros(self.n, dtype=bool)
        self._stage: np.ndarray | None = None
        self._stage_asked: np.ndarray | None = None

    def mode_in(self, modes: Sequence[str]) -> np.ndarray:
        """Respondents whose mode in either season is one of ``modes``."""
        key = ("\0mode", tuple(modes), False)
        cached = self._is_in.get(key)
        if cached is None:
            cached = self._is_in[key] = self.is_in("mode_summer", modes) | self.is_in("mode_winter", modes)
        return cached

    def within(self, low: float | None, high: float | None) -> np.ndarray:
        """Respondents whose distance is known and from ``low`` to ``high`` km (either end open
        when ``None``)."""
        key = ("\0distance", (low, high), False)
        cached = self._is_in.get(key)
        if cached is None:
            dist = self.distance
            with np.errstate(invalid="ignore"):
                cached = ~self.distance_unknown
                if low is not None:
                    cached &= dist >= low
                if high is not None:
                    cached &= dist <= high
            self._is_in[key] = cached
        return cached

    @property
    def stage(self) -> np.ndarray:
        """Each respondent's stage of change as they answered it, an index into
        :data:`grontur.stages.STAGES` (-1 where the question was not answered). A stage derived
        from mode and would-consider is left out: it says no more than the would-consider answer
        the match already counts."""
        if self._stage is None:
            self._stage = answered_stage(self.table)
        return self._stage

    def stage_asked(self) -> np.ndarray:
        if self._stage_asked is None:
            self._stage_asked = self.stage >= 0
        return self._stage_asked

    def in_stage(self, codes: Sequence[str]) -> np.ndarray:
        key = ("\0stage", tuple(codes), False)
        cached = self._is_in.get(key)
        if cached is None:
            lookup = np.zeros(len(STAGES) + 1, dtype=bool)
            lookup[[STAGES.index(code) for code in codes if code in STAGES]] = True
            cached = self._is_in[key] = lookup[self.stage]  # -1 (no answer) picks the last entry
        return cached

    def _factor(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes per respondent (-1 = missing) and the distinct answers as strings."""
        cached = self._factors.get(column)
        if cached is None:
            if column not in self.table:
                cached = (np.full(self.n, -1, dtype=np.int64), np.array([], dtype=object))
            else:
                codes, uniques = pd.factorize(self.table[column], use_na_sentinel=True)
                cached = (np.asarray(codes, dtype=np.int64), np.asarray([str(u) for u in uniques], dtype=object))
            self._factors[column] = cached
        return cached

    def is_in(self, column: str, values: Sequence[Any], *, missing: bool = False) -> np.ndarray:
        """Respondents whose answer in ``column`` is one of ``values`` (``missing``: unanswered too)."""
        key = (column, tuple(values), missing)
        cached = self._is_in.get(key)
        if cached is None:
            codes, uniques = self._factor(column)
            lookup = np.append(_among(uniques, {str(v) for v in values}), missing)
            cached = self._is_in[key] = lookup[codes]  # code -1 picks the last entry
        return cached

    def answered(self, column: str) -> np.ndarray:
        codes, uniques = self._factor(column)
        lookup = np.append(uniques != "", False)
        return lookup[codes]

    def boolean(self, column: str) -> np.ndarray:
        """1 for True, 0 for False, -1 for unknown."""
        cached = self._bools.get(column)
        if cached is not None:
            return cached
        codes, uniques = self._factor(column)
        labels = np.array([u.strip().lower() for u in uniques], dtype=object)
        lookup = np.full(len(uniques) + 1, -1, dtype=np.int8)
        lookup[:-1][_among(labels, _TRUE)] = 1
        lookup[:-1][_among(labels, _FALSE)] = 0
        out = lookup[codes]
        self._bools[column] = out
        return out

    def _choices(self, column: str) -> dict[str, np.ndarray]:
        """For each code chosen in the multi-select ``column``: the distinct answers naming it
        (indices into the column's distinct answers). Parsed once per table."""
        found = self._multi_sets.get(column)
        if found is None:
            found = self._multi_sets[column] = _answers_naming(list(self._factor(column)[1]))
        return found

    def _answer_lookup(self, column: str, codes: Sequence[str]) -> np.ndarray:
        """Per distinct answer of ``column`` (and a last entry for "missing"): whether it names
        one of ``codes``."""
        _, uniques = self._factor(column)
        choices = self._choices(column)
        lookup = np.zeros(len(uniques) + 1, dtype=bool)
        for code in codes:
            rows = choices.get(code)
            if rows is not None:
                lookup[rows] = True
        return lookup

    def multi(self, column: str, code: str) -> np.ndarray:
        """Respondents who chose ``code`` in the multi-select ``column``."""
        return self.any_of(column, (code,))

    def any_of(self, column: str, codes: Sequence[str]) -> np.ndarray:
        """Respondents who chose at least one of ``codes`` in the multi-select ``column``."""
        key = (column, tuple(codes))
        cached = self._multi.get(key)
        if cached is None:
            cached = self._multi[key] = self._answer_lookup(column, codes)[self._factor(column)[0]]
        return cached

    def _code_matrix(self, column: str) -> tuple[dict[str, int], np.ndarray]:
        """The codes chosen in the multi-select ``column`` (their rows) and, as 1 or 0, which of
        the distinct answers (and a last entry for "missing") name each code."""
        found = self._code_matrices.get(column)
        if found is None:
            _, uniques = self._factor(column)
            choices = self._choices(column)
            rows = {code: i for i, code in enumerate(choices)}
            matrix = np.zeros((len(rows), len(uniques) + 1))
            for code, answers in choices.items():
                matrix[rows[code], answers] = 1.0
            found = self._code_matrices[column] = (rows, matrix)
        return found

    def any_of_rows(self, column: str, codes: Sequence[Sequence[str]]) -> np.ndarray:
        """:meth:`any_of` for each of ``codes`` at once: a row of respondents per list of codes
        (no one for an empty list)."""
        rows, matrix = self._code_matrix(column)
        wanted = np.zeros((len(codes), len(rows)))
        for i, row in enumerate(codes):
            for code in row:
                at = rows.get(code)
                if at is not None:
                    wanted[i, at] = 1.0
        # how many of the row's codes each distinct answer names (small whole numbers: exact)
        return (wanted @ matrix > 0)[:, self._factor(column)[0]]

    def choice_counts(self, codes: Mapping[str, Sequence[Sequence[str]]], rows: np.ndarray) -> dict[str, list[list[int]]]:
        """For each row of ``rows`` (a matrix: one mask over respondents per row), how many of the
        flagged respondents chose each code of that row's ``codes[column]`` in each multi-select
        ``column``."""
        row_of, person = np.nonzero(rows) if len(rows) else (np.zeros(0, dtype=np.int64),) * 2
        out: dict[str, list[list[int]]] = {}
        for column, wanted in codes.items():
            if not any(wanted) or not len(rows):
                out[column] = [[0] * len(row) for row in wanted]
                continue
            factor, uniques = self._factor(column)
            width = len(uniques) + 1  # "missing" first, then the distinct answers
            per_answer = np.bincount(row_of * width + factor[person] + 1,
                                     minlength=len(rows) * width).reshape(len(rows), width)
            # each code's count: the counts of the answers that name it, added up (whole numbers: exact)
            at, matrix = self._code_matrix(column)
            chose = (per_answer[:, 1:] @ matrix[:, :-1].T).astype(np.int64).tolist()
            out[column] = [[chose[i][at[code]] if code in at else 0 for code in row] for i, row in enumerate(wanted)]
        return out


_TRUE = frozenset({"true", "1", "1.0", "yes", "ja"})
_FALSE = frozenset({"false", "0", "0.0", "no", "nei"})


def _answers_naming(answers: Sequence[str]) -> dict[str, np.ndarray]:
    """For each code the multi-select ``answers`` name: the answers naming it (their indices, in
    order, each once). Every answer is split at once: one joined string, each part coded once."""
    if not answers:
        return {}
    parts, codes, owner = split_answers(answers)
    # (code, answer) pairs as one number each, sorted and each once (an answer may repeat a code)
    pairs = np.sort(parts * len(answers) + owner)
    pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])]
    bounds = np.searchsorted(pairs, np.arange(len(codes) + 1) * len(answers)).tolist()
    return {str(code): pairs[bounds[i]:bounds[i + 1]] % len(answers) for i, code in enumerate(codes)}


def _among(answers: np.ndarray, wanted: AbstractSet[str]) -> np.ndarray:
    """Which of the (few) distinct answers are in ``wanted``."""
    return np.fromiter((answer in wanted for answer in answers), dtype=bool, count=len(answers))


# ---------------------------------------------------------------------------------------------
# Segments

def _segment_codes(segments: Any, table: pd.DataFrame) -> tuple[np.ndarray, list[Any]]:
    """Segment index per respondent (-1 = none) and the segment ids."""
    labels: pd.Series | None = None
    cards: list[Any] = []
    if segments is not None and hasattr(segments, "labels"):
        labels = segments.labels
        # the cards as computed, unwrapped (the ranking only needs their ids; what is shown is the gate's)
        cards = [card.item if isinstance(card, Listed) else card for card in getattr(segments, "segments", None) or []]
    elif isinstance(segments, pd.Series):
        labels = segments
    elif isinstance(segments, tuple) and len(segments) == 2:
        labels, cards = segments[0], list(segments[1])
    elif isinstance(segments, list):
        cards = segments
    if labels is None and "segment" in table:
        labels = table["segment"]
    if labels is None:
        return np.full(len(table), -1, dtype=np.int64), []
    if isinstance(labels, pd.Series):
        aligned = labels if labels.index.equals(table.index) else labels.reindex(table.index)
    else:
        aligned = pd.Series(list(labels), index=table.index)
    found, distinct = pd.factorize(aligned, use_na_sentinel=True)
    present = np.asarray(distinct)
    ids: list[Any] = [exact(card["id"]) for card in cards if "id" in card]
    ids.extend(sorted((v for v in present if v not in ids), key=str))
    position = {v: i for i, v in enumerate(ids)}
    codes = np.array([position[v] for v in present] + [-1], dtype=np.int64)[found]  # -1 (no label) picks the last
    return codes, [_json_scalar(v) for v in ids]


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


# ---------------------------------------------------------------------------------------------
# Results

def _replaced(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for the frozen result classes here (no ``__post_init__``, no
    fields outside ``__init__``) without running ``__init__`` field by field: the published
    copies of every measure, segment fit and reason are made many times per run."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


@dataclass(frozen=True)
class Reason:
    """One explanation: a message key and the numbers and codes that fill it in."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def published(self, publication: Publication) -> Reason:
        # the gate decides the counts; codes, numbers and words stay as they are
        return Reason(self.key, publication.resolve(dict(self.values)))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, **{name: _json_value(value) for name, value in self.values.items()}}


@dataclass(frozen=True)
class SegmentFit:
    segment: Any
    reach: Any  # a count of the gate (Fig) until published, then int | None
    car_trips_per_day_avoided: Any
    score: float
    served: bool
    tonnes_co2e_avoided: Any = None


@dataclass(frozen=True)
class RankedMeasure:
    id: str
    rank: int
    score: float
    name: Mapping[str, str]
    family: str
    effect: AdjustedEffect
    reach: Any  # counts of the gate (Fig) until published, then int | None
    reach_car_commuters: Any
    car_commuters: Any
    car_trips_per_day_avoided: tuple[float, float]
    tonnes_co2e_avoided: tuple[float, float] | None
    segments: tuple[Any, ...]
    segment_fit: tuple[SegmentFit, ...]
    actors: tuple[str, ...]
    anchoring: tuple[str, ...]
    cost_class: str
    cost_nok: Mapping[str, Any]
    time_to_effect: str
    package: str
    parts: Mapping[str, float]
    reasons: tuple[Reason, ...]
    suppressed_cells: Any
    role: str = "core"
    enables: tuple[str, ...] = ()
    applies_to: str = "eligible"
    participants: Any = None
    uptake: tuple[float, float] | None = None
    capacity: Mapping[str, Any] | None = None
    car_trips_central: float = 0.0
    tonnes_central: float | None = None
    cost_effectiveness: Mapping[str, Any] = field(default_factory=dict)
    status: str = "consider_next"
    goes_with: tuple[str, ...] = ()
    # the evaluation behind the figures (not published)
    impact: Any = field(default=None, compare=False, repr=False)
    rules: Any = field(default=None, compare=False, repr=False)
    target: Any = field(default=None, compare=False, repr=False)
    named: Any = field(default=None, compare=False, repr=False)
    match_share: float = field(default=0.0, compare=False, repr=False)

    def published(self, publication: Publication) -> RankedMeasure:
        """The measure with every count as the gate decided (its segment fits' and reasons' too,
        resolved in one walk: a ranking has many of them)."""
        fits, reasons = self.segment_fit, self.reasons
        reach, participants, reach_car, car_commuters, suppressed, fit_counts, reason_values = publication.resolve((
            self.reach, self.participants, self.reach_car_commuters, self.car_commuters, self.suppressed_cells,
            [(fit.reach, fit.car_trips_per_day_avoided, fit.tonnes_co2e_avoided) for fit in fits],
            [dict(reason.values) for reason in reasons]))
        return _replaced(
            self, reach=reach, participants=participants, reach_car_commuters=reach_car, car_commuters=car_commuters,
            segment_fit=tuple(_replaced(fit, reach=r, car_trips_per_day_avoided=t, tonnes_co2e_avoided=c)
                              for fit, (r, t, c) in zip(fits, fit_counts, strict=True)),
            reasons=tuple(Reason(reason.key, values) for reason, values in zip(reasons, reason_values, strict=True)),
            suppressed_cells=suppressed)

    @property
    def recommended(self) -> bool:
        """Whether the measure is recommended now: it is in the plan (:mod:`grontur.plan`).

        A measure stays ranked when pilot evidence pulls its expected effect down to nothing, so
        the ranking shows what was tried, but it is never in the plan.
        """
        return self.status == "plan"

    def as_dict(self, lang: str, *, k: int) -> dict[str, Any]:
        tonnes = self.tonnes_co2e_avoided
        return {
            "id": self.id,
            "rank": self.rank,
            "score": round(self.score, 2),
            "recommended": self.recommended,
            "status": self.status,
            "role": self.role,
            "enables": list(self.enables),
            "goes_with": list(self.goes_with),
            "name": self.name.get(lang, self.id),
            "summary": (self.rules.summary.get(lang) if self.rules is not None else None) or None,
            "family": self.family,
            "applies_to": self.applies_to,
            "uptake": None if self.uptake is None else {"low": self.uptake[0], "high": self.uptake[1]},
            "participants": None if self.participants is None else
            {band: self.participants.get(band) for band in BANDS},
            "capacity": None if self.capacity is None else dict(self.capacity),
            "cost_effectiveness": _json_value(_round_nested(self.cost_effectiveness, 1)),
            "effect": {
                "low": round(self.effect.low, 4),
                "high": round(self.effect.high, 4),
                "central": round(self.effect.central, 4),
                "catalogue_central": round(self.effect.prior_central, 4),
                "evidence_adjusted": self.effect.evidence_adjusted,
                "evidence_weight": round(self.effect.evidence_weight, 4),
                "evidence": [
                    {"file": Path(item.record.file).name, "municipality": item.record.municipality_name,
                     "similarity": round(item.similarity, 3), "weight": round(item.weight, 4),
                     "relative_effect": round(item.record.relative_effect, 4), "se": round(item.variance**0.5, 4),
                     "variance_source": item.variance_source, "central_without": round(item.central_without, 4),
                     "moved": round(item.moved, 4)}
                    for item in self.effect.used
                ],
            },
            "reach": self.reach,
            "reach_car_commuters": self.reach_car_commuters,
            "car_trips_per_day_avoided": {
                "low": round(self.car_trips_per_day_avoided[0], 2),
                "central": round(self.car_trips_central, 2),
                "high": round(self.car_trips_per_day_avoided[1], 2),
            },
            "tonnes_co2e_avoided": None if tonnes is None else {
                "low": round(tonnes[0], 3), "central": round(self.tonnes_central or 0.0, 3), "high": round(tonnes[1], 3)},
            "segments": list(self.segments),
            "segment_fit": [
                {"segment": fit.segment, "reach": fit.reach, "score": round(fit.score, 2),
                 "car_trips_per_day_avoided": None if fit.car_trips_per_day_avoided is None
                 else round(fit.car_trips_per_day_avoided, 2),
                 "tonnes_co2e_avoided": None if fit.tonnes_co2e_avoided is None else round(fit.tonnes_co2e_avoided, 3),
                 "served": fit.served}
                for fit in self.segment_fit
            ],
            "actors": list(self.actors),
            "anchoring": list(self.anchoring),
            "cost_class": self.cost_class,
            "cost_nok": _json_value(self.cost_nok),
            "time_to_effect": self.time_to_effect,
            "package": self.package,
            "score_parts": {key: round(value, 4) for key, value in self.parts.items()},
            "reasons": [reason.as_dict() for reason in self.reasons],
            "suppressed_cells": self.suppressed_cells,
        }


@dataclass(frozen=True)
class ExcludedMeasure:
    id: str
    name: Mapping[str, str]
    reason: Reason

    def as_dict(self, lang: str, *, k: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name.get(lang, self.id),
            "reason": self.reason.as_dict(),
            "suppressed_cells": sum(1 for name, value in self.reason.values.items() if name.startswith("n") and value is None),
        }

    def published(self, publication: Publication) -> ExcludedMeasure:
        return dataclasses.replace(self, reason=self.reason.published(publication))


@dataclass(frozen=True)
class Ranking:
    """Ranked and excluded measures; ``as_dict(lang)`` gives the ``results.json`` sections."""

    measures: tuple[RankedMeasure, ...]
    excluded: tuple[ExcludedMeasure, ...]
    segments: tuple[Any, ...]
    k: int
    lang: str
    weights: Mapping[str, Any]
    plan: Plan | None = None

    def published(self, publication: Publication) -> Ranking:
        """The ranking with every count as the gate decided (``None`` when hidden)."""
        return dataclasses.replace(self, measures=tuple(m.published(publication) for m in self.measures),
                                   excluded=tuple(e.published(publication) for e in self.excluded),
                                   plan=None if self.plan is None else self.plan.published(publication))

    def top(self, n: int) -> tuple[RankedMeasure, ...]:
        return self.measures[:n]

    def get(self, measure_id: str) -> RankedMeasure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    def top_for_segment(self, segment: Any, n: int | None = None) -> list[str]:
        """Core measure ids ordered by their score for one segment (measures reaching it at all);
        enablers travel with the core measures and are not ranked alone."""
        scored = []
        for measure in self.measures:
            if measure.role != "core":
                continue
            fit = next((f for f in measure.segment_fit if f.segment == segment), None)
            if fit is not None and fit.car_trips_per_day_avoided > 0:
                scored.append((-fit.score, measure.rank, measure.id))
        ids = [mid for _, _, mid in sorted(scored)]
        return ids if n is None else ids[:n]

    @property
    def packages(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {name: [] for name in PACKAGES}
        for measure in self.measures:
            result[measure.package].append(measure.id)
        return result

    @property
    def recommended(self) -> tuple[RankedMeasure, ...]:
        """Ranked measures with an expected effect above zero (requirement failures are in ``excluded``)."""
        return tuple(m for m in self.measures if m.recommended)

    @property
    def hidden_cells(self) -> int:
        """How many counts the measures' figures and reasons hide (once the gate has decided)."""
        return sum(m.suppressed_cells for m in self.measures)

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        lang = check_language(lang or self.lang)
        excluded = [e.as_dict(lang, k=self.k) for e in self.excluded]
        out = {
            "measures": [m.as_dict(lang, k=self.k) for m in self.measures],
            "excluded_measures": excluded,
            "packages": self.packages,
        }
        if self.plan is not None:
            plan = self.plan.as_dict()
            # "not suited here": measures ranked without a use here, and those the site rules out
            plan["not_suited"] = [*plan["not_suited"], *({"id": e["id"], "reason": e["reason"]} for e in excluded)]
            out["plan"] = plan
        return out


def _round_nested(value: Any, digits: int) -> Any:
    if isinstance(value, Mapping):
        return {key: _round_nested(item, digits) for key, item in value.items()}
    if isinstance(value, float):
        return round(value, digits)
    return value


def _json_value(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    return value


# ---------------------------------------------------------------------------------------------
# The ranking

def rank_measures(
    table: pd.DataFrame,
    *,
    catalogue: Any,
    segments: Any = None,
    emissions: Any = None,
    context: Mapping[str, Any] | None = None,
    weights: Mapping[str, Any] | None = None,
    evidence: Iterable[EvidenceRecord | Mapping[str, Any]] = (),
    k: int = DEFAULT_K,
    lang: str = "nn",
    ledger: Ledger | None = None,
    potential: Any = None,
) -> Ranking:
    """Rank the catalogue's measures for one municipality's respondents, and choose the plan.

    Parameters
    ----------
    table
        The canonical response table (one row per respondent).
    catalogue
        A loaded catalogue (``grontur.catalogue.load_catalogue``), a mapping id -> measure or an
        iterable of measures (objects or mappings following the measure schema).
    segments
        The segmentation result (``.labels`` and ``.segments``), a Series of segment ids aligned
        with ``table``, or ``None`` (then a ``segment`` column is used when present).
    emissions
        The emissions of the same table (:func:`grontur.emissions.compute_emissions`): the car
        trips and tonnes the measures act on. A Series of tonnes per respondent is accepted too
        (the car trips are then computed from the table); ``None`` leaves tonnes out.
    potential
        The switching potential of the same table (:func:`grontur.potential.compute_potential`):
        a measure reaches only people for whom one of its alternatives is feasible. Without it
        every person in a measure's target group counts as able to switch (for direct callers
        and tests; the pipeline always passes it).
    context
        The site and municipality context (``docs/contracts.md``).
    weights
        Overrides of ``measures/weights.yaml`` (nested mapping).
    evidence
        Pilot evidence records (``grontur.evidence.load_evidence``).
    k
        Privacy threshold: no reason quotes a group below ``k``.
    ledger
        The run's publication gate: the counts then stay the gate's figures until the run
        resolves them (:meth:`Ranking.published`). Without one, the ranking is published through
        a gate of its own.
    lang
        Default language of ``as_dict``.
    """
    k = check_k(k)
    own = ledger is None
    gate = Ledger(len(table), k) if ledger is None else ledger
    lang = check_language(lang)
    context = dict(context or {})
    settings = load_weights(overrides=weights)
    baseline = _baseline(table, emissions)
    if potential is not None and len(potential.car_commuter) != len(table):
        raise ConfigError("The switching potential was computed on another table: compute it on the same table first.")
    if potential is not None:
        baseline = dataclasses.replace(baseline, ceiling=_ceiling(potential, settings, baseline))
    people = _Respondents(table, baseline)
    seg_codes, seg_ids = _segment_codes(segments, table)
    evidence_records = [r if isinstance(r, EvidenceRecord) else EvidenceRecord.from_dict(r) for r in evidence]
    by_measure = records_by_measure(evidence_records)

    totals = _Totals(people, seg_codes, len(seg_ids))
    ranked: list[dict[str, Any]] = []
    excluded: list[ExcludedMeasure] = []
    seen: set[str] = set()
    rules_list: list[MeasureRules] = []
    for measure in iter_measures(catalogue):
        rules = _rules(measure)
        if rules.id in seen:
            raise CatalogueError(f"measure {rules.id!r} appears twice in the catalogue; keep one entry per id.")
        seen.add(rules.id)
        rules_list.append(rules)
    for outcome in _evaluate(rules_list, people, totals, seg_ids, context=context, settings=settings,
                             evidence=by_measure, ledger=gate, potential=potential):
        if isinstance(outcome, ExcludedMeasure):
            excluded.append(outcome)
        else:
            ranked.append(outcome)

    unused = sorted(set(by_measure) - seen)
    if unused:
        logger.info("evidence for measures not in the catalogue was not used: %s", ", ".join(unused))
    ranked.sort(key=lambda item: (-item["score"], item["id"]))
    def marginal_score(items: Sequence[Mapping[str, Any]], trip_share: np.ndarray, tonne_share: np.ndarray | None) -> np.ndarray:
        return _score(settings, _score_parts(settings, [item["rules"] for item in items], trip_share, tonne_share,
                                             np.array([item["match_share"] for item in items])))

    chosen = choose_plan(ranked, people, context=context, settings=settings, ledger=gate, score=marginal_score)
    ordered = chosen.ordered(ranked)
    measures = tuple(RankedMeasure(rank=i + 1, **item, status=chosen.status[item["id"]],
                                   goes_with=chosen.goes_with.get(item["id"], ()))
                     for i, item in enumerate(ordered))
    excluded.sort(key=lambda e: e.id)
    logger.info("%d measures ranked (%d in the plan), %d left out, %d respondents, %d segments",
                len(measures), len(chosen.items), len(excluded), people.n, len(seg_ids))
    ranking = Ranking(measures=measures, excluded=tuple(excluded), segments=tuple(seg_ids), k=k, lang=lang,
                      weights=settings, plan=chosen.plan)
    return ranking.published(gate.decide()) if own else ranking


def _baseline(table: pd.DataFrame, emissions: Any) -> Baseline:
    """The car trips and tonnes the measures act on (one definition: grontur.emissions)."""
    if emissions is not None and hasattr(emissions, "detail"):
        return Baseline.of(emissions, index=table.index)
    from grontur.emissions import compute_emissions

    computed = compute_emissions(table)
    if emissions is None:
        return dataclasses.replace(Baseline.of(computed, index=table.index), tonnes=None)
    series = emissions if isinstance(emissions, pd.Series) else pd.Series(np.asarray(emissions, dtype=float), index=table.index)
    return Baseline.of(computed, index=table.index, tonnes=series)


def _ceiling(potential: Any, settings: Mapping[str, Any], baseline: Baseline) -> np.ndarray | None:
    """Each person's car trips per day in the potential's ceiling scenario (``plan.ceiling_scenario``)."""
    name = settings["plan"].get("ceiling_scenario")
    frame = (getattr(potential, "scenario_per_respondent", None) or {}).get(name)
    if frame is None:
        return None
    per_year = frame["car_trips_per_year_avoided"].to_numpy(dtype=float)
    return np.nan_to_num(per_year / baseline.days_per_year, nan=0.0)


class _Totals:
    """Workplace and segment totals the impact shares are measured against."""

    def __init__(self, people: _Respondents, seg_codes: np.ndarray, n_segments: int) -> None:
        self.trips = float(people.car_trips.sum())
        self.tonnes = float(people.tonnes.sum()) if people.tonnes is not None else None
        self.car_commuters = int(people.car_commuter.sum())
        self.respondents = people.n
        valid = seg_codes >= 0
        self.valid = valid
        self.valid_codes = seg_codes[valid]
        #: each segment's members (one mask per segment, built once per table)
        self.seg_masks = seg_codes[None, :] == np.arange(n_segments)[:, None]
        self.n_segments = n_segments
        self.seg_trips = np.bincount(seg_codes[valid], weights=people.car_trips[valid], minlength=n_segments)
        self.seg_tonnes = (np.bincount(seg_codes[valid], weights=people.tonnes[valid], minlength=n_segments)
                           if people.tonnes is not None else None)
        self.seg_car = np.bincount(seg_codes[valid], weights=people.car_commuter[valid].astype(float), minlength=n_segments)
        #: the segment totals as Python floats (trips, tonnes or None, car commuters)
        self.lists = (self.seg_trips.tolist(), None if self.seg_tonnes is None else self.seg_tonnes.tolist(),
                      self.seg_car.tolist())


def _context_value(context: Mapping[str, Any], key: str) -> Any:
    if key in context:
        return context[key]
    municipality = context.get("municipality") or {}
    return municipality.get(key) if isinstance(municipality, Mapping) else None


def _check_requires(rules: MeasureRules, context: Mapping[str, Any]) -> Reason | None:
    """The first unmet site requirement as an exclusion reason, or ``None``."""
    for key, allowed in sorted(rules.requires.items()):
        if key == "facilities":
            known = context.get("facilities") or {}
            for facility, wanted in sorted((allowed or {}).items()):
                have = known.get(facility)
                if have is None or bool(have) == bool(wanted):
                    continue
                reason_key = "rank.excluded.facility_exists" if have else "rank.excluded.facility_missing"
                return Reason(reason_key, {"facility_code": f"facility.{facility}"})
            continue
        value = _context_value(context, key)
        if value is None:
            continue
        options = list(allowed) if isinstance(allowed, (list, tuple)) else [allowed]
        if value in options:
            continue
        if key in (context.get("assumed") or ()):
            # not given, only assumed: the measure depends on a fact nobody stated, not unsuitable
            return Reason("rank.excluded.depends_on_assumed", {"field_code": f"context.{key}",
                                                                "value_code": f"level.{key}.{value}"})
        specific = f"rank.excluded.{key}"
        if has(specific):
            return Reason(specific, {"value_code": f"level.{key}.{value}",
                                     "allowed_codes": [f"level.{key}.{o}" for o in options]})
        return Reason("rank.excluded.requires", {"field": key, "value": str(value),
                                                 "allowed": ", ".join(str(o) for o in options)})
    return None


@dataclass
class _Target:
    """One measure's target group before its figures are worked out (see :func:`_evaluate`)."""

    rules: MeasureRules
    evidence: Sequence[EvidenceRecord]
    group: np.ndarray
    distance_unknown: np.ndarray
    shift_left_out: np.ndarray
    able: Mapping[str, np.ndarray]


@dataclass
class _Left:
    """A measure left out, its reason's count registered with the gate in catalogue order."""

    rules: MeasureRules
    key: str
    mask: np.ndarray | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def excluded(self, ledger: Ledger) -> ExcludedMeasure:
        values = dict(self.values) if self.mask is None else {"n": ledger.count(self.mask), **self.values}
        return ExcludedMeasure(self.rules.id, self.rules.name, Reason(self.key, values))


@dataclass
class _Figures:
    """A measure's figures computed with the others' (rows of the batch), not yet registered."""

    target: _Target
    reached: np.ndarray
    effect: AdjustedEffect
    capacity: float | None
    impact: MeasureImpact
    trips_band: Mapping[str, float]
    tonnes_band: Mapping[str, float] | None
    reached_car: np.ndarray
    #: those who named one of the measure's barriers or wishes
    named: np.ndarray
    #: the mean match strength of the reached car commuters (of everyone reached when none is one)
    match_share: float
    parts: Mapping[str, float]
    score: float
    #: per multi-select target kind: how many of the measure's target group (its car commuters
    #: when it targets car modes) chose each of its codes
    chosen_by_focus: Mapping[str, Sequence[int]]
    segments: _SegmentFigures | None


@dataclass
class _SegmentFigures:
    """A measure's figures per segment (lists over the segments, in their order)."""

    #: reached car commuters
    reach_car: list[float]
    #: central car trips per day and tonnes (None when unknown) avoided
    trips: list[float]
    tonnes: list[float] | None
    score: list[float]
    #: whether the measure reaches enough of the segment's car commuters to serve it (the gate
    #: has still to allow the count)
    big_enough: list[bool]


def _target(rules: MeasureRules, people: _Respondents, evidence: Sequence[EvidenceRecord],
            potential: Any) -> _Target:
    """Whom the measure is for: current modes, distance range, conditions, shift compatibility."""
    n = people.n
    group = people.mode_in(rules.modes).copy() if rules.modes is not None else np.ones(n, dtype=bool)
    distance_unknown = np.zeros(n, dtype=bool)
    if rules.distance is not None:
        distance_unknown = group & people.distance_unknown
        group &= people.within(*rules.distance)
    filters = np.ones(n, dtype=bool)
    for column, wanted in sorted(rules.conditions.items()):
        filters &= _condition(people, column, wanted)
    for key, column in _RESPONDENT_CONTEXT.items():
        if key in rules.requires and column in people.table:
            allowed = rules.requires[key]
            allowed = list(allowed) if isinstance(allowed, (list, tuple)) else [allowed]
            filters &= people.is_in(column, [*allowed, *_UNKNOWN], missing=True)
    group &= filters
    distance_unknown &= filters
    shift_left_out = np.zeros(n, dtype=bool)
    if not rules.shift_compatible:
        shift_left_out = group & people.shift & people.car_commuter
        group = group & ~people.shift
        distance_unknown &= ~people.shift
    # able to switch to an alternative the measure offers (the potential model's one definition
    # of feasible), per season
    able: dict[str, np.ndarray] = {}
    for season in people.baseline.trips:
        if potential is not None:
            able[season] = potential.feasible_in(season, rules.alternatives, remove=rules.removes_conditions)
        else:
            able[season] = people.everyone
    return _Target(rules, evidence, group, distance_unknown, shift_left_out, able)


def _nobody(target: _Target, people: _Respondents, drivers_in_group: np.ndarray) -> _Left:
    """Why a measure reaches nobody who could switch."""
    rules = target.rules
    if not drivers_in_group.any():
        unknown = target.distance_unknown & people.car_driver
        if unknown.any():
            # nobody in the distance range is known because the distance is not: say so
            return _Left(rules, "rank.excluded.distance_unknown", unknown)
        if target.shift_left_out.any():
            return _Left(rules, "rank.excluded.shift_only", target.shift_left_out)
        if target.group.any():
            return _Left(rules, "rank.excluded.no_car_trips", target.group)
        return _Left(rules, "rank.excluded.nobody_reached")
    if np.isnan(people.distance[drivers_in_group]).all():
        # feasibility rests on distance, and nobody's is known: that is the cause
        return _Left(rules, "rank.excluded.distance_unknown", drivers_in_group)
    return _Left(rules, "rank.excluded.not_feasible", drivers_in_group,
                 {"alternative_codes": [f"alternative.{a}" for a in rules.alternatives]})


def _figures(targets: Sequence[_Target], people: _Respondents, totals: _Totals, *, context: Mapping[str, Any],
             settings: Mapping[str, Any]) -> list[_Figures | _Left]:
    """Reach, match, effect and impact of many measures at once: a row per measure of every
    matrix over respondents. Each row's arithmetic is the one of the measure alone."""
    baseline = people.baseline
    seasons = list(baseline.trips)
    n = people.n
    group = np.stack([t.group for t in targets])
    # Reach: in the target group, driving that season, and able to switch.
    reach = {s: group & baseline.driver[s] & np.stack([t.able[s] for t in targets]) for s in seasons}
    reached = np.logical_or.reduce([reach[s] for s in seasons])
    any_reached = reached.any(axis=1)
    trips_there: Any = 0.0
    for s in seasons:
        trips_there = trips_there + (baseline.trips[s] * reach[s]).sum(axis=1)
    out: list[_Figures | _Left | None] = [None] * len(targets)
    kept: list[int] = []
    for row, target in enumerate(targets):
        if not any_reached[row]:
            out[row] = _nobody(target, people, target.group & people.car_driver)
        elif trips_there[row] <= 0:
            out[row] = _Left(target.rules, "rank.excluded.no_car_trips", reached[row])
        else:
            kept.append(row)
    if not kept:
        return [item for item in out if item is not None]
    rows = np.asarray(kept)
    if len(kept) < len(targets):
        reach = {s: mask[rows] for s, mask in reach.items()}
        reached = reached[rows]
    chosen = [targets[row] for row in kept]

    # Match strength per respondent, and the effect multiplier it gives. Which kinds of answer
    # (a bit per kind) each respondent chose of each measure's codes is one small number; the
    # weight each such number matches is worked out once, as adding up the kinds would.
    match_cfg = settings["match"]
    chose = np.zeros((len(kept), n), dtype=np.uint8)
    matched_by_choice = np.zeros(1 << len(_MULTI_TARGETS))
    choices = np.arange(len(matched_by_choice))
    for bit, kind in enumerate(_MULTI_TARGETS):
        codes = [getattr(t.rules, kind) for t in chosen]
        if not any(codes):
            continue
        chose |= people.any_of_rows(kind, codes).view(np.uint8) << bit
        matched_by_choice += float(match_cfg[kind]) * ((choices >> bit) & 1).astype(bool)
    # those who named one of the measure's barriers or wishes (not only a mode they would consider)
    named = (chose & ~np.uint8(1 << _MULTI_TARGETS.index("would_consider"))) > 0
    weight_of = np.zeros(len(kept))
    for i, target in enumerate(chosen):
        weight_of[i] = sum(float(match_cfg[kind]) for kind in _MULTI_TARGETS if getattr(target.rules, kind))
    # strength: the share of the weights matched (neutral where nothing is weighed); a measure's
    # weight is the same for everyone unless it counts the stage question
    weighed = weight_of > 0
    strength = np.take_along_axis(np.where(weighed[:, None], matched_by_choice / np.where(weighed, weight_of, 1.0)[:, None],
                                           float(match_cfg["neutral"])), chose, axis=1)
    staged = [i for i, t in enumerate(chosen) if t.rules.stages]
    asked = np.flatnonzero(people.stage_asked())
    if staged and len(asked):
        # the stage counts for those who answered the stage question (a derived one would
        # count their would-consider answer twice); for the others the strength above stands
        cells = np.ix_(np.asarray(staged), asked)
        stage_w = float(match_cfg["stages"])
        weight = np.array([weight_of[i] + stage_w for i in staged])[:, None]
        in_stage = np.stack([people.in_stage(chosen[i].rules.stages)[asked] for i in staged])
        matched_staged = matched_by_choice[chose[cells]] + stage_w * in_stage
        with np.errstate(invalid="ignore", divide="ignore"):
            strength[cells] = np.where(weight > 0, matched_staged / np.where(weight > 0, weight, 1.0), float(match_cfg["neutral"]))
    base, bonus, neutral = float(match_cfg["base"]), float(match_cfg["bonus"]), float(match_cfg["neutral"])
    typical = base + bonus * neutral
    multiplier = (base + bonus * strength) / typical if typical > 0 else np.ones((len(kept), n))

    effects = [adjust_effect(t.rules.effect_low, t.rules.effect_high, t.evidence, context=context,
                             settings=settings.get("evidence")) for t in chosen]
    uptakes = [None if t.rules.uptake is None else
               (t.rules.uptake[0], (t.rules.uptake[0] + t.rules.uptake[1]) / 2, t.rules.uptake[1]) for t in chosen]
    capacities = [_capacity_people(t.rules, context, n) for t in chosen]
    batch = MeasureImpacts.of([t.rules.id for t in chosen], reach,
                              effects=[(e.low, e.central, e.high) for e in effects],
                              multiplier=multiplier, uptakes=uptakes, capacities=capacities)
    trips = {band: batch.trips(baseline, band) for band in BANDS}
    tonnes = None if baseline.tonnes is None else {
        band: values for band in BANDS if (values := batch.tonnes(baseline, band)) is not None}
    reached_car = reached & people.car_commuter

    trips_bands = [{band: float(values[i]) for band, values in trips.items()} for i in range(len(kept))]
    tonnes_bands = [None if tonnes is None else {band: float(values[i]) or 0.0 for band, values in tonnes.items()}
                    for i in range(len(kept))]

    # The score of each measure: its share of all car trips and tonnes, and its match.
    rules = [t.rules for t in chosen]
    # the mean match of each measure's reached car commuters (of everyone reached when none is
    # one): each row's values one after the other, each mean over its own stretch
    over = np.where(reached_car.any(axis=1)[:, None], reached_car, reached)
    values = strength[over]
    ends = np.cumsum(over.sum(axis=1)).tolist()
    match_share = [float(values[start:end].sum() / (end - start)) for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    trip_share = (np.array([band["central"] for band in trips_bands]) / totals.trips if totals.trips
                  else np.zeros(len(kept)))
    tonne_share = None
    if totals.tonnes:
        tonne_share = np.array([np.nan if band is None else band["central"] for band in tonnes_bands]) / totals.tonnes
    parts = _score_parts(settings, rules, trip_share, tonne_share, np.array(match_share))
    scores = _score(settings, parts).tolist()
    part_lists = {key: values.tolist() for key, values in parts.items()}

    # Segments: each measure's central effect on each segment's car trips and tonnes; one
    # bincount over measure x segment cells adds each cell up in the order of its own bincount.
    per_segment: list[_SegmentFigures | None] = [None] * len(kept)
    m = totals.n_segments
    if m:
        valid = totals.valid
        cells = (np.arange(len(kept))[:, None] * m + totals.valid_codes[None, :]).ravel()

        everyone_placed = bool(valid.all())

        def sums(values: np.ndarray) -> np.ndarray:
            weights = values.ravel() if everyone_placed else values[:, valid].ravel()
            return np.bincount(cells, weights=weights, minlength=len(kept) * m).reshape(len(kept), m)

        def counts(flags: np.ndarray) -> np.ndarray:
            """How many are flagged in each cell (whole numbers: the same as :func:`sums` of 1s)."""
            row_of, person = np.nonzero(flags if everyone_placed else flags[:, valid])
            return np.bincount(row_of * m + totals.valid_codes[person],
                               minlength=len(kept) * m).reshape(len(kept), m).astype(float)

        person_tonnes = batch.person_tonnes(baseline, "central")
        seg_reach_car = counts(reached_car)
        seg_trips = sums(batch.person_trips(baseline, "central"))
        seg_strength = sums(strength * reached_car)
        seg_tonnes = sums(person_tonnes) if person_tonnes is not None else None
        seg_reach = counts(reached)
        # each segment's score: the measure's shares of the segment's car trips and tonnes, and
        # the match of the segment's reached car commuters
        has_trips, has_car = totals.seg_trips > 0, totals.seg_car > 0
        seg_trip_share = np.where(has_trips, seg_trips / np.where(has_trips, totals.seg_trips, 1.0), 0.0)
        seg_tonne_share = None
        if seg_tonnes is not None and totals.seg_tonnes is not None:
            has_tonnes = totals.seg_tonnes > 0
            seg_tonne_share = np.where(has_tonnes, seg_tonnes / np.where(has_tonnes, totals.seg_tonnes, 1.0), np.nan)
        car = seg_reach_car > 0
        seg_match = np.where(car, seg_strength / np.where(car, seg_reach_car, 1.0), 0.0)
        seg_score = np.where(seg_reach > 0, _score(settings, _score_parts(settings, rules, seg_trip_share, seg_tonne_share,
                                                                          seg_match)), 0.0)
        big_enough = car & has_car & (seg_reach_car / np.where(has_car, totals.seg_car, 1.0)
                                      >= float(settings["segment_min_share"]))
        per_segment = [_SegmentFigures(seg_reach_car[i].tolist(), seg_trips[i].tolist(),
                                       None if seg_tonnes is None else seg_tonnes[i].tolist(),
                                       seg_score[i].tolist(), big_enough[i].tolist()) for i in range(len(kept))]
    # the reasons' counts of answers in each measure's target group, all measures at once
    focus = np.stack([t.group & people.car_commuter if _targets_cars(t.rules) else t.group for t in chosen])
    chosen_by_focus = people.choice_counts({kind: [getattr(t.rules, kind) for t in chosen] for kind in _MULTI_TARGETS},
                                           focus)
    for i, row in enumerate(kept):
        out[row] = _Figures(
            target=chosen[i], reached=reached[i], effect=effects[i], capacity=capacities[i], impact=batch.items[i],
            trips_band=trips_bands[i], tonnes_band=tonnes_bands[i], reached_car=reached_car[i], named=named[i],
            match_share=match_share[i], parts={key: values[i] for key, values in part_lists.items()}, score=scores[i],
            segments=per_segment[i], chosen_by_focus={kind: counts[i] for kind, counts in chosen_by_focus.items()})
    return [item for item in out if item is not None]


#: The most measure x respondent cells evaluated in one batch (a few matrices of this size are
#: held at once; more measures are evaluated in several batches).
_BATCH_CELLS = 2_000_000


def _evaluate(
    rules_list: Sequence[MeasureRules],
    people: _Respondents,
    totals: _Totals,
    seg_ids: list[Any],
    *,
    context: Mapping[str, Any],
    settings: Mapping[str, Any],
    evidence: Mapping[str, Sequence[EvidenceRecord]],
    ledger: Ledger,
    potential: Any = None,
) -> list[dict[str, Any] | ExcludedMeasure]:
    """Every measure's reach, impact, score and reasons, in catalogue order.

    The measures' figures are computed together (rows of matrices over respondents, in batches
    that keep the matrices small); their counts are then registered with the gate measure by
    measure, in catalogue order."""
    outcome: list[ExcludedMeasure | _Left | _Figures | None] = []
    targets: list[tuple[int, _Target]] = []
    for rules in rules_list:
        unmet = _check_requires(rules, context)
        if unmet is not None:
            outcome.append(ExcludedMeasure(rules.id, rules.name, unmet))
            continue
        targets.append((len(outcome), _target(rules, people, evidence.get(rules.id, ()), potential)))
        outcome.append(None)
    size = max(1, _BATCH_CELLS // max(people.n, 1))
    for start in range(0, len(targets), size):
        part = targets[start:start + size]
        found = _figures([t for _, t in part], people, totals, context=context, settings=settings)
        for (at, _), item in zip(part, found, strict=True):
            outcome[at] = item
    results: list[dict[str, Any] | ExcludedMeasure] = []
    for entry in outcome:
        if isinstance(entry, ExcludedMeasure):
            results.append(entry)
        elif isinstance(entry, _Left):
            results.append(entry.excluded(ledger))
        elif entry is not None:
            results.append(_finish(entry, people, totals, seg_ids, settings=settings, ledger=ledger))
    return results


def _finish(figures: _Figures, people: _Respondents, totals: _Totals, seg_ids: list[Any], *,
            settings: Mapping[str, Any], ledger: Ledger) -> dict[str, Any]:
    """A measure's score, segment fits and reasons, its counts registered with the gate."""
    target = figures.target
    rules = target.rules
    group, shift_left_out = target.group, target.shift_left_out
    reached, reached_car = figures.reached, figures.reached_car
    effect, impact, capacity = figures.effect, figures.impact, figures.capacity
    baseline = people.baseline
    trips_band, tonnes_band = figures.trips_band, figures.tonnes_band
    trips = (trips_band["low"], trips_band["high"])
    tonnes = None if tonnes_band is None else (tonnes_band["low"], tonnes_band["high"])
    central_trips = trips_band["central"]
    central_tonnes = None if tonnes_band is None else tonnes_band["central"]

    # Segments: the measure's central effect on each segment's car trips and tonnes.
    fits: list[SegmentFit] = []
    served: list[Any] = []
    segments = figures.segments
    if seg_ids and segments is not None:
        tonnes_of = segments.tonnes if segments.tonnes is not None else [None] * len(seg_ids)
        for seg, members, reach_car, big_enough, seg_trips, seg_tonnes, seg_score in zip(
                seg_ids, totals.seg_masks & reached, segments.reach_car, segments.big_enough, segments.trips, tonnes_of,
                segments.score, strict=True):
            is_served = bool(big_enough and ledger.may_show(int(reach_car)))
            if is_served:
                served.append(seg)
            seg_reach_fig = ledger.count(members)
            fits.append(SegmentFit(segment=seg, reach=seg_reach_fig,
                                   car_trips_per_day_avoided=Derived(seg_trips, (seg_reach_fig,)),
                                   score=seg_score, served=is_served,
                                   tonnes_co2e_avoided=None if seg_tonnes is None else Derived(seg_tonnes, (seg_reach_fig,))))

    reach_fig = ledger.count(reached)
    # the segments are a breakdown of those the measure reaches: a hidden segment's reach is not
    # the measure's less the others'
    ledger.columns([reached], [[fit.reach] for fit in fits], tag=("rank", rules.id, "reach"))
    reasons, quoted = _reasons(rules, people, group, reached, reached_car, effect, trips, tonnes, impact,
                               shift_left_out=shift_left_out, ledger=ledger, reach_fig=reach_fig,
                               chosen_by_focus=figures.chosen_by_focus)
    reach_car = ledger.count(reached_car)
    car_commuters = ledger.named("car_users", people.table)
    ledger.subset(reach_car, car_commuters)
    used = {reach_fig, reach_car, *(fit.reach for fit in fits), *quoted}
    cost = {"one_off": list(rules.one_off_nok) if rules.one_off_nok else None,
            "yearly": list(rules.yearly_nok) if rules.yearly_nok else None}
    return {
        "id": rules.id,
        "score": figures.score,
        "name": rules.name,
        "family": rules.family,
        "role": rules.role,
        "enables": rules.enables,
        "effect": effect,
        "applies_to": rules.applies_to,
        "reach": reach_fig,
        "reach_car_commuters": reach_car,
        "car_commuters": car_commuters,
        "participants": None if impact.participants is None
        else {band: Derived(float(value), (reach_fig,)) for band, value in impact.participants.items()},
        "uptake": rules.uptake,
        "capacity": None if capacity is None else {"people": round(capacity, 1), "unit": rules.capacity_unit,
                                                   "bound": impact.capacity_bound},
        "car_trips_per_day_avoided": trips,
        "car_trips_central": central_trips,
        "tonnes_co2e_avoided": tonnes,
        "tonnes_central": central_tonnes,
        "cost_effectiveness": _cost_effectiveness(rules, trips_band, tonnes_band, settings, baseline.days_per_year),
        "segments": tuple(served),
        "segment_fit": tuple(fits),
        "actors": rules.actors,
        "anchoring": rules.anchoring,
        "cost_class": rules.cost_class,
        "cost_nok": cost,
        "time_to_effect": rules.time_to_effect,
        "package": _package(rules, settings),
        "parts": figures.parts,
        "reasons": tuple(reasons),
        "suppressed_cells": HiddenTally(tuple(sorted(used, key=_FIG_ORDER))),
        "impact": impact,
        "rules": rules,
        "target": group,
        "named": figures.named,
        "match_share": figures.match_share,
    }


#: Figures in the order of the gate's registration (the sets of people, then the cells).
_FIG_ORDER = operator.attrgetter("id", "cell")


def _capacity_people(rules: MeasureRules, context: Mapping[str, Any], respondents: int) -> float | None:
    """How many of the respondents the measure can serve at once.

    The site context's ``capacity`` (units per measure id) replaces the catalogue's default. A
    capacity serves the whole workforce; with the number of employees known it is scaled to the
    respondents (assumption: those who did not answer are like those who did).
    """
    given = (context.get("capacity") or {}).get(rules.id)
    if given is None and rules.facility is not None:
        # a facility (bike parking, showers) is built to the need; its default size is only the
        # size its cost range is priced for, so it caps nothing unless the project says so
        return None
    units = given if given is not None else rules.capacity
    if units is None:
        return None
    people = float(units) * rules.people_per_unit
    employees = _context_value(context, "employees")
    if isinstance(employees, (int, float)) and employees > 0 and respondents < employees:
        people *= respondents / float(employees)
    return people


def _cost_effectiveness(rules: MeasureRules, trips: Mapping[str, float], tonnes: Mapping[str, float] | None,
                        settings: Mapping[str, Any], days_per_year: float) -> dict[str, Any]:
    """NOK a year (one-off spread over ``plan.annualise_years``, plus running cost) per car trip
    and per tonne avoided: the central figure, and the cheap end (low cost, high effect) to the
    dear end (high cost, low effect). ``None`` where the effect is nothing."""
    years = float(settings["plan"]["annualise_years"])
    one_off = rules.one_off_nok or (0.0, 0.0)
    yearly = rules.yearly_nok or (0.0, 0.0)
    annual = {"low": one_off[0] / years + yearly[0], "high": one_off[1] / years + yearly[1]}
    annual["central"] = (annual["low"] + annual["high"]) / 2

    def per(unit: Mapping[str, float] | None, scale: float) -> dict[str, float | None] | None:
        if unit is None:
            return None

        def ratio(cost: float, amount: float) -> float | None:
            return None if amount * scale <= 0 else cost / (amount * scale)
        return {"low": ratio(annual["low"], unit["high"]), "central": ratio(annual["central"], unit["central"]),
                "high": ratio(annual["high"], unit["low"])}

    return {"annual_nok": annual, "nok_per_car_trip": per(trips, days_per_year), "nok_per_tonne": per(tonnes, 1.0)}


def _condition(people: _Respondents, column: str, wanted: Any) -> np.ndarray:
    """A respondent filter; an unanswered yes/no passes a ``false`` condition and fails a ``true`` one.

    A code condition on a question the survey did not ask cannot be checked, so it does not
    narrow the target group (failing it would report "nobody reached" for a measure that may
    well fit).
    """
    if column in _BOOL_COLUMNS or isinstance(wanted, bool):
        values = people.boolean(column)
        return values == 1 if bool(wanted) else values != 1
    if column not in people.table:
        return np.ones(people.n, dtype=bool)
    options = list(wanted) if isinstance(wanted, (list, tuple)) else [wanted]
    return people.is_in(column, options)


def _saturate(share: np.ndarray, h: float) -> np.ndarray:
    """``share / (share + h)`` of the positive part of each share (0 where that sum is 0)."""
    share = np.where(share > 0.0, share, 0.0)
    total = share + h
    return np.where(total > 0, share / np.where(total > 0, total, 1.0), 0.0)


def _score_parts(settings: Mapping[str, Any], rules: Sequence[MeasureRules], trip_share: np.ndarray,
                 tonne_share: np.ndarray | None, match_share: np.ndarray) -> dict[str, np.ndarray]:
    """The parts of the score of the measures ``rules`` (one per row of the shares: a row may hold
    the measure's shares of several groups). A tonne share that is NaN (or none at all) is not
    known: the trips part stands in for it."""
    half = settings["impact_half_saturation"]
    trips_part = _saturate(trip_share, float(half["trips"]))
    tonnes_part = trips_part if tonne_share is None else np.where(
        np.isnan(tonne_share), trips_part, _saturate(tonne_share, float(half["tonnes"])))
    match = np.where(match_share > 0.0, match_share, 0.0)
    rows = (len(rules),) + (1,) * (trips_part.ndim - 1)  # one value per measure, along the rows
    return {
        "trips": trips_part,
        "tonnes": tonnes_part,
        "match": np.where(match < 1.0, match, 1.0),
        "cost": np.broadcast_to(np.array([float(settings["cost_score"][r.cost_class]) for r in rules]).reshape(rows),
                                trips_part.shape),
        "time": np.broadcast_to(np.array([float(settings["time_score"][r.time_to_effect]) for r in rules]).reshape(rows),
                                trips_part.shape),
    }


_Parts = TypeVar("_Parts", float, np.ndarray)


def _score(settings: Mapping[str, Any], parts: Mapping[str, _Parts]) -> _Parts:
    """The score (0 to 100) of one measure's parts, or of arrays of parts element by element."""
    weights = settings["score"]
    total: float = 0
    weighted: Any = 0
    for key, value in parts.items():
        weight = float(weights[key])
        total += weight
        weighted = weighted + weight * value
    result: _Parts = 100.0 * weighted / total
    return result


def _package(rules: MeasureRules, settings: Mapping[str, Any]) -> str:
    packages = settings.get("packages") or {}
    fields = {"cost_class": rules.cost_class, "time_to_effect": rules.time_to_effect, "family": rules.family}
    for rule in packages.get("rules") or []:
        if all(fields.get(key) in values for key, values in rule.items() if key != "package"):
            return str(rule["package"])
    return str(packages.get("default", "core"))


def _targets_cars(rules: MeasureRules) -> bool:
    """Whether a measure is for car commuters (its reasons count them), or for everyone."""
    return rules.modes is None or any(mode in CAR_MODES for mode in rules.modes)


def _reasons(
    rules: MeasureRules,
    people: _Respondents,
    group: np.ndarray,
    reached: np.ndarray,
    reached_car: np.ndarray,
    effect: AdjustedEffect,
    trips: tuple[float, float],
    tonnes: tuple[float, float] | None,
    impact: MeasureImpact,
    *,
    shift_left_out: np.ndarray,
    ledger: Ledger,
    reach_fig: Fig,
    chosen_by_focus: Mapping[str, Sequence[int]],
) -> tuple[list[Reason], list[Fig]]:
    """Why a measure fits, as message keys and the counts (registered with the gate) that fill
    them; and those counts (besides ``reach_fig``), for the measure's tally of hidden cells."""
    reasons: list[Reason] = []
    counted: list[Fig] = []

    def count(mask: np.ndarray) -> Fig:
        fig = ledger.count(mask)
        counted.append(fig)
        return fig

    targets_cars = _targets_cars(rules)
    in_group = group & people.car_commuter if targets_cars else group
    focus = in_group
    n_focus = focus
    base_name = "car_users" if targets_cars else "respondents"  # named in results.json's bases
    of = ledger.named(base_name, people.table)
    counted.append(of)
    who = "car" if targets_cars else "all"
    if rules.distance is not None:
        low, high = rules.distance
        if high is not None and high >= MAX_DISTANCE_KM:
            high = None  # "5-300 km" reads better as "more than 5 km"
        if high is None and (low is None or low <= 0):
            reasons.append(Reason(f"rank.reason.reach.{who}", {"n": count(n_focus), "n_of": of, "base": base_name}))
        elif high is not None and (low is None or low <= 0.5):
            reasons.append(Reason(f"rank.reason.reach_within.{who}", {"n": count(n_focus), "n_of": of, "base": base_name, "km": high}))
        elif high is not None:
            reasons.append(Reason(f"rank.reason.reach_between.{who}", {"n": count(n_focus), "n_of": of, "base": base_name, "km_low": low, "km_high": high}))
        else:
            reasons.append(Reason(f"rank.reason.reach_beyond.{who}", {"n": count(n_focus), "n_of": of, "base": base_name, "km": low}))
    else:
        reasons.append(Reason(f"rank.reason.reach.{who}", {"n": count(n_focus), "n_of": of, "base": base_name}))

    for column, wanted in sorted(rules.conditions.items()):
        key = f"rank.reason.condition.{column}"
        if wanted is True and has(key):
            reasons.append(Reason(key, {"n": count(focus)}))

    if "parking_at_work" in rules.requires and "parking_at_work" in people.table:
        free = focus & people.is_in("parking_at_work", ["free"])
        if free.any():
            reasons.append(Reason("rank.reason.parking_free", {"n": count(free)}))

    for kind, limit in (("barriers", 2), ("would_help", 2), ("would_consider", 1)):
        codes = getattr(rules, kind)
        if not codes:
            continue
        counts = sorted(zip(chosen_by_focus[kind], codes, strict=True), key=lambda c: (-c[0], c[1]))
        for value, code in counts[:limit]:
            if value > 0:
                reasons.append(Reason(f"rank.reason.{kind}", {"n": count(focus & people.multi(kind, code)),
                                                              "label_code": f"{kind}.{code}"}))

    if rules.stages:
        ready = focus & people.stage_asked() & people.in_stage(rules.stages)
        if ready.any():
            reasons.append(Reason("rank.reason.stages", {"n": count(ready),
                                                         "stage_codes": [f"stage.{code}" for code in rules.stages]}))

    if shift_left_out.any():
        reasons.append(Reason("rank.reason.shift_left_out", {"n": count(shift_left_out)}))

    # Of those in the group, the drivers who could switch (the potential model's feasibility).
    if not np.array_equal(reached, in_group):
        reasons.append(Reason("rank.reason.feasible", {"n": reach_fig,
                                                       "alternative_codes": [f"alternative.{a}" for a in rules.alternatives]}))
    if impact.participants is not None and rules.uptake is not None:
        taking_part: dict[str, Any] = {"n_participants": Derived(round(impact.participants["central"]), (reach_fig,)),
                                       "pct_low": round(100 * rules.uptake[0]), "pct_high": round(100 * rules.uptake[1])}
        if impact.capacity_people is not None and impact.capacity_bound:
            reasons.append(Reason("rank.reason.participants_capacity", {**taking_part, "capacity": round(impact.capacity_people, 1)}))
        else:
            reasons.append(Reason("rank.reason.participants", taking_part))
    elif impact.capacity_bound and impact.capacity_people is not None:
        reasons.append(Reason("rank.reason.capacity", {"capacity": round(impact.capacity_people, 1)}))

    reasons.append(Reason("rank.reason.effect", {"pct_low": round(100 * effect.low, 1), "pct_high": round(100 * effect.high, 1)}))
    for item in effect.used[:2]:
        record = item.record
        values: dict[str, Any] = {"place": record.municipality_name or record.municipality_number or "?",
                                  "year": str(record.year or "")}
        if record.estimate is None:
            values["pct"] = round(abs(record.relative_effect) * 100, 1)
            direction = "down" if record.relative_effect >= 0 else "up"
            reasons.append(Reason(f"rank.reason.evidence_relative_{direction}", values))
            continue
        reasons.append(_evidence_reason(record.estimate, record.ci_low, record.ci_high, values))
    if effect.evidence_adjusted:
        reasons.append(Reason("rank.reason.evidence_adjusted." + ("one" if len(effect.used) == 1 else "many"), {
            "pct_catalogue": round(100 * effect.prior_central, 1), "pct_central": round(100 * effect.central, 1),
            "records": len(effect.used)}))
    if tonnes is not None:
        reasons.append(Reason("rank.reason.avoided", {"trips_low": round(trips[0], 1), "trips_high": round(trips[1], 1),
                                                      "tonnes_low": round(tonnes[0], 1), "tonnes_high": round(tonnes[1], 1)}))
    else:
        reasons.append(Reason("rank.reason.avoided_trips", {"trips_low": round(trips[0], 1), "trips_high": round(trips[1], 1)}))
    return reasons, counted


def _evidence_reason(estimate: float, ci_low: float | None, ci_high: float | None, values: dict[str, Any]) -> Reason:
    """A pilot's result in the words of the pilot evaluation (grontur/report/comparison.py).

    An interval wholly below (above) zero is a fall (rise), stated in the units of the sentence:
    "down 12 (95 % CI 3 to 21)". An interval that contains zero is no certain change, and the
    estimate and interval keep their signs: "no certain change (−7.3, 95 % CI −21.9 to +7.2)".
    """
    if ci_low is None or ci_high is None:
        direction = "down" if estimate < 0 else "up"
        return Reason(f"rank.reason.evidence_{direction}_noci", {**values, "points": round(abs(estimate) * 100, 1)})
    if ci_high < 0:
        return Reason("rank.reason.evidence_down", {**values, "points": round(-estimate * 100, 1),
                                                    "ci_low": round(-ci_high * 100, 1), "ci_high": round(-ci_low * 100, 1)})
    if ci_low > 0:
        return Reason("rank.reason.evidence_up", {**values, "points": round(estimate * 100, 1),
                                                  "ci_low": round(ci_low * 100, 1), "ci_high": round(ci_high * 100, 1)})
    return Reason("rank.reason.evidence_unclear", {**values, "change": round(estimate * 100, 1),
                                                   "change_low": round(ci_low * 100, 1), "change_high": round(ci_high * 100, 1)})
