"""Emissions: totals computed by hand from the factors in the data file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from grontur.emissions import compute_emissions, load_factors
from grontur.errors import ConfigError
from grontur.resources import data_path

WEEKS = 225 / 5  # default working days per year / days in a full week


def _factor(section: str, key: str, band: str = "central") -> float:
    data = yaml.safe_load(data_path("measures", "factors", "emission_factors.yaml").read_text(encoding="utf-8"))
    return float(data[section][key][band])


def test_petrol_lone_driver_by_hand() -> None:
    table = pd.DataFrame([{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol",
                           "distance_km": 10.0, "days_on_site": 5.0}])
    result = compute_emissions(table)
    expected = 10 * 2 * 5 * WEEKS * _factor("car", "petrol") / 1000
    assert result.per_respondent.iloc[0] == pytest.approx(expected)
    assert result.low.iloc[0] == pytest.approx(10 * 2 * 5 * WEEKS * _factor("car", "petrol", "low") / 1000)
    assert result.high.iloc[0] == pytest.approx(10 * 2 * 5 * WEEKS * _factor("car", "petrol", "high") / 1000)


def test_modes_fuels_seasons_and_remote_days_by_hand() -> None:
    table = pd.DataFrame([
        # electric car, shared with a colleague: vehicle-km / 2
        {"mode_summer": "car_shared", "mode_winter": "car_shared", "car_fuel": "electric", "distance_km": 20.0, "days_on_site": 4.0},
        # passenger: nothing extra
        {"mode_summer": "car_passenger", "mode_winter": "car_passenger", "car_fuel": "diesel", "distance_km": 20.0, "days_on_site": 5.0},
        # bikes in summer, diesel car in winter: half the year each
        {"mode_summer": "bike", "mode_winter": "car_alone", "car_fuel": "diesel", "distance_km": 6.0, "days_on_site": 5.0},
        # days on site missing: 5 - 2 remote days = 3 days by bus
        {"mode_summer": "bus", "mode_winter": "bus", "car_fuel": None, "distance_km": 30.0, "days_on_site": None, "remote_days": 2.0},
        # no distance: not estimated
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol", "distance_km": None, "days_on_site": 5.0},
        # fuel unknown: fleet average
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": None, "distance_km": 8.0, "days_on_site": 2.0},
    ])
    result = compute_emissions(table)
    by_hand = [
        20 * 2 * 4 * WEEKS * _factor("car", "electric") / 2 / 1000,
        0.0,
        6 * 2 * 5 * WEEKS * 0.5 * _factor("car", "diesel") / 1000,
        30 * 2 * 3 * WEEKS * _factor("modes", "bus") / 1000,
        None,
        8 * 2 * 2 * WEEKS * _factor("car", "unknown") / 1000,
    ]
    for got, want in zip(result.per_respondent.tolist(), by_hand):
        if want is None:
            assert pd.isna(got)
        else:
            assert got == pytest.approx(want)
    summary = result.as_dict()
    assert summary["tonnes_co2e_per_year"] == pytest.approx(sum(v for v in by_hand if v is not None))
    assert summary["n_not_estimated"] == 1
    assert summary["low"] <= summary["tonnes_co2e_per_year"] <= summary["high"]


def test_one_missing_season_uses_the_other_for_the_whole_year() -> None:
    table = pd.DataFrame([{"mode_summer": None, "mode_winter": "car_alone", "car_fuel": "petrol",
                           "distance_km": 10.0, "days_on_site": 5.0}])
    expected = 10 * 2 * 5 * WEEKS * _factor("car", "petrol") / 1000
    assert compute_emissions(table).per_respondent.iloc[0] == pytest.approx(expected)


def test_working_days_is_a_setting() -> None:
    table = pd.DataFrame([{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol",
                           "distance_km": 10.0, "days_on_site": 5.0}])
    base = compute_emissions(table).per_respondent.iloc[0]
    fewer = compute_emissions(table, settings={"working_days_per_year": 200}).per_respondent.iloc[0]
    assert fewer == pytest.approx(base * 200 / 225)
    with pytest.raises(ConfigError):
        compute_emissions(table, settings={"working_days": 200})


def test_by_mode_and_fuel_suppress_small_groups() -> None:
    rows = [{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol", "distance_km": 10.0,
             "days_on_site": 5.0, "municipality": "3324"}] * 6
    rows += [{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "electric", "distance_km": 10.0,
              "days_on_site": 5.0, "municipality": "3324"}] * 2
    rows += [{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "diesel", "distance_km": 10.0,
              "days_on_site": 5.0, "municipality": "3324"}] * 7
    summary = compute_emissions(pd.DataFrame(rows)).as_dict()
    # electric (2) is hidden; petrol (6), the smallest other fuel, too, as the fuels add up to the
    # published car total
    assert summary["by_fuel"]["electric"]["tonnes"] is None
    assert summary["by_fuel"]["petrol"]["tonnes"] is None
    assert summary["by_fuel"]["diesel"]["respondents"] == 7
    assert summary["by_mode"]["car_alone"]["respondents"] == 15
    assert summary["by_municipality"]["3324"]["respondents"] == 15
    assert summary["suppressed_cells"] == 2
    json.dumps(summary, allow_nan=False)


def test_every_factor_has_source_year_scope_and_a_band() -> None:
    factors = load_factors()
    for factor in [*factors.car.values(), *factors.modes.values()]:
        assert factor.source and factor.scope and factor.year
        assert factor.low <= factor.central <= factor.high
    assert factors.car["car.electric"].central < factors.car["car.petrol"].central
    summary = compute_emissions(pd.DataFrame([{"mode_summer": "walk", "mode_winter": "walk", "distance_km": 1.0}])).as_dict()
    assert summary["factors"]["car.diesel"]["source"]


def test_every_shipped_factor_states_source_year_and_one_shared_scope() -> None:
    # read the file itself, not the loader's view of it
    data = yaml.safe_load(data_path("measures", "factors", "emission_factors.yaml").read_text(encoding="utf-8"))
    entries = {f"car.{k}": v for k, v in data["car"].items()} | dict(data["modes"])
    for key, entry in entries.items():
        assert isinstance(entry["source"], str) and len(entry["source"]) > 10, key
        assert isinstance(entry["year"], int) and 2000 <= entry["year"] <= 2030, key
        assert entry["scope"] in ("tank_to_wheel", "well_to_wheel"), key
    assert {entry["scope"] for entry in entries.values()} == {"tank_to_wheel"}
    # tank-to-wheel: no exhaust, no emissions; electricity generation is outside the scope
    for key in ("car.electric", "ebike", "train", "walk", "bike"):
        assert entries[key]["central"] == entries[key]["high"] == 0, key
    # petrol and diesel: Norwegian fuel factors with the biofuel blend subtracted (DOMAIN: NIR 2021,
    # 8 % and 15 %), times the litres per 100 km the source text states
    for fuel, kg_per_litre, bio, litres in (("petrol", 2.32, 0.08, 7.0), ("diesel", 2.66, 0.15, 6.0)):
        entry = entries[f"car.{fuel}"]
        assert f"{litres:.1f} litres per 100 km" in entry["source"]
        assert entry["central"] == pytest.approx(kg_per_litre * (1 - bio) * litres / 100, abs=1e-4)
        assert entry.get("assumption") is True  # the fuel use per km is an assumption


def test_a_file_that_mixes_scopes_is_refused(tmp_path) -> None:
    text = data_path("measures", "factors", "emission_factors.yaml").read_text(encoding="utf-8")
    mixed = text.replace("  electric:\n    central: 0.0\n    low: 0.0\n    high: 0.0\n    unit: vehicle_km\n    scope: tank_to_wheel",
                         "  electric:\n    central: 0.0\n    low: 0.0\n    high: 0.0\n    unit: vehicle_km\n    scope: well_to_wheel")
    assert mixed != text
    path = tmp_path / "factors.yaml"
    path.write_text(mixed, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"factors\.yaml: the factors mix scopes .*car\.electric"):
        load_factors(path)
    path.write_text(text.replace("unit: vehicle_km\n    scope: tank_to_wheel", "unit: vehicle_km\n    scope: cradle_to_grave", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="cradle_to_grave"):
        load_factors(path)


def test_bad_factor_file_names_the_file(tmp_path) -> None:
    bad = tmp_path / "factors.yaml"
    bad.write_text("car:\n  petrol: {central: 0.2, low: 0.3, high: 0.4, unit: vehicle_km, scope: x, year: 2020, source: y}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="factors.yaml"):
        load_factors(bad)


def test_categorical_modes_are_accepted() -> None:
    table = pd.DataFrame([{"mode_summer": "car_alone", "mode_winter": "bike", "car_fuel": "petrol",
                           "distance_km": 10.0, "days_on_site": 5.0}])
    plain = compute_emissions(table).per_respondent.iloc[0]
    typed = table.astype({"mode_summer": "category", "mode_winter": "category", "car_fuel": "category"})
    assert compute_emissions(typed).per_respondent.iloc[0] == pytest.approx(plain)
    assert plain == pytest.approx(10 * 2 * 5 * WEEKS * 0.5 * _factor("car", "petrol") / 1000)


def test_no_known_distance_gives_no_tonnes_and_says_why() -> None:
    """Missing is missing: without any distance the tonnes are unknown, not 0 t."""
    rows = [{"mode_summer": "car_alone", "mode_winter": "car_alone", "car_fuel": "petrol", "distance_km": None,
             "days_on_site": 5.0}] * 8
    summary = compute_emissions(pd.DataFrame(rows)).as_dict()
    assert summary["tonnes_co2e_per_year"] is None and summary["low"] is None and summary["high"] is None
    assert summary["per_respondent_average"]["central"] is None
    assert summary["by_season"]["summer"]["central"] is None
    assert summary["not_available_reason"] == "no_distance"
    assert summary["n_estimated"] == 0 and summary["n_not_estimated"] == 8
    rows = [{**row, "distance_km": 10.0} for row in rows]
    assert compute_emissions(pd.DataFrame(rows)).as_dict()["not_available_reason"] is None


def test_a_mode_group_a_few_switchers_larger_than_a_season_cell_is_hidden_not_the_cell() -> None:
    """12 walk in summer, 3 of them drive in winter and 2 others walk in winter only: 'walks in
    some season' (14) beside habits' summer walkers (12) would show the 2. The run's gate hides the
    emissions group, and habits keeps its mode cell."""
    from grontur.describe import describe
    from grontur.publish import Ledger

    rows = ([{"mode_summer": "walk", "mode_winter": "walk"}] * 9 + [{"mode_summer": "walk", "mode_winter": "car_alone"}] * 3
            + [{"mode_summer": "car_alone", "mode_winter": "walk"}] * 2 + [{"mode_summer": "car_alone", "mode_winter": "car_alone"}] * 20)
    table = pd.DataFrame([{**row, "car_fuel": "petrol", "distance_km": 4.0, "days_on_site": 5.0} for row in rows])
    ledger = Ledger(len(table), 5)
    habits = describe(table, ledger=ledger)
    section = compute_emissions(table).section(ledger)
    publication = ledger.decide()
    assert publication.resolve(habits)["seasons"]["summer"]["modes"]["walk"]["count"] == 12
    walk = publication.resolve(section)["by_mode"]["walk"]
    assert walk == {"respondents": None, "tonnes": None, "low": None, "high": None}
