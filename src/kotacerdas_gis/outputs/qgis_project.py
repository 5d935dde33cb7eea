"""A QGIS 3 project (``project.qgz``) beside ``plan.gpkg``, written without QGIS.

:func:`write_qgis_project` generates the project XML (``.qgs``, as QGIS 3.22 writes it)
and zips it into a ``.qgz``:

- every spatial layer of the GeoPackage, by a path **relative** to the project
  (``./plan.gpkg|layername=NAME``), so the folder can be moved or sent as a whole;
- the top 20 rebuild priorities and the new service points shown (:data:`SUBSETS`, filters
  the user can remove), as on the web map;
- layers in groups and in the order of the web map (``Batas``, ``Bahaya``,
  ``Keterpaparan``, ``Akses``, ``Rekomendasi``; areas at the bottom, points on top),
  the dense ones switched off;
- the default styles of :func:`~kotacerdas_gis.outputs.qgis.qml_for_layer` (the same
  palette as the web map and the GeoPackage's ``layer_styles``);
- labels: kecamatan and desa names, river names, facility names, sensor and service-point
  ids, with a white halo;
- a print layout ("Peta A3" / "A3 map"): A3 landscape map of the hazard zones' extent with
  a title, legend (the key layers), scale bar in km, north arrow and a data note, ready for
  *Layout > Export as PDF/Image* or ``QgsLayoutExporter``.

Data text (layer titles from the styles, the title and note) is XML-escaped by
:mod:`xml.etree.ElementTree`; QGIS shows it as text (labels are not HTML).

Examples
--------
>>> import tempfile, pathlib, zipfile
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> zones = gpd.GeoDataFrame({"hazard_class": ["high"]}, geometry=[box(0, 0, 10, 10)],
...                          crs="EPSG:32751")
>>> p = write_qgis_project({"hazard_zones": zones}, d / "plan.gpkg", d / "project.qgz",
...                        title="Masamba")
>>> names = zipfile.ZipFile(p).namelist()
>>> names
['project.qgs']
>>> qgs = zipfile.ZipFile(p).read("project.qgs").decode()
>>> "./plan.gpkg|layername=hazard_zones" in qgs and 'name="Bahaya"' in qgs
True
"""

from __future__ import annotations

import os
import uuid
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from ..io.atomic import atomic_path, check_data_path
from . import styles as _styles
from .qgis import QGIS_VERSION, _symbol_type, qml_for_layer
from .styles import Lang, check_lang, hidden_layers, layer_style

__all__ = ["write_qgis_project", "project_xml", "LABEL_FIELDS", "LEGEND_LAYERS", "SUBSETS"]

#: Labelled layers: ``{layer: (field, size pt, bold, placement, max scale denominator)}``;
#: QGIS placements: 0 around point, 1 over point, 3 curved along a line; labels show at
#: that scale or closer (0: always).
LABEL_FIELDS: dict[str, tuple[str, float, bool, int, int]] = {
    "admin_kecamatan": ("admin_name", 11.0, True, 1, 0),
    "admin_desa": ("admin_name", 8.0, False, 1, 0),
    "rivers": ("name", 8.0, False, 3, 0),
    "facilities": ("name", 7.0, False, 0, 60_000),
    "sensor_sites": ("site_id", 7.5, True, 0, 0),
}
#: Filters applied in the project, as on the web map (QGIS: *Layer > Filter*, removable):
#: the top rebuild priorities only, and the new service points (the open facilities kept as
#: sites are the facilities layer already).
SUBSETS: dict[str, str] = {
    "rebuild_priorities": '"rank" <= 20',
    "service_points": '"existing" = 0',
}
#: Layers in the print layout's legend (the others stay in the project).
LEGEND_LAYERS = ("hazard_zones", "rivers", "admin_kecamatan",
                 "service_points", "sensor_sites", "rebuild_priorities")
#: Layers switched off when the project opens (owner: ``LayerStyle.hidden_in``, styles.py).
HIDDEN = hidden_layers("project")

