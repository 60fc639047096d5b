"""The municipality table: 357 municipalities of 2024 and the 2020-2023 number translation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from grontur.errors import MunicipalityError
from grontur.municipalities import all_municipalities, lookup, translate_numbers

GEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "geo"
HALLINGDAL = {"3039": ("3320", "Flå"), "3040": ("3322", "Nesbyen"), "3041": ("3324", "Gol"),
              "3042": ("3326", "Hemsedal"), "3043": ("3328", "Ål"), "3044": ("3330", "Hol")}


def test_hallingdal_numbers_translate_to_2024() -> None:
    for old, (new, name) in HALLINGDAL.items():
        assert lookup(old).number == new
        assert lookup(new).name == name
        assert lookup(name).number == new


def test_written_standards_of_hallingdal() -> None:
    assert {lookup(n).written_standard for n in ("Gol", "Hemsedal", "Hol", "Nesbyen", "Ål")} == {"nn"}
    assert lookup("Flå").written_standard == "neutral"
    assert lookup("Flå").report_language == "nb"
    assert lookup("Gol").report_language == "nn"


def test_numbers_without_leading_zero_and_vectorised_translation() -> None:
    assert lookup(301).number == "0301"
    values = pd.Series(["3041", "301", "3324", "9999", None, "Gol", "3041.0"])
    assert translate_numbers(values).tolist()[:4] == ["3324", "0301", "3324", pd.NA]
    assert translate_numbers(values).tolist()[5:] == ["3324", "3324"]


def test_ambiguous_and_unknown_names_say_what_to_do() -> None:
    with pytest.raises(MunicipalityError, match="ambiguous"):
        lookup("Herøy")
    with pytest.raises(MunicipalityError, match="Unknown municipality"):
        lookup("Atlantis")
    with pytest.raises(MunicipalityError, match="number"):
        lookup("9999")


@pytest.mark.skipif(not (GEO / "kommuner2024_S_robhop.geojson").exists(),
                    reason="../shared/data/geo/kommuner2024_S_robhop.geojson is absent")
def test_table_matches_the_2024_geodata() -> None:
    features = json.loads((GEO / "kommuner2024_S_robhop.geojson").read_text(encoding="utf-8"))["features"]
    expected = {f["properties"]["kommunenummer"]: f["properties"]["kommunenavn"] for f in features}
    ours = {m.number: m.name for m in all_municipalities()}
    assert len(ours) == 357
    assert ours == expected


@pytest.mark.skipif(not (GEO / "postnummer_erikbolstad_2023.csv").exists(),
                    reason="../shared/data/geo/postnummer_erikbolstad_2023.csv is absent")
def test_every_2020_number_in_the_postcode_list_translates() -> None:
    postcodes = pd.read_csv(GEO / "postnummer_erikbolstad_2023.csv", sep="\t", dtype=str)
    # Svalbard (2100) and Jan Mayen (2211) have postcodes but are not municipalities.
    numbers = [n for n in postcodes["KOMMNR"].dropna().unique() if n not in ("2100", "2211")]
    translated = translate_numbers(pd.Series(numbers))
    assert translated.notna().all(), list(pd.Series(numbers)[translated.isna().to_numpy()])
    assert translate_numbers(pd.Series(["2100"])).isna().all()
    names = postcodes.drop_duplicates("KOMMNR").set_index("KOMMNR")["KOMMUNE"]
    # Municipalities whose number did not change keep their name.
    same = [n for n in numbers if n.zfill(4) == translate_numbers(pd.Series([n])).iloc[0]]
    assert all(names[n] in lookup(n).name.split(" - ") for n in same)
    assert lookup("Trondheim").number == lookup("Tråante").number == "5001"
