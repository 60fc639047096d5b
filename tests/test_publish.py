"""The publication gate: each rule, and no hidden count recoverable from what is shown."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grontur.errors import ConfigError
from grontur.publish import Derived, Ledger, Listed, is_small


def _modes(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=object)


def _mode_row(ledger: Ledger, modes: np.ndarray, base: np.ndarray | None = None, *, group: bool = False):
    base = np.ones(len(modes), dtype=bool) if base is None else base
    total = ledger.count(base)
    cells = {m: ledger.count(base & (modes == m), tag=(id(base), m)) for m in sorted(set(modes[base]))}
    ledger.partition(total, list(cells.values()), group=group)
    return total, cells


def test_primary_small_count_is_hidden_and_zero_is_not() -> None:
    ledger = Ledger(12, 5)
    three = ledger.count(np.arange(12) < 3)
    nine = ledger.count(np.arange(12) >= 3)
    nobody = ledger.count(np.zeros(12, dtype=bool))
    pub = ledger.decide()
    assert pub.value(three) is None
    assert pub.value(nine) == 9
    assert pub.value(nobody) == 0


def test_an_answer_given_by_k_or_more_people_may_be_shown_as_written() -> None:
    from grontur.publish import are_common

    assert are_common(np.arange(8)).tolist() == [False] * 5 + [True] * 3
    assert are_common(np.array([6, 7, 8]), k=7).tolist() == [False, True, True]


def test_k_below_five_is_refused() -> None:
    with pytest.raises(ConfigError):
        Ledger(10, 4)


def test_the_same_people_are_one_figure_in_every_section() -> None:
    """A total published in one section and a subtotal of the same people in another are one
    figure: the drivers of a one-season survey cannot be shown beside a hidden car sharer count."""
    modes = _modes(["car_alone"] * 40 + ["car_shared"] * 3 + ["walk"] * 20 + ["bus"] * 9)
    ledger = Ledger(len(modes), 5)
    _, cells = _mode_row(ledger, modes)
    drivers_in_modes = ledger.count(np.isin(modes, ["car_alone", "car_shared"]))
    ledger.partition(drivers_in_modes, [cells["car_alone"], cells["car_shared"]])
    # another section counts "car drivers" over the same respondents
    drivers_elsewhere = ledger.count(np.isin(modes, ["car_shared", "car_alone"]))
    assert drivers_elsewhere == drivers_in_modes
    pub = ledger.decide()
    assert pub.value(cells["car_shared"]) is None
    shown = [pub.value(cells["car_alone"]), pub.value(drivers_elsewhere)]
    assert None in shown, "car drivers minus lone drivers would give the 3 car sharers back"


def test_complementary_hidden_cells_add_up_to_at_least_k() -> None:
    modes = _modes(["a"] * 20 + ["b"] * 2 + ["c"] * 7 + ["d"] * 9)
    ledger = Ledger(len(modes), 5)
    total, cells = _mode_row(ledger, modes)
    pub = ledger.decide()
    hidden = [m for m, f in cells.items() if pub.value(f) is None]
    assert "b" in hidden and len(hidden) >= 2
    assert sum(cells[m].n for m in hidden) >= 5
    assert pub.value(total) == 38


def test_yes_no_rule_hides_a_share_whose_complement_is_small() -> None:
    ledger = Ledger(20, 5)
    base = ledger.everyone()
    most = ledger.count(np.arange(20) < 18)
    rate = ledger.share(most, base)
    pub = ledger.decide()
    assert pub.value(rate) is None
    assert pub.value(base) == 20


def test_whole_group_with_one_answer_is_hidden_with_its_zeros() -> None:
    modes = _modes(["car_alone"] * 8 + ["walk"] * 10 + ["bus"] * 10)
    workplace = np.array(["adm"] * 8 + ["school"] * 20)
    ledger = Ledger(len(modes), 5)
    group = workplace == "adm"
    total = ledger.count(group)
    cells = {m: ledger.count(group & (modes == m), tag=("adm", m)) for m in ("car_alone", "walk", "bus")}
    ledger.partition(total, list(cells.values()), group=True)
    pub = ledger.decide()
    assert pub.value(total) == 8
    assert all(pub.value(f) is None for f in cells.values()), "8 of 8 drive alone: each member's answer"


def test_derived_and_listed_figures_follow_their_counts() -> None:
    ledger = Ledger(30, 5)
    everyone = ledger.everyone()
    few = ledger.count(np.arange(30) < 2)
    many = ledger.count(np.arange(30) >= 10)
    data = {"rate": ledger.share(few, everyone), "mean": Derived(3.5, (many,)),
            "items": [Listed({"code": "x", "count": few}, (few,)), Listed({"code": "y", "count": many}, (many,))]}
    out = ledger.decide().resolve(data)
    assert out == {"rate": None, "mean": 3.5, "items": [{"code": "y", "count": 20}]}


def _recoverable(masks: list[np.ndarray], shown: list[bool]) -> list[int]:
    """Hidden masks whose indicator lies in the row space of the shown masks (worked out by
    adding and subtracting published counts): an independent check, not the gate's own. A
    published sum of values (each person's days) may stand among them as a vector of values."""
    published = np.array([m for m, s in zip(masks, shown) if s], dtype=float)
    out = []
    for i, (m, s) in enumerate(zip(masks, shown)):
        if s or not m.any():
            continue
        if len(published) == 0:
            continue
        coef, *_ = np.linalg.lstsq(published.T, m.astype(float), rcond=None)
        if np.allclose(published.T @ coef, m):
            out.append(i)
    return out


def test_a_hidden_subtotal_reached_only_through_hidden_cells_is_protected_too() -> None:
    # 4 drive alone, 1 shares a car, 5 walk. Both driver cells are small, so the drivers'
    # subtotal (5) is hidden beside them; it still equals the total (10) minus the walkers (5),
    # and no equation with it holds a shown count: the gate must look through its hidden cells
    # to the row they share with the walkers and hide one more count there.
    modes = _modes(["car_alone"] * 4 + ["car_shared"] + ["walk"] * 5)
    ledger = Ledger(len(modes), 5)
    overall, cells = _mode_row(ledger, modes)
    drivers = ledger.count(np.isin(modes, ["car_alone", "car_shared"]))
    ledger.partition(drivers, [cells["car_alone"], cells["car_shared"]])
    pub = ledger.decide()
    figures = list(ledger.figures())
    shown = [pub.shown(f) for f in figures]
    assert not pub.shown(drivers) and not pub.shown(cells["car_alone"]) and not pub.shown(cells["car_shared"])
    assert _recoverable([ledger.mask(f) for f in figures], shown) == []
    assert pub.shown(overall)  # the base stays: a cell goes first


def test_a_hidden_group_cell_is_not_the_overall_cell_less_the_other_groups() -> None:
    # 13 + 1 drive alone and 5 + 5 share a car in groups a and b (a found case). The cell
    # "b shares a car" (5) was hidden beside b's lone driver, but with the overall row it was
    # "shares a car" (10) less "a shares a car" (5): the breakdown's columns are equations too.
    modes = _modes(["car_alone"] * 13 + ["car_shared"] * 5 + ["car_alone"] + ["car_shared"] * 5)
    groups = np.array(["a"] * 18 + ["b"] * 6)
    ledger = Ledger(len(modes), 5)
    overall, cells = _mode_row(ledger, modes)
    rows = {g: _mode_row(ledger, modes, groups == g, group=True) for g in "ab"}
    ledger.partition(overall, [total for total, _ in rows.values()])
    for m, cell in cells.items():
        ledger.partition(cell, [row[m] for _, row in rows.values()], column=True)
    pub = ledger.decide()
    figures = list(ledger.figures())
    assert not pub.shown(rows["b"][1]["car_alone"])
    assert _recoverable([ledger.mask(f) for f in figures], [pub.shown(f) for f in figures]) == []
    assert pub.shown(overall) and all(pub.shown(cell) for cell in cells.values())  # the overall row stays


def _day_row_with_mean(days: list[int | None], k: int):
    """A distribution of days (0..7) with its base and mean, as habits publishes it."""
    values = np.array([np.nan if d is None else d for d in days], dtype=float)
    ledger = Ledger(len(values), k)
    known = ledger.base(~np.isnan(values), answered=True)
    cells = {d: ledger.count(values == d, tag=("days", d)) for d in range(8)}
    ledger.partition(known, list(cells.values()))
    # those with any day at all, a subtotal of the distribution (as remote workers are)
    anyday = ledger.count(values > 0)
    ledger.partition(anyday, [cells[d] for d in range(1, 8)])
    days_sum = ledger.amount([(fig, d) for d, fig in cells.items()])
    mean = Derived(float(np.nanmean(values)) if known.n else None, (known, days_sum))
    return ledger, values, mean, known


def _recoverable_with_days(ledger: Ledger, values: np.ndarray, pub, mean: Derived) -> list[int]:
    """Hidden cells worked out from the shown counts and, when the mean is shown, the sum of days
    it gives with its base (each person's days as one more published vector)."""
    figures = list(ledger.figures())
    vectors = [ledger.mask(f).astype(float) for f in figures]
    shown = [pub.shown(f) for f in figures]
    if pub.value(mean) is not None:
        vectors.append(np.nan_to_num(values))
        shown.append(True)
    return _recoverable(vectors, shown)


def test_a_mean_beside_its_distribution_does_not_give_away_two_hidden_cells() -> None:
    # 2 people on site 1 day and 3 on site 2 days: both cells are small. Their sum (5) is the base
    # minus the shown cells, and the base times the mean less the shown cells' days is their days
    # (1·2 + 2·3 = 8): two equations, two unknowns. The mean must go (or another cell).
    ledger, values, mean, known = _day_row_with_mean([0] * 10 + [1] * 2 + [2] * 3 + [5] * 20, 5)
    pub = ledger.decide()
    assert _recoverable_with_days(ledger, values, pub, mean) == []
    assert pub.value(mean) is None  # of a cell and the mean, the mean goes first
    assert pub.shown(known)  # the base stays


def test_a_mean_of_a_distribution_with_nothing_hidden_is_shown() -> None:
    ledger, _, mean, _ = _day_row_with_mean([0] * 10 + [3] * 6 + [5] * 20, 5)
    assert ledger.decide().value(mean) == pytest.approx((3 * 6 + 5 * 20) / 36)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 7)), min_size=5, max_size=70), st.sampled_from([5, 10]))
