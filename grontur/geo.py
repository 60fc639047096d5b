"""Geodata: municipality polygons, postcode points, workplaces, distance estimates and home-area maps.

Readers take the public formats users get from Kartverket / Geonorge (GeoJSON, GeoPackage) and
the Erik Bolstad postcode list (TAB-separated, nynorsk headers, 2020-2023 municipality numbers),
or a plain CSV ``postcode,lat,lon``. :func:`enrich` estimates missing one-way distances from the
home postcode point to the workplace (straight line x a documented detour factor), flags reported
distances that do not fit the geography, and aggregates home areas for maps (the publication
gate decides which areas are shown; maps are drawn from what it publishes). Distances are great-circle (haversine, vectorised); maps are drawn in
EPSG:25833 (ETRS89 / UTM 33N), the metric CRS used for Norwegian national data.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur.areas import map_worth_drawing, shown_areas  # noqa: F401  (shown_areas: re-exported)
from grontur.describe import as_bool, codes, column, load_settings, numeric
from grontur.errors import ConfigError, GeoDataError
from grontur.publish import (
    DEFAULT_K,
    Derived,
    Ledger,
    Listed,
    SectionTally,
    check_k,
    is_small,
)
from grontur.schema import CAR_DRIVER_MODES, SEASONS

log = logging.getLogger(__name__)

METRIC_CRS = "EPSG:25833"
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
ISSUE_COLUMNS = ("source_row", "column", "raw_value", "problem", "action")

_POSTCODE_ALIASES = ("postnr", "postnummer", "postcode", "post_code", "zip", "postal_code")
_LAT_ALIASES = ("lat", "latitude", "breddegrad", "y")
_LON_ALIASES = ("lon", "lng", "long", "longitude", "lengdegrad", "x")
_MUNI_ALIASES = ("kommnr", "kommunenummer", "kommune_nr", "kommunenr", "municipality")
_PLACE_ALIASES = ("poststad", "poststed", "place", "stad", "sted")
_USAGE_ALIASES = ("bruksområde", "bruksomrade", "kategori", "usage")
_MUNI_NAME_ALIASES = ("kommunenavn", "navn", "name", "kommune")


# --------------------------------------------------------------------------- small helpers

def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (vectorised).

    >>> round(float(haversine_km(60.0, 9.0, 61.0, 9.0)), 1)
    111.2
    """
    p1, p2 = np.radians(np.asarray(lat1, dtype="float64")), np.radians(np.asarray(lat2, dtype="float64"))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, dtype="float64")) - np.radians(np.asarray(lon1, dtype="float64"))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Four-digit postcode strings ("301" -> "0301", 3550.0 -> "3550"); anything else becomes NA."""
    codes_, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    ok = text.str.fullmatch(r"\d{1,4}")
    clean = text.where(ok).str.zfill(4).astype("object").to_numpy()
    out = np.where(codes_ >= 0, clean[np.maximum(codes_, 0)] if len(clean) else None, None)  # type: ignore[arg-type]  # numpy's stub: no None operand
    return pd.Series(out, index=values.index, dtype="object").where(lambda s: s.notna(), None)


def _find(columns: Iterable[str], aliases: Sequence[str]) -> str | None:
    lookup = {str(c).strip().lower(): c for c in columns}
    for alias in aliases:
        if alias in lookup:
            return lookup[alias]
    return None


def _fold_name(name: Any) -> str:
    return " ".join(str(name).casefold().split())


# --------------------------------------------------------------------------- readers

def read_municipalities(path: str | Path, *, layer: str | None = None) -> Any:
    """Read municipality polygons (GeoJSON, GeoPackage or another OGR format) into a GeoDataFrame.

    Returns columns ``municipality`` (4-digit string; integers such as 301 are padded), ``name``
    and ``geometry`` in EPSG:4326. For a GeoPackage with several layers, the first polygon layer
    with a municipality-number field is used unless ``layer`` is given.
    """
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if not path.is_file():
        msg = f"{path}: municipality file not found; give the path to a GeoJSON or GeoPackage from Geonorge/Kartverket."
        raise GeoDataError(msg)
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            layers = pyogrio.list_layers(path)
            for name, geom in layers:
                if geom and "polygon" in str(geom).lower():
                    fields = pyogrio.read_info(path, layer=name)["fields"]
                    if _find(fields, _MUNI_ALIASES[:4]):
                        layer = name
                        break
        nested = _nested_geojson(path, layer) if path.suffix.lower() in (".geojson", ".json") else None
        if nested is not None:
            frame = nested
        else:
            frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except GeoDataError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several error types for unreadable files
        msg = f"{path}: cannot read the municipality polygons ({exc.__class__.__name__}); check that it is a GeoJSON or GeoPackage file."
        raise GeoDataError(msg) from None
    number_col = _find(frame.columns, _MUNI_ALIASES[:4])
    if number_col is None:
        msg = f"{path}: no municipality-number field (kommunenummer) found among {', '.join(map(str, frame.columns))}; use Kartverket's municipality layer."
        raise GeoDataError(msg)
    name_col = _find([c for c in frame.columns if c != number_col], _MUNI_NAME_ALIASES)
    if name_col is not None:
        frame[name_col] = frame[name_col].map(_plain_name)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    frame = frame.to_crs("EPSG:4326")
    numbers = normalise_postcode(frame[number_col])  # same rule: digits, zero-padded to 4
    out = gpd.GeoDataFrame(
        {"municipality": numbers.to_numpy(),
         "name": frame[name_col].astype(str).to_numpy() if name_col else numbers.to_numpy()},
        geometry=frame.geometry.to_numpy(), crs="EPSG:4326",
    )
    log.info("read %s municipality polygons from %s", len(out), path.name)
    return out


def _plain_name(value: Any) -> Any:
    """Geonorge gives names as a list of ``{navn, sprak}``; take the Norwegian (or first) one."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list) and value:
        preferred = [v for v in value if isinstance(v, dict) and v.get("sprak") in ("nor", "nno", "nob")]
        first = (preferred or value)[0]
        return first.get("navn", first) if isinstance(first, dict) else first
    return value


