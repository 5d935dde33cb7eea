"""OpenStreetMap extracts (``.osm.pbf`` or ``.osm`` XML) read directly, clipped to the study area.

GDAL's OSM driver (through pyogrio) reads the extract as its layers ``points``, ``lines`` and
``multipolygons`` (tags without a column of their own are in ``other_tags``);
:func:`kotacerdas_gis.schemas.assets_from_osm` turns them into roads (``highway``, ``bridge``),
buildings (``building``) and facilities (``amenity``, ``healthcare``), counting every tag value
it uses. Features outside the study area are dropped and counted.

Examples
--------
>>> import pyogrio
>>> "OSM" in pyogrio.list_drivers()
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd

from ..accounting import Ledger
from ..crs import as_crs
from ..errors import DataError
from ..schemas import assets_from_osm
from .vector import GeometryFamily, read_vector

__all__ = ["read_osm", "OSM_LAYERS"]

#: The OSM driver's layers used, with their geometry family.
OSM_LAYERS: dict[str, GeometryFamily] = {
    "points": "point", "lines": "line", "multipolygons": "polygon",
}


def read_osm(
    path: str | os.PathLike[str],
    *,
    to_crs: Any,
    area: gpd.GeoDataFrame | None = None,
    ledger: Ledger | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OSM extract into raw roads, buildings and facilities, clipped to ``area``.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` or ``.osm`` (XML) file, EPSG:4326 as OSM always is.
    to_crs : CRS-like
        The working CRS (metric).
    area : GeoDataFrame, optional
        The study area (any CRS; reprojected to ``to_crs``). Features that do not intersect
        it are dropped and counted; roads keep their whole length (the exposure step
        reports what lies outside the aggregation areas).
    ledger : Ledger, optional
        Collects the read steps and the tag mapping
        (:func:`~kotacerdas_gis.schemas.assets_from_osm`).

    Returns
    -------
    dict of GeoDataFrame
        ``roads``, ``buildings``, ``facilities`` (those found) with the raw columns
        :func:`~kotacerdas_gis.scenario.build_scenario` adapts (``road_id``, ``highway``,
        ``bridge``; ``building_id``, ``building``, ``amenity``; ``facility_id``,
        ``facility_type``, ``amenity``; ``name``), in ``to_crs``.

    Raises
    ------
    DataError
        Missing file, a file the OSM driver cannot read, or no road, building or facility
        in the area.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: OSM extract not found.")
    if not (p.name.lower().endswith(".osm.pbf") or p.suffix.lower() in (".pbf", ".osm")):
        raise DataError(f"{p}: expected an OSM extract (.osm.pbf or .osm); for a GeoPackage "
                        "or a shapefile converted from OSM drop \"adapter\": \"osm\".")
    led = ledger if ledger is not None else Ledger()
    crs = as_crs(to_crs)
    clip = None
    if area is not None:
        clip = area.to_crs(crs).geometry.union_all() if area.crs is not None else None
    layers: dict[str, gpd.GeoDataFrame] = {}
    for layer, family in OSM_LAYERS.items():
        try:
            gdf = read_vector(p, layer=layer, to_crs=crs, geometry_type=family,
                              name=f"{p.name} {layer}", ledger=led)
        except DataError as exc:
            if "empty (0 features)" in str(exc):
                continue
            raise
        if clip is not None:
            inside = gdf.geometry.intersects(clip).to_numpy()
            led.steps[-1].reject("outside the study area (clipped)", int((~inside).sum()))
            gdf = gdf[inside].reset_index(drop=True)
        layers[layer] = gdf
    out, rep = assets_from_osm(layers, source=p.name)
    led.add(rep)
    if not out:
        raise DataError(f"{p}: no road (highway=*), building (building=*) or facility "
                        "(amenity, healthcare) in the study area. Check the extract covers it.")
    return out
