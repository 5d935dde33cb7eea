"""Every check ``run`` makes on its inputs, made up front, once: :func:`validate_scenario`.

``kotacerdas check`` and ``kotacerdas run``/``demo`` call the same function
before any computation, so a scenario that ``check`` calls OK never fails ``run``
on its inputs, and a run never stops on bad input after hours of computing or
after writing part of its outputs. Orchestration only: each check is the one
the run itself uses.

What is checked, beyond :meth:`kotacerdas_gis.scenario.Scenario.validate` (admin
layers, CRS, duplicate ids and codes, population codes):

- the plan configuration (:class:`~kotacerdas_gis.plan.PlanConfig`, by whoever
  built it) and its class set;
- the DEM, opened by :func:`kotacerdas_gis.io.raster.read_raster` (the function
  the run opens it with) and checked by
  :func:`kotacerdas_gis.io.raster.validate_scenario_rasters` (void markers, units,
  classified rasters, CRS, distance, coverage of the study area and of each unit);
- the scenario's own hazard layer (manifest ``"hazard"``: polygons through a value
  map or depth columns, or a raster), classified as the run classifies it;
- the observed footprint, classified with the configured class set by
  :func:`kotacerdas_gis.hazard.observed_zones` as the run does (its repairs are
  added to the accounting);
- the texts the outputs refuse: a URL in the scenario's name (the offline web
  map refuses pages that refer to external resources);
- the configured focus area, matched against the admin units as the summary does.

The output folder is checked by :func:`kotacerdas_gis.io.atomic.check_output_folder`.

Examples
--------
>>> import warnings
>>> from kotacerdas_gis.testing import tiny_scenario, tiny_flood
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     report = validate_scenario(tiny_scenario(flood=tiny_flood()))
>>> report.ok, report.problems
(True, [])
"""

from __future__ import annotations

import warnings
from typing import Any

from .errors import KotaCerdasError, RepairWarning
from .scenario import Scenario, ValidationReport

__all__ = ["validate_scenario", "require_valid"]


def validate_scenario(scenario: Scenario, config: Any = None) -> ValidationReport:
    """Check a scenario's inputs as a run with ``config`` would, without computing the plan.

    Parameters
    ----------
    scenario : Scenario
        From :func:`kotacerdas_gis.io.manifest.read_scenario` or
        :func:`kotacerdas_gis.datasets.load_demo`.
    config : PlanConfig, optional
        The run's parameters (the class set classifies the footprint); defaults
        as documented on :class:`~kotacerdas_gis.plan.PlanConfig`.

    Returns
    -------
    ValidationReport
        The scenario's own problems and remarks, plus one problem per input the run
        would refuse (each message names the layer or file and the fix) and the
        footprint classification's accounting.
    """
    from .hazard import get_class_set, observed_zones
    from .io.raster import read_raster, validate_scenario_rasters
    from .outputs.webmap import _external_urls
    from .plan import PlanConfig

    config = config if config is not None else PlanConfig()
    base = scenario.validate()
    problems = list(base.problems)
    remarks = list(base.remarks)
    accounting = list(base.accounting)

    urls = _external_urls(scenario.name)
    if urls:
        problems.append(
            f"scenario name {scenario.name!r} contains the URL(s) {urls}: the offline web map "
            "refuses pages that refer to external resources. Remove it from the manifest's "
            "\"name\" (a layer's \"url\" is the place for a link)."
        )
    if config.focus_area is not None:
        # matched by the summary after the whole run (plan.gpkg already written): match it now
        from types import SimpleNamespace

        from .outputs.summary import focus_area

        try:
            focus_area(SimpleNamespace(config=config, scenario=scenario))  # type: ignore[arg-type]
        except KotaCerdasError as exc:
            problems.append(str(exc))
    class_set = get_class_set(config.class_set)
    if scenario.dem_path is not None:
        try:
            # opened as the run opens it, then its values, CRS and coverage checked
            read_raster(scenario.dem_path, name="dem")
            reports, grid_remarks = validate_scenario_rasters(scenario)
            for name, rep in reports.items():
                remarks.extend(f"{name}: {r}" for r in (rep.remarks or []))
            remarks.extend(grid_remarks)
        except KotaCerdasError as exc:
            problems.append(f"dem: {exc}")
    if getattr(scenario, "has_hazard_layer", False):
        # the scenario's own hazard layer, classified as the run classifies it
        from .plan import scenario_hazard_zones

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RepairWarning)  # counted in the report
                hz = scenario_hazard_zones(scenario)
        except KotaCerdasError as exc:
            problems.append(f"hazard: {type(exc).__name__}: {exc}")
        else:
            if hz is not None:
                d = scenario.hazard_description()
                areas = {k: round(v, 1) for k, v in hz.area_by_class_m2().items()}
                remarks.append(
                    f"hazard ({d['kind']}): {len(hz.zones)} zones, class set "
                    f"{hz.class_set.name!r} (comparison {hz.class_set.comparison!r}), area by "
                    f"class {areas} m²; spec {scenario.hazard_spec}")
                accounting.append(hz.report.to_record())
    if scenario.observed_flood_2020 is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RepairWarning)  # counted in the report
                zones = observed_zones(scenario.observed_flood_2020, class_set=class_set,
                                       source="observed_2020")
            accounting.append(zones.report.to_record())
        except KotaCerdasError as exc:
            problems.append(f"observed_flood_2020: {exc}")
    return ValidationReport(counts=base.counts, problems=problems, remarks=remarks,
                            accounting=accounting)


def require_valid(scenario: Scenario, config: Any = None) -> ValidationReport:
    """:func:`validate_scenario`, raising when the run would refuse an input.

    Raises
    ------
    DataError
        Listing every problem found (the same list ``kotacerdas check`` prints).
    """
    from .errors import DataError

    report = validate_scenario(scenario, config)
    if not report.ok:
        raise DataError(
            f"scenario {scenario.name!r} cannot be planned on: " + " | ".join(report.problems)
        )
    return report
