"""Tests for the explained ranking (grontur/rank.py).

Small tables are built here so that every expected figure can be worked out by hand; scenario
tests run on the fixture catalogue in tests/data/rank_catalogue and, where it has the measures a
scenario needs, on the shipped catalogue too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from grontur import rank
from grontur.errors import CatalogueError, ConfigError
from grontur.report.reasons import phrase, render_reason

DATA = Path(__file__).resolve().parent / "data"
WEIGHTS = yaml.safe_load((Path(__file__).resolve().parents[1] / "measures" / "weights.yaml").read_text(encoding="utf-8"))

BASE_ROW = {
    "mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 3.0, "days_on_site": 5.0,
    "barriers": "", "would_help": "", "would_consider": "", "shift_work": False,
    "car_needed_for_work": False, "children_drop_off": False, "parking_at_work": "free",
    "job_group": "school",
}
CONTEXT = {
    "municipality": {"number": "3324", "name": "Gol", "employees": 420, "rurality": "rural"},
    "transit_service": "fair",
    "parking_at_work": "free",
    "facilities": {"showers": False, "bike_parking": False},
    "shift_share": 0.2,
}


def said(reasons: list, lang: str = "en", *, k: int = 5) -> list[str]:
    """The ranking's structured reasons as the report phrases them."""
    return [phrase(r, lang, k=k) for r in reasons]


def rows(n: int, **fields) -> list[dict]:
    return [{**BASE_ROW, **fields} for _ in range(n)]


def make_table(*groups: list[dict]) -> pd.DataFrame:
    records = [row for group in groups for row in group]
    table = pd.DataFrame(records)
    table.index = pd.RangeIndex(len(table))
    return table


def fixture_catalogue() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((DATA / "rank_catalogue").glob("*.yaml"))]


