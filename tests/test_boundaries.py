"""Admin boundaries and layer extents, as Scenario.validate (check and run) sees them.

The kemendagri adapter, overlaps trimmed once (people kept), hierarchy and code checks, layers
outside the study area with a diagnosis.

Hand-made fixtures are boxes of whole kilometres; the real HDX (BPS 2020) villages of Luwu
Utara are read from ../shared/data/real (KOTACERDAS_SHARED_DATA) and never copied.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import box

from kotacerdas_gis.errors import DataError, RepairWarning, SchemaError
from kotacerdas_gis.exposure import analyse_exposure, prepare_admin
from kotacerdas_gis.io.manifest import read_scenario
from kotacerdas_gis.io.vector import read_vector
from kotacerdas_gis.scenario import build_scenario
from kotacerdas_gis.schemas import admin_from_kemendagri, admin_name_key, code_system_of

X0, Y0 = 200_000.0, 9_700_000.0  # UTM 51S, near Masamba
KM = 1000.0
HDX = "luwu_utara_desa_hdx_bps2020.geojson"


def kbox(x0, y0, x1, y1):
    """Return a box in km from (X0, Y0)."""
    return box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)


def desa(codes, names, geoms, parent="73.22.03"):
    return gpd.GeoDataFrame({"admin_code": codes, "admin_name": names, "admin_level": "desa",
                             "parent_code": parent}, geometry=geoms, crs=32751)


def kecamatan(codes, names, geoms):
    return gpd.GeoDataFrame({"admin_code": codes, "admin_name": names,
                             "admin_level": "kecamatan", "parent_code": "73.22"},
                            geometry=geoms, crs=32751)


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        return fn(*a, **k)


def kemendagri_file(tmp_path):
    """One GeoPackage with a kecamatan and its kelurahan and desa, Kemendagri style."""
    g = gpd.GeoDataFrame(
        {"kode": ["73.22.03", "73.22.03.1002", "7322032001"],
         "nama": ["Masamba", "Kasimbong", "Bone"]},
        geometry=[kbox(0, 0, 2, 1), kbox(0, 0, 1, 1), kbox(1, 0, 2, 1)], crs=32751)
    p = tmp_path / "batas_kemendagri.gpkg"
    g.to_file(p)
    return p


# ------------------------------------------------------------------------ kemendagri adapter

def test_kemendagri_levels_parents_and_kelurahan_from_the_code(tmp_path):
    g = read_vector(kemendagri_file(tmp_path))
    d, rep = admin_from_kemendagri(g, level="desa")
    assert d[["admin_code", "admin_level", "parent_code", "desa_type", "code_system"]
             ].values.tolist() == [
        ["73.22.03.1002", "desa", "73.22.03", "kelurahan", "kemendagri"],
        ["73.22.03.2001", "desa", "73.22.03", "desa", "kemendagri"],
    ]
    assert rep.reasons_repaired["code written without dots read as dotted"] == 1
    assert rep.notes == ["1 rows of other levels by their code (1 kecamatan) left out of this "
                         "layer: read the file under their own admin_* key"]
    k, _ = admin_from_kemendagri(g, level="kecamatan")
    assert k[["admin_code", "admin_name", "parent_code"]].values.tolist() == [
        ["73.22.03", "Masamba", "73.22"]]


def test_kemendagri_adapter_from_a_manifest(tmp_path):
    p = kemendagri_file(tmp_path)
    m = {"name": "kmd", "crs": "EPSG:32751", "layers": {
        "admin_kecamatan": {"path": p.name, "adapter": "kemendagri"},
        "admin_desa": {"path": p.name, "adapter": "kemendagri"}}}
    (tmp_path / "m.json").write_text(json.dumps(m))
    sc = quiet(read_scenario, tmp_path / "m.json")
    assert sc.admin_desa["admin_code"].tolist() == ["73.22.03.1002", "73.22.03.2001"]
    assert sc.admin_kecamatan["admin_code"].tolist() == ["73.22.03"]
    rep = sc.validate()
    assert rep.ok and rep.remarks == []  # parents match, one code system, no overlap


def test_unknown_adapter_names_kemendagri(tmp_path):
    p = kemendagri_file(tmp_path)
    (tmp_path / "m.json").write_text(json.dumps({"crs": "EPSG:32751", "layers": {
        "admin_desa": {"path": p.name, "adapter": "kemendagr"}}}))
    with pytest.raises(SchemaError, match="did you mean 'kemendagri'.*bigrbi, kemendagri"):
        read_scenario(tmp_path / "m.json")


def test_kemendagri_adapter_without_kode_hints_at_rename(tmp_path):
    g = read_vector(kemendagri_file(tmp_path)).rename(columns={"kode": "KODE_DESA"})
    with pytest.raises(SchemaError, match=r"missing column\(s\) 'kode'.*in a manifest, the layer's "
                                          r"\"rename\": \{\"<your column>\": \"kode\"\}"):
        admin_from_kemendagri(g, level="desa")


def test_kemendagri_adapter_refuses_bps_codes_naming_them(real_data_dir):
    g = read_vector(real_data_dir / HDX, metric=False).rename(
        columns={"village_code": "kode", "village": "nama"})
    with pytest.raises(SchemaError, match=r"179 codes of unknown shape.*'id7322.*look like BPS "
                                          r"codes \(HDX\): use the 'hdx' adapter"):
        admin_from_kemendagri(g, level="desa")


def test_kemendagri_adapter_without_rows_of_the_level(tmp_path):
    g = read_vector(kemendagri_file(tmp_path))
    with pytest.raises(SchemaError,
                       match=r"no kabupaten codes in column 'kode'.*looks like 73.22\."):
        admin_from_kemendagri(g, level="kabupaten")


def test_code_systems_and_name_keys():
    assert [code_system_of(c) for c in ("73.22.03.2001", "7322032001", "id7322120020",
                                        "7322120", None)] == [
        "kemendagri", "kemendagri", "bps", "bps", None]
    assert admin_name_key("Desa Giri Kusuma") == admin_name_key("GIRIKUSUMA")
    assert admin_name_key("Kelurahan Bone-Bone") == admin_name_key("bone bone")
    assert admin_name_key("Torada") != admin_name_key("Toradda")  # spellings stay different


# ------------------------------------------------------------------- overlaps, people kept

def test_a_desa_inside_another_keeps_its_5899_people():
    """The issue's case (reproduced first): a desa trimmed by an overlap lost 5,899 people."""
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                              "displacement_rate": [0.05]}, geometry=[kbox(0, 0, 0.5, 1)],
                             crs=32751)
    admin = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Kappuna"],
                 [kbox(0, 0, 1, 1), kbox(0.1, 0.1, 0.4, 0.4)])  # Kappuna inside Bone
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"],
                        "population": [1000, 5899]})
    s = quiet(analyse_exposure, zones, admin=admin, population=pop).aggregation_summary
    got = dict(zip(s["admin_code"], s["population"], strict=True))
    assert got == pytest.approx({"73.22.03.2001": 1000.0, "73.22.03.2002": 5899.0})
    # Kappuna lies wholly in the high zone: all its people are affected
    assert s.set_index("admin_code").loc["73.22.03.2002", "total_affected"] == pytest.approx(5899)


