"""Flood-hazard zones: from an observed footprint, from the DEM (HAND), from a depth raster.

Every builder returns a :class:`HazardZones`: a GeoDataFrame of non-overlapping
polygons with the columns of DATA_MODEL.md (``zone_id``, ``hazard_class``,
``class_rank``, ``label_id``, ``label_en``, ``colour``, ``depth_min_m``, ``depth_max_m``,
``displacement_rate``, ``source``, ``area_m2``), the :class:`ClassSet` used,
the parameters, and a :class:`~kotacerdas_gis.accounting.StepReport` of what
was repaired or dropped.

- :func:`observed_zones`: footprint polygons with depth columns, or with a
  categorical field mapped to classes by a ``value_map``
  (``{"wet": ["YES", "yes"], "dry": ["NO", "no"]}``), classified; invalid
  polygons repaired with ``make_valid``, overlaps resolved so the highest class
  keeps the shared area (counted). Values the map does not name are counted and
  reported, never taken as wet or dry.
- :func:`dem_zones`: a flood stage above the drainage network. A cell is
  flooded when ``HAND < stage_m`` and the stream it drains to drains at least
  ``min_drain_area_km2`` (and, optionally, its slope is at most
  ``max_slope_deg``); its depth is ``stage_m - HAND`` and the class set
  classifies that depth. Small patches are removed on the class *raster*
  (``rasterio.features.sieve``) before polygonising with
  ``rasterio.features.shapes``, so the polygons share edges exactly: no gaps,
  no slivers. Memory: the classes are computed as a uint8 raster by row blocks
  (1 byte per cell), and rasters above 8 million cells are polygonised in row
  strips whose pieces are unioned across the seams (the same zones).
  :func:`kotacerdas_gis.hazard.calibration.calibrate_hand` fits
  ``stage_m`` and ``min_drain_area_km2`` to an observed footprint.
- :func:`depth_zones`: a depth raster classified the same way.
- :func:`combine_zones`: several sources into one layer without overlaps,
  by a stated rule (``"max"``: the highest class wins; ``"first"``: the
  earlier source wins), keeping each polygon's ``source``.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> fp = gpd.GeoDataFrame({"depth_min_m": [1.0, 0.2], "depth_max_m": [4.0, 0.5]},
...                       geometry=[box(0, 0, 90, 90), box(60, 0, 150, 90)], crs=32751)
>>> hz = observed_zones(fp)
>>> hz.zones[["hazard_class", "class_rank", "area_m2"]].values.tolist()
[['high', 4, 8100.0], ['low', 2, 5400.0]]
>>> hz.report.reasons_repaired
Counter({'overlap given to the higher class': 1})
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from affine import Affine

import geopandas as gpd
import rasterio.features
import shapely
from pyproj import CRS

from ..accounting import StepReport
from ..crs import as_crs, require_metric, require_same_crs
from ..errors import DataError, RepairWarning, SchemaError
from ..overlay import OverlapResolution, polygonal_part, resolve_overlaps
from ..rasterlike import RasterLike
from .classes import PETABENCANA, ClassSet, get_class_set
from .terrain import Terrain

__all__ = [
    "ZONE_COLUMNS",
    "HazardZones",
    "observed_zones",
    "dem_zones",
    "dem_depth_m",
    "depth_zones",
    "combine_zones",
    "polygonize_ranks",
]

log = logging.getLogger(__name__)

#: Output columns of every zones layer (DATA_MODEL.md), geometry last.
ZONE_COLUMNS = ["zone_id", "hazard_class", "class_rank", "label_id", "label_en", "colour",
                "depth_min_m", "depth_max_m", "displacement_rate", "affected", "source",
                "area_m2"]

#: Value-map keys that mean "not hazardous" (the polygon is no hazard zone), unless the class
#: set has a class of that key.
NOT_HAZARDOUS_KEYS = ("none", "dry", "not_hazardous")

UnmappedRule = Literal["drop", "error"]

DepthRule = Literal["max", "mean", "min"]
CombineRule = Literal["max", "first"]
NegativeRule = Literal["error", "clip"]


@dataclass(frozen=True, eq=False)
class HazardZones:
    """Classified hazard zones of one or more sources.

    Attributes
    ----------
    zones : geopandas.GeoDataFrame
        Polygons in the working CRS with :data:`ZONE_COLUMNS`; they do not overlap.
    class_set : ClassSet
        The classification used.
    source : str
        Name of the source (``"observed"``, ``"dem_hand"``, ``"combined"``...).
    parameters : Mapping
        The parameters that produced the zones (and, when combined, the rule).
    report : StepReport
        Features repaired or rejected on the way.
    """

    zones: gpd.GeoDataFrame
    class_set: ClassSet
    source: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    report: StepReport = field(default_factory=lambda: StepReport("zones"))

    def area_by_class_m2(self) -> dict[str, float]:
        """Total area per ``hazard_class``, m² (worst class first)."""
        z = self.zones
        if z.empty:
            return {}
        s = z.groupby("hazard_class")["area_m2"].sum()
        order = sorted(s.index, key=lambda k: -self.class_set[k].rank)
        return {k: float(s[k]) for k in order}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for summary.json under ``"hazard"``)."""
        return {
            "source": self.source,
            "class_set": self.class_set.name,
            "n_zones": int(len(self.zones)),
            "area_by_class_m2": self.area_by_class_m2(),
            "parameters": dict(self.parameters),
            "report": self.report.to_record(),
        }


