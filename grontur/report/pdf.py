"""Optional ``report.pdf``: the HTML report printed to A4 by headless Chromium via Playwright.

Needs the Python package ``playwright`` (in the ``test`` extra) and a system Chromium; grontur
never downloads a browser. On Debian/Ubuntu: ``apt-get install chromium`` (which brings its
fonts and libraries). The browser is looked up in ``GRONTUR_CHROMIUM`` and then in the usual
places (``/usr/bin/chromium``, ``/usr/bin/chromium-browser``, ``/usr/bin/google-chrome``).

Page furniture: every page has a footer with the report title and "Side 3 av 27" (in the
report's language, drawn by Chromium's footer template). The contents list gets its page numbers
in two passes: the page is printed once, the page each section starts on is read from the PDF's
named destinations (Chromium writes one for every element a link points to, and the contents
list links to every section), the numbers are written into the contents list of the open page,
and the page is printed again. The contents list stands alone on the cover page with room kept
for the numbers, so filling them in moves nothing; the numbers are still read back once more and
the page reprinted if any differ.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from grontur.errors import ConfigError
from grontur.i18n import LANGUAGES, t

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


#: Extra prints allowed to settle the contents list's page numbers after the first one.
_TOC_PASSES = 3
_FOOTER = (
    '<div style="width:100%;margin:0 16mm;display:flex;justify-content:space-between;'
    "font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;font-size:8pt;color:#5a5a5a;\">"
    '<span class="title"></span><span>{pages}</span></div>'
)
_FILL_TOC = """numbers => {
  let changed = false;
  for (const el of document.querySelectorAll('[data-toc-page]')) {
    const text = numbers[el.dataset.tocPage] === undefined ? '' : String(numbers[el.dataset.tocPage]);
    if (el.textContent !== text) { el.textContent = text; changed = true; }
  }
  return changed;
}"""


def footer_template(lang: str) -> str:
    """Chromium's footer for each page: the document title and "Side 3 av 27" in ``lang``."""
    marker = {"page": '<span class="pageNumber"></span>', "total": '<span class="totalPages"></span>'}
    pages = html.escape(t("report.print.page_of", lang if lang in LANGUAGES else "en")).format(**marker)
    return _FOOTER.format(pages=pages)


def _print(browser: Browser, html_path: Path, pdf_path: Path) -> Path:
    page = browser.new_page()
    try:
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        lang = str(page.evaluate("document.documentElement.lang") or "en")

        def render() -> bytes:
            return page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                            display_header_footer=True, header_template="<span></span>",
                            footer_template=footer_template(lang), outline=True, tagged=True)

        data = render()
        if page.locator("[data-toc-page]").count():
            for _ in range(_TOC_PASSES):
                if not page.evaluate(_FILL_TOC, destination_pages(data)):
                    break
                data = render()
    finally:
        page.close()
    Path(pdf_path).write_bytes(data)
    return Path(pdf_path)


def count_pages(pdf_path: Path) -> int:
    """Number of pages in a PDF written by Chromium (counts ``/Type /Page`` objects)."""
    data = Path(pdf_path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


_REF = rb"(\d+)\s+0\s+R"


def _object(data: bytes, number: int) -> bytes:
    """The text of the (non-stream) object ``number`` in ``data``, or empty."""
    found = re.search(rb"(?<![0-9])%d\s+0\s+obj\b(.*?)\bendobj" % number, data, re.DOTALL)
    return found.group(1) if found else b""


def _page_order(data: bytes, node: int, seen: set[int]) -> list[int]:
    if node in seen:
        return []
    seen.add(node)
    body = _object(data, node)
    if re.search(rb"/Type\s*/Pages\b", body):
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.DOTALL)
        refs = re.findall(_REF, kids.group(1)) if kids else []
        return [page for ref in refs for page in _page_order(data, int(ref), seen)]
    return [node] if re.search(rb"/Type\s*/Page\b", body) else []


def destination_pages(data: bytes) -> dict[str, int]:
    """The page (1-based) of each named destination in a PDF written by Chromium.

    Chromium (Skia) writes a ``/Dests`` dictionary in the catalogue that maps every link target's
    id to ``[page 0 R /XYZ ...]``, and a plain page tree. Anything else gives an empty mapping:
    the contents list then keeps its page numbers blank rather than showing wrong ones.
    """
    catalog = re.search(rb"/Type\s*/Catalog\b(.*?)endobj", data, re.DOTALL)
    if catalog is None:
        return {}
    root = re.search(rb"/Pages\s+" + _REF, catalog.group(1))
    dests_ref = re.search(rb"/Dests\s+" + _REF, catalog.group(1))
    if root is None or dests_ref is None:
        return {}
    order = {page: i for i, page in enumerate(_page_order(data, int(root.group(1)), set()), 1)}
    dests = _object(data, int(dests_ref.group(1)))
    out: dict[str, int] = {}
    for name, ref in re.findall(rb"/([^\s/\[\]<>(){}%]+)\s*\[\s*" + _REF, dests):
        text = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name).decode("utf-8", "replace")
        if int(ref) in order:
            out[text] = order[int(ref)]
    return out
