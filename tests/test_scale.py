"""The dask path of the exposure overlay equals the single-machine result (LocalCluster)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import Polygon, box

from kotacerdas_gis.accounting import StepReport
from kotacerdas_gis.errors import DataError, ParameterError, SchemaError
from kotacerdas_gis.exposure import buildings_exposure

if os.environ.get("CI") == "true":  # CI installs the scale extra: a missing dask is a failure
    import dask_geopandas  # noqa: F401
    import distributed
else:
    pytest.importorskip("dask_geopandas")
    distributed = pytest.importorskip("distributed")

from kotacerdas_gis.scale import (  # noqa: E402
    EXPOSURE_COLUMNS,
    distributed_buildings_exposure,
    partition_buildings,
)


def _data(n: int = 3000):
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    w = rng.uniform(8, 20, n)
    geoms = list(shapely.box(x, y, x + w, y + w))
    geoms[7] = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # a bow-tie: repaired, counted
    b = gpd.GeoDataFrame({"asset_id": [f"b{i}" for i in range(n)],
                          "exposure_class": rng.choice(["residential", "health", "shop?"], n)},
                         geometry=geoms, crs=32751, index=np.arange(n)[::-1] * 10)
    zg = [shapely.buffer(shapely.Point(c), r) for c, r in
          zip(rng.uniform(0, 5000, (25, 2)), rng.uniform(100, 600, 25), strict=True)]
    zg.append(box(0, 0, 30, 30))
    z = gpd.GeoDataFrame({"hazard_class": rng.choice(["low", "medium", "high"], 26),
                          "class_rank": rng.integers(1, 4, 26)}, geometry=zg, crs=32751)
    z["hazard_class"] = z["class_rank"].map({1: "low", 2: "medium", 3: "high"})
    return b, z


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _compact(full: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(full[["asset_id", *EXPOSURE_COLUMNS]])


def test_equals_single_machine_on_a_local_cluster(client, tmp_path):
    b, z = _data()
    rep1, rep2 = StepReport("one"), StepReport("many")
    ref = buildings_exposure(b, z, report=rep1)
    assert ref["exposed"].sum() > 100 and (~ref["exposed"]).sum() > 100  # both kinds present
    assert ((ref["flooded_frac"] > 0) & (ref["flooded_frac"] < 1)).sum() > 10  # edge buildings
    got = distributed_buildings_exposure(b, z, client=client, npartitions=7, report=rep2)
    assert "geometry" not in got.columns and list(got.columns) == ["asset_id", *EXPOSURE_COLUMNS]
    pd.testing.assert_frame_equal(got, _compact(ref), check_exact=True)
    assert rep2.reasons_repaired == rep1.reasons_repaired and rep2.n_repaired > 0
    # from GeoParquet (what a real cluster reads), re-shuffled at the call: input order
    b.to_parquet(tmp_path / "b.parquet")
    got_p = distributed_buildings_exposure(tmp_path / "b.parquet", z, client=client, shuffle=True)
    pd.testing.assert_frame_equal(got_p, _compact(ref).rename_axis(None), check_exact=True)
    # a plain GeoParquet file (not written by partition_buildings), read by one worker task
    got_f = distributed_buildings_exposure(str(tmp_path / "b.parquet"), z, client=client)
    pd.testing.assert_frame_equal(got_f, _compact(ref).rename_axis(None), check_exact=True)


def test_partitioned_dataset_read_by_the_workers(client, tmp_path):
    b, z = _data()
    ref = buildings_exposure(b, z)
    path = partition_buildings(b, tmp_path / "parts", npartitions=5)
    parts = sorted((tmp_path / "parts").glob("*.parquet"))
    assert len(parts) == 5
    # each part is a compact patch: its bounding box is far smaller than the layer's
    x0, y0, x1, y1 = b.total_bounds
    areas = [np.prod(np.diff(gpd.read_parquet(p).total_bounds.reshape(2, 2), axis=0))
             for p in parts]
    assert max(areas) < 0.5 * (x1 - x0) * (y1 - y0)
    got = distributed_buildings_exposure(path, z, client=client, out=tmp_path / "impact")
    pd.testing.assert_frame_equal(got, _compact(ref), check_exact=True)
    # the full impact layer, written by the workers per partition, holds the same rows
    layer = gpd.read_parquet(tmp_path / "impact").sort_index(ascending=False)
    assert len(list((tmp_path / "impact").glob("part.*.parquet"))) == 5
    pd.testing.assert_frame_equal(layer, ref, check_exact=True, check_like=True)


def test_partition_buildings_from_a_dataset_keeps_the_first_order(client, tmp_path):
    # re-partitioning a written dataset keeps the positions of the frame it came from
    b, z = _data(400)
    ref = _compact(buildings_exposure(b, z))
    first = partition_buildings(b, tmp_path / "p1", npartitions=3)
    second = partition_buildings(first, tmp_path / "p2", npartitions=2)
    got = distributed_buildings_exposure(second, z, client=client)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_bad_options_and_duplicate_ids(client, tmp_path):
    b, z = _data(50)
    with pytest.raises(ParameterError, match="npartitions"):
        distributed_buildings_exposure(b, z, client=client, npartitions=0)
    with pytest.raises(ParameterError, match="npartitions"):
        partition_buildings(b, tmp_path / "x", npartitions=1.5)
    with pytest.raises(SchemaError, match="'bid'"):
        distributed_buildings_exposure(b, z, client=client, id_col="bid")
    with pytest.raises(DataError, match="no such GeoParquet"):
        distributed_buildings_exposure(tmp_path / "nowhere", z, client=client)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="found none"):
        distributed_buildings_exposure(tmp_path / "empty", z, client=client)
    b.loc[b.index[1], "asset_id"] = b["asset_id"].iloc[0]
    with pytest.raises(SchemaError, match="duplicate"):
        distributed_buildings_exposure(b, z, client=client)
    # duplicates split across partitions of a dataset are caught after the gather
    path = partition_buildings(b, tmp_path / "dup", npartitions=2)
    with pytest.raises(SchemaError, match="1 duplicate"):
        distributed_buildings_exposure(path, z, client=client)


def test_core_runs_without_dask(tmp_path):
    """With dask absent the package imports and runs; the scale calls name the pip line."""
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "dask_geopandas", "distributed"):
                    raise ImportError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Block())
        import geopandas as gpd
        from shapely.geometry import box
        from kotacerdas_gis.exposure import buildings_exposure
        from kotacerdas_gis import scale
        z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]},
                             geometry=[box(0, 0, 5, 10)], crs=32751)
        b = gpd.GeoDataFrame({"asset_id": ["a"]}, geometry=[box(4, 0, 14, 10)], crs=32751)
        print(buildings_exposure(b, z)["flooded_frac"].tolist())
        assert not any(m.split(".")[0] in ("dask", "distributed") for m in sys.modules)
        try:
            scale.distributed_buildings_exposure(b, z)
        except ImportError as exc:
            print(exc)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "[0.1]"
    assert "pip install 'kotacerdas_gis[scale]'" in res.stdout
