"""Valid but extreme surveys run through the whole analysis and write every output (hypothesis).

The extremes: every car electric, nobody drives, everybody drives alone, one respondent per
workplace, one season only (no winter question), no distances (no distance question). A
generated survey combines any of them, with any number of respondents from 5 to 60 and any mix
of the other answers; each is analysed in-process and written as HTML, DOCX and XLSX with
``results.json``, ``quality.csv`` and ``cleaned.csv``, without any exception. Every extreme
alone is an explicit example, so each is run on every test run. Fixed seed (``derandomize``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from grontur.pipeline import analyse_file
from tests.hostile_corpus import DISTANCE, FUEL, MODE, WINTER, WORKPLACE, write_csv

EXTREMES = ("all_electric", "nobody_drives", "all_drive_alone", "one_per_workplace", "one_season", "no_distances")
OUTPUTS = ("report.html", "report.docx", "measures.xlsx", "results.json", "quality.csv", "cleaned.csv")
#: Generated examples beyond the explicit ones (each one analysis with three reports, ~2 s).
GENERATED = 6

CAR = ["Car, alone", "Car, driving with others", "Car passenger"]
NOT_CAR = ["Walk", "Bicycle", "E-bike", "Bus", "Train"]
FUELS = ["Petrol", "Diesel", "Electric car", "Plug-in hybrid", "Don't know"]
HELPS = "What would make it easier for you to leave the car at home? Choose all that apply."


def build(extremes: frozenset[str], n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """A survey of ``n`` respondents with the ``extremes`` (answers otherwise drawn from ``seed``)."""
    import random

    pick = random.Random(seed)
    modes = NOT_CAR if "nobody_drives" in extremes else ["Car, alone"] if "all_drive_alone" in extremes else NOT_CAR + CAR
    fuels = ["Electric car"] if "all_electric" in extremes else FUELS
    header = [WORKPLACE, MODE]
    if "one_season" not in extremes:
        header.append(WINTER)
    if "no_distances" not in extremes:
        header.append(DISTANCE)
    header += [FUEL, HELPS]
    rows = []
    for i in range(n):
        workplace = f"Arbeidsstad {i + 1}" if "one_per_workplace" in extremes else pick.choice(["Rådhuset", "Skulen"])
        summer = pick.choice(modes)
        row = [workplace, summer]
        if "one_season" not in extremes:
            row.append(pick.choice(modes))
        if "no_distances" not in extremes:
            row.append(str(pick.choice([0.5, 2, 4, 7.5, 12, 25, 40])).replace(".", ","))
        drives = summer in CAR or (len(row) > 2 and row[2] in CAR)
        row += [pick.choice(fuels) if drives else "", pick.choice(["", "Secure covered bike parking", "Other"])]
        rows.append(row)
    return header, rows


def _analyse(extremes: frozenset[str], n: int, seed: int) -> None:
    header, rows = build(extremes, n, seed)
    with tempfile.TemporaryDirectory(prefix="grontur-extreme-") as tmp:
        folder = Path(tmp)
        os.environ["GRONTUR_DATA_DIR"] = str(folder / "data")  # a fresh release log for each survey
        path = write_csv(folder / "survey.csv", header, rows)
        out = folder / "out"
        analysis = analyse_file(path, municipality="Gol", out_dir=out, formats=("html", "docx", "xlsx"),
                                run_date=dt.date(2025, 6, 2))
        missing = [name for name in OUTPUTS if not (out / name).is_file() or (out / name).stat().st_size == 0]
        assert missing == [], (sorted(extremes), n, missing)
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert results["respondents"]["input_rows"] == n
        assert analysis.results["respondents"]["kept"] + analysis.results["respondents"]["quarantined"] == n


@settings(derandomize=True, database=None, deadline=None, max_examples=GENERATED, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow])
@given(extremes=st.frozensets(st.sampled_from(EXTREMES), min_size=1, max_size=3), n=st.integers(5, 60),
       seed=st.integers(0, 2**16))
@example(extremes=frozenset({"all_electric"}), n=40, seed=1)
@example(extremes=frozenset({"nobody_drives"}), n=40, seed=2)
@example(extremes=frozenset({"all_drive_alone"}), n=40, seed=3)
@example(extremes=frozenset({"one_per_workplace"}), n=12, seed=4)
@example(extremes=frozenset({"one_season"}), n=40, seed=5)
@example(extremes=frozenset({"no_distances"}), n=40, seed=6)
def test_extreme_surveys_write_every_output(extremes: frozenset[str], n: int, seed: int) -> None:
    _analyse(extremes, n, seed)


def test_the_extremes_are_what_they_say() -> None:
    """The generator makes what each extreme names (so the property tests what it claims)."""
    header, rows = build(frozenset({"all_electric", "one_season", "no_distances"}), 30, 0)
    assert WINTER not in header and DISTANCE not in header
    fuels = {row[header.index(FUEL)] for row in rows} - {""}
    assert fuels == {"Electric car"}
    header, rows = build(frozenset({"nobody_drives", "one_per_workplace"}), 30, 0)
    assert not any(row[1] in CAR or row[2] in CAR for row in rows)
    assert len({row[0] for row in rows}) == 30
    header, rows = build(frozenset({"all_drive_alone"}), 30, 0)
    assert {row[1] for row in rows} == {row[2] for row in rows} == {"Car, alone"}
