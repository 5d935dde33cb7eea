"""Raster inputs checked before any computation: kotacerdas_gis.io.raster.validate_raster.

Every raster is written in code (a few cells, hand-computable); each test is one bad input of
docs/robustness.md, "Rasters and boundaries".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from affine import Affine

import geopandas as gpd
import rasterio
from shapely.geometry import box

from kotacerdas_gis.errors import CRSError, DataError, ParameterError
from kotacerdas_gis.io.raster import (
    check_alignment,
    read_raster,
    reproject_raster,
    validate_raster,
    write_raster,
)

X0, Y0 = 200_000.0, 9_720_000.0  # UTM 51S, near Masamba
CELL = 100.0


def dem_array(rows: int = 20, cols: int = 20) -> np.ndarray:
    """Return a plane rising 1 m per cell eastwards from 20 m (20..39 m)."""
    return (20.0 + np.tile(np.arange(cols, dtype="float32"), (rows, 1))).astype("float32")


def write(tmp_path, arr, name="dem.tif", *, x0=X0, y0=Y0, cell=CELL, crs="EPSG:32751",
          nodata=-9999.0):
    return write_raster(arr, tmp_path / name, transform=Affine(cell, 0, x0, 0, -cell, y0),
                        crs=crs, nodata=nodata)


def study_area(width_m: float = 2000.0, height_m: float = 2000.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["study"]},
                            geometry=[box(X0, Y0 - height_m, X0 + width_m, Y0)], crs=32751)


def desa_grid(nx: int, ny: int, size_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Return nx x ny square desa of size_m, from (X0, Y0) east and south; names 'Desa <i>'."""
    geoms, codes, names = [], [], []
    for j in range(ny):
        for i in range(nx):
            k = j * nx + i + 1
            geoms.append(box(X0 + i * size_m, Y0 - (j + 1) * size_m, X0 + (i + 1) * size_m,
                             Y0 - j * size_m))
            codes.append(f"73.22.03.{2000 + k}")
            names.append(f"Desa {k}")
    return gpd.GeoDataFrame({"admin_code": codes, "admin_name": names}, geometry=geoms,
                            crs=32751)


# --------------------------------------------------------------------------------- good input

def test_a_good_dem_passes_with_its_figures(tmp_path):
    src = write(tmp_path, dem_array())
    rep = validate_raster(src, "dem", study_area=study_area(), working_crs="EPSG:32751",
                          admin=desa_grid(2, 2))
    assert (rep.min, rep.max, rep.n_distinct) == (20.0, 39.0, 20)
    assert rep.study_area_covered_frac == pytest.approx(1.0)
    assert rep.admin_uncovered == [] and rep.remarks == []
    assert rep.to_dict()["file"] == "dem.tif"  # no absolute path in the report


def test_unknown_role_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="role"):
        validate_raster(write(tmp_path, dem_array()), "elevation")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- nodata

def test_voids_of_minus_9999_while_nodata_is_0_are_refused(tmp_path):
    """The issue's case: high-hazard area 15.8 -> 69.9 km2 silently; now an error with the fix."""
    arr = dem_array()
    arr[:5, :] = -9999.0  # 100 of 400 cells are voids
    src = write(tmp_path, arr, nodata=0.0)
    with pytest.raises(DataError, match=r"100 of 400 cells read hold -9999, far below the other "
                       r"values \(20 to 39 m\), while the declared nodata is 0.*"
                       r"gdal_edit.py -a_nodata -9999 dem.tif"):
        validate_raster(src, "dem")


def test_the_documented_fix_for_voids_works(tmp_path):
    arr = dem_array()
    arr[:5, :] = -9999.0
    src = write(tmp_path, arr, nodata=0.0)
    fixed = dataclasses.replace(read_raster(src.path), nodata=-9999.0)
    rep = validate_raster(fixed, "dem")
    assert rep.min == 20.0 and rep.n_valid_frac == pytest.approx(0.75)


def test_voids_without_any_declared_nodata_are_refused(tmp_path):
    arr = dem_array().astype("int16")
    arr[0, :3] = -32768
    src = write(tmp_path, arr, nodata=None)
    with pytest.raises(DataError, match=r"3 of 400 cells read hold -32768.*declares no nodata"):
        validate_raster(src, "dem")


