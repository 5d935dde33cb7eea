"""One working-CRS policy: the manifest's CRS, or the UTM zone of the study boundary.

Hints name the zone computed for the caller's own data, so a study area outside
Luwu Utara is never told to use EPSG:32751.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geopandas as gpd
from shapely.geometry import Point, box

import kotacerdas_gis as kc
from kotacerdas_gis.crs import require_metric, require_same_crs, suggest_crs_fix

# Jakarta lies in UTM zone 48S (102-108 E): EPSG:32748
JAKARTA = box(106.70, -6.35, 106.95, -6.10)


def test_require_metric_names_the_zone_of_the_data() -> None:
    gdf = gpd.GeoDataFrame({"name": ["DKI"]}, geometry=[JAKARTA], crs="EPSG:4326")
    with pytest.raises(kc.CRSError) as err:
        require_metric(gdf, name="batas")
    msg = str(err.value)
    assert "EPSG:32748" in msg and "UTM zone 48S" in msg
    assert "32751" not in msg


def test_luwu_utara_still_gets_51s() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(120.33, -2.55)], crs="EPSG:4326")
    assert "EPSG:32751" in suggest_crs_fix(gdf)


def test_mismatch_hint_names_the_first_layers_crs() -> None:
    a = gpd.GeoDataFrame(geometry=[Point(700000, 9300000)], crs=32748)
    b = gpd.GeoDataFrame(geometry=[Point(700000, 9300000)], crs=32749)
    with pytest.raises(kc.CRSMismatchError, match=r'to_crs\("EPSG:32748"\)'):
        require_same_crs(buildings=a, zones=b)


def test_no_crs_at_all_gets_generic_advice() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(kc.CRSError, match="estimate_working_crs"):
        require_metric(gdf, name="x")


def test_manifest_without_crs_takes_the_boundarys_utm_zone(tmp_path: Path) -> None:
    kab = gpd.GeoDataFrame({"admin_code": ["31.71"], "admin_name": ["Jakarta Selatan"],
                            "admin_level": ["kabupaten"], "parent_code": [None]},
                           geometry=[JAKARTA], crs="EPSG:4326")
    kab.to_file(tmp_path / "kab.geojson")
    manifest = {"name": "Jakarta", "layers": {"admin_kabupaten": {"path": "kab.geojson"}}}
    (tmp_path / "scenario.json").write_text(json.dumps(manifest))
    sc = kc.read_scenario(tmp_path / "scenario.json")
    assert sc.crs.to_epsg() == 32748
    assert sc.admin_kabupaten.crs.to_epsg() == 32748
    notes = [n for s in sc.ledger.to_records() if s["step"] == "working CRS" for n in s["notes"]]
    assert notes and "EPSG:32748" in notes[0] and "admin_kabupaten" in notes[0]


def test_manifest_crs_wins(tmp_path: Path) -> None:
    kab = gpd.GeoDataFrame({"admin_code": ["31.71"], "admin_name": ["Jakarta Selatan"],
                            "admin_level": ["kabupaten"], "parent_code": [None]},
                           geometry=[JAKARTA], crs="EPSG:4326")
    kab.to_file(tmp_path / "kab.geojson")
    manifest = {"name": "Jakarta", "crs": "EPSG:23833",
                "layers": {"admin_kabupaten": {"path": "kab.geojson"}}}
    (tmp_path / "scenario.json").write_text(json.dumps(manifest))
    assert kc.read_scenario(tmp_path / "scenario.json").crs.to_epsg() == 23833


def test_no_hard_coded_luwu_utara_crs_in_the_code() -> None:
    """EPSG:32751 appears only as the bundled scenario's choice (and in docs/examples)."""
    import ast

    src = Path(kc.__file__).parent
    hits = []
    for path in src.rglob("*.py"):
        if path.name in ("testing.py", "conftest.py"):  # test builders live in EPSG:32751
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in (32751, "EPSG:32751"):
                hits.append(f"{path.relative_to(src)}:{node.lineno}")
    assert hits == ["crs.py:" + str(_luwu_line(src / "crs.py"))], hits


def _luwu_line(path: Path) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("LUWU_UTARA_CRS"):
            return i
    raise AssertionError("LUWU_UTARA_CRS is gone")
