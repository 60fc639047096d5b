"""An output set is replaced whole or not at all, one run per folder, never over an input (issue 19).

The kill test writes sets in a child process slowed down on purpose (a pause after each file and
before each rename) and kills it with SIGKILL at random moments: after every kill the target holds
exactly one complete set, the previous or the new one. Leftovers of killed runs are removed by the
next run; a second run on a locked folder is refused with one line naming the holder.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from grontur import outputs
from grontur.cli import main
from grontur.errors import OutputError
from grontur.outputs import staged_folder
from tests.test_privacy_audit import planted_rows, write_export

NAMES = ("cleaned.csv", "quality.csv", "report.html", "results.json", "measures.xlsx")
DELAY = 0.02
FORK = multiprocessing.get_context("fork")


def _slow(function: Any) -> Any:
    def slowed(*args: Any, **kwargs: Any) -> Any:
        time.sleep(DELAY)
        return function(*args, **kwargs)
    return slowed


def _write_set(target: Path, label: str, hold: Any = None, slow: bool = True) -> None:
    """Child process: write one set, each file holding ``label``, slowly."""
    if slow:
        os.rename, os.replace = _slow(os.rename), _slow(os.replace)  # type: ignore[assignment]
        if hasattr(outputs, "_exchange"):
            outputs._exchange = _slow(outputs._exchange)  # type: ignore[assignment]
    with staged_folder(target) as staging:
        for name in NAMES:
            (staging / name).write_text(label, encoding="utf-8")
            time.sleep(DELAY)
        if hold is not None:
            hold.set()
            time.sleep(60)


def _set_label(target: Path) -> str:
    """The label of the one complete set in ``target``; fails on a mix, a missing file or an extra one."""
    assert target.is_dir(), "the target folder is missing"
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)
    labels = {(target / name).read_text(encoding="utf-8") for name in NAMES}
    assert len(labels) == 1, f"a mixed set: {sorted(labels)}"
    return labels.pop()


def test_a_killed_run_leaves_the_old_set_or_the_new_one_never_a_mix(tmp_path: Path) -> None:
    target = tmp_path / "res"
    started = time.monotonic()
    calibration = FORK.Process(target=_write_set, args=(target, "round 0"))
    calibration.start()
    calibration.join()
    duration = time.monotonic() - started  # a whole slowed run, from the start of the process
    assert _set_label(target) == "round 0"
    rng = random.Random(19)
    current, outcomes, leftovers = "round 0", {"old": 0, "new": 0}, 0
    rounds = 12
    for round_ in range(1, rounds + 1):
        label = f"round {round_}"
        child = FORK.Process(target=_write_set, args=(target, label))
        child.start()
        time.sleep(rng.uniform(0.3, 1.3) * duration)
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        found = _set_label(target)
        assert found in (current, label)
        outcomes["old" if found == current else "new"] += 1
        current = found
        leftovers += any(".grontur-" in p.name for p in tmp_path.iterdir())
    assert time.monotonic() - started < 10
    # Both outcomes occurred (the kills landed before and after the switch).
    assert outcomes["old"] >= 1 and outcomes["new"] >= 1, outcomes
    _write_set(target, "final", slow=False)
    assert _set_label(target) == "final"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"], "leftovers of killed runs remain"


def test_a_second_run_on_the_same_out_is_refused_with_one_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    survey = write_export(tmp_path / "survey.csv", planted_rows())
    target = tmp_path / "res"
    hold = FORK.Event()
    child = FORK.Process(target=_write_set, args=(target, "first", hold, False))
    child.start()
    try:
        assert hold.wait(20)
        code = main(["import", str(survey), "--out", str(target), "--kommune", "Gol"])
        err = capsys.readouterr().err
        assert code == 2
        assert len(err.strip().splitlines()) == 1
        assert f"process {child.pid}" in err and str(target) in err
        with pytest.raises(OutputError, match=f"process {child.pid}"), staged_folder(target):
            pass
    finally:
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
    assert not target.exists()  # the refused run wrote nothing; the killed one switched nothing in


def test_leftovers_of_killed_runs_are_removed_but_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "res"
    ours = tmp_path / ".res.grontur-staging-999-abcd"
    ours.mkdir()
    (ours / "cleaned.csv").write_text("half")
    (tmp_path / ".res.grontur-staging-999-abcd.marker").write_text("999\n")
    not_ours = tmp_path / ".res.grontur-staging-998-user"  # no marker: not known to be ours
    not_ours.mkdir()
    other = tmp_path / ".other.grontur-staging-1-x"  # another target's
    other.mkdir()
    (tmp_path / ".other.grontur-staging-1-x.marker").write_text("1\n")
    _write_set(target, "new", slow=False)
    assert _set_label(target) == "new"
    assert not ours.exists() and not (tmp_path / ".res.grontur-staging-999-abcd.marker").exists()
    assert not_ours.is_dir() and other.is_dir()


def _crash_between_renames(target: Path) -> None:
    """Child: no atomic exchange; die (as if killed) right after the old set was renamed aside."""
    real_rename = os.rename

    def rename(source: Any, destination: Any) -> None:
        real_rename(source, destination)
        if Path(source) == target:
            os._exit(9)

    outputs._exchange = lambda first, second: False  # type: ignore[assignment]
    os.rename = rename  # type: ignore[assignment]
    _write_set(target, "new", slow=False)


def test_without_exchange_a_set_renamed_aside_is_put_back_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "res"
    _write_set(target, "old", slow=False)
    child = FORK.Process(target=_crash_between_renames, args=(target,))
    child.start()
    child.join()
    assert child.exitcode == 9 and not target.exists()
    with pytest.raises(RuntimeError), staged_folder(target):
        raise RuntimeError("this run fails too")
    assert _set_label(target) == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_without_exchange_the_set_is_switched_by_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "_exchange", lambda first, second: False)
    target = tmp_path / "res"
    _write_set(target, "old", slow=False)
    _write_set(target, "new", slow=False)
    assert _set_label(target) == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_a_mount_point_gets_a_current_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "volume"
    target.mkdir()
    (target / "notes.txt").write_text("the user's own file")
    monkeypatch.setattr(outputs, "_is_mount_point", lambda folder: folder == target)
    _write_set(target, "old", slow=False)
    _write_set(target, "new", slow=False)
    assert outputs.output_folder(target) == target / "current"
    assert (target / "current").is_symlink()
    assert _set_label(target / "current") == "new"
    assert (target / "notes.txt").read_text() == "the user's own file"
    sets = [p.name for p in target.iterdir() if p.name not in ("current", "notes.txt")]
    assert sets == [os.readlink(target / "current")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["volume"]


def test_out_that_holds_the_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    survey = write_export(tmp_path / "survey.csv", planted_rows())
    results = tmp_path / "r"
    assert main(["import", str(survey), "--out", str(results), "--kommune", "Gol"]) == 0
    cleaned = results / "cleaned.csv"
    before = cleaned.read_bytes()
    capsys.readouterr()
    for argv in (["import", str(cleaned), "--kommune", "Gol", "--out", str(results)],
                 ["analyse", str(cleaned), "--kommune", "Gol", "--out", str(results), "--format", "none"],
                 ["analyse", str(cleaned), "--kommune", "Gol", "--out", str(tmp_path), "--format", "none"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "cleaned.csv" in err and "--out" in err
    assert cleaned.read_bytes() == before
    assert sorted(p.name for p in results.iterdir()) == ["cleaned.csv", "mapping_report.json", "quality.csv",
                                                         "quarantine.csv"]


def test_a_symlinked_out_is_followed_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    survey = write_export(tmp_path / "survey.csv", planted_rows())
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert main(["import", str(survey), "--out", str(link), "--kommune", "Gol", "--lang", "nn"]) == 0
    err = capsys.readouterr().err
    assert f"--out {link} er ei symbolsk lenkje" in err and str(real) in err
    assert link.is_symlink() and (real / "cleaned.csv").is_file()


@pytest.mark.parametrize(("lang", "words"), [("nn", "manglar"), ("nb", "mangler"), ("en", "is missing")])
def test_usage_errors_are_one_line_in_the_run_language(lang: str, words: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "survey.csv", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "'--out'" in err and "Usage:" not in err
    assert main(["analyse", "--out", "x", "--bogus", f"--lang={lang}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--bogus" in err and "Try" not in err
    assert main(["analyse", "--out", "x", "--k", "many", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--k" in err and "many" in err
