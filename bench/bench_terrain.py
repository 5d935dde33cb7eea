"""Benchmark: terrain (fill + D8, upstream area, HAND) of kotacerdas_gis vs pysheds.

Each (tool, size) runs in its own subprocess; the parent reads that child's
peak resident memory from ``os.wait4`` (max RSS). Every worker first runs the
same pipeline on a 200 x 200 DEM so numba compilation / cache loading is not
timed (pyflwdir and pysheds both use numba; the on-disk cache is kept).

Tools
-----
- ``kotacerdas``: ``kotacerdas_gis.hazard.derive_terrain`` (pyflwdir fill_depressions
  + D8, cell-count upstream area, streams + Strahler, HAND by pyflwdir's numba
  ``fillnodata`` upstream, flow distance, slope), steps timed inside.
- ``pysheds``: ``fill_pits`` + ``fill_depressions`` + ``resolve_flats``, ``flowdir``,
  ``accumulation``, ``compute_hand``. pysheds 0.5 calls ``np.in1d``, removed in
  numpy 2.4: the worker sets ``np.in1d = np.isin`` (a shim) before importing it.
- ``pyflwdir_stock``: ``pyflwdir.from_dem`` + ``FlwdirRaster.upstream_area`` +
  ``FlwdirRaster.hand`` (the stock, Python-loop HAND), only for sizes up to
  ``--stock-max`` (default 1000).

Synthetic DEMs: seeded sums of sine waves (1-12 km wavelengths, amplitude 0.3-0.9 %
of the wavelength) on a
regional slope plus 0.5 m of white noise (many small pits), 30 m cells,
EPSG:32751, written once per size as an uncompressed tiled GeoTIFF. Stream
threshold 1 km².

Usage::

    .venv/bin/python bench/bench_terrain.py --sizes 1000          # quick
    .venv/bin/python bench/bench_terrain.py --sizes 1000 5000 --out bench/terrain.md
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
CELL = 30.0
THRESHOLD_KM2 = 1.0


def synthetic_dem(n: int, seed: int = 42) -> np.ndarray:
    """An n x n float32 DEM (m), built in row blocks to bound memory."""
    rng = np.random.default_rng(seed)
    waves = []
    for _ in range(8):
        wl = rng.uniform(1000, 12000)
        # amplitude ~ 0.3-0.9 % of the wavelength: hills steeper than the regional slope
        waves.append((wl, rng.uniform(0, np.pi), wl * rng.uniform(0.003, 0.009),
                      rng.uniform(0, 2 * np.pi)))
    out = np.empty((n, n), dtype=np.float32)
    x = (np.arange(n, dtype=np.float32) * CELL)[None, :]
    for r0 in range(0, n, 512):
        r1 = min(r0 + 512, n)
        y = (np.arange(r0, r1, dtype=np.float32) * CELL)[:, None]
        z = 200.0 + 0.01 * x + 0.015 * y
        for wl, ang, amp, ph in waves:
            z = z + amp * np.sin(2 * np.pi * (x * np.cos(ang) + y * np.sin(ang)) / wl + ph)
        z = z + rng.normal(0, 0.5, size=z.shape)
        out[r0:r1] = z.astype(np.float32)
    return out


def write_dem(path: Path, n: int) -> None:
    from affine import Affine

    import rasterio

    dem = synthetic_dem(n)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:32751", transform=Affine(CELL, 0, 200000, 0, -CELL, 9800000),
                       nodata=-9999.0, tiled=True, blockxsize=512, blockysize=512,
                       BIGTIFF="YES") as ds:
        ds.write(dem, 1)


# --- workers (run in a subprocess) -----------------------------------------------------------
def _run_kotacerdas(path: Path, save: Path | None) -> dict:
    from kotacerdas_gis.hazard import derive_terrain
    from kotacerdas_gis.io.raster import read_raster

    t0 = time.perf_counter()
    t = derive_terrain(read_raster(path), stream_threshold_km2=THRESHOLD_KM2)
    total = time.perf_counter() - t0
    tm = dict(t.provenance["timings_s"])
    if save is not None:
        np.save(save, t.hand_m)
    return {"total_s": total, "steps_s": {
        "read": tm["read_check"], "fill+flowdir": tm["fill_d8"],
        "upstream_area": tm["upstream_area"], "hand": tm["hand_drain_area"],
        "other (streams, order, distance, slope)": tm["streams_order"] + tm["distance"]
        + tm["slope"]}}


def _run_pysheds(path: Path, save: Path | None) -> dict:
    if not hasattr(np, "in1d"):
        np.in1d = np.isin  # type: ignore[attr-defined]  # shim: removed in numpy 2.4
    from pysheds.grid import Grid

    steps = {}
    t0 = time.perf_counter()
    tic = t0
    grid = Grid.from_raster(str(path))
    dem = grid.read_raster(str(path))
    steps["read"] = time.perf_counter() - tic
    tic = time.perf_counter()
    filled = grid.resolve_flats(grid.fill_depressions(grid.fill_pits(dem)))
    steps["fill"] = time.perf_counter() - tic
    tic = time.perf_counter()
    fdir = grid.flowdir(filled)
    steps["flowdir"] = time.perf_counter() - tic
    tic = time.perf_counter()
    acc = grid.accumulation(fdir)
    steps["upstream_area"] = time.perf_counter() - tic
    tic = time.perf_counter()
    cells = THRESHOLD_KM2 * 1e6 / (CELL * CELL)
    hand = grid.compute_hand(fdir, dem, acc >= cells)
    steps["hand"] = time.perf_counter() - tic
    total = time.perf_counter() - t0
    if save is not None:
        np.save(save, np.asarray(hand, dtype=np.float32))
    steps["fill+flowdir"] = steps.pop("fill") + steps.pop("flowdir")
    return {"total_s": total, "steps_s": steps}


def _run_pyflwdir_stock(path: Path, save: Path | None) -> dict:
    import pyflwdir
    import rasterio

    steps = {}
    t0 = time.perf_counter()
    with rasterio.open(path) as ds:
        dem = ds.read(1)
        transform = ds.transform
    steps["read"] = time.perf_counter() - t0
    tic = time.perf_counter()
    flw = pyflwdir.from_dem(dem, nodata=-9999.0, transform=transform)
    steps["fill+flowdir"] = time.perf_counter() - tic
    tic = time.perf_counter()
    upa = flw.upstream_area(unit="km2")
    steps["upstream_area"] = time.perf_counter() - tic
    tic = time.perf_counter()
    hand = flw.hand(upa >= THRESHOLD_KM2, dem)
    steps["hand"] = time.perf_counter() - tic
    if save is not None:
        np.save(save, hand.astype(np.float32))
    return {"total_s": time.perf_counter() - t0, "steps_s": steps}


RUNNERS = {"kotacerdas": _run_kotacerdas, "pysheds": _run_pysheds,
           "pyflwdir_stock": _run_pyflwdir_stock}


def worker(tool: str, path: Path, warm: Path, save: Path | None) -> None:
    t0 = time.perf_counter()
    RUNNERS[tool](warm, None)  # compile / load numba caches; not timed
    warm_s = time.perf_counter() - t0
    res = RUNNERS[tool](path, save)
    res["warmup_s"] = warm_s
    print("RESULT " + json.dumps(res))


# --- parent -------------------------------------------------------------------------------------
def run_child_rss(tool: str, path: Path, warm: Path, save: Path | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, "--dem", str(path), "--warm", str(warm)]
    if save is not None:
        cmd += ["--save", str(save)]
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if proc.returncode != 0:
        tail = err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"
        return {"error": tail, "peak_rss_gb": ru.ru_maxrss / 1024**2}
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    res = json.loads(line[7:])
    res["peak_rss_gb"] = ru.ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000],
                    help="DEM sides in cells (1000 5000 10000)")
    ap.add_argument("--tools", nargs="+", default=["kotacerdas", "pysheds", "pyflwdir_stock"])
    ap.add_argument("--stock-max", type=int, default=1000,
                    help="largest size for the stock pyflwdir HAND (Python loop)")
    ap.add_argument("--compare-max", type=int, default=1000,
                    help="largest size for which HAND agreement is computed")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="append a markdown table here")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--dem", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--warm", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--save", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.dem, a.warm, a.save)
        return
    work = a.workdir or Path(tempfile.mkdtemp(prefix="bench_terrain_"))
    work.mkdir(parents=True, exist_ok=True)
    warm = work / "dem_200.tif"
    if not warm.exists():
        write_dem(warm, 200)
    rows = []
    for n in a.sizes:
        path = work / f"dem_{n}.tif"
        if not path.exists():
            t0 = time.perf_counter()
            write_dem(path, n)
            print(f"wrote {path} in {time.perf_counter() - t0:.1f} s", flush=True)
        results = {}
        for tool in a.tools:
            if tool == "pyflwdir_stock" and n > a.stock_max:
                continue
            save = work / f"hand_{tool}_{n}.npy" if n <= a.compare_max else None
            r = run_child_rss(tool, path, warm, save)
            results[tool] = r
            print(n, tool, json.dumps(r), flush=True)
        agree = {}
        if n <= a.compare_max and "kotacerdas" in results:
            ours = np.load(work / f"hand_kotacerdas_{n}.npy")
            for tool in ("pysheds", "pyflwdir_stock"):
                f = work / f"hand_{tool}_{n}.npy"
                if tool in results and "error" not in results[tool] and f.exists():
                    other = np.load(f)
                    m = np.isfinite(ours) & np.isfinite(other) & (other > -9990)
                    d = np.abs(ours[m] - other[m])
                    agree[tool] = {"cells_compared": int(m.sum()),
                                   "within_0.5m": float((d <= 0.5).mean()),
                                   "max_abs_diff_m": float(d.max()) if d.size else None}
            print(n, "agreement", json.dumps(agree), flush=True)
        rows.append((n, results, agree))
    md = to_markdown(rows)
    print(md)
    if a.out:
        with open(a.out, "a") as fh:
            fh.write(md + "\n")


def to_markdown(rows: list) -> str:
    lines = [
        f"### Run of {time.strftime('%Y-%m-%d %H:%M')} on {platform.node() or 'host'} "
        f"({os.cpu_count()} cores), python {platform.python_version()}, numpy {np.__version__}",
        "",
        "| size | tool | total s | read | fill+flowdir | upstream area | HAND | peak RSS GB |"
        " ratio vs kotacerdas (time / memory) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, results, agree in rows:
        base = results.get("kotacerdas", {})
        for tool, r in results.items():
            if "error" in r:
                lines.append(f"| {n}² | {tool} | error: {r['error']} | | | | | "
                             f"{r.get('peak_rss_gb', float('nan')):.2f} | |")
                continue
            s = r["steps_s"]
            ratio = ""
            if tool != "kotacerdas" and "total_s" in base:
                ratio = (f"{r['total_s'] / base['total_s']:.1f}x / "
                         f"{r['peak_rss_gb'] / base['peak_rss_gb']:.2f}x")
            lines.append(
                f"| {n}² | {tool} | {r['total_s']:.2f} | {s.get('read', 0):.2f} | "
                f"{s.get('fill+flowdir', 0):.2f} | {s.get('upstream_area', 0):.2f} | "
                f"{s.get('hand', 0):.2f} | {r['peak_rss_gb']:.2f} | {ratio} |")
        if agree:
            lines.append(f"| {n}² | HAND agreement | " + "; ".join(
                f"{k}: {v['within_0.5m']:.1%} of {v['cells_compared']:,} cells within 0.5 m, "
                f"max diff {v['max_abs_diff_m']:.3g} m" for k, v in agree.items())
                + " | | | | | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
