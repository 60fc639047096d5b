"""Compare two survey waves: what changed between a baseline and a follow-up.

Both inputs are canonical response tables (:mod:`grontur.schema`). The two waves are treated as
independent samples (two-proportion z-tests, Newcombe hybrid-score intervals for differences of
proportions, chi-square over a whole mode distribution, Welch intervals for means; all from
:mod:`grontur.stats`). When the pseudonymous ``respondent_id`` links people across the waves,
the linked part (the panel) is also analysed with McNemar's test on paired car/no-car answers,
and the unlinked parts separately. Only pseudonyms made from a panel code link people
(:func:`grontur.waves.linkable_ids`): an export's own id is
a submission or row number that means nothing across files.

Nothing here decides what is shown. Every count of the baseline is registered with the ledger of
the baseline's table (in a run, the run's ledger, where the habits section registered the same
cells), every count of the follow-up with a ledger over the follow-up table, and every figure
that rests on both waves (a difference, interval, p-value, pilot effect) names the counts of
both (:mod:`grontur.publish`): a figure hidden anywhere is hidden here, and a difference is
hidden when either wave's figure is. Hidden figures are ``None`` and counted in
``suppressed_cells``; a group hidden in both waves is left out by name. Sentences are never stored here: comparability warnings are codes with
values, which :mod:`grontur.report.comparison` turns into text from the translation catalogue.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from grontur import describe
from grontur.errors import MappingError, MissingColumnError
from grontur.pilots import register_pilots
from grontur.publish import (
    Derived,
    Fig,
    HiddenTally,
    Ledger,
    Listed,
    Publication,
    check_k,
)
from grontur.schema import COLUMNS, MODES, SEASONS
from grontur.stats import (
    chi_square_test,
    mcnemar_p,
    newcombe_difference,
    newcombe_paired_difference,
    poststratified_change,
    round_p,
    round_share,
    two_proportion_p,
    welch_difference,
)
from grontur.threshold import DEFAULT_K
from grontur.waves import (
    linkable_ids,
    outcome_indicator,
    season_of_month,
    wave_label,
    wave_month,
)

log = logging.getLogger(__name__)

SCHEMA = "grontur.comparison/1"

#: Thresholds for comparability warnings. They are judgement calls (assumptions), not facts, and
#: can be overridden through ``compare_waves(..., thresholds=...)``.
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    # months between the two survey months (circular) before the season is said to differ
    "season_months": 2,
    # absolute change in response rate (fraction) that is worth a warning
    "response_rate_change": 0.10,
    # significance level for the composition chi-square test: the mix is called different below it
    "composition_alpha": 0.05,
}

#: Groupings reported in ``breakdowns`` when the column is present in both waves.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("segment", "workplace", "job_group")

def _r(value: Any) -> float | None:
    """:func:`grontur.stats.round_share`, with ``None`` for a figure that cannot be computed."""
    return None if value is None else round_share(value)


def _rp(value: Any) -> float | None:
    return None if value is None else round_p(value)


def change_entry(ledgers: tuple[Ledger, Ledger], xb: Fig, nb: Fig, xa: Fig, na: Fig, *,
                 needs: tuple[tuple[Fig, ...], tuple[Fig, ...]] = ((), ())) -> dict[str, Any]:
    """One before/after yes/no share with its difference, interval and p-value.

    ``xb`` of ``nb`` are counts of the baseline's ledger, ``xa`` of ``na`` of the follow-up's;
    the shares are declared to the gate (the yes/no rule) and each wave's share is shown only when
    its counts (and ``needs``) are; so is each wave's ``n``. The difference, its interval and p-value rest on both waves:
    they are hidden when either share is.
    """
    ledgers[0].subset(xb, nb)
    ledgers[1].subset(xa, na)
    before, after = (xb, nb, *needs[0]), (xa, na, *needs[1])
    both = (*before, *after)
    diff = low = high = p = None
    if nb.n and na.n:
        diff, low, high = newcombe_difference(xb.n, nb.n, xa.n, na.n)
        p = two_proportion_p(xb.n, nb.n, xa.n, na.n)
    return {
        "before": Derived(_r(xb.n / nb.n) if nb.n else None, before),
        "after": Derived(_r(xa.n / na.n) if na.n else None, after),
        "diff": Derived(_r(diff), both),
        "ci_low": Derived(_r(low), both),
        "ci_high": Derived(_r(high), both),
        "p_value": Derived(_rp(p), both),
        "n_before": Derived(nb.n, before[1:]),
        "n_after": Derived(na.n, after[1:]),
    }


# ---------------------------------------------------------------------------------------------
# Input checks

def _check_table(table: pd.DataFrame, which: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        msg = f"The {which} wave must be a canonical response table (a DataFrame), not {type(table).__name__}."
        raise MappingError(msg)
    if not any(f"mode_{s}" in table.columns for s in SEASONS):
        msg = (f"The {which} wave has no column mode_summer or mode_winter: "
               "import the export with 'grontur import' so the main modes are coded.")
        raise MissingColumnError(msg)
    for season in SEASONS:
        column = f"mode_{season}"
        if column not in table.columns:
            continue
        values = table[column].dropna().astype(str)
        unknown = values[~values.isin(MODES)]
        if len(unknown):
            row = unknown.index[0]
            msg = (f"The {which} wave holds the unknown mode code {unknown.iloc[0]!r} in column {column} "
                   f"(row {row}); use the codes of grontur/schema.py or import the export again.")
            raise MappingError(msg)
    return table


# ---------------------------------------------------------------------------------------------
# Sections
#
# Every count of a wave is registered with that wave's ledger together with the respondents it
# counts: the baseline's with the run's ledger (the same cells the habits section registers, so
# the two cannot disagree), the follow-up's with a ledger over the follow-up table. Figures that
# rest on both waves are Derived from the counts of both.


@dataclass
class _Wave:
    """One wave's table, its ledger and the counts every section shares (the mode rows)."""

    table: pd.DataFrame
    ledger: Ledger
    rows: Any
    everyone: Fig
    modes: dict[str, tuple[Fig, dict[str, Fig], Fig]]

    @property
    def n(self) -> int:
        return len(self.table)

    def nobody(self, tag: tuple[Any, ...]) -> Fig:
        return self.ledger.count(np.zeros(self.n, dtype=bool), tag=tag)


def _wave(table: pd.DataFrame, ledger: Ledger) -> _Wave:
    rows = describe.wave_rows(table)
    everyone_mask = np.ones(len(table), dtype=bool)
    wave = _Wave(table, ledger, rows, ledger.named("respondents", table), {})
    for season in SEASONS:
        ledger.named(f"mode_known_{season}", table)
        base, cells, drivers = rows.mode_row(ledger, season, everyone_mask, ("modes",))
        cells = {m: cells[m] if m in cells else wave.nobody(("modes", season, m)) for m in MODES}
        wave.modes[season] = (base, cells, drivers)
    return wave


def _both(wb: _Wave, wa: _Wave) -> tuple[Ledger, Ledger]:
    return wb.ledger, wa.ledger


