"""The ranking entry point: damage, criticality, scores, stability, budget and reasons in one."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from ..accounting import Ledger, jsonable
from ..crs import require_metric, require_same_crs
from ..errors import KotaCerdasWarning, ParameterError, SchemaError
from ..hazard.classes import ClassSet, get_class_set
from ..network import RoadGraph
from ..schemas import require_columns
from .budget import BudgetResult, select_budget
from .criticality import bridge_prerequisites, criticality_table, prepare_network_access
from .damage import FLASH_FLOOD_FACTOR, DamageCurve, damage_fraction
from .reasons import reason_sentences
from .scoring import (
    CRITERIA,
    DEFAULT_TYPE_WEIGHTS,
    ahp_weights,
    check_weights,
    normalise_criteria,
    rank_scores,
    score_matrix,
    weight_sensitivity,
)

__all__ = [
    "ASSET_TYPES",
    "DEFAULT_UNIT_COSTS_IDR",
    "DEFAULT_POINT_AREA_M2",
    "PERSONS_PER_HOUSE",
    "CostUnitWarning",
    "PriorityResult",
    "priority_types",
    "rank_rebuild_priorities",
]

log = logging.getLogger(__name__)

#: The asset types ranked (anything else becomes "other").
ASSET_TYPES: tuple[str, ...] = tuple(DEFAULT_TYPE_WEIGHTS)
#: Replacement cost per unit (rupiah) and the unit: per m2 of footprint for buildings (one
#: storey), per m for roads (damaged length) and bridges (length). ASSUMPTIONS of the right
#: order, not a price list: buildings in the range of the state building unit prices (HSBGN)
#: of Sulawesi Selatan, district road rehabilitation about Rp 3 miliar per km, a short-span
#: bridge about Rp 75 juta per metre. Replace them with the regency's own unit prices.
DEFAULT_UNIT_COSTS_IDR: dict[str, tuple[str, float]] = {
    "housing": ("m2", 4_500_000.0), "health": ("m2", 7_000_000.0),
    "school": ("m2", 5_500_000.0), "government": ("m2", 6_000_000.0),
    "market": ("m2", 5_000_000.0), "worship": ("m2", 5_000_000.0),
    "other": ("m2", 4_500_000.0), "road": ("m", 3_000_000.0), "bridge": ("m", 75_000_000.0),
}
#: Footprint (m2) assumed for point assets: a "rumah tipe 36" house, 200 m2 for the rest.
DEFAULT_POINT_AREA_M2: dict[str, float] = {"housing": 36.0, "default": 200.0}
#: People per house: BPS Luwu Utara's ~3.9 people per household (one household per house).
PERSONS_PER_HOUSE = 3.9
#: Plausible cost of one project (rupiah): outside this, the column is likely in another unit.
_PLAUSIBLE_IDR = (1e5, 1e13)
_FROM_EXPOSURE = {
    "health": "health", "education": "school", "government": "government",
    "commercial": "market", "residential": "housing", "place of worship": "worship",
    "bridge": "bridge", "road": "road",
    **{c: "road" for c in ("motorway", "primary", "secondary", "local", "path")},
}


class CostUnitWarning(KotaCerdasWarning):
    """Costs look like they are not in rupiah (implausibly small or large)."""


def priority_types(assets: pd.DataFrame, *, type_col: str = "asset_type") -> pd.Series:
    """Asset type for the ranking (:data:`ASSET_TYPES`) of each row.

    ``asset_type`` values that are ranked types are kept; otherwise ``asset_class`` (bridge,
    road) or the InaSAFE ``exposure_class`` decide (education -> school, residential ->
    housing, commercial -> market ...); the rest is "other".

    Examples
    --------
    >>> priority_types(pd.DataFrame({"asset_type": ["puskesmas", "bridge", "yes"],
    ...     "exposure_class": ["health", "transport", "residential"]})).tolist()
    ['health', 'bridge', 'housing']
    """
    n = len(assets)

    def col(c: str) -> np.ndarray:
        if c in assets.columns:
            return assets[c].astype(str).str.strip().str.lower().to_numpy(object)
        return np.full(n, "", dtype=object)

    t, ac, ec = col(type_col), col("asset_class"), col("exposure_class")
    out = np.full(n, "other", dtype=object)
    for i in range(n):
        if t[i] in DEFAULT_TYPE_WEIGHTS:
            out[i] = t[i]
        elif ac[i] in ("bridge", "road"):
            out[i] = ac[i]
        elif ec[i] in _FROM_EXPOSURE:
            out[i] = _FROM_EXPOSURE[ec[i]]
        elif t[i] in _FROM_EXPOSURE:
            out[i] = _FROM_EXPOSURE[t[i]]
    return pd.Series(out, index=assets.index, name="asset_type")


@dataclass(frozen=True)
class PriorityResult:
    """Rebuild priorities, their stability and what a budget buys.

    Attributes
    ----------
    priorities : GeoDataFrame
        The contract's layer ``rebuild_priorities``, one row per damaged asset in rank order:
        ``asset_id``, ``asset_type``, ``name``, ``rank``, ``score``, ``contrib_<criterion>``
        (they add up to ``score``), ``damage_frac``, ``damage_source``, ``hazard_class``,
        ``class_rank``, ``cost_idr``, ``people_served``, ``people_regain_access``,
        ``places_reconnected``, ``people_reconnected``, ``time_saved_person_min`` (the asset
        restored alone), ``route_assets``, ``route_people_regain_access``,
        ``route_places_reconnected`` (restored with the other damaged assets on its way to
        health care), ``access_people`` (the access criterion: the larger of its own gain and
        its equal share of a route's),
        ``requires`` (ids of the bridges it needs, ";"-joined), ``stability_top_share``,
        ``rank_p05``, ``rank_p95``, ``robust``, ``in_budget``, ``advice``, ``reason_id``,
        ``reason_en``, geometry (the input's, same CRS).
    criticality : DataFrame
        Network criticality per road and bridge asset (see
        :func:`~kotacerdas_gis.priorities.restoration_criticality`).
    budget : BudgetResult or None
        The budget selection, when a budget was given.
    weights : dict
        The weights used (sum 1).
    weights_method : str
        "weighted_sum" or "ahp".
    consistency_ratio : float or None
        AHP's consistency ratio.
    robust : tuple
        Ids of the robust priorities: in the top ``top_n`` in at least ``robust_share`` of the
        weight draws.
    parameters : dict
        Every option, JSON-ready.
    report : Ledger
        Accounting.
    """

    priorities: gpd.GeoDataFrame
    criticality: pd.DataFrame
    budget: BudgetResult | None
    weights: dict[str, float]
    weights_method: str
    consistency_ratio: float | None
    robust: tuple[Any, ...]
    parameters: dict[str, Any]
    report: Ledger = field(default_factory=Ledger)

    def to_dict(self, *, top: int = 20) -> dict[str, Any]:
        """JSON-ready ``priorities`` section of summary.json: top ``top``, budget, weights."""
        cols = ["rank", "asset_id", "asset_type", "name", "score", "damage_frac", "cost_idr",
                "people_regain_access", "access_people", "stability_top_share", "rank_p05",
                "rank_p95", "in_budget", "advice", "reason_id", "reason_en"]
        p = self.priorities
        rows = pd.DataFrame(p[cols].head(top)).to_dict("records")
        return jsonable({
            "n_ranked": int(len(p)),
            "top": rows,
            "robust": [str(x) for x in self.robust],
            "budget": self.budget.to_dict() if self.budget is not None else None,
            "weights": self.weights,
            "weights_method": self.weights_method,
            "consistency_ratio": self.consistency_ratio,
            "parameters": self.parameters,
            "accounting": self.report.to_records(),
        })


def _representative_depth(class_set: ClassSet, rank: np.ndarray, *,
                          top_extra_m: float = 1.0) -> np.ndarray:
    """Depth (m) standing for each class: the interval's midpoint (top class: min + 1 m)."""
    out = np.full(len(rank), np.nan)
    if class_set.value_name != "depth_m":
        return out
    for c in class_set.classes:
        hi = c.max_value if np.isfinite(c.max_value) else c.min_value + top_extra_m
        out[rank == c.rank] = 0.5 * (c.min_value + hi) if np.isfinite(c.max_value) else hi
    return out


def _quantity(assets: gpd.GeoDataFrame, types: np.ndarray, net_len: dict[Any, float],
              ids: np.ndarray, point_area: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(assets.geometry.values, dtype=object)
    tid = shapely.get_type_id(g)
    area = shapely.area(g)
    length = shapely.length(g)
    q = np.zeros(len(g))
    unit = np.full(len(g), "m2", dtype=object)
    for i in range(len(g)):
        t = types[i]
        if t in ("road", "bridge"):
            unit[i] = "m"
            q[i] = net_len.get(ids[i], length[i])
        elif tid[i] in (3, 6):
            q[i] = area[i]
        else:
            q[i] = point_area.get(t, point_area.get("default", 200.0))
    return q, unit


def _people_in_places(pts: np.ndarray, places: gpd.GeoDataFrame, pop: np.ndarray) -> np.ndarray:
    """People of the place (polygon) holding each point (0 outside every polygon)."""
    pg = np.asarray(places.geometry.values, dtype=object)
    out = np.zeros(len(pts))
    poly = np.isin(shapely.get_type_id(pg), (3, 6))
    if not poly.any() or len(pts) == 0:
        return out
    rows = np.flatnonzero(poly)
    pi, gi = shapely.STRtree(pg[rows]).query(pts, predicate="intersects")
    first = pd.Series(gi).groupby(pi).min()
    out[first.index.to_numpy()] = pop[rows[first.to_numpy()]]
    return out


def rank_rebuild_priorities(
    assets: gpd.GeoDataFrame,
    graph: RoadGraph,
    *,
    health_facilities: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    class_set: ClassSet | str = "petabencana",
    weights: Mapping[str, float] | None = None,
    ahp: pd.DataFrame | None = None,
    type_weights: Mapping[str, float] | None = None,
    threshold_min: float = 30.0,
    budget_idr: float | None = None,
    requires: Iterable[tuple[Any, Any]] | None = None,
    bridge_precedence: bool = True,
    curves: Mapping[str, DamageCurve] | None = None,
    flash_flood_factor: float = FLASH_FLOOD_FACTOR,
    default_material: str | None = None,
    unit_costs_idr: Mapping[str, tuple[str, float]] | None = None,
    point_area_m2: Mapping[str, float] | None = None,
    persons_per_house: float = PERSONS_PER_HOUSE,
    id_col: str = "asset_id",
    type_col: str = "asset_type",
    name_col: str = "name",
    depth_col: str = "depth_m",
    material_col: str = "material",
    observed_col: str = "damage_observed",
    cost_col: str = "cost_idr",
    people_col: str = "people_served",
    population_col: str = "population",
    place_id_col: str = "admin_code",
    n_draws: int = 1000,
    top_n: int = 20,
    concentration: float = 50.0,
    robust_share: float = 0.9,
    seed: int = 0,
    access_speed_kmh: float = 5.0,
    max_snap_m: float = 5000.0,
    time_limit_s: float = 30.0,
    progress: bool = False,
) -> PriorityResult:
    """Rank damaged assets for rebuilding, with reasons, stability and a budget selection.

    Every asset with damage (``damage_frac`` > 0) or a cut road segment is ranked by the
    weighted sum of six criteria on 0-1 scales (see
    :func:`~kotacerdas_gis.priorities.normalise_criteria`): damage, criticality of its type,
    people served, access to health care its restoration gives back (roads and bridges:
    :func:`~kotacerdas_gis.priorities.restoration_criticality`), future exposure and cost.

    Parameters
    ----------
    assets : GeoDataFrame
        Damaged-asset candidates (EPSG:32751): ``asset_id`` (unique), ``asset_type`` (health,
        school, bridge, road, government, market, housing, worship, other; or
        ``asset_class`` / ``exposure_class`` to derive it, see :func:`priority_types`),
        ``class_rank`` and ``hazard_class`` (from the exposure step), optional ``name``,
        ``depth_m`` (m), ``material`` (mud, water), ``damage_observed`` (rusak berat / sedang
        / ringan), ``cost_idr`` (rupiah), ``people_served``. Roads and bridges carry the
        ``asset_id`` of their segments in ``graph``.
    graph : RoadGraph
        The flooded road graph (:func:`kotacerdas_gis.network.flood_road_graph`).
    health_facilities : GeoDataFrame, keyword-only
        Open health facilities (rows with ``closed`` True are left out).
    places : GeoDataFrame, keyword-only
        Desa polygons (or points) with ``population``.
    class_set : ClassSet or str, keyword-only
        The hazard class set; its highest rank marks assets to rebuild elsewhere or raise, and
        its classes give a representative depth when ``depth_m`` is missing (midpoint; the
        open top class: its lower bound + 1 m).
    weights : mapping, keyword-only
        Criterion weights (:data:`~kotacerdas_gis.priorities.DEFAULT_WEIGHTS`); scaled to sum 1.
    ahp : DataFrame, keyword-only
        A pairwise-comparison matrix instead of ``weights``
        (:func:`~kotacerdas_gis.priorities.ahp_weights`).
    type_weights : mapping, keyword-only
        Criticality per asset type (0-1), merged over the defaults.
    threshold_min : float, keyword-only
        Access threshold to a health facility (minutes).
    budget_idr : float, keyword-only
        A budget (rupiah) to select projects within: the set maximising the sum of
        ``score x people who benefit`` (people served or regaining access to health care,
        at least one per project) within the budget, with the precedence pairs.
    requires : iterable of (asset_id, required_id), keyword-only
        Extra precedence pairs for the budget.
    bridge_precedence : bool, keyword-only
        Add "a cut-off road needs the first damaged bridge on its way to health care" pairs
        (:func:`~kotacerdas_gis.priorities.bridge_prerequisites`).
    curves, flash_flood_factor, default_material : keyword-only
        See :func:`~kotacerdas_gis.priorities.damage_fraction`.
    unit_costs_idr : mapping type -> (unit, rupiah per unit), keyword-only
        Merged over :data:`DEFAULT_UNIT_COSTS_IDR`; used when ``cost_idr`` is missing:
        ``cost = damage_frac x unit cost x quantity`` (footprint m2, road damaged length m,
        bridge length m).
    point_area_m2 : mapping, keyword-only
        Footprint of point assets by type (:data:`DEFAULT_POINT_AREA_M2`).
    persons_per_house : float, keyword-only
        People served by a house without ``people_served``.
    id_col, type_col, name_col, depth_col, material_col, observed_col, cost_col, people_col,
    population_col, place_id_col : str, keyword-only
        Column names.
    n_draws, top_n, concentration, seed : keyword-only
        Sensitivity (:func:`~kotacerdas_gis.priorities.weight_sensitivity`).
    robust_share : float, keyword-only
        Share of draws in the top ``top_n`` that makes a priority robust.
    access_speed_kmh, max_snap_m : keyword-only
        See :func:`~kotacerdas_gis.priorities.prepare_network_access`.
    time_limit_s : float, keyword-only
        Budget solver time limit.
    progress : bool, keyword-only
        Progress bar for the criticality loop.

    Returns
    -------
    PriorityResult

    Raises
    ------
    CRSError, CRSMismatchError
        Non-metric or different CRSs.
    SchemaError
        Missing columns, repeated ``asset_id``, missing costs when a budget is given.
    ParameterError
        Bad weights or options, a budget <= 0, both ``weights`` and ``ahp``.

    Warns
    -----
    InconsistentJudgementWarning
        AHP consistency ratio above 0.1.
    CostUnitWarning
        Costs implausibly small or large for rupiah.

    Examples
    --------
    >>> from kotacerdas_gis.testing import bridge_scenario
    >>> assets, graph, hf, desa = bridge_scenario()
    >>> res = rank_rebuild_priorities(assets, graph, health_facilities=hf, places=desa,
    ...     budget_idr=8e9, n_draws=200)
    >>> res.priorities[["asset_id", "rank", "in_budget"]].values.tolist()
    [['bridge', 1, True], ['house', 2, True]]
    >>> res.budget.cost_idr  # 7.5 miliar bridge + 0.494 x 4.5 juta x 100 m2 house
    7722300000.0
    >>> print(res.priorities.reason_id.iloc[0])
    Jembatan Radda: menghubungkan kembali 1 desa (2.140 jiwa) ke fasilitas kesehatan dalam 30 menit; rusak berat (100 %); aset penting: jembatan; di zona bahaya tertinggi: bangun di tempat lain atau tinggikan
    """  # noqa: E501
    require_metric(assets, name="assets")
    require_same_crs(assets=assets, roads=graph.edges, health_facilities=health_facilities,
                     places=places)
    require_columns(assets, [id_col], name="assets")
    if weights is not None and ahp is not None:
        raise ParameterError("weights and ahp: give one of them, not both.")
    if not (0 < robust_share <= 1):
        raise ParameterError(f"robust_share: expected a share in (0, 1], found {robust_share}.")
    if budget_idr is not None and not (np.isfinite(budget_idr) and budget_idr > 0):
        raise ParameterError(f"budget_idr: expected a budget > 0 rupiah, found {budget_idr}.")
    if not persons_per_house >= 0:
        raise ParameterError(f"persons_per_house: expected >= 0, found {persons_per_house}.")
    cs = get_class_set(class_set)
    max_rank = cs.max_rank
    ledger = Ledger()
    rep = ledger.step("rebuild priorities: candidates", source="assets", n_in=len(assets))
    ids_txt = assets[id_col].astype(str)
    dup = ids_txt.duplicated(keep=False)
    if dup.any():
        raise SchemaError(f"assets: expected a unique {id_col}, found repeats "
                          f"{sorted(ids_txt[dup].unique())[:10]}.")
    # canonical order (by id text): nothing below depends on the row order of the input
    a = assets.iloc[np.argsort(ids_txt.to_numpy(), kind="stable")]
    a = a.rename(columns={id_col: "asset_id"}) if id_col != "asset_id" else a
    ids = a["asset_id"].to_numpy(object)
    types = priority_types(a, type_col=type_col)
    rep.repair("asset type not ranked as such: counted as 'other'",
               int(((types == "other") & (a[type_col].astype(str).str.lower() != "other")
                    if type_col in a.columns else types == "other").sum()))
    # network assets: ids with segments in the graph
    e = graph.edges
    eid = e["asset_id"].to_numpy(object)
    on_net = np.isin(ids, pd.unique(eid))
    is_net_type = types.isin(["road", "bridge"]).to_numpy()
    rep.note(f"{int(on_net.sum())} assets are road or bridge segments of the graph; "
             f"{int((is_net_type & ~on_net).sum())} roads/bridges are not in it (no criticality)")
    cut_e = e["cut"].to_numpy(bool) if "cut" in e.columns else np.zeros(len(e), bool)
    cut_ids = set(pd.unique(eid[cut_e]).tolist())
    net_cut = np.array([x in cut_ids for x in ids], dtype=bool)
    # hazard class and rank per asset (network assets: worst over their segments)
    rank = (pd.to_numeric(a["class_rank"], errors="coerce").fillna(0).to_numpy(float)
            if "class_rank" in a.columns else np.zeros(len(a)))
    if "class_rank" in e.columns:
        er = pd.Series(e["class_rank"].to_numpy(float)).groupby(eid).max()
        rank = np.where(on_net, np.fmax(rank, er.reindex(ids).fillna(0).to_numpy(float)), rank)
    hz = (a["hazard_class"].astype(object).to_numpy() if "hazard_class" in a.columns
          else np.full(len(a), None, dtype=object))
    # damage
    dframe = pd.DataFrame({"asset_type": types.to_numpy()}, index=a.index)
    depth = (pd.to_numeric(a[depth_col], errors="coerce").to_numpy(float)
             if depth_col in a.columns else np.full(len(a), np.nan))
    rep_depth = _representative_depth(cs, rank.astype(int))
    filled = ~np.isfinite(depth) & np.isfinite(rep_depth) & (rank > 0)
    rep.repair("no depth_m: the class's representative depth was used", int(filled.sum()))
    dframe["depth_m"] = np.where(filled, rep_depth, depth)
    for c in (material_col, observed_col):
        if c in a.columns:
            dframe[c] = a[c].to_numpy(object)
    dmg = damage_fraction(dframe, material_col=material_col, observed_col=observed_col,
                          curves=curves, flash_flood_factor=flash_flood_factor,
                          default_material=default_material, report=rep)
    dfrac = dmg["damage_frac"].to_numpy(float)
    cand = (dfrac > 0) | net_cut
    rep.reject("not damaged (damage 0 and no cut segment)", int((~cand).sum()))
    a, types, dmg = a[cand], types[cand], dmg[cand]
    ids, rank, hz, on_net, dfrac = ids[cand], rank[cand], hz[cand], on_net[cand], dfrac[cand]
    tarr = types.to_numpy(object)
    # network criticality of the road and bridge candidates
    na = prepare_network_access(
        graph, health_facilities, places, population_col=population_col,
        place_id_col=place_id_col, threshold_min=threshold_min, access_speed_kmh=access_speed_kmh,
        max_snap_m=max_snap_m)
    ledger.add(na.report)
    net_ids = ids[on_net]
    crit = criticality_table(na, asset_ids=net_ids, with_route=True, progress=progress)
    cr = crit.reindex(ids)
    # quantities and costs
    ew = e["length_m"].to_numpy(float)
    flen = (e["flooded_length_m"].to_numpy(float) if "flooded_length_m" in e.columns else ew)
    is_b = e["bridge"].to_numpy(bool)
    # a cut road is rebuilt over its flooded length; a bridge over its whole length
    qlen = np.where(is_b, ew, np.where(cut_e, np.maximum(flen, 0.0), flen))
    net_len = pd.Series(qlen).groupby(eid).sum().to_dict()
    qty, unit = _quantity(a, tarr, net_len, ids, {**DEFAULT_POINT_AREA_M2,
                                                  **(point_area_m2 or {})})
    uc = dict(DEFAULT_UNIT_COSTS_IDR)
    uc.update(unit_costs_idr or {})
    crep = ledger.step("rebuild priorities: costs", source="assets", n_in=len(a))
    if cost_col in a.columns:
        cost = pd.to_numeric(a[cost_col], errors="coerce").to_numpy(float)
        crep.note(f"costs from column {cost_col!r}; {int((~np.isfinite(cost)).sum())} missing")
        pos = cost[np.isfinite(cost) & (cost > 0)]
        if len(pos) and (np.median(pos) < _PLAUSIBLE_IDR[0] or pos.max() > _PLAUSIBLE_IDR[1]):
            warnings.warn(
                f"{cost_col}: expected costs in rupiah between {_PLAUSIBLE_IDR[0]:,.0f} and "
                f"{_PLAUSIBLE_IDR[1]:,.0f} per project, found median {np.median(pos):,.0f} and "
                f"max {pos.max():,.0f}. Is the column in thousands or millions of rupiah, or in "
                "another currency? Convert it to rupiah.", CostUnitWarning, stacklevel=2)
    else:
        cost = np.full(len(a), np.nan)
        for i, t in enumerate(tarr):
            u = uc.get(t, uc.get("other"))
            if u is not None and u[0] == unit[i]:
                cost[i] = max(dfrac[i], 0.0) * u[1] * qty[i]
        crep.note("costs = damage fraction x unit cost x quantity (DEFAULT_UNIT_COSTS_IDR)")
    # people served
    if people_col in a.columns:
        served = pd.to_numeric(a[people_col], errors="coerce").to_numpy(float)
    else:
        served = np.full(len(a), np.nan)
    need = ~np.isfinite(served)
    served = np.where(need & on_net, cr["people_served"].fillna(0).to_numpy(float), served)
    served = np.where(need & (tarr == "housing"), persons_per_house, served)
    rest = need & ~on_net & (tarr != "housing")
    if rest.any():
        g = np.asarray(a.geometry.values, dtype=object)
        pts = shapely.point_on_surface(g[rest])
        ppop = pd.to_numeric(places[population_col], errors="coerce").fillna(0).to_numpy(float)
        served[rest] = _people_in_places(pts, places, ppop)
    served = np.where(np.isfinite(served), served, 0.0)
    raw = pd.DataFrame({
        "asset_type": tarr, "damage_frac": dfrac, "people_served": served,
        "people_regain_access": cr["access_people"].fillna(0).to_numpy(float),
        "class_rank": rank, "cost_idr": cost}, index=a.index)
    # weights
    cr_ratio = None
    if ahp is not None:
        ar = ahp_weights(ahp)
        w = check_weights(ar.weights)
        method, cr_ratio = "ahp", ar.consistency_ratio
    else:
        w = check_weights(weights)
        method = "weighted_sum"
    norm = normalise_criteria(raw, max_rank=max_rank, type_weights=type_weights)
    sc = score_matrix(norm, w)
    key = np.array([str(x) for x in ids], dtype=object)
    tie = np.argsort(np.argsort(key, kind="stable"), kind="stable")
    rk = rank_scores(sc["score"].to_numpy(), tie)
    sens = weight_sensitivity(norm, w, tie_key=tie, n_draws=n_draws, top_n=top_n,
                              concentration=concentration, seed=seed)
    # precedence and budget
    pairs: list[tuple[Any, Any]] = []
    if bridge_precedence and len(net_ids):
        pre = bridge_prerequisites(na, net_ids)
        cset = set(ids.tolist())
        pairs = [(x, y) for x, y in zip(pre["asset_id"], pre["requires"], strict=True)
                 if x in cset and y in cset]
    pairs += [tuple(p) for p in (requires or [])]  # type: ignore[misc]
    req_of: dict[Any, list[str]] = {}
    for x, y in pairs:
        req_of.setdefault(x, []).append(str(y))
    budget = None
    in_budget = np.zeros(len(a), bool)
    if budget_idr is not None:
        order = np.argsort(rk)
        # benefit of a project: its priority score x the people who benefit from it (served,
        # or regaining access to health care; at least one), so that a bridge that
        # reconnects a village is not outweighed by a handful of cheap houses
        people = np.maximum(1.0, np.maximum(raw["people_served"].to_numpy(float),
                                            raw["people_regain_access"].to_numpy(float)))
        benefit = sc["score"].to_numpy() * people
        budget = select_budget(pd.Series(benefit[order], index=ids[order]),
                               pd.Series(cost[order], index=ids[order]), float(budget_idr),
                               requires=pairs, time_limit_s=time_limit_s, mip_rel_gap=1e-4)
        chosen = set(budget.selected)
        in_budget = np.array([x in chosen for x in ids], dtype=bool)
    top_class = rank >= max_rank
    names = (a[name_col].to_numpy(object) if name_col in a.columns
             else np.full(len(a), None, dtype=object))
    out = pd.DataFrame({
        "asset_id": ids, "asset_type": tarr, "name": names, "rank": rk,
        "score": sc["score"].to_numpy()})
    for k in CRITERIA:
        out[f"contrib_{k}"] = sc[f"contrib_{k}"].to_numpy()
    out["damage_frac"] = dfrac
    out["damage_source"] = dmg["damage_source"].to_numpy(object)
    out["hazard_class"] = hz
    out["class_rank"] = rank.astype(int)
    out["cost_idr"] = cost
    out["people_served"] = served
    for c in ("people_regain_access", "places_reconnected", "people_reconnected",
              "time_saved_person_min", "route_assets", "route_people_regain_access",
              "route_places_reconnected", "access_people"):
        out[c] = cr[c].fillna(0).to_numpy(float)
    out["requires"] = [";".join(req_of.get(x, [])) or None for x in ids]
    out["stability_top_share"] = sens.top_share
    out["rank_p05"] = sens.rank_lo
    out["rank_p95"] = sens.rank_hi
    out["robust"] = sens.top_share >= robust_share
    out["in_budget"] = in_budget
    out["in_highest_class"] = top_class
    out["advice"] = np.where(top_class, "rebuild elsewhere or raise", "rebuild in place")
    reasons = [reason_sentences(r, threshold_min=threshold_min)
               for r in out.to_dict("records")]
    out["reason_id"] = [r[0] for r in reasons]
    out["reason_en"] = [r[1] for r in reasons]
    out = out.drop(columns=["in_highest_class"])
    gdf = gpd.GeoDataFrame(out, geometry=np.asarray(a.geometry.values, dtype=object),
                           crs=assets.crs)
    gdf = gdf.sort_values("rank", kind="stable").reset_index(drop=True)
    robust = tuple(gdf.loc[gdf["robust"], "asset_id"].tolist())
    params = {
        "class_set": cs.name, "max_rank": max_rank, "threshold_min": threshold_min,
        "budget_idr": budget_idr, "bridge_precedence": bridge_precedence,
        "flash_flood_factor": flash_flood_factor, "default_material": default_material,
        "curves": {k: v.to_dict() for k, v in (curves or {}).items()},
        "type_weights": {**DEFAULT_TYPE_WEIGHTS, **(type_weights or {})},
        "unit_costs_idr": {k: list(v) for k, v in uc.items()},
        "persons_per_house": persons_per_house, "access_speed_kmh": access_speed_kmh,
        "max_snap_m": max_snap_m, "robust_share": robust_share, **sens.to_dict(),
    }
    return PriorityResult(priorities=gdf, criticality=crit, budget=budget, weights=w,
                          weights_method=method, consistency_ratio=cr_ratio, robust=robust,
                          parameters=jsonable(params), report=ledger)
