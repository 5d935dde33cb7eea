"""Service points (shelters, health posts) that stay dry and reachable on the flooded roads.

Three steps, each pure (GeoDataFrames in, new objects out, one metric CRS, nothing read or
written):

1. :func:`candidate_sites` -- existing public buildings (schools, offices, places of worship,
   halls, government buildings) outside the high hazard class and any excluded class, with a
   capacity (floor area / 3.5 m² per person, Sphere), plus dry open land on a grid near the
   open roads;
2. :func:`travel_time_matrix` -- minutes from every demand point to every candidate within a
   limit, on the flooded road graph (cut segments excluded, slowed segments slowed), by vehicle
   or on foot, including the off-road legs to and from the road;
3. :func:`site_service_points` -- MCLP, p-median, LSCP or p-center on that matrix with the
   solver core (:mod:`kotacerdas_gis.siting.solvers`), with existing facilities fixed, the
   sites' loads, each demand unit's site and minutes, and the demand that no open road
   connects to any candidate (those villages need a post of their own).

Examples
--------
Two villages on a 2 km road, a school at each end; one shelter by MCLP within 5 minutes.

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, Point
>>> from kotacerdas_gis.network import build_road_graph
>>> g = build_road_graph(gpd.GeoDataFrame({"asset_id": ["r"], "road_class": ["local"]},
...     geometry=[LineString([(0, 0), (2000, 0)])], crs=32751))
>>> dem = gpd.GeoDataFrame({"demand_id": ["a", "b"], "admin_code": ["1", "2"],
...     "population": [100.0, 300.0]}, geometry=[Point(0, 0), Point(2000, 0)], crs=32751)
>>> cand = gpd.GeoDataFrame({"candidate_id": ["s0", "s1"], "capacity_persons": [500, 500]},
...     geometry=[Point(0, 0), Point(2000, 0)], crs=32751)
>>> res = site_service_points(g, dem, cand, p=1, max_time_min=3.0)  # 2 km = 4 min: one each
>>> res.sites[["site_id", "people_covered"]].values.tolist()
[['s1', 300.0]]
>>> res.assignment[["demand_id", "site_id", "travel_time_min"]].values.tolist()
[['b', 's1', 0.0]]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

import geopandas as gpd
import shapely

from kotacerdas_gis.accounting import StepReport
from kotacerdas_gis.crs import require_metric, require_same_crs
from kotacerdas_gis.errors import InfeasibleProblemError, ParameterError
from kotacerdas_gis.network import RoadGraph, _snap
from kotacerdas_gis.schemas import require_columns
from kotacerdas_gis.siting.solvers import (
    SolverResult,
    coverage_matrix,
    lscp,
    mclp,
    p_center,
    p_median,
)
from kotacerdas_gis.vocabulary import NOT_EXPOSED

__all__ = [
    "PUBLIC_BUILDING_CLASSES",
    "SNI_PEOPLE_PER_FACILITY",
    "ServicePointsResult",
    "candidate_sites",
    "travel_time_matrix",
    "site_service_points",
]

#: Building exposure classes that may host a shelter or a post (InaSAFE classes).
PUBLIC_BUILDING_CLASSES: tuple[str, ...] = (
    "education", "government", "place of worship", "public facility", "evacuation centre",
)
#: People served per facility, SNI 03-1733-2004 (DOMAIN.md): parameters, not facts.
SNI_PEOPLE_PER_FACILITY: dict[str, float] = {
    "puskesmas": 120_000.0,
    "puskesmas_pembantu": 30_000.0,
    "posyandu": 1_250.0,
}

Model = Literal["mclp", "p_median", "lscp", "p_center"]


def _points(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    geom = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    g = np.asarray(geom.values, dtype=object)
    is_pt = shapely.get_type_id(g) == 0
    out = g.copy()
    if (~is_pt).any():
        out[~is_pt] = shapely.point_on_surface(g[~is_pt])
    return out


# --------------------------------------------------------------------------- candidates


def _zone_rank(geoms: np.ndarray, zones: gpd.GeoDataFrame | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Return the worst ``class_rank`` and ``hazard_class`` each geometry touches."""
    n = len(geoms)
    rank = np.zeros(n, dtype=np.int64)
    cls = np.full(n, NOT_EXPOSED, dtype=object)
    if zones is None or len(zones) == 0 or n == 0:
        return rank, cls
    zr = zones["class_rank"].to_numpy(np.int64)
    zc = zones["hazard_class"].to_numpy(object)
    gi, zi = shapely.STRtree(np.asarray(zones.geometry.values, dtype=object)).query(
        geoms, predicate="intersects")
    if len(gi):
        # exclude mere boundary contact: a positive area (polygons) or length / point inside
        zg = np.asarray(zones.geometry.values, dtype=object)[zi]
        inter = shapely.intersection(geoms[gi], zg)
        tid = shapely.get_type_id(geoms[gi])
        size = np.where(tid == 0, 1.0, np.where(np.isin(tid, (1, 5)), shapely.length(inter),
                                                shapely.area(inter)))
        ok = (size > 0) & ~shapely.is_empty(inter)
        gi, zi = gi[ok], zi[ok]
        o = np.lexsort((zr[zi], gi))
        last = np.r_[gi[o][1:] != gi[o][:-1], True]
        sel = o[last]
        rank[gi[sel]] = zr[zi[sel]]
        cls[gi[sel]] = zc[zi[sel]]
    return rank, cls


