"""Small-group suppression: no output may describe fewer than ``k`` respondents.

Every table cell, chart bar, map area and segment shown to anyone describes at least ``k``
respondents (default 5, configurable upward only). These helpers do the suppression in one place
and count what they hid, so outputs can state how many cells were suppressed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from grontur.errors import ConfigError

_Counts = TypeVar("_Counts", pd.Series, pd.DataFrame)

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


def suppress_counts(counts: _Counts, k: int) -> tuple[_Counts, int]:
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


def is_small(count: int, k: int) -> bool:
    """A count of 1 to ``k - 1`` people: too few to show (0 is shown; it describes nobody)."""
    return 0 < int(count) < k


def yes_no_publishable(count: int, n: int, k: int) -> bool:
    """A yes/no share ``count / n`` may be shown: those counted and those not are each 0 or >= k.

    100 % minus the share describes the others, so both sides must be publishable.
    """
    rest = int(n) - int(count)
    return (int(count) == 0 or int(count) >= k) and (rest == 0 or rest >= k)


def suppress_with_totals(cells: Mapping[str, int], k: int, *,
                         subtotals: Mapping[str, Sequence[str]] | None = None,
                         force: Iterable[str] = ()) -> tuple[dict[str, int | None], int]:
    """Hide the cells of one table row whose total (the sum of ``cells``) is published, together
    with published subtotals, so that no hidden cell can be worked out from what is shown.

    Returns the cells followed by the subtotals (``None`` when hidden) and how many were hidden.

    - *Primary*: a cell or subtotal ``x`` is hidden when ``x`` or ``total - x`` lies in ``1..k-1``
      (a share of the total says as much about the people it does not count); keys in ``force``
      are hidden too (another published figure of the same row needs them hidden).
    - *Complementary*: the total and each subtotal are equations over the cells. More cells are
      hidden (the one that leaves fewest problems; then a subtotal before a cell, as a hidden
      cell takes more figures with it, such as a drive-alone rate; then the smallest; never a zero) until no hidden cell follows
      from the shown ones by these equations, and no sum of hidden cells that the shown ones fix
      (the total minus the shown cells, a subtotal minus its shown parts, ...) lies in ``1..k-1``.
    - A total in ``1..k-1`` hides every cell (even "nobody" would describe the few others).
      Otherwise zero cells stay shown.

    With no subtotals this is the rule for a row of bands whose total is published: no hidden
    cell is 0, none can be worked out from the total and the shown cells, and the hidden cells
    add up to 0 or at least ``k``.

    >>> suppress_with_totals({"lt1": 1, "1_3": 2, "3_5": 6, "5_10": 9, "10_20": 0}, 5)
    ({'lt1': None, '1_3': None, '3_5': None, '5_10': 9, '10_20': 0}, 3)

    >>> suppress_with_totals({"alone": 24, "shared": 2, "walk": 7, "bus": 7}, 5,
    ...                      subtotals={"driver": ["alone", "shared"]})
    ({'alone': None, 'shared': None, 'walk': 7, 'bus': 7, 'driver': 26}, 2)
    """
    subtotals = {name: [p for p in parts if p in cells] for name, parts in (subtotals or {}).items()}
    names = list(cells) + [name for name in subtotals if name not in cells]
    values = {key: int(v) for key, v in cells.items()}
    for name, parts in subtotals.items():
        values[name] = sum(values[p] for p in parts)
    total = sum(int(v) for v in cells.values())
    if is_small(total, k):
        return {key: None for key in names}, sum(1 for key in names if values[key])
    index = {key: i for i, key in enumerate(names)}
    forced = set(force)
    hidden = [key for key in names
              if values[key] and (is_small(values[key], k) or is_small(total - values[key], k) or key in forced)]
    if not hidden:  # nothing to protect: the common case for rows of large groups
        return {key: values[key] for key in names}, 0

    # Equations (coefficient vectors with a known right-hand side): the total, and each subtotal
    # minus its parts. Relations: the equations and the total minus any set of subtotals.
    base = np.zeros(len(names))
    base[[index[c] for c in cells]] = 1.0
    equations = [base]
    for name, parts in subtotals.items():
        row = np.zeros(len(names))
        row[[index[p] for p in parts]] = 1.0
        row[index[name]] = -1.0
        equations.append(row)
    relations = list(equations)
    sub_rows = equations[1:]
    for size in range(1, len(sub_rows) + 1):
        for chosen in itertools.combinations(sub_rows, size):
            relations.append(base - sum(chosen))
    value_vector = np.array([values[key] for key in names], dtype=float)
    matrix = np.array(equations)

    known: dict[tuple[str, ...], list[str]] = {}

    def problems(hidden_keys: Sequence[str]) -> list[str]:
        """The hidden keys that can be worked out, or that sit in a small recoverable sum."""
        if not hidden_keys:
            return []
        memo = tuple(hidden_keys)
        if memo not in known:
            known[memo] = _problems(hidden_keys)
        return known[memo]

    def _problems(hidden_keys: Sequence[str]) -> list[str]:
        cols = [index[key] for key in hidden_keys]
        sub = matrix[:, cols]
        # A hidden value follows from the equations exactly when its unit vector lies in their row
        # space, i.e. when every vector of their null space is 0 at its position (one SVD).
        _, singular, vh = np.linalg.svd(sub)
        rank = int((singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))).sum())
        null = vh[rank:]
        bad = [key for j, key in enumerate(hidden_keys) if not (np.abs(null[:, j]) > 1e-9).any()]
        for relation in relations:
            coef = relation[cols]
            if (coef >= 0).all() or (coef <= 0).all():
                part = float(np.abs(coef) @ value_vector[cols])
                if is_small(round(part), k):
                    bad.extend(key for key, c in zip(hidden_keys, coef) if c != 0 and key not in bad)
        return bad

    while True:
        bad = problems(hidden)
        if not bad:
            break
        # A hidden zero would hide nobody: only cells and subtotals that count people are candidates.
        shown = [key for key in names if key not in hidden and values[key]]
        touched = {i for row in equations for key in bad if row[index[key]] != 0 for i in np.flatnonzero(row)}
        candidates = [key for key in shown if index[key] in touched] or shown
        if not candidates:
            break
        best = min(candidates, key=lambda key: (len(problems(sorted([*hidden, key], key=index.__getitem__))),
                                                 key not in subtotals, values[key] == 0, values[key], index[key]))
        hidden = sorted([*hidden, best], key=index.__getitem__)
    out = {key: (None if key in hidden else values[key]) for key in names}
    return out, len(hidden)
