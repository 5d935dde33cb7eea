"""Tests of kotacerdas_gis.overlay: the one overlap rule, the one polygonal part, prepared zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely
import shapely.affinity
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, box

from kotacerdas_gis import overlay
from kotacerdas_gis.errors import ParameterError
from kotacerdas_gis.exposure import analyse_exposure, buildings_exposure, facilities_exposure
from kotacerdas_gis.hazard import combine_zones, observed_zones
from kotacerdas_gis.network import access_to_facilities, build_road_graph, flood_road_graph
from kotacerdas_gis.overlay import (
    admin_zone_pieces,
    assign_to_first,
    is_prepared_zones,
    point_zone_index,
    polygonal_part,
    prepare_admin,
    prepare_zones,
    resolve_overlaps,
)

CRS = 32751


def raw_zones() -> gpd.GeoDataFrame:
    # low 0..10 x 0..10 (100 m2) under high 5..15 x 0..10: low keeps 0..5 (50 m2)
    return gpd.GeoDataFrame({"hazard_class": ["low", "high"], "class_rank": [1, 3],
                             "displacement_rate": [0.0, 0.1]},
                            geometry=[box(0, 0, 10, 10), box(5, 0, 15, 10)], crs=CRS)


# ------------------------------------------------------------------------ polygonal part
def test_polygonal_part_keeps_polygons_and_empties_the_rest():
    line = LineString([(0, 0), (3, 3)])
    coll = GeometryCollection([box(0, 0, 1, 1), box(2, 0, 3, 1), line])
    out = polygonal_part(np.array([box(0, 0, 2, 2), coll, line, Point(1, 1), None,
                                   GeometryCollection()], dtype=object))
    assert out[0].equals(box(0, 0, 2, 2))
    # two unit squares kept, the line dropped: area 1 + 1 = 2
    assert out[1].geom_type == "MultiPolygon" and out[1].area == 2.0
    # no polygonal part: an empty Polygon, never None (the array keeps its length)
    for g in out[2:4]:
        assert g is not None and g.geom_type == "Polygon" and g.is_empty
    assert out[4] is None  # missing stays missing
    assert out[5].geom_type == "Polygon" and out[5].is_empty
    assert len(out) == 6


def test_polygonal_part_of_a_scalar():
    assert polygonal_part(LineString([(0, 0), (1, 1)])).wkt == "POLYGON EMPTY"
    mp = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    assert polygonal_part(mp) is mp


# ------------------------------------------------------------------------ overlaps
def test_resolve_overlaps_earlier_keeps_the_overlap():
    # order [1, 0, 2]: B (5..15) first keeps 100 m2; A (0..10) loses 5..10 -> 50 m2;
    # C (6..9 x 1..9, 24 m2) lies inside B -> removed
    g = [box(0, 0, 10, 10), box(5, 0, 15, 10), box(6, 1, 9, 9)]
    r = resolve_overlaps(g, [1, 0, 2])
    assert shapely.area(r.geoms).tolist() == [50.0, 100.0, 0.0]
    assert r.trimmed.tolist() == [True, False, True]
    assert r.removed.tolist() == [False, False, True]
    assert r.overlap_area_m2.tolist() == [50.0, 0.0, 24.0]
    assert r.geoms[2].geom_type == "Polygon" and r.geoms[2].is_empty


def test_resolve_overlaps_tolerances():
    # a 0.5 m2 overlap (10..10.05 x 0..10) is below a 1 m2 tolerance: nothing changes
    g = [box(0, 0, 10.05, 10), box(10, 0, 20, 10)]
    r = resolve_overlaps(g, min_overlap_m2=1.0)
    assert not r.trimmed.any() and r.geoms[1] is g[1]
    r = resolve_overlaps(g, min_overlap_m2=0.1)
    assert r.trimmed.tolist() == [False, True]
    assert r.overlap_area_m2[1] == pytest.approx(0.5)
    # relative tolerance: 0.5 m2 is 0.5 % of 100 m2
    assert not resolve_overlaps(g, min_overlap_frac=0.01).trimmed.any()
    # removal below min_area_m2: B keeps 5 m2 (15..20 x 9..10) of 50
    g2 = [box(10, 0, 20, 9), box(15, 0, 20, 10)]
    r2 = resolve_overlaps(g2, [0, 1], min_area_m2=6.0)
    assert r2.removed.tolist() == [False, True]
    # touching only: no trim
    r3 = resolve_overlaps([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    assert not r3.trimmed.any()


def test_resolve_overlaps_checks_its_options():
    with pytest.raises(ParameterError, match="min_overlap_m2"):
        resolve_overlaps([box(0, 0, 1, 1)], min_overlap_m2=-1)
    with pytest.raises(ParameterError, match="permutation"):
        resolve_overlaps([box(0, 0, 1, 1), box(0, 0, 2, 2)], [0, 0])
    with pytest.raises(ValueError, match="overlap_tolerance_m2"):  # ParameterError is a ValueError
        prepare_admin(gpd.GeoDataFrame({"admin_code": ["1"], "admin_name": ["A"]},
                                       geometry=[box(0, 0, 1, 1)], crs=CRS),
                      overlap_tolerance_m2=-1)


rect = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 25), st.integers(1, 25))


@settings(max_examples=40, deadline=None)
@given(st.lists(rect, min_size=1, max_size=7), st.randoms(use_true_random=False))
def test_resolve_overlaps_invariants(rects, rnd):
    g = np.array([box(x, y, x + w, y + h) for x, y, w, h in rects], dtype=object)
    order = list(range(len(g)))
    rnd.shuffle(order)
    r = resolve_overlaps(g, order)
    # no two results share area; the union is unchanged; the first in order is untouched
    total = shapely.union_all(g).area
    assert sum(shapely.area(r.geoms)) == pytest.approx(total, abs=1e-6)
    assert r.geoms[order[0]].equals(g[order[0]])
    for i in range(len(g)):
        for j in range(i + 1, len(g)):
            assert shapely.intersection(r.geoms[i], r.geoms[j]).area < 1e-6
    # the given-away area is what each lost
    lost = shapely.area(g) - shapely.area(r.geoms)
    np.testing.assert_allclose(lost, r.overlap_area_m2, atol=1e-6)


def test_hazard_and_exposure_share_the_overlap_rule(monkeypatch):
    """hazard.combine_zones, prepare_zones and prepare_admin all go through resolve_overlaps."""
    calls: list[int] = []
    real = overlay.resolve_overlaps

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    import kotacerdas_gis.hazard.zones as hz
    monkeypatch.setattr(overlay, "resolve_overlaps", spy)
    monkeypatch.setattr(hz, "resolve_overlaps", spy)
    prepare_zones(raw_zones())
    prepare_admin(gpd.GeoDataFrame({"admin_code": ["1"], "admin_name": ["A"]},
                                   geometry=[box(0, 0, 1, 1)], crs=CRS))
    a = observed_zones(gpd.GeoDataFrame({"depth_min_m": [0.2], "depth_max_m": [0.5]},
                                        geometry=[box(0, 0, 100, 100)], crs=CRS), source="a")
    b = observed_zones(gpd.GeoDataFrame({"depth_min_m": [2.0], "depth_max_m": [3.0]},
                                        geometry=[box(50, 0, 150, 100)], crs=CRS), source="b")
    calls.clear()
    c = combine_zones(a, b, rule="max")
    assert calls == [1]
    # b (high) keeps 50..100; a (low) keeps 0..50: 5,000 m2
    assert sorted(c.zones.area.round(6).tolist()) == [5000.0, 10000.0]


# ------------------------------------------------------------------------ prepared zones
def test_prepare_zones_is_idempotent_and_free_on_prepared_input(monkeypatch):
    z = prepare_zones(raw_zones())
    assert is_prepared_zones(z) and z.area.tolist() == [50.0, 100.0]

    def boom(*a, **k):
        raise AssertionError("prepared zones must not be prepared again")

    monkeypatch.setattr(overlay, "resolve_overlaps", boom)
    assert prepare_zones(z) is z
    assert prepare_zones(z.copy()).equals(z)
    b = gpd.GeoDataFrame({"asset_id": ["a"], "exposure_class": ["shop"]},
                         geometry=[box(4, 0, 6, 2)], crs=CRS)
    # the building's 4 m2: 2 in low (4..5), 2 in high (5..6): high, flooded_frac 1
    out = buildings_exposure(b, z)
    assert out["hazard_class"].tolist() == ["high"] and out["flooded_frac"].tolist() == [1.0]
    f = gpd.GeoDataFrame({"asset_id": ["h"], "exposure_class": ["health"]},
                         geometry=[Point(1, 1)], crs=CRS)
    assert facilities_exposure(f, z)["hazard_class"].tolist() == ["low"]
    res = analyse_exposure(z, buildings=b)
    assert res.report.steps[0].notes == ["2 zones already prepared: used as they are"]
    roads = gpd.GeoDataFrame({"asset_id": ["r1"], "road_class": ["local"]},
                             geometry=[LineString([(-100, 5), (100, 5)])], crs=CRS)
    g = flood_road_graph(build_road_graph(roads), z)
    assert g.edges["flooded_length_m"].sum() == pytest.approx(15.0)  # 0..15 m of the road
    fac = gpd.GeoDataFrame({"asset_id": ["h"], "exposure_class": ["health"]},
                           geometry=[Point(-100, 5)], crs=CRS)
    access_to_facilities(roads, fac, zones=z)


def test_pickled_prepared_zones_stay_prepared(monkeypatch):
    """A worker's copy (pickled: new geometry objects) is prepared without redoing the work."""
    import pickle

    z = prepare_zones(raw_zones())
    monkeypatch.setattr(overlay, "resolve_overlaps", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("prepared zones must not be prepared again")))
    w = pickle.loads(pickle.dumps(z))
    assert is_prepared_zones(w) and prepare_zones(w) is w
    # an edited copy's digest differs: not prepared
    e = pickle.loads(pickle.dumps(z))
    e = e.set_geometry(gpd.GeoSeries([box(0, 0, 1, 1), box(5, 0, 15, 10)], crs=CRS))
    assert e.attrs and not is_prepared_zones(e)
    # the mark is refreshed for the new objects: the next check needs no digest
    monkeypatch.setattr(overlay, "_digest", lambda z: "never equal")
    assert is_prepared_zones(w)


