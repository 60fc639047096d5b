"""Pilot evidence from the network: reading records and pooling them for the ranking.

An evidence record (``measures/evidence/*.yaml``, written by hand or by ``grontur compare``)
says how much a measure changed car commuting in one municipality's pilot. The ranking updates a
measure's catalogue effect with the evidence by precision: the catalogue range is a normal prior,
each record an estimate whose variance comes from its stored 95 % interval (widened when the
piloting municipality is less alike in size, rurality and shift share, or the design less
controlled), several records are pooled by a random-effects model, and the pooled estimate and the
prior are weighted by their precisions. The statistics are in :mod:`grontur.stats`; the format is
fixed in ``docs/contracts.md`` and the model described in ``docs/ranking.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grontur._yaml import read_yaml
from grontur.errors import CatalogueError, ConfigError
from grontur.resources import data_path
from grontur.stats import RandomEffects, Z, dersimonian_laird, normal_posterior, z_value

logger = logging.getLogger(__name__)

OUTCOMES = ("car_driver_share", "car_share", "drive_alone_rate", "car_trips")
METHODS = ("difference_in_differences", "reached_vs_not_reached", "before_after")
#: Rurality levels from most central to most rural; neighbours count as half similar.
RURALITY_LEVELS = ("urban", "semi_urban", "rural")
_RURALITY_ALIASES = {
    "central": "urban", "city": "urban", "town": "semi_urban", "intermediate": "semi_urban",
    "semi-urban": "semi_urban", "semi_rural": "semi_urban", "remote": "rural",
}


@dataclass(frozen=True)
class EvidenceRecord:
    """One pilot result: a measure, where and when it was tried, and what changed."""

    measure: str
    municipality_number: str | None
    municipality_name: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    n_reached: int
    n_not_reached: int | None
    employees: int | None
    shift_share: float | None
    rurality: str | None
    outcome: str
    before: float | None
    after: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    relative_effect: float
    method: str
    source: str
    file: str = ""
    participants_description: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def year(self) -> int | None:
        """Year the pilot started (or ended), for reasons such as "Piloted in Ål 2026"."""
        date = self.period_start or self.period_end
        return date.year if date else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str = "<evidence>") -> EvidenceRecord:
        """Validate one record given as a mapping; raise :class:`CatalogueError` naming the field."""
        return _parse_record(data, file)

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "municipality": {"number": self.municipality_number, "name": self.municipality_name},
            "period": {
                "start": self.period_start.isoformat() if self.period_start else None,
                "end": self.period_end.isoformat() if self.period_end else None,
            },
            "n_reached": self.n_reached,
            "n_not_reached": self.n_not_reached,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "relative_effect": self.relative_effect,
            "method": self.method,
            "source": self.source,
        }


# ---------------------------------------------------------------------------------------------
# Loading

def load_evidence(path: str | Path | None = None) -> list[EvidenceRecord]:
    """Read and validate pilot evidence records.

    Parameters
    ----------
    path
        A folder of ``*.yaml`` records (sub-folders such as ``examples/`` are not read) or one
        file. Default: the shipped ``measures/evidence/`` folder.

    Returns
    -------
    The records sorted by file name. A file may hold one record or a list of records.
    """
    root = Path(path) if path is not None else data_path("measures", "evidence")
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    elif root.is_file():
        files = [root]
    else:
        if path is None:
            return []
        msg = f"{root}: the evidence file or folder does not exist; give an existing path."
        raise CatalogueError(msg)
    records: list[EvidenceRecord] = []
    for file in files:
        data = read_yaml(file, error=CatalogueError)
        if data is None:
            continue
        items = data if isinstance(data, list) else [data]
        for index, item in enumerate(items):
            where = str(file) if len(items) == 1 else f"{file} (record {index + 1})"
            records.append(_parse_record(item, where))
    logger.info("%d evidence records from %d files in %s", len(records), len(files), root)
    return records


def _fail(file: str, field_name: str, problem: str) -> CatalogueError:
    return CatalogueError(f"{file}: field '{field_name}' {problem}")


def _number(data: Mapping[str, Any], key: str, file: str, *, required: bool, prefix: str = "") -> float | None:
    value = data.get(key)
    name = f"{prefix}{key}"
    if value is None:
        if required:
            raise _fail(file, name, "is missing; add it as a number.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(file, name, f"is {value!r}; write a number (a fraction such as -0.12).")
    return float(value)


def _count(data: Mapping[str, Any], key: str, file: str, *, required: bool, prefix: str = "") -> int | None:
    value = data.get(key)
    name = f"{prefix}{key}"
    if value is None:
        if required:
            raise _fail(file, name, "is missing; give the number of people as a whole number.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(file, name, f"is {value!r}; give a whole number of 0 or more.")
    return int(value)


def _date(value: Any, file: str, name: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(file, name, f"is {value!r}; write a date as YYYY-MM-DD.") from None


def _mapping(data: Mapping[str, Any], key: str, file: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise _fail(file, key, f"is {value!r}; it must be a mapping of named fields.")
    return value


def normalise_rurality(value: Any) -> str | None:
    """Map a rurality label to one of :data:`RURALITY_LEVELS` (or ``None`` when unknown)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    text = _RURALITY_ALIASES.get(text, text)
    return text if text in RURALITY_LEVELS else None


