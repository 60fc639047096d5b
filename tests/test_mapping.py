"""Mappings: dialect detection, the standard questionnaire in nn/nb/en, suggestions, files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from grontur.errors import ConfigError, GronturError
from grontur.io import RawExport
from grontur.mapping import (
    DIALECTS,
    apply_mapping,
    available_mappings,
    detect_mapping,
    load_mapping,
    mapping_from_dict,
    norm,
    save_mapping,
    suggest_mapping,
    value_map,
)
from grontur.resources import data_path

QUESTIONNAIRE = yaml.safe_load(data_path("surveys", "standard", "questionnaire.yaml").read_text(encoding="utf-8"))
QUESTIONS = {q["column"]: q for q in QUESTIONNAIRE["questions"]}

#: Meta columns each tool puts before the questions (as their exports name them).
META = {
    "nettskjema": ["$submission_id", "$created"],
    "microsoft_forms": ["ID", "Start time", "Completion time", "Email", "Name"],
    "google_forms": ["Timestamp", "Email Address"],
    "surveyxact": ["respondentid", "statoverall_4", "closetime"],
    "questback": ["Respondent ID", "Start date", "End date"],
    "qualtrics": ["Start Date", "End Date", "IP Address", "Response ID", "Recorded Date"],
}


def _raw(columns: dict[str, list]) -> RawExport:
    frame = pd.DataFrame(columns, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return RawExport(frame, Path("x.csv"))


def _standard_export(lang: str, dialect: str) -> RawExport:
    columns: dict[str, list] = {name: ["1", "2"] for name in META[dialect]}
    for question in QUESTIONS.values():
        columns[question["text"][lang]] = ["", ""]
    return _raw(columns)


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
@pytest.mark.parametrize("dialect", list(META))
def test_standard_questionnaire_maps_in_every_language_and_tool(lang: str, dialect: str) -> None:
    raw = _standard_export(lang, dialect)
    mapping = detect_mapping(raw)
    assert mapping.name == dialect
    mapped = apply_mapping(raw, mapping)
    targets = {item["target"] for item in mapped.columns}
    assert set(QUESTIONS) <= targets
    assert mapped.unmapped == [item for item in mapped.unmapped if item["column"] in META[dialect]]


def test_every_shipped_mapping_loads() -> None:
    names = available_mappings()
    assert set(DIALECTS) <= set(names)
    for name in names:
        assert load_mapping(name).name == name


def test_headers_with_numbering_and_cut_short_map() -> None:
    en = QUESTIONS["mode_summer"]["text"]["en"]
    nb = QUESTIONS["distance_km"]["text"]["nb"]
    raw = _raw({f"3. {en}": ["Bus"], nb[:30] + "...": ["3"]})
    mapped = apply_mapping(raw, load_mapping("standard"))
    assert {item["target"] for item in mapped.columns} == {"mode_summer", "distance_km"}


def test_one_column_per_option_becomes_a_multi_select() -> None:
    question = QUESTIONS["barriers"]["text"]["nn"]
    labels = QUESTIONS["barriers"]["options"]
    raw = _raw({
        f"{question} [{labels['too_far']['nn']}]": ["1", "0", None],
        f"{question} [{labels['darkness']['nn']}]": ["1", "1", None],
        QUESTIONS["mode_summer"]["text"]["nn"]: ["Buss", "Går", "Går"],
    })
    mapped = apply_mapping(raw, load_mapping("google_forms"))
    assert mapped.frame["barriers"].tolist()[:2] == ["too_far;darkness", "darkness"]
    assert pd.isna(mapped.frame["barriers"].iloc[2])


def test_grid_gives_main_mode_with_tie_rule_and_days() -> None:
    mapping = mapping_from_dict({
        "name": "grid", "standard_questions": False,
        "columns": [{"pattern": r"^Days by mode \[(?P<option>.+)\]$", "target": "mode_grid",
                     "options": {"drive": "car_alone", "bike": "bike", "bus": "bus"}}],
    })
    raw = _raw({"Days by mode [drive]": ["3", "2", "0", None],
                "Days by mode [bike]": ["2", "2", "0", None],
                "Days by mode [bus]": ["0", "1", "0", None]})
    mapped = apply_mapping(raw, mapping)
    frame = mapped.frame
    # Row 1: most days by car. Row 2: car and bike tie at 2 -> car (tie rule). Row 3/4: no mode.
    assert frame["mode_summer"].tolist()[:2] == ["car_alone", "car_alone"]
    assert frame["mode_summer"].iloc[2:].isna().all()
    assert frame["mode_winter"].tolist()[:2] == frame["mode_summer"].tolist()[:2]
    assert frame["days_on_site"].tolist()[:3] == ["5", "5", "0"]
    assert frame.attrs["grid_tie"].tolist() == [False, True, False, False]


def test_canonical_table_is_recognised() -> None:
    raw = _raw({"respondent_id": ["a"], "mode_summer": ["bus"], "distance_km": ["3.0"], "source_row": ["1"]})
    mapping = detect_mapping(raw)
    assert mapping.name == "canonical"
    mapped = apply_mapping(raw, mapping)
    assert list(mapped.frame.columns) == ["mode_summer", "distance_km"]
    assert mapped.id_column == "respondent_id"


def test_suggestions_from_question_text_and_values() -> None:
    raw = _raw({
        "How do you get to the office?": ["Drove alone", "Bus", "Walk", "Bus"],
        "One-way distance in km": ["3", "12", "0.5", "7"],
        "Hvor gammel er du": ["30–44 år", "Under 30 år", "30–44 år", "60 år eller eldre"],
        "Favourite colour": ["blue", "red", "green", "blue"],
    })
    suggestions = {s.column: s for s in suggest_mapping(raw)}
    assert suggestions["How do you get to the office?"].target == "mode"
    assert suggestions["One-way distance in km"].target == "distance_km"
    assert suggestions["Hvor gammel er du"].target == "age_band"
    assert "Favourite colour" not in suggestions
    # Example answers are shown only when at least k=5 people gave them.
    assert suggestions["One-way distance in km"].sample_values == ()
    repeated = _raw({"Distance in km": ["3"] * 5 + ["12"] * 4})
    assert suggest_mapping(repeated)[0].sample_values == ("3",)
    assert all(0 <= s.confidence <= 1 for s in suggestions.values())


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    mapping = mapping_from_dict({
        "name": "mine", "columns": [
            {"header": "Reisemiddel", "target": "mode", "values": {"Bil": "car_alone", "Beina": "walk"}},
            {"header": "Avstand", "target": "distance_km", "unit": "mil"},
        ]})
    path = save_mapping(mapping, tmp_path / "mine.yaml")
    again = load_mapping(path)
    assert again.as_dict() == mapping.as_dict()


@pytest.mark.parametrize(
    ("data", "words"),
    [({"columns": []}, "name"), ({"name": "x", "columns": [{"header": "a", "target": "colour"}]}, "unknown target"),
     ({"name": "x", "columns": [{"header": "a", "target": "mode", "values": {"Bil": "automobile"}}]}, "unknown code"),
     ({"name": "x", "columns": [{"target": "mode"}]}, "header"),
     ({"name": "x", "columns": [{"header": "a", "target": "distance_km", "unit": "furlongs"}]}, "unit")],
)
def test_bad_mapping_files_say_what_is_wrong(tmp_path: Path, data: dict, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert "bad.yaml" in str(caught.value)
    assert words in str(caught.value)


def test_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(GronturError, match="nettskjema"):
        load_mapping("surveymonkey")


def test_numeric_answer_codes_of_surveyxact_mean_option_positions() -> None:
    from grontur.clean import clean

    options = list(QUESTIONS["mode_summer"]["options"])
    raw = _raw({"respondentid": ["1", "2"], "statoverall_4": ["1", "1"],
                "q_mode_summer": [str(options.index("car_alone") + 1), str(options.index("walk") + 1)],
                "q_shift_work": ["1", "2"], "q_distance": ["12", "3"]})
    mapping = detect_mapping(raw)
    assert mapping.name == "surveyxact" and mapping.option_numbers
    result = clean(apply_mapping(raw, mapping))
    assert result.table["mode_summer"].tolist() == ["car_alone", "walk"]
    assert result.table["shift_work"].tolist() == [True, False]
    assert result.table["distance_km"].tolist() == [12.0, 3.0]


def test_answer_vocabulary_uses_only_canonical_codes() -> None:
    from grontur.mapping import _VOCABULARY, answers_vocabulary
    from grontur.schema import COLUMNS

    vocabulary = answers_vocabulary()
    for target, key in _VOCABULARY.items():
        # would_consider shares the mode vocabulary; value_map keeps only its own codes
        column = "mode_summer" if target in ("mode", "would_consider") else target
        kind, codes = COLUMNS[column]
        allowed = {"true", "false"} if kind == "bool" else set(codes)
        assert {str(code) for code in vocabulary[key]} <= allowed, (key, set(map(str, vocabulary[key])) - allowed)
        assert all(isinstance(code, str) for code in vocabulary[key]), key


def test_a_kommune_column_of_numbers_maps_to_municipality(tmp_path):
    from grontur.importing import import_survey

    path = tmp_path / "kommune.csv"
    path.write_text("Kommune,Avstand til jobb (km),Korleis reiser du vanlegvis til jobb om sommarhalvåret?\n"
                    "3324,5,Går\n3041,12,\"Bil, åleine\"\n3328,3,Syklar\n", encoding="utf-8")
    result = import_survey(path)
    assert result.table["municipality"].tolist() == ["3324", "3324", "3328"]  # 3041 is Gol's 2020 number
    assert result.table["distance_km"].tolist() == [5.0, 12.0, 3.0]


@pytest.mark.parametrize(("answer", "code"), [("Car (shared / passenger)", "car_passenger"),
                                              ("Electric car (shared / passenger)", "car_passenger"),
                                              ("Electric car (alone)", "car_alone")])
def test_merged_car_answers_of_real_exports_are_known(answer: str, code: str) -> None:
    # Seen in a real staff travel export (9 % of its answers were left uncoded before).
    assert value_map("mode_summer").get(norm(answer)) == code


def test_answers_the_cleaner_reads_as_numbers_count_as_numbers_for_suggestions() -> None:
    # Time bands and qualified numbers are numbers to the cleaner, so they support a suggestion.
    from grontur.importing import AUTO_ACCEPT

    raw = _raw({"How long does it typically take you to travel to work?":
                ["41-50 minutes", "11-20 minutes", "ca. 15", "Over 60 minutes", "5"] * 2})
    (suggestion,) = suggest_mapping(raw)
    assert suggestion.target == "travel_time_min"
    assert suggestion.confidence >= AUTO_ACCEPT
