"""Past one machine: the buildings x zones exposure overlay on a dask cluster.

The overlay is per building (each footprint against the prepared zones), so it splits
into independent partitions with nothing to stitch: the buildings are spatially
partitioned (Hilbert curve of their centres, ``dask_geopandas.GeoDataFrame.spatial_shuffle``)
so each partition is a compact patch (for a GeoParquet input: as stored, or re-shuffled on
request), the prepared zones (small: hundreds of polygons)
are sent to every worker once, each worker runs
:func:`kotacerdas_gis.exposure.buildings_exposure` on its partitions, and the parts come
back in the input order. The result equals ``buildings_exposure(buildings, zones)``
exactly (row for row, column for column; ``tests/test_scale.py``); the repairs counted in
each partition are added up in one :class:`~kotacerdas_gis.accounting.StepReport`.

Needs the ``scale`` extra (``pip install 'kotacerdas_gis[scale]'``: dask-geopandas and
dask.distributed); the rest of the package works without it. See ``docs/scale.md`` for a
real cluster (scheduler address, GeoParquet input on shared storage).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

from .accounting import StepReport
from .errors import ParameterError, SchemaError
from .exposure import buildings_exposure
from .overlay import _PREPARED, _fingerprint, is_prepared_zones, prepare_zones

__all__ = ["distributed_buildings_exposure", "require_scale"]

_INSTALL = "pip install 'kotacerdas_gis[scale]'  (dask-geopandas, distributed)"
_POS = "__kc_row__"
_IDX = "__kc_index__"


def require_scale() -> tuple[Any, Any]:
    """Import dask_geopandas and dask.distributed, or raise naming the pip install line.

    Returns
    -------
    tuple
        The ``dask_geopandas`` and ``distributed`` modules.

    Raises
    ------
    ImportError
        If either is missing; the message gives the install line.
    """
    try:
        import dask_geopandas
        import distributed
    except ImportError as exc:  # pragma: no cover - exercised where dask is absent
        raise ImportError(
            f"kotacerdas_gis.scale needs dask-geopandas and dask.distributed ({exc.name} is "
            f"missing): {_INSTALL}"
        ) from exc
    return dask_geopandas, distributed


def _tag(df: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """Keep a partition's rows' input order (partition, row) and index as columns."""
    part = 0 if partition_info is None else int(partition_info["number"])
    return df.assign(**{_POS: np.int64(part) * 2**40 + np.arange(len(df), dtype=np.int64),
                        _IDX: df.index})


def _partition(part: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, id_col: str,
               class_col: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    # the zones were prepared on the client; unpickled here their geometries are new objects,
    # so the preparation mark (geometry ids) no longer matches and every partition would
    # prepare them again (seconds for DEM-derived zones): mark this worker's copy once
    if not is_prepared_zones(zones):
        zones.attrs[_PREPARED] = _fingerprint(zones)
    rep = StepReport("buildings x zones (partition)", source="buildings")
    out = buildings_exposure(part, zones, id_col=id_col, class_col=class_col, report=rep)
    return out, {"repaired": dict(rep.reasons_repaired), "rejected": dict(rep.reasons_rejected),
                 "notes": list(rep.notes)}


def distributed_buildings_exposure(
    buildings: gpd.GeoDataFrame | str | os.PathLike[str] | Any,
    zones: gpd.GeoDataFrame,
    *,
    client: Any = None,
    npartitions: int | None = None,
    id_col: str = "asset_id",
    class_col: str = "exposure_class",
    report: StepReport | None = None,
    shuffle: bool = False,
) -> gpd.GeoDataFrame:
    """Overlay buildings with zones on a dask cluster; the same answer as on one machine.

    Parameters
    ----------
    buildings : GeoDataFrame, dask_geopandas.GeoDataFrame, or path
        Footprints (EPSG:32751) with ``id_col``. A path is read as GeoParquet with
        ``dask_geopandas.read_parquet`` (a file or a directory of parts, on storage every
        worker can read: the data are read where they are used, not sent from here).
    zones : GeoDataFrame
        Hazard zones, raw or from :func:`~kotacerdas_gis.overlay.prepare_zones`; prepared
        once here and sent to each worker once.
    client : distributed.Client, optional
        The cluster to run on; by default the current client (``distributed.get_client``),
        and without one a :class:`~distributed.LocalCluster` for the duration of the call.
    npartitions : int, optional
        Number of Hilbert partitions; default one per worker thread. Each partition pays
        the zones' fixed cost once (their parts' STRtree and prepared geometries, ~0.3 s
        for 50,000 parts), so partitions should hold hundreds of thousands of buildings.
    id_col, class_col : str
        Column names, as in :func:`~kotacerdas_gis.exposure.buildings_exposure`.
    report : StepReport, optional
        Where the partitions' repairs are added up.
    shuffle : bool, default False
        For dask or GeoParquet input: re-partition along the Hilbert curve
        (``spatial_shuffle``; costs a full pass and a shuffle) instead of using the stored
        partitions. An in-memory GeoDataFrame is always Hilbert-partitioned.

    Returns
    -------
    GeoDataFrame
        Exactly ``buildings_exposure(buildings, zones)`` (same rows in the same order, same
        index and columns); for a path or dask input, in the order of the input partitions.

    Raises
    ------
    ImportError
        If the ``scale`` extra is not installed (the message gives the pip line).
    ParameterError
        If ``npartitions`` is not a positive integer.
    SchemaError
        If ``id_col`` is missing or holds duplicates (each building must be one row,
        whichever partition it lands in).
    """
    dask_geopandas, distributed = require_scale()
    import dask

    with dask.config.set({"dataframe.convert-string": False}):  # keep the input's dtypes
        return _run(dask_geopandas, distributed, buildings, zones, client=client,
                    npartitions=npartitions, id_col=id_col, class_col=class_col, report=report,
                    shuffle=bool(shuffle))


def _import_dask_geopandas() -> None:
    """Run on each worker: register dask-geopandas' geometry handling."""
    import dask_geopandas  # noqa: F401


