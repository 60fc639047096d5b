"""Privacy and wording of the wave comparison: group shares, the panel, job-group composition.

Small synthetic waves with planted counts; every expected figure is worked out in the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from grontur.compare import compare_waves
from grontur.i18n import Translator
from grontur.importing import ID_SOURCE_COLUMN, import_survey
from grontur.report.comparison import (
    comparison_appendix_blocks,
    comparison_blocks,
    render_comparison_html,
    warning_text,
)
from grontur.report.model import BulletList, Paragraph, Table
from grontur.waves import linkable_ids

LANGS = ("nn", "nb", "en")
REPO = Path(__file__).resolve().parents[1]


def approx(expected: float):
    return pytest.approx(expected, abs=2e-6)


def people(groups: dict[str, tuple[int, int]], *, column: str = "workplace", wave: str = "2025-03",
           prefix: str = "b", **extra: object) -> pd.DataFrame:
    """``groups[name] = (drivers, others)``: that many car drivers and cyclists in the group."""
    rows = [(name, mode) for name, (drivers, others) in groups.items()
            for mode in ["car_alone"] * drivers + ["bike"] * others]
    frame = pd.DataFrame({
        "respondent_id": [f"{prefix}{i}" for i in range(len(rows))],
        "municipality": "3324",
        "wave": wave,
        column: [name for name, _ in rows],
        "mode_summer": [mode for _, mode in rows],
        "mode_winter": [mode for _, mode in rows],
    })
    for name, value in extra.items():
        frame[name] = value
    return frame


def texts(comparison: dict, lang: str) -> list[str]:
    blocks = comparison_blocks(comparison, lang=lang)
    return ([b.text for b in blocks if isinstance(b, Paragraph)]
            + [item for b in blocks if isinstance(b, BulletList) for item in b.items])


def appendix_texts(comparison: dict, lang: str) -> list[str]:
    blocks = comparison_appendix_blocks(comparison, lang=lang)
    return ([b.text for b in blocks if isinstance(b, Paragraph)]
            + [item for b in blocks if isinstance(b, BulletList) for item in b.items])


def rows_of(comparison: dict, table_id: str, lang: str = "en") -> list[list[str]]:
    # the tables with intervals and tests are in the appendix (issue 18: statistics in words)
    table = next(b for b in comparison_appendix_blocks(comparison, lang=lang) if isinstance(b, Table) and b.id == table_id)
    return [[cell.text for cell in row] for row in table.rows]


# --------------------------------------------------------------------------- 1. group shares

def test_group_share_with_few_non_drivers_is_hidden_like_the_habits_section() -> None:
    # 9 at the town hall, 7 drive: the 2 who do not are fewer than k, so 7/9 is not shown
    before = people({"Town hall": (7, 2), "School": (10, 10)})
    after = people({"Town hall": (9, 0), "School": (12, 8)}, wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    rows = {r["group"]: r for r in result["breakdowns"]["workplace"]}
    town = rows["Town hall"]["summer"]["car_driver_share"]
    assert town["before"] is None and town["diff"] is None and town["p_value"] is None
    # 9 of 9 drive afterwards: a share of 100 % would give each member's answer (the whole-group rule)
    assert town["after"] is None
    assert rows["Town hall"]["n_before"] == 9
    school = rows["School"]["summer"]["car_driver_share"]
    # The gate (one ledger with the whole wave) hides the school's share before too: the school's
    # 10 cyclists beside the wave's 12 would give the town hall's 2 back.
    assert (school["before"], school["after"]) == (None, approx(12 / 20))
    town_rows = [r for r in rows_of(result, "comparison-by-workplace") if r[0] == "Town hall"]
    assert town_rows and all(r[2] == "–" for r in town_rows)
    assert "78%" not in render_comparison_html(result, lang="en")


def test_whole_sample_car_share_follows_the_same_rule() -> None:
    before = people({"Town hall": (27, 3)})
    after = people({"Town hall": (20, 10)}, wave="2026-03", prefix="a")
    cell = compare_waves(before, after).as_dict()["car_driver_share"]["summer"]
    assert cell["before"] is None and cell["diff"] is None
    assert cell["after"] == approx(20 / 30)


def test_one_small_named_group_hides_the_next_smallest_so_it_cannot_be_subtracted() -> None:
    # the depot has 3 respondents before and 8 after: before, its size would be the wave's total
    # minus the other groups' sizes unless one more group is hidden
    before = people({"Town hall": (10, 10), "School": (6, 6), "Depot": (2, 1)})
    after = people({"Town hall": (10, 10), "School": (6, 6), "Depot": (4, 4)}, wave="2026-03", prefix="a")
    rows = {r["group"]: r for r in compare_waves(before, after).as_dict()["breakdowns"]["workplace"]}
    assert rows["Depot"]["n_before"] is None and rows["School"]["n_before"] is None
    assert rows["School"]["summer"]["car_driver_share"]["before"] is None
    assert rows["Town hall"]["n_before"] == 20 and rows["Depot"]["n_after"] == 8 and rows["School"]["n_after"] == 12


def test_composition_shares_hide_a_single_small_group_and_its_neighbour() -> None:
    before = people({"health_care": (10, 10), "administration": (6, 6), "technical": (2, 1)}, column="job_group")
    after = people({"health_care": (10, 10), "administration": (6, 6), "technical": (4, 4)}, column="job_group",
                   wave="2026-03", prefix="a")
    shares = compare_waves(before, after).as_dict()["composition"]["shares"]
    assert shares["technical"]["before"] is None and shares["administration"]["before"] is None
    assert shares["health_care"]["before"] == approx(20 / 35)
    assert shares["technical"]["after"] == approx(8 / 40)


# --------------------------------------------------------------------------- 2. the panel

def panel_waves(both: int, stopped: int, started: int, neither: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    first = ["car_alone"] * (both + stopped) + ["bike"] * (started + neither)
    second = ["car_alone"] * both + ["bike"] * stopped + ["car_alone"] * started + ["bike"] * neither
    ids = [f"p{i}" for i in range(len(first))]
    before = pd.DataFrame({"respondent_id": ids + [f"b{i}" for i in range(40)], "wave": "2025-03",
                           "mode_summer": first + ["car_alone"] * 25 + ["bus"] * 15})
    after = pd.DataFrame({"respondent_id": ids + [f"a{i}" for i in range(30)], "wave": "2026-03",
                          "mode_summer": second + ["car_alone"] * 15 + ["bus"] * 15})
    return before, after


def test_few_switchers_hide_the_paired_test_and_every_cell() -> None:
    # 3 started driving: with n, the shares and the p-value that 3 could be worked out
    result = compare_waves(*panel_waves(30, 12, 3, 15)).as_dict()
    summer = result["panel"]["seasons"]["summer"]
    for key in ("car_both", "stopped_driving", "started_driving", "car_neither", "mcnemar_p", "ci_low", "ci_high"):
        assert summer[key] is None, key
    assert summer["paired_test"] is False and summer["note"] == "few_changed"
    assert summer["n"] == 60
    # Those who drove after (33) and those who drove both times (30) differ by the 3 who started:
    # the gate hides the subtotal (drove after) before the cell inside it, so the share after goes.
    assert summer["before"] == approx(42 / 60) and summer["after"] is None
    assert result["panel"]["mcnemar_p"] is None
    for lang in LANGS:
        tr = Translator(lang)
        expected = tr("compare.panel.switches_few_changed", season=tr("compare.season.summer").capitalize(), k=5)
        sentences = texts(result, lang)
        assert expected in sentences
        switch = [s for s in sentences if s.startswith(tr("compare.season.summer").capitalize())]
        assert switch == [expected]
        assert "–" not in expected and "McNemar" not in expected


def test_a_small_cell_of_people_who_never_drove_also_hides_the_paired_test() -> None:
    result = compare_waves(*panel_waves(30, 12, 10, 3)).as_dict()
    summer = result["panel"]["seasons"]["summer"]
    assert summer["note"] == "few_in_a_cell"
    assert summer["car_neither"] is None and summer["mcnemar_p"] is None
    # the 3 beside the shown panel size and shares: one more cell goes with them (the gate's choice)
    assert sum(summer[key] is None for key in ("car_both", "stopped_driving", "started_driving")) >= 1
    tr = Translator("nb")
    assert tr("compare.panel.switches_few_in_a_cell", season="Sommerhalvåret", k=5) in texts(result, "nb")


def test_enough_switchers_keep_the_mcnemar_sentence() -> None:
    result = compare_waves(*panel_waves(30, 12, 6, 12)).as_dict()
    summer = result["panel"]["seasons"]["summer"]
    assert summer["paired_test"] is True and summer["started_driving"] == 6
    # the test's name and p-value are in the appendix; the main text says it in words
    assert any("McNemar p = " in s for s in appendix_texts(result, "en"))
    assert "Summer half-year: of the same people, 12 stopped driving and 6 started driving." in texts(result, "en")
    assert not any("McNemar" in s for s in texts(result, "en"))


# --------------------------------------------------------------------------- 3. groups in one wave only

def test_small_group_missing_in_the_follow_up_is_not_named() -> None:
    before = people({"health_care": (20, 20), "administration": (10, 10), "technical": (3, 3), "culture": (2, 1)},
                    column="job_group")
    after = people({"health_care": (20, 20), "administration": (10, 10)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    warning = next(w for w in result["comparability"] if w["code"] == "composition_missing_groups")
    # The group sizes add up to those who answered (published): with culture's 3 hidden, the next
    # smallest (technical, 6) is hidden too, so neither is named.
    assert warning["values"]["groups"] == [] and warning["values"]["small_groups"] is True
    assert "culture" not in result["composition"]["shares"]
    for lang in LANGS:
        tr = Translator(lang)
        text = warning_text(warning, tr, lang)
        assert tr.code("job_group", "technical") not in text
        assert tr.code("job_group", "culture") not in render_comparison_html(result, lang=lang)


def test_only_small_missing_groups_are_described_without_names() -> None:
    before = people({"health_care": (20, 20), "culture": (2, 1)}, column="job_group")
    after = people({"health_care": (20, 20)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    warning = next(w for w in result["comparability"] if w["code"] == "composition_missing_groups")
    assert warning["values"]["groups"] == []
    tr = Translator("nn")
    assert warning_text(warning, tr, "nn") == tr("compare.warning.composition_missing_small_groups")


# --------------------------------------------------------------------------- 4. composition wording

def test_mix_is_called_different_only_when_the_test_says_so() -> None:
    # 10/10 before, 13/7 after: a 15-point difference that chance easily gives (p about 0.34)
    before = people({"health_care": (5, 5), "administration": (5, 5)}, column="job_group")
    after = people({"health_care": (7, 6), "administration": (4, 3)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    assert result["composition"]["distance"] == approx(0.15)
    assert result["composition"]["p_value"] > 0.05
    assert "composition_changed" not in [w["code"] for w in result["comparability"]]
    joined = " ".join(texts(result, "en"))
    # a large p-value never reads as "about the same": only as no clear difference
    assert "about the same" not in joined and "15.0 percentage points" in joined
    assert "which is not a clear difference. That does not mean the mix is the same" in joined


def test_changed_mix_is_stated_in_percentage_points() -> None:
    before = people({"health_care": (40, 10), "administration": (20, 30)}, column="job_group")
    after = people({"health_care": (64, 16), "administration": (8, 12)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    warning = next(w for w in result["comparability"] if w["code"] == "composition_changed")
    for lang in LANGS:
        text = warning_text(warning, Translator(lang), lang)
        assert re.search(r"30[.,]0 (prosentpoeng|percentage points)", text), text


def test_adjusted_before_is_labelled_when_groups_in_one_wave_are_left_out() -> None:
    # the depot workers (10, half drive) answered only before: the adjusted figures cover the
    # other groups, so their "before" (40 of 60) is not the headline "before" (45 of 70)
    before = people({"health_care": (32, 8), "administration": (8, 12), "technical": (5, 5)}, column="job_group")
    after = people({"health_care": (51, 13), "administration": (6, 10)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    entry = result["composition"]["reweighted"]["car_driver_share"]["summer"]
    assert entry["before"] == approx(40 / 60) and entry["whole_waves"] is False
    assert result["car_driver_share"]["summer"]["before"] == approx(45 / 70)
    tr = Translator("en")
    sentences = [s for s in texts(result, "en") if s.startswith("Adjusted to the job-group mix")]
    assert sentences and all("differ from the headline figures" in s for s in sentences)
    assert tr("compare.composition.adjusted_covers_others") in warning_text(
        next(w for w in result["comparability"] if w["code"] == "composition_missing_groups"), tr, "en")


def test_adjusted_figures_equal_the_headline_when_nobody_is_left_out() -> None:
    before = people({"health_care": (32, 8), "administration": (8, 12)}, column="job_group")
    after = people({"health_care": (51, 13), "administration": (6, 10)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    entry = result["composition"]["reweighted"]["car_driver_share"]["summer"]
    assert entry["whole_waves"] is True
    assert entry["before"] == result["car_driver_share"]["summer"]["before"]
    assert entry["after"] == result["car_driver_share"]["summer"]["after"]


def test_adjusted_figures_are_withheld_when_the_left_out_few_could_be_subtracted() -> None:
    # 3 depot workers answered only before: headline minus adjusted "before" would describe them
    before = people({"health_care": (32, 8), "administration": (8, 12), "technical": (2, 1)}, column="job_group")
    after = people({"health_care": (51, 13), "administration": (6, 10)}, column="job_group", wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    assert result["composition"]["reweighted"]["car_driver_share"] == {}
    assert not any(s.startswith("Adjusted to the job-group mix") for s in texts(result, "en"))


# --------------------------------------------------------------------------- 5. what links people

def test_only_panel_code_pseudonyms_link_people() -> None:
    before = people({"Town hall": (20, 10)})
    after = people({"Town hall": (15, 15)}, wave="2026-03", prefix="b")  # the same ids, b0 .. b29
    assert compare_waves(before, after).as_dict()["panel"]["n"] == 30  # a canonical table is trusted
    before[ID_SOURCE_COLUMN] = after[ID_SOURCE_COLUMN] = "export_id"
    assert compare_waves(before, after).as_dict()["panel"] == {"found": False, "n": 0}
    before[ID_SOURCE_COLUMN] = after[ID_SOURCE_COLUMN] = ["panel_code"] * 20 + ["export_id"] * 10
    panel = compare_waves(before, after).as_dict()["panel"]
    assert panel["n"] == 20
    assert panel["non_panel"]["summer"]["n_before"] == 10
    assert linkable_ids(before).notna().sum() == 20


def _export(tmp_path: Path, name: str, rows: slice, codes: list[str] | None = None) -> Path:
    """A small Nettskjema-style export whose submission ids are row numbers 1..n, as in Forms."""
    frame = pd.read_csv(REPO / "surveys/demo/fla/baseline.csv", dtype=str, keep_default_na=False).iloc[rows].copy()
    frame["$submission_id"] = [str(i) for i in range(1, len(frame) + 1)]
    if codes is not None:
        frame["Panel code"] = codes
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


def test_row_number_ids_of_two_exports_never_pair(tmp_path) -> None:
    before = import_survey(_export(tmp_path, "before", slice(0, 20))).table
    after = import_survey(_export(tmp_path, "after", slice(20, 40))).table
    assert set(before[ID_SOURCE_COLUMN]) == {"export_id"}
    # the pseudonyms of row 1 are the same in both files; they must not make a panel
    assert len(set(before["respondent_id"]) & set(after["respondent_id"])) > 0
    assert compare_waves(before, after).as_dict()["panel"] == {"found": False, "n": 0}


def test_panel_codes_pair_and_blank_codes_fall_back_to_unlinked_export_ids(tmp_path) -> None:
    codes = [f"K{i:02d}" if i < 12 else "" for i in range(20)]  # 12 coded, 8 blank in each wave
    before = import_survey(_export(tmp_path, "before", slice(0, 20), codes)).table
    after = import_survey(_export(tmp_path, "after", slice(20, 40), codes)).table
    coded_b = before[before[ID_SOURCE_COLUMN] == "panel_code"]
    coded_a = after[after[ID_SOURCE_COLUMN] == "panel_code"]
    expected = len(set(coded_b["respondent_id"]) & set(coded_a["respondent_id"]))
    assert expected >= 5 and (before[ID_SOURCE_COLUMN] == "export_id").any()
    assert compare_waves(before, after).as_dict()["panel"]["n"] == expected


def test_id_source_survives_a_canonical_round_trip(tmp_path) -> None:
    codes = [f"K{i:02d}" if i % 2 else "" for i in range(20)]
    first = import_survey(_export(tmp_path, "before", slice(0, 20), codes)).table
    path = tmp_path / "cleaned.csv"
    first.to_csv(path, index=False)
    again = import_survey(path).table
    assert again[ID_SOURCE_COLUMN].tolist() == first[ID_SOURCE_COLUMN].tolist()
    assert again["respondent_id"].tolist() == first["respondent_id"].tolist()


# --------------------------------------------------------------------------- 6. mode shares

def mode_wave(counts: dict[str, int], *, wave: str = "2025-03", prefix: str = "b") -> pd.DataFrame:
    modes = [mode for mode, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"respondent_id": [f"{prefix}{i}" for i in range(len(modes))], "municipality": "3324",
                         "wave": wave, "mode_summer": modes, "mode_winter": modes})


def test_a_mode_share_with_few_people_outside_it_is_hidden() -> None:
    # 98 of 100 drive alone: the share would reveal the 2 who do not
    before = mode_wave({"car_alone": 98, "bike": 2})
    after = mode_wave({"car_alone": 60, "bike": 40}, wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    modes = result["mode_share_change"]["summer"]
    assert modes["car_alone"]["before"] is None and modes["car_alone"]["diff"] is None
    assert modes["bike"]["before"] is None
    assert (modes["car_alone"]["after"], modes["bike"]["after"]) == (approx(0.6), approx(0.4))
    assert modes["car_alone"]["n_before"] == 100
    rows = [r for r in rows_of(result, "comparison-modes-summer")]
    assert rows and all(r[1] == "–" for r in rows)
    html = render_comparison_html(result, lang="en")
    assert "98%" not in html and "2%" not in html


def _shown_shares(modes: dict, side: str) -> dict[str, float]:
    return {mode: entry[side] for mode, entry in modes.items() if entry[side] is not None}


@pytest.mark.parametrize("counts", [
    {"car_alone": 40, "bike": 30, "bus": 27, "walk": 3},
    {"car_alone": 40, "car_shared": 2, "bike": 30, "bus": 28},
    {"car_alone": 50, "bike": 10, "bus": 10, "walk": 10, "train": 16, "remote": 4},
])
def test_one_hidden_mode_share_cannot_be_had_from_the_others_of_its_wave(counts) -> None:
    before = mode_wave(counts)
    after = mode_wave({"car_alone": 40, "car_shared": 10, "bike": 20, "bus": 20, "walk": 10}, wave="2026-03",
                      prefix="a")
    result = compare_waves(before, after).as_dict()
    modes = result["mode_share_change"]["summer"]
    n = sum(counts.values())
    small = [mode for mode, x in counts.items() if 0 < x < 5]
    assert all(modes[mode]["before"] is None for mode in small)
    hidden = [mode for mode, x in counts.items() if modes[mode]["before"] is None]
    # at least two shares are hidden and together they hold k or more people
    assert len(hidden) >= 2 and sum(counts[m] for m in hidden) >= 5
    shown = _shown_shares(modes, "before")
    assert sum(shown.values()) < 1 - 4.5 / n
    driver = result["car_driver_share"]["summer"]["before"]
    if driver is not None:  # the car-driver share must not give a hidden car mode back either
        cars = [m for m in ("car_alone", "car_shared") if m in counts]
        assert sum(1 for m in cars if m in hidden) != 1


def test_unaffected_mode_shares_stay_shown() -> None:
    before = mode_wave({"car_alone": 40, "bike": 30, "bus": 30})
    after = mode_wave({"car_alone": 35, "bike": 35, "bus": 30}, wave="2026-03", prefix="a")
    modes = compare_waves(before, after).as_dict()["mode_share_change"]["summer"]
    assert _shown_shares(modes, "before") == {"car_alone": approx(0.4), "bike": approx(0.3), "bus": approx(0.3)}
    assert modes["bike"]["diff"] == approx(0.05)


def test_the_mode_distribution_test_uses_published_figures_only() -> None:
    # 2 and 3 walkers are hidden in their waves; testing them as their own category would give a
    # statistic that, with every other count known, can be solved for them. They are tested
    # together with the other hidden modes, whose total the shown shares give anyway.
    before = mode_wave({"car_alone": 40, "bike": 20, "bus": 12, "walk": 2, "train": 3})
    after = mode_wave({"car_alone": 30, "bike": 25, "bus": 14, "walk": 3, "train": 6}, wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    test = result["distribution_test"]["summer"]
    assert result["mode_share_change"]["summer"]["walk"]["before"] is None
    assert test["merged_hidden_modes"] is True
    # car_alone, bike, bus and one merged category: 3 degrees of freedom, not 4
    assert test["dof"] == 3


def test_a_hidden_number_of_remote_workers_is_not_given_back_by_the_drive_alone_rate() -> None:
    # The drive-alone rate counts everyone but remote workers: its n beside the wave's n would
    # give back the 3 remote workers whose share is hidden.
    before = mode_wave({"car_alone": 40, "bike": 20, "bus": 12, "remote": 3, "walk": 6})
    after = mode_wave({"car_alone": 30, "bike": 25, "bus": 14, "remote": 9, "walk": 6}, wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    assert result["mode_share_change"]["summer"]["remote"]["before"] is None
    rate = result["drive_alone_rate"]["summer"]
    assert rate["before"] is None and rate["n_before"] is None and rate["n_eff_before"] is None
    assert rate["after"] is not None and rate["n_after"] == 75  # remote shown after: nothing to hide
