"""What a rupiah budget buys: a knapsack MILP with precedence (the bridge before the road).

Maximise ``sum_i benefit_i x_i`` subject to ``sum_i cost_i x_i <= budget`` and ``x_a <= x_b``
for every pair "a requires b", ``x`` binary. Solved with HiGHS through the solver core
(:func:`kotacerdas_gis.siting.solvers.solve_milp`), which reports the bound and the gap.

Examples
--------
>>> b = select_budget(pd.Series([5.0, 4.0, 3.0], index=["a", "b", "c"]),
...                   pd.Series([4.0, 3.0, 2.0], index=["a", "b", "c"]), 5.0)
>>> b.selected, b.cost_idr, b.benefit, b.leftover_idr
(('b', 'c'), 5.0, 7.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from ..errors import InfeasibleProblemError, ParameterError, SchemaError
from ..siting.solvers import solve_milp

__all__ = ["BudgetResult", "select_budget"]


@dataclass(frozen=True)
class BudgetResult:
    """The projects a budget buys.

    Attributes
    ----------
    budget_idr : float
        The budget (rupiah).
    selected : tuple
        Asset ids bought, in the order given (rank order when called from the ranking).
    cost_idr, benefit : float
        Their total cost (rupiah) and benefit (sum of scores).
    bound : float
        Upper bound on the best benefit (from the solver).
    gap : float
        Relative gap ``(bound - benefit) / bound`` (0 = proven optimal).
    status : str
        Solver status.
    leftover_idr : float
        Budget not spent.
    not_selected : tuple
        Asset ids left for later.
    marginal : dict or None
        The next project for the next rupiah: the not-selected project (with any prerequisite
        not bought yet) of the best benefit per rupiah: ``asset_id``, ``with_prerequisites``,
        ``cost_idr``, ``benefit``, ``benefit_per_billion_idr``, ``extra_budget_idr`` (cost
        beyond the leftover).
    precedence : tuple of (asset_id, requires)
        The precedence pairs applied.
    runtime_s : float
    solver : str
    """

    budget_idr: float
    selected: tuple[Any, ...]
    cost_idr: float
    benefit: float
    bound: float
    gap: float
    status: str
    leftover_idr: float
    not_selected: tuple[Any, ...]
    marginal: dict[str, Any] | None
    precedence: tuple[tuple[Any, Any], ...] = ()
    runtime_s: float = 0.0
    solver: str = "highs (siting.solvers.solve_milp)"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, max_ids: int = 200) -> dict[str, Any]:
        """JSON-ready summary (id lists cut at ``max_ids``)."""
        return {
            "budget_idr": self.budget_idr, "cost_idr": self.cost_idr,
            "benefit": round(self.benefit, 9), "bound": round(self.bound, 9),
            "gap": round(self.gap, 9), "status": self.status,
            "leftover_idr": self.leftover_idr, "n_selected": len(self.selected),
            "selected": [str(x) for x in self.selected[:max_ids]],
            "n_not_selected": len(self.not_selected),
            "marginal": self.marginal, "n_precedence": len(self.precedence),
            "runtime_s": round(self.runtime_s, 4), "solver": self.solver,
        }


def _solve(c: np.ndarray, constraints: list[LinearConstraint], n: int, *, time_limit_s: float,
           mip_rel_gap: float) -> tuple[np.ndarray, float, float, float, str, float]:
    """Solve the 0/1 programme through the solver core (HiGHS)."""
    o = solve_milp(c, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, 1),
                   sense="max", time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    if o.x is None:
        raise InfeasibleProblemError(
            f"budget selection: the solver returned no solution (status {o.status}: "
            f"{o.message}). Raise time_limit_s.")
    return (np.asarray(o.x), float(o.objective), float(o.bound), float(o.gap), str(o.status),
            float(o.runtime_s))


def select_budget(
    benefit: pd.Series,
    cost_idr: pd.Series,
    budget_idr: float,
    *,
    requires: Iterable[tuple[Any, Any]] = (),
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-6,
) -> BudgetResult:
    """Choose the projects that maximise total benefit within a budget, with precedence.

    Parameters
    ----------
    benefit : Series
        Benefit per project (the priority score), indexed by asset id; >= 0.
    cost_idr : Series
        Cost per project (rupiah), same index; finite and >= 0.
    budget_idr : float
        The budget (rupiah), > 0.
    requires : iterable of (asset_id, required_asset_id), keyword-only
        ``x_asset <= x_required``: a road behind a bridge is bought only with the bridge.
        Pairs naming unknown ids are errors.
    time_limit_s, mip_rel_gap : float, keyword-only
        Solver limits.

    Returns
    -------
    BudgetResult

    Raises
    ------
    ParameterError
        ``budget_idr`` <= 0 or not finite.
    SchemaError
        Missing or negative costs (the message lists the ids), indexes that differ, a
        precedence pair with an unknown id.
    InfeasibleProblemError
        The solver returned no solution.
    """
    if not (np.isfinite(budget_idr) and budget_idr > 0):
        raise ParameterError(f"budget_idr: expected a budget > 0 rupiah, found {budget_idr}.")
    if not benefit.index.equals(cost_idr.index):
        raise SchemaError("select_budget: benefit and cost_idr must share one index (asset ids).")
    ids = benefit.index.to_numpy(object)
    c = pd.to_numeric(cost_idr, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(c) | (c < 0)
    if bad.any():
        raise SchemaError(
            f"cost_idr: expected a cost >= 0 rupiah for every project when a budget is given, "
            f"found {int(bad.sum())} missing or negative: {[str(x) for x in ids[bad][:10]]}. "
            "Fill the cost column or give a unit cost for their asset type (unit_costs_idr).")
    b = np.clip(pd.to_numeric(benefit, errors="coerce").fillna(0.0).to_numpy(float), 0, None)
    pos = {a: i for i, a in enumerate(ids)}
    pairs = [(a, r) for a, r in requires]
    unknown = sorted({str(x) for p in pairs for x in p if x not in pos})
    if unknown:
        raise SchemaError(f"requires: unknown asset ids {unknown[:10]}.")
    n = len(ids)
    if n == 0:
        return BudgetResult(float(budget_idr), (), 0.0, 0.0, 0.0, 0.0, "empty", float(budget_idr),
                            (), None)
    rows = [sparse.csr_matrix(c[None, :])]
    cons = [LinearConstraint(rows[0], -np.inf, float(budget_idr))]
    if pairs:
        k = len(pairs)
        ia = np.array([pos[a] for a, _ in pairs])
        ib = np.array([pos[r] for _, r in pairs])
        m = sparse.csr_matrix((np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k),
                               np.arange(k)], np.r_[ia, ib])), shape=(k, n))
        cons.append(LinearConstraint(m, -np.inf, 0.0))
    x, obj, bound, gap, status, rt = _solve(b, cons, n, time_limit_s=time_limit_s,
                                                    mip_rel_gap=mip_rel_gap)
    sel = np.round(x).astype(bool)
    cost = float(c[sel].sum())
    leftover = float(budget_idr) - cost
    # the marginal project: best benefit per rupiah among the rest, with its missing prerequisites
    need: dict[int, list[int]] = {}
    for a, r in pairs:
        need.setdefault(pos[a], []).append(pos[r])
    best: dict[str, Any] | None = None
    best_key: tuple[float, str] | None = None
    for i in np.flatnonzero(~sel):
        pack, stack = {int(i)}, [int(i)]
        while stack:
            for j in need.get(stack.pop(), []):
                if not sel[j] and j not in pack:
                    pack.add(j)
                    stack.append(j)
        pc = float(c[list(pack)].sum())
        pb = float(b[list(pack)].sum())
        ratio = pb / pc if pc > 0 else np.inf
        key = (-ratio, str(ids[i]))
        if pb > 0 and (best_key is None or key < best_key):
            best_key = key
            best = {"asset_id": str(ids[i]),
                    "with_prerequisites": [str(ids[j]) for j in sorted(pack - {int(i)})],
                    "cost_idr": pc, "benefit": round(pb, 9),
                    "benefit_per_billion_idr": (round(pb / pc * 1e9, 9) if pc > 0 else None),
                    "extra_budget_idr": max(pc - leftover, 0.0)}
    return BudgetResult(
        budget_idr=float(budget_idr), selected=tuple(ids[sel]), cost_idr=cost,
        benefit=float(b[sel].sum()), bound=max(bound, float(b[sel].sum())),
        gap=max(gap, 0.0), status=status, leftover_idr=leftover,
        not_selected=tuple(ids[~sel]), marginal=best, precedence=tuple(pairs), runtime_s=rt)
