"""The pipeline: ``run_plan(scenario, config) -> PlanResult``. Orchestration only.

Each step lives in its own module; this one calls them in order, passes the
results along, and collects them with the accounting in a frozen
:class:`PlanResult`. Steps whose inputs are absent from the scenario are
skipped and listed in ``PlanResult.skipped`` with the reason.

Examples
--------
>>> from kotacerdas_gis.datasets import load_demo       # doctest: +SKIP
>>> result = run_plan(load_demo(), PlanConfig())        # doctest: +SKIP
>>> sorted(result.layers())[:3]                         # doctest: +SKIP
['admin_desa', 'admin_kabupaten', 'admin_kecamatan']
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

import geopandas as gpd

from . import __version__
from .hazard import (
    Calibration,
    HazardZones,
    Terrain,
    calibrate_hand,
    combine_zones,
    dem_zones,
    derive_terrain,
    get_class_set,
    observed_zones,
    streams_layer,
)
from .io.raster import read_raster
from .scenario import Scenario, ValidationReport

__all__ = ["PlanConfig", "PlanResult", "run_plan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanConfig:
    """Parameters of a run. Every number a planner may question is here, with its unit.

    Attributes
    ----------
    lang : {"id", "en"}
        Language of labels in the map and the report.
    class_set : str
        Hazard classes for all zones: ``"petabencana"`` (depth, m; default),
        ``"generic"``, ``"wet_dry"``, ``"inarisk"`` (see :mod:`kotacerdas_gis.hazard.classes`).
    stream_threshold_km2 : float
        Upstream area at which a cell is a stream, km² (HAND is measured from these).
    calibrate : bool
        Fit the DEM-derived zones (flood stage above HAND, drainage-area threshold)
        to the observed footprint when the scenario has one.
    stage_m : float
        Flood stage above the nearest drainage, m, used when there is no footprint
        to calibrate on (or ``calibrate`` is False).
    min_drain_area_km2 : float or None
        Only cells draining to a stream of at least this upstream area flood in the
        DEM-derived zones (km²), when not calibrated; None: every stream.
    combine_rule : {"max", "first"}
        How the observed and DEM-derived zones are combined into ``hazard_zones``:
        the highest class wins (``"max"``) or the observed footprint wins (``"first"``).
    """

    lang: str = "id"
    class_set: str = "petabencana"
    stream_threshold_km2: float = 1.0
    calibrate: bool = True
    stage_m: float = 3.0
    min_drain_area_km2: float | None = None
    combine_rule: str = "max"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for ``summary.json`` under ``parameters``)."""
        return dict(asdict(self))


@dataclass(frozen=True)
class PlanResult:
    """Everything one run produced.

    Attributes
    ----------
    scenario : Scenario
        The inputs.
    config : PlanConfig
        The parameters.
    validation : ValidationReport
        What the scenario check found.
    timings_s : dict
        Seconds per step (informative; not asserted anywhere).
    skipped : dict
        Steps not run, with the reason.
    """

    scenario: Scenario
    config: PlanConfig
    validation: ValidationReport
    terrain: Terrain | None = None
    streams: gpd.GeoDataFrame | None = None
    observed: HazardZones | None = None
    dem_hazard: HazardZones | None = None
    calibration: Calibration | None = None
    hazard: HazardZones | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """All layers for the GeoPackage and the map, by the output contract's names."""
        out = dict(self.scenario.layers())
        if self.hazard is not None:
            out["hazard_zones"] = self.hazard.zones
        if self.streams is not None:
            out["streams"] = self.streams
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """Attribute tables (no geometry) for the GeoPackage, by name."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Key figures for ``summary.json`` (JSON-ready)."""
        out: dict[str, Any] = {
            "kotacerdas_gis_version": __version__,
            "scenario": self.scenario.summary(),
            "validation": self.validation.to_dict(),
            "parameters": self.config.to_dict(),
            "skipped": dict(self.skipped),
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }
        if self.hazard is not None:
            out["hazard"] = self._hazard_summary()
        return out

    def console_lines(self) -> list[str]:
        """The few lines the command line prints after a run."""
        lines = []
        if self.calibration is not None:
            c = self.calibration
            lines.append(
                f"hazard: DEM zones fitted to the 2020 footprint: CSI {c.csi:.2f}, "
                f"hit rate {c.pod:.2f}, false-alarm ratio {c.far:.2f} "
                f"(stage {c.stage_m:g} m above drainage, streams >= {c.min_drain_area_km2:g} km²)"
            )
        if self.hazard is not None:
            areas = self.hazard.area_by_class_m2()
            lines.append(
                "hazard zones (km²): "
                + ", ".join(f"{k} {v / 1e6:,.2f}" for k, v in areas.items() if v > 0)
            )
        return lines

    def _hazard_summary(self) -> dict[str, Any]:
        assert self.hazard is not None
        out: dict[str, Any] = {
            "zones": self.hazard.to_dict(),
            "class_set": self.hazard.class_set.name,
        }
        if self.calibration is not None:
            out["calibration"] = self.calibration.to_dict()
        if self.observed is not None:
            out["observed_2020"] = self.observed.to_dict()
        if self.dem_hazard is not None:
            out["dem_derived"] = self.dem_hazard.to_dict()
        if self.streams is not None:
            out["streams"] = {
                "count": len(self.streams),
                "length_km": round(float(self.streams["length_m"].sum()) / 1000, 2),
                "threshold_km2": self.config.stream_threshold_km2,
            }
        return out


