#!/usr/bin/python3
"""Open GeoPackages in the real QGIS (PyQGIS) and print what QGIS sees, as JSON.

Run with the system Python that has PyQGIS (``/usr/bin/python3``), not the
project's virtual environment; ``tests/test_qgis_client.py`` runs it in a
subprocess with ``QT_QPA_PLATFORM=offscreen`` and a fresh ``XDG_RUNTIME_DIR``.

Usage::

    /usr/bin/python3 tests/qgis_checker.py --gpkg plan.gpkg [--gpkg other.gpkg]
        [--render out.png --render-gpkg plan.gpkg --render-layers admin_desa,hazard_zones
         --extent-layer hazard_zones | --extent xmin,ymin,xmax,ymax]
         [--size 800x600 --count-colour "#F68979" ... --tolerance 3]

Output (stdout, one JSON document)::

    {"qgis_version": "3.22.16-...",
     "files": {PATH: {"messages": [{"tag", "level", "text"}, ...],
                      "layers": {NAME: {"valid", "provider", "spatial", "feature_count",
                                        "crs", "geometry_type", "renderer", "attr",
                                        "categories": [{"value", "label", "colour",
                                                        "alpha", "render"}],
                                        "symbol_colour"}}}},
     "render": {"path", "width", "height", "non_background", "distinct_colours",
                "colour_counts": {"#RRGGBB": n}, "messages": [...]}}

``messages`` are what QGIS (and GDAL through it) logged while the file's layers were
opened, e.g. a GeoPackage version warning. Layers and symbols live only inside
functions and are released before ``exitQgis()``: a layer still alive at exit makes
the process segfault (exit code 139).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
from typing import Any

import numpy as np  # type: ignore[import-not-found]

try:
    from qgis.core import (  # type: ignore[import-not-found]
        Qgis,
        QgsApplication,
        QgsDataProvider,
        QgsFeatureRequest,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsRectangle,
        QgsRenderContext,
        QgsVectorLayer,
        QgsWkbTypes,
    )
    from qgis.PyQt.QtCore import QSize  # type: ignore[import-not-found]
    from qgis.PyQt.QtGui import QColor, QImage  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - imported without PyQGIS (pytest's doctest
    # collection in the virtual environment): there is nothing to run then, main() says so
    Qgis = None


_MESSAGES: list[dict[str, Any]] = []


def _on_message(text: str, tag: str, level: Any) -> None:
    _MESSAGES.append({"tag": tag, "level": int(level), "text": text})


def _sublayer_names(path: str) -> list[str]:
    """Table names of a GeoPackage as QGIS's OGR provider lists them (spatial and not)."""
    probe = QgsVectorLayer(path, "probe", "ogr")
    names = []
    for sub in probe.dataProvider().subLayers():
        # "index!!::!!name!!::!!count!!::!!geometry type!!::!!geometry column!!::!!..."
        parts = sub.split(QgsDataProvider.SUBLAYER_SEPARATOR)
        if len(parts) > 1:
            names.append(parts[1])
    del probe
    return names


def _count_categories(layer: QgsVectorLayer, renderer: Any, cats: list[dict[str, Any]]) -> None:
    """Count the features QGIS itself puts into each category (``features`` of each entry)."""
    keys = {item.ruleKey(): i for i, item in enumerate(renderer.legendSymbolItems())}
    for c in cats:
        c["features"] = 0
    ctx = QgsRenderContext()
    renderer.startRender(ctx, layer.fields())
    try:
        request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry)
        for feature in layer.getFeatures(request):
            for key in renderer.legendKeysForFeature(feature, ctx):
                cats[keys[key]]["features"] += 1
    finally:
        renderer.stopRender(ctx)


def _layer_info(path: str, name: str) -> dict[str, Any]:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info: dict[str, Any] = {
        "valid": layer.isValid(),
        "provider": layer.providerType(),
        "spatial": layer.isSpatial(),
        "feature_count": int(layer.featureCount()),
        "crs": layer.crs().authid() if layer.isSpatial() else None,
        "geometry_type": QgsWkbTypes.displayString(layer.wkbType()),
        "renderer": None,
        "attr": None,
        "categories": [],
        "symbol_colour": None,
        "db_styles": [],
        "unmatched_features": None,
    }
    if layer.isSpatial():
        n, _ids, names, _descs, _err = layer.listStylesInDatabase()
        # the first n names are this layer's styles, the rest the other tables'
        info["db_styles"] = list(names)[:n]
    renderer = layer.renderer() if layer.isSpatial() else None
    if renderer is not None:
        info["renderer"] = renderer.type()
        if renderer.type() == "categorizedSymbol":
            info["attr"] = renderer.classAttribute()
            cats = []
            for cat in renderer.categories():
                colour = cat.symbol().color()
                value = cat.value()
                cats.append(
                    {
                        "value": None if value is None else str(value),
                        "label": cat.label(),
                        "colour": colour.name().upper(),
                        "alpha": colour.alpha(),
                        "render": cat.renderState(),
                    }
                )
            info["categories"] = cats
            _count_categories(layer, renderer, cats)
            info["unmatched_features"] = sum(c["features"] for c in cats if c["value"] == "")
        elif renderer.type() == "singleSymbol":
            colour = renderer.symbol().color()
            info["symbol_colour"] = colour.name().upper()
        del renderer
    del layer
    return info