def plain_measure(**overrides) -> dict:
    """A measure that names no barriers, wishes or alternatives (every match multiplier is 1)."""
    measure = {
        "id": "plain", "family": "information_campaign", "name": {"nn": "P", "nb": "P", "en": "P"},
        "targets": {"modes": ["car_alone", "car_shared"], "shift_compatible": True},
        "requires": {}, "effect": {"low": 0.03, "high": 0.10, "source": "test"},
        "cost": {"class": "low", "one_off_nok": [0, 10000], "yearly_nok": [0, 0]},
        "time_to_effect": "short", "actors": ["hr"], "anchoring": ["communication"],
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(measure.get(key), dict):
            measure[key] = {**measure[key], **value}
        else:
            measure[key] = value
    return measure


# ---------------------------------------------------------------------------------------------
# Figures by hand

def test_trips_and_tonnes_avoided_match_a_hand_computation() -> None:
    table = make_table(
        rows(10, distance_km=3.0),                     # 10 drivers, 5 days: 2 trips each
        rows(5, distance_km=3.0, days_on_site=2.5),    # half the days on site: 1 trip a day each
        rows(6, mode_summer="walk", mode_winter="walk", distance_km=1.0),
        rows(8, distance_km=30.0),
        rows(4, mode_summer="bike", mode_winter="car_alone"),  # drives in one season of two: 1 trip
    )
    tonnes = pd.Series(0.0, index=table.index)
    tonnes.iloc[:10] = 0.4
    tonnes.iloc[21:29] = 2.0
    tonnes.iloc[29:] = 0.2
    ranking = rank.rank_measures(table, catalogue=[plain_measure()], emissions=tonnes, context=CONTEXT)
    measure = ranking.as_dict("en")["measures"][0]
    trips = 10 * 2 + 5 * 1 + 8 * 2 + 4 * 1            # 45 car trips a day
    assert measure["car_trips_per_day_avoided"]["low"] == pytest.approx(0.03 * trips, abs=0.01)
    assert measure["car_trips_per_day_avoided"]["high"] == pytest.approx(0.10 * trips, abs=0.01)
    # Tonnes per respondent are the emissions of their own car trips: cutting 3 % of a part-time
    # driver's car trips cuts 3 % of those tonnes (their other season emits nothing).
    car_tonnes = 10 * 0.4 + 5 * 0 + 8 * 2.0 + 4 * 0.2
    assert measure["tonnes_co2e_avoided"]["low"] == pytest.approx(0.03 * car_tonnes, abs=0.001)
    assert measure["tonnes_co2e_avoided"]["high"] == pytest.approx(0.10 * car_tonnes, abs=0.001)
    assert measure["reach"] == 27
    assert "27 of 27 who commute by car" in said(measure["reasons"])[0]


def test_score_is_the_documented_weighted_mean() -> None:
    table = make_table(rows(40), rows(10, mode_summer="walk", mode_winter="walk"))
    ranking = rank.rank_measures(table, catalogue=[plain_measure()], context=CONTEXT)
    measure = ranking.measures[0]
    share = 0.065  # central effect over all car trips: every car driver is reached
    half = WEIGHTS["impact_half_saturation"]["trips"]
    impact = share / (share + half)
    w = WEIGHTS["score"]
    expected = 100 * (w["trips"] * impact + w["tonnes"] * impact + w["match"] * WEIGHTS["match"]["neutral"]
                      + w["cost"] * WEIGHTS["cost_score"]["low"] + w["time"] * WEIGHTS["time_score"]["short"]) / sum(w.values())
    assert measure.score == pytest.approx(expected, rel=1e-9)


def test_reach_follows_modes_distance_conditions_and_shift_rules() -> None:
    measure = plain_measure(targets={
        "modes": ["car_alone"], "distance_km": [2, 10], "conditions": {"car_needed_for_work": False},
        "shift_compatible": False,
    })
    table = make_table(
        rows(7, distance_km=5.0),                                   # reached
        rows(3, distance_km=5.0, mode_summer="bike"),               # car_alone in winter: reached
        rows(6, distance_km=1.0),                                   # too close
        rows(6, distance_km=12.0),                                  # too far
        rows(5, distance_km=5.0, mode_summer="car_shared", mode_winter="car_shared"),  # other mode
        rows(6, distance_km=5.0, car_needed_for_work=True),         # condition fails
        rows(8, distance_km=5.0, shift_work=True),                  # shift workers left out
        rows(2, distance_km=np.nan),                                # unknown distance
    )
    ranking = rank.rank_measures(table, catalogue=[measure], context=CONTEXT)
    data = ranking.as_dict("en")["measures"][0]
    independent = (
        (table.mode_summer.eq("car_alone") | table.mode_winter.eq("car_alone"))
        & table.distance_km.between(2, 10) & ~table.car_needed_for_work & ~table.shift_work
    ).sum()
    assert independent == 10
    assert data["reach"] == 10
    keys = [r["key"] for r in data["reasons"]]
    assert "rank.reason.shift_left_out" in keys
    shift_reason = next(r for r in data["reasons"] if r["key"] == "rank.reason.shift_left_out")
    assert shift_reason["n"] == 8


def test_job_group_condition_and_survey_parking_answer_win_per_respondent() -> None:
    measure = plain_measure(targets={"modes": ["car_alone"], "conditions": {"job_group": ["administration"]}},
                            requires={"parking_at_work": ["free", "limited"]})
    table = make_table(
        rows(9, job_group="administration", parking_at_work="free"),
        rows(6, job_group="administration", parking_at_work="paid"),      # already pays: not reached
        rows(5, job_group="administration", parking_at_work="unknown"),   # unknown: site context holds
        rows(7, job_group="health_care"),
    )
    data = rank.rank_measures(table, catalogue=[measure], context=CONTEXT).as_dict("en")["measures"][0]
    assert data["reach"] == 14
    free = next(r for r in data["reasons"] if r["key"] == "rank.reason.parking_free")
    assert free["n"] == 9


def test_named_barriers_strengthen_the_effect_by_the_documented_multiplier() -> None:
    measure = plain_measure(targets={"modes": ["car_alone"], "barriers": ["no_shower_changing"]})
    none_match = make_table(rows(20))
    all_match = make_table(rows(20, barriers="no_shower_changing;hilly"))
    low_none = rank.rank_measures(none_match, catalogue=[measure], context=CONTEXT).measures[0].car_trips_per_day_avoided[0]
    low_all = rank.rank_measures(all_match, catalogue=[measure], context=CONTEXT).measures[0].car_trips_per_day_avoided[0]
    m = WEIGHTS["match"]
    typical = m["base"] + m["bonus"] * m["neutral"]
    assert low_none == pytest.approx(0.03 * 40 * m["base"] / typical)
    assert low_all == pytest.approx(0.03 * 40 * (m["base"] + m["bonus"]) / typical)


# ---------------------------------------------------------------------------------------------
# Privacy, determinism, weights, output shape

def test_no_reason_quotes_a_group_below_k() -> None:
    table = make_table(rows(3, barriers="no_shower_changing"), rows(30, barriers="no_bike_parking"))
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, k=5)
    data = ranking.as_dict("en")
    showers = next(m for m in data["measures"] if m["id"] == "showers-lockers")
    barrier = next(r for r in showers["reasons"] if r.get("label_code") == "barriers.no_shower_changing")
    assert barrier["n"] is None
    assert any(text.startswith("Some of them") and text.endswith("(number not shown)") for text in said(showers["reasons"]))
    assert showers["suppressed_cells"] >= 1
    for measure in data["measures"]:
        for item in measure["reasons"]:
            for key, value in item.items():
                if key.startswith("n") and isinstance(value, int):
                    assert value == 0 or value >= 5, (measure["id"], item)
        assert measure["reach"] is None or measure["reach"] >= 5


def test_a_measures_tally_of_hidden_cells_covers_every_count_its_figures_quote() -> None:
    from grontur.publish import Ledger, figures_in

    table = make_table(rows(3, barriers="no_shower_changing", stage_of_change="preparing"),
                       rows(30, barriers="no_bike_parking", shift_work=True), rows(12, mode_summer="bike"))
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, k=5, ledger=Ledger(len(table), 5),
                                 segments=pd.Series(["a"] * 20 + ["b"] * 25, index=table.index))
    assert ranking.measures
    for measure in ranking.measures:
        quoted = figures_in([measure.reach, measure.reach_car_commuters, measure.participants,
                             [fit.reach for fit in measure.segment_fit], [dict(r.values) for r in measure.reasons]])
        assert quoted, measure.id
        assert quoted <= set(measure.suppressed_cells.figs), measure.id


