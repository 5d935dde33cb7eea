"""Any aggregation layer, census polygons, InaSAFE-shaped tables (issue 11), by hand.

The fixture: a 4 x 4 grid of 100 m cells over (0, 0)-(400, 400) in EPSG:32751, ids ``r<row>c<col>``
(row 0 at the bottom), and a wet zone over x < 150 (displacement rate 0.9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import ParameterError, SchemaError
from kotacerdas_gis.exposure import (
    DEFAULT_DEMOGRAPHIC_RATIOS,
    MinimumNeeds,
    analyse_exposure,
    minimum_needs,
)
from kotacerdas_gis.scenario import build_scenario

CRS = 32751


def grid(n: int = 4, size: float = 100.0, crs: int = CRS) -> gpd.GeoDataFrame:
    cells = [(f"r{r}c{c}", f"Cell {r}-{c}", box(c * size, r * size, (c + 1) * size,
                                                 (r + 1) * size))
             for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"cell": [a for a, _, _ in cells], "label": [b for _, b, _ in cells]},
                            geometry=[g for _, _, g in cells], crs=crs)


def wet(x_max: float = 150.0, rate: float = 0.9) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"hazard_class": ["wet"], "class_rank": [1],
                             "displacement_rate": [rate]},
                            geometry=[box(0, 0, x_max, 400)], crs=CRS)


def buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": ["b1", "b2", "b3", "b4", "b5"],
         "exposure_class": ["residential", "residential", "education", "health", "residential"]},
        geometry=[
            box(80, 10, 110, 30),    # straddles r0c0/r0c1; point on surface x=95 -> r0c0; wet
            box(140, 110, 170, 130),  # straddles r1c1/r1c2 and the zone edge x=150; in r1c1
            box(160, 10, 240, 20),   # straddles r0c1/r0c2 (x=200): point x=200 ... see below
            box(350, 350, 360, 360),  # r3c3, dry
            box(500, 500, 510, 510),  # outside the grid
        ], crs=CRS)


def run(**kw):
    return analyse_exposure(wet(), aggregation=grid(), aggregation_id_col="cell",
                            aggregation_name_col="label", **kw)


def test_grid_buildings_straddling_cells() -> None:
    b = buildings()
    b.loc[2, "geometry"] = box(160, 10, 230, 20)  # point on surface x=195 -> r0c1, dry
    res = run(buildings=b)
    ib = res.impact_buildings.set_index("asset_id")
    assert ib["admin_code"].astype(object).where(ib["admin_code"].notna(), None).to_dict() == {
        "b1": "r0c0", "b2": "r1c1", "b3": "r0c1",
        "b4": "r3c3", "b5": None}
    assert ib["hazard_class"].to_dict() == {"b1": "wet", "b2": "wet", "b3": "not exposed",
                                            "b4": "not exposed", "b5": "not exposed"}
    assert ib.loc["b2", "flooded_frac"] == pytest.approx(10 / 30)  # 140-150 of 140-170
    s = res.aggregation_summary.set_index("admin_code")
    assert len(s) == 16 and res.aggregation_summary_kecamatan is None
    assert s.loc["r0c0", "admin_name"] == "Cell 0-0"
    assert s.loc["r0c0", "buildings_affected"] == 1
    assert s.loc["r1c1", "buildings_affected"] == 1
    assert s.loc["r0c1", "buildings_not_exposed"] == 1
    assert s["buildings_total"].sum() == 4  # b5 lies outside every cell
    assert res.analysis_summary.loc[0, "buildings_total"] == 5  # ... but is counted overall
    # the area x exposure class table
    t = res.area_tables["buildings"]
    row = t[(t.aggregation_id == "r0c0") & (t.hazard_class == "total_affected")].iloc[0]
    assert (row["residential"], row["education"], row["total"]) == (1, 0, 1)
    out = t[t.aggregation_id.isna() & (t.hazard_class == "not exposed")].iloc[0]
    assert out["aggregation_name"] == "outside every area" and out["residential"] == 1
    assert t.groupby("hazard_class")["total"].sum()["total_affected"] == 2


def test_limit_to_aggregation_drops_and_counts() -> None:
    res = run(buildings=buildings(), limit_to_aggregation=True)
    assert "b5" not in set(res.impact_buildings["asset_id"])
    step = next(s for s in res.report.steps if s.step == "buildings x zones")
    assert step.reasons_rejected[
        "buildings outside the aggregation areas (limit_to_aggregation)"] == 1
    assert res.analysis_summary.loc[0, "buildings_total"] == 4
    # zones reaching outside the grid are clipped: 150 x 400 m inside
    z = wet().set_geometry([box(-100, 0, 150, 500)])
    res2 = analyse_exposure(z, aggregation=grid(), aggregation_id_col="cell",
                            limit_to_aggregation=True)
    assert res2.hazard_classes.loc[0, "area_m2"] == pytest.approx(150 * 400)


def test_roads_split_at_hazard_and_cell_edges() -> None:
    roads = gpd.GeoDataFrame({"asset_id": ["r1"], "road_class": ["local"]},
                             geometry=[LineString([(-50, 50), (450, 50)])], crs=CRS)
    res = run(roads=roads)
    ir = res.impact_roads
    pieces = ir.groupby(["admin_code", "hazard_class"], dropna=False)["length_m"].sum()
    assert pieces[("r0c0", "wet")] == pytest.approx(100)
    assert pieces[("r0c1", "wet")] == pytest.approx(50)
    assert pieces[("r0c1", "not exposed")] == pytest.approx(50)
    assert pieces[("r0c2", "not exposed")] == pytest.approx(100)
    assert pieces[("r0c3", "not exposed")] == pytest.approx(100)
    assert ir.loc[ir.admin_code.isna(), "length_m"].sum() == pytest.approx(100)  # both ends
    assert ir["length_m"].sum() == pytest.approx(500)
    t = res.area_tables["roads"].set_index(["aggregation_id", "hazard_class"])
    assert t.loc[("r0c1", "wet"), "local"] == pytest.approx(0.05)  # km
    assert t.loc[("r0c1", "total_affected"), "total"] == pytest.approx(0.05)
    lim = run(roads=roads, limit_to_aggregation=True)
    assert lim.impact_roads["length_m"].sum() == pytest.approx(400)
    step = next(s for s in lim.report.steps if s.step == "roads x zones")
    assert step.reasons_rejected["road pieces outside the aggregation areas "
                                 "(limit_to_aggregation)"] == 1  # both ends: one piece
    assert any("100.0 m of road outside" in n for n in step.notes)


def test_census_polygon_half_wet_displacement_090() -> None:
    """1000 people in a block half inside the wet zone at 0.9: 500 affected, 450 displaced."""
    zone = wet(x_max=100.0)  # wet over x < 100
    census = gpd.GeoDataFrame({"jiwa": [1000.0], "female": [520.0]},
                              geometry=[box(50, 0, 150, 100)], crs=CRS)  # r0c0 | r0c1
    res = analyse_exposure(zone, aggregation=grid(), aggregation_id_col="cell",
                           census=census, census_population_col="jiwa")
    p = res.population_impact.set_index(["admin_code", "hazard_class"])
    assert p.loc[("r0c0", "wet"), "population"] == pytest.approx(500)
    assert p.loc[("r0c0", "wet"), "displaced"] == pytest.approx(450)
    assert p.loc[("r0c0", "wet"), "female_displaced"] == pytest.approx(260 * 0.9)
    assert p.loc[("r0c1", "not exposed"), "population"] == pytest.approx(500)
    a = res.analysis_summary.iloc[0]
    assert (a["population"], a["total_affected"], a["displaced"]) == pytest.approx(
        (1000, 500, 450))
    # minimum needs on the 450 displaced (BNPB): 1260 kg rice, 23 toilets (22.5 rounded up)
    tot = res.needs.set_index("admin_code").loc["total"]
    assert tot["rice_kg"] == pytest.approx(450 * 2.8) and tot["toilet"] == 23
    # the demographic breakdown uses InaSAFE's defaults where the grid has no ratios
    d = res.demographics.set_index("aggregation_id")
    assert d.loc["r0c0", "elderly_displaced"] == pytest.approx(450 * 0.077)
    assert d.loc["r0c0", "ratio_source"] == "defaults"
    assert d.loc["total", "displaced"] == pytest.approx(450)


def test_census_outside_the_areas_kept_or_dropped() -> None:
    census = gpd.GeoDataFrame({"population": [100.0]}, geometry=[box(-50, 0, 50, 100)], crs=CRS)
    res = run(census=census)
    p = res.population_impact
    assert p.loc[p.admin_code.isna(), "population"].sum() == pytest.approx(50)
    assert res.analysis_summary.loc[0, "population"] == pytest.approx(100)
    assert res.analysis_summary.loc[0, "displaced"] == pytest.approx(50 * 0.9)
    lim = run(census=census, limit_to_aggregation=True)
    assert lim.analysis_summary.loc[0, "population"] == pytest.approx(50)
    step = next(s for s in lim.report.steps if s.step == "census x areas x zones")
    assert any("50.0 people outside the aggregation areas dropped" in n for n in step.notes)


def test_desa_population_spread_over_the_grid() -> None:
    """A desa table with a grid: the desa (400 x 200 m, 800 people) is split by area."""
    desa = gpd.GeoDataFrame({"admin_code": ["D1"], "admin_name": ["Bone"],
                             "parent_code": ["K"]}, geometry=[box(0, 0, 400, 200)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["D1"], "population": [800.0]})
    res = run(admin=desa, population=pop)
    s = res.aggregation_summary.set_index("admin_code")
    assert s.loc["r0c0", "population"] == pytest.approx(100)  # 1/8 of the desa
    assert s.loc["r0c1", "total_affected"] == pytest.approx(50)  # x 100-150 wet
    assert s.loc["r3c3", "population"] == 0
    assert res.analysis_summary.loc[0, "total_affected"] == pytest.approx(800 * 150 / 400)


def test_grid_ratio_columns_win_over_defaults() -> None:
    """The aggregation layer's own ratio columns win over the defaults."""
    g = grid()
    g["female_ratio"] = 0.6
    g.loc[g.cell == "r0c1", "female_ratio"] = np.nan
    census = gpd.GeoDataFrame({"population": [200.0]}, geometry=[box(0, 0, 200, 100)], crs=CRS)
    res = analyse_exposure(wet(x_max=200), aggregation=g, aggregation_id_col="cell",
                           census=census)
    d = res.demographics.set_index("aggregation_id")
    assert d.loc["r0c0", "female_displaced"] == pytest.approx(100 * 0.9 * 0.6)
    assert d.loc["r0c1", "female_displaced"] == pytest.approx(
        100 * 0.9 * DEFAULT_DEMOGRAPHIC_RATIOS["female"])
    assert d.loc["r0c0", "ratio_source"].startswith("female from the aggregation layer")
    g.loc[0, "female_ratio"] = 52.0
    with pytest.raises(SchemaError, match="female_ratio.*percentage"):
        analyse_exposure(wet(), aggregation=g, aggregation_id_col="cell", census=census)


