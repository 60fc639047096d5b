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
POSTCODES = "postcodes.csv"


@pytest.fixture
def postcodes(tmp_path):
    """A postcode list in the project folder that holds Flå's 3539 and Hemsedal's 3560."""
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / POSTCODES).write_text("postcode,lat,lon\n3539,60.42,9.45\n3560,60.86,8.55\n", encoding="utf-8")
    return folder


def grontur(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grontur", *args], stdin=subprocess.DEVNULL,
                          check=False, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_flags_without_terminal_write_a_loadable_project(tmp_path, postcodes):
    result = grontur("init", str(postcodes), "--kommune", "3039", "--k", "7", "--employees", "90",
                     "--workplace", "Flå kommunehus;60.42;9.46", "--workplace", "Flå skule;3539",
                     "--postcodes", POSTCODES, "--transit", "fair", "--facility", "showers=yes")
    assert result.returncode == 0, result.stderr
    project = load_project(postcodes)
    assert (project.number, project.name, project.language, project.k, project.employees) == ("3320", "Flå", "nb", 7, 90)
    assert [w.name for w in project.workplaces] == ["Flå kommunehus", "Flå skule"]
    assert project.workplaces[1].postcode == "3539"
    assert project.geodata["postcodes"] == postcodes / POSTCODES
    # parking was not given: unknown, not written as "free"
    assert project.context == {"transit_service": "fair", "facilities": {"showers": True}}
    text = (postcodes / "grontur.yaml").read_text(encoding="utf-8")
    assert "# Personverngrense" in text and "Privacy" not in text  # Flå writes bokmål: comments in bokmål


def test_workplace_postcode_without_postcode_list_is_refused(tmp_path, postcodes):
    result = grontur("init", str(tmp_path / "q"), "--kommune", "Flå", "--workplace", "Flå skule;3539")
    assert result.returncode == 2
    assert "Flå skule" in result.stderr and "--postcodes" in result.stderr
    result = grontur("init", str(postcodes), "--kommune", "Flå", "--lang", "en", "--workplace", "Flå skule;3550",
                     "--postcodes", POSTCODES)
    assert result.returncode == 2
    assert "the postcode 3550 is not in the postcode list" in result.stderr
    assert not (postcodes / "grontur.yaml").exists()


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
    with pytest.raises(ConfigError, match="Namn;breidd;lengd"):
        parse_workplace(text, "nn")


def test_interview_through_pipe_input(tmp_path, postcodes):
    (postcodes / "svar.csv").write_text("a\n", encoding="utf-8")
    keys = [
        DOWN + ENTER,                # language (asked in all three): bokmål
        "Atlantis" + ENTER,          # unknown: asked again
        "Hemsedal" + ENTER,
        ENTER,                       # k: accept 5
        "120" + ENTER,               # employees
        "mangler.csv" + ENTER,       # does not exist: asked again
        "svar.csv" + ENTER,
        DOWN + ENTER,                # add a workplace: yes
        "Rådhuset" + ENTER,          # no location: refused
        DOWN + ENTER,                # add a workplace: yes
        "Hemsedal rådhus;3560" + ENTER,
        POSTCODES + ENTER,           # the postcode list, in the project folder
        DOWN * 2 + ENTER,            # more: no
        DOWN * 2 + ENTER,            # transit: poor
        DOWN * 5 + ENTER,            # parking: don't know
        " " + DOWN * 2 + " " + ENTER,  # facilities: showers and bike parking
    ]
    with create_pipe_input() as pipe:
        for key in keys:
            pipe.send_text(key)
        answers = interview(Asker("nn", input=pipe, output=DummyOutput()), municipality=None, language=None,
                            k=None, survey=None, workplaces=[], folder=postcodes)
    assert answers["municipality"] == "3326"
    assert answers["language"] == "nb"
    assert answers["k"] == 5
    assert answers["employees"] == 120
    assert answers["survey"] == "svar.csv"
    assert [(w.name, w.postcode) for w in answers["workplaces"]] == [("Hemsedal rådhus", "3560")]
    assert answers["postcodes"] == POSTCODES
    assert (answers["transit"], answers["parking"]) == ("poor", None)
    assert answers["facilities"] == {"showers": True, "lockers": False, "bike_parking": True, "drying_room": False,
                                     "ebike_pool": False, "service_cars": False}


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
    assert "# Personverngrense" in text and "# Arbeidsstader: namn" in text  # Gol: nynorsk comments
    assert len(project.salt) == 16 and "stolen" not in project.salt


def test_a_typed_threshold_is_judged_by_the_project_s_one_check_of_k() -> None:
    from grontur.commands.init import _is_k

    assert [_is_k(text) for text in ("5", " 12 ", "4", "0", "-5", "5.0", "five", "")] == \
        [True, True, False, False, False, False, False, False]