def test_no_hidden_day_count_can_be_worked_out_with_the_mean(days: list[int | None], k: int) -> None:
    ledger, values, mean, _ = _day_row_with_mean(days, k)
    pub = ledger.decide()
    assert _recoverable_with_days(ledger, values, pub, mean) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["car_alone", "car_shared", "walk", "bike", "bus"]), min_size=5, max_size=60),
       st.lists(st.sampled_from(["a", "b", "c"]), min_size=60, max_size=60),
       st.sampled_from([5, 10]))
def test_no_hidden_count_can_be_worked_out_from_the_shown_ones(modes_list: list[str], groups_list: list[str],
                                                               k: int) -> None:
    modes = _modes(modes_list)
    groups = np.array(groups_list[: len(modes)])
    ledger = Ledger(len(modes), k)
    overall, cells = _mode_row(ledger, modes)
    drivers = ledger.count(np.isin(modes, ["car_alone", "car_shared"]))
    driver_parts = [cells[m] for m in ("car_alone", "car_shared") if m in cells]
    ledger.partition(drivers, driver_parts)
    sizes, group_cells = [], []
    for g in "abc":
        in_group = groups == g
        total, row = _mode_row(ledger, modes, in_group, group=True)
        sizes.append(total)
        group_cells.append(row)
    ledger.partition(overall, sizes)
    for m, cell in cells.items():  # the columns: each overall cell is the sum of the groups' cells
        ledger.partition(cell, [row[m] for row in group_cells if m in row], column=True)
    pub = ledger.decide()
    figures = list(ledger.figures())
    masks = [ledger.mask(f) for f in figures]
    shown = [pub.shown(f) for f in figures]
    assert _recoverable(masks, shown) == []
    for f, s in zip(figures, shown):
        assert not (s and is_small(f.n, k))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["car_alone", "car_shared", "walk", "bike", "bus"]), min_size=5, max_size=60),
       st.lists(st.sampled_from(["a", "b", "c", None]), min_size=60, max_size=60),
       st.sampled_from([5, 10]))