def test_population_raster_exact_and_centre_rules() -> None:
    from exactextract.raster import NumPyRasterSource

    # 40 x 40 cells of 10 m, 1 person each; wet over x < 155: 15.5 columns exactly, 16 by centre
    r = NumPyRasterSource(np.ones((40, 40)), 0, 0, 400, 400)
    z = wet(x_max=155)
    kw = dict(aggregation=grid(), aggregation_id_col="cell", population_raster=r)
    exact = analyse_exposure(z, **kw)
    centre = analyse_exposure(z, population_raster_rule="centre", **kw)
    assert exact.analysis_summary.loc[0, "total_affected"] == pytest.approx(15.5 * 40)
    assert centre.analysis_summary.loc[0, "total_affected"] == pytest.approx(16 * 40)
    assert centre.analysis_summary.loc[0, "population"] == pytest.approx(1600)
    with pytest.raises(ParameterError, match="population_raster_rule"):
        analyse_exposure(z, population_raster_rule="middle", **kw)


def test_bad_aggregation_inputs() -> None:
    with pytest.raises(SchemaError, match="'cell_id'"):
        analyse_exposure(wet(), aggregation=grid(), aggregation_id_col="cell_id")
    dup = grid()
    dup.loc[1, "cell"] = "r0c0"
    with pytest.raises(SchemaError, match="unique"):
        analyse_exposure(wet(), aggregation=dup, aggregation_id_col="cell")
    with pytest.raises(ParameterError, match="limit_to_aggregation"):
        analyse_exposure(wet(), limit_to_aggregation=True)
    census = gpd.GeoDataFrame({"population": [1.0]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(SchemaError, match="census"):
        analyse_exposure(wet(), census=census)
    pop = pd.DataFrame({"admin_code": ["D1"], "population": [10.0]})
    with pytest.raises(SchemaError, match="needs admin="):
        run(population=pop)
    pts = gpd.GeoDataFrame({"population": [1.0]}, geometry=[Point(1, 1)], crs=CRS)
    with pytest.raises(SchemaError):
        run(census=pts)


def test_custom_class_map_in_scenario_counts_unmatched() -> None:
    b = gpd.GeoDataFrame({"building_id": ["1", "2", "3", "4"],
                          "building": ["ministry", "kantor", "castle", "house"]},
                         geometry=[box(i * 20, 0, i * 20 + 10, 10) for i in range(4)], crs=CRS)
    r = gpd.GeoDataFrame({"road_id": ["a", "b"], "highway": ["kabupaten_road", "village_road"]},
                         geometry=[LineString([(0, 0), (10, 0)]), LineString([(0, 5), (10, 5)])],
                         crs=CRS)
    with pytest.warns(Warning):
        sc = build_scenario(name="t", buildings=b, roads=r, class_maps={
            "buildings": {"government": ["ministry"]}, "roads": {"Secondary": ["kabupaten_road"]}})
    assert sc.buildings["exposure_class"].tolist() == ["government", "government", "other",
                                                       "residential"]
    assert sc.roads["road_class"].tolist() == ["secondary", "other"]
    steps = {s.step: s for s in sc.ledger.steps}
    bs = steps["adapt buildings"]
    assert bs.reasons_repaired["type mapped by the custom class map"] == 1
    assert bs.reasons_repaired["unknown type mapped to 'other'"] == 1
    assert any("'castle': 1" in n and '"classes"' in n for n in bs.notes)
    rs = steps["adapt roads"]
    assert rs.reasons_repaired["unknown road type mapped to 'other'"] == 1
    with pytest.raises(SchemaError, match="unknown class 'palace'"):
        build_scenario(name="t", buildings=b, class_maps={"buildings": {"palace": ["istana"]}})
    with pytest.raises(SchemaError, match="both"):
        build_scenario(name="t", buildings=b, class_maps={
            "buildings": {"government": ["kantor"], "commercial": ["Kantor"]}})
    with pytest.raises(SchemaError, match="list of values"):
        build_scenario(name="t", buildings=b, class_maps={"buildings": {"government": "kantor"}})


def test_needs_profile_as_data_and_display_rounding() -> None:
    from kotacerdas_gis.outputs.rounding import round_people, rounded

    default = MinimumNeeds()
    again = MinimumNeeds.from_mapping(default.to_mapping())
    assert again.per_person() == default.per_person()
    assert minimum_needs(450.0, needs=again).iloc[0].tolist() == \
        minimum_needs(450.0).iloc[0].tolist()
    with pytest.raises(SchemaError, match=r"items\[0\].*amount"):
        MinimumNeeds.from_mapping({"items": [{"key": "rice_kg", "amount": -1}]})
    assert [round_people(x) for x in (0, 0.2, 7, 99.1, 450, 1234, 14483)] == \
        [0, 1, 7, 100, 450, 1300, 15000]
    df = pd.DataFrame({"displaced": [1234.5], "rice_kg": [3456.6]})
    shown = rounded(df, people=["displaced"])
    assert shown.loc[0, "displaced"] == 1300 and df.loc[0, "displaced"] == 1234.5


# ------------------------------------------------------------------------- manifest and check

def _write_manifest(tmp_path, **extra_layers):
    """Write a manifest of the new input kinds.

    A desa, a grid in EPSG:4326 (reprojected on read), census blocks, buildings with a custom
    class map, roads from an OSM extract.
    """
    import json

    from test_osm import write_osm

    x0, y0 = 203_000.0, 9_717_000.0  # near Masamba in UTM 51S
    desa = gpd.GeoDataFrame({"admin_code": ["73.22.03.2001"], "admin_name": ["Kappuna"],
                             "admin_level": ["desa"], "parent_code": ["73.22.03"]},
                            geometry=[box(x0 - 2000, y0 - 2000, x0 + 2000, y0 + 2000)], crs=CRS)
    desa.to_file(tmp_path / "desa.gpkg")
    g = grid()
    g["geometry"] = g.translate(x0, y0)
    g.to_crs(4326).to_file(tmp_path / "grid.geojson")
    census = gpd.GeoDataFrame({"jiwa": [1000]}, geometry=[box(x0 + 50, y0, x0 + 150, y0 + 100)],
                              crs=CRS)
    census.to_file(tmp_path / "census.gpkg")
    b = gpd.GeoDataFrame({"building_id": ["1", "2"], "building": ["ministry", "castle"]},
                         geometry=[box(x0 + 10, y0 + 10, x0 + 20, y0 + 20),
                                   box(x0 + 210, y0 + 10, x0 + 220, y0 + 20)], crs=CRS)
    b.to_file(tmp_path / "bld.gpkg")
    write_osm(tmp_path / "town.osm")
    layers = {
        "admin_desa": {"path": "desa.gpkg"},
        "aggregation": {"path": "grid.geojson", "id_field": "cell", "name_field": "label"},
        "census": {"path": "census.gpkg", "population_field": "jiwa"},
        "buildings": {"path": "bld.gpkg", "classes": {"government": ["ministry"]}},
        "roads": {"path": "town.osm", "adapter": "osm"},
        **extra_layers,
    }
    m = tmp_path / "scenario.json"
    m.write_text(json.dumps({"name": "grid test", "crs": "EPSG:32751", "layers": layers}))
    return m


def test_manifest_new_inputs_and_check(tmp_path) -> None:
    from typer.testing import CliRunner

    from kotacerdas_gis.cli import app
    from kotacerdas_gis.io.manifest import read_scenario

    m = _write_manifest(tmp_path)
    with pytest.warns(Warning):
        sc = read_scenario(m)
    assert sc.aggregation.crs.to_epsg() == CRS and len(sc.aggregation) == 16
    assert sc.aggregation["aggregation_name"].iloc[0] == "Cell 0-0"
    assert sc.aggregation.geometry.iloc[0].area == pytest.approx(10_000, rel=1e-3)
    assert sc.census["population"].tolist() == [1000]
    assert sc.buildings["exposure_class"].tolist() == ["government", "other"]
    assert sorted(sc.roads["road_class"]) == ["local", "primary"]
    osm = next(s for s in sc.ledger.steps if s.step.startswith("OSM tags"))
    assert "OSM tag highway: primary 1, residential 1" in osm.notes
    out = CliRunner().invoke(app, ["check", str(m)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "aggregation: 16 areas" in text and "census: 1 population polygons" in text
    assert "1000 people" in text


@pytest.mark.parametrize(("layer", "fix"), [
    ({"aggregation": {"path": "grid.geojson"}}, "id_field"),
    ({"aggregation": {"path": "grid.geojson", "id_field": "cell", "population_field": "x"}},
     "only census take"),
    ({"aggregation": {"path": "grid.geojson", "id_field": "nope"}}, "'nope'"),
    ({"census": {"path": "census.gpkg", "population_field": "people"}}, "'people'"),
    ({"buildings": {"path": "bld.gpkg", "classes": ["government"]}}, "expected an object"),
    ({"buildings": {"path": "bld.gpkg", "classes": {"castle": ["x"]}}}, "unknown class"),
    ({"admin_desa": {"path": "desa.gpkg", "adapter": "osm"}}, "only roads"),
], ids=["no_id_field", "option_of_another_key", "id_field_missing_column",
        "population_field_missing_column", "classes_not_object", "classes_unknown_class",
        "osm_adapter_on_admin"])
def test_manifest_bad_new_inputs(tmp_path, layer, fix) -> None:
    from kotacerdas_gis.errors import KotaCerdasError
    from kotacerdas_gis.io.manifest import read_scenario

    m = _write_manifest(tmp_path, **layer)
    with pytest.raises(KotaCerdasError, match=fix):
        read_scenario(m)


def test_plan_with_an_aggregation_layer(tmp_path) -> None:
    """run_plan keeps the desa exposure and adds the impact on the grid, limited to it."""
    import dataclasses

    import pyogrio

    from kotacerdas_gis import PlanConfig, run_plan, write_outputs
    from kotacerdas_gis.testing import TINY_X0, TINY_Y0, tiny_flood, tiny_scenario

    sc = tiny_scenario(flood=tiny_flood())
    cells = grid(n=2, size=500.0)  # covers x 0-1000 (desa Bone) only, y 0-1000
    cells["geometry"] = cells.translate(TINY_X0, TINY_Y0)
    cells = cells.rename(columns={"cell": "aggregation_id", "label": "aggregation_name"})
    sc = dataclasses.replace(sc, aggregation=cells)
    cfg = PlanConfig(lang="en", limit_to_aggregation=True, service_points=False,
                     priorities=False, sensors=None, minimum_needs={"name": "BPBD", "items": [
                         {"key": "rice_kg", "amount": 2.5, "unit": "kg"}]})
    res = run_plan(sc, cfg)
    assert res.exposure.aggregation == "desa" and res.exposure_areas is not None
    assert set(res.exposure_areas.aggregation_summary["admin_code"]) == set(
        cells["aggregation_id"])
    # the school and the Puskesmas lie in desa Kappuna (x 1500): outside the grid, dropped
    assert res.exposure_areas.analysis_summary.loc[0, "buildings_total"] == 1
    assert res.exposure.analysis_summary.loc[0, "buildings_total"] == 2
    assert list(res.exposure.needs.columns) == ["admin_code", "displaced", "rice_kg"]
    write_outputs(res, tmp_path / "out")
    names = {row[0] for row in pyogrio.list_layers(tmp_path / "out" / "plan.gpkg")}
    assert {"aggregation_summary_areas", "aggregation", "demographic_breakdown",
            "exposure_by_area_buildings"} <= names


def test_bad_census_values_and_needs_files(tmp_path) -> None:
    from kotacerdas_gis.errors import DataError
    from kotacerdas_gis.io.profiles import read_needs_profile

    bad = gpd.GeoDataFrame({"population": [-5, 10]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                           crs=CRS)
    with pytest.raises(SchemaError, match="census: column 'population' has negative"):
        build_scenario(name="t", census=bad)
    # in the analysis step itself: missing or negative counts become 0, counted
    nan = gpd.GeoDataFrame({"population": [np.nan, -3.0, 100.0]},
                           geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)],
                           crs=CRS)
    res = run(census=nan)
    step = next(s for s in res.report.steps if s.step == "census x areas x zones")
    assert step.reasons_repaired["missing or negative census population set to 0"] == 2
    assert res.analysis_summary.loc[0, "population"] == pytest.approx(100)
    (tmp_path / "needs.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_needs_profile(tmp_path / "needs.json")
    (tmp_path / "needs.toml").write_text('[[items]]\nkey = "rice_kg"\n')
    with pytest.raises(SchemaError, match="needs 'key' and 'amount'"):
        read_needs_profile(tmp_path / "needs.toml")
    (tmp_path / "needs.csv").write_text("x")
    with pytest.raises(DataError, match=".json or .toml"):
        read_needs_profile(tmp_path / "needs.csv")
    from kotacerdas_gis import PlanConfig

    with pytest.raises(ParameterError, match="minimum_needs"):
        PlanConfig(minimum_needs={"items": []})
    with pytest.raises(ParameterError, match="limit_to_aggregation"):
        PlanConfig(limit_to_aggregation="yes")


def test_desa_population_on_the_grid_by_residential_buildings() -> None:
    """800 people, residential floor 300 m² in r0c0 (wet) and 100 m² in r1c3: 600 and 200."""
    desa = gpd.GeoDataFrame({"admin_code": ["D1"], "admin_name": ["Bone"]},
                            geometry=[box(0, 0, 400, 200)], crs=CRS)
    pop = pd.DataFrame({"admin_code": ["D1"], "population": [800.0], "female": [400.0]})
    b = gpd.GeoDataFrame({"asset_id": ["h1", "h2", "s1"],
                          "exposure_class": ["residential", "residential", "education"]},
                         geometry=[box(10, 10, 30, 25), box(310, 110, 320, 120),
                                   box(200, 10, 290, 90)], crs=CRS)
    res = run(admin=desa, population=pop, buildings=b)
    p = res.population_impact.set_index(["admin_code", "hazard_class"])
    assert p.loc[("r0c0", "wet"), "population"] == pytest.approx(600)
    assert p.loc[("r0c0", "wet"), "displaced"] == pytest.approx(540)
    assert p.loc[("r0c0", "wet"), "female_displaced"] == pytest.approx(270)
    assert p.loc[("r1c3", "not exposed"), "population"] == pytest.approx(200)
    assert set(res.population_impact["method"]) == {"buildings"}
    area = run(admin=desa, population=pop, buildings=b, population_method="area")
    assert area.analysis_summary.loc[0, "total_affected"] == pytest.approx(800 * 150 / 400)


def test_cli_run_on_a_grid_manifest(tmp_path) -> None:
    """`kotacerdas run` on a manifest with a grid, census blocks and an OSM extract."""
    import json

    from typer.testing import CliRunner

    import pyogrio

    from kotacerdas_gis.cli import app

    x0, y0 = 203_000.0, 9_717_000.0
    flood = gpd.GeoDataFrame({"flood_id": ["f1"], "depth_min_m": [1.0], "depth_max_m": [2.0]},
                             geometry=[box(x0, y0, x0 + 100, y0 + 400)], crs=CRS)
    m = _write_manifest(tmp_path, observed_flood_2020={"path": "flood.gpkg"})
    flood.to_file(tmp_path / "flood.gpkg")
    (tmp_path / "plan.json").write_text(json.dumps({"limit_to_aggregation": True,
                                                    "service_points": False,
                                                    "priorities": False, "sensors": None}))
    out = CliRunner().invoke(app, ["run", str(m), "--out", str(tmp_path / "out"),
                                   "--config", str(tmp_path / "plan.json")])
    assert out.exit_code == 0, out.output
    names = {row[0] for row in pyogrio.list_layers(tmp_path / "out" / "plan.gpkg")}
    assert {"aggregation", "census", "aggregation_summary_areas", "demographic_breakdown",
            "exposure_by_area_buildings", "exposure_by_area_roads"} <= names
    demo = pyogrio.read_dataframe(tmp_path / "out" / "plan.gpkg", layer="demographic_breakdown")
    # the census block x 50-150 of cell r0c0 | r0c1, wet over x < 100: 500 people affected
    total = demo[demo.aggregation_id == "total"].iloc[0]
    assert total["total_affected"] == pytest.approx(500)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["parameters"]["limit_to_aggregation"] is True
