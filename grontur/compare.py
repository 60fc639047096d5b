"""Compare two survey waves: what changed between a baseline and a follow-up.

Both inputs are canonical response tables (:mod:`grontur.schema`). The two waves are treated as
independent samples (two-proportion z-tests, Newcombe hybrid-score intervals for differences of
proportions, chi-square over a whole mode distribution, Welch intervals for means; all from
:mod:`grontur.stats`). When the pseudonymous ``respondent_id`` links people across the waves,
the linked part (the panel) is also analysed with McNemar's test on paired car/no-car answers,
and the unlinked parts separately. Only pseudonyms made from a panel code link people
(:func:`grontur.waves.linkable_ids`): an export's own id is
a submission or row number that means nothing across files.

Every figure that describes fewer than ``k`` respondents is ``None`` and counted in
``suppressed_cells``. A yes/no share (drives or not) is shown only when both those counted and
those not counted are 0 or at least ``k``, as in the report's habits section; a group too small
in both waves is left out by name. Sentences are never stored here: comparability warnings are codes with
values, which :mod:`grontur.report.comparison` turns into text from the translation catalogue.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from grontur.errors import MappingError, MissingColumnError
from grontur.pilots import evaluate_pilots
from grontur.publish import (
    check_k,
    is_small,
    suppress_with_totals,
    yes_no_publishable,
)
from grontur.schema import CAR_DRIVER_MODES, COLUMNS, MODES, SEASONS
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
#: Working days per week used to turn days on site into a share of working days (assumption).
WORKING_DAYS_PER_WEEK = 5.0

def change_entry(xb: int, nb: int, xa: int, na: int, *, k: int, pair: bool = False,
                 hide: tuple[bool, bool] = (False, False)) -> tuple[dict[str, Any], int]:
    """One before/after proportion with its difference, interval and p-value, suppressed below ``k``.

    Returns the entry and the number of cells hidden. A share is hidden when its wave has fewer
    than ``k`` respondents or when 1 to ``k - 1`` respondents hold the outcome; with ``pair``
    (a yes/no outcome) also when 1 to ``k - 1`` respondents do not hold it. ``hide`` hides a
    wave's share and count whatever their size (complementary suppression). The difference is
    hidden with either share.
    """
    hidden = 0

    def publishable(x: int, n: int, forced: bool) -> bool:
        if forced or n < k:
            return False
        return yes_no_publishable(x, n, k) if pair else not is_small(x, k)

    before_ok = publishable(xb, nb, hide[0])
    after_ok = publishable(xa, na, hide[1])
    # a wave with nobody in it hides nothing
    hidden += (not before_ok and nb > 0) + (not after_ok and na > 0)
    diff, low, high = newcombe_difference(xb, nb, xa, na)
    p = two_proportion_p(xb, nb, xa, na)
    both = before_ok and after_ok
    entry = {
        "before": round_share(xb / nb) if before_ok and nb else None,
        "after": round_share(xa / na) if after_ok and na else None,
        "diff": round_share(diff) if both else None,
        "ci_low": round_share(low) if both else None,
        "ci_high": round_share(high) if both else None,
        "p_value": round_p(p) if both else None,
        "n_before": int(nb) if (nb >= k and not hide[0]) or nb == 0 else None,
        "n_after": int(na) if (na >= k and not hide[1]) or na == 0 else None,
    }
    hidden += (0 < nb and (nb < k or hide[0])) + (0 < na and (na < k or hide[1]))
    return entry, int(hidden)


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


def _modes(table: pd.DataFrame, season: str) -> pd.Series:
    column = f"mode_{season}"
    if column not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype="object")
    return table[column]


# ---------------------------------------------------------------------------------------------
# Sections

#: Key of the "drives a car" subtotal in :func:`mode_wave_hidden` (cannot clash with a mode code).
_DRIVER_KEY = "\0car_driver"


def mode_wave_hidden(counts: Mapping[str, int] | pd.Series, k: int) -> set[str]:
    """Which modes' shares of one wave to hide (and ``_DRIVER_KEY`` when the car-driver share must go).

    A share is hidden when the people with that mode or without it number 1 to ``k - 1``. The
    shares of all modes add up to 1 and the car-driver share (``car_alone`` + ``car_shared``) is
    published with them, so more shares are hidden until no hidden one follows from the shown ones
    (:func:`grontur.publish.suppress_with_totals`, as the report's habits section does).
    """
    cells = {mode: int(counts.get(mode, 0)) for mode in MODES}
    out, _ = suppress_with_totals(cells, k, subtotals={_DRIVER_KEY: list(CAR_DRIVER_MODES)})
    return {key for key, value in out.items() if value is None}


def _hide_side(entry: dict[str, Any], side: str) -> int:
    """Hide one wave's share of a change entry (and the difference); 1 when it was shown."""
    if entry.get(side) is None:
        return 0
    entry.update({side: None, "diff": None, "ci_low": None, "ci_high": None, "p_value": None})
    return 1


def _mode_share_change(before: pd.DataFrame, after: pd.DataFrame,
                       k: int) -> tuple[dict, dict, int, dict[str, tuple[bool, bool, bool, bool]]]:
    """Mode shares per season and wave; also whether each wave's car-driver share (first two flags)
    and remote share (last two) are hidden."""
    out: dict[str, dict[str, Any]] = {}
    tests: dict[str, Any] = {}
    driver_hidden: dict[str, tuple[bool, bool, bool, bool]] = {}
    hidden = 0
    for season in SEASONS:
        mb, ma = _modes(before, season).dropna(), _modes(after, season).dropna()
        if mb.empty and ma.empty:
            continue
        cb = mb.value_counts().reindex(list(MODES), fill_value=0).astype("int64")
        ca = ma.value_counts().reindex(list(MODES), fill_value=0).astype("int64")
        nb, na = int(cb.sum()), int(ca.sum())
        hide_b, hide_a = mode_wave_hidden(cb, k), mode_wave_hidden(ca, k)
        driver_hidden[season] = (_DRIVER_KEY in hide_b, _DRIVER_KEY in hide_a, "remote" in hide_b, "remote" in hide_a)
        rows: dict[str, Any] = {}
        for mode in MODES:
            if cb[mode] == 0 and ca[mode] == 0:
                continue
            rows[mode], h = change_entry(int(cb[mode]), nb, int(ca[mode]), na, k=k, pair=True)
            # complementary suppression: a share the other shares of its wave would give back
            h += _hide_side(rows[mode], "before") if mode in hide_b else 0
            h += _hide_side(rows[mode], "after") if mode in hide_a else 0
            hidden += h
        out[season] = rows
        tests[season] = _distribution_test(cb, ca, k, merge=(hide_b | hide_a) - {_DRIVER_KEY})
    return out, tests, hidden, driver_hidden


def _distribution_test(cb: pd.Series, ca: pd.Series, k: int, *, merge: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Chi-square test of the mode distributions of two waves.

    Modes whose share is hidden in either wave (``merge``) are tested as one category: their
    total is the wave's total minus the shown modes, so the statistic is computed from published
    figures only and cannot be solved for a hidden count.
    """
    table = pd.DataFrame({"before": cb, "after": ca})
    merged = sorted(merge & set(table.index))
    if merged:
        table = pd.concat([table.drop(index=merged), table.loc[merged].sum().to_frame("\0hidden").T])
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2 or table["before"].sum() < k or table["after"].sum() < k:
        return {"chi2": None, "dof": None, "p_value": None, "small_expected": None, "merged_hidden_modes": bool(merged)}
    result = chi_square_test(table.to_numpy(dtype=float).T)
    return {
        "chi2": round_share(result.statistic),
        "dof": result.dof,
        "p_value": round_p(result.p_value),
        # the chi-square approximation is doubtful when expected counts are small
        "small_expected": result.small_expected,
        "merged_hidden_modes": bool(merged),
    }


def _group_codes(values: pd.Series, groups: pd.Index) -> np.ndarray:
    """Position of each row's group in ``groups`` (-1 when missing), for :func:`numpy.bincount`."""
    raw = values.to_numpy(dtype=object)
    known = pd.notna(raw)
    codes = np.full(len(raw), -1, dtype=np.int64)
    # pandas takes any array-like; the stub asks for an Index
    codes[known] = groups.get_indexer(raw[known].astype(str))  # type: ignore[arg-type]
    return codes


def _tally(codes: np.ndarray, flags: pd.Series | np.ndarray, size: int) -> np.ndarray:
    valid = codes >= 0
    weights = np.asarray(flags, dtype=float)[valid]
    return np.bincount(codes[valid], weights=weights, minlength=size).astype(np.int64)


def _rate_change(before: pd.DataFrame, after: pd.DataFrame, outcome: str, k: int) -> tuple[dict, int]:
    out: dict[str, Any] = {}
    hidden = 0
    for season in SEASONS:
        eb, hb = outcome_indicator(before, season, outcome)
        ea, ha = outcome_indicator(after, season, outcome)
        if not eb.any() and not ea.any():
            continue
        out[season], h = change_entry(int(hb.sum()), int(eb.sum()), int(ha.sum()), int(ea.sum()), k=k, pair=True)
        hidden += h
    return out, hidden


def _days_on_site(table: pd.DataFrame) -> tuple[pd.Series, float]:
    """Commute days per week and the full working week, as the habits stage counts them."""
    try:
        from grontur import describe

        settings = describe.load_settings()
        return describe.days_on_site(table, settings), float(settings["full_week_days"])
    except ImportError:  # the habits stage is optional for a comparison
        days = pd.to_numeric(table.get("days_on_site", pd.Series(np.nan, index=table.index)), errors="coerce")
        return days.fillna(WORKING_DAYS_PER_WEEK).clip(0, 7), WORKING_DAYS_PER_WEEK


def _drive_alone_change(before: pd.DataFrame, after: pd.DataFrame, k: int) -> tuple[dict, int]:
    """Drive-alone trips / all trips, weighted by days on site as in the habits section.

    The tests use Kish's effective sample size of the trip weights in place of ``n``.
    """
    out: dict[str, Any] = {"weighting": "trips"}
    hidden = 0
    days_b, _ = _days_on_site(before)
    days_a, _ = _days_on_site(after)
    for season in SEASONS:
        stats_ = []
        for table, days in ((before, days_b), (after, days_a)):
            eligible, hit = outcome_indicator(table, season, "drive_alone_rate")
            w = days.where(eligible, 0.0).to_numpy(dtype=float)
            y = hit.to_numpy(dtype=bool)
            total, sq = w.sum(), (w**2).sum()
            n_eff = total**2 / sq if sq > 0 else 0.0
            rate = (w * y).sum() / total if total > 0 else np.nan
            stats_.append((int(eligible.sum()), int((hit & (days > 0)).sum()), n_eff, rate))
        (nb, xb, neb, rb), (na, xa, nea, ra) = stats_
        if nb == 0 and na == 0:
            continue
        entry, h = change_entry(xb, nb, xa, na, k=k, pair=True)
        hidden += h
        if entry["diff"] is not None and neb > 0 and nea > 0:
            diff, low, high = newcombe_difference(rb * neb, neb, ra * nea, nea)
            entry.update(diff=round_share(diff), ci_low=round_share(low), ci_high=round_share(high),
                         p_value=round_p(two_proportion_p(rb * neb, neb, ra * nea, nea)))
        if entry["before"] is not None:
            entry["before"] = round_share(rb)
        if entry["after"] is not None:
            entry["after"] = round_share(ra)
        entry["n_eff_before"] = round_share(neb) if entry["before"] is not None else None
        entry["n_eff_after"] = round_share(nea) if entry["after"] is not None else None
        out[season] = entry
    return out, hidden


def _cars_per_100(before: pd.DataFrame, after: pd.DataFrame, k: int,
                  employees_before: int | None, employees_after: int | None) -> tuple[dict, int]:
    """Cars arriving per 100 respondents on an average working day, before and after.

    Each respondent who drives (``car_alone`` or ``car_shared``) counts as one car times
    ``days_on_site / full_week_days``, as in the habits section; the difference uses Welch's
    interval over respondents. With ``employees`` the estimate is scaled to cars per day.
    """
    out: dict[str, Any] = {"base": "respondents"}
    hidden = 0

    def arrivals(table: pd.DataFrame, season: str) -> np.ndarray:
        days, full = _days_on_site(table)
        eligible, driver = outcome_indicator(table, season, "car_driver_share")
        value = driver.astype(float) * (days / full).clip(upper=7.0 / full)
        return (100 * value[eligible]).to_numpy(dtype=float)

    for season in SEASONS:
        vb, va = arrivals(before, season), arrivals(after, season)
        if len(vb) == 0 and len(va) == 0:
            continue
        drivers_b, drivers_a = int((vb > 0).sum()), int((va > 0).sum())
        ok_b = len(vb) >= k and yes_no_publishable(drivers_b, len(vb), k)
        ok_a = len(va) >= k and yes_no_publishable(drivers_a, len(va), k)
        hidden += (not ok_b) + (not ok_a)
        diff, low, high, p = welch_difference(vb, va)
        both = ok_b and ok_a
        entry = {
            "before": round_share(vb.mean()) if ok_b and len(vb) else None,
            "after": round_share(va.mean()) if ok_a and len(va) else None,
            "diff": round_share(diff) if both else None,
            "ci_low": round_share(low) if both else None,
            "ci_high": round_share(high) if both else None,
            "p_value": round_p(p) if both else None,
            "n_before": len(vb) if len(vb) >= k else None,
            "n_after": len(va) if len(va) >= k else None,
            "cars_per_day_before": round_share(vb.mean() * employees_before / 100) if ok_b and employees_before and len(vb) else None,
            "cars_per_day_after": round_share(va.mean() * employees_after / 100) if ok_a and employees_after and len(va) else None,
        }
        out[season] = entry
    return out, hidden


def _per_respondent_tonnes(table: pd.DataFrame) -> pd.Series | None:
    try:
        from grontur.emissions import compute_emissions
    except ImportError:
        return None
    result = compute_emissions(table)
    for name in ("per_respondent", "tonnes", "respondent_tonnes", "tonnes_per_respondent"):
        value = getattr(result, name, None)
        if isinstance(value, pd.Series):
            return pd.to_numeric(value, errors="coerce")
    log.warning("grontur.emissions returned no per-respondent tonnes; emissions comparison skipped")
    return None


def _emissions(before: pd.DataFrame, after: pd.DataFrame, k: int,
               employees_before: int | None, employees_after: int | None) -> tuple[dict, int]:
    tb, ta = _per_respondent_tonnes(before), _per_respondent_tonnes(after)
    if tb is None or ta is None:
        return {"available": False, "note": "emissions_unavailable"}, 0
    vb, va = tb.dropna().to_numpy(dtype=float), ta.dropna().to_numpy(dtype=float)
    if len(vb) == 0 or len(va) == 0:
        return {"available": False, "note": "emissions_no_distances"}, 0
    ok_b, ok_a = len(vb) >= k, len(va) >= k
    hidden = int(not ok_b and len(vb) > 0) + int(not ok_a and len(va) > 0)
    diff, low, high, p = welch_difference(vb, va)
    both = ok_b and ok_a
    return {
        "available": True,
        "unit": "tonnes_co2e_per_respondent_per_year",
        "before": round_share(vb.mean()) if ok_b else None,
        "after": round_share(va.mean()) if ok_a else None,
        "diff": round_share(diff) if both else None,
        "ci_low": round_share(low) if both else None,
        "ci_high": round_share(high) if both else None,
        "p_value": round_p(p) if both else None,
        "n_before": len(vb) if ok_b else None,
        "n_after": len(va) if ok_a else None,
        "total_before": round_share(vb.mean() * employees_before) if ok_b and employees_before else None,
        "total_after": round_share(va.mean() * employees_after) if ok_a and employees_after else None,
    }, hidden


def _panel(before: pd.DataFrame, after: pd.DataFrame, k: int) -> tuple[dict, int]:
    """McNemar on the linked respondents; two-proportion tests on the unlinked rest.

    A season's paired counts, interval and McNemar p-value are published only when each of the
    four cells (drove both times, stopped, started, drove neither time) is 0 or at least ``k``:
    with the panel size and the shares, any one of them gives the others away.
    """
    if "respondent_id" not in before.columns or "respondent_id" not in after.columns:
        return {"found": False, "n": 0}, 0
    links_b, links_a = linkable_ids(before), linkable_ids(after)
    ids_b = links_b.dropna()
    ids_a = links_a.dropna()
    # ids must be unique within a wave to link people; duplicates are left out of the panel
    ids_b = ids_b[~ids_b.duplicated(keep=False)]
    ids_a = ids_a[~ids_a.duplicated(keep=False)]
    common = pd.Index(ids_b).intersection(pd.Index(ids_a))
    n = len(common)
    if n == 0:
        return {"found": False, "n": 0}, 0
    hidden = 0
    out: dict[str, Any] = {
        "found": True,
        "n": n if n >= k else None,
        "share_of_before": round_share(n / len(before)) if n >= k else None,
        "share_of_after": round_share(n / len(after)) if n >= k else None,
        "outcome": "car_driver_share",
        "seasons": {},
        "non_panel": {},
    }
    if n < k:
        return out | {"note": "panel_too_small"}, 1
    in_panel_b = links_b.isin(common).to_numpy(dtype=bool)
    in_panel_a = links_a.isin(common).to_numpy(dtype=bool)
    pb = before[in_panel_b].set_index(links_b[in_panel_b])
    pa = after[in_panel_a].set_index(links_a[in_panel_a]).reindex(pb.index)
    rest_b, rest_a = before[~in_panel_b], after[~in_panel_a]
    out["non_panel"], h = _rate_change(rest_b, rest_a, "car_driver_share", k)
    hidden += h
    for season in SEASONS:
        eb, hb = outcome_indicator(pb, season, "car_driver_share")
        ea, ha = outcome_indicator(pa, season, "car_driver_share")
        both_answered = eb & ea
        m = int(both_answered.sum())
        if m == 0:
            continue
        hb, ha = hb[both_answered], ha[both_answered]
        a = int((hb & ha).sum())
        b = int((hb & ~ha).sum())
        c = int((~hb & ha).sum())
        d = int((~hb & ~ha).sum())
        if m < k:
            out["seasons"][season] = {"n": None}
            hidden += 1
            continue
        cells = {"car_both": a, "stopped_driving": b, "started_driving": c, "car_neither": d}
        paired_ok = not any(is_small(v, k) for v in cells.values())
        # The panel's share before (after) and the rest's share add up to the whole wave's:
        # one of the two is shown only when the other is.
        rest = out["non_panel"].get(season) or {}
        rest_hidden = {side: bool(outcome_indicator(table, season, "car_driver_share")[0].any()) and rest.get(side) is None
                       for side, table in (("before", rest_b), ("after", rest_a))}
        before_ok = yes_no_publishable(a + b, m, k) and not rest_hidden["before"]
        after_ok = yes_no_publishable(a + c, m, k) and not rest_hidden["after"]
        for side, ok in (("before", before_ok), ("after", after_ok)):
            if not ok and isinstance(rest.get(side), float):
                rest.update({side: None, "diff": None, "ci_low": None, "ci_high": None, "p_value": None})
                hidden += 1
        hidden += (not before_ok) + (not after_ok)
        entry: dict[str, Any] = {"n": m, "paired_test": paired_ok}
        if paired_ok:
            diff, low, high = newcombe_paired_difference(a, b, c, d)
            entry.update(cells)
            entry.update(ci_low=round_share(low), ci_high=round_share(high), mcnemar_p=round_p(mcnemar_p(b, c)))
        else:
            # too few people in one cell: no counts, interval or test that would give it away
            hidden += sum(1 for v in cells.values() if v > 0) + 3
            entry.update({key: None for key in cells})
            entry["note"] = "few_changed" if is_small(b, k) or is_small(c, k) else "few_in_a_cell"
            diff = (c - b) / m
            entry.update(ci_low=None, ci_high=None, mcnemar_p=None)
        entry["before"] = round_share((a + b) / m) if before_ok else None
        entry["after"] = round_share((a + c) / m) if after_ok else None
        entry["diff"] = round_share(diff) if before_ok and after_ok else None
        out["seasons"][season] = entry
    # the headline McNemar p-value: the summer season when present, else winter
    first = next((s for s in SEASONS if out["seasons"].get(s, {}).get("mcnemar_p") is not None), None)
    out["mcnemar_p"] = out["seasons"][first]["mcnemar_p"] if first else None
    return out, hidden


def hidden_groups(sizes: Sequence[int] | np.ndarray, k: int,
                  named: Sequence[bool] | np.ndarray | None = None) -> np.ndarray:
    """Which groups of one wave to hide: those of 1 to ``k - 1`` people, and when a single one
    of them is ``named`` (shown by name, because it has ``k`` or more in the other wave), also the
    smallest shown group, so the hidden size cannot be had by subtraction from the wave's total
    (as the report's habits section does). Unnamed small groups only add to an anonymous rest."""
    sizes = np.asarray(sizes, dtype=np.int64)
    hide = (sizes > 0) & (sizes < k)
    named = np.ones(len(sizes), dtype=bool) if named is None else np.asarray(named, dtype=bool)
    if int((hide & named).sum()) == 1:
        shown = np.flatnonzero(sizes >= k)
        if len(shown):
            hide[shown[np.argmin(sizes[shown])]] = True
    return hide


def _breakdowns(before: pd.DataFrame, after: pd.DataFrame, k: int) -> tuple[dict, int]:
    """Drive-alone rate and car-driver share per segment, workplace and job group.

    A group with fewer than ``k`` respondents in both waves is left out (its name would say that
    a few of its people answered); in one wave its size and shares are hidden, see
    :func:`hidden_groups`. Shares follow the yes/no rule of :func:`change_entry`.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    hidden = 0
    outcomes = ("drive_alone_rate", "car_driver_share")
    flags = {(w, s, o): outcome_indicator(t, s, o) for w, t in (("b", before), ("a", after)) for s in SEASONS for o in outcomes}
    for column in BREAKDOWN_COLUMNS:
        if column not in before.columns or column not in after.columns:
            continue
        labels = pd.concat([before[column], after[column]]).dropna().astype(str).unique()
        groups = pd.Index(sorted(labels))
        if groups.empty:
            continue
        size = len(groups)
        codes_b, codes_a = _group_codes(before[column], groups), _group_codes(after[column], groups)
        sizes_b = _tally(codes_b, np.ones(len(before)), size)
        sizes_a = _tally(codes_a, np.ones(len(after)), size)
        # per season and outcome: counts of the eligible and of those with the outcome, per group
        tallies = {}
        for season in SEASONS:
            for outcome in outcomes:
                eb, hb = flags[("b", season, outcome)]
                ea, ha = flags[("a", season, outcome)]
                tallies[(season, outcome)] = (_tally(codes_b, hb, size), _tally(codes_b, eb, size),
                                              _tally(codes_a, ha, size), _tally(codes_a, ea, size))
        named = (sizes_b >= k) | (sizes_a >= k)
        hide_b, hide_a = hidden_groups(sizes_b, k, named), hidden_groups(sizes_a, k, named)
        rows = []
        for i, group in enumerate(groups):
            nb, na = int(sizes_b[i]), int(sizes_a[i])
            if nb < k and na < k:
                # too small in both waves: not even the group's name is shown
                hidden += is_small(nb, k) + is_small(na, k)
                continue
            row: dict[str, Any] = {
                "group": str(group),
                "n_before": None if hide_b[i] else nb,
                "n_after": None if hide_a[i] else na,
            }
            hidden += int(hide_b[i]) + int(hide_a[i])
            for season in SEASONS:
                entries = {}
                for outcome in outcomes:
                    xb, eb_, xa, ea_ = (int(t[i]) for t in tallies[(season, outcome)])
                    if eb_ == 0 and ea_ == 0:
                        continue
                    entries[outcome], h = change_entry(xb, eb_, xa, ea_, k=k, pair=True,
                                                       hide=(bool(hide_b[i]), bool(hide_a[i])))
                    hidden += h
                if entries:
                    row[season] = entries
            rows.append(row)
        out[column] = rows
    return out, hidden


def _composition(before: pd.DataFrame, after: pd.DataFrame, k: int,
                 thresholds: Mapping[str, float]) -> tuple[dict | None, list[dict], int]:
    """Job-group composition of both waves and an after-estimate reweighted to the baseline mix.

    The mix is called different only when the chi-square test says so (``p`` below
    ``composition_alpha``); ``distance`` is the total variation distance (a fraction; the report
    shows it in percentage points). Groups too small in both waves are left out of ``shares``;
    a group that answered only in the baseline is named only when at least ``k`` answered.
    """
    if "job_group" not in before.columns or "job_group" not in after.columns:
        return None, [], 0
    gb = before["job_group"].dropna().astype(str)
    ga = after["job_group"].dropna().astype(str)
    if gb.empty or ga.empty:
        return None, [], 0
    groups = sorted(set(gb) | set(ga))
    cb = gb.value_counts().reindex(groups, fill_value=0).astype("int64")
    ca = ga.value_counts().reindex(groups, fill_value=0).astype("int64")
    sb, sa = cb / cb.sum(), ca / ca.sum()
    distance = float(0.5 * (sb - sa).abs().sum())
    table = pd.DataFrame({"b": cb, "a": ca})
    table = table[table.sum(axis=1) > 0]
    p = chi_square_test(table.to_numpy(dtype=float).T).p_value if len(table) > 1 else 1.0
    named = ((cb >= k) | (ca >= k)).to_numpy()
    hide_b = pd.Series(hidden_groups(cb.to_numpy(), k, named), index=groups)
    hide_a = pd.Series(hidden_groups(ca.to_numpy(), k, named), index=groups)
    hidden = int(hide_b.sum() + hide_a.sum())
    shares = {}
    for group in groups:
        if cb[group] < k and ca[group] < k:
            continue  # too small in both waves: left out by name
        shares[group] = {
            "before": None if hide_b[group] else round_share(sb[group]),
            "after": None if hide_a[group] else round_share(sa[group]),
        }
    section: dict[str, Any] = {
        "column": "job_group",
        "shares": shares,
        "distance": round_share(distance),
        "p_value": round_p(p),
        "reweighted": {},
    }
    warnings: list[dict[str, Any]] = []
    differs = p < thresholds["composition_alpha"]
    if differs:
        warnings.append({"code": "composition_changed", "values": {"distance": round_share(distance), "p_value": round_p(p)}})
    common = [g for g in groups if cb[g] > 0 and ca[g] > 0]
    missing = [g for g in groups if cb[g] > 0 and ca[g] == 0]
    if missing:
        shown = [g for g in missing if cb[g] >= k]
        warnings.append({"code": "composition_missing_groups",
                         "values": {"groups": shown, "small_groups": len(shown) < len(missing), "adjusted": differs}})
    for outcome in ("car_driver_share", "drive_alone_rate"):
        per_season = {}
        for season in SEASONS:
            entry, h = _reweighted(before, after, season, outcome, common, k)
            hidden += h
            if entry is not None:
                per_season[season] = entry
        section["reweighted"][outcome] = per_season
    return section, warnings, hidden


def _reweighted(before: pd.DataFrame, after: pd.DataFrame, season: str, outcome: str,
                common: Sequence[str], k: int) -> tuple[dict[str, Any] | None, int]:
    """Post-stratify the follow-up to the baseline job-group mix (strata present in both waves).

    ``before`` and ``after`` (unadjusted) cover the same strata, so they differ from the
    whole-wave figures when some respondents are outside them (``whole_waves`` is then false).
    Those left out could be described by subtraction from the whole-wave figures: when they are
    not themselves publishable (1 to ``k - 1`` people, or 1 to ``k - 1`` with or without the
    outcome) the entry is withheld and counted as one hidden cell.
    """
    if not common:
        return None, 0
    eb, hb = outcome_indicator(before, season, outcome)
    ea, ha = outcome_indicator(after, season, outcome)
    strata = pd.Index(list(common))
    codes_b, codes_a = _group_codes(before["job_group"], strata), _group_codes(after["job_group"], strata)
    size = len(strata)
    nb_h = pd.Series(_tally(codes_b, eb, size), index=strata, dtype=float)
    xb_h = pd.Series(_tally(codes_b, hb, size), index=strata, dtype=float)
    na_h = pd.Series(_tally(codes_a, ea, size), index=strata, dtype=float)
    xa_h = pd.Series(_tally(codes_a, ha, size), index=strata, dtype=float)
    keep = (nb_h > 0) & (na_h > 0)
    if not keep.any() or nb_h[keep].sum() < k or na_h[keep].sum() < k:
        return None, 0
    nb_h, xb_h, na_h, xa_h = nb_h[keep], xb_h[keep], na_h[keep], xa_h[keep]
    left_out = ((int(eb.sum()) - int(nb_h.sum()), int(hb.sum()) - int(xb_h.sum())),
                (int(ea.sum()) - int(na_h.sum()), int(ha.sum()) - int(xa_h.sum())))
    if not all(yes_no_publishable(x, n, k) for n, x in left_out):
        return None, 1
    change = poststratified_change(xb_h, nb_h, xa_h, na_h)
    return {
        "before": round_share(change.before),
        "after": round_share(change.after),
        "after_reweighted": round_share(change.after_reweighted),
        "diff_reweighted": round_share(change.diff),
        "ci_low": round_share(change.ci_low),
        "ci_high": round_share(change.ci_high),
        "p_value": round_p(change.p_value),
        # false when respondents outside the strata (no job group, or a group in one wave only)
        # are left out, so before and after differ from the whole-wave figures
        "whole_waves": left_out[0][0] == 0 and left_out[1][0] == 0,
    }, 0


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
                   mapping_before: Any, mapping_after: Any, panel_n: int,
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
    if panel_n > 0:
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


def compare_waves(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    k: int = 5,
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
    thresholds: Mapping[str, float] | None = None,
) -> Comparison:
    """Compare a baseline and a follow-up wave of canonical response tables.

    Parameters
    ----------
    before, after
        Canonical response tables of the baseline and the follow-up survey.
    k
        Privacy threshold: figures describing fewer than ``k`` respondents are ``None``.
    employees_before, employees_after
        Employees at the time of each wave, for response rates and totals.
    mapping_before, mapping_after
        The mappings (or mapping reports) used to import each wave; a difference is flagged.
    waves
        Wave labels ``("YYYY-MM", "YYYY-MM")``; by default the most common ``wave`` of each table.
    pilots, comparison, municipality, context, run_date
        When ``pilots`` is given, they are evaluated with :func:`grontur.pilots.evaluate_pilots`
        (``comparison`` is the comparison municipality's ``(before, after)`` tables; the rest
        is copied into the evidence records).
    thresholds
        Overrides of :data:`DEFAULT_THRESHOLDS`.
    """
    k = check_k(k)
    before = _check_table(before, "baseline")
    after = _check_table(after, "follow-up")
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    labels = (waves[0], waves[1]) if waves is not None else (wave_label(before), wave_label(after))

    mode_change, tests, h_modes, driver_hidden = _mode_share_change(before, after, k)
    drive_alone, h_dar = _drive_alone_change(before, after, k)
    drivers, h_drv = _rate_change(before, after, "car_driver_share", k)
    for season, flags in driver_hidden.items():
        # car_alone + car_shared: hidden when the mode shares would otherwise give a hidden one back
        for side, hide in zip(("before", "after"), flags[:2], strict=True):
            if hide and season in drivers:
                h_drv += _hide_side(drivers[season], side)
        # The drive-alone rate leaves remote workers out: its count beside the wave's count (and
        # its rate beside the car_alone share) gives a hidden number of remote workers back.
        for side, hide in zip(("before", "after"), flags[2:], strict=True):
            if hide and season in drive_alone:
                h_dar += _hide_side(drive_alone[season], side)
                drive_alone[season].update({f"n_{side}": None, f"n_eff_{side}": None})
    cars, h_cars = _cars_per_100(before, after, k, employees_before, employees_after)
    emissions, h_em = _emissions(before, after, k, employees_before, employees_after)
    panel, h_panel = _panel(before, after, k)
    breakdowns, h_groups = _breakdowns(before, after, k)
    composition, composition_warnings, h_comp = _composition(before, after, k, limits)
    warnings, respondents = _comparability(
        before, after, waves=labels, n_before=len(before), n_after=len(after),
        employees_before=employees_before, employees_after=employees_after,
        mapping_before=mapping_before, mapping_after=mapping_after,
        panel_n=int(panel.get("n") or 0), thresholds=limits,
    )
    warnings.extend(composition_warnings)
    if not emissions.get("available", False):
        warnings.append({"code": emissions.get("note", "emissions_unavailable"), "values": {}})
    hidden = h_modes + h_dar + h_drv + h_cars + h_em + h_panel + h_groups + h_comp
    result = Comparison(
        k=k,
        waves={"before": labels[0], "after": labels[1]},
        respondents=respondents,
        mode_share_change=mode_change,
        distribution_test=tests,
        drive_alone_rate=drive_alone,
        car_driver_share=drivers,
        cars_per_100_employees=cars,
        emissions=emissions,
        panel=panel,
        breakdowns=breakdowns,
        composition=composition,
        comparability=warnings,
        suppressed_cells=int(hidden),
    )
    log.info("compared %s baseline and %s follow-up respondents; %s cells suppressed; %s warnings",
             f"{len(before):,}", f"{len(after):,}", hidden, len(warnings))
    pilots = tuple(pilots)
    if pilots:
        effects = evaluate_pilots(before, after, pilots=pilots, comparison=comparison, k=k, municipality=municipality,
                                  context=context, run_date=run_date)
        result = result.with_pilots(effects)
    return result
