"""What a run says: the layers, tables, key figures and console lines of a :class:`PlanResult`.

Presentation only: every number here was computed by the analysis steps; this
module selects, joins, rounds and labels them, in one place for the command
line, ``summary.json``, the report, the map and the GeoPackage.

The **focus area** (:attr:`PlanConfig.focus_area <kotacerdas_gis.plan.PlanConfig>`)
decides which area the key figures cover: the whole study area by default, or
one kecamatan or desa (by code or name). Key figures always say which area they
cover (``key_figures["area"]``), and the per-kecamatan figures travel beside them
(``summary["impact_by_kecamatan"]``).

Examples
--------
The tiny scenario of :mod:`kotacerdas_gis.testing`: two desa of kecamatan 73.22.03,
a 150 m x 150 m flood of 1.5-2 m over desa Bone.

>>> import warnings
>>> import kotacerdas_gis as kc
>>> from kotacerdas_gis.testing import tiny_flood, tiny_scenario
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     result = kc.run_plan(tiny_scenario(flood=tiny_flood()),
...                          kc.PlanConfig(lang="en", focus_area="Bone"))
>>> kf = plan_summary(result)["key_figures"]
>>> kf["area"]["name"], kf["area"]["level"], kf["people_affected"]
('Bone', 'desa', 900)
>>> {"hazard_zones", "impact_buildings", "aggregation_summary"} <= set(plan_layers(result))
True
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

import geopandas as gpd

from .. import __version__
from ..errors import ParameterError
from ..hazard import study_area_coverage

if TYPE_CHECKING:
    from ..plan import PlanResult

__all__ = [
    "plan_layers",
    "plan_tables",
    "plan_provenance",
    "plan_summary",
    "VOLATILE_FIELDS",
    "drop_volatile",
    "class_colours",
    "key_figures",
    "focus_area",
    "console_lines",
    "integer_counts",
]

#: Key figures summed over the desa of the focus area: ``(key figure, summary column)``.
_PEOPLE_FIGURES = (
    ("buildings_affected", "buildings_affected"),
    ("people_affected", "total_affected"),
    ("people_displaced", "displaced"),
    ("women_displaced", "female_displaced"),
    ("elderly_displaced", "elderly_displaced"),
    ("disabled_displaced", "disabled_displaced"),
    ("health_facilities_affected", "health_facilities_affected"),
)

#: Result layers and the step that made them: ``{layer: (function, summary key)}``.
_RESULT_STEPS = {
    "hazard_zones": ("combine_zones / observed_zones / dem_zones", "hazard"),
    "streams": ("derive_terrain + streams_layer", "terrain"),
    "impact_buildings": ("analyse_exposure", "exposure"),
    "impact_roads": ("analyse_exposure", "exposure"),
    "impact_facilities": ("analyse_exposure", "exposure"),
    "aggregation_summary": ("analyse_exposure + access_to_facilities", "exposure"),
    "aggregation_summary_kecamatan": ("analyse_exposure", "exposure"),
    "aggregation_summary_areas": ("analyse_exposure(aggregation=...)", "exposure"),
    "service_points": ("siting.service_points.site_service_points", "service_points"),
    "service_assignment": ("siting.service_points.site_service_points", "service_points"),
    "sensor_sites": ("siting.sensors.site_sensors", "sensors"),
    "sensor_warning_reach": ("siting.sensors.site_sensors", "sensors"),
    "rebuild_priorities": ("priorities.rank_rebuild_priorities", "priorities"),
}


def plan_layers(result: PlanResult) -> dict[str, gpd.GeoDataFrame]:
    """All layers for the GeoPackage and the map, by the output contract's names.

    Parameters
    ----------
    result : PlanResult
        From :func:`kotacerdas_gis.run_plan`.

    Returns
    -------
    dict of str to GeoDataFrame
        The scenario's input layers, then ``hazard_zones``, ``streams``, the
        ``impact_*`` layers and the per-desa and per-kecamatan summaries (desa with
        travel times to health care joined on), in the working CRS.
    """
    out = dict(result.scenario.layers())
    if result.hazard is not None:
        out["hazard_zones"] = result.hazard.zones
    if result.streams is not None:
        out["streams"] = result.streams
    if result.exposure is not None:
        e = result.exposure
        for name in ("impact_buildings", "impact_roads", "impact_facilities"):
            layer = getattr(e, name)
            if layer is not None:
                out[name] = layer
        if e.aggregation_summary is not None:
            out["aggregation_summary"] = _with_access(result, e.aggregation_summary)
        if e.aggregation_summary_kecamatan is not None:
            out["aggregation_summary_kecamatan"] = _kecamatan_summary(result)
    # the impact on the scenario's own aggregation layer (issue 11), beside the desa summary
    if result.exposure_areas is not None and result.exposure_areas.aggregation_summary is not None:
        out["aggregation_summary_areas"] = result.exposure_areas.aggregation_summary
    out.update(_recommendation_layers(result))
    return {k: integer_counts(v) for k, v in out.items()}


#: Count columns (buildings, facilities, places, ids of ranks): whole numbers in the GeoPackage.
_COUNT_COLUMN = re.compile(
    r"^(n_|buildings_|facilities_|health_facilities_)|^(rank|rank_p\d+|stream_order|"
    r"places_reconnected|route_assets|route_places_reconnected|capacity_persons)$")


def integer_counts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Store count columns as integers (``Int64``, missing kept) instead of ``3047.0``.

    A float column is converted when its name is a count's (``buildings_*``,
    ``facilities_*``, ``n_*``, ``rank``, ``capacity_persons``, ...) and every value
    present is a whole number; people estimates (``total_affected``, ``displaced``)
    stay decimal.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"buildings_high": [3.0, None], "displaced": [0.5, 1.0]},
    ...                      geometry=[Point(0, 0), Point(1, 1)])
    >>> [str(t) for t in integer_counts(g).dtypes[:2]]
    ['Int64', 'float64']
    """
    cols = [c for c in gdf.columns if isinstance(c, str) and _COUNT_COLUMN.search(c)
            and pd.api.types.is_float_dtype(gdf[c])]
    whole = [c for c in cols if bool((gdf[c].dropna() % 1 == 0).all())]
    if not whole:
        return gdf
    out = gdf.copy()
    for c in whole:
        out[c] = out[c].round().astype("Int64")
    return out


