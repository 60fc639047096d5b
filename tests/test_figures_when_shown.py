"""A figure is drawn only for a report that shows it.

The analysis keeps its figures (anchoring timeline, home-area and potential maps) undrawn until a
report reads them; a run that writes no report with pictures (no format, or ``measures.xlsx``
alone, for one municipality or for many) creates no matplotlib figure at all, and a report that
shows them draws each once. Counted at ``matplotlib.figure.Figure.__init__``, which every chart
and map goes through.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from grontur import pipeline
from grontur.importing import import_survey
from grontur.report import background, charts
from tests.conftest import count_figures

REPO = Path(__file__).resolve().parents[1]
FLA = REPO / "surveys" / "demo" / "fla"  # small, with workplaces (maps) and a follow-up (comparison chart)


def test_an_analysis_draws_its_figures_only_when_they_are_read_and_then_once(monkeypatch) -> None:
    made = count_figures(monkeypatch)
    analysis = pipeline.analyse_file(project=FLA, out_dir=None)
    assert made == []
    figures = dict(analysis.figures)
    assert "anchoring_timeline" in figures
    drawn = len(made)
    assert drawn == len(figures)
    assert dict(analysis.figures) == figures  # read again: the same figures, none drawn anew
    assert len(made) == drawn
    pipeline._close_figures(analysis.figures)


def test_undrawn_figures_cross_to_another_process_undrawn(monkeypatch) -> None:
    analysis = pipeline.analyse_file(project=FLA, out_dir=None)
    made = count_figures(monkeypatch)
    copy = pickle.loads(pickle.dumps(analysis.figures))
    assert made == []
    assert copy.drawn == {}
    assert sorted(copy) == sorted(analysis.figures)
    pipeline._close_figures(copy)
    pipeline._close_figures(analysis.figures)


@pytest.mark.parametrize("formats", [(), ("xlsx",)])
def test_no_figure_is_drawn_for_outputs_without_pictures(formats: tuple[str, ...], monkeypatch, tmp_path: Path) -> None:
    made = count_figures(monkeypatch)
    out = tmp_path / "out"
    analysis = pipeline.analyse_file(project=FLA, out_dir=out, formats=formats)
    assert made == []
    assert analysis.comparison is not None  # the comparison (which has a chart in a report) was made
    assert (out / "results.json").is_file()
    assert (out / "measures.xlsx").is_file() == ("xlsx" in formats)
    assert not (out / "report.html").exists()


def test_a_report_with_pictures_draws_the_timeline_once(monkeypatch, tmp_path: Path) -> None:
    calls: list[int] = []
    original = charts.anchoring_timeline

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(charts, "anchoring_timeline", counted)
    # drawn in this process, where the count is kept (not in a second one: grontur.report.background)
    monkeypatch.setattr(background.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    out = tmp_path / "out"
    pipeline.analyse_file(project=FLA, out_dir=out, formats=("html", "xlsx"))
    assert calls == [1]
    assert 'id="fig-anchoring_timeline"' in (out / "report.html").read_text(encoding="utf-8")


def test_many_municipalities_with_only_the_spreadsheet_draw_nothing(monkeypatch, tmp_path: Path) -> None:
    imported = import_survey(FLA / "baseline.csv")
    imported.table["municipality"] = "3320"
    made = count_figures(monkeypatch)
    many = pipeline.analyse_many(imported, jobs=1, formats=("xlsx",), out_dir=tmp_path / "many")
    assert list(many.results) == ["3320"]
    assert many.folders["3320"].joinpath("measures.xlsx").is_file()
    assert made == []
