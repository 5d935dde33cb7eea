"""The pipeline: ``run_plan(scenario, config) -> PlanResult``. Orchestration only.

Each step lives in its own module; this one calls them in order, passes the
results along, and collects them with the accounting in a frozen
:class:`PlanResult`. Steps whose inputs are absent from the scenario are
skipped and listed in ``PlanResult.skipped`` with the reason.

Examples
--------
>>> import warnings
>>> from kotacerdas_gis.datasets import load_demo
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     result = run_plan(load_demo(), PlanConfig(lang="en"))
>>> result.hazard.zones.crs.to_epsg(), result.calibration.csi > 0.4
(32751, True)

What the run says (key figures, layers, console lines) is presentation, in
:mod:`kotacerdas_gis.outputs.summary`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import geopandas as gpd

from .checks import check_choice, check_number
from .errors import ParameterError
from .exposure import ExposureResult, analyse_exposure
from .hazard import (
    Calibration,
    ClassSet,
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
from .network import AccessResult, access_to_facilities
from .scenario import Scenario, ValidationReport

__all__ = ["PlanConfig", "PlanResult", "run_plan"]

log = logging.getLogger(__name__)

Lang = Literal["id", "en"]
CombineRule = Literal["max", "first"]
PopulationMethod = Literal["auto", "area", "buildings"]


@dataclass(frozen=True)
class PlanConfig:
    """Parameters of a run. Every number a planner may question is here, with its unit.

    Attributes
    ----------
    lang : {"id", "en"}
        Language of labels in the map and the report.
    class_set : str or ClassSet
        Hazard classes for all zones: ``"petabencana"`` (depth, m; default),
        ``"generic"``, ``"wet_dry"``, ``"inarisk"``, or a :class:`~kotacerdas_gis.hazard.ClassSet`
        such as ``petabencana_class_set(displacement_rates=(0, 0.1, 0.3, 0.6))`` when
        InaSAFE's default displacement rates (0/1/3/5 %) are too low for a flash flood
        (in July 2020 about 14,483 people were evacuated in Luwu Utara).
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
    population_method : {"auto", "area", "buildings"}
        How desa population is spread over the zones: by residential buildings when
        there are any (``"auto"``), or by area.
    snap_tolerance_m : float
        Road ends closer than this join the same network node, m.
    flooded_speed_factor : float
        Speed multiplier on road segments in hazard classes below the cut class (0-1);
        segments, bridges and health facilities in the class set's highest class (``high``)
        are cut or closed.
    max_snap_m : float
        Places further than this from any road have no road access, m.
    focus_area : str, optional
        The kecamatan or desa (admin code or name) whose figures the command line,
        ``summary.json`` and the report lead with; None (default): the whole study
        area. Per-kecamatan figures are always given beside them. The demo sets
        ``"Masamba"``.
    speeds_kmh : mapping of str to float, optional
        Travel speed per road class (motorway, primary, secondary, local, path, other), km/h,
        merged over :data:`kotacerdas_gis.network.DEFAULT_SPEEDS_KMH` (assumptions to calibrate
        locally).
    """

    lang: Lang = "id"
    class_set: str | ClassSet = "petabencana"
    stream_threshold_km2: float = 1.0
    calibrate: bool = True
    stage_m: float = 3.0
    min_drain_area_km2: float | None = None
    combine_rule: CombineRule = "max"
    population_method: PopulationMethod = "auto"
    snap_tolerance_m: float = 1.0
    flooded_speed_factor: float = 0.5
    max_snap_m: float = 5000.0
    speeds_kmh: Mapping[str, float] | None = None
    focus_area: str | None = None

    def __post_init__(self) -> None:
        check_choice(self.lang, Lang, name="PlanConfig.lang")
        check_choice(self.combine_rule, CombineRule, name="PlanConfig.combine_rule")
        check_choice(self.population_method, PopulationMethod,
                     name="PlanConfig.population_method")
        if not isinstance(self.calibrate, bool):
            raise ParameterError(
                f"PlanConfig.calibrate: expected true or false, found {self.calibrate!r}."
            )
        for name in ("stream_threshold_km2", "stage_m", "snap_tolerance_m", "max_snap_m"):
            check_number(getattr(self, name), name=f"PlanConfig.{name}", gt=0)
        check_number(self.min_drain_area_km2, name="PlanConfig.min_drain_area_km2", gt=0,
                     allow_none=True)
        check_number(self.flooded_speed_factor, name="PlanConfig.flooded_speed_factor (a speed "
                     "multiplier)", ge=0, le=1)
        for road_class, speed in (self.speeds_kmh or {}).items():
            check_number(speed, name=f"PlanConfig.speeds_kmh[{road_class!r}]", gt=0)
        if self.focus_area is not None and not str(self.focus_area).strip():
            raise ParameterError("PlanConfig.focus_area: expected an admin code or name, found ''.")
        if isinstance(self.class_set, str):
            get_class_set(self.class_set)  # unknown names fail here, listing the known ones

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanConfig:
        """Build a configuration from a mapping (a JSON file's content); unknown keys are errors.

        Examples
        --------
        >>> PlanConfig.from_dict({"lang": "en", "stage_m": 2.5}).stage_m
        2.5
        >>> PlanConfig.from_dict({"stage": 2.5})
        Traceback (most recent call last):
        ...
        kotacerdas_gis.errors.ParameterError: plan configuration: unknown key(s) ['stage']. Known keys: lang, class_set, stream_threshold_km2, calibrate, stage_m, min_drain_area_km2, combine_rule, population_method, snap_tolerance_m, flooded_speed_factor, max_snap_m, speeds_kmh, focus_area.
        """  # noqa: E501
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ParameterError(
                f"plan configuration: unknown key(s) {unknown}. Known keys: {', '.join(known)}."
            )
        try:
            return cls(**dict(data))
        except ParameterError as exc:
            raise ParameterError(f"plan configuration: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for ``summary.json`` under ``parameters``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not isinstance(self.class_set, str):
            out["class_set"] = self.class_set.name
        return out


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
    exposure: ExposureResult | None = None
    access: AccessResult | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


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
    zones = hazard["hazard"].zones if "hazard" in hazard else None
    impact = _impact_step(scenario, config, zones, timings, skipped)
    return PlanResult(
        scenario=scenario,
        config=config,
        validation=validation,
        timings_s=timings,
        skipped=skipped,
        **hazard,
        **impact,
    )


def _impact_step(
    scenario: Scenario,
    config: PlanConfig,
    zones: gpd.GeoDataFrame | None,
    timings: dict[str, float],
    skipped: dict[str, str],
) -> dict[str, Any]:
    """Exposure of assets and people to the zones; access to health care before and after."""
    out: dict[str, Any] = {}
    if zones is None:
        skipped["impact"] = "no hazard zones"
        skipped["access"] = "no hazard zones"
        return out
    admin = scenario.admin_desa if scenario.admin_desa is not None else scenario.admin_kecamatan
    out["exposure"] = _timed(
        timings,
        "exposure",
        analyse_exposure,
        zones,
        buildings=scenario.buildings,
        roads=scenario.roads,
        facilities=scenario.facilities,
        admin=admin,
        population=scenario.population,
        population_method=config.population_method,
    )
    if scenario.roads is None or scenario.facilities is None:
        skipped["access"] = "the scenario needs roads and facilities"
        return out
    out["access"] = _timed(
        timings,
        "access",
        access_to_facilities,
        scenario.roads,
        scenario.facilities,
        zones=zones,
        admin=admin,
        snap_tolerance_m=config.snap_tolerance_m,
        flooded_speed_factor=config.flooded_speed_factor,
        max_snap_m=config.max_snap_m,
        speeds_kmh=config.speeds_kmh,
        # roads, bridges and health facilities are cut only in the class set's highest class,
        # whatever classes this flood happens to reach
        cut_min_rank=max(c.rank for c in get_class_set(config.class_set).classes),
    )
    return out


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
