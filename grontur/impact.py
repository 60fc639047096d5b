"""The impact model that the ranking and the plan share with the switching potential.

A measure's effect is a relative cut in car commuting trips *per person reached*:

* **reach**: the people in the measure's target group (catalogue rules) who drive in a season and
  for whom one of the measure's alternatives is feasible that season. Feasibility is the
  potential model's (:meth:`grontur.potential.PotentialResult.feasible_in`), so the ranking and
  the potential section count the same people;
* **uptake**: for a measure whose effect is measured on participants (a pool bike, a ticket, a
  matching service), the share of those reached who take part, from the catalogue, capped by the
  measure's **capacity** (pool size, spaces, tickets) from the catalogue or the site context;
* **effect**: the catalogue's range (moved by pilot evidence), strengthened or weakened per
  person by how well the measure answers what the person said (the ranking's match multiplier).

The car trips and tonnes a measure acts on are those of :mod:`grontur.emissions` (per season, the
same numbers as the emissions section). :func:`apply_in_order` applies measures one after the
other to the car trips that remain, so a plan can never avoid more than there is.

Everything is vectorised over respondents; nothing here applies the privacy threshold or phrases
anything (the ranking registers counts with the publication gate, the report phrases).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from grontur.schema import SEASONS

#: The three ends of every estimate, in the order low, central, high.
BANDS = ("low", "central", "high")


@dataclass(frozen=True, eq=False)
class Baseline:
    """Each respondent's car trips per working day and tonnes CO2e per year, by season.

    ``trips[season]`` are one-way car trips (as driver) per average working day that the season
    contributes: summed over the seasons they give the respondent's average day. ``tonnes[band]
    [season]`` are the tonnes of those trips per year (``None`` when emissions are not known).
    """

    trips: Mapping[str, np.ndarray]
    tonnes: Mapping[str, Mapping[str, np.ndarray]] | None
    driver: Mapping[str, np.ndarray]
    days_per_year: float
    #: each season's share of the working year (the emissions' settings)
    season_weights: Mapping[str, float]
    #: the most car trips per day each person could drop (the potential's most ambitious
    #: scenario); a plan never takes a person below it. ``None``: no ceiling but the trips.
    ceiling: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(next(iter(self.trips.values())))

    def total_trips(self) -> float:
        return float(sum(float(t.sum()) for t in self.trips.values()))

    def total_tonnes(self, band: str = "central") -> float | None:
        if self.tonnes is None:
            return None
        return float(sum(float(t.sum()) for t in self.tonnes[band].values()))

    def person_trips(self) -> np.ndarray:
        return np.asarray(sum(self.trips.values()), dtype=float)

    def person_tonnes(self, band: str = "central") -> np.ndarray | None:
        if self.tonnes is None:
            return None
        return np.asarray(sum(self.tonnes[band].values()), dtype=float)

    @cached_property
    def tonnes_per_trip(self) -> np.ndarray | None:
        """Each person's central tonnes per car trip of the average day (0 without car trips;
        ``None`` when tonnes are not known)."""
        if self.tonnes is None:
            return None
        person = sum(self.trips.values())
        return np.divide(sum(self.tonnes["central"][s] for s in self.trips), person, out=np.zeros(self.n), where=person > 0)

    @classmethod
    def of(cls, emissions: Any, *, index: pd.Index, tonnes: pd.Series | None = None) -> Baseline:
        """The baseline from an emissions result (:func:`grontur.emissions.compute_emissions`).

        ``tonnes`` replaces the emissions' own tonnes per respondent (spread over the seasons in
        proportion to the car trips); for callers who only have tonnes per respondent.
        """
        from grontur.describe import season_weights

        detail: pd.DataFrame = emissions.detail
        settings: Mapping[str, Any] = emissions.settings
        days = float(settings["working_days_per_year"])
        weights = season_weights(settings)
        if not detail.index.equals(index):
            detail = detail.reindex(index)
        trips = {s: detail[f"car_trips_{s}"].fillna(0.0).to_numpy(dtype=float) / days for s in SEASONS}
        driver = {s: trips[s] > 0 for s in SEASONS}
        out: dict[str, dict[str, np.ndarray]] | None
        if tonnes is None and "estimated" in detail and not bool(detail["estimated"].fillna(False).astype(bool).any()):
            # no emissions could be estimated (no distances): tonnes are not known, not 0
            return cls(trips=trips, tonnes=None, driver=driver, days_per_year=days, season_weights=weights)
        if tonnes is not None:
            per_person = pd.to_numeric(tonnes.reindex(index), errors="coerce").fillna(0.0).to_numpy(dtype=float)
            total = sum(trips.values())
            with np.errstate(invalid="ignore", divide="ignore"):
                parts = {s: np.where(total > 0, per_person * trips[s] / total, 0.0) for s in SEASONS}
            out = {band: parts for band in BANDS}
        else:
            out = {}
            car = {season: detail[f"mode_{season}"].isin(("car_alone", "car_shared")).to_numpy(dtype=bool)
                   for season in SEASONS}
            for band in BANDS:
                out[band] = {}
                for season in SEASONS:
                    values = detail[f"{band}_{season}"].to_numpy(dtype=float)
                    out[band][season] = np.where(car[season] & ~np.isnan(values), values, 0.0)
        return cls(trips=trips, tonnes=out, driver=driver, days_per_year=days, season_weights=weights)


def kept(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.where(mask, values, 0.0)`` of a boolean ``mask`` and float ``values`` of its shape, bit
    for bit, without a branch per element: over people picked here and there (those a measure
    reaches) ``np.where`` mispredicts most branches and costs about four times as much."""
    bits = mask.astype(np.int64)
    np.negative(bits, out=bits)  # every bit set where ``mask``, none elsewhere
    return np.bitwise_and(np.asarray(values, dtype=np.float64).view(np.int64), bits, out=bits).view(np.float64)


