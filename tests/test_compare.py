"""Tests for grontur.compare: before/after figures, suppression and comparability checks.

The statistics themselves are tested against published examples in test_stats.py.

Fixtures are canonical tables built here with exact, planted counts; every expected figure is
computed by hand in the test (or taken from a published worked example), never copied from output.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from grontur import compare
from grontur.compare import compare_waves
from grontur.errors import ConfigError, GronturError, MappingError, MissingColumnError

Z = 1.959963984540054


def approx(expected: float, **tolerance: float):
    """Outputs are rounded to 6 decimals (shares) or 4 significant digits (p-values)."""
    tolerance.setdefault("abs", 2e-6)
    return pytest.approx(expected, **tolerance)


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson score interval written out from its textbook formula."""
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def table(counts: dict[str, int], *, wave: str = "2025-03", prefix: str = "b", **columns: object) -> pd.DataFrame:
    """A canonical table with exactly ``counts[mode]`` respondents per mode (same mode both seasons)."""
    modes = [mode for mode, n in counts.items() for _ in range(n)]
    frame = pd.DataFrame({
        "respondent_id": [f"{prefix}{i}" for i in range(len(modes))],
        "municipality": "3324",
        "wave": wave,
        "mode_summer": modes,
        "mode_winter": modes,
    })
    for name, value in columns.items():
        frame[name] = value
    return frame


# --------------------------------------------------------------------------- compare_waves

@pytest.fixture
def waves() -> tuple[pd.DataFrame, pd.DataFrame]:
    before = table({"car_alone": 50, "car_shared": 10, "bike": 25, "bus": 10, "remote": 5}, prefix="b")
    after = table({"car_alone": 35, "car_shared": 10, "bike": 40, "bus": 10, "remote": 5}, wave="2026-03", prefix="a")
    return before, after


def test_mode_share_change_has_shares_interval_and_test(waves) -> None:
    before, after = waves
    result = compare_waves(before, after).as_dict()
    cell = result["mode_share_change"]["summer"]["car_alone"]
    assert cell["before"] == approx(0.50)
    assert cell["after"] == approx(0.35)
    assert cell["diff"] == approx(-0.15)
    l_b, u_b = wilson(50, 100)
    l_a, u_a = wilson(35, 100)
    assert cell["ci_low"] == approx(-0.15 - math.sqrt((0.35 - l_a) ** 2 + (u_b - 0.50) ** 2), abs=1e-6)
    assert cell["ci_high"] == approx(-0.15 + math.sqrt((u_a - 0.35) ** 2 + (0.50 - l_b) ** 2), abs=1e-6)
    pooled = 85 / 200
    z = -0.15 / math.sqrt(pooled * (1 - pooled) * 0.02)
    assert cell["p_value"] == approx(2 * stats.norm.sf(abs(z)), rel=1e-3)
    assert (cell["n_before"], cell["n_after"]) == (100, 100)


def test_chi_square_over_the_whole_distribution(waves) -> None:
    before, after = waves
    result = compare_waves(before, after).as_dict()
    observed = np.array([[50, 10, 25, 10, 5], [35, 10, 40, 10, 5]])
    expected = stats.chi2_contingency(observed, correction=False)
    test = result["distribution_test"]["summer"]
    assert test["dof"] == 4
    assert test["p_value"] == approx(expected.pvalue, rel=1e-3)


def test_drive_alone_rate_leaves_out_remote_workers(waves) -> None:
    before, after = waves
    rate = compare_waves(before, after).as_dict()["drive_alone_rate"]["summer"]
    # 95 travel in each wave (5 work from home); everyone is on site the same days
    assert rate["before"] == approx(50 / 95)
    assert rate["after"] == approx(35 / 95)
    assert rate["n_before"] == 95


def test_drive_alone_rate_weights_trips_by_days_on_site() -> None:
    before = table({"car_alone": 10, "bike": 10}, days_on_site=[5.0] * 10 + [1.0] * 10)
    after = table({"car_alone": 10, "bike": 10}, wave="2026-03", prefix="a", days_on_site=[1.0] * 10 + [5.0] * 10)
    rate = compare_waves(before, after).as_dict()["drive_alone_rate"]["summer"]
    assert rate["before"] == approx(50 / 60)
    assert rate["after"] == approx(10 / 60)
    # Kish effective n: (sum w)^2 / sum w^2
    assert rate["n_eff_before"] == approx(60**2 / (10 * 25 + 10 * 1))


