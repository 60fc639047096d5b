"""The performance fixes keep their promises: caches notice edited files, fast paths give the
same values as the general code, group figures equal a computation on the group's own rows."""

from __future__ import annotations

import datetime as dt
import os
import time

import numpy as np
import pandas as pd
import pytest

from grontur import anchoring, describe, geo
from grontur.publish import Ledger, exact
from grontur.resources import data_path
from grontur.results import sum_suppressed, to_jsonable


def _touch_later(path) -> None:
    """Give a file a modification time clearly after its current one."""
    later = time.time() + 5
    os.utime(path, (later, later))


def test_anchoring_template_is_read_again_when_edited(tmp_path):
    source = data_path("measures", "anchoring.yaml").read_text(encoding="utf-8")
    path = tmp_path / "anchoring.yaml"
    path.write_text(source, encoding="utf-8")
    first = anchoring.load_template(path)
    assert anchoring.load_template(path) is first  # parsed once
    step = first.steps[0]
    path.write_text(source.replace(f"weeks: {step.weeks:g}", f"weeks: {step.weeks + 3:g}", 1), encoding="utf-8")
    _touch_later(path)
    again = anchoring.load_template(path)
    assert again is not first
    assert again.steps[0].weeks == step.weeks + 3


def test_geodata_is_read_once_and_again_when_edited(tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text("postcode,lat,lon\n3550,60.70,8.94\n3570,60.82,8.57\n", encoding="utf-8")
    first = geo._read_once(geo.read_postcodes, path)
    assert geo._read_once(geo.read_postcodes, path) is first
    path.write_text("postcode,lat,lon\n3550,60.70,8.94\n3570,60.82,8.57\n3580,60.90,8.40\n", encoding="utf-8")
    _touch_later(path)
    assert sorted(geo._read_once(geo.read_postcodes, path)["postcode"]) == ["3550", "3570", "3580"]


@pytest.mark.parametrize("value", [
    1, -7, 2.5, float("nan"), float("inf"), True, False, None, "tekst", (1, "a"), [np.int64(3), np.float64("nan")],
    {1: {"a": np.bool_(True)}}, {"s": {3, 1}}, np.array([1.5, 2.0]), pd.NA, dt.date(2026, 11, 29),
    np.float32(1.5), [{"x": [1, None, 2.0]}],
])
def test_to_jsonable_plain_values(value):
    out = to_jsonable(value)
    if isinstance(value, float) and (np.isnan(value) or np.isinf(value)):
        assert out is None
    elif type(value) in (int, float, bool, str):
        assert out == value and type(out) is type(value)
    elif isinstance(value, tuple):
        assert out == [1, "a"]
    elif isinstance(value, list) and value and isinstance(value[0], np.integer):
        assert out == [3, None] and type(out[0]) is int
    elif isinstance(value, dict) and 1 in value:
        assert out == {"1": {"a": True}} and type(out["1"]["a"]) is bool
    elif isinstance(value, dict):
        assert out == {"s": [1, 3]}
    elif isinstance(value, np.ndarray):
        assert out == [1.5, 2.0]
    elif value is pd.NA or value is None:
        assert out is None
    elif isinstance(value, dt.date):
        assert out == "2026-11-29"
    elif isinstance(value, np.floating):
        assert out == 1.5 and type(out) is float
    else:
        assert out == [{"x": [1, None, 2.0]}]


def test_sum_suppressed_counts_every_level():
    section = {"suppressed_cells": 2, "a": [{"suppressed_cells": 3}, {"b": {"suppressed_cells": 4}}],
               "c": "suppressed_cells", "d": 5.0, "e": True, "f": None}
    assert sum_suppressed(section) == 9


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    modes = np.array(["walk", "bike", "car_alone", "car_shared", "bus", "remote"])
    barriers = np.array(["", "too_far", "too_far;darkness", "weather_winter", "no_cycle_path;too_far", "darkness"])
    return pd.DataFrame({
        "workplace": rng.choice(["Rådhus", "Skule", "Sjukeheim", "Lita"], n, p=[0.4, 0.3, 0.29, 0.01]),
        "job_group": rng.choice(["health_care", "school", "administration"], n),
        "shift_work": rng.random(n) < 0.3,
        "mode_summer": rng.choice(modes, n),
        "mode_winter": rng.choice(modes, n),
        "distance_km": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(0.5, 40, n)),
        "days_on_site": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 6, n).astype(float)),
        "remote_days": rng.integers(0, 3, n).astype(float),
        "barriers": rng.choice(barriers, n),
        "would_help": rng.choice(["", "showers_lockers", "ebike_pool;information"], n),
        "would_consider": rng.choice(["", "bike", "bus;bike"], n),
    })