_A3 = (420.0, 297.0)
_MAP_BOX = (10.0, 24.0, 305.0, 258.0)  # x, y, width, height (mm)
_WKB = {"Point": "Point", "MultiPoint": "MultiPoint", "LineString": "LineString",
        "MultiLineString": "MultiLineString", "Polygon": "Polygon",
        "MultiPolygon": "MultiPolygon"}
_GEOM = {"marker": "Point", "line": "Line", "fill": "Polygon"}


def _has_columns(gdf: gpd.GeoDataFrame, name: str) -> bool:
    """Whether the layer has the columns its :data:`SUBSETS` filter reads."""
    wanted = [w.strip('"') for w in SUBSETS[name].split() if w.startswith('"')]
    return all(c in gdf.columns for c in wanted)


def _groups() -> dict[str, tuple[str, str]]:
    return dict(_styles.MAP_GROUPS)


def _placement(name: str) -> tuple[str, int]:
    """Group and drawing order (higher on top) of a layer, as on the web map."""
    st = layer_style(name)
    return st.group, st.z


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el


def _srs(parent: ET.Element, crs: CRS) -> None:
    s = _sub(parent, "spatialrefsys")
    _sub(s, "wkt", crs.to_wkt())
    with warnings.catch_warnings():  # "you will likely lose information": the WKT is kept
        warnings.simplefilter("ignore", UserWarning)
        _sub(s, "proj4", crs.to_proj4())
    epsg = crs.to_epsg()
    if epsg:
        _sub(s, "srid", str(epsg))
        _sub(s, "authid", f"EPSG:{epsg}")
    _sub(s, "description", crs.name)
    _sub(s, "geographicflag", "true" if crs.is_geographic else "false")


def _extent(parent: ET.Element, bounds: Sequence[float], tag: str = "extent") -> None:
    e = _sub(parent, tag)
    for k, v in zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True):
        _sub(e, k, repr(float(v)))


def _rgba(c: str) -> str:
    return ",".join(str(v) for v in _styles.hex_to_rgba(c, 1.0))


def _labeling(parent: ET.Element, field: str, size: float, bold: bool, placement: int,
              max_scale: int, layer_type: str) -> None:
    lab = _sub(parent, "labeling", type_="simple")
    st = _sub(lab, "settings", calloutType="simple")
    ts = _sub(st, "text-style", fieldName=field, isExpression="0", fontFamily="DejaVu Sans",
              fontSize=f"{size:g}", fontSizeUnit="Point", fontWeight="75" if bold else "50",
              fontItalic="0", textColor="35,35,35,255", textOpacity="1", namedStyle="",
              capitalization="0", allowHtml="0", multilineHeight="1", blendMode="0",
              useSubstitutions="0", previewBkgrdColor="255,255,255,255")
    _sub(ts, "families")
    _sub(ts, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
         bufferColor="255,255,255,255", bufferOpacity="0.9", bufferNoFill="1",
         bufferJoinStyle="128", bufferBlendMode="0")
    _sub(ts, "background", shapeDraw="0")
    _sub(ts, "shadow", shadowDraw="0")
    _sub(ts, "substitutions")
    _sub(st, "text-format", wrapChar="", autoWrapLength="0", multilineAlign="3",
         formatNumbers="0", decimals="3", plussign="0")
    _sub(st, "placement", placement=str(placement), placementFlags="10", dist="1",
         distUnits="MM", offsetType="0", quadOffset="4", priority="5",
         polygonPlacementFlags="2", layerType=layer_type, centroidInside="1",
         centroidWhole="0", fitInPolygonOnly="0", repeatDistance="0",
         maxCurvedCharAngleIn="25", maxCurvedCharAngleOut="-25", lineAnchorPercent="0.5")
    _sub(st, "rendering", drawLabels="1", obstacle="1", obstacleFactor="1", obstacleType="1",
         displayAll="0", mergeLines="1" if placement == 3 else "0",
         scaleVisibility="1" if max_scale else "0", scaleMax=str(max_scale), scaleMin="0",
         upsidedownLabels="0", labelPerPart="0", limitNumLabels="0", maxNumLabels="2000",
         minFeatureSize="0", zIndex="0", fontLimitPixelSize="0", fontMinPixelSize="3",
         fontMaxPixelSize="10000", unplacedVisibility="0")


