"""The publication gate: the one place that decides which figures are shown.

A run's stages compute exact figures. Every count a stage may publish is registered here with
the respondents it counts (a boolean mask over the run's table) through a :class:`Ledger`;
figures derived from counts (shares, rates, means, intervals, list entries) name the counts they
rest on (:class:`Derived`, :class:`Listed`). When every stage has run, :meth:`Ledger.decide`
applies the project's ``k`` to all registered counts at once and returns a :class:`Publication`
that every writer reads through (results.json, report, workbook, notebook), so a figure hidden
anywhere is hidden everywhere.

The rules, applied together over every table of the run:

- *Primary*: a count of ``1..k-1`` respondents is hidden.
- *Same people, same figure*: two counts of the same set of respondents are one figure (a
  section's total and another section's subtotal of the same people cannot disagree).
- *Yes/no*: a count whose complement within a published total or share base is ``1..k-1`` is
  hidden ("all but two drive" says as much about the two).
- *Whole group*: in a group breakdown (a workplace, a job group, a segment) a row where one
  answer holds every member is hidden whole: it would give each member's answer.
- *Small total*: the cells of a total of ``1..k-1`` are all hidden, zeros included.
- *Complementary*: the published totals and subtotals are linear equations over the counts
  (a group breakdown's rows and its columns: :meth:`Ledger.partition`), and so is a mean of a
  distribution beside its cells (its base times the mean is the sum of
  each value times its cell: an *amount*, see :meth:`Ledger.amount`). More counts (or amounts)
  are hidden until no hidden count follows from the shown figures by these equations and no sum
  of hidden counts fixed by them lies in ``1..k-1``.
- A derived figure is shown only when every count it rests on is shown.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

# The threshold's default and check live in grontur.threshold (light to import); re-exported here.
from grontur._threads import single_blas_thread
from grontur.errors import PublicationError
from grontur.threshold import DEFAULT_K, check_k


@dataclass(frozen=True, slots=True)
class Fig:
    """A count the run may publish: how many respondents are in one registered set (``id``),
    as one cell of a table (``cell``: the same set counted under another heading is another
    cell, so a rule about what a cell says, such as a whole group's answer, hides that cell)."""

    id: int
    n: int
    cell: int = -1
    ledger: int = 0  # which ledger registered it (one ledger per table of respondents)


@dataclass(frozen=True, slots=True)
class Derived:
    """A figure computed from counts: shown only when every count in ``needs`` is shown."""

    value: Any
    needs: tuple[Fig, ...]


@dataclass(frozen=True, slots=True)
class Listed:
    """An entry of a published list that is left out of the list when a count it needs is hidden
    (even its presence would describe a few people)."""

    item: Any
    needs: tuple[Fig, ...]


@dataclass(frozen=True, slots=True)
class HiddenTally:
    """How many of ``figs`` are hidden (a list says how many entries it leaves out)."""

    figs: tuple[Fig, ...]


@dataclass(frozen=True, slots=True)
class IsHidden:
    """Whether a count is hidden (``True``/``False`` in the published figures)."""

    fig: Fig


@dataclass(frozen=True, slots=True)
class SectionTally:
    """Stands for the number of hidden cells of the section (the dict) it sits in."""


def share(num: Fig, den: Fig) -> Derived:
    """``num / den`` as a derived figure (``None`` when the base is empty)."""
    return Derived(num.n / den.n if den.n else None, (num, den))


#: Tolerances of the gate's linear algebra: a count is fixed by the equations when its squared
#: length in their null space is below ``_FIXED``; a column lies in the span of others when what is
#: left of it is below ``_SPAN`` times the matrix's scale and its own length.
_FIXED = 1e-9
_SPAN = 1e-9
#: A column whose squared length outside a span exceeds ``_CLEAR`` times its own squared length
#: (and ``_CLEAR_BOUND`` times the span bound) lies outside it whatever the rounding.
_CLEAR = 1e-6
_CLEAR_BOUND = 100.0
#: How many of the cheapest rectangles of a breakdown the search weighs when no single count helps.
_RECTANGLES = 12
#: How many steps the search takes, at most, to protect without a base it hid what the base protected.
_RESCUE_STEPS = 6


@dataclass
class _Factor:
    """A component of hidden counts in the gate's equations, factorised: its columns
    (``cols``, ``index``), the equations that touch it (``row_index``), an orthonormal basis of
    the span of its columns (``q``), the pseudo-inverse of its matrix (``pinv``), each count's
    squared length in the null space (``null``: 0 when the equations fix it), the matrix's largest
    singular value or a bound of it (``scale``) and the sums that fix a small total (``sum_flags``)."""

    index: dict[int, int]
    row_index: dict[int, int]
    cols: np.ndarray
    null: np.ndarray
    q: np.ndarray
    pinv: np.ndarray
    scale: float = 1.0
    sum_flags: dict[int, tuple[int, ...]] = field(default_factory=dict)
    _flagged: frozenset[int] | None = None
    _in_sums: Counter[int] = field(default_factory=Counter)  # how many of the small sums each count is in
    _fixed: tuple[int, ...] | None = None

    def flagged(self, leaving: Iterable[int] = ()) -> frozenset[int]:
        """The counts in the small sums of ``sum_flags``, those of the sums ``leaving`` left out."""
        sum_flags = self.sum_flags
        if self._flagged is None:
            self._in_sums = Counter(o for flagged in sum_flags.values() for o in flagged)
            self._flagged = frozenset(self._in_sums)
        out = [s for s in leaving if s in sum_flags]
        if not out:
            return self._flagged
        # A count goes with the sums left out when those are all the small sums it is in.
        dropped: dict[int, int] = {}
        for s in out:
            for o in sum_flags[s]:
                dropped[o] = dropped.get(o, 0) + 1
        gone = [o for o, n in dropped.items() if n == self._in_sums[o]]
        return self._flagged.difference(gone) if gone else self._flagged

    @classmethod
    def of_matrix(cls, cols: list[int], touching: list[int], sub: np.ndarray) -> _Factor:
        """From the matrix of the equations ``touching`` restricted to ``cols`` (thin SVD)."""
        index = {var: j for j, var in enumerate(cols)}
        row_index = {r: i for i, r in enumerate(touching)}
        if not touching:  # no equation touches it: nothing is fixed
            return cls(index, row_index, np.asarray(cols), np.ones(len(cols)), np.zeros((0, 0)),
                       np.zeros((len(cols), 0)))
        # A count is fixed exactly when its unit vector lies in the row space of the equations:
        # its projection onto an orthonormal basis of that space has length 1.
        u, singular, vh = np.linalg.svd(sub, full_matrices=False)
        scale = max(1.0, float(singular.max(initial=0.0)))
        rank = int((singular > _SPAN * scale).sum())
        basis = vh[:rank]
        reach = (basis * basis).sum(axis=0)
        return cls(index, row_index, np.asarray(cols), 1.0 - reach, u[:, :rank],
                   (basis.T / singular[:rank]) @ u[:, :rank].T, scale)

    def entries(self, entries: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """A new column's nonzero entries on this factor's equations: their positions and
        coefficients (a count is in a few equations, the factor may have hundreds)."""
        where: list[int] = []
        coefs: list[float] = []
        for r, coef in entries:
            i = self.row_index.get(r)
            if i is not None:
                where.append(i)
                coefs.append(coef)
        return np.array(where, dtype=np.intp), np.array(coefs)

    def spans(self, where: np.ndarray, coefs: np.ndarray) -> bool:
        """Whether the column with ``coefs`` at ``where`` lies in the span of the columns."""
        return _residual(self.q, self.scale, where, coefs, vector=False) is None

    def fixed(self) -> tuple[int, ...]:
        """The counts the equations fix (remembered: a factor does not change once made)."""
        if self._fixed is None:
            self._fixed = tuple(self.cols[self.null < _FIXED].tolist())
        return self._fixed

    @classmethod
    def joined(cls, parts: Sequence[_Factor], var: int, entries: Sequence[tuple[int, float]]) -> _Factor:
        """The factor of ``parts`` (components with no equation in common) and the new column of
        ``var``, updated without a new decomposition: the blocks side by side, then the column
        appended by Greville's rule for the pseudo-inverse of a matrix with one more column."""
        cols = np.concatenate([*(part.cols for part in parts), np.array([var], dtype=np.intp)])
        n = len(cols)
        if len(parts) == 1:
            index = dict(parts[0].index)
            index[var] = n - 1
            row_index = dict(parts[0].row_index)
        else:
            index = dict(zip(cols.tolist(), range(n)))
            row_index = {}
            for part in parts:
                offset = len(row_index)
                row_index.update({r: offset + i for r, i in part.row_index.items()})
        for r, _ in entries:
            row_index.setdefault(r, len(row_index))  # equations only the new count is in
        m = len(row_index)
        if len(parts) == 1 and parts[0].pinv.shape == (n - 1, m) and parts[0].q.shape[0] == m:
            pinv, q = parts[0].pinv, parts[0].q  # (read only: the part's factor is kept)
        else:
            pinv = np.zeros((n - 1, m))
            q = np.zeros((m, sum(part.q.shape[1] for part in parts)))
            j = i = c = 0
            for part in parts:
                rows_, cols_ = part.pinv.shape
                pinv[j:j + rows_, i:i + cols_] = part.pinv
                q[i:i + cols_, c:c + part.q.shape[1]] = part.q
                j, i, c = j + rows_, i + cols_, c + part.q.shape[1]
        null = np.concatenate([part.null for part in parts] + [np.zeros(1)])
        where = np.array([row_index[r] for r, _ in entries], dtype=np.intp)
        coefs = np.array([coef for _, coef in entries], dtype=float)
        scale = max((part.scale for part in parts), default=1.0)
        d = pinv[:, where] @ coefs
        rest = _residual(q, scale, where, coefs)
        if rest is not None:
            rest -= q @ (q.T @ rest)  # once more against rounding
            b = rest / float(rest @ rest)
            q = np.column_stack([q, rest / float(np.sqrt(rest @ rest))])
            # The null space is unchanged, and the new count is fixed.
        else:
            denominator = 1.0 + float(d @ d)
            b = (d @ pinv) / denominator
            null[:-1] += d * d / denominator
            null[-1] = 1.0 / denominator
        # (pinv - d b^T, then b as its last row, written into one new array)
        updated = np.empty((n, m))
        np.multiply.outer(d, b, out=updated[:-1])
        np.subtract(pinv, updated[:-1], out=updated[:-1])
        updated[-1] = b
        return cls(index, row_index, cols, null, q, updated, max(scale, float(np.sqrt(coefs @ coefs))))


@dataclass
class _Projector:
    """A component's null-space projector as :meth:`_Search.show_again` shrinks it in place: each
    count's position (``index``), the matrix, which counts are not exempt (``open``) and which are
    still in the component (``alive``: a count shown again keeps its position, left out)."""

    index: dict[int, int]
    matrix: np.ndarray
    open: np.ndarray
    alive: np.ndarray


def _residual(q: np.ndarray, scale: float, where: np.ndarray, coefs: np.ndarray, *,
              vector: bool = True) -> np.ndarray | None:
    """What is left of the column with ``coefs`` at rows ``where`` once projected onto the span
    of the orthonormal columns ``q``; ``None`` when that is below ``_SPAN`` times ``scale`` and
    the column's length (the column lies in the span). Without ``vector``, an empty array stands
    for what is left when the column is clearly outside the span."""
    qa = coefs @ q[where]  # (q^T a, from the column's few nonzero entries)
    length2 = float(coefs @ coefs)
    bound = _SPAN * scale * max(1.0, float(np.sqrt(length2)))
    # |a|^2 - |q^T a|^2 is the residual's squared length up to rounding of order 1e-16 |a|^2:
    # far above the bound, the column is outside the span; near it, the residual is worked out.
    left = length2 - float(qa @ qa)
    clear = left > _CLEAR * length2 and left > (_CLEAR_BOUND * bound) ** 2
    if clear and not vector:
        return np.empty(0)
    rest = -(q @ qa)
    rest[where] += coefs
    return rest if clear or float(np.sqrt(rest @ rest)) > bound else None


@dataclass
class _Relation:
    total: int
    parts: tuple[int, ...]
    cells: tuple[int, ...]
    whole: bool = False  # a group row where one part holds every member
    column: bool = False  # a column of a breakdown (see Ledger.partition)
    implied: bool = False  # a sum the other relations imply (see Ledger.partition)


#: Serial numbers of the ledgers of this process: figures of two tables (two survey waves) are
#: told apart by the ledger that registered them.
_LEDGERS = itertools.count(1)


class Ledger:
    """Every count a run may publish, with the respondents it counts, and how counts add up.

    One ledger holds the counts of one table of respondents (a survey wave). Figures that rest
    on two tables (the change between two waves) are :class:`Derived` from the counts of both
    ledgers and resolved by the two decisions together (:meth:`Publication.with_other`)."""

    def __init__(self, n_rows: int, k: int = DEFAULT_K) -> None:
        self.n_rows = int(n_rows)
        self.k = check_k(k)
        self.serial = next(_LEDGERS)
        self._ids: dict[bytes, int] = {}
        self._values: list[int] = []
        self._masks: list[np.ndarray] = []
        self._relations: list[_Relation] = []
        self._cells: dict[tuple[int, Any], int] = {}
        self._pairs: set[tuple[int, int]] = set()
        self._margins: set[int] = set()
        self._answered: set[int] = set()
        self._populations: set[int] = set()
        self._named: dict[str, Fig] = {}
        self._guards = 0
        self._seen_relations: set[tuple[int, tuple[int, ...], tuple[int, ...]]] = set()
        self._unions: dict[int, set[int]] = {}
        self._keys: list[bytes] = []  # each figure's bit-packed mask (no one's for an amount)
        self._amounts: dict[int, tuple[tuple[int, int], ...]] = {}
        self._unpublished: dict[int, bool] = {}  # each one's id: whether it is sensitive
        self._sums_of: list[tuple[bytes, list[np.ndarray], Any]] = []  # (see sum_of)

    # ----------------------------------------------------------------------------- registering

    def count(self, mask: np.ndarray | Iterable[bool], tag: Any = None) -> Fig:
        """Register the respondents in ``mask`` (one flag per row of the run's table).

        ``tag`` names the cell (any hashable, e.g. ``("workplace", "adm", "summer", "walk")``);
        counts of the same people are one figure whatever their tags, but each tagged cell can be
        hidden on its own for what it says."""
        flags = self._flags(mask)
        key = np.packbits(flags).tobytes()
        found = self._ids.get(key)
        if found is None:
            found = len(self._values)
            self._ids[key] = found
            self._values.append(int(np.count_nonzero(flags)))
            self._masks.append(flags)
            self._keys.append(key)
        cell = self._cells.setdefault((found, tag), len(self._cells))
        return Fig(found, self._values[found], cell, self.serial)

    def _flags(self, mask: np.ndarray | Iterable[bool]) -> np.ndarray:
        """``mask`` as one boolean flag per row of the run's table (a boolean array as it is)."""
        flags = mask if type(mask) is np.ndarray and mask.dtype == np.bool_ else np.asarray(mask, dtype=bool)
        if flags.shape != (self.n_rows,):
            msg = f"a mask of {flags.shape} flags, not one per row of the table ({self.n_rows})"
            raise ValueError(msg)
        return flags

    def guard(self, mask: np.ndarray | Iterable[bool]) -> Fig:
        """A group a derived figure says something about without publishing its count (the people
        whose trips a rate does not count): the figure is shown only when the group is 0 or at
        least k. A guard is no published fact, so it takes no part in the other rules."""
        n = int(np.asarray(mask, dtype=bool).sum())
        self._guards += 1
        return Fig(-self._guards, n)

    def base(self, mask: np.ndarray | Iterable[bool], tag: Any = None, *, answered: bool = False) -> Fig:
        """Register a base population (a group's members; with ``answered=True``, those of a
        population who answered a question): the base of shares and means. Bases are hidden
        last. An answered base a few short of the base it is part of is no disclosure: it tells
        only how many answered."""
        fig = self.count(mask, tag)
        self._margins.add(fig.id)
        if answered:
            self._answered.add(fig.id)
        else:
            self._populations.add(fig.id)
        return fig

    def amount(self, weighted: Sequence[tuple[Fig, int]], tag: Any = None) -> Fig:
        """Register the sum of ``weight * count`` over the cells of a distribution (the days of a
        row of day counts: Σ d · count_d), which a published mean of that distribution gives away
        with its base (mean × base). It is no count of people, so only the complementary rule
        applies to it: the gate hides it, and every mean that rests on it, when with it a hidden
        cell would follow from the shown figures. A derived mean must name it among its needs."""
        parts = tuple(sorted({(f.id, int(w)) for f, w in weighted if f.n and w}))
        found = len(self._values)
        self._values.append(sum(self._values[i] * w for i, w in parts))
        self._masks.append(np.zeros(self.n_rows, dtype=bool))
        self._keys.append(bytes((self.n_rows + 7) // 8))
        self._amounts[found] = parts
        cell = self._cells.setdefault((found, tag), len(self._cells))
        return Fig(found, self._values[found], cell, self.serial)

    def unpublished(self, mask: np.ndarray | Iterable[bool], tag: Any = None, *, sensitive: bool = True) -> Fig:
        """Register a count no output shows, which readers can still work out in part from the
        shown ones: those a breakdown leaves out (who did not answer its question) in a column
        of it. It is always hidden, and it is its own unknown even when it is 0 (a reader does not
        know that it is). With ``sensitive=False`` (how many did not answer) it may be worked out;
        otherwise, when it is 1 to k - 1, it is protected like a hidden cell."""
        flags = self._flags(mask)
        found = len(self._values)
        self._values.append(int(np.count_nonzero(flags)))
        self._masks.append(flags)
        self._keys.append(np.packbits(flags).tobytes())
        self._unpublished[found] = sensitive
        cell = self._cells.setdefault((found, tag), len(self._cells))
        return Fig(found, self._values[found], cell, self.serial)

    def columns(self, overall: Sequence[np.ndarray], groups: Sequence[Sequence[Fig]], *,
                rows: Sequence[tuple[int, Sequence[int]]] = (), bases: Sequence[int] = (0,),
                tag: Any = None) -> None:
        """Declare the columns of a breakdown: ``overall[j]`` holds the respondents of column
        ``j`` over everyone (a base, a cell, a subtotal), ``groups[g][j]`` each group's count of
        it. Each column's total is the sum of the groups' counts and of those the groups leave
        out (those who did not answer the breakdown's question), whom no output shows: they are
        registered as :meth:`unpublished` counts, with the equations of their row (``rows``: a
        column and the columns that add up to it). Without the columns, a hidden group cell would
        be the overall cell less the other groups' shown cells. ``bases`` are the columns whose
        left-out count only tells how many did not answer."""
        if not groups:
            return  # (no group: nothing adds up to the overall row)
        inside = [np.zeros(self.n_rows, dtype=bool) for _ in overall]
        for row in groups:
            for j, fig in enumerate(row):
                inside[j] |= self._masks[fig.id]
        rest_masks = [np.asarray(mask, dtype=bool) & ~within for mask, within in zip(overall, inside)]
        rest: list[Fig] = []
        if any(mask.any() for mask in rest_masks):
            rest = [self.unpublished(mask, tag=(tag, "left out", j), sensitive=j not in bases)
                    for j, mask in enumerate(rest_masks)]
            for total, parts in rows:
                self.partition(rest[total], [rest[p] for p in parts])
        for j, mask in enumerate(overall):
            self.partition(self.count(mask), [*(row[j] for row in groups), *rest[j:j + 1]], column=True)

    def sum_of(self, mask: np.ndarray | Iterable[bool], parts: Sequence[np.ndarray], tag: Any = None) -> None:
        """Declare that a count of the respondents in ``mask``, should any output register one,
        is the sum of ``parts``: disjoint sets of respondents that make it up by definition, such
        as the cells of the summer-by-winter table that a mode of either season is made of.
        It is declared as a sum the other relations may imply (:meth:`partition`), no row or
        column of a table: declared as rows and columns, the sums of the summer-by-winter table
        cost the search more rectangles to weigh and hid more.

        The equation is added when the gate decides, once every output has registered its
        counts, and only for a ``mask`` some output counts. A part that a registered count counts
        is that count; any other part is a count no output shows, which readers may work out
        (:meth:`unpublished`, not sensitive). An empty part is left out: the gate then takes it
        as known to be 0, which can only make it hide more. Without these equations a hidden cell
        of one table could be worked out from sets of another that are made of the same cells
        (the winter passengers less the car users who never drive: the drivers who became
        passengers)."""
        flags = self._flags(mask)
        inside = [self._flags(part) for part in parts]
        covered = np.zeros(self.n_rows, dtype=np.int64)
        for part in inside:
            covered += part
        if (covered > 1).any() or not np.array_equal(covered.astype(bool), flags):
            msg = "the parts of a sum must be disjoint and make up its respondents"
            raise ValueError(msg)
        self._sums_of.append((np.packbits(flags).tobytes(), [part for part in inside if part.any()], tag))

    def _declare_sums(self) -> None:
        """The equations :meth:`sum_of` declared, for the counts registered (see there)."""
        pending, self._sums_of = self._sums_of, []
        parts_of: dict[bytes, int] = {}
        keys: dict[int, bytes] = {}  # each part's key, by the part (a part is in many sums)
        for key, parts, tag in pending:
            total = self._ids.get(key)
            if total is None:
                continue
            ids = []
            for part in parts:
                part_key = keys.get(id(part))
                if part_key is None:
                    part_key = keys[id(part)] = np.packbits(part).tobytes()
                found = self._ids.get(part_key, parts_of.get(part_key))
                if found is None:
                    found = parts_of[part_key] = self.unpublished(part, tag=(tag, "part"), sensitive=False).id
                ids.append(found)
            whole, *cells = (Fig(i, self._values[i], -1, self.serial) for i in (total, *ids))
            self.partition(whole, cells, implied=True)

    def named(self, name: str, table: Any) -> Fig:
        """The base population ``name`` of :mod:`grontur.bases` over the run's ``table``,
        registered once; results.json lists every named base a run used with its count."""
        found = self._named.get(name)
        if found is None:
            from grontur.bases import mask

            answered = name.startswith("mode_known") or name == "distance_known"
            found = self._named[name] = self.base(mask(table, name), tag=("base", name), answered=answered)
        return found

    def named_bases(self) -> dict[str, Fig]:
        """The named bases registered so far, by name."""
        return dict(self._named)

    def everyone(self) -> Fig:
        """All respondents of the run."""
        return self.base(np.ones(self.n_rows, dtype=bool))

    def partition(self, total: Fig, parts: Sequence[Fig], *, group: bool = False, column: bool = False,
                  implied: bool = False) -> None:
        """Declare that ``parts`` are disjoint and add up to ``total`` (a table row and its total).

        ``group=True`` marks the row of a group breakdown: when one part holds every member,
        the whole row is hidden. ``column=True`` marks a column of a breakdown (an overall count
        as the sum of the groups' cells of it): the overall count is no subtotal that goes before
        a group's cell beside it. ``implied=True`` marks a sum that the other relations already
        imply (those who do not drive, as the sum of the other modes' cells, when the row and the
        drivers are declared): declared so that a few people hidden in it are seen as a sum, it
        makes its total neither a subtotal nor a margin.
        """
        whole = total.n > 0 and any(p.id == total.id for p in parts)
        # Empty parts add nothing; a part of the same people as the total leaves no equation.
        ids = () if whole else tuple(sorted({p.id for p in parts if p.n or p.id in self._unpublished}))
        cells = tuple(sorted({p.cell for p in parts}))
        whole = whole and group
        key = (total.id, ids, cells)
        if key in self._seen_relations:
            return
        self._seen_relations.add(key)
        self._relations.append(_Relation(total.id, ids, cells, whole, column, implied))

    def union(self, total: Fig, parts: Sequence[Fig]) -> None:
        """Declare that ``total`` counts everyone in any of ``parts``, which may overlap (those
        who use a mode in summer or in winter). Beside one of its parts it would show the few
        outside that part; the gate then hides the union, not the part (as for a subtotal)."""
        inside = self._masks[total.id]
        if any((self._masks[p.id] & ~inside).any() for p in parts):
            msg = "a part of a union has respondents outside the union"
            raise ValueError(msg)
        self._unions.setdefault(total.id, set()).update(p.id for p in parts if p.id != total.id)

    def subset(self, part: Fig, base: Fig) -> None:
        """Declare that ``part`` is published as a share of ``base`` (the yes/no rule applies)."""
        if part.id != base.id:
            self._pairs.add((part.id, base.id))

    def share(self, num: Fig, den: Fig) -> Derived:
        """``num / den``, with the yes/no rule on the pair."""
        self.subset(num, den)
        return share(num, den)

    def may_show(self, n: int) -> bool:
        """Whether a count of ``n`` passes the primary rule (0, or at least ``k``): for a stage
        that must choose what to list before the gate decides (the gate may still hide it)."""
        return not _small(int(n), self.k)

    def mask(self, fig: Fig) -> np.ndarray:
        """The respondents a registered count counts (for audits)."""
        return self._masks[fig.id]

    def figures(self) -> Iterator[Fig]:
        """Every registered count of people that an output may show (amounts and unpublished counts
        are not)."""
        return (Fig(i, v, -1, self.serial) for i, v in enumerate(self._values)
                if i not in self._amounts and i not in self._unpublished)

    def tags(self) -> dict[int, list[Any]]:
        """The tags each registered figure was counted under, by figure id (for audits)."""
        out: dict[int, list[Any]] = {}
        for fid, tag in self._cells:
            out.setdefault(fid, []).append(tag)
        return out

    def relations(self) -> list[tuple[Fig, tuple[Fig, ...]]]:
        """Every declared total with the parts that add up to it (for audits)."""
        fig = lambda i: Fig(i, self._values[i], -1, self.serial)
        return [(fig(rel.total), tuple(fig(p) for p in rel.parts)) for rel in self._relations if rel.parts]

    def left_out(self) -> dict[Fig, bool]:
        """Every :meth:`unpublished` count, with whether it is sensitive (for audits)."""
        return {Fig(i, self._values[i], -1, self.serial): sensitive for i, sensitive in self._unpublished.items()}

    def amounts(self) -> dict[Fig, tuple[tuple[Fig, int], ...]]:
        """Every registered amount with the cells and weights it sums (for audits)."""
        return {Fig(i, self._values[i], -1, self.serial):
                tuple((Fig(p, self._values[p], -1, self.serial), w) for p, w in parts)
                for i, parts in self._amounts.items()}

    # ----------------------------------------------------------------------------- deciding

    def decide(self) -> Publication:
        """Apply the rules above to every registered count at once."""
        from grontur.bases import KEPT_FIRST

        self._declare_sums()
        # Many small decompositions: one thread each is far faster than a pool that waits.
        with single_blas_thread():
            margins = self._margins | {rel.total for rel in self._relations if len(rel.parts) >= 3 and not rel.implied}
            width = (self.n_rows + 7) // 8  # each registered mask, bit-packed, is the key of its figure
            packed = np.frombuffer(b"".join(self._keys), dtype=np.uint8).reshape(len(self._values), width)
            # An amount has no people: nothing lies inside it, and it lies inside nothing. An
            # unpublished count is shown nowhere, so nothing is a few people away from it.
            people = [0 if i in self._amounts or i in self._unpublished else v for i, v in enumerate(self._values)]
            # An unpublished count of the same people as a registered one is that one.
            relations = list(self._relations)
            for i in self._unpublished:
                same = self._ids.get(self._keys[i]) if self._values[i] else None
                if same is not None:
                    relations.append(_Relation(same, (i,), ()))
            pairs = set(self._pairs) | _nested_pairs(packed, people, self._relations, margins, self.k,
                                                      self._unions, self._answered - self._populations)
            # How many answered at all is published outside the gate (the row account), so no
            # search hides it: it would protect nothing.
            everyone = self._ids.get(np.packbits(np.ones(self.n_rows, dtype=bool)).tobytes())
            try:
                sets, cells = _decide(self._values, relations, pairs, margins, self.k, self._amounts,
                                      public=frozenset(() if everyone is None else (everyone,)),
                                      unpublished=self._unpublished,
                                      bases=frozenset(fig.id for name, fig in self._named.items() if name in KEPT_FIRST))
            except _Unprotectable as error:
                raise PublicationError(self._refusal(error.counts)) from None
        return Publication(self.k, frozenset(sets), frozenset(cells), n_figures=len(self._values),
                           ledger=self.serial)

    def _refusal(self, counts: Sequence[int]) -> str:
        """Why the gate refuses to publish: the cells (by their tags) of the ``counts`` it could
        not protect."""
        from grontur.i18n import t

        tags = self.tags()
        named = [" / ".join(_tag_words(tag)) for var in counts for tag in tags.get(var, [])[:1]]
        shown = "; ".join(named[:_NAMED]) + ("; …" if len(named) > _NAMED else "")
        return t("publish.error.unprotectable", "en", n=len(counts), cells=shown or "?", k=self.k)


#: How many cells a refusal names.
_NAMED = 5


def _tag_words(tag: Any) -> list[str]:
    """A cell's tag as words: nested tuples flattened, None left out."""
    if tag is None:
        return []
    if isinstance(tag, tuple):
        return [word for part in tag for word in _tag_words(part)]
    return [str(tag)]


def is_small(count: int, k: int) -> bool:
    """A count of 1 to ``k - 1`` people: too few to show (0 is shown; it describes nobody)."""
    return 0 < int(count) < k


def are_small(counts: np.ndarray, k: int) -> np.ndarray:
    """:func:`is_small` for an array of counts."""
    counts = np.asarray(counts)
    return (counts > 0) & (counts < k)


def are_common(counts: Any, k: int = DEFAULT_K) -> np.ndarray:
    """Which of ``counts`` (an array or a Series) are of ``k`` or more people: an answer given this often may be shown as it is written
    (it describes no one), one given fewer times is pooled or left out."""
    return np.asarray(counts) >= k


_small = is_small


#: The highest set bit of each byte (the first member of a bit-packed set in that byte).
_FIRST_BIT = np.array([0] + [1 << (value.bit_length() - 1) for value in range(1, 256)], dtype=np.uint8)


def _pairs_inside(packed: np.ndarray, values: Sequence[int], k: int) -> list[tuple[int, int]]:
    """Every pair ``(a, b)`` of registered sets (rows of bit-packed masks, ``packed``) where ``a``
    (not empty) lies inside ``b`` and ``b`` has ``1..k-1`` more people. Only sets whose sizes differ by that much are compared (few,
    whatever the table's size), all such pairs at once on the bit-packed masks."""
    sizes = np.asarray(values, dtype=np.int64)
    order = np.argsort(sizes, kind="stable")
    ranked = sizes[order]
    lo = np.searchsorted(ranked, ranked + 1, side="left")
    hi = np.searchsorted(ranked, ranked + k - 1, side="right")
    counts = np.where(ranked > 0, np.maximum(hi - lo, 0), 0)
    total = int(counts.sum())
    if not total:
        return []
    starts = np.repeat(lo, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    inner = order[np.repeat(np.arange(len(order)), counts)]
    outer = order[starts + offsets]
    # First the cheap test of one byte: a set lies inside another only if its first member does.
    first_byte = (packed != 0).argmax(axis=1)
    first_bit = _FIRST_BIT[packed[np.arange(len(packed)), first_byte]]
    keep = (packed[outer, first_byte[inner]] & first_bit[inner]) != 0
    inner, outer = inner[keep], outer[keep]
    total = len(inner)
    # Rows of 64-bit words: a & ~b is zero in every word exactly when a lies inside b.
    width = -(-packed.shape[1] // 8) * 8
    if width != packed.shape[1]:
        packed = np.pad(packed, ((0, 0), (0, width - packed.shape[1])))
    words = packed.view(np.uint64)
    outside = ~words
    step = max(1, (1 << 20) // words.shape[1])  # (a chunk of about 8 MB of words at a time)
    found = np.zeros(total, dtype=bool)
    for start in range(0, total, step):
        a, b = inner[start:start + step], outer[start:start + step]
        found[start:start + step] = ~(words[a] & outside[b]).any(axis=1)
    return list(zip(inner[found].tolist(), outer[found].tolist()))


def _nested_pairs(packed: np.ndarray, values: Sequence[int], relations: Sequence[_Relation],
                  margins: set[int], k: int, unions: Mapping[int, set[int]] | None = None,
                  answered: Iterable[int] = ()) -> set[tuple[int, int]]:
    """Every registered set that lies inside another one with only ``1..k-1`` people more: the
    two side by side would describe those few (the yes/no rule, found whatever section
    registered them). Of the pair, a subtotal (the total of two cells, such as the car drivers,
    or a union, see :meth:`Ledger.union`) goes before the cell inside it, and a count before a
    base; an answered base inside its population is no disclosure (it says how many answered).

    Returns ``(hide, other)`` pairs for :func:`_decide`."""
    if len(values) < 2:
        return set()
    pairs_inside = _pairs_inside(packed, values, k)
    unions = dict(unions or {})
    subtotals = {rel.total for rel in relations if 0 < len(rel.parts) <= 2 and not (rel.column or rel.implied)} | set(unions)
    answered = set(answered)
    out = set()
    for a, b in pairs_inside:
        a, b = int(a), int(b)
        if a in answered and b in margins:
            continue  # those who answered, a few short of the group asked
        if b in subtotals and (b not in margins or a in unions.get(b, ())):
            out.add((b, a))  # a subtotal, or a union ("in either season"), before a part of it
        elif a not in margins or b in margins:
            out.add((a, b))  # the inner count; of two groups (a workplace inside a job group), the smaller
        else:
            out.add((b, a))  # a group inside a larger count of an answer: the count goes
    return out


def _decide(values: Sequence[int], relations: Sequence[_Relation], pairs: Iterable[tuple[int, int]],
            margin: set[int], k: int, amounts: Mapping[int, Sequence[tuple[int, int]]] | None = None,
            public: frozenset[int] = frozenset(), unpublished: Mapping[int, bool] | None = None,
            bases: frozenset[int] = frozenset()) -> tuple[set[int], set[int]]:
    """The hidden sets and the hidden cells. ``amounts`` are the weighted sums of counts
    (:meth:`Ledger.amount`): each one more equation, and no count of people. ``public`` counts
    are known to every reader anyway: the search never hides them. ``unpublished`` counts
    (:meth:`Ledger.unpublished`, each with whether it is sensitive) are always hidden; one that
    is not sensitive, or not 1 to k - 1, may be worked out. ``bases`` are the bases most figures
    rest on, which the search tries again to keep shown."""
    values = [int(v) for v in values]
    amounts = amounts or {}
    unpublished = unpublished or {}
    hidden: set[int] = {i for i, v in enumerate(values) if _small(v, k) and i not in amounts} | set(unpublished)
    cells: set[int] = set()
    for rel in relations:
        if rel.implied:
            continue  # (its parts are in the rows these rules see)
        total = values[rel.total]
        if _small(total, k):
            hidden.update(p for p in rel.parts if values[p])
            cells.update(rel.cells)  # even "nobody" would describe the few others
            continue
        if rel.whole:
            cells.update(rel.cells)  # one answer holds the whole group
            continue
        hidden.update(p for p in rel.parts if values[p] and _small(total - values[p], k))
    for part, base in pairs:
        if values[part] and _small(abs(values[base] - values[part]), k):
            hidden.add(part)
    if not hidden or not (relations or amounts):
        return hidden, cells
    exempt = frozenset(v for v, sensitive in unpublished.items() if not (sensitive and _small(values[v], k)))
    search = _Search(values, relations, amounts, margin, k, public, exempt)
    forced = frozenset(hidden)
    hidden, left = search.run(hidden)
    if left:
        raise _Unprotectable(left)
    hidden = search.show_again(hidden, forced)
    # A base most figures rest on (``bases``), hidden by the search where no cell helped, is tried
    # again: searched anew with the base kept (a few steps at most), it is shown when that hides no
    # other base or margin instead.
    for base in sorted(hidden & bases - forced, key=lambda v: (-values[v], v)):
        again = search.keeping(base)
        found, left = again.run(hidden - {base}, limit=_RESCUE_STEPS)
        if not left:
            found = again.show_again(found, forced)
            if not (found & margin) - hidden:
                hidden = found
    return hidden, cells


class _Unprotectable(Exception):
    """The counts the search could not protect: hiding any more counts would not help, for
    only public ones are left in their equations."""

    def __init__(self, counts: Iterable[int]) -> None:
        super().__init__()
        self.counts = sorted(counts)


class _Search:
    """The complementary rule for one ledger: which more counts to hide so that no hidden count
    follows from the shown ones and no sum of hidden counts they fix is 1 to k - 1 people.

    The equations are the relations (total - sum(parts) = 0) and the amounts (amount - sum of
    weight x cell = 0); the sums the small-sum rule weighs are the relations and each relation
    with one of its parts replaced by that part's own relation (a subtotal opened up). Hidden
    counts fall into components (those that share an equation); each component is factorised
    (:class:`_Factor`) and its problems (counts it fixes, small sums) are remembered by the set
    of its counts. The search is greedy: :meth:`run` hides one count (or a rectangle of three)
    at a time, then :meth:`show_again` shows again what the rest protects without it."""

    def __init__(self, values: list[int], relations: Sequence[_Relation],
                 amounts: Mapping[int, Sequence[tuple[int, int]]], margin: set[int], k: int,
                 public: frozenset[int], exempt: frozenset[int]) -> None:
        self.values, self.margin, self.k = values, margin, k
        self.amounts, self.public, self.exempt = amounts, public, exempt
        relations = [rel for rel in relations if rel.parts]
        rows: list[dict[int, float]] = []
        for rel in relations:
            row = {rel.total: 1.0}
            for p in rel.parts:
                row[p] = row.get(p, 0.0) - 1.0
            rows.append(row)
        by_total: dict[int, list[int]] = {}
        for r, rel in enumerate(relations):
            by_total.setdefault(rel.total, []).append(r)
        # An amount minus its weighted cells is 0 too; it is no sum of people, so the small-sum
        # rule skips it (``weighted``).
        for amount, parts in sorted(amounts.items()):
            row = {amount: 1.0}
            for p, w in parts:
                row[p] = row.get(p, 0.0) - float(w)
            rows.append(row)
        self.weighted = set(range(len(relations), len(rows)))
        sums = list(rows)
        for rel, row in zip(relations, rows):
            if rel.column or rel.implied:
                continue  # (a column opened up is a row of cells again: its own sums say it)
            for p in rel.parts:
                for other in by_total.get(p, []):
                    if relations[other].column or relations[other].implied:
                        continue
                    combined = dict(row)
                    for var, coef in rows[other].items():
                        combined[var] = combined.get(var, 0.0) - coef
                    sums.append({var: c for var, c in combined.items() if c})
        self.rows, self.sums = rows, sums
        self.var_rows: dict[int, list[int]] = {}
        for r, row in enumerate(rows):
            for var in row:
                self.var_rows.setdefault(var, []).append(r)
        self.sum_items = [tuple(row.items()) for row in sums]
        self.var_sums: dict[int, list[int]] = {}
        for s, row in enumerate(sums):
            for var in row:
                self.var_sums.setdefault(var, []).append(s)
        self.part_of: dict[int, list[_Relation]] = {}
        for rel in relations:
            if rel.implied:
                continue  # (no row nor column of a table)
            for p in rel.parts:
                self.part_of.setdefault(p, []).append(rel)
        self.memo: dict[frozenset[int], frozenset[int]] = {}
        self.factors: dict[frozenset[int], _Factor] = {}
        self.changes: dict[tuple[int, frozenset[frozenset[int]]], int] = {}
        self.near: dict[int, frozenset[int]] = {}
        self.lines: dict[tuple[int, bool], frozenset[int]] = {}  # each count's mates
        self.columns: dict[int, list[tuple[int, float]]] = {}  # each count's column_of
        self.comp_of: dict[int, frozenset[int]] = {}  # the component of each hidden count
        self.found: dict[frozenset[int], frozenset[int]] = {}  # the problems of each component

    def keeping(self, var: int) -> _Search:
        """This search again with ``var`` public (never hidden), sharing what it has worked out:
        the factors and problems of components, and the scores, depend on the equations alone."""
        again = copy.copy(self)
        again.public = self.public | {var}
        again.comp_of, again.found = {}, {}
        return again

    # ------------------------------------------------------------------------- components

    def column_of(self, var: int) -> list[tuple[int, float]]:
        """``var``'s column of the equations: (equation, coefficient) pairs."""
        found = self.columns.get(var)
        if found is None:
            rows = self.rows
            found = self.columns[var] = [(r, rows[r][var]) for r in self.var_rows.get(var, [])]
        return found

    def component_problems(self, comp: frozenset[int]) -> frozenset[int]:
        """The counts of ``comp`` that its equations fix or that are in a small sum, from a new
        factorisation (remembered)."""
        found = self.memo.get(comp)
        if found is not None:
            return found
        cols = sorted(comp)
        index = {var: j for j, var in enumerate(cols)}
        touching = sorted({r for var in cols for r in self.var_rows.get(var, [])})
        sub = np.zeros((len(touching), len(cols)))
        for i, r in enumerate(touching):
            for var, coef in self.rows[r].items():
                j = index.get(var)
                if j is not None:
                    sub[i, j] = coef
        factor = _Factor.of_matrix(cols, touching, sub)
        bad: set[int] = set(factor.fixed()) - self.exempt
        for s in sorted({s for var in cols for s in self.var_sums.get(var, [])} - self.weighted):
            flagged = self.small_sum([(var, c) for var, c in self.sum_items[s] if var in comp])
            if flagged:
                factor.sum_flags[s] = flagged
                bad.update(flagged)
        found = self.memo[comp] = frozenset(bad)
        self.factors[comp] = factor
        return found

    def small_sum(self, coefs: Sequence[tuple[int, float]]) -> tuple[int, ...]:
        """The counts of a sum of hidden counts that a reader can work out (``coefs``, the hidden
        counts of an equation with their coefficients) when it is 1 to k - 1 people: empty when
        the sum is no count of people, is not small, or holds only counts that may be known."""
        if not coefs or len({c > 0 for _, c in coefs}) != 1:
            return ()
        values = self.values
        if not _small(round(sum(abs(c) * values[var] for var, c in coefs)), self.k):
            return ()
        return tuple(var for var, _ in coefs if var not in self.exempt)

    def problems_joining(self, var: int, joined: frozenset[frozenset[int]]) -> int:
        """How many problems the component of ``var`` and the ``joined`` components would have
        once ``var`` is hidden too: ``len(component_problems(merged))``, worked out from the
        joined components' factorisations instead of a new one. Hiding ``var`` adds its column
        to the equations; when that column lies in the span of the others, the null space gains
        one vector (the least-norm solution, orthogonal to the old null space) and a count stays
        fixed only if that vector leaves it out; otherwise nothing changes and ``var`` is fixed."""
        parts = [self.factors[comp] for comp in joined]
        column = self.column_of(var)
        inside = True
        solutions: list[np.ndarray | None] = []
        covered = 0
        for factor in parts:
            where, coefs = factor.entries(column)
            covered += len(where)
            if not len(where):
                solutions.append(None)
                continue
            if not factor.spans(where, coefs):
                inside = False
                break
            solutions.append(factor.pinv[:, where] @ coefs)
        inside = inside and covered == len(column)
        bad: set[int] = set()
        if inside:
            denominator = 1.0 + sum(float(x @ x) for x in solutions if x is not None)
            for factor, x in zip(parts, solutions):
                null = factor.null if x is None else factor.null + x * x / denominator
                bad.update(factor.cols[null < _FIXED].tolist())
            if 1.0 / denominator < _FIXED:
                bad.add(var)
        else:
            for factor in parts:
                bad.update(factor.fixed())
            bad.add(var)
        bad -= self.exempt
        own = self.var_sums.get(var, [])
        for factor in parts:
            bad.update(factor.flagged(own))
        for flagged in self.own_sums(var, joined).values():
            bad.update(flagged)
        return len(bad)

    def own_sums(self, var: int, joined: frozenset[frozenset[int]]) -> dict[int, tuple[int, ...]]:
        """The small sums of the equations with ``var`` once it joins ``joined`` (none when
        ``var`` alone holds k or more: a sum with it is no small sum)."""
        if self.values[var] and not _small(self.values[var], self.k):
            return {}
        comp_of, flags = self.comp_of, {}
        for s in set(self.var_sums.get(var, [])) - self.weighted:
            flagged = self.small_sum([(o, c) for o, c in self.sum_items[s] if o == var or comp_of.get(o) in joined])
            if flagged:
                flags[s] = flagged
        return flags

    def sum_problems(self, var: int, joined: frozenset[frozenset[int]],
                     parts: Sequence[_Factor]) -> tuple[dict[int, tuple[int, ...]], set[int]]:
        """The sums that fix a small total once ``var`` joins ``joined``: those of the joined
        components without ``var``, and those with ``var`` worked out again."""
        own = set(self.var_sums.get(var, []))
        flags = {s: flagged for factor in parts for s, flagged in factor.sum_flags.items() if s not in own}
        flags.update(self.own_sums(var, joined))
        return flags, {o for flagged in flags.values() for o in flagged}

    def join(self, var: int, joined: frozenset[frozenset[int]], merged: frozenset[int]) -> frozenset[int]:
        """``component_problems(merged)`` for ``merged`` made of ``joined`` and ``var``, with its
        factor updated from theirs."""
        found = self.memo.get(merged)
        if found is not None:
            return found
        parts = [self.factors[comp] for comp in joined]
        factor = _Factor.joined(parts, var, self.column_of(var))
        factor.sum_flags, sum_bad = self.sum_problems(var, joined, parts)
        found = self.memo[merged] = frozenset((set(factor.fixed()) - self.exempt) | sum_bad)
        self.factors[merged] = factor
        return found

    def components(self, hid: set[int]) -> list[frozenset[int]]:
        """The hidden counts ``hid`` in groups that share an equation or an opened-up sum."""
        parent = {var: var for var in hid}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        var_sums, sums = self.var_sums, self.sums
        touched = {s for var in hid for s in var_sums.get(var, ())}  # the relations and their opened-up sums
        for s in touched:
            members = [other for other in sums[s] if other in hid]
            root = find(members[0])
            for other in members[1:]:
                top = find(other)
                if top != root:
                    parent[top] = root
        groups: dict[int, set[int]] = {}
        for var in hid:
            groups.setdefault(find(var), set()).add(var)
        return [frozenset(g) for g in groups.values()]

    def mates(self, var: int, *, column: bool) -> frozenset[int]:
        """The cells in a column (``column``) or a row of a breakdown with ``var``, ``var`` too."""
        found = self.lines.get((var, column))
        if found is None:
            found = self.lines[var, column] = frozenset(
                p for rel in self.part_of.get(var, []) if rel.column == column for p in rel.parts)
        return found

    def neighbours(self, var: int) -> frozenset[int]:
        """The counts that share an equation (or an opened-up sum) with ``var``."""
        found = self.near.get(var)
        if found is None:
            found = self.near[var] = frozenset(o for s in self.var_sums.get(var, []) for o in self.sums[s])
        return found

    # ------------------------------------------------------------------------- moves

    def rectangles(self, bad: set[int], hidden: set[int]) -> list[frozenset[int]]:
        """Moves that hide three more cells of a breakdown at once: a bad cell's row and column
        each get another hidden cell, and the cell where those two meet is hidden too. In a table
        with row and column totals no single cell protects a cell; a rectangle does. The
        cheapest moves (fewest people) first."""
        values, part_of, mates = self.values, self.part_of, self.mates
        moves: dict[frozenset[int], int] = {}
        for b in sorted(bad):
            lines = part_of.get(b, [])
            for row in (rel for rel in lines if not rel.column):
                for col in (rel for rel in lines if rel.column):
                    xs = [x for x in row.parts if x != b and values[x]]
                    ys = [y for y in col.parts if y != b and values[y]]
                    y_rows = [mates(y, column=False) for y in ys]
                    for x in xs:
                        x_col = mates(x, column=True)
                        for y, y_row in zip(ys, y_rows):
                            for z in x_col & y_row:
                                move = frozenset({x, y, z}) - hidden
                                if z != b and values[z] and move and not move & self.margin:
                                    moves[move] = sum(values[v] for v in move)
        return sorted(moves, key=lambda m: (moves[m], sorted(m)))[:_RECTANGLES]

    def after_move(self, move: frozenset[int], n_bad: int
                   ) -> tuple[int, list[frozenset[int]], list[frozenset[int]]]:
        """How many problems are left with ``move`` hidden too (``n_bad`` now), the components
        it joins and the components they make: its counts joined one by one (:meth:`join`, each
        from the factors of its parts), the components as they were put back afterwards."""
        comp_of = self.comp_of
        became: dict[frozenset[int], frozenset[int]] = {}  # a component -> the one it was joined into
        placed: dict[int, frozenset[int]] = {}  # the move's counts joined so far -> their component

        def now(comp: frozenset[int]) -> frozenset[int]:
            while comp in became:
                comp = became[comp]
            return comp

        originals: set[frozenset[int]] = set()
        for var in sorted(move):
            joined = frozenset(now(comp) for comp in (placed.get(o) or comp_of.get(o) for o in self.neighbours(var))
                               if comp is not None)
            merged = frozenset({var}.union(*joined))
            self.join(var, joined, merged)
            for comp in joined:
                became[comp] = merged
                if not comp & move:
                    originals.add(comp)
            placed[var] = merged
        pieces = list({now(comp) for comp in placed.values()})
        left = n_bad - sum(len(self.found[c]) for c in originals) + sum(len(self.memo[p]) for p in pieces)
        return left, list(originals), pieces

    def score(self, var: int, n_bad: int) -> tuple[bool, bool, int, bool, int, int]:
        """``var``'s rank as the next count to hide (the smallest first): any count that helps,
        a cell before a margin, then the one that leaves fewest problems; of those, an amount (a
        mean) before a count, then the smallest. Of margins that help, the smallest goes (a
        small group rather than a large one)."""
        # Only the components the new hidden count joins change, so the change in problems is
        # the same as long as those components are.
        comp_of = self.comp_of
        joined = frozenset({comp_of[o] for o in self.neighbours(var) if o in comp_of})
        change = self.changes.get((var, joined))
        if change is None:
            change = self.problems_joining(var, joined) - sum(len(self.found[c]) for c in joined)
            self.changes[var, joined] = change
        after = n_bad + change
        values = self.values
        if var in self.margin and after < n_bad:
            return (False, True, values[var], False, after, var)
        return (after >= n_bad, var in self.margin, after, var not in self.amounts, values[var], var)

    def candidates(self, bad: set[int], hidden: set[int]) -> list[int]:
        """The shown counts that may protect the ``bad`` ones: those in their equations, else in
        their sums, else in any equation of their components."""
        values, rows, public = self.values, self.rows, self.public

        def usable(var: int) -> bool:
            return var not in hidden and bool(values[var]) and var not in public

        var_rows, var_sums, sums = self.var_rows, self.var_sums, self.sums
        found = sorted(var for var in {var for r in {r for b in bad for r in var_rows.get(b, ())} for var in rows[r]}
                       if usable(var))
        if not found:
            found = sorted(var for var in {var for s in {s for b in bad for s in var_sums.get(b, ())} for var in sums[s]}
                           if usable(var))
        if not found:
            # The count follows from equations that reach it only through other hidden counts
            # (a subtotal of hidden cells, worked out as a total minus the shown cells): any
            # shown count in an equation of its component can break that.
            reached = {r for comp in {self.comp_of[b] for b in bad} for c in comp for r in var_rows.get(c, ())}
            found = sorted(var for var in {var for r in reached for var in rows[r]} if usable(var))
        return found

    # ------------------------------------------------------------------------- the search

    def run(self, hidden: set[int], *, limit: int | None = None) -> tuple[set[int], set[int]]:
        """Hide more counts until no problem is left; returns the hidden counts and the counts
        whose problems are left (none, unless only public counts were left to hide). A margin (a
        base, or the total of a row of three or more cells, such as a group's size) is hidden
        only when nothing else will do: readers need the bases. With a ``limit``, the search gives
        up (problems left) after that many steps."""
        comps = self.components(hidden)
        self.comp_of = {var: comp for comp in comps for var in comp}
        self.found = {comp: self.component_problems(comp) for comp in comps}
        bad: set[int] = set().union(*self.found.values()) if self.found else set()
        values = self.values
        steps = 0
        while bad:
            candidates = self.candidates(bad, hidden)
            steps += 1
            if not candidates or (limit is not None and steps > limit):
                return hidden, bad
            n_bad = len(bad)
            # Scored lazily in two rounds, with the same choice as scoring all: a cell that helps
            # beats every margin, so the margins are scored only when no cell helps.
            scored = [self.score(var, n_bad) for var in candidates if var not in self.margin]
            chosen: tuple[frozenset[int], tuple[int, list[frozenset[int]], list[frozenset[int]]]] | None = None
            if not any(not key[0] for key in scored):
                # A rectangle that helps, the one that leaves fewest problems, then the cheapest.
                moves = [(move, self.after_move(move, n_bad)) for move in self.rectangles(bad, hidden)]
                helping = [(move, after) for move, after in moves if after[0] < n_bad]
                if helping:
                    chosen = min(helping, key=lambda item: (item[1][0], sum(values[v] for v in item[0]),
                                                            sorted(item[0])))
                else:
                    scored += [self.score(var, n_bad) for var in candidates if var in self.margin]
            if chosen is None:
                move = frozenset({min(scored)[-1]})
                chosen = (move, self.after_move(move, n_bad))
            move, (_, originals, pieces) = chosen
            hidden = hidden | move
            for comp in originals:
                del self.found[comp]
            for piece in pieces:
                self.found[piece] = self.component_problems(piece)  # (made by after_move's joins)
                for var in piece:
                    self.comp_of[var] = piece
            self.forget(pieces)
            bad = set().union(*self.found.values())
        return hidden, set()

    def forget(self, pieces: Sequence[frozenset[int]]) -> None:
        """Let go of the factors of components the search can no longer reach now that ``pieces``
        are components: components only grow, so one that holds part of a piece but not all of
        it will not come again. (Each factor holds a pseudo-inverse; kept, those of the moves
        weighed and not made added up to hundreds of megabytes in a large municipality.)"""
        comp_of = self.comp_of
        stale = [comp for comp in self.factors
                 if comp not in self.found and any(comp_of.get(var) in pieces and not comp_of[var] <= comp for var in comp)]
        for comp in stale:
            del self.factors[comp]
            del self.memo[comp]

    def show_again(self, hidden: set[int], forced: frozenset[int]) -> set[int]:
        """The search is greedy: a count it hid on the way may not be needed once later counts
        are hidden too. Each such count (not ``forced``), the bases first and the largest first,
        is shown again when its component without it leaves no problem (readers need the bases
        most).

        Showing a count again takes its column out of the equations: the null space keeps the
        vectors that leave it out. Its projector P loses a a^T / a_j, a being P's column of the
        count (j), and the row and column j: no new factor is needed, neither to judge a count
        nor for the component left once it is shown."""
        values, comp_of = self.values, self.comp_of
        projectors: dict[frozenset[int], _Projector] = {}

        def projector(comp: frozenset[int]) -> _Projector:
            """The null-space projector of ``comp``'s equations (I - A^+ A), from its factor."""
            found = projectors.get(comp)
            if found is None:
                self.component_problems(comp)
                factor = self.factors[comp]
                matrix = np.zeros((len(factor.row_index), len(factor.cols)))
                for j, var in enumerate(factor.cols.tolist()):
                    where, coefs = factor.entries(self.column_of(var))
                    matrix[where, j] = coefs
                found = projectors[comp] = _Projector(
                    factor.index, np.eye(len(factor.cols)) - factor.pinv @ matrix,
                    np.array([v not in self.exempt for v in factor.cols.tolist()], dtype=bool),
                    np.ones(len(factor.cols), dtype=bool))
            return found

        order = sorted(hidden - forced, key=lambda v: (v not in self.margin, -values[v], v))
        for var in order:
            comp = comp_of[var]
            found = projector(comp)
            j = found.index[var]
            along = found.matrix[:, j]
            if along[j] < _FIXED:
                continue
            left = np.diagonal(found.matrix) - along * along / along[j]
            left[j] = 1.0
            if ((left < _FIXED) & found.open & found.alive).any():
                continue
            rest = comp - {var}
            if any(self.small_sum([(o, c) for o, c in self.sum_items[s] if o in rest])
                   for s in set(self.var_sums.get(var, [])) - self.weighted):
                continue
            hidden = hidden - {var}
            # P - a a^T / a_j, in place (the entries of the counts left are those a new array
            # would hold); the count's own row and column are left out from now on.
            along = along.copy()
            update = np.multiply.outer(along, along)
            np.divide(update, along[j], out=update)
            np.subtract(found.matrix, update, out=found.matrix)
            found.alive[j] = False
            projectors[rest] = found
            for o in rest:
                comp_of[o] = rest
        return hidden


#: Leaves that :meth:`Publication.resolve` passes through as they are.
_PLAIN = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class Publication:
    """What the gate decided: which registered counts are hidden. Every writer reads through it."""

    k: int
    hidden: frozenset[int]
    hidden_cells: frozenset[int] = frozenset()
    n_figures: int = 0
    ledger: int = 0
    others: tuple[Publication, ...] = ()
    #: Every figure as computed, nothing hidden (:func:`exact`): never for anything published.
    everything: bool = False

    def with_other(self, *others: Publication) -> Publication:
        """This decision together with the decisions of other ledgers (another wave's table), so
        that a figure derived from counts of both is shown only when all of them are."""
        return replace(self, others=(*self.others, *others))

    def _owner(self, fig: Fig) -> Publication:
        if fig.ledger == self.ledger:
            return self
        for other in self.others:
            if fig.ledger == other.ledger:
                return other
        msg = f"a figure of ledger {fig.ledger}, which this publication did not decide"
        raise ValueError(msg)

    def shown(self, fig: Fig) -> bool:
        if self.everything:
            return True
        if fig.id < 0:  # a guard (Ledger.guard): only the primary rule
            return not is_small(fig.n, self.k)
        owner = self._owner(fig)
        return fig.id not in owner.hidden and fig.cell not in owner.hidden_cells

    def cell_hidden(self, fig: Fig) -> bool:
        """Whether the cell ``fig`` stands for is hidden for what it says (a whole group's answer)."""
        return fig.cell in self._owner(fig).hidden_cells

    def value(self, figure: Fig | Derived) -> Any:
        """A count or derived figure as published (``None`` when hidden)."""
        if isinstance(figure, Fig):
            return figure.n if self.shown(figure) else None
        return figure.value if all(self.shown(f) for f in figure.needs) else None

    @property
    def n_hidden(self) -> int:
        """How many distinct counts are hidden (sets of respondents, and cells hidden for what
        they say)."""
        return len(self.hidden) + len(self.hidden_cells)

    def resolve(self, obj: Any) -> Any:
        """Replace every :class:`Fig`, :class:`Derived` and :class:`Listed` in ``obj`` (dicts,
        lists, tuples, dataclass-free plain data) by its published value."""
        shown = self.shown

        def go(x: Any) -> Any:
            kind = type(x)
            if kind in _PLAIN:
                return x
            if kind is Fig:
                return x.n if shown(x) else None
            if kind is Derived:
                return x.value if all(shown(f) for f in x.needs) else None
            if kind is dict:
                out_dict = {key: go(item) for key, item in x.items()}
                if any(type(item) is SectionTally for item in x.values()):
                    tally = self.tally(x)
                    out_dict.update({key: tally for key, item in x.items() if type(item) is SectionTally})
                return out_dict
            if kind is HiddenTally:
                return sum(1 for f in x.figs if not shown(f))
            if kind is IsHidden:
                return not shown(x.fig)
            if kind is list or kind is tuple:
                return [go(item.item) if type(item) is Listed else go(item) for item in x
                        if type(item) is not Listed or all(shown(f) for f in item.needs)]
            if isinstance(x, Mapping):
                return {key: go(item) for key, item in x.items()}
            return x

        return go(obj)

    def tally(self, section: Any) -> int:
        """How many of the cells a section uses are hidden."""
        return sum(1 for f in figures_in(section) if not self.shown(f) and (f.n or self.cell_hidden(f)))


def exact(obj: Any) -> Any:
    """Every figure of ``obj`` with its exact value, nothing hidden: for stages that compute with
    their own figures and for tests of the arithmetic. Never for anything that is published."""
    return Publication(DEFAULT_K, frozenset(), everything=True).resolve(obj)


def figures_in(obj: Any) -> set[Fig]:
    """Every count a section uses, directly or through derived figures."""
    found: set[Fig] = set()

    def walk(x: Any) -> None:
        kind = type(x)
        if kind is Fig:
            found.add(x)
        elif kind is IsHidden:
            found.add(x.fig)
        elif kind is HiddenTally:
            found.update(x.figs)
        elif kind is Derived or kind is Listed:
            found.update(x.needs)
            if kind is Listed:
                walk(x.item)
        elif kind is dict:
            for v in x.values():
                walk(v)
        elif kind is list or kind is tuple:
            for v in x:
                walk(v)

    walk(obj)
    return found


# ------------------------------------------------------------------------------------------------
# One table on its own (comparisons of two waves, which have no common table of respondents)

def suppress_with_totals(cells: Mapping[str, int], k: int, *,
                         subtotals: Mapping[str, Sequence[str]] | None = None,
                         force: Iterable[str] = ()) -> tuple[dict[str, int | None], int]:
    """The gate's rules for one row of counts whose total is published, with its subtotals,
    when the counts are known only as numbers (no respondents behind them to register).

    Returns the cells followed by the subtotals (``None`` when hidden) and how many were hidden.
    Keys in ``force`` are hidden too (another published figure needs them hidden).

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
    if _small(total, k):
        return {key: None for key in names}, sum(1 for key in names if values[key])
    index = {key: i for i, key in enumerate(names)}
    forced = set(force)
    hidden = [key for key in names
              if values[key] and (_small(values[key], k) or _small(total - values[key], k) or key in forced)]
    if not hidden:
        return {key: values[key] for key in names}, 0

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
        if not hidden_keys:
            return []
        memo = tuple(hidden_keys)
        if memo not in known:
            cols = [index[key] for key in hidden_keys]
            _, singular, vh = np.linalg.svd(matrix[:, cols])
            rank = int((singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))).sum())
            null = vh[rank:]
            bad = [key for j, key in enumerate(hidden_keys) if not (np.abs(null[:, j]) > 1e-9).any()]
            for relation in relations:
                coef = relation[cols]
                if (coef >= 0).all() or (coef <= 0).all():
                    part = float(np.abs(coef) @ value_vector[cols])
                    if _small(round(part), k):
                        bad.extend(key for key, c in zip(hidden_keys, coef) if c != 0 and key not in bad)
            known[memo] = bad
        return known[memo]

    while True:
        bad = problems(hidden)
        if not bad:
            break
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
