"""``grontur init``, ``import --interactive`` and ``survey`` driven through a pseudo-terminal.

Each command runs as a real process on a pty (pexpect), in nynorsk, bokmål and English, as a
project lead would run it. The tests read the screen (escape sequences removed) and check that
every hint is in the chosen language, questionary's English hints ("(Use arrow keys)", "(Y/n)",
"done (2 selections)") never show, and the answers saved are the ones chosen.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest
import yaml

from grontur import kiosk
from grontur.i18n import LANGUAGES, t

ENTER, DOWN, UP, SPACE = "\r", "\x1b[B", "\x1b[A", " "
ROOT = Path(__file__).resolve().parents[1]
#: questionary's own English texts, which must never reach the screen.
QUESTIONARY_ENGLISH = ("Use arrow keys", "(Y/n)", "(y/N)", "done (", "<space> to select", "Cancelled by user")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07")


def _flat(text: str) -> str:
    """Screen text without escape sequences and line breaks, runs of spaces as one."""
    return re.sub(r"\s+", " ", _ANSI.sub("", text).replace("\r", "").replace("\n", " "))


class Screen:
    """A command on a pseudo-terminal: what it has shown so far, and keys to send."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1",
               "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "COLUMNS": "250", "LINES": "60"}
        self.child = pexpect.spawn(sys.executable, ["-m", "grontur", *args], cwd=str(cwd), env=env,
                                   encoding="utf-8", dimensions=(60, 250), timeout=60)
        self.raw = ""
        self.seen = 0  # end of the flat text already matched by wait()

    @property
    def text(self) -> str:
        return _flat(self.raw)

    def _read(self) -> bool:
        try:
            self.raw += self.child.read_nonblocking(65536, timeout=0.2)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def wait(self, *needles: str, timeout: float = 60) -> str:
        """Wait until one of ``needles`` shows after the last one waited for; return it."""
        end = time.monotonic() + timeout
        while True:
            alive = self._read()
            flat = self.text
            hits = [(flat.find(_flat(n), self.seen), n) for n in needles]
            hits = [(i, n) for i, n in hits if i >= 0]
            if hits:
                at, needle = min(hits)
                self.seen = at + len(_flat(needle))
                return needle
            if not alive or time.monotonic() > end:
                pytest.fail(f"none of {needles!r} on the screen; it shows: ...{flat[-1500:]}")

    def send(self, keys: str) -> None:
        time.sleep(0.15)  # let the prompt draw before keys arrive, as a person would
        self.child.send(keys)

    def finish(self) -> int:
        while self._read():
            pass
        self.child.close()
        return self.child.exitstatus

    def check_language(self, lang: str) -> None:
        """Every hint on the screen is in ``lang``; none of questionary's English hints shows."""
        shown = self.text
        for english in QUESTIONARY_ENGLISH:
            assert english not in shown, english
        for other in LANGUAGES:
            if other != lang and t("prompt.select_hint", other) != t("prompt.select_hint", lang):
                assert _flat(t("prompt.select_hint", other)) not in shown, other
        assert _flat(t("prompt.select_hint", lang)) in shown


def _choose(position: int) -> str:
    """Keys that choose option ``position`` (0-based) where nothing is chosen at first."""
    return DOWN * (position + 1) + ENTER


