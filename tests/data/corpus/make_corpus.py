"""Regenerate the broken-input corpus: ``python tests/data/corpus/make_corpus.py``.

Every file is small and deterministic. ``expected.yaml`` beside this script says what grontur
must do with each one; it is written by hand, not by this script.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = [
    "$submission_id",
    "Which workplace do you belong to?",
    "Which job group do you belong to?",
    "How do you usually travel to work in the summer half of the year?",
    "How do you usually travel to work in the winter half of the year?",
    "How far is it from your home to your workplace, one way (km)?",
    "How many days a week are you usually at your workplace?",
    "What keeps you from walking, cycling, taking public transport or sharing a car more often? Choose all that apply.",
]
MODES = ["Walk", "Bicycle", "Car, alone", "Bus", "Car, driving with others", "E-bike"]
JOBS = ["School", "Health and care", "Administration and casework", "Kindergarten"]
BARRIERS = ["It is too far", "Weather and winter roads, Darkness", "", "Children and errands"]


def base_rows(n: int = 12) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append([
            str(1000 + i), f"Site {'AB'[i % 2]}", JOBS[i % 4], MODES[i % 6], MODES[(i + 2) % 6],
            f"{(i % 7) + 1},5", str(5 - i % 3), BARRIERS[i % 4],
        ])
    return rows


def to_csv(header: list[str], rows: list[list[str]], *, delimiter: str = ",", lineterminator: str = "\r\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write(name: str, data: bytes | str, encoding: str = "utf-8") -> None:
    path = HERE / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def xlsx(name: str, build) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = dt.datetime(2025, 1, 1)
    build(book)
    path = HERE / name
    book.save(path)
    # Fixed member times so the file is byte-stable when regenerated.
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", data)
            target.writestr(member, data)
    tmp.replace(path)


def main() -> None:
    rows = base_rows()
    good = to_csv(HEADER, rows)

    # --- truncated files
    write("truncated_mid_row.csv", good[: good.rfind(",5,")])  # last row cut after the distance
    cut_quote = to_csv(HEADER, rows[:4]) + '1099,Site A,School,Walk,"Car, al'
    write("truncated_in_quote.csv", cut_quote)
    xlsx("_tmp_full.xlsx", lambda b: [b.active.append(r) for r in [HEADER, *rows]])
    full = (HERE / "_tmp_full.xlsx").read_bytes()
    (HERE / "_tmp_full.xlsx").unlink()
    write("truncated.xlsx", full[: len(full) // 2])

    # --- encodings
    nn_header = ["Kva for arbeidsstad høyrer du til?", "Korleis reiser du vanlegvis til jobb om sommarhalvåret?",
                 "Korleis reiser du vanlegvis til jobb om vinterhalvåret?",
                 "Kor langt er det frå heimen din til arbeidsstaden, éin veg (km)?"]
    nn_rows = [["Ål sjukeheim", "Går", "Bil, åleine", "2,5"], ["Rådhuset", "Syklar", "Går", "4"],
               ["Ål skule", "Elsykkel", "Buss", "12"], ["Rådhuset", "Bil, åleine", "Bil, åleine", "30"]]
    text = to_csv(nn_header, nn_rows, delimiter=";")
    lines = text.splitlines(keepends=True)
    mixed = b"".join(line.encode("utf-8" if i % 2 == 0 else "cp1252") for i, line in enumerate(lines))
    write("mixed_encoding.csv", mixed)
    write("utf16_tab_bom.txt", to_csv(nn_header, nn_rows, delimiter="\t"), encoding="utf-16")
    write("utf16le_no_bom.csv", to_csv(nn_header, nn_rows, delimiter="\t"), encoding="utf-16-le")
    write("cp1252_semicolon.csv", text, encoding="cp1252")
    write("utf8_bom_twice.csv", "\ufeff\ufeff" + text)

    # --- headers
    dup = HEADER[:4] + [HEADER[3]] + HEADER[4:]
    write("duplicated_headers.csv", to_csv(dup, [r[:4] + [MODES[(i + 1) % 6]] + r[4:] for i, r in enumerate(rows)]))
    write("all_headers_blank.csv", to_csv(["", "", ""], [["Walk", "Bus", "3"], ["Car, alone", "Bus", "10"]]))
    write("title_rows_above_header.csv", "Survey results 2025\nExported by the survey tool\n" + good)
    write("qualtrics_two_of_three_headers.csv",
          to_csv(["StartDate", "ResponseId", "Q1", "Q2", "Q3"],
                 [["Start Date", "Response ID", HEADER[3], HEADER[4], HEADER[5]],
                  ["2025-03-01 10:00:00", "R_1", "Walk", "Bus", "3"],
                  ["2025-03-01 10:05:00", "R_2", "Car, alone", "Car, alone", "25"]]))

    # --- Excel oddities
    def merged(book):
        ws = book.active
        ws.title = "Responses"
        ws.append(["Commuting survey", None, None, None])
        ws.merge_cells("A1:D1")
        ws.append([HEADER[1], HEADER[3], HEADER[4], HEADER[5]])
        for i, r in enumerate(rows[:8]):
            ws.append([r[1], r[3], r[4], float(r[5].replace(",", "."))])
        ws.merge_cells("A3:A6")  # one workplace cell spanning four respondents
    xlsx("merged_cells.xlsx", merged)

    def formulas(book):
        ws = book.active
        ws.append([HEADER[3], HEADER[4], HEADER[5]])
        for i, r in enumerate(rows[:6]):
            ws.append([r[3], r[4], f"=1+{i}"])  # formulas with no cached value
        ws.append(["=A2", "=B2", "=C2*2"])  # a row of nothing but formulas
    xlsx("formulas.xlsx", formulas)

    def dates(book):
        import datetime as dt
        ws = book.active
        ws.append([HEADER[3], HEADER[4], HEADER[5], HEADER[6]])
        for i, r in enumerate(rows[:6]):
            ws.append([r[3], r[4], dt.datetime(2025, 3, 1 + i), dt.date(2025, 1, 5)])
    xlsx("dates_for_numbers.xlsx", dates)

    def empty_first_sheet(book):
        book.active.title = "Front page"
        book.active.append(["Nothing here"])
        ws = book.create_sheet("Answers")
        ws.append([HEADER[3], HEADER[4], HEADER[5]])
        for r in rows[:5]:
            ws.append([r[3], r[4], r[5]])
    xlsx("responses_on_second_sheet.xlsx", empty_first_sheet)

    def numbers_only(book):
        ws = book.active
        for i in range(5):
            ws.append([i, i * 2, i * 3])
    xlsx("numbers_only.xlsx", numbers_only)

    # --- values where they do not belong
    csv_dates = [[r[0], r[3], r[4], d] for r, d in zip(rows[:6], ["2025-03-01", "01.03.2025", "3/1/2025",
                                                                    "45292", "12:30", "1. mars"])]
    write("dates_for_numbers.csv", to_csv([HEADER[0], HEADER[3], HEADER[4], HEADER[5]], csv_dates))
    codes = [[str(1 + i % 9), str(1 + (i + 3) % 9), "" if i % 3 else "7"] for i in range(9)]
    write("numbers_for_codes.csv", to_csv([HEADER[3], HEADER[4], HEADER[5]], codes))
    odd = ["-4", "0", "1e6", "inf", "NaN", "301", "2,5 mil", "five", "ca. 10 km", "3-5", "a lot", "½"]
    write("odd_numbers.csv", to_csv([HEADER[3], HEADER[5]], [["Walk", v] for v in odd]))
    write("formula_injection.csv",
          to_csv([HEADER[3], HEADER[4], HEADER[5]],
                 [["=HYPERLINK(\"http://example.invalid\",\"x\")", "Bus", "3"], ["+cmd|' /C calc'!A0", "Walk", "2"],
                  ["@SUM(1+1)", "Bus", "4"], ["Walk", "Walk", "=1+1"], ["Bus", "Bus", "7"]]))

    # --- shapes
    write("ragged_rows.csv", to_csv(HEADER[3:6], [["Walk", "Bus", "3"], ["Bus", "Bus", "4", "extra", "more"],
                                                   ["Walk", "Walk", "1"]]))
    write("short_rows.csv", to_csv(HEADER[3:6], [["Walk", "Bus", "3"], ["Bus"], [], ["Walk", "Walk"]]))
    write("blank_lines_between.csv", to_csv(HEADER[3:6], [["Walk", "Bus", "3"], ["", "", ""], ["Bus", "Bus", "4"],
                                                           [" ", "\t", ""], ["Walk", "Walk", "1"]]).replace("\r\n", "\r\n\r\n", 2))
    write("old_mac_line_endings.csv", to_csv(HEADER[3:6], [["Walk", "Bus", "3"], ["Bus", "Bus", "4"]], lineterminator="\r"))
    write("quoted_newlines.csv", to_csv(HEADER[3:6] + ["Any other comments?"],
                                        [["Walk", "Bus", "3", "line one\nline two\r\nline three"],
                                         ["Bus", "Bus", "4", "\"quoted\"\n, and a comma"], ["Walk", "Walk", "1", ""]]))
    write("single_column.csv", to_csv([HEADER[3]], [["Walk"], ["Car, alone"], ["Bus"], [""], ["Bicycle"]]))
    write("very_long_cell.csv", to_csv(HEADER[3:6], [["Walk", "Bus", "3"], ["Bus", "x" * 32_767, "4"]]))
    write("unicode_oddities.csv", to_csv(HEADER[3:6], [["W\u200balk", "B\u00a0us", "3"], ["🚲", "Bus ", "٣"],
                                                        ["Car,\u2003alone", "CAR, ALONE", "10\u00a0km"],
                                                        ["Walk\u0301", "Buss", "5"]]))
    write("nothing_usable.csv", to_csv(HEADER[3:6], [["Spaceship", "Teleport", "far"], ["?", "-", "n/a"],
                                                      ["", "", "unknown"]]))
    write("no_mode_or_distance.csv", to_csv(["Name of pet", "Favourite colour"], [["Rex", "Blue"], ["Tom", "Red"]]))
    dup_rows = [rows[0], rows[1], rows[1], rows[2], rows[2], rows[2]]
    write("duplicate_ids.csv", to_csv(HEADER, dup_rows))

    # A single-column file whose header holds a semicolon: the header splits in two, and the
    # second half is a column without a single answer.
    write("semicolon_in_lone_header.csv",
          "What is your home postcode? (Only used to estimate distance; never shown for groups under five people.)\n"
          "kari.nordmann@example.no\n5\n")

    # --- not a survey at all
    write("empty.csv", b"")
    write("whitespace_only.csv", b"  \r\n\t\r\n   \n")
    write("header_only.csv", to_csv(HEADER, []))
    write("png_renamed.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    write("nul_bytes.csv", good.encode("utf-8").replace(b",", b"\x00,", 20))
    write("ole_container.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as archive:
        archive.writestr(zipfile.ZipInfo("hello.txt", date_time=(1980, 1, 1, 0, 0, 0)), "not a workbook")
    write("zip_not_workbook.xlsx", zbuf.getvalue())
    write("html_saved_as.xls", "<html><body><table><tr><td>" + HEADER[3] + "</td></tr><tr><td>Walk</td></tr></table></body></html>")


if __name__ == "__main__":
    main()