def _zones_frame(
    geoms: Any, ranks: Any, depth_min: Any, depth_max: Any, *, class_set: ClassSet,
    source: Any, crs: CRS,
) -> gpd.GeoDataFrame:
    geoms = np.asarray(geoms, dtype=object)
    ranks = np.asarray(ranks, dtype=int)
    cols = class_set.class_columns(ranks)
    n = len(geoms)
    src = np.broadcast_to(np.asarray(source, dtype=object), (n,))
    df = gpd.GeoDataFrame(
        {
            "zone_id": [f"{s}-{i + 1}" for i, s in enumerate(src)],
            "hazard_class": cols["hazard_class"].to_numpy(),
            "class_rank": cols["class_rank"].to_numpy(),
            "label_id": cols["label_id"].to_numpy(),
            "label_en": cols["label_en"].to_numpy(),
            "colour": cols["colour"].to_numpy(),
            "depth_min_m": np.asarray(depth_min, dtype=float),
            "depth_max_m": np.asarray(depth_max, dtype=float),
            "displacement_rate": cols["displacement_rate"].to_numpy(),
            "affected": cols["affected"].to_numpy(),
            "source": src,
            "area_m2": shapely.area(geoms) if n else np.zeros(0),
        },
        geometry=gpd.GeoSeries(geoms, crs=crs),
        crs=crs,
    )
    return df


def _check_option(value: Any, literal: Any, name: str) -> None:
    valid = get_args(literal)
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, valid))}")


def _resolve(geoms: np.ndarray, order: np.ndarray, *, min_area_m2: float) -> OverlapResolution:
    """Give the overlap to the earlier polygon in ``order`` (:func:`overlay.resolve_overlaps`).

    An overlap counts when larger than 1e-6 of the polygon's area (at least 1e-6 m2); pieces
    left smaller than ``min_area_m2`` are removed.
    """
    return resolve_overlaps(geoms, order, min_overlap_m2=1e-6, min_overlap_frac=1e-6,
                            min_area_m2=min_area_m2)


