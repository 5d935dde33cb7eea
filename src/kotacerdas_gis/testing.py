"""Test builders shared by the tests, the doctests, the notebooks and the benchmarks.

Tiny data built in code in EPSG:32751 with values computable by hand: synthetic
DEMs (a V valley, a tilted plane), the two-desa tiny scenario with or without a
flood, and a checker that a step's accounting adds up. Nothing here is used by
the analysis itself.

Examples
--------
>>> sc = tiny_scenario(flood=tiny_flood(depth_min_m=1.5, depth_max_m=2.0))
>>> sc.admin_desa["admin_name"].tolist(), len(sc.observed_flood_2020)
(['Bone', 'Kappuna'], 1)
>>> valley_dem(rows=3, cols=3, cell_m=10.0, side_slope=0.1, valley_slope=0.0)[0].tolist()
[101.0, 100.0, 101.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from .errors import SchemaError

__all__ = [
    "TINY_X0",
    "TINY_Y0",
    "valley_dem",
    "plane_dem",
    "tiny_scenario",
    "tiny_flood",
    "assert_accounted",
    "bridge_scenario",
]

#: South-west corner of the tiny scenario (EPSG:32751, near Masamba).
TINY_X0, TINY_Y0 = 200_000.0, 9_710_000.0


def valley_dem(
    *, rows: int, cols: int, cell_m: float, side_slope: float, valley_slope: float,
    base_m: float = 100.0, dtype: Any = np.float32,
) -> np.ndarray:
    """Build a V valley draining south, its axis in the middle column (for tests and benches).

    ``z = base + side_slope * |x - x_axis| + valley_slope * (distance from the south edge)``,
    x and distances in metres. pyflwdir routes each side cell diagonally down to the
    axis, so a cell ``k`` columns from the axis in row ``r`` (with ``r + k`` at most
    ``rows - 1``) drains to the axis cell ``k`` rows further south and its HAND is
    ``k * cell_m * (side_slope + valley_slope)`` once the axis is a stream; its
    distance to the stream is ``k * cell_m * sqrt(2)``.
    """
    if cols % 2 == 0:
        raise SchemaError(f"valley_dem: cols must be odd so the axis is a column, found {cols}")
    xc = np.abs(np.arange(cols) - cols // 2) * cell_m
    yd = (rows - 1 - np.arange(rows)) * cell_m
    z = base_m + side_slope * xc[None, :] + valley_slope * yd[:, None]
    return z.astype(dtype)


def plane_dem(*, rows: int, cols: int, cell_m: float, slope_east: float = 0.2,
              slope_south: float = 0.1, base_m: float = 100.0, dtype: Any = np.float32
              ) -> np.ndarray:
    """Build a plane dipping E and S (``slope_east > slope_south > 0``), for tests and benches.

    Every interior cell drains south-east (the steepest and first-flooded neighbour),
    so the upstream area of cell ``(r, c)`` (row 0 = north) with ``r < rows - 1``
    and ``c < cols - 1`` is ``(min(r, c) + 1) * cell_m²``; the last row and column
    collect everything and drain to the single outlet in the south-east corner.
    """
    yd = (rows - 1 - np.arange(rows)) * cell_m
    xd = np.arange(cols) * cell_m
    z = base_m - slope_east * xd[None, :] + slope_south * yd[:, None]
    return z.astype(dtype)


def tiny_flood(
    *, depth_min_m: float = 1.5, depth_max_m: float = 2.0, material: str = "mud",
    bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """One observed-flood polygon over desa Bone (default 150 m x 150 m, 50 m from the corner)."""
    x0, y0 = TINY_X0, TINY_Y0
    b = bounds or (x0 + 50, y0 + 50, x0 + 200, y0 + 200)
    return gpd.GeoDataFrame(
        {"flood_id": ["f1"], "depth_min_m": [depth_min_m], "depth_max_m": [depth_max_m],
         "material": [material]},
        geometry=[box(*b)], crs=32751,
    )


def tiny_scenario(*, flood: gpd.GeoDataFrame | None = None, population: bool = True,
                  name: str | None = None) -> Any:
    """Two desa of 1 km², two buildings, one road, one health facility, 900 + 1,100 people.

    Desa Bone (``73.22.03.2001``) spans x 0-1,000 m and Kappuna (``73.22.03.2002``)
    1,000-2,000 m from :data:`TINY_X0`; a house lies at (100, 100) m and a school at
    (1,500, 500) m; one trunk road runs along y = 50 m; the Puskesmas stands at
    (1,510, 510) m.

    Returns
    -------
    Scenario
    """
    from .scenario import build_scenario

    x0, y0 = TINY_X0, TINY_Y0
    desa = gpd.GeoDataFrame(
        {
            "admin_code": ["73.22.03.2001", "73.22.03.2002"],
            "admin_name": ["Bone", "Kappuna"],
            "admin_level": "desa",
            "parent_code": "73.22.03",
        },
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000, y0, x0 + 2000, y0 + 1000)],
        crs=32751,
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "building": ["house", "school"]},
        geometry=[box(x0 + 100, y0 + 100, x0 + 110, y0 + 110),
                  box(x0 + 1500, y0 + 500, x0 + 1520, y0 + 520)],
        crs=32751,
    )
    roads = gpd.GeoDataFrame(
        {"road_id": ["r1"], "highway": ["trunk"], "name": ["Jalan Trans Sulawesi"]},
        geometry=[LineString([(x0, y0 + 50), (x0 + 2000, y0 + 50)])],
        crs=32751,
    )
    fac = gpd.GeoDataFrame(
        {"facility_id": ["f1"], "name": ["Puskesmas Masamba"], "facility_type": ["Puskesmas"]},
        geometry=[Point(x0 + 1510, y0 + 510)],
        crs=32751,
    )
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"],
                        "population": [900, 1100]})
    return build_scenario(
        name=name or ("tiny" if flood is None else "tiny flood"),
        admin_desa=desa, buildings=buildings, roads=roads, facilities=fac,
        population=pop if population else None, observed_flood_2020=flood,
    )


def assert_accounted(report: Any, *, n_out: int | None = None) -> None:
    """Check that a step's accounting adds up: nothing disappears without a reason.

    ``n_in`` = features out + features rejected, every rejection and repair has a
    reason, and the counts are non-negative.

    Parameters
    ----------
    report : StepReport or mapping
        A step report (or its record, ``StepReport.to_record()``).
    n_out : int, optional
        Features the step returned; when given, ``n_in == n_out + n_rejected``.

    Raises
    ------
    AssertionError
        Naming the step and the counts that do not add up.
    """
    rec: Mapping[str, Any] = report if isinstance(report, Mapping) else report.to_record()
    name = rec.get("step", "?")
    for k in ("n_in", "n_repaired", "n_rejected"):
        assert rec[k] >= 0, f"{name}: {k} = {rec[k]} < 0"
    assert sum(rec.get("reasons_rejected", {}).values()) == rec["n_rejected"], (
        f"{name}: rejections {rec['n_rejected']} but reasons {rec.get('reasons_rejected')}")
    assert sum(rec.get("reasons_repaired", {}).values()) == rec["n_repaired"], (
        f"{name}: repairs {rec['n_repaired']} but reasons {rec.get('reasons_repaired')}")
    if n_out is not None:
        assert rec["n_in"] == n_out + rec["n_rejected"], (
            f"{name}: {rec['n_in']} in, {n_out} out, {rec['n_rejected']} rejected")


def bridge_scenario() -> tuple[gpd.GeoDataFrame, Any, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build a tiny hand-computable scenario for examples (EPSG:32751).

    West (x 0-1000 m, the Puskesmas at x 0, 500 people) and East (x 1100-2000 m, 2,140 people)
    are joined only by the 100 m Radda bridge; the river under it floods in the high class and
    cuts it, and a house in the West stands in 1 m of water.

    Returns
    -------
    (assets, flooded graph, health facilities, desa)
    """
    from .network import build_road_graph, flood_road_graph

    crs = 32751
    roads = gpd.GeoDataFrame(
        {"asset_id": ["w", "bridge", "e"], "road_class": ["local"] * 3,
         "bridge": [False, True, False]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1100, 0)]),
                  LineString([(1100, 0), (2000, 0)])], crs=crs)
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                             geometry=[box(1020, -50, 1080, 50)], crs=crs)
    graph = flood_road_graph(build_road_graph(roads), zones)
    hf = gpd.GeoDataFrame({"asset_id": ["pkm"], "name": ["Puskesmas Masamba"],
                           "exposure_class": ["health"]}, geometry=[Point(0, 0)], crs=crs)
    desa = gpd.GeoDataFrame({"admin_code": ["west", "east"], "admin_name": ["West", "East"],
                             "population": [500, 2140]},
                            geometry=[box(0, -400, 1000, 400), box(1100, -400, 2000, 400)],
                            crs=crs)
    assets = gpd.GeoDataFrame(
        {"asset_id": ["bridge", "house"], "asset_type": ["bridge", "housing"],
         "name": ["Jembatan Radda", "Rumah Pak Amir"], "hazard_class": ["high", "low"],
         "class_rank": [4, 2], "depth_m": [4.0, 1.0]},
        geometry=[LineString([(1000, 0), (1100, 0)]), box(300, 50, 310, 60)], crs=crs)
    return assets, graph, hf, desa