def test_negative_depth_markers_are_refused(tmp_path):
    arr = np.full((10, 10), 0.5, "float32")
    arr[0, 0] = -9999.0
    src = write(tmp_path, arr, name="depth.tif", nodata=None)
    with pytest.raises(DataError, match=r"depth.tif: 1 of 100 cells read hold -9999"):
        validate_raster(src, "depth")


def test_negative_people_are_refused(tmp_path):
    arr = np.full((10, 10), 3.0, "float32")
    arr[2, 2] = -1.0
    src = write(tmp_path, arr, name="pop.tif", nodata=None)
    with pytest.raises(DataError, match=r"pop.tif: 1 of 100 cells read hold -1"):
        validate_raster(src, "population")


def test_an_all_nodata_dem_is_refused(tmp_path):
    src = write(tmp_path, np.full((10, 10), -9999.0, "float32"))
    with pytest.raises(DataError, match=r"every cell is nodata \(nodata = -9999.0\)"):
        validate_raster(src, "dem")


# ------------------------------------------------------------------------ wrong kind of data

def test_land_cover_given_as_dem_is_refused(tmp_path):
    lc = (np.arange(400).reshape(20, 20) % 3 + 1).astype("uint8")  # classes 1, 2, 3
    src = write(tmp_path, lc, name="landcover.tif", nodata=255)
    with pytest.raises(DataError, match=r"only 3 distinct whole values \(1, 2, 3\).*classified"):
        validate_raster(src, "dem")


def test_land_cover_given_as_population_is_refused(tmp_path):
    lc = (np.arange(400).reshape(20, 20) % 3 + 1).astype("uint8")
    src = write(tmp_path, lc, name="landcover.tif", nodata=255)
    with pytest.raises(DataError, match=r"population raster holds only 3 distinct.*land cover"):
        validate_raster(src, "population")


def test_a_sparse_whole_number_population_raster_is_accepted(tmp_path):
    """Counts of people are whole numbers too; empty cells (0) tell them from classes."""
    pop = (np.arange(400).reshape(20, 20) % 3).astype("int16")  # 0, 1, 2 people
    rep = validate_raster(write(tmp_path, pop, name="pop.tif", nodata=-1), "population")
    assert rep.max == 2.0


def test_a_dem_in_feet_is_refused_with_the_conversion(tmp_path):
    arr = dem_array() * 400.0  # up to 15,600: no terrain is that high in metres
    with pytest.raises(DataError, match=r"not in metres \(feet\? multiply by 0.3048"):
        validate_raster(write(tmp_path, arr), "dem")


def test_a_dem_tagged_in_feet_is_refused(tmp_path):
    src = write(tmp_path, dem_array())
    with rasterio.open(src.path, "r+") as ds:
        ds.units = ("ft",)
    with pytest.raises(DataError, match=r"tagged in feet \('ft'\).*A\*0.3048"):
        validate_raster(src.path, "dem")


def test_an_empty_file_is_refused(tmp_path):
    p = tmp_path / "dem.tif"
    p.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty file \(0 bytes\), not a DEM"):
        validate_raster(p, "dem")


def test_a_geojson_given_as_dem_is_refused(tmp_path):
    p = tmp_path / "desa.geojson"
    desa_grid(1, 1).to_file(p)
    with pytest.raises(DataError, match=r"is a vector file \(.geojson\), not a DEM"):
        validate_raster(p, "dem")


def test_a_geopackage_of_vectors_given_as_dem_is_refused(tmp_path):
    p = tmp_path / "batas.gpkg"
    desa_grid(1, 1).to_file(p)
    with pytest.raises(DataError, match=r"is a vector file \(.gpkg\), not a DEM"):
        validate_raster(p, "dem")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="not found"):
        validate_raster(tmp_path / "nope.tif", "dem")


# --------------------------------------------------------------------------------- place, CRS

def test_a_dem_300_km_away_is_refused_with_the_distance(tmp_path):
    src = write(tmp_path, dem_array(), x0=X0 + 302_000)  # 300 km east of the study area's edge
    with pytest.raises(DataError, match=r"300 km from the study area: it shows another region"):
        validate_raster(src, "dem", study_area=study_area(), working_crs="EPSG:32751")


