"""Service points on a tiny hand-built flooded road network (EPSG:32751)."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import CRSError, InfeasibleProblemError, ParameterError
from kotacerdas_gis.network import build_road_graph, flood_road_graph
from kotacerdas_gis.siting.service_points import (
    candidate_sites,
    site_service_points,
    travel_time_matrix,
)

# Roads (local, 30 km/h = 2 min per km):
#   r1 (0,0)-(1000,0), r2 (1000,0)-(2000,0), r3 (2000,0)-(4000,0), r4 (1000,0)-(1000,1000).
# A high zone on x 2400-2600 cuts r3, so village C at (4000, 0) is cut off (2 km from the
# nearest open road, beyond the 1 km snap limit).
# Villages: A (0,0) 100 people desa 01, B (1000,1000) 50 people desa 02, C (4000,0) 80 desa 03,
# D (6500, 0) 30 people desa 04 on r5 (6000,0)-(7000,0), a road that joins nothing.
# Public buildings: school S1 centred on (1000, 0), 20 x 20 m = 400 m2 -> floor(400 / 3.5) = 114
# people; hall S2 centred on (2000, 0), 40 x 35 m = 1400 m2 -> 400 people; S3 centred on
# (2500, 0) inside the high zone (excluded); a house at (500, 0) (not public).
# Trips by vehicle: A-S1 1 km = 2 min, B-S1 1 km = 2 min, A-S2 2 km = 4 min, B-S2 4 min;
# C reaches nothing.
CRS = 32751


@pytest.fixture
def zones():
    return gpd.GeoDataFrame({"hazard_class": ["high", "low"], "class_rank": [3, 1]},
                            geometry=[box(2400, -300, 2600, 300), box(-100, 900, 100, 1100)],
                            crs=CRS)


@pytest.fixture
def graph(zones):
    roads = gpd.GeoDataFrame(
        {"asset_id": ["r1", "r2", "r3", "r4", "r5"], "road_class": ["local"] * 5},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (2000, 0)]),
                  LineString([(2000, 0), (4000, 0)]), LineString([(1000, 0), (1000, 1000)]),
                  LineString([(6000, 0), (7000, 0)])],
        crs=CRS)
    return flood_road_graph(build_road_graph(roads), zones)


@pytest.fixture
def demand():
    return gpd.GeoDataFrame({"demand_id": ["A", "B", "C", "D"],
                             "admin_code": ["01", "02", "03", "04"],
                             "population": [100.0, 50.0, 80.0, 30.0],
                             "elderly": [10.0, 20.0, 0.0, 0.0]},
                            geometry=[Point(0, 0), Point(1000, 1000), Point(4000, 0),
                                      Point(6500, 0)], crs=CRS)


@pytest.fixture
def buildings():
    return gpd.GeoDataFrame(
        {"asset_id": ["S1", "S2", "S3", "H1"], "name": ["SD 1", "Balai", "SMP 3", "Rumah"],
         "exposure_class": ["education", "government", "education", "residential"]},
        geometry=[box(990, -10, 1010, 10), box(1980, -17.5, 2020, 17.5),
                  box(2490, -10, 2510, 10), box(495, -5, 505, 5)], crs=CRS)


@pytest.fixture
def cands(buildings, zones):
    return candidate_sites(buildings, zones=zones)


def test_candidates_by_hand(cands, buildings, zones):
    assert cands["candidate_id"].tolist() == ["S1", "S2"]          # S3 in the high zone, H1 a house
    assert cands["capacity_persons"].tolist() == [114, 400]
    assert cands["floor_area_m2"].tolist() == pytest.approx([400.0, 1400.0])
    hp = candidate_sites(buildings, zones=zones, kind="health_post", people_per_post=1250)
    assert hp["capacity_persons"].tolist() == [1250, 1250]
    # excluding the low class as well changes nothing here (no candidate in it)
    assert len(candidate_sites(buildings, zones=zones, exclude_classes=["low"])) == 2
    # with the high class starting at rank 1, the low zone excludes nothing (S1, S2 dry)
    assert len(candidate_sites(buildings, zones=zones, high_min_rank=1)) == 2


def test_open_land_grid(graph, zones):
    area = gpd.GeoDataFrame(geometry=[box(0, -500, 1000, 500)], crs=CRS)
    # grid points at x 250, 750 and y -250, 250: each 250 m from the road (r1 or r4)
    none = candidate_sites(None, zones=zones, graph=graph, area=area, open_land_spacing_m=500,
                           open_land_max_road_m=200)
    assert len(none) == 0
    four = candidate_sites(None, zones=zones, graph=graph, area=area, open_land_spacing_m=500,
                           open_land_max_road_m=300)
    assert len(four) == 4 and set(four["source"]) == {"open land"}
    assert four["capacity_persons"].tolist() == [500 * 500 // 45] * 4  # 5555 people (45 m2 each)


def test_travel_time_matrix_by_hand(graph, demand, cands):
    m = travel_time_matrix(graph, demand, cands, max_time_min=10)
    d = m.toarray()
    assert d[0].tolist() == pytest.approx([2.0, 4.0])
    assert d[1].tolist() == pytest.approx([2.0, 4.0])
    assert m.indptr[3] - m.indptr[2] == 0                 # C: cut off
    m3 = travel_time_matrix(graph, demand, cands, max_time_min=3)
    assert m3.nnz == 2 and m3.toarray()[:, 0].tolist() == pytest.approx([2.0, 2.0, 0.0, 0.0])
    # on foot at 5 km/h: 1 km = 12 min
    foot = travel_time_matrix(graph, demand, cands, max_time_min=30, walk_speed_kmh=5.0)
    assert foot.toarray()[0].tolist() == pytest.approx([12.0, 24.0])
    # 50 m off the road: 0.6 min walking + 0.5 km at 30 km/h (1 min) to S1
    off = gpd.GeoSeries([Point(500, 50)], crs=CRS)
    assert travel_time_matrix(graph, off, cands, max_time_min=3).toarray()[0, 0] == \
        pytest.approx(1.6)
    # a demand point at the site itself: zero minutes, stored
    at = gpd.GeoSeries([Point(1000, 0)], crs=CRS)
    z = travel_time_matrix(graph, at, cands, max_time_min=3)
    # at S1 (0 min, stored explicitly) and 1 km from S2 (2 min)
    assert z.nnz == 2 and z.indices.tolist() == [0, 1]
    assert z.data.tolist() == pytest.approx([0.0, 2.0])


def test_mclp_picks_the_school_and_lists_the_cut_village(graph, demand, cands):
    res = site_service_points(graph, demand, cands, p=1, max_time_min=3, capacitated=False)
    s = res.sites
    assert s["site_id"].tolist() == ["S1"]
    assert s["people_covered"].tolist() == [150.0]
    assert s["max_travel_time_min"].tolist() == pytest.approx([2.0])
    assert "150 orang" in s["reason_id"][0] and "150 people" in s["reason_en"][0]
    a = res.assignment.sort_values("demand_id")
    assert a["demand_id"].tolist() == ["A", "B"] and a["site_id"].tolist() == ["S1", "S1"]
    assert a["travel_time_min"].tolist() == pytest.approx([2.0, 2.0])
    assert a.geometry.iloc[0].equals(LineString([(0, 0), (1000, 0)]))
    u = res.unreachable
    assert u["demand_id"].tolist() == ["C", "D"] and u["admin_code"].tolist() == ["03", "04"]
    assert u["reason"].tolist() == ["no open road within 1000 m",
                                    "no open road connects it to any candidate"]
    assert res.report["persons_unreachable"] == 110.0
    assert res.solver.objective == 150.0 and res.solver.gap == 0.0
    d = res.to_dict()
    assert d["unreachable"]["admin_codes"] == ["03", "04"]


def test_mclp_capacities_and_existing(graph, demand, cands):
    # S1 holds 114 of the 150 people within 3 min
    r = site_service_points(graph, demand, cands, p=1, max_time_min=3)
    assert r.sites["load_persons"].tolist() == pytest.approx([114.0])
    assert r.solver.objective == pytest.approx(114.0)
    # within 5 min both sites reach A and B: S1 114 + S2 36 = 150
    r = site_service_points(graph, demand, cands, p=2, max_time_min=5)
    assert r.solver.objective == pytest.approx(150.0)
    assert r.assignment["persons"].sum() == pytest.approx(150.0)
    assert (r.sites["load_persons"] <= r.sites["capacity_persons"] + 1e-9).all()
    # S2 existing, p = 2, 3 min: S2 reaches nobody within 3 min, S1 is added
    r = site_service_points(graph, demand, cands, p=2, max_time_min=3, existing=["S2"],
                            capacitated=False)
    assert sorted(r.sites["site_id"]) == ["S1", "S2"]
    assert r.sites.set_index("site_id")["existing"].to_dict() == {"S1": False, "S2": True}
    assert r.sites.set_index("site_id").loc["S2", "reason_en"].startswith("Existing shelter")


def test_vulnerable_weighting(graph, demand, cands):
    # weight = people + 2 x elderly: A 120, B 90; the people covered stay people
    r = site_service_points(graph, demand, cands, p=1, max_time_min=3, capacitated=False,
                            vulnerable_cols=["elderly"], vulnerable_weight=2.0)
    assert r.solver.objective == 210.0
    assert r.sites["people_covered"].tolist() == [150.0]


def test_p_median_lscp_p_center(graph, demand, cands):
    r = site_service_points(graph, demand, cands, model="p_median", p=1, max_time_min=5,
                            capacitated=False)
    # S1: 100 x 2 + 50 x 2 = 300; S2: 150 x 4 = 600 -> S1, mean 2 min
    assert r.sites["site_id"].tolist() == ["S1"] and r.solver.objective == pytest.approx(300.0)
    assert r.sites["mean_travel_time_min"].tolist() == pytest.approx([2.0])
    r = site_service_points(graph, demand, cands, model="lscp", max_time_min=3)
    assert r.sites["site_id"].tolist() == ["S1"] and r.solver.objective == 1.0
    r = site_service_points(graph, demand, cands, model="p_center", p=1, max_time_min=5)
    assert r.sites["site_id"].tolist() == ["S1"] and r.solver.objective == pytest.approx(2.0)
    assert "2.0 minutes" in r.sites["reason_en"][0]


def test_lscp_names_the_demand_beyond_the_limit(graph, cands):
    # H at (500, 800) walks 500 m to r4 (6 min at 5 km/h) then 0.8 km (1.6 min): 7.6 min to S1,
    # connected but beyond 3 min; A is 2 min from S1
    dem = gpd.GeoDataFrame({"demand_id": ["A", "H"], "population": [10.0, 5.0]},
                           geometry=[Point(0, 0), Point(500, 800)], crs=CRS)
    m = travel_time_matrix(graph, dem, cands, max_time_min=10).toarray()
    assert m[1, 0] == pytest.approx(7.6)
    with pytest.raises(InfeasibleProblemError, match=r"connected but no candidate.*: H\."):
        site_service_points(graph, dem, cands, model="lscp", max_time_min=3)


def test_bad_input(graph, demand, cands, buildings, zones):
    with pytest.raises(CRSError):
        site_service_points(graph, demand, cands.to_crs(4326), p=1)
    with pytest.raises(ParameterError, match="needs p"):
        site_service_points(graph, demand, cands, model="mclp")
    with pytest.raises(ParameterError, match="model must be"):
        site_service_points(graph, demand, cands, model="best", p=1)
    nan = demand.assign(population=[1.0, np.nan, 2.0, 3.0])
    with pytest.raises(ParameterError, match="missing or non-numeric"):
        site_service_points(graph, nan, cands, p=1)
    with pytest.raises(ParameterError, match="sums to zero"):
        site_service_points(graph, demand.assign(population=0.0), cands, p=1)
    with pytest.raises(ParameterError, match="only 2 candidates"):
        site_service_points(graph, demand, cands, p=3)
    with pytest.raises(ParameterError, match="max_time_min"):
        site_service_points(graph, demand, cands, p=1, max_time_min=0)
    # every public building in the high class
    high = zones.assign(geometry=[box(-5000, -5000, 5000, 5000), box(0, 0, 1, 1)])
    none = candidate_sites(buildings, zones=high)
    assert len(none) == 0
    with pytest.raises(InfeasibleProblemError, match="every candidate is in the high"):
        site_service_points(graph, demand, none, p=1)
    # the only candidate is beyond the cut
    far = gpd.GeoDataFrame({"candidate_id": ["X"], "capacity_persons": [100]},
                           geometry=[Point(4000, 0)], crs=CRS)
    with pytest.raises(InfeasibleProblemError, match="no candidate is reachable"):
        site_service_points(graph, demand.iloc[:2], far, p=1)