def test_hidden_counts_read_some_and_say_the_number_is_not_shown_in_every_language() -> None:
    # The gate hides a count that describes fewer than k people or one that would give such a
    # count back, so a hidden count is never said to be "fewer than k": it reads "some".
    table = make_table(rows(3, barriers="no_shower_changing"), rows(30))
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, k=7)
    for lang, words, note in (("nn", "nokre", "(talet er ikkje vist)"), ("nb", "noen", "(tallet vises ikke)"),
                              ("en", "some", "(number not shown)")):
        showers = next(m for m in ranking.as_dict(lang)["measures"] if m["id"] == "showers-lockers")
        texts = said(showers["reasons"], lang, k=7)
        # the count opens its sentence, so it is capitalised
        assert any(text.startswith(words[0].upper() + words[1:]) and text.endswith(note) for text in texts)
        assert not any("7" in text for text in texts if text.endswith(note))


def test_score_is_deterministic_and_independent_of_row_order() -> None:
    table = make_table(rows(30, barriers="no_shower_changing"), rows(20, distance_km=25.0, shift_work=True),
                       rows(15, mode_summer="bus", mode_winter="car_alone", would_help="transit_ticket"))
    segments = pd.Series(["a"] * 30 + ["b"] * 20 + ["c"] * 15, index=table.index)
    first = rank.rank_measures(table, catalogue=fixture_catalogue(), segments=segments, context=CONTEXT).as_dict("en")
    again = rank.rank_measures(table, catalogue=fixture_catalogue(), segments=segments, context=CONTEXT).as_dict("en")
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    order = np.random.default_rng(1).permutation(len(table))
    shuffled = rank.rank_measures(table.iloc[order], catalogue=list(reversed(fixture_catalogue())),
                                  segments=segments.iloc[order], context=CONTEXT).as_dict("en")
    assert [(m["id"], m["score"]) for m in shuffled["measures"]] == [(m["id"], m["score"]) for m in first["measures"]]


def test_weights_override_from_a_dict() -> None:
    table = make_table(rows(40, barriers="no_shower_changing"), rows(20, distance_km=30.0))
    cost_only = {"score": {"trips": 0, "tonnes": 0, "match": 0, "cost": 1, "time": 0}}
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, weights=cost_only)
    order = {"low": 0, "medium": 1, "high": 2}
    classes = [order[m.cost_class] for m in ranking.measures]
    assert classes == sorted(classes)
    assert ranking.measures[0].score == pytest.approx(100 * WEIGHTS["cost_score"]["low"])
    default = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT)
    assert [m.id for m in default.measures] != [m.id for m in ranking.measures]


def test_unknown_or_bad_weight_is_a_config_error() -> None:
    table = make_table(rows(10))
    with pytest.raises(ConfigError, match=r"weights\.score\.speed"):
        rank.rank_measures(table, catalogue=[plain_measure()], context=CONTEXT, weights={"score": {"speed": 1}})
    with pytest.raises(ConfigError, match=r"score\.cost"):
        rank.rank_measures(table, catalogue=[plain_measure()], context=CONTEXT, weights={"score": {"cost": "high"}})


def test_every_ranked_measure_has_a_reason_with_a_number() -> None:
    table = make_table(rows(30, barriers="no_shower_changing;no_bike_parking", would_consider="bike"),
                       rows(12, distance_km=40.0, car_needed_for_work=True, barriers="need_car_for_work"),
                       rows(8, job_group="administration", would_help="home_office"))
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT)
    assert len(ranking.measures) >= 8
    for lang in ("nn", "nb", "en"):
        for measure in ranking.as_dict(lang)["measures"]:
            assert measure["reasons"], measure["id"]
            assert any(re.search(r"\d", text) for text in said(measure["reasons"], lang)), measure["id"]


def test_as_dict_is_plain_json_with_the_documented_keys() -> None:
    table = make_table(rows(25, barriers="no_shower_changing"), rows(10, distance_km=np.nan))
    tonnes = pd.Series(np.r_[np.full(25, 0.5), np.full(10, np.nan)], index=table.index)
    data = rank.rank_measures(table, catalogue=fixture_catalogue(), emissions=tonnes, context=CONTEXT).as_dict("nb")
    text = json.dumps(data, allow_nan=False)
    assert set(data) == {"measures", "excluded_measures", "packages", "plan"}
    keys = {"id", "rank", "score", "effect", "reach", "car_trips_per_day_avoided", "tonnes_co2e_avoided", "segments",
            "actors", "cost_class", "cost_nok", "time_to_effect", "package", "reasons", "suppressed_cells",
            "status", "role", "cost_effectiveness", "applies_to"}
    assert {"measures", "car_trips_per_day_avoided", "tonnes_co2e_avoided", "car_driver_share_after",
            "consider_next", "not_suited", "target", "cost_nok"} <= set(data["plan"])
    for measure in data["measures"]:
        assert keys <= set(measure)
        assert {"low", "high", "central", "evidence_adjusted"} <= set(measure["effect"])
    assert [m["rank"] for m in data["measures"]] == list(range(1, len(data["measures"]) + 1))
    assert all({"id", "reason"} <= set(e) for e in data["excluded_measures"])
    assert "NaN" not in text


