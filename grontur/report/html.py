"""Self-contained HTML: one file with the stylesheet inline and every figure as a data URI."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grontur.i18n import t
from grontur.report.model import (
    Block,
    BulletList,
    Cards,
    Document,
    Figure,
    Heading,
    KeyFigures,
    Paragraph,
    Table,
)

_HERE = Path(__file__).resolve().parent
#: BCP 47 tags for the ``lang`` attribute (screen readers and hyphenation).
HTML_LANG = {"nn": "nn", "nb": "nb", "en": "en"}


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment for report templates (autoescaping on, undefined names fail)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def stylesheet() -> str:
    return (_HERE / "static" / "report.css").read_text(encoding="utf-8")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_block(block: Block) -> Markup:
    macros: Any = environment().get_template("blocks.html.j2").module  # the template's macros
    if isinstance(block, Paragraph):
        return Markup(macros.paragraph(block))
    if isinstance(block, Heading):
        return Markup(macros.heading(block))
    if isinstance(block, BulletList):
        return Markup(macros.bullets(block))
    if isinstance(block, KeyFigures):
        return Markup(macros.keyfigures(block))
    if isinstance(block, Table):
        return Markup(macros.table(block))
    if isinstance(block, Figure):
        return Markup(macros.figure(block, data_uri(block.png)))
    if isinstance(block, Cards):
        return Markup(macros.cards(block))
    msg = f"unknown report block {type(block).__name__}"
    raise TypeError(msg)


def render_html(doc: Document) -> str:
    """Return the report as one HTML page (UTF-8 text)."""
    template = environment().get_template("report.html.j2")
    return template.render(
        doc=doc, css=Markup(stylesheet()), render=render_block, html_lang=HTML_LANG[doc.lang],
        toc_title=t("report.toc", doc.lang),
    )


def write_html(doc: Document, path: Path) -> Path:
    path.write_text(render_html(doc), encoding="utf-8", newline="\n")
    return path
