"""The report's account of rows and measures says why rows were set aside and how many measures are recommended."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from grontur.pipeline import analyse_file


def test_the_row_account_names_the_reasons_rows_were_set_aside(tmp_path: Path) -> None:
    rows = [f"car_alone,{3 + i % 20},{i % 5}" for i in range(60)] + [",,3", ",,2"]  # no mode, no distance
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km,remote_days\n" + "\n".join(rows) + "\n", encoding="utf-8")
    analysis = analyse_file(survey, municipality="Gol", lang="en", out_dir=tmp_path / "out", formats=("html",),
                            run_date=dt.date(2026, 11, 29))
    respondents = analysis.results["respondents"]
    assert respondents["quarantined"] == sum(respondents["quarantine_reasons"].values()) == 2
    assert respondents["quarantine_reasons"] == {"no_mode_or_distance": 2}
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    assert "2 were set aside: 2 had neither a mode nor a distance" in text
    plan = analysis.results["plan"]
    now, later = len(plan["measures"]), len(plan["consider_next"])
    assert now == sum(1 for m in analysis.results["measures"] if m["recommended"]) and 1 <= now <= 8
    assert f"{now} measures are recommended now, {later} can be considered later" in text


def test_emissions_say_whom_they_cover_and_never_report_zero_for_nothing(tmp_path: Path) -> None:
    modes_only = tmp_path / "modes.csv"
    modes_only.write_text("mode_summer\n" + "car_alone\nbike\n" * 20, encoding="utf-8")
    analyse_file(modes_only, municipality="Gol", lang="en", out_dir=tmp_path / "a", formats=("html",),
                 run_date=dt.date(2026, 11, 29))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "a" / "report.html").read_text(encoding="utf-8")))
    # the cause is named: no distance at all (not "no answer gave both a mode and a distance")
    assert "Emissions cannot be estimated: nobody gave the distance to work" in text
    assert "Tonnes CO₂e per year, respondents" not in text

    full = tmp_path / "full.csv"
    full.write_text("mode_summer,distance_km\n" + "".join(f"car_alone,{5 + i % 10}\nbike,{2 + i % 3}\n" for i in range(20)),
                    encoding="utf-8")
    from grontur.config import project_for

    analysis = analyse_file(full, project=project_for("Gol", language="en", employees=80), out_dir=tmp_path / "b",
                            formats=("html",), run_date=dt.date(2026, 11, 29))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "b" / "report.html").read_text(encoding="utf-8")))
    assert "for the 40 respondents" in text
    assert "Scaled up to all 80 employees" in text
    assert analysis.results["emissions"]["all_employees"]["central"] > analysis.results["emissions"]["tonnes_co2e_per_year"]


def test_factor_sources_and_labels_are_in_the_report_language(tmp_path: Path) -> None:
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km\n" + "".join(f"car_alone,{5 + i % 10}\nbike,{2 + i % 3}\n" for i in range(20)),
                      encoding="utf-8")
    analyse_file(survey, municipality="Gol", lang="nn", out_dir=tmp_path / "out", formats=("html",),
                 run_date=dt.date(2026, 11, 29))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "utsleppsfaktorar per køyretøy-km" in page and "emission factors per vehicle-km" not in page
    assert "Bil, bensin" in page and "Bil, Bensin" not in page


def test_no_report_page_repeats_an_element_id(tmp_path: Path) -> None:
    import collections

    from grontur.pipeline import run_demo

    run_demo(tmp_path / "demo", formats=("html",))
    pages = [tmp_path / "demo" / "index.html", *sorted((tmp_path / "demo").glob("*/report.html"))]
    for page in pages:
        ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))
        assert [i for i, n in ids.items() if n > 1] == [], page


def test_the_method_section_names_the_emission_scope_in_each_language(tmp_path: Path) -> None:
    import yaml

    from grontur.i18n import t

    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km,car_fuel\n" + "".join(f"car_alone,{5 + i % 10},electric\nbike,{2 + i % 3},\n" for i in range(20)),
                      encoding="utf-8")
    for lang, phrase in (("nn", "frå tank til hjul"), ("nb", "fra tank til hjul"), ("en", "tank-to-wheel")):
        analysis = analyse_file(survey, municipality="Gol", lang=lang, out_dir=tmp_path / lang, formats=("html",),
                                run_date=dt.date(2026, 11, 29))
        assert {f["scope"] for f in analysis.results["emissions"]["factors"].values()} == {"tank_to_wheel"}
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / lang / "report.html").read_text(encoding="utf-8")))
        sentence = t("report.method.scope.tank_to_wheel", lang)
        assert phrase in sentence and sentence.replace("&", "&amp;") in text.replace("&", "&amp;")
    # the sentence follows the factors' scope: the other scope has its own sentence
    catalogue = yaml.safe_load((Path(__file__).resolve().parents[1] / "grontur" / "locale" / "report.yaml").read_text(encoding="utf-8"))
    assert set(catalogue["report.method.scope.well_to_wheel"]) == {"nn", "nb", "en"}


def test_the_measures_table_marks_assumed_effect_ranges(tmp_path: Path) -> None:
    from grontur.catalogue import load_catalogue

    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,distance_km\n" + "".join(f"car_alone,{3 + i % 12}\nbike,{2 + i % 3}\n" for i in range(30)),
                      encoding="utf-8")
    analysis = analyse_file(survey, municipality="Gol", lang="en", out_dir=tmp_path / "out", formats=("html",),
                            run_date=dt.date(2026, 11, 29))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    start = page.index('<table id="tbl-measures">')
    section = page[start:page.index("</table>", start)]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.DOTALL)]
        if len(cells) > 3:
            rows.setdefault(cells[1], cells)
    catalogue = load_catalogue()
    checked = {True: 0, False: 0}
    for m in analysis.results["measures"]:
        cells = rows.get(m["name"])
        if cells is None:
            continue
        assumed = catalogue.get(m["id"]).effect.basis == "assumption"
        assert ("(assumption)" in cells[3]) == assumed, (m["id"], cells[3])
        checked[assumed] += 1
    assert checked[True] > 0 and checked[False] > 0


def test_the_report_says_why_the_segments_are_what_they_are_and_shows_their_stages(tmp_path: Path) -> None:
    from grontur.segment import reason_text

    rows = [f"car_alone,car_alone,{3 + i % 20},bike,{'considering' if i % 3 else 'preparing'}" for i in range(60)]
    rows += [f"bike,bus,{1 + i % 4},,keeping" for i in range(30)]
    survey = tmp_path / "s.csv"
    survey.write_text("mode_summer,mode_winter,distance_km,would_consider,stage_of_change\n" + "\n".join(rows) + "\n",
                      encoding="utf-8")
    analysis = analyse_file(survey, municipality="Gol", lang="en", out_dir=tmp_path / "out", formats=("html",),
                            run_date=dt.date(2026, 11, 29))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    because = analysis.results["segmentation"]["chosen_because"]
    assert reason_text(because["key"], because["values"], "en") in text.replace("&#x27;", "'")
    # every stage was answered: the card says "Stage of change", not "derived"
    assert "Stage of change Considering" in text or "Stage of change Keeping it up" in text
    assert "derived from travel mode" not in text
    stages = [seg["stages"] for seg in analysis.results["segments"]]
    assert all(stage["derived"] == 0 for stage in stages)
    assert sum(stage["count"]["keeping"] for stage in stages) == 30
