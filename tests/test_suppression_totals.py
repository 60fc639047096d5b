"""Complementary suppression of a row with a published total and subtotal, and how a hidden
group figure reaches the report."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grontur.describe import describe
from grontur.publish import suppress_with_totals
from grontur.report import build

K = 5
MODES = ("walk", "bike", "bus", "car_alone", "car_shared", "car_passenger")


def _small(value: int) -> bool:
    return 0 < value < K


@settings(derandomize=True, database=None, deadline=None, max_examples=300)
@given(st.lists(st.integers(0, 30), min_size=len(MODES), max_size=len(MODES)))
def test_no_hidden_cell_or_small_hidden_sum_can_be_worked_out(counts: list[int]) -> None:
    cells = dict(zip(MODES, counts))
    out, hidden = suppress_with_totals(cells, K, subtotals={"driver": ["car_alone", "car_shared"]})
    n = sum(counts)
    values = {**cells, "driver": cells["car_alone"] + cells["car_shared"]}
    assert hidden == sum(1 for key, v in out.items() if v is None and values[key] > 0)  # counted as hidden
    if _small(n):
        assert all(v is None for v in out.values())
        return
    for key, value in out.items():
        if value is not None:
            assert not _small(value) and not _small(n - value), (key, out)  # the share and its complement
    shown = {key: v for key, v in out.items() if v is not None}
    parts = ("car_alone", "car_shared")
    # the total minus the shown cells
    assert not _small(n - sum(v for key, v in shown.items() if key != "driver")), out
    if "driver" in shown:
        # the subtotal minus its shown parts, and the total minus the subtotal and the other shown cells
        assert not _small(shown["driver"] - sum(shown.get(p, 0) for p in parts)), out
        others = sum(v for key, v in shown.items() if key not in parts and key != "driver")
        assert not _small(n - shown["driver"] - others), out
        assert sum(out[p] is None and cells[p] > 0 for p in parts) != 1, out
    else:
        assert cells["car_alone"] + cells["car_shared"] == 0 or out["driver"] is None


def test_a_hidden_group_rate_shows_as_a_dash_in_the_report() -> None:
    def people(count: int, mode: str, workplace: str) -> list[dict]:
        return [{"mode_summer": mode, "mode_winter": mode, "days_on_site": 5.0, "workplace": workplace}] * count

    rows = people(2, "car_alone", "Lita") + people(3, "walk", "Lita") + people(10, "car_alone", "Stor") + people(10, "walk", "Stor")
    habits = describe(pd.DataFrame(rows))
    assert habits["breakdowns"]["workplace"]["Lita"]["drive_alone_rate"] is None
    ctx = build.make_context({"habits": habits, "privacy": {"k": K}}, "en")
    table = build._breakdown_table(ctx, "workplace")
    assert table is not None
    column = table.header.index(ctx.tr("report.col.drive_alone_year"))
    by_group = {row[0].text: row for row in table.rows}
    assert by_group["Lita"][1].text == "5"
    assert by_group["Lita"][column].text == "–"
    # With two groups, the overall lone drivers (12) minus Stor's (10) would give Lita's 2 back:
    # Stor's rate goes too, while the overall rate (12 of 25) stays.
    assert by_group["Stor"][column].text == "–"
    assert habits["drive_alone_rate"]["year"]["rate"] == pytest.approx(12 / 25)


BANDS = ("lt1", "1_3", "3_5", "5_10", "10_20", "20p")


def _band_row_is_safe(cells: dict[str, int], out: dict[str, int | None]) -> list[str]:
    """What a reader could learn from a row of bands whose total is published."""
    n = sum(cells.values())
    hidden = [key for key, v in out.items() if v is None]
    problems = []
    if _small(n):
        return [] if len(hidden) == len(cells) else ["small total, cells shown"]
    if any(cells[key] == 0 for key in hidden):
        problems.append("a hidden cell counts nobody")
    if len(hidden) == 1:
        problems.append("one hidden cell is the total minus the shown ones")
    if _small(sum(cells[key] for key in hidden)):
        problems.append("the hidden cells add up to 1..k-1")
    for key, value in out.items():
        if value is not None and (_small(value) or _small(n - value)):
            problems.append(f"{key} or its complement is small")
    return problems


def test_two_small_bands_are_not_left_adding_up_to_a_small_group() -> None:
    cells = {"lt1": 1, "1_3": 2, "3_5": 6, "5_10": 9, "10_20": 12, "20p": 0}
    out, hidden = suppress_with_totals(cells, K)
    assert _band_row_is_safe(cells, out) == []
    assert out["lt1"] is None and out["1_3"] is None
    assert out["20p"] == 0  # "nobody" stays shown
    assert hidden == sum(v is None for v in out.values())


def test_a_single_small_band_beside_zeros_takes_a_counted_band_with_it() -> None:
    # Hiding a zero band would leave the small one as the total minus the shown bands.
    cells = {"lt1": 3, "1_3": 0, "3_5": 0, "5_10": 9, "10_20": 12, "20p": 0}
    out, _ = suppress_with_totals(cells, K)
    assert _band_row_is_safe(cells, out) == []
    assert out["5_10"] is None and out["1_3"] == 0 and out["3_5"] == 0


@settings(derandomize=True, database=None, deadline=None, max_examples=300)
@given(st.lists(st.integers(0, 12), min_size=len(BANDS), max_size=len(BANDS)))
def test_a_row_of_bands_with_its_total_gives_no_hidden_band_away(counts: list[int]) -> None:
    cells = dict(zip(BANDS, counts))
    out, hidden = suppress_with_totals(cells, K)
    assert _band_row_is_safe(cells, out) == [], (cells, out)
    assert hidden == sum(1 for key, v in out.items() if v is None and cells[key] > 0)