def test_a_partly_trimmed_desa_keeps_its_people():
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                              "displacement_rate": [0.0]}, geometry=[kbox(0, 0, 3, 1)],
                             crs=32751)
    admin = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Kappuna"],
                 [kbox(0, 0, 2, 1), kbox(1, 0, 3, 1)])  # 1 km2 shared
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"],
                        "population": [900, 1100]})
    s = quiet(analyse_exposure, zones, admin=admin, population=pop).aggregation_summary
    assert s["population"].sum() == pytest.approx(2000.0)
    assert s["total_affected"].sum() == pytest.approx(2000.0)


def test_overlaps_are_trimmed_once_on_loading_at_every_level_and_reported():
    kec = kecamatan(["73.22.03", "73.22.11"], ["Masamba", "Baebunta"],
                    [kbox(0, 0, 2, 2), kbox(1.5, 0, 4, 2)])  # 1 km2 shared
    d = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Kappuna"],
             [kbox(0, 0, 1.2, 2), kbox(1, 0, 2, 2)])  # 0.4 km2 shared
    with pytest.warns(RepairWarning, match="trim overlaps admin_desa"):
        sc = build_scenario(name="overlaps", admin_kecamatan=kec, admin_desa=d)
    for layer in (sc.admin_kecamatan, sc.admin_desa):
        g = layer.geometry.to_numpy()
        assert shapely.area(shapely.intersection(g[0], g[1])) < 1e-6
    # the smaller unit keeps the overlap: Masamba (4 km2) from Baebunta (5 km2), Kappuna
    # (2 km2) from Bone (2.4 km2)
    assert sc.admin_kecamatan.area.tolist() == pytest.approx([4e6, 4e6])
    assert sc.admin_desa.area.tolist() == pytest.approx([2.0e6, 2.0e6])
    steps = {s.step: s for s in sc.ledger.steps}
    assert steps["trim overlaps admin_kecamatan"].n_repaired == 1
    assert steps["trim overlaps admin_desa"].n_repaired == 1
    rep = sc.validate()
    assert rep.ok
    kec_remark = next(r for r in rep.remarks if r.startswith("admin_kecamatan: overlapping"))
    assert "1 overlapping pairs, 1.000 km² shared" in kec_remark
    assert "Baebunta (73.22.11) / Masamba (73.22.03)" in kec_remark or \
        "Masamba (73.22.03) / Baebunta (73.22.11)" in kec_remark
    assert any(r.startswith("admin_desa: overlapping units: 1 overlapping pairs, 0.400 km²")
               for r in rep.remarks)
    # the analysis trims the same way: nothing left to trim, the same outlines
    again = prepare_admin(sc.admin_desa)
    assert again.area_m2.tolist() == pytest.approx(sc.admin_desa.area.tolist())


