"""``surveys/demo/truth.yaml`` agrees with the parameters, the project files and the raw exports.

Shares and effects are recomputed here from the raw files with pandas and the questionnaire, by a
plain difference in differences with a normal-approximation interval, independent of grontur's
importer and comparison code.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo"
# the demo surveys ran with version 1 of the questionnaire (no question added later)
QUESTIONS = [q for q in yaml.safe_load((ROOT / "surveys" / "standard" / "questionnaire.yaml").read_text("utf-8"))["questions"]
             if q.get("added_in", 1) == 1]
TRUTH = yaml.safe_load((DEMO / "truth.yaml").read_text("utf-8"))
PARAMS = yaml.safe_load((DEMO / "parameters.yaml").read_text("utf-8"))
DRIVER = ("car_alone", "car_shared")
Z95 = 1.959964


def slug_of(number: str) -> str:
    return next(m["slug"] for m in TRUTH["municipalities"] if m["number"] == number)


def config(slug: str) -> dict:
    return yaml.safe_load((DEMO / slug / "grontur.yaml").read_text("utf-8"))


def answers(slug: str, wave: str) -> pd.DataFrame:
    """Workplace, modes and panel code per respondent, the duplicated submission removed."""
    lang = config(slug)["language"]
    path = DEMO / slug / f"{wave}.csv"
    if path.exists():
        df, meta = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), 2
    else:
        df, meta = pd.read_excel(DEMO / slug / f"{wave}.xlsx", dtype=str).fillna(""), 5
    df = df[~df.iloc[:, meta:].duplicated()]
    q = {x["column"]: x for x in QUESTIONS}
    out = pd.DataFrame({"workplace": df[q["workplace"]["text"][lang]]})
    for season in ("summer", "winter"):
        opts = {v[lang]: k for k, v in q[f"mode_{season}"]["options"].items()}
        out[season] = df[q[f"mode_{season}"]["text"][lang]].map(opts).isin(DRIVER)
    out["code"] = df.get("Anonym svarkode", "")
    return out.reset_index(drop=True)


def did(treated: tuple[pd.Series, pd.Series], control: tuple[pd.Series, pd.Series]) -> tuple[float, float, float]:
    """Difference in differences of two shares with a 95 % normal interval."""
    groups = (*treated, *control)
    p = [g.mean() for g in groups]
    est = (p[1] - p[0]) - (p[3] - p[2])
    se = math.sqrt(sum(pi * (1 - pi) / len(g) for pi, g in zip(p, groups)))
    return est, est - Z95 * se, est + Z95 * se


def test_truth_says_synthetic_and_matches_the_parameters():
    assert TRUTH["synthetic"] is True
    assert TRUTH["seed"] == PARAMS["seed"]
    assert TRUTH["trend"]["effect"] == PARAMS["trend"]["effect"]
    planted = {(p["municipality"], p["measure"]): p for p in TRUTH["pilots"]}
    assert set(planted) == {("3328", "ebike-pool"), ("3324", "parking-daily-fee"), ("3330", "campaign-workplace")}
    assert planted[("3328", "ebike-pool")]["effect"] == pytest.approx(-0.12)
    assert planted[("3328", "ebike-pool")]["seasons_affected"] == ["summer"]
    assert planted[("3324", "parking-daily-fee")]["effect"] == pytest.approx(-0.10)
    assert planted[("3330", "campaign-workplace")]["effect"] == 0 and planted[("3330", "campaign-workplace")]["null_effect"]
    assert TRUTH["comparison_municipality"] == "3322"
    readme = (DEMO / "README.md").read_text("utf-8")
    assert "synthetic" in readme.lower() and "erikbolstad" in readme


def test_project_configurations_carry_the_pilots_and_settings():
    numbers = {"fla": "3320", "nesbyen": "3322", "gol": "3324", "hemsedal": "3326", "al": "3328", "hol": "3330"}
    pilots = {p["municipality"]: p for p in TRUTH["pilots"]}
    for slug, number in numbers.items():
        cfg = config(slug)
        assert cfg["municipality"] == number
        assert cfg["language"] == ("nb" if slug == "fla" else "nn")
        assert cfg["k"] == 5 and cfg["run_date"] == "2026-11-29" and cfg["wave"] == "2025-03"
        assert (DEMO / slug / cfg["survey"]).exists() and (DEMO / slug / cfg["followup"]).exists()
        assert cfg["context"]["transit_service"] in {"none", "poor", "fair", "good"}
        assert all({"name", "lat", "lon", "postcode"} <= set(w) for w in cfg["workplaces"])
        if number in pilots:
            (entry,) = cfg["pilots"]
            assert entry["measure"] == pilots[number]["measure"]
            assert entry["participants"] == pilots[number]["participants"]
            assert entry["start"] < entry["end"]
            assert cfg["comparison_municipality"] == TRUTH["comparison_municipality"]
        else:
            assert cfg["pilots"] == []


@pytest.mark.parametrize("municipality", TRUTH["municipalities"], ids=lambda m: m["slug"])
def test_truth_counts_equal_the_raw_files(municipality):
    for wave in ("baseline", "followup"):
        facts = municipality[wave]
        df = answers(municipality["slug"], wave)
        assert len(df) == facts["respondents"] == facts["rows"] - 1
        for season in ("summer", "winter"):
            assert df[season].mean() == pytest.approx(facts["car_driver_share"][season], abs=1e-4)
            # the realised share lies close to the model's expectation
            assert abs(df[season].mean() - facts["car_driver_share_expected"][season]) < 3.5 * math.sqrt(0.25 / len(df))


def test_counterfactuals_differ_by_exactly_the_planted_sizes():
    for pilot in TRUTH["pilots"]:
        m = next(x for x in TRUTH["municipalities"] if x["number"] == pilot["municipality"])
        cf = m["pilot_counterfactual"]
        for season in ("summer", "winter"):
            effect = pilot["effect"] if season in pilot["seasons_affected"] else 0.0
            assert cf["planted"][season] - cf["trend_only"][season] == pytest.approx(effect, abs=2e-4)
            assert cf["trend_only"][season] - cf["untreated"][season] == pytest.approx(TRUTH["trend"]["effect"], abs=2e-4)


@pytest.mark.parametrize("pilot", [p for p in TRUTH["pilots"] if "workplace" in p["participants"]],
                         ids=lambda p: p["measure"])
def test_site_pilots_are_recovered_within_their_intervals(pilot):
    slug = slug_of(pilot["municipality"])
    site = pilot["participants"]["workplace"]
    before, after = answers(slug, "baseline"), answers(slug, "followup")
    for season in ("summer", "winter"):
        planted = pilot["effect"] if season in pilot["seasons_affected"] else 0.0
        est, low, high = did(
            (before[season][before["workplace"] == site], after[season][after["workplace"] == site]),
            (before[season][before["workplace"] != site], after[season][after["workplace"] != site]),
        )
        assert low <= planted <= high, (pilot["measure"], season, est, low, high)
        if planted:
            assert est < 0


def test_null_campaign_is_not_significant_against_the_comparison_municipality():
    pilot = next(p for p in TRUTH["pilots"] if p["null_effect"])
    hol = [answers(slug_of(pilot["municipality"]), w) for w in ("baseline", "followup")]
    ref = [answers(slug_of(TRUTH["comparison_municipality"]), w) for w in ("baseline", "followup")]
    for season in ("summer", "winter"):
        est, low, high = did((hol[0][season], hol[1][season]), (ref[0][season], ref[1][season]))
        assert low < 0 < high, (season, est)


def test_panel_members_at_the_pilot_sites_stop_driving_more_than_they_start():
    for pilot in TRUTH["pilots"]:
        slug = slug_of(pilot["municipality"])
        if not config(slug).get("pilots") or "workplace" not in pilot["participants"]:
            continue
        before, after = answers(slug, "baseline"), answers(slug, "followup")
        linked = before[before["code"] != ""].merge(after[after["code"] != ""], on="code", suffixes=("_b", "_a"))
        linked = linked[linked["workplace_b"] == pilot["participants"]["workplace"]]
        assert len(linked) >= 20
        for season in pilot["seasons_affected"]:
            stopped = int((linked[f"{season}_b"] & ~linked[f"{season}_a"]).sum())
            started = int((~linked[f"{season}_b"] & linked[f"{season}_a"]).sum())
            assert stopped > started
            # exact McNemar: under no change each discordant pair is a coin flip
            n = stopped + started
            p = 2 * sum(math.comb(n, k) for k in range(stopped, n + 1)) / 2**n
            assert min(p, 1.0) < 0.2


def test_planted_segments_are_large_enough_to_be_found():
    for m in TRUTH["municipalities"]:
        segments = m["baseline"]["segments"]
        assert set(segments) == set(TRUTH["segments"])
        if m["baseline"]["respondents"] >= 250:
            assert all(count >= 5 for count in segments.values()), (m["slug"], segments)
    total = {k: sum(m["baseline"]["segments"][k] for m in TRUTH["municipalities"]) for k in TRUTH["segments"]}
    assert np.all(np.array(list(total.values())) >= 20), total
