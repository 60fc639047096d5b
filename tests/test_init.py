"""``grontur init``: from flags without a terminal, and as a conversation through pipe input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from grontur.commands._prompts import Asker
from grontur.commands.init import interview, parse_workplace
from grontur.config import load_project
from grontur.errors import ConfigError
from grontur.project_setup import write_project

ENTER, DOWN = "\r", "\x1b[B"


def grontur(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grontur", *args], stdin=subprocess.DEVNULL,
                          check=False, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_flags_without_terminal_write_a_loadable_project(tmp_path):
    result = grontur("init", str(tmp_path / "p"), "--kommune", "3039", "--k", "7", "--employees", "90",
                     "--workplace", "Flå kommunehus;60.42;9.46", "--workplace", "Flå skule;3539")
    assert result.returncode == 0, result.stderr
    project = load_project(tmp_path / "p")
    assert (project.number, project.name, project.language, project.k, project.employees) == ("3320", "Flå", "nb", 7, 90)
    assert [w.name for w in project.workplaces] == ["Flå kommunehus", "Flå skule"]
    assert project.workplaces[1].postcode == "3539"
    assert "# Privacy threshold" in (tmp_path / "p" / "grontur.yaml").read_text(encoding="utf-8")


def test_without_terminal_and_flags_names_the_flag(tmp_path):
    result = grontur("init", str(tmp_path / "p"))
    assert result.returncode == 2
    assert "--kommune" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "p" / "grontur.yaml").exists()


def test_existing_project_is_not_overwritten(tmp_path):
    write_project(tmp_path, municipality="Gol")
    with pytest.raises(ConfigError, match="exists already"):
        write_project(tmp_path, municipality="Ål")
    assert load_project(tmp_path).name == "Gol"


def test_k_below_five_is_refused(tmp_path):
    result = grontur("init", str(tmp_path / "p"), "--kommune", "Gol", "--k", "3")
    assert result.returncode == 2 and "k" in result.stderr


@pytest.mark.parametrize("text", ["Rådhus;abc;8", "Rådhus;12", ""])
def test_bad_workplace_text_says_the_format(text):
    with pytest.raises(ConfigError, match="Name;lat;lon"):
        parse_workplace(text)


def test_interview_through_pipe_input(tmp_path):
    keys = [
        "Atlantis" + ENTER,          # unknown: asked again
        "Hemsedal" + ENTER,
        DOWN + ENTER,                # language: change the default (nynorsk) to bokmål
        ENTER,                       # k: accept 5
        "svar.csv" + ENTER,
        "y",                         # add a workplace
        "Hemsedal rådhus;3560" + ENTER,
        "n",                         # no more
    ]
    with create_pipe_input() as pipe:
        for key in keys:
            pipe.send_text(key)
        answers = interview(Asker("nn", input=pipe, output=DummyOutput()), municipality=None, language=None,
                            k=None, survey=None, workplaces=[])
    assert answers["municipality"] == "3326"
    assert answers["language"] == "nb"
    assert answers["k"] == 5
    assert answers["survey"] == "svar.csv"
    assert [(w.name, w.postcode) for w in answers["workplaces"]] == [("Hemsedal rådhus", "3560")]


@pytest.mark.parametrize(("option", "value", "field"), [
    ("--survey", "svar #2.csv", "survey"),  # '#' would start a comment
    ("--mapping", "yes", "mapping"),  # an unquoted yes reads as True
    ("--wave", "2026-03\nsalt: stolen", "wave"),  # a line break would add a key
])
def test_init_values_read_back_exactly(tmp_path, option, value, field):
    from grontur.commands.init import command

    folder = tmp_path / "p"
    with pytest.raises(SystemExit) as done:
        command.main(["--yes", str(folder), "--kommune", "Gol", option, value], standalone_mode=True)
    assert done.value.code == 0
    project = load_project(folder)
    got = getattr(project, field)
    assert (got.name if field in ("survey", "mapping") else got) == value
    text = (folder / "grontur.yaml").read_text(encoding="utf-8")
    assert "# Privacy threshold" in text and "# Workplaces: name" in text
    assert len(project.salt) == 16 and "stolen" not in project.salt