def _nested_geojson(path: Path, layer: str | None) -> Any:
    """Geonorge's GeoJSON downloads hold several FeatureCollections in one object, e.g.
    ``{"Kommune": {...}, "Kommunegrense": {...}}``; return the polygon collection (or ``layer``),
    or ``None`` when the file is an ordinary GeoJSON."""
    import geopandas as gpd

    with path.open(encoding="utf-8-sig") as fh:
        head = fh.read(4096)
    first = re.match(r'\s*\{\s*"([^"]+)"\s*:\s*\{', head)
    if first is None or first.group(1).lower() in ("crs", "bbox", "properties", "metadata", "geometry"):
        return None
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if not isinstance(data, dict) or data.get("type") == "FeatureCollection":
        return None
    candidates = [(key, value) for key, value in data.items()
                  if isinstance(value, dict) and value.get("type") == "FeatureCollection"]
    if layer is not None:
        candidates = [(key, value) for key, value in candidates if key == layer]
    for _, collection in candidates:
        features = collection.get("features") or []
        if features and "polygon" in str((features[0].get("geometry") or {}).get("type", "")).lower():
            crs = ((collection.get("crs") or {}).get("properties") or {}).get("name") or "EPSG:4326"
            return gpd.GeoDataFrame.from_features(features, crs=crs)
    msg = f"{path}: no polygon collection{' ' + repr(layer) if layer else ''} found in this GeoJSON; use the municipality (Kommune) layer."
    raise GeoDataError(msg)


def _sniff_separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in ("\t", ";", ",")}
    return max(counts, key=counts.__getitem__)


def read_postcodes(path: str | Path) -> pd.DataFrame:
    """Read postcode points: the Erik Bolstad list (TSV, nynorsk headers), a CSV ``postcode,lat,lon``
    or postcode polygons/points in GeoJSON/GeoPackage (Geonorge ``postnummer``).

    Returns ``postcode`` (4 digits), ``lat``, ``lon`` (WGS84), ``place``, ``municipality`` (as in
    the file, zero-padded; the Bolstad list uses 2020-2023 numbers), ``municipality_2024``,
    ``po_box`` (bool) and ``in_use`` (bool), one row per postcode.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: postcode file not found; give the Erik Bolstad postcode list or a CSV with postcode,lat,lon."
        raise GeoDataError(msg)
    if path.suffix.lower() in (".geojson", ".gpkg", ".json", ".shp", ".fgb"):
        frame = _read_postcode_geodata(path)
    else:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                first = fh.readline()
            sep = _sniff_separator(first)
            frame = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                                quoting=csv.QUOTE_MINIMAL)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            msg = f"{path}: cannot read the postcode list ({exc.__class__.__name__}); save it as UTF-8 CSV or TSV."
            raise GeoDataError(msg) from None
    pc_col = _find(frame.columns, _POSTCODE_ALIASES)
    lat_col = _find(frame.columns, _LAT_ALIASES)
    lon_col = _find(frame.columns, _LON_ALIASES)
    if pc_col is None or lat_col is None or lon_col is None:
        msg = (f"{path}: the postcode list needs a postcode, a latitude and a longitude column "
               f"(e.g. POSTNR, LAT, LON); found {', '.join(map(str, frame.columns))}.")
        raise GeoDataError(msg)
    place_col = _find(frame.columns, _PLACE_ALIASES)
    muni_col = _find(frame.columns, _MUNI_ALIASES)
    usage_col = _find(frame.columns, _USAGE_ALIASES)
    out = pd.DataFrame({
        "postcode": normalise_postcode(frame[pc_col]),
        "lat": pd.to_numeric(frame[lat_col].astype(str).str.replace(",", ".", regex=False), errors="coerce"),
        "lon": pd.to_numeric(frame[lon_col].astype(str).str.replace(",", ".", regex=False), errors="coerce"),
    })
    out["place"] = frame[place_col].astype(str).to_numpy() if place_col else None
    out["municipality"] = normalise_postcode(frame[muni_col]) if muni_col else None
    usage = frame[usage_col].astype(str).str.lower() if usage_col else pd.Series("", index=frame.index)
    out["po_box"] = usage.str.contains("postboks", regex=False).to_numpy()
    place = out["place"].astype(str).str.lower()
    out["in_use"] = ~place.str.contains("ikkje i bruk|ikke i bruk|not in use", regex=True)
    out = out[out["postcode"].notna() & out["lat"].between(-90, 90) & out["lon"].between(-180, 180)]
    out = out[~((out["lat"] == 0) & (out["lon"] == 0))]
    if out.empty:
        msg = f"{path}: no usable postcode points (4-digit postcodes with LAT/LON) were found; check the file."
        raise GeoDataError(msg)
    # One point per postcode: prefer codes in use and street addresses over PO boxes.
    out = (out.assign(_rank=(~out["in_use"]).astype(int) * 2 + out["po_box"].astype(int))
              .sort_values(["postcode", "_rank"], kind="stable")
              .drop_duplicates("postcode").drop(columns="_rank").reset_index(drop=True))
    out["municipality_2024"] = _to_2024(out["municipality"])
    log.info("read %s postcode points from %s", f"{len(out):,}", path.name)
    return out


def _to_2024(numbers: pd.Series) -> pd.Series:
    if numbers.isna().all():
        return numbers.astype("object")
    try:
        from grontur.municipalities import translate_numbers
    except ImportError:  # pragma: no cover - the module ships with grontur
        return numbers.astype("object")
    try:
        return translate_numbers(numbers).astype("object").where(lambda s: s.notna(), None)
    except Exception:  # noqa: BLE001 - translation is a convenience; keep the file's numbers
        log.warning("municipality numbers in the postcode list could not be translated to 2024")
        return pd.Series(None, index=numbers.index, dtype="object")


def _read_postcode_geodata(path: Path) -> pd.DataFrame:
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several error types
        msg = f"{path}: cannot read the postcode areas ({exc.__class__.__name__}); check that it is GeoJSON or GeoPackage."
        raise GeoDataError(msg) from None
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    # Representative points are computed in the metric CRS so they lie inside each area.
    points = frame.to_crs(METRIC_CRS).representative_point().to_crs("EPSG:4326")
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    data["lat"] = points.y.to_numpy()
    data["lon"] = points.x.to_numpy()
    return data.astype({c: str for c in data.columns if c not in ("lat", "lon")})


def read_workplaces(items: Iterable[Any], *, postcodes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Workplaces from the project configuration: each has a ``name`` and ``lat``/``lon`` or a ``postcode``.

    Items may be mappings or objects with those attributes (``grontur.config.Workplace``).
    Returns ``name``, ``lat``, ``lon``, ``postcode``, ``located_by`` (coordinates / postcode).
    """
    rows = []
    for i, item in enumerate(items):
        get = item.get if isinstance(item, Mapping) else (lambda key, default=None, _o=item: getattr(_o, key, default))
        name = get("name")
        if not name:
            msg = f"workplaces[{i}] in the project configuration needs a 'name' (and lat/lon or a postcode)."
            raise ConfigError(msg)
        lat, lon, pc = get("lat"), get("lon"), get("postcode")
        pc = None if pc is None else str(pc).strip().zfill(4)
        located_by = "coordinates"
        if lat is None or lon is None:
            if pc is None or postcodes is None or pc not in set(postcodes["postcode"]):
                msg = (f"workplaces[{i}] {name!r} in the project configuration has no coordinates"
                       f"{' and its postcode ' + repr(pc) + ' is not in the postcode list' if pc else ''}; "
                       "add 'lat' and 'lon' (WGS84) or a known 'postcode'.")
                raise ConfigError(msg)
            hit = postcodes.loc[postcodes["postcode"] == pc].iloc[0]
            lat, lon, located_by = float(hit["lat"]), float(hit["lon"]), "postcode"
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            msg = f"workplaces[{i}] {name!r}: lat/lon must be numbers in degrees (WGS84), e.g. lat: 60.70, lon: 8.94."
            raise ConfigError(msg) from None
        if not (57.0 <= lat <= 81.5 and -10.0 <= lon <= 35.0):
            log.warning("workplace %r lies outside Norway (%.4f, %.4f); check that lat and lon are not swapped", name, lat, lon)
        rows.append({"name": str(name), "lat": lat, "lon": lon, "postcode": pc, "located_by": located_by})
    return pd.DataFrame(rows, columns=["name", "lat", "lon", "postcode", "located_by"])