def _recommendation_layers(result: PlanResult) -> dict[str, gpd.GeoDataFrame]:
    """Collect the recommendations' layers: service points, sensors, rebuild priorities."""
    out: dict[str, gpd.GeoDataFrame] = {}
    sp = [r for r in (result.shelters, result.health_posts) if r is not None]
    if sp:
        out["service_points"] = _concat([r.sites for r in sp])
        out["service_assignment"] = _concat([r.assignment for r in sp])
    if result.sensors is not None:
        out["sensor_sites"] = result.sensors.sites
        out["sensor_warning_reach"] = result.sensors.warning_reach
    if result.priorities is not None:
        out["rebuild_priorities"] = _as_points(result.priorities.priorities)
    return out


def _as_points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per asset (a line's midpoint, a polygon's point on surface).

    A layer of roads, bridges and buildings mixes geometry types, which QGIS cannot style
    as one layer; the ranked assets are drawn as markers (their ids join the impact layers).
    """
    import shapely

    g = np.asarray(gdf.geometry.values, dtype=object)
    kind = shapely.get_type_id(g)
    lines = (kind == 1) | (kind == 5)
    pts = shapely.point_on_surface(g)
    if lines.any():
        pts[lines] = shapely.line_interpolate_point(
            shapely.line_merge(g[lines]), 0.5, normalized=True)
    return gdf.set_geometry(gpd.GeoSeries(pts, index=gdf.index, crs=gdf.crs))


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if f is not None]
    crs = frames[0].crs
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def class_colours(result: PlanResult) -> dict[str, dict[str, str]]:
    """Colours of the run's hazard classes for every layer classified by ``hazard_class``.

    Returns
    -------
    dict
        ``{layer name: {hazard class key: "#RRGGBB"}}`` for the ``class_colours=`` of
        :func:`~kotacerdas_gis.outputs.webmap.web_map` and
        :func:`~kotacerdas_gis.outputs.qgis.qml_styles`, so that a custom class set
        is drawn in its own colours everywhere.
    """
    if result.hazard is None:
        return {}
    colours = {c.key: c.colour for c in result.hazard.class_set.classes}
    return {name: colours for name, layer in plan_layers(result).items()
            if "hazard_class" in layer.columns}


def _kecamatan_summary(result: PlanResult) -> gpd.GeoDataFrame:
    """Per-kecamatan summary, with the kecamatan names of the scenario joined on."""
    assert result.exposure is not None
    kec = result.exposure.aggregation_summary_kecamatan
    assert kec is not None
    names = result.scenario.admin_kecamatan
    if names is None or "admin_name" in kec.columns:
        return kec
    table = pd.DataFrame(names[["admin_code", "admin_name"]])
    out = kec.merge(table, on="admin_code", how="left", validate="one_to_one")
    return out[["admin_code", "admin_name", *[c for c in kec.columns if c != "admin_code"]]]


def _with_access(result: PlanResult, agg: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per-desa summary with the travel times to health care joined on."""
    if result.access is None or result.access.desa is None:
        return agg
    cols = [
        "admin_code",
        "travel_time_min_before",
        "travel_time_min_after",
        "delta_min",
        "nearest_facility_before",
        "nearest_facility_after",
        "isolated",
        "status",
    ]
    acc = pd.DataFrame(result.access.desa)[[c for c in cols if c in result.access.desa]]
    return agg.merge(acc, on="admin_code", how="left", validate="one_to_one")