def test_packages_follow_cost_and_time() -> None:
    table = make_table(rows(30, barriers="no_bike_parking"), rows(10, car_needed_for_work=True))
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT)
    packages = ranking.as_dict("en")["packages"]
    assert set(packages) == {"quick_win", "core", "structural"}
    by_id = {m.id: m for m in ranking.measures}
    for measure in ranking.measures:
        if measure.cost_class == "high" or measure.time_to_effect == "long":
            assert measure.package == "structural"
        elif measure.cost_class == "low" and measure.time_to_effect == "short":
            assert measure.package == "quick_win"
        else:
            assert measure.package == "core"
    assert sorted(i for ids in packages.values() for i in ids) == sorted(by_id)


def test_excluded_measures_say_why() -> None:
    table = make_table(rows(30))
    context = {**CONTEXT, "facilities": {"showers": True}, "parking_at_work": "paid"}
    data = rank.rank_measures(table, catalogue=fixture_catalogue(), context=context).as_dict("en")
    excluded = {e["id"]: e for e in data["excluded_measures"]}
    assert excluded["showers-lockers"]["reason"]["key"] == "rank.excluded.facility_exists"
    assert "already has showers" in said([excluded["showers-lockers"]["reason"]])[0]
    assert excluded["parking-fee"]["reason"]["key"] == "rank.excluded.parking_at_work"
    assert "here there is paid parking" in said([excluded["parking-fee"]["reason"]])[0]
    assert excluded["service-vehicle-pool"]["reason"]["key"] == "rank.excluded.nobody_reached"
    ranked = {m["id"] for m in data["measures"]}
    assert not ranked & set(excluded)


def test_segments_served_and_segment_scores() -> None:
    table = make_table(rows(20, barriers="no_shower_changing", would_help="showers_lockers"),
                       rows(20, distance_km=40.0))
    labels = pd.Series([0] * 20 + [1] * 20, index=table.index, dtype="int64")
    segments = [{"id": 0, "label": {}, "persona": "", "size": 20}, {"id": 1, "label": {}, "persona": "", "size": 20}]
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), segments=(labels, segments), context=CONTEXT)
    showers = ranking.get("showers-lockers")
    assert showers is not None and showers.segments == (0,)
    assert ranking.top_for_segment(0)[0] in {"showers-lockers", "bike-parking"}
    assert "showers-lockers" not in ranking.top_for_segment(1)


def test_a_catalogue_with_a_duplicate_id_is_refused() -> None:
    with pytest.raises(CatalogueError, match="appears twice"):
        rank.rank_measures(make_table(rows(10)), catalogue=[plain_measure(), plain_measure()], context=CONTEXT)


def test_large_table_is_handled_vectorised() -> None:
    rng = np.random.default_rng(0)
    n = 60_000
    table = pd.DataFrame({
        "mode_summer": rng.choice(["car_alone", "bike", "bus", "walk", "car_shared"], n),
        "mode_winter": rng.choice(["car_alone", "bus", "walk", "car_passenger"], n),
        "distance_km": rng.uniform(0.5, 60, n),
        "days_on_site": rng.choice([3.0, 4.0, 5.0], n),
        "barriers": rng.choice(["no_shower_changing", "free_parking;hilly", "", "too_far"], n),
        "would_help": rng.choice(["showers_lockers", "", "ebike_pool;information"], n),
        "would_consider": rng.choice(["bike", "", "bus"], n),
        "shift_work": rng.random(n) < 0.3,
        "car_needed_for_work": rng.random(n) < 0.1,
        "parking_at_work": rng.choice(["free", "paid", "unknown"], n),
        "job_group": rng.choice(["administration", "health_care"], n),
    })
    segments = pd.Series(rng.integers(0, 6, n), index=table.index)
    ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), segments=segments, context=CONTEXT)
    showers = ranking.get("showers-lockers")
    expected = (table.mode_summer.isin(["car_alone", "car_shared"]) | table.mode_winter.isin(["car_alone", "car_shared"])) \
        & table.distance_km.between(0.5, 10)
    assert showers is not None and showers.reach == int(expected.sum())


# ---------------------------------------------------------------------------------------------
# Scenarios from the issue ("Must hold"), on the fixture catalogue and the shipped one

def shipped_catalogue():
    from grontur import catalogue
    return catalogue.load_catalogue()


def catalogues() -> list:
    return [pytest.param("fixture", id="fixture"), pytest.param("shipped", id="shipped")]


def load(which: str):
    return fixture_catalogue() if which == "fixture" else shipped_catalogue()


def rules_of(catalogue) -> dict[str, rank.MeasureRules]:
    return {r.id: r for r in (rank.MeasureRules.from_measure(m) for m in rank.iter_measures(catalogue))}


FACILITY_CODES = {"no_shower_changing", "no_bike_parking", "no_drying_room", "showers_lockers", "bike_parking", "drying_room"}


def is_facility(rules: rank.MeasureRules) -> bool:
    return bool(FACILITY_CODES & (set(rules.barriers) | set(rules.would_help))) or "facilities" in rules.requires


