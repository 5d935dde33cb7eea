"""Network criticality of damaged roads and bridges: what restoring each one gives back.

In the manner of ra2ce's single-link analysis, but turned around and on the whole flooded graph:
one damaged asset (all its segments) is restored at a time, the rest of the network stays as
the flood left it, and we measure the people who regain access to a health facility within
``threshold_min`` minutes, the villages reconnected and the travel time saved.

The method is exact and does not rebuild the graph per asset. One multi-source Dijkstra run
from every open health facility on the flooded graph gives ``d0`` at every node. Restoring a
set of edges can only shorten distances, and a node's distance shrinks only if its new shortest
path crosses a restored edge; every node after the last restored edge on that path improves
too. So a Dijkstra seeded from the restored edges' ends (``d0(u) + w``) that only accepts nodes
it improves (``d < d0``) visits exactly the improved nodes and gives their new distances; its
work is proportional to the improved region, not to the graph.

Places (desa) and facilities join the network at their nearest node (any node, also one whose
roads are all cut, so that restoring them reconnects the place) on foot at ``access_speed_kmh``.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString, Point, box
>>> from kotacerdas_gis.network import build_road_graph, flood_road_graph
>>> roads = gpd.GeoDataFrame({"asset_id": ["w", "br", "e"], "road_class": ["local"] * 3,
...     "bridge": [False, True, False]}, geometry=[LineString([(0, 0), (1000, 0)]),
...     LineString([(1000, 0), (1100, 0)]), LineString([(1100, 0), (2000, 0)])], crs=32751)
>>> zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
...     geometry=[box(1020, -50, 1080, 50)], crs=32751)
>>> g = flood_road_graph(build_road_graph(roads), zones)
>>> hf = gpd.GeoDataFrame({"asset_id": ["pkm"]}, geometry=[Point(0, 0)], crs=32751)
>>> desa = gpd.GeoDataFrame({"admin_code": ["east"], "population": [2140]},
...     geometry=[Point(2000, 0)], crs=32751)
>>> c = restoration_criticality(g, hf, desa, threshold_min=30)
>>> c.loc["br", ["people_regain_access", "places_reconnected"]].tolist()
[2140.0, 1.0]
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

import geopandas as gpd
import shapely

from ..accounting import StepReport
from ..crs import require_same_crs
from ..errors import ParameterError, SchemaError
from ..network import RoadGraph, nearest_facility_times
from ..schemas import require_columns

__all__ = [
    "CRITICALITY_COLUMNS",
    "NetworkAccess",
    "prepare_network_access",
    "restoration_criticality",
    "criticality_table",
    "bridge_prerequisites",
    "damaged_network_assets",
    "restoration_gains",
    "improved_distances",
]

#: Improvements smaller than this (minutes) are rounding, not improvements.
TOL_MIN = 1e-9

#: Columns of :func:`restoration_criticality`.
CRITICALITY_COLUMNS = [
    "n_edges", "people_regain_access", "places_regain_access", "places_reconnected",
    "people_reconnected", "time_saved_person_min", "max_time_saved_min", "nodes_improved",
    "people_served",
]


@dataclass(frozen=True)
class NetworkAccess:
    """A flooded graph prepared for restoration analysis.

    Attributes
    ----------
    graph : RoadGraph
        The flooded graph.
    d0 : ndarray
        Minutes from every node to the nearest open health facility on the flooded graph (inf
        when cut off).
    indptr, indices, data : ndarray
        The symmetric CSR adjacency of the usable (not cut) flooded edges, travel minutes.
    place_node : ndarray
        Node of each place (-1: farther than ``max_snap_m`` from every node).
    place_offset_min : ndarray
        Minutes on foot from each place to its node.
    place_pop : ndarray
        People per place.
    place_ids : ndarray
        Place ids.
    node_place_ptr, node_place_idx : ndarray
        Places per node (CSR: the places of node ``n`` are
        ``node_place_idx[node_place_ptr[n]:node_place_ptr[n + 1]]``).
    source_nodes, source_offset_min : ndarray
        Node of each open health facility and the minutes on foot to it.
    threshold_min : float
        Access threshold (minutes).
    restored_weight : str
        Edge column giving a restored edge's minutes.
    report : StepReport
        What was snapped, skipped and counted.
    """

    graph: RoadGraph
    d0: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    place_node: np.ndarray
    place_offset_min: np.ndarray
    place_pop: np.ndarray
    place_ids: np.ndarray
    node_place_ptr: np.ndarray
    node_place_idx: np.ndarray
    source_nodes: np.ndarray
    source_offset_min: np.ndarray
    threshold_min: float
    restored_weight: str
    report: StepReport

    def place_times(self, node_min: np.ndarray) -> np.ndarray:
        """Minutes from each place to the nearest facility given node minutes."""
        ok = self.place_node >= 0
        t = np.full(len(self.place_node), np.inf)
        t[ok] = self.place_offset_min[ok] + node_min[self.place_node[ok]]
        return t


def _points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    g = np.asarray(gdf.geometry.values, dtype=object)
    return np.asarray(np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g)),
                      dtype=object)


def _snap_nodes(graph: RoadGraph, pts: np.ndarray, max_snap_m: float
                ) -> tuple[np.ndarray, np.ndarray]:
    xy = shapely.get_coordinates(np.asarray(graph.nodes.geometry.values, dtype=object))
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    d, i = cKDTree(xy).query(shapely.get_coordinates(pts))
    i = np.where(d <= max_snap_m, i, -1).astype(np.int64)
    return i, np.asarray(d, dtype=float)


def prepare_network_access(
    graph: RoadGraph,
    health_facilities: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    population_col: str = "population",
    place_id_col: str = "admin_code",
    threshold_min: float = 30.0,
    restored_weight: str = "travel_time_min_dry",
    access_speed_kmh: float = 5.0,
    max_snap_m: float = 5000.0,
) -> NetworkAccess:
    """Snap facilities and places to the flooded graph and run the one multi-source Dijkstra.

    Parameters
    ----------
    graph : RoadGraph
        The flooded graph (:func:`kotacerdas_gis.network.flood_road_graph`); cut edges are
        unusable until restored.
    health_facilities : GeoDataFrame
        Open health facilities (points or polygons, same CRS). Rows with ``closed`` True (see
        :class:`kotacerdas_gis.network.AccessResult`) and, when the layer has an
        ``exposure_class`` column, rows not of class "health" are left out (counted).
    places : GeoDataFrame
        Desa (polygons: their representative point; or points) with ``population``.
    population_col, place_id_col : str, keyword-only
        Column names (``place_id_col`` is optional: the row position is used without it).
    threshold_min : float, keyword-only
        Access threshold, minutes (> 0).
    restored_weight : str, keyword-only
        Edge column with a restored edge's minutes (the dry time; falls back to
        ``travel_time_min`` when the graph was never flooded).
    access_speed_kmh : float, keyword-only
        Walking speed from a place or facility to its node (km/h).
    max_snap_m : float, keyword-only
        Places and facilities farther than this (m) from every node have no road access.

    Returns
    -------
    NetworkAccess

    Raises
    ------
    CRSMismatchError, SchemaError, ParameterError
    """
    require_same_crs(roads=graph.edges, health_facilities=health_facilities, places=places)
    require_columns(places, [population_col], name="places")
    for nm, v in (("threshold_min", threshold_min), ("access_speed_kmh", access_speed_kmh),
                  ("max_snap_m", max_snap_m)):
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{nm}: expected a finite value > 0, found {v}.")
    e = graph.edges
    if restored_weight not in e.columns:
        if restored_weight == "travel_time_min_dry":
            restored_weight = "travel_time_min"
        else:
            raise SchemaError(f"graph edges: expected column {restored_weight!r}, found "
                              f"{[c for c in e.columns if c != 'geometry']}.")
    rep = StepReport("restoration criticality: snap to the road graph", source="places",
                     n_in=len(places))
    hf = health_facilities
    keep = np.ones(len(hf), bool)
    if "closed" in hf.columns:
        closed = hf["closed"].fillna(False).to_numpy(bool)
        rep.note(f"{int(closed.sum())} closed health facilities left out")
        keep &= ~closed
    if "exposure_class" in hf.columns:
        other = (hf["exposure_class"].astype(str).str.lower() != "health").to_numpy()
        if other.any():
            rep.note(f"{int((other & keep).sum())} facilities not of class 'health' left out")
        keep &= ~other
    fnode, fdist = _snap_nodes(graph, _points(hf[keep]), max_snap_m)
    far = fnode < 0
    rep.note(f"{int(far.sum())} health facilities farther than {max_snap_m:g} m from the roads")
    speed_m_min = access_speed_kmh * 1000.0 / 60.0
    src_nodes, src_off = fnode[~far], fdist[~far] / speed_m_min
    d0, _ = nearest_facility_times(graph, src_nodes, src_off)
    pnode, pdist = _snap_nodes(graph, _points(places), max_snap_m)
    rep.reject(f"place farther than {max_snap_m:g} m from every road node", int((pnode < 0)
                                                                                .sum()))
    pop = pd.to_numeric(places[population_col], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(pop) | (pop < 0)
    rep.repair(f"missing or negative {population_col} counted as 0", int(bad.sum()))
    pop = np.where(bad, 0.0, pop)
    ids = (places[place_id_col].to_numpy(object) if place_id_col in places.columns
           else np.arange(len(places)).astype(object))
    n = graph.n_nodes
    ok = np.flatnonzero(pnode >= 0)
    order = ok[np.argsort(pnode[ok], kind="stable")]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, pnode[order] + 1, 1)
    ptr = np.cumsum(ptr)
    m = graph.matrix()  # one entry per usable edge (build_road_graph keeps one per node pair)
    sym = sparse.csr_matrix(m + m.T)
    sym.sort_indices()
    return NetworkAccess(
        graph=graph, d0=d0, indptr=sym.indptr.astype(np.int64),
        indices=sym.indices.astype(np.int64), data=sym.data.astype(float),
        place_node=pnode, place_offset_min=np.where(pnode >= 0, pdist / speed_m_min, np.inf),
        place_pop=pop, place_ids=ids, node_place_ptr=ptr, node_place_idx=order,
        source_nodes=src_nodes, source_offset_min=src_off, threshold_min=float(threshold_min),
        restored_weight=restored_weight, report=rep)


def improved_distances(
    indptr: Sequence[int], indices: Sequence[int], data: Sequence[float], d0: Sequence[float],
    u: Sequence[int], v: Sequence[int], w: Sequence[float],
) -> tuple[list[int], list[float]]:
    """Nodes whose distance shrinks when undirected edges ``(u, v, w)`` are added, and by how much.

    A Dijkstra seeded from the added edges' ends that only accepts nodes it improves by more
    than :data:`TOL_MIN`. ``indptr, indices, data`` is the symmetric CSR adjacency of the graph
    without the added edges (Python lists are fastest); ``d0`` the distances on it.

    Returns
    -------
    (nodes, distances)
        The improved nodes and their new distances (minutes).

    Examples
    --------
    >>> # path 0 - 1, node 2 cut off; adding 1 - 2 (2 min) reaches it at d0(1) + 2
    >>> improved_distances([0, 1, 2, 2], [1, 0], [1.0, 1.0], [0.0, 1.0, float("inf")],
    ...                    [1], [2], [2.0])
    ([2], [3.0])
    """
    extra: dict[int, list[tuple[int, float]]] = {}
    best: dict[int, float] = {}
    heap: list[tuple[float, int]] = []
    for a, b, x in zip(u, v, w, strict=True):
        extra.setdefault(a, []).append((b, x))
        extra.setdefault(b, []).append((a, x))
        for s, t in ((a, b), (b, a)):
            nd = d0[s] + x
            if nd < best.get(t, d0[t]) - TOL_MIN:
                best[t] = nd
                heap.append((nd, t))
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        d, node = heapq.heappop(heap)
        if node in done or d > best[node]:
            continue
        done.add(node)
        for k in range(indptr[node], indptr[node + 1]):
            t = indices[k]
            nd = d + data[k]
            if nd < best.get(t, d0[t]) - TOL_MIN:
                best[t] = nd
                heapq.heappush(heap, (nd, t))
        for t, x in extra.get(node, ()):
            nd = d + x
            if nd < best.get(t, d0[t]) - TOL_MIN:
                best[t] = nd
                heapq.heappush(heap, (nd, t))
    nodes = sorted(done)
    return nodes, [best[i] for i in nodes]


def restoration_gains(
    na: NetworkAccess,
    groups: Sequence[np.ndarray],
    *,
    progress: bool = False,
) -> np.ndarray:
    """Access gained by restoring each group of edges alone (rows of ``na.graph.edges``).

    Returns
    -------
    ndarray, shape (len(groups), 7)
        Per group: people who regain access within the threshold, places that do, places
        reconnected (no access at all before), people reconnected, person-minutes saved over
        places reachable before, the largest saving at one place (minutes), nodes improved.
    """
    e = na.graph.edges
    eu = e["u"].to_numpy(np.int64)
    ev = e["v"].to_numpy(np.int64)
    ew = np.maximum(e[na.restored_weight].to_numpy(float), 1e-9)
    d0 = na.d0
    d0l = d0.tolist()
    ip, ix, dt = na.indptr.tolist(), na.indices.tolist(), na.data.tolist()
    ptr, pidx = na.node_place_ptr, na.node_place_idx
    t0 = na.place_times(d0)
    T = na.threshold_min + TOL_MIN
    out = np.zeros((len(groups), 7))
    # a group can help only if one of its edges shortens the way to one of its ends
    gain_possible = (np.minimum(d0[eu] + ew, d0[ev] + ew) < np.maximum(d0[eu], d0[ev]) - TOL_MIN)
    it: Any = range(len(groups))
    if progress:
        try:
            from rich.progress import track
            it = track(it, description="restoration criticality")
        except ImportError:  # pragma: no cover
            pass
    for gi in it:
        rows = np.asarray(groups[gi], dtype=np.int64)
        # the first restored edge on any improved path improves one of its ends over d0; the
        # edges behind it (both ends cut off) are needed too, so keep the whole group
        if len(rows) == 0 or not gain_possible[rows].any():
            continue
        nodes, dist = improved_distances(ip, ix, dt, d0l, eu[rows].tolist(), ev[rows].tolist(),
                                         ew[rows].tolist())
        out[gi, 6] = len(nodes)
        nn = np.asarray(nodes, dtype=np.int64)
        cnt = ptr[nn + 1] - ptr[nn]
        if cnt.sum() == 0:
            continue
        sel = cnt > 0
        starts = ptr[nn[sel]]
        cs = cnt[sel]
        # places at the improved nodes, and their node's new distance
        pos = np.repeat(starts - np.cumsum(np.r_[0, cs[:-1]]), cs) + np.arange(cs.sum())
        pl = pidx[pos]
        newd = np.repeat(np.asarray(dist)[sel], cs)
        ta = na.place_offset_min[pl] + newd
        tb = t0[pl]
        pop = na.place_pop[pl]
        regain = (tb > T) & (ta <= T)
        recon = ~np.isfinite(tb)
        out[gi, 0] = pop[regain].sum()
        out[gi, 1] = regain.sum()
        out[gi, 2] = recon.sum()
        out[gi, 3] = pop[recon].sum()
        fin = np.isfinite(tb)
        saved = tb[fin] - ta[fin]
        out[gi, 4] = (pop[fin] * saved).sum()
        out[gi, 5] = saved.max() if len(saved) else 0.0
    return out


def _people_on_dry_tree(na: NetworkAccess) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People whose dry shortest path to health uses each edge; the dry tree's parents.

    Returns per-edge people, the parent node of every node (-1 at a root or unreachable) and
    the dry distance per node.
    """
    g = na.graph
    e = g.edges
    n = g.n_nodes
    w = np.maximum(e[na.restored_weight].to_numpy(float), 1e-9)
    eu, ev = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
    mat = sparse.csr_matrix((w, (eu, ev)), shape=(n, n))
    dist_dry = np.full(n, np.inf)
    parent = np.full(n, -1, dtype=np.int64)
    fac = (na.source_nodes, na.source_offset_min)
    if len(fac[0]) == 0:
        return np.zeros(len(e)), parent, dist_dry
    s = n
    coo = mat.tocoo()
    best = pd.Series(np.asarray(fac[1], float)).groupby(np.asarray(fac[0])).min()
    fn, fo = best.index.to_numpy(np.int64), best.to_numpy(float)
    big = sparse.csr_matrix(
        (np.r_[coo.data, fo + 1.0], (np.r_[coo.row, np.full(len(fn), s)],
                                     np.r_[coo.col, fn])), shape=(n + 1, n + 1))
    dd, pred = csgraph.dijkstra(big, directed=False, indices=s, return_predecessors=True)
    dist_dry = np.where(np.isfinite(dd[:n]), dd[:n] - 1.0, np.inf)
    parent = pred[:n].astype(np.int64)
    parent[(parent == s) | (parent < 0)] = -1
    node_pop = np.zeros(n)
    okp = na.place_node >= 0
    np.add.at(node_pop, na.place_node[okp], na.place_pop[okp])
    sub = node_pop.copy()
    reach = np.flatnonzero(np.isfinite(dist_dry))
    for node in reach[np.argsort(-dist_dry[reach], kind="stable")]:
        p = parent[node]
        if p >= 0:
            sub[p] += sub[node]
    # edge (u, v) on the tree carries the subtree of its child end
    people = np.where(parent[ev] == eu, sub[ev], np.where(parent[eu] == ev, sub[eu], 0.0))
    return people, parent, dist_dry