def _parse_record(data: Any, file: str) -> EvidenceRecord:
    if not isinstance(data, Mapping):
        msg = f"{file}: an evidence record must be a mapping with measure, participants, estimate ...; got {type(data).__name__}."
        raise CatalogueError(msg)
    measure = data.get("measure")
    if not isinstance(measure, str) or not measure.strip():
        raise _fail(file, "measure", "is missing; give the catalogue id of the measure piloted.")
    municipality = _mapping(data, "municipality", file)
    number = municipality.get("number")
    period = _mapping(data, "period", file)
    start = _date(period.get("start"), file, "period.start")
    end = _date(period.get("end"), file, "period.end")
    if start and end and end < start:
        raise _fail(file, "period.end", f"({end}) is before period.start ({start}); swap or correct them.")
    participants = _mapping(data, "participants", file)
    n_reached = _count(participants, "n_reached", file, required=True, prefix="participants.")
    if n_reached == 0:
        raise _fail(file, "participants.n_reached", "is 0; a pilot that reached nobody is no evidence.")
    n_not = _count(participants, "n_not_reached", file, required=False, prefix="participants.")
    context = _mapping(data, "context", file)
    employees = _count(context, "employees", file, required=False, prefix="context.")
    shift = _number(context, "shift_share", file, required=False, prefix="context.")
    if shift is not None and not 0 <= shift <= 1:
        raise _fail(file, "context.shift_share", f"is {shift}; give a fraction between 0 and 1.")
    rurality_raw = context.get("rurality")
    rurality = normalise_rurality(rurality_raw)
    if rurality_raw is not None and rurality is None:
        raise _fail(file, "context.rurality", f"is {rurality_raw!r}; use one of {', '.join(RURALITY_LEVELS)}.")
    outcome = str(data.get("outcome") or "car_driver_share")
    if outcome not in OUTCOMES:
        raise _fail(file, "outcome", f"is {outcome!r}; use one of {', '.join(OUTCOMES)}.")
    before = _number(data, "before", file, required=False)
    after = _number(data, "after", file, required=False)
    for name, value in (("before", before), ("after", after)):
        if value is not None and outcome != "car_trips" and not 0 <= value <= 1:
            raise _fail(file, name, f"is {value}; a share is a fraction between 0 and 1.")
    estimate = _number(data, "estimate", file, required=False)
    if estimate is None and before is not None and after is not None:
        estimate = after - before
    ci_low = _number(data, "ci_low", file, required=False)
    ci_high = _number(data, "ci_high", file, required=False)
    if ci_low is not None and ci_high is not None and ci_low > ci_high:
        raise _fail(file, "ci_low", f"({ci_low}) is above ci_high ({ci_high}); swap them.")
    relative = _number(data, "relative_effect", file, required=False)
    if relative is None:
        if estimate is None or not before:
            raise _fail(file, "relative_effect", "is missing and cannot be computed; add it, or give 'estimate' (or 'after') and 'before'.")
        relative = -estimate / before
    if estimate is None and before is not None:
        estimate = -relative * before
    if not -1 <= relative <= 1:
        raise _fail(file, "relative_effect", f"is {relative}; a relative change lies between -1 and 1.")
    method = str(data.get("method") or "before_after")
    if method not in METHODS:
        raise _fail(file, "method", f"is {method!r}; use one of {', '.join(METHODS)}.")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _fail(file, "source", "is missing; say where the result comes from (report, comparison run).")
    known = {"measure", "municipality", "period", "participants", "context", "outcome", "before",
             "after", "estimate", "ci_low", "ci_high", "relative_effect", "method", "source"}
    return EvidenceRecord(
        measure=measure.strip(),
        municipality_number=str(number) if number is not None else None,
        municipality_name=str(municipality["name"]) if municipality.get("name") is not None else None,
        period_start=start,
        period_end=end,
        n_reached=int(n_reached or 0),
        n_not_reached=n_not,
        employees=employees,
        shift_share=shift,
        rurality=rurality,
        outcome=outcome,
        before=before,
        after=after,
        estimate=None if estimate is None else float(estimate),
        ci_low=ci_low,
        ci_high=ci_high,
        relative_effect=float(relative),
        method=method,
        source=source.strip(),
        file=file,
        participants_description=(str(participants["description"]) if participants.get("description") else None),
        extra={key: value for key, value in data.items() if key not in known},
    )