def plan_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """Attribute tables (no geometry) for the GeoPackage, by name.

    Returns
    -------
    dict of str to DataFrame
        ``analysis_summary``, ``exposure_summary_table``, ``minimum_needs``,
        ``isolated`` (when computed) and ``provenance`` (see :func:`plan_provenance`).
    """
    out: dict[str, pd.DataFrame] = {}
    if result.exposure is not None:
        e = result.exposure
        out["analysis_summary"] = pd.DataFrame(e.analysis_summary)
        out["exposure_summary_table"] = pd.DataFrame(e.exposure_summary_table)
        if e.needs is not None:
            out["minimum_needs"] = pd.DataFrame(e.needs)
        # InaSAFE-shaped tables (issue 11): on the aggregation layer when there is one
        ea = result.exposure_areas if result.exposure_areas is not None else e
        for kind, table in ea.area_tables.items():
            out[f"exposure_by_area_{kind}"] = pd.DataFrame(table)
        if ea.demographics is not None:
            out["demographic_breakdown"] = pd.DataFrame(ea.demographics)
    if result.access is not None and result.access.isolated is not None:
        out["isolated"] = pd.DataFrame(result.access.isolated).drop(
            columns="geometry", errors="ignore"
        )
    out["provenance"] = plan_provenance(result)
    return out


def plan_provenance(result: PlanResult) -> pd.DataFrame:
    """One row per GeoPackage layer: where it comes from and with which parameters.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``kind`` (``input`` or ``result``), ``source``, ``licence``,
        ``made_by`` (the function and its parameters as JSON), ``kotacerdas_gis_version``.
    """
    params = json.dumps(result.config.to_dict(), sort_keys=True, default=str)
    rows = []
    for name in plan_layers(result):
        prov = result.scenario.provenance.get(name, {})
        if name in _RESULT_STEPS:
            rows.append(
                {"layer": name, "kind": "result", "source": result.scenario.name,
                 "licence": None, "made_by": f"{_RESULT_STEPS[name][0]} {params}"}
            )
        else:
            rows.append(
                {"layer": name, "kind": "input", "source": prov.get("source"),
                 "licence": prov.get("licence"), "made_by": prov.get("path")}
            )
    table = pd.DataFrame(rows, columns=["layer", "kind", "source", "licence", "made_by"])
    table["kotacerdas_gis_version"] = __version__
    return table


