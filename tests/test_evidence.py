"""Tests for reading pilot evidence and weighting it (grontur/evidence.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from grontur import evidence, rank
from grontur.errors import CatalogueError
from grontur.report.reasons import phrase

DATA = Path(__file__).resolve().parent / "data"
FOLDER = DATA / "rank_evidence"
CONTEXT = {"municipality": {"number": "3324", "name": "Gol", "employees": 420, "rurality": "rural"},
           "shift_share": 0.2, "transit_service": "fair", "parking_at_work": "free"}


def said(reasons: list, lang: str = "en") -> list[str]:
    """The ranking's structured reasons as the report phrases them."""
    return [phrase(r, lang) for r in reasons]


def record(**overrides) -> evidence.EvidenceRecord:
    data = {
        "measure": "m", "municipality": {"number": "3328", "name": "Ål"},
        "period": {"start": "2026-04-15", "end": "2026-10-14"},
        "participants": {"n_reached": 50}, "context": {"employees": 420, "shift_share": 0.2, "rurality": "rural"},
        "estimate": -0.12, "before": 0.6, "relative_effect": 0.3, "method": "difference_in_differences",
        "source": "test",
    }
    for key, value in overrides.items():
        data[key] = value
    return evidence.EvidenceRecord.from_dict(data, file="inline.yaml")


def write(tmp_path: Path, text: str, name: str = "record.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Loading

def test_load_folder_reads_files_and_lists_but_not_sub_folders() -> None:
    records = evidence.load_evidence(FOLDER)
    assert [r.measure for r in records] == ["travel-campaign", "bike-parking", "bike-parking"]
    al = records[0]
    assert (al.municipality_name, al.year, al.n_reached, al.n_not_reached) == ("Ål", 2026, 50, 160)
    assert (al.estimate, al.ci_low, al.ci_high, al.relative_effect) == (-0.12, -0.21, -0.03, 0.3)
    assert al.extra["season"] == "summer"
    assert all("examples" not in r.file for r in records)


def test_missing_estimate_and_relative_effect_are_derived() -> None:
    gol, hol = evidence.load_evidence(FOLDER / "two-records.yml")
    assert gol.estimate == pytest.approx(0.45 - 0.5)
    assert gol.relative_effect == pytest.approx(0.05 / 0.5)
    assert hol.relative_effect == pytest.approx(0.04 / 0.4)
    assert hol.rurality is None and hol.period_start is None and hol.year is None
    assert gol.rurality == "urban"


def test_shipped_folder_loads_and_skips_the_example() -> None:
    records = evidence.load_evidence()
    assert all(isinstance(r, evidence.EvidenceRecord) for r in records)
    assert all("examples" not in Path(r.file).parts for r in records)
    example = Path(__file__).resolve().parents[1] / "measures" / "evidence" / "examples" / "ebike-pool-example.yaml"
    assert evidence.load_evidence(example)[0].measure == "ebike-pool"  # the example itself is valid


def test_missing_sample_size_names_file_and_field() -> None:
    with pytest.raises(CatalogueError, match=r"rank_evidence_bad_n\.yaml: field 'participants\.n_reached' is missing"):
        evidence.load_evidence(DATA / "rank_evidence_bad_n.yaml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("participants: {n_reached: 5}\nrelative_effect: 0.1\nsource: x\n", "measure"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\n", "source"),
        ("measure: m\nparticipants: {n_reached: -3}\nrelative_effect: 0.1\nsource: x\n", "participants.n_reached"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 1.5\nsource: x\n", "relative_effect"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\nbefore: 62\nsource: x\n", "before"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\nmethod: guess\nsource: x\n", "method"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\ncontext: {rurality: moon}\nsource: x\n", "context.rurality"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\nperiod: {start: 2026-05-01, end: 2026-04-01}\nsource: x\n", "period.end"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\nperiod: {start: spring}\nsource: x\n", "period.start"),
        ("measure: m\nparticipants: {n_reached: 5}\nsource: x\n", "relative_effect"),
        ("measure: m\nparticipants: {n_reached: 5}\nrelative_effect: 0.1\nci_low: 0.2\nci_high: -0.1\nsource: x\n", "ci_low"),
    ],
)
def test_invalid_records_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as caught:
        evidence.load_evidence(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"'{field}'" in message


def test_broken_yaml_and_missing_path_are_catalogue_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "measure: [unclosed\n")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        evidence.load_evidence(path)
    with pytest.raises(CatalogueError, match="does not exist"):
        evidence.load_evidence(tmp_path / "nowhere")


