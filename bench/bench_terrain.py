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


def synthetic_dem(n: int, seed: int = 42, cell: float = CELL) -> np.ndarray:
    """An n x n float32 DEM (m) of ``cell``-metre cells, built in row blocks to bound memory."""
    rng = np.random.default_rng(seed)
    waves = []
    for _ in range(8):
        wl = rng.uniform(1000, 12000)
        # amplitude ~ 0.3-0.9 % of the wavelength: hills steeper than the regional slope
        waves.append((wl, rng.uniform(0, np.pi), wl * rng.uniform(0.003, 0.009),
                      rng.uniform(0, 2 * np.pi)))
    out = np.empty((n, n), dtype=np.float32)
    x = (np.arange(n, dtype=np.float32) * np.float32(cell))[None, :]
    for r0 in range(0, n, 512):
        r1 = min(r0 + 512, n)
        y = (np.arange(r0, r1, dtype=np.float32) * np.float32(cell))[:, None]
        z = 200.0 + 0.01 * x + 0.015 * y
        for wl, ang, amp, ph in waves:
            z = z + amp * np.sin(2 * np.pi * (x * np.cos(ang) + y * np.sin(ang)) / wl + ph)
        z = z + rng.normal(0, 0.5, size=z.shape)
        out[r0:r1] = z.astype(np.float32)
    return out


def write_dem(path: Path, n: int, cell: float = CELL) -> None:
    from affine import Affine

    import rasterio

    dem = synthetic_dem(n, cell=cell)
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:32751", transform=Affine(cell, 0, 200000, 0, -cell, 9800000),
                       nodata=-9999.0, tiled=True, blockxsize=512, blockysize=512,
                       BIGTIFF="YES") as ds:
        ds.write(dem, 1)


# --- workers (run in a subprocess) -----------------------------------------------------------
def _run_kotacerdas(path: Path, save: Path | None, all_layers: bool = False,
                    keep: bool = False) -> dict:
    from kotacerdas_gis.hazard import derive_terrain
    from kotacerdas_gis.io.raster import read_raster

    t0 = time.perf_counter()
    t = derive_terrain(read_raster(path), stream_threshold_km2=THRESHOLD_KM2)
    if all_layers:  # the lazy layers, as a caller that wants all of them
        for name in ("drain_area_km2", "distance_to_stream_m", "slope_deg"):
            getattr(t, name)
    total = time.perf_counter() - t0
    tm = dict(t.provenance["timings_s"])
    if save is not None:
        np.save(f"{save}_hand.npy", t.hand_m)
        np.save(f"{save}_filled.npy", t.elevation_m)
        np.save(f"{save}_stream.npy", t.stream)
        np.save(f"{save}_d8.npy", t.flwdir.to_array("d8"))
    out = {"total_s": total, "terrain": t} if keep else {"total_s": total}
    return {**out, "steps_s": {
        "read": tm["read_check"], "fill+flowdir": tm["fill_d8"],
        "upstream_area": tm["upstream_area"], "hand": tm["hand"],
        "other": tm["streams_order"] + sum(tm.get(k, 0.0) for k in
                                           ("drain_area", "distance", "slope"))}}


def _run_kotacerdas_all(path: Path, save: Path | None) -> dict:
    return _run_kotacerdas(path, None, all_layers=True)


def _run_pysheds(path: Path, save: Path | None, minimal: bool = False) -> dict:
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
    flooded = grid.fill_depressions(grid.fill_pits(dem))
    filled = grid.resolve_flats(flooded)
    steps["fill"] = time.perf_counter() - tic
    tic = time.perf_counter()
    fdir = grid.flowdir(filled)
    steps["flowdir"] = time.perf_counter() - tic
    tic = time.perf_counter()
    acc = grid.accumulation(fdir)
    steps["upstream_area"] = time.perf_counter() - tic
    tic = time.perf_counter()
    cells = THRESHOLD_KM2 * 1e6 / (CELL * CELL)
    hand = grid.compute_hand(fdir, dem, acc >= cells)  # pysheds' documented use: the DEM
    steps["hand"] = time.perf_counter() - tic
    total = time.perf_counter() - t0
    if save is not None and minimal:
        np.save(f"{save}_filled.npy", np.asarray(flooded, dtype=np.float32))
    elif save is not None:  # not timed: the arrays for the like-for-like comparison
        np.save(f"{save}_hand.npy", np.asarray(hand, dtype=np.float32))
        np.save(f"{save}_hand_on_filled.npy",
                np.asarray(grid.compute_hand(fdir, flooded, acc >= cells), dtype=np.float32))
        np.save(f"{save}_filled.npy", np.asarray(flooded, dtype=np.float32))
        np.save(f"{save}_stream.npy", np.asarray(acc >= cells))
        np.save(f"{save}_fdir.npy", np.asarray(fdir).astype(np.int16))
    steps["fill+flowdir"] = steps.pop("fill") + steps.pop("flowdir")
    return {"total_s": total, "steps_s": steps}


