"""The output contract: map.html, plan.gpkg, project.qgz, report.html, summary.json in one folder.

:func:`write_outputs` writes all five from a :class:`~kotacerdas_gis.plan.PlanResult`,
as one unit (:func:`kotacerdas_gis.io.atomic.output_unit`): the files are written
into a staging folder beside the target and swapped in together, so the folder
holds one run's complete outputs or the previous run's, never a mix nor a
half-written file.
``summary.json`` lists the GeoPackage layers written (a layer appears only
once its step has run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import geopandas as gpd

from .. import __version__
from ..io.atomic import output_unit, source_date, write_json_atomic
from ..io.gpkg import write_geopackage
from .qgis import qml_styles
from .qgis_project import write_qgis_project
from .report import write_report
from .summary import class_colours, drop_volatile, plan_layers, plan_summary, plan_tables
from .webmap import MAP_FOCUS, MAP_HIDDEN, hillshade, plan_map_layers, web_map, write_web_map

if TYPE_CHECKING:  # pragma: no cover
    from ..plan import PlanResult

__all__ = ["write_outputs", "OUTPUT_FILES", "MAP_HIDDEN"]

#: The files of the output contract.
OUTPUT_FILES = ("map.html", "plan.gpkg", "project.qgz", "report.html", "summary.json")
def write_outputs(result: PlanResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the output contract's files for one plan.

    Parameters
    ----------
    result : PlanResult
        From :func:`kotacerdas_gis.plan.run_plan`.
    out_dir : path-like
        Folder; created when missing. The five files are written into a staging
        folder beside it and swapped in together; other files already in the
        folder are kept.

    Returns
    -------
    list of pathlib.Path
        The files written: ``map.html``, ``plan.gpkg``, ``project.qgz`` (a QGIS project
        over ``plan.gpkg`` with a print layout), ``report.html``, ``summary.json``, in
        ``out_dir``.

    Raises
    ------
    OutputError
        If the folder cannot be written (a file, read-only, permission denied, disk
        full), naming the path and the cause; earlier outputs are left as they were.
    """
    out = Path(out_dir)
    with output_unit(out, own=OUTPUT_FILES, last="summary.json") as stage:
        names = _write_all(result, stage)
    return [out / n for n in names]


def _write_all(result: PlanResult, out: Path) -> list[str]:
    lang = result.config.lang
    layers: dict[str, Any] = plan_layers(result)
    tables: dict[str, pd.DataFrame] = plan_tables(result)

    spatial = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    colours = class_colours(result)
    gpkg = write_geopackage(
        {**spatial, **tables},
        out / "plan.gpkg",
        styles=qml_styles(spatial, lang=lang, class_colours=colours),  # type: ignore[arg-type]
        metadata={"scenario": result.scenario.name, "kotacerdas_gis_version": __version__},
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
    mlayers = plan_map_layers(spatial)
    terrain = getattr(result, "terrain", None)
    background = (
        hillshade(terrain.dem_m, terrain.transform, terrain.crs) if terrain is not None else None
    )
    m = web_map(
        mlayers,
        title=title,
        lang=lang,  # type: ignore[arg-type]
        visible=[k for k in mlayers if k not in MAP_HIDDEN],
        note=note,
        focus=[next((n for n in MAP_FOCUS if n in mlayers), "admin_desa")],
        class_colours=colours,
        background=background,
        online_basemaps=True,
    )
    html = write_web_map(m, out / "map.html")
    qgz = write_qgis_project(spatial, gpkg, out / "project.qgz", title=title,
                             lang=lang, class_colours=colours, note=note)  # type: ignore[arg-type]

    summary = plan_summary(result)
    if source_date() is not None:  # a reproducible build records no clock times
        summary = drop_volatile(summary)
    summary["outputs"] = {
        "files": list(OUTPUT_FILES),
        "gpkg_layers": sorted([*spatial, *tables]),
        "map_layers": list(mlayers),
    }
    report = write_report(summary, out / "report.html", title=title, lang=lang,  # type: ignore[arg-type]
                          layers=spatial)
    js = write_json_atomic(summary, out / "summary.json")
    return [p.name for p in (html, gpkg, qgz, report, js)]
