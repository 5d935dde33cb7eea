"""Assets x hazard zones: buildings, point facilities and roads (InaSAFE ``impact`` layers).

* a building partly inside a zone is affected (no centroid test; InaSAFE fixed exactly that bug);
  a building whose outline only meets a zone's edge or corner, with no area inside, is not;
  ``flooded_frac`` (0-1) is the share of its footprint inside any zone and ``hazard_class`` the
  highest class it touches;
* roads are split at zone (and admin) edges and reported as ``length_m`` per road class and hazard
  class;
* point facilities take the class of the zone they lie in.

Every asset appears in the impact layers exactly once, either with a hazard class or as
``hazard_class == "not exposed"`` (``class_rank`` 0). The geometry is done by
:mod:`kotacerdas_gis.overlay`; zones prepared once with
:func:`~kotacerdas_gis.overlay.prepare_zones` are used as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from ..accounting import StepReport
from ..crs import require_same_crs
from ..errors import SchemaError
from ..overlay import (
    admin_zone_pieces,
    assign_to_first,
    fast_is_valid,
    line_zone_split,
    point_zone_index,
    polygon_zone_overlay,
    polygonal_part,
    prepare_zones,
    require_polygons,
)
from ..schemas import require_columns
from ..vocabulary import BUILDING_CLASSES as VOCAB_BUILDINGS
from ..vocabulary import NOT_EXPOSED, class_key
from ..vocabulary import ROAD_CLASSES as VOCAB_ROADS

__all__ = [
    "NOT_EXPOSED",
    "BUILDING_CLASSES",
    "ROAD_CLASSES",
    "buildings_exposure",
    "facilities_exposure",
    "roads_exposure",
]

#: InaSAFE building (and point facility) exposure classes (the vocabulary's values).
BUILDING_CLASSES: tuple[str, ...] = VOCAB_BUILDINGS.values

#: InaSAFE road exposure classes (the vocabulary's values).
ROAD_CLASSES: tuple[str, ...] = VOCAB_ROADS.values


def _normalise_class(values: pd.Series, allowed: Sequence[str], rep: StepReport,
                     what: str) -> np.ndarray:
    """Map each value to the allowed class with the same key (any spelling); unknown -> other."""
    # normalise each distinct value once (a million buildings have a dozen classes)
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    by_key = {class_key(a): a for a in allowed}
    uniq = np.array([by_key.get(class_key(v), "") for v in uniques] + [""], dtype=object)
    norm = uniq[codes]  # the sentinel -1 (missing) takes the last entry, ""
    known = norm != ""
    rep.repair(f"unknown {what} mapped to 'other'", int((~known).sum()))
    norm[~known] = "other"
    return norm


def _asset_classes(layer: pd.DataFrame, class_col: str, allowed: Sequence[str],
                   rep: StepReport, *, count_missing: str | None = None) -> np.ndarray:
    """Normalise ``layer[class_col]``: unknown -> "other" (counted); all "other" without it.

    With ``count_missing`` (the asset's name, e.g. ``"building"``) a missing column is counted
    as a repair of every row.
    """
    if class_col in layer.columns:
        return _normalise_class(layer[class_col], allowed, rep, class_col)
    if count_missing is not None:
        rep.repair(f"no {class_col!r} column: every {count_missing} counted as 'other'",
                   len(layer))
    return np.full(len(layer), "other", dtype=object)


def _require_locations(g: np.ndarray, name: str, what: str, hint: str) -> None:
    """Raise SchemaError when a geometry of layer ``name`` is missing or empty."""
    missing = shapely.is_missing(g) | shapely.is_empty(g)
    if missing.any():
        raise SchemaError(
            f"{name}: expected {what}, found {int(missing.sum())} empty or missing geometries. "
            f"{hint}"
        )


def _representative_admin(g: np.ndarray, admin: gpd.GeoDataFrame | None) -> np.ndarray:
    """Position of the admin unit holding each polygon's representative point (-1: none)."""
    # the representative point is only needed (and paid for) when there are admin units
    if admin is None:
        return np.full(len(g), -1, dtype=np.int64)
    return assign_to_first(shapely.point_on_surface(g), admin)


def _impact_layer(out: gpd.GeoDataFrame, classes: np.ndarray, zones: gpd.GeoDataFrame,
                  zidx: np.ndarray, measures: dict[str, Any], admin: gpd.GeoDataFrame | None,
                  aidx: np.ndarray) -> gpd.GeoDataFrame:
    """Fill an impact layer's columns, in the contract's order, on ``out`` (a copy).

    ``exposure_class``, the zone's columns (``hazard_class``, ``class_rank``, ``zone_id``,
    ``displacement_rate``), the asset's ``measures`` (``area_m2``, ``length_m`` ...),
    ``exposed`` (in a zone), ``affected`` (the zone class's flag: generic low is not) and
    ``admin_code``.
    """
    out["exposure_class"] = classes
    for k, v in _zone_cols(zones, zidx).items():
        out[k] = v
    for k, v in measures.items():
        out[k] = v
    out["exposed"] = zidx >= 0
    out["affected"] = out.pop("affected")
    out["admin_code"] = _admin_cols(admin, aidx)["admin_code"]
    return out


def _start_asset_step(
    layer: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, name: str, id_col: str,
    report: StepReport | None,
) -> tuple[StepReport, gpd.GeoDataFrame]:
    """Check an asset x zones step's CRSs and id column; return its report and prepared zones."""
    require_same_crs(**{name: layer, "zones": zones})
    require_columns(layer, [id_col], name=name)
    rep = report if report is not None else StepReport(f"{name} x zones", source=name)
    rep.n_in = len(layer)
    return rep, prepare_zones(zones)  # a prepared frame is returned as it is


def _zone_cols(zones: gpd.GeoDataFrame, zidx: np.ndarray) -> dict[str, Any]:
    has = zidx >= 0
    zc = np.where(has, zones["hazard_class"].to_numpy(object)[np.maximum(zidx, 0)], NOT_EXPOSED)
    zr = np.where(has, zones["class_rank"].to_numpy()[np.maximum(zidx, 0)], 0).astype(int)
    zid = np.where(has, zones["zone_id"].to_numpy(object)[np.maximum(zidx, 0)], None)
    rate = np.where(has, zones["displacement_rate"].to_numpy(float)[np.maximum(zidx, 0)], 0.0)
    zaff = (zones["affected"].to_numpy(bool) if "affected" in zones.columns
            else zones["class_rank"].to_numpy() > 0)
    aff = np.where(has, zaff[np.maximum(zidx, 0)], False).astype(bool)
    return {"hazard_class": zc, "class_rank": zr, "zone_id": zid, "displacement_rate": rate,
            "affected": aff}


def _admin_cols(admin: gpd.GeoDataFrame | None, aidx: np.ndarray) -> dict[str, Any]:
    if admin is None:
        return {"admin_code": np.full(len(aidx), None, dtype=object)}
    has = aidx >= 0
    return {"admin_code": np.where(has, admin["admin_code"].to_numpy(object)[np.maximum(aidx, 0)],
                                   None)}


def buildings_exposure(
    buildings: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    admin: gpd.GeoDataFrame | None = None,
    id_col: str = "asset_id",
    class_col: str = "exposure_class",
    report: StepReport | None = None,
) -> gpd.GeoDataFrame:
    """Overlay buildings with zones: the InaSAFE ``impact`` layer for buildings.

    A building is *exposed* when it shares a positive area with a zone; it takes the highest class
    it touches (no centroid test) and is *affected* when that class is (the class set's
    ``affected`` flag: InaSAFE's generic ``low`` is exposed but not affected).

    Parameters
    ----------
    buildings : GeoDataFrame
        Polygons (EPSG:32751) with ``asset_id`` and ``exposure_class`` (InaSAFE classes; unknown
        values become "other" and are counted).
    zones : GeoDataFrame
        Output of :func:`prepare_zones` (or raw zones; they are prepared here).
    admin : GeoDataFrame, optional
        Output of :func:`prepare_admin`; each building goes to the unit holding its
        representative point. Buildings outside every unit get ``admin_code`` None (counted).
    id_col, class_col : str, keyword-only
        Column names.
    report : StepReport, optional
        Where repairs are counted.

    Returns
    -------
    GeoDataFrame
        The input columns (index kept) plus ``exposure_class``, ``hazard_class``,
        ``class_rank``, ``zone_id``, ``area_m2``, ``flooded_area_m2``, ``flooded_frac`` (0-1),
        ``affected`` (bool), ``exposed`` (bool), ``admin_code``.

    Raises
    ------
    CRSError, CRSMismatchError, SchemaError

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> z = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["low"], "class_rank": [1]},
    ...     geometry=[box(0, 0, 5, 10)], crs=32751))
    >>> b = gpd.GeoDataFrame({"asset_id": ["a"], "exposure_class": ["health"]},
    ...     geometry=[box(4, 0, 14, 10)], crs=32751)
    >>> out = buildings_exposure(b, z)
    >>> out.hazard_class.tolist(), out.flooded_frac.tolist(), out.affected.tolist()
    (['low'], [0.1], [True])
    """
    rep, zones = _start_asset_step(buildings, zones, name="buildings", id_col=id_col, report=report)
    require_polygons(buildings, name="buildings")
    g = np.asarray(buildings.geometry.values, dtype=object)
    _require_locations(g, "buildings", "a footprint for every building",
                       "Drop or fix them (the reader's accounting counts them).")
    invalid = ~fast_is_valid(g)  # GEOS only for the footprints that are not simple and convex
    if invalid.any():  # no repair work at all when every footprint is valid
        g = g.copy()
        g[invalid] = polygonal_part(shapely.make_valid(g[invalid]))
        rep.repair("invalid building geometry fixed with make_valid", int(invalid.sum()))
    classes = _asset_classes(buildings, class_col, BUILDING_CLASSES, rep,
                             count_missing="building")
    st = polygon_zone_overlay(g, zones.geometry.values, zones["class_rank"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(st.area_m2 > 0, st.flooded_area_m2 / st.area_m2, 0.0), 0.0, 1.0)
    aidx = _representative_admin(g, admin)
    out = _impact_layer(buildings.copy(), classes, zones, st.zone_index,
                        {"area_m2": st.area_m2, "flooded_area_m2": st.flooded_area_m2,
                         "flooded_frac": frac}, admin, aidx)
    if admin is not None:
        rep.note(f"{int((aidx < 0).sum())} buildings outside the admin units (admin_code None)")
    return out


def facilities_exposure(
    facilities: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    admin: gpd.GeoDataFrame | None = None,
    id_col: str = "asset_id",
    class_col: str = "exposure_class",
    report: StepReport | None = None,
) -> gpd.GeoDataFrame:
    """Point facilities x zones: each point takes the class of the zone it lies in.

    Parameters
    ----------
    facilities : GeoDataFrame
        Points (EPSG:32751) with ``asset_id`` and ``exposure_class`` (unknown -> "other").
    zones : GeoDataFrame
        Hazard zones (prepared or raw).
    admin : GeoDataFrame, optional
        Prepared admin units.
    id_col, class_col : str, keyword-only
        Column names.
    report : StepReport, optional
        Where repairs are counted.

    Returns
    -------
    GeoDataFrame
        Input columns plus ``exposure_class``, ``hazard_class``, ``class_rank``, ``zone_id``,
        ``exposed``, ``affected``, ``admin_code``.

    Raises
    ------
    CRSError, CRSMismatchError, SchemaError

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box, Point
    >>> z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
    ...     geometry=[box(0, 0, 5, 10)], crs=32751)
    >>> f = gpd.GeoDataFrame({"asset_id": ["h", "s"], "exposure_class": ["health", "education"]},
    ...     geometry=[Point(1, 1), Point(9, 9)], crs=32751)
    >>> facilities_exposure(f, z).hazard_class.tolist()
    ['high', 'not exposed']
    """
    rep, zones = _start_asset_step(facilities, zones, name="facilities", id_col=id_col,
                                   report=report)
    g = np.asarray(facilities.geometry.values, dtype=object)
    _require_locations(g, "facilities", "a location for every facility", "Drop or fix them.")
    # non-point facilities (polygons from OSM) are represented by a point on their surface
    tid = shapely.get_type_id(g)
    pts = np.where(tid == 0, g, shapely.point_on_surface(g))
    rep.repair("non-point facility represented by a point on its surface", int((tid != 0).sum()))
    classes = _asset_classes(facilities, class_col, BUILDING_CLASSES, rep)
    zidx = point_zone_index(np.asarray(pts, dtype=object), zones.geometry.values,
                            zones["class_rank"].to_numpy())
    return _impact_layer(facilities.copy(), classes, zones, zidx, {}, admin,
                         assign_to_first(pts, admin))


def roads_exposure(
    roads: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    admin: gpd.GeoDataFrame | None = None,
    id_col: str = "asset_id",
    class_col: str = "road_class",
    report: StepReport | None = None,
    _aggregate: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Roads split at zone (and admin) edges: the InaSAFE ``impact`` layer for roads.

    Parameters
    ----------
    roads : GeoDataFrame
        Lines (EPSG:32751) with ``asset_id`` and ``road_class`` (InaSAFE road classes; unknown ->
        "other", counted). Zero-length and duplicated segments are dropped and counted.
    zones : GeoDataFrame
        Hazard zones (prepared or raw).
    admin : GeoDataFrame, optional
        Prepared admin units; pieces are also split at unit edges.
    id_col, class_col : str, keyword-only
        Column names.
    report : StepReport, optional
        Where repairs are counted.

    Returns
    -------
    GeoDataFrame
        One row per piece: the input columns, ``exposure_class`` (road class), ``hazard_class``,
        ``class_rank``, ``zone_id``, ``length_m``, ``exposed``, ``affected``, ``admin_code``. The
        pieces of a road add up to its length; every road has at least one piece.

    Raises
    ------
    CRSError, CRSMismatchError, SchemaError

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box, LineString
    >>> z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
    ...     geometry=[box(0, 0, 40, 10)], crs=32751)
    >>> r = gpd.GeoDataFrame({"asset_id": ["r1"], "road_class": ["local"]},
    ...     geometry=[LineString([(-60, 5), (40, 5)])], crs=32751)
    >>> roads_exposure(r, z)[["hazard_class", "length_m"]].values.tolist()
    [['not exposed', 60.0], ['high', 40.0]]
    """
    rep, zones = _start_asset_step(roads, zones, name="roads", id_col=id_col, report=report)
    g = np.asarray(roads.geometry.values, dtype=object)
    tid = shapely.get_type_id(g)
    if not set(tid[~shapely.is_missing(g)].tolist()) <= {1, 5}:
        raise SchemaError(
            f"roads: expected LineString/MultiLineString geometries, found "
            f"{sorted(set(roads.geom_type.dropna()))}. Pass a line layer."
        )
    length = shapely.length(g)
    zero = shapely.is_missing(g) | (length <= 0)
    rep.reject("zero-length or empty road segment", int(zero.sum()))
    norm = shapely.normalize(g)
    dup = pd.Series(shapely.to_wkb(np.where(zero, None, norm))).duplicated().to_numpy() & ~zero
    rep.reject("duplicated road segment (same geometry)", int(dup.sum()))
    keep = ~zero & ~dup
    src = roads[keep]
    gk = g[keep]
    classes = _asset_classes(src, class_col, ROAD_CLASSES, rep)
    agg = _aggregate if _aggregate is not None else admin_zone_pieces(zones, admin)
    li, pi, pieces = line_zone_split(gk, agg.geometry.values)
    zpos = np.where(pi >= 0, agg["zone_pos"].to_numpy()[np.maximum(pi, 0)], -1)
    apos = np.where(pi >= 0, agg["admin_pos"].to_numpy()[np.maximum(pi, 0)], -1)
    out = src.iloc[li].copy()
    out = out.set_geometry(gpd.GeoSeries(pieces, index=out.index, crs=roads.crs))
    out = _impact_layer(out, classes[li], zones, zpos, {"length_m": shapely.length(pieces)},
                        admin, apos)
    if admin is not None:
        rep.note(f"{float(out.loc[apos < 0, 'length_m'].sum()):.0f} m of road outside the admin "
                 "units (admin_code None)")
    return out
