"""Scoring: criteria, weights (direct or AHP), per-criterion contributions, ranks, sensitivity.

Every criterion is first put on a 0-1 scale (:func:`normalise_criteria`), then the score is the
weighted sum ``score = sum_k w_k * n_k`` with weights that sum to 1, so each asset's score is
split exactly into contributions ``contrib_k = w_k * n_k``. Ranks run 1..n by score, ties
broken by ``asset_id`` (as text) so that the ranking never depends on row order.

Examples
--------
>>> w = check_weights({"damage": 2, "access": 2})
>>> w["damage"], w["access"], w["cost"]
(0.5, 0.5, 0.0)
>>> r = ahp_weights(pd.DataFrame([[1, 3], [1 / 3, 1]], index=["access", "damage"],
...     columns=["access", "damage"]))
>>> r.weights["access"], r.consistency_ratio
(0.75, 0.0)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import KotaCerdasWarning, ParameterError

__all__ = [
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "DEFAULT_TYPE_WEIGHTS",
    "SAATY_RI",
    "InconsistentJudgementWarning",
    "AHPResult",
    "Sensitivity",
    "check_weights",
    "ahp_weights",
    "normalise_criteria",
    "score_matrix",
    "rank_scores",
    "weight_sensitivity",
]

#: The criteria, in the order of the contribution columns.
CRITERIA: tuple[str, ...] = ("damage", "criticality", "people_served", "access",
                             "future_exposure", "cost")
#: Default weights: an ASSUMPTION to discuss with the planners (Bappeda, BPBD), not a standard.
#: Access to health care weighs most after a flood that cut the Trans-Sulawesi road; cost
#: weighs least because the budget step already trades cost against benefit.
DEFAULT_WEIGHTS: dict[str, float] = {
    "damage": 0.20, "criticality": 0.20, "people_served": 0.15, "access": 0.30,
    "future_exposure": 0.10, "cost": 0.05,
}
#: How critical each asset type is (0-1), as data: an ASSUMPTION following the order of the
#: BNPB rehabilitation guidance (health and lifelines first, then schools, government,
#: markets and housing).
DEFAULT_TYPE_WEIGHTS: dict[str, float] = {
    "health": 1.0, "bridge": 0.9, "school": 0.8, "road": 0.7, "government": 0.6,
    "market": 0.5, "housing": 0.4, "worship": 0.3, "other": 0.2,
}
#: Saaty's random consistency index by matrix size.
SAATY_RI: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                              8: 1.41, 9: 1.45, 10: 1.49}


class InconsistentJudgementWarning(KotaCerdasWarning):
    """An AHP pairwise-comparison matrix has a consistency ratio above 0.1."""


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Validate weights and scale them to sum to 1 (criteria not given get 0).

    Raises
    ------
    ParameterError
        An unknown criterion, a negative or non-finite weight, or weights summing to zero.
    """
    if weights is None:
        weights = DEFAULT_WEIGHTS
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ParameterError(
            f"weights: unknown criteria {unknown}; the criteria are {list(CRITERIA)}.")
    w = {k: float(weights.get(k, 0.0)) for k in CRITERIA}
    bad = {k: v for k, v in w.items() if not (np.isfinite(v) and v >= 0)}
    if bad:
        raise ParameterError(f"weights: expected finite weights >= 0, found {bad}.")
    total = sum(w.values())
    if not total > 0:
        raise ParameterError(
            f"weights: expected at least one weight > 0, found {dict(weights)} (sum 0). Give "
            "the criteria that matter a positive weight.")
    return {k: v / total for k, v in w.items()}


@dataclass(frozen=True)
class AHPResult:
    """Weights from an AHP pairwise-comparison matrix.

    Attributes
    ----------
    weights : dict
        Per criterion (all of :data:`CRITERIA`; those not in the matrix get 0), summing to 1.
    lambda_max : float
        The principal eigenvalue.
    consistency_index : float
        ``(lambda_max - n) / (n - 1)``.
    consistency_ratio : float
        ``CI / RI`` with Saaty's random index (0 for n <= 2).
    """

    weights: dict[str, float]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float


