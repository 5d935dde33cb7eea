#!/usr/bin/python3
"""Open a ``project.qgz`` in the real QGIS (PyQGIS), render it, export its print layout: JSON out.

Run with the system Python that has PyQGIS (``/usr/bin/python3``);
``tests/test_qgis_project.py`` runs it in a subprocess with ``QT_QPA_PLATFORM=offscreen``.

Usage::

    /usr/bin/python3 tests/qgis_project_checker.py PROJECT.qgz OUT_DIR [--colour "#F03B20" ...]

Output (stdout, one JSON document)::

    {"read": true, "crs": "EPSG:32751", "title": ...,
     "groups": [{"name", "layers": [{"name", "source", "checked"}]}],
     "layers": {NAME: {"valid", "feature_count", "renderer", "labels", "label_field",
                       "source"}},
     "render": {"path", "non_background", "colour_counts", "errors"},
     "layouts": [{"name", "items": {"map": n, "legend": n, "scalebar": n, "picture": n,
                                   "label": n}, "labels": [...], "pdf": {...}, "png": {...}}],
     "messages": [...]}
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import Any

import numpy as np  # type: ignore[import-not-found]

try:
    from qgis.core import (  # type: ignore[import-not-found]
        QgsApplication,
        QgsLayerTreeGroup,
        QgsLayerTreeLayer,
        QgsLayoutExporter,
        QgsLayoutItemLabel,
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        QgsLayoutItemPicture,
        QgsLayoutItemScaleBar,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProject,
    )
    from qgis.PyQt.QtCore import QSize  # type: ignore[import-not-found]
    from qgis.PyQt.QtGui import QColor, QImage  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - collected by pytest's doctests without PyQGIS
    QgsApplication = None

_MESSAGES: list[dict[str, Any]] = []


def _on_message(text: str, tag: str, level: Any) -> None:
    _MESSAGES.append({"tag": tag, "level": int(level), "text": text})


def _colours(image: Any, wanted: list[str], tol: int = 3) -> dict[str, Any]:
    image = image.convertToFormat(QImage.Format_RGB32)
    w, h = image.width(), image.height()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    raw = np.frombuffer(ptr, dtype=np.uint8).reshape(h, image.bytesPerLine())
    rgb = raw[:, : w * 4].reshape(h, w, 4)[:, :, :3].astype(np.int16)[:, :, ::-1]
    counts = {}
    for c in wanted:
        t = QColor(c)
        target = np.array([t.red(), t.green(), t.blue()], dtype=np.int16)
        counts[c.upper()] = int((np.abs(rgb - target) <= tol).all(axis=2).sum())
    return {"width": w, "height": h, "non_background": int((rgb != 255).any(axis=2).sum()),
            "colour_counts": counts}


def check(path: str, out_dir: str, colours: list[str]) -> dict[str, Any]:
    proj = QgsProject.instance()
    ok = proj.read(path)
    out: dict[str, Any] = {"read": bool(ok), "crs": proj.crs().authid(), "title": proj.title()}
    root = proj.layerTreeRoot()
    groups = []
    for child in root.children():
        if isinstance(child, QgsLayerTreeGroup):
            groups.append({"name": child.name(), "layers": [
                {"name": n.name(), "id": n.layerId(), "checked": n.isVisible()}
                for n in child.children() if isinstance(n, QgsLayerTreeLayer)]})
    out["groups"] = groups
    layers = {}
    for lyr in proj.mapLayers().values():
        info = {"name": lyr.name(), "valid": lyr.isValid(), "source": lyr.source(),
                "feature_count": lyr.featureCount() if lyr.isValid() else None,
                "renderer": lyr.renderer().type() if lyr.renderer() else None,
                "labels": bool(lyr.labelsEnabled()), "label_field": None,
                "crs": lyr.crs().authid()}
        if lyr.labelsEnabled() and lyr.labeling() is not None:
            info["label_field"] = lyr.labeling().settings().fieldName
        layers[lyr.id()] = info
    out["layers"] = layers

    # the project's visible layers, in the layer tree's order (first on top)
    visible = [n.layer() for n in root.findLayers() if n.isVisible() and n.layer() is not None]
    settings = QgsMapSettings()
    settings.setLayers(visible)
    settings.setDestinationCrs(proj.crs())
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(900, 700))
    settings.setOutputDpi(96)
    zones = [lyr for lyr in visible if lyr.source().endswith("layername=hazard_zones")]
    settings.setExtent((zones[0] if zones else visible[0]).extent())
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    png = os.path.join(out_dir, "project_render.png")
    image.save(png, "PNG")
    out["render"] = {"path": png, "errors": [e.message for e in job.errors()],
                     **_colours(image, colours)}
    del job, settings, visible, zones

    out["layouts"] = []
    for layout in proj.layoutManager().printLayouts():
        items = layout.items()
        kinds = {"map": QgsLayoutItemMap, "legend": QgsLayoutItemLegend,
                 "scalebar": QgsLayoutItemScaleBar, "picture": QgsLayoutItemPicture,
                 "label": QgsLayoutItemLabel}
        info: dict[str, Any] = {
            "name": layout.name(),
            "items": {k: sum(isinstance(i, t) for i in items) for k, t in kinds.items()},
            "labels": [i.text() for i in items if isinstance(i, QgsLayoutItemLabel)],
            "page_mm": [layout.pageCollection().page(0).pageSize().width(),
                        layout.pageCollection().page(0).pageSize().height()],
        }
        maps = [i for i in items if isinstance(i, QgsLayoutItemMap)]
        legends = [i for i in items if isinstance(i, QgsLayoutItemLegend)]
        bars = [i for i in items if isinstance(i, QgsLayoutItemScaleBar)]
        if legends:
            model = legends[0].model()
            info["legend_layers"] = [n.name() for n in model.rootGroup().findLayers()]
        if bars:
            info["scalebar_units"] = bars[0].unitLabel()
        if maps:
            info["map_scale"] = maps[0].scale()
        exporter = QgsLayoutExporter(layout)
        pdf = os.path.join(out_dir, "layout.pdf")
        res = exporter.exportToPdf(pdf, QgsLayoutExporter.PdfExportSettings())
        info["pdf"] = {"result": int(res), "size": os.path.getsize(pdf) if os.path.exists(pdf)
                       else 0, "path": pdf}
        img_path = os.path.join(out_dir, "layout.png")
        img_settings = QgsLayoutExporter.ImageExportSettings()
        img_settings.dpi = 60
        res = exporter.exportToImage(img_path, img_settings)
        info["png"] = {"result": int(res), "path": img_path}
        if os.path.exists(img_path):
            info["png"].update(_colours(QImage(img_path), colours))
        out["layouts"].append(info)
        del exporter, maps, legends, bars, items
    proj.clear()
    gc.collect()
    out["messages"] = list(_MESSAGES)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project")
    ap.add_argument("out_dir")
    ap.add_argument("--colour", action="append", default=[])
    args = ap.parse_args(argv)
    if QgsApplication is None:
        print(json.dumps({"error": "PyQGIS not importable"}))
        return 3
    app = QgsApplication([], False)
    app.initQgis()
    app.messageLog().messageReceived.connect(_on_message)
    try:
        result = check(args.project, args.out_dir, args.colour)
    finally:
        gc.collect()
    print(json.dumps(result))
    sys.stdout.flush()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