def _mode_share_change(wb: _Wave, wa: _Wave) -> dict[str, Any]:
    """Mode shares per season and wave: the habits section's mode rows of each wave."""
    out: dict[str, dict[str, Any]] = {}
    for season in SEASONS:
        base_b, cells_b, _ = wb.modes[season]
        base_a, cells_a, _ = wa.modes[season]
        if base_b.n == 0 and base_a.n == 0:
            continue
        out[season] = {mode: change_entry(_both(wb, wa), cells_b[mode], base_b, cells_a[mode], base_a)
                       for mode in MODES if cells_b[mode].n or cells_a[mode].n}
    return out


def _distribution_test(publication: Publication, wb: _Wave, wa: _Wave, season: str) -> dict[str, Any]:
    """Chi-square test of the mode distributions of two waves, from what the gate shows.

    Modes whose count is hidden in either wave are tested as one category: their total is the
    wave's total minus the shown modes, so the statistic is computed from published figures only
    and cannot be solved for a hidden count. Without both waves' totals there is no test.
    """
    base_b, cells_b, _ = wb.modes[season]
    base_a, cells_a, _ = wa.modes[season]
    none = {"chi2": None, "dof": None, "p_value": None, "small_expected": None}
    merge = sorted(m for m in MODES if (cells_b[m].n or cells_a[m].n)
                   and not (publication.shown(cells_b[m]) and publication.shown(cells_a[m])))
    if not (publication.shown(base_b) and publication.shown(base_a)):
        return {**none, "merged_hidden_modes": bool(merge)}
    table = pd.DataFrame({"before": {m: cells_b[m].n for m in MODES}, "after": {m: cells_a[m].n for m in MODES}})
    if merge:
        table = pd.concat([table.drop(index=merge), table.loc[merge].sum().to_frame("\0hidden").T])
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2 or table["before"].sum() == 0 or table["after"].sum() == 0:
        return {**none, "merged_hidden_modes": bool(merge)}
    result = chi_square_test(table.to_numpy(dtype=float).T)
    return {
        "chi2": round_share(result.statistic),
        "dof": result.dof,
        "p_value": round_p(result.p_value),
        # the chi-square approximation is doubtful when expected counts are small
        "small_expected": result.small_expected,
        "merged_hidden_modes": bool(merge),
    }


def _group_codes(values: pd.Series, groups: pd.Index) -> np.ndarray:
    """Position of each row's group in ``groups`` (-1 when missing), for :func:`numpy.bincount`."""
    raw = values.to_numpy(dtype=object)
    known = pd.notna(raw)
    codes = np.full(len(raw), -1, dtype=np.int64)
    # pandas takes any array-like; the stub asks for an Index
    codes[known] = groups.get_indexer(raw[known].astype(str))  # type: ignore[arg-type]
    return codes


def _travels(wave: _Wave, season: str) -> Fig:
    """Those who travelled in the season (a mode, not remote), the drive-alone rate's ``n``.
    Beside those who gave a mode it gives the remote workers back: it is a count (hidden before
    a base), and it is shown only with the remote workers' count."""
    eligible, _ = outcome_indicator(wave.table, season, "drive_alone_rate")
    return wave.ledger.count(eligible.to_numpy(dtype=bool), tag=("modes", season, "travels"))


def _drive_alone_change(wb: _Wave, wa: _Wave) -> dict[str, Any]:
    """Drive-alone trips / all trips, weighted by days on site: the habits section's rate.

    The tests use Kish's effective sample size of the trip weights in place of ``n``.
    """
    out: dict[str, Any] = {"weighting": "trips"}
    for season in SEASONS:
        found = []
        for wave in (wb, wa):
            base = _travels(wave, season)
            _, cells, _ = wave.modes[season]
            # the habits section's rate, resting on the same counts (lone drivers, remote workers)
            rate, needs = wave.rows.alone_rate(wave.ledger, [season], np.ones(wave.n, dtype=bool),
                                               [cells[m] for m in ("car_alone", "remote") if cells[m].n or m in wave.rows.modes])
            trips = wave.rows.trips[season]
            total, sq = float(trips.sum()), float((trips**2).sum())
            # the rate rests on the counts the habits section's rate rests on (the same figure)
            # ``n`` beside those who gave a mode gives the remote workers: shown with them only
            found.append((Derived(base.n, (base, cells["remote"])), rate, total**2 / sq if sq > 0 else 0.0, needs,
                          (base, cells["remote"])))
        (nb, rb, neb, needs_b, counts_b), (na, ra, nea, needs_a, counts_a) = found
        if nb.value == 0 and na.value == 0:
            continue
        both = (*needs_b, *needs_a)
        diff = low = high = p = None
        if rb is not None and ra is not None and neb > 0 and nea > 0:
            diff, low, high = newcombe_difference(rb * neb, neb, ra * nea, nea)
            p = two_proportion_p(rb * neb, neb, ra * nea, nea)
        out[season] = {
            "before": Derived(_r(rb), needs_b),
            "after": Derived(_r(ra), needs_a),
            "diff": Derived(_r(diff), both),
            "ci_low": Derived(_r(low), both),
            "ci_high": Derived(_r(high), both),
            "p_value": Derived(_rp(p), both),
            "n_before": nb,
            "n_after": na,
            "n_eff_before": Derived(_r(neb) if rb is not None else None, (*needs_b, *counts_b)),
            "n_eff_after": Derived(_r(nea) if ra is not None else None, (*needs_a, *counts_a)),
        }
    return out


def _car_driver_change(wb: _Wave, wa: _Wave) -> dict[str, Any]:
    """The share driving a car (alone or sharing): the habits section's "drives a car" cells."""
    out: dict[str, Any] = {}
    for season in SEASONS:
        base_b, _, drivers_b = wb.modes[season]
        base_a, _, drivers_a = wa.modes[season]
        if base_b.n or base_a.n:
            out[season] = change_entry(_both(wb, wa), drivers_b, base_b, drivers_a, base_a)
    return out


def _cars_per_100(wb: _Wave, wa: _Wave, employees_before: int | None, employees_after: int | None) -> dict[str, Any]:
    """Cars arriving per 100 respondents on an average working day, before and after.

    Each respondent who drives (``car_alone`` or ``car_shared``) counts as one car times
    ``days_on_site / full_week_days``, as in the habits section; the difference uses Welch's
    interval over respondents. With ``employees`` the estimate is scaled to cars per day.
    """
    out: dict[str, Any] = {"base": "respondents"}

    def arrivals(wave: _Wave, season: str) -> np.ndarray:
        rows = wave.rows
        return (100 * np.where(rows.driver[season], rows.cars, 0.0))[rows.known[season]]

    for season in SEASONS:
        vb, va = arrivals(wb, season), arrivals(wa, season)
        if len(vb) == 0 and len(va) == 0:
            continue
        base_b, _, drivers_b = wb.modes[season]
        base_a, _, drivers_a = wa.modes[season]
        needs_b, needs_a = (drivers_b, base_b), (drivers_a, base_a)
        both = (*needs_b, *needs_a)
        diff = low = high = p = None
        if len(vb) and len(va):
            diff, low, high, p = welch_difference(vb, va)
        mean_b = float(vb.mean()) if len(vb) else None
        mean_a = float(va.mean()) if len(va) else None
        out[season] = {
            "before": Derived(_r(mean_b), needs_b),
            "after": Derived(_r(mean_a), needs_a),
            "diff": Derived(_r(diff), both),
            "ci_low": Derived(_r(low), both),
            "ci_high": Derived(_r(high), both),
            "p_value": Derived(_rp(p), both),
            "n_before": base_b,
            "n_after": base_a,
            "cars_per_day_before": Derived(_r(mean_b * employees_before / 100)
                                           if mean_b is not None and employees_before else None, needs_b),
            "cars_per_day_after": Derived(_r(mean_a * employees_after / 100)
                                          if mean_a is not None and employees_after else None, needs_a),
        }
    return out


