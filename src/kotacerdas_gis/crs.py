"""Working-CRS policy: one metric CRS per study area, checked, never guessed.

Analysis functions never reproject. They call :func:`require_metric` on every
layer they receive and :func:`require_same_crs` on layers that are combined,
and fail with a :class:`~kotacerdas_gis.errors.CRSError` that says how to fix
the input. Only :mod:`kotacerdas_gis.io` reprojects inputs, and only
:mod:`kotacerdas_gis.outputs.webmap` converts to EPSG:4326.

A metric CRS is not enough for measurement: EPSG:3857 (Web Mercator, for map
tiles) is refused everywhere, and any other CRS whose scale at the layer's own
location is more than :data:`MAX_SCALE_ERROR` (0.5 %) from true (a UTM zone far
from the data, a Mercator away from the equator) is refused too, with the UTM
zone estimated for the data as the fix (:func:`scale_error`).

The working CRS is the manifest's ``crs``, or else :func:`estimate_working_crs`
on the study boundary (the UTM zone of its bounding box), logged and recorded.
Every hint names the CRS computed for the caller's own data: a layer near
Jakarta is told EPSG:32748, not Luwu Utara's zone. The bundled Masamba
scenario chooses WGS 84 / UTM zone 51S (EPSG:32751, :data:`LUWU_UTARA_CRS`),
which is also what :func:`estimate_working_crs` returns for the regency.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> pts = gpd.GeoDataFrame(geometry=[Point(120.33, -2.55)], crs="EPSG:4326")
>>> estimate_working_crs(pts).to_epsg()
32751
>>> require_metric(pts, name="towns")
Traceback (most recent call last):
...
kotacerdas_gis.errors.CRSError: towns: expected a projected CRS in metres, found geographic EPSG:4326 (WGS 84). Reproject it first to the UTM zone of your data, EPSG:32751 (WGS 84 / UTM zone 51S): gdf.to_crs("EPSG:32751"), or kotacerdas_gis.io.read_vector(..., to_crs="EPSG:32751").
"""  # noqa: E501

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import numpy as np

import geopandas as gpd
from pyproj import CRS, Proj, Transformer

from .errors import CRSError, CRSMismatchError

__all__ = [
    "LUWU_UTARA_CRS",
    "WEB_CRS",
    "as_crs",
    "describe_crs",
    "require_metric",
    "require_same_crs",
    "estimate_working_crs",
    "suggest_crs_fix",
    "scale_error",
    "MAX_SCALE_ERROR",
]

log = logging.getLogger(__name__)

#: Working CRS of Kabupaten Luwu Utara: WGS 84 / UTM zone 51S.
LUWU_UTARA_CRS = CRS.from_epsg(32751)
#: Default working CRS of the package (the bundled scenario's).
#: The CRS of web maps; used only by ``outputs.webmap``.
WEB_CRS = CRS.from_epsg(4326)
#: Largest length-scale error (relative, 0.005 = 0.5 %) a CRS may have at the data's location
#: to be used for measurement. UTM inside its zone is within 0.1 %; Web Mercator at Jakarta's
#: latitude is 0.6 % off, a UTM zone 16 degrees away 4 %.
MAX_SCALE_ERROR = 0.005
_PSEUDO_MERCATOR = "Popular Visualisation Pseudo Mercator"


def as_crs(crs: Any) -> CRS:
    """Return a :class:`pyproj.CRS` for anything pyproj accepts (EPSG code, string, CRS).

    Raises
    ------
    CRSError
        If ``crs`` is None or pyproj cannot parse it.
    """
    if crs is None:
        raise CRSError("expected a CRS, found None. Pass an EPSG code such as 'EPSG:32751'.")
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # pyproj.exceptions.CRSError and friends
        raise CRSError(f"could not understand the CRS {crs!r}: {exc}") from exc


def describe_crs(crs: Any) -> str:
    """Short human description: ``EPSG:32751 (WGS 84 / UTM zone 51S)`` or the name alone."""
    c = as_crs(crs)
    epsg = c.to_epsg()
    return f"EPSG:{epsg} ({c.name})" if epsg else c.name


