"""Switching potential: curve shape, the effect of willingness and barriers, scenarios, carpool groups."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from grontur.emissions import compute_emissions
from grontur.errors import ConfigError
from grontur.potential import (
    ALTERNATIVES,
    carpool_groups,
    compute_potential,
    load_params,
)


def _driver(**extra: object) -> dict:
    row = {"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol", "distance_km": 3.0,
           "days_on_site": 5.0, "job_group": "administration", "shift_work": False, "home_postcode": "3550",
           "workplace": "Rådhuset", "barriers": None, "would_consider": None, "would_help": None}
    row.update(extra)
    return row


def _potential(rows: list[dict], **kwargs: object):
    table = pd.DataFrame(rows)
    return table, compute_potential(table, emissions=compute_emissions(table), **kwargs)


def _pct_go_dutch_logit(d: float, g: float = 0.0) -> float:
    """The PCT Go Dutch uptake logit written out from DOMAIN.md."""
    return ((-3.959 + 2.523) + (-0.5963 - 0.07626) * d + 1.866 * math.sqrt(d) + 0.008050 * d * d
            - 0.2710 * g + 0.009394 * d * g - 0.05135 * math.sqrt(d) * g)


def test_bike_curve_has_the_pct_shape_in_summer() -> None:
    rows = [_driver(distance_km=d, mode_winter="bike") for d in (4.0, 8.0)]
    _, result = _potential(rows)
    f = result.by_season["summer"]["bike"].to_numpy()
    logit = np.log(f / (1 - f))
    params = load_params()["alternatives"]["bike"]["curve"]
    # Between two distances beyond the curve's best distance, the logit falls as PCT's does plus
    # the Norwegian extra decay per km.
    expected = (_pct_go_dutch_logit(8.0) - _pct_go_dutch_logit(4.0)) + params["norway_d"] * 4.0
    assert logit[1] - logit[0] == pytest.approx(expected, abs=1e-6)


def test_feasibility_falls_with_distance_and_hills() -> None:
    rows = [_driver(distance_km=d) for d in (0.8, 3.0, 8.0, 20.0, 60.0)] + [_driver(distance_km=3.0, barriers="hilly")]
    _, result = _potential(rows)
    f = result.per_respondent
    assert f["walk"].iloc[0] > f["walk"].iloc[1] > f["walk"].iloc[2]
    assert f["bike"].iloc[1] > f["bike"].iloc[2] > f["bike"].iloc[3]
    assert f["bike"].iloc[4] == 0.0  # beyond max_km
    assert f["ebike"].iloc[3] > f["bike"].iloc[3]  # e-bikes reach further
    assert f["bike"].iloc[5] < f["bike"].iloc[1]  # hills
    assert f["bike"].iloc[5] / f["bike"].iloc[1] < f["ebike"].iloc[5] / f["ebike"].iloc[1]  # e-bike copes better


def test_winter_is_harder_for_cycling() -> None:
    _, result = _potential([_driver(distance_km=4.0)])
    assert result.by_season["winter"]["bike"].iloc[0] < result.by_season["summer"]["bike"].iloc[0]


def test_willingness_raises_and_barriers_lower_feasibility() -> None:
    rows = [_driver(distance_km=6.0), _driver(distance_km=6.0, would_consider="ebike"),
            _driver(distance_km=6.0, barriers="no_shower_changing;unsafe_route"),
            _driver(distance_km=6.0, car_needed_for_work=True)]
    _, result = _potential(rows)
    e = result.per_respondent["ebike"]
    assert e.iloc[1] > e.iloc[0] > e.iloc[2]
    assert e.iloc[3] < e.iloc[0]


def test_transit_needs_a_service() -> None:
    rows = [_driver(distance_km=15.0)]
    _, none = _potential(rows, transit_service="none")
    _, good = _potential(rows, transit_service="good")
    assert none.per_respondent["transit"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert good.per_respondent["transit"].iloc[0] > 0.4
    with pytest.raises(ConfigError):
        _potential(rows, transit_service="excellent")


def test_only_car_commuters_get_a_feasibility() -> None:
    rows = [_driver(), _driver(mode_summer="bus", mode_winter="walk")]
    _, result = _potential(rows)
    assert result.per_respondent.iloc[1].isna().all()
    assert result.per_respondent.iloc[0].notna().all()
    assert list(result.per_respondent.columns) == list(ALTERNATIVES)


def test_scenario_trips_and_tonnes_by_hand() -> None:
    # Only cycling, full uptake: avoided trips = feasibility x car trips, season by season.
    rows = [_driver(distance_km=4.0, days_on_site=4.0), _driver(distance_km=9.0)]
    params = {"scenarios": {"test": {"uptake": {"bike": 1.0}, "extra_remote_days": 0.0}}}
    table, result = _potential(rows, params=params)
    emissions = compute_emissions(table)
    weeks = 225 / 5
    trips_year = 0.0
    tonnes = 0.0
    for season in ("summer", "winter"):
        f = result.by_season[season]["bike"].to_numpy()
        trips = 2 * np.array([4.0, 5.0]) * weeks * 0.5  # one-way trips: to work and home again
        trips_year += float((f * trips).sum())
        tonnes += float((f * emissions.detail[f"central_{season}"].to_numpy()).sum())
    scen = result.scenarios["test"]  # as_dict() hides it: two car commuters are fewer than k
    assert result.as_dict()["scenarios"]["test"]["car_trips_per_day_avoided"] is None
    assert scen["car_trips_per_day_avoided"] == pytest.approx(trips_year / 225)
    assert scen["car_trips_per_day_baseline"] == pytest.approx(2 * (4 + 5) / 5)
    assert scen["tonnes_avoided"]["central"] == pytest.approx(tonnes)
    assert scen["assumptions"]["uptake"]["bike"] == 1.0


def test_default_scenarios_are_ordered_and_carry_their_assumptions() -> None:
    rng = np.random.default_rng(3)
    rows = [_driver(distance_km=float(d), home_postcode=pc) for d, pc in
            zip(rng.gamma(2, 4, 60), rng.choice(["3550", "3570"], 60))]
    _, result = _potential(rows)
    scen = result.as_dict()["scenarios"]
    assert 0 < scen["moderate"]["car_trips_per_day_avoided"] < scen["ambitious"]["car_trips_per_day_avoided"]
    assert scen["moderate"]["tonnes_avoided"]["central"] < scen["ambitious"]["tonnes_avoided"]["central"]
    for name in ("moderate", "ambitious"):
        assert set(scen[name]["assumptions"]["uptake"]) == set(ALTERNATIVES)


def test_carpool_groups_need_k_drivers_with_compatible_hours() -> None:
    rows = ([_driver(home_postcode="3550") for _ in range(5)]
            + [_driver(home_postcode="3570") for _ in range(4)]
            + [_driver(home_postcode="3550", shift_work=True) for _ in range(3)])
    in_group, summary = carpool_groups(pd.DataFrame(rows), k=5)
    assert summary["n_groups"] == 1
    assert int(in_group.sum()) == 5
    assert summary["group_sizes"] == [5]
    # 7 lone drivers are outside groups: publishable
    assert summary["drivers_in_groups"] == 5


def test_counts_are_suppressed_below_k_and_json_is_plain() -> None:
    rows = [_driver(distance_km=1.0) for _ in range(3)] + [_driver(distance_km=40.0) for _ in range(6)]
    _, result = _potential(rows)
    out = result.as_dict()
    json.dumps(out, allow_nan=False)
    assert out["feasible"]["walk"]["count"] is None
    assert out["suppressed_cells"] >= 1


def test_emissions_from_another_table_are_refused() -> None:
    table = pd.DataFrame([_driver()])
    other = pd.DataFrame([_driver(), _driver()])
    with pytest.raises(ConfigError):
        compute_potential(table, emissions=compute_emissions(other))


def test_carpool_groups_leave_out_short_trips() -> None:
    rows = [_driver(distance_km=2.0) for _ in range(5)] + [_driver(distance_km=12.0, home_postcode="3570") for _ in range(5)]
    in_group, summary = carpool_groups(pd.DataFrame(rows), k=5, min_km=5.0)
    assert summary["n_groups"] == 1
    assert in_group.tolist() == [False] * 5 + [True] * 5
    _, result = _potential(rows)
    assert result.as_dict()["carpool"]["min_distance_km"] == load_params()["carpool_min_km"]["value"]


def test_categorical_columns_give_the_same_feasibility() -> None:
    rows = [_driver(distance_km=float(d), workplace=None) for d in (1, 4, 9, 15, 30)]
    table = pd.DataFrame(rows)
    typed = table.astype({c: "category" for c in ("mode_summer", "mode_winter", "job_group", "workplace", "car_fuel")})
    plain = compute_potential(table, emissions=compute_emissions(table)).per_respondent
    other = compute_potential(typed, emissions=compute_emissions(typed)).per_respondent
    pd.testing.assert_frame_equal(plain, other)


def test_breakdowns_by_workplace_hide_small_groups() -> None:
    rows = ([_driver(workplace="Skulen", distance_km=2.0) for _ in range(6)]
            + [_driver(workplace="Sjukeheimen", distance_km=30.0) for _ in range(7)]
            + [_driver(workplace="Lageret") for _ in range(2)])
    _, result = _potential(rows)
    groups = result.as_dict()["breakdowns"]["workplace"]
    assert groups["Lageret"] == {"n_car_commuters": None, "suppressed": True}
    assert groups["Skulen"]["suppressed"] is True  # next smallest, hidden against subtraction
    assert groups["Sjukeheimen"]["n_car_commuters"] == 7
    frame = result.scenario_per_respondent["moderate"]
    by_hand = float(frame["car_trips_per_year_avoided"].iloc[6:13].sum()) / 225
    assert groups["Sjukeheimen"]["moderate_car_trips_per_day_avoided"] == pytest.approx(by_hand)


def test_travel_time_stands_in_for_a_missing_distance() -> None:
    rows = [_driver(distance_km=None, travel_time_min=10.0), _driver(distance_km=7.0, travel_time_min=10.0)]
    _, result = _potential(rows)
    speed = load_params()["car_speed_km_per_min"]["value"]
    assert 10.0 * speed == pytest.approx(7.0)  # the default speed makes both rows alike
    pd.testing.assert_series_equal(result.per_respondent.iloc[0], result.per_respondent.iloc[1], check_names=False)
    assert result.n_distance_from_time == 1


def test_car_commuters_are_the_car_drivers_base_and_hidden_with_it() -> None:
    """One population, one figure: potential's car commuters are habits' car drivers (either
    season). When the run's gate hides that count (here: 9 car drivers beside 10 who travel by
    car tell about the one passenger), the scenarios resting on it are hidden too."""
    from grontur.describe import describe
    from grontur.publish import Ledger

    rows = [_driver(distance_km=float(d)) for d in range(1, 10)]
    rows += [_driver(mode_summer="car_passenger", mode_winter="car_passenger")]
    rows += [_driver(mode_summer="walk", mode_winter="walk") for _ in range(6)]
    table = pd.DataFrame(rows)
    result = compute_potential(table, emissions=compute_emissions(table))
    ledger = Ledger(len(table), 5)
    habits = describe(table, ledger=ledger)
    section = result.section(ledger)
    assert section["n_car_commuters"] is ledger.named("car_drivers", table)
    ledger.subset(ledger.named("car_drivers", table), ledger.named("car_users", table))
    publication = ledger.decide()
    published = publication.resolve(section)
    assert publication.resolve(habits)["n_car_drivers"] is None
    assert published["n_car_commuters"] is None
    assert published["scenarios"]["moderate"]["car_trips_per_day_avoided"] is None
    assert published["scenarios"]["moderate"]["assumptions"]["uptake"]  # assumptions are no counts
    # on its own, the same nine are shown
    assert result.as_dict()["n_car_commuters"] == 9


def test_carpool_group_sizes_add_up_to_the_drivers_in_groups() -> None:
    """Group sizes are counts of the gate that add up to drivers_in_groups: with the exact sizes
    5, 5 and 5 all are shown; their sum is the published total."""
    rows = ([_driver(home_postcode="3550", distance_km=12.0) for _ in range(5)]
            + [_driver(home_postcode="3570", distance_km=12.0) for _ in range(5)]
            + [_driver(home_postcode="3580", distance_km=12.0) for _ in range(5)])
    _, result = _potential(rows)
    carpool = result.as_dict()["carpool"]
    assert carpool["group_sizes"] == [5, 5, 5] and carpool["drivers_in_groups"] == 15
    assert carpool["n_groups"] == 3
