"""Determinism: the same inputs give byte-identical outputs, file by file.

Two runs of ``grontur analyse`` in separate processes, with different hash seeds and time zones,
write the same bytes to every file (results.json, the CSVs, report.html, report.docx,
measures.xlsx and the PNG charts inside them). The run date shown comes from one place, the
project's ``run_date`` or ``--run-date``: a run dated 2 June 2003 shows no other date of the
machine's clock, and the Office files carry that date in their properties and fixed member times.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.test_privacy_audit import planted_rows, texts_of, write_export

# Far from any day the tests run on, so the plan's dates (which follow the run date) never equal today.
RUN_DATE = "2003-06-02"
REPO = Path(__file__).resolve().parents[1]


def _run(survey: Path, out: Path, *, seed: str, tz: str, extra: tuple[str, ...] = ()) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "MPLBACKEND": "Agg"}
    env.pop("GRONTUR_RUN_DATE", None)
    done = subprocess.run(
        [sys.executable, "-m", "grontur", "analyse", str(survey), "--kommune", "Gol", "--out", str(out),
         "--run-date", RUN_DATE, "--lang", "nn", *extra],
        capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("determinism")
    survey = write_export(folder / "survey.csv", planted_rows())
    first, second = folder / "first", folder / "second"
    _run(survey, first, seed="1", tz="UTC")
    _run(survey, second, seed="4242", tz="Pacific/Auckland")
    return first, second


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _zip_members(data: bytes) -> dict[str, tuple[bytes, tuple]]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: (archive.read(i.filename), i.date_time) for i in archive.infolist()}


def test_every_output_file_is_byte_identical(two_runs: tuple[Path, Path]) -> None:
    first, second = (_files(folder) for folder in two_runs)
    assert sorted(first) == sorted(second)
    assert {"results.json", "quality.csv", "quarantine.csv", "cleaned.csv", "report.html", "report.docx",
            "measures.xlsx"} <= set(first)
    differing = []
    for name in first:
        if first[name] == second[name]:
            continue
        detail = name
        if name.endswith((".docx", ".xlsx")):
            a, b = _zip_members(first[name]), _zip_members(second[name])
            detail += ": " + ", ".join(m for m in sorted(set(a) | set(b)) if a.get(m) != b.get(m))
        differing.append(detail)
    assert differing == []


def test_embedded_charts_are_byte_identical(two_runs: tuple[Path, Path]) -> None:
    """The PNG charts inside report.html and report.docx are the same bytes in both runs."""
    pngs = []
    for folder in two_runs:
        html = (folder / "report.html").read_text(encoding="utf-8")
        images = [hashlib.sha256(base64.b64decode(m)).hexdigest()
                  for m in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]
        members = _zip_members((folder / "report.docx").read_bytes())
        images += [hashlib.sha256(data).hexdigest() for name, (data, _) in sorted(members.items())
                   if name.endswith(".png")]
        pngs.append(images)
    assert len(pngs[0]) >= 4
    assert pngs[0] == pngs[1]


def test_office_files_carry_the_run_date_and_fixed_member_times(two_runs: tuple[Path, Path]) -> None:
    for name in ("report.docx", "measures.xlsx"):
        members = _zip_members((two_runs[0] / name).read_bytes())
        assert {stamp for _, stamp in members.values()} == {(1980, 1, 1, 0, 0, 0)}
        core = members["docProps/core.xml"][0].decode("utf-8")
        for field in ("created", "modified"):
            value = re.search(rf"<dcterms:{field}[^>]*>([^<]*)<", core).group(1)
            assert value.startswith(RUN_DATE), (name, field, value)


def test_no_date_but_the_run_date_is_shown(two_runs: tuple[Path, Path]) -> None:
    """Today's date (from the machine's clock) appears in no output of a run dated otherwise."""
    today = dt.date.today()
    if today.isoformat() == RUN_DATE:
        pytest.skip("the machine's date equals the fixed run date")
    patterns = {today.isoformat(), today.strftime("%d.%m.%Y"), f"{today.day}. ", today.strftime("%Y%m%d")}
    month_names = {"en": today.strftime("%B"), "nn": ["januar", "februar", "mars", "april", "mai", "juni", "juli",
                                                       "august", "september", "oktober", "november",
                                                       "desember"][today.month - 1]}
    found = []
    for path in sorted(p for p in two_runs[0].rglob("*") if p.is_file()):
        for where, text in texts_of(path):
            for pattern in (today.isoformat(), today.strftime("%d.%m.%Y"), today.strftime("%Y%m%d")):
                if pattern in text:
                    found.append((where, pattern))
            spelled = f"{today.day}. {month_names['nn']} {today.year}"
            if spelled in text.lower():
                found.append((where, spelled))
    assert patterns and found == []
    # ... and the run date itself is shown: the date comes from --run-date.
    results = (two_runs[0] / "results.json").read_text(encoding="utf-8")
    assert f'"generated": "{RUN_DATE}"' in results


def test_project_run_date_is_the_default(tmp_path: Path) -> None:
    """Without --run-date the project's run_date is used; a run_date given as an option wins."""
    from grontur.config import load_project

    demo = REPO / "surveys" / "demo" / "gol" / "grontur.yaml"
    project = load_project(demo)
    assert project.run_date == dt.date(2026, 11, 29)
    assert project.with_overrides(run_date=dt.date(2025, 6, 2)).run_date == dt.date(2025, 6, 2)
    assert project.with_overrides(run_date=None).run_date == dt.date(2026, 11, 29)


def test_project_run_with_followup_and_pilots_is_repeatable(tmp_path: Path) -> None:
    """A demo project (Forms workbook, follow-up wave, a pilot) analysed twice: the same bytes,
    dated by the project's run_date."""
    from grontur.pipeline import analyse_file
    from grontur.resources import data_path

    project = data_path("surveys", "demo", "hemsedal")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        analyse_file(project=project, out_dir=out, formats=("xlsx",))
    first, second = (_files(out) for out in outs)
    assert {"results.json", "comparison.json", "cleaned.csv", "measures.xlsx"} <= set(first)
    assert first == second
    assert '"generated": "2026-11-29"' in first["results.json"].decode("utf-8")