def test_no_count_of_a_breakdown_some_did_not_answer_can_be_worked_out(modes_list: list[str],
                                                                       groups_list: list[str | None], k: int) -> None:
    """Group rows and the overall row, their columns declared with :meth:`Ledger.columns`: no hidden
    count follows from the shown ones, and no shown total less shown cells leaves a few people,
    with those who gave no group unknown to the reader."""
    modes = _modes(modes_list)
    groups = np.array(groups_list[: len(modes)], dtype=object)
    ledger = Ledger(len(modes), k)
    kinds = ["walk", "bike", "bus", "car_alone", "car_shared"]

    def row(within: np.ndarray, tag: tuple) -> list:
        base = ledger.base(within, tag=(*tag, "summer", "n"), answered=True)
        cells = [ledger.count(within & (modes == m), tag=(*tag, "summer", m)) for m in kinds]
        ledger.partition(base, cells)
        return [base, *cells]

    everyone = np.ones(len(modes), dtype=bool)
    overall = row(everyone, ("modes",))
    rows = [row(groups == g, ("grp", g)) for g in "abc"]
    ledger.columns([everyone, *(modes == m for m in kinds)], rows, rows=[(0, range(1, 6))])
    assert overall  # (registered before the groups, as a report does)
    pub = ledger.decide()
    assert _mode_table_leaks([(ledger, pub)], ("grp",)) == {}
    assert _fixed_by_the_equations(ledger, pub) == []