# --------------------------------------------------------------------------- enrichment

@dataclass(frozen=True, eq=False)
class GeoResult:
    """The table with estimated distances, the issues found and home areas for maps.

    ``areas`` holds every home area with its exact count and ``area_of`` each respondent's area;
    what is published (results and maps) is decided by the publication gate: :meth:`section`
    registers the counts with a run's gate, :meth:`as_dict` publishes with a gate of its own,
    and :meth:`draw_maps` draws from a published section only.
    """

    table: pd.DataFrame
    issues: pd.DataFrame
    areas: pd.DataFrame
    workplaces: pd.DataFrame
    counts: Mapping[str, int]
    settings: Mapping[str, Any]
    k: int = DEFAULT_K
    figure: Any = None
    notes: Sequence[str] = field(default_factory=tuple)
    postcodes: pd.DataFrame | None = None
    municipalities: Any = None
    highlight: str | None = None
    lang: str | None = None
    potential_figure: Any = None
    flags: pd.DataFrame | None = None
    area_of: pd.Series | None = None
    potential: pd.Series | None = None

    def with_potential(self, potential: pd.Series, *, lang: str | None = None) -> GeoResult:
        """The same result with each home area's ``potential`` (share of its car commuters with a
        feasible alternative, e.g. ``PotentialResult.any_feasible()``: 1, 0, or NaN for people
        who do not commute by car) and, when a language is known, a second map coloured by
        potential in ``potential_figure`` (drawn from :meth:`as_dict`)."""
        level = str(self.areas["level"].iloc[0]) if len(self.areas) else "postcode"
        potential = potential.astype("float64").reindex(self.table.index)
        areas, _ = home_areas(self.table, postcodes=self.postcodes, potential=potential, level=level, k=self.k)
        updated = dataclasses.replace(self, areas=areas, potential=potential, potential_figure=None)
        lang = lang or self.lang
        if lang is not None and len(areas):
            maps = updated.draw_maps(updated.as_dict(), lang=lang, which=("potential",))
            updated = dataclasses.replace(updated, potential_figure=maps.get("potential"))
        return updated

    def as_dict(self) -> dict[str, Any]:
        """``results["geo"]`` published on its own (a gate of its own decides what is shown)."""
        from grontur.describe import publish_section

        ledger = Ledger(len(self.table), self.k)
        return publish_section(ledger, self.section(ledger))

    def section(self, ledger: Ledger) -> dict[str, Any]:
        """``results["geo"]`` with every count registered with the run's publication gate.

        Each home area is a group of respondents (a count tagged ``("geo", area)``); the areas
        partition the located respondents. An area's car share and potential are derived from
        counts within the area (a group row: a single answer held by every member hides it);
        an area the gate hides leaves the list."""
        table = self.table
        flags = self.flags if self.flags is not None else pd.DataFrame(index=table.index)

        def flag(name: str) -> np.ndarray:
            return flags[name].to_numpy(dtype=bool) if name in flags else np.zeros(len(table), dtype=bool)

        respondents = ledger.named("respondents", table)
        # How many gave (and could be placed by) a postcode or a distance: bases, and those
        # without one are the respondents less a base (how many did not answer).
        with_pc = ledger.base(flag("with_postcode"), tag=("geo", "with_postcode"), answered=True)
        located = ledger.base(flag("located"), tag=("geo", "located"))
        reported = ledger.base(flag("distance_reported"), tag=("geo", "distance_reported"), answered=True)
        workplace_known = ledger.base(~flag("workplace_unknown"), tag=("geo", "workplace_known"), answered=True)
        counts = {
            "n_respondents": respondents,
            "n_with_postcode": with_pc,
            "n_postcode_unknown": Derived(with_pc.n - located.n, (with_pc, located)),
            "n_located": located,
            "n_workplace_unknown": Derived(respondents.n - workplace_known.n, (respondents, workplace_known)),
            "n_distance_missing": Derived(respondents.n - reported.n, (respondents, reported)),
            "n_distance_estimated": ledger.count(flag("distance_estimated"), tag=("geo", "distance_estimated")),
            "n_distance_checked": ledger.base(flag("distance_checked"), tag=("geo", "distance_checked")),
            "n_distance_flagged": ledger.count(flag("distance_flagged"), tag=("geo", "distance_flagged")),
        }
        area_of = (self.area_of if self.area_of is not None else pd.Series(None, index=table.index, dtype="object"))
        keys = area_of.reindex(table.index).to_numpy(dtype=object)
        share = car_share(table).to_numpy(dtype=float)
        classes = sorted(set(share[~np.isnan(share)].tolist()))
        pot = (self.potential.reindex(table.index).to_numpy(dtype=float) if self.potential is not None
               else np.full(len(table), np.nan))
        pot_values = sorted(set(pot[~np.isnan(pot)].tolist()))
        entries = []
        figs = []
        for row in self.areas.to_dict(orient="records"):
            area = str(row["area"])
            members = keys == row["area"]
            # An area's size is a group size (a base, as a workplace's in habits): when its car
            # share or potential would describe a few members, those go before the size.
            n = ledger.base(members, tag=("geo", area))
            figs.append(n)
            # The car share is the mean of each member's share of seasons driving: it rests on
            # how many members have each share (and those with no known mode).
            parts = [ledger.count(members & np.isnan(share), tag=("geo", area, "car_share", None))]
            parts += [ledger.count(members & (share == c), tag=("geo", area, "car_share", c)) for c in classes]
            ledger.partition(n, parts, group=True)
            entry: dict[str, Any] = {"area": area, "level": row["level"], "lat": row["lat"], "lon": row["lon"], "n": n,
                                     "car_share": Derived(_float(row["car_share"]), (n, *parts))}
            commuters = members & ~np.isnan(pot)
            if self.potential is not None and commuters.any():
                # The area's car commuters by their own potential (1 or 0 for a feasible
                # alternative or none): all with one value would be the whole group's answer.
                base = ledger.count(commuters, tag=("geo", area, "car_commuters"))
                levels = [ledger.count(commuters & (pot == v), tag=("geo", area, "potential", v)) for v in pot_values]
                ledger.partition(base, levels, group=True)
                entry["potential"] = Derived(_float(row["potential"]), (n, base, *levels))
            else:
                entry["potential"] = None
            entries.append(Listed(entry, (n,)))
        ledger.partition(located, figs)
        return {
            **counts,
            "detour_factor": float(self.settings["detour_factor"]),
            "plausibility_ratio": float(self.settings["plausibility_ratio"]),
            "plausibility_min_estimate_km": float(self.settings["plausibility_min_estimate_km"]),
            "estimate_floor_km": float(self.settings["estimate_floor_km"]),
            "area_level": str(self.areas["level"].iloc[0]) if len(self.areas) else None,
            "areas": entries,
            "workplaces": [{"name": r["name"], "lat": r["lat"], "lon": r["lon"], "located_by": r["located_by"]}
                           for r in self.workplaces.to_dict(orient="records")],
            "suppressed_cells": SectionTally(),
        }

    def draw_maps(self, published: Mapping[str, Any], *, lang: str,
                  which: Sequence[str] = ("car_share", "potential")) -> dict[str, Any]:
        """The maps of a published ``results["geo"]`` section (resolved by the gate): only the
        areas and values it shows are drawn. ``car_share`` is drawn when there is an area or a
        workplace, ``potential`` when the areas have a potential."""
        areas = pd.DataFrame(list(published.get("areas") or []),
                             columns=["area", "level", "lat", "lon", "n", "car_share", "potential"])
        out: dict[str, Any] = {}
        if not map_worth_drawing(published):
            return out  # one area is a dot, not a map: the report says so in a sentence
        places = place_names(self.postcodes)
        for value in which:
            if value == "car_share" and not (len(areas) or len(self.workplaces)):
                continue
            if value == "potential" and (self.potential is None or not len(self.areas)):
                continue
            out[value] = plot_home_area_map(areas, workplaces=self.workplaces, municipalities=self.municipalities,
                                            lang=lang, value=value, k=self.k, highlight=self.highlight, places=places)
        return out


