"""The secret pseudonym key: random, kept where the next wave finds it, never derived from public values."""

from __future__ import annotations

import hashlib
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from grontur.cli import main
from grontur.config import load_project
from grontur.errors import ConfigError
from grontur.i18n import t
from grontur.keys import data_home
from grontur.pipeline import analyse_file, demo_project, import_for_project
from grontur.privacy import pseudonymise
from grontur.resources import data_path

GOL = data_path("surveys", "demo", "gol")
PANEL = "Anonym svarkode"


def _project(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True)
    for name in ("baseline.csv", "followup.csv"):
        shutil.copy(GOL / name, folder / name)
    (folder / "grontur.yaml").write_text(
        f'municipality: Gol\nsurvey: baseline.csv\nfollowup: followup.csv\nwave: "2025-03"\nfollowup_wave: "2026-03"\n{extra}',
        encoding="utf-8")
    return folder


def _by_panel_code(imported, path: Path) -> pd.Series:
    """Pseudonym per raw panel code (upper case) of the rows kept by an import."""
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    table = imported.table
    panel = table[table["respondent_id_source"] == "panel_code"]
    codes = raw[PANEL].str.strip().str.upper().to_numpy()[panel["source_row"].to_numpy() - 1]
    return pd.Series(panel["respondent_id"].to_numpy(), index=codes)


def test_a_project_without_salt_gets_a_random_key_kept_with_its_first_outputs(tmp_path: Path) -> None:
    first = load_project(_project(tmp_path / "a"))
    second = load_project(_project(tmp_path / "b"))
    key_file = tmp_path / "a" / ".grontur" / "secret.key"
    assert first.key_file == key_file
    assert len(first.salt) == 64 and first.salt != second.salt  # random, so two new projects differ
    # Never derived from public values, as the old default was (municipality number and folder).
    derived = hashlib.sha256(f"grontur:3324:{(tmp_path / 'a').resolve()}".encode()).hexdigest()[:16]
    assert derived not in first.salt
    assert load_project(tmp_path / "a").salt == first.salt
    assert not key_file.exists()  # nothing is written into the project before it publishes
    analyse_file(project=first, out_dir=tmp_path / "out", formats=())
    assert key_file.read_text().strip() == first.salt
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "a" / ".grontur" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert load_project(tmp_path / "a").salt == first.salt  # found again by the next wave


def test_panel_codes_pair_across_the_waves_of_one_project_and_not_across_projects(tmp_path: Path) -> None:
    one = load_project(_project(tmp_path / "one"))
    other = load_project(_project(tmp_path / "other"))
    baseline = _by_panel_code(import_for_project(one.survey, project=one), one.survey)
    followup = _by_panel_code(import_for_project(one.followup, project=one, wave=one.followup_wave), one.followup)
    elsewhere = _by_panel_code(import_for_project(other.survey, project=other), other.survey)
    both = baseline.index.intersection(followup.index)
    assert len(both) > 100
    assert (baseline[both].to_numpy() == followup[both].to_numpy()).all()
    assert not set(baseline.to_numpy()) & set(elsewhere.to_numpy())
    code = both[0]
    assert baseline[code] != pseudonymise(pd.Series([code]), "").iloc[0]  # not recomputable without the key


def test_an_explicit_salt_keeps_working_and_makes_no_key_file(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path / "p", "salt: my-secret\n"))
    assert project.salt == "my-secret" and project.key_file is None
    assert not (tmp_path / "p" / ".grontur").exists()
    ids = _by_panel_code(import_for_project(project.survey, project=project), project.survey)
    code = ids.index[0]
    assert ids[code] == pseudonymise(pd.Series([code]), "my-secret").iloc[0]


def test_the_demo_projects_keep_their_fixed_salts() -> None:
    project = demo_project("Gol")
    assert project.salt == "grontur-demo-gol" and project.key_file is None
    assert not (GOL / ".grontur").exists()


def test_analyse_without_a_project_uses_the_users_key_and_names_it(tmp_path: Path, capsys) -> None:
    survey = shutil.copy(GOL / "baseline.csv", tmp_path / "gol.csv")
    assert main(["analyse", str(survey), "--kommune", "Gol", "--out", str(tmp_path / "out"), "--format", "none"]) == 0
    key_file = data_home() / "3324" / "secret.key"
    printed = capsys.readouterr().out
    # said in Gol's nynorsk, the language of the run's report (no --lang)
    assert t("keys.stored", "nn", path=key_file) in printed
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    cleaned = pd.read_csv(tmp_path / "out" / "cleaned.csv", dtype=str)
    raw = pd.read_csv(survey, dtype=str, encoding="utf-8-sig")
    rows = cleaned["respondent_id_source"] == "panel_code"
    codes = raw[PANEL].str.strip().str.upper().to_numpy()[cleaned.loc[rows, "source_row"].astype(int).to_numpy() - 1]
    key = key_file.read_text().strip()
    assert cleaned.loc[rows, "respondent_id"].tolist() == pseudonymise(pd.Series(codes), key).tolist()
    assert not set(cleaned["respondent_id"]) & set(pseudonymise(pd.Series(codes), "").tolist())


def test_a_damaged_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    folder = _project(tmp_path / "p")
    (folder / ".grontur").mkdir()
    (folder / ".grontur" / "secret.key").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="secret.key"):
        load_project(folder)
    assert (folder / ".grontur" / "secret.key").read_text() == "\n"
