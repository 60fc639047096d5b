"""A corpus of hostile and huge inputs for the command line, generated into a folder (never stored).

Every case is a command line of ``grontur`` and the files it reads, and what must happen: the
case is ``refused`` (exit status 2, one line on stderr naming the file, limit or flag, no
traceback) or ``read`` (exit status 0, every output written). :func:`run_corpus` runs each case in
its own process under a memory cap (``resource.setrlimit(RLIMIT_AS)``) and a time limit and counts
tried, refused cleanly, read correctly, crashed and hung; ``tests/test_hostile_corpus.py`` runs it
in the normal suite and ``python tests/hostile_corpus.py`` prints the counts.

The cases include every row of the table of issue 19 (control characters in a shown workplace, a
TeX-like workplace label, a 200 MB header line, a million columns, an Excel sheet declaring the
whole grid, an Excel file inflating a thousandfold, a table of texts holding one huge string,
millions of rows, a distance of 100,000 digits, ``--out`` holding the input or being a symbolic
link, a formula after a semicolon, usage errors, a survey where every car is electric) and more of
the same kinds.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import sys
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Memory each case's process may take beyond what the forking process uses (address space), and
#: its time limit in seconds.
MEMORY_BUDGET = 2 * 1024**3
TIME_LIMIT = 30.0

MODE = "How do you usually travel to work in the summer half of the year?"
WINTER = "How do you usually travel to work in the winter half of the year?"
DISTANCE = "How far is it from your home to your workplace, one way (km)?"
WORKPLACE = "Which workplace do you belong to?"
FUEL = "If you drive to work, what fuel does the car use?"
HELP = "What would make it easier for you to leave the car at home? Choose all that apply."
HEADER = [WORKPLACE, MODE, WINTER, DISTANCE, FUEL]
MODES = ["Walk", "Bicycle", "Car, alone", "Bus", "Car, alone", "Car passenger"]
FUELS = ["Petrol", "Diesel", "Electric car", "Electric car"]


@dataclass
class Case:
    """One command line and what it must do: ``refused`` (exit 2, one line) or ``read`` (exit 0)."""

    name: str
    expect: str
    make: Callable[[Path], list[str]]  # writes the case's files into a folder, returns the arguments
    words: tuple[str, ...] = ()  # the refusal's line must contain these (the limit's name, the flag)
    outputs: tuple[str, ...] = ()  # files a read case must write into its --out
    table: bool = False  # a row of the table
    cost: float = 1.0  # rough seconds, to start the slowest first


def rows(n: int, *, workplaces: tuple[str, ...] = ("Rådhuset", "Skulen"), modes: list[str] = MODES,
         fuels: list[str] = FUELS, distance: Callable[[int], str] = lambda i: str(1 + i % 23)) -> list[list[str]]:
    out = []
    for i in range(n):
        mode = modes[i % len(modes)]
        out.append([workplaces[i % len(workplaces)], mode, modes[(i + 1) % len(modes)], distance(i),
                    fuels[i % len(fuels)] if mode.startswith("Car") else ""])
    return out


def write_csv(path: Path, header: list[str], body: list[list[str]], delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def survey(folder: Path, n: int = 60, name: str = "survey.csv", **kwargs: object) -> Path:
    return write_csv(folder / name, HEADER, rows(n, **kwargs))  # type: ignore[arg-type]


def imp(path: Path, *extra: str) -> list[str]:
    return ["import", str(path), "--out", str(path.parent / "out"), "--kommune", "3324", "--salt", "corpus", *extra]


def ana(path: Path, *extra: str, formats: tuple[str, ...] = ("none",)) -> list[str]:
    fmt = [item for f in formats for item in ("--format", f)]
    return ["analyse", str(path), "--out", str(path.parent / "out"), "--kommune", "3324", "--run-date", "2025-06-02",
            *fmt, *extra]


# ---------------------------------------------------------------------------------------------
# Excel parts written by hand (so that dimensions, sizes and strings can lie)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="Svar" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  'Target="worksheets/sheet1.xml"/>'
                  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                  'Target="sharedStrings.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _col(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(cells: list[list[str]], *, dimension: str | None = None, extra_rows: str = "", padding: int = 0) -> str:
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(f"{_col(c)}{r}", v) for c, v in enumerate(row, start=1) if v != "") + "</row>"
        for r, row in enumerate(cells, start=1))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}>{dim}<sheetData>{body}{extra_rows}</sheetData></worksheet>'


def write_xlsx(path: Path, sheet: str, *, shared: str | None = None, padding: int = 0, shared_padding: int = 0) -> Path:
    """An .xlsx from a sheet's XML; ``padding`` spaces of whitespace inside the sheet (a zip bomb)."""
    shared = shared or f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="0" uniqueCount="0"></sst>'
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _write_padded(archive, "xl/sharedStrings.xml", shared, shared_padding)
        _write_padded(archive, "xl/worksheets/sheet1.xml", sheet, padding)
    return path