def candidate_sites(
    buildings: gpd.GeoDataFrame | None,
    *,
    zones: gpd.GeoDataFrame | None = None,
    graph: RoadGraph | None = None,
    area: gpd.GeoDataFrame | None = None,
    kind: str = "shelter",
    high_min_rank: int | None = None,
    exclude_classes: Sequence[str] = (),
    public_classes: Sequence[str] = PUBLIC_BUILDING_CLASSES,
    class_col: str = "exposure_class",
    id_col: str = "asset_id",
    name_col: str = "name",
    floors_col: str | None = None,
    m2_per_person: float = 3.5,
    point_capacity_persons: float = 50.0,
    people_per_post: float = SNI_PEOPLE_PER_FACILITY["puskesmas_pembantu"],
    open_land_spacing_m: float | None = None,
    open_land_max_road_m: float = 100.0,
    camp_m2_per_person: float = 45.0,
) -> gpd.GeoDataFrame:
    """Candidate sites: public buildings and dry open land near open roads, with capacities.

    Parameters
    ----------
    buildings : GeoDataFrame or None
        Buildings or facilities (polygons or points, metric CRS) with ``class_col``,
        ``id_col`` and optionally ``name_col`` (the exposure step's ``impact_buildings``).
    zones : GeoDataFrame, optional, keyword-only
        Hazard zones (``hazard_class``, ``class_rank``); a candidate touching (with positive
        area, length, or a point inside) a zone of rank ``>= high_min_rank`` or of a class in
        ``exclude_classes`` is dropped.
    graph : RoadGraph, optional, keyword-only
        The (flooded) road graph; needed for open land (distance to an open segment).
    area : GeoDataFrame, optional, keyword-only
        Polygons where open land is gridded (e.g. the study boundary).
    kind : str, keyword-only
        ``"shelter"``: capacity = floor area x floors / ``m2_per_person``; ``"health_post"``
        (or anything else): capacity = ``people_per_post`` per site.
    high_min_rank : int, keyword-only
        Lowest excluded rank; default the highest rank of ``zones`` (the "high" class).
    exclude_classes : sequence of str, keyword-only
        Hazard classes excluded as well.
    public_classes : sequence of str, keyword-only
        Building classes that may host a site.
    class_col, id_col, name_col : str, keyword-only
        Columns of ``buildings``.
    floors_col : str, optional, keyword-only
        Number of floors (missing or < 1: 1).
    m2_per_person : float, keyword-only
        Covered floor space per person, m² (Sphere: 3.5).
    point_capacity_persons : float, keyword-only
        Shelter capacity of a building mapped as a point (no floor area).
    people_per_post : float, keyword-only
        People one health post serves (SNI 03-1733-2004: Puskesmas Pembantu 30,000; see
        :data:`SNI_PEOPLE_PER_FACILITY`).
    open_land_spacing_m : float, optional, keyword-only
        Grid spacing of open-land candidates, m; None: no open land.
    open_land_max_road_m : float, keyword-only
        Open land farther than this from an open road segment is dropped, m.
    camp_m2_per_person : float, keyword-only
        Site area per person in a camp (Sphere: 45 m² including services); open-land
        shelter capacity = spacing² / this.

    Returns
    -------
    GeoDataFrame
        ``candidate_id``, ``source`` ("building" / "open land"), ``asset_id``, ``name``,
        ``building_class``, ``hazard_class``, ``class_rank``, ``floor_area_m2``,
        ``capacity_persons`` (whole people), Point geometry (a point on the building).

    Raises
    ------
    CRSError, CRSMismatchError
        Layers not in one metric CRS.
    SchemaError
        Missing columns.
    ParameterError
        Non-positive capacities, spacing or distances.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"asset_id": ["sd1", "h1"], "exposure_class": ["education",
    ...     "residential"]}, geometry=[box(0, 0, 20, 35), box(50, 0, 60, 10)], crs=32751)
    >>> candidate_sites(b)[["candidate_id", "floor_area_m2", "capacity_persons"]].values.tolist()
    [['sd1', 700.0, 200]]
    """
    for name, v in (("m2_per_person", m2_per_person), ("camp_m2_per_person", camp_m2_per_person),
                    ("people_per_post", people_per_post),
                    ("point_capacity_persons", point_capacity_persons),
                    ("open_land_max_road_m", open_land_max_road_m)):
        if not (math.isfinite(float(v)) and float(v) > 0):
            raise ParameterError(f"{name} must be a finite number > 0; got {v!r}.")
    if open_land_spacing_m is not None and not (
            math.isfinite(float(open_land_spacing_m)) and open_land_spacing_m > 0):
        raise ParameterError(f"open_land_spacing_m must be > 0 m; got {open_land_spacing_m!r}.")
    layers: dict[str, Any] = {}
    if buildings is not None:
        layers["buildings"] = buildings
    if zones is not None:
        layers["zones"] = zones
    if graph is not None:
        layers["roads"] = graph.edges
    if area is not None:
        layers["area"] = area
    if not layers:
        raise ParameterError("candidate_sites needs buildings, or area and graph for open land.")
    crs = require_same_crs(**layers)
    if zones is not None:
        require_columns(zones, ["hazard_class", "class_rank"], name="zones")
    top = int(zones["class_rank"].max()) if zones is not None and len(zones) else None
    high = high_min_rank if high_min_rank is not None else top
    excl = set(exclude_classes)
    is_shelter = kind == "shelter"
    parts: list[gpd.GeoDataFrame] = []
    if buildings is not None and len(buildings):
        require_columns(buildings, [class_col, id_col], name="buildings")
        b = buildings[buildings[class_col].isin(list(public_classes))]
        g = np.asarray(b.geometry.values, dtype=object)
        rank, hcls = _zone_rank(g, zones)
        keep = np.ones(len(b), dtype=bool)
        if high is not None:
            keep &= rank < high
        if excl:
            keep &= ~np.isin(hcls, list(excl))
        b, g, rank, hcls = b[keep], g[keep], rank[keep], hcls[keep]
        area_m2 = shapely.area(g)
        floors = np.ones(len(b))
        if floors_col is not None and floors_col in b.columns:
            f = pd.to_numeric(b[floors_col], errors="coerce").to_numpy(float)
            floors = np.where(np.isfinite(f) & (f >= 1), np.floor(f), 1.0)
        if is_shelter:
            cap = np.where(area_m2 > 0, np.floor(area_m2 * floors / m2_per_person + 1e-9),
                           np.floor(point_capacity_persons))
        else:
            cap = np.full(len(b), float(people_per_post))
        names = b[name_col].astype(object).to_numpy() if name_col in b.columns else \
            np.full(len(b), None, dtype=object)
        parts.append(gpd.GeoDataFrame({
            "candidate_id": b[id_col].astype(str).to_numpy(),
            "source": "building",
            "asset_id": b[id_col].astype(str).to_numpy(),
            "name": names,
            "building_class": b[class_col].astype(str).to_numpy(),
            "hazard_class": hcls,
            "class_rank": rank,
            "floor_area_m2": area_m2 * floors,
            "capacity_persons": cap.astype(np.int64),
        }, geometry=_points(b), crs=crs))
    if open_land_spacing_m is not None and area is not None and graph is not None:
        sp = float(open_land_spacing_m)
        x0, y0, x1, y1 = area.total_bounds
        xs = np.arange(x0 + sp / 2, x1, sp)
        ys = np.arange(y0 + sp / 2, y1, sp)
        gx, gy = np.meshgrid(xs, ys)
        pts = shapely.points(gx.ravel(), gy.ravel())
        inside = np.zeros(len(pts), dtype=bool)
        ai, _ = shapely.STRtree(np.asarray(area.geometry.values, dtype=object)).query(
            pts, predicate="intersects")
        inside[ai] = True
        pts = pts[inside]
        if buildings is not None and len(buildings):
            bi, _ = shapely.STRtree(np.asarray(buildings.geometry.values, dtype=object)).query(
                pts, predicate="intersects")
            free = np.ones(len(pts), dtype=bool)
            free[bi] = False
            pts = pts[free]
        sn = _snap(graph, pts)
        pts = pts[sn.dist_m <= open_land_max_road_m]
        rank, hcls = _zone_rank(pts, zones)
        keep = np.ones(len(pts), dtype=bool)
        if high is not None:
            keep &= rank < high
        if excl:
            keep &= ~np.isin(hcls, list(excl))
        pts, rank, hcls = pts[keep], rank[keep], hcls[keep]
        cap_l = math.floor(sp * sp / camp_m2_per_person) if is_shelter else people_per_post
        xy = shapely.get_coordinates(pts)
        ids = [f"land_{int(round(x))}_{int(round(y))}" for x, y in xy]
        parts.append(gpd.GeoDataFrame({
            "candidate_id": ids, "source": "open land", "asset_id": None, "name": None,
            "building_class": None, "hazard_class": hcls, "class_rank": rank,
            "floor_area_m2": np.nan, "capacity_persons": np.full(len(pts), int(cap_l)),
        }, geometry=pts, crs=crs))
    if not parts:
        return gpd.GeoDataFrame({"candidate_id": [], "source": [], "capacity_persons": []},
                                geometry=[], crs=crs)
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


