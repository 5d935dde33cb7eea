"""Benchmark: buildings x flood zones, kotacerdas_gis vs geopandas.overlay vs sjoin + intersection.

Synthetic, seeded data: N building rectangles (8-20 m, random orientation) over a 40 x 40 km area
in EPSG:32751, and ~200 irregular, non-overlapping zones in 3 classes covering ~10 % of it. All
methods run in the same process on the same data; the script checks that they give the same
counts (affected buildings) and areas (flooded m2 per building), then writes ratios to
bench/overlay.md.

    .venv/bin/python bench/bench_overlay.py            # 1,000,000 buildings
    .venv/bin/python bench/bench_overlay.py --n 100000 # quick run
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import geopandas as gpd
import pyogrio
import shapely

from kotacerdas_gis.overlay import polygon_zone_overlay, prepare_zones

SIDE_M = 40_000.0
X0, Y0 = 450_000.0, 9_700_000.0


def make_zones(seed: int = 7, n: int = 200, cover: float = 0.10) -> gpd.GeoDataFrame:
    """Irregular blobs (smoothed random-radius stars), overlaps resolved, ~cover of the area."""
    rng = np.random.default_rng(seed)
    target = cover * SIDE_M**2
    mean_area = target / n
    geoms = []
    for _ in range(n):
        cx, cy = rng.uniform(1000, SIDE_M - 1000, 2)
        k = 360
        t = np.linspace(0, 2 * np.pi, k, endpoint=False)
        r = np.ones(k)
        for h in range(1, 25):  # harmonics: irregular, ragged edges, not self-intersecting
            r += rng.normal(0, 0.3 / h) * np.cos(h * t + rng.uniform(0, 2 * np.pi))
        r += rng.normal(0, 0.01, k)
        r = np.clip(r, 0.3, None)
        r *= np.sqrt(mean_area * rng.uniform(0.4, 1.6) / (np.pi * np.mean(r**2)))
        ring = np.c_[X0 + cx + r * np.cos(t), Y0 + cy + r * np.sin(t)]
        geoms.append(shapely.make_valid(shapely.Polygon(ring)))
    # nested classes inside each blob would be realistic too; here each blob is one class
    cls = rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2])
    name = {1: "low", 2: "medium", 3: "high"}
    z = gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(n)],
                          "hazard_class": [name[c] for c in cls], "class_rank": cls,
                          "displacement_rate": [0.01 * c for c in cls]},
                         geometry=geoms, crs=32751)
    return prepare_zones(z)


def make_buildings(n: int, seed: int = 11) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    cx = X0 + rng.uniform(0, SIDE_M, n)
    cy = Y0 + rng.uniform(0, SIDE_M, n)
    w = rng.uniform(8, 20, n) / 2
    h = rng.uniform(8, 20, n) / 2
    a = rng.uniform(0, np.pi / 2, n)
    ca, sa = np.cos(a), np.sin(a)
    dx = np.array([-1, 1, 1, -1, -1])[None, :] * w[:, None]
    dy = np.array([-1, -1, 1, 1, -1])[None, :] * h[:, None]
    xs = cx[:, None] + dx * ca[:, None] - dy * sa[:, None]
    ys = cy[:, None] + dx * sa[:, None] + dy * ca[:, None]
    geoms = shapely.polygons(np.stack([xs, ys], axis=-1))
    return gpd.GeoDataFrame({"asset_id": np.arange(n)}, geometry=geoms, crs=32751)


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run_ours(b: gpd.GeoDataFrame, z: gpd.GeoDataFrame) -> np.ndarray:
    s = polygon_zone_overlay(b.geometry.values, z.geometry.values, z["class_rank"].to_numpy())
    return s.flooded_area_m2


def run_overlay(b: gpd.GeoDataFrame, z: gpd.GeoDataFrame) -> np.ndarray:
    o = gpd.overlay(b, z[["zone_id", "class_rank", "geometry"]], how="intersection",
                    keep_geom_type=True)
    return o.groupby("asset_id").geometry.apply(lambda s: s.area.sum()).reindex(
        b["asset_id"], fill_value=0.0).to_numpy()


def run_sjoin(b: gpd.GeoDataFrame, z: gpd.GeoDataFrame) -> np.ndarray:
    j = gpd.sjoin(b, z[["zone_id", "geometry"]], how="inner", predicate="intersects")
    zg = z.geometry.to_numpy()[j["index_right"].to_numpy()]
    area = shapely.area(shapely.intersection(j.geometry.to_numpy(), zg))
    return np.bincount(j.index.to_numpy(), weights=area, minlength=len(b))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000, help="number of buildings")
    ap.add_argument("--repeat", type=int, default=None, help="runs per method (median)")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("overlay.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    repeat = args.repeat or (3 if args.n <= 200_000 else 1)

    load0 = os.getloadavg()[0]
    z = make_zones()
    b = make_buildings(args.n)
    cover = float(z.area.sum() / SIDE_M**2)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "buildings.gpkg"
        pyogrio.write_dataframe(b, path, layer="buildings")
        t_read, b_read = timed(lambda: pyogrio.read_dataframe(path, use_arrow=True), repeat)
    assert len(b_read) == len(b)

    # warm up shapely/GEOS on a small slice (not timed)
    run_ours(b.iloc[:1000], z)
    t_ours, ours = timed(lambda: run_ours(b, z), max(repeat, 3))
    t_sjoin, sj = timed(lambda: run_sjoin(b, z), repeat)
    t_ovl, ovl = timed(lambda: run_overlay(b, z), repeat)

    n_aff = [(x > 0).sum() for x in (ours, sj, ovl)]
    same_counts = len(set(int(v) for v in n_aff)) == 1
    max_diff = float(max(np.abs(ours - sj).max(), np.abs(ours - ovl).max()))
    rows = [("pyogrio read (arrow) of the GeoPackage", t_read),
            ("geopandas.overlay", t_ovl),
            ("sjoin + pairwise intersection", t_sjoin),
            ("kotacerdas_gis polygon_zone_overlay", t_ours)]
    lines = [
        "# Buildings x flood zones: overlay benchmark",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
        f"({platform.processor() or platform.machine()}, python {platform.python_version()}, "
        f"geopandas {gpd.__version__}, shapely {shapely.__version__}); "
        f"`bench/bench_overlay.py --n {args.n}`; median of {repeat} (ours: {max(repeat, 3)}) runs; "
        f"load average at the start {load0:.2f} on {os.cpu_count()} CPUs.",
        "",
        f"Data: {args.n:,} building rectangles (8-20 m, rotated), {len(z)} irregular zones "
        f"(360 vertices) in 3 classes covering {cover:.1%} of a 40 x 40 km area (seeded).",
        "",
        "| method | seconds | vs ours |",
        "|---|---:|---:|",
    ]
    for name, t in rows:
        lines.append(f"| {name} | {t:.2f} | {t / t_ours:.2f}x |")
    lines += [
        "",
        f"- affected buildings: ours {n_aff[0]:,}, sjoin {n_aff[1]:,}, overlay {n_aff[2]:,} "
        f"({'identical' if same_counts else 'DIFFERENT'}); largest per-building difference in "
        f"flooded area: {max_diff:.2e} m2; total flooded area {ours.sum():,.0f} m2.",
        f"- speed-up over geopandas.overlay: **{t_ovl / t_ours:.1f}x** (target >= 10x); over "
        f"sjoin + intersection: {t_sjoin / t_ours:.1f}x.",
        f"- ours / pyogrio read: **{t_ours / t_read:.2f}** (target <= 2).",
        "- Method: shapely STRtree over the zones answering bounding boxes only; then, with the "
        "zones prepared, vectorised `contains_properly` (interior buildings keep their own area) "
        "and `intersects` for the rest; `intersection` only for the boundary pairs. (STRtree's "
        "own `predicate=` query prepares the small query geometry instead, about 7x slower on "
        "360-vertex zones.)",
        "- Timings include no I/O for the three overlay methods (data in memory); the read is "
        "the floor a file-based workflow pays anyway. Absolute times drift by about 30 % run to "
        "run on this machine: compare the ratios.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
