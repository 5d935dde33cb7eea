"""Rebuild priorities a planner can defend, and what a budget buys.

Damage per asset (depth-damage curves, observed damage classes), network criticality of damaged
roads and bridges (what restoring each one gives back in access to health care), a weighted or
AHP score split into per-criterion contributions, rank stability under random weights, a
knapsack budget selection with precedence (the bridge before the road behind it) and one
sentence per asset in Bahasa Indonesia and English.

Examples
--------
>>> from kotacerdas_gis.testing import bridge_scenario
>>> assets, graph, hf, desa = bridge_scenario()
>>> res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa,
...     n_draws=100)
>>> res.priorities.asset_id.tolist()
['bridge', 'house']
"""

from __future__ import annotations

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
    "damage_fraction", "damaged_network_assets", "improved_distances",
    "normalise_criteria", "prepare_network_access", "priority_assets", "priority_types",
    "rank_rebuild_priorities",
    "rank_scores", "reason_sentences", "restoration_criticality", "restoration_gains",
    "score_matrix", "select_budget", "weight_sensitivity",
]