def _fixed_by_the_equations(ledger: Ledger, pub) -> list[tuple[int, int]]:
    """Hidden counts (and amounts) that the declared equations fix given the shown figures: those
    with no component in the null space of the equations restricted to the hidden figures. An
    independent check of the gate's decision, over every relation and amount it was given. The
    counts no output shows (those a breakdown leaves out) are unknowns too, even when 0; one may be
    fixed when it is not sensitive or not 1 to k - 1, and an unpublished count of the same people
    as a registered one is that one."""
    left_out = ledger.left_out()
    everything = [*ledger.figures(), *ledger.amounts(), *left_out]
    hidden = sorted({f.id for f in everything if (f.n and not pub.shown(f)) or f in left_out})
    column = {fid: j for j, fid in enumerate(hidden)}
    equations = [[(total, 1.0), *((p, -1.0) for p in parts)] for total, parts in ledger.relations()]
    equations += [[(amount, 1.0), *((p, -float(w)) for p, w in parts)] for amount, parts in ledger.amounts().items()]
    keys = {ledger.mask(f).tobytes(): f for f in ledger.figures() if f.n}
    equations += [[(keys[ledger.mask(f).tobytes()], 1.0), (f, -1.0)] for f in left_out
                  if f.n and ledger.mask(f).tobytes() in keys]
    rows = []
    for equation in equations:
        row = np.zeros(len(hidden))
        for fig, coef in equation:
            if fig.id in column:
                row[column[fig.id]] += coef
        if row.any():
            rows.append(row)
    if not rows:
        return []
    _, singular, vt = np.linalg.svd(np.array(rows), full_matrices=True)
    null = vt[int((singular > 1e-9 * singular[0]).sum()):]
    values = {f.id: f.n for f in everything}
    may_be_known = {f.id for f, sensitive in left_out.items() if not (sensitive and is_small(f.n, ledger.k))}
    return [(hidden[j], values[hidden[j]]) for j in np.flatnonzero((null ** 2).sum(axis=0) < 1e-9)
            if hidden[j] not in may_be_known]


@pytest.fixture(scope="module")
def demo_decisions(tmp_path_factory: pytest.TempPathFactory) -> list:
    """Every gate decision of the demo (six municipalities, two waves, pilots) with its ledger."""
    from grontur.pipeline import run_demo

    return _decisions_of(lambda: run_demo(tmp_path_factory.mktemp("demo"), formats=()))


@pytest.mark.slow
def test_no_hidden_count_of_the_demo_follows_from_its_shown_figures(demo_decisions: list) -> None:
    """Every decision checked against every equation it was given: totals, the breakdowns'
    columns, the means' amounts."""
    decided = demo_decisions
    assert len(decided) >= 12
    assert sum(len(ledger.amounts()) for ledger, _ in decided) >= 12  # the days' means are in
    assert {ledger.serial: _fixed_by_the_equations(ledger, pub) for ledger, pub in decided
            if _fixed_by_the_equations(ledger, pub)} == {}
    # Independently of the declared equations: no hidden count of a season's mode table (the
    # habits section's row with one breakdown's group rows at a time) is a sum or difference of
    # shown counts of that table, and no shown total less shown cells leaves a few people.
    assert _mode_table_leaks(decided, ("workplace", "job_group", "segment", "shift_work")) == {}


def _decisions_of(run) -> list:
    decided = []
    decide = Ledger.decide

    def keep(self: Ledger):
        pub = decide(self)
        decided.append((self, pub))
        return pub

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Ledger, "decide", keep)
        run()
    return decided