def restoration_criticality(
    graph: RoadGraph,
    health_facilities: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    asset_ids: Sequence[Any] | None = None,
    population_col: str = "population",
    place_id_col: str = "admin_code",
    threshold_min: float = 30.0,
    restored_weight: str = "travel_time_min_dry",
    access_speed_kmh: float = 5.0,
    max_snap_m: float = 5000.0,
    progress: bool = False,
) -> pd.DataFrame:
    """Criticality of each damaged road or bridge asset: the access its restoration gives back.

    See the module text for the method (exact, one Dijkstra run plus a bounded search per
    asset).

    Parameters
    ----------
    graph : RoadGraph
        The flooded graph; an asset is all edges with its ``asset_id``.
    health_facilities, places : GeoDataFrame
        See :func:`prepare_network_access`.
    asset_ids : sequence, keyword-only
        Assets to restore; default every asset with a cut or flooded edge.
    population_col, place_id_col, threshold_min, restored_weight, access_speed_kmh,
    max_snap_m : keyword-only
        See :func:`prepare_network_access`.
    progress : bool, keyword-only
        Show a progress bar.

    Returns
    -------
    DataFrame
        Indexed by ``asset_id``: ``n_edges``, ``people_regain_access`` (people whose time to
        a health facility falls to <= ``threshold_min``), ``places_regain_access``,
        ``places_reconnected`` (no access at all before), ``people_reconnected``,
        ``time_saved_person_min`` (over places reachable before), ``max_time_saved_min``,
        ``nodes_improved``, ``people_served`` (people whose dry shortest path to health uses
        the asset).

    Raises
    ------
    CRSMismatchError, SchemaError, ParameterError
    """
    na = prepare_network_access(
        graph, health_facilities, places, population_col=population_col,
        place_id_col=place_id_col, threshold_min=threshold_min, restored_weight=restored_weight,
        access_speed_kmh=access_speed_kmh, max_snap_m=max_snap_m)
    return criticality_table(na, asset_ids=asset_ids, progress=progress)


