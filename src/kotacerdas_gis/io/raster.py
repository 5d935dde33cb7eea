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

from ..boundaries import bbox_distance_km
from ..crs import as_crs, describe_crs
from ..errors import CRSError, DataError
from .atomic import atomic_path, check_data_path

__all__ = [
    "RasterSource",
    "ResamplingName",
    "read_raster",
    "write_raster",
    "reproject_raster",
    "RasterRole",
    "RasterReport",
    "validate_raster",
    "check_alignment",
    "validate_scenario_rasters",
]

log = logging.getLogger(__name__)

#: Resampling methods a caller may name for :func:`reproject_raster`.
ResamplingName = Literal["nearest", "bilinear", "cubic", "cubic_spline", "average", "min", "max",
                         "mode", "med", "sum"]
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
        Resampling method (also ``'mode'``, ``'med'``, ``'sum'``): ``"bilinear"`` for elevations
        and depths, ``"sum"`` for counts such as people per cell (each new cell adds up the people
        of the source cells it covers, so the total is kept), ``"nearest"`` or ``"mode"`` for
        classes.
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


# ------------------------------------------------------------------------------ validation

#: What a raster stands for in a scenario: terrain (metres above sea level), flood depth
#: (metres of water) or people per cell.
RasterRole = Literal["dem", "depth", "population"]
_ROLE_WORDS = {"dem": "DEM", "depth": "depth raster", "population": "population raster"}
#: The resampling :func:`reproject_raster` should use for each role.
_ROLE_RESAMPLING: dict[str, str] = {"dem": "bilinear", "depth": "bilinear", "population": "sum"}
_VECTOR_SUFFIXES = (".geojson", ".json", ".shp", ".kml", ".csv", ".fgb", ".gml", ".osm", ".pbf")
#: Cells read at most to compute statistics (a larger raster is read on a decimated grid).
_SAMPLE_CELLS = 4_000_000
#: Highest terrain on Earth (m); a DEM above it is not in metres.
_MAX_ELEVATION_M = 8_850.0
#: Lowest land on Earth is about -430 m (Dead Sea); values this low are void markers.
_MIN_ELEVATION_M = -1_000.0


