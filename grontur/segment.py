"""Segmentation: groups of employees with a shared commuting situation, named by personas.

Two routes lead to the same kind of result:

- **Data-driven** (at least ``small_threshold`` respondents): :class:`HabitSegmenter`, a
  scikit-learn estimator (its class is made on first use, so the analysis does not import
  scikit-learn), clusters respondents on weighted habit and barrier features
  (summer and winter mode, log distance, days on site, shift work, car needed at work, children
  drop-off, parking, barriers, alternatives considered): k-means on the principal components,
  the number of segments chosen by the simplified silhouette, segments below the minimum size
  merged, stability measured on bootstrap refits.
- **Rule-based**: every respondent gets the first persona in ``surveys/personas.yaml`` whose
  rules hold. Used for small municipalities, and when the clusters are not both stable and
  separated enough (``MIN_STABILITY``, ``MIN_SILHOUETTE``) to be published as groups.

The same respondents give the same segments whatever the seed, row order or column order: rows
are fitted in :func:`canonical_order` and every random draw is seeded by :func:`content_seed`.
A segment carries a persona's name only when at least ``NAME_MIN_SHARE`` of its members match
it; otherwise it is named after what most members share. Every segment is described by a card
(with its members' stages of change, :mod:`grontur.stages`) with no group below ``k``.
See ``docs/segmentation.md`` for the method comparison and ``docs/schema/segments.md`` for keys.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import pandas as pd

from grontur._multiselect import split_answers
from grontur._threads import single_blas_thread
from grontur._ward import distances, ward_tree, ward_trees
from grontur.errors import ConfigError, MissingColumnError
from grontur.i18n import LANGUAGES, t
from grontur.personas import (
    BLOCKS,
    FLAGS,
    PersonaBook,
    load_personas,
    reason_text,
)
from grontur.publish import (
    Derived,
    Fig,
    HiddenTally,
    Ledger,
    Listed,
    Publication,
    are_small,
    check_k,
    figures_in,
)
from grontur.schema import BARRIERS, MODES, STAGES, WOULD_HELP, seasons_in
from grontur.stages import StageResult, stage_of_change
from grontur.threshold import DEFAULT_K

log = logging.getLogger(__name__)

__all__ = [
    "HabitSegmenter",
    "SegmentResult",
    "assign_personas",
    "canonical_order",
    "content_seed",
    "habit_features",
    "load_personas",
    "reason_text",
    "segment_respondents",
]

#: Below this many respondents a municipality gets rule-based persona segments.
SMALL_THRESHOLD: Final = 60
#: Clusters are published only when both figures reach these thresholds (tuned on planted data
#: with and without structure, docs/segmentation.md); otherwise the persona rules are used.
MIN_STABILITY: Final = 0.8
MIN_SILHOUETTE: Final = 0.20
#: Segments must hold at least this share of respondents (and at least ``k``).
MIN_SHARE: Final = 0.05
METHOD_KMEANS: Final = "kmeans_weighted_onehot"
METHOD_RULES: Final = "rule_based_personas"
METHOD_NONE: Final = "none"

#: Mode codes grouped by the habit they stand for; clustering and persona cards use the groups.
MODE_GROUP_OF: Final = {
    "walk": "walk", "bike": "cycle", "ebike": "cycle", "bus": "transit", "train": "transit",
    "boat": "transit", "car_alone": "car", "car_shared": "car", "car_passenger": "passenger",
    "taxi": "passenger", "motorcycle": "other", "remote": "remote", "other": "other",
}
MODE_GROUPS: Final = ("walk", "cycle", "transit", "car", "passenger", "remote", "other")
CONSIDER_GROUP_OF: Final = {
    "walk": "active", "bike": "active", "ebike": "active", "bus": "transit", "train": "transit",
    "boat": "transit", "car_shared": "carpool", "car_passenger": "carpool", "remote": "remote",
}
CONSIDER_GROUPS: Final = ("active", "transit", "carpool", "remote")
PARKING_CODES: Final = ("free", "paid", "limited", "none")
#: Distance bands (km, lower exclusive, upper inclusive) used to describe segments.
DISTANCE_BANDS: Final = (("0_2", 0.0, 2.0), ("2_5", 2.0, 5.0), ("5_15", 5.0, 15.0), ("15_plus", 15.0, math.inf))
#: Silhouette bands for the words used about structure (Kaufman & Rousseeuw 1990, "Finding
#: Groups in Data", ch. 2: > 0.70 strong, 0.51-0.70 reasonable, 0.26-0.50 weak, <= 0.25 none).
STRUCTURE_BANDS: Final = ((0.70, "strong"), (0.50, "reasonable"), (0.25, "weak"), (-1.0, "none"))



# ---------------------------------------------------------------------------------------------
# Personas (data file)
# ---------------------------------------------------------------------------------------------

def assign_personas(table: pd.DataFrame, book: PersonaBook | None = None) -> pd.Series:
    """Return the persona id of every respondent: the first persona whose rules all hold.

    Vectorised over respondents; a missing answer never satisfies a rule.
    """
    return _assign_personas(table, book or load_personas(), None)


def _assign_personas(table: pd.DataFrame, book: PersonaBook, blocks: dict[str, np.ndarray] | None) -> pd.Series:
    return _persona_series(table, book, _persona_codes(table, book, blocks))


def _persona_series(table: pd.DataFrame, book: PersonaBook, codes: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(book.ids, dtype=object)[codes], index=table.index, name="persona", dtype="string")


def _mode_mask(codes: list[str]) -> np.ndarray:
    """Boolean lookup over mode indices; the extra last entry (index -1) is False."""
    mask = np.zeros(len(MODES) + 1, dtype=bool)
    mask[[MODES.index(code) for code in codes]] = True
    return mask


def _persona_codes(table: pd.DataFrame, book: PersonaBook, blocks: dict[str, np.ndarray] | None) -> np.ndarray:
    """Index (in the persona file) of the first persona whose rules hold, per respondent."""
    blocks = blocks if blocks is not None else habit_features(table)
    n = len(table)
    summer, winter = blocks["mode_summer_code"], blocks["mode_winter_code"]
    distance = blocks["distance_km"][:, 0]
    barriers_hot = blocks["barriers"]
    barrier_pos = {code: i for i, code in enumerate(BARRIERS)}
    result = np.full(n, len(book.personas) - 1, dtype=np.int64)
    unassigned = np.ones(n, dtype=bool)
    s_na, w_na = summer < 0, winter < 0
    for index, persona in enumerate(book.personas):
        match = unassigned.copy()
        rules = persona.rules
        if "modes_all" in rules:
            mask = _mode_mask(rules["modes_all"])
            match &= (mask[summer] | s_na) & (mask[winter] | w_na) & ~(s_na & w_na)
        if "modes_any" in rules:
            mask = _mode_mask(rules["modes_any"])
            match &= mask[summer] | mask[winter]
        if "mode_summer" in rules:
            match &= _mode_mask(rules["mode_summer"])[summer]
        if "mode_winter" in rules:
            match &= _mode_mask(rules["mode_winter"])[winter]
        if "distance_km" in rules:
            band = rules["distance_km"]
            with np.errstate(invalid="ignore"):
                inside = ~np.isnan(distance)
                if "min" in band:
                    inside &= distance > float(band["min"])
                if "max" in band:
                    inside &= distance <= float(band["max"])
            match &= inside
        for flag in FLAGS:
            if flag in rules:
                match &= blocks[flag][:, 0] == (1.0 if rules[flag] else 0.0)
        if "barriers_any" in rules:
            cols = [barrier_pos[code] for code in rules["barriers_any"]]
            match &= barriers_hot[:, cols].any(axis=1)
        result[match] = index
        unassigned &= ~match
    return result


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------

def _column(table: pd.DataFrame, name: str) -> pd.Series:
    if name in table.columns:
        return table[name]
    return pd.Series(pd.NA, index=table.index, dtype="object")


def _bool_values(table: pd.DataFrame, name: str) -> np.ndarray:
    """1.0 / 0.0 / NaN for a boolean column (missing column -> all NaN)."""
    if name not in table.columns:
        return np.full(len(table), np.nan)
    column = table[name]
    if isinstance(column.dtype, pd.BooleanDtype):  # as the importer leaves it
        return column.to_numpy(dtype=float, na_value=np.nan)
    try:
        as_bool = column.astype("boolean")
    except (TypeError, ValueError) as exc:
        bad = column[~column.isna() & ~column.isin([True, False])]
        value = bad.iloc[0] if len(bad) else column.iloc[0]
        msg = (
            f"Column {name!r} must hold true/false values, found {value!r}; "
            "clean the table with grontur's importer first."
        )
        raise MissingColumnError(msg) from exc
    return as_bool.to_numpy(dtype=float, na_value=np.nan)


def _multi_hot(column: pd.Series, codes: tuple[str, ...], groups: dict[str, str] | None = None,
               group_names: tuple[str, ...] | None = None) -> np.ndarray:
    """Multi-hot matrix of a ``;``-joined code column, built on the distinct strings only."""
    names = group_names or codes
    position = {code: names.index(groups[code]) if groups else i
                for i, code in enumerate(codes) if not groups or code in groups}
    # missing cells get -1 from factorize, which picks the trailing zero row
    inverse, uniques = pd.factorize(column.to_numpy(dtype=object), sort=False)
    lookup = np.zeros((len(uniques) + 1, len(names)), dtype=np.float64)
    if not len(uniques):
        return lookup[inverse]
    # each distinct part looked up once, then each code put in its string's row
    parts, distinct, rows = split_answers([text if isinstance(text, str) else "" for text in uniques])
    found = np.fromiter(map(position.get, map(str.strip, distinct), repeat(-1)), dtype=np.int64, count=len(distinct))
    cols = found[parts]
    known = cols >= 0
    lookup[rows[known], cols[known]] = 1.0
    return lookup[inverse]


def _codes(column: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Index of each value in ``categories`` (-1 for missing or unknown)."""
    values = column.to_numpy(dtype=object)
    position = {code: i for i, code in enumerate(categories)}  # only strings: anything else is -1
    return np.fromiter(map(position.get, values, repeat(-1)), dtype=np.int64, count=len(values))


