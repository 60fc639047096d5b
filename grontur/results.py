"""The results model: what one municipality's analysis publishes, as frozen typed values.

:class:`Results` is built once by :func:`grontur.pipeline.analyse_imported` after the
publication gate has decided every figure, and :meth:`Results.to_json` gives the content of
``results.json``. The file's format is :data:`RESULTS_FORMAT`; its JSON Schema ships in the
package (``grontur/results.schema.json``, checked by :mod:`grontur.results_schema`) and
``docs/results-schema.md`` is generated from that schema.

The account of respondents, the named bases, the privacy and quality summaries, the municipality
and the site context are typed here. The sections the analysis stages own (habits, emissions,
potential, geo, segments, measures, anchoring plan, comparison) are carried as the plain data the
stages return, already resolved by the publication gate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Final

import numpy as np
import pandas as pd

#: The format of ``results.json``: bump it whenever a field is added, removed or changes meaning.
RESULTS_FORMAT: Final = "grontur.results/2"


# ---------------------------------------------------------------------------------------------
# JSON hygiene

#: The types :func:`to_jsonable` gives back as they are (checked by exact type: a NumPy scalar is none).
_PLAIN: Final = frozenset({str, int, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Turn NumPy scalars, NaN, dates and tuples into plain JSON values."""
    # Plain Python values first, by exact type: a results dict has some ten thousand of them per
    # municipality, and the abstract-class checks below cost more than the values themselves.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(key): item if type(item) in _PLAIN else to_jsonable(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [item if type(item) in _PLAIN else to_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) and not isinstance(value, str):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(item) for item in items]
    if isinstance(value, np.ndarray):
        return [to_jsonable(item) for item in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()[:10]
    if isinstance(value, Path):
        return value.name
    return value


def published_section(section: Any, hidden: list[int]) -> Any:
    """A results section as plain JSON values (:func:`to_jsonable`), adding up the
    ``suppressed_cells`` counts found in it into ``hidden[0]`` on the same walk.

    A count is read from every mapping (a mapping's own ``suppressed_cells`` is an integer, not
    a bool) reached through mappings and lists from the section.
    """
    kind = type(section)
    if kind in _PLAIN:
        return section
    if kind is float:
        return section if math.isfinite(section) else None
    if kind is dict or isinstance(section, Mapping):
        own = section.get("suppressed_cells")
        if own is not None and isinstance(own, (int, np.integer)) and not isinstance(own, bool):
            hidden[0] += int(own)
        # A section holds some ten thousand values: the plain ones are taken as they are here,
        # without a call each (the same values the calls would give).
        return {key if type(key) is str else str(key):
                item if type(item) in _PLAIN else
                to_jsonable(item) if key == "suppressed_cells" else published_section(item, hidden)
                for key, item in section.items()}
    if kind is list or isinstance(section, list):
        return [item if type(item) in _PLAIN else published_section(item, hidden) for item in section]
    return to_jsonable(section)


def _tally(values: pd.Series) -> dict[str, int]:
    """How many times each code (a text) occurs, missing ones left out, in the order of the codes."""
    counted = Counter(value for value in values.tolist() if isinstance(value, str))
    return {str(value): count for value, count in sorted(counted.items())}


def sum_suppressed(section: Any) -> int:
    """Add up every ``suppressed_cells`` count found in a results section."""
    hidden = [0]
    published_section(section, hidden)
    return hidden[0]


# ---------------------------------------------------------------------------------------------
# The typed parts


@dataclass(frozen=True)
class Municipality:
    """The municipality analysed: kommunenummer (4 digits), name, and the report language."""

    number: str
    name: str
    language: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "language": self.language}


