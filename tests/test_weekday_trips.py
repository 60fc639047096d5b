"""Weekday grids, trip-level files and the guard on automatic mappings (issue 17, items 4, 5, 7).

Every export here is made by the test in the shape of a real one (never a copy of one).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from grontur.errors import ConfigError, MappingError
from grontur.importing import import_survey
from grontur.mapping import load_mapping

DATA = Path(__file__).parent / "data"
GRID_MAPPING = DATA / "mappings" / "qualtrics_weekday_grid.yaml"
TRIP_MAPPING = DATA / "mappings" / "trips.yaml"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GRID_TEXT = "How did you get to work on each day last week? - {day}"

# Qualtrics exports: question ids, question texts, import ids.
_META = [("StartDate", "Start Date"), ("EndDate", "End Date"), ("Status", "Response Type"), ("IPAddress", "IP Address"),
         ("Progress", "Progress"), ("Duration (in seconds)", "Duration (in seconds)"), ("Finished", "Finished"),
         ("RecordedDate", "Recorded Date"), ("ResponseId", "Response ID"), ("DistributionChannel", "Distribution Channel"),
         ("UserLanguage", "User Language")]


def write_qualtrics(path: Path, weeks: list[list[str]], *, miles: list[str] | None = None,
                    extra: dict[tuple[str, str], list[str]] | None = None) -> Path:
    """A Qualtrics choice-text export: three header rows, completion columns, a Monday-Sunday grid."""
    ids = [m[0] for m in _META] + [f"Q5_{i}" for i in range(1, 8)] + ["Q6", "Q7"]
    texts = [m[1] for m in _META] + [GRID_TEXT.format(day=d) for d in DAYS] + [
        "How many miles is your commute, one way?", "What is your home ZIP code?"]
    for key in (extra or {}):
        ids.append(key[0])
        texts.append(key[1])
    rows = []
    for n, week in enumerate(weeks):
        day = f"2024-{10 + n // 28}-{1 + n % 28:02d}"  # one response a day: no double submissions
        meta = [f"{day} 08:00:00", f"{day} 08:05:00", "IP Address", "198.51.100.7", "100", "300", "True",
                f"{day} 08:05:01", f"R_{n:05d}", "anonymous", "EN"]
        distance = (miles or ["4"] * len(weeks))[n]
        row = meta + list(week) + [distance, "98101"]
        for values in (extra or {}).values():
            row.append(values[n])
        rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ids)
        writer.writerow(texts)
        writer.writerow([json.dumps({"ImportId": i}) for i in ids])
        writer.writerows(rows)
    return path


def _week(*days: str) -> list[str]:
    return list(days) + [""] * (7 - len(days))


# --------------------------------------------------------------------------- item 4: weekday grids

def test_weekday_grid_gives_main_mode_days_on_site_and_remote_days(tmp_path: Path) -> None:
    weeks = [
        _week("Drove alone", "Drove alone", "Bus", "Worked from home", "Drove alone", "Did not work", "Did not work"),
        _week("Bicycled", "Worked from home", "Worked from home", "Bicycled", "Walked"),
        _week("Worked from home", "Worked from home", "Worked from home", "Worked from home", "Worked from home"),
        _week(),  # answered no day: no mode, days unknown (missing, never 0)
    ]
    path = write_qualtrics(tmp_path / "grid.csv", weeks, miles=["10", "2", "5", "3"])
    result = import_survey(path, mapping=GRID_MAPPING, salt="s")
    table = result.table.set_index("source_row")
    assert table.loc[1, "mode_summer"] == "car_alone" and table.loc[1, "mode_winter"] == "car_alone"
    assert table.loc[1, "days_on_site"] == 4 and table.loc[1, "remote_days"] == 1
    assert table.loc[2, "mode_summer"] == "bike"
    assert table.loc[2, "days_on_site"] == 3 and table.loc[2, "remote_days"] == 2
    assert table.loc[3, "mode_summer"] == "remote"
    assert table.loc[3, "days_on_site"] == 0 and table.loc[3, "remote_days"] == 5
    assert pd.isna(table.loc[4, "mode_summer"]) and pd.isna(table.loc[4, "days_on_site"])
    assert table.loc[1, "distance_km"] == pytest.approx(16.09, abs=0.01)
    # every grid column is used, none is left as an unknown question
    assert not [c for c in result.mapping_report["unmapped"] if c["column"].startswith("How did you get")]


@pytest.mark.parametrize(("first", "second"), [("Drove alone", "Bicycled"), ("Bicycled", "Drove alone"),
                                               ("Bus", "Walked"), ("Walked", "Bus")])
def test_weekday_grid_ties_go_to_the_earliest_day_whatever_the_mode(tmp_path: Path, first: str, second: str) -> None:
    """Two days each: the mode of Monday wins, whichever mode it is, and the tie is in quality.csv."""
    path = write_qualtrics(tmp_path / "tie.csv", [_week(first, second, first, second)])
    result = import_survey(path, mapping=GRID_MAPPING, salt="s")
    codes = load_mapping(GRID_MAPPING).weekday_grids[0].values
    assert result.table["mode_summer"].iloc[0] == codes[first]
    ties = result.issues[result.issues["problem"] == "grid_tie"]
    assert ties["source_row"].tolist() == [1]


def test_weekday_grid_unknown_day_answer_is_not_counted_and_reported(tmp_path: Path) -> None:
    path = write_qualtrics(tmp_path / "unknown.csv", [_week("Hovercraft", "Bus", "Bus")])
    result = import_survey(path, mapping=GRID_MAPPING, salt="s")
    assert result.table["days_on_site"].iloc[0] == 2
    unknown = result.issues[result.issues["problem"] == "unknown_answer"]
    assert unknown["action"].tolist() == ["day_not_counted"]


def test_a_day_coded_off_is_neither_counted_nor_an_unknown_answer(tmp_path: Path) -> None:
    """'Did not work: off' in the mapping: those days are known answers, not quality problems."""
    path = write_qualtrics(tmp_path / "off.csv", [_week("Bus", "Bus", "Did not work", "Bus", "Did not work")])
    result = import_survey(path, mapping=GRID_MAPPING, salt="s")
    assert result.table["days_on_site"].iloc[0] == 3 and result.table["remote_days"].iloc[0] == 0
    assert not (result.issues["problem"] == "unknown_answer").any()
    note = next(n for n in result.mapping_report["notes"] if n["note"] == "weekday_grid")
    assert note["unknown"] == 0


def test_weekday_grid_with_a_wrong_code_or_column_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nweekday_grid:\n  days: {monday: Q5_1}\n  values: {Drove alone: car}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown code 'car'"):
        load_mapping(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text("name: x\nweekday_grid:\n  days: {monday: Q9_1}\n", encoding="utf-8")
    path = write_qualtrics(tmp_path / "grid.csv", [_week("Bus")])
    with pytest.raises(ConfigError, match="Q9_1"):
        import_survey(path, mapping=missing, salt="s")


# --------------------------------------------------------------------------- item 5: trip-level files

TRIP_HEADER = ["PERSID", "TRIPNO", "PURPOSE", "MODE", "TRIPKM"]
# purpose 1 = to work, 2 = from work, 3 = shopping, 4 = leisure; mode 1 walk, 2 bike, 3 bus, 4 car, 5 passenger
TRIPS = [
    ["101", "1", "1", "4", "12"], ["101", "2", "3", "4", "3"], ["101", "3", "2", "4", "14"],   # car to and from work
    ["102", "1", "3", "4", "8"], ["102", "2", "1", "2", "5"], ["102", "3", "2", "3", "6"],    # bike vs bus: a tie
    ["103", "1", "4", "4", "30"], ["103", "2", "4", "4", "30"],                               # no work trip
    ["104", "1", "1", "3", "9"], ["104", "2", "1", "3", "11"], ["104", "3", "2", "4", "10"],  # bus 2, car 1
    ["105", "1", "1", "1", "1.5"], ["105", "2", "2", "1", "1.2"],
    ["106", "1", "2", "2", "4"], ["106", "2", "1", "2", "4.5"],
    ["107", "1", "1", "4", "20"], ["107", "2", "2", "4", "21"],
]


def _trip_file(path: Path, rows: list[list[str]] = TRIPS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRIP_HEADER)
        writer.writerows(rows)
    return path


def test_trip_file_gives_one_row_per_person_from_the_work_trips(tmp_path: Path) -> None:
    result = import_survey(_trip_file(tmp_path / "trips.csv"), mapping=TRIP_MAPPING, salt="s")
    table = result.table
    assert len(table) == 6 and result.quarantine.empty  # 7 people, one without a work trip
    by_first_trip = table.set_index("source_row")
    # rows are named by each person's first work trip
    assert by_first_trip.loc[1, "mode_summer"] == "car_alone"
    assert by_first_trip.loc[1, "distance_km"] == 14  # the longest work trip, not the shopping trip
    assert by_first_trip.loc[5, "mode_summer"] == "bike"  # tie bike/bus: the earliest work trip's mode
    assert by_first_trip.loc[5, "distance_km"] == 6
    assert by_first_trip.loc[9, "mode_summer"] == "bus"
    assert table["respondent_id"].nunique() == 6
    note = next(n for n in result.mapping_report["notes"] if n["note"] == "trips")
    assert (note["trips"], note["work_trips"], note["persons"], note["persons_without_work_trip"]) == (17, 13, 6, 1)
    assert result.issues[result.issues["problem"] == "trip_tie"]["source_row"].tolist() == [5]


def test_trip_tie_rule_does_not_favour_a_mode(tmp_path: Path) -> None:
    """Bus first then bike gives bus; bike first then bus gives bike."""
    rows = [["1", "1", "1", "3", "5"], ["1", "2", "2", "2", "5"], ["2", "1", "1", "2", "5"], ["2", "2", "2", "3", "5"]]
    result = import_survey(_trip_file(tmp_path / "t.csv", rows), mapping=TRIP_MAPPING, salt="s")
    assert result.table.sort_values("source_row")["mode_summer"].tolist() == ["bus", "bike"]


def test_a_trip_with_a_missing_code_does_not_count_as_a_mode(tmp_path: Path) -> None:
    """MODE -1 (missing) on one work trip and walk on the other: the person walks, no tie; a
    person whose work trips are all -1 / -2 has no mode, counted as missing_code, never a mode."""
    rows = [["1", "1", "1", "-1", "3"], ["1", "2", "2", "1", "3"],
            ["2", "1", "1", "-1", "7"], ["2", "2", "2", "-2", "7"],
            ["3", "1", "1", "4", "9"], ["3", "2", "2", "4", "9"]]
    result = import_survey(_trip_file(tmp_path / "t.csv", rows), mapping=TRIP_MAPPING, salt="s")
    table = result.table.set_index("source_row")
    assert table.loc[1, "mode_summer"] == "walk" and table.loc[5, "mode_summer"] == "car_alone"
    assert pd.isna(table.loc[3, "mode_summer"]) and table.loc[3, "distance_km"] == 7
    assert not (result.issues["problem"].isin(["trip_tie", "unknown_answer"])).any()
    missing = result.issues[result.issues["problem"] == "missing_code"]
    assert sorted(zip(missing["source_row"], missing["column"])) == [(3, "mode_summer"), (3, "mode_winter")]


def test_trip_file_without_unit_trip_is_refused_naming_the_id_column(tmp_path: Path) -> None:
    mapping = tmp_path / "flat.yaml"
    mapping.write_text(TRIP_MAPPING.read_text(encoding="utf-8").replace("unit: trip\nperson_id: PERSID\n", "id_columns: ['^persid$']\n")
                       .replace("purpose:\n  column: PURPOSE\n  work_values: [\"1\", \"2\"]     # 1 = to work, 2 = from work\n", ""),
                       encoding="utf-8")
    with pytest.raises(MappingError, match=r"7 of 7 ids in the column 'PERSID'.*unit: trip"):
        import_survey(_trip_file(tmp_path / "trips.csv"), mapping=mapping, salt="s")


def test_trip_file_refusal_exits_2_on_the_command_line(tmp_path: Path) -> None:
    mapping = tmp_path / "flat.yaml"
    mapping.write_text("name: flat\nid_columns: ['^persid$']\nstandard_questions: false\ncolumns:\n"
                       "  - {target: mode, header: MODE, values: {'1': walk, '2': bike, '3': bus, '4': car_alone}}\n",
                       encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grontur", "import", str(_trip_file(tmp_path / "trips.csv")),
                           "--mapping", str(mapping), "--out", str(tmp_path / "out"), "--salt", "s"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "PERSID" in done.stderr and "7 of 7 ids" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_few_double_submissions_are_still_quarantined_not_refused(tmp_path: Path) -> None:
    """Two ids repeated with other answers (fewer than 5): double submissions, set aside as before."""
    rows = [[str(100 + i), "1", "1", "3", str(5 + i)] for i in range(20)]
    rows += [["100", "1", "1", "4", "9"], ["101", "1", "1", "4", "9"]]
    mapping = tmp_path / "flat.yaml"
    mapping.write_text("name: flat\nid_columns: ['^persid$']\nstandard_questions: false\ncolumns:\n"
                       "  - {target: mode, header: MODE, values: {'1': walk, '2': bike, '3': bus, '4': car_alone}}\n",
                       encoding="utf-8")
    result = import_survey(_trip_file(tmp_path / "few.csv", rows), mapping=mapping, salt="s")
    assert result.quarantine["reason"].tolist() == ["duplicate_id", "duplicate_id"]


@pytest.mark.parametrize("dtype", [object, "category"])
def test_repeated_ids_are_compared_without_surrounding_spaces_and_blank_ids_are_none(dtype: object) -> None:
    """Ten ids, each on two rows with other answers, written once with spaces around it: ten of
    ten ids repeat. Blank and missing ids, also on rows with other answers, are no id at all."""
    from types import SimpleNamespace

    from grontur.io import RawExport
    from grontur.trips import check_repeated_ids

    ids = [f" {i}" if i % 2 else f"{i}  " for i in range(10)] + [str(i) for i in range(10)] + ["", "  ", None] * 2
    index = pd.RangeIndex(1, len(ids) + 1, name="source_row")
    frame = pd.DataFrame({"id": pd.Series(ids, index=index, dtype=dtype),
                          "answer": pd.Series([str(n) for n in range(len(ids))], index=index, dtype=dtype)})
    mapped = SimpleNamespace(panel_column=None, id_column="id")
    with pytest.raises(MappingError, match=r"10 of 10 ids in the column 'id' .*\(20 rows\)"):
        check_repeated_ids(RawExport(frame, Path("ids.csv")), mapped)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- item 7: guard on automatic mapping

_DAILY = ["Car, alone", "Bus", "Bicycle", "Walk", "Worked from home", "Did not work", "Car, driving with others"]
_RANK = ("Q8", "Please rank these reasons for choosing your commute mode - Travel time")


def _sunday_export(path: Path, n: int = 40) -> Path:
    """Weekdays with labels grontur half knows, Sunday answered by a few with known labels only,
    no distance answered and a rank question: the shape that fooled the automatic mapping."""
    weeks = []
    for i in range(n):
        week = [_DAILY[(i + d) % len(_DAILY)] for d in range(5)] + ["Did not work"]
        week.append(["Car, alone", "Bus"][i % 2] if i < 8 else "")
        weeks.append(week)
    return write_qualtrics(path, weeks, miles=[""] * n, extra={_RANK: [str(i % 5 + 1) for i in range(n)]})


def test_several_mode_like_columns_are_refused_with_a_draft_mapping(tmp_path: Path) -> None:
    path = _sunday_export(tmp_path / "survey.csv")
    draft = tmp_path / "draft.yaml"
    done = subprocess.run([sys.executable, "-m", "grontur", "import", str(path), "--out", str(tmp_path / "out"),
                           "--save-mapping", str(draft), "--salt", "s"], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stdout
    assert "columns look like the main mode" in done.stderr and "- Sunday'" in done.stderr
    assert "weekday_grid" in done.stderr and str(draft) in done.stderr
    assert not (tmp_path / "out").exists()
    # the draft holds a weekday grid of the seven days; answers grontur does not know are left to fill
    written = load_draft(draft)
    grid = written["weekday_grid"][0]
    assert list(grid["days"]) == ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    assert grid["values"]["Car, alone"] == "car_alone" and grid["values"]["Did not work"] == ""
    # completed, it imports every row
    grid["values"].update({"Did not work": "off", "Worked from home": "remote"})
    written["columns"] = [rule for rule in written["columns"] if rule["target"] != "travel_time_min"]
    completed = tmp_path / "completed.yaml"
    completed.write_text(__import__("yaml").safe_dump(written, allow_unicode=True), encoding="utf-8")
    result = import_survey(path, mapping=completed, salt="s")
    assert result.account == {"input_rows": 40, "kept": 40, "quarantined": 0}
    assert "travel_time_min" not in result.table.columns


def load_draft(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_weak_mapping_without_save_mapping_says_how_to_write_a_draft(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="--save-mapping draft.yaml") as raised:
        import_survey(_sunday_export(tmp_path / "survey.csv"), salt="s")
    assert "What grontur found: " in str(raised.value) and "-> travel_time_min" in str(raised.value)


def test_a_guessed_mapping_that_sets_aside_most_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    modes = ["Car, alone", "Bus", "Walk", "Bicycle"] * 2 + [""] * 12
    pd.DataFrame({"Transport to the office": modes, "Favourite colour": ["Blue"] * 20}).to_csv(path, index=False)
    with pytest.raises(MappingError, match=r"would set aside 12 of 20 rows \(no_mode_or_distance 12\)"):
        import_survey(path, salt="s")
    # with a mapping the user wrote, the same rows are set aside as before (the user decided)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("name: m\ncolumns:\n  - {target: mode, header: Transport to the office}\n", encoding="utf-8")
    assert import_survey(path, mapping=mapping, salt="s").account["quarantined"] == 12


# --------------------------------------------------------------------------- export to report

def test_qualtrics_weekday_grid_export_goes_to_a_report_with_the_documented_mapping(tmp_path: Path) -> None:
    """40 people: 20 drive alone 3 days and work from home 2, 10 bus 5 days, 10 bike 4 days and walk 1."""
    weeks = ([_week("Drove alone", "Worked from home", "Drove alone", "Worked from home", "Drove alone",
                    "Did not work", "Did not work")] * 20
             + [_week("Bus", "Bus", "Bus", "Bus", "Bus", "Did not work", "Did not work")] * 10
             + [_week("Bicycled", "Bicycled", "Walked", "Bicycled", "Bicycled", "Did not work", "Did not work")] * 10)
    path = write_qualtrics(tmp_path / "export.csv", weeks, miles=[str(2 + i % 9) for i in range(40)])
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grontur", "analyse", str(path), "--mapping", str(GRID_MAPPING),
                           "--kommune", "Gol", "--lang", "en", "--format", "html", "--out", str(out)],
                          capture_output=True, text=True, check=False, env={**__import__("os").environ, "GRONTUR_SALT": "s"})
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["respondents"]["kept"] == 40
    assert results["mode_share"]["summer"]["car_alone"] == pytest.approx(0.5)
    assert results["mode_share"]["summer"]["bus"] == pytest.approx(0.25)
    assert results["mode_share"]["summer"]["bike"] == pytest.approx(0.25)
    assert results["habits"]["seasons_asked"] == 1
    assert results["habits"]["days_on_site"]["mean_reported"] == pytest.approx((20 * 3 + 10 * 5 + 10 * 5) / 40)
    assert results["emissions"]["tonnes_co2e_per_year"] > 0
    assert "The survey asked about one season" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("fixture", "name"), [(GRID_MAPPING, "downtown-commuters"), (TRIP_MAPPING, "travel-diary")])
def test_the_docs_show_the_tested_mappings(fixture: Path, name: str) -> None:
    """The examples in docs/ are the mapping files these tests run."""
    import re

    import yaml

    docs = Path(__file__).parent.parent / "docs"
    blocks = [block for doc in sorted(docs.glob("*.md"))
              for block in re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.DOTALL)
              if f"name: {name}\n" in block]
    assert len(blocks) == 1
    assert yaml.safe_load(blocks[0]) == yaml.safe_load(fixture.read_text(encoding="utf-8"))