def test_columns_hold_those_left_out_as_unknown_counts_even_when_none_of_them_is_in_a_cell() -> None:
    # group a: 4 walk, 2 cycle; group b: 6 cycle; 3 gave no group, and they walk
    modes = _modes(["walk"] * 4 + ["bike"] * 8 + ["walk"] * 3)
    group = np.array(["a"] * 6 + ["b"] * 6 + [None] * 3, dtype=object)
    ledger = Ledger(len(modes), 5)
    everyone = np.ones(len(modes), dtype=bool)
    rows = [[ledger.base(group == g), *(ledger.count((group == g) & (modes == m)) for m in ("walk", "bike"))]
            for g in ("a", "b")]
    before = len(ledger.relations())
    ledger.columns([everyone, modes == "walk", modes == "bike"], [], rows=[(0, (1, 2))])
    assert len(ledger.relations()) == before and ledger.left_out() == {}  # no group: nothing declared
    ledger.columns([everyone, modes == "walk", modes == "bike"], rows, rows=[(0, (1, 2))])
    # the 3 who gave no group: 3 in the base column (only how many did not answer), 3 walk, 0 cycle
    assert sorted((f.n, sensitive) for f, sensitive in ledger.left_out().items()) == [(0, True), (3, False), (3, True)]
    columns = sorted(sorted(p.n for p in parts) for total, parts in ledger.relations()[before:] if total.n in (7, 8))
    assert columns == [[0, 2, 6], [3, 4]]  # cyclists 8 = 2 + 6 + the unknown 0; walkers 7 = 4 + 3
    everyone_in = Ledger(12, 5)
    inside = [[everyone_in.base(group[:12] == g)] for g in ("a", "b")]
    everyone_in.columns([np.ones(12, dtype=bool)], inside)
    assert everyone_in.left_out() == {}


def test_a_breakdown_some_did_not_answer_hides_a_few_between_its_groups_and_the_overall_row() -> None:
    # Cyclists: 17 overall, 8 at school, 7 in technical, 2 in culture, none among the 10 who gave
    # no group. The overall cell less the two shown ones leaves 2 people, culture's cyclists or the
    # silent ones: a small group, though no reader knows that the silent ones do not cycle (their
    # count is unknown, not 0), and no two of these counts are a few people apart.
    import pandas as pd

    from grontur.describe import describe

    def rows(n: int, mode: str, group: str | None) -> list[dict]:
        return [{"mode_summer": mode, "mode_winter": mode, "days_on_site": 5.0, "job_group": group}] * n

    table = pd.DataFrame(rows(10, "car_alone", "school") + rows(8, "bike", "school")
                         + rows(9, "car_alone", "culture") + rows(2, "bike", "culture") + rows(6, "walk", "culture")
                         + rows(8, "car_alone", "technical") + rows(7, "bike", "technical")
                         + rows(6, "car_alone", None) + rows(4, "walk", None))
    decided = _decisions_of(lambda: describe(table))
    assert _mode_table_leaks(decided, ("job_group",)) == {}
    ledger, pub = decided[0]
    assert _fixed_by_the_equations(ledger, pub) == []
    # the silent ones' cells stand in the columns as counts no output shows
    # (per season: their car drivers 6, cyclists 0, walkers 4 and drivers 6; and their number, 10)
    assert sorted(f.n for f, sensitive in ledger.left_out().items() if sensitive) == [0, 0, 4, 4, 6, 6, 6, 6]
    assert sorted(f.n for f, sensitive in ledger.left_out().items() if not sensitive) == [10, 10]


@pytest.mark.slow
def test_no_hidden_count_of_a_real_export_follows_from_its_mode_tables(tmp_path) -> None:
    """The staff survey of 1,842 rows: workplaces and job groups that not everyone answered,
    segments, a hidden overall count of 170 that the segments' cells gave away before."""
    from grontur.pipeline import analyse_file
    from grontur.resources import data_dir
    from tests.conftest import shared_file

    path = shared_file("real", "exeter_staff_travel_survey_2023.xlsx")
    decided = _decisions_of(lambda: analyse_file(
        path, municipality="Gol", mapping=data_dir("surveys") / "mappings" / "example_exeter_staff_survey.yaml",
        out_dir=tmp_path, formats=(), k=5))
    assert [ledger.n_rows for ledger, _ in decided] == [1842]
    ledger, pub = decided[0]
    assert any(tag[0] == "segment" for tags in ledger.tags().values() for tag in tags if isinstance(tag, tuple))
    assert _fixed_by_the_equations(ledger, pub) == []
    assert _mode_table_leaks(decided, ("workplace", "job_group", "segment")) == {}


def _mode_table_leaks(decided: list, breakdowns: tuple[str, ...]) -> dict:
    """The hidden counts of a season's mode table (the habits row with one breakdown's group
    rows) that are sums or differences of its shown counts, and the few people a shown total
    holds beyond shown cells, worked out from what each count is (its tag), cell of the table by
    cell: not from the gate's equations.

    The cells are each group's respondents of each mode, and those the groups leave out (who did
    not answer the breakdown's question) when there are any. A cell is known to be empty only when
    a shown count of 0 holds it: people by people, a relation that holds because some cell happens
    to be empty (nobody who left the question out cycles) would look like a sum no reader can
    know."""
    leaks = {}
    for ledger, pub in decided:
        for season in ("summer", "winter"):
            for breakdown in (None, *breakdowns):
                table = _mode_table(ledger, season, breakdown)
                vectors, figs = _structural(ledger, table, season, breakdown)
                shown = [pub.shown(f) for f in figs]
                found = sorted({figs[i].n for i in _recoverable(vectors, shown)} | _small_rests(vectors, figs, shown, ledger.k))
                if found:
                    leaks[ledger.serial, season, breakdown] = found
    return leaks


