"""The measure plan: a short list of measures to start now, without double counting.

The ranking (:mod:`grontur.rank`) scores every measure on its own. The plan takes the core
measures in turn, each with the enablers that travel with it:

* **prerequisites**: a facility the site lacks (``context.facilities``) that at least
  ``plan.prerequisite_min_share`` of the car commuters in the facility's target group name as a
  barrier, placed before the first measure it makes work;
* **add-ons**: other enablers that go with the measure (``enables``) and that at least k of the
  people they reach asked for (a barrier or wish they answer), the strongest first, at most
  ``plan.max_addons_per_measure``.

A greedy choice picks, at each step, the package (prerequisites, measure, add-ons) with the best
score on its *marginal* car trips and tonnes, i.e. on what it adds to the car trips the measures
already chosen leave (:func:`grontur.impact.apply_in_order`), until ``plan.max_measures`` are
chosen or no package adds ``plan.min_marginal_share`` of today's car trips. The plan's total can
therefore never exceed the car trips and emissions there are. The other measures that fit are
"consider next"; the rest are "not suited here", each with its reason.

No sentence is written here: the plan is numbers, ids and counts of the publication gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grontur.impact import (
    BANDS,
    MeasureImpact,
    Package,
    after,
    apply_in_order,
    marginal_central,
    restricted,
)
from grontur.publish import Derived, Fig, Ledger, Publication

#: What a measure is in the result: in the plan, worth considering next, or not suited here.
STATUSES = ("plan", "consider_next", "not_suited")
#: A measure's part in the plan.
PLAN_ROLES = ("core", "prerequisite", "addon")


@dataclass(frozen=True)
class PlanItem:
    """One measure of the plan with its marginal contribution (what it adds to those before it)."""

    id: str
    role: str
    goes_with: tuple[str, ...]
    car_trips_per_day_avoided: Mapping[str, Any]
    tonnes_co2e_avoided: Mapping[str, Any] | None
    cost_nok: Mapping[str, Any]
    time_to_effect: str
    actors: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "goes_with": list(self.goes_with),
                "car_trips_per_day_avoided": _rounded(self.car_trips_per_day_avoided, 2),
                "tonnes_co2e_avoided": _rounded(self.tonnes_co2e_avoided, 3),
                "cost_nok": dict(self.cost_nok), "time_to_effect": self.time_to_effect, "actors": list(self.actors)}


@dataclass(frozen=True)
class Plan:
    """The plan: measures in order, their marginal and total effects, costs and the target."""

    items: tuple[PlanItem, ...]
    car_trips_per_day_baseline: Any
    car_trips_per_day_avoided: Mapping[str, Any]
    tonnes_co2e_baseline: Any
    tonnes_co2e_avoided: Mapping[str, Any] | None
    car_driver_share_now: Mapping[str, Any]
    car_driver_share_after: Mapping[str, Mapping[str, Any]]
    target: Mapping[str, Any]
    cost_nok: Mapping[str, Any]
    consider_next: tuple[str, ...]
    not_suited: tuple[Mapping[str, Any], ...]
    rule: Mapping[str, Any] = field(default_factory=dict)

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def published(self, publication: Publication) -> Plan:
        resolve = publication.resolve
        return Plan(
            items=tuple(PlanItem(i.id, i.role, i.goes_with, resolve(dict(i.car_trips_per_day_avoided)),
                                 None if i.tonnes_co2e_avoided is None else resolve(dict(i.tonnes_co2e_avoided)),
                                 i.cost_nok, i.time_to_effect, i.actors) for i in self.items),
            car_trips_per_day_baseline=resolve(self.car_trips_per_day_baseline),
            car_trips_per_day_avoided=resolve(dict(self.car_trips_per_day_avoided)),
            tonnes_co2e_baseline=resolve(self.tonnes_co2e_baseline),
            tonnes_co2e_avoided=None if self.tonnes_co2e_avoided is None else resolve(dict(self.tonnes_co2e_avoided)),
            car_driver_share_now=resolve(dict(self.car_driver_share_now)),
            car_driver_share_after={s: resolve(dict(v)) for s, v in self.car_driver_share_after.items()},
            target=resolve(dict(self.target)),
            cost_nok=self.cost_nok, consider_next=self.consider_next,
            not_suited=tuple(resolve(dict(entry)) for entry in self.not_suited), rule=self.rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "measures": list(self.measures),
            "items": [item.as_dict() for item in self.items],
            "car_trips_per_day_baseline": _round(self.car_trips_per_day_baseline, 2),
            "car_trips_per_day_avoided": _rounded(self.car_trips_per_day_avoided, 2),
            "tonnes_co2e_baseline": _round(self.tonnes_co2e_baseline, 3),
            "tonnes_co2e_avoided": _rounded(self.tonnes_co2e_avoided, 3),
            "car_driver_share_now": _rounded(self.car_driver_share_now, 4),
            "car_driver_share_after": {s: _rounded(v, 4) for s, v in self.car_driver_share_after.items()},
            "target": {key: (_round(value, 4) if isinstance(value, float) else value) for key, value in self.target.items()},
            "cost_nok": dict(self.cost_nok),
            "consider_next": list(self.consider_next),
            "not_suited": [dict(entry) for entry in self.not_suited],
            "rule": dict(self.rule),
        }


def _round(value: Any, digits: int) -> Any:
    return round(float(value), digits) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _rounded(values: Mapping[str, Any] | None, digits: int) -> dict[str, Any] | None:
    return None if values is None else {key: _round(value, digits) for key, value in values.items()}


@dataclass
class Chosen:
    """The plan with every evaluated measure's status, for the ranking to order and publish."""

    plan: Plan
    items: list[tuple[str, str, tuple[str, ...]]]
    status: dict[str, str]
    goes_with: dict[str, tuple[str, ...]]

    def ordered(self, ranked: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Plan items in plan order, then the measures to consider next by score, then the rest."""
        by_id = {item["id"]: item for item in ranked}
        first = [by_id[mid] for mid, _, _ in self.items]
        rest = [item for item in ranked if item["id"] not in {mid for mid, _, _ in self.items}]
        order = {"consider_next": 0, "not_suited": 1}
        rest.sort(key=lambda item: (order.get(self.status[item["id"]], 2), item["rules"].role != "core",
                                    -item["score"], item["id"]))
        return first + rest


def choose_plan(ranked: Sequence[Mapping[str, Any]], people: Any, *, context: Mapping[str, Any],
                settings: Mapping[str, Any], ledger: Ledger,
                score: Callable[[Sequence[Mapping[str, Any]], np.ndarray, np.ndarray | None], np.ndarray]) -> Chosen:
    """Choose the plan among the evaluated measures (``rank._evaluate`` results, sorted by score).

    ``score(measures, trip_shares, tonne_shares)`` is the ranking's own score of each measure for
    the given shares of all car trips and tonnes (NaN: not known): a package is scored on its
    marginal shares.
    """
    cfg = settings["plan"]
    baseline = people.baseline
    total_trips = baseline.total_trips()
    total_tonnes = baseline.total_tonnes("central")
    max_items = int(cfg["max_measures"])
    min_share = float(cfg["min_marginal_share"])
    by_id = {item["id"]: item for item in ranked}
    cores = [item for item in ranked if item["rules"].role == "core" and item["effect"].central > 0
             and item["car_trips_central"] > 0]
    enablers = [item for item in ranked if item["rules"].role == "enabler" and item["effect"].central > 0
                and item["car_trips_central"] > 0]
    facilities = context.get("facilities") or {}
    one_per_family = set(cfg.get("one_per_family") or ())

    def needed(item: Mapping[str, Any]) -> bool:
        """Whether the enabler is a missing facility enough of its target group name as a barrier."""
        rules = item["rules"]
        if rules.facility is None or facilities.get(rules.facility) is not False:
            return False
        target = item["target"] & people.car_commuter
        return bool(target.sum() and float((item["named"] & target).sum()) / float(target.sum())
                    >= float(cfg["prerequisite_min_share"]))

    # the core measures each enabler goes with, in the order of the cores
    covered = {item["id"]: tuple(core["id"] for core in cores if item["rules"].covers(core["rules"]))
               for item in ranked if item["rules"].role == "enabler"}
    # whether an enabler is needed first, or asked for by at least k, does not depend on the core
    is_needed = {item["id"]: needed(item) for item in enablers}
    is_asked = {item["id"]: ledger.may_show(int((item["named"] & item["impact"].reached).sum())) for item in enablers}
    strongest = sorted(enablers, key=lambda item: (-item["car_trips_central"], item["id"]))

    def prerequisites(core: Mapping[str, Any]) -> list[str]:
        return [item["id"] for item in enablers if core["id"] in covered[item["id"]] and is_needed[item["id"]]]

    def addons(core: Mapping[str, Any]) -> list[str]:
        """Enablers of ``core`` that at least k of the people they reach asked for, strongest first."""
        return [item["id"] for item in strongest if core["id"] in covered[item["id"]] and is_asked[item["id"]]]

    # what travels with each core measure does not change while the plan is chosen
    needed_first = {core["id"]: prerequisites(core) for core in cores}
    asked_for = {core["id"]: addons(core) for core in cores}
    max_addons = int(cfg["max_addons_per_measure"])

    def package_scores(cores: Sequence[Mapping[str, Any]], trips: Sequence[float],
                       tonnes: Sequence[float | None]) -> list[float]:
        """The scores of packages (by their core measures) on their marginal trips and tonnes."""
        if not cores:
            return []
        trip_shares = np.array([t / total_trips if total_trips else 0.0 for t in trips], dtype=float)
        tonne_shares = np.array([t / total_tonnes if t is not None and total_tonnes else np.nan for t in tonnes], dtype=float)
        return list(score(cores, trip_shares, tonne_shares).tolist())

    chosen: list[tuple[str, str, tuple[str, ...]]] = []
    cache: dict[tuple[str, tuple[str, ...]], MeasureImpact] = {}
    in_plan: set[str] = set()
    remaining = {s: np.ones(baseline.n) for s in baseline.trips}
    # a package's marginal trips and tonnes: they stay the same until a chosen package changes
    # what remains for one of the people it touches (``packages[key].touched``)
    known: dict[tuple[tuple[str, str, tuple[str, ...]], ...], tuple[float, float | None]] = {}
    packages: dict[tuple[tuple[str, str, tuple[str, ...]], ...], Package] = {}
    while len(chosen) < max_items:
        best: tuple[float, str, list[tuple[str, str, tuple[str, ...]]]] | None = None
        package: list[tuple[str, str, tuple[str, ...]]]
        # the packages that add enough, in the order of the cores: scored together
        candidates: list[tuple[Mapping[str, Any], list[tuple[str, str, tuple[str, ...]]], float, float | None]] = []
        taken = {by_id[mid]["rules"].family for mid, role, _ in chosen if role == "core"}
        offered: list[tuple[Mapping[str, Any], list[tuple[str, str, tuple[str, ...]]]]] = []
        for core in cores:
            if core["id"] in in_plan or (core["rules"].family in one_per_family and core["rules"].family in taken):
                continue
            pre = [p for p in needed_first[core["id"]] if p not in in_plan]
            package = [(p, "prerequisite", (core["id"],)) for p in pre] + [(core["id"], "core", ())]
            extra = [(a, "addon", (core["id"],)) for a in asked_for[core["id"]] if a not in in_plan and a not in pre]
            extra = extra[:max_addons]
            room = max_items - len(chosen)
            if len(package) > room:
                continue
            package += extra[: room - len(package)]
            offered.append((core, package))
        # the marginal figures not known yet, worked out together
        unknown = list(dict.fromkeys(key for key in (tuple(package) for _, package in offered) if key not in known))
        for key in unknown:
            if key not in packages:
                packages[key] = Package.of(baseline, _impacts(key, by_id, cache))
        known.update(zip(unknown, marginal_central(baseline, remaining, [packages[key] for key in unknown]), strict=True))
        for core, package in offered:
            trips, tonnes = known[tuple(package)]
            if total_trips <= 0 or trips / total_trips < min_share:
                continue
            candidates.append((core, package, trips, tonnes))
        values = package_scores([c[0] for c in candidates], [c[2] for c in candidates], [c[3] for c in candidates])
        for (core, package, _, _), value in zip(candidates, values, strict=True):
            if best is None or value > best[0] + 1e-9 or (abs(value - best[0]) <= 1e-9 and core["id"] < best[1]):
                best = (value, core["id"], package)
        if best is None:
            break
        for entry in best[2]:
            chosen.append(entry)
            in_plan.add(entry[0])
        best_impacts = _impacts(best[2], by_id, cache)
        remaining = after(remaining, best_impacts)
        changed = packages[tuple(best[2])].touched
        known = {key: value for key, value in known.items() if not (packages[key].touched & changed).any()}

    # An enabler may go with several measures of the plan: name every one it goes with.
    goes_with: dict[str, tuple[str, ...]] = {}
    core_ids = [mid for mid, role, _ in chosen if role == "core"]
    for mid, role, _ in chosen:
        if role != "core":
            goes_with[mid] = tuple(c for c in core_ids if by_id[mid]["rules"].covers(by_id[c]["rules"]))
    items = [(mid, role, goes_with.get(mid, ())) for mid, role, _ in chosen]

    status: dict[str, str] = {}
    small: set[str] = set()
    for item in ranked:
        mid = item["id"]
        if mid in in_plan:
            status[mid] = "plan"
        elif item["effect"].central > 0 and item["car_trips_central"] > 0 and (
                item["rules"].role == "core" or covered.get(mid)):
            if total_trips > 0 and item["car_trips_central"] / total_trips < min_share:
                status[mid] = "not_suited"  # it fits, but would change too little here
                small.add(mid)
            else:
                status[mid] = "consider_next"
        else:
            status[mid] = "not_suited"
    for item in ranked:
        if status[item["id"]] != "plan" and item["rules"].role == "enabler":
            goes_with[item["id"]] = covered[item["id"]]

    plan = _plan(items, by_id, ranked, status, people, context=context, settings=settings, ledger=ledger, small=small)
    return Chosen(plan=plan, items=items, status=status, goes_with=goes_with)


def _impacts(package: Sequence[tuple[str, str, tuple[str, ...]]], by_id: Mapping[str, Mapping[str, Any]],
             cache: dict[tuple[str, tuple[str, ...]], MeasureImpact] | None = None) -> list[MeasureImpact]:
    """The impacts of a package in order; an enabler acts only on the people the core measures
    it goes with reach."""
    out = []
    for mid, role, goes_with in package:
        impact = by_id[mid]["impact"]
        if role != "core" and goes_with:
            key = (mid, tuple(goes_with))
            found = cache.get(key) if cache is not None else None
            if found is None:
                reach = np.logical_or.reduce([by_id[c]["impact"].reached for c in goes_with])
                found = restricted(impact, reach)
                if cache is not None:
                    cache[key] = found
            impact = found
        out.append(impact)
    return out


def _plan(items: list[tuple[str, str, tuple[str, ...]]], by_id: Mapping[str, Mapping[str, Any]],
          ranked: Sequence[Mapping[str, Any]], status: Mapping[str, str], people: Any, *,
          context: Mapping[str, Any], settings: Mapping[str, Any], ledger: Ledger, small: set[str]) -> Plan:
    baseline = people.baseline
    table = people.table
    outcome = apply_in_order(baseline, _impacts(items, by_id))
    drivers = ledger.named("car_drivers", table)
    # Like the potential's scenarios, the plan's figures are model sums over all car drivers:
    # each rests on the car-driver base (a measure's own reach is published with the measure).
    needs_all: tuple[Fig, ...] = (drivers,)
    plan_items = []
    for (mid, role, goes_with), step in zip(items, outcome.steps, strict=True):
        item = by_id[mid]
        needs = needs_all
        rules = item["rules"]
        plan_items.append(PlanItem(
            id=mid, role=role, goes_with=goes_with,
            car_trips_per_day_avoided={band: Derived(step.trips[band], needs) for band in BANDS},
            tonnes_co2e_avoided=None if step.tonnes is None else {band: Derived(step.tonnes[band], needs) for band in BANDS},
            cost_nok={"one_off": list(rules.one_off_nok) if rules.one_off_nok else None,
                      "yearly": list(rules.yearly_nok) if rules.yearly_nok else None},
            time_to_effect=rules.time_to_effect, actors=rules.actors))
    trips_total = {band: Derived(outcome.trips[band], needs_all) for band in BANDS}
    tonnes_total = None if outcome.tonnes is None else {band: Derived(outcome.tonnes[band], needs_all) for band in BANDS}
    trips_base = Derived(baseline.total_trips(), (drivers,))
    tonnes_base = baseline.total_tonnes("central")
    weights = baseline.season_weights

    share_now: dict[str, Any] = {}
    share_after: dict[str, dict[str, Any]] = {}
    annual_now = 0.0
    annual_after = {band: 0.0 for band in BANDS}
    annual_ok = True
    for season in baseline.trips:
        known = ledger.named(f"mode_known_{season}", table)
        season_drivers = ledger.named(f"car_drivers_{season}", table)
        # the named bases' counts (grontur.bases, counted once by the gate)
        n_known = int(known.n)
        n_drivers = int(season_drivers.n)
        if n_known == 0:
            share_now[season] = None
            share_after[season] = {band: None for band in BANDS}
            annual_ok = False
            continue
        share_now[season] = Derived(n_drivers / n_known, (season_drivers, known))
        share_after[season] = {}
        annual_now += weights[season] * n_drivers / n_known
        for band in BANDS:
            removed = outcome.driver_days_removed(baseline, band, season)
            value = max(0.0, (n_drivers - removed) / n_known)
            share_after[season][band] = Derived(value, (season_drivers, known, *needs_all))
            annual_after[band] += weights[season] * value
    cfg = settings["plan"]
    year = context.get("target_year")
    assumed_year = year is None
    if year is None and context.get("run_year") is not None:
        year = int(context["run_year"]) + int(cfg["target_years"])
    season_figs = tuple(ledger.named(f"car_drivers_{s}", table) for s in baseline.trips) + tuple(
        ledger.named(f"mode_known_{s}", table) for s in baseline.trips)
    target = {
        "car_driver_share_now": Derived(annual_now, season_figs) if annual_ok else None,
        "car_driver_share_target": Derived(annual_after["central"], (*season_figs, *needs_all)) if annual_ok else None,
        # one car commuter fewer = two one-way car trips fewer on an ordinary day
        "fewer_car_commuters_per_day": Derived(round(outcome.trips["central"] / 2.0), needs_all),
        "year": year,
        "year_assumed": assumed_year,
    }
    one_off = [0.0, 0.0]
    yearly = [0.0, 0.0]
    for mid, _, _ in items:
        rules = by_id[mid]["rules"]
        for target_list, values in ((one_off, rules.one_off_nok), (yearly, rules.yearly_nok)):
            if values:
                target_list[0] += values[0]
                target_list[1] += values[1]
    def why(item: Mapping[str, Any]) -> str:
        if item["effect"].central <= 0:
            return "no_effect"
        return "small_effect" if item["id"] in small else "no_measure_to_support"
    not_suited = tuple({"id": item["id"], "reason": {"key": f"plan.not_suited.{why(item)}"}}
                       for item in ranked if status[item["id"]] == "not_suited")
    consider = tuple(item["id"] for item in sorted(
        (i for i in ranked if status[i["id"]] == "consider_next"),
        key=lambda i: (i["rules"].role != "core", -i["score"], i["id"])))
    return Plan(
        items=tuple(plan_items), car_trips_per_day_baseline=trips_base, car_trips_per_day_avoided=trips_total,
        tonnes_co2e_baseline=None if tonnes_base is None else Derived(tonnes_base, (drivers,)),
        tonnes_co2e_avoided=tonnes_total, car_driver_share_now=share_now, car_driver_share_after=share_after,
        target=target, cost_nok={"one_off": one_off, "yearly": yearly}, consider_next=consider, not_suited=not_suited,
        rule={key: cfg[key] for key in ("max_measures", "max_addons_per_measure", "min_marginal_share",
                                         "prerequisite_min_share", "annualise_years", "target_years")})
