"""People x hazard zones: per desa by areal weighting, by residential buildings, or a raster.

Extensive values (people, female, elderly, disabled, households) are split by area or building
share, intensive ones (rates) are not; displaced people = affected people x the zone's
``displacement_rate``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

import geopandas as gpd

from ..accounting import StepReport
from ..checks import check_choice
from ..crs import as_crs, describe_crs, require_same_crs
from ..errors import CRSMismatchError, DataError, SchemaError
from ..overlay import admin_zone_pieces
from ..schemas import require_columns
from .assets import NOT_EXPOSED
from .zonal import AREA_TOLERANCE, as_grid, zonal_sums

__all__ = ["population_exposure", "population_from_raster"]

_POP_COLS = ("population", "female", "elderly", "disabled", "households")


_VULNERABLE = ("female", "elderly", "disabled")


def _affected_of(hazard_class: pd.Series, zones: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each row's class is affected: the zones' ``affected`` flag (rank > 0 without)."""
    flag = (zones["affected"].to_numpy(bool) if "affected" in zones.columns
            else zones["class_rank"].to_numpy() > 0)
    lut = dict(zip(zones["hazard_class"].to_numpy(object), flag, strict=True))
    return np.array([bool(lut.get(c, False)) for c in hazard_class.to_numpy(object)], dtype=bool)


def _clean_population(
    population: pd.DataFrame, admin: gpd.GeoDataFrame, code_col: str, rep: StepReport
) -> pd.DataFrame:
    require_columns(population, [code_col, "population"], name="population")
    pop = pd.DataFrame({"admin_code": population[code_col].astype(str).to_numpy()})
    for c in _POP_COLS:
        vals = (pd.to_numeric(population[c], errors="coerce") if c in population.columns
                else pd.Series(np.nan, index=population.index))
        v = vals.to_numpy(float)
        neg = v < 0
        if c in population.columns:
            rep.repair(f"negative {c} set to 0", int(neg.sum()))
            nan = np.isnan(v)
            rep.repair(f"missing {c} set to 0", int(nan.sum()))
        v = np.where(neg | np.isnan(v), 0.0, v)
        pop[c] = v
    if pop["admin_code"].duplicated().any():
        rep.repair("duplicated population rows summed",
                   int(pop["admin_code"].duplicated().sum()))
        pop = pop.groupby("admin_code", as_index=False).sum()
    for c in _VULNERABLE + ("households",):
        over = pop[c] > pop["population"]
        rep.repair(f"{c} larger than population capped", int(over.sum()))
        pop.loc[over, c] = pop.loc[over, "population"]
    unknown = ~pop["admin_code"].isin(admin["admin_code"])
    rep.reject("population row with an admin_code not in the admin layer", int(unknown.sum()))
    if unknown.any():
        rep.note(f"population codes not in admin: {sorted(pop.loc[unknown, 'admin_code'])[:10]}")
    return pop[~unknown].reset_index(drop=True)


def _refuse_people_without_area(pop: pd.DataFrame, admin: gpd.GeoDataFrame,
                                no_area: np.ndarray) -> None:
    """Raise when people belong to a unit with no area left (they would vanish)."""
    lost = pop[pop["admin_code"].isin(no_area) & (pop["population"] > 0)]
    if len(lost):
        names = dict(zip(admin["admin_code"], admin.get("admin_name", admin["admin_code"]),
                         strict=True))
        rows = ", ".join(f"{names.get(c, c)} ({c}, {p:,.0f} people)" for c, p in
                         zip(lost["admin_code"].head(5), lost["population"].head(5), strict=True))
        raise DataError(
            f"population: {len(lost)} admin units with people have no area left: {rows}. Their "
            "outline repeats another unit's (trimmed away as an overlap) or is empty, so their "
            "people cannot be placed. Fix or merge these units in the boundary layer."
        )


