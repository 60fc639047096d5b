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
        "proc": ("import", str(survey), "--kommune", "Gol", "--out", "/proc/grontur-out"),
        "save_mapping": ("import", str(survey), "--kommune", "Gol", "--out", str(tmp_path / "out"),
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
