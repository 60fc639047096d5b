"""results.json and comparison.json fit the JSON Schemas shipped in the package, and
docs/results-schema.md is the text generated from them (issue 15, item 1).

The six demo projects are validated in tests/test_demo_e2e.py (on its demo run); here: the real
exports in ../shared/data, a survey that asked about one season only, the typed model against
the written file, and the schema's own codes against the code lists it describes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from grontur import bases, compare
from grontur import schema as survey_schema
from grontur._docs import DOC_PATH, results_schema_markdown
from grontur.pipeline import (
    analyse_file,
    analyse_imported,
    demo_project,
    import_for_project,
    write_analysis,
)
from grontur.resources import data_dir
from grontur.results import RESULTS_FORMAT
from grontur.results_schema import SchemaMismatch, load, problems, validate
from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
REAL = {"salisbury": ("salisbury_md_commuter_survey_2025_googleforms.csv", "example_salisbury_googleforms"),
        "exeter": ("exeter_staff_travel_survey_2023.xlsx", "example_exeter_staff_survey")}


@pytest.fixture(scope="module")
def gol(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The Gol demo baseline analysed without a report, and the folder it was written to."""
    project = demo_project("gol")
    analysis = analyse_imported(import_for_project(project.survey, project=project), project=project,
                                draw_figures=False)
    folder = tmp_path_factory.mktemp("gol")
    write_analysis(analysis, folder, lang=project.language, formats=())
    return analysis, folder


def test_the_committed_doc_is_generated_from_the_schema() -> None:
    committed = (ROOT / DOC_PATH).read_text(encoding="utf-8")
    assert committed == results_schema_markdown(), "run 'python -m grontur._docs' and commit docs/results-schema.md"


def test_the_doc_names_the_version_every_section_and_every_base() -> None:
    text = results_schema_markdown()
    assert f"format `{RESULTS_FORMAT}`" in text
    for key in load("results")["properties"]:
        assert f"| `{key}`" in text, key
    for name in bases.NAMES:
        assert f"`{name}`" in text, name
    assert "../shared" not in text


def test_the_schema_names_the_format_and_the_codes_of_the_code_lists() -> None:
    results, comparison = load("results"), load("comparison")
    assert results["properties"]["schema"]["const"] == RESULTS_FORMAT
    assert comparison["properties"]["schema"]["const"] == compare.SCHEMA
    defs = results["$defs"]
    assert defs["mode"]["enum"] == list(survey_schema.MODES)
    assert defs["fuel"]["enum"] == list(survey_schema.FUELS)
    assert defs["season"]["enum"] == list(survey_schema.SEASONS)
    assert defs["barrier"]["enum"] == list(survey_schema.BARRIERS)
    assert defs["would_help"]["enum"] == list(survey_schema.WOULD_HELP)
    assert defs["base_name"]["enum"] == list(bases.NAMES)
    assert results["properties"]["context"]["properties"]["parking_at_work"]["enum"] == list(survey_schema.PARKING)


def test_results_json_is_the_model_and_fits_the_schema(gol: tuple[Any, Path]) -> None:
    analysis, folder = gol
    written = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert analysis.model is not None
    assert written == analysis.model.to_json() == analysis.results
    assert written["schema"] == RESULTS_FORMAT
    assert problems(written) == []
    # the typed parts read the same figures the file holds
    model = analysis.model
    assert written["respondents"]["kept"] == model.respondents.kept == model.base("respondents").n
    assert written["privacy"] == {"k": model.privacy.k, "suppressed_cells": model.privacy.suppressed_cells,
                                  "dropped_columns": [dict(d) for d in model.privacy.dropped_columns]}
    assert list(written["bases"]) == [base.name for base in model.bases]
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.respondents.kept = 0  # type: ignore[misc]


@pytest.mark.parametrize(("where", "value", "expected"), [
    (("schema",), "grontur.results/1", "schema: 'grontur.results/2' was expected"),
    (("mode_share", "summer", "car_alone"), 1.25, "mode_share/summer/car_alone: 1.25 is greater than the maximum of 1"),
    (("privacy", "suppressed_cells"), None, "privacy/suppressed_cells: None is not of type 'integer'"),
    (("bases", "car_drivers", "n"), -1, "bases/car_drivers/n: -1 is less than the minimum of 0"),
    (("respondents", "response_rate"), "67 %", "respondents/response_rate: '67 %' is not of type 'number', 'null'"),
])
def test_the_schema_rejects_a_wrong_value(gol: tuple[Any, Path], where: tuple[str, ...], value: Any,
                                          expected: str) -> None:
    data = copy.deepcopy(gol[0].results)
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert expected in problems(data)
    with pytest.raises(SchemaMismatch, match="results does not fit results.schema.json"):
        validate(data)


def test_the_schema_rejects_unknown_and_missing_keys(gol: tuple[Any, Path]) -> None:
    data = copy.deepcopy(gol[0].results)
    data["respondents"]["names"] = ["someone"]
    data["bases"]["my_base"] = {"n": 7}
    del data["privacy"]
    found = problems(data)
    assert "respondents: Additional properties are not allowed ('names' was unexpected)" in found
    assert any(line.startswith("bases: 'my_base' is not one of") for line in found)
    assert "(top): 'privacy' is a required property" in found


def test_a_hidden_figure_is_null_and_fits(gol: tuple[Any, Path]) -> None:
    data = copy.deepcopy(gol[0].results)
    data["bases"]["car_drivers"]["n"] = None
    data["habits"]["seasons"]["winter"]["car_driver"] = {"count": None, "share": None, "ci_low": None, "ci_high": None}
    assert problems(data) == []


def test_a_one_season_survey_fits() -> None:
    project = demo_project("gol")
    imported = import_for_project(project.survey, project=project)
    imported = dataclasses.replace(imported, table=imported.table.drop(columns=["mode_winter"]))
    results = analyse_imported(imported, project=project, draw_figures=False).results
    assert set(results["mode_share"]["winter"].values()) <= {None}  # no winter answers: nothing to show
    assert problems(results) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL))
def test_the_real_exports_fit(name: str, tmp_path: Path) -> None:
    file, mapping = REAL[name]
    path = SHARED_DATA / "real" / file
    if not path.is_file():
        pytest.skip(f"{path} is absent (real test data live in ../shared/data)")
    analyse_file(path, municipality="Gol", mapping=data_dir("surveys") / "mappings" / f"{mapping}.yaml",
                 out_dir=tmp_path, formats=(), k=5)
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert problems(results) == []
    assert "all_employees" not in results["emissions"]  # no head count: the optional part is absent


def test_a_comparison_fits_its_schema() -> None:
    project = demo_project("gol")
    analysis = analyse_file(project=project.root, formats=())
    assert analysis.comparison is not None
    assert problems(analysis.comparison, "comparison") == []
    assert problems(analysis.results) == []
    broken = copy.deepcopy(analysis.comparison)
    broken["schema"] = "grontur.comparison/0"
    assert "schema: 'grontur.comparison/1' was expected" in problems(broken, "comparison")
    assert any(line.startswith("comparison/schema:") for line in problems({**analysis.results, "comparison": broken}))
