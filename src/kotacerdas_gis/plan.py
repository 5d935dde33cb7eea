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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import geopandas as gpd

from .checks import check_bool, check_choice, check_int, check_keys, check_number
from .errors import ParameterError, SchemaError
from .exposure import ExposureResult, MinimumNeeds, analyse_exposure
from .hazard import (
    Calibration,
    ClassSet,
    HazardZones,
    Terrain,
    calibrate_hand,
    class_set_from_spec,
    combine_zones,
    dem_zones,
    depth_zones,
    derive_terrain,
    get_class_set,
    observed_zones,
    streams_layer,
)
from .io.raster import read_raster
from .network import (
    AccessResult,
    access_before_after,
    build_road_graph,
    closed_facilities,
    flood_road_graph,
)
from .overlay import prepare_zones
from .scenario import Scenario, ValidationReport

__all__ = ["PlanConfig", "PlanResult", "run_plan", "hazard_class_set", "scenario_hazard_zones",
           "PLAN_STEPS", "ProgressCallback"]

log = logging.getLogger(__name__)

Lang = Literal["id", "en"]
CombineRule = Literal["max", "first"]
PopulationMethod = Literal["auto", "area", "buildings"]
SitingModel = Literal["mclp", "p_median", "lscp", "p_center"]


def _sensor_parameters(value: Any) -> Any:
    """Build :class:`SensorParameters` from a mapping (a config file's object), checked."""
    from .siting.sensors import SensorParameters

    if not isinstance(value, Mapping):
        raise ParameterError(
            "PlanConfig.sensors: expected SensorParameters, a mapping of its fields, or None; "
            f"found {type(value).__name__}."
        )
    check_keys(value, [f.name for f in fields(SensorParameters)], name="PlanConfig.sensors")
    # a JSON or TOML list ([30, 60]) is the tuple the frozen parameters hold
    kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in value.items()}
    return SensorParameters(**kwargs)