def _metre_unit(crs: CRS) -> bool:
    try:
        axes = crs.axis_info
    except Exception:  # pragma: no cover - exotic CRS
        return False
    return bool(axes) and all(
        (a.unit_name or "").lower() in ("metre", "meter", "m") for a in axes[:2]
    )


def _is_pseudo_mercator(crs: CRS) -> bool:
    op = crs.coordinate_operation
    return bool(op is not None and op.method_name == _PSEUDO_MERCATOR)


@functools.lru_cache(maxsize=64)
def _projections(wkt: str) -> tuple[Proj, Transformer]:
    crs = CRS.from_wkt(wkt)
    return Proj(crs), Transformer.from_crs(crs, crs.geodetic_crs or WEB_CRS, always_xy=True)


def scale_error(crs: Any, bounds: tuple[float, float, float, float]) -> float:
    """Largest relative length-scale error of ``crs`` over ``bounds`` (its corners and centre).

    Parameters
    ----------
    crs : CRS-like
        A projected CRS.
    bounds : (minx, miny, maxx, maxy)
        An extent in ``crs`` coordinates (metres).

    Returns
    -------
    float
        ``max |k - 1|`` of the meridional and parallel scale factors at the five points
        (0.0062 for EPSG:3857 at Jakarta: lengths 0.6 % too long); NaN when no point can
        be evaluated.

    Examples
    --------
    >>> round(scale_error("EPSG:32748", (700_000, 9_300_000, 710_000, 9_310_000)), 4)
    0.0001
    >>> x, y = 11_877_790, -708_330  # Jakarta in Web Mercator metres
    >>> round(scale_error("EPSG:3857", (x, y, x + 1000, y + 1000)), 4)
    0.0062
    """
    c = as_crs(crs)
    proj, to_geo = _projections(c.to_wkt())
    x0, y0, x1, y1 = (float(v) for v in bounds)
    xs = np.array([x0, x1, x0, x1, (x0 + x1) / 2])
    ys = np.array([y0, y0, y1, y1, (y0 + y1) / 2])
    lon, lat = to_geo.transform(xs, ys)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return math.nan
    f = proj.get_factors(np.asarray(lon)[ok], np.asarray(lat)[ok], errcheck=False)
    k = np.concatenate([np.atleast_1d(f.meridional_scale), np.atleast_1d(f.parallel_scale)])
    k = k[np.isfinite(k)]
    return float(np.max(np.abs(k - 1.0))) if k.size else math.nan


def _measurement_problem(crs: CRS, gdf: Any) -> str | None:
    """Say why a metric CRS is unfit for measurement at the layer's location, or None."""
    bounds: tuple[float, float, float, float] | None = None
    if isinstance(gdf, (gpd.GeoDataFrame, gpd.GeoSeries)) and len(gdf) and not bool(
            gdf.is_empty.all()):
        b = gdf.total_bounds
        if np.all(np.isfinite(b)):
            bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    err = scale_error(crs, bounds) if bounds is not None else math.nan
    if _is_pseudo_mercator(crs):
        where = (f"; at this layer's location lengths are {err * 100:.2g} % too long and areas "
                 f"{((1 + err) ** 2 - 1) * 100:.2g} %" if math.isfinite(err) else "")
        return (f"{describe_crs(crs)} is Web Mercator, a CRS for map tiles, not for measuring "
                f"lengths and areas{where}")
    if math.isfinite(err) and err > MAX_SCALE_ERROR:
        return (f"{describe_crs(crs)} is {err * 100:.2g} % from true scale at this layer's "
                f"location (more than {MAX_SCALE_ERROR * 100:g} %), so lengths and areas "
                "would be wrong")
    return None