@dataclass(frozen=True)
class RespondentAccount:
    """Every input row accounted for: ``input_rows == kept + quarantined``.

    ``quarantine_reasons`` counts rows set aside by reason (rows, not people described: a count
    of 1 names nobody); ``response_rate`` is kept respondents per employee, ``None`` without a
    head count.
    """

    input_rows: int
    kept: int
    quarantined: int
    quarantine_reasons: Mapping[str, int]
    employees: int | None
    response_rate: float | None

    @classmethod
    def of_import(cls, imported: Any, employees: int | None) -> RespondentAccount:
        """The account of an :class:`grontur.importing.ImportResult`, with the head count."""
        account = imported.account
        kept = int(account["kept"])
        return cls(
            input_rows=int(account["input_rows"]),
            kept=kept,
            quarantined=int(account["quarantined"]),
            quarantine_reasons=_tally(imported.quarantine["reason"]),
            employees=employees,
            response_rate=(kept / employees) if employees else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "input_rows": self.input_rows,
            "kept": self.kept,
            "quarantined": self.quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "employees": self.employees,
            "response_rate": self.response_rate,
        }


@dataclass(frozen=True)
class Base:
    """A named base population (:mod:`grontur.bases`) a run counted figures over, with its
    published size (``None`` when the publication gate hides it)."""

    name: str
    n: int | None

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n}


@dataclass(frozen=True)
class PrivacySummary:
    """The project's k, how many cells of the published sections are hidden, and the input
    columns dropped on import because they could identify someone."""

    k: int
    suppressed_cells: int
    dropped_columns: tuple[Mapping[str, str], ...]

    @classmethod
    def of_sections(cls, k: int, sections: Iterable[Any], dropped_columns: Iterable[Mapping[str, str]]
                    ) -> PrivacySummary:
        """The summary of resolved ``sections``: their ``suppressed_cells`` counts added up."""
        return cls(k=k, suppressed_cells=sum(sum_suppressed(section) for section in sections),
                   dropped_columns=tuple(dropped_columns))

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "suppressed_cells": self.suppressed_cells,
                "dropped_columns": [dict(item) for item in self.dropped_columns]}


@dataclass(frozen=True)
class QualitySummary:
    """Problems found in the input (``quality.csv`` lists them row by row) and the mapping report."""

    problems: int
    by_problem: Mapping[str, int]
    mapping: Mapping[str, Any]

    @classmethod
    def of_issues(cls, issues: pd.DataFrame, mapping_report: Mapping[str, Any]) -> QualitySummary:
        return cls(problems=len(issues), by_problem=_tally(issues["problem"]) if len(issues) else {},
                   mapping=mapping_report)

    def to_json(self) -> dict[str, Any]:
        return {"problems": self.problems, "by_problem": dict(self.by_problem), "mapping": self.mapping}


@dataclass(frozen=True)
class SiteContext:
    """What the ranking assumed about the sites (project settings, else read from the answers)."""

    transit_service: str
    parking_at_work: str
    facilities: Mapping[str, bool]
    shift_share: float | None
    respondents: int
    #: Where each fact came from: given (project or command line), answers, or assumed.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The facts not given and so assumed (the report says so).
    assumed: tuple[str, ...] = ()
    #: Facilities the project did not say the site has or lacks.
    facilities_not_given: tuple[str, ...] = ()

    @classmethod
    def of_context(cls, context: Mapping[str, Any]) -> SiteContext:
        """From the ranker's context (:func:`grontur.pipeline.build_context`)."""
        return cls(transit_service=context["transit_service"], parking_at_work=context["parking_at_work"],
                   facilities=dict(context["facilities"]), shift_share=context["shift_share"],
                   respondents=int(context["respondents"]), sources=dict(context.get("sources") or {}),
                   assumed=tuple(context.get("assumed") or ()),
                   facilities_not_given=tuple(context.get("facilities_not_given") or ()))

    def to_json(self) -> dict[str, Any]:
        return {"transit_service": self.transit_service, "parking_at_work": self.parking_at_work,
                "facilities": dict(self.facilities), "shift_share": self.shift_share,
                "respondents": self.respondents, "sources": dict(self.sources), "assumed": list(self.assumed),
                "facilities_not_given": list(self.facilities_not_given)}


