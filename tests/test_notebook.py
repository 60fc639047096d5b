"""The analysis notebook: a parameters cell, library calls only, and a run on the demo data."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "kommuneanalyse.ipynb"


def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(str(NOTEBOOK), as_version=4)


def test_parameters_cell_is_tagged_and_complete():
    cells = [c for c in _notebook().cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    names = {node.targets[0].id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign)}
    assert names == {"municipality", "survey", "followup", "lang", "out_dir", "k", "context", "weights"}


def test_parameters_are_visible_to_papermill():
    papermill = pytest.importorskip("papermill")
    assert list(papermill.inspect_notebook(str(NOTEBOOK))) == ["municipality", "survey", "followup", "lang", "out_dir",
                                                               "k", "context", "weights"]


def test_notebook_calls_the_library_only():
    allowed = {"grontur", "IPython", "pathlib"}
    for cell in _notebook().cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                assert {a.name.split(".")[0] for a in node.names} <= allowed
            elif isinstance(node, ast.ImportFrom):
                assert node.module.split(".")[0] in allowed
            # no analysis in the notebook: no pandas/numpy work, no file reading
            assert not (isinstance(node, ast.Name) and node.id in {"pd", "np", "open"})


def _pipeline_ready() -> str | None:
    if importlib.util.find_spec("papermill") is None:
        return "papermill is not installed (grontur[notebook])"
    if importlib.util.find_spec("grontur.pipeline") is None:
        return "grontur.pipeline does not exist yet"
    from grontur import pipeline

    for name in ("analyse_file", "demo_projects"):
        if not hasattr(pipeline, name):
            return f"grontur.pipeline.{name} does not exist yet"
    return None


@pytest.mark.slow
def test_notebook_runs_on_the_demo_data(tmp_path):
    reason = _pipeline_ready()
    if reason:
        pytest.skip(reason)
    from grontur.commands.notebook import run_notebook

    executed = run_notebook(municipality="Gol", out=tmp_path, lang="nb")
    assert executed == tmp_path / "kommuneanalyse-gol.ipynb"
    nb = nbformat.read(str(executed), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5  # mode shares, barriers, wishes, emissions, scenarios, timeline ...
    markdown = " ".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    assert "Reisevaner sommer og vinter" in markdown  # bokmål section title from the catalogue
    assert "Hvordan de ansatte reiser til jobb om sommeren" in markdown  # the narrative between steps
    # the ranking control is an ipywidgets widget
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    html = " ".join(o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    for name in ("report.html", "report.docx", "measures.xlsx", "results.json"):
        assert (tmp_path / name).is_file()
    # the same figures as `grontur demo` for the same municipality: shares, ranking, pilot evidence
    import json

    from grontur.pipeline import run_demo

    run_demo(tmp_path / "demo", formats=())
    mine = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    demo = json.loads((tmp_path / "demo" / "gol" / "results.json").read_text(encoding="utf-8"))
    assert mine["mode_share"] == demo["mode_share"]
    assert mine["bases"] == demo["bases"]
    assert [(m["id"], m["effect"]["central"]) for m in mine["measures"]] == \
        [(m["id"], m["effect"]["central"]) for m in demo["measures"]]
    assert mine["comparison"]["pilots"] == demo["comparison"]["pilots"]
    # every measure's reasons in full, none cut short
    from grontur.notebook import ranking_frame

    reasons = ranking_frame(mine, "nb")["Begrunnelse"]
    assert len(reasons) == len(mine["measures"])
    import html as html_module

    assert all(html_module.escape(text) in html for text in reasons)


def test_other_weights_reorder_the_ranking_from_its_score_parts():
    from grontur.notebook import current_weights, reweighted_ranking

    results = {"measures": [
        {"id": "a", "rank": 1, "name": "A", "score": 70.0, "score_parts": {"trips": 1.0, "tonnes": 1.0, "match": 0.5, "cost": 0.0, "time": 0.5}},
        {"id": "b", "rank": 2, "name": "B", "score": 40.0, "score_parts": {"trips": 0.0, "tonnes": 0.0, "match": 0.5, "cost": 1.0, "time": 0.5}},
    ]}
    # all weight on cost: B (cost 1.0) scores 100, A (cost 0.0) scores 0
    frame = reweighted_ranking(results, {"trips": 0, "tonnes": 0, "match": 0, "cost": 1, "time": 0}, "en")
    assert frame.to_dict("records") == [
        {"New rank": 1, "Rank now": 2, "Moved (places up)": 1, "Measure": "B", "Score": 100.0},
        {"New rank": 2, "Rank now": 1, "Moved (places up)": -1, "Measure": "A", "Score": 0.0},
    ]
    assert current_weights({"score": {"cost": 0.5}})["cost"] == 0.5


def test_the_weights_widget_redraws_the_ranking_when_a_slider_moves():
    pytest.importorskip("ipywidgets")
    from grontur.notebook import weights_widget

    results = {"measures": [
        {"id": "a", "rank": 1, "name": "A", "score": 70.0, "score_parts": {"trips": 1.0, "tonnes": 1.0, "match": 0.5, "cost": 0.0, "time": 0.5}},
        {"id": "b", "rank": 2, "name": "B", "score": 40.0, "score_parts": {"trips": 0.0, "tonnes": 0.0, "match": 0.5, "cost": 1.0, "time": 0.5}},
    ]}
    box = weights_widget(results, "en")
    *sliders, _output = box.children
    assert [s.description for s in sliders] == ["Fewer car trips", "Lower emissions", "Answers what employees say", "Low cost", "Quick effect"]
    for slider in sliders[:3] + sliders[4:]:
        slider.value = 0.0
    sliders[3].value = 1.0
    # B first, was second, moved up one place
    assert box.ranking.iloc[0].tolist() == [1, 2, 1, "B", 100.0]
    # the output area under the sliders holds that ranking, and only it
    assert len(_output.outputs) == 1
    shown = _output.outputs[0]["data"]["text/plain"]
    assert shown.index("B") < shown.index("A")
    sliders[3].value = 0.0
    sliders[0].value = 1.0
    assert box.ranking["Measure"].tolist() == ["A", "B"]