def _small_rests(vectors: list, figs: list, shown: list, k: int) -> set[int]:
    """The few people (1 to k - 1) a shown row or column total holds beyond the shown cells of one
    mode (or one group) inside it: the total less those cells, a small group described."""
    cells = [i for i, v in enumerate(vectors) if shown[i] and v.sum() == 1 and figs[i].n]
    out = set()
    for i, total in enumerate(vectors):
        if not shown[i] or total.sum() < 2:
            continue
        inside = [j for j in cells if (vectors[j] <= total).all()]
        rest = figs[i].n - sum({figs[j].id: figs[j].n for j in inside}.values())
        if is_small(rest, k):
            out.add(rest)
    return out


def _structural(ledger: Ledger, table: list, season: str, breakdown: str | None) -> tuple[list, list]:
    """Each count of ``table`` as the cells (group, mode) it holds by its definition, one vector
    per tag of the table it was counted under, with the cells that shown zeros hold left out."""
    from grontur.schema import CAR_DRIVER_MODES, MODES

    kinds = ("n", "car_driver", "not_car_driver")
    tags = ledger.tags()
    defined = []
    for fig in table:
        for tag in tags[fig.id]:
            if not (isinstance(tag, tuple) and (tag[-1] in MODES or tag[-1] in kinds)):
                continue  # (a count of another kind: those who travelled, in the comparison)
            if len(tag) == 3 and tag[0] == "modes" and tag[1] == season:
                defined.append((fig, None, tag[-1]))
            elif len(tag) == 4 and tag[0] == breakdown and tag[2] == season:
                defined.append((fig, tag[1], tag[-1]))
    modes = sorted({what for _, _, what in defined if what not in kinds})
    groups = sorted({str(g) for _, g, _ in defined if g is not None})
    everyone_in = sum(f.n for f, g, what in defined if g is not None and what == "n") == max(
        (f.n for f, g, what in defined if g is None and what == "n"), default=0)
    cells = [(g, m) for g in [*groups, *([] if everyone_in else ["(left out)"])] for m in modes]

    def holds(group: str | None, what: str, cell: tuple[str, str]) -> bool:
        g, m = cell
        if group is not None and g != group:
            return False
        if what == "n":
            return True
        if what == "car_driver":
            return m in CAR_DRIVER_MODES
        if what == "not_car_driver":
            return m not in CAR_DRIVER_MODES
        return m == what

    vectors = [np.array([holds(None if g is None else str(g), what, c) for c in cells], dtype=float)
               for _, g, what in defined]
    empty = np.zeros(len(cells), dtype=bool)
    for (fig, _, _), vector in zip(defined, vectors):
        if fig.n == 0:
            empty |= vector > 0
    return [v[~empty] for v in vectors], [fig for fig, _, _ in defined]


def _mode_table(ledger: Ledger, season: str, breakdown: str | None) -> list:
    """The counts a ledger registered under a season's mode tags: ("modes", season, ...) and
    (``breakdown``, group, season, ...), a segment's rows being ("segment", id, season, ...)."""
    tags = ledger.tags()

    def of_table(tag: object) -> bool:
        return (isinstance(tag, tuple) and len(tag) >= 3
                and ((tag[0] == "modes" and tag[1] == season) or (tag[0] == breakdown and tag[2] == season)))

    return [fig for fig in ledger.figures() if any(of_table(tag) for tag in tags.get(fig.id, ()))]


def test_a_small_count_that_only_public_counts_protect_is_refused() -> None:
    from grontur.publish import _decide, _Unprotectable

    # 12 respondents (public) = A (2) + B (10), and B is the same people as C (10), also public:
    # B follows from C, and A from 12 - B; nothing the search may hide protects A
    with pytest.raises(_Unprotectable) as refused:
        _decide([12, 2, 10, 10], [_relation(0, (1, 2)), _relation(2, (3,))], [], set(), 5,
                public=frozenset({0, 3}))
    assert refused.value.counts == [1, 2]
    # with C not public, hiding it protects A
    hidden, _ = _decide([12, 2, 10, 10], [_relation(0, (1, 2)), _relation(2, (3,))], [], set(), 5,
                        public=frozenset({0}))
    assert {1, 2, 3} <= hidden


