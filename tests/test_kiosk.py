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

ENTER, DOWN, SPACE, CTRL_C = "\r", "\x1b[B", " ", "\x03"


def drive(keys: list[str], out, lang="nn", workplaces=("Rådhuset", "Sjukeheimen")):
    with create_pipe_input() as pipe:
        for chunk in keys:
            pipe.send_text(chunk)
        asker = Asker(lang, input=pipe, output=DummyOutput())
        return run_kiosk(out, lang=lang, workplaces=list(workplaces), asker=asker)


def one_respondent(*, first_choice_moves: int = 0) -> list[str]:
    """Keys for one respondent: first options everywhere, numbers typed, empty multi-selects."""
    keys = []
    for q in kiosk.questions("nn", workplaces=["Rådhuset", "Sjukeheimen"]):
        if q.kind in ("single", "bool", "text_choice"):
            keys.append(DOWN * (first_choice_moves if q.column == "mode_summer" else 0) + ENTER)
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


def test_accept_and_change(tmp_path):
    out = tmp_path / "answers.csv"
    saved = drive(one_respondent() + ["y"] + one_respondent(first_choice_moves=6) + ["n"], out)
    assert saved == 2
    rows = read(out)
    qs = kiosk.questions("nn", workplaces=["Rådhuset", "Sjukeheimen"])
    assert rows[0] == kiosk.header(qs)
    summer = [q.text for q in qs].index(next(q.text for q in qs if q.column == "mode_summer"))
    assert rows[1][summer] == "Går"
    assert rows[2][summer] == "Bil, åleine"  # moved six options down: changed answer
    distance = [q.column for q in qs].index("distance_km")
    assert rows[1][distance] == "2.5"
    barriers = [q.column for q in qs].index("barriers")
    assert rows[1][barriers] == "Det er for langt"


def test_skip_optional_question(tmp_path):
    out = tmp_path / "answers.csv"
    qs = kiosk.questions("nn", workplaces=["Rådhuset"])
    fuel = [q.column for q in qs].index("car_fuel")
    keys = one_respondent()
    # the workplace question has one option here, so "skip" is one step down
    keys[0] = DOWN + ENTER
    # car fuel: skip is the option after the seven fuels
    keys[fuel] = DOWN * 7 + ENTER
    drive(keys + ["n"], out, workplaces=("Rådhuset",))
    row = read(out)[1]
    assert row[0] == "" and row[fuel] == ""


def test_back_returns_to_previous_question(tmp_path):
    out = tmp_path / "answers.csv"
    keys = one_respondent()
    # at question 2 (job group) choose "back" (after 7 options and "skip"? job group is required: no skip)
    back = DOWN * 7 + ENTER
    keys = [keys[0], back, DOWN + ENTER] + keys[1:]
    drive(keys + ["n"], out)
    row = read(out)[1]
    assert row[0] == "Sjukeheimen"  # the workplace was answered again after going back


def test_ctrl_c_keeps_earlier_answers_and_discards_the_partial_one(tmp_path):
    out = tmp_path / "answers.csv"
    saved = drive(one_respondent() + ["y"] + one_respondent()[:5] + [CTRL_C], out)
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