def _run(dask_geopandas: Any, distributed: Any, buildings: Any, zones: gpd.GeoDataFrame, *,
         client: Any, npartitions: int | None, id_col: str, class_col: str,
         report: StepReport | None, shuffle: bool) -> gpd.GeoDataFrame:
    if npartitions is not None and (isinstance(npartitions, bool) or
                                    not isinstance(npartitions, int) or npartitions < 1):
        raise ParameterError(f"npartitions must be a positive integer, found {npartitions!r}")
    if isinstance(buildings, (str, os.PathLike)):
        ddf = dask_geopandas.read_parquet(Path(buildings))
        name = str(buildings)
    elif isinstance(buildings, gpd.GeoDataFrame):
        ddf = None
        name = "buildings"
    else:
        ddf = buildings
        name = "buildings (dask)"
    own_cluster = None
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            own_cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2,
                                                   processes=True, dashboard_address=None)
            client = distributed.Client(own_cluster)
    try:
        # a worker that has not imported dask_geopandas reads GeoParquet geometry as raw WKB
        # bytes ("Input must be valid geometry objects" in spatial_shuffle): import it there
        client.run(_import_dask_geopandas)
        threads = max(sum(client.nthreads().values()), 1)
        nparts = npartitions or threads
        zones_p = prepare_zones(zones)
        zf = client.scatter(zones_p, broadcast=True)
        if ddf is None:
            frame = buildings
            index_name = frame.index.name
            if id_col not in frame.columns:
                raise SchemaError(f"{name}: expected an id column {id_col!r}, found columns "
                                  f"{list(frame.columns)}")
            if frame[id_col].duplicated().any():
                raise SchemaError(f"{name}: {int(frame[id_col].duplicated().sum())} duplicate "
                                  f"values in {id_col!r}; each building must be one row.")
            # Hilbert partitions computed here (geopandas' hilbert_distance over the layer's
            # bounds, as dask_geopandas.spatial_shuffle does, without its shuffle): the sorted
            # rows are cut into nparts contiguous runs, each a compact patch
            pos = frame.assign(**{_POS: np.arange(len(frame)), _IDX: frame.index})
            order = np.argsort(frame.geometry.hilbert_distance().to_numpy(), kind="stable")
            chunks = [pos.iloc[c] for c in np.array_split(order, min(nparts, len(frame)))
                      if len(c)]
            parts = client.scatter(chunks)
        else:
            # dask or GeoParquet input: the stored partitions are used as they are (write the
            # file spatially partitioned once, see docs/scale.md), or shuffled here
            index_name = ddf.index.name
            ddf = ddf.map_partitions(_tag, meta=_tag(ddf._meta))  # input order, index
            if shuffle:
                ddf = ddf.spatial_shuffle(by="hilbert", npartitions=nparts)
            parts = client.compute(ddf.to_delayed())
        futs = [client.submit(_partition, p, zf, id_col, class_col, pure=False) for p in parts]
        res = client.gather(futs)
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    rep = report
    frames = []
    for out, counts in res:
        frames.append(out)
        if rep is not None:
            for k, v in counts["repaired"].items():
                rep.repair(k, v)
            for k, v in counts["rejected"].items():
                rep.reject(k, v)
            for note in dict.fromkeys(counts["notes"]):
                rep.note(note)
    out = pd.concat(frames)
    out = out.sort_values(_POS, kind="stable")
    out.index = pd.Index(out.pop(_IDX).to_numpy(), name=index_name)
    if out[id_col].duplicated().any():
        raise SchemaError(f"{name}: duplicate values in {id_col!r}; each building must be "
                          "one row.")
    if rep is not None:
        rep.n_in = len(out)
    return gpd.GeoDataFrame(out.drop(columns=_POS), geometry=out.geometry.name,
                            crs=out.crs)