@pytest.mark.parametrize("which", catalogues())
def test_short_trips_naming_showers_and_bike_parking_put_facilities_in_top_3(which: str) -> None:
    catalogue = load(which)
    rules = rules_of(catalogue)
    table = make_table(
        rows(80, distance_km=3.0, barriers="no_shower_changing;no_bike_parking",
             would_help="showers_lockers;bike_parking", would_consider="bike"),
        rows(30, distance_km=25.0, barriers="too_far"),
        rows(20, mode_summer="walk", mode_winter="walk", distance_km=1.0),
    )
    context = {**CONTEXT, "transit_service": "poor"}
    ranking = rank.rank_measures(table, catalogue=catalogue, context=context)
    top3 = [m.id for m in ranking.top(3)]
    facilities = [mid for mid in top3 if is_facility(rules[mid])]
    assert len(facilities) >= 2, top3


@pytest.mark.parametrize("which", catalogues())
def test_rural_workplace_without_transit_has_no_transit_measure_in_top_5(which: str) -> None:
    catalogue = load(which)
    rules = rules_of(catalogue)
    transit = {mid for mid, r in rules.items() if r.family == "transit"}
    if not transit:
        pytest.skip(f"the {which} catalogue has no transit measure yet")
    table = make_table(
        rows(50, distance_km=12.0, barriers="no_transit;transit_cost", would_help="transit_ticket;transit_schedule",
             would_consider="bus"),
        rows(20, distance_km=4.0),
    )
    context = {**CONTEXT, "transit_service": "none"}
    ranking = rank.rank_measures(table, catalogue=catalogue, context=context)
    assert not transit & {m.id for m in ranking.top(5)}
    data = ranking.as_dict("en")
    excluded = {e["id"]: e for e in data["excluded_measures"]}
    needing = {mid for mid in transit if "none" not in (rules[mid].requires.get("transit_service") or ["none"])}
    assert needing, "every transit measure should say which service it needs"
    for mid in needing:
        assert excluded[mid]["reason"]["key"] == "rank.excluded.transit_service"
        assert "no public transport" in said([excluded[mid]["reason"]])[0]


@pytest.mark.parametrize("which", catalogues())
def test_free_parking_and_short_car_trips_rank_a_parking_measure_high(which: str) -> None:
    catalogue = load(which)
    rules = rules_of(catalogue)
    if not any(r.family == "parking" for r in rules.values()):
        pytest.skip(f"the {which} catalogue has no parking measure yet")
    table = make_table(
        rows(90, distance_km=2.5, barriers="free_parking;comfort_habit", parking_at_work="free",
             would_consider="walk;bike"),
        rows(15, mode_summer="walk", mode_winter="walk", distance_km=1.0),
    )
    ranking = rank.rank_measures(table, catalogue=catalogue, context={**CONTEXT, "parking_at_work": "free"})
    top3 = [m.id for m in ranking.top(3)]
    assert any(rules[mid].family == "parking" for mid in top3), top3


@pytest.mark.parametrize("which", catalogues())
def test_home_care_staff_who_need_a_car_get_a_service_vehicle_pool(which: str) -> None:
    catalogue = load(which)
    rules = rules_of(catalogue)
    pools = {mid for mid, r in rules.items()
             if r.family in ("vehicles", "business_travel") and r.conditions.get("car_needed_for_work") is True}
    if not pools:
        pytest.skip(f"the {which} catalogue has no service vehicle measure for employees who need a car at work yet")
    table = make_table(
        rows(40, job_group="health_care", car_needed_for_work=True, distance_km=8.0,
             barriers="need_car_for_work", shift_work=True),
        rows(40, job_group="administration", distance_km=6.0, barriers="no_shower_changing"),
    )
    labels = pd.Series(["home_care"] * 40 + ["office"] * 40, index=table.index)
    ranking = rank.rank_measures(table, catalogue=catalogue, segments=labels, context=CONTEXT)
    assert ranking.top_for_segment("home_care")[0] in pools
    assert pools & {m.id for m in ranking.top(5)}


@pytest.mark.parametrize("which", catalogues())
def test_shift_workers_are_not_topped_by_measures_that_ignore_shift_hours(which: str) -> None:
    catalogue = load(which)
    rules = rules_of(catalogue)
    not_for_shifts = {mid for mid, r in rules.items() if not r.shift_compatible}
    if not not_for_shifts:
        pytest.skip(f"the {which} catalogue has no measure marked shift_compatible: false yet")
    table = make_table(
        rows(50, shift_work=True, job_group="health_care", distance_km=4.0,
             barriers="irregular_hours;transit_times_mismatch;children_errands", would_help="flexible_hours;home_office",
             would_consider="remote"),
        rows(30, job_group="administration", distance_km=4.0, would_help="flexible_hours;home_office",
             barriers="children_errands", would_consider="remote"),
    )
    labels = pd.Series(["shift"] * 50 + ["day"] * 30, index=table.index)
    ranking = rank.rank_measures(table, catalogue=catalogue, segments=labels, context=CONTEXT)
    top_shift = ranking.top_for_segment("shift")
    assert top_shift and top_shift[0] not in not_for_shifts
    for mid in not_for_shifts:
        measure = ranking.get(mid)
        if measure is not None:
            fit = next(f for f in measure.segment_fit if f.segment == "shift")
            assert fit.reach == 0


