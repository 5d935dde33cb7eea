"""Locale and field quirks in attribute tables: recognised and counted, or refused (issue 12).

Indonesian numbers (``3.483`` people, ``2,5`` m), ``ya``/``tidak`` flags, units in text
(``150 orang``), Shapefile field names cut to 10 characters, missing counts, footprints without
a maximum depth. Values are never misread: ``3.483`` people never become 3.483.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from kotacerdas_gis.errors import RepairWarning, SchemaError
from kotacerdas_gis.io.manifest import read_scenario
from kotacerdas_gis.io.vector import restore_field_names
from kotacerdas_gis.scenario import build_scenario
from kotacerdas_gis.schemas import bridge_flag, parse_flags, parse_numbers

X0, Y0 = 200_000.0, 9_710_000.0
THOUSANDS = "thousands separator '.' read (Indonesian format, e.g. '3.483' -> 3483)"
DECIMAL = "decimal comma read (Indonesian format, e.g. '2,5' -> 2.5)"
UNIT = "unit removed from a number (e.g. '150 orang' -> 150)"


@pytest.fixture
def desa() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"admin_code": ["73.22.03.2001", "73.22.03.2002"], "admin_name": ["Bone", "Kappuna"],
         "admin_level": "desa", "parent_code": "73.22.03"},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=32751,
    )


def _pop(**cols: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"admin_code": ["73.22.03.2001", "73.22.03.2002"], **cols})


def _quiet_build(**kwargs: object):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        return build_scenario(name="t", **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ numbers


def test_indonesian_thousands_are_people_not_fractions() -> None:
    values, report = parse_numbers(pd.Series(["3.483", "12.050", "900"]), column="population")
    assert values.tolist() == [3483, 12050, 900]
    assert report.reasons_repaired == {f"population: {THOUSANDS}": 2}


def test_several_thousands_groups() -> None:
    values, _ = parse_numbers(pd.Series(["1.234.567"]), column="population")
    assert values.tolist() == [1234567]


def test_decimal_comma_depths() -> None:
    values, report = parse_numbers(pd.Series(["2,5", "0,75", "3"]), column="depth_max_m",
                                   kind="measure")
    assert values.tolist() == [2.5, 0.75, 3.0]
    assert report.reasons_repaired == {f"depth_max_m: {DECIMAL}": 2}


def test_indonesian_column_reads_thousands_and_decimals_together() -> None:
    values, _ = parse_numbers(pd.Series(["1.234,5", "3.483"]), column="area", kind="measure")
    assert values.tolist() == [1234.5, 3483.0]  # the decimal comma says '.' groups thousands


def test_english_decimals_stay_decimals_in_a_measure_column() -> None:
    values, report = parse_numbers(pd.Series(["2.5", "3.483"]), column="depth_max_m",
                                   kind="measure")
    assert values.tolist() == [2.5, 3.483] and report.clean


def test_mixed_conventions_are_refused() -> None:
    with pytest.raises(SchemaError, match=r"population: column 'area': mixes number formats: "
                                          r"Indonesian \['1.234,5'\] .* English \['1,234.5'\]"):
        parse_numbers(pd.Series(["1.234,5", "1,234.5"]), column="area", source="population",
                      kind="measure")


def test_a_count_with_an_english_decimal_beside_is_refused_not_misread() -> None:
    """'2.5' says '.' is a decimal mark, so '3.483' would be 3.483 people: refused."""
    with pytest.raises(SchemaError,
                       match=r"counts must be whole numbers, found \['2.5', '3.483'\]"):
        parse_numbers(pd.Series(["2.5", "3.483"]), column="population")


def test_ambiguous_comma_in_a_measure_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"\['1,500'\] is ambiguous"):
        parse_numbers(pd.Series(["1,500"]), column="depth_max_m", kind="measure")


def test_mixed_thousands_separators_in_counts_are_refused() -> None:
    with pytest.raises(SchemaError, match="mixes thousands separators"):
        parse_numbers(pd.Series(["3.483", "1,200"]), column="population")


def test_units_in_counts_are_removed_and_counted() -> None:
    values, report = parse_numbers(pd.Series(["150 orang", "20 jiwa", "1.200 Orang", 40]),
                                   column="capacity_persons")
    assert values.tolist() == [150, 20, 1200, 40]
    assert report.reasons_repaired[f"capacity_persons: {UNIT}"] == 3


@pytest.mark.parametrize("bad", ["sekitar 150", "150-200", "150 ekor", "banyak", "1e3"])
def test_text_that_is_no_number_is_refused_naming_the_column(bad: str) -> None:
    with pytest.raises(SchemaError, match=r"facilities: column 'capacity_persons': .*not "
                                          r"numbers"):
        parse_numbers(pd.Series([bad, "10"]), column="capacity_persons", source="facilities")


def test_empty_text_is_missing_and_numbers_pass_unchanged() -> None:
    values, report = parse_numbers(pd.Series(["", None, 3.483, np.nan], dtype=object),
                                   column="depth_min_m", kind="measure")
    assert values.isna().tolist() == [True, True, False, True]
    assert values[2] == 3.483 and report.clean


def test_population_csv_with_indonesian_thousands_through_a_manifest(
        tmp_path: Path, desa: gpd.GeoDataFrame) -> None:
    """The issue's case: '3.483' in a CSV was read by pandas as 3.483 people."""
    desa.to_file(tmp_path / "desa.gpkg")
    (tmp_path / "pop.csv").write_text(
        'kode,penduduk,female\n73.22.03.2001,3.483,"1.700"\n73.22.03.2002,12.050,6.000\n')
    (tmp_path / "scenario.json").write_text(json.dumps({"layers": {
        "admin_desa": {"path": "desa.gpkg"},
        "population": {"path": "pop.csv", "rename": {"kode": "admin_code",
                                                     "penduduk": "population"}}}}))
    with pytest.warns(RepairWarning):
        sc = read_scenario(tmp_path / "scenario.json")
    assert sc.population["population"].tolist() == [3483, 12050]
    assert sc.population["female"].tolist() == [1700, 6000]
    step = next(s for s in sc.ledger.steps if s.step == "check population")
    assert step.reasons_repaired[f"population: {THOUSANDS}"] == 2