def test_car_driver_share_counts_shared_drivers(waves) -> None:
    before, after = waves
    share = compare_waves(before, after).as_dict()["car_driver_share"]["summer"]
    assert share["before"] == approx(0.60)
    assert share["after"] == approx(0.45)


def test_cars_per_100_uses_days_on_site_and_employees() -> None:
    before = table({"car_alone": 20, "bike": 20}, days_on_site=[5.0] * 10 + [2.5] * 10 + [5.0] * 20)
    after = table({"car_alone": 10, "bike": 30}, wave="2026-03", prefix="a", days_on_site=5.0)
    cars = compare_waves(before, after, employees_before=200, employees_after=200).as_dict()["cars_per_100_employees"]
    # before: 10 full-week drivers + 10 half-week drivers = 15 cars per day among 40 -> 37.5 per 100
    assert cars["summer"]["before"] == approx(37.5)
    assert cars["summer"]["after"] == approx(25.0)
    assert cars["summer"]["cars_per_day_before"] == approx(75.0)
    assert cars["summer"]["diff"] == approx(-12.5)


def test_small_modes_are_suppressed_and_counted() -> None:
    before = table({"car_alone": 40, "bike": 20, "train": 3})
    after = table({"car_alone": 35, "bike": 25, "train": 6}, wave="2026-03", prefix="a")
    result = compare_waves(before, after).as_dict()
    train = result["mode_share_change"]["summer"]["train"]
    assert train["before"] is None
    assert train["after"] == approx(6 / 66)
    assert train["diff"] is None and train["ci_low"] is None and train["p_value"] is None
    assert result["suppressed_cells"] >= 2  # the train cell in both seasons


def test_a_wave_below_k_publishes_nothing() -> None:
    before = table({"car_alone": 2, "bike": 2})
    after = table({"car_alone": 30, "bike": 30}, wave="2026-03", prefix="a")
    cell = compare_waves(before, after).as_dict()["car_driver_share"]["summer"]
    assert cell["before"] is None and cell["n_before"] is None and cell["diff"] is None


def test_k_below_five_is_refused(waves) -> None:
    with pytest.raises(ConfigError):
        compare_waves(*waves, k=3)


def test_as_dict_is_plain_json(waves) -> None:
    before, after = waves
    before = before.assign(workplace="Rådhuset", job_group="administration", distance_km=4.0, days_on_site=5.0)
    after = after.assign(workplace="Rådhuset", job_group="administration", distance_km=4.0, days_on_site=5.0)
    result = compare_waves(before, after, employees_before=300, employees_after=300).as_dict()
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text)["schema"] == "grontur.comparison/1"
    assert isinstance(result["suppressed_cells"], int)


def test_emissions_before_and_after_follow_the_emissions_stage() -> None:
    from grontur import emissions
    before = table({"car_alone": 30, "bike": 20}, distance_km=10.0, car_fuel="petrol", days_on_site=5.0)
    after = table({"car_alone": 20, "bike": 30}, wave="2026-03", prefix="a", distance_km=10.0, car_fuel="petrol",
                  days_on_site=5.0)
    result = compare_waves(before, after).as_dict()["emissions"]
    per_b = emissions.compute_emissions(before).per_respondent
    per_a = emissions.compute_emissions(after).per_respondent
    assert result["available"] is True
    assert result["before"] == approx(per_b.mean(), rel=1e-5)
    assert result["diff"] == approx(per_a.mean() - per_b.mean(), rel=1e-5)
    # 10 fewer petrol drivers out of 50: emissions per respondent fall by a fifth of a driver's
    assert result["diff"] == approx(-0.2 * per_b[before["mode_summer"] == "car_alone"].mean(), rel=1e-5)


def test_emissions_without_distances_are_skipped_with_a_warning(waves) -> None:
    result = compare_waves(*waves).as_dict()
    assert result["emissions"]["available"] is False
    assert any(w["code"].startswith("emissions_") for w in result["comparability"])


# --------------------------------------------------------------------------- panel

