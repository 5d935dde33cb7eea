"""Early-warning sensors: water-level gauges sited by warning lead time, rain gauges by coverage.

A warning is worth the minutes it gives the people downstream, and a gauge only warns
of a flood that passes it. This module turns the terrain (pyflwdir flow directions,
upstream area, streams: :mod:`kotacerdas_gis.hazard.terrain`) and the exposed places
(points with people: in a plan, the exposed residential buildings of
:func:`kotacerdas_gis.siting.demand.people_at_buildings`, the one owner of "people at a
place") into a maximum-coverage problem and solves it with the one solver core
(:func:`kotacerdas_gis.siting.solvers.mclp`: lazy greedy with a bound, exact MILP
where the size allows).

The model
---------
*Stream network.* The stream cells of the terrain form a tree (every stream cell
drains to a stream cell). Everything below works on that tree only, compressed out
of the grid: flow length to the outlet (D8 step lengths summed downstream with
pyflwdir's numba ``accuflux_ds``), and an Euler (pre-order) numbering built with
pyflwdir's ``accuflux`` / ``accuflux_ds``, so that "cell a is at or downstream of
cell b" is the O(1) test ``pre[a] <= pre[b] < pre[a] + size[a]``.

*Scenarios.* A flash flood forms in one sub-catchment: pyflwdir's
``subbasins_area`` splits the network into sub-basins of at least
``scenario_min_area_km2`` (a new one starts at each tributary larger than that,
and along the main stem when the area passes it). Scenario k is the flood formed in
sub-basin k; it enters the river at the sub-basin's outlet cell ``o_k``. Only the
sub-basins whose outlet lies at or upstream of an exposed place count ("above the
exposed reaches"); their weights are their areas (a flood is as likely to form on any
km²), or equal, or a per-cell weight raster summed over each sub-basin, normalised
to sum to 1, so that every people figure is an *expected* number per flash flood.

*Who is warned.* Each exposed place (a building, a desa centroid with its people, a
school...) is snapped along its flow path to the stream cell it drains to. A gauge at
stream cell s warns place d in scenario k when the flood of k passes s (s is at or
downstream of ``o_k``) before it reaches d (s is upstream of d) with time to act::

    lead_time_min = flow_length(s -> d) / wave_speed / 60 - detection - dissemination
    warned  <=>  lead_time_min >= min_lead_time_min

so a gauge must sit at least ``required_flow_length_m = wave_speed x 60 x (min lead
+ delays)`` of river upstream of the people. With several gauges the lead time of d
in scenario k is that of the most upstream gauge between ``o_k`` and d.

*The coverage problem.* Demand rows are (scenario, place) pairs with weight
``scenario weight x place weight``. The gauges on the path of scenario k at/below
``o_k`` form a chain; the gauges that warn d in k are a prefix of it (the ones far
enough upstream of d), so a row is fixed by (first candidate below ``o_k``, prefix
length) and identical rows are merged exactly on that key. Candidate cells are
pruned by dominance before rows are built: a candidate is dropped when a candidate
upstream of it detects the same set of scenarios (no scenario outlet or tributary in
between): that one warns everyone it warns, earlier. With one cost per gauge this
keeps the optimum (documented, tested against the unpruned evaluation); crossings and
existing gauges are kept. ``objective="coverage"`` maximises the expected people
warned with at least the minimum lead time; ``"impact"`` (chama's form) minimises
the expected people left with less, ``people_exposed - warned``: the same optimum,
both numbers are reported.

*Solved exactly.* Each row's gauges are a vertical path of the *column tree* (each
column's parent is the nearest column downstream), so maximum coverage is solved
exactly by a dynamic programme on that tree (:func:`_tree_dp`, proof in its docstring;
``O(sum_v (L_v + 1) p^2)``): ``site_sensors(method="auto")`` uses it whenever it
applies (one cost per gauge, rows checked to be tree paths) and reports gap 0
(``solver="tree_dp"``); otherwise the solver core (lazy greedy with its bound, MILP
where it fits).

*Rain gauges.* The catchment above the exposed reaches (the cells draining to a
snapped place) is aggregated to blocks of ``rain_grid_m``; a gauge covers the
catchment area within ``rain_radius_m``; the count follows a density target (one
gauge per ``rain_density_km2``) less the existing ones; MCLP maximises the area
covered (lazy greedy with the tighter of its online bound and a Lagrangian bound; the
MILP only for small instances, for at most ``RAIN_MILP_TIME_S``).

*Road access.* With a road layer, candidates farther than ``max_road_distance_m`` from
a road are dropped, and a cell a road passes through (within ``crossing_tolerance_m``,
default half a cell diagonal) is a crossing (a bridge to mount on, reachable for
maintenance). The preference for crossings: after solving, each chosen gauge is moved
to the nearest crossing at most ``crossing_snap_m`` downstream of it when that costs
nobody their warning (the objective is unchanged); such sites say ``at_crossing``.

Examples
--------
A straight valley draining south, 100 m cells; the town sits 4 km down the axis from
the top of the stream. A gauge warns it at 3 m/s when it is at least
3 x 60 x (15 + 5 + 10) = 5,400 m upstream:

>>> import geopandas as gpd
>>> from affine import Affine
>>> from shapely.geometry import Point
>>> from kotacerdas_gis.hazard.terrain import derive_terrain
>>> from kotacerdas_gis.testing import valley_dem
>>> dem = valley_dem(rows=80, cols=5, cell_m=100.0, side_slope=0.2, valley_slope=0.01)
>>> t = derive_terrain(dem, transform=Affine(100, 0, 0, 0, -100, 8000), crs="EPSG:32751",
...                    stream_threshold_km2=0.05)
>>> town = gpd.GeoDataFrame({"people": [500]}, geometry=[Point(250, 1050)], crs=32751)
>>> params = SensorParameters(n_water_level=1, min_upstream_area_km2=0.05,
...                           scenario_min_area_km2=0.2, n_rain=0)
>>> res = site_sensors(t, town, params=params)
>>> site = res.sites.iloc[0]
>>> row = int(site["cell"]) // t.shape[1]
>>> site["kind"], int(site["people_warned"]), row
('water_level', 500, 13)

The gauge sits at the outlet of a source sub-basin 56 cells (5,600 m) above the town
(row 69): 5,600 m / 3 m/s = 31.1 min, less 15 min of delays:

>>> round(float(site["lead_time_min_min"]), 2), round(5600 / 3 / 60 - 15, 2)
(16.11, 16.11)
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

import geopandas as gpd
import pyflwdir.basins
import pyflwdir.core
import pyflwdir.streams
import shapely

from ..accounting import Ledger
from ..crs import require_same_crs
from ..errors import DataError, InfeasibleProblemError, ParameterError, SchemaError
from ..hazard.terrain import Terrain
from .solvers import SolverResult, mclp

__all__ = [
    "SensorParameters",
    "GaugeProblem",
    "GaugeEvaluation",
    "SensorResult",
    "build_gauge_problem",
    "evaluate_gauges",
    "site_sensors",
]

log = logging.getLogger(__name__)

_EPS_M = 1e-6  # flow-length tolerance of the lead-time test, m


# --- parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensorParameters:
    """Options of :func:`site_sensors`, with documented defaults (every value checked).

    Attributes
    ----------
    n_water_level : int or None, default 3
        New water-level gauges to place (existing ones come on top). None: limited by
        ``budget_idr`` only.
    budget_idr : float or None, default None
        Budget for new water-level gauges, rupiah; each costs ``cost_per_gauge_idr``.
    cost_per_gauge_idr : float, default 150,000,000
        Installed cost of one telemetered water-level gauge (radar sensor, logger,
        GSM modem, solar power, mounting), rupiah. *verify* against local quotes.
    objective : {"coverage", "impact"}, default "coverage"
        Maximise expected people warned with at least ``min_lead_time_min``, or
        minimise expected people left with less (chama's impact form; same optimum).
    min_upstream_area_km2 : float, default 2.0
        Candidate gauges: stream cells draining at least this, km² (at least the
        terrain's ``stream_threshold_km2``).
    max_road_distance_m : float or None, default 500.0
        With a road layer: candidates at most this far from a road, m (None: no limit).
    crossing_tolerance_m : float or None, default None
        A candidate within this distance of a road is a crossing, m; None: half the
        cell diagonal (the road passes through the cell).
    crossing_snap_m : float, default 300.0
        A chosen gauge moves to a crossing at most this far downstream along the
        river when no one loses their warning, m (0: never).
    scenario_min_area_km2 : float, default 5.0
        Minimum sub-basin area of a flood-source scenario, km² (pyflwdir
        ``subbasins_area``).
    scenario_weight : {"area", "equal"}, default "area"
        Weight of a scenario: its sub-basin area, or equal (a per-cell raster can be
        passed to :func:`site_sensors` instead).
    wave_speed_m_s : float, default 3.0
        Flood-wave celerity along the river, m/s. DOMAIN.md: flash-flood waves travel
        a few m/s, *verify* for the Masamba (the 2020 surge).
    detection_delay_min : float, default 5.0
        From the wave passing the gauge to the alarm (sampling interval, threshold
        persistence, telemetry), minutes. *verify*
    dissemination_delay_min : float, default 10.0
        From the alarm to the people (BPBD decision, sirens, SMS, mosque loudspeakers),
        minutes. *verify*
    min_lead_time_min : float, default 15.0
        Lead time a warning must leave to count (to walk to high ground), minutes.
        *verify*
    lead_time_bands_min : tuple of float, default (30.0, 60.0)
        Upper band edges above the minimum lead time for the "people warned by lead
        time" table, minutes.
    place_snap_max_m : float or None, default None
        Places draining farther than this along their flow path to a stream are left
        out (counted), m; None keeps all.
    existing_snap_m : float, default 100.0
        Existing gauges within this distance of a stream cell are snapped to it
        (counted); farther ones are refused (``DataError``), m.
    n_rain : int or None, default None
        Rain gauges wanted in total (existing included); None: from the density.
    rain_density_km2 : float, default 250.0
        One rain gauge per this many km² of catchment above the exposed reaches.
        WMO-No. 168 guidance for mountainous terrain is commonly quoted as one per
        100-250 km² (DOMAIN.md, *verify*).
    rain_radius_m : float or None, default None
        A rain gauge covers catchment within this distance, m; None: the radius of a
        circle of ``rain_density_km2`` (8,921 m for 250 km²).
    rain_grid_m : float or None, default None
        Block size of the rain-gauge demand and candidate grid, m; None: a quarter of
        the radius (at least one cell).
    rain_max_road_distance_m : float or None, default None
        With a road layer: rain-gauge candidates at most this far from a road, m.
    """

    n_water_level: int | None = 3
    budget_idr: float | None = None
    cost_per_gauge_idr: float = 150_000_000.0
    objective: Literal["coverage", "impact"] = "coverage"
    min_upstream_area_km2: float = 2.0
    max_road_distance_m: float | None = 500.0
    crossing_tolerance_m: float | None = None
    crossing_snap_m: float = 300.0
    scenario_min_area_km2: float = 5.0
    scenario_weight: Literal["area", "equal"] = "area"
    wave_speed_m_s: float = 3.0
    detection_delay_min: float = 5.0
    dissemination_delay_min: float = 10.0
    min_lead_time_min: float = 15.0
    lead_time_bands_min: tuple[float, ...] = (30.0, 60.0)
    place_snap_max_m: float | None = None
    existing_snap_m: float = 100.0
    n_rain: int | None = None
    rain_density_km2: float = 250.0
    rain_radius_m: float | None = None
    rain_grid_m: float | None = None
    rain_max_road_distance_m: float | None = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str, fix: str = "") -> ParameterError:
            value = getattr(self, name)
            return ParameterError(f"SensorParameters.{name}: expected {expected}, found "
                                  f"{value!r}.{' ' + fix if fix else ''}")

        def finite(v: Any) -> bool:
            return isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v)

        for name in ("wave_speed_m_s", "min_lead_time_min", "min_upstream_area_km2",
                     "scenario_min_area_km2", "cost_per_gauge_idr", "rain_density_km2"):
            v = getattr(self, name)
            if not finite(v) or v <= 0:
                fix = {"wave_speed_m_s": "Flash-flood waves travel a few m/s (DOMAIN.md).",
                       "min_lead_time_min": "A warning must leave some time: e.g. 15."
                       }.get(name, "")
                raise bad(name, "a number > 0", fix)
        for name in ("detection_delay_min", "dissemination_delay_min", "crossing_snap_m",
                     "existing_snap_m"):
            v = getattr(self, name)
            if not finite(v) or v < 0:
                raise bad(name, "a number >= 0")
        for name in ("max_road_distance_m", "crossing_tolerance_m", "place_snap_max_m",
                     "rain_max_road_distance_m", "budget_idr"):
            v = getattr(self, name)
            if v is not None and (not finite(v) or v < 0):
                raise bad(name, "None or a number >= 0")
        for name in ("rain_radius_m", "rain_grid_m"):
            v = getattr(self, name)
            if v is not None and (not finite(v) or v <= 0):
                raise bad(name, "None or a number > 0")
        for name in ("n_water_level", "n_rain"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                  or v < 0):
                raise bad(name, "None or a whole number >= 0")
        if (self.n_water_level is None) == (self.budget_idr is None):
            raise bad("n_water_level", "a number of gauges, or None with budget_idr set (one "
                      f"of the two; budget_idr={self.budget_idr!r})",
                      "Give n_water_level=3, or n_water_level=None and budget_idr=....")
        if self.objective not in ("coverage", "impact"):
            raise bad("objective", "one of 'coverage', 'impact'")
        if self.scenario_weight not in ("area", "equal"):
            raise bad("scenario_weight", "one of 'area', 'equal'",
                      "Pass a weight raster to site_sensors(scenario_weight_grid=...).")
        bands = tuple(self.lead_time_bands_min)
        if any(not finite(b) or b <= 0 for b in bands) or list(bands) != sorted(set(bands)):
            raise bad("lead_time_bands_min", "increasing numbers > 0 (minutes)")

    @property
    def delays_min(self) -> float:
        """Detection plus dissemination delay, minutes."""
        return float(self.detection_delay_min + self.dissemination_delay_min)

    @property
    def required_flow_length_m(self) -> float:
        """River length a gauge must sit upstream of a place to warn it in time, m."""
        return float(self.wave_speed_m_s * 60.0 * (self.min_lead_time_min + self.delays_min))

    @property
    def rain_radius(self) -> float:
        """The rain-gauge coverage radius in use, m."""
        if self.rain_radius_m is not None:
            return float(self.rain_radius_m)
        return float(math.sqrt(self.rain_density_km2 * 1e6 / math.pi))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, with the derived required flow length and radius."""
        d = asdict(self)
        d["lead_time_bands_min"] = list(self.lead_time_bands_min)
        d["required_flow_length_m"] = round(self.required_flow_length_m, 3)
        d["rain_radius_in_use_m"] = round(self.rain_radius, 3)
        return d


# --- the compressed stream network --------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Net:
    """The stream cells of a terrain as a tree (compressed indices 0..n-1)."""

    cells: np.ndarray  # int64 linear grid index of each stream cell, sorted
    ds: np.ndarray  # int32 downstream (compressed), itself at an outlet
    seq: np.ndarray  # int32 order from down- to upstream
    upa_km2: np.ndarray  # float64
    dist_m: np.ndarray  # float64 flow length to the outlet
    pre: np.ndarray  # int64 Euler pre-order number
    size: np.ndarray  # int64 stream cells at or upstream (the subtree)
    order: np.ndarray  # uint8 Strahler order

    @property
    def n(self) -> int:
        return int(self.cells.size)

    def at_or_below(self, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
        """Return True where cell ``a`` is at or downstream of cell ``b`` (broadcasting)."""
        pa, pb = self.pre[a], self.pre[b]
        return (pa <= pb) & (pb < pa + self.size[a])  # type: ignore[no-any-return]

    def fill_up(self, marks: np.ndarray) -> np.ndarray:
        """Each cell takes the value of the nearest marked cell at or below it (-1: none)."""
        return pyflwdir.core.fillnodata_upstream(  # type: ignore[no-any-return]
            self.ds, self.seq, marks.astype(np.int32, copy=False), np.int32(-1))


def _step_m(a: np.ndarray, b: np.ndarray, ncol: int, xres: float, yres: float) -> np.ndarray:
    ra, ca = np.divmod(a, ncol)
    rb, cb = np.divmod(b, ncol)
    return np.asarray(np.hypot((rb - ra) * yres, (cb - ca) * xres), dtype=np.float64)


def _stream_network(terrain: Terrain) -> _Net:
    flw = terrain.flwdir
    stream = terrain.stream.ravel()
    cells = np.flatnonzero(stream).astype(np.int64)
    if cells.size == 0:
        raise ParameterError(
            f"terrain: no stream cell (stream_threshold_km2={terrain.stream_threshold_km2}); "
            f"the largest upstream area is {float(np.nanmax(terrain.upstream_area_km2)):.4g} "
            "km². Derive the terrain with a lower stream_threshold_km2."
        )
    ds_full = flw.idxs_ds[cells].astype(np.int64)
    if not stream[ds_full].all():  # pragma: no cover - upstream area grows downstream
        raise DataError("terrain: a stream cell drains to a non-stream cell; re-derive it.")
    ds = np.searchsorted(cells, ds_full).astype(np.int32)
    seq_full = flw.idxs_seq
    seq_full = seq_full[stream[seq_full]]
    seq = np.searchsorted(cells, seq_full).astype(np.int32)
    del seq_full
    ncol = terrain.shape[1]
    xres, yres = terrain.cell_size_m
    step = _step_m(cells, ds_full, ncol, xres, yres)
    dist = pyflwdir.streams.accuflux_ds(ds, seq, step, -1.0)
    n = cells.size
    idx = np.arange(n, dtype=np.int64)
    size = pyflwdir.streams.accuflux(ds, seq, np.ones(n, dtype=np.int64), np.int64(-1))
    # Euler pre-order: a child starts 1 + (sizes of its earlier siblings) after its parent
    root = ds == idx
    offset = np.zeros(n, dtype=np.int64)
    nr = idx[~root]
    nr = nr[np.lexsort((nr, ds[nr]))]
    if nr.size:
        par = ds[nr]
        sz = size[nr]
        before = np.cumsum(sz) - sz
        starts = np.r_[True, par[1:] != par[:-1]]
        grp = np.cumsum(starts) - 1
        offset[nr] = 1 + before - before[np.flatnonzero(starts)][grp]
    roots = idx[root]
    offset[roots] = np.cumsum(size[roots]) - size[roots]
    pre = pyflwdir.streams.accuflux_ds(ds, seq, offset, np.int64(-1))
    return _Net(cells=cells, ds=ds, seq=seq,
                upa_km2=terrain.upstream_area_km2.ravel()[cells].astype(np.float64),
                dist_m=dist, pre=pre, size=size,
                order=terrain.stream_order.ravel()[cells].astype(np.uint8))


def _xy(terrain: Terrain, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.divmod(np.asarray(cells, dtype=np.int64), terrain.shape[1])
    t = terrain.transform
    return t.c + (c + 0.5) * t.a, t.f + (r + 0.5) * t.e


def _cell_of(terrain: Terrain, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear cell index of each point and whether it lies on a valid DEM cell."""
    t = terrain.transform
    nrow, ncol = terrain.shape
    with np.errstate(invalid="ignore"):
        c = np.floor((x - t.c) / t.a)
        r = np.floor((y - t.f) / t.e)
    inside = np.isfinite(c) & np.isfinite(r) & (r >= 0) & (r < nrow) & (c >= 0) & (c < ncol)
    lin = np.where(inside, r * ncol + c, 0).astype(np.int64)
    inside &= terrain.valid.ravel()[lin]
    return lin, inside


def _points(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = gdf.geometry.values
    empty = shapely.is_empty(g) | pd.isna(g)
    tid = np.asarray(shapely.get_type_id(g))
    pts = np.asarray(np.where(tid == 0, g, None), dtype=object)
    other = np.asarray(~empty & (tid != 0), dtype=bool)
    if other.any():
        pts[other] = shapely.point_on_surface(g[other])
    x = np.full(len(g), np.nan)
    y = np.full(len(g), np.nan)
    ok = ~empty
    x[ok] = shapely.get_x(pts[ok])
    y[ok] = shapely.get_y(pts[ok])
    return x, y


def _road_distance(roads: gpd.GeoDataFrame | None, x: np.ndarray, y: np.ndarray
                   ) -> np.ndarray:
    if roads is None or len(x) == 0:
        return np.full(len(x), np.nan)
    geoms = roads.geometry.values
    geoms = geoms[~(shapely.is_empty(geoms) | pd.isna(geoms))]
    if len(geoms) == 0:
        raise DataError("roads: expected road lines, found no geometry.")
    tree = shapely.STRtree(geoms)
    pts = shapely.points(x, y)
    _, d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    return np.asarray(d, dtype=np.float64)


def _place_weights(places: gpd.GeoDataFrame, weight_col: str | Mapping[str, float]
                   ) -> np.ndarray:
    cols = {weight_col: 1.0} if isinstance(weight_col, str) else dict(weight_col)
    missing = [c for c in cols if c not in places.columns]
    if missing:
        raise SchemaError(
            f"places: expected weight column(s) {missing}, found columns "
            f"{[c for c in places.columns if c != places.geometry.name]}. Pass the right "
            "name(s) with weight_col=... (a column, or {column: factor})."
        )
    w = np.zeros(len(places))
    for c, f in cols.items():
        v = pd.to_numeric(places[c], errors="coerce").to_numpy(dtype=float)
        if np.isnan(v).any() or (v < 0).any():
            raise SchemaError(
                f"places: column {c!r} must hold numbers >= 0 (people or weights), found "
                f"{int(np.isnan(v).sum())} missing/non-numeric and {int((v < 0).sum())} negative "
                "values. Fill them (0 for none) before siting sensors."
            )
        w += float(f) * v
    return w


# --- the problem ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaugeProblem:
    """The water-level gauge coverage problem built from a terrain and exposed places.

    Attributes
    ----------
    coverage : scipy.sparse.csr_matrix of bool
        Demand rows (merged (scenario, place) classes) x candidate columns: True where
        a gauge at the column warns the row with at least the minimum lead time.
    weights : ndarray of float
        Expected people of each row (scenario weight x people, scenario weights sum to 1).
    candidate_cells : ndarray of int64
        Linear grid index (row * ncol + col) of each column's stream cell.
    fixed : ndarray of int
        Columns of existing gauges.
    at_crossing : ndarray of bool
        Columns on a road crossing.
    distance_to_road_m : ndarray of float
        Per column, m (NaN without roads).
    people_exposed : float
        Expected people in the path of a flash flood from the scenarios (per flood).
    people_unwarnable : float
        Of those, expected people no candidate can warn in time.
    scenarios : pandas.DataFrame
        ``scenario_id``, ``outlet_cell``, ``area_km2``, ``weight``, ``x``, ``y``.
    places : pandas.DataFrame
        On the places' index: ``cell`` (snapped stream cell, -1 if left out),
        ``snap_distance_m``, ``weight``, ``status``.
    counts : Mapping
        Candidate counts: qualifying, dominated, useless, columns; rows before and after
        merging.
    params : SensorParameters
    accounting : Ledger
    """

    coverage: sp.csr_matrix
    weights: np.ndarray
    candidate_cells: np.ndarray
    fixed: np.ndarray
    at_crossing: np.ndarray
    distance_to_road_m: np.ndarray
    people_exposed: float
    people_unwarnable: float
    scenarios: pd.DataFrame
    places: pd.DataFrame
    counts: Mapping[str, int]
    params: SensorParameters
    accounting: Ledger
    terrain: Terrain = field(repr=False)
    _net: _Net = field(repr=False)
    _col_node: np.ndarray = field(repr=False)  # compressed node of each column
    _pair_k: np.ndarray = field(repr=False)  # scenario position of each (scenario, place) pair
    _pair_c: np.ndarray = field(repr=False)  # compressed node of the pair's place cell
    _pair_w: np.ndarray = field(repr=False)  # expected people of the pair
    _scen_node: np.ndarray = field(repr=False)  # compressed outlet node per scenario
    _place_node: np.ndarray = field(repr=False)  # compressed node per kept place (-1: left out)
    _cand_mask: np.ndarray = field(repr=False)  # candidate stream nodes (before pruning)
    # per column: the nearest column downstream (-1: none): the column tree of the exact DP
    _col_parent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64),
                                    repr=False)

    @property
    def n_candidates(self) -> int:
        """Stream cells that qualify as candidates (before dominance pruning)."""
        return int(self.counts["candidates"])

    def covered_weight(self, columns: Sequence[int] | np.ndarray) -> float:
        """Return the expected people warned in time by gauges at these columns (matrix view)."""
        cols = np.asarray(columns, dtype=np.int64)
        if cols.size == 0:
            return 0.0
        hit = np.asarray(self.coverage[:, cols].sum(axis=1)).ravel() > 0
        return float(self.weights[hit].sum())


@dataclass(frozen=True, eq=False)
class GaugeEvaluation:
    """Lead times and warned people for a given set of gauges (see :func:`evaluate_gauges`).

    Attributes
    ----------
    people_exposed, people_warned, people_not_warned : float
        Expected people per flash flood: in a flood's path, warned with at least the
        minimum lead time, and the rest (chama's impact).
    pairs : pandas.DataFrame
        One row per (scenario, place cell): ``scenario_id``, ``place_cell``,
        ``weight`` (expected people), ``gauge_cell`` (the most upstream gauge between
        the flood's source and the place, -1: none), ``lead_time_min`` (NaN: none),
        ``warned``.
    lead_time_bands : pandas.DataFrame
        Expected people by lead-time band: ``band``, ``lead_time_from_min``,
        ``lead_time_to_min``, ``people_expected``, ``share``.
    """

    people_exposed: float
    people_warned: float
    people_not_warned: float
    pairs: pd.DataFrame
    lead_time_bands: pd.DataFrame


def _snap_places(terrain: Terrain, net: _Net, places: gpd.GeoDataFrame, weights: np.ndarray,
                 params: SensorParameters, ledger: Ledger, allow_outside: bool
                 ) -> pd.DataFrame:
    rep = ledger.step("snap exposed places to the stream network", source="places",
                      n_in=len(places))
    x, y = _points(places)
    lin, inside = _cell_of(terrain, x, y)
    n_out = int((~inside).sum())
    if n_out and (not allow_outside or n_out == len(places)):
        raise DataError(
            f"places: {n_out} of {len(places)} exposed places lie outside the DEM (or on its "
            f"nodata cells), so their flow paths are unknown. DEM bounds "
            f"{tuple(round(b) for b in terrain.bounds)}. Use a DEM that covers them"
            + (", or pass allow_places_outside_dem=True to leave them out (counted)."
               if n_out < len(places) else ".")
        )
    rep.reject("outside the DEM", n_out)
    stream = terrain.stream.ravel()
    idxs_ds = terrain.flwdir.idxs_ds
    ncol = terrain.shape[1]
    xres, yres = terrain.cell_size_m
    cur = lin.copy()
    dist = np.zeros(len(places))
    dead = ~inside
    active = inside & ~stream[cur]
    while active.any():
        a = np.flatnonzero(active)
        nxt = idxs_ds[cur[a]].astype(np.int64)
        pit = nxt == cur[a]
        dist[a] += _step_m(cur[a], nxt, ncol, xres, yres)
        cur[a] = nxt
        dead[a[pit]] = True
        active[a[pit]] = False
        active[a[~pit]] = ~stream[nxt[~pit]]
    nostream = dead & inside
    rep.reject("drains to no stream (an edge basin)", int(nostream.sum()))
    far = np.zeros(len(places), dtype=bool)
    if params.place_snap_max_m is not None:
        far = ~dead & (dist > params.place_snap_max_m)
        rep.reject(f"more than {params.place_snap_max_m:g} m of flow path from a stream",
                   int(far.sum()))
    keep = ~dead & ~far
    node = np.full(len(places), -1, dtype=np.int64)
    node[keep] = np.searchsorted(net.cells, cur[keep])
    status = np.where(~inside, "outside_dem",
                      np.where(nostream, "no_stream", np.where(far, "too_far", "snapped")))
    if keep.any():
        rep.note(f"flow path to the stream: median {np.median(dist[keep]):.0f} m, "
                 f"max {dist[keep].max():.0f} m")
    return pd.DataFrame({"cell": np.where(keep, net.cells[np.maximum(node, 0)], -1),
                         "node": node, "snap_distance_m": np.where(keep, dist, np.nan),
                         "weight": weights, "status": status}, index=places.index)


def _scenarios(terrain: Terrain, net: _Net, place_nodes: np.ndarray, params: SensorParameters,
               weight_grid: np.ndarray | None) -> pd.DataFrame:
    main_us = pyflwdir.core.main_upstream(net.ds, net.upa_km2, 0.0)
    sub, outlets = pyflwdir.basins.subbasins_area(net.ds, net.seq, main_us, net.upa_km2,
                                                  float(params.scenario_min_area_km2))
    outlets = np.asarray(outlets, dtype=np.int64)
    lab = np.asarray(sub, dtype=np.int64)  # 1..K on the stream cells
    k = outlets.size
    # sub-basin area: its outlet's upstream area minus that of the sub-basins flowing into it
    inner = net.ds[outlets] != outlets
    parent = np.full(k, -1, dtype=np.int64)
    parent[inner] = lab[net.ds[outlets[inner]]] - 1
    area = net.upa_km2[outlets].copy()
    np.subtract.at(area, parent[inner], net.upa_km2[outlets[inner]])
    # relevant: at or upstream of an exposed place
    marks = np.full(net.n, -1, dtype=np.int32)
    marks[place_nodes] = 1
    above = net.fill_up(marks) == 1
    rel = above[outlets]
    raw: np.ndarray
    if weight_grid is not None:
        g = np.asarray(weight_grid, dtype=np.float64)
        if g.shape != terrain.shape:
            raise SchemaError(f"scenario_weight_grid: expected the terrain's shape "
                              f"{terrain.shape}, found {g.shape}.")
        flw = terrain.flwdir
        full = np.zeros(int(np.prod(terrain.shape)), dtype=np.int32)
        full[net.cells[outlets]] = np.arange(1, k + 1, dtype=np.int32)
        full = pyflwdir.core.fillnodata_upstream(flw.idxs_ds, flw.idxs_seq, full, np.int32(0))
        gv = np.where(np.isfinite(g.ravel()), g.ravel(), 0.0)
        if (gv < 0).any():
            raise SchemaError("scenario_weight_grid: expected weights >= 0, found negatives.")
        raw = np.bincount(full, weights=gv, minlength=k + 1)[1:]
    elif params.scenario_weight == "equal":
        raw = np.ones(k, dtype=np.float64)
    else:
        raw = np.maximum(area, 0.0)
    x, y = _xy(terrain, net.cells[outlets])
    df = pd.DataFrame({"scenario_id": np.arange(1, k + 1), "outlet_node": outlets,
                       "outlet_cell": net.cells[outlets], "area_km2": area, "raw": raw,
                       "x": x, "y": y})
    df = df[rel & (raw > 0)].reset_index(drop=True)
    tot = float(df["raw"].sum())
    df["weight"] = df["raw"] / tot if tot > 0 else 0.0
    return df.drop(columns="raw")


def _undominated(net: _Net, mask: np.ndarray, nsc: np.ndarray) -> np.ndarray:
    """Drop masked nodes that a masked node upstream dominates (same scenarios detected)."""
    idx = np.arange(net.n, dtype=np.int32)
    near = net.fill_up(np.where(mask, idx, -1))
    s = np.flatnonzero(mask & (net.ds != idx))
    p = near[net.ds[s]]
    s, p = s[p >= 0], p[p >= 0]
    dom = np.zeros(net.n, dtype=bool)
    dom[p[nsc[p] == nsc[s]]] = True
    return mask & ~dom


def _snap_existing(terrain: Terrain, net: _Net, existing: gpd.GeoDataFrame,
                   params: SensorParameters, ledger: Ledger) -> np.ndarray:
    rep = ledger.step("snap existing water-level gauges to the streams", source="existing",
                      n_in=len(existing))
    x, y = _points(existing)
    sx, sy = _xy(terrain, net.cells)
    tree = cKDTree(np.column_stack([sx, sy]))
    ok = np.isfinite(x) & np.isfinite(y)
    d = np.full(len(existing), np.inf)
    nn = np.zeros(len(existing), dtype=np.int64)
    if ok.any():
        d[ok], nn[ok] = tree.query(np.column_stack([x[ok], y[ok]]))
    far = d > params.existing_snap_m
    if far.any():
        labels = [str(v) for v in existing.index[far][:5]]
        nearest = ", ".join(f"{lab}: {dd:.0f} m"
                            for lab, dd in zip(labels, d[far][:5], strict=False))
        raise DataError(
            f"existing gauges: {int(far.sum())} of {len(existing)} lie more than "
            f"{params.existing_snap_m:g} m from a stream cell (nearest: "
            f"{nearest}"
            "). Check their coordinates and CRS, lower the terrain's stream_threshold_km2, "
            "or raise SensorParameters.existing_snap_m."
        )
    rep.repair(f"moved to the nearest stream cell (within {params.existing_snap_m:g} m)",
               int((d > 1e-9).sum()))
    return nn


def build_gauge_problem(
    terrain: Terrain,
    places: gpd.GeoDataFrame,
    *,
    params: SensorParameters | None = None,
    weight_col: str | Mapping[str, float] = "people",
    roads: gpd.GeoDataFrame | None = None,
    existing: gpd.GeoDataFrame | None = None,
    scenario_weight_grid: np.ndarray | None = None,
    allow_places_outside_dem: bool = False,
    ledger: Ledger | None = None,
) -> GaugeProblem:
    """Build the water-level gauge coverage problem (hydrology only, no solving).

    Parameters
    ----------
    terrain : Terrain
        From :func:`kotacerdas_gis.hazard.derive_terrain`, metric CRS.
    places : GeoDataFrame
        Exposed places (points; other geometries use a point on their surface), in
        ``terrain.crs``, with the ``weight_col`` column(s).
    params : SensorParameters, optional
        Defaults if None.
    weight_col : str or mapping, default "people"
        The people column, or ``{column: factor}`` summed (e.g. ``{"people": 1,
        "vulnerable": 1, "is_school": 200}``).
    roads : GeoDataFrame, optional
        Road lines in ``terrain.crs``: access filter and crossings.
    existing : GeoDataFrame, optional
        Existing water-level gauges (points), kept and counted.
    scenario_weight_grid : ndarray, optional
        Per-cell weight on the terrain's grid (e.g. landslide or rain susceptibility),
        summed over each sub-basin to weight its scenario (instead of area).
    allow_places_outside_dem : bool, default False
        Leave out (and count) places outside the DEM instead of raising.
    ledger : Ledger, optional
        Steps are appended to it (a new one if None).

    Returns
    -------
    GaugeProblem

    Raises
    ------
    DataError
        Places outside the DEM (with their count), existing gauges off the streams.
    InfeasibleProblemError
        The data leave nothing to solve: no stream cell drains ``min_upstream_area_km2``
        (the message gives the largest upstream area), no candidate near a road, more
        gauges than candidates, or no exposed place far enough downstream of any
        candidate. ``run_plan`` then skips sensor siting with this reason.
    CRSError, CRSMismatchError
        Layers not in the terrain's metric CRS.
    SchemaError
        Missing or invalid weight columns.
    """
    params = SensorParameters() if params is None else params
    ledger = Ledger() if ledger is None else ledger
    layers: dict[str, Any] = {"terrain": terrain.crs, "places": places}
    if roads is not None:
        layers["roads"] = roads
    if existing is not None:
        layers["existing"] = existing
    require_same_crs(**layers)
    if len(places) == 0:
        raise DataError("places: expected exposed places, found an empty layer.")
    if params.min_upstream_area_km2 < terrain.stream_threshold_km2:
        raise ParameterError(
            f"min_upstream_area_km2: expected at least the terrain's stream threshold "
            f"({terrain.stream_threshold_km2:g} km²), found {params.min_upstream_area_km2:g}. "
            "Derive the terrain with a lower stream_threshold_km2 or raise it."
        )
    w_place = _place_weights(places, weight_col)
    net = _stream_network(terrain)
    pl = _snap_places(terrain, net, places, w_place, params, ledger, allow_places_outside_dem)
    kept = pl["node"].to_numpy() >= 0
    if not kept.any():
        raise InfeasibleProblemError(
            "places: no exposed place drains to the stream network (all left out: "
            f"{pl['status'].value_counts().to_dict()}). Lower place_snap_max_m or the "
            "terrain's stream_threshold_km2."
        )
    node_all = pl["node"].to_numpy()
    pnodes, pinv = np.unique(node_all[kept], return_inverse=True)
    wc = np.bincount(pinv, weights=w_place[kept])  # people per place node

    # candidates
    cand = net.upa_km2 >= params.min_upstream_area_km2
    rep = ledger.step("water-level gauge candidates", source="terrain streams",
                      n_in=int(net.n))
    rep.reject(f"drains less than {params.min_upstream_area_km2:g} km²", int((~cand).sum()))
    if not cand.any():
        raise InfeasibleProblemError(
            f"min_upstream_area_km2={params.min_upstream_area_km2:g}: no stream cell drains that "
            f"much; the largest upstream area on the DEM is {net.upa_km2.max():.4g} km². Use "
            f"min_upstream_area_km2 <= {net.upa_km2.max():.4g} (and a DEM that reaches further "
            "upstream)."
        )
    sx, sy = _xy(terrain, net.cells)
    road_d = np.full(net.n, np.nan)
    crossing = np.zeros(net.n, dtype=bool)
    if roads is not None:
        ci = np.flatnonzero(cand)
        road_d[ci] = _road_distance(roads, sx[ci], sy[ci])
        tol = (params.crossing_tolerance_m if params.crossing_tolerance_m is not None
               else 0.5 * math.hypot(*terrain.cell_size_m))
        crossing = cand & (road_d <= tol)
        if params.max_road_distance_m is not None:
            near = cand & (road_d <= params.max_road_distance_m)
            rep.reject(f"more than {params.max_road_distance_m:g} m from a road",
                       int(cand.sum() - near.sum()))
            if not near.any():
                raise InfeasibleProblemError(
                    f"max_road_distance_m={params.max_road_distance_m:g}: no candidate stream "
                    f"cell lies that close to a road; the nearest is {np.nanmin(road_d):.0f} m "
                    "away. Raise max_road_distance_m or check the road layer."
                )
            cand = near
    n_cand = int(cand.sum())
    if params.n_water_level is not None and params.n_water_level > n_cand:
        raise InfeasibleProblemError(
            f"n_water_level={params.n_water_level}: expected at most the {n_cand} candidate "
            f"stream cells (draining >= {params.min_upstream_area_km2:g} km²"
            + (f", within {params.max_road_distance_m:g} m of a road"
               if roads is not None and params.max_road_distance_m is not None else "")
            + "). Ask for fewer gauges or relax the candidate filters."
        )
    fixed_nodes = np.zeros(0, dtype=np.int64)
    if existing is not None and len(existing):
        fixed_nodes = np.unique(_snap_existing(terrain, net, existing, params, ledger))

    # scenarios
    sc = _scenarios(terrain, net, pnodes, params, scenario_weight_grid)
    if sc.empty:
        raise InfeasibleProblemError(
            f"scenarios: no sub-basin of >= {params.scenario_min_area_km2:g} km² drains into "
            "the exposed places (they lie at the top of the network). Lower "
            "scenario_min_area_km2 or check that the places are on the river."
        )
    o = sc["outlet_node"].to_numpy()
    w_scen = sc["weight"].to_numpy()
    ind = np.zeros(net.n, dtype=np.int64)
    np.add.at(ind, o, 1)
    nsc = pyflwdir.streams.accuflux(net.ds, net.seq, ind, np.int64(-1))

    # (scenario, place) pairs: o_k at or upstream of the place's stream cell
    order_o = np.argsort(net.pre[o], kind="stable")
    o_pre = net.pre[o][order_o]
    lo = np.searchsorted(o_pre, net.pre[pnodes], side="left")
    hi = np.searchsorted(o_pre, net.pre[pnodes] + net.size[pnodes], side="left")
    cnt = hi - lo
    tot = int(cnt.sum())
    pair_c_pos = np.repeat(np.arange(pnodes.size), cnt)
    pair_k = order_o[np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(tot)]
    pair_c = pnodes[pair_c_pos]
    pair_w = w_scen[pair_k] * wc[pair_c_pos]
    exposed = float(pair_w.sum())

    # columns: undominated useful candidates, undominated crossings, existing gauges
    is_fixed = np.zeros(net.n, dtype=bool)
    is_fixed[fixed_nodes] = True
    useful = cand & (nsc > 0)
    cols_mask = _undominated(net, useful | is_fixed, nsc) & useful
    if crossing.any():
        cols_mask |= _undominated(net, crossing & useful, nsc) & crossing & useful
    n_dominated = int(useful.sum() - cols_mask.sum())
    cols_mask |= is_fixed
    col_node = np.flatnonzero(cols_mask).astype(np.int64)
    colpos = np.full(net.n, -1, dtype=np.int64)
    colpos[col_node] = np.arange(col_node.size)
    idx = np.arange(net.n, dtype=np.int32)
    near = net.fill_up(np.where(cols_mask, idx, -1))
    nonroot = net.ds[col_node] != col_node
    parent = np.full(col_node.size, -1, dtype=np.int64)
    pn = near[net.ds[col_node[nonroot]]]
    parent[nonroot] = np.where(pn >= 0, colpos[np.maximum(pn, 0)], -1)
    entry_node = near[o]
    entry = np.where(entry_node >= 0, colpos[np.maximum(entry_node, 0)], -1)

    # chains of columns from each distinct entry down to the outlet (dist decreasing)
    ent = np.unique(entry[entry >= 0])
    chains = [ent]
    cur = ent
    while True:
        cur = np.where(cur >= 0, parent[np.maximum(cur, 0)], -1)
        if not (cur >= 0).any():
            break
        chains.append(cur)
    chain = np.stack(chains, axis=1) if ent.size else np.zeros((0, 1), dtype=np.int64)
    cdist = np.where(chain >= 0, net.dist_m[col_node[np.maximum(chain, 0)]], -np.inf)
    depth = chain.shape[1]
    ent_row = np.full(col_node.size, -1, dtype=np.int64)
    ent_row[ent] = np.arange(ent.size)
    pe = entry[pair_k]
    pr = np.where(pe >= 0, ent_row[np.maximum(pe, 0)], -1)
    thr = net.dist_m[pair_c] + params.required_flow_length_m - _EPS_M
    m = np.zeros(tot, dtype=np.int64)
    has = np.flatnonzero(pr >= 0)
    step = max(1, 4_000_000 // max(depth, 1))
    for i0 in range(0, has.size, step):
        h = has[i0:i0 + step]
        m[h] = (cdist[pr[h]] >= thr[h, None]).sum(axis=1)
    ok = m > 0
    if not ok.any():
        # the longest river length between a place and a candidate that detects a flood
        cand_nodes = np.flatnonzero(useful)
        best = 0.0
        if cand_nodes.size and pnodes.size * cand_nodes.size <= 20_000_000:
            below = net.at_or_below(pnodes[:, None], cand_nodes[None, :])
            if below.any():
                rr, cc = np.nonzero(below)
                best = float((net.dist_m[cand_nodes[cc]] - net.dist_m[pnodes[rr]]).max())
        raise InfeasibleProblemError(
            f"no exposed place lies far enough downstream of a candidate gauge: a warning of "
            f"{params.min_lead_time_min:g} min after {params.delays_min:g} min of delays at "
            f"{params.wave_speed_m_s:g} m/s needs {params.required_flow_length_m:.0f} m of "
            f"river between gauge and place; the longest found from a candidate that a "
            f"flood passes (at or below a source sub-basin's outlet) is {best:.0f} m. Lower "
            "min_lead_time_min, min_upstream_area_km2 or scenario_min_area_km2 (smaller "
            "source sub-basins reach further up), or use a DEM reaching further upstream."
        )
    key = pr[ok] * (depth + 1) + m[ok]
    ukey, inv = np.unique(key, return_inverse=True)
    row_w = np.bincount(inv, weights=pair_w[ok])
    r_ent, r_m = np.divmod(ukey, depth + 1)
    indptr = np.r_[0, np.cumsum(r_m)]
    rr = np.repeat(r_ent, r_m)
    jj = np.arange(int(indptr[-1])) - np.repeat(indptr[:-1], r_m)
    indices = chain[rr, jj]
    cov = sp.csr_matrix((np.ones(indices.size, dtype=bool), indices, indptr),
                        shape=(ukey.size, col_node.size))
    # drop columns that warn nobody (but keep existing gauges)
    used = np.zeros(col_node.size, dtype=bool)
    used[indices] = True
    used |= is_fixed[col_node]
    n_useless = int((~used).sum())
    keep_cols = np.flatnonzero(used)
    cov = sp.csr_matrix(cov[:, keep_cols])
    col_node = col_node[keep_cols]
    # the column tree: each column's nearest kept column downstream (rows are its paths)
    kmark = np.full(net.n, -1, dtype=np.int32)
    kmark[col_node] = np.arange(col_node.size, dtype=np.int32)
    knear = net.fill_up(kmark)
    croot = net.ds[col_node] == col_node
    col_parent = np.where(croot, -1, knear[net.ds[col_node]]).astype(np.int64)
    rep2 = ledger.step("water-level gauge columns", source="candidates", n_in=n_cand)
    rep2.reject("detects no flood from the scenarios", int((cand & ~useful).sum()))
    rep2.reject("dominated by a candidate upstream detecting the same floods", n_dominated)
    rep2.reject("warns no place in time", n_useless)
    rep2.note(f"{int(ok.sum())} (scenario, place cell) pairs with a possible warning merged "
              f"into {ukey.size} demand rows")
    counts = {"stream_cells": int(net.n), "candidates": n_cand,
              "crossings": int((crossing & cand).sum()), "dominated": n_dominated,
              "columns": int(col_node.size), "scenarios": int(len(sc)),
              "place_cells": int(pnodes.size), "pairs": tot,
              "pairs_warnable": int(ok.sum()), "rows": int(ukey.size)}
    pl_out = pl.drop(columns="node")
    return GaugeProblem(
        coverage=cov, weights=row_w, candidate_cells=net.cells[col_node],
        fixed=np.flatnonzero(is_fixed[col_node]),
        at_crossing=crossing[col_node], distance_to_road_m=road_d[col_node],
        people_exposed=exposed, people_unwarnable=float(exposed - row_w.sum()),
        scenarios=sc.drop(columns="outlet_node"), places=pl_out, counts=counts, params=params,
        accounting=ledger, terrain=terrain, _net=net, _col_node=col_node, _pair_k=pair_k,
        _pair_c=pair_c, _pair_w=pair_w, _scen_node=o, _place_node=node_all,
        _cand_mask=cand, _col_parent=col_parent,
    )


# --- evaluation of given gauges ----------------------------------------------------------------
def _bands(params: SensorParameters, lead: np.ndarray, w: np.ndarray, has: np.ndarray,
           exposed: float) -> pd.DataFrame:
    edges = [params.min_lead_time_min] + [b for b in params.lead_time_bands_min
                                          if b > params.min_lead_time_min]
    rows: list[tuple[str, float, float, float]] = [
        ("no gauge upstream", math.nan, math.nan, float(w[~has].sum())),
        (f"< {params.min_lead_time_min:g} min", -math.inf, params.min_lead_time_min,
         float(w[has & (lead < params.min_lead_time_min - 1e-9)].sum())),
    ]
    ok = has & (lead >= params.min_lead_time_min - 1e-9)
    for i, e0 in enumerate(edges):
        e1 = edges[i + 1] if i + 1 < len(edges) else math.inf
        sel = ok & (lead >= e0 - 1e-9) & (lead < e1 - 1e-9) if i else ok & (lead < e1 - 1e-9)
        label = f"{e0:g}-{e1:g} min" if math.isfinite(e1) else f">= {e0:g} min"
        rows.append((label, e0, e1, float(w[sel].sum())))
    df = pd.DataFrame(rows, columns=["band", "lead_time_from_min", "lead_time_to_min",
                                     "people_expected"])
    df["share"] = df["people_expected"] / exposed if exposed > 0 else 0.0
    return df


def evaluate_gauges(problem: GaugeProblem, gauge_cells: Sequence[int] | np.ndarray
                    ) -> GaugeEvaluation:
    """Lead time and warning of every (scenario, place) pair for gauges at given cells.

    Computed on the stream tree directly (not through the coverage matrix): for
    scenario k and place d the gauge that counts is the most upstream one at or
    below the flood's source ``o_k``; it warns d when it lies upstream of d and
    ``flow_length / wave_speed - delays >= min_lead_time_min``.

    Parameters
    ----------
    problem : GaugeProblem
        From :func:`build_gauge_problem`.
    gauge_cells : sequence of int
        Linear grid indices (``row * ncol + col``) of stream cells with a gauge.

    Returns
    -------
    GaugeEvaluation

    Raises
    ------
    DataError
        If a cell is not a stream cell.
    """
    net, params = problem._net, problem.params
    g = np.unique(np.asarray(gauge_cells, dtype=np.int64))
    pos = np.searchsorted(net.cells, g)
    bad = (pos >= net.n) | (net.cells[np.minimum(pos, net.n - 1)] != g)
    if bad.any():
        raise DataError(f"gauge_cells: {int(bad.sum())} cell(s) are not stream cells "
                        f"(e.g. {int(g[bad][0])}); gauges must be on the stream network.")
    marks = np.full(net.n, -1, dtype=np.int32)
    marks[pos] = pos.astype(np.int32)
    first = net.fill_up(marks)[problem._scen_node[problem._pair_k]].astype(np.int64)
    c = problem._pair_c
    length = np.where(first >= 0, net.dist_m[np.maximum(first, 0)] - net.dist_m[c], -np.inf)
    has = length > 0
    lead = np.where(has, length / params.wave_speed_m_s / 60.0 - params.delays_min, np.nan)
    warned = has & (length >= params.required_flow_length_m - _EPS_M)
    w = problem._pair_w
    pairs = pd.DataFrame({
        "scenario_id": problem.scenarios["scenario_id"].to_numpy()[problem._pair_k],
        "place_cell": net.cells[c], "weight": w,
        "gauge_cell": np.where(has, net.cells[np.maximum(first, 0)], -1),
        "lead_time_min": lead, "warned": warned})
    warned_w = float(w[warned].sum())
    return GaugeEvaluation(
        people_exposed=problem.people_exposed, people_warned=warned_w,
        people_not_warned=float(problem.people_exposed - warned_w), pairs=pairs,
        lead_time_bands=_bands(params, np.nan_to_num(lead, nan=-np.inf), w, has,
                               problem.people_exposed))


# --- the result ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SensorResult:
    """Recommended water-level and rain gauges with their reasons.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per gauge (Point, terrain CRS): ``site_id`` ("WL-01", "RG-01"),
        ``kind`` ("water_level" / "rain"), ``existing``, ``rank`` (order chosen),
        ``upstream_area_km2``, ``stream_order``, ``at_crossing``,
        ``distance_to_road_m``, ``n_scenarios_detected``, ``scenario_ids``,
        ``scenario_area_km2`` (area of the detected source sub-basins),
        ``n_places_warned``, ``people_warned`` (people at the places it warns in
        time), ``expected_people_warned`` (alone, per flash flood),
        ``lead_time_min_min`` / ``lead_time_median_min`` / ``lead_time_max_min``
        (over the places it warns, minutes), ``marginal_gain`` (expected people for
        water level, km² for rain, when it was added in ``rank`` order),
        ``area_covered_km2`` and ``coverage_radius_m`` (rain), ``reason_id``,
        ``reason_en``.
    warning_reach : GeoDataFrame
        Per water-level gauge: the river line from it down to the furthest place it
        warns: ``site_id``, ``length_m``, ``lead_time_min`` (at that place),
        ``n_places_warned``.
    solver : SolverResult
        The water-level MCLP (objective in expected people warned).
    rain_solver : SolverResult or None
        The rain-gauge MCLP (objective in km² covered), None when no rain gauge is sited.
    lead_time_bands : DataFrame
        Expected people per flash flood by lead-time band for the chosen network.
    parameters : SensorParameters
    figures : Mapping
        Headline numbers: people exposed / warned / not warned (expected, per flood),
        impact objective and its bound, counts, catchment area, rain coverage.
    accounting : Ledger
    """

    sites: gpd.GeoDataFrame
    warning_reach: gpd.GeoDataFrame
    solver: SolverResult
    rain_solver: SolverResult | None
    lead_time_bands: pd.DataFrame
    parameters: SensorParameters
    figures: Mapping[str, Any]
    accounting: Ledger

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for ``summary.json`` (under ``sensors``)."""
        def clean(v: Any) -> Any:
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.floating, float)):
                f = float(v)
                return f if math.isfinite(f) else None
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        sites = pd.DataFrame(self.sites.drop(columns=self.sites.geometry.name))
        sites["x"] = self.sites.geometry.x
        sites["y"] = self.sites.geometry.y
        return clean({
            "water_level": {**self.solver.to_dict(), "objective_sense": self.parameters.objective},
            "rain": None if self.rain_solver is None else self.rain_solver.to_dict(),
            "figures": dict(self.figures),
            "lead_time_bands": self.lead_time_bands.to_dict(orient="records"),
            "parameters": self.parameters.to_dict(),
            "sites": sites.to_dict(orient="records"),
            "accounting": self.accounting.to_records(),
        })


def _fmt(v: float, lang: str, nd: int = 0) -> str:
    s = f"{v:,.{nd}f}"
    if lang == "id":
        s = s.replace(",", "_").replace(".", ",").replace("_", ".")
    return s


def _ordinal(i: int, lang: str) -> str:
    if lang == "id":
        return f"ke-{i}"
    suf = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suf}"


def _marginal(cov: sp.csr_matrix, w: np.ndarray, order: Sequence[int]) -> np.ndarray:
    csc = sp.csc_matrix(cov)
    covered = np.zeros(cov.shape[0], dtype=bool)
    out = np.zeros(len(order))
    for i, j in enumerate(order):
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        out[i] = float(w[new].sum())
        covered[new] = True
    return out


def _solve(cov: sp.csr_matrix, w: np.ndarray, *, p: int | None, budget: float | None,
           cost: float, fixed: np.ndarray, method: str, time_limit_s: float) -> SolverResult:
    """Solve with the core's MCLP: ``p`` new sites (its ``p`` counts the fixed ones) or a budget."""
    fx = [int(f) for f in fixed]
    if budget is not None:
        costs = np.full(cov.shape[1], float(cost))
        costs[fixed] = 0.0
        return mclp(cov, w, budget=budget, costs=costs, fixed=fx or None,
                    method=method, time_limit_s=time_limit_s)  # type: ignore[arg-type]
    assert p is not None
    return mclp(cov, w, p=p + len(fx), fixed=fx or None, method=method,  # type: ignore[arg-type]
                time_limit_s=time_limit_s)


# --- exact solution on the column tree ----------------------------------------------------------
#: Largest DP table (cells of (node, ancestor distance, gauges) summed over the tree) that the
#: exact tree DP builds; larger problems fall back to the solver core (greedy + bound / MILP).
TREE_DP_MAX_CELLS = 60_000_000


@dataclass(frozen=True)
class _TreeRows:
    """The rows of a coverage matrix as vertical paths of a column tree."""

    parent: np.ndarray  # int64 per column, -1 at a root
    children: list[list[int]]
    post: np.ndarray  # columns, every child before its parent
    entry: np.ndarray  # per non-empty row: its deepest column
    length: np.ndarray  # per non-empty row: its number of columns (m >= 1)
    weight: np.ndarray  # per non-empty row


def _tree_rows(cov: sp.csr_matrix, w: np.ndarray, parent: np.ndarray) -> _TreeRows | None:
    """Check that every row of ``cov`` is a vertical path of the tree ``parent``; None if not.

    A row is a vertical path when its columns are ``e, parent(e), ..., parent^(m-1)(e)``
    for its deepest column ``e``: all of them ancestors-or-self of ``e`` (Euler-tour
    test) with ``m`` distinct depths spanning ``depth(e) - m + 1 .. depth(e)``.
    """
    n_c = cov.shape[1]
    parent = np.asarray(parent, dtype=np.int64)
    if parent.shape != (n_c,) or ((parent < -1) | (parent >= n_c)).any():
        return None
    children: list[list[int]] = [[] for _ in range(n_c)]
    for j in np.flatnonzero(parent >= 0):
        children[int(parent[j])].append(int(j))
    roots = np.flatnonzero(parent < 0)
    depth = np.full(n_c, -1, dtype=np.int64)
    tin = np.zeros(n_c, dtype=np.int64)
    tout = np.zeros(n_c, dtype=np.int64)
    pre: list[int] = []
    clock = 0
    for r in roots:  # iterative DFS: pre-order numbers and subtree ends
        depth[r] = 0
        stack: list[tuple[int, int]] = [(int(r), 0)]
        while stack:
            v, i = stack.pop()
            if i == 0:
                tin[v] = clock
                clock += 1
                pre.append(v)
            if i < len(children[v]):
                stack.append((v, i + 1))
                c = children[v][i]
                depth[c] = depth[v] + 1
                stack.append((c, 0))
            else:
                tout[v] = clock
    if (depth < 0).any():  # a cycle: not a tree
        return None
    c = sp.csr_matrix(cov, copy=True)
    c.sum_duplicates()
    c.eliminate_zeros()
    m = np.diff(c.indptr)
    nonempty = np.flatnonzero(m > 0)
    if nonempty.size == 0:
        return _TreeRows(parent, children, np.asarray(pre[::-1], dtype=np.int64),
                         np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    d = depth[c.indices]
    starts = c.indptr[:-1][nonempty]
    dmax = np.maximum.reduceat(d, starts)
    dmin = np.minimum.reduceat(d, starts)
    row_of = np.repeat(np.arange(nonempty.size), m[nonempty])
    is_max = d == dmax[row_of]
    if np.bincount(row_of[is_max], minlength=nonempty.size).max() != 1:
        return None
    entry = np.empty(nonempty.size, dtype=np.int64)
    entry[row_of[is_max]] = c.indices[is_max]
    te = tin[entry[row_of]]
    anc = (tin[c.indices] <= te) & (te < tout[c.indices])
    if not anc.all() or not np.array_equal(dmax - dmin + 1, m[nonempty]):
        return None
    return _TreeRows(parent, children, np.asarray(pre[::-1], dtype=np.int64), entry,
                     m[nonempty].astype(np.int64), np.asarray(w, dtype=np.float64)[nonempty])


def _tree_dp(rows: _TreeRows, *, p: int, fixed: np.ndarray
             ) -> tuple[np.ndarray, float] | None:
    """Exact maximum coverage by vertical paths of a tree: ``p`` new columns plus ``fixed``.

    The model, and why the dynamic programme is exact
    ------------------------------------------------
    Columns form a forest T (``parent`` = the nearest column downstream; the root side
    is downstream). Each demand row r with weight w_r is a vertical path
    ``P(e_r, m_r) = {e_r, parent(e_r), ..., parent^(m_r - 1)(e_r)}`` (the gauges between
    the flood's source and the point the required flow length above the place); r is
    covered by a set S of columns iff ``S ∩ P(e_r, m_r)`` is not empty.

    *Lemma.* Let ``c_S(e)`` be the nearest column of S at or below e (an ancestor-or-self
    of e in T) and ``k_S(e)`` its distance (edges) from e (infinite if none). Then r is
    covered iff ``k_S(e_r) <= m_r - 1``. Proof: if s is in S ∩ P(e_r, m_r), s is an
    ancestor-or-self of e_r at distance <= m_r - 1, and the nearest one, c_S(e_r), is no
    farther; conversely the ancestor of e_r at distance <= m_r - 1 lies in P(e_r, m_r).

    So the covered weight is ``sum_e g_e(k_S(e))`` with ``g_e(k) = sum of w_r over rows
    entering at e with m_r > k`` (non-increasing, ``g_e(inf) = 0``): each entry is served
    by its nearest chosen ancestor-or-self, as in p-median on a tree.

    *Optimal substructure.* For a column v, every entry u in subtree(v) has ``c_S(u)``
    either on the path u..v (decided by S ∩ subtree(v)) or, if there is none, equal to
    the nearest chosen proper ancestor of v, at some distance a above v (a = 0 for none).
    The part of the objective from subtree(v) thus depends on the choices outside
    subtree(v) only through a. Let ``F_v(a, j)`` be its maximum over at most j new
    columns in subtree(v). With ``⊕`` the max-plus convolution of the children's budgets
    (``(f ⊕ h)(j) = max_{i <= j} f(i) + h(j - i)``)::

        F_v(a, j) = max( g_v(a) + (⊕_w F_w(a + 1, .))(j),        v not chosen
                         g_v(0) + (⊕_w F_w(1, .))(j - 1) )      v chosen (a new gauge)

    with ``g_v(a)`` read as distance a from v (0 for none), ``F_w(a + 1)`` as none when
    a = 0; a fixed (existing) v takes the second branch with j (it costs no gauge).
    Distances a > L_v, the farthest any row entering subtree(v) reaches above v, act
    as none, so each table has ``L_v + 1`` rows. The optimum is the roots' tables
    convolved at a = none with j = p; the choices are recovered by backtracking the
    recorded decisions and splits. Work ``O(sum_v (L_v + 1) p^2)``, memory of the same
    order in small integers (splits). Returns None when the tables would exceed
    :data:`TREE_DP_MAX_CELLS`.

    Returns
    -------
    (selected columns (fixed included, sorted), optimum) or None.
    """
    parent, children, post = rows.parent, rows.children, rows.post
    n_c = parent.size
    P = int(max(p, 0))
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[np.asarray(fixed, dtype=np.int64)] = True
    # rows entering at each column: g_v(k) for k = 0..(max m - 1)
    reach_self = np.full(n_c, -1, dtype=np.int64)  # max m - 1 of rows entering at v
    if rows.entry.size:
        np.maximum.at(reach_self, rows.entry, rows.length - 1)
    order_r = np.lexsort((rows.length, rows.entry))
    ent_s, len_s, w_s = rows.entry[order_r], rows.length[order_r], rows.weight[order_r]
    bounds_r = np.searchsorted(ent_s, np.arange(n_c + 1))
    reach = reach_self.copy()  # L_v: the farthest a row in subtree(v) reaches above v
    for v in post:
        for c in children[v]:
            reach[v] = max(reach[v], reach[c] - 1)
    reach = np.maximum(reach, 0)
    n_child = np.array([len(ch) for ch in children], dtype=np.int64)
    cells = int(((reach + 2) * (P + 1) * (n_child + 1)).sum())
    if cells > TREE_DP_MAX_CELLS:
        return None
    itype = np.int16 if P < 32_000 else np.int32
    tables: dict[int, np.ndarray] = {}
    choose: dict[int, np.ndarray] = {}
    splits: dict[int, list[np.ndarray]] = {}

    def child_rows(v_len: int, c: int, virtual: bool) -> np.ndarray:
        """Row of the child's table for each parent row (0..v_len-1 = a, v_len = v chosen)."""
        if virtual:  # the roots see no ancestor
            return np.zeros(v_len + 1, dtype=np.int64)
        lc = int(reach[c])
        a = np.arange(v_len + 1)
        idx = np.where((a >= 1) & (a + 1 <= lc), a + 1, 0)
        idx[-1] = 1 if lc >= 1 else 0
        return idx

    def solve_node(v: int, k: int, ch: Sequence[int], can_choose: bool, fixed_v: bool
                   ) -> None:
        # base: rows 0..k-1 = not chosen with the ancestor at distance a (0: none), row k =
        # chosen; g_v(a) = weight of v's rows with m > a
        base = np.zeros(k + 1)
        lo, hi = (int(bounds_r[v]), int(bounds_r[v + 1])) if v >= 0 else (0, 0)
        if hi > lo:
            lens, ws = len_s[lo:hi], w_s[lo:hi]
            a = np.arange(1, k)
            # sum of ws with lens > a  (lens sorted ascending)
            csum = np.r_[0.0, np.cumsum(ws[::-1])][::-1]  # csum[i] = sum ws[i:]
            base[1:k] = csum[np.searchsorted(lens, a, side="right")]
            base[k] = float(ws.sum())
        acc = np.repeat(base[:, None], P + 1, axis=1)
        spl: list[np.ndarray] = []
        for c in ch:
            h = tables.pop(c)[child_rows(k, c, v < 0)]
            new = np.full_like(acc, -np.inf)
            arg = np.zeros(acc.shape, dtype=itype)
            for j1 in range(P + 1):
                cand = acc[:, j1:j1 + 1] + h[:, :P + 1 - j1]
                better = cand > new[:, j1:]
                new[:, j1:][better] = cand[better]
                arg[:, j1:][better] = j1
            acc = new
            spl.append(arg)
        f = acc[:k].copy()
        dec = np.zeros((k, P + 1), dtype=bool)
        if fixed_v:
            f[:] = acc[k][None, :]
            dec[:] = True
        elif can_choose and P >= 1:
            chosen = np.r_[-np.inf, acc[k][:-1]]
            dec = chosen[None, :] > f + 1e-12 * np.maximum(1.0, np.abs(f))
            f = np.where(dec, chosen[None, :], f)
        tables[v] = f
        choose[v] = dec
        splits[v] = spl

    for v in post:
        solve_node(int(v), int(reach[v]) + 1, children[v], True, bool(is_fixed[v]))
    roots = [int(r) for r in np.flatnonzero(parent < 0)]
    solve_node(-1, 1, roots, False, False)  # a virtual root above the roots
    best = float(tables[-1][0, P])
    sel: list[int] = []
    stack = [(-1, 0, P)]
    while stack:
        v, a, j = stack.pop()
        ch = roots if v == -1 else children[v]
        k = 1 if v == -1 else int(reach[v]) + 1
        if v >= 0 and choose[v][a, j]:
            sel.append(v)
            r, jj = k, (j if is_fixed[v] else j - 1)
        else:
            r, jj = a, j
        for c, arg in zip(ch[::-1], splits[v][::-1], strict=True):
            j1 = int(arg[r, jj])
            row = int(child_rows(k, c, v < 0)[r])
            stack.append((c, row, jj - j1))
            jj = j1
    return np.sort(np.asarray(sel, dtype=np.int64)), best


def _greedy_order(cov: sp.csr_matrix, w: np.ndarray, cols: Sequence[int] | np.ndarray,
                  first: Sequence[int] = ()) -> list[int]:
    """Order ``cols`` as the greedy would add them (``first`` kept in front, ties: lowest)."""
    csc = sp.csc_matrix(cov)
    covered = np.zeros(cov.shape[0], dtype=bool)
    out: list[int] = []
    for j in first:
        covered[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = True
        out.append(int(j))
    rest = sorted(int(j) for j in cols if int(j) not in set(out))
    while rest:
        gains = [float(w[r[~covered[r]]].sum()) for r in
                 (csc.indices[csc.indptr[j]:csc.indptr[j + 1]] for j in rest)]
        j = rest.pop(int(np.argmax(gains)))
        covered[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = True
        out.append(j)
    return out


def _solve_water_level(prob: GaugeProblem, *, p_new: int | None, method: str,
                       time_limit_s: float, ledger: Ledger) -> SolverResult:
    """Water-level gauges: the exact tree DP (``auto``/``tree_dp``), else the solver core.

    The DP applies when every gauge costs the same (always here: one
    ``cost_per_gauge_idr``; a budget buys ``floor(budget / cost)`` gauges) and every
    demand row is a vertical path of the column tree (checked on the matrix). Its
    answer is proven optimal: bound = objective, gap 0, ``solver="tree_dp"``.
    """
    params = prob.params
    n_c = prob.coverage.shape[1]
    if method in ("auto", "tree_dp"):
        tic = time.perf_counter()
        n_free = n_c - len(prob.fixed)
        if p_new is not None:
            p_dp = int(p_new)
        else:
            assert params.budget_idr is not None
            p_dp = int(math.floor(params.budget_idr / params.cost_per_gauge_idr + 1e-9))
        p_dp = min(p_dp, n_free)
        rows = (_tree_rows(prob.coverage, prob.weights, prob._col_parent)
                if prob._col_parent.size == n_c else None)
        out = _tree_dp(rows, p=p_dp, fixed=prob.fixed) if rows is not None else None
        if out is not None:
            sel, best = out
            fixed = [int(f) for f in prob.fixed]
            order = _greedy_order(prob.coverage, prob.weights, sel, first=fixed)
            gains = _marginal(prob.coverage, prob.weights, order)
            value = float(prob.covered_weight(order))
            bound = max(best, value)
            if bound - value <= 1e-9 * max(1.0, abs(value)):
                bound = value
            gap = (bound - value) / bound if bound > 0 else 0.0
            n_new = len(order) - len(fixed)
            if n_new < p_dp:
                ledger.step("water-level gauges wanted", source="exact tree DP",
                            n_in=p_dp).note(
                    f"{n_new} new gauges reach the optimum; a further gauge would warn no one "
                    "more in time, so no more are placed")
            return SolverResult(
                model="mclp", sense="max", selected=np.asarray(order, dtype=np.int64),
                objective=value, bound=float(bound), gap=float(gap), solver="tree_dp",
                status="optimal" if gap <= 1e-12 else "gap_limit",
                runtime_s=time.perf_counter() - tic,
                parameters={"p": p_dp + len(fixed), "p_new": p_dp,
                            "budget": params.budget_idr, "n_fixed": len(fixed),
                            "method": method, "n_demand": int(prob.coverage.shape[0]),
                            "n_candidates": int(n_c), "n_pairs": int(prob.coverage.nnz),
                            "weight_total": float(prob.weights.sum()),
                            "dp_optimum": float(best)},
                marginal_gain=gains)
        why = ("a demand row is not a path of the column tree" if rows is None else
               f"the DP tables exceed TREE_DP_MAX_CELLS={TREE_DP_MAX_CELLS:,}")
        if method == "tree_dp":
            raise ParameterError(f"method='tree_dp': the exact tree DP does not apply ({why}). "
                                 "Use method='auto' (falls back to greedy + bound / MILP).")
        ledger.step("water-level solver", source="exact tree DP", n_in=1).note(
            f"tree DP not used ({why}): greedy + bound, MILP where it fits")
    return _solve(prob.coverage, prob.weights, p=p_new, budget=params.budget_idr,
                  cost=params.cost_per_gauge_idr, fixed=prob.fixed,
                  method="auto" if method == "tree_dp" else method, time_limit_s=time_limit_s)


#: Rain gauges, ``method="auto"``: the exact MILP is tried only up to this many stored
#: (block, candidate) pairs, for at most :data:`RAIN_MILP_TIME_S`; larger problems keep the
#: lazy greedy with the tighter of its online bound and a Lagrangian bound.
RAIN_MILP_MAX_PAIRS = 60_000
RAIN_MILP_TIME_S = 10.0


def _lagrangian_mclp_bound(cov: sp.csr_matrix, w: np.ndarray, *, p: int, fixed: np.ndarray,
                           lower: float, time_s: float = 5.0, max_iter: int = 3000) -> float:
    """Upper bound on maximum coverage (``p`` new columns plus ``fixed``) by Lagrangian duality.

    Relaxing ``z_i <= sum_j a_ij y_j`` with multipliers ``0 <= lam_i <= w_i`` gives, for
    every such lam, ``OPT <= sum_i (w_i - lam_i) + sum_{j fixed} c_j + (top p of c_j over
    the free columns)``, ``c_j = sum_i a_ij lam_i`` (z_i = 1 is optimal for z when
    ``w_i >= lam_i``; the y part picks the best columns). Its minimum over lam equals the LP
    relaxation bound; projected subgradient steps (Polyak, target ``lower``, the value of a
    known solution) approach it. Every evaluated lam gives a valid bound: the smallest is
    returned.
    """
    a = sp.csr_matrix(cov, dtype=np.float64)
    at = sp.csr_matrix(a.T)
    w = np.asarray(w, dtype=np.float64)
    n_c = a.shape[1]
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[np.asarray(fixed, dtype=np.int64)] = True
    free = np.flatnonzero(~is_fixed)
    k = int(min(max(p, 0), free.size))

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        c = at @ lam
        y = is_fixed.astype(np.float64)
        if k:
            top = free[np.argpartition(-c[free], k - 1)[:k]]
            y[top] = 1.0
        return float(np.maximum(w - lam, 0.0).sum() + c @ y), y

    tic = time.perf_counter()
    lam = 0.5 * w
    best, best_lam = math.inf, lam
    theta, since = 2.0, 0
    for _ in range(max_iter):
        val, y = dual(lam)
        if val < best * (1.0 - 1e-12):
            best, best_lam, since = val, lam.copy(), 0
        else:
            since += 1
            if since >= 30:
                theta, since, lam = theta / 2.0, 0, best_lam.copy()
                if theta < 1e-4:
                    break
                continue
        if time.perf_counter() - tic > time_s or best <= lower * (1.0 + 1e-9):
            break
        grad = (a @ y) - (w > lam)
        nrm = float(grad @ grad)
        if nrm == 0.0:
            break
        lam = np.clip(lam - theta * max(val - lower, 1e-12 * max(1.0, val)) / nrm * grad,
                      0.0, w)
    return best


def _solve_rain(cov: sp.csr_matrix, w: np.ndarray, *, p: int, fixed: np.ndarray, method: str,
                time_limit_s: float) -> SolverResult:
    """Rain gauges: lazy greedy + bound; the MILP only when small, else a Lagrangian bound."""
    if method != "auto":
        return _solve(cov, w, p=p, budget=None, cost=1.0, fixed=fixed, method=method,
                      time_limit_s=time_limit_s)
    tic = time.perf_counter()
    res = _solve(cov, w, p=p, budget=None, cost=1.0, fixed=fixed, method="greedy",
                 time_limit_s=time_limit_s)
    if res.gap <= 1e-4:
        return res
    if cov.nnz <= RAIN_MILP_MAX_PAIRS:
        res = _solve(cov, w, p=p, budget=None, cost=1.0, fixed=fixed, method="auto",
                     time_limit_s=min(time_limit_s, RAIN_MILP_TIME_S))
        if res.gap <= 1e-4:
            return res
    lag = _lagrangian_mclp_bound(cov, w, p=p, fixed=fixed, lower=res.objective)
    if lag < res.bound:
        bound = max(lag, res.objective)
        gap = (bound - res.objective) / bound if bound > 0 else 0.0
        res = replace(res, bound=float(bound), gap=float(gap),
                      solver=res.solver + "+lagrangian_bound",
                      status="optimal" if gap <= 1e-12 else
                      ("gap_limit" if gap <= 1e-4 else res.status),
                      runtime_s=time.perf_counter() - tic)
    return replace(res, runtime_s=time.perf_counter() - tic)


def _crossing_swaps(problem: GaugeProblem, selected: list[int], ledger: Ledger) -> list[int]:
    p = problem.params
    if p.crossing_snap_m <= 0 or not problem.at_crossing.any():
        return selected
    net = problem._net
    cn = problem._col_node
    xcols = np.flatnonzero(problem.at_crossing)
    fixed = set(int(f) for f in problem.fixed)
    base = problem.covered_weight(selected)
    out = list(selected)
    n_swapped = 0
    for i, j in enumerate(selected):
        if j in fixed or problem.at_crossing[j]:
            continue
        below = net.at_or_below(cn[xcols], cn[j])
        gap = net.dist_m[cn[j]] - net.dist_m[cn[xcols]]
        ok = below & (gap <= p.crossing_snap_m) & (gap >= 0)
        for x in xcols[ok][np.argsort(gap[ok], kind="stable")]:
            if int(x) in out:
                continue
            trial = out[:i] + [int(x)] + out[i + 1:]
            if problem.covered_weight(trial) >= base - 1e-9 * max(1.0, abs(base)):
                out = trial
                n_swapped += 1
                break
    rep = ledger.step("move chosen gauges to road crossings", source="solution",
                      n_in=len(selected))
    rep.repair(f"moved to a crossing within {p.crossing_snap_m:g} m downstream, "
               "nobody loses their warning", n_swapped)
    return out


def _site_reach(problem: GaugeProblem, node: int, end: int) -> tuple[np.ndarray, float]:
    net = problem._net
    path = [node]
    cur = node
    while cur != end:
        nxt = int(net.ds[cur])
        if nxt == cur:  # pragma: no cover - end is downstream by construction
            break
        path.append(nxt)
        cur = nxt
    return net.cells[np.asarray(path)], float(net.dist_m[node] - net.dist_m[end])


def _water_sites(problem: GaugeProblem, selected: list[int], gains: np.ndarray
                 ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    net, p, t = problem._net, problem.params, problem.terrain
    sc = problem.scenarios
    o = problem._scen_node
    pnode = problem._place_node
    kept = pnode >= 0
    pw = problem.places["weight"].to_numpy()
    fixed = set(int(f) for f in problem.fixed)
    n_scen_total, area_total = len(sc), float(sc["area_km2"].sum())
    recs: list[dict[str, Any]] = []
    reach_geoms: list[Any] = []
    reach_recs: list[dict[str, Any]] = []
    for rank, (j, gain) in enumerate(zip(selected, gains, strict=True), start=1):
        s = int(problem._col_node[j])
        det = net.at_or_below(s, o)
        places_below = kept & net.at_or_below(np.maximum(pnode, 0), s)
        length = np.where(places_below, net.dist_m[s] - net.dist_m[np.maximum(pnode, 0)], -1.0)
        warned = places_below & (length >= p.required_flow_length_m - _EPS_M) & det.any()
        lead = length[warned] / p.wave_speed_m_s / 60.0 - p.delays_min
        warned_nodes = np.unique(pnode[warned])
        pair_ok = det[problem._pair_k] & np.isin(problem._pair_c, warned_nodes)
        x, y = _xy(t, np.array([net.cells[s]]))
        site_id = f"WL-{rank:02d}"
        rec: dict[str, Any] = {
            "site_id": site_id, "kind": "water_level", "existing": j in fixed, "rank": rank,
            "x": float(x[0]), "y": float(y[0]), "cell": int(net.cells[s]),
            "upstream_area_km2": float(net.upa_km2[s]), "stream_order": int(net.order[s]),
            "at_crossing": bool(problem.at_crossing[j]),
            "distance_to_road_m": float(problem.distance_to_road_m[j]),
            "n_scenarios_detected": int(det.sum()),
            "scenario_ids": ",".join(str(v) for v in sc["scenario_id"].to_numpy()[det]),
            "scenario_area_km2": float(sc["area_km2"].to_numpy()[det].sum()),
            "n_places_warned": int(warned.sum()), "people_warned": float(pw[warned].sum()),
            "expected_people_warned": float(problem._pair_w[pair_ok].sum()),
            "lead_time_min_min": float(lead.min()) if lead.size else math.nan,
            "lead_time_median_min": float(np.median(lead)) if lead.size else math.nan,
            "lead_time_max_min": float(lead.max()) if lead.size else math.nan,
            "marginal_gain": float(gain), "area_covered_km2": math.nan,
            "coverage_radius_m": math.nan,
        }
        what_en = "Existing water-level gauge (kept)" if rec["existing"] else "Water-level gauge"
        what_id = "Pos duga air yang sudah ada (dipertahankan)" if rec["existing"] else \
            "Pos duga air"
        share = rec["scenario_area_km2"] / area_total if area_total > 0 else 0.0
        where_en = " at a road crossing" if rec["at_crossing"] else ""
        where_id = " di persilangan jalan" if rec["at_crossing"] else ""
        if lead.size:
            lt_en = (f"{lead.min():.0f}-{lead.max():.0f} min (median {np.median(lead):.0f} min)"
                     if lead.size > 1 else f"{lead.min():.0f} min")
            lt_id = (f"{_fmt(lead.min(), 'id')}-{_fmt(lead.max(), 'id')} menit (median "
                     f"{_fmt(float(np.median(lead)), 'id')} menit)" if lead.size > 1
                     else f"{_fmt(lead.min(), 'id')} menit")
            warn_en = (f"warns {_fmt(rec['people_warned'], 'en')} people at "
                       f"{rec['n_places_warned']} places {lt_en} before the flood arrives")
            warn_id = (f"memperingatkan {_fmt(rec['people_warned'], 'id')} jiwa di "
                       f"{rec['n_places_warned']} lokasi {lt_id} sebelum banjir tiba")
        else:
            warn_en = (f"warns no place with at least {p.min_lead_time_min:g} min of lead time")
            warn_id = (f"tidak memperingatkan lokasi mana pun dengan waktu tenggang minimal "
                       f"{_fmt(p.min_lead_time_min, 'id')} menit")
        rec["reason_en"] = (
            f"{what_en}{where_en} on a river draining {_fmt(rec['upstream_area_km2'], 'en', 1)} "
            f"km²: detects floods from {rec['n_scenarios_detected']} of {n_scen_total} source "
            f"sub-catchments ({share:.0%} of their area) and {warn_en}; added "
            f"{_ordinal(rank, 'en')}, it adds {_fmt(gain, 'en', 1)} expected people warned "
            "per flash flood.")
        rec["reason_id"] = (
            f"{what_id}{where_id} di sungai dengan daerah tangkapan "
            f"{_fmt(rec['upstream_area_km2'], 'id', 1)} km²: mendeteksi banjir dari "
            f"{rec['n_scenarios_detected']} dari {n_scen_total} sub-DAS sumber "
            f"({_fmt(100 * share, 'id')} % luasnya) dan {warn_id}; dipilih "
            f"{_ordinal(rank, 'id')}, menambah {_fmt(gain, 'id', 1)} jiwa terperingatkan "
            "(nilai harapan per banjir bandang).")
        recs.append(rec)
        if warned.any():
            far = np.flatnonzero(warned)[np.argmax(length[warned])]
            cells, ln = _site_reach(problem, s, int(pnode[far]))
            xs, ys = _xy(t, cells)
            reach_geoms.append(shapely.linestrings(np.column_stack([xs, ys])))
            reach_recs.append({"site_id": site_id, "length_m": ln,
                               "lead_time_min": ln / p.wave_speed_m_s / 60.0 - p.delays_min,
                               "n_places_warned": int(warned.sum())})
    reach = gpd.GeoDataFrame(
        pd.DataFrame(reach_recs, columns=["site_id", "length_m", "lead_time_min",
                                          "n_places_warned"]),
        geometry=reach_geoms, crs=t.crs)
    return pd.DataFrame(recs), reach


def _rain(terrain: Terrain, problem: GaugeProblem, roads: gpd.GeoDataFrame | None,
          existing_rain: gpd.GeoDataFrame | None, *, method: str, time_limit_s: float,
          ledger: Ledger) -> tuple[pd.DataFrame, SolverResult | None, dict[str, Any]]:
    p = problem.params
    flw = terrain.flwdir
    nrow, ncol = terrain.shape
    cells = problem.places["cell"].to_numpy()
    cells = np.unique(cells[cells >= 0])
    marks = np.zeros(nrow * ncol, dtype=np.uint8)
    marks[cells] = 1
    catch = pyflwdir.core.fillnodata_upstream(flw.idxs_ds, flw.idxs_seq, marks, np.uint8(0))
    del marks
    cell_km2 = terrain.cell_area_m2 / 1e6
    radius = p.rain_radius
    grid = p.rain_grid_m if p.rain_grid_m is not None else radius / 4.0
    b = max(1, int(round(grid / max(terrain.cell_size_m))))
    nbr, nbc = -(-nrow // b), -(-ncol // b)
    nb = nbr * nbc
    cnt = np.zeros(nb)
    sx = np.zeros(nb)
    sy = np.zeros(nb)
    t = terrain.transform
    catch2 = catch.reshape(nrow, ncol)
    for r0 in range(0, nrow, 1024):
        rr, cc = np.nonzero(catch2[r0:r0 + 1024])
        rr = rr + r0
        bid = (rr // b) * nbc + cc // b
        cnt += np.bincount(bid, minlength=nb)
        sx += np.bincount(bid, weights=t.c + (cc + 0.5) * t.a, minlength=nb)
        sy += np.bincount(bid, weights=t.f + (rr + 0.5) * t.e, minlength=nb)
    del catch, catch2
    blk = np.flatnonzero(cnt > 0)
    area_km2 = float(cnt.sum() * cell_km2)
    dx, dy = sx[blk] / cnt[blk], sy[blk] / cnt[blk]
    dw = cnt[blk] * cell_km2
    n_exist = 0 if existing_rain is None else len(existing_rain)
    n_total = p.n_rain if p.n_rain is not None else int(math.ceil(area_km2 / p.rain_density_km2))
    n_new = max(0, n_total - n_exist)
    figs: dict[str, Any] = {"catchment_km2": area_km2, "rain_gauges_target": n_total,
                            "rain_gauges_existing": n_exist, "rain_gauges_new": n_new,
                            "rain_radius_m": radius, "rain_block_m": b * max(terrain.cell_size_m)}
    rep = ledger.step("rain-gauge candidates", source="catchment blocks", n_in=int(blk.size))
    if n_new == 0 and n_exist == 0:
        return pd.DataFrame(), None, figs
    cx, cy = dx.copy(), dy.copy()
    croad = np.full(cx.size, np.nan)
    if roads is not None:
        croad = _road_distance(roads, cx, cy)
        if p.rain_max_road_distance_m is not None:
            near = croad <= p.rain_max_road_distance_m
            rep.reject(f"more than {p.rain_max_road_distance_m:g} m from a road",
                       int((~near).sum()))
            cx, cy, croad = cx[near], cy[near], croad[near]
    if n_new > cx.size:
        rep.note(f"{n_new} new rain gauges wanted but only {cx.size} candidate blocks: "
                 f"placing {cx.size}")
        n_new = int(cx.size)
    ex, ey = (_points(existing_rain) if existing_rain is not None and n_exist
              else (np.zeros(0), np.zeros(0)))
    if ex.size and not (np.isfinite(ex) & np.isfinite(ey)).all():
        raise DataError("existing rain gauges: expected point geometries, found empty ones.")
    allx, ally = np.r_[cx, ex], np.r_[cy, ey]
    fixed = np.arange(cx.size, allx.size)
    td = cKDTree(np.column_stack([dx, dy]))
    tc = cKDTree(np.column_stack([allx, ally]))
    coo = tc.sparse_distance_matrix(td, radius, output_type="coo_matrix")
    cov = sp.csr_matrix((np.ones(coo.nnz, dtype=bool), (coo.col, coo.row)),
                        shape=(dx.size, allx.size))
    # a gauge always covers its own block, even at distance 0 (dropped by the sparse matrix)
    own = np.arange(cx.size)
    own_blk = td.query(np.column_stack([cx, cy]))[1]
    cov = sp.csr_matrix(cov + sp.csr_matrix((np.ones(own.size, dtype=bool), (own_blk, own)),
                                            shape=cov.shape))
    res = _solve_rain(cov, dw, p=n_new, fixed=fixed, method=method, time_limit_s=time_limit_s)
    order = [int(j) for j in res.selected]
    gains = _marginal(cov, dw, order)
    csc = sp.csc_matrix(cov)
    recs = []
    for rank, (j, gain) in enumerate(zip(order, gains, strict=True), start=1):
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        alone = float(dw[rows].sum())
        existing = j >= cx.size
        what_en = "Existing rain gauge (kept)" if existing else "Rain gauge"
        what_id = "Pos curah hujan yang sudah ada (dipertahankan)" if existing else \
            "Pos curah hujan"
        recs.append({
            "site_id": f"RG-{rank:02d}", "kind": "rain", "existing": existing, "rank": rank,
            "x": float(allx[j]), "y": float(ally[j]), "cell": -1,
            "distance_to_road_m": float(croad[j]) if j < cx.size else math.nan,
            "area_covered_km2": alone, "coverage_radius_m": radius,
            "marginal_gain": float(gain),
            "reason_en": (f"{what_en} covering {_fmt(alone, 'en', 1)} km² of the catchment above "
                          f"the exposed reaches within {_fmt(radius / 1000, 'en', 1)} km (target "
                          f"one gauge per {_fmt(p.rain_density_km2, 'en')} km²); added "
                          f"{_ordinal(rank, 'en')}, it adds {_fmt(gain, 'en', 1)} km² covered."),
            "reason_id": (f"{what_id} yang mencakup {_fmt(alone, 'id', 1)} km² daerah tangkapan di "
                          f"hulu permukiman terdampak dalam radius {_fmt(radius / 1000, 'id', 1)}"
                          f" km (target satu pos per {_fmt(p.rain_density_km2, 'id')} km²); "
                          f"dipilih {_ordinal(rank, 'id')}, menambah {_fmt(gain, 'id', 1)} km² "
                          "cakupan."),
        })
    covered = float(gains.sum())
    figs.update({"rain_area_covered_km2": covered,
                 "rain_area_covered_share": covered / area_km2 if area_km2 > 0 else 0.0})
    return pd.DataFrame(recs), res, figs


_SITE_COLUMNS = [
    "site_id", "kind", "existing", "rank", "cell", "upstream_area_km2", "stream_order",
    "at_crossing", "distance_to_road_m", "n_scenarios_detected", "scenario_ids",
    "scenario_area_km2", "n_places_warned", "people_warned", "expected_people_warned",
    "lead_time_min_min", "lead_time_median_min", "lead_time_max_min", "marginal_gain",
    "area_covered_km2", "coverage_radius_m", "reason_id", "reason_en",
]


def site_sensors(
    terrain: Terrain,
    places: gpd.GeoDataFrame,
    *,
    params: SensorParameters | None = None,
    weight_col: str | Mapping[str, float] = "people",
    roads: gpd.GeoDataFrame | None = None,
    existing_water_level: gpd.GeoDataFrame | None = None,
    existing_rain: gpd.GeoDataFrame | None = None,
    scenario_weight_grid: np.ndarray | None = None,
    allow_places_outside_dem: bool = False,
    method: Literal["auto", "tree_dp", "greedy", "milp"] = "auto",
    time_limit_s: float = 30.0,
) -> SensorResult:
    """Site water-level gauges by warning lead time and rain gauges by catchment coverage.

    See the module docstring for the model. Pure: nothing is read or written.

    Parameters
    ----------
    terrain : Terrain
        From :func:`kotacerdas_gis.hazard.derive_terrain` (metric CRS, EPSG:32751).
    places : GeoDataFrame
        Exposed places in ``terrain.crs`` (buildings, desa points with people, schools,
        health facilities in the hazard zones) with the ``weight_col`` column(s).
    params : SensorParameters, optional
        All options with documented defaults.
    weight_col : str or mapping, default "people"
        People column, or ``{column: factor}`` summed (vulnerable people, schools...).
    roads : GeoDataFrame, optional
        Road lines in ``terrain.crs``: access filter and crossing preference.
    existing_water_level, existing_rain : GeoDataFrame, optional
        Existing gauges (points), kept in the network and counted.
    scenario_weight_grid : ndarray, optional
        Per-cell weight of flood formation on the terrain grid (instead of area).
    allow_places_outside_dem : bool, default False
        Leave out (and count) places outside the DEM instead of raising.
    method : {"auto", "tree_dp", "greedy", "milp"}, default "auto"
        Water-level gauges: ``"auto"`` solves exactly by the tree dynamic programme
        (gap 0, ``solver="tree_dp"``) and falls back to the solver core (lazy greedy
        with its bound, MILP where it fits) only if the DP does not apply or its tables
        exceed :data:`TREE_DP_MAX_CELLS`; ``"tree_dp"`` raises instead of falling back;
        ``"greedy"`` / ``"milp"`` go to :func:`kotacerdas_gis.siting.solvers.mclp`.
        Rain gauges (``"auto"``, ``"tree_dp"``): lazy greedy with its online bound; the
        MILP only up to :data:`RAIN_MILP_MAX_PAIRS` pairs for at most
        :data:`RAIN_MILP_TIME_S`; otherwise a Lagrangian bound tightens the gap.
    time_limit_s : float, default 30.0
        MILP time limit per problem, s.

    Returns
    -------
    SensorResult

    Raises
    ------
    ParameterError
        Bad option values (lead time or wave speed <= 0, ...), no stream above
        ``min_upstream_area_km2`` (the message gives the threshold that would give
        candidates), more gauges than candidates.
    DataError
        Places outside the DEM (counted in the message), existing gauges off the
        stream network.
    InfeasibleProblemError
        No exposed place downstream of any candidate with enough river between.
    CRSError, CRSMismatchError, SchemaError
        Layers in another CRS, missing weight columns.
    """
    params = SensorParameters() if params is None else params
    ledger = Ledger()
    if existing_rain is not None:
        require_same_crs(terrain=terrain.crs, existing_rain=existing_rain)
    prob = build_gauge_problem(
        terrain, places, params=params, weight_col=weight_col, roads=roads,
        existing=existing_water_level, scenario_weight_grid=scenario_weight_grid,
        allow_places_outside_dem=allow_places_outside_dem, ledger=ledger)
    n_free = prob.coverage.shape[1] - len(prob.fixed)
    p_new = params.n_water_level
    if p_new == 0 and len(prob.fixed) == 0:
        raise ParameterError(
            "n_water_level=0 and no existing water-level gauge: there is nothing to site or "
            "evaluate. Ask for at least one gauge or pass existing_water_level=...")
    if p_new is not None and p_new > n_free:
        ledger.step("water-level gauges wanted", source="parameters", n_in=p_new).note(
            f"{p_new} new gauges asked, but only {n_free} distinct candidate sites warn anyone "
            "more: placing those.")
        p_new = n_free
    res = _solve_water_level(prob, p_new=p_new, method=method, time_limit_s=time_limit_s,
                             ledger=ledger)
    selected = [int(j) for j in res.selected]
    fixed_set = set(int(f) for f in prob.fixed)
    selected = [j for j in selected if j in fixed_set] + [j for j in selected
                                                          if j not in fixed_set]
    selected = _crossing_swaps(prob, selected, ledger)
    gains = _marginal(prob.coverage, prob.weights, selected)
    ev = evaluate_gauges(prob, prob.candidate_cells[selected])
    wl, reach = _water_sites(prob, selected, gains)
    rain_df, rain_res, rain_figs = _rain(terrain, prob, roads, existing_rain,
                                         method="auto" if method == "tree_dp" else method,
                                         time_limit_s=time_limit_s, ledger=ledger)
    df = pd.concat([d for d in (wl, rain_df) if not d.empty], ignore_index=True) \
        if not (wl.empty and rain_df.empty) else pd.DataFrame(columns=_SITE_COLUMNS + ["x", "y"])
    geom = shapely.points(df["x"].to_numpy(dtype=float), df["y"].to_numpy(dtype=float)) \
        if len(df) else []
    sites = gpd.GeoDataFrame(df.reindex(columns=_SITE_COLUMNS), geometry=geom, crs=terrain.crs)
    warned = ev.people_warned
    bound = float(res.bound) if res.bound is not None else math.nan
    figures: dict[str, Any] = {
        "people_exposed_expected": prob.people_exposed,
        "people_warned_expected": warned,
        "people_not_warned_expected": ev.people_not_warned,
        "people_unwarnable_expected": prob.people_unwarnable,
        "warned_share": warned / prob.people_exposed if prob.people_exposed > 0 else 0.0,
        "coverage_objective": float(prob.covered_weight(selected)),
        "coverage_bound": bound,
        "impact_objective": ev.people_not_warned,
        "impact_bound": prob.people_exposed - bound if math.isfinite(bound) else math.nan,
        "objective": params.objective,
        "n_water_level_new": len([j for j in selected if j not in fixed_set]),
        "n_water_level_existing": len(fixed_set),
        "required_flow_length_m": params.required_flow_length_m,
        **{f"n_{k}": v for k, v in prob.counts.items()},
        **rain_figs,
    }
    return SensorResult(sites=sites, warning_reach=reach, solver=res, rain_solver=rain_res,
                        lead_time_bands=ev.lead_time_bands, parameters=params, figures=figures,
                        accounting=ledger)


# --- the exposed places from the exposure step -------------------------------------------------