# ---------------------------------------------------------------------------------------------
# Weighting

#: Defaults used when a weights file gives no ``evidence`` section (see measures/weights.yaml).
DEFAULT_SETTINGS: Mapping[str, Any] = {
    "prior_coverage": 0.95,
    "assumed_before": 0.5,
    "size_scale": 1.0,
    "similarity": {"size": 1.0, "rurality": 1.0, "shift_share": 1.0},
    "min_similarity": 0.05,
    "method_weight": {"difference_in_differences": 1.0, "reached_vs_not_reached": 0.8, "before_after": 0.5},
}

#: Where a record's variance comes from: its stored 95 % interval, or the conservative rule.
VARIANCE_SOURCES = ("interval", "assumed")


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = {**DEFAULT_SETTINGS, **(settings or {})}
    for key in ("prior_coverage", "assumed_before"):
        value = cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1 + (key == "assumed_before"):
            bound = "above 0 and at most 1" if key == "assumed_before" else "between 0 and 1 (such as 0.95)"
            raise ConfigError(f"weights.evidence.{key} is {value!r}; give a fraction {bound}.")
    return cfg


def similarity(record: EvidenceRecord, context: Mapping[str, Any], *, settings: Mapping[str, Any] | None = None) -> float:
    """How alike the piloting municipality is to the one ranked, from 0 (unlike) to 1 (alike).

    A weighted mean of three parts, each in 0..1; a part is left out when either side lacks it:
    size ``exp(-|ln(E1/E2)| / size_scale)`` on employee counts; rurality 1 for the same level,
    0.5 for a neighbouring level, 0 otherwise; shift share ``1 - |s1 - s2|``.
    With nothing to compare the similarity is 0.5.
    """
    cfg = {**DEFAULT_SETTINGS, **(settings or {})}
    part_weights = {**DEFAULT_SETTINGS["similarity"], **(cfg.get("similarity") or {})}
    municipality = context.get("municipality") or {}
    parts: list[tuple[float, float]] = []
    employees = municipality.get("employees")
    if record.employees and employees and employees > 0:
        ratio = abs(math.log(record.employees / float(employees)))
        parts.append((float(part_weights["size"]), math.exp(-ratio / float(cfg["size_scale"]))))
    rural = normalise_rurality(municipality.get("rurality"))
    if record.rurality and rural:
        gap = abs(RURALITY_LEVELS.index(record.rurality) - RURALITY_LEVELS.index(rural))
        parts.append((float(part_weights["rurality"]), {0: 1.0, 1: 0.5}.get(gap, 0.0)))
    shift = context.get("shift_share")
    if record.shift_share is not None and shift is not None and not _isnan(shift):
        parts.append((float(part_weights["shift_share"]), 1.0 - min(1.0, abs(record.shift_share - float(shift)))))
    total = sum(weight for weight, _ in parts)
    if total <= 0:
        return 0.5
    return sum(weight * value for weight, value in parts) / total