def require_metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str,
                   at_location: bool = True) -> CRS:
    """Check that a layer has a projected CRS whose unit is the metre, and return it.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        The layer to check.
    name : str
        The layer's name, used in the error message (for example ``"buildings"``).
    at_location : bool, default True
        Also refuse a CRS more than :data:`MAX_SCALE_ERROR` from true scale where the
        layer lies. Loaders reading into the working CRS pass False: there a layer far
        from true scale is a layer in the wrong place (swapped axes, a wrong ``.prj``),
        which :meth:`kotacerdas_gis.scenario.Scenario.validate` diagnoses by name; the
        analysis steps check the scale again. Web Mercator is refused either way.

    Returns
    -------
    pyproj.CRS
        The layer's CRS.

    Raises
    ------
    CRSError
        If the CRS is missing, geographic, or not in metres; or if it is Web Mercator
        (EPSG:3857) or more than :data:`MAX_SCALE_ERROR` from true scale at the layer's
        location. The message names the UTM zone estimated for the layer as the fix.
    """
    crs = gdf.crs
    if crs is not None and as_crs(crs).is_projected and _metre_unit(as_crs(crs)):
        problem = _measurement_problem(as_crs(crs), gdf if at_location else None)
        if problem is None:
            return as_crs(crs)
        raise CRSError(f"{name}: {problem}. Reproject it first {suggest_crs_fix(gdf)}.")
    fix = suggest_crs_fix(gdf)
    if crs is None:
        raise CRSError(
            f"{name}: expected a projected CRS in metres, found no CRS at all. "
            f"Set the CRS the coordinates are in (gdf.set_crs(...)), then reproject {fix}."
        )
    crs = as_crs(crs)
    if crs.is_geographic:
        raise CRSError(
            f"{name}: expected a projected CRS in metres, found geographic {describe_crs(crs)}. "
            f"Reproject it first {fix}."
        )
    if not crs.is_projected or not _metre_unit(crs):
        raise CRSError(
            f"{name}: expected a projected CRS in metres, found {describe_crs(crs)}. "
            f"Reproject it first {fix}."
        )
    return crs


def require_same_crs(at_location: bool = True,
                     **layers: gpd.GeoDataFrame | gpd.GeoSeries | Any) -> CRS:
    """Check that every named layer is metric and that all share one CRS.

    Parameters
    ----------
    at_location : bool, default True
        Passed to :func:`require_metric` for each vector layer.
    **layers
        Layers by name (``buildings=..., zones=...``). A value may also be a
        CRS-like object (for a raster), anything with a ``.crs`` attribute.

    Returns
    -------
    pyproj.CRS
        The common CRS.

    Raises
    ------
    CRSError
        If a layer is not metric.
    CRSMismatchError
        If two layers differ; the message names both and the fix.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=32751)
    >>> b = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=32750)
    >>> require_same_crs(buildings=a, zones=b)
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.CRSMismatchError: buildings is in EPSG:32751 (WGS 84 / UTM zone 51S) but zones is in EPSG:32750 (WGS 84 / UTM zone 50S). Use one working CRS for the study area: reproject zones with gdf.to_crs("EPSG:32751") or read it with kotacerdas_gis.io.read_vector(..., to_crs="EPSG:32751").
    """  # noqa: E501
    first_name: str | None = None
    first: CRS | None = None
    first_is_raster = False
    vector_crs = next((as_crs(lyr.crs) for lyr in layers.values()
                       if isinstance(lyr, (gpd.GeoDataFrame, gpd.GeoSeries))
                       and lyr.crs is not None), None)
    for name, layer in layers.items():
        is_raster = not isinstance(layer, (gpd.GeoDataFrame, gpd.GeoSeries))
        if not is_raster:
            crs = require_metric(layer, name=name, at_location=at_location)
        else:
            crs = as_crs(getattr(layer, "crs", layer))
            if vector_crs is not None and not crs.equals(vector_crs):
                pass  # the raster is warped to the vectors' CRS: said below, whatever its CRS
            elif not crs.is_projected or not _metre_unit(crs):
                raise CRSError(
                    f"{name}: expected a projected CRS in metres, found {describe_crs(crs)}."
                )
            elif _is_pseudo_mercator(crs):
                raise CRSError(
                    f"{name}: {_measurement_problem(crs, None)}. Reproject it to the UTM zone "
                    "of the study area (kotacerdas_gis.estimate_working_crs(boundary) names "
                    "it), e.g. with kotacerdas_gis.io.raster.reproject_raster."
                )
        if first is None:
            first_name, first, first_is_raster = name, crs, is_raster
        elif not crs.equals(first):
            if is_raster or first_is_raster:  # vectors are read into the working CRS: warp rasters
                raster, vector_crs = (name, first) if is_raster else (first_name, crs)
                epsg = vector_crs.to_epsg()
                target = f"EPSG:{epsg}" if epsg else vector_crs.to_string()
                raise CRSMismatchError(
                    f"{first_name} is in {describe_crs(first)} but {name} is in "
                    f"{describe_crs(crs)}. Reproject the raster {raster} (not the vector layers) "
                    f"to {target}: kotacerdas_gis.io.raster.reproject_raster(read_raster(path, "
                    f'require_metric=False), "out.tif", crs="{target}", resampling="bilinear") '
                    '(resampling="sum" for people per cell).'
                )
            epsg = first.to_epsg()
            target = f"EPSG:{epsg}" if epsg else first.to_string()
            raise CRSMismatchError(
                f"{first_name} is in {describe_crs(first)} but {name} is in {describe_crs(crs)}. "
                f"Use one working CRS for the study area: reproject {name} with "
                f'gdf.to_crs("{target}") or read it with '
                f'kotacerdas_gis.io.read_vector(..., to_crs="{target}").'
            )
    if first is None:
        raise CRSError("require_same_crs needs at least one layer.")
    return first


