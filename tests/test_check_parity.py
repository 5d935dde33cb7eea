"""`kotacerdas check` makes the checks `run` makes, up front (issue 12).

A scenario that `check` calls OK never fails `run` on its inputs; a scenario `run` refuses is
refused before anything is computed or written, and `check` reports the same problem. The
output folder is checked before any computation in `run` and `demo`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from typer.testing import CliRunner

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.cli import app
from kotacerdas_gis.errors import DataError, OutputError
from kotacerdas_gis.io.atomic import check_output_folder
from kotacerdas_gis.io.manifest import read_scenario
from kotacerdas_gis.io.raster import write_raster
from kotacerdas_gis.preflight import require_valid, validate_scenario
from kotacerdas_gis.testing import TINY_X0, TINY_Y0, valley_dem

runner = CliRunner()
X0, Y0 = TINY_X0, TINY_Y0
CELL = 20.0


def write_tiny(folder: Path) -> Path:
    """Two desa, houses, a road, a Puskesmas, people, a footprint and a valley DEM, on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(
        {"admin_code": ["73.22.03.2001", "73.22.03.2002"], "admin_name": ["Bone", "Kappuna"],
         "admin_level": "desa", "parent_code": "73.22.03"},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=32751,
    ).to_file(folder / "desa.gpkg")
    houses = [box(X0 + 100 + 90 * i, Y0 + 300, X0 + 110 + 90 * i, Y0 + 310) for i in range(20)]
    gpd.GeoDataFrame(
        {"building_id": [f"b{i}" for i in range(20)], "building": ["house"] * 19 + ["school"]},
        geometry=houses, crs=32751,
    ).to_file(folder / "buildings.gpkg")
    gpd.GeoDataFrame(
        {"road_id": ["r1", "r2"], "highway": ["trunk", "residential"],
         "name": ["Jalan Trans Sulawesi", "Jalan Desa"], "bridge": ["tidak", "ya"]},
        geometry=[LineString([(X0, Y0 + 280), (X0 + 2000, Y0 + 280)]),
                  LineString([(X0 + 1000, Y0 + 280), (X0 + 1000, Y0 + 900)])],
        crs=32751,
    ).to_file(folder / "roads.gpkg")
    gpd.GeoDataFrame(
        {"facility_id": ["f1"], "name": ["Puskesmas Masamba"], "facility_type": ["Puskesmas"],
         "capacity_persons": ["40 orang"]},
        geometry=[Point(X0 + 1500, Y0 + 290)], crs=32751,
    ).to_file(folder / "facilities.gpkg")
    gpd.GeoDataFrame(
        {"flood_id": ["f1"], "depth_min_m": ["0,5"], "depth_max_m": ["1,5"],
         "material": ["mud"]},
        geometry=[box(X0 + 900, Y0, X0 + 1100, Y0 + 1000)], crs=32751,
    ).to_file(folder / "flood.gpkg")
    (folder / "pop.csv").write_text(
        "admin_code,population,female\n73.22.03.2001,1.200,600\n73.22.03.2002,3.483,1.700\n",
        encoding="utf-8",
    )
    z = valley_dem(rows=60, cols=101, cell_m=CELL, side_slope=0.05, valley_slope=0.01)
    write_raster(z, folder / "dem.tif", transform=Affine(CELL, 0, X0, 0, -CELL, Y0 + 60 * CELL),
                 crs="EPSG:32751", nodata=-9999.0)
    manifest = {
        "name": "tiny on disk",
        "crs": "EPSG:32751",
        "layers": {
            "admin_desa": {"path": "desa.gpkg"},
            "buildings": {"path": "buildings.gpkg"},
            "roads": {"path": "roads.gpkg"},
            "facilities": {"path": "facilities.gpkg"},
            "observed_flood_2020": {"path": "flood.gpkg"},
            "population": {"path": "pop.csv"},
            "dem": {"path": "dem.tif"},
        },
    }
    path = folder / "scenario.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    # the valley has one stream cell near a road: one water-level gauge can be sited
    (folder / "plan.toml").write_text("# tiny valley\n[sensors]\nn_water_level = 1\n",
                                      encoding="utf-8")
    return path