def test_edited_zones_are_prepared_again():
    z = prepare_zones(raw_zones())
    assert not is_prepared_zones(z[z["class_rank"] > 1])  # filtered
    z2 = z.copy()
    z2.loc[0, "class_rank"] = 5  # edited: the overlap rule must run again
    assert not is_prepared_zones(z2)
    z3 = z.copy()
    z3 = z3.set_geometry(gpd.GeoSeries([box(0, 0, 10, 10), box(5, 0, 15, 10)], crs=CRS))
    assert not is_prepared_zones(z3)
    assert not is_prepared_zones(raw_zones()) and not is_prepared_zones(pd.DataFrame())
    # a raw frame that merely has the canonical columns is prepared (overlaps resolved)
    raw = raw_zones().assign(zone_id=["a", "b"])
    assert prepare_zones(raw).area.tolist() == [50.0, 100.0]
    out = buildings_exposure(gpd.GeoDataFrame({"asset_id": ["x"]},
                                              geometry=[box(0, 0, 10, 10)], crs=CRS), raw)
    # 100 m2 building: 50 in low + 50 in high = 100, not 150 (overlap counted once)
    assert out["flooded_area_m2"].tolist() == [100.0]


# ------------------------------------------------------------------------ points
def test_point_zone_index_and_assign_to_first():
    zg = np.array([box(0, 0, 10, 10), box(10, 0, 20, 10)], dtype=object)
    pts = np.array([Point(1, 1), Point(10, 5), Point(15, 5), Point(99, 9)], dtype=object)
    # the edge point (10, 5) touches both: the higher rank (3) wins; then the first row
    assert point_zone_index(pts, zg, [1, 3]).tolist() == [0, 1, 1, -1]
    assert point_zone_index(pts, zg, [2, 2]).tolist() == [0, 0, 1, -1]
    assert assign_to_first(pts, zg).tolist() == [0, 0, 1, -1]
    assert assign_to_first(pts, None).tolist() == [-1, -1, -1, -1]


