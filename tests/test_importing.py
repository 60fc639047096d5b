"""The import entry point and the ``grontur import`` command, end to end."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from grontur.cli import main
from grontur.errors import MissingColumnError
from grontur.importing import import_survey, load_mapping, save_mapping
from grontur.resources import data_path

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).parent / "data" / "broken"
QUESTIONS = {q["column"]: q for q in yaml.safe_load(
    data_path("surveys", "standard", "questionnaire.yaml").read_text(encoding="utf-8"))["questions"]}


def _q(column: str, lang: str = "nn") -> str:
    return QUESTIONS[column]["text"][lang]


def _label(column: str, code: str, lang: str = "nn") -> str:
    return QUESTIONS[column]["options"][code][lang]


def _nettskjema(tmp_path: Path) -> Path:
    rows = {
        "$submission_id": ["9001", "9002", "9003", "9004", "9005"],
        "$created": ["2025-03-03 10:00:00", "2025-03-03 10:05:00", "2025-03-03 11:00:00",
                     "2025-03-03 11:00:47", "2025-03-03 12:00:00"],
        _q("mode_summer"): [_label("mode_summer", "car_alone"), _label("mode_summer", "bike"), "Går", "Går", ""],
        _q("mode_winter"): [_label("mode_winter", "car_alone"), "Kollektivt", "Går", "Går", ""],
        _q("distance_km"): ["12", "2,5", "ca. 1", "ca. 1", ""],
        _q("home_postcode"): ["3550", "301", "3550", "3550", ""],
        _q("would_help"): [
            f"{_label('would_help', 'showers_lockers')}, {_label('would_help', 'drying_room')}",
            _label("would_help", "ebike_pool"), "", "", ""],
        "Anna som ville hjelpt, skriv her": ["", "Ring Kari på 912 34 567", "", "", ""],
        "Har du andre kommentarar?": ["Fin undersøking", "", "kari@example.no", "kari@example.no", ""],
    }
    path = tmp_path / "nettskjema.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_nettskjema_export_imports_with_an_honest_account(tmp_path: Path) -> None:
    path = _nettskjema(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = import_survey(path, municipality="3041", wave="2025-03", salt="s")
    table = result.table
    assert result.account == {"input_rows": 5, "kept": 3, "quarantined": 2}
    assert result.quarantine[["source_row", "reason"]].to_dict("records") == [
        {"source_row": 4, "reason": "duplicate_submission"}, {"source_row": 5, "reason": "no_mode_or_distance"}]
    assert result.quarantine["copy_of"].tolist()[0] == 3  # the row it repeats
    assert table["source_row"].tolist() == [1, 2, 3]
    assert table["mode_summer"].tolist() == ["car_alone", "bike", "walk"]
    assert table["mode_winter"].tolist() == ["car_alone", "bus", "walk"]
    assert table["distance_km"].tolist() == [12.0, 2.5, 1.0]
    assert table["home_postcode"].tolist() == ["3550", "0301", "3550"]
    assert table["would_help"].tolist()[:2] == ["showers_lockers;drying_room", "ebike_pool"]
    assert table["municipality"].unique().tolist() == ["3324"]
    assert table["wave"].unique().tolist() == ["2025-03"]
    dropped = {d["column"]: d["reason"] for d in result.dropped_columns}
    assert dropped == {"$created": "timestamp", "Anna som ville hjelpt, skriv her": "free_text",
                       "Har du andre kommentarar?": "free_text"}
    assert result.mapping_report["dialect"] == "nettskjema"
    # Ids are salted hashes, never the submission ids; nothing identifying anywhere.
    assert not table["respondent_id"].isin(["9001", "9002", "9003"]).any()
    everything = table.to_csv() + result.issues.to_csv() + json.dumps(result.as_dict(), ensure_ascii=False)
    for secret in ("Kari", "912 34", "@", "2025-03-03 10:00", "9001"):
        assert secret not in everything
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_microsoft_forms_excel_in_bokmal(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    header = ["ID", "Start time", "Completion time", "Email", "Name",
              _q("mode_summer", "nb"), _q("mode_winter", "nb"), _q("distance_km", "nb"), _q("barriers", "nb"),
              _q("children_drop_off", "nb")]
    sheet.append(header)
    sheet.append([1, "3/3/25 10:00:00", "3/3/25 10:04:00", "anonymous", "anonymous", "Bil, alene", "Bil, alene", 7,
                  f"{_label('barriers', 'too_far', 'nb')};{_label('barriers', 'darkness', 'nb')};", "Ja"])
    sheet.append([2, "3/3/25 11:00:00", "3/3/25 11:04:00", "anonymous", "anonymous", "Sykler", "Buss", 3.5, "", "Nei"])
    path = tmp_path / "forms.xlsx"
    book.save(path)
    result = import_survey(path)
    assert result.mapping_report["dialect"] == "microsoft_forms"
    assert result.table["mode_summer"].tolist() == ["car_alone", "bike"]
    assert result.table["distance_km"].tolist() == [7.0, 3.5]
    assert result.table["barriers"].tolist()[0] == "too_far;darkness"
    assert result.table["children_drop_off"].tolist() == [True, False]
    assert {d["column"] for d in result.dropped_columns} == {"Start time", "Completion time", "Email", "Name"}


def test_a_cleaned_table_is_read_as_it_is(tmp_path: Path) -> None:
    first = import_survey(_nettskjema(tmp_path), municipality="Gol", wave="2025-03")
    cleaned = tmp_path / "cleaned.csv"
    first.table.to_csv(cleaned, index=False)
    again = import_survey(cleaned)
    assert again.mapping_report["dialect"] == "canonical"
    left = first.table.drop(columns="source_row")
    right = again.table.drop(columns="source_row")
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert again.account == {"input_rows": 3, "kept": 3, "quarantined": 0}


def test_unknown_export_gets_suggestions_and_a_mapping_to_save(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    pd.DataFrame({"How do you get to work?": ["Drove alone", "Bus", "Walk", "Bike", "Drove alone"],
                  "Distance to work (km)": ["3", "12", "0,5", "7", "20"],
                  "Shoe size": ["40", "42", "38", "44", "39"]}).to_csv(path, index=False)
    result = import_survey(path)
    mapped = {item["column"]: (item["target"], item["how"]) for item in result.mapping_report["mapped"]}
    assert mapped["How do you get to work?"] == ("mode", "suggested")
    assert mapped["Distance to work (km)"] == ("distance_km", "suggested")
    assert result.table["mode_winter"].tolist() == ["car_alone", "bus", "walk", "bike", "car_alone"]
    saved = save_mapping(result.mapping, tmp_path / "own.yaml")
    again = import_survey(path, mapping=saved)
    pd.testing.assert_frame_equal(again.table, result.table)
    assert all(item["how"] == "header" for item in again.mapping_report["mapped"])


def test_no_mode_or_distance_is_an_error_naming_the_file() -> None:
    with pytest.raises(MissingColumnError) as caught:
        import_survey(BROKEN / "no_mode_or_distance.xlsx")
    assert "no_mode_or_distance.xlsx" in str(caught.value)
    assert "--mapping" in str(caught.value)


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "binary_garbage.csv", "corrupt.xlsx",
                                  "password_protected.xlsx", "no_responses.xlsx", "no_mode_or_distance.xlsx",
                                  "does_not_exist.csv"])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = BROKEN / name
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    out = tmp_path / "out"
    assert main(["import", str(path), "--out", str(out), "--save-mapping", str(tmp_path / "m.yaml")]) == 2
    error = capsys.readouterr().err.strip()
    assert name in error and error.count("\n") == 0
    assert not out.exists() and not (tmp_path / "m.yaml").exists()
    assert list(tmp_path.iterdir()) == []
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_cli_writes_outputs_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _nettskjema(tmp_path)
    out = tmp_path / "out"
    assert main(["import", str(path), "--out", str(out), "--save-mapping", str(tmp_path / "m.yaml"), "--lang", "nn"]) == 0
    printed = capsys.readouterr().out
    assert "5 lesne, 3 tekne med, 2 sette til side" in printed
    assert "$created" in printed and "eksakt tidspunkt" in printed
    assert sorted(p.name for p in out.iterdir()) == ["cleaned.csv", "mapping_report.json", "quality.csv", "quarantine.csv"]
    quality = pd.read_csv(out / "quality.csv", dtype=str)
    assert list(quality.columns) == ["source_row", "column", "raw_value", "problem", "action"]
    report = json.loads((out / "mapping_report.json").read_text(encoding="utf-8"))
    assert report["account"] == {"input_rows": 5, "kept": 3, "quarantined": 2}
    assert load_mapping(tmp_path / "m.yaml").name == "nettskjema"


DEMO = ROOT / "surveys" / "demo"


@pytest.mark.parametrize("slug", ["gol", "fla", "hemsedal"])
def test_demo_exports_import_as_planted(slug: str) -> None:
    truth_path = DEMO / "truth.yaml"
    if not truth_path.exists():
        pytest.skip("surveys/demo/truth.yaml is absent")
    truth = yaml.safe_load(truth_path.read_text(encoding="utf-8"))
    entry = next((m for m in truth.get("municipalities", []) if m.get("baseline", {}).get("file", "").startswith(slug)), None)
    if entry is None:
        pytest.skip(f"surveys/demo/truth.yaml has no baseline entry for {slug}")
    wave = entry["baseline"]
    result = import_survey(DEMO / wave["file"])
    assert result.account["input_rows"] == wave["rows"]
    assert result.account["kept"] == wave["respondents"]
    assert result.quarantine["source_row"].tolist() == wave["duplicate_rows"][1:]
    flagged = result.issues[result.issues["problem"] == "walk_distance_implausible"]["source_row"].tolist()
    assert flagged == wave["implausible_rows"]
    table = result.table
    for season in ("summer", "winter"):
        share = table[f"mode_{season}"].isin(["car_alone", "car_shared"]).mean()
        assert share == pytest.approx(wave["car_driver_share"][season], abs=5e-5)  # truth.yaml rounds to 4 places


def test_cli_sheet_option_reads_the_named_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Svar"
    first.append([_q("mode_summer"), _q("distance_km")])
    first.append(["Buss", 4])
    second = book.create_sheet("Oppfølging")
    second.append([_q("mode_summer"), _q("distance_km")])
    second.append(["Går", 1])
    second.append(["Syklar", 3])
    path = tmp_path / "two.xlsx"
    book.save(path)
    out = tmp_path / "out"
    assert main(["import", str(path), "--sheet", "Oppfølging", "--out", str(out)]) == 0
    cleaned = pd.read_csv(out / "cleaned.csv", encoding="utf-8-sig")
    assert cleaned["mode_summer"].tolist() == ["walk", "bike"]
    assert main(["import", str(path), "--sheet", "Nope", "--out", str(tmp_path / "other")]) == 2
    assert "Nope" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_suggested_columns_take_the_unit_and_the_season_their_question_names(tmp_path: Path) -> None:
    # Unknown exports: a distance asked in miles is converted, and separate summer and winter
    # questions fill their own seasons (not one copied into both).
    export = tmp_path / "unknown.csv"
    export.write_text(
        "Hvordan reiser du til jobb om sommeren?,Hvordan reiser du til jobb om vinteren?,"
        "How many miles is your commute (one-way)?\n"
        "Sykkel,Bil,5\nBil,Bil,12\nSykkel,Buss,0.6\nGange,Gange,1\nSykkel,Bil,7\nBil,Bil,20\n", encoding="utf-8")
    result = import_survey(export, municipality="Gol")
    table = result.table
    assert table["mode_summer"].tolist() == ["bike", "car_alone", "bike", "walk", "bike", "car_alone"]
    assert table["mode_winter"].tolist() == ["car_alone", "car_alone", "bus", "walk", "car_alone", "car_alone"]
    miles_to_km = 1.609344
    assert table["distance_km"].tolist() == pytest.approx([5 * miles_to_km, 12 * miles_to_km, 0.6 * miles_to_km,
                                                          1 * miles_to_km, 7 * miles_to_km, 20 * miles_to_km])
    # Conversions are rounded, so no binary noise reaches cleaned.csv.
    assert table["distance_km"].iloc[2] == round(0.6 * miles_to_km, 6)


def test_import_without_a_salt_keys_the_pseudonyms_with_a_stored_secret_and_names_it(tmp_path: Path, capsys) -> None:
    from grontur.keys import data_home
    from grontur.privacy import pseudonymise

    export = tmp_path / "s.csv"
    export.write_text("respondent_id,mode_summer,distance_km\n9001,car_alone,3\n9002,bike,2\n", encoding="utf-8")
    assert main(["import", str(export), "--kommune", "Gol", "--out", str(tmp_path / "a")]) == 0
    key_file = data_home() / "3324" / "secret.key"
    assert str(key_file) in capsys.readouterr().out
    ids = pd.read_csv(tmp_path / "a" / "cleaned.csv", dtype=str)["respondent_id"].tolist()
    # Not the hashes without a secret, which anyone who knows the submission ids could recompute.
    assert ids != pseudonymise(pd.Series(["9001", "9002"]), "").tolist()
    assert ids == pseudonymise(pd.Series(["9001", "9002"]), key_file.read_text().strip()).tolist()
    assert main(["import", str(export), "--kommune", "Gol", "--out", str(tmp_path / "b"), "--salt", "s3cret"]) == 0
    assert "secret.key" not in capsys.readouterr().out