def _one_hot(codes: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """One-hot matrix of codes mapped to groups (``groups[code]``); code -1 gives a zero row."""
    eye = np.vstack([np.eye(n_groups), np.zeros((1, n_groups))])
    group = np.append(groups, n_groups)[codes]  # code -1 picks the appended zero-row index
    return eye[group]


_MODE_GROUP_INDEX: Final = np.asarray([MODE_GROUPS.index(MODE_GROUP_OF[m]) for m in MODES])


def habit_features(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw feature blocks of every respondent (unscaled; NaN where unanswered).

    Keys are the blocks in ``BLOCKS`` plus ``would_help`` and ``distance_km`` (2-D arrays, one row
    per respondent) and ``mode_summer_code`` / ``mode_winter_code`` (index into ``MODES``, -1 when
    unanswered). Missing optional columns give NaN (numbers, flags) or zero rows (codes).
    """
    if not any(col in table.columns for col in ("mode_summer", "mode_winter", "distance_km")):
        msg = (
            "The table has no mode_summer, mode_winter or distance_km column; segmentation needs at "
            "least one of them: import the survey with grontur first."
        )
        raise MissingColumnError(msg)
    distance = pd.to_numeric(_column(table, "distance_km"), errors="coerce").to_numpy(dtype=float)
    days = pd.to_numeric(_column(table, "days_on_site"), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        log_distance = np.log1p(np.clip(distance, 0.0, None))
    summer = _codes(_column(table, "mode_summer"), MODES)
    winter = _codes(_column(table, "mode_winter"), MODES)
    blocks: dict[str, np.ndarray] = {
        "mode_summer": _one_hot(summer, _MODE_GROUP_INDEX, len(MODE_GROUPS)),
        "mode_winter": _one_hot(winter, _MODE_GROUP_INDEX, len(MODE_GROUPS)),
        "log_distance": log_distance[:, None],
        "days_on_site": days[:, None],
    }
    for flag in FLAGS:
        blocks[flag] = _bool_values(table, flag)[:, None]
    blocks["parking_at_work"] = _one_hot(_codes(_column(table, "parking_at_work"), PARKING_CODES),
                                         np.arange(len(PARKING_CODES)), len(PARKING_CODES))
    blocks["barriers"] = _multi_hot(_column(table, "barriers"), BARRIERS)
    blocks["would_consider"] = _multi_hot(
        _column(table, "would_consider"), tuple(CONSIDER_GROUP_OF), CONSIDER_GROUP_OF, CONSIDER_GROUPS
    )
    blocks["would_help"] = _multi_hot(_column(table, "would_help"), WOULD_HELP)
    blocks["distance_km"] = distance[:, None]
    blocks["mode_summer_code"] = summer
    blocks["mode_winter_code"] = winter
    return blocks


_NUMERIC_BLOCKS: Final = ("log_distance", "days_on_site")
_ONE_HOT_BLOCKS: Final = ("mode_summer", "mode_winter", "parking_at_work")


def _feature_names() -> list[str]:
    names: list[str] = []
    names += [f"mode_summer:{g}" for g in MODE_GROUPS]
    names += [f"mode_winter:{g}" for g in MODE_GROUPS]
    names += ["log_distance", "days_on_site", *FLAGS]
    names += [f"parking:{p}" for p in PARKING_CODES]
    names += [f"barrier:{b}" for b in BARRIERS]
    names += [f"consider:{c}" for c in CONSIDER_GROUPS]
    return names


# ---------------------------------------------------------------------------------------------
# k-means (small, vectorised, deterministic; scikit-learn's KMeans costs ~10x more per call on
# the small tables a municipality has, and the national run fits ~2,500 models)
# ---------------------------------------------------------------------------------------------

def _row_sq(X: np.ndarray) -> np.ndarray:
    """Squared norm of every row (worked out once per matrix by the callers that can)."""
    return np.add.reduce(X * X, axis=1)


def _sq_distances(X: np.ndarray, centers: np.ndarray, x_sq: np.ndarray | None = None,
                  c_sq: np.ndarray | None = None) -> np.ndarray:
    """Squared distances of every row to every centre; ``x_sq`` and ``c_sq`` are the squared
    norms of the rows and the centres when already known."""
    x_sq = _row_sq(X) if x_sq is None else x_sq
    c_sq = _row_sq(centers) if c_sq is None else c_sq
    d = x_sq[:, None] - 2.0 * (X @ centers.T) + c_sq[None, :]
    return np.maximum(d, 0.0)


def _nearest(X: np.ndarray, centers: np.ndarray, chunk: int = 200_000, x_sq: np.ndarray | None = None) -> np.ndarray:
    if len(X) <= chunk:
        return _sq_distances(X, centers, x_sq).argmin(axis=1)
    return np.concatenate([
        _sq_distances(X[i:i + chunk], centers).argmin(axis=1) for i in range(0, len(X), chunk)
    ])


def _kmeans_pp(X: np.ndarray, k: int, runs: int, rng: np.random.Generator, x_sq: np.ndarray) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007) for ``runs`` independent starts at once.

    Returns starting centres of shape (runs, k, features).
    """
    n = len(X)
    picks = np.empty((runs, k), dtype=np.int64)
    picks[:, 0] = rng.integers(n, size=runs)
    # a picked row's squared norm is its row's (the same sum of the same values)
    closest = _sq_distances(X, X[picks[:, 0]], x_sq, x_sq[picks[:, 0]]).T  # (runs, n)
    for j in range(1, k):
        cumulative = np.cumsum(closest, axis=1)
        total = cumulative[:, -1]
        target = rng.random(runs) * total
        pick = np.minimum(np.add.reduce(cumulative < target[:, None], axis=1), n - 1)
        flat = total <= 0  # every point sits on a centre already: any point will do
        if flat.any():
            pick[flat] = rng.integers(n, size=int(flat.sum()))
        picks[:, j] = pick
        closest = np.minimum(closest, _sq_distances(X, X[pick], x_sq, x_sq[pick]).T)
    return X[picks]


def _kmeans(X: np.ndarray, k: int, *, rng: np.random.Generator, n_init: int = 8,
            max_iter: int = 40, tol: float = 0.005, init: np.ndarray | None = None,
            x_sq: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means from ``n_init`` k-means++ starts run side by side; the lowest inertia wins.

    The starts are batched into one array so that their cost is one set of NumPy calls per
    iteration, not one per start. Stops when at most ``tol`` of the points change segment in an
    iteration in every run; ``init`` adds starting centres of shape (k, features) or
    (runs, k, features) to the ``n_init`` k-means++ starts; ``x_sq`` is ``_row_sq(X)`` when known.
    Returns (centers, labels, inertia).
    """
    n = len(X)
    x_sq = _row_sq(X) if x_sq is None else x_sq
    starts = []
    if init is not None:
        starts.append(np.asarray(init, dtype=float).reshape(-1, *np.shape(init)[-2:]))
        k = starts[0].shape[1]
    k = max(1, min(k, n))
    if n_init > 0 or not starts:
        starts.append(_kmeans_pp(X, k, max(1, int(n_init)), rng, x_sq))
    centers = np.concatenate(starts, axis=0)
    runs, _, d = centers.shape
    stop_changed = int(tol * n)
    cells = runs * k
    # each feature's values with every row once per run (row i of run r at i * runs + r), and
    # where each value goes in the flat sums (the feature's block, the run's segments) before
    # its segment is added: one weighted bincount adds each segment's values in row order, as
    # one bincount per feature and run would
    values = np.repeat(X.T, runs, axis=1).ravel()
    cell_base = (np.arange(d) * cells)[:, None] + np.tile(np.arange(runs) * k, n)
    cell_of = np.empty((d, n * runs), dtype=np.intp)
    minus_2x = -2.0 * X  # scaling by -2 is exact: the same distances as |c|^2 - 2 x.c
    labels = np.full((n, runs), -1)
    dist: np.ndarray | None = None
    for _ in range(max_iter):
        flat = centers.reshape(cells, d)
        # |x|^2 is the same for every centre, so the argmin does not need it
        dist = (np.add.reduce(flat * flat, axis=1) + minus_2x @ flat.T).reshape(n, runs, k)
        new_labels = dist.argmin(axis=2)  # (n, runs)
        moved = new_labels != labels
        labels = new_labels
        if not moved.any():
            # the centres of these segments are the centres already (the same sums of the same
            # rows): they are final, and so is their distance to every row
            break
        np.add(cell_base, labels.reshape(-1), out=cell_of)
        counts = np.bincount(cell_of[0], minlength=cells)  # the first feature's cells: the segments
        sums = np.bincount(cell_of.reshape(-1), weights=values, minlength=cells * d).reshape(d, cells).T
        updated = np.divide(sums, np.maximum(counts, 1)[:, None], order="C")
        if not counts.all():
            empty = counts == 0
            updated[empty] = flat[empty]  # an empty segment keeps its centre; merging drops it later
        centers = updated.reshape(runs, k, d)
        dist = None
        # (each run's count on its own: one count over the runs' column costs several times more)
        if stop_changed and max(map(np.count_nonzero, moved.T)) <= stop_changed:
            break
    if dist is None:
        flat = centers.reshape(cells, d)
        dist = ((flat * flat).sum(axis=1) - 2.0 * (X @ flat.T)).reshape(n, runs, k)
    nearest = dist.argmin(axis=2)
    inertia = x_sq.sum() + np.add.reduce(
        dist.reshape(n * runs, k)[np.arange(n * runs), nearest.reshape(-1)].reshape(n, runs), axis=0)
    labels = nearest.T
    best = int(np.argmin(inertia))
    return centers[best], labels[best], float(inertia[best])


def _ward_seeds(X: np.ndarray, ks: list[int], *, rng: np.random.Generator,
                sample: int = 300) -> tuple[dict[int, np.ndarray], np.ndarray | None]:
    """Starting centres for each k from one Ward tree on a sample (Ward seeding, Milligan 1980),
    and the distances between every two rows of ``X`` when the sample is all of them (else None).

    One hierarchical clustering gives a good deterministic start for every number of segments.
    """
    rows = _ward_rows(len(X), rng, sample)
    if not _has_tree(len(rows)):
        return {}, None
    points = X[rows]
    between = distances(points)
    seeds = _tree_seeds(points, ward_tree(between.copy()), ks)
    return seeds, between if len(rows) == len(X) else None


def _ward_rows(n: int, rng: np.random.Generator, sample: int) -> np.ndarray:
    """The rows (of ``n``) a Ward tree is built on: at most ``sample`` drawn at random, in order."""
    return np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)


def _has_tree(n: int) -> bool:
    """Whether ``n`` points are enough for a tree that can give a seed (a cut into 1 < k < n groups)."""
    return n >= 3


def _tree_seeds(points: np.ndarray, tree: np.ndarray | None, ks: list[int]) -> dict[int, np.ndarray]:
    """The means of the groups of each cut of ``tree`` (the Ward tree of ``points``) into k groups."""
    if tree is None:
        return {}
    return {k: _means(points, groups, k, np.zeros((k, points.shape[1])))
            for k, groups in _ward_cuts(tree, [k for k in ks if 1 < k < len(points)]).items()}


def _ward_cuts(tree: np.ndarray, ks: list[int]) -> dict[int, np.ndarray]:
    """The groups (from 0) of ``fcluster(tree, t=k, criterion="maxclust") - 1`` for each ``k`` whose
    cut gives exactly ``k`` groups (tied heights can give fewer; such a ``k`` is left out).

    ``fcluster`` checks the whole tree on every call, which costs several times the cut on the
    small trees here (eleven cuts per municipality), and its compiled routine is private; SciPy's
    clustering package also takes about 0.2 s to import. The cut is worked out here the way that
    routine makes it: the threshold is the smallest merge height that leaves at most ``k``
    groups, and the groups are numbered in the order of a depth-first walk from the root (left
    before right), a subtree below the threshold when the walk enters it and a respondent alone
    when the walk finishes its parent's subtrees. :func:`grontur._ward.ward_tree` returns the
    merges in order of height, each after its two parts, so a merge's height is the largest of
    its subtree (what the routine compares).
    """
    n = len(tree) + 1
    heights = tree[:, 2]
    if (heights[1:] < heights[:-1]).any():
        msg = "a Ward tree whose merges are not in order of height"
        raise ValueError(msg)
    children = tree[:, :2].astype(np.intp)
    parent = np.empty(2 * n - 1, dtype=np.intp)
    parent[children] = np.arange(n, 2 * n - 1)[:, None]
    parent[-1] = 2 * n - 2  # the root is its own parent
    cuts: dict[int, np.ndarray] = {}
    for k in ks:
        # the smallest height leaving at most k groups is the (n - k)-th; the cut undoes every
        # merge above it: the last k - 1 merges, unless heights tie there (fewer groups)
        if not 1 < k < n or heights[n - k - 1] == heights[n - k]:
            continue
        units = _walk(children, n, n - k)
        # every node points to its unit: the top node of its group (pointer jumping)
        up = parent.copy()
        up[units] = units
        while True:
            jumped = up[up]
            if np.array_equal(jumped, up):
                break
            up = jumped
        number = np.empty(2 * n - 1, dtype=np.intp)
        number[units] = np.arange(k)
        cuts[k] = number[up[:n]]
    return cuts


def _walk(children: np.ndarray, n: int, first_undone: int) -> list[int]:
    """The groups' top nodes in the order the walk of :func:`_ward_cuts` numbers them, when the
    merges from row ``first_undone`` on are undone."""
    units: list[int] = []

    def visit(row: int) -> None:
        pair = children[row].tolist()
        for node in pair:
            if node >= n:
                if node - n >= first_undone:
                    visit(node - n)
                else:
                    units.append(node)
        units.extend(node for node in pair if node < n)

    visit(n - 2)
    return units


def canonical_order(matrix: np.ndarray) -> np.ndarray:
    """Row order that depends on the rows' contents only: lexicographic on the feature values.

    Values are rounded to 9 decimals first, so float noise from a different summation order
    cannot reorder two respondents; respondents with equal features are interchangeable.
    """
    if not len(matrix):
        return np.arange(0)
    return _lexicographic(_rounded(matrix))


def _rounded(matrix: np.ndarray) -> np.ndarray:
    """The values the canonical order and the content seed read: rounded to 9 decimals."""
    return np.round(np.asarray(matrix, dtype=float), 9) + 0.0  # + 0.0 turns -0.0 into 0.0


def _lexicographic(keys: np.ndarray) -> np.ndarray:
    """Stable row order, first column first: ``np.lexsort(keys.T[::-1])``, with fewer keys.

    Most columns hold two values (one-hot and multi-hot answers). A run of such columns compares
    as the integer whose bits say which rows hold the larger value (the first column the most
    significant bit), so each run is packed into one integer key and sorted in one pass.
    """
    # one contiguous row per column: each check below reads whole columns (along the rows of
    # the keys, a check costs a NumPy loop per respondent)
    by_column = np.ascontiguousarray(keys.T)
    larger = by_column == by_column.max(axis=1)[:, None]
    two_valued = (larger | (by_column == by_column.min(axis=1)[:, None])).all(axis=1).tolist()
    columns: list[np.ndarray] = []
    j, m = 0, len(by_column)
    while j < m:
        if not two_valued[j]:
            columns.append(by_column[j])
            j += 1
            continue
        end = j + 1
        while end < m and two_valued[end] and end - j < 62:
            end += 1
        # bit (end - 1 - i) says whether column i of the run holds its larger value
        columns.append((np.int64(1) << np.arange(end - j - 1, -1, -1)) @ larger[j:end].astype(np.int64))
        j = end
    return np.lexsort(columns[::-1])


def content_seed(matrix: np.ndarray) -> int:
    """Seed derived from the respondents' features: a digest of the rows in canonical order.

    ``matrix`` must already be in :func:`canonical_order`. The same respondents then give the
    same seed whatever the row order, the column order or the caller's seed, so every random
    draw of the data-driven route (samples, starts, bootstrap resamples) is a function of the
    answers alone.
    """
    return _digest(_rounded(matrix))


def _digest(rows: np.ndarray) -> int:
    digest = hashlib.sha256(np.ascontiguousarray(rows).tobytes()).digest()
    return int.from_bytes(digest[:8], "little")


class _Canonical:
    """The :func:`canonical_order` of a weighted feature matrix and the :func:`content_seed` of
    the matrix in that order, worked out together from one rounding when first asked for (the
    fit and the persona groups' silhouette both use them)."""

    def __init__(self, matrix: np.ndarray) -> None:
        self._source = matrix
        self._order: np.ndarray | None = None
        self._seed = 0

    def _work_out(self) -> np.ndarray:
        keys = _rounded(self._source)
        order = _lexicographic(keys) if len(keys) else np.arange(0)
        self._seed = _digest(keys[order])
        self._order = order
        return order

    @property
    def order(self) -> np.ndarray:
        return self._order if self._order is not None else self._work_out()

    @property
    def seed(self) -> int:
        if self._order is None:
            self._work_out()
        return self._seed


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985), as sklearn's, without its validation cost.

    ``a`` and ``b`` are segment numbers from 0; a number no row has adds an empty row or column
    to the table, which adds nothing to its sums (of whole numbers, so exact in any order)."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb).astype(float)
    pairs = lambda x: (x * (x - 1.0) / 2.0).sum()
    index = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = pairs(np.asarray([float(len(a))]))
    expected = rows * cols / total if total else 0.0
    top = (rows + cols) / 2.0
    if top == expected:
        return 1.0
    return float((index - expected) / (top - expected))


def _merge_small(X: np.ndarray, centers: np.ndarray, min_size: int,
                 x_sq: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Assign to the nearest centre; drop the smallest centre while a segment is below min_size.

    Returns (centers, labels, merged) with centres recomputed as the mean of their members.
    """
    merged = 0
    x_sq = _row_sq(X) if x_sq is None else x_sq
    labels = _nearest(X, centers, x_sq=x_sq)
    while True:
        counts = np.bincount(labels, minlength=len(centers))
        keep = counts > 0
        if not keep.all():
            centers = centers[keep]
            labels = _nearest(X, centers, x_sq=x_sq)
            continue
        if len(centers) <= 1 or not are_small(counts, min_size).any():  # (every centre has members)
            break
        # drop the smallest segment (lowest index among ties, deterministic)
        drop = int(np.argmin(counts))
        centers = np.delete(centers, drop, axis=0)
        merged += 1
        labels = _nearest(X, centers, x_sq=x_sq)
        centers = _means(X, labels, len(centers), centers)
        labels = _nearest(X, centers, x_sq=x_sq)
    return centers, labels, merged


def _means(X: np.ndarray, labels: np.ndarray, k: int, fallback: np.ndarray) -> np.ndarray:
    """Mean of each segment's rows (``X[labels == j].mean(axis=0)``); ``fallback`` for an empty one.

    One weighted bincount over the feature-major values adds each segment's rows in row order,
    as the mean over the rows of two or more columns does (the k-means space has at least two
    components, the feature matrix many more), and the sums are divided by the counts as the
    mean divides them."""
    d = X.shape[1]
    counts = np.bincount(labels, minlength=k)
    cells = (labels + (np.arange(d) * k)[:, None]).ravel()
    sums = np.bincount(cells, weights=X.T.ravel(), minlength=k * d).reshape(d, k).T
    out = fallback.copy()
    filled = counts > 0
    out[filled] = sums[filled] / counts[filled, None]
    return out


def _pairwise(X: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix; float32 is precise enough for a silhouette and 4x faster."""
    X = X.astype(np.float32)
    sq = (X * X).sum(axis=1)
    # |a|^2 + |b|^2 - 2 a.b, worked in place (doubling is exact)
    twice = X @ X.T
    twice *= 2.0
    out = np.add.outer(sq, sq)
    out -= twice
    np.maximum(out, 0.0, out=out)
    return np.sqrt(out, out=out)


def _simplified_silhouette(X: np.ndarray, centers: np.ndarray, labels: np.ndarray,
                           x_sq: np.ndarray | None = None) -> float | None:
    """Silhouette with distances to centres instead of to every point (Hruschka et al. 2004).

    O(n k) instead of O(n^2), so it uses every fitted respondent and has no sampling noise.
    """
    k = len(centers)
    if k < 2:
        return None
    dist = np.sqrt(_sq_distances(X, centers, x_sq))
    rows = np.arange(len(X))
    a = dist[rows, labels].copy()
    dist[rows, labels] = np.inf
    b = dist.min(axis=1)
    denom = np.maximum(np.maximum(a, b), 1e-12)
    return float(np.mean((b - a) / denom))


def _silhouette(dist: np.ndarray, labels: np.ndarray) -> float | None:
    """Mean silhouette from a precomputed distance matrix (None with fewer than 2 clusters)."""
    present, labels = np.unique(labels, return_inverse=True)
    k = len(present)
    n = len(labels)
    if k < 2 or k >= n:
        return None
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0
    sums = dist @ onehot
    counts = onehot.sum(axis=0)
    own = counts[labels]
    a = sums[np.arange(n), labels] / np.maximum(own - 1, 1)
    mean_other = sums / counts[None, :]
    mean_other[np.arange(n), labels] = np.inf
    b = mean_other.min(axis=1)
    denom = np.maximum(a, b)
    s = np.where((own > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    return float(s.mean())


# ---------------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------------

class _HabitSegmenterCore:
    """Segment respondents of a canonical table by habits and barriers.

    Weighted one-hot and standardised features (see ``feature_weights`` in
    ``surveys/personas.yaml``), k-means with greedy k-means++ starts, the number of segments
    chosen by the silhouette on a subsample, segments below ``max(min_size, min_share * n)``
    merged into their nearest neighbour, and stability as the mean adjusted Rand index of
    bootstrap refits.

    Parameters
    ----------
    n_segments
        Fixed number of segments, or None to choose among ``min_segments..max_segments``.
    min_segments, max_segments
        Range searched when ``n_segments`` is None.
    min_size
        Smallest segment in respondents (the privacy threshold ``k``).
    min_share
        Smallest segment as a share of respondents.
    weights
        Feature block weights; None uses ``feature_weights`` of the persona file.
    n_init
        k-means++ starts per candidate, besides the start from a Ward tree.
    explained_variance
        k-means runs on the principal components that explain this share of the variance.
    fit_sample
        Fit on at most this many respondents (drawn at random) and assign the rest to the nearest
        centre.
    eval_sample
        Respondents used for the silhouette and the stability comparison.
    n_resamples
        Bootstrap refits for the stability figure (0 skips it).
    stability_sample
        Size of each bootstrap resample.
    random_state
        Seed of the random draws (fit sample, k-means++ start, bootstrap resamples). None (the
        default) derives it from the respondents' features (:func:`content_seed`), so the same
        respondents give the same segments. Rows are always fitted in :func:`canonical_order`, so
        the table's row and column order never change the segments.

    Attributes
    ----------
    labels_ : ndarray of int, segment of each row of the fitted table, 0 = largest segment
    cluster_centers_ : ndarray, centres in the space of the principal components
    components_, mean_ : ndarray, principal axes and mean of the weighted features
    explained_variance_ratio_ : ndarray
    selection_silhouette_ : float or None, silhouette on the components (used to choose)
    n_segments_ : int
    silhouette_ : float or None, silhouette in the full weighted feature space
    stability_ari_ : float or None
    candidates_ : list of dict, ``{"n_segments", "silhouette"}`` per number tried
    merged_ : int, segments merged into a neighbour for being too small
    min_size_ : int, the minimum segment size applied
    fit_sample_size_ : int
    feature_names_in_model_ : list of str
    center_, scale_, impute_ : dict, standardisation learned on the fit
    """

    labels_: np.ndarray  # set by fit (annotated here: _fit_matrix reorders what _fit_canonical set)

    def __init__(
        self,
        *,
        n_segments: int | None = None,
        min_segments: int = 3,
        max_segments: int = 8,
        min_size: int = 5,
        min_share: float = MIN_SHARE,
        weights: dict[str, float] | None = None,
        n_init: int = 1,
        explained_variance: float = 0.7,
        fit_sample: int = 1000,
        eval_sample: int = 500,
        n_resamples: int = 5,
        stability_sample: int = 300,
        random_state: int | None = None,
    ) -> None:
        self.n_segments = n_segments
        self.min_segments = min_segments
        self.max_segments = max_segments
        self.min_size = min_size
        self.min_share = min_share
        self.weights = weights
        self.n_init = n_init
        self.explained_variance = explained_variance
        self.fit_sample = fit_sample
        self.eval_sample = eval_sample
        self.n_resamples = n_resamples
        self.stability_sample = stability_sample
        self.random_state = random_state

    # -- features ------------------------------------------------------------------------------
    def _learn_scaling(self, blocks: dict[str, np.ndarray]) -> None:
        self.center_: dict[str, float] = {}
        self.scale_: dict[str, float] = {}
        self.impute_: dict[str, float] = {}
        for name in _NUMERIC_BLOCKS:
            values = blocks[name][:, 0]
            finite = values[~np.isnan(values)]
            finite = np.sort(finite)  # sums in a fixed order: the same figures for any row order
            center = float(np.median(finite)) if len(finite) else 0.0
            scale = float(finite.std()) if len(finite) > 1 else 1.0
            self.center_[name] = center
            self.scale_[name] = scale if scale > 1e-9 else 1.0
        for flag in FLAGS:
            values = blocks[flag][:, 0]
            finite = np.sort(values[~np.isnan(values)])
            self.impute_[flag] = float(finite.mean()) if len(finite) else 0.0

    def _weights(self) -> dict[str, float]:
        if self.weights is None:
            return dict(load_personas().feature_weights)
        unknown = set(self.weights) - set(BLOCKS)
        if unknown:
            msg = f"Unknown feature block(s) {sorted(unknown)} in weights; use {', '.join(BLOCKS)}."
            raise ConfigError(msg)
        return {**load_personas().feature_weights, **{k: float(v) for k, v in self.weights.items()}}

    def _matrix(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        weights = self._weights()
        parts: list[np.ndarray] = []
        for name in BLOCKS:
            block = blocks[name]
            w = weights[name]
            if name in _NUMERIC_BLOCKS:
                z = (block - self.center_[name]) / self.scale_[name]
                parts.append(w * np.nan_to_num(z, nan=0.0))
            elif name in FLAGS:
                parts.append(w * np.where(np.isnan(block), self.impute_[name], block))
            elif name in _ONE_HOT_BLOCKS:
                parts.append(block * (w / math.sqrt(2.0)))
            else:
                parts.append(block * w)
        return np.hstack(parts)

    def transform_features(self, X: pd.DataFrame) -> np.ndarray:
        """Weighted feature matrix of a canonical table, with the scaling learned by ``fit``."""
        self._check_fitted()
        return self._matrix(habit_features(X))

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            msg = "This HabitSegmenter is not fitted yet; call fit(table) first."
            raise AttributeError(msg)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: object = None) -> Self:
        """Fit on a canonical response table (one row per respondent)."""
        if not isinstance(X, pd.DataFrame):
            msg = "HabitSegmenter.fit expects the canonical response table as a pandas DataFrame."
            raise TypeError(msg)
        with single_blas_thread():
            return self._fit_blocks(habit_features(X))

    def _fit_blocks(self, blocks: dict[str, np.ndarray]) -> Self:
        self._learn_scaling(blocks)
        self._fit_matrix(self._matrix(blocks))
        return self

    def _fit_matrix(self, matrix: np.ndarray, canonical: _Canonical | None = None) -> None:
        # canonical order: the fit sees the respondents sorted by their answers, so the row order
        # of the table cannot change the segments; labels are put back in the table's order
        canonical = canonical if canonical is not None else _Canonical(matrix)
        self._fit_canonical(matrix[canonical.order],
                            canonical.seed if self.random_state is None else self.random_state)
        labels = np.empty_like(self.labels_)
        labels[canonical.order] = self.labels_
        self.labels_ = labels

    def _fit_canonical(self, matrix: np.ndarray, seed: int) -> None:
        n = len(matrix)
        rng = np.random.default_rng(seed)
        self.feature_names_in_model_ = _feature_names()
        self.min_size_ = int(max(self.min_size, math.ceil(self.min_share * n)))
        fit_idx = np.sort(rng.choice(n, size=self.fit_sample, replace=False)) if n > self.fit_sample else np.arange(n)
        eval_pos = np.sort(rng.choice(len(fit_idx), size=self.eval_sample, replace=False)) \
            if len(fit_idx) > self.eval_sample else np.arange(len(fit_idx))
        self.fit_sample_size_ = len(fit_idx)
        # principal components of the fit sample: k-means and the choice of the number of
        # segments run on the components that carry `explained_variance` of the variance, which
        # drops the noise of rarely named barriers (docs/segmentation.md)
        every = len(fit_idx) == n  # (then the fit sample is the matrix itself, in its order)
        fitted = matrix if every else matrix[fit_idx]
        self.mean_ = fitted.mean(axis=0)
        centred = fitted - self.mean_
        eigval, eigvec = np.linalg.eigh(centred.T @ centred)
        order = np.argsort(eigval)[::-1]
        eigval = np.clip(eigval[order], 0.0, None)
        # fix each axis' sign so results do not depend on the LAPACK build
        vt = eigvec[:, order].T
        vt *= np.where(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]
        ratio = eigval / max(float(eigval.sum()), 1e-12)
        n_comp = int(np.searchsorted(np.cumsum(ratio), self.explained_variance) + 1)
        n_comp = max(2, min(n_comp, len(ratio)))
        self.components_ = vt[:n_comp]
        self.explained_variance_ratio_ = ratio[:n_comp]
        reduced = (centred if every else matrix - self.mean_) @ self.components_.T
        fit_Z = reduced if every else reduced[fit_idx]
        eval_Z = fit_Z[eval_pos]
        min_fit = max(1, math.ceil(self.min_size_ * len(fit_idx) / n)) if n else 1
        upper = max(1, n // max(self.min_size_, 1))
        if self.n_segments is not None:
            ks = [int(self.n_segments)]
        else:
            ks = list(range(max(1, self.min_segments), max(self.min_segments, self.max_segments) + 1))
        ks = sorted({min(k, upper) for k in ks})
        self.candidates_: list[dict[str, Any]] = []
        best: tuple[float, int, np.ndarray] | None = None
        seeds, between = _ward_seeds(fit_Z, ks, rng=rng)
        fit_sq = _row_sq(fit_Z)  # for every candidate
        for k in ks:
            centers, _, _ = _kmeans(fit_Z, k, rng=rng, n_init=self.n_init, init=seeds.get(k), x_sq=fit_sq)
            centers, labels, _ = _merge_small(fit_Z, centers, min_fit, fit_sq)
            sil = _simplified_silhouette(fit_Z, centers, labels, fit_sq)
            self.candidates_.append({"n_segments": int(k), "after_merging": len(centers),
                                     "simplified_silhouette": _round(sil, 4)})
            score = -np.inf if sil is None else sil
            if best is None or score > best[0] + 1e-9:
                best = (score, k, centers)
        assert best is not None
        # final centres: a few Lloyd steps on every respondent, then merge below the minimum size
        centers = best[2]
        if not every:
            centers, _, _ = _kmeans(reduced, len(centers), rng=rng, init=centers, n_init=0, max_iter=10)
        centers, labels, merged = _merge_small(reduced, centers, self.min_size_)
        centers, labels = _order_by_size(centers, labels)
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.n_segments_ = len(centers)
        self.merged_ = int(merged + best[1] - len(best[2]))
        self.selection_silhouette_ = _simplified_silhouette(fit_Z, centers, labels[fit_idx], fit_sq)
        # the published figure: the exact silhouette in the full weighted feature space
        eval_labels = labels[fit_idx][eval_pos]
        self.silhouette_ = _silhouette(_pairwise(fitted[eval_pos]), eval_labels)
        self.stability_ari_ = self._stability(fit_Z, eval_Z, eval_labels, rng, fit_sq, between)

    def _stability(self, fit_X: np.ndarray, eval_X: np.ndarray, eval_labels: np.ndarray,
                   rng: np.random.Generator, fit_sq: np.ndarray, between: np.ndarray | None = None) -> float | None:
        """Mean adjusted Rand index of bootstrap refits; ``fit_sq`` is ``_row_sq(fit_X)``,
        ``between`` the :func:`~grontur._ward.distances` between every two rows of ``fit_X``
        when known (the resamples' trees then read theirs from it)."""
        if self.n_segments_ < 2 or self.n_resamples <= 0:
            return None
        scores = []
        m = len(fit_X)
        size = min(m, int(self.stability_sample))
        k = self.n_segments_
        eval_sq = _row_sq(eval_X)
        resamples = int(self.n_resamples)
        # Each bootstrap resample (of at most stability_sample respondents) is refitted the way
        # the fit was, then compared with the published segments on the evaluation respondents.
        # The resamples' Ward trees are built side by side (ward_trees); the random draws stay
        # in the order of one resample after the other: the resample, its tree's sample, its
        # k-means++ starts. Without such starts (n_init 0) one is drawn after the tree, where the
        # tree gives no seed: then each resample goes alone.
        together = resamples if self.n_init > 0 else 1
        for first in range(0, resamples, together):
            group = []
            for _ in range(first, min(first + together, resamples)):
                drawn = rng.integers(m, size=size)
                boot, boot_sq = fit_X[drawn], fit_sq[drawn]
                tree_rows = drawn[_ward_rows(size, rng, 150)]  # (rows of fit_X)
                starts = _kmeans_pp(boot, min(k, size), self.n_init, rng, boot_sq) if self.n_init > 0 else None
                group.append((boot, boot_sq, tree_rows, starts))
            trees: Sequence[np.ndarray | None] = [None] * len(group)
            if _has_tree(len(group[0][2])):
                trees = list(ward_trees([distances(fit_X[rows]) if between is None else between[np.ix_(rows, rows)]
                                         for _, _, rows, _ in group]))
            for (boot, boot_sq, tree_rows, starts), tree in zip(group, trees, strict=True):
                seed = _tree_seeds(fit_X[tree_rows], tree, [k]).get(k)
                # the seed goes first, as _kmeans puts its init before its own starts
                init = starts if seed is None else seed if starts is None else np.concatenate([seed[None], starts])
                centers, _, _ = _kmeans(boot, k, rng=rng, n_init=0, init=init, x_sq=boot_sq)
                scores.append(_ari(eval_labels, _nearest(eval_X, centers, x_sq=eval_sq)))
        return float(np.mean(scores))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Segment (0 = largest) of each respondent: the nearest centre."""
        return _nearest((self.transform_features(X) - self.mean_) @ self.components_.T, self.cluster_centers_)


# The analysis uses the core above: scikit-learn's base classes add get_params, set_params, clone
# support and fit_predict for callers who use the segmenter as an estimator, but importing
# sklearn.base takes about 0.6 s, so the estimator class is made when it is first asked for
# (``segment.HabitSegmenter``), not when the analysis imports this module.
if TYPE_CHECKING:
    HabitSegmenter = _HabitSegmenterCore
else:
    def __getattr__(name: str) -> Any:
        if name == "HabitSegmenter":
            return _estimator_class()
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)


@cache
def _estimator_class() -> type:
    from sklearn.base import BaseEstimator, ClusterMixin

    class HabitSegmenter(ClusterMixin, BaseEstimator, _HabitSegmenterCore):
        __doc__ = _HabitSegmenterCore.__doc__

    HabitSegmenter.__module__ = __name__
    HabitSegmenter.__qualname__ = "HabitSegmenter"
    return HabitSegmenter


def _order_by_size(centers: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber segments by size (largest first), ties broken by the centre's coordinates."""
    counts = np.bincount(labels, minlength=len(centers))
    keys = [(-int(counts[j]), tuple(np.round(centers[j], 9))) for j in range(len(centers))]
    order = sorted(range(len(centers)), key=lambda j: keys[j])
    remap = np.empty(len(centers), dtype=np.int64)
    remap[order] = np.arange(len(centers))
    return centers[order], remap[labels]


# ---------------------------------------------------------------------------------------------
# The stage entry point
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SegmentResult:
    """Segments of one analysis.

    ``labels`` holds the segment id ("s1", "s2", ... by size) of every respondent, aligned with
    the table index (NA when no segment can be published); ``segments`` the persona cards;
    ``quality`` the ``segmentation`` section of ``results.json``.
    """

    labels: pd.Series
    segments: list[Any]  # cards; gate placeholders until published
    quality: dict[str, Any]
    persona: pd.Series = field(repr=False, default_factory=lambda: pd.Series(dtype="string"))

    def as_dict(self) -> dict[str, Any]:
        """``{"segments": [...], "segmentation": {...}}`` in plain JSON types."""
        return {"segments": _plain(self.segments), "segmentation": _plain(self.quality)}

    def published(self, publication: Publication) -> SegmentResult:
        """The same segments with every figure as the gate decided (``None`` when hidden)."""
        return replace(self, segments=publication.resolve(self.segments), quality=publication.resolve(self.quality))


def segment_respondents(
    table: pd.DataFrame,
    *,
    k: int = DEFAULT_K,
    random_state: int | None = None,
    small_threshold: int = SMALL_THRESHOLD,
    n_resamples: int = 5,
    max_segments: int = 8,
    min_stability: float = MIN_STABILITY,
    min_silhouette: float = MIN_SILHOUETTE,
    personas: str | Path | None = None,
    ledger: Ledger | None = None,
    seasons_asked: int | None = None,
) -> SegmentResult:
    """Segment the respondents of one municipality and describe each segment as a persona card.

    Parameters
    ----------
    table
        Canonical response table (one row per respondent).
    k
        Privacy threshold: no segment and no published cell describes fewer than ``k``.
    random_state
        Kept so that callers need not change; it does not change the segments. The route is a
        function of the answers alone: rows in canonical order, every random draw from a
        generator seeded by a digest of the respondents' features (docs/segmentation.md), so
        the same respondents give the same segments whatever the seed, row order or column order.
    small_threshold
        Below this many respondents the rule-based personas are used.
    n_resamples
        Bootstrap refits for the stability figure.
    max_segments
        Largest number of data-driven segments tried.
    min_stability, min_silhouette
        Data-driven segments are published only when their bootstrap stability (mean adjusted
        Rand index) and their silhouette (separation) both reach these thresholds; otherwise
        the persona rules are used, and ``chosen_because`` says which figure fell short.
    personas
        A persona file to use instead of ``surveys/personas.yaml``.
    ledger
        The run's publication gate: the cards then hold its figures, resolved by the run. Without
        one, the cards are published through a gate of their own.
    """
    check_k(k)
    own = ledger is None
    gate = Ledger(len(table), k) if ledger is None else ledger
    # the matrices here are small: BLAS threads cost more than they give (4x on 2 cores)
    with single_blas_thread():
        result = _segment(table, k=k, small_threshold=small_threshold,
                          n_resamples=n_resamples, max_segments=max_segments, min_stability=min_stability,
                          min_silhouette=min_silhouette, book=load_personas(personas), ledger=gate,
                          one_season=(seasons_asked if seasons_asked is not None else seasons_in(table)) == 1)
    return result.published(gate.decide()) if own else result


def _segment(table: pd.DataFrame, *, k: int, small_threshold: int, n_resamples: int, max_segments: int,
             min_stability: float, min_silhouette: float, book: PersonaBook, ledger: Ledger,
             one_season: bool = False) -> SegmentResult:
    n = len(table)
    min_size = int(max(k, math.ceil(MIN_SHARE * n)))
    blocks = habit_features(table) if n else None
    persona_codes = _persona_codes(table, book, blocks)
    persona = _persona_series(table, book, persona_codes)
    base_quality: dict[str, Any] = {
        "n_respondents": n, "k": k, "min_segment_size": min_size, "small_threshold": small_threshold,
        "n_resamples": 0, "candidates": [], "merged_segments": 0, "fit_sample_size": n,
        "min_stability": min_stability, "min_silhouette": min_silhouette, "clustering": None,
    }
    # nobody, or fewer than k: no segment may be shown (the gate's primary rule), and the gate
    # counts the group of them as hidden
    if blocks is None or not ledger.may_show(n):
        labels = pd.Series(pd.NA, index=table.index, name="segment", dtype="string")
        quality = {**base_quality, "method": METHOD_NONE, "n_segments": 0,
                   "quality": {"metric": "silhouette", "value": None}, "silhouette": None,
                   "stability_ari": None, "structure": None, **_reason("too_few", n=n, k=k),
                   "suppressed_cells": HiddenTally((ledger.guard(np.ones(n, dtype=bool)),))}
        log.info("segmentation skipped: %d respondents, fewer than k=%d", n, k)
        return SegmentResult(labels, [], quality, persona)

    model = _HabitSegmenterCore(min_size=k, max_segments=max_segments, n_resamples=n_resamples, random_state=None)
    model._learn_scaling(blocks)
    matrix = model._matrix(blocks)
    canonical = _Canonical(matrix)
    clustered: _HabitSegmenterCore | None = None
    if n >= small_threshold:
        model._fit_matrix(matrix, canonical)
        clustered = model
    weak = _weakness(clustered, min_stability, min_silhouette)
    if clustered is None or weak is not None:
        codes, merged, segment_personas = _rule_segments(persona_codes, book, matrix, min_size)
        # the silhouette of the persona groups, on a sample drawn from the answers alone
        sample = canonical.order[np.random.default_rng(canonical.seed).permutation(n)[:500]] \
            if n > 500 else np.arange(n)
        sil = _silhouette(_pairwise(matrix[sample]), codes[sample]) if codes.max() > 0 else None
        method, stability, candidates = METHOD_RULES, None, []
        if clustered is None:
            reason = _reason("small", n=n, threshold=small_threshold)
        else:
            stability = clustered.stability_ari_
            candidates = clustered.candidates_
            base_quality["n_resamples"] = n_resamples
            base_quality["clustering"] = {
                "method": METHOD_KMEANS, "n_segments": clustered.n_segments_,
                "silhouette": _round(clustered.silhouette_, 4), "stability_ari": _round(stability, 4),
            }
            reason = _reason(weak or "unstable", stability=_round(stability, 2), min_stability=min_stability,
                             silhouette=_round(clustered.silhouette_, 2), min_silhouette=min_silhouette,
                             structure=_structure(clustered.silhouette_))
        n_segments = int(codes.max()) + 1
    else:
        codes, merged, sil = model.labels_, model.merged_, model.silhouette_
        method, stability, candidates = METHOD_KMEANS, model.stability_ari_, model.candidates_
        reason = _reason("best_silhouette", n_segments=model.n_segments_, low=min(c["n_segments"] for c in candidates),
                         high=max(c["n_segments"] for c in candidates),
                         silhouette=_round(sil, 2), stability=_round(stability, 2), structure=_structure(sil),
                         min_silhouette=min_silhouette, min_stability=min_stability)
        base_quality["n_resamples"] = n_resamples
        base_quality["fit_sample_size"] = model.fit_sample_size_
        n_segments = int(codes.max()) + 1
    ids = np.array([f"s{i + 1}" for i in range(n_segments)], dtype=object)
    labels = pd.Series(ids[codes], index=table.index, name="segment", dtype="string")
    segments, suppressed = _segment_cards(codes, n_segments, blocks, persona_codes, book, ledger,
                                          segment_personas if method == METHOD_RULES else None, one_season=one_season,
                                          stages=stage_of_change(table))
    quality = {
        **base_quality, "method": method, "n_segments": n_segments,
        "quality": {"metric": "silhouette", "value": _round(sil, 4)},
        "silhouette": _round(sil, 4), "stability_ari": _round(stability, 4),
        "structure": _structure(sil), "candidates": candidates, "merged_segments": int(merged),
        **reason, "suppressed_cells": suppressed,
    }
    log.info("segmentation: %d respondents -> %d segments (%s, silhouette %s, stability %s)",
             n, n_segments, method, quality["silhouette"], quality["stability_ari"])
    return SegmentResult(labels, segments, quality, persona)


def _weakness(model: HabitSegmenter | None, min_stability: float, min_silhouette: float) -> str | None:
    """Why fitted clusters are not published: "unstable", "not_separated", both, or None.

    A missing figure (no resamples, a single segment) counts as falling short: only clusters
    shown to be both stable and separated are published as groups.
    """
    if model is None:
        return None
    unstable = model.stability_ari_ is None or model.stability_ari_ < min_stability
    mixed = model.silhouette_ is None or model.silhouette_ < min_silhouette
    if unstable and mixed:
        return "unstable_not_separated"
    return "unstable" if unstable else "not_separated" if mixed else None


def _rule_segments(persona_codes: np.ndarray, book: PersonaBook, matrix: np.ndarray,
                   min_size: int) -> tuple[np.ndarray, int, list[int]]:
    """Persona groups ordered by size; small groups go to the catch-all, then to the nearest.

    Returns the segment of each respondent, the number of merges and each segment's persona.
    """
    ids = list(book.ids)
    catch_all = len(ids) - 1
    codes = persona_codes
    counts = np.bincount(codes, minlength=len(ids))
    small = are_small(counts, min_size)  # (the gate's rule, at a size of at least k)
    small[catch_all] = False
    merged = int(small.sum())
    codes = np.where(small[codes], catch_all, codes)
    counts = np.bincount(codes, minlength=len(ids))
    present = np.flatnonzero(counts)
    local = np.searchsorted(present, codes)
    centers = _means(matrix, local, len(present), np.zeros((len(present), matrix.shape[1])))
    # any group still below min_size (only the catch-all can be) joins the nearest group
    while len(present) > 1:
        sizes = np.bincount(local, minlength=len(present))
        too_small = np.flatnonzero(are_small(sizes, min_size))  # (every group left has members)
        if not len(too_small):
            break
        j = int(too_small[0])
        others = [i for i in range(len(present)) if i != j]
        gaps = ((centers[others] - centers[j]) ** 2).sum(axis=1)
        target = others[int(np.argmin(gaps))]
        local[local == j] = target
        merged += 1
        keep = [i for i in range(len(present)) if i != j]
        remap = np.full(len(present), -1)
        remap[keep] = np.arange(len(keep))
        local = remap[local]
        present = present[keep]
        centers = _means(matrix, local, len(present), np.zeros((len(present), matrix.shape[1])))
    sizes = np.bincount(local, minlength=len(present))
    # largest first; ties by persona order in the file
    order = sorted(range(len(present)), key=lambda i: (-int(sizes[i]), int(present[i])))
    remap = np.empty(len(present), dtype=np.int64)
    remap[order] = np.arange(len(present))
    return remap[local], merged, [int(present[i]) for i in order]


def _structure(sil: float | None) -> str | None:
    if sil is None:
        return None
    for bound, word in STRUCTURE_BANDS:
        if sil > bound:
            return word
    return "none"


def _reason(key: str, **values: Any) -> dict[str, Any]:
    """Why this segmentation: a key with its values, and the sentence in nn, nb and en."""
    return {"chosen_because": {"key": key, "values": values},
            "chosen_because_text": {lang: reason_text(key, values, lang) for lang in LANGUAGES}}




# ---------------------------------------------------------------------------------------------
# Persona cards
# ---------------------------------------------------------------------------------------------

_LIFT_MIN: Final = 1.25      # a barrier "stands out" when named this much more often than overall
_SHARE_MIN: Final = 0.10     # ... and by at least this share of the segment
_TOP: Final = 5


def _segment_cards(codes: np.ndarray, n_segments: int, blocks: dict[str, np.ndarray],
                   persona_codes: np.ndarray, book: PersonaBook, ledger: Ledger,
                   segment_personas: list[int] | None = None, *,
                   stages: StageResult | None = None, one_season: bool = False) -> tuple[list[Any], HiddenTally]:
    """One card per segment, every count registered with the publication gate.

    A segment's persona is the rule that made it (rule route, ``segment_personas``) or the one
    most of its members match (ties: file order); its name comes from :func:`_name_segments`.
    """
    n = len(codes)
    # a survey that asked about one season makes no season claim, even where answers differ
    seasons = _seasons_told_apart(blocks) and not one_season
    onehot = np.zeros((n, n_segments))
    onehot[np.arange(n), codes] = 1.0
    sizes = onehot.sum(axis=0)

    barrier_counts = onehot.T @ blocks["barriers"]
    barrier_all = blocks["barriers"].mean(axis=0)
    help_counts = onehot.T @ blocks["would_help"]
    help_all = blocks["would_help"].mean(axis=0)
    indicators, indicator_names = _indicators(blocks, seasons)
    ind_counts = onehot.T @ indicators
    ind_all = indicators.mean(axis=0)

    persona_ids = list(book.ids)
    persona_counts = onehot.T @ np.eye(len(persona_ids))[persona_codes]
    if segment_personas is None:
        segment_personas = [int(np.argmax(row)) for row in persona_counts]
    distance = blocks["distance_km"][:, 0]
    answered = ~np.isnan(distance)
    stage_rows = _StageRows.of(stages) if stages is not None else None
    # each segment's share with each flag (missing as no): sums of ones, the same in any order
    flag_shares = (onehot.T @ np.column_stack([_flag_or_zero(blocks, flag) for flag in FLAGS])) / sizes[:, None]
    barrier_rows, help_rows = _present(blocks["barriers"]), _present(blocks["would_help"])
    indicator_rows = _present(indicators)
    # each season's respondents who answered, and those of each mode, read once for every card
    mode_rows = {season: (blocks[f"mode_{season}_code"] >= 0,
                          [blocks[f"mode_{season}_code"] == m for m in range(len(MODES))])
                 for season in ("summer", "winter")}

    cards: list[Listed] = []
    profiles: list[list[tuple[str, dict[str, Any]]]] = []
    sizes_registered: list[Fig] = []
    season_rows: dict[str, list[list[Fig]]] = {season: [] for season in mode_rows}
    for j in range(n_segments):
        members = codes == j
        tag = ("segment", f"s{j + 1}")
        size = ledger.base(members, tag=(*tag, "n"))
        sizes_registered.append(size)
        mode_share: dict[str, dict[str, Any]] = {}
        for season, (season_answered, of_mode) in mode_rows.items():
            base = ledger.base(members & season_answered, tag=(*tag, season, "n"), answered=True)
            cells = {mode: ledger.count(members & of_mode[m], tag=(*tag, season, mode))
                     for m, mode in enumerate(MODES)}
            # Not a group row for the whole-group rule: who belongs to a segment is not known
            # to a reader, so "all of s3 drive" describes nobody in particular.
            ledger.partition(base, list(cells.values()))
            season_rows[season].append([base, *cells.values()])
            mode_share[season] = {mode: Derived(round(fig.n / base.n, 4) if base.n else None, (fig, base))
                                  for mode, fig in cells.items() if fig.n}
        known = members & answered
        dist_base = ledger.base(known, tag=(*tag, "distance"), answered=True)
        median = Derived(round(float(np.median(distance[known])), 1) if dist_base.n else None, (dist_base,))
        barriers = _standing_out(ledger, members, size, barrier_rows, barrier_counts[j], barrier_all,
                                 BARRIERS, (*tag, "barrier"))
        wishes = _top_wishes(ledger, members, size, help_rows, help_counts[j], help_all,
                             WOULD_HELP, (*tag, "help"))
        defining = _defining(ledger, members, size, indicator_rows, ind_counts[j], ind_all, indicator_names,
                             (*tag, "feature"))
        stage_card = _stage_card(ledger, members, stage_rows, tag) if stage_rows is not None else None
        top_persona = segment_personas[j]
        persona_fig = ledger.count(members & (persona_codes == top_persona), tag=(*tag, "persona"))
        ledger.subset(persona_fig, size)
        cards.append(Listed({
            "id": f"s{j + 1}",
            "label": {},  # filled in by _name_segments once every card is known
            "persona": persona_ids[top_persona],
            "persona_share": Derived(round(float(persona_counts[j, top_persona] / sizes[j]), 4), (persona_fig, size)),
            "size": size,
            "share_of_respondents": Derived(round(size.n / n, 4), (size,)),
            "mode_share": mode_share,
            "median_distance_km": median,
            "barriers": barriers,
            "would_help": wishes,
            "defining_features": defining,
            "stages": stage_card,
        }, (size,)))  # a segment whose size the gate hides is not shown at all
        profiles.append(_profile(blocks, members, seasons, flag_shares[j].tolist()))
    # The segments' sizes add up to everyone, and each mode's count in the habits section is the
    # sum of the segments' counts of it (the table's columns): without them a hidden segment cell
    # would be the overall cell less the other segments' shown cells.
    ledger.columns([np.ones(n, dtype=bool)], [[size] for size in sizes_registered], tag=("segments", "n"))
    for season, (season_answered, of_mode) in mode_rows.items():
        ledger.columns([season_answered, *of_mode], season_rows[season], rows=[(0, range(1, len(MODES) + 1))],
                       tag=("segments", season))
    _name_segments([card.item for card in cards], book, profiles, one_season=not seasons)
    return cards, HiddenTally(tuple(sorted(figures_in(cards), key=lambda f: (f.id, f.cell))))


def _seasons_told_apart(blocks: dict[str, np.ndarray]) -> bool:
    """True when some respondent gave different summer and winter modes.

    A survey with one mode question fills both seasons with the same answer: its segments are
    then described without season words.
    """
    summer, winter = blocks["mode_summer_code"], blocks["mode_winter_code"]
    both = (summer >= 0) & (winter >= 0)
    return bool((summer[both] != winter[both]).any()) or bool(((summer >= 0) != (winter >= 0)).any())


@dataclass(frozen=True)
class _StageRows:
    """The rows of a :class:`~grontur.stages.StageResult` as arrays, read once for every card."""

    known: np.ndarray
    masks: dict[str, np.ndarray]
    derived: np.ndarray

    @classmethod
    def of(cls, stages: StageResult) -> _StageRows:
        # the rows of each stage code, as StageResult.mask gives them, from one pass
        codes = _codes(stages.stage, STAGES)
        return cls(stages.known(), {code: codes == i for i, code in enumerate(STAGES)},
                   stages.derived.to_numpy(dtype=bool, na_value=False))


def _stage_card(ledger: Ledger, members: np.ndarray, stages: _StageRows, tag: tuple[Any, ...]) -> dict[str, Any]:
    """Stage of change of a segment's members (grontur/stages.py): counts and shares of the
    members with a stage, and how many of those stages were derived rather than answered."""
    known = members & stages.known
    base = ledger.base(known, tag=(*tag, "stage", "n"), answered=True)
    cells = {code: ledger.count(members & mask, tag=(*tag, "stage", code)) for code, mask in stages.masks.items()}
    ledger.partition(base, list(cells.values()))
    derived = ledger.count(known & stages.derived, tag=(*tag, "stage", "derived"))
    ledger.subset(derived, base)
    return {
        "n": base,
        "count": cells,
        "share": {code: Derived(round(fig.n / base.n, 4) if base.n else None, (fig, base)) for code, fig in cells.items()},
        "derived": derived,
    }


def _flag_or_zero(blocks: dict[str, np.ndarray], flag: str) -> np.ndarray:
    """A flag's values with missing as 0 (as ``np.nan_to_num``: a flag holds no infinities)."""
    values = blocks[flag][:, 0]
    return np.where(np.isnan(values), 0.0, values)


def _indicators(blocks: dict[str, np.ndarray], seasons: bool = True) -> tuple[np.ndarray, list[str]]:
    """Readable yes/no features used to say what sets a segment apart (no season words when the
    survey did not tell the seasons apart)."""
    names: list[str] = []
    parts: list[np.ndarray] = []
    if not seasons:
        parts.append(blocks["mode_summer"])
        names += [f"mode:{g}" for g in MODE_GROUPS]
    for season in ("summer", "winter") if seasons else ():
        parts.append(blocks[f"mode_{season}"])
        names += [f"mode_{season}:{g}" for g in MODE_GROUPS]
    distance = blocks["distance_km"][:, 0]
    with np.errstate(invalid="ignore"):
        bands = np.column_stack([(distance > lo) & (distance <= hi) for _, lo, hi in DISTANCE_BANDS])
    parts.append(bands.astype(float))
    names += [f"distance:{band}" for band, _, _ in DISTANCE_BANDS]
    parts.append(np.column_stack([_flag_or_zero(blocks, flag) for flag in FLAGS]))
    names += list(FLAGS)
    parts.append(blocks["parking_at_work"])
    names += [f"parking:{p}" for p in PARKING_CODES]
    parts.append(blocks["barriers"])
    names += [f"barrier:{b}" for b in BARRIERS]
    parts.append(blocks["would_consider"])
    names += [f"consider:{c}" for c in CONSIDER_GROUPS]
    return np.hstack(parts), names


def _present(matrix: np.ndarray) -> np.ndarray:
    """Who has each feature of a 0/1 matrix, one contiguous row of flags per feature."""
    return np.ascontiguousarray((matrix > 0).T)


def _flag_items(ledger: Ledger, members: np.ndarray, size: Fig, present: np.ndarray, picked: list[int],
                codes: Sequence[str], shares: np.ndarray, lift: np.ndarray, tag: tuple[Any, ...]) -> list[Listed]:
    items = []
    for i in picked:
        fig = ledger.count(members & present[i], tag=(*tag, codes[i]))
        ledger.subset(fig, size)
        # the lift compares with everyone: it would give the count among all back
        overall_fig = ledger.count(present[i], tag=("segments", "all", tag[-1], codes[i]))
        items.append(Listed({"code": codes[i], "count": fig, "share": Derived(round(float(shares[i]), 4), (fig, size)),
                             "lift": Derived(round(float(lift[i]), 2), (fig, size, overall_fig))}, (fig, size)))
    return items


def _standing_out(ledger: Ledger, members: np.ndarray, size: Fig, present: np.ndarray, counts: np.ndarray,
                  overall: np.ndarray, codes: tuple[str, ...], tag: tuple[Any, ...]) -> list[Listed]:
    """Answers far more common in the segment than overall, most distinctive first."""
    shares = counts / size.n
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(overall > 0, shares / overall, np.nan)
    candidates = [int(i) for i in np.flatnonzero((lift >= _LIFT_MIN) & (shares >= _SHARE_MIN))]
    candidates.sort(key=lambda i: (-lift[i], -shares[i], codes[i]))
    shown = [i for i in candidates if ledger.may_show(int(counts[i]))][:_TOP]
    return _flag_items(ledger, members, size, present, shown, codes, shares, lift, tag)


def _top_wishes(ledger: Ledger, members: np.ndarray, size: Fig, present: np.ndarray, counts: np.ndarray,
                overall: np.ndarray, codes: tuple[str, ...], tag: tuple[Any, ...]) -> list[Listed]:
    """The measures most members say would help."""
    shares = counts / size.n
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(overall > 0, shares / overall, np.nan)
    ranked = sorted((i for i in range(len(codes)) if counts[i] > 0 and codes[i] != "other"),
                    key=lambda i: (-counts[i], codes[i]))[:_TOP]
    return _flag_items(ledger, members, size, present, ranked, codes, shares, lift, tag)


def _defining(ledger: Ledger, members: np.ndarray, size: Fig, present: np.ndarray, counts: np.ndarray,
              overall: np.ndarray, names: list[str], tag: tuple[Any, ...], top: int = 4) -> list[Listed]:
    """Features far more common in the segment than overall (standardised difference)."""
    shares = counts / size.n
    spread = np.sqrt(np.clip(overall * (1 - overall), 1e-6, None))
    z = (shares - overall) / spread
    keep = [i for i in np.flatnonzero((shares >= 0.25) & (overall > 0) & (shares >= 1.2 * overall)).tolist()
            if ledger.may_show(int(counts[i]))]
    keep.sort(key=lambda i: (-z[i], names[i]))
    items = []
    everyone: Fig | None = None
    for i in keep[:top]:
        fig = ledger.count(members & present[i], tag=(*tag, names[i]))
        ledger.subset(fig, size)
        overall_fig = ledger.count(present[i], tag=("segments", "all", names[i]))
        if everyone is None:  # the same figure every time
            everyone = ledger.everyone()
        items.append(Listed({"feature": names[i], "label": feature_label(names[i]),
                             "share": Derived(round(float(shares[i]), 4), (fig, size)),
                             "overall_share": Derived(round(float(overall[i]), 4), (overall_fig, everyone)),
                             "lift": Derived(round(float(shares[i] / overall[i]), 2), (fig, size, overall_fig))},
                            (fig, size)))
    return items


def feature_label(feature: str) -> dict[str, str]:
    """Readable name of a defining feature in nn, nb and en."""
    kind, _, code = feature.partition(":")
    if kind == "barrier":
        key = f"code.barriers.{code}"
    elif code:
        key = f"segment.feature.{kind}.{code}"
    else:
        key = f"segment.feature.{kind}"
    return {lang: t(key, lang) for lang in LANGUAGES}


#: A segment carries a persona's name only when at least this share of its members match it.
NAME_MIN_SHARE: Final = 0.6
#: A feature names a segment when at least this share of its members (who answered) have it.
_MODE_MAJORITY: Final = 0.5
_FLAG_MAJORITY: Final = 0.6
#: Distance bands of generated names (km, lower exclusive, upper inclusive).
NAME_DISTANCE_BANDS: Final = (("0_2", 0.0, 2.0), ("2_5", 2.0, 5.0), ("5_15", 5.0, 15.0), ("15_30", 15.0, 30.0),
                              ("30_plus", 30.0, math.inf))


def _dominant_mode(codes: np.ndarray) -> tuple[str, dict[str, Any]] | None:
    """The mode most members answered (if >= 50 %), else its mode group, else "mixed modes"."""
    answered = codes[codes >= 0]
    if not len(answered):
        return None
    counts = np.bincount(answered, minlength=len(MODES))
    top = int(np.argmax(counts))
    if counts[top] >= _MODE_MAJORITY * len(answered):
        return ("segment.name.mode." + MODES[top], {})
    groups = np.bincount(_MODE_GROUP_INDEX[answered], minlength=len(MODE_GROUPS))
    group = int(np.argmax(groups))
    if groups[group] >= _MODE_MAJORITY * len(answered):
        return ("segment.name.group." + MODE_GROUPS[group], {})
    return ("segment.name.mixed_modes", {})


def _profile(blocks: dict[str, np.ndarray], members: np.ndarray, seasons: bool,
             flag_shares: list[float]) -> list[tuple[str, dict[str, Any]]]:
    """What most members of a segment have in common, as catalogue keys: the mode (and the
    winter mode when it differs and the survey told the seasons apart), the distance band and
    the most common situation flag (``flag_shares``: the members' share with each of ``FLAGS``),
    each only when a majority has it."""
    summer = _dominant_mode(blocks["mode_summer_code"][members])
    winter = _dominant_mode(blocks["mode_winter_code"][members]) if seasons else None
    first = summer or winter
    parts: list[tuple[str, dict[str, Any]]] = []
    distance = blocks["distance_km"][members, 0]
    known = distance[~np.isnan(distance)]
    band = None
    for name, low, high in NAME_DISTANCE_BANDS:
        if len(known) and ((known > low) & (known <= high)).sum() >= _MODE_MAJORITY * len(known):
            band = name
    if first is not None:
        if band is not None:
            parts.append(("segment.name.mode_distance", {"mode": first, "distance": f"segment.name.distance.{band}"}))
        else:
            parts.append(first)
    elif band is not None:
        parts.append((f"segment.name.distance_only.{band}", {}))
    if seasons and summer is not None and winter is not None and winter[0] != summer[0]:
        parts.append(("segment.name.in_winter", {"mode": winter}))
    shares = list(zip(flag_shares, FLAGS, strict=True))
    share, flag = max(shares, key=lambda item: (item[0], -FLAGS.index(item[1])))
    if share >= _FLAG_MAJORITY:
        parts.append((f"segment.name.flag.{flag}", {}))
    return parts or [("segment.name.mixed_modes", {})]


def _render(part: tuple[str, dict[str, Any]], lang: str, lower: bool = False) -> str:
    key, values = part
    shown = {}
    for name, value in values.items():
        if isinstance(value, tuple):
            shown[name] = _render(value, lang)
        elif name == "distance":
            shown[name] = t(value, lang)
        else:
            shown[name] = value
    text = t(key, lang, **shown)
    return _lower_first(text) if lower else text


def _generated_name(parts: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """"Drive alone 15–30 km, car in winter, work shifts": every word from the catalogue."""
    return {lang: ", ".join(_render(part, lang, lower=i > 0) for i, part in enumerate(parts)) for lang in LANGUAGES}


def _name_segments(cards: list[dict[str, Any]], book: PersonaBook,
                   profiles: list[list[tuple[str, dict[str, Any]]]] | None = None, *, one_season: bool = False) -> None:
    """Label and description of every card.

    A segment carries its persona's name (and summary) only when at least ``NAME_MIN_SHARE`` of
    its members match it and the persona is not the catch-all; otherwise it is named after what
    most members have in common (:func:`_profile`). Two segments with the same name are told
    apart by their profile, then by a number.
    """
    def exact(value: Any) -> Any:  # the figure behind a gate's placeholder
        return value.value if isinstance(value, Derived) else value.item if isinstance(value, Listed) else value

    catch_all = book.personas[-1].id
    profiles = profiles if profiles is not None else [[] for _ in cards]
    for card, profile in zip(cards, profiles, strict=True):
        persona = book.by_id(card["persona"])
        fit = exact(card["persona_share"])
        named = persona.id != catch_all and fit is not None and fit >= NAME_MIN_SHARE
        card["_profile"] = profile
        if named:
            card["label"] = dict(persona.name)
            card["description"] = persona.summary_for(one_season)
            continue
        card["label"] = _generated_name(profile) if profile else {
            lang: t("segment.label_closest", lang, persona=persona.name[lang]) for lang in LANGUAGES}
        if persona.id == catch_all or fit is None:
            card["description"] = {lang: t("segment.description_generated", lang) for lang in LANGUAGES}
        else:
            # The sentence quotes the share: it is shown only when the share is.
            percent = round(fit * 100)
            text = {lang: t("segment.description_loose", lang, percent=percent, persona=persona.name[lang])
                    for lang in LANGUAGES}
            share = card["persona_share"]
            card["description"] = Derived(text, share.needs) if isinstance(share, Derived) else text
    by_label: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        by_label.setdefault(card["label"]["en"], []).append(card)
    for group in by_label.values():
        if len(group) < 2:
            continue
        for card in group:
            profile = card["_profile"]
            named = card["label"] != _generated_name(profile) if profile else True
            if named and profile:
                text = _generated_name(profile)
                card["label"] = {lang: t("segment.label_with_feature", lang, persona=card["label"][lang],
                                         feature=_lower_first(text[lang])) for lang in LANGUAGES}
    repeated: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        repeated.setdefault(card["label"]["en"], []).append(card)
    for group in repeated.values():
        for number, card in enumerate(group if len(group) > 1 else [], start=1):
            card["label"] = {lang: t("segment.label_numbered", lang, persona=card["label"][lang], number=number)
                             for lang in LANGUAGES}
    for card in cards:
        card.pop("_profile", None)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _round(value: float | None, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


_PLAIN_AS_THEY_ARE: Final = frozenset({str, int})


def _plain(value: Any) -> Any:
    """Deep copy into plain JSON types (no NumPy scalars, no NaN)."""
    if value is None or type(value) in _PLAIN_AS_THEY_ARE:  # (most leaves: no other test)
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.integer | bool | np.bool_):
        return bool(value) if isinstance(value, bool | np.bool_) else int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if value is pd.NA:
        return None
    return value