def place_names(postcodes: pd.DataFrame | None) -> dict[str, str]:
    """Postcode -> place name (poststad), from a postcode list that has one."""
    if postcodes is None or "place" not in postcodes.columns:
        return {}
    places = postcodes.dropna(subset=["place"])
    return {str(pc): str(place).strip().title() for pc, place in zip(places["postcode"], places["place"])
            if str(place).strip() and str(place).strip().lower() not in ("none", "nan")}


def area_label(area: str, places: Mapping[str, str]) -> str:
    """A home area in words: its postcode(s) with the place names, e.g. ``3550 Gol`` or
    ``3540 Nesbyen + 3544 Tunhovd``."""
    return " + ".join(f"{pc} {places[pc]}" if pc in places else pc for pc in str(area).split("+"))


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _postcode_lookup(postcodes: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    if postcodes is None or postcodes.empty:
        return pd.Series(dtype="float64"), pd.Series(dtype="float64")
    pc = postcodes.drop_duplicates("postcode").set_index("postcode")
    return pc["lat"].astype("float64"), pc["lon"].astype("float64")


def _respondent_workplace(table: pd.DataFrame, workplaces: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Workplace coordinates per respondent, and whose workplace is unknown. With one configured
    workplace everybody works there; otherwise names are matched case- and space-insensitively."""
    if workplaces.empty:
        return (pd.Series(np.nan, index=table.index), pd.Series(np.nan, index=table.index),
                pd.Series(True, index=table.index))
    if len(workplaces) == 1:
        lat = pd.Series(float(workplaces["lat"].iloc[0]), index=table.index)
        lon = pd.Series(float(workplaces["lon"].iloc[0]), index=table.index)
        return lat, lon, pd.Series(False, index=table.index)
    names = codes(table, "workplace")
    key = names.dropna().astype(str).map(_fold_name).reindex(table.index)
    by_name = workplaces.assign(_key=workplaces["name"].map(_fold_name)).drop_duplicates("_key").set_index("_key")
    lat = key.map(by_name["lat"]).astype("float64")
    lon = key.map(by_name["lon"]).astype("float64")
    return lat, lon, lat.isna()


def car_share(table: pd.DataFrame) -> pd.Series:
    """Per respondent: share of the seasons with a known mode in which they drive a car."""
    drive = [codes(table, f"mode_{s}").isin(CAR_DRIVER_MODES).astype(float).where(codes(table, f"mode_{s}").notna())
             for s in SEASONS]
    return pd.concat(drive, axis=1).mean(axis=1)


def home_areas(
    table: pd.DataFrame,
    *,
    postcodes: pd.DataFrame | None,
    potential: pd.Series | None = None,
    level: str = "postcode",
    grid_km: float = 5.0,
    k: int | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Every home area with its exact count: postcodes or square grid cells (EPSG:25833).

    With ``k``, a postcode with fewer than ``k`` located respondents is joined to the nearest
    other area within :data:`JOIN_WITHIN_KM` (again and again, smallest first) so that its people
    count in an area that can be shown instead of dropping out of the map; a joined area is named by its postcodes joined
    with ``+`` (e.g. ``3540+3544``) and placed at its respondents' mean point.

    Each area has ``area`` (postcode or cell id), ``level``, ``lat``/``lon`` (postcode point or
    cell centre), ``n``, ``car_share`` (mean share of seasons driving) and ``potential`` (share of
    the area's car commuters with a feasible alternative, from ``potential``; ``None`` when it
    has none). Returns the areas (largest first) and each respondent's area (``None`` when not
    located). Nothing here decides what is published: that is the gate's (:meth:`GeoResult.section`).
    """
    if level not in ("postcode", "grid"):
        msg = f"Unknown home-area level {level!r}: use 'postcode' or 'grid'."
        raise ConfigError(msg)
    lat_of, lon_of = _postcode_lookup(postcodes)
    pc = normalise_postcode(column(table, "home_postcode"))
    lat = pc.map(lat_of).astype("float64")
    lon = pc.map(lon_of).astype("float64")
    located = lat.notna() & lon.notna()
    frame = pd.DataFrame({"pc": pc, "lat": lat, "lon": lon, "car": car_share(table)}, index=table.index)[located]
    if potential is not None:
        frame["pot"] = potential.reindex(frame.index).astype("float64")
    else:
        frame["pot"] = np.nan
    columns = ["area", "level", "lat", "lon", "n", "car_share", "potential"]
    area_of = pd.Series(None, index=table.index, dtype="object")
    if frame.empty:
        return pd.DataFrame(columns=columns), area_of
    if level == "postcode":
        frame["area"] = frame["pc"]
        if k is not None:
            frame["area"] = _join_small_postcodes(frame, k)
    else:
        import geopandas as gpd

        pts = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326").to_crs(METRIC_CRS)
        size = grid_km * 1000.0
        cx = np.floor(pts.x.to_numpy() / size)
        cy = np.floor(pts.y.to_numpy() / size)
        frame["area"] = (pd.Series(cx.astype(np.int64), index=frame.index).astype(str) + "_"
                         + pd.Series(cy.astype(np.int64), index=frame.index).astype(str))
        frame["cx"] = (cx + 0.5) * size
        frame["cy"] = (cy + 0.5) * size
    grouped = frame.groupby("area")
    agg = grouped.agg(n=("car", "size"), car_share=("car", "mean"), lat=("lat", "mean"), lon=("lon", "mean"),
                      pot=("pot", "mean"), pot_n=("pot", "count"))
    if level == "postcode":
        # a postcode sits on its point; a joined area on its respondents' mean point
        ids = pd.Series(agg.index, index=agg.index)
        single = ~ids.str.contains("+", regex=False)
        agg["lat"] = ids.map(lat_of).astype("float64").where(single, agg["lat"])
        agg["lon"] = ids.map(lon_of).astype("float64").where(single, agg["lon"])
    else:
        import geopandas as gpd

        centres = grouped.agg(cx=("cx", "first"), cy=("cy", "first"))
        c = gpd.GeoSeries(gpd.points_from_xy(centres["cx"], centres["cy"]), crs=METRIC_CRS).to_crs("EPSG:4326")
        agg["lat"] = c.y.to_numpy()
        agg["lon"] = c.x.to_numpy()
    agg["potential"] = agg["pot"].where(agg["pot_n"] > 0)
    agg["level"] = level
    out = agg.reset_index()[columns].sort_values("n", ascending=False, kind="stable").reset_index(drop=True)
    out["n"] = out["n"].astype(int)
    area_of.loc[frame.index] = frame["area"].astype(str).to_numpy()
    return out, area_of


#: A small postcode is joined only to an area at most this far away (km between mean points):
#: a home far away joined to the town would put a dot where nobody lives (an assumption).
JOIN_WITHIN_KM = 30.0


def _join_small_postcodes(frame: pd.DataFrame, k: int) -> pd.Series:
    """Each respondent's area after joining every postcode of fewer than ``k`` respondents to the
    nearest other area (by the distance between the areas' mean points), smallest first, when that
    area is at most :data:`JOIN_WITHIN_KM` away."""
    members: dict[str, list[str]] = {str(pc): [str(pc)] for pc in frame["pc"].unique()}
    sizes = frame.groupby("pc").size().astype(int).to_dict()
    points = frame.groupby("pc")[["lat", "lon"]].mean()
    mean_lat = points["lat"].to_dict()
    mean_lon = points["lon"].to_dict()
    sums = {str(pc): (float(mean_lat[pc]) * sizes[pc], float(mean_lon[pc]) * sizes[pc]) for pc in sizes}
    n = {str(pc): int(size) for pc, size in sizes.items()}
    while len(n) > 1:
        small = sorted((size, area) for area, size in n.items() if is_small(size, k))
        if not small:
            break
        target = None
        for _, area in small:
            lat, lon = sums[area][0] / n[area], sums[area][1] / n[area]
            others = [a for a in n if a != area]
            distance = haversine_km(lat, lon, np.array([sums[a][0] / n[a] for a in others]),
                                    np.array([sums[a][1] / n[a] for a in others]))
            if float(distance.min()) <= JOIN_WITHIN_KM:
                target = others[int(np.argmin(distance))]
                break
        if target is None:
            break  # what is left is far from everything: it stays small, and the gate hides it
        members[target] += members.pop(area)
        n[target] += n.pop(area)
        sums[target] = (sums[target][0] + sums[area][0], sums[target][1] + sums[area][1])
        del sums[area]
    name = {pc: "+".join(sorted(group)) for group in members.values() for pc in group}
    return frame["pc"].astype(str).map(name)


def _coverage(areas: pd.DataFrame, k: int) -> int:
    """How many respondents live in areas of a size that may be shown (for choosing a level of
    areas before the gate decides; the gate may still hide some)."""
    return int(sum(int(n) for n in areas["n"] if not is_small(int(n), k)))


def enrich(
    table: pd.DataFrame,
    *,
    workplaces: Iterable[Any] | pd.DataFrame,
    postcodes: pd.DataFrame | None = None,
    detour_factor: float | None = None,
    k: int = DEFAULT_K,
    settings: Mapping[str, Any] | None = None,
    area_level: str = "auto",
) -> GeoResult:
    """Estimate missing distances, flag implausible ones and aggregate home areas.

    Parameters
    ----------
    table
        Canonical response table (needs ``home_postcode`` for anything to happen).
    workplaces
        Configured workplaces (see :func:`read_workplaces`) or a frame it returned.
    postcodes
        Postcode points from :func:`read_postcodes`.
    detour_factor
        Road / straight-line distance; default the ``detour_factor`` setting (1.3, assumption).
    k
        Privacy threshold of :meth:`GeoResult.as_dict` (the areas published on their own); it
        also chooses the ``"auto"`` level.
    settings
        Overrides of ``measures/factors/settings.yaml``.
    area_level
        ``"postcode"``, ``"grid"`` (5 km cells) or ``"auto"``: postcodes, unless they would hide
        more than a quarter of the located respondents and grid cells hide fewer.
    """
    k = check_k(k)
    overrides = dict(settings or {})
    if detour_factor is not None:
        overrides["detour_factor"] = detour_factor
    settings = load_settings(overrides)
    detour = float(settings["detour_factor"])
    if detour < 1.0:
        msg = f"detour_factor={detour} is below 1: a road is never shorter than the straight line; use e.g. 1.3."
        raise ConfigError(msg)
    wp = workplaces if isinstance(workplaces, pd.DataFrame) else read_workplaces(workplaces, postcodes=postcodes)

    out = table.copy()
    lat_of, lon_of = _postcode_lookup(postcodes)
    pc = normalise_postcode(column(table, "home_postcode"))
    home_lat = pc.map(lat_of).astype("float64")
    home_lon = pc.map(lon_of).astype("float64")
    wlat, wlon, wp_unknown = _respondent_workplace(table, wp)
    straight = pd.Series(haversine_km(home_lat, home_lon, wlat, wlon), index=table.index)
    estimate = (straight * detour).clip(lower=float(settings["estimate_floor_km"]))

    reported = numeric(table, "distance_km")
    prior = as_bool(column(table, "distance_estimated")).fillna(False).astype(bool)
    fill = reported.isna() & estimate.notna()
    out["distance_km"] = reported.where(~fill, estimate.round(1))
    out["distance_estimated"] = (prior | fill).astype(bool)

    ratio = float(settings["plausibility_ratio"])
    checkable = reported.notna() & ~prior & (straight * detour >= float(settings["plausibility_min_estimate_km"]))
    too_long = checkable & (reported > estimate * ratio)
    too_short = checkable & (reported < estimate / ratio)
    source_row = (pd.to_numeric(table["source_row"], errors="coerce") if "source_row" in table.columns
                  else pd.Series(np.arange(1, len(table) + 1), index=table.index))
    issue_parts = []
    for mask, problem in ((too_long, "distance_far_above_postcode_estimate"),
                          (too_short, "distance_far_below_postcode_estimate")):
        if mask.any():
            issue_parts.append(pd.DataFrame({
                "source_row": source_row[mask].to_numpy(),
                "column": "distance_km",
                "raw_value": reported[mask].map(lambda v: f"{v:g}").to_numpy(),
                "problem": problem,
                "action": "kept_flagged",
            }))
    issues = (pd.concat(issue_parts, ignore_index=True) if issue_parts
              else pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS}))
    issues = issues.sort_values("source_row", kind="stable").reset_index(drop=True) if len(issues) else issues

    if area_level == "auto":
        areas, area_of = home_areas(out, postcodes=postcodes, level="postcode", k=k)
        located = int(home_lat.notna().sum())
        covered = _coverage(areas, k)
        if located and covered < 0.75 * located:
            grid, grid_of = home_areas(out, postcodes=postcodes, level="grid")
            if _coverage(grid, k) > covered:
                areas, area_of = grid, grid_of
    else:
        areas, area_of = home_areas(out, postcodes=postcodes, level=area_level, k=k)
    flags = pd.DataFrame({
        "with_postcode": pc.notna(),
        "located": home_lat.notna(),
        "workplace_unknown": wp_unknown.astype(bool),
        "distance_reported": reported.notna(),
        "distance_estimated": fill,
        "distance_checked": checkable,
        "distance_flagged": too_long | too_short,
    }, index=table.index).astype(bool)
    counts = {
        "n_respondents": len(table),
        "n_with_postcode": int(flags["with_postcode"].sum()),
        "n_postcode_unknown": int((flags["with_postcode"] & ~flags["located"]).sum()),
        "n_located": int(flags["located"].sum()),
        "n_workplace_unknown": int(flags["workplace_unknown"].sum()),
        "n_distance_missing": int((~flags["distance_reported"]).sum()),
        "n_distance_estimated": int(flags["distance_estimated"].sum()),
        "n_distance_checked": int(flags["distance_checked"].sum()),
        "n_distance_flagged": int(flags["distance_flagged"].sum()),
    }
    log.info("geo: %s distances estimated, %s flagged, %s home areas",
             counts["n_distance_estimated"], counts["n_distance_flagged"], len(areas))
    return GeoResult(table=out, issues=issues, areas=areas, workplaces=wp, counts=counts,
                     settings=settings, k=k, postcodes=postcodes, flags=flags, area_of=area_of)


