"""A wheel built from the repository carries surveys/, measures/ and notebooks/ and runs the demo.

The wheel goes into a fresh virtual environment outside the checkout. To keep the suite fast the
new environment borrows the already installed third-party dependencies through a plain path entry
(which does not run the checkout's editable-install hook), so ``grontur`` itself can only come
from the wheel; the test checks that it does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0 and "No module named" in result.stderr and "hatchling" in result.stderr:
        result = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
            check=False, capture_output=True, text=True, timeout=600,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = dist.glob("grontur-*.whl")
    return built


def test_wheel_contains_the_shipped_knowledge(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "grontur/_data/surveys/standard/questionnaire.yaml" in names
    assert any(n.startswith("grontur/_data/measures/catalogue/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("grontur/_data/surveys/demo/") for n in names)
    assert "grontur/_data/notebooks/kommuneanalyse.ipynb" in names
    assert {"grontur/schemas/results.schema.json", "grontur/schemas/comparison.schema.json"} <= names
    assert any(n.startswith("grontur/locale/") for n in names)


def test_wheel_marks_the_package_as_typed(wheel):
    # PEP 561: without py.typed, type checkers ignore grontur's annotations in projects that use it.
    assert "grontur/py.typed" in zipfile.ZipFile(wheel).namelist()


def test_wheel_runs_demo_in_fresh_environment(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # Install the wheel's files only (dependencies are borrowed, see the module docstring).
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, timeout=300)
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.check_output([str(python), "-c", "import grontur; print(grontur.__file__)"],
                                    text=True, cwd=work, env=env).strip()
    assert where.startswith(str(site)), f"grontur was imported from {where}, not from the wheel"
    result = subprocess.run([str(python), "-m", "grontur", "demo", "--out", str(work / "demo"), "--format", "html"],
                            check=False, capture_output=True, text=True, cwd=work, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / "demo" / "index.html").is_file()
    assert len(list((work / "demo").glob("*/report.html"))) == 6
