"""Size limits checked before a survey export is loaded, and answers read in linear time.

Each limit of :mod:`grontur.limits` refuses a file just beyond it with one line that names the
limit and how to raise it, and reads a file at it; the limits come from ``--limit NAME=N`` and
``limits:`` in grontur.yaml. The number reader's patterns take time linear in an answer's length:
a megabyte of digits is read in well under the time a quadratic pattern would need (hours).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from grontur.cli import main
from grontur.config import load_project
from grontur.errors import ConfigError, InputFileError
from grontur.io import read_export
from grontur.limits import DEFAULT_LIMITS, Limits, column_number, limits_from_flags
from tests.hostile_corpus import (
    DISTANCE,
    HEADER,
    MODE,
    _cell,
    _sheet,
    rows,
    write_csv,
    write_xlsx,
)

ROOT = Path(__file__).resolve().parents[1]


def _refused(path: Path, limits: Limits, name: str) -> str:
    with pytest.raises(InputFileError) as caught:
        read_export(path, limits=limits)
    message = str(caught.value)
    assert "\n" not in message
    assert f"limit {name}:" in message and f"--limit {name}=N" in message and str(path) in message
    return message


# ---------------------------------------------------------------------------------------------
# text files


def test_columns_at_the_limit_are_read_and_one_more_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", HEADER, rows(12))
    assert read_export(path, limits=Limits(columns=5)).frame.shape[1] == 5
    message = _refused(path, Limits(columns=4), "columns")
    assert "columns 5, the limit is 4" in message


def test_header_line_beyond_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("c," * 600 + "c\n" + "1\n", encoding="utf-8")
    message = _refused(path, Limits(header_bytes=1000), "header_bytes")
    assert "1,201" in message  # the header line's length, counted without reading the file into memory
    assert read_export(path, limits=Limits(header_bytes=1201)).frame.shape[1] == 601


def test_a_long_run_of_one_cell_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    path = write_csv(tmp_path / "c.csv", HEADER, [["Skulen", "Bus", "Bus", "3" * 5000, ""], *rows(10)])
    calls: list[object] = []
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: calls.append(a))
    _refused(path, Limits(cell_bytes=4999), "cell_bytes")
    assert calls == []  # refused before pandas was asked to read it


def test_a_quoted_cell_holding_delimiters_is_refused_after_reading(tmp_path: Path) -> None:
    cell = "a, b; " * 1000 + "z"
    path = write_csv(tmp_path / "q.csv", HEADER, [["Skulen", "Bus", "Bus", "3", cell], *rows(10)])
    message = _refused(path, Limits(cell_bytes=len(cell) - 1), "cell_bytes")
    assert f"{len(cell):,}" in message
    assert read_export(path, limits=Limits(cell_bytes=len(cell))).frame.shape == (11, 5)


def test_rows_are_counted_as_records_not_lines(tmp_path: Path) -> None:
    """Twelve answers that each hold a quoted line break are 24 lines but 12 rows."""
    body = [["Skulen", "Bus", "Bus", "3", "line one\nline two"] for _ in range(12)]
    path = write_csv(tmp_path / "r.csv", HEADER, body)
    assert len(read_export(path, limits=Limits(rows=12)).frame) == 12
    assert "rows 12, the limit is 11" in _refused(path, Limits(rows=11), "rows")


def test_the_row_limit_is_checked_before_pandas_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    path = write_csv(tmp_path / "r.csv", HEADER, rows(300))
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("read despite the row limit"))
    assert "rows 300, the limit is 299" in _refused(path, Limits(rows=299), "rows")


def _long_line_at(path: Path, offset: int, length: int) -> Path:
    """A file whose line of ``length`` bytes (one cell, no delimiter) starts ``offset`` bytes after
    the header line (short rows fill the bytes before it)."""
    filler = b""
    while len(filler) < offset:
        n = min(offset - len(filler), 100)
        filler += b"\n" if n == 1 else b"1\n" if n == 2 else b"1," + b"y" * (n - 3) + b"\n"
    assert len(filler) == offset
    path.write_bytes(b"a,b\n" + filler + b"z" * length + b"\n" + b"2,3\n" * 3)
    return path


#: A cell limit at which the scan before reading looks for a line break in blocks of 5,001 bytes.
_BLOCK_LIMIT = 10_000


@pytest.mark.parametrize("offset", sorted({*range(30), *range(4_980, 5_030), *range(9_980, 10_030),
                                           *range(0, 15_003, 811)}))
def test_a_cell_one_byte_over_the_limit_is_refused_before_reading_wherever_its_line_starts(
        tmp_path: Path, offset: int) -> None:
    """The scan before reading finds a line break in every block of half the cell limit, or scans
    the file byte by byte; a line one byte over the limit is caught at any offset, one at it passes."""
    from grontur.limits import check_text

    limits = Limits(cell_bytes=_BLOCK_LIMIT)
    over = _long_line_at(tmp_path / "over.csv", offset, _BLOCK_LIMIT + 1)
    with pytest.raises(InputFileError, match=f"largest cell {_BLOCK_LIMIT + 1:,}, the limit is {_BLOCK_LIMIT:,}"):
        check_text(over, ",", limits)
    check_text(_long_line_at(tmp_path / "at.csv", offset, _BLOCK_LIMIT), ",", limits)


@pytest.mark.parametrize("last_line_break", [True, False])
def test_the_row_limit_counts_a_last_line_without_a_line_break(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                last_line_break: bool) -> None:
    import pandas as pd

    path = write_csv(tmp_path / "r.csv", HEADER, rows(300))
    text = path.read_bytes()
    if not last_line_break:
        path.write_bytes(text.rstrip(b"\r\n"))
    assert len(read_export(path, limits=Limits(rows=300)).frame) == 300
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("read despite the row limit"))
    assert "rows 300, the limit is 299" in _refused(path, Limits(rows=299), "rows")


@pytest.mark.parametrize(("cells", "longest"), [
    (["ab", None, "x" * 11, "c"], 11),
    (["ab", float("nan"), "x" * 11, 7], 11),
    ([123456789012, None, "ab", "cd"], 12),
    ([0.0, None, "a", "b"], 3),
])
def test_a_text_column_measures_its_longest_cell_whatever_it_holds(cells: list[object], longest: int) -> None:
    """The reader's text columns hold strings and None; a column holding numbers or NaN as well is
    measured as text all the same (a cell over the limit is refused either way)."""
    import pandas as pd

    from grontur.limits import check_frame

    frame = pd.DataFrame({"q": pd.Series(cells, dtype=object), "r": pd.Series(["a"] * 4, dtype="category")})
    check_frame(Path("f.csv"), frame, Limits(cell_bytes=longest))
    with pytest.raises(InputFileError, match=f"largest cell {longest}, the limit is {longest - 1}"):
        check_frame(Path("f.csv"), frame, Limits(cell_bytes=longest - 1))


# ---------------------------------------------------------------------------------------------
# Excel


def test_xlsx_declared_dimension_is_refused_before_openpyxl_opens_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    path = write_xlsx(tmp_path / "d.xlsx", _sheet([HEADER, *rows(5)], dimension="A1:XFD1048576"))
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("opened despite the dimension"))
    assert "columns 16,384" in _refused(path, DEFAULT_LIMITS, "columns")
    path = write_xlsx(tmp_path / "r.xlsx", _sheet([HEADER, *rows(5)], dimension="A1:E2000001"))
    assert "rows 2,000,000" in _refused(path, DEFAULT_LIMITS, "rows")


def test_xlsx_cells_beyond_a_lying_dimension_are_refused_not_dropped(tmp_path: Path) -> None:
    sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"], ["Walk", "2"]], dimension="A1:B3",
                   extra_rows='<row r="4">' + _cell("F4", "hidden") + "</row>")
    path = write_xlsx(tmp_path / "l.xlsx", sheet)
    assert "columns 6, the limit is 5" in _refused(path, Limits(columns=5), "columns")
    sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"], ["Walk", "2"]], dimension="A1:B3",
                   extra_rows='<row r="40">' + _cell("A40", "Bus") + "</row>")
    path = write_xlsx(tmp_path / "r.xlsx", sheet)
    _refused(path, Limits(rows=20), "rows")
    assert len(read_export(path, limits=Limits(rows=60)).frame) == 3


def test_xlsx_inflated_size_ratio_and_table_of_texts_are_checked_from_the_zip_directory(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", _sheet([[MODE, DISTANCE], ["Bus", "3"]]), padding=30_000_000)
    with zipfile.ZipFile(path) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    _refused(path, Limits(xlsx_bytes=inflated - 1), "xlsx_bytes")
    assert "times larger unpacked than packed" in _refused(path, DEFAULT_LIMITS, "xlsx_ratio")
    path = write_xlsx(tmp_path / "s.xlsx", _sheet([[MODE, DISTANCE], ["Bus", "3"]]), shared_padding=5000)
    _refused(path, Limits(shared_strings=5000), "shared_strings")


def test_an_ordinary_xlsx_is_read_under_the_default_limits(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "o.xlsx", _sheet([HEADER, *rows(30)]))
    assert read_export(path).frame.shape == (30, 5)


def test_column_letters() -> None:
    assert [column_number(x) for x in ("A", "Z", "AA", "XFD")] == [1, 26, 27, 16384]


# ---------------------------------------------------------------------------------------------
# where the limits come from


def test_limits_from_flags_and_their_errors() -> None:
    assert limits_from_flags(["columns=5000", "rows=2_000_000"]) == dataclasses.replace(
        DEFAULT_LIMITS, columns=5000, rows=2_000_000)
    for bad, words in (["rows"], "NAME=N"), (["lines=3"], "unknown limit 'lines'"), (["rows=0"], "at least 1"):
        with pytest.raises(ConfigError, match=re.escape(words)):
            limits_from_flags(bad)


def test_limits_from_grontur_yaml(tmp_path: Path) -> None:
    (tmp_path / "grontur.yaml").write_text('municipality: "3324"\nlimits:\n  rows: 10\n  cell_bytes: 5000\n',
                                           encoding="utf-8")
    assert load_project(tmp_path).limits == dataclasses.replace(DEFAULT_LIMITS, rows=10, cell_bytes=5000)
    (tmp_path / "grontur.yaml").write_text('municipality: "3324"\nlimits:\n  row: 10\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown limit 'row'"):
        load_project(tmp_path)


def test_the_cli_flag_refuses_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "s.csv", HEADER, rows(20))
    assert main(["import", str(path), "--out", str(tmp_path / "out"), "--kommune", "3324", "--salt", "x",
                 "--limit", "rows=19"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "rows 20, the limit is 19" in err and "--limit rows=N" in err
    assert not (tmp_path / "out").exists()
    assert main(["import", str(path), "--out", str(tmp_path / "out"), "--kommune", "3324", "--salt", "x",
                 "--limit", "rows=20"]) == 0


def test_every_limit_and_its_default_is_documented() -> None:
    docs = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for item in dataclasses.fields(Limits):
        default = f"{item.default:,}"
        assert re.search(rf"`{item.name}`.*{re.escape(default)}", docs), (item.name, default)
    assert "--limit" in (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# linear time


def _within(code: str, seconds: float) -> str:
    """Run ``code`` in a fresh interpreter; fail if it takes longer than ``seconds``."""
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False, capture_output=True, text=True,
                              timeout=seconds, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"not finished within {seconds} s (quadratic parsing?)")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_megabyte_of_digits_is_parsed_in_linear_time() -> None:
    """1 MB of digits (and other long runs) through every pattern of the number reader: a pattern
    quadratic in the length would need hours here (8,000 digits took 4.7 s); linear ones take
    well under a second each, so 10 s is generous on a busy machine."""
    out = _within("""
        from grontur._numbers import parse_number
        cases = ["7" * 1_000_000, "7" * 500_000 + "x" * 500_000, "7" * 999_990 + " or less", "7" * 999_999 + "e",
                 "7" * 999_990 + " og over", "1 " * 500_000, "1," * 500_000, "1-" * 500_000, "ca " * 300_000 + "3"]
        for text in cases:
            print(parse_number(text, open_upper=1.25, open_lower=0.5)[0])
    """, 10)
    assert out.split()[0] == "inf"  # read as a number (too large), later set aside as implausible


def test_a_megabyte_of_digits_in_a_distance_cell_is_imported_quickly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", HEADER, rows(20, distance=lambda i: "7" * 1_000_000 if i == 3 else "4"))
    out = _within(f"""
        from grontur.importing import import_survey
        result = import_survey({str(path)!r}, municipality="3324", salt="x")
        print(result.account["input_rows"], result.account["kept"] + result.account["quarantined"])
    """, 30)
    assert out.split() == ["20", "20"]
