"""project.qgz: written without QGIS, then opened, rendered and exported by the real QGIS 3.22.

The XML tests run everywhere; the ``qgis`` tests run ``tests/qgis_project_checker.py`` with
``/usr/bin/python3`` (PyQGIS) over the demo's outputs, written by ``write_outputs``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_qgis_client import CHECKER, SYSTEM_PYTHON, _qgis_env, _require_qgis

import geopandas as gpd
import pyogrio
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.outputs.qgis_project import (
    LEGEND_LAYERS,
    SUBSETS,
    project_xml,
    write_qgis_project,
)
from kotacerdas_gis.outputs.styles import hex_to_rgba, hidden_layers, layer_style

PROJECT_CHECKER = CHECKER.with_name("qgis_project_checker.py")
XSS = "<img src=x onerror=alert(1)>"
CRS = "EPSG:32751"
X0, Y0 = 203080.0, 9717839.0


def _layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "admin_desa": gpd.GeoDataFrame(
            {"admin_code": ["1"], "admin_name": [XSS]},
            geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=CRS),
        "hazard_zones": gpd.GeoDataFrame(
            {"hazard_class": ["high"]}, geometry=[box(X0, Y0, X0 + 500, Y0 + 500)], crs=CRS),
        "rivers": gpd.GeoDataFrame(
            {"name": ["Sungai Masamba"]},
            geometry=[LineString([(X0, Y0), (X0 + 1000, Y0 + 900)])], crs=CRS),
        "sensor_sites": gpd.GeoDataFrame(
            {"site_id": ["WL-01"], "kind": ["water_level"]},
            geometry=[Point(X0 + 300, Y0 + 300)], crs=CRS),
    }


def _qgs(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["project.qgs"]
        return ET.fromstring(zf.read("project.qgs"))


def test_project_groups_order_relative_paths_and_labels(tmp_path: Path) -> None:
    out = write_qgis_project(_layers(), tmp_path / "plan.gpkg", tmp_path / "project.qgz",
                             title=f"Peta {XSS}", note="Data demonstrasi")
    root = _qgs(out)
    groups = [g.get("name") for g in root.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["Batas", "Bahaya", "Rekomendasi"]
    bahaya = root.find("layer-tree-group").findall("layer-tree-group")[1]
    # rivers above the zones, as on the web map
    assert [n.get("source") for n in bahaya.findall("layer-tree-layer")] == [
        "./plan.gpkg|layername=rivers", "./plan.gpkg|layername=hazard_zones"]
    assert {m.findtext("datasource") for m in root.iter("maplayer")} == {
        f"./plan.gpkg|layername={n}" for n in _layers()}
    assert root.find("properties/Paths/Absolute").text == "false"
    labelled = {m.findtext("datasource").split("=")[-1]: m.find("labeling/settings/text-style")
                for m in root.iter("maplayer") if m.get("labelsEnabled") == "1"}
    assert {k: v.get("fieldName") for k, v in labelled.items()} == {
        "admin_desa": "admin_name", "rivers": "name", "sensor_sites": "site_id"}
    assert all(v.get("allowHtml") == "0" for v in labelled.values())  # names stay text
    # the zones' default style: the palette's colour of the class
    zones = next(m for m in root.iter("maplayer") if m.findtext("id").startswith("hazard_zones"))
    assert zones.find("renderer-v2").get("attr") == "hazard_class"
    red = ",".join(map(str, hex_to_rgba(layer_style("hazard_zones").class_style("high").colour,
                                        layer_style("hazard_zones").fill_opacity)))
    assert red in ET.tostring(zones, encoding="unicode")
    text = zipfile.ZipFile(out).read("project.qgs").decode()
    assert XSS not in text and "Peta &lt;img src=x onerror=alert(1)&gt;" in text
    assert str(tmp_path) not in text  # no absolute path of this machine


def test_print_layout_has_map_title_legend_scale_north_and_note(tmp_path: Path) -> None:
    root = _qgs(write_qgis_project(_layers(), tmp_path / "plan.gpkg",
                                   tmp_path / "project.qgz", title="Masamba", lang="en",
                                   note="Demonstration data"))
    layout = root.find("Layouts/Layout")
    assert layout.get("name") == "A3 map"
    types = [i.get("type") for i in layout.iter("LayoutItem")]
    # page, map, 3 labels (title, subtitle, note), legend, scale bar, north arrow
    assert sorted(types) == sorted(["65638", "65639", "65641", "65641", "65641", "65642",
                                    "65646", "65640"])
    page = next(i for i in layout.iter("LayoutItem") if i.get("type") == "65638")
    assert page.get("size") == "420,297,mm"
    labels = [i.get("labelText") for i in layout.iter("LayoutItem") if i.get("type") == "65641"]
    assert labels[0] == "Masamba" and any("Demonstration data" in t for t in labels)
    bar = next(i for i in layout.iter("LayoutItem") if i.get("type") == "65646")
    assert bar.get("unitType") == "km"
    legend = next(i for i in layout.iter("LayoutItem") if i.get("type") == "65642")
    names = [n.get("source").split("=")[-1] for n in legend.iter("layer-tree-layer")]
    assert names and set(names) <= set(LEGEND_LAYERS) and "admin_desa" not in names


def test_project_needs_a_spatial_layer_and_writes_atomically(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no spatial layer"):
        project_xml({}, "./plan.gpkg", title="t")
    target = tmp_path / "project.qgz"
    target.write_bytes(b"old")
    with pytest.raises(ValueError):
        write_qgis_project({}, tmp_path / "plan.gpkg", target, title="t")
    assert target.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["project.qgz"]


# ------------------------------------------------------------------------- in the real QGIS


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_qgis()
    import kotacerdas_gis as kc
    from kotacerdas_gis.outputs.bundle import write_outputs

    out = tmp_path_factory.mktemp("qgz") / "masamba"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(kc.load_demo(), kc.PlanConfig(focus_area="Masamba"))
    write_outputs(result, out)
    return out


def _blend(colour: str, alpha: float) -> str:
    r, g, b, _ = hex_to_rgba(colour, 1.0)
    mix = [round(c * alpha + 255 * (1 - alpha)) for c in (r, g, b)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


@pytest.fixture(scope="module")
def qgis_project(demo_outputs: Path) -> dict[str, Any]:
    style = layer_style("hazard_zones")
    swatches = {c.key: _blend(c.colour, style.fill_opacity) for c in style.classes
                if c.key in ("high", "medium", "low")}
    runtime = tempfile.mkdtemp(prefix="xdg-")
    os.chmod(runtime, 0o700)
    # open the project from a copy of the folder elsewhere: the paths inside are relative
    moved = Path(tempfile.mkdtemp(prefix="moved-")) / "plan"
    moved.mkdir()
    for name in ("plan.gpkg", "project.qgz"):
        (moved / name).write_bytes((demo_outputs / name).read_bytes())
    args = [str(SYSTEM_PYTHON), str(PROJECT_CHECKER), str(moved / "project.qgz"), str(moved)]
    for c in swatches.values():
        args += ["--colour", c]
    proc = subprocess.run(args, capture_output=True, text=True, env=_qgis_env(runtime),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["swatches"] = swatches
    data["dir"] = str(moved)
    return data


@pytest.mark.qgis
def test_qgis_opens_the_project_with_groups_labels_and_valid_layers(
        qgis_project: dict[str, Any], demo_outputs: Path) -> None:
    q = qgis_project
    assert q["read"] is True and q["crs"] == "EPSG:32751"
    assert [g["name"] for g in q["groups"]] == ["Batas", "Bahaya", "Keterpaparan", "Akses",
                                                "Rekomendasi"]
    gpkg_layers = {n for n, g in pyogrio.list_layers(demo_outputs / "plan.gpkg") if g}
    sources = {v["source"].split("layername=")[-1].split("|")[0]: v
               for v in q["layers"].values()}
    assert set(sources) == gpkg_layers
    assert all(v["valid"] and v["source"].startswith(q["dir"]) for v in sources.values())
    for name in sources:
        if name in SUBSETS:
            continue
        assert sources[name]["feature_count"] == pyogrio.read_info(
            demo_outputs / "plan.gpkg", layer=name)["features"], name
    # filtered as on the web map: the top 20 priorities, the new service points
    sp = pyogrio.read_dataframe(demo_outputs / "plan.gpkg", layer="service_points",
                                read_geometry=False)
    assert sources["rebuild_priorities"]["feature_count"] == 20
    assert sources["service_points"]["feature_count"] == int((~sp["existing"]).sum())
    assert sources["admin_desa"]["label_field"] == "admin_name"
    assert sources["admin_kecamatan"]["label_field"] == "admin_name"
    assert sources["facilities"]["label_field"] == "name"
    assert sources["hazard_zones"]["renderer"] == "categorizedSymbol"
    # switched off when the project opens: the layers styles.py marks hidden in the project
    layer_of = {i: v["source"].split("layername=")[-1].split("|")[0]
                for i, v in q["layers"].items()}
    checked = {layer_of[n["id"]]: n["checked"] for g in q["groups"] for n in g["layers"]}
    assert set(checked) == gpkg_layers
    assert {k for k, on in checked.items() if not on} == gpkg_layers & set(
        hidden_layers("project"))
    assert {"observed_flood_2020", "buildings"} <= {k for k, on in checked.items() if not on}


@pytest.mark.qgis
def test_qgis_renders_the_project_with_the_zones_colours(qgis_project: dict[str, Any]) -> None:
    r = qgis_project["render"]
    assert r["errors"] == [] and r["non_background"] > 10_000
    counts = r["colour_counts"]
    present = [c for c, n in counts.items() if n >= 20]
    assert len(present) >= 2 and sum(counts.values()) >= 300, (counts, qgis_project["swatches"])


@pytest.mark.qgis
def test_qgis_exports_the_print_layout(qgis_project: dict[str, Any]) -> None:
    (layout,) = qgis_project["layouts"]
    assert layout["name"] == "Peta A3" and layout["page_mm"] == [420.0, 297.0]
    assert layout["items"] == {"map": 1, "legend": 1, "scalebar": 1, "picture": 1, "label": 3}
    assert any("bukan data resmi" in t for t in layout["labels"])
    assert layout["scalebar_units"] == "km"
    assert "Zona bahaya banjir" in layout["legend_layers"]
    assert layout["pdf"]["result"] == 0 and layout["pdf"]["size"] > 50_000
    assert Path(layout["pdf"]["path"]).read_bytes()[:5] == b"%PDF-"
    assert layout["png"]["result"] == 0 and layout["png"]["non_background"] > 10_000
    assert sum(layout["png"]["colour_counts"].values()) > 100


@pytest.mark.qgis
def test_counts_are_integers_in_the_geopackage(demo_outputs: Path) -> None:
    info = pyogrio.read_info(demo_outputs / "plan.gpkg", layer="aggregation_summary")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["buildings_high"] == "int64" and types["facilities_total"] == "int64"
    assert types["total_affected"] == "float64"  # an estimate of people, not a count
