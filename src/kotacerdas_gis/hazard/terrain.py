"""Terrain analysis with pyflwdir: depression filling, D8, upstream area, streams, HAND.

Everything hydrological is pyflwdir's (numba) code; this module chains it,
checks the input and converts units:

1. ``pyflwdir.dem.fill_depressions`` (Wang & Liu 2006 priority flood) fills
   depressions and derives D8 directions in one pass; outlets are the edge of
   the valid cells.
2. ``upstream area`` is pyflwdir's cell-count accumulation (exact integers)
   times the cell area, in km².
3. streams are the cells draining at least ``stream_threshold_km2``; their
   Strahler order is ``pyflwdir.streams.strahler_order``.
4. HAND uses pyflwdir's ``fillnodata(..., direction="up")``: the elevation of
   each stream cell is carried up its catchment, so ``elevation - carried`` is
   the height above the stream cell a cell drains to (both from the unfilled DEM). This equals
   ``FlwdirRaster.hand`` (a pure Python loop, ≈ 3 µs per cell) and is about
   250 times faster. Cells that drain to no stream (small edge basins) get NaN,
   not a number. The same trick carries the stream's upstream area up
   (``drain_area_km2``: how big a stream each cell would be flooded from).
5. distance to the stream along the flow path: each cell's D8 step length summed
   down to the stream with pyflwdir's numba ``accuflux_ds`` (pyflwdir's own
   ``stream_distance`` is a plain Python loop in 0.5.12).

Memory strategy: the whole-array path. Flow routing needs whole basins, so
tiles would need basin-aware stitching; instead the layers are kept compact
(float32, int32 cell counts, uint8 order, chunked temporaries). Measured with
``bench/bench_terrain.py`` (``bench/terrain.md``): a 10,000 x 10,000 DEM (10⁸
cells) peaks at 4.9 GB and takes about 90 s on 2 cores, far inside 24 GB. Read
a sub-area with ``derive_terrain(src, bounds=...)``.

numba compiles pyflwdir's functions on first use (≈ 13 s) and keeps them in its
on-disk cache; later processes load them in about 0.05 s.

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> dem = valley_dem(rows=9, cols=9, cell_m=10.0, side_slope=0.1, valley_slope=0.001)
>>> t = derive_terrain(dem, transform=Affine(10, 0, 0, 0, -10, 90), crs="EPSG:32751",
...                    stream_threshold_km2=0.0005)
>>> t.stream[2:8, 4].all(), np.round(t.hand_m[4].astype(float), 2).tolist()
(np.True_, [4.04, 3.03, 2.02, 1.01, 0.0, 1.01, 2.02, 3.03, 4.04])
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.ndimage as ndi
from affine import Affine

import geopandas as gpd
import pyflwdir
import pyflwdir.core
import pyflwdir.dem
import pyflwdir.streams
import shapely
from pyproj import CRS

from ..crs import as_crs, describe_crs, require_same_crs
from ..errors import CRSError, DataError, SchemaError
from ..io.raster import RasterSource

__all__ = [
    "Terrain",
    "derive_terrain",
    "streams_layer",
    "river_agreement",
    "valley_dem",
    "plane_dem",
]

log = logging.getLogger(__name__)

_NODATA = np.float32(-9999.0)


def _freeze(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Terrain:
    """Terrain layers derived from one DEM, on the DEM's grid (arrays are read-only).

    Attributes
    ----------
    transform : affine.Affine
        Grid transform, metres in ``crs``.
    crs : pyproj.CRS
        The working CRS (metric).
    elevation_m : ndarray of float32
        Depression-filled elevation, m; NaN outside the DEM.
    valid : ndarray of bool
        Cells with elevation.
    flwdir : pyflwdir.FlwdirRaster
        D8 flow directions.
    upstream_area_km2 : ndarray of float32
        Area draining through each cell, km² (the cell included); NaN outside.
    stream : ndarray of bool
        Cells with ``upstream_area_km2 >= stream_threshold_km2``.
    stream_order : ndarray of uint8
        Strahler order on stream cells, 0 elsewhere.
    hand_m : ndarray of float32
        Height above the nearest drainage: the DEM's elevation minus the DEM's
        elevation of the stream cell reached downstream, m (as pyflwdir's
        ``hand``); NaN where a cell drains to no stream. Negative in the bottom
        of closed depressions that lie below the stream they spill into (they
        flood first).
    distance_to_stream_m : ndarray of float32
        Flow-path length to that stream cell, m; NaN where there is none.
    drain_area_km2 : ndarray of float32
        Upstream area of that stream cell, km²; NaN where there is none.
    slope_deg : ndarray of float32
        Local slope of the unfilled DEM (3 x 3 Sobel-type gradient), degrees.
    stream_threshold_km2 : float
        Upstream area from which a cell is a stream, km².
    provenance : Mapping
        Source, parameters, method and library versions.
    """

    transform: Affine
    crs: CRS
    elevation_m: np.ndarray
    valid: np.ndarray
    flwdir: pyflwdir.FlwdirRaster
    upstream_area_km2: np.ndarray
    stream: np.ndarray
    stream_order: np.ndarray
    hand_m: np.ndarray
    distance_to_stream_m: np.ndarray
    drain_area_km2: np.ndarray
    slope_deg: np.ndarray
    stream_threshold_km2: float
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.elevation_m.shape  # type: ignore[return-value]

    @property
    def cell_size_m(self) -> tuple[float, float]:
        """Cell width and height, m."""
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell, m²."""
        return abs(self.transform.a * self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in ``crs``."""
        rows, cols = self.shape
        left, top = self.transform.c, self.transform.f
        right = left + cols * self.transform.a
        bottom = top + rows * self.transform.e
        return (min(left, right), min(top, bottom), max(left, right), max(top, bottom))


def _lap(timings: dict[str, float], step: str, tic: float) -> float:
    now = time.perf_counter()
    timings[step] = round(now - tic, 4)
    return now


def _step_length_m(idxs_ds: np.ndarray, ncol: int, xres: float, yres: float,
                   chunk: int = 8_000_000) -> np.ndarray:
    """Length of each cell's D8 step to its downstream cell, m (0 at pits), float32."""
    n = idxs_ds.size
    out = np.zeros(n, dtype=np.float32)
    lut = np.array([[math.hypot(dr * yres, dc * xres) for dc in (-1, 0, 1)]
                    for dr in (-1, 0, 1)], dtype=np.float32)
    for i0 in range(0, n, chunk):
        i1 = min(i0 + chunk, n)
        idx = np.arange(i0, i1, dtype=np.int64)
        ds = idxs_ds[i0:i1].astype(np.int64)
        ok = (ds >= 0) & (ds < n)
        ds = np.where(ok, ds, idx)
        dr = ds // ncol - idx // ncol
        dc = ds % ncol - idx % ncol
        out[i0:i1] = np.where(ok & (np.abs(dr) <= 1) & (np.abs(dc) <= 1),
                              lut[np.clip(dr, -1, 1) + 1, np.clip(dc, -1, 1) + 1], 0.0)
    return out


def _check_dem(elev: np.ndarray, name: str) -> np.ndarray:
    if elev.ndim != 2:
        raise DataError(f"{name}: expected a 2-D elevation array, found shape {elev.shape}.")
    if min(elev.shape) < 3:
        raise DataError(
            f"{name}: expected a DEM of at least 3 x 3 cells, found {elev.shape[0]} x "
            f"{elev.shape[1]}. Use a larger area."
        )
    valid = np.isfinite(elev)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise DataError(
            f"{name}: every cell is nodata. Check the nodata value and that the DEM covers "
            "the study area."
        )
    lo, hi = float(np.nanmin(elev)), float(np.nanmax(elev))
    if hi - lo <= 0:
        raise DataError(
            f"{name}: the DEM is flat (every valid cell is {lo} m); flow directions, streams "
            "and HAND need relief. Check that the right band and file were read."
        )
    return valid


def derive_terrain(
    dem: RasterSource | np.ndarray,
    *,
    transform: Affine | None = None,
    crs: Any = None,
    nodata: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    stream_threshold_km2: float = 1.0,
    max_fill_depth_m: float | None = None,
    compute_slope: bool = True,
) -> Terrain:
    """Fill, route and measure a DEM with pyflwdir; return the terrain layers.

    Parameters
    ----------
    dem : RasterSource or ndarray
        Elevation in metres: a lazily read raster (see
        :func:`kotacerdas_gis.io.raster.read_raster`) or a 2-D array (integer or
        float) with ``transform`` and ``crs``.
    transform : affine.Affine, optional
        Grid transform for an array DEM.
    crs : CRS-like, optional
        CRS of an array DEM; must be metric (EPSG:32751).
    nodata : float, optional
        Nodata value of an array DEM (NaN is always nodata).
    bounds : tuple of float, optional
        ``(left, bottom, right, top)`` to read from a RasterSource; the DEM must
        cover them.
    stream_threshold_km2 : float, default 1.0
        Upstream area from which a cell is a stream, km².
    max_fill_depth_m : float, optional
        Depressions deeper than this stay pits (pyflwdir ``max_depth``); by
        default every depression is filled.
    compute_slope : bool, default True
        Compute ``slope_deg`` (else it is all NaN).

    Returns
    -------
    Terrain
        See :class:`Terrain` for the layers.

    Raises
    ------
    CRSError
        If the CRS is missing, geographic or not in metres, or the grid is rotated.
    DataError
        If the DEM is all nodata, flat, smaller than 3 x 3 cells or does not cover ``bounds``.
    ValueError
        If ``stream_threshold_km2`` is not positive.
    """
    if not stream_threshold_km2 > 0:
        raise ValueError(
            f"stream_threshold_km2 must be a positive area in km², found {stream_threshold_km2}"
        )
    timings: dict[str, float] = {}
    tic = time.perf_counter()
    if isinstance(dem, RasterSource):
        name = dem.name
        if bounds is not None:
            window = dem.window_for_bounds(bounds)
            elev = dem.read(window=window, as_float=True)
            transform = dem.window_transform(window)
        else:
            elev = dem.read(as_float=True)
            transform = dem.transform
        crs = dem.crs
        source = str(dem.path)
    else:
        name = "DEM array"
        if transform is None or crs is None:
            raise CRSError(
                "DEM array: expected transform= and crs= with an array DEM (e.g. "
                'crs="EPSG:32751"), found ' + ("no transform" if transform is None else "no CRS")
                + ". Or pass a RasterSource from kotacerdas_gis.io.raster.read_raster()."
            )
        arr = np.asarray(dem)
        elev = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32)
        if nodata is not None:
            elev = np.where(arr == nodata, np.nan, elev).astype(elev.dtype)
        source = "array"
    crs = as_crs(crs)
    require_same_crs(dem=crs)
    if transform.b != 0 or transform.d != 0:
        raise CRSError(f"{name}: the grid is rotated ({transform}); warp it to north-up first.")
    elev = np.asarray(elev, dtype=np.float32)
    valid = _check_dem(elev, name)
    nrow, ncol = elev.shape
    cell_area_m2 = abs(transform.a * transform.e)
    tic = _lap(timings, "read_check", tic)

    # 1. depression filling and D8 in one pass (NaN is pyflwdir's nodata here)
    filled, d8 = pyflwdir.dem.fill_depressions(
        elev, nodata=np.nan, max_depth=-1.0 if max_fill_depth_m is None else max_fill_depth_m,
        outlets="edge",
    )
    filled = filled.astype(np.float32, copy=False)
    tr6 = tuple(float(v) for v in tuple(transform)[:6])  # numba cannot type Affine objects
    flw = pyflwdir.from_array(d8, ftype="d8", transform=tr6, latlon=False,
                              check_ftype=False, cache=False)
    del d8
    idxs_ds, seq = flw.idxs_ds, flw.idxs_seq
    tic = _lap(timings, "fill_d8", tic)

    # 2. upstream area: exact cell counts x cell area
    ncells = pyflwdir.streams.accuflux(idxs_ds, seq, np.ones(elev.size, dtype=np.int32), -9999)
    upa = (ncells.astype(np.float32) * np.float32(cell_area_m2 / 1e6)).reshape(nrow, ncol)
    del ncells
    upa[~valid] = np.nan
    tic = _lap(timings, "upstream_area", tic)

    # 3. streams and Strahler order
    stream = valid & (upa >= np.float32(stream_threshold_km2))
    strord = pyflwdir.streams.strahler_order(idxs_ds, seq, mask=stream.ravel()).reshape(nrow, ncol)
    tic = _lap(timings, "streams_order", tic)

    # 4. HAND and drainage area by carrying stream values up the catchments
    drain_elev = np.where(stream, elev, _NODATA).ravel()
    drain_elev = pyflwdir.core.fillnodata_upstream(idxs_ds, seq, drain_elev, _NODATA)
    has_drain = (drain_elev != _NODATA).reshape(nrow, ncol) & valid
    hand = np.where(has_drain, elev - drain_elev.reshape(nrow, ncol), np.nan).astype(np.float32)
    del drain_elev
    drain_upa = np.where(stream, upa, _NODATA).ravel()
    drain_upa = pyflwdir.core.fillnodata_upstream(idxs_ds, seq, drain_upa, _NODATA)
    drain_upa = np.where(has_drain, drain_upa.reshape(nrow, ncol), np.nan).astype(np.float32)
    tic = _lap(timings, "hand_drain_area", tic)

    # 5. flow-path distance to that stream cell: the length of each cell's D8 step,
    # accumulated downstream-to-upstream by pyflwdir's numba accuflux_ds and stopped at the
    # streams (pyflwdir's stream_distance is a plain Python loop in 0.5.12)
    step = _step_length_m(idxs_ds, ncol, abs(transform.a), abs(transform.e))
    step[stream.ravel()] = _NODATA
    dist = pyflwdir.streams.accuflux_ds(idxs_ds, seq, step, _NODATA).reshape(nrow, ncol)
    del step
    dist[stream] = 0.0
    dist = np.where(has_drain, dist, np.nan).astype(np.float32)
    tic = _lap(timings, "distance", tic)

    if compute_slope:
        slope_mm = pyflwdir.dem.slope(np.where(valid, elev, _NODATA), nodata=_NODATA,
                                      latlon=False, transform=tr6)
        slope = np.where(valid, np.degrees(np.arctan(slope_mm)), np.nan).astype(np.float32)
        del slope_mm
    else:
        slope = np.full(elev.shape, np.nan, dtype=np.float32)
    filled[~valid] = np.nan
    tic = _lap(timings, "slope", tic)
    n_stream = int(stream.sum())
    if n_stream == 0:
        log.warning("%s: no cell drains %s km2 or more; lower stream_threshold_km2",
                    name, stream_threshold_km2)
    prov = {
        "source": source,
        "crs": describe_crs(crs),
        "shape": [nrow, ncol],
        "cell_size_m": [abs(transform.a), abs(transform.e)],
        "stream_threshold_km2": float(stream_threshold_km2),
        "max_fill_depth_m": max_fill_depth_m,
        "n_valid_cells": int(valid.sum()),
        "n_stream_cells": n_stream,
        "method": "pyflwdir fill_depressions (Wang & Liu 2006), D8; HAND by fillnodata upstream",
        "pyflwdir_version": pyflwdir.__version__,
        "timings_s": timings,
    }
    return Terrain(
        transform=transform, crs=crs, elevation_m=_freeze(filled), valid=_freeze(valid),
        flwdir=flw, upstream_area_km2=_freeze(upa), stream=_freeze(stream),
        stream_order=_freeze(strord.astype(np.uint8, copy=False)), hand_m=_freeze(hand),
        distance_to_stream_m=_freeze(dist), drain_area_km2=_freeze(drain_upa),
        slope_deg=_freeze(slope), stream_threshold_km2=float(stream_threshold_km2),
        provenance=prov,
    )


