"""Geodata: readers, the distance estimate and its flag, home areas and the map."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from grontur import geo
from grontur.errors import ConfigError, GeoDataError
from grontur.i18n import t

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "geo"
WORKPLACE = {"name": "Rådhuset", "lat": 60.0, "lon": 9.0}


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (read from ../shared/data/geo beside the project)")
    return path


@pytest.fixture
def postcodes() -> pd.DataFrame:
    return geo.read_postcodes(DATA / "analysis_postcodes_bolstad.tsv")


def _km_north(deg: float) -> float:
    """Length of ``deg`` degrees of latitude on a sphere of the mean Earth radius."""
    return deg * math.pi / 180 * 6371.0088


def test_read_bolstad_list(postcodes: pd.DataFrame) -> None:
    row = postcodes.set_index("postcode")
    assert row.loc["0101", "municipality"] == "0301"  # "301" padded
    assert bool(row.loc["0102", "po_box"]) is True
    assert bool(row.loc["9909", "in_use"]) is False
    assert row.loc["9902", "lat"] == pytest.approx(60.1)
    assert row.loc["9902", "place"] == "Åsen"
    assert len(postcodes) == 6


def test_read_simple_csv() -> None:
    frame = geo.read_postcodes(DATA / "analysis_postcodes_simple.csv")
    assert list(frame["postcode"]) == ["9901", "9902", "9903"]
    assert frame["lon"].tolist() == [9.0, 9.0, 9.2]


def test_read_postcodes_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "pc.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(GeoDataError, match="pc.csv"):
        geo.read_postcodes(bad)
    with pytest.raises(GeoDataError, match="missing.tsv"):
        geo.read_postcodes(tmp_path / "missing.tsv")


def test_haversine_against_arc_length() -> None:
    assert float(geo.haversine_km(60.0, 9.0, 60.1, 9.0)) == pytest.approx(_km_north(0.1), rel=1e-9)
    # along a parallel the arc is shorter by cos(latitude) (approximately, for small steps)
    east = float(geo.haversine_km(60.0, 9.0, 60.0, 9.2))
    assert east == pytest.approx(0.2 * math.pi / 180 * 6371.0088 * math.cos(math.radians(60.0)), rel=1e-4)


def _table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["source_row"] = np.arange(1, len(frame) + 1) + 10
    return frame


def test_missing_distance_is_estimated_and_marked(postcodes: pd.DataFrame) -> None:
    table = _table([
        {"home_postcode": "9902", "distance_km": None},
        {"home_postcode": "9901", "distance_km": None},   # same postcode as the workplace: floor
        {"home_postcode": "9902", "distance_km": 12.0},
        {"home_postcode": None, "distance_km": None},
    ])
    result = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes)
    expected = round(_km_north(0.1) * 1.3, 1)
    assert result.table["distance_km"].iloc[0] == pytest.approx(expected)
    assert result.table["distance_km"].iloc[1] == pytest.approx(1.0)
    assert result.table["distance_estimated"].tolist() == [True, True, False, False]
    assert result.table["distance_km"].iloc[2] == 12.0
    assert pd.isna(result.table["distance_km"].iloc[3])
    assert result.counts["n_distance_estimated"] == 2
    assert table["distance_km"].isna().sum() == 3  # input untouched


def test_implausible_distances_are_flagged_with_quality_columns(postcodes: pd.DataFrame) -> None:
    estimate = _km_north(0.1) * 1.3  # about 14.5 km
    table = _table([
        {"home_postcode": "9902", "distance_km": 50.0},  # > 3 x estimate
        {"home_postcode": "9902", "distance_km": 4.0},   # < estimate / 3
        {"home_postcode": "9902", "distance_km": 10.0},
        {"home_postcode": "9902", "distance_km": 5.0},
        {"home_postcode": "9901", "distance_km": 40.0},  # estimate below the checking minimum
    ])
    assert 50.0 > 3 * estimate and 4.0 < estimate / 3 < 5.0
    result = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes)
    issues = result.issues
    assert list(issues.columns) == list(geo.ISSUE_COLUMNS)
    assert issues["source_row"].tolist() == [11, 12]
    assert issues["problem"].tolist() == ["distance_far_above_postcode_estimate", "distance_far_below_postcode_estimate"]
    assert issues["raw_value"].tolist() == ["50", "4"]
    assert set(issues["column"]) == {"distance_km"}
    assert result.counts["n_distance_flagged"] == 2
    for problem in issues["problem"]:
        assert t(f"geo.problem.{problem}", "nn")


def test_detour_factor_is_a_documented_setting(postcodes: pd.DataFrame) -> None:
    table = _table([{"home_postcode": "9903", "distance_km": None}])
    result = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes, detour_factor=1.5)
    straight = float(geo.haversine_km(60.0, 9.0, 60.0, 9.2))
    assert result.table["distance_km"].iloc[0] == pytest.approx(round(straight * 1.5, 1))
    assert result.as_dict()["detour_factor"] == 1.5
    with pytest.raises(ConfigError):
        geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes, detour_factor=0.8)


def test_workplaces_by_name_and_by_postcode(postcodes: pd.DataFrame) -> None:
    workplaces = [WORKPLACE, {"name": "Sjukeheimen", "postcode": "9903"}]
    frame = geo.read_workplaces(workplaces, postcodes=postcodes)
    assert frame["located_by"].tolist() == ["coordinates", "postcode"]
    table = _table([
        {"home_postcode": "9902", "workplace": "sjukeheimen ", "distance_km": None},
        {"home_postcode": "9902", "workplace": "Skulen", "distance_km": None},  # unknown workplace
    ])
    result = geo.enrich(table, workplaces=workplaces, postcodes=postcodes)
    straight = float(geo.haversine_km(60.1, 9.0, 60.0, 9.2))
    assert result.table["distance_km"].iloc[0] == pytest.approx(round(straight * 1.3, 1))
    assert pd.isna(result.table["distance_km"].iloc[1])
    assert result.counts["n_workplace_unknown"] == 1
    with pytest.raises(ConfigError, match="Lageret"):
        geo.read_workplaces([{"name": "Lageret", "postcode": "0000"}], postcodes=postcodes)


def test_small_postcodes_join_the_nearest_area_instead_of_dropping_out(postcodes: pd.DataFrame) -> None:
    # (issue 18: a postcode of fewer than k is joined to its nearest area, so its people stay on
    # the map in an area that can be shown; before, 9903 and 9901 were hidden)
    rows = ([{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 5
            + [{"home_postcode": "9902", "mode_summer": "bike", "mode_winter": "car_alone"}] * 5
            + [{"home_postcode": "9903", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 4
            + [{"home_postcode": "9901", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 3)
    result = geo.enrich(_table(rows), workplaces=[WORKPLACE], postcodes=postcodes, area_level="postcode")
    # the exact areas, before the publication gate
    # 9901 (3) is the smallest and joins its nearest area, 9903; together they are 7
    assert result.areas.set_index("area")["n"].to_dict() == {"9902": 10, "9901+9903": 7}
    published = result.as_dict()
    assert [(a["area"], a["n"]) for a in published["areas"]] == [("9902", 10), ("9901+9903", 7)]
    assert published["areas"][0]["car_share"] == pytest.approx((5 * 1.0 + 5 * 0.5) / 10)
    assert published["n_located"] == 17


def test_a_hidden_area_is_not_given_back_by_the_located_total(postcodes: pd.DataFrame) -> None:
    """Before the gate, 9902 (6) was shown beside n_located (10), which gave 9903 (4) back; and
    its car share 0.917 = 5.5 / 6 told that exactly one member bikes in summer."""
    rows = ([{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 5
            + [{"home_postcode": "9902", "mode_summer": "bike", "mode_winter": "car_alone"}] * 1
            + [{"home_postcode": "9903", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 4)
    published = geo.enrich(_table(rows), workplaces=[WORKPLACE], postcodes=postcodes, area_level="postcode").as_dict()
    shown = sum(a["n"] for a in published["areas"])
    assert published["n_located"] is None or not 0 < published["n_located"] - shown < 5
    assert all(a["car_share"] is None for a in published["areas"] if a["area"] == "9902")


def test_home_areas_with_potential_and_grid(postcodes: pd.DataFrame) -> None:
    rows = [{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 6
    table = _table(rows)
    potential = pd.Series([1.0, 1.0, 0.0, 0.0, 0.0, 1.0], index=table.index)
    areas, _hidden = geo.home_areas(table, postcodes=postcodes, potential=potential)
    assert areas["potential"].iloc[0] == pytest.approx(0.5)
    grid, _ = geo.home_areas(table, postcodes=postcodes, level="grid", grid_km=5.0)
    assert grid["level"].iloc[0] == "grid" and grid["n"].iloc[0] == 6
    # the cell centre lies within half a cell diagonal of the postcode point
    assert float(geo.haversine_km(grid["lat"].iloc[0], grid["lon"].iloc[0], 60.1, 9.0)) < 5.0 * math.sqrt(2) / 2


def test_municipality_readers_for_geojson_and_geopackage(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"kommunenummer": [301, 3324], "navn": ["Oslo", "Gol"]},
                             geometry=[box(10.6, 59.8, 10.9, 60.0), box(8.7, 60.6, 9.2, 60.9)], crs="EPSG:4326")
    path = tmp_path / "kommunar.geojson"
    frame.to_file(path, driver="GeoJSON")
    read = geo.read_municipalities(path)
    assert read["municipality"].tolist() == ["0301", "3324"]
    assert read["name"].tolist() == ["Oslo", "Gol"]
    gpkg = tmp_path / "kommunar.gpkg"
    gpd.GeoDataFrame({"kind": ["point"]}, geometry=[Point(9, 60)], crs="EPSG:4326").to_file(gpkg, layer="punkt")
    frame.to_crs("EPSG:25833").to_file(gpkg, layer="kommune")
    read = geo.read_municipalities(gpkg)
    assert read["municipality"].tolist() == ["0301", "3324"]
    assert read.crs.to_epsg() == 4326
    with pytest.raises(GeoDataError, match="nothing.geojson"):
        geo.read_municipalities(tmp_path / "nothing.geojson")


def test_map_draws_only_areas_the_gate_shows(postcodes: pd.DataFrame) -> None:
    """The map is drawn from the published section: an area the gate hides (``n`` None) is not drawn."""
    areas = pd.DataFrame([
        {"area": "9902", "level": "postcode", "lat": 60.1, "lon": 9.0, "n": 8, "car_share": 0.75, "potential": None},
        {"area": "9903", "level": "postcode", "lat": 60.0, "lon": 9.2, "n": None, "car_share": None, "potential": None},
    ])
    municipalities = gpd.GeoDataFrame({"municipality": ["9999"], "name": ["Dalby"]},
                                      geometry=[box(8.8, 59.9, 9.4, 60.2)], crs="EPSG:4326")
    fig = geo.plot_home_area_map(areas, workplaces=[WORKPLACE], municipalities=municipalities, lang="en")
    ax = fig.axes[0]
    assert ax.get_title() == t("geo.map.title.car_share", "en")
    drawn = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets") and c.get_array() is not None)
    assert drawn == 1
    texts = " ".join(a.get_text() for a in ax.texts)
    assert "9902" in texts and "9903" not in texts

    rows = ([{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 5
            + [{"home_postcode": "9902", "mode_summer": "bike", "mode_winter": "car_alone"}] * 5
            + [{"home_postcode": "9903", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 3
            + [{"home_postcode": "9901", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 3)
    result = geo.enrich(_table(rows), workplaces=[WORKPLACE], postcodes=postcodes, area_level="postcode")
    # 9903 (3) and 9901 (3) are joined into one area of 6 (issue 18: joined, not dropped)
    assert result.areas.set_index("area")["n"].to_dict() == {"9902": 10, "9901+9903": 6}
    maps = result.draw_maps(result.as_dict(), lang="en")
    labels = " ".join(a.get_text() for a in maps["car_share"].axes[0].texts)
    # areas are named with their place names (issue 18: place names on the map)
    assert "9902 Åsen (n=10)" in labels and "9901 Dalby + 9903 Lia (n=6)" in labels


def test_enrich_for_project_builds_a_map(postcodes: pd.DataFrame, tmp_path: Path) -> None:
    rows = ([{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone", "distance_km": None}] * 5
            + [{"home_postcode": "9901", "mode_summer": "bike", "mode_winter": "car_alone", "distance_km": None}] * 5)
    project = SimpleNamespace(number="9999", workplaces=[SimpleNamespace(name="Rådhuset", lat=60.0, lon=9.0, postcode=None)],
                              geodata={"postcodes": DATA / "analysis_postcodes_bolstad.tsv"})
    result = geo.enrich_for_project(_table(rows), project=project, k=5, lang="nb")
    assert result.figure is not None
    assert result.counts["n_distance_estimated"] == 10


def test_one_area_is_no_map(postcodes: pd.DataFrame) -> None:
    # everyone in one postcode: a map would be a single dot, so none is drawn (issue 18)
    rows = [{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 8
    project = SimpleNamespace(number="9999", workplaces=[WORKPLACE], geodata={"postcodes": DATA / "analysis_postcodes_bolstad.tsv"})
    result = geo.enrich_for_project(_table(rows), project=project, k=5, lang="nn")
    assert len(geo.shown_areas(result.as_dict())) == 1
    assert result.figure is None
    assert result.draw_maps(result.as_dict(), lang="nn") == {}


# ----------------------------------------------------------------- real public files

def test_real_bolstad_list_and_2024_numbers() -> None:
    frame = geo.read_postcodes(_shared("postnummer_erikbolstad_2023.csv"))
    by_pc = frame.set_index("postcode")
    assert len(frame) > 5000
    assert by_pc.loc["3550", "municipality"] == "3041"  # 2020-2023 number in the file
    assert by_pc.loc["3550", "municipality_2024"] == "3324"  # Gol
    assert by_pc.loc["0001", "po_box"]


def test_real_municipalities_contain_their_postcode_points() -> None:
    municipalities = geo.read_municipalities(_shared("kommuner2024_S_robhop.geojson"))
    assert len(municipalities) == 357
    old = geo.read_municipalities(_shared("kommuner2020_small_robhop.json"))
    assert "0301" in set(old["municipality"])  # integer 301 padded
    postcodes = geo.read_postcodes(_shared("postnummer_erikbolstad_2023.csv"))
    gol = municipalities[municipalities["municipality"] == "3324"].geometry.iloc[0]
    point = postcodes.set_index("postcode").loc["3550"]
    assert gol.contains(Point(point["lon"], point["lat"]))


def test_real_estimate_gol_to_al_does_not_flag_the_road_distance() -> None:
    postcodes = geo.read_postcodes(_shared("postnummer_erikbolstad_2023.csv"))
    table = _table([
        {"home_postcode": "3570", "distance_km": None},   # Ål, distance to be estimated
        {"home_postcode": "3570", "distance_km": 24.0},   # about the road distance along Rv7
        {"home_postcode": "3570", "distance_km": 2.0},    # cannot be: Ål is in the next municipality
    ])
    result = geo.enrich(table, workplaces=[{"name": "Gol rådhus", "postcode": "3550"}], postcodes=postcodes)
    by_pc = postcodes.set_index("postcode")
    straight = float(geo.haversine_km(by_pc.loc["3570", "lat"], by_pc.loc["3570", "lon"],
                                      by_pc.loc["3550", "lat"], by_pc.loc["3550", "lon"]))
    assert 20 < straight < 25
    assert result.table["distance_km"].iloc[0] == pytest.approx(round(straight * 1.3, 1))
    assert result.issues["source_row"].tolist() == [13]


def test_geonorge_style_nested_geojson_with_name_lists(tmp_path: Path) -> None:
    import json

    square = [[[500000, 6700000], [510000, 6700000], [510000, 6710000], [500000, 6710000], [500000, 6700000]]]
    data = {
        "Kommunegrense": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": square[0]}, "properties": {}}]},
        "Kommune": {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:25833"}},
            "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
                          "properties": {"kommunenummer": "3324",
                                         "navn": [{"rekkefolge": "", "sprak": "nor", "navn": "Gol"}]}}],
        },
    }
    path = tmp_path / "Basisdata_Kommuner.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    read = geo.read_municipalities(path)
    assert read["municipality"].tolist() == ["3324"]
    assert read["name"].tolist() == ["Gol"]
    lon, lat = read.geometry.iloc[0].centroid.x, read.geometry.iloc[0].centroid.y
    assert 14.9 < lon < 15.2 and 60.3 < lat < 60.6  # reprojected from EPSG:25833 (central meridian 15° E)


def test_with_potential_fills_areas_and_draws_a_second_map(postcodes: pd.DataFrame) -> None:
    rows = ([{"home_postcode": "9902", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 6
            + [{"home_postcode": "9901", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 6)
    project = SimpleNamespace(number="9999", workplaces=[WORKPLACE], geodata={"postcodes": DATA / "analysis_postcodes_bolstad.tsv"})
    result = geo.enrich_for_project(_table(rows), project=project, k=5, lang="en")
    potential = pd.Series([1.0, 0.0, 0.0, 1.0, 1.0, 0.0] + [1.0] * 6, index=result.table.index)
    updated = result.with_potential(potential)
    assert updated.areas.set_index("area").loc["9902", "potential"] == pytest.approx(0.5)
    assert updated.potential_figure is not None
    assert updated.potential_figure.axes[0].get_title() == t("geo.map.title.potential", "en")
    assert result.areas["potential"].isna().all()  # the original is unchanged


def test_two_small_postcodes_are_one_area(postcodes: pd.DataFrame) -> None:
    # Two postcodes of 3 respondents each at the same point: joined into one area of 6 (issue 18;
    # before, they were hidden as postcodes and the auto level fell back to a grid cell).
    rows = [{"home_postcode": "9901"}] * 3 + [{"home_postcode": "9909"}] * 3
    table = _table([{**r, "mode_summer": "car_alone", "mode_winter": "car_alone"} for r in rows])
    by_postcode = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes, area_level="postcode").as_dict()
    assert [(a["area"], a["n"]) for a in by_postcode["areas"]] == [("9901+9909", 6)]
    auto = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes)
    assert auto.areas["level"].tolist() == ["postcode"] and auto.areas["n"].tolist() == [6]


def test_grid_cells_still_serve_when_asked(postcodes: pd.DataFrame) -> None:
    rows = [{"home_postcode": "9901"}] * 3 + [{"home_postcode": "9909"}] * 3
    table = _table([{**r, "mode_summer": "car_alone", "mode_winter": "car_alone"} for r in rows])
    grid = geo.enrich(table, workplaces=[WORKPLACE], postcodes=postcodes, area_level="grid")
    assert grid.areas["level"].tolist() == ["grid"] and grid.areas["n"].tolist() == [6]


def test_postcode_areas_from_geojson_become_interior_points(tmp_path: Path) -> None:
    areas = gpd.GeoDataFrame({"postnummer": ["9901", "9902"], "poststed": ["Dalby", "Åsen"]},
                             geometry=[box(8.95, 59.95, 9.05, 60.05), box(8.9, 60.05, 9.1, 60.15)], crs="EPSG:4326")
    path = tmp_path / "postnummeromrader.geojson"
    areas.to_file(path, driver="GeoJSON")
    frame = geo.read_postcodes(path).set_index("postcode")
    assert list(frame.index) == ["9901", "9902"]
    for pc, polygon in zip(["9901", "9902"], areas.geometry):
        assert polygon.contains(Point(frame.loc[pc, "lon"], frame.loc[pc, "lat"]))
    assert frame.loc["9902", "place"] == "Åsen"


def test_map_credits_kartverket_only_when_its_boundaries_are_drawn() -> None:
    areas = pd.DataFrame([{"area": "9902", "level": "postcode", "lat": 60.1, "lon": 9.0, "n": 8,
                           "car_share": 0.75, "potential": None}])
    municipalities = gpd.GeoDataFrame({"municipality": ["9999"], "name": ["Dalby"]},
                                      geometry=[box(8.8, 59.9, 9.4, 60.2)], crs="EPSG:4326")
    with_boundaries = geo.plot_home_area_map(areas, workplaces=[WORKPLACE], municipalities=municipalities, lang="en")
    without = geo.plot_home_area_map(areas, workplaces=[WORKPLACE], municipalities=None, lang="en")
    assert "Kartverket" in with_boundaries._supxlabel.get_text()
    assert "Kartverket" not in without._supxlabel.get_text() and "erikbolstad" in without._supxlabel.get_text()


def test_real_map_has_the_border_named_workplaces_places_and_a_legend_in_words() -> None:
    # (issue 18: maps that read as maps) the project names the Kartverket boundaries it has
    project = SimpleNamespace(number="3324", workplaces=[SimpleNamespace(name="Gol rådhus", lat=60.7026, lon=8.9424, postcode="3550")],
                              geodata={"postcodes": _shared("postnummer_erikbolstad_2023.csv"),
                                       "municipalities": _shared("kommuner2024_S_robhop.geojson")})
    rows = ([{"home_postcode": "3550", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 10
            + [{"home_postcode": "3540", "mode_summer": "bike", "mode_winter": "car_alone"}] * 6
            + [{"home_postcode": "3570", "mode_summer": "car_alone", "mode_winter": "car_alone"}] * 3)
    result = geo.enrich_for_project(_table(rows), project=project, k=5, lang="nn")
    # 3570 Ål (3) joins its nearest area, Gol (about 22 km away)
    assert result.areas.set_index("area")["n"].to_dict() == {"3550+3570": 13, "3540": 6}
    fig = result.figure
    assert fig is not None
    ax = fig.axes[0]
    texts = [a.get_text() for a in ax.texts]
    assert "Gol" in texts  # the municipality's name inside its border
    assert "Gol rådhus" in texts
    assert "3550 Gol + 3570 Ål (n=13)" in texts and "3540 Nesbyen (n=6)" in texts
    assert any(len(c.get_paths()) > 0 for c in ax.collections if c.get_array() is None)  # borders drawn
    legend = [label.get_text() for label in fig.axes[1].get_yticklabels()]
    assert legend == ["ingen (0 %)", "ein av fire", "halvparten", "tre av fire", "alle (100 %)"]