def _speeds(value: Any) -> None:
    """Check ``speeds_kmh``: a mapping of road classes (``ROAD_CLASSES``) to speeds > 0, km/h."""
    from .vocabulary import ROAD_CLASSES

    if value is None:
        return
    check_keys(value, ROAD_CLASSES.values, name="PlanConfig.speeds_kmh",
               fix="Speeds are per road class (the highway values are classed first).")
    for road_class, speed in value.items():
        check_number(speed, name=f"PlanConfig.speeds_kmh[{road_class!r}]", gt=0)


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
    service_points : bool
        Recommend shelters and health posts (on the flooded road network).
    shelter_model, health_post_model : {"mclp", "p_median", "lscp", "p_center"}
        Siting model: most people within the time limit (MCLP), least mean travel time
        (p-median), fewest sites covering everyone reachable (LSCP), smallest worst time
        (p-center).
    n_shelters, n_health_posts : int
        New sites to choose (the open health facilities are kept as health posts besides).
    shelter_max_time_min, health_post_max_time_min : float
        Travel-time limit, minutes: to a shelter on foot, to a health post by vehicle.
    walk_speed_kmh : float
        Walking speed of evacuees, km/h (an assumption: 4 km/h on flooded ground).
    shelter_m2_per_person : float
        Covered floor space per sheltered person, m² (Sphere: 3.5).
    sensors : SensorParameters or mapping, optional
        Water-level and rain-gauge siting parameters
        (:class:`~kotacerdas_gis.siting.sensors.SensorParameters`; a JSON object of its
        fields in a config file, a ``[sensors]`` table in TOML); None (or false, as TOML
        has no null): no sensor siting.
    priorities : bool
        Rank the damaged assets for rebuilding.
    rebuild_budget_idr : float, optional
        A rebuild budget in rupiah to select projects within; None: ranking only.
    focus_area : str, optional
        The kecamatan or desa (admin code or name) whose figures the command line,
        ``summary.json`` and the report lead with; None (default): the whole study
        area. Per-kecamatan figures are always given beside them. The demo sets
        ``"Masamba"``.
    limit_to_aggregation : bool
        Limit the impact analysis to the union of the aggregation areas: the scenario's
        ``aggregation`` layer when it has one (that run, ``PlanResult.exposure_areas``), else
        the desa (the main run); exposure outside is dropped and counted.
    minimum_needs : mapping or MinimumNeeds, optional
        A minimum-needs profile (``{"name": ..., "weeks": 1, "items": [...]}``, see
        :meth:`~kotacerdas_gis.exposure.MinimumNeeds.from_mapping`); None: BNPB's default.
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
    service_points: bool = True
    shelter_model: SitingModel = "mclp"
    n_shelters: int = 10
    shelter_max_time_min: float = 30.0
    health_post_model: SitingModel = "mclp"
    n_health_posts: int = 8
    health_post_max_time_min: float = 30.0
    walk_speed_kmh: float = 4.0
    shelter_m2_per_person: float = 3.5
    sensors: Any = field(default_factory=lambda: _sensor_parameters({}))
    priorities: bool = True
    rebuild_budget_idr: float | None = None
    focus_area: str | None = None
    limit_to_aggregation: bool = False
    minimum_needs: Any = None

    def __post_init__(self) -> None:
        check_choice(self.lang, Lang, name="PlanConfig.lang")
        check_choice(self.combine_rule, CombineRule, name="PlanConfig.combine_rule")
        check_choice(self.population_method, PopulationMethod,
                     name="PlanConfig.population_method")
        check_bool(self.calibrate, name="PlanConfig.calibrate")
        for name in ("stream_threshold_km2", "stage_m", "snap_tolerance_m", "max_snap_m"):
            check_number(getattr(self, name), name=f"PlanConfig.{name}", gt=0)
        check_number(self.min_drain_area_km2, name="PlanConfig.min_drain_area_km2", gt=0,
                     allow_none=True)
        check_number(self.flooded_speed_factor, name="PlanConfig.flooded_speed_factor (a speed "
                     "multiplier)", ge=0, le=1)
        _speeds(self.speeds_kmh)
        for name in ("shelter_model", "health_post_model"):
            check_choice(getattr(self, name), SitingModel, name=f"PlanConfig.{name}")
        for name in ("n_shelters", "n_health_posts"):
            check_int(getattr(self, name), name=f"PlanConfig.{name}", ge=1)
        for name in ("shelter_max_time_min", "health_post_max_time_min", "walk_speed_kmh",
                     "shelter_m2_per_person"):
            check_number(getattr(self, name), name=f"PlanConfig.{name}", gt=0)
        check_number(self.rebuild_budget_idr, name="PlanConfig.rebuild_budget_idr", gt=0,
                     allow_none=True)
        if self.minimum_needs is not None and not isinstance(self.minimum_needs, MinimumNeeds):
            try:
                object.__setattr__(self, "minimum_needs", MinimumNeeds.from_mapping(
                    self.minimum_needs, where="PlanConfig.minimum_needs"))
            except SchemaError as exc:
                raise ParameterError(str(exc)) from None
        for name in ("service_points", "priorities", "limit_to_aggregation"):
            check_bool(getattr(self, name), name=f"PlanConfig.{name}")
        if self.sensors is False:  # TOML has no null: `sensors = false` turns sensor siting off
            object.__setattr__(self, "sensors", None)
        if self.sensors is not None and not hasattr(self.sensors, "to_dict"):
            object.__setattr__(self, "sensors", _sensor_parameters(self.sensors))
        if self.focus_area is not None and not isinstance(self.focus_area, str):
            raise ParameterError(
                f"PlanConfig.focus_area: expected an admin code or name as text, found "
                f"{self.focus_area!r}. Write it in quotes: \"73.22.03\" or \"Masamba\"."
            )
        if not isinstance(self.class_set, str) and not hasattr(self.class_set, "classes"):
            raise ParameterError(
                f"PlanConfig.class_set: expected a class set's name (e.g. \"petabencana\") or "
                f"a ClassSet, found {self.class_set!r}."
            )
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
        kotacerdas_gis.errors.ParameterError: plan configuration: unknown key(s) ['stage']; did you mean 'stage_m' for 'stage'? Known keys: lang, class_set, stream_threshold_km2, calibrate, stage_m, min_drain_area_km2, combine_rule, population_method, snap_tolerance_m, flooded_speed_factor, max_snap_m, speeds_kmh, service_points, shelter_model, n_shelters, shelter_max_time_min, health_post_model, n_health_posts, health_post_max_time_min, walk_speed_kmh, shelter_m2_per_person, sensors, priorities, rebuild_budget_idr, focus_area, limit_to_aggregation, minimum_needs.
        """  # noqa: E501
        check_keys(data, [f.name for f in fields(cls)], name="plan configuration")
        try:
            return cls(**dict(data))
        except ParameterError as exc:
            raise ParameterError(f"plan configuration: {exc}") from None

    @classmethod
    def from_file(
        cls, path: Any, *, defaults: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> PlanConfig:
        """Read a configuration file (``.toml`` or ``.json``; keys of this class), checked.

        Parameters
        ----------
        path : path-like or None
            ``plan.toml`` (comments allowed; ``[sensors]`` and ``[speeds_kmh]`` tables)
            or ``plan.json``, read by :func:`kotacerdas_gis.io.config.read_settings`;
            None: no file.
        defaults : mapping, optional
            Values used where the file gives none.
        overrides : mapping, optional
            Values that win over the file (command-line options).

        Raises
        ------
        DataError
            The file is missing, not UTF-8, or not valid JSON/TOML.
        ParameterError
            An unknown key (with the closest valid one) or a value of the wrong type or
            range; the message starts with the file's name.
        """
        from .io.config import read_settings

        settings: dict[str, Any] = dict(defaults or {})
        if path is not None:
            settings.update(read_settings(path, what="plan configuration"))
        settings.update(overrides or {})
        try:
            return cls.from_dict(settings)
        except ParameterError as exc:
            where = f"{path}: " if path is not None else ""
            raise ParameterError(f"{where}{exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for ``summary.json`` under ``parameters``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not isinstance(self.class_set, str):
            out["class_set"] = self.class_set.name
        if self.sensors is not None:
            out["sensors"] = self.sensors.to_dict()
        if self.minimum_needs is not None:
            out["minimum_needs"] = self.minimum_needs.to_mapping()
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
    demand : GeoDataFrame or None
        People per residential building (:func:`~kotacerdas_gis.siting.demand.people_at_buildings`).
    shelters, health_posts : ServicePointsResult or None
        Recommended shelters and health posts.
    sensors : SensorResult or None
        Recommended water-level and rain gauges.
    priorities : PriorityResult or None
        Rebuild priorities (and the budget set).
    exposure_areas : ExposureResult or None
        The impact summed on the scenario's own aggregation layer (when it has one); the
        main ``exposure`` stays per desa (access, siting and the key figures use it).
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
    exposure_areas: ExposureResult | None = None
    access: AccessResult | None = None
    demand: gpd.GeoDataFrame | None = None
    shelters: Any = None
    health_posts: Any = None
    sensors: Any = None
    priorities: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


#: The steps of :func:`run_plan`, in order, as ``progress`` reports them (a step that does not
#: apply, e.g. the terrain without a DEM, is not reported).
PLAN_STEPS = ("validate", "observed zones", "terrain", "streams", "calibration", "dem zones",
              "combine zones", "prepare zones", "exposure", "road graph", "flood roads",
              "access", "demand", "shelters", "health posts", "sensors", "priorities")

#: ``progress(step, seconds)``: called with ``seconds=None`` when a step starts, with its
#: duration (s) when it ends.
ProgressCallback = Callable[[str, "float | None"], None]


class _Clock(dict[str, float]):
    """Step timings (s) that tell a progress callback when a step starts and ends."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        super().__init__()
        self.progress = progress


