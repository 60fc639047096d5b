"""Editable Word report: real headings, tables with a header row, figures, same content as HTML.

Print layout: Word heading styles (Heading 1-3, so the navigation pane and the contents list
work), a contents field after the title that Word fills in on opening (``w:updateFields`` in
the settings), "Side 3 av 27" in the footer (PAGE and NUMPAGES fields), and tables with fixed
column widths sized from their content (:func:`column_widths`): numbers narrow, long text such
as a measure's reasons wide; header rows repeat on every page a table runs over.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run

from grontur.i18n import t
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
#: A4 width less the 2 cm margins on either side.
TEXT_WIDTH_CM = 17.0
#: Heading levels listed in the contents field.
TOC_LEVELS = "1-2"
#: Table text is 9 pt: about 0.17 cm per character on average, plus the cell's inner margins.
_CHAR_CM, _PAD_CM = 0.17, 0.4
#: A text column is never made wider than this just to keep its longest word on one line.
_LONG_WORD_CM = 2.6
#: A text column averaging this many characters a cell is running text and gets at least
#: ``_PROSE_SHARE`` of the table's width.
_PROSE_CHARS, _PROSE_SHARE = 80, 0.4
#: Rows with more text than this may break across pages (a long row kept whole leaves a gap).
_KEEP_ROW_CHARS = 400


class _Styles:
    """The document and each style the report applies, looked up once.

    python-docx finds a style by its name, and then whether it is the default of its type, by
    walking every style of the document each time a paragraph or table is given one (some 140
    times a report, most of the time spent writing it). Here each name is looked up once and its
    id written into the paragraph's or table's properties, the same XML python-docx writes.
    """

    def __init__(self, word: docx.document.Document) -> None:
        self.word = word
        self._ids: dict[str, str | None] = {}

    def _id(self, name: str) -> str | None:
        if name not in self._ids:
            style = self.word.styles[name]
            default = self.word.styles.default(style.type)
            self._ids[name] = None if default is not None and style.style_id == default.style_id else style.style_id
        return self._ids[name]

    def paragraph(self, text: str = "", style: str | None = None) -> WordParagraph:
        paragraph = self.word.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self._id(style)
        return paragraph

    def heading(self, text: str, level: int) -> WordParagraph:
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def table(self, rows: int, cols: int, style: str) -> docx.table.Table:
        table = self.word.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = self._id(style)
        return table


def write_report_docx(doc: Document, results: Mapping[str, Any], path: Path) -> Path:
    """Write ``doc``, the report of ``results``, to ``path`` (dated by ``results["generated"]``)."""
    return write_docx(doc, path, generated=results.get("generated"))


def write_docx(doc: Document, path: Path, *, generated: str | None = None) -> Path:
    """Write ``doc`` as ``report.docx`` (A4, styles Heading 1-3, Table Grid tables)."""
    doc = without_control_characters(doc)
    word = docx.Document()
    styles = _Styles(word)
    _setup(word, doc, generated)
    styles.heading(doc.title, level=0)
    sub = word.add_paragraph(doc.subtitle)
    sub.runs[0].italic = True
    for line in doc.meta:
        p = word.add_paragraph(line)
        p.runs[0].font.color.rgb = _MUTED
    _add_contents(styles, doc.lang)
    for number, section in enumerate(doc.sections, 1):
        styles.heading(f"{number}. {section.title}", level=1)
        for block in section.blocks:
            _add_block(styles, block)
    _add_footer(word, doc)
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


def _add_contents(styles: _Styles, lang: str) -> None:
    """The contents list as a TOC field; Word fills it in when it opens the file."""
    word = styles.word
    styles.paragraph(t("report.toc", lang), style="TOC Heading")
    paragraph = word.add_paragraph()
    shown = _add_field(paragraph, f'TOC \\o "{TOC_LEVELS}" \\h \\z \\u', t("report.print.toc_update", lang))
    shown.italic = True
    shown.font.color.rgb = _MUTED
    paragraph.add_run().add_break(WD_BREAK.PAGE)
    settings = word.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    later = {"hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
             "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
             "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType",
             "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator"}
    successor = next((child for child in settings if str(child.tag).rsplit("}", 1)[-1] in later), None)
    if successor is None:
        settings.append(update)
    else:
        successor.addprevious(update)


def _add_footer(word: docx.document.Document, doc: Document) -> None:
    """Footer: "Side 3 av 27" (PAGE and NUMPAGES fields) above the report's closing note."""
    footer = word.sections[0].footer
    pages = footer.paragraphs[0]
    pages.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    text = t("report.print.page_of", doc.lang)
    fields = {"{page}": "PAGE", "{total}": "NUMPAGES"}
    for piece in re.split(r"(\{page\}|\{total\})", text):
        if piece in fields:
            _add_field(pages, fields[piece], "1")
        elif piece:
            pages.add_run(piece)
    for run in pages.runs:
        run.font.size = Pt(8)
    note = footer.add_paragraph(doc.footer)
    note.runs[0].font.size = Pt(8)
    note.runs[0].font.color.rgb = _MUTED