def test_panel_mcnemar_on_linked_respondents_and_rest_separately() -> None:
    # 60 people answer both waves: 30 drive both times, 12 stop, 6 start, 12 never drive
    pattern = ["car_alone"] * 30 + ["car_alone"] * 12 + ["bike"] * 6 + ["bike"] * 12
    later = ["car_alone"] * 30 + ["bike"] * 12 + ["car_alone"] * 6 + ["bike"] * 12
    ids = [f"p{i}" for i in range(60)]
    before = pd.DataFrame({"respondent_id": ids + [f"b{i}" for i in range(40)], "wave": "2025-03",
                           "mode_summer": pattern + ["car_alone"] * 25 + ["bus"] * 15})
    after = pd.DataFrame({"respondent_id": ids + [f"a{i}" for i in range(30)], "wave": "2026-03",
                          "mode_summer": later + ["car_alone"] * 15 + ["bus"] * 15})
    panel = compare_waves(before, after).as_dict()["panel"]
    assert panel["found"] is True and panel["n"] == 60
    summer = panel["seasons"]["summer"]
    assert (summer["car_both"], summer["stopped_driving"], summer["started_driving"], summer["car_neither"]) == (30, 12, 6, 12)
    assert summer["mcnemar_p"] == approx(stats.binomtest(6, 18, 0.5).pvalue, rel=1e-3)
    assert summer["diff"] == approx((6 - 12) / 60)
    rest = panel["non_panel"]["summer"]
    assert rest["before"] == approx(25 / 40)
    assert rest["after"] == approx(15 / 30)
    assert panel["mcnemar_p"] == summer["mcnemar_p"]


def test_no_panel_when_ids_do_not_meet(waves) -> None:
    panel = compare_waves(*waves).as_dict()["panel"]
    assert panel == {"found": False, "n": 0}


def test_duplicate_ids_are_not_linked() -> None:
    before = table({"car_alone": 10, "bike": 10})
    after = table({"car_alone": 10, "bike": 10}, wave="2026-03", prefix="a")
    before["respondent_id"] = "same"
    after["respondent_id"] = "same"
    assert compare_waves(before, after).as_dict()["panel"]["found"] is False


# --------------------------------------------------------------------------- breakdowns

def test_breakdowns_by_workplace_suppress_small_sites() -> None:
    before = table({"car_alone": 30, "bike": 23})
    after = table({"car_alone": 20, "bike": 33}, wave="2026-03", prefix="a")
    before["workplace"] = ["Rådhuset"] * 50 + ["Hytta"] * 3
    after["workplace"] = ["Rådhuset"] * 50 + ["Hytta"] * 3
    rows = {r["group"]: r for r in compare_waves(before, after).as_dict()["breakdowns"]["workplace"]}
    assert "Hytta" not in rows  # 3 in both waves: not even named
    # Rådhuset's 50 beside the 53 respondents would give Hytta's 3 back (and its shares beside
    # the wave's shares their answers): the gate hides it in both waves, so it is not named either.
    assert "Rådhuset" not in rows


# --------------------------------------------------------------------------- comparability

def codes(result: compare.Comparison) -> list[str]:
    return result.warning_codes


def test_same_season_same_questions_gives_no_warning(waves) -> None:
    assert codes(compare_waves(*waves)) == ["emissions_no_distances"]


def test_different_season_is_flagged(waves) -> None:
    before, after = waves
    result = compare_waves(before, after.assign(wave="2026-09"))
    warning = next(w for w in result.comparability if w["code"] == "season_differs")
    assert warning["values"]["months"] == 6


def test_unknown_wave_is_flagged(waves) -> None:
    before, after = waves
    assert "season_unknown" in codes(compare_waves(before.drop(columns="wave"), after))


def test_explicit_waves_override_the_tables(waves) -> None:
    result = compare_waves(*waves, waves=("2025-03", "2025-10"))
    assert result.waves == {"before": "2025-03", "after": "2025-10"}
    assert "season_differs" in result.warning_codes


def test_changed_questions_are_flagged(waves) -> None:
    before, after = waves
    warning = next(w for w in compare_waves(before, after.assign(age_band="u30")).comparability
                   if w["code"] == "questions_changed")
    assert warning["values"] == {"only_before": [], "only_after": ["age_band"]}