def _per_respondent_tonnes(table: pd.DataFrame) -> tuple[pd.Series, Any] | tuple[None, None]:
    """Each respondent's tonnes a year and the emissions stage's result (for its per-season detail)."""
    try:
        from grontur.emissions import compute_emissions
    except ImportError:
        return None, None
    result = compute_emissions(table)
    for name in ("per_respondent", "tonnes", "respondent_tonnes", "tonnes_per_respondent"):
        value = getattr(result, name, None)
        if isinstance(value, pd.Series):
            return pd.to_numeric(value, errors="coerce").reindex(table.index), result
    log.warning("grontur.emissions returned no per-respondent tonnes; emissions comparison skipped")
    return None, None


#: Driver modes whose emissions the car factors describe (as in grontur.emissions).
_CAR_DRIVER = ("car_alone", "car_shared")


@dataclass(frozen=True)
class EmissionFactors:
    """One wave's tonnes per respondent as a product and a sum: ``car_use × car_km × per_km + other``.

    Over the respondents whose emissions are estimated: ``car_use`` is the share who drive to work
    in at least one season, ``car_km`` the km a year each of them drives to work (the distance mix,
    days on site and the part of the year driven), ``per_km`` the tonnes per km driven (the fuel
    mix and car sharing), ``other`` the tonnes a year per respondent of all other modes. (Per
    season driver shares are not used: with the other season's, one would give back a count the
    gate hides.)
    """

    car_use: float
    car_km: float
    per_km: float
    other: float

    @property
    def tonnes(self) -> float:
        return self.car_use * self.car_km * self.per_km + self.other


@dataclass(frozen=True)
class FactorChange:
    """One factor before and after, and how many tonnes per respondent its change contributed."""

    before: float
    after: float
    contribution: float


@dataclass(frozen=True)
class EmissionsChange:
    """Why tonnes per respondent moved between waves: the parts add up to the whole change.

    The car part is split by the logarithmic mean Divisia index (LMDI-I; Ang, B. W. (2004),
    "Decomposition analysis for policymaking in energy", Energy Policy 32, 1131-1139), which
    splits a change of a product exactly, with no residual; other modes add their own change.
    """

    car_use: FactorChange
    car_km: FactorChange
    per_km: FactorChange
    other: FactorChange

    @property
    def total(self) -> float:
        return sum(part.contribution for part in (self.car_use, self.car_km, self.per_km, self.other))


def emission_factors(result: Any, known: np.ndarray) -> EmissionFactors | None:
    """The factors of :class:`EmissionFactors` from an emissions result's per-season detail, over
    the respondents ``known``; ``None`` when nobody drives (no car factor to speak of)."""
    from grontur.describe import season_weights

    detail = result.detail[known]
    n = len(detail)
    if n == 0:
        return None
    driving = np.zeros(n, dtype=bool)
    car_km = car_tonnes = total = 0.0
    for season in season_weights(result.settings):
        is_car = detail[f"mode_{season}"].isin(_CAR_DRIVER).to_numpy(dtype=bool)
        tonnes = detail[f"central_{season}"].to_numpy(dtype=float)
        driving |= is_car
        car_km += float(detail[f"car_km_{season}"].to_numpy(dtype=float)[is_car].sum())
        car_tonnes += float(tonnes[is_car].sum())
        total += float(tonnes.sum())
    drivers = int(driving.sum())
    if drivers == 0 or car_km <= 0 or car_tonnes <= 0:
        return None
    return EmissionFactors(car_use=drivers / n, car_km=car_km / drivers, per_km=car_tonnes / car_km,
                           other=(total - car_tonnes) / n)


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (np.log(a) - np.log(b))


def explain_emissions_change(before: EmissionFactors, after: EmissionFactors) -> EmissionsChange:
    """Split the change of tonnes per respondent into car use, km per car year, tonnes per km and
    other modes (:class:`EmissionsChange`); the parts add up to ``after.tonnes - before.tonnes``."""
    car_before = before.car_use * before.car_km * before.per_km
    car_after = after.car_use * after.car_km * after.per_km
    weight = _log_mean(car_after, car_before)

    def part(name: str) -> FactorChange:
        b, a = getattr(before, name), getattr(after, name)
        return FactorChange(b, a, float(weight * np.log(a / b)))

    return EmissionsChange(car_use=part("car_use"), car_km=part("car_km"), per_km=part("per_km"),
                           other=FactorChange(before.other, after.other, after.other - before.other))


def _mix_effect(wb: _Wave, wa: _Wave, tonnes: tuple[np.ndarray, ...], known: tuple[np.ndarray, np.ndarray]) -> Derived | None:
    """:func:`mix_effect` for the gate: a mean over each group of both waves needs those groups."""
    if _MIX_COLUMN not in wb.table.columns or _MIX_COLUMN not in wa.table.columns:
        return None
    groups = tuple(w.table[_MIX_COLUMN].astype("object").to_numpy() for w in (wb, wa))
    found = mix_effect((tonnes[0][known[0]], tonnes[1][known[1]]), (groups[0][known[0]], groups[1][known[1]]))
    if found is None:
        return None
    effect, common = found
    needs = tuple(wave.ledger.base(known_w & (group_w == g), tag=("emissions", "by_group", g), answered=True)
                  for wave, known_w, group_w in ((wb, known[0], groups[0]), (wa, known[1], groups[1])) for g in common)
    return Derived(round(effect, 4) + 0.0, needs)


