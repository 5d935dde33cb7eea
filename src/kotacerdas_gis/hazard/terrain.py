"""Terrain analysis with pyflwdir: depression filling, D8, upstream area, streams, HAND.

Everything hydrological is pyflwdir's (numba) code; this module chains it,
checks the input and converts units:

1. ``pyflwdir.dem.fill_depressions`` (Wang & Liu 2006 priority flood) fills
   depressions and derives D8 directions in one pass; outlets are the edge of
   the valid cells. When every depression is filled, the same algorithm runs on a
   packed-key heap (:mod:`kotacerdas_gis.hazard._fill`): identical filled DEM and
   D8, several times faster: pyflwdir's queue of tuples was most of the run time.
2. ``upstream area`` is pyflwdir's cell-count accumulation (exact integers)
   times the cell area, in km².
3. streams are the cells draining at least ``stream_threshold_km2``; their
   Strahler order is ``pyflwdir.streams.strahler_order``.
4. HAND uses pyflwdir's ``fillnodata(..., direction="up")``: the *filled*
   elevation of each stream cell (its water level) is carried up its catchment,
   and HAND is the DEM's elevation minus it. This equals ``FlwdirRaster.hand``
   on the filled DEM minus the cell's fill depth (``hand`` is a pure Python
   loop, ≈ 3 µs per cell; this is about 250 times faster). Measuring from the
   filled level matters where a stream crosses a filled depression: its bottom
   lies below the water that spills out of it, and which bottom cells the flat
   routing crosses is arbitrary. Cells that drain to no stream (small edge
   basins) get NaN, not a number. The same trick carries the stream's upstream
   area up (``drain_area_km2``: how big a stream each cell would be flooded from).
5. distance to the stream along the flow path: each cell's D8 step length summed
   down to the stream with pyflwdir's numba ``accuflux_ds`` (pyflwdir's own
   ``stream_distance`` is a plain Python loop in 0.5.12).

Steps 1-4 run in :func:`derive_terrain`; ``drain_area_km2``,
``distance_to_stream_m`` and ``slope_deg`` are computed on first access and
cached (:class:`Terrain` properties).

Memory strategy: the whole-array path. Flow routing needs whole basins, so
tiles would need basin-aware stitching; instead the layers are kept compact
(float32, int32 indices, int32 cell counts converted to float32 in place, uint8
order, bool masks), temporaries are overwritten in place and the optional layers
are lazy: 27 bytes per cell are held and no step holds more than 28. The DEM is
read by row windows into one float32 buffer, let go during the routing and read
again for HAND; the cells are ordered by :func:`~kotacerdas_gis.hazard._fill.upstream_order`
(pyflwdir's order from a compressed upstream list; pyflwdir's own holds a dense
matrix of up to 8 x 4 bytes per cell). Measured with ``bench/bench_terrain.py``
(``bench/terrain.md``, memory model per layer there): 10,800 x 10,800 cells (the
regency at 8 m) peak at 3.4 GiB, 3.55 GiB with ``dem_zones``. Read a sub-area
with ``derive_terrain(src, bounds=...)``.

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
from functools import cached_property
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
from rasterio.windows import Window

from ..crs import as_crs, describe_crs, require_same_crs
from ..errors import CRSError, DataError
from ..rasterlike import RasterLike
from ._fill import fill_depressions_d8, upstream_order

__all__ = [
    "Terrain",
    "derive_terrain",
    "streams_layer",
    "river_agreement",
]

log = logging.getLogger(__name__)

_NODATA = np.float32(-9999.0)
#: Rows of about this many cells per block when the DEM is read or converted.
_READ_BLOCK_CELLS = 4_000_000


def _freeze(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Terrain:
    """Terrain layers derived from one DEM, on the DEM's grid (arrays are read-only).

    The core layers are computed by :func:`derive_terrain`; ``drain_area_km2``,
    ``distance_to_stream_m`` and ``slope_deg`` are computed on first access and
    then cached (each costs 4 bytes per cell), so a caller that needs only HAND
    and streams does not pay for them.

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
        Height above the nearest drainage: the DEM's elevation minus the
        depression-filled elevation (the water level) of the stream cell reached
        downstream, m; NaN where a cell drains to no stream. 0 on unfilled streams;
        negative in filled depressions, by the depth of the cell below the
        depression's spill level (they flood first).
    stream_threshold_km2 : float
        Upstream area from which a cell is a stream, km².
    provenance : Mapping
        Source, parameters, method, library versions and step timings (lazy
        layers add theirs when computed).
    dem_m : ndarray of float32
        The DEM as read (not filled), m; NaN outside the DEM.
    distance_to_stream_m : ndarray of float32
        (lazy) Flow-path length to that stream cell, m; NaN where there is none.
    drain_area_km2 : ndarray of float32
        (lazy) Upstream area of that stream cell, km²; NaN where there is none.
    slope_deg : ndarray of float32
        (lazy) Local slope of the unfilled DEM (3 x 3 Sobel-type gradient),
        degrees; all NaN if ``derive_terrain(..., compute_slope=False)``.
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
    stream_threshold_km2: float
    provenance: Mapping[str, Any] = field(default_factory=dict)
    dem_m: np.ndarray | None = field(default=None, repr=False)
    compute_slope: bool = field(default=True, repr=False)

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

    def _timed(self, step: str, tic: float) -> None:
        timings = self.provenance.get("timings_s") if isinstance(self.provenance, dict) else None
        if isinstance(timings, dict):
            timings[step] = round(time.perf_counter() - tic, 4)

    @cached_property
    def drain_area_km2(self) -> np.ndarray:
        """Upstream area of the stream cell each cell drains to, km² (NaN: none); lazy."""
        tic = time.perf_counter()
        flw = self.flwdir
        out = np.where(self.stream, self.upstream_area_km2, _NODATA).ravel()
        out = pyflwdir.core.fillnodata_upstream(flw.idxs_ds, flw.idxs_seq, out, _NODATA)
        out[~np.isfinite(self.hand_m.ravel())] = np.nan
        self._timed("drain_area", tic)
        return _freeze(out.reshape(self.shape))

    @cached_property
    def distance_to_stream_m(self) -> np.ndarray:
        """Flow-path length to the stream cell each cell drains to, m (NaN: none); lazy."""
        # the length of each cell's D8 step, accumulated downstream-to-upstream by pyflwdir's
        # numba accuflux_ds and stopped at the streams (pyflwdir's stream_distance is a plain
        # Python loop in 0.5.12)
        tic = time.perf_counter()
        flw = self.flwdir
        step = _step_length_m(flw.idxs_ds, self.shape[1], *self.cell_size_m)
        stream = self.stream.ravel()
        step[stream] = _NODATA
        dist = pyflwdir.streams.accuflux_ds(flw.idxs_ds, flw.idxs_seq, step, _NODATA)
        del step
        dist[stream] = 0.0
        dist[~np.isfinite(self.hand_m.ravel())] = np.nan
        self._timed("distance", tic)
        return _freeze(dist.reshape(self.shape))

    @cached_property
    def slope_deg(self) -> np.ndarray:
        """Local slope of the unfilled DEM, degrees (pyflwdir ``slope``); lazy."""
        tic = time.perf_counter()
        dem = self.elevation_m if self.dem_m is None else self.dem_m
        if not self.compute_slope:
            return _freeze(np.full(self.shape, np.nan, dtype=np.float32))
        out = _slope_deg(dem, self.valid, self.transform)
        self._timed("slope", tic)
        return _freeze(out)


