"""Why emissions per respondent move against car use: the change split into car use, km per
driver, emissions per km and other modes (grontur.compare), and said in the report (issue 18,
item 5)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from grontur.compare import EmissionFactors, compare_waves, explain_emissions_change
from grontur.report.comparison import comparison_blocks
from grontur.report.model import BulletList, Paragraph


def test_the_parts_add_up_to_the_change_with_the_log_mean_weights():
    before = EmissionFactors(car_use=0.8, car_km=5000.0, per_km=8e-5, other=0.01)
    after = EmissionFactors(car_use=0.7, car_km=6000.0, per_km=8e-5, other=0.01)
    # car tonnes 0.32 -> 0.336; L(0.336, 0.32) = 0.016 / ln(1.05) = 0.327934
    change = explain_emissions_change(before, after)
    weight = 0.016 / math.log(1.05)
    assert change.car_use.contribution == pytest.approx(weight * math.log(0.7 / 0.8))  # -0.043789
    assert change.car_use.contribution == pytest.approx(-0.043789, abs=1e-6)
    assert change.car_km.contribution == pytest.approx(0.059789, abs=1e-6)
    assert change.per_km.contribution == 0.0 and change.other.contribution == 0.0
    assert change.total == pytest.approx(after.tonnes - before.tonnes) == pytest.approx(0.016)


def wave(car: int, car_km: float, bike: int, *, wave: str, prefix: str) -> pd.DataFrame:
    n = car + bike
    return pd.DataFrame({
        "respondent_id": [f"{prefix}{i}" for i in range(n)], "municipality": "3324", "wave": wave,
        "mode_summer": ["car_alone"] * car + ["bike"] * bike, "mode_winter": ["car_alone"] * car + ["bike"] * bike,
        "car_fuel": ["petrol"] * car + [None] * bike,
        "distance_km": [car_km] * car + [3.0] * bike, "days_on_site": 5.0,
    })


@pytest.fixture(scope="module")
def longer_trips() -> dict:
    # 80 of 100 drive 10 km before; 60 of 100 drive 20 km after: fewer drivers, more emissions
    return compare_waves(wave(80, 10.0, 20, wave="2025-03", prefix="b"),
                         wave(60, 20.0, 40, wave="2026-03", prefix="a")).as_dict()


def test_fewer_drivers_on_longer_trips_explain_the_rise(longer_trips):
    em = longer_trips["emissions"]
    parts = em["explained"]
    assert em["diff"] > 0
    assert parts["car_use"]["before"] == 0.8 and parts["car_use"]["after"] == 0.6
    assert parts["car_use"]["contribution"] < 0 < parts["car_km"]["contribution"]
    # twice the distance, the same days: each driver drives twice the km a year
    assert parts["car_km"]["after"] == pytest.approx(2 * parts["car_km"]["before"], abs=0.2)
    assert parts["per_km"]["contribution"] == pytest.approx(0.0, abs=1e-4)
    total = sum(parts[name]["contribution"] for name in ("car_use", "car_km", "per_km", "other"))
    assert total == pytest.approx(em["diff"], abs=5e-4)


def test_the_report_says_why_when_emissions_move_against_car_use(longer_trips):
    blocks = comparison_blocks(longer_trips, lang="en")
    lead = next(b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("Emissions per respondent rose"))
    assert "although the share who drive fell" in lead
    index = next(i for i, b in enumerate(blocks) if isinstance(b, Paragraph) and b.text == lead)
    items = blocks[index + 1]
    assert isinstance(items, BulletList)
    assert items.items[0].startswith("Car use: the share who drive to work in at least one season went from 80% to 60%, which gives −")
    assert items.items[1].startswith("Longer or shorter car trips:") and ", which gives +" in items.items[1]


def test_nothing_to_explain_when_emissions_follow_car_use():
    # fewer drivers on the same trips: emissions fall with car use
    result = compare_waves(wave(80, 10.0, 20, wave="2025-03", prefix="b"),
                           wave(60, 10.0, 40, wave="2026-03", prefix="a")).as_dict()
    assert result["emissions"]["diff"] < 0
    texts = [b.text for b in comparison_blocks(result, lang="nn") if isinstance(b, Paragraph)]
    assert not any(t.startswith("Utsleppa per svarande") for t in texts)
