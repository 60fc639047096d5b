"""Pilot evidence from the network: reading records and weighting them for the ranking.

An evidence record (``measures/evidence/*.yaml``, written by hand or by ``grontur compare``)
says how much a measure changed car commuting in one municipality's pilot. The ranking moves a
measure's catalogue effect towards the evidence, weighting each record by its sample size and by
how similar the piloting municipality is to the one being ranked (size, rurality, shift share).
The format is fixed in ``docs/contracts.md``; the weighting is described in ``docs/ranking.md``.
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
from grontur.errors import CatalogueError
from grontur.resources import data_path

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
    "prior_n": 100,
    "size_scale": 1.0,
    "similarity": {"size": 1.0, "rurality": 1.0, "shift_share": 1.0},
    "min_similarity": 0.05,
    "method_weight": {"difference_in_differences": 1.0, "reached_vs_not_reached": 0.8, "before_after": 0.5},
}


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


@dataclass(frozen=True)
class WeightedEvidence:
    """One record with the weight it got: effective sample size = n x similarity x method weight."""

    record: EvidenceRecord
    similarity: float
    weight: float


@dataclass(frozen=True)
class AdjustedEffect:
    """A catalogue effect range moved towards the network's evidence."""

    low: float
    high: float
    central: float
    prior_central: float
    evidence_adjusted: bool
    evidence_weight: float
    used: tuple[WeightedEvidence, ...] = ()


def adjust_effect(
    low: float,
    high: float,
    records: Sequence[EvidenceRecord] | Iterable[EvidenceRecord],
    *,
    context: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
) -> AdjustedEffect:
    """Move a catalogue effect range towards pilot evidence.

    The catalogue's central value ``(low + high) / 2`` counts as ``prior_n`` observations; each
    record counts as ``n_reached x similarity x method_weight`` observations of its
    ``relative_effect``. The central effect is the weighted mean; low and high move by the same
    amount and are kept within 0..1.

    >>> adjust_effect(0.1, 0.2, [], context={}).central
    0.15
    """
    cfg = {**DEFAULT_SETTINGS, **(settings or {})}
    method_weights = {**DEFAULT_SETTINGS["method_weight"], **(cfg.get("method_weight") or {})}
    prior = (float(low) + float(high)) / 2
    prior_n = float(cfg["prior_n"])
    used: list[WeightedEvidence] = []
    for record in records:
        sim = similarity(record, context, settings=cfg)
        if sim < float(cfg["min_similarity"]):
            continue
        weight = record.n_reached * sim * float(method_weights.get(record.method, 0.5))
        if weight > 0:
            used.append(WeightedEvidence(record=record, similarity=sim, weight=weight))
    total = sum(item.weight for item in used)
    if total <= 0:
        return AdjustedEffect(low=float(low), high=float(high), central=prior, prior_central=prior,
                              evidence_adjusted=False, evidence_weight=0.0)
    central = (prior_n * prior + sum(item.weight * item.record.relative_effect for item in used)) / (prior_n + total)
    central = min(1.0, max(0.0, central))
    shift = central - prior
    new_low = min(1.0, max(0.0, float(low) + shift))
    new_high = min(1.0, max(0.0, float(high) + shift))
    used.sort(key=lambda item: (-item.weight, item.record.file))
    return AdjustedEffect(low=min(new_low, central), high=max(new_high, central), central=central,
                          prior_central=prior, evidence_adjusted=True, evidence_weight=total / (prior_n + total),
                          used=tuple(used))


def records_by_measure(records: Iterable[EvidenceRecord]) -> dict[str, list[EvidenceRecord]]:
    """Group records by measure id."""
    grouped: dict[str, list[EvidenceRecord]] = {}
    for record in records:
        grouped.setdefault(record.measure, []).append(record)
    return grouped
