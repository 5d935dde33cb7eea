"""The solver core: hand-computed optima, brute-force oracles, spopt, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from kotacerdas_gis.errors import InfeasibleProblemError, KotaCerdasError, ParameterError
from kotacerdas_gis.siting.solvers import (
    SolverResult,
    coverage_matrix,
    lscp,
    mclp,
    p_center,
    p_median,
    solve_milp,
)

E = 1.0 - 1.0 / math.e


def full_sparse(d: np.ndarray) -> sparse.csr_matrix:
    """Every pair stored, zeros included (a dense cost matrix as allowed pairs)."""
    n, m = d.shape
    return sparse.csr_matrix((d.ravel().astype(float), np.tile(np.arange(m), n),
                              np.arange(0, n * m + 1, m)), shape=(n, m))


def sets_to_cov(n_rows: int, sets: list[set[int]]) -> sparse.csr_matrix:
    a = np.zeros((n_rows, len(sets)), dtype=bool)
    for j, s in enumerate(sets):
        a[sorted(s), j] = True
    return sparse.csr_matrix(a)


# The greedy trap: rows 0..5 weight 1; S0 = {0,1,3,4} (4 rows), S1 = {0,1,2}, S2 = {3,4,5}.
# With p = 2 the greedy takes S0 (4) then S1 or S2 (+1 each, S1 by the lower index) = 5;
# the optimum is S1 + S2 = 6 (everything). TRAP4 adds S3 = {2,5}.
TRAP = sets_to_cov(6, [{0, 1, 3, 4}, {0, 1, 2}, {3, 4, 5}])
TRAP4 = sets_to_cov(6, [{0, 1, 3, 4}, {0, 1, 2}, {3, 4, 5}, {2, 5}])
ONES6 = np.ones(6)

# A line: demand at x = 0, 1, 2, 10, 11 km with weights 1, 1, 2, 1, 1; candidates at
# x = 0, 2, 10, 6 km; cost = |x_demand - x_candidate| (every pair allowed).
XD = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
WD = np.array([1.0, 1.0, 2.0, 1.0, 1.0])
XC = np.array([0.0, 2.0, 10.0, 6.0])
LINE = full_sparse(np.abs(XD[:, None] - XC[None, :]))


def check_result(r: SolverResult) -> None:
    assert 0.0 <= r.gap <= 1.0
    if r.sense == "max":
        assert r.bound >= r.objective - 1e-9
        expect = 0.0 if r.bound == 0 else (r.bound - r.objective) / r.bound
    else:
        assert r.bound <= r.objective + 1e-9
        expect = 0.0 if r.objective == 0 else (r.objective - r.bound) / r.objective
    assert r.gap == pytest.approx(max(0.0, min(1.0, expect)), abs=1e-12)
    assert r.selected.dtype == np.int64
    assert r.runtime_s >= 0
    d = r.to_dict()
    assert d["objective"] == pytest.approx(r.objective)
    assert d["status"] == r.status and d["solver"] == r.solver


# --------------------------------------------------------------------------- hand instances


class TestMCLPByHand:
    def test_greedy_falls_in_the_trap_and_says_so(self):
        r = mclp(TRAP, ONES6, p=2, method="greedy")
        assert r.selected.tolist() == [0, 1]          # S0 first (4 rows), then S1 (row 2)
        assert r.objective == 5.0
        assert r.marginal_gain.tolist() == [4.0, 1.0]
        # online bound: at the start, the top-2 single gains are 4 + 3 = 7; after S0 the
        # value is 4 and the top-2 gains are 1 + 1 -> 6; after S1: 5 + (1 + 0) = 6. min = 6.
        assert r.bound == 6.0
        assert r.gap == pytest.approx(1 / 6)
        assert r.status == "heuristic"
        check_result(r)

    def test_exact_closes_the_gap(self):
        for method in ("auto", "milp"):
            r = mclp(TRAP, ONES6, p=2, method=method)
            assert r.selected.tolist() == [1, 2] and r.objective == 6.0
            assert r.bound == 6.0 and r.gap == 0.0 and r.status == "optimal"
            # the LP relaxation is integral here: its rounding is proven optimal by its bound
            assert r.solver == "lp_rounding"
            # every row is covered: rows 0-2 by S1, rows 3-5 by S2
            assert r.assignment.tolist() == [1, 1, 1, 2, 2, 2]
            check_result(r)

    def test_fixed_site(self):
        # S0 fixed (4 rows); one more site: S1 adds row 2, S2 adds row 5, S3 adds both -> S3, 6
        r = mclp(TRAP4, ONES6, p=2, fixed=[0])
        assert r.selected.tolist() == [0, 3] and r.objective == 6.0
        # without S3: S1 and S2 tie at +1, the lower index (S1) wins
        r = mclp(TRAP, ONES6, p=2, fixed=[0], method="greedy")
        assert r.selected.tolist() == [0, 1] and r.objective == 5.0
        assert r.marginal_gain.tolist() == [4.0, 1.0]
        assert r.status == "optimal"  # online bound after S0: 4 + top-1 gain (1) = 5

    def test_p_equal_to_fixed(self):
        r = mclp(TRAP, ONES6, p=1, fixed=[2])
        assert r.selected.tolist() == [2] and r.objective == 3.0 and r.gap == 0.0

    def test_uncoverable_rows_count_in_no_solution(self):
        cov = sparse.csr_matrix(np.array([[1, 0], [0, 0], [0, 1]], dtype=bool))
        r = mclp(cov, [5, 7, 1], p=2)
        assert r.objective == 6.0 and r.assignment.tolist() == [0, -1, 1]
        assert r.parameters["weight_uncoverable"] == 7.0

    def test_budget(self):
        # costs 3, 2, 2, 1; budget 4: S1 + S2 (cost 4) covers 6; S0 + S3 (cost 4) covers 6 too
        # (rows 0,1,3,4 + 2,5). S2 + S3 = {2,3,4,5} = 4. The optimum 6.
        r = mclp(TRAP4, ONES6, budget=4, costs=[3, 2, 2, 1])
        assert r.objective == 6.0 and r.gap == 0.0
        # budget 3 with costs 3, 2, 2, 1: S0 alone (4), S1 + S3 (cost 3, rows 0,1,2,5 = 4),
        # S2 + S3 (4); optimum 4
        r = mclp(TRAP4, ONES6, budget=3, costs=[3, 2, 2, 1])
        assert r.objective == 4.0 and r.status == "optimal"

    def test_capacities_by_hand(self):
        # rows weight 6 and 4; c0 covers both (capacity 5), c1 row 0 (capacity 10), c2 row 1
        # (capacity 3).
        cov = sets_to_cov(2, [{0, 1}, {0}, {1}])
        caps = [5.0, 10.0, 3.0]
        # p = 1: c0 serves min(5, 10) = 5, c1 serves 6, c2 serves 3 -> c1, 6
        r = mclp(cov, [6, 4], p=1, capacities=caps)
        assert r.selected.tolist() == [1] and r.objective == 6.0 and r.gap == 0.0
        # uncapacitated: c0 covers 10
        assert mclp(cov, [6, 4], p=1).objective == 10.0
        # p = 2: c0 + c1 = 6 (row 0 via c1) + 4 (row 1 via c0) = 10; c0 + c2 = 5 + 3 = 8;
        # c1 + c2 = 6 + 3 = 9 -> c0 + c1, 10
        for method in ("greedy", "auto", "milp"):
            r = mclp(cov, [6, 4], p=2, capacities=caps, method=method)
            assert r.objective == pytest.approx(10.0) and sorted(r.selected.tolist()) == [0, 1]
            load = np.asarray(r.flow.sum(axis=0)).ravel()
            assert np.all(load <= np.asarray(caps) + 1e-9)
            assert np.asarray(r.flow.sum(axis=1)).ravel() == pytest.approx([6, 4])
        # c2 fixed: c2 + c0 = 8, c2 + c1 = 9 -> c1, 9
        r = mclp(cov, [6, 4], p=2, capacities=caps, fixed=[2])
        assert sorted(r.selected.tolist()) == [1, 2] and r.objective == pytest.approx(9.0)
        check_result(r)

    def test_capacitated_split_demand_by_milp(self):
        # one row of 10 people covered by c0 and c1 (capacity 6 each): with both open the
        # row is split 6 + 4 (or 4 + 6): 10 served; one site serves 6.
        cov = sets_to_cov(1, [{0}, {0}])
        assert mclp(cov, [10], p=1, capacities=[6, 6]).objective == 6.0
        r = mclp(cov, [10], p=2, capacities=[6, 6], method="milp")
        assert r.objective == pytest.approx(10.0)
        assert r.flow.sum() == pytest.approx(10.0)


def test_coverage_matrix_keeps_stored_zeros_and_limit():
    c = sparse.csr_matrix((np.array([0.0, 5.0, 5.0001, 2.0]), np.array([0, 1, 2, 0]),
                           np.array([0, 3, 4])), shape=(2, 3))
    cov = coverage_matrix(c, max_cost=5.0)
    assert cov.dtype == bool
    assert cov.toarray().tolist() == [[True, True, False], [True, False, False]]


class TestLSCPByHand:
    def test_minimum_cover(self):
        # S1 + S2 cover rows 0-5; no single set does -> 2 sites
        r = lscp(TRAP4)
        assert r.objective == 2.0 and r.gap == 0.0 and r.status == "optimal"
        assert len(r.selected) == 2
        assert (r.assignment >= 0).all()
        check_result(r)

    def test_costs_and_fixed(self):
        # costs 1, 1, 1, 5; S0 fixed: rows 2 and 5 remain -> S3 (5) or S1 + S2 (2):
        # S0 + S1 + S2, cost 3
        r = lscp(TRAP4, fixed=[0], costs=[1, 1, 1, 5])
        assert r.selected.tolist() == [0, 1, 2] and r.objective == 3.0
        # unit costs with S0 fixed: S0 + S3 = 2 sites
        r = lscp(TRAP4, fixed=[0])
        assert r.selected.tolist() == [0, 3] and r.objective == 2.0

    def test_uncovered_rows_are_named(self):
        cov = sets_to_cov(4, [{0, 1}, {1}])
        with pytest.raises(InfeasibleProblemError, match=r"2 demand row\(s\).*: 2, 3"):
            lscp(cov)


class TestPMedianByHand:
    def test_uncapacitated(self):
        # {x=2, x=10}: 2 + 1 + 0 + 0 + 1 = 4; {0, 10}: 0 + 1 + 2*2 + 0 + 1 = 6; others worse
        for method in ("auto", "lagrangian", "milp"):
            r = p_median(LINE, WD, p=2, method=method)
            assert r.selected.tolist() == [1, 2] and r.objective == pytest.approx(4.0)
            assert r.assignment.tolist() == [1, 1, 1, 2, 2]
            check_result(r)
        assert p_median(LINE, WD, p=2).status == "optimal"

    def test_fixed(self):
        # x=6 fixed: {6, 2}: 2 + 1 + 0 + 4 + 5 = 12; {6, 0}: 0 + 1 + 2*2 + 4 + 5 = 14;
        # {6, 10}: 6 + 5 + 2*4 + 0 + 1 = 20 -> {2, 6} = candidates 1 and 3, 12
        r = p_median(LINE, WD, p=2, fixed=[3])
        assert r.selected.tolist() == [1, 3] and r.objective == pytest.approx(12.0)

    def test_capacitated(self):
        # x=2 holds 3 people: {2, 10} must send one person from the left group to x=10
        # (+8 each way) -> 12; {0, 10}: 0 + 1 + 2*2 + 0 + 1 = 6 within capacity -> {0, 10}, 6
        caps = [10.0, 3.0, 10.0, 10.0]
        r = p_median(LINE, WD, p=2, capacities=caps)
        assert r.selected.tolist() == [0, 2] and r.objective == pytest.approx(6.0)
        assert r.flow is not None and r.flow.sum() == pytest.approx(WD.sum())
        check_result(r)
        # with x=2 fixed the split is forced: 4 + 8 = 12
        r = p_median(LINE, WD, p=2, capacities=caps, fixed=[1])
        assert r.selected.tolist() == [1, 2] and r.objective == pytest.approx(12.0)

    def test_sparse_pairs_and_unassigned_cost(self):
        # row 1 may only go to c1; row 0 to c0 or c1 (costs 1, 3). p = 1 must be c1: 3 + 2 = 5
        c = sparse.csr_matrix((np.array([1.0, 3.0, 2.0]), np.array([0, 1, 1]),
                               np.array([0, 2, 3])), shape=(2, 2))
        r = p_median(c, [1, 1], p=1)
        assert r.selected.tolist() == [1] and r.objective == pytest.approx(5.0)
        # with a penalty of 1.5 per unassigned person: c0 gives 1 + 1.5 = 2.5, c1 gives 1.5 +
        # 2 = 3.5 -> c0, and row 1 unassigned
        r = p_median(c, [1, 1], p=1, unassigned_cost=1.5)
        assert r.selected.tolist() == [0] and r.objective == pytest.approx(2.5)
        assert r.assignment.tolist() == [0, -1]

    def test_rows_without_pairs_are_named(self):
        c = sparse.csr_matrix((np.array([1.0]), np.array([0]), np.array([0, 1, 1])), shape=(2, 2))
        with pytest.raises(InfeasibleProblemError, match=r"1 demand row\(s\) have no allowed.*: 1"):
            p_median(c, [1, 1], p=1)

    def test_capacity_cannot_hold_demand(self):
        with pytest.raises(InfeasibleProblemError, match="capacities cannot hold the demand"):
            p_median(LINE, WD, p=1, capacities=[5, 5, 5, 5])

    def test_no_assignment_with_p_sites(self):
        # two rows, each reachable from its own candidate only: one site cannot serve both
        c = sparse.csr_matrix((np.array([1.0, 1.0]), np.array([0, 1]), np.array([0, 1, 2])),
                              shape=(2, 2))
        with pytest.raises(InfeasibleProblemError, match="unassigned_cost"):
            p_median(c, [1, 1], p=1)


class TestPCenterByHand:
    def test_line(self):
        # p = 1: x=6 gives max(6, 5, 4, 4, 5) = 6; x=2 gives 9; x=10 gives 10; x=0 gives 11
        r = p_center(LINE, p=1)
        assert r.selected.tolist() == [3] and r.objective == 6.0 and r.status == "optimal"
        # p = 2: {2, 10} or {0, 10}: 2
        r = p_center(LINE, p=2)
        assert r.objective == 2.0 and r.bound == 2.0
        check_result(r)
        # x=6 fixed: {6, 0} or {6, 2}: 5 (x=11 to 6); {6, 10}: 6 -> 5
        r = p_center(LINE, p=2, fixed=[3])
        assert r.objective == 5.0 and 3 in r.selected.tolist()

    def test_infeasible_with_p(self):
        c = sparse.csr_matrix((np.array([1.0, 1.0]), np.array([0, 1]), np.array([0, 1, 2])),
                              shape=(2, 2))
        with pytest.raises(InfeasibleProblemError, match="1 sites cannot reach every demand row"):
            p_center(c, p=1)
        assert p_center(c, p=2).objective == 1.0


def test_solve_milp_knapsack_and_infeasible():
    from scipy.optimize import Bounds, LinearConstraint

    # values 6, 5, 4; weights 3, 2, 2; capacity 4 -> items 1 + 2 = 9
    out = solve_milp(np.array([6.0, 5.0, 4.0]), sense="max",
                     constraints=LinearConstraint(np.array([[3.0, 2.0, 2.0]]), -np.inf, 4.0),
                     integrality=np.ones(3), bounds=Bounds(0, 1))
    assert out.objective == 9.0 and out.bound == 9.0 and out.gap == 0.0
    out = solve_milp(np.array([1.0]), constraints=LinearConstraint(np.array([[1.0]]), 2.0, 3.0),
                     integrality=np.ones(1), bounds=Bounds(0, 1))
    assert out.status == "infeasible" and out.x is None


# --------------------------------------------------------------------------- oracles


def brute_mclp(cov: np.ndarray, w: np.ndarray, p: int, fixed: tuple[int, ...] = ()) -> float:
    n_c = cov.shape[1]
    free = [j for j in range(n_c) if j not in fixed]
    best = 0.0
    for extra in itertools.combinations(free, p - len(fixed)):
        s = list(fixed) + list(extra)
        best = max(best, float(w[cov[:, s].any(axis=1)].sum()))
    return best


def brute_pmedian(d: np.ndarray, w: np.ndarray, p: int) -> float:
    return min(float((w * d[:, list(s)].min(axis=1)).sum())
               for s in itertools.combinations(range(d.shape[1]), p))


def brute_pcenter(d: np.ndarray, p: int) -> float:
    return min(float(d[:, list(s)].min(axis=1).max())
               for s in itertools.combinations(range(d.shape[1]), p))


@st.composite
def coverage_instances(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    dens = draw(st.floats(0.1, 0.6))
    cov = rng.random((n, m)) < dens
    cov[0, 0] = True  # at least one pair (an empty coverage is an error, tested apart)
    w = rng.integers(0, 20, size=n).astype(float)
    if w.sum() == 0:
        w[0] = 1.0
    p = draw(st.integers(1, min(4, m)))
    return cov, w, p, rng


@settings(max_examples=60, deadline=None)
@given(coverage_instances())
def test_mclp_greedy_guarantee_bound_and_exact(inst):
    cov, w, p, _ = inst
    opt = brute_mclp(cov, w, p)
    g = mclp(sparse.csr_matrix(cov), w, p=p, method="greedy")
    check_result(g)
    assert g.objective >= E * opt - 1e-9
    assert g.bound >= opt - 1e-9
    assert g.objective <= opt + 1e-9
    ex = mclp(sparse.csr_matrix(cov), w, p=p, method="milp")
    check_result(ex)
    assert ex.objective == pytest.approx(opt)
    assert ex.bound >= opt - 1e-6
    au = mclp(sparse.csr_matrix(cov), w, p=p)
    assert au.objective == pytest.approx(opt)


@settings(max_examples=40, deadline=None)
@given(coverage_instances())
def test_mclp_fixed_matches_brute_force(inst):
    cov, w, p, rng = inst
    fixed = tuple(int(j) for j in rng.choice(cov.shape[1], size=min(p, 2), replace=False))
    r = mclp(sparse.csr_matrix(cov), w, p=p, fixed=list(fixed))
    assert set(fixed) <= set(r.selected.tolist())
    assert r.objective == pytest.approx(brute_mclp(cov, w, p, tuple(sorted(fixed))))


@settings(max_examples=40, deadline=None)
@given(coverage_instances())
def test_mclp_monotone_in_p_and_radius(inst):
    cov, w, p, rng = inst
    d = rng.random(cov.shape) * 10
    prev = -1.0
    for method in ("greedy", "auto"):
        prev = -1.0
        for pp in range(1, cov.shape[1] + 1):
            v = mclp(sparse.csr_matrix(cov), w, p=pp, method=method).objective
            assert v >= prev - 1e-9
            prev = v
    prev = -1.0
    for radius in (0.0, 2.0, 4.0, 6.0, 8.0, 10.0):
        c = coverage_matrix(full_sparse(d), max_cost=radius)
        if c.nnz == 0:
            continue
        v = mclp(c, w, p=p).objective
        assert v >= prev - 1e-9
        prev = v


@settings(max_examples=40, deadline=None)
@given(coverage_instances())
def test_mclp_independent_of_row_order_and_columns_up_to_ties(inst):
    cov, w, p, rng = inst
    perm = rng.permutation(cov.shape[0])
    for method in ("greedy", "auto"):
        a = mclp(sparse.csr_matrix(cov), w, p=p, method=method)
        b = mclp(sparse.csr_matrix(cov[perm]), w[perm], p=p, method=method)
        assert a.selected.tolist() == b.selected.tolist()
        assert a.objective == b.objective and a.bound == pytest.approx(b.bound)
        assert b.assignment.tolist() == a.assignment[perm].tolist()
    cp = rng.permutation(cov.shape[1])
    a = mclp(sparse.csr_matrix(cov), w, p=p)
    b = mclp(sparse.csr_matrix(cov[:, cp]), w, p=p)
    assert a.objective == pytest.approx(b.objective)


@settings(max_examples=40, deadline=None)
@given(coverage_instances())
def test_capacitated_mclp_bounds(inst):
    cov, w, p, rng = inst
    caps = rng.integers(1, 30, size=cov.shape[1]).astype(float)
    g = mclp(sparse.csr_matrix(cov), w, p=p, capacities=caps, method="greedy")
    ex = mclp(sparse.csr_matrix(cov), w, p=p, capacities=caps, method="milp")
    check_result(g)
    check_result(ex)
    assert g.objective <= ex.objective + 1e-6
    assert g.bound >= ex.objective - 1e-6
    assert ex.objective <= mclp(sparse.csr_matrix(cov), w, p=p).objective + 1e-6
    load = np.asarray(ex.flow.sum(axis=0)).ravel()
    assert np.all(load <= caps + 1e-6)
    assert np.all(np.asarray(ex.flow.sum(axis=1)).ravel() <= w + 1e-6)
    opened = np.zeros(cov.shape[1], dtype=bool)
    opened[ex.selected] = True
    assert np.all(load[~opened] <= 1e-9)


@st.composite
def cost_instances(draw):
    n = draw(st.integers(2, 20))
    m = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    d = np.round(rng.random((n, m)) * 20, 1)
    w = rng.integers(1, 10, size=n).astype(float)
    p = draw(st.integers(1, min(3, m)))
    return d, w, p, rng


@settings(max_examples=50, deadline=None)
@given(cost_instances())
def test_p_median_against_brute_force(inst):
    d, w, p, rng = inst
    opt = brute_pmedian(d, w, p)
    lag = p_median(full_sparse(d), w, p=p, method="lagrangian")
    check_result(lag)
    assert lag.bound <= opt + 1e-6 and lag.objective >= opt - 1e-6
    r = p_median(full_sparse(d), w, p=p)
    check_result(r)
    assert r.objective == pytest.approx(opt)
    perm = rng.permutation(d.shape[0])
    r2 = p_median(full_sparse(d[perm]), w[perm], p=p)
    assert r2.objective == pytest.approx(opt)


@settings(max_examples=40, deadline=None)
@given(cost_instances())
def test_p_center_and_lscp_against_brute_force(inst):
    d, w, p, rng = inst
    r = p_center(full_sparse(d), p=p)
    check_result(r)
    assert r.objective == pytest.approx(brute_pcenter(d, p))
    assert r.status == "optimal"
    radius = float(np.median(d))
    cov = d <= radius
    if cov.any(axis=1).all():
        m = d.shape[1]
        best = next(k for k in range(1, m + 1)
                    if any(cov[:, list(s)].any(axis=1).all()
                           for s in itertools.combinations(range(m), k)))
        assert lscp(sparse.csr_matrix(cov)).objective == best


# --------------------------------------------------------------------------- spopt


def _spopt_value(model) -> float:
    import pulp

    return float(pulp.value(model.problem.objective))


@pytest.fixture(scope="module")
def spopt_instances():
    rng = np.random.default_rng(11)
    out = []
    for n, m in ((30, 8), (40, 10)):
        dem = rng.random((n, 2)) * 10
        cand = rng.random((m, 2)) * 10
        d = np.round(np.hypot(*(dem[:, None, :] - cand[None, :, :]).transpose(2, 0, 1)), 3)
        w = rng.integers(1, 20, size=n).astype(float)
        out.append((d, w))
    return out


def test_spopt_agrees_mclp_lscp(spopt_instances):
    pulp = pytest.importorskip("pulp")
    from spopt.locate import LSCP, MCLP

    solver = pulp.PULP_CBC_CMD(msg=False)
    for d, w in spopt_instances:
        for radius, p in ((2.5, 2), (3.5, 3)):
            ref = MCLP.from_cost_matrix(d, w, service_radius=radius, p_facilities=p)
            ref.solve(solver)
            ours = mclp(coverage_matrix(full_sparse(d), max_cost=radius), w, p=p, method="milp")
            assert ours.objective == pytest.approx(_spopt_value(ref))
            assert ours.status == "optimal"
        radius = float(np.sort(d, axis=1)[:, 0].max()) + 0.5
        ref = LSCP.from_cost_matrix(d, service_radius=radius)
        ref.solve(solver)
        ours = lscp(coverage_matrix(full_sparse(d), max_cost=radius))
        assert ours.objective == pytest.approx(_spopt_value(ref))


def test_spopt_agrees_p_median_p_center(spopt_instances):
    pulp = pytest.importorskip("pulp")
    from spopt.locate import PCenter, PMedian

    solver = pulp.PULP_CBC_CMD(msg=False)
    for d, w in spopt_instances:
        for p in (2, 3):
            ref = PMedian.from_cost_matrix(d, w, p_facilities=p)
            ref.solve(solver)
            ours = p_median(full_sparse(d), w, p=p)
            assert ours.objective == pytest.approx(_spopt_value(ref), rel=1e-6)
            ref = PCenter.from_cost_matrix(d, p_facilities=p)
            ref.solve(solver)
            ours_c = p_center(full_sparse(d), p=p)
            assert ours_c.objective == pytest.approx(_spopt_value(ref), rel=1e-6)
        # capacitated p-median: spopt has it with single sourcing (binary assignment);
        # capacities of 40 % of the demand each
        caps = np.full(d.shape[1], 0.4 * w.sum())
        ref = PMedian.from_cost_matrix(d, w, p_facilities=3, facility_capacities=caps)
        ref.solve(solver)
        ours = p_median(full_sparse(d), w, p=3, capacities=caps, split_demand=False)
        assert ours.objective == pytest.approx(_spopt_value(ref), rel=1e-6)
        # letting a demand row split between sites can only lower the cost
        split = p_median(full_sparse(d), w, p=3, capacities=caps)
        assert split.objective <= ours.objective + 1e-6


# --------------------------------------------------------------------------- bad input


class TestBadInput:
    cov = TRAP4

    @pytest.mark.parametrize("p, match", [(0, "p must be >= 1"), (-2, "p must be >= 1"),
                                          (5, "only 4 candidates"), (1.5, "whole number")])
    def test_p(self, p, match):
        with pytest.raises(ParameterError, match=match):
            mclp(self.cov, ONES6, p=p)
        with pytest.raises(ParameterError, match=match):
            p_median(LINE, WD, p=p)
        with pytest.raises(ParameterError, match=match):
            p_center(LINE, p=p)

    def test_p_below_fixed(self):
        with pytest.raises(ParameterError, match="2 sites are fixed"):
            mclp(self.cov, ONES6, p=1, fixed=[0, 1])

    @pytest.mark.parametrize("t", [0, -1, float("nan"), float("inf")])
    def test_time_limit(self, t):
        for call in (lambda: mclp(self.cov, ONES6, p=1, time_limit_s=t),
                     lambda: lscp(self.cov, time_limit_s=t),
                     lambda: p_median(LINE, WD, p=1, time_limit_s=t),
                     lambda: p_center(LINE, p=1, time_limit_s=t)):
            with pytest.raises(ParameterError, match="time_limit_s must be a finite"):
                call()

    def test_weights(self):
        with pytest.raises(ParameterError, match="NaN"):
            mclp(self.cov, [1, np.nan, 1, 1, 1, 1], p=1)
        with pytest.raises(ParameterError, match=">= 0"):
            mclp(self.cov, [1, -1, 1, 1, 1, 1], p=1)
        with pytest.raises(ParameterError, match="sum to zero"):
            mclp(self.cov, np.zeros(6), p=1)
        with pytest.raises(ParameterError, match="sum to zero"):
            p_median(LINE, np.zeros(5), p=1)
        with pytest.raises(ParameterError, match="one value per demand row"):
            mclp(self.cov, np.ones(5), p=1)

    def test_budget_and_costs(self):
        with pytest.raises(ParameterError, match="exactly one of p"):
            mclp(self.cov, ONES6)
        with pytest.raises(ParameterError, match="exactly one of p"):
            mclp(self.cov, ONES6, p=1, budget=3, costs=[1, 1, 1, 1])
        with pytest.raises(ParameterError, match="budget needs costs"):
            mclp(self.cov, ONES6, budget=3)
        with pytest.raises(ParameterError, match="budget must be finite and > 0"):
            mclp(self.cov, ONES6, budget=0, costs=[1, 1, 1, 1])
        with pytest.raises(ParameterError, match="costs must be one value per candidate"):
            mclp(self.cov, ONES6, budget=2, costs=[1, 1])

    def test_capacities_and_fixed_and_method(self):
        with pytest.raises(ParameterError, match="capacities must be finite"):
            mclp(self.cov, ONES6, p=1, capacities=[1, np.nan, 1, 1])
        with pytest.raises(ParameterError, match="outside 0..3"):
            mclp(self.cov, ONES6, p=2, fixed=[7])
        with pytest.raises(ParameterError, match="method must be"):
            mclp(self.cov, ONES6, p=1, method="fast")
        with pytest.raises(ParameterError, match="method must be"):
            p_median(LINE, WD, p=1, method="fast")

    def test_costs_matrix(self):
        bad = LINE.copy()
        bad.data[0] = np.nan
        with pytest.raises(ParameterError, match="NaN or inf"):
            p_median(bad, WD, p=1)
        bad.data[0] = -1
        with pytest.raises(ParameterError, match="negative"):
            p_center(bad, p=1)
        with pytest.raises(ParameterError, match="max_cost"):
            coverage_matrix(LINE, max_cost=-1)
        with pytest.raises(ParameterError, match="at least one demand row"):
            mclp(sparse.csr_matrix((0, 3)), np.zeros(0), p=1)

    def test_nothing_covered(self):
        with pytest.raises(InfeasibleProblemError, match="no candidate covers any of the 2"):
            mclp(sparse.csr_matrix((2, 3), dtype=bool), [1, 1], p=1)

    def test_errors_are_the_family(self):
        assert issubclass(ParameterError, KotaCerdasError)
        assert issubclass(ParameterError, ValueError)
        assert issubclass(InfeasibleProblemError, KotaCerdasError)
