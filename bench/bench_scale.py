"""Benchmark: the exposure overlay on a dask.distributed LocalCluster with 1 and 2 workers.

Seeded synthetic buildings (``bench_overlay.make_buildings``) against the multi-part zones of
``bench_overlay.py``, prepared once. Anchor: the single-machine ``buildings_exposure`` on the
frame in memory, in the same process. Ours: the buildings written once as a Hilbert-partitioned
GeoParquet dataset (:func:`kotacerdas_gis.scale.partition_buildings`, 250,000 buildings a part;
the write is timed and reported, not counted), then
:func:`kotacerdas_gis.scale.distributed_buildings_exposure` on the path, on a LocalCluster of k
single-threaded worker processes: each worker reads its parts, the zones are broadcast once,
the compact columns come back. Our time includes reading the GeoParquet; the anchor's does
not, so the note also gives a streaming anchor (one process reads each part and runs
``buildings_exposure``: what one machine does with a dataset larger than its memory).
Agreement: the frames are equal (``pandas.testing.assert_frame_equal``, exact) to the
anchor's columns. Cluster start and the workers' first call (imports, numba cache load) are
not timed. Memory: the client's peak during the distributed call (peak reset after the
anchor, Linux ``clear_refs``) and the largest worker's peak (``VmHWM``).

    .venv/bin/python bench/bench_scale.py --n 1000000
    flock /tmp/bigmem.lock .venv/bin/python bench/bench_scale.py --province   # 10,000,000
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
from _rows import row, timed
from bench_overlay import make_buildings, make_multipart_zones

PROVINCE = 10_000_000


def _hwm_gb() -> float:
    """Peak resident memory of this process (``VmHWM``; resettable, unlike ru_maxrss), GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def _rss_gb() -> float:
    """Resident memory of this process now (``VmRSS``), GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def _reset_hwm() -> None:
    """Give freed memory back to the OS and reset this process's peak (Linux >= 4.0)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - not Linux
        pass


def rows(n: int, workers: tuple[int, ...] = (1, 2)) -> list[dict]:
    """One row per worker count: dask path on a partitioned dataset vs one process."""
    import distributed

    import geopandas as gpd

    from kotacerdas_gis.exposure import buildings_exposure
    from kotacerdas_gis.overlay import prepare_zones
    from kotacerdas_gis.scale import (
        EXPOSURE_COLUMNS,
        PARTITION_SIZE,
        distributed_buildings_exposure,
        partition_buildings,
    )

    b = make_buildings(n)
    z = prepare_zones(make_multipart_zones())
    buildings_exposure(b.iloc[:1000], z)  # warm-up
    t0 = time.perf_counter()
    full = buildings_exposure(b, z)
    t_one = time.perf_counter() - t0
    one_peak = _hwm_gb()
    ref = pd.DataFrame(full[["asset_id", *EXPOSURE_COLUMNS]])
    del full
    out = []
    with tempfile.TemporaryDirectory(prefix="kc_scale_") as d:
        nparts = max(2, -(-n // PARTITION_SIZE))
        t0 = time.perf_counter()
        path = partition_buildings(b, Path(d) / "buildings", npartitions=nparts)
        t_write = time.perf_counter() - t0
        warm = partition_buildings(b.iloc[:2000], Path(d) / "warm", npartitions=2)
        del b
        parts = sorted(Path(path).glob("part.*.parquet"))
        t0 = time.perf_counter()
        for p in parts:  # the streaming anchor: one process, one part at a time
            buildings_exposure(gpd.read_parquet(p), z)
        t_stream = time.perf_counter() - t0
        for k in workers:
            cluster = distributed.LocalCluster(n_workers=k, threads_per_worker=1,
                                               processes=True, dashboard_address=None,
                                               memory_limit=None)
            client = distributed.Client(cluster)
            try:
                distributed_buildings_exposure(warm, z, client=client)  # warm-up
                _reset_hwm()
                base = _rss_gb()  # the bench's own frames (the anchor's columns) and heap
                t, got = timed(lambda client=client: distributed_buildings_exposure(
                    path, z, client=client), 1)
                peak = _hwm_gb()
                w_peak = max(client.run(_hwm_gb).values())
                try:
                    pd.testing.assert_frame_equal(got, ref, check_exact=True)
                    ok, chk = True, (f"columns equal to buildings_exposure ({len(ref):,} rows "
                                     f"x {ref.shape[1]} columns, exact)")
                except AssertionError as exc:
                    ok, chk = False, f"frames differ: {str(exc).splitlines()[0]}"
                del got
            finally:
                client.close()
                cluster.close()
            out.append(row(
                "exposure overlay on dask (LocalCluster)", f"{n:,} buildings, {k} worker(s)",
                n, f"distributed_buildings_exposure on a {nparts}-part GeoParquet, {k} "
                f"worker(s)", t, anchor="buildings_exposure, one process, in memory",
                anchor_s=t_one, agree=ok, check=chk, peak_gb=peak, workers=k,
                worker_peak_gb=w_peak, anchor_peak_gb=one_peak, write_s=t_write,
                client_base_gb=base,
                stream_s=t_stream,
                note=(f"ours reads the GeoParquet, the anchor not; streaming anchor (one "
                      f"process reads each part) {t_stream:.2f} s = {t_stream / t:.2f}x ours; "
                      f"dataset written once in {t_write:.1f} s; peak = client during the "
                      f"call ({base:.2f} GiB held before it), largest worker {w_peak:.2f} "
                      f"GiB; ratio > 1 = faster than one process; 2 cores shared: the ceiling "
                      f"is ~1.6x")))
    return out


def main() -> None:
    """Print one JSON row per worker count."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--province", action="store_true",
                    help=f"{PROVINCE:,} buildings (needs ~16 GiB: hold /tmp/bigmem.lock)")
    a = ap.parse_args()
    for r in rows(PROVINCE if a.province else a.n):
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
