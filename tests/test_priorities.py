"""Tests of kotacerdas_gis.priorities: hand-computable scenarios in EPSG:32751."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import KotaCerdasWarning, ParameterError, SchemaError
from kotacerdas_gis.network import (
    RoadGraph,
    build_road_graph,
    flood_road_graph,
    nearest_facility_times,
)
from kotacerdas_gis.priorities import (
    CRITERIA,
    JRC_ASIA_RESIDENTIAL,
    JRC_ASIA_TRANSPORT,
    CostUnitWarning,
    DamageCurve,
    InconsistentJudgementWarning,
    ahp_weights,
    bridge_prerequisites,
    check_weights,
    criticality_table,
    damage_fraction,
    prepare_network_access,
    priority_assets,
    rank_rebuild_priorities,
    reason_sentences,
    restoration_criticality,
    select_budget,
)
from kotacerdas_gis.priorities.reasons import fmt_idr_id, fmt_int_en, fmt_int_id
from kotacerdas_gis.testing import bridge_scenario

CRS = 32751


def roads_frame(rows):
    return gpd.GeoDataFrame(
        {"asset_id": [r[0] for r in rows], "road_class": [r[1] for r in rows],
         "bridge": [r[2] for r in rows]}, geometry=[r[3] for r in rows], crs=CRS)


def hf_at(*xy):
    return gpd.GeoDataFrame({"asset_id": [f"h{i}" for i in range(len(xy))],
                             "exposure_class": ["health"] * len(xy)},
                            geometry=[Point(*p) for p in xy], crs=CRS)


# ----------------------------------------------------------------------------- damage
def test_damage_curves_at_their_knots():
    # DOMAIN.md: residential 0.5 m 32.7 %, 1 m 49.4 %, 2 m 72.1 %, 3 m 87 %, 6 m 100 %
    r = JRC_ASIA_RESIDENTIAL(np.array([0.0, 0.5, 1.0, 2.0, 3.0, 6.0, 9.0]))
    assert r.tolist() == pytest.approx([0.0, 0.327, 0.494, 0.721, 0.87, 1.0, 1.0])
    # transport 0.5 m 35.8 %, 1 m 57.2 %, 3 m 100 %
    t = JRC_ASIA_TRANSPORT(np.array([0.5, 1.0, 3.0, 2.0]))
    assert t.tolist() == pytest.approx([0.358, 0.572, 1.0, 0.786])  # 2 m: halfway 1 m-3 m
    # linear between 0 and the first knot; NaN and negative depths are dry
    assert JRC_ASIA_RESIDENTIAL(np.array([0.25, np.nan, -1.0])).tolist() == pytest.approx(
        [0.1635, 0.0, 0.0])


def test_damage_fraction_flash_flood_factor_and_observed_classes():
    a = pd.DataFrame({
        "asset_type": ["housing", "housing", "road", "school", "housing", "bridge"],
        "depth_m": [1.0, 1.0, 1.0, 2.0, 6.0, np.nan],
        "material": ["water", "mud", "mud", None, "mud", None],
        "damage_observed": [None, None, None, "Rusak Berat", None, "??"],
    })
    d = damage_fraction(a, flash_flood_factor=1.5)
    # 0.494; mud 0.494 x 1.5 = 0.741; road mud 0.572 x 1.5 = 0.858; observed berat 0.75;
    # 6 m mud capped at 1; unknown label and no depth -> 0
    assert d.damage_frac.tolist() == pytest.approx([0.494, 0.741, 0.858, 0.75, 1.0, 0.0])
    assert d.damage_source.tolist() == ["curve", "curve", "curve", "observed", "curve", "none"]
    # a flash flood for every row without a material
    d2 = damage_fraction(a.drop(columns=["material"]), flash_flood_factor=1.5,
                         default_material="mud")
    assert d2.damage_frac.iloc[0] == pytest.approx(0.741)
    # custom curves as data
    c = DamageCurve("flat", (1.0,), (0.2,))
    assert damage_fraction(a, curves={"housing": c}).damage_frac.iloc[0] == pytest.approx(0.2)


def test_damage_bad_input():
    with pytest.raises(ParameterError, match="increasing"):
        DamageCurve("x", (1.0, 0.5), (0.1, 0.2))
    with pytest.raises(ParameterError, match="fractions"):
        DamageCurve("x", (1.0, 2.0), (0.5, 0.4))
    with pytest.raises(ParameterError, match="flash_flood_factor"):
        damage_fraction(pd.DataFrame({"asset_type": ["road"]}), flash_flood_factor=0.5)
    with pytest.raises(SchemaError, match="asset_type"):
        damage_fraction(pd.DataFrame({"kind": ["road"]}))


# ------------------------------------------------------------------------ criticality
@pytest.fixture
def detour():
    """Build A (0,0) Puskesmas - r1 (1000 m) - B - bridge (100 m, cut) - C - r2 (900 m) - D.

    A slow path (5 km/h) A (0,1000) (1100,1000) C of 3,100 m = 37.2 min is the only way round.
    Places: 'mid' at C (200 people), 'east' at D (1,000 people).
    """
    roads = roads_frame([
        ("r1", "local", False, LineString([(0, 0), (1000, 0)])),
        ("br", "local", True, LineString([(1000, 0), (1100, 0)])),
        ("r2", "local", False, LineString([(1100, 0), (2000, 0)])),
        ("path", "path", False, LineString([(0, 0), (0, 1000), (1100, 1000), (1100, 0)])),
    ])
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                             geometry=[box(1020, -50, 1080, 50)], crs=CRS)
    g = flood_road_graph(build_road_graph(roads), zones)
    places = gpd.GeoDataFrame({"admin_code": ["mid", "east"], "population": [200, 1000]},
                              geometry=[Point(1100, 0), Point(2000, 0)], crs=CRS)
    return g, hf_at((0, 0)), places


def test_restoring_the_bridge_by_hand(detour):
    g, hf, places = detour
    c = restoration_criticality(g, hf, places, threshold_min=30, asset_ids=["br", "r2"])
    b = c.loc["br"]
    # flooded: C 37.2 min, D 37.2 + 1.8 = 39.0 (both > 30); bridge back: C 2.0 + 0.2 = 2.2,
    # D 4.0 -> 1,200 people within 30 min, nobody was cut off entirely (the path)
    assert b.people_regain_access == pytest.approx(1200)
    assert b.places_regain_access == 2
    assert b.places_reconnected == 0
    # saved: 200 x (37.2 - 2.2) + 1000 x (39.0 - 4.0) = 42,000 person-minutes; 35 min at most
    assert b.time_saved_person_min == pytest.approx(42_000)
    assert b.max_time_saved_min == pytest.approx(35.0)
    # dry shortest paths of both villages cross the bridge
    assert b.people_served == pytest.approx(1200)
    # r2 was never flooded: restoring it changes nothing
    assert c.loc["r2", ["people_regain_access", "time_saved_person_min", "nodes_improved"]
                 ].tolist() == [0, 0, 0]
    # a 40-minute threshold: both could reach care already, nobody "regains" it
    c40 = restoration_criticality(g, hf, places, threshold_min=40, asset_ids=["br"])
    assert c40.loc["br", "people_regain_access"] == 0


def test_a_road_cut_in_two_places_is_restored_whole():
    # r1 (1000 m, 2 min) then "long" 1000 -> 1500 -> 2000 m, both segments cut; 'far' at 2000 m
    roads = roads_frame([
        ("r1", "local", False, LineString([(0, 0), (1000, 0)])),
        ("long", "local", False, LineString([(1000, 0), (1500, 0), (2000, 0)])),
    ])
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                             geometry=[box(1010, -50, 1990, 50)], crs=CRS)
    g = flood_road_graph(build_road_graph(roads), zones)
    assert g.edges.cut.sum() == 2
    places = gpd.GeoDataFrame({"admin_code": ["far"], "population": [500]},
                              geometry=[Point(2000, 0)], crs=CRS)
    c = restoration_criticality(g, hf_at((0, 0)), places, asset_ids=["long"])
    # restored at dry speed: 2 + 2 = 4 min <= 30: 500 people, one village reconnected
    assert c.loc["long", ["people_regain_access", "places_reconnected", "nodes_improved"]
                 ].tolist() == [500, 1, 2]


def _naive(g: RoadGraph, na, asset) -> dict[str, float]:
    """Per-asset recomputation: uncut the asset's segments at dry speed and rerun Dijkstra."""
    e = g.edges.copy()
    m = (e["asset_id"] == asset).to_numpy()
    e.loc[m, "cut"] = False
    e.loc[m, "travel_time_min"] = e.loc[m, "travel_time_min_dry"]
    g2 = RoadGraph(nodes=g.nodes, edges=e, n_components=g.n_components, report=g.report)
    d1, _ = nearest_facility_times(g2, na.source_nodes, na.source_offset_min)
    tb, ta = na.place_times(na.d0), na.place_times(d1)
    T = na.threshold_min + 1e-9
    improved = ta < tb - 1e-9
    ta = np.where(improved, ta, tb)
    regain = (tb > T) & (ta <= T)
    recon = ~np.isfinite(tb) & np.isfinite(ta)
    fin = np.isfinite(tb)
    return {"people_regain_access": na.place_pop[regain].sum(),
            "places_regain_access": regain.sum(), "places_reconnected": recon.sum(),
            "people_reconnected": na.place_pop[recon].sum(),
            "time_saved_person_min": (na.place_pop[fin] * (tb[fin] - ta[fin])).sum(),
            "nodes_improved": int((d1 < na.d0 - 1e-9).sum())}


