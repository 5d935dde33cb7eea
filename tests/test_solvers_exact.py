"""Exact siting paths keep the optimum: brute force on small random instances.

The MCLP reductions, LP bound and rounding and HiGHS with an incumbent; the p-median
bound <= optimum <= objective.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint
from test_solvers import brute_mclp, brute_pmedian, check_result, full_sparse

from kotacerdas_gis.siting.solvers import (
    _as_coverage,
    _floor_bound,
    _mclp_swap,
    _merge_rows,
    _pmed_value,
    _swap_search,
    _undominated_columns,
    mclp,
    p_median,
    solve_milp,
)

# rows = the 6 edges of K4, candidates = its 4 vertices, p = 2: the LP relaxation puts
# y = 1/2 everywhere and covers all 6 (bound 6), every pair of vertices misses one edge (5)
K4 = np.zeros((6, 4), dtype=bool)
for _i, (_a, _b) in enumerate(itertools.combinations(range(4), 2)):
    K4[_i, [_a, _b]] = True


def test_fractional_lp_needs_the_milp_and_gets_the_optimum():
    g = mclp(sparse.csr_matrix(K4), np.ones(6), p=2, method="greedy")
    assert g.objective == 5.0 and g.bound > 5.0
    for method in ("auto", "milp"):
        r = mclp(sparse.csr_matrix(K4), np.ones(6), p=2, method=method)
        check_result(r)
        assert r.objective == 5.0 and r.bound == 5.0 and r.status == "optimal"
        assert r.solver.endswith("highs_milp")
    # half weights: the bound is not rounded to an integer, HiGHS still proves 2.5
    r = mclp(sparse.csr_matrix(K4), np.full(6, 0.5), p=2)
    assert r.objective == 2.5 and r.bound == pytest.approx(2.5) and r.status == "optimal"


def test_floor_bound_rounds_down_only_integral_objectives():
    assert _floor_bound(6.6, True) == 6.0
    assert _floor_bound(5.9999999999, True) == 6.0  # HiGHS's round-off does not lose 1
    assert _floor_bound(6.6, False) == 6.6
    assert _floor_bound(float("inf"), True) == float("inf")


def test_dominated_candidates_by_hand():
    # c0 covers rows {0,1}, c1 {0,1,2} (dominates c0), c2 {2} (dominated by c1), c3 = c1
    cov = np.array([[1, 1, 0, 1], [1, 1, 0, 1], [0, 1, 1, 1], [0, 0, 0, 0]], dtype=bool)
    cov[3, 2] = True  # c2 covers {2, 3}: no longer dominated
    m = _merge_rows(_as_coverage(sparse.csr_matrix(cov)), np.ones(4))
    keep = _undominated_columns(m, np.zeros(0, dtype=np.int64), 1)
    assert keep.tolist() == [False, True, True, False]  # c3 = c1: the lower index stays
    # a fixed candidate is never dropped; fewer than p left: nothing dropped
    assert _undominated_columns(m, np.array([0]), 1).tolist() == [True, True, True, False]
    assert _undominated_columns(m, np.zeros(0, dtype=np.int64), 3).all()


@st.composite
def cover_instances(draw):
    n = draw(st.integers(2, 30))
    m = draw(st.integers(2, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    cov = rng.random((n, m)) < draw(st.floats(0.1, 0.7))
    cov[0, 0] = True
    integral = draw(st.booleans())
    w = (rng.integers(0, 20, size=n) if integral else rng.random(n) * 10).astype(float)
    w[0] += 1.0
    p = draw(st.integers(1, min(4, m)))
    n_fix = draw(st.integers(0, min(p, 2)))
    fixed = tuple(sorted(int(j) for j in rng.choice(m, size=n_fix, replace=False)))
    return cov, w, p, fixed


@settings(max_examples=120, deadline=None)
@given(cover_instances())
def test_reductions_keep_the_mclp_optimum(inst):
    cov, w, p, fixed = inst
    opt = brute_mclp(cov, w, p, fixed)
    m = _merge_rows(_as_coverage(sparse.csr_matrix(cov)), w)
    keep = _undominated_columns(m, np.asarray(fixed, dtype=np.int64), p)
    assert set(fixed) <= set(np.flatnonzero(keep).tolist())
    # the optimum over the kept candidates only (rows of the original matrix)
    cols = np.flatnonzero(keep)
    fx_r = tuple(int(np.searchsorted(cols, j)) for j in fixed)
    assert brute_mclp(cov[:, cols], w, p, fx_r) == pytest.approx(opt)
    for method in ("auto", "milp"):
        r = mclp(sparse.csr_matrix(cov), w, p=p, fixed=list(fixed), method=method)
        check_result(r)
        assert r.objective == pytest.approx(opt)
        assert r.bound >= opt - 1e-9 and r.status == "optimal"
        assert set(fixed) <= set(r.selected.tolist()) and len(r.selected) == p
        covered = cov[:, r.selected].any(axis=1)
        assert float(w[covered].sum()) == pytest.approx(r.objective)


@settings(max_examples=60, deadline=None)
@given(cover_instances())
def test_greedy_bound_stays_valid_after_integer_rounding(inst):
    cov, w, p, fixed = inst
    opt = brute_mclp(cov, w, p, fixed)
    g = mclp(sparse.csr_matrix(cov), w, p=p, fixed=list(fixed), method="greedy")
    assert g.objective <= opt + 1e-9 <= g.bound + 2e-9


def test_solve_milp_initial_incumbent_gives_the_same_answer():
    # knapsack: max 5a + 4b + 3c with 2a + 3b + c <= 4, binary: a and c, 8
    c = np.array([5.0, 4.0, 3.0])
    cons = LinearConstraint(sparse.csr_matrix([[2.0, 3.0, 1.0]]), -np.inf, 4.0)
    b = Bounds(np.zeros(3), np.ones(3))
    plain = solve_milp(c, constraints=cons, integrality=np.ones(3), bounds=b, sense="max")
    warm = solve_milp(c, constraints=[cons], integrality=np.ones(3), bounds=b, sense="max",
                      initial=np.array([0.0, 1.0, 1.0]))  # feasible, value 7
    assert plain.objective == warm.objective == 8.0
    assert warm.status == "optimal" and warm.bound == pytest.approx(8.0)
    infeas = solve_milp(c, constraints=LinearConstraint(sparse.csr_matrix([[1.0, 1.0, 1.0]]),
                                                        5.0, 6.0),
                        integrality=np.ones(3), bounds=b, sense="max", initial=np.ones(3))
    assert infeas.status == "infeasible" and infeas.x is None


@st.composite
def median_instances(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(2, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    d = np.round(rng.random((n, m)) * 20, 1)
    w = rng.integers(0, 10, size=n).astype(float)
    w[0] += 1.0
    p = draw(st.integers(1, min(4, m)))
    return d, w, p


@settings(max_examples=80, deadline=None)
@given(median_instances(), st.floats(2.0, 25.0))
def test_p_median_bound_optimum_objective_in_order(inst, pen):
    d, w, p = inst
    # with an unassigned cost: a pair dearer than the penalty is as good as unassigned
    opt = brute_pmedian(np.minimum(d, pen), w, p)
    for method in ("lagrangian", "auto"):
        r = p_median(full_sparse(d), w, p=p, unassigned_cost=pen, method=method)
        check_result(r)
        assert r.bound <= opt + 1e-6 * max(1.0, opt)
        assert r.objective >= opt - 1e-6 * max(1.0, opt)
        if r.status == "optimal":
            assert r.objective == pytest.approx(opt)
    r = p_median(full_sparse(d), w, p=p)
    assert r.objective == pytest.approx(brute_pmedian(d, w, p))


@settings(max_examples=60, deadline=None)
@given(median_instances(), st.floats(2.0, 25.0), st.integers(0, 2**31 - 1))
def test_swap_search_ends_at_a_swap_local_optimum(inst, pen, seed):
    d, w, p = inst
    m = d.shape[1]
    rng = np.random.default_rng(seed)
    start = np.zeros(m, dtype=bool)
    start[rng.choice(m, size=p, replace=False)] = True
    fixed = np.flatnonzero(start)[:1] if p > 1 else np.zeros(0, dtype=np.int64)
    c = full_sparse(d)

    def value(mask):
        return _pmed_value(c, w, mask, pen)[0]

    out = _swap_search(c, w, start, fixed, pen, deadline=float("inf"))
    assert out.sum() == p and out[fixed].all()
    assert value(out) <= value(start) + 1e-9
    # no single swap (close a non-fixed open site, open a closed one) is better
    for j in np.flatnonzero(out):
        if j in fixed:
            continue
        for i in np.flatnonzero(~out):
            alt = out.copy()
            alt[j], alt[i] = False, True
            assert value(alt) >= value(out) - 1e-7 * max(1.0, value(out))


@settings(max_examples=60, deadline=None)
@given(cover_instances(), st.integers(0, 2**31 - 1))
def test_mclp_swap_ends_at_a_swap_local_optimum(inst, seed):
    cov, w, p, fixed = inst
    n_c = cov.shape[1]
    m = _merge_rows(_as_coverage(sparse.csr_matrix(cov)), w)
    rng = np.random.default_rng(seed)
    free = [j for j in range(n_c) if j not in fixed]
    start = np.array(sorted(list(fixed) + [int(j) for j in rng.choice(
        free, size=p - len(fixed), replace=False)]), dtype=np.int64)

    def value(sel):
        return float(w[cov[:, list(sel)].any(axis=1)].sum())

    out = _mclp_swap(m, start, np.asarray(fixed, dtype=np.int64), deadline=float("inf"))
    assert len(out) == p and set(fixed) <= set(out.tolist())
    assert value(out) >= value(start) - 1e-9
    assert value(out) <= brute_mclp(cov, w, p, fixed) + 1e-9
    for j in out:
        if j in fixed:
            continue
        for i in set(range(n_c)) - set(out.tolist()):
            alt = [k for k in out if k != j] + [i]
            assert value(alt) <= value(out) + 1e-9


@settings(max_examples=60, deadline=None)
@given(cover_instances())
def test_mclp_large_instance_path_bound_optimum_objective_in_order(inst):
    # MILP_MAX_PAIRS = 0: the path of the large instances (greedy, swaps, Lagrangian bound)
    from kotacerdas_gis.siting import solvers

    cov, w, p, fixed = inst
    opt = brute_mclp(cov, w, p, fixed)
    with pytest.MonkeyPatch.context() as mpatch:
        mpatch.setattr(solvers, "MILP_MAX_PAIRS", 0)
        r = mclp(sparse.csr_matrix(cov), w, p=p, fixed=list(fixed))
    check_result(r)
    assert r.objective <= opt + 1e-9 <= r.bound + 2e-9
    assert len(r.selected) == p and set(fixed) <= set(r.selected.tolist())
    assert float(w[cov[:, r.selected].any(axis=1)].sum()) == pytest.approx(r.objective)


def test_without_highspy_the_incumbent_is_ignored_and_the_answer_is_the_same():
    import sys

    with pytest.MonkeyPatch.context() as mpatch:
        mpatch.setitem(sys.modules, "highspy", None)  # import highspy -> ImportError
        r = mclp(sparse.csr_matrix(K4), np.ones(6), p=2)
    assert r.objective == 5.0 and r.bound == 5.0 and r.status == "optimal"
