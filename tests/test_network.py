"""Tests of kotacerdas_gis.network: hand-computable graphs in EPSG:32751."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import CRSError, CRSMismatchError, ParameterError, SchemaError
from kotacerdas_gis.network import (
    access_to_facilities,
    build_road_graph,
    flood_road_graph,
    nearest_facility_times,
)

CRS = 32751
X0, Y0 = 500_000.0, 9_700_000.0


def ln(*pts: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def sq(x0: float, y0: float, x1: float, y1: float):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def roads_frame(rows: list[tuple[str, str, bool, LineString]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": [r[0] for r in rows], "road_class": [r[1] for r in rows],
         "bridge": [r[2] for r in rows], "name": [r[0] for r in rows]},
        geometry=[r[3] for r in rows], crs=CRS)


@pytest.fixture
def two_villages():
    """West village (x 0..1000) with the Puskesmas, a 100 m bridge, East village (x 1100..2000)."""
    roads = roads_frame([
        ("w", "local", False, ln((0, 0), (1000, 0))),
        ("bridge", "local", True, ln((1000, 0), (1100, 0))),
        ("e", "local", False, ln((1100, 0), (2000, 0))),
    ])
    fac = gpd.GeoDataFrame(
        {"asset_id": ["pkm", "sd"], "name": ["Puskesmas", "SD East"],
         "exposure_class": ["health", "education"]},
        geometry=[pt(0, 0), pt(2000, 0)], crs=CRS)
    admin = gpd.GeoDataFrame(
        {"admin_code": ["d1", "d2"], "admin_name": ["West", "East"], "parent_code": ["k", "k"]},
        geometry=[sq(0, -500, 900, 500), sq(1100, -500, 1950, 500)], crs=CRS)
    # the river under the bridge floods in the high class
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                              "displacement_rate": [0.05]},
                             geometry=[sq(1020, -300, 1080, 300)], crs=CRS)
    return roads, fac, admin, zones


def test_bridge_cut_isolates_the_village(two_villages):
    roads, fac, admin, zones = two_villages
    res = access_to_facilities(roads, fac, zones=zones, admin=admin, access_speed_kmh=30)
    d = res.desa.set_index("admin_name")
    # West: representative point (450, 0) is on the road, 450 m from the Puskesmas at 30 km/h
    assert d.loc["West", "travel_time_min_before"] == pytest.approx(0.9)
    assert d.loc["West", "travel_time_min_after"] == pytest.approx(0.9)
    assert not d.loc["West", "isolated"]
    assert d.loc["West", "snap_distance_m"] == pytest.approx(0.0)
    # East: (1525, 0), 1525 m by road (over the bridge) = 3.05 min
    assert d.loc["East", "travel_time_min_before"] == pytest.approx(3.05)
    assert np.isinf(d.loc["East", "travel_time_min_after"])
    assert d.loc["East", "isolated"] and d.loc["East", "status"] == "cut by flood"
    assert d.loc["East", "nearest_facility_before"] == "pkm"
    assert pd.isna(d.loc["East", "nearest_facility_after"])
    f = res.facilities.set_index("asset_id")
    assert f.loc["sd", "travel_time_min_before"] == pytest.approx(4.0)  # 2 km at 30 km/h
    assert f.loc["sd", "isolated"] and f.loc["pkm", "travel_time_min_before"] == 0.0
    got = sorted(zip(res.isolated.kind, res.isolated.id, strict=True))
    assert got == [("desa", "d2"), ("facility", "sd")]
    out = res.to_dict()
    json.dumps(out)
    assert out["bridges_cut"] == 1 and out["desa"]["isolated"] == 1


def test_bridge_survives_medium_class_but_is_slowed(two_villages):
    roads, fac, admin, zones = two_villages
    z = zones.assign(hazard_class="medium", class_rank=2)
    z = gpd.GeoDataFrame(
        {"hazard_class": ["high", "medium"], "class_rank": [3, 2], "displacement_rate": [0, 0]},
        geometry=[sq(5000, 0, 5100, 10), z.geometry.iloc[0]], crs=CRS)
    res = access_to_facilities(roads, fac, zones=z, admin=admin, access_speed_kmh=30,
                               speed_factor={"medium": 0.25})
    d = res.desa.set_index("admin_name")
    # 60 m of bridge in medium at 30 * 0.25 = 7.5 km/h: 0.48 min instead of 0.12 min
    assert d.loc["East", "travel_time_min_after"] == pytest.approx(3.05 + 0.48 - 0.12)
    assert not d.loc["East", "isolated"]
    # and a lower bridge threshold cuts it
    res2 = access_to_facilities(roads, fac, zones=z, admin=admin, bridge_cut_min_rank=2)
    assert res2.desa.set_index("admin_name").loc["East", "isolated"]


def test_travel_time_by_road_class_and_custom_speeds():
    roads = roads_frame([("p", "primary", False, ln((0, 0), (1000, 0))),
                         ("x", "unknown", False, ln((1000, 0), (2000, 0)))])
    g = build_road_graph(roads, speeds_kmh={"primary": 60})
    e = g.edges.set_index("asset_id")
    assert e.loc["p", "travel_time_min"] == pytest.approx(1.0)
    assert e.loc["x", "travel_time_min"] == pytest.approx(3.0)  # 'other' at 20 km/h
    assert e.loc["x", "road_class"] == "other"
    assert g.report.reasons_repaired["unknown road_class mapped to 'other'"] == 1


def test_slowed_segment_time_by_hand():
    roads = roads_frame([("r", "local", False, ln((0, 0), (1000, 0)))])
    zones = gpd.GeoDataFrame({"hazard_class": ["high", "low"], "class_rank": [3, 1]},
                             geometry=[sq(5000, 0, 5001, 1), sq(0, -5, 400, 5)], crs=CRS)
    f = flood_road_graph(build_road_graph(roads), zones, flooded_speed_factor=0.5)
    e = f.edges.iloc[0]
    # 400 m at 15 km/h (1.6 min) + 600 m at 30 km/h (1.2 min)
    assert e.travel_time_min == pytest.approx(2.8)
    assert e.travel_time_min_dry == pytest.approx(2.0)
    assert e.flooded_length_m == pytest.approx(400) and not e.cut and e.hazard_class == "low"


def test_snapping_joins_near_ends_and_reports_components():
    roads = roads_frame([
        ("a", "local", False, ln((0, 0), (100, 0))),
        ("b", "local", False, ln((100.5, 0), (200, 0))),     # 0.5 m gap: snapped
        ("c", "local", False, ln((205, 0), (300, 0))),       # 5 m gap: separate component
    ])
    g = build_road_graph(roads, snap_tolerance_m=1.0)
    assert g.n_nodes == 5 and g.n_components == 2
    assert "2 connected components" in " ".join(g.report.notes)
    assert set(g.nodes.component) == {0, 1}
    g2 = build_road_graph(roads, snap_tolerance_m=6.0)
    assert g2.n_components == 1


def test_zero_length_and_duplicated_segments_counted():
    roads = roads_frame([
        ("a", "local", False, ln((0, 0), (100, 0))),
        ("a2", "primary", False, ln((100, 0), (0, 0))),   # same segment reversed, faster
        ("z", "local", False, ln((50, 50), (50.2, 50))),  # collapses under 1 m tolerance
    ])
    g = build_road_graph(roads)
    assert g.report.reasons_repaired["parallel duplicate segment dropped (fastest kept)"] == 1
    assert g.report.reasons_repaired[
        "segment shorter than the snap tolerance collapsed into a node"] == 1
    assert len(g.edges) == 1 and g.edges.asset_id.iloc[0] == "a2"


def test_origin_off_road_walks_to_nearest_point_of_segment():
    roads = roads_frame([("r", "local", False, ln((0, 0), (1000, 0)))])
    fac = gpd.GeoDataFrame({"asset_id": ["h"], "name": ["H"], "exposure_class": ["health"]},
                           geometry=[pt(0, 0)], crs=CRS)
    school = gpd.GeoDataFrame({"asset_id": ["s"], "name": ["S"]}, geometry=[pt(600, 300)],
                              crs=CRS)
    res = access_to_facilities(roads, fac, assets=school, access_speed_kmh=6)
    a = res.assets.iloc[0]
    # 300 m walk at 6 km/h (3 min) to (600, 0), then 600 m at 30 km/h (1.2 min)
    assert a.snap_distance_m == pytest.approx(300)
    assert a.travel_time_min_before == pytest.approx(4.2)


def test_disconnected_village_reported_not_crash(two_villages):
    roads, fac, admin, zones = two_villages
    island = roads_frame([("i", "local", False, ln((5000, 5000), (5100, 5000)))])
    roads = gpd.GeoDataFrame(
        pd.concat([roads, island], ignore_index=True), crs=CRS)
    admin2 = gpd.GeoDataFrame(
        pd.concat([admin, gpd.GeoDataFrame(
            {"admin_code": ["d3", "d4"], "admin_name": ["Island", "Far"],
             "parent_code": ["k", "k"]},
            geometry=[sq(4900, 4900, 5200, 5100), sq(50000, 0, 50100, 100)], crs=CRS)],
            ignore_index=True), crs=CRS)
    res = access_to_facilities(roads, fac, zones=zones, admin=admin2)
    d = res.desa.set_index("admin_name")
    assert d.loc["Island", "status"] == "not reachable before the flood"
    assert not d.loc["Island", "isolated"]
    assert d.loc["Far", "status"] == "no road within 5000 m"
    assert res.to_dict()["road_components"] == 2


def test_flooded_health_facility_is_closed(two_villages):
    roads, fac, admin, zones = two_villages
    fac2 = gpd.GeoDataFrame(
        {"asset_id": ["pkm", "pustu"], "name": ["Puskesmas", "Pustu"],
         "exposure_class": ["health", "health"]},
        geometry=[pt(0, 0), pt(2000, 0)], crs=CRS)
    z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                         geometry=[sq(-50, -50, 50, 50)], crs=CRS)
    res = access_to_facilities(roads, fac2, zones=z, admin=admin, access_speed_kmh=30)
    f = res.facilities.set_index("asset_id")
    assert f.loc["pkm", "closed"] and not f.loc["pustu", "closed"]
    d = res.desa.set_index("admin_name")
    assert d.loc["West", "nearest_facility_before"] == "pkm"
    assert d.loc["West", "nearest_facility_after"] == "pustu"
    # West's representative point (450, 0) lies on the road: 450 m to the Puskesmas before
    # (0.9 min), 1550 m to the Pustu after (3.1 min); the cut piece (x < 50) is not on that path
    assert d.loc["West", "travel_time_min_before"] == pytest.approx(0.9)
    assert d.loc["West", "travel_time_min_after"] == pytest.approx(3.1)


def test_bridge_flag_read_like_osm_text_and_numbers(two_villages):
    # OSM extracts carry bridge=yes/no as text, and 0/1 columns read with gaps are float:
    # "no" and 0.0 are not bridges, so a high-class flood cuts them only as a road would
    roads, fac, admin, zones = two_villages
    for flags in (["no", "yes", None], [0.0, 1.0, np.nan]):
        g = build_road_graph(roads.assign(bridge=flags))
        by_road = g.edges.groupby("asset_id")["bridge"].all()
        assert by_road.to_dict() == {"bridge": True, "e": False, "w": False}
        res = access_to_facilities(roads.assign(bridge=flags), fac, zones=zones,
                                   bridge_cut_min_rank=1, cut_min_rank=4)
        cut = res.graph.edges.groupby("asset_id")["cut"].any().to_dict()
        assert cut == {"bridge": True, "e": False, "w": False}


def test_bad_input_errors(two_villages):
    roads, fac, admin, zones = two_villages
    with pytest.raises(SchemaError, match="at least one facility"):
        access_to_facilities(roads, fac.assign(exposure_class="education"))
    with pytest.raises(SchemaError, match=r"asset_id.*found only"):
        build_road_graph(roads.drop(columns="asset_id"))
    with pytest.raises(CRSMismatchError):
        access_to_facilities(roads, fac.set_crs(32750, allow_override=True))
    with pytest.raises(CRSError):
        build_road_graph(roads.to_crs(4326))
    with pytest.raises(ParameterError, match="speeds"):
        build_road_graph(roads, speeds_kmh={"local": 0})
    with pytest.raises(SchemaError, match="LineString"):
        build_road_graph(fac)


# ------------------------------------------------------------------------------ properties
@st.composite
def grid_network(draw):
    n = draw(st.integers(3, 6))
    keep = draw(st.lists(st.booleans(), min_size=2 * n * n, max_size=2 * n * n))
    classes = draw(st.lists(st.sampled_from(["primary", "local", "path"]), min_size=2 * n * n,
                            max_size=2 * n * n))
    rows = []
    k = 0
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and keep[k]:
                    rows.append((f"s{k}", classes[k], False,
                                 ln((i * 100, j * 100), ((i + di) * 100, (j + dj) * 100))))
                k += 1
    return rows


@settings(max_examples=30, deadline=None)
@given(rows=grid_network(), fx=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
       zx=st.floats(0, 500), zw=st.floats(10, 300))
def test_multi_source_equals_min_of_single_sources_and_flood_never_helps(rows, fx, zx, zw):
    if not rows:
        return
    g = build_road_graph(roads_frame(rows))
    fn = np.array([f % g.n_nodes for f in fx])
    off = np.linspace(0.0, 1.0, len(fn))
    t, which = nearest_facility_times(g, fn, off)
    ref = csgraph.dijkstra(g.matrix(), directed=False, indices=fn) + off[:, None]
    assert np.allclose(t, ref.min(axis=0), equal_nan=False) or np.array_equal(
        np.isinf(t), np.isinf(ref.min(axis=0)))
    fin = np.isfinite(t)
    assert np.allclose(t[fin], ref.min(axis=0)[fin], atol=1e-9)
    # the facility reported is one that attains the minimum
    assert np.allclose(ref[which[fin], np.flatnonzero(fin)], t[fin], atol=1e-9)
    zones = gpd.GeoDataFrame({"hazard_class": ["high", "low"], "class_rank": [3, 1]},
                             geometry=[sq(zx, 0, zx + zw, 150), sq(0, 200, 500, 260)], crs=CRS)
    f = flood_road_graph(g, zones)
    t2, _ = nearest_facility_times(f, fn, off)
    assert np.all(t2[fin] >= t[fin] - 1e-9)
    assert np.all(np.isinf(t2[~fin]))
