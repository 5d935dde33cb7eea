"""The pipeline and the output contract on a tiny scenario built in code."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
from shapely.geometry import box

from kotacerdas_gis.errors import DataError
from kotacerdas_gis.outputs.bundle import OUTPUT_FILES, write_outputs
from kotacerdas_gis.outputs.summary import plan_summary
from kotacerdas_gis.plan import PlanConfig, run_plan
from kotacerdas_gis.scenario import build_scenario
from kotacerdas_gis.testing import TINY_X0, TINY_Y0, tiny_scenario

X0, Y0 = TINY_X0, TINY_Y0


@pytest.fixture
def tiny():
    return tiny_scenario()


def flooded(tiny, flood: gpd.GeoDataFrame, *, population: bool = True):
    """Return the tiny scenario with an observed flood footprint added."""
    return tiny_scenario(flood=flood, population=population)


def test_outputs_contract(tiny, tmp_path: Path) -> None:
    result = run_plan(tiny, PlanConfig(lang="en"))
    files = write_outputs(result, tmp_path / "out")
    assert sorted(p.name for p in files) == sorted(OUTPUT_FILES)
    # no temporary files left
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)
    layers = [row[0] for row in pyogrio.list_layers(tmp_path / "out" / "plan.gpkg")]
    assert {"admin_desa", "buildings", "roads", "facilities"} <= set(layers)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"]["counts"]["buildings"] == 2
    assert summary["outputs"]["gpkg_layers"] == sorted(set(layers) - {"layer_styles"})
    assert summary["validation"]["ok"] is True
    html = (tmp_path / "out" / "map.html").read_text()
    assert "Puskesmas Masamba" in html
    report = (tmp_path / "out" / "report.html").read_text()
    assert "tiny" in report


def test_plan_refuses_blocking_problems(tiny) -> None:
    bad = build_scenario(
        name="bad",
        admin_desa=tiny.admin_desa,
        population=pd.DataFrame({"admin_code": ["nope"], "population": [1]}),
    )
    with pytest.raises(DataError, match="cannot be planned on: population: 1 admin_code values "
                                        "match no desa"):
        run_plan(bad)


def test_displacement_rates_are_a_parameter(tiny) -> None:
    """900 people live in desa Bone's only house; a 2 m flood (class high) covers it."""
    from kotacerdas_gis.hazard import petabencana_class_set

    flood = gpd.GeoDataFrame(
        {"flood_id": ["f1"], "depth_min_m": [1.5], "depth_max_m": [2.0], "material": ["mud"]},
        geometry=[box(X0 + 50, Y0 + 50, X0 + 200, Y0 + 200)],
        crs=32751,
    )
    sc = flooded(tiny, flood)
    default = plan_summary(run_plan(sc))["key_figures"]
    assert default["displacement_rates"]["high"] == 0.05  # InaSAFE's default
    assert default["people_affected"] == 900
    assert default["people_displaced"] == 45  # 5 % of 900
    custom = plan_summary(run_plan(
        sc, PlanConfig(class_set=petabencana_class_set(displacement_rates=(0, 0.1, 0.3, 0.6)))
    ))
    assert custom["key_figures"]["people_displaced"] == 540  # 60 % of 900
    assert custom["parameters"]["class_set"] == "petabencana_depth"


def test_run_plan_does_not_modify_the_scenario(tiny) -> None:
    flood = gpd.GeoDataFrame(
        {"flood_id": ["f1"], "depth_min_m": [0.7], "depth_max_m": [1.5], "material": ["water"]},
        geometry=[box(X0 + 50, Y0 + 0, X0 + 1600, Y0 + 600)],
        crs=32751,
    )
    sc = flooded(tiny, flood)
    before = {k: v.copy() for k, v in sc.layers().items()}
    pop = sc.population.copy()
    result = run_plan(sc)
    assert result.exposure is not None and result.access is not None
    for name, layer in sc.layers().items():
        pd.testing.assert_frame_equal(layer, before[name], check_like=False)
    pd.testing.assert_frame_equal(sc.population, pop)


def test_only_the_highest_class_cuts_roads_and_closes_health_care(tiny) -> None:
    """A medium-class flood (0.7-1.5 m) over the Puskesmas and the road slows, it does not cut."""

    def plan_with(depth_min_m: float, depth_max_m: float):
        flood = gpd.GeoDataFrame(
            {"depth_min_m": [depth_min_m], "depth_max_m": [depth_max_m]},
            geometry=[box(X0 + 1050, Y0 + 0, X0 + 1600, Y0 + 600)],
            crs=32751,
        )
        return run_plan(flooded(tiny, flood, population=False))

    medium = plan_with(0.7, 1.5)
    assert not medium.access.facilities["closed"].any()
    assert not medium.access.desa["isolated"].any()
    slower = medium.access.desa["travel_time_min_after"] >= medium.access.desa[
        "travel_time_min_before"
    ]
    assert slower.all()
    high = plan_with(1.5, 3.0)
    assert high.access.facilities["closed"].any()  # the only Puskesmas stands in the high zone
    assert set(high.access.desa["status"]) == {"cut by flood"}
