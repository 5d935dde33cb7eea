"""The front door: ``import kotacerdas_gis as kc`` gives every public name, lightly."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kotacerdas_gis as kc

#: The public names, pinned: adding or removing one is a decision, made here.
EXPECTED = {
    "__version__",
    # errors
    "CRSError", "CRSMismatchError", "DataError", "InfeasibleProblemError", "KotaCerdasError",
    "KotaCerdasWarning", "ParameterError", "RepairWarning", "SchemaError",
    # inputs
    "load_demo", "read_scenario", "build_scenario", "Scenario", "read_vector", "read_raster",
    # the plan
    "PlanConfig", "PlanResult", "run_plan",
    # hazard
    "get_class_set", "ClassSet", "custom_class_set", "derive_terrain", "streams_layer",
    "observed_zones", "dem_zones", "depth_zones", "combine_zones", "calibrate_hand",
    # exposure and access
    "analyse_exposure", "ExposureResult", "build_road_graph", "flood_road_graph",
    "access_to_facilities", "access_before_after", "closed_facilities", "nearest_facility_times",
    # CRS
    "estimate_working_crs", "require_metric",
    # outputs
    "write_outputs", "plan_summary", "plan_layers", "web_map", "write_web_map",
    "write_geopackage", "write_report",
}

HEAVY = ("folium", "rasterio", "geopandas", "scipy", "pyflwdir", "exactextract", "matplotlib",
         "fiona", "pyogrio", "numba", "spopt", "networkx")


def test_all_is_pinned() -> None:
    assert set(kc.__all__) == EXPECTED
    assert len(kc.__all__) == len(set(kc.__all__))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_public_name_resolves(name: str) -> None:
    obj = getattr(kc, name)
    assert obj is not None
    if callable(obj) and not isinstance(obj, type):
        assert obj.__doc__, f"kc.{name} has no docstring"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'run_plann'"):
        kc.run_plann  # noqa: B018


def test_import_is_light() -> None:
    code = (
        "import sys, kotacerdas_gis\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import kotacerdas_gis pulled in {out.stdout.strip()}"


def test_writers_take_data_then_path(tmp_path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    pts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(0, 0)], crs=32751)
    with pytest.raises(kc.ParameterError, match=r"\(data, path\)"):
        kc.write_geopackage(tmp_path / "x.gpkg", {"pts": pts})  # type: ignore[arg-type]
    with pytest.raises(kc.ParameterError, match=r"\(data, path\)"):
        kc.write_report(tmp_path / "r.html", {}, title="t")  # type: ignore[arg-type]
    assert kc.write_geopackage({"pts": pts}, tmp_path / "x.gpkg").exists()


def test_lazy_table_and_all_agree() -> None:
    assert set(kc._LAZY) <= set(kc.__all__)
    assert set(kc.__all__) - set(kc._LAZY) <= {n for n in kc.__all__ if n[0].isupper()
                                               or n == "__version__"}
