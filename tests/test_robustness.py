"""Bad input never hangs and never reaches a third-party exception (issue 12, part A).

Inputs that used to loop for ever run in a subprocess with a timeout: a hang fails the
test with ``subprocess.TimeoutExpired`` instead of blocking the suite (no timing assertion).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import DataError
from kotacerdas_gis.outputs.webmap import encode_polyline, web_map

SRC = str(Path(__file__).resolve().parents[1] / "src")
X0, Y0 = 203080.0, 9717839.0
CRS = "EPSG:32751"


def run_guarded(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with this checkout's sources; fail on a hang."""
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("bad", ["inf", "-inf", "nan", "1e300"])
def test_encoder_refuses_non_finite_in_a_subprocess(bad: str) -> None:
    res = run_guarded(
        f"""
        import numpy as np
        from kotacerdas_gis.errors import DataError
        from kotacerdas_gis.outputs.webmap import encode_polyline
        try:
            encode_polyline(np.array([[-2.5, 120.3], [float("{bad}"), 120.4]]), name="rivers")
        except DataError as exc:
            print("DataError:", exc)
        """
    )
    assert res.returncode == 0, res.stderr
    assert "DataError: rivers: 1 of 2 points" in res.stdout


def test_encoder_still_encodes_large_finite_values() -> None:
    # 179.999999 degrees at 6 decimals: 179999999 -> zig-zag 359999998, six 5-bit chunks
    assert len(encode_polyline(np.array([[0.0, 179.999999]]))) == 1 + 6
    with pytest.raises(DataError, match="infinite, NaN or huge"):
        encode_polyline(np.array([[np.nan, 0.0]]))


def test_web_map_names_the_layer_with_infinite_coordinates_in_a_subprocess() -> None:
    res = run_guarded(
        """
        import geopandas as gpd
        from shapely.geometry import LineString
        from kotacerdas_gis.errors import DataError
        from kotacerdas_gis.outputs.webmap import web_map
        inf = float("inf")
        rivers = gpd.GeoDataFrame(
            {"name": ["S. Masamba", "S. Rongkong"]},
            geometry=[LineString([(203080, 9717839), (203180, 9717939)]),
                      LineString([(inf, inf), (inf, inf)])],
            crs="EPSG:32751")
        try:
            web_map({"rivers": rivers}, title="t")
        except DataError as exc:
            print("DataError:", exc)
        """
    )
    assert res.returncode == 0, res.stderr
    assert "DataError: rivers: 1 of 2 features have infinite or NaN" in res.stdout


def test_web_map_refuses_nan_coordinates() -> None:
    pts = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(X0, Y0), Point(np.nan, np.nan)],
        crs=CRS,
    )
    # shapely: Point(nan, nan) is not empty, so it reaches the finite check
    with pytest.raises(DataError, match="facilities: 1 of 2 features"):
        web_map({"facilities": pts}, title="t")


def test_finite_layers_still_draw() -> None:
    ok = gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[LineString([(X0, Y0), (X0 + 10, Y0 + 10)])], crs=CRS
    )
    zones = gpd.GeoDataFrame(
        {"hazard_class": ["high"]}, geometry=[box(X0, Y0, X0 + 5, Y0 + 5)], crs=CRS
    )
    assert (
        "kcLayer(" in web_map({"roads": ok, "hazard_zones": zones}, title="t").get_root().render()
    )


# --- read_vector: non-finite coordinates after reprojection (wrong .prj, swapped axes) ---

READ = """
import warnings
from kotacerdas_gis.errors import DataError
from kotacerdas_gis.io.vector import read_vector, iter_vector_chunks
warnings.simplefilter("ignore")
try:
    if {chunks}:
        list(iter_vector_chunks({path!r}, to_crs="EPSG:32751", chunk_size=2))
    else:
        read_vector({path!r}, to_crs="EPSG:32751")
except DataError as exc:
    print("DataError:", exc)
else:
    print("read")
"""


def _write(tmp_path: Path, pts: list[tuple[float, float]], crs: str, ext: str = "shp") -> Path:
    path = tmp_path / f"facilities.{ext}"
    gpd.GeoDataFrame(
        {"name": [f"F{i}" for i in range(len(pts))]},
        geometry=[Point(x, y) for x, y in pts],
        crs=crs,
    ).to_file(path)
    return path


@pytest.mark.parametrize("chunks", [False, True])
def test_utm_metres_with_a_wgs84_prj_are_refused_with_the_diagnosis(
    tmp_path: Path, chunks: bool
) -> None:
    # UTM 51S metres of Masamba written with a .prj that says EPSG:4326
    path = _write(tmp_path, [(X0, Y0), (X0 + 500, Y0 + 300), (X0 - 200, Y0)], "EPSG:4326")
    res = run_guarded(READ.format(path=str(path), chunks=chunks))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("DataError:"), out
    n = "2 of 2" if chunks else "3 of 3"  # chunks of 2: the first chunk fails
    assert f"{n} features have infinite or NaN coordinates after reprojection" in out
    assert "look like projected metres" in out and ".prj" in out and "assume_crs" in out


def test_swapped_lat_lon_is_refused_with_a_swap_hint(tmp_path: Path) -> None:
    # (lat, lon) written as (x, y): y = 120.3 is no latitude; swapping fits lon/lat
    path = _write(tmp_path, [(-2.55, 120.33), (-2.56, 120.34)], "EPSG:4326", ext="gpkg")
    res = run_guarded(READ.format(path=str(path), chunks=False))
    assert res.returncode == 0, res.stderr
    assert "2 of 2 features have infinite or NaN coordinates" in res.stdout
    assert "swapped" in res.stdout


def test_nan_coordinates_in_the_file_are_a_data_error_not_a_geos_exception(
    tmp_path: Path,
) -> None:
    from kotacerdas_gis.io.vector import read_vector

    path = tmp_path / "f.gpkg"
    gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(X0, Y0), Point(np.nan, 1.0)], crs=CRS
    ).to_file(path)
    with pytest.raises(
        DataError, match=r"1 of 2 features have infinite or NaN coordinates in the file \(rows 1\)"
    ):
        read_vector(path)


def test_correct_lon_lat_still_reads(tmp_path: Path) -> None:
    from kotacerdas_gis.io.vector import read_vector

    path = _write(tmp_path, [(120.33, -2.55)], "EPSG:4326", ext="gpkg")
    gdf = read_vector(path, to_crs=CRS)
    assert round(gdf.geometry.x.iloc[0]) == 203080
