"""The reports seen in a real browser: headless Chromium opens each language's report.html.

Uses the system Chromium (``/usr/bin/chromium``) through Playwright's Python API; no browser is
ever downloaded. Without Chromium the tests skip, except in CI (``CI`` set), where they fail.
The PDF test prints report.html to A4 and renders the pages to images with ``pdftoppm``
(poppler-utils).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grontur.report import write_network_overview, write_outputs
from grontur.report.pdf import count_pages
from tests.conftest import need

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "report_results_sample.json"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    root = tmp_path_factory.mktemp("browser")
    out = {}
    for lang in ("nn", "nb", "en"):
        folder = root / lang
        write_outputs(results, out_dir=folder, lang=lang, formats=("html",))
        out[lang] = folder / "report.html"
    out["index"] = write_network_overview([results], out_dir=root, lang="nn")
    return out


def _non_white_share(png: bytes) -> float:
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return float((grey < 245).mean())


@pytest.mark.parametrize("name", ["nn", "nb", "en", "index"])
def test_report_renders_without_errors(browser, reports, name, tmp_path):
    page = browser.new_page(viewport={"width": 1100, "height": 1500})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(reports[name].resolve().as_uri(), wait_until="load")
    shot = page.screenshot(full_page=True)
    (tmp_path / f"{name}.png").write_bytes(shot)
    images = page.evaluate("Array.from(document.images).map(i => [i.naturalWidth, i.complete])")
    title = page.title()
    lang = page.evaluate("document.documentElement.lang")
    page.close()
    assert not errors and not failed
    share = _non_white_share(shot)
    assert share > 0.03, f"page looks blank ({share:.1%} non-white pixels)"
    if name != "index":
        assert len(images) >= 5
    assert all(width > 0 and complete for width, complete in images), images
    assert title and lang == ("nn" if name == "index" else name)


def test_pdf_prints_to_a4_pages_that_render(browser, reports, tmp_path):
    from grontur.report.pdf import write_pdf

    pdf = write_pdf(reports["nn"], tmp_path / "report.pdf", browser=browser)
    pages = count_pages(pdf)
    assert 8 <= pages <= 60
    need("pdftoppm and pdfinfo (poppler-utils)", shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None)
    info = dict(line.split(":", 1) for line in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines() if ":" in line)
    assert int(info["Pages"]) == pages
    assert "(A4)" in info["Page size"]
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == 3
    assert all(_non_white_share(p.read_bytes()) > 0.01 for p in rendered)
