"""Text a spreadsheet would run as a formula, and how it is defused (OWASP's CSV injection advice).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel and LibreOffice, unless it is a plain number ("-4", "+47"). Such text gets an apostrophe
in front, which the spreadsheet shows as nothing and which makes the cell text.

Excel in a Norwegian locale opens a ``.csv`` splitting on ``;``, not on ``,``: the answer
``Skole;=1+1`` arrives there as two cells, the second starting with ``=``. So in a CSV cell every
part after a ``;`` is defused too (``Skole;'=1+1``). This module is the one place for that rule:
the importer (:mod:`grontur.clean`) and every CSV writer call it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from grontur._distinct import distinct

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Whether a spreadsheet would run ``value`` (one cell) as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        float(value.replace(",", "."))
    except ValueError:
        return True
    return False


def defuse_formulas(values: pd.Series) -> pd.Series:
    """Prefix each value a spreadsheet would run as a formula with an apostrophe; numbers such as
    "-4" are left alone."""
    return _defuse(values, lambda value: f"'{value}" if formula_like(value) else value)


def defuse_cell(value: object) -> object:
    """One CSV cell made safe: ``value`` and every part of it after a ``;`` defused (text only)."""
    if not isinstance(value, str) or not (value.startswith(FORMULA_START) or ";" in value):
        return value
    return ";".join("'" + part if formula_like(part) else part for part in value.split(";"))


def defuse_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`defuse_cell` applied to every text cell and column name."""
    out = frame.copy(deep=False)
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            out.isetitem(position, _defuse(column, defuse_cell).to_numpy())
    out.columns = [defuse_cell(name) if isinstance(name, str) else name for name in out.columns]
    return out


def _defuse(values: pd.Series, rule: Callable[[object], object]) -> pd.Series:
    codes, uniques = distinct(values)
    fixed = [rule(value) for value in uniques]
    changed = np.array([new is not old for new, old in zip(fixed, uniques)] + [False])
    if not changed.any():
        return values
    hit = changed[codes]
    out = values.astype(object).copy()
    replacement = np.array([*fixed, None], dtype=object)
    out[hit] = replacement[codes[hit]]
    return out
