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
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur._distinct import spread, text_ids
from grontur._yaml import read_yaml
from grontur.describe import (
    RowQuantities,
    codes,
    column,
    load_settings,
    numeric,
    row_quantities,
    season_weights,
)
from grontur.errors import ConfigError
from grontur.publish import DEFAULT_K, Derived, Fig, Ledger, SectionTally, check_k
from grontur.resources import data_path
from grontur.schema import FUELS, MODES, SEASONS

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


def _factor_table(factors: Factors, occupancy: float) -> dict[str, dict[str, float]]:
    """Kg per person-km for each band, by mode and, for the car modes, by ``mode|fuel``."""
    rows = {}
    for mode, f in factors.modes.items():
        rows[mode] = (f.central, f.low, f.high)
    for key, f in factors.car.items():
        fuel = key.split(".", 1)[1]
        rows[f"car_alone|{fuel}"] = (f.central, f.low, f.high)
        rows[f"car_shared|{fuel}"] = (f.central / occupancy, f.low / occupancy, f.high / occupancy)
    return {band: {key: float(values[i]) for key, values in rows.items()} for i, band in enumerate(BANDS)}


def _fuel_keys(fuel: pd.Series) -> np.ndarray:
    """The car fuel of each row, ``unknown`` where it is missing or not one of :data:`FUELS`."""
    values = fuel.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values)
    return np.where(spread([f in FUELS for f in uniques], codes, missing=False, dtype=bool), values, "unknown")


def _distance_estimated(flags: pd.Series) -> np.ndarray:
    """Rows whose distance the import estimated (``True``; anything else is not)."""
    if pd.api.types.is_bool_dtype(flags.dtype) and not isinstance(flags.dtype, pd.BooleanDtype):
        return flags.to_numpy(dtype=bool)
    if flags.isna().all():
        return np.zeros(len(flags), dtype=bool)
    return flags.astype("object").map({True: True}).fillna(False).astype(bool).to_numpy(dtype=bool)