def ahp_weights(matrix: pd.DataFrame, *, max_cr: float = 0.1, rtol: float = 0.02) -> AHPResult:
    """Weights from a pairwise-comparison matrix: the principal eigenvector (Saaty).

    Parameters
    ----------
    matrix : DataFrame
        Square, index and columns the same criteria; ``a_ij`` = how much more important ``i``
        is than ``j`` (1-9), positive and reciprocal (``a_ji = 1 / a_ij``, within ``rtol``).
    max_cr : float, keyword-only
        Consistency ratios above this warn (Saaty's 0.1).
    rtol : float, keyword-only
        Tolerance of the reciprocity check (0.33 for 1/3 passes).

    Returns
    -------
    AHPResult

    Raises
    ------
    ParameterError
        Not square, labels differ, an unknown criterion, a non-positive or non-finite entry, a
        diagonal not 1, or not reciprocal.

    Warns
    -----
    InconsistentJudgementWarning
        When the consistency ratio exceeds ``max_cr``; the message gives the CR.
    """
    if not isinstance(matrix, pd.DataFrame):
        raise ParameterError("ahp: expected a DataFrame with the criteria as index and columns.")
    rows, cols = [str(x) for x in matrix.index], [str(x) for x in matrix.columns]
    if rows != cols:
        raise ParameterError(
            f"ahp: expected the same criteria in the same order as index and columns, found "
            f"{rows} and {cols}.")
    unknown = sorted(set(rows) - set(CRITERIA))
    if unknown or len(set(rows)) != len(rows):
        raise ParameterError(
            f"ahp: unknown or repeated criteria {unknown or rows}; the criteria are "
            f"{list(CRITERIA)}.")
    a = matrix.to_numpy(dtype=float)
    n = len(a)
    if n == 0:
        raise ParameterError("ahp: expected at least one criterion, found an empty matrix.")
    if not (np.isfinite(a).all() and (a > 0).all()):
        raise ParameterError(
            "ahp: expected positive finite judgements (1-9 and their reciprocals), found "
            f"{a[~(np.isfinite(a) & (a > 0))].tolist()[:5]}.")
    if not np.allclose(np.diag(a), 1.0, rtol=rtol):
        raise ParameterError(f"ahp: expected 1 on the diagonal, found {np.diag(a).tolist()}.")
    prod = a * a.T
    if not np.allclose(prod, 1.0, rtol=rtol, atol=0):
        i, j = np.unravel_index(np.argmax(np.abs(prod - 1)), prod.shape)
        raise ParameterError(
            f"ahp: expected a reciprocal matrix (a_ji = 1 / a_ij), found a[{rows[i]!r}, "
            f"{rows[j]!r}] = {a[i, j]:g} and a[{rows[j]!r}, {rows[i]!r}] = {a[j, i]:g}. Enter "
            "each judgement once and its reciprocal opposite.")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = np.abs(vecs[:, k].real)
    v = v / v.sum()
    ci = max((lam - n) / (n - 1), 0.0) if n > 1 else 0.0
    ri = SAATY_RI.get(n, 1.49)
    cr = ci / ri if ri > 0 else 0.0
    cr = round(cr, 12)
    if cr > max_cr:
        warnings.warn(
            f"ahp: consistency ratio {cr:.3f} > {max_cr}: the pairwise judgements contradict "
            "each other (e.g. A > B > C but C > A). Revisit the largest judgements.",
            InconsistentJudgementWarning, stacklevel=2)
    w = dict.fromkeys(CRITERIA, 0.0)
    w.update({c: float(x) for c, x in zip(rows, np.round(v, 12), strict=True)})
    return AHPResult(weights=w, lambda_max=lam, consistency_index=ci, consistency_ratio=cr)


