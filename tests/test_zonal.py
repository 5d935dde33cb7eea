"""Tests of kotacerdas_gis.zonal: hand-computed cells and exactextract on the same polygons."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely
from shapely.geometry import Point, Polygon, box

from kotacerdas_gis.errors import CRSError, DataError
from kotacerdas_gis.zonal import polygon_raster_stats

V = np.array([[1.0, 3.0], [5.0, 7.0]])
T = Affine(10, 0, 0, 0, -10, 20)


def test_half_cells_by_hand():
    # the box covers the right half of cell (0, 0) and the left half of (0, 1): 50 m2 each
    s = polygon_raster_stats(gpd.GeoSeries([box(5, 10, 15, 20)]), V, T)
    assert s.loc[0, "mean"] == pytest.approx(2.0)
    assert s.loc[0, "max"] == 3.0
    assert s.loc[0, "coverage_cells"] == pytest.approx(1.0)
    assert s.loc[0, "covered_m2"] == pytest.approx(100.0)
    assert s.loc[0, "n_cells"] == 2


def test_hole_nodata_outside_and_empty():
    ring = box(0, 0, 20, 20)
    holed = Polygon(ring.exterior.coords, [box(0, 0, 10, 10).exterior.coords])  # drops cell 5
    v = V.copy()
    v[0, 1] = np.nan  # the 3 is nodata
    s = polygon_raster_stats(gpd.GeoSeries([holed, box(100, 100, 110, 110), Polygon()]), v, T)
    assert s.loc[0, "mean"] == pytest.approx((1.0 + 7.0) / 2)
    assert s.loc[0, "max"] == 7.0 and s.loc[0, "n_cells"] == 2
    assert np.isnan(s.loc[1, "mean"]) and s.loc[1, "n_cells"] == 0  # outside the raster
    assert np.isnan(s.loc[2, "max"]) and s.loc[2, "coverage_cells"] == 0  # empty geometry


def test_equals_exactextract_on_irregular_polygons():
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    rng = np.random.default_rng(1)
    v = rng.random((50, 60)) * 10
    v[3, 4] = np.nan
    tr = Affine(10, 0, 1000, 0, -10, 5000)
    geoms = []
    for i in range(200):
        cx, cy = rng.uniform(1000, 1600), rng.uniform(4500, 5000)
        p = shapely.buffer(Point(cx, cy), rng.uniform(3, 40), quad_segs=3)
        if i % 3 == 0:
            p = p.difference(shapely.buffer(Point(cx, cy), 2))  # a hole
        if i % 5 == 0:
            p = shapely.union(p, box(cx + 50, cy, cx + 70, cy + 15))  # two parts
        if i % 7 == 0:
            p = p.difference(box(cx, cy - 100, cx + 100, cy))  # not convex
        geoms.append(p)
    gs = gpd.GeoSeries(geoms, crs=32751)
    ours = polygon_raster_stats(gs, v, tr, crs=32751)
    src = NumPyRasterSource(v, xmin=1000, ymin=4500, xmax=1600, ymax=5000, nodata=np.nan)
    ref = exact_extract(src, gpd.GeoDataFrame(geometry=gs), ["mean", "max", "count"],
                        output="pandas")
    # exactextract keeps coverage fractions in float32: equal to ~1e-7
    np.testing.assert_allclose(ours["mean"], ref["mean"], rtol=1e-6)
    np.testing.assert_array_equal(ours["max"], ref["max"])
    np.testing.assert_allclose(ours["coverage_cells"], ref["count"], rtol=1e-6, atol=1e-9)


def test_bad_input_names_the_problem():
    with pytest.raises(DataError, match="Polygon or MultiPolygon"):
        polygon_raster_stats(gpd.GeoSeries([Point(1, 1)]), V, T)
    with pytest.raises(DataError, match="2-D"):
        polygon_raster_stats(gpd.GeoSeries([box(0, 0, 1, 1)]), V[0], T)
    with pytest.raises(CRSError, match="north-up"):
        polygon_raster_stats(gpd.GeoSeries([box(0, 0, 1, 1)]), V, Affine(10, 1, 0, 0, -10, 20))
    with pytest.raises(CRSError, match="reproject"):
        polygon_raster_stats(gpd.GeoSeries([box(0, 0, 1, 1)], crs=32751), V, T, crs=4326)


def test_south_up_grid_gives_the_north_up_answer():
    from kotacerdas_gis.zonal import coverage_stats

    # the same cells stored bottom row first: value 5 is now row 0 of a south-up grid
    p = [box(5, 5, 15, 20), Polygon()]
    north = coverage_stats(p, V, T)
    south = coverage_stats(p, V[::-1], Affine(10, 0, 0, 0, 10, 0))
    np.testing.assert_allclose(south, north)
    # 1/2 of cells 1 and 3, 1/4 of cells 5 and 7: coverage 1.5, sum 0.5*4 + 0.25*12 = 5
    np.testing.assert_allclose(north[0], [1.5, 5.0, 7.0, 4.0, 0.0])
    assert north[1].tolist() == [0.0, 0.0, -np.inf, 0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(cx=st.floats(20, 80), cy=st.floats(20, 80), r=st.floats(0.5, 15),
       n=st.integers(3, 40), hole=st.booleans(), cell=st.sampled_from([1.0, 2.5, 7.0]),
       x0=st.floats(-3, 3))
def test_coverage_adds_up_to_the_polygon_area(cx, cy, r, n, hole, cell, x0):
    """Invariant: coverage x cell area sums to the polygon's area, for any polygon inside."""
    from kotacerdas_gis.zonal import coverage_stats

    p = shapely.buffer(Point(cx, cy), r, quad_segs=max(n // 4, 1))
    p = shapely.affinity.scale(p, 1.0, 0.4 + n / 40.0)  # not a circle; convex or a hole below
    if hole:
        p = p.difference(shapely.buffer(Point(cx, cy), r / 3))
    p = p.difference(box(cx + r / 2, cy - 100, cx + 100, cy))  # concave, the hole kept
    assert shapely.get_num_interior_rings(p) == int(hole)
    rows = cols = int(np.ceil(110 / cell))
    tr = Affine(cell, 0, x0 - 5, 0, -cell, 105)
    out = coverage_stats([p], np.ones((rows, cols)), tr)
    assert out[0, 0] * cell * cell == pytest.approx(p.area, rel=1e-9, abs=1e-9)
    assert out[0, 1] == pytest.approx(out[0, 0])  # ones: the sum is the coverage