def streams_layer(terrain: Terrain, *, min_order: int = 1) -> gpd.GeoDataFrame:
    """The derived stream network as LineStrings between confluences.

    Parameters
    ----------
    terrain : Terrain
        From :func:`derive_terrain`.
    min_order : int, default 1
        Keep segments of at least this Strahler order.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``terrain.crs``, one row per segment (cell centres, upstream to
        downstream, ending at the confluence or outlet cell), columns:
        ``stream_id`` (int), ``upstream_area_km2`` (at the segment's last cell
        before the confluence, km²), ``stream_order`` (Strahler),
        ``flow_length_m`` (longest flow path along the network from a headwater
        stream cell to the segment's downstream end, m), ``length_m``.

    Examples
    --------
    >>> from affine import Affine
    >>> dem = valley_dem(rows=9, cols=9, cell_m=10.0, side_slope=0.1, valley_slope=0.001)
    >>> t = derive_terrain(dem, transform=Affine(10, 0, 0, 0, -10, 90), crs="EPSG:32751",
    ...                    stream_threshold_km2=0.0005)
    >>> streams_layer(t)[["stream_order", "length_m", "flow_length_m"]].values.tolist()
    [[1.0, 60.0, 60.0], [1.0, 20.0, 20.0], [1.0, 20.0, 20.0]]
    """
    flw = terrain.flwdir
    nrow, ncol = terrain.shape
    mask = terrain.stream & (terrain.stream_order >= min_order)
    segs = pyflwdir.streams.streams(flw.idxs_ds, flw.idxs_seq, mask=mask.ravel())
    segs = [s for s in segs if len(s) >= 2 and s[0] != s[-1]]
    columns = ["stream_id", "upstream_area_km2", "stream_order", "flow_length_m", "length_m"]
    if not segs:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=terrain.crs)
    lengths = np.array([len(s) for s in segs])
    flat = np.concatenate(segs)
    rows, cols = np.divmod(flat, ncol)
    t = terrain.transform
    xs = t.c + (cols + 0.5) * t.a
    ys = t.f + (rows + 0.5) * t.e
    geoms = shapely.linestrings(np.column_stack([xs, ys]),
                                indices=np.repeat(np.arange(len(segs)), lengths))
    length_m = shapely.length(geoms)
    first = np.array([s[0] for s in segs])
    last_in = np.array([s[-2] for s in segs])  # last cell before the confluence
    end = np.array([s[-1] for s in segs])
    upa = terrain.upstream_area_km2.ravel()[last_in].astype(float)
    order = terrain.stream_order.ravel()[first].astype(int)
    # longest path from a headwater: process segments from small to large upstream area
    flow_len = np.zeros(len(segs))
    best_in: dict[int, float] = {}
    for i in np.argsort(upa, kind="stable"):
        flow_len[i] = best_in.get(int(first[i]), 0.0) + length_m[i]
        e = int(end[i])
        if flow_len[i] > best_in.get(e, -1.0):
            best_in[e] = flow_len[i]
    gdf = gpd.GeoDataFrame(
        {
            "stream_id": np.arange(1, len(segs) + 1),
            "upstream_area_km2": upa,
            "stream_order": order,
            "flow_length_m": flow_len,
            "length_m": length_m,
        },
        geometry=geoms,
        crs=terrain.crs,
    )
    return gdf