def _add_field(paragraph: WordParagraph, instruction: str, shown: str) -> Run:
    """A complex field (begin, instruction, separate, ``shown`` as its last result, end).

    Marked dirty, so Word computes it when the file is opened; returns the run of ``shown``.
    """
    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        paragraph.add_run()._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    result = paragraph.add_run(shown)
    char("end")
    return result


def _stamp(generated: str | None) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(str(generated)[:10])
    except (TypeError, ValueError):
        day = dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _add_block(styles: _Styles, block: object) -> None:
    word = styles.word
    if isinstance(block, Paragraph):
        p = word.add_paragraph(block.text)
        if block.kind in {"missing", "note"}:
            p.runs[0].italic = True
            p.runs[0].font.color.rgb = _MUTED
    elif isinstance(block, Heading):
        styles.heading(block.text, level=min(block.level - 1, 3))
    elif isinstance(block, BulletList):
        style = "List Number" if block.ordered else "List Bullet"
        for item in block.items:
            styles.paragraph(item, style=style)
    elif isinstance(block, KeyFigures):
        table = styles.table(len(block.items), 2, "Light List Accent 1")
        for row, figure in zip(table.rows, block.items, strict=True):
            row.cells[0].text = figure.label
            row.cells[1].text = figure.value
            row.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            row.cells[1].paragraphs[0].runs[0].bold = True
        pairs = [(figure.label, figure.value) for figure in block.items]
        _set_widths(table, column_widths(("", ""), pairs, (False, True), total_cm=TEXT_WIDTH_CM * 0.75))
        word.add_paragraph()
    elif isinstance(block, Table):
        _add_table(styles, block)
    elif isinstance(block, Figure):
        # (word.paragraphs[-1] would list every paragraph of the document for each figure)
        picture = word.add_paragraph()
        picture.add_run().add_picture(io.BytesIO(block.png), width=Cm(16))
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True  # the caption stays with its picture
        cap = styles.paragraph(block.caption, style="Caption")
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif isinstance(block, Cards):
        for card in block.cards:
            styles.heading(card.title, level=3)
            sub = word.add_paragraph(card.subtitle)
            sub.runs[0].italic = True
            if card.text:
                word.add_paragraph(card.text)
            for label, value in card.facts:
                p = styles.paragraph(style="List Bullet")
                p.add_run(f"{label}: ").bold = True
                p.add_run(value)
    else:
        msg = f"unknown report block {type(block).__name__}"
        raise TypeError(msg)


def column_widths(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool],
                  total_cm: float = TEXT_WIDTH_CM) -> list[float]:
    """Column widths in cm, at most ``total_cm`` in all: numbers narrow, running text wide.

    A numeric column gets the width of its longest cell (or header word) and no more. A text
    column gets at least its longest word (up to about 13 characters; a longer word may break),
    and a column of running text (on average :data:`_PROSE_CHARS` characters or more, such as a
    measure's reasons) at least :data:`_PROSE_SHARE` of the width. What is left goes to the text
    columns in proportion to their average text length, none wider than its longest text on one
    line. If the least widths do not fit, the text columns give way first.
    """
    columns = [[str(h), *(str(row[j]) for row in rows)] for j, h in enumerate(header)]
    flags = list(numeric) or [False] * len(columns)
    least: list[float] = []
    most: list[float] = []
    weight: list[float] = []
    for j, texts in enumerate(columns):
        header_word = max((len(w) for w in texts[0].split()), default=0)
        body = texts[1:]
        if flags[j]:
            least.append(max([header_word, *(len(text) for text in body)]) * _CHAR_CM + _PAD_CM)
        else:
            longest_word = max([header_word, *(len(w) for text in body for w in text.split())])
            least.append(min(longest_word * _CHAR_CM + _PAD_CM, _LONG_WORD_CM))
        most.append(max(least[-1], max(len(text) for text in texts) * _CHAR_CM + _PAD_CM))
        mean = sum(len(text) for text in body) / len(body) if body else float(len(texts[0]))
        weight.append(mean + 1.0)
        if not flags[j] and mean >= _PROSE_CHARS:
            least[-1] = max(least[-1], _PROSE_SHARE * total_cm)
    text = [j for j, flag in enumerate(flags) if not flag]
    numbers = sum(least[j] for j, flag in enumerate(flags) if flag)
    prose = [j for j in text if least[j] >= _PROSE_SHARE * total_cm]
    others = [j for j in text if j not in prose]
    if sum(least) > total_cm and others:
        # the short text columns give way before running text
        room = max(total_cm - numbers - sum(least[j] for j in prose), 0.0)
        squeeze = min(1.0, room / sum(least[j] for j in others))
        for j in others:
            least[j] *= squeeze
    if sum(least) > total_cm and text:
        room = max(total_cm - numbers, 0.0)
        squeeze = room / sum(least[j] for j in text)
        for j in text:
            least[j] *= squeeze
    if sum(least) > total_cm:
        return [w * total_cm / sum(least) for w in least]
    widths = list(least)
    growing = [j for j in text if widths[j] < most[j]]
    while growing:
        spare = total_cm - sum(widths)
        if spare <= 1e-6:
            break
        share = sum(weight[j] for j in growing)
        full = [j for j in growing if widths[j] + spare * weight[j] / share >= most[j]]
        if not full:
            for j in growing:
                widths[j] += spare * weight[j] / share
            break
        for j in full:
            widths[j] = most[j]
        growing = [j for j in growing if j not in full]
    return widths  # narrower than total_cm when every text fits on one line


