"""The column-mapping conversation for an unknown export, driven through pipe input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from grontur.commands._mapping_wizard import TARGETS, run_wizard
from grontur.commands._prompts import Asker
from grontur.importing import import_survey

ENTER, DOWN, CTRL_C = "\r", "\x1b[B", "\x03"
EXPORT = (
    "Transportåtferd,Lengde heim-jobb,Avdeling,Yrke\n"
    "Bil,12,A,Sykepleier\nSykkel,3,B,Lærer\nBil,25,A,Sykepleier\nBuss,8,C,Merkantil\n"
    "Gange,1,B,Lærer\nBil,4,A,Sykepleier\nHjemmekontor,30,C,Merkantil\n"
)


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "unknown.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def drive(keys, export, save_to):
    with create_pipe_input() as pipe:
        for key in keys:
            pipe.send_text(key)
        return run_wizard(export, asker=Asker("nn", input=pipe, output=DummyOutput()), save_to=save_to,
                          municipality="Gol")


def test_accept_change_skip_then_value_mapping_is_saved_and_reused(export, tmp_path):
    saved = tmp_path / "mapping.yaml"
    keys = [
        ENTER,                                   # Transportåtferd: accept "mode"
        ENTER,                                   # Lengde heim-jobb: accept distance_km
        DOWN + ENTER,                            # Avdeling: no suggestion -> [change, skip]: skip
        DOWN + ENTER, DOWN * TARGETS.index("job_group") + ENTER,  # Yrke: change -> job_group
        DOWN * 3 + ENTER,                        # unknown answer "Merkantil" -> administration
    ]
    before = export.read_bytes()
    _mapping, result = drive(keys, export, saved)
    assert export.read_bytes() == before
    table = result.table
    assert list(table["mode_summer"]) == ["car_alone", "bike", "car_alone", "bus", "walk", "car_alone", "remote"]
    assert list(table["distance_km"]) == [12, 3, 25, 8, 1, 4, 30]
    assert table["job_group"].tolist() == ["health_care", "school", "health_care", "administration", "school",
                                           "health_care", "administration"]
    assert "Avdeling" not in {item["column"] for item in result.mapping_report["mapped"]}
    # The next wave imports with the saved file and no questions.
    again = import_survey(export, mapping=saved, municipality="Gol")
    assert again.table["job_group"].tolist() == table["job_group"].tolist()
    cli = subprocess.run([sys.executable, "-m", "grontur", "import", str(export), "--mapping", str(saved),
                          "--kommune", "Gol", "--out", str(tmp_path / "out")],
                         stdin=subprocess.DEVNULL, check=False, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr


def test_ctrl_c_saves_nothing(export, tmp_path):
    saved = tmp_path / "mapping.yaml"
    with pytest.raises(KeyboardInterrupt):
        drive([ENTER, CTRL_C], export, saved)
    assert not saved.exists()


def test_interactive_without_terminal_names_the_flag(export, tmp_path):
    result = subprocess.run([sys.executable, "-m", "grontur", "import", str(export), "--interactive",
                             "--save-mapping", str(tmp_path / "m.yaml"), "--out", str(tmp_path / "out")],
                            stdin=subprocess.DEVNULL, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "--mapping" in result.stderr and "Traceback" not in result.stderr
