"""QGIS 3 QML styles for the GeoPackage layers, from the palette shared with the web map.

:func:`qml_for_layer` writes a QML document (QGIS's ``<qgis>`` style XML) for
one layer: a ``categorizedSymbol`` renderer on the layer's class column
(``hazard_class`` for hazard zones, ``exposure_class`` for buildings,
impact buildings and facilities, ``road_class`` for roads, ``material`` for
the observed 2020 flood), a single symbol otherwise (outlines for admin
units, blue lines for rivers and streams, circle markers for points). Colours,
widths and labels come from :mod:`kotacerdas_gis.outputs.styles` via
:func:`~kotacerdas_gis.outputs.styles.resolve_classes`, so QGIS and the web map
agree. Categories list the classes present, plus an "all other values"
category (an empty value) in grey.

Symbol-layer properties are written both as ``<Option type="Map">`` and as
legacy ``<prop k= v=>`` elements, as QGIS 3.22 itself writes them, so that
3.22 and later read them. Widths are converted from screen pixels to
millimetres (1 px = 0.26 mm). The documents go into the GeoPackage's
``layer_styles`` table through :func:`kotacerdas_gis.io.gpkg.write_geopackage`.

Examples
--------
>>> import geopandas as gpd
>>> import xml.etree.ElementTree as ET
>>> from shapely.geometry import box
>>> zones = gpd.GeoDataFrame({"hazard_class": ["high", "low"]},
...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs="EPSG:32751")
>>> root = ET.fromstring(qml_for_layer("hazard_zones", zones, lang="en"))
>>> root.find("renderer-v2").get("type"), root.find("renderer-v2").get("attr")
('categorizedSymbol', 'hazard_class')
>>> [c.get("label") for c in root.iter("category")]
['High', 'Low', 'Other values']
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import geopandas as gpd

from ..errors import SchemaError
from ..io.atomic import write_text_atomic
from ..io.gpkg import CONTRACT_GEOMETRY_TYPES
from .styles import (
    UNCLASSIFIED_COLOUR,
    Lang,
    LayerStyle,
    LegendEntry,
    check_lang,
    hex_to_rgba,
    layer_style,
    resolve_classes,
)

__all__ = ["qml_for_layer", "qml_styles", "write_qml", "QGIS_VERSION", "MM_PER_PX"]

#: The QGIS version written in the QML header (the client's: Debian 12's QGIS).
QGIS_VERSION = "3.22.16-Białowieża"
#: Millimetres per screen pixel at 96 dpi, rounded as QGIS's defaults are (0.26 mm).
MM_PER_PX = 0.26

SymbolType = Literal["fill", "line", "marker"]
_GEOMETRY_TYPE_CODE = {"marker": "0", "line": "1", "fill": "2"}


def _symbol_type(name: str, gdf: pd.DataFrame) -> SymbolType:
    types: list[str] = []
    if isinstance(gdf, gpd.GeoDataFrame):
        types = [str(t) for t in gdf.geometry.geom_type.dropna().unique()]
    if not types and name in CONTRACT_GEOMETRY_TYPES:
        types = [CONTRACT_GEOMETRY_TYPES[name]]
    if any(t.endswith("Polygon") for t in types):
        return "fill"
    if any(t.endswith("LineString") for t in types):
        return "line"
    if any(t.endswith("Point") for t in types):
        return "marker"
    return "fill"


def _rgba(colour: str, alpha: float = 1.0) -> str:
    return ",".join(str(v) for v in hex_to_rgba(colour, alpha))


def _mm(px: float) -> str:
    return f"{px * MM_PER_PX:.2f}".rstrip("0").rstrip(".") or "0"


def _ddp(parent: ET.Element) -> None:
    """Return an empty ``data_defined_properties`` block, as QGIS writes it."""
    ddp = ET.SubElement(parent, "data_defined_properties")
    opt = ET.SubElement(ddp, "Option", type="Map")
    ET.SubElement(opt, "Option", type="QString", name="name", value="")
    ET.SubElement(opt, "Option", name="properties")
    ET.SubElement(opt, "Option", type="QString", name="type", value="collection")


def _symbol_props(
    kind: SymbolType, style: LayerStyle, entry: LegendEntry
) -> tuple[str, dict[str, str]]:
    dash = "dash" if style.dash else "solid"
    if kind == "line":
        return "SimpleLine", {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": _rgba(entry.colour),
            "line_style": dash,
            "line_width": _mm(entry.weight_px),
            "line_width_unit": "MM",
            "offset": "0",
            "offset_unit": "MM",
            "use_custom_dash": "0",
        }
    filled = style.fill_opacity > 0
    if kind == "marker":
        return "SimpleMarker", {
            "angle": "0",
            "color": _rgba(entry.colour, style.fill_opacity if filled else 1.0),
            "horizontal_anchor_point": "1",
            "joinstyle": "bevel",
            "name": "circle",
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": _rgba(style.outline),
            "outline_style": "solid",
            "outline_width": _mm(style.weight_px),
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": _mm(2 * style.radius_px),
            "size_unit": "MM",
            "vertical_anchor_point": "1",
        }
    # hazard classes: outlined in their own colour, so that thousands of small zones keep
    # their swatch at a regency's scale instead of turning into a mesh of dark outlines
    own = filled and style.class_column == "hazard_class"
    return "SimpleFill", {
        "color": _rgba(entry.colour, style.fill_opacity if filled else 0.0),
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_unit": "MM",
        "outline_color": _rgba(entry.colour if own or not filled else style.outline,
                               style.fill_opacity if own else 1.0),
        "outline_style": dash,
        "outline_width": _mm(style.weight_px if filled else max(style.weight_px, 1.0)),
        "outline_width_unit": "MM",
        "style": "solid" if filled else "no",
    }


def _symbol(
    parent: ET.Element, name: str, kind: SymbolType, style: LayerStyle, entry: LegendEntry
) -> None:
    sym = ET.SubElement(
        parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    _ddp(sym)
    cls, props = _symbol_props(kind, style, entry)
    lyr = ET.SubElement(
        sym, "layer", attrib={"class": cls, "pass": "0", "locked": "0", "enabled": "1"}
    )
    opt = ET.SubElement(lyr, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opt, "Option", type="QString", name=k, value=v)
    for k, v in props.items():
        ET.SubElement(lyr, "prop", k=k, v=v)
    _ddp(lyr)


def _category_value(value: Any) -> tuple[str, str]:
    """QML value and type of a class value."""
    if isinstance(value, bool):
        return ("1" if value else "0"), "bool"
    if isinstance(value, int):
        return str(value), "integer"
    if isinstance(value, float):
        return repr(value), "double"
    return str(value), "string"


def qml_for_layer(
    name: str,
    gdf: pd.DataFrame,
    *,
    lang: Lang = "id",
    class_colours: Mapping[str, str] | None = None,
) -> str:
    """Build a QGIS 3 QML style for one layer, with the shared palette and labels in ``lang``.

    Parameters
    ----------
    name : str
        Layer name of the output contract (``hazard_zones``, ``buildings``, ``roads`` ...);
        unknown names get the neutral default style.
    gdf : GeoDataFrame
        The layer (its geometry type and the classes present are read; any CRS). An empty
        layer gets the contract's geometry type.
    lang : {"id", "en"}, default "id"
        Language of the category labels.
    class_colours : mapping of str to str, optional
        ``{class value: "#RRGGBB"}`` overrides (e.g. a custom hazard class set).

    Returns
    -------
    str
        The QML document (XML, with QGIS's DOCTYPE line).

    Raises
    ------
    SchemaError
        If ``gdf`` is not a GeoDataFrame (attribute tables have no symbology).
    ValueError
        If ``lang`` is not supported.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> rivers = gpd.GeoDataFrame({"name": ["Masamba"]},
    ...     geometry=[LineString([(0, 0), (100, 0)])], crs="EPSG:32751")
    >>> qml = qml_for_layer("rivers", rivers)
    >>> 'type="singleSymbol"' in qml and '43,140,190,255' in qml
    True
    """
    check_lang(lang)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"{name}: expected a GeoDataFrame, found {type(gdf).__name__}; attribute "
            "tables have no QGIS symbology."
        )
    style = layer_style(name)
    kind = _symbol_type(name, gdf)
    entries = resolve_classes(style, gdf, lang=lang, class_colours=class_colours)

    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    classified = style.class_column is not None and style.class_column in gdf.columns
    if classified:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            type="categorizedSymbol",
            attr=str(style.class_column),
            forceraster="0",
            symbollevels="0",
            enableorderby="0",
            referencescale="-1",
        )
        cats = ET.SubElement(renderer, "categories")
        symbols = ET.SubElement(renderer, "symbols")
        i = 0
        for e in entries:
            if e.value is None:
                continue
            value, vtype = _category_value(e.value.item() if hasattr(e.value, "item") else e.value)
            ET.SubElement(
                cats,
                "category",
                render="true",
                symbol=str(i),
                value=value,
                label=e.label,
                type=vtype,
            )
            _symbol(symbols, str(i), kind, style, e)
            i += 1
        other = LegendEntry(
            None,
            "Nilai lainnya" if lang == "id" else "Other values",
            UNCLASSIFIED_COLOUR,
            style.weight_px,
            0,
        )
        ET.SubElement(
            cats,
            "category",
            render="true",
            symbol=str(i),
            value="",
            label=other.label,
            type="string",
        )
        _symbol(symbols, str(i), kind, style, other)
        source = ET.SubElement(renderer, "source-symbol")
        _symbol(source, "0", kind, style, other)
        ET.SubElement(renderer, "rotation")
        ET.SubElement(renderer, "sizescale")
    else:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            type="singleSymbol",
            forceraster="0",
            symbollevels="0",
            enableorderby="0",
            referencescale="-1",
        )
        symbols = ET.SubElement(renderer, "symbols")
        _symbol(symbols, "0", kind, style, entries[0])
        ET.SubElement(renderer, "rotation")
        ET.SubElement(renderer, "sizescale")
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_TYPE_CODE[kind]
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def qml_styles(
    layers: Mapping[str, pd.DataFrame],
    *,
    lang: Lang = "id",
    class_colours: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """QML styles for every spatial layer of a mapping (attribute tables are skipped).

    The result is ready for ``write_geopackage(layers, path, styles=...)``.

    Examples
    --------
    >>> import pandas as pd, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:32751")
    >>> sorted(qml_styles({"facilities": pts, "summary": pd.DataFrame({"n": [1]})}))
    ['facilities']
    """
    return {
        name: qml_for_layer(name, gdf, lang=lang, class_colours=(class_colours or {}).get(name))
        for name, gdf in layers.items()
        if isinstance(gdf, gpd.GeoDataFrame)
    }


def write_qml(qml: str, path: str | os.PathLike[str]) -> Path:
    """Write a QML document as a sidecar ``.qml`` file, atomically, and return the path."""
    return write_text_atomic(qml, path)
