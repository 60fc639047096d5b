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
        meta = ["2024-10-01 08:00:00", "2024-10-01 08:05:00", "IP Address", "198.51.100.7", "100", "300", "True",
                "2024-10-01 08:05:01", f"R_{n:05d}", "anonymous", "EN"]
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
