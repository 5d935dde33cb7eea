"""Scenario building, validation and the manifest reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import CRSMismatchError, DataError, RepairWarning, SchemaError
from kotacerdas_gis.io.atomic import atomic_path, write_json_atomic
from kotacerdas_gis.io.manifest import read_scenario
from kotacerdas_gis.scenario import build_scenario

X0, Y0 = 200_000.0, 9_710_000.0


def admin(level: str, codes: list[str], parent: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "admin_code": codes,
            "admin_name": [f"unit {c}" for c in codes],
            "admin_level": level,
            "parent_code": parent,
        },
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000)
                  for i in range(len(codes))],
        crs=32751,
    )


@pytest.fixture
def desa() -> gpd.GeoDataFrame:
    return admin("desa", ["73.22.03.2001", "73.22.03.2002"], "73.22.03")


def test_assets_are_classified_and_counted(desa: gpd.GeoDataFrame) -> None:
    buildings = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2", "b2"], "building": ["house", "school", "spaceship"]},
        geometry=[box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)] * 3,
        crs=32751,
    )
    roads = gpd.GeoDataFrame(
        {"road_id": [1, 2], "highway": ["trunk", "residential"], "bridge": ["yes", None]},
        geometry=[LineString([(X0, Y0 + 5), (X0 + 500, Y0 + 5)])] * 2,
        crs=32751,
    )
    before = buildings.copy()
    with pytest.warns(RepairWarning):
        sc = build_scenario(name="t", admin_desa=desa, buildings=buildings, roads=roads)
    pd.testing.assert_frame_equal(buildings, before)  # input untouched
    assert sc.buildings["exposure_class"].tolist() == ["residential", "education", "other"]
    assert sc.buildings["asset_id"].tolist() == ["b1", "b2", "b2~1"]
    step = next(s for s in sc.ledger.steps if s.step == "adapt buildings")
    assert step.reasons_repaired == {
        "duplicate id made unique with a suffix": 1,
        "unknown type mapped to 'other'": 1,
    }
    assert sc.roads["road_class"].tolist() == ["primary", "local"]
    assert sc.roads["bridge"].tolist() == [True, False]
    assets = sc.assets
    assert len(assets) == 5 and set(assets["asset_class"]) == {"building", "road"}


def test_layers_in_other_crs_are_refused(desa: gpd.GeoDataFrame) -> None:
    other = gpd.GeoDataFrame(geometry=[Point(120.33, -2.55)], crs=4326)
    with pytest.raises(Exception, match="geographic EPSG:4326"):
        build_scenario(name="t", admin_desa=desa, facilities=other)
    utm50 = gpd.GeoDataFrame(geometry=[Point(800_000, 9_717_000)], crs=32750)
    with pytest.raises(CRSMismatchError,
                       match="admin_desa is in EPSG:32751.*facilities is in EPSG:32750"):
        build_scenario(name="t", admin_desa=desa, facilities=utm50)


def test_population_checks(desa: gpd.GeoDataFrame) -> None:
    good = pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [1000], "female": [500]})
    sc = build_scenario(name="t", admin_desa=desa, population=good)
    report = sc.validate()
    assert report.ok
    assert any("1 desa have no population row" in r for r in report.remarks)
    neg = good.assign(population=[-5])
    with pytest.raises(SchemaError, match=r"negative values for admin_code \['73.22.03.2001'\]"):
        build_scenario(name="t", admin_desa=desa, population=neg)
    nan = good.assign(population=[np.nan])
    with pytest.raises(SchemaError, match="column .population. has 1 missing value"):
        build_scenario(name="t", admin_desa=desa, population=nan)
    too_many = good.assign(female=[2000])
    with pytest.raises(SchemaError, match="exceeds the population"):
        build_scenario(name="t", admin_desa=desa, population=too_many)
    stray = pd.DataFrame({"admin_code": ["id7322120020"], "population": [10]})
    report = build_scenario(name="t", admin_desa=desa, population=stray).validate()
    assert not report.ok and "match no desa" in report.problems[0]


def test_validate_reports_assets_outside_and_duplicate_codes(desa: gpd.GeoDataFrame) -> None:
    fac = gpd.GeoDataFrame(
        {"facility_id": ["in", "out"], "facility_type": ["Puskesmas", "SD"]},
        geometry=[Point(X0 + 50, Y0 + 50), Point(X0 - 5000, Y0)],
        crs=32751,
    )
    report = build_scenario(name="t", admin_desa=desa, facilities=fac).validate()
    assert report.ok
    assert "facilities: 1 of 2 features lie outside the study boundary" in report.remarks[0]
    dup = pd.concat([desa, desa], ignore_index=True)
    report = build_scenario(name="t", admin_desa=dup).validate()
    assert not report.ok and "2 duplicate admin_code" in report.problems[0]


def test_admin_layer_must_be_canonical(desa: gpd.GeoDataFrame) -> None:
    with pytest.raises(SchemaError, match=r"admin_desa: missing column\(s\) 'parent_code'"):
        build_scenario(name="t", admin_desa=desa.drop(columns="parent_code"))
    with pytest.raises(SchemaError, match="expected admin_level 'kecamatan'"):
        build_scenario(name="t", admin_kecamatan=desa)


def _manifest(tmp_path: Path, desa: gpd.GeoDataFrame, **extra: object) -> Path:
    desa.to_crs(4326).to_file(tmp_path / "desa.geojson")  # geographic on disk: reprojected on read
    pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [10]}).to_csv(
        tmp_path / "pop.csv", index=False
    )
    manifest = {
        "name": "tiny",
        "crs": "EPSG:32751",
        "layers": {
            "admin_desa": {"path": "desa.geojson", "source": "test", "licence": "CC0"},
            "population": {"path": "pop.csv"},
        },
        **extra,
    }
    path = tmp_path / "scenario.json"
    write_json_atomic(manifest, path)
    return path


def test_manifest_reads_and_reprojects(tmp_path: Path, desa: gpd.GeoDataFrame) -> None:
    sc = read_scenario(_manifest(tmp_path, desa))
    assert sc.admin_desa.crs.to_epsg() == 32751
    assert sc.admin_desa.area.sum() == pytest.approx(2e6, rel=1e-4)
    assert sc.provenance["admin_desa"] == {"source": "test", "licence": "CC0",
                                           "path": "desa.geojson"}
    assert "reprojected from EPSG:4326" in sc.ledger.steps[0].notes[0]
    assert sc.population["admin_code"].tolist() == ["73.22.03.2001"]


def test_manifest_errors(tmp_path: Path, desa: gpd.GeoDataFrame) -> None:
    path = _manifest(tmp_path, desa)
    data = json.loads(path.read_text())
    data["layers"]["bangunan"] = {"path": "desa.geojson"}
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=r"layers: unknown key\(s\) \['bangunan'\]"):
        read_scenario(path)
    del data["layers"]["bangunan"]
    data["layers"]["roads"] = {"path": "jalan.gpkg"}
    path.write_text(json.dumps(data))
    with pytest.raises(DataError,
                       match="layer 'roads' points to .*jalan.gpkg, which does not exist"):
        read_scenario(path)
    path.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_scenario(path)
    with pytest.raises(DataError, match="manifest not found"):
        read_scenario(tmp_path / "missing.json")


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    write_json_atomic({"v": 1}, target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_float_ids_become_whole_numbers(desa: gpd.GeoDataFrame) -> None:
    roads = gpd.GeoDataFrame(
        {"road_id": [123.0, None, 7.0], "highway": ["trunk"] * 3},
        geometry=[LineString([(X0, Y0), (X0 + 10, Y0)])] * 3,
        crs=32751,
    )
    with pytest.warns(RepairWarning, match="missing road_id generated"):
        sc = build_scenario(name="t", admin_desa=desa, roads=roads)
    assert sc.roads["asset_id"].tolist() == ["123", "road-1", "7"]


def test_manifest_keeps_codes_as_text_through_a_rename(tmp_path: Path) -> None:
    desa = admin("desa", ["0101", "0102"], "01")
    desa.to_file(tmp_path / "desa.gpkg")
    (tmp_path / "pop.csv").write_text("kode,penduduk\n0101,10\n0102,20\n")
    manifest = {
        "name": "codes",
        "layers": {
            "admin_desa": {"path": "desa.gpkg"},
            "population": {
                "path": "pop.csv",
                "rename": {"kode": "admin_code", "penduduk": "population"},
            },
        },
    }
    write_json_atomic(manifest, tmp_path / "scenario.json")
    sc = read_scenario(tmp_path / "scenario.json")
    assert sc.population["admin_code"].tolist() == ["0101", "0102"]
    assert sc.validate().ok
