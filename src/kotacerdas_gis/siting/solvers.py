"""One solver core for siting: coverage, set cover, p-median and p-center.

Every model works on sparse matrices (``scipy.sparse``) of *demand rows* x
*candidate columns*, so that 20,000 candidates x 200,000 demand points fit in
memory; nothing is ever densified. Every answer is a :class:`SolverResult` that
carries its objective, a proven bound on the optimum, the relative gap between
them, the solver, its status, the runtime and the parameters used.

* :func:`mclp` -- maximal covering (most weight covered by ``p`` sites, or
  within a budget), optionally capacitated. A greedy with exact incremental
  marginal gains gives the ``(1 - 1/e)`` guarantee and the tighter online
  bound (value of any greedy prefix plus the sum of its top-``p`` marginal
  gains, Minoux 1978 / Leskovec et al. 2007). The uncapacitated cardinality
  model is then solved exactly when it fits (:data:`MILP_MAX_PAIRS`): identical
  demand rows merged, rows no candidate covers dropped, dominated candidates
  dropped (exact, see :func:`_undominated_columns`), the bound rounded down to
  an integer for integer weights, the HiGHS LP relaxation as the bound and its
  rounding as a primal (usually proven optimal there), and only then the MILP
  with the best primal as HiGHS's first incumbent (``highspy``); larger
  instances get the Lagrangian (= LP) bound by subgradient.
* :func:`lscp` -- location set covering (fewest sites, or least cost, so that
  every demand row is covered): set-cover MILP with a greedy fallback.
* :func:`p_median` -- least weighted travel cost with ``p`` sites, on the
  stored (allowed) pairs only: savings greedy and locate-allocate, the
  Lagrangian relaxation (subgradient) for a lower bound and primal solutions,
  then vertex substitution (Teitz-Bart, fast swap evaluation) from the best of
  them for the answer; exact MILP where it fits; capacitated by MILP.
* :func:`p_center` -- smallest worst travel cost: binary search over the
  distinct costs with an exact set-cover feasibility test.
* :func:`solve_milp` -- a thin wrapper of ``scipy.optimize.milp`` (HiGHS) that
  reports the objective, the dual bound, the gap and the status.

Conventions
-----------
* Identical demand rows (same coverage pattern) are merged before solving;
  results are reported per original row.
* Ties are broken by the lowest candidate index, so the answer is
  deterministic and does not depend on the order of the demand rows (order the
  candidate columns by id).
* A sparse *cost* matrix stores the allowed pairs only: a pair that is not
  stored cannot be assigned. A cost of zero must be an **explicitly stored
  zero** (``scipy.sparse.csr_matrix((data, indices, indptr))`` keeps it; do not
  call ``eliminate_zeros``).

Examples
--------
Three demand points, two candidates; candidate 0 covers rows 0 and 1 (weights
5 and 3), candidate 1 covers row 2 (weight 4). One site: candidate 0 (8 of 12).

>>> import numpy as np
>>> from scipy import sparse
>>> cov = sparse.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]], dtype=bool))
>>> res = mclp(cov, np.array([5.0, 3.0, 4.0]), p=1)
>>> res.selected.tolist(), res.objective, res.gap
([0], 8.0, 0.0)
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from kotacerdas_gis.errors import InfeasibleProblemError, ParameterError

__all__ = [
    "SolverResult",
    "MilpOutcome",
    "coverage_matrix",
    "mclp",
    "lscp",
    "p_median",
    "p_center",
    "solve_milp",
]

log = logging.getLogger(__name__)

#: Largest MILP (number of stored pairs of the merged problem) that the "auto"
#: method attempts after the heuristic; larger instances keep the heuristic and
#: its bound.
MILP_MAX_PAIRS = 150_000
#: Largest problem for which an LP-relaxation bound is computed when the
#: greedy bound is not tight enough and the MILP is too large.
LP_MAX_PAIRS = 1_500_000
#: Largest uncapacitated p-median (stored pairs) that "auto" hands to the MILP after the
#: Lagrangian; HiGHS stalls on larger ones (90,000 pairs: no bound in 150 s).
PMEDIAN_MILP_MAX_PAIRS = 20_000
#: Distinct Lagrangian primal solutions (best first) that the p-median vertex substitution
#: (:func:`_swap_search`) starts from, within the time limit.
SWAP_STARTS = 8
_TIE_RTOL = 1e-9
_GREEDY_FACTOR = 1.0 - 1.0 / math.e


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SolverResult:
    """The answer of one siting model, with its proven quality.

    Attributes
    ----------
    model : str
        ``"mclp"``, ``"lscp"``, ``"p_median"`` or ``"p_center"``.
    sense : str
        ``"max"`` or ``"min"``.
    selected : numpy.ndarray
        int64 candidate (column) indices chosen, fixed ones included: fixed
        first then greedy order for greedy answers, else sorted.
    objective : float
        Value of the returned solution: weight covered (MCLP), number of sites
        or their total cost (LSCP), sum of weight x cost (p-median), largest
        cost (p-center).
    bound : float
        A proven bound on the optimum: upper for ``max``, lower for ``min``.
    gap : float
        Relative gap in [0, 1]: ``(bound - objective) / bound`` for ``max``,
        ``(objective - bound) / objective`` for ``min`` (0 when both are 0).
    solver : str
        ``"greedy"``, ``"highs_milp"``, ``"lagrangian"``, ``"binary_search_milp"``...
    status : str
        ``"optimal"`` (gap 0), ``"gap_limit"`` (gap within the requested
        tolerance), ``"time_limit"`` (stopped by the time limit) or
        ``"heuristic"`` (no exact solver run; the bound still holds).
    runtime_s : float
        Wall time in seconds.
    parameters : Mapping
        The parameters used and the problem sizes.
    marginal_gain : numpy.ndarray or None
        Per entry of ``selected`` (greedy order): the objective gained when it
        was added. Greedy coverage answers only.
    assignment : numpy.ndarray or None
        Per demand row: the serving candidate index, -1 for none.
    flow : scipy.sparse.csr_matrix or None
        Demand x candidates: weight assigned per pair (capacitated models,
        where a demand row may be split between sites).
    """

    model: str
    sense: str
    selected: np.ndarray
    objective: float
    bound: float
    gap: float
    solver: str
    status: str
    runtime_s: float
    parameters: Mapping[str, Any]
    marginal_gain: np.ndarray | None = None
    assignment: np.ndarray | None = None
    flow: sparse.csr_matrix | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (no arrays except short lists).

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import sparse
        >>> cov = sparse.csr_matrix(np.eye(2, dtype=bool))
        >>> d = mclp(cov, np.array([1.0, 2.0]), p=1).to_dict()
        >>> d["selected"], d["objective"], d["status"]
        ([1], 2.0, 'optimal')
        """
        out: dict[str, Any] = {
            "model": self.model,
            "sense": self.sense,
            "n_selected": int(len(self.selected)),
            "selected": [int(v) for v in self.selected[:1000]],
            "objective": _jsonable(self.objective),
            "bound": _jsonable(self.bound),
            "gap": _jsonable(self.gap),
            "solver": self.solver,
            "status": self.status,
            "runtime_s": round(float(self.runtime_s), 4),
            "parameters": {str(k): _jsonable(v) for k, v in self.parameters.items()},
        }
        if self.marginal_gain is not None:
            out["marginal_gain"] = [_jsonable(v) for v in self.marginal_gain[:1000]]
        return out


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned for one MILP (see :func:`solve_milp`).

    Attributes
    ----------
    x : numpy.ndarray or None
        The best solution found, None when there is none.
    objective : float
        Its objective in the caller's sense (NaN without a solution).
    bound : float
        The dual bound (upper for max, lower for min); +/-inf when unknown.
    gap : float
        Relative gap in [0, 1] (1 when unknown).
    status : str
        ``"optimal"``, ``"gap_limit"``, ``"time_limit"``, ``"infeasible"``,
        ``"unbounded"`` or ``"error"``.
    runtime_s : float
        Wall time in seconds.
    message : str
        HiGHS's message.
    """

    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: str
    runtime_s: float
    message: str = ""


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()[:1000]]
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in list(v)[:1000]]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, str):
        return v
    return str(v)


def _gap(objective: float, bound: float, sense: str) -> float:
    """Relative gap in [0, 1] between a solution value and a bound."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return 1.0
    if sense == "max":
        if bound <= 0.0:
            return 0.0 if objective >= bound else 1.0
        g = (bound - objective) / bound
    else:
        if objective <= 0.0:
            return 0.0
        g = (objective - bound) / objective
    return float(min(max(g, 0.0), 1.0))


def _status(gap: float, tol: float, exact_ran: bool, hit_time: bool) -> str:
    if gap <= 1e-12:
        return "optimal"
    if gap <= tol:
        return "gap_limit"
    if hit_time:
        return "time_limit"
    return "heuristic"


# --------------------------------------------------------------------------- checks


def _check_time(time_limit_s: float) -> float:
    try:
        t = float(time_limit_s)
    except (TypeError, ValueError):
        t = float("nan")
    if not math.isfinite(t) or t <= 0:
        raise ParameterError(
            f"time_limit_s must be a finite number of seconds > 0; got {time_limit_s!r}. "
            "Pass for example time_limit_s=30."
        )
    return t


def _check_gap_tol(mip_rel_gap: float) -> float:
    g = float(mip_rel_gap)
    if not math.isfinite(g) or g < 0 or g >= 1:
        raise ParameterError(f"mip_rel_gap must be in [0, 1); got {mip_rel_gap!r}.")
    return g


def _as_csr(m: Any, name: str) -> sparse.csr_matrix:
    if sparse.issparse(m):
        out = sparse.csr_matrix(m)
    else:
        a = np.asarray(m)
        if a.ndim != 2:
            raise ParameterError(
                f"{name} must be a 2-D demand x candidates matrix; got shape {a.shape}."
            )
        out = sparse.csr_matrix(a)
    if out.ndim != 2 or out.shape[0] == 0 or out.shape[1] == 0:
        raise ParameterError(
            f"{name} must have at least one demand row and one candidate column; "
            f"got shape {out.shape}."
        )
    out.sum_duplicates()
    out.sort_indices()
    return out


def _as_coverage(coverage: Any) -> sparse.csr_matrix:
    c = _as_csr(coverage, "coverage")
    if c.dtype != bool:
        d = np.asarray(c.data)
        if np.issubdtype(d.dtype, np.number) and not np.all(np.isfinite(d)):
            raise ParameterError("coverage must hold 0/1 or booleans; found NaN or inf.")
        c = sparse.csr_matrix((d != 0, c.indices, c.indptr), shape=c.shape)
    c.eliminate_zeros()
    c.sort_indices()
    return sparse.csr_matrix(
        (np.ones(c.nnz, dtype=np.float64), c.indices.astype(np.int64), c.indptr.astype(np.int64)),
        shape=c.shape,
    )


def _as_cost(cost: Any) -> sparse.csr_matrix:
    c = _as_csr(cost, "cost")
    d = np.asarray(c.data, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ParameterError(
            "cost must hold finite travel costs on the allowed pairs; found NaN or inf. "
            "Leave a pair out of the sparse matrix when it is not allowed."
        )
    if np.any(d < 0):
        raise ParameterError(f"cost must be >= 0; found {int((d < 0).sum())} negative entries.")
    return sparse.csr_matrix(
        (d, c.indices.astype(np.int64), c.indptr.astype(np.int64)), shape=c.shape
    )


def _check_weights(weights: Any, n: int, *, name: str = "weights") -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) != n:
        raise ParameterError(
            f"{name} must be one value per demand row ({n}); got shape {w.shape}. "
            "Pass an array aligned with the matrix rows."
        )
    if np.isnan(w).any():
        raise ParameterError(
            f"{name} holds {int(np.isnan(w).sum())} NaN values; fill them (for example 0) first."
        )
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ParameterError(f"{name} must be finite and >= 0; found negative or infinite values.")
    if w.sum() <= 0:
        raise ParameterError(
            f"{name} sum to zero: there is no demand to serve. Check the demand column."
        )
    return w


