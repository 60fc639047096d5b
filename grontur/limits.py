"""Limits on the size of a survey export, checked before the file is loaded.

A file beyond a limit is refused with one line that names the limit and how to raise it, before
pandas or openpyxl load it, so a hostile or broken file (a header of a million columns, a zip that
inflates a thousandfold, a sheet declaring a million rows) cannot exhaust memory or time. The
defaults are far above any real survey (real surveys have hundreds of rows and tens of columns)
and each can be raised with ``--limit NAME=N`` on the command line or ``limits: {NAME: N}`` in
``grontur.yaml``.

=================  ==============  ====================================================================
name               default         what is limited
=================  ==============  ====================================================================
``rows``           500,000         data rows (text: lines counted before reading; Excel: the sheet's
                                   declared dimension, then rows read)
``columns``        2,000           columns of the header (text: the first line; Excel: the dimension)
``cell_bytes``     1,000,000       bytes in one cell
``header_bytes``   1,000,000       bytes of the header line of a text file
``xlsx_bytes``     1,000,000,000   bytes an Excel file inflates to (every part of the zip together)
``xlsx_ratio``     200             how many times larger than compressed one part of an Excel file is
                                   (parts above 10 MB uncompressed)
``shared_strings`` 200,000,000     bytes of an Excel file's table of texts (``sharedStrings.xml``)
=================  ==============  ====================================================================

The row limit keeps one ``grontur analyse`` within 4 GB of memory (the whole municipal workforce
of Norway is about 500,000 people): ``benchmarks/limits.py`` measures the peak at the limit, 2.3 GB
for 500,000 respondents in one municipality, where 1,000,000 took 4.5 GB.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from grontur.errors import ConfigError, InputFileError


@dataclass(frozen=True)
class Limits:
    """The size limits of one import (see the module docstring for what each limits)."""

    rows: int = 500_000
    columns: int = 2_000
    cell_bytes: int = 1_000_000
    header_bytes: int = 1_000_000
    xlsx_bytes: int = 1_000_000_000
    xlsx_ratio: int = 200
    shared_strings: int = 200_000_000

    def with_changes(self, changes: Mapping[str, object], *, source: str) -> Limits:
        """These limits with ``changes`` (name to a whole number of at least 1) applied."""
        known = {item.name for item in fields(self)}
        values: dict[str, int] = {}
        for name, value in changes.items():
            if name not in known:
                msg = f"{source}: unknown limit {name!r}; known limits are {', '.join(sorted(known))}."
                raise ConfigError(msg)
            number = _whole(value)
            if number is None or number < 1:
                msg = f"{source}: the limit {name} must be a whole number of at least 1, not {value!r}."
                raise ConfigError(msg)
            values[name] = number
        return replace(self, **values)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


DEFAULT_LIMITS = Limits()

#: Parts of an Excel file smaller than this are not held to the compression ratio (tiny parts
#: compress by any ratio).
_RATIO_FLOOR = 10_000_000


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip().replace("_", "").replace(",", "").replace(" ", "")
    return int(text) if text.isdigit() else None


def limits_from_flags(items: Iterable[str], base: Limits = DEFAULT_LIMITS) -> Limits:
    """Limits from ``--limit NAME=N`` flags on top of ``base``."""
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            msg = f"--limit {item}: write the limit as NAME=N, e.g. --limit columns=5000."
            raise ConfigError(msg)
        changes[name.strip()] = value
    return base.with_changes(changes, source="--limit") if changes else base


def refuse(path: Path, name: str, found: int, limit: int) -> InputFileError:
    """The one-line refusal of a file beyond the limit ``name``."""
    from grontur.i18n import t

    return InputFileError(t("import.error.limit", "en", file=str(path), name=name, what=t(f"import.limit.{name}", "en"),
                            found=f"{found:,}", limit=f"{limit:,}"))


# ---------------------------------------------------------------------------------------------
# text files

_CHUNK = 16 * 1024 * 1024


def check_text_header(path: Path, limits: Limits) -> None:
    """Refuse a text export whose first line is longer than the header limit (read no further)."""
    with path.open("rb") as handle:
        head = handle.read(limits.header_bytes + 1)
    if b"\n" not in head and len(head) > limits.header_bytes:
        raise refuse(path, "header_bytes", _first_line_length(path), limits.header_bytes)


def check_text(path: Path, delimiter: str, limits: Limits) -> None:
    """Check the number of columns, the longest cell and the number of rows of a text export
    before it is read (one pass over its bytes, two when a line is longer than the cell limit).

    The longest cell is the longest run of bytes without a delimiter or a line break (a quoted
    cell holding delimiters counts as several, so :func:`check_frame` checks again after reading);
    the number of rows is the number of lines after the header (a quoted line break counts as a
    row, so a file above the limit is counted again by a CSV reader before it is refused).
    """
    with path.open("rb") as handle:
        head = handle.read(limits.header_bytes + 1)
    end = head.find(b"\n")
    header = head[: end if end >= 0 else len(head)]
    sep = delimiter.encode("utf-8") if len(delimiter.encode("utf-8")) == 1 else b","
    if header.count(sep) + 1 > limits.columns:
        columns = _exact_columns(header, delimiter)
        if columns > limits.columns:
            raise refuse(path, "columns", columns, limits.columns)
    lines, longest = _scan(path, sep[0], limits.cell_bytes)
    if longest > limits.cell_bytes:
        raise refuse(path, "cell_bytes", longest, limits.cell_bytes)
    if lines - 1 > limits.rows:
        rows = _exact_rows(path, delimiter)
        if rows > limits.rows:
            raise refuse(path, "rows", rows, limits.rows)


def _first_line_length(path: Path) -> int:
    length = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            end = chunk.find(b"\n")
            if end >= 0:
                return length + end
            length += len(chunk)
    return length


def _exact_columns(header: bytes, delimiter: str) -> int:
    import csv
    import io

    text = header.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        return len(next(csv.reader(io.StringIO(text), delimiter=delimiter)))
    except (StopIteration, csv.Error):
        return text.count(delimiter) + 1


def _exact_rows(path: Path, delimiter: str) -> int:
    """Records after the header, by a CSV reader (quoted line breaks are no new row)."""
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            return sum(1 for row in reader if any(row)) - 1
        except csv.Error:  # a NUL, a field beyond the csv module's own limit: the lines stand
            pass
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def _scan(path: Path, separator: int, cell_bytes: int) -> tuple[int, int]:
    """Number of lines, and the longest run of bytes without ``separator`` or a line break (or a
    number no smaller than it: the longest line, when no line is longer than ``cell_bytes``; or
    any number no larger than ``cell_bytes`` when no line can be longer)."""
    lines, longest = _lines_within(path, cell_bytes)
    if longest <= cell_bytes:
        return lines, longest
    lines, longest = _longest_run(path, (10,))
    if longest <= cell_bytes:
        return lines, longest
    return lines, _longest_run(path, (10, 13, separator))[1]


#: Below this many bytes per block, finding a line break in every block costs more in Python calls
#: than the byte-by-byte scan of :func:`_longest_run`.
_MIN_BLOCK = 4096
_BUFFER = 1024 * 1024


def _lines_within(path: Path, cell_bytes: int) -> tuple[int, int]:
    """Number of lines, and ``cell_bytes`` when no line can be longer than that, else ``cell_bytes + 1``.

    The file is cut into blocks of ``cell_bytes // 2 + 1`` bytes: a line longer than
    ``cell_bytes`` covers a whole block, so when every block holds a line break no line is that
    long. A block is searched only up to its first line break, so the file is read through once,
    by ``bytes.count``, instead of compared byte by byte.
    """
    block = cell_bytes // 2 + 1
    if block < _MIN_BLOCK:
        return 0, cell_bytes + 1
    lines = 0
    last = 10
    # A buffer of about 1 MB read into again and again stays in the processor's cache.
    buffer = bytearray(block * max(1, _BUFFER // block))
    with path.open("rb") as handle:  # a buffered reader fills the buffer unless the file ends
        while size := handle.readinto(buffer):
            lines += buffer.count(b"\n", 0, size)
            last = buffer[size - 1]
            for start in range(0, size - block + 1, block):
                if buffer.find(b"\n", start, start + block) < 0:
                    return 0, cell_bytes + 1
    if last != 10:
        lines += 1  # a last line without a line break
    return lines, cell_bytes


def _longest_run(path: Path, cuts: tuple[int, ...]) -> tuple[int, int]:
    """Number of line feeds (plus a last line without one), and the longest run of bytes
    holding none of ``cuts``, read in chunks of 16 MB."""
    import numpy as np

    lines = 0
    longest = 0
    run = 0  # bytes since the last cut, carried over from the previous chunk
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            lines += chunk.count(b"\n")
            mask = data == cuts[0]
            for cut in cuts[1:]:
                mask |= data == cut
            where = np.flatnonzero(mask)
            if len(where) == 0:
                run += len(data)
                longest = max(longest, run)
                continue
            longest = max(longest, run + int(where[0]))
            if len(where) > 1:
                longest = max(longest, int(np.max(np.diff(where))) - 1)
            run = len(data) - int(where[-1]) - 1
            longest = max(longest, run)
        if run:
            lines += 1  # a last line without a line break
    return lines, longest


# ---------------------------------------------------------------------------------------------
# Excel

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")


def check_frame(path: Path, frame: object, limits: Limits) -> None:
    """Check a frame as read: columns, rows and the longest cell (in characters, which are never
    more than bytes), for what :func:`check_text` could only estimate."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    if frame.shape[1] > limits.columns:
        raise refuse(path, "columns", frame.shape[1], limits.columns)
    if len(frame) > limits.rows:
        raise refuse(path, "rows", len(frame), limits.rows)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        longest = _longest_cell(column)
        if longest > limits.cell_bytes:
            raise refuse(path, "cell_bytes", longest, limits.cell_bytes)