def test_a_raster_in_web_mercator_is_told_to_reproject_the_raster(tmp_path):
    """The issue: EPSG:3857 was told to reproject the vectors."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(32751, 3857, always_xy=True).transform(X0, Y0)
    src = write(tmp_path, dem_array(), x0=x, y0=y, crs="EPSG:3857")
    with pytest.raises(CRSError) as exc:
        validate_raster(src, "dem", study_area=study_area(), working_crs="EPSG:32751")
    msg = str(exc.value)
    assert "EPSG:3857" in msg and "Reproject the raster (not the vector layers)" in msg
    assert 'reproject_raster(read_raster("' in msg and 'crs="EPSG:32751"' in msg
    assert 'resampling="bilinear"' in msg


def test_a_population_raster_in_another_crs_is_told_to_use_sum(tmp_path):
    src = write(tmp_path, np.ones((10, 10), "float32"), name="pop.tif", crs="EPSG:32750",
                x0=800_000)
    with pytest.raises(CRSError, match=r'resampling="sum"\) \(\'sum\' keeps the number of '):
        validate_raster(src, "population", working_crs="EPSG:32751")


def test_the_advised_sum_resampling_keeps_the_people(tmp_path):
    pop = np.full((20, 20), 2.0, "float32")  # 800 people on 100 m cells
    src = write(tmp_path, pop, name="pop.tif", crs="EPSG:32751")
    out = reproject_raster(src, tmp_path / "pop_50.tif", crs="EPSG:32750", resampling="sum",
                           resolution_m=200.0)
    total = float(np.nansum(out.read(as_float=True)))
    assert total == pytest.approx(800.0, rel=0.02)


def test_a_geographic_raster_without_working_crs_is_told_to_reproject(tmp_path):
    src = write(tmp_path, dem_array(), x0=120.3, y0=-2.5, cell=0.001, crs="EPSG:4326")
    with pytest.raises(CRSError, match=r"not a projected CRS in metres.*to the UTM zone of its "
                                       r'area \(EPSG:32751 .*crs="EPSG:32751"'):
        validate_raster(src.path, "dem")


# ----------------------------------------------------------------------------------- coverage

def test_population_raster_covering_9_of_60_desa_is_refused_with_names(tmp_path):
    """The issue's case: 51 desa got zero people silently."""
    desa = desa_grid(10, 6)  # 60 desa of 1 km2
    pop = np.full((30, 30), 4.0, "float32")  # 3 x 3 km over desa 1-3, 11-13, 21-23
    src = write(tmp_path, pop, name="pop.tif")
    with pytest.raises(DataError, match=r"no valid cell in 51 of 60 admin units \(Desa 4 "
                       r"\(73.22.03.2004\), Desa 5.*zero people silently"):
        validate_raster(src, "population", admin=desa, working_crs="EPSG:32751")


def test_dem_coverage_of_the_study_area_and_units_is_reported(tmp_path):
    src = write(tmp_path, dem_array(20, 10))  # 1 km wide, 2 km high: the western half
    rep = validate_raster(src, "dem", study_area=study_area(), admin=desa_grid(2, 2),
                          working_crs="EPSG:32751")
    assert rep.study_area_covered_frac == pytest.approx(0.5)
    assert rep.admin_covered_frac == pytest.approx({"73.22.03.2001": 1.0, "73.22.03.2002": 0.0,
                                                    "73.22.03.2003": 1.0, "73.22.03.2004": 0.0})
    assert rep.admin_uncovered == ["Desa 2 (73.22.03.2002)", "Desa 4 (73.22.03.2004)"]
    assert any("cover 50.0% of the study area" in r for r in rep.remarks)


def test_nodata_holes_count_against_coverage(tmp_path):
    arr = dem_array()
    arr[:, 15:] = -9999.0  # the eastern quarter is void (declared)
    rep = validate_raster(write(tmp_path, arr), "dem", admin=desa_grid(2, 1))
    assert rep.admin_covered_frac == pytest.approx({"73.22.03.2001": 1.0, "73.22.03.2002": 0.5})
    assert any("partly covered" in r and "Desa 2 (73.22.03.2002, 50%)" in r for r in rep.remarks)


# ---------------------------------------------------------------------------------- alignment

def test_alignment_names_what_differs(tmp_path):
    dem = write(tmp_path, dem_array())
    depth = write(tmp_path, np.ones((40, 40), "float32"), name="depth.tif", cell=50.0,
                  x0=X0 + 25)
    pop = write(tmp_path, np.ones((10, 10), "float32"), name="pop.tif", crs="EPSG:32750",
                x0=800_000)
    same = write(tmp_path, np.ones((5, 5), "float32"), name="same.tif", x0=X0 + 300)
    diffs = check_alignment({"dem": dem, "depth": depth, "population": pop, "same": same.path})
    assert diffs == [
        "depth: cell size 50 x 50 m differs from dem (100 x 100 m)",
        "depth: its cells are shifted from the dem grid by 25 m in x and 0 m in y (not a whole "
        "number of cells)",
        "population: CRS EPSG:32750 (WGS 84 / UTM zone 50S) differs from dem (EPSG:32751 "
        "(WGS 84 / UTM zone 51S))",
    ]
    with pytest.raises(DataError, match="do not share one grid: depth: cell size"):
        check_alignment({"dem": dem, "depth": depth}, strict=True)
    assert check_alignment({"dem": dem, "same": same}) == []


