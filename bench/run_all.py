"""Run every benchmark workload and write one table, bench/RESULTS.md.

    python bench/run_all.py            # default sizes (`make bench`, < 15 min here)
    python bench/run_all.py --quick    # small sizes, a few minutes (CI, after `make test`)
    python bench/run_all.py --only terrain overlay   # a subset (prefix match on the name)

Each (workload, size) runs in its own child process; the child calls the workload's
``rows()`` function in its bench script and prints the rows as JSON. A row holds our time,
the anchor's time measured in the same process, the check of the answers (made before any
ratio is shown: a row whose check fails is marked FAILED and has no ratio) and the peak
resident memory of the child after our run (``ru_maxrss``; the anchor runs after ours, so
this is ours plus the data; the terrain tools each have their own process). The parent adds
the machine, the load average before and after each child, and the growth exponent of
each workload: the slope of log(time) against log(size) over its sizes.

numba compiles on first use: every child warms up first (not timed) and the on-disk cache
is kept. pysheds 0.5 runs with ``np.in1d = np.isin`` (numpy 2.4 removed it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# (name, module, function, [(kwargs, ...) default], [(kwargs, ...) quick])
WORKLOADS: list[tuple[str, str, str, list[dict], list[dict]]] = [
    ("overlay", "bench_overlay", "rows",
     [{"n": 10_000}, {"n": 100_000}, {"n": 1_000_000}],
     [{"n": 10_000, "anchor_sample": 5_000}, {"n": 100_000, "anchor_sample": 5_000}]),
    ("zonal", "bench_zonal", "rows",
     [{"n": 10_000, "side": 5000}, {"n": 100_000, "side": 5000}],
     [{"n": 10_000, "side": 1000, "rs_sample": 500},
      {"n": 30_000, "side": 1000, "rs_sample": 500}]),
    ("zonal_zones", "bench_zonal", "zone_rows",
     [{"n": 60, "side": 1300}, {"n": 60, "side": 5000}],
     [{"n": 20, "side": 1300}]),
    ("terrain", "bench_terrain", "rows",
     [{"n": 1000}, {"n": 2500}, {"n": 5000},
      {"n": 10_000, "pysheds": False, "pyflwdir": False, "pysheds_sample": 5000}],
     [{"n": 500}, {"n": 1000},
      {"n": 800, "pysheds": False, "pyflwdir": False, "pysheds_sample": 400}]),
    ("terrain_regency", "bench_terrain", "rows",
     [{"n": 10_800, "cell": 8.0, "pysheds": False, "pyflwdir": False, "zones": True}],
     [{"n": 2000, "cell": 8.0, "pysheds": False, "pyflwdir": False, "zones": True}]),
    ("siting", "bench_siting", "rows",
     [{"n_c": 100, "n_d": 1_000, "spopt": ("mclp", "p_median")},
      {"n_c": 500, "n_d": 5_000, "spopt": ("mclp",)},
      {"n_c": 2_000, "n_d": 20_000}, {"n_c": 5_000, "n_d": 50_000},
      {"n_c": 20_000, "n_d": 200_000}],
     [{"n_c": 100, "n_d": 1_000, "spopt": ("mclp",), "time_limit_s": 5.0},
      {"n_c": 500, "n_d": 5_000, "time_limit_s": 5.0}]),
    ("network", "bench_network", "rows",
     [{"side": 100, "sources": 500, "nx_sources": 50},
      {"side": 224, "sources": 500, "nx_sources": 25}],
     [{"side": 60, "sources": 100, "nx_sources": 10},
      {"side": 100, "sources": 100, "nx_sources": 10}]),
    ("criticality", "bench_priorities", "rows",
     [{"side": 100, "sample_n": 12}, {"side": 224, "sample_n": 12}],
     [{"side": 60, "sample_n": 4}, {"side": 100, "sample_n": 4}]),
    ("webmap", "run_all", "webmap_rows",
     [{"n": 10_000}, {"n": 100_000}],
     [{"n": 2_000}, {"n": 10_000}]),
    ("sensors", "bench_sensors", "rows",
     [{"n": 1000, "n_places": 2000, "sample": 20}, {"n": 2500, "n_places": 2000, "sample": 20},
      {"n": 5000, "n_places": 2000, "sample": 20}],
     [{"n": 700, "n_places": 1000, "sample": 5}]),
    ("scale", "bench_scale", "rows",
     [{"n": 300_000}, {"n": 1_000_000}],
     [{"n": 50_000}]),
    ("demo", "run_all", "demo_rows", [{}], [{}]),
]


# --- workloads that live here -------------------------------------------------------------
def webmap_rows(n: int) -> list[dict]:
    """Web map of n buildings: ours vs folium's defaults (bench_webmap.py's own rows if any)."""
    import bench_webmap
    from _rows import peak_rss_gb, row

    own = getattr(bench_webmap, "rows", None) or getattr(bench_webmap, "bench_rows", None)
    if own is not None:  # the web-map engineer's row function (issue 13)
        return own(n)
    gdf = bench_webmap.make_buildings(n)
    with tempfile.TemporaryDirectory() as d:
        bench_webmap.ours(gdf.iloc[:100], Path(d) / "warm.html")
        t_o, s_o = bench_webmap.measure(bench_webmap.ours, gdf, 1, Path(d))
        peak = peak_rss_gb()
        t_f, s_f = bench_webmap.measure(bench_webmap.folium_geojson, gdf, 1, Path(d))
    return [row("web map of buildings", f"{n:,} buildings", n, "web_map + write_web_map", t_o,
                anchor="folium.GeoJson defaults", anchor_s=t_f, agree=s_o > 0 and s_f > 0,
                peak_gb=peak, ours_mb=s_o / 1e6, anchor_mb=s_f / 1e6,
                check=f"HTML {s_o / 1e6:.2f} MB vs {s_f / 1e6:.2f} MB ({s_f / s_o:.1f}x smaller;"
                " target <= 8.4 MB at 100k); the payload is checked by tests/test_webmap*",
                note="time = frame to HTML file")]


def demo_rows() -> list[dict]:
    """The Masamba demo end to end (a subprocess), against the 60 s target."""
    from _rows import row

    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "kotacerdas_gis.cli", "demo", "--out", d],
                           env=env, capture_output=True, text=True, cwd=ROOT)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"demo failed: {p.stderr.strip().splitlines()[-1:]}")
        s = json.loads((Path(d) / "summary.json").read_text())
    tm = s.get("timings_s", {})
    recs = {k: bool(s.get(k)) for k in ("sensors", "service_points", "priorities")}
    slow = sorted(tm.items(), key=lambda kv: -kv[1])[:3]
    return [row("demo end to end", "Masamba demo", 1, "kotacerdas demo (process wall time)", t,
                anchor="the 60 s target", anchor_s=60.0, agree=all(recs.values()) and bool(tm),
                check=f"three recommendations present {recs}; {len(tm)} step timings in "
                "summary.json; slowest " + ", ".join(f"{k} {v:.1f} s" for k, v in slow),
                note=f"steps sum {sum(tm.values()):.1f} s; the rest is start-up and writing")]


# --- child ----------------------------------------------------------------------------------
def child(module: str, func: str, kwargs: dict) -> None:
    sys.path.insert(0, str(HERE))
    mod = __import__(module)
    rows = getattr(mod, func)(**kwargs)
    print("ROWS " + json.dumps(rows, default=float), flush=True)


def run_child(module: str, func: str, kwargs: dict) -> tuple[list[dict], dict]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", module, func,
           json.dumps(kwargs)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(HERE),
                                         env.get("PYTHONPATH", "")])
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    info = {"wall_s": time.perf_counter() - t0, "load0": load0, "load1": os.getloadavg()[0],
            "child_peak_gb": ru.ru_maxrss / 1024**2}
    lines = [x for x in out.splitlines() if x.startswith("ROWS ")]
    if code != 0 or not lines:
        tail = [x for x in err.strip().splitlines() if x.strip()][-3:]
        info["error"] = " | ".join(tail) or f"exit {code}"
        return [], info
    return json.loads(lines[-1][5:]), info


# --- table ----------------------------------------------------------------------------------
def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def exponents(rows: list[dict]) -> dict[tuple[str, str, str], tuple[float, float | None]]:
    """Fit the growth exponents: least-squares slope of log(time) on log(n).

    Ours per (workload, ours) over every size of the workload, whether the size has an
    anchor or not (one exponent per solver, repeated on each of its anchor rows); the
    anchor's per (workload, ours, anchor) over the sizes where it ran.
    """

    def slope(pts_in: dict[float, float]) -> float | None:
        pts = [(math.log(x), math.log(y)) for x, y in pts_in.items() if x > 0 and y and y > 0]
        if len(pts) < 2:
            return None
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        den = sum((p[0] - mx) ** 2 for p in pts)
        return sum((p[0] - mx) * (p[1] - my) for p in pts) / den

    ours: dict[tuple[str, str], dict[float, float]] = {}
    anchors: dict[tuple[str, str, str], dict[float, float]] = {}
    for r in rows:
        k = (r["workload"], r["ours"].split(",")[0])
        ours.setdefault(k, {})[r["n"]] = r["ours_s"]
        if r["anchor"] and r["anchor_s"]:
            anchors.setdefault((*k, r["anchor"]), {})[r["n"]] = r["anchor_s"]
    out: dict[tuple[str, str, str], tuple[float, float | None]] = {}
    for k, pts in ours.items():
        e_o = slope(pts)
        if e_o is None:
            continue
        named = [a for a in anchors if a[:2] == k]
        for a in named or [(*k, "")]:
            out[a] = (e_o, slope(anchors[a]) if a in anchors else None)
    return out


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({model}){mem}"


def to_markdown(rows: list[dict], infos: list[tuple[str, dict, dict]], mode: str,
                total_s: float, started: str) -> str:
    import numpy as np

    lines = [
        "# Benchmark results: kotacerdas_gis against the anchors, one run",
        "",
        f"`python bench/run_all.py{' --quick' if mode == 'quick' else ''}` started {started} "
        f"UTC, {total_s / 60:.1f} min in all. Machine: {machine()}; python "
        f"{platform.python_version()}, numpy {np.__version__}. Load average (1 min) before / "
        "after each workload is in the last table: other jobs shared the 2 cores, so absolute "
        "seconds are noisy (±30 % or more); the **ratios, measured in the same process**, are "
        "what to compare.",
        "",
        "Ratio = anchor time / our time (> 1: we are faster), shown only when the answers "
        "agree (check column); **FAILED** rows have no ratio. Peak = max RSS of the child "
        "process after our run, GiB (terrain: each tool its own process; anchor peak in the "
        "check column). Anchor times marked *scaled* were measured on a sample and "
        "extrapolated (see the note).",
        "",
        "| workload | size | ours | our s | anchor | anchor s | ratio | peak GiB | check | note |",
        "|---|---|---|---:|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        ratio = "-"
        if r["anchor_s"] is not None and r["ours_s"] > 0:
            ratio = (f"**{r['anchor_s'] / r['ours_s']:.1f}x**" if r["agree"] else
                     "FAILED" if r["agree"] is False else f"{r['anchor_s'] / r['ours_s']:.1f}x "
                     "(unchecked)")
        elif r["agree"] is False:
            ratio = "FAILED"
        chk = r["check"] + (f"; anchor peak {r['anchor_peak_gb']:.2f} GiB"
                            if r.get("anchor_peak_gb") else "")
        ok = "" if r["agree"] is None else ("ok: " if r["agree"] else "**FAILED**: ")
        lines.append(
            f"| {r['workload']} | {r['size']} | {r['ours']} | {_fmt_s(r['ours_s'])} | "
            f"{r['anchor'] or '-'} | {_fmt_s(r['anchor_s'])}"
            f"{' *scaled*' if 'scaled' in r['note'] or 'extrapolated' in r['note'] else ''} | "
            f"{ratio} | {r['peak_gb']:.2f} | {ok}{chk} | {r['note']} |")
    ex = exponents(rows)
    lines += ["", "## Growth with size", "",
              "Fitted exponent b of time ∝ size^b (least squares on log-log, over the sizes "
              "above; size = buildings, cells, demand points, node x source pairs, edges, "
              "features). Ours over every size of the workload, the anchor's over the sizes "
              "where it ran. Fixed costs make small sizes flatter than the asymptote; solvers "
              "that switch method with size (siting: greedy, HiGHS MILP, Lagrangian) have no "
              "single exponent.", "",
              "| workload | ours | exponent ours | anchor | exponent anchor |",
              "|---|---|---:|---|---:|"]
    for (w, o, a), (eo, ea) in ex.items():
        lines.append(f"| {w} | {o} | {eo:.2f} | {a or '-'} | "
                     f"{'-' if ea is None else f'{ea:.2f}'} |")
    lines += ["", "## Runs", "", "| workload | arguments | wall s | load before | load after | "
              "child peak GiB | status |", "|---|---|---:|---:|---:|---:|---|"]
    for name, kw, info in infos:
        lines.append(f"| {name} | `{json.dumps(kw)}` | {info['wall_s']:.0f} | "
                     f"{info['load0']:.2f} | {info['load1']:.2f} | {info['child_peak_gb']:.2f} | "
                     f"{'error: ' + info['error'] if 'error' in info else 'ok'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run the workloads, write the table, return 1 if a workload failed or disagreed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI), a few minutes")
    ap.add_argument("--only", nargs="*", default=None, help="workload names (prefixes)")
    ap.add_argument("--out", type=Path, default=None,
                    help="markdown output (default bench/RESULTS.md; quick: out/RESULTS-quick.md)")
    ap.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], json.loads(a.child[2]))
        return 0
    mode = "quick" if a.quick else "default"
    out = a.out or (ROOT / "out" / "RESULTS-quick.md" if a.quick else HERE / "RESULTS.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    t0 = time.perf_counter()
    rows: list[dict] = []
    infos = []
    for name, module, func, full, quick in WORKLOADS:
        if a.only and not any(name.startswith(p) for p in a.only):
            continue
        for kw in quick if a.quick else full:
            print(f"=== {name} {json.dumps(kw)}", flush=True)
            rs, info = run_child(module, func, kw)
            infos.append((name, kw, info))
            for r in rs:
                print(f"    {r['size']}: ours {r['ours_s']:.3f} s, {r['anchor']} "
                      f"{_fmt_s(r['anchor_s'])} s, agree {r['agree']}", flush=True)
            if "error" in info:
                print(f"    ERROR {info['error']}", flush=True)
            rows += rs
    md = to_markdown(rows, infos, mode, time.perf_counter() - t0, started)
    out.write_text(md, encoding="utf-8")
    # the rows as data, to re-render or compare runs
    out.with_suffix(".json").write_text(json.dumps({"rows": rows, "runs": [
        {"workload": n, "args": kw, **info} for n, kw, info in infos]}, indent=1,
        default=float), encoding="utf-8")
    print(md)
    print(f"wrote {out}")
    bad = [i for i in infos if "error" in i[2]] + [r for r in rows if r["agree"] is False]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