# ------------------------------------------------------------------------------ flags


def test_tidak_is_no_bridge() -> None:
    assert bridge_flag(pd.Series(["tidak", "ya", "Tidak", "YA", "no", "yes", None])).tolist() == [
        False, True, False, True, False, True, False]


@pytest.mark.parametrize(("text", "flag"), [("y", True), ("t", True), ("true", True),
                                            ("1", True), ("n", False), ("f", False),
                                            ("false", False), ("0", False), ("", False)])
def test_yes_no_words(text: str, flag: bool) -> None:
    assert parse_flags(pd.Series([text]), column="x").tolist() == [flag]


def test_unknown_bridge_values_are_refused_naming_column_and_values() -> None:
    with pytest.raises(SchemaError, match=r"roads: column 'bridge': 3 value\(s\) are neither yes "
                                          r"nor no: 'mungkin' \(2\), 'rusak' \(1\)"):
        bridge_flag(pd.Series(["mungkin", "rusak", "mungkin", "ya"]), source="roads")


def test_roads_with_tidak_are_not_bridges_in_the_scenario(desa: gpd.GeoDataFrame) -> None:
    roads = gpd.GeoDataFrame(
        {"road_id": ["r1", "r2"], "highway": ["trunk", "trunk"], "bridge": ["tidak", "ya"]},
        geometry=[LineString([(X0, Y0 + 10), (X0 + 500, Y0 + 10)])] * 2, crs=32751)
    sc = _quiet_build(admin_desa=desa, roads=roads)
    assert sc.roads["bridge"].tolist() == [False, True]


# ------------------------------------------------------------------------------ fields


