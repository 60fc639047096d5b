"""The base populations every published figure is counted over, each defined once.

A share, a rate or a "29 of 43" names its base, so that a reader (and results.json) can tell
"people who drive a car to work in summer or winter" from "people who travel by car, as driver or
passenger". Every stage takes its respondents from here; the report phrases a base by its name
(``report.base.<name>`` in the translation catalogue).

- ``respondents``: everyone whose answers were kept.
- ``mode_known_<season>``: those who gave a main mode for the season.
- ``car_drivers_<season>``: those who drive a car to work in the season (alone or sharing).
- ``car_drivers``: those who drive a car to work in summer or winter.
- ``drive_alone_<season>``: those who drive alone in the season.
- ``car_users``: those who travel by car in summer or winter, as driver, passenger or by taxi.
- ``distance_known``: those whose distance to work is known (given or estimated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from grontur._distinct import distinct, spread
from grontur.schema import CAR_DRIVER_MODES, CAR_MODES, SEASONS


def _modes(table: pd.DataFrame, season: str) -> pd.Series:
    """The season's mode column as stored (membership and missingness read the same from a
    categorical column as from its values, without copying them out)."""
    name = f"mode_{season}"
    if name not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype="object")
    return table[name]


def _in(table: pd.DataFrame, season: str, modes: tuple[str, ...]) -> np.ndarray:
    # The few distinct answers looked up, not every row (missing ones are in no mode).
    codes, uniques = distinct(_modes(table, season))
    return spread([value in modes for value in uniques], codes, missing=False, dtype=bool)


def _either(table: pd.DataFrame, modes: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(len(table), dtype=bool)
    for season in SEASONS:
        out |= _in(table, season, modes)
    return out


def _distance_known(table: pd.DataFrame) -> np.ndarray:
    if "distance_km" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return pd.to_numeric(table["distance_km"], errors="coerce").notna().to_numpy(dtype=bool)


_DEFINITIONS: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "respondents": lambda table: np.ones(len(table), dtype=bool),
    "car_drivers": lambda table: _either(table, CAR_DRIVER_MODES),
    "car_users": lambda table: _either(table, CAR_MODES),
    "distance_known": _distance_known,
}


def _known(season: str) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda table: _modes(table, season).notna().to_numpy(dtype=bool)


def _season_in(season: str, modes: tuple[str, ...]) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda table: _in(table, season, modes)


for _season in SEASONS:
    _DEFINITIONS[f"mode_known_{_season}"] = _known(_season)
    _DEFINITIONS[f"car_drivers_{_season}"] = _season_in(_season, CAR_DRIVER_MODES)
    _DEFINITIONS[f"drive_alone_{_season}"] = _season_in(_season, ("car_alone",))

NAMES: Final = tuple(_DEFINITIONS)
#: The bases most figures rest on (the drivers' barriers and wishes, every measure's reach among
#: car users): where the publication gate hid one of them because no single cell would do, it
#: searches again with the base kept and shows it when cells then suffice.
KEPT_FIRST: Final = ("car_drivers", "car_users")
#: The bases defined by the summer and winter modes alone (each a sum of cells of the
#: summer-by-winter table).
BY_MODES: Final = tuple(name for name in NAMES if name != "distance_known")


def mask(table: pd.DataFrame, name: str) -> np.ndarray:
    """The respondents of the base ``name`` (one flag per row of ``table``).

    >>> t = pd.DataFrame({"mode_summer": ["bike", "car_alone", "car_passenger"],
    ...                   "mode_winter": ["car_shared", "car_alone", None]})
    >>> mask(t, "car_drivers").tolist(), mask(t, "car_users").tolist()
    ([True, True, False], [True, True, True])
    """
    try:
        return _DEFINITIONS[name](table)
    except KeyError:
        msg = f"unknown base population {name!r}; the bases are {', '.join(NAMES)}"
        raise ValueError(msg) from None
