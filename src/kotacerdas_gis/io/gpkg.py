"""GeoPackage writing for QGIS: one file, all layers, default styles, atomic.

:func:`write_geopackage` writes every layer of a plan into one GeoPackage 1.2
(QGIS 3.22 warns on the 1.4 that GDAL 3.12 writes by default), keeping the
working CRS, and stores a QML style per layer in the ``layer_styles`` table
with QGIS's columns, so QGIS applies the styles by itself when a layer is
opened. The file is written beside its destination and moved into place only
when complete (:func:`kotacerdas_gis.io.atomic.atomic_path`): a failure leaves
an earlier file untouched and no temporary file behind.

Layers may be GeoDataFrames or plain DataFrames (written as attribute tables,
e.g. ``aggregation_summary`` without geometry). **Empty layers are written**,
with their columns and zero features, so that QGIS and ``summary.json`` see
every layer a step produced; their geometry type is the contract's
(:data:`CONTRACT_GEOMETRY_TYPES`) or ``Unknown``.

Examples
--------
>>> import tempfile, pathlib, geopandas as gpd, pyogrio
>>> from shapely.geometry import Point
>>> pts = gpd.GeoDataFrame({"name": ["RSUD Andi Djemma"]}, geometry=[Point(203080, 9717839)],
...                        crs="EPSG:32751")
>>> out = write_geopackage({"facilities": pts}, pathlib.Path(tempfile.mkdtemp()) / "plan.gpkg")
>>> [str(x) for x in pyogrio.list_layers(out)[:, 0]]
['facilities']
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

import geopandas as gpd
import pyogrio

from ..crs import require_same_crs
from ..errors import DataError, SchemaError
from .atomic import atomic_path, check_data_path, source_date

__all__ = [
    "write_geopackage",
    "read_layer_styles",
    "gpkg_version",
    "CONTRACT_GEOMETRY_TYPES",
    "LAYER_STYLES_TABLE",
    "GEOMETRY_COLUMN",
]

log = logging.getLogger(__name__)

#: Name of QGIS's default-style table.
LAYER_STYLES_TABLE = "layer_styles"
#: Name of the geometry column in every spatial table.
GEOMETRY_COLUMN = "geom"
#: Geometry type of the output contract's layers (used for empty layers).
CONTRACT_GEOMETRY_TYPES: dict[str, str] = {
    "admin_kabupaten": "MultiPolygon",
    "admin_kecamatan": "MultiPolygon",
    "admin_desa": "MultiPolygon",
    "rivers": "MultiLineString",
    "streams": "MultiLineString",
    "roads": "MultiLineString",
    "buildings": "MultiPolygon",
    "facilities": "Point",
    "bridges": "Point",
    "observed_flood_2020": "MultiPolygon",
    "hazard_zones": "MultiPolygon",
    "impact_buildings": "MultiPolygon",
    "impact_roads": "MultiLineString",
    "impact_facilities": "Point",
    "sensor_sites": "Point",
    "service_points": "Point",
}

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


def gpkg_version(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Return the GeoPackage version of a file from its SQLite header, e.g. ``(1, 2)``.

    Raises
    ------
    DataError
        If the file is not a GeoPackage (wrong ``application_id``).
    """
    con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        user_version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    if app_id != _GPKG_APPLICATION_ID:
        raise DataError(
            f"{path}: expected a GeoPackage (application_id 0x47504B47), "
            f"found application_id {app_id:#x}."
        )
    return user_version // 10000, (user_version // 100) % 100