def test_records_written_by_compare_are_read(tmp_path: Path) -> None:
    pilots = pytest.importorskip("grontur.pilots")
    effect = pilots.PilotEffect(
        measure="ebike-pool", municipality={"number": "3328", "name": "Ål"},
        period={"start": "2026-04-15", "end": "2026-10-14"},
        participants={"group": "workplace", "description": "x", "n_reached": 40, "n_reached_before": 38,
                      "n_not_reached": 100, "n_not_reached_before": 99},
        context={"employees": 400, "shift_share": 0.3, "rurality": "rural"}, outcome="car_driver_share",
        season="summer", before=0.6, after=0.5, estimate=-0.1, ci_low=-0.2, ci_high=0.0, p_value=0.05,
        method="difference_in_differences",
    )
    write(tmp_path, yaml.safe_dump(effect.to_evidence_record(), allow_unicode=True))
    (loaded,) = evidence.load_evidence(tmp_path)
    assert loaded.relative_effect == pytest.approx(0.1 / 0.6, abs=1e-6)
    assert loaded.n_reached == 40


# ---------------------------------------------------------------------------------------------
# Weighting

def test_similarity_by_hand() -> None:
    same = record()
    assert evidence.similarity(same, CONTEXT) == pytest.approx(1.0)
    other = record(context={"employees": 1680, "shift_share": 0.5, "rurality": "urban"})
    size = math.exp(-math.log(4))          # four times larger: 0.25
    shift = 1 - abs(0.5 - 0.2)             # 0.7
    assert evidence.similarity(other, CONTEXT) == pytest.approx((size + 0.0 + shift) / 3)
    neighbour = record(context={"rurality": "semi_urban"})
    assert evidence.similarity(neighbour, {"municipality": {"rurality": "rural"}}) == pytest.approx(0.5)
    assert evidence.similarity(record(context={}), {}) == 0.5


def test_adjusted_effect_by_hand() -> None:
    adjusted = evidence.adjust_effect(0.03, 0.10, [record()], context=CONTEXT)
    prior = 0.065
    expected = (100 * prior + 50 * 1.0 * 1.0 * 0.3) / (100 + 50)
    assert adjusted.central == pytest.approx(expected)
    assert adjusted.low == pytest.approx(0.03 + expected - prior)
    assert adjusted.high == pytest.approx(0.10 + expected - prior)
    assert adjusted.evidence_adjusted and adjusted.evidence_weight == pytest.approx(50 / 150)


def test_larger_samples_and_closer_municipalities_move_the_effect_more() -> None:
    small = evidence.adjust_effect(0.03, 0.10, [record(participants={"n_reached": 10})], context=CONTEXT).central
    large = evidence.adjust_effect(0.03, 0.10, [record(participants={"n_reached": 200})], context=CONTEXT).central
    assert 0.065 < small < large < 0.3
    far = record(context={"employees": 5000, "shift_share": 0.9, "rurality": "urban"})
    moved_far = evidence.adjust_effect(0.03, 0.10, [far], context=CONTEXT).central
    moved_near = evidence.adjust_effect(0.03, 0.10, [record()], context=CONTEXT).central
    assert 0.065 < moved_far < moved_near
    weaker = evidence.adjust_effect(0.03, 0.10, [record(method="before_after")], context=CONTEXT).central
    assert 0.065 < weaker < moved_near


