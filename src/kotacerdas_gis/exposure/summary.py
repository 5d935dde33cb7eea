"""InaSAFE-style summaries: per exposure class, per admin unit and for the whole area."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..vocabulary import NOT_EXPOSED, class_key
from .population import _VULNERABLE

__all__: list[str] = []


_class_key = class_key  # the vocabulary's one normaliser of class values


def _summary_table(
    impact: pd.DataFrame, exposure: str, classes: list[str], affected_of: dict[str, bool],
    *, weight: str | None = None, unit: str = "count",
) -> pd.DataFrame:
    w = impact[weight].to_numpy(float) if weight else np.ones(len(impact))
    df = pd.DataFrame({"exposure_class": impact["exposure_class"].to_numpy(object),
                       "hazard_class": impact["hazard_class"].to_numpy(object), "w": w})
    piv = df.groupby(["exposure_class", "hazard_class"])["w"].sum().unstack(fill_value=0.0)
    for c in classes + [NOT_EXPOSED]:
        if c not in piv.columns:
            piv[c] = 0.0
    piv = piv[classes + [NOT_EXPOSED]]
    out = piv.reset_index()
    aff = [c for c in classes if affected_of[c]]  # the class set's flag (generic low: False)
    naff = [c for c in classes if not affected_of[c]]
    out["total_affected"] = piv[aff].sum(axis=1).to_numpy() if aff else 0.0
    out["total_not_affected"] = piv[naff].sum(axis=1).to_numpy() if naff else 0.0
    out["total_not_exposed"] = piv[NOT_EXPOSED].to_numpy()
    out["total"] = piv.sum(axis=1).to_numpy()
    out.insert(0, "exposure", exposure)
    out.insert(2, "unit", unit)
    out.columns.name = None
    return out


def _per_admin(
    impact: pd.DataFrame, prefix: str, classes: list[str], *, weight: str | None = None,
    suffix: str = "",
) -> pd.DataFrame:
    w = impact[weight].to_numpy(float) if weight else np.ones(len(impact))
    df = pd.DataFrame({"admin_code": impact["admin_code"].to_numpy(object),
                       "hazard_class": impact["hazard_class"].to_numpy(object),
                       "affected": impact["affected"].to_numpy(bool),
                       "exposed": impact["exposed"].to_numpy(bool), "w": w})
    df = df[df["admin_code"].notna()]
    piv = df.groupby(["admin_code", "hazard_class"])["w"].sum().unstack(fill_value=0.0)
    out = pd.DataFrame(index=piv.index)
    for c in classes:
        out[f"{prefix}_{_class_key(c)}{suffix}"] = piv[c] if c in piv.columns else 0.0
    g = df.groupby("admin_code")
    out[f"{prefix}_total{suffix}"] = g["w"].sum()
    out[f"{prefix}_affected{suffix}"] = df[df["affected"]].groupby("admin_code")["w"].sum()
    out[f"{prefix}_not_affected{suffix}"] = (
        df[df["exposed"] & ~df["affected"]].groupby("admin_code")["w"].sum())
    out[f"{prefix}_not_exposed{suffix}"] = df[~df["exposed"]].groupby("admin_code")["w"].sum()
    return out.fillna(0.0)


def _pop_summary_table(pop: pd.DataFrame, classes: list[str],
                       affected_of: dict[str, bool]) -> pd.DataFrame:
    rows = []
    for grp in ("population", *_VULNERABLE, "displaced"):
        df = pop.assign(exposure_class=grp, exposed=pop["hazard_class"] != NOT_EXPOSED)
        rows.append(_summary_table(df, "population", classes, affected_of, weight=grp,
                                   unit="people"))
    return pd.concat(rows, ignore_index=True)


def _pop_per_admin(pop: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    g = pop.groupby("admin_code")
    out = pd.DataFrame({"population": g["population"].sum()})
    aff = pop[pop["affected"]].groupby("admin_code")
    exp_na = pop[~pop["affected"] & (pop["hazard_class"] != NOT_EXPOSED)].groupby("admin_code")
    ne = pop[pop["hazard_class"] == NOT_EXPOSED].groupby("admin_code")
    out["total_affected"] = aff["population"].sum()
    out["total_not_affected"] = exp_na["population"].sum()
    out["total_not_exposed"] = ne["population"].sum()
    for c in classes:
        out[f"affected_{_class_key(c)}"] = pop[pop["hazard_class"] == c].groupby(
            "admin_code")["population"].sum()
    out["displaced"] = g["displaced"].sum()
    for c in _VULNERABLE:
        out[f"{c}_affected"] = aff[c].sum()
        out[f"{c}_displaced"] = g[f"{c}_displaced"].sum()
    out["households_affected"] = aff["households"].sum()
    return out.fillna(0.0)


def _analysis_summary(est: pd.DataFrame, pop: pd.DataFrame | None,
                      classes: list[str]) -> pd.DataFrame:
    row: dict[str, Any] = {}
    for exp, label in (("buildings", "buildings"), ("facilities", "facilities")):
        t = est[est["exposure"] == exp]
        if len(t):
            row[f"{label}_total"] = float(t["total"].sum())
            row[f"{label}_affected"] = float(t["total_affected"].sum())
            row[f"{label}_not_affected"] = float(t["total_not_affected"].sum())
            row[f"{label}_not_exposed"] = float(t["total_not_exposed"].sum())
            for c in classes:
                row[f"{label}_{_class_key(c)}"] = float(t[c].sum())
    t = est[est["exposure"] == "facilities"]
    if len(t):
        h = t[t["exposure_class"] == "health"]
        row["health_facilities_affected"] = float(h["total_affected"].sum()) if len(h) else 0.0
    t = est[est["exposure"] == "roads"]
    if len(t):
        row["roads_total_length_m"] = float(t["total"].sum())
        row["roads_affected_length_m"] = float(t["total_affected"].sum())
        row["roads_not_exposed_length_m"] = float(t["total_not_exposed"].sum())
        for c in classes:
            row[f"roads_{_class_key(c)}_length_m"] = float(t[c].sum())
    if pop is not None:
        row["population"] = float(pop["population"].sum())
        row["total_affected"] = float(pop.loc[pop["affected"], "population"].sum())
        row["total_not_exposed"] = float(
            pop.loc[pop["hazard_class"] == NOT_EXPOSED, "population"].sum())
        row["displaced"] = float(pop["displaced"].sum())
        for c in _VULNERABLE:
            row[f"{c}_affected"] = float(pop.loc[pop["affected"], c].sum())
            row[f"{c}_displaced"] = float(pop[f"{c}_displaced"].sum())
    return pd.DataFrame([row])