def test_a_twin_outline_is_a_problem_and_its_people_are_not_dropped_silently():
    d = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Bone copy"],
             [kbox(0, 0, 1, 1), kbox(0, 0, 1, 1)])
    sc = quiet(build_scenario, name="twins", admin_desa=d,
               population=pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"],
                                        "population": [100, 5899]}))
    rep = sc.validate()
    assert any("admin_desa: 1 units have no area: Bone copy (73.22.03.2002)" in p
               for p in rep.problems)
    zones = gpd.GeoDataFrame({"hazard_class": ["high"], "class_rank": [3],
                              "displacement_rate": [0.0]}, geometry=[kbox(0, 0, 1, 1)],
                             crs=32751)
    raw = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Bone copy"],
               [kbox(0, 0, 1, 1), kbox(0, 0, 1, 1)])
    with pytest.raises(DataError, match=r"Bone copy \(73.22.03.2002, 5,899 people\)"):
        quiet(analyse_exposure, zones, admin=raw, population=sc.population)


# ------------------------------------------------------------------ hierarchy and codes

def test_parents_that_match_no_unit_are_reported():
    kec = kecamatan(["73.22.03"], ["Masamba"], [kbox(0, 0, 2, 1)])
    d = desa(["73.22.03.2001", "73.22.16.2002"], ["Bone", "Lost"],
             [kbox(0, 0, 1, 1), kbox(1, 0, 2, 1)])
    d["parent_code"] = ["73.22.03", "73.22.16"]
    rep = build_scenario(name="p", admin_kecamatan=kec, admin_desa=d).validate()
    assert any("admin_desa: 1 of 2 units have a parent_code that matches no unit of "
               "admin_kecamatan, e.g. ['73.22.16'] (in Lost (73.22.16.2002))" in r
               for r in rep.remarks)


