"""Optional ``report.pdf``: the HTML report printed to A4 by headless Chromium via Playwright.

Needs the Python package ``playwright`` (in the ``test`` extra) and a system Chromium; grontur
never downloads a browser. On Debian/Ubuntu: ``apt-get install chromium`` (which brings its
fonts and libraries). The browser is looked up in ``GRONTUR_CHROMIUM`` and then in the usual
places (``/usr/bin/chromium``, ``/usr/bin/chromium-browser``, ``/usr/bin/google-chrome``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from grontur.errors import ConfigError

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: Chromium flags: headless, no network chatter, no first-run or update work.
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def find_chromium() -> str | None:
    """Path of a system Chromium, or ``None``."""
    configured = os.environ.get("GRONTUR_CHROMIUM")
    if configured:
        if not Path(configured).is_file():
            msg = f"GRONTUR_CHROMIUM={configured} is not a file: set it to the Chromium program, or unset it."
            raise ConfigError(msg)
        return configured
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def write_pdf(html_path: Path, pdf_path: Path, *, browser: Browser | None = None) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, with backgrounds) and return ``pdf_path``.

    ``browser`` is an open Playwright browser to reuse; without one, the system Chromium is
    started for this file and closed again.
    """
    if browser is not None:
        return _print(browser, html_path, pdf_path)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        msg = "report.pdf needs the Python package playwright: pip install playwright (no browser download needed)."
        raise ConfigError(msg) from error
    chromium = find_chromium()
    if chromium is None:
        msg = "report.pdf needs Chromium: install it (apt-get install chromium) or set GRONTUR_CHROMIUM to its path."
        raise ConfigError(msg)
    from playwright.sync_api import Error as PlaywrightError

    with sync_playwright() as p:
        try:
            started = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            msg = (f"Chromium at {chromium} did not start ({first}); check that it runs, set GRONTUR_CHROMIUM "
                   "to a working Chromium, or leave out --format pdf.")
            raise ConfigError(msg) from None
        try:
            return _print(started, html_path, pdf_path)
        finally:
            started.close()


def _print(browser: Browser, html_path: Path, pdf_path: Path) -> Path:
    page = browser.new_page()
    try:
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        page.close()
    return Path(pdf_path)


def count_pages(pdf_path: Path) -> int:
    """Number of pages in a PDF written by Chromium (counts ``/Type /Page`` objects)."""
    data = Path(pdf_path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))