def _check_fixed(fixed: Any, n_c: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    f = np.asarray(fixed)
    if f.size == 0:
        return np.zeros(0, dtype=np.int64)
    if f.dtype == bool:
        if len(f) != n_c:
            raise ParameterError(f"fixed as a mask must have {n_c} entries; got {len(f)}.")
        return np.flatnonzero(f).astype(np.int64)
    if not np.issubdtype(f.dtype, np.integer):
        if np.issubdtype(f.dtype, np.floating) and np.all(f == np.round(f)):
            f = f.astype(np.int64)
        else:
            raise ParameterError(f"fixed must be candidate indices (integers); got {f.dtype}.")
    f = f.astype(np.int64).ravel()
    if (f < 0).any() or (f >= n_c).any():
        raise ParameterError(
            f"fixed holds candidate indices outside 0..{n_c - 1}: "
            f"{sorted(set(f[(f < 0) | (f >= n_c)].tolist()))[:10]}."
        )
    if len(np.unique(f)) != len(f):
        raise ParameterError("fixed lists a candidate more than once.")
    return f


def _check_p(p: Any, n_c: int, n_fixed: int) -> int:
    if p is None or isinstance(p, bool) or not float(p).is_integer():
        raise ParameterError(f"p must be a whole number of sites; got {p!r}.")
    pi = int(p)
    if pi <= 0:
        raise ParameterError(f"p must be >= 1 (number of sites, fixed ones included); got {pi}.")
    if pi > n_c:
        raise ParameterError(
            f"p = {pi} sites asked but there are only {n_c} candidates; "
            "lower p or add candidates."
        )
    if pi < n_fixed:
        raise ParameterError(
            f"p = {pi} counts the fixed sites too, but {n_fixed} sites are fixed; "
            f"pass p >= {n_fixed}."
        )
    return pi


def _check_per_candidate(values: Any, n_c: int, name: str, *, positive: bool = False) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) != n_c:
        raise ParameterError(
            f"{name} must be one value per candidate ({n_c}); got shape {v.shape}."
        )
    if not np.all(np.isfinite(v)) or (v < 0).any():
        raise ParameterError(f"{name} must be finite and >= 0; found NaN, inf or negatives.")
    if positive and (v <= 0).any():
        raise ParameterError(f"{name} must be > 0 for every candidate.")
    return v


def _describe_rows(rows: np.ndarray, what: str) -> str:
    head = ", ".join(str(int(r)) for r in rows[:20])
    more = f" and {len(rows) - 20} more" if len(rows) > 20 else ""
    return f"{len(rows)} demand row(s) {what}: {head}{more}"


# --------------------------------------------------------------------------- sparse helpers


def _row_entries(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the stored entries of ``rows`` and the position in ``rows``."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    tot = int(lens.sum())
    if tot == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    out_start = np.cumsum(lens) - lens
    offs = np.repeat(starts - out_start, lens) + np.arange(tot)
    return offs, np.repeat(np.arange(len(rows)), lens)


def coverage_matrix(cost: sparse.spmatrix, *, max_cost: float) -> sparse.csr_matrix:
    """Boolean coverage of demand rows by candidates within a cost limit.

    Parameters
    ----------
    cost : scipy.sparse matrix, shape (n_demand, n_candidates)
        Travel cost (for example minutes) of the allowed pairs. Only stored
        entries count; a pair with cost 0 must be an explicitly stored zero
        (absent entries mean "not reachable").
    max_cost : float
        A pair covers when its stored cost is ``<= max_cost`` (same unit).

    Returns
    -------
    scipy.sparse.csr_matrix of bool, shape (n_demand, n_candidates)

    Raises
    ------
    ParameterError
        ``max_cost`` negative or not finite, NaN or negative costs.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_matrix((np.array([0.0, 4.0, 9.0]), np.array([0, 1, 1]),
    ...                        np.array([0, 2, 3])), shape=(2, 2))
    >>> coverage_matrix(c, max_cost=5.0).toarray().tolist()
    [[True, True], [False, False]]
    """
    t = float(max_cost)
    if not math.isfinite(t) or t < 0:
        raise ParameterError(f"max_cost must be finite and >= 0; got {max_cost!r}.")
    c = _as_cost(cost)
    keep = c.data <= t
    rid = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
    out = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (rid[keep], c.indices[keep])),
                            shape=c.shape)
    out.sort_indices()
    return out


@dataclass
class _Merged:
    """Demand rows merged by identical coverage pattern."""

    cov: sparse.csr_matrix     # groups x candidates (float ones)
    csc: sparse.csc_matrix
    w: np.ndarray              # weight per group
    group: np.ndarray          # per original row: group index, -1 for rows with no candidate
    nnz_row: np.ndarray        # per group


