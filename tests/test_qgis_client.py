"""The plan GeoPackage in the real QGIS 3.22 (PyQGIS), not only as XML.

The demo plan is run once for this module and written as the product writes it
(:func:`kotacerdas_gis.outputs.bundle.write_outputs`). ``tests/qgis_checker.py``
then opens every table of ``plan.gpkg`` with ``/usr/bin/python3`` (PyQGIS is not
in the virtual environment), renders hazard zones over village boundaries with
``QgsMapRendererParallelJob``, and prints what QGIS saw as JSON; the tests compare
that with pyogrio's reading of the file and with the palette of
:mod:`kotacerdas_gis.outputs.styles`.

Skips when ``/usr/bin/qgis`` or PyQGIS is missing, unless ``CI=true`` (then fails).
Install: ``apt-get install -y --no-install-recommends qgis python3-qgis``.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import skip_or_fail

import geopandas as gpd
import pyogrio
from shapely.geometry import box

from kotacerdas_gis.io.gpkg import LAYER_STYLES_TABLE, gpkg_version
from kotacerdas_gis.outputs.styles import hex_to_rgba, layer_style

pytestmark = pytest.mark.qgis

QGIS_BIN = Path("/usr/bin/qgis")
SYSTEM_PYTHON = Path("/usr/bin/python3")
CHECKER = Path(__file__).with_name("qgis_checker.py")
WORKING_CRS = "EPSG:32751"
RENDER_SIZE = (800, 600)

#: Classified layers and the column QGIS must classify them on.
CLASSIFIED = {
    "hazard_zones": "hazard_class",
    "impact_buildings": "hazard_class",
    "impact_roads": "hazard_class",
    "impact_facilities": "hazard_class",
    "roads": "road_class",
    "buildings": "exposure_class",
    "facilities": "exposure_class",
    "observed_flood_2020": "material",
    "service_points": "kind",
    "sensor_sites": "kind",
}


def _qgis_env(runtime_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=runtime_dir)
    return env


def _require_qgis() -> None:
    if not QGIS_BIN.exists():
        skip_or_fail(
            f"{QGIS_BIN} not found: install QGIS "
            "(apt-get install -y --no-install-recommends qgis python3-qgis)"
        )
    if not SYSTEM_PYTHON.exists():
        skip_or_fail(f"{SYSTEM_PYTHON} not found: PyQGIS runs only with the system Python")
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import qgis.core"],
        capture_output=True,
        text=True,
        env=_qgis_env(tempfile.mkdtemp(prefix="xdg-")),
        timeout=60,
    )
    if probe.returncode != 0:
        skip_or_fail(
            f"PyQGIS not importable by {SYSTEM_PYTHON} (apt-get install python3-qgis): "
            f"{probe.stderr.strip()[-300:]}"
        )


@pytest.fixture(scope="module")
def plan_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``plan.gpkg`` of the demo plan, written by the product's own ``write_outputs``."""
    _require_qgis()
    from kotacerdas_gis.datasets import load_demo
    from kotacerdas_gis.outputs.bundle import write_outputs
    from kotacerdas_gis.plan import PlanConfig, run_plan

    out = tmp_path_factory.mktemp("plan")
    with warnings.catch_warnings():  # the demo's repair warnings are tested elsewhere
        warnings.simplefilter("ignore")
        result = run_plan(load_demo(), PlanConfig())
    write_outputs(result, out)
    return out / "plan.gpkg"


