"""The per-municipality report: files, content, numbers equal to results.json, determinism."""

from __future__ import annotations

import copy
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from grontur.errors import ConfigError, GronturError
from grontur.i18n import t
from grontur.report import write_outputs

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "report_results_sample.json"


def load_sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


class _KeyedText(HTMLParser):
    """Collect the visible text of every element carrying ``data-key``, plus all visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.keyed: list[tuple[str, str]] = []
        self._stack: list[tuple[str, str | None, list[str]]] = []
        self.text: list[str] = []
        self.images: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"style", "script"}:
            self._skip += 1
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            return
        self._stack.append((tag, attrs.get("data-key"), []))

    def handle_endtag(self, tag):
        if tag in {"style", "script"}:
            self._skip -= 1
        while self._stack:
            open_tag, key, parts = self._stack.pop()
            if key:
                self.keyed.append((key, "".join(parts)))
            if self._stack:
                self._stack[-1][2].extend(parts)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._stack:
            self._stack[-1][2].append(data)


def parse_html(path: Path) -> _KeyedText:
    parser = _KeyedText()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def resolve(results: dict, key: str):
    node = results
    for part in key.split("."):
        if isinstance(node, list):
            node = sorted(node, key=lambda m: m.get("rank", 0))[int(part)] if node and "rank" in node[0] else node[int(part)]
        else:
            node = node[part]
    return node


def shown_number(text: str, lang: str) -> tuple[float | None, int]:
    """Read a number as a reader would ('1 234,5 %' in Norwegian, '1,234.5%' in English).

    Returns the value and the number of decimals shown.
    """
    body = text.split("→")[-1].strip().replace("\u00a0", " ").rstrip("%").strip()
    body = body.replace("−", "-").lstrip("+")
    if body == "–":
        return None, 0
    decimal, thousands = (".", ",") if lang == "en" else (",", " ")
    body = body.replace(thousands, "")
    decimals = len(body.split(decimal)[1]) if decimal in body else 0
    return float(body.replace(decimal, ".")), decimals


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    results = load_sample()
    folders = {}
    for lang in ("nn", "nb", "en"):
        folder = tmp_path_factory.mktemp(f"report_{lang}")
        write_outputs(results, out_dir=folder, lang=lang)
        folders[lang] = folder
    return folders


def test_writes_the_three_files(outputs):
    for folder in outputs.values():
        assert {p.name for p in folder.iterdir()} == {"report.html", "report.docx", "measures.xlsx"}


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_every_keyed_number_in_html_equals_results(outputs, lang):
    results = load_sample()
    parsed = parse_html(outputs[lang] / "report.html")
    assert len(parsed.keyed) > 150
    checked = 0
    for key, text in parsed.keyed:
        try:
            expected = resolve(results, key)
        except (KeyError, IndexError, ValueError):
            # only the comparison section (another module) may point at a key it does not have
            assert key.startswith("comparison."), key
            continue
        checked += 1
        shown, decimals = shown_number(text, lang)
        if expected is None:
            assert shown is None, key
            continue
        tolerance = 0.5 * 10 ** -decimals + 1e-9
        if text.strip().endswith("%"):
            assert shown == pytest.approx(100.0 * float(expected), abs=tolerance), (key, text, expected)
        elif key.startswith("comparison."):
            # the comparison section shows changes in percentage points without a % sign
            assert any(shown == pytest.approx(scale * float(expected), abs=tolerance) for scale in (1.0, 100.0)), (key, text, expected)
        else:
            assert shown == pytest.approx(float(expected), abs=tolerance), (key, text, expected)
    assert checked > 150


def test_headline_car_share_is_the_sum_of_driver_modes(outputs):
    results = load_sample()
    summer = results["mode_share"]["summer"]
    expected = round(100 * (summer["car_alone"] + summer["car_shared"]))  # 65 % + 3.5 % -> 68 %
    assert expected == 68
    keyed = dict(parse_html(outputs["nn"] / "report.html").keyed)
    assert keyed["habits.seasons.summer.car_driver.share"] == f"{expected}\u00a0%"


def test_html_is_self_contained(outputs):
    html = (outputs["nn"] / "report.html").read_text(encoding="utf-8")
    parsed = parse_html(outputs["nn"] / "report.html")
    assert parsed.images and all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@media print" in html and "size: A4" in html
    assert '<html lang="nn">' in html


def test_sections_in_order_with_titles_from_catalogue(outputs):
    parsed = parse_html(outputs["nb"] / "report.html")
    text = " ".join(parsed.text)
    positions = [text.find(t(f"report.section.{s}", "nb")) for s in
                 ("summary", "habits", "barriers", "segments", "emissions", "measures", "anchoring", "method", "appendix")]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    # a measure name from the catalogue, a persona card and a re-rendered reason, all in bokmål
    results = load_sample()
    first = min(results["measures"], key=lambda m: m["rank"])
    catalogue_entry = yaml.safe_load((ROOT / "measures" / "catalogue" / f"{first['id']}.yaml").read_text(encoding="utf-8"))
    assert catalogue_entry["name"]["nb"] in text
    assert results["segments"][0]["label"]["nb"] in text
    assert "av dem" in text and "av dei" not in text


def test_docx_has_real_headings_tables_and_pictures(outputs):
    document = docx.Document(str(outputs["nn"] / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "1. " + t("report.section.summary", "nn")
    assert len(headings) == 10  # nine sections and "what changed"
    assert len(document.tables) >= 10
    assert len(document.inline_shapes) >= 5
    measure_table = next(tb for tb in document.tables if tb.rows[0].cells[1].text == t("report.col.measure", "nn") and tb.rows[0].cells[2].text == t("report.col.reasons", "nn"))
    ranked = sorted(load_sample()["measures"], key=lambda m: m["rank"])
    assert [r.cells[1].text for r in measure_table.rows[1:3]] == [m["name"] for m in ranked[:2]]  # nynorsk, as in results


def test_xlsx_measure_list_formatted_with_filter(outputs):
    results = load_sample()
    wb = openpyxl.load_workbook(outputs["en"] / "measures.xlsx")
    ws = wb.worksheets[0]
    assert ws.title == "Measures"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    rows = list(ws.iter_rows(min_row=2, max_row=1 + len(results["measures"]), values_only=True))
    ordered = sorted(results["measures"], key=lambda m: m["rank"])
    assert [r[0] for r in rows] == [m["rank"] for m in ordered]
    assert [r[6] for r in rows] == [m["effect"]["low"] for m in ordered]
    # what to do and what it costs, beside the effect: status, NOK one-off (low) and per car trip
    assert [r[2] for r in rows] == [{"plan": "Recommended now", "consider_next": "Consider next",
                                     "not_suited": "Not suited here"}[m.get("status", "consider_next")] for m in ordered]
    assert [r[10] for r in rows] == [(m.get("cost_nok") or {}).get("one_off", [None])[0] for m in ordered]
    first = yaml.safe_load((ROOT / "measures" / "catalogue" / f"{ordered[0]['id']}.yaml").read_text(encoding="utf-8"))
    assert rows[0][1] == first["name"]["en"]  # the results carry nynorsk names; English comes from the catalogue
    assert ws["G2"].number_format == "0%"
    assert ws["A1"].font.bold
    names = wb.sheetnames
    assert "Modes" in names and "Anchoring" in names
    modes = wb["Modes"]
    car = next(r for r in modes.iter_rows(min_row=2, values_only=True) if r[0] == "Car, alone")
    assert car[1] == results["mode_share"]["summer"]["car_alone"]


def test_identical_inputs_give_identical_files(outputs, tmp_path):
    a, b = outputs["nn"], tmp_path / "b"
    write_outputs(copy.deepcopy(load_sample()), out_dir=b, lang="nn")
    for name in ("report.html", "report.docx", "measures.xlsx"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    with zipfile.ZipFile(a / "report.docx") as z:
        core = z.read("docProps/core.xml").decode()
    assert "2026-11-29T00:00:00Z" in core


def test_missing_optional_sections_say_so(tmp_path):
    results = load_sample()
    for key in ("segments", "measures", "anchoring_plan", "potential", "habits"):
        results.pop(key)
    write_outputs(results, out_dir=tmp_path, lang="nn", formats=("html",))
    text = " ".join(parse_html(tmp_path / "report.html").text)
    assert text.count(t("report.section_missing", "nn")) >= 4


def test_malformed_section_raises(tmp_path):
    results = load_sample()
    del results["emissions"]["tonnes_co2e_per_year"]
    with pytest.raises(GronturError, match="tonnes_co2e_per_year"):
        write_outputs(results, out_dir=tmp_path, lang="nn", formats=("html",))


def test_unknown_format_and_language_are_user_errors(tmp_path):
    with pytest.raises(ConfigError, match="odt"):
        write_outputs(load_sample(), out_dir=tmp_path, lang="nn", formats=("odt",))
    with pytest.raises(ConfigError, match="se"):
        write_outputs(load_sample(), out_dir=tmp_path, lang="se")


def test_external_figures_are_embedded_and_closed(tmp_path):
    import matplotlib.pyplot as plt

    figures = {}
    for name in ("home_area_map", "potential_map", "something_else"):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        figures[name] = fig
    write_outputs(load_sample(), out_dir=tmp_path, lang="nn", formats=("html",), figures=figures)
    assert not plt.get_fignums()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    position = {name: html.index(f'id="fig-{name}"') for name in figures}
    assert html.index('id="habits"') < position["home_area_map"] < html.index('id="barriers"')
    assert html.index('id="emissions"') < position["potential_map"] < html.index('id="measures"')
    assert position["something_else"] > html.index('id="appendix"')


def test_suppressed_cells_are_marked(outputs):
    parsed = parse_html(outputs["nn"] / "report.html")
    assert load_sample()["mode_share"]["winter"]["ebike"] is None
    assert dict(parsed.keyed)["mode_share.winter.ebike"] == "–"


def test_docx_tables_carry_the_same_numbers_as_html(outputs):
    html_values = [text.strip() for key, text in parse_html(outputs["nb"] / "report.html").keyed]
    document = docx.Document(str(outputs["nb"] / "report.docx"))
    docx_values = {cell.text.strip() for table in document.tables for row in table.rows for cell in row.cells}
    missing = [value for value in html_values if value not in docx_values]
    assert len(html_values) > 150 and not missing


def test_xlsx_marks_hidden_cells_as_the_report_does(outputs):
    """A hidden number is written as "–" (explained by the sheet's note), not left blank."""
    results = load_sample()
    assert results["mode_share"]["winter"]["ebike"] is None
    wb = openpyxl.load_workbook(outputs["en"] / "measures.xlsx")
    modes = wb["Modes"]
    header = [c.value for c in modes[1]]
    ebike = next(r for r in modes.iter_rows(min_row=2, values_only=True) if r[0] == "E-bike")
    assert ebike[header.index(t("report.col.share_winter", "en"))] == "–"
    assert isinstance(ebike[header.index(t("report.col.share_summer", "en"))], float)
    notes = [r[0] for r in modes.iter_rows(min_row=2, values_only=True) if r[0] and "–" in str(r[0])]
    assert notes  # the note that explains the marker
