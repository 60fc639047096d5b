"""Site context from the command line, defaults stated as assumptions, and one-season surveys
(issue 17, items 9 and 10). The surveys are made here."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from grontur.config import ConfigError, context_from_flags, project_for
from grontur.pipeline import build_context

SUMMER = "How do you usually travel to work in the summer half of the year?"
WINTER = "How do you usually travel to work in the winter half of the year?"
DISTANCE = "How far is it from your home to your workplace, one way (km)?"
MODES = ["Car, alone", "Bus", "Bicycle", "Walk", "Car, alone", "Car, driving with others", "Train", "Car, alone"]
TRANSIT_MEASURES = ("transit-pool-cards", "transit-ticket", "transit-trial-ticket")  # need fair or good transit


def _survey(path: Path, *, seasons: tuple[str, ...] = (SUMMER, WINTER), n: int = 48) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*seasons, DISTANCE])
        for i in range(n):
            modes = [MODES[i % 8], MODES[(i + i // 8) % 8]][: len(seasons)]
            writer.writerow([*modes, str(2 + i % 15)])
    return path


def _analyse(tmp_path: Path, survey: Path, *flags: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grontur", "analyse", str(survey), "--kommune", "Gol", "--out", str(out),
                           "--format", "html", "--lang", "en", *flags], capture_output=True, text=True, check=False,
                          env={**__import__("os").environ, "GRONTUR_SALT": "s"})
    return done, out


def _text(html_path: Path) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html_path.read_text(encoding="utf-8")).split())


# --------------------------------------------------------------------------- item 9: site context

def test_context_says_which_facts_are_assumed() -> None:
    table = pd.DataFrame({"mode_summer": ["car_alone", "bike"], "distance_km": [3.0, 2.0]})
    context = build_context(project_for("Gol"), table)
    assert context["assumed"] == ["parking_at_work", "rurality", "transit_service"]
    given = project_for("Gol").with_context(context_from_flags("good", "paid", ["showers=yes"]))
    context = build_context(given, table)
    assert context["transit_service"] == "good" and context["parking_at_work"] == "paid"
    assert context["facilities"] == {"showers": True}
    assert context["assumed"] == ["rurality"]
    assert "showers" not in context["facilities_not_given"]
    answered = table.assign(parking_at_work=["paid", "paid"])
    assert build_context(project_for("Gol"), answered)["sources"]["parking_at_work"] == "answers"


@pytest.mark.parametrize("flags", [("--transit", "excellent"), ("--facility", "pool=yes"), ("--facility", "showers=maybe")])
def test_bad_context_flags_exit_2(tmp_path: Path, flags: tuple[str, str]) -> None:
    done, _ = _analyse(tmp_path, _survey(tmp_path / "s.csv"), *flags)
    assert done.returncode == 2
    assert flags[1].split("=")[0] in done.stderr or flags[1].split("=")[-1] in done.stderr


def test_context_flag_errors_name_the_flag() -> None:
    with pytest.raises(ConfigError, match="--facility 'pool=yes': unknown facility 'pool'"):
        context_from_flags(facilities=["pool=yes"])


def test_a_measure_left_out_by_an_assumed_default_says_the_fact_is_not_given(tmp_path: Path) -> None:
    done, out = _analyse(tmp_path, _survey(tmp_path / "s.csv"))
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert "transit_service" in results["context"]["assumed"]
    reasons = {x["id"]: x["reason"]["key"] for x in results["excluded_measures"]}
    assert {reasons[m] for m in TRANSIT_MEASURES} == {"rank.excluded.depends_on_assumed"}
    text = _text(out / "report.html")
    assert "the public transport service at the workplace: not given, assumed poor public transport" in text
    assert "Depends on the public transport service at the workplace: not given" in text
    assert "here there is poor public transport" not in text


def test_transit_given_on_the_command_line_is_used_and_stated(tmp_path: Path) -> None:
    done, out = _analyse(tmp_path, _survey(tmp_path / "s.csv"), "--transit", "good", "--facility", "showers=yes")
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["context"]["transit_service"] == "good"
    assert "transit_service" not in results["context"]["assumed"]
    reasons = {x["id"]: x["reason"]["key"] for x in results["excluded_measures"]}
    assert not {reasons.get(m) for m in TRANSIT_MEASURES} & {"rank.excluded.transit_service",
                                                              "rank.excluded.depends_on_assumed"}
    excluded = set(reasons)
    assert "showers-lockers" in excluded  # the workplace has them: given, so a fact
    text = _text(out / "report.html")
    assert "good public transport (given)" in text


# --------------------------------------------------------------------------- item 10: one season asked

ONE_MODE = "How do you usually travel to work?"


def _strings(value: object) -> list[str]:
    """Every text value in a JSON structure (keys such as "summer" are structure, not claims)."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


