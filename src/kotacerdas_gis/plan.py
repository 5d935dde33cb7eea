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
>>> {"hazard_zones", "impact_buildings", "aggregation_summary"} <= set(result.layers())
True
>>> result.summary()["hazard"]["calibration"]["csi"] > 0.4
True
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

import geopandas as gpd

from . import __version__
from .errors import SchemaError
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
    study_area_coverage,
)
from .io.raster import read_raster
from .network import AccessResult, access_to_facilities
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
    speeds_kmh : mapping of str to float, optional
        Travel speed per road class (motorway, primary, secondary, local, path, other), km/h,
        merged over :data:`kotacerdas_gis.network.DEFAULT_SPEEDS_KMH` (assumptions to calibrate
        locally).
    """

    lang: str = "id"
    class_set: str | ClassSet = "petabencana"
    stream_threshold_km2: float = 1.0
    calibrate: bool = True
    stage_m: float = 3.0
    min_drain_area_km2: float | None = None
    combine_rule: str = "max"
    population_method: str = "auto"
    snap_tolerance_m: float = 1.0
    flooded_speed_factor: float = 0.5
    max_snap_m: float = 5000.0
    speeds_kmh: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        choices = {
            "lang": ("id", "en"),
            "combine_rule": ("max", "first"),
            "population_method": ("auto", "area", "buildings"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"PlanConfig.{name} must be one of {', '.join(map(repr, allowed))}, "
                    f"not {getattr(self, name)!r}"
                )
        for name in ("stream_threshold_km2", "stage_m", "snap_tolerance_m", "max_snap_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"PlanConfig.{name} must be > 0, not {getattr(self, name)!r}")
        if not 0 <= self.flooded_speed_factor <= 1:
            raise ValueError(
                "PlanConfig.flooded_speed_factor must be within 0-1 (a speed multiplier), "
                f"not {self.flooded_speed_factor!r}"
            )
        for road_class, speed in (self.speeds_kmh or {}).items():
            if not speed > 0:
                raise ValueError(
                    f"PlanConfig.speeds_kmh[{road_class!r}] must be > 0, not {speed!r}"
                )
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
        kotacerdas_gis.errors.SchemaError: plan configuration: unknown key(s) ['stage']. Known keys: lang, class_set, stream_threshold_km2, calibrate, stage_m, min_drain_area_km2, combine_rule, population_method, snap_tolerance_m, flooded_speed_factor, max_snap_m, speeds_kmh.
        """  # noqa: E501
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise SchemaError(
                f"plan configuration: unknown key(s) {unknown}. Known keys: {', '.join(known)}."
            )
        try:
            return cls(**dict(data))
        except ValueError as exc:
            raise SchemaError(f"plan configuration: {exc}") from None

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

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """All layers for the GeoPackage and the map, by the output contract's names."""
        out = dict(self.scenario.layers())
        if self.hazard is not None:
            out["hazard_zones"] = self.hazard.zones
        if self.streams is not None:
            out["streams"] = self.streams
        if self.exposure is not None:
            e = self.exposure
            for name in ("impact_buildings", "impact_roads", "impact_facilities"):
                layer = getattr(e, name)
                if layer is not None:
                    out[name] = layer
            if e.aggregation_summary is not None:
                out["aggregation_summary"] = self._with_access(e.aggregation_summary)
            if e.aggregation_summary_kecamatan is not None:
                out["aggregation_summary_kecamatan"] = self._kecamatan_summary()
        return out

    def _kecamatan_summary(self) -> gpd.GeoDataFrame:
        """Per-kecamatan summary, with the kecamatan names of the scenario joined on."""
        assert self.exposure is not None
        kec = self.exposure.aggregation_summary_kecamatan
        assert kec is not None
        names = self.scenario.admin_kecamatan
        if names is None or "admin_name" in kec.columns:
            return kec
        table = pd.DataFrame(names[["admin_code", "admin_name"]])
        out = kec.merge(table, on="admin_code", how="left", validate="one_to_one")
        return out[["admin_code", "admin_name", *[c for c in kec.columns if c != "admin_code"]]]

    def _with_access(self, agg: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Per-desa summary with the travel times to health care joined on."""
        if self.access is None or self.access.desa is None:
            return agg
        cols = [
            "admin_code",
            "travel_time_min_before",
            "travel_time_min_after",
            "delta_min",
            "nearest_facility_before",
            "nearest_facility_after",
            "isolated",
        ]
        acc = pd.DataFrame(self.access.desa)[[c for c in cols if c in self.access.desa]]
        return agg.merge(acc, on="admin_code", how="left", validate="one_to_one")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Attribute tables (no geometry) for the GeoPackage, by name."""
        out: dict[str, pd.DataFrame] = {}
        if self.exposure is not None:
            e = self.exposure
            out["analysis_summary"] = pd.DataFrame(e.analysis_summary)
            out["exposure_summary_table"] = pd.DataFrame(e.exposure_summary_table)
            if e.needs is not None:
                out["minimum_needs"] = pd.DataFrame(e.needs)
        if self.access is not None and self.access.isolated is not None:
            out["isolated"] = pd.DataFrame(self.access.isolated).drop(
                columns="geometry", errors="ignore"
            )
        out["provenance"] = self.provenance()
        return out

    def provenance(self) -> pd.DataFrame:
        """One row per GeoPackage layer: where it comes from and with which parameters.

        Columns ``layer``, ``kind`` (``input`` or ``result``), ``source``, ``licence``,
        ``made_by`` (the function and its parameters as JSON), ``kotacerdas_gis_version``.
        """
        import json

        steps = {
            "hazard_zones": ("combine_zones / observed_zones / dem_zones", "hazard"),
            "streams": ("derive_terrain + streams_layer", "terrain"),
            "impact_buildings": ("analyse_exposure", "exposure"),
            "impact_roads": ("analyse_exposure", "exposure"),
            "impact_facilities": ("analyse_exposure", "exposure"),
            "aggregation_summary": ("analyse_exposure + access_to_facilities", "exposure"),
            "aggregation_summary_kecamatan": ("analyse_exposure", "exposure"),
        }
        params = json.dumps(self.config.to_dict(), sort_keys=True, default=str)
        rows = []
        for name in self.layers():
            prov = self.scenario.provenance.get(name, {})
            if name in steps:
                rows.append(
                    {"layer": name, "kind": "result", "source": self.scenario.name,
                     "licence": None, "made_by": f"{steps[name][0]} {params}"}
                )
            else:
                rows.append(
                    {"layer": name, "kind": "input", "source": prov.get("source"),
                     "licence": prov.get("licence"), "made_by": prov.get("path")}
                )
        table = pd.DataFrame(rows, columns=["layer", "kind", "source", "licence", "made_by"])
        table["kotacerdas_gis_version"] = __version__
        return table

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
        if self.exposure is not None:
            out["impact"] = self.exposure.to_dict()
        if self.access is not None:
            out["access"] = self.access.to_dict()
        out["key_figures"] = self._key_figures(out)
        return out

    def _key_figures(self, summary: dict[str, Any]) -> dict[str, Any]:
        """Collect the headline numbers, rounded as a planner reads them (whole persons)."""
        k: dict[str, Any] = {"demonstration_data": self.scenario.demonstration}
        cal = summary.get("hazard", {}).get("calibration")
        if cal:
            k["hazard_csi_vs_2020_footprint"] = round(cal["csi"], 2)
        if self.hazard is not None:
            k["displacement_rates"] = {
                c.key: c.displacement_rate for c in self.hazard.class_set.classes
            }
            k["hazard_area_km2"] = {
                c: round(v / 1e6, 2) for c, v in self.hazard.area_by_class_m2().items() if v > 0
            }
        a = summary.get("impact", {}).get("analysis_summary", {})

        def whole(key: str) -> int | None:
            v = a.get(key)
            return None if v is None else int(round(v))

        for out_key, key in (
            ("buildings_affected", "buildings_affected"),
            ("people_affected", "total_affected"),
            ("people_displaced", "displaced"),
            ("women_displaced", "female_displaced"),
            ("elderly_displaced", "elderly_displaced"),
            ("disabled_displaced", "disabled_displaced"),
            ("health_facilities_affected", "health_facilities_affected"),
        ):
            if key in a:
                k[out_key] = whole(key)
        if "roads_affected_length_m" in a:
            k["roads_affected_km"] = round(a["roads_affected_length_m"] / 1000, 1)
        needs = summary.get("impact", {}).get("minimum_needs")
        if needs:
            k["weekly_needs_of_displaced"] = {
                n: round(v, 1) for n, v in needs.items() if n != "displaced" and v is not None
            }
        acc = summary.get("access")
        if acc:
            k["villages_cut_off_from_health_care"] = sorted(
                r["name"] for r in acc.get("isolated", []) if r.get("kind") == "desa"
            )
        return k

    def console_lines(self) -> list[str]:
        """Return the few lines the command line prints after a run."""
        lines = []
        if self.calibration is not None:
            c = self.calibration
            lines.append(
                f"hazard: DEM zones fitted to the 2020 footprint: CSI {c.csi:.2f}, "
                f"hit rate {c.pod:.2f}, false-alarm ratio {c.far:.2f} "
                f"(stage {c.stage_m:g} m above drainage, streams >= {c.min_drain_area_km2:g} km²)"
            )
        if self.terrain is not None:
            cover = study_area_coverage(self.terrain, self.scenario.boundary)
            if cover < 0.999:
                lines.append(
                    f"note: the DEM covers {cover:.0%} of the study area; DEM-derived hazard zones "
                    "exist only there"
                )
        if self.hazard is not None:
            areas = self.hazard.area_by_class_m2()
            lines.append(
                "hazard zones (km²): "
                + ", ".join(f"{k} {v / 1e6:,.2f}" for k, v in areas.items() if v > 0)
            )
        lines += self._impact_lines()
        return lines

    def _impact_lines(self) -> list[str]:
        lines: list[str] = []
        e = self.exposure
        if e is not None and e.aggregation_summary_kecamatan is not None:
            kec = self._kecamatan_summary()
            names = kec["admin_name"] if "admin_name" in kec else kec["admin_code"]
            hit = kec[names.astype(str).str.casefold() == "masamba"]
            for r in hit.to_dict("records"):
                lines.append(
                    f"impact, kecamatan {r['admin_name']}: "
                    + ", ".join(
                        f"{label} {_fmt(r.get(col))}"
                        for label, col in (
                            ("buildings affected", "buildings_affected"),
                            ("people affected", "total_affected"),
                            ("displaced", "displaced"),
                            ("roads affected (m)", "roads_affected_length_m"),
                            ("health facilities affected", "health_facilities_affected"),
                        )
                        if col in r
                    )
                )
        a = self.access
        if a is not None:
            iso = a.isolated
            desa_iso = iso[iso["kind"] == "desa"] if iso is not None and "kind" in iso else iso
            names = (
                sorted(desa_iso["name"].astype(str).unique())
                if desa_iso is not None and len(desa_iso)
                else []
            )
            lines.append(
                f"villages cut off from health care by the flood: {len(names)}"
                + (f" ({', '.join(names)})" if names else "")
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
        if self.terrain is not None:
            out["dem_covers_frac_of_study_area"] = round(
                study_area_coverage(self.terrain, self.scenario.boundary), 4
            )
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


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    return f"{v:,.0f}" if isinstance(v, (int, float)) else str(v)


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