def test_parents_of_another_code_system_are_named():
    kec = kecamatan(["id7322120"], ["Masamba"], [kbox(0, 0, 2, 1)])
    d = desa(["73.22.03.2001"], ["Bone"], [kbox(0, 0, 1, 1)])
    rep = build_scenario(name="p", admin_kecamatan=kec, admin_desa=d).validate()
    assert any("parent codes are kemendagri codes but admin_kecamatan uses bps codes" in r
               for r in rep.remarks)


def test_mixed_code_systems_in_one_layer_are_a_problem():
    d = desa(["73.22.03.2001", "id7322120020"], ["Bone", "Kappuna"],
             [kbox(0, 0, 1, 1), kbox(1, 0, 2, 1)])
    rep = build_scenario(name="mixed", admin_desa=d).validate()
    assert not rep.ok
    assert any("admin_desa: the layer mixes code systems: 1 Kemendagri codes" in p
               for p in rep.problems)


def test_a_desa_of_2000_km2_is_reported():
    d = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Luwu Utara?"],
             [kbox(0, 0, 1, 1), kbox(1, 0, 41, 50)])
    rep = build_scenario(name="big", admin_desa=d).validate()
    assert any("admin_desa: 1 units are far too large for a desa (over 1,000 km²): "
               "Luwu Utara? (73.22.03.2002, 2,000 km²)" in r for r in rep.remarks)


def test_population_names_that_disagree_are_reported_after_normalising():
    d = desa(["73.22.03.2001", "73.22.03.2002", "73.22.03.2003"],
             ["Bone-Bone", "Giri Kusuma", "Kappuna"],
             [kbox(0, 0, 1, 1), kbox(1, 0, 2, 1), kbox(2, 0, 3, 1)])
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002", "73.22.03.2003"],
                        "nama": ["DESA BONE BONE", "Kelurahan Girikusuma", "Masamba"],
                        "population": [1, 2, 3]})
    rep = build_scenario(name="names", admin_desa=d, population=pop).validate()
    hits = [r for r in rep.remarks if r.startswith("population: ")]
    assert hits == [
        "population: 1 of 3 rows name another unit than the desa of their admin_code (after "
        "normalising case, Desa/Kelurahan prefixes, spaces and hyphens; column 'nama'): "
        "73.22.03.2003 'Masamba' vs 'Kappuna'. Check that the table and the boundaries use the "
        "same code list (and year)."]


# -------------------------------------------------------------- layers outside the study area

def _with_roads(roads):
    d = desa(["73.22.03.2001"], ["Bone"], [kbox(0, 0, 10, 20)])
    return quiet(build_scenario, name="roads", admin_desa=d, roads=roads)


def test_a_layer_with_x_and_y_swapped_is_an_error_saying_so():
    line = shapely.LineString([(Y0 + 1000, X0 + 1000), (Y0 + 2000, X0 + 3000)])
    rep = _with_roads(gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[line], crs=32751)
                      ).validate()
    assert not rep.ok
    assert any(p.startswith("roads: all 1 features lie outside the study area") and
               "x and y are swapped" in p for p in rep.problems)
    assert not any("lie outside the study boundary" in r for r in rep.remarks)


def test_degrees_declared_as_metres_are_an_error_saying_so():
    line = shapely.LineString([(120.30, -2.55), (120.34, -2.56)])  # lon/lat in a UTM layer
    rep = _with_roads(gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[line], crs=32751)
                      ).validate()
    assert any("look like degrees" in p and "the .prj is wrong" in p for p in rep.problems)


def test_a_layer_of_another_region_names_the_distance():
    line = shapely.LineString([(X0 + 310_000, Y0), (X0 + 320_000, Y0)])
    rep = _with_roads(gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[line], crs=32751)
                      ).validate()
    assert any("it lies 300 km from the study area" in p and "another region" in p
               for p in rep.problems)