def run_plan(scenario: Scenario, config: PlanConfig | None = None, *,
             progress: ProgressCallback | None = None) -> PlanResult:
    """Run the whole pipeline on a scenario.

    Parameters
    ----------
    scenario : Scenario
        Validated inputs (``kotacerdas_gis.datasets.load_demo()`` or
        ``kotacerdas_gis.io.manifest.read_scenario(path)``).
    config : PlanConfig, optional
        Parameters; defaults as documented on :class:`PlanConfig`.
    progress : callable, optional
        ``progress(step, seconds)``, called when each step of :data:`PLAN_STEPS` starts
        (``seconds=None``) and ends (its duration, also when the step fails and is
        skipped); for a progress display. It must not raise; it changes nothing in the
        result.

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
    timings = _Clock(progress)
    validation = _timed(timings, "validate", scenario.validate)
    if not validation.ok:
        raise DataError(
            f"scenario {scenario.name!r} cannot be planned on: " + " | ".join(validation.problems)
        )
    skipped: dict[str, str] = {}
    hazard = _hazard_step(scenario, config, timings, skipped)
    # the zones are prepared for overlay once, here, and every step reuses them
    zones = (_timed(timings, "prepare zones", prepare_zones, hazard["hazard"].zones)
             if "hazard" in hazard else None)
    impact = _impact_step(scenario, config, zones, timings, skipped)
    recs = _recommend_step(scenario, config, zones, hazard, impact, timings, skipped)
    return PlanResult(
        scenario=scenario,
        config=config,
        validation=validation,
        timings_s=dict(timings),
        skipped=skipped,
        **hazard,
        **impact,
        **recs,
    )


def _recommend_step(
    scenario: Scenario,
    config: PlanConfig,
    zones: gpd.GeoDataFrame | None,
    hazard: dict[str, Any],
    impact: dict[str, Any],
    timings: dict[str, float],
    skipped: dict[str, str],
) -> dict[str, Any]:
    """Service points, sensors and rebuild priorities, from the steps before.

    A recommendation whose problem has no solution (``InfeasibleProblemError``, e.g.
    every candidate in the high class) is listed in ``skipped`` with the solver's
    reason; the other outputs are still written.
    """
    from .errors import InfeasibleProblemError
    from .siting.demand import people_at_buildings

    out: dict[str, Any] = {}
    exposure, access = impact.get("exposure"), impact.get("access")
    if exposure is None or access is None or exposure.impact_buildings is None \
            or exposure.aggregation_summary is None:
        for name in ("service_points", "sensors", "priorities"):
            skipped[name] = "needs the exposure and access steps (buildings, roads, facilities)"
        return out
    if "population" not in exposure.aggregation_summary.columns:
        for name in ("service_points", "sensors", "priorities"):
            skipped[name] = "needs population per desa"
        return out
    demand, _ = _timed(timings, "demand", people_at_buildings, exposure.impact_buildings,
                       exposure.aggregation_summary, admin=scenario.admin_desa)
    out["demand"] = demand

    def attempt(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return _timed(timings, name, fn, *args, **kwargs)
        except InfeasibleProblemError as exc:
            skipped[name] = f"no solution: {exc}"
            log.warning("%s: %s", name, exc)
            return None

    if config.service_points:
        out["shelters"] = attempt("shelters", _shelters, scenario, config, exposure, access,
                                  zones, demand)
        out["health_posts"] = attempt("health posts", _health_posts, scenario, config,
                                      exposure, access, zones, demand)
    else:
        skipped["service_points"] = "PlanConfig.service_points is false"
    terrain = hazard.get("terrain")
    if config.sensors is None:
        skipped["sensors"] = "PlanConfig.sensors is None"
    elif terrain is None:
        skipped["sensors"] = "needs a DEM"
    else:
        from .siting.sensors import site_sensors

        places = demand[demand["exposed"].to_numpy(bool)]
        out["sensors"] = attempt("sensors", site_sensors, terrain, places,
                                 params=config.sensors, weight_col="population",
                                 roads=scenario.roads, allow_places_outside_dem=True)
    if config.priorities:
        out["priorities"] = attempt("priorities", _priorities, scenario, config, exposure,
                                    access, zones)
    else:
        skipped["priorities"] = "PlanConfig.priorities is false"
    return out


def _shelters(scenario: Scenario, config: PlanConfig, exposure: ExposureResult,
              access: AccessResult, zones: gpd.GeoDataFrame | None,
              demand: gpd.GeoDataFrame) -> Any:
    """Shelters for the displaced, on foot, in dry public buildings and open land."""
    from .siting.service_points import candidate_sites, site_service_points

    cands = candidate_sites(exposure.impact_buildings, zones=zones, graph=access.graph,
                            kind="shelter", m2_per_person=config.shelter_m2_per_person)
    need = demand[demand["displaced"].to_numpy(float) > 0]
    return site_service_points(
        access.graph, need, cands, kind="shelter", model=config.shelter_model,
        p=None if config.shelter_model == "lscp" else _at_most(config.n_shelters, len(cands),
                                                                "shelters"),
        max_time_min=config.shelter_max_time_min, weight_col="displaced",
        id_col="demand_id", walk_speed_kmh=config.walk_speed_kmh,
        max_snap_m=config.max_snap_m,
    )


def _health_posts(scenario: Scenario, config: PlanConfig, exposure: ExposureResult,
                  access: AccessResult, zones: gpd.GeoDataFrame | None,
                  demand: gpd.GeoDataFrame) -> Any:
    """Health posts for everybody, by vehicle; the open health facilities count as sites."""
    import pandas as pd

    from .siting.service_points import candidate_sites, site_service_points

    buildings = exposure.impact_buildings
    facilities = exposure.impact_facilities
    layers = [b for b in (buildings, facilities) if b is not None and len(b)]
    pool = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), geometry="geometry",
                            crs=layers[0].crs)
    cands = candidate_sites(pool, zones=zones, graph=access.graph, kind="health_post",
                            public_classes=("health", "government", "education",
                                            "public facility", "place of worship"))
    fac = access.facilities
    is_open = ~fac["closed"].astype(bool) if "closed" in fac else pd.Series(True, fac.index)
    health = set(fac.loc[is_open, "asset_id"].astype(str)) if "asset_id" in fac else set()
    existing = [c for c in cands["candidate_id"].astype(str) if c in health]
    p = len(existing) + config.n_health_posts  # the open facilities plus the new posts
    return site_service_points(
        access.graph, demand[demand["population"].to_numpy(float) > 0], cands,
        kind="health_post", model=config.health_post_model,
        p=None if config.health_post_model == "lscp" else _at_most(p, len(cands),
                                                                    "health posts"),
        max_time_min=config.health_post_max_time_min, weight_col="population",
        id_col="demand_id", existing=existing, capacitated=False,
        max_snap_m=config.max_snap_m,
    )


def _at_most(p: int, n_candidates: int, what: str) -> int:
    """Ask for no more sites than there are candidates (a small area), and say so."""
    if p > n_candidates > 0:
        import warnings

        from .errors import KotaCerdasWarning

        warnings.warn(f"{what}: {p} sites asked but only {n_candidates} candidates; all "
                      f"{n_candidates} are used (PlanConfig.n_{what.replace(' ', '_')}).",
                      KotaCerdasWarning, stacklevel=3)
        return n_candidates
    return p


def _priorities(scenario: Scenario, config: PlanConfig, exposure: ExposureResult,
                access: AccessResult, zones: gpd.GeoDataFrame | None) -> Any:
    """Damaged assets ranked for rebuilding, with the budget set."""
    import pandas as pd

    from .priorities import priority_assets, rank_rebuild_priorities

    roads = scenario.roads
    names = (roads.set_index("asset_id")["name"]
             if roads is not None and {"asset_id", "name"} <= set(roads.columns) else None)
    assets, _ = priority_assets(access.graph, buildings=exposure.impact_buildings,
                                facilities=exposure.impact_facilities, zones=zones,
                                road_names=names)
    places = scenario.admin_desa
    if places is not None and isinstance(scenario.population, pd.DataFrame) \
            and "population" in scenario.population:
        pop = scenario.population[["admin_code", "population"]]
        places = places.merge(pop, on="admin_code", how="left")
    return rank_rebuild_priorities(
        assets, access.graph, health_facilities=access.facilities, places=places,
        class_set=hazard_class_set(scenario, config), budget_idr=config.rebuild_budget_idr,
        default_material="mud" if scenario.observed_flood_2020 is not None else None,
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
    needs = config.minimum_needs if config.minimum_needs is not None else MinimumNeeds()
    common = dict(buildings=scenario.buildings, roads=scenario.roads,
                  facilities=scenario.facilities, admin=admin, population=scenario.population,
                  population_method=config.population_method, census=scenario.census,
                  needs=needs)
    rule = scenario.hazard_spec.get("building_rule", "max")
    if scenario.hazard_raster_path is not None and rule != "max":
        # the manifest's hazard raster classes the buildings itself (mean or centroid)
        common.update(building_rule=rule, hazard_class_set=hazard_class_set(scenario, config),
                      hazard_raster=read_raster(scenario.hazard_raster_path, name="hazard"))
    out["exposure"] = _timed(
        timings, "exposure", analyse_exposure, zones, **common,
        limit_to_aggregation=config.limit_to_aggregation and scenario.aggregation is None,
    )
    if scenario.aggregation is not None:
        out["exposure_areas"] = _timed(
            timings, "exposure on the aggregation areas", analyse_exposure, zones, **common,
            aggregation=scenario.aggregation, aggregation_id_col="aggregation_id",
            aggregation_name_col="aggregation_name",
            limit_to_aggregation=config.limit_to_aggregation,
        )
    if scenario.roads is None or scenario.facilities is None:
        skipped["access"] = "the scenario needs roads and facilities"
        return out
    # roads, bridges and health facilities are cut only in the class set's highest class,
    # whatever classes this flood happens to reach
    cut_rank = max(c.rank for c in hazard_class_set(scenario, config).classes)
    graph = _timed(timings, "road graph", build_road_graph, scenario.roads,
                   snap_tolerance_m=config.snap_tolerance_m, speeds_kmh=config.speeds_kmh,
                   split_at=zones)
    flooded = _timed(timings, "flood roads", flood_road_graph, graph, zones,
                     cut_min_rank=cut_rank, flooded_speed_factor=config.flooded_speed_factor)
    closed = closed_facilities(scenario.facilities, zones, cut_min_rank=cut_rank)
    out["access"] = _timed(timings, "access", access_before_after, graph, flooded,
                           scenario.facilities, closed=closed, admin=admin,
                           max_snap_m=config.max_snap_m)
    return out


def _timed(timings: dict[str, float], name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    progress = getattr(timings, "progress", None)
    if progress is not None:
        progress(name, None)
    t0 = time.perf_counter()
    try:
        out = fn(*args, **kwargs)
    finally:  # a step that fails (and may be skipped by its caller) ends too
        if progress is not None:
            progress(name, time.perf_counter() - t0)
    timings[name] = time.perf_counter() - t0
    log.info("%s: %.2f s", name, timings[name])
    return out


def hazard_class_set(scenario: Scenario, config: PlanConfig) -> ClassSet:
    """Return the hazard's class set: the scenario's hazard layer's own, else the config's."""
    spec = scenario.hazard_spec.get("class_set") if scenario.has_hazard_layer else None
    return class_set_from_spec(spec) if spec is not None else get_class_set(config.class_set)


_POLYGON_HAZARD_KEYS = ("field", "value_map", "unmapped", "depth_min_col", "depth_max_col",
                        "depth_rule", "every_polygon")


def scenario_hazard_zones(
    scenario: Scenario, config: PlanConfig | None = None
) -> HazardZones | None:
    """Classify the scenario's own hazard layer (manifest ``"hazard"``), or None without one.

    Polygons go through :func:`~kotacerdas_gis.hazard.observed_zones` (depth columns, or a
    ``field`` with a ``value_map``, or ``every_polygon``); a raster through
    :func:`~kotacerdas_gis.hazard.depth_zones` with ``min_zone_cells`` 1 unless the spec
    says otherwise (the raster is used as given, no patch is merged away). The class set is
    the spec's ``class_set`` (a name or an object), else ``config.class_set``.

    Raises
    ------
    SchemaError, DataError, CRSError
        From the classification, naming the field, the value or the fix.
    """
    if not scenario.has_hazard_layer:
        return None
    config = config if config is not None else PlanConfig()
    cs = hazard_class_set(scenario, config)
    spec = scenario.hazard_spec
    if scenario.hazard_raster_path is not None:
        src: Any = read_raster(scenario.hazard_raster_path, name="hazard")  # a RasterLike
        return depth_zones(src, class_set=cs, negative=spec.get("negative", "error"),
                           min_zone_cells=int(spec.get("min_zone_cells", 1)), source="hazard")
    kw = {k: spec[k] for k in _POLYGON_HAZARD_KEYS if k in spec}
    assert scenario.hazard is not None
    return observed_zones(scenario.hazard, class_set=cs, source="hazard", **kw)


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
    given = (_timed(timings, "hazard layer zones", scenario_hazard_zones, scenario, config)
             if scenario.has_hazard_layer else None)
    if given is not None:
        out["hazard"] = given
        if sources:
            skipped["combine zones"] = ("the scenario's own hazard layer is the hazard; the "
                                        "observed and DEM-derived zones are kept apart")
    elif len(sources) > 1:
        out["hazard"] = _timed(
            timings, "combine zones", combine_zones, *sources, rule=config.combine_rule
        )
    elif sources:
        out["hazard"] = sources[0]
    else:
        skipped["hazard"] = "the scenario has neither a DEM nor an observed footprint"
    return out