def _factors_per_row(mode_ids: np.ndarray, modes: list[Any], fuel: np.ndarray,
                     lookup: Mapping[str, Mapping[str, float]]) -> dict[str, np.ndarray]:
    """Each row's factor per band (kg per person-km; NaN without a mode or a factor for it): a car
    mode's factor is that of the row's fuel (``fuel`` holds ``unknown`` where the fuel is not known).
    ``mode_ids`` holds each row's position in ``modes`` (-1: no mode)."""
    fuel_ids, fuel_values = pd.factorize(fuel)
    table = {band: np.full((len(modes) + 1, len(fuel_values) + 1), np.nan) for band in BANDS}
    for i, m in enumerate(modes):
        for j, f in enumerate([*fuel_values, None]):
            key = f"{m}|{f}" if m in ("car_alone", "car_shared") else m
            for band in BANDS:
                if key in lookup[band]:
                    table[band][i, j] = lookup[band][key]
    return {band: table[band][mode_ids, fuel_ids] for band in BANDS}


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
    # days on site and trips per row, shared with the sections computed on the same table
    quantities: RowQuantities | None = None
    #: the arrays :attr:`detail` was made of, by column (read through :meth:`column`)
    columns: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def column(self, name: str) -> np.ndarray:
        """The column ``name`` of :attr:`detail` as an array (without reading the frame when the
        arrays it was made of are at hand)."""
        found = self.columns.get(name)
        return found if found is not None else self.detail[name].to_numpy()

    @property
    def total(self) -> float | None:
        """Tonnes CO2e per year of the respondents with an estimate (``None`` when nobody has one)."""
        est = self.per_respondent.notna()
        return float(self.per_respondent[est].sum()) if est.any() else None

    def as_dict(self) -> dict[str, Any]:
        """``results["emissions"]`` published on its own (a gate of its own decides what is shown)."""
        from grontur.describe import publish_section

        ledger = Ledger(len(self.table), self.k)
        return publish_section(ledger, self.section(ledger))

    def section(self, ledger: Ledger) -> dict[str, Any]:
        """``results["emissions"]`` with every count registered with the run's publication gate:
        totals with low/high, by mode, fuel, season and municipality. Tonnes, means and
        projections are derived figures resting on the counts of the respondents they add up.

        When nobody's emissions could be estimated the tonnes are ``None`` (not 0) and
        ``not_available_reason`` says why (``no_distance``: nobody with a known distance;
        ``no_mode``: distances known, but no main mode with an emission factor)."""
        table = self.table
        est = self._arrays["estimated"]
        respondents = ledger.named("respondents", table)
        distance_known = ledger.named("distance_known", table)
        # Those with an estimate are a base (how many could be estimated); those without are
        # the respondents less that base, as "how many did not answer" is published elsewhere.
        n_est = ledger.base(est, tag=("emissions", "estimated"), answered=True)
        not_est = Derived(respondents.n - n_est.n, (respondents, n_est))
        dist_est = ledger.count(self.column("distance_estimated").astype(bool),
                                tag=("emissions", "distance_estimated"))
        available = n_est.n > 0
        reason = None
        if not available:
            usable = numeric(table, "distance_km").gt(0).to_numpy(dtype=bool)
            reason = "no_distance" if distance_known.n == 0 or not usable.any() else "no_mode"
        totals = {b: float(self._arrays[b][est].sum()) if available else None for b in BANDS}

        def resting(value: float | None) -> Derived:
            return Derived(value, (n_est,))

        avg = {b: (v / n_est.n if v is not None else None) for b, v in totals.items()}
        out: dict[str, Any] = {
            "method": "distance_based",
            "tonnes_co2e_per_year": resting(totals["central"]),
            "low": resting(totals["low"]),
            "high": resting(totals["high"]),
            "not_available_reason": reason,
            "n_respondents": respondents,
            "n_estimated": n_est,
            "n_not_estimated": not_est,
            "n_distance_estimated": dist_est,
            "per_respondent_average": {b: resting(v) for b, v in avg.items()},
            "per_employee": {**{b: resting(v) for b, v in avg.items()}, "basis": "respondent_average"},
        }
        if self.employees:
            out["all_employees"] = {
                "employees": int(self.employees),
                **{b: resting(v * self.employees if v is not None else None) for b, v in avg.items()},
            }
        out["by_mode"] = self._grouped(ledger, "mode", n_est)
        out["by_fuel"] = self._grouped(ledger, "fuel", n_est)
        out["by_season"] = {
            s: {b: resting(float(self._arrays[f"{b}_{s}"][est].sum()) if available else None)
                for b in BANDS}
            for s in SEASONS
        }
        if "municipality" in table.columns:
            out["by_municipality"] = self._by_group(ledger, codes(table, "municipality"), n_est)
        out["factors"] = {key: f.as_dict() for key, f in {**self.factors.car, **self.factors.modes}.items()}
        out["sources"] = {key: dict(v) for key, v in self.factors.sources.items()}
        out["settings"] = {key: self.settings[key] for key in (
            "working_days_per_year", "full_week_days", "summer_share_of_year", "carpool_occupancy")}
        out["working_weeks_per_year"] = float(self.settings["working_days_per_year"]) / float(self.settings["full_week_days"])
        out["suppressed_cells"] = SectionTally()
        return out

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        """The per-row columns the section sums, as NumPy arrays (read once)."""
        out = {"estimated": self.column("estimated").astype(bool)}
        for b, s in zip(BANDS, (self.per_respondent, self.low, self.high)):
            out[b] = s.to_numpy()
            for season in SEASONS:
                out[f"{b}_{season}"] = self.column(f"{b}_{season}")
        return out

    def _tonnes(self, mask: np.ndarray, fig: Fig, seasons: Mapping[str, np.ndarray] | None = None) -> dict[str, Derived]:
        """Tonnes (central, low, high) of the respondents in ``mask`` (or, by season, of those in
        each season's mask), resting on their count."""
        arrays = self._arrays
        out = {}
        for b in BANDS:
            if seasons is None:
                value = float(arrays[b][mask].sum())
            else:
                value = sum(float(arrays[f"{b}_{season}"][m].sum()) for season, m in seasons.items())
            out["tonnes" if b == "central" else b] = Derived(value, (fig,))
        return out

    def _by_group(self, ledger: Ledger, key: pd.Series, n_est: Fig) -> dict[str, Any]:
        """Tonnes by a group column (the groups add up to the respondents with an estimate)."""
        est = self._arrays["estimated"]
        (ids,), labels = text_ids(key.to_numpy(dtype=object))
        out: dict[str, Any] = {}
        figs = []
        central = self._arrays["central"]
        for i in sorted(set(ids[est].tolist()) - {-1}, key=lambda i: labels[i]):
            g = labels[i]
            mask = est & (ids == i)
            fig = ledger.count(mask, tag=("emissions", "by_municipality", g))
            figs.append(fig)
            tonnes = self._tonnes(mask, fig)
            total = float(central[mask].sum())
            out[g] = {"respondents": fig, **tonnes, "per_respondent": Derived(total / fig.n if fig.n else None, (fig,))}
        ledger.partition(n_est, figs)
        return out

    def _grouped(self, ledger: Ledger, kind: str, n_est: Fig) -> dict[str, Any]:
        """Tonnes by the mode (or car fuel) used in each season; a respondent counts in each
        group whose mode they use in some season.

        The groups' tonnes add up to a published total (all tonnes; the car modes' tonnes for
        the fuels), so one hidden group must not follow from the others: the fuels partition the
        car drivers with an estimate, and the modes are declared to the gate as a partition of
        the respondents with an estimate too. Respondents who use two modes count in both
        groups, so that equation is stricter than the respondents' own: the gate hides a second
        group beside a hidden one, as the tonnes need."""
        est = self._arrays["estimated"]
        ids, labels = text_ids(*(self.column(f"{kind}_{s}").astype(object) for s in SEASONS))
        columns = dict(zip(SEASONS, ids))
        found = sorted({i for s in SEASONS for i in columns[s][est].tolist()} - {-1}, key=lambda i: labels[i])
        out: dict[str, Any] = {}
        figs = []
        union = np.zeros(len(est), dtype=bool)
        for i in found:
            g = labels[i]
            seasons = {s: est & (columns[s] == i) for s in SEASONS}
            members = np.logical_or.reduce(list(seasons.values()))
            union |= members
            fig = ledger.count(members, tag=("emissions", f"by_{kind}", g))
            figs.append(fig)
            if kind == "mode":
                # Those using the mode in some season: beside a season's cell of it (published
                # in habits) the few who switch would show, and the gate hides this group first.
                ledger.union(fig, [ledger.count(seasons[s], tag=("emissions", "by_mode", g, s)) for s in SEASONS])
            out[g] = {"respondents": fig, **self._tonnes(members, fig, seasons)}
        if figs:
            total = n_est if kind == "mode" else ledger.count(union, tag=("emissions", f"by_{kind}", "total"))
            ledger.partition(total, figs)
        return out