def test_a_wrong_prj_on_metres_is_diagnosed_from_the_file(tmp_path):
    """UTM 51S coordinates in a file whose .prj says UTM 50S: finite after reprojection, far."""
    line = shapely.LineString([(X0 + 1000, Y0 + 1000), (X0 + 3000, Y0 + 2000)])
    p = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[line], crs=32750).to_file(p)
    roads = read_vector(p, to_crs="EPSG:32751")
    rep = _with_roads(roads).validate()
    assert any("are already those of the study area in EPSG:32751" in p and
               "declares EPSG:32750" in p for p in rep.problems)


def test_a_desa_layer_far_from_the_kecamatan_is_an_error():
    kec = kecamatan(["73.22.03"], ["Masamba"], [kbox(0, 0, 2, 1)])
    d = desa(["73.22.03.2001"], ["Bone"], [kbox(0, 300, 1, 301)])
    rep = build_scenario(name="far", admin_kecamatan=kec, admin_desa=d).validate()
    assert any(p.startswith("admin_desa: all 1 features lie outside") and "299 km" in p
               for p in rep.problems)


# ------------------------------------------------------------------------------- real data

def _hdx_manifest(tmp_path, real_data_dir, **extra):
    m = {"name": "Luwu Utara HDX", "layers": {
        "admin_kecamatan": {"path": str(real_data_dir / HDX), "adapter": "hdx"},
        "admin_desa": {"path": str(real_data_dir / HDX), "adapter": "hdx"}, **extra}}
    (tmp_path / "m.json").write_text(json.dumps(m))
    return tmp_path / "m.json"


def test_real_hdx_boundaries_pass_every_boundary_check(tmp_path, real_data_dir):
    sc = quiet(read_scenario, _hdx_manifest(tmp_path, real_data_dir))
    rep = sc.validate()
    assert rep.ok and rep.problems == [] and rep.remarks == []
    assert len(sc.admin_desa) == 179 and len(sc.admin_kecamatan) == 12
    assert not any(s.step.startswith("trim overlaps") for s in sc.ledger.steps)  # no overlaps


def test_real_hdx_boundaries_with_swapped_axes_are_diagnosed(tmp_path, real_data_dir):
    g = read_vector(real_data_dir / HDX, metric=False)
    swapped = g.set_geometry(shapely.transform(g.geometry.to_numpy(), lambda xy: xy[:, ::-1]))
    swapped = swapped.set_crs(32751, allow_override=True)
    # the UTM outline of the real villages, with x and y swapped, as a roads-like layer
    utm = g.to_crs(32751)
    lines = shapely.transform(utm.boundary.to_numpy()[:5], lambda xy: xy[:, ::-1])
    sc = quiet(read_scenario, _hdx_manifest(tmp_path, real_data_dir))
    bad = quiet(build_scenario, name="x", crs=sc.crs, admin_desa=sc.admin_desa,
                rivers=gpd.GeoDataFrame(geometry=lines, crs=32751))
    rep = bad.validate()
    assert any(p.startswith("rivers: all 5 features lie outside") and "x and y are swapped"
               in p for p in rep.problems)
    assert len(swapped) == 179


def test_real_hdx_population_names_checked(tmp_path, real_data_dir):
    sc = quiet(read_scenario, _hdx_manifest(tmp_path, real_data_dir))
    d = sc.admin_desa
    pop = pd.DataFrame({"admin_code": d["admin_code"],
                        "nama": "DESA " + d["admin_name"].str.upper(),
                        "population": 100})
    pop.loc[0, "nama"] = "Bukan Nama Ini"
    rep = quiet(build_scenario, name="x", admin_desa=d, population=pop).validate()
    hits = [r for r in rep.remarks if r.startswith("population: ")]
    assert len(hits) == 1 and hits[0].startswith("population: 1 of 179 rows name another unit")


