"""Travel habits: mode shares by season, seasonal shifts, drive-alone rate, bands and breakdowns.

:func:`describe` builds ``results["habits"]``; :func:`mode_share` builds the simpler
``results["mode_share"]``. Every count is registered with the publication gate
(:mod:`grontur.publish`), which decides what is shown for every section at once; the section's
``suppressed_cells`` says how many of its cells the gate hid. Shared helpers (settings, days on site,
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from grontur._yaml import read_yaml
from grontur.bases import BY_MODES as BASES_BY_MODES
from grontur.bases import mask as base_mask
from grontur.errors import ConfigError
from grontur.publish import (
    DEFAULT_K,
    Derived,
    Fig,
    HiddenTally,
    IsHidden,
    Ledger,
    Listed,
    SectionTally,
)
from grontur.resources import data_path
from grontur.results import to_jsonable
from grontur.schema import (
    BARRIERS,
    CAR_DRIVER_MODES,
    CONSIDER_MODES,
    MODES,
    SEASONS,
    WOULD_HELP,
    seasons_in,
)
from grontur.stats import wilson_interval, wilson_intervals

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
#: The multi-select columns the sections count codes of (split once per table: :class:`MultiSelect`).
MULTI_SELECT_COLUMNS = ("barriers", "would_consider", "would_help")
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
    """The column ``name`` as numbers (what is not a number is missing)."""
    s = column(table, name)
    if s.dtype == np.float64:
        return s  # copy-on-write: the caller's changes never reach the table
    return pd.to_numeric(s, errors="coerce").astype("float64")


def as_bool(series: pd.Series) -> pd.Series:
    """Coerce a boolean-like column to a nullable boolean Series (unknown values become NA)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    mapped = series.astype("object").map(_BOOL_MAP)
    return mapped.astype("boolean")


def said_yes(table: pd.DataFrame, name: str) -> np.ndarray:
    """Whether each row answered the yes/no column ``name`` with yes (:func:`as_bool`; no,
    unanswered and a column the table lacks are False)."""
    s = column(table, name)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool, na_value=False)
    return as_bool(s).fillna(False).astype(bool).to_numpy(dtype=bool)


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


def season_trips(table: pd.DataFrame, settings: Mapping[str, Any], *,
                 days: pd.Series | None = None) -> dict[str, pd.Series]:
    """Round trips per *average* week spent in each season's mode (0 when remote or unknown).

    Summing both seasons gives the yearly average round trips per working week. ``days`` is
    :func:`days_on_site` of the same table and settings when the caller has it already.
    """
    days = days_on_site(table, settings) if days is None else days
    out = {}
    for season, w in season_weights(settings).items():
        mode = codes(table, f"mode_{season}")
        travels = mode.notna() & (mode != "remote")
        out[season] = (days * w).where(travels, 0.0)
    return out


@dataclass(frozen=True)
class RowQuantities:
    """The per-row quantities of one table that several sections use (:func:`days_on_site`,
    :func:`season_trips` and the split multi-select answers), computed once per table and
    settings and shared: see :func:`row_quantities`."""

    full_week_days: float
    summer_share_of_year: float
    days: pd.Series
    trips: dict[str, pd.Series]
    #: multi-select columns split on first use (:meth:`multi_select`)
    _multi: dict[str, MultiSelect] = field(default_factory=dict, repr=False, compare=False)

    def fits(self, table: pd.DataFrame, settings: Mapping[str, Any]) -> bool:
        """Whether these quantities were computed with ``settings`` on a table with ``table``'s rows."""
        return (self.full_week_days == float(settings["full_week_days"])
                and self.summer_share_of_year == float(settings["summer_share_of_year"])
                and self.days.index.equals(table.index))

    def take(self, positions: np.ndarray) -> RowQuantities:
        """These quantities for the rows at ``positions`` only (one municipality of a network's
        table): the same as computing them on those rows, multi-select columns split already."""
        taken = RowQuantities(self.full_week_days, self.summer_share_of_year, self.days.iloc[positions],
                              {season: trips.iloc[positions] for season, trips in self.trips.items()})
        taken._multi.update({name: split.take(positions) for name, split in self._multi.items()})
        return taken

    def multi_select(self, table: pd.DataFrame, name: str) -> MultiSelect:
        """The multi-select column ``name`` of the table these quantities were computed on, split
        once for every section that counts its codes."""
        found = self._multi.get(name)
        if found is None:
            found = self._multi[name] = MultiSelect(column(table, name))
        return found


def row_quantities(table: pd.DataFrame, settings: Mapping[str, Any],
                   given: RowQuantities | None = None) -> RowQuantities:
    """``given`` when it fits ``table`` and ``settings`` (computed on the same rows with the same
    week and season settings), else the quantities computed now."""
    if given is not None and given.fits(table, settings):
        return given
    days = days_on_site(table, settings)
    return RowQuantities(float(settings["full_week_days"]), float(settings["summer_share_of_year"]),
                         days, season_trips(table, settings, days=days))


