"""The standard questionnaire as data for a terminal kiosk, and safe appending of answers.

``grontur survey`` (the command) asks the questions; this module knows what to ask and how to
store one respondent's answers so that no earlier answer is ever lost: each respondent becomes
one CSV record written with a single ``write`` on a file opened for appending, then flushed to
disk. The file has the standard questionnaire's question texts as its header and answer labels as
values, so ``grontur import`` maps it with no questions asked. A typed answer a spreadsheet
would run as a formula is stored defused (:mod:`grontur._formulas`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grontur._formulas import defuse_cell
from grontur.errors import InputFileError
from grontur.i18n import check_language, t
from grontur.resources import standard_questionnaire

MULTI_JOIN = "; "


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question in one language."""

    id: str
    column: str
    kind: str  # single, multi, number, bool, postcode, text_choice, panel_code
    text: str
    help: str | None
    options: tuple[Option, ...]
    required: bool
    minimum: float | None = None
    maximum: float | None = None
    #: Asked only when the answer to one of these columns is one of its codes (the questionnaire's
    #: ``ask_if``); empty: always asked.
    ask_if: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _spec() -> dict[str, Any]:
    return standard_questionnaire()


#: Id of the kiosk's first question: an optional self-chosen code that pairs a person's answers
#: in two survey rounds. Its column header is one the importer reads as a panel code
#: (``panel_code_headers`` in ``surveys/mappings/answers.yaml``), so the code becomes the salted
#: pseudonym ``respondent_id`` that links the rounds (:mod:`grontur.importing`, :mod:`grontur.compare`).
PANEL_CODE = "q_panel_code"
PANEL_CODE_PATTERN = re.compile(r"^[0-9A-Za-zÆØÅæøå]{4,12}$")


def questions(lang: str, *, workplaces: Sequence[str] = (), panel_code: bool = False) -> list[Question]:
    """The standard questionnaire in ``lang``; the workplace question offers ``workplaces`` or is left out.

    With ``panel_code`` the optional anonymous answer code (:data:`PANEL_CODE`) comes first.
    """
    check_language(lang)
    out: list[Question] = []
    if panel_code:
        out.append(Question(id=PANEL_CODE, column="respondent_id", kind="panel_code",
                            text=t("survey.panel_code.header", lang), help=t("survey.panel_code.help", lang),
                            options=(), required=False))
    for item in _spec()["questions"]:
        options = tuple(Option(str(code), str(texts[lang])) for code, texts in (item.get("options") or {}).items())
        if item["kind"] == "text_choice":
            if not workplaces:
                continue
            options = tuple(Option(name, name) for name in workplaces)
        out.append(Question(
            id=item["id"], column=item["column"], kind=item["kind"], text=str(item["text"][lang]),
            help=str(item["help"][lang]) if item.get("help") else None, options=options,
            required=bool(item.get("required")), minimum=item.get("min"), maximum=item.get("max"),
            ask_if=tuple((str(column), tuple(str(code) for code in codes))
                         for column, codes in (item.get("ask_if") or {}).items()),
        ))
    return out


def applies(q: Question, qs: Sequence[Question], answers: Mapping[str, Any]) -> bool:
    """Whether ``q`` applies to a respondent with ``answers`` (question id -> code) so far.

    A question with an ``ask_if`` is asked when one of the columns it names was answered with one
    of its codes, or when none of them was answered (nothing says it does not apply).
    """
    if not q.ask_if:
        return True
    by_column = {other.column: answers.get(other.id) for other in qs}
    given = [(by_column.get(column), codes) for column, codes in q.ask_if]
    answered = [(value, codes) for value, codes in given if value is not None]
    return not answered or any(str(value) in codes for value, codes in answered)


def header(qs: Sequence[Question]) -> list[str]:
    return [q.text for q in qs]


def record(qs: Sequence[Question], answers: Mapping[str, Any]) -> list[str]:
    """One respondent's answers (question id -> code(s) or number) as the labels of a CSV record."""
    row: list[str] = []
    for q in qs:
        value = answers.get(q.id)
        labels = {o.code: o.label for o in q.options}
        if value is None or value == [] or value == "":
            row.append("")
        elif q.kind == "multi":
            row.append(MULTI_JOIN.join(labels[code] for code in value))
        elif q.kind in ("single", "bool", "text_choice"):
            row.append(labels[str(value).lower() if q.kind == "bool" else str(value)])
        elif q.kind == "number":
            number = float(value)
            row.append(f"{number:g}")
        else:
            row.append(str(value))
    return row


def _line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([defuse_cell(value) for value in values])
    return buffer.getvalue()


def append_answers(path: Path, qs: Sequence[Question], answers: Mapping[str, Any]) -> None:
    """Append one respondent atomically; create the file with its header first if needed.

    A new file gets its header through a temporary file and a rename, so a crash never leaves a
    file without a header. An existing file must have the same header, or answers from two
    different questionnaires would be mixed.
    """
    path = Path(path)
    head = _line(header(qs))
    if not path.exists():
        temporary = path.with_name(f".{path.name}.new")
        with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(head)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            existing = handle.readline()
        if existing.rstrip("\r\n") != head.rstrip("\r\n"):
            msg = (f"{path}: this answer file was started with other questions or another language; "
                   "give a new file name with --out.")
            raise InputFileError(msg)
    data = _line(record(qs, answers)).encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def parse_number(text: str, q: Question) -> float | None:
    """A number typed at the kiosk ("2,5" or "3"); ``None`` when it is not a number in range."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    if q.minimum is not None and value < q.minimum:
        return None
    if q.maximum is not None and value > q.maximum:
        return None
    return value


def valid_panel_code(text: str) -> bool:
    """A self-chosen answer code: 4 to 12 letters or digits (compared without regard to case)."""
    return bool(PANEL_CODE_PATTERN.fullmatch(text.strip()))


def valid_postcode(text: str) -> bool:
    text = text.strip()
    return len(text) == 4 and text.isdigit()