def _explained(wb: _Wave, wa: _Wave, results: tuple[Any, Any], known: tuple[np.ndarray, np.ndarray],
               bases: tuple[Fig, Fig]) -> dict[str, Any] | None:
    """The change of tonnes per respondent explained (:func:`explain_emissions_change`), for the
    gate: each factor is a mean over the estimated respondents or their car years, shown only when
    those groups are."""
    tonnes = tuple(result.per_respondent.to_numpy(dtype=float) for result in results)
    factors = [emission_factors(result, mask) for result, mask in zip(results, known, strict=True)]
    fb, fa = factors
    if fb is None or fa is None:
        return None
    drivers: list[tuple[Fig, ...]] = []
    for wave, result, mask in ((wb, results[0], known[0]), (wa, results[1], known[1])):
        driving = np.zeros(wave.n, dtype=bool)
        for season in SEASONS:
            driving |= result.detail[f"mode_{season}"].isin(_CAR_DRIVER).to_numpy(dtype=bool)
        # drivers in any season: per-season counts would let a hidden season's count be worked back
        fig = wave.ledger.base(driving & mask, tag=("emissions", "car_drivers"), answered=True)
        wave.ledger.subset(fig, bases[len(drivers)])  # car_use is their share: the yes/no rule
        drivers.append((fig,))
    needs = (*bases, *drivers[0], *drivers[1])
    change = explain_emissions_change(fb, fa)
    digits = {"car_use": 4, "car_km": 1, "per_km": 7, "other": 4}

    def entry(name: str) -> dict[str, Any]:
        part = getattr(change, name)
        # (+ 0.0: no "-0.0" in the JSON)
        return {"before": Derived(round(part.before, digits[name]) + 0.0, (bases[0], *drivers[0])),
                "after": Derived(round(part.after, digits[name]) + 0.0, (bases[1], *drivers[1])),
                "contribution": Derived(round(part.contribution, 4) + 0.0, needs)}

    out: dict[str, Any] = {name: entry(name) for name in ("car_use", "car_km", "per_km", "other")}
    out["respondents"] = _mix_effect(wb, wa, tonnes, known)
    return out


#: The column whose mix of respondents the emissions change is checked against (as in _composition).
_MIX_COLUMN = "job_group"


def mix_effect(tonnes: tuple[np.ndarray, np.ndarray], groups: tuple[np.ndarray, np.ndarray]) -> tuple[float, list[str]] | None:
    """How much of the follow-up's tonnes per respondent comes from a different mix of respondents.

    The follow-up's mean is recomputed with each group weighted as in the baseline (groups in both
    waves only); the effect is the follow-up's mean minus that. ``tonnes`` and ``groups`` are per
    estimated respondent; returns the effect and the groups used, or ``None`` without a common group.
    """
    ta, (gb, ga) = tonnes[1], groups
    common = sorted(set(gb[pd.notna(gb)]) & set(ga[pd.notna(ga)]))
    if not common:
        return None
    in_b = np.isin(gb, common)
    in_a = np.isin(ga, common)
    weights = {g: float((gb == g).sum()) / float(in_b.sum()) for g in common}
    reweighted = sum(weights[g] * float(ta[ga == g].mean()) for g in common)
    return float(ta[in_a].mean()) - reweighted, common


def _emissions(wb: _Wave, wa: _Wave, employees_before: int | None, employees_after: int | None) -> dict[str, Any]:
    """Mean tonnes CO2e per respondent a year, over those whose emissions could be estimated."""
    (tb, rb), (ta, ra) = _per_respondent_tonnes(wb.table), _per_respondent_tonnes(wa.table)
    if tb is None or ta is None:
        return {"available": False, "note": "emissions_unavailable"}
    known_b, known_a = tb.notna().to_numpy(dtype=bool), ta.notna().to_numpy(dtype=bool)
    if not known_b.any() or not known_a.any():
        return {"available": False, "note": "emissions_no_distances"}
    nb = wb.ledger.base(known_b, tag=("emissions", "estimated"), answered=True)
    na = wa.ledger.base(known_a, tag=("emissions", "estimated"), answered=True)
    vb, va = tb.to_numpy(dtype=float)[known_b], ta.to_numpy(dtype=float)[known_a]
    diff, low, high, p = welch_difference(vb, va)
    both = (nb, na)
    return {
        "available": True,
        "unit": "tonnes_co2e_per_respondent_per_year",
        "before": Derived(round_share(vb.mean()), (nb,)),
        "after": Derived(round_share(va.mean()), (na,)),
        "diff": Derived(_r(diff), both),
        "ci_low": Derived(_r(low), both),
        "ci_high": Derived(_r(high), both),
        "p_value": Derived(_rp(p), both),
        "n_before": nb,
        "n_after": na,
        "total_before": Derived(round_share(vb.mean() * employees_before) if employees_before else None, (nb,)),
        "total_after": Derived(round_share(va.mean() * employees_after) if employees_after else None, (na,)),
        "explained": _explained(wb, wa, (rb, ra), (known_b, known_a), (nb, na)),
    }


#: Key of a panel season's exact cells, for naming why its test is withheld; never published.
_CELLS = "\0cells"


