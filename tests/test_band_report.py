"""The report's distance-band table shows exactly what results.json publishes for the bands."""

from __future__ import annotations

import pandas as pd

from grontur.describe import describe, mode_share
from grontur.report import build

K = 5


def test_distance_band_table_hides_what_the_results_hide() -> None:
    rows = []
    for count, km in ((1, 0.5), (2, 2.0), (6, 4.0), (8, 7.0), (10, 15.0)):
        rows += [{"mode_summer": "car_alone", "mode_winter": "car_alone", "days_on_site": 5.0,
                  "distance_km": km}] * count
    table = pd.DataFrame(rows)
    habits = describe(table, k=K)
    bands = habits["distance_km"]["bands"]
    hidden = habits["distance_km"]["n"] - sum(b["count"] for b in bands.values() if b["count"] is not None)
    assert hidden == 0 or hidden >= K
    ctx = build.make_context({"habits": habits, "mode_share": mode_share(table, k=K), "privacy": {"k": K}}, "en")
    section = build._habits(ctx)
    band_table = next(b for b in section.blocks if getattr(b, "id", None) == "distance-bands")
    assert len(band_table.rows) == len(bands)
    for row, (band, cell) in zip(band_table.rows, bands.items()):
        assert row[0].text == ctx.label("band", band)
        if cell["count"] is None:
            assert row[1].text == "–" and row[2].text == "–", band
        else:
            assert row[1].value == cell["count"], band
            assert row[1].key == f"habits.distance_km.bands.{band}.count"
    assert sum(row[1].text == "–" for row in band_table.rows) == sum(c["count"] is None for c in bands.values()) >= 3
