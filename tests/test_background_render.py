"""A report's pictures are drawn in a second process (grontur.report.background), and the files
are the ones drawing them here gives, byte for byte; an error over there is raised here, and a
process that dies leaves the work to this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grontur import pipeline
from grontur.report import background, write_outputs
from grontur.report._text import ResultsShapeError
from tests.conftest import count_figures

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "surveys" / "demo" / "hemsedal"  # workplaces (maps) and a follow-up (comparison chart)
REPORTS = ("report.html", "report.docx", "measures.xlsx")


def test_pictures_drawn_in_the_second_process_give_the_same_files(monkeypatch, tmp_path: Path) -> None:
    made = count_figures(monkeypatch)
    pipeline.analyse_file(project=PROJECT, out_dir=tmp_path / "there", formats=("html", "docx", "xlsx"))
    # here only the chart of comparison.html (a page of its own); the report's charts, maps and
    # timeline were drawn over there
    assert len(made) == 1
    monkeypatch.setattr(background.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    pipeline.analyse_file(project=PROJECT, out_dir=tmp_path / "here", formats=("html", "docx", "xlsx"))
    assert len(made) > 1  # without fork: drawn here
    html = (tmp_path / "here" / "report.html").read_text(encoding="utf-8")
    assert 'id="fig-anchoring_timeline"' in html and 'id="fig-comparison-before-after"' in html
    for name in REPORTS:
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


def _results() -> dict:
    return json.loads((REPO / "tests" / "data" / "report_results_sample.json").read_text(encoding="utf-8"))


def test_an_error_over_there_is_raised_here(tmp_path: Path) -> None:
    results = _results()
    del results["emissions"]["tonnes_co2e_per_year"]
    with pytest.raises(ResultsShapeError, match="tonnes_co2e_per_year") as here:
        write_outputs(results, out_dir=tmp_path / "here", lang="nn", formats=("html",))
    with background.Renderer() as renderer, pytest.raises(ResultsShapeError) as there:
        write_outputs(results, out_dir=tmp_path / "there", lang="nn", formats=("html",), renderer=renderer)
    assert str(there.value) == str(here.value)


def test_a_process_that_dies_leaves_the_work_to_this_one(tmp_path: Path) -> None:
    results = _results()
    write_outputs(results, out_dir=tmp_path / "here", lang="nn", formats=("html", "docx"))
    with background.Renderer() as renderer:
        assert renderer._process is not None  # a second process was started
        renderer._process.kill()
        write_outputs(results, out_dir=tmp_path / "there", lang="nn", formats=("html", "docx"), renderer=renderer)
    for name in ("report.html", "report.docx"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


def test_the_analysing_process_loads_no_matplotlib_docx_or_openpyxl_for_a_report(tmp_path: Path) -> None:
    survey = REPO / "surveys" / "demo" / "gol" / "baseline.csv"
    out = tmp_path / "out"
    code = ("import sys\nfrom grontur.cli import main\n"
            f"assert main(['analyse', {str(survey)!r}, '--kommune', 'Gol', '--out', {str(out)!r}, "
            "'--format', 'html', '--format', 'docx', '--format', 'xlsx']) == 0\n"
            "print('matplotlib' in sys.modules, 'docx' in sys.modules, 'openpyxl' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRONTUR_DATA_DIR": str(tmp_path / "data"), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    # neither drawn nor the DOCX or the spreadsheet written here: all were done over there
    assert done.stdout.strip().splitlines()[-1] == "False False False"
    assert 'id="fig-anchoring_timeline"' in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "report.docx").read_bytes()[:2] == b"PK"  # a zip, written over there
    assert (out / "measures.xlsx").read_bytes()[:2] == b"PK"


def _never() -> None:
    raise AssertionError("drawn again")


def test_a_figure_drawn_ahead_is_not_drawn_again() -> None:
    png = b"\x89PNG timeline drawn ahead"
    figures = pipeline.DrawnLater({"anchoring_timeline": _never})
    doc = background.document(_results(), lang="nn", figures=figures, ready={"anchoring_timeline": png})
    shown = [block for section in doc.sections for block in section.blocks
             if getattr(block, "id", None) == "fig-anchoring_timeline"]
    assert [block.png for block in shown] == [png]
    assert figures.drawn == {}


def _figure_noting_pid(note: Path, fail_in_other_process: bool = False) -> object:
    """A small matplotlib figure; writes the drawing process's id to ``note``."""
    from matplotlib.figure import Figure

    note.write_text(str(os.getpid()), encoding="utf-8")
    if fail_in_other_process and os.getpid() != int(os.environ["GRONTUR_TEST_PID"]):
        raise RuntimeError("drawing failed over there")
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [1, 0])
    return figure


