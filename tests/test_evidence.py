"""Tests for reading pilot evidence and weighting it (grontur/evidence.py)."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from grontur import evidence, rank
from grontur.errors import CatalogueError, ConfigError
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
    from grontur import pilots
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


# The 95 % normal quantile, typed: a half-width of 1.959964 x se is a 95 % interval.
Z95 = 1.959964


def interval(estimate: float, se: float) -> dict[str, float]:
    """An estimate with the 95 % interval of standard error ``se``."""
    return {"estimate": estimate, "ci_low": estimate - Z95 * se, "ci_high": estimate + Z95 * se}


def test_record_variance_by_hand() -> None:
    # interval -0.21 to -0.03 around -0.12: se 0.18 / 3.919928 = 0.0459192; over before 0.6:
    # 0.0765320, squared 0.00585715
    with_ci = record(ci_low=-0.21, ci_high=-0.03)
    assert evidence.record_variance(with_ci) == (pytest.approx(0.00585715, rel=1e-5), "interval")
    # no before: the baseline implied by estimate and relative effect, 0.12 / 0.3 = 0.4
    implied = record(before=None, ci_low=-0.21, ci_high=-0.03)
    assert evidence.record_variance(implied)[0] == pytest.approx((0.18 / (2 * Z95) / 0.4) ** 2, rel=1e-5)
    # no interval: 1 / n_reached over before squared, 1 / (50 x 0.36)
    assert evidence.record_variance(record()) == (pytest.approx(1 / 18), "assumed")
    # a zero-width interval is no interval
    assert evidence.record_variance(record(ci_low=-0.12, ci_high=-0.12))[1] == "assumed"
    # only a relative effect: the assumed baseline share 0.5, 1 / (40 x 0.25)
    bare = evidence.EvidenceRecord.from_dict({"measure": "m", "participants": {"n_reached": 40},
                                              "relative_effect": 0.25, "source": "x"})
    assert evidence.record_variance(bare) == (pytest.approx(0.1), "assumed")
    assert evidence.record_variance(bare, settings={"assumed_before": 0.25})[0] == pytest.approx(0.4)


def test_a_null_pilot_whose_interval_contains_the_prior_leaves_the_effect_near_it() -> None:
    # Hol's campaign: +3.9 points (95 % CI -8.3 to +16.1) on a car-driver share of 0.757692,
    # relative effect -0.051733; se of the relative effect 0.244044 / 3.919928 / 0.757692 =
    # 0.082168, variance 0.0067514 (precision 148.12). Prior 0.03-0.10: sd 0.07 / 3.919928 =
    # 0.017857, precision 3135.88. Posterior (3135.88 x 0.065 - 148.12 x 0.051733) / 3284.00 =
    # 0.059735; the evidence holds 148.12 / 3284.00 = 0.0451 of the precision.
    hol = record(municipality={"number": "3330", "name": "Hol"}, participants={"n_reached": 240},
                 before=0.757692, estimate=0.039198, ci_low=-0.082824, ci_high=0.16122, relative_effect=None)
    assert hol.relative_effect == pytest.approx(-0.051733, abs=1e-6)
    adjusted = evidence.adjust_effect(0.03, 0.10, [hol], context=CONTEXT)
    assert adjusted.central == pytest.approx(0.059735, abs=1e-5)
    assert adjusted.evidence_weight == pytest.approx(0.0451, abs=1e-4)
    assert adjusted.low > 0.02 and adjusted.high > 0.09
    (item,) = adjusted.used
    assert item.weight == pytest.approx(adjusted.evidence_weight)
    assert item.central_without == pytest.approx(0.065)
    assert item.moved == pytest.approx(0.059735 - 0.065, abs=1e-5)


def test_a_precise_pilot_moves_the_effect_most_of_the_way() -> None:
    # relative effect 0.2 with se 0.02 / 3.919928 / 0.6 = 0.0085035 (precision 13829.25)
    # against the prior's 3135.88: central (3135.88 x 0.065 + 13829.25 x 0.2) / 16965.14 =
    # 0.175046, the evidence's share 0.81516.
    precise = record(before=0.6, estimate=-0.12, ci_low=-0.13, ci_high=-0.11, relative_effect=0.2)
    adjusted = evidence.adjust_effect(0.03, 0.10, [precise], context=CONTEXT)
    assert adjusted.central == pytest.approx(0.175046, abs=1e-5)
    assert adjusted.evidence_weight == pytest.approx(0.81516, abs=1e-4)
    assert (adjusted.central - 0.065) / (0.2 - 0.065) > 0.75
    assert adjusted.high - adjusted.low < 0.10 - 0.03


def test_two_records_pool_by_inverse_variance() -> None:
    # Prior 0.065 with sd 0.02 (range 0.065 +- 1.959964 x 0.02): precision 2500.
    # A: relative effect 0.1 (estimate -0.05 on before 0.5), se 0.02 / 0.5 = 0.04: precision 625.
    # B: relative effect 0.06 (estimate -0.03), se 0.01 / 0.5 = 0.02: precision 2500.
    # Fixed mean (62.5 + 150) / 3125 = 0.068; Q = 625 x 0.032^2 + 2500 x 0.008^2 = 0.8 < 1 df,
    # so tau2 = 0 and the pooled evidence is 0.068 with precision 3125.
    # Posterior: (2500 x 0.065 + 3125 x 0.068) / 5625 = 375 / 5625 = 0.0666667, sd 1/75;
    # low/high 0.0666667 -+ 1.959964 / 75 = 0.0405338 and 0.0927995.
    # Shares of the posterior precision: A 625 / 5625 = 0.111111, B 2500 / 5625 = 0.444444.
    # Without A: (162.5 + 2500 x 0.06) / 5000 = 0.0625; without B: (162.5 + 62.5) / 3125 = 0.072.
    low, high = 0.065 - Z95 * 0.02, 0.065 + Z95 * 0.02
    a = record(before=0.5, relative_effect=0.1, **interval(-0.05, 0.02))
    b = record(before=0.5, relative_effect=0.06, **interval(-0.03, 0.01))
    adjusted = evidence.adjust_effect(low, high, [a, b], context=CONTEXT)
    assert adjusted.tau2 == 0.0
    assert adjusted.pooled == pytest.approx(0.068, abs=1e-6)
    assert adjusted.central == pytest.approx(0.0666667, abs=1e-6)
    assert (adjusted.low, adjusted.high) == (pytest.approx(0.0405338, abs=1e-6), pytest.approx(0.0927995, abs=1e-6))
    assert adjusted.evidence_weight == pytest.approx(3125 / 5625, abs=1e-6)
    by_effect = {item.record.relative_effect: item for item in adjusted.used}
    assert by_effect[0.1].weight == pytest.approx(0.111111, abs=1e-6)
    assert by_effect[0.06].weight == pytest.approx(0.444444, abs=1e-6)
    assert by_effect[0.1].moved == pytest.approx(0.0666667 - 0.0625, abs=1e-6)
    assert by_effect[0.06].moved == pytest.approx(0.0666667 - 0.072, abs=1e-6)
    assert [item.record.relative_effect for item in adjusted.used] == [0.06, 0.1]  # most weight first


def test_random_effects_widen_the_interval_when_records_disagree() -> None:
    # Two records of equal precision (se 0.04 on the relative scale) with the same mean 0.08:
    # agreeing (0.08 and 0.08) gives tau2 = 0; disagreeing (0.0 and 0.16) gives Q = 2 x 625 x
    # 0.08^2 = 8 on 1 df, C = 1250 - 2 x 625^2 / 1250 = 625, tau2 = 7 / 625 = 0.0112.
    def two(first: float, second: float) -> evidence.AdjustedEffect:
        records = [record(before=0.5, relative_effect=r, **interval(-0.5 * r if r else -0.0, 0.02))
                   for r in (first, second)]
        return evidence.adjust_effect(0.03, 0.10, records, context=CONTEXT)

    agree, disagree = two(0.08, 0.08), two(0.0, 0.16)
    assert agree.tau2 == 0.0
    assert disagree.tau2 == pytest.approx(0.0112, abs=1e-6)
    assert disagree.pooled_se is not None and agree.pooled_se is not None
    assert disagree.pooled_se > agree.pooled_se
    assert disagree.high - disagree.low > agree.high - agree.low
    assert disagree.evidence_weight < agree.evidence_weight


def test_similarity_and_method_inflate_the_variance() -> None:
    near = record(ci_low=-0.21, ci_high=-0.03)
    base, _ = evidence.record_variance(near)
    assert evidence.adjust_effect(0.03, 0.10, [near], context=CONTEXT).used[0].variance == pytest.approx(base)
    half_alike = record(ci_low=-0.21, ci_high=-0.03, context={"rurality": "semi_urban"})
    item = evidence.adjust_effect(0.03, 0.10, [half_alike], context={"municipality": {"rurality": "rural"}}).used[0]
    assert item.similarity == pytest.approx(0.5)
    assert item.variance == pytest.approx(2 * base)
    before_after = record(ci_low=-0.21, ci_high=-0.03, method="before_after")
    assert evidence.adjust_effect(0.03, 0.10, [before_after], context=CONTEXT).used[0].variance == pytest.approx(2 * base)


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
    point = evidence.adjust_effect(0.05, 0.05, [record(ci_low=-0.21, ci_high=-0.03)], context=CONTEXT)
    assert (point.central, point.evidence_adjusted) == (0.05, False)
    # a wider reading of the range (80 % instead of 95 %) lets the same pilot move it further
    wide = evidence.adjust_effect(0.03, 0.10, [record()], context=CONTEXT, settings={"prior_coverage": 0.8}).central
    assert wide > evidence.adjust_effect(0.03, 0.10, [record()], context=CONTEXT).central
    with pytest.raises(ConfigError, match=r"weights\.evidence\.prior_coverage"):
        evidence.adjust_effect(0.03, 0.10, [record()], context=CONTEXT, settings={"prior_coverage": 1.5})


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(evidence)
    assert result.attempted >= 5
    assert result.failed == 0


def test_ranking_quotes_the_pilot_with_its_interval() -> None:
    measure = yaml.safe_load((DATA / "rank_catalogue" / "travel-campaign.yaml").read_text(encoding="utf-8"))
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 30, "mode_winter": ["car_alone"] * 30,
                          "distance_km": [4.0] * 30})
    records = evidence.load_evidence(FOLDER)
    with_evidence = rank.rank_measures(table, catalogue=[measure], context=CONTEXT, evidence=records)
    without = rank.rank_measures(table, catalogue=[measure], context=CONTEXT)
    data = with_evidence.as_dict("en")["measures"][0]
    assert data["effect"]["evidence_adjusted"] is True
    # relative effect 0.3 with variance 0.00585715 (precision 170.73, the interval -0.21 to
    # -0.03 over before 0.6) against the prior's 3135.88: (3135.88 x 0.065 + 170.73 x 0.3) /
    # 3306.62 = 0.077134; the pilot moved the effect by 0.012134.
    assert data["effect"]["central"] == pytest.approx(0.0771, abs=1e-4)
    (item,) = data["effect"]["evidence"]
    assert (item["municipality"], item["variance_source"], item["relative_effect"]) == ("Ål", "interval", 0.3)
    assert item["se"] == pytest.approx(0.0765, abs=1e-4)
    assert item["central_without"] == pytest.approx(0.065)
    assert item["moved"] == pytest.approx(0.0121, abs=1e-4)
    assert item["weight"] == pytest.approx(data["effect"]["evidence_weight"]) == pytest.approx(0.0516, abs=1e-4)
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


def test_the_report_says_how_much_each_pilot_moved_the_measure() -> None:
    from grontur.report.build import make_context, measures_table

    measure = yaml.safe_load((DATA / "rank_catalogue" / "travel-campaign.yaml").read_text(encoding="utf-8"))
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 30, "mode_winter": ["car_alone"] * 30,
                          "distance_km": [4.0] * 30})
    ranked = rank.rank_measures(table, catalogue=[measure], context=CONTEXT, evidence=evidence.load_evidence(FOLDER))
    results = {"municipality": {"name": "Gol", "number": "3324", "language": "en"}, **ranked.as_dict("en")}
    # the pilot in Ål moved the effect from 6.5 % to 7.71 % (0.077134 - 0.065 = +1.2 points)
    (row,) = measures_table(make_context(results, "en"), results["measures"]).rows
    assert "The pilot in Ål changed the expected effect by +1.2 percentage points (without it: 6.5%)" in row[2].text
    (row,) = measures_table(make_context(results, "nn"), results["measures"]).rows
    assert "Utprøvinga i Ål endra den venta verknaden med +1,2 prosentpoeng (utan ho: 6,5\u00a0%)" in row[2].text
