"""Benchmark: travel-time matrix from 500 sources on a ~50k-node road graph, scipy vs networkx.

A seeded synthetic road network (a jittered grid with ~15 % of links removed and random road
classes, ~50k nodes and ~97k edges) goes through kotacerdas_gis.network.build_road_graph; then
the same weighted graph is searched by ``scipy.sparse.csgraph.dijkstra`` (all sources in one
call) and by ``networkx.single_source_dijkstra_path_length`` per source, in the same run. The
distances must be identical; the ratio goes to bench/network.md. Also timed: the nearest-facility
search of kotacerdas_gis (one multi-source run).

    .venv/bin/python bench/bench_network.py             # 500 sources, ~50k nodes
    .venv/bin/python bench/bench_network.py --side 60 --sources 50   # quick run
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.sparse import csgraph

import geopandas as gpd
import shapely

from kotacerdas_gis.network import build_road_graph, nearest_facility_times


def make_roads(side: int, seed: int = 3, spacing_m: float = 150.0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).astype(float)
    xy = xy * spacing_m + rng.normal(0, spacing_m * 0.2, xy.shape) + [450_000.0, 9_700_000.0]
    a, b = [], []
    for di, dj in ((1, 0), (0, 1)):
        i, j = np.meshgrid(np.arange(side - di), np.arange(side - dj), indexing="ij")
        a.append(xy[i, j].reshape(-1, 2))
        b.append(xy[i + di, j + dj].reshape(-1, 2))
    a, b = np.concatenate(a), np.concatenate(b)
    keep = rng.random(len(a)) > 0.03
    a, b = a[keep], b[keep]
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    cls = rng.choice(["primary", "secondary", "local", "path"], size=len(lines),
                     p=[0.05, 0.15, 0.7, 0.1])
    return gpd.GeoDataFrame({"asset_id": np.arange(len(lines)), "road_class": cls,
                             "bridge": rng.random(len(lines)) < 0.01},
                            geometry=lines, crs=32751)


def rows(side: int, sources: int = 500, nx_sources: int = 50) -> list[dict]:
    """Rows for run_all.py: the travel-time matrix, ours (scipy) vs networkx.

    networkx runs from the first ``nx_sources`` sources (it takes ~0.23 s per source at 50k
    nodes) and its time is scaled to all sources; its distances are compared with ours on
    those sources (identical within 1e-9 min, same reachability).
    """
    import networkx as nx

    from _rows import peak_rss_gb, row, timed

    roads = make_roads(side)
    g = build_road_graph(roads)
    mat = g.matrix()
    rng = np.random.default_rng(5)
    src = rng.choice(g.n_nodes, size=min(sources, g.n_nodes), replace=False)
    csgraph.dijkstra(mat, directed=False, indices=src[:2])  # warm-up
    t_sp, d_sp = timed(lambda: csgraph.dijkstra(mat, directed=False, indices=src), 3)
    peak = peak_rss_gb()
    e = g.edges
    G = nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_weighted_edges_from(zip(e["u"].tolist(), e["v"].tolist(),
                                  e["travel_time_min"].tolist(), strict=True))
    k = min(nx_sources, len(src))

    def run_nx() -> np.ndarray:
        d = np.full((k, g.n_nodes), np.inf)
        for i, s0 in enumerate(src[:k]):
            for node, dist in nx.single_source_dijkstra_path_length(G, int(s0),
                                                                      weight="weight").items():
                d[i, node] = dist
        return d

    t_nx, d_nx = timed(run_nx, 1)
    fin = np.isfinite(d_sp[:k])
    same = bool(np.array_equal(fin, np.isfinite(d_nx)))
    diff = float(np.abs(d_sp[:k][fin] - d_nx[fin]).max())
    return [row("travel-time matrix", f"{len(src)} sources, {g.n_nodes:,} nodes, {len(e):,} edges",
                g.n_nodes * len(src), "scipy.sparse.csgraph.dijkstra", t_sp,
                anchor="networkx single_source_dijkstra", anchor_s=t_nx * len(src) / k,
                agree=same and diff < 1e-9, peak_gb=peak,
                check=f"same reachability {same}, max diff {diff:.1e} min on {k} sources",
                note=f"networkx timed on {k} sources, scaled x{len(src) / k:g}"
                if k < len(src) else "")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--side", type=int, default=224, help="grid side (224 -> ~50k nodes)")
    ap.add_argument("--sources", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("network.md"))
    ap.add_argument("--scipy-repeat", type=int, default=3, help="scipy runs (median)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import networkx as nx

    load0 = os.getloadavg()[0]
    roads = make_roads(args.side)
    t0 = time.perf_counter()
    g = build_road_graph(roads)
    t_build = time.perf_counter() - t0
    mat = g.matrix()
    rng = np.random.default_rng(5)
    src = rng.choice(g.n_nodes, size=args.sources, replace=False)

    t_runs = []
    for _ in range(args.scipy_repeat):
        t0 = time.perf_counter()
        d_sp = csgraph.dijkstra(mat, directed=False, indices=src)
        t_runs.append(time.perf_counter() - t0)
    t_sp = statistics.median(t_runs)

    e = g.edges
    G = nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_weighted_edges_from(zip(e["u"].tolist(), e["v"].tolist(),
                                  e["travel_time_min"].tolist(), strict=True))
    t0 = time.perf_counter()
    d_nx = np.full((args.sources, g.n_nodes), np.inf)
    for k, s in enumerate(src):
        for node, dist in nx.single_source_dijkstra_path_length(G, int(s), weight="weight").items():
            d_nx[k, node] = dist
    t_nx = time.perf_counter() - t0
    fin = np.isfinite(d_sp)
    same_reach = bool(np.array_equal(fin, np.isfinite(d_nx)))
    max_diff = float(np.abs(d_sp[fin] - d_nx[fin]).max())

    t0 = time.perf_counter()
    near, _ = nearest_facility_times(g, src, np.zeros(len(src)))
    t_near = time.perf_counter() - t0
    near_ok = bool(np.allclose(near[np.isfinite(near)],
                               d_sp.min(axis=0)[np.isfinite(near)], atol=1e-9))

    lines = [
        "# Travel-time matrix: scipy.sparse.csgraph vs networkx",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} (python "
        f"{platform.python_version()}, scipy {scipy.__version__}, networkx {nx.__version__}); "
        f"`bench/bench_network.py --side {args.side} --sources {args.sources}`; networkx one "
        f"run, scipy median of {args.scipy_repeat}; load average at the start "
        f"{load0:.2f} on {os.cpu_count()} CPUs (other jobs on the machine inflate both).",
        "",
        f"Graph (from `build_road_graph`, {t_build:.2f} s): {g.n_nodes:,} nodes, {len(e):,} edges, "
        f"{g.n_components} component(s); weights = travel_time_min by road class. "
        f"{args.sources} sources.",
        "",
        "| method | seconds | vs scipy |",
        "|---|---:|---:|",
        f"| networkx single_source_dijkstra_path_length x {args.sources} | {t_nx:.2f} | "
        f"{t_nx / t_sp:.1f}x |",
        f"| scipy.sparse.csgraph.dijkstra(indices=sources) | {t_sp:.2f} | 1.0x |",
        f"| kotacerdas_gis nearest_facility_times (one multi-source run) | {t_near:.3f} | "
        f"{t_near / t_sp:.3f}x |",
        "",
        f"- speed-up scipy over networkx: **{t_nx / t_sp:.1f}x** (target >= 20x).",
        f"- distances: same reachability {same_reach}, largest difference {max_diff:.1e} min "
        f"({'identical' if max_diff < 1e-9 and same_reach else 'DIFFERENT'}); nearest-facility "
        f"minutes equal the matrix minimum: {near_ok}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