def observed_zones(
    footprint: gpd.GeoDataFrame,
    *,
    class_set: ClassSet | str = PETABENCANA,
    depth_min_col: str | None = "depth_min_m",
    depth_max_col: str | None = "depth_max_m",
    depth_rule: DepthRule = "max",
    source: str = "observed",
    min_area_m2: float = 1.0,
    field: str | None = None,
    value_map: Mapping[str, Any] | None = None,
    unmapped: UnmappedRule = "drop",
    every_polygon: str | None = None,
) -> HazardZones:
    """Classify observed flood polygons (e.g. the 2020 mud footprint) into hazard zones.

    A polygon is classified in exactly one of three stated ways: by its depth columns
    (default), by a categorical ``field`` through ``value_map``, or by the rule
    ``every_polygon=KEY``. A layer with neither depth columns nor a value map is an error
    (it was silently "all wet" before).

    Parameters
    ----------
    footprint : GeoDataFrame
        Flood polygons in the working CRS (EPSG:32751), with depth columns in metres or a
        categorical field.
    class_set : ClassSet or str, default PETABENCANA
        How depths (or the mapped categories) are classified (``"wet_dry"``,
        ``"petabencana_depth"``, ``"generic"``, ``"inarisk"``, a ClassSet).
    depth_min_col, depth_max_col : str or None
        Columns holding the observed depth range, m. A polygon with only one of the two
        is classified by that one (counted in ``report``). Ignored with ``value_map``.
    depth_rule : {'max', 'mean', 'min'}, default 'max'
        Which depth classifies a polygon: the maximum (conservative), the
        middle of the range or the minimum. With one column, that column.
    field : str, optional
        Categorical column (``"FLOODPRONE"``, ``"KRB"``), used with ``value_map``.
    value_map : mapping of class key -> list of values, optional
        Which field values make which class of ``class_set``
        (``{"wet": ["YES", "yes"], "dry": ["NO", "no"]}``; ``{"high": ["Tinggi"],
        "medium": ["Sedang"], "low": ["Rendah"]}`` with ``class_set="generic"``). The keys
        ``"none"``, ``"dry"`` and ``"not_hazardous"`` mean "not a hazard zone" unless the
        class set has such a class; those polygons are left out (counted). Values match
        exactly after trimming spaces (numbers as text: ``1`` and ``1.0`` both ``"1"``).
    unmapped : {'drop', 'error'}, default 'drop'
        Polygons whose value the map does not name: left out and counted per value in
        ``report`` (with a RepairWarning), or a DataError listing them.
    every_polygon : str, optional
        The stated rule "every polygon is class KEY" (``"wet"`` for an InaSAFE wet/dry
        layer without attributes), used only when no depth column and no value map is given.
    source : str, default "observed"
        Written to the ``source`` column.
    min_area_m2 : float, default 1.0
        Pieces left smaller than this after resolving overlaps are dropped (counted).

    Returns
    -------
    HazardZones
        One zone per kept polygon, columns :data:`ZONE_COLUMNS`; ``depth_min_m``
        and ``depth_max_m`` are the observed values. Where polygons overlap, the
        higher class (then the deeper polygon) keeps the shared area.

    Raises
    ------
    CRSError
        If the footprint's CRS is missing or not metric.
    SchemaError
        If a depth column or the field is missing (the message lists the columns that
        exist), if neither depth columns nor a value map (nor ``every_polygon``) is given,
        or if the value map names a class the set lacks or one value twice.
    DataError
        If no polygon is left, or on unmapped values with ``unmapped="error"``.

    Warns
    -----
    RepairWarning
        When polygons were repaired or dropped; ``report`` holds the counts.
    """
    _check_option(depth_rule, DepthRule, "depth_rule")
    _check_option(unmapped, UnmappedRule, "unmapped")
    cs = get_class_set(class_set)
    crs = require_metric(footprint, name="flood footprint")
    columns = [c for c in footprint.columns if c != footprint.geometry.name]
    if (field is None) != (value_map is None):
        raise SchemaError(
            "flood footprint: field= and value_map= go together: name the categorical column "
            f"(one of {columns}) and map its values to classes of {cs.name!r} ({cs.keys}), "
            "e.g. field='FLOODPRONE', value_map={'wet': ['YES', 'yes'], 'dry': ['NO', 'no']}."
        )
    by_value = value_map is not None
    cols = ([] if by_value else
            [c for c in (depth_min_col, depth_max_col) if c is not None])
    if not by_value and not cols and every_polygon is None:
        raise SchemaError(
            "flood footprint: no depth columns and no value map, so nothing says which polygon "
            "is wet. Give depth_min_col=/depth_max_col= (depths in m), or field= and value_map= "
            f"for a categorical column (one of {columns}; e.g. value_map={{'wet': ['YES'], "
            "'dry': ['NO']}), or state the rule every_polygon='wet' (a wet/dry layer without "
            "attributes)."
        )
    if every_polygon is not None and every_polygon not in cs.keys:
        raise SchemaError(
            f"flood footprint: every_polygon={every_polygon!r} is not a class of {cs.name!r}; "
            f"choose one of {cs.keys}."
        )
    if by_value and field not in footprint.columns:
        raise SchemaError(
            f"flood footprint: expected the field {field!r}, found columns {columns}. Pass the "
            "right name with field=."
        )
    missing = [c for c in cols if c not in footprint.columns]
    if missing:
        raise SchemaError(
            f"flood footprint: expected depth column(s) {missing}, found columns "
            f"{[c for c in footprint.columns if c != footprint.geometry.name]}. Pass the right "
            "names with depth_min_col=/depth_max_col= (or None for wet/dry polygons)."
        )
    report = StepReport("classify observed flood footprint", source=source, n_in=len(footprint))
    geoms = np.asarray(footprint.geometry.values, dtype=object)
    null = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    report.reject("empty or missing geometry", int(null.sum()))
    invalid = ~null & ~shapely.is_valid(geoms)  # None is not valid either; masked by ~null
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        report.repair("invalid geometry fixed with make_valid", int(invalid.sum()))
    geoms = polygonal_part(geoms)
    nonpoly = ~null & shapely.is_empty(geoms)
    report.reject("not a polygon", int(nonpoly.sum()))
    keep = ~null & ~nonpoly

    if by_value:
        assert value_map is not None and field is not None
        value, ranks = _map_values(footprint[field], value_map, cs, keep, report,
                                   field=field, unmapped=unmapped)
        keep &= ranks > 0
        out_min = np.full(len(geoms), np.nan)
        out_max = np.full(len(geoms), np.nan)
    elif cols:
        dmin = (pd.to_numeric(footprint[depth_min_col], errors="coerce").to_numpy(float)
                if depth_min_col else None)
        dmax = (pd.to_numeric(footprint[depth_max_col], errors="coerce").to_numpy(float)
                if depth_max_col else None)
        lo = dmin if dmin is not None else dmax
        hi = dmax if dmax is not None else dmin
        assert lo is not None and hi is not None
        if dmin is not None and dmax is not None:
            only_lo = keep & np.isnan(hi) & ~np.isnan(lo)
            only_hi = keep & np.isnan(lo) & ~np.isnan(hi)
            if depth_rule != "min":
                report.repair(f"no {depth_max_col}: classed by {depth_min_col}",
                              int(only_lo.sum()))
            if depth_rule != "max":
                report.repair(f"no {depth_min_col}: classed by {depth_max_col}",
                              int(only_hi.sum()))
        mid = np.where(np.isnan(lo), hi, np.where(np.isnan(hi), lo, (lo + hi) / 2))
        value = {"max": np.fmax(lo, hi), "min": np.fmin(lo, hi), "mean": mid}[depth_rule]
        nodepth = keep & np.isnan(value)
        report.reject("no depth value", int(nodepth.sum()))
        negative = keep & ~nodepth & (value < 0)
        report.reject("negative depth", int(negative.sum()))
        keep &= ~nodepth & ~negative
        ranks = np.asarray(cs.classify_ranks(np.where(keep, value, np.nan)), dtype=int)
        outside = keep & (ranks == 0)
        report.reject("depth outside every class (dry)", int(outside.sum()))
        keep &= ~outside
        out_min = lo.copy()
        out_max = hi.copy()
    else:
        assert every_polygon is not None
        value = np.zeros(len(geoms))
        ranks = np.full(len(geoms), cs[every_polygon].rank)
        report.note(f"stated rule: every polygon is {every_polygon!r} "
                    f"({int(keep.sum())} polygons)")
        out_min = np.full(len(geoms), np.nan)
        out_max = np.full(len(geoms), np.nan)
    idx = np.flatnonzero(keep)
    g = geoms[idx]
    order = np.lexsort((-np.nan_to_num(value[idx], nan=-1.0), -ranks[idx]))
    res = _resolve(g, order, min_area_m2=min_area_m2)
    report.repair("overlap given to the higher class", int((res.trimmed & ~res.removed).sum()))
    report.reject("covered by a higher-class polygon", int(res.removed.sum()))
    alive = ~res.removed
    idx, g2 = idx[alive], res.geoms[alive]
    if len(idx) == 0:
        raise DataError(
            f"flood footprint: no polygon is left after checking ({report.summary()}). "
            "Expected polygons with depths inside the class set "
            f"{cs.name!r} ({cs.keys})."
        )
    zones = _zones_frame(g2, ranks[idx], out_min[idx], out_max[idx], class_set=cs,
                         source=source, crs=crs)
    zones.index = footprint.index[idx]
    zones["zone_id"] = [f"{source}-{i}" for i in zones.index]
    if not report.clean:
        warnings.warn(f"flood footprint: {report.summary()}", RepairWarning, stacklevel=2)
    params: dict[str, Any] = {"class_set": cs.name, "comparison": cs.comparison,
                              "min_area_m2": min_area_m2}
    if by_value and value_map is not None:
        params.update(field=field, value_map={k: list(v) for k, v in value_map.items()},
                      unmapped=unmapped)
    elif cols:
        params.update(depth_min_col=depth_min_col, depth_max_col=depth_max_col,
                      depth_rule=depth_rule)
    else:
        params["every_polygon"] = every_polygon
    return HazardZones(zones=zones[ZONE_COLUMNS + ["geometry"]], class_set=cs, source=source,
                       parameters=params, report=report)