def _run_pyflwdir_stock(path: Path, save: Path | None) -> dict:
    """Run pyflwdir's own API; HAND by its Python-loop ``hand`` on the filled DEM."""
    import pyflwdir
    import pyflwdir.dem
    import rasterio

    steps = {}
    t0 = time.perf_counter()
    with rasterio.open(path) as ds:
        dem = ds.read(1)
        transform = ds.transform
    steps["read"] = time.perf_counter() - t0
    tic = time.perf_counter()
    # what pyflwdir.from_dem does, keeping the filled DEM
    filled, d8 = pyflwdir.dem.fill_depressions(dem, nodata=-9999.0)
    flw = pyflwdir.from_array(d8, ftype="d8", transform=transform, latlon=False)
    steps["fill+flowdir"] = time.perf_counter() - tic
    tic = time.perf_counter()
    upa = flw.upstream_area(unit="km2")
    steps["upstream_area"] = time.perf_counter() - tic
    tic = time.perf_counter()
    hand = flw.hand(upa >= THRESHOLD_KM2, filled) - (filled - dem)  # our definition
    steps["hand"] = time.perf_counter() - tic
    if save is not None:
        np.save(f"{save}_hand.npy", hand.astype(np.float32))
    return {"total_s": time.perf_counter() - t0, "steps_s": steps}


def _run_pyflwdir_fill(path: Path, save: Path | None) -> dict:
    """pyflwdir's own fill_depressions + from_array (the library's previous step 1)."""
    import pyflwdir
    import pyflwdir.dem

    from kotacerdas_gis.io.raster import read_raster

    t0 = time.perf_counter()
    dem = read_raster(path).read(as_float=True).astype(np.float32)
    t_read = time.perf_counter() - t0
    tic = time.perf_counter()
    filled, d8 = pyflwdir.dem.fill_depressions(dem, nodata=np.nan, outlets="edge")
    flw = pyflwdir.from_array(d8, ftype="d8", latlon=False, check_ftype=False, cache=False)
    flw.idxs_seq  # noqa: B018 - the ordering, as derive_terrain computes it
    steps = {"read": t_read, "fill+flowdir": time.perf_counter() - tic}
    if save is not None:
        np.save(f"{save}_filled.npy", filled.astype(np.float32))
        np.save(f"{save}_d8.npy", d8)
    return {"total_s": time.perf_counter() - t0, "steps_s": steps}


class _RssSampler:
    """Resident memory of this process every 10 ms in a thread, for per-step peaks (GiB).

    ``ru_maxrss`` only gives the peak so far and tracemalloc cannot see numba's or GDAL's
    allocations; the sampler reads ``/proc/self/statm`` (Linux).
    """

    def __init__(self) -> None:
        import threading

        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with open("/proc/self/statm") as fh:
                rss = int(fh.read().split()[1]) * self._page
            self.samples.append((time.perf_counter(), rss))
            self._stop.wait(0.01)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak_gb(self, t0: float, t1: float) -> float:
        inside = [r for t, r in self.samples if t0 <= t <= t1]
        return max(inside, default=0) / 1024**3


