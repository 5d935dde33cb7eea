"""Reading vector layers and tables: the only place where vector files are opened.

:func:`read_vector` reads any OGR format that pyogrio reads (GeoPackage,
Shapefile, GeoJSON, FlatGeobuf, KML, OSM PBF, ...) and returns a clean
GeoDataFrame, or raises an error of the package's family that names the file,
the layer and the fix. Repairs are counted in a
:class:`~kotacerdas_gis.accounting.StepReport`; the caller may pass a
:class:`~kotacerdas_gis.accounting.Ledger` to collect it, and a
:class:`~kotacerdas_gis.errors.RepairWarning` is issued whenever a feature was
repaired or rejected, so nothing changes silently.

Documented repairs (each counted under the reason shown):

- ``"invalid geometry repaired (make_valid)"``: invalid geometries are fixed with
  :func:`shapely.make_valid`; parts of another dimension that this produces
  (a polygon's slivers collapsing to lines) are dropped from that feature.
- ``"null or empty geometry"`` (rejected): features without geometry.
- ``"geometry of another type than <type>"`` (rejected): with ``geometry_type``
  set, features of another family (a point in a polygon layer).
- ``"multi-part promoted"``: with ``geometry_type`` set, single parts are kept as
  they are; nothing is exploded (a note only).
- Encoding: a Shapefile without ``.cpg`` is read as GDAL assumes (ISO-8859-1);
  if its text is in fact UTF-8, it is read again as UTF-8 and a note records it.

Examples
--------
>>> import tempfile, pathlib, geopandas as gpd
>>> from shapely.geometry import Point
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> gpd.GeoDataFrame({"name": ["Masamba"]}, geometry=[Point(120.33, -2.55)],
...                  crs="EPSG:4326").to_file(d / "town.gpkg", layer="towns")
>>> towns = read_vector(d / "town.gpkg", to_crs="EPSG:32751")
>>> towns.crs.to_epsg(), round(towns.geometry.x.iloc[0])
(32751, 203080)
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

import fiona
import geopandas as gpd
import pyogrio
import shapely

from ..accounting import Ledger, StepReport
from ..crs import as_crs, describe_crs, require_metric
from ..errors import CRSError, DataError, RepairWarning, SchemaError

__all__ = [
    "read_vector",
    "iter_vector_chunks",
    "read_table",
    "list_layers",
    "restore_field_names",
    "DBF_NAME_LENGTH",
    "GeometryFamily",
    "where",
]

log = logging.getLogger(__name__)

GeometryFamily = Literal["point", "line", "polygon"]
_FAMILY_TYPES: dict[str, tuple[str, ...]] = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString", "LinearRing"),
    "polygon": ("Polygon", "MultiPolygon"),
}
_FAMILY_DIM = {"point": 0, "line": 1, "polygon": 2}


def where(path: str | os.PathLike[str], layer: str | None = None) -> str:
    """Name a file and layer the way error messages do: ``file.gpkg|layername=roads``."""
    return f"{path}|layername={layer}" if layer else str(path)


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Names of the layers in a vector file.

    Raises
    ------
    DataError
        If the file is missing or cannot be opened as a vector data source.
    """
    p = _existing(path)
    try:
        return [str(row[0]) for row in pyogrio.list_layers(p)]
    except Exception as exc:
        raise DataError(
            f"{p}: cannot be opened as a vector file ({exc}). Check that it is a complete "
            "GeoPackage, Shapefile (.shp with .shx and .dbf), GeoJSON or another OGR format."
        ) from exc


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        hint = ""
        if p.parent.exists():
            near = sorted(x.name for x in p.parent.iterdir() if x.suffix == p.suffix)[:8]
            if near:
                hint = f" Files with the same suffix there: {', '.join(near)}."
        raise DataError(f"{p}: file not found. Check the path (relative to {Path.cwd()}).{hint}")
    return p


