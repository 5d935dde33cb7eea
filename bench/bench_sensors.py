"""Benchmark: the early-warning sensor problem on a large synthetic DEM, all stream candidates.

For each DEM size a child process (peak memory = its max RSS from ``os.wait4``) runs:

1. ``derive_terrain`` on the seeded synthetic DEM of ``bench_terrain.py`` (30 m cells, sine
   hills on a regional slope, 0.5 m noise), stream threshold 1 km²: every stream cell is a
   candidate (``min_upstream_area_km2`` = 1 km², no road filter);
2. exposed places: ``--places`` points scattered within 150 m of the stream cells of the
   largest river draining at least 20 % of the largest upstream area (the lower river),
   1-50 people each (seeded);
3. ``site_sensors`` (10 water-level gauges, rain gauges to one per 250 km²) with
   ``method="auto"`` (lazy greedy, then the exact HiGHS MILP when it fits), timed by step:
   problem build (hydrology + coverage matrix), solve, total;
4. the anchors, in the same run:

   * **exact MILP** (the core's HiGHS model, ``method="milp"``) on the same matrix: its
     objective and time; the greedy answer's gap to it;
   * **pyflwdir paths**: the warned (scenario, place cell) pairs of a sample of candidate
     columns recomputed independently with pyflwdir's own ``FlwdirRaster.path`` (the flow
     path from the gauge down to the outlet, a per-candidate walk) and compared pair for
     pair with the coverage matrix; time per column reported.

numba compiles pyflwdir's kernels on first use: each child first runs the same pipeline
on a 300 x 300 DEM, not timed (``warmup_s`` in the log), so compile time is not run time.
chama (Sandia's sensor-placement MILP) is not installed here (it needs Pyomo and GLPK)
and needs detection times from another model, so it is not run.

Usage::

    .venv/bin/python bench/bench_sensors.py --quick            # 1000 x 1000, under a minute
    .venv/bin/python bench/bench_sensors.py --sizes 1000 5000 --out bench/sensors.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
CELL = 30.0
THRESHOLD_KM2 = 1.0


def _places(t, n: int, seed: int = 7):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    upa = t.upstream_area_km2
    big = t.stream & (upa >= 0.2 * np.nanmax(upa))
    cells = np.flatnonzero(big.ravel())
    pick = rng.choice(cells, size=n, replace=True)
    r, c = np.divmod(pick, t.shape[1])
    tr = t.transform
    x = tr.c + (c + 0.5) * tr.a + rng.uniform(-150, 150, n)
    y = tr.f + (r + 0.5) * tr.e + rng.uniform(-150, 150, n)
    left, bottom, right, top = t.bounds
    x = np.clip(x, left + 1, right - 1)  # rivers run along the edge: stay on the DEM
    y = np.clip(y, bottom + 1, top - 1)
    return gpd.GeoDataFrame({"people": rng.integers(1, 51, n).astype(float)},
                            geometry=gpd.points_from_xy(x, y), crs=t.crs)


def _pairs_by_pyflwdir_path(prob, cols: np.ndarray) -> tuple[set, float]:
    """Warned (column, scenario, place cell) triples by pyflwdir's own path walk.

    Scenario k passes gauge s iff s lies on the flow path from k's outlet (pyflwdir
    ``path``); s warns place cell d iff d lies on s's path at least the required flow
    length below s (lengths summed from the path's D8 steps).
    """
    import pyflwdir.core

    t = prob.terrain
    flw = t.flwdir
    p = prob.params
    sc = prob.scenarios
    sid = sc["scenario_id"].to_numpy()
    tic = time.perf_counter()
    def fpath(idxs: np.ndarray) -> list:
        # pyflwdir's own numba path walk (FlwdirRaster.path passes its Affine transform,
        # which numba cannot type when the raster was made from a tuple; cell units here)
        out, _ = pyflwdir.core.path(np.asarray(idxs, dtype=np.int64), flw.idxs_ds,
                                    ncol=t.shape[1], transform=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
        return list(out)

    paths_k = fpath(sc["outlet_cell"].to_numpy())
    path_sets = [set(int(v) for v in pk) for pk in paths_k]
    cells = prob.places["cell"].to_numpy()
    place_cells = set(int(c) for c in cells[cells >= 0])
    xres, yres = t.cell_size_m
    ncol = t.shape[1]
    triples = set()
    for j in cols:
        s = int(prob.candidate_cells[j])
        path = np.asarray(fpath(np.array([s]))[0], dtype=np.int64)
        rr, cc = np.divmod(path, ncol)
        length = np.r_[0.0, np.cumsum(np.hypot(np.diff(rr) * yres, np.diff(cc) * xres))]
        det = [int(k) for k, ps in zip(sid, path_sets, strict=True) if s in ps]
        for i, ln in zip(path, length, strict=True):
            if int(i) in place_cells and ln >= p.required_flow_length_m - 1e-6:
                triples.update((int(j), k, int(i)) for k in det)
    return triples, time.perf_counter() - tic


def _check_against_paths(prob, cols: np.ndarray) -> dict:
    from kotacerdas_gis.siting.sensors import evaluate_gauges

    ref, ref_s = _pairs_by_pyflwdir_path(prob, cols)
    pairs = evaluate_gauges(prob, []).pairs
    wmap = {(int(k), int(c)): float(w) for k, c, w in
            zip(pairs["scenario_id"], pairs["place_cell"], pairs["weight"], strict=True)}
    tic = time.perf_counter()
    ours = set()
    w_ok = True
    for j in cols:
        ev = evaluate_gauges(prob, [prob.candidate_cells[j]]).pairs
        w = ev[ev["warned"]]
        ours |= {(int(j), int(k), int(c)) for k, c in zip(w["scenario_id"], w["place_cell"],
                                                          strict=True)}
        ref_w = sum(wmap[(k, c)] for jj, k, c in ref if jj == j)
        w_ok &= abs(prob.covered_weight([int(j)]) - ref_w) <= 1e-9 * max(1.0, ref_w)
    ours_s = time.perf_counter() - tic
    return {"columns": int(cols.size), "pairs_ref": len(ref), "pairs_ours": len(ours),
            "agree": (ref == ours) and bool(w_ok),
            "pyflwdir_path_s_per_col": ref_s / max(cols.size, 1),
            "ours_eval_s_per_col": ours_s / max(cols.size, 1)}


def run(n: int, n_places: int, sample: int, milp: bool, scen_km2: float = 10.0) -> dict:
    from affine import Affine
    from bench_terrain import synthetic_dem

    from kotacerdas_gis.hazard import derive_terrain
    from kotacerdas_gis.siting.sensors import SensorParameters, build_gauge_problem, site_sensors
    from kotacerdas_gis.siting.solvers import mclp

    res: dict = {"n": n, "scenario_min_area_km2": scen_km2, "places": n_places}
    tic = time.perf_counter()
    dem = synthetic_dem(n)
    t = derive_terrain(dem, transform=Affine(CELL, 0, 200000, 0, -CELL, 9800000),
                       crs="EPSG:32751", stream_threshold_km2=THRESHOLD_KM2)
    del dem
    res["terrain_s"] = time.perf_counter() - tic
    pl = _places(t, n_places)
    params = SensorParameters(n_water_level=10, min_upstream_area_km2=THRESHOLD_KM2,
                              scenario_min_area_km2=scen_km2)
    tic = time.perf_counter()
    prob = build_gauge_problem(t, pl, params=params)
    res["build_s"] = time.perf_counter() - tic
    res["counts"] = dict(prob.counts)
    res["nnz"] = int(prob.coverage.nnz)
    tic = time.perf_counter()
    out = site_sensors(t, pl, params=params, method="auto", time_limit_s=60.0)
    res["site_sensors_s"] = time.perf_counter() - tic
    s = out.solver
    res["solver"] = {"solver": s.solver, "status": s.status, "objective": s.objective,
                     "bound": s.bound, "gap": s.gap, "runtime_s": s.runtime_s}
    # the DP's answer checked on the matrix, independently of the DP's own value
    res["solver"]["matrix_value"] = prob.covered_weight(
        [int(np.flatnonzero(prob.candidate_cells == c)[0])
         for c in out.sites.loc[out.sites["kind"] == "water_level", "cell"]])
    g = mclp(prob.coverage, prob.weights, p=10, method="greedy")
    res["greedy"] = {"objective": g.objective, "bound": g.bound, "gap": g.gap,
                     "runtime_s": g.runtime_s}
    if milp:
        x = mclp(prob.coverage, prob.weights, p=10, method="milp", time_limit_s=60.0)
        res["milp"] = {"objective": x.objective, "bound": x.bound, "gap": x.gap,
                       "status": x.status, "runtime_s": x.runtime_s}
    res["figures"] = {k: out.figures[k] for k in (
        "people_exposed_expected", "people_warned_expected", "warned_share",
        "catchment_km2", "rain_gauges_new", "rain_area_covered_share")}
    res["n_sites"] = int(len(out.sites))
    if out.rain_solver is not None:
        rs = out.rain_solver
        res["rain_solver"] = {"solver": rs.solver, "status": rs.status, "gap": rs.gap,
                              "runtime_s": rs.runtime_s, "n": int(len(rs.selected)),
                              "nnz": int(rs.parameters.get("n_pairs", 0))}
    # anchor: pyflwdir's own paths on a sample of columns
    rng = np.random.default_rng(3)
    ncol = prob.coverage.shape[1]
    cols = np.sort(rng.choice(ncol, size=min(sample, ncol), replace=False))
    res["anchor_paths"] = _check_against_paths(prob, cols)
    res["anchor_paths"]["build_s_per_col_all"] = res["build_s"] / max(ncol, 1)
    return res


def rows(n: int, n_places: int = 2000, sample: int = 30) -> list[dict]:
    """Rows for run_all.py: ``site_sensors`` (auto) vs the exact MILP, paths vs pyflwdir's.

    Two rows: the solve against HiGHS's exact MILP on the same matrix (agreement: objectives
    equal within the MILP's gap, and the chosen gauges re-scored on the matrix give the
    reported value), and the coverage-matrix build against pyflwdir's per-candidate path walk
    on ``sample`` columns (agreement: the warned pairs are identical), its time scaled to every
    candidate. Runs in this process (``run_all.py`` gives each size its own process).
    """
    from _rows import peak_rss_gb, row

    run(300, 200, 3, False, 1.0)  # numba compile / cache load, not timed
    r = run(n, n_places, sample, True)
    peak = peak_rss_gb()
    s, m, ap = r["solver"], r.get("milp", {}), r["anchor_paths"]
    size = f"{n:,}² DEM, {r['counts'].get('candidates', r['nnz']):,} candidates"
    ok = (abs(s["objective"] - m.get("objective", np.nan)) <= max(m.get("gap", 0.0), 1e-6)
          * max(abs(m.get("objective", 1.0)), 1.0) and abs(s["matrix_value"] - s["objective"])
          <= 1e-6 * max(abs(s["objective"]), 1.0))
    ncol = r["counts"].get("candidates") or 0
    mobj = m.get("objective", float("nan"))
    return [
        row("sensor siting: solve", size, n * n, f"site_sensors solve ({s['solver']})",
            s["runtime_s"],
            anchor="exact MILP (HiGHS)", anchor_s=m.get("runtime_s"), agree=bool(ok),
            peak_gb=peak, check=f"objective {s['objective']:.4g} vs MILP {mobj:.4g} "
            f"(MILP gap {100 * m.get('gap', 0.0):.2f} %), {s['solver']}"),
        row("sensor siting: coverage build", size, n * n, "build_gauge_problem", r["build_s"],
            anchor="pyflwdir path walk per candidate",
            anchor_s=ap["pyflwdir_path_s_per_col"] * ncol if ncol else None,
            agree=bool(ap["agree"]), peak_gb=peak,
            check=f"warned pairs identical on {ap['columns']} sampled columns: {ap['agree']}",
            note=f"pyflwdir timed on {ap['columns']} columns, scaled to {ncol:,}"),
    ]


def worker(n: int, n_places: int, sample: int, milp: bool) -> None:
    t0 = time.perf_counter()
    run(300, 200, 3, False, 1.0)  # numba compile / cache load, not timed
    warm = time.perf_counter() - t0
    res = run(n, n_places, sample, milp)
    res["warmup_s"] = warm
    print("RESULT " + json.dumps(res, default=float))


def run_child(n: int, n_places: int, sample: int, milp: bool) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(n), "--places", str(n_places),
           "--sample", str(sample)] + (["--milp"] if milp else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if code != 0:
        return {"n": n, "error": err.strip().splitlines()[-1] if err.strip() else str(code),
                "peak_rss_gb": ru.ru_maxrss / 1024**2}
    res = json.loads([x for x in out.splitlines() if x.startswith("RESULT ")][-1][7:])
    res["peak_rss_gb"] = ru.ru_maxrss / 1024**2
    return res


def table(results: list[dict]) -> str:
    """Markdown table of the results."""
    lines = [
        "| DEM | stream cells = candidates | scenarios | place cells | columns after pruning "
        "| rows | nnz | terrain s | build s | site_sensors s | water level: solver / status "
        "| objective (exact) | bound | gap | solve s | greedy objective | greedy bound | greedy "
        "vs exact | exact MILP (60 s) | MILP s | rain gauges: solver / status | rain gap | "
        "rain s | pyflwdir-path check | peak RSS GiB |",
        "|" + "---|" * 25,
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['n']}² | error: {r['error']} |" + " |" * 23)
            continue
        c = r["counts"]
        s, g = r["solver"], r["greedy"]
        m = r.get("milp")
        a = r["anchor_paths"]
        rs = r.get("rain_solver") or {}
        mobj = f"{m['objective']:.2f} ({m['status']})" if m else "not run"
        ms = f"{m['runtime_s']:.2f}" if m else ""
        ratio = f"{g['objective'] / s['objective']:.4f}" if s["objective"] > 0 else ""
        agree = abs(s["matrix_value"] - s["objective"]) <= 1e-9 * max(1.0, s["objective"])
        chk = (f"{'agree' if a['agree'] else 'DIFFER'} on {a['columns']} columns "
               f"({a['pairs_ref']} pairs); pyflwdir path {a['pyflwdir_path_s_per_col']:.3f} "
               f"s/column vs build {a['build_s_per_col_all'] * 1000:.2f} ms/column")
        rain = (f"{rs.get('n', '')} gauges, {rs.get('nnz', 0):,} pairs: {rs.get('solver', '')} / "
                f"{rs.get('status', '')}")
        lines.append(
            f"| {r['n']}² | {c['candidates']:,} | {c['scenarios']:,} | {c['place_cells']:,} | "
            f"{c['columns']:,} | {c['rows']:,} | {r['nnz']:,} | {r['terrain_s']:.1f} | "
            f"{r['build_s']:.2f} | {r['site_sensors_s']:.2f} | {s['solver']} / {s['status']} | "
            f"{s['objective']:.2f}{'' if agree else ' (MATRIX DIFFERS)'} | {s['bound']:.2f} | "
            f"{s['gap']:.4f} | {s['runtime_s']:.2f} | {g['objective']:.2f} | {g['bound']:.2f} | "
            f"{ratio} | {mobj} | {ms} | {rain} | {rs.get('gap', float('nan')):.4f} | "
            f"{rs.get('runtime_s', float('nan')):.2f} | {chk} | {r['peak_rss_gb']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000])
    ap.add_argument("--places", type=int, default=2000)
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-milp", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--worker", type=int)
    ap.add_argument("--milp", action="store_true")
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.places, a.sample, a.milp)
        return
    sizes = [1000] if a.quick else a.sizes
    results = []
    for n in sizes:
        tic = time.perf_counter()
        r = run_child(n, a.places, a.sample if not a.quick else 10, not a.no_milp)
        r["wall_s"] = time.perf_counter() - tic
        print(json.dumps(r, default=float), flush=True)
        results.append(r)
    md = table(results)
    print(md)
    if a.out:
        head = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, python "
                f"{platform.python_version()}.\n\n")
        a.out.write_text(head + md + "\n")


if __name__ == "__main__":
    main()
