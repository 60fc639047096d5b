"""Print and Word layout: page numbers, contents lists, heading styles, table widths, full pages.

The DOCX tests read report.docx with python-docx and its XML. The PDF tests print report.html
with the system Chromium (skipped without it, failing in CI like tests/test_browser.py) and read
the pages back with poppler's pdfinfo and pdftotext.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm

from grontur.i18n import t
from grontur.report import write_outputs
from grontur.report.build import build_document
from grontur.report.docx import column_widths
from grontur.report.pdf import destination_pages, footer_template
from tests.conftest import need

SAMPLE = Path(__file__).resolve().parent / "data" / "report_results_sample.json"
A4_TEXT_WIDTH = Cm(21.0 - 2 * 2.0)


def _results() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


# --- DOCX -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("print-docx")
    write_outputs(_results(), out_dir=out, lang="nn", formats=("docx",))
    return out / "report.docx"


def test_docx_section_and_sub_headings_are_word_heading_styles(word):
    document = docx.Document(str(word))
    sections = build_document(_results(), lang="nn").sections
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.style_id, []).append(paragraph.text)
    # the built-in style ids, which Word's navigation pane and contents field list
    assert by_style["Heading1"] == [f"{i}. {s.title}" for i, s in enumerate(sections, 1)]
    assert len(by_style["Heading2"]) >= 5


def _measures_table(document):
    reasons = t("report.col.reasons", "nn")
    found = [table for table in document.tables if reasons in [c.text for c in table.rows[0].cells]]
    assert len(found) == 1
    return found[0], [c.text for c in found[0].rows[0].cells].index(reasons)


def test_docx_measures_table_has_fixed_widths_with_the_reasons_column_widest(word):
    table, reasons = _measures_table(docx.Document(str(word)))
    tbl = table._tbl
    assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    grid = [int(col.get(qn("w:w"))) for col in tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(grid) == 7 and all(w > 0 for w in grid)
    assert len(set(grid)) > 2, "columns of equal width"
    assert grid[reasons] == max(grid) > sorted(grid)[-2]
    assert grid[reasons] >= 0.35 * A4_TEXT_WIDTH.twips
    assert sum(grid) <= A4_TEXT_WIDTH.twips + 7  # rounding of seven columns
    rank = [c.text for c in table.rows[0].cells].index(t("report.col.rank", "nn"))
    assert grid[rank] == min(grid)
    for row in tbl.tr_lst:
        widths = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in row.tc_lst]
        assert [round(w) for w in widths] == grid
    header = tbl.tr_lst[0].trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) in ("true", "1", None)


def _instructions(xml: bytes) -> list[str]:
    return [m.strip() for m in re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", xml.decode("utf-8"))]


def test_docx_footer_numbers_pages_and_a_contents_field_follows_the_title(word):
    with zipfile.ZipFile(word) as archive:
        names = archive.namelist()
        footers = [n for n in names if re.fullmatch(r"word/footer\d*\.xml", n)]
        footer_fields = [f for n in footers for f in _instructions(archive.read(n))]
        body = archive.read("word/document.xml")
        settings = archive.read("word/settings.xml").decode("utf-8")
    assert "PAGE" in footer_fields and "NUMPAGES" in footer_fields
    document = docx.Document(str(word))
    footer_text = "".join(p.text for p in document.sections[0].footer.paragraphs)
    assert footer_text.startswith("Side 1 av 1")  # the fields' last results until Word counts
    body_fields = _instructions(body)
    assert body_fields and body_fields[0].startswith('TOC \\o "1-')
    # the contents field sits after the title and before the first section heading
    text = body.decode("utf-8")
    assert text.index("Title") < text.index("TOC \\o") < text.index("Heading1")
    assert re.search(r'<w:updateFields w:val="(true|1)"/>', settings)


def test_column_widths_keep_numbers_narrow_and_give_running_text_the_room():
    reasons = "Mange bur nær jobb og svarte at dei kan tenkje seg å sykle om vegen var tryggare. " * 3
    widths = column_widths(
        ("Nr.", "Tiltak", "Grunngjeving", "Effekt", "Kostnad"),
        [("1", "Samkøyring mellom kollegaer", reasons, "5–15 %", "Låg"),
         ("10", "Sykkelparkering", reasons[:150], "10–25 %", "Middels")],
        (True, False, False, True, False),
    )
    assert sum(widths) == pytest.approx(17.0)
    assert max(widths) == widths[2] and widths[2] >= 0.4 * 17.0
    # "Nr." and "10" need three characters; "10–25 %" seven: a number column is no wider
    assert widths[0] < 1.2 and widths[3] < 2.0
    assert widths[1] > widths[3]


def test_short_tables_are_no_wider_than_their_text():
    widths = column_widths(("Svar", "Personar"), [("Ja", "12"), ("Nei", "8")], (False, True))
    assert sum(widths) < 5.0


# --- PDF --------------------------------------------------------------------------------------


def test_destinations_are_read_through_a_nested_page_tree():
    """Pages are numbered in page-tree order, not object order; #xx escapes in names are decoded."""
    pdf = b"""%PDF-1.4
1 0 obj
<</Type /Catalog /Pages 2 0 R /Dests 9 0 R>>
endobj
2 0 obj
<</Type /Pages /Kids [3 0 R 4 0 R] /Count 3>>
endobj
3 0 obj
<</Type /Pages /Kids [6 0 R 5 0 R] /Count 2>>
endobj
4 0 obj
<</Type /Page /Parent 2 0 R>>
endobj
5 0 obj
<</Type /Page /Parent 3 0 R>>
endobj
6 0 obj
<</Type /Page /Parent 3 0 R>>
endobj
9 0 obj
<</summary [5 0 R /XYZ 0 817 0]
/anchor#2Dplan [4 0 R /XYZ 0 817 0]
/cover [6 0 R /XYZ 0 817 0]>>
endobj
"""
    assert destination_pages(pdf) == {"cover": 1, "summary": 2, "anchor-plan": 3}
    assert destination_pages(pdf.replace(b" /Dests 9 0 R", b"")) == {}


