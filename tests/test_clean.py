"""Values: modes, numbers, bands, postcodes, municipalities, yes/no, multi-select, flags, duplicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from grontur._numbers import parse_number
from grontur.clean import clean
from grontur.io import RawExport
from grontur.mapping import apply_mapping, load_mapping
from grontur.resources import data_path

QUESTIONS = {q["column"]: q for q in yaml.safe_load(
    data_path("surveys", "standard", "questionnaire.yaml").read_text(encoding="utf-8"))["questions"]}


def _clean(columns: dict[str, list], *, lang: str = "nn", **options):
    """Clean answers given per canonical column, under the standard question texts in ``lang``."""
    frame = pd.DataFrame({QUESTIONS[c]["text"][lang] if c in QUESTIONS else c: v for c, v in columns.items()},
                         dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    mapped = apply_mapping(RawExport(frame, Path("x.csv")), load_mapping("standard"))
    return clean(mapped, **options)


@pytest.mark.parametrize(
    ("answer", "code"),
    [("Bil, åleine", "car_alone"), ("Køyrer saman med andre", "car_shared"), ("Kollektivt", "bus"),
     ("Elsykkel", "ebike"), ("alone in a gas-powered vehicle", "car_alone"), ("drove alone", "car_alone"),
     ("Bil, alene", "car_alone"), ("Car, driving with others", "car_shared"), ("Går", "walk"),
     ("Jobber hjemmefra", "remote"), ("Passasjer i bil", "car_passenger"), ("BUSS", "bus"),
     ("car_alone", "car_alone")],
)
def test_modes_from_the_answers_people_give(answer: str, code: str) -> None:
    result = _clean({"mode_summer": [answer]})
    assert result.table["mode_summer"].tolist() == [code]
    if answer == "Kollektivt":
        assert result.issues[["problem", "action"]].values.tolist() == [["generic_transit_coded_bus", "coded_bus"]]
    else:
        assert result.issues.empty


def test_unknown_mode_is_kept_missing_and_logged() -> None:
    result = _clean({"mode_summer": ["Hest", "Buss"], "distance_km": ["3", "4"]})
    assert result.table["mode_summer"].isna().tolist() == [True, False]
    issue = result.issues.iloc[0]
    # A typed answer given by one person may be personal: quality.csv does not copy it.
    assert (issue["source_row"], issue["column"], issue["raw_value"], issue["problem"], issue["action"]) == \
        (1, "mode_summer", "<typed answer removed>", "unknown_answer", "set_missing")
    # The mapping report pools answers given by fewer than k=5 people.
    assert result.unknown_values == {"mode_summer": {"<answers given by fewer than k respondents>": 1}}
    many = _clean({"mode_summer": ["Hest"] * 5 + ["Sparkesykkel"], "distance_km": ["3"] * 6})
    assert many.unknown_values == {"mode_summer": {"Hest": 5, "<answers given by fewer than k respondents>": 1}}
    assert many.issues["raw_value"].tolist() == ["Hest"] * 5 + ["<typed answer removed>"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5 km", 5.0), ("2,9", 2.9), ("2,9 ", 2.9), ("1 1/2", 1.5), ("five", 5.0), ("ca. 12", 12.0),
     ("Approx 5 ", 5.0), ("1  (approx)", 1.0), ("one", 1.0), ("3-5", 4.0), ("<1", 0.5),
     ("over 10 km", 12.5), ("1–3 km", 2.0), ("Mer enn 10 km", 12.5), ("Under 1 km", 0.5), ("From Dover", None), ("?", None), ("a few", None), ("no idea", None)],
)
def test_numbers_from_text(text: str, expected: float | None) -> None:
    value, _unit = parse_number(text, open_upper=1.25, open_lower=0.5)
    assert value == (pytest.approx(expected) if expected is not None else None)


def test_distance_units_and_unusable_values() -> None:
    result = _clean({"distance_km": ["5 km", "3 miles", "2 mil", "500 m", "From Dover", "?", None]})
    table = result.table
    # Rows 5-7 have no distance and no mode: quarantined; units converted by hand here.
    assert table["distance_km"].tolist() == pytest.approx([5.0, 3 * 1.609344, 20.0, 0.5])
    bad = result.issues[result.issues["problem"] == "unreadable_number"]
    assert bad["source_row"].tolist() == [5, 6]
    assert bad["raw_value"].tolist() == ["<typed answer removed>", "?"]
    assert result.account == {"input_rows": 7, "kept": 4, "quarantined": 3}


def test_time_bands_become_midpoints() -> None:
    labels = [QUESTIONS["travel_time_min"]["options"][k]["nb"] for k in ("7.5", "23", "75")]
    result = _clean({"mode_summer": ["Buss"] * 6,
                     "travel_time_min": [*labels, "41-50 minutes", "10 minutes or less", "1 time"]}, lang="nb")
    assert result.table["travel_time_min"].tolist() == pytest.approx([7.5, 23, 75, 45.5, 5, 60])


def test_postcodes_get_leading_zeros_back() -> None:
    result = _clean({"mode_summer": ["Buss"] * 4, "home_postcode": ["301", "3550", "0001", "abc"]})
    assert result.table["home_postcode"].tolist()[:3] == ["0301", "3550", "0001"]
    assert pd.isna(result.table["home_postcode"].iloc[3])
    assert result.issues["problem"].tolist() == ["invalid_postcode"]


def test_municipality_numbers_of_2020_become_2024_and_project_default_fills() -> None:
    result = _clean({"mode_summer": ["Buss"] * 4, "municipality": ["3041", "3324", None, "9999"]},
                    municipality="Hol")
    assert result.table["municipality"].tolist() == ["3324", "3324", "3330", "3330"]
    problems = result.issues.set_index("source_row")["problem"].to_dict()
    assert problems == {1: "municipality_number_translated", 4: "unknown_municipality"}
    without = _clean({"mode_summer": ["Buss"]}, municipality="3044", wave="2025-03")
    assert without.table[["municipality", "wave"]].iloc[0].tolist() == ["3330", "2025-03"]


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_yes_no_in_three_languages(lang: str) -> None:
    yes, no = {"nn": ("Ja", "Nei"), "nb": ("ja", "NEI"), "en": ("Yes", "no")}[lang]
    result = _clean({"mode_summer": ["Bus"] * 3, "shift_work": [yes, no, None]}, lang=lang)
    column = result.table["shift_work"]
    assert str(column.dtype) == "boolean"
    assert column.tolist()[:2] == [True, False]
    assert pd.isna(column.iloc[2])


def test_multi_select_with_commas_inside_options() -> None:
    options = QUESTIONS["would_help"]["options"]
    showers, drying, bikes = (options[k]["nn"] for k in ("showers_lockers", "drying_room", "bike_parking"))
    assert "," in showers
    answers = [f"{showers}, {drying}", f"{bikes};{showers};", f"{drying}, Noko heilt anna", None]
    result = _clean({"mode_summer": ["Buss"] * 4, "would_help": answers})
    assert result.table["would_help"].tolist()[:3] == ["showers_lockers;drying_room", "bike_parking;showers_lockers",
                                                       "drying_room"]
    issue = result.issues.iloc[0]
    assert (issue["source_row"], issue["problem"], issue["action"]) == (3, "unknown_option", "kept_known_options")
    assert issue["raw_value"] == "<typed answer removed>"


def test_other_free_text_never_reaches_the_outputs() -> None:
    result = _clean({"mode_summer": ["Buss"] * 2,
                     "would_help": ["Anna (ring meg på 91234567, Kari)", "Fleksibel arbeidstid, other (see kari@x.no)"]})
    assert result.table["would_help"].tolist() == ["other", "flexible_hours;other"]
    text = result.table.to_csv() + result.issues.to_csv()
    assert "Kari" not in text and "9123" not in text and "@" not in text


def test_out_of_range_values_are_flagged_with_actions() -> None:
    result = _clean({
        "mode_summer": ["Går", "Bil, åleine", "Buss", "Buss", "Syklar"],
        "distance_km": ["40", "350", "0", "12", "45"],
        "travel_time_min": [None, None, None, "400 minutt", None],
        "days_on_site": ["5", "9", None, None, None],
    })
    issues = result.issues.set_index(["source_row", "problem"])["action"].to_dict()
    assert issues[(1, "walk_distance_implausible")] == "kept_flagged"
    assert issues[(2, "distance_over_300km")] == "set_missing"
    assert issues[(3, "distance_not_positive")] == "set_missing"
    assert issues[(4, "time_out_of_range")] == "set_missing"
    assert issues[(2, "days_out_of_range")] == "set_missing"
    assert issues[(5, "bike_distance_implausible")] == "kept_flagged"
    assert result.table["distance_km"].tolist()[:3] == [40.0, None, None] or \
        np.isnan(result.table["distance_km"].iloc[1])
    assert result.table["distance_km"].iloc[0] == 40.0


def test_duplicates_by_id_and_by_quick_identical_submission() -> None:
    answers = {"mode_summer": ["Buss", "Buss", "Går", "Går", "Går"], "mode_winter": ["Buss"] * 5,
               "distance_km": ["3", "3", "1", "1", "1"], "job_group": ["Skule"] * 5, "age_band": ["30–44 år"] * 5}
    ids = pd.Series(["a", "a", "b", "c", "d"], index=pd.RangeIndex(1, 6))
    times = pd.Series(pd.to_datetime(["2025-03-01 10:00", "2025-03-02 10:00", "2025-03-01 11:00",
                                      "2025-03-01 11:01", "2025-03-03 09:00"]), index=pd.RangeIndex(1, 6))
    result = _clean(answers, respondent_id=ids, submitted=times)
    # Row 2 repeats id a; row 4 repeats row 3 a minute later; row 5 repeats it two days later (kept).
    assert result.quarantine.to_dict("records") == [
        {"source_row": 2, "reason": "duplicate_id", "copy_of": 1},
        {"source_row": 4, "reason": "duplicate_submission", "copy_of": 3}]
    assert result.table["source_row"].tolist() == [1, 3, 5]
    assert result.account == {"input_rows": 5, "kept": 3, "quarantined": 2}


def test_rows_with_nothing_usable_are_quarantined_and_accounted() -> None:
    result = _clean({"mode_summer": [None, "Buss", None], "mode_winter": [None, None, "Buss"],
                     "distance_km": [None, None, None], "job_group": ["Skule", "Skule", "Skule"]})
    assert result.quarantine[["source_row", "reason"]].to_dict("records") == [{"source_row": 1, "reason": "no_mode_or_distance"}]
    account = result.account
    assert account["input_rows"] == account["kept"] + account["quarantined"] == 3


def test_scientific_notation_is_a_number_and_then_out_of_range() -> None:
    result = _clean({"mode_summer": ["Buss"] * 2, "distance_km": ["1e6", "2.5e1"]})
    assert np.isnan(result.table["distance_km"].iloc[0])
    assert result.table["distance_km"].iloc[1] == 25.0
    assert result.issues["problem"].tolist() == ["distance_over_300km"]


def test_formula_like_answers_are_defused_in_outputs() -> None:
    result = _clean({"mode_summer": ["=HYPERLINK(\"x\")"] * 5 + ["Buss"], "mode_winter": ["Buss"] * 6,
                     "workplace": ["@SUM(1)"] * 5 + ["Rådhuset"], "distance_km": ["-4"] + ["3"] * 5})
    assert result.issues.loc[result.issues["column"] == "mode_summer", "raw_value"].tolist() == ["'=HYPERLINK(\"x\")"] * 5
    assert result.table["workplace"].tolist()[:5] == ["'@SUM(1)"] * 5
    negative = result.issues[result.issues["column"] == "distance_km"]
    assert negative[["raw_value", "problem"]].values.tolist() == [["-4", "distance_not_positive"]]


def test_a_very_long_answer_is_handled_quickly() -> None:
    import time

    start = time.perf_counter()
    result = _clean({"mode_summer": ["x" * 32_767, "Buss"], "distance_km": ["3", "4"]})
    assert time.perf_counter() - start < 5
    assert result.issues["raw_value"].tolist() == ["<free text removed>"]


def test_workplaces_named_by_fewer_than_k_are_blanked() -> None:
    result = _clean({"mode_summer": ["Buss"] * 8, "workplace": ["Rådhuset"] * 5 + ["Kari Nordmann", "Brannstasjonen", None]})
    assert result.table["workplace"].tolist()[:5] == ["Rådhuset"] * 5
    assert result.table["workplace"].iloc[5:].isna().all()
    rare = result.issues[result.issues["problem"] == "rare_workplace"]
    assert rare["source_row"].tolist() == [6, 7]
    assert "Kari" not in result.issues.to_csv()
