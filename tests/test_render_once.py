"""Rendering does each piece of work once: a chart is drawn once, a Word style is looked up once.

The picture and the document are what they were: a chart's PNG equals matplotlib's own
``savefig`` of the same figure with its constrained layout (which draws it twice), and the Word
report's styles are the ones python-docx's own API gives.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import docx.styles.styles
from matplotlib.figure import Figure

from grontur.report import charts
from grontur.report.docx import write_docx
from grontur.report.model import Cell, Document, Heading, Section, Table
from grontur.report.model import Figure as FigureBlock

SHARES = {
    "summer": {"walk": 0.2, "bike": 0.15, "car_alone": 0.5, "car_shared": 0.1, "bus": None, "train": 0.0},
    "winter": {"walk": 0.18, "bike": None, "car_alone": 0.62, "car_shared": 0.12, "bus": 0.05, "train": 0.0},
}


def _count_draws(monkeypatch) -> list[int]:
    draws: list[int] = []
    original = Figure.draw

    def counted(self, renderer):
        draws.append(1)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return draws


def test_a_chart_is_drawn_once_and_looks_as_with_matplotlibs_layout(monkeypatch) -> None:
    import matplotlib

    reference = io.BytesIO()
    fig = charts.mode_share_chart(SHARES, lang="nn")
    charts.plain_text(fig)
    assert fig.get_layout_engine() is not None  # the charts use constrained layout
    with matplotlib.rc_context(charts._RC):
        fig.savefig(reference, format="png", dpi=charts.DPI, metadata={"Software": None}, facecolor="white")
    draws = _count_draws(monkeypatch)
    png = charts.render_png(charts.mode_share_chart(SHARES, lang="nn"))
    assert len(draws) == 1
    assert png == reference.getvalue()


def _document(tables: int) -> Document:
    png = charts.render_png(charts.bar_chart({"a": 1.0, "b": 2.0}, lang="en", xlabel_key="report.chart.respondents"))
    blocks = []
    for i in range(tables):
        blocks.append(Heading(f"Part {i}", level=3))
        blocks.append(Table(f"t{i}", f"Table {i}", ("name", "n"), tuple((Cell(f"row {j}"), Cell(str(j))) for j in range(5)),
                            (False, True)))
        blocks.append(FigureBlock(f"f{i}", f"Figure {i}", png, f"Figure {i}"))
    return Document(lang="en", title="Title", subtitle="Sub", meta=(), sections=(Section("s", "Section", tuple(blocks)),),
                    footer="Footer")


def test_docx_looks_each_style_up_once_and_never_lists_every_paragraph(monkeypatch, tmp_path: Path) -> None:
    lookups: list[str] = []
    listed: list[int] = []
    by_name = docx.styles.styles.Styles.__getitem__
    paragraphs = docx.document.Document.paragraphs

    def counted_lookup(self, key):
        lookups.append(key)
        return by_name(self, key)

    monkeypatch.setattr(docx.styles.styles.Styles, "__getitem__", counted_lookup)
    monkeypatch.setattr(docx.document.Document, "paragraphs",
                        property(lambda self: listed.append(1) or paragraphs.fget(self)))
    write_docx(_document(tables=30), tmp_path / "report.docx")
    assert listed == []
    styled = [name for name in lookups if name != "Normal"]  # Normal is set up once, by name
    assert len(styled) == len(set(styled))


def test_docx_styles_are_the_ones_python_docx_applies(tmp_path: Path) -> None:
    path = write_docx(_document(tables=2), tmp_path / "report.docx")
    word = docx.Document(str(path))
    applied = [(p.style.name, p.text) for p in word.paragraphs if p.text]
    assert ("Title", "Title") in applied and ("Heading 1", "1. Section") in applied
    assert ("Heading 2", "Part 1") in applied and ("Caption", "Table 1") in applied  # block level 3 -> Heading 2
    assert all(table.style.name == "Table Grid" for table in word.tables)
    # the same property python-docx's own API writes for a caption
    reference = docx.Document().add_paragraph("Table 1", style="Caption")._p.pPr.pStyle.val
    written = next(p for p in word.paragraphs if p.text == "Table 1")._p.pPr.pStyle.val
    assert written == reference


def test_docx_table_cells_are_the_xml_python_docx_writes() -> None:
    # the cells' runs, right alignment and widths are made directly: the XML is python-docx's own
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.xmlchemy import serialize_for_reading
    from docx.shared import Cm, Pt

    from grontur.report import docx as writer

    texts = ["12", "", " 3 %", "a\tb", "two\nlines", "æøå – 1 234", "trailing "]
    ours, theirs = docx.Document().add_table(1, len(texts)), docx.Document().add_table(1, len(texts))
    for j, text in enumerate(texts):
        paragraph = ours.rows[0].cells[j].paragraphs[0]
        writer._add_small_run(paragraph, text)
        writer._align_right(paragraph)
        reference = theirs.rows[0].cells[j].paragraphs[0]
        reference.add_run(text).font.size = Pt(9)
        reference.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    widths = [1.5 + j for j in range(len(texts))]
    writer._set_widths(ours, widths)
    theirs.autofit = False
    for row in theirs.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    ours_cells = [serialize_for_reading(tc) for tc in ours._tbl.tr_lst[0].tc_lst]
    theirs_cells = [serialize_for_reading(tc) for tc in theirs._tbl.tr_lst[0].tc_lst]
    assert ours_cells == theirs_cells
    assert 'w:val="18"' in ours_cells[0] and 'xml:space="preserve"' in ours_cells[2]


def test_a_chart_drawn_after_the_warm_up_is_the_one_drawn_first(tmp_path: Path) -> None:
    # the renderer warms matplotlib up (font, glyphs) before the results arrive; the first chart
    # of a fresh process is the same picture with or without that
    import hashlib
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    code = ("import hashlib, sys\nfrom grontur.report import charts\n"
            "if sys.argv[1] == 'warm':\n    charts.warm_up()\n"
            f"png = charts.render_png(charts.mode_share_chart({SHARES!r}, lang='nn'))\n"
            "print(hashlib.sha256(png).hexdigest())")
    env = {**os.environ, "PYTHONPATH": str(repo), "MPLBACKEND": "Agg"}
    digests = [subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, env=env, cwd=tmp_path,
                              check=True, timeout=300).stdout.strip() for how in ("cold", "warm")]
    reference = hashlib.sha256(charts.render_png(charts.mode_share_chart(SHARES, lang="nn"))).hexdigest()
    assert digests == [reference, reference]
