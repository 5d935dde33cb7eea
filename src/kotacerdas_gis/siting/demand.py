"""Where the people are: demand points for siting, from the exposure step's own numbers.

One owner for "people at a place": service points (shelters for the displaced,
health posts for everybody) and flood sensors (people warned) take their demand
from here, so their totals are the exposure step's totals.

People are spread over a desa's residential buildings by floor area, exactly as
the exposure step's ``population_method="buildings"`` does; a building's
displaced people are its people times its zone's displacement rate. A desa
without residential buildings (or whose displaced people live outside them, by
the area method) keeps its people at its representative point, so nobody is
dropped; those desa are counted in the report.

Examples
--------
>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import box
>>> b = gpd.GeoDataFrame({"asset_id": ["h1", "h2", "s1"],
...     "exposure_class": ["residential", "residential", "education"],
...     "area_m2": [100.0, 300.0, 500.0], "displacement_rate": [0.05, 0.0, 0.05],
...     "hazard_class": ["high", "not exposed", "high"], "class_rank": [4, 0, 4],
...     "admin_code": ["D1", "D1", "D1"]},
...     geometry=[box(0, 0, 10, 10), box(20, 0, 37.32, 17.32), box(50, 0, 72.36, 22.36)],
...     crs=32751)
>>> desa = pd.DataFrame({"admin_code": ["D1"], "population": [800.0], "displaced": [10.0]})
>>> pts, rep = people_at_buildings(b, desa)
>>> pts[["demand_id", "population", "displaced"]].values.tolist()
[['h1', 200.0, 10.0], ['h2', 600.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from ..accounting import StepReport
from ..crs import require_metric
from ..schemas import require_columns
from ..vocabulary import NOT_EXPOSED

__all__ = ["people_at_buildings"]

#: Population columns carried to the demand points when the table has them.
GROUP_COLUMNS = ("female", "elderly", "disabled", "households")


def people_at_buildings(
    buildings: gpd.GeoDataFrame,
    desa_people: pd.DataFrame,
    *,
    admin: gpd.GeoDataFrame | None = None,
    residential_class: str = "residential",
    class_col: str = "exposure_class",
    id_col: str = "asset_id",
    admin_col: str = "admin_code",
    groups: Sequence[str] = GROUP_COLUMNS,
) -> tuple[gpd.GeoDataFrame, StepReport]:
    """Spread each desa's people over its residential buildings by floor area.

    Parameters
    ----------
    buildings : GeoDataFrame
        The exposure step's buildings layer (``impact_buildings``): ``id_col``,
        ``class_col``, ``area_m2``, ``displacement_rate``, ``hazard_class``,
        ``class_rank``, ``admin_col``; metric CRS.
    desa_people : DataFrame
        People per desa (``aggregation_summary``): ``admin_col``, ``population``,
        ``displaced`` and optionally the ``groups`` columns.
    admin : GeoDataFrame, optional, keyword-only
        Desa polygons (``admin_col``): where a desa without residential buildings keeps
        its people (its representative point). Without it, such desa are counted as
        rejected with their people.
    residential_class, class_col, id_col, admin_col : str, keyword-only
        Column names and the residential class value.
    groups : sequence of str, keyword-only
        Vulnerable-group columns spread like the people (when present).

    Returns
    -------
    (GeoDataFrame, StepReport)
        One point per residential building (on its surface) and per desa kept at its
        representative point: ``demand_id`` (the building's id, or ``desa:<code>``),
        ``admin_code``, ``population``, ``displaced`` (persons, fractional: expected
        values), the group columns, ``hazard_class``, ``class_rank``, ``exposed``;
        and the accounting of desa placed at a point or left out.

    Raises
    ------
    SchemaError
        Missing columns.
    CRSError
        A non-metric layer.
    """
    require_metric(buildings, name="buildings")
    require_columns(buildings, [id_col, class_col, "area_m2", "displacement_rate",
                                "hazard_class", "class_rank", admin_col], name="buildings")
    require_columns(desa_people, [admin_col, "population", "displaced"], name="desa people")
    groups = [g for g in groups if g in desa_people.columns]
    table = pd.DataFrame(desa_people).drop(columns="geometry", errors="ignore")
    table = table.assign(**{admin_col: table[admin_col].astype(str)}).set_index(admin_col)
    rep = StepReport(step="demand points", source="impact_buildings", n_in=len(table))

    res = buildings[(buildings[class_col] == residential_class) & buildings[admin_col].notna()]
    codes = res[admin_col].astype(str).to_numpy()
    area = res["area_m2"].to_numpy(float)
    total_area = pd.Series(area).groupby(codes).transform("sum").to_numpy()
    in_table = np.isin(codes, table.index.to_numpy())
    keep = in_table & (total_area > 0)
    res, codes, area, total_area = res[keep], codes[keep], area[keep], total_area[keep]
    share = area / total_area
    pop = table["population"].reindex(codes).to_numpy(float) * share
    rate = res["displacement_rate"].to_numpy(float)
    out: dict[str, Any] = {
        "demand_id": res[id_col].astype(str).to_numpy(object),
        "admin_code": codes.astype(object),
        "population": pop,
        "displaced": pop * rate,
    }
    for g in groups:
        out[g] = table[g].reindex(codes).to_numpy(float) * share
    hz = res["hazard_class"].to_numpy(object)
    out["hazard_class"] = hz
    out["class_rank"] = res["class_rank"].to_numpy(int)
    out["exposed"] = hz != NOT_EXPOSED
    pts = gpd.GeoDataFrame(out, geometry=shapely.point_on_surface(res.geometry.to_numpy()),
                           crs=buildings.crs)

    # desa whose people (or displaced people) the buildings do not hold
    placed = pd.Series(pts["displaced"].to_numpy()).groupby(codes).sum()
    missing_disp = table["displaced"] - placed.reindex(table.index).fillna(0.0)
    no_res = ~table.index.isin(np.unique(codes))
    extra = table.index[no_res | (missing_disp > 1e-6 * np.maximum(table["displaced"], 1.0))]
    rows = []
    for code in extra:
        t = table.loc[code]
        people = float(t["population"]) if code in table.index[no_res] else 0.0
        disp = float(missing_disp.loc[code])
        if admin is None or code not in set(admin[admin_col].astype(str)):
            rep.reject("desa without residential buildings and no desa polygon to place it",
                       1)
            continue
        poly = admin.loc[admin[admin_col].astype(str) == code].geometry.iloc[0]
        rows.append({"demand_id": f"desa:{code}", "admin_code": code, "population": people,
                     "displaced": disp,
                     **{g: (float(t[g]) if people else 0.0) for g in groups},
                     "hazard_class": NOT_EXPOSED if disp <= 0 else "desa", "class_rank": 0,
                     "exposed": disp > 0, "geometry": shapely.point_on_surface(poly)})
        rep.repair("desa people placed at the desa's representative point", 1)
    if rows:
        extra_pts = gpd.GeoDataFrame(rows, geometry="geometry", crs=buildings.crs)
        pts = pd.concat([pts, extra_pts], ignore_index=True)
    pts = gpd.GeoDataFrame(pts, geometry="geometry", crs=buildings.crs)
    rep.note(f"{len(pts)} demand points: {int(len(pts) - len(rows))} residential buildings, "
             f"{len(rows)} desa points")
    return pts, rep
