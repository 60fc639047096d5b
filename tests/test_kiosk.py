"""The kiosk survey driven through prompt_toolkit pipe input: accept, change, skip, back, Ctrl-C."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from grontur import kiosk
from grontur.commands._prompts import Asker
from grontur.commands.survey import run_kiosk
from grontur.errors import InputFileError

ENTER, DOWN, UP, SPACE, CTRL_C = "\r", "\x1b[B", "\x1b[A", " ", "\x03"
WORKPLACES = ("Rådhuset", "Sjukeheimen")
#: Consent: the pointer starts on "nothing chosen"; one step down is "yes".
CONSENT = DOWN + ENTER


def drive(keys: list[str], out, lang="nn", workplaces=WORKPLACES):
    with create_pipe_input() as pipe:
        for chunk in keys:
            pipe.send_text(chunk)
        asker = Asker(lang, input=pipe, output=DummyOutput())
        return run_kiosk(out, lang=lang, workplaces=list(workplaces), asker=asker, name="Gol")


def questions(workplaces=WORKPLACES):
    return kiosk.questions("nn", workplaces=list(workplaces), panel_code=True)


def choose(position: int) -> str:
    """Keys choosing the option at ``position`` (0-based): nothing is chosen at first."""
    return DOWN * (position + 1) + ENTER


def one_respondent(*, summer: int = 0, code: str = "", workplaces=WORKPLACES) -> list[str]:
    """Keys for one respondent after consent: first options everywhere, numbers typed, empty
    multi-selects; the fuel question is asked only of drivers."""
    keys = []
    drives = kiosk.questions("nn")[1].options[summer].code in ("car_alone", "car_shared")
    for q in questions(workplaces):
        if q.column == "car_fuel" and not drives:
            continue
        if q.kind == "panel_code":
            keys.append(code + ENTER)
        elif q.kind in ("single", "bool", "text_choice"):
            keys.append(choose(summer if q.column == "mode_summer" else 0))
        elif q.kind == "multi":
            keys.append(SPACE + ENTER if q.column == "barriers" else ENTER)
        elif q.kind == "number":
            keys.append({"distance_km": "2,5", "days_on_site": "5", "remote_days": ""}[q.column] + ENTER)
        else:
            keys.append("3550" + ENTER)
    return keys


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def column(name: str, workplaces=WORKPLACES) -> int:
    return [q.column for q in questions(workplaces)].index(name)


def test_accept_and_change(tmp_path):
    out = tmp_path / "answers.csv"
    saved = drive([CONSENT, *one_respondent(), ENTER, CONSENT, *one_respondent(summer=6), DOWN + ENTER], out)
    assert saved == 2
    rows = read(out)
    assert rows[0] == kiosk.header(questions())
    summer = column("mode_summer")
    assert rows[1][summer] == "Går"
    assert rows[2][summer] == "Bil, åleine"  # moved seven options down: changed answer
    assert rows[1][column("distance_km")] == "2.5"
    assert rows[1][column("barriers")] == "Det er for langt"


def test_fuel_is_asked_only_of_drivers(tmp_path):
    out = tmp_path / "answers.csv"
    drive([CONSENT, *one_respondent(), ENTER, CONSENT, *one_respondent(summer=6), DOWN + ENTER], out)
    rows = read(out)
    fuel = column("car_fuel")
    assert rows[1][fuel] == ""  # walks: never asked about fuel
    assert rows[2][fuel] == "Bensin"  # drives alone: asked, and chose the first fuel


def test_enter_without_choosing_saves_no_answer(tmp_path):
    out = tmp_path / "answers.csv"
    qs = questions()
    keys = one_respondent()
    shift = [q.column for q in qs if q.column != "car_fuel"].index("shift_work")
    # Enter on "nothing chosen" does nothing; the next keys then choose "Nei" (second option)
    keys[shift] = ENTER + choose(1)
    drive([CONSENT, *keys, DOWN + ENTER], out)
    assert read(out)[1][column("shift_work")] == "Nei"


def test_skip_optional_question(tmp_path):
    out = tmp_path / "answers.csv"
    keys = one_respondent(workplaces=("Rådhuset",))
    # the workplace question (after the answer code) has one option here, so "skip" is two steps down
    keys[1] = DOWN * 2 + ENTER
    drive([CONSENT, *keys, DOWN + ENTER], out, workplaces=("Rådhuset",))
    row = read(out)[1]
    assert row[column("workplace", ("Rådhuset",))] == ""


def test_back_returns_to_previous_question(tmp_path):
    out = tmp_path / "answers.csv"
    keys = one_respondent()
    # at the job group (required: no skip), "back" is the last line: one step up from "nothing chosen"
    keys = [keys[0], keys[1], UP + ENTER, choose(1), *keys[2:]]
    drive([CONSENT, *keys, DOWN + ENTER], out)
    row = read(out)[1]
    assert row[column("workplace")] == "Sjukeheimen"  # the workplace was answered again after going back


def test_answer_code_is_saved_and_pairs_rounds_on_import(tmp_path):
    from grontur.importing import import_survey

    first, second = tmp_path / "round1.csv", tmp_path / "round2.csv"
    drive([CONSENT, *one_respondent(code="ka14"), ENTER, CONSENT, *one_respondent(), DOWN + ENTER], first)
    drive([CONSENT, *one_respondent(code=" KA14", summer=6), DOWN + ENTER], second)
    assert read(first)[1][column("respondent_id")] == "ka14"
    a = import_survey(first, municipality="Gol", salt="s").table
    b = import_survey(second, municipality="Gol", salt="s").table
    assert a.loc[0, "respondent_id"] == b.loc[0, "respondent_id"]  # the same code links the rounds
    assert a.loc[1, "respondent_id"] != b.loc[0, "respondent_id"]
    assert "ka14" not in set(a["respondent_id"])  # stored as a salted pseudonym


def test_declining_saves_nothing(tmp_path):
    out = tmp_path / "answers.csv"
    saved = drive([choose(1), DOWN + ENTER], out)
    assert saved == 0 and not out.exists()


def test_ctrl_c_keeps_earlier_answers_and_discards_the_partial_one(tmp_path):
    out = tmp_path / "answers.csv"
    saved = drive([CONSENT, *one_respondent(), ENTER, CONSENT, *one_respondent()[:5], CTRL_C], out)
    assert saved == 1
    assert len(read(out)) == 2


def test_mismatched_existing_file_is_refused(tmp_path):
    out = tmp_path / "answers.csv"
    out.write_text("something,else\n1,2\n", encoding="utf-8")
    qs = kiosk.questions("nn")
    with pytest.raises(InputFileError, match="--out"):
        kiosk.append_answers(out, qs, {})
    assert out.read_text(encoding="utf-8") == "something,else\n1,2\n"


def test_without_terminal_stops_with_status_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "grontur", "survey", "--kommune", "Gol", "--out", str(tmp_path / "a.csv")],
                            stdin=subprocess.DEVNULL, check=False, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 2
    assert "terminal" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a.csv").exists()
