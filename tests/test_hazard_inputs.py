"""Any hazard layer a BPBD holds: categorical polygons, depth and index rasters, by hand.

Every number here is computable on paper: 30 m cells (900 m2), 100 m squares (10,000 m2),
one person per cell or a stated count per desa.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from affine import Affine

import geopandas as gpd
from shapely.geometry import box

import kotacerdas_gis as kc
from kotacerdas_gis.errors import CRSError, DataError, RepairWarning, SchemaError
from kotacerdas_gis.exposure import (
    analyse_exposure,
    building_hazard_values,
    buildings_raster_exposure,
)
from kotacerdas_gis.hazard import (
    GENERIC,
    INARISK,
    PETABENCANA,
    WET_DRY,
    ClassSet,
    HazardClass,
    custom_class_set,
    depth_zones,
    observed_zones,
)

CRS = 32751
X0, Y0 = 236_415.0, 9_718_005.0
T = Affine(30, 0, X0, 0, -30, Y0)


def sq(i: int, size: float = 100.0):
    """Return the i-th 100 m square along x."""
    return box(X0 + i * size, Y0, X0 + (i + 1) * size, Y0 + size)


# --- comparison: ">= 1.0" puts exactly 1.0 m in the upper class ------------------------------
def at_least_one_metre(comparison: str) -> ClassSet:
    return custom_class_set([1.0], keys=["shallow", "deep"], comparison=comparison)  # type: ignore[arg-type]


def test_depth_raster_cells_at_exactly_one_metre_under_at_least() -> None:
    # 2 x 2 cells: two of exactly 1.0 m, one of 0.5 m, one dry
    d = np.array([[1.0, 1.0], [0.5, 0.0]])
    hz = depth_zones(d, transform=T, crs=CRS, class_set=at_least_one_metre(">="),
                     min_zone_cells=1)
    assert hz.area_by_class_m2() == {"deep": 1800.0, "shallow": 900.0}
    old = depth_zones(d, transform=T, crs=CRS, class_set=at_least_one_metre(">"),
                      min_zone_cells=1)  # the default: 1.0 m stays below "> 1.0"
    assert old.area_by_class_m2() == {"shallow": 2700.0}


def test_comparison_keeps_the_outer_edges() -> None:
    cs = at_least_one_metre(">=")
    # open ends implied: 0 m is dry (lowest edge excluded), anything from 1.0 m up is deep
    assert cs.classify_keys([0.0, 1e-9, 0.999, 1.0, 50.0, math.nan]).tolist() == [
        "none", "shallow", "shallow", "deep", "deep", "none"]
    assert cs.interval_text("shallow") == "0 < v < 1"
    assert cs.interval_text("deep") == "1 <= v"
    # InaRISK index: 0 and 1 stay inside under either rule, 0.33 moves up under ">="
    ge = kc.hazard.inarisk_class_set(comparison=">=")
    assert ge.classify_keys([0.0, 0.33, 0.66, 1.0, 1.01]).tolist() == [
        "low", "medium", "high", "high", "none"]
    assert INARISK.classify_keys([0.0, 0.33, 0.66, 1.0]).tolist() == [
        "low", "low", "medium", "high"]


def test_index_raster_values_above_one_are_counted_not_silently_dry() -> None:
    idx = np.array([[0.2, 0.9], [1.3, np.nan]])
    hz = depth_zones(idx, transform=T, crs=CRS, class_set=INARISK, min_zone_cells=1)
    assert hz.area_by_class_m2() == {"high": 900.0, "low": 900.0}
    assert any("1 cells of depth raster above the highest class (0.66 < v <= 1, up to 1.3)"
               in n for n in hz.report.notes)
    assert any("1 cells without data" in n for n in hz.report.notes)


def test_class_set_written_as_data() -> None:
    cs = kc.hazard.class_set_from_spec({"name": "m", "thresholds": [0.5, 1.0],
                                        "keys": ["low", "medium", "high"], "comparison": ">=",
                                        "affected": [False, True, True]})
    assert cs.classify_keys([0.5, 1.0]).tolist() == ["medium", "high"]
    assert cs.affected_keys == ["medium", "high"]
    with pytest.raises(SchemaError, match=r"unknown key\(s\) \['threshold'\]"):
        kc.hazard.class_set_from_spec({"threshold": [1.0], "keys": ["a", "b"]})
    with pytest.raises(SchemaError, match=r"expected \['thresholds'\]"):
        kc.hazard.class_set_from_spec({"keys": ["a", "b"]})


def test_unknown_comparison_is_refused() -> None:
    with pytest.raises(SchemaError, match="comparison '=>'"):
        custom_class_set([1.0], keys=["a", "b"], comparison="=>")  # type: ignore[arg-type]


# --- categorical polygons through a value map ---------------------------------------------------
def floodprone() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"FLOODPRONE": ["YES", "yes", "NO", "maybe", None]},
        geometry=[sq(0), sq(1), sq(2), sq(3), sq(4)], crs=CRS)


def test_value_map_with_a_value_left_unmapped() -> None:
    with pytest.warns(RepairWarning, match="value not in value_map"):
        hz = observed_zones(floodprone(), class_set=WET_DRY, field="FLOODPRONE",
                            value_map={"wet": ["YES", "yes"], "dry": ["NO", "no"]})
    assert hz.zones["hazard_class"].tolist() == ["wet", "wet"]
    assert hz.zones["area_m2"].sum() == 20_000.0
    r = hz.report
    assert r.reasons_rejected["'FLOODPRONE' value not in value_map"] == 1
    assert r.reasons_rejected["'FLOODPRONE' value mapped to not hazardous (dry)"] == 1
    assert r.reasons_rejected["no value in 'FLOODPRONE'"] == 1
    assert any("'maybe' (1)" in n for n in r.notes)
    assert r.n_out == 2
    with pytest.raises(DataError, match=r"'maybe' \(1\)"):
        observed_zones(floodprone(), class_set=WET_DRY, field="FLOODPRONE",
                       value_map={"wet": ["YES", "yes"], "dry": ["NO", "no"]},
                       unmapped="error")


def test_krb_categories_onto_the_generic_set() -> None:
    krb = gpd.GeoDataFrame({"KRB": ["Tinggi", "Sedang", "Rendah"]},
                           geometry=[sq(0), sq(1), sq(2)], crs=CRS)
    hz = observed_zones(krb, class_set="generic", field="KRB",
                        value_map={"high": ["Tinggi"], "medium": ["Sedang"], "low": ["Rendah"]})
    z = hz.zones.set_index("hazard_class")
    assert z.loc["high", "class_rank"] == 3 and z.loc["low", "class_rank"] == 1
    assert z["affected"].to_dict() == {"high": True, "medium": True, "low": False}
    assert hz.parameters["field"] == "KRB"


def test_numeric_codes_match_as_text() -> None:
    codes = gpd.GeoDataFrame({"kelas": [3, 2.0, 1]}, geometry=[sq(0), sq(1), sq(2)], crs=CRS)
    hz = observed_zones(codes, class_set=GENERIC, field="kelas",
                        value_map={"high": [3], "medium": ["2"], "low": [1]})
    assert sorted(hz.zones["hazard_class"]) == ["high", "low", "medium"]


def test_value_map_errors_name_the_fix() -> None:
    fp = floodprone()
    with pytest.raises(SchemaError, match="value_map key 'banjir' is not a class of 'wet_dry'"):
        observed_zones(fp, class_set=WET_DRY, field="FLOODPRONE", value_map={"banjir": ["YES"]})
    with pytest.raises(SchemaError, match="mapped to two classes"):
        observed_zones(fp, class_set=WET_DRY, field="FLOODPRONE",
                       value_map={"wet": ["YES"], "dry": ["YES"]})
    with pytest.raises(SchemaError, match="expected the field 'FLOOD'"):
        observed_zones(fp, class_set=WET_DRY, field="FLOOD", value_map={"wet": ["YES"]})
    with pytest.raises(SchemaError, match="field= and value_map= go together"):
        observed_zones(fp, class_set=WET_DRY, field="FLOODPRONE")


def test_text_hazard_column_without_value_map_says_which_to_give() -> None:
    # the issue: 151 buildings affected instead of 33 because unset depth columns meant "all wet"
    fp = floodprone()
    with pytest.raises(SchemaError) as err:
        observed_zones(fp, class_set=WET_DRY, depth_min_col=None, depth_max_col=None)
    msg = str(err.value)
    assert "depth_min_col=" in msg and "value_map=" in msg and "FLOODPRONE" in msg
    # a text column given as a depth column: no depth in any polygon, and the hint
    with pytest.raises(DataError, match="no polygon is left"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RepairWarning)
            observed_zones(fp, depth_min_col=None, depth_max_col="FLOODPRONE")


def test_every_polygon_rule_is_stated_and_recorded() -> None:
    hz = observed_zones(floodprone()[["geometry"]], class_set=WET_DRY, depth_min_col=None,
                        depth_max_col=None, every_polygon="wet")
    assert len(hz.zones) == 5
    assert hz.parameters["every_polygon"] == "wet"
    assert any("every polygon is 'wet'" in n for n in hz.report.notes)


def test_footprint_without_depth_max_is_counted() -> None:
    fp = gpd.GeoDataFrame({"depth_min_m": [0.8, 0.2], "depth_max_m": [np.nan, 0.5]},
                          geometry=[sq(0), sq(2)], crs=CRS)
    with pytest.warns(RepairWarning):
        hz = observed_zones(fp)
    assert hz.zones["hazard_class"].tolist() == ["medium", "low"]  # 0.8 m by its depth_min_m
    assert hz.report.reasons_repaired["no depth_max_m: classed by depth_min_m"] == 1


# --- affected flag: generic low is exposed but not affected -------------------------------------
def test_generic_low_exposed_but_not_affected() -> None:
    assert GENERIC["low"].affected is False and GENERIC["low"].displacement_rate == 0.0
    zones = gpd.GeoDataFrame(
        {"KRB": ["Rendah", "Tinggi"]}, geometry=[sq(0), sq(1)], crs=CRS)
    hz = observed_zones(zones, class_set=GENERIC, field="KRB",
                        value_map={"low": ["Rendah"], "high": ["Tinggi"]})
    # three houses: one in low, one in high, one outside; a desa of 400 m x 100 m, 400 people
    b = gpd.GeoDataFrame({"asset_id": ["in_low", "in_high", "out"],
                          "exposure_class": ["residential"] * 3},
                         geometry=[box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20),
                                   box(X0 + 110, Y0 + 10, X0 + 120, Y0 + 20),
                                   box(X0 + 310, Y0 + 10, X0 + 320, Y0 + 20)], crs=CRS)
    admin = gpd.GeoDataFrame({"admin_code": ["d1"], "admin_name": ["Bone"],
                              "parent_code": ["k1"]},
                             geometry=[box(X0, Y0, X0 + 400, Y0 + 100)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["d1"], "population": [400]})
    res = analyse_exposure(hz.zones, buildings=b, admin=admin, population=pop,
                           population_method="area")
    ib = res.impact_buildings.set_index("asset_id")
    assert ib.loc["in_low", "exposed"] and not ib.loc["in_low", "affected"]
    assert ib.loc["in_high", "affected"] and not ib.loc["out", "exposed"]
    est = res.exposure_summary_table
    row = est[(est["exposure"] == "buildings") & (est["exposure_class"] == "residential")].iloc[0]
    assert (row["total_affected"], row["total_not_affected"], row["total_not_exposed"]) == (
        1, 1, 1)
    a = res.aggregation_summary.set_index("admin_code").loc["d1"]
    assert a["buildings_affected"] == 1 and a["buildings_not_affected"] == 1
    # people by area: 100 in low (exposed, not affected), 100 in high, 200 outside
    assert a["total_affected"] == pytest.approx(100.0)
    assert a["total_not_affected"] == pytest.approx(100.0)
    assert a["displaced"] == pytest.approx(100 * GENERIC["high"].displacement_rate)
    s = res.analysis_summary.iloc[0]
    assert s["buildings_affected"] == 1 and s["total_affected"] == pytest.approx(100.0)


def test_not_affected_class_cannot_displace() -> None:
    with pytest.raises(SchemaError, match="not affected but has displacement_rate"):
        ClassSet("bad", (HazardClass("low", 1, "Rendah", "Low", 0, 1, "#FFFFB2", 0.01,
                                     affected=False),))
    z = gpd.GeoDataFrame({"hazard_class": ["low"], "class_rank": [1],
                          "displacement_rate": [0.01], "affected": [False]},
                         geometry=[sq(0)], crs=CRS)
    with pytest.raises(SchemaError, match="not affected but have a 'displacement_rate'"):
        kc.exposure.prepare_zones(z)


def test_zones_affected_flag_must_be_boolean() -> None:
    z = gpd.GeoDataFrame({"hazard_class": ["low"], "class_rank": [1],
                          "affected": ["no"]}, geometry=[sq(0)], crs=CRS)
    with pytest.raises(SchemaError, match="expected True/False in 'affected'"):
        kc.exposure.prepare_zones(z)


# --- buildings classed from a raster by max, mean or centroid ---------------------------------
def test_buildings_by_max_mean_or_centroid_of_a_depth_raster() -> None:
    # two cells: 0.4 m and 1.0 m; a house straddles both halves
    depth = (np.array([[0.4, 1.0]]), T)
    b = gpd.GeoDataFrame({"asset_id": ["h"], "exposure_class": ["residential"]},
                         geometry=[box(X0 + 15, Y0 - 20, X0 + 45, Y0 - 10)], crs=CRS)
    cs = at_least_one_metre(">=")
    by = {s: buildings_raster_exposure(b, depth, class_set=cs, statistic=s).iloc[0]
          for s in ("max", "mean", "centroid")}
    assert by["max"]["hazard_value"] == 1.0 and by["max"]["hazard_class"] == "deep"
    assert by["mean"]["hazard_value"] == pytest.approx(0.7)  # half of each cell
    assert by["mean"]["hazard_class"] == "shallow"
    # centroid at x = 30 m, the shared edge: bilinear halfway between the centres (15 and 45 m)
    assert by["centroid"]["hazard_value"] == pytest.approx(0.7)
    assert bool(by["max"]["affected"]) and bool(by["mean"]["exposed"])


def test_centroid_of_an_index_raster_is_not_blended() -> None:
    idx = (np.array([[0.2, 0.9]]), T)
    b = gpd.GeoDataFrame({"asset_id": ["h"]},
                         geometry=[box(X0 + 31, Y0 - 20, X0 + 41, Y0 - 10)], crs=CRS)
    v = building_hazard_values(b, idx, statistic="centroid", value_name="index")
    assert v.tolist() == [0.9]  # the cell's own value (nearest), not a blend
    out = buildings_raster_exposure(b, idx, class_set=INARISK, statistic="centroid")
    assert out["hazard_class"].tolist() == ["high"]
    assert out["exposure_class"].tolist() == ["other"]


def test_bad_statistic_is_a_parameter_error() -> None:
    b = gpd.GeoDataFrame({"asset_id": ["h"]}, geometry=[sq(0)], crs=CRS)
    with pytest.raises(kc.ParameterError, match="statistic"):
        building_hazard_values(b, (np.ones((2, 2)), T), statistic="median")  # type: ignore[arg-type]


# --- CRS: Web Mercator and far-from-true scales are refused -------------------------------------
def test_web_mercator_is_refused_for_measurement_with_the_utm_fix() -> None:
    jakarta = gpd.GeoDataFrame({"FLOODPRONE": ["YES"]},
                               geometry=[box(106.80, -6.25, 106.85, -6.20)], crs=4326)
    with pytest.raises(CRSError) as err:
        observed_zones(jakarta.to_crs(3857), class_set=WET_DRY, field="FLOODPRONE",
                       value_map={"wet": ["YES"]})
    msg = str(err.value)
    assert "Web Mercator" in msg and "EPSG:32748" in msg and "0.6" in msg
    ok = observed_zones(jakarta.to_crs(32748), class_set=WET_DRY, field="FLOODPRONE",
                        value_map={"wet": ["YES"]})
    assert len(ok.zones) == 1


def test_utm_zone_far_from_the_data_is_refused() -> None:
    jakarta = gpd.GeoDataFrame(geometry=[box(106.80, -6.25, 106.85, -6.20)], crs=4326)
    with pytest.raises(CRSError, match=r"4.1 % from true scale.*EPSG:32748"):
        kc.crs.require_metric(jakarta.to_crs(32751), name="banjir")


def test_petabencana_default_is_unchanged() -> None:
    assert PETABENCANA.comparison == ">"
    assert PETABENCANA.classify_keys([1.5]).tolist() == ["medium"]


# --- the manifest's "hazard" layer and `kotacerdas check` ---------------------------------------
def write_study(tmp_path, hazard_spec: dict, *, hazard=None, raster=None):
    """One desa of 400 m x 100 m, a house in each 100 m square, a hazard layer and a manifest."""
    import json

    from kotacerdas_gis.io.raster import write_raster

    desa = gpd.GeoDataFrame({"admin_code": ["73.22.03.2001"], "admin_name": ["Bone"],
                             "admin_level": ["desa"], "parent_code": ["73.22.03"]},
                            geometry=[box(X0, Y0, X0 + 400, Y0 + 100)], crs=CRS)
    desa.to_file(tmp_path / "desa.gpkg")
    houses = gpd.GeoDataFrame({"building_id": ["h0", "h1", "h2", "h3"],
                               "building": ["house"] * 4},
                              geometry=[box(X0 + 10 + 100 * i, Y0 + 10, X0 + 20 + 100 * i,
                                            Y0 + 20) for i in range(4)], crs=CRS)
    houses.to_file(tmp_path / "buildings.gpkg")
    layers = {"admin_desa": {"path": "desa.gpkg"}, "buildings": {"path": "buildings.gpkg"}}
    if hazard is not None:
        hazard.to_file(tmp_path / "hazard.gpkg")
        layers["hazard"] = {"path": "hazard.gpkg", **hazard_spec}
    if raster is not None:
        arr, transform = raster
        write_raster(arr.astype("float32"), tmp_path / "depth.tif", transform=transform,
                     crs=f"EPSG:{CRS}", nodata=-9999.0)
        layers["hazard"] = {"path": "depth.tif", **hazard_spec}
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"name": "hazard inputs", "crs": f"EPSG:{CRS}",
                                "layers": layers}))
    return path


FLOODPRONE_SPEC = {"class_set": "wet_dry", "field": "FLOODPRONE",
                   "value_map": {"wet": ["YES", "yes"], "dry": ["NO", "no"]}}


def floodprone_houses() -> gpd.GeoDataFrame:
    # squares 0 and 1 wet (YES, yes), 2 dry, 3 'maybe' (unmapped)
    return gpd.GeoDataFrame({"FLOODPRONE": ["YES", "yes", "NO", "maybe"]},
                            geometry=[sq(0), sq(1), sq(2), sq(3)], crs=CRS)


def test_manifest_categorical_hazard_through_check_and_plan(tmp_path) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    path = write_study(tmp_path, FLOODPRONE_SPEC, hazard=floodprone_houses())
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "hazard (polygons): 2 zones, class set 'wet_dry'" in out
    assert "value not in value_map" in out and "'maybe' (1)" in out
    sc = kc.read_scenario(path)
    assert sc.hazard_description()["field"] == "FLOODPRONE"
    res = kc.run_plan(sc)
    ib = res.exposure.impact_buildings.set_index("building_id")
    # the bug: with the depth columns unset every polygon was wet (all four affected)
    assert ib["affected"].to_dict() == {"h0": True, "h1": True, "h2": False, "h3": False}
    assert res.hazard.source == "hazard"


def test_manifest_hazard_with_a_bad_value_map_is_a_check_problem(tmp_path) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    spec = {**FLOODPRONE_SPEC, "class_set": "petabencana"}  # no 'wet' class there
    path = write_study(tmp_path, spec, hazard=floodprone_houses())
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "value_map key 'wet' is not a class of 'petabencana_depth'" in " ".join(
        result.output.split())


def test_manifest_depth_raster_with_at_least_thresholds(tmp_path) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    # 100 m cells under the four squares: 1.0 m (exactly), 0.4 m, 0 m, 2.0 m
    depth = (np.array([[1.0, 0.4, 0.0, 2.0]]), Affine(100, 0, X0, 0, -100, Y0 + 100))
    spec = {"class_set": {"name": "one_metre", "thresholds": [1.0],
                          "keys": ["shallow", "deep"], "comparison": ">="}}
    path = write_study(tmp_path, spec, raster=depth)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "hazard (raster): 3 zones, class set 'one_metre' (comparison '>=')" in out
    assert "'deep': 20000.0" in out and "'shallow': 10000.0" in out
    res = kc.run_plan(kc.read_scenario(path))
    ib = res.exposure.impact_buildings.set_index("building_id")
    assert ib["hazard_class"].to_dict() == {"h0": "deep", "h1": "shallow", "h2": "not exposed",
                                            "h3": "deep"}


def test_manifest_building_rule_classes_buildings_by_max_mean_or_centroid(tmp_path) -> None:
    # two 10 m cells, 0.4 m and 1.0 m, split house h0 (x 10-20 m) in halves; the other
    # houses lie outside the raster
    depth = (np.array([[0.4, 1.0]]), Affine(10, 0, X0 + 5, 0, -10, Y0 + 20))
    spec = {"class_set": {"name": "one_metre", "thresholds": [1.0],
                          "keys": ["shallow", "deep"], "comparison": ">="}}
    got = {}
    for rule in (None, "max", "mean", "centroid"):
        d = tmp_path / str(rule)
        d.mkdir()
        path = write_study(d, {**spec, **({"building_rule": rule} if rule else {})},
                           raster=depth)
        sc = kc.read_scenario(path)
        assert sc.hazard_spec.get("building_rule") == rule
        ib = kc.run_plan(sc).exposure.impact_buildings.set_index("building_id")
        got[rule] = ib["hazard_class"].to_dict()
        if rule in ("mean", "centroid"):  # classed from the raster: its value is kept
            assert ib.loc["h0", "hazard_value"] == pytest.approx(0.7)
    deep = {"h0": "deep", "h1": "not exposed", "h2": "not exposed", "h3": "not exposed"}
    # the zones (default, "max"): the house touches the deep cell
    assert got[None] == got["max"] == deep
    # the mean (half of each cell: 0.7 m) and the centroid (on the cells' shared edge,
    # bilinear between their centres: 0.7 m) are shallow
    assert got["mean"] == got["centroid"] == {**deep, "h0": "shallow"}


def test_manifest_bad_building_rule_is_refused(tmp_path) -> None:
    depth = (np.array([[1.0]]), Affine(100, 0, X0, 0, -100, Y0 + 100))
    path = write_study(tmp_path, {"class_set": "petabencana", "building_rule": "median"},
                       raster=depth)
    with pytest.raises(SchemaError, match="building_rule is 'median'; use one of 'max', "
                       "'mean', 'centroid'"):
        kc.read_scenario(path)
    path = write_study(tmp_path, {"class_set": "petabencana", "building_rule": 1},
                       raster=depth)
    with pytest.raises(SchemaError, match="building_rule"):
        kc.read_scenario(path)
    # a polygon hazard has zones only: the raster option is refused there
    path = write_study(tmp_path, {**FLOODPRONE_SPEC, "building_rule": "mean"},
                       hazard=floodprone_houses())
    with pytest.raises(SchemaError, match="is polygons .* but has the raster option"):
        kc.read_scenario(path)


def test_analyse_exposure_building_rule_needs_the_raster() -> None:
    z = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3]}, geometry=[sq(0)],
                         crs=CRS)
    b = gpd.GeoDataFrame({"asset_id": ["h"]}, geometry=[sq(0)], crs=CRS)
    with pytest.raises(kc.ParameterError, match="hazard_raster="):
        kc.analyse_exposure(z, buildings=b, building_rule="mean")
    with pytest.raises(kc.ParameterError, match="building_rule"):
        kc.analyse_exposure(z, buildings=b, building_rule="median")  # type: ignore[arg-type]


def test_manifest_refuses_hazard_options_of_the_other_kind(tmp_path) -> None:
    path = write_study(tmp_path, {**FLOODPRONE_SPEC, "negative": "clip"},
                       hazard=floodprone_houses())
    with pytest.raises(SchemaError, match="is polygons .* but has the raster option"):
        kc.read_scenario(path)
    path = write_study(tmp_path, {"class_set": "wet_dry", "value_map": {"wet": ["YES"]}},
                       hazard=floodprone_houses())
    with pytest.raises(SchemaError, match="needs both 'field'"):
        kc.read_scenario(path)
    path = write_study(tmp_path, {"class_set": "wet_dry", "fields": "FLOODPRONE"},
                       hazard=floodprone_houses())
    with pytest.raises(SchemaError, match=r"unknown key\(s\) \['fields'\]; did you mean 'field'"):
        kc.read_scenario(path)


def test_manifest_hazard_raster_in_another_crs_is_refused(tmp_path) -> None:
    import json

    from kotacerdas_gis.io.raster import write_raster

    path = write_study(tmp_path, {"class_set": "inarisk"},
                       raster=(np.array([[0.5]]), Affine(100, 0, X0, 0, -100, Y0 + 100)))
    write_raster(np.array([[0.5]], dtype="float32"), tmp_path / "depth.tif",
                 transform=Affine(100, 0, 700_000, 0, -100, 9_300_000), crs="EPSG:32750",
                 nodata=-9999.0)
    assert json.loads(path.read_text())["layers"]["hazard"]["path"] == "depth.tif"
    with pytest.raises(kc.CRSMismatchError, match="reproject_raster"):
        kc.read_scenario(path)


def test_manifest_index_raster_and_depth_polygons_are_accepted(tmp_path) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app

    index = (np.array([[0.9, 0.5, 0.1, 1.0]]), Affine(100, 0, X0, 0, -100, Y0 + 100))
    path = write_study(tmp_path, {"class_set": "inarisk"}, raster=index)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "hazard (raster): 4 zones, class set 'inarisk_index'" in out
    assert "'high': 20000.0" in out and "'medium': 10000.0" in out and "'low': 10000.0" in out

    kedalaman = gpd.GeoDataFrame({"kedalaman": [2.0, 0.3]}, geometry=[sq(0), sq(1)], crs=CRS)
    path = write_study(tmp_path, {"depth_min_col": None, "depth_max_col": "kedalaman"},
                       hazard=kedalaman)
    sc = kc.read_scenario(path)
    hz = kc.plan.scenario_hazard_zones(sc)
    assert hz is not None and hz.zones["hazard_class"].tolist() == ["high", "low"]
    assert hz.class_set.name == "petabencana_depth"  # the plan's class set when none is given
