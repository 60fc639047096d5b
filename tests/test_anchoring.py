"""Tests for the anchoring plan (grontur/anchoring.py) and its template (measures/anchoring.yaml)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from grontur import anchoring, rank
from grontur.errors import CatalogueError, ConfigError
from grontur.report.charts import anchoring_timeline

DATA = Path(__file__).resolve().parent / "data"
TEMPLATE = Path(__file__).resolve().parents[1] / "measures" / "anchoring.yaml"
CONTEXT = {
    "municipality": {"number": "3324", "name": "Gol", "employees": 420, "rurality": "rural"},
    "transit_service": "fair", "parking_at_work": "free", "facilities": {"showers": False}, "shift_share": 0.2,
}


def catalogue() -> dict[str, dict]:
    items = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((DATA / "rank_catalogue").glob("*.yaml"))]
    return {item["id"]: item for item in items}


def ranked(ids: list[str]) -> dict:
    """A ranking in its as_dict() shape, in the given order (what a report or notebook holds)."""
    cat = catalogue()
    return {"measures": [{"id": mid, "rank": i + 1, "family": cat[mid]["family"], "actors": cat[mid]["actors"],
                          "anchoring": cat[mid]["anchoring"], "cost_class": cat[mid]["cost"]["class"]}
                         for i, mid in enumerate(ids)]}


def steps_of(plan: anchoring.AnchoringPlan) -> dict[str, anchoring.PlanStep]:
    return {s.step: s for s in plan.steps}


def test_template_has_exactly_the_agreed_step_ids_and_three_languages() -> None:
    template = anchoring.load_template()
    assert sorted(s.id for s in template.steps) == sorted(anchoring.STEP_IDS)
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    for step in data["steps"]:
        assert set(step["title"]) == {"nn", "nb", "en"}
        assert step["owner"]
    from grontur import catalogue
    from grontur.i18n import has

    actors = set(catalogue.ACTORS)
    for step in template.steps:
        assert step.actors and set(step.actors) <= actors, step.id
        assert has(f"anchoring.owner.{step.owner}"), step.owner
        for body in step.bodies:
            assert has(f"anchoring.body.{body}"), body


def test_free_parking_scenario_routes_the_parking_measure_through_unions_and_amu() -> None:
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 90, "mode_winter": ["car_alone"] * 90,
                          "distance_km": [2.5] * 90, "parking_at_work": ["free"] * 90,
                          "barriers": ["free_parking"] * 90, "would_help": ["parking_changes"] * 90})
    ranking = rank.rank_measures(table, catalogue=list(catalogue().values()), context=CONTEXT)
    assert "parking-fee" in [m.id for m in ranking.top(3)]
    plan = anchoring.build_plan(ranking, catalogue=catalogue(), start=dt.date(2026, 1, 5), lang="en")
    steps = steps_of(plan)
    assert "parking-fee" in steps["unions"].measures
    assert "parking-fee" in steps["amu"].measures
    assert "parking-fee" in steps["partssammensett_utval"].measures
    assert steps["amu"].start > steps["unions"].end
    assert "amu" in steps["amu"].bodies and "union_representatives" in steps["unions"].bodies
    assert "unions" in steps["unions"].actors and "amu" in steps["amu"].actors
    pilot = steps["pilot"]
    assert "parking-fee" in pilot.measures and pilot.start > steps["amu"].end


def test_no_amu_when_no_measure_touches_working_conditions() -> None:
    plan = anchoring.build_plan(ranked(["bike-parking", "travel-campaign"]), start="2026-01-05")
    steps = steps_of(plan)
    assert "amu" not in steps and "unions" not in steps and "partssammensett_utval" not in steps
    assert steps["communication"].depends_on == ("leader_group",)
    assert "property" in steps and steps["property"].measures == ("bike-parking",)


def test_dependencies_are_respected_and_point_to_steps_in_the_plan() -> None:
    plan = anchoring.build_plan(ranked(list(catalogue())), start="2026-01-05", top_n=20)
    steps = steps_of(plan)
    assert set(steps) <= set(anchoring.STEP_IDS)
    for step in plan.steps:
        assert step.start <= step.end
        for dep in step.depends_on:
            assert dep in steps, (step.step, dep)
            assert step.start > steps[dep].end, (step.step, dep)
    assert plan.steps[0].step == "mandate" and plan.steps[0].start == dt.date(2026, 1, 5)


def test_budget_dependent_measures_start_after_the_december_decision() -> None:
    plan = anchoring.build_plan(ranked(["service-vehicle-pool", "travel-campaign"]), start="2026-01-05")
    steps = steps_of(plan)
    budget = steps["budget"]
    assert budget.end == dt.date(2026, 12, 15)
    assert "service-vehicle-pool" in budget.measures
    procurement = steps["procurement"]
    assert "service-vehicle-pool" in procurement.measures
    assert procurement.start >= dt.date(2027, 1, 1)
    # the quick measure is piloted without waiting for the budget
    assert steps["pilot"].measures == ("travel-campaign",)
    assert steps["pilot"].end < budget.end
    assert steps["decision"].start > procurement.end


def test_a_late_start_moves_the_budget_to_the_next_year() -> None:
    plan = anchoring.build_plan(ranked(["service-vehicle-pool"]), start="2026-09-01")
    steps = steps_of(plan)
    # 16 weeks of preparation from October no longer reach the December 2026 meeting
    assert steps["budget"].end == dt.date(2027, 12, 15)
    assert steps["procurement"].start >= dt.date(2028, 1, 1)
    # the only measure needs the budget, so the pilot waits for it
    assert "procurement" in steps["pilot"].depends_on or "budget" in steps["pilot"].depends_on
    assert steps["pilot"].start > steps["procurement"].end


def test_klimasats_step_waits_for_the_application_deadline_and_award() -> None:
    plan = anchoring.build_plan(ranked(["ebike-pool"]), start="2026-01-05")
    klimasats = steps_of(plan)["klimasats"]
    calendar = anchoring.load_template().calendar
    deadline = dt.date(2027, calendar["klimasats_deadline"]["month"], calendar["klimasats_deadline"]["day"])
    # ready on 2026-02-23 (after mandate and leader group) + 6 weeks of preparation misses February 2026
    assert klimasats.end == deadline + dt.timedelta(weeks=calendar["klimasats_decision_weeks"])
    assert ("klimasats_deadline", deadline) in plan.milestones
    assert klimasats.start == deadline - dt.timedelta(weeks=calendar["klimasats_preparation_weeks"])


def test_pilot_runs_over_one_season_and_repeat_survey_matches_the_baseline_season() -> None:
    plan = anchoring.build_plan(ranked(["bike-parking", "travel-campaign"]), start="2026-01-05", baseline="2026-03")
    steps = steps_of(plan)
    pilot = steps["pilot"]
    # cycling measure: summer half (15 April - 14 October); ready after property work in May
    assert pilot.end == dt.date(2026, 10, 14)
    assert dt.date(2026, 4, 15) <= pilot.start <= dt.date(2026, 4, 15) + dt.timedelta(weeks=8)
    repeat = steps["repeat_survey"]
    assert repeat.start == dt.date(2027, 3, 1)
    assert repeat.start > pilot.end


def test_repeat_survey_moves_a_further_year_when_the_pilot_ends_late() -> None:
    plan = anchoring.build_plan(ranked(["bike-parking"]), start="2026-07-01", baseline="2026-06-01")
    steps = steps_of(plan)
    assert steps["pilot"].start.year == 2027
    assert steps["repeat_survey"].start == dt.date(2028, 6, 1)


def test_non_cycling_pilot_may_use_the_winter_half() -> None:
    plan = anchoring.build_plan(ranked(["travel-campaign"]), start="2026-07-01")
    pilot = steps_of(plan)["pilot"]
    assert pilot.start == dt.date(2026, 10, 15) and pilot.end == dt.date(2027, 4, 14)


def test_county_dialogue_for_measures_that_need_the_transit_operator() -> None:
    plan = anchoring.build_plan(ranked(["timetable-dialogue", "travel-campaign"]), start="2026-01-05")
    steps = steps_of(plan)
    assert steps["county_dialogue"].measures == ("timetable-dialogue",)
    assert "county_transit_operator" in steps["county_dialogue"].bodies


def test_top_n_limits_the_measures_carried() -> None:
    plan = anchoring.build_plan(ranked(["travel-campaign", "parking-fee", "service-vehicle-pool"]), start="2026-01-05", top_n=1)
    assert plan.measures == ("travel-campaign",)
    assert "amu" not in steps_of(plan) and "budget" not in steps_of(plan)
    with pytest.raises(ConfigError, match="top_n"):
        anchoring.build_plan(ranked(["travel-campaign"]), start="2026-01-05", top_n=0)


def test_as_dict_is_plain_json_in_the_plan_language() -> None:
    plan = anchoring.build_plan(ranked(["parking-fee", "bike-parking"]), start="2026-01-05", lang="nb")
    data = plan.as_dict()
    json.dumps(data)
    assert all({"step", "title", "owner", "start", "end", "depends_on", "measures", "bodies"} <= set(s) for s in data)
    amu = next(s for s in data if s["step"] == "amu")
    assert amu["title"] == "Behandling i arbeidsmiljøutvalget (AMU)"
    assert amu["body_labels"] == ["Arbeidsmiljøutvalget (AMU)"]
    assert dt.date.fromisoformat(amu["start"]) <= dt.date.fromisoformat(amu["end"])
    english = plan.as_dict("en")
    assert next(s for s in english if s["step"] == "amu")["title"] == "Working environment committee (AMU)"


def test_bad_dates_and_templates_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        anchoring.build_plan(ranked(["travel-campaign"]), start="soon")
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["steps"][1]["depends_on"] = ["nowhere"]
    bad = tmp_path / "anchoring.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"anchoring\.yaml: step 'leader_group': field 'depends_on' names 'nowhere'"):
        anchoring.build_plan(ranked(["travel-campaign"]), start="2026-01-05", template=bad)


def test_timeline_has_one_grey_bar_per_step_and_translated_labels() -> None:
    import matplotlib.colors as mcolors
    from matplotlib.patches import Rectangle

    plan = anchoring.build_plan(ranked(["parking-fee", "service-vehicle-pool", "bike-parking"]), start="2026-01-05")
    figure = anchoring_timeline(plan, lang="nn")
    ax = figure.axes[0]
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == [step.title["nn"] for step in plan.steps]
    assert "Handsaming i arbeidsmiljøutvalet (AMU)" in labels
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == len(plan.steps)
    for bar in bars:
        r, g, b, _ = mcolors.to_rgba(bar.get_facecolor())
        assert r == pytest.approx(g) == pytest.approx(b)  # greyscale fills
    hatches = {bar.get_hatch() for bar in bars}
    assert len(hatches) >= 3  # phases differ by pattern, not only by shade
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"


@pytest.mark.parametrize("years", [1, 3, 12])
def test_timeline_ticks_are_the_months_matplotlib_would_put_in_view(years: int) -> None:
    import datetime as dt

    from matplotlib.dates import MonthLocator, num2date

    from grontur.report.charts import timeline_chart

    plan = anchoring.build_plan(ranked(["parking-fee", "service-vehicle-pool", "bike-parking"]), start="2026-01-05")
    start = dt.date(2026, 1, 5)
    steps = [("first", start, start + dt.timedelta(days=40)), ("last", start, dt.date(2026 + years, 5, 20))]

    def in_view(ticks, low: float, high: float) -> list[float]:
        return [round(float(t), 6) for t in ticks if low <= t <= high]

    for figure in (anchoring_timeline(plan, lang="nn"), timeline_chart(steps, lang="nn")):
        ax = figure.axes[0]
        low, high = ax.get_xlim()
        quarters = MonthLocator(bymonth=(1, 4, 7, 10)).tick_values(num2date(low), num2date(high))
        assert in_view(ax.xaxis.get_majorticklocs(), low, high) == in_view(quarters, low, high)
        assert len(in_view(quarters, low, high)) >= 3
    ax = anchoring_timeline(plan, lang="nn").axes[0]
    low, high = ax.get_xlim()
    months = in_view(MonthLocator().tick_values(num2date(low), num2date(high)), low, high)
    majors = set(in_view(ax.xaxis.get_majorticklocs(), low, high))
    # (matplotlib leaves out a minor tick where a major one is)
    assert in_view(ax.xaxis.get_minorticklocs(), low, high) == [t for t in months if t not in majors]
