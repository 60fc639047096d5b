"""The publication gate: each rule, and no hidden count recoverable from what is shown."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grontur.errors import ConfigError
from grontur.publish import Derived, Ledger, Listed


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
    adding and subtracting published counts): an independent check, not the gate's own."""
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
    sizes = []
    for g in "abc":
        in_group = groups == g
        total, _ = _mode_row(ledger, modes, in_group, group=True)
        sizes.append(total)
    ledger.partition(overall, sizes)
    pub = ledger.decide()
    figures = list(ledger.figures())
    masks = [ledger.mask(f) for f in figures]
    shown = [pub.shown(f) for f in figures]
    assert _recoverable(masks, shown) == []
    for f, s in zip(figures, shown):
        assert not (s and 0 < f.n < k)