#: Keys whose values are clock times (seconds of computing), different on every run:
#: ``timings_s`` (per step) and ``runtime_s`` (per solver run), at any depth.
VOLATILE_FIELDS = ("timings_s", "runtime_s")


def drop_volatile(summary: Any) -> Any:
    """Return a copy of a summary without the :data:`VOLATILE_FIELDS`, at any depth.

    ``write_outputs`` writes ``summary.json`` and the report this way when
    ``SOURCE_DATE_EPOCH`` is set, so that two runs give byte-identical files.

    Examples
    --------
    >>> drop_volatile({"timings_s": {"a": 1.0}, "x": [{"runtime_s": 0.1, "n": 2}]})
    {'x': [{'n': 2}]}
    """
    if isinstance(summary, Mapping):
        return {k: drop_volatile(v) for k, v in summary.items() if k not in VOLATILE_FIELDS}
    if isinstance(summary, list):
        return [drop_volatile(v) for v in summary]
    return summary


def plan_summary(result: PlanResult) -> dict[str, Any]:
    """Key figures and step summaries for ``summary.json`` and the report (JSON-ready).

    Returns
    -------
    dict
        ``kotacerdas_gis_version``, ``scenario``, ``validation``, ``parameters``,
        ``skipped``, ``timings_s``, ``hazard``, ``impact``, ``impact_by_kecamatan``
        (one row per kecamatan: code, name and the key people figures), ``access``
        and ``key_figures`` (for the focus area, see :func:`key_figures`).
    """
    out: dict[str, Any] = {
        "kotacerdas_gis_version": __version__,
        "scenario": result.scenario.summary(),
        "validation": result.validation.to_dict(),
        "parameters": result.config.to_dict(),
        "skipped": dict(result.skipped),
        "timings_s": {k: round(v, 3) for k, v in result.timings_s.items()},
    }
    if result.hazard is not None:
        out["hazard"] = _hazard_summary(result)
    if result.exposure is not None:
        out["impact"] = result.exposure.to_dict()
        by_kec = _by_kecamatan(result)
        if by_kec:
            out["impact_by_kecamatan"] = by_kec
    if result.access is not None:
        out["access"] = result.access.to_dict()
    sp = {k: getattr(result, k).to_dict() for k in ("shelters", "health_posts")
          if getattr(result, k) is not None}
    if sp:
        out["service_points"] = sp
    if result.sensors is not None:
        out["sensors"] = result.sensors.to_dict()
    if result.priorities is not None:
        out["priorities"] = _short_budget(result.priorities.to_dict())
    out["key_figures"] = key_figures(result, out)
    return _relative_inputs(out, result.scenario)


def _relative_inputs(summary: dict[str, Any], scenario: Any) -> dict[str, Any]:
    """Name input files by their path relative to the manifest, as the provenance does.

    The readers name a file by its absolute path (``/home/.../roads.gpkg|layername=roads``,
    the DEM's ``source``); ``summary.json`` and the report are shared, so every mention
    of an input file gives the manifest's own relative path instead
    (``data/roads.gpkg|layername=roads``), never a machine's folder.
    """
    rel = {k: v["path"] for k, v in scenario.provenance.items()
           if isinstance(v, Mapping) and v.get("path")}
    absolute: dict[str, str] = {}
    for step in summary.get("validation", {}).get("accounting", []):
        key = str(step.get("step", "")).removeprefix("read ")
        file = str(step.get("source") or "").partition("|layername=")[0]
        if key in rel and os.path.isabs(file):
            absolute[file] = rel[key]
    if scenario.dem_path is not None and "dem" in rel:
        absolute[str(scenario.dem_path)] = rel["dem"]
    if not absolute:
        return summary
    longest_first = sorted(absolute, key=len, reverse=True)

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            for a in longest_first:
                if a in value:
                    value = value.replace(a, absolute[a])
            return value
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return cast(dict[str, Any], fix(summary))