def _multi_uniques(series: pd.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Codes of each row into its distinct cell value, the codes named, and which distinct value
    names which code (a boolean matrix: distinct values by codes).

    Survey answers repeat a small number of combinations, so splitting the distinct values only
    is much faster than splitting every row.
    """
    codes_, uniques = pd.factorize(series.to_numpy(dtype=object))
    # A missing answer names nothing: it is one more distinct value, the empty one.
    codes_ = np.where(codes_ < 0, len(uniques), codes_)
    # Split each distinct value once with str.split (pandas' str.get_dummies tests every code
    # against every value with Python substring searches, the same columns in the same order).
    split = [str(value).split(";") for value in uniques] + [[]]
    tags = sorted({tag for parts in split for tag in parts} - {""})
    position = {tag: i for i, tag in enumerate(tags)}
    matrix = np.zeros((len(split), len(tags)), dtype=bool)
    rows = [row for row, parts in enumerate(split) for tag in parts if tag]
    cols = [position[tag] for parts in split for tag in parts if tag]
    matrix[rows, cols] = True
    return codes_, tags, matrix


class MultiSelect:
    """A multi-select column split once: the rows naming each code as NumPy arrays, and code
    counts for any subset of its rows.

    ``counts(mask, allowed)`` counts the rows of ``mask`` naming each code without splitting the
    subset's answers again.
    """

    def __init__(self, series: pd.Series) -> None:
        self._set(*_multi_uniques(series))

    def _set(self, codes_: np.ndarray, tags: list[str], unique_flags: np.ndarray) -> None:
        self.codes, self.tags, self.unique_flags = codes_, tags, unique_flags
        self.position = {tag: j for j, tag in enumerate(self.tags)}
        self.matrix = self.unique_flags.astype(np.int64)
        self._flags: dict[str, np.ndarray] = {}

    def take(self, positions: np.ndarray) -> MultiSelect:
        """The answers of the rows at ``positions`` only, without splitting them again (the codes
        they name, in the same order, as if those rows had been split on their own)."""
        picked = self.codes[positions]
        used = np.flatnonzero(np.bincount(picked, minlength=len(self.unique_flags)))
        renumber = np.zeros(len(self.unique_flags), dtype=np.intp)
        renumber[used] = np.arange(len(used))
        codes_ = renumber[picked]
        flags = self.unique_flags[used]
        named = np.asarray(flags.any(axis=0), dtype=bool)
        taken = MultiSelect.__new__(MultiSelect)
        taken._set(codes_, [tag for tag, n in zip(self.tags, named.tolist()) if n], flags[:, named])
        return taken

    def flags(self, code: str) -> np.ndarray:
        """Whether each row names ``code`` (all False when nobody did); read-only, shared."""
        found = self._flags.get(code)
        if found is None:
            j = self.position.get(code)
            found = (self.unique_flags[:, j][self.codes] if j is not None and len(self.codes)
                     else np.zeros(len(self.codes), dtype=bool))
            found.flags.writeable = False
            self._flags[code] = found
        return found

    def tallies(self, mask: np.ndarray | None) -> np.ndarray:
        """How many rows in ``mask`` (all rows when ``None``) name each code, in :attr:`tags` order."""
        picked = self.codes if mask is None else self.codes[np.asarray(mask, dtype=bool)]
        if not self.matrix.shape[1]:
            return np.zeros(0, dtype=np.int64)
        weights = np.bincount(picked, minlength=len(self.matrix))
        return weights @ self.matrix

    def counts(self, mask: np.ndarray | None, allowed: Iterable[str] | None) -> pd.Series:
        """How many rows in ``mask`` (all rows when ``None``) name each code: the codes in
        ``allowed`` (0 when nobody named one), or every code named when ``allowed`` is ``None``."""
        picked = self.codes if mask is None else self.codes[np.asarray(mask, dtype=bool)]
        if len(picked) and self.matrix.shape[1]:
            counts = pd.Series(self.tallies(mask), index=pd.Index(self.tags)).astype(int)
        else:
            counts = pd.Series(dtype=int)
        return counts.reindex(list(allowed), fill_value=0) if allowed is not None else counts


# --------------------------------------------------------------------------- published cells
#
# Every count below is registered with the publication gate (:class:`grontur.publish.Ledger`)
# together with the respondents it counts; shares, rates and means name the counts they rest on.
# Nothing here decides what is shown: :meth:`Ledger.decide` does, for every section at once.


def _cell(fig: Fig, base: Fig) -> dict[str, Any]:
    """A count with its share of ``base`` and the share's Wilson interval."""
    return _cells({"": fig}, base)[""]


def _cells(figs: Mapping[str, Fig], base: Fig) -> dict[str, dict[str, Any]]:
    """:func:`_cell` of each count of one row over the same ``base`` (the intervals worked out
    together, each the same as on its own)."""
    if base.n <= 0:
        return {key: {"count": fig, "share": None, "ci_low": None, "ci_high": None} for key, fig in figs.items()}
    low, high = wilson_intervals([fig.n for fig in figs.values()], base.n)
    return {key: {"count": fig, "share": Derived(fig.n / base.n, (fig, base)), "ci_low": Derived(lo, (fig, base)),
                  "ci_high": Derived(hi, (fig, base))}
            for (key, fig), lo, hi in zip(figs.items(), low.tolist(), high.tolist())}


def _ranked(ledger: Ledger, flags: MultiSelect, within: np.ndarray, base: Fig, allowed: Iterable[str],
            tag: tuple[Any, ...]) -> tuple[list[Listed], HiddenTally]:
    """Codes of a multi-select answer ranked by count (ties by code), as list entries that leave
    the list when their count is hidden (even an entry's presence would describe a few people)."""
    entries = []
    figs = []
    tallies = flags.tallies(within)
    for code in allowed:
        j = flags.position.get(code)
        n = int(tallies[j]) if j is not None else 0
        if n == 0:
            continue
        fig = ledger.count(within & flags.flags(code), tag=(*tag, code))
        ledger.subset(fig, base)
        figs.append(fig)
        entries.append((-n, code, fig))
    entries.sort(key=lambda e: (e[0], e[1]))
    items = [Listed({"code": code, "count": fig, "share": Derived(fig.n / base.n if base.n else None, (fig, base))},
                    (fig, base)) for _, code, fig in entries]
    return items, HiddenTally(tuple(figs))


def _observed_modes(labels: Sequence[Any], code: Mapping[str, np.ndarray]) -> list[str]:
    """The modes given in any season (:func:`_mode_codes`), in :data:`MODES` order, others after."""
    used = np.zeros(len(labels) + 1, dtype=bool)
    for positions in code.values():
        used[positions] = True  # -1 (no mode) marks the last, unused slot
    seen = {labels[i] for i in np.flatnonzero(used[:-1]).tolist()}
    return [m for m in MODES if m in seen] + sorted(seen - set(MODES))


def _mode_codes(modes: Mapping[str, pd.Series]) -> tuple[list[Any], dict[str, np.ndarray]]:
    """The distinct modes of all seasons, and each row's mode per season as a position in them
    (-1: no mode). Categorical columns with the same categories (:func:`prepare`) are read as they are."""
    series = list(modes.values())
    first = series[0].dtype
    if isinstance(first, pd.CategoricalDtype) and all(
            isinstance(s.dtype, pd.CategoricalDtype) and s.dtype.categories.equals(first.categories) for s in series):
        return list(first.categories), {season: np.asarray(s.cat.codes, dtype=np.int64) for season, s in modes.items()}
    values = np.concatenate([s.astype(object).to_numpy() for s in series])
    ids, uniques = pd.factorize(values)
    ids = ids.astype(np.int64)
    n = len(series[0])
    return list(uniques), {season: ids[i * n:(i + 1) * n] for i, season in enumerate(modes)}


class _Rows:
    """Per-row arrays the sections count over (computed once per table, sliced per group)."""

    def __init__(self, table: pd.DataFrame, settings: Mapping[str, Any],
                 quantities: RowQuantities | None = None) -> None:
        full = float(settings["full_week_days"])
        quantities = row_quantities(table, settings, quantities)
        trips = quantities.trips
        self.n = len(table)
        self.known: dict[str, np.ndarray] = {}
        self.is_mode: dict[str, dict[str, np.ndarray]] = {}
        self.trips: dict[str, np.ndarray] = {}
        self.alone: dict[str, np.ndarray] = {}
        self.driver: dict[str, np.ndarray] = {}
        # Each row's mode as a position in ``labels`` (-1: none), the same labels for both seasons.
        self.labels: list[Any]
        self.code: dict[str, np.ndarray]
        mode_of = {season: codes(table, f"mode_{season}") for season in SEASONS}
        self.labels, self.code = _mode_codes(mode_of)
        self.modes = _observed_modes(self.labels, self.code)
        where = {label: i for i, label in enumerate(self.labels)}
        for season in SEASONS:
            code = self.code[season]
            self.known[season] = code >= 0
            self.is_mode[season] = {m: code == where[m] for m in self.modes}
            self.trips[season] = trips[season].to_numpy(dtype=float)
            self.alone[season] = code == where.get("car_alone", -2)
            self.driver[season] = np.isin(code, [where[m] for m in CAR_DRIVER_MODES if m in where])
        self.cars = np.minimum(quantities.days.to_numpy(dtype=float) / full, 7.0 / full)
        self.weights = season_weights(settings)
        self.distance = numeric(table, "distance_km").to_numpy(dtype=float)
        # The people a drive-alone rate counts (trips driven alone) and does not count (other trips).
        self.alone_trips = {s: self.alone[s] & (self.trips[s] > 0) for s in SEASONS}
        self.other_trips = {s: ~self.alone[s] & (self.trips[s] > 0) for s in SEASONS}

    def drive_alone_rates(self) -> dict[str, float | None]:
        """Drive-alone trips / all trips per season and for the year (trips weighted by days on site)."""
        out: dict[str, float | None] = {}
        num_year = den_year = 0.0
        for season in SEASONS:
            trips = self.trips[season]
            num = float(trips[self.alone[season]].sum())
            den = float(trips.sum())
            out[season] = num / den if den > 0 else None
            num_year += num
            den_year += den
        out["year"] = num_year / den_year if den_year > 0 else None
        return out

    def cars_per_100(self, employees: int | None = None) -> dict[str, Any]:
        """Cars arriving on an average working day per 100 respondents, per season and for the year."""
        out: dict[str, Any] = {"base": "respondents"}
        year = 0.0
        any_known = False
        for season in SEASONS:
            n = int(self.known[season].sum())
            cars = float(self.cars[self.driver[season]].sum())
            value = 100.0 * cars / n if n else None
            out[season] = value
            if value is not None:
                year += self.weights[season] * value
                any_known = True
        out["year"] = year if any_known else None
        if employees:
            out["employees"] = int(employees)
            out["estimated_cars_per_day"] = (out["year"] * employees / 100.0) if out["year"] is not None else None
        return out

    def mode_row(self, ledger: Ledger, season: str, within: np.ndarray, tag: tuple[Any, ...], *,
                 group: bool = False) -> tuple[Fig, dict[str, Fig], Fig]:
        """One season's mode counts among ``within``, their total and their "drives a car"
        subtotal, registered with the gate as one table row."""
        known = within & self.known[season]
        base = ledger.base(known, tag=(*tag, season, "n"), answered=True)
        cells = {m: ledger.count(known & self.is_mode[season][m], tag=(*tag, season, m)) for m in self.modes}
        ledger.partition(base, list(cells.values()), group=group)
        drivers = ledger.count(known & self.driver[season], tag=(*tag, season, "car_driver"))
        ledger.partition(drivers, [cells[m] for m in CAR_DRIVER_MODES if m in cells])
        # The driver share splits the row in two: in a group where everybody drives, it gives each
        # member's answer (the whole-group rule), and those who do not drive are a count too.
        others = ledger.count(known & ~self.driver[season], tag=(*tag, season, "not_car_driver"))
        ledger.partition(base, [drivers, others], group=group)
        # They are the other modes' cells too: beside the shown ones, a few hidden ones are a sum.
        ledger.partition(others, [cells[m] for m in self.modes if m not in CAR_DRIVER_MODES], implied=True)
        return base, cells, drivers

    def columns(self, ledger: Ledger, season: str, group_rows: Sequence[tuple[Fig, dict[str, Fig], Fig]]) -> None:
        """Declare the columns of a breakdown's rows (:meth:`mode_row` of each group): a mode's
        count among everyone who gave a mode is the sum of the groups' cells of that mode and of
        those the groups leave out (who did not answer the breakdown's question), and so are the
        bases and the drivers. Beside the overall row, a
        hidden group cell would otherwise be the overall cell less the other groups' shown cells."""
        known = self.known[season]
        overall = [known, *(known & self.is_mode[season][m] for m in self.modes), known & self.driver[season]]
        groups = [[base, *(cells[m] for m in self.modes), drivers] for base, cells, drivers in group_rows]
        drivers_at = len(self.modes) + 1
        rows = [(0, range(1, drivers_at)),
                (drivers_at, [1 + i for i, m in enumerate(self.modes) if m in CAR_DRIVER_MODES])]
        ledger.columns(overall, groups, rows=rows, tag=("modes", season))

    def alone_rate(self, ledger: Ledger, seasons: Sequence[str], within: np.ndarray,
                   alone_cells: Sequence[Fig]) -> tuple[float | None, tuple[Fig, ...]]:
        """The drive-alone rate of ``seasons`` among ``within`` (trips weighted by days on site)
        and the counts it rests on: the people with trips driven alone, the people with other
        trips, and the lone drivers' mode counts (either could be worked out from the other)."""
        num = den = 0.0
        counted = np.zeros(self.n, dtype=bool)
        other = np.zeros(self.n, dtype=bool)
        for season in seasons:
            trips = self.trips[season][within]
            num += float(trips[self.alone[season][within]].sum())
            den += float(trips.sum())
            counted |= self.alone_trips[season]
            other |= self.other_trips[season]
        needs = (ledger.guard(counted & within), ledger.guard(other & within), *alone_cells)
        return (num / den if den > 0 else None), needs


def wave_rows(table: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> _Rows:
    """The per-row arrays of one wave's table, for registering its mode rows
    (``rows.mode_row``) and drive-alone rates (``rows.alone_rate``) with a ledger: the comparison
    of two waves registers the very cells the habits section registers."""
    return _Rows(prepare(table), load_settings(settings))


# --------------------------------------------------------------------------- mode shares

def _season_section(ledger: Ledger, rows: _Rows, table: pd.DataFrame) -> dict[str, Any]:
    everyone = np.ones(rows.n, dtype=bool)
    section: dict[str, Any] = {}
    for season in SEASONS:
        ledger.named(f"mode_known_{season}", table)
        ledger.named(f"car_drivers_{season}", table)
        base, cells, drivers = rows.mode_row(ledger, season, everyone, ("modes",))
        section[season] = {
            "n": base,
            "modes": _cells(cells, base),
            "car_driver": _cell(drivers, base),
        }
    return section


def mode_share(table: pd.DataFrame, *, k: int = DEFAULT_K,
               settings: Mapping[str, Any] | None = None) -> dict[str, dict[str, float | None]]:
    """``results["mode_share"]`` on its own: the habits section's mode shares, published through a
    gate of their own (a run publishes them with every other section: see :func:`describe`)."""
    habits = describe(table, k=k, settings=settings)
    return mode_shares_of(habits)


def mode_shares_of(habits: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """``results["mode_share"]``: the share of each main mode per season, read from the habits
    section (the same cells, so the two can never disagree)."""
    return {season: {m: cell["share"] for m, cell in habits["seasons"][season]["modes"].items()}
            for season in SEASONS}


# --------------------------------------------------------------------------- seasonal shifts

def _pair_masks(first: np.ndarray, second: np.ndarray, within: np.ndarray,
                labels: Sequence[Any]) -> list[tuple[Any, Any, np.ndarray]]:
    """The (first, second) label pairs found among ``within``, in label order, each with its rows.

    ``first`` and ``second`` hold label positions per row (-1: none)."""
    width = len(labels) + 1
    pair = np.where(within, (first + 1) * width + (second + 1), -1)
    found = np.unique(pair[within])
    pairs = sorted(((labels[p // width - 1], labels[p % width - 1], p) for p in found.tolist()),
                   key=lambda e: (e[0], e[1]))
    return [(a, b, pair == p) for a, b, p in pairs]


def _declare_season_cells(ledger: Ledger, table: pd.DataFrame, rows: _Rows, n_both: Fig) -> None:
    """Tell the gate what the sets defined by the two seasons' modes are made of: the cells of
    the summer-by-winter table (a mode or none in each season). A mode's cell of a season's table
    is a row or a column of that table, and those who answered both seasons its known cells. A
    base of :mod:`grontur.bases` defined by the modes is the sum of the cells its definition
    takes: of one season's table when it is defined by that season alone (those who drive in
    winter), else of the summer-by-winter table (those who drive in summer or winter). Those who
    stayed with their mode and those who answered one season are cells no output shows. Without
    these sums, a move hidden in the table of moves could be worked out from the season tables
    and the bases."""
    width = len(rows.labels) + 1
    # each row's cell of the summer-by-winter table, and of each season's table (-1: no mode)
    tables = {"both": (rows.code["summer"] + 1) * width + (rows.code["winter"] + 1),
              **{season: rows.code[season] for season in SEASONS}}
    cells = {}
    for name, code in tables.items():
        found, inverse = np.unique(code, return_inverse=True)
        cells[name] = (inverse, np.bincount(inverse, minlength=len(found)))
    members: dict[tuple[str, int], np.ndarray] = {}

    def member(name: str, i: int) -> np.ndarray:
        """The respondents of cell ``i`` of table ``name`` (made once: a cell is in many sums)."""
        found = members.get((name, i))
        if found is None:
            found = members[name, i] = cells[name][0] == i
        return found

    def sum_of(mask: np.ndarray, tag: Any, within: tuple[str, ...]) -> None:
        for name in within:  # the first table whose whole cells make up the set
            cell, sizes = cells[name]
            inside = np.bincount(cell[mask], minlength=len(sizes))
            if ((inside == 0) | (inside == sizes)).all():  # each cell wholly in the set or out of it
                parts = [member(name, i) for i in np.flatnonzero(inside).tolist()]
                ledger.sum_of(mask, parts, tag=("shift", "cells", tag))
                return

    for season in SEASONS:
        for i, label in enumerate(rows.labels):
            sum_of(rows.code[season] == i, (season, label), ("both",))
    sum_of(ledger.mask(n_both), "both", ("both",))
    for name in BASES_BY_MODES:
        sum_of(base_mask(table, name), name, (*SEASONS, "both"))


def _seasonal_shift(ledger: Ledger, table: pd.DataFrame, rows: _Rows, flags: MultiSelect) -> dict[str, Any]:
    both = rows.known["summer"] & rows.known["winter"]
    if "mode_summer" in table.columns and "mode_winter" in table.columns:
        changed = both & (rows.code["summer"] != rows.code["winter"])
    else:  # one season asked: nobody answered both (and the two columns cannot be compared)
        changed = np.zeros(len(table), dtype=bool)
    n_both = ledger.base(both, tag=("shift", "both"), answered=True)
    n_changed = ledger.count(changed, tag=("shift", "changed"))
    ledger.subset(n_changed, n_both)

    transitions = []
    pair_figs: dict[tuple[str, str], Fig] = {}
    for s, w, mask in _pair_masks(rows.code["summer"], rows.code["winter"], changed, rows.labels):
        fig = ledger.count(mask, tag=("shift", "pair", s, w))
        pair_figs[s, w] = fig
        transitions.append(Listed({"summer": s, "winter": w, "count": fig}, (fig,)))
    transitions.sort(key=lambda e: (-e.needs[0].n, e.item["summer"], e.item["winter"]))
    # those who changed are the transitions added up: a hidden one is not the rest less the shown
    ledger.partition(n_changed, list(pair_figs.values()))

    # Mode groups per label position (-1: a mode of no group, or none).
    names = sorted(set(MODE_GROUPS.values()))
    of_label = np.array([names.index(MODE_GROUPS[m]) if m in MODE_GROUPS else -1 for m in rows.labels] + [-1],
                        dtype=np.int64)
    group_s = of_label[rows.code["summer"]]
    group_w = of_label[rows.code["winter"]]
    moved = both & (group_s >= 0) & (group_w >= 0) & (group_s != group_w)
    group_rows = []
    group_figs = []
    for s, w, mask in _pair_masks(group_s, group_w, moved, names):
        fig = ledger.count(mask, tag=("shift", "group", s, w))
        group_figs.append(fig)
        # a move between two mode groups is the transitions between their modes added up
        ledger.partition(fig, [pair for (a, b), pair in pair_figs.items()
                               if MODE_GROUPS.get(a) == s and MODE_GROUPS.get(b) == w])
        barriers, tally = _ranked(ledger, flags, mask, fig, BARRIERS, ("shift", "group", s, w, "barriers"))
        entry = {"summer": s, "winter": w, "count": fig, "barriers": barriers, "barriers_hidden": tally}
        group_rows.append(Listed(entry, (fig,)))
    group_rows.sort(key=lambda e: (-e.needs[0].n, e.item["summer"], e.item["winter"]))
    _declare_season_cells(ledger, table, rows, n_both)
    switch_barriers, switch_tally = _ranked(ledger, flags, changed, n_changed, BARRIERS, ("shift", "barriers"))
    lo, hi = wilson_interval(n_changed.n, n_both.n) if n_both.n else (None, None)
    needs = (n_changed, n_both)
    return {
        "n_both_seasons": n_both,
        "n_changed": n_changed,
        "share_changed": Derived(n_changed.n / n_both.n if n_both.n else None, needs),
        "ci_low": Derived(lo, needs), "ci_high": Derived(hi, needs),
        "transitions": transitions,
        "transitions_hidden": HiddenTally(tuple(pair_figs.values())),
        "group_transitions": group_rows,
        "group_transitions_hidden": HiddenTally(tuple(group_figs)),
        "barriers_of_switchers": switch_barriers,
        "barriers_of_switchers_hidden": switch_tally,
    }


# --------------------------------------------------------------------------- headline rates

def drive_alone_rate(table: pd.DataFrame, *, settings: Mapping[str, Any] | None = None,
                     quantities: RowQuantities | None = None) -> dict[str, float | None]:
    """Drive-alone trips / all trips per season and for the year (trips weighted by days on site)."""
    settings = settings if settings is not None and "full_week_days" in settings else load_settings(settings)
    return _Rows(table, settings, quantities).drive_alone_rates()


def _effective_ci(season_trips_: Sequence[np.ndarray], rate: float | None) -> tuple[float | None, float | None]:
    """Wilson interval using Kish's effective sample size of the trip weights (people, not trips)."""
    if rate is None:
        return None, None
    w = season_trips_[0]
    for more in season_trips_[1:]:
        w = w + more
    w = w[w > 0]
    if not len(w):
        return None, None
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    lo, hi = wilson_interval(rate * n_eff, n_eff)
    return lo, hi


def cars_per_100(table: pd.DataFrame, *, employees: int | None = None,
                 settings: Mapping[str, Any] | None = None,
                 quantities: RowQuantities | None = None) -> dict[str, Any]:
    """Cars arriving on an average working day per 100 respondents, per season and for the year."""
    settings = settings if settings is not None and "full_week_days" in settings else load_settings(settings)
    return _Rows(table, settings, quantities).cars_per_100(employees)


# --------------------------------------------------------------------------- bands and days

def _cut(values: np.ndarray, edges: Sequence[float], *, right: bool) -> np.ndarray:
    """The bin of each value between ``edges`` as ``pd.cut`` finds it (-1: in none), as positions."""
    bins = np.asarray(edges, dtype=float)
    ids = bins.searchsorted(values, side="left" if right else "right")
    outside = np.isnan(values) | (ids == len(bins)) | (ids == 0)
    return np.where(outside, -1, ids - 1)


_DISTANCE_EDGES = [b[1] for b in DISTANCE_BANDS] + [np.inf]
_TIME_EDGES = [-np.inf, 15.0, 30.0, 45.0, 60.0, np.inf]


def _labelled(ids: np.ndarray, bands: Sequence[tuple[str, float, float]], values: pd.Series) -> pd.Series:
    labels = np.array([b[0] for b in bands] + [np.nan], dtype=object)
    return pd.Series(labels[ids], index=values.index, name=values.name, dtype=object)


def distance_band(values: pd.Series) -> pd.Series:
    """Distance band code per row: lt1, 1_3, 3_5, 5_10, 10_20, 20p (left-closed), NA when unknown."""
    return _labelled(_cut(values.to_numpy(dtype=float), _DISTANCE_EDGES, right=False), DISTANCE_BANDS, values)


def time_band(values: pd.Series) -> pd.Series:
    """Travel-time band code per row: 0_15, 16_30, 31_45, 46_60, 60p (right-closed minutes)."""
    return _labelled(_cut(values.to_numpy(dtype=float), _TIME_EDGES, right=True), TIME_BANDS, values)


def _mean(values: pd.Series) -> float:
    """The mean of the values given (NaN is missing), the sum taken as ``Series.mean`` takes it
    (missing as 0, in the same order), without its overhead."""
    numbers = values.to_numpy(dtype=float)
    known = ~np.isnan(numbers)
    return float(np.where(known, numbers, 0.0).sum() / known.sum())


def _median(numbers: np.ndarray) -> float:
    """The median of the values given (NaN is missing), as ``Series.median`` finds it."""
    return _middle(numbers[~np.isnan(numbers)])


def _middle(numbers: np.ndarray) -> float:
    """``np.median`` of values none of which is missing: the middle one, or the mean of the middle
    two (the same sum and division), without its overhead."""
    ordered = np.sort(numbers)
    half = len(ordered) // 2
    return float(ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2)


def _banded(ledger: Ledger, values: pd.Series, edges: Sequence[float], right: bool,
            bands: Sequence[tuple[str, float, float]], tag: str) -> dict[str, Any]:
    numbers = values.to_numpy(dtype=float)
    known_mask = ~np.isnan(numbers)
    known = ledger.base(known_mask, tag=(tag, "n"), answered=True)
    band_ids = _cut(numbers, edges, right=right)
    cells = {b[0]: ledger.count(known_mask & (band_ids == i), tag=(tag, b[0])) for i, b in enumerate(bands)}
    ledger.partition(known, list(cells.values()))
    return {
        "n": known,
        "n_unknown": int((~known_mask).sum()),
        "bands": _cells(cells, known),
        "median": Derived(_median(numbers) if known.n else None, (known,)),
        "mean": Derived(_mean(values) if known.n else None, (known,)),
    }


def _day_row(ledger: Ledger, values: pd.Series, tag: str) -> tuple[Fig, dict[str, Fig]]:
    rounded = np.clip(np.round(values.to_numpy(dtype=float)), 0, 7)
    known_mask = ~np.isnan(rounded)
    known = ledger.base(known_mask, tag=(tag, "n"), answered=True)
    cells = {str(d): ledger.count(known_mask & (rounded == d), tag=(tag, d)) for d in range(8)}
    ledger.partition(known, list(cells.values()))
    return known, cells


def _days_section(ledger: Ledger, table: pd.DataFrame, used: pd.Series) -> dict[str, Any]:
    reported = numeric(table, "days_on_site")
    remote = numeric(table, "remote_days")
    n_rep, day_cells = _day_row(ledger, reported, "days_on_site")
    n_remote, remote_cells = _day_row(ledger, remote, "remote_days")
    # A mean beside its distribution and base gives the sum of days, one more equation of the cells.
    days_rep = ledger.amount([(fig, int(d)) for d, fig in day_cells.items()], tag=("days_on_site", "days"))
    days_remote = ledger.amount([(fig, int(d)) for d, fig in remote_cells.items()], tag=("remote_days", "days"))
    # Those who work remotely at all are a subtotal of the remote-days distribution.
    any_mask = np.zeros(len(table), dtype=bool)
    for d in range(1, 8):
        any_mask |= ledger.mask(remote_cells[str(d)])
    any_remote = ledger.count(any_mask, tag=("remote_days", "any"))
    ledger.partition(any_remote, [remote_cells[str(d)] for d in range(1, 8)])
    everyone = ledger.everyone()
    return {
        "days_on_site": {
            "n_reported": n_rep,
            "mean_reported": Derived(_mean(reported) if n_rep.n else None, (n_rep, days_rep)),
            # Those who gave no days count with an assumed number: with it, the mean of all says
            # as much as the mean of those who gave days.
            "mean_used": Derived(_mean(used) if len(used) else None, (everyone, n_rep, days_rep)),
            "distribution": _cells(day_cells, n_rep),
        },
        "remote_work": {
            "n_reported": n_remote,
            "n_any_remote": any_remote,
            "share_any_remote": Derived(any_remote.n / n_remote.n if n_remote.n else None, (any_remote, n_remote)),
            "mean_remote_days": Derived(_mean(remote) if n_remote.n else None, (n_remote, days_remote)),
            "distribution": _cells(remote_cells, n_remote),
        },
    }


# --------------------------------------------------------------------------- breakdowns

def _group_ids(table: pd.DataFrame, name: str) -> tuple[np.ndarray, list[Any]]:
    """Each row's group of the column ``name`` as a position in the groups (-1: not answered),
    groups in the order of the table; ``shift_work`` groups are ``yes`` and ``no``."""
    ids, uniques = pd.factorize(column(table, name).to_numpy(dtype=object))
    if name != "shift_work":
        return ids, list(uniques)
    # A yes/no answer: the distinct answers read as booleans (what is not one is not answered).
    read = [_BOOL_MAP.get(value) for value in uniques]
    named = ["yes" if flag else "no" for flag in read if flag is not None]
    groups = list(dict.fromkeys(named))
    position = np.array([groups.index("yes" if flag else "no") if flag is not None else -1 for flag in read] + [-1],
                        dtype=np.int64)
    return position[ids], groups


def _breakdown(ledger: Ledger, table: pd.DataFrame, name: str, rows: _Rows) -> dict[str, Any] | None:
    """Mode shares, drive-alone rate, cars per 100 and median distance per group of ``name``.

    Each group's mode rows are group rows for the gate (a row where one answer holds the whole
    group is hidden); the group sizes add up to those who answered the question."""
    if name not in table.columns:
        return None
    ids, uniques = _group_ids(table, name)
    answered = ids >= 0
    # Largest group first, ties in the order of the table (as value_counts gives them).
    order = np.argsort(-np.bincount(ids[answered], minlength=len(uniques)), kind="stable")
    masks = {uniques[i]: ids == i for i in order.tolist()}
    group_figs = {}
    for g, mask in masks.items():
        group_figs[g] = ledger.base(mask, tag=(name, str(g), "n"))
    ledger.partition(ledger.base(answered, tag=(name, "answered"), answered=True), list(group_figs.values()))
    groups: dict[str, Any] = {}
    group_rows: dict[str, list[tuple[Fig, dict[str, Fig], Fig]]] = {season: [] for season in SEASONS}
    for g in sorted(masks, key=str):
        size = group_figs[g]
        mask = masks[g]
        entry: dict[str, Any] = {"n": size, "suppressed": IsHidden(size)}
        alone_cells: list[Fig] = []
        driver_figs: list[Fig] = []
        seen = _seen(rows, mask)
        for season in SEASONS:
            base, cells, drivers = rows.mode_row(ledger, season, mask, (name, str(g)), group=True)
            group_rows[season].append((base, cells, drivers))
            entry[f"modes_{season}"] = {m: Derived(fig.n / base.n if base.n else None, (fig, base))
                                        for m, fig in cells.items() if fig.n or m in seen}
            entry[f"car_driver_share_{season}"] = Derived(drivers.n / base.n if base.n else None, (drivers, base))
            if "car_alone" in cells:
                alone_cells.append(cells["car_alone"])
            driver_figs.extend((drivers, base))
        rate, needs = rows.alone_rate(ledger, SEASONS, mask, alone_cells)
        entry["drive_alone_rate"] = Derived(rate, (*needs, size))
        year = 0.0
        any_known = False
        for season in SEASONS:
            ns = int((mask & rows.known[season]).sum())
            if ns:
                year += rows.weights[season] * 100.0 * float(rows.cars[mask & rows.driver[season]].sum()) / ns
                any_known = True
        entry["cars_per_100"] = Derived(year if any_known else None, (*driver_figs, size))
        dist_mask = mask & ~np.isnan(rows.distance)
        dist_known = ledger.base(dist_mask, tag=(name, str(g), "distance"), answered=True)
        entry["median_distance_km"] = Derived(_middle(rows.distance[dist_mask]) if dist_known.n else None,
                                              (dist_known, size))
        groups[str(g)] = entry
    for season in SEASONS:
        rows.columns(ledger, season, group_rows[season])
    return groups


def _seen(rows: _Rows, mask: np.ndarray) -> set[str]:
    """The modes anybody in ``mask`` uses in either season (a group's rows show those)."""
    used = np.zeros(len(rows.labels), dtype=bool)
    for s in SEASONS:
        used[rows.code[s][mask & rows.known[s]]] = True
    return {str(label) for label, u in zip(rows.labels, used) if u}


# --------------------------------------------------------------------------- main entry

def describe(table: pd.DataFrame, *, k: int = DEFAULT_K, employees: int | None = None,
             settings: Mapping[str, Any] | None = None, ledger: Ledger | None = None,
             seasons_asked: int | None = None, quantities: RowQuantities | None = None) -> dict[str, Any]:
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
    ledger
        The run's publication gate. With one, the section holds the gate's figures (resolved by
        the run once every section is registered); without, the section is published on its own.
    seasons_asked
        How many seasons the survey asked about: 1 when one mode question fills both seasons
        (the import says so); by default, the seasons with a mode column. With one season there
        is no seasonal shift (``seasonal_shift`` is None): nobody was asked about a second one.
    quantities
        :func:`row_quantities` of ``table`` when the caller shares them with other sections;
        computed here when not given (or when they were computed with other settings).
    """
    own = ledger is None
    ledger = Ledger(len(table), k) if ledger is None else ledger
    settings = load_settings(settings)
    n = len(table)
    quantities = row_quantities(table, settings, quantities)
    rows = _Rows(table, settings, quantities)
    everyone = ledger.named("respondents", table)
    flags = {col: quantities.multi_select(table, col) for col in MULTI_SELECT_COLUMNS}
    seasons = _season_section(ledger, rows, table)
    if seasons_asked is None:
        seasons_asked = seasons_in(table)
    shift: dict[str, Any] | None = None
    if seasons_asked >= 2:
        shift = _seasonal_shift(ledger, table, rows, flags["barriers"])

    dar = rows.drive_alone_rates()
    dar_ci: dict[str, Any] = {}
    for key, picked in [(s, [s]) for s in SEASONS] + [("year", list(SEASONS))]:
        lo, hi = _effective_ci([rows.trips[s] for s in picked], dar[key])
        # With everyone on a full week the rate is lone drivers over those who travel, which beside
        # those who gave a mode gives the remote workers back: it needs their count too.
        alone = [seasons[s]["modes"][m]["count"] for s in picked for m in ("car_alone", "remote")
                 if m in seasons[s]["modes"]]
        _, needs = rows.alone_rate(ledger, picked, np.ones(n, dtype=bool), alone)
        dar_ci[key] = {"rate": Derived(dar[key], needs), "ci_low": Derived(lo, needs), "ci_high": Derived(hi, needs)}
    cars = rows.cars_per_100(employees)
    driver_needs = tuple(f for s in SEASONS for f in (seasons[s]["car_driver"]["count"], seasons[s]["n"]))
    for key in ("summer", "winter", "year", "estimated_cars_per_day"):
        if key in cars:
            needs = driver_needs if key in ("year", "estimated_cars_per_day") else \
                (seasons[key]["car_driver"]["count"], seasons[key]["n"])
            cars[key] = Derived(cars[key], (*needs, everyone))

    dist = numeric(table, "distance_km")
    distance = _banded(ledger, dist, _DISTANCE_EDGES, False, DISTANCE_BANDS, "distance")
    minutes = numeric(table, "travel_time_min")
    travel_time = _banded(ledger, minutes, _TIME_EDGES, True, TIME_BANDS, "travel_time")
    days = _days_section(ledger, table, quantities.days)

    breakdowns: dict[str, Any] = {}
    names = list(BREAKDOWN_COLUMNS)
    if "municipality" in table.columns and column(table, "municipality").nunique() > 1:
        names.insert(0, "municipality")  # a network table: one group per municipality
    for name in names:
        groups = _breakdown(ledger, table, name, rows)
        if groups is not None:
            breakdowns[name] = groups

    n_drivers = ledger.named("car_drivers", table)
    drivers_mask = ledger.mask(n_drivers)
    ledger.subset(n_drivers, everyone)
    lists: dict[str, Any] = {}
    for col, allowed in (("barriers", BARRIERS), ("would_consider", CONSIDER_MODES), ("would_help", WOULD_HELP)):
        overall, h1 = _ranked(ledger, flags[col], np.ones(n, dtype=bool), everyone, allowed, (col, "all"))
        among, h2 = _ranked(ledger, flags[col], drivers_mask, n_drivers, allowed, (col, "drivers"))
        lists[col] = {"overall": overall, "car_drivers": among, "hidden": {"overall": h1, "car_drivers": h2}}

    habits = {
        "k": ledger.k,
        "n_respondents": n,
        "n_car_drivers": n_drivers,
        "seasons": seasons,
        "seasonal_shift": shift,
        "seasons_asked": seasons_asked,
        "drive_alone_rate": dar_ci,
        "cars_per_100": cars,
        "distance_km": distance,
        "travel_time_min": travel_time,
        **days,
        "breakdowns": breakdowns,
        **lists,
        "settings": {key: settings[key] for key in ("working_days_per_year", "full_week_days", "summer_share_of_year")},
        "suppressed_cells": SectionTally(),
    }
    if own:
        return publish_section(ledger, habits)
    return habits


def publish_section(ledger: Ledger, section: dict[str, Any]) -> dict[str, Any]:
    """Decide and resolve one section published on its own (no other section shares its gate)."""
    publication = ledger.decide()
    return to_jsonable(publication.resolve(section))