def test_group_breakdown_equals_the_group_alone():
    table = _table()
    published = describe.describe(table, k=5)
    assert published["breakdowns"]["workplace"]["Lita"]["suppressed"]  # 4 people
    # The figures as computed, before the gate hides any (which cells go is the gate's choice).
    ledger = Ledger(len(table), 5)
    groups = exact(describe.describe(table, k=5, ledger=ledger))["breakdowns"]["workplace"]
    rows = table[table["workplace"] == "Rådhus"]
    entry = groups["Rådhus"]
    assert entry["n"] == len(rows)
    # by hand: drive-alone trips over all trips, each respondent's days weighted by season share
    settings = describe.load_settings()
    days = rows["days_on_site"].fillna((float(settings["full_week_days"]) - rows["remote_days"]).clip(lower=0))
    num = den = 0.0
    for season, weight in (("summer", settings["summer_share_of_year"]), ("winter", 1 - settings["summer_share_of_year"])):
        mode = rows[f"mode_{season}"]
        trips = np.where(mode.notna() & (mode != "remote"), days * weight, 0.0)
        num += trips[(mode == "car_alone").to_numpy()].sum()
        den += trips.sum()
    assert entry["drive_alone_rate"] == pytest.approx(num / den)
    assert entry["median_distance_km"] == pytest.approx(rows["distance_km"].median())
    summer = rows["mode_summer"]
    assert entry["modes_summer"]["bike"] == pytest.approx((summer == "bike").sum() / summer.notna().sum())


def test_multi_select_counts_of_a_subset():
    table = _table()
    column = describe.MultiSelect(table["barriers"])
    drivers = table["mode_summer"].isin(["car_alone", "car_shared"]).to_numpy()
    counts = column.counts(drivers, ["too_far", "darkness", "hilly"])
    chosen = table.loc[drivers, "barriers"].str.split(";")
    assert counts["too_far"] == sum("too_far" in c for c in chosen)
    assert counts["darkness"] == sum("darkness" in c for c in chosen)
    assert counts["hilly"] == 0


def test_quantities_of_a_municipality_taken_from_the_whole_table_equal_its_own():
    # analyse_many computes the per-row quantities once over the network's table and gives each
    # municipality its rows: they must be those the municipality's own rows give.
    other = _table()
    other["barriers"] = (["hilly;too_far", None, "darkness", "", "too_far;x", "hilly", None, "darkness;hilly"]
                         * len(other))[:len(other)]
    table = pd.concat([_table(), other], ignore_index=True)
    settings = describe.load_settings()
    whole = describe.row_quantities(table, settings)
    for name in describe.MULTI_SELECT_COLUMNS:
        whole.multi_select(table, name)
    positions = np.flatnonzero(np.arange(len(table)) % 3 != 1)
    part = table.take(positions)
    taken, own = whole.take(positions), describe.row_quantities(part, settings)
    assert taken.fits(part, settings)
    pd.testing.assert_series_equal(taken.days, own.days)
    for season in own.trips:
        pd.testing.assert_series_equal(taken.trips[season], own.trips[season])
    for name in describe.MULTI_SELECT_COLUMNS:
        split, alone = taken.multi_select(part, name), own.multi_select(part, name)
        assert split.tags == alone.tags  # only the codes these rows name, in the same order
        drivers = part["mode_summer"].eq("car_alone").to_numpy()
        assert split.tallies(drivers).tolist() == alone.tallies(drivers).tolist()
        for code in [*alone.tags, "nobody_named_this"]:
            assert split.flags(code).tolist() == alone.flags(code).tolist()


@pytest.mark.parametrize("band", ["distance", "time"])
def test_bands_are_those_pandas_cut_gives(band):
    values = pd.Series([-1.0, 0.0, 0.5, 1.0, 2.9, 3.0, 15.0, 15.5, 20.0, 30.0, 45.0, 60.0, 61.0, 200.0,
                        np.nan, np.inf], name="x")
    if band == "distance":
        edges, right, bands, got = describe._DISTANCE_EDGES, False, describe.DISTANCE_BANDS, describe.distance_band(values)
    else:
        edges, right, bands, got = describe._TIME_EDGES, True, describe.TIME_BANDS, describe.time_band(values)
    expected = pd.cut(values, bins=edges, labels=[b[0] for b in bands], right=right).astype("object")
    pd.testing.assert_series_equal(got, expected)
