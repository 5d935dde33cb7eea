"""Exposure and impact: buildings, roads, facilities and people x hazard zones.

The overlay follows InaSAFE's rules and names so that planners who know InaSAFE read the results
without a glossary:

* a building partly inside a zone is affected (no centroid test; InaSAFE fixed exactly that bug);
  a building whose outline only meets a zone's edge or corner, with no area inside, is not;
  ``flooded_frac`` (0-1) is the share of its footprint inside any zone and ``hazard_class`` the
  highest class it touches;
* roads are split at zone (and admin) edges and reported as ``length_m`` per road class and hazard
  class;
* point facilities take the class of the zone they lie in;
* people are counted per admin unit by areal weighting, by residential buildings, or from a
  population raster (exactextract); extensive values (people, female, elderly, disabled) are split
  by area or building share, intensive ones (rates) are not;
* displaced people = affected people x the zone's ``displacement_rate``; minimum needs (BNPB Perka
  7/2008) are computed on displaced people, not on all affected people.

Every asset appears in the impact layers exactly once, either with a hazard class or as
``hazard_class == "not exposed"`` (``class_rank`` 0). Assets in a zone whose class is not
``affected`` (the class set's flag, e.g. InaSAFE's generic ``low``) are exposed but *not affected*
(InaSAFE's ``total_not_affected``); nobody there is displaced.

The package: :mod:`.assets` (buildings, facilities, roads), :mod:`.population` (people per
desa, from a table or a raster), :mod:`.zonal` (raster sums over zones, exact on the raster's
grid and checked against the zones' areas), :mod:`.raster_hazard` (buildings classed straight
from a depth or index raster by the max, mean or centroid value), :mod:`.needs` (minimum
needs), :mod:`.summary` (per-admin and whole-area summaries); the geometry is
:mod:`kotacerdas_gis.overlay`.

All layers must share one metric CRS (EPSG:32751 for Luwu Utara); nothing is reprojected here.
Functions are pure: inputs are never mutated, nothing is read or written.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> zones = gpd.GeoDataFrame({"zone_id": ["z1"], "hazard_class": ["high"], "class_rank": [3],
...     "displacement_rate": [0.05]}, geometry=[box(0, 0, 50, 100)], crs=32751)
>>> buildings = gpd.GeoDataFrame({"asset_id": ["b1", "b2"],
...     "exposure_class": ["residential", "shop"]},
...     geometry=[box(0, 0, 100, 100), box(200, 0, 210, 10)], crs=32751)
>>> res = analyse_exposure(zones, buildings=buildings)
>>> res.impact_buildings[["asset_id", "exposure_class", "hazard_class", "flooded_frac", "affected"]]
  asset_id exposure_class hazard_class  flooded_frac  affected
0       b1    residential         high           0.5      True
1       b2          other  not exposed           0.0     False
>>> res.report.steps[1].reasons_repaired["unknown exposure_class mapped to 'other'"]
1
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

import geopandas as gpd

from ..accounting import Ledger, jsonable
from ..checks import check_choice
from ..crs import require_same_crs
from ..errors import ParameterError, SchemaError
from ..overlay import (
    OverlayStats,
    admin_zone_pieces,
    line_zone_split,
    polygon_zone_overlay,
    prepare_admin,
    prepare_zones,
)
from .assets import (
    BUILDING_CLASSES,
    NOT_EXPOSED,
    ROAD_CLASSES,
    buildings_exposure,
    facilities_exposure,
    roads_exposure,
)
from .needs import MinimumNeeds, NeedItem, minimum_needs
from .population import (
    RasterRule,
    _raster_population,
    census_exposure,
    desa_people_on_areas,
    population_exposure,
    population_from_raster,
)
from .raster_hazard import Statistic, building_hazard_values, buildings_raster_exposure
from .summary import (
    _analysis_summary,
    _per_admin,
    _pop_per_admin,
    _pop_summary_table,
    _summary_table,
)
from .tables import (
    DEFAULT_DEMOGRAPHIC_RATIOS,
    DEMOGRAPHIC_GROUPS,
    demographic_breakdown,
    exposure_by_area,
)

__all__ = [
    "NOT_EXPOSED",
    "BUILDING_CLASSES",
    "ROAD_CLASSES",
    "MinimumNeeds",
    "NeedItem",
    "RasterRule",
    "DEFAULT_DEMOGRAPHIC_RATIOS",
    "DEMOGRAPHIC_GROUPS",
    "census_exposure",
    "desa_people_on_areas",
    "exposure_by_area",
    "demographic_breakdown",
    "OverlayStats",
    "ExposureResult",
    "polygon_zone_overlay",
    "line_zone_split",
    "prepare_zones",
    "prepare_admin",
    "buildings_exposure",
    "roads_exposure",
    "facilities_exposure",
    "population_exposure",
    "population_from_raster",
    "minimum_needs",
    "analyse_exposure",
    "building_hazard_values",
    "buildings_raster_exposure",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExposureResult:
    """Impact of one hazard on buildings, roads, facilities and people.

    Attributes
    ----------
    impact_buildings, impact_roads, impact_facilities : GeoDataFrame or None
        InaSAFE ``impact`` layers (one row per building / facility, one per road piece).
    aggregation_summary : GeoDataFrame or None
        Per desa, with geometry (InaSAFE ``aggregation_summary``).
    aggregation_summary_kecamatan : GeoDataFrame or None
        Per kecamatan (desa summed by ``parent_code``, geometry dissolved).
    analysis_summary : DataFrame
        One row for the whole area (InaSAFE ``analysis_summary``).
    exposure_summary_table : DataFrame
        Per exposure and class: counts (or ``length_m``) per hazard class, ``total_affected``,
        ``total_not_affected``, ``total_not_exposed``, ``total``.
    population_impact : DataFrame or None
        People per admin unit and hazard class (:func:`population_exposure`).
    needs : DataFrame or None
        Minimum needs per admin unit plus a ``total`` row, the sum of the admin rows (family
        kits and toilets are rounded up per unit, so the total counts the items to deliver).
    hazard_classes : DataFrame
        The classes present: ``hazard_class``, ``class_rank``, ``displacement_rate``,
        ``affected``, ``area_m2``, ``n_zones`` (and ``label_id``, ``label_en`` when the zones
        have them).
    report : Ledger
        Accounting of every step.
    area_tables : dict of DataFrame
        Per exposure (``buildings``, ``facilities``: counts; ``roads``: km), the aggregation
        area x exposure class table per hazard class (:func:`exposure_by_area`); empty without
        aggregation areas.
    demographics : DataFrame or None
        Affected and displaced people per area by female, youth, adult, elderly, disabled
        (:func:`demographic_breakdown`).
    aggregation : str
        What the per-area figures are aggregated on: ``"desa"`` (the admin layer) or
        ``"aggregation layer"``.
    """

    impact_buildings: gpd.GeoDataFrame | None
    impact_roads: gpd.GeoDataFrame | None
    impact_facilities: gpd.GeoDataFrame | None
    aggregation_summary: gpd.GeoDataFrame | None
    aggregation_summary_kecamatan: gpd.GeoDataFrame | None
    analysis_summary: pd.DataFrame
    exposure_summary_table: pd.DataFrame
    population_impact: pd.DataFrame | None
    needs: pd.DataFrame | None
    hazard_classes: pd.DataFrame
    report: Ledger = field(default_factory=Ledger)
    area_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    demographics: pd.DataFrame | None = None
    aggregation: str = "desa"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready key figures for the "impact" section of summary.json."""
        row = self.analysis_summary.iloc[0].to_dict() if len(self.analysis_summary) else {}
        top: list[dict[str, Any]] = []
        if self.aggregation_summary is not None and "total_affected" in self.aggregation_summary:
            a = self.aggregation_summary.sort_values("total_affected", ascending=False).head(10)
            top = a[["admin_code", "admin_name", "total_affected", "displaced"]].to_dict("records")
        needs = {}
        if self.needs is not None and len(self.needs):
            tot = self.needs[self.needs["admin_code"] == "total"]
            if len(tot):
                needs = {k: v for k, v in tot.iloc[0].items() if k != "admin_code"}
        return jsonable({
            "analysis_summary": row,
            "hazard_classes": self.hazard_classes.to_dict("records"),
            "exposure_summary_table": self.exposure_summary_table.to_dict("records"),
            "most_affected_desa": top,
            "minimum_needs": needs,
            "aggregation": self.aggregation,
            "demographics_total": ({} if self.demographics is None else
                                   self.demographics.iloc[-1].drop(
                                       ["aggregation_id", "aggregation_name", "ratio_source"])
                                   .to_dict()),
            "accounting": self.report.to_records(),
        })