def _choose_layer(p: Path, layer: str | None) -> tuple[str, bool]:
    """Return the layer to read and whether the file has several; raise DataError otherwise."""
    layers = list_layers(p)
    if not layers:
        raise DataError(f"{p}: the file has no layers.")
    if layer is None:
        if len(layers) > 1:
            raise DataError(
                f"{p}: the file has {len(layers)} layers ({', '.join(layers)}); "
                "choose one with layer=..."
            )
        return layers[0], False
    if layer not in layers:
        raise DataError(f"{p}: no layer named {layer!r}. Layers in this file: {', '.join(layers)}.")
    return layer, len(layers) > 1


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    to_crs: Any = None,
    assume_crs: Any = None,
    metric: bool = True,
    geometry_type: GeometryFamily | None = None,
    repair: bool = True,
    encoding: str | None = None,
    columns: list[str] | None = None,
    name: str | None = None,
    ledger: Ledger | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer, check it, repair what can be repaired, and count it.

    Parameters
    ----------
    path : path-like
        Any file pyogrio reads.
    layer : str, optional
        Layer name. Required when the file has more than one layer.
    to_crs : CRS-like, optional
        Reproject to this CRS (e.g. ``"EPSG:32751"``) after reading. The only
        place inputs are reprojected in this package.
    assume_crs : CRS-like, optional
        The CRS of the coordinates when the file declares none (a Shapefile
        without ``.prj``). Ignored when the file has a CRS.
    metric : bool, default True
        Require the returned layer to be in a projected CRS in metres. Set to
        False to read a geographic layer as it is (for adapters, or web output).
    geometry_type : {"point", "line", "polygon"}, optional
        Keep only this geometry family (single and multi parts); features of
        other families are rejected and counted. Without it, a layer that
        mixes families raises :class:`~kotacerdas_gis.errors.DataError`.
    repair : bool, default True
        Repair invalid geometries with :func:`shapely.make_valid`. With False an
        invalid geometry raises :class:`~kotacerdas_gis.errors.DataError`.
    encoding : str, optional
        Text encoding of the attributes, when the file does not declare it
        correctly. By default the declared one is used, with a UTF-8 check for
        Shapefiles without ``.cpg``.
    columns : list of str, optional
        Read only these attribute columns (all by default). Missing names raise
        :class:`~kotacerdas_gis.errors.SchemaError` listing those present.
    name : str, optional
        A short name for messages and the accounting report (default: the layer
        or file name).
    ledger : Ledger, optional
        Collects the :class:`~kotacerdas_gis.accounting.StepReport` of this read.

    Returns
    -------
    geopandas.GeoDataFrame
        With a fresh ``RangeIndex``; ``gdf.attrs["source"]`` holds ``file|layername=``,
        ``gdf.attrs["accounting"]`` the step report as a dict, and ``source_bounds`` /
        ``source_crs`` (WKT) the extent and CRS the file declared, before reprojection.

    Raises
    ------
    DataError
        Missing, unreadable or corrupt file; unknown or ambiguous layer; empty
        layer; mixed geometry types; invalid geometry with ``repair=False``;
        infinite or NaN coordinates in the file or after reprojection (counted, with
        a diagnosis: metres declared as degrees by a wrong ``.prj``, or latitude and
        longitude swapped).
    CRSError
        No CRS (and no ``assume_crs``); geographic or non-metre CRS while
        ``metric`` is True and ``to_crs`` is not given.
    SchemaError
        A requested column is missing.
    """
    p = _existing(path)
    chosen, many = _choose_layer(p, layer)
    src = where(p, chosen if many or layer else None)
    label = name or (chosen if many else p.stem)
    report = StepReport(step=f"read {label}", source=src)
    if ledger is not None:
        ledger.add(report)

    info = _read_info(p, chosen, src)
    if columns is not None:
        present = list(info["fields"])
        missing = [c for c in columns if c not in present]
        if missing:
            raise SchemaError(
                f"{src}: no column(s) {', '.join(missing)}. Columns present: {', '.join(present)}."
            )
    gdf = _read(p, chosen, src, encoding=encoding, columns=columns)
    if encoding is None and p.suffix.lower() == ".shp" and not p.with_suffix(".cpg").exists():
        gdf = _fix_shapefile_encoding(p, chosen, src, gdf, report, columns)
    report.n_in = len(gdf)
    if len(gdf) == 0:
        raise DataError(
            f"{src}: the layer is empty (0 features). Check the export or the layer name."
        )

    # CRS
    if gdf.crs is None:
        if assume_crs is None:
            raise CRSError(
                f"{src}: the layer declares no CRS (a Shapefile without .prj?). If you know the "
                "CRS of its coordinates, pass assume_crs='EPSG:4326' (or the right code), or add "
                "a .prj."
            )
        gdf = gdf.set_crs(as_crs(assume_crs))
        report.note(f"no CRS declared; assumed {describe_crs(assume_crs)} as the caller said")

    # geometries
    _refuse_non_finite(gdf, src, stage="in the file")
    gdf = _clean_geometries(gdf, src, report, geometry_type=geometry_type, repair=repair)

    # the file's own extent and CRS, for the diagnosis of a layer outside the study area
    source_bounds = tuple(float(v) for v in gdf.total_bounds)
    source_crs = as_crs(gdf.crs).to_wkt()
    if to_crs is not None:
        target = as_crs(to_crs)
        if not as_crs(gdf.crs).equals(target):
            report.note(f"reprojected from {describe_crs(gdf.crs)} to {describe_crs(target)}")
            log.info("%s: reprojected from %s to %s", src, describe_crs(gdf.crs),
                     describe_crs(target))
            source = gdf
            gdf = gdf.to_crs(target)
            _refuse_non_finite(gdf, src, stage=f"after reprojection to {describe_crs(target)}",
                               source=source)
    if metric:
        try:
            # read into a working CRS: a layer far from true scale there lies in the wrong
            # place (swapped axes, a wrong .prj), which Scenario.validate diagnoses by name
            require_metric(gdf, name=src, at_location=to_crs is None)
        except CRSError as exc:
            raise CRSError(
                f"{exc} (read_vector({str(p)!r}, to_crs=...) does it on reading.)"
            ) from None

    gdf = gdf.reset_index(drop=True)
    if not report.clean:
        warnings.warn(report.summary(), RepairWarning, stacklevel=2)
    gdf.attrs["source"] = src
    gdf.attrs["accounting"] = report.to_record()
    gdf.attrs["source_bounds"] = source_bounds
    gdf.attrs["source_crs"] = source_crs
    return gdf


def iter_vector_chunks(
    path: str | os.PathLike[str],
    *,
    chunk_size: int = 100_000,
    layer: str | None = None,
    to_crs: Any = None,
    assume_crs: Any = None,
    metric: bool = True,
    geometry_type: GeometryFamily | None = None,
    repair: bool = True,
    name: str | None = None,
    ledger: Ledger | None = None,
) -> Iterator[gpd.GeoDataFrame]:
    """Stream a layer too large to hold at once, ``chunk_size`` features at a time.

    Reads through one open fiona cursor, so the whole file is read once whatever
    the number of chunks (pyogrio's ``skip_features`` starts again from the first
    feature for drivers without random access, such as GeoJSON). Each chunk gets
    the same checks and counted repairs as :func:`read_vector`; one
    :class:`~kotacerdas_gis.accounting.StepReport` covers the whole layer and a
    :class:`~kotacerdas_gis.errors.RepairWarning` is issued at the end when
    anything was repaired or rejected. Chunks keep a global ``RangeIndex``.

    Parameters
    ----------
    path : path-like
        Any file fiona reads.
    chunk_size : int, default 100,000
        Features per chunk.
    layer, to_crs, assume_crs, metric, geometry_type, repair, name, ledger
        As for :func:`read_vector`.

    Yields
    ------
    geopandas.GeoDataFrame

    Raises
    ------
    DataError, CRSError
        As :func:`read_vector`, naming the file and layer.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> gpd.GeoDataFrame(geometry=[box(i, 0, i + 1, 1) for i in range(5)],
    ...                  crs=32751).to_file(d / "b.gpkg")
    >>> [len(c) for c in iter_vector_chunks(d / "b.gpkg", chunk_size=2)]
    [2, 2, 1]
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of features, not {chunk_size}")
    p = _existing(path)
    chosen, many = _choose_layer(p, layer)
    src_name = where(p, chosen if many or layer else None)
    report = StepReport(step=f"stream {name or chosen}", source=src_name)
    if ledger is not None:
        ledger.add(report)
    try:
        collection = fiona.open(p, layer=chosen)
    except Exception as exc:
        raise DataError(f"{src_name}: cannot be opened ({type(exc).__name__}: {exc}).") from exc
    with collection:
        crs = collection.crs.to_wkt() if collection.crs else None
        if crs is None:
            if assume_crs is None:
                raise CRSError(
                    f"{src_name}: the layer declares no CRS. Pass assume_crs='EPSG:...' if you "
                    "know it, or add a .prj."
                )
            crs = as_crs(assume_crs)
            report.note(f"no CRS declared; assumed {describe_crs(assume_crs)} as the caller said")
        target = as_crs(to_crs) if to_crs is not None else None
        offset = 0
        batch: list[Any] = []
        features = iter(collection)
        while True:
            batch.clear()
            for feature in features:
                batch.append(feature)
                if len(batch) == chunk_size:
                    break
            if not batch:
                break
            chunk = gpd.GeoDataFrame.from_features(batch, crs=crs)
            report.n_in += len(chunk)
            _refuse_non_finite(chunk, src_name, stage="in the file", offset=offset)
            chunk = _clean_geometries(
                chunk, src_name, report, geometry_type=geometry_type, repair=repair
            )
            if target is not None and not as_crs(chunk.crs).equals(target):
                source = chunk
                chunk = chunk.to_crs(target)
                _refuse_non_finite(
                    chunk,
                    src_name,
                    stage=f"after reprojection to {describe_crs(target)}",
                    source=source,
                    offset=offset,
                )
            if metric:
                require_metric(chunk, name=src_name)
            chunk.index = pd.RangeIndex(offset, offset + len(chunk))
            offset += len(chunk)
            yield chunk
    if report.n_in == 0:
        raise DataError(
            f"{src_name}: the layer is empty (0 features). Check the export or the layer name."
        )
    if target is not None:
        report.note(f"reprojected to {describe_crs(target)}")
    if not report.clean:
        warnings.warn(report.summary(), RepairWarning, stacklevel=2)


