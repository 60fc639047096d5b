"""The site context the ranking and the report read: only what the survey actually asked."""

from __future__ import annotations

import pandas as pd

from grontur.config import project_for
from grontur.pipeline import build_context


def test_shift_share_is_unknown_when_the_survey_did_not_ask() -> None:
    project = project_for("Gol")
    unasked = pd.DataFrame({"mode_summer": ["car_alone", "bike"], "distance_km": [3.0, 2.0]})
    assert build_context(project, unasked)["shift_share"] is None
    blank = unasked.assign(shift_work=pd.array([pd.NA, pd.NA], dtype="boolean"))
    assert build_context(project, blank)["shift_share"] is None
    asked = unasked.assign(shift_work=pd.array([True, False], dtype="boolean"))
    assert build_context(project, asked)["shift_share"] == 0.5