def _short_budget(pri: dict[str, Any], n: int = 20) -> dict[str, Any]:
    """Keep the first ``n`` ids of the budget's project lists (plan.gpkg flags every one)."""
    budget = pri.get("budget")
    if isinstance(budget, dict):
        for key in ("selected", "not_selected"):
            ids = budget.get(key)
            if isinstance(ids, (list, tuple)) and len(ids) > n:
                budget[key] = [*ids[:n], f"... {len(ids) - n} more (in_budget in plan.gpkg)"]
    return pri


def focus_area(result: PlanResult) -> dict[str, Any]:
    """Which area the key figures cover: the configured kecamatan or desa, or the study area.

    ``PlanConfig.focus_area`` is matched on ``admin_code``, then on ``admin_name``
    (case-insensitive), among the kecamatan first and then the desa.

    Returns
    -------
    dict
        ``level`` (``"study_area"``, ``"kecamatan"`` or ``"desa"``), ``code``,
        ``name`` and ``desa_codes`` (the desa whose rows are summed; None for the
        whole study area).

    Raises
    ------
    ParameterError
        When no kecamatan or desa has that code or name; the message lists them.
    """
    wanted = result.config.focus_area
    if wanted is None:
        return {"level": "study_area", "code": None, "name": result.scenario.name,
                "desa_codes": None}
    key = str(wanted).strip().casefold()
    desa = result.scenario.admin_desa
    for level, layer in (("kecamatan", result.scenario.admin_kecamatan), ("desa", desa)):
        if layer is None:
            continue
        for col in ("admin_code", "admin_name"):
            if col not in layer:
                continue
            hit = layer[layer[col].astype(str).str.strip().str.casefold() == key]
            if len(hit):
                row = hit.iloc[0]
                code = str(row["admin_code"])
                if level == "desa":
                    codes = [code]
                elif desa is not None and "parent_code" in desa:
                    codes = sorted(desa.loc[desa["parent_code"].astype(str) == code,
                                            "admin_code"].astype(str))
                else:
                    codes = []
                return {"level": level, "code": code, "name": str(row.get("admin_name", code)),
                        "desa_codes": codes}
    known = []
    for layer in (result.scenario.admin_kecamatan, desa):
        if layer is not None and "admin_name" in layer:
            known += sorted(layer["admin_name"].astype(str))
    raise ParameterError(
        f"PlanConfig.focus_area: no kecamatan or desa has the code or name {wanted!r}. "
        f"Known names: {', '.join(known[:40])}{' ...' if len(known) > 40 else ''}; "
        "or leave focus_area unset for the whole study area."
    )


def _by_kecamatan(result: PlanResult) -> list[dict[str, Any]]:
    """Give the key people figures of every kecamatan, in whole persons."""
    if result.exposure is None or result.exposure.aggregation_summary_kecamatan is None:
        return []
    kec = pd.DataFrame(_kecamatan_summary(result)).drop(columns="geometry", errors="ignore")
    rows = []
    for r in kec.to_dict("records"):
        row: dict[str, Any] = {"admin_code": r["admin_code"],
                               "admin_name": r.get("admin_name", r["admin_code"])}
        for out_key, col in _PEOPLE_FIGURES:
            if col in r:
                row[out_key] = _whole(r[col])
        if "roads_affected_length_m" in r:
            row["roads_affected_km"] = round(float(r["roads_affected_length_m"]) / 1000, 1)
        rows.append(row)
    return rows