def test_the_page_footer_counts_pages_in_the_report_language():
    assert 'Side <span class="pageNumber"></span> av <span class="totalPages"></span>' in footer_template("nn")
    assert 'Page <span class="pageNumber"></span> of <span class="totalPages"></span>' in footer_template("en")
    assert '<span class="title"></span>' in footer_template("nb")


def _pages(pdf: Path) -> list[str]:
    need("pdfinfo, pdftotext and pdfimages (poppler-utils)",
         all(shutil.which(tool) for tool in ("pdfinfo", "pdftotext", "pdfimages")))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert pages[-1].strip() == ""
    assert len(pages) - 1 == count
    return pages[:-1]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_pdf_pages_are_numbered_and_the_contents_list_gives_each_sections_page(browser, tmp_path, lang):
    from grontur.report.pdf import write_pdf

    results = _results()
    write_outputs(results, out_dir=tmp_path, lang=lang, formats=("html",))
    pages = _pages(write_pdf(tmp_path / "report.html", tmp_path / "report.pdf", browser=browser))
    total = len(pages)
    assert total >= 5
    for number, text in enumerate(pages, 1):
        assert t("report.print.page_of", lang, page=number, total=total) in text, f"page {number}"
    sections = build_document(results, lang=lang).sections
    contents = pages[0].split(t("report.toc", lang), 1)[1]
    for i, section in enumerate(sections, 1):
        # the page where the numbered heading is printed, found in the text of the pages
        starts = [n for n, text in enumerate(pages[1:], 2) if re.search(rf"^\s*{i}\. {re.escape(section.title)}\s*$", text, re.MULTILINE)]
        assert starts, f"heading {i}. {section.title} not found"
        listed = re.search(rf"{i}\. {re.escape(section.title)}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert listed is not None, f"{section.title} has no page number in the contents list"
        assert int(listed.group(1)) == starts[0]


def _body_lines(page: str) -> int:
    """Lines with text on a page, not counting the footer line with the page number."""
    return sum(1 for line in page.splitlines() if line.strip() and not re.search(r"\b\d+ (av|of) \d+\s*$", line))


@pytest.mark.browser
def test_pdf_has_no_near_empty_page(browser, tmp_path):
    """Every page but the last carries at least a tenth of the content of the fullest page.

    Content is the lines of text plus the charts and maps: a chart counts as the lines of text
    its height would hold (the fullest page's lines over the 10 inches of an A4 text block).
    """
    from grontur.report.pdf import write_pdf

    write_outputs(_results(), out_dir=tmp_path, lang="nn", formats=("html",))
    pdf = write_pdf(tmp_path / "report.html", tmp_path / "report.pdf", browser=browser)
    pages = _pages(pdf)
    lines = [_body_lines(page) for page in pages]
    full = max(lines)
    inches = _image_inches(pdf, len(pages))
    content = [n + inches[i] * full / 10.0 for i, n in enumerate(lines)]
    thin = [(number, n) for number, n in enumerate(content[:-1], 1) if n < 0.1 * full]
    assert not thin, f"near-empty pages (page, content) with {full} lines on the fullest page: {thin}"


def _image_inches(pdf: Path, n_pages: int) -> list[float]:
    """The height in inches of the images (charts, maps) on each page, from pdfimages -list."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    heights = [0.0] * n_pages
    for row in listing.splitlines()[2:]:
        cols = row.split()
        if len(cols) >= 13 and cols[0].isdigit():
            page, height, y_ppi = int(cols[0]), float(cols[4]), float(cols[12])
            if y_ppi > 0:
                heights[page - 1] += height / y_ppi
    return heights