def test_a_figure_drawn_ahead_is_drawn_in_a_process_of_its_own(tmp_path: Path) -> None:
    from functools import partial

    note = tmp_path / "pid"
    ahead = background._Ahead()
    ahead.draw("anchoring_timeline", partial(_figure_noting_pid, note))
    assert list(ahead) == ["anchoring_timeline"]  # promised before it is drawn
    png = ahead["anchoring_timeline"]
    assert png.startswith(b"\x89PNG")
    assert int(note.read_text(encoding="utf-8")) != os.getpid()


def test_a_figure_whose_drawing_process_fails_is_drawn_here(monkeypatch, tmp_path: Path) -> None:
    from functools import partial

    monkeypatch.setenv("GRONTUR_TEST_PID", str(os.getpid()))
    note = tmp_path / "pid"
    ahead = background._Ahead()
    ahead.draw("anchoring_timeline", partial(_figure_noting_pid, note, True))
    png = ahead["anchoring_timeline"]  # the process that drew it first failed
    assert png.startswith(b"\x89PNG")
    assert int(note.read_text(encoding="utf-8")) == os.getpid()


def test_a_spreadsheet_not_written_over_there_is_written_here(monkeypatch, tmp_path: Path) -> None:
    results = _results()
    write_outputs(results, out_dir=tmp_path / "here", lang="nn", formats=("html", "xlsx"))
    monkeypatch.setattr(background, "_fork", lambda work: None)  # no process for the spreadsheet
    with background.Renderer() as renderer:
        write_outputs(results, out_dir=tmp_path / "there", lang="nn", formats=("html", "xlsx"), renderer=renderer)
        assert renderer.xlsx is None  # not written over there
    assert (tmp_path / "there" / "measures.xlsx").read_bytes() == (tmp_path / "here" / "measures.xlsx").read_bytes()


def _chart_noting_pid(notes: Path, name: str, args: tuple, kwargs: dict, *, fail_over_there: bool = False) -> bytes:
    """A stand-in for build.chart_png: notes the drawing process's id, gives a PNG-like value."""
    (notes / f"{name}-{len(list(notes.iterdir()))}-{os.getpid()}").write_text("", encoding="utf-8")
    if fail_over_there and os.getpid() != int(os.environ["GRONTUR_TEST_PID"]):
        raise RuntimeError("drawing failed over there")
    return b"\x89PNG " + repr((name, args, sorted(kwargs.items()))).encode()


def _pictures(doc: object) -> list[bytes]:
    return [block.png for section in doc.sections for block in section.blocks if hasattr(block, "png")]


def test_the_report_charts_are_drawn_side_by_side_in_processes_of_their_own(monkeypatch, tmp_path: Path) -> None:
    from functools import partial

    from grontur.report import build

    notes = tmp_path / "notes"
    notes.mkdir()
    monkeypatch.setattr(build, "chart_png", partial(_chart_noting_pid, notes))
    here = background.document(_results(), lang="nn", figures=None)
    drawn_here = list(notes.iterdir())
    there = background.document(_results(), lang="nn", figures=None, forked=True)
    drawn_there = [n for n in notes.iterdir() if n not in drawn_here]
    pictures = _pictures(there)
    assert len(pictures) >= 5  # the sample's charts, the comparison's too
    assert {int(n.name.rsplit("-", 1)[1]) for n in drawn_here} == {os.getpid()}
    # each chart in a process of its own, and the same document as one drawn in turn here
    assert len({int(n.name.rsplit("-", 1)[1]) for n in drawn_there} - {os.getpid()}) == len(pictures)
    assert there == here


def test_a_chart_whose_drawing_process_fails_is_drawn_here(monkeypatch, tmp_path: Path) -> None:
    from functools import partial

    from grontur.report import build

    monkeypatch.setenv("GRONTUR_TEST_PID", str(os.getpid()))
    notes = tmp_path / "notes"
    notes.mkdir()
    monkeypatch.setattr(build, "chart_png", partial(_chart_noting_pid, notes, fail_over_there=True))
    doc = background.document(_results(), lang="nn", figures=None, forked=True)
    pictures = _pictures(doc)
    assert pictures and all(png.startswith(b"\x89PNG ") for png in pictures)
    drawn_here = [n for n in notes.iterdir() if int(n.name.rsplit("-", 1)[1]) == os.getpid()]
    assert len(drawn_here) == len(pictures)  # each tried over there first, then drawn here


def test_a_chart_the_document_does_not_hold_is_an_error_not_a_broken_picture(monkeypatch, tmp_path: Path) -> None:
    from functools import partial

    from grontur.report import build

    notes = tmp_path / "notes"
    notes.mkdir()
    monkeypatch.setattr(build, "chart_png", partial(_chart_noting_pid, notes))
    doc = background.document(_results(), lang="nn", figures=None)
    charts = background._Charts()
    stand_in = charts.start("bar_chart", (), {})
    assert not stand_in.startswith(b"\x89PNG")  # a stand-in, the chart drawn over there
    with pytest.raises(RuntimeError, match="outside the document"):
        charts.fill(doc)
    charts.close()
