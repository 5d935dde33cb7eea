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
