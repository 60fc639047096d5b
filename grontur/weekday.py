"""Weekday grids: one question per day of the week ("How did you travel on Monday?").

A mapping's ``weekday_grid`` names the column of each day and the answer labels that give each
mode code (plus ``off`` for a day not worked). From the days of one week grontur derives, per
respondent:

- the main mode: the travel mode used on most days (working from home is not a travel mode);
  a tie between modes goes to the tied mode used on the earliest day in the order the days are
  listed, so no mode is favoured over another; ties are counted in quality.csv (``grid_tie``).
  Someone who worked from home on every day they answered has ``remote`` as main mode.
- days on site: the days answered with a travel mode;
- remote days: the days answered ``remote`` (worked from home).

Days left blank or answered ``off`` count as neither. A respondent who answered no day has no
mode and no day counts (missing, never 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from grontur.schema import MODES

#: Weekday names a grid may use, in the order the tie rule reads them when the mapping lists them so.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Seasons a grid may describe; ``both`` fills the summer and the winter mode.
GRID_SEASONS = ("summer", "winter", "both")
#: Extra code a grid answer may have: a day not worked (neither on site nor remote).
OFF = "off"
GRID_CODES = (*MODES, OFF)


@dataclass(frozen=True)
class WeekdayGrid:
    """One weekday grid of a mapping: ``days`` is ((weekday, header), ...) in the order given."""

    season: str
    days: tuple[tuple[str, str], ...]
    values: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"season": self.season, "days": dict(self.days), "values": dict(self.values)}


def parse_grids(value: object, fail: Any) -> tuple[WeekdayGrid, ...]:
    """The ``weekday_grid`` entry of a mapping (one grid or a list of grids); ``fail(detail)`` raises."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    grids = []
    seasons_seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        where = f"weekday_grid {position}"
        if not isinstance(item, dict):
            raise fail(f"{where} must be a mapping with 'season', 'days' and 'values'")
        season = str(item.get("season", "both"))
        if season not in GRID_SEASONS:
            raise fail(f"{where} has the season {season!r}; use one of {', '.join(GRID_SEASONS)}")
        if season in seasons_seen or "both" in seasons_seen or (season == "both" and seasons_seen):
            raise fail(f"{where} repeats a season; give one grid per season (summer, winter) or one for both")
        seasons_seen.add(season)
        days = item.get("days")
        if not isinstance(days, dict) or not days:
            raise fail(f"{where} needs 'days': the column of each weekday, e.g. {{monday: Q5_1, tuesday: Q5_2}}")
        pairs = []
        for day, header in days.items():
            if str(day).lower() not in WEEKDAYS:
                raise fail(f"{where} has the unknown day {day!r}; use {', '.join(WEEKDAYS)}")
            if not isinstance(header, (str, int)) or isinstance(header, bool):
                raise fail(f"{where} day {day!r} must name one column, not {header!r}")
            pairs.append((str(day).lower(), str(header)))
        values = item.get("values") or {}
        if not isinstance(values, dict):
            raise fail(f"{where} 'values' must map answer labels to mode codes (label: code)")
        # YAML reads a bare off as false: that is the day-off code too
        values = {str(k): OFF if v is False else str(v) for k, v in values.items()}
        for label, code in values.items():
            if code not in GRID_CODES:
                raise fail(f"{where} maps {label!r} to the unknown code {code!r} (use one of {', '.join(GRID_CODES)})")
        grids.append(WeekdayGrid(season=season, days=tuple(pairs), values=values))
    return tuple(grids)


