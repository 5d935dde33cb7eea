"""Population from a GeoTIFF population raster through exactextract, by hand-computable numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import geopandas as gpd
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from kotacerdas_gis.errors import CRSMismatchError
from kotacerdas_gis.exposure import population_from_raster, prepare_admin, prepare_zones
from kotacerdas_gis.io.raster import write_raster

X0, Y0 = 200_000.0, 9_710_000.0  # EPSG:32751


@pytest.fixture
def people_tif(tmp_path: Path) -> Path:
    # 10 x 10 cells of 30 m, 3 people per cell: 300 people on 300 m x 300 m
    path = tmp_path / "people.tif"
    write_raster(
        np.full((10, 10), 3.0, dtype="float32"),
        path,
        transform=from_origin(X0, Y0 + 300, 30, 30),
        crs="EPSG:32751",
        nodata=-1.0,
    )
    return path


def west_high_zone() -> gpd.GeoDataFrame:
    """Return one high-class zone (5 % displaced) over the western 90 m of the grid."""
    return prepare_zones(
        gpd.GeoDataFrame(
            {"hazard_class": ["high"], "class_rank": [3], "displacement_rate": [0.05]},
            geometry=[box(X0, Y0, X0 + 90, Y0 + 300)],
            crs=32751,
        )
    )


def test_population_raster_split_by_zone_and_desa(people_tif: Path) -> None:
    zones = west_high_zone()  # the western 90 m (3 columns) of the grid: 90 people
    admin = prepare_admin(
        gpd.GeoDataFrame(
            {"admin_code": ["west", "east"], "admin_name": ["Bone", "Kappuna"]},
            # desa split at x = 150 m: 150 people each
            geometry=[box(X0, Y0, X0 + 150, Y0 + 300), box(X0 + 150, Y0, X0 + 300, Y0 + 300)],
            crs=32751,
        )
    )
    with rasterio.open(people_tif) as src:
        got = population_from_raster(src, zones, admin)
    by = got.groupby(["admin_code", "hazard_class"])["population"].sum()
    assert by[("west", "high")] == pytest.approx(90.0)
    assert by[("west", "not exposed")] == pytest.approx(60.0)
    assert by[("east", "not exposed")] == pytest.approx(150.0)
    assert got["population"].sum() == pytest.approx(300.0)
    assert got.loc[got["hazard_class"] == "high", "displaced"].sum() == pytest.approx(4.5)


def test_population_raster_in_another_crs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "utm50.tif"
    write_raster(
        np.ones((4, 4), dtype="float32"),
        path,
        transform=from_origin(800_000, 9_720_000, 30, 30),
        crs="EPSG:32750",
        nodata=-1.0,
    )
    zones = west_high_zone()
    admin = prepare_admin(
        gpd.GeoDataFrame(
            {"admin_code": ["d"], "admin_name": ["Bone"]},
            geometry=[box(X0, Y0, X0 + 300, Y0 + 300)],
            crs=32751,
        )
    )
    with rasterio.open(path) as src, pytest.raises(CRSMismatchError):
        population_from_raster(src, zones, admin)


def test_missing_displacement_rates_are_counted() -> None:
    from kotacerdas_gis.accounting import StepReport

    zones = gpd.GeoDataFrame(
        {"hazard_class": ["high", "low"], "class_rank": [3, 1], "displacement_rate": [0.05, None]},
        geometry=[box(X0, Y0, X0 + 90, Y0 + 300), box(X0 + 90, Y0, X0 + 180, Y0 + 300)],
        crs=32751,
    )
    report = StepReport("zones")
    out = prepare_zones(zones, report=report)
    assert out["displacement_rate"].tolist() == [0.05, 0.0]
    assert report.reasons_repaired == {"missing displacement_rate taken as 0 (nobody displaced)": 1}
