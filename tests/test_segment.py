"""Tests for the segmentation stage (grontur/segment.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from grontur import segment
from grontur.errors import ConfigError, MissingColumnError
from grontur.i18n import LANGUAGES, has
from grontur.schema import BARRIERS, MODES, WOULD_HELP
from tests.conftest import shared_file
from tests.segment_fixtures import planted_table, unstructured_table

ROOT = Path(__file__).resolve().parents[1]


def _table(rows: list[dict], index: list | None = None) -> pd.DataFrame:
    """A canonical table from hand-written rows (missing keys are unanswered)."""
    frame = pd.DataFrame(rows, index=index)
    for col in ("mode_summer", "mode_winter", "barriers", "would_help", "parking_at_work"):
        if col not in frame:
            frame[col] = pd.NA
        frame[col] = frame[col].astype("object")
    for col in ("distance_km", "days_on_site"):
        frame[col] = pd.to_numeric(frame.get(col, pd.Series(np.nan, index=frame.index)), errors="coerce")
    for col in ("shift_work", "car_needed_for_work", "children_drop_off"):
        frame[col] = pd.array(frame[col] if col in frame else [pd.NA] * len(frame), dtype="boolean")
    return frame


# --- quality bar: planted segments ------------------------------------------------------------

@pytest.mark.parametrize(("n_segments", "seed"), [(4, 21), (5, 22), (6, 23)])
def test_planted_segments_are_recovered(n_segments: int, seed: int) -> None:
    table, truth = planted_table(1200, n_segments=n_segments, seed=seed)
    result = segment.segment_respondents(table, k=5)
    assert result.quality["method"] == segment.METHOD_KMEANS
    assert result.quality["n_segments"] == n_segments
    assert adjusted_rand_score(truth, result.labels.to_numpy(dtype=str)) >= 0.85
    assert result.quality["stability_ari"] >= 0.75


def test_planted_segments_with_unequal_sizes() -> None:
    table, truth = planted_table(1500, n_segments=5, seed=5, weights=[4, 3, 2, 1, 1])
    model = segment.HabitSegmenter().fit(table)
    assert model.n_segments_ == 5
    assert adjusted_rand_score(truth, model.labels_) >= 0.85


def test_planted_personas_name_the_segments() -> None:
    # profiles 0..4: green_short, short_car, long_no_transit, car_needed_at_work, shift_workers
    table, truth = planted_table(1200, n_segments=5, seed=7)
    result = segment.segment_respondents(table)
    labels = result.labels.to_numpy(dtype=str)
    expected = {0: "already_green", 1: "short_car", 2: "long_no_transit", 3: "car_needed_at_work",
                4: "shift_workers"}
    persona_of = {card["id"]: card["persona"] for card in result.segments}
    for planted, persona in expected.items():
        ids, counts = np.unique(labels[truth == planted], return_counts=True)
        assert persona_of[ids[np.argmax(counts)]] == persona


# --- determinism, order, sizes -----------------------------------------------------------------

def test_same_input_same_segments() -> None:
    table, _ = planted_table(800, n_segments=5, seed=3)
    first = segment.segment_respondents(table, random_state=0)
    second = segment.segment_respondents(table.copy(), random_state=0)
    pd.testing.assert_series_equal(first.labels, second.labels)
    assert json.dumps(first.as_dict(), sort_keys=True) == json.dumps(second.as_dict(), sort_keys=True)


DEMO = ("fla", "hemsedal", "nesbyen", "hol", "al", "gol")
REAL = {"exeter": ("exeter_staff_travel_survey_2023.xlsx", "example_exeter_staff_survey"),
        "salisbury": ("salisbury_md_commuter_survey_2025_googleforms.csv", "example_salisbury_googleforms")}


def _demo_table(slug: str) -> pd.DataFrame:
    from grontur.importing import import_survey

    return import_survey(next((ROOT / "surveys" / "demo" / slug).glob("baseline.*"))).table


def _real_table(name: str) -> pd.DataFrame:
    from grontur.importing import import_survey

    file, mapping = REAL[name]
    return import_survey(shared_file("real", file), mapping=mapping).table


def _seed_and_order_agreement(table: pd.DataFrame) -> list[float]:
    """ARI of the published segments against ten other seeds and ten shuffled tables (rows and
    columns in a random order, a fresh index order)."""
    base = segment.segment_respondents(table).labels.to_numpy(dtype=str)
    scores = [adjusted_rand_score(base, segment.segment_respondents(table, random_state=seed).labels.to_numpy(dtype=str))
              for seed in range(1, 11)]
    for seed in range(10):
        rng = np.random.default_rng(1000 + seed)
        shuffled = table.iloc[rng.permutation(len(table))]
        shuffled = shuffled[[shuffled.columns[i] for i in rng.permutation(len(shuffled.columns))]]
        labels = segment.segment_respondents(shuffled, random_state=seed).labels.reindex(table.index)
        scores.append(adjusted_rand_score(base, labels.to_numpy(dtype=str)))
    return scores


@pytest.mark.parametrize("slug", DEMO)
def test_demo_segments_do_not_depend_on_seed_or_order(slug: str) -> None:
    assert min(_seed_and_order_agreement(_demo_table(slug))) >= 0.95


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_export_segments_do_not_depend_on_seed_or_order(name: str) -> None:
    assert min(_seed_and_order_agreement(_real_table(name))) >= 0.95


def test_clusters_do_not_depend_on_row_order_even_with_a_fixed_estimator_seed() -> None:
    table, _ = planted_table(500, n_segments=5, seed=12)
    shuffled = table.iloc[np.random.default_rng(5).permutation(len(table))]
    first = segment.HabitSegmenter(random_state=7).fit(table).labels_
    second = pd.Series(segment.HabitSegmenter(random_state=7).fit(shuffled).labels_, index=shuffled.index)
    assert adjusted_rand_score(first, second.reindex(table.index).to_numpy()) == 1.0


def test_segment_ids_follow_size_and_align_with_index() -> None:
    table, _ = planted_table(700, n_segments=4, seed=4)
    table.index = pd.Index([f"x{i}" for i in range(len(table))][::-1])
    result = segment.segment_respondents(table)
    assert result.labels.index.equals(table.index)
    counts = result.labels.value_counts()
    sizes = [card["size"] for card in result.segments]
    assert sizes == sorted(sizes, reverse=True)
    assert [card["id"] for card in result.segments] == [f"s{i + 1}" for i in range(len(sizes))]
    for card in result.segments:
        assert counts[card["id"]] == card["size"]


@pytest.mark.parametrize("k", [5, 12])
def test_no_segment_below_minimum_size(k: int) -> None:
    table, _ = planted_table(300, n_segments=6, seed=8, weights=[10, 10, 10, 10, 1, 1])
    result = segment.segment_respondents(table, k=k)
    minimum = max(k, math.ceil(0.05 * len(table)))
    assert result.quality["min_segment_size"] == minimum
    assert all(card["size"] >= minimum for card in result.segments)
    assert result.labels.value_counts().min() >= minimum


def test_fewer_respondents_than_k_publish_nothing() -> None:
    table = _table([{"mode_summer": "walk", "mode_winter": "walk", "distance_km": 1.0}] * 4)
    result = segment.segment_respondents(table, k=5)
    assert result.segments == []
    assert result.labels.isna().all()
    assert result.quality["method"] == segment.METHOD_NONE
    assert result.as_dict()["segmentation"]["n_segments"] == 0
    # the group of four is hidden by the gate's primary rule, and counted as one hidden cell
    assert result.quality["suppressed_cells"] == 1
    nobody = segment.segment_respondents(table.iloc[0:0], k=5)
    assert nobody.quality["method"] == segment.METHOD_NONE and nobody.quality["suppressed_cells"] == 0


# --- estimator conventions ---------------------------------------------------------------------

def test_estimator_follows_scikit_learn_conventions() -> None:
    table, _ = planted_table(400, n_segments=4, seed=9)
    model = segment.HabitSegmenter(max_segments=6, n_resamples=2, random_state=3)
    assert model.get_params()["max_segments"] == 6
    assert not [name for name in vars(model) if name.endswith("_")]
    assert model.fit(table) is model
    learned = {"labels_", "cluster_centers_", "n_segments_", "silhouette_", "stability_ari_", "candidates_"}
    assert learned <= {name for name in vars(model) if name.endswith("_")}
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "labels_")
    np.testing.assert_array_equal(twin.fit(table).labels_, model.labels_)
    np.testing.assert_array_equal(model.predict(table), model.labels_)
    np.testing.assert_array_equal(clone(model).fit_predict(table), model.labels_)


def test_predict_before_fit_says_what_to_do() -> None:
    with pytest.raises(AttributeError, match="fit"):
        segment.HabitSegmenter().predict(pd.DataFrame({"distance_km": [1.0]}))


def test_large_table_fits_on_a_sample_and_assigns_the_rest() -> None:
    table, truth = planted_table(6000, n_segments=4, seed=12)
    model = segment.HabitSegmenter(fit_sample=1500, n_resamples=1).fit(table)
    assert model.fit_sample_size_ == 1500
    assert len(model.labels_) == 6000
    assert adjusted_rand_score(truth, model.labels_) >= 0.85


# --- personas ----------------------------------------------------------------------------------

PERSONA_ROWS = [
    ({"mode_summer": "walk", "mode_winter": "walk", "distance_km": 1.0}, "already_green"),
    ({"mode_summer": "bike", "mode_winter": "car_alone", "distance_km": 3.0}, "winter_car"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 9.0,
      "car_needed_for_work": True}, "car_needed_at_work"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 9.0, "shift_work": True},
     "shift_workers"),
    ({"mode_summer": "car_shared", "mode_winter": "car_alone", "distance_km": 9.0,
      "children_drop_off": True}, "family_logistics"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 3.0}, "short_car"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 5.0}, "short_car"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 5.1}, "ebike_range_car"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 40.0}, "long_no_transit"),
    ({"mode_summer": "car_passenger", "mode_winter": "car_passenger", "distance_km": 4.0}, "mixed"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone"}, "mixed"),
    ({"mode_summer": "walk", "distance_km": 0.8}, "already_green"),
    ({"mode_summer": "remote", "mode_winter": "bus", "distance_km": 30.0}, "already_green"),
    ({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 2.0,
      "car_needed_for_work": True, "shift_work": True}, "car_needed_at_work"),
    ({"distance_km": 2.0}, "mixed"),
]


def test_persona_rules_first_match_wins() -> None:
    table = _table([row for row, _ in PERSONA_ROWS])
    got = segment.assign_personas(table)
    assert got.tolist() == [persona for _, persona in PERSONA_ROWS]
    assert got.index.equals(table.index)


def test_persona_file_has_the_documented_ids_and_texts() -> None:
    book = segment.load_personas()
    assert set(book.ids) >= {"already_green", "short_car", "ebike_range_car", "long_no_transit",
                              "car_needed_at_work", "family_logistics", "shift_workers", "mixed"}
    assert book.ids[-1] == "mixed"
    for persona in book.personas:
        assert set(persona.name) == set(LANGUAGES) and all(persona.name.values())


def test_broken_persona_file_names_file_and_entry(tmp_path: Path) -> None:
    good = (ROOT / "surveys" / "personas.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "personas.yaml"
    broken.write_text(good.replace("modes_any: [car_alone, car_shared]\n      car_needed_for_work",
                                   "modes_any: [car_alone, lorry]\n      car_needed_for_work", 1),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match=r"personas\.yaml.*car_needed_at_work.*modes_any"):
        segment.load_personas(broken)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(good.replace("distance_km: {max: 5}", "distance_kms: {max: 5}"), encoding="utf-8")
    with pytest.raises(ConfigError, match="short_car.*distance_kms"):
        segment.load_personas(unknown)


# --- small municipalities and persona cards, checked by hand ---------------------------------

def _small_table() -> pd.DataFrame:
    rows = []
    # 12 walkers within 2 km; 3 of them name darkness
    for i in range(12):
        rows.append({"mode_summer": "walk", "mode_winter": "walk", "distance_km": 1.0 + 0.1 * i,
                     "barriers": "darkness" if i < 3 else None, "would_help": "winter_maintenance"})
    # 10 short-distance drivers: summer 7 alone + 3 shared; 6 name missing showers
    for i in range(10):
        rows.append({"mode_summer": "car_alone" if i < 7 else "car_shared", "mode_winter": "car_alone",
                     "distance_km": 2.0 + 0.2 * i,
                     "barriers": "no_shower_changing;comfort_habit" if i < 6 else "comfort_habit",
                     "would_help": "showers_lockers" if i < 5 else None})
    # 8 who need the car at work
    for i in range(8):
        rows.append({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 8.0 + i,
                     "car_needed_for_work": True, "barriers": "need_car_for_work"})
    # 3 long-distance drivers: too few for a segment of their own
    for i in range(3):
        rows.append({"mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": 40.0 + i})
    return _table(rows)


def test_small_municipality_gets_rule_based_segments_with_leftovers_merged() -> None:
    table = _small_table()
    result = segment.segment_respondents(table, k=5)
    quality = result.quality
    assert quality["method"] == segment.METHOD_RULES
    assert quality["chosen_because"]["key"] == "small"
    assert quality["stability_ari"] is None
    by_persona = {card["persona"]: card for card in result.segments}
    # the three long-distance drivers (below k) go to the catch-all, which is still below k and
    # joins the nearest group: the other drivers with long trips (8-15 km, not 2-4 km)
    assert {p: c["size"] for p, c in by_persona.items()} == {"already_green": 12, "short_car": 10,
                                                            "car_needed_at_work": 11}
    # 8 of 11 match the persona: the 3 who do not are fewer than k, so the share is not shown
    assert by_persona["car_needed_at_work"]["persona_share"] is None
    assert quality["merged_segments"] == 2  # long_no_transit -> mixed, mixed -> nearest
    assert sum(card["size"] for card in result.segments) == len(table)


def test_persona_card_figures_by_hand() -> None:
    table = _small_table()
    result = segment.segment_respondents(table, k=5)
    card = next(c for c in result.segments if c["persona"] == "short_car")
    members = result.labels == card["id"]
    assert card["size"] == int(members.sum()) == 10
    # summer: 7 alone, 3 shared (below k): the 7 are hidden too, as 10 - 7 would give the 3 back
    assert card["mode_share"]["summer"] == {"car_alone": None, "car_shared": None}
    assert card["mode_share"]["winter"] == {"car_alone": 1.0}
    assert card["median_distance_km"] == round(float(np.median([2.0 + 0.2 * i for i in range(10)])), 1)
    # 6 of the 10 name the missing showers: the 4 who do not are fewer than k, so it is not listed
    assert "no_shower_changing" not in {b["code"] for b in card["barriers"]}
    # the 5 who want showers are all among the 6 who miss them: side by side the two would
    # describe the 1 who misses showers but does not ask for them, so the wish is left out too
    assert "showers_lockers" not in {w["code"] for w in card["would_help"]}
    assert card["label"]["en"] == "Short-distance car drivers"
    assert result.quality["suppressed_cells"] >= 1


def test_published_figures_never_describe_fewer_than_k() -> None:
    table, _ = planted_table(500, n_segments=6, seed=14)
    k = 8
    result = segment.segment_respondents(table, k=k)
    hidden = 0
    for card in result.segments:
        assert card["size"] >= k
        for item in card["barriers"] + card["would_help"]:
            assert item["count"] >= k
        for feature in card["defining_features"]:
            assert round(feature["share"] * card["size"]) >= k
        for season, shares in card["mode_share"].items():
            members = table.loc[result.labels == card["id"], f"mode_{season}"]
            counts = members.value_counts()
            hidden_here = 0
            for mode, share in shares.items():
                if share is None:
                    hidden += 1
                    hidden_here += int(counts[mode])
                else:
                    assert counts[mode] >= k and members.notna().sum() - counts[mode] >= k
                    assert share == pytest.approx(counts[mode] / members.notna().sum(), abs=1e-4)
            # the hidden cells add up to nobody or to at least k: none follows from the size
            assert hidden_here == 0 or hidden_here >= k
    assert result.quality["suppressed_cells"] >= hidden


def test_barrier_lift_against_all_respondents() -> None:
    table, _ = planted_table(900, n_segments=5, seed=15)
    result = segment.segment_respondents(table)
    overall = {code: table["barriers"].fillna("").str.split(";").apply(lambda x, c=code: c in x).mean()
               for code in BARRIERS}
    for card in result.segments:
        members = table.loc[result.labels == card["id"], "barriers"].fillna("").str.split(";")
        for item in card["barriers"]:
            share = members.apply(lambda x, c=item["code"]: c in x).mean()
            assert item["share"] == pytest.approx(share, abs=1e-4)
            assert item["lift"] == pytest.approx(share / overall[item["code"]], abs=0.01)
            assert item["lift"] >= 1.25


def test_unstable_clusters_fall_back_to_personas() -> None:
    table, _ = planted_table(600, n_segments=4, seed=16)
    result = segment.segment_respondents(table, min_stability=1.01)
    quality = result.quality
    assert quality["method"] == segment.METHOD_RULES
    assert quality["chosen_because"]["key"] == "unstable"
    assert quality["clustering"]["n_segments"] == 4
    assert quality["stability_ari"] == quality["clustering"]["stability_ari"]
    assert all(card["persona_share"] >= 0 for card in result.segments)


@pytest.mark.parametrize(("n", "n_segments", "seed"), [(150, 3, 51), (300, 4, 52), (600, 5, 53), (1200, 6, 54)])
def test_planted_structure_is_published_as_clusters(n: int, n_segments: int, seed: int) -> None:
    table, _ = planted_table(n, n_segments=n_segments, seed=seed)
    quality = segment.segment_respondents(table).quality
    assert quality["method"] == segment.METHOD_KMEANS
    assert quality["silhouette"] >= segment.MIN_SILHOUETTE
    assert quality["stability_ari"] >= segment.MIN_STABILITY
    assert quality["chosen_because"]["key"] == "best_silhouette"


@pytest.mark.parametrize(("n", "seed"), [(150, 61), (300, 62), (600, 63), (1200, 64)])
def test_answers_without_groups_get_the_persona_rules(n: int, seed: int) -> None:
    # the answers of planted groups with every column shuffled on its own: same frequencies,
    # no groups; and a single planted profile
    for table in (unstructured_table(n, seed=seed), planted_table(n, n_segments=1, seed=seed)[0]):
        quality = segment.segment_respondents(table).quality
        assert quality["method"] == segment.METHOD_RULES
        assert quality["chosen_because"]["key"] in ("not_separated", "unstable_not_separated")
        assert quality["clustering"]["silhouette"] < segment.MIN_SILHOUETTE


def test_the_reason_is_one_plain_sentence_in_each_language() -> None:
    table = unstructured_table(400, seed=65)
    quality = segment.segment_respondents(table).quality
    values = quality["chosen_because"]["values"]
    assert values["min_silhouette"] == segment.MIN_SILHOUETTE
    for lang in LANGUAGES:
        text = quality["chosen_because_text"][lang]
        assert text.count(". ") == 0 and text.endswith(".")
        assert ("0,20" if lang != "en" else "0.20") in text
        assert "{" not in text


# --- output shape ------------------------------------------------------------------------------

def test_as_dict_is_plain_json() -> None:
    table, _ = planted_table(500, n_segments=5, seed=17)
    out = segment.segment_respondents(table).as_dict()
    text = json.dumps(out, allow_nan=False)
    assert set(out) == {"segments", "segmentation"}
    back = json.loads(text)
    assert back == out
    card = out["segments"][0]
    assert {"id", "label", "persona", "size", "mode_share", "median_distance_km", "barriers",
            "would_help", "defining_features"} <= set(card)
    assert set(card["label"]) == set(LANGUAGES)
    seg = out["segmentation"]
    for key in ("method", "n_segments", "quality", "silhouette", "stability_ari", "suppressed_cells",
                "chosen_because", "chosen_because_text"):
        assert key in seg
    assert isinstance(seg["suppressed_cells"], int)


def test_labels_are_distinct_and_translated() -> None:
    table, _ = planted_table(1000, n_segments=6, seed=18)
    result = segment.segment_respondents(table)
    for lang in LANGUAGES:
        labels = [card["label"][lang] for card in result.segments]
        assert len(set(labels)) == len(labels)
        assert all(labels)


def test_every_feature_has_a_label() -> None:
    blocks = segment.habit_features(_small_table())
    _, names = segment._indicators(blocks)
    _, one_season = segment._indicators(blocks, seasons=False)
    assert not any(name.startswith(("mode_summer", "mode_winter")) for name in one_season)
    for name in names + one_season:
        label = segment.feature_label(name)
        assert set(label) == set(LANGUAGES) and all(label.values())
    for code in WOULD_HELP:
        assert has(f"code.would_help.{code}")
    for code in MODES:
        assert has(f"code.mode.{code}")


# --- user errors -------------------------------------------------------------------------------

def test_table_without_modes_or_distance_is_refused() -> None:
    with pytest.raises(MissingColumnError, match="mode_summer, mode_winter or distance_km"):
        segment.segment_respondents(pd.DataFrame({"job_group": ["school"] * 10}))


def test_k_below_five_is_refused() -> None:
    with pytest.raises(ConfigError, match="k=3"):
        segment.segment_respondents(_small_table(), k=3)


def test_non_boolean_flag_column_names_the_column() -> None:
    table = _small_table()
    table["shift_work"] = ["often"] * len(table)
    with pytest.raises(MissingColumnError, match="shift_work.*often"):
        segment.segment_respondents(table)


def test_missing_optional_columns_are_fine() -> None:
    table = _small_table()[["mode_summer", "mode_winter", "distance_km"]]
    result = segment.segment_respondents(table)
    assert sum(card["size"] for card in result.segments) == len(table)


# --- demo data ---------------------------------------------------------------------------------

def test_demo_municipality_segments_are_distinct() -> None:
    path = ROOT / "surveys" / "demo" / "gol" / "baseline.csv"
    if not path.exists():
        pytest.skip(f"demo export {path} is missing")
    from grontur.importing import import_survey

    table = import_survey(path).table
    result = segment.segment_respondents(table)
    minimum = max(5, math.ceil(0.05 * len(table)))
    assert len(result.segments) >= 3
    assert all(card["size"] >= minimum for card in result.segments)
    assert len({card["label"]["nn"] for card in result.segments}) == len(result.segments)
    assert result.labels.notna().all()


def test_real_export_segments_within_the_rules() -> None:
    path = ROOT.parent / "shared" / "data" / "real" / "exeter_staff_travel_survey_2023.xlsx"
    if not path.exists():
        pytest.skip(f"real export {path} is missing")
    from grontur.importing import import_survey

    table = import_survey(path).table
    result = segment.segment_respondents(table)
    minimum = max(5, math.ceil(0.05 * len(table)))
    assert sum(card["size"] for card in result.segments) == len(table)
    assert all(card["size"] >= minimum for card in result.segments)
    json.dumps(result.as_dict(), allow_nan=False)


def test_a_persona_names_a_segment_only_when_most_members_match_it() -> None:
    from grontur.segment import _name_segments, load_personas

    book = load_personas()
    fitting, loose, catch_all = book.personas[0], book.personas[1], book.personas[-1]
    profile = [("segment.name.mode_distance", {"mode": ("segment.name.mode.car_alone", {}),
                                               "distance": "segment.name.distance.15_30"}),
               ("segment.name.flag.shift_work", {})]
    cards = [{"persona": fitting.id, "persona_share": 0.6, "defining_features": []},
             {"persona": loose.id, "persona_share": 0.59, "defining_features": []},
             {"persona": catch_all.id, "persona_share": 1.0, "defining_features": []}]
    _name_segments(cards, book, [profile, profile, [("segment.name.mode.train", {})]])
    assert cards[0]["label"] == dict(fitting.name) and cards[0]["description"] == dict(fitting.summary)
    assert cards[1]["label"]["en"] == "Drive alone 15–30 km, shift work"
    assert cards[1]["label"]["nn"] == "Køyrer åleine 15–30 km, turnus eller skift"
    assert cards[1]["description"]["nn"].startswith("Berre 59 % av gruppa passar")
    assert loose.summary["en"] not in cards[1]["description"]["en"]
    # the catch-all persona ("passengers, motorcyclists and others") never names a segment
    assert cards[2]["label"]["en"] == "Take the train"
    assert catch_all.summary["en"] not in cards[2]["description"]["en"]


def _self_made_table(seed: int = 3) -> pd.DataFrame:
    """Passengers, motorcyclists (car in winter), train commuters and drivers, with noise."""
    rng = np.random.default_rng(seed)
    groups = [("car_passenger", "car_passenger", 8.0, 70), ("motorcycle", "car_alone", 12.0, 60),
              ("train", "train", 45.0, 80), ("car_alone", "car_alone", 20.0, 90), ("walk", "walk", 1.0, 40)]
    rows = []
    for summer, winter, km, n in groups:
        for _ in range(n):
            noisy = rng.random() < 0.1
            rows.append({"mode_summer": rng.choice(MODES) if noisy else summer, "mode_winter": winter,
                         "distance_km": round(float(km * np.exp(rng.normal(0, 0.3))), 1),
                         "shift_work": bool(rng.random() < 0.2), "car_needed_for_work": bool(rng.random() < 0.1),
                         "children_drop_off": bool(rng.random() < 0.2),
                         "barriers": "too_far" if km > 30 else pd.NA})
    return _table(rows)


def _contradictions(table: pd.DataFrame, result: segment.SegmentResult) -> list[str]:
    """Names that their members' answers contradict: a persona name most members do not match,
    a named mode most members do not use, the catch-all persona's words, season words in a
    survey that asked about one season."""
    from grontur.i18n import t

    book = segment.load_personas()
    persona = segment.assign_personas(table, book)
    one_season = table["mode_summer"].fillna("").equals(table["mode_winter"].fillna(""))
    phrases = {t(f"segment.name.mode.{code}", "en"): ("mode", code) for code in MODES}
    phrases |= {t(f"segment.name.group.{g}", "en"): ("group", g) for g in segment.MODE_GROUPS}
    found = []
    for card in result.segments:
        label = card["label"]["en"]
        members = result.labels == card["id"]
        for p in book.personas:
            if label.startswith(p.name["en"]) and (persona[members] == p.id).mean() < segment.NAME_MIN_SHARE:
                found.append(f"{label}: {(persona[members] == p.id).mean():.0%} match {p.id}")
        if book.personas[-1].name["en"] in label or "motorcyclists" in str(card.get("description")):
            found.append(f"{label}: catch-all persona")
        prefix = max((ph for ph in phrases if label.startswith(ph)), key=len, default=None)
        if prefix is not None:
            kind, code = phrases[prefix]
            modes = table.loc[members, "mode_summer"].dropna()
            values = modes if kind == "mode" else modes.map(segment.MODE_GROUP_OF)
            if (values == code).mean() < 0.5:
                found.append(f"{label}: only {(values == code).mean():.0%} {code}")
        words = [card["label"][lang] for lang in LANGUAGES] + [
            f["label"][lang] for f in card["defining_features"] for lang in LANGUAGES]
        if one_season and any(w in text.lower() for text in words for w in ("summer", "winter", "sommar", "sommer", "vinter")):
            found.append(f"{label}: season words in a one-season survey")
    return found


def test_names_of_self_made_segments_match_their_contents() -> None:
    table = _self_made_table()
    result = segment.segment_respondents(table)
    assert _contradictions(table, result) == []
    labels = [card["label"]["en"] for card in result.segments]
    assert any("take the train" in label.lower() for label in labels)
    assert any(label.startswith("Ride as a car passenger") for label in labels)
    # the same people asked about one season only: no season words
    one = table.assign(mode_winter=table["mode_summer"])
    assert _contradictions(one, segment.segment_respondents(one)) == []


@pytest.mark.parametrize("slug", DEMO)
def test_demo_segment_names_match_their_contents(slug: str) -> None:
    table = _demo_table(slug)
    assert _contradictions(table, segment.segment_respondents(table)) == []


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_export_segment_names_match_their_contents(name: str) -> None:
    table = _real_table(name)
    assert _contradictions(table, segment.segment_respondents(table)) == []


def test_the_report_shows_the_segment_description_not_the_persona_summary() -> None:
    from grontur.report.build import _persona_text

    class Ctx:
        lang = "en"

    seg = {"persona": "short_car", "description": {"nn": "a", "nb": "b", "en": "Only 13% of the group fit."}}
    assert _persona_text(Ctx(), seg) == "Only 13% of the group fit."


# ---------------------------------------------------------------------------------------------
# Fast paths give what the plain computation gives
# ---------------------------------------------------------------------------------------------

def test_multi_hot_reads_codes_as_written_by_hand() -> None:
    column = pd.Series(["bike; walk", None, "", "walk;unknown;walk", 3, " bus ", pd.NA, "walk"], dtype=object)
    got = segment._multi_hot(column, ("walk", "bike", "bus"))
    expected = np.array([[1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]],
                        dtype=float)
    np.testing.assert_array_equal(got, expected)
    grouped = segment._multi_hot(pd.Series(["bike;car_shared", "ebike;remote;bus"]), tuple(segment.CONSIDER_GROUP_OF),
                                 segment.CONSIDER_GROUP_OF, segment.CONSIDER_GROUPS)
    np.testing.assert_array_equal(grouped, [[1, 0, 1, 0], [1, 1, 0, 1]])


def test_canonical_order_is_the_plain_lexicographic_order() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        columns = [rng.normal(size=n), rng.integers(0, 2, size=n) * 0.7, rng.integers(0, 2, size=n) * 0.7,
                   np.full(n, 0.25), rng.choice([0.0, 0.4, 1.0], size=n), rng.integers(0, 2, size=n) * 2.0,
                   *(rng.integers(0, 2, size=n) * 1.0 for _ in range(70))]
        matrix = np.column_stack(columns)
        matrix[rng.integers(n), 0] = -0.0
        keys = np.round(matrix, 9) + 0.0
        np.testing.assert_array_equal(segment.canonical_order(matrix), np.lexsort(keys.T[::-1]))


def test_ward_cut_is_scipys_fcluster() -> None:
    from scipy.cluster.hierarchy import fcluster

    from grontur._ward import ward_linkage

    rng = np.random.default_rng(4)
    fewer = 0
    for n in (3, 4, 10, 57, 150, 300):
        for points in (rng.normal(size=(n, 4)), rng.normal(size=(n, 3)).round(0),  # rounded: tied heights
                       rng.integers(0, 2, size=(n, 5)).astype(float)):
            tree = ward_linkage(points)
            cuts = segment._ward_cuts(tree, list(range(1, n + 1)))
            for k in range(2, n):
                expected = fcluster(tree, t=k, criterion="maxclust") - 1
                if expected.max() + 1 == k:
                    np.testing.assert_array_equal(cuts[k], expected)
                else:  # ties: fcluster gives fewer groups, and the cut is left out
                    assert k not in cuts
                    fewer += 1
            assert 1 not in cuts and n not in cuts
    assert fewer  # the tied trees did test the cuts that give fewer groups


def test_segment_means_are_numpys_means() -> None:
    rng = np.random.default_rng(5)
    for n, d, k in ((1, 2, 1), (7, 2, 4), (160, 8, 6), (1000, 12, 8)):
        points = rng.normal(size=(n, d)) * 10.0 ** rng.uniform(-3, 3, size=d)
        labels = rng.integers(0, k, size=n)
        fallback = rng.normal(size=(k, d))
        expected = fallback.copy()
        for j in range(k):
            if (labels == j).any():
                expected[j] = points[labels == j].mean(axis=0)
        assert segment._means(points, labels, k, fallback).tobytes() == expected.tobytes()
