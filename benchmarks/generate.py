"""Synthetic standard-questionnaire exports at national scale, for the benchmarks.

Every column is drawn with NumPy at once (no per-respondent Python), so half a million rows take
a few seconds. The files look like a Nettskjema export of the grontur standard questionnaire in
nynorsk (question texts as headers, answer labels as values, multi-select answers joined by
", ", decimal commas, some "ca. 12" and "5 km", blanks), plus a ``municipality`` column (kommunenummer) that
spreads the respondents over the 357 municipalities of 2024 (``grontur.municipalities``).

The numbers below only shape plausible synthetic answers; they are not estimates of anything.

Run: ``python benchmarks/generate.py 500000 --out /tmp/national.csv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grontur.municipalities import all_municipalities
from grontur.resources import data_path

MUNICIPALITY_HEADER = "municipality"
LANG = "nn"

# Synthetic shape of the answers (assumptions for the benchmark only).
JOB_GROUPS = {"health_care": 0.38, "school": 0.2, "kindergarten": 0.12, "administration": 0.12,
              "technical": 0.08, "culture": 0.04, "other": 0.06}
FUELS = {"petrol": 0.25, "diesel": 0.25, "hybrid": 0.1, "plugin": 0.1, "electric": 0.27, "unknown": 0.03}
AGES = {"u30": 0.15, "30_44": 0.35, "45_59": 0.33, "60p": 0.17}
PARKING = {"free": 0.6, "paid": 0.1, "limited": 0.2, "none": 0.03, "unknown": 0.07}
SITES = ("rådhus", "sjukeheim", "skule", "barnehage", "heimeteneste", "teknisk drift")
# Mode utilities: constant and change per km (summer); winter shifts bikes towards the car.
MODES = ("walk", "bike", "ebike", "bus", "train", "car_alone", "car_shared", "car_passenger", "remote", "other")
MODE_CONST = np.array([2.2, 1.2, 0.2, -0.6, -2.5, 1.2, -0.8, -1.6, -3.5, -4.0])
MODE_PER_KM = np.array([-1.1, -0.28, -0.12, 0.0, 0.01, 0.0, 0.0, 0.0, 0.0, -0.05])
WINTER_SHIFT = np.array([0.0, -1.5, -1.0, 0.3, 0.2, 0.3, 0.1, 0.1, 0.0, 0.0])
# Probability of ticking each option of the multi-select questions.
BARRIER_P = 0.08
CONSIDER_P = 0.12
HELP_P = 0.09
# Messiness of the typed numbers and of the whole file.
DISTANCE_CA, DISTANCE_KM_SUFFIX, DISTANCE_BLANK = 0.05, 0.05, 0.02
OPTIONAL_BLANK = 0.04
UNUSABLE_ROWS = 0.001        # neither a mode nor a distance: quarantined
COMMENT_SHARE = 0.03


def municipality_sizes(n: int, count: int, seed: int = 0) -> np.ndarray:
    """Log-normal sizes summing to ``n`` (many small municipalities, a few large ones)."""
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.lognormal(mean=0.0, sigma=1.3, size=count))[::-1]
    floor = max(1, min(20, n // count))
    sizes = np.maximum(np.floor(raw / raw.sum() * n).astype(int), floor)
    sizes[0] += n - sizes.sum()
    return sizes


def default_municipality_count(n: int) -> int:
    """One municipality per thousand respondents, at most the 357 of 2024."""
    return int(min(357, max(1, n // 1000)))


def _questionnaire() -> dict:
    return yaml.safe_load(data_path("surveys", "standard", "questionnaire.yaml").read_text(encoding="utf-8"))


def _labels(question: dict) -> dict[str, str]:
    """Code -> nynorsk label; YAML 1.1 reads ``30_44`` as 3044, so keys are compared without ``_``."""
    out = {}
    for key, texts in (question.get("options") or {}).items():
        out[str(key)] = texts[LANG]
    for code in ("30_44", "45_59"):
        if code.replace("_", "") in out:
            out[code] = out.pop(code.replace("_", ""))
    return out


def _draw(rng: np.random.Generator, n: int, weights: dict[str, float]) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _multi(rng: np.random.Generator, n: int, labels: list[str], p: np.ndarray | float, sep: str) -> np.ndarray:
    """Joined labels of a multi-select question: each row's ticks as a bit mask, joined per distinct mask."""
    p = np.broadcast_to(np.asarray(p, dtype=float), (n, len(labels))) if np.ndim(p) < 2 else p
    ticks = rng.random((n, len(labels))) < p
    masks = ticks @ (1 << np.arange(len(labels), dtype=np.int64))
    uniques, inverse = np.unique(masks, return_inverse=True)
    texts = np.array([sep.join(lab for bit, lab in enumerate(labels) if mask >> bit & 1) for mask in uniques],
                     dtype=object)
    return texts[inverse]


