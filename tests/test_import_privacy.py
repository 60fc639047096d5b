"""The import writes no identifier anywhere, and honours k for every quasi-identifying column.

``data/privacy/planted_identifiers.csv`` (standard question texts, nynorsk) holds phone numbers
in Norwegian forms, national identity numbers with and without a space, dates of birth in three
forms, an e-mail address and a name, each typed once into the postcode, age, distance and job
group answers of twelve kept rows, and three of them into a row that is set aside.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from grontur.cli import main
from grontur.importing import import_survey
from grontur.pipeline import analyse_file
from tests.test_privacy_audit import texts_of

PLANTED_FILE = Path(__file__).parent / "data" / "privacy" / "planted_identifiers.csv"
PLANTED = ("9123 4567", "91234567", "912 34 567", "+47 912 34 567", "0047 91234567", "12037512345",
           "120375 12345", "12.03.1975", "12/03/75", "1975-03-12", "kari.nordmann@example.no", "Kari Nordmann")
PLACEHOLDERS = ("<phone number removed>", "<national identity number removed>", "<date of birth removed>",
                "<e-mail address removed>", "<name removed>")


def _digit_runs(value: str) -> set[str]:
    """The planted value's digits as a whole, and each run of four or more digits in it."""
    runs = {run for run in re.findall(r"\d+", value) if len(run) >= 4}
    digits = "".join(re.findall(r"\d", value))
    return runs | ({digits} if digits else set())


def _leaks(text: str) -> list[str]:
    found = [value for value in PLANTED if value.casefold() in text.casefold()]
    for value in PLANTED:
        for run in _digit_runs(value):
            # not inside a longer number or a hex pseudonym
            if re.search(rf"(?<![0-9a-f]){run}(?![0-9a-f])", text):
                found.append(f"{value} ({run})")
    return found


def test_the_plants_are_in_the_file() -> None:
    text = PLANTED_FILE.read_text(encoding="utf-8")
    assert all(value in text for value in PLANTED)
    frame = pd.read_csv(PLANTED_FILE, dtype=str)
    # every value in each of postcode, age, distance and job group
    for column in (3, 4, 2, 5):
        assert set(frame.iloc[:12, column]) == set(PLANTED)


def test_library_import_shows_placeholders_not_identifiers() -> None:
    result = import_survey(PLANTED_FILE, municipality="3324", salt="s")
    assert result.account == {"input_rows": 21, "kept": 20, "quarantined": 1}
    outputs = {
        "cleaned": result.cleaned_table().to_csv(index=False),
        "quality": result.issues.to_csv(index=False),
        "quarantine": result.quarantine.to_csv(index=False),
        "mapping_report": json.dumps(result.as_dict(), ensure_ascii=False),
        "summary": "\n".join(line for lang in ("nn", "nb", "en") for line in result.summary(lang)),
    }
    assert {name: _leaks(text) for name, text in outputs.items()} == {name: [] for name in outputs}
    shown = set(result.issues["raw_value"])
    assert set(PLACEHOLDERS) <= shown
    # each planted cell of a kept row is reported, in the column it was typed into
    planted_cells = result.issues[result.issues["raw_value"].isin(PLACEHOLDERS) & (result.issues["source_row"] <= 12)]
    counts = planted_cells.groupby("column").size().to_dict()
    assert counts == {"age_band": 12, "distance_km": 12, "home_postcode": 12, "job_group": 12}


def test_cli_import_writes_no_identifier_in_any_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["import", str(PLANTED_FILE), "--out", str(out), "--kommune", "Gol", "--salt", "s", "--lang", "nn"])
    assert code == 0
    printed = capsys.readouterr()
    assert _leaks(printed.out + printed.err) == []
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert [p.name for p in written] == ["cleaned.csv", "mapping_report.json", "quality.csv", "quarantine.csv"]
    assert {p.name: _leaks(p.read_text(encoding="utf-8-sig")) for p in written} == {p.name: [] for p in written}
    quality = (out / "quality.csv").read_text(encoding="utf-8-sig")
    assert all(placeholder in quality for placeholder in PLACEHOLDERS)


def test_analyse_writes_no_identifier_in_any_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse_file(PLANTED_FILE, municipality="Gol", out_dir=out, formats=("html", "docx", "xlsx"))
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        for where, text in texts_of(path):
            found += [(where, leak) for leak in _leaks(text)]
    assert found == []
    quality = (out / "quality.csv").read_text(encoding="utf-8-sig")
    assert "<phone number removed>" in quality and "<date of birth removed>" in quality


# ---------------------------------------------------------------------------------------------
# k in cleaned.csv

def _canonical(tmp_path: Path, columns: dict[str, list], name: str = "canonical.csv") -> Path:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"respondent_id": [f"{i:016x}" for i in range(1, n + 1)], "mode_summer": ["car_alone"] * n,
                          **columns})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _by_column(quality: pd.DataFrame, problem: str) -> dict[str, int]:
    return quality[quality["problem"] == problem].groupby("column").size().to_dict()


