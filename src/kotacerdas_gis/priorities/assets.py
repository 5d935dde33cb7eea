"""The candidates for rebuilding in one layer, from the exposure impact layers and the graph."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from ..accounting import StepReport
from ..crs import require_same_crs
from ..errors import ParameterError
from ..exposure import line_zone_split
from ..network import RoadGraph

__all__ = ["priority_assets"]


def _zone_depth(zones: gpd.GeoDataFrame | None, rule: str) -> pd.Series | None:
    if zones is None or "zone_id" not in zones.columns:
        return None
    lo = pd.to_numeric(zones.get("depth_min_m"), errors="coerce") if "depth_min_m" in zones \
        else None
    hi = pd.to_numeric(zones.get("depth_max_m"), errors="coerce") if "depth_max_m" in zones \
        else None
    if lo is None and hi is None:
        return None
    if rule == "max" or lo is None:
        d = hi
    elif rule == "min" or hi is None:
        d = lo
    else:
        d = (lo + hi) / 2
    return pd.Series(np.asarray(d, dtype=float), index=zones["zone_id"].to_numpy(object))


def priority_assets(
    graph: RoadGraph,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    road_names: pd.Series | None = None,
    depth_rule: Literal["mean", "max", "min"] = "mean",
) -> tuple[gpd.GeoDataFrame, StepReport]:
    """Assemble the assets to rank: buildings, facilities, flooded roads and bridges.

    Parameters
    ----------
    graph : RoadGraph
        The flooded graph: every ``asset_id`` with a cut or flooded segment becomes one road or
        bridge asset (a bridge when any of its segments is one), geometry the union of its
        segments, ``class_rank`` / ``hazard_class`` the worst.
    buildings, facilities : GeoDataFrame, keyword-only
        The exposure impact layers (``asset_id``, ``exposure_class``, ``hazard_class``,
        ``class_rank``, ``zone_id``; ``name`` kept). A facility point inside a building
        footprint replaces that building (its id, name and class, the footprint's geometry,
        counted), so nothing is ranked twice.
    zones : GeoDataFrame, keyword-only
        The hazard zones (``zone_id``, ``depth_min_m``, ``depth_max_m``): the asset's depth is
        its zone's (``depth_rule`` of the range); roads take the deepest zone they cross.
    road_names : Series, keyword-only
        Name per road ``asset_id``.
    depth_rule : {"mean", "max", "min"}, keyword-only

    Returns
    -------
    (GeoDataFrame, StepReport)
        ``asset_id``, ``asset_class`` (building, facility, road, bridge), ``asset_type``,
        ``exposure_class``, ``name``, ``hazard_class``, ``class_rank``, ``depth_m``, geometry;
        and the accounting.

    Raises
    ------
    ParameterError
        Unknown ``depth_rule``.
    CRSMismatchError
    """
    if depth_rule not in ("mean", "max", "min"):
        raise ParameterError(f"depth_rule: expected 'mean', 'max' or 'min', found {depth_rule!r}.")
    layers: dict[str, Any] = {"roads": graph.edges}
    for nm, lay in (("buildings", buildings), ("facilities", facilities), ("zones", zones)):
        if lay is not None:
            layers[nm] = lay
    require_same_crs(**layers)
    rep = StepReport("rebuild priorities: assets", source="impact layers + road graph")
    zd = _zone_depth(zones, depth_rule)
    parts = []

    def frame(df: gpd.GeoDataFrame, cls: str) -> gpd.GeoDataFrame:
        zid = df["zone_id"].to_numpy(object) if "zone_id" in df.columns else np.full(
            len(df), None, dtype=object)
        depth = (np.array([zd.get(z, np.nan) if z is not None else np.nan for z in zid],
                          dtype=float) if zd is not None else np.full(len(df), np.nan))
        return gpd.GeoDataFrame({
            "asset_id": df["asset_id"].astype(str).to_numpy(object), "asset_class": cls,
            "asset_type": df.get("facility_type", df.get("exposure_class")).to_numpy(object)
            if ("facility_type" in df.columns or "exposure_class" in df.columns)
            else np.full(len(df), "other", dtype=object),
            "exposure_class": df["exposure_class"].to_numpy(object)
            if "exposure_class" in df.columns else np.full(len(df), "other", dtype=object),
            "name": df["name"].to_numpy(object) if "name" in df.columns
            else np.full(len(df), None, dtype=object),
            "hazard_class": df["hazard_class"].to_numpy(object),
            "class_rank": df["class_rank"].to_numpy(int), "depth_m": depth},
            geometry=np.asarray(df.geometry.values, dtype=object), crs=df.crs)

    b = frame(buildings, "building") if buildings is not None else None
    if facilities is not None:
        f = frame(facilities, "facility")
        if b is not None and len(b) and len(f):
            fg = np.asarray(f.geometry.values, dtype=object)
            pts = np.where(shapely.get_type_id(fg) == 0, fg, shapely.point_on_surface(fg))
            fi, bi = shapely.STRtree(np.asarray(b.geometry.values, dtype=object)).query(
                pts, predicate="within")
            first = pd.Series(bi).groupby(fi).min()
            if len(first):
                fpos, bpos = first.index.to_numpy(), first.to_numpy()
                geo = np.asarray(f.geometry.values, dtype=object).copy()
                geo[fpos] = np.asarray(b.geometry.values, dtype=object)[bpos]
                f = f.set_geometry(gpd.GeoSeries(geo, index=f.index, crs=f.crs))
                # the worse class of the two: the footprint may touch a zone the point misses
                br = b["class_rank"].to_numpy()[bpos]
                better = br > f["class_rank"].to_numpy()[fpos]
                for c in ("hazard_class", "class_rank", "depth_m"):
                    vals = f[c].to_numpy().copy()
                    vals[fpos[better]] = b[c].to_numpy()[bpos[better]]
                    f[c] = vals
                b = b.drop(index=b.index[np.unique(bpos)])
                rep.repair("building footprint holding a facility ranked once, as the facility",
                           len(np.unique(bpos)))
        parts.append(f)
    if b is not None:
        parts.insert(0, b)
    e = graph.edges
    dmg = e["cut"].to_numpy(bool).copy() if "cut" in e.columns else np.zeros(len(e), bool)
    if "class_rank" in e.columns:
        dmg |= e["class_rank"].to_numpy() > 0
    ed = e[dmg]
    if len(ed):
        rd = np.full(len(ed), np.nan)
        if zd is not None and zones is not None:
            li, zi, _ = line_zone_split(np.asarray(ed.geometry.values, dtype=object),
                                        np.asarray(zones.geometry.values, dtype=object))
            zdep = zd.reindex(zones["zone_id"].to_numpy(object)).to_numpy(float)
            has = zi >= 0
            dep = pd.Series(zdep[zi[has]]).groupby(li[has]).max()
            rd[dep.index.to_numpy()] = dep.to_numpy()
        grp = pd.DataFrame({"asset_id": ed["asset_id"].astype(str).to_numpy(object),
                            "bridge": ed["bridge"].to_numpy(bool),
                            "class_rank": ed["class_rank"].to_numpy(int),
                            "hazard_class": ed["hazard_class"].to_numpy(object),
                            "depth_m": rd, "pos": np.arange(len(ed))})
        top = grp.sort_values(["class_rank", "pos"], ascending=[False, True]).drop_duplicates(
            "asset_id")
        agg = grp.groupby("asset_id", sort=False).agg(bridge=("bridge", "any"),
                                                      depth_m=("depth_m", "max"))
        top = top.set_index("asset_id")[["class_rank", "hazard_class"]].join(agg)
        order = pd.unique(grp["asset_id"])
        top = top.reindex(order)
        geoms = np.asarray(ed.geometry.values, dtype=object)
        by = grp.groupby("asset_id", sort=False)["pos"].apply(lambda p: p.to_numpy())
        mls = [shapely.multilinestrings(geoms[by[a]]) for a in order]
        names = (road_names.reindex(order).to_numpy(object) if road_names is not None
                 else np.full(len(order), None, dtype=object))
        kind = np.where(top["bridge"].to_numpy(bool), "bridge", "road")
        parts.append(gpd.GeoDataFrame({
            "asset_id": order, "asset_class": kind, "asset_type": kind,
            "exposure_class": "transport", "name": names,
            "hazard_class": top["hazard_class"].to_numpy(object),
            "class_rank": top["class_rank"].to_numpy(int),
            "depth_m": top["depth_m"].to_numpy(float)}, geometry=mls, crs=e.crs))
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=e.crs)
    rep.n_in = len(out)
    dup = out["asset_id"].duplicated()
    if dup.any():
        out = out[~dup].reset_index(drop=True)
        rep.reject("asset_id repeated across layers (first kept)", int(dup.sum()))
    return out, rep
