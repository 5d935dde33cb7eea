"""Zonal counts you can trust: raster sums over zones, exact on the raster's own grid, checked.

The grids look like real 30 m UTM rasters (origin at ...15 m, northings near 9.7e6), and the
zig-zag zone is traced on that grid, the geometry DEM-derived zones have. The right counts are
known by construction: one person per cell, so the count is the number of cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine

import geopandas as gpd
import rasterio.features
import shapely
from shapely.geometry import box

import kotacerdas_gis as kc
from kotacerdas_gis.accounting import StepReport
from kotacerdas_gis.exposure import population_from_raster, prepare_admin, prepare_zones
from kotacerdas_gis.exposure.zonal import as_grid, on_grid, zonal_sums
from kotacerdas_gis.io.raster import write_raster

CRS = 32751
X0, Y0, CELL = 236_415.0, 9_718_005.0, 30.0  # a UTM-like grid: origin on 15 m, 30 m cells
ROWS, COLS = 10, 10
T = Affine(CELL, 0, X0, 0, -CELL, Y0)


def zigzag_mask() -> np.ndarray:
    """Rows of 6 cells shifted by 0 and 2 columns in turn: 10 x 6 = 60 cells, one polygon."""
    m = np.zeros((ROWS, COLS), dtype=np.uint8)
    for r in range(ROWS):
        a = 0 if r % 2 == 0 else 2
        m[r, a:a + 6] = 1
    return m


def zigzag_polygon() -> shapely.Polygon:
    shapes = list(rasterio.features.shapes(zigzag_mask(), mask=zigzag_mask() > 0,
                                           transform=T, connectivity=4))
    assert len(shapes) == 1
    return shapely.geometry.shape(shapes[0][0])


def test_zigzag_traced_on_the_grid_counts_its_60_cells() -> None:
    poly = zigzag_polygon()
    assert poly.area == pytest.approx(60 * CELL * CELL)
    grid = as_grid((np.ones((ROWS, COLS)), T))
    assert on_grid([poly], T).tolist() == [True]
    res = zonal_sums(grid, [poly])
    assert res.sums.tolist() == [60.0]
    assert res.method.tolist() == ["grid"]
    assert res.covered_m2[0] == pytest.approx(poly.area)


def test_zigzag_with_distinct_values_sums_exactly_its_cells() -> None:
    vals = np.arange(ROWS * COLS, dtype=float).reshape(ROWS, COLS)  # 0..99 people
    res = zonal_sums(as_grid((vals, T)), [zigzag_polygon()])
    assert res.sums[0] == float(vals[zigzag_mask() > 0].sum())


def test_population_from_raster_zigzag_zone(tmp_path: Path) -> None:
    path = tmp_path / "people.tif"
    write_raster(np.ones((ROWS, COLS), dtype="float32"), path, transform=T, crs=f"EPSG:{CRS}",
                 nodata=-1.0)
    zones = prepare_zones(gpd.GeoDataFrame(
        {"hazard_class": ["high"], "class_rank": [4], "displacement_rate": [0.5]},
        geometry=[zigzag_polygon()], crs=CRS))
    admin = prepare_admin(gpd.GeoDataFrame(
        {"admin_code": ["d1"], "admin_name": ["Bone"]},
        geometry=[box(X0, Y0 - ROWS * CELL, X0 + COLS * CELL, Y0)], crs=CRS))
    # the object read_raster returns is accepted (was: exactextract "Unhandled raster datatype")
    src = kc.read_raster(path)
    got = population_from_raster(src, zones, admin).set_index("hazard_class")
    assert got.loc["high", "population"] == 60.0
    assert got.loc["not exposed", "population"] == 40.0
    assert got.loc["high", "displaced"] == 30.0


def test_overlapping_on_grid_counts_are_checked_and_recounted() -> None:
    # two on-grid zones sharing 2 x 3 cells: rasterised, the later one takes the shared cells
    # and the first covers 6 cells where it holds 12; the check catches it, the kernel recounts
    a = box(X0, Y0 - 4 * CELL, X0 + 3 * CELL, Y0)  # 12 cells
    b = box(X0, Y0 - 6 * CELL, X0 + 3 * CELL, Y0 - 2 * CELL)  # 12 cells, 6 shared with a
    assert on_grid([a, b], T).tolist() == [True, True]
    rep = StepReport("zonal", source="people")
    res = zonal_sums(as_grid((np.ones((ROWS, COLS)), T)), [a, b], report=rep)
    assert res.method.tolist() == ["recounted", "grid"]
    assert res.sums.tolist() == [12.0, 12.0]
    assert rep.n_repaired == 1
    assert any("6 cells covered where the zone holds 12" in n for n in rep.notes)


def test_off_grid_zigzag_is_counted_exactly() -> None:
    # the zone exactextract miscounted (69 cells for 60), shifted 10 m off the grid
    poly = shapely.affinity.translate(zigzag_polygon(), 10.0, 0.0)
    assert on_grid([poly], T).tolist() == [False]
    vals = np.ones((ROWS, COLS + 1))  # one more column so the shifted zone stays inside
    res = zonal_sums(as_grid((vals, T)), [poly])
    assert res.method.tolist() == ["exact"]
    assert res.sums[0] == pytest.approx(60.0, rel=1e-12)


def test_off_grid_counts_pass_the_check_without_a_recount() -> None:
    poly = box(X0 + 10, Y0 - 100, X0 + 100, Y0 - 10)  # 90 m x 90 m = 9 cells of area
    res = zonal_sums(as_grid((np.ones((ROWS, COLS)), T)), [poly])
    assert res.method.tolist() == ["exact"]
    assert res.sums[0] == pytest.approx(9.0, rel=1e-12)


def test_zone_outside_the_raster_and_nodata_are_reported() -> None:
    vals = np.ones((ROWS, COLS))
    vals[0, 0] = np.nan
    poly = box(X0 - 60, Y0 - 60, X0 + 60, Y0)  # half outside: 4 cells outside, 4 inside
    rep = StepReport("zonal", source="people")
    res = zonal_sums(as_grid((vals, T)), [poly], report=rep)
    assert res.sums[0] == 3.0  # 4 cells inside, one without data
    assert res.outside_m2[0] == pytest.approx(4 * CELL * CELL)
    assert res.nodata_m2[0] == pytest.approx(CELL * CELL)
    assert any("outside" in n for n in rep.notes) and any("without data" in n for n in rep.notes)


def test_unknown_raster_kind_is_a_clear_error() -> None:
    with pytest.raises(kc.SchemaError, match="expected a raster from kotacerdas_gis.read_raster"):
        as_grid("people.tif")


def test_analyse_exposure_takes_a_read_raster_object(tmp_path: Path) -> None:
    path = tmp_path / "people.tif"
    write_raster(np.full((ROWS, COLS), 2.0, dtype="float32"), path, transform=T,
                 crs=f"EPSG:{CRS}", nodata=-1.0)
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [4],
                              "displacement_rate": [0.1]}, geometry=[zigzag_polygon()], crs=CRS)
    admin = gpd.GeoDataFrame({"admin_code": ["d1"], "admin_name": ["Bone"], "parent_code": ["k"]},
                             geometry=[box(X0, Y0 - 300, X0 + 300, Y0)], crs=CRS)
    res = kc.analyse_exposure(zones, admin=admin, population_raster=kc.read_raster(path),
                              population=pd.DataFrame({"admin_code": ["d1"],
                                                       "population": [1]}))
    a = res.aggregation_summary.set_index("admin_code")
    assert a.loc["d1", "total_affected"] == 120.0
    assert a.loc["d1", "displaced"] == pytest.approx(12.0)


def test_self_crossing_zone_is_a_clear_error_naming_the_zone_and_the_fix() -> None:
    # a bow-tie (the ring crosses itself): GEOS cannot intersect it; the error must say which
    # zone and how to mend it, in the package's family, not a raw GEOS exception
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 90, Y0 - 90), (X0 + 90, Y0), (X0, Y0 - 90)])
    assert not shapely.is_valid(bowtie)
    ok = box(X0 + 10, Y0 - 100, X0 + 100, Y0 - 10)
    with pytest.raises(kc.DataError, match=r"zone 1 .*Self-intersection.*make_valid"):
        zonal_sums(as_grid((np.ones((ROWS, COLS)), T)), [ok, bowtie])