@pytest.mark.parametrize("lang", LANGUAGES)
def test_survey_in_a_terminal(tmp_path, lang):
    out = tmp_path / "svar.csv"
    screen = Screen(["survey", "--kommune", "Gol", "--lang", lang, "--out", str(out), "--workplace", "Rådhuset"],
                    tmp_path)
    screen.wait(t("survey.intro", lang, name="Gol", k=5))
    screen.wait(t("prompt.nothing_chosen", lang))
    screen.send(_choose(0))  # consent
    qs = kiosk.questions(lang, workplaces=["Rådhuset"], panel_code=True)
    for q in qs:
        if q.column == "car_fuel":
            continue  # walks both seasons: the fuel question must not come
        screen.wait(q.text)
        if q.kind == "panel_code":
            screen.send("ka14" + ENTER)
        elif q.kind == "bool":
            # Enter with nothing chosen saves nothing and stays; then "no" (the second option)
            screen.send(ENTER)
            screen.send(_choose(1))
        elif q.kind in ("single", "text_choice"):
            screen.send(_choose(0))
        elif q.kind == "multi":
            screen.send(SPACE + ENTER)
        elif q.kind == "number":
            screen.send(("3" if q.column == "distance_km" else "") + ENTER)
        else:
            screen.send("3550" + ENTER)
    screen.wait(t("survey.thanks", lang))
    screen.wait(t("prompt.next_respondent", lang, saved=1))
    screen.send(DOWN + ENTER)  # no more respondents
    screen.wait(t("prompt.kiosk_done", lang, saved=1, path=out))
    assert screen.finish() == 0
    screen.check_language(lang)
    fuel = next(q for q in qs if q.column == "car_fuel")
    assert _flat(fuel.text) not in screen.text
    with open(out, encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    answers = dict(zip(header, row, strict=True))
    label = {q.column: q for q in qs}
    assert answers[t("survey.panel_code.header", lang)] == "ka14"
    assert answers[label["mode_summer"].text] == label["mode_summer"].options[0].label  # walk, in lang
    assert answers[label["car_fuel"].text] == ""
    for column in ("shift_work", "car_needed_for_work", "children_drop_off"):
        assert answers[label[column].text] == t("prompt.no", lang)
    assert answers[label["distance_km"].text] == "3"


EXPORT = ("Reisemåte til jobb,Postnr,Avdeling\n" + "".join(
    f"{mode},{code}.0,{unit}\n" for mode, code, unit in [
        ("Bil", 3550, "A"), ("Sykkel", 3560, "B"), ("Bil", 3550, "A"), ("Buss", 3570, "C"), ("Gange", 3580, "B"),
        ("Bil", 3560, "A"), ("Sparkstøtting", 3550, "C"), ("Bil", 3550, "B")]))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_import_interactive_in_a_terminal(tmp_path, lang):
    (tmp_path / "eksport.csv").write_text(EXPORT, encoding="utf-8")
    screen = Screen(["import", "eksport.csv", "--interactive", "--save-mapping", "kopling.yaml", "--out", "ut",
                     "--kommune", "Gol", "--lang", lang], tmp_path)
    saved = t("wizard.saved", lang, path="kopling.yaml")

    def column(name: str) -> str:  # the question about a column, up to its examples
        return t("wizard.column", lang, column=name, samples="\0").split("\0")[0]

    mode, postcode, unit = column("Reisemåte til jobb"), column("Postnr"), column("Avdeling")
    value = t("wizard.value", lang, value="Sparkstøtting", column="Reisemåte til jobb")
    while (asked := screen.wait(mode, postcode, unit, value, saved)) != saved:
        if asked == mode:
            screen.send(ENTER)  # likely "mode": the default
        elif asked == postcode:
            # a postcode column stored as numbers: shown as postcodes, suggested as postcodes, likely
            screen.wait("3550, 3560")
            screen.wait(t("wizard.accept", lang, target=t("import.column.home_postcode", lang).capitalize(),
                          confidence=t("wizard.confidence.medium", lang)))
            screen.send(ENTER)  # a likely suggestion is the default
        elif asked == unit:
            screen.send(_choose(1))  # no suggestion: [choose something else, skip] -> skip
        else:
            # an answer matching no code: the codes are offered by their labels in lang
            screen.wait(t("code.mode.car_alone", lang))
            screen.send(_choose(0))  # walk
        screen.wait(asked)  # the question again, answered
    assert screen.finish() == 0
    screen.check_language(lang)
    shown = screen.text
    assert "3550.0" not in shown
    # the conversation (up to the import's summary, which names the columns of cleaned.csv) shows
    # no canonical column or code, only their labels
    conversation = shown[:shown.find(t("import.summary.file", lang, file="eksport.csv", dialect="\0").split("\0")[0])]
    assert "car_alone" not in conversation and "home_postcode" not in conversation and "walk" not in conversation
    mapping = yaml.safe_load((tmp_path / "kopling.yaml").read_text(encoding="utf-8"))
    rules = {rule["target"]: rule for rule in mapping["columns"]}
    assert rules["home_postcode"]["header"] == "Postnr"
    assert rules["mode"]["values"] == {"Sparkstøtting": "walk"}
    assert "Avdeling" in mapping["ignore_columns"]


@pytest.mark.parametrize(("lang", "position"), [("nn", 0), ("nb", 1), ("en", 2)])
def test_init_in_a_terminal(tmp_path, lang, position):
    folder = tmp_path / "prosjekt"
    folder.mkdir()
    (folder / "postnummer.csv").write_text("postcode,lat,lon\n3560,60.86,8.55\n", encoding="utf-8")
    screen = Screen(["init", "prosjekt"], tmp_path)
    screen.wait(t("init.ask_project_language", "en"))
    screen.send(DOWN * position + ENTER)
    screen.wait(t("init.ask_municipality", lang))
    screen.send("Hemsedal" + ENTER)
    screen.wait(t("init.ask_k", lang))
    screen.send(ENTER)
    screen.wait(t("init.ask_employees", lang))
    screen.send("140" + ENTER)
    screen.wait(t("init.ask_survey", lang))
    screen.send("finst-ikkje.csv" + ENTER)
    screen.wait(t("init.survey_missing", lang, path=Path("prosjekt") / "finst-ikkje.csv"))
    screen.send(ENTER)  # no survey file yet
    screen.wait(t("init.ask_workplace", lang))
    screen.send(_choose(0))  # yes
    screen.send("Rådhuset;3560" + ENTER)
    screen.wait(t("init.ask_postcodes", lang))
    screen.send("postnummer.csv" + ENTER)
    screen.wait(t("init.ask_more_workplaces", lang))
    screen.send(_choose(0))  # yes
    screen.send("Skulen;3551" + ENTER)
    screen.wait(t("init.postcode_not_in_list", lang, name="Skulen", postcode="3551"))
    screen.wait(t("init.ask_more_workplaces", lang))
    screen.send(_choose(1))  # no
    screen.wait(t("init.ask_transit", lang))
    screen.send(_choose(1))  # poor
    screen.wait(t("init.ask_parking", lang))
    screen.send(_choose(4))  # don't know
    screen.wait(t("init.ask_facilities", lang))
    screen.send(SPACE + ENTER)  # showers
    screen.wait(t("init.written", lang, path=Path("prosjekt") / "grontur.yaml", folder="prosjekt"))
    assert screen.finish() == 0
    screen.check_language(lang)
    text = (folder / "grontur.yaml").read_text(encoding="utf-8")
    assert "# " + t("setup.comment.employees", lang) in text
    data = yaml.safe_load(text)
    assert data["language"] == lang and data["municipality"] == "3326" and data["employees"] == 140
    assert data["survey"] is None
    assert data["workplaces"] == [{"name": "Rådhuset", "postcode": "3560"}]
    assert data["geodata"] == {"postcodes": "postnummer.csv"}
    assert data["context"]["transit_service"] == "poor"
    assert "parking_at_work" not in data["context"]  # "don't know": unknown, not "free"
    assert data["context"]["facilities"]["showers"] is True
    assert data["context"]["facilities"]["drying_room"] is False


def test_import_speaks_the_language_of_the_municipality(tmp_path):
    """Without --lang, 'grontur import --kommune Gol' speaks nynorsk, as 'grontur survey' and
    'grontur init' do for Gol (it spoke English)."""
    import subprocess

    (tmp_path / "eksport.csv").write_text(EXPORT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grontur", "import", "eksport.csv", "--kommune", "Gol", "--salt", "s",
                           "--out", "ut"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr
    assert t("import.summary.written", "nn", files="\0", out="").split("\0")[0] in done.stdout
    assert t("import.summary.written", "en", files="\0", out="").split("\0")[0] not in done.stdout


@pytest.mark.parametrize(("lang", "position"), [("nn", 0), ("en", 2)])
def test_init_interrupted_says_so_in_the_chosen_language(tmp_path, lang, position):
    screen = Screen(["init", "prosjekt"], tmp_path)
    screen.wait(t("init.ask_project_language", "en"))
    screen.send(DOWN * position + ENTER)
    screen.wait(t("init.ask_municipality", lang))
    screen.send("\x03")
    screen.wait(t("cli.interrupted", lang))
    assert screen.finish() == 130
    assert "Traceback" not in screen.text
    assert not (tmp_path / "prosjekt" / "grontur.yaml").exists()