def _layer_id(name: str) -> str:
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'kotacerdas_gis/' + name).hex[:12]}"


def _legend_item(layout: ET.Element, lang: Lang, ordered: Sequence[tuple[str, str]],
                 ids: Mapping[str, str], map_uuid: str, sources: Mapping[str, str]) -> None:
    x = _MAP_BOX[0] + _MAP_BOX[2] + 6
    leg = _item(layout, "65642", "legend", x, _MAP_BOX[1], _A3[0] - x - 8, 0, z=3,
                title="Legenda" if lang == "id" else "Legend", map_uuid=map_uuid,
                resizeToContents="1", columnCount="1", symbolWidth="7", symbolHeight="4",
                wrapChar="", boxSpace="2", columnSpace="2", titleAlignment="1",
                splitLayer="0", equalColumnWidth="0", fontColor="#000000", background="true")
    tree = _sub(leg, "layer-tree")
    _sub(tree, "customproperties")
    for name, title in ordered:
        if name not in LEGEND_LAYERS:
            continue
        _sub(tree, "layer-tree-layer", id=ids[name], name=title, source=sources[name],
             providerKey="ogr", checked="Qt::Checked", expanded="1", legend_exp="",
             patch_size="-1,-1", legend_split_behavior="0")
    styles = _sub(leg, "styles")
    for sname, size, weight in (("title", 14, 75), ("group", 11, 75), ("subgroup", 10, 50),
                                ("symbol", 9, 50), ("symbolLabel", 9, 50)):
        s = _sub(styles, "style", name=sname, alignment="1", marginTop="2", indent="0",
                 marginLeft="2" if sname == "symbolLabel" else "0")
        _sub(s, "styleFont", description=f"DejaVu Sans,{size},-1,5,{weight},0,0,0,0,0",
             style="")


def _item(layout: ET.Element, type_: str, item_id: str, x: float, y: float, w: float,
          h: float, *, z: int, background: str = "false", **attrib: str) -> ET.Element:
    uid = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "kotacerdas_gis/layout/" + item_id)) + "}"
    el = _sub(layout, "LayoutItem", type_=type_, id=item_id, uuid=uid, templateUuid=uid,
              position=f"{x:g},{y:g},mm", positionOnPage=f"{x:g},{y:g},mm",
              size=f"{w:g},{h:g},mm", zValue=str(z), referencePoint="0", frame="false",
              background=background, visibility="1", positionLock="false", opacity="1",
              blendMode="0", itemRotation="0", groupUuid="", excludeFromExports="0",
              outlineWidthM="0.3,mm", frameJoinStyle="miter", **attrib)
    _sub(el, "FrameColor", red="0", green="0", blue="0", alpha="255")
    _sub(el, "BackgroundColor", red="255", green="255", blue="255", alpha="255")
    obj = _sub(el, "LayoutObject")
    _sub(obj, "dataDefinedProperties")
    _sub(obj, "customproperties")
    return el


def _label_item(layout: ET.Element, item_id: str, text: str, x: float, y: float, w: float,
                h: float, size: int, bold: bool = False, z: int = 2) -> None:
    el = _item(layout, "65641", item_id, x, y, w, h, z=z, labelText=text, htmlState="0",
               halign="1", valign="32", marginX="0", marginY="0")
    _sub(el, "LabelFont", description=f"DejaVu Sans,{size},-1,5,{75 if bold else 50},0,0,0,0,0",
         style="")
    _sub(el, "FontColor", red="0", green="0", blue="0", alpha="255")


