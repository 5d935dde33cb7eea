"""Tables in InaSAFE's shapes: aggregation area x exposure class, and the demographic breakdown.

* :func:`exposure_by_area`: one row per aggregation area and hazard class (and a
  ``total_affected`` row per area), one column per exposure class: counts of buildings or
  facilities, kilometres of road (InaSAFE's "detailed ... report" per aggregation area);
* :func:`demographic_breakdown`: affected and displaced people per area split into female,
  youth, adult, elderly and disabled with ratios from the aggregation layer's columns
  (``female_ratio`` ...) or InaSAFE's defaults (:data:`DEFAULT_DEMOGRAPHIC_RATIOS`).

Pure functions: frames in, new frames out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..accounting import StepReport
from ..errors import SchemaError
from ..vocabulary import NOT_EXPOSED

__all__ = ["DEFAULT_DEMOGRAPHIC_RATIOS", "DEMOGRAPHIC_GROUPS", "exposure_by_area",
           "demographic_breakdown"]

#: InaSAFE 4.1's global default ratios (safe/definitions/default_values.py: female 0.496 and
#: youth 0.266, adult 0.657, elderly 0.077 from UNSD World Data 2010; disabled 0.15 from the WHO
#: World report on disability 2011). Youth, adult and elderly add up to 1; female and disabled
#: overlap them. Replace them with the census of the area where there is one.
DEFAULT_DEMOGRAPHIC_RATIOS: dict[str, float] = {
    "female": 0.496, "youth": 0.266, "adult": 0.657, "elderly": 0.077, "disabled": 0.15,
}
DEMOGRAPHIC_GROUPS: tuple[str, ...] = tuple(DEFAULT_DEMOGRAPHIC_RATIOS)

_TOTAL_AFFECTED = "total_affected"
#: Group key of the rows outside every area while summing (never an id; NUL is cut by
#: pandas' string dtype).
_OUTSIDE = "\uffff outside every area"


def exposure_by_area(
    impact: pd.DataFrame,
    *,
    classes: list[str],
    affected_of: Mapping[str, bool],
    names: Mapping[str, str] | None = None,
    weight: str | None = None,
    scale: float = 1.0,
) -> pd.DataFrame:
    """Tabulate aggregation area x exposure class, per hazard class (InaSAFE's breakdown).

    Parameters
    ----------
    impact : DataFrame
        An impact layer with ``admin_code`` (the area; None outside every area),
        ``exposure_class``, ``hazard_class`` (and ``weight`` when given).
    classes : list of str
        The hazard classes, worst first (``not exposed`` is added).
    affected_of : mapping
        Each class's ``affected`` flag (the class set's; generic ``low`` is exposed but not
        affected): the affected classes add up to ``total_affected``.
    names : mapping, optional
        Area id -> name.
    weight : str, optional
        Column to sum (``length_m`` for roads); None counts rows.
    scale : float
        Multiplier of the sums (``0.001`` for km).

    Returns
    -------
    DataFrame
        ``aggregation_id``, ``aggregation_name``, ``hazard_class`` (each class, ``not exposed``
        and ``total_affected``), one column per exposure class present, ``total``. Areas in
        the order of their ids; assets outside every area under ``aggregation_id`` None.

    Examples
    --------
    >>> imp = pd.DataFrame({"admin_code": ["c1", "c1", "c2"], "hazard_class": ["wet", "dry",
    ...     "wet"], "exposure_class": ["residential", "health", "residential"]})
    >>> t = exposure_by_area(imp, classes=["wet", "dry"], affected_of={"wet": True,
    ...                      "dry": False})
    >>> t[t.aggregation_id == "c1"][["hazard_class", "health", "residential", "total"]].values.tolist()
    [['wet', 0.0, 1.0, 1.0], ['dry', 1.0, 0.0, 1.0], ['not exposed', 0.0, 0.0, 0.0], ['total_affected', 0.0, 1.0, 1.0]]
    """  # noqa: E501
    w = (impact[weight].to_numpy(float) if weight else np.ones(len(impact))) * scale
    code = impact["admin_code"].astype(object).where(impact["admin_code"].notna(), None)
    df = pd.DataFrame({"aggregation_id": code.to_numpy(object).astype(str),
                       "outside": code.isna().to_numpy(),
                       "hazard_class": impact["hazard_class"].to_numpy(object),
                       "exposure_class": impact["exposure_class"].to_numpy(object), "w": w})
    df.loc[df["outside"], "aggregation_id"] = _OUTSIDE
    ex_classes = sorted(df["exposure_class"].dropna().unique().tolist())
    hz = [*classes, NOT_EXPOSED]
    piv = df.pivot_table(index=["aggregation_id", "hazard_class"], columns="exposure_class",
                         values="w", aggfunc="sum", fill_value=0.0)
    areas = sorted(df["aggregation_id"].unique().tolist())
    full = pd.MultiIndex.from_product([areas, hz], names=["aggregation_id", "hazard_class"])
    piv = piv.reindex(index=full, columns=ex_classes, fill_value=0.0).astype(float)
    aff = [c for c in classes if bool(affected_of.get(c, False))]
    tot = piv[piv.index.get_level_values("hazard_class").isin(aff)].groupby(
        level="aggregation_id").sum().reindex(areas, fill_value=0.0)
    tot.index = pd.MultiIndex.from_arrays([tot.index, [_TOTAL_AFFECTED] * len(tot)],
                                          names=["aggregation_id", "hazard_class"])
    out = pd.concat([piv, tot]).reset_index()
    order = {c: i for i, c in enumerate([*hz, _TOTAL_AFFECTED])}
    out["_o"] = out["hazard_class"].map(order)
    out = out.sort_values(["aggregation_id", "_o"], kind="stable").drop(columns="_o")
    out["total"] = out[ex_classes].sum(axis=1) if ex_classes else 0.0
    out["aggregation_id"] = out["aggregation_id"].astype(object).where(
        out["aggregation_id"] != _OUTSIDE, None)
    nm = dict(names or {})
    out.insert(1, "aggregation_name", out["aggregation_id"].map(
        lambda a: nm.get(a, a) if a is not None else "outside every area"))
    out.columns.name = None
    return out.reset_index(drop=True)


def demographic_breakdown(
    population_impact: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    ratios: pd.DataFrame | None = None,
    defaults: Mapping[str, float] | None = None,
    report: StepReport | None = None,
) -> pd.DataFrame:
    """Affected and displaced people per area, split by female, youth, adult, elderly, disabled.

    Parameters
    ----------
    population_impact : DataFrame
        People per area and hazard class (``admin_code``, ``affected``, ``population``,
        ``displaced``), as ``ExposureResult.population_impact``.
    names : mapping, optional
        Area id -> name.
    ratios : DataFrame, optional
        Indexed by area id, columns ``<group>_ratio`` (0-1), e.g. from the aggregation layer;
        a missing column or value takes the default (column ``ratio_source`` says which).
    defaults : mapping, optional
        Ratios per group; :data:`DEFAULT_DEMOGRAPHIC_RATIOS` (InaSAFE's) by default.
    report : StepReport, optional
        Notes which ratios came from defaults.

    Returns
    -------
    DataFrame
        ``aggregation_id``, ``aggregation_name``, ``population``, ``total_affected``,
        ``displaced``, ``<group>_ratio``, ``<group>_affected``, ``<group>_displaced`` per group,
        ``ratio_source``; a last row ``aggregation_id == "total"`` sums the areas.

    Raises
    ------
    SchemaError
        A ratio outside 0-1 (naming the column and the area).

    Examples
    --------
    >>> p = pd.DataFrame({"admin_code": ["c1", "c1"], "affected": [True, False],
    ...     "population": [100.0, 300.0], "displaced": [90.0, 0.0]})
    >>> t = demographic_breakdown(p, ratios=pd.DataFrame({"female_ratio": [0.5]}, index=["c1"]))
    >>> float(t.loc[0, "female_displaced"]), float(t.loc[0, "youth_displaced"])
    (45.0, 23.94)
    >>> t.loc[0, "ratio_source"]
    'female from the aggregation layer; youth, adult, elderly, disabled defaults'
    """
    d = {**DEFAULT_DEMOGRAPHIC_RATIOS, **dict(defaults or {})}
    for g, v in d.items():
        if not 0 <= float(v) <= 1:
            raise SchemaError(f"demographic ratios: {g} = {v} is not between 0 and 1.")
    pop = population_impact[population_impact["admin_code"].notna()]
    g = pop.groupby("admin_code")
    out = pd.DataFrame({"population": g["population"].sum()})
    out["total_affected"] = pop[pop["affected"]].groupby("admin_code")["population"].sum()
    out["displaced"] = g["displaced"].sum()
    out = out.fillna(0.0)
    sources: dict[str, list[str]] = {a: [] for a in out.index}
    for grp in DEMOGRAPHIC_GROUPS:
        col = f"{grp}_ratio"
        r = pd.Series(np.nan, index=out.index)
        if ratios is not None and col in ratios.columns:
            r = pd.to_numeric(ratios[col], errors="coerce").reindex(out.index)
            bad = r[(r < 0) | (r > 1)]
            if len(bad):
                raise SchemaError(
                    f"aggregation layer: column {col!r} must hold ratios between 0 and 1, found "
                    f"{bad.iloc[0]!r} for area {bad.index[0]!r} (a percentage? divide by 100).")
        for a in out.index:
            if np.isnan(r[a]):
                sources[a].append(f"{grp}:default")
        r = r.fillna(d[grp])
        out[col] = r
        out[f"{grp}_affected"] = out["total_affected"] * r
        out[f"{grp}_displaced"] = out["displaced"] * r
    out["ratio_source"] = [_source_text(sources[a]) for a in out.index]
    if report is not None:
        n_def = sum(1 for a in out.index if sources[a])
        report.note(f"demographic ratios: {n_def} of {len(out)} areas use InaSAFE's defaults "
                    f"for at least one group ({', '.join(f'{k} {v}' for k, v in d.items())})")
    out = out.reset_index().rename(columns={"admin_code": "aggregation_id"})
    nm = dict(names or {})
    out.insert(1, "aggregation_name", out["aggregation_id"].map(lambda a: nm.get(a, a)))
    num = [c for c in out.columns if c.endswith(("_affected", "_displaced"))
           or c in ("population", "total_affected", "displaced")]
    tot: dict[str, Any] = {c: float(out[c].sum()) for c in num}
    tot.update({"aggregation_id": "total", "aggregation_name": "total", "ratio_source": ""})
    for grp in DEMOGRAPHIC_GROUPS:  # the total's ratio is the people-weighted one
        tot[f"{grp}_ratio"] = (tot[f"{grp}_affected"] / tot["total_affected"]
                               if tot["total_affected"] > 0 else np.nan)
    return pd.concat([out, pd.DataFrame([tot])], ignore_index=True)


def _source_text(defaulted: list[str]) -> str:
    groups = [s.split(":")[0] for s in defaulted]
    own = [g for g in DEMOGRAPHIC_GROUPS if g not in groups]
    if not groups:
        return "aggregation layer"
    if not own:
        return "defaults"
    return f"{', '.join(own)} from the aggregation layer; {', '.join(groups)} defaults"