def test_an_exclusion_with_a_small_group_hides_the_count() -> None:
    measure = plain_measure(targets={"modes": ["car_alone"], "shift_compatible": False})
    table = make_table(rows(3, shift_work=True), rows(20, mode_summer="walk", mode_winter="walk"))
    data = rank.rank_measures(table, catalogue=[measure], context=CONTEXT).as_dict("en")
    (excluded,) = data["excluded_measures"]
    assert excluded["reason"] == {"key": "rank.excluded.shift_only", "n": None}
    assert "fewer than" not in said([excluded["reason"]])[0] and excluded["suppressed_cells"] == 1
    assert said([excluded["reason"]])[0] == "Everyone the measure could reach works shifts, and it does not fit shift hours"


MODES = ["car_alone", "car_shared", "car_passenger", "bike", "walk", "bus", "remote"]


def test_invariants_hold_for_random_tables() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    row = st.fixed_dictionaries({
        "mode_summer": st.sampled_from(MODES), "mode_winter": st.sampled_from(MODES),
        "distance_km": st.one_of(st.none(), st.floats(0.2, 120)),
        "days_on_site": st.one_of(st.none(), st.floats(0, 7)),
        "barriers": st.sampled_from(["", "no_shower_changing", "free_parking;too_far", "need_car_for_work"]),
        "would_help": st.sampled_from(["", "showers_lockers", "carpool_matching;information"]),
        "shift_work": st.one_of(st.none(), st.booleans()),
        "car_needed_for_work": st.one_of(st.none(), st.booleans()),
    })

    @settings(max_examples=25, deadline=None)
    @given(st.lists(row, min_size=1, max_size=60), st.integers(5, 9))
    def check(records: list[dict], k: int) -> None:
        table = pd.DataFrame(records)
        ranking = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, k=k)
        data = ranking.as_dict("nb")
        json.dumps(data, allow_nan=False)
        assert len(data["measures"]) + len(data["excluded_measures"]) == len(fixture_catalogue())
        for measure in data["measures"]:
            assert 0 <= measure["score"] <= 100
            assert measure["reach"] is None or k <= measure["reach"] <= len(table) or measure["reach"] == 0
            trips = measure["car_trips_per_day_avoided"]
            assert 0 <= trips["low"] <= trips["high"] <= 2 * len(table)
            for item in measure["reasons"]:
                for key, value in item.items():
                    if key.startswith("n") and isinstance(value, int):
                        assert value == 0 or value >= k

    check()


def test_segment_figures_add_up_to_the_measure() -> None:
    table = make_table(rows(20, distance_km=2.0), rows(30, distance_km=4.0, days_on_site=2.5), rows(10, distance_km=40.0))
    tonnes = pd.Series([0.2] * 20 + [0.5] * 30 + [3.0] * 10, index=table.index)
    labels = pd.Series(["a"] * 20 + ["b"] * 30 + ["c"] * 10, index=table.index)
    measure = rank.rank_measures(table, catalogue=[plain_measure()], segments=labels, emissions=tonnes,
                                 context=CONTEXT).as_dict("en")["measures"][0]
    fits = {f["segment"]: f for f in measure["segment_fit"]}
    assert fits["a"]["car_trips_per_day_avoided"] == pytest.approx(0.065 * 20 * 2, abs=0.01)
    assert fits["b"]["car_trips_per_day_avoided"] == pytest.approx(0.065 * 30 * 1, abs=0.01)
    assert fits["c"]["tonnes_co2e_avoided"] == pytest.approx(0.065 * 10 * 3.0, abs=0.001)
    total = sum(f["car_trips_per_day_avoided"] for f in fits.values())
    low, high = measure["car_trips_per_day_avoided"]["low"], measure["car_trips_per_day_avoided"]["high"]
    assert total == pytest.approx((low + high) / 2, abs=0.02)
    assert measure["segments"] == ["a", "b", "c"]


def test_every_message_the_ranking_can_emit_exists_in_three_languages() -> None:
    from grontur.i18n import catalogue as messages

    source = (Path(rank.__file__)).read_text(encoding="utf-8")
    literal = set(re.findall(r'"(rank\.[a-z_.]+[a-z_])"', source))
    generated = {f"rank.reason.{kind}.{group}" for kind in ("reach", "reach_within", "reach_between", "reach_beyond")
                 for group in ("car", "all")}
    generated |= {f"rank.reason.{kind}" for kind in ("barriers", "would_help", "would_consider")}
    generated |= {f"rank.reason.evidence_{d}{s}" for d in ("down", "up") for s in ("", "_noci")}
    generated |= {"rank.reason.evidence_unclear"}
    generated |= {f"rank.reason.evidence_relative_{d}" for d in ("down", "up")}
    generated |= {f"rank.reason.evidence_adjusted.{n}" for n in ("one", "many")}
    generated |= {f"rank.reason.condition.{c}" for c in ("car_needed_for_work", "children_drop_off", "shift_work")}
    generated |= {f"rank.excluded.{key}" for key in ("transit_service", "parking_at_work", "facility_exists", "facility_missing",
                                                     "requires", "nobody_reached", "no_car_trips", "shift_only")}
    generated |= {f"rank.level.transit_service.{v}" for v in ("none", "poor", "fair", "good")}
    generated |= {f"rank.level.parking_at_work.{v}" for v in ("free", "paid", "limited", "none")}
    generated |= {f"rank.package.{p}" for p in rank.PACKAGES}
    from grontur import catalogue
    generated |= {f"rank.facility.{f}" for f in catalogue.FACILITIES}
    known = messages()
    missing = sorted(key for key in literal | generated if key not in known and not key.endswith("."))
    assert not missing
    for key in generated:
        assert all(known[key][lang].strip() for lang in ("nn", "nb", "en")), key