def test_changed_mapping_is_flagged(waves) -> None:
    result = compare_waves(*waves, mapping_before={"dialect": "nettskjema", "mode": "A"},
                           mapping_after={"dialect": "nettskjema", "mode": "B"})
    warning = next(w for w in result.comparability if w["code"] == "mapping_changed")
    assert warning["values"]["keys"] == ["mode"]
    same = compare_waves(*waves, mapping_before={"a": 1}, mapping_after={"a": 1})
    assert "mapping_changed" not in same.warning_codes


def test_response_rate_change_is_flagged(waves) -> None:
    result = compare_waves(*waves, employees_before=125, employees_after=250)
    warning = next(w for w in result.comparability if w["code"] == "response_rate_changed")
    assert warning["values"] == {"before": 0.8, "after": 0.4}
    assert result.respondents["response_rate_before"] == approx(0.8)


def test_job_group_mix_is_reweighted_to_the_baseline() -> None:
    # within each job group nothing changes (health 80 % drive, administration 40 %), but the
    # follow-up over-represents health care: the raw share rises, the reweighted one does not
    before = table({"car_alone": 40 + 20, "bike": 10 + 30},
                   job_group=["health_care"] * 40 + ["administration"] * 20 + ["health_care"] * 10 + ["administration"] * 30)
    after = table({"car_alone": 64 + 8, "bike": 16 + 12}, wave="2026-03", prefix="a",
                  job_group=["health_care"] * 64 + ["administration"] * 8 + ["health_care"] * 16 + ["administration"] * 12)
    result = compare_waves(before, after)
    assert "composition_changed" in result.warning_codes
    rw = result.composition["reweighted"]["car_driver_share"]["summer"]
    assert rw["before"] == approx(0.60)
    assert rw["after"] == approx(0.72)
    assert rw["after_reweighted"] == approx(0.5 * 0.8 + 0.5 * 0.4)
    assert rw["diff_reweighted"] == approx(0.0, abs=1e-9)
    assert rw["ci_low"] < 0 < rw["ci_high"]
    assert result.composition["shares"]["health_care"]["after"] == approx(0.8)


# --------------------------------------------------------------------------- bad input

def test_table_without_modes_names_the_columns() -> None:
    with pytest.raises(MissingColumnError, match="mode_summer"):
        compare_waves(pd.DataFrame({"distance_km": [1.0]}), table({"bike": 5}))


def test_unknown_mode_code_names_value_and_column(waves) -> None:
    before, after = waves
    after = after.copy()
    after.loc[3, "mode_winter"] = "hovercraft"
    with pytest.raises(MappingError, match="hovercraft.*mode_winter"):
        compare_waves(before, after)


def test_non_table_input_is_a_user_error(waves) -> None:
    with pytest.raises(GronturError):
        compare_waves("baseline.csv", waves[1])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scale

def test_large_waves_are_compared_right() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    modes = np.array(["car_alone", "car_shared", "bike", "bus", "walk", "remote"])

    def big(p: list[float], wave: str) -> pd.DataFrame:
        m = rng.choice(modes, size=n, p=p)
        return pd.DataFrame({
            "respondent_id": rng.integers(0, 10 * n, n).astype(str), "wave": wave,
            "mode_summer": m, "mode_winter": m, "days_on_site": 5.0,
            "workplace": rng.choice([f"site{i}" for i in range(300)], n),
            "job_group": rng.choice(["health_care", "school", "administration"], n),
        })

    before = big([0.5, 0.1, 0.1, 0.1, 0.1, 0.1], "2025-03")
    after = big([0.45, 0.1, 0.15, 0.1, 0.1, 0.1], "2026-03")
    # (its speed is measured in benchmarks/, not asserted here)
    result = compare_waves(before, after).as_dict()
    assert result["car_driver_share"]["summer"]["diff"] == approx(-0.05, abs=0.01)


# --------------------------------------------------------------------------- report and command

