"""Tests of kotacerdas_gis.exposure on hand-computable fixtures in EPSG:32751."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import CRSError, CRSMismatchError, ParameterError, SchemaError
from kotacerdas_gis.exposure import (
    NOT_EXPOSED,
    MinimumNeeds,
    analyse_exposure,
    buildings_exposure,
    line_zone_split,
    minimum_needs,
    polygon_zone_overlay,
    population_exposure,
    prepare_admin,
    prepare_zones,
    roads_exposure,
)

CRS = 32751
X0, Y0 = 500_000.0, 9_700_000.0  # near Masamba in UTM 51S


def sq(x0: float, y0: float, x1: float, y1: float):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def zones_frame(rows: list[tuple[str, int, float, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "zone_id": [f"z{i}" for i in range(len(rows))],
            "hazard_class": [r[0] for r in rows],
            "class_rank": [r[1] for r in rows],
            "displacement_rate": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=CRS,
    )


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    # high: x 0..100, medium: x 100..300, low: x 300..400, all y 0..1000
    return zones_frame([
        ("high", 3, 0.05, sq(0, 0, 100, 1000)),
        ("medium", 2, 0.03, sq(100, 0, 300, 1000)),
        ("low", 1, 0.01, sq(300, 0, 400, 1000)),
    ])


@pytest.fixture
def admin() -> gpd.GeoDataFrame:
    # two desa side by side in one kecamatan, a third in another
    return gpd.GeoDataFrame(
        {"admin_code": ["73.22.03.2001", "73.22.03.2002", "73.22.04.2001"],
         "admin_name": ["Bone", "Kappuna", "Sabbang"],
         "parent_code": ["73.22.03", "73.22.03", "73.22.04"]},
        geometry=[sq(-500, 0, 200, 1000), sq(200, 0, 1000, 1000), sq(1000, 0, 2000, 1000)],
        crs=CRS,
    )


# ------------------------------------------------------------------------------ buildings
def test_building_half_inside_zone_is_affected_with_half_flooded(zones):
    b = gpd.GeoDataFrame({"asset_id": ["b1"], "exposure_class": ["residential"]},
                         geometry=[sq(-50, 100, 50, 200)], crs=CRS)  # 100 m square, half in high
    out = buildings_exposure(b, zones)
    row = out.iloc[0]
    assert row.flooded_frac == pytest.approx(0.5)
    assert row.flooded_area_m2 == pytest.approx(5000.0)
    assert bool(row.affected) and row.hazard_class == "high" and row.class_rank == 3


def test_centroid_outside_still_affected(zones):
    # centroid at x=-40 (outside), 10 % inside: a centroid test would miss it
    b = gpd.GeoDataFrame({"asset_id": ["b1"]}, geometry=[sq(-90, 0, 10, 100)], crs=CRS)
    out = buildings_exposure(b, zones)
    assert out.affected.iloc[0] and out.flooded_frac.iloc[0] == pytest.approx(0.1)


def test_building_in_two_classes_takes_the_highest(zones):
    b = gpd.GeoDataFrame({"asset_id": ["b1"]}, geometry=[sq(90, 0, 110, 10)], crs=CRS)
    out = buildings_exposure(b, zones)
    assert out.hazard_class.iloc[0] == "high"
    assert out.flooded_frac.iloc[0] == pytest.approx(1.0)


def test_building_touching_only_an_edge_is_not_exposed(zones):
    b = gpd.GeoDataFrame({"asset_id": ["b1"]}, geometry=[sq(-10, 0, 0, 10)], crs=CRS)
    out = buildings_exposure(b, zones)
    assert out.hazard_class.iloc[0] == NOT_EXPOSED and out.class_rank.iloc[0] == 0
    assert out.flooded_frac.iloc[0] == 0.0 and not out.affected.iloc[0]


def test_zone_with_rank_zero_is_exposed_not_affected():
    z = zones_frame([("dry", 0, 0.0, sq(0, 0, 100, 100))])
    b = gpd.GeoDataFrame({"asset_id": ["b1"]}, geometry=[sq(10, 10, 20, 20)], crs=CRS)
    out = buildings_exposure(b, z)
    assert out.exposed.iloc[0] and not out.affected.iloc[0]
    assert out.hazard_class.iloc[0] == "dry"


def test_unknown_building_classes_mapped_to_other_and_counted(zones):
    b = gpd.GeoDataFrame({"asset_id": ["a", "b", "c"],
                          "exposure_class": ["Residential", "warung", None]},
                         geometry=[sq(500, 0, 510, 10)] * 3, crs=CRS)
    r = analyse_exposure(zones, buildings=b)
    assert r.impact_buildings.exposure_class.tolist() == ["residential", "other", "other"]
    step = [s for s in r.report.steps if s.step == "buildings x zones"][0]
    assert step.reasons_repaired["unknown exposure_class mapped to 'other'"] == 2


def test_inputs_not_mutated(zones, admin):
    b = gpd.GeoDataFrame({"asset_id": ["a"], "exposure_class": ["x"]},
                         geometry=[sq(0, 0, 10, 10)], crs=CRS)
    before_b, before_z, before_a = b.copy(), zones.copy(), admin.copy()
    analyse_exposure(zones, buildings=b, admin=admin)
    pd.testing.assert_frame_equal(b, before_b)
    pd.testing.assert_frame_equal(zones, before_z)
    pd.testing.assert_frame_equal(admin, before_a)


def test_keeps_input_index(zones):
    b = gpd.GeoDataFrame({"asset_id": ["a", "b"]}, geometry=[sq(0, 0, 10, 10), sq(900, 0, 910, 9)],
                         index=[17, 4], crs=CRS)
    out = buildings_exposure(b, zones)
    assert out.index.tolist() == [17, 4]
    assert out.loc[4, "hazard_class"] == NOT_EXPOSED


# ------------------------------------------------------------------------------ roads
def test_road_crossing_two_zones_lengths_by_hand(zones):
    # from x=-50 to x=250 at y=500: 50 m outside, 100 m high, 150 m medium
    r = gpd.GeoDataFrame({"asset_id": ["r1"], "road_class": ["primary"]},
                         geometry=[LineString([(X0 - 50, Y0 + 500), (X0 + 250, Y0 + 500)])],
                         crs=CRS)
    out = roads_exposure(r, zones)
    got = out.groupby("hazard_class")["length_m"].sum().round(9).to_dict()
    assert got == {"high": 100.0, "medium": 150.0, NOT_EXPOSED: 50.0}
    assert set(out.asset_id) == {"r1"} and set(out.exposure_class) == {"primary"}


def test_road_summary_per_class_and_admin(zones, admin):
    r = gpd.GeoDataFrame(
        {"asset_id": ["r1", "r2"], "road_class": ["primary", "jalan setapak"]},
        geometry=[LineString([(X0 - 50, Y0 + 500), (X0 + 250, Y0 + 500)]),
                  LineString([(X0 + 350, Y0 + 10), (X0 + 350, Y0 + 110)])],
        crs=CRS,
    )
    res = analyse_exposure(zones, roads=r, admin=admin)
    est = res.exposure_summary_table.set_index(["exposure", "exposure_class"])
    assert est.loc[("roads", "primary"), "high"] == pytest.approx(100)
    assert est.loc[("roads", "primary"), "medium"] == pytest.approx(150)
    assert est.loc[("roads", "primary"), "total_affected"] == pytest.approx(250)
    assert est.loc[("roads", "primary"), "total_not_exposed"] == pytest.approx(50)
    assert est.loc[("roads", "other"), "low"] == pytest.approx(100)
    a = res.aggregation_summary.set_index("admin_code")
    # Bone holds x < 200: 50 outside + 100 high + 100 medium; Kappuna: 50 medium + 100 low (r2)
    assert a.loc["73.22.03.2001", "roads_total_length_m"] == pytest.approx(250)
    assert a.loc["73.22.03.2001", "roads_medium_length_m"] == pytest.approx(100)
    assert a.loc["73.22.03.2002", "roads_medium_length_m"] == pytest.approx(50)
    assert a.loc["73.22.03.2002", "roads_low_length_m"] == pytest.approx(100)
    k = res.aggregation_summary_kecamatan.set_index("admin_code")
    assert k.loc["73.22.03", "roads_total_length_m"] == pytest.approx(400)
    assert k.loc["73.22.03", "n_desa"] == 2


def test_zero_length_and_duplicated_roads_counted(zones):
    line = LineString([(X0, Y0 + 5), (X0 + 50, Y0 + 5)])
    r = gpd.GeoDataFrame(
        {"asset_id": ["a", "b", "c"], "road_class": ["local"] * 3},
        geometry=[line, shapely.reverse(line), LineString([(X0, Y0), (X0, Y0)])], crs=CRS)
    res = analyse_exposure(zones, roads=r)
    step = [s for s in res.report.steps if s.step == "roads x zones"][0]
    assert step.reasons_rejected["duplicated road segment (same geometry)"] == 1
    assert step.reasons_rejected["zero-length or empty road segment"] == 1
    assert res.impact_roads.length_m.sum() == pytest.approx(50)


# ------------------------------------------------------------------------------ people
def test_population_areal_weighting_by_hand(zones, admin):
    pop = pd.DataFrame({
        "admin_code": ["73.22.03.2001", "73.22.03.2002", "73.22.04.2001"],
        "population": [7000, 8000, 1000], "female": [3500, 4000, 500],
        "elderly": [700, 800, 100], "disabled": [70, 80, 10], "households": [1750, 2000, 250],
    })
    res = analyse_exposure(zones, admin=admin, population=pop)
    a = res.aggregation_summary.set_index("admin_code")
    # Bone: 700 m wide; high 100 m -> 1000 people, medium 100 m -> 1000 people
    bone = a.loc["73.22.03.2001"]
    assert bone.affected_high == pytest.approx(1000) and bone.affected_medium == pytest.approx(1000)
    assert bone.total_affected == pytest.approx(2000)
    assert bone.total_not_exposed == pytest.approx(5000)
    assert bone.displaced == pytest.approx(1000 * 0.05 + 1000 * 0.03)
    assert bone.female_affected == pytest.approx(1000)
    assert bone.elderly_displaced == pytest.approx(100 * 0.05 + 100 * 0.03)
    # Kappuna: 800 m wide; medium 100 m, low 100 m -> 1000 each
    kap = a.loc["73.22.03.2002"]
    assert kap.total_affected == pytest.approx(2000)
    assert kap.displaced == pytest.approx(1000 * 0.03 + 1000 * 0.01)
    assert a.loc["73.22.04.2001", "total_affected"] == 0
    s = res.analysis_summary.iloc[0]
    assert s.total_affected == pytest.approx(4000) and s.population == pytest.approx(16000)
    # needs on displaced people, not on all affected people
    displaced = 50 + 30 + 30 + 10
    tot = res.needs.set_index("admin_code").loc["total"]
    assert tot.displaced == pytest.approx(displaced)
    assert tot.rice_kg == pytest.approx(2.8 * displaced)
    assert tot.clean_water_l == pytest.approx(67 * displaced)
    assert tot.toilet == 6  # ceil(0.05 * 120)
    k = res.aggregation_summary_kecamatan.set_index("admin_code")
    assert k.loc["73.22.03", "total_affected"] == pytest.approx(4000)
    json.dumps(res.to_dict())


def test_population_by_residential_buildings(zones, admin):
    # Bone has two equal residential buildings, one in high, one outside: half the people affected
    b = gpd.GeoDataFrame(
        {"asset_id": ["h1", "h2", "s1"],
         "exposure_class": ["residential", "residential", "education"]},
        geometry=[sq(10, 10, 20, 20), sq(-400, 10, -390, 20), sq(50, 50, 90, 90)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"],
                        "population": [100, 800]})
    res = analyse_exposure(zones, buildings=b, admin=admin, population=pop)
    pi = res.population_impact
    bone = pi[pi.admin_code == "73.22.03.2001"].set_index("hazard_class")
    assert set(bone.method) == {"buildings"}
    assert bone.loc["high", "population"] == pytest.approx(50)
    assert bone.loc[NOT_EXPOSED, "population"] == pytest.approx(50)
    kap = pi[pi.admin_code == "73.22.03.2002"]
    assert set(kap.method) == {"area"}  # no residential buildings: areal weighting
    assert kap.population.sum() == pytest.approx(800)


def test_duplicate_zone_ids_made_unique_and_people_by_buildings_still_counted(admin):
    # two zones share the id "z" (e.g. merged from two files): residents of the building in the
    # low zone must count as low, not crash or be mapped to the high zone
    z = zones_frame([("high", 3, 0.05, sq(0, 0, 100, 1000)),
                     ("low", 1, 0.01, sq(100, 0, 200, 1000))])
    z["zone_id"] = ["z", "z"]
    prepared = prepare_zones(z)
    assert prepared["zone_id"].is_unique
    b = gpd.GeoDataFrame({"asset_id": ["h1", "h2"], "exposure_class": ["residential"] * 2},
                         geometry=[sq(10, 10, 20, 20), sq(110, 10, 120, 20)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [100]})
    res = analyse_exposure(z, buildings=b, admin=admin, population=pop)
    bone = res.population_impact.set_index("hazard_class")
    assert bone.loc["high", "population"] == pytest.approx(50)
    assert bone.loc["low", "population"] == pytest.approx(50)
    assert res.report.steps[0].reasons_repaired["duplicate zone_id made unique with a suffix"] == 1


def test_population_from_raster_by_hand(zones, admin):
    from exactextract.raster import NumPyRasterSource

    # 10 m cells over x -500..2000, y 0..1000, 1 person per cell (100 people per hectare)
    r = NumPyRasterSource(np.ones((100, 250)), X0 - 500, Y0, X0 + 2000, Y0 + 1000)
    table = pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [10], "female": [6]})
    res = analyse_exposure(zones, admin=admin, population_raster=r, population=table)
    a = res.aggregation_summary.set_index("admin_code")
    # Bone: high 100 x 1000 m = 1000 cells, medium 100 x 1000 m = 1000 cells, 7000 cells in all
    assert a.loc["73.22.03.2001", "affected_high"] == pytest.approx(1000)
    assert a.loc["73.22.03.2001", "population"] == pytest.approx(7000)
    assert a.loc["73.22.03.2001", "displaced"] == pytest.approx(1000 * 0.05 + 1000 * 0.03)
    assert a.loc["73.22.03.2001", "female_affected"] == pytest.approx(2000 * 0.6)
    assert a.loc["73.22.04.2001", "total_affected"] == 0
    assert set(res.population_impact.method) == {"raster"}


def test_population_bad_values_repaired_and_counted(zones, admin):
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002", "99"],
                        "population": [-5, np.nan, 10], "female": [1, 2, 3]})
    res = analyse_exposure(zones, admin=admin, population=pop)
    step = [s for s in res.report.steps if s.step == "population x zones"][0]
    assert step.reasons_repaired["negative population set to 0"] == 1
    assert step.reasons_repaired["missing population set to 0"] == 1
    assert step.reasons_repaired["female larger than population capped"] == 2
    assert step.reasons_rejected["population row with an admin_code not in the admin layer"] == 1
    assert res.analysis_summary.population.iloc[0] == 0


def test_overlapping_admin_units_count_assets_once(zones):
    admin = gpd.GeoDataFrame(
        {"admin_code": ["a", "b"], "admin_name": ["A", "B"], "parent_code": ["k", "k"]},
        geometry=[sq(0, 0, 600, 1000), sq(400, 0, 1000, 1000)], crs=CRS)
    b = gpd.GeoDataFrame({"asset_id": ["x"]}, geometry=[sq(450, 450, 460, 460)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["a", "b"], "population": [600, 400]})
    res = analyse_exposure(zones, buildings=b, admin=admin, population=pop)
    step = [s for s in res.report.steps if s.step == "prepare admin units"][0]
    assert step.n_repaired == 1
    assert res.aggregation_summary.buildings_total.sum() == 1
    # b lost its overlap: 600 m wide -> 400 m wide; pop density recomputed on the trimmed unit
    a = res.aggregation_summary.set_index("admin_code")
    assert a.loc["a", "total_affected"] == pytest.approx(600 * 400 / 600)


def test_assets_outside_admin_are_kept_and_reported(zones, admin):
    b = gpd.GeoDataFrame({"asset_id": ["in", "out"]},
                         geometry=[sq(10, 10, 20, 20), sq(5000, 5000, 5010, 5010)], crs=CRS)
    res = analyse_exposure(zones, buildings=b, admin=admin)
    assert len(res.impact_buildings) == 2
    assert res.impact_buildings.set_index("asset_id").admin_code.isna().to_dict() == {
        "in": False, "out": True}
    notes = " ".join(n for s in res.report.steps for n in s.notes)
    assert "outside study boundary: 1 buildings" in notes


def test_overlapping_zones_higher_class_wins():
    z = zones_frame([("low", 1, 0.01, sq(0, 0, 100, 100)), ("high", 3, 0.05, sq(50, 0, 150, 100))])
    rep_z = prepare_zones(z)
    assert rep_z.set_index("hazard_class").area.round(6).to_dict() == {"low": 5000.0,
                                                                       "high": 10000.0}
    b = gpd.GeoDataFrame({"asset_id": ["b"]}, geometry=[sq(40, 0, 60, 10)], crs=CRS)
    out = buildings_exposure(b, z)
    assert out.hazard_class.iloc[0] == "high" and out.flooded_frac.iloc[0] == pytest.approx(1.0)


def test_nested_zones_inner_higher_class_wins():
    # a high core nested inside a low blob ("overlaps" is False for nesting: must still resolve)
    z = zones_frame([("low", 1, 0.01, sq(0, 0, 300, 300)),
                     ("high", 3, 0.05, sq(100, 100, 200, 200))])
    p = prepare_zones(z).set_index("hazard_class")
    assert p.area.round(6).to_dict() == {"low": 80000.0, "high": 10000.0}
    b = gpd.GeoDataFrame({"asset_id": ["b"]}, geometry=[sq(90, 90, 110, 110)], crs=CRS)
    out = buildings_exposure(b, z)
    assert out.hazard_class.iloc[0] == "high" and out.flooded_frac.iloc[0] == pytest.approx(1.0)


def test_facilities_by_class(zones, admin):
    f = gpd.GeoDataFrame(
        {"asset_id": ["h1", "h2", "s1"], "exposure_class": ["health", "health", "education"]},
        geometry=[Point(X0 + 50, Y0 + 50), Point(X0 + 900, Y0 + 50), Point(X0 + 150, Y0 + 50)],
        crs=CRS)
    res = analyse_exposure(zones, facilities=f, admin=admin)
    assert res.impact_facilities.hazard_class.tolist() == ["high", NOT_EXPOSED, "medium"]
    assert res.analysis_summary.health_facilities_affected.iloc[0] == 1
    a = res.aggregation_summary.set_index("admin_code")
    assert a.loc["73.22.03.2001", "health_facilities_affected"] == 1


def test_minimum_needs_defaults_and_parameters():
    n = minimum_needs(pd.Series([10.0, 0.0]))
    assert n.rice_kg.tolist() == [28.0, 0.0] and n.drinking_water_l.tolist() == [175.0, 0.0]
    assert n.family_kit.tolist() == [2.0, 0.0] and n.toilet.tolist() == [1.0, 0.0]
    n2 = minimum_needs(10.0, needs=MinimumNeeds(rice_kg=3.0, weeks=2))
    assert n2.rice_kg.iloc[0] == 60.0
    with pytest.raises(SchemaError):
        minimum_needs(-1.0)


# ------------------------------------------------------------------------------ bad input
def test_missing_columns_listed(zones):
    b = gpd.GeoDataFrame({"id": ["a"]}, geometry=[sq(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(SchemaError, match=r"asset_id.*found only \['id'\]"):
        buildings_exposure(b, zones)
    with pytest.raises(SchemaError, match="class_rank"):
        prepare_zones(zones.drop(columns="class_rank"))
    with pytest.raises(SchemaError, match="between 0 and 1"):
        prepare_zones(zones.assign(displacement_rate=5.0))


def test_crs_checks(zones):
    b = gpd.GeoDataFrame({"asset_id": ["a"]}, geometry=[sq(0, 0, 1, 1)], crs=32750)
    with pytest.raises(CRSMismatchError):
        buildings_exposure(b, zones)
    with pytest.raises(CRSError, match="geographic"):
        analyse_exposure(zones.to_crs(4326))


def test_admin_duplicate_codes_raise(admin):
    with pytest.raises(SchemaError, match="unique"):
        prepare_admin(pd.concat([admin, admin.iloc[[0]]]))


def test_population_without_admin_raises(zones):
    with pytest.raises(SchemaError, match="admin="):
        analyse_exposure(zones, population=pd.DataFrame({"admin_code": ["x"], "population": [1]}))


def test_population_method_checked(zones, admin):
    with pytest.raises(ParameterError, match="method"):
        population_exposure(prepare_zones(zones), prepare_admin(admin),
                            pd.DataFrame({"admin_code": ["x"], "population": [1]}),
                            method="magic")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ properties
coords = st.floats(min_value=-300, max_value=1300, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pts=st.lists(st.tuples(coords, coords), min_size=2, max_size=8))
def test_road_length_conserved_by_split(zones, pts):
    line = LineString([(X0 + x, Y0 + y) for x, y in pts])
    if line.length == 0:
        return
    li, zi, parts = line_zone_split(np.array([line]), zones.geometry.values)
    assert shapely.length(parts).sum() == pytest.approx(line.length, rel=1e-9, abs=1e-6)
    r = gpd.GeoDataFrame({"asset_id": ["r"], "road_class": ["local"]}, geometry=[line], crs=CRS)
    out = roads_exposure(r, zones)
    assert out.length_m.sum() == pytest.approx(line.length, rel=1e-9, abs=1e-6)


boxes = st.tuples(st.floats(-600, 2100), st.floats(-100, 1050), st.floats(1, 80), st.floats(1, 80))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bl=st.lists(boxes, min_size=1, max_size=30),
       classes=st.lists(st.sampled_from(["residential", "health", "kiosk"]), min_size=30,
                        max_size=30))
def test_accounting_every_class_and_admin_unit(zones, admin, bl, classes):
    geoms = [sq(x, y, x + w, y + h) for x, y, w, h in bl]
    b = gpd.GeoDataFrame({"asset_id": [f"b{i}" for i in range(len(geoms))],
                          "exposure_class": classes[: len(geoms)]}, geometry=geoms, crs=CRS)
    res = analyse_exposure(zones, buildings=b, admin=admin)
    ib = res.impact_buildings
    assert len(ib) == len(b) and ib.asset_id.is_unique  # every asset exactly once
    est = res.exposure_summary_table
    assert np.allclose(est.total_affected + est.total_not_affected + est.total_not_exposed,
                       est.total)
    assert est.total.sum() == len(b)
    a = res.aggregation_summary
    assert np.allclose(a.buildings_affected + a.buildings_not_affected + a.buildings_not_exposed,
                       a.buildings_total)
    assert a.buildings_total.sum() == ib.admin_code.notna().sum()
    # flooded_frac is the area share, the rank the max over touched zones
    assert ((ib.flooded_frac >= 0) & (ib.flooded_frac <= 1)).all()
    assert (ib.affected == (ib.flooded_frac > 0)).all()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pop=st.lists(st.floats(0, 1e5), min_size=3, max_size=3),
       zx=st.floats(-600, 1900), zw=st.floats(1, 800))
def test_people_accounting_every_admin_unit(admin, pop, zx, zw):
    z = zones_frame([("high", 3, 0.05, sq(zx, 100, zx + zw, 600)),
                     ("dry", 0, 0.0, sq(zx, 600, zx + zw, 900))])
    table = pd.DataFrame({"admin_code": admin.admin_code, "population": pop,
                          "female": [p / 2 for p in pop]})
    res = analyse_exposure(z, admin=admin, population=table)
    a = res.aggregation_summary
    assert np.allclose(a.total_affected + a.total_not_affected + a.total_not_exposed,
                       a.population, rtol=1e-9, atol=1e-6)
    assert np.allclose(a.population, pop)
    assert (a.displaced <= a.total_affected * 0.05 + 1e-6).all()
    est = res.exposure_summary_table
    assert np.allclose(est.total_affected + est.total_not_affected + est.total_not_exposed,
                       est.total)


@settings(max_examples=30, deadline=None)
@given(bl=st.lists(boxes, min_size=1, max_size=20))
def test_overlay_area_matches_geopandas_overlay(bl):
    z = zones_frame([("high", 3, 0.05, sq(0, 0, 100, 1000).union(sq(500, 500, 700, 700))),
                     ("low", 1, 0.01, sq(100, 0, 300, 1000))])
    geoms = np.array([sq(x, y, x + w, y + h) for x, y, w, h in bl], dtype=object)
    s = polygon_zone_overlay(geoms, z.geometry.values, z.class_rank.values)
    ref = np.array([shapely.area(shapely.intersection(g, shapely.union_all(z.geometry.values)))
                    for g in geoms])
    assert np.allclose(s.flooded_area_m2, ref, atol=1e-6)