def bridge_prerequisites(
    na: NetworkAccess, asset_ids: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Which damaged bridge each cut-off road or bridge asset needs before it is worth anything.

    An asset needs bridge ``b`` when both ends of every one of its segments are cut off from
    health care on the flooded graph, and ``b`` is the first cut bridge (not the asset itself)
    on its dry shortest path to a health facility. Bridges behind bridges make chains
    (``x_road <= x_bridge1 <= x_bridge2``); the dry shortest-path tree has no cycles.

    Returns
    -------
    DataFrame
        ``asset_id``, ``requires`` (one row per dependency, possibly none).
    """
    e = na.graph.edges
    ids = damaged_network_assets(na.graph) if asset_ids is None else pd.unique(
        np.asarray(list(asset_ids), dtype=object))
    _, parent, dist = _people_on_dry_tree(na)
    eu, ev = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
    aid = e["asset_id"].to_numpy(object)
    cutb = (e["cut"].to_numpy(bool) if "cut" in e.columns else np.zeros(len(e), bool)) & \
        e["bridge"].to_numpy(bool)
    # the tree edge above each node, and the first cut bridge on the way to the root
    edge_of = {(min(a, b), max(a, b)): i for i, (a, b) in enumerate(zip(eu.tolist(),
                                                                      ev.tolist(),
                                                                      strict=True))}
    n = len(parent)
    first = np.full(n, -1, dtype=np.int64)
    reach = np.flatnonzero(np.isfinite(dist))
    for node in reach[np.argsort(dist[reach], kind="stable")].tolist():
        p = parent[node]
        if p < 0:
            continue
        ei = edge_of[(min(p, node), max(p, node))]
        first[node] = ei if cutb[ei] else first[p]
    d0 = na.d0
    rows_of = pd.Series(np.arange(len(e))).groupby(aid).apply(lambda r: r.to_numpy())
    out: list[tuple[Any, Any]] = []
    for a in ids:
        if a not in rows_of.index:
            continue
        r = rows_of[a]
        ends = np.r_[eu[r], ev[r]]
        if np.isfinite(d0[ends]).any() or not np.isfinite(dist[ends]).any():
            continue
        node = int(ends[np.argmin(dist[ends])])
        b = first[node]
        while b >= 0 and aid[b] == a:
            up = eu[b] if dist[eu[b]] <= dist[ev[b]] else ev[b]
            b = first[up]
        if b >= 0:
            out.append((a, aid[b]))
    return pd.DataFrame(out, columns=["asset_id", "requires"])


def damaged_network_assets(graph: RoadGraph) -> np.ndarray:
    """Asset ids with at least one cut or flooded edge, in first-appearance order."""
    e = graph.edges
    dmg = np.zeros(len(e), bool)
    if "cut" in e.columns:
        dmg = dmg | e["cut"].to_numpy(bool)
    if "class_rank" in e.columns:
        dmg = dmg | (e["class_rank"].to_numpy() > 0)
    return pd.unique(e["asset_id"].to_numpy(object)[dmg])


def _route_packages(na: NetworkAccess, ids: Sequence[Any], groups: list[np.ndarray]
                    ) -> list[list[int]]:
    """Per asset: the other damaged assets (positions in ``ids``) on its dry way to health care."""
    e = na.graph.edges
    _, parent, dist = _people_on_dry_tree(na)
    eu, ev = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
    pos_of = {a: i for i, a in enumerate(ids)}
    aid = e["asset_id"].to_numpy(object)
    edge_pos = np.array([pos_of.get(a, -1) for a in aid], dtype=np.int64)
    up: dict[int, int] = {}
    pl = parent.tolist()
    for i, (a, b) in enumerate(zip(eu.tolist(), ev.tolist(), strict=True)):
        if pl[b] == a:
            up[b] = i
        elif pl[a] == b:
            up[a] = i
    out: list[list[int]] = []
    memo: dict[int, tuple[int, ...]] = {}
    for gi, rows in enumerate(groups):
        if len(rows) == 0:
            out.append([])
            continue
        ends = np.r_[eu[rows], ev[rows]]
        if not np.isfinite(dist[ends]).any():
            out.append([])
            continue
        node = int(ends[np.argmin(dist[ends])])
        # walk to the root, memoising the damaged assets above each node
        path = []
        while node >= 0 and node not in memo:
            path.append(node)
            node = pl[node]
        above: tuple[int, ...] = memo.get(node, ()) if node >= 0 else ()
        for nd in reversed(path):
            ei = up.get(nd, -1)
            if ei >= 0 and edge_pos[ei] >= 0 and edge_pos[ei] not in above:
                above = (*above, int(edge_pos[ei]))
            memo[nd] = above
        out.append([k for k in memo[path[0]] if k != gi] if path else
                   [k for k in above if k != gi])
    return out


def criticality_table(
    na: NetworkAccess, *, asset_ids: Sequence[Any] | None = None, with_route: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`restoration_criticality` on a prepared :class:`NetworkAccess`.

    With ``with_route``, also the assets restored together with the other damaged assets on
    their dry way to health care (a corridor cut in several places gives nothing back one
    asset at a time): ``route_assets`` (how many others), ``route_people_regain_access``,
    ``route_places_reconnected``, and ``access_people``: the larger of the asset's own gain
    and its share of any route it lies on (a route's gain split equally among its assets,
    the Shapley value of assets all needed in series).
    """
    e = na.graph.edges
    ids = damaged_network_assets(na.graph) if asset_ids is None else pd.unique(
        np.asarray(list(asset_ids), dtype=object))
    codes, uniq = pd.factorize(e["asset_id"].to_numpy(object))
    lookup = {a: i for i, a in enumerate(uniq)}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    groups = []
    for a in ids:
        i = lookup.get(a)
        groups.append(order[bounds[i]:bounds[i + 1]] if i is not None
                      else np.zeros(0, dtype=np.int64))
    gains = restoration_gains(na, groups, progress=progress)
    people_edge, _, _ = _people_on_dry_tree(na)
    served = np.array([people_edge[gr].max() if len(gr) else 0.0 for gr in groups])
    out = pd.DataFrame(gains, columns=CRITICALITY_COLUMNS[1:8], index=pd.Index(ids,
                                                                               name="asset_id"))
    out.insert(0, "n_edges", [len(gr) for gr in groups])
    out["nodes_improved"] = out["nodes_improved"].astype(int)
    out["places_regain_access"] = out["places_regain_access"].astype(int)
    out["places_reconnected"] = out["places_reconnected"].astype(int)
    out["people_served"] = served
    if with_route:
        pk = _route_packages(na, list(ids), groups)
        rgroups = [np.concatenate([groups[gi]] + [groups[k] for k in others]) if others
                   else groups[gi] for gi, others in enumerate(pk)]
        rg = restoration_gains(na, rgroups, progress=progress)
        share = out["people_regain_access"].to_numpy(float).copy()
        for gi, others in enumerate(pk):
            v = rg[gi, 0] / (len(others) + 1)
            for k in (gi, *others):
                share[k] = max(share[k], v)
        out["route_assets"] = [len(o) for o in pk]
        out["route_people_regain_access"] = rg[:, 0]
        out["route_places_reconnected"] = rg[:, 2].astype(int)
        out["access_people"] = share
    return out