def _whole(v: Any) -> int | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return int(round(float(v)))


def key_figures(result: PlanResult, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """Give the headline numbers of the focus area, rounded as a planner reads them.

    Impact figures (buildings, people, displaced, roads, health facilities,
    weekly needs, villages cut off) cover ``key_figures["area"]``; the hazard
    figures (zone areas, calibration) cover the whole study area and say so in
    their key (``hazard_area_km2`` of the study area).

    Parameters
    ----------
    result : PlanResult
        The run.
    summary : dict, optional
        The rest of :func:`plan_summary` when already built (saves recomputing it).

    Returns
    -------
    dict
        ``area`` (level, code, name), ``demonstration_data``, ``hazard_csi_vs_2020_footprint``,
        ``displacement_rates``, ``hazard_area_km2`` (study area), the people and asset
        figures, ``roads_affected_km``, ``weekly_needs_of_displaced`` and
        ``villages_cut_off_from_health_care`` (of the focus area); ``study_area`` (the same
        people, asset and access figures for the whole study area) and ``covers`` (for every
        figure: ``"focus_area"`` or ``"study_area"``).
    """
    if summary is None:
        summary = {k: v for k, v in plan_summary(result).items() if k != "key_figures"}
    area = focus_area(result)
    codes = area["desa_codes"]
    k: dict[str, Any] = {
        "area": {"level": area["level"], "code": area["code"], "name": area["name"]},
        "demonstration_data": result.scenario.demonstration,
    }
    cal = summary.get("hazard", {}).get("calibration")
    if cal:
        k["hazard_csi_vs_2020_footprint"] = round(cal["csi"], 2)
    if result.hazard is not None:
        k["displacement_rates"] = {
            c.key: c.displacement_rate for c in result.hazard.class_set.classes
        }
        k["hazard_area_km2"] = {
            c: round(v / 1e6, 2) for c, v in result.hazard.area_by_class_m2().items() if v > 0
        }
    if codes is None:
        a = summary.get("impact", {}).get("analysis_summary", {})
        needs = summary.get("impact", {}).get("minimum_needs")
    else:
        a, needs = _area_sums(result, codes)
    for out_key, key in _PEOPLE_FIGURES:
        if key in a:
            k[out_key] = _whole(a.get(key))
    if "roads_affected_length_m" in a:
        k["roads_affected_km"] = round(a["roads_affected_length_m"] / 1000, 1)
    if needs:
        k["weekly_needs_of_displaced"] = {
            n: round(v, 1) for n, v in needs.items() if n != "displaced" and v is not None
        }
    focus_keys = [key for key, _ in _PEOPLE_FIGURES if key in k]
    focus_keys += [key for key in ("roads_affected_km", "weekly_needs_of_displaced") if key in k]
    rec = _recommendation_figures(result)
    k.update(rec)
    acc = summary.get("access")
    if acc:
        in_area = set(codes) if codes is not None else None
        k["villages_cut_off_from_health_care"] = sorted(
            r["name"] for r in acc.get("isolated", [])
            if r.get("kind") == "desa" and (in_area is None or str(r.get("id")) in in_area)
        )
        focus_keys.append("villages_cut_off_from_health_care")
    k["study_area"] = _study_area_figures(summary)
    k["covers"] = {
        key: ("focus_area" if key in focus_keys else "study_area")
        for key in k if key not in ("area", "covers", "study_area", "demonstration_data")
    }
    return k


def _study_area_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Give the people and asset key figures of the whole study area (whole persons, km)."""
    a = summary.get("impact", {}).get("analysis_summary", {})
    out: dict[str, Any] = {}
    for out_key, key in _PEOPLE_FIGURES:
        if key in a:
            out[out_key] = _whole(a.get(key))
    if "roads_affected_length_m" in a:
        out["roads_affected_km"] = round(a["roads_affected_length_m"] / 1000, 1)
    acc = summary.get("access")
    if acc:
        out["villages_cut_off_from_health_care"] = sorted(
            r["name"] for r in acc.get("isolated", []) if r.get("kind") == "desa")
    return out


def _recommendation_figures(result: PlanResult) -> dict[str, Any]:
    """Headline numbers of the recommendations (whole persons), study-area wide."""
    k: dict[str, Any] = {}
    for key, res in (("shelters", result.shelters), ("health_posts", result.health_posts)):
        if res is None:
            continue
        sites = res.sites
        new = sites[~sites["existing"].astype(bool)] if "existing" in sites else sites
        k[f"{key}_recommended"] = int(len(new))
        k[f"{key}_people_within_limit"] = _whole(res.report.get("persons_covered_within_limit"))
        k[f"{key}_people_unreachable"] = _whole(res.report.get("persons_unreachable"))
        k[f"{key}_gap"] = round(float(res.solver.gap), 4)
    if result.sensors is not None:
        s = result.sensors.sites
        k["water_level_gauges_recommended"] = int(((s["kind"] == "water_level")
                                                   & ~s["existing"].astype(bool)).sum())
        k["rain_gauges_recommended"] = int(((s["kind"] == "rain")
                                            & ~s["existing"].astype(bool)).sum())
        fig = result.sensors.figures
        k["people_warned_in_time_expected"] = _whole(fig.get("people_warned_expected"))
        k["sensor_gap"] = round(float(result.sensors.solver.gap), 4)
    if result.priorities is not None:
        top = result.priorities.priorities.head(3)
        names = top["name"] if "name" in top else top["asset_id"]
        k["top_rebuild_priorities"] = [
            f"{n} ({a})" if isinstance(n, str) and n else str(a)
            for n, a in zip(names, top["asset_id"], strict=True)]
        b = result.priorities.budget
        if b is not None:
            k["rebuild_budget_idr"] = float(b.budget_idr) if hasattr(b, "budget_idr") else None
            k["rebuild_budget_projects"] = len(b.selected)
    return k


def _area_sums(result: PlanResult, codes: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Sum the per-desa summary and minimum-needs rows over the desa of the focus area."""
    e = result.exposure
    if e is None or e.aggregation_summary is None:
        return {}, {}
    agg = pd.DataFrame(e.aggregation_summary).drop(columns="geometry", errors="ignore")
    rows = agg[agg["admin_code"].astype(str).isin(codes)]
    sums = {c: float(rows[c].sum()) for c in rows.columns
            if c not in ("admin_code", "admin_name", "parent_code")
            and pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c])}
    needs: dict[str, float] = {}
    if e.needs is not None:
        nd = pd.DataFrame(e.needs)
        nd = nd[nd["admin_code"].astype(str).isin(codes)]
        needs = {c: float(nd[c].sum()) for c in nd.columns if c != "admin_code"}
    return sums, needs


