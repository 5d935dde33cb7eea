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
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import geopandas as gpd

from . import __version__
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
    """

    lang: str = "id"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for ``summary.json`` under ``parameters``)."""
        return {"lang": self.lang}


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
    timings_s: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """All layers for the GeoPackage and the map, by the output contract's names."""
        return dict(self.scenario.layers())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Attribute tables (no geometry) for the GeoPackage, by name."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Key figures for ``summary.json`` (JSON-ready)."""
        return {
            "kotacerdas_gis_version": __version__,
            "scenario": self.scenario.summary(),
            "validation": self.validation.to_dict(),
            "parameters": self.config.to_dict(),
            "skipped": dict(self.skipped),
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


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
    return PlanResult(scenario=scenario, config=config, validation=validation, timings_s=timings)