def suggest_crs_fix(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """Say how to reproject a layer, naming the UTM zone of the layer's own coordinates.

    Used by every CRS hint so that a study area outside Luwu Utara is told its own
    zone. A layer without a CRS (or without geometry) gets the generic advice.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> jakarta = gpd.GeoDataFrame(geometry=[Point(106.85, -6.2)], crs="EPSG:4326")
    >>> suggest_crs_fix(jakarta)
    'to the UTM zone of your data, EPSG:32748 (WGS 84 / UTM zone 48S): gdf.to_crs("EPSG:32748"), or kotacerdas_gis.io.read_vector(..., to_crs="EPSG:32748")'
    """  # noqa: E501
    target = None
    if gdf.crs is not None and len(gdf) and not gdf.is_empty.all():
        try:
            target = gdf.estimate_utm_crs()
        except Exception:  # noqa: BLE001 - no usable bounds: fall back to the generic advice
            target = None
    if target is None:
        return ('to the working CRS of your study area (kotacerdas_gis.estimate_working_crs('
                'boundary) gives its UTM zone): gdf.to_crs(...)')
    code = f"EPSG:{target.to_epsg()}" if target.to_epsg() else target.to_string()
    return (f'to the UTM zone of your data, {describe_crs(target)}: gdf.to_crs("{code}"), '
            f'or kotacerdas_gis.io.read_vector(..., to_crs="{code}")')


def estimate_working_crs(boundary: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """Pick the working CRS of a study area: the UTM zone of its bounding box.

    For Luwu Utara this is EPSG:32751 although the regency straddles 120 °E
    (the 50S/51S border): geopandas' ``estimate_utm_crs`` takes the zone of
    the box's centre. The choice is logged.

    Parameters
    ----------
    boundary : GeoDataFrame or GeoSeries
        The study area, in any CRS.

    Returns
    -------
    pyproj.CRS
        A WGS 84 / UTM CRS.

    Raises
    ------
    CRSError
        If the boundary has no CRS or no geometry.
    """
    if boundary.crs is None:
        raise CRSError(
            "study boundary: expected a CRS, found none. Set it with gdf.set_crs(...) first."
        )
    if len(boundary) == 0 or boundary.is_empty.all():
        raise CRSError("study boundary: it has no geometry, so no working CRS can be estimated.")
    crs = boundary.estimate_utm_crs()
    log.info("working CRS estimated from the study boundary: %s", describe_crs(crs))
    return crs
