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
        ENTER,                                   # Transportåtferd: accept "mode" (likely: the default)
        DOWN + ENTER,                            # Lengde heim-jobb: uncertain distance_km, chosen by moving to it
        DOWN * 2 + ENTER,                        # Avdeling: no suggestion -> [change, skip]: skip
        DOWN * 2 + ENTER, DOWN * (TARGETS.index("job_group") + 1) + ENTER,  # Yrke: change -> job_group
        DOWN * 4 + ENTER,                        # unknown answer "Merkantil" -> administration
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


def test_uncertain_suggestion_is_never_the_default(export, tmp_path):
    """Enter on an uncertain suggestion (distance_km at confidence 0.3) accepts nothing; moving
    down twice then skips the column. Were the suggestion the default, Enter would map it."""
    keys = [ENTER,                       # Transportåtferd: likely "mode", the default
            ENTER, DOWN * 3 + ENTER,     # Lengde heim-jobb: Enter does nothing; then skip
            DOWN * 2 + ENTER,            # Avdeling: skip
            DOWN + ENTER,                # Yrke: accept the uncertain job_group by moving to it
            DOWN * 4 + ENTER]            # "Merkantil" -> administration
    _mapping, result = drive(keys, export, tmp_path / "mapping.yaml")
    assert "administration" in set(result.table["job_group"])  # the keys stayed in step
    assert "distance_km" not in result.table.columns or result.table["distance_km"].isna().all()
    assert "Lengde heim-jobb" not in {item["column"] for item in result.mapping_report["mapped"]}


def test_labels_are_plain_words_in_every_language():
    from grontur.commands._mapping_wizard import code_label, plain_value, target_label
    from grontur.schema import COLUMNS

    for lang in ("nn", "nb", "en"):
        labels = [target_label(target, lang) for target in TARGETS]
        assert not [label for label in labels if "_" in label], labels  # no canonical code shown
        assert len(set(labels)) == len(labels)
        assert "_" not in code_label("car_fuel", "plugin", lang)
    assert target_label("distance_km", "nn") == "Avstand heim–jobb (km)"
    assert code_label("mode", "car_alone", "nb") == "Bil, alene"
    assert [plain_value(v) for v in (3550.0, "3550.0", "0301", 2.5)] == ["3550", "3550", "0301", "2.5"]
    assert COLUMNS["home_postcode"][0] == "str"


def test_postcodes_stored_as_numbers_are_suggested_as_postcodes(tmp_path):
    """A postcode column a spreadsheet saved as 3550.0 is a postcode, not a distance."""
    path = tmp_path / "export.csv"
    rows = ["Reisemåte til jobb,Postnr,Skift?"] + [f"{mode},{code}.0,{shift}" for mode, code, shift in
                                                   [("Bil", 3550, "Ja"), ("Sykkel", 3560, "Nei"), ("Buss", 3570, "Nei"),
                                                    ("Gange", 3580, "Ja"), ("Bil", 3550, "Nei"), ("Bil", 3560, "Ja")]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_survey(path, municipality="Gol").mapping_report
    targets = {item["column"]: item["target"] for item in [*report["mapped"], *report["suggestions"]]}
    assert targets["Postnr"] == "home_postcode"
    assert targets["Skift?"] == "shift_work"
