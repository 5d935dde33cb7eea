"""Rebuild priorities a planner can defend, and what a budget buys.

Damage per asset (depth-damage curves, observed damage classes), network criticality of damaged
roads and bridges (what restoring each one gives back in access to health care), a weighted or
AHP score split into per-criterion contributions, rank stability under random weights, a
knapsack budget selection with precedence (the bridge before the road behind it) and one
sentence per asset in Bahasa Indonesia and English.

Examples
--------
>>> assets, graph, hf, desa = demo_inputs()
>>> res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa,
...     n_draws=100)
>>> res.priorities.asset_id.tolist()
['bridge', 'house']
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from ..network import RoadGraph, build_road_graph, flood_road_graph
from .assets import priority_assets
from .budget import BudgetResult, select_budget
from .criticality import (
    CRITICALITY_COLUMNS,
    NetworkAccess,
    bridge_prerequisites,
    criticality_table,
    damaged_network_assets,
    improved_distances,
    prepare_network_access,
    restoration_criticality,
    restoration_gains,
)
from .damage import (
    DEFAULT_DAMAGE_CURVES,
    FLASH_FLOOD_FACTOR,
    JRC_ASIA_RESIDENTIAL,
    JRC_ASIA_TRANSPORT,
    MUD_MATERIALS,
    OBSERVED_DAMAGE_FRAC,
    DamageCurve,
    damage_fraction,
)
from .rank import (
    ASSET_TYPES,
    DEFAULT_POINT_AREA_M2,
    DEFAULT_UNIT_COSTS_IDR,
    PERSONS_PER_HOUSE,
    CostUnitWarning,
    PriorityResult,
    priority_types,
    rank_rebuild_priorities,
)
from .reasons import reason_sentences
from .scoring import (
    CRITERIA,
    DEFAULT_TYPE_WEIGHTS,
    DEFAULT_WEIGHTS,
    SAATY_RI,
    AHPResult,
    InconsistentJudgementWarning,
    Sensitivity,
    ahp_weights,
    check_weights,
    normalise_criteria,
    rank_scores,
    score_matrix,
    weight_sensitivity,
)

__all__ = [
    "ASSET_TYPES", "CRITERIA", "CRITICALITY_COLUMNS", "DEFAULT_DAMAGE_CURVES",
    "DEFAULT_POINT_AREA_M2", "DEFAULT_TYPE_WEIGHTS", "DEFAULT_UNIT_COSTS_IDR",
    "DEFAULT_WEIGHTS", "FLASH_FLOOD_FACTOR", "JRC_ASIA_RESIDENTIAL", "JRC_ASIA_TRANSPORT",
    "MUD_MATERIALS", "OBSERVED_DAMAGE_FRAC", "PERSONS_PER_HOUSE", "SAATY_RI",
    "AHPResult", "BudgetResult", "CostUnitWarning", "DamageCurve",
    "InconsistentJudgementWarning", "NetworkAccess", "PriorityResult", "Sensitivity",
    "ahp_weights", "bridge_prerequisites", "check_weights", "criticality_table",
    "damage_fraction", "damaged_network_assets", "demo_inputs", "improved_distances",
    "normalise_criteria", "prepare_network_access", "priority_assets", "priority_types",
    "rank_rebuild_priorities",
    "rank_scores", "reason_sentences", "restoration_criticality", "restoration_gains",
    "score_matrix", "select_budget", "weight_sensitivity",
]


def demo_inputs() -> tuple[gpd.GeoDataFrame, RoadGraph, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build a tiny hand-computable scenario for examples (EPSG:32751).

    West (x 0-1000 m, the Puskesmas at x 0, 500 people) and East (x 1100-2000 m, 2,140 people)
    are joined only by the 100 m Radda bridge; the river under it floods in the high class and
    cuts it, and a house in the West stands in 1 m of water.

    Returns
    -------
    (assets, flooded graph, health facilities, desa)
    """
    crs = 32751
    roads = gpd.GeoDataFrame(
        {"asset_id": ["w", "bridge", "e"], "road_class": ["local"] * 3,
         "bridge": [False, True, False]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1100, 0)]),
                  LineString([(1100, 0), (2000, 0)])], crs=crs)
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                             geometry=[box(1020, -50, 1080, 50)], crs=crs)
    graph = flood_road_graph(build_road_graph(roads), zones)
    hf = gpd.GeoDataFrame({"asset_id": ["pkm"], "name": ["Puskesmas Masamba"],
                           "exposure_class": ["health"]}, geometry=[Point(0, 0)], crs=crs)
    desa = gpd.GeoDataFrame({"admin_code": ["west", "east"], "admin_name": ["West", "East"],
                             "population": [500, 2140]},
                            geometry=[box(0, -400, 1000, 400), box(1100, -400, 2000, 400)],
                            crs=crs)
    assets = gpd.GeoDataFrame(
        {"asset_id": ["bridge", "house"], "asset_type": ["bridge", "housing"],
         "name": ["Jembatan Radda", "Rumah Pak Amir"], "hazard_class": ["high", "low"],
         "class_rank": [4, 2], "depth_m": [4.0, 1.0]},
        geometry=[LineString([(1000, 0), (1100, 0)]), box(300, 50, 310, 60)], crs=crs)
    return assets, graph, hf, desa