def _run_kotacerdas_zones(path: Path, save: Path | None) -> dict:
    """derive_terrain + dem_zones (HAND flood zones, 3 m stage): the regency run end to end.

    Adds ``peaks_gb``: the peak resident memory during each step (the steps of
    ``derive_terrain`` from its own timings, laid end to end from its start).
    """
    from kotacerdas_gis.hazard import dem_zones

    sampler = _RssSampler()
    t0 = time.perf_counter()
    res = _run_kotacerdas(path, None, keep=True)
    t1 = time.perf_counter()
    t = res.pop("terrain")
    z = dem_zones(t, stage_m=3.0)
    t2 = time.perf_counter()
    sampler.stop()
    res["steps_s"]["zones"] = t2 - t1
    res["total_s"] += res["steps_s"]["zones"]
    res["n_zones"] = int(len(z.zones))
    res["area_by_class_m2"] = z.area_by_class_m2()
    peaks, c = {}, t0
    names = {"read_check": "read", "fill_d8": "fill+D8", "upstream_area": "upstream area",
             "streams_order": "streams", "hand": "HAND"}
    for k, v in t.provenance["timings_s"].items():
        peaks[names.get(k, k)] = sampler.peak_gb(c, c + v)
        c += v
    peaks["zones"] = sampler.peak_gb(t1, t2)
    res["peaks_gb"] = peaks
    return res


def _run_pysheds_min(path: Path, save: Path | None) -> dict:
    """pysheds, saving only its filled DEM (for the agreement of the fill)."""
    return _run_pysheds(path, save, minimal=True)


RUNNERS = {"kotacerdas": _run_kotacerdas, "pyflwdir_fill": _run_pyflwdir_fill,
           "kotacerdas_zones": _run_kotacerdas_zones, "pysheds_min": _run_pysheds_min, "kotacerdas_all": _run_kotacerdas_all,
           "pysheds": _run_pysheds, "pyflwdir_stock": _run_pyflwdir_stock}


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