def _per_person(share: Mapping[str, np.ndarray], amount: Mapping[str, np.ndarray],
                seasons: Iterable[str]) -> np.ndarray:
    """The shares of each season times that season's trips or tonnes, added over ``seasons``
    (per person; per measure and person for a matrix of shares)."""
    return np.asarray(sum(share[s] * amount[s] for s in seasons), dtype=float)


@dataclass(frozen=True, eq=False)
class MeasureImpact:
    """What one measure does on its own: per band and season, the share of each person's car
    trips it avoids (0 for people it does not reach)."""

    id: str
    reach: Mapping[str, np.ndarray]
    share: Mapping[str, Mapping[str, np.ndarray]]
    participants: Mapping[str, float] | None
    capacity_people: float | None
    capacity_bound: bool

    @property
    def reached(self) -> np.ndarray:
        return np.logical_or.reduce(list(self.reach.values()))

    @cached_property
    def touched(self) -> np.ndarray:
        """The people whose central car trips the measure cuts in some season (worked out once:
        a plan asks for every candidate package at every step)."""
        out = np.zeros(len(next(iter(self.reach.values()))), dtype=bool)
        for values in self.share["central"].values():
            out |= values > 0
        return out

    def trips(self, baseline: Baseline, band: str = "central") -> float:
        return float(sum(float((self.share[band][s] * baseline.trips[s]).sum()) for s in baseline.trips))


def measure_impact(
    measure_id: str,
    reach: Mapping[str, np.ndarray],
    *,
    effect: Sequence[float],
    multiplier: np.ndarray,
    uptake: Sequence[float] | None = None,
    capacity_people: float | None = None,
) -> MeasureImpact:
    """The share of car trips a measure avoids per person and season, in three bands.

    ``effect`` and ``uptake`` are ``(low, central, high)``. Without ``uptake`` the effect applies
    to everyone reached (``applies_to`` eligible or all staff). With it, each person reached takes
    part with probability ``uptake``; the effect then applies per participant. A capacity caps
    either: at most ``capacity_people`` are served at once, so the probability is at most
    ``capacity / reached``.
    """
    batch = MeasureImpacts.of([measure_id], {s: np.asarray(mask)[None, :] for s, mask in reach.items()},
                              effects=[effect], multiplier=np.asarray(multiplier, dtype=float)[None, :],
                              uptakes=[uptake], capacities=[capacity_people])
    return batch.items[0]


