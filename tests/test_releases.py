"""The release log: two releases of one survey whose respondents differ by fewer than k are never both published."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from grontur.cli import main
from grontur.keys import data_home
from grontur.pipeline import analyse_file, demo_project
from grontur.releases import difference, fingerprints
from grontur.resources import data_path

GOL = data_path("surveys", "demo", "gol")


def _lines(path: Path) -> list[str]:
    """The data lines of an export (header first), kept as the export wrote them."""
    return path.read_text(encoding="utf-8-sig").splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _analyse(survey: Path, out: Path, *extra: str) -> int:
    return main(["analyse", str(survey), "--kommune", "Gol", "--out", str(out), "--format", "none", *extra])


def _log() -> dict:
    return json.loads((data_home() / "3324" / "releases" / "3324-unlabelled.json").read_text(encoding="utf-8"))


@pytest.fixture
def published(tmp_path: Path) -> tuple[list[str], Path]:
    """The Gol demo baseline, analysed in full and published once."""
    lines = _lines(GOL / "baseline.csv")
    full = _write(tmp_path / "full.csv", lines)
    assert _analyse(full, tmp_path / "first") == 0
    return lines, tmp_path / "first"


def test_one_respondent_fewer_is_refused_naming_the_earlier_release(tmp_path: Path, published, capsys) -> None:
    lines, first = published
    kept = json.loads((first / "results.json").read_text(encoding="utf-8"))["respondents"]["kept"]
    capsys.readouterr()
    one_less = _write(tmp_path / "late.csv", [lines[0], *lines[2:]])
    assert _analyse(one_less, tmp_path / "second") == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert str(first.resolve()) in error and f"{kept} respondents" in error
    assert "by only 1 person" in error and "--replace-release" in error and "already handed out" in error
    assert _log()["releases"][0]["published"][:16].replace("T", " ") in error
    assert not (tmp_path / "second").exists()
    assert len(_log()["releases"]) == 1


def test_another_row_order_does_not_hide_the_difference(tmp_path: Path, published) -> None:
    lines, _ = published
    body = lines[2:]
    shuffled = _write(tmp_path / "shuffled.csv", [lines[0], *body[::-1]])
    assert _analyse(shuffled, tmp_path / "second") == 2


def test_the_same_responses_rerun_are_published_and_not_logged_again(tmp_path: Path, published) -> None:
    lines, _ = published
    again = _write(tmp_path / "again.csv", [lines[0], *lines[1:][::-1]])
    assert _analyse(again, tmp_path / "nynorsk", "--lang", "nn", "--format", "html") == 0
    assert len(_log()["releases"]) == 1


def test_k_or_more_changed_respondents_are_published_and_logged(tmp_path: Path, published) -> None:
    lines, _ = published
    five_less = _write(tmp_path / "five.csv", [lines[0], *lines[6:]])
    assert _analyse(five_less, tmp_path / "second") == 0
    releases = _log()["releases"]
    assert len(releases) == 2
    assert difference(Counter(releases[0]["fingerprints"]), Counter(releases[1]["fingerprints"])) >= 5


def test_replacing_the_earlier_release_runs_warns_and_is_logged(tmp_path: Path, published, capsys) -> None:
    lines, _ = published
    capsys.readouterr()
    one_less = _write(tmp_path / "late.csv", [lines[0], *lines[2:]])
    assert _analyse(one_less, tmp_path / "second", "--replace-release") == 0
    # said in Gol's nynorsk, the language of the run's report (no --lang)
    assert "alt er delte" in capsys.readouterr().err
    earlier, later = _log()["releases"]
    assert earlier["replaced_by"] == later["published"] and later["replaces"] == [earlier["published"]]
    assert later["output"] == str((tmp_path / "second").resolve())
    # The replaced release no longer blocks: the full file again differs from the new one by 1 only.
    full = _write(tmp_path / "full-again.csv", lines)
    assert _analyse(full, tmp_path / "third") == 2


def test_compare_is_refused_when_a_wave_differs_from_a_release_by_fewer_than_k(tmp_path: Path, published, capsys) -> None:
    lines, _ = published
    one_less = _write(tmp_path / "late.csv", [lines[0], *lines[2:]])
    capsys.readouterr()
    status = main(["compare", str(one_less), str(GOL / "followup.csv"), "--kommune", "Gol", "--out", str(tmp_path / "c")])
    assert status == 2
    assert "by only 1 person" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_project_keeps_its_log_beside_its_key(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    lines = _lines(GOL / "baseline.csv")
    _write(folder / "baseline.csv", lines)
    (folder / "grontur.yaml").write_text('municipality: Gol\nsurvey: baseline.csv\nwave: "2025-03"\n', encoding="utf-8")
    analyse_file(project=folder, out_dir=tmp_path / "out", formats=())
    log = folder / ".grontur" / "releases" / "3324-2025-03.json"
    assert json.loads(log.read_text(encoding="utf-8"))["wave"] == "2025-03"
    _write(folder / "baseline.csv", [lines[0], *lines[2:]])
    assert main(["analyse", "--project", str(folder), "--out", str(tmp_path / "out2"), "--format", "none"]) == 2
    assert not (tmp_path / "out").joinpath(".grontur").exists()


def test_the_shipped_demo_projects_keep_no_log_and_are_never_blocked(tmp_path: Path) -> None:
    project = demo_project("Gol")
    lines = _lines(GOL / "baseline.csv")
    analyse_file(project=project, out_dir=tmp_path / "a", formats=())
    one_less = _write(tmp_path / "late.csv", [lines[0], *lines[2:]])
    analyse_file(one_less, project=project, out_dir=tmp_path / "b", formats=())
    assert not (GOL / ".grontur").exists()


def test_fingerprints_come_from_the_answers_not_from_ids_or_order() -> None:
    table = pd.DataFrame({"respondent_id": ["a", "b", "c"], "source_row": [1, 2, 3], "mode_summer": ["bike", "bike", "walk"],
                          "distance_km": [2.0, 2.0, 1.0], "days_on_site": [5, 5, 5]})
    other_ids = table.assign(respondent_id=["x", "y", "z"], source_row=[9, 8, 7]).iloc[::-1]
    first, second = Counter(fingerprints(table, "key")), Counter(fingerprints(other_ids, "key"))
    assert difference(first, second) == 0
    assert list(first.values()) == [2, 1]  # identical answers of two people: a multiset
    assert difference(first, Counter(fingerprints(table.iloc[1:], "key"))) == 1
    assert difference(first, Counter(fingerprints(table.assign(distance_km=[2.0, 2.0, 1.5]), "key"))) == 2
    assert Counter(fingerprints(table, "another key")).keys().isdisjoint(first.keys())


def test_the_report_method_section_states_the_release_rule(tmp_path: Path) -> None:
    import re

    survey = _write(tmp_path / "s.csv", _lines(GOL / "baseline.csv"))
    assert main(["analyse", str(survey), "--kommune", "Gol", "--out", str(tmp_path / "out"), "--format", "html",
                 "--lang", "en", "--k", "7"]) == 0
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    assert "only made when its responses differ from every earlier published version by at least 7 people" in text
