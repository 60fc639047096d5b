"""HR reports: ``report.html``, ``report.docx`` and ``measures.xlsx`` per municipality, and the
network overview ``index.html``.

Everything shown comes from ``results`` (the content of ``results.json``); every sentence comes
from the translation catalogue in the report language (nynorsk, bokmål or English).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grontur.errors import ConfigError
from grontur.i18n import check_language

if TYPE_CHECKING:
    import pandas as pd

    from grontur.report.background import Renderer
    from grontur.report.network import network_summary, write_network_overview

log = logging.getLogger(__name__)

FORMATS = ("html", "docx", "xlsx", "pdf")
#: The formats that show charts and maps (``measures.xlsx`` holds tables only).
FIGURE_FORMATS = frozenset({"html", "docx", "pdf"})
FILE_NAMES = {"html": "report.html", "docx": "report.docx", "xlsx": "measures.xlsx", "pdf": "report.pdf"}

__all__ = ["FIGURE_FORMATS", "FILE_NAMES", "FORMATS", "figures_to_png", "network_summary", "write_network_overview", "write_outputs"]


def __getattr__(name: str) -> Any:
    # The network overview (and the publication gate's constants it reads) is loaded when used,
    # so that a process can start the report's renderer before it loads pandas.
    if name in ("network_summary", "write_network_overview"):
        from grontur.report import network

        return getattr(network, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def figures_to_png(figures: Mapping[str, Any] | None) -> dict[str, bytes]:
    """Render matplotlib figures (or pass PNG bytes through) once, closing each figure."""
    from grontur.report.charts import render_png

    out: dict[str, bytes] = {}
    for name, fig in (figures or {}).items():
        if fig is None:
            continue
        if isinstance(fig, (bytes, bytearray)):
            out[str(name)] = bytes(fig)
        elif hasattr(fig, "savefig"):
            out[str(name)] = render_png(fig)
        else:
            msg = f"The figure {name!r} given to the report is a {type(fig).__name__}, not a matplotlib figure or PNG bytes."
            raise TypeError(msg)
    return out


def _close_unshown(figures: Mapping[str, Any] | None) -> dict[str, bytes]:
    """Close the figures given to a report that shows none (a pyplot figure would stay open);
    figures drawn only when read (:class:`grontur.drawn.DrawnLater`) are not drawn for it."""
    drawn = getattr(figures, "drawn", figures) or {}
    if drawn and "matplotlib.pyplot" in sys.modules:  # only pyplot holds figures open
        from grontur.report.charts import close_figure

        for fig in drawn.values():
            if hasattr(fig, "savefig"):
                close_figure(fig)
    return {}


def write_outputs(
    results: Mapping[str, Any],
    *,
    out_dir: Path,
    lang: str,
    table: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
    figures: Mapping[str, Any] | None = None,
    formats: Iterable[str] = ("html", "docx", "xlsx"),
    renderer: Renderer | None = None,
) -> list[Path]:
    """Write the HR report for one municipality and return the paths written.

    Parameters
    ----------
    results
        The content of ``results.json`` (see ``docs/results-schema.md``).
    out_dir
        Folder to write into (created if missing). The pipeline stages it, so a failed run
        leaves no half report.
    lang
        ``nn``, ``nb`` or ``en``.
    table, quality
        The cleaned table and the quality list; accepted for the pipeline's convenience. The
        report shows only figures from ``results`` so that the two always agree.
    figures
        Extra matplotlib figures from other stages, by name (``home_area_map``,
        ``anchoring_timeline``); each is rendered once and closed. They, and the report's own
        charts, are drawn only when a format that shows them (:data:`FIGURE_FORMATS`) is written.
    formats
        Any of ``html``, ``docx``, ``xlsx`` and ``pdf`` (the PDF needs Chromium, see
        ``docs/schema/report.md``).
    renderer
        A :class:`grontur.report.background.Renderer` that draws the pictures in a second
        process (the same document, built over there); without it they are drawn here.
    """
    from grontur.report.build import build_document

    lang = check_language(lang)
    wanted = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        msg = f"Unknown report format {unknown[0]!r}: use one or more of {', '.join(FORMATS)}."
        raise ConfigError(msg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # measures.xlsx alone shows no chart: nothing is drawn (nor matplotlib loaded) for it
    drawing = bool(FIGURE_FORMATS.intersection(wanted))
    spreadsheet: Path | None = None
    docx_there: Path | None = None
    if drawing and renderer is not None:
        # the pictures, the DOCX and the spreadsheet (tables only, the same without pictures) are
        # made over there; meanwhile the HTML writer is loaded here
        renderer.submit(results, lang=lang, figures=figures,
                        docx_path=out_dir / FILE_NAMES["docx"] if "docx" in wanted else None,
                        xlsx_path=out_dir / FILE_NAMES["xlsx"] if "xlsx" in wanted else None)
        if "html" in wanted or "pdf" in wanted:
            from grontur.report import html  # noqa: F401
        doc = renderer.document(results, lang=lang, figures=figures)
        docx_there = renderer.docx if "docx" in wanted else None
        spreadsheet = renderer.xlsx if "xlsx" in wanted else None
    else:
        pngs = figures_to_png(figures) if drawing else _close_unshown(figures)
        doc = build_document(results, lang=lang, figures=pngs, charts=drawing)
    written: list[Path] = []
    html_path = out_dir / FILE_NAMES["html"]
    if "html" in wanted or "pdf" in wanted:
        from grontur.report.html import write_html

        written.append(write_html(doc, html_path))
    if "docx" in wanted and docx_there is not None:  # written by the renderer
        written.append(docx_there)
    elif "docx" in wanted:
        from grontur.report.docx import write_report_docx

        written.append(write_report_docx(doc, results, out_dir / FILE_NAMES["docx"]))
    if "xlsx" in wanted and spreadsheet is not None:  # written by the renderer
        written.append(spreadsheet)
    elif "xlsx" in wanted:
        from grontur.report.xlsx import write_xlsx

        written.append(write_xlsx(doc, results, out_dir / FILE_NAMES["xlsx"]))
    if "pdf" in wanted:
        from grontur.report.pdf import write_pdf

        written.append(write_pdf(html_path, out_dir / FILE_NAMES["pdf"]))
    log.info("report written in %s: %s", lang, ", ".join(p.name for p in written))
    return written
