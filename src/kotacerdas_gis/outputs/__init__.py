"""Outputs: offline web maps, QGIS styles and HTML reports.

- :mod:`.styles`: one palette and legend per class, shared by all outputs.
- :mod:`.webmap`: :func:`web_map` and :func:`write_web_map` (offline, Leaflet inlined).
- :mod:`.qgis`: :func:`qml_for_layer` (QML styles for the GeoPackage's ``layer_styles``).
- :mod:`.qgis_project`: :func:`write_qgis_project` (``project.qgz`` with a print layout,
  written without QGIS).
- :mod:`.report`: :func:`write_report` (self-contained HTML, jinja2 template in
  ``kotacerdas_gis/templates/report.html.j2``).

The GeoPackage writer itself is :func:`kotacerdas_gis.io.gpkg.write_geopackage`.
"""

from __future__ import annotations

from .qgis import qml_for_layer, qml_styles
from .qgis_project import write_qgis_project
from .report import write_report
from .styles import layer_style, resolve_classes
from .webmap import OfflineAssetError, web_map, write_web_map

__all__ = [
    "OfflineAssetError",
    "layer_style",
    "qml_for_layer",
    "qml_styles",
    "resolve_classes",
    "web_map",
    "write_qgis_project",
    "write_report",
    "write_web_map",
]