def _write_padded(archive: zipfile.ZipFile, name: str, xml: str, padding: int) -> None:
    """Write ``xml`` with ``padding`` bytes inserted before its last element's end (in chunks)."""
    if not padding:
        archive.writestr(name, xml)
        return
    cut = xml.rindex("</")
    with archive.open(name, "w", force_zip64=True) as handle:
        handle.write(xml[:cut].encode())
        chunk = b" " * (16 * 1024 * 1024)
        left = padding
        while left > 0:
            handle.write(chunk[:left])
            left -= len(chunk)
        handle.write(xml[cut:].encode())


def survey_xlsx(path: Path, n: int = 40) -> Path:
    return write_xlsx(path, _sheet([HEADER, *rows(n)]))


# ---------------------------------------------------------------------------------------------
# the cases


def _text(name: str, content: bytes | str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return imp(path)
    return make


def _header_line(folder: Path) -> list[str]:
    # "c,c,c,..." of 200 MB in the issue; 20 MB here (the header limit is 1 MB: refused all the same)
    path = folder / "header.csv"
    with path.open("wb") as handle:
        handle.write(b"c," * (10 * 1024 * 1024) + b"c\n1\n")
    return imp(path)


def _columns(count: int, width: int = 0) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "columns.csv"
        names = [f"q{i}" + "x" * width for i in range(count)]
        path.write_text(",".join([MODE, *names]) + "\n" + ",".join(["Bus"] + ["1"] * count) + "\n", encoding="utf-8")
        return imp(path)
    return make


def _million_columns(folder: Path) -> list[str]:
    path = folder / "million.csv"
    path.write_bytes(b",".join(b"%d" % (i % 100000) for i in range(1_000_000)) + b"\nBus\n")
    return imp(path)


def _distance_digits(digits: int, unit: str = "") -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return imp(survey(folder, distance=lambda i: "7" * digits + unit if i == 3 else str(1 + i % 9)))
    return make


def _distance_text(text: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return imp(survey(folder, distance=lambda i: text if i == 3 else str(1 + i % 9)))
    return make


def _huge_cell(size: int, quoted: bool) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        cell = ("a, " * (size // 3 + 1))[:size] if quoted else "a" * size
        return imp(write_csv(folder / "cell.csv", HEADER, [["Rådhuset", "Bus", "Bus", "3", cell], *rows(30)]))
    return make


def _many_rows(count: int, *extra: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = folder / "rows.csv"
        line = b"Bus,3\n"
        with path.open("wb") as handle:
            handle.write(f'{MODE},"{DISTANCE}"\n'.encode())
            block = line * 100_000
            for _ in range(count // 100_000):
                handle.write(block)
            handle.write(line * (count % 100_000))
        return imp(path, *extra)
    return make


def _xlsx_full_grid(folder: Path) -> list[str]:
    # 4.8 KB, dimension A1:XFD1048576, a cell at XFD1 and one at row 1,048,576
    sheet = _sheet([[MODE, DISTANCE]], dimension="A1:XFD1048576",
                   extra_rows='<row r="1">' + _cell("XFD1", "x") + '</row><row r="1048576">' + _cell("A1048576", "Bus") + "</row>")
    return imp(write_xlsx(folder / "grid.xlsx", sheet))


def _xlsx_lying(cells: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"], ["Walk", "2"]], dimension="A1:B3", extra_rows=cells)
        return imp(write_xlsx(folder / "lying.xlsx", sheet))
    return make


def _xlsx_bomb(padding: int, name: str = "bomb.xlsx", *, shared: bool = False) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"], ["Walk", "2"]])
        if shared:
            return imp(write_xlsx(folder / name, sheet, shared_padding=padding))
        return imp(write_xlsx(folder / name, sheet, padding=padding))
    return make


def _xlsx_shared_string(folder: Path) -> list[str]:
    # a table of texts holding one long string (1 GB in the issue; here 3 MB of text that does not
    # compress much), read with a lowered limit, and the string itself is beyond the cell limit
    import random

    generator = random.Random(19)
    text = "".join(generator.choice("abcdefghijklmnopqrstuvwxyzæøå ") for _ in range(3_000_000))
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
    sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"]]).replace(
        "</sheetData>", '<row r="3"><c r="A3" t="s"><v>0</v></c></row></sheetData>')
    return imp(write_xlsx(folder / "shared.xlsx", sheet, shared=shared), "--limit", "shared_strings=1000000")


def _xlsx_inline_cell(folder: Path) -> list[str]:
    sheet = _sheet([[MODE, DISTANCE, WORKPLACE], ["Bus", "3", "x" * 1_500_000], ["Walk", "2", "Skulen"]])
    return imp(write_xlsx(folder / "cell.xlsx", sheet))


def _xlsx_billion_laughs(folder: Path) -> list[str]:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [{entities}]>'
              f'<sst {_NS} count="1" uniqueCount="1"><si><t>&a9;</t></si></sst>')
    sheet = _sheet([[MODE, DISTANCE], ["Bus", "3"]]).replace(
        "</sheetData>", '<row r="3"><c r="A3" t="s"><v>0</v></c></row></sheetData>')
    return imp(write_xlsx(folder / "laughs.xlsx", sheet, shared=shared))


def _xlsx_external_entity(folder: Path) -> list[str]:
    secret = folder / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file://{secret}">]>'
              f'<sst {_NS} count="1" uniqueCount="1"><si><t>&x;</t></si></sst>')
    sheet = _sheet([[WORKPLACE, MODE, DISTANCE], *[["Rådhuset", m, "3"] for m in MODES * 5]]).replace(
        "</sheetData>", '<row r="40"><c r="A40" t="s"><v>0</v></c></row></sheetData>')
    return imp(write_xlsx(folder / "xxe.xlsx", sheet, shared=shared))


def _out_holds_input(command: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = survey(folder, name="cleaned.csv")
        args = imp(path) if command == "import" else ana(path)
        args[args.index("--out") + 1] = str(folder)
        return args
    return make


def _out_symlink(folder: Path) -> list[str]:
    target = folder / "elsewhere"
    target.mkdir()
    (folder / "link").symlink_to(target)
    path = survey(folder)
    args = imp(path)
    args[args.index("--out") + 1] = str(folder / "link")
    return args


def _out_is_file(folder: Path) -> list[str]:
    path = survey(folder)
    (folder / "out").write_text("not a folder", encoding="utf-8")
    return imp(path)


def _out_inside_file(folder: Path) -> list[str]:
    path = survey(folder)
    args = imp(path)
    args[args.index("--out") + 1] = str(path / "out")
    return args


def _project(workplace: str, *, extra: str = "") -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        survey(folder, n=60, workplaces=(workplace, "Skulen"))
        yaml_name = workplace.replace("\\", "\\\\").replace('"', '\\"')
        (folder / "grontur.yaml").write_text(
            f'municipality: "3324"\nsurvey: survey.csv\nrun_date: 2025-06-02\nlanguage: en\n'
            f'workplaces:\n  - name: "{yaml_name}"\n    lat: 60.63\n    lon: 8.93\n{extra}', encoding="utf-8")
        return ["analyse", "--project", str(folder), "--out", str(folder / "out"), "--format", "html"]
    return make


def _yaml(content: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        survey(folder)
        (folder / "grontur.yaml").write_text(content, encoding="utf-8")
        return ["analyse", "--project", str(folder), "--out", str(folder / "out"), "--format", "none"]
    return make


def _init_survey_name(name: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        survey(folder, name=name)
        return ["init", str(folder / "project"), "--kommune", "3324", "--survey", str(folder / name)]
    return make


def _control_workplaces(folder: Path) -> list[str]:
    # vertical tab, start of heading and escape in workplaces named by 20 respondents each
    # (few enough among the other text that the file is not taken for a binary one)
    path = survey(folder, n=120, workplaces=("Skule\x0bn", "Råd\x01huset", "Hall\x1b[31men", "Skulen", "Rådhuset",
                                             "Hallen", "Barnehagen", "Sjukeheimen"))
    return ana(path, formats=("html", "docx", "xlsx"))


def _formula_workplace(folder: Path) -> list[str]:
    return imp(survey(folder, n=60, workplaces=("Skole;=1+1", "@SUM(A1)", "+47", "-2+3", "\t=cmd")))


def _all_electric(folder: Path) -> list[str]:
    return ana(survey(folder, n=80, fuels=["Electric car"]), formats=("html", "xlsx"))


def _multi_other(folder: Path) -> list[str]:
    body = [r + ["Other (" * 20_000 if i == 2 else "Secure covered bike parking, Other: " + ":" * 50_000 if i == 3
                 else "Secure covered bike parking"] for i, r in enumerate(rows(40))]
    return imp(write_csv(folder / "multi.csv", [*HEADER, HELP], body))


def _args(*argv: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = survey(folder)
        return [a.replace("{survey}", str(path)).replace("{out}", str(folder / "out")).replace("{folder}", str(folder))
                for a in argv]
    return make


def _mapping_file(content: bytes) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        path = survey(folder)
        (folder / "mapping.yaml").write_bytes(content)
        return imp(path, "--mapping", str(folder / "mapping.yaml"))
    return make


def _symlink_loop(folder: Path) -> list[str]:
    (folder / "a.csv").symlink_to(folder / "b.csv")
    (folder / "b.csv").symlink_to(folder / "a.csv")
    return imp(folder / "a.csv")


def _xlsx_many_sheets(folder: Path) -> list[str]:
    import openpyxl

    book = openpyxl.Workbook()
    for i in range(200):
        book.create_sheet(f"tom{i}")
    path = folder / "sheets.xlsx"
    book.save(path)
    return imp(path)


def _xlsx_normal(*extra: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return imp(survey_xlsx(folder / "survey.xlsx"), *extra)
    return make


def _xlsx_declared(dimension: str) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return imp(write_xlsx(folder / "declared.xlsx", _sheet([HEADER, *rows(20)], dimension=dimension)))
    return make


def _truncated_xlsx(folder: Path) -> list[str]:
    path = survey_xlsx(folder / "survey.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return imp(path)


def cases() -> list[Case]:
    """Every case of the corpus (at least 60)."""
    out = [
        # --- rows of the table --------------------------------------------------------
        Case("control_characters_in_workplaces", "read", _control_workplaces, table=True, cost=12,
             outputs=("report.html", "report.docx", "measures.xlsx", "results.json")),
        Case("tex_like_workplace_label", "read", _project("$\\frac{$ Hjem"), outputs=("report.html",), table=True, cost=9),
        Case("init_survey_name_with_hash", "read", _init_survey_name("svar #2.csv"), table=True),
        Case("init_survey_name_yes", "read", _init_survey_name("yes"), table=True),
        Case("header_line_20mb", "refused", _header_line, words=("header_bytes",), table=True),
        Case("million_columns_10mb", "refused", _million_columns, words=("header_bytes",), table=True),
        Case("columns_50000", "refused", _columns(50_000), words=("columns",), table=True),
        Case("columns_20000", "refused", _columns(20_000), words=("columns",), table=True),
        Case("xlsx_full_grid_declared", "refused", _xlsx_full_grid, words=("columns",), table=True),
        Case("xlsx_inflates_1_1_gb", "refused", _xlsx_bomb(1_100_000_000), words=("xlsx_bytes",), table=True),
        Case("xlsx_shared_string_huge", "refused", _xlsx_shared_string, words=("shared_strings",), table=True),
        Case("rows_5_million", "refused", _many_rows(5_000_000), words=("rows",), table=True),
        Case("distance_8000_digits", "read", _distance_digits(8_000), outputs=("cleaned.csv",), table=True),
        Case("distance_16000_digits", "read", _distance_digits(16_000), outputs=("cleaned.csv",), table=True),
        Case("distance_100000_digits", "read", _distance_digits(100_000), outputs=("cleaned.csv",), table=True),
        Case("out_holds_input_import", "refused", _out_holds_input("import"), words=("--out",), table=True),
        Case("out_holds_input_analyse", "refused", _out_holds_input("analyse"), words=("--out",), table=True),
        Case("out_is_symlink", "read", _out_symlink, outputs=("cleaned.csv",), table=True),
        Case("formula_after_semicolon", "read", _formula_workplace, outputs=("cleaned.csv", "quality.csv"), table=True),
        Case("usage_unknown_option", "refused", _args("import", "{survey}", "--out", "{out}", "--nosuch"), words=("--nosuch",), table=True),
        Case("usage_missing_out", "refused", _args("import", "{survey}"), words=("--out",), table=True),
        Case("all_cars_electric", "read", _all_electric, outputs=("report.html", "measures.xlsx", "results.json"), table=True, cost=10),
        # --- more of the same kinds -----------------------------------------------------------
        Case("distance_1mb_digits", "read", _distance_digits(999_000), outputs=("cleaned.csv",)),
        Case("distance_digits_then_km_or_less", "read", _distance_digits(200_000, " km or less"), outputs=("cleaned.csv",)),
        Case("distance_digits_then_letters", "read", _distance_text("1" * 100_000 + "x" * 100_000), outputs=("cleaned.csv",)),
        Case("distance_spaced_digits", "read", _distance_text("1 " * 200_000), outputs=("cleaned.csv",)),
        Case("distance_commas", "read", _distance_text("1," * 200_000), outputs=("cleaned.csv",)),
        Case("distance_dashes", "read", _distance_text("1-" * 200_000), outputs=("cleaned.csv",)),
        Case("distance_qualifiers", "read", _distance_text("ca " * 200_000 + "3"), outputs=("cleaned.csv",)),
        Case("distance_scientific_like", "read", _distance_text("1" * 200_000 + "e"), outputs=("cleaned.csv",)),
        Case("multi_select_open_parentheses", "read", _multi_other, outputs=("cleaned.csv",)),
        Case("cell_2mb_one_run", "refused", _huge_cell(2_000_000, quoted=False), words=("cell_bytes",)),
        Case("cell_2mb_quoted_with_commas", "refused", _huge_cell(2_000_000, quoted=True), words=("cell_bytes",)),
        Case("columns_2001", "refused", _columns(2_001), words=("columns",)),
        Case("columns_lowered_limit", "refused", _args("import", "{survey}", "--out", "{out}", "--kommune", "3324",
                                                       "--limit", "columns=3"), words=("columns",)),
        Case("rows_lowered_limit", "refused", _args("import", "{survey}", "--out", "{out}", "--kommune", "3324",
                                                    "--limit", "rows=10"), words=("rows",)),
        Case("rows_500_001", "refused", _many_rows(500_001), words=("rows",)),
        Case("rows_limit_raised", "read", _many_rows(2_000, "--limit", "rows=5000"), outputs=("cleaned.csv",)),
        Case("limit_not_a_number", "refused", _args("import", "{survey}", "--out", "{out}", "--limit", "rows=many"), words=("rows",)),
        Case("limit_unknown_name", "refused", _args("import", "{survey}", "--out", "{out}", "--limit", "lines=5"), words=("lines",)),
        Case("limit_without_value", "refused", _args("import", "{survey}", "--out", "{out}", "--limit", "rows"), words=("--limit",)),
        Case("xlsx_inflates_300mb_ratio", "refused", _xlsx_bomb(300_000_000), words=("xlsx_ratio",)),
        Case("xlsx_shared_strings_bomb", "refused", _xlsx_bomb(300_000_000, shared=True), words=("xlsx_ratio",)),
        Case("xlsx_dimension_lies_columns", "refused", _xlsx_lying('<row r="4">' + _cell("XFD4", "x") + "</row>"), words=("columns",)),
        Case("xlsx_dimension_lies_rows", "refused", _xlsx_lying('<row r="1048576">' + _cell("A1048576", "Bus") + "</row>"), words=("rows",)),
        Case("xlsx_declared_3000_columns", "refused", _xlsx_declared("A1:DKL21"), words=("columns",)),
        Case("xlsx_declared_2_million_rows", "refused", _xlsx_declared("A1:E2000000"), words=("rows",)),
        Case("xlsx_inline_cell_1_5mb", "refused", _xlsx_inline_cell, words=("cell_bytes",)),
        Case("xlsx_billion_laughs", "refused", _xlsx_billion_laughs, words=("laughs.xlsx",)),
        Case("xlsx_external_entity", "refused", _xlsx_external_entity, words=("xxe.xlsx",)),
        Case("xlsx_200_empty_sheets", "refused", _xlsx_many_sheets, words=("sheets.xlsx",)),
        Case("xlsx_truncated", "refused", _truncated_xlsx, words=("survey.xlsx",)),
        Case("xlsx_normal", "read", _xlsx_normal(), outputs=("cleaned.csv",)),
        Case("xlsx_lowered_xlsx_bytes", "refused", _xlsx_normal("--limit", "xlsx_bytes=1000"), words=("xlsx_bytes",)),
        Case("random_bytes", "refused", _text("random.csv", os.urandom(0) + bytes(range(256)) * 4000), words=("random.csv",)),
        Case("nul_bytes_only", "refused", _text("nul.csv", b"\x00" * 100_000), words=("nul.csv",)),
        Case("newlines_only", "refused", _text("newlines.csv", b"\n" * 2_000_000), words=("newlines.csv",)),
        Case("delimiters_only", "refused", _text("commas.csv", b",,,,\n" * 200_000), words=("commas.csv",)),
        Case("unclosed_quote_5mb", "refused", _text("quote.csv", f'{MODE},{DISTANCE}\n"Bus,' + "a\n" * 2_500_000),
             words=("quote.csv",)),
        Case("row_of_a_million_fields", "refused", _text("fields.csv", f"{MODE},{DISTANCE}\nBus,3\n" + "," * 1_000_000 + "\n"),
             words=("fields.csv",)),
        Case("html_renamed_csv", "refused", _text("page.csv", "<html><body>" + "<p>x</p>" * 10_000 + "</body></html>"),
             words=("page.csv",)),
        Case("utf16_huge_header", "refused", _text("u16.csv", ("\ufeff" + "c," * 600_000 + "c\nBus\n").encode("utf-16-le")),
             words=("header_bytes",)),
        Case("ansi_escapes_in_headers", "read", _text("ansi.csv", f"\x1b[31m{MODE}\x1b[0m,{DISTANCE}\n" + "Bus,3\nWalk,2\n" * 20),
             outputs=("cleaned.csv",)),
        Case("input_is_symlink_loop", "refused", _symlink_loop, words=("a.csv",)),
        Case("input_is_a_folder", "refused", _args("import", "{folder}", "--out", "{out}"), words=("SURVEY",)),
        Case("out_is_a_file", "refused", _out_is_file, words=("out",)),
        Case("out_inside_a_file", "refused", _out_inside_file, words=("survey.csv",)),
        Case("mapping_binary", "refused", _mapping_file(bytes(range(256)) * 10), words=("mapping.yaml",)),
        Case("mapping_yaml_python_tag", "refused", _mapping_file(b"!!python/object/apply:os.system ['echo hacked']\n"),
             words=("mapping.yaml",)),
        Case("project_yaml_python_tag", "refused", _yaml("municipality: !!python/object/apply:os.system ['echo hacked']\n"),
             words=("grontur.yaml",)),
        Case("project_yaml_alias_bomb", "refused", _yaml(
            'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
            'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
            'municipality: "3324"\n'), words=("grontur.yaml",)),
        Case("project_limits_lowered", "refused", _yaml('municipality: "3324"\nsurvey: survey.csv\nlimits:\n  rows: 10\n'),
             words=("rows",)),
        Case("project_limits_bad", "refused", _yaml('municipality: "3324"\nsurvey: survey.csv\nlimits: 5\n'),
             words=("limits",)),
    ]
    return out


# ---------------------------------------------------------------------------------------------
# running


@dataclass
class Outcome:
    name: str
    expect: str
    status: str  # refused, read, crashed, hung, wrong
    seconds: float
    detail: str = ""


def _run_child(case: Case, folder: Path, cap: int) -> None:  # pragma: no cover - runs in the forked child
    """In the forked child: make the case's files, cap the memory, run the command line, exit."""
    code = 1
    try:
        os.chdir(folder)
        os.environ.update({"GRONTUR_SALT": "corpus", "GRONTUR_DATA_DIR": str(folder / "data"), "MPLBACKEND": "Agg"})
        argv = case.make(folder)
        (folder / "argv.json").write_text(json.dumps(argv), encoding="utf-8")
        inputs = {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
        (folder / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
        for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
            handle = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(handle, fd)
            os.close(handle)
        # the streams anew on the descriptors (under pytest, sys.stderr is its capture, not fd 2)
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        from grontur.cli import main

        code = main(argv)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # noqa: BLE001 - anything else is a crash: shown as a traceback, as the CLI would
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _address_space() -> int:
    """The address space this process uses now (the forked child starts with as much)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_corpus(root: Path, *, jobs: int = 2, only: list[str] | None = None) -> list[Outcome]:
    """Run the cases ``jobs`` at a time, each in a process forked from this one (so the modules
    are imported once), under a memory cap of :data:`MEMORY_BUDGET` above what this process
    already uses and a time limit of :data:`TIME_LIMIT` seconds."""
    import grontur.cli
    import grontur.pipeline  # noqa: F401

    chosen = [case for case in cases() if only is None or case.name in only]
    chosen.sort(key=lambda case: -case.cost)  # the slowest first, so that the workers finish together
    cap = _address_space() + MEMORY_BUDGET
    waiting = list(chosen)
    running: dict[int, tuple[Case, Path, float]] = {}
    outcomes: list[Outcome] = []
    while waiting or running:
        while waiting and len(running) < jobs:
            case = waiting.pop(0)
            folder = root / case.name
            folder.mkdir(parents=True, exist_ok=True)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                _run_child(case, folder, cap)
            running[pid] = (case, folder, time.perf_counter())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.perf_counter()
            for child, (case, folder, started) in list(running.items()):
                if now - started > TIME_LIMIT:
                    os.kill(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    del running[child]
                    outcomes.append(Outcome(case.name, case.expect, "hung", now - started))
            time.sleep(0.02)
            continue
        if pid not in running:
            continue
        case, folder, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        outcomes.append(_judge(case, folder, code, time.perf_counter() - started))
    return outcomes


def _judge(case: Case, folder: Path, code: int, seconds: float) -> Outcome:
    """What a finished case did: refused cleanly, read correctly, crashed, or another outcome."""
    err = (folder / "stderr.txt").read_text(encoding="utf-8", errors="replace").strip() if (folder / "stderr.txt").exists() else ""
    out_text = (folder / "stdout.txt").read_text(encoding="utf-8", errors="replace") if (folder / "stdout.txt").exists() else ""
    if "Traceback" in err or "MemoryError" in err or code not in (0, 2) or not (folder / "argv.json").exists():
        return Outcome(case.name, case.expect, "crashed", seconds, f"exit {code}: {err[-1500:]}")
    argv = json.loads((folder / "argv.json").read_text(encoding="utf-8"))
    inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    changed = [Path(p).name for p, mtime in inputs.items() if not Path(p).exists() or Path(p).stat().st_mtime_ns != mtime]
    if changed:
        return Outcome(case.name, case.expect, "wrong", seconds, f"input changed or removed: {changed}")
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        if len(lines) != 1 or not all(word in lines[0] for word in case.words):
            return Outcome(case.name, case.expect, "wrong", seconds, f"refusal not one line naming {case.words}: {err[:600]}")
        return Outcome(case.name, case.expect, "refused", seconds, lines[0][:300])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else folder / "out"
    missing = [name for name in case.outputs if not (out / name).is_file()]
    if missing:
        return Outcome(case.name, case.expect, "wrong", seconds, f"read but {missing} missing in {out}")
    return Outcome(case.name, case.expect, "read", seconds, (out_text.strip().splitlines() or [""])[0][:200])


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "tried": len(outcomes),
        "refused cleanly": sum(o.status == "refused" for o in outcomes),
        "read correctly": sum(o.status == "read" for o in outcomes),
        "crashed": sum(o.status == "crashed" for o in outcomes),
        "hung": sum(o.status == "hung" for o in outcomes),
        "other outcome than expected": sum(o.status != o.expect for o in outcomes),
    }


def main(argv: list[str]) -> int:  # pragma: no cover - a report for people
    import tempfile

    only = argv or None
    with tempfile.TemporaryDirectory(prefix="grontur-hostile-") as tmp:
        started = time.perf_counter()
        outcomes = run_corpus(Path(tmp), only=only)
        total = time.perf_counter() - started
    for o in sorted(outcomes, key=lambda o: o.name):
        mark = "" if o.status == o.expect else f"  <-- expected {o.expect}"
        print(f"{o.status:8} {o.seconds:6.1f}s {o.name:40} {o.detail[:150]}{mark}")
    print(", ".join(f"{key}: {value}" for key, value in counts(outcomes).items()) + f"; {total:.0f} s on 2 workers")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
