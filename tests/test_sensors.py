"""Tests of kotacerdas_gis.siting.sensors: lead times by hand on synthetic valleys, invariants.

Fixtures (100 m cells, EPSG:32751):

* ``straight``: ``valley_dem(rows=80, cols=5)``: one channel in column 2 draining due
  south, so the flow length between two axis cells is (row difference) x 100 m.
* ``y_valley``: a main channel in column 20 (60 rows, draining south) and a tributary
  along row 30 from column 40 flowing west, joining the main channel at (31, 20) by a
  diagonal step: the tributary's flow length from (30, c) to (r, 20) with r > 30 is
  (c - 21) x 100 + 100 sqrt(2) + (r - 31) x 100 m.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
import scipy.ndimage as ndi
import scipy.sparse as sp
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geopandas as gpd
from shapely.geometry import LineString, Point

from kotacerdas_gis.errors import (
    CRSMismatchError,
    DataError,
    InfeasibleProblemError,
    ParameterError,
    SchemaError,
)
from kotacerdas_gis.hazard.terrain import Terrain, derive_terrain
from kotacerdas_gis.siting.sensors import (
    SensorParameters,
    _tree_dp,
    _tree_rows,
    build_gauge_problem,
    evaluate_gauges,
    site_sensors,
)
from kotacerdas_gis.siting.solvers import mclp
from kotacerdas_gis.testing import valley_dem

CELL = 100.0
CRS = 32751


@cache
def straight() -> Terrain:
    dem = valley_dem(rows=80, cols=5, cell_m=CELL, side_slope=0.2, valley_slope=0.01)
    return derive_terrain(dem, transform=Affine(CELL, 0, 0, 0, -CELL, 80 * CELL), crs=CRS,
                          stream_threshold_km2=0.05)


def _y_dem(rows: int = 60, cols: int = 41, jr: int = 30, slope: float = 0.01,
           side: float = 0.2) -> np.ndarray:
    ax = cols // 2
    chan = np.zeros((rows, cols), dtype=bool)
    z = np.full((rows, cols), np.nan)
    z[:, ax] = 100 + slope * (rows - 1 - np.arange(rows)) * CELL
    chan[:, ax] = True
    c = np.arange(ax + 1, cols)
    z[jr, ax + 1:] = z[jr, ax] + slope * (c - ax) * CELL
    chan[jr, ax + 1:] = True
    d, (ir, ic) = ndi.distance_transform_edt(~chan, return_indices=True)
    return (z[ir, ic] + side * d * CELL).astype(np.float32)


@cache
def y_valley() -> Terrain:
    return derive_terrain(_y_dem(), transform=Affine(CELL, 0, 0, 0, -CELL, 60 * CELL), crs=CRS,
                          stream_threshold_km2=0.5)


def cell(t: Terrain, row: int, col: int) -> int:
    return row * t.shape[1] + col


def centre(t: Terrain, row: int, col: int) -> Point:
    return Point(t.transform.c + (col + 0.5) * CELL, t.transform.f - (row + 0.5) * CELL)


def places(t: Terrain, rc: list[tuple[int, int]], people: list[float] | None = None
           ) -> gpd.GeoDataFrame:
    people = [500.0] * len(rc) if people is None else people
    return gpd.GeoDataFrame({"people": people}, geometry=[centre(t, r, c) for r, c in rc],
                            crs=CRS)


# straight valley: 3 m/s, 5 + 10 min delays, 15 min minimum -> 3 x 60 x 30 = 5,400 m
P_STRAIGHT = SensorParameters(n_water_level=1, min_upstream_area_km2=0.05,
                              scenario_min_area_km2=0.2, n_rain=0)
# Y valley: 2 m/s, 5 + 5 min delays, 10 min minimum -> 2 x 60 x 20 = 2,400 m
P_Y = SensorParameters(n_water_level=2, min_upstream_area_km2=0.5, scenario_min_area_km2=1.0,
                       wave_speed_m_s=2.0, detection_delay_min=5.0, dissemination_delay_min=5.0,
                       min_lead_time_min=10.0, n_rain=0)


def test_fixtures_have_the_flow_paths_the_hand_computations_assume() -> None:
    t = straight()
    assert t.stream[5:, 2].all() and not t.stream[:, [0, 1, 3, 4]].any()
    ds = t.flwdir.idxs_ds
    assert all(ds[cell(t, r, 2)] == cell(t, r + 1, 2) for r in range(5, 79))
    y = y_valley()
    ds = y.flwdir.idxs_ds
    assert all(ds[cell(y, 30, c)] == cell(y, 30, c - 1) for c in range(22, 36))
    assert ds[cell(y, 30, 21)] == cell(y, 31, 20)  # the diagonal step into the main channel
    assert all(ds[cell(y, r, 20)] == cell(y, r + 1, 20) for r in range(5, 59))
    assert y.stream[30, 21:34].all() and y.stream[10:, 20].all()


def test_stream_tree_euler_numbering_matches_walking_downstream() -> None:
    prob = build_gauge_problem(y_valley(), places(y_valley(), [(50, 20)]), params=P_Y)
    net = prob._net
    assert sorted(net.pre.tolist()) == list(range(net.n))
    rng = np.random.default_rng(0)
    for b in rng.choice(net.n, 40, replace=False):
        below = {int(b)}
        cur = int(b)
        while net.ds[cur] != cur:
            cur = int(net.ds[cur])
            below.add(cur)
        got = set(np.flatnonzero(net.at_or_below(np.arange(net.n), int(b))).tolist())
        assert got == below


# --- hand-computable lead times ------------------------------------------------------------
def test_gauge_downstream_of_the_town_warns_nobody() -> None:
    t = straight()
    prob = build_gauge_problem(t, places(t, [(69, 2)]), params=P_STRAIGHT)
    ev = evaluate_gauges(prob, [cell(t, 75, 2)])
    assert ev.people_warned == 0.0
    assert (ev.pairs["gauge_cell"] == -1).all()  # no gauge between any source and the town
    assert ev.people_exposed == pytest.approx(500.0)  # every scenario lies above the town
    assert ev.lead_time_bands.set_index("band").loc["no gauge upstream", "people_expected"] \
        == pytest.approx(500.0)


def test_gauge_too_close_upstream_gives_less_than_the_minimum_lead_time() -> None:
    t = straight()
    prob = build_gauge_problem(t, places(t, [(69, 2)]), params=P_STRAIGHT)
    ev = evaluate_gauges(prob, [cell(t, 20, 2)])
    # 49 cells = 4,900 m: 4900 / 3 / 60 = 27.22 min - 15 min = 12.22 min < 15 min
    got = ev.pairs.loc[ev.pairs["gauge_cell"] == cell(t, 20, 2), "lead_time_min"]
    assert len(got) > 0
    assert np.allclose(got, 4900 / 3 / 60 - 15)
    assert ev.people_warned == 0.0
    assert ev.lead_time_bands.set_index("band").loc["< 15 min", "people_expected"] > 0


def test_lead_time_is_flow_length_over_wave_speed_minus_delays() -> None:
    t = straight()
    prob = build_gauge_problem(t, places(t, [(69, 2)]), params=P_STRAIGHT)
    ev = evaluate_gauges(prob, [cell(t, 10, 2)])
    detected = ev.pairs["gauge_cell"] == cell(t, 10, 2)
    # 59 cells = 5,900 m: 5900 / 3 m/s = 1,966.7 s = 32.78 min, minus 5 + 10 min = 17.78 min
    assert np.allclose(ev.pairs.loc[detected, "lead_time_min"], 5900 / 3 / 60 - 15, atol=1e-9)
    # warned: exactly the floods from sub-basins whose outlet is at or above row 10
    sc = prob.scenarios
    above = sc.loc[(sc["outlet_cell"] // t.shape[1]) <= 10, "weight"].sum()
    assert above > 0
    assert ev.people_warned == pytest.approx(500 * above)
    assert ev.people_not_warned == pytest.approx(500 * (1 - above))


def test_off_channel_place_snaps_along_its_flow_path() -> None:
    t = straight()
    # (60, 0) is two columns off the axis: it drains diagonally to (62, 2), 2 x 141.42 m
    prob = build_gauge_problem(t, places(t, [(60, 0)]), params=P_STRAIGHT)
    row = prob.places.iloc[0]
    assert row["cell"] == cell(t, 62, 2)
    assert row["snap_distance_m"] == pytest.approx(2 * math.hypot(CELL, CELL))


def test_tributary_flood_is_not_detected_by_a_gauge_on_the_other_branch() -> None:
    y = y_valley()
    prob = build_gauge_problem(y, places(y, [(50, 20)]), params=P_Y)
    sc = prob.scenarios.set_index("scenario_id")
    oc = sc["outlet_cell"] % y.shape[1]
    orow = sc["outlet_cell"] // y.shape[1]
    main_gauge, trib_gauge = cell(y, 12, 20), cell(y, 30, 28)
    trib_above = set(sc.index[(orow == 30) & (oc >= 28)])  # sources at/above the trib gauge
    trib_below = set(sc.index[(orow == 30) & (oc > 20) & (oc < 28)])
    north = set(sc.index[(oc == 20) & (orow <= 12)])  # sources at/above the main gauge
    assert trib_above and trib_below and north
    trib = trib_above | trib_below
    ev = evaluate_gauges(prob, [main_gauge]).pairs.set_index("scenario_id")
    assert not ev.loc[list(trib), "warned"].any()
    assert (ev.loc[list(trib), "gauge_cell"] == -1).all()
    assert ev.loc[list(north), "warned"].all()
    # 38 cells = 3,800 m at 2 m/s = 31.67 min - 10 min
    assert np.allclose(ev.loc[list(north), "lead_time_min"], 3800 / 2 / 60 - 10)
    ev2 = evaluate_gauges(prob, [trib_gauge]).pairs.set_index("scenario_id")
    assert not ev2.loc[list(north), "warned"].any()
    assert ev2.loc[list(trib_above), "warned"].all()
    # a flood forming on the tributary below the gauge does not pass it
    assert not ev2.loc[list(trib_below), "warned"].any()
    # (30,28) -> (30,21): 700 m; diagonal to (31,20): 141.42 m; down to (50,20): 1,900 m
    length = 700 + math.hypot(CELL, CELL) + 1900
    assert np.allclose(ev2.loc[list(trib_above), "lead_time_min"], length / 2 / 60 - 10)
    both = evaluate_gauges(prob, [main_gauge, trib_gauge])
    assert both.people_warned == pytest.approx(500 * sc.loc[list(north | trib_above),
                                                            "weight"].sum())


def test_two_gauges_go_one_on_each_branch() -> None:
    y = y_valley()
    # the confluence (31, 20) is only 1,900-2,100 m above the places: too close for the
    # 2,400 m needed, so one gauge must sit on each branch
    res = site_sensors(y, places(y, [(50, 20), (52, 20)]), params=P_Y, method="milp")
    wl = res.sites[res.sites["kind"] == "water_level"]
    cols = (wl["cell"] % y.shape[1]).tolist()
    rows = (wl["cell"] // y.shape[1]).tolist()
    assert len(wl) == 2
    assert any(c > 20 for c in cols)  # one on the tributary
    assert any(c == 20 and r <= 26 for r, c in zip(rows, cols, strict=True))  # one on the main
    # with both branches gauged every flood from above the confluence is caught
    assert res.figures["people_warned_expected"] > 0
    assert res.figures["people_warned_expected"] == pytest.approx(
        res.figures["coverage_objective"])
    assert res.solver.status == "optimal"
    assert len(res.warning_reach) == 2
    for _, r in wl.iterrows():
        assert r["reason_en"].startswith("Water-level gauge")
        assert "menit" in r["reason_id"]
        assert r["lead_time_min_min"] >= P_Y.min_lead_time_min - 1e-9
    # the warned reach ends at the furthest warned place (52, 20)
    end = res.warning_reach.geometry.iloc[0].coords[-1]
    assert end == (centre(y, 52, 20).x, centre(y, 52, 20).y)
    json.dumps(res.to_dict())


def test_site_figures_agree_with_hand_counts() -> None:
    t = straight()
    town = places(t, [(69, 2), (72, 2), (40, 2)], people=[300.0, 200.0, 50.0])
    res = site_sensors(t, town, params=P_STRAIGHT)
    s = res.sites.iloc[0]
    r = int(s["cell"]) // t.shape[1]
    # (40, 2) is only 40 - r cells below: too close unless r <= -14, so 2 of 3 places
    assert int(s["n_places_warned"]) == 2 and s["people_warned"] == pytest.approx(500.0)
    assert s["lead_time_min_min"] == pytest.approx((69 - r) * 100 / 180 - 15)
    assert s["lead_time_max_min"] == pytest.approx((72 - r) * 100 / 180 - 15)
    assert s["upstream_area_km2"] == pytest.approx(float(t.upstream_area_km2[r, 2]))
    assert s["marginal_gain"] == pytest.approx(res.figures["people_warned_expected"])
    bands = res.lead_time_bands
    assert bands["people_expected"].sum() == pytest.approx(res.figures["people_exposed_expected"])
    assert res.figures["impact_objective"] == pytest.approx(
        res.figures["people_exposed_expected"] - res.figures["people_warned_expected"])


def test_existing_gauge_is_snapped_counted_and_kept() -> None:
    t = straight()
    ex = gpd.GeoDataFrame(geometry=[Point(centre(t, 8, 2).x + 30, centre(t, 8, 2).y)], crs=CRS)
    res = site_sensors(t, places(t, [(69, 2)]), params=P_STRAIGHT, existing_water_level=ex)
    wl = res.sites[res.sites["kind"] == "water_level"]
    assert wl["existing"].sum() == 1
    assert int(wl.loc[wl["existing"], "cell"].iloc[0]) == cell(t, 8, 2)
    assert len(wl) == 2  # the existing one plus one new
    step = [s for s in res.accounting.steps if s.step.startswith("snap existing")][0]
    assert step.n_repaired == 1


def test_rain_gauge_covers_the_catchment_above_the_town() -> None:
    t = straight()
    p = SensorParameters(n_water_level=1, min_upstream_area_km2=0.05,
                         scenario_min_area_km2=0.2)
    res = site_sensors(t, places(t, [(69, 2)]), params=p)
    rain = res.sites[res.sites["kind"] == "rain"]
    # catchment = the town cell's upstream area; ceil(area / 250 km²) = 1 gauge, whose
    # 8.9 km radius covers the whole valley
    area = float(t.upstream_area_km2[69, 2])
    assert len(rain) == 1
    assert res.figures["catchment_km2"] == pytest.approx(area, rel=1e-6)
    assert rain["area_covered_km2"].iloc[0] == pytest.approx(area, rel=1e-6)
    assert res.rain_solver is not None
    assert "Pos curah hujan" in rain["reason_id"].iloc[0]


def test_gauge_moves_to_a_road_crossing_when_nobody_loses() -> None:
    t = straight()
    town = places(t, [(69, 2)])
    free = site_sensors(t, town, params=P_STRAIGHT)
    r0 = int(free.sites.iloc[0]["cell"]) // t.shape[1]
    y = centre(t, r0 + 1, 2).y  # a road crossing the valley one cell below the free optimum
    roads = gpd.GeoDataFrame(geometry=[LineString([(0, y), (500, y)])], crs=CRS)
    res = site_sensors(t, town, params=P_STRAIGHT, roads=roads)
    s = res.sites.iloc[0]
    assert bool(s["at_crossing"])
    assert s["distance_to_road_m"] == pytest.approx(0.0)
    assert res.figures["people_warned_expected"] == pytest.approx(
        free.figures["people_warned_expected"])


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{"min_lead_time_min": 0.0}, {"min_lead_time_min": -5.0},
                                {"wave_speed_m_s": 0.0}, {"wave_speed_m_s": -1.0},
                                {"detection_delay_min": -1.0}, {"n_water_level": None},
                                {"n_water_level": 2, "budget_idr": 1e9},
                                {"lead_time_bands_min": (60.0, 30.0)}, {"objective": "max"}])
def test_bad_parameters_raise(kw: dict) -> None:
    with pytest.raises(ParameterError, match="SensorParameters"):
        SensorParameters(**kw)


def test_more_gauges_than_candidates() -> None:
    t = straight()
    p = SensorParameters(n_water_level=1000, min_upstream_area_km2=0.05, n_rain=0)
    with pytest.raises(InfeasibleProblemError, match="candidate stream cells"):
        build_gauge_problem(t, places(t, [(69, 2)]), params=p)


def test_no_stream_above_the_threshold_says_which_threshold_works() -> None:
    t = straight()
    p = SensorParameters(min_upstream_area_km2=1000.0, n_rain=0)
    top = float(np.nanmax(t.upstream_area_km2))
    with pytest.raises(InfeasibleProblemError,
                       match=f"largest upstream area on the DEM is {top:.4g}"):
        build_gauge_problem(t, places(t, [(69, 2)]), params=p)


def test_no_place_far_enough_downstream() -> None:
    t = straight()
    with pytest.raises(InfeasibleProblemError, match="5400 m of river"):
        build_gauge_problem(t, places(t, [(30, 2)]), params=P_STRAIGHT)
    with pytest.raises(InfeasibleProblemError, match="no sub-basin"):
        build_gauge_problem(t, places(t, [(6, 2)]), params=P_STRAIGHT)


def test_existing_gauge_off_the_network_is_refused() -> None:
    t = straight()
    ex = gpd.GeoDataFrame(geometry=[Point(-3000, 4000)], crs=CRS)
    with pytest.raises(DataError, match="more than 100 m from a stream cell"):
        build_gauge_problem(t, places(t, [(69, 2)]), params=P_STRAIGHT, existing=ex)


def test_dem_not_covering_the_places_counts_them() -> None:
    t = straight()
    town = places(t, [(69, 2)] * 3)
    town.geometry = [centre(t, 69, 2), Point(-5000, 0), Point(9e5, 9e5)]
    with pytest.raises(DataError, match="2 of 3 exposed places lie outside the DEM"):
        build_gauge_problem(t, town, params=P_STRAIGHT)
    prob = build_gauge_problem(t, town, params=P_STRAIGHT, allow_places_outside_dem=True)
    step = prob.accounting.steps[0]
    assert step.reasons_rejected["outside the DEM"] == 2
    assert (prob.places["status"] == "outside_dem").sum() == 2


def test_layers_in_another_crs_and_missing_columns() -> None:
    t = straight()
    with pytest.raises(CRSMismatchError):
        build_gauge_problem(t, places(t, [(69, 2)]).set_crs(32750, allow_override=True),
                            params=P_STRAIGHT)
    with pytest.raises(SchemaError, match="weight column"):
        build_gauge_problem(t, places(t, [(69, 2)]), params=P_STRAIGHT, weight_col="jiwa")


# --- invariants -----------------------------------------------------------------------------
_Y_STREAM = np.flatnonzero(y_valley().stream.ravel())
_PLACE_RC = [(r, 20) for r in range(36, 60)] + [(r, c) for r in range(36, 51)
                                                  for c in (17, 18, 22, 23)]


def _random_places(data: st.DataObject) -> gpd.GeoDataFrame:
    idx = data.draw(st.lists(st.integers(0, len(_PLACE_RC) - 1), min_size=1, max_size=8))
    people = data.draw(st.lists(st.integers(1, 1000), min_size=len(idx), max_size=len(idx)))
    return places(y_valley(), [_PLACE_RC[i] for i in idx], [float(v) for v in people])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_people_warned_never_fall_with_more_gauges_or_a_shorter_minimum(data: st.DataObject
                                                                         ) -> None:
    pl = _random_places(data)
    prob = build_gauge_problem(y_valley(), pl, params=P_Y)
    g = data.draw(st.lists(st.sampled_from(_Y_STREAM.tolist()), max_size=6, unique=True))
    extra = data.draw(st.lists(st.sampled_from(_Y_STREAM.tolist()), max_size=4, unique=True))
    a = evaluate_gauges(prob, g).people_warned
    b = evaluate_gauges(prob, sorted(set(g) | set(extra))).people_warned
    assert b >= a - 1e-9
    shorter = SensorParameters(**{**P_Y.__dict__, "min_lead_time_min":
                                  data.draw(st.floats(0.5, 10.0))})
    prob2 = build_gauge_problem(y_valley(), pl, params=shorter)
    assert evaluate_gauges(prob2, g).people_warned >= a - 1e-9


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_matrix_agrees_with_direct_evaluation_and_pruning_keeps_the_optimum(
        data: st.DataObject) -> None:
    pl = _random_places(data)
    prob = build_gauge_problem(y_valley(), pl, params=P_Y)
    ncol = prob.coverage.shape[1]
    cols = data.draw(st.lists(st.integers(0, ncol - 1), max_size=4, unique=True))
    assert prob.covered_weight(cols) == pytest.approx(
        evaluate_gauges(prob, prob.candidate_cells[cols]).people_warned, abs=1e-9)
    # one gauge: the best of all candidate stream cells (unpruned) = the best column
    cand_cells = prob._net.cells[np.flatnonzero(prob._cand_mask)]
    best_all = max(evaluate_gauges(prob, [c]).people_warned for c in cand_cells)
    best_col = max(prob.covered_weight([j]) for j in range(ncol))
    assert best_col == pytest.approx(best_all, abs=1e-9)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), p=st.integers(1, 3))
def test_greedy_bound_holds_against_the_exact_milp(data: st.DataObject, p: int) -> None:
    pl = _random_places(data)
    prob = build_gauge_problem(y_valley(), pl, params=P_Y)
    p = min(p, prob.coverage.shape[1])
    g = mclp(prob.coverage, prob.weights, p=p, method="greedy")
    x = mclp(prob.coverage, prob.weights, p=p, method="milp")
    assert g.bound >= x.objective - 1e-6
    assert g.objective <= x.objective + 1e-6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_results_do_not_depend_on_the_row_order_of_places(data: st.DataObject) -> None:
    pl = _random_places(data)
    perm = data.draw(st.permutations(list(range(len(pl)))))
    a = site_sensors(y_valley(), pl, params=P_Y, method="greedy")
    b = site_sensors(y_valley(), pl.iloc[list(perm)], params=P_Y, method="greedy")
    assert a.sites["cell"].tolist() == b.sites["cell"].tolist()
    assert a.figures["people_warned_expected"] == b.figures["people_warned_expected"]
    pd.testing.assert_frame_equal(a.lead_time_bands, b.lead_time_bands)


def test_budget_limits_the_number_of_new_gauges() -> None:
    y = y_valley()
    p = SensorParameters(**{**P_Y.__dict__, "n_water_level": None,
                            "budget_idr": 2.5 * P_Y.cost_per_gauge_idr})
    res = site_sensors(y, places(y, [(50, 20), (52, 20)]), params=p, method="milp")
    assert (res.sites["kind"] == "water_level").sum() == 2  # 2.5 gauges' money buys 2


def test_existing_rain_gauge_meets_the_density_target_alone() -> None:
    t = straight()
    ex = gpd.GeoDataFrame(geometry=[centre(t, 40, 2)], crs=CRS)
    p = SensorParameters(n_water_level=1, min_upstream_area_km2=0.05, scenario_min_area_km2=0.2)
    res = site_sensors(t, places(t, [(69, 2)]), params=p, existing_rain=ex)
    rain = res.sites[res.sites["kind"] == "rain"]
    # ceil(3.5 km² / 250 km²) = 1 gauge wanted, 1 exists: nothing new, the existing one kept
    assert len(rain) == 1 and bool(rain["existing"].iloc[0])
    assert res.figures["rain_gauges_new"] == 0
    assert rain["area_covered_km2"].iloc[0] == pytest.approx(res.figures["catchment_km2"])


def test_scenario_weights_and_weight_columns() -> None:
    t = straight()
    town = places(t, [(69, 2)])
    town["vulnerable"] = [100.0]
    p = SensorParameters(**{**P_STRAIGHT.__dict__, "scenario_weight": "equal"})
    prob = build_gauge_problem(t, town, params=p, weight_col={"people": 1.0, "vulnerable": 2.0})
    k = len(prob.scenarios)
    assert np.allclose(prob.scenarios["weight"], 1 / k)
    assert prob.people_exposed == pytest.approx(500 + 2 * 100)
    grid = np.zeros(t.shape)
    grid[5, 2] = 3.0  # floods form only at one axis cell: only its sub-basin is a scenario
    prob2 = build_gauge_problem(t, town, params=P_STRAIGHT, scenario_weight_grid=grid)
    first_below = prob.scenarios["outlet_cell"][prob.scenarios["outlet_cell"] // 5 >= 5].min()
    assert prob2.scenarios["outlet_cell"].tolist() == [first_below]
    assert prob2.scenarios["weight"].tolist() == [1.0]


def test_impact_objective_reports_the_same_optimum() -> None:
    y = y_valley()
    pl = places(y, [(50, 20), (52, 20)])
    a = site_sensors(y, pl, params=P_Y, method="milp")
    b = site_sensors(y, pl, params=SensorParameters(**{**P_Y.__dict__, "objective": "impact"}),
                     method="milp")
    assert a.sites["cell"].tolist() == b.sites["cell"].tolist()
    assert b.figures["impact_objective"] == pytest.approx(
        a.figures["people_exposed_expected"] - a.figures["people_warned_expected"])
    assert b.to_dict()["water_level"]["objective_sense"] == "impact"


def test_zero_gauges_and_none_existing_is_refused() -> None:
    t = straight()
    p = SensorParameters(**{**P_STRAIGHT.__dict__, "n_water_level": 0})
    with pytest.raises(ParameterError, match="nothing to site"):
        site_sensors(t, places(t, [(69, 2)]), params=p)


# --- the exact tree DP ----------------------------------------------------------------------
@st.composite
def _tree_instance(draw: st.DrawFn) -> tuple[np.ndarray, list[list[int]], np.ndarray,
                                             list[int], int]:
    n = draw(st.integers(1, 8))
    parent = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n)]  # -1: another root
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        path = [draw(st.integers(0, n - 1))]
        for _ in range(draw(st.integers(0, n))):
            if parent[path[-1]] < 0:
                break
            path.append(parent[path[-1]])
        rows.append(path)
    w = np.array(draw(st.lists(st.integers(0, 20), min_size=len(rows), max_size=len(rows))),
                 dtype=float)
    fixed = sorted(draw(st.sets(st.integers(0, n - 1), max_size=2)))
    return np.array(parent), rows, w, fixed, draw(st.integers(0, 4))


@settings(max_examples=150, deadline=None)
@given(inst=_tree_instance())
def test_tree_dp_equals_brute_force_on_random_trees(inst: tuple) -> None:
    parent, rows, w, fixed, p = inst
    n = parent.size
    ii = [i for i, r in enumerate(rows) for _ in r]
    jj = [j for r in rows for j in r]
    cov = sp.csr_matrix((np.ones(len(ii), dtype=bool), (ii, jj)), shape=(len(rows), n))

    def value(s: set[int]) -> float:
        return float(sum(wi for wi, r in zip(w, rows, strict=True) if s & set(r)))

    free = [j for j in range(n) if j not in fixed]
    brute = max(value(set(fixed) | set(c)) for k in range(min(p, len(free)) + 1)
                for c in itertools.combinations(free, k))
    tr = _tree_rows(cov, w, parent)
    assert tr is not None
    out = _tree_dp(tr, p=p, fixed=np.array(fixed, dtype=np.int64))
    assert out is not None
    sel, best = out
    assert best == pytest.approx(brute, abs=1e-9)
    assert value(set(sel.tolist())) == pytest.approx(brute, abs=1e-9)
    assert set(fixed) <= set(sel.tolist()) and len(set(sel.tolist()) - set(fixed)) <= p


def test_tree_rows_refuses_a_row_that_is_not_a_path() -> None:
    # 0 <- 1 <- 2 (2 deepest): {0, 2} skips 1; {1, 3} with 3 a second root is no path
    parent = np.array([-1, 0, 1, -1])
    w = np.ones(1)
    for row in ([0, 2], [1, 3]):
        cov = sp.csr_matrix((np.ones(2, dtype=bool), ([0, 0], row)), shape=(1, 4))
        assert _tree_rows(cov, w, parent) is None
    ok = sp.csr_matrix((np.ones(2, dtype=bool), ([0, 0], [1, 2])), shape=(1, 4))
    assert _tree_rows(ok, w, parent) is not None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), p=st.integers(1, 3), n_existing=st.integers(0, 1))
def test_auto_is_the_tree_dp_and_equals_the_exact_milp(data: st.DataObject, p: int,
                                                        n_existing: int) -> None:
    y = y_valley()
    pl = _random_places(data)
    ex = None
    if n_existing:
        r, c = data.draw(st.sampled_from([(15, 20), (22, 20), (30, 30), (30, 25)]))
        ex = gpd.GeoDataFrame(geometry=[centre(y, r, c)], crs=CRS)
    prm = SensorParameters(**{**P_Y.__dict__, "n_water_level": p})
    try:
        a = site_sensors(y, pl, params=prm, existing_water_level=ex, method="auto")
    except InfeasibleProblemError:
        return  # every place too close to the candidates: nothing to compare
    b = site_sensors(y, pl, params=prm, existing_water_level=ex, method="milp")
    assert a.solver.solver == "tree_dp" and a.solver.status == "optimal"
    assert a.solver.gap == 0.0 and a.solver.bound == a.solver.objective
    assert a.figures["people_warned_expected"] == pytest.approx(
        b.figures["people_warned_expected"], abs=1e-9)
    # the DP never places more new gauges than asked, and keeps the existing ones
    wl = a.sites[a.sites["kind"] == "water_level"]
    assert (~wl["existing"]).sum() <= p and wl["existing"].sum() == n_existing
    # ranks are in greedy order: marginal gains never rise after the existing gauges
    gains = wl.loc[~wl["existing"], "marginal_gain"].to_numpy()
    assert (np.diff(gains) <= 1e-9).all()


def test_budget_with_an_existing_gauge_charges_only_the_new_ones() -> None:
    y = y_valley()
    ex = gpd.GeoDataFrame(geometry=[centre(y, 20, 20)], crs=CRS)
    # 1.5 gauges' money buys one new gauge; the existing one at (20, 20) costs nothing
    p = SensorParameters(**{**P_Y.__dict__, "n_water_level": None,
                            "budget_idr": 1.5 * P_Y.cost_per_gauge_idr})
    town = places(y, [(50, 20), (52, 20)])
    out = {m: site_sensors(y, town, params=p, existing_water_level=ex, method=m)
           for m in ("auto", "milp")}
    for res in out.values():
        wl = res.sites[res.sites["kind"] == "water_level"]
        assert len(wl) == 2 and wl["existing"].sum() == 1
        assert int(wl.loc[wl["existing"], "cell"].iloc[0]) == cell(y, 20, 20)
        assert res.figures["n_water_level_new"] == 1
        assert res.figures["n_water_level_existing"] == 1
    assert out["auto"].solver.solver == "tree_dp"
    assert out["auto"].figures["people_warned_expected"] == pytest.approx(
        out["milp"].figures["people_warned_expected"])
    # the existing gauge alone warns less: the new one adds people
    alone = site_sensors(y, town, existing_water_level=ex,
                         params=SensorParameters(**{**P_Y.__dict__, "n_water_level": 0}))
    assert (out["auto"].figures["people_warned_expected"]
            > alone.figures["people_warned_expected"] + 1.0)
    # a budget below one gauge buys none: only the existing gauge is evaluated
    p0 = SensorParameters(**{**P_Y.__dict__, "n_water_level": None,
                             "budget_idr": 0.5 * P_Y.cost_per_gauge_idr})
    none = site_sensors(y, town, params=p0, existing_water_level=ex)
    assert none.figures["n_water_level_new"] == 0
    assert none.figures["people_warned_expected"] == pytest.approx(
        alone.figures["people_warned_expected"])


def test_rain_gauges_are_kept_near_roads() -> None:
    t = straight()
    town = places(t, [(69, 2)])
    yr = centre(t, 60, 2).y  # a road across the valley at row 60
    roads = gpd.GeoDataFrame(geometry=[LineString([(0, yr), (500, yr)])], crs=CRS)
    base = dict(n_water_level=1, min_upstream_area_km2=0.05, scenario_min_area_km2=0.2,
                n_rain=1, rain_radius_m=1000.0, rain_grid_m=500.0, max_road_distance_m=None)
    free = site_sensors(t, town, params=SensorParameters(**base), roads=roads)
    res = site_sensors(t, town, roads=roads,
                       params=SensorParameters(**base, rain_max_road_distance_m=350.0))
    # 5 x 5-cell blocks over the 70 catchment rows: 14 blocks; block k (rows 5k..5k+4) has
    # its centre at |5,800 - 500 k| m from the road: only k = 11 (300 m), 12 (200 m) are
    # within 350 m, so 12 are rejected
    step = [s for s in res.accounting.steps if s.step == "rain-gauge candidates"][0]
    assert step.n_in == 14
    assert dict(step.reasons_rejected) == {"more than 350 m from a road": 12}
    rain = res.sites[res.sites["kind"] == "rain"]
    assert len(rain) == 1
    assert rain["distance_to_road_m"].iloc[0] in (pytest.approx(300.0), pytest.approx(200.0))
    assert rain.geometry.y.iloc[0] in (pytest.approx(yr + 300.0), pytest.approx(yr - 200.0))
    free_rain = free.sites[free.sites["kind"] == "rain"]
    assert free_rain["distance_to_road_m"].iloc[0] > 350.0  # unfiltered: the middle
    assert rain["area_covered_km2"].iloc[0] <= free_rain["area_covered_km2"].iloc[0] + 1e-9


# --- exposed places from the exposure step ---------------------------------------------------
def _exposure_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    # desa A: 40 people, 4 residential buildings (2 affected); desa B: 9 people, 3 residential
    # (1 affected), 1 affected warehouse; desa C: 5 people, no residential building
    b = gpd.GeoDataFrame({
        "asset_id": [f"b{i}" for i in range(1, 10)],
        "admin_code": ["A"] * 4 + ["B"] * 4 + ["C"],
        "exposure_class": ["residential"] * 4 + ["residential"] * 3 + ["commercial", "health"],
        "hazard_class": ["high", "low", "not exposed", "not exposed", "medium", "not exposed",
                         "not exposed", "high", "high"],
        "affected": [True, True, False, False, True, False, False, True, True]},
        geometry=[Point(i * 100.0, 0.0).buffer(5.0) for i in range(9)], crs=CRS)
    f = gpd.GeoDataFrame({
        "asset_id": ["f1", "f2", "f3"], "admin_code": ["A", "B", "C"],
        "exposure_class": ["education", "health", "education"],
        "hazard_class": ["high", "not exposed", "low"], "affected": [True, False, True]},
        geometry=[Point(0.0, 50.0), Point(400.0, 50.0), Point(800.0, 50.0)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["A", "B", "C"], "population": [40.0, 9.0, 5.0],
                        "elderly": [4.0, 0.0, 1.0], "disabled": [0.0, 0.9, 0.0]})
    return b, f, pop


