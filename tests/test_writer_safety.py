"""Text that reaches a writer is safe for it (issue 19, item 3).

Names come from surveys and project files, so they may hold anything: control characters (which
no DOCX or XLSX can hold), text between two ``$`` (which matplotlib would parse as a formula),
and text a spreadsheet runs as a formula, also behind a ``;`` where a Norwegian Excel splits a
CSV line into cells.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from grontur.outputs import write_csv
from grontur.pipeline import analyse_file
from tests.test_privacy_audit import planted_rows, write_export

#: Workplace names held by 6 respondents each (k = 5, so each is shown in the report tables).
CONTROL_NAMES = {"Hjem\x0bbase": "Hjembase", "Verk\x01stad": "Verkstad", "Bryg\x1bge": "Brygge"}
FORMULA_NAME = "Skole;=1+1"
#: A cell a spreadsheet would run: starts with =, +, -, @, tab or CR and is not a plain number.
RUNNABLE = re.compile(r"^[=+\-@\t\r](?![\d.,]+$)")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("safety")
    rows = planted_rows()
    town_hall = [row for row in rows if row["workplace"] == "Town hall"]
    for position, row in enumerate(town_hall[:18]):
        row["workplace"] = list(CONTROL_NAMES)[position // 6]
    for row in [row for row in rows if row["workplace"] == "School"][:6]:
        row["workplace"] = FORMULA_NAME
    survey = write_export(folder / "survey.csv", rows)
    out = folder / "out"
    analyse_file(survey, municipality="Gol", run_date=dt.date(2025, 6, 2), lang="en", out_dir=out,
                 formats=("html", "docx", "xlsx"))
    return out


def _xml_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def test_control_characters_in_a_shown_workplace_reach_every_format_removed(written: Path) -> None:
    for name in ("report.docx", "measures.xlsx"):
        text = _xml_text(written / name)
        for cleaned in CONTROL_NAMES.values():
            assert cleaned in text, (name, cleaned)
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), name
    html = (written / "report.html").read_text(encoding="utf-8")
    assert all(cleaned[:4] in html for cleaned in CONTROL_NAMES.values())


def _cells(path: Path) -> list[str]:
    """Every cell of a CSV as a Norwegian Excel sees it: split on ',' (quoted) and then on ';'."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    values = [*frame.columns, *frame.to_numpy().ravel()]
    return [part for value in values for part in str(value).split(";")]


def test_every_csv_cell_is_defused_also_after_a_semicolon(written: Path) -> None:
    cleaned = pd.read_csv(written / "cleaned.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "Skole;'=1+1" in set(cleaned["workplace"])
    for name in ("cleaned.csv", "quality.csv", "quarantine.csv"):
        runnable = [cell for cell in _cells(written / name) if RUNNABLE.match(cell)]
        assert runnable == [], name


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+47 999", "'+47 999"), ("-ikkje", "'-ikkje"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Skole;=1+1", "Skole;'=1+1"), ("a;-b;@c", "a;'-b;'@c"),
    ("-4", "-4"), ("+1,5", "+1,5"), ("a;-4", "a;-4"), ("Skole", "Skole"),
])
def test_write_csv_defuses_each_cell(tmp_path: Path, value: str, expected: str) -> None:
    frame = pd.DataFrame({"workplace": [value], "n": [3]})
    back = pd.read_csv(write_csv(frame, tmp_path / "x.csv"), dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    assert back["workplace"].tolist() == [expected]
    assert back["n"].tolist() == ["3"]


def _is_png(data: Any) -> bool:
    return isinstance(data, bytes) and data.startswith(b"\x89PNG")


def test_tex_like_workplace_label_is_drawn_as_text() -> None:
    from grontur.geo import plot_home_area_map
    from grontur.report.charts import bar_chart, render_png

    label = "$\\frac{$ Hjem"
    areas = pd.DataFrame({"area": ["3550"], "level": ["postcode"], "lat": [60.70], "lon": [8.94], "n": [12],
                          "car_share": [0.5], "potential": [0.2]})
    workplaces = pd.DataFrame({"name": [label], "lat": [60.69], "lon": [8.95], "postcode": [None],
                               "located_by": ["coordinates"]})
    figure = plot_home_area_map(areas, workplaces=workplaces, lang="nn")
    assert label in [text.get_text() for text in figure.findobj(lambda a: hasattr(a, "get_text"))]
    assert _is_png(render_png(figure))
    assert _is_png(render_png(bar_chart({label: 12.0, "Rådhuset": 30.0}, lang="nn",
                                        xlabel_key="report.chart.respondents")))


def test_control_character_remover_keeps_bytes_and_line_breaks() -> None:
    from grontur.report._text import without_control_characters
    from grontur.report.model import Figure, Paragraph

    figure = Figure(id="f", caption="a\x1bb", png=b"\x89PNG\x00\x01", alt="x\ny\x0b")
    assert without_control_characters(figure) == Figure(id="f", caption="ab", png=b"\x89PNG\x00\x01", alt="x\ny")
    assert without_control_characters({"k\x01": [Paragraph("p\x7f\tq")]}) == {"k": [Paragraph("p\tq")]}
