"""Small-group suppression: no output may describe fewer than ``k`` respondents.

Every table cell, chart bar, map area and segment shown to anyone describes at least ``k``
respondents (default 5, configurable upward only). These helpers do the suppression in one place
and count what they hid, so outputs can state how many cells were suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grontur.errors import ConfigError

DEFAULT_K = 5


def check_k(k: int) -> int:
    """Validate a privacy threshold: an integer of at least 5."""
    if isinstance(k, bool) or not isinstance(k, int) or k < DEFAULT_K:
        msg = f"The privacy threshold k={k!r} is too low: use a whole number of {DEFAULT_K} or higher."
        raise ConfigError(msg)
    return k


@dataclass(frozen=True)
class Suppressed:
    """A frame of counts or shares with the cells below ``k`` hidden."""

    frame: pd.DataFrame
    n_suppressed: int


def suppress_counts(counts: pd.Series | pd.DataFrame, k: int) -> tuple[pd.Series | pd.DataFrame, int]:
    """Replace counts in ``1..k-1`` with NA and return how many cells were hidden.

    Zero counts are kept: "nobody" reveals nothing about a person.

    >>> s, n = suppress_counts(pd.Series({"a": 12, "b": 3, "c": 0}), 5)
    >>> s.to_dict(), n
    ({'a': 12.0, 'b': nan, 'c': 0.0}, 1)
    """
    small = (counts > 0) & (counts < k)
    n = int(small.to_numpy().sum())
    return counts.astype(float).mask(small), n


def group_is_publishable(n: int, k: int) -> bool:
    """A group may be shown when it has at least ``k`` members (or none at all)."""
    return n == 0 or n >= k