def grid_scenario(seed: int, n: int = 7, n_zones: int = 6):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n - 1):
            rows.append((f"h{i}_{j}", str(rng.choice(["local", "primary", "path"])),
                         bool(rng.random() < 0.15),
                         LineString([(j * 200, i * 200), ((j + 1) * 200, i * 200)])))
            rows.append((f"v{j}_{i}", str(rng.choice(["local", "secondary"])),
                         bool(rng.random() < 0.15),
                         LineString([(i * 200, j * 200), (i * 200, (j + 1) * 200)])))
    # some assets are two segments long
    roads = roads_frame(rows)
    roads.loc[roads.index % 5 == 0, "asset_id"] = [f"long{k}" for k in range(
        int((roads.index % 5 == 0).sum()))]
    roads = roads.dissolve("asset_id", as_index=False).explode(index_parts=False)
    roads = roads.reset_index(drop=True)
    zs = []
    for _ in range(n_zones):
        x, y = rng.uniform(0, n * 200, 2)
        w = rng.uniform(150, 500)
        zs.append(box(x, y, x + w, y + w))
    zones = gpd.GeoDataFrame({"hazard_class": rng.choice(["high", "medium"], n_zones),
                              "class_rank": [0] * n_zones}, geometry=zs, crs=CRS)
    zones["class_rank"] = np.where(zones.hazard_class == "high", 3, 2)
    g = flood_road_graph(build_road_graph(roads), zones)
    hf = hf_at(*[tuple(p) for p in rng.uniform(0, (n - 1) * 200, (2, 2))])
    pts = rng.uniform(0, (n - 1) * 200, (12, 2))
    places = gpd.GeoDataFrame({"admin_code": [f"p{k}" for k in range(12)],
                               "population": rng.integers(0, 1000, 12)},
                              geometry=[Point(*p) for p in pts], crs=CRS)
    return g, hf, places


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_criticality_equals_naive_per_asset_recomputation(seed):
    g, hf, places = grid_scenario(seed)
    na = prepare_network_access(g, hf, places, threshold_min=8.0)
    c = criticality_table(na)
    assert len(c) > 0
    assert c.nodes_improved.sum() > 0  # seeds 1, 4: time saved; 2: villages reconnected; 3: both
    for a in c.index:
        want = _naive(g, na, a)
        got = c.loc[a]
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-6), (a, k)


