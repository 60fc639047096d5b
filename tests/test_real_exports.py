"""Two real exports nobody on the project wrote import with the example mappings shipped in
``surveys/mappings/``; the figures grontur reports are checked against the same figures computed
here directly from the raw files."""

from __future__ import annotations

import csv
import hashlib
import statistics
from pathlib import Path

import openpyxl
import pytest

from grontur.importing import import_survey

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
SALISBURY = REAL / "salisbury_md_commuter_survey_2025_googleforms.csv"
EXETER = REAL / "exeter_staff_travel_survey_2023.xlsx"
MILE = 1.609344


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent (real test data live in ../shared/data/real)")


# --- Salisbury: Google Forms CSV with a days-by-mode grid and miles ----------------------------

GRID = "How many days per week do you commute to downtown using each of the following means of transport? "
GRID_MODES = {"[alone in a gas-powered vehicle]": "car_alone", "[alone in an electric or hybrid vehicle]": "car_alone",
              "[in a vehicle with someone else (carpooling)]": "car_shared", "[a bicycle or scooter]": "bike",
              "[your feet (walking/running)]": "walk", "[public transportation]": "bus", "[other]": "other"}
TIE_ORDER = ["car_alone", "car_shared", "bike", "walk", "bus", "other"]


def _salisbury_by_hand() -> dict[str, float]:
    with SALISBURY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept, car_alone, with_mode, distances = 0, 0, 0, []
    for row in rows:
        days: dict[str, float] = {}
        for suffix, mode in GRID_MODES.items():
            days[mode] = days.get(mode, 0.0) + float(row[GRID + suffix] or 0)
        top = max(days.values())
        mode = next(m for m in TIE_ORDER if days[m] == top) if top > 0 else None
        miles = row["How many miles is your commute (one-way)?"].strip()
        km = float(miles) * MILE if miles else None
        km = km if km is not None and 0 < km <= 300 else None
        if mode is None and km is None:
            continue
        kept += 1
        if mode is not None:
            with_mode += 1
            car_alone += mode == "car_alone"
        if km is not None:
            distances.append(km)
    return {"input_rows": len(rows), "kept": kept, "drive_alone": car_alone / with_mode,
            "median_km": statistics.median(distances)}


def test_salisbury_google_forms_export() -> None:
    _need(SALISBURY)
    before = hashlib.sha256(SALISBURY.read_bytes()).hexdigest()
    result = import_survey(SALISBURY, mapping="example_salisbury_googleforms")
    expected = _salisbury_by_hand()
    table = result.table
    assert result.account["input_rows"] == expected["input_rows"] == 49
    assert result.account["kept"] == expected["kept"]
    assert result.account["input_rows"] == result.account["kept"] + result.account["quarantined"]
    assert table["mode_summer"].eq("car_alone").sum() / table["mode_summer"].notna().sum() == pytest.approx(expected["drive_alone"])
    assert table["distance_km"].median() == pytest.approx(expected["median_km"])
    dropped = {d["column"]: d["reason"] for d in result.dropped_columns}
    assert dropped["Timestamp"] == "timestamp"
    assert dropped["Where do you live (neighborhood and/or address)?"] == "address"
    # Options with commas inside ("weather conditions (e.g. rain, snow, heat)") are one barrier.
    assert table["barriers"].str.contains("weather_winter").sum() == 25
    assert not table.to_csv().count("Salisbury, MD")
    assert hashlib.sha256(SALISBURY.read_bytes()).hexdigest() == before


# --- Exeter: staff survey in Excel, several sheets, distances typed as text ---------------------

WORDS = {"five": 5.0, "one": 1.0, "1 1/2": 1.5, "2,9": 2.9, "approx 5": 5.0, "1  (approx)": 1.0}
ALONE = {"Car (alone)", "Electric car (alone)"}
MODES = ALONE | {"Car (shared / passenger)", "Electric car (shared / passenger)", "On foot", "Bicycle", "E-bike",
                 "Train", "Bus", "Motorbike", "Taxi", "Flight"}


def _miles(value: object) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return WORDS.get(text.lower()) or WORDS.get(str(value).lower())


def _exeter_by_hand() -> dict[str, float]:
    book = openpyxl.load_workbook(EXETER, read_only=True, data_only=True)
    rows = list(book["Responses"].iter_rows(values_only=True))
    book.close()
    header = rows[0]
    mode_at = header.index("What is the main form of transport you usually use to tra...")
    miles_at = header.index("How many miles do you live from your place of work")
    data = [r for r in rows[1:] if any(c not in (None, "") for c in r)]
    kept, alone, with_mode, distances = 0, 0, 0, []
    for row in data:
        mode = row[mode_at] if row[mode_at] in MODES else None
        miles = _miles(row[miles_at])
        km = miles * MILE if miles is not None and 0 < miles * MILE <= 300 else None
        if mode is None and km is None:
            continue
        kept += 1
        if mode is not None:
            with_mode += 1
            alone += mode in ALONE
        if km is not None:
            distances.append(km)
    return {"input_rows": len(data), "kept": kept, "drive_alone": alone / with_mode,
            "median_km": statistics.median(distances)}


def test_exeter_staff_survey_excel() -> None:
    _need(EXETER)
    before = hashlib.sha256(EXETER.read_bytes()).hexdigest()
    result = import_survey(EXETER, mapping="example_exeter_staff_survey")
    expected = _exeter_by_hand()
    table = result.table
    assert result.mapping_report["sheet"] == "Responses"
    assert result.account["input_rows"] == expected["input_rows"] == 1861
    assert result.account["kept"] == expected["kept"]
    assert result.account["input_rows"] == result.account["kept"] + result.account["quarantined"]
    assert table["mode_summer"].eq("car_alone").sum() / table["mode_summer"].notna().sum() == pytest.approx(expected["drive_alone"])
    assert table["distance_km"].median() == pytest.approx(expected["median_km"])
    issues = result.issues
    unusable = issues.loc[issues["problem"] == "unreadable_number", "raw_value"].tolist()
    # "?" is shown as typed; the typed phrases, each given by one person, are not copied.
    assert sorted(unusable) == sorted(["?", "<typed answer removed>", "<typed answer removed>", "<typed answer removed>"])
    assert (issues["problem"] == "distance_over_300km").sum() == sum(
        1 for r in _raw_miles() if r is not None and r * MILE > 300)
    assert table["travel_time_min"].max() == pytest.approx(75.0)  # "More than 60 minutes"
    assert hashlib.sha256(EXETER.read_bytes()).hexdigest() == before


def _raw_miles() -> list[float | None]:
    book = openpyxl.load_workbook(EXETER, read_only=True, data_only=True)
    rows = list(book["Responses"].iter_rows(values_only=True))
    book.close()
    at = rows[0].index("How many miles do you live from your place of work")
    return [_miles(r[at]) for r in rows[1:]]
