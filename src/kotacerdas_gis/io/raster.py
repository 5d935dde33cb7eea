"""Raster input and output: lazy, windowed reading and atomic, tiled writing.

:func:`read_raster` opens a GeoTIFF (or anything GDAL reads) only long enough to
read its metadata and returns a :class:`RasterSource`: a frozen description of
the file that re-opens it for every read, so no array is held in memory
between reads. Reads can cover the whole band, a window, or map bounds, and
:meth:`RasterSource.iter_windows` walks a large raster block by block with the
overlap a neighbourhood operation needs.

:func:`write_raster` writes a tiled, compressed GeoTIFF atomically (through
:func:`kotacerdas_gis.io.atomic.atomic_path`), and :func:`reproject_raster`
is the one place where rasters change CRS (block by block through a
``WarpedVRT``, so it never loads the whole raster).

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from affine import Affine
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> dem = np.arange(12, dtype="float32").reshape(3, 4)
>>> src = write_raster(dem, d / "dem.tif", transform=Affine(30, 0, 200000, 0, -30, 9720000),
...                    crs="EPSG:32751", nodata=-9999.0)
>>> src.width, src.height, src.res, src.crs.to_epsg()
(4, 3, (30.0, 30.0), 32751)
>>> src.read(as_float=True)[1].tolist()
[4.0, 5.0, 6.0, 7.0]
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
from affine import Affine

import rasterio
import rasterio.crs
import rasterio.errors
import rasterio.warp
import rasterio.windows
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ..crs import as_crs, describe_crs
from ..errors import CRSError, DataError
from .atomic import atomic_path, check_data_path

__all__ = [
    "RasterSource",
    "ResamplingName",
    "read_raster",
    "write_raster",
    "reproject_raster",
]

log = logging.getLogger(__name__)

#: Resampling methods a caller may name for :func:`reproject_raster`.
ResamplingName = Literal["nearest", "bilinear", "cubic", "cubic_spline", "average", "min", "max",
                         "mode", "med"]
_RESAMPLING_NAMES: tuple[str, ...] = get_args(ResamplingName)


def _is_metric(crs: CRS) -> bool:
    if not crs.is_projected:
        return False
    axes = crs.axis_info
    return bool(axes) and all((a.unit_name or "").lower() in ("metre", "meter", "m")
                              for a in axes[:2])


@dataclass(frozen=True)
class RasterSource:
    """A raster file described by its metadata; band 1 is read lazily on demand.

    Nothing but metadata is held: every read opens the file, reads what was
    asked and closes it again. Build one with :func:`read_raster`.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    name : str
        A short name used in messages (defaults to the file name).
    crs : pyproj.CRS
        The raster's CRS.
    transform : affine.Affine
        Pixel-to-map transform (map units, metres in the working CRS).
    width, height : int
        Size in cells.
    nodata : float or None
        The nodata value of band 1.
    dtype : str
        Data type of band 1 (``"float32"``, ``"int16"``...).
    bounds : tuple of float
        ``(left, bottom, right, top)`` in map units.
    res : tuple of float
        Cell size ``(x, y)`` in map units (metres for a metric CRS).
    """

    path: Path
    name: str
    crs: CRS
    transform: Affine
    width: int
    height: int
    nodata: float | None
    dtype: str
    bounds: tuple[float, float, float, float]
    res: tuple[float, float]

    def __repr__(self) -> str:
        return (f"RasterSource({self.name!r}, {self.width}x{self.height} {self.dtype}, "
                f"res={self.res}, crs={describe_crs(self.crs)}, nodata={self.nodata})")

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in cells."""
        return (self.height, self.width)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in square map units (m² in a metric CRS)."""
        return abs(self.res[0] * self.res[1])

    def _open(self) -> Any:
        try:
            return rasterio.open(self.path)
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(
                f"{self.name}: could not open raster {self.path}: {exc}. The file was readable "
                "when read_raster() described it; check that it was not moved or overwritten."
            ) from exc

    def window_for_bounds(self, bounds: tuple[float, float, float, float]) -> Window:
        """Return the window of whole cells covering ``bounds`` (left, bottom, right, top).

        Raises
        ------
        DataError
            If the bounds reach beyond the raster (the message names the missing extent).
        """
        self.require_covers(bounds)
        win = rasterio.windows.from_bounds(*bounds, transform=self.transform)
        col0 = max(int(math.floor(win.col_off + 1e-9)), 0)
        row0 = max(int(math.floor(win.row_off + 1e-9)), 0)
        col1 = min(int(math.ceil(win.col_off + win.width - 1e-9)), self.width)
        row1 = min(int(math.ceil(win.row_off + win.height - 1e-9)), self.height)
        return Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))

    def window_transform(self, window: Window) -> Affine:
        """Transform of the cells of ``window``."""
        return rasterio.windows.transform(window, self.transform)

    def read(
        self,
        *,
        window: Window | None = None,
        bounds: tuple[float, float, float, float] | None = None,
        as_float: bool = False,
    ) -> np.ndarray:
        """Read band 1, whole or a part of it.

        Parameters
        ----------
        window : rasterio.windows.Window, optional
            Cells to read. Exclusive with ``bounds``.
        bounds : tuple of float, optional
            ``(left, bottom, right, top)`` in the raster's CRS; the whole cells
            covering them are read.
        as_float : bool, default False
            Return float32 (float64 for float64 files) with nodata cells as NaN.

        Returns
        -------
        numpy.ndarray
            A 2-D array; its transform is ``window_transform(window)``.

        Raises
        ------
        DataError
            If the file cannot be read or the bounds reach beyond the raster.
        """
        if window is not None and bounds is not None:
            raise ValueError("pass either window= or bounds=, not both")
        if bounds is not None:
            window = self.window_for_bounds(bounds)
        with self._open() as ds:
            try:
                arr = ds.read(1, window=window)
            except rasterio.errors.RasterioError as exc:
                raise DataError(
                    f"{self.name}: could not read band 1 of {self.path}: {exc}. "
                    "The file may be truncated or corrupt; re-export it as a GeoTIFF."
                ) from exc
        if as_float:
            out_dtype = np.float64 if arr.dtype == np.float64 else np.float32
            nodata_mask = (arr == self.nodata) if self.nodata is not None else None
            arr = arr.astype(out_dtype, copy=False)
            if nodata_mask is not None and nodata_mask.any():
                arr = arr.copy() if not arr.flags.writeable else arr
                arr[nodata_mask] = np.nan
        return arr

    def iter_windows(
        self, *, block_size: int = 2048, overlap: int = 0
    ) -> Iterator[tuple[Window, Window]]:
        """Walk the raster in square blocks.

        Parameters
        ----------
        block_size : int, default 2048
            Side of the core blocks, in cells.
        overlap : int, default 0
            Cells added on each side of a core block (clipped at the raster's
            edge) for operations that need neighbours.

        Yields
        ------
        read_window, core_window : rasterio.windows.Window
            The window to read (core plus overlap) and the core block, both in
            the raster's cell coordinates. The core blocks tile the raster
            exactly once.

        Examples
        --------
        >>> from affine import Affine
        >>> src = RasterSource(Path("x.tif"), "x", CRS.from_epsg(32751),
        ...                    Affine(10, 0, 0, 0, -10, 100), 10, 10, None, "float32",
        ...                    (0.0, 0.0, 100.0, 100.0), (10.0, 10.0))
        >>> [(w.col_off, w.width, c.col_off, c.width) for w, c in src.iter_windows(
        ...     block_size=6, overlap=1)][:2]
        [(0, 7, 0, 6), (5, 5, 6, 4)]
        """
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1 cell, found {block_size}")
        if overlap < 0:
            raise ValueError(f"overlap must be 0 or more cells, found {overlap}")
        for row0 in range(0, self.height, block_size):
            for col0 in range(0, self.width, block_size):
                h = min(block_size, self.height - row0)
                w = min(block_size, self.width - col0)
                core = Window(col0, row0, w, h)
                r0, c0 = max(row0 - overlap, 0), max(col0 - overlap, 0)
                r1 = min(row0 + h + overlap, self.height)
                c1 = min(col0 + w + overlap, self.width)
                yield Window(c0, r0, c1 - c0, r1 - r0), core

    def require_covers(
        self, bounds: tuple[float, float, float, float], *, what: str = "the study area"
    ) -> None:
        """Check that the raster covers ``bounds`` (left, bottom, right, top).

        Raises
        ------
        DataError
            Naming how far ``bounds`` reaches beyond the raster on each side.

        Examples
        --------
        >>> from affine import Affine
        >>> src = RasterSource(Path("dem.tif"), "dem.tif", CRS.from_epsg(32751),
        ...                    Affine(10, 0, 0, 0, -10, 100), 10, 10, None, "float32",
        ...                    (0.0, 0.0, 100.0, 100.0), (10.0, 10.0))
        >>> src.require_covers((50, 50, 150, 90))
        Traceback (most recent call last):
        ...
        kotacerdas_gis.errors.DataError: dem.tif covers x 0..100, y 0..100 (EPSG:32751 (WGS 84 / UTM zone 51S)) but the study area reaches beyond it: 50 m east. Use a raster that covers the study area (or clip the study area to the raster).
        """  # noqa: E501
        left, bottom, right, top = (float(v) for v in bounds)
        L, B, R, T = self.bounds
        tol = 1e-6 * max(abs(self.res[0]), 1.0)
        missing = []
        if left < L - tol:
            missing.append(f"{L - left:.0f} m west")
        if right > R + tol:
            missing.append(f"{right - R:.0f} m east")
        if bottom < B - tol:
            missing.append(f"{B - bottom:.0f} m south")
        if top > T + tol:
            missing.append(f"{top - T:.0f} m north")
        if missing:
            raise DataError(
                f"{self.name} covers x {L:.0f}..{R:.0f}, y {B:.0f}..{T:.0f} "
                f"({describe_crs(self.crs)}) but {what} reaches beyond it: "
                + ", ".join(missing)
                + ". Use a raster that covers the study area (or clip the study area to the "
                "raster)."
            )


def read_raster(
    path: str | os.PathLike[str], *, name: str | None = None, require_metric: bool = True
) -> RasterSource:
    """Describe a raster file without reading its cells.

    Parameters
    ----------
    path : path-like
        A GeoTIFF or any single-band raster GDAL reads.
    name : str, optional
        Name used in messages; defaults to the file name.
    require_metric : bool, default True
        Require a projected CRS in metres (the working CRS, e.g. EPSG:32751).

    Returns
    -------
    RasterSource

    Raises
    ------
    DataError
        If the file is missing or GDAL cannot read it (names the file).
    CRSError
        If the raster has no CRS, or (with ``require_metric``) a geographic or
        non-metre CRS; the message shows the :func:`reproject_raster` call that fixes it.

    Examples
    --------
    >>> read_raster("/nonexistent/dem.tif")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.DataError: dem.tif: raster file /nonexistent/dem.tif not found. Check the path (relative paths are taken from the current folder).
    """  # noqa: E501
    p = Path(path)
    label = name or p.name
    if not p.exists():
        raise DataError(
            f"{label}: raster file {p} not found. Check the path "
            "(relative paths are taken from the current folder)."
        )
    try:
        with rasterio.open(p) as ds:
            if ds.count < 1:
                raise DataError(f"{label}: raster {p} has no bands; expected one band of values.")
            rcrs = ds.crs
            transform = ds.transform
            width, height = ds.width, ds.height
            nodata = ds.nodata
            dtype = ds.dtypes[0]
            bounds = tuple(float(v) for v in ds.bounds)
            res = (float(ds.res[0]), float(ds.res[1]))
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(
            f"{label}: could not read raster {p} ({exc}). Expected a GeoTIFF or another "
            "raster format GDAL reads; the file may be corrupt or truncated."
        ) from exc
    if rcrs is None:
        raise CRSError(
            f"{label}: raster {p} has no CRS. Expected EPSG:32751 (or another metric CRS). "
            "Assign the CRS its coordinates are in (gdal_edit.py -a_srs EPSG:XXXX file.tif), then "
            'reproject with kotacerdas_gis.io.raster.reproject_raster(src, dst, crs="EPSG:32751").'
        )
    crs = as_crs(rcrs.to_wkt())
    if require_metric and not _is_metric(crs):
        kind = "geographic" if crs.is_geographic else "non-metre"
        raise CRSError(
            f"{label}: expected a projected CRS in metres, found {kind} {describe_crs(crs)}. "
            "Reproject it first: kotacerdas_gis.io.raster.reproject_raster("
            f'read_raster("{p}", require_metric=False), "dem_32751.tif", crs="EPSG:32751", '
            'resampling="bilinear").'
        )
    if transform.b != 0 or transform.d != 0:
        raise DataError(
            f"{label}: raster {p} is rotated (transform {tuple(transform)[:6]}); expected a "
            "north-up grid. Warp it with reproject_raster() first."
        )
    return RasterSource(
        path=p,
        name=label,
        crs=crs,
        transform=transform,
        width=int(width),
        height=int(height),
        nodata=None if nodata is None else float(nodata),
        dtype=str(dtype),
        bounds=bounds,  # type: ignore[arg-type]
        res=res,
    )


def write_raster(
    array: np.ndarray,
    path: str | os.PathLike[str],
    *,
    transform: Affine,
    crs: Any,
    nodata: float | None = None,
    block_size: int = 256,
) -> RasterSource:
    """Write one band as a tiled, DEFLATE-compressed GeoTIFF, atomically.

    Parameters
    ----------
    array : numpy.ndarray
        2-D array of values. NaN cells of a float array are written as
        ``nodata`` when it is given.
    path : path-like
        Destination (``.tif``); an earlier file there is replaced only once the
        new one is complete.
    transform : affine.Affine
        Pixel-to-map transform.
    crs : CRS-like
        Anything pyproj accepts (``"EPSG:32751"``).
    nodata : float, optional
        Nodata value stored in the file.
    block_size : int, default 256
        Tile size in cells (a multiple of 16).

    Returns
    -------
    RasterSource
        The written file, described.

    Raises
    ------
    ValueError
        If the array is not 2-D or ``block_size`` is not a multiple of 16.
    """
    check_data_path(array, path)
    arr = np.asarray(array)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array, found {arr.ndim} dimensions {arr.shape}")
    if block_size % 16:
        raise ValueError(f"block_size must be a multiple of 16, found {block_size}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if nodata is not None and np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
        arr = np.where(np.isnan(arr), arr.dtype.type(nodata), arr)
    c = as_crs(crs)
    predictor = 3 if np.issubdtype(arr.dtype, np.floating) else 2
    profile = {
        "driver": "GTiff",
        "width": arr.shape[1],
        "height": arr.shape[0],
        "count": 1,
        "dtype": arr.dtype.name,
        "crs": rasterio.crs.CRS.from_wkt(c.to_wkt()),
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": block_size,
        "blockysize": block_size,
        "compress": "deflate",
        "predictor": predictor,
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(arr, 1)
    return read_raster(path, require_metric=False)


def reproject_raster(
    src: RasterSource | str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    *,
    crs: Any,
    resampling: ResamplingName = "bilinear",
    resolution_m: float | None = None,
    block_size: int = 1024,
) -> RasterSource:
    """Reproject a raster to ``crs`` block by block and write it atomically.

    Parameters
    ----------
    src : RasterSource or path-like
        The raster to reproject (any CRS, e.g. a DEM in EPSG:4326).
    dst_path : path-like
        Where to write the tiled, compressed GeoTIFF.
    crs : CRS-like
        Target CRS, e.g. ``"EPSG:32751"``.
    resampling : {'nearest', 'bilinear', 'cubic', 'cubic_spline', 'average', 'min', 'max', ...}
        Resampling method (also ``'mode'``, ``'med'``): ``"bilinear"`` for elevations and depths,
        ``"nearest"`` or ``"mode"`` for classes.
    resolution_m : float, optional
        Target cell size in target units; by default GDAL's estimate.
    block_size : int, default 1024
        Cells per side of the blocks written (bounds memory use).

    Returns
    -------
    RasterSource
        The reprojected file.

    Raises
    ------
    ValueError
        If ``resampling`` is not one of the names above.
    DataError, CRSError
        If the source cannot be read or has no CRS.
    """
    if resampling not in _RESAMPLING_NAMES:
        raise ValueError(
            f"unknown resampling {resampling!r}; choose one of: " + ", ".join(_RESAMPLING_NAMES)
        )
    source = src if isinstance(src, RasterSource) else read_raster(src, require_metric=False)
    dst_crs = rasterio.crs.CRS.from_wkt(as_crs(crs).to_wkt())
    with source._open() as ds:
        kw: dict[str, Any] = {}
        if resolution_m is not None:
            kw["resolution"] = resolution_m
        transform, width, height = rasterio.warp.calculate_default_transform(
            ds.crs, dst_crs, ds.width, ds.height, *ds.bounds, **kw
        )
        nodata = ds.nodata
        if nodata is None and np.issubdtype(np.dtype(ds.dtypes[0]), np.floating):
            nodata = -9999.0
        with WarpedVRT(
            ds,
            crs=dst_crs,
            transform=transform,
            width=width,
            height=height,
            resampling=Resampling[resampling],
            nodata=nodata,
        ) as vrt:
            profile = {
                "driver": "GTiff", "width": width, "height": height, "count": 1,
                "dtype": ds.dtypes[0], "crs": dst_crs, "transform": transform,
                "nodata": nodata, "tiled": True, "blockxsize": 256, "blockysize": 256,
                "compress": "deflate",
            }
            with atomic_path(dst_path) as tmp:
                with rasterio.open(tmp, "w", **profile) as out:
                    for row0 in range(0, height, block_size):
                        for col0 in range(0, width, block_size):
                            win = Window(col0, row0, min(block_size, width - col0),
                                         min(block_size, height - row0))
                            out.write(vrt.read(1, window=win), 1, window=win)
    log.info("reprojected %s to %s (%s)", source.path, dst_path, resampling)
    return read_raster(dst_path, require_metric=False)