def _fit(bounds: Sequence[float], w_mm: float, h_mm: float, pad: float = 0.05
         ) -> tuple[float, float, float, float]:
    """Grow a box to the map frame's aspect ratio (and a margin), around its centre."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = max(x1 - x0, 100.0) * (1 + 2 * pad), max(y1 - y0, 100.0) * (1 + 2 * pad)
    if dx / dy < w_mm / h_mm:
        dx = dy * w_mm / h_mm
    else:
        dy = dx * h_mm / w_mm
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _scale_units(extent: Sequence[float], w_mm: float) -> tuple[float, int]:
    """Choose km per scale-bar segment so that 4 segments span about a fifth of the map."""
    km_per_mm = (extent[2] - extent[0]) / 1000 / w_mm
    target = km_per_mm * w_mm / 5 / 4
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if step >= target:
            return float(step), 4
    return 100.0, 4


def project_xml(
    layers: Mapping[str, gpd.GeoDataFrame],
    gpkg_source: str,
    *,
    title: str,
    lang: Lang = "id",
    class_colours: Mapping[str, Mapping[str, str]] | None = None,
    note: str | None = None,
    hidden: Sequence[str] = HIDDEN,
    focus: Sequence[str] = ("hazard_zones", "observed_flood_2020", "admin_desa"),
) -> str:
    """Build the ``.qgs`` XML of a project over the GeoPackage's spatial layers.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The spatial layers written to the GeoPackage (names are its layer names), one CRS.
    gpkg_source : str
        The GeoPackage's path relative to the project file, e.g. ``"./plan.gpkg"``.
    title : str
        Project and print-layout title.
    lang : {"id", "en"}
        Language of layer, group and legend titles.
    class_colours : mapping, optional
        ``{layer: {class: "#RRGGBB"}}`` (the run's hazard class colours).
    note : str, optional
        Data note of the print layout (e.g. "demonstration data, not official").
    hidden : sequence of str
        Layers switched off when the project opens.
    focus : sequence of str
        The first of these layers present sets the map's and the layout's extent.

    Returns
    -------
    str
        The project document, with QGIS's DOCTYPE line.
    """
    check_lang(lang)
    spatial = {k: v for k, v in layers.items()
               if isinstance(v, gpd.GeoDataFrame) and v.crs is not None}
    if not spatial:
        raise ValueError("project_xml: no spatial layer with a CRS to put in the project.")
    crs = CRS.from_user_input(next(iter(spatial.values())).crs)
    groups = _groups()
    placed = sorted(spatial, key=lambda n: (list(groups).index(_placement(n)[0])
                                            if _placement(n)[0] in groups else 99,
                                            -_placement(n)[1]))
    ids = {n: _layer_id(n) for n in placed}
    titles = {n: layer_style(n).title(lang) if layer_style(n).title_id else n for n in placed}
    sources = {n: f"{gpkg_source}|layername={n}"
               + (f"|subset={SUBSETS[n]}" if n in SUBSETS and _has_columns(spatial[n], n) else "")
               for n in placed}
    focus_layer = next((spatial[n] for n in focus if n in spatial and len(spatial[n])), None)
    if focus_layer is None:
        focus_layer = next(iter(spatial.values()))
    bounds = focus_layer.total_bounds if len(focus_layer) else (0, 0, 1000, 1000)

    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    _sub(root, "homePath", path="")
    _sub(root, "title", title)
    _sub(root, "autotransaction", active="0")
    _sub(root, "evaluateDefaultValues", active="0")
    _sub(root, "trust", active="0")
    _srs(_sub(root, "projectCrs"), crs)

    tree = _sub(root, "layer-tree-group")
    _sub(tree, "customproperties")
    for key, (gid, gen) in groups.items():
        members = [n for n in placed if _placement(n)[0] == key]
        if not members:
            continue
        g = _sub(tree, "layer-tree-group", name=gid if lang == "id" else gen,
                 checked="Qt::Checked", expanded="1")
        _sub(g, "customproperties")
        for n in members:
            _sub(g, "layer-tree-layer", id=ids[n], name=titles[n], source=sources[n],
                 providerKey="ogr", checked="Qt::Unchecked" if n in hidden else "Qt::Checked",
                 expanded="0" if n in hidden else "1", legend_exp="", patch_size="-1,-1",
                 legend_split_behavior="0")
    order = _sub(tree, "custom-order", enabled="0")
    for n in placed:
        _sub(order, "item", ids[n])

    canvas = _sub(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    _sub(canvas, "units", "meters" if not crs.is_geographic else "degrees")
    _extent(canvas, _fit(bounds, 4, 3))
    _sub(canvas, "rotation", "0")
    _srs(_sub(canvas, "destinationsrs"), crs)

    projectlayers = _sub(root, "projectlayers")
    for n in placed:
        gdf = spatial[n]
        kind = _symbol_type(n, gdf)
        types = [str(t) for t in gdf.geometry.geom_type.dropna().unique()]
        wkb = _WKB.get(types[0], _GEOM[kind]) if len(types) == 1 else (
            {"fill": "MultiPolygon", "line": "MultiLineString", "marker": "MultiPoint"}[kind])
        label = LABEL_FIELDS.get(n)
        has_label = label is not None and label[0] in gdf.columns
        ml = _sub(projectlayers, "maplayer", type_="vector", geometry=_GEOM[kind], wkbType=wkb,
                  labelsEnabled="1" if has_label else "0", readOnly="0",
                  hasScaleBasedVisibilityFlag="0", minScale="100000000", maxScale="0",
                  simplifyDrawingHints="1", simplifyLocal="1", simplifyDrawingTol="1",
                  simplifyMaxScale="1", simplifyAlgorithm="0", styleCategories="AllStyleCategories")
        _extent(ml, gdf.total_bounds if len(gdf) else (0, 0, 0, 0))
        _sub(ml, "id", ids[n])
        _sub(ml, "datasource", sources[n])
        _sub(ml, "layername", titles[n])
        _srs(_sub(ml, "srs"), crs)
        _sub(ml, "provider", "ogr", encoding="UTF-8")
        style = ET.fromstring(qml_for_layer(n, gdf, lang=lang,
                                            class_colours=(class_colours or {}).get(n)))
        for child in style:
            if child.tag in ("renderer-v2", "blendMode", "featureBlendMode"):
                ml.append(child)
        _sub(ml, "layerOpacity", "1")
        if has_label:
            assert label is not None
            _labeling(ml, label[0], label[1], label[2], label[3], label[4],
                      {"fill": "PolygonGeometry", "line": "LineGeometry",
                       "marker": "PointGeometry"}[kind])
        _sub(ml, "previewExpression", f'"{label[0]}"' if has_label and label else "")
        _sub(ml, "layerGeometryType", {"marker": "0", "line": "1", "fill": "2"}[kind])

    lo = _sub(root, "layerorder")
    for n in placed:
        _sub(lo, "layer", id=ids[n])

    props = _sub(root, "properties")
    paths = _sub(props, "Paths")
    _sub(paths, "Absolute", "false", type_="bool")
    srs = _sub(props, "SpatialRefSys")  # QGIS reads <projectCrs> only when this is set
    _sub(srs, "ProjectionsEnabled", "1", type_="int")

    _layout(root, title, lang, note, crs, bounds, placed, titles, ids, sources)
    ET.indent(root, space="  ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def _layout(root: ET.Element, title: str, lang: Lang, note: str | None, crs: CRS,
            bounds: Sequence[float], placed: Sequence[str], titles: Mapping[str, str],
            ids: Mapping[str, str], sources: Mapping[str, str]) -> None:
    layouts = _sub(root, "Layouts")
    layout = _sub(layouts, "Layout", name="Peta A3" if lang == "id" else "A3 map",
                  units="mm", printResolution="300", worldFileMap="")
    pages = _sub(layout, "PageCollection")
    _item(pages, "65638", "page", 0, 0, _A3[0], _A3[1], z=0, background="true")
    _sub(pages, "GuideCollection", visible="1")
    x, y, w, h = _MAP_BOX
    extent = _fit(bounds, w, h)
    map_el = _item(layout, "65639", "map", x, y, w, h, z=1, background="true",
                   mapRotation="0", keepLayerSet="false", drawCanvasItems="true",
                   mapFlags="0", labelMargin="0,mm", followPreset="false",
                   followPresetName="", isTemporal="0")
    map_el.set("frame", "true")
    map_uuid = map_el.get("uuid", "")
    _sub(map_el, "Extent", xmin=repr(extent[0]), ymin=repr(extent[1]), xmax=repr(extent[2]),
         ymax=repr(extent[3]))
    _srs(_sub(map_el, "crs"), crs)
    _sub(map_el, "LayerSet")
    _sub(map_el, "AtlasMap", atlasDriven="0", scalingMode="2", margin="0.1")
    _label_item(layout, "title", title, x, 7, w, 12, 20, bold=True)
    sub = ("Peta risiko banjir dan rekomendasi" if lang == "id"
           else "Flood risk and recommendations")
    _label_item(layout, "subtitle", sub, x, 17, w, 6, 11)
    ordered = [(n, titles[n]) for n in placed]
    _legend_item(layout, lang, ordered, ids, map_uuid, sources)
    step, n_seg = _scale_units(extent, w)
    sb = _item(layout, "65646", "scalebar", x + 4, y + h - 16, 80, 12, z=4,
               style="Single Box", unitType="km", unitLabel="km",
               numUnitsPerSegment=f"{step:g}", numSegments=str(n_seg), numSegmentsLeft="0",
               numSubdivisions="1", subdivisionsHeight="1.5", numMapUnitsPerScaleBarUnit="1",
               segmentSizeMode="0", height="2", labelBarSpace="2", boxContentSpace="1",
               alignment="0", mapUuid=map_uuid, background="true", minBarWidth="50",
               maxBarWidth="150", outlineWidth="0.3", lineJoinStyle="miter",
               lineCapStyle="square", labelVerticalPlacement="0", labelHorizontalPlacement="0")
    ts = _sub(sb, "text-style", fontFamily="DejaVu Sans", fontSize="9", fontSizeUnit="Point",
              fontWeight="50", textColor="0,0,0,255", textOpacity="1")
    _sub(ts, "text-buffer", bufferDraw="0")
    _item(layout, "65640", "north_arrow", x + w - 18, y + 4, 14, 14, z=5,
          file=":/images/north_arrows/layout_default_north_arrow.svg", mode="2",
          resizeMode="0", anchorPoint="0", pictureRotation="0", pictureWidth="14",
          pictureHeight="14", mapUuid=map_uuid, northMode="0", northOffset="0",
          svgFillColor="255,255,255,255", svgBorderColor="0,0,0,255", svgBorderWidth="0.2")
    epsg = crs.to_epsg()
    data_note = [
        (f"Sumber: plan.gpkg (kotacerdas_gis). Sistem koordinat: {crs.name}"
         if lang == "id" else f"Source: plan.gpkg (kotacerdas_gis). CRS: {crs.name}")
        + (f" (EPSG:{epsg})." if epsg else "."),
    ]
    if note:
        data_note.insert(0, note)
    lx = x + w + 6
    _label_item(layout, "data_note", "\n".join(data_note), lx, _A3[1] - 40, _A3[0] - lx - 8,
                32, 8)
    _sub(layout, "Atlas", enabled="0", coverageLayer="", hideCoverage="0",
         filenamePattern="'output_'||@atlas_featurenumber", filterFeatures="0",
         pageNameExpression="", sortFeatures="0")


def write_qgis_project(
    layers: Mapping[str, gpd.GeoDataFrame],
    gpkg_path: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    title: str,
    lang: Lang = "id",
    class_colours: Mapping[str, Mapping[str, str]] | None = None,
    note: str | None = None,
    hidden: Sequence[str] = HIDDEN,
) -> Path:
    """Write ``project.qgz`` (zipped ``.qgs``) over the layers of a GeoPackage, atomically.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The spatial layers of ``gpkg_path`` (by layer name), in one CRS.
    gpkg_path : path-like
        The GeoPackage the project points at (need not exist yet); the project stores
        its path relative to the project's folder.
    path : path-like
        Destination ``.qgz``.
    title, lang, class_colours, note, hidden
        See :func:`project_xml`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    check_data_path(layers, path, Mapping)
    dest = Path(path)
    rel = os.path.relpath(Path(gpkg_path).resolve(), dest.resolve().parent).replace(os.sep, "/")
    source = rel if rel.startswith(".") else f"./{rel}"
    xml = project_xml(layers, source, title=title, lang=lang, class_colours=class_colours,
                      note=note, hidden=hidden)
    with atomic_path(dest) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            info = zipfile.ZipInfo(dest.with_suffix(".qgs").name, date_time=(2020, 7, 13, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, xml.encode("utf-8"))
    return dest
