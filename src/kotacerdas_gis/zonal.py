"""Exact zonal statistics of polygons over a raster: the package's one coverage kernel.

:func:`coverage_stats` computes each cell's coverage fraction under each polygon (the area of
the exterior rings inside the cell minus that of the holes, over the cell area) and reduces it
per polygon; :func:`polygon_raster_stats` (coverage-weighted mean, max, covered area of
buildings) and :func:`kotacerdas_gis.exposure.zonal.zonal_sums` (people per admin x zone piece)
both use it. Row by row, each ring is clipped to the row's strip (Sutherland-Hodgman against a
half-plane, exact for any simple ring, convex or not), and the strip's area in every cell of
the row comes from one pass over its edges (trapezoids per column), so a zone's interior
cells cost one addition each. This is exactextract's definition (``mean`` = sum of value x
coverage / sum of coverage over valid cells; ``max`` over the valid cells with coverage > 0),
so the values agree with ``exact_extract(..., ["mean", "max", "count"])`` to rounding
(exactextract keeps coverage fractions in float32: ~1e-7), without its per-feature overhead
(bench/RESULTS.md: 8-12x on 10k-100k buildings, 1.6-2.7x on 60 large zones).

Pure analysis: arrays and an affine transform in, arrays out (no file access).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from affine import Affine
from numba import njit

import geopandas as gpd
import shapely

from .errors import CRSError, DataError

__all__ = ["coverage_stats", "polygon_raster_stats"]


@njit(cache=True, nogil=True)
def _clip(ax: np.ndarray, ay: np.ndarray, n: int, side: int, c: float, bx: np.ndarray,
          by: np.ndarray) -> int:
    """Sutherland-Hodgman clip of ring ``ax[:n], ay[:n]`` (open) by one half-plane into ``bx, by``.

    ``side``: 0 keeps x >= c, 1 x <= c, 2 y >= c, 3 y <= c. Returns the vertex count. The
    output ring may hold zero-width bridges along the clip line; its shoelace area is the
    exact area of the ring inside the half-plane, for any simple ring, convex or not.
    """
    m = 0
    for i in range(n):
        j = i + 1 if i + 1 < n else 0
        px, py, qx, qy = ax[i], ay[i], ax[j], ay[j]
        if side == 0:
            pin, qin = px >= c, qx >= c
        elif side == 1:
            pin, qin = px <= c, qx <= c
        elif side == 2:
            pin, qin = py >= c, qy >= c
        else:
            pin, qin = py <= c, qy <= c
        if pin:
            bx[m] = px
            by[m] = py
            m += 1
        if pin != qin:
            if side < 2:
                bx[m] = c
                by[m] = py + (c - px) / (qx - px) * (qy - py)
            else:
                bx[m] = px + (c - py) / (qy - py) * (qx - px)
                by[m] = c
            m += 1
    return m


@njit(cache=True, nogil=True)
def _strip(xs: np.ndarray, ys: np.ndarray, i0: int, i1: int, ox: float, oy: float, lo: float,
           hi: float, tx: np.ndarray, ty: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> int:
    """Ring ``xs[i0:i1]`` (closed), shifted by ``(-ox, -oy)``, clipped to ``lo <= y <= hi``."""
    n = 0
    for i in range(i0, i1 - 1):  # drop the closing vertex
        tx[n] = xs[i] - ox
        ty[n] = ys[i] - oy
        n += 1
    n = _clip(tx, ty, n, 2, lo, sx, sy)
    if n < 3:
        return 0
    n = _clip(sx, sy, n, 3, hi, tx, ty)
    if n < 3:
        return 0
    sx[:n] = tx[:n]
    sy[:n] = ty[:n]
    return n


@njit(cache=True, nogil=True)
def _ring_sign(xs: np.ndarray, ys: np.ndarray, i0: int, i1: int) -> float:
    """+1 or -1: the sign that makes ``sum of integral (y - lo) dx`` along the ring positive."""
    s = 0.0
    for i in range(i0, i1 - 1):
        s += (xs[i + 1] - xs[i]) * ((ys[i] + ys[i + 1]) / 2.0 - ys[i0])
    return 1.0 if s >= 0.0 else -1.0


@njit(cache=True, nogil=True)
def _add_columns(sx: np.ndarray, sy: np.ndarray, n: int, lo: float, dx: float, sign: float,
                 j0: int, j1: int, acc: np.ndarray) -> None:
    """Add ``sign x`` the area of strip ring ``sx[:n], sy[:n]`` in each column j0..j1 to ``acc``.

    The area of a ring inside the column ``j dx <= x <= (j + 1) dx`` is the signed sum over
    its edges of the integral of ``y - lo`` over the part of the edge in the column (the
    trapezoids), so one pass over the edges, each visiting the columns it spans, gives every
    cell of the strip: the interior cells of a large zone cost one addition each.
    """
    for i in range(n):
        k = i + 1 if i + 1 < n else 0
        px, py, qx, qy = sx[i], sy[i], sx[k], sy[k]
        if px == qx or (py == lo and qy == lo):  # vertical, or along the strip's floor: 0
            continue
        d = sign if qx > px else -sign
        xa, xb = (px, qx) if px < qx else (qx, px)
        slope = (qy - py) / (qx - px)
        ja = max(int(np.floor(xa / dx)), j0)
        jb = min(int(np.floor(xb / dx)), j1)
        for j in range(ja, jb + 1):
            a = max(xa, j * dx)
            b = min(xb, (j + 1) * dx)
            if b <= a:
                continue
            ya = py + (a - px) * slope
            yb = py + (b - px) * slope
            acc[j] += d * (b - a) * ((ya + yb) / 2.0 - lo)


@njit(cache=True, nogil=True)
def _coverage(xs: np.ndarray, ys: np.ndarray, ring_off: np.ndarray, part_off: np.ndarray,
              geom_off: np.ndarray, values: np.ndarray, valid: np.ndarray, x0: float,
              y0: float, dx: float, dy: float, out: np.ndarray) -> None:
    """Fill ``out[g]`` = [valid coverage, sum value x coverage, max, valid cells, invalid coverage].

    Coverage is in cells (covered area / cell area).

    Per polygon part, row by row: each ring is clipped to the row's strip (Sutherland-Hodgman,
    exact for any simple ring), and the strip rings' areas in every cell of the row come from
    one pass over their edges (:func:`_add_columns`); cost ~ rows x vertices + cells. A cell
    two parts of one multipolygon cover counts once per part.
    """
    nrow, ncol = values.shape
    maxv = 0
    nring = len(ring_off) - 1
    for k in range(nring):
        maxv = max(maxv, ring_off[k + 1] - ring_off[k])
    size = 6 * maxv + 16  # a half-plane clip at most multiplies the vertex count by 1.5
    tx, ty = np.empty(size), np.empty(size)
    sx, sy = np.empty(size), np.empty(size)
    sign = np.empty(max(nring, 1))
    for k in range(nring):
        sign[k] = _ring_sign(xs, ys, ring_off[k], ring_off[k + 1])
    acc = np.zeros(ncol + 1)
    cell_area = dx * dy
    for g in range(len(geom_off) - 1):
        cov = 0.0
        vsum = 0.0
        vmax = -np.inf
        ncells = 0
        cov_bad = 0.0
        for p in range(geom_off[g], geom_off[g + 1]):
            r_first, r_last = part_off[p], part_off[p + 1]
            if r_last <= r_first:
                continue
            e0, e1 = ring_off[r_first], ring_off[r_first + 1]
            gx0, gx1 = xs[e0:e1].min(), xs[e0:e1].max()
            gy0, gy1 = ys[e0:e1].min(), ys[e0:e1].max()
            c0 = max(int(np.floor((gx0 - x0) / dx)), 0)
            c1 = min(int(np.floor((gx1 - x0) / dx)), ncol - 1)
            r0 = max(int(np.floor((y0 - gy1) / dy)), 0)
            r1 = min(int(np.floor((y0 - gy0) / dy)), nrow - 1)
            if c1 < c0 or r1 < r0:
                continue
            # work relative to the part's first cell: the shoelace on projected coordinates
            # (~1e7 m) would lose ~1e-4 m2 to cancellation, enough to miss a touched cell
            ox = x0 + c0 * dx
            oy = y0 - r0 * dy
            last = c1 - c0
            for r in range(r0, r1 + 1):
                hi = -(r - r0) * dy  # the row's strip, relative to the origin
                lo = hi - dy
                n = _strip(xs, ys, e0, e1, ox, oy, lo, hi, tx, ty, sx, sy)
                if n == 0:
                    continue
                j0 = max(int(np.floor(sx[:n].min() / dx)), 0)
                j1 = min(int(np.floor(sx[:n].max() / dx)), last)
                if j1 < j0:
                    continue
                acc[j0:j1 + 1] = 0.0
                _add_columns(sx, sy, n, lo, dx, sign[r_first], j0, j1, acc)
                for h in range(r_first + 1, r_last):
                    m = _strip(xs, ys, ring_off[h], ring_off[h + 1], ox, oy, lo, hi, tx, ty,
                               sx, sy)
                    if m > 0:
                        _add_columns(sx, sy, m, lo, dx, -sign[h], j0, j1, acc)
                for j in range(j0, j1 + 1):
                    a = acc[j]
                    if a <= 0.0:
                        continue
                    f = a / cell_area
                    c = c0 + j
                    if not valid[r, c]:
                        cov_bad += f
                        continue
                    v = values[r, c]
                    cov += f
                    vsum += f * v
                    ncells += 1
                    if v > vmax:
                        vmax = v
        out[g, 0] = cov
        out[g, 1] = vsum
        out[g, 2] = vmax
        out[g, 3] = ncells
        out[g, 4] = cov_bad


def coverage_stats(geoms: Any, values: np.ndarray, transform: Affine,
                   valid: np.ndarray | None = None, *, name: str = "polygons") -> np.ndarray:
    """Exact cell coverage of polygons on a grid, reduced per polygon: the one kernel.

    A cell's coverage fraction is the area of the polygon inside it (exterior rings minus
    holes) over the cell area, exact in float64 for any simple polygon, convex or not
    (exactextract's definition; it keeps fractions in float32).

    Parameters
    ----------
    geoms : array-like of Polygon / MultiPolygon
        In the grid's CRS (metres); holes allowed; missing or empty geometries cover nothing.
    values : ndarray, shape (rows, cols)
        The band (any unit).
    transform : affine.Affine
        Grid transform, no rotation, columns left to right; rows north-up (``e < 0``) or
        south-up (``e > 0``).
    valid : ndarray of bool, optional
        Cells with a value (default: the finite ones).
    name : str
        Used in messages.

    Returns
    -------
    ndarray, shape (len(geoms), 5)
        Per polygon: coverage of valid cells (cells: covered area / cell area), sum of value x
        coverage over them, max over the valid cells with coverage > 0 (-inf if none), number
        of those cells, coverage of invalid cells. Cells outside the grid count nowhere.

    Raises
    ------
    CRSError
        If the grid is rotated or its columns run right to left.
    DataError
        If a geometry is not polygonal.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> v = np.array([[1.0, np.nan], [5.0, 7.0]])
    >>> coverage_stats([box(5, 10, 15, 20)], v, Affine(10, 0, 0, 0, -10, 20)).tolist()
    [[0.5, 0.5, 1.0, 1.0, 0.5]]
    """
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e == 0:
        raise CRSError(f"{name}: the grid must be north-up, found {transform}")
    g = np.asarray(geoms, dtype=object).ravel()
    out = np.zeros((len(g), 5))
    out[:, 2] = -np.inf
    ok = ~shapely.is_missing(g) & ~shapely.is_empty(g)
    kinds = shapely.get_type_id(g[ok])
    if not np.isin(kinds, (3, 6)).all():
        raise DataError(f"{name}: every geometry must be a Polygon or MultiPolygon; found "
                        f"geometry type ids {sorted(set(kinds.tolist()) - {3, 6})}")
    if not ok.any() or values.size == 0:
        return out
    keep = np.flatnonzero(ok)
    kind, coords, offsets = shapely.to_ragged_array(g[keep])  # no new geometry objects
    if kind == shapely.GeometryType.POLYGON:  # every polygon is a multipolygon of one part
        ring_off, part_off = offsets
        geom_off = np.arange(len(keep) + 1)
    else:
        ring_off, part_off, geom_off = offsets
    ok_cells = np.isfinite(values) if valid is None else np.asarray(valid, dtype=bool)
    top = float(transform.f)
    if transform.e > 0:  # row 0 at the bottom: the north-up twin
        values, ok_cells = values[::-1], ok_cells[::-1]
        top = float(transform.f + values.shape[0] * transform.e)
    res = np.zeros((len(keep), 5))
    _coverage(np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]),
              ring_off.astype(np.int64), part_off.astype(np.int64), geom_off.astype(np.int64),
              np.ascontiguousarray(values), np.ascontiguousarray(ok_cells),
              float(transform.c), top, float(transform.a), float(abs(transform.e)), res)
    out[keep] = res
    return out


def polygon_raster_stats(
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    values: np.ndarray,
    transform: Affine,
    *,
    crs: Any = None,
    nodata: float | None = None,
) -> pd.DataFrame:
    """Coverage-weighted mean, max and covered area of a raster under each polygon.

    Parameters
    ----------
    polygons : GeoDataFrame or GeoSeries
        Polygons or multipolygons (holes allowed), in the raster's CRS (metres).
    values : ndarray, shape (rows, cols)
        The raster band (e.g. flood depth, m). NaN and ``nodata`` cells are skipped.
    transform : affine.Affine
        North-up grid transform of ``values`` (no rotation).
    crs : CRS-like, optional
        The raster's CRS; when given it must equal the polygons' CRS.
    nodata : float, optional
        Nodata value of ``values``.

    Returns
    -------
    DataFrame
        One row per polygon, in order: ``mean`` (coverage-weighted, the raster's unit; NaN
        when no valid cell is covered), ``max``, ``coverage_cells`` (sum of coverage
        fractions: covered area / cell area, valid cells only), ``covered_m2`` and
        ``n_cells`` (valid cells with coverage > 0).

    Raises
    ------
    CRSError
        If the CRSs differ or the grid is rotated.
    DataError
        If ``values`` is not 2-D or a geometry is not polygonal.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> v = np.array([[1.0, 3.0], [5.0, 7.0]])
    >>> s = polygon_raster_stats(gpd.GeoSeries([box(5, 10, 15, 20)]), v,
    ...                          Affine(10, 0, 0, 0, -10, 20))
    >>> s[["mean", "max", "coverage_cells"]].round(3).values.tolist()
    [[2.0, 3.0, 1.0]]
    """
    geoms = polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
    if crs is not None and geoms.crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(crs) != CRS.from_user_input(geoms.crs):
            raise CRSError(f"polygon_raster_stats: polygons in {geoms.crs}, raster in {crs}; "
                           "reproject the polygons first.")
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise DataError(f"polygon_raster_stats: values must be a 2-D band, found shape "
                        f"{arr.shape}")
    if transform.e >= 0:
        raise CRSError(f"polygon_raster_stats: the grid must be north-up, found {transform}")
    valid = np.isfinite(arr) if nodata is None else np.isfinite(arr) & (arr != nodata)
    out = coverage_stats(geoms.values, arr, transform, valid, name="polygon_raster_stats")
    cov = out[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cov > 0, out[:, 1] / cov, np.nan)
    return pd.DataFrame({
        "mean": mean,
        "max": np.where(out[:, 3] > 0, out[:, 2], np.nan),
        "coverage_cells": cov,
        "covered_m2": cov * transform.a * -transform.e,
        "n_cells": out[:, 3].astype(np.int64),
    }, index=geoms.index)