def run_plan(scenario: Scenario, config: PlanConfig | None = None) -> PlanResult:
    """Run the whole pipeline on a scenario.

    Parameters
    ----------
    scenario : Scenario
        Validated inputs (``kotacerdas_gis.datasets.load_demo()`` or
        ``kotacerdas_gis.io.manifest.read_scenario(path)``).
    config : PlanConfig, optional
        Parameters; defaults as documented on :class:`PlanConfig`.

    Returns
    -------
    PlanResult

    Raises
    ------
    DataError
        If the scenario has blocking problems (the message lists them).
    """
    from .errors import DataError

    config = config or PlanConfig()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    validation = scenario.validate()
    timings["validate"] = time.perf_counter() - t0
    if not validation.ok:
        raise DataError(
            f"scenario {scenario.name!r} cannot be planned on: " + " | ".join(validation.problems)
        )
    skipped: dict[str, str] = {}
    hazard = _hazard_step(scenario, config, timings, skipped)
    return PlanResult(
        scenario=scenario,
        config=config,
        validation=validation,
        timings_s=timings,
        skipped=skipped,
        **hazard,
    )


def _timed(timings: dict[str, float], name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    timings[name] = time.perf_counter() - t0
    log.info("%s: %.2f s", name, timings[name])
    return out


def _hazard_step(
    scenario: Scenario, config: PlanConfig, timings: dict[str, float], skipped: dict[str, str]
) -> dict[str, Any]:
    """Terrain, streams, observed and DEM-derived zones, calibration, combination."""
    out: dict[str, Any] = {}
    class_set = get_class_set(config.class_set)
    sources = []
    footprint = scenario.observed_flood_2020
    if footprint is not None:
        out["observed"] = _timed(
            timings, "observed zones", observed_zones, footprint, class_set=class_set,
            source="observed_2020",
        )
        sources.append(out["observed"])
    if scenario.dem_path is None:
        skipped["terrain"] = "the scenario has no DEM"
    else:
        dem = read_raster(scenario.dem_path, name="dem")
        terrain = _timed(
            timings, "terrain", derive_terrain, dem,
            stream_threshold_km2=config.stream_threshold_km2,
        )
        out["terrain"] = terrain
        out["streams"] = _timed(timings, "streams", streams_layer, terrain)
        kwargs: dict[str, Any] = {
            "stage_m": config.stage_m,
            "min_drain_area_km2": config.min_drain_area_km2,
        }
        if footprint is not None and config.calibrate:
            calib = _timed(
                timings, "calibration", calibrate_hand, terrain, footprint, class_set=class_set
            )
            out["calibration"] = calib
            kwargs = calib.dem_zones_kwargs()
        elif config.calibrate:
            skipped["calibration"] = "no observed footprint to calibrate on"
        out["dem_hazard"] = _timed(
            timings, "dem zones", dem_zones, terrain, class_set=class_set, **kwargs
        )
        sources.append(out["dem_hazard"])
    if len(sources) > 1:
        out["hazard"] = _timed(
            timings, "combine zones", combine_zones, *sources, rule=config.combine_rule
        )
    elif sources:
        out["hazard"] = sources[0]
    else:
        skipped["hazard"] = "the scenario has neither a DEM nor an observed footprint"
    return out
