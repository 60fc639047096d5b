"""Real exports in shapes nobody here wrote: each is read right or refused, never a silent wrong number.

Every file is made here, small, in the shape of an export that went wrong: an Excel time-of-day
cell, negative missing-value codes, answers that differ only in unmapped questions, Qualtrics
completion columns and row rules, a UTF-8 file with one Windows-1252 line, an export with a few
canonical-looking column names, and a mapping with a code that does not exist.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

import grontur.mapping as mapping_module
from grontur.errors import ConfigError
from grontur.i18n import t
from grontur.importing import import_survey
from grontur.io import read_export
from grontur.mapping import load_mapping, mapping_from_dict, norm, value_map
from grontur.resources import standard_questionnaire

QUESTIONS = {q["column"]: q for q in standard_questionnaire()["questions"]}


def _q(column: str) -> str:
    return str(QUESTIONS[column]["text"]["en"])


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grontur", *args], check=False, capture_output=True, text=True,
                          cwd=cwd, timeout=300)


# --- Excel time-of-day cells ------------------------------------------------------------------

def _arrival_times_xlsx(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Responses"
    sheet.append([_q("mode_summer"), _q("distance_km"), "What time do you usually arrive at work?",
                  "How long is your trip (h:mm)?"])
    for mode, km, arrival, trip in (("Bus", 5, datetime.time(8, 30), datetime.time(0, 25)),
                                    ("Walk", 1, datetime.time(7, 45), datetime.time(0, 12)),
                                    ("Bicycle", 3, datetime.time(9, 0, 15), datetime.time(1, 5))):
        sheet.append([mode, km, arrival, trip])
    path = tmp_path / "arrival.xlsx"
    book.save(path)
    return path


def test_an_excel_time_of_day_cell_is_read_as_a_clock_time(tmp_path: Path) -> None:
    raw = read_export(_arrival_times_xlsx(tmp_path))
    assert raw.frame["What time do you usually arrive at work?"].tolist() == ["08:30", "07:45", "09:00:15"]


def test_import_runs_on_an_export_with_time_cells(tmp_path: Path) -> None:
    path = _arrival_times_xlsx(tmp_path)
    imported = _run("import", str(path), "--out", str(tmp_path / "imp"), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Traceback" not in imported.stderr
    cleaned = pd.read_csv(tmp_path / "imp" / "cleaned.csv")
    assert cleaned["mode_summer"].tolist() == ["bus", "walk", "bike"]


def test_a_clock_time_is_a_duration_only_in_a_travel_time_column(tmp_path: Path) -> None:
    mapping = mapping_from_dict({"name": "times", "standard_questions": False, "columns": [
        {"target": "mode_summer", "header": _q("mode_summer")},
        {"target": "distance_km", "header": "What time do you usually arrive at work?"},
        {"target": "travel_time_min", "header": "How long is your trip (h:mm)?"}]})
    result = import_survey(_arrival_times_xlsx(tmp_path), mapping=mapping, salt="s")
    assert result.table["travel_time_min"].tolist() == [25.0, 12.0, 65.0]
    assert result.table["distance_km"].isna().all()  # a time of day is no distance
    problems = result.issues[result.issues["column"] == "distance_km"]["problem"].tolist()
    assert problems == ["unreadable_number"] * 3


# --- negative codes for missing answers -------------------------------------------------------

def _coded_csv(tmp_path: Path) -> Path:
    path = tmp_path / "coded.csv"
    pd.DataFrame({"id": ["1", "2", "3", "4", "5"], "MODE": ["1", "-1", "2", "-2", "1"],
                  "DIST": ["4", "-1", "12", "-2", "7"]}).to_csv(path, index=False)
    return path


def test_minus_one_is_missing_when_the_mapping_says_so_and_never_code_one(tmp_path: Path) -> None:
    mapping = mapping_from_dict({"name": "trips", "id_columns": ["^id$"], "columns": [
        {"target": "mode", "header": "MODE", "values": {"1": "car_alone", "2": "bus", "-1": "", "-2": ""}},
        {"target": "distance_km", "header": "DIST", "values": {"-1": "", "-2": ""}}]})
    result = import_survey(_coded_csv(tmp_path), mapping=mapping, salt="s")
    table = result.table.set_index("source_row")
    assert table.loc[[1, 3, 5], "mode_summer"].tolist() == ["car_alone", "bus", "car_alone"]
    # rows 2 and 4 answered -1 / -2 everywhere: nothing usable, never "car_alone"
    assert set(result.quarantine["source_row"]) == {2, 4}
    missing = result.issues[result.issues["problem"] == "missing_code"]
    assert sorted(zip(missing["source_row"], missing["column"])) == [
        (2, "distance_km"), (2, "mode_summer"), (2, "mode_winter"),
        (4, "distance_km"), (4, "mode_summer"), (4, "mode_winter")]


def test_a_negative_code_never_matches_an_option_number() -> None:
    # Qualtrics numeric exports: "1" is the first option (walk); "-1" is no option at all.
    codes = value_map("mode_summer", option_numbers=True)
    assert codes.get("1") == "walk"
    assert norm("-1") not in codes
    assert norm("−1") == "-1"  # a typographic minus is a minus too


# --- duplicates -------------------------------------------------------------------------------

def _copies_csv(tmp_path: Path) -> Path:
    base = {_q("mode_summer"): "Bus", _q("mode_winter"): "Bus", _q("distance_km"): "5",
            _q("job_group"): "School", _q("age_band"): "30–44"}
    rows = [
        {"Timestamp": "2025-03-03 10:00:00", **base, "Gender": "F", "Unmapped week grid": "Mon,Tue"},
        # row 2: same mapped answers a minute later, another person (differs in two unmapped questions)
        {"Timestamp": "2025-03-03 10:01:00", **base, "Gender": "M", "Unmapped week grid": "Wed"},
        # row 3: a true copy of row 1, thirty seconds later
        {"Timestamp": "2025-03-03 10:00:30", **base, "Gender": "F", "Unmapped week grid": "Mon,Tue"},
        # rows 4, 5: identical but only two answers: two people may well say the same
        {"Timestamp": "2025-03-03 11:00:00", _q("mode_summer"): "Walk", _q("distance_km"): "1"},
        {"Timestamp": "2025-03-03 11:00:10", _q("mode_summer"): "Walk", _q("distance_km"): "1"},
    ]
    path = tmp_path / "copies.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_duplicate_is_identical_in_every_answered_column_and_names_its_pair(tmp_path: Path) -> None:
    result = import_survey(_copies_csv(tmp_path), salt="s")
    assert result.quarantine.to_dict("records") == [
        {"source_row": 3, "reason": "duplicate_submission", "copy_of": 1}]
    assert result.table["source_row"].tolist() == [1, 2, 4, 5]
    pair = result.issues[result.issues["problem"] == "duplicate_submission"]
    assert pair[["source_row", "raw_value"]].values.tolist() == [[3, "row 1"]]
    assert not (result.issues["problem"] == "identical_answers").any()


# --- row rules and completion rules -----------------------------------------------------------

QUALTRICS_META = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId"]
QUALTRICS_TEXT = ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)", "Finished",
                  "Recorded Date", "Response ID"]


def _qualtrics_csv(tmp_path: Path) -> Path:
    header = [*QUALTRICS_META, "Q1", "Q2", "Q3", "Q9"]
    texts = [*QUALTRICS_TEXT, _q("mode_summer"), _q("mode_winter"), _q("distance_km"), "Do you agree to take part?"]
    ids = ['{"ImportId":"' + name + '"}' for name in header]
    rows = [
        ["IP Address", "100", "1", "True", "R_1", "Bus", "Bus", "5", "Yes"],
        ["IP Address", "40", "0", "False", "R_2", "Walk", "", "", "Yes"],      # unfinished
        ["Spam", "100", "1", "True", "R_3", "Car, alone", "Car, alone", "9", "Yes"],   # spam
        ["Survey Preview", "100", "1", "True", "R_4", "Bus", "Bus", "3", "Yes"],  # preview
        ["IP Address", "100", "1", "True", "R_5", "Walk", "Walk", "1", "No"],    # user's drop_rows
        ["IP Address", "90", "1", "True", "R_6", "Train", "Bus", "30", "Yes"],   # Progress < 100
        ["IP Address", "100", "1", "True", "R_7", "E-bike", "Bus", "8", "Yes"],
    ]
    body = []
    for n, (status, progress, _x, finished, rid, *answers) in enumerate(rows, start=1):
        stamp = f"2025-03-0{n} 10:00:00"
        body.append([stamp, stamp, status, progress, str(60 * n), finished, stamp, rid, *answers])
    path = tmp_path / "qualtrics.csv"
    pd.DataFrame([texts, ids, *body], columns=header).to_csv(path, index=False)
    return path


def test_qualtrics_completion_columns_set_rows_aside_by_reason(tmp_path: Path) -> None:
    result = import_survey(_qualtrics_csv(tmp_path), salt="s")
    reasons = dict(zip(result.quarantine["source_row"], result.quarantine["reason"]))
    assert reasons == {2: "unfinished", 3: "spam", 4: "preview", 6: "unfinished"}
    assert result.account == {"input_rows": 7, "kept": 3, "quarantined": 4}
    counted = result.issues[result.issues["action"] == "quarantined_by_row_rule"]
    assert counted["problem"].value_counts().to_dict() == {"unfinished": 2, "spam": 1, "preview": 1}
    assert "completion_rules: Status in Spam, 8" in counted["raw_value"].tolist()
    summary = "\n".join(result.summary("en"))
    assert "unfinished 2" in summary and "spam 1" in summary and "preview 1" in summary


def test_surveyxact_unfinished_responses_are_set_aside_by_its_completion_column(tmp_path: Path) -> None:
    """SurveyXact: statoverall_4 is 1 for a completed response and 0 otherwise."""
    options = list(QUESTIONS["mode_summer"]["options"])
    path = tmp_path / "surveyxact.csv"
    pd.DataFrame({"respondentid": ["11", "12", "13", "14"], "statoverall_4": ["1", "0", "1", "0"],
                  "closetime": ["2025-03-03 10:00"] * 4,
                  "q_mode_summer": [str(options.index(mode) + 1) for mode in ("bus", "car_alone", "walk", "bike")],
                  "q_distance": ["5", "12", "1", "3"]}).to_csv(path, index=False)
    result = import_survey(path, salt="s")
    assert result.mapping_report["dialect"] == "surveyxact"
    assert dict(zip(result.quarantine["source_row"], result.quarantine["reason"])) == {2: "unfinished", 4: "unfinished"}
    assert result.table["mode_summer"].tolist() == ["bus", "walk"]
    assert "unfinished 2" in "\n".join(result.summary("en"))


def test_a_mapping_drops_and_keeps_rows_by_rule(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(yaml.safe_dump({
        "name": "consent", "standard_questions": True, "id_columns": ["^response id$"],
        "drop_rows": [{"column": "Do you agree to take part?", "operator": "==", "values": ["No"]}],
        "keep_rows": [{"column": "Duration (in seconds)", "operator": ">=", "values": [120], "reason": "unfinished"}],
    }), encoding="utf-8")
    result = import_survey(_qualtrics_csv(tmp_path), mapping=mapping, salt="s")
    reasons = dict(zip(result.quarantine["source_row"], result.quarantine["reason"]))
    # the detected dialect's completion rules still apply; row 1 ran 60 seconds, row 5 said No
    assert reasons == {1: "unfinished", 2: "unfinished", 3: "spam", 4: "preview", 5: "excluded_by_filter",
                       6: "unfinished"}
    assert result.table["source_row"].tolist() == [7]


def test_a_row_rule_on_a_column_the_export_lacks_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(yaml.safe_dump({"name": "x", "drop_rows": [
        {"column": "Consent", "operator": "==", "values": ["No"]}]}), encoding="utf-8")
    done = _run("import", str(_qualtrics_csv(tmp_path)), "--mapping", str(mapping), "--out", str(tmp_path / "o"),
                cwd=tmp_path)
    assert done.returncode == 2
    assert "map.yaml" in done.stderr and "'Consent'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("operator", "values", "expected"), [
    ("==", ["1"], [True, False, False, False]),
    ("!=", ["1"], [False, True, True, True]),
    ("in", ["1", "yes"], [True, False, True, False]),
    ("not_in", ["1", "yes"], [False, True, False, True]),
    ("<", ["2"], [True, False, False, False]),
    ("<=", ["2.5"], [True, True, False, False]),
    (">", ["1"], [False, True, False, False]),
    (">=", ["1,0"], [True, True, False, False]),
    ("empty", [], [False, False, False, True]),
    ("not_empty", [], [True, True, True, False]),
])
def test_row_rule_operators(operator: str, values: list[str], expected: list[bool]) -> None:
    series = pd.Series(["1.0", "2,5", "Yes", None], dtype=object)
    rule = mapping_module.RowRule(column="c", operator=operator, values=tuple(values))
    assert mapping_module.row_rule_matches(series, rule).tolist() == expected


def test_the_report_names_rows_set_aside_by_reason() -> None:
    for lang in ("nn", "nb", "en"):
        for reason in ("unfinished", "spam", "preview", "excluded_by_filter"):
            text = t(f"report.quarantine.{reason}", lang, n="147")
            assert "147" in text and text != f"report.quarantine.{reason}"
    assert t("report.quarantine.unfinished", "en", n="147") == "147 were unfinished"


def test_a_bad_row_rule_is_refused_with_its_position() -> None:
    with pytest.raises(ConfigError, match="drop_rows rule 1 has the unknown operator 'like'"):
        mapping_from_dict({"name": "x", "drop_rows": [{"column": "Status", "operator": "like", "values": ["a"]}]})


# --- encodings --------------------------------------------------------------------------------

def test_one_windows_1252_line_in_a_utf8_file_is_decoded_right(tmp_path: Path) -> None:
    text = f"Workplace,{_q('mode_summer')},{_q('distance_km')}\n" + "Gol rådhus,Bus,5\n" * 6
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8") + "Gol rådhus,Walk,2\n".encode("cp1252"))
    raw = read_export(path)
    assert raw.frame["Workplace"].tolist() == ["Gol rådhus"] * 7
    assert raw.encoding == "utf-8 (cp1252 on line 8)"
    result = import_survey(path, salt="s")
    assert result.table["workplace"].tolist() == ["Gol rådhus"] * 7
    assert result.mapping_report["encoding"] == "utf-8 (cp1252 on line 8)"


# --- canonical-looking columns ----------------------------------------------------------------

def test_a_few_canonical_names_do_not_make_an_export_canonical(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    pd.DataFrame({"respondent_id": ["a", "b"], "mode_summer": ["Bus", "Walk"], "home_postcode": ["3550", "3570"],
                  _q("distance_km"): ["5", "2"], _q("job_group"): ["School", "Kindergarten"]}).to_csv(path, index=False)
    result = import_survey(path, salt="s")
    assert result.mapping_report["dialect"] != "canonical"
    assert result.table["distance_km"].tolist() == [5.0, 2.0]
    assert result.table["job_group"].tolist() == ["school", "kindergarten"]


def test_a_canonical_table_is_still_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.csv"
    pd.DataFrame({"respondent_id": ["0123456789abcdef", "fedcba9876543210"], "mode_summer": ["bus", "walk"],
                  "distance_km": ["5", "2"], "source_row": [1, 2]}).to_csv(path, index=False)
    assert import_survey(path, salt="s").mapping_report["dialect"] == "canonical"


# --- mapping codes ----------------------------------------------------------------------------

def test_a_mapping_code_outside_the_vocabulary_is_refused_with_the_valid_codes(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(yaml.safe_dump({"name": "bad", "columns": [
        {"target": "would_consider", "header": "Would you consider?", "values": {"car": "car_alone"}}]}),
        encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(mapping)
    message = str(caught.value)
    assert str(mapping) in message and "'car'" in message and "'car_alone'" in message
    assert "walk, bike, ebike, bus, train, car_shared, remote" in message


def test_the_shipped_salisbury_example_maps_would_consider_to_real_codes() -> None:
    from grontur.schema import COLUMNS

    rule = next(r for r in load_mapping("example_salisbury_googleforms").columns if r.target == "would_consider")
    allowed = set(COLUMNS["would_consider"][1] or ())
    assert {code for code in rule.values.values() if code} <= allowed
    assert rule.values["car"] == ""  # driving is no alternative to driving


def test_would_consider_never_codes_driving_alone() -> None:
    assert "car_alone" not in set(value_map("would_consider").values())


# --- generated reference ----------------------------------------------------------------------

def test_docs_codes_md_is_the_generated_text() -> None:
    from grontur._docs import codes_markdown

    committed = (Path(__file__).resolve().parents[1] / "docs" / "codes.md").read_text(encoding="utf-8")
    assert committed == codes_markdown(), "docs/codes.md is out of date: run python -m grontur._docs"
    assert "| `car_shared` | Samkøyring | Samkjøring | Car sharing with colleagues |" in committed


def test_user_docs_stand_on_their_own() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for word in ("DESIGN.md", "DOMAIN.md", "../shared"):
            assert word not in text, f"{path.name} refers to {word}, which users do not have"


def test_every_example_in_docs_mapping_md_is_a_valid_mapping() -> None:
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "mapping.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 8
    for block in blocks:
        data = yaml.safe_load(block)
        if "name" not in data:  # a fragment of row rules
            data = {"name": "fragment", **data}
        mapping_from_dict(data, source="docs/mapping.md")