def grid_modes(answers: pd.DataFrame, code_of: Callable[[object], str | None]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Main mode, days on site and remote days from one grid's answers (one column per day, in order).

    ``code_of`` gives the code (:data:`GRID_CODES`) of an answer label, or None. Returns the
    per-row result (``mode``, ``days_on_site``, ``remote_days``, ``tie``) and the unknown answers
    (``source_row, column, raw_value``).
    """
    index = answers.index
    n_days = answers.shape[1]
    codes = np.full((len(index), n_days), None, dtype=object)
    unknown_rows: list[tuple[Any, str, str]] = []
    for position, column in enumerate(answers.columns):
        raw = answers[column]
        lookup = {value: code_of(value) for value in raw.dropna().unique()}
        coded = raw.astype(object).map(lookup)
        codes[:, position] = [None if pd.isna(code) else code for code in coded.to_numpy(dtype=object)]
        for row in raw.index[raw.notna().to_numpy() & coded.isna().to_numpy()]:
            unknown_rows.append((row, str(column), str(raw.loc[row])))
    travel = np.isin(codes, [m for m in MODES if m != "remote"])
    remote = codes == "remote"
    answered = np.vectorize(lambda code: code is not None, otypes=[bool])(codes) if codes.size else np.zeros(codes.shape, bool)
    modes: list[str | None] = []
    ties: list[bool] = []
    for row in range(len(index)):
        days_used = [codes[row, d] for d in range(n_days) if travel[row, d]]
        if not days_used:
            modes.append("remote" if remote[row].any() else None)
            ties.append(False)
            continue
        counts: dict[str, int] = {}
        for mode in days_used:
            counts[mode] = counts.get(mode, 0) + 1
        top = max(counts.values())
        tied = [mode for mode, count in counts.items() if count == top]
        # dict order is first use: the first tied mode is the one used on the earliest day
        modes.append(tied[0])
        ties.append(len(tied) > 1)
    any_answer = answered.any(axis=1)
    on_site = travel.sum(axis=1).astype(float)
    at_home = remote.sum(axis=1).astype(float)
    result = pd.DataFrame({
        "mode": pd.Series(modes, index=index, dtype=object),
        "days_on_site": pd.Series(np.where(any_answer, on_site, np.nan), index=index),
        "remote_days": pd.Series(np.where(any_answer, at_home, np.nan), index=index),
        "tie": pd.Series(ties, index=index, dtype=bool),
    }, index=index)
    unknown = pd.DataFrame(unknown_rows, columns=["source_row", "column", "raw_value"])
    return result, unknown


#: Day names in question texts (en, nn, nb) -> weekday, for a draft grid.
DAY_NAMES = {
    "monday": "monday", "tuesday": "tuesday", "wednesday": "wednesday", "thursday": "thursday", "friday": "friday",
    "saturday": "saturday", "sunday": "sunday", "måndag": "monday", "mandag": "monday", "tysdag": "tuesday",
    "tirsdag": "tuesday", "onsdag": "wednesday", "torsdag": "thursday", "fredag": "friday", "laurdag": "saturday",
    "lørdag": "saturday", "søndag": "sunday", "sundag": "sunday",
}


def day_of(header: str) -> str | None:
    """The weekday a question text names ("... - Monday"), if it names exactly one."""
    import re

    words = set(re.findall(r"\w+", str(header).casefold()))
    found = {DAY_NAMES[w] for w in words if w in DAY_NAMES}
    return found.pop() if len(found) == 1 else None


def draft_grid(frame: pd.DataFrame, columns: list[str], code_of: Callable[[object], str | None]) -> WeekdayGrid | None:
    """A weekday grid to complete, when ``columns`` name two or more different weekdays.

    Answers given at least k times are listed; those the vocabulary knows get their code, the
    others an empty code, which the mapping loader refuses until the user writes one (a mode
    code or ``off``).
    """
    days = {}
    for column in columns:
        day = day_of(column)
        if day is not None and day not in days:
            days[day] = column
    if len(days) < 2:
        return None
    ordered = tuple((day, days[day]) for day in WEEKDAYS if day in days)
    from grontur.publish import are_common

    # only answers given at least k times: a rare free-text answer may describe a person
    counts = pd.concat([frame[column].dropna().astype(str) for _day, column in ordered]).value_counts()
    values = {str(answer): code_of(answer) or "" for answer in counts[are_common(counts)].index}
    return WeekdayGrid(season="both", days=ordered, values=dict(sorted(values.items())))
