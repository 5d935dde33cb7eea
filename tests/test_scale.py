"""The dask path of the exposure overlay equals the single-machine result (LocalCluster)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import Polygon, box

from kotacerdas_gis.accounting import StepReport
from kotacerdas_gis.errors import ParameterError, SchemaError
from kotacerdas_gis.exposure import buildings_exposure

if os.environ.get("CI") == "true":  # CI installs the scale extra: a missing dask is a failure
    import dask_geopandas  # noqa: F401
    import distributed
else:
    pytest.importorskip("dask_geopandas")
    distributed = pytest.importorskip("distributed")

from kotacerdas_gis.scale import distributed_buildings_exposure  # noqa: E402


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


def test_equals_single_machine_on_a_local_cluster(client, tmp_path):
    b, z = _data()
    rep1, rep2 = StepReport("one"), StepReport("many")
    ref = buildings_exposure(b, z, report=rep1)
    got = distributed_buildings_exposure(b, z, client=client, npartitions=7, report=rep2)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert rep2.reasons_repaired == rep1.reasons_repaired and rep2.n_repaired > 0
    # from GeoParquet (what a real cluster reads): same rows, input order
    b.to_parquet(tmp_path / "b.parquet")
    got_p = distributed_buildings_exposure(tmp_path / "b.parquet", z, client=client, shuffle=True)
    pd.testing.assert_frame_equal(got_p, ref, check_exact=True)


def test_bad_options_and_duplicate_ids(client):
    b, z = _data(50)
    with pytest.raises(ParameterError, match="npartitions"):
        distributed_buildings_exposure(b, z, client=client, npartitions=0)
    b.loc[b.index[1], "asset_id"] = b["asset_id"].iloc[0]
    with pytest.raises(SchemaError, match="duplicate"):
        distributed_buildings_exposure(b, z, client=client)
