"""One orchestration: `demo`, `analyse --project`, `analyse --kommune` and `compare` give the same
figures for the same data and project.

The Gol demo project has a pilot (a daily parking fee at Gol rådhus) and names Nesbyen as its
comparison municipality; the demo network also holds Ål's and Hol's pilots, whose evidence moves
Gol's ranking. A project run that ignored either got another pilot estimate ("participants vs
others" instead of difference in differences) and another ranking than the demo.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grontur.errors import ConfigError
from grontur.resources import data_dir

DEMO = data_dir("surveys") / "demo"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grontur", *args], check=False, capture_output=True, text=True,
                          timeout=300)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def without_evidence_files(value: Any) -> Any:
    """The results without the label naming where each evidence record was read from: the demo
    uses its pilot results as it computes them, a project run reads the same records from the
    files the demo wrote."""
    if isinstance(value, dict):
        return {key: without_evidence_files(item) for key, item in value.items() if key != "file"}
    if isinstance(value, list):
        return [without_evidence_files(item) for item in value]
    return value


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("orchestration") / "demo"
    result = cli("demo", "--out", str(out), "--format", "none", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return out


def gol_project(folder: Path, *, evidence: Path | None, comparison: str | None) -> Path:
    """The shipped Gol demo project written to ``folder`` with absolute paths to its data."""
    config = yaml.safe_load((DEMO / "gol" / "grontur.yaml").read_text(encoding="utf-8"))
    config["survey"] = str(DEMO / "gol" / config["survey"])
    config["followup"] = str(DEMO / "gol" / config["followup"])
    config["geodata"] = {"postcodes": str(DEMO / "postcodes.csv")}
    if comparison is None:
        config.pop("comparison_municipality")
    else:
        config["comparison_municipality"] = comparison
    if evidence is not None:
        config["evidence"] = str(evidence)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grontur.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.mark.parametrize("evidence_in", ["field", "project-folder"])
def test_analyse_project_gives_the_demo_figures_for_gol(demo_out: Path, tmp_path: Path, evidence_in: str) -> None:
    # The network's evidence as the demo wrote it: named by the project's 'evidence' field, or
    # copied into the project's own evidence/ folder (read without being named).
    if evidence_in == "field":
        project = gol_project(tmp_path / "gol", evidence=demo_out / "evidence", comparison=str(DEMO / "nesbyen"))
    else:
        project = gol_project(tmp_path / "gol", evidence=None, comparison=str(DEMO / "nesbyen"))
        shutil.copytree(demo_out / "evidence", project / "evidence")
    result = cli("analyse", "--project", str(project), "--followup", str(DEMO / "gol" / "followup.csv"),
                 "--out", str(tmp_path / "out"), "--format", "none")
    assert result.returncode == 0, result.stderr
    demo = read_json(demo_out / "gol" / "results.json")
    analysed = read_json(tmp_path / "out" / "results.json")

    # the figures named in the finding, one by one, so a failure says which one moved
    assert [m["id"] for m in analysed["measures"]] == [m["id"] for m in demo["measures"]]
    demo_pilot, = demo["comparison"]["pilots"]
    pilot, = analysed["comparison"]["pilots"]
    assert demo_pilot["method"] == "difference_in_differences"
    assert (pilot["method"], pilot["estimate"], pilot["ci_low"], pilot["ci_high"]) == \
        (demo_pilot["method"], demo_pilot["estimate"], demo_pilot["ci_low"], demo_pilot["ci_high"])
    assert analysed["mode_share"] == demo["mode_share"]
    # and every other figure of results.json and comparison.json
    assert without_evidence_files(analysed) == without_evidence_files(demo)
    assert read_json(tmp_path / "out" / "comparison.json") == read_json(demo_out / "gol" / "comparison.json")


def test_a_project_run_of_the_shipped_folder_finds_its_comparison_municipality_beside_it(demo_out: Path) -> None:
    # surveys/demo/gol says comparison_municipality: '3322'; Nesbyen's project is the folder next to it
    from grontur.pipeline import analyse_file, demo_project

    analysis = analyse_file(project=demo_project("Gol"), formats=())
    assert analysis.comparison is not None
    pilot, = analysis.comparison["pilots"]
    demo_pilot, = read_json(demo_out / "gol" / "comparison.json")["pilots"]
    assert pilot["method"] == "difference_in_differences"
    assert pilot["estimate"] == demo_pilot["estimate"]


@pytest.mark.parametrize("flags", [(), ("--comparison-municipality", str(DEMO / "nesbyen"))],
                         ids=["project-comparison", "flag"])
def test_compare_gives_the_comparison_inside_the_demo(demo_out: Path, tmp_path: Path, flags: tuple[str, ...]) -> None:
    result = cli("compare", str(DEMO / "gol" / "baseline.csv"), str(DEMO / "gol" / "followup.csv"),
                 "--project", str(DEMO / "gol"), "--out", str(tmp_path / "cmp"), *flags)
    assert result.returncode == 0, result.stderr
    assert read_json(tmp_path / "cmp" / "comparison.json") == read_json(demo_out / "gol" / "comparison.json")


def test_analyse_kommune_and_analyse_project_without_pilots_agree(tmp_path: Path) -> None:
    # Flå has no pilot: a project run and a --kommune run with the same settings give the same figures.
    # The demo project also locates its workplaces (home-area maps): figures a --kommune run does not
    # publish, which the publication gate weighs with the rest, so the project here leaves them out.
    import dataclasses

    from grontur.pipeline import analyse_file, demo_project

    project = dataclasses.replace(demo_project("Flå"), workplaces=(), geodata={})
    by_project = analyse_file(project=project, formats=())
    by_kommune = analyse_file(project.survey, municipality="Flå", followup=project.followup, formats=(),
                              run_date=project.run_date)
    assert by_kommune.results["mode_share"] == by_project.results["mode_share"]
    assert by_kommune.comparison is not None and by_project.comparison is not None
    assert by_kommune.comparison["drive_alone_rate"] == by_project.comparison["drive_alone_rate"]


def test_a_comparison_municipality_that_cannot_be_found_is_an_error(tmp_path: Path) -> None:
    from grontur.pipeline import analyse_file

    project = gol_project(tmp_path / "gol", evidence=None, comparison="3322")
    with pytest.raises(ConfigError) as caught:
        analyse_file(project=project, formats=())
    message = str(caught.value)
    assert "comparison_municipality" in message and "Nesbyen (3322)" in message and "grontur.yaml" in message


def test_a_stored_record_of_the_projects_own_pilot_gives_way_to_the_fresh_result(demo_out: Path) -> None:
    # The demo's evidence folder holds Gol's own pilot; a run of Gol that reads it counts that pilot once.
    from grontur import evidence as evidence_mod
    from grontur.pipeline import (
        RunRequest,
        combine_evidence,
        demo_project,
        find_comparison,
        prepare,
    )

    stored = evidence_mod.load_evidence(demo_out / "evidence")
    assert sum(r.municipality_number == "3324" for r in stored) == 1
    project = demo_project("Gol")
    prepared = prepare(RunRequest(project=project, formats=()))
    assert find_comparison(project) is not None
    combined = combine_evidence(stored, prepared.effects)
    assert len(combined) == len(stored)
    gol = [r for r in combined if r.municipality_number == "3324"]
    assert len(gol) == 1 and gol[0].file == "pilot evaluation"


def test_the_project_names_a_missing_evidence_folder(tmp_path: Path) -> None:
    from grontur.config import load_project

    project = gol_project(tmp_path / "gol", evidence=tmp_path / "nowhere", comparison=None)
    with pytest.raises(ConfigError, match="field 'evidence'.*nowhere"):
        load_project(project)