def _isnan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def record_variance(record: EvidenceRecord, *, settings: Mapping[str, Any] | None = None) -> tuple[float, str]:
    """The sampling variance of a record's ``relative_effect`` and where it comes from.

    ``"interval"``: the record's 95 % interval of ``estimate`` gives its standard error
    ``(ci_high - ci_low) / (2 x 1.96)``; divided by the baseline ``before`` (or, without it, by
    the baseline the estimate and the relative effect imply, ``-estimate / relative_effect``) it
    is the standard error of the relative effect. ``"assumed"`` (no interval, an interval of zero
    width, or no baseline): the variance of a difference in differences of four independent
    groups the size of the reached group at the least favourable share 0.5, ``1 / n_reached``,
    divided by the squared baseline share (``before`` when the outcome is a share, else
    ``assumed_before``). It is at least as wide as the interval a grontur pilot evaluation gives
    when the comparison groups are no smaller than the reached group, so a record without an
    interval moves the effect less than one with it.

    >>> r = EvidenceRecord.from_dict({"measure": "m", "participants": {"n_reached": 100},
    ...     "before": 0.5, "estimate": -0.1, "ci_low": -0.2, "ci_high": 0.0, "source": "x"})
    >>> round(record_variance(r)[0], 5), record_variance(r)[1]
    (0.01041, 'interval')
    >>> record_variance(EvidenceRecord.from_dict({"measure": "m", "participants": {"n_reached": 100},
    ...     "relative_effect": 0.1, "source": "x"}))
    (0.04, 'assumed')
    """
    cfg = _settings(settings)
    if record.ci_low is not None and record.ci_high is not None and record.ci_high > record.ci_low:
        baseline = _baseline(record)
        if baseline is not None:
            se = (record.ci_high - record.ci_low) / (2 * Z) / baseline
            return se**2, "interval"
    share = record.before if record.outcome != "car_trips" and record.before else float(cfg["assumed_before"])
    return 1.0 / (record.n_reached * share**2), "assumed"


def _baseline(record: EvidenceRecord) -> float | None:
    if record.before is not None and record.before > 0:
        return record.before
    if record.estimate and record.relative_effect:
        implied = -record.estimate / record.relative_effect
        if implied > 0:
            return implied
    return None


@dataclass(frozen=True)
class WeightedEvidence:
    """One record as it entered the pooling, and how much it moved the measure's effect.

    ``weight`` is the record's share of the posterior precision (the shares of all records add up
    to the effect's ``evidence_weight``); ``variance`` the variance of its relative effect after
    the similarity and method allowances (``variance_source`` says whether its interval gave it);
    ``central_without`` the central effect had this record been left out, ``moved`` the central
    effect less that.
    """

    record: EvidenceRecord
    similarity: float
    weight: float
    variance: float = math.nan
    variance_source: str = "interval"
    central_without: float = math.nan
    moved: float = 0.0


@dataclass(frozen=True)
class AdjustedEffect:
    """A catalogue effect range updated by the network's evidence (see :func:`adjust_effect`).

    ``evidence_weight`` is the pooled evidence's share of the posterior precision (0 without
    evidence); ``prior_sd`` and ``posterior_sd`` are the standard deviations of the effect before
    and after the evidence, ``pooled`` and ``pooled_se`` the pooled evidence alone and ``tau2``
    the between-pilot variance of the random-effects model.
    """

    low: float
    high: float
    central: float
    prior_central: float
    evidence_adjusted: bool
    evidence_weight: float
    used: tuple[WeightedEvidence, ...] = ()
    prior_sd: float = math.nan
    posterior_sd: float = math.nan
    pooled: float | None = None
    pooled_se: float | None = None
    tau2: float = 0.0