# --------------------------------------------------------------------------- travel times


def _edge_minutes(graph: RoadGraph, walk_speed_kmh: float | None) -> np.ndarray:
    e = graph.edges
    if walk_speed_kmh is None:
        return e["travel_time_min"].to_numpy(float)
    return e["length_m"].to_numpy(float) / 1000.0 / walk_speed_kmh * 60.0


def _road_matrix(graph: RoadGraph, minutes: np.ndarray) -> sparse.csr_matrix:
    e = graph.edges
    keep = ~e["cut"].to_numpy(bool) if "cut" in e.columns else np.ones(len(e), bool)
    n = graph.n_nodes
    w = np.maximum(minutes[keep], 1e-9)
    m = sparse.coo_matrix((w, (e["u"].to_numpy()[keep], e["v"].to_numpy()[keep])), shape=(n, n))
    # parallel edges: keep the fastest (csr would sum them)
    df = pd.DataFrame({"a": np.minimum(m.row, m.col), "b": np.maximum(m.row, m.col), "w": m.data})
    df = df.groupby(["a", "b"], sort=True)["w"].min().reset_index()
    return sparse.csr_matrix((df["w"].to_numpy(), (df["a"].to_numpy(), df["b"].to_numpy())),
                             shape=(n, n))


def travel_time_matrix(
    graph: RoadGraph,
    demand_points: gpd.GeoDataFrame | gpd.GeoSeries,
    candidate_points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_time_min: float,
    walk_speed_kmh: float | None = None,
    max_snap_m: float = 1000.0,
    access_speed_kmh: float = 5.0,
    chunk_cells: int = 20_000_000,
) -> sparse.csr_matrix:
    """Minutes from each demand point to each candidate within a limit, on the open roads.

    Each point joins the nearest point of the nearest segment that is not cut, walking the
    straight line at ``access_speed_kmh`` (on foot: ``walk_speed_kmh``); then the trip runs on
    the graph (``scipy.sparse.csgraph.dijkstra`` from the candidates with ``limit``). A demand
    point and a candidate on the same segment are also joined along it directly.

    Parameters
    ----------
    graph : RoadGraph
        Usually the flooded graph (:func:`kotacerdas_gis.network.flood_road_graph`): cut
        segments are left out and slowed ones are slow.
    demand_points, candidate_points : GeoDataFrame or GeoSeries
        Points (polygons use a point on their surface), the graph's metric CRS.
    max_time_min : float
        Pairs slower than this are not stored, minutes.
    walk_speed_kmh : float, optional
        On foot: every open segment walked at this speed (flooded ones too); None = by
        vehicle at the segments' (flooded) travel times.
    max_snap_m : float
        A point farther than this from any open segment has no road access (an empty row or
        column), metres.
    access_speed_kmh : float
        Off-road walking speed to and from the road (by vehicle), km/h.
    chunk_cells : int
        Dense working cells per Dijkstra batch (memory), not a result parameter.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_demand, n_candidates)
        ``travel_time_min`` of each pair within the limit; zero times are stored explicitly
        (a missing pair means "not within the limit or not connected").

    Raises
    ------
    CRSError, CRSMismatchError
        Points not in the graph's metric CRS.
    ParameterError
        A limit, speed or distance <= 0 or not finite.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> from kotacerdas_gis.network import build_road_graph
    >>> g = build_road_graph(gpd.GeoDataFrame({"asset_id": ["r"], "road_class": ["local"]},
    ...     geometry=[LineString([(0, 0), (1000, 0)])], crs=32751))
    >>> d = gpd.GeoSeries([Point(0, 50)], crs=32751)   # 50 m off the road: 0.6 min on foot
    >>> c = gpd.GeoSeries([Point(1000, 0)], crs=32751)  # 1 km at 30 km/h: 2 min
    >>> travel_time_matrix(g, d, c, max_time_min=10).toarray().round(2).tolist()
    [[2.6]]
    """
    require_same_crs(roads=graph.edges, demand=demand_points, candidates=candidate_points)
    for name, v in (("max_time_min", max_time_min), ("max_snap_m", max_snap_m),
                    ("access_speed_kmh", access_speed_kmh)):
        if not (math.isfinite(float(v)) and float(v) > 0):
            raise ParameterError(f"{name} must be a finite number > 0; got {v!r}.")
    if walk_speed_kmh is not None and not (
            math.isfinite(float(walk_speed_kmh)) and walk_speed_kmh > 0):
        raise ParameterError(f"walk_speed_kmh must be > 0 km/h or None; got {walk_speed_kmh!r}.")
    t_lim = float(max_time_min)
    off_speed = float(walk_speed_kmh) if walk_speed_kmh is not None else float(access_speed_kmh)
    dp, cp = _points(demand_points), _points(candidate_points)
    n_d, n_c = len(dp), len(cp)
    if n_d == 0 or n_c == 0:
        return sparse.csr_matrix((n_d, n_c))
    minutes = _edge_minutes(graph, walk_speed_kmh)
    e = graph.edges
    eu, ev = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
    sd, sc = _snap(graph, dp), _snap(graph, cp)
    d_ok = (sd.edge >= 0) & (sd.dist_m <= max_snap_m)
    c_ok = (sc.edge >= 0) & (sc.dist_m <= max_snap_m)
    d_walk = sd.dist_m / 1000.0 / off_speed * 60.0
    c_walk = sc.dist_m / 1000.0 / off_speed * 60.0
    n = graph.n_nodes
    road = _road_matrix(graph, minutes)
    # a virtual node per usable candidate, joined to both ends of its segment
    ck = np.flatnonzero(c_ok & (c_walk <= t_lim))
    ce = sc.edge[ck]
    te_c = minutes[ce]
    vn = n + np.arange(len(ck))
    rows = np.concatenate([vn, vn])
    cols = np.concatenate([eu[ce], ev[ce]])
    w = np.concatenate([c_walk[ck] + sc.frac[ck] * te_c, c_walk[ck] + (1 - sc.frac[ck]) * te_c])
    w = np.maximum(w, 1e-9)
    rc = road.tocoo()
    big = sparse.csr_matrix((np.concatenate([rc.data, w]),
                             (np.concatenate([rc.row, rows]), np.concatenate([rc.col, cols]))),
                            shape=(n + len(ck), n + len(ck)))
    dk = np.flatnonzero(d_ok & (d_walk <= t_lim))
    de = sd.edge[dk]
    du, dv = eu[de], ev[de]
    te_d = minutes[de]
    a_u = sd.frac[dk] * te_d + d_walk[dk]
    a_v = (1 - sd.frac[dk]) * te_d + d_walk[dk]
    out_r: list[np.ndarray] = []
    out_c: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    per = max(1, int(chunk_cells // max(n + len(ck) + len(dk), 1)))
    for s in range(0, len(ck), per):
        idx = np.arange(s, min(s + per, len(ck)))
        dist = csgraph.dijkstra(big, directed=False, indices=vn[idx], limit=t_lim)
        tt = np.minimum(dist[:, du] + a_u[None, :], dist[:, dv] + a_v[None, :])
        ci, di = np.nonzero(tt <= t_lim)
        out_r.append(dk[di])
        out_c.append(ck[idx][ci])
        out_t.append(tt[ci, di])
    # same segment: along it directly
    if len(dk) and len(ck):
        pd_ = pd.DataFrame({"i": dk, "edge": de, "f": sd.frac[dk], "wd": d_walk[dk]})
        pc_ = pd.DataFrame({"j": ck, "edge": ce, "fc": sc.frac[ck], "wc": c_walk[ck]})
        same = pd_.merge(pc_, on="edge")
        if len(same):
            t = (np.abs(same["f"].to_numpy() - same["fc"].to_numpy())
                 * minutes[same["edge"].to_numpy()] + same["wd"].to_numpy()
                 + same["wc"].to_numpy())
            ok = t <= t_lim
            out_r.append(same["i"].to_numpy()[ok])
            out_c.append(same["j"].to_numpy()[ok])
            out_t.append(t[ok])
    if not out_r:
        return sparse.csr_matrix((n_d, n_c))
    r = np.concatenate(out_r)
    c = np.concatenate(out_c)
    t = np.concatenate(out_t)
    df = pd.DataFrame({"r": r, "c": c, "t": t}).groupby(["r", "c"], sort=True)["t"].min()
    rr = df.index.get_level_values(0).to_numpy(np.int64)
    cc = df.index.get_level_values(1).to_numpy(np.int64)
    tv = np.maximum(df.to_numpy(float), 0.0)
    indptr = np.zeros(n_d + 1, dtype=np.int64)
    np.add.at(indptr, rr + 1, 1)
    indptr = np.cumsum(indptr)
    # built from (data, indices, indptr) so that zero minutes stay stored
    return sparse.csr_matrix((tv, cc, indptr), shape=(n_d, n_c))


# --------------------------------------------------------------------------- siting


@dataclass(frozen=True)
class ServicePointsResult:
    """Recommended service points, who goes where, and who cannot get anywhere.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per chosen site: ``site_id``, ``kind``, ``model``, ``existing``,
        ``capacity_persons``, ``load_persons``, ``people_covered``, ``mean_travel_time_min``,
        ``max_travel_time_min``, ``reason_id``, ``reason_en``, Point geometry.
    assignment : GeoDataFrame
        One row per demand unit with a site: ``demand_id``, ``admin_code``, ``persons``,
        ``site_id``, ``travel_time_min``, LineString from the demand point to the site (a
        capacitated answer may split a unit: one row per part).
    unreachable : DataFrame
        Demand units that no open road connects to any candidate: ``demand_id``,
        ``admin_code``, ``persons``, ``reason``.
    solver : SolverResult
        The solver's answer with objective, bound, gap, status and runtime.
    report : dict
        JSON-ready accounting: counts and people in, reachable, within the limit, covered,
        unreachable, beyond the limit; the parameters.
    """

    sites: gpd.GeoDataFrame
    assignment: gpd.GeoDataFrame
    unreachable: pd.DataFrame
    solver: SolverResult
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the ``summary.json`` entry: solver summary, report and unreachable counts."""
        return {"solver": self.solver.to_dict(), "report": self.report,
                "n_sites": int(len(self.sites)),
                "unreachable": {"n_units": int(len(self.unreachable)),
                                "persons": float(self.unreachable["persons"].sum())
                                if len(self.unreachable) else 0.0,
                                "admin_codes": sorted({str(v) for v in
                                                       self.unreachable["admin_code"]
                                                       .dropna()})}}


_KIND_ID = {"shelter": "posko pengungsian", "health_post": "pos kesehatan"}
_KIND_EN = {"shelter": "shelter", "health_post": "health post"}


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


def _fmt_id(v: float) -> str:
    return f"{v:,.0f}".replace(",", ".")


def _reasons(model: str, kind: str, existing: bool, covered: float, load: float, cap: float,
             mean_t: float, max_t: float, limit: float, mode: str) -> tuple[str, str]:
    k_id = _KIND_ID.get(kind, kind)
    k_en = _KIND_EN.get(kind, kind)
    how_id = "berjalan kaki" if mode == "foot" else "berkendara"
    how_en = "on foot" if mode == "foot" else "by vehicle"
    lim_id = f"{limit:g}".replace(".", ",")
    mt_id = f"{mean_t:.1f}".replace(".", ",")
    if existing:
        head_id, head_en = f"{k_id.capitalize()} yang sudah ada", f"Existing {k_en}"
    else:
        head_id, head_en = f"{k_id.capitalize()} baru yang direkomendasikan", \
            f"Recommended new {k_en}"
    if model == "mclp":
        body_id = (f"menjangkau {_fmt_id(covered)} orang dalam {lim_id} menit {how_id} lewat "
                   "jalan yang tetap terbuka saat banjir")
        body_en = (f"reaches {_fmt(covered)} people within {limit:g} minutes {how_en} on roads "
                   "that stay open in the flood")
    elif model == "p_median":
        body_id = (f"melayani {_fmt_id(load)} orang dengan waktu tempuh rata-rata {mt_id} menit "
                   f"{how_id} setelah banjir")
        body_en = (f"serves {_fmt(load)} people at a mean travel time of {mean_t:.1f} minutes "
                   f"{how_en} after the flood")
    elif model == "lscp":
        body_id = (f"bagian dari jumlah pos paling sedikit yang menjangkau semua orang yang "
                   f"terhubung dalam {lim_id} menit; melayani {_fmt_id(load)} orang")
        body_en = (f"one of the fewest sites that reach everyone connected within {limit:g} "
                   f"minutes; serves {_fmt(load)} people")
    else:
        mx_id = f"{max_t:.1f}".replace(".", ",")
        body_id = (f"menjaga waktu tempuh terlama serendah mungkin; orang terjauh yang dilayani "
                   f"{mx_id} menit")
        body_en = (f"keeps the longest trip as short as possible; its farthest person is "
                   f"{max_t:.1f} minutes away")
    cap_id = f"; kapasitas {_fmt_id(cap)} orang" if np.isfinite(cap) else ""
    cap_en = f"; capacity {_fmt(cap)} people" if np.isfinite(cap) else ""
    over_id = over_en = ""
    if np.isfinite(cap) and load > cap + 1e-6:
        over_id = f" (melebihi kapasitas: {_fmt_id(load)} orang)"
        over_en = f" (over capacity: {_fmt(load)} people)"
    return (f"{head_id}: {body_id}{cap_id}{over_id}, di luar zona bahaya tinggi.",
            f"{head_en}: {body_en}{cap_en}{over_en}, outside the high-hazard zone.")


def site_service_points(
    graph: RoadGraph,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    kind: str = "shelter",
    model: Model = "mclp",
    p: int | None = None,
    max_time_min: float = 30.0,
    existing: Iterable[Any] | None = None,
    weight_col: str = "population",
    vulnerable_cols: Sequence[str] = (),
    vulnerable_weight: float = 0.0,
    id_col: str = "demand_id",
    admin_col: str = "admin_code",
    candidate_id_col: str = "candidate_id",
    capacity_col: str | None = "capacity_persons",
    capacitated: bool = True,
    walk_speed_kmh: float | None = None,
    max_snap_m: float = 1000.0,
    access_speed_kmh: float = 5.0,
    method: Literal["auto", "greedy", "milp"] = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-4,
) -> ServicePointsResult:
    """Choose service points on the flooded road network with one of four models.

    Parameters
    ----------
    graph : RoadGraph
        The flooded road graph (cut roads cut, slowed roads slowed).
    demand : GeoDataFrame
        Demand units (residential buildings or desa points/polygons), metric CRS, with
        ``id_col``, ``weight_col`` (people: displaced people for shelters, everybody for
        health posts) and ``admin_col`` (desa code; optional).
    candidates : GeoDataFrame
        From :func:`candidate_sites`: ``candidate_id_col`` and ``capacity_col``.
    kind : str, keyword-only
        ``"shelter"``, ``"health_post"`` or another label (used in the reasons).
    model : {"mclp", "p_median", "lscp", "p_center"}, keyword-only
        MCLP: most people within ``max_time_min`` with ``p`` sites. p-median: least total
        (mean) travel time with ``p`` sites; people beyond the limit count at the limit.
        LSCP: fewest sites so that everyone connected is within the limit. p-center:
        smallest worst travel time with ``p`` sites (over the people within the limit).
    p : int, keyword-only
        Number of sites, existing ones included (not for LSCP).
    max_time_min : float, keyword-only
        Travel-time limit, minutes.
    existing : iterable, optional, keyword-only
        Candidate ids that are open anyway (fixed in).
    weight_col : str, keyword-only
        People per demand unit.
    vulnerable_cols, vulnerable_weight : keyword-only
        Weight = people + ``vulnerable_weight`` x the sum of these columns (e.g. elderly,
        disabled); 0 = unweighted.
    id_col, admin_col, candidate_id_col, capacity_col : str, keyword-only
        Column names; ``capacity_col`` None = no capacities.
    capacitated : bool, keyword-only
        Respect the capacities in MCLP and p-median (LSCP and p-center ignore them; the
        sites' load then shows any excess).
    walk_speed_kmh : float, optional, keyword-only
        On foot at this speed; None = by vehicle.
    max_snap_m, access_speed_kmh : float, keyword-only
        See :func:`travel_time_matrix`.
    method, time_limit_s, mip_rel_gap : keyword-only
        Passed to the solver.

    Returns
    -------
    ServicePointsResult

    Raises
    ------
    CRSError, CRSMismatchError
        Layers not in one metric CRS (e.g. candidates in EPSG:4326).
    SchemaError
        Missing columns.
    ParameterError
        Bad model, p, limit, weights (NaN, negative, zero in total), time limit.
    InfeasibleProblemError
        No candidates (all in the high class or excluded), no candidate reachable from any
        demand, LSCP infeasible within the limit (names the demand), capacities that cannot
        hold the demand (p-median).

    Examples
    --------
    See the module docstring.
    """
    if model not in ("mclp", "p_median", "lscp", "p_center"):
        raise ParameterError(
            f"model must be one of 'mclp', 'p_median', 'lscp', 'p_center'; got {model!r}.")
    require_metric(demand, name="demand")
    require_same_crs(roads=graph.edges, demand=demand, candidates=candidates)
    require_columns(demand, [id_col, weight_col, *vulnerable_cols], name="demand")
    if len(candidates) == 0:
        raise InfeasibleProblemError(
            "no candidate sites: every candidate is in the high hazard class or an excluded "
            "class, or none were given. Lower the exclusion, add open land "
            "(open_land_spacing_m=) or public buildings."
        )
    require_columns(candidates, [candidate_id_col], name="candidates")
    if capacity_col is not None:
        require_columns(candidates, [capacity_col], name="candidates")
    if model != "lscp" and p is None:
        raise ParameterError(f"model {model!r} needs p (the number of sites, existing included).")
    w0 = pd.to_numeric(demand[weight_col], errors="coerce").to_numpy(float)
    if np.isnan(w0).any():
        raise ParameterError(
            f"demand column {weight_col!r} has {int(np.isnan(w0).sum())} missing or non-numeric "
            "values; fill them (for example 0) first.")
    weight = w0.copy()
    if vulnerable_cols and vulnerable_weight:
        vw = float(vulnerable_weight)
        if not math.isfinite(vw) or vw < 0:
            raise ParameterError(f"vulnerable_weight must be >= 0; got {vulnerable_weight!r}.")
        extra = np.nan_to_num(demand[list(vulnerable_cols)].apply(
            pd.to_numeric, errors="coerce").to_numpy(float)).sum(axis=1)
        weight = weight + vw * extra
    if (weight < 0).any():
        raise ParameterError(f"demand column {weight_col!r} has negative people.")
    if weight.sum() <= 0:
        raise ParameterError(
            f"demand column {weight_col!r} sums to zero: nobody to serve. For shelters pass "
            "displaced people; check the exposure step.")
    mode = "foot" if walk_speed_kmh is not None else "vehicle"
    cost = travel_time_matrix(graph, demand, candidates, max_time_min=max_time_min,
                              walk_speed_kmh=walk_speed_kmh, max_snap_m=max_snap_m,
                              access_speed_kmh=access_speed_kmh)
    n_d, n_c = cost.shape
    cand_ids = candidates[candidate_id_col].astype(str).to_numpy()
    dem_ids = demand[id_col].astype(str).to_numpy()
    admin = (demand[admin_col].astype(object).to_numpy() if admin_col in demand.columns
             else np.full(n_d, None, dtype=object))
    caps = (pd.to_numeric(candidates[capacity_col], errors="coerce").to_numpy(float)
            if capacity_col is not None else np.full(n_c, np.inf))
    fixed = np.zeros(0, dtype=np.int64)
    if existing is not None:
        ex = [str(v) for v in existing]
        pos = {c: i for i, c in enumerate(cand_ids)}
        missing = [v for v in ex if v not in pos]
        if missing:
            raise ParameterError(
                f"existing sites not among the candidates: {missing[:10]}; pass candidate ids "
                f"(column {candidate_id_col!r}).")
        fixed = np.asarray(sorted({pos[v] for v in ex}), dtype=np.int64)

    # connectivity: which demand could reach some candidate at all on the open roads
    reach = _connected_to_candidates(graph, demand, candidates, max_snap_m=max_snap_m,
                                     walk_speed_kmh=walk_speed_kmh)
    has_pair = np.diff(cost.indptr) > 0
    unreach_mask = ~reach & ~has_pair
    snap_far = _snap(graph, _points(demand)).dist_m > max_snap_m
    reasons = np.where(snap_far, f"no open road within {max_snap_m:g} m",
                       "no open road connects it to any candidate")
    unreachable = pd.DataFrame({"demand_id": dem_ids[unreach_mask],
                                "admin_code": admin[unreach_mask],
                                "persons": w0[unreach_mask],
                                "reason": reasons[unreach_mask]})
    if cost.nnz == 0:
        raise InfeasibleProblemError(
            f"no candidate is reachable from any demand within {max_time_min:g} minutes on the "
            f"open roads ({int(unreach_mask.sum())} of {n_d} demand units have no open road to "
            "any candidate). Raise max_time_min, add candidates or check the road cuts.")

    use_caps = capacitated and capacity_col is not None and model in ("mclp", "p_median")
    kw: dict[str, Any] = {"time_limit_s": time_limit_s}
    if model == "mclp":
        res = mclp(coverage_matrix(cost, max_cost=max_time_min), weight, p=p, fixed=fixed,
                   capacities=caps if use_caps else None, method=method, mip_rel_gap=mip_rel_gap,
                   **kw)
    elif model == "p_median":
        # rows without any pair within the limit cannot be helped by the choice: left out
        # (listed as unreachable or beyond the limit in the report)
        rows = np.flatnonzero(has_pair)
        r = p_median(cost[rows], weight[rows], p=int(p) if p is not None else 0, fixed=fixed,
                     capacities=caps if use_caps else None, unassigned_cost=max_time_min,
                     mip_rel_gap=mip_rel_gap, **kw)
        full = np.full(n_d, -1, dtype=np.int64)
        full[rows] = r.assignment if r.assignment is not None else -1
        flow_full = None
        if r.flow is not None:
            fc = r.flow.tocoo()
            flow_full = sparse.csr_matrix((fc.data, (rows[fc.row], fc.col)), shape=cost.shape)
        res = dataclasses.replace(r, assignment=full, flow=flow_full)
    else:
        rows = np.flatnonzero(has_pair & (weight > 0))
        if model == "lscp":
            beyond = np.flatnonzero(reach & ~has_pair & (weight > 0))
            if len(beyond):
                raise InfeasibleProblemError(
                    f"{len(beyond)} demand unit(s) are connected but no candidate is within "
                    f"{max_time_min:g} minutes, so no set of sites covers everyone: "
                    f"{', '.join(dem_ids[beyond][:20])}. Raise max_time_min or add candidates "
                    "near them.")
            sub = coverage_matrix(cost[rows], max_cost=max_time_min)
            r = lscp(sub, fixed=fixed, **kw)
        else:
            r = p_center(cost[rows], p=int(p) if p is not None else 0, fixed=fixed, **kw)
        full = np.full(n_d, -1, dtype=np.int64)
        full[rows] = r.assignment if r.assignment is not None else -1
        res = dataclasses.replace(r, assignment=full)

    # assignment: capacitated flows as given, else the nearest open site by minutes
    is_open = np.zeros(n_c, dtype=bool)
    is_open[res.selected] = True
    if res.flow is not None:
        fl = res.flow.tocoo()
        a_r, a_c, a_w = fl.row, fl.col, fl.data
    else:
        best_t = np.full(n_d, np.inf)
        best_c = np.full(n_d, -1, dtype=np.int64)
        rid = np.repeat(np.arange(n_d), np.diff(cost.indptr))
        msk = is_open[cost.indices]
        r_, c_, t_ = rid[msk], cost.indices[msk], cost.data[msk]
        o = np.lexsort((c_, t_, r_))
        r_, c_, t_ = r_[o], c_[o], t_[o]
        first = np.r_[True, r_[1:] != r_[:-1]] if len(r_) else np.zeros(0, bool)
        best_t[r_[first]] = t_[first]
        best_c[r_[first]] = c_[first]
        ok = (best_c >= 0) & (weight >= 0)
        a_r = np.flatnonzero(ok)
        a_c = best_c[ok]
        a_w = w0[ok]
    tt = _pair_minutes(cost, a_r, a_c)
    dpts = _points(demand)
    cpts = _points(candidates)
    lines = shapely.linestrings(
        np.stack([shapely.get_coordinates(dpts[a_r]), shapely.get_coordinates(cpts[a_c])],
                 axis=1)) if len(a_r) else np.zeros(0, dtype=object)
    scale = np.where(weight[a_r] > 0, w0[a_r] / np.where(weight[a_r] > 0, weight[a_r], 1), 0) \
        if res.flow is not None else np.ones(len(a_r))
    persons = a_w * scale
    assignment = gpd.GeoDataFrame({
        "demand_id": dem_ids[a_r], "admin_code": admin[a_r], "persons": persons,
        "site_id": cand_ids[a_c], "travel_time_min": tt,
    }, geometry=list(lines) if len(a_r) else [], crs=candidates.crs)

    # sites
    sel = res.selected
    load = np.bincount(a_c, weights=persons, minlength=n_c)
    tsum = np.bincount(a_c, weights=persons * tt, minlength=n_c)
    tmax = np.zeros(n_c)
    if len(a_c):
        np.maximum.at(tmax, a_c, tt)
    within = tt <= max_time_min + 1e-9
    cov_p = np.bincount(a_c[within], weights=persons[within], minlength=n_c)
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[fixed] = True
    rid_, ren_ = [], []
    for j in sel:
        mean_t = tsum[j] / load[j] if load[j] > 0 else 0.0
        a, b = _reasons(model, kind, bool(is_fixed[j]), cov_p[j], load[j], caps[j], mean_t,
                        tmax[j], max_time_min, mode)
        rid_.append(a)
        ren_.append(b)
    sites = gpd.GeoDataFrame({
        "site_id": cand_ids[sel], "kind": kind, "model": model, "existing": is_fixed[sel],
        "capacity_persons": caps[sel], "load_persons": load[sel],
        "people_covered": cov_p[sel],
        "mean_travel_time_min": np.where(load[sel] > 0, tsum[sel] / np.maximum(load[sel], 1e-300),
                                         0.0),
        "max_travel_time_min": tmax[sel], "reason_id": rid_, "reason_en": ren_,
    }, geometry=list(cpts[sel]), crs=candidates.crs)
    rep = StepReport(f"site {kind} ({model})", source="demand x candidates", n_in=n_d)
    rep.reject("demand with no open road to any candidate", int(unreach_mask.sum()))
    rep.note(f"{int((reach & ~has_pair).sum())} demand units connected but beyond "
             f"{max_time_min:g} min of every candidate")
    report = {
        "kind": kind, "model": model, "mode": mode, "max_time_min": float(max_time_min),
        "p": None if p is None else int(p), "n_existing": int(len(fixed)),
        "n_demand": int(n_d), "n_candidates": int(n_c), "n_pairs": int(cost.nnz),
        "persons_total": float(w0.sum()),
        "persons_unreachable": float(w0[unreach_mask].sum()),
        "persons_beyond_limit": float(w0[reach & ~has_pair].sum()),
        "persons_assigned": float(persons.sum()),
        "persons_covered_within_limit": float(persons[within].sum()),
        "weighted": bool(vulnerable_cols and vulnerable_weight),
        "capacitated": bool(use_caps),
        "accounting": rep.to_record(),
    }
    return ServicePointsResult(sites=sites, assignment=assignment, unreachable=unreachable,
                               solver=res, report=report)


def _pair_minutes(cost: sparse.csr_matrix, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Look up the stored minutes of the pairs (r, c); NaN where a pair is not stored."""
    cs = sparse.csr_matrix(cost)
    cs.sort_indices()
    n_c = np.int64(cs.shape[1])
    keys = np.repeat(np.arange(cs.shape[0], dtype=np.int64), np.diff(cs.indptr)) * n_c \
        + cs.indices.astype(np.int64)
    q = np.asarray(r, dtype=np.int64) * n_c + np.asarray(c, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, q), max(len(keys) - 1, 0))
    if len(keys) == 0:
        return np.full(len(q), np.nan)
    return np.where(keys[pos] == q, cs.data[pos], np.nan)


def _connected_to_candidates(graph: RoadGraph, demand: gpd.GeoDataFrame,
                             candidates: gpd.GeoDataFrame, *, max_snap_m: float,
                             walk_speed_kmh: float | None) -> np.ndarray:
    """Per demand: joined by open roads (any time) to the road component of some candidate."""
    m = graph.matrix()
    _, comp = csgraph.connected_components(m, directed=False)
    e = graph.edges
    sd, sc = _snap(graph, _points(demand)), _snap(graph, _points(candidates))
    d_ok = (sd.edge >= 0) & (sd.dist_m <= max_snap_m)
    c_ok = (sc.edge >= 0) & (sc.dist_m <= max_snap_m)
    eu = e["u"].to_numpy(np.int64)
    cc = set(comp[eu[sc.edge[c_ok]]].tolist())
    dcomp = np.where(d_ok, comp[eu[np.maximum(sd.edge, 0)]], -1)
    return d_ok & np.isin(dcomp, list(cc))
