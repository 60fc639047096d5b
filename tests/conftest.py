"""Shared test settings: matplotlib without a screen, and where the real data beside the project is."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """Path to a file in ../shared/data, skipping the test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (tests read it from ../shared/data beside the project)")
    return path


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session", autouse=True)
def _session_data_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keys and release logs of runs without a project never go to the user's data folder."""
    os.environ["GRONTUR_DATA_DIR"] = str(tmp_path_factory.mktemp("grontur-data"))


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # Each test starts without pseudonym keys or release logs (grontur.keys, grontur.releases).
    monkeypatch.setenv("GRONTUR_DATA_DIR", str(tmp_path_factory.mktemp("grontur-data")))
    monkeypatch.delenv("GRONTUR_RUN_DATE", raising=False)
    os.environ.setdefault("PYTHONHASHSEED", "0")


#: The system Chromium the browser and PDF tests drive (CI installs it, see .ci/run).
CHROMIUM = "/usr/bin/chromium"


def need(what: str, ok: bool) -> None:
    """Skip a test whose tool is missing, except in CI, where .ci/run must have installed it."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI is set: .ci/run must install it")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, one per test module."""
    from grontur.report.pdf import CHROMIUM_ARGS

    need(f"Chromium ({CHROMIUM})", Path(CHROMIUM).is_file())
    sync_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield instance
        instance.close()


def count_figures(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gains an item for every matplotlib figure made in this process from now on."""
    import matplotlib.figure

    made: list[int] = []
    original = matplotlib.figure.Figure.__init__

    def counted(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "__init__", counted)
    return made
