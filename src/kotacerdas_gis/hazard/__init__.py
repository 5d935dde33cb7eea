"""Flood-hazard zones for kotacerdas_gis: class sets, terrain (pyflwdir), zones, calibration.

The small API the pipeline calls:

- :func:`derive_terrain` (DEM -> :class:`Terrain`: fill, D8, upstream area, streams, HAND)
- :func:`streams_layer` (Terrain -> stream LineStrings)
- :func:`observed_zones`, :func:`dem_zones`, :func:`depth_zones` -> :class:`HazardZones`
- :func:`combine_zones` (several sources, one rule, no overlaps)
- :func:`calibrate_hand` (fit DEM zones to the observed footprint -> :class:`Calibration`)
"""

from __future__ import annotations

from .calibration import Calibration, calibrate_hand, extent_scores, rasterize_footprint
from .classes import (
    GENERIC,
    INARISK,
    NOT_HAZARDOUS,
    PETABENCANA,
    WET_DRY,
    ClassSet,
    HazardClass,
    class_set_from_spec,
    custom_class_set,
    generic_class_set,
    get_class_set,
    inarisk_class_set,
    petabencana_class_set,
    wet_dry_class_set,
)
from .terrain import (
    Terrain,
    derive_terrain,
    river_agreement,
    streams_layer,
    study_area_coverage,
)
from .zones import (
    ZONE_COLUMNS,
    HazardZones,
    combine_zones,
    dem_depth_m,
    dem_zones,
    depth_zones,
    observed_zones,
    polygonize_ranks,
)

__all__ = [
    "Calibration", "calibrate_hand", "extent_scores", "rasterize_footprint",
    "GENERIC", "INARISK", "NOT_HAZARDOUS", "PETABENCANA", "WET_DRY", "ClassSet", "HazardClass",
    "class_set_from_spec",
    "custom_class_set", "generic_class_set", "get_class_set", "inarisk_class_set",
    "petabencana_class_set", "wet_dry_class_set",
    "Terrain", "derive_terrain", "river_agreement", "streams_layer", "study_area_coverage",
    "ZONE_COLUMNS", "HazardZones", "combine_zones", "dem_depth_m", "dem_zones", "depth_zones",
    "observed_zones", "polygonize_ranks",
]
