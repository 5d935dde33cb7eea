"""Siting: where to put service points, sensors and rebuilt assets.

:mod:`kotacerdas_gis.siting.solvers` is the one solver core (lazy greedy with a
bound, Lagrangian relaxation, exact MILP through HiGHS, gap reporting) that
:mod:`kotacerdas_gis.siting.service_points` and the sensor and rebuild steps use.
"""

from __future__ import annotations

from kotacerdas_gis.siting.solvers import (
    MilpOutcome,
    SolverResult,
    coverage_matrix,
    lscp,
    mclp,
    p_center,
    p_median,
    solve_milp,
)

__all__ = [
    "MilpOutcome",
    "SolverResult",
    "coverage_matrix",
    "lscp",
    "mclp",
    "p_center",
    "p_median",
    "solve_milp",
]
