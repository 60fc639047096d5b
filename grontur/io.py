"""Reading survey exports as they come: CSV/TSV/semicolon text in any common encoding, and Excel.

The reader returns strings exactly as read (empty cells are NA) plus the 1-based data row of each
respondent in the file, so every later message can point at the row a user sees. It never
interprets answers; that is the mapping's and the cleaner's job. Inputs are only ever opened for
reading.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur._distinct import factorize_repeated, strip_all
from grontur.errors import InputFileError
from grontur.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_frame,
    check_text,
    check_text_header,
    check_xlsx_archive,
)

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_RESPONSE_SHEET = re.compile(r"respons|svar|answer|result|data|form|besvarelse|skjema", re.IGNORECASE)
_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class RawExport:
    """An export as read: string columns (NA for empty cells) and where it came from.

    Attributes
    ----------
    frame
        One row per respondent; every column holds strings or NA: categorical where answers
        repeat (so distinct answers are known without hashing the column again), plain object
        columns where most cells differ (ids, timestamps, comments). ``frame.index`` is the
        1-based data row in the input file (header rows not counted).
    path
        The file read.
    sheet
        The Excel sheet used, or None for text files.
    encoding, delimiter
        What the reader detected for text files.
    header_rows
        How many header rows the file had (3 for a Qualtrics export).
    extra_headers
        Additional header rows by column (e.g. Qualtrics question ids), for mapping detection.
    """

    frame: pd.DataFrame
    path: Path
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_rows: int = 1
    extra_headers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def source_row(self) -> pd.Series:
        return pd.Series(self.frame.index, index=self.frame.index, name="source_row")

    def with_frame(self, frame: pd.DataFrame) -> RawExport:
        return RawExport(frame, self.path, self.sheet, self.encoding, self.delimiter,
                         self.header_rows, self.extra_headers)


def _error(path: Path, key: str, **values: object) -> InputFileError:
    from grontur.i18n import t

    return InputFileError(t(key, "en", file=str(path), **values))


def read_export(path: str | Path, *, sheet: str | None = None, limits: Limits = DEFAULT_LIMITS) -> RawExport:
    """Read a survey export (CSV, TSV, semicolon text or Excel) into strings.

    Parameters
    ----------
    path
        The export file.
    sheet
        Excel sheet to read; by default the sheet that holds the responses is found.
    limits
        Size limits, checked before the file is loaded (:mod:`grontur.limits`).

    Raises
    ------
    InputFileError
        When the file is missing, empty, header-only, binary, encrypted or corrupt, beyond a size
        limit, or has no sheet with responses.
    """
    path = Path(path)
    if not path.is_file():
        raise _error(path, "import.error.missing")
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise _error(path, "import.error.empty")
    if head.startswith(_OLE_MAGIC):
        # Encrypted .xlsx files are OLE2 containers; so are legacy .xls files, which openpyxl
        # cannot read either.
        raise _error(path, "import.error.encrypted")
    if head.startswith(_ZIP_MAGIC) or path.suffix.lower() in EXCEL_SUFFIXES:
        raw = _read_excel(path, sheet, limits)
    else:
        raw = _read_text(path, head, limits)
    raw = _qualtrics_headers(raw)
    frame = raw.frame
    if frame.empty:  # _tidy keeps only rows with at least one answer
        raise _error(path, "import.error.header_only")
    log.info("read %s: %d rows, %d columns", path.name, len(frame), frame.shape[1])
    return raw


# ---------------------------------------------------------------------------------------------
# text files

def _detect_encoding(path: Path, head: bytes, *, whole: bool = True) -> str:
    """The file's encoding. With ``whole=False`` a file without a byte-order mark is judged UTF-8
    from its first bytes alone (the reader then stops at the first byte that is not, and the whole
    file is judged again): a large UTF-8 file is not decoded twice."""
    if head.startswith(b"\xef\xbb\xbf"):
        if not whole:
            return "utf-8-sig"
        try:
            path.read_bytes().decode("utf-8")
            return "utf-8-sig"
        except UnicodeDecodeError:
            return "cp1252"  # a byte of another encoding further down: read line by line
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    even, odd = head[0::2], head[1::2]
    if head and odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if head and even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    if b"\x00" in head:
        raise _error(path, "import.error.binary")
    if not whole:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        with path.open("rb") as handle:
            handle.read().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 covers Latin-1 for every printable character Norwegian text uses.
    try:
        with path.open("rb") as handle:
            handle.read().decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


#: Control characters other than line breaks and tabs (C0 and C1): rare in text, common in binaries.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    control = len(_CONTROL.findall(text))
    return control > 0.02 * len(text) or "\ufffd" in text[:2000] and text.count("\ufffd") > 0.01 * len(text)


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t", "|"):
        counts = []
        for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter):
            counts.append(len(row))
        if not counts or counts[0] < 2:
            continue
        header = counts[0]
        # Header width, and how many rows agree with it (multi-line quoted answers disagree).
        agree = sum(1 for c in counts if c == header) / len(counts)
        score = header * (0.5 + agree)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _mixed_lines(path: Path) -> tuple[str, list[int]] | None:
    """A file that is UTF-8 except for some lines in Windows-1252 (an export edited or appended
    to in another program), decoded line by line; None when no line is UTF-8 beyond ASCII.

    Returns the text and the (1-based) lines read as Windows-1252. Reading the whole file as
    Windows-1252 would turn every "å" of the UTF-8 lines into "Ã¥".
    """
    lines = path.read_bytes().split(b"\n")
    decoded: list[str] = []
    other: list[int] = []
    utf8_beyond_ascii = False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="strict") if _is_cp1252(line) else line.decode("latin-1")
            other.append(number)
        decoded.append(text)
    if not utf8_beyond_ascii:
        return None
    return "\n".join(decoded).lstrip("\ufeff"), other


def _is_cp1252(line: bytes) -> bool:
    try:
        line.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


class _NotUtf8(Exception):
    """A file taken for UTF-8 from its first bytes holds a byte of another encoding further down."""


def _read_text(path: Path, head: bytes, limits: Limits) -> RawExport:
    check_text_header(path, limits)
    encoding = _detect_encoding(path, head, whole=False)
    try:
        return _read_text_as(path, head, limits, encoding, provisional=encoding in ("utf-8", "utf-8-sig"))
    except _NotUtf8:
        return _read_text_as(path, head, limits, _detect_encoding(path, head), provisional=False)


def _read_text_as(path: Path, head: bytes, limits: Limits, encoding: str, *, provisional: bool) -> RawExport:
    """Read a text export in ``encoding``; a ``provisional`` UTF-8 (judged from the first bytes
    only) raises :class:`_NotUtf8` at the first byte that is not UTF-8."""
    source: Path | io.StringIO = path
    read_encoding: str | None = encoding
    if encoding in ("cp1252", "latin-1"):
        mixed = _mixed_lines(path)
        if mixed is not None:
            text, lines = mixed
            shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
            log.warning("%s is UTF-8 except for line(s) %s, read as Windows-1252", path.name, shown)
            source, read_encoding = io.StringIO(text), None
            encoding = f"utf-8 (cp1252 on line {shown})" if len(lines) == 1 else f"utf-8 (cp1252 on lines {shown})"
            head = text[:_SAMPLE].encode("utf-8")
    sample = head.decode((read_encoding or "utf-8").replace("-sig", ""), errors="replace").lstrip("\ufeff")
    if _looks_binary(sample):
        raise _error(path, "import.error.binary")
    # Excel writes a "sep=;" line above the header when asked to name the delimiter.
    hint = re.match(r'^"?sep=(.)"?\s*(?:\r?\n|\r)', sample)
    delimiter = hint.group(1) if hint else _sniff_delimiter(sample)
    _check_first_row(path, sample[hint.end():] if hint else sample, delimiter)
    check_text(path, delimiter, limits)
    try:
        # index_col=False: pandas would otherwise turn surplus leading fields of the first data
        # row into an index and shift every column (a surplus *trailing* delimiter is harmless).
        frame = pd.read_csv(
            source, sep=delimiter, encoding=read_encoding, dtype=object, keep_default_na=False, skiprows=1 if hint else 0,
            na_values=[""], skip_blank_lines=True, engine="c", index_col=False,
        )
    except pd.errors.EmptyDataError as error:
        raise _error(path, "import.error.empty") from error
    except UnicodeDecodeError as error:
        if provisional:
            raise _NotUtf8 from error
        raise _error(path, "import.error.unparsable", detail=str(error).splitlines()[0]) from error
    except pd.errors.ParserError as error:
        raise _error(path, "import.error.unparsable", detail=str(error).splitlines()[0]) from error
    frame = _tidy(frame)
    check_frame(path, frame, limits)  # after tidying: categorical columns are checked by their distinct values
    return RawExport(frame, path, encoding=encoding, delimiter=delimiter)


def _check_first_row(path: Path, sample: str, delimiter: str) -> None:
    """Refuse a first data row with more filled fields than the header (an unquoted delimiter).

    pandas reports such rows further down the file, but reads a surplus in the first data row
    without complaint, so the check is made here, on the sample already read.
    """
    records = csv.reader(io.StringIO(sample), delimiter=delimiter)
    try:
        header = next(records)
        first = next((row for row in records if any(cell.strip() for cell in row)), None)
    except (StopIteration, csv.Error):
        return
    if first is not None and len(first) > len(header) and any(cell.strip() for cell in first[len(header):]):
        detail = f"line 2 has {len(first)} fields but the header has {len(header)}"
        raise _error(path, "import.error.unparsable", detail=detail)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip header whitespace, blank out whitespace-only cells, drop empty columns and rows.

    Works through the distinct values of each column (exports repeat the same answers many
    times), so it costs little more than the read itself. Columns whose cells are mostly
    distinct (ids, timestamps, typed comments) are tidied cell by cell and stay plain text.
    """
    names = _unique_names([_clean_header(c) for c in frame.columns])
    index = pd.RangeIndex(1, len(frame) + 1)
    columns: dict[str, pd.Series] = {}
    present = np.zeros(len(frame), dtype=bool)
    for name, (_, series) in zip(names, frame.items()):
        values = series.to_numpy(dtype=object)
        found = factorize_repeated(values)
        if found is None:
            cells = _tidy_cells(values)
            filled = np.not_equal(cells, None)  # type: ignore[call-overload]  # numpy's stub: no None operand
            column = pd.Series(cells, index=index, dtype=object, copy=False)
        else:
            codes, uniques = found
            categories, codes = _tidy_distinct(uniques, codes)
            filled = codes >= 0
            # Categorical columns carry their distinct values along, so every later stage codes
            # answers once per distinct value without hashing the column again.
            column = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object),
                                                         validate=False), index=index)
        if name.startswith("Unnamed: ") and not filled.any():
            continue
        present |= filled
        columns[name] = column
    out = pd.DataFrame(columns, index=index, copy=False)  # new columns: not copied into blocks again
    if not present.all():
        out = out.loc[present]
    out.index.name = "source_row"
    return out


