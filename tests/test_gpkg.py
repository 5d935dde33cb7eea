"""Tests of the GeoPackage writer (io.gpkg) and the QML styles (outputs.qgis)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import CRSMismatchError, DataError, SchemaError
from kotacerdas_gis.io.gpkg import gpkg_version, read_layer_styles, write_geopackage
from kotacerdas_gis.outputs import styles
from kotacerdas_gis.outputs.qgis import qml_for_layer, qml_styles

X0, Y0 = 203080.0, 9717839.0
CRS = "EPSG:32751"
QGIS_STYLE_COLUMNS = [
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
]


def make_layers() -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [1, 2, 3],
            "hazard_class": ["high", "medium", "low"],
            "class_rank": [3, 2, 1],
            "depth_min_m": [1.5, 0.7, 0.1],
        },
        geometry=[box(X0 + i * 30, Y0, X0 + 30 + i * 30, Y0 + 30) for i in range(3)],
        crs=CRS,
    )
    buildings = gpd.GeoDataFrame(
        {"asset_id": ["B1", "B2"], "exposure_class": ["residential", "health"]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 8), box(X0 + 40, Y0, X0 + 52, Y0 + 9)],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        {"asset_id": ["R1"], "road_class": ["primary"], "bridge": [True]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0 + 5)])],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"name": ["RSUD Andi Djemma"], "exposure_class": ["health"], "capacity_persons": [np.nan]},
        geometry=[Point(X0 + 5, Y0 + 5)],
        crs=CRS,
    )
    summary = pd.DataFrame({"admin_code": ["73.22.03.2001"], "total_affected": [1234]})
    empty = gpd.GeoDataFrame(
        {"asset_id": pd.Series([], dtype=object), "hazard_class": pd.Series([], dtype=object)},
        geometry=gpd.GeoSeries([], crs=CRS),
        crs=CRS,
    )
    return {
        "hazard_zones": zones,
        "buildings": buildings,
        "roads": roads,
        "facilities": facilities,
        "aggregation_summary": summary,
        "impact_buildings": empty,
    }


# --------------------------------------------------------------------------- GeoPackage


def test_round_trip_layers_counts_crs_and_version(tmp_path: Path) -> None:
    layers = make_layers()
    path = write_geopackage(layers, tmp_path / "plan.gpkg")
    listed = {str(n): (None if t is None else str(t)) for n, t in pyogrio.list_layers(path)}
    assert listed == {
        "hazard_zones": "Polygon",
        "buildings": "Polygon",
        "roads": "LineString",
        "facilities": "Point",
        "aggregation_summary": None,
        "impact_buildings": "MultiPolygon",
    }
    for name, df in layers.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == len(df)
        if isinstance(df, gpd.GeoDataFrame):
            assert info["crs"] == "EPSG:32751"
            assert info["geometry_name"] == "geom"
    back = pyogrio.read_dataframe(path, layer="hazard_zones")
    assert back.geometry.geom_equals(layers["hazard_zones"].geometry).all()
    assert back["hazard_class"].tolist() == ["high", "medium", "low"]
    table = pyogrio.read_dataframe(path, layer="aggregation_summary", read_geometry=False)
    assert table["total_affected"].tolist() == [1234]
    assert list(pyogrio.read_info(path, layer="impact_buildings")["fields"]) == [
        "asset_id",
        "hazard_class",
    ]
    assert gpkg_version(path) == (1, 2)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_layer_styles_table_has_qgis_columns_and_one_default_per_layer(tmp_path: Path) -> None:
    layers = make_layers()
    qmls = qml_styles(layers, lang="id")
    assert set(qmls) == {"hazard_zones", "buildings", "roads", "facilities", "impact_buildings"}
    path = write_geopackage(layers, tmp_path / "plan.gpkg", styles=qmls)
    ls = read_layer_styles(path)
    assert list(ls.columns) == QGIS_STYLE_COLUMNS
    assert sorted(ls["f_table_name"]) == sorted(qmls)
    assert ls["useAsDefault"].tolist() == [True] * len(qmls)
    assert set(ls["f_geometry_column"]) == {"geom"}
    assert str(ls["update_time"].dt.tz) == "UTC"
    for name, qml in zip(ls["f_table_name"], ls["styleQML"], strict=True):
        assert qml == qmls[name]
        ET.fromstring(qml)
    con = sqlite3.connect(path)
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name='layer_styles'").fetchone()[0]
    con.close()
    assert '"useAsDefault" BOOLEAN' in ddl and '"update_time" DATETIME' in ddl


def test_failed_write_leaves_earlier_file_and_no_temp_file(tmp_path: Path) -> None:
    path = write_geopackage(make_layers(), tmp_path / "plan.gpkg")
    before = path.read_bytes()
    bad = make_layers()
    bad["roads"] = bad["roads"].assign(unsupported=[1 + 2j])  # GDAL has no complex field type
    with pytest.raises(DataError, match="roads"):
        write_geopackage(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_names_styles_and_crs_are_checked_up_front(tmp_path: Path) -> None:
    layers = make_layers()
    with pytest.raises(SchemaError, match="reserved"):
        write_geopackage({"layer_styles": layers["roads"]}, tmp_path / "a.gpkg")
    with pytest.raises(SchemaError, match="letters, digits"):
        write_geopackage({"bad name": layers["roads"]}, tmp_path / "a.gpkg")
    with pytest.raises(SchemaError, match="aggregation_summary"):
        write_geopackage(layers, tmp_path / "a.gpkg", styles={"aggregation_summary": "<qgis/>"})
    other = layers["roads"].to_crs("EPSG:32750")
    with pytest.raises(CRSMismatchError, match="roads"):
        write_geopackage({"buildings": layers["buildings"], "roads": other}, tmp_path / "a.gpkg")
    with pytest.raises(DataError, match=".gpkg"):
        write_geopackage(layers, tmp_path / "a.sqlite")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_not_appended(tmp_path: Path) -> None:
    layers = make_layers()
    path = write_geopackage(layers, tmp_path / "plan.gpkg")
    write_geopackage({"roads": layers["roads"]}, path)
    assert [str(n) for n in pyogrio.list_layers(path)[:, 0]] == ["roads"]


# --------------------------------------------------------------------------- QML


def _category_colours(qml: str) -> dict[str, str]:
    root = ET.fromstring(qml)
    symbols = {s.get("name"): s for s in root.find("renderer-v2/symbols")}
    out = {}
    for cat in root.iter("category"):
        layer = symbols[cat.get("symbol")].find("layer")
        opts = {o.get("name"): o.get("value") for o in layer.find("Option")}
        props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        assert opts == props  # QGIS 3.22 reads <prop>, later versions <Option>
        out[cat.get("value")] = opts.get("color") or opts.get("line_color")
    return out


def test_hazard_qml_is_categorised_with_the_palette() -> None:
    qml = qml_for_layer("hazard_zones", make_layers()["hazard_zones"], lang="id")
    assert qml.startswith("<!DOCTYPE qgis")
    root = ET.fromstring(qml)
    r = root.find("renderer-v2")
    assert (r.get("type"), r.get("attr")) == ("categorizedSymbol", "hazard_class")
    assert root.find("layerGeometryType").text == "2"
    colours = _category_colours(qml)
    alpha = round(styles.layer_style("hazard_zones").fill_opacity * 255)
    assert colours == {
        "high": f"240,59,32,{alpha}",
        "medium": f"254,178,76,{alpha}",
        "low": f"255,255,178,{alpha}",
        "": f"189,189,189,{alpha}",
    }
    assert [c.get("label") for c in root.iter("category")] == [
        "Tinggi",
        "Sedang",
        "Rendah",
        "Nilai lainnya",
    ]


@pytest.mark.parametrize(
    ("name", "attr", "geom_code", "klass"),
    [
        ("buildings", "exposure_class", "2", "SimpleFill"),
        ("impact_buildings", "hazard_class", "2", "SimpleFill"),
        ("roads", "road_class", "1", "SimpleLine"),
        ("facilities", "exposure_class", "0", "SimpleMarker"),
    ],
)
def test_classified_layers(name: str, attr: str, geom_code: str, klass: str) -> None:
    layers = make_layers()
    gdf = layers[name] if name != "impact_buildings" else layers["buildings"].copy()
    if name == "impact_buildings":
        gdf["hazard_class"] = "high"
    root = ET.fromstring(qml_for_layer(name, gdf, lang="en"))
    r = root.find("renderer-v2")
    assert (r.get("type"), r.get("attr")) == ("categorizedSymbol", attr)
    assert root.find("layerGeometryType").text == geom_code
    assert {lyr.get("class") for lyr in root.iter("layer")} == {klass}


def test_road_and_building_colours_agree_with_the_web_palette() -> None:
    layers = make_layers()
    roads = _category_colours(qml_for_layer("roads", layers["roads"]))
    assert roads["primary"] == "227,74,51,255"  # #E34A33
    bld = _category_colours(qml_for_layer("buildings", layers["buildings"]))
    assert bld["health"].startswith("227,26,28,")  # #E31A1C


@pytest.mark.parametrize(
    ("name", "geom", "klass", "colour_key", "colour"),
    [
        ("admin_kecamatan", box(0, 0, 10, 10), "SimpleFill", "outline_color", "37,37,37,255"),
        ("rivers", LineString([(0, 0), (5, 5)]), "SimpleLine", "line_color", "43,140,190,255"),
        ("sensor_sites", Point(0, 0), "SimpleMarker", "color", "106,61,154,255"),
    ],
)
def test_single_symbol_layers(name: str, geom, klass: str, colour_key: str, colour: str) -> None:
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[geom], crs=CRS)
    root = ET.fromstring(qml_for_layer(name, gdf))
    assert root.find("renderer-v2").get("type") == "singleSymbol"
    layer = root.find("renderer-v2/symbols/symbol/layer")
    assert layer.get("class") == klass
    opts = {o.get("name"): o.get("value") for o in layer.find("Option")}
    assert opts[colour_key] == colour
    if name == "admin_kecamatan":
        assert opts["style"] == "no"  # outline only


def test_qml_rejects_tables_and_escapes_labels() -> None:
    with pytest.raises(SchemaError, match="attribute"):
        qml_for_layer("aggregation_summary", pd.DataFrame({"a": [1]}))
    zones = make_layers()["hazard_zones"].assign(label_en=['<High & "deep">', "M", "L"])
    root = ET.fromstring(qml_for_layer("hazard_zones", zones, lang="en"))
    assert next(root.iter("category")).get("label") == '<High & "deep">'
