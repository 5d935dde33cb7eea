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
import shapely

from ..accounting import StepReport
from ..checks import check_choice
from ..crs import as_crs, describe_crs, require_same_crs
from ..errors import CRSMismatchError, DataError, SchemaError
from ..overlay import (
    admin_zone_pieces,
    assign_to_first,
    fast_is_valid,
    polygon_zone_overlay,
    polygonal_part,
    require_polygons,
)
from ..schemas import require_columns
from .assets import NOT_EXPOSED
from .zonal import AREA_TOLERANCE, as_grid, zonal_sums

__all__ = ["population_exposure", "population_from_raster", "census_exposure",
           "desa_people_on_areas", "RasterRule"]

#: How a population raster's cells are counted in a polygon: by the exact covered fraction of
#: each cell (``"exact"``, exactextract's coverage weights) or whole cells whose centre lies in
#: it (``"centre"``, the rule of rasterising without ``all_touched``).
RasterRule = Literal["exact", "centre"]

_POP_COLS = ("population", "female", "elderly", "disabled", "households")


_VULNERABLE = ("female", "elderly", "disabled")
#: Group key of the rows outside every area while summing (never an id; NUL is cut by
#: pandas' string dtype).
_OUTSIDE = "\uffff outside every area"


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
    rule: RasterRule = "exact",
) -> pd.DataFrame:
    """Count people per admin unit and hazard class from a population raster, checked.

    With ``rule="exact"`` (default) each cell's count is split by the exact fraction of it
    that falls in each admin x zone piece
    (:func:`~kotacerdas_gis.exposure.zonal.zonal_sums`): pieces traced on the raster's own grid
    are rasterised on that grid (each cell counted once), the others get exact cell coverage
    (:func:`kotacerdas_gis.zonal.coverage_stats`); every piece's covered cell area is checked
    against its area and recounted by exact coverage when they disagree (counted in
    ``report``). With ``rule="centre"`` a cell
    counts whole in the piece holding its centre (a centre on a shared edge counts once, on
    the zone's side: the pieces inside zones come first), the rule of rasterising without
    ``all_touched``.

    Parameters
    ----------
    raster : RasterLike, rasterio dataset, exactextract NumPyRasterSource, (array, transform)
        People per cell, in the same metric CRS as the zones: what
        :func:`kotacerdas_gis.read_raster` returns, or an already open raster (this function
        reads no files itself).
    zones, admin : GeoDataFrame
        Prepared zones and admin units.
    strategy : str, keyword-only
        exactextract strategy of the ``"centre"`` rule; the exact sums do not depend on it.
    report : StepReport, optional
        Where recounts, zone area outside the raster and nodata cells are noted.
    area_tolerance : float, keyword-only
        Relative tolerance of the area check (default 0.1 %).
    rule : {"exact", "centre"}, keyword-only
        Fractional coverage (default) or the cell-centre rule.

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

    The zone covers two and a half columns of 10 m cells; the third column's centres lie on the
    zone's edge and count in the zone (the hazard side wins a tie):

    >>> population_from_raster(r, z, a, rule="centre")["population"].tolist()
    [60.0, 140.0]
    """
    check_choice(rule, RasterRule, name="population raster rule")
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
    if rule == "exact":
        people = zonal_sums(grid, agg.geometry.values, area_tolerance=area_tolerance,
                            report=report).sums
    else:
        from exactextract import exact_extract
        from exactextract.raster import NumPyRasterSource

        xmin, ymin, xmax, ymax = grid.bounds
        src = NumPyRasterSource(np.asarray(grid.values, dtype=float), xmin, ymin, xmax, ymax)
        people = _centre_sums(exact_extract(
            src, agg[["geometry"]], ["values", "center_x", "center_y"], strategy=strategy,
            output="pandas"), agg.geometry.to_numpy())
    zp = agg["zone_pos"].to_numpy()
    has = zp >= 0
    z_rate = zones["displacement_rate"].to_numpy(float)
    out = pd.DataFrame({
        "admin_code": admin["admin_code"].to_numpy(object)[agg["admin_pos"].to_numpy()],
        "hazard_class": np.where(has, zones["hazard_class"].to_numpy(object)[np.maximum(zp, 0)],
                                 NOT_EXPOSED),
        "class_rank": np.where(has, zones["class_rank"].to_numpy()[np.maximum(zp, 0)], 0),
        "area_m2": agg["area_m2"].to_numpy(),
        "population": people,
    })
    out["displaced"] = out["population"] * np.where(has, z_rate[np.maximum(zp, 0)], 0.0)
    out = out.groupby(["admin_code", "hazard_class", "class_rank"], as_index=False).sum()
    out["affected"] = _affected_of(out["hazard_class"], zones)
    out = out.sort_values(["admin_code", "class_rank"], ascending=[True, False]).reset_index(
        drop=True)
    return out[["admin_code", "hazard_class", "class_rank", "affected", "area_m2", "population",
                "displaced"]]