def _merge_rows(cov: sparse.csr_matrix, w: np.ndarray) -> _Merged:
    n, n_c = cov.shape
    indptr, indices = cov.indptr, cov.indices
    nnz_row = np.diff(indptr)
    nonempty = nnz_row > 0
    rng = np.random.default_rng(20240717)
    r1 = rng.integers(1, 2**62, size=n_c, dtype=np.uint64)
    r2 = rng.integers(1, 2**62, size=n_c, dtype=np.uint64)
    h1 = np.zeros(n, dtype=np.uint64)
    h2 = np.zeros(n, dtype=np.uint64)
    if cov.nnz:
        starts = indptr[:-1][nonempty]
        with np.errstate(over="ignore"):
            h1[nonempty] = np.add.reduceat(r1[indices], starts)
            h2[nonempty] = np.add.reduceat(r2[indices] * r1[indices], starts)
    order = np.lexsort((h2, h1, nnz_row))
    k1, k2, k3 = nnz_row[order], h1[order], h2[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (k1[1:] != k1[:-1]) | (k2[1:] != k2[:-1]) | (k3[1:] != k3[:-1])
    gid_sorted = np.cumsum(new) - 1
    group = np.empty(n, dtype=np.int64)
    group[order] = gid_sorted
    rep = order[new]
    # verify the hash grouping exactly (a collision is astronomically unlikely)
    pos_r, _ = _row_entries(indptr, indices, rep[group])
    if cov.nnz and not np.array_equal(indices, indices[pos_r]):
        keys: dict[bytes, int] = {}
        group = np.empty(n, dtype=np.int64)
        reps: list[int] = []
        for i in np.lexsort((np.arange(n), nnz_row)):
            k = indices[indptr[i]:indptr[i + 1]].tobytes()
            if k not in keys:
                keys[k] = len(reps)
                reps.append(int(i))
            group[i] = keys[k]
        rep = np.asarray(reps, dtype=np.int64)
    n_g = len(rep)
    # weights summed in a canonical order (independent of the input row order)
    o2 = np.lexsort((w, group))
    gs = group[o2]
    first = np.ones(n, dtype=bool)
    first[1:] = gs[1:] != gs[:-1]
    wg = np.add.reduceat(w[o2], np.flatnonzero(first)) if n else np.zeros(0)
    mcov = cov[rep]
    # drop the group of empty rows
    empty_g = np.flatnonzero(nnz_row[rep] == 0)
    if len(empty_g):
        keep = np.ones(n_g, dtype=bool)
        keep[empty_g] = False
        remap = np.cumsum(keep) - 1
        remap[~keep] = -1
        group = remap[group]
        mcov = mcov[keep]
        wg = wg[keep]
    mcov = sparse.csr_matrix(mcov)
    mcov.sort_indices()
    return _Merged(cov=mcov, csc=mcov.tocsc(), w=np.asarray(wg, dtype=np.float64), group=group,
                   nnz_row=np.diff(mcov.indptr))


def _covered_value(m: _Merged, sel: np.ndarray) -> tuple[float, np.ndarray]:
    cov = np.zeros(m.cov.shape[0], dtype=bool)
    for j in sel:
        cov[m.csc.indices[m.csc.indptr[j]:m.csc.indptr[j + 1]]] = True
    return float(m.w[cov].sum()), cov


# --------------------------------------------------------------------------- greedy


@dataclass
class _GreedyOut:
    selected: np.ndarray
    gains: np.ndarray
    value: float
    bound: float
    covered: np.ndarray


def _fractional_knapsack(gains: np.ndarray, costs: np.ndarray, cap: float) -> float:
    pos = gains > 0
    g, c = gains[pos], costs[pos]
    free = c <= 0
    total = float(g[free].sum())
    g, c = g[~free], c[~free]
    if len(g) == 0:
        return total
    order = np.argsort(-(g / c), kind="stable")
    cc = np.cumsum(c[order])
    k = int(np.searchsorted(cc, cap, side="right"))
    total += float(g[order[:k]].sum())
    if k < len(g):
        prev = cc[k - 1] if k > 0 else 0.0
        total += float(g[order[k]] * (cap - prev) / c[order[k]])
    return total


def _greedy_cover(m: _Merged, *, n_pick: int | None, fixed: np.ndarray,
                  costs: np.ndarray | None = None, budget: float | None = None,
                  ratio: bool = False) -> _GreedyOut:
    """Greedy maximal coverage with exact incremental gains and the online bound.

    ``n_pick`` sites are added to ``fixed`` (cardinality), or sites are added
    while the budget allows (``costs``/``budget``; by gain/cost if ``ratio``).
    """
    n_g, n_c = m.cov.shape
    w = m.w
    covered = np.zeros(n_g, dtype=bool)
    gains = np.bincount(m.cov.indices, weights=np.repeat(w, m.nnz_row), minlength=n_c)
    is_sel = np.zeros(n_c, dtype=bool)
    sel: list[int] = []
    sel_gain: list[float] = []
    value = 0.0

    def add(j: int) -> float:
        nonlocal value
        rows = m.csc.indices[m.csc.indptr[j]:m.csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        covered[new] = True
        g = float(w[new].sum())
        value += g
        if len(new):
            offs, pos = _row_entries(m.cov.indptr, m.cov.indices, new)
            gains[:] -= np.bincount(m.cov.indices[offs], weights=w[new][pos], minlength=n_c)
            np.maximum(gains, 0.0, out=gains)
        gains[j] = 0.0
        is_sel[j] = True
        sel.append(j)
        sel_gain.append(g)
        return g

    for j in fixed:
        add(int(j))

    k_free = n_pick if n_pick is not None else 0
    spent = 0.0

    def online_bound() -> float:
        if n_pick is not None:
            if k_free <= 0:
                return value
            g = gains[~is_sel]
            if k_free >= len(g):
                return value + float(g.sum())
            return value + float(np.partition(g, len(g) - k_free)[len(g) - k_free:].sum())
        assert costs is not None and budget is not None
        return value + _fractional_knapsack(np.where(is_sel, 0.0, gains), costs, budget)

    bound = online_bound()
    steps = 0
    while True:
        if n_pick is not None and steps >= n_pick:
            break
        elig = ~is_sel
        if budget is not None:
            assert costs is not None
            elig &= costs <= budget - spent + 1e-12
        if not elig.any():
            break
        if ratio and costs is not None:
            score = np.where(costs > 0, gains / np.where(costs > 0, costs, 1.0),
                             np.where(gains > 0, np.inf, 0.0))
        else:
            score = gains
        score = np.where(elig, score, -np.inf)
        j = int(np.argmax(score))
        top = score[j]
        if budget is not None and gains[j] <= 0:
            break
        if top > 0 and math.isfinite(top):
            ties = np.flatnonzero(score >= top - _TIE_RTOL * top)
            if 1 < len(ties) <= 2000:
                exact = np.array([
                    w[r[~covered[r]]].sum() for r in (
                        m.csc.indices[m.csc.indptr[t]:m.csc.indptr[t + 1]] for t in ties)
                ])
                if ratio and costs is not None:
                    exact = np.where(costs[ties] > 0, exact / np.where(costs[ties] > 0,
                                                                       costs[ties], 1.0), np.inf)
                j = int(ties[int(np.argmax(exact))])
        add(j)
        if costs is not None:
            spent += float(costs[j])
        steps += 1
        bound = min(bound, online_bound())
    return _GreedyOut(selected=np.asarray(sel, dtype=np.int64),
                      gains=np.asarray(sel_gain, dtype=np.float64), value=value,
                      bound=max(bound, value), covered=covered)


def _mclp_swap(m: _Merged, selected: np.ndarray, fixed: np.ndarray, deadline: float,
               max_swaps: int = 10_000) -> np.ndarray:
    """Best-improvement swaps for the cardinality MCLP (the coverage analogue of Teitz-Bart).

    With ``cnt_u`` the open sites covering merged row ``u`` and ``f1_u`` the one open site of
    a row covered once, the gain of swapping ``j`` (open, not fixed) for ``i`` (closed) is
    ``gain(i) - loss(j) + extra(i, j)``: ``gain(i)`` the weight of the uncovered rows ``i``
    covers, ``loss(j)`` the weight of the rows only ``j`` covers and ``extra(i, j)`` the part
    of those that ``i`` covers too. The best positive swap is applied until none is left,
    the deadline or ``max_swaps``. Returns the selection (sorted).
    """
    n_g, n_c = m.cov.shape
    rid = np.repeat(np.arange(n_g), m.nnz_row)
    cid = m.cov.indices
    is_open = np.zeros(n_c, dtype=bool)
    is_open[selected] = True
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[fixed] = True
    for _ in range(max_swaps):
        if time.perf_counter() > deadline:
            break
        oe = is_open[cid]
        cnt = np.bincount(rid[oe], minlength=n_g)
        f1 = np.full(n_g, -1, dtype=np.int64)
        once = oe & (cnt[rid] == 1)
        f1[rid[once]] = cid[once]
        opened = np.flatnonzero(is_open)
        slot = np.full(n_c, -1, dtype=np.int64)
        slot[opened] = np.arange(len(opened))
        k = len(opened)
        zero = cnt[rid] == 0
        gain = np.bincount(cid[zero], weights=m.w[rid[zero]], minlength=n_c).astype(np.float64)
        one = cnt == 1
        loss = np.bincount(slot[f1[one]], weights=m.w[one], minlength=k).astype(np.float64)
        ex = (cnt[rid] == 1) & ~oe
        extra = np.bincount(cid[ex] * k + slot[f1[rid[ex]]], weights=m.w[rid[ex]],
                            minlength=n_c * k).astype(np.float64).reshape(n_c, k)
        saving = gain[:, None] - loss[None, :] + extra
        saving[is_open, :] = -np.inf
        saving[:, is_fixed[opened]] = -np.inf
        b = int(np.argmax(saving))
        i, jj = divmod(b, k)
        if not saving[i, jj] > 1e-9 * max(1.0, float(m.w.sum())):
            break
        is_open[opened[jj]] = False
        is_open[i] = True
    return np.flatnonzero(is_open).astype(np.int64)


def _lagrangian_mclp_bound(m: _Merged, fixed: np.ndarray, n_pick: int, lower: float,
                           deadline: float, tol: float, max_iter: int = 400,
                           pool: list[tuple[float, np.ndarray]] | None = None
                           ) -> tuple[float, np.ndarray | None, float, int]:
    """Lagrangian (= LP) upper bound of the uncapacitated cardinality MCLP by subgradient.

    Relaxing ``z_i <= sum_j a_ij y_j`` with ``0 <= mu_i <= w_i`` gives
    ``L(mu) = sum_i (w_i - mu_i) + sum_j y_j (A^T mu)_j`` with the fixed sites and the
    ``n_pick`` largest other ``(A^T mu)_j``. Returns the best bound, the best primal selection
    seen (or None), its value and the iterations. Every fifth iteration's selection is
    evaluated; with ``pool`` each is appended as ``(value, selection)`` (swap starts).
    """
    n_g, n_c = m.cov.shape
    w = m.w
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[fixed] = True
    mu = w.copy()
    best = np.inf
    best_sel: np.ndarray | None = None
    best_val = lower
    theta = 1.0
    stall = 0
    rid = np.repeat(np.arange(n_g), m.nnz_row)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        col = np.bincount(m.cov.indices, weights=mu[rid], minlength=n_c)
        free = np.where(is_fixed, -np.inf, col)
        if n_pick > 0:
            top = np.argpartition(-free, n_pick - 1)[:n_pick] if n_pick < n_c else \
                np.flatnonzero(~is_fixed)
        else:
            top = np.zeros(0, dtype=np.int64)
        y = is_fixed.copy()
        y[top] = True
        lag = float((w - mu).sum() + col[y].sum())
        if not math.isfinite(best) or lag < best - 1e-12 * max(1.0, abs(best)):
            best = lag
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta /= 2.0
                stall = 0
        if it % 5 == 1:
            sel = np.flatnonzero(y)
            val, _ = _covered_value(m, sel)
            if pool is not None:
                pool.append((val, sel))
            if val > best_val:
                best_val, best_sel = val, sel
        if _gap(best_val, best, "max") <= tol or theta < 1e-4 or time.perf_counter() > deadline:
            break
        ay = np.bincount(rid, weights=y[m.cov.indices].astype(float), minlength=n_g)
        z = (w - mu) > 0
        g = ay - z  # dL/dmu
        # projection onto the box: components that would leave it do not count in the norm
        g = np.where(((mu <= 0) & (g > 0)) | ((mu >= w) & (g < 0)), 0.0, g)
        nrm = float(g @ g)
        if nrm == 0:
            break
        step = theta * (lag - best_val) / nrm
        mu = np.clip(mu - step * g, 0.0, w)
    return best, best_sel, best_val, it


# --------------------------------------------------------------------------- MILP


def solve_milp(
    c: Any,
    *,
    constraints: LinearConstraint | Sequence[LinearConstraint],
    integrality: Any,
    bounds: Bounds | None,
    sense: Literal["min", "max"] = "min",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-4,
    initial: np.ndarray | None = None,
) -> MilpOutcome:
    """Solve a mixed-integer linear programme with HiGHS (``scipy.optimize.milp``).

    With ``initial`` (a feasible solution), the model goes to HiGHS through
    ``highspy`` instead, which accepts it as the first incumbent
    (``Highs.setSolution``): HiGHS prunes with it from the root node on. Without
    ``highspy`` installed (it is optional), ``initial`` is ignored.

    Parameters
    ----------
    c : array_like, shape (n,)
        Objective coefficients.
    constraints : LinearConstraint or sequence of them
        Sparse constraint matrices are fine (``scipy.sparse``).
    integrality : array_like of int, shape (n,)
        1 for integer variables, 0 for continuous ones (as in ``milp``).
    bounds : scipy.optimize.Bounds or None
        Variable bounds (None: ``0 <= x``).
    sense : {"min", "max"}
        Minimise or maximise ``c @ x``.
    time_limit_s : float
        Wall-time limit, seconds (> 0, finite).
    mip_rel_gap : float
        HiGHS stops when the relative gap is below this.
    initial : numpy.ndarray, optional
        A feasible solution (all variables) given to HiGHS as its first incumbent.

    Returns
    -------
    MilpOutcome
        ``x``, ``objective``, ``bound`` (dual bound in the caller's sense),
        ``gap``, ``status``, ``runtime_s``.

    Raises
    ------
    ParameterError
        Bad ``sense``, time limit or gap tolerance.

    Examples
    --------
    A 0/1 knapsack: values 6, 5, 4, weights 3, 2, 2, capacity 4 -> items 1 and 2 (9).

    >>> import numpy as np
    >>> from scipy.optimize import Bounds, LinearConstraint
    >>> out = solve_milp(np.array([6.0, 5.0, 4.0]), sense="max",
    ...                  constraints=LinearConstraint(np.array([[3.0, 2.0, 2.0]]), -np.inf, 4.0),
    ...                  integrality=np.ones(3), bounds=Bounds(0, 1))
    >>> out.x.round().tolist(), out.objective, out.status
    ([0.0, 1.0, 1.0], 9.0, 'optimal')
    """
    if sense not in ("min", "max"):
        raise ParameterError(f"sense must be 'min' or 'max'; got {sense!r}.")
    t = _check_time(time_limit_s)
    tol = _check_gap_tol(mip_rel_gap)
    cc = np.asarray(c, dtype=np.float64)
    sign = -1.0 if sense == "max" else 1.0
    integ = np.asarray(integrality)
    t0 = time.perf_counter()
    if initial is not None and _has_highspy():
        res = _highs_run(sign * cc, constraints, integ, bounds, t, tol,
                         np.asarray(initial, dtype=np.float64))
    else:
        res = milp(sign * cc, constraints=constraints, integrality=integ, bounds=bounds,
                   options={"time_limit": t, "mip_rel_gap": tol, "disp": False})
    rt = time.perf_counter() - t0
    if res.status == 2:
        return MilpOutcome(None, float("nan"), float("nan"), 1.0, "infeasible", rt, res.message)
    if res.status == 3:
        return MilpOutcome(None, float("nan"), float("nan"), 1.0, "unbounded", rt, res.message)
    x = None if res.x is None else np.asarray(res.x)
    obj = float(sign * res.fun) if x is not None and res.fun is not None else float("nan")
    db = getattr(res, "mip_dual_bound", None)
    if db is None or not np.isfinite(db):
        if res.status == 0 and x is not None:
            bound = obj
        else:
            bound = float("inf") if sense == "max" else float("-inf")
    else:
        bound = float(sign * db)
    if x is not None:
        bound = max(bound, obj) if sense == "max" else min(bound, obj)
    gap = _gap(obj, bound, sense) if x is not None else 1.0
    if res.status == 0:
        status = "optimal" if gap <= 1e-9 else "gap_limit"
    elif res.status == 1:
        status = "time_limit"
    else:
        status = "time_limit" if x is not None else "error"
    return MilpOutcome(x, obj, bound, gap, status, rt, str(res.message))


_HIGHS_BANNER_SHOWN = False


def _has_highspy() -> bool:
    """Whether ``highspy`` imports (an optional dependency: without it no incumbent is passed)."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def _quiet_highs() -> Any:
    """Return a ``highspy.Highs`` with output off (the first start-up banner to /dev/null).

    HiGHS prints its banner on the first construction in a process, before any option can
    be set; the file descriptor of stdout is pointed at /dev/null for that one call.
    """
    import highspy

    global _HIGHS_BANNER_SHOWN
    if _HIGHS_BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        try:
            saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except OSError:
            saved = null = -1
        if saved >= 0:
            os.dup2(null, 1)
        try:
            h = highspy.Highs()
        finally:
            if saved >= 0:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
        _HIGHS_BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class _HighsResult:
    """The fields of ``scipy.optimize.OptimizeResult`` that :func:`solve_milp` reads."""

    status: int
    x: np.ndarray | None
    fun: float | None
    mip_dual_bound: float | None
    message: str


def _highs_run(c: np.ndarray, constraints: LinearConstraint | Sequence[LinearConstraint],
               integ: np.ndarray, bounds: Bounds | None, time_limit_s: float, tol: float,
               initial: np.ndarray) -> _HighsResult:
    """Minimise ``c @ x`` with highspy, ``initial`` as the first incumbent (statuses as milp)."""
    import highspy

    cons = [constraints] if isinstance(constraints, LinearConstraint) else list(constraints)
    n = len(c)
    a = sparse.vstack([sparse.csr_matrix(k.A) for k in cons], format="csc")
    rlb = np.concatenate([np.broadcast_to(np.asarray(k.lb, dtype=np.float64), (k.A.shape[0],))
                          for k in cons])
    rub = np.concatenate([np.broadcast_to(np.asarray(k.ub, dtype=np.float64), (k.A.shape[0],))
                          for k in cons])
    if bounds is None:
        clb, cub = np.zeros(n), np.full(n, np.inf)
    else:
        clb = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,)).copy()
        cub = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,)).copy()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = c
    lp.col_lower_ = np.where(np.isfinite(clb), clb, -inf)
    lp.col_upper_ = np.where(np.isfinite(cub), cub, inf)
    lp.row_lower_ = np.where(np.isfinite(rlb), rlb, -inf)
    lp.row_upper_ = np.where(np.isfinite(rub), rub, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                       for v in integ]
    h = _quiet_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(tol))
    h.passModel(lp)
    sol = highspy.HighsSolution()
    sol.col_value = initial.tolist()
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    ok = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if ok else None
    fun = float(info.objective_function_value) if ok else None
    db = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    MS = highspy.HighsModelStatus
    if ms == MS.kOptimal:
        st = 0
    elif ms == MS.kInfeasible:
        st = 2
    elif ms in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        st = 3
    elif ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt):
        st = 1
    else:
        st = 4
    return _HighsResult(st, x, fun, db, h.modelStatusToString(ms))


# --------------------------------------------------------------------------- MCLP


def _undominated_columns(m: _Merged, fixed: np.ndarray, p: int) -> np.ndarray:
    """Candidates kept after dropping the dominated ones (cardinality MCLP, no capacities).

    Candidate ``i`` is dominated when another candidate ``k`` covers every (merged) row
    that ``i`` covers: ``|cov(i) & cov(k)| = |cov(i)|``, with ``k`` covering more rows, or
    as many and a lower index (identical columns: the lowest index stays). Dropping every
    dominated non-fixed candidate keeps the optimum when at least ``p`` candidates remain:
    in any solution a dropped ``i`` can be swapped for a kept superset ``k`` (the order
    "more rows, then lower index" is strict, so every chain of dominations ends at a kept
    candidate), or, when ``k`` is open already, for any kept unused candidate, and neither
    swap lowers the weight covered. Returns a boolean mask over the candidates (all True
    when fewer than ``p`` would remain).
    """
    n_c = m.cov.shape[1]
    a = sparse.csc_matrix(m.csc, dtype=np.float64)
    size = np.diff(a.indptr)
    inter = sparse.csr_matrix(a.T @ a)
    rid = np.repeat(np.arange(n_c), np.diff(inter.indptr))
    k = inter.indices
    dom = (rid != k) & (inter.data >= size[rid] - 0.5) & (
        (size[k] > size[rid]) | ((size[k] == size[rid]) & (k < rid)))
    keep = np.ones(n_c, dtype=bool)
    keep[np.unique(rid[dom])] = False
    keep[size == 0] = False
    keep[fixed] = True
    if int(keep.sum()) < p:
        return np.ones(n_c, dtype=bool)
    return keep


def _integral_weights(w: np.ndarray) -> bool:
    return bool(len(w) and np.all(w == np.round(w)) and float(np.abs(w).sum()) < 2**52)


def _floor_bound(bound: float, integral: bool) -> float:
    """Round an upper bound down to the integer below when the objective is integral.

    A relative 1e-7 (and absolute 1e-6) is added first, more than HiGHS's objective error,
    so a bound computed as 123829.9999999 for a true 123830 stays 123830.
    """
    if not integral or not math.isfinite(bound):
        return bound
    return float(math.floor(bound + 1e-7 * max(1.0, abs(bound)) + 1e-6))


def _sub_merged(m: _Merged, cols: np.ndarray) -> _Merged:
    """Restrict the merged problem to the candidate columns ``cols`` (rows kept)."""
    cov = sparse.csr_matrix(m.cov[:, cols])
    cov.sort_indices()
    return _Merged(cov=cov, csc=cov.tocsc(), w=m.w, group=m.group, nnz_row=np.diff(cov.indptr))


def _mclp_exact(m: _Merged, fx: np.ndarray, pp: int, incumbent: np.ndarray, value: float,
                bound: float, deadline: float, tol: float, params: dict[str, Any]
                ) -> tuple[np.ndarray, float, float, str, bool]:
    """Exact uncapacitated cardinality MCLP: reductions, LP bound and rounding, then HiGHS.

    1. dominated candidates are dropped (:func:`_undominated_columns`; exact);
    2. the LP relaxation (HiGHS dual simplex) gives an upper bound, rounded down to an
       integer when every weight is an integer; its ``p`` largest ``y`` give a primal
       solution;
    3. when the best primal does not meet the bound, the MILP on the reduced candidates
       runs with the best primal as HiGHS's first incumbent (``highspy``).

    Returns the selection, its value, the bound, the stage that decided and whether the
    time limit stopped the MILP.
    """
    n_c = m.cov.shape[1]
    integral = _integral_weights(m.w)
    keep = _undominated_columns(m, fx, pp)
    cols = np.flatnonzero(keep)
    params["n_candidates_undominated"] = int(len(cols))
    r = _sub_merged(m, cols)
    pos = np.full(n_c, -1, dtype=np.int64)
    pos[cols] = np.arange(len(cols))
    fx_r = pos[fx]
    stage = "greedy"
    bound = _floor_bound(bound, integral)
    sel, hit = incumbent, False
    if _gap(value, bound, "max") <= tol:
        return sel, value, bound, stage, hit
    remaining = deadline - time.perf_counter()
    lp = _mclp_milp(r, fx_r, p=pp, costs=None, budget=None, capacities=None,
                    time_limit_s=max(remaining, 0.05), mip_rel_gap=tol, lp_only=True)
    if lp.status in ("optimal", "gap_limit") and lp.x is not None:
        lp_bound = _floor_bound(lp.objective, integral)
        if lp_bound < bound:
            bound, stage = lp_bound, "lp_bound"
        y = lp.x[:len(cols)].copy()
        y[fx_r] = 2.0  # fixed first
        top = np.argsort(-y, kind="stable")[:pp]
        rs = np.sort(cols[top])
        rv, _ = _covered_value(m, rs)
        if rv > value:
            sel, value, stage = rs, rv, "lp_rounding"
    if _gap(value, bound, "max") <= tol:
        return sel, value, bound, stage, hit
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05:
        return sel, value, bound, stage, True
    y0 = np.zeros(len(cols))
    y0[pos[sel]] = 1.0
    _, covd = _covered_value(m, sel)
    out = _mclp_milp(r, fx_r, p=pp, costs=None, budget=None, capacities=None,
                     time_limit_s=remaining, mip_rel_gap=tol,
                     initial=np.concatenate([y0, covd.astype(np.float64)]))
    hit = out.status == "time_limit"
    if math.isfinite(out.bound):
        bound = min(bound, _floor_bound(out.bound, integral))
    if out.x is not None and out.objective > value + 1e-9 * max(1.0, abs(value)):
        ms = np.sort(cols[np.flatnonzero(out.x[:len(cols)] > 0.5)])
        mv, _ = _covered_value(m, ms)
        if mv > value:
            sel, value = ms, mv
    stage = "highs_milp"
    return sel, value, bound, stage, hit


def _mclp_milp(m: _Merged, fixed: np.ndarray, *, p: int | None, costs: np.ndarray | None,
               budget: float | None, capacities: np.ndarray | None, time_limit_s: float,
               mip_rel_gap: float, lp_only: bool = False,
               initial: np.ndarray | None = None) -> MilpOutcome:
    n_g, n_c = m.cov.shape
    y_lb = np.zeros(n_c)
    y_lb[fixed] = 1.0
    rows_c: list[LinearConstraint] = []
    if capacities is None:
        # variables: y (n_c), z (n_g) in [0, 1]; z_i <= sum_j a_ij y_j
        a = sparse.hstack([-m.cov, sparse.identity(n_g, format="csr")], format="csr")
        rows_c.append(LinearConstraint(a, -np.inf, 0.0))
        c = np.concatenate([np.zeros(n_c), m.w])
        ub = np.concatenate([np.ones(n_c), np.ones(n_g)])
        n_extra = n_g
    else:
        # variables: y (n_c), z_e per stored pair e=(i,j) >= 0 (people of i served by j)
        nnz = m.cov.nnz
        rid = np.repeat(np.arange(n_g), m.nnz_row)
        cid = m.cov.indices
        e = np.arange(nnz)
        # sum_j z_ij <= w_i
        a_row = sparse.csr_matrix((np.ones(nnz), (rid, n_c + e)), shape=(n_g, n_c + nnz))
        rows_c.append(LinearConstraint(a_row, -np.inf, m.w))
        # sum_i z_ij - cap_j y_j <= 0
        a_cap = sparse.csr_matrix(
            (np.concatenate([np.ones(nnz), -capacities]),
             (np.concatenate([cid, np.arange(n_c)]), np.concatenate([n_c + e, np.arange(n_c)]))),
            shape=(n_c, n_c + nnz))
        rows_c.append(LinearConstraint(a_cap, -np.inf, 0.0))
        # z_ij - w_i y_j <= 0 (strengthening)
        a_link = sparse.csr_matrix(
            (np.concatenate([np.ones(nnz), -m.w[rid]]),
             (np.concatenate([e, e]), np.concatenate([n_c + e, cid]))), shape=(nnz, n_c + nnz))
        rows_c.append(LinearConstraint(a_link, -np.inf, 0.0))
        c = np.concatenate([np.zeros(n_c), np.ones(nnz)])
        ub = np.concatenate([np.ones(n_c), m.w[rid]])
        n_extra = nnz
    if p is not None:
        rows_c.append(LinearConstraint(
            sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_extra)])[None, :]), p, p))
    else:
        assert costs is not None and budget is not None
        cy = costs.copy()
        cy[fixed] = 0.0
        rows_c.append(LinearConstraint(
            sparse.csr_matrix(np.concatenate([cy, np.zeros(n_extra)])[None, :]), -np.inf, budget))
    integ = np.concatenate([np.zeros(n_c) if lp_only else np.ones(n_c), np.zeros(n_extra)])
    return solve_milp(c, constraints=rows_c, integrality=integ,
                      bounds=Bounds(np.concatenate([y_lb, np.zeros(n_extra)]), ub), sense="max",
                      time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                      initial=None if lp_only else initial)


def _cap_greedy(m: _Merged, caps: np.ndarray, *, n_pick: int | None, fixed: np.ndarray,
                costs: np.ndarray | None, budget: float | None
                ) -> tuple[np.ndarray, np.ndarray, float, sparse.csr_matrix]:
    """Capacitated coverage greedy: each new site takes up to its capacity of uncovered weight.

    Returns selected, gains, value and the flow (groups x candidates).
    """
    n_g, n_c = m.cov.shape
    rem = m.w.copy()
    rem_cap = caps.copy()
    colsum = np.bincount(m.cov.indices, weights=np.repeat(rem, m.nnz_row), minlength=n_c)
    is_sel = np.zeros(n_c, dtype=bool)
    sel: list[int] = []
    gains_l: list[float] = []
    fr: list[np.ndarray] = []
    fc: list[np.ndarray] = []
    fv: list[np.ndarray] = []
    value = 0.0

    def add(j: int) -> None:
        nonlocal value
        rows = m.csc.indices[m.csc.indptr[j]:m.csc.indptr[j + 1]]
        rows = rows[rem[rows] > 0]
        # rows with the fewest alternatives first, then by index
        rows = rows[np.lexsort((rows, m.nnz_row[rows]))]
        take = rem[rows]
        cum = np.cumsum(take)
        capj = rem_cap[j]
        alloc = np.clip(capj - (cum - take), 0.0, take)
        nz = alloc > 0
        rows, alloc = rows[nz], alloc[nz]
        rem[rows] -= alloc
        rem_cap[j] -= float(alloc.sum())
        g = float(alloc.sum())
        value += g
        if len(rows):
            offs, pos = _row_entries(m.cov.indptr, m.cov.indices, rows)
            colsum[:] -= np.bincount(m.cov.indices[offs], weights=alloc[pos], minlength=n_c)
            np.maximum(colsum, 0.0, out=colsum)
            fr.append(rows)
            fc.append(np.full(len(rows), j))
            fv.append(alloc)
        is_sel[j] = True
        sel.append(j)
        gains_l.append(g)

    for j in fixed:
        add(int(j))
    steps = 0
    spent = 0.0
    while True:
        if n_pick is not None and steps >= n_pick:
            break
        elig = ~is_sel
        if budget is not None:
            assert costs is not None
            elig &= costs <= budget - spent + 1e-12
        if not elig.any():
            break
        score = np.where(elig, np.minimum(colsum, rem_cap), -np.inf)
        j = int(np.argmax(score))
        if budget is not None and score[j] <= 0:
            break
        add(j)
        if costs is not None:
            spent += float(costs[j])
        steps += 1
    if fr:
        flow = sparse.csr_matrix((np.concatenate(fv), (np.concatenate(fr), np.concatenate(fc))),
                                 shape=(n_g, n_c))
    else:
        flow = sparse.csr_matrix((n_g, n_c))
    return (np.asarray(sel, dtype=np.int64), np.asarray(gains_l), value, flow)


def _expand_flow(m: _Merged, w: np.ndarray, flow_g: sparse.csr_matrix) -> sparse.csr_matrix:
    """Split each group's flow between its original rows in proportion to their weight."""
    n = len(m.group)
    valid = m.group >= 0
    share = np.zeros(n)
    gw = m.w[np.where(valid, m.group, 0)]
    share[valid] = np.where(gw[valid] > 0, w[valid] / np.where(gw[valid] > 0, gw[valid], 1.0), 0.0)
    # original rows x groups matrix of shares
    s = sparse.csr_matrix((share[valid], (np.flatnonzero(valid), m.group[valid])),
                          shape=(n, flow_g.shape[0]))
    out = sparse.csr_matrix(s @ flow_g)
    out.eliminate_zeros()
    return out


def _assign_first(m: _Merged, selected: np.ndarray) -> np.ndarray:
    """Per original row: the first site of ``selected`` (in order) that covers it, else -1."""
    n_g = m.cov.shape[0]
    ag = np.full(n_g, -1, dtype=np.int64)
    if n_g == 0:
        return np.full(len(m.group), -1, dtype=np.int64)
    for j in selected:
        rows = m.csc.indices[m.csc.indptr[j]:m.csc.indptr[j + 1]]
        rows = rows[ag[rows] < 0]
        ag[rows] = j
    return np.where(m.group >= 0, ag[np.maximum(m.group, 0)], -1)


def _flow_assignment(flow: sparse.csr_matrix) -> np.ndarray:
    n = flow.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    f = flow.tocsr()
    f.sort_indices()
    for i in np.flatnonzero(np.diff(f.indptr)):
        a, b = f.indptr[i], f.indptr[i + 1]
        out[i] = f.indices[a + int(np.argmax(f.data[a:b]))]
    return out


def mclp(
    coverage: Any,
    weights: Any,
    *,
    p: int | None = None,
    budget: float | None = None,
    costs: Any = None,
    fixed: Any = None,
    capacities: Any = None,
    method: Literal["auto", "greedy", "milp"] = "auto",
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-4,
) -> SolverResult:
    """Maximal covering location: most demand weight covered by ``p`` sites or within a budget.

    Parameters
    ----------
    coverage : scipy.sparse matrix or array, shape (n_demand, n_candidates)
        True/non-zero where the candidate covers the demand row (see
        :func:`coverage_matrix`).
    weights : array_like, shape (n_demand,)
        People (or any non-negative weight) per demand row.
    p : int, optional
        Number of sites, fixed ones included. Give ``p`` or ``budget``.
    budget : float, optional
        Total cost of the sites added (fixed sites are not charged); needs ``costs``.
    costs : array_like, shape (n_candidates,), optional
        Cost of each candidate (any currency unit, >= 0).
    fixed : array_like of int or bool mask, optional
        Candidates that are open anyway (existing facilities).
    capacities : array_like, shape (n_candidates,), optional
        People each site can serve. With capacities, each covered demand row's
        weight is assigned to open covering sites within their capacity (a row
        may be split) and the objective counts the weight assigned.
    method : {"auto", "greedy", "milp"}
        ``"greedy"``: greedy with its online bound only. ``"milp"``: exact
        (best of it and the greedy), whatever the size. ``"auto"``: greedy,
        then, when the gap is above ``mip_rel_gap`` and the instance fits
        (:data:`MILP_MAX_PAIRS`), the exact path; else the Lagrangian bound.
        Exact path of the uncapacitated model with ``p``: dominated candidates
        dropped, the LP relaxation's bound and rounding (``solver``
        ``"lp_rounding"`` when that is proven optimal), then the MILP with the
        best primal as incumbent (``"highs_milp"``); with capacities or a
        budget, the plain MILP.
    time_limit_s : float
        Wall-time limit for the exact step, seconds.
    mip_rel_gap : float
        Relative gap accepted as solved.

    Returns
    -------
    SolverResult
        ``objective`` = weight covered (assigned, with capacities);
        ``assignment`` per demand row; ``flow`` with capacities.

    Raises
    ------
    InfeasibleProblemError
        No candidate covers any demand row.
    ParameterError
        p <= 0 or > candidates, p and budget both or neither given, budget
        <= 0, budget without costs, bad time limit, NaN/negative weights, zero
        total weight, shapes that do not match, bad method.

    Examples
    --------
    Two candidates, capacity 4 and 10; candidate 0 covers rows 0-1 (5 + 3
    people), candidate 1 covers row 2 (4 people). One site: uncapacitated
    candidate 0 covers 8; with capacities candidate 0 serves only 4, so
    candidate 1 (4) ties and the lower index wins: 4 people.

    >>> import numpy as np
    >>> from scipy import sparse
    >>> cov = sparse.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]], dtype=bool))
    >>> mclp(cov, [5, 3, 4], p=1, capacities=[4, 10]).objective
    4.0
    """
    t0 = time.perf_counter()
    if method not in ("auto", "greedy", "milp"):
        raise ParameterError(f"method must be 'auto', 'greedy' or 'milp'; got {method!r}.")
    tl = _check_time(time_limit_s)
    tol = _check_gap_tol(mip_rel_gap)
    cov = _as_coverage(coverage)
    n, n_c = cov.shape
    w = _check_weights(weights, n)
    fx = _check_fixed(fixed, n_c)
    if (p is None) == (budget is None):
        raise ParameterError(
            "give exactly one of p (number of sites) or budget (with costs); "
            f"got p={p!r}, budget={budget!r}."
        )
    cst: np.ndarray | None = None
    bud: float | None = None
    pp: int | None = None
    if budget is not None:
        if costs is None:
            raise ParameterError("budget needs costs: pass costs= one value per candidate.")
        bud = float(budget)
        if not math.isfinite(bud) or bud <= 0:
            raise ParameterError(f"budget must be finite and > 0; got {budget!r}.")
        cst = _check_per_candidate(costs, n_c, "costs")
    else:
        pp = _check_p(p, n_c, len(fx))
        if costs is not None:
            cst = _check_per_candidate(costs, n_c, "costs")
    caps = None if capacities is None else _check_per_candidate(capacities, n_c, "capacities")
    if cov.nnz == 0:
        raise InfeasibleProblemError(
            f"no candidate covers any of the {n} demand rows: nothing can be covered. "
            "Check the limit (too short?), the candidates (all excluded?) and the road network."
        )

    m = _merge_rows(cov, w)
    n_pick = None if pp is None else pp - len(fx)
    params: dict[str, Any] = {
        "p": pp, "budget": bud, "n_fixed": len(fx), "capacitated": caps is not None,
        "method": method, "time_limit_s": tl, "mip_rel_gap": tol, "n_demand": n,
        "n_candidates": n_c, "n_merged_rows": int(m.cov.shape[0]), "n_pairs": int(m.cov.nnz),
        "weight_total": float(w.sum()),
        "weight_uncoverable": float(w[m.group < 0].sum()),
    }

    # greedy (uncapacitated), also the bound for the capacitated case
    if bud is not None:
        assert cst is not None
        g1 = _greedy_cover(m, n_pick=None, fixed=fx, costs=cst, budget=bud, ratio=True)
        g2 = _greedy_cover(m, n_pick=None, fixed=fx, costs=cst, budget=bud, ratio=False)
        g = g1 if g1.value >= g2.value else g2
        ubound = min(g1.bound, g2.bound)
    else:
        g = _greedy_cover(m, n_pick=n_pick, fixed=fx)
        ubound = g.bound
    solver = "greedy"
    hit_time = False

    gains: np.ndarray | None
    if caps is None:
        sel, value, gains = g.selected, g.value, g.gains
        bound = ubound
        flow_g = None
    else:
        sel, gains, value, flow_g = _cap_greedy(m, caps, n_pick=n_pick, fixed=fx, costs=cst,
                                                budget=bud)
        cap_bound = float(caps[fx].sum())
        others = np.delete(caps, fx)
        if n_pick is not None:
            k = min(n_pick, len(others))
            cap_bound += float(np.sort(others)[len(others) - k:].sum()) if k > 0 else 0.0
        else:
            assert cst is not None and bud is not None
            cap_bound += _fractional_knapsack(others, np.delete(cst, fx), bud)
        bound = min(ubound, cap_bound, float(m.w.sum()))
        solver = "capacitated_greedy"

    if caps is None:
        # an integral objective (integer weights) has an integral optimum: round the bound down
        bound = _floor_bound(bound, _integral_weights(m.w))
    gap = _gap(value, bound, "max")
    exact_path = (caps is None and bud is None and n_pick is not None and method != "greedy"
                  and (m.cov.nnz <= MILP_MAX_PAIRS or method == "milp"))
    if exact_path and gap > tol:
        assert pp is not None
        sel2, v2, bound, stage, hit_time = _mclp_exact(m, fx, pp, sel, value, bound, t0 + tl,
                                                       tol, params)
        if v2 > value:
            sel, value, gains, solver = sel2, v2, None, stage
        elif stage != "greedy":
            solver = f"{solver}+{stage}"
        gap = _gap(value, bound, "max")
    elif method == "auto" and gap > tol and n_pick is not None and (
            m.cov.nnz > MILP_MAX_PAIRS or caps is None):
        if caps is None and bud is None and n_pick > 0:
            # swaps from the greedy answer first: a better primal also steers the steps
            s_sel = _mclp_swap(m, sel, fx, t0 + 0.3 * tl)
            s_val, _ = _covered_value(m, s_sel)
            if s_val > value:
                sel, value, gains, solver = s_sel, s_val, None, "greedy+swap"
        # the Lagrangian (LP) bound of the uncapacitated problem: cheap, and valid for the
        # capacitated one too
        lag_deadline = t0 + (0.5 * tl if m.cov.nnz <= MILP_MAX_PAIRS else tl)
        lpool: list[tuple[float, np.ndarray]] = []
        lb_u, lsel, lval, lit = _lagrangian_mclp_bound(
            m, fx, n_pick, value if caps is None else g.value, lag_deadline, tol, pool=lpool)
        params["lagrangian_iterations"] = lit
        if caps is None:
            lb_u = _floor_bound(lb_u, _integral_weights(m.w))
        if lb_u < bound:
            bound = lb_u
            solver = solver + "+lagrangian_bound"
        if caps is None and bud is None and lsel is not None and lval > value:
            sel, value, gains = lsel, lval, None
            solver = "lagrangian"
        if caps is None and bud is None:
            # swaps from the best distinct Lagrangian primals (other basins than the greedy's)
            lpool.sort(key=lambda t: -t[0])
            seen: set[bytes] = set()
            n_starts = 0
            for _, start_sel in lpool:
                if (n_starts >= SWAP_STARTS or _gap(value, bound, "max") <= tol
                        or time.perf_counter() > t0 + tl):
                    break
                key = np.sort(start_sel).tobytes()
                if key in seen:
                    continue
                seen.add(key)
                n_starts += 1
                s_sel = _mclp_swap(m, start_sel, fx, t0 + tl)
                s_val, _ = _covered_value(m, s_sel)
                if s_val > value:
                    sel, value, gains, solver = s_sel, s_val, None, "lagrangian+swap"
            params["swap_starts"] = n_starts
        hit_time = time.perf_counter() > lag_deadline
        gap = _gap(value, bound, "max")
    if method != "greedy" and gap > tol and not exact_path:
        fits = m.cov.nnz <= MILP_MAX_PAIRS or method == "milp"
        remaining = max(tl - (time.perf_counter() - t0), 0.05)
        if fits:
            out = _mclp_milp(m, fx, p=pp, costs=cst, budget=bud, capacities=caps,
                             time_limit_s=remaining, mip_rel_gap=tol)
            hit_time = out.status == "time_limit"
            if out.x is not None:
                bound = min(bound, out.bound)
                if out.objective > value + 1e-9 * max(1.0, abs(value)):
                    y = out.x[:n_c] > 0.5
                    sel = np.flatnonzero(y).astype(np.int64)
                    gains = None
                    solver = "highs_milp"
                    if caps is None:
                        value, _ = _covered_value(m, sel)
                    else:
                        z = out.x[n_c:]
                        rid = np.repeat(np.arange(m.cov.shape[0]), m.nnz_row)
                        keep = z > 1e-9
                        flow_g = sparse.csr_matrix((z[keep], (rid[keep], m.cov.indices[keep])),
                                                   shape=m.cov.shape)
                        value = float(z.sum())
                else:
                    solver = solver + "+highs_bound"
            elif math.isfinite(out.bound):
                bound = min(bound, out.bound)
        elif m.cov.nnz <= LP_MAX_PAIRS and remaining > 1.0 and False:
            out = _mclp_milp(m, fx, p=pp, costs=cst, budget=bud, capacities=caps,
                             time_limit_s=remaining, mip_rel_gap=tol, lp_only=True)
            if out.status in ("optimal", "gap_limit"):
                bound = min(bound, out.objective)
                solver = solver + "+lp_bound"
            hit_time = out.status == "time_limit"
        gap = _gap(value, bound, "max")
    bound = max(bound, value)
    gap = _gap(value, bound, "max")
    status = _status(gap, tol, solver != "greedy", hit_time)
    if caps is None:
        assignment = _assign_first(m, sel)
        flow = None
    else:
        assert flow_g is not None
        flow = _expand_flow(m, w, flow_g)
        assignment = _flow_assignment(flow)
    if gains is not None and solver.startswith(("greedy", "capacitated_greedy")):
        mg: np.ndarray | None = np.asarray(gains)
    else:
        mg = None
        sel = np.sort(sel)
    return SolverResult(model="mclp", sense="max", selected=np.asarray(sel, dtype=np.int64),
                        objective=float(value), bound=float(bound), gap=gap, solver=solver,
                        status=status, runtime_s=time.perf_counter() - t0, parameters=params,
                        marginal_gain=mg, assignment=assignment, flow=flow)


# --------------------------------------------------------------------------- LSCP


def _set_cover(m: _Merged, fixed: np.ndarray, costs: np.ndarray, *, time_limit_s: float,
               max_sites: int | None = None) -> tuple[np.ndarray, float, float, str, str]:
    """Exact set cover of every merged row; returns selected, objective, bound, status, solver.

    ``max_sites`` (p-center feasibility): stop early once the greedy fits.
    """
    n_g, n_c = m.cov.shape
    pre, covered = _covered_value(_Merged(m.cov, m.csc, np.ones(n_g), m.group, m.nnz_row),
                                  fixed)
    rest = np.flatnonzero(~covered)
    fixed_cost = float(costs[fixed].sum())
    if len(rest) == 0:
        return np.sort(fixed), fixed_cost, fixed_cost, "optimal", "trivial"
    sub = m.cov[rest]
    # greedy set cover (cost per newly covered row), ties by index
    unc = np.ones(len(rest), dtype=bool)
    csc = sub.tocsc()
    cnt = np.diff(csc.indptr).astype(np.float64)
    is_sel = np.zeros(n_c, dtype=bool)
    is_sel[fixed] = True
    gsel: list[int] = []
    while unc.any():
        score = np.where(is_sel | (cnt <= 0), -np.inf,
                         cnt / np.where(costs > 0, costs, 1e-300))
        j = int(np.argmax(score))
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        new = rows[unc[rows]]
        unc[new] = False
        offs, _ = _row_entries(sub.indptr, sub.indices, new)
        cnt -= np.bincount(sub.indices[offs], minlength=n_c)
        is_sel[j] = True
        gsel.append(j)
    g_sel = np.sort(np.concatenate([fixed, np.asarray(gsel, dtype=np.int64)]))
    g_obj = float(costs[g_sel].sum())
    if max_sites is not None and len(g_sel) <= max_sites:
        return g_sel, g_obj, -np.inf, "heuristic", "greedy"
    lb = np.zeros(n_c)
    lb[fixed] = 1.0
    out = solve_milp(costs, constraints=[LinearConstraint(sub, 1.0, np.inf)],
                     integrality=np.ones(n_c), bounds=Bounds(lb, np.ones(n_c)), sense="min",
                     time_limit_s=time_limit_s, mip_rel_gap=0.0)
    if out.status == "infeasible":
        raise InfeasibleProblemError("set cover infeasible: some demand rows have no candidate.")
    bound = out.bound if math.isfinite(out.bound) else fixed_cost
    if out.x is not None and out.objective <= g_obj:
        sel = np.flatnonzero(out.x > 0.5).astype(np.int64)
        return sel, float(costs[sel].sum()), min(bound, float(costs[sel].sum())), out.status, \
            "highs_milp"
    return g_sel, g_obj, min(bound, g_obj), out.status if out.status != "optimal" else \
        "optimal", "greedy+highs_bound"


def lscp(
    coverage: Any,
    *,
    fixed: Any = None,
    costs: Any = None,
    time_limit_s: float = 30.0,
) -> SolverResult:
    """Location set covering: the fewest sites (or the least total cost) covering every demand row.

    Parameters
    ----------
    coverage : scipy.sparse matrix or array, shape (n_demand, n_candidates)
        True where the candidate covers the demand row.
    fixed : array_like of int or bool mask, optional
        Candidates open anyway; they count in the objective.
    costs : array_like, shape (n_candidates,), optional
        Cost per candidate (default 1: the objective is the number of sites).
    time_limit_s : float
        Wall-time limit, seconds.

    Returns
    -------
    SolverResult
        ``objective`` = number of sites (or their total cost), fixed included;
        ``assignment``: the first selected site covering each row.

    Raises
    ------
    InfeasibleProblemError
        Some demand rows are covered by no candidate (the message lists them).
    ParameterError
        Bad time limit, costs, fixed or shape.

    Examples
    --------
    Rows 0-2; candidate 0 covers {0, 1}, 1 covers {1, 2}, 2 covers {2}: two
    sites are needed (0 and 1, or 0 and 2); the exact answer is 2.

    >>> import numpy as np
    >>> cov = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], dtype=bool)
    >>> lscp(cov).objective
    2.0
    """
    t0 = time.perf_counter()
    tl = _check_time(time_limit_s)
    cov = _as_coverage(coverage)
    n, n_c = cov.shape
    fx = _check_fixed(fixed, n_c)
    cst = np.ones(n_c) if costs is None else _check_per_candidate(costs, n_c, "costs")
    empty = np.flatnonzero(np.diff(cov.indptr) == 0)
    if len(empty):
        raise InfeasibleProblemError(
            _describe_rows(empty, "are covered by no candidate") +
            ". Every demand must be within reach of a candidate for a set cover: add candidates "
            "near them, raise the limit, or serve them separately (see the unreachable list)."
        )
    m = _merge_rows(cov, np.ones(n))
    sel, obj, bound, st, solver = _set_cover(m, fx, cst, time_limit_s=tl)
    gap = _gap(obj, bound, "min")
    status = "optimal" if gap <= 1e-12 else ("time_limit" if st == "time_limit" else "heuristic")
    params = {"n_fixed": len(fx), "time_limit_s": tl, "n_demand": n, "n_candidates": n_c,
              "n_merged_rows": int(m.cov.shape[0]), "n_pairs": int(m.cov.nnz),
              "weighted_costs": costs is not None}
    return SolverResult(model="lscp", sense="min", selected=np.sort(sel), objective=obj,
                        bound=bound, gap=gap, solver=solver, status=status,
                        runtime_s=time.perf_counter() - t0, parameters=params,
                        assignment=_assign_first(m, np.sort(sel)))


# --------------------------------------------------------------------------- p-median


def _nearest_open(cost: sparse.csr_matrix, is_open: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the smallest stored cost to an open column and that column (ties: lowest index)."""
    n = cost.shape[0]
    rid = np.repeat(np.arange(n), np.diff(cost.indptr))
    msk = is_open[cost.indices]
    r, c, d = rid[msk], cost.indices[msk], cost.data[msk]
    best = np.full(n, np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if len(r):
        o = np.lexsort((c, d, r))
        r, c, d = r[o], c[o], d[o]
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        best[r[first]] = d[first]
        arg[r[first]] = c[first]
    return best, arg


def _pmed_value(cost: sparse.csr_matrix, w: np.ndarray, is_open: np.ndarray,
                pen: float | None) -> tuple[float, np.ndarray, np.ndarray]:
    best, arg = _nearest_open(cost, is_open)
    if pen is not None:
        use_pen = best > pen
        best = np.where(use_pen, pen, best)
        arg = np.where(use_pen, -1, arg)
    pos = w > 0
    if np.isinf(best[pos]).any():
        return float("inf"), best, arg
    return float((w[pos] * best[pos]).sum()), best, arg


def _pmed_milp(cost: sparse.csr_matrix, w: np.ndarray, fixed: np.ndarray, p: int,
               caps: np.ndarray | None, pen: float | None, time_limit_s: float,
               mip_rel_gap: float, split: bool = True) -> MilpOutcome:
    n, n_c = cost.shape
    nnz = cost.nnz
    rid = np.repeat(np.arange(n), np.diff(cost.indptr))
    cid = cost.indices
    e = np.arange(nnz)
    n_u = n if pen is not None else 0
    nv = n_c + nnz + n_u
    cons: list[LinearConstraint] = []
    # sum_j x_ij (+ u_i) = 1
    r_i = [rid]
    r_j = [n_c + e]
    if pen is not None:
        r_i.append(np.arange(n))
        r_j.append(n_c + nnz + np.arange(n))
    a = sparse.csr_matrix((np.ones(nnz + n_u), (np.concatenate(r_i), np.concatenate(r_j))),
                          shape=(n, nv))
    cons.append(LinearConstraint(a, 1.0, 1.0))
    # x_ij <= y_j
    link = sparse.csr_matrix((np.concatenate([np.ones(nnz), -np.ones(nnz)]),
                              (np.concatenate([e, e]), np.concatenate([n_c + e, cid]))),
                             shape=(nnz, nv))
    cons.append(LinearConstraint(link, -np.inf, 0.0))
    cnt = np.zeros(nv)
    cnt[:n_c] = 1.0
    cons.append(LinearConstraint(sparse.csr_matrix(cnt[None, :]), p, p))
    if caps is not None:
        capm = sparse.csr_matrix(
            (np.concatenate([w[rid], -caps]),
             (np.concatenate([cid, np.arange(n_c)]), np.concatenate([n_c + e, np.arange(n_c)]))),
            shape=(n_c, nv))
        cons.append(LinearConstraint(capm, -np.inf, 0.0))
    c = np.concatenate([np.zeros(n_c), w[rid] * cost.data,
                        w * pen if pen is not None else np.zeros(0)])
    lb = np.zeros(nv)
    lb[fixed] = 1.0
    integ = np.concatenate([np.ones(n_c), np.zeros(nnz + n_u) if split else np.ones(nnz + n_u)])
    return solve_milp(c, constraints=cons, integrality=integ, bounds=Bounds(lb, np.ones(nv)),
                      sense="min", time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)


def _choose_open(rho: np.ndarray, fixed: np.ndarray, k: int) -> np.ndarray:
    is_open = np.zeros(len(rho), dtype=bool)
    is_open[fixed] = True
    if k > 0:
        r = np.where(is_open, np.inf, rho)
        idx = np.argsort(r, kind="stable")[:k]
        is_open[idx] = True
    return is_open


def _locate_allocate(cost: sparse.csr_matrix, wc: np.ndarray, w: np.ndarray, is_open: np.ndarray,
                     fixed: np.ndarray, pen: float | None, deadline: float, max_rounds: int = 20
                     ) -> tuple[np.ndarray, float]:
    """Cooper's alternating heuristic on allowed pairs: sites move to their cluster's median."""
    n, n_c = cost.shape
    val, _, arg = _pmed_value(cost, w, is_open, pen)
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[fixed] = True
    rid = np.repeat(np.arange(n), np.diff(cost.indptr))
    pos = w > 0
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        changed = False
        opened = np.flatnonzero(is_open & ~is_fixed)
        if len(opened) == 0:
            break
        slot = np.full(n_c, -1)
        slot[opened] = np.arange(len(opened))
        rows = np.flatnonzero((arg >= 0) & pos)
        cl = slot[arg[rows]]
        rows, cl = rows[cl >= 0], cl[cl >= 0]
        size = np.bincount(cl, minlength=len(opened))
        memb = np.full(n, -1)
        memb[rows] = cl
        ent = memb[rid] >= 0
        k = memb[rid][ent]
        col = cost.indices[ent]
        key = k.astype(np.int64) * n_c + col
        uk, inv = np.unique(key, return_inverse=True)
        s = np.bincount(inv, weights=wc[ent])
        cnt = np.bincount(inv)
        kk, cc = uk // n_c, uk % n_c
        full = cnt == size[kk]
        kk, cc, s = kk[full], cc[full], s[full]
        new_open = is_open.copy()
        for ci in range(len(opened)):
            mk = kk == ci
            if not mk.any():
                continue
            cand_c, cand_s = cc[mk], s[mk]
            avail = ~new_open[cand_c] | (cand_c == opened[ci])
            if not avail.any():
                continue
            cand_c, cand_s = cand_c[avail], cand_s[avail]
            b = int(np.lexsort((cand_c, cand_s))[0])
            if cand_c[b] != opened[ci]:
                new_open[opened[ci]] = False
                new_open[cand_c[b]] = True
        nv, _, narg = _pmed_value(cost, w, new_open, pen)
        if nv < val - 1e-9 * max(1.0, abs(val)):
            val, arg, is_open = nv, narg, new_open
            changed = True
        if not changed:
            break
    return is_open, val


def _swap_search(cost: sparse.csr_matrix, w: np.ndarray, is_open: np.ndarray,
                 fixed: np.ndarray, pen: float, deadline: float, max_swaps: int = 10_000
                 ) -> np.ndarray:
    """Vertex substitution (Teitz & Bart 1968) with the fast swap evaluation of Whitaker (1983).

    Each round evaluates every swap (open a closed candidate ``i``, close an open non-fixed
    ``j``) at once from the closest (``d1``, at ``f1``) and second-closest (``d2``) open site
    of each row, costs capped at ``pen`` (the unassigned cost, or a big-M):
    ``saving(i, j) = gain(i) - loss(j) + extra(i, j)`` with
    ``gain(i) = sum_u w_u max(0, d1_u - d_ui)``, ``loss(j) = sum_{f1_u = j} w_u (d2_u - d1_u)``
    and ``extra(i, j) = sum_{f1_u = j, d_ui < d2_u} w_u (d2_u - max(d_ui, d1_u))``; the best
    positive saving is applied until none is left (a local optimum: no single swap improves),
    the deadline or ``max_swaps``. Returns the open mask.
    """
    n, n_c = cost.shape
    rid_all = np.repeat(np.arange(n), np.diff(cost.indptr))
    useful = (cost.data < pen) & (w[rid_all] > 0)
    rid, cid, d = rid_all[useful], cost.indices[useful], cost.data[useful]
    wr = w[rid]
    is_open = is_open.copy()
    if len(rid) == 0:  # no pair cheaper than the penalty: every set of sites costs the same
        return is_open
    is_fixed = np.zeros(n_c, dtype=bool)
    is_fixed[fixed] = True
    for _ in range(max_swaps):
        if time.perf_counter() > deadline:
            break
        mo = is_open[cid]
        r_o, c_o, d_o = rid[mo], cid[mo], d[mo]
        o = np.lexsort((c_o, d_o, r_o))
        r_o, c_o, d_o = r_o[o], c_o[o], d_o[o]
        first = np.ones(len(r_o), dtype=bool)
        first[1:] = r_o[1:] != r_o[:-1]
        d1 = np.full(n, pen)
        f1 = np.full(n, -1, dtype=np.int64)
        d1[r_o[first]] = d_o[first]
        f1[r_o[first]] = c_o[first]
        second = np.zeros(len(r_o), dtype=bool)
        second[1:] = (~first[1:]) & first[:-1]
        d2 = np.full(n, pen)
        d2[r_o[second]] = d_o[second]
        opened = np.flatnonzero(is_open)
        slot = np.full(n_c, -1, dtype=np.int64)
        slot[opened] = np.arange(len(opened))
        gain = np.bincount(cid, weights=wr * np.maximum(d1[rid] - d, 0.0), minlength=n_c)
        has = f1 >= 0
        loss = np.bincount(slot[f1[has]], weights=(w * (d2 - d1))[has], minlength=len(opened))
        ex = (f1[rid] >= 0) & (d < d2[rid]) & ~is_open[cid]
        extra = np.bincount(cid[ex] * len(opened) + slot[f1[rid[ex]]],
                            weights=wr[ex] * (d2[rid[ex]] - np.maximum(d[ex], d1[rid[ex]])),
                            minlength=n_c * len(opened)).reshape(n_c, len(opened))
        saving = (gain[:, None] - loss[None, :] + extra).astype(np.float64)
        saving[is_open, :] = -np.inf
        saving[:, is_fixed[opened]] = -np.inf
        k = int(np.argmax(saving))
        i, jj = divmod(k, len(opened))
        total = float((w * d1).sum())
        if not saving[i, jj] > 1e-9 * max(1.0, total):
            break
        is_open[opened[jj]] = False
        is_open[i] = True
    return is_open


def _savings_greedy(cost: sparse.csr_matrix, w: np.ndarray, fixed: np.ndarray, k: int,
                    pen: float) -> tuple[np.ndarray, float]:
    """Greedy on the savings ``pen - cost`` (a monotone submodular facility-location function).

    Returns the open mask and an upper bound on the optimal total saving (online bound).
    """
    n, n_c = cost.shape
    sv = np.maximum(pen - cost.data, 0.0)
    rid = np.repeat(np.arange(n), np.diff(cost.indptr))
    csc = sparse.csc_matrix((sv, (rid, cost.indices)), shape=cost.shape)
    csc.sort_indices()
    csr_s = sparse.csr_matrix((sv, cost.indices, cost.indptr), shape=cost.shape)
    best = np.zeros(n)
    gains = np.bincount(cost.indices, weights=w[rid] * sv, minlength=n_c)
    is_open = np.zeros(n_c, dtype=bool)
    value = 0.0

    def add(j: int) -> None:
        nonlocal value
        a, b = csc.indptr[j], csc.indptr[j + 1]
        rows, sj = csc.indices[a:b], csc.data[a:b]
        imp = sj > best[rows]
        rows, sj = rows[imp], sj[imp]
        if len(rows):
            offs, pos = _row_entries(csr_s.indptr, csr_s.indices, rows)
            s_ik = csr_s.data[offs]
            old = np.maximum(s_ik - best[rows][pos], 0.0)
            new = np.maximum(s_ik - sj[pos], 0.0)
            gains[:] -= np.bincount(csr_s.indices[offs], weights=w[rows][pos] * (old - new),
                                    minlength=n_c)
            np.maximum(gains, 0.0, out=gains)
            value += float((w[rows] * (sj - best[rows])).sum())
            best[rows] = sj
        gains[j] = 0.0
        is_open[j] = True

    for j in fixed:
        add(int(j))

    def online() -> float:
        if k <= 0:
            return value
        g = gains[~is_open]
        if k >= len(g):
            return value + float(g.sum())
        return value + float(np.partition(g, len(g) - k)[len(g) - k:].sum())

    ub = online()
    for _ in range(k):
        j = int(np.argmax(np.where(is_open, -np.inf, gains)))
        add(j)
        ub = min(ub, online())
    return is_open, max(ub, value)


def _lagrangian_pmedian(cost: sparse.csr_matrix, w: np.ndarray, fixed: np.ndarray, p: int,
                        pen: float | None, deadline: float, tol: float, max_iter: int = 600,
                        start: tuple[np.ndarray, float] | None = None,
                        stall_limit: int = 15, theta_min: float = 1e-4,
                        pool: list[tuple[float, np.ndarray]] | None = None
                        ) -> tuple[np.ndarray, float, float, int]:
    """Subgradient optimisation of the Lagrangian relaxation of the assignment constraints.

    Relaxing ``sum_j x_ij (+ u_i) = 1`` with multipliers ``lambda_i`` leaves, per candidate,
    ``rho_j = sum_i min(0, w_i c_ij - lambda_i)``; the ``p`` most negative ``rho`` (fixed
    sites forced) give ``L(lambda) <= optimum``. Step: Polyak's ``theta (UB - L) / |g|^2``,
    ``theta`` halved after ``stall_limit`` rounds without a better bound, stop below
    ``theta_min``, at the deadline or when the gap is within ``tol``. Each distinct set of
    ``p`` sites met on the way is a primal solution; when ``pool`` is given they are
    appended to it as ``(value, open mask)`` (starts for :func:`_swap_search`).

    Returns the best open mask, its value, the best lower bound and the iterations.
    """
    n, n_c = cost.shape
    rid = np.repeat(np.arange(n), np.diff(cost.indptr))
    wc = w[rid] * cost.data
    wpen = None if pen is None else w * pen
    # start: lambda_i = the row's cheapest allowed cost (a valid, weak bound)
    lam = np.full(n, np.inf)
    np.minimum.at(lam, rid, wc)
    if wpen is not None:
        lam = np.minimum(lam, wpen)
    lam[~np.isfinite(lam)] = 0.0
    k = p - len(fixed)
    best_lb = -np.inf
    best_ub = np.inf
    best_open = _choose_open(np.zeros(n_c), fixed, k)
    if start is not None and np.isfinite(start[1]):
        best_open, best_ub = start
    theta = 2.0
    stall = 0
    seen: set[bytes] = set()
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        red = wc - lam[rid]
        neg = np.minimum(red, 0.0)
        rho = np.bincount(cost.indices, weights=neg, minlength=n_c)
        is_open = _choose_open(rho, fixed, k)
        lb = float(lam.sum() + rho[is_open].sum())
        if wpen is not None:
            lb += float(np.minimum(wpen - lam, 0.0).sum())
        if not math.isfinite(best_lb) or lb > best_lb + 1e-12 * max(1.0, abs(best_lb)):
            best_lb = lb
            stall = 0
        else:
            stall += 1
            if stall >= stall_limit:
                theta /= 2.0
                stall = 0
        key = np.packbits(is_open).tobytes()
        if key not in seen:
            seen.add(key)
            ub, _, _ = _pmed_value(cost, w, is_open, pen)
            if pool is not None and math.isfinite(ub):
                pool.append((ub, is_open))
            if ub < best_ub:
                best_ub, best_open = ub, is_open
        if best_ub < np.inf and _gap(best_ub, best_lb, "min") <= tol:
            break
        if theta < theta_min or time.perf_counter() > deadline:
            break
        cnt = np.bincount(rid, weights=(is_open[cost.indices] & (red < 0)).astype(float),
                          minlength=n)
        if wpen is not None:
            cnt += (wpen - lam < 0).astype(float)
        gsub = 1.0 - cnt
        nrm = float(gsub @ gsub)
        if nrm == 0:
            best_lb = max(best_lb, lb)
            break
        target = best_ub if np.isfinite(best_ub) else abs(lb) * 1.1 + 1.0
        step = theta * (target - lb) / nrm
        lam = lam + step * gsub
    return best_open, best_ub, best_lb, it


def p_median(
    cost: Any,
    weights: Any,
    *,
    p: int,
    fixed: Any = None,
    capacities: Any = None,
    time_limit_s: float = 30.0,
    mip_rel_gap: float = 1e-4,
    method: Literal["auto", "lagrangian", "milp"] = "auto",
    unassigned_cost: float | None = None,
    split_demand: bool = True,
) -> SolverResult:
    """p-median: ``p`` sites minimising the weighted travel cost, on the allowed pairs only.

    Parameters
    ----------
    cost : scipy.sparse matrix, shape (n_demand, n_candidates)
        Travel cost (for example minutes) of each allowed pair; pairs that are
        not stored cannot be assigned (store a zero cost explicitly).
    weights : array_like, shape (n_demand,)
        People per demand row.
    p : int
        Number of sites, fixed ones included.
    fixed : array_like of int or bool mask, optional
        Candidates open anyway.
    capacities : array_like, shape (n_candidates,), optional
        People each site can serve; a row may be split between sites. Solved
        by MILP.
    time_limit_s : float
        Wall-time limit, seconds.
    mip_rel_gap : float
        Relative gap accepted as solved.
    method : {"auto", "lagrangian", "milp"}
        ``"auto"``: savings greedy, locate-allocate, the Lagrangian relaxation
        (half the time limit) and vertex substitution from the best distinct
        Lagrangian primals (up to :data:`SWAP_STARTS`, until 3/4 of it), then
        the MILP when the gap is above ``mip_rel_gap`` and it fits
        (:data:`PMEDIAN_MILP_MAX_PAIRS`); capacitated instances go to the MILP.
        ``"lagrangian"``: the same without the MILP, over the whole limit.
    unassigned_cost : float, optional
        If given, a demand row may stay unassigned at this cost per unit of
        weight (for example the time limit): the problem is then always
        feasible. Without it every positive-weight row must be assigned.
    split_demand : bool
        With capacities: True lets a demand row be split between sites; False
        sends each row to one site (single sourcing, as spopt does; harder).

    Returns
    -------
    SolverResult
        ``objective`` = sum of weight x cost (mean cost = objective / total
        weight); ``assignment`` per row (-1 = unassigned); ``flow`` with capacities.

    Raises
    ------
    InfeasibleProblemError
        Rows with no allowed candidate (listed), capacities that cannot hold
        the demand, or no feasible assignment with ``p`` sites.
    ParameterError
        p out of range, bad weights, time limit, shapes, method.

    Examples
    --------
    Rows 0 and 1 (weights 1 and 2), candidates 0 and 1; costs row 0: 1 and 4,
    row 1: 3 and 1. One site: candidate 0 costs 1*1 + 2*3 = 7, candidate 1
    costs 1*4 + 2*1 = 6, so candidate 1 with 6.

    >>> import numpy as np
    >>> from scipy import sparse
    >>> c = sparse.csr_matrix(np.array([[1.0, 4.0], [3.0, 1.0]]))
    >>> r = p_median(c, [1, 2], p=1)
    >>> r.selected.tolist(), r.objective, r.status
    ([1], 6.0, 'optimal')
    """
    t0 = time.perf_counter()
    if method not in ("auto", "lagrangian", "milp"):
        raise ParameterError(f"method must be 'auto', 'lagrangian' or 'milp'; got {method!r}.")
    tl = _check_time(time_limit_s)
    tol = _check_gap_tol(mip_rel_gap)
    c = _as_cost(cost)
    n, n_c = c.shape
    w = _check_weights(weights, n)
    fx = _check_fixed(fixed, n_c)
    pp = _check_p(p, n_c, len(fx))
    caps = None if capacities is None else _check_per_candidate(capacities, n_c, "capacities")
    pen: float | None = None
    if unassigned_cost is not None:
        pen = float(unassigned_cost)
        if not math.isfinite(pen) or pen < 0:
            raise ParameterError(
                f"unassigned_cost must be finite and >= 0; got {unassigned_cost!r}."
            )
    if pen is None:
        empty = np.flatnonzero((np.diff(c.indptr) == 0) & (w > 0))
        if len(empty):
            raise InfeasibleProblemError(
                _describe_rows(empty, "have no allowed candidate") +
                ". Each must reach at least one candidate; add candidates, raise the limit, or "
                "pass unassigned_cost= to let them stay unassigned at a penalty."
            )
    if caps is not None and pen is None:
        k = pp - len(fx)
        others = np.sort(np.delete(caps, fx))
        most = float(caps[fx].sum()) + (float(others[len(others) - k:].sum()) if k > 0 else 0.0)
        if most < w.sum() - 1e-9:
            raise InfeasibleProblemError(
                f"capacities cannot hold the demand: {w.sum():,.0f} people but the {pp} largest "
                f"sites (fixed included) hold at most {most:,.0f}. Raise p or the capacities, or "
                "pass unassigned_cost=."
            )
    params = {"p": pp, "n_fixed": len(fx), "capacitated": caps is not None, "method": method,
              "time_limit_s": tl, "mip_rel_gap": tol, "n_demand": n, "n_candidates": n_c,
              "n_pairs": int(c.nnz), "weight_total": float(w.sum()),
              "unassigned_cost": pen, "split_demand": bool(split_demand)}
    deadline = t0 + tl
    sel_open: np.ndarray | None = None
    value = float("inf")
    bound = 0.0
    solver = ""
    hit_time = False
    flow = None
    if caps is None and method != "milp":
        rid = np.repeat(np.arange(n), np.diff(c.indptr))
        wc = w[rid] * c.data
        lag_deadline = t0 + (0.5 * tl if method == "auto" else tl)
        # savings greedy (with the penalty, or a big-M one) for a first primal and bound
        big = pen if pen is not None else float(c.data.max() if c.nnz else 0.0) + 1.0
        g_open, s_ub = _savings_greedy(c, w, fx, pp - len(fx), big)
        g_val, _, _ = _pmed_value(c, w, g_open, pen)
        s_lb = float((w * big).sum()) - s_ub  # valid: the penalised problem relaxes the other
        g_val2 = g_val
        # the swap search charges a row left without an open site in reach at swap_pen: the
        # penalty, or (every row must be served) more than any saving elsewhere
        swap_pen = pen if pen is not None else (big + 1.0) * (
            1.0 + float(w.sum()) / float(w[w > 0].min()))
        pool: list[tuple[float, np.ndarray]] = []
        if np.isfinite(g_val):
            g_open, g_val2 = _locate_allocate(c, wc, w, g_open, fx, pen, lag_deadline)
            pool.append((g_val2, g_open))
        is_open, ub, lb, iters = _lagrangian_pmedian(c, w, fx, pp, pen, lag_deadline, tol,
                                                     start=(g_open, g_val2), pool=pool)
        params["lagrangian_iterations"] = iters
        if np.isfinite(ub) and ub < g_val2:
            is_open, ub = _locate_allocate(c, wc, w, is_open, fx, pen, deadline)
        # vertex substitution from the locate-allocate answer and the best distinct Lagrangian
        # primals (different basins; on the benchmark instances the swaps from the Lagrangian
        # primals end lowest). After the Lagrangian, so that its bound has its time.
        pool.sort(key=lambda t: t[0])
        n_starts = 0
        swap_deadline = t0 + (0.75 * tl if method == "auto" else tl)
        for _, start_open in pool[:SWAP_STARTS]:
            if _gap(ub, max(lb, s_lb), "min") <= tol or time.perf_counter() > swap_deadline:
                break
            o2 = _swap_search(c, w, start_open, fx, swap_pen, swap_deadline)
            v2, _, _ = _pmed_value(c, w, o2, pen)
            n_starts += 1
            if v2 < ub:
                is_open, ub = o2, v2
        params["swap_starts"] = n_starts
        sel_open, value, bound = is_open, ub, max(lb, s_lb, 0.0)
        solver = "greedy+swap+lagrangian"
        hit_time = time.perf_counter() > swap_deadline
    gap = _gap(value, bound, "min") if np.isfinite(value) else 1.0
    if caps is not None or method == "milp" or (
            method == "auto" and gap > tol and c.nnz <= PMEDIAN_MILP_MAX_PAIRS):
        remaining = max(deadline - time.perf_counter(), 0.05)
        out = _pmed_milp(c, w, fx, pp, caps, pen, remaining, tol,
                         split=bool(split_demand) or caps is None)
        if out.status == "infeasible":
            raise InfeasibleProblemError(
                f"no assignment of every demand row to {pp} open sites exists on the allowed "
                "pairs" + (" within the capacities" if caps is not None else "") +
                ". Raise p, add candidates or pairs, or pass unassigned_cost=."
            )
        hit_time = out.status == "time_limit"
        if math.isfinite(out.bound):
            bound = max(bound, out.bound)
        if out.x is not None and out.objective < value - 1e-9 * max(1.0, abs(out.objective)):
            y = out.x[:n_c] > 0.5
            sel_open = y
            value = float(out.objective)
            solver = "highs_milp"
            if caps is not None:
                x = out.x[n_c:n_c + c.nnz]
                rid = np.repeat(np.arange(n), np.diff(c.indptr))
                keep = x > 1e-9
                flow = sparse.csr_matrix((x[keep] * w[rid][keep], (rid[keep], c.indices[keep])),
                                         shape=c.shape)
        elif solver:
            solver += "+highs_bound"
    if sel_open is None or not np.isfinite(value):
        raise InfeasibleProblemError(
            f"no feasible p-median solution found within {tl:g} s (p = {pp}): not proven "
            "infeasible; raise time_limit_s, raise p, or pass unassigned_cost=."
        )
    selected = np.flatnonzero(sel_open).astype(np.int64)
    if flow is not None:
        assignment = _flow_assignment(flow)
    else:
        value, _, assignment = _pmed_value(c, w, sel_open, pen)
    bound = min(bound, value)
    gap = _gap(value, bound, "min")
    return SolverResult(model="p_median", sense="min", selected=selected, objective=float(value),
                        bound=float(bound), gap=gap, solver=solver,
                        status=_status(gap, tol, True, hit_time),
                        runtime_s=time.perf_counter() - t0, parameters=params,
                        assignment=assignment, flow=flow)


# --------------------------------------------------------------------------- p-center


def p_center(
    cost: Any,
    *,
    p: int,
    fixed: Any = None,
    time_limit_s: float = 30.0,
) -> SolverResult:
    """p-center: ``p`` sites minimising the largest travel cost of any demand row.

    Binary search over the sorted distinct stored costs; each step asks an
    exact set cover whether ``p`` sites (fixed included) reach every row within
    that cost.

    Parameters
    ----------
    cost : scipy.sparse matrix, shape (n_demand, n_candidates)
        Travel cost of each allowed pair (store zeros explicitly).
    p : int
        Number of sites, fixed ones included.
    fixed : array_like of int or bool mask, optional
        Candidates open anyway.
    time_limit_s : float
        Wall-time limit for the whole search, seconds.

    Returns
    -------
    SolverResult
        ``objective`` = the largest cost from a row to its nearest open site;
        ``bound`` the largest cost proven necessary; ``assignment`` nearest open site.

    Raises
    ------
    InfeasibleProblemError
        Rows with no allowed candidate (listed), or ``p`` sites cannot reach
        every row on the allowed pairs.
    ParameterError
        p out of range, bad time limit or shape.

    Examples
    --------
    Three rows on a line at 0, 4 and 10 km; candidates at the same places
    (costs = distances). One site: the one at 4 km, worst distance 6.

    >>> import numpy as np
    >>> x = np.array([0.0, 4.0, 10.0])
    >>> c = np.abs(x[:, None] - x[None, :]) + 0.0
    >>> from scipy import sparse
    >>> c = sparse.csr_matrix((c.ravel(), np.tile(np.arange(3), 3), np.arange(0, 10, 3)))
    >>> r = p_center(c, p=1)
    >>> r.selected.tolist(), r.objective, r.status
    ([1], 6.0, 'optimal')
    """
    t0 = time.perf_counter()
    tl = _check_time(time_limit_s)
    c = _as_cost(cost)
    n, n_c = c.shape
    fx = _check_fixed(fixed, n_c)
    pp = _check_p(p, n_c, len(fx))
    empty = np.flatnonzero(np.diff(c.indptr) == 0)
    if len(empty):
        raise InfeasibleProblemError(
            _describe_rows(empty, "have no allowed candidate") +
            ". Every row must reach a candidate for a p-center; add candidates or pairs, or "
            "serve them separately."
        )
    rid = np.repeat(np.arange(n), np.diff(c.indptr))
    row_min = np.full(n, np.inf)
    np.minimum.at(row_min, rid, c.data)
    lb0 = float(row_min.max())
    vals = np.unique(c.data)
    vals = vals[vals >= lb0]
    ones = np.ones(n_c)
    deadline = t0 + tl
    n_calls = 0

    def feasible(t: float) -> tuple[bool | None, np.ndarray | None]:
        nonlocal n_calls
        n_calls += 1
        keep = c.data <= t
        cov = sparse.csr_matrix((np.ones(int(keep.sum())), (rid[keep], c.indices[keep])),
                                shape=c.shape)
        m = _merge_rows(cov, np.ones(n))
        if (m.group < 0).any():
            return False, None
        remaining = max(deadline - time.perf_counter(), 0.05)
        sel, obj, bnd, st, _ = _set_cover(m, fx, ones, time_limit_s=remaining, max_sites=pp)
        if obj <= pp + 1e-9:
            return True, sel
        if math.isfinite(bnd) and math.ceil(bnd - 1e-6) > pp:
            return False, None
        return None, None

    ok, sel0 = feasible(float(vals[-1]))
    if ok is False:
        raise InfeasibleProblemError(
            f"{pp} sites cannot reach every demand row on the allowed pairs, even at the "
            f"largest cost {vals[-1]:g}; raise p or add candidates/pairs."
        )
    if ok is None or sel0 is None:
        raise InfeasibleProblemError(
            f"no p-center solution found within {tl:g} s; raise time_limit_s."
        )
    hi = len(vals) - 1
    best_sel: np.ndarray = sel0
    search_lo = 0   # the search goes on above this index
    proven_lo = 0   # every index below this is proven infeasible
    while search_lo < hi:
        mid = (search_lo + hi) // 2
        ok, sel = feasible(float(vals[mid]))
        if ok and sel is not None:
            hi, best_sel = mid, sel
        elif ok is False:
            search_lo = mid + 1
            proven_lo = max(proven_lo, mid + 1)
        else:
            # not proven either way (time limit): look above, keep the proven bound
            search_lo = mid + 1
    assert best_sel is not None
    is_open = np.zeros(n_c, dtype=bool)
    is_open[best_sel] = True
    best, arg = _nearest_open(c, is_open)
    obj = float(best.max())
    bound = min(float(vals[proven_lo]), obj)
    gap = _gap(obj, bound, "min")
    status = "optimal" if gap <= 1e-12 else "time_limit"
    params = {"p": pp, "n_fixed": len(fx), "time_limit_s": tl, "n_demand": n,
              "n_candidates": n_c, "n_pairs": int(c.nnz), "n_set_cover_calls": n_calls,
              "n_distinct_costs": int(len(vals))}
    return SolverResult(model="p_center", sense="min", selected=np.sort(best_sel),
                        objective=obj, bound=bound, gap=gap, solver="binary_search_set_cover",
                        status=status, runtime_s=time.perf_counter() - t0, parameters=params,
                        assignment=arg)