class _CaptureStderr:
    """Capture what GDAL prints on file descriptor 2 (warnings, e.g. on a GeoPackage version)."""

    def __enter__(self) -> _CaptureStderr:
        sys.stderr.flush()
        self._tmp = tempfile.TemporaryFile(mode="w+b")
        self._saved = os.dup(2)
        os.dup2(self._tmp.fileno(), 2)
        self.lines: list[str] = []
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._tmp.seek(0)
        text = self._tmp.read().decode("utf-8", "replace")
        self._tmp.close()
        self.lines = [line for line in text.splitlines() if line.strip()]


def check_file(path: str) -> dict[str, Any]:
    """Open every table of ``path`` and describe it; collect what QGIS and GDAL said meanwhile."""
    _MESSAGES.clear()
    with _CaptureStderr() as err:
        names = _sublayer_names(path)
        layers = {n: _layer_info(path, n) for n in names if n != "layer_styles"}
        gc.collect()
    messages = list(_MESSAGES) + [{"tag": "stderr", "level": 1, "text": t} for t in err.lines]
    return {"messages": messages, "layers": layers, "tables": names}


def _parse_size(text: str) -> QSize:
    w, h = (int(x) for x in text.lower().split("x"))
    return QSize(w, h)


def render(
    path: str,
    names: list[str],
    out_png: str,
    size: QSize,
    count_colours: list[str],
    tol: int,
    view: QgsRectangle | None = None,
    extent_layer: str | None = None,
) -> dict[str, Any]:
    """Render ``names`` (first on top) of ``path`` to ``out_png`` and count pixel colours."""
    _MESSAGES.clear()
    layers = [QgsVectorLayer(f"{path}|layername={n}", n, "ogr") for n in names]
    bad = [n for n, lyr in zip(names, layers, strict=True) if not lyr.isValid()]
    if bad:
        del layers
        return {"error": f"invalid layers {bad}"}
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[0].crs())
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(size)
    settings.setOutputDpi(96)
    if view is None:
        view = layers[names.index(extent_layer) if extent_layer else 0].extent()
    settings.setExtent(view)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    errors = [f"{e.layerID}: {e.message}" for e in job.errors()]
    del job, settings
    image = image.convertToFormat(QImage.Format_RGB32)
    image.save(out_png, "PNG")
    width, height = image.width(), image.height()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    # Format_RGB32 is 0xffRRGGBB per pixel (B, G, R, A bytes on little-endian machines),
    # rows padded to bytesPerLine
    raw = np.frombuffer(ptr, dtype=np.uint8).reshape(height, image.bytesPerLine())
    px = raw[:, : width * 4].reshape(height, width, 4)[:, :, :3].astype(np.int16)  # B, G, R
    rgb = px[:, :, ::-1]
    non_bg = int((rgb != 255).any(axis=2).sum())
    packed = (rgb[:, :, 0].astype(np.int32) << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
    counts = {}
    for c in count_colours:
        t = QColor(c)
        target = np.array([t.red(), t.green(), t.blue()], dtype=np.int16)
        counts[c.upper()] = int((np.abs(rgb - target) <= tol).all(axis=2).sum())
    distinct = int(np.unique(packed).size)
    del layers
    gc.collect()
    return {
        "path": out_png,
        "width": width,
        "height": height,
        "non_background": non_bg,
        "distinct_colours": distinct,
        "colour_counts": counts,
        "errors": errors,
        "messages": list(_MESSAGES),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gpkg", action="append", default=[], help="GeoPackage to describe")
    ap.add_argument("--render", help="PNG to render to")
    ap.add_argument("--render-gpkg", help="GeoPackage of the layers to render")
    ap.add_argument("--render-layers", default="", help="comma-separated, first on top")
    ap.add_argument("--size", default="800x600")
    ap.add_argument("--extent", help="xmin,ymin,xmax,ymax in the layers' CRS")
    ap.add_argument("--extent-layer", help="zoom to this layer of --render-layers instead")
    ap.add_argument("--count-colour", action="append", default=[], help="#RRGGBB to count")
    ap.add_argument("--tolerance", type=int, default=3, help="per channel, 0-255")
    args = ap.parse_args(argv)
    if Qgis is None:
        sys.stderr.write(f"PyQGIS not importable by {sys.executable}; use /usr/bin/python3\n")
        return 2

    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(_on_message)
    out: dict[str, Any] = {"qgis_version": Qgis.QGIS_VERSION, "files": {}}
    try:
        for path in args.gpkg:
            out["files"][path] = check_file(os.path.abspath(path))
        if args.render:
            out["render"] = render(
                os.path.abspath(args.render_gpkg),
                [n for n in args.render_layers.split(",") if n],
                args.render,
                _parse_size(args.size),
                args.count_colour,
                args.tolerance,
                QgsRectangle(*(float(v) for v in args.extent.split(","))) if args.extent else None,
                args.extent_layer,
            )
    finally:
        gc.collect()
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        sys.stdout.flush()
        QgsApplication.messageLog().messageReceived.disconnect(_on_message)
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