def test_admin_zone_pieces_tile_the_admin_units():
    z = prepare_zones(raw_zones())
    a = prepare_admin(gpd.GeoDataFrame({"admin_code": ["1"], "admin_name": ["A"]},
                                       geometry=[box(-10, 0, 10, 10)], crs=CRS))
    p = admin_zone_pieces(z, a)
    # admin -10..10: 0..5 low (50), 5..10 high (50), -10..0 outside (100); zone 10..15 outside
    rows = sorted(zip(p["admin_pos"], p["zone_pos"], p["area_m2"].round(6), strict=True))
    assert rows == [(-1, 1, 50.0), (0, -1, 100.0), (0, 0, 50.0), (0, 1, 50.0)]


# ------------------------------------------------------------------------ the fast paths
pts = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=7)


@settings(max_examples=150, deadline=None)
@given(pts)
def test_fast_is_valid_agrees_with_geos(ring):
    # small integer rings: bowties, spikes, repeated and collinear points, zero area
    g = shapely.Polygon(ring)
    assert overlay.fast_is_valid(np.array([g], dtype=object))[0] == shapely.is_valid(g)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 60), st.floats(0, 60), st.floats(1, 30),
                          st.floats(0, 3.2)), min_size=1, max_size=15))
def test_polygon_zone_overlay_matches_geos_on_rotated_and_concave_shapes(spec):
    """Convex footprints go through the clipping kernel, the rest through GEOS: same areas."""
    x0, y0 = 500_000.0, 9_700_000.0  # UTM-sized coordinates: the kernel must not cancel
    ring = [(0, 0), (40, 0), (40, 40), (20, 15), (0, 40)]  # concave zone with a hole
    zone = shapely.Polygon([(x0 + x, y0 + y) for x, y in ring],
                           [[(x0 + 5, y0 + 3), (x0 + 9, y0 + 3), (x0 + 9, y0 + 7)]])
    zones = np.array([zone, shapely.box(x0 + 45, y0, x0 + 60, y0 + 60)], dtype=object)
    geoms = []
    for i, (x, y, w, a) in enumerate(spec):
        r = shapely.affinity.rotate(shapely.box(x0 + x, y0 + y, x0 + x + w, y0 + y + w / 2), a,
                                    use_radians=True)
        # every third footprint is an L (concave): the GEOS path
        geoms.append(r if i % 3 else r.difference(shapely.box(x0 + x, y0 + y, x0 + x + w / 2,
                                                              y0 + y + w / 4)))
    geoms = np.array(geoms, dtype=object)
    s = overlay.polygon_zone_overlay(geoms, zones, [3, 1])
    ref = shapely.area(shapely.intersection(geoms, shapely.union_all(zones)))
    np.testing.assert_allclose(s.flooded_area_m2, ref, atol=1e-6)
    assert ((s.zone_index >= 0) == (ref > 0)).all()
