"""Exposure over the REAL village boundaries of Luwu Utara (HDX COD-AB, BPS 2020).

The boundaries are read from the shared real-data folder (env ``KOTACERDAS_SHARED_DATA``, default
``<repo>/../shared/data/real``); the tests skip when it is absent, except under ``CI=true``, where
they fail. Nothing derived from the geometry is stored in the project.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import skip_or_fail

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import Point

from kotacerdas_gis.exposure import analyse_exposure
from kotacerdas_gis.io.vector import read_vector
from kotacerdas_gis.schemas import admin_from_hdx
from kotacerdas_gis.vocabulary import NOT_EXPOSED

REPO = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("KOTACERDAS_SHARED_DATA", REPO.parent / "shared" / "data" / "real"))
DESA = REAL / "luwu_utara_desa_hdx_bps2020.geojson"
HAZARD = REPO / "data" / "hazard" / "observed_flood_2020.geojson"
MASAMBA_TOWN = (120.33, -2.55)  # lon, lat of the town centre (a single public coordinate)
BONE = "id7322120020"
MASAMBA_KEC = "id7322120"


def _need(path: Path, hint: str = "set KOTACERDAS_SHARED_DATA") -> None:
    if path.is_relative_to(REPO):  # bundled data missing is a defect, never a skip
        assert path.exists(), f"{path} is missing from the repository ({hint})"
    elif not path.exists():
        skip_or_fail(f"{path} not found ({hint})")


@pytest.fixture(scope="module")
def admin() -> gpd.GeoDataFrame:
    _need(DESA)
    return admin_from_hdx(read_vector(DESA, to_crs="EPSG:32751"))


@pytest.fixture(scope="module")
def population(admin: gpd.GeoDataFrame) -> pd.DataFrame:
    # synthetic counts: 100 people per km2, half female, 8 % elderly, 2 % disabled
    pop = np.round(admin.area.to_numpy() / 1e6 * 100)
    return pd.DataFrame({"admin_code": admin["admin_code"], "population": pop,
                         "female": pop * 0.5, "elderly": pop * 0.08, "disabled": pop * 0.02,
                         "households": pop / 4})


def _check_accounting(res, population: pd.DataFrame) -> None:
    a = res.aggregation_summary
    assert np.allclose(a.total_affected + a.total_not_affected + a.total_not_exposed,
                       a.population, rtol=1e-6, atol=1e-6)
    assert a.population.sum() == pytest.approx(population.population.sum(), rel=1e-9)
    assert (a.displaced <= a.total_affected + 1e-9).all()
    k = res.aggregation_summary_kecamatan
    assert len(k) == 12  # the old BPS structure of 12 kecamatan
    assert k.total_affected.sum() == pytest.approx(a.total_affected.sum())
    json.dumps(res.to_dict())


def test_town_centre_zones_fall_in_bone_masamba(admin, population):
    x, y = Transformer.from_crs(4326, 32751, always_xy=True).transform(*MASAMBA_TOWN)
    town = Point(x, y)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["h", "m"], "hazard_class": ["high", "medium"], "class_rank": [3, 2],
         "displacement_rate": [0.05, 0.03]},
        geometry=[town.buffer(800), town.buffer(2000).difference(town.buffer(800))],
        crs=32751)
    res = analyse_exposure(zones, admin=admin, population=population)
    assert len(res.aggregation_summary) == 179
    a = res.aggregation_summary.set_index("admin_code")
    assert a.loc[BONE, "admin_name"] == "Bone"
    assert a.loc[BONE, "affected_high"] > 0
    hit = a[a.total_affected > 0]
    assert MASAMBA_KEC in set(hit.parent_code)
    assert hit.loc[hit.parent_code == MASAMBA_KEC, "total_affected"].sum() > 0.5 * hit[
        "total_affected"].sum()
    # the affected area equals the zones' area (all inside the regency), by hand: pi r^2
    pi = res.population_impact
    high_area = pi.loc[pi.hazard_class == "high", "area_m2"].sum()
    assert high_area == pytest.approx(zones.area.iloc[0], rel=1e-9)
    _check_accounting(res, population)


def test_bundled_observed_flood_per_desa(admin, population):
    _need(HAZARD, "the bundled hazard is written by the hazard step")
    zones = read_vector(HAZARD, to_crs="EPSG:32751")
    if "hazard_class" not in zones.columns:  # the observed footprint: classify it (PetaBencana)
        from kotacerdas_gis.hazard.zones import observed_zones

        zones = observed_zones(zones).zones
    res = analyse_exposure(zones, admin=admin, population=population)
    # every class in the table is one of the zones' classes, or "not exposed"
    assert set(res.hazard_classes.hazard_class) <= set(zones.hazard_class) | {NOT_EXPOSED}
    assert set(zones.hazard_class) <= set(res.hazard_classes.hazard_class)
    a = res.aggregation_summary.set_index("admin_code")
    assert a.loc[BONE, "total_affected"] > 0  # the flood falls in "Bone", kecamatan Masamba
    k = res.aggregation_summary_kecamatan.set_index("admin_code")
    assert k.loc[MASAMBA_KEC, "total_affected"] > 0
    assert (a.total_affected > 0).sum() >= 2  # "among others"
    _check_accounting(res, population)