def test_an_open_distance_range_reads_more_than() -> None:
    measure = plain_measure(targets={"modes": ["car_alone"], "distance_km": [5, 300]})
    table = make_table(rows(12, distance_km=40.0), rows(6, distance_km=2.0))
    data = rank.rank_measures(table, catalogue=[measure], context=CONTEXT).as_dict("en")["measures"][0]
    assert said(data["reasons"])[0] == "12 of 18 who commute by car live more than 5 km from work"


def test_code_condition_on_a_question_not_asked_does_not_exclude():
    import pandas as pd

    from grontur.rank import _condition, _Respondents

    table = pd.DataFrame({"mode_summer": ["car_alone", "walk"], "distance_km": [3.0, 1.0]})
    people = _Respondents(table, rank._baseline(table, None))
    assert _condition(people, "job_group", ["administration"]).all()


# ---------------------------------------------------------------------------------------------
# Texts of the reasons

def pilot_record(**overrides):
    from grontur.evidence import EvidenceRecord

    data = {
        "measure": "plain", "municipality": {"number": "3328", "name": "Ål"},
        "period": {"start": "2025-04-01", "end": "2025-10-01"},
        "participants": {"n_reached": 60}, "context": {"employees": 420, "shift_share": 0.2, "rurality": "rural"},
        "before": 0.7, "estimate": -0.073, "ci_low": -0.219, "ci_high": 0.072, "method": "difference_in_differences",
        "source": "test",
    }
    data.update(overrides)
    return EvidenceRecord.from_dict(data, file="inline.yaml")


def pilot_reason(record, lang: str) -> str:
    table = make_table(rows(30))
    data = rank.rank_measures(table, catalogue=[plain_measure()], context=CONTEXT, evidence=[record]).as_dict(lang)
    (reason,) = [r for r in said(data["measures"][0]["reasons"], lang) if r.startswith(("Prøvd ut", "Piloted"))]
    return reason


def test_a_pilot_whose_interval_contains_zero_is_no_certain_change_with_signed_figures() -> None:
    record = pilot_record()
    nn = pilot_reason(record, "nn")
    assert "ingen sikker endring" in nn
    assert "gjekk ned" not in nn and "gjekk opp" not in nn
    # the same signed estimate and interval as the pilot evaluation, with true minus signs
    assert "(\u22127,3 prosentpoeng, 95 % KI \u221221,9 til +7,2)" in nn
    assert not re.search(r"-\d", nn)
    en = pilot_reason(record, "en")
    assert "no clear change" in en and "(\u22127.3 percentage points, 95% CI \u221221.9 to +7.2)" in en
    assert "ingen sikker endring" in pilot_reason(record, "nb")


def test_a_clear_fall_and_rise_are_stated_in_the_units_of_the_sentence() -> None:
    fall = pilot_reason(pilot_record(estimate=-0.12, ci_low=-0.21, ci_high=-0.03), "nn")
    assert "gjekk ned 12,0 prosentpoeng (95 % KI 3,0 til 21,0)" in fall
    rise = pilot_reason(pilot_record(estimate=0.05, ci_low=0.01, ci_high=0.09), "en")
    assert "up 5.0 percentage points (95% CI 1.0 to 9.0)" in rise


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_every_reason_starts_with_a_capital_letter(lang: str) -> None:
    # 3 people naming a barrier: that reason opens with "some" (the count is hidden)
    table = make_table(rows(3, barriers="no_shower_changing"), rows(30, barriers="no_bike_parking"))
    data = rank.rank_measures(table, catalogue=fixture_catalogue(), context=CONTEXT, k=5).as_dict(lang)
    reasons = said([r for m in data["measures"] for r in m["reasons"]] + [e["reason"] for e in data["excluded_measures"]], lang)
    assert any(r[:1].isdigit() for r in reasons) and any(r.lower().startswith(("nokre", "noen", "some")) for r in reasons)
    lower = [r for r in reasons if r[:1].islower()]
    assert not lower


def test_re_rendered_reasons_start_with_a_capital_letter() -> None:
    text = render_reason("rank.reason.barriers", {"n": None, "label_code": "barriers.no_shower_changing"}, "nb", k=5)
    assert text == "Noen av dem oppgir «Mangler dusj og garderobe» som hinder (tallet vises ikke)"


