"""Distinct values of text columns: the fast path must agree with pandas exactly."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from grontur._distinct import distinct, factorize_text


def _same_as_pandas(values: np.ndarray) -> None:
    codes, uniques = factorize_text(values)
    expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques)


def test_cells_read_by_pandas_share_objects_and_agree() -> None:
    # The CSV reader gives equal strings one object: the address pass is taken and must agree.
    rng = np.random.default_rng(4)
    answers = np.array(["Bil", "Buss", " Sykkel", "", "Gange", "bil"], dtype=object)
    text = "mode\n" + "\n".join(rng.choice(answers, size=20_000)) + "\n"
    column = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False, na_values=[""],
                         skip_blank_lines=False)["mode"].to_numpy()
    _same_as_pandas(column)
    assert factorize_text(column)[0].min() == -1  # empty cells are missing


def test_separate_objects_with_equal_text_are_one_value() -> None:
    # Built one by one, equal strings are distinct objects: the result is still by value.
    values = np.array(["Buss" for _ in range(10)] + [None, float("nan"), "Bil"] * 3, dtype=object)
    _same_as_pandas(values)
    _codes, uniques = factorize_text(values)
    assert list(uniques) == ["Buss", "Bil"]


@pytest.mark.parametrize("size", [0, 1, 7, 1000])
def test_mostly_distinct_and_tiny_columns(size: int) -> None:
    _same_as_pandas(np.array([f"id-{i}" for i in range(size)], dtype=object))


def test_mixed_types_keep_their_identity() -> None:
    _same_as_pandas(np.array([1, "1", 1.0, None, "1", 2], dtype=object))


def test_distinct_uses_categories_when_present() -> None:
    series = pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["a", "b"]))
    codes, uniques = distinct(series)
    assert codes.tolist() == [1, -1, 0, 1] and list(uniques) == ["a", "b"]


def test_address_view_keeps_its_array_alive() -> None:
    from grontur._distinct import _addresses

    view = _addresses(np.array(["a", "b", "a"], dtype=object))  # the array itself is not kept here
    assert view.dtype == np.intp and len(view) == 3
    assert view[0] != view[1] and not view.flags.writeable
    assert _addresses(np.array([], dtype=object)).shape == (0,)
