"""report.pdf: a Chromium that is missing or does not start is a user error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from grontur.errors import ConfigError
from grontur.report import pdf


def test_a_configured_chromium_that_is_not_there_is_named(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRONTUR_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(ConfigError, match="GRONTUR_CHROMIUM=.*no-such-chromium is not a file"):
        pdf.find_chromium()


def test_a_chromium_that_does_not_start_is_a_config_error(monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="report.pdf needs playwright (the test extra)")
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setenv("GRONTUR_CHROMIUM", str(broken))
    html = tmp_path / "report.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ConfigError, match="did not start"):
        pdf.write_pdf(html, tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