@pytest.fixture
def rich_comparison() -> dict:
    from grontur.pilots import evaluate_pilots

    before = table({"car_alone": 50, "car_shared": 10, "bike": 25, "bus": 12, "train": 3},
                   workplace=["Rådhuset"] * 60 + ["Sjukeheimen"] * 40, job_group="health_care")
    after = table({"car_alone": 35, "car_shared": 10, "bike": 40, "bus": 15}, wave="2026-09", prefix="a",
                  workplace=["Rådhuset"] * 60 + ["Sjukeheimen"] * 40, job_group="health_care")
    pilot = {"measure": "ebike-pool", "start": "2026-04-01", "end": "2026-08-31",
             "participants": {"workplace": "Rådhuset"}}
    effects = evaluate_pilots(before, after, pilots=[pilot], municipality={"number": "3324", "name": "Gol"})
    return compare_waves(before, after, employees_before=150, employees_after=300).with_pilots(effects).as_dict()


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_comparison_html_is_complete_and_self_contained(rich_comparison, lang) -> None:
    from grontur.report.comparison import render_comparison_html

    html = render_comparison_html(rich_comparison, lang=lang, name="Gol", date="2026-11-29")
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
    assert not re.search(r"\b(None|nan|NaN)\b|>null<", html)
    assert "<link" not in html and "src=\"http" not in html
    assert {"nn": "Kva har endra seg?", "nb": "Hva har endret seg?", "en": "What changed?"}[lang] in html
    # every comparability warning is explained in words, not as a code
    for warning in rich_comparison["comparability"]:
        assert warning["code"] not in html


def test_what_changed_fragment_and_blocks_for_the_main_report(rich_comparison) -> None:
    from grontur.report.comparison import (
        comparison_appendix_blocks,
        comparison_blocks,
        render_what_changed,
    )
    from grontur.report.model import Table

    # the tables with intervals and tests are in the appendix; the main text has none of them
    assert not any(isinstance(b, Table) for b in comparison_blocks(rich_comparison, lang="en"))
    blocks = comparison_appendix_blocks(rich_comparison, lang="en")
    tables = {b.id: b for b in blocks if isinstance(b, Table)}
    assert {"comparison-headline", "comparison-modes-summer", "comparison-pilots"} <= set(tables)
    car = next(r for r in tables["comparison-modes-summer"].rows if r[0].text == "Car, alone")
    assert [c.text for c in car[1:4]] == ["50%", "35%", "−15.0"]
    train = next(r for r in tables["comparison-modes-summer"].rows if r[0].text == "Train")
    assert train[1].text == "–"  # 3 train users before: suppressed
    fragment = render_what_changed(rich_comparison, lang="nb")
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment


def test_pilot_sentence_states_direction_and_interval() -> None:
    from grontur.report.comparison import pilot_sentence, summarise_pilots

    effect = {"measure": "ebike-pool", "municipality": {"name": "Ål"}, "period": {"start": "2026-04-01"},
              "estimate": -0.12, "ci_low": -0.21, "ci_high": -0.03}
    assert pilot_sentence(effect, "en") == (
        "Piloted in Ål 2026: car share among participants down 12.0 percentage points (95% CI 3.0 to 21.0).")
    assert "gjekk ned 12,0 prosentpoeng" in pilot_sentence(effect, "nn")
    unclear = {**effect, "ci_high": 0.02}
    assert "no clear change" in pilot_sentence(unclear, "en")
    assert "too few" in pilot_sentence({**effect, "estimate": None}, "en")
    (line,) = summarise_pilots([effect], "en")
    assert line.endswith(pilot_sentence(effect, "en")) and line.startswith(line.split(":")[0])


def test_compare_command_writes_json_html_and_evidence(tmp_path) -> None:
    from grontur.cli import main

    def write(frame: pd.DataFrame, name: str) -> str:
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return str(path)

    before = table({"car_alone": 60, "bike": 30}, workplace=["Gol rådhus", "Gol sjukeheim", "Gol skule"] * 30)
    after = table({"car_alone": 45, "bike": 45}, wave="2026-03", prefix="a",
                  workplace=["Gol rådhus", "Gol sjukeheim", "Gol skule"] * 30)
    project = tmp_path / "gol"
    project.mkdir()
    (project / "grontur.yaml").write_text(
        'municipality: Gol\nlanguage: nn\nemployees: 150\nwave: "2025-03"\nrun_date: "2026-11-29"\nsalt: t\n'
        'pilots:\n  - {measure: parking-daily-fee, start: "2025-09-01", end: "2026-03-31", '
        "participants: {workplace: Gol rådhus}}\n", encoding="utf-8")
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    args = ["compare", write(before, "before.csv"), write(after, "after.csv"), "--project", str(project),
            "--out", str(out), "--write-evidence", "--evidence-dir", str(evidence)]
    assert main(args) == 0
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert data["schema"] == "grontur.comparison/1"
    assert data["car_driver_share"]["summer"]["diff"] == approx(-15 / 90)
    assert data["pilots"][0]["measure"] == "parking-daily-fee"
    assert "Kva har endra seg?" in (out / "comparison.html").read_text(encoding="utf-8")
    assert [p.name for p in evidence.iterdir()] == ["parking-daily-fee-3324-2025-09-01.yaml"]
    assert main(args) == 0  # the same evidence again is not a conflict


