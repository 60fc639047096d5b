"""Atomic outputs: a run that fails part-way leaves the previous outputs intact and no half file.

A first run writes a complete output folder. A second run of the same analysis then fails at a
chosen point (a renderer raises after other files are written, the workbook writer dies half way
through its file, the process is interrupted, a file cannot be moved into place); afterwards the
folder holds exactly the first run's files, byte for byte, and no staging folder or temporary
file is left beside or inside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from grontur import outputs, pipeline
from grontur.cli import main
from tests.test_privacy_audit import planted_rows, write_export


class Injected(RuntimeError):
    """The failure the tests inject."""


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("atomic")
    survey = write_export(folder / "survey.csv", planted_rows())
    return pipeline.analyse_file(survey, municipality="Gol", run_date=dt.date(2025, 6, 2), lang="en")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder`` with its hash and modification time."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    """Anything below ``parent`` besides the output folders and the files a run writes: staging or
    backup folders (hidden names), temporary files."""
    return sorted(str(p.relative_to(parent)) for p in parent.rglob("*")
                  if p.name.startswith(".") or ".staging-" in p.name or p.name.endswith((".tmp", ".part", "~")))


@pytest.fixture(scope="module")
def complete_run(analysis: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("complete") / "report"
    pipeline.write_analysis(analysis, out, lang="en")
    assert {"results.json", "report.html", "report.docx", "measures.xlsx", "cleaned.csv", "quality.csv",
            "quarantine.csv"} <= set(snapshot(out))
    return out


@pytest.fixture()
def first_run(complete_run: Path, tmp_path: Path) -> tuple[Path, dict[str, tuple[str, int]]]:
    """A copy of a complete first run (contents and modification times)."""
    out = tmp_path / "report"
    shutil.copytree(complete_run, out, copy_function=shutil.copy2)
    return out, snapshot(out)


def _raise(*_args: Any, **_kwargs: Any) -> None:
    raise Injected("injected failure")


def test_renderer_failure_keeps_previous_outputs(analysis: Any, first_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DOCX writer raises after results.json, the CSVs and report.html are written."""
    out, before = first_run
    import grontur.report.docx as docx_writer

    monkeypatch.setattr(docx_writer, "write_docx", _raise)
    with pytest.raises(Injected):
        pipeline.write_analysis(analysis, out, lang="en")
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_half_written_workbook_is_never_seen(analysis: Any, first_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The XLSX writer dies after writing half its file (and its temporary copy)."""
    out, before = first_run
    import grontur.report.xlsx as xlsx_writer

    def half(doc: Any, results: Any, path: Path) -> Path:
        path.write_bytes(b"PK\x03\x04 half a workbook")
        path.with_name(path.name + ".tmp").write_bytes(b"PK\x03\x04")
        raise Injected("disk full")

    monkeypatch.setattr(xlsx_writer, "write_xlsx", half)
    with pytest.raises(Injected):
        pipeline.write_analysis(analysis, out, lang="en")
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_interrupt_keeps_previous_outputs(analysis: Any, first_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the report is rendered."""
    out, before = first_run
    import grontur.report.html as html_writer

    def interrupt(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(html_writer, "write_html", interrupt)
    with pytest.raises(KeyboardInterrupt):
        pipeline.write_analysis(analysis, out, lang="en")
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_failure_on_first_run_creates_no_folder(analysis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import grontur.report.docx as docx_writer

    monkeypatch.setattr(docx_writer, "write_docx", _raise)
    out = tmp_path / "new"
    with pytest.raises(Injected):
        pipeline.write_analysis(analysis, out, lang="en")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failure_while_switching_the_set_keeps_previous_outputs(analysis: Any, first_run,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The set cannot be switched into place (the folder is busy, e.g. open in another program)."""
    out, before = first_run

    def busy(first: Any, second: Any) -> bool:
        raise PermissionError(13, "folder is open in another program", str(second))

    monkeypatch.setattr(outputs, "_exchange", busy)
    with pytest.raises(OSError):
        pipeline.write_analysis(analysis, out, lang="nn")
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_successful_rerun_replaces_every_file(analysis: Any, first_run) -> None:
    """The control case: a run that succeeds does change the folder (Norwegian this time)."""
    out, before = first_run
    pipeline.write_analysis(analysis, out, lang="nn")
    after = snapshot(out)
    assert set(after) == set(before)
    assert after["report.html"][0] != before["report.html"][0]
    assert leftovers(out.parent) == []


def test_import_command_failure_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    survey = write_export(tmp_path / "survey.csv", planted_rows())
    out = tmp_path / "imported"
    assert main(["import", str(survey), "--out", str(out), "--kommune", "Gol"]) == 0
    before = snapshot(out)
    real = outputs.write_json

    calls = {"n": 0}

    def failing_json(data: Any, path: Path) -> Path:
        calls["n"] += 1
        real(data, path)
        raise Injected("after writing")

    monkeypatch.setattr(outputs, "write_json", failing_json)
    with pytest.raises(Injected):
        main(["import", str(survey), "--out", str(out), "--kommune", "Gol"])
    assert calls["n"] == 1
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []
    capsys.readouterr()
