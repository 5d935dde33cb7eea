"""Benchmark: the exposure overlay on a dask.distributed LocalCluster with 1 and 2 workers.

Seeded synthetic buildings (``bench_overlay.make_buildings``) against the multi-part zones of
``bench_overlay.py``. Ours: :func:`kotacerdas_gis.scale.distributed_buildings_exposure` (Hilbert
partitions, zones broadcast) on a LocalCluster of k single-threaded worker processes; anchor:
the single-machine ``buildings_exposure`` in the same process. Agreement: the frames are equal
(``pandas.testing.assert_frame_equal``, exact). Cluster start and the workers' first call
(imports, numba cache load) are not timed. The in-memory frame is scattered from the client:
on a real cluster the workers read GeoParquet parts themselves (docs/scale.md).

    .venv/bin/python bench/bench_scale.py --n 1000000
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from bench_overlay import make_buildings, make_multipart_zones

from _rows import peak_rss_gb, row, timed


def rows(n: int, workers: tuple[int, ...] = (1, 2)) -> list[dict]:
    """One row per worker count: dask path vs single machine, frames compared exactly."""
    import distributed

    from kotacerdas_gis.exposure import buildings_exposure
    from kotacerdas_gis.scale import distributed_buildings_exposure

    b = make_buildings(n)
    b["asset_id"] = b["asset_id"].astype("int64")
    z = make_multipart_zones()
    buildings_exposure(b.iloc[:1000], z)  # warm-up
    t_one, ref = timed(lambda: buildings_exposure(b, z), 1)
    out = []
    for k in workers:
        cluster = distributed.LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                           dashboard_address=None, memory_limit=None)
        client = distributed.Client(cluster)
        try:
            client.run(lambda: __import__("kotacerdas_gis.exposure"))
            distributed_buildings_exposure(b.iloc[:2000], z, client=client)  # warm-up
            t, got = timed(lambda client=client, k=k: distributed_buildings_exposure(
                b, z, client=client, npartitions=k), 1)
            peak = peak_rss_gb()
            try:
                pd.testing.assert_frame_equal(got, ref, check_exact=True)
                ok, chk = True, f"frame equal to buildings_exposure ({len(ref):,} rows, exact)"
            except AssertionError as exc:
                ok, chk = False, f"frames differ: {str(exc).splitlines()[0]}"
        finally:
            client.close()
            cluster.close()
        out.append(row("exposure overlay on dask (LocalCluster)", f"{n:,} buildings, {k} "
                       f"worker(s)", n, f"distributed_buildings_exposure, {k} worker(s)", t,
                       anchor="buildings_exposure, one process", anchor_s=t_one, agree=ok,
                       check=chk, peak_gb=peak, workers=k,
                       note="client process peak; ratio > 1 = faster than one process"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    a = ap.parse_args()
    for r in rows(a.n):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