def test_bridge_precedence_and_the_budget(detour):
    g0, hf, places = detour
    # no detour: the east road r2 is flooded (cut) too, so it is worth nothing before the bridge
    e = g0.edges
    e = e[e.asset_id != "path"].reset_index(drop=True)
    e.loc[e.asset_id == "r2", "cut"] = True
    g = RoadGraph(nodes=g0.nodes, edges=e, n_components=g0.n_components, report=g0.report)
    na = prepare_network_access(g, hf, places)
    pre = bridge_prerequisites(na)
    assert pre.values.tolist() == [["r2", "br"]]
    # restoring r2 alone gives nothing; with the bridge, 'east' (1,000 people) is reconnected
    c = criticality_table(na, asset_ids=["r2", "br"])
    assert c.loc["r2", "people_regain_access"] == 0
    assert c.loc["br", "people_regain_access"] == 200  # only 'mid' at C: D needs r2 as well
    b = select_budget(pd.Series([0.5, 0.4], index=["r2", "br"]),
                      pd.Series([10.0, 100.0], index=["r2", "br"]), 50.0,
                      requires=[("r2", "br")])
    assert b.selected == ()  # r2 fits but needs the bridge, which does not
    assert b.marginal["asset_id"] == "r2"
    assert b.marginal["with_prerequisites"] == ["br"]
    assert b.marginal["cost_idr"] == 110.0 and b.marginal["extra_budget_idr"] == 60.0
    b2 = select_budget(pd.Series([0.5, 0.4], index=["r2", "br"]),
                       pd.Series([10.0, 100.0], index=["r2", "br"]), 110.0,
                       requires=[("r2", "br")])
    assert set(b2.selected) == {"r2", "br"} and b2.leftover_idr == 0.0 and b2.gap == 0.0


