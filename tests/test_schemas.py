"""Adapters to the canonical schemas, on small fixtures and the real HDX/BPS village boundaries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from kotacerdas_gis.errors import SchemaError
from kotacerdas_gis.io.vector import read_vector
from kotacerdas_gis.schemas import (
    BUILDING_EXPOSURE_CLASSES,
    LUWU_UTARA_KECAMATAN,
    admin_from_bigrbi,
    admin_from_hdx,
    bridge_flag,
    exposure_class_from_types,
    normalise_name,
    road_class_from_highway,
)

MASAMBA_TOWN = Point(120.33, -2.55)  # lon, lat (DOMAIN.md)


# --- the real data: what PROVENANCE.md says of it ------------------------------------------------


@pytest.fixture(scope="module")
def hdx_desa(request: pytest.FixtureRequest) -> gpd.GeoDataFrame:
    path: Path = request.getfixturevalue("real_desa_path")
    return admin_from_hdx(read_vector(path, to_crs="EPSG:32751"), level="desa")


@pytest.fixture(scope="module")
def real_desa_path() -> Path:  # module-scoped twin of the conftest fixture
    from conftest import shared_real_dir, skip_or_fail

    path = shared_real_dir() / "luwu_utara_desa_hdx_bps2020.geojson"
    if not path.exists():
        skip_or_fail(f"real data not found at {path}")
    return path


def test_real_hdx_villages_load_into_canonical_schema(hdx_desa: gpd.GeoDataFrame) -> None:
    assert len(hdx_desa) == 179
    assert hdx_desa.crs.to_epsg() == 32751
    assert {"admin_code", "admin_name", "admin_level", "parent_code"} <= set(hdx_desa.columns)
    assert (hdx_desa["admin_level"] == "desa").all()
    assert hdx_desa["admin_code"].is_unique  # names are not keys, codes are
    assert (hdx_desa["code_system"] == "bps").all()
    # about 7,586 km2 in all (PROVENANCE.md)
    assert hdx_desa.area.sum() / 1e6 == pytest.approx(7586, rel=0.01)


def test_real_hdx_has_the_old_12_kecamatan(hdx_desa: gpd.GeoDataFrame) -> None:
    assert hdx_desa["parent_code"].nunique() == 12
    names = set(hdx_desa["kecamatan_name"].map(normalise_name))
    assert "limbong" in names and "rongkong" not in names
    # every old kecamatan maps to today's Kemendagri code; Limbong is Rongkong now
    assert hdx_desa["kemendagri_kecamatan"].notna().all()
    limbong = hdx_desa.loc[hdx_desa["kecamatan_name"] == "Limbong", "kemendagri_kecamatan"]
    assert set(limbong) == {"73.22.05"} and LUWU_UTARA_KECAMATAN["73.22.05"] == "Rongkong"


def test_real_hdx_masamba_town_in_village_bone(hdx_desa: gpd.GeoDataFrame) -> None:
    town = gpd.GeoSeries([MASAMBA_TOWN], crs=4326).to_crs(32751).iloc[0]
    hit = hdx_desa[hdx_desa.contains(town)]
    assert hit["admin_code"].tolist() == ["id7322120020"]
    assert hit["admin_name"].tolist() == ["Bone"]
    assert hit["kecamatan_name"].tolist() == ["Masamba"]


def test_real_hdx_names_repeat_so_names_are_not_keys(hdx_desa: gpd.GeoDataFrame) -> None:
    counts = hdx_desa["admin_name"].map(normalise_name).value_counts()
    assert counts.get("benteng", 0) >= 2
    # the transmigration units' inconsistent spelling normalises to one form
    upt = hdx_desa[hdx_desa["admin_name"].str.contains("upt", case=False)]
    assert len(upt) == 6
    assert upt["admin_name"].map(normalise_name).str.startswith("upt ").all()


def test_real_hdx_kecamatan_dissolve(real_desa_path: Path) -> None:
    kec = admin_from_hdx(read_vector(real_desa_path, to_crs="EPSG:32751"), level="kecamatan")
    assert len(kec) == 12
    assert set(kec["admin_level"]) == {"kecamatan"}
    masamba = kec[kec["admin_name"] == "Masamba"]
    assert masamba["admin_code"].tolist() == ["id7322120"]
    assert masamba["kemendagri_kecamatan"].tolist() == ["73.22.03"]


# --- BIG RBI ------------------------------------------------------------------------------------


def test_bigrbi_adapter_checks_names_against_level() -> None:
    # a dissolved regency outline that kept one village's NAMOBJ: counted, and named by the level
    big = gpd.GeoDataFrame(
        {
            "NAMOBJ": ["Bone", "Luwu Utara"],
            "WADMKD": ["Bone", "Kappuna"],
            "WADMKC": ["Masamba", "Masamba"],
            "WADMKK": ["Luwu Utara", "Luwu Utara"],
            "KDPKAB": ["73.22", "73.22"],
            "KDPPUM": ["73", "73"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=32751,
    )
    kab, report = admin_from_bigrbi(big, level="kabupaten")
    assert kab["admin_name"].tolist() == ["Luwu Utara", "Luwu Utara"]
    assert kab["admin_code"].tolist() == ["73.22", "73.22"]
    assert report.reasons_repaired == {"NAMOBJ disagrees with level name": 1}
    with pytest.raises(SchemaError, match=r"missing column\(s\) 'KDEPUM'"):
        admin_from_bigrbi(big, level="desa")


# --- exposure classes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Rumah Sakit Umum Daerah", "health"),
        ("RSUD Andi Djemma", "health"),
        ("Puskesmas Pembantu", "health"),
        ("hospital", "health"),
        ("SD Negeri 1 Masamba", "education"),
        ("school", "education"),
        ("Masjid", "place of worship"),
        ("church", "place of worship"),
        ("Kantor Bupati", "government"),
        ("Kantor DPRD", "government"),
        ("townhall", "government"),
        ("Bandar Udara", "transport"),
        ("Pasar", "commercial"),
        ("retail", "commercial"),
        ("house", "residential"),
        ("Rumah", "residential"),
        ("yes", None),
        ("", None),
    ],
)
def test_exposure_class_table(value: str, expected: str | None) -> None:
    classes, report = exposure_class_from_types(pd.Series([value]))
    assert classes.iloc[0] == (expected or "other")
    assert report.n_repaired == (0 if expected else 1)
    assert classes.iloc[0] in BUILDING_EXPOSURE_CLASSES


def test_exposure_class_fallback_and_index_kept() -> None:
    amenity = pd.Series([None, "school", None], index=[10, 11, 12])
    building = pd.Series(["house", "yes", "yes"], index=[10, 11, 12])
    classes, report = exposure_class_from_types(amenity, fallback=building)
    assert classes.to_dict() == {10: "residential", 11: "education", 12: "other"}
    assert report.reasons_repaired == {"unknown type mapped to 'other'": 1}


def test_road_classes() -> None:
    roads, report = road_class_from_highway(
        pd.Series(["trunk", "secondary", "tertiary", "unclassified", "track", "Jalan Desa",
                   "weird"])
    )
    assert roads.tolist() == ["primary", "secondary", "secondary", "local", "path", "local",
                              "other"]
    assert report.n_repaired == 1


def test_bridge_flag_numbers_and_numeric_text() -> None:
    # a 0/1 column read with gaps is float: 0.0 is not a bridge (its text "0.0" was taken as yes)
    flags = bridge_flag(pd.Series([1.0, 0.0, float("nan"), "0.0", "1", 0, "no", "yes", None]))
    assert flags.tolist() == [True, False, False, False, True, False, False, True, False]