@dataclass(frozen=True, eq=False)
class MeasureImpacts:
    """:func:`measure_impact` of many measures at once: one row per measure of every reach and
    share matrix (each measure's :class:`MeasureImpact` holds its rows). The sums per measure are
    the sums of its row, so they equal the sums of the measures one by one."""

    items: tuple[MeasureImpact, ...]
    reach: Mapping[str, np.ndarray]
    share: Mapping[str, Mapping[str, np.ndarray]]

    @classmethod
    def of(cls, ids: Sequence[str], reach: Mapping[str, np.ndarray], *, effects: Sequence[Sequence[float]],
           multiplier: np.ndarray, uptakes: Sequence[Sequence[float] | None],
           capacities: Sequence[float | None]) -> MeasureImpacts:
        """``reach[season]`` and ``multiplier`` have a row per measure of ``ids``; ``effects``,
        ``uptakes`` and ``capacities`` an entry per measure (see :func:`measure_impact`)."""
        reached = np.logical_or.reduce([reach[s] for s in reach])
        n_reached = reached.sum(axis=1)
        probabilities = np.empty((len(ids), len(BANDS)))
        participants: list[dict[str, float] | None] = []
        bounds: list[bool] = []
        for row, (uptake, capacity_people) in enumerate(zip(uptakes, capacities, strict=True)):
            if uptake is None and capacity_people is None:  # everyone reached, no one counted apart
                participants.append(None)
                bounds.append(False)
                probabilities[row] = 1.0
                continue
            count = int(n_reached[row])
            bound = False
            rates = tuple(float(u) for u in uptake) if uptake is not None else (1.0, 1.0, 1.0)
            probability: dict[str, float] = {}
            for band, rate in zip(BANDS, rates, strict=True):
                p = rate
                # a measure with a physical size (bikes, spaces, cars) serves at most that many at once
                if capacity_people is not None and count > 0 and p * count > capacity_people:
                    p = capacity_people / count
                    bound = bound or band == "central"
                probability[band] = p
            participants.append({band: probability[band] * count for band in BANDS}
                                if uptake is not None or bound else None)
            bounds.append(bound)
            probabilities[row] = [probability[band] for band in BANDS]
        strengths = np.array([[float(e) for e in effect] for effect in effects], dtype=float).reshape(len(ids), len(BANDS))
        share: dict[str, dict[str, np.ndarray]] = {}
        for b, band in enumerate(BANDS):
            per_person = (probabilities[:, b] * strengths[:, b])[:, None] * multiplier
            np.clip(per_person, 0.0, 1.0, out=per_person)
            share[band] = {s: kept(mask, per_person) for s, mask in reach.items()}
        items = tuple(
            MeasureImpact(mid, {s: mask[row] for s, mask in reach.items()},
                          {band: {s: values[row] for s, values in seasons.items()} for band, seasons in share.items()},
                          participants[row], capacities[row], bounds[row])
            for row, mid in enumerate(ids))
        return cls(items, dict(reach), share)

    def trips(self, baseline: Baseline, band: str = "central") -> np.ndarray:
        """Each measure's car trips per day avoided (:meth:`MeasureImpact.trips`)."""
        total: Any = 0.0
        for s in baseline.trips:
            total = total + (self.share[band][s] * baseline.trips[s]).sum(axis=1)
        return np.asarray(total, dtype=float)

    def tonnes(self, baseline: Baseline, band: str = "central") -> np.ndarray | None:
        """Each measure's tonnes avoided (:meth:`MeasureImpact.tonnes`)."""
        if baseline.tonnes is None:
            return None
        total: Any = 0.0
        for s in baseline.trips:
            total = total + (self.share[band][s] * baseline.tonnes[band][s]).sum(axis=1)
        return np.asarray(total, dtype=float)

    def person_trips(self, baseline: Baseline, band: str = "central") -> np.ndarray:
        """Per measure and person (:meth:`MeasureImpact.person_trips`)."""
        return _per_person(self.share[band], baseline.trips, baseline.trips)

    def person_tonnes(self, baseline: Baseline, band: str = "central") -> np.ndarray | None:
        """Per measure and person (:meth:`MeasureImpact.person_tonnes`)."""
        return None if baseline.tonnes is None else _per_person(self.share[band], baseline.tonnes[band], baseline.trips)


def restricted(impact: MeasureImpact, to: np.ndarray) -> MeasureImpact:
    """An enabler's impact on the people ``to`` only (those the measures it goes with reach):
    showers help the people a cycling measure moves onto a bike, not everyone."""
    reach = {s: mask & to for s, mask in impact.reach.items()}
    return MeasureImpact(impact.id, reach, _Restricted(impact.share, to), impact.participants, impact.capacity_people,
                         impact.capacity_bound)


