"""grontur._ward builds SciPy's Ward tree, number for number, without loading SciPy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.cluster.hierarchy import linkage

from grontur._ward import distances, ward_linkage, ward_linkages, ward_tree


def _sets() -> list[np.ndarray]:
    """Point sets as the segmenter meets them, and harder: ties, duplicates, scales."""
    rng = np.random.default_rng(7)
    out = []
    for n in (2, 3, 4, 5, 17, 60, 150, 300):
        for d in (1, 3, 9, 16):
            out.append(rng.normal(size=(n, d)))
            out.append(rng.integers(0, 3, size=(n, d)).astype(float))  # many tied distances
            base = rng.normal(size=(max(1, n // 3), d))
            out.append(base[rng.integers(len(base), size=n)])  # duplicates, as in a bootstrap resample
            out.append(rng.random((n, d)) * 10.0 ** rng.uniform(-3, 3, size=d))  # coordinates of other scales
    out.append(np.zeros((6, 2)))  # every point the same
    return out


@pytest.mark.parametrize("points", _sets(), ids=lambda p: f"{p.shape[0]}x{p.shape[1]}")
def test_the_tree_is_scipys_bit_for_bit(points: np.ndarray) -> None:
    np.testing.assert_array_equal(ward_linkage(points), linkage(points, method="ward"))


def test_trees_built_side_by_side_are_each_sets_own_tree() -> None:
    # the bootstrap resamples' trees are built together: each must be SciPy's tree of its set,
    # whatever the other sets hold (ties, duplicates, another scale)
    rng = np.random.default_rng(11)
    base = rng.normal(size=(20, 4))
    sets = np.stack([base[rng.integers(len(base), size=40)] for _ in range(5)])
    sets[1] = rng.integers(0, 3, size=(40, 4))
    sets[2] *= 1000.0
    trees = ward_linkages(sets)
    assert trees.shape == (5, 39, 4)
    for points, tree in zip(sets, trees, strict=True):
        np.testing.assert_array_equal(tree, linkage(points, method="ward"))


def test_a_resamples_distances_read_from_its_sources_give_its_tree() -> None:
    # a bootstrap resample takes rows again: its tree, built on the distances read from those of
    # the rows it was drawn from, is SciPy's tree of the resample
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(60, 6))
    rows[40:] = rows[:20]  # equal rows, as respondents with the same answers have
    between = distances(rows)
    for _ in range(5):
        drawn = rng.integers(len(rows), size=45)
        np.testing.assert_array_equal(ward_tree(between[np.ix_(drawn, drawn)]),
                                      linkage(rows[drawn], method="ward"))


def test_the_chain_prefers_its_previous_cluster_among_equally_near_ones() -> None:
    # a square: every side is as near as every other, so the order of the merges rests on the
    # chain's tie rule alone (and the lower numbered cluster first)
    square = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [5.0, 5.0]])
    tree = ward_linkage(square)
    np.testing.assert_array_equal(tree[:, :2], [[0, 1], [2, 3], [5, 6], [4, 7]])
    np.testing.assert_array_equal(tree, linkage(square, method="ward"))


def test_heights_follow_wards_criterion() -> None:
    # two pairs 1 apart, 10 apart from each other: the pairs merge at 1, then at
    # sqrt(2 * (2 * 2) / (2 + 2)) * 10 = sqrt(2) * 10 (the increase in the sum of squares)
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    tree = ward_linkage(points)
    np.testing.assert_allclose(tree[:, 2], [1.0, 1.0, np.sqrt(2 * 10.0 ** 2 * 2 * 2 / 4)])
    np.testing.assert_array_equal(tree[:, 3], [2, 2, 4])


def test_fewer_than_two_points_have_no_tree() -> None:
    with pytest.raises(ValueError, match="two points"):
        ward_linkage(np.zeros((1, 3)))


def test_segmenting_loads_no_scipy() -> None:
    code = ("import sys, numpy as np\n"
            "from grontur._ward import ward_linkage\n"
            "from grontur import segment, stats\n"
            "ward_linkage(np.random.default_rng(0).normal(size=(50, 4)))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