# ------------------------------------------------------------------------- ranking
def test_bridge_that_isolates_a_village_outranks_a_house_without_access_role():
    assets, graph, hf, desa = bridge_scenario()
    assets = assets.copy()
    assets["depth_m"] = [0.5, 6.0]  # the house is the more damaged one
    assets["class_rank"] = [4, 1]
    res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa, n_draws=50)
    p = res.priorities.set_index("asset_id")
    # bridge: damage 0.2 x 0.358, criticality 0.2 x 0.9, people 0.15 x 1, access 0.3 x 1,
    # future 0.1 x (1 - 4/4) = 0, cost 0.05 x 0 (the most expensive: 0.358 x Rp 75 juta x 100 m)
    assert p.loc["bridge", "cost_idr"] == pytest.approx(0.358 * 75e6 * 100)
    assert p.loc["bridge", "score"] == pytest.approx(0.0716 + 0.18 + 0.15 + 0.3)
    # house: damage 0.2 x 1, criticality 0.2 x 0.4, people 0.15 x 3.9 / 2140, access 0,
    # future 0.1 x 3/4, cost 0.05 x (1 - 4.5e8 / 2.685e9)
    assert p.loc["house", "cost_idr"] == pytest.approx(1.0 * 4.5e6 * 100)
    house = 0.2 + 0.08 + 0.15 * 3.9 / 2140 + 0.075 + 0.05 * (1 - 4.5e8 / 2.685e9)
    assert p.loc["house", "score"] == pytest.approx(house)
    assert p.loc["bridge", "rank"] == 1 and p.loc["house", "rank"] == 2
    assert p.loc["bridge", "advice"] == "rebuild elsewhere or raise"
    assert p.loc["house", "advice"] == "rebuild in place"
    assert p.loc["bridge", "people_regain_access"] == 2140
    assert p.loc["bridge", "reason_id"].startswith(
        "Jembatan Radda: menghubungkan kembali 1 desa (2.140 jiwa) ke fasilitas kesehatan "
        "dalam 30 menit")
    assert p.loc["bridge", "reason_en"].startswith(
        "Jembatan Radda: reconnects 1 village (2,140 people) to a health facility within 30 "
        "minutes")
    assert "bangun di tempat lain atau tinggikan" in p.loc["bridge", "reason_id"]
    # the bridge wins whatever the weights: robust
    assert p.loc["bridge", "stability_top_share"] == 1.0
    assert res.robust == ("bridge", "house")  # top_n = 20 holds both
    json.dumps(res.to_dict())