def population_exposure(
    zones: gpd.GeoDataFrame,
    admin: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    method: Literal["auto", "area", "buildings"] = "auto",
    code_col: str = "admin_code",
    report: StepReport | None = None,
    _aggregate: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """People per admin unit and hazard class, with vulnerable groups and displaced people.

    ``method="area"`` splits each unit's counts by the share of its area in each zone (areal
    weighting). ``method="buildings"`` splits them by residential floor area (the impact layer of
    :func:`buildings_exposure`): all residents of a touched building count in its class. ``"auto"``
    uses buildings in units that have residential buildings and area elsewhere (column
    ``method``). Counts (population, female, elderly, disabled, households) are split; the
    displacement rate is not.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared hazard zones.
    admin : GeoDataFrame
        Prepared admin units (non-overlapping).
    population : DataFrame
        ``admin_code``, ``population`` and optionally ``female``, ``elderly``, ``disabled``,
        ``households``. Negative or missing values become 0 (counted).
    buildings : GeoDataFrame, optional
        Output of :func:`buildings_exposure` (needs ``exposure_class``, ``area_m2``,
        ``admin_code``, ``zone_id``).
    method : {"auto", "area", "buildings"}, keyword-only
    code_col : str, keyword-only
        Admin code column of ``population``.
    report : StepReport, optional

    Returns
    -------
    DataFrame
        One row per admin unit and class (``hazard_class`` "not exposed" for the rest), columns
        ``admin_code``, ``hazard_class``, ``class_rank``, ``affected`` (bool), ``method``,
        ``area_m2``, ``population``, ``female``, ``elderly``, ``disabled``, ``households``,
        ``displaced``, ``female_displaced``, ``elderly_displaced``, ``disabled_displaced``.

    Raises
    ------
    SchemaError
        Missing columns or an unknown method.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from kotacerdas_gis.overlay import prepare_admin, prepare_zones
    >>> z = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
    ...     "displacement_rate": [0.05]}, geometry=[box(0, 0, 25, 100)], crs=32751))
    >>> a = prepare_admin(gpd.GeoDataFrame({"admin_code": ["d1"], "admin_name": ["Bone"]},
    ...     geometry=[box(0, 0, 100, 100)], crs=32751))
    >>> p = population_exposure(z, a, pd.DataFrame({"admin_code": ["d1"], "population": [400]}))
    >>> p[["hazard_class", "population", "displaced"]].values.tolist()
    [['high', 100.0, 5.0], ['not exposed', 300.0, 0.0]]
    """
    check_choice(method, ("auto", "area", "buildings"), name="method")
    rep = report if report is not None else StepReport("population x zones", source="population")
    rep.n_in = len(population)
    pop = _clean_population(population, admin, code_col, rep)
    codes = admin["admin_code"].to_numpy(object)
    admin_area = admin["area_m2"].to_numpy(float)
    _refuse_people_without_area(pop, admin, codes[admin_area <= 0])
    agg = _aggregate if _aggregate is not None else admin_zone_pieces(zones, admin)
    z_class = zones["hazard_class"].to_numpy(object)
    z_rank = zones["class_rank"].to_numpy()
    z_rate = zones["displacement_rate"].to_numpy(float)
    # weights per (admin, zone_pos) -> share of the unit's counts
    a_in = agg[agg["admin_pos"] >= 0]
    w_area = pd.DataFrame({
        "admin_code": codes[a_in["admin_pos"].to_numpy()],
        "zone_pos": a_in["zone_pos"].to_numpy(),
        "area_m2": a_in["area_m2"].to_numpy(),
        "w": a_in["area_m2"].to_numpy() / admin_area[a_in["admin_pos"].to_numpy()],
    })
    w_area["method"] = "area"
    use_bld = np.zeros(len(codes), bool)
    if method in ("auto", "buildings") and buildings is not None and len(buildings):
        require_columns(buildings, ["exposure_class", "area_m2", "admin_code", "zone_id"],
                         name="buildings (impact layer)",
                         hint=" (pass the output of buildings_exposure)")
        res = buildings[(buildings["exposure_class"] == "residential")
                        & buildings["admin_code"].notna()]
        zpos_of = pd.Series(np.arange(len(zones)), index=zones["zone_id"].to_numpy())
        zp = res["zone_id"].map(zpos_of).fillna(-1).astype(int).to_numpy()
        wb = pd.DataFrame({"admin_code": res["admin_code"].to_numpy(object), "zone_pos": zp,
                           "fa": res["area_m2"].to_numpy(float)})
        wb = wb.groupby(["admin_code", "zone_pos"], as_index=False)["fa"].sum()
        tot = wb.groupby("admin_code")["fa"].transform("sum")
        wb["w"] = wb["fa"] / tot
        has = np.isin(codes, wb["admin_code"].unique())
        use_bld = has
        area_lookup = w_area.set_index(["admin_code", "zone_pos"])["area_m2"]
        idx = pd.MultiIndex.from_arrays([wb["admin_code"], wb["zone_pos"]])
        wb["area_m2"] = area_lookup.reindex(idx).fillna(0.0).to_numpy()
        wb["method"] = "buildings"
        w = pd.concat([w_area[~w_area["admin_code"].isin(codes[use_bld])],
                       wb[["admin_code", "zone_pos", "area_m2", "w", "method"]]],
                      ignore_index=True)
    elif method == "buildings":
        raise SchemaError("method='buildings' needs the buildings impact layer; pass buildings=.")
    else:
        w = w_area
    if method == "buildings":
        n_fallback = int((~use_bld).sum())
        rep.note(f"{n_fallback} admin units without residential buildings used areal weighting")
    w = w.merge(pop, on="admin_code", how="inner")
    zp = w["zone_pos"].to_numpy()
    has = zp >= 0
    out = pd.DataFrame({
        "admin_code": w["admin_code"].to_numpy(object),
        "hazard_class": np.where(has, z_class[np.maximum(zp, 0)], NOT_EXPOSED),
        "class_rank": np.where(has, z_rank[np.maximum(zp, 0)], 0).astype(int),
        "method": w["method"].to_numpy(object),
        "area_m2": w["area_m2"].to_numpy(float),
    })
    rate = np.where(has, z_rate[np.maximum(zp, 0)], 0.0)
    wt = w["w"].to_numpy(float)
    for c in _POP_COLS:
        out[c] = w[c].to_numpy(float) * wt
    out["displaced"] = out["population"] * rate
    for c in _VULNERABLE:
        out[f"{c}_displaced"] = out[c] * rate
    # units whose weights do not reach 1 (numerical slivers) keep their rest as not exposed
    keys = ["admin_code", "hazard_class", "class_rank", "method"]
    out = out.groupby(keys, as_index=False, sort=False).sum(numeric_only=True)
    out["affected"] = _affected_of(out["hazard_class"], zones)
    # units with population but no admin geometry left are impossible after _clean_population;
    # units in admin without population rows get no rows (reported)
    missing = sorted(set(codes) - set(pop["admin_code"]))
    if missing:
        rep.note(f"{len(missing)} admin units have no population row")
    out = out.sort_values(["admin_code", "class_rank", "hazard_class"],
                          ascending=[True, False, True], kind="stable").reset_index(drop=True)
    cols = ["admin_code", "hazard_class", "class_rank", "affected", "method", "area_m2",
            *_POP_COLS, "displaced", *(f"{c}_displaced" for c in _VULNERABLE)]
    return out[cols]


def population_from_raster(
    raster: Any,
    zones: gpd.GeoDataFrame,
    admin: gpd.GeoDataFrame,
    *,
    strategy: str = "raster-sequential",
    report: StepReport | None = None,
    area_tolerance: float = AREA_TOLERANCE,
) -> pd.DataFrame:
    """Count people per admin unit and hazard class from a population raster, checked.

    Each cell's count is split by the exact fraction of it that falls in each admin x zone piece
    (:func:`~kotacerdas_gis.exposure.zonal.zonal_sums`): pieces traced on the raster's own grid
    are rasterised on that grid (each cell counted once), the others go through exactextract;
    every piece's covered cell area is checked against its area and recounted by exact cell
    intersection when they disagree (counted in ``report``).

    Parameters
    ----------
    raster : RasterLike, rasterio dataset, exactextract NumPyRasterSource, (array, transform)
        People per cell, in the same metric CRS as the zones: what
        :func:`kotacerdas_gis.read_raster` returns, or an already open raster (this function
        reads no files itself).
    zones, admin : GeoDataFrame
        Prepared zones and admin units.
    strategy : str, keyword-only
        Kept for compatibility; the sums no longer depend on an exactextract strategy.
    report : StepReport, optional
        Where recounts, zone area outside the raster and nodata cells are noted.
    area_tolerance : float, keyword-only
        Relative tolerance of the area check (default 0.1 %).

    Returns
    -------
    DataFrame
        ``admin_code``, ``hazard_class``, ``class_rank``, ``affected``, ``area_m2``,
        ``population``, ``displaced``.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from exactextract.raster import NumPyRasterSource
    >>> from kotacerdas_gis.overlay import prepare_admin, prepare_zones
    >>> r = NumPyRasterSource(np.full((10, 10), 2.0), 0, 0, 100, 100)
    >>> z = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
    ...     "displacement_rate": [0.5]}, geometry=[box(0, 0, 25, 100)], crs=32751))
    >>> a = prepare_admin(gpd.GeoDataFrame({"admin_code": ["d1"], "admin_name": ["Bone"]},
    ...     geometry=[box(0, 0, 100, 100)], crs=32751))
    >>> population_from_raster(r, z, a)[["hazard_class", "population", "displaced"]].values.tolist()
    [['high', 50.0, 25.0], ['not exposed', 150.0, 0.0]]
    """
    raster_crs = getattr(raster, "crs", None)
    if raster_crs is not None:
        try:
            require_same_crs(zones=zones, raster=raster_crs)
        except CRSMismatchError:
            work = as_crs(zones.crs)
            code = f"EPSG:{work.to_epsg()}" if work.to_epsg() else "<working CRS>"
            raise CRSMismatchError(
                f"population raster: it is in {describe_crs(raster_crs)} but the zones and admin "
                f"units are in {describe_crs(work)}. Reproject the raster (not the vector "
                "layers): kotacerdas_gis.io.raster.reproject_raster(read_raster(path, "
                f'require_metric=False), "people_working.tif", crs="{code}", resampling="sum") '
                "('sum' keeps the number of people)."
            ) from None
    agg = admin_zone_pieces(zones, admin)
    agg = agg[agg["admin_pos"] >= 0].reset_index(drop=True)
    if len(agg) == 0:
        raise DataError("population raster: no admin unit to summarise.")
    grid = as_grid(raster, bounds=tuple(agg.total_bounds))
    zs = zonal_sums(grid, agg.geometry.values, area_tolerance=area_tolerance, report=report)
    zp = agg["zone_pos"].to_numpy()
    has = zp >= 0
    z_rate = zones["displacement_rate"].to_numpy(float)
    out = pd.DataFrame({
        "admin_code": admin["admin_code"].to_numpy(object)[agg["admin_pos"].to_numpy()],
        "hazard_class": np.where(has, zones["hazard_class"].to_numpy(object)[np.maximum(zp, 0)],
                                 NOT_EXPOSED),
        "class_rank": np.where(has, zones["class_rank"].to_numpy()[np.maximum(zp, 0)], 0),
        "area_m2": agg["area_m2"].to_numpy(),
        "population": zs.sums,
    })
    out["displaced"] = out["population"] * np.where(has, z_rate[np.maximum(zp, 0)], 0.0)
    out = out.groupby(["admin_code", "hazard_class", "class_rank"], as_index=False).sum()
    out["affected"] = _affected_of(out["hazard_class"], zones)
    out = out.sort_values(["admin_code", "class_rank"], ascending=[True, False]).reset_index(
        drop=True)
    return out[["admin_code", "hazard_class", "class_rank", "affected", "area_m2", "population",
                "displaced"]]


def _raster_population(raster: Any, zones: gpd.GeoDataFrame, admin: gpd.GeoDataFrame,
                       table: pd.DataFrame | None, rep: StepReport) -> pd.DataFrame:
    out = population_from_raster(raster, zones, admin, report=rep)
    out.insert(4, "method", "raster")
    rep.n_in = len(admin)
    per = out.groupby("admin_code")["population"].sum().reindex(
        admin["admin_code"].to_numpy(object)).fillna(0.0)
    nobody = per.index[per.to_numpy() <= 0]
    if len(nobody):  # outside the raster, or nodata there: said, never silent
        names = dict(zip(admin["admin_code"], admin.get("admin_name", admin["admin_code"]),
                         strict=True))
        rep.note(f"{len(nobody)} of {len(admin)} admin units get no people from the population "
                 "raster (outside it, or nodata or 0 there): "
                 + ", ".join(f"{names.get(c, c)} ({c})" for c in nobody[:10])
                 + (", ..." if len(nobody) > 10 else ""))
    shares = pd.DataFrame(index=pd.Index(admin["admin_code"].to_numpy(object)))
    if table is not None:
        t = _clean_population(table, admin, "admin_code", rep).set_index("admin_code")
        for c in (*_VULNERABLE, "households"):
            with np.errstate(invalid="ignore", divide="ignore"):
                shares[c] = (t[c] / t["population"]).replace([np.inf], 0.0)
    else:
        rep.note("no population table: female, elderly, disabled and households are 0")
    shares = shares.fillna(0.0)
    rate = np.where(out["population"] > 0, out["displaced"] / out["population"].where(
        out["population"] > 0, 1.0), 0.0)
    for c in (*_VULNERABLE, "households"):
        sh = shares[c].reindex(out["admin_code"]).fillna(0.0).to_numpy() if c in shares else 0.0
        out[c] = out["population"].to_numpy() * sh
    for c in _VULNERABLE:
        out[f"{c}_displaced"] = out[c] * rate
    cols = ["admin_code", "hazard_class", "class_rank", "affected", "method", "area_m2",
            *_POP_COLS, "displaced", *(f"{c}_displaced" for c in _VULNERABLE)]
    return out[cols]