def test_a_refusal_names_the_cells_it_cannot_protect(monkeypatch: pytest.MonkeyPatch) -> None:
    from grontur import publish
    from grontur.errors import PublicationError

    ledger = Ledger(12)
    everyone = ledger.everyone()
    few = ledger.count(np.arange(12) < 2, tag=("shift_work", "night", "summer", "walk"))
    rest = ledger.count(np.arange(12) >= 2, tag=("shift_work", "day", "summer", "walk"))
    ledger.partition(everyone, [few, rest])

    def refuse(*args: object, **kwargs: object) -> None:
        raise publish._Unprotectable([few.id])

    monkeypatch.setattr(publish, "_decide", refuse)
    with pytest.raises(PublicationError, match="shift_work / night / summer / walk") as refused:
        ledger.decide()
    assert "1 count of fewer than 5 people" in str(refused.value)
    assert "day" not in str(refused.value)


def _relation(total: int, parts: tuple[int, ...]) -> Any:
    from grontur.publish import _Relation

    return _Relation(total, parts, parts)


def _two_seasons() -> tuple[np.ndarray, np.ndarray]:
    """Summer and winter modes of 36: 2 drive in summer and take the bus in winter (small), 6 take
    the bus in summer and drive in winter, 10 walk all year, 9 drive all year, 9 take the bus all
    year."""
    summer = _modes(["car"] * 2 + ["bus"] * 6 + ["walk"] * 10 + ["car"] * 9 + ["bus"] * 9)
    winter = _modes(["bus"] * 2 + ["car"] * 6 + ["walk"] * 10 + ["car"] * 9 + ["bus"] * 9)
    return summer, winter


def test_a_declared_sum_of_cells_protects_a_cell_hidden_in_another_table() -> None:
    # Published: those who use a car in some season (17), the drivers of both seasons (9), the 6
    # who went from bus to car and the 2 who went from car to bus (small: hidden). By definition
    # the car users are those three cells, so 17 - 9 - 6 gives the 2 back unless the gate knows
    # that sum (no two of these sets are a few people apart, so no other rule sees it).
    summer, winter = _two_seasons()
    cells = [(summer == s) & (winter == w) for s in ("car", "walk", "bus") for w in ("car", "walk", "bus")]
    car_users = (summer == "car") | (winter == "car")
    for declared in (False, True):
        ledger = Ledger(len(summer), 5)
        figures = [ledger.count(car_users), ledger.count((summer == "car") & (winter == "car")),
                   ledger.count((summer == "bus") & (winter == "car")),
                   ledger.count((summer == "car") & (winter == "bus"))]
        if declared:
            ledger.sum_of(car_users, [cell for cell in cells if (cell & car_users).any()])
        pub = ledger.decide()
        assert not pub.shown(figures[3])
        shown = [pub.value(f) for f in figures[:3]]
        leaked = None not in shown and shown[0] - shown[1] - shown[2] == 2
        assert leaked is not declared, "without the sum the gate cannot know; with it, it must protect the 2"


def test_a_sum_of_a_set_no_output_counts_adds_nothing() -> None:
    summer, winter = _two_seasons()
    ledger = Ledger(len(summer), 5)
    walkers = ledger.count(winter == "walk")
    ledger.sum_of(winter == "bus", [(summer == s) & (winter == "bus") for s in ("car", "bus")])
    pub = ledger.decide()
    assert pub.n_figures == 1 and pub.shown(walkers)  # no unknown registered for a sum nobody shows
    assert ledger.relations() == []


def test_a_part_counted_by_an_output_is_that_count_in_the_sum() -> None:
    summer, winter = _two_seasons()
    ledger = Ledger(len(summer), 5)
    bus = ledger.count(winter == "bus")
    moved = ledger.count((summer == "car") & (winter == "bus"))
    ledger.sum_of(winter == "bus", [(summer == "car") & (winter == "bus"), (summer == "bus") & (winter == "bus")])
    ledger.decide()
    [(total, parts)] = ledger.relations()
    assert total.id == bus.id and moved.id in {p.id for p in parts}
    stayed = [p for p in parts if p.id != moved.id]
    assert [p.n for p in stayed] == [9] and set(ledger.left_out().values()) == {False}  # an unknown readers may work out


def test_the_parts_of_a_sum_must_make_it_up() -> None:
    summer, winter = _two_seasons()
    ledger = Ledger(len(summer), 5)
    with pytest.raises(ValueError, match="disjoint"):
        ledger.sum_of(winter == "bus", [winter == "bus", summer == "bus"])  # overlapping
    with pytest.raises(ValueError, match="disjoint"):
        ledger.sum_of(winter == "bus", [(summer == "bus") & (winter == "bus")])  # the 2 are missing


