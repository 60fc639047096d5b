"""The report's account of rows and measures says why rows were set aside and how many measures are recommended."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from grontur.pipeline import analyse_file


def test_the_row_account_names_the_reasons_rows_were_set_aside(tmp_path: Path) -> None:
    rows = [f"car_alone,{3 + i % 20},{i % 5}" for i in range(60)] + [",,3", ",,2"]  # no mode, no distance
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km,remote_days\n" + "\n".join(rows) + "\n", encoding="utf-8")
    analysis = analyse_file(survey, municipality="Gol", lang="en", out_dir=tmp_path / "out", formats=("html",),
                            run_date=dt.date(2026, 11, 29))
    respondents = analysis.results["respondents"]
    assert respondents["quarantined"] == sum(respondents["quarantine_reasons"].values()) == 2
    assert respondents["quarantine_reasons"] == {"no_mode_or_distance": 2}
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    assert "2 were set aside: 2 had neither a mode nor a distance" in text
    measures = analysis.results["measures"]
    recommended = sum(1 for m in measures if m.get("recommended", True))
    assert f"{len(measures)} measures are ranked and {recommended} of them" in text