def test_a_scenario_dem_and_rasters_validated_in_one_call(tmp_path):
    from kotacerdas_gis.io.raster import validate_scenario_rasters
    from kotacerdas_gis.scenario import build_scenario

    d = desa_grid(2, 2)
    d["admin_level"], d["parent_code"] = "desa", "73.22.03"
    dem = write(tmp_path, dem_array())
    depth = write(tmp_path, np.full((40, 40), 0.5, "float32"), name="depth.tif", cell=50.0)
    sc = build_scenario(name="s", admin_desa=d, dem_path=dem.path)
    reports, grids = validate_scenario_rasters(sc, {"depth": (depth.path, "depth")})
    assert sorted(reports) == ["dem", "depth"]
    assert reports["dem"].study_area_covered_frac == pytest.approx(1.0)
    assert grids == ["depth: cell size 50 x 50 m differs from dem (100 x 100 m)"]
    bad = build_scenario(name="s", admin_desa=d, dem_path=write(
        tmp_path, dem_array(), name="far.tif", x0=X0 + 302_000).path)
    with pytest.raises(DataError, match="300 km from the study area"):
        validate_scenario_rasters(bad)


def test_population_raster_in_another_crs_at_analysis_is_told_to_reproject_the_raster(tmp_path):
    from kotacerdas_gis.errors import CRSMismatchError
    from kotacerdas_gis.exposure import population_from_raster, prepare_admin, prepare_zones

    src = write(tmp_path, np.ones((4, 4), "float32"), name="pop.tif", crs="EPSG:3857",
                x0=13_390_000, y0=-283_000)
    zones = prepare_zones(gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                                            "displacement_rate": [0.0]},
                                           geometry=[box(X0, Y0 - 300, X0 + 90, Y0)], crs=32751))
    admin = prepare_admin(desa_grid(1, 1))
    with rasterio.open(src.path) as ds, pytest.raises(
            CRSMismatchError, match=r"Reproject the raster \(not the vector layers\).*"
                                    r'crs="EPSG:32751", resampling="sum"'):
        population_from_raster(ds, zones, admin)


def test_units_without_people_from_the_raster_are_noted_in_the_analysis(tmp_path):
    from kotacerdas_gis.exposure import analyse_exposure

    pop = np.full((10, 10), 1.0, "float32")  # 1 km x 1 km: desa 1 only
    src = write(tmp_path, pop, name="pop.tif")
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                              "displacement_rate": [0.0]},
                             geometry=[box(X0, Y0 - 1000, X0 + 500, Y0)], crs=32751)
    desa = desa_grid(3, 1)
    desa["parent_code"] = "73.22.03"
    with rasterio.open(src.path) as ds:
        r = analyse_exposure(zones, admin=desa, population_raster=ds)
    step = next(s for s in r.report.steps if s.step == "population raster x zones")
    assert any(n.startswith("2 of 3 admin units get no people from the population raster")
               and "Desa 2 (73.22.03.2002), Desa 3 (73.22.03.2003)" in n for n in step.notes)
    assert r.aggregation_summary["population"].sum() == pytest.approx(100.0)


def test_a_dem_in_another_crs_than_the_footprint_is_told_to_reproject_the_dem():
    """The issue: a DEM in EPSG:3857 was told to reproject the vectors."""
    from kotacerdas_gis.crs import require_same_crs
    from kotacerdas_gis.errors import CRSMismatchError

    footprint = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=32751)
    for kwargs in ({"terrain": "EPSG:3857", "footprint": footprint},
                   {"footprint": footprint, "dem": "EPSG:3857"}):
        with pytest.raises(CRSMismatchError,
                           match=r"Reproject the raster (terrain|dem) \(not the vector layers\) "
                                 r'to EPSG:32751: .*reproject_raster\(.*crs="EPSG:32751"'):
            require_same_crs(**kwargs)
