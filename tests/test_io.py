"""Reading exports: encodings, delimiters, Excel sheets, multi-row headers and broken files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from grontur.errors import GronturError, InputFileError
from grontur.io import read_export

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"

ROWS = [["Mode", "Distance (km)", "Kommentar"], ["Bil, åleine", "2,5", "Gå på ski"], ["Syklar", "5", "Ærleg talt"]]


def _text(rows: list[list[str]], sep: str) -> str:
    return "\r\n".join(sep.join(f'"{c}"' if sep in c else c for c in row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "bom", "sep"),
    [("utf-8", b"", ","), ("utf-8", b"\xef\xbb\xbf", ";"), ("utf-16-le", b"\xff\xfe", "\t"),
     ("cp1252", b"", ";"), ("latin-1", b"", ","), ("utf-8", b"", "\t")],
)
def test_text_exports_in_any_common_encoding_and_delimiter(tmp_path: Path, encoding: str, bom: bytes, sep: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(bom + _text(ROWS, sep).encode(encoding))
    raw = read_export(path)
    assert list(raw.frame.columns) == ROWS[0]
    assert raw.frame["Mode"].tolist() == ["Bil, åleine", "Syklar"]
    assert raw.frame["Kommentar"].tolist() == ["Gå på ski", "Ærleg talt"]
    assert raw.frame["Distance (km)"].tolist() == ["2,5", "5"]  # decimal comma left to the cleaner
    assert raw.frame.index.tolist() == [1, 2]


def test_multiline_quoted_answers_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b'A,B\r\n1,"line one\nline two"\r\n2,x\r\n')
    raw = read_export(path)
    assert raw.frame["B"].tolist() == ["line one\nline two", "x"]
    assert raw.frame.index.tolist() == [1, 2]


def test_blank_rows_keep_the_row_number_of_later_rows(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("A,B\n1,2\n,\n3,4\n", encoding="utf-8")
    raw = read_export(path)
    assert raw.frame.index.tolist() == [1, 3]


def test_excel_finds_the_responses_sheet_among_others(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Info"
    notes["A1"] = "Survey notes"
    pivot = book.create_sheet("Pivot")
    pivot.append(["Row Labels", "Count"])
    pivot.append(["Bus", 3])
    answers = book.create_sheet("Responses")
    answers.append(["Mode", "Distance"])
    answers.append(["Bus", 12.5])
    answers.append(["Walk", 1])
    path = tmp_path / "book.xlsx"
    book.save(path)
    raw = read_export(path)
    assert raw.sheet == "Responses"
    assert raw.frame["Distance"].tolist() == ["12.5", "1"]
    assert read_export(path, sheet="Pivot").frame.columns.tolist() == ["Row Labels", "Count"]


def test_unknown_sheet_names_the_sheets(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Svar"
    book.active.append(["a", "b"])
    book.active.append(["1", "2"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(InputFileError, match="Svar"):
        read_export(path, sheet="Answers")


def test_qualtrics_three_header_rows_use_question_texts() -> None:
    raw = read_export(DATA / "import_qualtrics_en.csv")
    assert raw.header_rows == 3
    assert "How do you usually travel to work in the summer half of the year?" in raw.frame.columns
    assert len(raw.frame) == 3
    assert raw.frame.index.tolist() == [1, 2, 3]
    assert raw.extra_headers["Response ID"] == ["ResponseId"]


@pytest.mark.parametrize(
    ("name", "words"),
    [("empty.csv", "empty"), ("header_only.csv", "no responses"), ("header_only_bom.csv", "no responses"),
     ("binary_garbage.csv", "not a text or Excel"), ("corrupt.xlsx", "damaged"), ("truncated.xlsx", "damaged"),
     ("password_protected.xlsx", "password"), ("no_responses.xlsx", "No sheet"), ("missing.csv", "Cannot find")],
)
def test_broken_files_give_one_message_naming_the_file(name: str, words: str) -> None:
    path = BROKEN / name
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    with pytest.raises(GronturError) as caught:
        read_export(path)
    message = str(caught.value)
    assert name in message
    assert words.lower() in message.lower()
    assert "\n" not in message
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_utf16_without_bom_and_excel_sep_line(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(_text(ROWS, "\t").encode("utf-16-le"))
    assert read_export(path).frame["Mode"].tolist() == ["Bil, åleine", "Syklar"]
    hinted = tmp_path / "hinted.csv"
    hinted.write_text("sep=;\n" + _text(ROWS, ";"), encoding="utf-8")
    raw = read_export(hinted)
    assert list(raw.frame.columns) == ROWS[0]
    assert raw.frame.index.tolist() == [1, 2]


def test_qualtrics_legacy_two_header_rows(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text("StartDate,ResponseId,Q1\nStart Date,Response ID,How far (km)?\n2025-03-01,R_1,3\n", encoding="utf-8")
    raw = read_export(path)
    assert list(raw.frame.columns) == ["Start Date", "Response ID", "How far (km)?"]
    assert raw.header_rows == 2
    assert raw.frame["How far (km)?"].tolist() == ["3"]


def test_whitespace_is_stripped_and_blank_cells_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("A,B\n  Bus ,   \nBus,x\n", encoding="utf-8")
    raw = read_export(path)
    assert raw.frame["A"].tolist() == ["Bus", "Bus"]
    assert raw.frame["B"].isna().tolist() == [True, False]


def test_columns_of_repeated_answers_and_of_distinct_cells_are_tidied_alike(tmp_path: Path) -> None:
    # Repeated answers become categorical (coded once per distinct value); ids and comments,
    # where most cells differ, stay plain text. Both are stripped and blanked the same way.
    rows = [f"  {i} ,Bil , note {i} " for i in range(40)]
    rows[3] = " 3 ,   , "
    rows[7] = "  ,  ,  "  # nothing but spaces: the row is dropped, later rows keep their number
    path = tmp_path / "mixed.csv"
    path.write_text("Id,Mode,Comment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frame = read_export(path).frame
    assert isinstance(frame["Mode"].dtype, pd.CategoricalDtype)
    assert frame["Id"].dtype == object and frame["Comment"].dtype == object
    assert 8 not in frame.index and len(frame) == 39
    assert frame.loc[1, "Id"] == "0" and frame.loc[40, "Comment"] == "note 39"
    assert pd.isna(frame.loc[4, "Mode"])
    assert pd.isna(frame.loc[4, "Comment"]) and frame.loc[4, "Id"] == "3"
    assert set(frame["Mode"].dropna()) == {"Bil"}


def test_a_surplus_field_in_the_first_row_is_refused_and_trailing_delimiters_are_harmless(tmp_path: Path) -> None:
    # pandas would make the surplus leading field an index and shift every column silently.
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("Mode,Distance (km),Comment\nbil,5,ok, men kaldt\nbuss,3,fint\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="line 2 has 4 fields but the header has 3"):
        read_export(ragged)
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("Mode,Distance (km)\nbil,5,\nbuss,3,\n", encoding="utf-8")
    frame = read_export(trailing).frame
    assert frame["Mode"].tolist() == ["bil", "buss"] and frame["Distance (km)"].tolist() == ["5", "3"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_windows_1252_byte_far_below_the_first_bytes_is_still_read_right(tmp_path: Path, bom: bytes) -> None:
    # The encoding is judged from the first 64 kB; a Windows-1252 "ø" on line 3,001 must still be
    # read as "ø" (the file is judged again as a whole), not refused or garbled.
    rows = ["Mode,Kommentar"] + [f"Bil,rad {i} med ein lang kommentar om vegen til jobb" for i in range(3_000)]
    path = tmp_path / "late.csv"
    path.write_bytes(bom + ("\r\n".join(rows) + "\r\n").encode("utf-8") + "Sykkel,sør\r\n".encode("cp1252"))
    assert path.stat().st_size > 64 * 1024 + 1000
    raw = read_export(path)
    assert raw.frame["Kommentar"].iloc[-1] == "sør"
    assert raw.frame["Mode"].iloc[-1] == "Sykkel" and len(raw.frame) == 3_001