def test_no_evidence_keeps_the_catalogue_range_and_settings_apply() -> None:
    plain = evidence.adjust_effect(0.02, 0.06, [], context=CONTEXT)
    assert (plain.low, plain.high, plain.central, plain.evidence_adjusted) == (0.02, 0.06, 0.04, False)
    strict = evidence.adjust_effect(0.02, 0.06, [record(context={"rurality": "urban"})], context=CONTEXT,
                                    settings={"min_similarity": 0.5})
    assert not strict.evidence_adjusted


def test_ranking_quotes_the_pilot_with_its_interval() -> None:
    measure = yaml.safe_load((DATA / "rank_catalogue" / "travel-campaign.yaml").read_text(encoding="utf-8"))
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 30, "mode_winter": ["car_alone"] * 30,
                          "distance_km": [4.0] * 30})
    records = evidence.load_evidence(FOLDER)
    with_evidence = rank.rank_measures(table, catalogue=[measure], context=CONTEXT, evidence=records)
    without = rank.rank_measures(table, catalogue=[measure], context=CONTEXT)
    data = with_evidence.as_dict("en")["measures"][0]
    assert data["effect"]["evidence_adjusted"] is True
    assert data["effect"]["central"] == pytest.approx((100 * 0.065 + 50 * 0.3) / 150, abs=1e-4)
    assert any("Piloted in Ål 2026: car share among participants down 12.0 percentage points (95% CI 3.0 to 21.0)" in r
               for r in said(data["reasons"]))
    assert with_evidence.measures[0].score > without.measures[0].score
    nn = said(with_evidence.as_dict("nn")["measures"][0]["reasons"], "nn")
    assert any("Prøvd ut i Ål 2026" in r and "12,0 prosentpoeng" in r for r in nn)


def test_a_record_with_only_a_relative_effect_is_quoted_as_a_percentage(tmp_path: Path) -> None:
    write(tmp_path, "measure: travel-campaign\nmunicipality: {name: Hol}\nperiod: {start: 2025-05-01}\n"
                    "participants: {n_reached: 40}\nrelative_effect: 0.25\nsource: report\n")
    (loaded,) = evidence.load_evidence(tmp_path)
    assert loaded.estimate is None
    measure = yaml.safe_load((DATA / "rank_catalogue" / "travel-campaign.yaml").read_text(encoding="utf-8"))
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 10, "mode_winter": ["car_alone"] * 10})
    data = rank.rank_measures(table, catalogue=[measure], context=CONTEXT, evidence=[loaded]).as_dict("en")
    assert "Piloted in Hol 2025: car commuting among participants down 25%" in said(data["measures"][0]["reasons"])


def test_an_interval_containing_zero_is_quoted_as_no_clear_change(tmp_path: Path) -> None:
    write(tmp_path, "measure: travel-campaign\nmunicipality: {name: Flå}\nperiod: {start: 2024-04-15}\n"
                    "participants: {n_reached: 25}\nbefore: 0.5\nestimate: 0.05\nci_low: -0.02\nci_high: 0.12\n"
                    "source: report\n")
    (loaded,) = evidence.load_evidence(tmp_path)
    assert loaded.relative_effect == pytest.approx(-0.1)
    measure = yaml.safe_load((DATA / "rank_catalogue" / "travel-campaign.yaml").read_text(encoding="utf-8"))
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 10, "mode_winter": ["car_alone"] * 10})
    data = rank.rank_measures(table, catalogue=[measure], context=CONTEXT, evidence=[loaded]).as_dict("en")
    reasons = said(data["measures"][0]["reasons"])
    assert ("Piloted in Flå 2024: no clear change in car share among participants "
            "(+5.0 percentage points, 95% CI \u22122.0 to +12.0)") in reasons
    assert data["measures"][0]["effect"]["central"] < 0.065
