"""Property-based tests (hypothesis) for reading, mapping and cleaning.

Arbitrary bytes, text, encodings, delimiters, shapes and values either give a result in which
``input_rows = kept + quarantined`` holds (and every row is in exactly one of the two outputs,
every code is a known code and every number is in range), or raise grontur's own error with a
one-line message; never any other exception.

The examples are generated from a fixed seed (the ``grontur-fuzz`` profile: ``derandomize=True``,
no example database), so CI runs the same cases every time. Each test states its number of
examples in ``EXAMPLES`` and checks that exactly that many ran; docs/reliability.md gives the total.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from grontur._numbers import cleaning_settings as clean_settings
from grontur._numbers import parse_number
from grontur.clean import clean, parse_numbers
from grontur.errors import GronturError
from grontur.importing import ID_SOURCE_COLUMN, ID_SOURCES, import_survey
from grontur.io import RawExport
from grontur.mapping import (
    apply_mapping,
    detect_mapping,
    standard_rules,
    suggest_mapping,
    value_map,
)
from grontur.privacy import identifier_mask
from grontur.schema import COLUMNS, MULTI_SEP

settings.register_profile(
    "grontur-fuzz",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    # No shrinking: a failure is reported as generated, so a failing CI run stays short.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(name: str) -> settings:
    """The fixed-seed profile with the number of examples of one property."""
    return settings(settings.get_profile("grontur-fuzz"), max_examples=EXAMPLES[name])


#: Examples per property; the sum is the number of fuzz cases one run of this file executes.
EXAMPLES = {
    "parse_number": 1000,
    "parse_numbers_column": 200,
    "arbitrary_bytes": 150,
    "text_exports": 160,
    "xlsx_exports": 80,
    "clean_canonical": 200,
    "unknown_headers": 100,
}
TOTAL_EXAMPLES = sum(EXAMPLES.values())
#: Cases given with ``@example`` (run before the generated ones).
EXPLICIT_EXAMPLES = 1

# ---------------------------------------------------------------------------------------------
# value pools: real labels (all languages), numbers in every spelling, dates, identifiers, noise

_ENGLISH = {rule.target: rule.headers[2] for rule in standard_rules()}
_NYNORSK = {rule.target: rule.headers[0] for rule in standard_rules()}
_TARGETS = sorted(_ENGLISH)
_LABELS = {target: sorted({label for label in value_map(target)}) for target in _TARGETS}
_NUMBERS = ["5", "2,5", "2.5", "ca. 12 km", "3-5", "<1", "over 20", "1 1/2", "½", "five", "fem", "0", "-3",
            "301", "1e6", "inf", "NaN", "45292", "10 000", "3 miles", "2 mil", "800 m", "1 time", "90 min",
            "100%", "7", "8", "0,0", "00", "1/0", "0/0", "9" * 40, "١٢", "2..5", ",5", "5,", "- 4"]
_DATES = ["2025-03-01", "01.03.2025", "3/1/2025", "2025-03-01 10:32:40", "12:30", "1. mars 2025"]
_IDENTIFIERS = ["kari.nordmann@example.no", "+47 912 34 567", "912 34 567", "Storgata 12", "10.0.0.1",
                "Kari Nordmann", "12 Main Street"]
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


def _cell(target: str | None) -> st.SearchStrategy[str]:
    pools = [st.sampled_from(_NUMBERS), st.sampled_from(_DATES), st.sampled_from(_IDENTIFIERS), _TEXT,
             st.just(""), st.just("  ")]
    if target is not None and _LABELS.get(target):
        labels = st.sampled_from(_LABELS[target])
        joined = st.lists(labels, min_size=2, max_size=4).map(lambda xs: st_join(xs))
        pools = [labels, labels, labels, joined, *pools]
    return st.one_of(pools)


def st_join(values: list[str]) -> str:
    return ", ".join(values)


# ---------------------------------------------------------------------------------------------
# the properties every import result must have

_FLOAT_LIMITS = {"distance_km": (0.0, 300.0), "days_on_site": (0.0, 7.0), "remote_days": (0.0, 7.0)}


def check_result(result, *, expected_rows: int | None = None, imported: bool = True) -> None:
    account = result.account
    assert set(account) == {"input_rows", "kept", "quarantined"}
    assert account["input_rows"] == account["kept"] + account["quarantined"]
    assert len(result.table) == account["kept"]
    assert len(result.quarantine) == account["quarantined"]
    kept = set(result.table["source_row"].astype(int)) if len(result.table) else set()
    aside = set(result.quarantine["source_row"].astype(int)) if len(result.quarantine) else set()
    assert not kept & aside
    assert len(kept | aside) == account["input_rows"]
    if expected_rows is not None:
        assert account["input_rows"] == expected_rows
    check_table(result.table, imported=imported)
    assert list(result.issues.columns) == ["source_row", "column", "raw_value", "problem", "action"]


def check_table(table: pd.DataFrame, *, imported: bool = True) -> None:
    for column in table.columns:
        if column not in COLUMNS:
            assert column in ("source_row", ID_SOURCE_COLUMN), column
            if column == ID_SOURCE_COLUMN:  # where each pseudonym came from
                assert set(table[column].dropna()) <= set(ID_SOURCES), set(table[column].dropna())
                assert table[column].notna().equals(table["respondent_id"].notna())
            continue
        kind, codes = COLUMNS[column]
        values = table[column].dropna()
        if kind == "code" and codes:
            assert set(values) <= set(codes), (column, set(values) - set(codes))
        elif kind == "multi" and codes:
            parts = {part for value in values for part in str(value).split(MULTI_SEP)}
            assert parts <= set(codes), (column, parts - set(codes))
        elif kind == "float":
            numbers = values.astype(float)
            assert np.isfinite(numbers).all(), column
            if column in _FLOAT_LIMITS:
                low, high = _FLOAT_LIMITS[column]
                assert ((numbers >= low) & (numbers <= high)).all(), (column, numbers.tolist())
                if column == "distance_km":
                    assert (numbers > 0).all()
    if "respondent_id" in table.columns:
        ids = table["respondent_id"].dropna().astype(str)
        assert ids.str.fullmatch(r"[0-9a-f]{16}").all(), ids.tolist()[:5]
    if not imported:
        return
    # After an import (identifiers stripped first) no identifier survives into the table.
    text = table.drop(columns=[c for c in ("respondent_id", "source_row") if c in table.columns])
    for column in text.columns:
        if text[column].dtype == object:
            assert not identifier_mask(text[column].astype(object)).any(), column


def _counted(name: str):
    """Run a hypothesis test and check that exactly ``EXAMPLES[name]`` examples ran."""
    calls = {"n": 0}

    def count() -> None:
        calls["n"] += 1

    return calls, count


# ---------------------------------------------------------------------------------------------
# numbers

def test_parse_number_never_raises() -> None:
    calls, count = _counted("parse_number")
    open_upper, open_lower = clean_settings()["open_upper_factor"], clean_settings()["open_lower_factor"]
    units = {None, "km", "miles", "mil", "m", "minutes", "hours", "days"}

    @fuzz("parse_number")
    @given(st.one_of(st.sampled_from(_NUMBERS), _TEXT,
                     st.builds(lambda a, b: f"{a}{b}", st.sampled_from(_NUMBERS), _TEXT)))
    def run(text: str) -> None:
        count()
        value, unit = parse_number(text, open_upper=open_upper, open_lower=open_lower)
        assert value is None or isinstance(value, float)
        assert unit in units

    run()
    assert calls["n"] == EXAMPLES["parse_number"]


def test_parse_numbers_column_is_aligned_and_flags_every_unusable_answer() -> None:
    calls, count = _counted("parse_numbers_column")

    @fuzz("parse_numbers_column")
    @given(st.lists(st.one_of(st.none(), st.sampled_from(_NUMBERS), _TEXT), max_size=30),
           st.sampled_from(["distance", "time", "count"]), st.sampled_from([None, "km", "miles", "mil", "m"]))
    def run(values: list[str | None], kind: str, unit: str | None) -> None:
        count()
        raw = pd.Series(values, index=pd.RangeIndex(1, len(values) + 1), dtype=object)
        numbers, unusable = parse_numbers(raw, kind=kind, unit=unit)
        assert numbers.index.equals(raw.index) and unusable.index.equals(raw.index)
        # An answer is either a number or flagged as unusable; an empty cell is neither.
        present = raw.notna()
        assert ((numbers.notna() | unusable) == present).all()
        assert not (numbers.notna() & unusable).any()

    run()
    assert calls["n"] == EXAMPLES["parse_numbers_column"]


# ---------------------------------------------------------------------------------------------
# files

def _import(path: Path):
    try:
        return import_survey(path, municipality="3324")
    except GronturError as error:
        message = str(error)
        assert message.strip(), type(error)
        assert "\n" not in message.strip(), message
        return None


def test_arbitrary_bytes_give_a_result_or_a_grontur_error() -> None:
    calls, count = _counted("arbitrary_bytes")
    header = (",".join(_ENGLISH[t] for t in ("mode_summer", "distance_km")) + "\n").encode()

    @fuzz("arbitrary_bytes")
    @given(st.one_of(st.binary(max_size=3000), st.binary(max_size=3000).map(lambda b: header + b),
                     st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b)),
           st.sampled_from([".csv", ".txt", ".xlsx", ".tsv"]))
    def run(data: bytes, suffix: str) -> None:
        count()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export{suffix}"
            path.write_bytes(data)
            result = _import(path)
            if result is not None:
                check_result(result)
            assert path.read_bytes() == data

    run()
    assert calls["n"] == EXAMPLES["arbitrary_bytes"]


def _with_required(draw, targets: list[str | None]) -> list[str | None]:
    """Three exports in four get a mode or distance question, so most can be imported.

    Without it a random set of questions often has neither, and the share of exports that reach
    the cleaning checks (asserted below) would depend on luck.
    """
    required = draw(st.sampled_from([None, "mode_summer", "mode_winter", "distance_km"]))
    if required is None or required in targets:
        return targets
    return [required, *targets[1:]]


@st.composite
def text_exports(draw):
    """A CSV export: real and random headers, real and odd answers, any delimiter and encoding."""
    n_columns = draw(st.integers(1, 7))
    targets = _with_required(draw, draw(st.lists(st.sampled_from([*_TARGETS, None]), min_size=n_columns,
                                                 max_size=n_columns)))
    headers = []
    for target in targets:
        if target is None:
            headers.append(draw(st.one_of(_TEXT, st.sampled_from(["Name", "E-mail", "Comments", "$created",
                                                                   "Respondent ID", "Postnummer"]))))
        else:
            headers.append(draw(st.sampled_from([_ENGLISH[target], _NYNORSK[target], target])))
    n_rows = draw(st.integers(0, 25))
    rows = [[draw(_cell(target)) for target in targets] for _ in range(n_rows)]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    if any("\r" in cell for row in [headers, *rows] for cell in row):
        # A bare carriage return ends a line for every CSV reader (and for Excel); a tool writing
        # one inside an answer quotes the answer.
        quoting = csv.QUOTE_ALL
    return headers, rows, delimiter, encoding, terminator, quoting


def test_text_exports_account_for_every_row() -> None:
    calls, count = _counted("text_exports")
    outcome = {"read": 0, "error": 0, "exact_rows_checked": 0}

    @fuzz("text_exports")
    @given(text_exports())
    def run(export) -> None:
        count()
        headers, rows, delimiter, encoding, terminator, quoting = export
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
        writer.writerow(headers)
        writer.writerows(rows)
        data = buffer.getvalue().encode(encoding, errors="replace")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.csv"
            path.write_bytes(data)
            result = _import(path)
            if result is None:
                outcome["error"] += 1
                return
            outcome["read"] += 1
            report = result.mapping_report
            # Exact row count when the reader saw the file as it was written.
            same_layout = report["delimiter"] == delimiter and report["header_rows"] == 1
            non_blank = sum(1 for row in rows if any(cell.strip() for cell in row))
            if same_layout and encoding in ("utf-8", "utf-8-sig", "utf-16"):
                outcome["exact_rows_checked"] += 1
                check_result(result, expected_rows=non_blank)
            else:
                check_result(result)
            assert path.read_bytes() == data

    run()
    assert calls["n"] == EXAMPLES["text_exports"]
    # The generator must exercise both outcomes, and the exact check must run often.
    assert outcome["read"] > EXAMPLES["text_exports"] // 4, outcome
    assert outcome["error"] > 0, outcome
    assert outcome["exact_rows_checked"] > EXAMPLES["text_exports"] // 10, outcome


_XLSX_CELL = st.one_of(
    st.none(), st.integers(-10, 400), st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.booleans(), st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)), st.just("=1+1"),
)


@st.composite
def xlsx_exports(draw):
    """A workbook: a text header of 2-6 questions, rows of labels, numbers, dates, booleans, formulas."""
    n_columns = draw(st.integers(2, 6))
    targets = _with_required(draw, draw(st.lists(st.sampled_from(_TARGETS), min_size=n_columns, max_size=n_columns)))
    headers = [draw(st.sampled_from([_ENGLISH[t], _NYNORSK[t]])) for t in targets]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = [_cell(t).map(lambda c: ILLEGAL_CHARACTERS_RE.sub("", c)).filter(lambda c: not c.startswith("="))
            for t in targets]
    rows = [[draw(st.one_of(text[i], _XLSX_CELL)) for i in range(n_columns)]
            for _ in range(draw(st.integers(0, 15)))]
    sheet = draw(st.sampled_from(["Sheet1", "Svar", "Responses", "Data 2025"]))
    front = draw(st.booleans())
    return headers, rows, sheet, front


def _shown(cell: object) -> bool:
    """Whether a cell has a value grontur can read (a formula has none stored; blanks are empty)."""
    if cell is None:
        return False
    if isinstance(cell, str):
        return bool(cell.strip()) and not cell.startswith("=")
    return not (isinstance(cell, float) and math.isnan(cell))


def test_xlsx_exports_account_for_every_row() -> None:
    import openpyxl

    calls, count = _counted("xlsx_exports")
    outcome = {"read": 0, "error": 0, "exact_rows_checked": 0}

    @fuzz("xlsx_exports")
    @given(xlsx_exports())
    def run(export) -> None:
        count()
        headers, rows, sheet, front = export
        book = openpyxl.Workbook()
        if front:
            book.active.title = "Front page"
            book.active["A1"] = "Commuting survey 2025"
            ws = book.create_sheet(sheet)
        else:
            ws = book.active
            ws.title = sheet
        ws.append(headers)
        for row in rows:
            ws.append(row)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.xlsx"
            book.save(path)
            data = path.read_bytes()
            result = _import(path)
            if result is None:
                outcome["error"] += 1
                return
            outcome["read"] += 1
            expected = sum(1 for row in rows if any(_shown(cell) for cell in row))
            same = result.mapping_report["sheet"] == sheet and result.mapping_report["header_rows"] == 1
            outcome["exact_rows_checked"] += same
            check_result(result, expected_rows=expected if same else None)
            assert path.read_bytes() == data

    run()
    assert calls["n"] == EXAMPLES["xlsx_exports"]
    assert outcome["read"] > EXAMPLES["xlsx_exports"] // 4, outcome
    assert outcome["exact_rows_checked"] > EXAMPLES["xlsx_exports"] // 4, outcome


# ---------------------------------------------------------------------------------------------
# mapping and cleaning in memory

@st.composite
def canonical_frames(draw):
    columns = draw(st.lists(st.sampled_from([c for c in COLUMNS if c != "respondent_id"]),
                            min_size=1, max_size=10, unique=True))
    if not {"mode_summer", "mode_winter", "distance_km"} & set(columns):
        columns.append(draw(st.sampled_from(["mode_summer", "mode_winter", "distance_km"])))
    if len(columns) < 2:
        columns.append("age_band" if "age_band" not in columns else "job_group")
    n_rows = draw(st.integers(1, 30))
    data = {}
    for column in columns:
        target = column if column in _LABELS else None
        cells = [draw(st.one_of(st.none(), _cell(target))) for _ in range(n_rows)]
        data[column] = [None if c is None or not c.strip() else c.strip() for c in cells]
    frame = pd.DataFrame(data, index=pd.RangeIndex(1, n_rows + 1, name="source_row"), dtype=object)
    frame = frame.dropna(how="all")
    return frame


#: Explicit cases run before the generated ones (hypothesis ``@example``), one per bug found:
#: age bands "30-39" and "45-54" were once coded "3044" and "4559" (unquoted YAML keys).
_AGE_FRAME = pd.DataFrame({"mode_summer": ["Walk", "Bus"], "age_band": ["30-39", "45-54"]},
                          index=pd.RangeIndex(1, 3, name="source_row"), dtype=object)

def test_answer_vocabulary_gives_only_known_codes() -> None:
    """Every label the mapping knows, for every coded column, leads to a code of the schema."""
    for target, (kind, codes) in COLUMNS.items():
        if not codes:
            continue
        allowed = set(codes) | ({"true", "false"} if kind == "bool" else set())
        for label, code in value_map(target).items():
            assert set(str(code).split(MULTI_SEP)) <= allowed, (target, label, code)


def test_mapping_and_cleaning_keep_every_row_and_only_valid_values() -> None:
    calls, count = _counted("clean_canonical")

    @fuzz("clean_canonical")
    @given(canonical_frames(), st.sampled_from([None, "3324", "Ål", "0301"]), st.sampled_from([None, "2025-03"]))
    @example(_AGE_FRAME, None, None)
    def run(frame: pd.DataFrame, municipality: str | None, wave: str | None) -> None:
        count()
        raw = RawExport(frame, Path("fuzz.csv"))
        mapping = detect_mapping(raw)
        mapped = apply_mapping(raw, mapping)
        try:
            result = clean(mapped, municipality=municipality, wave=wave)
        except GronturError as error:
            assert "\n" not in str(error).strip()
            return
        assert result.account["input_rows"] == len(frame)
        table = result.table.copy()
        check_result(type("R", (), {"account": result.account, "table": table, "quarantine": result.quarantine,
                                    "issues": result.issues})(), expected_rows=len(frame),
                     imported=False)
        # A kept row has a mode in some season or a distance; a row set aside says why.
        usable = [c for c in ("mode_summer", "mode_winter", "distance_km") if c in table.columns]
        assert table[usable].notna().any(axis=1).all()
        assert result.quarantine["reason"].notna().all()

    run()
    assert calls["n"] == EXAMPLES["clean_canonical"] + 1  # and the explicit example


@st.composite
def unknown_exports(draw):
    n_columns = draw(st.integers(1, 6))
    headers = draw(st.lists(st.one_of(_TEXT, st.sampled_from(["km", "Distance", "Transport", "Kva reiser du med",
                                                               "How far do you live from work?", "Age", "Shift",
                                                               "ID", "id", "", "Unnamed: 0"])),
                            min_size=n_columns, max_size=n_columns))
    n_rows = draw(st.integers(1, 15))
    data = {}
    for position, header in enumerate(headers):
        name = f"{header} ({position})" if header in data or not header else header
        data[name] = [draw(st.one_of(st.none(), _cell(draw(st.sampled_from([*_TARGETS, None])))))
                      for _ in range(n_rows)]
    frame = pd.DataFrame(data, index=pd.RangeIndex(1, n_rows + 1, name="source_row"), dtype=object)
    return frame


def test_unknown_exports_map_or_fail_with_a_grontur_error() -> None:
    calls, count = _counted("unknown_headers")

    @fuzz("unknown_headers")
    @given(unknown_exports())
    def run(frame: pd.DataFrame) -> None:
        count()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "unknown.csv"
            frame.to_csv(path, index=False)
            raw = RawExport(frame, path)
            mapping = detect_mapping(raw)
            for suggestion in suggest_mapping(raw):
                assert 0 <= suggestion.confidence <= 1
                assert suggestion.column in frame.columns
            apply_mapping(raw, mapping)
            result = _import(path)
            if result is not None:
                check_result(result)

    run()
    assert calls["n"] == EXAMPLES["unknown_headers"]


def test_total_is_documented() -> None:
    """docs/reliability.md states the number of fuzz cases; keep it in step with EXAMPLES."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
    if not doc.is_file():
        pytest.skip("docs/reliability.md is absent")
    total = TOTAL_EXAMPLES + EXPLICIT_EXAMPLES
    assert f"Fuzz cases per run: {total:,}".replace(",", " ") in doc.read_text(encoding="utf-8")