def _panel(wb: _Wave, wa: _Wave) -> dict[str, Any]:
    """McNemar on the linked respondents; two-proportion tests on the unlinked rest.

    Every panel count is a set of baseline respondents (their own rows), so it is registered with
    the baseline's ledger, where the gate sees it beside the whole wave's counts it is part of (the
    panel and the rest add up to the wave). What a panel count says about the follow-up (who drove
    then) is also registered with the follow-up's ledger, over the same people's follow-up rows, so
    a panel figure is hidden when either wave hides it. The paired cells (drove both times,
    stopped, started, drove neither time) add up to the panel's season count.
    """
    before, after = wb.table, wa.table
    if "respondent_id" not in before.columns or "respondent_id" not in after.columns:
        return {"found": False, "n": 0}
    links_b, links_a = linkable_ids(before), linkable_ids(after)
    ids_b = links_b.dropna()
    ids_a = links_a.dropna()
    # ids must be unique within a wave to link people; duplicates are left out of the panel
    ids_b = ids_b[~ids_b.duplicated(keep=False)]
    ids_a = ids_a[~ids_a.duplicated(keep=False)]
    common = pd.Index(ids_b).intersection(pd.Index(ids_a))
    if len(common) == 0:
        return {"found": False, "n": 0}
    in_b = links_b.isin(common).to_numpy(dtype=bool)
    in_a = links_a.isin(common).to_numpy(dtype=bool)
    n_b = wb.ledger.base(in_b, tag=("panel", "n"))
    n_a = wa.ledger.base(in_a, tag=("panel", "n"))
    panel = (n_b, n_a)
    out: dict[str, Any] = {
        "found": True,
        "n": Derived(len(common), panel),
        "share_of_before": Derived(round_share(len(common) / wb.n), (*panel, wb.everyone)),
        "share_of_after": Derived(round_share(len(common) / wa.n), (*panel, wa.everyone)),
        "outcome": "car_driver_share",
        "seasons": {},
        "non_panel": {},
    }
    # Each baseline row of the panel, with the same person's follow-up row (its position).
    position_a = pd.Series(np.arange(wa.n), index=links_a.to_numpy(dtype=object))
    position_a = position_a[position_a.index.isin(common)]
    partner = np.full(wb.n, -1, dtype=np.int64)
    partner[in_b] = position_a.reindex(links_b[in_b].to_numpy(dtype=object)).to_numpy(dtype=np.int64)
    for season in SEASONS:
        eb, hb = (s.to_numpy(dtype=bool) for s in outcome_indicator(before, season, "car_driver_share"))
        ea, ha = (s.to_numpy(dtype=bool) for s in outcome_indicator(after, season, "car_driver_share"))
        rest_b, rest_a = ~in_b, ~in_a
        if (eb & rest_b).any() or (ea & rest_a).any():
            out["non_panel"][season] = change_entry(
                _both(wb, wa),
                wb.ledger.count(hb & rest_b, tag=("non_panel", season, "car_driver")),
                wb.ledger.base(eb & rest_b, tag=("non_panel", season, "n"), answered=True),
                wa.ledger.count(ha & rest_a, tag=("non_panel", season, "car_driver")),
                wa.ledger.base(ea & rest_a, tag=("non_panel", season, "n"), answered=True))
        # the follow-up answers of each baseline panel row
        ea_b = np.zeros(wb.n, dtype=bool)
        ha_b = np.zeros(wb.n, dtype=bool)
        ea_b[in_b], ha_b[in_b] = ea[partner[in_b]], ha[partner[in_b]]
        both_b = in_b & eb & ea_b
        if not both_b.any():
            continue
        both_a = np.zeros(wa.n, dtype=bool)
        both_a[partner[both_b]] = True
        m_b = wb.ledger.base(both_b, tag=("panel", season, "n"), answered=True)
        m_a = wa.ledger.base(both_a, tag=("panel", season, "n"), answered=True)
        masks = {"car_both": both_b & hb & ha_b, "stopped_driving": both_b & hb & ~ha_b,
                 "started_driving": both_b & ~hb & ha_b, "car_neither": both_b & ~hb & ~ha_b}
        cells = {key: wb.ledger.count(mask, tag=("panel", season, key)) for key, mask in masks.items()}
        wb.ledger.partition(m_b, list(cells.values()))
        drove_b = wb.ledger.count(both_b & hb, tag=("panel", season, "before"))
        wb.ledger.partition(drove_b, [cells["car_both"], cells["stopped_driving"]])
        drove_a_b = wb.ledger.count(both_b & ha_b, tag=("panel", season, "after"))
        wb.ledger.partition(drove_a_b, [cells["car_both"], cells["started_driving"]])
        drove_a = wa.ledger.count(both_a & ha, tag=("panel", season, "after"))
        wb.ledger.subset(drove_b, m_b)
        wb.ledger.subset(drove_a_b, m_b)
        wa.ledger.subset(drove_a, m_a)
        a, b, c, d = (cells[key].n for key in masks)
        m = a + b + c + d
        four = tuple(cells.values())
        diff, low, high = newcombe_paired_difference(a, b, c, d)
        shares_b = (drove_b, m_b, m_a)
        shares_a = (drove_a_b, drove_a, m_b, m_a)
        out["seasons"][season] = {
            "n": Derived(m, (m_b, m_a)),
            **cells,
            "ci_low": Derived(_r(low), four),
            "ci_high": Derived(_r(high), four),
            "mcnemar_p": Derived(_rp(mcnemar_p(b, c)), four),
            "before": Derived(round_share((a + b) / m), shares_b),
            "after": Derived(round_share((a + c) / m), shares_a),
            "diff": Derived(round_share(diff), (*shares_b, *shares_a)),
            _CELLS: (a, b, c, d),  # removed once the gate has decided (see _finish_panel)
        }
    return out


def _finish_panel(panel: dict[str, Any]) -> dict[str, Any]:
    """What the gate's decision says about the panel: whether each paired test is shown and why
    not, and the headline McNemar p-value (summer when shown, else winter)."""
    if not panel.get("found"):
        return panel
    if panel.get("n") is None:
        panel["note"] = "panel_too_small"
    for entry in panel["seasons"].values():
        counts = entry.pop(_CELLS)
        cells = [entry.get(key) for key in ("car_both", "stopped_driving", "started_driving", "car_neither")]
        entry["paired_test"] = entry.get("mcnemar_p") is not None
        if not entry["paired_test"]:
            # named after the smallest hidden cell: a changed one, or another
            hidden = [(n, i) for i, n in enumerate(counts) if cells[i] is None and n]
            entry["note"] = "few_changed" if hidden and min(hidden)[1] in (1, 2) else "few_in_a_cell"
    first = next((s for s in SEASONS if (panel["seasons"].get(s) or {}).get("mcnemar_p") is not None), None)
    panel["mcnemar_p"] = panel["seasons"][first]["mcnemar_p"] if first else None
    return panel


def _group_row(wave: _Wave, column: str, key: np.ndarray, group: str,
               registered: dict[str, list[tuple[Fig, dict[str, Fig], Fig]]]) -> tuple[Fig, dict[str, Any]]:
    """A group's size and its season mode rows in one wave: the habits section's group rows (a
    row where one answer holds the whole group is hidden), each season's row added to
    ``registered`` for the table's columns."""
    mask = key == group
    size = wave.ledger.base(mask, tag=(column, group, "n"))
    rows: dict[str, Any] = {}
    for season in SEASONS:
        base, cells, drivers = wave.rows.mode_row(wave.ledger, season, mask, (column, group), group=True)
        registered[season].append((base, cells, drivers))
        travels = wave.ledger.count(mask & wave.rows.known[season] & ~wave.rows.is_mode[season].get(
            "remote", np.zeros(wave.n, dtype=bool)), tag=(column, group, season, "travels"))
        alone = cells.get("car_alone") or wave.nobody((column, group, season, "car_alone"))
        remote = cells.get("remote") or wave.nobody((column, group, season, "remote"))
        # those who travel, beside those who gave a mode, give the remote workers: shown with them
        rows[season] = {"car_driver_share": (drivers, base, ()), "drive_alone_rate": (alone, travels, (remote,))}
    return size, rows


def _breakdowns(wb: _Wave, wa: _Wave) -> dict[str, Any]:
    """Drive-alone rate and car-driver share per segment, workplace and job group.

    Each wave's group rows are registered as the habits section registers them; a group hidden
    in both waves is left out by name (its name would say that a few of its people answered).
    """
    out: dict[str, list[Any]] = {}
    outcomes = ("drive_alone_rate", "car_driver_share")
    for column in BREAKDOWN_COLUMNS:
        if column not in wb.table.columns or column not in wa.table.columns:
            continue
        keys = [w.table[column].astype(object).where(w.table[column].notna()).to_numpy(dtype=object) for w in (wb, wa)]
        keys = [np.array([None if pd.isna(v) else str(v) for v in key], dtype=object) for key in keys]
        groups = sorted({v for key in keys for v in key if v is not None})
        rows = []
        sizes: tuple[list[Fig], list[Fig]] = ([], [])
        registered: tuple[dict[str, list[Any]], dict[str, list[Any]]] = ({s: [] for s in SEASONS},
                                                                         {s: [] for s in SEASONS})
        for group in groups:
            (size_b, rows_b), (size_a, rows_a) = (_group_row(w, column, key, group, r)
                                                  for w, key, r in zip((wb, wa), keys, registered))
            sizes[0].append(size_b)
            sizes[1].append(size_a)
            row: dict[str, Any] = {"group": group, "n_before": size_b, "n_after": size_a}
            for season in SEASONS:
                entries = {}
                for outcome in outcomes:
                    (xb, nb, more_b), (xa, na, more_a) = rows_b[season][outcome], rows_a[season][outcome]
                    if nb.n == 0 and na.n == 0:
                        continue
                    entries[outcome] = change_entry(_both(wb, wa), xb, nb, xa, na,
                                                    needs=((size_b, *more_b), (size_a, *more_a)))
                if entries:
                    row[season] = entries
            rows.append(row)
        # the group sizes add up to those who answered (as in the habits section)
        # and each answer's overall count is the sum of the groups' counts of it (the columns)
        for wave, key, parts, group_rows in zip((wb, wa), keys, sizes, registered, strict=True):
            wave.ledger.partition(wave.ledger.base(pd.notna(key), tag=(column, "answered"), answered=True), parts)
            for season in SEASONS:
                wave.rows.columns(wave.ledger, season, group_rows[season])
        out[column] = rows
    return out


