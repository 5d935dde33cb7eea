"""Calibrate DEM (HAND) flood zones against an observed footprint, on the DEM grid.

The footprint is rasterised onto the terrain grid (cell centres inside a
polygon are flooded). Inside an evaluation *domain* (by default the
footprint's convex hull buffered by ``domain_buffer_m``: the area that was
surveyed; elsewhere nobody mapped the flood, so "false alarms" there mean
nothing), every candidate ``(stage_m, min_drain_area_km2)`` of a grid is
scored at once: for each drainage-area threshold the HAND values of the
eligible cells are sorted, and the hits and false alarms of every stage are
two ``searchsorted`` calls. The fit maximises the critical success index.

Scores (cells counted inside the domain, reported in m²):

- POD (hit rate) = hits / (hits + misses)
- FAR (false-alarm ratio) = false alarms / (hits + false alarms)
- CSI (critical success index) = hits / (hits + misses + false alarms)
- bias = predicted area / observed area

Examples
--------
>>> import numpy as np
>>> s = extent_scores(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool),
...                   cell_area_m2=900.0)
>>> s["csi"], s["pod"], s["far"], s["hits_m2"]
(0.3333333333333333, 0.5, 0.5, 900.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import geopandas as gpd
import rasterio.features
import shapely

from ..accounting import jsonable
from ..crs import require_same_crs
from ..errors import DataError
from .classes import PETABENCANA, ClassSet, get_class_set
from .terrain import Terrain
from .zones import dem_depth_m, observed_zones

__all__ = ["Calibration", "calibrate_hand", "extent_scores", "rasterize_footprint"]


def extent_scores(
    predicted: np.ndarray, observed: np.ndarray, *, cell_area_m2: float,
    domain: np.ndarray | None = None,
) -> dict[str, float]:
    """Contingency scores of a predicted against an observed flood extent (boolean grids).

    Returns ``pod``, ``far``, ``csi``, ``bias`` (NaN when undefined) and
    ``hits_m2``, ``misses_m2``, ``false_alarms_m2``, ``observed_m2``,
    ``predicted_m2``, ``domain_m2``.
    """
    p = np.asarray(predicted, dtype=bool)
    o = np.asarray(observed, dtype=bool)
    if p.shape != o.shape:
        raise ValueError(f"predicted {p.shape} and observed {o.shape} grids differ in shape")
    if domain is not None:
        d = np.asarray(domain, dtype=bool)
        p, o = p & d, o & d
        n_dom = int(d.sum())
    else:
        n_dom = p.size
    hits = int((p & o).sum())
    fa = int((p & ~o).sum())
    miss = int((~p & o).sum())
    return _scores(hits, miss, fa, cell_area_m2, n_dom)


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


def _scores(hits: int, miss: int, fa: int, cell: float, n_dom: int) -> dict[str, float]:
    return {
        "pod": _div(hits, hits + miss),
        "far": _div(fa, hits + fa),
        "csi": _div(hits, hits + miss + fa),
        "bias": _div(hits + fa, hits + miss),
        "hits_m2": hits * cell,
        "misses_m2": miss * cell,
        "false_alarms_m2": fa * cell,
        "observed_m2": (hits + miss) * cell,
        "predicted_m2": (hits + fa) * cell,
        "domain_m2": n_dom * cell,
    }


def rasterize_footprint(
    footprint: gpd.GeoDataFrame, terrain: Terrain, *, values: Sequence[int] | None = None
) -> np.ndarray:
    """Burn footprint polygons onto the terrain grid (cell centre inside = burnt).

    Returns a uint8 grid: ``values`` (e.g. class ranks, highest burnt last) or 1.
    """
    require_same_crs(terrain=terrain.crs, footprint=footprint)
    geoms = np.asarray(footprint.geometry.values, dtype=object)
    vals = np.ones(len(geoms), dtype=int) if values is None else np.asarray(values, dtype=int)
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    geoms, vals = geoms[ok], vals[ok]
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    order = np.argsort(vals, kind="stable")
    if len(geoms) == 0:
        return np.zeros(terrain.shape, dtype=np.uint8)
    return rasterio.features.rasterize(
        zip(geoms[order], vals[order].tolist(), strict=False), out_shape=terrain.shape,
        transform=terrain.transform, fill=0, dtype="uint8",
    )


@dataclass(frozen=True)
class Calibration:
    """Fitted DEM-zone parameters and their scores against the observed footprint.

    Attributes
    ----------
    stage_m : float
        Fitted flood stage above the drainage, m.
    min_drain_area_km2 : float
        Fitted smallest upstream area of the flooding stream, km².
    max_slope_deg : float or None
        Slope limit used (not fitted).
    hand_thresholds_m : dict
        Implied HAND upper limit per class key (``stage_m - class.min_value``), m.
    csi, pod, far, bias : float
        Scores of the fitted parameters inside the domain (before sieving).
    hits_m2, misses_m2, false_alarms_m2, observed_m2, predicted_m2, domain_m2 : float
        Areas inside the domain, m².
    observed_area_by_class_m2, predicted_area_by_class_m2 : dict
        Area per class key inside the domain, m².
    search : dict
        The candidate grid: stages, drainage areas, number of candidates, and
        the best CSI per drainage area.
    class_set : str
        Name of the class set used for the areas by class.
    """

    stage_m: float
    min_drain_area_km2: float
    max_slope_deg: float | None
    hand_thresholds_m: Mapping[str, float]
    csi: float
    pod: float
    far: float
    bias: float
    hits_m2: float
    misses_m2: float
    false_alarms_m2: float
    observed_m2: float
    predicted_m2: float
    domain_m2: float
    observed_area_by_class_m2: Mapping[str, float] = field(default_factory=dict)
    predicted_area_by_class_m2: Mapping[str, float] = field(default_factory=dict)
    search: Mapping[str, Any] = field(default_factory=dict)
    class_set: str = PETABENCANA.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN becomes None), for summary.json under ``"hazard"``."""
        return jsonable(asdict(self))

    def dem_zones_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`kotacerdas_gis.hazard.zones.dem_zones`."""
        return {"stage_m": self.stage_m, "min_drain_area_km2": self.min_drain_area_km2,
                "max_slope_deg": self.max_slope_deg}


def calibrate_hand(
    terrain: Terrain,
    footprint: gpd.GeoDataFrame,
    *,
    stages_m: Sequence[float] | None = None,
    min_drain_areas_km2: Sequence[float] | None = None,
    max_slope_deg: float | None = None,
    domain: gpd.GeoDataFrame | None = None,
    domain_buffer_m: float = 1000.0,
    class_set: ClassSet | str = PETABENCANA,
    depth_min_col: str | None = "depth_min_m",
    depth_max_col: str | None = "depth_max_m",
) -> Calibration:
    """Fit the flood stage and drainage-area threshold that best reproduce a footprint.

    Parameters
    ----------
    terrain : Terrain
        From :func:`~kotacerdas_gis.hazard.terrain.derive_terrain`.
    footprint : GeoDataFrame
        Observed flood polygons, in ``terrain.crs``.
    stages_m : sequence of float, optional
        Candidate stages, m; default 0.25 to 20 m by 0.25 m.
    min_drain_areas_km2 : sequence of float, optional
        Candidate thresholds, km²; default the stream threshold and 1, 2, 5,
        10, 20, 50, 100, 200, 500, 1000 km² above it (up to the largest stream).
    max_slope_deg : float, optional
        Fixed slope limit, as in ``dem_zones``.
    domain : GeoDataFrame, optional
        Where the scores are counted; default the footprint's convex hull
        buffered by ``domain_buffer_m``.
    domain_buffer_m : float, default 1000.0
        Buffer of the default domain, m.
    class_set : ClassSet or str, default PETABENCANA
        For the areas by class (observed depths and ``stage - HAND``).
    depth_min_col, depth_max_col : str or None
        Depth columns of the footprint for the observed areas by class; if
        missing, the observed areas by class are left empty.

    Returns
    -------
    Calibration
        Parameters with the best CSI (ties: the smaller stage), and scores.

    Raises
    ------
    CRSMismatchError
        If the footprint is not in the terrain's CRS.
    DataError
        If no footprint cell falls on valid DEM cells.
    """
    cs = get_class_set(class_set)
    require_same_crs(terrain=terrain.crs, footprint=footprint)
    observed = rasterize_footprint(footprint, terrain).astype(bool) & terrain.valid
    if domain is None:
        # the hull of the vertices: no union, so invalid polygons (repaired when burnt) do not
        # make GEOS fail here
        hull = shapely.convex_hull(shapely.multipoints(
            shapely.get_coordinates(footprint.geometry.values)))
        dom_geom = [shapely.buffer(hull, domain_buffer_m)]
    else:
        require_same_crs(terrain=terrain.crs, domain=domain)
        dom_geom = list(domain.geometry.values)
    dom = rasterio.features.rasterize(
        [(g, 1) for g in dom_geom], out_shape=terrain.shape, transform=terrain.transform,
        fill=0, dtype="uint8").astype(bool) & terrain.valid
    n_obs = int((observed & dom).sum())
    if n_obs == 0:
        raise DataError(
            "flood footprint: no footprint cell falls on a valid DEM cell inside the domain. "
            "Check that the DEM covers the footprint and both are in the working CRS."
        )
    cell = terrain.cell_area_m2
    stages = (np.round(np.arange(0.25, 20.0001, 0.25), 4) if stages_m is None
              else np.sort(np.asarray(stages_m, dtype=float)))
    max_upa = float(np.nanmax(terrain.drain_area_km2)) if np.isfinite(
        terrain.drain_area_km2).any() else terrain.stream_threshold_km2
    if min_drain_areas_km2 is None:
        cand = [terrain.stream_threshold_km2] + [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        areas = sorted({float(a) for a in cand
                        if terrain.stream_threshold_km2 <= a <= max_upa})
    else:
        areas = sorted(float(a) for a in min_drain_areas_km2)
    hand = terrain.hand_m
    with np.errstate(invalid="ignore"):
        base = dom & np.isfinite(hand)
        if max_slope_deg is not None:
            base &= terrain.slope_deg <= max_slope_deg
    best: tuple[float, float, float] | None = None  # (csi, stage, area)
    best_by_area: dict[str, float] = {}
    for a in areas:
        with np.errstate(invalid="ignore"):
            elig = base & (terrain.drain_area_km2 >= a)
        h_obs = np.sort(hand[elig & observed])
        h_non = np.sort(hand[elig & ~observed])
        hits = np.searchsorted(h_obs, stages, side="left")
        fa = np.searchsorted(h_non, stages, side="left")
        csi = hits / (n_obs + fa)
        i = int(np.argmax(csi))
        best_by_area[f"{a:g}"] = float(csi[i])
        if best is None or csi[i] > best[0] + 1e-12:
            best = (float(csi[i]), float(stages[i]), a)
    assert best is not None
    _, stage, area = best
    depth = dem_depth_m(terrain, stage_m=stage, min_drain_area_km2=area,
                        max_slope_deg=max_slope_deg)
    predicted = np.isfinite(depth) & dom
    sc = extent_scores(predicted, observed, cell_area_m2=cell, domain=dom)
    pred_ranks = np.asarray(cs.classify_ranks(np.where(predicted, depth, np.nan)), dtype=int)
    pred_by = {c.key: float((pred_ranks == c.rank).sum() * cell) for c in cs}
    obs_by: dict[str, float] = {}
    cols = [c for c in (depth_min_col, depth_max_col) if c]
    if cols and all(c in footprint.columns for c in cols) and cs.value_name == "depth_m":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oz = observed_zones(footprint, class_set=cs, depth_min_col=depth_min_col,
                                depth_max_col=depth_max_col)
        obs_ranks = rasterize_footprint(oz.zones, terrain,
                                        values=oz.zones["class_rank"].to_numpy())
        obs_ranks = np.where(dom, obs_ranks, 0)
        obs_by = {c.key: float((obs_ranks == c.rank).sum() * cell) for c in cs}
    return Calibration(
        stage_m=stage,
        min_drain_area_km2=area,
        max_slope_deg=max_slope_deg,
        hand_thresholds_m={c.key: float(stage - max(c.min_value, 0.0)) for c in cs
                           if stage - max(c.min_value, 0.0) > 0},
        csi=sc["csi"], pod=sc["pod"], far=sc["far"], bias=sc["bias"],
        hits_m2=sc["hits_m2"], misses_m2=sc["misses_m2"],
        false_alarms_m2=sc["false_alarms_m2"], observed_m2=sc["observed_m2"],
        predicted_m2=sc["predicted_m2"], domain_m2=sc["domain_m2"],
        observed_area_by_class_m2=obs_by,
        predicted_area_by_class_m2=pred_by,
        search={
            "stages_m": [float(stages[0]), float(stages[-1]), int(len(stages))],
            "min_drain_areas_km2": areas,
            "n_candidates": int(len(stages) * len(areas)),
            "best_csi_by_min_drain_area_km2": best_by_area,
            "domain": "given" if domain is not None
            else f"footprint convex hull + {domain_buffer_m:g} m",
        },
        class_set=cs.name,
    )