def _edit(path: Path, fn: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _empty_dem(m: Path) -> None:
    (m.parent / "dem.tif").write_bytes(b"")


def _geojson_dem(m: Path) -> None:
    gpd.read_file(m.parent / "desa.gpkg").to_file(m.parent / "dem.geojson")
    _edit(m, lambda d: d["layers"]["dem"].update(path="dem.geojson"))


def _dem_in_degrees(m: Path) -> None:
    z = np.full((10, 10), 10.0, dtype=np.float32)
    write_raster(z, m.parent / "dem.tif", transform=Affine(0.001, 0, 120.3, 0, -0.001, -2.5),
                 crs="EPSG:4326", nodata=-9999.0)


def _dry_footprint(m: Path) -> None:
    fp = gpd.read_file(m.parent / "flood.gpkg")
    fp["depth_min_m"], fp["depth_max_m"] = "-1", "-0,5"
    fp.to_file(m.parent / "flood.gpkg")


def _url_name(m: Path) -> None:
    _edit(m, lambda d: d.update(name="Masamba https://example.org/banjir"))


def _stray_population(m: Path) -> None:
    (m.parent / "pop.csv").write_text("admin_code,population\n73.22.03.9999,10\n")


def _duplicate_codes(m: Path) -> None:
    desa = gpd.read_file(m.parent / "desa.gpkg")
    desa["admin_code"] = "73.22.03.2001"
    desa.to_file(m.parent / "desa.gpkg")


def _bridge_unknown(m: Path) -> None:
    roads = gpd.read_file(m.parent / "roads.gpkg")
    roads["bridge"] = ["mungkin", "ya"]
    roads.to_file(m.parent / "roads.gpkg")


def _capacity_text(m: Path) -> None:
    fac = gpd.read_file(m.parent / "facilities.gpkg")
    fac["capacity_persons"] = "sekitar 40"
    fac.to_file(m.parent / "facilities.gpkg")


def _missing_female(m: Path) -> None:
    (m.parent / "pop.csv").write_text(
        "admin_code,population,female\n73.22.03.2001,1200,\n73.22.03.2002,3483,1700\n")


def _quoted_boolean(m: Path) -> None:
    _edit(m, lambda d: d.update(demonstration="false"))


def _misspelt_key(m: Path) -> None:
    _edit(m, lambda d: d.update(demonstraton=True))


def _unknown_focus_area(m: Path) -> None:
    # matched only by the summary, after plan.gpkg was written
    text = (m.parent / "plan.toml").read_text(encoding="utf-8")
    (m.parent / "plan.toml").write_text('focus_area = "Bonee"\n' + text, encoding="utf-8")


def _unknown_class_set_footprint_only(m: Path) -> None:
    # no DEM: the footprint alone gives the hazard; fine
    _edit(m, lambda d: d["layers"].pop("dem"))


BROKEN: dict[str, Callable[[Path], None]] = {
    "0-byte DEM": _empty_dem,
    "GeoJSON as DEM": _geojson_dem,
    "DEM in degrees": _dem_in_degrees,
    "footprint all dry": _dry_footprint,
    "URL in the name": _url_name,
    "population codes match no desa": _stray_population,
    "duplicate admin codes": _duplicate_codes,
    "bridge neither yes nor no": _bridge_unknown,
    "capacity not a number": _capacity_text,
    "missing female count": _missing_female,
    "quoted boolean in manifest": _quoted_boolean,
    "misspelt top-level key": _misspelt_key,
    "focus area matching no unit": _unknown_focus_area,
}
FINE: dict[str, Callable[[Path], None]] = {
    "as written (Indonesian numbers, ya/tidak, units)": lambda m: None,
    "no DEM": _unknown_class_set_footprint_only,
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_refuses_what_run_refuses_before_computing(tmp_path: Path, case: str) -> None:
    manifest = write_tiny(tmp_path / "in")
    BROKEN[case](manifest)
    cfg = str(manifest.parent / "plan.toml")
    checked = runner.invoke(app, ["check", str(manifest), "--config", cfg])
    out = tmp_path / "out"
    ran = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--config", cfg])
    assert checked.exit_code in (1, 2), checked.output  # a problem (1) or an error (2)
    assert "scenario OK" not in checked.output
    assert ran.exit_code == 2, ran.output  # a clear error, no traceback
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    assert not out.exists(), f"{case}: run wrote {sorted(out.iterdir())} before refusing"


@pytest.mark.parametrize("case", sorted(FINE))
def test_what_check_calls_ok_runs(tmp_path: Path, case: str) -> None:
    manifest = write_tiny(tmp_path / "in")
    FINE[case](manifest)
    cfg = str(manifest.parent / "plan.toml")
    checked = runner.invoke(app, ["check", str(manifest), "--config", cfg])
    assert checked.exit_code == 0, checked.output
    assert "scenario OK" in checked.output
    out = tmp_path / "out"
    ran = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--config", cfg])
    assert ran.exit_code == 0, ran.output
    assert (out / "plan.gpkg").exists() and (out / "summary.json").exists()


def test_the_tiny_scenario_is_read_with_its_quirks_counted(tmp_path: Path) -> None:
    sc = read_scenario(write_tiny(tmp_path))
    assert sc.population["population"].tolist() == [1200, 3483]  # not 1.2 and 3.483
    assert sc.population["female"].tolist() == [600, 1700]
    assert sc.roads["bridge"].tolist() == [False, True]  # "tidak" is no bridge
    assert sc.facilities["capacity_persons"].tolist() == [40]
    assert sc.observed_flood_2020["depth_max_m"].tolist() == [1.5]
    report = validate_scenario(sc)
    assert report.ok, report.problems
    steps = {s["step"]: s for s in report.accounting}
    assert steps["check population"]["reasons_repaired"] == {
        "population: thousands separator '.' read (Indonesian format, e.g. '3.483' -> 3483)": 2,
        "female: thousands separator '.' read (Indonesian format, e.g. '3.483' -> 3483)": 1}
    assert "classify observed flood footprint" in steps  # the footprint is classified by check


def test_require_valid_lists_every_problem(tmp_path: Path) -> None:
    manifest = write_tiny(tmp_path)
    _url_name(manifest)
    _empty_dem(manifest)
    sc = read_scenario(manifest)
    with pytest.raises(DataError, match=r"contains the URL.*\| dem: dem: could not read raster"):
        require_valid(sc)


# ------------------------------------------------------------------------- output folder


def test_out_that_is_a_file_is_refused_before_computing(tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    target.write_text("not a folder")
    ran = runner.invoke(app, ["run", str(write_tiny(tmp_path / "in")), "--out", str(target)])
    assert ran.exit_code == 3, ran.output
    text = " ".join(ran.output.split())
    assert "plan.txt: it is a file, not a folder" in text
    assert "reading the scenario" not in text and "planning" not in text
    assert target.read_text() == "not a folder"


def test_demo_out_under_a_file_is_refused_before_computing(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    ran = runner.invoke(app, ["demo", "--out", str(tmp_path / "f" / "plan")])
    assert ran.exit_code == 3, ran.output
    assert "f is a file, not a folder" in " ".join(ran.output.split())


def test_unwritable_out_is_refused_before_computing(tmp_path: Path) -> None:
    # /proc refuses new files even to root: a real unwritable place, no mock
    ran = runner.invoke(app, ["demo", "--out", "/proc/kotacerdas-plan"])
    assert ran.exit_code == 3, ran.output
    assert "cannot write outputs to /proc/kotacerdas-plan" in " ".join(ran.output.split())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only folders; /proc covers the case")
def test_read_only_out_folder_is_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            check_output_folder(ro)
    finally:
        ro.chmod(0o700)


def test_check_with_out_checks_the_folder(tmp_path: Path) -> None:
    manifest = write_tiny(tmp_path / "in")
    target = tmp_path / "file"
    target.write_text("x")
    checked = runner.invoke(app, ["check", str(manifest), "--out", str(target)])
    assert checked.exit_code == 3 and "not a folder" in checked.output
    assert runner.invoke(app, ["check", str(manifest), "--out", str(tmp_path / "o")]).exit_code == 0
    assert not (tmp_path / "o").exists()  # the check creates nothing


def test_population_table_frame_is_not_modified(tmp_path: Path) -> None:
    manifest = write_tiny(tmp_path)
    before = (tmp_path / "pop.csv").read_bytes()
    read_scenario(manifest)
    assert (tmp_path / "pop.csv").read_bytes() == before
    assert pd.read_csv(tmp_path / "pop.csv", dtype=str)["population"].tolist() == ["1.200", "3.483"]


def test_more_gauges_than_candidates_skips_sensors_instead_of_failing(tmp_path: Path) -> None:
    """More gauges than candidates: sensor siting is skipped with the reason.

    The default 3 water-level gauges on a valley with fewer candidates: check said OK,
    so run must finish, with the reason in summary.json.
    """
    manifest = write_tiny(tmp_path / "in")
    checked = runner.invoke(app, ["check", str(manifest)])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "out_defaults"
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    text = json.dumps(summary)
    assert "candidate stream cells" in text