def test_k_10_generalises_a_workplace_of_7_and_a_postcode_of_8(tmp_path: Path) -> None:
    path = _canonical(tmp_path, {
        "workplace": ["Rådhuset"] * 13 + ["Brannstasjonen"] * 7,
        "home_postcode": ["3550"] * 12 + ["3580"] * 8,
        "job_group": ["school"] * 20, "age_band": ["30_44"] * 20,
    })
    out = tmp_path / "out"
    assert main(["import", str(path), "--out", str(out), "--kommune", "Gol", "--k", "10"]) == 0
    cleaned = pd.read_csv(out / "cleaned.csv", dtype=str)
    assert cleaned["workplace"].fillna("").tolist() == ["Rådhuset"] * 13 + [""] * 7
    assert cleaned["home_postcode"].fillna("").tolist() == ["3550"] * 12 + [""] * 8
    quality = pd.read_csv(out / "quality.csv", dtype={"source_row": int})
    assert _by_column(quality, "rare_value_generalised") == {"workplace": 7, "home_postcode": 8}
    assert "Brannstasjonen" not in (out / "quality.csv").read_text(encoding="utf-8-sig")
    report = json.loads((out / "mapping_report.json").read_text(encoding="utf-8"))
    assert report["privacy"]["generalised"] == {"workplace": 7, "home_postcode": 8}
    # at the default k both are kept
    default = import_survey(path, municipality="3324")
    assert default.cleaned_table()["workplace"].notna().all() and default.cleaned_table()["home_postcode"].notna().all()


def test_analyse_with_k_10_generalises_cleaned_csv_but_analyses_the_full_table(tmp_path: Path) -> None:
    path = _canonical(tmp_path, {
        "workplace": ["Rådhuset"] * 13 + ["Brannstasjonen"] * 7,
        "home_postcode": ["3550"] * 12 + ["3580"] * 8,
        "job_group": ["school"] * 14 + ["health_care"] * 6, "age_band": ["30_44"] * 11 + ["45_59"] * 9,
    })
    out = tmp_path / "out"
    analysis = analyse_file(path, municipality="Gol", k=10, out_dir=out, formats=())
    cleaned = pd.read_csv(out / "cleaned.csv", dtype=str)
    for column, rare in (("workplace", "Brannstasjonen"), ("home_postcode", "3580"), ("job_group", "health_care"),
                         ("age_band", "45_59")):
        assert rare not in set(cleaned[column].dropna()), column
    quality = pd.read_csv(out / "quality.csv")
    assert _by_column(quality, "rare_value_generalised") == {"workplace": 7, "home_postcode": 8, "job_group": 6,
                                                             "age_band": 9}
    assert analysis.results["quality"]["by_problem"]["rare_value_generalised"] == 30
    # the analysis itself still sees the values (postcodes are needed for distance estimates)
    assert (analysis.table["home_postcode"] == "3580").sum() == 8


def test_rare_workplaces_are_counted_on_kept_rows(tmp_path: Path) -> None:
    """6 rows name "Skulen", 2 of them later copies of another's id: 4 kept people, fewer than k = 5."""
    n = 16
    path = _canonical(tmp_path, {"workplace": ["Rådhuset"] * 10 + ["Skulen"] * 6, "distance_km": list(range(1, n + 1))})
    frame = pd.read_csv(path, dtype=str)
    frame.loc[14:15, "respondent_id"] = frame.loc[10:11, "respondent_id"].to_numpy()  # rows 15, 16 repeat 11, 12
    frame.to_csv(path, index=False)
    result = import_survey(path, municipality="3324")  # k = 5
    assert result.quarantine.to_dict("records") == [{"source_row": 15, "reason": "duplicate_id", "copy_of": 11},
                                                    {"source_row": 16, "reason": "duplicate_id", "copy_of": 12}]
    assert "Skulen" not in set(result.cleaned_table()["workplace"].dropna())
    assert "Skulen" not in set(result.table["workplace"].dropna())
    rare = result.issues[(result.issues["column"] == "workplace")]
    assert rare["source_row"].tolist() == [11, 12, 13, 14]


def test_uniqueness_on_postcode_job_group_shift_and_age_is_reported(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # rows (postcode, job group, shift, age band); at k = 5 postcodes 3560 and 3570, health_care,
    # 45_59 and u30 are generalised, leaving
    #   1-5 (3550, school, no, 30_44)  6-7 (3550, school, yes, 30_44)  8 (3550, -, no, -)
    #   9-10 (-, school, no, 30_44)    11 (-, school, no, -)  12 (3550, school, no, -)  13 (-, school, no, -)
    # so rows 8 and 12 are unique (11 and 13 share a combination once generalised): 2 of 13.
    path = _canonical(tmp_path, {
        "home_postcode": ["3550"] * 8 + ["3560"] * 3 + ["3550", "3570"],
        "job_group": ["school"] * 7 + ["health_care"] + ["school"] * 5,
        "shift_work": ["false"] * 5 + ["true"] * 2 + ["false"] * 6,
        "age_band": ["30_44"] * 7 + ["45_59", "30_44", "30_44", "u30", "45_59", "u30"],
    })
    result = import_survey(path, municipality="3324", k=5)
    assert result.privacy()["unique_rows"] == 2
    assert result.privacy()["unique_on"] == ["home_postcode", "job_group", "shift_work", "age_band"]
    assert "2 rows of 13 in cleaned.csv are unique on postcode, job group, shift work, age band" in result.summary("en")[-1]
    assert result.summary("nn")[-1].startswith("2 rader av 13 i cleaned.csv er unike på postnummer")
    out = tmp_path / "out"
    assert main(["import", str(path), "--out", str(out), "--kommune", "Gol", "--lang", "nb"]) == 0
    assert "2 rader av 13 i cleaned.csv er unike" in capsys.readouterr().out
    report = json.loads((out / "mapping_report.json").read_text(encoding="utf-8"))
    assert report["privacy"]["unique_rows"] == 2


def test_import_refuses_k_below_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _canonical(tmp_path, {"home_postcode": ["3550"] * 5})
    assert main(["import", str(path), "--out", str(tmp_path / "out"), "--k", "3"]) == 2
    assert "--k: the privacy threshold k must be a whole number of 5 or higher" in capsys.readouterr().err