def adjust_effect(
    low: float,
    high: float,
    records: Sequence[EvidenceRecord] | Iterable[EvidenceRecord],
    *,
    context: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
) -> AdjustedEffect:
    """Update a catalogue effect range with pilot evidence, weighting by precision.

    The prior is normal with mean ``(low + high) / 2`` and the range read as its central
    ``prior_coverage`` interval (95 %: sd = (high - low) / 3.92). Each record gives its
    ``relative_effect`` with the variance of :func:`record_variance`, divided by its similarity
    to the municipality ranked and by its method weight (a less alike or less controlled pilot is
    a noisier estimate of the effect here). Several records are pooled by DerSimonian and Laird's
    random-effects model (:func:`grontur.stats.dersimonian_laird`), so pilots that disagree widen
    the pooled interval; the pooled estimate then updates the prior by precision
    (:func:`grontur.stats.normal_posterior`). The central effect is the posterior mean kept
    within 0..1; low and high are the posterior's central ``prior_coverage`` interval, kept
    within 0..1. A catalogue range of zero width is a certain prior that evidence does not move.

    >>> round(adjust_effect(0.1, 0.2, [], context={}).central, 4)
    0.15
    >>> null_pilot = EvidenceRecord.from_dict({"measure": "m", "participants": {"n_reached": 240},
    ...     "context": {"employees": 400}, "before": 0.758, "estimate": 0.039, "ci_low": -0.083,
    ...     "ci_high": 0.161, "method": "difference_in_differences", "source": "x"})
    >>> effect = adjust_effect(0.03, 0.10, [null_pilot], context={"municipality": {"employees": 400}})
    >>> round(effect.central, 3), round(effect.evidence_weight, 3), round(effect.used[0].moved, 4)
    (0.06, 0.045, -0.0053)
    """
    cfg = _settings(settings)
    method_weights = {**DEFAULT_SETTINGS["method_weight"], **(cfg.get("method_weight") or {})}
    low, high = float(low), float(high)
    prior = (low + high) / 2
    z = z_value(float(cfg["prior_coverage"]))
    prior_sd = (high - low) / (2 * z)
    entries: list[tuple[EvidenceRecord, float, float, str]] = []
    for record in records:
        sim = similarity(record, context, settings=cfg)
        if sim < float(cfg["min_similarity"]):
            continue
        trust = sim * float(method_weights.get(record.method, 0.5))
        if trust <= 0:
            continue
        variance, source = record_variance(record, settings=cfg)
        entries.append((record, sim, variance / trust, source))
    if not entries or prior_sd <= 0:
        return AdjustedEffect(low=low, high=high, central=prior, prior_central=prior, evidence_adjusted=False,
                              evidence_weight=0.0, prior_sd=prior_sd, posterior_sd=prior_sd)
    prior_variance = prior_sd**2
    mean, variance, pooled = _update(prior, prior_variance, [(e[0].relative_effect, e[2]) for e in entries])
    central = _clip(mean)
    used: list[WeightedEvidence] = []
    for index, (record, sim, record_var, source) in enumerate(entries):
        rest = [(e[0].relative_effect, e[2]) for i, e in enumerate(entries) if i != index]
        without = _clip(_update(prior, prior_variance, rest)[0]) if rest else _clip(prior)
        used.append(WeightedEvidence(record=record, similarity=sim, weight=pooled.weights[index] * variance,
                                     variance=record_var, variance_source=source, central_without=without,
                                     moved=central - without))
    half = z * math.sqrt(variance)
    used.sort(key=lambda item: (-item.weight, item.record.file))
    return AdjustedEffect(
        low=min(_clip(mean - half), central), high=max(_clip(mean + half), central), central=central,
        prior_central=prior, evidence_adjusted=True, evidence_weight=variance / pooled.se**2, used=tuple(used),
        prior_sd=prior_sd, posterior_sd=math.sqrt(variance), pooled=pooled.estimate, pooled_se=pooled.se,
        tau2=pooled.tau2,
    )


def _update(prior: float, prior_variance: float, estimates: Sequence[tuple[float, float]]) -> tuple[float, float, RandomEffects]:
    """The posterior mean and variance of the effect given the records, and their pooling."""
    pooled = dersimonian_laird([e for e, _ in estimates], [v for _, v in estimates])
    mean, variance = normal_posterior(prior, prior_variance, pooled.estimate, pooled.se**2)
    return mean, variance, pooled


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def records_by_measure(records: Iterable[EvidenceRecord]) -> dict[str, list[EvidenceRecord]]:
    """Group records by measure id."""
    grouped: dict[str, list[EvidenceRecord]] = {}
    for record in records:
        grouped.setdefault(record.measure, []).append(record)
    return grouped
