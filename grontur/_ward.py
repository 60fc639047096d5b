"""Ward's hierarchical clustering of a few hundred points, in NumPy.

The segmenter seeds k-means from one Ward tree per fit (:func:`grontur.segment._ward_seeds`).
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

import numpy as np


def ward_linkage(points: np.ndarray) -> np.ndarray:
    """The linkage matrix of ``points`` (one row per point): ``n - 1`` rows of (part, part,
    height, size), as ``scipy.cluster.hierarchy.linkage(points, method="ward")`` gives it."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    if n < 2:
        msg = "a Ward tree needs at least two points"
        raise ValueError(msg)
    dist = _distances(points)
    np.fill_diagonal(dist, np.inf)
    size = np.ones(n)
    merges = np.empty((n - 1, 4))
    chain: list[int] = []
    for step in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(size)[0]))
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
        height = dist[x, y]
        x, y = min(x, y), max(x, y)
        nx, ny = size[x], size[y]
        merges[step] = (x, y, height, nx + ny)
        size[x] = 0.0
        size[y] = nx + ny
        # Ward's distance from the merged cluster to each cluster i (SciPy's order of terms); the
        # clusters no longer there hold infinity, and keep it
        t = 1.0 / (nx + ny + size)
        updated = np.sqrt((size + nx) * t * dist[x] * dist[x] + (size + ny) * t * dist[y] * dist[y]
                          - size * t * height * height)
        updated[y] = np.inf
        dist[y] = updated
        dist[:, y] = updated
        dist[x] = np.inf
        dist[:, x] = np.inf
    merges = merges[np.argsort(merges[:, 2], kind="mergesort")]
    _renumber(merges, n)
    return merges


def _distances(points: np.ndarray) -> np.ndarray:
    """The square matrix of Euclidean distances, each summed over the coordinates in order."""
    n = len(points)
    total = np.zeros((n, n))
    difference = np.empty((n, n))  # (one buffer for every coordinate: no new pages each time)
    for column in points.T:
        np.subtract.outer(column, column, out=difference)
        np.multiply(difference, difference, out=difference)
        total += difference
    return np.sqrt(total, out=total)


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

    for row in range(n - 1):
        a, b = root(int(merges[row, 0])), root(int(merges[row, 1]))
        merges[row, 0], merges[row, 1] = min(a, b), max(a, b)
        made = n + row
        parent[a] = parent[b] = made
        sizes[made] = sizes[a] + sizes[b]
        merges[row, 3] = sizes[made]