def _longest_cell(column: object) -> int:
    """The length of the longest filled cell of a column, as text (0 when it has none)."""
    import numpy as np
    import pandas as pd

    assert isinstance(column, pd.Series)
    categorical = isinstance(column.dtype, pd.CategoricalDtype)
    try:
        # The reader's columns hold strings and None: lengths in one pass, no copies.
        cells = (column.cat.categories if categorical else column).to_numpy(dtype=object)
        return max(map(len, cells[np.not_equal(cells, None)]), default=0)  # type: ignore[call-overload]  # numpy's stub: no None operand
    except TypeError:  # a number or NaN among them: measured as text below
        pass
    values = column.cat.categories if categorical else column.dropna()
    if not len(values):
        return 0
    return int(pd.Series(np.asarray(values, dtype=object)).astype(str).str.len().max())


def check_xlsx_archive(path: Path, limits: Limits) -> None:
    """Check an Excel file's zip directory (inflated sizes, compression ratios, the table of
    texts) and every sheet's declared dimension, before openpyxl opens it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the reader reports a damaged file
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > limits.xlsx_bytes:
            raise refuse(path, "xlsx_bytes", total, limits.xlsx_bytes)
        for info in infos:
            if info.file_size > _RATIO_FLOOR:
                ratio = info.file_size // max(info.compress_size, 1)
                if ratio > limits.xlsx_ratio:
                    raise refuse(path, "xlsx_ratio", ratio, limits.xlsx_ratio)
            if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > limits.shared_strings:
                raise refuse(path, "shared_strings", info.file_size, limits.shared_strings)
        for info in infos:
            name = info.filename.lower()
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                _check_dimension(path, archive, info, limits)


def _check_dimension(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    try:
        with archive.open(info) as handle:
            head = handle.read(4096)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return  # the reader reports a damaged file
    found = _DIMENSION.search(head)
    if found is None:
        return
    first_col, first_row, last_col, last_row = found.groups()
    last_col, last_row = last_col or first_col, last_row or first_row
    if last_col:
        columns = column_number(last_col.decode()) - column_number((first_col or b"A").decode()) + 1
        if columns > limits.columns:
            raise refuse(path, "columns", columns, limits.columns)
    if last_row:
        rows = int(last_row) - int(first_row or 1)  # the first row is the header
        if rows > limits.rows:
            raise refuse(path, "rows", rows, limits.rows)


def column_number(letters: str) -> int:
    """1-based number of an Excel column ("A" is 1, "XFD" is 16,384)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number
