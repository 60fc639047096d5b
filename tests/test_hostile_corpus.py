"""The hostile corpus (``tests/hostile_corpus.py``): every case refused with one line or read, none
crashed or hung, under a memory cap and a time limit per case.

Each case runs in its own process forked from the test (``resource.setrlimit(RLIMIT_AS)`` caps its
memory, a timer kills it when it hangs), two at a time. The counts are printed (``pytest -s``,
or ``python tests/hostile_corpus.py`` for the whole table) and given in docs/reliability.md.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.hostile_corpus import Outcome, cases, counts, run_corpus

#: Names of the cases that reproduce a row of the table in issue 19.
TABLE = {
    "control_characters_in_workplaces", "tex_like_workplace_label", "init_survey_name_with_hash",
    "init_survey_name_yes", "header_line_20mb", "million_columns_10mb", "columns_50000", "columns_20000",
    "xlsx_full_grid_declared", "xlsx_inflates_1_1_gb", "xlsx_shared_string_huge", "rows_5_million",
    "distance_8000_digits", "distance_16000_digits", "distance_100000_digits", "out_holds_input_import",
    "out_holds_input_analyse", "out_is_symlink", "formula_after_semicolon", "usage_unknown_option",
    "usage_missing_out", "all_cars_electric",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("hostile")
    outcomes = run_corpus(root, jobs=2)
    print("\nhostile corpus:", ", ".join(f"{key}: {value}" for key, value in counts(outcomes).items()))
    return root, {o.name: o for o in outcomes}


def test_the_corpus_holds_sixty_cases_and_the_issue_table() -> None:
    names = [case.name for case in cases()]
    assert len(names) == len(set(names)) >= 60
    assert {case.name for case in cases() if case.table} == TABLE
    assert {case.expect for case in cases()} == {"read", "refused"}


def test_no_case_crashes_hangs_or_ends_otherwise_than_expected(corpus: tuple[Path, dict[str, Outcome]]) -> None:
    _, outcomes = corpus
    summary = counts(list(outcomes.values()))
    assert summary["crashed"] == 0 and summary["hung"] == 0
    wrong = {name: (o.status, o.detail) for name, o in outcomes.items() if o.status != o.expect}
    assert wrong == {}
    assert summary["tried"] == summary["refused cleanly"] + summary["read correctly"] >= 60


def test_what_was_read_is_right(corpus: tuple[Path, dict[str, Outcome]]) -> None:
    """A read case is read correctly: the right rows, nothing unsafe written, the secret not read."""
    root, _ = corpus
    # control characters removed where XML forbids them (DOCX and XLSX), the workplaces still shown
    out = root / "control_characters_in_workplaces" / "out"
    for name in ("report.docx", "measures.xlsx"):
        with zipfile.ZipFile(out / name) as archive:
            xml = b"".join(archive.read(member) for member in archive.namelist() if member.endswith(".xml"))
        assert not any(ch in xml for ch in (b"\x0b", b"\x01", b"\x1b")), name
        assert b"Hall[31men" in xml, name  # the escape removed, the name kept
    # the huge distances are read as numbers far out of range: every row accounted for
    for name in ("distance_100000_digits", "distance_1mb_digits", "distance_digits_then_letters"):
        cleaned = (root / name / "out" / "cleaned.csv").read_text(encoding="utf-8-sig")
        quarantine = (root / name / "out" / "quarantine.csv").read_text(encoding="utf-8-sig")
        assert len(cleaned.splitlines()) - 1 + max(len(quarantine.splitlines()) - 1, 0) == 60
        assert "7" * 1000 not in cleaned
    # a formula after a semicolon is defused in cleaned.csv
    cleaned = (root / "formula_after_semicolon" / "out" / "cleaned.csv").read_text(encoding="utf-8-sig")
    assert ";=1+1" not in cleaned
    # the symlinked --out: the files are where the link points
    assert (root / "out_is_symlink" / "elsewhere" / "cleaned.csv").is_file()
    # grontur init wrote the survey's name so that it reads back as written
    import yaml

    for name, survey in (("init_survey_name_with_hash", "svar #2.csv"), ("init_survey_name_yes", "yes")):
        project = yaml.safe_load((root / name / "project" / "grontur.yaml").read_text(encoding="utf-8"))
        assert Path(str(project["survey"])).name == survey
    # the external entity was not read into anything
    for path in (root / "xlsx_external_entity").rglob("*"):
        if path.is_file() and path.name != "secret.txt":
            assert b"TOPSECRET" not in path.read_bytes(), path
