"""Tests of kotacerdas_gis.io.raster: lazy windowed reads, errors, atomic tiled writes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

import rasterio
from pyproj import CRS

from kotacerdas_gis.errors import CRSError, DataError, KotaCerdasError
from kotacerdas_gis.io.raster import RasterSource, read_raster, reproject_raster, write_raster

T = Affine(30.0, 0.0, 200_000.0, 0.0, -30.0, 9_720_000.0)


@pytest.fixture
def dem_path(tmp_path):
    arr = np.arange(20 * 30, dtype="float32").reshape(20, 30)
    arr[0, 0] = -9999.0
    write_raster(arr, tmp_path / "dem.tif", transform=T, crs="EPSG:32751", nodata=-9999.0)
    return tmp_path / "dem.tif"


def test_roundtrip_metadata_and_values(dem_path):
    src = read_raster(dem_path)
    assert (src.width, src.height, src.res, src.nodata) == (30, 20, (30.0, 30.0), -9999.0)
    assert src.crs.to_epsg() == 32751
    assert src.bounds == (200_000.0, 9_720_000.0 - 600, 200_900.0, 9_720_000.0)
    raw = src.read()
    assert raw[0, 0] == -9999.0 and raw[1, 2] == 32.0
    f = src.read(as_float=True)
    assert f.dtype == np.float32 and np.isnan(f[0, 0]) and f[19, 29] == 599.0
    assert "dem.tif" in repr(src) and "EPSG:32751" in repr(src)


def test_source_is_lazy_and_holds_no_array(dem_path):
    src = read_raster(dem_path)
    assert not any(isinstance(getattr(src, f.name), np.ndarray) for f in dataclasses.fields(src))
    dem_path.unlink()
    with pytest.raises(DataError, match="dem.tif"):
        src.read()


def test_read_by_window_and_bounds(dem_path):
    src = read_raster(dem_path)
    win = rasterio.windows.Window(3, 2, 4, 5)
    a = src.read(window=win)
    assert a.shape == (5, 4) and a[0, 0] == 2 * 30 + 3
    assert src.window_transform(win) == Affine(30, 0, 200_090, 0, -30, 9_720_000 - 60)
    # bounds of cells 3..6 (x) and rows 2..6, slightly inside the cell edges
    b = (200_090 + 1, 9_720_000 - 210 + 1, 200_210 - 1, 9_720_000 - 60 - 1)
    assert np.array_equal(src.read(bounds=b), a)


def test_bounds_outside_name_the_missing_extent(dem_path):
    src = read_raster(dem_path)
    with pytest.raises(DataError, match=r"300 m west.*covers the study area") as e:
        src.read(bounds=(199_700, 9_719_500, 200_500, 9_719_900))
    assert "dem.tif" in str(e.value)
    with pytest.raises(DataError, match="100 m north"):
        src.require_covers((200_000, 9_719_500, 200_500, 9_720_100))
    src.require_covers(src.bounds)  # exactly the raster: fine


def test_missing_corrupt_no_crs_and_geographic(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_raster(tmp_path / "nope.tif")
    bad = tmp_path / "corrupt.tif"
    bad.write_bytes(b"II*\x00 this is not a tiff")
    with pytest.raises(DataError, match="corrupt.tif"):
        read_raster(bad)
    arr = np.ones((4, 4), dtype="float32")
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="float32", transform=T) as ds:
        ds.write(arr, 1)
    with pytest.raises(CRSError, match="no CRS"):
        read_raster(nocrs)
    geo = write_raster(arr, tmp_path / "geo.tif",
                       transform=Affine(0.001, 0, 120.3, 0, -0.001, -2.5), crs="EPSG:4326")
    with pytest.raises(CRSError, match=r"geographic EPSG:4326.*reproject_raster\(.*resampling="):
        read_raster(geo.path)
    assert read_raster(geo.path, require_metric=False).crs.is_geographic


def test_errors_are_of_the_family(tmp_path):
    with pytest.raises(KotaCerdasError):
        read_raster(tmp_path / "nope.tif")
    with pytest.raises(ValueError):  # DataError is a ValueError too
        read_raster(tmp_path / "nope.tif")


def test_write_is_tiled_compressed_and_atomic(tmp_path):
    arr = np.random.default_rng(0).random((40, 50)).astype("float32")
    arr[3, 4] = np.nan
    out = tmp_path / "out.tif"
    src = write_raster(arr, out, transform=T, crs=32751, nodata=-9999.0, block_size=16)
    with rasterio.open(out) as ds:
        assert ds.profile["tiled"] and ds.profile["compress"] == "deflate"
        assert ds.block_shapes[0] == (16, 16)
    assert np.isnan(src.read(as_float=True)[3, 4])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    before = out.read_bytes()
    with pytest.raises(ValueError, match="2-D"):
        write_raster(np.zeros((2, 2, 2)), out, transform=T, crs=32751)
    assert out.read_bytes() == before  # the earlier file is untouched
    # bool and integer arrays
    b = write_raster(arr > 0.5, tmp_path / "mask.tif", transform=T, crs=32751)
    assert b.dtype == "uint8"


def test_integer_raster_as_float_nodata_to_nan(tmp_path):
    arr = np.array([[1, 2], [-32768, 4]], dtype="int16")
    src = write_raster(arr, tmp_path / "i.tif", transform=T, crs=32751, nodata=-32768)
    assert src.dtype == "int16"
    f = src.read(as_float=True)
    assert f.dtype == np.float32 and np.isnan(f[1, 0]) and f[1, 1] == 4.0


def test_reproject_raster_bilinear(tmp_path):
    # a constant DEM in EPSG:4326 around Masamba stays constant after bilinear warping
    arr = np.full((60, 60), 42.0, dtype="float32")
    geo = write_raster(arr, tmp_path / "geo.tif",
                       transform=Affine(0.0005, 0, 120.32, 0, -0.0005, -2.53),
                       crs="EPSG:4326", nodata=-9999.0)
    out = reproject_raster(read_raster(geo.path, require_metric=False), tmp_path / "utm.tif",
                           crs="EPSG:32751", resampling="bilinear", resolution_m=30.0,
                           block_size=16)
    assert out.crs.to_epsg() == 32751 and out.res == (30.0, 30.0)
    vals = out.read(as_float=True)
    assert np.nanmin(vals) == pytest.approx(42.0) and np.nanmax(vals) == pytest.approx(42.0)
    assert np.isfinite(vals).mean() > 0.9
    with pytest.raises(ValueError, match="bilinear, cubic"):
        reproject_raster(geo, tmp_path / "x.tif", crs=32751, resampling="linear")  # type: ignore[arg-type]


def _source(width: int, height: int) -> RasterSource:
    return RasterSource(
        __import__("pathlib").Path("x.tif"), "x", CRS.from_epsg(32751),
        Affine(10, 0, 0, 0, -10, height * 10.0), width, height, None, "float32",
        (0.0, 0.0, width * 10.0, height * 10.0), (10.0, 10.0))


@settings(max_examples=60, deadline=None)
@given(w=st.integers(1, 40), h=st.integers(1, 40), block=st.integers(1, 17),
       overlap=st.integers(0, 5))
def test_iter_windows_tile_exactly_once_with_overlap(w, h, block, overlap):
    src = _source(w, h)
    count = np.zeros((h, w), dtype=int)
    for read, core in src.iter_windows(block_size=block, overlap=overlap):
        count[core.row_off:core.row_off + core.height, core.col_off:core.col_off + core.width] += 1
        # the read window contains the core plus up to `overlap` cells, inside the raster
        assert read.col_off <= core.col_off and read.row_off <= core.row_off
        assert read.col_off + read.width >= core.col_off + core.width
        assert read.row_off + read.height >= core.row_off + core.height
        assert core.col_off - read.col_off == min(overlap, core.col_off)
        assert read.col_off + read.width == min(core.col_off + core.width + overlap, w)
        assert read.row_off >= 0 and read.row_off + read.height <= h
    assert (count == 1).all()
