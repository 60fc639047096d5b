"""``measures.xlsx``: the measure list and key tables, formatted, with filters and frozen headers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from grontur.i18n import Translator
from grontur.report import build
from grontur.report._text import without_control_characters
from grontur.report._zip import normalise_zip
from grontur.report.model import Document, Table

#: Key tables copied from the document, in sheet order (table id -> sheet name key).
KEY_TABLES = {
    "mode-share": "report.sheet.mode_share",
    "breakdown-job_group": "report.sheet.job_group",
    "breakdown-workplace": "report.sheet.workplace",
    "table-barriers": "report.sheet.barriers",
    "table-would_help": "report.sheet.would_help",
    "segments": "report.sheet.segments",
    "emissions-mode": "report.sheet.emissions",
    "scenarios": "report.sheet.scenarios",
    "anchoring": "report.sheet.anchoring",
    "row-account": "report.sheet.row_account",
    "quality": "report.sheet.quality",
}
_HEADER_FILL = PatternFill("solid", fgColor="DCEAF4")
_HEADER_FONT = Font(bold=True)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def write_report_xlsx(results: Mapping[str, Any], lang: str, path: Path) -> Path:
    """Write ``measures.xlsx`` of ``results`` to ``path`` from the report's document without its
    pictures (the spreadsheet shows tables only)."""
    return write_xlsx(build.build_document(results, lang=lang, charts=False), results, path)


def write_xlsx(doc: Document, results: Mapping[str, Any], path: Path) -> Path:
    """Write the measure list (one row per ranked measure) and the key tables of ``doc``."""
    doc, results = without_control_characters((doc, results))
    tr = Translator(doc.lang)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(tr("report.sheet.measures"))
    _measures_sheet(ws, results, doc.lang)
    tables = {t.id: t for t in doc.tables()}
    for table_id, key in KEY_TABLES.items():
        if table_id in tables:
            _table_sheet(wb.create_sheet(_sheet_name(tr(key))), tables[table_id])
    generated = str(results.get("generated") or "2000-01-01")
    stamp = _stamp(generated)
    wb.properties.creator = "grontur"
    wb.properties.title = doc.title
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.language = doc.lang
    wb.save(str(path))
    return normalise_zip(path, stamp=generated)


def _stamp(generated: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(generated[:10])
    except ValueError:
        day = dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _sheet_name(text: str) -> str:
    return _BAD_SHEET_CHARS.sub(" ", text)[:31]


def _measures_sheet(ws: Worksheet, results: Mapping[str, Any], lang: str) -> None:
    tr = Translator(lang)
    ctx = build.make_context(results, lang)
    label = ctx.label
    header = [tr(k) for k in ("report.col.rank", "report.col.measure", "report.plan.col.status", "report.plan.col.part",
                              "report.col.family", "report.col.score",
                              "report.col.effect_low", "report.col.effect_high", "report.plan.col.trips_alone",
                              "report.col.tonnes_avoided", "report.plan.col.one_off_low", "report.plan.col.one_off_high",
                              "report.plan.col.yearly_low", "report.plan.col.yearly_high", "report.plan.col.per_trip",
                              "report.col.cost", "report.col.time", "report.col.actors", "report.col.segments",
                              "report.col.reasons", "report.col.id")]
    formats = ["0", None, None, None, None, "0.00", "0%", "0%", "0.0", "0.00", "#,##0", "#,##0", "#,##0", "#,##0", "#,##0",
               None, None, None, None, None, None]
    parts = {item.get("id"): item for item in (results.get("plan") or {}).get("items") or []}
    names = {str(m.get("id")): ctx.measure_name(m) for m in results.get("measures") or []}
    seg_names = build.segment_names(ctx)
    rows: list[list[Any]] = []
    for m in sorted(results.get("measures") or [], key=lambda m: m.get("rank", 0)):
        eff = m.get("effect") or {}
        cost = m.get("cost_nok") or {}
        one_off, yearly = cost.get("one_off") or [None, None], cost.get("yearly") or [None, None]
        trips = (m.get("car_trips_per_day_avoided") or {}).get("central")
        tonnes = (m.get("tonnes_co2e_avoided") or {}).get("central")
        per_trip = ((m.get("cost_effectiveness") or {}).get("nok_per_car_trip") or {}).get("central")
        item = parts.get(m.get("id"))
        part = None
        if item is not None:
            goes = ", ".join(names.get(str(g), str(g)) for g in item.get("goes_with") or [])
            part = tr("report.plan.part.core") if item.get("role") == "core" else \
                tr(f"report.plan.part.{item.get('role')}", measures=goes)
        rows.append([
            m.get("rank"), ctx.measure_name(m), tr(f"report.plan.status.{m.get('status', 'consider_next')}"), part,
            label("family", str(m["family"])) if m.get("family") else None,
            m.get("score"), eff.get("low"), eff.get("high"), trips, tonnes, one_off[0], one_off[1], yearly[0], yearly[1],
            per_trip,
            label("cost", str(m.get("cost_class"))), label("time", str(m.get("time_to_effect"))),
            ", ".join(label("actor", a) for a in build._code_list(m.get("actors"))),
            ", ".join(seg_names.get(s, s) for s in build._code_list(m.get("segments"))),
            " ".join(r if r.endswith(".") else r + "." for r in build.measure_reasons(m, ctx)), m.get("id"),
        ])
    _write(ws, header, rows, formats, wide={1: 34, 19: 70})


def _table_sheet(ws: Worksheet, table: Table) -> None:
    rows = []
    for row in table.rows:
        values: list[float | str | None] = []
        for j, cell in enumerate(row):
            numeric = table.numeric[j] if table.numeric else False
            fmt_code = table.formats[j] if table.formats else None
            if numeric and fmt_code and isinstance(cell.value, (int, float)):
                values.append(cell.value)
            elif numeric and fmt_code and cell.value is None:
                # A hidden or unavailable number keeps the report's marker ("–"), as the sheet's
                # note explains it; a blank cell would say neither.
                values.append(cell.text or None)
            else:
                values.append(cell.text)
        rows.append(values)
    formats = list(table.formats) if table.formats else [None] * len(table.header)
    _write(ws, list(table.header), rows, formats, caption=table.caption, note=table.note)


def _write(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str | None], *,
           wide: Mapping[int, int] | None = None, caption: str | None = None, note: str | None = None) -> None:
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(list(row))
    for i, code in enumerate(formats, 1):
        if code:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = code
    for i, title in enumerate(header, 1):
        width = (wide or {}).get(i - 1)
        if width is None:
            longest = max([len(str(title))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None] or [8])
            width = min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(i)].width = width
        if width >= 40:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
    extra = len(rows) + 3
    for text in (caption, note):
        if text:
            ws.cell(row=extra, column=1, value=text).font = Font(italic=True, color="5A5A5A")
            extra += 1
