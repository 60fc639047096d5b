"""The question sheet: html, csv and docx in nn/nb/en, and exports built from it map unasked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from grontur.cli import main
from grontur.errors import ConfigError
from grontur.importing import import_survey
from grontur.template import question_sheet, render_csv, render_html, write_template


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_sheet_lists_every_question_with_its_options(lang: str) -> None:
    sheet = question_sheet(lang)
    assert len(sheet) == 19
    by_column = {q.column: q for q in sheet}
    assert by_column["barriers"].answer_type == "multi"
    assert by_column["mode_summer"].answer_type == "single"
    assert len(by_column["mode_summer"].options) == 13
    assert by_column["distance_km"].answer_type == "number"
    rows = list(csv.reader(io.StringIO(render_csv(lang))))
    questions_in_csv = {row[2] for row in rows[1:]}
    assert questions_in_csv == {q.text for q in sheet}
    assert len(rows) - 1 == sum(max(1, len(q.options)) for q in sheet)
    page = render_html(lang)
    assert all(q.text.replace("'", "&#x27;") in page for q in sheet)
    assert page.count('<li class="q"') == 19


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_an_export_built_from_the_sheet_maps_with_no_questions(tmp_path: Path, lang: str) -> None:
    sheet = question_sheet(lang)
    answers = {}
    for q in sheet:
        if q.answer_type == "multi":
            answers[q.text] = [", ".join(q.options[:3]), q.options[-1]]
        elif q.options:
            answers[q.text] = [q.options[0], q.options[-1]]
        elif q.column == "home_postcode":
            answers[q.text] = ["3550", "0301"]
        elif q.column == "workplace":
            answers[q.text] = ["Rådhuset", "Skulen"]
        else:
            answers[q.text] = ["4", "2"]
    path = tmp_path / "export.csv"
    pd.DataFrame(answers).to_csv(path, index=False)
    result = import_survey(path)
    assert result.mapping_report["unmapped"] == []
    assert result.mapping_report["suggestions"] == []
    assert not result.issues["problem"].isin(["unknown_answer", "unknown_option"]).any()
    table = result.table
    assert table["mode_summer"].tolist() == ["walk", "other"]
    assert table["barriers"].tolist()[0] == "too_far;takes_too_long;no_transit"
    assert table["age_band"].tolist() == ["u30", "60p"]
    assert table["travel_time_min"].tolist() == [7.5, 75.0]


def test_docx_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "skjema.docx"
    assert main(["survey-template", "--lang", "nn", "--format", "docx", "--out", str(out)]) == 0
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert all(q.text in text for q in question_sheet("nn"))
    assert "Bil, åleine" in text
    assert str(out) in capsys.readouterr().out


def test_unknown_format_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pdf"):
        write_template(tmp_path / "sheet.pdf", lang="en")
    assert not list(tmp_path.iterdir())
