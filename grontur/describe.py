"""Travel habits: mode shares by season, seasonal shifts, drive-alone rate, bands and breakdowns.

:func:`describe` builds ``results["habits"]``; :func:`mode_share` builds the simpler
``results["mode_share"]``. Every cell that describes fewer than ``k`` respondents is ``None`` and
counted in ``suppressed_cells``. Shared helpers (settings, days on site,
multi-select counts) live here too and are used by :mod:`grontur.emissions` and
:mod:`grontur.potential`.

Definitions (see ``docs/schema/analysis.md``):

- *Trips*: a respondent makes ``days_on_site`` commute round trips a week (when missing:
  ``full_week_days - remote_days``). The summer mode is used for ``summer_share_of_year`` of the
  working weeks and the winter mode for the rest; a season answered ``remote`` has no trips.
- *Drive-alone rate*: trips with main mode ``car_alone`` divided by all trips (Washington State
  Commute Trip Reduction programme), over respondents with a mode in that season.
- *Cars arriving per 100*: cars that arrive on an average working day (``car_alone`` and
  ``car_shared`` drivers, each weighted by ``days_on_site / full_week_days``) per 100 respondents
  (UK DfT travel-plan headline figure); with ``employees`` known the same rate is also projected
  to all employees.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, cast

import numpy as np
import pandas as pd

from grontur._yaml import read_yaml
from grontur.errors import ConfigError
from grontur.resources import data_path
from grontur.schema import (
    BARRIERS,
    CAR_DRIVER_MODES,
    CONSIDER_MODES,
    MODES,
    SEASONS,
    WOULD_HELP,
)
from grontur.stats import wilson_interval
from grontur.suppression import (
    DEFAULT_K,
    check_k,
    suppress_with_totals,
    yes_no_publishable,
)

log = logging.getLogger(__name__)

DISTANCE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("lt1", 0.0, 1.0), ("1_3", 1.0, 3.0), ("3_5", 3.0, 5.0), ("5_10", 5.0, 10.0),
    ("10_20", 10.0, 20.0), ("20p", 20.0, np.inf),
)
TIME_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0_15", 0.0, 15.0), ("16_30", 15.0, 30.0), ("31_45", 30.0, 45.0), ("46_60", 45.0, 60.0),
    ("60p", 60.0, np.inf),
)
#: Mode groups used to summarise seasonal shifts.
MODE_GROUPS: dict[str, str] = {
    "walk": "active", "bike": "active", "ebike": "active",
    "bus": "transit", "train": "transit", "boat": "transit",
    "car_alone": "car_driver", "car_shared": "car_driver",
    "car_passenger": "car_passenger", "taxi": "car_passenger",
    "motorcycle": "other", "other": "other", "remote": "remote",
}
BREAKDOWN_COLUMNS = ("workplace", "job_group", "shift_work")
_BOOL_MAP = {
    True: True, False: False,  # also matches 1, 0, 1.0 and 0.0, which hash equal
    "true": True, "false": False, "True": True, "False": False, "1": True, "0": False,
    "yes": True, "no": False, "ja": True, "nei": False,
}


# --------------------------------------------------------------------------- shared helpers

@cache
def _default_settings() -> dict[str, Any]:
    path = data_path("measures", "factors", "settings.yaml")
    raw = read_yaml(path, advice="fix or restore the settings file") or {}
    out: dict[str, Any] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or "value" not in entry:
            msg = f"{path}: the setting {name!r} needs a `value` (and `status`, `note`); fix the file."
            raise ConfigError(msg)
        out[name] = entry["value"]
    return out


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the analysis settings (``measures/factors/settings.yaml``) with ``overrides`` applied.

    >>> load_settings({"working_days_per_year": 210})["working_days_per_year"]
    210
    """
    settings = dict(_default_settings())
    for name, value in (overrides or {}).items():
        if name not in settings:
            msg = (f"Unknown analysis setting {name!r}: use one of "
                   f"{', '.join(sorted(settings))} (see measures/factors/settings.yaml).")
            raise ConfigError(msg)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            msg = f"The analysis setting {name}={value!r} must be a positive number."
            raise ConfigError(msg)
        settings[name] = value
    if not 0 < float(settings["summer_share_of_year"]) < 1:
        msg = "The analysis setting summer_share_of_year must lie between 0 and 1 (e.g. 0.5)."
        raise ConfigError(msg)
    return settings


def season_weights(settings: Mapping[str, Any]) -> dict[str, float]:
    """Share of the working year travelled with each season's mode."""
    summer = float(settings["summer_share_of_year"])
    return {"summer": summer, "winter": 1.0 - summer}