def _value_text(v: Any) -> str | None:
    """Normalise a categorical value for matching: trimmed text; whole numbers without ".0"."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    t = str(v).strip()
    return t if t else None


def _map_values(
    values: pd.Series, value_map: Mapping[str, Any], cs: ClassSet, keep: np.ndarray,
    report: StepReport, *, field: str, unmapped: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of a categorical field through a value map (0 = not a zone); counts in report."""
    if not isinstance(value_map, Mapping) or not value_map:
        raise SchemaError(
            f"flood footprint: value_map must map class keys of {cs.name!r} ({cs.keys}) to "
            f"lists of {field!r} values, found {value_map!r}."
        )
    lookup: dict[str, int] = {}
    for key, vals in value_map.items():
        if key in cs.keys:
            rank = cs[key].rank
        elif key in NOT_HAZARDOUS_KEYS:
            rank = 0
        else:
            raise SchemaError(
                f"flood footprint: value_map key {key!r} is not a class of {cs.name!r}; use "
                f"one of {cs.keys}, or 'dry'/'none' for values that are not hazardous (or pick "
                "another class_set)."
            )
        items = [vals] if isinstance(vals, (str, int, float)) else list(vals)
        for raw in items:
            t = _value_text(raw)
            if t is None:
                raise SchemaError(f"flood footprint: value_map[{key!r}] holds an empty value.")
            if t in lookup and lookup[t] != rank:
                raise SchemaError(
                    f"flood footprint: value {raw!r} of {field!r} is mapped to two classes in "
                    "value_map; each value may appear once."
                )
            lookup[t] = rank
    text = np.array([_value_text(v) for v in values.to_numpy(object)], dtype=object)
    empty = keep & np.array([t is None for t in text], dtype=bool)
    report.reject(f"no value in {field!r}", int(empty.sum()))
    ranks = np.array([lookup.get(t, -1) if t is not None else -1 for t in text], dtype=int)
    miss = keep & ~empty & (ranks < 0)
    if miss.any():
        counts = pd.Series(text[miss]).value_counts()
        listing = ", ".join(f"{k!r} ({n})" for k, n in counts.head(10).items())
        if unmapped == "error":
            raise DataError(
                f"flood footprint: {int(miss.sum())} polygons have {field!r} values the "
                f"value_map does not name: {listing}. Add them to value_map (a class key, or "
                "'dry' for not hazardous), or pass unmapped='drop' to leave them out (counted)."
            )
        report.reject(f"{field!r} value not in value_map", int(miss.sum()))
        report.note(f"unmapped {field!r} values (polygons): {listing}")
    dry = keep & (ranks == 0)
    report.reject(f"{field!r} value mapped to not hazardous (dry)", int(dry.sum()))
    ranks = np.where(keep, np.maximum(ranks, 0), 0)
    # overlaps: a higher class wins, ties by position; no depth to break ties
    return np.zeros(len(ranks)), ranks


#: Rasters above this many cells are polygonised in row strips (the polygons crossing a
#: strip seam are merged), so GDAL's in-memory layer holds one strip's polygons at a time.
_STRIP_CELLS = 8_000_000
#: Row blocks of about this many cells when classifying a raster (float64 temporaries).
_BLOCK_CELLS = 2_000_000


