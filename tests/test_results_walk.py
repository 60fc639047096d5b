"""results.json is made in one walk of the results: each stage section is made plain while its
hidden cells (``suppressed_cells``) are counted for the privacy summary."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from grontur import results as results_mod
from grontur.results import (
    Municipality,
    QualitySummary,
    RespondentAccount,
    Results,
    SiteContext,
)


def _results(**sections) -> Results:
    empty = {"habits": {}, "emissions": {}, "potential": {}, "segments": [], "segmentation": {}, "measures": [],
             "excluded_measures": [], "packages": {}, "plan": {}, "anchoring_plan": []}
    return Results(
        generated=dt.date(2026, 11, 29),
        municipality=Municipality(number="3320", name="Flå", language="nb"),
        respondents=RespondentAccount(input_rows=40, kept=40, quarantined=0, quarantine_reasons={}, employees=None,
                                      response_rate=None),
        mode_share={"summer": {"walk": np.float64(0.25), "bus": float("nan")}},
        bases=(),
        quality=QualitySummary(problems=0, by_problem={}, mapping={}),
        k=5,
        dropped_columns=(),
        context=SiteContext(transit_service="poor", parking_at_work="free", facilities={}, shift_share=None,
                            respondents=40),
        **{**empty, **sections},
    )


def test_hidden_cells_are_counted_in_mappings_and_lists_of_the_stage_sections() -> None:
    model = _results(
        habits={"suppressed_cells": np.int64(2), "seasons": {"summer": {"suppressed_cells": 1, "share": np.float64(0.5)}},
                "flag": {"suppressed_cells": True}},  # a bool is no count
        measures=[{"id": "a", "suppressed_cells": 3}, {"id": "b", "reach": pd.NA}],
        segments=[({"suppressed_cells": 100},)],  # inside a tuple: not a section's mapping or list
        geo={"areas": [{"n": None, "suppressed_cells": 4}], "day": dt.date(2027, 1, 4)},
        comparison={"suppressed_cells": 50},  # not a stage section
    )
    out = model.to_json()
    assert out["privacy"] == {"k": 5, "suppressed_cells": 2 + 1 + 3 + 4, "dropped_columns": []}
    assert model.privacy.suppressed_cells == 10
    assert out["habits"] == {"suppressed_cells": 2, "seasons": {"summer": {"suppressed_cells": 1, "share": 0.5}},
                             "flag": {"suppressed_cells": True}}
    assert type(out["habits"]["suppressed_cells"]) is int
    assert out["measures"][1] == {"id": "b", "reach": None}
    assert out["segments"] == [[{"suppressed_cells": 100}]]
    assert out["geo"] == {"areas": [{"n": None, "suppressed_cells": 4}], "day": "2027-01-04"}
    assert out["mode_share"] == {"summer": {"walk": 0.25, "bus": None}}
    assert out["comparison"] == {"suppressed_cells": 50}
    assert list(out) == ["schema", "generated", "municipality", "respondents", "mode_share", "habits", "emissions",
                         "potential", "segments", "segmentation", "measures", "excluded_measures", "packages", "plan",
                         "anchoring_plan", "geo", "bases", "quality", "privacy", "context", "comparison"]


def test_results_json_walks_each_section_once(monkeypatch) -> None:
    model = _results(habits={"seasons": {"summer": {"suppressed_cells": 1}}}, measures=[{"suppressed_cells": 2}])
    walked: list[object] = []
    original = results_mod.published_section

    def counted(section, hidden):
        walked.append(section)
        return original(section, hidden)

    monkeypatch.setattr(results_mod, "published_section", counted)
    monkeypatch.setattr(results_mod, "sum_suppressed", lambda section: (_ for _ in ()).throw(AssertionError("walked twice")))
    out = model.to_json()
    assert out["privacy"]["suppressed_cells"] == 3
    # the habits section is reached once (through its mappings), never by a second counting walk
    assert sum(section is model.habits for section in walked) == 1