def test_compare_command_without_municipality_is_a_user_error(tmp_path) -> None:
    from grontur.cli import main

    path = tmp_path / "x.csv"
    table({"bike": 5}).to_csv(path, index=False)
    assert main(["compare", str(path), str(path), "--out", str(tmp_path / "out")]) == 2


def test_string_dtypes_with_missing_answers() -> None:
    before = pd.DataFrame({
        "mode_summer": pd.array(["car_alone"] * 10 + [None] * 3 + ["bike"] * 8, dtype="string"),
        "job_group": pd.array(["school"] * 21, dtype="string"),
        "wave": "2025-03",
    })
    after = pd.DataFrame({
        "mode_summer": pd.array(["car_alone"] * 6 + [None] * 3 + ["remote"] * 8, dtype="str"),
        "job_group": "school",
        "wave": "2026-03",
    })
    result = compare_waves(before, after).as_dict()
    assert result["car_driver_share"]["summer"]["before"] == approx(10 / 18)
    assert result["car_driver_share"]["summer"]["after"] == approx(6 / 14)
    assert result["drive_alone_rate"]["summer"]["n_after"] == 6  # remote workers make no trips
    assert result["distribution_test"]["summer"]["dof"] == 2


def test_compare_waves_can_evaluate_pilots_in_one_call(waves) -> None:
    before, after = waves
    before = before.assign(workplace=["Rådhuset"] * 50 + ["Skulen"] * 50)
    after = after.assign(workplace=["Rådhuset"] * 50 + ["Skulen"] * 50)
    pilot = {"measure": "ebike-pool", "start": "2025-04-01", "end": "2025-10-31",
             "participants": {"workplace": "Rådhuset"}}
    result = compare_waves(before, after, pilots=[pilot], municipality={"number": "3324", "name": "Gol"},
                           run_date="2026-11-29")
    (entry,) = result.as_dict()["pilots"]
    assert entry["measure"] == "ebike-pool" and entry["municipality"]["name"] == "Gol"
    assert entry["method"] == "reached_vs_not_reached"


def test_warnings_name_questions_not_column_codes(waves) -> None:
    from grontur.i18n import Translator
    from grontur.report.comparison import warning_text

    before, after = waves
    warning = next(w for w in compare_waves(before, after.assign(age_band="u30")).comparability
                   if w["code"] == "questions_changed")
    text = warning_text(warning, Translator("nb"), "nb")
    assert "«Hvor gammel er du?»" in text and "age_band" not in text


def test_reweighted_figures_are_shown_only_when_the_mix_changed() -> None:
    from grontur.report.comparison import comparison_blocks
    from grontur.report.model import BulletList, Paragraph

    mix = ["health_care"] * 50 + ["administration"] * 50
    before = table({"car_alone": 60, "bike": 40}, job_group=mix)
    same = table({"car_alone": 55, "bike": 45}, wave="2026-03", prefix="a", job_group=mix)
    shifted = table({"car_alone": 55, "bike": 45}, wave="2026-03", prefix="a",
                    job_group=["health_care"] * 85 + ["administration"] * 15)

    def texts(after: pd.DataFrame) -> str:
        blocks = comparison_blocks(compare_waves(before, after).as_dict(), lang="en")
        return " ".join([b.text for b in blocks if isinstance(b, Paragraph)]
                        + [i for b in blocks if isinstance(b, BulletList) for i in b.items])

    # a large p-value is "not a clear difference", never "about the same"
    assert "not a clear difference" in texts(same) and "Adjusted to the job-group mix" not in texts(same)
    assert "Adjusted to the job-group mix" in texts(shifted) and "not a clear difference" not in texts(shifted)