@dataclass(frozen=True)
class Results:
    """Everything ``results.json`` holds for one municipality.

    The stage sections are the resolved plain data of their stages: ``habits``
    (:func:`grontur.describe.describe`), ``mode_share`` (from habits), ``emissions``,
    ``potential``, ``segments`` and ``segmentation``, ``measures``, ``excluded_measures`` and
    ``packages`` (the ranking), ``plan`` (the measures recommended now, :mod:`grontur.plan`), ``anchoring_plan``, ``geo`` (``None`` without geodata) and
    ``comparison`` (``None`` without a follow-up wave). ``k`` is the project's privacy
    threshold and ``dropped_columns`` the input columns dropped on import; :attr:`privacy`
    sums up the hidden cells of the sections.
    """

    generated: dt.date
    municipality: Municipality
    respondents: RespondentAccount
    mode_share: Mapping[str, Any]
    habits: Mapping[str, Any]
    emissions: Mapping[str, Any]
    potential: Mapping[str, Any]
    segments: Sequence[Any]
    segmentation: Mapping[str, Any]
    measures: Sequence[Any]
    excluded_measures: Sequence[Any]
    packages: Mapping[str, Any]
    plan: Mapping[str, Any]
    anchoring_plan: Sequence[Any]
    bases: tuple[Base, ...]
    quality: QualitySummary
    k: int
    dropped_columns: tuple[Mapping[str, str], ...]
    context: SiteContext
    geo: Mapping[str, Any] | None = None
    comparison: Mapping[str, Any] | None = field(default=None)

    #: The sections whose hidden cells :attr:`privacy` counts, by attribute name.
    STAGE_SECTIONS: ClassVar[tuple[str, ...]] = (
        "habits", "emissions", "potential", "segments", "segmentation", "measures", "excluded_measures",
        "packages", "plan", "anchoring_plan", "geo")

    def stage_sections(self) -> list[Any]:
        """The sections whose hidden cells :attr:`privacy` counts."""
        return [getattr(self, name) for name in self.STAGE_SECTIONS if name != "geo" or self.geo is not None]

    @property
    def privacy(self) -> PrivacySummary:
        """k, the hidden cells of every stage section, and the columns dropped on import."""
        return PrivacySummary.of_sections(self.k, self.stage_sections(), self.dropped_columns)

    def base(self, name: str) -> Base:
        """The named base ``name`` (KeyError when the run did not use it)."""
        for base in self.bases:
            if base.name == name:
                return base
        raise KeyError(name)

    def with_comparison(self, comparison: Mapping[str, Any] | None) -> Results:
        """These results with the comparison of a follow-up wave (``comparison.json``)."""
        return replace(self, comparison=comparison)

    def to_json(self) -> dict[str, Any]:
        """The content of ``results.json`` (plain JSON values, in the file's key order).

        Each section is walked once: made plain while its hidden cells are counted for
        ``privacy`` (:func:`published_section`).
        """
        hidden = [0]
        stages = {name: published_section(getattr(self, name), hidden) for name in self.STAGE_SECTIONS
                  if name != "geo" or self.geo is not None}
        out: dict[str, Any] = {
            "schema": RESULTS_FORMAT,
            "generated": self.generated.isoformat(),
            "municipality": to_jsonable(self.municipality.to_json()),
            "respondents": to_jsonable(self.respondents.to_json()),
            "mode_share": to_jsonable(self.mode_share),
        }
        out.update(stages)  # in the file's order
        out["bases"] = to_jsonable({base.name: base.to_json() for base in self.bases})
        out["quality"] = to_jsonable(self.quality.to_json())
        privacy = PrivacySummary(k=self.k, suppressed_cells=hidden[0], dropped_columns=tuple(self.dropped_columns))
        out["privacy"] = to_jsonable(privacy.to_json())
        out["context"] = to_jsonable(self.context.to_json())
        if self.comparison is not None:
            out["comparison"] = to_jsonable(self.comparison)
        return out
