"""Privacy at import: identifiers are found by column name and by value, and never pass."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from grontur.io import RawExport
from grontur.privacy import (
    pseudonymise,
    pseudonyms,
    reason_from_name,
    reason_from_values,
    strip_identifiers,
)


def _raw(columns: dict[str, list]) -> RawExport:
    frame = pd.DataFrame(columns, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return RawExport(frame, Path("x.csv"))


@pytest.mark.parametrize(
    ("header", "reason"),
    [("Name", "name"), ("Navn", "name"), ("Email", "email"), ("E-postadresse", "email"),
     ("Telefonnummer", "phone"), ("IP Address", "ip_address"), ("Adresse", "address"),
     ("Where do you live (neighborhood and/or address)?", "address"), ("Timestamp", "timestamp"),
     ("Tidsmerke", "timestamp"), ("Start time", "timestamp"), ("Har du andre kommentarar?", "free_text"),
     ("Anna, spesifiser", "free_text"), ("Anna som ville hjelpt, skriv her", "free_text"),
     ("Location Latitude", "location")],
)
def test_identifier_columns_are_found_by_name(header: str, reason: str) -> None:
    assert reason_from_name(header) == reason


@pytest.mark.parametrize("header", ["Korleis reiser du vanlegvis til jobb om sommarhalvåret?",
                                    "How many miles is your commute (one-way)?", "Kva er postnummeret der du bur?"])
def test_answer_columns_are_not_taken_for_identifiers(header: str) -> None:
    assert reason_from_name(header) is None


@pytest.mark.parametrize(
    ("values", "reason"),
    [(["ok", "kari@example.no", None], "email"), (["+47 912 34 567", "nei"], "phone"),
     (["912 34 567"], "phone"), (["10.0.0.12", "10.0.0.13"], "ip_address"),
     (["Storgata 12", "Kyrkjevegen 3"], "address"), (["125 N Division St", "x"], "address"),
     (["2025-03-03 10:32:40", "2025-03-03 11:02:00"], "timestamp"),
     (["I would cycle if the road were safer in winter", "Nothing really, I live far away from here",
       "Better buses on Saturdays would help me a lot", "The car is the only option for my shifts"], "free_text")],
)
def test_identifier_columns_are_found_by_values(values: list, reason: str) -> None:
    assert reason_from_values(pd.Series(values, dtype=object)) == reason


@pytest.mark.parametrize("values", [["2,5", "12", "0.8", "24.134999999999998", "1.6090000000000002"],
                                    ["Bil, åleine", "Går", "Bil, åleine", "Går"], ["3550", "0301"]])
def test_ordinary_answers_are_not_identifiers(values: list) -> None:
    assert reason_from_values(pd.Series(values, dtype=object)) is None


def test_unknown_column_holding_an_email_is_dropped_and_kept_columns_are_blanked() -> None:
    raw = _raw({
        "Mode": ["Bus", "Bil, åleine", "ola.nordmann@example.no"],
        "Other, please": ["", "kari@example.no", ""],
        "Misc": ["a", "b", "c"],
    })
    stripped, dropped, blanked = strip_identifiers(raw, keep={"Mode"})
    assert [d.column for d in dropped] == ["Other, please"]
    assert dropped[0].reason == "email"
    assert "Misc" in stripped.frame.columns  # not an identifier: the mapping decides about it
    assert stripped.frame["Mode"].isna().tolist() == [False, False, True]
    assert blanked.to_dict("records") == [{"source_row": 3, "column": "Mode"}]
    text = stripped.frame.to_csv()
    assert "@" not in text


def test_dialect_meta_columns_are_dropped_with_the_dialect_reason() -> None:
    raw = _raw({"$created": ["x", "y"], "Mode": ["Bus", "Bus"]})
    _, dropped, _ = strip_identifiers(raw, keep={"Mode"}, meta=((r"^\$created$", "timestamp"),))
    assert [(d.column, d.reason) for d in dropped] == [("$created", "timestamp")]


def test_pseudonyms_are_salted_stable_and_not_the_id() -> None:
    ids = pd.Series(["1001", "1002", "1001", None], dtype=object)
    first = pseudonymise(ids, "salt-a")
    assert first.iloc[0] == first.iloc[2] != first.iloc[1]
    assert pd.isna(first.iloc[3])
    assert not first.dropna().isin(["1001", "1002"]).any()
    assert first.dropna().str.fullmatch(r"[0-9a-f]{16}").all()
    assert pseudonymise(ids, "salt-b").iloc[0] != first.iloc[0]
    assert pseudonymise(ids, "salt-a").tolist()[:3] == first.tolist()[:3]


@pytest.mark.parametrize("dtype", [object, "category"])
def test_a_pseudonym_is_its_key_written_in_hexadecimal(dtype: object) -> None:
    """The importer finds repeated ids on the keys: equal keys must mean equal pseudonyms."""
    ids = pd.Series(["1001", "1002", "1001", None, "1003", "1002"], dtype=dtype)
    done = pseudonyms(ids, "salt", prefix="id:")
    assert done.ids.tolist() == pseudonymise(ids, "salt", prefix="id:").tolist()
    assert done.filled.tolist() == [True, True, True, False, True, True]
    assert [f"{int(key):016x}" for key in done.keys[done.filled]] == done.ids[done.filled].tolist()


def test_pseudonyms_never_change_between_versions() -> None:
    # Repeat surveys are paired by pseudonym, so a wave imported by an older grontur must get
    # the same pseudonyms as the next wave imported by a newer one. These values were computed
    # by the first released hashing code; any change here breaks pairing for every user.
    panel = pd.Series([" ab12", "AB12", None], dtype=object)
    assert pseudonymise(panel, "salt", normalise=lambda v: v.strip().upper()).tolist() == [
        "12acff97e68cdfa3", "12acff97e68cdfa3", None]
    ids = pd.Series(pd.Categorical(["40000001", None, "40000001"]))
    assert pseudonymise(ids, "salt", prefix="id:").tolist() == ["5e30f04f135e8e0b", None, "5e30f04f135e8e0b"]
    assert pseudonymise(pd.Series(["Flå.csv:7"]), "salt").tolist() == ["169606f711d4dec3"]