def _number_text(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers as typed in Norway: decimal comma."""
    rounded = np.round(values, decimals)
    text = pd.Series(rounded).map(lambda v: f"{v:g}")  # on distinct values only below
    return text.str.replace(".", ",", regex=False).to_numpy(dtype=object)


def _format_numbers(values: np.ndarray, decimals: int) -> np.ndarray:
    uniques, inverse = np.unique(np.round(values, decimals), return_inverse=True)
    return _number_text(uniques, decimals)[inverse]


def postcode_points(path: str | Path) -> dict[str, pd.DataFrame]:
    """In-use street postcodes (``postcode, lat, lon``) by 2024 municipality number, from a postcode list."""
    from grontur.geo import read_postcodes

    points = read_postcodes(path)
    points = points[points["in_use"] & ~points["po_box"] & points["municipality_2024"].notna()]
    return {str(number): part[["postcode", "lat", "lon"]].reset_index(drop=True)
            for number, part in points.groupby("municipality_2024", sort=True)}


def generate_export(n: int, *, municipalities: int | None = None, seed: int = 0,
                    postcodes: str | Path | None = None) -> pd.DataFrame:
    """A synthetic Nettskjema-style export of ``n`` respondents (strings, as a tool writes them).

    With ``postcodes`` (a postcode list such as Erik Bolstad's), home postcodes are drawn from the
    respondent's own municipality (nine in ten) so that home areas and distances can be derived.
    """
    rng = np.random.default_rng(seed)
    count = municipalities or default_municipality_count(n)
    munis = all_municipalities()
    chosen = [munis[i] for i in np.sort(rng.choice(len(munis), size=count, replace=False))] \
        if count < len(munis) else munis
    sizes = municipality_sizes(n, count, seed)
    muni_idx = np.repeat(np.arange(count), sizes)
    rng.shuffle(muni_idx)
    numbers = np.array([m.number for m in chosen], dtype=object)
    names = np.array([m.name.split(" - ")[0] for m in chosen], dtype=object)

    questions = {q["column"]: q for q in _questionnaire()["questions"]}
    header = {column: q["text"][LANG] for column, q in questions.items()}
    cols: dict[str, np.ndarray] = {}

    # distance first: modes, travel time and wishes depend on it
    distance = np.clip(rng.lognormal(np.log(7.0), 1.0, n), 0.2, 250.0)
    util = MODE_CONST + MODE_PER_KM * distance[:, None]
    gumbel = rng.gumbel(size=(n, len(MODES)))
    summer = (util + gumbel).argmax(axis=1)
    winter = (util + WINTER_SHIFT + gumbel + rng.gumbel(scale=0.5, size=(n, len(MODES)))).argmax(axis=1)
    modes = np.array(MODES, dtype=object)
    mode_labels = _labels(questions["mode_summer"])
    mode_text = np.array([mode_labels[m] for m in MODES], dtype=object)
    drives = np.isin(summer, [5, 6]) | np.isin(winter, [5, 6])

    site = rng.integers(0, len(SITES), n)
    site_names = np.array([f"{name} {s}" for name in names for s in SITES], dtype=object)
    cols["workplace"] = site_names[muni_idx * len(SITES) + site]
    job_labels = _labels(questions["job_group"])
    cols["job_group"] = pd.Series(_draw(rng, n, JOB_GROUPS)).map(job_labels).to_numpy(dtype=object)
    cols["mode_summer"] = mode_text[summer]
    cols["mode_winter"] = mode_text[winter]
    fuel_labels = _labels(questions["car_fuel"])
    cols["car_fuel"] = np.where(drives, pd.Series(_draw(rng, n, FUELS)).map(fuel_labels).to_numpy(dtype=object), "")

    text = _format_numbers(np.where(distance < 5, np.round(distance * 2) / 2, np.round(distance)), 1)
    u = rng.random(n)
    text = np.where(u < DISTANCE_CA, "ca. " + text,
                    np.where(u < DISTANCE_CA + DISTANCE_KM_SUFFIX, text + " km", text))
    text[u > 1 - DISTANCE_BLANK] = ""
    cols["distance_km"] = text

    speed = np.array([5, 16, 22, 35, 60, 50, 50, 50, 1, 30], dtype=float)[winter]
    minutes = distance / speed * 60 + 5
    band_labels = list(_labels(questions["travel_time_min"]).values())
    band = np.searchsorted([15, 30, 45, 60], minutes, side="left")
    cols["travel_time_min"] = np.where(modes[winter] == "remote", "", np.array(band_labels, dtype=object)[band])

    remote = np.where(rng.random(n) < 0.1, rng.integers(1, 3, n), 0)
    cols["days_on_site"] = _format_numbers((5 - remote).astype(float), 0)
    cols["remote_days"] = _format_numbers(remote.astype(float), 0)
    postcode_base = (np.array([int(x) for x in numbers]) * 7) % 8000 + 1000
    home = np.char.zfill((postcode_base[muni_idx] + rng.integers(0, 12, n)).astype(str), 4).astype(object)
    if postcodes is not None:
        points = postcode_points(postcodes)
        local = rng.random(n) < 0.9
        for i, number in enumerate(numbers):
            own = points.get(number)
            rows = np.flatnonzero((muni_idx == i) & local)
            if own is not None and len(rows):
                # a few postcodes hold most people, as around a town centre
                weights = 1.0 / np.arange(1, len(own) + 1)
                home[rows] = own["postcode"].to_numpy(dtype=object)[
                    rng.choice(len(own), size=len(rows), p=weights / weights.sum())]
    cols["home_postcode"] = home

    yes_no = _labels(questions["shift_work"])
    yes, no = yes_no["true"], yes_no["false"]
    for column, p in (("shift_work", 0.3), ("car_needed_for_work", 0.12), ("children_drop_off", 0.2)):
        cols[column] = np.where(rng.random(n) < p, yes, no).astype(object)
    parking_labels = _labels(questions["parking_at_work"])
    cols["parking_at_work"] = pd.Series(_draw(rng, n, PARKING)).map(parking_labels).to_numpy(dtype=object)

    barrier_labels = _labels(questions["barriers"])
    barrier_p = np.full((n, len(barrier_labels)), BARRIER_P)
    codes = list(barrier_labels)
    barrier_p[:, codes.index("too_far")] = np.where(distance > 10, 0.6, 0.03)
    barrier_p[:, codes.index("weather_winter")] = 0.3
    barrier_p[:, codes.index("comfort_habit")] = np.where(drives, 0.35, 0.02)
    cols["barriers"] = _multi(rng, n, list(barrier_labels.values()), barrier_p, ", ")
    consider = _labels(questions["would_consider"])
    cols["would_consider"] = _multi(rng, n, list(consider.values()), CONSIDER_P, ", ")
    helps = _labels(questions["would_help"])
    cols["would_help"] = _multi(rng, n, list(helps.values()), HELP_P, ", ")
    age_labels = _labels(questions["age_band"])
    age = pd.Series(_draw(rng, n, AGES)).map(age_labels).to_numpy(dtype=object)
    cols["age_band"] = age

    for column in ("car_fuel", "travel_time_min", "parking_at_work", "age_band", "days_on_site", "remote_days"):
        cols[column] = np.where(rng.random(n) < OPTIONAL_BLANK, "", cols[column])
    unusable = rng.random(n) < UNUSABLE_ROWS
    for column in ("mode_summer", "mode_winter", "distance_km"):
        cols[column] = np.where(unusable, "", cols[column])

    created = (pd.Timestamp("2025-03-03 07:00") + pd.to_timedelta(rng.integers(0, 14 * 86400, n), unit="s"))
    frame = pd.DataFrame({
        "$submission_id": (40_000_000 + np.arange(n)).astype(str),
        "$created": created.strftime("%Y-%m-%d %H:%M:%S"),
        MUNICIPALITY_HEADER: numbers[muni_idx],
        **{header[column]: values for column, values in cols.items()},
        "Har du andre kommentarar?": np.where(rng.random(n) < COMMENT_SHARE, "Fint at de spør.", ""),
    })
    return frame


def write_export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write an export as UTF-8 CSV with a byte-order mark, every field quoted (as Nettskjema does)."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        frame.to_csv(handle, index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")
    return path


def ensure_export(n: int, folder: str | Path, *, seed: int = 0, postcodes: str | Path | None = None) -> Path:
    """The export of ``n`` respondents in ``folder``, generated once and reused."""
    path = Path(folder) / (f"survey_{n}_postcodes.csv" if postcodes else f"survey_{n}.csv")
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        write_export(generate_export(n, seed=seed, postcodes=postcodes), tmp)
        tmp.replace(path)
    return path


def national_projects(numbers: list[str], *, postcodes: str | Path, boundaries: str | Path | None = None,
                      run_date: dt.date | None = None) -> dict[str, Any]:
    """A project per municipality with a town-hall workplace at the postcode point nearest the
    middle of its postcodes, and the geodata files, so the analysis estimates distances and maps
    home areas."""
    from grontur.config import Workplace, project_for

    points = postcode_points(postcodes)
    geodata = {"postcodes": Path(postcodes)}
    if boundaries is not None:
        geodata["municipalities"] = Path(boundaries)
    projects = {}
    for number in numbers:
        own = points.get(number)
        workplaces = ()
        if own is not None and len(own):
            centre = own[["lat", "lon"]].median()
            nearest = ((own["lat"] - centre["lat"]) ** 2 + (own["lon"] - centre["lon"]) ** 2).idxmin()
            row = own.loc[nearest]
            workplaces = (Workplace(name="rådhus", lat=float(row["lat"]), lon=float(row["lon"]),
                                    postcode=str(row["postcode"])),)
        project = project_for(number, workplaces=workplaces, geodata=geodata)
        projects[number] = project.with_overrides(run_date=run_date)
    return projects


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="respondents")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--municipalities", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postcodes", type=Path, help="postcode list (e.g. Erik Bolstad's) for real home postcodes")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    frame = generate_export(args.n, municipalities=args.municipalities, seed=args.seed, postcodes=args.postcodes)
    t1 = time.perf_counter()
    write_export(frame, args.out)
    t2 = time.perf_counter()
    print(f"{args.n:,} respondents in {frame[MUNICIPALITY_HEADER].nunique()} municipalities: "
          f"generated {t1 - t0:.1f} s, written {t2 - t1:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
