"""Distinct values of text columns, found cheaply.

Survey exports repeat the same few answers hundreds of thousands of times, so every stage that
interprets answers works per distinct value and lays the result out again by integer codes. This
module finds those codes.

pandas' CSV reader already gives equal strings of one column the same Python object within each
block of rows it parses. :func:`factorize_text` exploits that: it first groups cells by object
address (integer hashing, several times faster than hashing and comparing strings) and then
compares the text of only one cell per address. When the reader did not share objects the
result is the same, only without the speed-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd


def text_ids(*columns: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """Values as text labels: each column's rows as positions in the labels (-1 where missing),
    the same labels for every column; two values with the same text are one label."""
    values = np.concatenate(columns) if columns else np.zeros(0, dtype=object)
    raw, uniques = pd.factorize(values)
    label_of, labels = pd.factorize(np.array([str(v) for v in uniques], dtype=object))
    ids = np.where(raw >= 0, label_of[np.maximum(raw, 0)] if len(label_of) else -1, -1)
    out, start = [], 0
    for one in columns:
        out.append(ids[start:start + len(one)])
        start += len(one)
    return out, [str(label) for label in labels]


#: ``str.strip`` over an object array of strings in one C loop.
strip_all = np.frompyfunc(str.strip, 1, 1)

#: Above this share of distinct objects, grouping by address first cannot pay for itself.
_MOSTLY_DISTINCT = 0.5


class _AddressView:
    """Exposes an object array's buffer of ``PyObject*`` as integers (NumPy's array interface).

    NumPy refuses to view object arrays as integers, so the buffer is described afresh. The
    view keeps the object array alive for as long as it exists.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.__array_interface__ = {
            "shape": values.shape, "typestr": np.dtype(np.intp).str, "data": (values.__array_interface__["data"][0], True),
            "version": 3,
        }


def _addresses(values: np.ndarray) -> np.ndarray:
    """The object addresses held by a contiguous 1-d object array, as a read-only integer view."""
    return np.asarray(_AddressView(values))


def factorize_text(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and distinct values of an object array, like :func:`pandas.factorize`.

    The distinct values come in order of first appearance and the codes match
    ``pd.factorize(values, use_na_sentinel=True)`` exactly.

    >>> codes, uniques = factorize_text(np.array(["b", "a", None, "b"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, -1, 0], ['b', 'a'])
    """
    found = factorize_repeated(values)
    if found is None:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    return found


def factorize_repeated(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`factorize_text`, or None when most cells hold distinct objects (ids, timestamps,
    typed comments), where codes would save nothing."""
    values = np.ascontiguousarray(values, dtype=object)
    if len(values) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=object)
    by_object, objects = pd.factorize(_addresses(values))
    if len(objects) > _MOSTLY_DISTINCT * len(values):
        return None
    # Address codes are numbered in order of first appearance, so a cell is the first of its
    # object exactly where its code exceeds every code before it.
    seen = np.maximum.accumulate(by_object)
    first = np.flatnonzero(np.concatenate(([True], by_object[1:] > seen[:-1])))
    small, uniques = pd.factorize(values[first], use_na_sentinel=True)
    return small[by_object], np.asarray(uniques, dtype=object)


def distinct(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values of a column."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return raw.cat.codes.to_numpy(), raw.cat.categories.to_numpy(dtype=object)
    return factorize_text(raw.to_numpy(dtype=object))



def spread(per_value: Sequence[Any], codes: np.ndarray, *, missing: object, dtype: npt.DTypeLike = object) -> np.ndarray:
    """Results computed once per distinct value (in the order of :func:`distinct`'s values), laid
    out per row by the rows' ``codes`` (``missing`` where a row is coded -1: the cell was empty)."""
    return np.array([*per_value, missing], dtype=dtype)[codes]
