"""The bundled Masamba scenario: reproducible byte for byte, and sane.

The data under ``data/`` is a synthetic reconstruction written by
``scripts/make_masamba_data.py``. These tests regenerate it into a temporary folder and compare
every file's sha256 with the bundled one, then check the numbers that the rest of the package
relies on.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

import geopandas as gpd
import pyflwdir
import rasterio
import shapely
from shapely.geometry import Point

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SCRIPT = REPO / "scripts" / "make_masamba_data.py"
TOWN = Point(203_080.0, 9_717_839.0)
KECAMATAN_CODES = [f"73.22.{i:02d}" for i in range(1, 16)]
LAYER_KEYS = {"admin_kabupaten", "admin_kecamatan", "admin_desa", "rivers", "roads", "bridges",
              "buildings", "facilities", "observed_flood_2020", "dem", "population"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bundled_files() -> dict[str, str]:
    return {p.relative_to(DATA).as_posix(): _sha256(p)
            for p in sorted(DATA.rglob("*")) if p.is_file() and p.name != "README.md"}


def _read(rel: str) -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / rel)


def test_script_reproduces_every_bundled_file_byte_for_byte(tmp_path: Path) -> None:
    bundled = _bundled_files()
    assert len(bundled) == 12, sorted(bundled)
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True,
                   capture_output=True, cwd=REPO)
    regenerated = {p.relative_to(tmp_path).as_posix(): _sha256(p)
                   for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert regenerated == bundled


def test_every_file_is_under_4_mb() -> None:
    sizes = {p.name: p.stat().st_size for p in DATA.rglob("*") if p.is_file()}
    assert max(sizes.values()) < 4_000_000, sizes


def test_manifest_lists_every_layer_with_honest_sources() -> None:
    manifest = json.loads((DATA / "scenario.json").read_text(encoding="utf-8"))
    assert manifest["crs"] == "EPSG:32751"
    assert manifest["demonstration"] is True
    assert manifest["seed"] == 20200713
    assert set(manifest["layers"]) == LAYER_KEYS
    for key, layer in manifest["layers"].items():
        assert (DATA / layer["path"]).is_file(), key
        assert "not official" in layer["source"], key
    text = (DATA / "scenario.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_all_vector_layers_are_in_the_working_crs() -> None:
    for rel in ("boundaries/kabupaten.geojson", "boundaries/kecamatan.geojson",
                "boundaries/desa.geojson", "terrain/rivers.geojson", "infrastructure/roads.geojson",
                "infrastructure/bridges.geojson", "infrastructure/facilities.geojson",
                "hazard/observed_flood_2020.geojson"):
        assert _read(rel).crs.to_epsg() == 32751, rel


def test_kecamatan_are_the_15_and_tile_the_kabupaten() -> None:
    kab = _read("boundaries/kabupaten.geojson")
    kec = _read("boundaries/kecamatan.geojson")
    assert list(kab["admin_code"]) == ["73.22"]
    assert 7_000e6 < kab.area.sum() < 8_000e6  # about 7,500 km2
    assert sorted(kec["admin_code"]) == KECAMATAN_CODES
    assert kec.loc[kec["admin_code"] == "73.22.03", "admin_name"].item() == "Masamba"
    assert set(kec["parent_code"]) == {"73.22"} and set(kec["admin_level"]) == {"kecamatan"}
    assert kec.is_valid.all()
    k = kab.geometry.iloc[0]
    union = shapely.union_all(kec.geometry.values)
    assert abs(kec.area.sum() - k.area) / k.area < 1e-3  # no overlaps
    assert union.symmetric_difference(k).area / k.area < 1e-3  # no gaps, nothing outside


def test_desa_tile_their_kecamatan_and_the_town_is_in_bone() -> None:
    kec = _read("boundaries/kecamatan.geojson").set_index("admin_code")
    desa = _read("boundaries/desa.geojson")
    assert desa.is_valid.all() and desa["admin_code"].is_unique
    assert {"73.22.03", "73.22.04", "73.22.10", "73.22.11"} <= set(desa["parent_code"])
    assert desa["admin_code"].str.fullmatch(r"73\.22\.\d{2}\.[12]\d{3}").all()
    assert (desa["admin_code"].str[:8] == desa["parent_code"]).all()
    for code, group in desa.groupby("parent_code"):
        area = kec.loc[code].geometry.area
        assert abs(group.area.sum() - area) / area < 1e-3, code
    town = desa[desa.contains(TOWN)]
    assert list(town["admin_name"]) == ["Bone"] and list(town["parent_code"]) == ["73.22.03"]


def test_every_desa_has_a_population_row() -> None:
    desa = _read("boundaries/desa.geojson")
    pop = pd.read_csv(DATA / "population" / "population_desa.csv", dtype={"admin_code": str})
    assert list(pop.columns) == ["admin_code", "admin_name", "year", "population", "households",
                                 "female", "elderly", "disabled"]
    assert sorted(pop["admin_code"]) == sorted(desa["admin_code"])
    assert (pop["year"] == 2020).all()
    masamba = pop.loc[pop["admin_code"].str.startswith("73.22.03."), "population"].sum()
    assert 34_000 <= masamba <= 38_000
    ratio = pop["population"].sum() / pop["households"].sum()
    assert 3.6 < ratio < 4.4
    assert (pop["female"] < pop["population"]).all() and (pop["disabled"] < pop["elderly"]).all()


def test_roads_are_thousands_of_connected_segments_with_bridges_at_rivers() -> None:
    roads = _read("infrastructure/roads.geojson")
    rivers = _read("terrain/rivers.geojson")
    bridges = _read("infrastructure/bridges.geojson")
    assert 2_000 <= len(roads) and roads["road_id"].is_unique
    assert {"trunk", "primary", "secondary", "tertiary", "residential"} <= set(roads["highway"])
    # one network: segments meet at exactly shared end vertices
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ends = np.array([[g.coords[0], g.coords[-1]] for g in roads.geometry]).reshape(-1, 2)
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.ravel()
    a, b = node[0::2], node[1::2]
    n = int(node.max()) + 1
    n_comp, _ = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                     directed=False)
    assert n_comp == 1
    # bridges: short, exactly where roads cross rivers; non-bridge segments do not cross rivers
    river_union = shapely.union_all(rivers.geometry.values)
    is_bridge = roads["bridge"] == "yes"
    assert is_bridge.sum() >= 4
    assert roads.loc[is_bridge].length.max() <= 60.0
    assert roads.loc[is_bridge].intersects(river_union).all()
    assert not roads.loc[~is_bridge].crosses(river_union).any()
    assert len(bridges) == is_bridge.sum()
    assert set(bridges["road_id"]) == set(roads.loc[is_bridge, "road_id"])
    assert set(bridges["river"]) <= set(rivers["name"])


def test_buildings_are_many_and_neither_overlap_nor_sit_on_roads() -> None:
    bld = _read("infrastructure/buildings.geojson")
    roads = _read("infrastructure/roads.geojson")
    assert len(bld) >= 5_000 and bld["building_id"].is_unique
    assert bld.is_valid.all()
    assert {"house", "school", "hospital", "mosque", "church", "government"} <= set(bld["building"])
    geoms = bld.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = a < b
    overlap = shapely.area(shapely.intersection(geoms[a[pairs]], geoms[b[pairs]])).sum()
    assert overlap < 1.0  # m2, rounding to 1 cm only
    assert shapely.STRtree(roads.geometry.values).query(geoms, predicate="intersects").size == 0


def test_facilities_are_named_and_each_sits_in_a_building() -> None:
    fac = _read("infrastructure/facilities.geojson")
    bld = _read("infrastructure/buildings.geojson")
    names = set(fac["name"])
    for must in ("RSUD Andi Djemma", "Kantor Bupati Luwu Utara", "Kantor DPRD Luwu Utara",
                 "Gedung Pemuda Masamba", "Pasar Sentral Masamba", "Bandar Udara Andi Jemma",
                 "Puskesmas Masamba", "SD Negeri 1 Masamba"):
        assert must in names, must
    assert fac["name"].is_unique and fac["facility_id"].is_unique
    inside = shapely.STRtree(bld.geometry.values).query(fac.geometry.values, predicate="within")[0]
    assert set(inside) == set(range(len(fac)))


def test_observed_footprint_is_valid_non_overlapping_and_in_bands() -> None:
    flood = _read("hazard/observed_flood_2020.geojson")
    assert flood.is_valid.all() and flood["flood_id"].is_unique
    assert set(flood["material"]) == {"mud", "water"}
    # GDAL reads the ISO date string as a date; the file holds "2020-07-13"
    assert {pd.Timestamp(v).strftime("%Y-%m-%d") for v in flood["event_date"]} == {"2020-07-13"}
    text = (DATA / "hazard" / "observed_flood_2020.geojson").read_text()
    assert '"event_date": "2020-07-13"' in text
    bands = set(zip(flood["depth_min_m"], flood["depth_max_m"], strict=True))
    assert bands == {(0.1, 0.7), (0.7, 1.5), (1.5, 4.0)}
    geoms = flood.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = a < b
    assert shapely.area(shapely.intersection(geoms[a[pairs]], geoms[b[pairs]])).sum() < 1.0  # m2
    # the town centre and Bone, Kappuna, Radda are flooded
    desa = _read("boundaries/desa.geojson").set_index("admin_name")
    union = shapely.union_all(geoms)
    for name in ("Bone", "Kappuna", "Radda"):
        assert desa.loc[name].geometry.intersects(union), name


def test_dem_is_a_tiled_float32_30m_grid_with_plausible_relief() -> None:
    with rasterio.open(DATA / "terrain" / "dem.tif") as src:
        assert src.crs.to_epsg() == 32751 and src.res == (30.0, 30.0)
        assert src.width >= 1000 and src.height >= 1000
        assert src.dtypes[0] == "float32" and src.nodata == -9999
        assert src.profile["tiled"] and src.profile["blockxsize"] == 256
        assert src.profile["compress"].lower() == "deflate"
        dem = src.read(1)
        town = dem[src.index(TOWN.x, TOWN.y)]
    assert 50.0 <= town <= 100.0  # the town on its fan
    assert 1_500.0 <= dem.max() <= 2_600.0  # mountains to the north
    assert dem[-1].mean() < 20.0  # the coastal plain in the south
    assert np.allclose(dem, np.round(dem, 1), atol=1e-3)


@pytest.mark.slow
def test_rivers_follow_the_streams_that_pyflwdir_derives_from_the_dem() -> None:
    """At least 80 % of the river length lies within 2 cells (60 m) of a D8 stream of > 2 km2."""
    with rasterio.open(DATA / "terrain" / "dem.tif") as src:
        dem, transform = src.read(1), src.transform
    flw = pyflwdir.from_dem(dem, nodata=-9999.0, transform=transform, latlon=False)
    stream = flw.upstream_area(unit="km2") > 2.0
    dist_cells = ndimage.distance_transform_edt(~stream)
    rivers = _read("terrain/rivers.geojson")
    inside = total = 0
    for line in rivers.geometry:
        pts = shapely.line_interpolate_point(line, np.arange(0.0, line.length, 10.0))
        rows, cols = rasterio.transform.rowcol(transform, shapely.get_x(pts), shapely.get_y(pts))
        rows, cols = np.asarray(rows), np.asarray(cols)
        ok = (rows >= 0) & (rows < dem.shape[0]) & (cols >= 0) & (cols < dem.shape[1])
        total += int(ok.sum())
        inside += int((dist_cells[rows[ok], cols[ok]] <= 2.0).sum())
    assert total > 10_000
    assert inside / total >= 0.80
