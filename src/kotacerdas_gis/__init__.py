"""kotacerdas_gis: flood-risk planning for the smart-city rebuilding of Masamba, Luwu Utara.

Overlays flood-risk zones with infrastructure and recommends where to put
flood sensors, where to put service points, and which damaged assets to
rebuild first. Writes Folium web maps, styled GeoPackages for QGIS and reports.

The package's top level is the front door (in the manner of osmnx): every name
a planner needs, imported lazily, so ``import kotacerdas_gis`` stays light and a
script needs one import.

Examples
--------
>>> import warnings
>>> import kotacerdas_gis as kc
>>> from kotacerdas_gis.testing import tiny_flood, tiny_scenario
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     result = kc.run_plan(tiny_scenario(flood=tiny_flood()), kc.PlanConfig(lang="en"))
>>> kc.plan_summary(result)["key_figures"]["area"]["level"]
'study_area'

On the bundled Masamba scenario: ``kc.run_plan(kc.load_demo(), kc.PlanConfig())``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import (
    CRSError,
    CRSMismatchError,
    DataError,
    InfeasibleProblemError,
    KotaCerdasError,
    KotaCerdasWarning,
    ParameterError,
    RepairWarning,
    SchemaError,
)

#: Public names imported on first use: ``{name: module}``.
_LAZY: dict[str, str] = {
    # inputs
    "load_demo": ".datasets",
    "read_scenario": ".io.manifest",
    "build_scenario": ".scenario",
    "Scenario": ".scenario",
    "read_vector": ".io.vector",
    "read_raster": ".io.raster",
    # the plan
    "PlanConfig": ".plan",
    "PlanResult": ".plan",
    "run_plan": ".plan",
    # hazard
    "get_class_set": ".hazard",
    "ClassSet": ".hazard",
    "custom_class_set": ".hazard",
    "derive_terrain": ".hazard",
    "streams_layer": ".hazard",
    "observed_zones": ".hazard",
    "dem_zones": ".hazard",
    "depth_zones": ".hazard",
    "combine_zones": ".hazard",
    "calibrate_hand": ".hazard",
    # exposure and access
    "analyse_exposure": ".exposure",
    "ExposureResult": ".exposure",
    "build_road_graph": ".network",
    "flood_road_graph": ".network",
    "access_to_facilities": ".network",
    "access_before_after": ".network",
    "closed_facilities": ".network",
    "nearest_facility_times": ".network",
    # the working CRS
    "estimate_working_crs": ".crs",
    "require_metric": ".crs",
    # outputs
    "write_outputs": ".outputs.bundle",
    "plan_summary": ".outputs.summary",
    "plan_layers": ".outputs.summary",
    "web_map": ".outputs.webmap",
    "write_web_map": ".outputs.webmap",
    "write_geopackage": ".io.gpkg",
    "write_report": ".outputs.report",
}

__all__ = [
    "__version__",
    "CRSError",
    "CRSMismatchError",
    "DataError",
    "InfeasibleProblemError",
    "KotaCerdasError",
    "KotaCerdasWarning",
    "ParameterError",
    "RepairWarning",
    "SchemaError",
    "load_demo",
    "read_scenario",
    "build_scenario",
    "Scenario",
    "read_vector",
    "read_raster",
    "PlanConfig",
    "PlanResult",
    "run_plan",
    "get_class_set",
    "ClassSet",
    "custom_class_set",
    "derive_terrain",
    "streams_layer",
    "observed_zones",
    "dem_zones",
    "depth_zones",
    "combine_zones",
    "calibrate_hand",
    "analyse_exposure",
    "ExposureResult",
    "build_road_graph",
    "flood_road_graph",
    "access_to_facilities",
    "access_before_after",
    "closed_facilities",
    "nearest_facility_times",
    "estimate_working_crs",
    "require_metric",
    "write_outputs",
    "plan_summary",
    "plan_layers",
    "web_map",
    "write_web_map",
    "write_geopackage",
    "write_report",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .crs import estimate_working_crs, require_metric
    from .datasets import load_demo
    from .exposure import ExposureResult, analyse_exposure
    from .hazard import (
        ClassSet,
        calibrate_hand,
        combine_zones,
        custom_class_set,
        dem_zones,
        depth_zones,
        derive_terrain,
        get_class_set,
        observed_zones,
        streams_layer,
    )
    from .io.gpkg import write_geopackage
    from .io.manifest import read_scenario
    from .io.raster import read_raster
    from .io.vector import read_vector
    from .network import (
        access_before_after,
        access_to_facilities,
        build_road_graph,
        closed_facilities,
        flood_road_graph,
        nearest_facility_times,
    )
    from .outputs.bundle import write_outputs
    from .outputs.report import write_report
    from .outputs.summary import plan_layers, plan_summary
    from .outputs.webmap import web_map, write_web_map
    from .plan import PlanConfig, PlanResult, run_plan
    from .scenario import Scenario, build_scenario


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kotacerdas_gis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
