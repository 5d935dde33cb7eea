"""Past one machine: the buildings x zones exposure overlay on a dask cluster.

The overlay is per building (each footprint against the prepared zones), so it splits
into independent partitions with nothing to stitch. The cheap way through a cluster:

1. :func:`partition_buildings` writes the buildings once as a GeoParquet dataset of
   spatially compact parts (Hilbert curve of their centres,
   ``dask_geopandas.GeoDataFrame.spatial_shuffle``), on storage every worker can read;
2. :func:`distributed_buildings_exposure` on that path: each worker reads its own parts
   (the client never holds the buildings), the prepared zones (small: hundreds of
   polygons) are sent to every worker once, each part runs
   :func:`kotacerdas_gis.exposure.buildings_exposure`, and only compact columns come back
   (ids, classes, areas, flooded fraction; no geometry), optionally with each part's full
   impact layer written by its worker to GeoParquet.

The columns equal ``buildings_exposure(buildings, zones)[[id_col, *EXPOSURE_COLUMNS]]``
exactly (row for row, in the input order, same index; ``tests/test_scale.py``); the repairs
counted in each partition are added up in one :class:`~kotacerdas_gis.accounting.StepReport`.

Needs the ``scale`` extra (``pip install 'kotacerdas_gis[scale]'``: dask-geopandas and
dask.distributed); the rest of the package works without it (the imports happen inside the
calls). See ``docs/scale.md`` for a real cluster (scheduler address, GeoParquet on shared
storage or an object store, memory per worker).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

from .accounting import StepReport
from .errors import DataError, ParameterError, SchemaError
from .exposure import buildings_exposure
from .overlay import prepare_zones

__all__ = ["EXPOSURE_COLUMNS", "distributed_buildings_exposure", "partition_buildings",
           "require_scale"]

_INSTALL = "pip install 'kotacerdas_gis[scale]'  (dask-geopandas, distributed)"
_POS = "__kc_row__"
_IDX = "__kc_index__"
#: GeoParquet geometry encoding of the datasets written here: GeoParquet 1.1's native
#: (GeoArrow) encoding reads ~20 % faster than WKB (shapely builds the polygons from the
#: coordinate arrays); geopandas >= 1.0 and GDAL >= 3.9 read it. (The dask path of
#: :func:`partition_buildings` writes WKB: dask-geopandas 0.5 has no encoding option.)
_ENCODING = "geoarrow"
#: Low-cardinality text columns sent back from the workers as categoricals (codes + a few
#: labels: half the bytes and time of the gather), restored to their dtype on the client.
_TEXT = ("exposure_class", "hazard_class", "zone_id")

#: Columns :func:`distributed_buildings_exposure` returns besides the id: those
#: :func:`~kotacerdas_gis.exposure.buildings_exposure` adds, without the geometry (and without
#: ``admin_code``: there are no admin units on this path).
EXPOSURE_COLUMNS: tuple[str, ...] = (
    "exposure_class", "hazard_class", "class_rank", "zone_id", "displacement_rate", "area_m2",
    "flooded_area_m2", "flooded_frac", "exposed", "affected")


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
    except ImportError as exc:
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


#: Buildings per partition that :func:`partition_buildings` aims at by default: each partition
#: pays the zones' fixed cost once (their parts' STRtree, ~0.3 s for 50,000 parts) and a worker
#: holds a few of them at a time (~1 GB per 1,000,000 buildings with their impact columns).
PARTITION_SIZE = 250_000


def partition_buildings(
    buildings: gpd.GeoDataFrame | str | os.PathLike[str] | Any,
    path: str | os.PathLike[str],
    *,
    npartitions: int | None = None,
) -> str:
    """Write buildings once as a Hilbert-partitioned GeoParquet dataset for the cluster.

    The rows are ordered along the Hilbert curve of their centres over the layer's bounds
    (``GeoSeries.hilbert_distance``, level 16) and cut into ``npartitions`` parts, each a
    compact patch written as one GeoParquet file ``path/part.<i>.parquet``. An in-memory
    GeoDataFrame is sorted and written from this process (equal-size runs); a path or dask
    input, which may not fit in memory, goes through
    ``dask_geopandas.GeoDataFrame.spatial_shuffle`` and ``to_parquet`` on the current dask
    scheduler (the cluster's client when one is active: then ``path`` must be storage the
    workers can write). Two bookkeeping columns keep each row's input position and index, so
    that :func:`distributed_buildings_exposure` on the dataset answers in the input order.

    Parameters
    ----------
    buildings : GeoDataFrame, dask_geopandas.GeoDataFrame, or path
        Footprints (EPSG:32751). A path is read as GeoParquet (a file or a directory).
    path : str or path-like
        Output directory (local, shared, or an fsspec URL such as ``s3://bucket/buildings/``).
    npartitions : int, optional
        Number of parts; default one per :data:`PARTITION_SIZE` (250,000) buildings for a
        GeoDataFrame, the input's partition count otherwise.

    Returns
    -------
    str
        ``path``, to pass to :func:`distributed_buildings_exposure`.

    Raises
    ------
    ImportError
        If the ``scale`` extra is not installed (the message gives the pip line).
    ParameterError
        If ``npartitions`` is not a positive integer.
    """
    dask_geopandas, distributed = require_scale()
    _check_npartitions(npartitions)
    import dask

    if isinstance(buildings, gpd.GeoDataFrame):
        # in memory already: sort by the same Hilbert distance (geopandas' hilbert_distance
        # over the layer's bounds, level 16, as spatial_shuffle) and write contiguous runs of
        # equal size from here; dask's shuffle of an in-memory frame took 26 s for 1,000,000
        # buildings on 2 cores, this 3 s (bench/bench_scale.py)
        nparts = npartitions or max(1, -(-len(buildings) // PARTITION_SIZE))
        root = os.fspath(path)
        if "://" not in root:
            Path(root).mkdir(parents=True, exist_ok=True)
        for i, run in enumerate(_hilbert_runs(buildings, nparts)):
            run.to_parquet(f"{root.rstrip('/')}/part.{i}.parquet", index=False,
                           geometry_encoding=_ENCODING)
        return root
    try:  # on a cluster, its workers must read GeoParquet geometry as geometry
        distributed.get_client().run(_import_dask_geopandas)
    except ValueError:  # no client: dask's local scheduler, in this process
        pass
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = (dask_geopandas.read_parquet(os.fspath(buildings))
               if isinstance(buildings, (str, os.PathLike)) else buildings)
        nparts = npartitions or ddf.npartitions
        if _POS not in ddf.columns:
            ddf = ddf.map_partitions(_tag, meta=_tag(ddf._meta))
        ddf = ddf.spatial_shuffle(by="hilbert", npartitions=nparts)
        ddf.to_parquet(os.fspath(path), write_index=False)  # WKB (dask-geopandas 0.5)
    return os.fspath(path)


def _hilbert_runs(frame: gpd.GeoDataFrame, nparts: int) -> list[gpd.GeoDataFrame]:
    """Cut an in-memory frame into ``nparts`` contiguous runs along the Hilbert curve.

    The order is geopandas' ``hilbert_distance`` of the centres over the layer's bounds (as
    ``dask_geopandas.GeoDataFrame.spatial_shuffle``, without its shuffle), so each run is a
    compact patch; each row is tagged with its input position and index.
    """
    tagged = frame.assign(**{_POS: np.arange(len(frame), dtype=np.int64), _IDX: frame.index})
    order = np.argsort(frame.geometry.hilbert_distance().to_numpy(), kind="stable")
    return [tagged.iloc[rows] for rows in np.array_split(order, nparts)]


def _check_npartitions(npartitions: int | None) -> None:
    if npartitions is not None and (isinstance(npartitions, bool) or
                                    not isinstance(npartitions, int) or npartitions < 1):
        raise ParameterError(f"npartitions must be a positive integer, found {npartitions!r}")


def _partition(part: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, id_col: str, class_col: str,
               out_file: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run on a worker: one partition's overlay; compact columns back, the layer to a file."""
    # the zones arrive pickled (new geometry objects): the first partition on this worker
    # checks their content digest and marks them prepared again (is_prepared_zones), the
    # others use them as they are
    rep = StepReport("buildings x zones (partition)", source="buildings")
    full = buildings_exposure(part, zones, id_col=id_col, class_col=class_col, report=rep)
    if out_file is not None:
        layer = full.drop(columns=[_POS, _IDX])
        layer.index = pd.Index(full[_IDX].to_numpy())
        layer.to_parquet(out_file)
    compact = pd.DataFrame(full[[id_col, *EXPOSURE_COLUMNS, _POS, _IDX]])
    dtypes = {c: compact[c].dtype for c in _TEXT if c != id_col}
    for c in dtypes:
        compact[c] = compact[c].astype("category")
    return compact, {"repaired": dict(rep.reasons_repaired),
                     "rejected": dict(rep.reasons_rejected), "notes": list(rep.notes),
                     "dtypes": dtypes}


def _assemble(frames: list[pd.DataFrame], dtypes: dict[str, Any],
              index_name: Any) -> pd.DataFrame:
    """Put the partitions' compact frames together in input order, one column at a time.

    Each column is concatenated, put in input order and its parts freed before the next (a
    whole-frame concat and sort held three copies: 4.3 GiB for 10 million buildings); the
    categorical text is restored to its dtype.
    """
    cols = [c for c in frames[0].columns if c != _POS]
    order = np.argsort(np.concatenate([f.pop(_POS).to_numpy() for f in frames]), kind="stable")
    data: dict[str, Any] = {}
    for c in cols:
        if c in dtypes:
            cat = pd.api.types.union_categoricals([f.pop(c) for f in frames])
            data[c] = pd.Series(cat.take(order)).astype(dtypes[c]).array
        else:
            data[c] = pd.concat([f.pop(c) for f in frames], ignore_index=True).take(order)
            data[c] = data[c].array
    index = pd.Index(data.pop(_IDX), name=index_name)
    return pd.DataFrame({c: data[c] for c in cols if c != _IDX}, index=index)


def _parquet_parts(path: str) -> tuple[list[str], list[str]]:
    """Return a dataset's GeoParquet files (in part order) and its columns (first file's)."""
    import re

    import fsspec
    import pyarrow.parquet as pq

    fs, root = fsspec.core.url_to_fs(path)
    if fs.isdir(root):
        found = [f for f in fs.ls(root, detail=False) if str(f).endswith(".parquet")]
    elif fs.exists(root):
        found = [root]
    else:
        raise DataError(f"{path}: no such GeoParquet file or directory. Write the buildings "
                        "with partition_buildings (or to_parquet) on storage the workers read.")
    if not found:
        raise DataError(f"{path}: expected GeoParquet parts (*.parquet) in the directory, "
                        "found none. Write them with partition_buildings.")

    def key(f: str) -> tuple[str, int, str]:
        m = re.search(r"(\d+)\.parquet$", f)
        return (f[:m.start()] if m else f, int(m.group(1)) if m else -1, f)

    found.sort(key=key)
    local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
    files = [str(f) if local else fs.unstrip_protocol(f) for f in found]
    with fs.open(found[0], "rb") as fh:
        cols = list(pq.read_schema(fh).names)
    return files, cols


def _read_partition(file: str, number: int, zones: gpd.GeoDataFrame, id_col: str,
                    class_col: str, out_file: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run on a worker: read one GeoParquet part and run its overlay (:func:`_partition`)."""
    part = gpd.read_parquet(file)
    if _POS not in part.columns:
        part = _tag(part, {"number": number})
    return _partition(part, zones, id_col, class_col, out_file)


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
    out: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Overlay buildings with zones on a dask cluster; the same numbers as on one machine.

    Parameters
    ----------
    buildings : path, dask_geopandas.GeoDataFrame, or GeoDataFrame
        Footprints (EPSG:32751) with ``id_col``. A path (the fast way: written once by
        :func:`partition_buildings`) is read as GeoParquet with
        ``dask_geopandas.read_parquet``, each part by the worker that processes it, so it
        must be on storage every worker can read (a shared file system, or an fsspec URL
        such as ``s3://...`` with ``s3fs`` installed on the workers). An in-memory
        GeoDataFrame is Hilbert-partitioned here and each part sent from the client
        (pickled: about 3 s per million buildings; write it once instead).
    zones : GeoDataFrame
        Hazard zones, raw or from :func:`~kotacerdas_gis.overlay.prepare_zones`; prepared
        once here and sent to each worker once (``Client.scatter(..., broadcast=True)``).
    client : distributed.Client, optional
        The cluster to run on; by default the current client (``distributed.get_client``),
        and without one a :class:`~distributed.LocalCluster` for the duration of the call.
    npartitions : int, optional
        Number of Hilbert partitions for a GeoDataFrame input or with ``shuffle=True``;
        default one per worker thread. A path or dask input is used as partitioned.
    id_col, class_col : str
        Column names, as in :func:`~kotacerdas_gis.exposure.buildings_exposure`.
    report : StepReport, optional
        Where the partitions' repairs are added up.
    shuffle : bool, default False
        For dask or GeoParquet input: re-partition along the Hilbert curve
        (``spatial_shuffle``; a full pass and a shuffle at every call) instead of using the
        stored partitions.
    out : str or path-like, optional
        A directory where each worker writes its partition's full impact layer (the input
        columns, geometry and the exposure columns, indexed by the input index) as
        ``out/part.<i>.parquet`` (GeoParquet; read the whole with
        ``geopandas.read_parquet(out)``). Local or shared storage.

    Returns
    -------
    pandas.DataFrame
        Columns ``id_col`` and :data:`EXPOSURE_COLUMNS` (``exposure_class``,
        ``hazard_class``, ``class_rank``, ``zone_id``, ``displacement_rate``, ``area_m2``,
        ``flooded_area_m2``, ``flooded_frac`` 0-1, ``exposed``, ``affected``), no geometry:
        exactly ``buildings_exposure(buildings, zones)[[id_col, *EXPOSURE_COLUMNS]]``, in
        the input order and with the input index (its values; its name only for an
        in-memory input). For a dataset written by :func:`partition_buildings`, the input
        is the frame it was written from; for other GeoParquet or dask input, the order of
        its partitions.

    Raises
    ------
    ImportError
        If the ``scale`` extra is not installed (the message gives the pip line).
    ParameterError
        If ``npartitions`` is not a positive integer.
    DataError
        If the path does not exist or is a directory without ``*.parquet`` parts.
    SchemaError
        If ``id_col`` is missing or holds duplicates (each building must be one row,
        whichever partition it lands in).
    """
    dask_geopandas, distributed = require_scale()
    import dask

    _check_npartitions(npartitions)
    with dask.config.set({"dataframe.convert-string": False}):  # keep the input's dtypes
        return _run(dask_geopandas, distributed, buildings, zones, client=client,
                    npartitions=npartitions, id_col=id_col, class_col=class_col, report=report,
                    shuffle=bool(shuffle), out=out)


def _import_dask_geopandas() -> None:
    """Run on each worker: register dask-geopandas' geometry handling."""
    import dask_geopandas  # noqa: F401


def _run(dask_geopandas: Any, distributed: Any, buildings: Any, zones: gpd.GeoDataFrame, *,
         client: Any, npartitions: int | None, id_col: str, class_col: str,
         report: StepReport | None, shuffle: bool,
         out: str | os.PathLike[str] | None) -> pd.DataFrame:
    import dask

    files: list[str] = []
    if isinstance(buildings, (str, os.PathLike)):
        name = os.fspath(buildings)
        if shuffle:
            ddf = dask_geopandas.read_parquet(name)
        else:
            ddf = None
            files, schema_cols = _parquet_parts(name)
    elif isinstance(buildings, gpd.GeoDataFrame):
        ddf = None
        name = "buildings"
    else:
        ddf = buildings
        name = "buildings (dask)"
    columns = (schema_cols if files else
               list(buildings.columns if ddf is None else ddf.columns))
    if id_col not in columns:
        raise SchemaError(f"{name}: expected an id column {id_col!r}, found columns "
                          f"{[c for c in columns if c not in (_POS, _IDX)]}")
    out_dir = None if out is None else os.fspath(out)
    if out_dir is not None and "://" not in out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
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
        nparts = npartitions or max(sum(client.nthreads().values()), 1)
        # hash=False: tokenizing the zones (reading every vertex) took 0.4 s a call
        zf = client.scatter(prepare_zones(zones), broadcast=True, hash=False)

        def out_file(i: int) -> str | None:
            return None if out_dir is None else f"{out_dir.rstrip('/')}/part.{i}.parquet"

        if files:
            # the fast way: each task reads its own file on its worker (the client never
            # holds the buildings; nothing but the compact columns crosses the network)
            index_name = None
            futs = [client.submit(_read_partition, f, i, zf, id_col, class_col, out_file(i),
                                  pure=False) for i, f in enumerate(files)]
        elif ddf is None:
            frame = buildings
            index_name = frame.index.name
            if frame[id_col].duplicated().any():
                raise SchemaError(f"{name}: {int(frame[id_col].duplicated().sum())} duplicate "
                                  f"values in {id_col!r}; each building must be one row.")
            chunks = _hilbert_runs(frame, max(min(nparts, len(frame)), 1))
            futs = [client.submit(_partition, p, zf, id_col, class_col, out_file(i), pure=False)
                    for i, p in enumerate(client.scatter(chunks))]
        else:
            # dask input, or GeoParquet shuffled here: dask's tasks make the partitions and
            # the scheduler may move them to another worker for the overlay (pickled
            # geometry: slower than a path written once by partition_buildings)
            index_name = None
            if _POS not in ddf.columns:
                ddf = ddf.map_partitions(_tag, meta=_tag(ddf._meta))
            if shuffle:
                ddf = ddf.spatial_shuffle(by="hilbert", npartitions=nparts)
            run = dask.delayed(_partition, pure=False)
            futs = client.compute([run(p, zf, id_col, class_col, out_file(i))
                                   for i, p in enumerate(ddf.to_delayed())])
        # results gathered as the parts finish (the transfer overlaps the other parts'
        # compute), in part order; each future released once its result is here
        res: list[Any] = [None] * len(futs)
        where = {f.key: i for i, f in enumerate(futs)}
        for fut, r in distributed.as_completed(futs, with_results=True):
            res[where[fut.key]] = r
            fut.release()
        del futs
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    frames = []
    for part, counts in res:
        frames.append(part)
        if report is not None:
            for k, v in counts["repaired"].items():
                report.repair(k, v)
            for k, v in counts["rejected"].items():
                report.reject(k, v)
            for note in dict.fromkeys(counts["notes"]):
                report.note(note)
    got = _assemble(frames, res[0][1]["dtypes"], index_name)
    del frames, res
    dup = got[id_col].duplicated()
    if dup.any():
        raise SchemaError(f"{name}: {int(dup.sum())} duplicate values in {id_col!r}; each "
                          "building must be one row.")
    if report is not None:
        report.n_in = len(got)
    return got