SEASON_WORDS = re.compile(r"(?i)\b(summer|winter|sommar|sommer|vinter)")


@pytest.mark.parametrize("n", [48, 160])  # persona rules (under 60 respondents) and clustering
def test_one_mode_question_makes_no_season_claims_in_the_report(tmp_path: Path, n: int) -> None:
    survey = _survey(tmp_path / "one.csv", seasons=(ONE_MODE,), n=n)
    mapping = tmp_path / "one.yaml"
    mapping.write_text(f"name: one\ncolumns:\n  - {{target: mode, header: {ONE_MODE}}}\n", encoding="utf-8")
    done, out = _analyse(tmp_path, survey, "--mapping", str(mapping))
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["habits"]["seasons_asked"] == 1
    assert results["habits"]["seasonal_shift"] is None  # no "0 people travel differently in winter"
    text = _text(out / "report.html")
    habits = text[text.index("2. Travel habits"):text.index("3. ")]
    assert "The survey asked about one season" in habits
    assert not re.search(r"(?i)\bwinter\b", habits.replace("differences between summer and winter", ""))
    summary = text[:text.index("2. Travel habits")]
    assert "Drive a car (winter)" not in summary and "Drive alone (winter)" not in summary
    # groups: no "Usually travels by (winter)", no "Drive in summer", no "... in summer and winter"
    groups = text[text.index("4. Groups of employees"):text.index("5. Emissions")]
    assert "Usually travels by" in groups
    assert not SEASON_WORDS.search(groups), SEASON_WORDS.findall(groups)
    assert not [s for s in _strings(results["segments"]) if SEASON_WORDS.search(s)]
    features = {f["feature"] for card in results["segments"] for f in card["defining_features"]}
    assert features and not {f for f in features if f.startswith(("mode_summer", "mode_winter"))}


def test_segments_of_one_season_name_the_mode_without_a_season() -> None:
    from grontur.segment import segment_respondents

    modes = ["bike"] * 20 + ["car_alone"] * 20 + ["bus"] * 20
    table = pd.DataFrame({"mode_summer": modes, "mode_winter": modes, "distance_km": [3.0] * 30 + [12.0] * 30})
    one = segment_respondents(table, k=5, seasons_asked=1).as_dict()["segments"]
    two = segment_respondents(table, k=5).as_dict()["segments"]
    assert [card["size"] for card in one] == [card["size"] for card in two]  # the same groups
    labels = [f["label"]["en"] for card in one for f in card["defining_features"]]
    assert "Drive" in labels and not [text for text in _strings(one) if SEASON_WORDS.search(text)]
    green = next(card for card in one if card["persona"] == "already_green")
    assert green["description"]["en"] == "Walk, cycle, take public transport or work from home."
    # asked about two seasons where some travel differently in winter, the cards name seasons
    shifting = table.assign(mode_winter=["car_alone"] * 10 + modes[10:])
    assert any(SEASON_WORDS.search(text) for text in _strings(segment_respondents(shifting, k=5).as_dict()["segments"]))


def test_every_persona_summary_naming_seasons_has_a_one_season_text() -> None:
    """A persona shown for a one-season survey must not describe two seasons; one that needs two
    different seasons (green in summer, car in winter) is never matched by one season's answers."""
    from grontur.segment import load_personas

    for persona in load_personas().personas:
        if not any(SEASON_WORDS.search(text) for text in persona.summary.values()):
            continue
        rules = persona.rules
        needs_two = ("mode_summer" in rules and "mode_winter" in rules
                     and set(rules["mode_summer"]).isdisjoint(rules["mode_winter"]))
        assert needs_two or persona.summary_one_season, persona.id
        for text in (persona.summary_one_season or {}).values():
            assert not SEASON_WORDS.search(text)


def test_two_seasons_keep_the_seasonal_shift() -> None:
    from grontur.describe import describe

    table = pd.DataFrame({"mode_summer": ["bike"] * 6 + ["car_alone"] * 6, "mode_winter": ["car_alone"] * 12,
                          "distance_km": [5.0] * 12})
    assert describe(table)["seasonal_shift"]["n_changed"] == 6
    assert describe(table)["seasons_asked"] == 2
    assert describe(table, seasons_asked=1)["seasonal_shift"] is None
