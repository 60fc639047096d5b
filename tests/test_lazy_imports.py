"""Start-up: help and the paths that do not draw or ask load none of the heavy libraries they do not use.

Each check runs in a fresh interpreter and looks at ``sys.modules`` afterwards (not at a clock):
``grontur --help`` and every command's ``--help`` load neither pandas nor NumPy, nor
scikit-learn, matplotlib or questionary; an analysis (``import grontur.pipeline`` and a whole
``grontur analyse --format none`` or ``--format xlsx``, which shows no chart) loads no
scikit-learn (the segmenter's estimator class is made on demand), no matplotlib (nothing is
drawn) and no questionary (nothing is asked).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grontur.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "sklearn", "matplotlib", "questionary", "prompt_toolkit")
NOT_FOR_ANALYSIS = ("sklearn", "matplotlib", "questionary", "prompt_toolkit")


def _loaded(code: str, tmp_path: Path) -> list[str]:
    """Top-level packages of HEAVY that ``code`` leaves in sys.modules (fresh interpreter)."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRONTUR_DATA_DIR": str(tmp_path / "data"), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_loads_no_heavy_library(command: str, tmp_path: Path) -> None:
    argv = [command, "--help"] if command else ["--help"]
    code = f"from grontur.cli import main\nassert main({argv!r}) == 0"
    assert _loaded(code, tmp_path) == []


def test_the_analysis_modules_load_no_sklearn_matplotlib_or_questionary(tmp_path: Path) -> None:
    loaded = _loaded("import grontur.pipeline, grontur.segment, grontur.report", tmp_path)
    assert "pandas" in loaded  # the probe sees what the analysis does load
    assert not set(loaded) & set(NOT_FOR_ANALYSIS)


@pytest.mark.parametrize("fmt", ["none", "xlsx"])  # measures.xlsx shows no chart
def test_analyse_without_pictures_draws_and_asks_nothing(fmt: str, tmp_path: Path) -> None:
    survey = REPO / "surveys" / "demo" / "gol" / "baseline.csv"
    out = tmp_path / "out"
    code = ("from grontur.cli import main\n"
            f"assert main(['analyse', {str(survey)!r}, '--kommune', 'Gol', '--out', {str(out)!r}, "
            f"'--format', {fmt!r}]) == 0")
    loaded = _loaded(code, tmp_path)
    assert (out / "results.json").is_file()
    assert (out / "measures.xlsx").is_file() == (fmt == "xlsx")
    assert not set(loaded) & set(NOT_FOR_ANALYSIS)


def test_the_report_renderer_starts_before_pandas(tmp_path: Path) -> None:
    # ``grontur analyse`` forks the process that draws the report's pictures first of all, so
    # that it loads matplotlib while this one loads pandas: its module must load neither
    assert _loaded("from grontur.report.background import Renderer", tmp_path) == []


def test_the_report_renderer_builds_a_document_without_pandas(tmp_path: Path) -> None:
    # the renderer process (grontur.report.background) loads what the document reads, and none
    # of it needs pandas: it is not loaded a second time beside the analysis
    sample = REPO / "tests" / "data" / "report_results_sample.json"
    code = ("import json, pathlib\n"
            "from grontur import areas, drawn, personas\n"
            "from grontur.report import build, charts, docx\n"
            f"results = json.loads(pathlib.Path({str(sample)!r}).read_text(encoding='utf-8'))\n"
            "doc = build.build_document(results, lang='nn', charts=True)\n"
            "assert any(getattr(b, 'png', b'') for s in doc.sections for b in s.blocks)\n")
    loaded = _loaded(code, tmp_path)
    assert "matplotlib" in loaded  # the probe sees what drawing does load
    assert "pandas" not in loaded
