"""The yardstick for the whole analysis: the core aggregates in plain pandas, and one k-means each.

What a hand-written script would do with a benchmark export (``generate.py``), reading the file
with ``pandas.read_csv`` and using nothing of grontur:

- mode shares by season and municipality,
- the drive-alone rate by season and municipality,
- car emissions by fuel and municipality (one-way km x 2 x days on site x 46 weeks, by an
  emission factor per fuel; the factors are round numbers for the yardstick, not grontur's),
- one k-means (k = 4, 20 Lloyd steps, NumPy) per municipality on one-hot modes, log distance and
  days on site.

Nothing is published or suppressed, nothing is cleaned beyond parsing the numbers: it is the
least work the same questions take, so grontur's time over this one (``run.py`` reports the
ratio, measured in the same run) is its overhead for cleaning, the privacy gate, segments,
ranking and plan. Run: ``python benchmarks/minimal.py /tmp/grontur-bench/survey_10000.csv``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Columns of the export by position (generate.py writes the standard questionnaire in this order).
MUNICIPALITY, MODE_SUMMER, MODE_WINTER, FUEL, DISTANCE, DAYS = 2, 5, 6, 7, 8, 10
DRIVE_ALONE = "Bil, åleine"
WEEKS = 46
#: kg CO2 per km by fuel label (round numbers for the yardstick only).
FACTORS = {"Bensin": 0.17, "Diesel": 0.16, "Hybrid (ikkje ladbar)": 0.12, "Ladbar hybrid": 0.07, "Elbil": 0.0}
K, STEPS = 4, 20


def _number(text: pd.Series) -> pd.Series:
    digits = text.str.replace(",", ".", regex=False).str.extract(r"(\d+(?:\.\d+)?)", expand=False)
    return pd.to_numeric(digits, errors="coerce")


def _kmeans(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = min(K, len(points))
    centres = points[rng.choice(len(points), size=k, replace=False)]
    labels = np.zeros(len(points), dtype=int)
    for _ in range(STEPS):
        labels = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        for j in range(k):
            members = points[labels == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    return labels


def analyse(path: Path) -> dict[str, Any]:
    """Read the export and compute the aggregates and the segments; returns what was computed."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = raw.columns
    muni = raw[columns[MUNICIPALITY]]
    summer, winter, fuel = raw[columns[MODE_SUMMER]], raw[columns[MODE_WINTER]], raw[columns[FUEL]]
    distance = _number(raw[columns[DISTANCE]])
    days = _number(raw[columns[DAYS]])
    frame = pd.DataFrame({"muni": muni, "summer": summer, "winter": winter, "fuel": fuel,
                          "distance": distance, "days": days})
    shares = {season: frame[frame[season] != ""].groupby("muni")[season].value_counts(normalize=True)
              for season in ("summer", "winter")}
    alone = {season: (frame[season] == DRIVE_ALONE).groupby(frame["muni"]).mean() for season in ("summer", "winter")}
    km = 2 * frame["distance"] * frame["days"] * WEEKS / 2  # each season is half the year
    car_km = km * (frame["summer"] == DRIVE_ALONE) + km * (frame["winter"] == DRIVE_ALONE)
    kg = car_km * frame["fuel"].map(FACTORS)
    emissions = kg.groupby([frame["muni"], frame["fuel"]]).sum(min_count=1)
    modes = pd.get_dummies(frame[["summer", "winter"]], dtype=float)
    features = np.column_stack([modes.to_numpy(), np.log1p(frame["distance"].fillna(frame["distance"].median())),
                                frame["days"].fillna(frame["days"].median()).to_numpy()])
    rng = np.random.default_rng(0)
    segments = {number: _kmeans(features[positions], rng)
                for number, positions in frame.groupby("muni").indices.items()}
    return {"rows": len(frame), "municipalities": len(segments), "shares": shares, "alone": alone,
            "emissions": emissions, "segments": segments}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    done = analyse(Path(args[0]))
    print(f"{done['rows']:,} rows, {done['municipalities']} municipalities in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
