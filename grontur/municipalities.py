"""Norwegian municipalities (2024 numbering) and the translation of 2020-2023 numbers.

The table ``surveys/municipalities.csv`` lists the 357 municipalities of 2024 with their written
standard and the 2020-2023 numbers they replace. It was derived from Kartverket's municipality
boundaries for 2020 and 2024 (CC BY 4.0): each 2020 municipality is assigned the 2024 one that
covers the largest part of its area. Names and numbers are public facts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from grontur.errors import MunicipalityError
from grontur.resources import data_path

WRITTEN_STANDARDS = ("nn", "nb", "neutral")


@dataclass(frozen=True)
class Municipality:
    """One municipality in 2024 numbering."""

    number: str
    name: str
    written_standard: str

    @property
    def report_language(self) -> str:
        """Report language: nynorsk where that is the written standard, otherwise bokmål."""
        return "nn" if self.written_standard == "nn" else "nb"

    def as_dict(self) -> dict[str, str]:
        return {"number": self.number, "name": self.name, "written_standard": self.written_standard}


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@cache
def _table() -> pd.DataFrame:
    path = data_path("surveys", "municipalities.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@cache
def _indexes() -> tuple[dict[str, Municipality], dict[str, str], dict[str, list[str]]]:
    by_number: dict[str, Municipality] = {}
    former: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    row: Any  # itertuples() types a cell as any pandas scalar; every column is read as str
    for row in _table().itertuples(index=False):
        item = Municipality(row.number, row.name, row.written_standard)
        by_number[row.number] = item
        # Names in two languages ("Trondheim - Tråante") are found by each part too.
        for name in {row.name, *row.name.split(" - ")}:
            by_name.setdefault(_fold(name), []).append(row.number)
        for old in row.former_numbers.split():
            former[old] = row.number
    return by_number, former, by_name


def all_municipalities() -> list[Municipality]:
    """The 357 municipalities of 2024, ordered by number."""
    return sorted(_indexes()[0].values(), key=lambda m: m.number)


def translate_numbers(values: pd.Series) -> pd.Series:
    """Translate municipality numbers (any era 2020-2024, with or without leading zero) to 2024.

    Unknown values become NA; the caller logs them. Works on unique values only.
    """
    by_number, former, by_name = _indexes()
    uniques = pd.Series(values.dropna().unique())
    lookup: dict[object, object] = {}
    for raw in uniques:
        text = str(raw).strip()
        text = text.removesuffix(".0")
        if text.isdigit() and len(text) <= 4:
            text = text.zfill(4)
            lookup[raw] = text if text in by_number else former.get(text, pd.NA)
        else:
            numbers = by_name.get(_fold(text), [])
            lookup[raw] = numbers[0] if len(numbers) == 1 else pd.NA
    return values.map(lookup).astype("string")


def lookup(name_or_number: str | int) -> Municipality:
    """Find a municipality by 2024 number, 2020-2023 number or name.

    >>> lookup("3041").number, lookup("Gol").written_standard
    ('3324', 'nn')
    """
    by_number, former, by_name = _indexes()
    text = str(name_or_number).strip()
    if text.isdigit() and len(text) <= 4:
        number = text.zfill(4)
        if number in by_number:
            return by_number[number]
        if number in former:
            return by_number[former[number]]
        msg = (
            f"Unknown municipality number {text!r}: give a 2024 kommunenummer (e.g. 3324 for Gol) "
            "or a 2020-2023 one."
        )
        raise MunicipalityError(msg)
    numbers = by_name.get(_fold(text), [])
    if len(numbers) == 1:
        return by_number[numbers[0]]
    if len(numbers) > 1:
        msg = f"The municipality name {text!r} is ambiguous ({', '.join(numbers)}): give the number instead."
        raise MunicipalityError(msg)
    msg = f"Unknown municipality {text!r}: give a kommunenummer (e.g. 3324) or a name as written by Kartverket."
    raise MunicipalityError(msg)