def normalise_criteria(
    raw: pd.DataFrame, *, max_rank: int, type_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Put every criterion on a 0-1 scale (1 = rebuild first).

    ``damage``: the damage fraction as it is. ``criticality``: the asset type's weight
    (:data:`DEFAULT_TYPE_WEIGHTS`, divided by the largest). ``people_served`` and ``access``:
    divided by the largest over the assets ranked (0 stays 0). ``future_exposure``: ``1 -
    class_rank / max_rank`` (an asset in the highest class scores 0: rebuilding it where it
    stood is not a priority; it gets the advice to rebuild elsewhere or raise).
    ``cost``: ``1 - cost / max cost`` (unknown cost: 0).

    Parameters
    ----------
    raw : DataFrame
        ``damage_frac``, ``asset_type``, ``people_served``, ``people_regain_access``,
        ``class_rank``, ``cost_idr``.
    max_rank : int, keyword-only
        Rank of the class set's highest class.
    type_weights : mapping, keyword-only
        Merged over :data:`DEFAULT_TYPE_WEIGHTS`; each in [0, 1].

    Returns
    -------
    DataFrame
        One column per criterion (:data:`CRITERIA`), on ``raw``'s index.

    Raises
    ------
    ParameterError
        A type weight outside [0, 1], or ``max_rank`` < 1.
    """
    tw = dict(DEFAULT_TYPE_WEIGHTS)
    tw.update(type_weights or {})
    bad = {k: v for k, v in tw.items() if not (0 <= v <= 1)}
    if bad:
        raise ParameterError(f"type_weights: expected weights in [0, 1], found {bad}.")
    if max_rank < 1:
        raise ParameterError(f"max_rank: expected the highest class rank >= 1, found {max_rank}.")
    top = max(tw.values()) or 1.0

    def by_max(x: pd.Series) -> np.ndarray:
        v = pd.to_numeric(x, errors="coerce").fillna(0.0).clip(lower=0).to_numpy(float)
        m = v.max() if len(v) else 0.0
        return v / m if m > 0 else np.zeros(len(v))

    types = raw["asset_type"].astype(str).str.lower()
    cost = pd.to_numeric(raw["cost_idr"], errors="coerce").to_numpy(float)
    cmax = np.nanmax(cost) if np.isfinite(cost).any() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        ncost = np.where(np.isfinite(cost) & (cmax > 0), 1.0 - cost / cmax, 0.0)
    rank = pd.to_numeric(raw["class_rank"], errors="coerce").fillna(0).clip(0, max_rank)
    return pd.DataFrame({
        "damage": pd.to_numeric(raw["damage_frac"], errors="coerce").fillna(0.0).clip(0, 1)
        .to_numpy(float),
        "criticality": types.map(lambda t: tw.get(t, tw.get("other", 0.0))).to_numpy(float)
        / top,
        "people_served": by_max(raw["people_served"]),
        "access": by_max(raw["people_regain_access"]),
        "future_exposure": 1.0 - rank.to_numpy(float) / max_rank,
        "cost": ncost,
    }, index=raw.index)[list(CRITERIA)]


def score_matrix(norm: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """Contributions ``contrib_<criterion>`` and ``score`` (their sum) per asset."""
    w = np.array([weights[k] for k in CRITERIA])
    c = norm[list(CRITERIA)].to_numpy(float) * w
    out = pd.DataFrame(c, columns=[f"contrib_{k}" for k in CRITERIA], index=norm.index)
    out["score"] = c.sum(axis=1)
    return out


def rank_scores(score: np.ndarray, tie_key: np.ndarray) -> np.ndarray:
    """Ranks 1..n by descending score, ties by ascending ``tie_key`` (e.g. asset_id text)."""
    order = np.lexsort((tie_key, -np.asarray(score, dtype=float)))
    r = np.empty(len(order), dtype=np.int64)
    r[order] = np.arange(1, len(order) + 1)
    return r


@dataclass(frozen=True)
class Sensitivity:
    """Rank stability under random weights (Dirichlet around the chosen ones).

    Attributes
    ----------
    top_share : ndarray
        Per asset, the share of draws (0-1) that put it in the top ``top_n``.
    rank_lo, rank_hi : ndarray
        Per asset, the ``quantiles`` of its rank over the draws.
    n_draws, top_n, concentration, seed : int / float
        The parameters.
    quantiles : tuple of float
    """

    top_share: np.ndarray
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    n_draws: int
    top_n: int
    concentration: float
    seed: int
    quantiles: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"n_draws": self.n_draws, "top_n": self.top_n,
                "concentration": self.concentration, "seed": self.seed,
                "quantiles": list(self.quantiles)}


def weight_sensitivity(
    norm: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    tie_key: np.ndarray,
    n_draws: int = 1000,
    top_n: int = 20,
    concentration: float = 50.0,
    seed: int = 0,
    quantiles: tuple[float, float] = (0.05, 0.95),
    chunk: int = 100,
) -> Sensitivity:
    """Re-rank under ``n_draws`` weight vectors drawn from ``Dirichlet(concentration * w)``.

    Criteria with weight 0 stay at 0. Draws are seeded (``numpy.random.default_rng(seed)``),
    so the same inputs give the same answer.

    Raises
    ------
    ParameterError
        ``n_draws`` or ``top_n`` < 1, ``concentration`` <= 0, quantiles outside [0, 1].
    """
    if n_draws < 1 or top_n < 1:
        raise ParameterError(f"n_draws and top_n: expected >= 1, found {n_draws}, {top_n}.")
    if not concentration > 0:
        raise ParameterError(f"concentration: expected > 0, found {concentration}.")
    if not (0 <= quantiles[0] <= quantiles[1] <= 1):
        raise ParameterError(f"quantiles: expected 0 <= lo <= hi <= 1, found {quantiles}.")
    w = np.array([weights[k] for k in CRITERIA])
    pos = np.flatnonzero(w > 0)
    rng = np.random.default_rng(seed)
    draws = np.zeros((n_draws, len(CRITERIA)))
    draws[:, pos] = rng.dirichlet(concentration * w[pos], size=n_draws)
    x = norm[list(CRITERIA)].to_numpy(float)
    n = len(x)
    ranks = np.empty((n_draws, n), dtype=np.int32)
    # stable sort on the rows pre-sorted by tie_key breaks ties by it
    pre = np.argsort(tie_key, kind="stable")
    xs = x[pre]
    for s in range(0, n_draws, chunk):
        sc = xs @ draws[s:s + chunk].T  # (n, chunk)
        order = np.argsort(-sc, axis=0, kind="stable")
        rk = np.empty_like(order)
        np.put_along_axis(rk, order, np.arange(1, n + 1)[:, None], axis=0)
        ranks[s:s + chunk][:, pre] = rk.T
    top = (ranks <= top_n).mean(axis=0) if n else np.zeros(0)
    if n:
        lo = np.quantile(ranks, quantiles[0], axis=0, method="inverted_cdf").astype(np.int64)
        hi = np.quantile(ranks, quantiles[1], axis=0, method="inverted_cdf").astype(np.int64)
    else:
        lo = hi = np.zeros(0, dtype=np.int64)
    return Sensitivity(top_share=top, rank_lo=lo, rank_hi=hi, n_draws=int(n_draws),
                       top_n=int(top_n), concentration=float(concentration), seed=int(seed),
                       quantiles=(float(quantiles[0]), float(quantiles[1])))