def _non_finite_rows(geoms: Any) -> np.ndarray:
    """Positions of the features with an infinite or NaN coordinate."""
    xy, idx = shapely.get_coordinates(np.asarray(geoms), return_index=True)
    return np.unique(idx[~np.isfinite(xy).all(axis=1)])


def _crs_diagnosis(source: gpd.GeoDataFrame, rows: np.ndarray) -> str:
    """Why reprojecting these rows of ``source`` failed, when the coordinates tell."""
    crs = source.crs
    xy = shapely.get_coordinates(source.geometry.to_numpy()[rows])
    xy = xy[np.isfinite(xy).all(axis=1)]
    if crs is None or not as_crs(crs).is_geographic or len(xy) == 0:
        return (
            f" Check the layer's CRS ({describe_crs(crs)}): the coordinates may not be in it."
        )
    x, y = np.abs(xy[:, 0]), np.abs(xy[:, 1])
    lon_lat = (x <= 180) & (y <= 90)
    swapped = (x <= 90) & (y <= 180)
    if (np.maximum(x, y) > 1000).any():
        return (
            f" The file says {describe_crs(crs)} (degrees), but the values look like projected "
            f"metres (up to {float(np.maximum(x, y).max()):,.0f}): the .prj is wrong. Fix the "
            ".prj (e.g. write the UTM zone's, EPSG:32751 for Luwu Utara), or remove it and pass "
            "assume_crs='EPSG:32751' (assume_crs applies to files without a CRS)."
        )
    if swapped.all() and not lon_lat.all():
        return (
            " The values fit longitude/latitude only with x and y swapped (x within ±90, y "
            "beyond ±90): latitude and longitude are swapped in the file. Swap the columns "
            "(x = longitude, y = latitude) when converting, e.g. shapely.ops.transform("
            "lambda x, y: (y, x), geom)."
        )
    return (
        f" {int((~lon_lat).sum())} coordinates lie outside the longitude/latitude ranges of "
        f"{describe_crs(crs)}; check the layer's CRS."
    )