def console_lines(result: PlanResult, summary: dict[str, Any] | None = None) -> list[str]:
    """Return the few lines the command line prints after a run (the same figures as the report).

    The impact line gives the key figures of the focus area, named; one line per
    kecamatan with people affected follows.
    """
    summary = summary if summary is not None else plan_summary(result)
    lines = []
    if result.calibration is not None:
        c = result.calibration
        lines.append(
            f"hazard: DEM zones fitted to the 2020 footprint: CSI {c.csi:.2f}, "
            f"hit rate {c.pod:.2f}, false-alarm ratio {c.far:.2f} "
            f"(stage {c.stage_m:g} m above drainage, streams >= {c.min_drain_area_km2:g} km²)"
        )
    if result.terrain is not None:
        cover = study_area_coverage(result.terrain, result.scenario.boundary)
        if cover < 0.999:
            lines.append(
                f"note: the DEM covers {cover:.0%} of the study area; DEM-derived hazard zones "
                "exist only there"
            )
    if result.hazard is not None:
        areas = result.hazard.area_by_class_m2()
        lines.append(
            "hazard zones, whole study area (km²): "
            + ", ".join(f"{k} {v / 1e6:,.2f}" for k, v in areas.items() if v > 0)
        )
    kf = summary["key_figures"]
    area = kf["area"]
    where = ("the whole study area" if area["level"] == "study_area"
             else f"{area['level']} {area['name']}")
    figures = [
        (label, kf.get(key))
        for label, key in (
            ("buildings affected", "buildings_affected"),
            ("people affected", "people_affected"),
            ("displaced", "people_displaced"),
            ("roads affected (km)", "roads_affected_km"),
            ("health facilities affected", "health_facilities_affected"),
        )
        if key in kf
    ]
    if figures:
        lines.append(f"impact, {where}: " + ", ".join(f"{lb} {_fmt(v)}" for lb, v in figures))
    for r in summary.get("impact_by_kecamatan", []):
        if r.get("people_affected"):
            lines.append(
                f"  kecamatan {r['admin_name']}: people affected {_fmt(r['people_affected'])}, "
                f"displaced {_fmt(r.get('people_displaced'))}"
            )
    if "villages_cut_off_from_health_care" in kf:
        names = kf["villages_cut_off_from_health_care"]
        lines.append(
            f"villages cut off from health care by the flood, {where}: {len(names)}"
            + (f" ({', '.join(names)})" if names else "")
        )
    for key, what in (("shelters", "shelters"), ("health_posts", "health posts")):
        if f"{key}_recommended" in kf:
            lines.append(
                f"{what}: {kf[f'{key}_recommended']} recommended; "
                f"{_fmt(kf[f'{key}_people_within_limit'])} people within the time limit, "
                f"{_fmt(kf[f'{key}_people_unreachable'])} with no open road to any site "
                f"(certified gap {kf[f'{key}_gap']:.1%})"
            )
    if "water_level_gauges_recommended" in kf:
        lines.append(
            f"flood sensors: {kf['water_level_gauges_recommended']} water-level and "
            f"{kf['rain_gauges_recommended']} rain gauges; expected people warned in time per "
            f"flash flood {_fmt(kf['people_warned_in_time_expected'])} "
            f"(certified gap {kf['sensor_gap']:.1%})"
        )
    if "top_rebuild_priorities" in kf:
        lines.append("rebuild first: " + "; ".join(kf["top_rebuild_priorities"]))
        if kf.get("rebuild_budget_projects") is not None:
            lines.append(f"a budget of Rp {kf['rebuild_budget_idr'] / 1e9:,.0f} billion buys "
                         f"{kf['rebuild_budget_projects']} projects (see the report)")
    return lines


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{v:,.0f}" if isinstance(v, (int, float)) else str(v)


def _hazard_summary(result: PlanResult) -> dict[str, Any]:
    assert result.hazard is not None
    out: dict[str, Any] = {
        "zones": result.hazard.to_dict(),
        "class_set": result.hazard.class_set.name,
        # the class set's own labels and colours: the report's swatches use them
        "classes": [
            {"key": c.key, "label_id": c.label_id, "label_en": c.label_en, "colour": c.colour}
            for c in sorted(result.hazard.class_set.classes, key=lambda c: -c.rank)
        ],
    }
    if result.calibration is not None:
        out["calibration"] = result.calibration.to_dict()
    if result.observed is not None:
        out["observed_2020"] = result.observed.to_dict()
    if result.dem_hazard is not None:
        out["dem_derived"] = result.dem_hazard.to_dict()
    if result.terrain is not None:
        out["dem_covers_frac_of_study_area"] = round(
            study_area_coverage(result.terrain, result.scenario.boundary), 4
        )
    if result.streams is not None:
        out["streams"] = {
            "count": len(result.streams),
            "length_km": round(float(result.streams["length_m"].sum()) / 1000, 2),
            "threshold_km2": result.config.stream_threshold_km2,
        }
    return out
