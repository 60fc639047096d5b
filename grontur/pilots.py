"""Pilot evaluation: did the car share change among the employees a pilot reached?

A pilot is recorded in the project configuration (``pilots:`` in ``grontur.yaml``): the measure,
its period and who took part. Participants are selected in the canonical table by workplace, by
job group, or by a column that marks volunteers; several keys combine (a job group at one site).

Three estimates are made for the outcome (by default the share driving a car to work,
``car_alone`` + ``car_shared``, in the season that matches the follow-up survey month):

``before_after``
    change among participants only (no control; credits every change to the pilot).
``reached_vs_not_reached``
    change among participants minus change among the other respondents of the same municipality
    (a difference in differences inside the municipality).
``difference_in_differences``
    change among participants minus change in a comparison municipality without the pilot.

The headline estimate is the most controlled one available, in the order above read backwards.
Intervals are Wald intervals whose variance uses Agresti-Caffo adjusted proportions, treating the
groups as independent samples, less what linked respondents (a panel) take off; a parametric
bootstrap is available as an alternative (``ci_method="bootstrap"``). The estimators are in
:mod:`grontur.stats`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from grontur._yaml import parse as parse_yaml
from grontur.errors import CatalogueError, ConfigError, GronturError
from grontur.i18n import check_language, has, t
from grontur.publish import (
    Derived,
    Fig,
    HiddenTally,
    Ledger,
    Listed,
    Publication,
    check_k,
)
from grontur.schema import SEASONS
from grontur.stats import (
    difference_in_differences,
    paired_change,
    paired_covariance_term,
    round_p,
    round_share,
)
from grontur.threshold import DEFAULT_K
from grontur.waves import (
    OUTCOMES,
    linkable_ids,
    outcome_indicator,
    season_of_month,
    wave_label,
    wave_month,
)

log = logging.getLogger(__name__)

METHODS = ("difference_in_differences", "reached_vs_not_reached", "before_after")
#: Participant keys understood in a pilot's ``participants`` mapping.
PARTICIPANT_KEYS = ("workplace", "job_group", "volunteers", "column", "all", "description")
#: Default column marking volunteers when ``participants: {volunteers: true}``.
VOLUNTEER_COLUMN = "pilot_participant"


class EvidenceConflictError(CatalogueError):
    """An evidence file with the same name already holds a different record."""


@dataclass(frozen=True)
class PilotEffect:
    """The estimated effect of one pilot; :meth:`to_evidence_record` is its evidence file."""

    measure: str
    municipality: dict[str, Any]
    period: dict[str, str | None]
    participants: dict[str, Any]
    context: dict[str, Any]
    outcome: str
    season: str
    before: float | None
    after: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str | None
    estimates: tuple[dict[str, Any], ...] = ()
    groups: dict[str, Any] = field(default_factory=dict)
    by_season: dict[str, Any] = field(default_factory=dict)
    suppressed_cells: int = 0
    note: str | None = None
    source_date: str | None = None

    @property
    def relative_effect(self) -> float | None:
        """``-estimate / before``: the share of baseline car use removed, comparable with the catalogue."""
        if self.estimate is None or not self.before:
            return None
        return round(-self.estimate / self.before, 6) + 0.0  # + 0.0 turns -0.0 into 0.0

    @property
    def significant(self) -> bool | None:
        """Whether the interval excludes zero (``None`` when there is no estimate)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return bool(self.ci_low > 0 or self.ci_high < 0)

    def _record(self) -> dict[str, Any]:
        """The fields shared by ``comparison.json`` and the evidence record."""
        return {
            "measure": self.measure,
            "municipality": dict(self.municipality),
            "period": dict(self.period),
            "participants": dict(self.participants),
            "context": dict(self.context),
            "outcome": self.outcome,
            "season": self.season,
            "before": self.before,
            "after": self.after,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for ``comparison.json`` (``pilots`` list)."""
        return {
            **self._record(),
            "significant": self.significant,
            "relative_effect": self.relative_effect,
            "method": self.method,
            "estimates": [dict(e) for e in self.estimates],
            "groups": dict(self.groups),
            "by_season": dict(self.by_season),
            "note": self.note,
            "suppressed_cells": self.suppressed_cells,
        }

    def to_evidence_record(self) -> dict[str, Any]:
        """The evidence record of ``docs/contracts.md`` (``measures/evidence/*.yaml``)."""
        source = "grontur compare" + (f", {self.source_date}" if self.source_date else "")
        return {**self._record(), "relative_effect": self.relative_effect, "method": self.method, "source": source}


# ---------------------------------------------------------------------------------------------
# Pilot specifications

@dataclass(frozen=True)
class _Spec:
    measure: str
    start: str | None
    end: str | None
    participants: dict[str, Any]
    season: str | None
    outcome: str | None
    lang: str = "nb"


def _iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()[:10]
    return str(value)


def _spec(item: Any, index: int) -> _Spec:
    get = item.get if isinstance(item, Mapping) else (lambda key, default=None: getattr(item, key, default))
    measure = get("measure")
    if not measure:
        msg = f"pilots[{index}]: a pilot needs 'measure' (a catalogue id) and 'participants'."
        raise ConfigError(msg)
    participants = get("participants") or {}
    if not isinstance(participants, Mapping):
        msg = f"pilots[{index}] ({measure}): 'participants' must be a mapping such as {{workplace: Gol sjukeheim}}."
        raise ConfigError(msg)
    unknown = sorted(set(participants) - set(PARTICIPANT_KEYS))
    if unknown:
        msg = (f"pilots[{index}] ({measure}): unknown participants key {unknown[0]!r}; "
               f"use {', '.join(PARTICIPANT_KEYS)}.")
        raise ConfigError(msg)
    season = get("season")
    if season is not None and season not in SEASONS:
        msg = f"pilots[{index}] ({measure}): season {season!r} is unknown; use summer or winter."
        raise ConfigError(msg)
    return _Spec(str(measure), _iso(get("start")), _iso(get("end")), dict(participants), season, get("outcome"))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return [str(value)]


def _fold(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna()).astype(str).str.strip().str.casefold()


def participant_mask(table: pd.DataFrame, participants: Mapping[str, Any], *, measure: str = "") -> pd.Series:
    """Boolean Series: which respondents of ``table`` a pilot reached.

    Keys combine with "and": ``{workplace: [Gol rådhus], job_group: administration}``;
    ``{volunteers: true}`` reads the boolean column ``pilot_participant`` (or the named column);
    ``{column: name}`` reads any boolean column; ``{all: true}`` reaches everyone.
    """
    mask = pd.Series(True, index=table.index)
    selectors = 0
    for key in ("workplace", "job_group"):
        if key not in participants:
            continue
        selectors += 1
        if key not in table.columns:
            msg = f"Pilot {measure}: participants are chosen by {key}, but the survey table has no column {key}; add it to the survey or choose participants another way."
            raise ConfigError(msg)
        wanted = {v.strip().casefold() for v in _as_list(participants[key])}
        mask &= _fold(table[key]).isin(wanted) & table[key].notna()
    column = None
    if participants.get("volunteers") not in (None, False):
        volunteers = participants["volunteers"]
        column = VOLUNTEER_COLUMN if volunteers is True else str(volunteers)
    if participants.get("column"):
        column = str(participants["column"])
    if column is not None:
        selectors += 1
        if column not in table.columns:
            msg = (f"Pilot {measure}: volunteers are marked in the column {column!r}, which the survey table "
                   "does not have; map the participation question to it or name the right column.")
            raise ConfigError(msg)
        values = table[column]
        if values.dtype == object:
            values = values.astype(str).str.strip().str.casefold().isin(["true", "1", "yes", "ja", "y"])
        mask &= values.fillna(False).astype(bool)
    if participants.get("all"):
        selectors += 1
    if selectors == 0:
        msg = (f"Pilot {measure}: say who took part: participants: {{workplace: ...}}, {{job_group: ...}}, "
               "{volunteers: true} or {all: true}.")
        raise ConfigError(msg)
    return mask.astype(bool)


def describe_participants(participants: Mapping[str, Any], lang: str) -> str:
    """Who took part, in ``lang``: workplaces as named, job groups by their label, else "all employees".

    A ``description`` given in the pilot specification is the organiser's own text and is kept as written.
    """
    return _describe_participants(participants, lang)[1]


def _describe_participants(participants: Mapping[str, Any], lang: str) -> tuple[str, str]:
    group: str | None
    if participants.get("description"):
        group = next((k for k in ("workplace", "job_group", "volunteers", "column", "all") if k in participants), "all")
        return ("volunteers" if group == "column" else group), str(participants["description"])
    parts, group = [], None
    if "workplace" in participants:
        group = "workplace"
        parts.append(", ".join(_as_list(participants["workplace"])))
    if "job_group" in participants:
        group = group or "job_group"
        parts.append(", ".join(_job_group_label(code, lang) for code in _as_list(participants["job_group"])))
    if participants.get("volunteers") not in (None, False) or participants.get("column"):
        group = group or "volunteers"
        parts.append(t("pilots.who.volunteers", lang))
    if participants.get("all") or not parts:
        group = group or "all"
        if not parts:
            parts.append(t("pilots.who.all", lang))
    return group or "all", t("pilots.who.join", lang).join(parts)


def _job_group_label(code: str, lang: str) -> str:
    """The questionnaire's label of a job group code; a value that is no code is shown as written."""
    key = f"code.job_group.{code.strip().casefold()}"
    return t(key, lang) if has(key) else code


def _language_of(municipality: Mapping[str, Any]) -> str:
    """The default report language of a municipality (its written standard), bokmål when unknown."""
    from grontur.config import default_language
    from grontur.municipalities import lookup

    number = municipality.get("number")
    if not number:
        return "nb"
    try:
        return default_language(getattr(lookup(str(number)), "written_standard", None))
    except GronturError:
        return "nb"


# ---------------------------------------------------------------------------------------------
# Estimation

def _panel_term(before: pd.DataFrame, after: pd.DataFrame, mask_b: pd.Series, mask_a: pd.Series,
                season: str, outcome: str) -> float:
    """``2 n_ab cov / (n_a n_b)``: what linked respondents take off the variance of a group's change.

    Respondents whose pseudonymous id appears once in each wave (and in the group both times)
    answer twice; their before and after answers are correlated, so the change is estimated more
    precisely than two independent samples would allow (0 when fewer than two are linked;
    :func:`grontur.stats.paired_covariance_term`).
    """
    if "respondent_id" not in before.columns or "respondent_id" not in after.columns:
        return 0.0
    eb, hb = outcome_indicator(before, season, outcome)
    ea, ha = outcome_indicator(after, season, outcome)
    sel_b, sel_a = (mask_b & eb).to_numpy(), (mask_a & ea).to_numpy()
    nb, na = int(sel_b.sum()), int(sel_a.sum())
    if nb == 0 or na == 0:
        return 0.0
    # Only panel codes link a person across waves (export ids are row or submission numbers).
    ids_b, ids_a = linkable_ids(before).to_numpy(), linkable_ids(after).to_numpy()
    sel_b, sel_a = sel_b & pd.notna(ids_b), sel_a & pd.notna(ids_a)
    yb = pd.Series(hb.to_numpy(dtype=float)[sel_b], index=ids_b[sel_b].astype(str))
    ya = pd.Series(ha.to_numpy(dtype=float)[sel_a], index=ids_a[sel_a].astype(str))
    yb = yb[~yb.index.duplicated(keep=False)]
    ya = ya[~ya.index.duplicated(keep=False)]
    common = yb.index.intersection(ya.index)
    return paired_covariance_term(yb.loc[common].to_numpy(), ya.loc[common].to_numpy(), nb, na)


def _estimate_entry(method: str, est: float, low: float, high: float, p: float, **extra: Any) -> dict[str, Any]:
    return {"method": method, "estimate": round_share(est), "ci_low": round_share(low), "ci_high": round_share(high),
            "p_value": round_p(p), **extra}


def pilot_season(start: str | None, end: str | None, *, survey_season: str | None = None) -> str:
    """The season whose answers measure a pilot.

    A pilot that ran only in summer months (April to October) is measured on the summer answers,
    one that ran only in winter months on the winter answers; a pilot spanning both seasons (or
    without dates) on the season of the follow-up survey month, else summer.

    >>> pilot_season("2025-04-01", "2025-10-31", survey_season="winter")
    'summer'
    >>> pilot_season("2025-09-01", "2026-03-31", survey_season="winter")
    'winter'
    """
    try:
        first, last = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    except ValueError:
        return survey_season or "summer"
    if (last - first).days >= 366:
        return survey_season or "summer"
    months = pd.period_range(first, last, freq="M").month
    seasons = {season_of_month(int(m)) for m in months}
    if len(seasons) == 1:
        return seasons.pop()
    return survey_season or "summer"


def _municipality_of(table: pd.DataFrame, given: Mapping[str, Any] | None) -> dict[str, Any]:
    if given:
        return {"number": given.get("number"), "name": given.get("name")}
    number = None
    if "municipality" in table.columns and table["municipality"].notna().any():
        number = str(table["municipality"].dropna().astype(str).mode().iloc[0])
    name = None
    if number is not None:
        try:
            from grontur.municipalities import lookup

            name = lookup(number).name
        except GronturError:  # an unknown number only costs the name
            name = None
    return {"number": number, "name": name}


def _context_of(table: pd.DataFrame, context: Mapping[str, Any] | None,
                municipality: Mapping[str, Any] | None) -> dict[str, Any]:
    ctx = dict(context or {})
    muni = dict(ctx.get("municipality") or {})
    employees = muni.get("employees", ctx.get("employees", (municipality or {}).get("employees")))
    rurality = muni.get("rurality", ctx.get("rurality", (municipality or {}).get("rurality")))
    shift = ctx.get("shift_share")
    if shift is None and "shift_work" in table.columns and table["shift_work"].notna().any():
        shift = float(table["shift_work"].dropna().astype(bool).mean())
    return {"employees": employees, "shift_share": round_share(shift) if shift is not None else None, "rurality": rurality}


def evaluate_pilots(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    pilots: Iterable[Any],
    comparison: tuple[pd.DataFrame, pd.DataFrame | None] | None = None,
    k: int = DEFAULT_K,
    municipality: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    outcome: str = "car_driver_share",
    season: str | None = None,
    ci_method: str = "analytic",
    n_boot: int = 4000,
    random_state: int = 0,
    run_date: str | dt.date | None = None,
    lang: str | None = None,
) -> list[PilotEffect]:
    """Estimate each pilot's effect on the car share of the employees it reached.

    Parameters
    ----------
    before, after
        Canonical tables of the baseline and follow-up wave of the pilot's municipality.
    pilots
        Pilot specifications: mappings (``measure``, ``start``, ``end``, ``participants``, and
        optionally ``season`` and ``outcome``) or :class:`grontur.config.Pilot` objects.
    comparison
        ``(before, after)`` tables of a comparison municipality without the pilot; enables the
        difference-in-differences estimate.
    k
        Privacy threshold, applied by the publication gate to every count the estimates rest on.
    municipality, context
        ``{number, name}`` of the municipality and the ranker context (employees, rurality,
        shift share) copied into the evidence record.
    outcome
        ``car_driver_share`` (default) or ``drive_alone_rate``.
    season
        Season whose answers are used; by default the season of the follow-up survey month.
    ci_method
        ``analytic`` (default) or ``bootstrap``.
    lang
        Language of the participants' description (nn, nb or en); by default the written standard
        of the municipality, as for its reports.

    The counts are registered with a ledger per wave table and published on their own; a run
    registers them with its own ledgers (:func:`register_pilots`, through the comparison).
    """
    k = check_k(k)
    ledgers = (Ledger(len(before), k), Ledger(len(after), k))
    drafts = register_pilots(before, after, pilots=pilots, ledgers=ledgers, comparison=comparison,
                             municipality=municipality, context=context, outcome=outcome, season=season,
                             ci_method=ci_method, n_boot=n_boot, random_state=random_state, run_date=run_date,
                             lang=lang)
    publication = ledgers[0].decide().with_other(ledgers[1].decide(), *drafts.publications())
    return drafts.publish(publication)


class PilotDrafts:
    """Pilot estimates whose counts are registered with the gate but not yet decided.

    The pilot municipality's counts are in the ledgers of its two waves (given to
    :func:`register_pilots`); the comparison municipality's in a ledger per table of its own,
    which only the pilots fill (:meth:`publications`)."""

    def __init__(self, drafts: list[dict[str, Any]], control_ledgers: Sequence[Ledger]) -> None:
        self.drafts = drafts
        self._control = list(control_ledgers)
        self._decided: list[Publication] | None = None

    def publications(self) -> list[Publication]:
        """The decisions of the comparison municipality's ledgers."""
        if self._decided is None:
            self._decided = [ledger.decide() for ledger in self._control]
        return self._decided

    def publish(self, publication: Publication) -> list[PilotEffect]:
        """The effects as the gate decided (``publication`` covers every ledger involved)."""
        return [_effect(publication.resolve(draft)) for draft in self.drafts]


def register_pilots(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    pilots: Iterable[Any],
    ledgers: tuple[Ledger, Ledger],
    comparison: tuple[pd.DataFrame, pd.DataFrame | None] | None = None,
    municipality: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    outcome: str = "car_driver_share",
    season: str | None = None,
    ci_method: str = "analytic",
    n_boot: int = 4000,
    random_state: int = 0,
    run_date: str | dt.date | None = None,
    lang: str | None = None,
) -> PilotDrafts:
    """Register every count the pilots' estimates rest on: ``ledgers`` are the ledgers of
    ``before`` and ``after`` (see :func:`evaluate_pilots` for the other arguments)."""
    if ci_method not in ("analytic", "bootstrap"):
        msg = f"ci_method {ci_method!r} is unknown; use analytic or bootstrap."
        raise ConfigError(msg)
    rng = np.random.default_rng(random_state)
    muni = _municipality_of(before, municipality)
    ctx = _context_of(before, context, municipality)
    language = check_language(lang) if lang is not None else _language_of(muni)
    survey_season = season_of_month(wave_month(wave_label(after)))
    control = None
    control_ledgers: list[Ledger] = []
    if comparison is not None and comparison[0] is not None and comparison[1] is not None:
        k = ledgers[0].k
        control_ledgers = [Ledger(len(comparison[0]), k), Ledger(len(comparison[1]), k)]
        control = _Tables(comparison[0], comparison[1], control_ledgers[0], control_ledgers[1])
    waves = _Tables(before, after, *ledgers)
    drafts = []
    for index, item in enumerate(pilots):
        spec = dataclasses.replace(_spec(item, index), lang=language)
        out = spec.outcome or outcome
        if out not in OUTCOMES:
            msg = f"Pilot {spec.measure}: outcome {out!r} is unknown; use {' or '.join(OUTCOMES)}."
            raise ConfigError(msg)
        chosen = spec.season or season or pilot_season(spec.start, spec.end, survey_season=survey_season)
        reached_b = participant_mask(before, spec.participants, measure=spec.measure)
        reached_a = participant_mask(after, spec.participants, measure=spec.measure)
        results = {s: _estimate_season(waves, reached_b, reached_a, spec, control=control, outcome=out, season=s,
                                       ci_method=ci_method, n_boot=n_boot, rng=rng) for s in SEASONS}
        drafts.append({"measure": spec.measure, "municipality": muni, "period": {"start": spec.start, "end": spec.end},
                       "context": ctx, "outcome": out, "season": chosen, "results": results,
                       "source_date": _iso(run_date)})
    log.info("registered %d pilots", len(drafts))
    return PilotDrafts(drafts, control_ledgers)


@dataclass(frozen=True)
class _Tables:
    """A municipality's two wave tables with the ledgers their counts are registered with."""

    before: pd.DataFrame
    after: pd.DataFrame
    ledger_before: Ledger
    ledger_after: Ledger


_Figs = tuple[Fig, Fig, Fig, Fig]


def _group_figs(waves: _Tables, mask_b: pd.Series, mask_a: pd.Series, season: str, outcome: str,
                tag: tuple[Any, ...]) -> _Figs:
    """``(x_before, n_before, x_after, n_after)``: a group's counts of the outcome in both waves,
    registered with each wave's ledger (a yes/no share of each)."""
    out: list[Fig] = []
    for table, ledger, mask in ((waves.before, waves.ledger_before, mask_b), (waves.after, waves.ledger_after, mask_a)):
        eligible, hit = outcome_indicator(table, season, outcome)
        selected = mask.to_numpy(dtype=bool)
        n = ledger.base(eligible.to_numpy(dtype=bool) & selected, tag=(*tag, "n"))
        x = ledger.count(hit.to_numpy(dtype=bool) & selected, tag=tag)
        ledger.subset(x, n)
        out.extend((x, n))
    return out[0], out[1], out[2], out[3]


def _values(figs: _Figs) -> tuple[int, int, int, int]:
    return figs[0].n, figs[1].n, figs[2].n, figs[3].n


def _share(x: Fig, n: Fig) -> Derived:
    return Derived(round_share(x.n / n.n) if n.n else None, (x, n))


def _estimate_season(waves: _Tables, reached_b: pd.Series, reached_a: pd.Series, spec: _Spec, *, control: _Tables | None,
                     outcome: str, season: str, ci_method: str, n_boot: int, rng: np.random.Generator) -> dict[str, Any]:
    before, after = waves.before, waves.after
    tag = ("pilot", spec.measure, season, outcome)
    r_f = _group_figs(waves, reached_b, reached_a, season, outcome, (*tag, "reached"))
    o_f = _group_figs(waves, ~reached_b, ~reached_a, season, outcome, (*tag, "not_reached"))
    r, o = _values(r_f), _values(o_f)
    # Reached and not reached add up to the whole wave, whose share the comparison publishes.
    everyone = pd.Series(True, index=before.index), pd.Series(True, index=after.index)
    all_f = _group_figs(waves, *everyone, season, outcome, ("pilot", season, outcome, "everyone"))
    for whole, part_r, part_o in zip(all_f, r_f, o_f, strict=True):
        ledger = waves.ledger_before if whole.ledger == waves.ledger_before.serial else waves.ledger_after
        ledger.partition(whole, [part_r, part_o])
    group, description = _describe_participants(spec.participants, spec.lang)
    participants = {
        "group": group,
        "description": description,
        "n_reached": r_f[3],
        "n_reached_before": r_f[1],
        "n_not_reached": o_f[3],
        "n_not_reached_before": o_f[1],
    }
    groups: dict[str, Any] = {}
    estimates: list[Listed] = []
    figures: list[Fig] = [*r_f, *o_f]
    # Each estimate is a difference of the shares it combines, and its interval is a function of
    # them: it is published only when every count it rests on is.
    if r[1] and r[3]:
        groups["reached"] = _group_entry(r_f)
        term_r = _panel_term(before, after, reached_b, reached_a, season, outcome)
        estimates.append(Listed(_estimate_entry("before_after", *paired_change(r, term_r)), r_f))
        if o[1] and o[3]:
            groups["not_reached"] = _group_entry(o_f)
            term_o = _panel_term(before, after, ~reached_b, ~reached_a, season, outcome)
            estimates.append(Listed(_estimate_entry("reached_vs_not_reached", *difference_in_differences(
                (r, o), ci_method=ci_method, n_boot=n_boot, rng=rng, panel_terms=(term_r, term_o))), (*r_f, *o_f)))
        found = _control_counts(control, spec, season, outcome) if control is not None else None
        if found is not None:
            c_f, term_c = found
            figures.extend(c_f)
            groups["comparison"] = _group_entry(c_f)
            estimates.append(Listed(_estimate_entry("difference_in_differences", *difference_in_differences(
                (r, _values(c_f)), ci_method=ci_method, n_boot=n_boot, rng=rng, panel_terms=(term_r, term_c))),
                (*r_f, *c_f)))
    return {
        "participants": participants,
        "groups": groups,
        "estimates": estimates,
        "before": _share(r_f[0], r_f[1]),
        "after": _share(r_f[2], r_f[3]),
        "hidden": HiddenTally(tuple(figures)),
        "reached": r[1] + r[3],
    }


def _headline(result: Mapping[str, Any]) -> dict[str, Any] | None:
    return next((e for m in METHODS for e in result["estimates"] if e["method"] == m), None)


def _effect(draft: Mapping[str, Any]) -> PilotEffect:
    """A pilot's effect from its published (resolved) figures."""
    season = draft["season"]
    results = draft["results"]
    main = results[season]
    headline = _headline(main)
    by_season = {}
    for s, res in results.items():
        best = _headline(res)
        by_season[s] = {
            "before": res["before"],
            "after": res["after"],
            **({key: best[key] for key in ("method", "estimate", "ci_low", "ci_high", "p_value")} if best
               else {"method": None, "estimate": None, "ci_low": None, "ci_high": None, "p_value": None}),
        }
    note = None
    if not main["estimates"]:
        participants = main["participants"]
        if not main["reached"]:
            note = "no_participants"
        elif participants["n_reached"] is None or participants["n_reached_before"] is None:
            note = "too_few_participants"
        else:
            note = "shares_hidden"
    return PilotEffect(
        measure=draft["measure"],
        municipality=dict(draft["municipality"]),
        period=dict(draft["period"]),
        participants=main["participants"],
        context=dict(draft["context"]),
        outcome=draft["outcome"],
        season=season,
        before=main["before"],
        after=main["after"],
        estimate=headline["estimate"] if headline else None,
        ci_low=headline["ci_low"] if headline else None,
        ci_high=headline["ci_high"] if headline else None,
        p_value=headline["p_value"] if headline else None,
        method=headline["method"] if headline else None,
        estimates=tuple(main["estimates"]),
        groups=main["groups"],
        by_season=by_season,
        suppressed_cells=int(sum(res["hidden"] for res in results.values())),
        note=note,
        source_date=draft["source_date"],
    )


def _group_entry(figs: _Figs) -> dict[str, Any]:
    """Sizes and shares of one group in both waves."""
    xb, nb, xa, na = figs
    return {"n_before": nb, "n_after": na, "before": _share(xb, nb), "after": _share(xa, na)}


def _control_counts(control: _Tables, spec: _Spec, season: str, outcome: str) -> tuple[_Figs, float] | None:
    """Counts (and panel term) in the comparison municipality: the same job group when participants
    are one and it may be shown in both waves, else everyone."""
    cb, ca = control.before, control.after
    candidates = []
    if "job_group" in spec.participants and "job_group" in cb.columns and "job_group" in ca.columns:
        same = {"job_group": spec.participants["job_group"]}
        candidates.append((participant_mask(cb, same, measure=spec.measure), participant_mask(ca, same, measure=spec.measure)))
    candidates.append((pd.Series(True, index=cb.index), pd.Series(True, index=ca.index)))
    for mask_b, mask_a in candidates:
        sizes = [int((outcome_indicator(t, season, outcome)[0] & m).sum()) for t, m in ((cb, mask_b), (ca, mask_a))]
        # choosing which group to list before the gate decides (it may still hide it)
        if all(n and control.ledger_before.may_show(n) for n in sizes):
            figs = _group_figs(control, mask_b, mask_a, season, outcome, ("pilot", spec.measure, season, outcome, "comparison"))
            return figs, _panel_term(cb, ca, mask_b, mask_a, season, outcome)
    return None


# ---------------------------------------------------------------------------------------------
# Evidence files

_ASCII = str.maketrans({"å": "a", "æ": "ae", "ø": "o", "ä": "a", "ö": "o", "ü": "u", "é": "e"})


def evidence_filename(record: Mapping[str, Any]) -> str:
    """``<measure>-<municipality number>-<period start>.yaml``, lower-case and file-safe."""
    muni = record.get("municipality") or {}
    period = record.get("period") or {}
    parts = [record.get("measure"), muni.get("number") or muni.get("name"), period.get("start")]
    stem = "-".join(str(p) for p in parts if p)
    stem = stem.casefold().translate(_ASCII)
    stem = re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-")
    return f"{stem or 'evidence'}.yaml"


def _normalise(record: Mapping[str, Any]) -> Any:
    return parse_yaml(yaml.safe_dump(dict(record), allow_unicode=True, sort_keys=False))


def write_evidence(records: Iterable[Mapping[str, Any] | PilotEffect], directory: str | Path, *,
                   overwrite: bool = False) -> list[Path]:
    """Write evidence records as YAML files in ``directory``, atomically.

    Records without an estimate are skipped. A file that already holds the same record is left
    alone; one holding a different record raises :class:`EvidenceConflictError` unless
    ``overwrite`` is true. Returns the paths of the records now on disk.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in records:
        record = item.to_evidence_record() if isinstance(item, PilotEffect) else dict(item)
        if record.get("estimate") is None:
            log.info("evidence for %s not written: no estimate", record.get("measure"))
            continue
        path = directory / evidence_filename(record)
        text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
        if path.exists():
            try:
                existing = parse_yaml(path.read_text(encoding="utf-8"))
            except yaml.YAMLError:
                existing = None
            if existing == _normalise(record):
                paths.append(path)
                continue
            if not overwrite:
                msg = (f"{path}: this evidence file already holds a different record for {record.get('measure')}; "
                       "move it away or rerun with overwrite (--overwrite-evidence) to replace it.")
                raise EvidenceConflictError(msg)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths.append(path)
    log.info("wrote %d evidence records to %s", len(paths), directory)
    return paths