class _Restricted(Mapping[str, Mapping[str, np.ndarray]]):
    """The shares of each band kept for the people ``to`` only, worked out when a band is first
    asked for (choosing a plan needs the central band alone)."""

    def __init__(self, share: Mapping[str, Mapping[str, np.ndarray]], to: np.ndarray) -> None:
        self._share = share
        self._to = to
        self._done: dict[str, dict[str, np.ndarray]] = {}

    def __getitem__(self, band: str) -> Mapping[str, np.ndarray]:
        found = self._done.get(band)
        if found is None:
            found = self._done[band] = {s: kept(self._to, values) for s, values in self._share[band].items()}
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._share)

    def __len__(self) -> int:
        return len(self._share)


@dataclass(frozen=True)
class Step:
    """One measure's marginal contribution in a plan: what it adds to the measures before it."""

    id: str
    trips: Mapping[str, float]
    tonnes: Mapping[str, float] | None


@dataclass(frozen=True, eq=False)
class PlanOutcome:
    """Measures applied in order to the car trips that remain."""

    steps: tuple[Step, ...]
    trips: Mapping[str, float]
    tonnes: Mapping[str, float] | None
    #: per band and season, the share of each person's car trips left after the plan
    remaining: Mapping[str, Mapping[str, np.ndarray]]

    def driver_days_removed(self, baseline: Baseline, band: str, season: str) -> float:
        """Car-driver commuters fewer on an average day of ``season``: the drivers' share of
        their trips that the plan avoids, added up (a person who drops half their car trips
        counts one half)."""
        driver = baseline.driver[season]
        return float(((1.0 - self.remaining[band][season]) * driver).sum())


def apply_in_order(baseline: Baseline, impacts: Sequence[MeasureImpact]) -> PlanOutcome:
    """Apply measures one after the other, each to the car trips the ones before it left.

    A person's remaining share of car trips is multiplied by ``1 - share`` at every measure, so
    the total can never exceed the car trips (and tonnes) there are, whatever the measures. With
    a ceiling (:attr:`Baseline.ceiling`) each person's cut is scaled down to it, every measure's
    part in proportion, so the plan never promises more than the switching potential.
    """
    seasons = list(baseline.trips)
    steps_trips: dict[str, list[dict[str, np.ndarray]]] = {band: [] for band in BANDS}
    remaining = {band: {s: np.ones(baseline.n) for s in seasons} for band in BANDS}
    for impact in impacts:
        for band in BANDS:
            cuts = {}
            for s in seasons:
                cut = remaining[band][s] * impact.share[band][s]
                cuts[s] = cut
                remaining[band][s] = remaining[band][s] - cut
            steps_trips[band].append(cuts)
    factor = {band: np.ones(baseline.n) for band in BANDS}
    if baseline.ceiling is not None:
        for band in BANDS:
            avoided = sum((1.0 - remaining[band][s]) * baseline.trips[s] for s in seasons)
            with np.errstate(invalid="ignore", divide="ignore"):
                factor[band] = np.where(avoided > baseline.ceiling, baseline.ceiling / np.where(avoided > 0, avoided, 1.0), 1.0)
            for s in seasons:
                remaining[band][s] = 1.0 - (1.0 - remaining[band][s]) * factor[band]
    # every step's sums at once: one row per measure (a row's sum is the sum of that measure's
    # array, so the figures are those of summing measure by measure)
    step_trips: dict[str, list[float]] = {}
    step_tonnes: dict[str, list[float]] = {}
    for band in BANDS:
        if not impacts:
            break
        totals_trips: Any = 0.0
        totals_tonnes: Any = 0.0
        for s in seasons:
            stacked = np.stack([step[s] for step in steps_trips[band]]) * factor[band]
            totals_trips = totals_trips + (stacked * baseline.trips[s]).sum(axis=1)
            if baseline.tonnes is not None:
                totals_tonnes = totals_tonnes + (stacked * baseline.tonnes[band][s]).sum(axis=1)
        step_trips[band] = [float(v) for v in np.asarray(totals_trips)]
        if baseline.tonnes is not None:
            step_tonnes[band] = [float(v) for v in np.asarray(totals_tonnes)]
    steps = []
    for j, impact in enumerate(impacts):
        trips = {band: step_trips[band][j] for band in BANDS}
        tonnes = None if baseline.tonnes is None else {band: step_tonnes[band][j] for band in BANDS}
        steps.append(Step(impact.id, trips, tonnes))
    total_trips = {band: sum(step.trips[band] for step in steps) for band in BANDS}
    total_tonnes = None
    if baseline.tonnes is not None:
        total_tonnes = {band: sum((step.tonnes or {}).get(band, 0.0) for step in steps) for band in BANDS}
    return PlanOutcome(tuple(steps), total_trips, total_tonnes, remaining)


