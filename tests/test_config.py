from __future__ import annotations

import datetime as dt

import pytest

from grontur.config import default_language, load_project
from grontur.errors import ConfigError


def write(tmp_path, text):
    (tmp_path / "grontur.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_minimal_project_takes_language_from_written_standard(tmp_path):
    project = load_project(write(tmp_path, "municipality: Gol\nrun_date: 2026-11-29\n"))
    assert (project.number, project.name, project.language) == ("3324", "Gol", "nn")
    assert project.run_date == dt.date(2026, 11, 29)
    assert project.k == 5
    assert project.salt  # a stable default salt


def test_old_municipality_number_is_translated(tmp_path):
    project = load_project(write(tmp_path, "municipality: '3039'\n"))
    assert (project.number, project.name) == ("3320", "Flå")
    assert project.language == "nb"


def test_paths_are_relative_to_the_project_folder(tmp_path):
    project = load_project(write(tmp_path, "municipality: Ål\nsurvey: data/wave1.csv\n"))
    assert project.survey == tmp_path / "data" / "wave1.csv"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("municipality: Gol\nk: 3\n", "'k'"),
        ("municipality: Gol\nlanguage: de\n", "'language'"),
        ("municipality: Gol\ncolour: blue\n", "'colour'"),
        ("municipality: Gol\ncontext: {transit_service: great}\n", "context.transit_service"),
        ("municipality: Gol\nworkplaces: [{name: Rådhus, lat: 10, lon: 8}]\n", "workplaces[0]"),
        ("municipality: Gol\npilots: [{measure: ebike-pool, start: 2025-05-01, end: 2025-04-01}]\n", "pilots[0]"),
        ("municipality: Atlantis\n", "'municipality'"),
        ("employees: 10\n", "'municipality'"),
        ("municipality: [Gol\n", "line"),
    ],
)
def test_invalid_configuration_names_file_and_field(tmp_path, text, field):
    with pytest.raises(ConfigError) as caught:
        load_project(write(tmp_path, text))
    assert "grontur.yaml" in str(caught.value)
    assert field in str(caught.value)


def test_missing_configuration_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="grontur init"):
        load_project(tmp_path)


def test_default_language():
    assert default_language("nn") == "nn"
    assert default_language("neutral") == "nb"
    assert default_language(None) == "nb"