def test_span_check_from_a_columns_few_entries_agrees_with_the_dense_residual() -> None:
    """The gate tells whether a count's column lies in the span of a component's columns from the
    column's few nonzero entries (a quick bound first); it must decide as the dense residual
    a - Q Q^T a does, for columns inside the span, far outside it and just outside the bound."""
    from grontur.publish import _SPAN, _residual

    rng = np.random.default_rng(7)
    decided = {True: 0, False: 0}
    for trial in range(300):
        m, rank = int(rng.integers(3, 40)), int(rng.integers(1, 3))
        rank = min(rank + int(rng.integers(0, m - 1)), m - 1)
        q, _ = np.linalg.qr(rng.normal(size=(m, rank)))
        where = rng.choice(m, size=int(rng.integers(1, min(m, 4) + 1)), replace=False)
        kind = trial % 3
        if kind == 0:  # inside: a sparse column made inside by projecting, rounding left in
            dense = q @ (q.T @ _sparse(m, where, rng))
            where = np.flatnonzero(dense)
        elif kind == 1:  # far outside
            dense = _sparse(m, where, rng)
        else:  # a hair outside the bound, or a hair inside
            dense = q @ (q.T @ _sparse(m, where, rng))
            dense[int(rng.integers(m))] += _SPAN * (10.0 if trial % 2 else 0.1)
            where = np.flatnonzero(dense)
        coefs = dense[where]
        scale = 1.0
        expected_rest = dense - q @ (q.T @ dense)
        bound = _SPAN * scale * max(1.0, float(np.linalg.norm(dense)))
        outside = float(np.linalg.norm(expected_rest)) > bound
        rest = _residual(q, scale, where, coefs)
        assert (rest is not None) == outside
        assert (_residual(q, scale, where, coefs, vector=False) is not None) == outside
        if rest is not None:
            np.testing.assert_allclose(rest, expected_rest, atol=1e-12)
        decided[outside] += 1
    assert decided[True] > 50 and decided[False] > 50


def _sparse(m: int, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    column = np.zeros(m)
    column[where] = rng.choice([-1.0, 1.0, 2.0], size=len(where))
    return column


def test_a_factors_flagged_counts_without_some_sums_are_those_of_the_other_sums() -> None:
    """What a component's small sums flag, once the sums a new count is in are left out, is the
    union of the other sums' counts (worked out from how many sums each count is in)."""
    from grontur.publish import _Factor

    rng = np.random.default_rng(3)
    for _ in range(200):
        flags = {int(s): tuple(int(v) for v in rng.choice(12, size=int(rng.integers(1, 5)), replace=False))
                 for s in rng.choice(30, size=int(rng.integers(0, 8)), replace=False)}
        factor = _Factor({}, {}, np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)),
                         sum_flags=flags)
        assert factor.flagged() == {v for flagged in flags.values() for v in flagged}
        leaving = [int(s) for s in rng.choice(30, size=int(rng.integers(0, 6)), replace=False)]
        expected = {v for s, flagged in flags.items() if s not in leaving for v in flagged}
        assert factor.flagged(leaving) == expected


def test_pairs_of_sets_a_few_people_apart_are_found_as_a_direct_comparison_finds_them() -> None:
    """Every registered set that lies inside another one with 1 to k - 1 more people, whatever
    the quick one-byte test does, compared with checking every pair directly (sets of 1 to 70
    rows, many nested, some empty)."""
    from grontur.publish import _pairs_inside

    rng = np.random.default_rng(11)
    for trial in range(40):
        n_rows, k = int(rng.integers(1, 70)), int(rng.integers(2, 7))
        masks = [rng.random(n_rows) < rng.random() for _ in range(int(rng.integers(2, 30)))]
        for _ in range(10):  # nested sets: a set with one to a few of its members left out
            base = masks[int(rng.integers(len(masks)))]
            inner = base.copy()
            members = np.flatnonzero(inner)
            inner[rng.choice(members, size=min(len(members), int(rng.integers(1, k + 1))), replace=False)] = False
            masks.append(inner)
        packed = np.stack([np.packbits(mask) for mask in masks])
        values = [int(mask.sum()) for mask in masks]
        expected = {(a, b) for a, ma in enumerate(masks) for b, mb in enumerate(masks)
                    if values[a] and not (ma & ~mb).any() and 1 <= values[b] - values[a] <= k - 1}
        assert set(_pairs_inside(packed, values, k)) == expected, trial