@dataclass(frozen=True, eq=False)
class Package:
    """What :func:`marginal_central` needs of a package of measures that does not depend on
    what remains: the people it touches and, for them, each measure's central share kept, their
    car trips and their tonnes per trip. A plan asks for the same package at many steps."""

    touched: np.ndarray
    idx: np.ndarray
    keep: tuple[Mapping[str, np.ndarray], ...]
    trips: Mapping[str, np.ndarray]
    ceiling: np.ndarray | None
    per_trip: np.ndarray | None

    @classmethod
    def of(cls, baseline: Baseline, impacts: Sequence[MeasureImpact]) -> Package:
        seasons = list(baseline.trips)
        reached = touched(impacts, baseline.n)
        idx = np.flatnonzero(reached)
        keep = tuple({s: 1.0 - impact.share["central"][s][idx] for s in seasons} for impact in impacts)
        trips_sub = {s: baseline.trips[s][idx] for s in seasons}
        # tonnes in proportion to the person's trips cut (their tonnes per trip)
        per_trip = None if baseline.tonnes_per_trip is None else baseline.tonnes_per_trip[idx]
        ceiling = None if baseline.ceiling is None else baseline.ceiling[idx]
        return cls(reached, idx, keep, trips_sub, ceiling, per_trip)


def marginal_central(baseline: Baseline, remaining: Mapping[str, np.ndarray],
                     packages: Sequence[Package]) -> list[tuple[float, float | None]]:
    """Central car trips per day and tonnes each package of measures adds, given what remains.

    Only the people a package reaches are touched (a package reaches a fraction of a large
    workforce), so choosing a plan costs little more than evaluating its measures. The packages
    are worked out together: their people one after the other in one array, each package's sums
    over its own stretch of it (the arithmetic of each package alone, element by element and
    sum by sum).
    """
    seasons = list(baseline.trips)
    if not packages:
        return []
    ends = np.cumsum([len(package.idx) for package in packages]).tolist()
    idx = np.concatenate([package.idx for package in packages])
    before = {s: remaining[s][idx] for s in seasons}
    left = before
    # every package's measures in turn (a package of fewer measures is multiplied by 1 for the rest)
    for j in range(max(len(package.keep) for package in packages)):
        keep = {s: np.concatenate([package.keep[j][s] if j < len(package.keep) else np.ones(len(package.idx))
                                   for package in packages]) for s in seasons}
        left = {s: values * keep[s] for s, values in left.items()}
    trips_sub = {s: np.concatenate([package.trips[s] for package in packages]) for s in seasons}
    before_cut = sum((1.0 - before[s]) * trips_sub[s] for s in seasons)
    after_cut = sum((1.0 - left[s]) * trips_sub[s] for s in seasons)
    if baseline.ceiling is not None:
        ceiling = np.concatenate([package.ceiling for package in packages if package.ceiling is not None])
        after_cut = np.minimum(after_cut, np.maximum(ceiling, before_cut))
    gained = np.maximum(after_cut - before_cut, 0.0)
    weighted = None
    if baseline.tonnes is not None:
        weighted = gained * np.concatenate([package.per_trip for package in packages if package.per_trip is not None])
    out: list[tuple[float, float | None]] = []
    start = 0
    for end in ends:
        out.append((float(gained[start:end].sum()), None if weighted is None else float(weighted[start:end].sum())))
        start = end
    return out


def touched(impacts: Sequence[MeasureImpact], n: int) -> np.ndarray:
    """The people a package of measures touches: outside them :func:`marginal_central` and
    :func:`after` leave everything as it is."""
    out = np.zeros(n, dtype=bool)
    for impact in impacts:
        out |= impact.touched
    return out


def after(remaining: Mapping[str, np.ndarray], impacts: Sequence[MeasureImpact]) -> dict[str, np.ndarray]:
    """The central remaining shares after a package of measures (uncapped)."""
    left = {s: values.copy() for s, values in remaining.items()}
    for impact in impacts:
        left = {s: values * (1.0 - impact.share["central"][s]) for s, values in left.items()}
    return left
