"""Two exports nobody here wrote, from export to report with a mapping written from docs/mapping.md
alone and no pre-processing (issue 17, "Done when").

1. A Qualtrics "choice text" export: two header rows, completion columns (Status, Progress,
   Finished), a Monday-Sunday grid of daily modes, a home ZIP code, no distance question.
2. A trip-level travel survey with numeric codes: several rows per person, -1 = no answer,
   -2 = not asked.

Each file is made here, small, in that shape. Both go through ``grontur import`` and then
``grontur analyse``; the expected figures are counted by hand from the rows written below.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

MAPPINGS = Path(__file__).parent / "data" / "mappings"
QUALTRICS_MAPPING = MAPPINGS / "qualtrics_no_distance.yaml"
TRIP_MAPPING = MAPPINGS / "trips.yaml"


def _grontur(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grontur", *args], capture_output=True, text=True, check=False,
                          env={**__import__("os").environ, "GRONTUR_SALT": "s"}, timeout=300)


def _text(html: Path) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html.read_text(encoding="utf-8"), flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _import_then_analyse(export: Path, mapping: Path, tmp_path: Path) -> tuple[str, pd.DataFrame, dict, str]:
    """``grontur import`` (its summary and quality.csv), then ``grontur analyse`` on the same export."""
    imported = _grontur("import", str(export), "--mapping", str(mapping), "--out", str(tmp_path / "import"),
                        "--lang", "en")
    assert imported.returncode == 0, imported.stderr
    quality = pd.read_csv(tmp_path / "import" / "quality.csv", dtype=str, keep_default_na=False)
    out = tmp_path / "result"
    analysed = _grontur("analyse", str(export), "--mapping", str(mapping), "--kommune", "Gol", "--lang", "en",
                        "--format", "html", "--out", str(out))
    assert analysed.returncode == 0, analysed.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return imported.stdout, quality, results, _text(out / "report.html")


# --------------------------------------------------------------------------- 1. Qualtrics

QUALTRICS_META = [("StartDate", "Start Date"), ("EndDate", "End Date"), ("Status", "Response Type"),
                  ("IPAddress", "IP Address"), ("Progress", "Progress"), ("Duration (in seconds)", "Duration (in seconds)"),
                  ("Finished", "Finished"), ("RecordedDate", "Recorded Date"), ("ResponseId", "Response ID"),
                  ("DistributionChannel", "Distribution Channel"), ("UserLanguage", "User Language")]
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OFF, HOME = "Did not work", "Worked from home"
# (people, Status, Progress, Finished, Monday ... Sunday)
QUALTRICS_PEOPLE = [
    (30, "IP Address", "100", "True", ["Drove alone", "Drove alone", HOME, "Drove alone", "Drove alone", OFF, OFF]),
    (12, "IP Address", "100", "True", ["Bus"] * 5 + [OFF, OFF]),
    # bike and bus two days each: the tie goes to Monday's mode, bike
    (12, "IP Address", "100", "True", ["Bicycled", "Bus", "Bicycled", "Bus", HOME, OFF, OFF]),
    (6, "IP Address", "100", "True", ["Walked"] * 4 + [HOME, OFF, OFF]),
    # unfinished: stopped after two days of the grid
    (7, "IP Address", "40", "False", ["Drove alone", "Drove alone", "", "", "", "", ""]),
    (3, "Spam", "100", "True", ["Drove alone"] * 5 + [OFF, OFF]),
]


def _qualtrics_export(path: Path) -> Path:
    ids = [m[0] for m in QUALTRICS_META] + [f"Q5_{i}" for i in range(1, 8)] + ["Q6", "Q7"]
    texts = ([m[1] for m in QUALTRICS_META]
             + [f"Which of these did you use to get to work each day last week? - {day}" for day in DAYS]
             + ["What is your home ZIP code?", "What is your gender?"])
    rows = []
    for people, status, progress, finished, week in QUALTRICS_PEOPLE:
        for _ in range(people):
            n = len(rows)
            day = f"2024-{10 + n // 28}-{1 + n % 28:02d}"
            rows.append([f"{day} 08:00:00", f"{day} 08:06:00", status, "203.0.113.9", progress, str(300 + n), finished,
                         f"{day} 08:06:01", f"R_{n:05d}", "anonymous", "EN", *week,
                         ["98101", "98052", "98004"][n % 3], ["Woman", "Man", "Prefer not to say"][n % 3]])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ids)      # two header rows: question ids, then question texts
        writer.writerow(texts)
        writer.writerows(rows)
    return path


def test_qualtrics_export_with_completion_columns_and_no_distance_goes_to_a_report(tmp_path: Path) -> None:
    summary, quality, results, report = _import_then_analyse(_qualtrics_export(tmp_path / "export.csv"),
                                                             QUALTRICS_MAPPING, tmp_path)
    # rows set aside by reason, in the import summary, quality.csv, results.json and the report
    assert "Set aside: unfinished 7, spam 3" in summary
    assert quality["problem"].value_counts()[["unfinished", "spam"]].tolist() == [7, 3]
    assert results["respondents"]["quarantine_reasons"] == {"unfinished": 7, "spam": 3}
    assert "70 rows: 60 are analysed and 10 were set aside: 3 were marked as spam by the survey tool and " \
           "7 were unfinished" in report
    # mode shares over the 60 kept: 30 drive alone, 12 bus, 12 bike (bike/bus tie -> Monday's), 6 walk
    assert results["respondents"]["kept"] == 60
    assert results["mode_share"]["summer"] == pytest.approx({"car_alone": 30 / 60, "bus": 12 / 60,
                                                             "bike": 12 / 60, "walk": 6 / 60})
    assert (quality["problem"] == "grid_tie").sum() == 12
    assert not (quality["problem"].isin(["unknown_answer", "invalid_postcode"])).any()  # "Did not work" is off
    assert results["habits"]["days_on_site"]["mean_reported"] == pytest.approx((30 * 4 + 12 * 5 + 12 * 4 + 6 * 4) / 60)
    # no distance: emissions not available, with the reason; never 0 tonnes
    emissions = results["emissions"]
    assert emissions["tonnes_co2e_per_year"] is None and emissions["not_available_reason"] == "no_distance"
    assert "Emissions cannot be estimated: nobody gave the distance to work" in report
    assert "they are not available, not zero" in report
    assert "Possible cut, tonnes per year" not in report
    assert "Nobody gave the distance to work, so the report shows no distances" in report
    assert "Under 1 km" not in report
    # one week asked: no season claims
    assert results["habits"]["seasons_asked"] == 1 and results["habits"]["seasonal_shift"] is None
    groups = report[report.index("4. Groups of employees"):report.index("5. Emissions")]
    assert not re.search(r"(?i)summer|winter", groups)
    assert "8 of its columns were matched to the columns grontur reads" in report  # response id, 7 days


# --------------------------------------------------------------------------- 2. trip-level file

# PURPOSE 1 to work, 2 from work, 3 shopping, 4 leisure; MODE 1 walk, 2 bike, 3 bus, 4 car (driver);
# -1 no answer, -2 not asked.  (people, [(PURPOSE, MODE, TRIPKM), ...])
TRIP_PEOPLE = [
    *[(1, [("1", "4", str(9 + i % 5)), ("3", "4", "2"), ("2", "4", str(8 + i % 5))]) for i in range(16)],
    (8, [("1", "3", "12"), ("2", "3", "12"), ("4", "4", "30")]),   # bus to work, car to leisure
    (8, [("1", "2", "4"), ("2", "2", "4.5")]),                      # bike
    (6, [("1", "-1", "3"), ("2", "1", "3")]),                       # mode missing on one trip: walk
    (6, [("1", "-1", "-1"), ("2", "-2", "-1")]),                    # nothing known: set aside
    (5, [("4", "4", "20"), ("-1", "4", "20")]),                     # no work trip: left out
]


def _trip_export(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["PERSID", "TRIPNO", "PURPOSE", "MODE", "TRIPKM"])
        person = 5000
        for people, trips in TRIP_PEOPLE:
            for _ in range(people):
                person += 1
                writer.writerows([str(person), str(n), *trip] for n, trip in enumerate(trips, start=1))
    return path


def test_trip_file_with_numeric_missing_codes_goes_to_a_report(tmp_path: Path) -> None:
    summary, quality, results, report = _import_then_analyse(_trip_export(tmp_path / "trips.csv"), TRIP_MAPPING,
                                                             tmp_path)
    # 122 trips, 88 to or from work, of 44 people with a work trip; 5 people without one
    assert "Trips: 122 rows, 88 work trips of 44 people" in summary and "Without a work trip: 5 people" in summary
    assert "122 trips, 88 of them to or from work. Below, each row is a person with a work trip (44); " \
           "5 people without a work trip are left out" in report
    # the 6 people with only -1 / -2 are set aside; -1 is never a mode, never -1 km
    assert results["respondents"]["quarantine_reasons"] == {"no_mode_or_distance": 6}
    assert "6 had neither a mode nor a distance" in report
    coded = quality[quality["problem"] == "missing_code"]
    assert coded["column"].value_counts().to_dict() == {"mode_summer": 6, "mode_winter": 6, "distance_km": 6}
    assert not (quality["problem"].isin(["unknown_answer", "trip_tie"])).any()
    # mode shares over the 38 kept: 16 car, 8 bus, 8 bike, 6 walk (their -1 trip does not count)
    assert results["respondents"]["kept"] == 38
    assert results["mode_share"]["summer"] == pytest.approx({"car_alone": 16 / 38, "bus": 8 / 38, "bike": 8 / 38,
                                                             "walk": 6 / 38})
    # distance: each person's longest work trip (the car's 2 km shopping trip and the 30 km leisure trip do not count)
    longest = [9 + i % 5 for i in range(16)] + [12] * 8 + [4.5] * 8 + [3] * 6
    assert results["habits"]["distance_km"]["median"] == pytest.approx(statistics.median(longest))
    assert results["emissions"]["n_estimated"] == 38 and results["emissions"]["tonnes_co2e_per_year"] > 0


def test_the_docs_show_these_mappings() -> None:
    """The mappings these tests run are the examples of docs/mapping.md, word for word."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "mapping.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)]
    for fixture in (QUALTRICS_MAPPING, TRIP_MAPPING):
        assert yaml.safe_load(fixture.read_text(encoding="utf-8")) in blocks, fixture.name
