from __future__ import annotations

import pandas as pd
import pytest

from grontur.outputs import staged_folder, write_csv, write_json


def test_staged_folder_moves_files_into_place(tmp_path):
    target = tmp_path / "out"
    with staged_folder(target) as staging:
        write_json({"a": 1}, staging / "results.json")
        (staging / "sub").mkdir()
        (staging / "sub" / "x.txt").write_text("x")
    assert (target / "results.json").read_text() == '{\n  "a": 1\n}\n'
    assert (target / "sub" / "x.txt").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_part_way_leaves_previous_outputs_intact(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "report.html").write_text("previous report")
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "report.html").write_text("half a new rep")
        raise RuntimeError("injected failure while rendering")
    assert (target / "report.html").read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        write_json({"share": float("nan")}, tmp_path / "x.json")


def test_csv_is_excel_friendly_and_stable(tmp_path):
    frame = pd.DataFrame({"kommune": ["Ål", "Flå"], "n": [1, 2]})
    first = write_csv(frame, tmp_path / "a.csv").read_bytes()
    second = write_csv(frame, tmp_path / "b.csv").read_bytes()
    assert first == second
    assert first.startswith(b"\xef\xbb\xbf")
    assert "Ål" in first.decode("utf-8-sig")


def test_rerun_removes_outputs_the_new_run_does_not_write(tmp_path):
    import dataclasses

    from grontur.pipeline import analyse_file, demo_project

    project = demo_project("Flå")
    out = tmp_path / "out"
    analyse_file(project=project, out_dir=out, formats=("html",))
    assert (out / "comparison.json").is_file() and (out / "report.html").is_file()
    (out / "notes.txt").write_text("the user's own file")
    analyse_file(project=dataclasses.replace(project, followup=None), out_dir=out, formats=())
    assert (out / "results.json").is_file()
    assert not (out / "comparison.json").exists()
    assert not (out / "report.html").exists()
    assert (out / "notes.txt").read_text() == "the user's own file"