def _centre_sums(cells: pd.DataFrame, geoms: np.ndarray) -> np.ndarray:
    """People per piece by the cell-centre rule, from exactextract's per-cell values."""
    rows = []
    for i, (v, cx, cy) in enumerate(zip(cells["values"], cells["center_x"], cells["center_y"],
                                        strict=True)):
        v, cx, cy = (np.asarray(a, dtype=float) for a in (v, cx, cy))
        inside = shapely.intersects_xy(geoms[i], cx, cy)
        rows.append(pd.DataFrame({"piece": i, "cx": cx[inside], "cy": cy[inside],
                                  "v": np.nan_to_num(v[inside])}))
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["piece", "cx", "cy", "v"])
    df = df.drop_duplicates(["cx", "cy"], keep="first")  # a centre on a shared edge: once
    return np.bincount(df["piece"].to_numpy(int), weights=df["v"].to_numpy(float),
                       minlength=len(geoms))


def census_exposure(
    census: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    population_col: str = "population",
    report: StepReport | None = None,
    _aggregate: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """People of census polygons (not the aggregation areas) per unit and hazard class.

    Each census polygon's counts are split by the share of its area in each unit x zone piece
    (:func:`~kotacerdas_gis.overlay.admin_zone_pieces`, areas by
    :func:`~kotacerdas_gis.overlay.polygon_zone_overlay`): a block half inside a wet zone puts
    half its people there. People in the parts of a block outside every unit are kept with
    ``admin_code`` None (counted in the report); parts outside every unit and every zone are
    "not exposed".

    Parameters
    ----------
    census : GeoDataFrame
        Polygons (same metric CRS) with ``population_col`` and optionally ``female``,
        ``elderly``, ``disabled``, ``households`` (counts). Negative or missing counts become 0,
        counted; group counts above the population are capped, counted.
    zones : GeoDataFrame
        Prepared hazard zones.
    units : GeoDataFrame
        Prepared aggregation units (:func:`~kotacerdas_gis.overlay.prepare_admin`).
    population_col : str, keyword-only
        Column of people.
    report : StepReport, optional

    Returns
    -------
    DataFrame
        The columns of :func:`population_exposure` (``method`` = ``"census"``).

    Raises
    ------
    SchemaError
        Missing population column; a layer that is not polygons.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from kotacerdas_gis.overlay import prepare_admin, prepare_zones
    >>> z = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["wet"], "class_rank": [1],
    ...     "displacement_rate": [0.9]}, geometry=[box(0, 0, 50, 100)], crs=32751))
    >>> u = prepare_admin(gpd.GeoDataFrame({"admin_code": ["c1"], "admin_name": ["Cell 1"]},
    ...     geometry=[box(0, 0, 200, 200)], crs=32751))
    >>> c = gpd.GeoDataFrame({"population": [1000]}, geometry=[box(0, 0, 100, 100)], crs=32751)
    >>> census_exposure(c, z, u)[["hazard_class", "population", "displaced"]].values.tolist()
    [['wet', 500.0, 450.0], ['not exposed', 500.0, 0.0]]
    """
    require_same_crs(census=census, zones=zones, units=units)
    require_columns(census, [population_col], name="census")
    require_polygons(census, name="census")
    rep = report if report is not None else StepReport("census x units x zones", source="census")
    rep.n_in = len(census)
    g = np.asarray(census.geometry.values, dtype=object)
    empty = shapely.is_missing(g) | shapely.is_empty(g)
    rep.reject("empty or missing census geometry", int(empty.sum()))
    invalid = ~empty & ~fast_is_valid(g)
    if invalid.any():
        g = g.copy()
        g[invalid] = polygonal_part(shapely.make_valid(g[invalid]))
        rep.repair("invalid census geometry fixed with make_valid", int(invalid.sum()))
    counts: dict[str, np.ndarray] = {}
    for c in _POP_COLS:
        src = population_col if c == "population" else c
        if src not in census.columns:
            counts[c] = np.zeros(len(census))
            continue
        v = pd.to_numeric(census[src], errors="coerce").to_numpy(float)
        bad = np.isnan(v) | (v < 0)
        rep.repair(f"missing or negative census {src} set to 0", int(bad.sum()))
        counts[c] = np.where(bad, 0.0, v)
    for c in (*_VULNERABLE, "households"):
        over = counts[c] > counts["population"]
        rep.repair(f"census {c} larger than population capped", int(over.sum()))
        counts[c] = np.minimum(counts[c], counts["population"])
    lost = empty & (counts["population"] > 0)
    if lost.any():
        rep.note(f"{counts['population'][lost].sum():.0f} people in census polygons without "
                 "geometry are not placed")
    agg = _aggregate if _aggregate is not None else admin_zone_pieces(zones, units)
    keep = np.flatnonzero(~empty)
    st = polygon_zone_overlay(g[keep], agg.geometry.values, np.zeros(len(agg), dtype=int))
    ci = keep[st.pair_asset]
    area = shapely.area(g)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(area[ci] > 0, st.pair_area_m2 / area[ci], 0.0)
    apos = agg["admin_pos"].to_numpy()[st.pair_zone]
    zp = agg["zone_pos"].to_numpy()[st.pair_zone]
    # the rest of each block lies outside every unit and every zone
    rest = np.clip(1.0 - np.bincount(ci, weights=w, minlength=len(g)), 0.0, 1.0)
    rest[empty] = 0.0
    rest[rest < 1e-9] = 0.0
    ri = np.flatnonzero(rest > 0)
    ci = np.concatenate([ci, ri])
    w = np.concatenate([w, rest[ri]])
    apos = np.concatenate([apos, np.full(len(ri), -1)])
    zp = np.concatenate([zp, np.full(len(ri), -1)])
    piece_area = np.concatenate([st.pair_area_m2, area[ri] * rest[ri]])
    has = zp >= 0
    codes = units["admin_code"].to_numpy(object)
    out = pd.DataFrame({
        "admin_code": np.where(apos >= 0, codes[np.maximum(apos, 0)], None),
        "hazard_class": np.where(has, zones["hazard_class"].to_numpy(object)[np.maximum(zp, 0)],
                                 NOT_EXPOSED),
        "class_rank": np.where(has, zones["class_rank"].to_numpy()[np.maximum(zp, 0)], 0
                               ).astype(int),
        "method": "census",
        "area_m2": piece_area,
    })
    rate = np.where(has, zones["displacement_rate"].to_numpy(float)[np.maximum(zp, 0)], 0.0)
    for c in _POP_COLS:
        out[c] = counts[c][ci] * w
    out["displaced"] = out["population"] * rate
    for c in _VULNERABLE:
        out[f"{c}_displaced"] = out[c] * rate
    outside = out["admin_code"].isna()
    if outside.any():
        rep.note(f"{out.loc[outside, 'population'].sum():.1f} census people lie outside every "
                 "aggregation area (admin_code None)")
    return _group_people(out)


def _group_people(out: pd.DataFrame) -> pd.DataFrame:
    """Sum people rows per area and class (rows outside every area kept, as None)."""
    keys = ["admin_code", "hazard_class", "class_rank", "method"]
    out = out.copy()
    outside = out["admin_code"].isna()
    out["admin_code"] = out["admin_code"].astype(object).where(~outside, _OUTSIDE)
    out = out.groupby(keys, as_index=False, sort=False).sum(numeric_only=True)
    out["admin_code"] = out["admin_code"].astype(object).where(out["admin_code"] != _OUTSIDE, None)
    out["affected"] = out["class_rank"] > 0
    out = out.sort_values(["admin_code", "class_rank", "hazard_class"],
                          ascending=[True, False, True], kind="stable",
                          na_position="last").reset_index(drop=True)
    cols = ["admin_code", "hazard_class", "class_rank", "affected", "method", "area_m2",
            *_POP_COLS, "displaced", *(f"{c}_displaced" for c in _VULNERABLE)]
    return out[cols]


def desa_people_on_areas(
    desa: gpd.GeoDataFrame,
    population: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    method: Literal["auto", "area", "buildings"] = "auto",
    report: StepReport | None = None,
    _aggregate: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """People of a desa table placed on other aggregation areas (a grid, RW ...), per class.

    ``method="buildings"`` (and ``"auto"`` in desa with residential buildings) gives each
    residential building of a desa its share of the desa's people by floor area; the people
    count in the building's area and hazard class (all residents of a touched building, as
    :func:`population_exposure` does). ``"area"`` (and ``"auto"`` in desa without residential
    buildings) spreads them by area like census polygons (:func:`census_exposure`).

    Parameters
    ----------
    desa : GeoDataFrame
        Prepared desa (:func:`~kotacerdas_gis.overlay.prepare_admin`).
    population : DataFrame
        Per desa: ``admin_code``, ``population`` and optional group counts.
    zones, units : GeoDataFrame
        Prepared zones and aggregation areas.
    buildings : GeoDataFrame, optional
        The buildings impact layer on ``units`` (``exposure_class``, ``area_m2``,
        ``admin_code`` = the area, ``zone_id``), before any limit to the areas.
    method : {"auto", "area", "buildings"}, keyword-only
    report : StepReport, optional

    Returns
    -------
    DataFrame
        The columns of :func:`population_exposure` (``method`` ``"buildings"`` or ``"area"``;
        ``area_m2`` is residential floor area for the buildings rows).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from kotacerdas_gis.overlay import prepare_admin, prepare_zones
    >>> z = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["wet"], "class_rank": [1],
    ...     "displacement_rate": [0.5]}, geometry=[box(0, 0, 10, 10)], crs=32751))
    >>> d = prepare_admin(gpd.GeoDataFrame({"admin_code": ["D"], "admin_name": ["Bone"]},
    ...     geometry=[box(0, 0, 200, 100)], crs=32751))
    >>> u = prepare_admin(gpd.GeoDataFrame({"admin_code": ["A", "B"], "admin_name": ["A", "B"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=32751))
    >>> b = gpd.GeoDataFrame({"exposure_class": ["residential"] * 2, "area_m2": [300.0, 100.0],
    ...     "admin_code": ["A", "B"], "zone_id": ["zone0", None]},
    ...     geometry=[box(0, 0, 20, 15), box(150, 0, 160, 10)], crs=32751)
    >>> p = desa_people_on_areas(d, pd.DataFrame({"admin_code": ["D"], "population": [80]}),
    ...     z, u, buildings=b)
    >>> p[["admin_code", "hazard_class", "population", "displaced"]].values.tolist()
    [['A', 'wet', 60.0, 30.0], ['B', 'not exposed', 20.0, 0.0]]
    """
    check_choice(method, ("auto", "area", "buildings"), name="method")
    rep = report if report is not None else StepReport("desa population x areas x zones",
                                                       source="population")
    rep.n_in = len(population)
    pt = _clean_population(population, desa, "admin_code", rep)
    blocks = desa[["admin_code", "geometry"]].merge(pt, on="admin_code", how="inner")
    parts: list[pd.DataFrame] = []
    by_bld: set[str] = set()
    if method != "area" and buildings is not None and len(buildings):
        require_columns(buildings, ["exposure_class", "area_m2", "admin_code", "zone_id"],
                        name="buildings (impact layer)",
                        hint=" (pass the output of buildings_exposure)")
        res = buildings[buildings["exposure_class"] == "residential"]
        dpos = assign_to_first(shapely.point_on_surface(np.asarray(res.geometry.values,
                                                                   dtype=object)), desa)
        dcode = np.where(dpos >= 0, desa["admin_code"].to_numpy(object)[np.maximum(dpos, 0)],
                         None)
        zpos_of = pd.Series(np.arange(len(zones)), index=zones["zone_id"].to_numpy())
        df = pd.DataFrame({"desa": dcode, "area": res["admin_code"].to_numpy(object),
                           "zone_pos": res["zone_id"].map(zpos_of).fillna(-1).astype(int)
                           .to_numpy(), "fa": res["area_m2"].to_numpy(float)})
        df = df[df["desa"].notna() & df["desa"].isin(pt["admin_code"])]
        df["w"] = df["fa"] / df.groupby("desa")["fa"].transform("sum")
        df = df[np.isfinite(df["w"].to_numpy())]
        by_bld = set(df["desa"])
        df = df.merge(pt, left_on="desa", right_on="admin_code")
        zp = df["zone_pos"].to_numpy()
        has = zp >= 0
        out = pd.DataFrame({
            "admin_code": df["area"].to_numpy(object),
            "hazard_class": np.where(has, zones["hazard_class"].to_numpy(object)[
                np.maximum(zp, 0)], NOT_EXPOSED),
            "class_rank": np.where(has, zones["class_rank"].to_numpy()[np.maximum(zp, 0)], 0
                                   ).astype(int),
            "method": "buildings", "area_m2": df["fa"].to_numpy(float)})
        rate = np.where(has, zones["displacement_rate"].to_numpy(float)[np.maximum(zp, 0)], 0.0)
        for c in _POP_COLS:
            out[c] = df[c].to_numpy(float) * df["w"].to_numpy(float)
        out["displaced"] = out["population"] * rate
        for c in _VULNERABLE:
            out[f"{c}_displaced"] = out[c] * rate
        parts.append(out)
    elif method == "buildings":
        raise SchemaError("method='buildings' needs the buildings impact layer; pass buildings=.")
    rest = blocks[~blocks["admin_code"].isin(by_bld)]
    rep.note(f"desa people on the aggregation areas: {len(by_bld)} desa by residential "
             f"buildings, {len(rest)} by area")
    if len(rest):
        sub = StepReport("census", source="desa")
        parts.append(census_exposure(rest, zones, units, report=sub, _aggregate=_aggregate)
                     .assign(method="area"))
        for reason, n in sub.reasons_repaired.items():
            rep.repair(reason, n)
        rep.notes.extend(sub.notes)
    return _group_people(pd.concat(parts, ignore_index=True))


def _raster_population(raster: Any, zones: gpd.GeoDataFrame, admin: gpd.GeoDataFrame,
                       table: pd.DataFrame | None, rep: StepReport,
                       rule: RasterRule = "exact") -> pd.DataFrame:
    out = population_from_raster(raster, zones, admin, report=rep, rule=rule)
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