@pytest.fixture(scope="module")
def gpkg_v14(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write a GeoPackage 1.4 (GDAL 3.12's default), which QGIS 3.22's GDAL warns about."""
    path = tmp_path_factory.mktemp("v14") / "v14.gpkg"
    zones = gpd.GeoDataFrame(
        {"hazard_class": ["high"]}, geometry=[box(0, 0, 10, 10)], crs=WORKING_CRS
    )
    pyogrio.write_dataframe(zones, path, layer="hazard_zones", VERSION="1.4")
    assert gpkg_version(path) == (1, 4)
    return path


@pytest.fixture(scope="module")
def qgis(plan_gpkg: Path, gpkg_v14: Path) -> dict[str, Any]:
    """Run ``qgis_checker.py`` once over both files, plus a render: what QGIS saw."""
    runtime = tempfile.mkdtemp(prefix="xdg-")
    os.chmod(runtime, 0o700)
    png = plan_gpkg.with_name("hazard_over_desa.png")
    colours = [blend_on_white("hazard_zones", c) for c in ("high", "medium", "low")]
    cmd = [
        str(SYSTEM_PYTHON),
        str(CHECKER),
        "--gpkg", str(plan_gpkg),
        "--gpkg", str(gpkg_v14),
        "--render", str(png),
        "--render-gpkg", str(plan_gpkg),
        "--render-layers", "admin_desa,hazard_zones",  # first on top: lines over fills
        "--extent-layer", "hazard_zones",
        "--size", "x".join(str(v) for v in RENDER_SIZE),
        "--tolerance", "3",
    ]  # fmt: skip
    for c in colours:
        cmd += ["--count-colour", c]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_qgis_env(runtime), timeout=180)
    assert proc.returncode == 0, (
        f"qgis_checker.py exited with {proc.returncode} (139 is a segfault at exitQgis: a "
        f"layer outlived the application); stderr:\n{proc.stderr[-2000:]}"
    )
    report = json.loads(proc.stdout)
    report["png"] = str(png)
    report["plan"] = report["files"][str(plan_gpkg)]
    report["v14"] = report["files"][str(gpkg_v14)]
    print(f"QGIS {report['qgis_version']} rendered {png}", file=sys.stderr)
    return report


def blend_on_white(layer: str, value: str) -> str:
    """Return the ``#RRGGBB`` a class of a filled layer shows over a white background."""
    style = layer_style(layer)
    cs = style.class_style(value)
    assert cs is not None
    *rgb, alpha = hex_to_rgba(cs.colour, style.fill_opacity)
    a = alpha / 255
    out = [round(c * a + 255 * (1 - a)) for c in rgb]
    return "#" + "".join(f"{v:02X}" for v in out)


def _pyogrio_tables(path: Path) -> dict[str, str | None]:
    return {
        str(n): (None if g is None else str(g))
        for n, g in pyogrio.list_layers(path)
        if str(n) != LAYER_STYLES_TABLE
    }


# --- loading ---------------------------------------------------------------------------------


def test_qgis_lists_every_table_of_the_geopackage(plan_gpkg: Path, qgis: dict[str, Any]) -> None:
    assert qgis["qgis_version"].startswith("3.")
    assert set(qgis["plan"]["tables"]) == set(_pyogrio_tables(plan_gpkg))


def test_every_spatial_layer_loads_valid_with_counts_and_crs(
    plan_gpkg: Path, qgis: dict[str, Any]
) -> None:
    spatial = {n for n, g in _pyogrio_tables(plan_gpkg).items() if g is not None}
    assert {"hazard_zones", "impact_buildings", "roads", "buildings", "admin_desa"} <= spatial
    seen = qgis["plan"]["layers"]
    for name in sorted(spatial):
        info = seen[name]
        expected = pyogrio.read_info(plan_gpkg, layer=name)["features"]
        assert info["valid"], name
        assert info["provider"] == "ogr", name
        assert info["spatial"], name
        assert info["feature_count"] == expected, name
        assert info["crs"] == WORKING_CRS, name


def test_attribute_tables_load_as_non_spatial_layers(plan_gpkg: Path, qgis: dict[str, Any]) -> None:
    tables = {n for n, g in _pyogrio_tables(plan_gpkg).items() if g is None}
    assert "analysis_summary" in tables
    for name in sorted(tables):
        info = qgis["plan"]["layers"][name]
        assert info["valid"], name
        assert not info["spatial"], name
        assert info["geometry_type"] == "NoGeometry", name
        assert info["feature_count"] == pyogrio.read_info(plan_gpkg, layer=name)["features"]
        assert info["renderer"] is None


def test_no_geopackage_version_warning(plan_gpkg: Path, qgis: dict[str, Any]) -> None:
    assert gpkg_version(plan_gpkg) == (1, 2)
    texts = [m["text"] for m in qgis["plan"]["messages"]]
    assert not [t for t in texts if "version" in t.lower() or "geopackage" in t.lower()], texts
    # the check can fail: a 1.4 file makes QGIS's GDAL warn
    warned = [m["text"] for m in qgis["v14"]["messages"] if "user_version" in m["text"]]
    assert warned and "may only be partially supported" in warned[0]


# --- default styles from layer_styles --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLASSIFIED))
def test_default_style_is_categorized_with_the_palette(
    name: str, plan_gpkg: Path, qgis: dict[str, Any]
) -> None:
    info = qgis["plan"]["layers"][name]
    column = CLASSIFIED[name]
    # applied by QGIS from layer_styles, not a style of its own
    assert info["db_styles"][:1] == [name]
    assert info["renderer"] == "categorizedSymbol"
    assert info["attr"] == column
    style = layer_style(name)
    geom = str(pyogrio.read_info(plan_gpkg, layer=name)["geometry_type"])
    filled = not geom.endswith("LineString")
    data = pyogrio.read_dataframe(plan_gpkg, layer=name, columns=[column], read_geometry=False)
    counts = data[column].value_counts().to_dict()

    cats = {c["value"]: c for c in info["categories"]}
    assert set(counts) <= set(cats), f"classes without a category: {set(counts) - set(cats)}"
    for value, cat in cats.items():
        assert cat["render"]
        if value == "":  # QGIS's "all other values" category
            assert cat["features"] == 0
            continue
        cs = style.class_style(value)
        assert cs is not None, f"{name}: category {value!r} not in the palette"
        assert cat["colour"] == cs.colour.upper(), value
        if filled:
            assert cat["alpha"] == round(style.fill_opacity * 255), value
        # QGIS itself puts each feature into the category of its value
        assert cat["features"] == counts[value], value
    assert info["unmatched_features"] == 0


def test_hazard_high_is_the_petabencana_red(qgis: dict[str, Any]) -> None:
    cats = {c["value"]: c for c in qgis["plan"]["layers"]["hazard_zones"]["categories"]}
    assert cats["high"]["colour"] == "#F03B20"
    assert cats["medium"]["colour"] == "#FEB24C"
    assert cats["high"]["label"] == "Tinggi"  # the demo plan is in Bahasa Indonesia


def test_single_symbol_layers_keep_their_colour(plan_gpkg: Path, qgis: dict[str, Any]) -> None:
    layers = qgis["plan"]["layers"]
    single = [n for n, i in layers.items() if i["spatial"] and n not in CLASSIFIED]
    assert {"admin_desa", "rivers"} <= set(single)
    for name in single:
        assert layers[name]["db_styles"][:1] == [name]
        assert layers[name]["renderer"] == "singleSymbol", name
        assert layers[name]["symbol_colour"] == layer_style(name).colour.upper(), name


# --- rendering -------------------------------------------------------------------------------


def test_render_hazard_zones_over_villages(qgis: dict[str, Any]) -> None:
    render = qgis["render"]
    assert "error" not in render, render
    assert render["errors"] == []
    png = Path(qgis["png"])
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == RENDER_SIZE
    total = RENDER_SIZE[0] * RENDER_SIZE[1]
    # not blank: zones and boundaries cover a few per cent, in many shades (anti-aliasing)
    assert render["non_background"] > 0.01 * total
    assert render["distinct_colours"] > 50
    counts = render["colour_counts"]
    high = blend_on_white("hazard_zones", "high")
    assert high == "#F03B20"  # opaque zones (issue 13): the swatch itself
    for cls in ("high", "medium", "low"):
        assert counts[blend_on_white("hazard_zones", cls)] > 100, (cls, counts)
