"""Synthetic survey tables with planted segments and a known truth, for segmentation tests.

Each planted profile describes a group of employees with a shared situation; respondents are drawn
from it with realistic noise: answers replaced by a random code, flags flipped, barriers named
with probabilities (and unrelated barriers named at random), log-normal distances, a share of
questions left unanswered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grontur.schema import BARRIERS, MODES, PARKING, WOULD_HELP

#: Planted profiles in the order ``planted_table`` uses them.
PROFILES: dict[str, dict] = {
    "green_short": {
        "summer": {"walk": 0.4, "bike": 0.45, "ebike": 0.15},
        "winter": {"walk": 0.6, "bus": 0.3, "bike": 0.1},
        "distance": 2.0, "shift": 0.05, "car_needed": 0.03, "children": 0.15,
        "barriers": {"weather_winter": 0.5, "darkness": 0.4},
        "help": {"winter_maintenance": 0.5, "bike_parking": 0.3},
    },
    "short_car": {
        "summer": {"car_alone": 0.9, "car_shared": 0.1},
        "winter": {"car_alone": 0.95, "car_shared": 0.05},
        "distance": 3.0, "shift": 0.05, "car_needed": 0.03, "children": 0.1,
        "barriers": {"no_shower_changing": 0.7, "comfort_habit": 0.6, "free_parking": 0.4},
        "help": {"showers_lockers": 0.6, "drying_room": 0.3},
    },
    "long_no_transit": {
        "summer": {"car_alone": 0.85, "car_shared": 0.15},
        "winter": {"car_alone": 0.85, "car_shared": 0.15},
        "distance": 35.0, "shift": 0.05, "car_needed": 0.03, "children": 0.1,
        "barriers": {"no_transit": 0.7, "too_far": 0.7, "transit_infrequent": 0.4},
        "help": {"carpool_matching": 0.5, "home_office": 0.4},
    },
    "car_needed_at_work": {
        "summer": {"car_alone": 1.0},
        "winter": {"car_alone": 1.0},
        "distance": 8.0, "shift": 0.1, "car_needed": 0.95, "children": 0.1,
        "barriers": {"need_car_for_work": 0.8, "carry_equipment": 0.4},
        "help": {"guaranteed_ride_home": 0.3},
    },
    "shift_workers": {
        "summer": {"car_alone": 0.9, "car_passenger": 0.1},
        "winter": {"car_alone": 0.95, "car_passenger": 0.05},
        "distance": 10.0, "shift": 0.95, "car_needed": 0.03, "children": 0.1,
        "barriers": {"irregular_hours": 0.7, "transit_times_mismatch": 0.6},
        "help": {"transit_schedule": 0.5, "carpool_matching": 0.3},
    },
    "family_logistics": {
        "summer": {"car_alone": 0.9, "car_shared": 0.1},
        "winter": {"car_alone": 1.0},
        "distance": 6.0, "shift": 0.05, "car_needed": 0.03, "children": 0.95,
        "barriers": {"children_errands": 0.8, "takes_too_long": 0.3},
        "help": {"flexible_hours": 0.5},
    },
}


def planted_table(
    n: int = 1200,
    *,
    n_segments: int = 5,
    noise: float = 0.08,
    missing: float = 0.05,
    seed: int = 0,
    weights: list[float] | None = None,
    municipality: str = "3324",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return a canonical table with ``n_segments`` planted groups and the true group of each row.

    ``noise`` is the chance that any single answer is replaced by a random one (modes, parking),
    flipped (flags) or that an unrelated barrier is named; ``missing`` the chance that an optional
    answer is left blank.
    """
    rng = np.random.default_rng(seed)
    names = list(PROFILES)[:n_segments]
    p = np.asarray(weights if weights is not None else [1.0] * n_segments, dtype=float)
    truth = rng.choice(n_segments, size=n, p=p / p.sum())
    frame: dict[str, object] = {
        "respondent_id": [f"r{i:06d}" for i in range(n)],
        "municipality": municipality,
    }
    columns = {col: np.empty(n, dtype=object) for col in ("mode_summer", "mode_winter", "barriers", "would_help",
                                                         "parking_at_work")}
    distance = np.empty(n)
    flags = {col: np.zeros(n, dtype=bool) for col in ("shift_work", "car_needed_for_work", "children_drop_off")}
    barrier_codes = np.asarray(BARRIERS)
    help_codes = np.asarray(WOULD_HELP)
    for g, name in enumerate(names):
        prof = PROFILES[name]
        rows = np.flatnonzero(truth == g)
        m = len(rows)
        for season in ("summer", "winter"):
            codes = list(prof[season])
            probs = np.asarray(list(prof[season].values()))
            drawn = rng.choice(codes, size=m, p=probs / probs.sum()).astype(object)
            flip = rng.random(m) < noise
            drawn[flip] = rng.choice(MODES, size=int(flip.sum()))
            columns[f"mode_{season}"][rows] = drawn
        distance[rows] = np.clip(prof["distance"] * np.exp(rng.normal(0.0, 0.4, m)), 0.2, 250)
        for col, key in (("shift_work", "shift"), ("car_needed_for_work", "car_needed"),
                         ("children_drop_off", "children")):
            flags[col][rows] = rng.random(m) < prof[key]
        hot = rng.random((m, len(BARRIERS))) < noise / 2
        for code, prob in prof["barriers"].items():
            hot[:, BARRIERS.index(code)] = rng.random(m) < prob
        columns["barriers"][rows] = [";".join(barrier_codes[r]) for r in hot]
        wish = rng.random((m, len(WOULD_HELP))) < noise / 2
        for code, prob in prof["help"].items():
            wish[:, WOULD_HELP.index(code)] = rng.random(m) < prob
        columns["would_help"][rows] = [";".join(help_codes[r]) for r in wish]
        columns["parking_at_work"][rows] = rng.choice(["free", "free", "free", "limited", "paid"], size=m)
    frame.update({col: pd.Series(values, dtype="object") for col, values in columns.items()})
    frame["distance_km"] = np.round(distance, 1)
    frame["days_on_site"] = rng.choice([3.0, 4.0, 5.0, 5.0, 5.0], size=n)
    table = pd.DataFrame(frame)
    for col, values in flags.items():
        flip = rng.random(n) < noise / 2
        table[col] = pd.array(values ^ flip, dtype="boolean")
    # unanswered optional questions
    for col in ("shift_work", "car_needed_for_work", "children_drop_off", "parking_at_work", "days_on_site"):
        blank = rng.random(n) < missing
        table.loc[blank, col] = pd.NA if col != "days_on_site" else np.nan
    blank = rng.random(n) < missing
    table.loc[blank, "distance_km"] = np.nan
    table["barriers"] = table["barriers"].replace("", pd.NA)
    table["would_help"] = table["would_help"].replace("", pd.NA)
    assert set(table["parking_at_work"].dropna()) <= set(PARKING)
    return table, truth


def unstructured_table(n: int = 1200, *, seed: int = 0, n_segments: int = 5) -> pd.DataFrame:
    """A table with the answers of ``planted_table`` but no groups: every column is shuffled on
    its own, so each answer keeps its frequency while the answers of a respondent are unrelated."""
    table, _ = planted_table(n, n_segments=n_segments, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for col in table.columns:
        if col != "respondent_id":
            table[col] = table[col].to_numpy()[rng.permutation(n)]
    return table
