"""Many municipalities in one survey: splitting, per-municipality results, workers, the CLI path."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from grontur.commands.analyse import command as analyse_command
from grontur.config import project_for
from grontur.errors import GronturError
from grontur.importing import import_survey
from grontur.pipeline import analyse_imported, analyse_many
from grontur.resources import data_path

RUN_DATE = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def two_municipalities():
    """Gol's and Ål's demo baselines in one table, plus three rows without a municipality."""
    gol = import_survey(data_path("surveys", "demo", "gol", "baseline.csv"), municipality="3324").table
    al = import_survey(data_path("surveys", "demo", "al", "baseline.csv"), municipality="3328").table
    table = pd.concat([gol, al], ignore_index=True)
    table["source_row"] = np.arange(1, len(table) + 1)
    table.loc[[0, 1, len(gol)], "municipality"] = None
    return table, len(gol), len(al)


@pytest.fixture(scope="module")
def analysed(two_municipalities):
    return analyse_many(two_municipalities[0], jobs=1, run_date=RUN_DATE)


def test_every_municipality_gets_its_own_rows(two_municipalities, analysed):
    _, n_gol, n_al = two_municipalities
    many = analysed
    assert sorted(many.results) == ["3324", "3328"]
    assert many.unassigned == 3
    # counted by hand from the construction: two Gol rows and one Ål row lost their municipality
    assert many.results["3324"]["respondents"]["kept"] == n_gol - 2
    assert many.results["3328"]["respondents"]["kept"] == n_al - 1
    assert many.results["3328"]["municipality"]["name"] == "Ål"
    assert many.failed == {}
    assert many.as_dict()["unassigned_rows"] == 3


def test_results_equal_a_separate_analysis(two_municipalities, analysed):
    table, _, _ = two_municipalities
    many = analysed
    gol = table[table["municipality"] == "3324"]
    # the car-alone share in summer, computed here from the rows themselves
    modes = gol["mode_summer"].dropna().astype(str)
    expected = (modes == "car_alone").sum() / len(modes)
    assert many.results["3324"]["mode_share"]["summer"]["car_alone"] == pytest.approx(expected)
    alone = analyse_imported(_imported(gol), project=project_for("3324").with_overrides(run_date=RUN_DATE))
    assert [m["id"] for m in many.results["3324"]["measures"]] == [m["id"] for m in alone.results["measures"]]


def test_two_workers_give_the_same_results(two_municipalities, analysed):
    table, _, _ = two_municipalities
    one = analysed
    names = []
    two = analyse_many(table, jobs=2, run_date=RUN_DATE, progress=names.append)
    assert sorted(names) == ["Gol", "Ål"]
    assert json.dumps(one.results, sort_keys=True) == json.dumps(two.results, sort_keys=True)
    assert set(two.seconds) == {"3324", "3328"}


def test_issues_follow_their_rows(tmp_path):
    survey = tmp_path / "two.csv"
    survey.write_text(
        "municipality,mode_summer,mode_winter,distance_km\n"
        + "".join(f"3324,car_alone,car_alone,{d}\n" for d in range(1, 7))
        + "3328,car_alone,car_alone,999\n"  # out of range: an issue of Ål's row
        + "".join(f"3328,bike,bike,{d}\n" for d in range(1, 6)),
        encoding="utf-8",
    )
    imported = import_survey(survey)
    many_issues = imported.issues[imported.issues["column"] == "distance_km"]
    assert len(many_issues) == 1
    many = analyse_many(imported, jobs=1, run_date=RUN_DATE)
    assert many.results["3328"]["quality"]["problems"] >= 1
    assert many.results["3324"]["quality"]["problems"] == 0


def test_no_municipality_column_says_what_to_do():
    table = pd.DataFrame({"mode_summer": ["car_alone"] * 6, "distance_km": [3.0] * 6})
    with pytest.raises(GronturError, match="municipality"):
        analyse_many(table, jobs=1)


def test_cli_all_municipalities_writes_a_folder_each(tmp_path):
    survey = tmp_path / "national.csv"
    rows = [f"{number},{mode},{mode},{d}" for number in ("3324", "0301") for mode, d in
            (("car_alone", 4), ("bike", 2), ("walk", 1), ("car_alone", 12), ("bus", 8), ("car_alone", 7))]
    survey.write_text("municipality,mode_summer,mode_winter,distance_km\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(analyse_command, [str(survey), "--all-municipalities", "--out", str(out),
                                                  "--format", "none", "--jobs", "1", "--run-date", "2026-11-29"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["0301-oslo", "3324-gol", "municipalities.json"]
    results = json.loads((out / "3324-gol" / "results.json").read_text(encoding="utf-8"))
    assert results["respondents"]["kept"] == 6
    overview = json.loads((out / "municipalities.json").read_text(encoding="utf-8"))
    assert overview["analysed"] == ["0301", "3324"]
    assert overview["folders"] == {"0301": "0301-oslo", "3324": "3324-gol"}
    assert overview["respondents"] == {"0301": 6, "3324": 6}
    assert overview["account"] == {"input_rows": 12, "kept": 12, "quarantined": 0}
    assert "2" in result.output


def _imported(table: pd.DataFrame):
    from grontur.pipeline import _as_imported

    return _as_imported(table)


def test_catalogue_and_evidence_are_loaded_once(two_municipalities, monkeypatch):
    from grontur import catalogue as catalogue_mod
    from grontur import evidence as evidence_mod

    calls = {"catalogue": 0, "evidence": 0}
    load_catalogue, load_evidence = catalogue_mod.load_catalogue, evidence_mod.load_evidence

    def counted_catalogue(*args, **kwargs):
        calls["catalogue"] += 1
        return load_catalogue(*args, **kwargs)

    def counted_evidence(*args, **kwargs):
        calls["evidence"] += 1
        return load_evidence(*args, **kwargs)

    monkeypatch.setattr(catalogue_mod, "load_catalogue", counted_catalogue)
    monkeypatch.setattr(evidence_mod, "load_evidence", counted_evidence)
    many = analyse_many(two_municipalities[0], jobs=1, run_date=RUN_DATE)
    assert len(many.results) == 2
    assert calls == {"catalogue": 1, "evidence": 1}


def test_a_municipalitys_rows_are_taken_only_when_it_is_handed_out(two_municipalities, monkeypatch):
    """The parent does not hold every municipality's rows a second time while the workers run:
    with two workers, at most four municipalities are handed out before the first one is done."""
    from grontur import pipeline

    table = two_municipalities[0].dropna(subset=["municipality"]).reset_index(drop=True)
    hallingdal = ["3320", "3322", "3324", "3326", "3328", "3330"]
    table["municipality"] = [hallingdal[i % 6] for i in range(len(table))]
    finished: list[str] = []
    finished_when_taken: list[int] = []
    take = pipeline._municipality_part

    def counted(*args, **kwargs):
        finished_when_taken.append(len(finished))
        return take(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_municipality_part", counted)
    many = analyse_many(table, jobs=2, run_date=RUN_DATE, progress=finished.append)
    assert len(many.results) == 6 and len(finished) == 6
    assert finished_when_taken[:4] == [0, 0, 0, 0]
    assert all(done >= 1 for done in finished_when_taken[4:]) and len(finished_when_taken) == 6


def test_an_analysis_runs_its_stages_on_one_blas_thread(two_municipalities, monkeypatch):
    """The stages' matrices are small: BLAS threads that wait for work cost more than they give,
    so an analysis limits BLAS to one thread for every stage (here seen from the ranking's)."""
    from threadpoolctl import threadpool_info

    from grontur import rank

    table, _, _ = two_municipalities
    seen: list[list[int]] = []
    ranking = rank.rank_measures

    def noting(*args, **kwargs):
        seen.append([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"])
        return ranking(*args, **kwargs)

    monkeypatch.setattr(rank, "rank_measures", noting)
    gol = table[table["municipality"] == "3324"]
    analyse_imported(_imported(gol), project=project_for("3324").with_overrides(run_date=RUN_DATE), draw_figures=False)
    assert seen and seen[0] and all(n == 1 for n in seen[0])


def test_each_municipalitys_freed_memory_is_given_back_before_the_next(two_municipalities, monkeypatch):
    """A worker returns the heap pages an analysis freed (glibc's malloc_trim) after each
    municipality, so that it does not keep the largest municipality's high-water mark for the
    rest of a national run."""
    import platform

    from grontur import pipeline

    if platform.libc_ver()[0] == "glibc":
        assert pipeline._malloc_trim() is not None  # glibc has malloc_trim
    given_back: list[int] = []
    monkeypatch.setattr(pipeline, "_give_back_freed_memory", lambda: given_back.append(1))
    many = analyse_many(two_municipalities[0], jobs=1, run_date=RUN_DATE)
    assert len(given_back) == len(many.results) == 2