def _set_widths(table: docx.table.Table, widths_cm: list[float]) -> None:
    """Fixed layout with the same widths in the grid (``w:gridCol``) and in every cell (``w:tcW``)."""
    table.autofit = False
    widths = [Cm(w) for w in widths_cm]
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(int(Emu(w).twips) for w in widths)))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    # ``cell.width = width`` for every cell, on the cell elements (python-docx's cells walk the
    # grid for every row): the width (``w:tcW``) add_table gave each cell is set anew
    twips = [str(int(Emu(w).twips)) for w in widths]
    for row in table.rows:
        for tc, width, w in zip(row._tr.tc_lst, widths, twips, strict=True):
            tc_pr = tc.tcPr
            tc_w = tc_pr.tcW if tc_pr is not None else None
            if tc_w is None:
                tc.width = width
                continue
            tc_w.set(qn("w:type"), "dxa")
            tc_w.set(qn("w:w"), w)


#: The 9-point size of table text, as ``w:sz`` writes it (half points).
_TABLE_TEXT_SIZE = "18"
_RUN_BREAKS = frozenset("\t\r\n")


def _add_small_run(paragraph: WordParagraph, text: str) -> None:
    """``paragraph.add_run(text).font.size = Pt(9)``: the same XML, made directly.

    python-docx looks up where each element goes and reads the text one character at a time (a
    tab or line break becomes an element of its own); a table's cells, thousands a report, are
    plain text in a new run, so the run, its size and its text are made as it would make them.
    Text with a tab or line break is left to python-docx.
    """
    if _RUN_BREAKS.intersection(text):
        paragraph.add_run(text).font.size = Pt(9)
        return
    r = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    r_pr.append(OxmlElement("w:sz", {qn("w:val"): _TABLE_TEXT_SIZE}))
    r.append(r_pr)
    if text:
        t = OxmlElement("w:t")
        t.text = text
        if len(text.strip()) < len(text):
            t.set(qn("xml:space"), "preserve")
        r.append(t)
    paragraph._p.append(r)


def _align_right(paragraph: WordParagraph) -> None:
    """``paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT``, made directly for a paragraph without
    properties (a table cell's)."""
    p = paragraph._p
    if p.pPr is not None:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return
    p_pr = OxmlElement("w:pPr")
    p_pr.append(OxmlElement("w:jc", {qn("w:val"): "right"}))
    p.insert(0, p_pr)


def _keep_row_together(row: _Row) -> None:
    cant_split = OxmlElement("w:cantSplit")
    row._tr.get_or_add_trPr().append(cant_split)


def _add_table(styles: _Styles, block: Table) -> None:
    word = styles.word
    cap = styles.paragraph(block.caption, style="Caption")
    cap.paragraph_format.keep_with_next = True
    table = styles.table(1 + len(block.rows), len(block.header), "Table Grid")
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
    _keep_row_together(rows[0])
    for row_obj, row in zip(rows[1:], block.rows, strict=True):
        # the row's cell elements as made by add_table (python-docx's cells walk the grid)
        for j, (tc, c) in enumerate(zip(row_obj._tr.tc_lst, row, strict=True)):
            paragraph = WordParagraph(tc.p_lst[0], table)
            _add_small_run(paragraph, c.text)
            if numeric[j]:
                _align_right(paragraph)
        if sum(len(c.text) for c in row) <= _KEEP_ROW_CHARS:
            _keep_row_together(row_obj)
    texts = [tuple(c.text for c in row) for row in block.rows]
    _set_widths(table, column_widths(block.header, texts, numeric))
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