def scenario_assets(seed: int):
    g, hf, places = grid_scenario(seed)
    rng = np.random.default_rng(seed + 100)
    e = g.edges
    net = e.groupby("asset_id").agg(bridge=("bridge", "any"), rank=("class_rank", "max"))
    net = net[net["rank"] > 0]
    geo = e.dissolve("asset_id").geometry.reindex(net.index)
    nb = 8
    types = rng.choice(["housing", "health", "school", "market"], nb)
    b = gpd.GeoDataFrame({
        "asset_id": [f"b{k}" for k in range(nb)], "asset_type": types,
        "class_rank": rng.integers(0, 4, nb), "depth_m": rng.uniform(0, 3, nb)},
        geometry=[box(x, y, x + 10, y + 12) for x, y in rng.uniform(0, 1000, (nb, 2))], crs=CRS)
    r = gpd.GeoDataFrame({
        "asset_id": net.index.to_numpy(), "asset_type": np.where(net.bridge, "bridge", "road"),
        "class_rank": net["rank"].to_numpy(), "depth_m": rng.uniform(0, 3, len(net))},
        geometry=geo.to_numpy(), crs=CRS)
    assets = gpd.GeoDataFrame(pd.concat([b, r], ignore_index=True), crs=CRS)
    return assets, g, hf, places


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 50), perm_seed=st.integers(0, 10_000))
def test_ranking_does_not_depend_on_row_order_and_contributions_add_up(seed, perm_seed):
    assets, g, hf, places = scenario_assets(seed % 4)
    kw = {"health_facilities": hf, "places": places, "n_draws": 40, "top_n": 5,
          "threshold_min": 8.0}
    r1 = rank_rebuild_priorities(assets, g, **kw).priorities
    perm = np.random.default_rng(perm_seed).permutation(len(assets))
    r2 = rank_rebuild_priorities(assets.iloc[perm], g, **kw).priorities
    cols = ["asset_id", "rank", "score", "stability_top_share", "rank_p05", "rank_p95",
            "cost_idr", "reason_en"]
    pd.testing.assert_frame_equal(pd.DataFrame(r1[cols]), pd.DataFrame(r2[cols]))
    contrib = r1[[f"contrib_{k}" for k in CRITERIA]].sum(axis=1)
    np.testing.assert_allclose(contrib.to_numpy(), r1["score"].to_numpy(), rtol=1e-12)
    assert r1["rank"].tolist() == list(range(1, len(r1) + 1))
    s = r1["score"].to_numpy()
    assert (np.diff(s) <= 1e-15).all()


def test_ties_broken_by_asset_id():
    assets, graph, hf, desa = bridge_scenario()
    two = gpd.GeoDataFrame({"asset_id": ["z", "a"], "asset_type": ["housing"] * 2,
                            "class_rank": [2, 2], "depth_m": [1.0, 1.0]},
                           geometry=[box(300, 50, 310, 60), box(400, 50, 410, 60)], crs=CRS)
    p = rank_rebuild_priorities(two, graph, health_facilities=hf, places=desa,
                                n_draws=20).priorities
    assert p.asset_id.tolist() == ["a", "z"] and p["rank"].tolist() == [1, 2]


def test_ahp_weights_and_rank():
    # a consistent matrix: access 2x damage, 4x criticality -> 4/7, 2/7, 1/7, CR 0
    crit = ["access", "damage", "criticality"]
    m = pd.DataFrame([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], index=crit, columns=crit)
    r = ahp_weights(m)
    assert [r.weights[k] for k in crit] == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert r.lambda_max == pytest.approx(3.0)
    assets, graph, hf, desa = bridge_scenario()
    res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa, ahp=m,
                                  n_draws=20)
    assert res.weights_method == "ahp" and res.weights["cost"] == 0.0
    assert res.weights["access"] == pytest.approx(4 / 7)


def test_sensitivity_is_seeded_and_brackets_a_dominant_asset():
    assets, g, hf, places = scenario_assets(1)
    kw = {"health_facilities": hf, "places": places, "n_draws": 100, "top_n": 3,
          "threshold_min": 8.0}
    a = rank_rebuild_priorities(assets, g, seed=7, **kw).priorities
    b = rank_rebuild_priorities(assets, g, seed=7, **kw).priorities
    pd.testing.assert_series_equal(a.stability_top_share, b.stability_top_share)
    assert (a.rank_p05 <= a.rank_p95).all()
    assert ((a.stability_top_share >= 0) & (a.stability_top_share <= 1)).all()
    # over the draws, exactly top_n assets are in the top top_n: the shares sum to top_n
    assert a.stability_top_share.sum() == pytest.approx(min(3, len(a)))