def _block_rows(ncol: int, cells: int = _BLOCK_CELLS) -> int:
    return max(1, cells // max(ncol, 1))


def _shapes(r: np.ndarray, transform: Affine) -> tuple[list[Any], list[int]]:
    geoms: list[Any] = []
    vals: list[int] = []
    for geom, val in rasterio.features.shapes(r, mask=r > 0, connectivity=4,
                                              transform=transform):
        geoms.append(shapely.geometry.shape(geom))
        vals.append(int(val))
    return geoms, vals


def _polygonize_strips(r: np.ndarray, transform: Affine, strip_rows: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``rasterio.features.shapes`` strip by strip; pieces sharing a seam edge are unioned.

    Two pieces are one zone when a cell on one side of a seam and the cell across it have
    the same rank (4-connectivity); along a seam, a run of such columns of one rank lies in
    one piece above and one below, so one cell-centre point per run finds both pieces.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nrow, ncol = r.shape
    geoms: list[Any] = []
    vals: list[int] = []
    for r0 in range(0, nrow, strip_rows):
        g, v = _shapes(r[r0:r0 + strip_rows], transform @ Affine.translation(0, r0))
        geoms += g
        vals += v
    g_arr = np.array(geoms, dtype=object)
    v_arr = np.array(vals, dtype=int)
    # one query point per run of equal ranks across each seam, just above and just below it
    rows_c, cols_c = [], []
    for b in range(strip_rows, nrow, strip_rows):
        same = (r[b - 1] == r[b]) & (r[b] > 0)
        start = same.copy()
        start[1:] &= ~(same[:-1] & (r[b, 1:] == r[b, :-1]))
        c = np.flatnonzero(start)
        rows_c.append(np.full(c.size, b, dtype=np.int64))
        cols_c.append(c)
    if not rows_c or not sum(x.size for x in cols_c) or not len(g_arr):
        return g_arr, v_arr
    rr = np.concatenate(rows_c)
    cc = np.concatenate(cols_c).astype(np.int64)
    tree = shapely.STRtree(g_arr)

    def piece(rows: np.ndarray) -> np.ndarray:
        col, row = cc + 0.5, rows + 0.5
        x = transform.a * col + transform.b * row + transform.c
        y = transform.d * col + transform.e * row + transform.f
        pi, gi = tree.query(shapely.points(x, y), predicate="within")
        out = np.full(rows.size, -1, dtype=np.int64)
        out[pi] = gi
        return out

    up, down = piece(rr - 1), piece(rr)
    if (up < 0).any() or (down < 0).any():  # pragma: no cover - every wet cell is in a piece
        raise RuntimeError("polygonize_ranks: a seam cell lies in no polygon")
    n = len(g_arr)
    graph = coo_matrix((np.ones(up.size, dtype=np.int8), (up, down)), shape=(n, n))
    ncomp, label = connected_components(graph, directed=False)
    if ncomp == n:  # pragma: no cover - some run crosses a seam whenever rr is not empty
        return g_arr, v_arr
    # one zone per component, at the position of its first piece
    first = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n))
    sizes = np.bincount(label, minlength=ncomp)
    order = np.argsort(label, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    out_g = g_arr[first].copy()
    for k in np.flatnonzero(sizes > 1):
        members = order[bounds[k]:bounds[k + 1]]
        # the union keeps a vertex where each seam crossed a vertical edge: remove them
        out_g[k] = shapely.simplify(shapely.union_all(g_arr[members]), 0.0)
    keep = np.argsort(first, kind="stable")
    return out_g[keep], v_arr[first][keep]


def polygonize_ranks(
    ranks: np.ndarray, *, transform: Affine, min_zone_cells: int = 4,
    strip_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Polygonise a class-rank raster (0 = not hazardous) into edge-sharing polygons.

    Patches smaller than ``min_zone_cells`` (4-connected), of any class including
    0, are first merged into their largest neighbour with
    ``rasterio.features.sieve`` (on the whole raster); ``rasterio.features.shapes`` then
    traces the cell edges, so neighbouring polygons share their boundaries exactly. Large
    rasters are traced in row strips and the pieces that share a seam edge are unioned:
    the same zones as one whole-raster trace (same ranks, same areas, symmetric
    difference 0), with GDAL holding one strip's polygons at a time.

    Parameters
    ----------
    ranks : ndarray of int
        Class ranks, 0-255 (uint8 is used as is, other types are converted).
    transform : affine.Affine
        Grid transform (metres).
    min_zone_cells : int, default 4
        Smallest patch kept, in cells (1 keeps every cell).
    strip_rows : int, optional
        Rows per strip; default: the whole raster up to 8 million cells, else strips of
        about that many cells. The zones do not depend on it, only their order.

    Returns
    -------
    geoms, ranks : ndarray
        Polygons and their ranks (rank > 0 only).

    Examples
    --------
    >>> from affine import Affine
    >>> r = np.array([[2, 2, 0], [2, 1, 0], [0, 0, 0]], dtype=np.uint8)
    >>> g, k = polygonize_ranks(r, transform=Affine(30, 0, 0, 0, -30, 90), min_zone_cells=1)
    >>> sorted(zip(k.tolist(), shapely.area(g).tolist()))
    [(1, 900.0), (2, 2700.0)]
    >>> g, k = polygonize_ranks(r, transform=Affine(30, 0, 0, 0, -30, 90), min_zone_cells=2)
    >>> k.tolist(), shapely.area(g).tolist()
    ([2], [2700.0])
    >>> g, k = polygonize_ranks(r, transform=Affine(30, 0, 0, 0, -30, 90), min_zone_cells=1,
    ...                         strip_rows=1)  # the 2 of row 0 and row 1 are one zone
    >>> sorted(zip(k.tolist(), shapely.area(g).tolist()))
    [(1, 900.0), (2, 2700.0)]
    """
    r = np.asarray(ranks)
    if r.dtype != np.uint8:
        if r.size and (r.min() < 0 or r.max() > 255):
            raise ValueError(f"ranks must be 0-255, found {r.min()}..{r.max()}")
        r = r.astype(np.uint8)
    if strip_rows is not None and strip_rows < 1:
        raise ValueError(f"strip_rows must be at least 1, found {strip_rows}")
    if min_zone_cells > 1:
        r = rasterio.features.sieve(r, size=int(min_zone_cells), connectivity=4)
    nrow, ncol = r.shape
    if strip_rows is None:
        strip_rows = nrow if r.size <= _STRIP_CELLS else _block_rows(ncol, _STRIP_CELLS)
    if strip_rows >= nrow:
        geoms, vals = _shapes(r, transform)
        return np.array(geoms, dtype=object), np.array(vals, dtype=int)
    return _polygonize_strips(r, transform, strip_rows)


def _classify_u8(values: np.ndarray, cs: ClassSet) -> np.ndarray:
    """Class ranks (0 = not hazardous) of a 2-D raster as uint8, by row blocks."""
    if max(c.rank for c in cs) > 255:  # pragma: no cover - class sets have a few classes
        raise ValueError(f"class set {cs.name!r}: ranks above 255 cannot be polygonised")
    out = np.empty(values.shape, dtype=np.uint8)
    step = _block_rows(values.shape[1])
    for r0 in range(0, values.shape[0], step):
        out[r0:r0 + step] = cs.classify_ranks(values[r0:r0 + step])
    return out


def _raster_zones(
    ranks: np.ndarray, *, transform: Affine, crs: CRS, cs: ClassSet, min_zone_cells: int,
    source: str, depth_cap_m: float | None, simplify_tolerance_m: float | None,
    report: StepReport, params: dict[str, Any],
) -> HazardZones:
    geoms, kr = polygonize_ranks(ranks, transform=transform, min_zone_cells=min_zone_cells)
    del ranks
    if simplify_tolerance_m:
        # topology-preserving: the polygons are simplified as one coverage
        geoms = np.asarray(shapely.coverage_simplify(geoms, simplify_tolerance_m), dtype=object)
    lo = np.array([max(cs.by_rank(k).min_value, 0.0) for k in kr], dtype=float)
    hi = np.array([cs.by_rank(k).max_value for k in kr], dtype=float)
    if depth_cap_m is not None:
        hi = np.minimum(hi, depth_cap_m)
    hi[~np.isfinite(hi)] = np.nan
    report.n_in = len(geoms)
    zones = _zones_frame(geoms, kr, lo, hi, class_set=cs, source=source, crs=crs)
    return HazardZones(zones=zones[ZONE_COLUMNS + ["geometry"]], class_set=cs, source=source,
                       parameters=params, report=report)


def _depth_rows(
    terrain: Terrain, r0: int, r1: int, *, stage_m: float, min_drain_area_km2: float,
    max_slope_deg: float | None,
) -> np.ndarray:
    """:func:`dem_depth_m` on rows ``r0:r1`` (float32, NaN where dry)."""
    hand = terrain.hand_m[r0:r1]
    with np.errstate(invalid="ignore"):
        wet = hand < stage_m
        # every cell with a HAND drains to a stream cell, of at least the stream threshold
        # (a float32 comparison): a lower or equal area adds no condition (and no lazy layer)
        if min_drain_area_km2 > float(np.float32(terrain.stream_threshold_km2)):
            wet &= terrain.drain_area_km2[r0:r1] >= min_drain_area_km2
        if max_slope_deg is not None:
            wet &= terrain.slope_deg[r0:r1] <= max_slope_deg
    return np.where(wet, np.float32(stage_m) - hand, np.nan).astype(np.float32)


def dem_depth_m(
    terrain: Terrain, *, stage_m: float, min_drain_area_km2: float | None = None,
    max_slope_deg: float | None = None,
) -> np.ndarray:
    """Flood depth implied by a stage above the drainage network, m (NaN where dry).

    ``depth = stage_m - HAND`` where ``HAND < stage_m``, the stream the cell
    drains to drains at least ``min_drain_area_km2`` (default: every stream),
    and the slope is at most ``max_slope_deg`` (default: any).
    """
    if not stage_m > 0:
        raise ValueError(f"stage_m must be a positive height in metres, found {stage_m}")
    a = terrain.stream_threshold_km2 if min_drain_area_km2 is None else min_drain_area_km2
    return _depth_rows(terrain, 0, terrain.shape[0], stage_m=stage_m, min_drain_area_km2=a,
                       max_slope_deg=max_slope_deg)


def dem_zones(
    terrain: Terrain,
    *,
    stage_m: float = 3.0,
    min_drain_area_km2: float | None = None,
    max_slope_deg: float | None = None,
    class_set: ClassSet | str = PETABENCANA,
    min_zone_cells: int = 4,
    simplify_tolerance_m: float | None = None,
    source: str = "dem_hand",
) -> HazardZones:
    """Flash-flood zones from HAND: a flood stage above the streams, classified by depth.

    Parameters
    ----------
    terrain : Terrain
        From :func:`kotacerdas_gis.hazard.terrain.derive_terrain` (EPSG:32751).
    stage_m : float, default 3.0
        Water level above the drainage, m. The default is a placeholder: fit it
        with :func:`~kotacerdas_gis.hazard.calibration.calibrate_hand`.
    min_drain_area_km2 : float, optional
        Only cells draining to a stream of at least this upstream area flood;
        default: every stream (``terrain.stream_threshold_km2``).
    max_slope_deg : float, optional
        Cells steeper than this do not flood.
    class_set : ClassSet or str, default PETABENCANA
        A depth class set (``value_name == "depth_m"``). The implied HAND
        thresholds are ``stage_m - class.min_value`` (recorded in ``parameters``).
    min_zone_cells : int, default 4
        Patches smaller than this are merged into their neighbours on the raster.
    simplify_tolerance_m : float, optional
        If given, ``shapely.coverage_simplify`` (shared edges stay shared).
    source : str, default "dem_hand"
        Written to ``source``.

    Returns
    -------
    HazardZones
        ``depth_min_m``/``depth_max_m`` are the class's depth range, capped at the
        deepest cell (``stage_m`` unless closed depressions lie below their stream).

    Raises
    ------
    SchemaError
        If the class set does not classify depths.
    ValueError
        If ``stage_m`` is not positive.

    Examples
    --------
    >>> from affine import Affine
    >>> from kotacerdas_gis.hazard.terrain import derive_terrain
    >>> dem = valley_dem(rows=9, cols=9, cell_m=10.0, side_slope=0.1, valley_slope=0.001)
    >>> t = derive_terrain(dem, transform=Affine(10, 0, 0, 0, -10, 90), crs="EPSG:32751",
    ...                    stream_threshold_km2=0.0005)
    >>> hz = dem_zones(t, stage_m=1.6, min_zone_cells=1)
    >>> hz.area_by_class_m2()  # HAND 0 m: 1.6 m deep (high); HAND 1.01 m: 0.59 m deep (low)
    {'high': 1300.0, 'low': 2200.0}
    """
    cs = get_class_set(class_set)
    if cs.value_name != "depth_m":
        raise SchemaError(
            f"dem_zones: the class set {cs.name!r} classifies {cs.value_name!r}; DEM zones "
            "produce depths in metres, so pass a depth class set (PETABENCANA, WET_DRY, or "
            "custom_class_set(..., value_name='depth_m'))."
        )
    if not stage_m > 0:
        raise ValueError(f"stage_m must be a positive height in metres, found {stage_m}")
    a = terrain.stream_threshold_km2 if min_drain_area_km2 is None else min_drain_area_km2
    # class ranks as uint8 by row blocks (no whole-raster depth or int64 rank raster), and
    # the shallowest HAND of a flooded cell from the same blocks
    nrow, ncol = terrain.shape
    ranks = np.empty((nrow, ncol), dtype=np.uint8)
    hmin = np.inf
    step = _block_rows(ncol)
    for r0 in range(0, nrow, step):
        r1 = min(r0 + step, nrow)
        depth = _depth_rows(terrain, r0, r1, stage_m=stage_m, min_drain_area_km2=a,
                            max_slope_deg=max_slope_deg)
        wet = np.isfinite(depth)
        if wet.any():
            hmin = min(hmin, float(np.min(terrain.hand_m[r0:r1][wet])))
        ranks[r0:r1] = cs.classify_ranks(depth)
    if not np.isfinite(hmin):
        hmin = 0.0
    deepest = float(stage_m) - min(hmin, 0.0)
    params = {
        "class_set": cs.name, "stage_m": float(stage_m), "min_drain_area_km2": float(a),
        "max_slope_deg": max_slope_deg, "min_zone_cells": int(min_zone_cells),
        "simplify_tolerance_m": simplify_tolerance_m,
        "hand_thresholds_m": {c.key: float(stage_m - max(c.min_value, 0.0)) for c in cs
                              if stage_m - max(c.min_value, 0.0) > 0},
        "terrain": dict(terrain.provenance),
    }
    report = StepReport("DEM flood zones (HAND)", source=source)
    return _raster_zones(ranks, transform=terrain.transform, crs=terrain.crs, cs=cs,
                         min_zone_cells=min_zone_cells, source=source, depth_cap_m=deepest,
                         simplify_tolerance_m=simplify_tolerance_m, report=report,
                         params=params)


def depth_zones(
    depth: RasterLike | np.ndarray,
    *,
    transform: Affine | None = None,
    crs: Any = None,
    nodata: float | None = None,
    class_set: ClassSet | str = PETABENCANA,
    negative: NegativeRule = "error",
    min_zone_cells: int = 4,
    simplify_tolerance_m: float | None = None,
    source: str = "depth_raster",
) -> HazardZones:
    """Classify a flood-depth raster (m) into hazard zones.

    Parameters
    ----------
    depth : RasterLike or ndarray
        Depth in metres; NaN/nodata and 0 are dry.
    transform, crs, nodata
        Grid of an array input (metric CRS, e.g. EPSG:32751).
    class_set : ClassSet or str, default PETABENCANA
        Classification of the depths.
    negative : {'error', 'clip'}, default 'error'
        Negative depths raise a DataError, or are set to 0 m (dry) and counted
        in ``report`` (as cells).
    min_zone_cells, simplify_tolerance_m, source
        As in :func:`dem_zones`.

    Returns
    -------
    HazardZones

    Cells above the highest class's top edge (an index above 1) and cells without data are
    counted in the notes of ``report``: both are not hazardous.

    Raises
    ------
    DataError
        On negative depths with ``negative="error"``.
    CRSError
        If the CRS is missing or not metric.

    Examples
    --------
    >>> from affine import Affine
    >>> d = np.array([[2.0, 2.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    >>> hz = depth_zones(d, transform=Affine(30, 0, 0, 0, -30, 90), crs=32751,
    ...                  min_zone_cells=1)
    >>> hz.zones[["hazard_class", "area_m2"]].values.tolist()
    [['high', 1800.0], ['low', 1800.0]]
    """
    _check_option(negative, NegativeRule, "negative")
    cs = get_class_set(class_set)
    if isinstance(depth, RasterLike):
        arr = depth.read(as_float=True)
        transform, crs, name = depth.transform, depth.crs, depth.name
    else:
        if transform is None or crs is None:
            raise SchemaError("depth_zones: pass transform= and crs= with an array of depths.")
        arr = np.asarray(depth, dtype=np.float32)
        if nodata is not None:
            arr = np.where(arr == nodata, np.nan, arr)
        name = "depth raster"
    crs = as_crs(crs)
    require_same_crs(**{name: crs})
    report = StepReport("classify depth raster", source=name)
    neg = np.isfinite(arr) & (arr < 0)
    n_neg = int(neg.sum())
    if n_neg:
        if negative == "error":
            raise DataError(
                f"{name}: expected depths of 0 m or more, found {n_neg} negative cells (down "
                f"to {float(np.nanmin(arr)):.3g} m). Fix the raster, or pass negative='clip' to "
                "treat them as dry (counted in the report)."
            )
        arr = np.where(neg, 0.0, arr)
        report.repair("negative depth cells set to 0 m", n_neg)
    top = float(cs.classes[-1].max_value)
    above = np.isfinite(arr) & (arr > top)
    if above.any():  # e.g. an InaRISK index above 1: outside every class, never silently dry
        # a note, not a rejection: the report counts polygons, these are cells
        report.note(f"{int(above.sum())} cells of {name} above the highest class "
                    f"({cs.interval_text(cs.keys[-1])}, up to {float(np.nanmax(arr)):.3g}): "
                    "not hazardous; check the raster's unit or the class set")
    n_nodata = int(np.isnan(arr).sum())
    if n_nodata:
        report.note(f"{n_nodata} cells without data in {name}: not hazardous")
    params = {"class_set": cs.name, "comparison": cs.comparison, "negative": negative,
              "min_zone_cells": int(min_zone_cells),
              "simplify_tolerance_m": simplify_tolerance_m}
    ranks = _classify_u8(arr, cs)
    del arr
    return _raster_zones(ranks, transform=transform, crs=crs, cs=cs,
                         min_zone_cells=min_zone_cells, source=source, depth_cap_m=None,
                         simplify_tolerance_m=simplify_tolerance_m, report=report,
                         params=params)


def combine_zones(
    *zones: HazardZones, rule: CombineRule = "max", source: str = "combined",
    min_area_m2: float = 1.0,
) -> HazardZones:
    """Combine zones of several sources into one layer without overlaps.

    Parameters
    ----------
    *zones : HazardZones
        Two or more zone sets in one CRS, earliest = highest priority for ``"first"``.
    rule : {'max', 'first'}, default 'max'
        ``"max"``: where sources overlap the highest ``class_rank`` wins (ties
        go to the earlier source); all sources must use one class set.
        ``"first"``: the earlier source wins regardless of class.
    source : str, default "combined"
        Name of the result (each polygon keeps its own ``source``).
    min_area_m2 : float, default 1.0
        Pieces left smaller than this are dropped (counted).

    Returns
    -------
    HazardZones
        Columns :data:`ZONE_COLUMNS`; ``parameters`` records the rule and the sources.

    Raises
    ------
    CRSMismatchError
        If the sources are in different CRSs.
    SchemaError
        With ``rule="max"`` and different class sets.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> a = observed_zones(gpd.GeoDataFrame({"depth_min_m": [0.2], "depth_max_m": [0.5]},
    ...                    geometry=[box(0, 0, 100, 100)], crs=32751), source="a")
    >>> b = observed_zones(gpd.GeoDataFrame({"depth_min_m": [2.0], "depth_max_m": [3.0]},
    ...                    geometry=[box(50, 0, 150, 100)], crs=32751), source="b")
    >>> c = combine_zones(a, b, rule="max")
    >>> c.zones[["source", "hazard_class", "area_m2"]].values.tolist()
    [['b', 'high', 10000.0], ['a', 'low', 5000.0]]
    """
    _check_option(rule, CombineRule, "rule")
    if not zones:
        raise ValueError("combine_zones needs at least one HazardZones")
    crs = require_same_crs(**{f"zones {i + 1} ({z.source})": z.zones for i, z in enumerate(zones)})
    names = {z.class_set.name for z in zones}
    if rule == "max" and len(names) > 1:
        raise SchemaError(
            f"combine_zones(rule='max') compares class ranks, but the sources use different "
            f"class sets {sorted(names)}. Reclassify them with one class set, or use "
            "rule='first' to let the earlier source win."
        )
    frames = []
    for i, z in enumerate(zones):
        f = z.zones.reset_index(drop=True).copy()
        f["_pos"] = i
        frames.append(f)
    allz = pd.concat(frames, ignore_index=True)
    n_in = len(allz)
    report = StepReport("combine hazard zones", source=", ".join(z.source for z in zones),
                        n_in=n_in)
    geoms = np.asarray(allz.geometry.values, dtype=object)
    pos = allz["_pos"].to_numpy()
    rank = allz["class_rank"].to_numpy()
    order = (np.lexsort((pos, -rank)) if rule == "max" else np.lexsort((-rank, pos)))
    res = _resolve(geoms, order, min_area_m2=min_area_m2)
    report.repair("overlap resolved by the rule", int((res.trimmed & ~res.removed).sum()))
    report.reject("covered by a zone that wins by the rule", int(res.removed.sum()))
    alive = ~res.removed
    g2 = res.geoms
    out = allz.loc[alive].copy()
    out = out.set_geometry(gpd.GeoSeries(g2[alive], index=out.index, crs=crs))
    out = out.sort_values(["class_rank", "_pos"], ascending=[False, True], kind="stable")
    out = out.explode(index_parts=False)  # the index still names the zone of each piece
    out["area_m2"] = out.geometry.area
    small = (out["area_m2"] < min_area_m2).to_numpy()
    if small.any():
        gone = set(out.index[small]) - set(out.index[~small])
        report.reject("only pieces smaller than min_area_m2 left", len(gone))
        report.note(f"{int(small.sum())} pieces ({out['area_m2'][small].sum():.0f} m2) smaller "
                    f"than {min_area_m2:g} m2 dropped after splitting multi-part zones")
    out = out[~small].reset_index(drop=True)
    out["zone_id"] = [f"{source}-{i + 1}" for i in range(len(out))]
    params = {"rule": rule, "sources": [z.source for z in zones],
              "class_sets": [z.class_set.name for z in zones],
              "source_parameters": [dict(z.parameters) for z in zones]}
    return HazardZones(zones=out[ZONE_COLUMNS + ["geometry"]].reset_index(drop=True),
                       class_set=zones[0].class_set, source=source, parameters=params,
                       report=report)