# --------------------------------------------------------------------------- maps

def plot_home_area_map(
    areas: pd.DataFrame,
    *,
    workplaces: pd.DataFrame | Iterable[Any],
    municipalities: Any = None,
    lang: str,
    value: str = "car_share",
    k: int = DEFAULT_K,
    highlight: str | None = None,
    places: Mapping[str, str] | None = None,
) -> Any:
    """Draw home areas coloured by ``value``, workplaces and municipality outlines.

    ``places`` (postcode -> place name) names the areas in words; the colour scale reads in words
    too ("none", "half", "all").

    ``areas`` are the published areas (from a section the publication gate resolved, see
    :meth:`GeoResult.draw_maps`): an area whose count is hidden (``None``) is not drawn, and
    nothing else is decided here; ``k`` is named in the note under the map. Colours use the cividis scale (readable for colour-blind readers and in greyscale print);
    circle area grows with the number of respondents. Labels come from the translation catalogue.
    """
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from grontur.i18n import t

    k = check_k(k)
    if value not in ("car_share", "potential"):
        msg = f"Unknown map value {value!r}: use 'car_share' or 'potential'."
        raise ConfigError(msg)
    wp = workplaces if isinstance(workplaces, pd.DataFrame) else read_workplaces(workplaces)
    shown = areas[pd.to_numeric(areas["n"], errors="coerce").notna()] if len(areas) else areas

    fig = Figure(figsize=(7.0, 7.0), dpi=150, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    pts = gpd.GeoSeries(gpd.points_from_xy(shown["lon"], shown["lat"]), crs="EPSG:4326").to_crs(METRIC_CRS) \
        if len(shown) else gpd.GeoSeries([], crs=METRIC_CRS)
    wpts = gpd.GeoSeries(gpd.points_from_xy(wp["lon"], wp["lat"]), crs="EPSG:4326").to_crs(METRIC_CRS) \
        if len(wp) else gpd.GeoSeries([], crs=METRIC_CRS)
    xs = np.concatenate([pts.x.to_numpy(), wpts.x.to_numpy()])
    ys = np.concatenate([pts.y.to_numpy(), wpts.y.to_numpy()])
    if len(xs):
        pad = max(5000.0, 0.15 * max(np.ptp(xs), np.ptp(ys)))
        x0, x1, y0, y1 = xs.min() - pad, xs.max() + pad, ys.min() - pad, ys.max() + pad
        half = max(x1 - x0, y1 - y0) / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
    else:
        x0 = x1 = y0 = y1 = None

    if municipalities is not None and len(municipalities):
        polys = municipalities.to_crs(METRIC_CRS)
        if x0 is not None:
            polys = polys.cx[x0:x1, y0:y1]
        polys.plot(ax=ax, facecolor="#f2f2f2", edgecolor="#7f7f7f", linewidth=0.6, zorder=1)
        if highlight is None and len(wpts):
            inside = polys[polys.contains(wpts.iloc[0])]
            highlight = str(inside["municipality"].iloc[0]) if len(inside) else None
        if highlight is not None:
            own = polys[polys["municipality"] == highlight]
            own.boundary.plot(ax=ax, color="#000000", linewidth=1.4, zorder=2)
            for _, row in own.iterrows():
                c = row.geometry.representative_point()
                ax.annotate(str(row["name"]), (c.x, c.y), fontsize=8, color="#404040", ha="center",
                            va="center", zorder=2, style="italic")

    values = shown[value].astype("float64") if len(shown) else pd.Series(dtype="float64")
    sizes: np.ndarray | list[float] = 50.0 + 550.0 * np.sqrt(shown["n"].to_numpy() / max(1.0, float(shown["n"].max()))) if len(shown) else []
    has_value = values.notna().to_numpy() if len(shown) else np.array([], dtype=bool)
    if len(shown):
        sc = ax.scatter(pts.x.to_numpy()[has_value], pts.y.to_numpy()[has_value], s=np.asarray(sizes)[has_value],
                        c=values.to_numpy()[has_value], cmap="cividis", vmin=0.0, vmax=1.0,
                        edgecolors="#000000", linewidths=0.6, zorder=3)
        if (~has_value).any():
            ax.scatter(pts.x.to_numpy()[~has_value], pts.y.to_numpy()[~has_value], s=np.asarray(sizes)[~has_value],
                       facecolors="none", edgecolors="#000000", linewidths=0.6, hatch="///", zorder=3)
        cbar = fig.colorbar(sc, ax=ax, shrink=0.7, pad=0.02)
        cbar.set_label(t(f"geo.map.{value}", lang))
        cbar.set_ticks([0.0, 0.25, 0.5, 0.75, 1.0],
                       labels=[t(f"geo.map.scale.{step}", lang) for step in ("none", "quarter", "half", "three_quarters", "all")])
        # Label at most the 15 largest areas so a city map stays legible (areas are sorted by n).
        label_rows = list(zip(pts.x.to_numpy(), pts.y.to_numpy(), shown.iterrows()))
        for x, y, (_, row) in sorted(label_rows, key=lambda item: -int(item[2][1]["n"]))[:15]:
            name = area_label(str(row["area"]), places or {})
            ax.annotate(f"{name} (n={int(row['n'])})" if row["level"] == "postcode" else f"n={int(row['n'])}",
                        (x, y), xytext=(6, 6), textcoords="offset points", fontsize=7, zorder=4)
    if len(wpts):
        ax.scatter(wpts.x, wpts.y, marker="^", s=90, c="#d55e00", edgecolors="#000000", linewidths=0.8, zorder=5)
        span = (x1 - x0) if x0 is not None else 1.0
        for (x, y), names in _cluster_labels(wpts.x.to_numpy(), wpts.y.to_numpy(), list(wp["name"]), 0.04 * span):
            label = names[0] if len(names) == 1 else t("geo.map.workplaces_n", lang, n=len(names))
            ax.annotate(label, (x, y), xytext=(6, -12), textcoords="offset points", fontsize=7,
                        fontweight="bold", zorder=5)
    if x0 is not None:
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        bar = 10000.0 if (x1 - x0) > 30000 else 2000.0
        bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
        ax.plot([bx, bx + bar], [by, by], color="#000000", linewidth=2.5, zorder=6)
        ax.annotate(f"{bar / 1000:g} km", (bx + bar / 2, by), xytext=(0, 4), textcoords="offset points",
                    ha="center", fontsize=7, zorder=6)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(t(f"geo.map.title.{value}", lang), fontsize=11)
    handles = [
        Line2D([], [], marker="^", linestyle="none", markerfacecolor="#d55e00", markeredgecolor="#000000",
               markersize=8, label=t("geo.map.workplace", lang)),
        Line2D([], [], marker="o", linestyle="none", markerfacecolor="#bfbfbf", markeredgecolor="#000000",
               markersize=8, label=t("geo.map.home_area", lang)),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7, frameon=True)
    drew_boundaries = municipalities is not None and len(municipalities) > 0
    credit = t("geo.map.attribution" if drew_boundaries else "geo.map.attribution_postcodes", lang)
    fig.supxlabel(t("geo.map.note", lang, k=k) + "  " + credit, fontsize=7, color="#404040")
    return fig


def _cluster_labels(xs: np.ndarray, ys: np.ndarray, names: list[str], radius: float) -> list[tuple[tuple[float, float], list[str]]]:
    """Group workplaces closer than ``radius`` so their labels do not overprint (few points: a loop is fine)."""
    clusters: list[tuple[tuple[float, float], list[str]]] = []
    for x, y, name in zip(xs, ys, names):
        for (cx, cy), members in clusters:
            if math.hypot(x - cx, y - cy) < radius:
                members.append(str(name))
                break
        else:
            clusters.append(((float(x), float(y)), [str(name)]))
    return clusters


#: Geodata files read in this process, by (reader, file, modification time, size): a national run
#: gives every municipality the same postcode list and boundaries, read once.
_GEODATA: dict[tuple[str, str, int, int], Any] = {}


def _read_once(reader: Any, path: str | Path) -> Any:
    """``reader(path)``, kept for the process and read again only when the file changes."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return reader(path)  # the reader says what is wrong with the path
    key = (reader.__name__, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _GEODATA:
        _GEODATA[key] = reader(path)
    return _GEODATA[key]


def enrich_for_project(table: pd.DataFrame, *, project: Any, k: int = DEFAULT_K, lang: str = "nn",
                       settings: Mapping[str, Any] | None = None, draw_figures: bool = True) -> GeoResult:
    """:func:`enrich` with the project's workplaces and geodata files (``geodata: {postcodes, municipalities}``),
    plus a home-area map in ``.figure`` when there is anything to draw (and ``draw_figures``),
    drawn from the areas published on their own (:meth:`GeoResult.as_dict`). A run registers
    the areas with its gate instead and draws from the resolved section (:meth:`GeoResult.draw_maps`).

    The geodata files are read once per process (see :func:`_read_once`). Without
    ``draw_figures`` no map is drawn here or by :meth:`GeoResult.with_potential`.
    """
    geodata = dict(getattr(project, "geodata", {}) or {})
    postcodes = _read_once(read_postcodes, geodata["postcodes"]) if geodata.get("postcodes") else None
    municipalities = (_read_once(read_municipalities, geodata["municipalities"])
                      if geodata.get("municipalities") else None)
    result = enrich(table, workplaces=list(getattr(project, "workplaces", ()) or ()), postcodes=postcodes,
                    k=k, settings=settings)
    number = getattr(project, "number", None)
    highlight = number if municipalities is not None and number in set(municipalities["municipality"]) else None
    result = dataclasses.replace(result, municipalities=municipalities, highlight=highlight,
                                 lang=lang if draw_figures else None)
    if draw_figures:
        maps = result.draw_maps(result.as_dict(), lang=lang, which=("car_share",))
        result = dataclasses.replace(result, figure=maps.get("car_share"))
    return result