def compute_emissions(
    table: pd.DataFrame,
    *,
    settings: Mapping[str, Any] | None = None,
    factors: Factors | str | Path | None = None,
    k: int = DEFAULT_K,
    employees: int | None = None,
    quantities: RowQuantities | None = None,
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
        Privacy threshold of :meth:`EmissionsResult.as_dict` (a section published on its own);
        in a run the run's publication gate decides (:meth:`EmissionsResult.section`).
    employees
        Total employees, to project the respondent average to the whole workforce.
    quantities
        :func:`grontur.describe.row_quantities` of ``table`` when the caller has them already.
    """
    k = check_k(k)
    settings = load_settings(settings)
    if not isinstance(factors, Factors):
        factors = load_factors(factors)
    weeks = float(settings["working_days_per_year"]) / float(settings["full_week_days"])
    lookup = _factor_table(factors, float(settings["carpool_occupancy"]))

    dist = numeric(table, "distance_km").to_numpy(dtype="float64")
    dist = np.where(dist > 0, dist, np.nan)
    quantities = row_quantities(table, settings, quantities)
    days = quantities.days.to_numpy(dtype="float64")
    summer = column(table, "mode_summer").to_numpy(dtype=object)
    winter = column(table, "mode_winter").to_numpy(dtype=object)
    # One season missing: the other season's mode stands for the whole year.
    modes = {"summer": np.where(pd.isna(summer), winter, summer), "winter": np.where(pd.isna(winter), summer, winter)}
    n = len(table)
    mode_ids, mode_values = pd.factorize(np.concatenate([modes[s] for s in SEASONS]))
    mode_id = {s: mode_ids[i * n:(i + 1) * n] for i, s in enumerate(SEASONS)}
    unknown = np.array([m not in MODES for m in mode_values] + [False])
    unknown_mode = unknown[mode_id["summer"]]
    if unknown_mode.any():
        log.warning("%s respondents have a mode without an emission factor; counted as not estimated",
                    int(unknown_mode.sum()))
    car = np.array([m in ("car_alone", "car_shared") for m in mode_values] + [False])
    fuel_key = _fuel_keys(column(table, "car_fuel"))

    nan = np.float64(np.nan)
    round_trip_km_year = (2.0 * dist * days * weeks)
    estimated = ~np.isnan(dist) & (mode_id["summer"] >= 0)
    columns: dict[str, Any] = {}
    for season, w in season_weights(settings).items():
        factor = _factors_per_row(mode_id[season], list(mode_values), fuel_key, lookup)
        km = round_trip_km_year * w
        with_factor = ~np.isnan(factor["central"])
        for band in BANDS:
            columns[f"{band}_{season}"] = np.where(estimated & with_factor, km * factor[band] / 1000.0, nan)
        is_car = car[mode_id[season]]
        # object columns (as the table's codes), not text columns
        columns[f"mode_{season}"] = pd.Series(np.where(estimated, modes[season], nan), index=table.index, dtype=object)
        columns[f"fuel_{season}"] = pd.Series(np.where(is_car & estimated, fuel_key, nan), index=table.index,
                                              dtype=object)
        columns[f"car_km_{season}"] = np.where(is_car, km, 0.0)
        # One-way trips (to work, home again), the unit the ranking counts in as well.
        columns[f"car_trips_{season}"] = np.where(is_car, 2.0 * days * weeks * w, 0.0)
    is_estimated = estimated & np.logical_and.reduce([~np.isnan(columns[f"central_{s}"]) for s in SEASONS])
    columns["estimated"] = is_estimated
    columns["distance_estimated"] = (_distance_estimated(table["distance_estimated"]) & is_estimated
                                     if "distance_estimated" in table.columns else np.zeros(n, dtype=bool))
    detail = pd.DataFrame(columns, index=table.index)
    totals = {}
    for band, name in zip(BANDS, ("tonnes_co2e_per_year", "tonnes_co2e_low", "tonnes_co2e_high")):
        total = columns[f"{band}_summer"] + columns[f"{band}_winter"]
        totals[band] = pd.Series(np.where(is_estimated, total, nan), index=table.index, name=name)
    if log.isEnabledFor(logging.INFO):
        log.info("emissions estimated for %s of %s respondents: %.1f t CO2e/year",
                 f"{int(is_estimated.sum()):,}", f"{len(table):,}", float(totals["central"].sum()))
    return EmissionsResult(
        per_respondent=totals["central"],
        low=totals["low"],
        high=totals["high"],
        detail=detail,
        table=table,
        factors=factors,
        settings=settings,
        k=k,
        quantities=quantities,
        employees=employees,
        columns={name: values.to_numpy() if isinstance(values, pd.Series) else values for name, values in columns.items()},
    )
