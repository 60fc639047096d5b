"""The broken-input corpus: every file in tests/data/corpus has a written expected outcome.

For each file either the import accounts for every row as the manifest says (counted by hand from
``make_corpus.py``), or it stops with grontur's own error whose message names the file and says
what to do; from the command line that is exit status 2, one line, no traceback, nothing written.
The input is never modified. A single-column file far larger than any real survey is generated
into ``tmp_path`` by the test itself.
"""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from grontur import errors
from grontur.cli import main
from grontur.importing import import_survey

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
MANIFEST = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
DATA_FILES = sorted(p.name for p in CORPUS.iterdir() if p.name not in ("expected.yaml", "make_corpus.py"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _params() -> list:
    out = []
    for name, spec in MANIFEST.items():
        marks = [pytest.mark.xfail(strict=True, reason=spec["xfail"])] if spec.get("xfail") else []
        out.append(pytest.param(name, spec, id=name, marks=marks))
    return out


def test_corpus_is_complete() -> None:
    """At least 30 broken inputs, each file with a manifest entry and each entry with a file."""
    assert len(DATA_FILES) >= 30
    assert sorted(MANIFEST) == DATA_FILES
    assert all(spec["outcome"] in ("rows", "error") for spec in MANIFEST.values())


def _check_rows(result, spec: dict) -> None:
    account = result.account
    assert account["input_rows"] == account["kept"] + account["quarantined"]
    assert account == {"input_rows": spec["input_rows"], "kept": spec["kept"], "quarantined": spec["quarantined"]}
    assert len(result.table) == spec["kept"]
    assert len(result.quarantine) == spec["quarantined"]
    # Every data row is in exactly one of the two outputs.
    kept_rows = set(result.table["source_row"].astype(int))
    set_aside = set(result.quarantine["source_row"].astype(int))
    assert not kept_rows & set_aside
    assert len(kept_rows | set_aside) == spec["input_rows"]
    counts = result.problem_counts()
    for problem, minimum in (spec.get("problems") or {}).items():
        assert counts.get(problem, 0) >= minimum, (problem, counts)
    for column in spec.get("mapped") or []:
        assert column in result.table.columns, (column, list(result.table.columns))
    for column, expected in (spec.get("values") or {}).items():
        assert column in result.table.columns, column
        got = result.table.sort_values("source_row")[column].tolist()
        assert len(got) == len(expected)
        for position, (have, want) in enumerate(zip(got, expected)):
            if want is None:
                assert have is None or (isinstance(have, float) and math.isnan(have)) or have is pd.NA, (column, position, have)
            elif isinstance(want, float):
                assert have == pytest.approx(want), (column, position, have)
            else:
                assert have == want, (column, position, have)
    for column, reason in (spec.get("dropped") or {}).items():
        assert {"column": column, "reason": reason} in [
            {"column": d["column"], "reason": d["reason"]} for d in result.dropped_columns
        ]


@pytest.mark.parametrize(("name", "spec"), _params())
def test_corpus_file(name: str, spec: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / name
    before = _sha(path)
    if spec["outcome"] == "rows":
        started = time.perf_counter()
        result = import_survey(path, municipality="3324")
        elapsed = time.perf_counter() - started
        _check_rows(result, spec)
        if "max_seconds" in spec:
            assert elapsed < spec["max_seconds"], f"{name} took {elapsed:.1f} s"
        out = tmp_path / "out"
        assert main(["import", str(path), "--out", str(out), "--kommune", "3324"]) == 0
        cleaned = pd.read_csv(out / "cleaned.csv", dtype=str, encoding="utf-8-sig")
        assert len(cleaned) == spec["kept"]
    else:
        error_type = getattr(errors, spec["error"])
        with pytest.raises(errors.GronturError) as caught:
            import_survey(path, municipality="3324")
        assert isinstance(caught.value, error_type), type(caught.value)
        message = str(caught.value)
        assert "\n" not in message
        assert name in message
        for phrase in spec["message"]:
            assert phrase.lower() in message.lower(), (phrase, message)
        capsys.readouterr()
        out = tmp_path / "out"
        assert main(["import", str(path), "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("grontur: ")
        assert "Traceback" not in captured.err
        assert captured.err.count("\n") == 1
        assert not out.exists()
        # The same from ``grontur analyse``.
        assert main(["analyse", str(path), "--kommune", "Gol", "--out", str(out), "--format", "none"]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("grontur: ") and captured.err.count("\n") == 1
        assert "Traceback" not in captured.err
        assert list(tmp_path.iterdir()) == []
    assert _sha(path) == before


@pytest.mark.parametrize("name", ["ragged_rows.csv", "png_renamed.csv"])
def test_cli_process_exit_status(name: str, tmp_path: Path) -> None:
    """A real process: exit status 2, one line on stderr, no traceback, no output folder."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "grontur", "import", str(CORPUS / name), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert name in done.stderr
    assert not out.exists()


def _formula_like(value: object) -> bool:
    if not isinstance(value, str) or not value or value[0] not in "=+-@\t\r":
        return False
    try:
        float(value.replace(",", "."))
    except ValueError:
        return True
    return False


def test_quality_csv_carries_no_formulas(tmp_path: Path) -> None:
    """Raw answers copied into quality.csv must not start a formula when the file opens in Excel."""
    out = tmp_path / "out"
    assert main(["import", str(CORPUS / "formula_injection.csv"), "--out", str(out), "--kommune", "3324"]) == 0
    for name in ("quality.csv", "cleaned.csv", "quarantine.csv"):
        frame = pd.read_csv(out / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        bad = [v for v in frame.to_numpy().ravel() if _formula_like(v)]
        assert bad == [], (name, bad)


def test_single_column_far_larger_than_any_survey(tmp_path: Path) -> None:
    """Half a million rows in one column (the whole Norwegian municipal workforce; real surveys have hundreds): every row accounted for."""
    labels = ["Walk", "Bicycle", "\"Car, alone\"", "Bus", "something else"]
    n = 500_000
    path = tmp_path / "huge.csv"
    body = "\n".join(labels[i % 5] for i in range(n))
    path.write_text("How do you usually travel to work in the summer half of the year?\n" + body + "\n",
                    encoding="utf-8")
    before = _sha(path)
    result = import_survey(path, municipality="3324")
    assert result.account == {"input_rows": n, "kept": n - n // 5, "quarantined": n // 5}
    counts = result.table["mode_summer"].value_counts()
    assert counts.to_dict() == {"walk": n // 5, "bike": n // 5, "car_alone": n // 5, "bus": n // 5}
    assert result.problem_counts()["unknown_answer"] == n // 5
    assert _sha(path) == before


# ---------------------------------------------------------------------------------------------
# every readable file also goes through the whole analysis, and the smallest through the reports

ANALYSIS_BUGS: dict[str, str] = {}  # none open
RENDER_BUGS: dict[str, str] = {}  # none open
#: The smallest and oddest readable files, rendered as HTML, DOCX and XLSX.
RENDERED = ("nothing_usable.csv", "old_mac_line_endings.csv", "short_rows.csv", "blank_lines_between.csv",
            "quoted_newlines.csv", "very_long_cell.csv", "single_column.csv", "odd_numbers.csv", "formulas.xlsx",
            "numbers_for_codes.csv")
READABLE = [name for name, spec in MANIFEST.items() if spec["outcome"] == "rows"]


def _analyse(name: str, out: Path | None, formats: tuple[str, ...]) -> None:
    import datetime as dt

    from grontur.pipeline import analyse_file

    try:
        analyse_file(CORPUS / name, municipality="Gol", out_dir=out, formats=formats, run_date=dt.date(2025, 6, 2))
    except errors.GronturError as error:
        assert "\n" not in str(error)
        assert out is None or not out.exists()


@pytest.mark.parametrize("name", [
    pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=ANALYSIS_BUGS[n])] if n in ANALYSIS_BUGS else [])
    for n in READABLE
])
def test_readable_file_goes_through_the_analysis(name: str, tmp_path: Path) -> None:
    """Analysis without reports: results or grontur's own error, never another exception."""
    _analyse(name, tmp_path / "out", ())


@pytest.mark.parametrize("name", [
    pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=RENDER_BUGS[n])] if n in RENDER_BUGS else [])
    for n in RENDERED
])
def test_small_odd_file_gives_every_report(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _analyse(name, out, ("html", "docx", "xlsx"))
    if out.exists():
        assert {"report.html", "report.docx", "measures.xlsx", "results.json"} <= {p.name for p in out.iterdir()}


def _documented_problems() -> set[str]:
    """The problem codes of the table in docs/schema/import.md (problem | action | when)."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema" / "import.md").read_text(encoding="utf-8")
    table = doc.split("| problem | action | when |", 1)[1].split("\n\n", 1)[0]
    return {code for line in table.splitlines()[2:] for code in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])}


def test_every_problem_has_a_report_label() -> None:
    """Every problem the corpus produces or docs/schema/import.md lists has a label in nn, nb and en."""
    from grontur.i18n import t

    problems = _documented_problems()
    assert len(problems) >= 15
    for name in READABLE:
        problems |= set(import_survey(CORPUS / name, municipality="3324").problem_counts())
    missing = []
    for problem in sorted(problems):
        for lang in ("nn", "nb", "en"):
            try:
                label = t(f"report.problem.{problem}", lang)
            except KeyError:
                label = None
            if not label or label == f"report.problem.{problem}":
                missing.append((problem, lang))
    assert missing == []


@pytest.mark.parametrize("name", [n for n in READABLE if MANIFEST[n]["kept"] > 0])
def test_cleaned_csv_reads_back_unchanged(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cleaned.csv is canonical: importing it again gives the same table, row for row."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["import", str(CORPUS / name), "--out", str(first), "--kommune", "3324"]) == 0
    assert main(["import", str(first / "cleaned.csv"), "--out", str(second), "--kommune", "3324"]) == 0
    capsys.readouterr()
    before = pd.read_csv(first / "cleaned.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    after = pd.read_csv(second / "cleaned.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(after.columns) == list(before.columns)
    pd.testing.assert_frame_equal(after.drop(columns="source_row"), before.drop(columns="source_row"))
    assert pd.read_csv(second / "quarantine.csv", encoding="utf-8-sig").empty
