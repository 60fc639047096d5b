from __future__ import annotations

import subprocess
import sys

import pytest

from grontur.cli import COMMANDS, main


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grontur", *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for name in ("demo", "analyse", "import", "compare", "catalogue", "survey-template"):
        assert name in COMMANDS
        assert f"  {name}" in result.stdout


def test_missing_survey_file_is_one_line_and_status_2(tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = run("analyse", str(missing), "--kommune", "Gol", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr or "nowhere.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_unknown_municipality_is_status_2(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km\ncar_alone,3\n", encoding="utf-8")
    result = run("analyse", str(survey), "--kommune", "Atlantis", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Atlantis" in result.stderr
    assert "Traceback" not in result.stderr


def test_analyse_without_municipality_says_which_flag(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km\ncar_alone,3\n", encoding="utf-8")
    result = run("analyse", str(survey), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "--kommune" in result.stderr


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_main_returns_zero_for_info(argv, capsys):
    assert main(argv) == 0


@pytest.mark.parametrize("where", ["file", "proc", "save_mapping", "init"])
def test_unwritable_output_is_one_line_and_status_2(tmp_path, where):
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km\ncar_alone,3\nbike,2\n", encoding="utf-8")
    in_the_way = tmp_path / "taken"
    in_the_way.write_text("a file, not a folder", encoding="utf-8")
    args = {
        "file": ("import", str(survey), "--kommune", "Gol", "--out", str(in_the_way)),
        "proc": ("import", str(survey), "--kommune", "Gol", "--salt", "s", "--out", "/proc/grontur-out"),
        "save_mapping": ("import", str(survey), "--kommune", "Gol", "--salt", "s", "--out", str(tmp_path / "out"),
                         "--save-mapping", "/proc/grontur-mapping.yaml"),
        "init": ("init", "/proc/grontur-project", "--kommune", "Gol", "-y"),
    }[where]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    if where == "file":  # click checks the option itself and shows the usage with its error
        assert "is a file" in result.stderr
    else:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "/proc/grontur" in result.stderr or str(in_the_way) in result.stderr
    assert in_the_way.read_text(encoding="utf-8") == "a file, not a folder"


def _export(path, municipality: str | None, rows: int = 8):
    header = "municipality,mode_summer,distance_km\n" if municipality else "mode_summer,distance_km\n"
    body = "".join((f"{municipality}," if municipality else "") + f"car_alone,{3 + i}\n" for i in range(rows))
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["other_municipality", "mixed", "nothing_usable"])
def test_analyse_refuses_answers_it_cannot_attribute_or_use(tmp_path, case):
    if case == "other_municipality":
        survey = _export(tmp_path / "s.csv", "3328")  # every row is from Ål
    elif case == "mixed":
        survey = tmp_path / "s.csv"
        survey.write_text("municipality,mode_summer,distance_km\n3324,car_alone,3\n3328,bike,2\n", encoding="utf-8")
    else:
        survey = tmp_path / "s.csv"
        survey.write_text("mode_summer,distance_km,comment\n,,x\n,,y\n", encoding="utf-8")
    result = run("analyse", str(survey), "--kommune", "Gol", "--out", str(tmp_path / "out"), "--format", "none")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert str(survey) in result.stderr
    expected = {"other_municipality": "Ål (3328)", "mixed": "--all-municipalities", "nothing_usable": "quarantine.csv"}
    assert expected[case] in result.stderr
    assert not (tmp_path / "out").exists()


def test_analyse_accepts_rows_of_its_own_municipality(tmp_path):
    survey = _export(tmp_path / "s.csv", "3324")
    result = run("analyse", str(survey), "--kommune", "Gol", "--out", str(tmp_path / "out"), "--format", "none")
    assert result.returncode == 0, result.stderr


def test_compare_refuses_the_same_file_twice_and_waves_of_another_municipality(tmp_path):
    gol = _export(tmp_path / "gol.csv", "3324")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(gol.read_bytes())
    same = run("compare", str(gol), str(copy), "--kommune", "Gol", "--out", str(tmp_path / "c1"))
    assert same.returncode == 2 and "same file" in same.stderr and "Traceback" not in same.stderr
    al = _export(tmp_path / "al.csv", "3328", rows=9)
    other = run("compare", str(gol), str(al), "--kommune", "Gol", "--out", str(tmp_path / "c2"))
    assert other.returncode == 2 and "Ål (3328)" in other.stderr and "Traceback" not in other.stderr