def river_agreement(
    terrain: Terrain, rivers: gpd.GeoDataFrame, *, tolerance_m: float | None = None,
    spacing_m: float | None = None,
) -> float:
    """Share of the length of mapped rivers lying within ``tolerance_m`` of a derived stream cell.

    Parameters
    ----------
    terrain : Terrain
        Derived streams.
    rivers : GeoDataFrame
        Mapped river lines, in ``terrain.crs``.
    tolerance_m : float, optional
        Distance to the nearest stream cell centre; default two cells.
    spacing_m : float, optional
        Spacing of the sample points along the rivers; default half a cell.

    Returns
    -------
    float
        0-1, length-weighted (rivers outside the DEM count as misses).

    Raises
    ------
    CRSMismatchError
        If ``rivers`` is in another CRS.
    """
    require_same_crs(terrain=terrain.crs, rivers=rivers)
    cell = min(terrain.cell_size_m)
    tol = 2 * cell if tolerance_m is None else tolerance_m
    step = cell / 2 if spacing_m is None else spacing_m
    lines = shapely.get_parts(rivers.geometry.values)
    lines = lines[~shapely.is_empty(lines)]
    if len(lines) == 0:
        raise DataError("rivers: expected river lines, found no geometry.")
    pts = []
    for line in lines:
        n = max(int(math.ceil(line.length / step)), 1)
        pts.append(shapely.line_interpolate_point(line, (np.arange(n) + 0.5) * line.length / n))
    p = np.concatenate(pts)
    x, y = shapely.get_x(p), shapely.get_y(p)
    dist = ndi.distance_transform_edt(~terrain.stream, sampling=terrain.cell_size_m[::-1])
    t = terrain.transform  # north-up (checked in derive_terrain)
    c = np.floor((x - t.c) / t.a).astype(int)
    r = np.floor((y - t.f) / t.e).astype(int)
    inside = (r >= 0) & (r < terrain.shape[0]) & (c >= 0) & (c < terrain.shape[1])
    ok = np.zeros(len(p), dtype=bool)
    ok[inside] = dist[r[inside], c[inside]] <= tol
    return float(ok.mean())