# -------------------------------------------------------------------------- budget
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.1, 0.9))
def test_budget_equals_brute_force_and_respects_budget_and_precedence(seed, frac):
    rng = np.random.default_rng(seed)
    n = 8
    ids = [f"p{i}" for i in range(n)]
    benefit = pd.Series(rng.uniform(0, 1, n).round(3), index=ids)
    cost = pd.Series(rng.integers(1, 20, n).astype(float), index=ids)
    pairs = [(ids[i], ids[j]) for i in range(n) for j in range(i) if rng.random() < 0.15]
    budget = float(frac * cost.sum())
    res = select_budget(benefit, cost, budget, requires=pairs)
    best = 0.0
    for k in range(1 << n):
        x = np.array([(k >> i) & 1 for i in range(n)], bool)
        if cost[x].sum() > budget:
            continue
        if any(x[ids.index(a)] and not x[ids.index(b)] for a, b in pairs):
            continue
        best = max(best, float(benefit[x].sum()))
    assert res.benefit == pytest.approx(best, abs=1e-9)
    chosen = set(res.selected)
    assert res.cost_idr <= budget + 1e-9
    assert all(b in chosen for a, b in pairs if a in chosen)
    assert res.leftover_idr == pytest.approx(budget - res.cost_idr)
    assert res.gap <= 1e-6


def test_budget_in_the_ranking_and_the_marginal_project():
    assets, graph, hf, desa = bridge_scenario()
    # bridge Rp 7.5 miliar (1.0 x 75 juta x 100 m), house Rp 222.3 juta (0.494 x 4.5 juta x 100)
    res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa,
                                  budget_idr=1e9, n_draws=20)
    b = res.budget
    assert b.selected == ("house",) and b.cost_idr == pytest.approx(222.3e6)
    assert b.leftover_idr == pytest.approx(1e9 - 222.3e6)
    assert b.marginal["asset_id"] == "bridge"
    assert b.marginal["extra_budget_idr"] == pytest.approx(7.5e9 - (1e9 - 222.3e6))
    assert res.priorities.set_index("asset_id").in_budget.to_dict() == {"bridge": False,
                                                                       "house": True}
    d = res.to_dict()
    assert d["budget"]["selected"] == ["house"]
    json.dumps(d)


# ---------------------------------------------------------------------- bad input
def test_bad_weights():
    with pytest.raises(ParameterError, match=">= 0"):
        check_weights({"damage": -1, "access": 2})
    with pytest.raises(ParameterError, match="sum 0"):
        check_weights({"damage": 0, "access": 0})
    with pytest.raises(ParameterError, match="unknown criteria \\['beauty'\\]"):
        check_weights({"beauty": 1})
    assets, graph, hf, desa = bridge_scenario()
    with pytest.raises(ParameterError, match="not both"):
        rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa,
                                weights={"damage": 1},
                                ahp=pd.DataFrame([[1]], index=["damage"], columns=["damage"]))


def test_bad_ahp():
    c = ["access", "damage"]
    with pytest.raises(ParameterError, match="reciprocal"):
        ahp_weights(pd.DataFrame([[1, 3], [3, 1]], index=c, columns=c))
    with pytest.raises(ParameterError, match="positive"):
        ahp_weights(pd.DataFrame([[1, -3], [-1 / 3, 1]], index=c, columns=c))
    with pytest.raises(ParameterError, match="unknown"):
        ahp_weights(pd.DataFrame([[1, 3], [1 / 3, 1]], index=["access", "x"],
                                 columns=["access", "x"]))
    c3 = ["access", "damage", "cost"]
    bad = pd.DataFrame([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], index=c3, columns=c3)
    with pytest.warns(InconsistentJudgementWarning, match=r"consistency ratio \d+\.\d+ > 0.1"):
        r = ahp_weights(bad)
    assert r.consistency_ratio > 0.1
    assert issubclass(InconsistentJudgementWarning, KotaCerdasWarning)


