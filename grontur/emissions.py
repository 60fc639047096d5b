"""Commuting emissions in tonnes CO2e per year, by the distance-based method.

GHG Protocol Scope 3 category 7: one-way km x 2 x days on site per year x factor. Days on site per
year are ``days_on_site`` per week (remote days already taken off; when missing,
``full_week_days - remote_days``) x working weeks per year (``working_days_per_year /
full_week_days``). The summer mode is used for ``summer_share_of_year`` of the year and the winter
mode for the rest; when one season's mode is missing the other season's is used for the whole
year. ``car_alone`` uses the car factor for the respondent's fuel (per vehicle-km), ``car_shared``
divides it by ``carpool_occupancy``, ``car_passenger`` adds nothing (the driver goes anyway).
Factors, with source, year, scope and a low/high range, live in
``measures/factors/emission_factors.yaml``; settings in ``measures/factors/settings.yaml``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from grontur._yaml import read_yaml
from grontur.describe import (
    codes,
    column,
    days_on_site,
    jsonable,
    load_settings,
    numeric,
    season_weights,
)
from grontur.errors import ConfigError
from grontur.resources import data_path
from grontur.schema import FUELS, MODES, SEASONS
from grontur.suppression import DEFAULT_K, check_k

log = logging.getLogger(__name__)

BANDS = ("central", "low", "high")
_FACTOR_FIELDS = ("central", "low", "high", "unit", "scope", "year", "source")
#: What a factor counts: the exhaust only, or fuel and electricity production as well.
SCOPES = ("tank_to_wheel", "well_to_wheel")


@dataclass(frozen=True)
class Factor:
    """One emission factor in kg CO2e per km."""

    key: str
    central: float
    low: float
    high: float
    unit: str
    scope: str
    year: int
    source: str
    assumption: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kg_co2e_per_km": self.central, "low": self.low, "high": self.high, "unit": self.unit,
            "scope": self.scope, "year": self.year, "source": self.source, "assumption": self.assumption,
        }


@dataclass(frozen=True)
class Factors:
    """Car factors by fuel and factors by mode, plus the source list."""

    car: Mapping[str, Factor]
    modes: Mapping[str, Factor]
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    path: str = ""


def _factor(key: str, entry: Any, path: Path | str) -> Factor:
    if not isinstance(entry, Mapping):
        msg = f"{path}: the factor {key!r} must be a mapping with {', '.join(_FACTOR_FIELDS)}."
        raise ConfigError(msg)
    missing = [f for f in _FACTOR_FIELDS if f not in entry]
    if missing:
        msg = f"{path}: the factor {key!r} lacks {', '.join(missing)}; every factor needs a source, year, scope and low/high."
        raise ConfigError(msg)
    try:
        central, low, high = (float(entry[f]) for f in ("central", "low", "high"))
    except (TypeError, ValueError):
        msg = f"{path}: the factor {key!r} needs numbers for central, low and high."
        raise ConfigError(msg) from None
    if not (0 <= low <= central <= high):
        msg = f"{path}: the factor {key!r} must satisfy 0 <= low <= central <= high (got {low}, {central}, {high})."
        raise ConfigError(msg)
    if entry["unit"] not in ("vehicle_km", "person_km"):
        msg = f"{path}: the factor {key!r} has unit {entry['unit']!r}; use vehicle_km or person_km."
        raise ConfigError(msg)
    if entry["scope"] not in SCOPES:
        msg = f"{path}: the factor {key!r} has scope {entry['scope']!r}; use {' or '.join(SCOPES)}."
        raise ConfigError(msg)
    return Factor(key=key, central=central, low=low, high=high, unit=str(entry["unit"]),
                  scope=str(entry["scope"]), year=int(entry["year"]), source=str(entry["source"]),
                  assumption=bool(entry.get("assumption", False)))


def load_factors(path: str | Path | None = None) -> Factors:
    """Read and validate an emission factor file (default: the shipped one)."""
    if path is None:
        return _default_factors()
    return _read_factors(Path(path))


@cache
def _default_factors() -> Factors:
    return _read_factors(data_path("measures", "factors", "emission_factors.yaml"))


def _read_factors(path: Path) -> Factors:
    data = read_yaml(path, advice="check the path of the emission factor file and its syntax") or {}
    car = {f"car.{fuel}": _factor(f"car.{fuel}", entry, path) for fuel, entry in (data.get("car") or {}).items()}
    modes = {mode: _factor(mode, entry, path) for mode, entry in (data.get("modes") or {}).items()}
    missing = [f for f in FUELS if f"car.{f}" not in car]
    missing += [m for m in MODES if m not in modes and m not in ("car_alone", "car_shared")]
    if missing:
        msg = f"{path}: emission factors missing for {', '.join(missing)}; add them with source, year and scope."
        raise ConfigError(msg)
    # One scope for the whole file, or totals would add exhaust to fuel production unevenly.
    scopes = sorted({f.scope for f in (*car.values(), *modes.values())})
    if len(scopes) > 1:
        first = next(f.scope for f in (*car.values(), *modes.values()))
        odd = [f.key for f in (*car.values(), *modes.values()) if f.scope != first]
        msg = (f"{path}: the factors mix scopes ({', '.join(scopes)}): {', '.join(odd)} differ from {first}; "
               "give every factor the same scope.")
        raise ConfigError(msg)
    return Factors(car=car, modes=modes, sources=data.get("sources") or {}, path=str(path))


def _factor_table(factors: Factors, occupancy: float) -> dict[str, pd.Series]:
    """(mode, fuel) -> kg per person-km for each band, as lookup frames keyed by a combined code."""
    rows = {}
    for mode, f in factors.modes.items():
        rows[mode] = (f.central, f.low, f.high)
    for key, f in factors.car.items():
        fuel = key.split(".", 1)[1]
        rows[f"car_alone|{fuel}"] = (f.central, f.low, f.high)
        rows[f"car_shared|{fuel}"] = (f.central / occupancy, f.low / occupancy, f.high / occupancy)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(BANDS))
    return {band: frame[band] for band in BANDS}


def _lookup_key(mode: pd.Series, fuel: pd.Series) -> pd.Series:
    fuel = fuel.where(fuel.isin(FUELS), "unknown")
    is_car = mode.isin(("car_alone", "car_shared"))
    key = mode.copy()
    key[is_car] = mode[is_car] + "|" + fuel[is_car]
    return key


@dataclass(frozen=True, eq=False)
class EmissionsResult:
    """Per-respondent tonnes CO2e per year and the ``results["emissions"]`` section."""

    per_respondent: pd.Series
    low: pd.Series
    high: pd.Series
    detail: pd.DataFrame
    table: pd.DataFrame
    factors: Factors
    settings: Mapping[str, Any]
    k: int = DEFAULT_K
    employees: int | None = None

    @property
    def total(self) -> float:
        return float(self.per_respondent.sum(min_count=1)) if self.per_respondent.notna().any() else 0.0

    def as_dict(self) -> dict[str, Any]:
        """``results["emissions"]``: totals with low/high, by mode, fuel, season and municipality."""
        k = self.k
        hidden = 0
        est = self.per_respondent.notna()
        n_est = int(est.sum())
        totals = {b: float(s[est].sum()) for b, s in zip(BANDS, (self.per_respondent, self.low, self.high))}
        out: dict[str, Any] = {
            "method": "distance_based",
            "tonnes_co2e_per_year": totals["central"],
            "low": totals["low"],
            "high": totals["high"],
            "n_respondents": len(self.per_respondent),
            "n_estimated": n_est,
            "n_not_estimated": int(len(self.per_respondent) - n_est),
            "n_distance_estimated": int(self.detail["distance_estimated"].sum()),
        }
        avg = {b: (totals[b] / n_est if n_est >= k else None) for b in BANDS}
        if 0 < n_est < k:
            hidden += 1
            out["tonnes_co2e_per_year"] = out["low"] = out["high"] = None
        out["per_respondent_average"] = avg
        out["per_employee"] = {**avg, "basis": "respondent_average"}
        if self.employees:
            out["all_employees"] = {
                "employees": int(self.employees),
                **{b: (v * self.employees if (v := avg[b]) is not None else None) for b in BANDS},
            }
        by_mode, h = self._grouped("mode")
        hidden += h
        by_fuel, h = self._grouped("fuel")
        hidden += h
        out["by_mode"] = by_mode
        out["by_fuel"] = by_fuel
        out["by_season"] = {
            s: {b: float(self.detail[f"{b}_{s}"][est].sum()) if n_est >= k else None for b in BANDS}
            for s in SEASONS
        }
        if "municipality" in self.table.columns:
            by_muni, h = self._by_group(codes(self.table, "municipality"))
            hidden += h
            out["by_municipality"] = by_muni
        out["factors"] = {key: f.as_dict() for key, f in {**self.factors.car, **self.factors.modes}.items()}
        out["sources"] = {key: dict(v) for key, v in self.factors.sources.items()}
        out["settings"] = {key: self.settings[key] for key in (
            "working_days_per_year", "full_week_days", "summer_share_of_year", "carpool_occupancy")}
        out["working_weeks_per_year"] = float(self.settings["working_days_per_year"]) / float(self.settings["full_week_days"])
        out["suppressed_cells"] = int(hidden)
        return jsonable(out)

    def _by_group(self, key: pd.Series) -> tuple[dict[str, Any], int]:
        hidden = 0
        out: dict[str, Any] = {}
        est = self.per_respondent.notna()
        for g, idx in key[est].groupby(key[est], sort=True).groups.items():
            n = len(idx)
            if n < self.k:
                hidden += 1
                out[str(g)] = {"respondents": None, "tonnes": None, "low": None, "high": None, "per_respondent": None}
                continue
            t = float(self.per_respondent[idx].sum())
            out[str(g)] = {"respondents": n, "tonnes": t, "low": float(self.low[idx].sum()),
                           "high": float(self.high[idx].sum()), "per_respondent": t / n}
        return out, hidden + _hide_second(out)

    def _grouped(self, kind: str) -> tuple[dict[str, Any], int]:
        """Tonnes by the mode (or car fuel) used in each season; a respondent counts in each
        group whose mode they use in some season."""
        d = self.detail
        parts = []
        for s in SEASONS:
            frame = pd.DataFrame({
                "group": d[f"{kind}_{s}"],
                "row": d.index,
                **{b: d[f"{b}_{s}"] for b in BANDS},
            })
            parts.append(frame[frame["group"].notna() & d["estimated"].to_numpy()])
        long = pd.concat(parts, ignore_index=True)
        out: dict[str, Any] = {}
        hidden = 0
        if long.empty:
            return out, 0
        sums = long.groupby("group")[list(BANDS)].sum()
        people = long.groupby("group")["row"].nunique()
        for g in sums.index:
            n = int(people[g])
            if n < self.k:
                hidden += 1
                out[str(g)] = {"respondents": None, "tonnes": None, "low": None, "high": None}
            else:
                # DataFrame.at is typed as any pandas scalar; these cells are float sums
                out[str(g)] = {"respondents": n, "tonnes": float(sums.at[g, "central"]),  # type: ignore[arg-type]
                               "low": float(sums.at[g, "low"]), "high": float(sums.at[g, "high"])}  # type: ignore[arg-type]
        return out, hidden + _hide_second(out)


def _hide_second(groups: dict[str, Any]) -> int:
    """Group tonnes add up to a published total: when exactly one group is hidden, hide the
    smallest other group with emissions too, so the first cannot be found by subtraction."""
    hidden = [g for g, v in groups.items() if v["tonnes"] is None]
    if len(hidden) != 1:
        return 0
    others = sorted((v["respondents"], g) for g, v in groups.items() if v["tonnes"])
    if not others:
        return 0
    groups[others[0][1]] = {key: None for key in groups[others[0][1]]}
    return 1


def compute_emissions(
    table: pd.DataFrame,
    *,
    settings: Mapping[str, Any] | None = None,
    factors: Factors | str | Path | None = None,
    k: int = DEFAULT_K,
    employees: int | None = None,
) -> EmissionsResult:
    """Tonnes CO2e per year for every respondent (NaN where no distance or no mode is known).

    Parameters
    ----------
    table
        Canonical response table.
    settings
        Overrides of ``measures/factors/settings.yaml`` (working days per year, occupancy, ...).
    factors
        A :class:`Factors` object or a path to a factor file; default the shipped factors.
    k
        Privacy threshold for the grouped figures in :meth:`EmissionsResult.as_dict`.
    employees
        Total employees, to project the respondent average to the whole workforce.
    """
    k = check_k(k)
    settings = load_settings(settings)
    if not isinstance(factors, Factors):
        factors = load_factors(factors)
    weeks = float(settings["working_days_per_year"]) / float(settings["full_week_days"])
    lookup = _factor_table(factors, float(settings["carpool_occupancy"]))

    dist = numeric(table, "distance_km")
    dist = dist.where(dist > 0)
    days = days_on_site(table, settings)
    fuel = column(table, "car_fuel").astype("object")
    summer = column(table, "mode_summer").astype("object")
    winter = column(table, "mode_winter").astype("object")
    # One season missing: the other season's mode stands for the whole year.
    modes = {"summer": summer.fillna(winter), "winter": winter.fillna(summer)}
    unknown_mode = ~modes["summer"].isin(MODES) & modes["summer"].notna()
    if unknown_mode.any():
        log.warning("%s respondents have a mode without an emission factor; counted as not estimated",
                    int(unknown_mode.sum()))

    detail = pd.DataFrame(index=table.index)
    round_trip_km_year = 2.0 * dist * days * weeks
    estimated = dist.notna() & modes["summer"].notna()
    for season, w in season_weights(settings).items():
        mode = modes[season]
        key = _lookup_key(mode, fuel)
        km = round_trip_km_year * w
        for band in BANDS:
            f = key.map(lookup[band]).astype("float64")
            detail[f"{band}_{season}"] = (km * f / 1000.0).where(estimated & f.notna())
        detail[f"mode_{season}"] = mode.where(estimated)
        is_car = mode.isin(("car_alone", "car_shared"))
        detail[f"fuel_{season}"] = fuel.where(fuel.isin(FUELS), "unknown").where(is_car & estimated)
        detail[f"car_km_{season}"] = km.where(is_car, 0.0)
        # One-way trips (to work, home again), the unit the ranking counts in as well.
        detail[f"car_trips_{season}"] = (2.0 * days * weeks * w).where(is_car, 0.0)
    detail["estimated"] = estimated & detail[[f"central_{s}" for s in SEASONS]].notna().all(axis=1)
    detail["distance_estimated"] = (
        column(table, "distance_estimated").astype("object").map({True: True}).fillna(False).astype(bool)
        & detail["estimated"]
    )
    totals = {}
    for band in BANDS:
        total = detail[f"{band}_summer"] + detail[f"{band}_winter"]
        totals[band] = total.where(detail["estimated"])
    n_est = int(detail["estimated"].sum())
    log.info("emissions estimated for %s of %s respondents: %.1f t CO2e/year",
             f"{n_est:,}", f"{len(table):,}", float(totals["central"].sum()))
    return EmissionsResult(
        per_respondent=totals["central"].rename("tonnes_co2e_per_year"),
        low=totals["low"].rename("tonnes_co2e_low"),
        high=totals["high"].rename("tonnes_co2e_high"),
        detail=detail,
        table=table,
        factors=factors,
        settings=settings,
        k=k,
        employees=employees,
    )
