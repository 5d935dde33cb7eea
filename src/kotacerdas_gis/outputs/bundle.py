"""The output contract: map.html, plan.gpkg, project.qgz, report.html, summary.json in one folder.

:func:`write_outputs` writes all five from a :class:`~kotacerdas_gis.plan.PlanResult`,
each file atomically, so a folder never holds a half-written file.
``summary.json`` lists the GeoPackage layers written (a layer appears only
once its step has run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import geopandas as gpd

from ..io.atomic import write_json_atomic
from ..io.gpkg import write_geopackage
from .qgis import qml_styles
from .qgis_project import write_qgis_project
from .report import write_report
from .summary import class_colours, plan_layers, plan_summary, plan_tables
from .webmap import web_map, write_web_map

if TYPE_CHECKING:  # pragma: no cover
    from ..plan import PlanResult

__all__ = ["write_outputs", "OUTPUT_FILES", "MAP_HIDDEN"]

#: The files of the output contract.
OUTPUT_FILES = ("map.html", "plan.gpkg", "project.qgz", "report.html", "summary.json")
#: Layers drawn on the map but switched off when it opens (dense or secondary).
MAP_HIDDEN = (
    "admin_desa",
    "buildings",
    "impact_roads",
    "impact_facilities",
    "streams",
    "aggregation_summary",
    "service_assignment",
)
#: Rebuild priorities drawn on the map (the GeoPackage holds every ranked asset).
MAP_TOP_PRIORITIES = 20
#: Layers whose extent the map opens on: the first one present.
MAP_FOCUS = ("hazard_zones", "observed_flood_2020", "admin_desa")
#: Layers left off the web map (the GeoPackage has them): their content is drawn by another layer.
_MAP_SKIP = ("admin_kabupaten", "aggregation_summary_kecamatan")


def _map_layers(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    for name, layer in layers.items():
        if not isinstance(layer, gpd.GeoDataFrame) or name in _MAP_SKIP:
            continue
        if name == "buildings" and "impact_buildings" in layers:
            continue  # impact_buildings is the same footprints, coloured by hazard
        if name == "rebuild_priorities":
            layer = layer.nsmallest(MAP_TOP_PRIORITIES, "rank")
        if name == "service_points" and "existing" in layer:
            # the open facilities kept as sites are drawn by their own layer already
            layer = layer[~layer["existing"].astype(bool)]
        out[name] = layer
    return out


def write_outputs(result: PlanResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the output contract's files for one plan.

    Parameters
    ----------
    result : PlanResult
        From :func:`kotacerdas_gis.plan.run_plan`.
    out_dir : path-like
        Folder; created when missing. Files already there are replaced one by
        one, atomically.

    Returns
    -------
    list of pathlib.Path
        The files written: ``map.html``, ``plan.gpkg``, ``project.qgz`` (a QGIS project
        over ``plan.gpkg`` with a print layout), ``report.html``, ``summary.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lang = result.config.lang
    layers: dict[str, Any] = plan_layers(result)
    tables: dict[str, pd.DataFrame] = plan_tables(result)

    spatial = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    colours = class_colours(result)
    gpkg = write_geopackage(
        {**spatial, **tables},
        out / "plan.gpkg",
        styles=qml_styles(spatial, lang=lang, class_colours=colours),  # type: ignore[arg-type]
    )

    title = (
        f"Rencana kota cerdas: {result.scenario.name}"
        if lang == "id"
        else f"Smart-city plan: {result.scenario.name}"
    )
    note = None
    if result.scenario.demonstration:
        note = (
            "Data demonstrasi hasil rekonstruksi, bukan data resmi."
            if lang == "id"
            else "Demonstration reconstruction, not official data."
        )
    mlayers = _map_layers(spatial)
    m = web_map(
        mlayers,
        title=title,
        lang=lang,  # type: ignore[arg-type]
        visible=[k for k in mlayers if k not in MAP_HIDDEN],
        note=note,
        focus=[next((n for n in MAP_FOCUS if n in mlayers), "admin_desa")],
        class_colours=colours,
    )
    html = write_web_map(m, out / "map.html")
    qgz = write_qgis_project(spatial, gpkg, out / "project.qgz", title=title,
                             lang=lang, class_colours=colours, note=note)  # type: ignore[arg-type]

    summary = plan_summary(result)
    summary["outputs"] = {
        "files": list(OUTPUT_FILES),
        "gpkg_layers": sorted([*spatial, *tables]),
        "map_layers": list(mlayers),
    }
    report = write_report(summary, out / "report.html", title=title, lang=lang,  # type: ignore[arg-type]
                          layers=spatial)
    js = write_json_atomic(summary, out / "summary.json")
    return [html, gpkg, qgz, report, js]
