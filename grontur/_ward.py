"""Ward's hierarchical clustering of a few hundred points, in NumPy.

The segmenter seeds k-means from one Ward tree per fit (:func:`grontur.segment._ward_seeds`), and
each bootstrap refit of its stability figure from one more (built side by side,
:func:`ward_trees`, on distances read from the fit's where the fit's tree had every row).
SciPy's ``linkage(points, method="ward")`` builds that tree in compiled code, but
``scipy.cluster`` loads ``scipy.spatial``, ``scipy.linalg`` and ``scipy.special`` with it: about
0.2 s before the first segment of a one-municipality run, more than the trees take. This module
gives the same tree, number for number, with the algorithm SciPy uses, so the segments do not
depend on which one built it (tests/test_ward.py compares the two on sets with ties and
duplicates):

- the Euclidean distances are summed over the coordinates in order, then the square root taken;
- the clusters are merged along a nearest-neighbour chain (Murtagh 1983): from the lowest
  numbered cluster left, each step goes to the nearest other cluster (the lowest numbered of
  equally near ones, but the chain's previous cluster before any other equally near), until two
  clusters are each other's nearest; those two are merged into the higher numbered one;
- the distance of a merged cluster to each other one follows the Lance-Williams formula for
  Ward's criterion, its terms in SciPy's order;
- the merges are sorted by height (a stable sort) and renumbered as SciPy's ``linkage`` numbers
  them: the smaller of the two parts first, a merge as cluster ``n + its row``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def ward_linkage(points: np.ndarray) -> np.ndarray:
    """The linkage matrix of ``points`` (one row per point): ``n - 1`` rows of (part, part,
    height, size), as ``scipy.cluster.hierarchy.linkage(points, method="ward")`` gives it."""
    return ward_tree(distances(np.asarray(points, dtype=float)))


def ward_linkages(point_sets: np.ndarray) -> np.ndarray:
    """The linkage matrices of several sets of as many points each (shape (sets, n, features)),
    each the tree :func:`ward_linkage` gives of its set: shape (sets, n - 1, 4)."""
    return ward_trees([distances(points) for points in np.asarray(point_sets, dtype=float)])


def distances(points: np.ndarray) -> np.ndarray:
    """The square matrix of Euclidean distances between ``points``, each summed over the
    coordinates in order, then its square root taken (as SciPy's ``pdist``): what a tree starts
    from. An entry depends on its two points alone, so the distances between points taken again
    (as a bootstrap resample takes them) can be read from this matrix instead."""
    n = len(points)
    total = np.zeros((n, n))
    difference = np.empty((n, n))  # (one buffer for every coordinate: no new pages each time)
    for column in points.T:
        np.subtract.outer(column, column, out=difference)
        np.multiply(difference, difference, out=difference)
        total += difference
    return np.sqrt(total, out=total)


def ward_tree(dist: np.ndarray) -> np.ndarray:
    """The linkage matrix of the points whose :func:`distances` are ``dist`` (used up: the tree
    is built in it)."""
    n = _points_in_tree(len(dist))
    tree = _Tree(dist, np.ones(n))
    updated = np.empty(n)
    for _ in range(n - 1):
        x, y, nx, ny, height = tree.merge_next()
        _ward_update(tree.size, nx, ny, height, dist[x], dist[y], updated)
        tree.update(updated)
    return tree.linkage()


def ward_trees(dist_sets: Sequence[np.ndarray]) -> np.ndarray:
    """The linkage matrices of several sets of as many points each, from their :func:`distances`
    (used up), each the tree :func:`ward_tree` gives of its set: shape (sets, n - 1, 4).

    The trees are built side by side, one merge of each per step, and the distance updates of a
    step's merges are worked out together: on arrays this small a NumPy call costs far more than
    its arithmetic, and the arithmetic of each element is the same as alone.
    """
    sets, n = len(dist_sets), _points_in_tree(len(dist_sets[0]))
    size = np.ones((sets, n))  # each tree's sizes are a row of this
    trees = [_Tree(dist, row) for dist, row in zip(dist_sets, size, strict=True)]
    dx, dy, updated = np.empty((sets, n)), np.empty((sets, n)), np.empty((sets, n))
    for _ in range(n - 1):
        merged = []  # each tree's merge: the sizes of its two clusters and their distance
        for tree, x_row, y_row in zip(trees, dx, dy, strict=True):
            x, y, nx, ny, height = tree.merge_next()
            x_row[:] = tree.dist[x]
            y_row[:] = tree.dist[y]
            merged.append((nx, ny, height))
        parts = np.array(merged)
        _ward_update(size, parts[:, 0:1], parts[:, 1:2], parts[:, 2:3], dx, dy, updated)
        for tree, row in zip(trees, updated, strict=True):
            tree.update(row)
    return np.stack([tree.linkage() for tree in trees])


def _points_in_tree(n: int) -> int:
    if n < 2:
        msg = "a Ward tree needs at least two points"
        raise ValueError(msg)
    return n


def _ward_update(size: np.ndarray, nx: Any, ny: Any, height: Any, dx: np.ndarray, dy: np.ndarray,
                 out: np.ndarray) -> None:
    """Ward's distance from the merged cluster to each cluster i, into ``out``, in SciPy's order of
    terms: ``sqrt((s_i + nx) t d_xi d_xi + (s_i + ny) t d_yi d_yi - s_i t h h)``,
    ``t = 1 / (nx + ny + s_i)``, with ``size`` the sizes after the merge (the clusters no longer
    there hold infinity, and keep it). ``nx``, ``ny`` and ``height`` are numbers, or columns of
    one number per tree when the rows are of several trees.

    Each step is one NumPy call in place: on arrays this small the calls are the cost."""
    t = np.add(size, nx + ny)
    np.divide(1.0, t, out=t)
    np.add(size, nx, out=out)
    np.multiply(out, t, out=out)
    np.multiply(out, dx, out=out)
    np.multiply(out, dx, out=out)
    y_term = np.add(size, ny)
    np.multiply(y_term, t, out=y_term)
    np.multiply(y_term, dy, out=y_term)
    np.multiply(y_term, dy, out=y_term)
    np.add(out, y_term, out=out)
    np.multiply(size, t, out=y_term)
    np.multiply(y_term, height, out=y_term)
    np.multiply(y_term, height, out=y_term)
    np.subtract(out, y_term, out=out)
    np.sqrt(out, out=out)


class _Tree:
    """One Ward tree being built along a nearest-neighbour chain: the distances between its
    clusters (infinity to itself and to clusters no longer there), their sizes, the merges."""

    def __init__(self, dist: np.ndarray, size: np.ndarray) -> None:
        self.dist = dist
        np.fill_diagonal(dist, np.inf)
        self.size = size  # each cluster's size, 0 once merged into another
        self.sizes = size.tolist()  # the same, read one at a time
        self.chain: list[int] = []
        self.first = 0  # the lowest numbered cluster left
        self.merges: list[tuple[int, int, float, float]] = []
        self.merged = (0, 0)

    def merge_next(self) -> tuple[int, int, float, float, float]:
        """Merge the next two clusters the chain finds (x < y; the merged cluster is y) and
        return them, their sizes before the merge and their distance."""
        chain, sizes, dist = self.chain, self.sizes, self.dist
        if not chain:
            while not sizes[self.first]:
                self.first += 1
            chain.append(self.first)
        while True:
            x = chain[-1]
            row = dist[x]
            y = int(row.argmin())
            if len(chain) > 1:
                previous = chain[-2]
                if row[previous] <= row[y]:  # the chain's previous cluster goes before others as near
                    y = previous
                    break
            chain.append(y)
        del chain[-2:]
        height = float(row[y])
        x, y = min(x, y), max(x, y)
        nx, ny = sizes[x], sizes[y]
        self.merges.append((x, y, height, nx + ny))
        self.size[x] = sizes[x] = 0.0
        self.size[y] = sizes[y] = nx + ny
        self.merged = x, y
        return x, y, nx, ny, height

    def update(self, distances: np.ndarray) -> None:
        """Set the distances of the last merged cluster to every other (:func:`_ward_update`)."""
        x, y = self.merged
        distances[y] = np.inf
        self.dist[y] = distances
        self.dist[:, y] = distances
        self.dist[:, x] = np.inf

    def linkage(self) -> np.ndarray:
        """The merges sorted by height (a stable sort) and numbered as SciPy numbers them."""
        merges = np.array(self.merges)
        merges = merges[np.argsort(merges[:, 2], kind="mergesort")]
        _renumber(merges, len(merges) + 1)
        return merges


def _renumber(merges: np.ndarray, n: int) -> None:
    """Number the parts of the sorted ``merges`` (in place) by what they are at that point: a
    point, or the cluster ``n + row`` its row made, the smaller number first."""
    parent = list(range(2 * n - 1))
    sizes = [1.0] * n + [0.0] * (n - 1)

    def root(node: int) -> int:
        top = node
        while parent[top] != top:
            top = parent[top]
        while parent[node] != top:  # (path compression)
            parent[node], node = top, parent[node]
        return top

    numbered = []  # (the rows read and written as Python numbers: one NumPy call for all)
    for row, (x, y) in enumerate(merges[:, :2].astype(np.intp).tolist()):
        a, b = root(x), root(y)
        made = n + row
        parent[a] = parent[b] = made
        sizes[made] = sizes[a] + sizes[b]
        numbered.append((min(a, b), max(a, b), sizes[made]))
    merges[:, [0, 1, 3]] = numbered
