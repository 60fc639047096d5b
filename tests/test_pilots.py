"""Tests for grontur.pilots: pilot effects on planted data, evidence records and files.

Synthetic tables carry exact planted counts; expected estimates and intervals are worked out by
hand here. The demo tests read the shipped synthetic Hallingdal data and its ``truth.yaml``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from grontur.errors import CatalogueError, ConfigError
from grontur.pilots import (
    EvidenceConflictError,
    PilotEffect,
    evaluate_pilots,
    evidence_filename,
    participant_mask,
    pilot_season,
    write_evidence,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo"
Z = 1.959963984540054


def approx(expected: float, **tolerance: float):
    tolerance.setdefault("abs", 2e-6)
    return pytest.approx(expected, **tolerance)


def group(n: int, drivers: int, *, workplace: str, wave: str, prefix: str, job_group: str = "health_care",
          volunteer: bool = False) -> pd.DataFrame:
    modes = ["car_alone"] * drivers + ["bike"] * (n - drivers)
    return pd.DataFrame({
        "respondent_id": [f"{prefix}{i}" for i in range(n)],
        "municipality": "3328",
        "wave": wave,
        "workplace": workplace,
        "job_group": job_group,
        "mode_summer": modes,
        "mode_winter": modes,
        "shift_work": [i % 4 == 0 for i in range(n)],
        "pilot_participant": volunteer,
    })


@pytest.fixture
def planted() -> dict[str, pd.DataFrame]:
    """Participants 60 % -> 40 % drivers; others 70 % -> 68 %; comparison town 75 % -> 73 %."""
    before = pd.concat([
        group(100, 60, workplace="Sjukeheimen", wave="2025-03", prefix="rb"),
        group(200, 140, workplace="Rådhuset", wave="2025-03", prefix="ob", job_group="administration"),
    ], ignore_index=True)
    after = pd.concat([
        group(100, 40, workplace="Sjukeheimen", wave="2026-03", prefix="ra"),
        group(200, 136, workplace="Rådhuset", wave="2026-03", prefix="oa", job_group="administration"),
    ], ignore_index=True)
    control_b = group(200, 150, workplace="Nesbyen rådhus", wave="2025-03", prefix="cb")
    control_a = group(200, 146, workplace="Nesbyen rådhus", wave="2026-03", prefix="ca")
    return {"before": before, "after": after, "control_b": control_b, "control_a": control_a}


PILOT = {"measure": "ebike-pool", "start": "2025-04-01", "end": "2025-10-31",
         "participants": {"workplace": "Sjukeheimen"}}


def agresti_caffo_se(*groups: tuple[int, int]) -> float:
    return math.sqrt(sum((x + 1) / (n + 2) * (1 - (x + 1) / (n + 2)) / (n + 2) for x, n in groups))


def by_method(effect: PilotEffect) -> dict[str, dict]:
    return {e["method"]: e for e in effect.estimates}


def test_difference_in_differences_against_comparison_municipality(planted) -> None:
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT],
                                comparison=(planted["control_b"], planted["control_a"]))
    assert effect.method == "difference_in_differences"
    assert effect.season == "summer"  # April to October: measured on the summer answers
    expected = (0.40 - 0.60) - (0.73 - 0.75)
    assert effect.estimate == approx(expected)
    se = agresti_caffo_se((60, 100), (40, 100), (150, 200), (146, 200))
    assert effect.ci_low == approx(expected - Z * se)
    assert effect.ci_high == approx(expected + Z * se)
    assert effect.before == approx(0.60) and effect.after == approx(0.40)
    assert effect.significant is True
    assert effect.relative_effect == approx(-expected / 0.60)


def test_reached_versus_not_reached_inside_the_municipality(planted) -> None:
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT])
    assert effect.method == "reached_vs_not_reached"
    expected = (0.40 - 0.60) - (0.68 - 0.70)
    assert effect.estimate == approx(expected)
    se = agresti_caffo_se((60, 100), (40, 100), (140, 200), (136, 200))
    assert (effect.ci_low, effect.ci_high) == (approx(expected - Z * se), approx(expected + Z * se))
    assert effect.participants["n_reached"] == 100
    assert effect.participants["n_not_reached"] == 200
    assert set(by_method(effect)) == {"before_after", "reached_vs_not_reached"}
    assert by_method(effect)["before_after"]["estimate"] == approx(-0.20)


def test_everyone_reached_without_comparison_is_before_after(planted) -> None:
    pilot = {**PILOT, "participants": {"all": True}}
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot])
    assert effect.method == "before_after"
    assert effect.estimate == approx((176 / 300) - (200 / 300))
    # nobody was not reached: a count of 0 describes nobody, so the gate shows it
    assert effect.participants["n_not_reached"] == 0


def test_participants_by_job_group_volunteers_and_combined(planted) -> None:
    table = planted["before"].copy()
    table.loc[table.index[:7], "pilot_participant"] = True
    assert participant_mask(table, {"job_group": "administration"}).sum() == 200
    assert participant_mask(table, {"volunteers": True}).sum() == 7
    assert participant_mask(table, {"column": "pilot_participant"}).sum() == 7
    both = participant_mask(table, {"workplace": ["sjukeheimen ", "Hytta"], "job_group": "health_care"})
    assert both.sum() == 100  # names match without case or surrounding spaces
    assert participant_mask(table, {"all": True}).all()


def test_job_group_pilot_is_compared_with_the_same_job_group_elsewhere(planted) -> None:
    control_b = pd.concat([planted["control_b"],
                           group(50, 10, workplace="Skulen", wave="2025-03", prefix="sb", job_group="school")])
    control_a = pd.concat([planted["control_a"],
                           group(50, 30, workplace="Skulen", wave="2026-03", prefix="sa", job_group="school")])
    pilot = {**PILOT, "participants": {"job_group": "health_care"}}
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot], comparison=(control_b, control_a))
    # the school staff's rise in the comparison town must not enter the estimate
    assert effect.groups["comparison"]["n_before"] == 200
    assert effect.estimate == approx((0.40 - 0.60) - (0.73 - 0.75))


def test_pilot_season_follows_the_pilot_period() -> None:
    assert pilot_season("2025-04-01", "2025-10-31", survey_season="winter") == "summer"
    assert pilot_season("2025-11-01", "2026-02-28", survey_season="summer") == "winter"
    assert pilot_season("2025-09-01", "2026-03-31", survey_season="winter") == "winter"
    assert pilot_season(None, None) == "summer"


def test_explicit_season_and_outcome(planted) -> None:
    pilot = {**PILOT, "season": "winter", "outcome": "drive_alone_rate"}
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot])
    assert (effect.season, effect.outcome) == ("winter", "drive_alone_rate")
    assert set(effect.by_season) == {"summer", "winter"}


def test_config_pilot_objects_are_accepted(planted) -> None:
    import datetime as dt

    from grontur.config import Pilot

    pilot = Pilot(measure="ebike-pool", start=dt.date(2025, 4, 1), end=dt.date(2025, 10, 31),
                  participants={"workplace": "Sjukeheimen"})
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot], run_date=dt.date(2026, 11, 29))
    assert effect.period == {"start": "2025-04-01", "end": "2025-10-31"}
    assert effect.to_evidence_record()["source"] == "grontur compare, 2026-11-29"


def test_too_few_participants_gives_no_estimate(planted) -> None:
    pilot = {**PILOT, "participants": {"workplace": "Hytta"}}
    before = pd.concat([planted["before"], group(3, 2, workplace="Hytta", wave="2025-03", prefix="h")])
    (effect,) = evaluate_pilots(before, planted["after"], pilots=[pilot])
    assert effect.estimate is None and effect.note == "too_few_participants"
    # 3 reached before (hidden); nobody at Hytta answered the follow-up (0 describes nobody)
    assert effect.participants["n_reached_before"] is None and effect.participants["n_reached"] == 0
    assert effect.suppressed_cells >= 1
    (nobody,) = evaluate_pilots(planted["before"], planted["after"], pilots=[{**PILOT, "participants": {"workplace": "X"}}])
    assert nobody.note == "no_participants"


@pytest.mark.parametrize("pilot, match", [
    ({"participants": {"workplace": "A"}}, "measure"),
    ({"measure": "x", "participants": {"site": "A"}}, "site"),
    ({"measure": "x", "participants": {}}, "who took part"),
    ({"measure": "x", "participants": {"volunteers": "signed_up"}}, "signed_up"),
    ({"measure": "x", "participants": "everyone"}, "mapping"),
    ({"measure": "x", "season": "spring", "participants": {"all": True}}, "spring"),
])
def test_bad_pilot_specifications_are_user_errors(planted, pilot, match) -> None:
    with pytest.raises(ConfigError, match=match):
        evaluate_pilots(planted["before"], planted["after"], pilots=[pilot])


def test_planted_effect_is_covered_and_planted_null_is_not_significant() -> None:
    """Over repeated samples the 95 % interval covers the planted effect about 95 % of the time."""
    rng = np.random.default_rng(11)
    covered = rejected_null = 0
    runs = 100
    for i in range(runs):
        def wave(p_reached: float, p_other: float, w: str) -> pd.DataFrame:
            reached = rng.random(120) < p_reached
            other = rng.random(240) < p_other
            modes = np.where(np.concatenate([reached, other]), "car_alone", "bus")
            return pd.DataFrame({"workplace": ["Sjukeheimen"] * 120 + ["Rådhuset"] * 240, "wave": w,
                                 "mode_summer": modes, "mode_winter": modes})
        before, after = wave(0.65, 0.70, "2025-03"), wave(0.65 - 0.02 - 0.12, 0.68, "2026-03")
        null_after = wave(0.63, 0.68, "2026-03")
        (effect,) = evaluate_pilots(before, after, pilots=[PILOT])
        (null,) = evaluate_pilots(before, null_after, pilots=[PILOT])
        covered += effect.ci_low <= -0.12 <= effect.ci_high
        rejected_null += bool(null.significant)
    assert 0.88 <= covered / runs <= 0.995
    assert rejected_null / runs <= 0.12  # 5 % expected; P(> 12 of 100) is about 0.002


def test_linked_respondents_narrow_the_interval_and_keep_coverage() -> None:
    """With a panel (the same people answer twice, habits persist) the interval is narrower
    than for unlinked samples and still covers the planted effect about 95 % of the time."""
    rng = np.random.default_rng(5)
    n_r, n_o, runs = 150, 300, 100
    covered, widths, widths_unlinked = 0, [], []
    for _ in range(runs):
        # each person has a persistent propensity to drive; the pilot lowers it for participants
        base = rng.beta(2, 1, n_r + n_o)
        shift = np.r_[np.full(n_r, -0.12), np.zeros(n_o)] - 0.02
        u = rng.random(n_r + n_o)  # the same draw both times: people only change where p changes
        drive_b = u < base
        drive_a = u < np.clip(base + shift, 0, 1)
        ids = [f"p{i}" for i in range(n_r + n_o)]
        site = ["Sjukeheimen"] * n_r + ["Rådhuset"] * n_o

        def frame(drive: np.ndarray, w: str, id_list: list[str], site: list[str] = site) -> pd.DataFrame:
            modes = np.where(drive, "car_alone", "bus")
            return pd.DataFrame({"respondent_id": id_list, "workplace": site, "wave": w,
                                 "mode_summer": modes, "mode_winter": modes})

        before, after = frame(drive_b, "2025-03", ids), frame(drive_a, "2026-03", ids)
        (linked,) = evaluate_pilots(before, after, pilots=[PILOT])
        after_unlinked = frame(drive_a, "2026-03", [f"q{i}" for i in range(n_r + n_o)])
        (unlinked,) = evaluate_pilots(before, after_unlinked, pilots=[PILOT])
        assert linked.estimate == unlinked.estimate
        # the planted effect among participants, relative to the others (both share the trend)
        covered += linked.ci_low <= -0.12 <= linked.ci_high
        widths.append(linked.ci_high - linked.ci_low)
        widths_unlinked.append(unlinked.ci_high - unlinked.ci_low)
    assert np.mean(widths) < 0.8 * np.mean(widths_unlinked)
    assert 0.88 <= covered / runs <= 0.995


def test_bootstrap_interval_agrees_with_the_analytic_one(planted) -> None:
    kw = {"pilots": [PILOT], "comparison": (planted["control_b"], planted["control_a"])}
    (analytic,) = evaluate_pilots(planted["before"], planted["after"], **kw)
    (boot,) = evaluate_pilots(planted["before"], planted["after"], ci_method="bootstrap", n_boot=4000, **kw)
    assert boot.estimate == analytic.estimate
    assert boot.ci_low == approx(analytic.ci_low, abs=0.02)
    assert boot.ci_high == approx(analytic.ci_high, abs=0.02)
    with pytest.raises(ConfigError):
        evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT], ci_method="jackknife")


# --------------------------------------------------------------------------- evidence

def test_evidence_record_follows_the_contract_and_loads_in_the_ranker(planted, tmp_path) -> None:
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT],
                                comparison=(planted["control_b"], planted["control_a"]),
                                municipality={"number": "3328", "name": "Ål"},
                                context={"municipality": {"employees": 450, "rurality": "rural"}}, run_date="2026-11-29")
    record = effect.to_evidence_record()
    for key in ("measure", "municipality", "period", "participants", "context", "outcome", "before", "after",
                "estimate", "ci_low", "ci_high", "relative_effect", "method", "source"):
        assert key in record
    assert record["context"] == {"employees": 450, "shift_share": approx(0.25, abs=0.01), "rurality": "rural"}
    assert record["participants"]["n_reached"] == 100
    from grontur import evidence
    paths = write_evidence([effect], tmp_path)
    (loaded,) = evidence.load_evidence(tmp_path)
    assert loaded.measure == "ebike-pool" and loaded.n_reached == 100
    assert loaded.estimate == approx(effect.estimate)
    assert loaded.method == "difference_in_differences"
    assert paths == [tmp_path / "ebike-pool-3328-2025-04-01.yaml"]


def test_write_evidence_is_idempotent_and_refuses_silent_overwrite(planted, tmp_path) -> None:
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT], run_date="2026-11-29")
    (path,) = write_evidence([effect], tmp_path)
    first = path.read_text(encoding="utf-8")
    assert write_evidence([effect.to_evidence_record()], tmp_path) == [path]
    assert path.read_text(encoding="utf-8") == first
    changed = {**effect.to_evidence_record(), "estimate": -0.5}
    with pytest.raises(EvidenceConflictError, match=path.name):
        write_evidence([changed], tmp_path)
    assert isinstance(EvidenceConflictError("x"), CatalogueError)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["estimate"] == effect.estimate
    write_evidence([changed], tmp_path, overwrite=True)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["estimate"] == -0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files left


def test_records_without_estimate_are_not_written(tmp_path) -> None:
    assert write_evidence([{"measure": "x", "estimate": None}], tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_evidence_filename_is_file_safe() -> None:
    record = {"measure": "ebike-pool", "municipality": {"number": "3328"}, "period": {"start": "2025-04-01"}}
    assert evidence_filename(record) == "ebike-pool-3328-2025-04-01.yaml"
    assert evidence_filename({"measure": "A b/c", "municipality": {"name": "Ål"}}) == "a-b-c-al.yaml"


# --------------------------------------------------------------------------- demo data

def _demo_waves(slug: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    from grontur import importing
    folder = DEMO / slug
    if not (folder / "grontur.yaml").is_file():
        pytest.skip(f"demo data missing: {folder / 'grontur.yaml'}")
    config = yaml.safe_load((folder / "grontur.yaml").read_text(encoding="utf-8"))
    kw = {"municipality": config["municipality"], "salt": config.get("salt", "")}
    before = importing.import_survey(folder / config["survey"], wave=config.get("wave"), **kw).table
    after = importing.import_survey(folder / config["followup"], wave=config.get("followup_wave"), **kw).table
    return config, before, after


@pytest.fixture(scope="module")
def truth() -> dict:
    path = DEMO / "truth.yaml"
    if not path.is_file():
        pytest.skip(f"demo data missing: {path}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def comparison_waves(truth) -> tuple[pd.DataFrame, pd.DataFrame]:
    slug = next(m["slug"] for m in truth["municipalities"] if m["number"] == truth["comparison_municipality"])
    _, before, after = _demo_waves(slug)
    return before, after


@pytest.mark.parametrize("slug", ["al", "gol", "hol"])
def test_demo_pilot_effects_are_recovered_within_their_intervals(truth, comparison_waves, slug) -> None:
    config, before, after = _demo_waves(slug)
    planted = next(p for p in truth["pilots"] if p["municipality"] == config["municipality"])
    effects = evaluate_pilots(before, after, pilots=config["pilots"], comparison=comparison_waves)
    (effect,) = [e for e in effects if e.measure == planted["measure"]]
    assert effect.season in planted["seasons_affected"]
    assert effect.method == "difference_in_differences"
    assert effect.ci_low <= planted["effect"] <= effect.ci_high
    for estimate in effect.estimates:
        assert estimate["ci_low"] <= planted["effect"] <= estimate["ci_high"], estimate["method"]
    if planted["null_effect"]:
        assert effect.significant is False
        assert all(not (e["ci_low"] > 0 or e["ci_high"] < 0) for e in effect.estimates)
    else:
        assert effect.estimate < 0


def test_demo_comparison_runs_without_warnings_for_same_season(truth) -> None:
    from grontur.compare import compare_waves

    config, before, after = _demo_waves("hol")
    result = compare_waves(before, after, employees_before=config["employees"], employees_after=config["employees"])
    assert "season_differs" not in result.warning_codes
    summary = next(m for m in truth["municipalities"] if m["slug"] == "hol")
    share = result.car_driver_share["summer"]
    # the importer may set aside a row or two; the shares stay within a point of what was planted
    assert share["before"] == approx(summary["baseline"]["car_driver_share"]["summer"], abs=0.01)
    assert share["after"] == approx(summary["followup"]["car_driver_share"]["summer"], abs=0.01)


@pytest.mark.parametrize("slug", ["al", "gol"])
def test_demo_panel_is_linked_through_the_pseudonymous_code(truth, slug) -> None:
    from grontur.compare import compare_waves

    _config, before, after = _demo_waves(slug)
    planted = next(m for m in truth["municipalities"] if m["slug"] == slug)
    panel = compare_waves(before, after).panel
    retained = planted["panel"]["retained_respondents"]
    # about 5 % leave the code blank and a few rows are set aside by the importer
    assert panel["found"] is True
    assert 0.85 * retained <= panel["n"] <= retained
    summer = panel["seasons"]["summer"]
    # McNemar's test is published unless a cell of the paired table is too small to show
    if summer["paired_test"]:
        assert summer["mcnemar_p"] is not None
    else:
        assert summer["mcnemar_p"] is None and summer["stopped_driving"] is None and summer["started_driving"] is None


# ---------------------------------------------------------------------------------------------
# Who took part, in the report's language

@pytest.mark.parametrize(("lang", "everyone", "health"), [
    ("nn", "alle tilsette", "Helse og omsorg"),
    ("nb", "alle ansatte", "Helse og omsorg"),
    ("en", "all employees", "Health and care"),
])
def test_participants_are_described_in_the_language_asked_for(planted, lang, everyone, health) -> None:
    pilots = [{**PILOT, "participants": {"all": True}}, {**PILOT, "participants": {"job_group": "health_care"}}]
    everybody, by_job = evaluate_pilots(planted["before"], planted["after"], pilots=pilots, lang=lang)
    assert everybody.participants["description"] == everyone
    assert by_job.participants["description"] == health
    assert by_job.participants["group"] == "job_group"


def test_participants_default_to_the_language_of_the_municipality(planted) -> None:
    pilot = {**PILOT, "participants": {"all": True}}
    # the planted tables are from Ål (3328), a nynorsk municipality
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot])
    assert effect.participants["description"] == "alle tilsette"
    (bokmaal,) = evaluate_pilots(planted["before"], planted["after"], pilots=[pilot],
                                 municipality={"number": "0301", "name": "Oslo"})
    assert bokmaal.participants["description"] == "alle ansatte"


def test_no_raw_code_in_a_participants_description() -> None:
    from grontur.pilots import describe_participants

    volunteers = {"nn": "påmelde deltakarar", "nb": "påmeldte deltakere", "en": "volunteers"}
    for lang, word in volunteers.items():
        assert describe_participants({"workplace": "Gol rådhus", "volunteers": True}, lang) == f"Gol rådhus; {word}"
        assert "_" not in describe_participants({"job_group": ["health_care", "school"]}, lang)
    # an organiser's own description is kept as written, and an unknown job group shows as given
    assert describe_participants({"all": True, "description": "Alle på rådhuset"}, "en") == "Alle på rådhuset"
    assert describe_participants({"job_group": "Brannvesen"}, "nn") == "Brannvesen"


def test_only_panel_codes_link_people_in_the_pilot_variance() -> None:
    # Export ids are row or submission numbers (1, 2, 3 ... in every file): never the same person.
    from grontur.pilots import _panel_term

    n = 40
    modes_b = ["car_alone"] * 20 + ["bike"] * 20
    modes_a = ["car_alone"] * 15 + ["bike"] * 25
    ids = [f"{i:016x}" for i in range(n)]

    def wave(modes: list[str], source: str) -> pd.DataFrame:
        return pd.DataFrame({"respondent_id": ids, "respondent_id_source": source, "mode_summer": modes,
                             "mode_winter": modes})

    everyone = pd.Series(True, index=range(n))
    linked = _panel_term(wave(modes_b, "panel_code"), wave(modes_a, "panel_code"), everyone, everyone,
                         "summer", "car_driver_share")
    assert linked > 0
    assert _panel_term(wave(modes_b, "export_id"), wave(modes_a, "export_id"), everyone, everyone,
                       "summer", "car_driver_share") == 0.0


def test_pilot_participants_follow_the_language_of_the_run() -> None:
    # Hol writes nynorsk; an English run describes its pilot's participants in English.
    import datetime as dt
    import json

    from grontur.pipeline import analyse_file, demo_project

    analysis = analyse_file(project=demo_project("Hol"), lang="en", run_date=dt.date(2026, 11, 29))
    text = json.dumps(analysis.results, ensure_ascii=False)
    assert "all employees" in text and "alle tilsette" not in text


def _pilot_waves(reached_before: int, others_before: int, *, reached_after: int = 40,
                 others_after: int = 136) -> tuple[pd.DataFrame, pd.DataFrame]:
    """100 participants and 200 others per wave with the given numbers of drivers."""
    before = pd.concat([
        group(100, reached_before, workplace="Sjukeheimen", wave="2025-03", prefix="rb"),
        group(200, others_before, workplace="Rådhuset", wave="2025-03", prefix="ob", job_group="administration"),
    ], ignore_index=True)
    after = pd.concat([
        group(100, reached_after, workplace="Sjukeheimen", wave="2026-03", prefix="ra"),
        group(200, others_after, workplace="Rådhuset", wave="2026-03", prefix="oa", job_group="administration"),
    ], ignore_index=True)
    return before, after


@pytest.mark.parametrize("drivers", [98, 96, 2])
def test_a_participant_share_with_few_on_either_side_is_hidden_with_its_estimates(drivers) -> None:
    before, after = _pilot_waves(drivers, 140)
    (effect,) = evaluate_pilots(before, after, pilots=[PILOT])
    # 98 of 100 would reveal the 2 who do not drive: hidden like the habits section's shares
    assert effect.before is None and effect.groups["reached"]["before"] is None
    assert effect.after == approx(0.40)
    # after minus the estimate would give the hidden share back: no estimate is published
    assert effect.estimate is None and effect.ci_low is None and effect.method is None
    assert effect.estimates == () and effect.note == "shares_hidden"
    assert effect.by_season["summer"]["before"] is None and effect.by_season["summer"]["estimate"] is None
    assert effect.to_evidence_record()["estimate"] is None
    assert effect.suppressed_cells >= 2


def test_a_hidden_share_of_colleagues_hides_the_participants_share_of_that_wave() -> None:
    # 198 of 200 colleagues drive before: with the whole wave's share published in the comparison,
    # the participants' share of that wave would give the colleagues' share back by subtraction
    before, after = _pilot_waves(60, 198)
    (effect,) = evaluate_pilots(before, after, pilots=[PILOT])
    assert effect.groups["not_reached"]["before"] is None
    assert effect.groups["reached"]["before"] is None and effect.before is None
    assert effect.groups["not_reached"]["after"] == approx(0.68)
    assert effect.after == approx(0.40)
    assert effect.estimate is None and effect.estimates == ()


def test_a_hidden_comparison_share_drops_only_the_difference_in_differences(planted) -> None:
    control_b = group(200, 197, workplace="Nesbyen rådhus", wave="2025-03", prefix="cb")
    (effect,) = evaluate_pilots(planted["before"], planted["after"], pilots=[PILOT],
                                comparison=(control_b, planted["control_a"]))
    assert effect.groups["comparison"]["before"] is None
    assert effect.groups["comparison"]["after"] == approx(0.73)
    assert "difference_in_differences" not in by_method(effect)
    assert effect.method == "reached_vs_not_reached"
    assert effect.before == approx(0.60) and effect.after == approx(0.40)