def _tidy_distinct(uniques: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strip the distinct values and blank the empty ones; returns (categories, row codes)."""
    if len(uniques) and pd.api.types.infer_dtype(uniques, skipna=True) != "string":
        uniques = np.array([_cell_text(value) for value in uniques], dtype=object)
    stripped = strip_all(uniques) if len(uniques) else uniques
    blank = stripped == ""
    if not blank.any() and not (stripped != uniques).any():
        return uniques, codes
    # Stripping can merge values (" Bus" and "Bus"): factorise the distinct values again.
    # numpy's stub rejects a None operand and an object array; pandas-stubs an object array to factorize
    small, categories = pd.factorize(np.array(np.where(blank, None, stripped), dtype=object), use_na_sentinel=True)  # type: ignore[arg-type, type-var]
    return np.asarray(categories, dtype=object), np.append(small, -1)[codes]


def _tidy_cells(values: np.ndarray) -> np.ndarray:
    """Strip every cell and blank the empty ones (missing cells become None)."""
    filled = pd.notna(values)
    every = bool(filled.all())  # an id column: no cell to leave out, so none is copied out first
    texts = values if every else values[filled]
    if len(texts) and pd.api.types.infer_dtype(texts, skipna=False) != "string":
        texts = np.array([_cell_text(value) for value in texts], dtype=object)
    stripped = strip_all(texts) if len(texts) else texts
    empty = stripped == ""
    if empty.any():
        stripped = np.where(empty, None, stripped)  # type: ignore[arg-type]  # numpy's stub: no None operand
    if every:
        return np.asarray(stripped, dtype=object)
    out = np.full(len(values), None, dtype=object)
    out[filled] = stripped
    return out


def _clean_header(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return " ".join(text.replace("\ufeff", "").split())


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "column"
        if name in seen:
            seen[name] += 1
            out.append(f"{name} ({seen[name]})")
        else:
            seen[name] = 1
            out.append(name)
    return out


# ---------------------------------------------------------------------------------------------
# Excel

def _read_excel(path: Path, sheet: str | None, limits: Limits) -> RawExport:
    check_xlsx_archive(path, limits)
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _error(path, "import.error.corrupt_xlsx") from error
    except Exception as error:  # openpyxl raises assorted errors on broken archives
        raise _error(path, "import.error.corrupt_xlsx") from error
    try:
        names = list(book.sheetnames)
        if sheet is not None:
            if sheet not in names:
                raise _error(path, "import.error.no_sheet", sheet=sheet, sheets=", ".join(names))
            candidates = [sheet]
        else:
            named = [n for n in names if _RESPONSE_SHEET.search(n)]
            candidates = named + [n for n in names if n not in named]
        for name in candidates:
            rows = _sheet_rows(path, book[name], limits)
            frame = _rows_to_frame(rows)
            if frame is not None:
                frame = _tidy(frame)
                check_frame(path, frame, limits)
                if len(frame) > 0:
                    log.info("sheet %r holds the responses", name)
                    return RawExport(frame, path, sheet=name)
            if sheet is not None:
                break
    finally:
        book.close()
    raise _error(path, "import.error.no_responses", sheets=", ".join(names))


#: Rows above the header that the reader looks through for it (see :func:`_rows_to_frame`).
_HEADER_SEARCH = 10


def _sheet_rows(path: Path, worksheet: Any, limits: Limits) -> list[tuple]:
    """The rows of a sheet as values, read no further than the limits allow.

    The sheet's declared dimension was checked before the file was opened; the sheet is then read
    as its cells are, not as its dimension claims (openpyxl would pad every row to the declared
    width and silently drop cells beyond it), and refused at the first row past the row limit or
    the first filled cell past the column limit.
    """
    from grontur.limits import refuse

    worksheet.reset_dimensions()
    max_row = limits.rows + _HEADER_SEARCH + 1
    rows = []
    for row in worksheet.iter_rows(values_only=True, max_row=max_row):
        if len(row) > limits.columns:
            if any(cell is not None and str(cell).strip() for cell in row[limits.columns:]):
                raise refuse(path, "columns", len(row), limits.columns)
            row = row[: limits.columns]
        rows.append(row)
    if len(rows) >= max_row:  # openpyxl stops at max_row only when the sheet has a row there or beyond
        raise refuse(path, "rows", len(rows) - 1, limits.rows)
    while rows and not any(cell is not None and str(cell).strip() for cell in rows[-1]):
        rows.pop()  # padding rows beyond the last answer
    return rows


def _rows_to_frame(rows: list[tuple]) -> pd.DataFrame | None:
    """Find the header row (first row with at least two text cells) and build a string frame."""
    for position, row in enumerate(rows[:_HEADER_SEARCH]):
        texts = [cell for cell in row if isinstance(cell, str) and cell.strip()]
        filled = [cell for cell in row if cell is not None and str(cell).strip() != ""]
        if len(texts) >= 2 and len(texts) >= 0.6 * len(filled):
            header = list(row)
            width = max((i + 1 for i, cell in enumerate(header) if cell is not None and str(cell).strip()), default=0)
            body = [tuple(_cell_text(c) for c in r[:width]) + (None,) * (width - len(r[:width]))
                    for r in rows[position + 1:]]
            frame = pd.DataFrame(body, columns=[_clean_header(c) for c in header[:width]], dtype=object)
            return frame
    return None


def _cell_text(value: object) -> str | None:
    """One Excel cell as text: whole floats without ".0", dates and times in ISO form.

    A time-of-day cell ("arrival time") becomes "08:30" (seconds only when set); what it means
    is left to the column it maps to (a clock time is no distance or duration: the cleaner
    reports it as an unreadable number there).
    """
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="minutes" if not value.second and not value.microsecond else "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# multi-row headers

def _qualtrics_headers(raw: RawExport) -> RawExport:
    """Qualtrics exports carry question ids, question texts and import ids as three header rows.

    Use the question texts as column names and keep the ids for mapping detection.
    """
    frame = raw.frame
    if len(frame) < 1:
        return raw
    # Row by row through the columns: frame.iloc[i] would merge every column's categories.
    first = pd.Series([_text_or_empty(frame[c].iloc[0]) for c in frame.columns], dtype=object).astype(str)
    second = (pd.Series([_text_or_empty(frame[c].iloc[1]) for c in frame.columns], dtype=object).astype(str)
              if len(frame) > 1 else None)
    has_import_ids = second is not None and second.str.startswith('{"ImportId"').mean() > 0.5
    first_is_import = first.str.startswith('{"ImportId"').mean() > 0.5
    if not (has_import_ids or first_is_import or _qualtrics_two_rows(frame)):
        return raw
    drop = 2 if has_import_ids else 1
    texts = [str(v) if str(v).strip() else str(c) for c, v in zip(frame.columns, first)]
    ids = list(frame.columns)
    body = frame.iloc[drop:].copy()
    body.columns = _unique_names([_clean_header(v) for v in texts])
    if first_is_import:
        body.columns = ids
    body.index = pd.RangeIndex(1, len(body) + 1, name="source_row")
    extra = {new: [old] for new, old in zip(body.columns, ids)}
    log.info("multi-row header (Qualtrics style): %d header rows", drop + 1)
    return RawExport(body, raw.path, raw.sheet, raw.encoding, raw.delimiter, drop + 1, extra)


def _text_or_empty(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else str(value)


def _qualtrics_two_rows(frame: pd.DataFrame) -> bool:
    columns = [str(c) for c in frame.columns]
    if "StartDate" not in columns or "ResponseId" not in columns:
        return False
    return _text_or_empty(frame["StartDate"].iloc[0]).strip() == "Start Date"
