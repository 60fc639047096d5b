"""What one wave's canonical table says about itself, for the analyses that set two waves side by side.

Shared by the comparison of two waves (:mod:`grontur.compare`) and the pilot evaluation
(:mod:`grontur.pilots`): the wave's label and survey month, the season of a month, the
pseudonyms that may link a person across waves, and the yes/no outcomes whose shares are
compared (who counts, and who has the outcome).
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

from grontur.importing import ID_SOURCE_COLUMN
from grontur.schema import CAR_DRIVER_MODES

#: Yes/no outcomes compared between waves: the share driving a car to work (alone or sharing
#: the car) among those who answered the season's mode, and the share driving alone among those
#: who travelled (not remote).
OUTCOMES = ("car_driver_share", "drive_alone_rate")


def wave_label(table: pd.DataFrame) -> str | None:
    """The wave's label (``"2025-03"``), the most common value of the ``wave`` column, or ``None``."""
    if "wave" not in table.columns:
        return None
    values = table["wave"].dropna().astype(str)
    return None if values.empty else str(values.mode().iloc[0])


def wave_month(label: str | None) -> int | None:
    """The survey month of a wave label such as ``"2025-03"`` (``None`` when it names none).

    >>> wave_month("2025-03"), wave_month("2025-13"), wave_month("baseline")
    (3, None, None)
    """
    if not label:
        return None
    parts = str(label).split("-")
    if len(parts) >= 2 and parts[1][:2].isdigit():
        month = int(parts[1][:2])
        return month if 1 <= month <= 12 else None
    return None


@overload
def season_of_month(month: int) -> str: ...
@overload
def season_of_month(month: None) -> None: ...
@overload
def season_of_month(month: int | None) -> str | None: ...
def season_of_month(month: int | None) -> str | None:
    """The survey season of a month: ``summer`` for April to October, ``winter`` otherwise."""
    if month is None:
        return None
    return "summer" if 4 <= month <= 10 else "winter"


def outcome_indicator(table: pd.DataFrame, season: str, outcome: str) -> tuple[pd.Series, pd.Series]:
    """``(eligible, has_outcome)``: boolean Series for one of :data:`OUTCOMES` in one season."""
    column = f"mode_{season}"
    if column not in table.columns:
        empty = pd.Series(False, index=table.index)
        return empty, empty
    modes = table[column]
    answered = modes.notna().to_numpy()
    if outcome == "drive_alone_rate":
        # isin, not ==: it gives plain booleans for missing values in every string dtype
        eligible = answered & ~modes.isin(("remote",)).to_numpy()
        hit = modes.isin(("car_alone",)).to_numpy()
    elif outcome == "car_driver_share":
        eligible = answered
        hit = modes.isin(CAR_DRIVER_MODES).to_numpy()
    else:  # pragma: no cover - guarded by the callers
        raise ValueError(outcome)
    eligible = np.asarray(eligible, dtype=bool)
    return pd.Series(eligible, index=table.index), pd.Series(np.asarray(hit, dtype=bool) & eligible, index=table.index)


def linkable_ids(table: pd.DataFrame) -> pd.Series:
    """Each row's pseudonym when it may link the person across waves, else missing.

    Only a panel code identifies a person in both waves. The importer records where each
    pseudonym came from in ``respondent_id_source``; ids made from an export's own id column
    (a submission or row number, 1, 2, 3 ... in every file) or from the file row are never
    linked. A table without that column (a canonical table built in code or kept from an older
    import) is taken at its word: its ``respondent_id`` is the pseudonymous panel id.
    """
    if "respondent_id" not in table.columns:
        return pd.Series(None, index=table.index, dtype=object)
    ids = table["respondent_id"].astype(object)
    known = ids.notna().to_numpy(dtype=bool)
    if ID_SOURCE_COLUMN in table.columns:
        known = known & table[ID_SOURCE_COLUMN].isin(("panel_code",)).to_numpy(dtype=bool)
    out = pd.Series(None, index=table.index, dtype=object)
    out[known] = ids[known].astype(str).to_numpy(dtype=object)
    return out