def column(table: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name`` or an all-missing column when the table lacks it."""
    if name in table.columns:
        return table[name]
    return pd.Series(pd.NA, index=table.index, dtype="object")


def numeric(table: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(column(table, name), errors="coerce").astype("float64")


def as_bool(series: pd.Series) -> pd.Series:
    """Coerce a boolean-like column to a nullable boolean Series (unknown values become NA)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    mapped = series.astype("object").map(_BOOL_MAP)
    return mapped.astype("boolean")


def codes(table: pd.DataFrame, name: str) -> pd.Series:
    """A code column as plain ``object`` values (missing stays missing)."""
    s = column(table, name)
    return s if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) else s.astype("object")


_CODE_COLUMNS = ("mode_summer", "mode_winter", "workplace", "job_group", "car_fuel", "municipality",
                 "home_postcode", "barriers", "would_consider", "would_help")


def prepare(table: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy ready for many look-ups: both mode columns as categoricals with the same
    categories (fast comparisons), other code columns as ``object``."""
    changes: dict[str, pd.Series] = {}
    seasons = [f"mode_{s}" for s in SEASONS if f"mode_{s}" in table.columns]
    seen: set[str] = set()
    for name in seasons:
        seen.update(str(v) for v in pd.unique(table[name].dropna()))
    categories = [m for m in MODES if m in seen] + sorted(seen - set(MODES))
    for name in seasons:
        values = table[name].astype("object")
        changes[name] = pd.Series(pd.Categorical(values.where(values.notna(), None), categories=categories),
                                  index=table.index)
    for name in _CODE_COLUMNS:
        if name in table.columns and name not in changes and table[name].dtype != object:
            changes[name] = table[name].astype("object")
    return table.assign(**changes) if changes else table


def days_on_site(table: pd.DataFrame, settings: Mapping[str, Any]) -> pd.Series:
    """Commute days per week: ``days_on_site``, else ``full_week_days - remote_days``, else a full week."""
    full = float(settings["full_week_days"])
    days = numeric(table, "days_on_site")
    remote = numeric(table, "remote_days")
    fallback = (full - remote.fillna(0.0)).clip(lower=0.0)
    return days.fillna(fallback).clip(lower=0.0, upper=7.0)


def season_trips(table: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, pd.Series]:
    """Round trips per *average* week spent in each season's mode (0 when remote or unknown).

    Summing both seasons gives the yearly average round trips per working week.
    """
    days = days_on_site(table, settings)
    out = {}
    for season, w in season_weights(settings).items():
        mode = codes(table, f"mode_{season}")
        travels = mode.notna() & (mode != "remote")
        out[season] = (days * w).where(travels, 0.0)
    return out


def _multi_uniques(series: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Codes of each row into its distinct cell value, and the dummies of the distinct values.

    Survey answers repeat a small number of combinations, so splitting the distinct values only
    is much faster than splitting every row.
    """
    s = series.astype("object")
    s = s.where(s.notna(), "")
    codes_, uniques = pd.factorize(s)
    # Split each distinct value once with str.split (pandas' str.get_dummies tests every code
    # against every value with Python substring searches, the same columns in the same order).
    split = [str(value).split(";") for value in uniques]
    tags = sorted({tag for parts in split for tag in parts} - {""})
    position = {tag: i for i, tag in enumerate(tags)}
    matrix = np.zeros((len(split), len(tags)), dtype=bool)
    rows = [row for row, parts in enumerate(split) for tag in parts if tag]
    cols = [position[tag] for parts in split for tag in parts if tag]
    matrix[rows, cols] = True
    return codes_, pd.DataFrame(matrix, columns=pd.Index(tags))


def multi_dummies(series: pd.Series) -> pd.DataFrame:
    """One boolean column per code named in a ``;``-joined multi-select column."""
    codes_, dummies = _multi_uniques(series)
    if len(series) == 0 or dummies.shape[1] == 0:
        return pd.DataFrame(index=series.index, columns=list(dummies.columns), dtype=bool)
    return pd.DataFrame(dummies.to_numpy()[codes_], index=series.index, columns=dummies.columns)


def multi_counts(series: pd.Series, allowed: Iterable[str] | None = None) -> pd.Series:
    """Count how many rows name each code of a ``;``-joined multi-select column."""
    codes_, dummies = _multi_uniques(series)
    if len(series) and dummies.shape[1]:
        weights = np.bincount(codes_, minlength=len(dummies))
        counts = pd.Series(weights @ dummies.to_numpy(dtype=np.int64), index=dummies.columns).astype(int)
    else:
        counts = pd.Series(dtype=int)
    if allowed is not None:
        counts = counts.reindex(list(allowed), fill_value=0)
    return counts


class _MultiColumn:
    """A multi-select column split once; code counts for any subset of its rows.

    ``counts(mask, allowed)`` equals ``multi_counts(series[mask], allowed)`` without splitting
    the subset's answers again.
    """

    def __init__(self, series: pd.Series) -> None:
        self.codes, self.dummies = _multi_uniques(series)
        self.matrix = self.dummies.to_numpy(dtype=np.int64)

    def counts(self, mask: np.ndarray | None, allowed: Iterable[str]) -> pd.Series:
        picked = self.codes if mask is None else self.codes[np.asarray(mask, dtype=bool)]
        if len(picked) and self.matrix.shape[1]:
            weights = np.bincount(picked, minlength=len(self.matrix))
            counts = pd.Series(weights @ self.matrix, index=self.dummies.columns).astype(int)
        else:
            counts = pd.Series(dtype=int)
        return counts.reindex(list(allowed), fill_value=0)


def dummy(dummies: pd.DataFrame, code: str) -> np.ndarray:
    """The boolean column for ``code`` from :func:`multi_dummies` (all False when nobody named it)."""
    if code in dummies.columns:
        return dummies[code].to_numpy(dtype=bool)
    return np.zeros(len(dummies), dtype=bool)


def multi_flags(series: pd.Series, code: str) -> pd.Series:
    """Boolean Series: does each row's multi-select cell contain ``code``?"""
    s = series.astype("object").where(series.notna(), "")
    return (";" + s.astype(str) + ";").str.contains(f";{code};", regex=False)


def _num(value: Any) -> Any:
    """Turn NumPy scalars and NaN into plain JSON values."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if value is pd.NA:
        return None
    return value


def jsonable(obj: Any) -> Any:
    """Recursively convert to plain JSON types (dict, list, str, int, float, bool, None)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return _num(obj)


def suppress_row(counts: Mapping[str, int], k: int, *, total_published: bool = True) -> tuple[dict[str, int | None], int]:
    """Hide counts in ``1..k-1`` (primary) and, when a total is published, more cells so that no
    hidden one can be recovered by subtraction (complementary suppression, see
    :func:`grontur.suppression.suppress_with_totals`): no hidden cell is 0, none follows from the
    total and the shown cells, and the hidden cells add up to 0 or at least ``k``.

    >>> suppress_row({"a": 10, "b": 2, "c": 7}, 5)
    ({'a': 10, 'b': None, 'c': None}, 2)
    >>> suppress_row({"a": 10, "b": 0}, 5)
    ({'a': 10, 'b': 0}, 0)
    >>> suppress_row({"a": 1, "b": 2, "c": 6, "d": 9}, 5)
    ({'a': None, 'b': None, 'c': None, 'd': 9}, 3)
    """
    if total_published:
        return suppress_with_totals(counts, k)
    out: dict[str, int | None] = {key: int(v) for key, v in counts.items()}
    hidden = [key for key, v in out.items() if v is not None and 0 < v < k]
    for key in hidden:
        out[key] = None
    return out, len(hidden)


def _share_cells(counts: Mapping[str, int | None], n: int) -> dict[str, dict[str, Any]]:
    cells: dict[str, dict[str, Any]] = {}
    for key, count in counts.items():
        if count is None or n <= 0:
            cells[key] = {"count": None, "share": None, "ci_low": None, "ci_high": None}
        else:
            lo, hi = wilson_interval(count, n)
            cells[key] = {"count": count, "share": count / n, "ci_low": lo, "ci_high": hi}
    return cells


def _ranked(counts: pd.Series, n: int, k: int) -> tuple[list[dict[str, Any]], int]:
    """Codes ranked by count (ties by code). Codes named by ``1..k-1`` respondents are left out
    of the list (even their presence would tell something about a few people) and counted."""
    items = []
    hidden = 0
    order = sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    for code, count in order:
        count = int(count)
        if count == 0:
            continue
        if count < k or n < k:
            hidden += 1
        else:
            items.append({"code": code, "count": count, "share": count / n if n else None})
    return items, hidden


def is_car_driver(table: pd.DataFrame) -> pd.Series:
    """Respondents who drive a car to work (``car_alone`` or ``car_shared``) in either season."""
    summer = codes(table, "mode_summer").isin(CAR_DRIVER_MODES)
    winter = codes(table, "mode_winter").isin(CAR_DRIVER_MODES)
    return summer | winter


# --------------------------------------------------------------------------- mode shares

def _mode_counts(table: pd.DataFrame, season: str) -> tuple[pd.Series, int]:
    mode = codes(table, f"mode_{season}")
    known = mode.dropna()
    counts = known.value_counts()
    return counts, len(known)


def _observed_modes(table: pd.DataFrame) -> list[str]:
    seen: set[str] = set()
    for season in SEASONS:
        seen.update(codes(table, f"mode_{season}").dropna().unique().tolist())
    return [m for m in MODES if m in seen] + sorted(seen - set(MODES))


def mode_share(table: pd.DataFrame, *, k: int = DEFAULT_K,
               settings: Mapping[str, Any] | None = None) -> dict[str, dict[str, float | None]]:
    """``results["mode_share"]``: share of each main mode per season among respondents with a mode.

    Modes seen in either season appear in both; a share resting on ``1..k-1`` respondents (or that
    would reveal one by subtraction) is ``None``. The same cells are counted in
    ``results["habits"]["suppressed_cells"]``.
    """
    k = check_k(k)
    out: dict[str, dict[str, float | None]] = {}
    modes = _observed_modes(table)
    rows = _Rows(table, load_settings(settings))
    everyone = np.ones(len(table), dtype=bool)
    for season in SEASONS:
        counts, n = _mode_counts(table, season)
        row, _, _ = mode_row(counts, modes, k, force=rows.alone_force(season, everyone, k))
        out[season] = {m: (None if c is None or n == 0 else c / n) for m, c in row.items()}
    return out


def mode_row(counts: Mapping[str, int] | pd.Series, modes: Iterable[str], k: int, *,
             force: Iterable[str] = ()) -> tuple[dict[str, int | None], int | None, int]:
    """One season's mode counts and their "drives a car" subtotal, suppressed together.

    Returns the counts per mode, the count of car drivers (``car_alone`` + ``car_shared``) and the
    number of hidden cells. A count (or the subtotal) is ``None`` when it, or the people it does not
    count, number ``1..k-1``, or when it could be worked out from the shown counts, the total and
    the subtotal (see :func:`grontur.suppression.suppress_with_totals`).
    """
    cells = {m: int(counts.get(m, 0)) for m in modes}
    out, hidden = suppress_with_totals(cells, k, subtotals={_DRIVER_KEY: list(CAR_DRIVER_MODES)}, force=force)
    drivers = out.pop(_DRIVER_KEY)
    return out, drivers, hidden


_DRIVER_KEY = "\0car_driver"  # the subtotal's key: cannot clash with a mode code


def _season_section(table: pd.DataFrame, k: int, rows: _Rows) -> tuple[dict[str, Any], int]:
    modes = _observed_modes(table)
    section: dict[str, Any] = {}
    hidden_total = 0
    everyone = np.ones(len(table), dtype=bool)
    for season in SEASONS:
        counts, n = _mode_counts(table, season)
        row, drivers, hidden = mode_row(counts, modes, k, force=rows.alone_force(season, everyone, k))
        hidden_total += hidden
        section[season] = {
            "n": n,
            "modes": _share_cells(row, n),
            "car_driver": _share_cells({"x": drivers}, n)["x"],
        }
    return section, hidden_total


# --------------------------------------------------------------------------- seasonal shifts

def _seasonal_shift(table: pd.DataFrame, k: int) -> tuple[dict[str, Any], int]:
    summer = codes(table, "mode_summer")
    winter = codes(table, "mode_winter")
    both = summer.notna() & winter.notna()
    n_both = int(both.sum())
    if "mode_summer" in table.columns and "mode_winter" in table.columns:
        changed = both & (summer != winter)
    else:  # one season asked: nobody answered both (and the two columns cannot be compared)
        changed = pd.Series(False, index=table.index)
    n_changed = int(changed.sum())
    hidden = 0

    pairs = pd.DataFrame({"summer": summer[changed].astype(object), "winter": winter[changed].astype(object)})
    transitions: list[dict[str, Any]] = []
    transitions_hidden = 0
    # value_counts() of two columns is keyed by (summer, winter) pairs of mode codes
    for (s, w), count in cast("Iterable[tuple[tuple[str, str], int]]", pairs.value_counts().sort_index().items()):
        count = int(count)
        if count < k:
            transitions_hidden += 1  # left out: even its presence would describe a few people
        else:
            transitions.append({"summer": s, "winter": w, "count": count})
    hidden += transitions_hidden
    transitions.sort(key=lambda d: (-d["count"], d["summer"], d["winter"]))

    group_s = summer.astype(object).map(MODE_GROUPS)
    group_w = winter.astype(object).map(MODE_GROUPS)
    groups = pd.DataFrame({"summer": group_s[both], "winter": group_w[both]})
    group_moves = groups[groups["summer"] != groups["winter"]].value_counts()
    group_rows = []
    barriers = _MultiColumn(column(table, "barriers"))
    groups_hidden = 0
    for (s, w), count in cast("Iterable[tuple[tuple[str, str], int]]", group_moves.sort_index().items()):
        count = int(count)
        if count < k:
            groups_hidden += 1
            continue
        entry: dict[str, Any] = {"summer": s, "winter": w, "count": count}
        mask = both & (group_s == s) & (group_w == w)
        entry["barriers"], h = _ranked(barriers.counts(mask.to_numpy(dtype=bool), BARRIERS), count, k)
        entry["barriers_hidden"] = h
        hidden += h
        group_rows.append(entry)
    hidden += groups_hidden
    group_rows.sort(key=lambda d: (-d["count"], d["summer"], d["winter"]))

    switch_barriers, switch_hidden = _ranked(barriers.counts(changed.to_numpy(dtype=bool), BARRIERS), n_changed, k)
    hidden += switch_hidden
    n_changed_pub = n_changed if (n_changed == 0 or n_changed >= k) else None
    if n_changed_pub is None:
        hidden += 1
    lo, hi = wilson_interval(n_changed, n_both) if n_changed_pub is not None else (None, None)
    return {
        "n_both_seasons": n_both,
        "n_changed": n_changed_pub,
        "share_changed": (n_changed / n_both) if (n_changed_pub is not None and n_both) else None,
        "ci_low": lo, "ci_high": hi,
        "transitions": transitions,
        "transitions_hidden": transitions_hidden,
        "group_transitions": group_rows,
        "group_transitions_hidden": groups_hidden,
        "barriers_of_switchers": switch_barriers,
        "barriers_of_switchers_hidden": switch_hidden,
    }, hidden


# --------------------------------------------------------------------------- headline rates

def drive_alone_rate(table: pd.DataFrame, *, settings: Mapping[str, Any] | None = None) -> dict[str, float | None]:
    """Drive-alone trips / all trips per season and for the year (trips weighted by days on site)."""
    settings = settings if settings is not None and "full_week_days" in settings else load_settings(settings)
    trips = season_trips(table, settings)
    out: dict[str, float | None] = {}
    num_year = den_year = 0.0
    for season in SEASONS:
        alone = codes(table, f"mode_{season}") == "car_alone"
        num = float(trips[season][alone].sum())
        den = float(trips[season].sum())
        out[season] = num / den if den > 0 else None
        num_year += num
        den_year += den
    out["year"] = num_year / den_year if den_year > 0 else None
    return out


def _effective_ci(table: pd.DataFrame, season_trips_: dict[str, pd.Series], rate: float | None) -> tuple[float | None, float | None]:
    """Wilson interval using Kish's effective sample size of the trip weights (people, not trips)."""
    if rate is None:
        return None, None
    w = pd.concat(list(season_trips_.values()), axis=1).sum(axis=1)
    w = w[w > 0]
    if w.empty:
        return None, None
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    lo, hi = wilson_interval(rate * n_eff, n_eff)
    return lo, hi


def cars_per_100(table: pd.DataFrame, *, employees: int | None = None,
                 settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Cars arriving on an average working day per 100 respondents, per season and for the year."""
    settings = settings if settings is not None and "full_week_days" in settings else load_settings(settings)
    full = float(settings["full_week_days"])
    days = days_on_site(table, settings)
    out: dict[str, Any] = {"base": "respondents"}
    weights = season_weights(settings)
    year = 0.0
    any_known = False
    for season in SEASONS:
        mode = codes(table, f"mode_{season}")
        known = mode.notna()
        n = int(known.sum())
        drivers = mode.isin(CAR_DRIVER_MODES)
        cars = float((days[drivers] / full).clip(upper=7.0 / full).sum())
        value = 100.0 * cars / n if n else None
        out[season] = value
        if value is not None:
            year += weights[season] * value
            any_known = True
    out["year"] = year if any_known else None
    if employees:
        out["employees"] = int(employees)
        out["estimated_cars_per_day"] = (out["year"] * employees / 100.0) if out["year"] is not None else None
    return out


# --------------------------------------------------------------------------- bands and days

def distance_band(values: pd.Series) -> pd.Series:
    """Distance band code per row: lt1, 1_3, 3_5, 5_10, 10_20, 20p (left-closed), NA when unknown."""
    edges = [b[1] for b in DISTANCE_BANDS] + [np.inf]
    labels = [b[0] for b in DISTANCE_BANDS]
    return pd.cut(values, bins=edges, labels=labels, right=False).astype("object")


def time_band(values: pd.Series) -> pd.Series:
    """Travel-time band code per row: 0_15, 16_30, 31_45, 46_60, 60p (right-closed minutes)."""
    edges = [-np.inf, 15.0, 30.0, 45.0, 60.0, np.inf]
    labels = [b[0] for b in TIME_BANDS]
    return pd.cut(values, bins=edges, labels=labels, right=True).astype("object")


def _banded(values: pd.Series, bands: pd.Series, names: list[str], k: int) -> tuple[dict[str, Any], int]:
    known = int(values.notna().sum())
    counts = bands.value_counts()
    # The bands add up to ``known``, which is published: suppressed together with it.
    row, hidden = suppress_row({b: int(counts.get(b, 0)) for b in names}, k)
    section = {
        "n": known,
        "n_unknown": int(values.isna().sum()),
        "bands": _share_cells(row, known),
        "median": float(values.median()) if known >= k else None,
        "mean": float(values.mean()) if known >= k else None,
    }
    return section, hidden


_ANY_REMOTE = "any"


def _days_section(table: pd.DataFrame, settings: Mapping[str, Any], k: int) -> tuple[dict[str, Any], int]:
    reported = numeric(table, "days_on_site")
    remote = numeric(table, "remote_days")
    used = days_on_site(table, settings)
    hidden = 0
    rounded = reported.round().clip(0, 7)
    day_counts = np.bincount(rounded.dropna().to_numpy(dtype=np.int64), minlength=8)
    dist_row, h = suppress_row({str(d): int(day_counts[d]) for d in range(8)}, k)
    hidden += h
    n_rep = int(reported.notna().sum())
    n_remote_known = int(remote.notna().sum())
    # Those who work remotely at all are a published subtotal of the remote-days distribution
    # (every day but 0): suppressed together, so neither gives a hidden cell of the other away.
    remote_counts = np.bincount(remote.round().clip(0, 7).dropna().to_numpy(dtype=np.int64), minlength=8)
    remote_cells = {str(d): int(remote_counts[d]) for d in range(8)}
    remote_row, h = suppress_with_totals(remote_cells, k, subtotals={_ANY_REMOTE: [str(d) for d in range(1, 8)]})
    hidden += h
    pub_any = remote_row.pop(_ANY_REMOTE)
    return {
        "days_on_site": {
            "n_reported": n_rep,
            "mean_reported": float(reported.mean()) if n_rep >= k else None,
            "mean_used": float(used.mean()) if len(used) >= k else None,
            "distribution": _share_cells(dist_row, n_rep),
        },
        "remote_work": {
            "n_reported": n_remote_known,
            "n_any_remote": pub_any,
            "share_any_remote": (pub_any / n_remote_known) if (pub_any is not None and n_remote_known) else None,
            "mean_remote_days": float(remote.mean()) if n_remote_known >= k else None,
            "distribution": _share_cells(remote_row, n_remote_known),
        },
    }, hidden


# --------------------------------------------------------------------------- breakdowns

def _group_key(table: pd.DataFrame, name: str) -> pd.Series:
    if name == "shift_work":
        b = as_bool(column(table, name))
        return b.map({True: "yes", False: "no"}).astype("object")
    return codes(table, name)


class _Rows:
    """Per-row arrays the group breakdowns add up (computed once per table, sliced per group).

    Each group's figures are the same sums :func:`drive_alone_rate`, :func:`cars_per_100` and
    the mode counts would give on the group's rows, without building a sub-table per group.
    """

    def __init__(self, table: pd.DataFrame, settings: Mapping[str, Any]) -> None:
        full = float(settings["full_week_days"])
        trips = season_trips(table, settings)
        self.mode_ids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.trips: dict[str, np.ndarray] = {}
        self.alone: dict[str, np.ndarray] = {}
        self.driver: dict[str, np.ndarray] = {}
        for season in SEASONS:
            mode = codes(table, f"mode_{season}")
            ids, uniques = pd.factorize(mode)
            self.mode_ids[season] = (np.asarray(ids), np.asarray(uniques, dtype=object))
            self.trips[season] = trips[season].to_numpy(dtype=float)
            self.alone[season] = (mode == "car_alone").to_numpy(dtype=bool)
            self.driver[season] = mode.isin(CAR_DRIVER_MODES).to_numpy(dtype=bool)
        self.cars = (days_on_site(table, settings) / full).clip(upper=7.0 / full).to_numpy(dtype=float)
        self.weights = season_weights(settings)
        self.distance = numeric(table, "distance_km").to_numpy(dtype=float)
        # The people a drive-alone rate counts (trips driven alone) and does not count (other trips).
        self.alone_trips = {s: self.alone[s] & (self.trips[s] > 0) for s in SEASONS}
        self.other_trips = {s: ~self.alone[s] & (self.trips[s] > 0) for s in SEASONS}

    def alone_publishable(self, seasons: Iterable[str], mask: np.ndarray, k: int) -> bool:
        """May a drive-alone rate over ``seasons`` of the rows in ``mask`` be shown? Only when the
        people with trips driven alone and the people with other trips are each 0 or at least k."""
        seasons = list(seasons)
        counted = np.zeros(len(mask), dtype=bool)
        other = np.zeros(len(mask), dtype=bool)
        for season in seasons:
            counted |= self.alone_trips[season]
            other |= self.other_trips[season]
        return all(not 0 < int((people & mask).sum()) < k for people in (counted, other))

    def alone_force(self, season: str, mask: np.ndarray, k: int) -> tuple[str, ...]:
        """``("car_alone",)`` when the drive-alone rate of ``season`` must be hidden: its mode
        count then goes too, as the rate could be worked out from it (and the other way round)."""
        return () if self.alone_publishable([season], mask, k) else ("car_alone",)

    def mode_counts(self, season: str, mask: np.ndarray) -> tuple[dict[str, int], int]:
        ids, uniques = self.mode_ids[season]
        picked = ids[mask]
        picked = picked[picked >= 0]
        counts = np.bincount(picked, minlength=len(uniques))
        return {str(uniques[i]): int(c) for i, c in enumerate(counts) if c}, len(picked)


def _breakdown(table: pd.DataFrame, name: str, settings: Mapping[str, Any], k: int,
               rows: _Rows | None = None) -> tuple[dict[str, Any] | None, int]:
    if name not in table.columns:
        return None, 0
    rows = rows if rows is not None else _Rows(table, settings)
    key = _group_key(table, name)
    ids, uniques = pd.factorize(key)
    ids = np.asarray(ids)
    position = {value: i for i, value in enumerate(uniques)}
    hidden = 0
    groups: dict[str, Any] = {}
    sizes = key.value_counts()
    sizes = sizes[sizes > 0]
    small = [g for g, n in sizes.items() if n < k]
    for g, n in sorted(sizes.items(), key=lambda kv: str(kv[0])):
        n = int(n)
        if n < k:
            hidden += 1
            groups[str(g)] = {"n": None, "suppressed": True}
            continue
        mask = ids == position[g]
        entry: dict[str, Any] = {"n": n, "suppressed": False}
        per_season = {season: rows.mode_counts(season, mask) for season in SEASONS}
        seen = {m for counts, _ in per_season.values() for m in counts}
        observed = [m for m in MODES if m in seen] + sorted(seen - set(MODES))
        # The yearly drive-alone rate rests on both seasons' lone drivers: when it must be hidden,
        # so must their mode shares; when one of those is hidden, so is the rate.
        alone_ok = rows.alone_publishable(SEASONS, mask, k)
        force = () if alone_ok else ("car_alone",)
        drivers_shown = True
        for season in SEASONS:
            counts, ns = per_season[season]
            row, drivers, h = mode_row(counts, observed, k, force=force)
            hidden += h
            entry[f"modes_{season}"] = {m: (c / ns if c is not None and ns else None) for m, c in row.items()}
            entry[f"car_driver_share_{season}"] = drivers / ns if drivers is not None and ns else None
            alone_ok = alone_ok and (row.get("car_alone", 0) is not None)
            drivers_shown = drivers_shown and drivers is not None
        # The group's drive-alone rate and cars per 100, summed as drive_alone_rate and
        # cars_per_100 sum them over a sub-table.
        num_year = den_year = year = 0.0
        any_known = False
        for season in SEASONS:
            trips = rows.trips[season][mask]
            num_year += float(trips[rows.alone[season][mask]].sum())
            den_year += float(trips.sum())
            ns = per_season[season][1]
            value = 100.0 * float(rows.cars[mask & rows.driver[season]].sum()) / ns if ns else None
            if value is not None:
                year += rows.weights[season] * value
                any_known = True
        rate = num_year / den_year if den_year > 0 else None
        cars = year if any_known else None
        # Cars per 100 counts the car drivers of both seasons: hidden with either driver share.
        hidden += (rate is not None and not alone_ok) + (cars is not None and not drivers_shown)
        entry["drive_alone_rate"] = rate if alone_ok else None
        entry["cars_per_100"] = cars if drivers_shown else None
        dist = rows.distance[mask]
        dist = dist[~np.isnan(dist)]
        entry["median_distance_km"] = float(np.median(dist)) if len(dist) >= k else None
        groups[str(g)] = entry
    # A single hidden group could be recovered from the overall total by subtraction: hide the
    # next smallest group as well.
    if len(small) == 1 and len(sizes) > 1:
        rest = sorted((int(n), str(g)) for g, n in sizes.items() if n >= k)
        if rest:
            groups[rest[0][1]] = {"n": None, "suppressed": True}
            hidden += 1
    return groups, hidden


# --------------------------------------------------------------------------- main entry

def describe(table: pd.DataFrame, *, k: int = DEFAULT_K, employees: int | None = None,
             settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build ``results["habits"]`` from the canonical table.

    Parameters
    ----------
    table
        Canonical response table (see :mod:`grontur.schema`).
    k
        Privacy threshold: every published cell describes at least ``k`` respondents.
    employees
        Total employees; when given, cars arriving are also projected to all employees.
    settings
        Overrides of ``measures/factors/settings.yaml``.
    """
    k = check_k(k)
    settings = load_settings(settings)
    table = prepare(table)
    hidden = 0
    n = len(table)

    rows = _Rows(table, settings)
    seasons, h = _season_section(table, k, rows)
    hidden += h
    shift, h = _seasonal_shift(table, k)
    hidden += h

    dar = drive_alone_rate(table, settings=settings)
    trips = season_trips(table, settings)
    dar_ci = {}
    for season in SEASONS:
        lo, hi = _effective_ci(table, {season: trips[season]}, dar[season])
        dar_ci[season] = {"rate": dar[season], "ci_low": lo, "ci_high": hi}
    lo, hi = _effective_ci(table, trips, dar["year"])
    dar_ci["year"] = {"rate": dar["year"], "ci_low": lo, "ci_high": hi}
    cars = cars_per_100(table, employees=employees, settings=settings)
    if 0 < n < k:
        dar_ci = {key: {"rate": None, "ci_low": None, "ci_high": None} for key in dar_ci}
        hidden += 1
        cars = {key: (None if key not in ("base", "employees") else v) for key, v in cars.items()}
        hidden += 1
    else:
        # A season's drive-alone rate goes with its lone drivers' mode count, and cars per 100
        # with its car drivers' count (either could be worked out from the other); the year's
        # figures combine both seasons.
        for season in SEASONS:
            alone = seasons[season]["modes"].get("car_alone")
            if alone is not None and alone["count"] is None and dar_ci[season]["rate"] is not None:
                dar_ci[season] = dar_ci["year"] = {"rate": None, "ci_low": None, "ci_high": None}
                hidden += 1
            if seasons[season]["car_driver"]["count"] is None and seasons[season]["n"] and cars.get(season) is not None:
                cars[season] = cars["year"] = None
                if "estimated_cars_per_day" in cars:
                    cars["estimated_cars_per_day"] = None
                hidden += 1

    dist = numeric(table, "distance_km")
    distance, h = _banded(dist, distance_band(dist), [b[0] for b in DISTANCE_BANDS], k)
    hidden += h
    minutes = numeric(table, "travel_time_min")
    travel_time, h = _banded(minutes, time_band(minutes), [b[0] for b in TIME_BANDS], k)
    hidden += h
    days, h = _days_section(table, settings, k)
    hidden += h

    breakdowns: dict[str, Any] = {}
    names = list(BREAKDOWN_COLUMNS)
    if "municipality" in table.columns and column(table, "municipality").nunique() > 1:
        names.insert(0, "municipality")  # a network table: one group per municipality
    for name in names:
        groups, h = _breakdown(table, name, settings, k, rows)
        hidden += h
        if groups is not None:
            breakdowns[name] = groups

    drivers = is_car_driver(table)
    n_drivers = int(drivers.sum())
    if not yes_no_publishable(n_drivers, n, k):
        hidden += 1
    lists: dict[str, Any] = {}
    for col, allowed in (("barriers", BARRIERS), ("would_consider", CONSIDER_MODES), ("would_help", WOULD_HELP)):
        values = _MultiColumn(column(table, col))
        overall, h1 = _ranked(values.counts(None, allowed), n, k)
        among, h2 = _ranked(values.counts(drivers.to_numpy(dtype=bool), allowed), n_drivers, k)
        hidden += h1 + h2
        lists[col] = {"overall": overall, "car_drivers": among, "hidden": {"overall": h1, "car_drivers": h2}}

    habits = {
        "k": k,
        "n_respondents": n,
        "n_car_drivers": n_drivers if yes_no_publishable(n_drivers, n, k) else None,
        "seasons": seasons,
        "seasonal_shift": shift,
        "drive_alone_rate": dar_ci,
        "cars_per_100": cars,
        "distance_km": distance,
        "travel_time_min": travel_time,
        **days,
        "breakdowns": breakdowns,
        **lists,
        "settings": {key: settings[key] for key in ("working_days_per_year", "full_week_days", "summer_share_of_year")},
        "suppressed_cells": int(hidden),
    }
    log.info("described %s respondents; %s cells suppressed", f"{n:,}", hidden)
    return jsonable(habits)
