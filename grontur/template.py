"""The question sheet of the standard questionnaire, for setting the survey up in a form tool.

A project lead copies the sheet into Nettskjema, Microsoft Forms, Google Forms, SurveyXact,
Questback or Qualtrics: question text, answer options and whether one or several answers are
allowed. Exports of a survey built from it map to the canonical table with no questions asked,
because the importer reads the same questionnaire file.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grontur.i18n import check_language, t
from grontur.mapping import questionnaire

FORMATS = ("html", "csv", "docx")
_KIND = {"single": "single", "bool": "single", "multi": "multi", "number": "number",
         "postcode": "number", "text_choice": "list", "grid": "grid"}


@dataclass(frozen=True)
class SheetQuestion:
    """One question as the form tool needs it."""

    number: int
    id: str
    column: str
    text: str
    help: str | None
    answer_type: str  # single, multi, number, list
    options: tuple[str, ...]
    required: bool
    unit: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "id": self.id, "column": self.column, "text": self.text,
                "help": self.help, "answer_type": self.answer_type, "options": list(self.options),
                "required": self.required, "unit": self.unit}


def question_sheet(lang: str) -> list[SheetQuestion]:
    """The standard questions in ``lang`` (nn, nb or en), in survey order."""
    check_language(lang)
    out = []
    for number, question in enumerate(questionnaire()["questions"], start=1):
        options = tuple(str(labels[lang]) for labels in (question.get("options") or {}).values())
        help_text = (question.get("help") or {}).get(lang)
        out.append(SheetQuestion(
            number=number, id=str(question["id"]), column=str(question["column"]),
            text=str(question["text"][lang]), help=str(help_text) if help_text else None,
            answer_type=_KIND.get(str(question["kind"]), "single"), options=options,
            required=bool(question.get("required", False)), unit=question.get("unit"),
        ))
    return out


def _type_label(question: SheetQuestion, lang: str) -> str:
    return t(f"template.type.{question.answer_type}", lang)


def render_csv(lang: str) -> str:
    """One row per answer option (questions without options get one row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([t("template.col.number", lang), t("template.col.id", lang), t("template.col.question", lang),
                     t("template.col.type", lang), t("template.col.option", lang), t("template.col.required", lang)])
    for q in question_sheet(lang):
        required = t("template.yes", lang) if q.required else t("template.no", lang)
        for option in q.options or ("",):
            writer.writerow([q.number, q.id, q.text, _type_label(q, lang), option, required])
    return buffer.getvalue()


def render_html(lang: str) -> str:
    """A self-contained HTML page that prints well."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", f'<html lang="{esc(lang)}"><head><meta charset="utf-8">',
        f"<title>{esc(t('template.title', lang))}</title>",
        ("<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.4}"
        "li.q{margin:1rem 0;page-break-inside:avoid}.meta{color:#555;font-size:.9em}"
        "ul.opt{margin:.3rem 0}</style></head><body>"),
        f"<h1>{esc(t('template.title', lang))}</h1>",
        f"<p>{esc(t('template.intro', lang))}</p>", "<ol>",
    ]
    for q in question_sheet(lang):
        meta = _type_label(q, lang) + (f" · {t('template.required', lang)}" if q.required else "")
        parts.append(f'<li class="q" id="{esc(q.id)}"><strong>{esc(q.text)}</strong> '
                     f'<span class="meta">({esc(meta)})</span>')
        if q.help:
            parts.append(f'<div class="meta">{esc(q.help)}</div>')
        if q.options:
            parts.append('<ul class="opt">' + "".join(f"<li>{esc(o)}</li>" for o in q.options) + "</ul>")
        parts.append("</li>")
    parts += ["</ol>", "</body></html>"]
    return "\n".join(parts) + "\n"


def write_docx(lang: str, path: Path) -> Path:
    """An editable Word document with the same content as the HTML sheet."""
    from docx import Document

    document = Document()
    document.add_heading(t("template.title", lang), level=1)
    document.add_paragraph(t("template.intro", lang))
    for q in question_sheet(lang):
        meta = _type_label(q, lang) + (f" · {t('template.required', lang)}" if q.required else "")
        paragraph = document.add_paragraph(style="List Number")
        paragraph.add_run(q.text).bold = True
        paragraph.add_run(f" ({meta})")
        if q.help:
            document.add_paragraph(q.help)
        for option in q.options:
            document.add_paragraph(option, style="List Bullet")
    document.core_properties.title = t("template.title", lang)
    document.save(str(path))
    return path


def write_template(path: str | Path, *, lang: str, format: str | None = None) -> Path:
    """Write the question sheet to ``path`` as html, csv or docx (default: from the suffix)."""
    from grontur.errors import ConfigError

    path = Path(path)
    check_language(lang)
    chosen = format or path.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        raise ConfigError(t("template.error.format", "en", format=chosen, formats=", ".join(FORMATS)))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if chosen == "docx":
            write_docx(lang, temporary)
        else:
            text = render_csv(lang) if chosen == "csv" else render_html(lang)
            temporary.write_text(text, encoding="utf-8-sig" if chosen == "csv" else "utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
