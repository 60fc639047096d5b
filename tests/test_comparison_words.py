"""The comparison in plain words: clear change or no clear change, a before/after chart, a note on
chance findings, and the statistical terms only in the appendix (issue 18, item 1)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from grontur.compare import compare_waves
from grontur.report import write_outputs
from grontur.report.charts import before_after_chart
from grontur.report.comparison import (
    comparison_appendix_blocks,
    comparison_blocks,
    count_tests,
)
from grontur.report.model import BulletList, Figure, Heading, Paragraph, Table

TECHNICAL = re.compile(r"\bKI\b|\bCI\b|kji-?kvadrat|chi-square|p-verdi|p-value|\bp = |Newcombe|McNemar|"
                       r"skilnad i skilnader|forskjell i forskjeller|difference in differences|konfidens|confidence",
                       re.IGNORECASE)


def table(counts: dict[str, int], *, wave: str, prefix: str) -> pd.DataFrame:
    modes = [mode for mode, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"respondent_id": [f"{prefix}{i}" for i in range(len(modes))], "municipality": "3324",
                         "wave": wave, "mode_summer": modes, "mode_winter": modes})


def texts(blocks: list) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, (Paragraph, Heading)):
            out.append(b.text)
        elif isinstance(b, BulletList):
            out.extend(b.items)
        elif isinstance(b, Figure):
            out.append(b.caption)
    return out


@pytest.fixture(scope="module")
def fall() -> dict:
    # 80 of 100 drove before, 40 of 100 after: a fall no interval of 95 % can take for chance
    before = table({"car_alone": 80, "bike": 20}, wave="2025-03", prefix="b")
    after = table({"car_alone": 40, "bike": 60}, wave="2026-03", prefix="a")
    return compare_waves(before, after).as_dict()


@pytest.fixture(scope="module")
def flat() -> dict:
    # 60 of 100 before, 57 of 100 after: a small difference chance easily gives
    before = table({"car_alone": 60, "bike": 40}, wave="2025-03", prefix="b")
    after = table({"car_alone": 57, "bike": 43}, wave="2026-03", prefix="a")
    return compare_waves(before, after).as_dict()


def test_a_large_fall_is_called_a_clear_fall_of_about_so_many_points(fall):
    said = texts(comparison_blocks(fall, lang="en"))
    assert "The share who drive to work, summer half-year: a clear fall of about 40 percentage points, from 80% to 40%." in said
    nn = texts(comparison_blocks(fall, lang="nn"))
    assert "Delen som køyrer bil til jobb, sommarhalvåret: ein tydeleg nedgang på om lag 40 prosentpoeng, frå 80\u00a0% til 40\u00a0%." in nn


def test_a_small_difference_is_no_clear_change_and_never_about_the_same(flat):
    for lang, no_change, same in (("en", "no clear change", "about the same"), ("nn", "inga tydeleg endring", "om lag den same"),
                                  ("nb", "ingen tydelig endring", "omtrent den samme")):
        said = " ".join(texts(comparison_blocks(flat, lang=lang)))
        assert no_change in said
        assert same not in said


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_the_main_text_has_no_statistical_terms_and_the_appendix_explains_them(fall, lang):
    main = comparison_blocks(fall, lang=lang)
    assert not any(isinstance(b, Table) for b in main)
    leaks = [t for t in texts(main) if TECHNICAL.search(t)]
    assert leaks == []
    appendix = comparison_appendix_blocks(fall, lang=lang)
    terms = " ".join(texts(appendix))
    for term in ("McNemar", "Newcombe"):
        assert term in terms
    assert {"comparison-headline", "comparison-modes-summer"} <= {b.id for b in appendix if isinstance(b, Table)}


def test_the_main_text_has_a_before_after_chart(fall):
    figures = [b for b in comparison_blocks(fall, lang="en") if isinstance(b, Figure)]
    assert [f.id for f in figures] == ["fig-comparison-before-after"]
    assert figures[0].png.startswith(b"\x89PNG")


def test_the_chart_draws_one_row_per_figure_with_its_range():
    fig = before_after_chart([("A", 0.8, 0.4, -0.52, -0.28), ("B", 0.6, 0.57, -0.16, 0.10)], lang="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    # the range line of row A spans before + low to before + high, in per cent
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert [round(float(x), 6) for x in lines[0].get_xdata()] == [28.0, 52.0]


def test_the_chance_note_counts_the_tests_and_the_expected_chance_findings():
    # 40 tests, 3 of them below 0.05: about 2 would be "clear" by chance alone
    comparison = {"k": 5, "mode_share_change": {"summer": {f"m{i}": {"p_value": 0.5} for i in range(37)}},
                  "car_driver_share": {"summer": {"p_value": 0.01}, "winter": {"p_value": 0.02}},
                  "emissions": {"available": False, "p_value": 0.04},
                  "pilots": [{"p_value": None, "estimates": [{"p_value": 0.001}]}]}
    assert count_tests(comparison) == (40, 3)
    said = texts(comparison_blocks(comparison, lang="en"))
    assert any(t.startswith("The comparison makes 40 statistical tests, and 3 of them show a clear difference. "
                            "Even if nothing had changed, about 2 of 40 tests would show a clear difference by chance alone")
               for t in said)


def test_the_data_format_is_off_the_cover_and_in_the_method_section(tmp_path):
    from grontur.report.build import build_document

    results = json.loads((__import__("pathlib").Path(__file__).parent / "data" / "report_results_sample.json").read_text(encoding="utf-8"))
    document = build_document(results, lang="nn")
    assert not any("grontur.results" in m for m in document.meta)
    method = next(s for s in document.sections if s.id == "method")
    assert any(isinstance(b, Paragraph) and results["schema"] in b.text for b in method.blocks)
    write_outputs(results, out_dir=tmp_path, lang="nn", formats=("html",))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # the stability of the groups reads as re-running the analysis, not as repeated driving
    assert "gjentekne køyringar" not in html
    assert "når analysen blir gjort om att på tilfeldige utval av svara" in html