@dataclass(frozen=True)
class RasterReport:
    """What :func:`validate_raster` found in one raster.

    Attributes
    ----------
    name, role : str
        The raster's name in messages and its role (``dem``, ``depth``, ``population``).
    source : RasterSource
        The raster, described.
    n_valid_frac : float
        Share (0-1) of the cells read that hold data (not nodata, finite).
    min, max : float
        Range of the valid values (metres for ``dem`` and ``depth``, people per cell for
        ``population``).
    n_distinct : int
        Distinct valid values (counted up to 1,001).
    study_area_covered_frac : float or None
        Share (0-1) of the study area covered by valid cells (None without a study area).
    admin_covered_frac : dict
        Per admin code, the share (0-1) of the unit covered by valid cells.
    admin_uncovered : list of str
        ``"name (code)"`` of the units with no valid cell at all.
    remarks : list of str
        Non-blocking findings (partial coverage, a grid of another origin ...).
    """

    name: str
    role: str
    source: RasterSource
    n_valid_frac: float
    min: float
    max: float
    n_distinct: int
    study_area_covered_frac: float | None = None
    admin_covered_frac: dict[str, float] | None = None
    admin_uncovered: list[str] | None = None
    remarks: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (paths as file names only)."""
        return {
            "name": self.name, "role": self.role, "file": self.source.path.name,
            "crs": describe_crs(self.source.crs), "res": list(self.source.res),
            "shape": list(self.source.shape), "dtype": self.source.dtype,
            "nodata": self.source.nodata, "valid_frac": self.n_valid_frac,
            "min": self.min, "max": self.max, "n_distinct": self.n_distinct,
            "study_area_covered_frac": self.study_area_covered_frac,
            "admin_uncovered": list(self.admin_uncovered or []),
            "remarks": list(self.remarks or []),
        }


def _open_for_role(
    source: RasterSource | str | os.PathLike[str], label: str | None, role: str
) -> RasterSource:
    """Describe ``source``, with the errors a planner understands for the usual wrong files."""
    if isinstance(source, RasterSource):
        return source
    p = Path(source)
    what = _ROLE_WORDS[role]
    name = label or p.name
    if p.is_file() and p.stat().st_size == 0:
        raise DataError(
            f"{name}: {p} is an empty file (0 bytes), not a {what}: an interrupted download or "
            "copy? Copy the GeoTIFF again from its source."
        )
    if p.is_dir():
        raise DataError(f"{name}: {p} is a folder; name the {what} file (a GeoTIFF) inside it.")
    try:
        return read_raster(p, name=name, require_metric=False)
    except DataError as exc:
        if p.exists() and (p.suffix.lower() in _VECTOR_SUFFIXES or _is_vector(p)):
            raise DataError(
                f"{name}: {p} is a vector file ({p.suffix or 'no suffix'}), not a {what}. "
                f"Give a raster (GeoTIFF) of {_role_values(role)}; vector layers go under their "
                "own keys (e.g. admin_desa, observed_flood_2020)."
            ) from exc
        raise


def _is_vector(p: Path) -> bool:
    try:
        import pyogrio

        return bool(len(pyogrio.list_layers(p)))
    except Exception:
        return False


def _role_values(role: str) -> str:
    return {"dem": "elevations in metres", "depth": "water depths in metres",
            "population": "people per cell"}[role]


def _reproject_advice(src: RasterSource, role: str, target: CRS) -> str:
    code = target.to_epsg()
    crs_text = f"EPSG:{code}" if code else target.to_wkt()
    stem = f"{src.path.stem}_{code or 'working'}.tif"
    resampling = _ROLE_RESAMPLING[role]
    why = ("'sum' keeps the number of people" if role == "population"
           else "'bilinear' for continuous values")
    return (
        "Reproject the raster (not the vector layers) to the working CRS: "
        "kotacerdas_gis.io.raster.reproject_raster("
        f'read_raster("{src.path}", require_metric=False), "{stem}", crs="{crs_text}", '
        f'resampling="{resampling}") ({why}), or gdalwarp -t_srs {crs_text} -r {resampling}.'
    )


def _sample(src: RasterSource) -> tuple[np.ndarray, float]:
    """Return the valid values of band 1 (at most :data:`_SAMPLE_CELLS` cells) and their share."""
    n = src.width * src.height
    with src._open() as ds:
        try:
            if n > _SAMPLE_CELLS:
                f = math.sqrt(n / _SAMPLE_CELLS)
                shape = (max(int(src.height / f), 1), max(int(src.width / f), 1))
                arr = ds.read(1, out_shape=shape, resampling=Resampling.nearest)
            else:
                arr = ds.read(1)
        except rasterio.errors.RasterioError as exc:
            raise DataError(
                f"{src.name}: could not read band 1 of {src.path}: {exc}. The file may be "
                "truncated or corrupt; re-export it as a GeoTIFF."
            ) from exc
    vals = arr.ravel().astype(np.float64)
    ok = np.isfinite(vals)
    if src.nodata is not None and not math.isnan(src.nodata):
        ok &= vals != src.nodata
    return vals[ok], float(ok.mean()) if len(ok) else 0.0


def _band_unit(src: RasterSource) -> str:
    with src._open() as ds:
        units = getattr(ds, "units", None) or ("",)
    return str(units[0] or "").strip().lower()


def validate_raster(
    source: RasterSource | str | os.PathLike[str],
    role: RasterRole = "dem",
    *,
    study_area: Any = None,
    admin: Any = None,
    working_crs: Any = None,
    name: str | None = None,
    code_col: str = "admin_code",
    name_col: str = "admin_name",
) -> RasterReport:
    """Open a raster and check that it can serve as a DEM, a depth raster or a population raster.

    The checks, in order (each failure raises, naming the file and the fix):

    1. the file: missing, empty (0 bytes), a folder, a vector file (GeoJSON...) instead of a
       raster, unreadable;
    2. the place: with ``study_area``, a raster that does not reach the study area at all is
       refused with the distance in km (another region, or a wrong CRS);
    3. the CRS: the raster must be in ``working_crs`` (or, without it, a metric CRS); otherwise
       the message shows the :func:`reproject_raster` call with the role's resampling
       (``bilinear`` for DEM and depth, ``sum`` for population, which keeps the total);
    4. the values: all nodata; void markers far below the rest that nodata does not declare
       (a DEM with -9999 voids while nodata is 0); a DEM higher than Everest or tagged in
       feet; a classified raster (a few integer values, such as land cover 1-3) given as
       DEM or population; negative depths or people;
    5. coverage: the share of the study area and of each admin unit covered by valid cells.
       A population raster that leaves admin units without any valid cell raises (those units
       would get zero people silently), naming how many and which; partial coverage of a
       DEM or depth raster is a remark.

    Parameters
    ----------
    source : RasterSource or path-like
        The raster.
    role : {"dem", "depth", "population"}
        What it stands for: elevation (m), water depth (m), or people per cell.
    study_area : GeoDataFrame, GeoSeries or shapely geometry, optional
        The study area in ``working_crs`` (or in the raster's CRS when ``working_crs`` is
        None), e.g. ``scenario.boundary``.
    admin : GeoDataFrame, optional
        Admin units (``code_col``, ``name_col``) in the same CRS, for per-unit coverage.
    working_crs : CRS-like, optional
        The scenario's working CRS (``scenario.crs``).
    name : str, optional
        Name used in messages (default: the file name).
    code_col, name_col : str
        Columns of ``admin``.

    Returns
    -------
    RasterReport

    Raises
    ------
    DataError
        A file that is not a usable raster of this role (see above).
    CRSError
        A raster in another CRS than the working CRS, or without a CRS.
    ParameterError
        An unknown ``role``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> dem = np.where(np.arange(100).reshape(10, 10) % 7 == 0, -9999, 20.0 + np.arange(100
    ...     ).reshape(10, 10)).astype("float32")
    >>> src = write_raster(dem, d / "dem.tif", transform=Affine(30, 0, 200000, 0, -30, 9720000),
    ...                    crs="EPSG:32751", nodata=0.0)
    >>> validate_raster(src, "dem")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.DataError: dem.tif: 15 of 100 cells read hold -9999, far below the other values (21 to 119 m), while the declared nodata is 0: voids would be read as terrain. Declare the void value as nodata: gdal_edit.py -a_nodata -9999 dem.tif (or in Python dataclasses.replace(read_raster(path), nodata=-9999.0)).
    """  # noqa: E501
    from ..checks import check_choice

    check_choice(role, get_args(RasterRole), name="role")
    src = _open_for_role(source, name, role)
    label, what = src.name, _ROLE_WORDS[role]
    remarks: list[str] = []
    target = as_crs(working_crs) if working_crs is not None else None

    area_geom = None
    if study_area is not None:
        area_geom = _as_geometry(study_area)
        area_crs = target if target is not None else src.crs
        rb = rasterio.warp.transform_bounds(
            rasterio.crs.CRS.from_wkt(src.crs.to_wkt()),
            rasterio.crs.CRS.from_wkt(area_crs.to_wkt()), *src.bounds)
        if not all(math.isfinite(v) for v in rb):
            raise DataError(
                f"{label}: its extent {src.bounds} cannot be placed in {describe_crs(area_crs)}: "
                f"the raster's CRS ({describe_crs(src.crs)}) is probably wrong."
            )
        import shapely

        if not shapely.box(*rb).intersects(area_geom):
            km = bbox_distance_km(rb, area_geom.bounds)
            raise DataError(
                f"{label}: the {what} covers x {rb[0]:.0f}..{rb[2]:.0f}, "
                f"y {rb[1]:.0f}..{rb[3]:.0f} "
                f"({describe_crs(area_crs)}), {km:,.0f} km from the study area: it shows another "
                "region (or its CRS is declared wrongly). Use a raster of the study area."
            )

    if target is not None and not src.crs.equals(target):
        raise CRSError(
            f"{label}: the {what} is in {describe_crs(src.crs)} but the working CRS is "
            f"{describe_crs(target)}. " + _reproject_advice(src, role, target)
        )
    if target is None and not _is_metric(src.crs):
        import geopandas as gpd
        import shapely

        from ..crs import estimate_working_crs

        zone = estimate_working_crs(gpd.GeoSeries([shapely.box(*src.bounds)], crs=src.crs))
        raise CRSError(
            f"{label}: the {what} is in {describe_crs(src.crs)}, not a projected CRS in metres. "
            + _reproject_advice(src, role, zone).replace(
                "the working CRS", f"the UTM zone of its area ({describe_crs(zone)})")
        )

    vals, valid_frac = _sample(src)
    if len(vals) == 0:
        raise DataError(
            f"{label}: every cell is nodata (nodata = {src.nodata}): the {what} holds no values. "
            "Check the export (a clip outside the data?) or the declared nodata value."
        )
    uniq = np.unique(vals[: 2_000_000])
    n_distinct = int(min(len(uniq), 1001))
    vmin, vmax = float(vals.min()), float(vals.max())
    _check_values(src, role, vals, uniq)
    if role == "depth" and vmax > 50:
        remarks.append(f"{label}: depths up to {vmax:.1f} m: check that the unit is metres "
                       "(not centimetres).")

    covered = admin_frac = None
    uncovered: list[str] = []
    if area_geom is not None or admin is not None:
        covered, admin_frac, uncovered, partial = _coverage(
            src, area_geom, admin, code_col=code_col, name_col=name_col)
        if covered is not None and covered < 0.999:
            remarks.append(f"{label}: valid cells cover {covered:.1%} of the study area.")
        if uncovered and role == "population":
            n = len(admin_frac or {})
            raise DataError(
                f"{label}: the population raster has no valid cell in {len(uncovered)} of {n} "
                f"admin units ({', '.join(uncovered[:10])}{', ...' if len(uncovered) > 10 else ''}"
                f"); they would get zero people silently. Use a raster that covers every unit, "
                "or give people per desa as a population table instead."
            )
        if uncovered:
            remarks.append(
                f"{label}: {len(uncovered)} admin units have no valid cell: "
                + ", ".join(uncovered[:10]) + (", ..." if len(uncovered) > 10 else "") + ".")
        if partial:
            remarks.append(
                f"{label}: {len(partial)} admin units are only partly covered (under 95 %): "
                + ", ".join(partial[:10]) + (", ..." if len(partial) > 10 else "") + ".")
    for r in remarks:
        log.info("%s", r)
    return RasterReport(
        name=label, role=role, source=src, n_valid_frac=valid_frac, min=vmin, max=vmax,
        n_distinct=n_distinct, study_area_covered_frac=covered, admin_covered_frac=admin_frac,
        admin_uncovered=uncovered, remarks=remarks,
    )


def _as_geometry(area: Any) -> Any:
    import shapely

    geom = getattr(area, "geometry", None)
    if geom is not None and hasattr(geom, "union_all"):
        return geom.union_all()
    if hasattr(area, "union_all"):
        return area.union_all()
    if isinstance(area, shapely.Geometry):
        return area
    raise TypeError(f"study_area: expected a GeoDataFrame, GeoSeries or geometry, not "
                    f"{type(area).__name__}")


def _check_values(src: RasterSource, role: str, vals: np.ndarray, uniq: np.ndarray) -> None:
    label = src.name
    n = len(vals)
    low_limit = _MIN_ELEVATION_M if role == "dem" else -100.0
    if role == "population":
        low_limit = -1e-9
    low = vals < low_limit
    if low.any() and role in ("dem", "depth") or (role == "population" and low.any()):
        lows = np.unique(vals[low])
        rest = vals[~low]
        marker = f"{lows[0]:g}" if len(lows) == 1 else f"{lows.min():g}..{lows.max():g}"
        rng = (f"{rest.min():.0f} to {rest.max():.0f} m" if len(rest) and role != "population"
               else f"{rest.min():g} to {rest.max():g}" if len(rest) else "none")
        fix_value = f"{lows[0]:g}" if len(lows) == 1 else "<void value>"
        py_value = float(lows[0]) if len(lows) == 1 else -9999.0
        raise DataError(
            f"{label}: {int(low.sum())} of {n} cells read hold {marker}, far below the other "
            f"values ({rng}), while the declared nodata is {src.nodata:g}: voids would be read "
            f"as {'terrain' if role == 'dem' else 'data'}. Declare the void value as nodata: "
            f"gdal_edit.py -a_nodata {fix_value} {src.path.name} (or in Python "
            f"dataclasses.replace(read_raster(path), nodata={py_value!r}))."
            if src.nodata is not None else
            f"{label}: {int(low.sum())} of {n} cells read hold {marker}, far below the other "
            f"values ({rng}), and the raster declares no nodata: voids would be read as "
            f"{'terrain' if role == 'dem' else 'data'}. Declare the void value as nodata: "
            f"gdal_edit.py -a_nodata {fix_value} {src.path.name}."
        )
    integer_valued = bool(np.all(uniq == np.round(uniq)))
    few = 2 <= len(uniq) <= 10 and n >= 50 * len(uniq)
    if role == "dem":
        unit = _band_unit(src)
        if unit in ("ft", "foot", "feet", "us-ft", "us survey foot", "ft-us"):
            raise DataError(
                f"{label}: the DEM's values are tagged in feet ({unit!r}); elevations must be in "
                f"metres. Convert: gdal_calc.py -A {src.path.name} --outfile dem_m.tif "
                '--calc="A*0.3048" (and set the unit to metre).'
            )
        if vals.max() > _MAX_ELEVATION_M:
            raise DataError(
                f"{label}: elevations up to {vals.max():,.0f}, higher than any terrain on Earth "
                f"({_MAX_ELEVATION_M:,.0f} m): the DEM is not in metres (feet? multiply by "
                f"0.3048; centimetres? divide by 100): gdal_calc.py -A {src.path.name} "
                '--outfile dem_m.tif --calc="A*0.3048".'
            )
        if few and integer_valued:
            raise DataError(
                f"{label}: the DEM holds only {len(uniq)} distinct whole values "
                f"({', '.join(f'{v:g}' for v in uniq)}) over {n} cells: it looks like a "
                "classified raster (land cover, hazard classes), not elevations in metres. "
                "Give the DEM (e.g. DEMNAS) under 'dem'."
            )
    if role == "population" and few and integer_valued and 0 not in uniq:
        raise DataError(
            f"{label}: the population raster holds only {len(uniq)} distinct whole values "
            f"({', '.join(f'{v:g}' for v in uniq)}) and no empty cell: it looks like a "
            "classified raster (land cover), not people per cell. Give a population count "
            "raster (e.g. WorldPop) or a population table per desa."
        )


def _coverage(
    src: RasterSource, area_geom: Any, admin: Any, *, code_col: str, name_col: str
) -> tuple[float | None, dict[str, float] | None, list[str], list[str]]:
    """Shares of the study area and of each admin unit covered by valid cells (exactextract)."""
    import geopandas as gpd
    import shapely
    from exactextract import exact_extract

    geoms: list[Any] = []
    if area_geom is not None:
        geoms.append(area_geom)
    codes: list[str] = []
    names: list[str] = []
    if admin is not None:
        codes = admin[code_col].astype(str).tolist() if code_col in admin else [
            str(i) for i in range(len(admin))]
        names = admin[name_col].astype(str).tolist() if name_col in admin else codes
        geoms.extend(admin.geometry.to_numpy())
    if not geoms:
        return None, None, [], []
    frame = gpd.GeoDataFrame({"i": np.arange(len(geoms))}, geometry=geoms,
                             crs=src.crs.to_wkt())
    area = shapely.area(np.asarray(geoms, dtype=object))
    rb = shapely.box(*src.bounds)
    inside = shapely.intersects(np.asarray(geoms, dtype=object), rb)
    counts = np.zeros(len(geoms))
    if inside.any():
        with src._open() as ds:
            res = exact_extract(ds, frame[inside], ["count"], output="pandas")
        counts[inside] = np.nan_to_num(res["count"].to_numpy(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(area > 0, counts * src.cell_area_m2 / area, 0.0), 0.0, 1.0)
    covered = float(frac[0]) if area_geom is not None else None
    fr = frac[1:] if area_geom is not None else frac
    admin_frac = dict(zip(codes, fr.tolist(), strict=True)) if admin is not None else None
    uncovered = [f"{n} ({c})" for n, c, f in zip(names, codes, fr, strict=True) if f <= 0.0]
    partial = [f"{n} ({c}, {f:.0%})" for n, c, f in zip(names, codes, fr, strict=True)
               if 0.0 < f < 0.95]
    return covered, admin_frac, uncovered, partial


def check_alignment(
    rasters: dict[str, RasterSource | str | os.PathLike[str]], *, strict: bool = False
) -> list[str]:
    """Compare the grids of rasters used together (DEM, depth raster, population raster).

    Each raster is compared with the first: CRS, cell size, and origin (whether its cells
    line up with the first's, i.e. its corner lies a whole number of cells away).

    Parameters
    ----------
    rasters : dict
        Name -> RasterSource or path, the reference first (``{"dem": ..., "depth": ...}``).
    strict : bool, default False
        Raise instead of returning the differences.

    Returns
    -------
    list of str
        One sentence per difference (empty when the grids agree).

    Raises
    ------
    DataError
        With ``strict``, when a grid differs (the message lists what differs).

    Examples
    --------
    >>> a = RasterSource(Path("dem.tif"), "dem", CRS.from_epsg(32751),
    ...                  Affine(30, 0, 0, 0, -30, 300), 10, 10, None, "float32",
    ...                  (0.0, 0.0, 300.0, 300.0), (30.0, 30.0))
    >>> b = RasterSource(Path("depth.tif"), "depth", CRS.from_epsg(32751),
    ...                  Affine(10, 0, 5, 0, -10, 300), 30, 30, None, "float32",
    ...                  (5.0, 0.0, 305.0, 300.0), (10.0, 10.0))
    >>> check_alignment({"dem": a, "depth": b})  # doctest: +NORMALIZE_WHITESPACE
    ['depth: cell size 10 x 10 m differs from dem (30 x 30 m)',
     'depth: its cells are shifted from the dem grid by 5 m in x and 0 m in y (not a whole
      number of cells)']
    """
    items = [(k, v if isinstance(v, RasterSource) else read_raster(v, name=k,
                                                                  require_metric=False))
             for k, v in rasters.items()]
    if len(items) < 2:
        return []
    ref_name, ref = items[0]
    out: list[str] = []
    for nm, src in items[1:]:
        if not src.crs.equals(ref.crs):
            out.append(f"{nm}: CRS {describe_crs(src.crs)} differs from {ref_name} "
                       f"({describe_crs(ref.crs)})")
            continue
        if not np.allclose(src.res, ref.res, rtol=1e-6):
            out.append(f"{nm}: cell size {src.res[0]:g} x {src.res[1]:g} m differs from "
                       f"{ref_name} ({ref.res[0]:g} x {ref.res[1]:g} m)")
        dx = (src.transform.c - ref.transform.c) % ref.res[0]
        dy = (src.transform.f - ref.transform.f) % ref.res[1]
        dx = min(dx, ref.res[0] - dx)
        dy = min(dy, ref.res[1] - dy)
        if dx > 1e-6 * ref.res[0] or dy > 1e-6 * ref.res[1]:
            out.append(f"{nm}: its cells are shifted from the {ref_name} grid by {dx:g} m in x "
                       f"and {dy:g} m in y (not a whole number of cells)")
    if out and strict:
        raise DataError("rasters do not share one grid: " + "; ".join(out) + ". Warp them onto "
                        f"the {ref_name} grid with gdalwarp -te/-tr (or reproject_raster).")
    return out


def validate_scenario_rasters(
    scenario: Any,
    rasters: dict[str, tuple[str | os.PathLike[str] | RasterSource, RasterRole]] | None = None,
) -> tuple[dict[str, RasterReport], list[str]]:
    """Validate a scenario's DEM and any other rasters against its study area, in one call.

    For the ``check`` / ``run`` preflight: each raster goes through :func:`validate_raster`
    with the scenario's boundary as study area, its finest admin layer for per-unit coverage
    and its working CRS; then :func:`check_alignment` compares their grids (the DEM first).

    Parameters
    ----------
    scenario : Scenario
        With ``dem_path`` (may be None), ``crs``, admin layers.
    rasters : dict, optional
        More rasters: name -> (path or RasterSource, role), e.g.
        ``{"depth": ("depth_2020.tif", "depth"), "population": ("worldpop.tif", "population")}``.

    Returns
    -------
    (dict of RasterReport, list of str)
        Reports by name (``"dem"`` for the DEM), and the grid differences (remarks).

    Raises
    ------
    DataError, CRSError
        From :func:`validate_raster`, for the first raster that is not usable.
    """
    todo: dict[str, tuple[Any, str]] = {}
    if getattr(scenario, "dem_path", None) is not None:
        todo["dem"] = (scenario.dem_path, "dem")
    todo.update(rasters or {})
    admin = next((getattr(scenario, k) for k in ("admin_desa", "admin_kecamatan",
                                                 "admin_kabupaten")
                  if getattr(scenario, k, None) is not None), None)
    area = scenario.boundary if admin is not None else None
    reports = {
        nm: validate_raster(src, role, study_area=area, admin=admin,  # type: ignore[arg-type]
                            working_crs=scenario.crs, name=nm if nm != "dem" else None)
        for nm, (src, role) in todo.items()
    }
    grids = check_alignment({nm: r.source for nm, r in reports.items()})
    return reports, grids
