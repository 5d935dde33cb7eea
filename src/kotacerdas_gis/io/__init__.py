"""The only readers and writers of files in kotacerdas_gis.

- :mod:`.vector`: ``read_vector`` (any OGR format through pyogrio) and ``read_table``.
- :mod:`.raster`: ``read_raster`` (lazy, windowed) and raster writers.
- :mod:`.gpkg`: GeoPackage writing with QGIS default styles.
- :mod:`.atomic`: atomic writes for every output.
"""

from __future__ import annotations

from .atomic import atomic_path, write_json_atomic, write_text_atomic

__all__ = ["atomic_path", "write_json_atomic", "write_text_atomic"]