def test_a_measure_whose_pilots_bring_the_effect_to_zero_is_ranked_but_not_recommended() -> None:
    table = make_table(rows(30))
    # a precise rise (relative effect -0.0714, se 0.0036: precision about 75 000 against the
    # prior's 3136) pulls the posterior below zero, so the expected effect is 0
    no_effect = pilot_record(participants={"n_reached": 5000}, before=0.7, estimate=0.05, ci_low=0.045, ci_high=0.055)
    ranking = rank.rank_measures(table, catalogue=[plain_measure(), plain_measure(id="other")], context=CONTEXT,
                                 evidence=[no_effect])
    plain = ranking.get("plain")
    assert plain is not None and plain.effect.central == 0
    assert not plain.recommended and ranking.get("other").recommended
    assert [m.id for m in ranking.recommended] == ["other"]
    data = {m["id"]: m for m in ranking.as_dict("en")["measures"]}
    assert data["plain"]["recommended"] is False and data["other"]["recommended"] is True


def test_the_stage_of_change_a_measure_suits_moves_its_effect_and_score() -> None:
    # Same people and answers, except the stage they answered: a campaign for people who are
    # considering another way does more where they are.
    campaign = plain_measure(id="campaign", stages=["considering"])
    considering = make_table(rows(40, stage_of_change="considering"))
    not_considering = make_table(rows(40, stage_of_change="not_considering"))
    ready = rank.rank_measures(considering, catalogue=[campaign], context=CONTEXT).get("campaign")
    not_ready = rank.rank_measures(not_considering, catalogue=[campaign], context=CONTEXT).get("campaign")
    assert ready.car_trips_central > not_ready.car_trips_central
    assert ready.parts["match"] == pytest.approx(1.0) and not_ready.parts["match"] == pytest.approx(0.0)
    assert any(r.key == "rank.reason.stages" for r in ready.reasons)
    assert not any(r.key == "rank.reason.stages" for r in not_ready.reasons)


def test_a_derived_stage_does_not_count_the_would_consider_answer_twice() -> None:
    campaign = plain_measure(id="campaign", stages=["considering"])
    derived = rank.rank_measures(make_table(rows(40, would_consider="bike")), catalogue=[campaign], context=CONTEXT)
    plain = rank.rank_measures(make_table(rows(40, would_consider="bike")), catalogue=[plain_measure(id="campaign")],
                               context=CONTEXT)
    assert derived.get("campaign").car_trips_central == pytest.approx(plain.get("campaign").car_trips_central)


def test_a_hidden_segment_reach_is_not_the_measures_reach_less_the_shown_ones() -> None:
    """The segments split everyone a measure reaches: 20 + 30 + 3 = 53. The 3 are hidden, and the
    53 less the 20 and 30 shown would give them back."""
    from grontur.publish import Ledger, is_small

    table = make_table(rows(20, distance_km=2.0), rows(30, distance_km=4.0), rows(3, distance_km=3.0))
    labels = pd.Series(["a"] * 20 + ["b"] * 30 + ["c"] * 3, index=table.index)
    ledger = Ledger(len(table), 5)
    ranking = rank.rank_measures(table, catalogue=[plain_measure()], segments=labels, context=CONTEXT, k=5,
                                 ledger=ledger)
    measure = ranking.published(ledger.decide()).as_dict("en")["measures"][0]
    fits = {fit["segment"]: fit["reach"] for fit in measure["segment_fit"]}
    assert fits["c"] is None
    if measure["reach"] is not None:
        assert not is_small(measure["reach"] - sum(n for n in fits.values() if n is not None), 5)


# ---------------------------------------------------------------------------------------------
# The multi-select rules over all measures at once

def test_multi_select_answers_are_read_code_by_code_as_one_answer_at_a_time_would() -> None:
    from grontur.rank import _Respondents

    answers = ["cost;time", "time", None, "time;cost;time", "", "weather;cost", "cost;time", None, "weather"]
    table = pd.DataFrame({"mode_summer": ["car_alone"] * len(answers), "barriers": answers})
    people = _Respondents(table, rank._baseline(table, None))
    codes = [("cost",), ("time", "weather"), (), ("unknown-code",), ("cost", "weather")]
    named = [[isinstance(a, str) and bool(set(a.split(";")) & set(row)) for a in answers] for row in codes]
    assert people.any_of_rows("barriers", codes).tolist() == named
    for code in ("cost", "time", "weather"):
        assert people.multi("barriers", code).tolist() == [isinstance(a, str) and code in a.split(";") for a in answers]
    groups = np.array([[True] * len(answers), [i % 2 == 0 for i in range(len(answers))], [False] * len(answers)])
    counts = people.choice_counts({"barriers": [("cost", "time"), ("time", "weather"), ("cost",)],
                                   "would_help": [("x",), (), ("y",)]}, groups)
    # one count per code of each row's codes, of that row's respondents (counted by hand); a
    # respondent who names a code twice counts once
    assert counts["barriers"] == [[4, 4], [2, 1], [0]]
    assert counts["would_help"] == [[0], [], [0]]


def test_kept_is_np_where_bit_for_bit() -> None:
    from grontur.impact import kept

    values = np.array([[-0.0, np.nan, 1.5, -np.inf, 0.25, 3.0], [np.inf, -0.0, 0.0, 1e-300, -2.0, np.nan]])
    mask = np.array([[True, True, False, False, True, False], [True, False, True, True, True, False]])
    assert kept(mask, values).view(np.int64).tolist() == np.where(mask, values, 0.0).view(np.int64).tolist()