def read_layer_styles(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the ``layer_styles`` table of a GeoPackage (empty frame when there is none)."""
    layers = pyogrio.list_layers(path)
    if LAYER_STYLES_TABLE not in {str(x) for x in layers[:, 0]}:
        return pd.DataFrame()
    return pyogrio.read_dataframe(path, layer=LAYER_STYLES_TABLE, read_geometry=False)


def _check_names(layers: Mapping[str, object], styles: Mapping[str, str]) -> None:
    for name in layers:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise SchemaError(
                f"layer name {name!r}: expected letters, digits and underscores, starting with a "
                "letter or underscore (a GeoPackage table name). Rename the layer."
            )
        low = name.lower()
        if low == LAYER_STYLES_TABLE or low.startswith(("gpkg_", "rtree_", "sqlite_")):
            raise SchemaError(
                f"layer name {name!r} is reserved in a GeoPackage (gpkg_*, rtree_*, sqlite_*, "
                f"{LAYER_STYLES_TABLE}). Rename the layer."
            )
    lowered = [n.lower() for n in layers]
    dupes = sorted({n for n in lowered if lowered.count(n) > 1})
    if dupes:
        raise SchemaError(
            f"layer names {dupes} differ only in case; SQLite table names do not. "
            "Rename one of them."
        )
    spatial = [n for n, df in layers.items() if isinstance(df, gpd.GeoDataFrame)]
    bad = [n for n in styles if n not in spatial]
    if bad:
        raise SchemaError(
            f"styles given for {bad}, which are not spatial layers being written; the spatial "
            f"layers are {spatial}. Give styles only for layers with geometry."
        )


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    styles: Mapping[str, str] | None = None,
    check_crs: bool = True,
    description: str = "kotacerdas_gis",
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write layers and their QGIS default styles into one GeoPackage 1.2, atomically.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame or DataFrame
        Layers by table name. GeoDataFrames keep their CRS (the working CRS, EPSG:32751
        for Luwu Utara); DataFrames become attribute tables. Empty layers are written
        with their columns and no features.
    path : path-like
        Destination, ending in ``.gpkg``. An existing file is replaced only once the new
        one is complete.
    styles : mapping of str to str, optional
        QML documents per spatial layer (see
        :func:`kotacerdas_gis.outputs.qgis.qml_for_layer`), stored in ``layer_styles``
        as each layer's default style.
    check_crs : bool, default True
        Require every spatial layer to share one metric CRS.
    description : str
        ``description`` of the style rows.
    metadata : mapping of str to str, optional
        Dataset metadata (GDAL's ``gpkg_metadata``, shown by QGIS under Layer
        Properties > Metadata), e.g. the scenario name and the package version.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    SchemaError
        If a layer name is not a valid or is a reserved table name, or ``styles`` names a
        layer that is not a spatial layer being written.
    CRSError, CRSMismatchError
        If ``check_crs`` and a spatial layer is not metric, or two differ.
    DataError
        If ``path`` does not end in ``.gpkg``, no layer is given, or GDAL fails to write
        (the earlier file is then left as it was).

    Notes
    -----
    ``layer_styles`` has QGIS's columns: ``f_table_catalog``, ``f_table_schema``,
    ``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``,
    ``useAsDefault``, ``description``, ``owner``, ``ui``, ``update_time`` (UTC,
    timezone-aware). Geometry columns are named ``geom``.

    Reproducible bytes: the file's only time stamps are ``gpkg_contents.last_change``,
    ``gpkg_metadata_reference.timestamp`` and ``layer_styles.update_time``. All three
    are set to one time, ``SOURCE_DATE_EPOCH`` when set (then two writes of the same
    layers give identical bytes), else the current time (UTC, whole seconds).
    """
    check_data_path(layers, path)
    dest = Path(path)
    if dest.suffix.lower() != ".gpkg":
        raise DataError(
            f"{dest}: expected a path ending in .gpkg, found {dest.suffix or 'none'!r}."
        )
    if not layers:
        raise DataError(f"{dest}: no layers to write. Pass at least one layer.")
    styles = dict(styles or {})
    _check_names(layers, styles)
    spatial = {n: df for n, df in layers.items() if isinstance(df, gpd.GeoDataFrame)}
    if check_crs and spatial:
        require_same_crs(**spatial)

    with atomic_path(dest) as tmp:
        first = True
        for name, df in layers.items():
            kwargs: dict[str, object] = {"layer": name, "driver": "GPKG"}
            if first:
                kwargs["VERSION"] = "1.2"
                if metadata:
                    kwargs["dataset_metadata"] = {str(k): str(v) for k, v in metadata.items()}
            if isinstance(df, gpd.GeoDataFrame):
                kwargs["GEOMETRY_NAME"] = GEOMETRY_COLUMN
                if len(df) == 0 or df.geometry.isna().all():
                    kwargs["geometry_type"] = CONTRACT_GEOMETRY_TYPES.get(name, "Unknown")
            elif not isinstance(df, pd.DataFrame):
                raise SchemaError(
                    f"{name}: expected a GeoDataFrame or DataFrame, found {type(df).__name__}."
                )
            try:
                pyogrio.write_dataframe(df, tmp, **kwargs)
            except Exception as exc:
                raise DataError(f"{dest}: could not write layer {name!r}: {exc}") from exc
            first = False
            log.info("wrote %s: %d features", name, len(df))
        when = source_date() or pd.Timestamp.now(tz="UTC").to_pydatetime()
        now = pd.Timestamp(when).floor("s")
        if styles:
            rows = pd.DataFrame(
                {
                    "f_table_catalog": "",
                    "f_table_schema": "",
                    "f_table_name": list(styles),
                    "f_geometry_column": GEOMETRY_COLUMN,
                    "styleName": list(styles),
                    "styleQML": [styles[n] for n in styles],
                    "styleSLD": "",
                    "useAsDefault": True,
                    "description": description,
                    "owner": "",
                    "ui": "",
                    "update_time": now,
                }
            )
            try:
                pyogrio.write_dataframe(rows, tmp, layer=LAYER_STYLES_TABLE, driver="GPKG")
            except Exception as exc:  # pragma: no cover - same driver as above
                raise DataError(f"{dest}: could not write {LAYER_STYLES_TABLE}: {exc}") from exc
        _set_time_stamps(tmp, now)
    return dest


def _set_time_stamps(path: Path, when: pd.Timestamp) -> None:
    """Set the GeoPackage's time stamps (which GDAL sets to the clock) to ``when``."""
    stamp = when.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.000Z")
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        with con:
            con.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
            if "gpkg_metadata_reference" in tables:
                con.execute("UPDATE gpkg_metadata_reference SET timestamp = ?", (stamp,))
    finally:
        con.close()
