"""Switching potential: how feasible each alternative is for every car commuter, and two scenarios.

Car commuters are respondents who drive (``car_alone`` or ``car_shared``) in at least one season.
For each season in which they drive, the feasibility of walking, cycling, e-biking, transit,
carpooling and more home-office days is a logistic function of distance (curves shaped like the
Propensity to Cycle Tool uptake model), gradient (from the ``hilly`` barrier), the season, the
barriers they name, their conditions (car needed at work, children, shift work) and their stated
willingness (``would_consider``). All parameters live in ``measures/factors/potential.yaml``.

The scenarios turn feasibility into switches with an uptake share per alternative, let the
alternatives compete for the same person (``1 - prod(1 - uptake * f)``) and count car round trips
per working day and tonnes CO2e per year avoided, using the per-respondent emissions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from grontur._distinct import distinct, spread, text_ids
from grontur._yaml import read_yaml
from grontur.bases import mask as base_mask
from grontur.describe import (
    MultiSelect,
    codes,
    column,
    load_settings,
    numeric,
    row_quantities,
    said_yes,
    season_weights,
)
from grontur.emissions import BANDS, EmissionsResult
from grontur.errors import ConfigError
from grontur.publish import (
    DEFAULT_K,
    Derived,
    Fig,
    IsHidden,
    Ledger,
    Listed,
    Publication,
    SectionTally,
    check_k,
    is_small,
)
from grontur.resources import data_path
from grontur.results import to_jsonable
from grontur.schema import SEASONS

log = logging.getLogger(__name__)

ALTERNATIVES = ("walk", "bike", "ebike", "transit", "carpool", "remote")
TRANSIT_SERVICE = ("none", "poor", "fair", "good")
_EPS = 1e-6


@cache
def _default_params() -> dict[str, Any]:
    return _read_params(data_path("measures", "factors", "potential.yaml"))


def _read_params(path: Path) -> dict[str, Any]:
    data = read_yaml(path, advice="check the path of the potential parameter file and its syntax") or {}
    missing = [a for a in ALTERNATIVES if a not in (data.get("alternatives") or {})]
    if missing or not data.get("scenarios"):
        msg = f"{path}: the potential file needs `alternatives` ({', '.join(ALTERNATIVES)}) and `scenarios`; missing {', '.join(missing) or 'scenarios'}."
        raise ConfigError(msg)
    return data


def load_params(params: Mapping[str, Any] | str | Path | None = None) -> dict[str, Any]:
    """Potential parameters: the shipped file, another file, or the shipped file updated by a dict."""
    if params is None:
        return _default_params()
    if isinstance(params, (str, Path)):
        return _read_params(Path(params))
    merged = dict(_default_params())
    merged.update(params)
    return merged


def _value(entry: Any) -> Any:
    return entry["value"] if isinstance(entry, Mapping) and "value" in entry else entry


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pct_logit(d: np.ndarray, g: np.ndarray, c: Mapping[str, float]) -> np.ndarray:
    sd = np.sqrt(d)
    return (c["intercept"] + c["d"] * d + c["sqrt_d"] * sd + c["d2"] * d * d + c["g"] * g
            + c["dg"] * d * g + c["sqrt_dg"] * sd * g)


def pct_feasibility_logit(d: np.ndarray, g: np.ndarray, curve: Mapping[str, Any]) -> np.ndarray:
    """PCT-shaped logit anchored so that the best flat distance has feasibility ``peak``.

    The PCT logit is shifted by a constant (its maximum over 0.1-30 km on flat ground), so only
    its shape in distance and gradient is used; a Norwegian extra decay per km is added. The PCT
    polynomial turns upwards again at long distances (its d^2 term); feasibility never rises with
    distance, so beyond the turning point the curve keeps the value it has there.
    """
    grid = np.linspace(0.1, 30.0, 600)
    flat = _pct_logit(grid, np.zeros_like(grid), curve)
    best = float(flat.max())
    d_best = float(grid[flat.argmax()])
    far = np.linspace(d_best, 80.0, 800)
    d_turn = float(far[_pct_logit(far, np.zeros_like(far), curve).argmin()])
    d = np.asarray(d, dtype="float64")
    shape_d = np.minimum(np.maximum(d, 0.05), d_turn)
    raw = _pct_logit(shape_d, g, curve) - best + float(_logit(curve["peak"]))
    raw = raw + float(curve.get("norway_d", 0.0)) * np.maximum(d - d_best, 0.0)
    return np.where(d > float(curve.get("max_km", np.inf)), -np.inf, raw)


def _band_shift(d: np.ndarray, bands: list[list[float]]) -> np.ndarray:
    out = np.full(d.shape, np.nan)
    lower = -np.inf
    for upper, shift in bands:
        out = np.where((d > lower) & (d <= float(upper)) & np.isnan(out), float(shift), out)
        lower = float(upper)
    return out


def _curve_logit(alt: str, spec: Mapping[str, Any], d: np.ndarray, g: np.ndarray,
                 job: pd.Series, transit_service: str) -> np.ndarray:
    curve = spec["curve"]
    kind = curve["type"]
    if kind == "pct":
        return pct_feasibility_logit(d, g, curve)
    if kind == "logistic_distance":
        out = (float(curve["midpoint_km"]) - d) / float(curve["scale_km"])
        return np.where(d > float(curve.get("max_km", np.inf)), -np.inf, out)
    if kind == "service_bands":
        base = float(curve["service"][transit_service])
        if base <= 0:
            return np.full(d.shape, -np.inf)
        return float(_logit(base)) + _band_shift(d, curve["bands"])
    if kind == "base_bands":
        return float(_logit(float(curve["base"]))) + _band_shift(d, curve["bands"])
    if kind == "job_group":
        base = curve["base"]
        unknown = base.get("unknown", 0.2)  # a job group without a value of its own, or none given
        codes, groups = distinct(job)
        return _logit(spread([base.get(group, unknown) for group in groups], codes, missing=unknown, dtype="float64"))
    msg = f"measures/factors/potential.yaml: alternative {alt!r} has an unknown curve type {kind!r}; use pct, logistic_distance, service_bands, base_bands or job_group."
    raise ConfigError(msg)


@dataclass(frozen=True, eq=False)
class PotentialResult:
    """Feasibility per car commuter and alternative, scenarios and carpool groups."""

    per_respondent: pd.DataFrame
    by_season: Mapping[str, pd.DataFrame]
    car_commuter: pd.Series
    scenarios: Mapping[str, Any]
    carpool: Carpool
    params: Mapping[str, Any]
    transit_service: str
    k: int = DEFAULT_K
    scenario_per_respondent: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    n_distance_from_time: int = 0
    distance_from_time: np.ndarray | None = None
    #: log-odds of feasibility per season and alternative (before the car-driver mask)
    logits: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    #: each condition's log-odds term per alternative (so a measure can remove a condition)
    condition_terms: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    drives: Mapping[str, np.ndarray] = field(default_factory=dict)
    alone: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: feasible_in's answers: the ranking asks the same few questions for many measures
    _feasible: dict[tuple[Any, ...], np.ndarray] = field(
        default_factory=dict, repr=False, compare=False)

    @property
    def threshold(self) -> float:
        return float(_value(self.params["feasible_threshold"]))

    def feasible_in(self, season: str, alternatives: tuple[str, ...] | list[str] = ALTERNATIVES,
                    *, remove: tuple[str, ...] = ()) -> np.ndarray:
        """Car drivers of ``season`` for whom one of ``alternatives`` is feasible that season.

        This is the one definition of "feasible" that the potential section and the ranking
        share: feasibility ``f >= feasible_threshold`` in a season in which the person drives.
        ``remove`` takes conditions away (a pool car for work trips removes "I need my car at
        work"). A respondent with unknown distance is never feasible for a distance-based
        alternative.
        """
        key = (season, tuple(alternatives), tuple(remove))
        known = self._feasible.get(key)
        if known is not None:
            return known.copy()
        out = np.zeros(len(self.car_commuter), dtype=bool)
        drives = self.drives[season]
        for alt in alternatives:
            x = np.asarray(self.logits[season][alt], dtype="float64")
            for name in remove:
                term = self.condition_terms.get(alt, {}).get(name)
                if term is not None:
                    x = x - term
            with np.errstate(over="ignore", invalid="ignore"):
                ok = _sigmoid(x) >= self.threshold
            ok &= ~np.isnan(x)
            if alt == "carpool":
                ok &= self.alone[season]  # a car already shared has no carpool left to form
            out |= ok & drives
        self._feasible[key] = out
        return out.copy()

    def feasible(self) -> pd.DataFrame:
        """Boolean frame: alternative feasible for each car commuter in at least one season in
        which they drive (:meth:`feasible_in`)."""
        if not self.logits:  # built without seasonal logits: the yearly average decides
            return self.per_respondent.ge(self.threshold) & self.per_respondent.notna()
        return pd.DataFrame(self._feasible_matrix().copy(), index=self.per_respondent.index,
                            columns=self.per_respondent.columns)

    def _feasible_matrix(self) -> np.ndarray:
        """:meth:`feasible` as a boolean matrix (rows by :data:`ALTERNATIVES`), worked out once."""
        known = self._feasible.get(("matrix",))
        if known is None:
            if not self.logits:
                known = self.feasible().to_numpy(dtype=bool)
            else:
                commuter = self.car_commuter.to_numpy(dtype=bool)
                known = np.column_stack([np.logical_or.reduce([self.feasible_in(s, (alt,)) for s in self.logits])
                                         & commuter for alt in ALTERNATIVES])
            self._feasible[("matrix",)] = known
        return known

    def _any_feasible_mask(self) -> np.ndarray:
        """Car commuters with at least one feasible alternative besides more home office."""
        active = [j for j, alt in enumerate(ALTERNATIVES) if alt != "remote"]
        return self._feasible_matrix()[:, active].any(axis=1) & self.car_commuter.to_numpy(dtype=bool)

    def any_feasible(self) -> pd.Series:
        """Car commuters with at least one feasible alternative besides more home office."""
        f = self.feasible().drop(columns=["remote"])
        return f.any(axis=1).where(self.car_commuter)

    def as_dict(self) -> dict[str, Any]:
        """``results["potential"]`` published on its own (a gate of its own decides what is shown)."""
        ledger = Ledger(len(self.per_respondent), self.k)
        section = self.section(ledger)
        return published(ledger.decide(), section)

    def section(self, ledger: Ledger) -> dict[str, Any]:
        """``results["potential"]`` with every count registered with the run's publication gate
        (resolve it with :func:`published`). The car commuters are the ``car_drivers`` base;
        shares, means and scenario figures are derived figures resting on the counts of the
        people they describe."""
        table = self.table if self.table is not None else pd.DataFrame(index=self.per_respondent.index)
        commuter = self.car_commuter.to_numpy(dtype=bool)
        car = ledger.named("car_drivers", table)
        feasible = self._feasible_matrix() & commuter[:, None]
        per = self.per_respondent.to_numpy(dtype=float)  # columns in ALTERNATIVES order
        known = ~np.isnan(per) & commuter[:, None]
        counts: dict[str, Any] = {}
        for j, alt in enumerate(ALTERNATIVES):
            n_known = ledger.base(known[:, j], tag=("potential", "feasible", alt, "n"), answered=True)
            count = ledger.count(feasible[:, j], tag=("potential", "feasible", alt))
            values = per[:, j][known[:, j]]
            counts[alt] = {
                "count": count, "share": ledger.share(count, n_known), "n_known": n_known,
                "mean_feasibility": Derived(float(values.mean()) if len(values) else None, (n_known,)),
            }
        any_mask = self._any_feasible_mask()
        any_fig = ledger.count(any_mask, tag=("potential", "any_feasible"))
        from_time = ledger.count(self.distance_from_time if self.distance_from_time is not None
                                 else np.zeros(len(commuter), dtype=bool), tag=("potential", "distance_from_time"))
        out = {
            "n_car_commuters": car,
            "n_distance_from_time": from_time,
            "transit_service": self.transit_service,
            "feasible_threshold": float(_value(self.params["feasible_threshold"])),
            "feasible": counts,
            "any_active_or_transit_feasible": {"count": any_fig, "share": ledger.share(any_fig, car)},
            # The scenarios add up every car commuter's avoided trips and tonnes.
            "scenarios": {name: {key: (value if key == "assumptions" else _resting(value, (car,)))
                                 for key, value in scen.items()}
                          for name, scen in self.scenarios.items()},
            "carpool": self.carpool.section(ledger),
            "breakdowns": self._breakdowns(ledger, table),
            "suppressed_cells": SectionTally(),
        }
        return out

    def _breakdowns(self, ledger: Ledger, table: pd.DataFrame) -> dict[str, Any]:
        """Car commuters, feasible share and scenario trips avoided by workplace and job group.

        Each group's car commuters are a count of the gate; the groups add up to the car
        commuters who answered the question, and a group where every (or no) car commuter has a
        feasible alternative is a group answer the gate hides."""
        if self.table is None:
            return {}
        days = float(self.settings.get("working_days_per_year", 225)) if self.settings else 225.0
        anyf = self._any_feasible_mask()
        commuter = self.car_commuter.to_numpy(dtype=bool)
        # Per-row arrays summed per group with a row mask (no label look-ups per group).
        avoided = {scen: (frame["car_trips_per_year_avoided"].to_numpy(dtype=float),
                          frame["tonnes_avoided_central"].to_numpy(dtype=float))
                   for scen, frame in self.scenario_per_respondent.items()}
        out: dict[str, Any] = {}
        for name in ("workplace", "job_group"):
            if name not in table.columns:
                continue
            ids, uniques = pd.factorize(column(table, name).to_numpy(dtype=object))
            answered = commuter & (ids >= 0)
            groups: dict[str, Any] = {}
            figs = []
            for i in sorted(set(ids[answered].tolist()), key=lambda i: str(uniques[i])):
                g = str(uniques[i])
                mask = commuter & (ids == i)
                n = ledger.count(mask, tag=("potential", name, g, "n"))
                figs.append(n)
                yes = ledger.count(mask & anyf, tag=("potential", name, g, "any_feasible"))
                no = ledger.count(mask & ~anyf, tag=("potential", name, g, "none_feasible"))
                ledger.partition(n, [yes, no], group=True)
                entry: dict[str, Any] = {"n_car_commuters": n, "suppressed": IsHidden(n),
                                         "any_feasible_share": ledger.share(yes, n)}
                for scen, (trips, tonnes) in avoided.items():
                    entry[f"{scen}_car_trips_per_day_avoided"] = Derived(float(trips[mask].sum()) / days, (n,))
                    entry[f"{scen}_tonnes_avoided"] = Derived(float(tonnes[mask].sum()) if bool(
                        self.scenarios.get(scen, {}).get("tonnes_avoided")) else None, (n,))
                groups[g] = entry
            ledger.partition(ledger.base(answered, tag=("potential", name, "answered"), answered=True), figs)
            out[name] = groups
        return out


def _resting(value: Any, needs: tuple[Fig, ...]) -> Any:
    """Every number in ``value`` (nested dicts) as a derived figure resting on ``needs``."""
    if isinstance(value, Mapping):
        return {key: _resting(item, needs) for key, item in value.items()}
    return Derived(value, needs)


def published(publication: Publication, section: Mapping[str, Any]) -> dict[str, Any]:
    """The potential section as the gate decided: a group it hides is given as hidden only."""
    out = to_jsonable(publication.resolve(section))
    for groups in (out.get("breakdowns") or {}).values():
        for g, entry in groups.items():
            if entry.get("suppressed"):
                groups[g] = {"n_car_commuters": None, "suppressed": True}
    return dict(out)


def _condition(table: pd.DataFrame, name: str, barrier: str | None, barriers: MultiSelect) -> np.ndarray:
    flag = said_yes(table, name)
    if barrier:
        flag = flag | barriers.flags(barrier)
    return flag


@dataclass(frozen=True, eq=False)
class Carpool:
    """Lone drivers who could share a car: the groups of at least ``k`` of them from the same
    postcode area to the same workplace with the same working pattern."""

    lone: np.ndarray
    groups: tuple[np.ndarray, ...]
    digits: int
    min_km: float

    @property
    def in_group(self) -> np.ndarray:
        out = np.zeros(len(self.lone), dtype=bool)
        for members in self.groups:
            out |= members
        return out

    def summary(self) -> dict[str, Any]:
        """The exact figures (before the publication gate)."""
        n_lone, n_in = int(self.lone.sum()), int(self.in_group.sum())
        return {
            "postcode_digits": self.digits,
            "min_distance_km": float(self.min_km),
            "n_lone_drivers": n_lone,
            "n_groups": len(self.groups),
            "drivers_in_groups": n_in,
            "share_in_groups": n_in / n_lone if n_lone else None,
            "group_sizes": [int(m.sum()) for m in self.groups],
        }

    def section(self, ledger: Ledger) -> dict[str, Any]:
        """The summary with its counts registered with the gate: the groups (largest first) add
        up to the lone drivers in groups, a group the gate hides leaves the list of sizes."""
        lone = ledger.count(self.lone, tag=("potential", "carpool", "lone"))
        inside = ledger.count(self.in_group, tag=("potential", "carpool", "in_groups"))
        sizes = [ledger.count(m, tag=("potential", "carpool", "group", i)) for i, m in enumerate(self.groups)]
        ledger.partition(inside, sizes)
        return {
            "postcode_digits": self.digits,
            "min_distance_km": float(self.min_km),
            "n_lone_drivers": lone,
            "n_groups": len(self.groups),
            "drivers_in_groups": inside,
            "share_in_groups": ledger.share(inside, lone),
            "group_sizes": [Listed(fig, (fig,)) for fig in sizes],
        }


def find_carpool(table: pd.DataFrame, *, k: int = DEFAULT_K, digits: int = 4, min_km: float = 0.0) -> Carpool:
    """Lone drivers (one-way distance of at least ``min_km``) from the same postcode area to the
    same workplace with the same working pattern (shift or not), in groups of at least ``k``
    (a group that could be named in the report), largest first."""
    lone = np.logical_or.reduce([base_mask(table, f"drive_alone_{season}") for season in SEASONS])
    if min_km > 0:
        lone &= numeric(table, "distance_km").to_numpy(dtype=float) >= min_km
    area, areas = _area_ids(codes(table, "home_postcode"), digits)
    at = column(table, "workplace").to_numpy(dtype=object)
    if pd.isna(at).all():  # no workplace given: everyone at the one workplace ""
        at = np.full(len(at), "", dtype=object)
    (workplace,), workplaces = text_ids(at)
    shift = said_yes(table, "shift_work")
    rows = np.flatnonzero(lone & (area >= 0) & (workplace >= 0))
    # One key per area, workplace and working pattern, as a number; named as text only per group.
    combined = (area[rows] * len(workplaces) + workplace[rows]) * 2 + shift[rows]
    found, ids, sizes = np.unique(combined, return_inverse=True, return_counts=True)
    names = [f"{areas[c // 2 // len(workplaces)]}|{workplaces[c // 2 % len(workplaces)]}|{'shift' if c % 2 else 'day'}"
             for c in found.tolist()]
    counts = sizes.tolist()
    # A group of fewer than k drivers could not be proposed without describing them.
    big = [i for i in sorted(range(len(found)), key=lambda i: (-counts[i], names[i])) if not is_small(counts[i], k)]
    key_of_row = np.full(len(table), -1, dtype=np.int64)
    key_of_row[rows] = ids
    groups = tuple(key_of_row == i for i in big)
    return Carpool(lone=lone, groups=groups, digits=digits, min_km=float(min_km))


def _area_ids(postcodes: pd.Series, digits: int) -> tuple[np.ndarray, list[str]]:
    """The postcode area (first ``digits`` of the four-digit postcode) of each row as a position
    in the areas (-1 where missing), and the areas."""
    ids, uniques = pd.factorize(postcodes.to_numpy(dtype=object))
    (area_ids,), areas = text_ids(np.array([str(code).strip().zfill(4)[:digits] for code in uniques], dtype=object))
    return np.append(area_ids, -1)[ids], areas


def carpool_groups(table: pd.DataFrame, *, k: int = DEFAULT_K, digits: int = 4,
                   min_km: float = 0.0) -> tuple[pd.Series, dict[str, Any]]:
    """:func:`find_carpool` as a boolean Series (in a group of at least ``k``) and its exact
    summary (publish it through :meth:`Carpool.section` and the gate)."""
    found = find_carpool(table, k=k, digits=digits, min_km=min_km)
    return pd.Series(found.in_group, index=table.index), found.summary()


def compute_potential(
    table: pd.DataFrame,
    *,
    emissions: EmissionsResult,
    k: int = DEFAULT_K,
    params: Mapping[str, Any] | str | Path | None = None,
    transit_service: str = "poor",
    settings: Mapping[str, Any] | None = None,
) -> PotentialResult:
    """Feasibility of each alternative for every car commuter, and the two scenarios.

    Parameters
    ----------
    table
        Canonical response table.
    emissions
        Result of :func:`grontur.emissions.compute_emissions` on the same table.
    k
        Privacy threshold: carpool groups have at least ``k`` drivers; :meth:`PotentialResult.as_dict`
        publishes with a gate of its own, a run with the run's gate (:meth:`PotentialResult.section`).
    params
        Overrides of ``measures/factors/potential.yaml`` (a dict of top-level keys) or another file.
    transit_service
        Transit at the workplace(s): none, poor, fair or good (project context).
    settings
        Overrides of ``measures/factors/settings.yaml``.
    """
    k = check_k(k)
    if transit_service not in TRANSIT_SERVICE:
        msg = f"Unknown transit_service {transit_service!r} in the project context: use one of {', '.join(TRANSIT_SERVICE)}."
        raise ConfigError(msg)
    params = load_params(params)
    settings = load_settings(settings) if settings is None or "full_week_days" not in settings else settings
    if not emissions.per_respondent.index.equals(table.index):
        msg = "The emissions were computed on another table: call compute_emissions on the same table first."
        raise ConfigError(msg)

    drives = {s: base_mask(table, f"car_drivers_{s}") for s in SEASONS}
    alone = {s: base_mask(table, f"drive_alone_{s}") for s in SEASONS}
    distance = numeric(table, "distance_km").to_numpy(dtype="float64")
    minutes = numeric(table, "travel_time_min").to_numpy(dtype="float64")
    # A car commuter who gave a travel time but no distance: time x an average car speed.
    speed = float(_value(params.get("car_speed_km_per_min", 0.0)) or 0.0)
    from_time = np.isnan(distance) & ~np.isnan(minutes) & np.logical_or.reduce(list(drives.values())) & (speed > 0)
    d = np.where(from_time, minutes * speed, distance)
    quantities = row_quantities(table, settings, emissions.quantities)
    barriers = quantities.multi_select(table, "barriers")
    consider = quantities.multi_select(table, "would_consider")
    helps = quantities.multi_select(table, "would_help")
    hilly = barriers.flags("hilly")
    grad = params.get("gradient_pct") or {}
    g = np.where(hilly, float(grad.get("hilly", 4.0)), float(grad.get("flat", 0.0)))
    job = codes(table, "job_group")
    cond_barriers = params.get("condition_barriers") or {}
    conditions = {name: _condition(table, name, cond_barriers.get(name), barriers)
                  for name in ("car_needed_for_work", "children_drop_off", "shift_work")}
    digits = int(_value(params.get("carpool_postcode_digits", 4)))
    min_km = float(_value(params.get("carpool_min_km", 0.0)))
    carpool = find_carpool(table, k=k, digits=digits, min_km=min_km)
    in_group = carpool.in_group

    car_commuter = pd.Series(base_mask(table, "car_drivers"), index=table.index)

    base: dict[str, np.ndarray] = {}
    condition_terms: dict[str, dict[str, np.ndarray]] = {}
    for alt in ALTERNATIVES:
        spec = params["alternatives"][alt]
        x = _curve_logit(alt, spec, d, g, job, transit_service).astype("float64")
        if spec["curve"]["type"] != "job_group":
            x = np.where(np.isnan(d), np.nan, x)
        for code, shift in (spec.get("barriers") or {}).items():
            x = x + float(shift) * barriers.flags(code)
        condition_terms[alt] = {}
        for name, shift in (spec.get("conditions") or {}).items():
            term = float(shift) * conditions[name]
            condition_terms[alt][name] = term
            x = x + term
        willing = np.zeros(len(table), dtype=bool)
        for mode in spec.get("modes") or []:
            willing |= consider.flags(mode)
        x = x + float(spec.get("willing_shift", 0.0)) * willing
        for code, shift in (spec.get("help_shift") or {}).items():
            x = x + float(shift) * helps.flags(code)
        if alt == "carpool":
            x = x + np.where(in_group, float(spec.get("group_shift", 0.0)), float(spec.get("no_group_shift", 0.0)))
        base[alt] = x

    by_season: dict[str, pd.DataFrame] = {}
    logits: dict[str, dict[str, np.ndarray]] = {}
    season_f: dict[str, np.ndarray] = {}
    for season in SEASONS:
        frame = {}
        logits[season] = {}
        for alt in ALTERNATIVES:
            shift = float(params["alternatives"][alt].get("winter_shift", 0.0)) if season == "winter" else 0.0
            logits[season][alt] = base[alt] + shift
            with np.errstate(over="ignore"):
                f = _sigmoid(base[alt] + shift)
            f = np.where(drives[season], f, np.nan)
            if alt == "carpool":
                f = np.where(alone[season], f, np.where(drives[season], 0.0, np.nan))
            frame[alt] = f
        season_f[season] = np.column_stack([frame[alt] for alt in ALTERNATIVES])
        by_season[season] = pd.DataFrame(season_f[season], index=table.index, columns=list(ALTERNATIVES))

    # Annual feasibility: average over the seasons in which the person drives, weighted by season.
    weights = season_weights(settings)
    num = den = None
    for s in SEASONS:
        term = _zero_nan(season_f[s]) * weights[s] * drives[s][:, None]
        num = term if num is None else num + term
        part = weights[s] * drives[s].astype(float)
        den = part if den is None else den + part
    assert num is not None and den is not None  # SEASONS is not empty
    with np.errstate(invalid="ignore"):
        per_values = num / np.where(den > 0, den, np.nan)[:, None]
    per_values[np.logical_and.reduce([np.isnan(season_f[s]) for s in SEASONS])] = np.nan
    per_values[~car_commuter.to_numpy(dtype=bool)] = np.nan
    per = pd.DataFrame(per_values, index=table.index, columns=by_season[SEASONS[0]].columns)

    scenarios, per_resp = _scenarios(table, season_f, emissions, params, settings)
    log.info("potential for %s car commuters (transit service %s)", f"{int(car_commuter.sum()):,}", transit_service)
    return PotentialResult(
        per_respondent=per, by_season=by_season, car_commuter=car_commuter, scenarios=scenarios,
        carpool=carpool, params=params, transit_service=transit_service, k=k,
        scenario_per_respondent=per_resp, table=table, settings=settings,
        n_distance_from_time=int(from_time.sum()),
        distance_from_time=from_time,
        logits=logits, condition_terms=condition_terms,
        drives=drives,
        alone=alone,
    )


def _zero_nan(values: np.ndarray) -> np.ndarray:
    """``values`` with 0 where missing (NaN)."""
    return np.where(np.isnan(values), 0.0, values)


def _scenarios(table: pd.DataFrame, season_f: Mapping[str, np.ndarray], emissions: EmissionsResult,
               params: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The scenarios' avoided trips and tonnes, from each season's feasibility (rows by
    :data:`ALTERNATIVES`, missing where the person does not drive)."""
    detail = emissions.detail
    days_per_year = float(settings["working_days_per_year"])
    occupancy = float(_value(params.get("carpool_occupancy", 2.0)))
    bus = emissions.factors.modes["bus"]
    bus_band = {"central": bus.central, "low": bus.low, "high": bus.high}
    days = row_quantities(table, settings, emissions.quantities).days.to_numpy()
    out: dict[str, Any] = {}
    per_resp: dict[str, pd.DataFrame] = {}
    known_tonnes = bool(emissions.column("estimated").any()) if "estimated" in detail else True
    # The per-row columns each scenario reads, fetched once.
    feasibility = {s: _zero_nan(season_f[s]) for s in SEASONS}
    car_trips_of = {s: _zero_nan(emissions.column(f"car_trips_{s}").astype("float64")) for s in SEASONS}
    baseline_trips = cast(np.ndarray, sum(car_trips_of[s] for s in SEASONS))  # SEASONS is not empty
    person_km_of = {s: _zero_nan(emissions.column(f"car_km_{s}").astype("float64")) for s in SEASONS}
    car_tonnes_of = {(b, s): _zero_nan(emissions.column(f"{b}_{s}").astype("float64")) for b in BANDS for s in SEASONS}
    for name, scen in params["scenarios"].items():
        uptake = {alt: float(scen["uptake"].get(alt, 0.0)) for alt in ALTERNATIVES}
        extra = float(scen.get("extra_remote_days", 0.0))
        remote_frac = np.where(days > 0, np.minimum(1.0, extra / np.where(days > 0, days, 1.0)), 0.0)
        avoid_frac = {"walk": 1.0, "bike": 1.0, "ebike": 1.0, "transit": 1.0,
                      "carpool": 1.0 - 1.0 / occupancy, "remote": remote_frac}
        trips = np.zeros(len(table))
        tonnes = {b: np.zeros(len(table)) for b in BANDS}
        by_alt_trips = {alt: np.zeros(len(table)) for alt in ALTERNATIVES}
        by_alt_tonnes = {alt: np.zeros(len(table)) for alt in ALTERNATIVES}
        avoid = np.column_stack([np.broadcast_to(np.asarray(avoid_frac[alt], dtype="float64"), (len(table),)) for alt in ALTERNATIVES])
        transit = ALTERNATIVES.index("transit")
        for season in SEASONS:
            q = np.array([uptake[alt] for alt in ALTERNATIVES]) * feasibility[season]
            total_q = q.sum(axis=1)
            switch = 1.0 - np.prod(1.0 - q, axis=1)
            share = np.divide(q * switch[:, None], total_q[:, None], out=np.zeros_like(q), where=total_q[:, None] > 0)
            frac = share * avoid
            # Added up one alternative after the other (the same sums, to the last digit, as ever).
            avoided_trips = frac * car_trips_of[season][:, None]
            for j, alt in enumerate(ALTERNATIVES):
                trips += avoided_trips[:, j]
                by_alt_trips[alt] += avoided_trips[:, j]
            for b in BANDS:
                saved = frac * car_tonnes_of[b, season][:, None]
                # transit riders emit too: the bus's emissions per km are taken off
                saved[:, transit] = saved[:, transit] - share[:, transit] * person_km_of[season] * bus_band[b] / 1000.0
                for j, alt in enumerate(ALTERNATIVES):
                    tonnes[b] += saved[:, j]
                    if b == "central":
                        by_alt_tonnes[alt] += saved[:, j]
        base_per_day = float(baseline_trips.sum()) / days_per_year
        avoided_per_day = float(trips.sum()) / days_per_year
        out[name] = {
            "car_trips_per_day_baseline": base_per_day,
            "car_trips_per_day_avoided": avoided_per_day,
            "share_of_car_trips_avoided": avoided_per_day / base_per_day if base_per_day > 0 else None,
            # no emissions estimated (no distances): the tonnes are not known, not 0
            "tonnes_avoided": {b: float(tonnes[b].sum()) for b in BANDS} if known_tonnes else None,
            "by_alternative": {
                alt: {"car_trips_per_day_avoided": float(by_alt_trips[alt].sum()) / days_per_year,
                      "tonnes_avoided": float(by_alt_tonnes[alt].sum()) if known_tonnes else None}
                for alt in ALTERNATIVES
            },
            "assumptions": {
                "uptake": uptake,
                "extra_remote_days": extra,
                "carpool_occupancy": occupancy,
                "transit_emissions_kg_per_km": bus_band,
                "feasible_threshold": float(_value(params["feasible_threshold"])),
                "source": str(scen.get("source", "")),
            },
        }
        per_resp[name] = pd.DataFrame(np.column_stack([trips, *(tonnes[b] for b in BANDS)]), index=table.index,
                                      columns=["car_trips_per_year_avoided", *(f"tonnes_avoided_{b}" for b in BANDS)])
    return out, per_resp
