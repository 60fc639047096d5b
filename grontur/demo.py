"""Synthetic commuting-survey exports for the six Hallingdal municipalities (demo data).

A seeded generator writes, for Flå, Nesbyen, Gol, Hemsedal, Ål and Hol, a baseline wave and a
follow-up wave a year later, in the shape real survey tools export them (Nettskjema CSV,
Microsoft Forms XLSX), plus a project configuration per municipality and ``truth.yaml`` with the
planted structure and pilot effects. Every number of the model lives in
``surveys/demo/parameters.yaml``; places and sites in ``surveys/demo/places.yaml``.

The data are synthetic. Run ``python -m grontur.demo [OUT_DIR]`` to regenerate them; the same
seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from grontur._yaml import read_yaml
from grontur.errors import ConfigError
from grontur.resources import data_path, standard_questionnaire
from grontur.schema import COLUMNS

log = logging.getLogger(__name__)

SEASONS = ("summer", "winter")
DRIVER = ("car_alone", "car_shared")
_CODE_ALPHABET = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
_ZIP_TIME = (2026, 11, 29, 0, 0, 0)


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` wrote."""

    out_dir: Path
    files: tuple[Path, ...]
    truth: dict[str, Any] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "files": [str(p) for p in self.files], "truth": self.truth}


def load_parameters(path: Path | None = None) -> dict[str, Any]:
    """Read the demo parameters (``surveys/demo/parameters.yaml`` by default)."""
    return _read_yaml(path or data_path("surveys", "demo", "parameters.yaml"))