def test_capacity_with_units_in_the_scenario_is_parsed_and_counted(
        desa: gpd.GeoDataFrame) -> None:
    fac = gpd.GeoDataFrame(
        {"facility_id": ["f1", "f2", "f3"], "facility_type": ["Puskesmas"] * 3,
         "capacity_persons": ["150 orang", "20 jiwa", None]},
        geometry=[Point(X0 + 10, Y0 + 10)] * 3, crs=32751)
    with pytest.warns(RepairWarning, match="unit removed"):
        sc = build_scenario(name="t", admin_desa=desa, facilities=fac)
    assert sc.facilities["capacity_persons"].tolist()[:2] == [150, 20]
    assert np.isnan(sc.facilities["capacity_persons"].iloc[2])


def test_capacity_text_that_is_no_number_is_refused(desa: gpd.GeoDataFrame) -> None:
    fac = gpd.GeoDataFrame({"facility_id": ["f1"], "capacity_persons": ["kurang lebih 40"]},
                           geometry=[Point(X0 + 10, Y0 + 10)], crs=32751)
    with pytest.raises(SchemaError, match=r"facilities: column 'capacity_persons'"):
        build_scenario(name="t", admin_desa=desa, facilities=fac)


def test_missing_female_count_is_an_error_as_documented(desa: gpd.GeoDataFrame) -> None:
    pop = _pop(population=[1000, 2000], female=[500, None])
    with pytest.raises(SchemaError, match=r"population: column 'female' has 1 missing value\(s\), "
                                          r"for admin_code \['73.22.03.2002'\].*leave out the "
                                          "whole 'female' column"):
        build_scenario(name="t", admin_desa=desa, population=pop)


def test_an_absent_female_column_is_unknown_and_noted(desa: gpd.GeoDataFrame) -> None:
    sc = build_scenario(name="t", admin_desa=desa, population=_pop(population=[1000, 2000]))
    assert sc.population["female"].isna().all()
    step = next(s for s in sc.ledger.steps if s.step == "check population")
    assert any("no 'female' column" in n for n in step.notes)


def test_footprint_without_max_depth_is_counted(desa: gpd.GeoDataFrame) -> None:
    fp = gpd.GeoDataFrame({"depth_min_m": [1.5, 0.5], "depth_max_m": [None, 1.0]},
                          geometry=[box(X0, Y0, X0 + 100, Y0 + 100),
                                    box(X0 + 200, Y0, X0 + 300, Y0 + 100)], crs=32751)
    sc = build_scenario(name="t", admin_desa=desa, observed_flood_2020=fp)
    step = next(s for s in sc.ledger.steps if s.step == "adapt observed_flood_2020")
    assert step.reasons_repaired == {"no depth_max_m: classed by depth_min_m (a lower bound)": 1}


def test_footprint_depths_as_indonesian_text(desa: gpd.GeoDataFrame) -> None:
    fp = gpd.GeoDataFrame({"depth_min_m": ["0,5"], "depth_max_m": ["1,5 m"]},
                          geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=32751)
    sc = _quiet_build(admin_desa=desa, observed_flood_2020=fp)
    assert sc.observed_flood_2020[["depth_min_m", "depth_max_m"]].values.tolist() == [[0.5, 1.5]]


