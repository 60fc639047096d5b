"""Editable Word report: real headings, tables with a header row, figures, same content as HTML."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell, _Row

from grontur.report._text import without_control_characters
from grontur.report._zip import normalise_zip
from grontur.report.model import (
    BulletList,
    Cards,
    Document,
    Figure,
    Heading,
    KeyFigures,
    Paragraph,
    Table,
)

_MUTED = RGBColor(0x5A, 0x5A, 0x5A)
_LANG_TAG = {"nn": "nn-NO", "nb": "nb-NO", "en": "en-GB"}


def write_docx(doc: Document, path: Path, *, generated: str | None = None) -> Path:
    """Write ``doc`` as ``report.docx`` (A4, styles Heading 1-3, Table Grid tables)."""
    doc = without_control_characters(doc)
    word = docx.Document()
    _setup(word, doc, generated)
    word.add_heading(doc.title, level=0)
    sub = word.add_paragraph(doc.subtitle)
    sub.runs[0].italic = True
    for line in doc.meta:
        p = word.add_paragraph(line)
        p.runs[0].font.color.rgb = _MUTED
    for number, section in enumerate(doc.sections, 1):
        word.add_heading(f"{number}. {section.title}", level=1)
        for block in section.blocks:
            _add_block(word, block)
    footer = word.sections[0].footer.paragraphs[0]
    footer.text = doc.footer
    footer.runs[0].font.size = Pt(8)
    word.save(str(path))
    return normalise_zip(path, stamp=generated)


def _setup(word: docx.document.Document, doc: Document, generated: str | None) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = word.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), _LANG_TAG[doc.lang])
    rpr.append(lang)
    props = word.core_properties
    props.title = doc.title
    props.subject = doc.subtitle
    props.author = "grontur"
    props.last_modified_by = "grontur"
    props.language = _LANG_TAG[doc.lang]
    stamp = _stamp(generated)
    props.created = stamp
    props.modified = stamp
    props.revision = 1


def _stamp(generated: str | None) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(str(generated)[:10])
    except (TypeError, ValueError):
        day = dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _add_block(word: docx.document.Document, block: object) -> None:
    if isinstance(block, Paragraph):
        p = word.add_paragraph(block.text)
        if block.kind in {"missing", "note"}:
            p.runs[0].italic = True
            p.runs[0].font.color.rgb = _MUTED
    elif isinstance(block, Heading):
        word.add_heading(block.text, level=min(block.level - 1, 3))
    elif isinstance(block, BulletList):
        style = "List Number" if block.ordered else "List Bullet"
        for item in block.items:
            word.add_paragraph(item, style=style)
    elif isinstance(block, KeyFigures):
        table = word.add_table(rows=len(block.items), cols=2)
        table.style = "Light List Accent 1"
        for row, figure in zip(table.rows, block.items, strict=True):
            row.cells[0].text = figure.label
            row.cells[1].text = figure.value
            row.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            row.cells[1].paragraphs[0].runs[0].bold = True
        word.add_paragraph()
    elif isinstance(block, Table):
        _add_table(word, block)
    elif isinstance(block, Figure):
        word.add_picture(io.BytesIO(block.png), width=Cm(16))
        word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap = word.add_paragraph(block.caption, style="Caption")
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif isinstance(block, Cards):
        for card in block.cards:
            word.add_heading(card.title, level=3)
            sub = word.add_paragraph(card.subtitle)
            sub.runs[0].italic = True
            if card.text:
                word.add_paragraph(card.text)
            for label, value in card.facts:
                p = word.add_paragraph(style="List Bullet")
                p.add_run(f"{label}: ").bold = True
                p.add_run(value)
    else:
        msg = f"unknown report block {type(block).__name__}"
        raise TypeError(msg)


def _add_table(word: docx.document.Document, block: Table) -> None:
    cap = word.add_paragraph(block.caption, style="Caption")
    cap.paragraph_format.keep_with_next = True
    table = word.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    numeric = block.numeric or (False,) * len(block.header)
    rows = table.rows  # python-docx rebuilds these lists on every access: read them once
    header_cells = rows[0].cells
    for cell, text in zip(header_cells, block.header, strict=True):
        cell.text = text
        run = cell.paragraphs[0].runs[0]
        run.bold = True
        run.font.size = Pt(9)
        _shade(cell, "DCEAF4")
    _repeat_header(rows[0])
    for row_obj, row in zip(rows[1:], block.rows, strict=True):
        for j, (cell, c) in enumerate(zip(row_obj.cells, row, strict=True)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(c.text)
            run.font.size = Pt(9)
            if numeric[j]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if block.note:
        p = word.add_paragraph(block.note)
        p.runs[0].italic = True
        p.runs[0].font.size = Pt(8)
        p.runs[0].font.color.rgb = _MUTED
    else:
        word.add_paragraph()


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _repeat_header(row: _Row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