def load_places(path: Path | None = None) -> dict[str, Any]:
    """Read the demo places and workplaces (``surveys/demo/places.yaml`` by default)."""
    return _read_yaml(path or data_path("surveys", "demo", "places.yaml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(Path(path), advice="restore the demo data file from the repository")
    if not isinstance(data, dict):
        msg = f"{path}: the demo data file must hold a mapping; restore it from the repository."
        raise ConfigError(msg)
    return data


# --------------------------------------------------------------------------- small helpers
def _draw(rng: np.random.Generator, n: int, weights: dict[Any, float]) -> np.ndarray:
    """Draw ``n`` keys of ``weights`` with probabilities proportional to the values."""
    keys = np.array([str(k) for k in weights])
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _pick(u: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF: column index for each uniform ``u`` and row of probabilities."""
    cum = np.cumsum(prob, axis=1)
    cum[:, -1] = 1.0 + 1e-12
    return (u[:, None] > cum).sum(axis=1)


def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _by(codes: np.ndarray, table: dict[str, Any], default: Any = None) -> np.ndarray:
    """Map codes through ``table``; codes not listed get ``table['other']`` (or 0)."""
    fill = table.get("other", 0.0) if default is None else default
    return pd.Series(codes, dtype=object).map({str(k): v for k, v in table.items()}).fillna(fill).to_numpy()


# --------------------------------------------------------------------------- people
def _simulate_people(rng: np.random.Generator, muni: dict, n: int, prm: dict, places: dict) -> pd.DataFrame:
    """Latent attributes of ``n`` employees of one municipality (no answers yet)."""
    r = prm["respondent"]
    sites = pd.DataFrame(places["workplaces"][muni["number"]])
    job = _draw(rng, n, r["job_group"])
    # p(site | job group): kind weights shared equally among the sites of that kind
    kinds = sites["kind"].to_numpy()
    per_kind = pd.Series(kinds).value_counts()
    groups = list(r["job_group"])
    pmat = np.array([[r["site"][g].get(k, 0.0) / per_kind[k] for k in kinds] for g in groups])
    pmat /= pmat.sum(axis=1, keepdims=True)
    site_idx = _pick(rng.random(n), pmat[pd.Index(groups).get_indexer(job)])
    site = sites.iloc[site_idx].reset_index(drop=True)
    kind = site["kind"].to_numpy()
    age = _draw(rng, n, r["age_band"])
    shift = rng.random(n) < _by(kind, r["shift_work"])
    car_needed = rng.random(n) < _by(kind, r["car_needed"])
    children = rng.random(n) < _by(age, r["children_drop_off"])
    remote_days = np.where(job == "administration", _draw(rng, n, r["remote_days_admin"]).astype(float), 0.0)
    shift_days = _draw(rng, n, r["days_on_site_shift"]).astype(float)
    days = np.where(shift, shift_days, 5.0 - remote_days)

    # homes: postcode, then a road distance consistent with the postcode points
    h, pcs = prm["home"], places["postcodes"]
    home = _draw(rng, n, muni["homes"])
    attr = lambda key, codes: _by(codes, {k: v[key] for k, v in pcs.items()}, default=False)
    hlat, hlon = attr("lat", home).astype(float), attr("lon", home).astype(float)
    wpc = site["postcode"].to_numpy()
    same = home == wpc
    near = rng.random(n) < muni["near_share"]
    nk = h["near_km"]
    d_near = np.clip(rng.lognormal(np.log(nk["median"]), nk["sigma"], n), nk["min"], nk["max"])
    d_far = rng.uniform(3.0, muni["spread_km"], n)
    straight = _haversine_km(hlat, hlon, site["lat"], site["lon"])
    d_other = straight * h["detour_factor"] * np.exp(rng.normal(0, h["detour_noise_sd"], n))
    d_other += rng.uniform(h["area_offset_km"][0], h["area_offset_km"][1], n)
    distance = np.where(same, np.where(near, d_near, d_far), d_other)

    rail = attr("rail", home).astype(bool) & attr("rail", wpc).astype(bool)
    lines = {line for v in pcs.values() for line in v["bus"]}
    on_line = lambda line, codes: _by(codes, {k: line in v["bus"] for k, v in pcs.items()}, False).astype(bool)
    bus = np.logical_or.reduce([on_line(x, home) & on_line(x, wpc) for x in sorted(lines)] + [np.zeros(n, bool)])
    local = same & ~near & (rng.random(n) < h["local_bus_share"])
    rail &= ~same
    transit = (bus & ~same) | rail | local
    fuel = _draw(rng, n, r["car_fuel"])
    code = np.ascontiguousarray(_CODE_ALPHABET[rng.integers(0, len(_CODE_ALPHABET), (n, 6))]).view("<U6").ravel()
    return pd.DataFrame({
        "job_group": job, "workplace": site["name"], "kind": kind, "site_postcode": site["postcode"],
        "parking_site": site["parking"], "showers": site["showers"].astype(bool),
        "bike_parking": site["bike_parking"].astype(bool), "drying_room": site["drying_room"].astype(bool),
        "age_band": age, "shift_work": shift, "car_needed": car_needed, "children": children,
        "remote_days": remote_days, "days_on_site": days, "home_postcode": home, "same_area": same,
        "near": same & near, "distance": distance, "transit": transit, "rail": rail, "car_fuel": fuel,
        "taste": rng.normal(0, prm["respondent"]["green_taste_sd"], n), "u": rng.random(n),
        "code": code,
    })


def _mode_probabilities(people: pd.DataFrame, season: str, muni: dict, prm: dict) -> np.ndarray:
    """Logit-like choice probabilities, one row per person, columns in ``modes.order``."""
    m = prm["modes"]
    order = m["order"]
    d = people["distance"].to_numpy()
    util = {k: m["const"][k] + m["per_km"][k] * d for k in order}
    if season == "winter":
        util = {k: v + m["winter"][k] for k, v in util.items()}
    for k in ("walk", "bike", "ebike"):
        util[k] = util[k] + people["taste"].to_numpy()
    no_showers = ~people["showers"].to_numpy()
    util["bike"] = util["bike"] + m["no_showers_bike"] * no_showers + m["hilly"].get(muni["number"], 0.0)
    util["ebike"] = util["ebike"] + m["no_showers_bike"] * no_showers
    shift = people["shift_work"].to_numpy()
    util["bus"] = np.where(people["transit"], util["bus"] + m["shift_transit"] * shift, -np.inf)
    util["train"] = np.where(people["rail"], util["train"] + m["shift_transit"] * shift, -np.inf)
    util["remote"] = np.where(people["job_group"] == "administration", util["remote"], -np.inf)
    util["car_alone"] = (util["car_alone"] + m["car_needed"] * people["car_needed"].to_numpy()
                         + m["children"] * people["children"].to_numpy()
                         + _by(people["parking_site"].to_numpy(), m["parking"]))
    mat = np.column_stack([np.broadcast_to(util[k], d.shape) for k in order])
    mat = np.exp(mat - mat.max(axis=1, keepdims=True))
    return mat / mat.sum(axis=1, keepdims=True)


def _shift_car_share(prob: np.ndarray, rows: np.ndarray, effect: float, to: dict, order: list) -> float:
    """Change the expected car-driver share of ``rows`` by exactly ``effect`` (in place).

    The utilities of the ``to`` modes rise by ``delta`` times their weight, ``delta`` found by
    bisection so that the mean car-driver probability over ``rows`` moves by ``effect``. Being a
    logit shift, it moves people who live close enough for the new mode more than those who do
    not. Returns ``delta``.
    """
    if effect == 0 or not rows.any():
        return 0.0
    car = [order.index(k) for k in DRIVER]
    w = np.zeros(len(order))
    for k, v in to.items():
        w[order.index(k)] = v
    sub = prob[rows]
    target = sub[:, car].sum(axis=1).mean() + effect

    def shifted(delta: float) -> np.ndarray:
        p = sub * np.exp(delta * w)[None, :]
        return p / p.sum(axis=1, keepdims=True)

    lo, hi = (0.0, 30.0) if effect < 0 else (-30.0, 0.0)
    if not shifted(hi)[:, car].sum(axis=1).mean() <= target <= shifted(lo)[:, car].sum(axis=1).mean():
        msg = f"parameters.yaml: a car-share effect of {effect} cannot be reached through {sorted(to)}; make it smaller."
        raise ConfigError(msg)
    for _ in range(80):
        mid = (lo + hi) / 2
        if shifted(mid)[:, car].sum(axis=1).mean() > target:
            lo = mid
        else:
            hi = mid
    prob[rows] = shifted((lo + hi) / 2)
    return round(float((lo + hi) / 2), 6)


def _participants(people: pd.DataFrame, spec: dict) -> np.ndarray:
    if spec.get("all"):
        return np.ones(len(people), dtype=bool)
    return people["workplace"].isin(np.atleast_1d(spec["workplace"])).to_numpy()


# --------------------------------------------------------------------------- answers
def _features(people: pd.DataFrame, modes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    d = people["distance"].to_numpy()
    driver = np.isin(modes["summer"], DRIVER) | np.isin(modes["winter"], DRIVER)
    return {
        "any": np.ones(len(d), dtype=bool), "driver": driver, "green": ~driver,
        "d_lt3": d < 3, "d3_8": (d >= 3) & (d < 8), "d4_12": (d >= 4) & (d <= 12),
        "d5_10": (d >= 5) & (d <= 10), "d_gt5": d > 5, "d_gt10": d > 10,
        "shift": people["shift_work"].to_numpy(), "car_needed": people["car_needed"].to_numpy(),
        "children": people["children"].to_numpy(), "transit": people["transit"].to_numpy(),
        "no_transit": ~people["transit"].to_numpy(), "no_showers": ~people["showers"].to_numpy(),
        "no_bike_parking": ~people["bike_parking"].to_numpy(),
        "no_drying_room": ~people["drying_room"].to_numpy(),
        "free_parking": (people["parking_site"] == "free").to_numpy(),
        "home_care": (people["kind"] == "home_care").to_numpy(), "depot": (people["kind"] == "depot").to_numpy(),
        "school": (people["job_group"] == "school").to_numpy(),
        "admin": (people["job_group"] == "administration").to_numpy(),
    }


def _multi(rng: np.random.Generator, rules: dict, feats: dict, prefix: str) -> dict[str, np.ndarray]:
    """Draw one multi-select question; adds ``<prefix>:<code>`` features for later questions."""
    out = {}
    for code_, code_rules in rules.items():
        keep = np.ones_like(feats["any"], dtype=float)
        for rule in code_rules:
            mask = np.logical_and.reduce([feats[f] for f in rule["when"]])
            keep *= 1.0 - rule["p"] * mask
        out[code_] = rng.random(len(keep)) < 1.0 - keep
        feats[f"{prefix}:{code_}"] = out[code_]
    return out


def _answers(rng: np.random.Generator, people: pd.DataFrame, modes: dict, prm: dict) -> pd.DataFrame:
    """Canonical answers (codes) for one wave."""
    feats = _features(people, modes)
    barriers = _multi(rng, prm["barriers"], feats, "b")
    consider = _multi(rng, prm["would_consider"], feats, "c")
    helps = _multi(rng, prm["would_help"], feats, "h")
    n = len(people)
    if not helps["other"].any():  # every file gets an "other" wish, with its free text
        helps["other"][rng.integers(n)] = True
    r = prm["respondent"]
    parking = np.where(rng.random(n) < r["parking_reported_unknown"], "unknown", people["parking_site"])
    tt = prm["travel_time"]
    m_w = modes["winter"]
    speed = _by(m_w, tt["speed_kmh"]).astype(float)
    minutes = (people["distance"].to_numpy() / speed * 60 + _by(m_w, tt["fixed_min"]).astype(float))
    minutes *= np.exp(rng.normal(0, tt["noise_sd"], n))
    drives = np.isin(modes["summer"], DRIVER) | np.isin(m_w, DRIVER)
    return pd.DataFrame({
        "workplace": people["workplace"].to_numpy(), "job_group": people["job_group"].to_numpy(),
        "mode_summer": modes["summer"], "mode_winter": m_w,
        "car_fuel": np.where(drives, people["car_fuel"], ""),
        "distance_km": people["distance"].to_numpy(), "travel_time_min": np.where(m_w == "remote", np.nan, minutes),
        "days_on_site": people["days_on_site"].to_numpy(), "remote_days": people["remote_days"].to_numpy(),
        "home_postcode": people["home_postcode"].to_numpy(), "shift_work": people["shift_work"].to_numpy(),
        "parking_at_work": parking, "car_needed_for_work": people["car_needed"].to_numpy(),
        "children_drop_off": people["children"].to_numpy(),
        "barriers": _join(barriers), "would_consider": _join(consider), "would_help": _join(helps),
        "age_band": people["age_band"].to_numpy(),
    })


def _join(flags: dict[str, np.ndarray], names: dict[str, str] | None = None, sep: str = ";") -> np.ndarray:
    """Join the chosen options of a multi-select question (codes, or ``names`` of them)."""
    out = np.full(len(next(iter(flags.values()))), "", dtype=object)
    for code_, chosen in flags.items():
        name = names[code_] if names else code_
        out = np.where(chosen, np.where(out == "", name, out + sep + name), out)
    return out


# --------------------------------------------------------------------------- export rendering
def _option_code(column: str, key: object) -> str:
    """The canonical code of a questionnaire option key.

    YAML 1.1 reads an unquoted ``30_44`` as the integer 3044; map such keys back to their code.
    """
    codes = COLUMNS.get(column, ("", None))[1] or ()
    text = str(key)
    return next((c for c in codes if text not in codes and c.replace("_", "") == text), text)


def _number_text(values: np.ndarray, rng: np.random.Generator, mess: dict, *, kind: str) -> np.ndarray:
    """Numbers as people type them: decimal comma, sometimes "ca. 12" or "5 km", some blanks."""
    if kind == "distance":
        rounded = np.where(values < 1, np.round(values, 1), np.where(values < 5, np.round(values * 2) / 2, np.round(values)))
        rounded = np.maximum(rounded, 0.2)
    else:
        rounded = values
    text = np.char.replace(np.char.mod("%g", rounded), ".", ",").astype(object)
    if kind == "distance":
        u = rng.random(len(text))
        ca = u < mess["distance_ca"]
        km = (u >= mess["distance_ca"]) & (u < mess["distance_ca"] + mess["distance_km_suffix"])
        text = np.where(ca, "ca. " + text, np.where(km, text + " km", text))
        text[rng.random(len(text)) < mess["distance_blank"]] = ""
    return text


def _render(ans: pd.DataFrame, people: pd.DataFrame, *, bad: np.ndarray, muni: dict, wave: str,
            rng: np.random.Generator, prm: dict, questionnaire: dict) -> tuple[pd.DataFrame, dict]:
    """Turn canonical answers into export columns with the questionnaire's texts and labels."""
    lang, fmt = muni["language"], muni["format"]
    mess, extra = prm["messiness"], prm["export_columns"]
    sep = ", " if fmt == "nettskjema" else ";"
    n = len(ans)
    cols: dict[str, Any] = {}
    quirks: dict[str, Any] = {}
    blank = lambda: rng.random(n) < mess["optional_blank"]
    for q in questionnaire["questions"]:
        if q.get("added_in", 1) > 1:
            continue  # the demo surveys ran with version 1 of the questionnaire
        col, kind, header = q["column"], q["kind"], q["text"][lang]
        values = ans[col].to_numpy()
        labels = {_option_code(col, k): v[lang] for k, v in (q.get("options") or {}).items()}
        if kind in ("single", "bool"):
            if col == "travel_time_min":
                bands = np.array(list(labels))
                idx = np.searchsorted([15, 30, 45, 60], np.nan_to_num(values, nan=0), side="left")
                text = np.where(np.isnan(values), "", np.array([labels[b] for b in bands])[idx])
            else:
                keys = np.char.lower(values.astype(str)) if kind == "bool" else values.astype(str)
                text = _by(keys, labels, default="")
            if q["id"] not in ("q_job_group", "q_mode_summer", "q_mode_winter"):
                text = np.where(blank(), "", text)
        elif kind == "multi":
            codes = pd.Series(values, dtype=object)
            flags = {c: codes.str.contains(rf"(?:^|;){c}(?:;|$)").to_numpy() for c in labels}
            text = _join(flags, labels, sep)
            if fmt == "msforms":
                text = np.where(text != "", text + ";", text)
        elif kind == "number":
            text = _number_text(values.astype(float), rng, mess, kind="distance" if col == "distance_km" else "days")
            if col != "distance_km":
                text = np.where(blank(), "", text)
        elif kind == "postcode":
            text = np.where(rng.random(n) < mess["postcode_blank"], "", values)
        else:  # workplace: the site names the project set up
            text = values
        cols[header] = text
        if q["id"] == "q_would_help":
            other = np.array([""] * n, dtype=object)
            chose = np.flatnonzero(ans["would_help"].str.contains(r"(?:^|;)other(?:;|$)"))
            other[chose] = prm["other_texts"][lang][0]
            other[chose[-1]] = prm["other_texts"][lang][1]
            quirks["privacy_other_text_rows"] = 1
            cols[extra["other_text"][lang]] = other
    if muni["panel_code"]:
        panel_codes = np.where(rng.random(n) < prm["followup"]["panel_code_missing"], "", people["code"])
        cols[extra["panel_code"][lang]] = panel_codes
    comments = np.where(rng.random(n) < mess["comment_share"],
                        np.array(prm["comments"][lang], dtype=object)[rng.integers(0, len(prm["comments"][lang]), n)], "")
    plant_rows = rng.choice(n, mess["privacy_plants"], replace=False)
    comments[plant_rows] = prm["privacy_plants"][lang][: len(plant_rows)]
    cols[extra["comment"][lang]] = comments
    table = pd.DataFrame(cols)

    dist_col = next(q["text"][lang] for q in questionnaire["questions"] if q["column"] == "distance_km")
    table.loc[bad, dist_col] = "40"

    # submission time and id, sorted as the tool lists them
    start, end = (pd.Timestamp(x) for x in prm["survey_days"][wave])
    days = rng.integers(0, (end - start).days + 1, n)
    secs = rng.integers(7 * 3600, 22 * 3600, n)
    created = start + pd.to_timedelta(days, unit="D") + pd.to_timedelta(secs, unit="s")
    order = np.argsort(created.to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    created = pd.DatetimeIndex(created[order])
    person = np.arange(n)[order]
    # one submission sent twice, a minute later
    dup = int(rng.choice(np.flatnonzero(~np.isin(person, np.r_[bad, plant_rows]))))
    table = pd.concat([table.iloc[: dup + 1], table.iloc[[dup]], table.iloc[dup + 1:]], ignore_index=True)
    created = created.insert(dup + 1, created[dup] + pd.Timedelta(seconds=47))
    person = np.insert(person, dup + 1, person[dup])
    if fmt == "nettskjema":
        base = 31_000_000 + int(muni["number"]) * 1000 + (0 if wave == "baseline" else 500_000)
        ids = base + np.cumsum(rng.integers(1, 40, len(table)))
        meta = {extra["nettskjema"]["submission_id"]: ids.astype(str),
                extra["nettskjema"]["created"]: created.strftime("%Y-%m-%d %H:%M:%S")}
    else:
        f = extra["msforms"]
        meta = {f["id"]: np.arange(1, len(table) + 1), f["start"]: created.to_pydatetime(),
                f["end"]: (created + pd.to_timedelta(rng.integers(150, 600, len(table)), unit="s")).to_pydatetime(),
                f["email"]: f["anonymous"], f["name"]: f["anonymous"]}
    table = pd.concat([pd.DataFrame(meta), table], axis=1)
    sid_col = next(iter(meta))
    quirks.update({
        "duplicate_rows": [dup + 1, dup + 2], "duplicate_of_submission": str(table[sid_col][dup]),
        "implausible_rows": sorted(int(np.flatnonzero(person == b)[0]) + 1 for b in bad),
        "privacy_comment_rows": sorted(int(np.flatnonzero(person == p)[0]) + 1 for p in plant_rows),
        "distance_blank": int((table[dist_col] == "").sum()),
    })
    return table, {"rows": len(table), "respondents": n, "person": person, **quirks}


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    text = table.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")
    path.write_bytes(("\ufeff" + text).encode("utf-8"))


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    """Microsoft Forms style workbook, with fixed timestamps inside so the bytes repeat."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append([None if (isinstance(v, str) and v == "") else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    fixed = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-29T00:00:00Z", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    path.write_bytes(fixed.getvalue())


# --------------------------------------------------------------------------- orchestration
def _wave(people: pd.DataFrame, muni: dict, prm: dict, *, followup: bool) -> tuple[dict, dict]:
    """Modes of one wave and the expected car-driver probabilities before and after planting."""
    order = prm["modes"]["order"]
    car = [order.index(k) for k in DRIVER]
    probs = {s: _mode_probabilities(people, s, muni, prm) for s in SEASONS}
    car_prob = lambda: {s: probs[s][:, car].sum(axis=1) for s in SEASONS}
    stages = {"untreated": car_prob()}
    if followup:
        # the trend moves participants and everyone else by the same amount, so a comparison
        # of the two groups (or with another municipality) isolates the pilot effect
        trend, pil = prm["trend"], people["pilot"].to_numpy()
        for s in trend["seasons"]:
            for rows in (pil, ~pil):
                _shift_car_share(probs[s], rows, trend["effect"], trend["to"], order)
        stages["trend_only"] = car_prob()
        pilot = _pilot_spec(muni, prm)
        if pilot:
            for s in pilot["seasons"]:
                _shift_car_share(probs[s], pil, pilot["effect"], pilot["to"], order)
    stages["planted"] = car_prob()
    modes = {s: np.array(order)[_pick(people["u"].to_numpy(), probs[s])] for s in SEASONS}
    return modes, stages


def _pilot_spec(muni: dict, prm: dict) -> dict | None:
    return next((p for p in prm["pilots"] if p["municipality"] == muni["number"]), None)


def _segments(ans: pd.DataFrame, people: pd.DataFrame) -> dict[str, int]:
    """Counts of the planted, recognisable groups (they overlap; rules in truth.yaml)."""
    d = ans["distance_km"]
    drives = ans["mode_summer"].isin(DRIVER) | ans["mode_winter"].isin(DRIVER)
    has = lambda code: ans["barriers"].str.contains(rf"(?:^|;){code}(?:;|$)")
    return {
        "already_green_short": int(((d < 3) & ~drives).sum()),
        "short_drivers_no_showers": int(((d < 3) & drives & has("no_shower_changing")).sum()),
        "ebike_range_drivers": int(((d >= 4) & (d <= 12) & drives & ~ans["car_needed_for_work"]).sum()),
        "long_distance_no_transit": int(((d > 10) & ~people["transit"].to_numpy()).sum()),
        "home_care_car_needed": int(((people["kind"] == "home_care").to_numpy() & ans["car_needed_for_work"]).sum()),
        "parents_drop_off": int((ans["children_drop_off"] & drives).sum()),
        "shift_workers": int(ans["shift_work"].sum()),
    }


SEGMENT_RULES = {
    "already_green_short": "distance < 3 km and no car-driver mode in either season",
    "short_drivers_no_showers": "distance < 3 km, drives in a season, names no_shower_changing",
    "ebike_range_drivers": "distance 4-12 km, drives in a season, no car needed at work",
    "long_distance_no_transit": "distance > 10 km and no bus or train between home and workplace",
    "home_care_car_needed": "home-care staff who need a car during the working day",
    "parents_drop_off": "drops off children and drives in a season",
    "shift_workers": "works shifts, evenings or nights",
}


def _share(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def _municipality(i: int, muni: dict, seed: int, prm: dict, places: dict, questionnaire: dict,
                  out: Path) -> tuple[list[Path], dict]:
    rng_b, rng_f, rng_a, rng_r = (np.random.default_rng(s) for s in np.random.SeedSequence([seed, i]).spawn(4))
    fu = prm["followup"]
    pilot = _pilot_spec(muni, prm)
    base = _simulate_people(rng_b, muni, muni["size"], prm, places)
    n_f = round(muni["size"] * (1 + rng_f.uniform(*fu["size_change"])))
    n_keep = round(fu["retained_share"] * n_f)
    kept = np.sort(rng_f.choice(len(base), n_keep, replace=False))
    new = _simulate_people(rng_f, muni, n_f - n_keep, prm, places)
    follow = pd.concat([base.iloc[kept], new], ignore_index=True)
    redraw = np.r_[rng_f.random(n_keep) < fu["answer_noise"], np.zeros(len(new), dtype=bool)]
    follow.loc[redraw, "u"] = rng_f.random(int(redraw.sum()))
    for people in (base, follow):
        people["pilot"] = _participants(people, pilot["participants"]) if pilot else False

    ext = "csv" if muni["format"] == "nettskjema" else "xlsx"
    folder = out / muni["slug"]
    folder.mkdir(parents=True, exist_ok=True)
    files, info = [], {}
    for wave, people in (("baseline", base), ("followup", follow)):
        modes, expected = _wave(people, muni, prm, followup=wave == "followup")
        ans = _answers(rng_a, people, modes, prm)
        pool = np.flatnonzero(~people["pilot"].to_numpy()) if not people["pilot"].all() else np.arange(len(people))
        bad = np.sort(rng_a.choice(pool, prm["messiness"]["implausible_rows"], replace=False))
        ans.loc[bad, ["mode_summer", "mode_winter"]] = "walk"
        table, quirks = _render(ans, people, bad=bad, muni=muni, wave=wave, rng=rng_r, prm=prm,
                                questionnaire=questionnaire)
        path = folder / f"{wave}.{ext}"
        (_write_csv if ext == "csv" else _write_xlsx)(table, path)
        files.append(path)
        quirks.pop("person")
        drive = {s: np.isin(ans[f"mode_{s}"], DRIVER) for s in SEASONS}
        pil = people["pilot"].to_numpy()
        info[wave] = {
            "file": f"{muni['slug']}/{path.name}", "wave": prm["waves"][wave], **quirks,
            "car_driver_share": {s: _share(drive[s]) for s in SEASONS},
            "car_driver_share_expected": {s: _share(expected["planted"][s]) for s in SEASONS},
            "participants": int(pil.sum()) if pilot else 0,
            "participants_car_driver_share": {s: _share(drive[s][pil]) for s in SEASONS} if pilot else None,
            "participants_car_driver_share_expected":
                {s: _share(expected["planted"][s][pil]) for s in SEASONS} if pilot else None,
            "segments": _segments(ans, people),
        }
        if pilot and wave == "followup":
            info["pilot_counterfactual"] = {
                name: {s: _share(v[s][pil]) for s in SEASONS} for name, v in expected.items()}
        if muni["panel_code"] and wave == "followup":
            info["panel"] = {"column": prm["export_columns"]["panel_code"][muni["language"]],
                             "retained_respondents": n_keep, "left": int(len(base) - n_keep),
                             "new": len(new)}
    config_path = folder / "grontur.yaml"
    config_path.write_text(_project_config(muni, prm, places, ext), encoding="utf-8")
    files.append(config_path)
    employees = muni["employees"]
    summary = {"number": muni["number"], "name": muni["name"], "slug": muni["slug"],
               "language": muni["language"], "format": muni["format"], "employees": employees,
               "response_rate": {w: round(muni["size"] / employees if w == "baseline" else n_f / employees, 3)
                                 for w in ("baseline", "followup")},
               "panel_linking": bool(muni["panel_code"]), **info}
    return files, summary


def _project_config(muni: dict, prm: dict, places: dict, ext: str) -> str:
    sites = places["workplaces"][muni["number"]]
    main = next(s for s in sites if s["kind"] == "town_hall")
    pilots = [{"measure": p["measure"], "start": p["start"], "end": p["end"], "participants": p["participants"]}
              for p in prm["pilots"] if p["municipality"] == muni["number"]]
    config = {
        "municipality": muni["number"], "language": muni["language"], "k": prm["k"],
        "employees": muni["employees"], "survey": f"baseline.{ext}", "followup": f"followup.{ext}",
        "mapping": None, "wave": prm["waves"]["baseline"], "followup_wave": prm["waves"]["followup"],
        "run_date": prm["run_date"], "plan_start": prm["plan_start"],
        "context": {"transit_service": muni["transit_service"], "parking_at_work": main["parking"],
                    "facilities": {k: bool(main[k]) for k in ("showers", "bike_parking", "drying_room")}},
        "workplaces": [{"name": s["name"], "lat": s["lat"], "lon": s["lon"], "postcode": s["postcode"]} for s in sites],
        "pilots": pilots, "weights": {}, "salt": f"grontur-demo-{muni['slug']}",
        "geodata": {"postcodes": "../postcodes.csv"},
    }
    if pilots:
        config["comparison_municipality"] = prm["comparison_municipality"]
    head = (f"# Demo project for {muni['name']} ({muni['number']}): SYNTHETIC data made by grontur.demo.\n"
            "# Regenerate with `python -m grontur.demo`; see surveys/demo/README.md.\n")
    return head + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120)


def generate_demo(out_dir: Path | str | None = None, *, seed: int | None = None,
                  parameters: dict | None = None, places: dict | None = None) -> DemoResult:
    """Write the synthetic Hallingdal demo exports, project files and ``truth.yaml``.

    Parameters
    ----------
    out_dir
        Folder to write into; default ``surveys/demo`` in the checkout.
    seed
        Seed of the random generator; default the one in ``parameters.yaml``.
    parameters, places
        Parsed parameter and place files; default the shipped ones.
    """
    prm = parameters if parameters is not None else load_parameters()
    places = places if places is not None else load_places()
    seed = int(prm["seed"] if seed is None else seed)
    out = Path(out_dir) if out_dir is not None else data_path("surveys", "demo")
    questionnaire = standard_questionnaire()
    files: list[Path] = []
    munis = []
    for i, muni in enumerate(prm["municipalities"]):
        written, summary = _municipality(i, muni, seed, prm, places, questionnaire, out)
        files += written
        munis.append(summary)
        log.info("demo %s: %d + %d rows", muni["name"], summary["baseline"]["rows"], summary["followup"]["rows"])
    postcodes_path = out / "postcodes.csv"
    _write_postcodes(places, postcodes_path)
    files.append(postcodes_path)
    truth = _truth(seed, prm, munis)
    truth_path = out / "truth.yaml"
    truth_path.write_text(_TRUTH_HEAD + yaml.safe_dump(truth, sort_keys=False, allow_unicode=True, width=120),
                          encoding="utf-8")
    return DemoResult(out_dir=out, files=(*files, truth_path), truth=truth)


def _write_postcodes(places: dict, path: Path) -> None:
    """The demo's postcode points as ``postcode,lat,lon,place`` (source: places.yaml, erikbolstad.no)."""
    rows = [{"postcode": code, "lat": f"{item['lat']:.4f}", "lon": f"{item['lon']:.4f}", "place": item["place"]}
            for code, item in sorted(places["postcodes"].items())]
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


_TRUTH_HEAD = ("# What grontur.demo planted in the SYNTHETIC Hallingdal demo data (machine-readable).\n"
               "# Shares are car-driver shares (car_alone + car_shared) as fractions; effects are changes in\n"
               "# that share (-0.12 = -12 percentage points). *_expected values are model expectations for\n"
               "# the respondents drawn; the others are counted in the generated answers (duplicates excluded).\n")


def _truth(seed: int, prm: dict, munis: list[dict]) -> dict:
    by_number = {m["number"]: m for m in munis}
    pilots = []
    for p in prm["pilots"]:
        m = by_number[p["municipality"]]
        pilots.append({
            "municipality": p["municipality"], "name": m["name"], "measure": p["measure"],
            "start": p["start"], "end": p["end"], "participants": p["participants"],
            "outcome": "car_driver_share", "seasons_affected": p["seasons"], "effect": p["effect"],
            "effect_other_seasons": 0.0, "utility_shift_weights": p["to"],
            "n_participants": {"baseline": m["baseline"]["participants"], "followup": m["followup"]["participants"]},
            "null_effect": p["effect"] == 0,
        })
    return {
        "synthetic": True, "generator": "grontur.demo", "seed": seed, "parameters": "surveys/demo/parameters.yaml",
        "waves": prm["waves"], "run_date": prm["run_date"],
        "trend": {"effect": prm["trend"]["effect"], "seasons": prm["trend"]["seasons"],
                  "applies_to": "every municipality, every respondent of the follow-up wave"},
        "comparison_municipality": prm["comparison_municipality"],
        "difference_in_differences": ("participants' change minus the comparison group's change equals the "
                                      "pilot effect in expectation, because both share the same trend"),
        "pilots": pilots, "segments": SEGMENT_RULES, "municipalities": munis,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m grontur.demo [OUT_DIR]``: regenerate the demo data."""
    args = sys.argv[1:] if argv is None else argv
    generate_demo(args[0] if args else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