# --- synthetic DEM builders for tests, doctests and benchmarks --------------------------------
def valley_dem(
    *, rows: int, cols: int, cell_m: float, side_slope: float, valley_slope: float,
    base_m: float = 100.0, dtype: Any = np.float32,
) -> np.ndarray:
    """A V-shaped valley draining south, its axis in the middle column (for tests and benches).

    ``z = base + side_slope * |x - x_axis| + valley_slope * (distance from the south edge)``,
    x and distances in metres. pyflwdir routes each side cell diagonally down to the
    axis, so a cell ``k`` columns from the axis in row ``r`` (with ``r + k`` at most
    ``rows - 1``) drains to the axis cell ``k`` rows further south and its HAND is
    ``k * cell_m * (side_slope + valley_slope)`` once the axis is a stream; its
    distance to the stream is ``k * cell_m * sqrt(2)``.
    """
    if cols % 2 == 0:
        raise SchemaError(f"valley_dem: cols must be odd so the axis is a column, found {cols}")
    xc = np.abs(np.arange(cols) - cols // 2) * cell_m
    yd = (rows - 1 - np.arange(rows)) * cell_m
    z = base_m + side_slope * xc[None, :] + valley_slope * yd[:, None]
    return z.astype(dtype)


def plane_dem(*, rows: int, cols: int, cell_m: float, slope_east: float = 0.2,
              slope_south: float = 0.1, base_m: float = 100.0, dtype: Any = np.float32
              ) -> np.ndarray:
    """A plane dipping east and south (``slope_east > slope_south > 0``), for tests and benches.

    Every interior cell drains south-east (the steepest and first-flooded neighbour),
    so the upstream area of cell ``(r, c)`` (row 0 = north) with ``r < rows - 1``
    and ``c < cols - 1`` is ``(min(r, c) + 1) * cell_m²``; the last row and column
    collect everything and drain to the single outlet in the south-east corner.
    """
    yd = (rows - 1 - np.arange(rows)) * cell_m
    xd = np.arange(cols) * cell_m
    z = base_m - slope_east * xd[None, :] + slope_south * yd[:, None]
    return z.astype(dtype)


def _frame_summary(t: Terrain) -> pd.Series:  # pragma: no cover - debugging helper
    return pd.Series({"cells": t.valid.sum(), "streams": t.stream.sum(),
                      "hand_nan": np.isnan(t.hand_m[t.valid]).sum()})