def _refuse_non_finite(
    gdf: gpd.GeoDataFrame,
    src: str,
    *,
    stage: str,
    source: gpd.GeoDataFrame | None = None,
    offset: int = 0,
) -> None:
    """Raise DataError when features have infinite or NaN coordinates, counted and diagnosed."""
    rows = _non_finite_rows(gdf.geometry.to_numpy())
    if len(rows) == 0:
        return
    first = ", ".join(str(int(r) + offset) for r in rows[:5])
    why = (
        _crs_diagnosis(source, rows)
        if source is not None
        else " Remove or fix these features (a NaN or infinite coordinate is no position)."
    )
    raise DataError(
        f"{src}: {len(rows)} of {len(gdf)} features have infinite or NaN coordinates {stage} "
        f"(rows {first}{', ...' if len(rows) > 5 else ''}).{why}"
    )


def _read_info(p: Path, layer: str, src: str) -> dict[str, Any]:
    try:
        return dict(pyogrio.read_info(p, layer=layer))
    except Exception as exc:
        raise DataError(f"{src}: cannot read the layer's description ({exc}).") from exc


def _read(
    p: Path, layer: str, src: str, *, encoding: str | None, columns: list[str] | None
) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            # pyogrio warns for measured/3D geometry types it flattens; we report below
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(p, layer=layer, encoding=encoding, columns=columns)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{src}: the text attributes are not in the encoding {encoding or 'declared'} "
            f"({exc.reason}). Pass encoding='latin1' or the file's real encoding."
        ) from exc
    except Exception as exc:
        raise DataError(
            f"{src}: cannot be read ({type(exc).__name__}: {exc}). The file may be truncated or "
            "corrupt: export it again from its source."
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise DataError(
            f"{src}: the layer has no geometry column. Read attribute tables with read_table()."
        )
    return gdf


def _looks_like_utf8_mojibake(values: pd.Series) -> bool:
    for v in values:
        if not isinstance(v, str) or v.isascii():
            continue
        try:
            fixed = v.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return False
        if fixed != v:
            return True
    return False


def _fix_shapefile_encoding(
    p: Path,
    layer: str,
    src: str,
    gdf: gpd.GeoDataFrame,
    report: StepReport,
    columns: list[str] | None,
) -> gpd.GeoDataFrame:
    text_cols = [
        c
        for c in gdf.columns
        if c != gdf.geometry.name
        and (pd.api.types.is_object_dtype(gdf[c]) or pd.api.types.is_string_dtype(gdf[c]))
    ]
    if any(_looks_like_utf8_mojibake(gdf[c]) for c in text_cols):
        report.note("Shapefile without .cpg whose text is UTF-8: read as UTF-8 (add a .cpg)")
        return _read(p, layer, src, encoding="utf-8", columns=columns)
    if any(not gdf[c].dropna().map(lambda s: str(s).isascii()).all() for c in text_cols):
        report.note(
            "Shapefile without .cpg: text read as ISO-8859-1 (Latin-1), GDAL's assumption; "
            "pass encoding= if names look wrong, or add a .cpg"
        )
    return gdf


def _clean_geometries(
    gdf: gpd.GeoDataFrame,
    src: str,
    report: StepReport,
    *,
    geometry_type: GeometryFamily | None,
    repair: bool,
) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    missing = gdf.geometry.isna().to_numpy() | shapely.is_empty(geoms)
    if missing.any():
        report.reject("null or empty geometry", int(missing.sum()))
        gdf = gdf.loc[~missing]
        geoms = gdf.geometry.values

    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        rows = gdf.index[invalid][:5].tolist()
        if not repair:
            reasons = [shapely.is_valid_reason(g) for g in geoms[invalid][:3]]
            raise DataError(
                f"{src}: {int(invalid.sum())} invalid geometries (rows {rows}; "
                f"{'; '.join(reasons)}). "
                "Pass repair=True to fix them with shapely.make_valid, or fix them in QGIS "
                "(Vector > Geometry Tools > Fix Geometries)."
            )
        fixed = shapely.make_valid(geoms[invalid])
        # make_valid may add parts of a lower dimension (a polygon's spike becomes a line):
        # keep the feature's own dimension, as documented
        dims = shapely.get_dimensions(geoms[invalid])
        mixed = shapely.get_dimensions(fixed) != dims
        mixed |= shapely.get_type_id(fixed) == 7  # a collection of the same top dimension
        if mixed.any():
            fixed[mixed] = [_keep_dimension(f, int(d)) for f, d in zip(fixed[mixed], dims[mixed],
                                                                       strict=True)]
        gdf = gdf.copy()
        gdf.loc[gdf.index[invalid], gdf.geometry.name] = fixed
        report.repair("invalid geometry repaired (make_valid)", int(invalid.sum()))
        geoms = gdf.geometry.values

    type_names = pd.Series(gdf.geom_type.to_numpy(), index=gdf.index)
    if geometry_type is None:
        fams = {
            fam for fam, names in _FAMILY_TYPES.items() if type_names.isin(names).any()
        }
        if len(fams) > 1 or type_names.eq("GeometryCollection").any():
            counts = type_names.value_counts().to_dict()
            raise DataError(
                f"{src}: the layer mixes geometry types ({counts}). Pass geometry_type='polygon' "
                "(or 'line', 'point') to keep one family; the others are rejected and counted."
            )
        return gdf

    wanted = _FAMILY_TYPES[geometry_type]
    collections = type_names.eq("GeometryCollection").to_numpy()
    if collections.any():
        # make_valid may turn a bow-tie polygon into polygons plus a line: keep the wanted parts
        gdf = gdf.copy()
        dim = _FAMILY_DIM[geometry_type]
        parts = [_keep_dimension(g, dim) for g in gdf.geometry.values[collections]]
        gdf.loc[gdf.index[collections], gdf.geometry.name] = parts
        type_names = pd.Series(gdf.geom_type.fillna("None").to_numpy(), index=gdf.index)
    other = ~type_names.isin(wanted).to_numpy() | shapely.is_empty(gdf.geometry.values)
    if other.any():
        report.reject(f"geometry of another type than {geometry_type}", int(other.sum()))
        gdf = gdf.loc[~other]
    return gdf


def _keep_dimension(geom: Any, dim: int) -> Any:
    parts = [g for g in shapely.get_parts(geom) if shapely.get_dimensions(g) == dim]
    if not parts:
        return shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    if len(parts) == 1:
        return parts[0]
    return {0: shapely.MultiPoint, 1: shapely.MultiLineString, 2: shapely.MultiPolygon}[dim](parts)


#: Longest field name a DBF (the attribute file of a Shapefile) holds; GDAL cuts longer ones.
DBF_NAME_LENGTH = 10


def restore_field_names(
    df: pd.DataFrame,
    expected: list[str] | tuple[str, ...],
    *,
    name: str,
    ledger: Ledger | None = None,
    dbf: bool = True,
) -> pd.DataFrame:
    """Give back expected names written in other case or cut to 10 characters by a DBF.

    An expected name that is absent is restored, and counted, from the one column that
    differs from it only in case (``ADMIN_CODE``, ``Population``, as ArcGIS and Excel
    write them: ``"field name case restored (<found> -> <name>)"``); with ``dbf``, from
    the one column that is its cut form: a Shapefile's attributes live in a DBF, whose
    field names hold at most :data:`DBF_NAME_LENGTH` characters, so ``facility_type``
    is written as ``facility_t`` and ``capacity_persons`` as ``capacity_p``
    (``"DBF-truncated field name restored (<cut> -> <name>)"``; compared in any case).

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        As read (not modified).
    expected : sequence of str
        The column names the caller reads.
    name : str
        The layer and file, for messages and the report.
    ledger : Ledger, optional
        Receives the step report when a name was restored.

    Returns
    -------
    DataFrame or GeoDataFrame
        A renamed copy (or ``df`` itself when nothing was cut).

    Raises
    ------
    SchemaError
        When two columns differ from an expected name only in case, a cut name could
        stand for two expected names, or a column looks like a cut name GDAL made
        unique (``capacity_1``): the message gives the manifest ``rename`` that
        settles it.

    Examples
    --------
    >>> df = pd.DataFrame({"facility_t": ["Puskesmas"], "capacity_p": [40]})
    >>> list(restore_field_names(df, ["facility_type", "capacity_persons"], name="f").columns)
    ['facility_type', 'capacity_persons']
    >>> list(restore_field_names(pd.DataFrame({"ADMIN_CODE": ["73.22"]}), ["admin_code"],
    ...                          name="kab", dbf=False).columns)
    ['admin_code']
    """
    geom = getattr(df, "_geometry_column_name", None)
    cols = [str(c) for c in df.columns if c != geom]
    mapping: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for full in expected:
        if full in cols:
            continue
        same = [c for c in cols if c.casefold() == full.casefold() and c not in expected]
        if len(same) == 1:
            mapping[same[0]] = full
            reasons[same[0]] = f"field name case restored ({same[0]} -> {full})"
        elif len(same) > 1:
            raise SchemaError(
                f"{name}: columns {same} all read as {full!r} but for their case. Say which one "
                f'in the manifest: "rename": {{"{same[0]}": "{full}"}}.'
            )
    if dbf:
        folded = {c.casefold(): c for c in cols if c not in mapping}
        _restore_cut_names(cols, folded, expected, mapping, reasons, name)
    if not mapping:
        return df
    if ledger is not None:
        step = ledger.step(f"field names {name}", source=name, n_in=len(df))
        for found in mapping:
            step.repair(reasons[found], len(df))
    log.info("%s: field names restored: %s", name, mapping)
    return df.rename(columns=mapping)


def _restore_cut_names(cols: list[str], folded: dict[str, str], expected: Any,
                       mapping: dict[str, str], reasons: dict[str, str], name: str) -> None:
    """Add the DBF-cut names to ``mapping``; raise when a cut name is ambiguous."""
    long = [e for e in expected if len(e) > DBF_NAME_LENGTH and e not in cols
            and e not in mapping.values()]
    for full in long:
        cut = full[:DBF_NAME_LENGTH].casefold()
        claimants = [e for e in long if e[:DBF_NAME_LENGTH].casefold() == cut]
        found = folded.get(cut)
        if found is not None and found not in expected and len(claimants) == 1:
            mapping[found] = full
            reasons[found] = f"DBF-truncated field name restored ({found} -> {full})"
            continue
        pattern = re.escape(full[:DBF_NAME_LENGTH - 2]) + r".?\d+"
        near = [c for c in cols if c not in expected and len(c) == DBF_NAME_LENGTH
                and re.fullmatch(pattern, c, flags=re.IGNORECASE)]
        if (found is not None and len(claimants) > 1) or near:
            options = sorted({*([found] if found else []), *near})
            raise SchemaError(
                f"{name}: column(s) {options} look like {full!r} cut to {DBF_NAME_LENGTH} "
                f"characters by the Shapefile's DBF, but it is not clear which one it is. Say "
                f'so in the manifest: "rename": {{"{options[0]}": "{full}"}} (or save the layer '
                "as a GeoPackage, which keeps long names)."
            )


def read_table(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    dtype: dict[str, Any] | type | None = None,
    required: list[str] | None = None,
    name: str | None = None,
    ledger: Ledger | None = None,
) -> pd.DataFrame:
    r"""Read an attribute table (CSV, or a non-spatial layer of a GeoPackage/XLSX via GDAL).

    Parameters
    ----------
    path : path-like
        ``.csv`` (read by pandas: UTF-8 with or without a byte-order mark, with a
        Latin-1 fallback that is logged and noted; columns separated by ``,``, ``;``
        (Excel in an Indonesian locale) or tabs, as the header shows) or any table
        GDAL reads.
    layer : str, optional
        Layer of a multi-layer file.
    dtype : dict or type, optional
        Column types for pandas (codes such as ``admin_code`` should be ``str``); ``str``
        reads every column of a CSV as text (empty cells stay missing). Tables read
        through GDAL keep their field types; a mapping converts the columns it names.
    required : list of str, optional
        Columns that must exist; a :class:`~kotacerdas_gis.errors.SchemaError`
        lists those present otherwise.
    name : str, optional
        Name for messages.
    ledger : Ledger, optional
        Receives a step with notes when the separator, a byte-order mark or the
        Latin-1 fallback was handled.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        Missing, unreadable or empty file.
    SchemaError
        A required column is missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pop.csv"
    >>> _ = f.write_text("admin_code,population\n73.22.03.2001,1200\n")
    >>> df = read_table(f, dtype={"admin_code": str}, required=["admin_code", "population"])
    >>> df.loc[0, "admin_code"], int(df.loc[0, "population"])
    ('73.22.03.2001', 1200)
    """
    p = _existing(path)
    src = where(p, layer)
    label = name or src
    notes: list[str] = []
    try:
        if p.suffix.lower() in (".csv", ".txt"):
            df = _read_csv(p, dtype, src, notes)
        else:
            df = pyogrio.read_dataframe(p, layer=layer, read_geometry=False)
            if isinstance(dtype, dict):
                df = df.astype({k: v for k, v in dtype.items() if k in df.columns})
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{label}: the table is empty.") from exc
    except Exception as exc:
        raise DataError(
            f"{label}: cannot be read as a table ({type(exc).__name__}: {exc})."
        ) from exc
    if len(df) == 0:
        raise DataError(f"{label}: the table has a header but no rows.")
    if required:
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise SchemaError(
                f"{label}: missing column(s) {', '.join(missing)}. "
                f"Columns present: {', '.join(map(str, df.columns))}."
            )
    if ledger is not None and notes:
        step = ledger.step(f"read {label}", source=src, n_in=len(df))
        for note in notes:
            step.note(note)
    df.attrs["source"] = src
    return df


def _read_csv(p: Path, dtype: Any, src: str, notes: list[str]) -> pd.DataFrame:
    """Read a CSV: UTF-8 with or without a byte-order mark, ',' ';' or tab separated."""
    raw = p.read_bytes()[:65536]
    try:
        head = raw.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        head = raw.decode("latin-1")
        encoding = "latin-1"
        log.warning("%s: not UTF-8; read as Latin-1", src)
        notes.append(f"{p.name}: not UTF-8; read as Latin-1 (ISO-8859-1): check the names, or "
                     "save the table as UTF-8")
    header = head.splitlines()[0] if head else ""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=lambda k: counts[k]) if any(counts.values()) else ","
    if sep != ",":
        # Excel in an Indonesian locale writes ';' (the comma is the decimal mark)
        notes.append(f"{p.name}: columns separated by {sep!r} (read as such)")
    if raw.startswith(b"\xef\xbb\xbf"):
        notes.append(f"{p.name}: UTF-8 byte-order mark removed (Excel's 'CSV UTF-8')")
    return pd.read_csv(p, dtype=dtype, encoding=encoding, sep=sep)