def analyse_exposure(
    zones: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    admin: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    population_method: Literal["auto", "area", "buildings"] = "auto",
    population_raster: Any = None,
    needs: MinimumNeeds = MinimumNeeds(),  # noqa: B008 (a frozen dataclass)
    zone_class_col: str = "hazard_class",
    zone_rank_col: str = "class_rank",
    zone_rate_col: str = "displacement_rate",
    admin_code_col: str = "admin_code",
    admin_name_col: str = "admin_name",
    admin_parent_col: str = "parent_code",
    asset_id_col: str = "asset_id",
    building_class_col: str = "exposure_class",
    road_class_col: str = "road_class",
    facility_class_col: str = "exposure_class",
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_id_col: str = "aggregation_id",
    aggregation_name_col: str | None = None,
    limit_to_aggregation: bool = False,
    census: gpd.GeoDataFrame | None = None,
    census_population_col: str = "population",
    population_raster_rule: RasterRule = "exact",
    demographic_ratios: dict[str, float] | None = None,
    building_rule: Statistic = "max",
    hazard_raster: Any = None,
    hazard_class_set: Any = None,
) -> ExposureResult:
    """Run the whole impact analysis and build InaSAFE-style summaries.

    Parameters
    ----------
    zones : GeoDataFrame
        Hazard zones (EPSG:32751): ``hazard_class``, ``class_rank``, ``displacement_rate``.
    buildings, roads, facilities : GeoDataFrame, optional, keyword-only
        Canonical asset layers (see :func:`buildings_exposure`, :func:`roads_exposure`,
        :func:`facilities_exposure`).
    admin : GeoDataFrame, optional, keyword-only
        Desa polygons with ``admin_code``, ``admin_name``, ``parent_code`` (kecamatan code).
        Overlaps are trimmed (counted). Needed for per-desa summaries and people.
    population : DataFrame, optional, keyword-only
        Per desa: ``admin_code``, ``population``, ``female``, ``elderly``, ``disabled``,
        ``households``. Needs ``admin``.
    population_method : {"auto", "area", "buildings"}, keyword-only
        See :func:`population_exposure`.
    population_raster : optional, keyword-only
        An open population raster (people per cell, same CRS; anything exactextract accepts).
        When given, people come from it (:func:`population_from_raster`) and ``population``,
        if also given, only supplies the shares of female, elderly, disabled and households.
    needs : MinimumNeeds, keyword-only
        Minimum needs per displaced person per week.
    zone_class_col, zone_rank_col, zone_rate_col, admin_code_col, admin_name_col,
    admin_parent_col, asset_id_col, building_class_col, road_class_col, facility_class_col : str
        Column names.
    aggregation : GeoDataFrame, optional, keyword-only
        Any aggregation areas (kecamatan, RW, a grid, analysis cells; same metric CRS) with an
        id column ``aggregation_id_col`` and a name column ``aggregation_name_col`` (the id
        when None); optional ``female_ratio``, ``youth_ratio``, ``adult_ratio``,
        ``elderly_ratio``, ``disabled_ratio`` columns (0-1) feed the demographic breakdown.
        The per-area figures (``aggregation_summary``, ``area_tables``, ``demographics``) are
        then per aggregation area (its id in ``admin_code``, its name in ``admin_name``) and
        there is no per-kecamatan summary; the people of the desa ``admin`` with its
        ``population`` table are placed on the areas by residential buildings or by area
        (``population_method``, :func:`desa_people_on_areas`). Default: the desa.
    limit_to_aggregation : bool, keyword-only
        Limit the analysis to the union of the aggregation areas (or of ``admin``): buildings
        and facilities whose representative point lies outside, road pieces and people outside
        are dropped and counted in the ledger, and the hazard class areas are clipped.
    census : GeoDataFrame, optional, keyword-only
        Population polygons that are not the aggregation areas (census blocks) with
        ``census_population_col`` (and optionally ``female``, ``elderly``, ``disabled``,
        ``households``): split by area fraction at hazard and area edges
        (:func:`census_exposure`). Takes precedence over ``population``.
    population_raster_rule : {"exact", "centre"}, keyword-only
        Exact fractional coverage of the raster's cells (default) or the cell-centre rule.
    demographic_ratios : dict, optional, keyword-only
        Default ratios per group (:data:`DEFAULT_DEMOGRAPHIC_RATIOS`, InaSAFE's, by default)
        where the aggregation layer has no ratio column.
    building_rule : {"max", "mean", "centroid"}, keyword-only
        How buildings are classed: ``"max"`` (default) by the zones (the highest class a
        footprint touches); ``"mean"`` / ``"centroid"`` straight from ``hazard_raster``, by
        the coverage-weighted mean over the footprint or the value at its centroid
        (:func:`buildings_raster_exposure`; ``flooded_area_m2`` / ``flooded_frac`` are then
        absent and ``hazard_value`` holds the value). Roads, facilities and people still use
        the zones.
    hazard_raster, hazard_class_set : optional, keyword-only
        The raster the zones were classified from (what :func:`kotacerdas_gis.read_raster`
        returns, in the zones' CRS) and its class set; needed by ``building_rule`` ``"mean"``
        and ``"centroid"``.

    Returns
    -------
    ExposureResult
        ``aggregation_summary`` columns (per desa): ``admin_code``, ``admin_name``,
        ``parent_code``, ``buildings_<class>``, ``buildings_total``, ``buildings_affected``,
        ``buildings_not_affected``, ``buildings_not_exposed``, ``roads_<class>_length_m``,
        ``roads_total_length_m``, ``roads_affected_length_m``, ..., ``facilities_*``,
        ``health_facilities_affected``, ``population``, ``total_affected`` (people),
        ``total_not_affected``, ``total_not_exposed``, ``affected_<class>``, ``displaced``,
        ``female_affected``, ``elderly_affected``, ``disabled_affected``, ``female_displaced``,
        ``elderly_displaced``, ``disabled_displaced``, ``households_affected``, geometry.

    Raises
    ------
    CRSError, CRSMismatchError, SchemaError, DataError

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
    ...     "displacement_rate": [0.05]}, geometry=[box(0, 0, 50, 100)], crs=32751)
    >>> a = gpd.GeoDataFrame({"admin_code": ["d1"], "admin_name": ["Bone"], "parent_code": ["k"]},
    ...     geometry=[box(0, 0, 100, 100)], crs=32751)
    >>> pop = pd.DataFrame({"admin_code": ["d1"], "population": [1000], "female": [500]})
    >>> r = analyse_exposure(z, admin=a, population=pop)
    >>> s = r.aggregation_summary
    >>> s[["admin_name", "total_affected", "displaced", "female_affected"]].values.tolist()
    [['Bone', 500.0, 25.0, 250.0]]
    >>> r.to_dict()["minimum_needs"]["rice_kg"]
    70.0
    """
    ledger = Ledger()
    check_choice(population_raster_rule, RasterRule, name="population_raster_rule")
    check_choice(building_rule, Statistic, name="building_rule")
    if building_rule != "max" and (hazard_raster is None or hazard_class_set is None):
        raise ParameterError(
            f"building_rule={building_rule!r} classes buildings straight from the hazard "
            "raster: pass hazard_raster= (read_raster of the depth or index raster) and "
            "hazard_class_set= (its class set), or use building_rule='max' (the zones)."
        )
    if not isinstance(limit_to_aggregation, bool):
        raise ParameterError(f"limit_to_aggregation: expected True or False, found "
                             f"{limit_to_aggregation!r}.")
    layers: dict[str, Any] = {"zones": zones}
    for nm, lay in (("buildings", buildings), ("roads", roads), ("facilities", facilities),
                    ("admin", admin), ("aggregation", aggregation), ("census", census)):
        if lay is not None:
            layers[nm] = lay
    require_same_crs(**layers)
    zrep = ledger.step("prepare hazard zones", source="zones")
    z = prepare_zones(zones, class_col=zone_class_col, rank_col=zone_rank_col,
                      rate_col=zone_rate_col, report=zrep)
    agg_cols = {"displacement_rate": "max", "affected": "max", "area_m2": "sum",
                "zone_id": "count"}
    agg_cols.update({c: "first" for c in ("label_id", "label_en") if c in z.columns})
    hz = (z.assign(area_m2=z.area).groupby(["hazard_class", "class_rank"], as_index=False)
          .agg(agg_cols).rename(columns={"zone_id": "n_zones"})
          .sort_values("class_rank", ascending=False, kind="stable").reset_index(drop=True))
    classes = hz["hazard_class"].tolist()
    # the class set's flag: a class may be exposed but not affected (InaSAFE's generic low)
    affected_of = dict(zip(hz["hazard_class"], hz["affected"].astype(bool), strict=True))
    adm = desa = None
    if admin is not None:
        arep = ledger.step("prepare admin units", source="admin")
        desa = adm = prepare_admin(admin, code_col=admin_code_col, name_col=admin_name_col,
                                   parent_col=admin_parent_col, report=arep)
    ratios = None
    if aggregation is not None:
        grep_ = ledger.step("prepare aggregation areas", source="aggregation")
        adm = prepare_admin(aggregation, code_col=aggregation_id_col,
                            name_col=aggregation_name_col or aggregation_id_col,
                            parent_col="\x00no parent", report=grep_)
        rcols = [f"{g}_ratio" for g in DEMOGRAPHIC_GROUPS if f"{g}_ratio" in aggregation]
        ratios = pd.DataFrame(aggregation[rcols].to_numpy(), columns=rcols,
                              index=aggregation[aggregation_id_col].astype(str).to_numpy())
    if (population is not None or population_raster is not None) and adm is None:
        raise SchemaError("population: people per admin unit need admin= (the desa polygons).")
    if census is not None and adm is None:
        raise SchemaError("census: people of census polygons are summed per area: pass "
                          "aggregation= (or admin=, the desa polygons).")
    if limit_to_aggregation and adm is None:
        raise ParameterError("limit_to_aggregation: needs aggregation= (or admin=), the areas "
                             "to limit the analysis to.")
    agg = admin_zone_pieces(z, adm) if adm is not None else None
    if limit_to_aggregation and agg is not None:
        # the hazard class areas inside the areas only
        inside = agg[(agg["admin_pos"] >= 0) & (agg["zone_pos"] >= 0)]
        a_in = inside.groupby("zone_pos")["area_m2"].sum().reindex(range(len(z)),
                                                                   fill_value=0.0)
        zc = z.assign(_a=a_in.to_numpy()).groupby(["hazard_class", "class_rank"])["_a"].sum()
        hz["area_m2"] = [float(zc.get((c, r), 0.0))
                         for c, r in zip(hz["hazard_class"], hz["class_rank"], strict=True)]

    tables: list[pd.DataFrame] = []
    per_admin: list[pd.DataFrame] = []
    ib = ir = ifac = ib_all = None
    if buildings is not None:
        if building_rule != "max":
            rep = ledger.step("buildings x hazard raster", source="buildings")
            ib = buildings_raster_exposure(buildings, hazard_raster, class_set=hazard_class_set,
                                           statistic=building_rule, admin=adm,
                                           id_col=asset_id_col, class_col=building_class_col,
                                           report=rep)
        else:
            rep = ledger.step("buildings x zones", source="buildings")
            ib = buildings_exposure(buildings, z, admin=adm, id_col=asset_id_col,
                                    class_col=building_class_col, report=rep)
        ib_all = ib
        if limit_to_aggregation:
            ib = _limit(ib, rep, "buildings")
        if adm is not None:  # kept in the impact layer with admin_code None, never dropped
            n_out = int(ib["admin_code"].isna().sum())
            if n_out:
                rep.note(f"assets outside study boundary: {n_out} buildings")
        tables.append(_summary_table(ib, "buildings", classes, affected_of))
        if adm is not None:
            per_admin.append(_per_admin(ib, "buildings", classes))
    if roads is not None:
        rep = ledger.step("roads x zones", source="roads")
        ir = roads_exposure(roads, z, admin=adm, id_col=asset_id_col, class_col=road_class_col,
                            report=rep, _aggregate=agg)
        if limit_to_aggregation:
            ir = _limit(ir, rep, "road pieces", weight="length_m")
        tables.append(_summary_table(ir, "roads", classes, affected_of, weight="length_m",
                                     unit="m"))
        if adm is not None:
            per_admin.append(_per_admin(ir, "roads", classes, weight="length_m",
                                        suffix="_length_m"))
    if facilities is not None:
        rep = ledger.step("facilities x zones", source="facilities")
        ifac = facilities_exposure(facilities, z, admin=adm, id_col=asset_id_col,
                                   class_col=facility_class_col, report=rep)
        if limit_to_aggregation:
            ifac = _limit(ifac, rep, "facilities")
        tables.append(_summary_table(ifac, "facilities", classes, affected_of))
        if adm is not None:
            pa = _per_admin(ifac, "facilities", classes)
            h = ifac[(ifac["exposure_class"] == "health") & ifac["affected"]]
            pa["health_facilities_affected"] = h.groupby("admin_code").size().reindex(
                pa.index).fillna(0).astype(float)
            per_admin.append(pa)

    pop_imp = None
    needs_df = None
    if census is not None and adm is not None:
        prep = ledger.step("census x areas x zones", source="census")
        pop_imp = census_exposure(census, z, adm, population_col=census_population_col,
                                  report=prep, _aggregate=agg)
    elif population_raster is not None and adm is not None:
        prep = ledger.step("population raster x zones", source="population raster")
        pop_imp = _raster_population(population_raster, z, adm,
                                     population if aggregation is None else None, prep,
                                     rule=population_raster_rule)
    elif population is not None and aggregation is not None:
        if desa is None:
            raise SchemaError("population: a table per desa with aggregation= needs admin= "
                              "(the desa polygons) to place the people; or pass census=.")
        prep = ledger.step("desa population x areas x zones", source="population")
        pop_imp = desa_people_on_areas(desa, population, z, adm, buildings=ib_all,
                                       method=population_method, report=prep, _aggregate=agg)
    elif population is not None and adm is not None:
        prep = ledger.step("population x zones", source="population")
        pop_imp = population_exposure(z, adm, population, buildings=ib,
                                      method=population_method, report=prep, _aggregate=agg)
    if pop_imp is not None and limit_to_aggregation:
        out = pop_imp["admin_code"].isna()
        if out.any():
            prep.note(f"limit_to_aggregation: {pop_imp.loc[out, 'population'].sum():.1f} people "
                      "outside the aggregation areas dropped")
            pop_imp = pop_imp[~out].reset_index(drop=True)
    demo = None
    if pop_imp is not None:
        names = dict(zip(adm["admin_code"], adm["admin_name"], strict=True)) if adm is not None \
            else {}
        demo = demographic_breakdown(pop_imp, names=names, ratios=ratios,
                                     defaults=demographic_ratios, report=prep)
        tables.append(_pop_summary_table(pop_imp, classes, affected_of))
        per_admin.append(_pop_per_admin(pop_imp, classes))
        d = pop_imp[pop_imp["admin_code"].notna()].groupby("admin_code")["displaced"].sum()
        nd = minimum_needs(pd.DataFrame({"admin_code": d.index.to_numpy(object),
                                         "displaced": d.to_numpy(float)}), needs=needs)
        # the total is what is delivered: the sum of the desa rows (kits and toilets are whole
        # items per desa, so the total is not the rounded-up total of the people)
        tot = nd.drop(columns="admin_code").sum().to_frame().T
        tot.insert(0, "admin_code", "total")
        needs_df = pd.concat([nd, tot], ignore_index=True)

    est = (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["exposure", "exposure_class", "unit", *classes, NOT_EXPOSED, "total_affected",
                 "total_not_affected", "total_not_exposed", "total"]))
    est = est.fillna(0.0)

    agg_sum = agg_kec = None
    if adm is not None:
        base = pd.DataFrame(index=pd.Index(adm["admin_code"].to_numpy(object), name="admin_code"))
        for pa in per_admin:
            base = base.join(pa, how="left")
        base = base.fillna(0.0)
        agg_sum = gpd.GeoDataFrame(
            adm[["admin_code", "admin_name", "parent_code"]].reset_index(drop=True).join(
                base.reset_index(drop=True)),
            geometry=adm.geometry.reset_index(drop=True), crs=adm.crs)
        num = [c for c in base.columns]
        if aggregation is None:
            kec = agg_sum.copy()
            kec["parent_code"] = kec["parent_code"].fillna("unknown")
            agg_kec = kec[["parent_code", *num, "geometry"]].dissolve(
                by="parent_code", aggfunc="sum").reset_index().rename(
                columns={"parent_code": "admin_code"})
            agg_kec.insert(1, "n_desa", kec.groupby("parent_code").size().reindex(
                agg_kec["admin_code"]).to_numpy())

    area_tables: dict[str, pd.DataFrame] = {}
    if adm is not None:
        names = dict(zip(adm["admin_code"], adm["admin_name"], strict=True))
        for key, imp, w, sc in (("buildings", ib, None, 1.0), ("facilities", ifac, None, 1.0),
                                ("roads", ir, "length_m", 0.001)):
            if imp is not None:
                area_tables[key] = exposure_by_area(imp, classes=classes,
                                                    affected_of=affected_of, names=names,
                                                    weight=w, scale=sc)

    analysis = _analysis_summary(est, pop_imp, classes)
    return ExposureResult(
        impact_buildings=ib, impact_roads=ir, impact_facilities=ifac,
        aggregation_summary=agg_sum, aggregation_summary_kecamatan=agg_kec,
        analysis_summary=analysis, exposure_summary_table=est, population_impact=pop_imp,
        needs=needs_df, hazard_classes=hz, report=ledger, area_tables=area_tables,
        demographics=demo, aggregation="desa" if aggregation is None else "aggregation layer",
    )


def _limit(impact: gpd.GeoDataFrame, rep: Any, what: str, *,
           weight: str | None = None) -> gpd.GeoDataFrame:
    """Drop the assets outside every aggregation area (``admin_code`` None), counted."""
    out = impact["admin_code"].isna().to_numpy()
    rep.reject(f"{what} outside the aggregation areas (limit_to_aggregation)", int(out.sum()))
    if weight and out.any():
        rep.note(f"limit_to_aggregation: {float(impact.loc[out, weight].sum()):.1f} m of road "
                 "outside the aggregation areas dropped")
    return impact[~out]