def _steepest_d8(filled: np.ndarray, fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steepest-descent D8 (ESRI codes) on ``filled``, and the mask of sloping cells.

    Cells with no lower neighbour keep ``fallback`` (pyflwdir's fill-order direction).
    """
    nr, nc = filled.shape
    pad = np.pad(filled.astype(np.float64), 1, constant_values=np.inf)
    pad[np.isnan(pad)] = np.inf
    best = np.zeros(filled.shape)
    code = np.zeros(filled.shape, dtype=np.uint8)
    for dr, dc, v in [(0, 1, 1), (1, 1, 2), (1, 0, 4), (1, -1, 8), (0, -1, 16), (-1, -1, 32),
                      (-1, 0, 64), (-1, 1, 128)]:
        drop = (filled - pad[1 + dr:1 + dr + nr, 1 + dc:1 + dc + nc]) / (CELL * np.hypot(dr, dc))
        upd = drop > best
        best[upd] = drop[upd]
        code[upd] = v
    sloping = best > 0
    return np.where(sloping, code, fallback), sloping


def _hand_from(d8: np.ndarray, stream: np.ndarray, level: np.ndarray, dem: np.ndarray
               ) -> np.ndarray:
    """Our HAND definition (DEM minus the stream's filled level) on given D8 and streams."""
    import pyflwdir
    import pyflwdir.core

    flw = pyflwdir.from_array(d8, ftype="d8", latlon=False, check_ftype=False)
    ref = np.where(stream, level, -9999.0).astype(np.float64).ravel()
    ref = pyflwdir.core.fillnodata_upstream(flw.idxs_ds, flw.idxs_seq, ref, -9999.0)
    ref = ref.reshape(dem.shape)
    return np.where(ref != -9999.0, dem - ref, np.nan)


def _cmp(a: np.ndarray, b: np.ndarray) -> dict:
    m = np.isfinite(a) & np.isfinite(b)
    d = np.abs(a[m].astype(np.float64) - b[m])
    out = {"cells": int(m.sum()), "within_0.5m": float((d <= 0.5).mean()),
           "median_m": float(np.median(d)), "p95_m": float(np.percentile(d, 95))}
    for stage in (2.0, 5.0):
        wa, wb = m & (a < stage), m & (b < stage)
        out[f"csi_{stage:g}m"] = float((wa & wb).sum() / max((wa | wb).sum(), 1))
    return out


def hand_agreement(work: Path, label: str, dem_path: Path) -> dict:
    """Like-for-like HAND comparisons of kotacerdas with pysheds (and stock pyflwdir)."""
    import pyflwdir
    import pyflwdir.streams
    import rasterio

    def load(tool: str, what: str) -> np.ndarray:
        return np.load(work / f"{tool}_{label}_{what}.npy")

    with rasterio.open(dem_path) as ds:
        dem = ds.read(1).astype(np.float64)
        if ds.nodata is not None:
            dem[dem == ds.nodata] = np.nan
    ours, filled, stream = load("kotacerdas", "hand"), load("kotacerdas", "filled"), \
        load("kotacerdas", "stream")
    res: dict = {}
    if (work / f"pysheds_{label}_fdir.npy").exists():
        fdir = load("pysheds", "fdir")
        ps_d8 = np.where(np.isin(fdir, [1, 2, 4, 8, 16, 32, 64, 128]), fdir, 0).astype(np.uint8)
        ps_d8[~np.isfinite(dem)] = 247
        ps_stream, ps_filled = load("pysheds", "stream"), load("pysheds", "filled")
        # pysheds with our definition: HAND on its filled DEM minus the fill depth
        ps_like = load("pysheds", "hand_on_filled") - (ps_filled - dem)
        ours_d8 = load("kotacerdas", "d8")
        # what-if: steepest descent where the filled DEM slopes, pyflwdir's order on flats
        steep, sloping = _steepest_d8(filled, ours_d8)
        n_steep = pyflwdir.from_array(steep, ftype="d8", latlon=False, check_ftype=False)
        cells = pyflwdir.streams.accuflux(n_steep.idxs_ds, n_steep.idxs_seq,
                                          np.ones(dem.size, np.int32), -9999).reshape(dem.shape)
        steep_stream = cells.astype(np.float32) * np.float32(CELL * CELL / 1e6) >= THRESHOLD_KM2
        res = {
            "valid": int(np.isfinite(dem).sum()),
            "filled_share": float(((filled - dem) > 0).mean()),
            "d8_equal": float((ours_d8 == ps_d8)[np.isfinite(dem)].mean()),
            "d8_equal_sloping": float((ours_d8 == ps_d8)[sloping].mean()),
            "steepest_d8_equal_sloping": float((steep == ps_d8)[sloping].mean()),
            "stream_cells": [int(stream.sum()), int(ps_stream.sum()),
                             int((stream & ps_stream).sum())],
            "pysheds_documented": _cmp(ours, load("pysheds", "hand")),
            "like_for_like": _cmp(ours, ps_like),
            "same_routing": _cmp(_hand_from(ps_d8, ps_stream, ps_filled, dem), ps_like),
            "steepest_routing": _cmp(_hand_from(steep, steep_stream, filled, dem), ps_like),
            "pysheds_nan_where_ours_finite": int((np.isfinite(ours) & ~np.isfinite(
                load("pysheds", "hand"))).sum()),
        }
    if (work / f"pyflwdir_stock_{label}_hand.npy").exists():
        res["pyflwdir_stock"] = _cmp(ours, load("pyflwdir_stock", "hand"))
    return res


#: pysheds' time growth exponents b (time ~ cells^b) from 5,000² to 10,000², used to scale
#: its time on the 5,000² quarter in ``make bench``: the lower of two runs (bench/terrain.md,
#: "10,000² against pysheds": 1.08 / 1.06 in a calm run, 1.17 / 1.25 under load 5), so the
#: scaled anchor errs in pysheds' favour.
PYSHEDS_GROWTH = {"fill+flowdir": 1.08, "core": 1.06}


def write_quarter(src: Path, dst: Path, side: int) -> None:
    """Write the top-left ``side`` x ``side`` window of the GeoTIFF ``src`` to ``dst``."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(src) as ds:
        win = Window(0, 0, side, side)
        prof = ds.profile | {"width": side, "height": side,
                             "transform": ds.window_transform(win)}
        data = ds.read(1, window=win)
    with rasterio.open(dst, "w", **prof) as out:
        out.write(data, 1)


def _sampled_pysheds_rows(work: Path, path: Path, warm: Path, n: int, side: int, so: dict,
                          core: float, peak: float, size: str) -> list[dict]:
    """Rows of ours at n² against pysheds timed on the side² quarter, scaled to n²."""
    from _rows import row

    q = work / f"dem_{n}_q{side}.tif"
    write_quarter(path, q, side)
    mine = run_child_rss("kotacerdas", q, warm, work / "ours_q")
    ref = run_child_rss("pysheds_min", q, warm, work / "ps_q")
    for name, r in (("derive_terrain", mine), ("pysheds", ref)):
        if "error" in r:
            raise RuntimeError(f"{name} failed on the {side}² quarter: {r['error']}")
    a, b = np.load(work / "ours_q_filled.npy"), np.load(work / "ps_q_filled.npy")
    m = np.isfinite(a) & np.isfinite(b)
    d = float(np.abs(a[m].astype(np.float64) - b[m]).max())
    ok = d <= 1e-3
    chk = f"filled DEM max diff {d:.1e} m on {int(m.sum()):,} cells of the {side:,}² quarter"
    sp = ref["steps_s"]
    f = (n * n) / (side * side)
    fill_s = sp["fill+flowdir"] * f ** PYSHEDS_GROWTH["fill+flowdir"]
    core_s = ((sp["fill+flowdir"] + sp["upstream_area"] + sp["hand"])
              * f ** PYSHEDS_GROWTH["core"])
    note = (f"pysheds timed on the top-left {side:,}² quarter ({sp['fill+flowdir']:.1f} s / "
            f"{ref['peak_rss_gb']:.2f} GiB), scaled x{f:.0f}^b (b: its growth 5,000² -> "
            "10,000² in full runs, the lower of two, bench/terrain.md); pysheds 0.5 with "
            "np.in1d = np.isin")
    return [
        row("terrain fill + D8", size, n * n, "derive_terrain step 1", so["fill+flowdir"],
            anchor="pysheds fill_pits+fill_depressions+resolve_flats+flowdir", anchor_s=fill_s,
            agree=ok, check=chk, peak_gb=peak, anchor_peak_gb=ref["peak_rss_gb"],
            note=note.replace("^b", f"^{PYSHEDS_GROWTH['fill+flowdir']}")),
        row("terrain fill, D8, upstream area, HAND", size, n * n, "derive_terrain", core,
            anchor="pysheds (same steps)", anchor_s=core_s, agree=ok,
            check=chk + "; D8 rules differ (see terrain.md)", peak_gb=peak,
            anchor_peak_gb=ref["peak_rss_gb"],
            note=note.replace("^b", f"^{PYSHEDS_GROWTH['core']}")),
    ]


def rows(n: int, cell: float = CELL, pysheds: bool = True, pyflwdir: bool = True,
         zones: bool = False, workdir: Path | None = None,
         pysheds_sample: int | None = None) -> list[dict]:
    """Rows for run_all.py: fill + D8 and the whole terrain step vs pysheds and pyflwdir.

    Each tool runs in its own child process (peak memory = its max RSS), after an untimed
    warm-up on a 200² DEM (numba cache load). Agreement: against pyflwdir's own
    ``fill_depressions``, the filled DEM and the D8 directions are identical on every cell;
    against pysheds, the filled DEM (``fill_pits`` + ``fill_depressions``, before
    ``resolve_flats``) is equal within 1e-3 m (pysheds' D8 rule differs, steepest slope vs
    pyflwdir's fill order: see ``terrain.md`` for HAND). ``zones``: the end-to-end run adds
    ``dem_zones`` (3 m stage) and reports its time and peak memory (no anchor).
    ``pysheds_sample``: pysheds runs on the top-left ``pysheds_sample``² quarter of the DEM
    (and so does ours, for the check of the filled DEM) and its time is scaled to ``n``² by
    its growth measured once at 10,000² (:data:`PYSHEDS_GROWTH`): a full pysheds run at
    10,000² takes ~5 min and ~8 GiB, too long for ``make bench``.
    """
    import shutil

    from _rows import row

    work = Path(tempfile.mkdtemp(prefix="bench_terrain_", dir=workdir))
    try:
        warm = work / "dem_200.tif"
        write_dem(warm, 200)
        path = work / f"dem_{n}.tif"
        write_dem(path, n, cell)
        compare = n <= 5000
        size = f"{n:,}² DEM ({cell:g} m cells)"
        tool = "kotacerdas_zones" if zones else "kotacerdas"
        ours = run_child_rss(tool, path, warm, work / "ours" if compare else None)
        if "error" in ours:
            raise RuntimeError(f"derive_terrain failed at {n}: {ours['error']}")
        so = ours["steps_s"]
        core = so["fill+flowdir"] + so["upstream_area"] + so["hand"]
        out = []
        if zones:
            out.append(row("terrain end to end (DEM -> HAND zones)", size, n * n,
                           "derive_terrain + dem_zones", ours["total_s"], agree=None,
                           peak_gb=ours["peak_rss_gb"],
                           check=f"{ours.get('n_zones', 0)} zones; steps (s): " + ", ".join(
                               f"{k} {v:.1f}" for k, v in so.items()),
                           note=f"peak {ours['peak_rss_gb'] / (n * n) * 1024**3:.0f} "
                           "bytes per cell; peak GiB per step: " + ", ".join(
                               f"{k} {v:.2f}" for k, v in ours.get("peaks_gb", {}).items())))
        if pyflwdir:
            ref = run_child_rss("pyflwdir_fill", path, warm, work / "pf" if compare else None)
            ok, chk = None, "not compared above 5,000²"
            if compare:
                same_d8 = np.array_equal(np.load(work / "ours_d8.npy"), np.load(work / "pf_d8.npy"))
                same_f = np.array_equal(np.load(work / "ours_filled.npy"),
                                        np.load(work / "pf_filled.npy"), equal_nan=True)
                ok, chk = same_d8 and same_f, f"D8 identical {same_d8}, filled identical {same_f}"
            out.append(row("terrain fill + D8", size, n * n, "derive_terrain step 1",
                           so["fill+flowdir"], anchor="pyflwdir fill_depressions",
                           anchor_s=ref["steps_s"]["fill+flowdir"], agree=ok, check=chk,
                           peak_gb=ours["peak_rss_gb"], anchor_peak_gb=ref["peak_rss_gb"]))
        if pysheds_sample:
            out += _sampled_pysheds_rows(work, path, warm, n, pysheds_sample, so, core,
                                         ours["peak_rss_gb"], size)
        if pysheds:
            ref = run_child_rss("pysheds_min", path, warm, work / "ps" if compare else None)
            if "error" in ref:
                raise RuntimeError(f"pysheds failed at {n}: {ref['error']}")
            sp = ref["steps_s"]
            ok, chk = None, "not compared above 5,000²"
            if compare:
                a, b = np.load(work / "ours_filled.npy"), np.load(work / "ps_filled.npy")
                m = np.isfinite(a) & np.isfinite(b)
                d = float(np.abs(a[m].astype(np.float64) - b[m]).max())
                ok, chk = d <= 1e-3, f"filled DEM max diff {d:.1e} m on {int(m.sum()):,} cells"
            out.append(row("terrain fill + D8", size, n * n, "derive_terrain step 1",
                           so["fill+flowdir"], anchor="pysheds fill_pits+fill_depressions+"
                           "resolve_flats+flowdir", anchor_s=sp["fill+flowdir"], agree=ok,
                           check=chk, peak_gb=ours["peak_rss_gb"],
                           anchor_peak_gb=ref["peak_rss_gb"]))
            out.append(row("terrain fill, D8, upstream area, HAND", size, n * n,
                           "derive_terrain", core, anchor="pysheds (same steps)",
                           anchor_s=sp["fill+flowdir"] + sp["upstream_area"] + sp["hand"],
                           agree=ok, check=chk + "; D8 rules differ (see terrain.md)",
                           peak_gb=ours["peak_rss_gb"], anchor_peak_gb=ref["peak_rss_gb"],
                           note="pysheds 0.5 with np.in1d = np.isin (numpy 2.4 shim)"))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000],
                    help="DEM sides in cells (1000 5000 10000)")
    ap.add_argument("--extra-dem", type=Path, nargs="*", default=[],
                    help="existing DEM files to run too (e.g. data/terrain/dem.tif)")
    ap.add_argument("--tools", nargs="+",
                    default=["kotacerdas", "kotacerdas_all", "pysheds", "pyflwdir_stock"])
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
    jobs = []
    for n in a.sizes:
        path = work / f"dem_{n}.tif"
        if not path.exists():
            t0 = time.perf_counter()
            write_dem(path, n)
            print(f"wrote {path} in {time.perf_counter() - t0:.1f} s", flush=True)
        jobs.append((f"{n}²", n, path))
    for p in a.extra_dem:
        jobs.append((p.stem, 0, p.resolve()))  # size 0: always compared, stock HAND run
    rows = []
    for label, n, path in jobs:
        results = {}
        key = label.replace("²", "")
        for tool in a.tools:
            if tool == "pyflwdir_stock" and n > a.stock_max:
                continue
            save = work / f"{tool}_{key}" if n <= a.compare_max else None
            r = run_child_rss(tool, path, warm, save)
            results[tool] = r
            print(label, tool, json.dumps(r), flush=True)
        agree = {}
        if n <= a.compare_max and "error" not in results.get("kotacerdas", {"error": 1}):
            agree = hand_agreement(work, key, path)
            print(label, "agreement", json.dumps(agree), flush=True)
        rows.append((label, results, agree))
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
        "| DEM | tool | total s | read | fill+flowdir | upstream area | HAND | other | "
        "fill+D8+upa+HAND s | peak RSS GiB | vs kotacerdas (3 steps / memory) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, results, _ in rows:
        base = results.get("kotacerdas", {})
        bcore = (sum(base["steps_s"].get(k, 0) for k in ("fill+flowdir", "upstream_area", "hand"))
                 if "steps_s" in base else None)
        for tool, r in results.items():
            if "error" in r:
                lines.append(f"| {label} | {tool} | error: {r['error']} | | | | | | | "
                             f"{r.get('peak_rss_gb', float('nan')):.2f} | |")
                continue
            s = r["steps_s"]
            core = sum(s.get(k, 0) for k in ("fill+flowdir", "upstream_area", "hand"))
            ratio = ""
            if tool != "kotacerdas" and bcore:
                ratio = (f"{core / bcore:.1f}x / "
                         f"{r['peak_rss_gb'] / base['peak_rss_gb']:.2f}x")
            lines.append(
                f"| {label} | {tool} | {r['total_s']:.2f} | {s.get('read', 0):.2f} | "
                f"{s.get('fill+flowdir', 0):.2f} | {s.get('upstream_area', 0):.2f} | "
                f"{s.get('hand', 0):.2f} | {s.get('other', 0):.2f} | {core:.2f} | "
                f"{r['peak_rss_gb']:.2f} | {ratio} |")
    agrees = [(label, ag) for label, _, ag in rows if ag]
    if agrees:
        lines += ["", "HAND agreement (cells with a HAND in both; |difference| <= 0.5 m, median, "
                  "95th percentile; CSI of the zones HAND < 2 m and < 5 m):", "",
                  "| DEM | comparison | cells | within 0.5 m | median m | p95 m | CSI 2 m | "
                  "CSI 5 m |", "|---|---|---|---|---|---|---|---|"]
        for label, ag in agrees:
            for k in ("pysheds_documented", "like_for_like", "same_routing", "steepest_routing",
                      "pyflwdir_stock"):
                if k in ag:
                    v = ag[k]
                    lines.append(f"| {label} | {k} | {v['cells']:,} | {v['within_0.5m']:.1%} | "
                                 f"{v['median_m']:.2f} | {v['p95_m']:.1f} | {v['csi_2m']:.2f} | "
                                 f"{v['csi_5m']:.2f} |")
            if "d8_equal" in ag:
                sc = ag["stream_cells"]
                lines.append(
                    f"| {label} | routing | D8 equal {ag['d8_equal']:.1%} (sloping cells "
                    f"{ag['d8_equal_sloping']:.1%}; steepest descent on our filled DEM: "
                    f"{ag['steepest_d8_equal_sloping']:.1%}); stream cells ours {sc[0]:,}, "
                    f"pysheds {sc[1]:,}, shared {sc[2]:,}; filled cells "
                    f"{ag['filled_share']:.1%}; pysheds NaN where ours has HAND: "
                    f"{ag['pysheds_nan_where_ours_finite']:,} | | | | | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