def test_plan_gpkg_holds_the_trimmed_desa_the_analysis_used(tmp_path):
    """Overlaps trimmed the same way for the analysis and plan.gpkg (it kept untrimmed layers)."""
    import kotacerdas_gis as kc
    from kotacerdas_gis.testing import TINY_X0, TINY_Y0, tiny_flood, tiny_scenario

    sc = quiet(tiny_scenario, flood=tiny_flood())
    d = sc.admin_desa.copy()  # Kappuna reaches 200 m into Bone: 0.2 km2 shared
    d.loc[1, "geometry"] = box(TINY_X0 + 800, TINY_Y0, TINY_X0 + 2000, TINY_Y0 + 1000)
    sc2 = quiet(build_scenario, name="overlap", admin_desa=d, buildings=sc.buildings,
                roads=sc.roads, facilities=sc.facilities, population=sc.population,
                observed_flood_2020=sc.observed_flood_2020)
    res = quiet(kc.run_plan, sc2)
    quiet(kc.write_outputs, res, tmp_path)
    written = gpd.read_file(tmp_path / "plan.gpkg", layer="admin_desa")
    used = res.exposure.aggregation_summary
    assert written.area.tolist() == pytest.approx([1e6, 1e6])  # Bone (smaller) kept the overlap
    assert used.area.tolist() == pytest.approx(written.area.tolist())
    assert used["population"].sum() == pytest.approx(2000.0)  # nobody lost


def test_an_invalid_overlapping_outline_is_trimmed_without_a_geos_error():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 2000, Y0 + 1000), (X0 + 2000, Y0),
                              (X0, Y0 + 1000)])  # self-intersecting
    d = desa(["73.22.03.2001", "73.22.03.2002"], ["Bone", "Kappuna"],
             [bowtie, kbox(1.5, 0, 2, 1)])  # Kappuna (0.5 km2) is the smaller: Bone is cut
    sc = quiet(build_scenario, name="bowtie", admin_desa=d)
    step = next(s for s in sc.ledger.steps if s.step == "trim overlaps admin_desa")
    assert step.reasons_repaired["invalid admin outline made valid to be trimmed"] == 1
    assert shapely.is_valid(sc.admin_desa.geometry.to_numpy()).all()


def test_population_codes_of_another_system_are_named():
    d = desa(["id7322120020"], ["Bone"], [kbox(0, 0, 1, 1)])
    pop = pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [5]})
    rep = build_scenario(name="sys", admin_desa=d, population=pop).validate()
    assert any("The table's codes are kemendagri codes, the desa's bps codes" in p
               for p in rep.problems)


def test_real_desa_outside_a_population_raster_are_named(tmp_path, real_data_dir):
    """A synthetic population raster over Masamba town only, against the real 179 villages."""
    import numpy as np

    from kotacerdas_gis.io.raster import validate_raster, write_raster

    sc = quiet(read_scenario, _hdx_manifest(tmp_path, real_data_dir))
    town = gpd.GeoSeries.from_xy([120.33], [-2.55], crs=4326).to_crs(sc.crs).iloc[0]
    from affine import Affine

    src = write_raster(np.full((40, 40), 3.0, "float32"), tmp_path / "pop.tif",
                       transform=Affine(100, 0, town.x - 2000, 0, -100, town.y + 2000),
                       crs=sc.crs, nodata=-1.0)
    with pytest.raises(DataError) as exc:
        validate_raster(src, "population", admin=sc.admin_desa, working_crs=sc.crs)
    msg = str(exc.value)
    footprint = box(*src.bounds)
    outside = sc.admin_desa[~sc.admin_desa.intersects(footprint)]
    assert 150 < len(outside) < 179  # the villages around the town are covered
    assert f"no valid cell in {len(outside)} of 179 admin units" in msg
    first = outside.iloc[0]
    assert f"{first['admin_name']} ({first['admin_code']})" in msg
    assert "Bone (id7322120020)" not in msg  # the town's village is covered