def _named_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The (published) rows of groups shown with members in at least one wave: a group hidden in
    both is left out by name."""
    return [row for row in rows if row.get("n_before") or row.get("n_after")]


#: Key of a composition share's group sizes, removed once the gate has decided.
_SIZES = "\0sizes"


def _composition(wb: _Wave, wa: _Wave, thresholds: Mapping[str, float]) -> tuple[dict | None, list[dict]]:
    """Job-group composition of both waves and an after-estimate reweighted to the baseline mix.

    The mix is called different only when the chi-square test says so (``p`` below
    ``composition_alpha``); ``distance`` is the total variation distance (a fraction; the report
    shows it in percentage points). A group's share of a wave rests on its size and on those
    who answered the question in that wave (the habits section's counts).
    """
    before, after = wb.table, wa.table
    if "job_group" not in before.columns or "job_group" not in after.columns:
        return None, []
    gb = before["job_group"].dropna().astype(str)
    ga = after["job_group"].dropna().astype(str)
    if gb.empty or ga.empty:
        return None, []
    groups = sorted(set(gb) | set(ga))
    cb = gb.value_counts().reindex(groups, fill_value=0).astype("int64")
    ca = ga.value_counts().reindex(groups, fill_value=0).astype("int64")
    sb, sa = cb / cb.sum(), ca / ca.sum()
    distance = float(0.5 * (sb - sa).abs().sum())
    table = pd.DataFrame({"b": cb, "a": ca})
    table = table[table.sum(axis=1) > 0]
    p = chi_square_test(table.to_numpy(dtype=float).T).p_value if len(table) > 1 else 1.0
    answered = [w.ledger.base(w.table["job_group"].notna().to_numpy(dtype=bool), tag=("job_group", "answered"), answered=True)
                for w in (wb, wa)]
    key_b = before["job_group"].astype(str).where(before["job_group"].notna()).to_numpy(dtype=object)
    key_a = after["job_group"].astype(str).where(after["job_group"].notna()).to_numpy(dtype=object)
    sizes = {g: (wb.ledger.base(key_b == g, tag=("job_group", g, "n")), wa.ledger.base(key_a == g, tag=("job_group", g, "n")))
             for g in groups}
    for i, wave in enumerate((wb, wa)):
        wave.ledger.partition(answered[i], [sizes[g][i] for g in groups])
    shares = {g: {"before": Derived(round_share(sb[g]), (sizes[g][0], answered[0])),
                  "after": Derived(round_share(sa[g]), (sizes[g][1], answered[1])),
                  _SIZES: sizes[g]}
              for g in groups}
    section: dict[str, Any] = {
        "column": "job_group",
        "shares": shares,
        "distance": Derived(round_share(distance), tuple(answered)),
        "p_value": Derived(round_p(p), tuple(answered)),
        "reweighted": {},
    }
    warnings: list[dict[str, Any]] = []
    differs = p < thresholds["composition_alpha"]
    if differs:
        warnings.append({"code": "composition_changed", "values": {"distance": section["distance"], "p_value": section["p_value"]}})
    common = [g for g in groups if cb[g] > 0 and ca[g] > 0]
    missing = [g for g in groups if cb[g] > 0 and ca[g] == 0]
    if missing:
        warnings.append({"code": "composition_missing_groups",
                         "values": {"groups": [Listed(g, (sizes[g][0],)) for g in missing],
                                    "small_groups": HiddenTally(tuple(sizes[g][0] for g in missing)),
                                    "adjusted": differs}})
    for outcome in ("car_driver_share", "drive_alone_rate"):
        per_season = {}
        for season in SEASONS:
            entry = _reweighted(wb, wa, season, outcome, common)
            if entry is not None:
                per_season[season] = entry
        section["reweighted"][outcome] = per_season
    return section, warnings


def _reweighted(wb: _Wave, wa: _Wave, season: str, outcome: str, common: Sequence[str]) -> dict[str, Any] | None:
    """Post-stratify the follow-up to the baseline job-group mix (strata present in both waves).

    The estimate is a weighted sum of every stratum's share in both waves: it rests on all their
    counts, and on the counts within the strata (``before`` and ``after``, unadjusted, cover the
    same strata, so they differ from the whole-wave figures when some respondents are outside
    them: ``whole_waves`` is then false, and the gate sees both sets).
    """
    if not common:
        return None
    needs: list[Fig] = []
    tallies = []
    # Those who gave a mode are those who answered; those who travelled are not (the rest of
    # them work remotely, an answer): they are a count, as the whole wave's travellers are.
    def base_of(ledger: Ledger, mask: np.ndarray, tag: tuple[Any, ...]) -> Fig:
        if outcome == "drive_alone_rate":
            return ledger.count(mask, tag=tag)
        return ledger.base(mask, tag=tag, answered=True)

    for wave in (wb, wa):
        eligible, hit = (s.to_numpy(dtype=bool) for s in outcome_indicator(wave.table, season, outcome))
        key = wave.table["job_group"].astype(str).where(wave.table["job_group"].notna()).to_numpy(dtype=object)
        n_h, x_h = [], []
        bases, counts = [], []
        inside = np.zeros(wave.n, dtype=bool)
        for g in common:
            mask = key == g
            n_h.append(int((eligible & mask).sum()))
            x_h.append(int((hit & mask).sum()))
            inside |= mask & eligible
            if eligible[mask].any():
                base = base_of(wave.ledger, eligible & mask, ("job_group", g, season, outcome, "n"))
                count = wave.ledger.count(hit & mask, tag=("job_group", g, season, outcome))
                wave.ledger.subset(count, base)
                needs.extend((base, count))
                bases.append(base)
                counts.append(count)
        inside_n = base_of(wave.ledger, inside, ("job_group", "strata", season, outcome, "n"))
        inside_x = wave.ledger.count(inside & hit, tag=("job_group", "strata", season, outcome))
        # the strata together are their groups added up
        wave.ledger.partition(inside_n, bases)
        wave.ledger.partition(inside_x, counts)
        needs.extend((inside_n, inside_x))
        tallies.append((np.asarray(n_h, dtype=float), np.asarray(x_h, dtype=float), inside_n.n == int(eligible.sum())))
    (nb_h, xb_h, whole_b), (na_h, xa_h, whole_a) = tallies
    keep = (nb_h > 0) & (na_h > 0)
    if not keep.any():
        return None
    change = poststratified_change(xb_h[keep], nb_h[keep], xa_h[keep], na_h[keep])
    figures = tuple(needs)
    return {
        "before": Derived(round_share(change.before), figures),
        "after": Derived(round_share(change.after), figures),
        "after_reweighted": Derived(round_share(change.after_reweighted), figures),
        "diff_reweighted": Derived(round_share(change.diff), figures),
        "ci_low": Derived(round_share(change.ci_low), figures),
        "ci_high": Derived(round_share(change.ci_high), figures),
        "p_value": Derived(round_p(change.p_value), figures),
        # false when respondents outside the strata (no job group, or a group in one wave only)
        # are left out, so before and after differ from the whole-wave figures
        "whole_waves": whole_b and whole_a,
    }

def mapping_signature(report: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What must stay the same between waves in an import's ``mapping_report``.

    The export dialect, the mapping file's name and which question (column) fed each canonical
    column; row-level details (unknown answers, suggestions) are left out on purpose.
    """
    if not isinstance(report, Mapping):
        return None
    mapped = report.get("mapped") or []
    columns = sorted(
        f"{item.get('target')} <- {item.get('column')}" for item in mapped
        if isinstance(item, Mapping) and item.get("target") not in (None, "respondent_id")
    )
    mapping_file = report.get("mapping_file")
    return {
        "dialect": report.get("dialect"),
        "mapping_file": str(mapping_file).replace("\\", "/").rsplit("/", 1)[-1] if mapping_file else None,
        "columns": columns,
    }


def _canonical(mapping: Any) -> Any:
    for name in ("as_dict", "to_dict"):
        method = getattr(mapping, name, None)
        if callable(method):
            return method()
    if hasattr(mapping, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(mapping)
    return mapping


def _mapping_warning(mapping_before: Any, mapping_after: Any) -> dict[str, Any] | None:
    if mapping_before is None or mapping_after is None:
        return None
    mb, ma = _canonical(mapping_before), _canonical(mapping_after)
    dump = lambda value: json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    if dump(mb) == dump(ma):
        return None
    if isinstance(mb, Mapping) and isinstance(ma, Mapping):
        keys = sorted(str(key) for key in set(mb) | set(ma) if dump(mb.get(key)) != dump(ma.get(key)))
    else:
        keys = []
    return {"code": "mapping_changed", "values": {"keys": keys}}


def _comparability(before: pd.DataFrame, after: pd.DataFrame, *, waves: tuple[str | None, str | None],
                   n_before: int, n_after: int, employees_before: int | None, employees_after: int | None,
                   mapping_before: Any, mapping_after: Any, panel_n: Any,
                   thresholds: Mapping[str, float]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    warnings: list[dict[str, Any]] = []
    month_b, month_a = wave_month(waves[0]), wave_month(waves[1])
    if month_b is None or month_a is None:
        warnings.append({"code": "season_unknown", "values": {"before": waves[0], "after": waves[1]}})
    else:
        gap = abs(month_b - month_a)
        gap = min(gap, 12 - gap)
        if gap >= thresholds["season_months"] or season_of_month(month_b) != season_of_month(month_a):
            warnings.append({"code": "season_differs", "values": {"before": waves[0], "after": waves[1], "months": gap}})
    # a question counts as changed when its column is answered in one wave and not in the other
    answered_b = {c for c in COLUMNS if c in before.columns and before[c].notna().any()}
    answered_a = {c for c in COLUMNS if c in after.columns and after[c].notna().any()}
    only_b, only_a = sorted(answered_b - answered_a), sorted(answered_a - answered_b)
    if only_b or only_a:
        warnings.append({"code": "questions_changed", "values": {"only_before": only_b, "only_after": only_a}})
    mapping = _mapping_warning(mapping_before, mapping_after)
    if mapping:
        warnings.append(mapping)
    rate_b = n_before / employees_before if employees_before else None
    rate_a = n_after / employees_after if employees_after else None
    if rate_b is not None and rate_a is not None and abs(rate_a - rate_b) >= thresholds["response_rate_change"]:
        warnings.append({"code": "response_rate_changed", "values": {"before": round_share(rate_b), "after": round_share(rate_a)}})
    if panel_n is not None:
        warnings.append({"code": "panel_overlap", "values": {"n": panel_n}})
    respondents = {
        "n_before": n_before,
        "n_after": n_after,
        "employees_before": employees_before,
        "employees_after": employees_after,
        "response_rate_before": round_share(rate_b) if rate_b is not None else None,
        "response_rate_after": round_share(rate_a) if rate_a is not None else None,
    }
    return warnings, respondents


# ---------------------------------------------------------------------------------------------
# Entry point

@dataclass(frozen=True)
class Comparison:
    """What changed between two waves; :meth:`as_dict` is ``comparison.json``."""

    k: int
    waves: dict[str, str | None]
    respondents: dict[str, Any]
    mode_share_change: dict[str, Any]
    distribution_test: dict[str, Any]
    drive_alone_rate: dict[str, Any]
    car_driver_share: dict[str, Any]
    cars_per_100_employees: dict[str, Any]
    emissions: dict[str, Any]
    panel: dict[str, Any]
    breakdowns: dict[str, Any]
    composition: dict[str, Any] | None
    comparability: list[dict[str, Any]]
    suppressed_cells: int
    pilots: tuple[dict[str, Any], ...] = field(default=())

    def with_pilots(self, effects: Iterable[Any]) -> Comparison:
        """A copy holding pilot effect estimates (``PilotEffect`` objects or their dicts)."""
        items = tuple(e.as_dict() if hasattr(e, "as_dict") else dict(e) for e in effects)
        return replace(self, pilots=items)

    @property
    def warning_codes(self) -> list[str]:
        return [w["code"] for w in self.comparability]

    def as_dict(self) -> dict[str, Any]:
        """``comparison.json``: plain JSON types, a fresh copy on every call."""
        return copy.deepcopy({
            "schema": SCHEMA,
            "k": self.k,
            "waves": dict(self.waves),
            "respondents": dict(self.respondents),
            "mode_share_change": self.mode_share_change,
            "distribution_test": self.distribution_test,
            "drive_alone_rate": self.drive_alone_rate,
            "car_driver_share": self.car_driver_share,
            "cars_per_100_employees": self.cars_per_100_employees,
            "emissions": self.emissions,
            "panel": self.panel,
            "breakdowns": self.breakdowns,
            "composition": self.composition,
            "comparability": list(self.comparability),
            "pilots": list(self.pilots),
            "suppressed_cells": self.suppressed_cells,
        })


@dataclass
class ComparisonDraft:
    """A comparison whose figures are registered with the gate but not yet decided.

    The baseline's counts are in the ledger given to :func:`register_comparison` (the run's);
    the follow-up's in :attr:`after_ledger`, which only the comparison fills. :meth:`publish`
    takes the run's decision and makes the comparison from it and the follow-up's decision.
    """

    k: int
    labels: tuple[str | None, str | None]
    sections: dict[str, Any]
    waves: tuple[_Wave, _Wave]
    after_ledger: Ledger
    pilots: Any = None

    def publish(self, publication: Publication) -> Comparison:
        """The comparison as the gate decided (``publication`` is the decision of the baseline's
        ledger: the run's, with every other section registered)."""
        others = [self.after_ledger.decide()]
        if self.pilots is not None:
            others.extend(self.pilots.publications())
        decided = publication.with_other(*others)
        sections = decided.resolve(self.sections)
        hidden = decided.tally(self.sections)
        wb, wa = self.waves
        tests = {season: _distribution_test(decided, wb, wa, season) for season in sections["mode_share_change"]}
        breakdowns = {column: _named_groups(rows) for column, rows in sections["breakdowns"].items()}
        composition = sections["composition"]
        if composition is not None:
            composition["shares"] = {g: {key: v for key, v in entry.items() if key != _SIZES}
                                     for g, entry in composition["shares"].items() if any(entry[_SIZES])}
        if composition is not None:
            # an adjusted estimate the gate withholds is left out (the report says it is missing)
            composition["reweighted"] = {outcome: {season: entry for season, entry in seasons.items()
                                                   if entry["diff_reweighted"] is not None}
                                         for outcome, seasons in composition["reweighted"].items()}
        warnings = sections["comparability"]
        for warning in warnings:
            if warning["code"] == "composition_missing_groups":
                warning["values"]["small_groups"] = bool(warning["values"]["small_groups"])
        result = Comparison(
            k=self.k,
            waves={"before": self.labels[0], "after": self.labels[1]},
            respondents=sections["respondents"],
            mode_share_change=sections["mode_share_change"],
            distribution_test=tests,
            drive_alone_rate=sections["drive_alone_rate"],
            car_driver_share=sections["car_driver_share"],
            cars_per_100_employees=sections["cars_per_100_employees"],
            emissions=sections["emissions"],
            panel=_finish_panel(sections["panel"]),
            breakdowns=breakdowns,
            composition=composition,
            comparability=warnings,
            suppressed_cells=int(hidden),
        )
        log.info("compared %s baseline and %s follow-up respondents; %s cells suppressed; %s warnings",
                 f"{wb.n:,}", f"{wa.n:,}", hidden, len(warnings))
        if self.pilots is not None:
            result = result.with_pilots(self.pilots.publish(decided))
        return result


def register_comparison(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    ledger: Ledger,
    employees_before: int | None = None,
    employees_after: int | None = None,
    mapping_before: Any = None,
    mapping_after: Any = None,
    waves: tuple[str | None, str | None] | None = None,
    pilots: Iterable[Any] = (),
    comparison: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    municipality: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    run_date: Any = None,
    lang: str | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> ComparisonDraft:
    """Register every figure of the comparison of ``before`` (the table of ``ledger``) and
    ``after`` with the gate; see :func:`compare_waves` for the arguments."""
    before = _check_table(before, "baseline")
    after = _check_table(after, "follow-up")
    if len(before) != ledger.n_rows:
        msg = f"the baseline has {len(before)} rows but the ledger counts {ledger.n_rows}"
        raise ValueError(msg)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    labels = (waves[0], waves[1]) if waves is not None else (wave_label(before), wave_label(after))
    after_ledger = Ledger(len(after), ledger.k)
    wb, wa = _wave(before, ledger), _wave(after, after_ledger)
    panel = _panel(wb, wa)
    composition, composition_warnings = _composition(wb, wa, limits)
    emissions = _emissions(wb, wa, employees_before, employees_after)
    panel_n = panel["n"] if panel.get("found") else None
    warnings, respondents = _comparability(
        before, after, waves=labels, n_before=len(before), n_after=len(after),
        employees_before=employees_before, employees_after=employees_after,
        mapping_before=mapping_before, mapping_after=mapping_after,
        panel_n=panel_n, thresholds=limits,
    )
    warnings.extend(composition_warnings)
    if not emissions.get("available", False):
        warnings.append({"code": emissions.get("note", "emissions_unavailable"), "values": {}})
    sections = {
        "respondents": respondents,
        "mode_share_change": _mode_share_change(wb, wa),
        "drive_alone_rate": _drive_alone_change(wb, wa),
        "car_driver_share": _car_driver_change(wb, wa),
        "cars_per_100_employees": _cars_per_100(wb, wa, employees_before, employees_after),
        "emissions": emissions,
        "panel": panel,
        "breakdowns": _breakdowns(wb, wa),
        "composition": composition,
        "comparability": warnings,
    }
    draft = ComparisonDraft(k=ledger.k, labels=labels, sections=sections, waves=(wb, wa), after_ledger=after_ledger)
    pilots = tuple(pilots)
    if pilots:
        draft.pilots = register_pilots(before, after, pilots=pilots, ledgers=(ledger, after_ledger),
                                       comparison=comparison, municipality=municipality, context=context,
                                       run_date=run_date, lang=lang)
    return draft


def compare_waves(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    k: int = DEFAULT_K,
    employees_before: int | None = None,
    employees_after: int | None = None,
    mapping_before: Any = None,
    mapping_after: Any = None,
    waves: tuple[str | None, str | None] | None = None,
    pilots: Iterable[Any] = (),
    comparison: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    municipality: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    run_date: Any = None,
    lang: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    ledger: Ledger | None = None,
) -> Comparison:
    """Compare a baseline and a follow-up wave of canonical response tables.

    Parameters
    ----------
    before, after
        Canonical response tables of the baseline and the follow-up survey.
    k
        Privacy threshold, applied by the publication gate (:mod:`grontur.publish`).
    employees_before, employees_after
        Employees at the time of each wave, for response rates and totals.
    mapping_before, mapping_after
        The mappings (or mapping reports) used to import each wave; a difference is flagged.
    waves
        Wave labels ``("YYYY-MM", "YYYY-MM")``; by default the most common ``wave`` of each table.
    pilots, comparison, municipality, context, run_date, lang
        When ``pilots`` is given, they are evaluated (:func:`grontur.pilots.register_pilots`;
        ``comparison`` is the comparison municipality's ``(before, after)`` tables; the rest
        is copied into the evidence records).
    thresholds
        Overrides of :data:`DEFAULT_THRESHOLDS`.
    ledger
        A ledger over ``before`` that other sections registered with; without one the comparison
        is published on its own. A run registers the comparison with its ledger before deciding
        (:func:`register_comparison`), so that a figure hidden in the analysis of the baseline is
        hidden in the comparison too.
    """
    k = check_k(k)
    own = ledger if ledger is not None else Ledger(len(before), k)
    draft = register_comparison(
        before, after, ledger=own, employees_before=employees_before, employees_after=employees_after,
        mapping_before=mapping_before, mapping_after=mapping_after, waves=waves, pilots=pilots,
        comparison=comparison, municipality=municipality, context=context, run_date=run_date, lang=lang,
        thresholds=thresholds)
    return draft.publish(own.decide())