def test_bad_budget_and_costs():
    assets, graph, hf, desa = bridge_scenario()
    kw = {"health_facilities": hf, "places": desa, "n_draws": 10}
    with pytest.raises(ParameterError, match="budget_idr"):
        rank_rebuild_priorities(assets, graph, budget_idr=0, **kw)
    with pytest.raises(ParameterError, match="budget_idr"):
        select_budget(pd.Series([1.0]), pd.Series([1.0]), -5)
    no_cost = assets.assign(cost_idr=[np.nan, 2e8])
    with pytest.raises(SchemaError, match=r"missing or negative: \['bridge'\]"):
        rank_rebuild_priorities(no_cost, graph, budget_idr=1e9, **kw)
    # without a budget a missing cost is allowed (it scores 0 on the cost criterion)
    rank_rebuild_priorities(no_cost, graph, **kw)
    in_juta = assets.assign(cost_idr=[7500.0, 220.0])  # millions of rupiah
    with pytest.warns(CostUnitWarning, match="thousands or millions"):
        rank_rebuild_priorities(in_juta, graph, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CostUnitWarning)
        rank_rebuild_priorities(assets.assign(cost_idr=[7.5e9, 2.2e8]), graph, **kw)
    dup = assets.assign(asset_id=["x", "x"])
    with pytest.raises(SchemaError, match="unique"):
        rank_rebuild_priorities(dup, graph, **kw)


# ------------------------------------------------------------------------- reasons
def test_indonesian_and_english_number_formats():
    assert fmt_int_id(2140) == "2.140" and fmt_int_en(2140) == "2,140"
    assert fmt_int_id(1_234_567.4) == "1.234.567"
    assert fmt_idr_id(1.2e9) == "Rp 1,2 miliar" and fmt_idr_id(350e6) == "Rp 350 juta"
    row = {"name": None, "asset_type": "housing", "asset_id": "b7", "damage_frac": 0.35,
           **{f"contrib_{k}": 0.0 for k in CRITERIA}, "contrib_people_served": 0.1,
           "people_served": 3.9, "in_highest_class": True}
    rid, ren = reason_sentences(row, threshold_min=30)
    assert rid == ("Rumah b7: melayani 4 jiwa; rusak sedang (35 %); di zona bahaya tertinggi: "
                   "bangun di tempat lain atau tinggikan")
    assert ren == ("House b7: serves 4 people; moderately damaged (35 %); in the highest "
                   "hazard class: rebuild elsewhere or raise")


def test_inputs_not_mutated():
    assets, graph, hf, desa = bridge_scenario()
    a0, e0, d0 = assets.copy(), graph.edges.copy(), desa.copy()
    rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa, n_draws=10,
                            budget_idr=1e10)
    pd.testing.assert_frame_equal(assets, a0)
    pd.testing.assert_frame_equal(graph.edges, e0)
    pd.testing.assert_frame_equal(desa, d0)



def test_priority_assets_from_impact_layers_and_graph():
    assets, graph, hf, desa = bridge_scenario()
    zones = gpd.GeoDataFrame({"zone_id": ["z1"], "depth_min_m": [1.0], "depth_max_m": [3.0]},
                             geometry=[box(1020, -50, 1080, 50)], crs=CRS)
    bld = gpd.GeoDataFrame({"asset_id": ["B1", "B2"], "exposure_class": ["health", "residential"],
                            "hazard_class": ["low", "high"], "class_rank": [2, 4],
                            "zone_id": [None, "z1"]},
                           geometry=[box(-5, -5, 5, 5), box(1030, 10, 1040, 20)], crs=CRS)
    fac = gpd.GeoDataFrame({"asset_id": ["F1"], "exposure_class": ["health"],
                            "facility_type": ["puskesmas"], "name": ["Puskesmas"],
                            "hazard_class": ["not exposed"], "class_rank": [0],
                            "zone_id": [None]}, geometry=[Point(0, 0)], crs=CRS)
    out, rep = priority_assets(graph, buildings=bld, facilities=fac, zones=zones)
    o = out.set_index("asset_id")
    # the Puskesmas point inside B1 replaces it, with B1's footprint and its worse class
    assert sorted(o.index) == ["B2", "F1", "bridge"]
    assert o.loc["F1", "class_rank"] == 2 and o.loc["F1", "geometry"].area == 100
    assert rep.reasons_repaired[
        "building footprint holding a facility ranked once, as the facility"] == 1
    # depth: the zone's mean 2 m; the cut bridge is a bridge asset of the worst class
    assert o.loc["B2", "depth_m"] == 2.0 and o.loc["bridge", "depth_m"] == 2.0
    assert o.loc["bridge", "asset_type"] == "bridge" and o.loc["bridge", "class_rank"] == 3
    with pytest.raises(ParameterError, match="depth_rule"):
        priority_assets(graph, depth_rule="median")
