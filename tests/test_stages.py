"""Stage of change per respondent (grontur/stages.py) and the stage question."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grontur import stages
from grontur.kiosk import questions
from grontur.schema import COLUMNS, STAGES
from grontur.template import question_sheet


def _table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        frame[col] = frame[col].astype("object").where(frame[col].notna(), pd.NA)
    return frame


def test_the_answer_is_used_where_the_question_was_asked() -> None:
    table = _table([
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "would_consider": pd.NA, "stage_of_change": "preparing"},
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "would_consider": "bike", "stage_of_change": pd.NA},
    ])
    result = stages.stage_of_change(table)
    assert list(result.stage) == ["preparing", "considering"]
    assert list(result.derived) == [False, True]
    assert result.asked


@pytest.mark.parametrize(("summer", "winter", "consider", "expected"), [
    ("bike", "bus", pd.NA, "keeping"),            # green in both seasons
    ("remote", "remote", pd.NA, "keeping"),
    ("bike", "car_alone", pd.NA, "doing"),         # green in one season
    ("car_alone", "car_alone", "bus;bike", "considering"),
    ("car_alone", "car_alone", pd.NA, "not_considering"),
    ("car_passenger", pd.NA, "walk", "considering"),
    (pd.NA, pd.NA, "bike", None),                  # no mode: missing, never a guess
])
def test_the_stage_is_derived_from_mode_and_would_consider(summer, winter, consider, expected) -> None:
    table = _table([{"mode_summer": summer, "mode_winter": winter, "would_consider": consider}])
    result = stages.stage_of_change(table)
    if expected is None:
        assert result.stage.isna().all() and result.derived.isna().all()
    else:
        assert result.stage.iloc[0] == expected
        assert bool(result.derived.iloc[0]) is True
    assert not result.asked


def test_a_driver_is_not_called_not_considering_when_would_consider_was_not_asked() -> None:
    table = _table([{"mode_summer": "car_alone", "mode_winter": "car_alone"}])
    assert stages.stage_of_change(table).stage.isna().all()


def test_preparing_is_never_derived() -> None:
    rng = np.random.default_rng(1)
    modes = np.array(["walk", "bike", "bus", "car_alone", "car_shared", "car_passenger", "remote"], dtype=object)
    table = _table([{"mode_summer": rng.choice(modes), "mode_winter": rng.choice(modes),
                     "would_consider": rng.choice(["bike", "bus;walk", None])} for _ in range(300)])
    assert "preparing" not in set(stages.stage_of_change(table).stage.dropna())


def test_counts_and_fit() -> None:
    table = _table([
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "would_consider": "bike"},
        {"mode_summer": "car_alone", "mode_winter": "car_alone", "would_consider": pd.NA},
        {"mode_summer": "bike", "mode_winter": "car_alone", "would_consider": pd.NA},
        {"mode_summer": pd.NA, "mode_winter": pd.NA, "would_consider": pd.NA},
    ])
    result = stages.stage_of_change(table)
    assert result.counts() == {"not_considering": 1, "considering": 1, "preparing": 0, "doing": 1, "keeping": 0}
    assert stages.stage_fit(result, ["considering", "preparing"]) == pytest.approx(1 / 3)
    assert stages.stage_fit(result, ["doing"], rows=np.array([False, False, False, True])) is None
    with pytest.raises(ValueError, match="contemplating"):
        stages.stage_fit(result, ["contemplating"])


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_the_standard_questionnaire_asks_the_stage(lang: str) -> None:
    assert COLUMNS["stage_of_change"] == ("code", STAGES)
    sheet = {q.column: q for q in question_sheet(lang)}
    asked = {q.column: q for q in questions(lang)}
    assert len(sheet["stage_of_change"].options) == len(STAGES)
    assert [o.code for o in asked["stage_of_change"].options] == list(STAGES)


def test_an_export_with_the_stage_question_imports_the_stage(tmp_path) -> None:
    from grontur.importing import import_survey

    sheet = {q.column: q for q in question_sheet("nb")}
    path = tmp_path / "svar.csv"
    pd.DataFrame({
        sheet["mode_summer"].text: ["Buss", "Elsykkel"],
        sheet["mode_winter"].text: ["Buss", "Buss"],
        sheet["stage_of_change"].text: [sheet["stage_of_change"].options[2], sheet["stage_of_change"].options[4]],
    }).to_csv(path, index=False)
    table = import_survey(path).table
    assert list(table["stage_of_change"]) == ["preparing", "keeping"]