def _shapefile_facilities(folder: Path, desa: gpd.GeoDataFrame, **cols: list[object]) -> Path:
    desa.to_file(folder / "desa.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's "normalized/laundered field name" warnings
        gpd.GeoDataFrame(cols, geometry=[Point(X0 + 10, Y0 + 10)], crs=32751).to_file(
            folder / "fasilitas.shp")
    path = folder / "scenario.json"
    path.write_text(json.dumps({"layers": {"admin_desa": {"path": "desa.gpkg"},
                                           "facilities": {"path": "fasilitas.shp"}}}))
    return path


def test_dbf_truncated_names_are_mapped_back_and_counted(
        tmp_path: Path, desa: gpd.GeoDataFrame) -> None:
    path = _shapefile_facilities(tmp_path, desa, facility_id=["F1"], facility_type=["Puskesmas"],
                                 capacity_persons=[40])
    import pyogrio
    assert {"facility_t", "capacity_p"} <= set(pyogrio.read_info(tmp_path / "fasilitas.shp")
                                               ["fields"])
    with pytest.warns(RepairWarning):
        sc = read_scenario(path)
    assert sc.facilities["facility_type"].tolist() == ["Puskesmas"]
    assert sc.facilities["exposure_class"].tolist() == ["health"]  # not 'other'
    assert sc.facilities["capacity_persons"].tolist() == [40]
    assert sc.facilities["asset_id"].tolist() == ["F1"]
    step = next(s for s in sc.ledger.steps if s.step.startswith("field names facilities"))
    assert step.reasons_repaired == {
        "DBF-truncated field name restored (facility_i -> facility_id)": 1,
        "DBF-truncated field name restored (facility_t -> facility_type)": 1,
        "DBF-truncated field name restored (capacity_p -> capacity_persons)": 1,
    }


def test_ambiguous_truncated_names_suggest_a_rename(desa: gpd.GeoDataFrame) -> None:
    df = pd.DataFrame({"capacity_p": [1], "capacity_1": [2]})
    with pytest.raises(SchemaError, match=r"look like 'capacity_persons' cut to 10 characters.*"
                                          r"\"rename\": \{\"capacity_1\": \"capacity_persons\"\}"):
        restore_field_names(df.drop(columns="capacity_p"), ["capacity_persons"], name="facilities")


def test_a_manifest_rename_settles_truncated_names(tmp_path: Path,
                                                   desa: gpd.GeoDataFrame) -> None:
    path = _shapefile_facilities(tmp_path, desa, facility_type=["Puskesmas"], kapasitas=["40"])
    data = json.loads(path.read_text())
    data["layers"]["facilities"]["rename"] = {"kapasitas": "capacity_persons"}
    path.write_text(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        sc = read_scenario(path)
    assert sc.facilities["capacity_persons"].tolist() == [40]
    assert sc.facilities["facility_type"].tolist() == ["Puskesmas"]


@pytest.mark.parametrize(("text", "note"), [
    ("admin_code;population\n73.22.03.2001;3.483\n73.22.03.2002;1.200\n", "separated by ';'"),
    ("\ufeffadmin_code,population\n73.22.03.2001,3483\n73.22.03.2002,1200\n", "byte-order mark"),
    ("admin_code\tpopulation\n73.22.03.2001\t3483\n73.22.03.2002\t1200\n", "separated by '\\t'"),
])
def test_population_csv_from_excel(tmp_path: Path, desa: gpd.GeoDataFrame, text: str,
                                   note: str) -> None:
    """Excel in an Indonesian locale writes ';' (',' is the decimal mark), 'CSV UTF-8' a BOM."""
    desa.to_file(tmp_path / "desa.gpkg")
    (tmp_path / "pop.csv").write_text(text, encoding="utf-8")
    (tmp_path / "scenario.json").write_text(json.dumps({"layers": {
        "admin_desa": {"path": "desa.gpkg"}, "population": {"path": "pop.csv"}}}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        sc = read_scenario(tmp_path / "scenario.json")
    assert sc.population["population"].tolist() == [3483, 1200]
    notes = [n for s in sc.ledger.steps if s.step == "read population" for n in s.notes]
    assert any(note in n for n in notes), notes


def test_numbers_are_read_by_position_when_index_labels_repeat() -> None:
    values, _ = parse_numbers(pd.Series(["3.483", "150 orang"], index=[7, 7]), column="population")
    assert values.tolist() == [3483, 150] and values.index.tolist() == [7, 7]


def test_a_numeric_column_passes_as_it_is() -> None:
    values, report = parse_numbers(pd.Series([3483, 12], dtype="Int64"), column="population")
    assert values.tolist() == [3483.0, 12.0] and report.clean