def _lap(timings: dict[str, float], step: str, tic: float) -> float:
    now = time.perf_counter()
    timings[step] = round(now - tic, 4)
    return now


def _step_length_m(idxs_ds: np.ndarray, ncol: int, xres: float, yres: float,
                   chunk: int = 1_000_000) -> np.ndarray:
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


def _counts_to_km2(ncells: np.ndarray, cell_km2: np.float32,
                   chunk: int = 4_000_000) -> np.ndarray:
    """int32 cell counts -> float32 km², written over the same buffer chunk by chunk."""
    out = ncells.view(np.float32)
    for i0 in range(0, ncells.size, chunk):
        part = ncells[i0:i0 + chunk].astype(np.float32) * cell_km2
        out[i0:i0 + chunk] = part
    return out


def _slope_deg(dem: np.ndarray, valid: np.ndarray, transform: Affine,
               block_rows: int = 512) -> np.ndarray:
    """Slope of ``dem`` in degrees (pyflwdir's 3 x 3 stencil), float32, by row blocks."""
    nrow = dem.shape[0]
    tr6 = tuple(float(v) for v in tuple(transform)[:6])
    out = np.empty(dem.shape, dtype=np.float32)
    for r0 in range(0, nrow, block_rows):
        r1 = min(r0 + block_rows, nrow)
        a0, a1 = max(r0 - 1, 0), min(r1 + 1, nrow)
        blk = np.where(valid[a0:a1], dem[a0:a1], _NODATA)
        out[r0:r1] = pyflwdir.dem.slope(blk, nodata=_NODATA, latlon=False,
                                        transform=tr6)[r0 - a0:r1 - a0]
    np.arctan(out, out=out)
    np.degrees(out, out=out)
    out[~valid] = np.nan
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
    dem: RasterLike | np.ndarray,
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
    dem : RasterLike or ndarray
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
        Allow ``slope_deg`` (computed on first access); if False it is all NaN.

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
    window = None
    if isinstance(dem, RasterLike):
        name = dem.name
        if bounds is not None:
            window = dem.window_for_bounds(bounds)
            transform = dem.window_transform(window)
        else:
            transform = dem.transform
        crs = dem.crs
        source = str(dem.path)
    else:
        name = "DEM array"
        if transform is None or crs is None:
            raise CRSError(
                "DEM array: expected transform= and crs= (the metric working CRS of the study "
                "area) with an array DEM, found "
                + ("no transform" if transform is None else "no CRS")
                + ". Or pass a RasterSource from kotacerdas_gis.io.raster.read_raster()."
            )
        source = "array"

    def load_elev() -> np.ndarray:
        """Return the DEM as float32 with NaN for nodata (a new array, read or converted).

        By row blocks into one float32 buffer: a whole-raster read or conversion holds a
        second copy (8 bytes per cell, twice the DEM, at the run's peak when re-read).
        """
        if isinstance(dem, RasterLike):
            win = window
            if win is None and hasattr(dem, "height") and hasattr(dem, "width"):
                win = Window(0, 0, dem.width, dem.height)
            if win is None:  # pragma: no cover - a RasterLike without its size
                return np.asarray(dem.read(as_float=True), dtype=np.float32)
            h, w = int(win.height), int(win.width)
            out = np.empty((h, w), dtype=np.float32)
            step = max(1, _READ_BLOCK_CELLS // max(w, 1))
            for r0 in range(0, h, step):
                n = min(step, h - r0)
                out[r0:r0 + n] = dem.read(window=Window(win.col_off, win.row_off + r0, w, n),
                                          as_float=True)
            return out
        arr = np.asarray(dem)
        if arr.ndim != 2:
            return np.asarray(arr, dtype=np.float32)  # _check_dem names the shape
        big = np.float64 if arr.dtype == np.float64 else np.float32
        out = np.empty(arr.shape, dtype=np.float32)
        step = max(1, _READ_BLOCK_CELLS // max(arr.shape[1], 1))
        for r0 in range(0, arr.shape[0], step):
            blk = arr[r0:r0 + step]
            val = blk.astype(big)
            if nodata is not None:
                val = np.where(blk == nodata, np.nan, val).astype(big)
            out[r0:r0 + step] = val
        return out

    crs = as_crs(crs)
    require_same_crs(dem=crs)
    if transform.b != 0 or transform.d != 0:
        raise CRSError(f"{name}: the grid is rotated ({transform}); warp it to north-up first.")
    elev = load_elev()
    valid = _check_dem(elev, name)
    nrow, ncol = elev.shape
    cell_area_m2 = abs(transform.a * transform.e)
    tic = _lap(timings, "read_check", tic)

    # Memory (bytes per cell, bench/terrain.md): 27 are kept (the DEM, filled DEM, upstream
    # area and HAND as float32, pyflwdir's int32 downstream index and order, three bool/uint8
    # masks); no step holds more than 28 (HAND's copy), so the kept layers set the peak.
    # 1. depression filling and D8 in one pass (NaN is pyflwdir's nodata here)
    own_fill = max_fill_depth_m is None and elev.size < 2**31
    if own_fill:
        # pyflwdir's algorithm on a packed-key heap: identical results, several times faster
        filled, d8 = fill_depressions_d8(elev)
    else:
        filled, d8 = pyflwdir.dem.fill_depressions(
            elev, nodata=np.nan,
            max_depth=-1.0 if max_fill_depth_m is None else max_fill_depth_m, outlets="edge",
        )
    filled = filled.astype(np.float32, copy=False)
    tr6 = tuple(float(v) for v in tuple(transform)[:6])  # numba cannot type Affine objects
    # The DEM is let go until HAND (re-read or re-converted there: cheaper than holding 4
    # bytes per cell through the ordering and upstream area). Our fill leaves NaN exactly
    # where the DEM has none, so its valid mask is the filled DEM's; pyflwdir's keeps it.
    if own_fill:
        del elev
        valid = np.isfinite(filled)
    flw = pyflwdir.from_array(d8, ftype="d8", transform=tr6, latlon=False,
                              check_ftype=False, cache=False)
    del d8
    idxs_ds = flw.idxs_ds
    if np.issubdtype(idxs_ds.dtype, np.signedinteger):
        # pyflwdir's own order (the same walk) holds a dense upstream matrix, 4 bytes per
        # cell per upstream neighbour: the peak of the run before; the same order in 12
        seq = upstream_order(idxs_ds, flw.idxs_pit)
        flw = pyflwdir.FlwdirRaster(
            idxs_ds=idxs_ds, shape=flw.shape, ftype="d8", idxs_pit=flw.idxs_pit,
            idxs_outlet=flw.idxs_outlet, idxs_seq=seq, nnodes=seq.size, transform=tr6,
            latlon=False, cache=False)
    else:  # pragma: no cover - more than 2**31 cells
        seq = flw.idxs_seq
    tic = _lap(timings, "fill_d8", tic)

    # 2. upstream area: exact cell counts x cell area, converted to float32 in the same buffer
    ncells = np.ones(filled.size, dtype=np.int32)
    ncells = pyflwdir.streams.accuflux(idxs_ds, seq, ncells, -9999)
    upa = _counts_to_km2(ncells, np.float32(cell_area_m2 / 1e6)).reshape(nrow, ncol)
    del ncells
    upa[~valid] = np.nan
    tic = _lap(timings, "upstream_area", tic)

    # 3. streams and Strahler order
    stream = upa >= np.float32(stream_threshold_km2)  # NaN (outside the DEM) compares False
    strord = pyflwdir.streams.strahler_order(idxs_ds, seq, mask=stream.ravel()).reshape(nrow, ncol)
    tic = _lap(timings, "streams_order", tic)

    # 4. HAND: carry each stream cell's *filled* elevation (its water level: a stream crossing
    # a filled depression runs at the depression's spill level, whatever path the flat
    # routing took across its bottom) up its catchment; subtract from the DEM in place
    hand = np.where(stream, filled, _NODATA).ravel()
    hand = pyflwdir.core.fillnodata_upstream(idxs_ds, seq, hand, _NODATA)  # a copy
    no_drain = hand == _NODATA
    if own_fill:
        elev = load_elev()
    np.subtract(elev.ravel(), hand, out=hand)  # NaN outside the DEM
    hand[no_drain] = np.nan
    del no_drain
    hand = hand.reshape(nrow, ncol)
    tic = _lap(timings, "hand", tic)

    filled[~valid] = np.nan
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
        stream_threshold_km2=float(stream_threshold_km2), provenance=prov,
        dem_m=_freeze(elev), compute_slope=bool(compute_slope),
    )


def streams_layer(terrain: Terrain, *, min_order: int = 1) -> gpd.GeoDataFrame:
    """Vectorise the derived stream network as LineStrings between confluences.

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


def _frame_summary(t: Terrain) -> pd.Series:  # pragma: no cover - debugging helper
    return pd.Series({"cells": t.valid.sum(), "streams": t.stream.sum(),
                      "hand_nan": np.isnan(t.hand_m[t.valid]).sum()})


def study_area_coverage(terrain: Terrain, area: gpd.GeoDataFrame) -> float:
    """Share (0-1) of a study area that the DEM's valid cells' extent covers.

    DEM-derived zones exist only inside the DEM: a planner must know how much of the
    area they speak for.

    Parameters
    ----------
    terrain : Terrain
        From :func:`derive_terrain`.
    area : GeoDataFrame
        The study area (e.g. the kabupaten), in ``terrain.crs``.

    Returns
    -------
    float
        Area of (DEM extent ∩ study area) / area of the study area.

    Raises
    ------
    CRSMismatchError
        If ``area`` is not in the DEM's CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from affine import Affine
    >>> dem = valley_dem(rows=20, cols=21, cell_m=30.0, side_slope=0.1, valley_slope=0.01)
    >>> t = derive_terrain(dem, transform=Affine(30.0, 0, 0, 0, -30.0, 600), crs="EPSG:32751",
    ...                    stream_threshold_km2=0.01)
    >>> area = gpd.GeoDataFrame(geometry=[box(0, 0, 1260, 600)], crs=32751)  # DEM: 630 m wide
    >>> study_area_coverage(t, area)
    0.5
    """
    require_same_crs(area=area, dem=terrain.crs)
    geom = area.geometry.union_all()
    if geom.is_empty or geom.area == 0:
        return 0.0
    return float(geom.intersection(shapely.box(*terrain.bounds)).area / geom.area)
