"""Manifests and plan configurations are checked against a typed schema (issue 12).

Unknown keys at every level, wrong types and quoted booleans or numbers are errors that name the
key, the file and the fix; encodings other than UTF-8 are read (a byte-order mark) or refused with
the fix; the plan configuration may be TOML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import geopandas as gpd
from shapely.geometry import box

from kotacerdas_gis.cli import app
from kotacerdas_gis.datasets import demo_manifest
from kotacerdas_gis.errors import DataError, ParameterError, SchemaError
from kotacerdas_gis.io.config import read_settings
from kotacerdas_gis.io.manifest import read_manifest, read_scenario, validate_manifest
from kotacerdas_gis.plan import PlanConfig

X0, Y0 = 200_000.0, 9_710_000.0
runner = CliRunner()


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    gpd.GeoDataFrame(
        {"admin_code": ["73.22.03.2001"], "admin_name": ["Bone"], "admin_level": "desa",
         "parent_code": "73.22.03"},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=32751,
    ).to_file(tmp_path / "desa.gpkg")
    pd.DataFrame({"admin_code": ["73.22.03.2001"], "population": [10]}).to_csv(
        tmp_path / "pop.csv", index=False)
    path = tmp_path / "scenario.json"
    _write(path, {"name": "Bone", "crs": "EPSG:32751", "demonstration": True,
                  "layers": {"admin_desa": {"path": "desa.gpkg", "source": "test"},
                             "population": {"path": "pop.csv"}}})
    return path


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def _with(path: Path, **changes: Any) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    _write(path, data)
    return path


def _flat(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------ manifest keys


def test_misspelt_top_level_key_is_an_error_with_the_closest_key(manifest: Path) -> None:
    """The demo lost its "not official data" banner to a typo: now the typo is an error."""
    _with(manifest, demonstraton=True)
    with pytest.raises(SchemaError) as err:
        read_scenario(manifest)
    msg = str(err.value)
    assert str(manifest) in msg and "top level: unknown key(s) ['demonstraton']" in msg
    assert "did you mean 'demonstration'" in msg


def test_unknown_layer_key_suggests_the_closest(manifest: Path) -> None:
    _with(manifest, layers__building={"path": "desa.gpkg"})
    with pytest.raises(SchemaError, match=r"layers: unknown key\(s\) \['building'\]; did you "
                                          r"mean 'buildings'"):
        read_manifest(manifest)


def test_unknown_layer_option_suggests_the_closest(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__renam={"KODE": "admin_code"})
    with pytest.raises(SchemaError, match=r"layers.admin_desa: unknown key\(s\) \['renam'\]; "
                                          r"did you mean 'rename'"):
        read_manifest(manifest)


@pytest.mark.parametrize(("value", "found"), [(5, "5 (a number)"), (None, "None (null)"),
                                              (["a.gpkg"], "['a.gpkg'] (a list)")])
def test_path_of_the_wrong_type_is_an_error(manifest: Path, value: Any, found: str) -> None:
    _with(manifest, layers__admin_desa__path=value)
    with pytest.raises(SchemaError) as err:
        read_manifest(manifest)
    assert f"key 'layers.admin_desa.path': expected text, found {found}" in str(err.value)


def test_empty_path_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__path=" ")
    with pytest.raises(SchemaError, match=r"'layers.admin_desa.path' is empty"):
        read_manifest(manifest)


def test_rename_as_a_string_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__population__rename="kode:admin_code")
    with pytest.raises(SchemaError, match=r"'layers.population.rename': expected an object, "
                                          r"found 'kode:admin_code' \(text\)"):
        read_manifest(manifest)


def test_rename_to_a_number_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__population__rename={"kode": 1})
    with pytest.raises(SchemaError, match=r"'layers.population.rename.kode': expected the new "
                                          "column name as text"):
        read_manifest(manifest)


def test_quoted_boolean_is_an_error_not_true(manifest: Path) -> None:
    """``bool("false")`` is True: a quoted false would have marked official data a demo."""
    _with(manifest, demonstration="false")
    with pytest.raises(SchemaError, match=r"key 'demonstration': expected true or false, found "
                                          r"'false' \(text\). Write false without quotes"):
        read_manifest(manifest)


def test_quoted_number_is_an_error(manifest: Path) -> None:
    _with(manifest, seed="42")
    with pytest.raises(SchemaError, match=r"key 'seed': .* Write 42 without quotes"):
        read_manifest(manifest)


def test_name_as_a_number_is_an_error(manifest: Path) -> None:
    _with(manifest, name=2020)
    with pytest.raises(SchemaError, match=r"key 'name': expected text, found 2020 .* in quotes"):
        read_manifest(manifest)


def test_layer_spec_that_is_not_an_object(manifest: Path) -> None:
    _with(manifest, layers__population="pop.csv")
    with pytest.raises(SchemaError, match=r"'layers.population': expected an object such as "
                                          r"\{\"path\": \"population.gpkg\"\}, found 'pop.csv'"):
        read_manifest(manifest)


def test_misspelt_adapter_suggests_the_closest(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__adapter="bigrb")
    with pytest.raises(SchemaError, match=r"'bigrb' is not an adapter \(did you mean 'bigrbi'\?"):
        read_manifest(manifest)


def test_unknown_encoding_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__encoding="utf-88")
    with pytest.raises(SchemaError, match=r"'utf-88' is not a text encoding"):
        read_manifest(manifest)


def test_a_year_as_a_number_is_a_date(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__date=2020, crs=32751)
    sc = read_scenario(manifest)
    assert sc.provenance["admin_desa"]["date"] == "2020"
    assert sc.crs.to_epsg() == 32751


def test_the_bundled_manifest_passes_the_schema() -> None:
    path = demo_manifest()
    validate_manifest(json.loads(path.read_text(encoding="utf-8")), path)


# ------------------------------------------------------------------------------ encodings


def test_latin1_manifest_is_refused_with_line_column_and_fix(manifest: Path) -> None:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["name"] = "Desa Bone, kecamatan Masamba (revisi é)"
    manifest.write_bytes(json.dumps(data, ensure_ascii=False).encode("cp1252"))
    with pytest.raises(DataError) as err:
        read_manifest(manifest)
    msg = str(err.value)
    assert "manifest is not UTF-8 text: byte 0xe9 at line 1" in msg
    assert "'é' in Windows-1252" in msg and "Save the file as UTF-8" in msg


def test_utf8_bom_manifest_is_read_and_noted(manifest: Path) -> None:
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    sc = read_scenario(manifest)
    assert sc.name == "Bone"
    notes = [n for s in sc.ledger.steps if s.step == "read manifest" for n in s.notes]
    assert notes and "UTF-8 byte-order mark" in notes[0]


def test_utf16_manifest_from_notepad_is_read(manifest: Path) -> None:
    manifest.write_bytes(manifest.read_text(encoding="utf-8").encode("utf-16"))
    assert read_scenario(manifest).name == "Bone"


# ------------------------------------------------------------------------- plan configuration


def _config(tmp_path: Path, text: str, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_quoted_false_in_a_config_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '{"calibrate": "false"}')
    with pytest.raises(ParameterError) as err:
        PlanConfig.from_file(cfg)
    msg = str(err.value)
    assert msg.startswith(f"{cfg}: plan configuration: PlanConfig.calibrate: expected true or "
                          "false, found 'false'")
    assert "Write false without quotes" in msg


def test_quoted_number_in_a_config_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '{"stage_m": "2.5"}')
    with pytest.raises(ParameterError, match=r"plan.json: plan configuration: PlanConfig.stage_m: "
                                             r"expected a number, found '2.5' .* without quotes"):
        PlanConfig.from_file(cfg)


def test_toml_config_with_comments_and_tables(tmp_path: Path) -> None:
    cfg = _config(tmp_path, """
        # Masamba, wet season 2024
        lang = "en"
        stage_m = 2.5          # m above the drainage
        calibrate = false
        [speeds_kmh]
        local = 25
        [sensors]
        n_water_level = 2
        lead_time_bands_min = [20, 40]
        """.replace("\n        ", "\n"), name="plan.toml")
    config = PlanConfig.from_file(cfg)
    assert (config.lang, config.stage_m, config.calibrate) == ("en", 2.5, False)
    assert config.speeds_kmh == {"local": 25}
    assert config.sensors.n_water_level == 2 and config.sensors.lead_time_bands_min == (20, 40)


def test_toml_config_errors_name_the_nested_key(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "[sensors]\nn_water_levels = 2\n", name="plan.toml")
    with pytest.raises(ParameterError, match=r"plan.toml: plan configuration: PlanConfig.sensors: "
                                             r"unknown key\(s\) \['n_water_levels'\]; did you "
                                             r"mean 'n_water_level'"):
        PlanConfig.from_file(cfg)


def test_invalid_toml_is_a_data_error(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "lang = en\n", name="plan.toml")
    with pytest.raises(DataError, match=r"plan.toml: not valid TOML .*need quotes"):
        read_settings(cfg)


def test_config_of_another_format_is_refused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "stage_m: 2.5\n", name="plan.yaml")
    with pytest.raises(DataError, match=r"must be a .json or .toml file, found '.yaml'"):
        PlanConfig.from_file(cfg)


def test_latin1_config_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "plan.json"
    cfg.write_bytes('{"focus_area": "Bon\u00e9"}'.encode("latin-1"))
    with pytest.raises(DataError, match=r"plan configuration is not UTF-8 text"):
        PlanConfig.from_file(cfg)


def test_unknown_road_class_in_speeds_is_an_error() -> None:
    """A speed for 'residential' (an OSM value, not a class) used to be ignored silently."""
    with pytest.raises(ParameterError, match=r"PlanConfig.speeds_kmh: unknown key\(s\) "
                                             r"\['primer', 'residential'\]; did you mean "
                                             r"'primary' for 'primer'\?.*per road class"):
        PlanConfig.from_dict({"speeds_kmh": {"residential": 20, "primer": 50}})


@pytest.mark.parametrize(("value", "match"), [
    ([30, 40], r"speeds_kmh: expected a mapping of motorway"),
    ({"local": "30"}, r"speeds_kmh\['local'\]: expected a number, found '30'"),
])
def test_speeds_of_the_wrong_type_are_errors(value: Any, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        PlanConfig.from_dict({"speeds_kmh": value})


def test_sensors_of_the_wrong_type_is_an_error() -> None:
    with pytest.raises(ParameterError, match=r"PlanConfig.sensors: expected SensorParameters, a "
                                             r"mapping"):
        PlanConfig.from_dict({"sensors": 3})


def test_focus_area_as_a_number_is_an_error() -> None:
    with pytest.raises(ParameterError, match=r"focus_area: expected an admin code or name as text"):
        PlanConfig.from_dict({"focus_area": 7322})


def test_cli_toml_config_error_names_the_file_before_computing(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "stage = 2.0\n", name="plan.toml")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--config", str(cfg)])
    text = _flat(result.output)
    assert result.exit_code == 2, result.output
    assert "plan.toml: plan configuration: unknown key(s) ['stage']" in text
    assert "did you mean 'stage_m'" in text
    assert not (tmp_path / "o").exists()


def test_a_key_twice_in_a_manifest_is_an_error(manifest: Path) -> None:
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('"demonstration": true', '"demonstration": true, '
                                     '"demonstration": false'), encoding="utf-8")
    with pytest.raises(DataError, match=r"the key 'demonstration' appears twice in one object"):
        read_manifest(manifest)


def test_a_key_twice_in_a_toml_config_is_an_error(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "stage_m = 2.5\nstage_m = 3.0\n", name="plan.toml")
    with pytest.raises(DataError, match=r"plan.toml: not valid TOML"):
        PlanConfig.from_file(cfg)


# ------------------------------------------------------------------------------ rename


def test_rename_of_a_column_the_file_lacks_is_an_error(manifest: Path) -> None:
    """A rename whose source is misspelt renamed nothing, silently."""
    _with(manifest, layers__population__rename={"Admin_Code": "kode", "populasi": "population"})
    with pytest.raises(SchemaError) as err:
        read_scenario(manifest)
    msg = _flat(str(err.value))
    assert "key 'layers.population.rename': column(s) ['Admin_Code', 'populasi'] are not in " \
           "pop.csv, so nothing would be renamed" in msg
    assert "For 'Admin_Code', did you mean 'admin_code'?" in msg
    assert "For 'populasi', did you mean 'population'?" in msg


def test_rename_to_one_name_twice_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__rename={"admin_code": "kode", "admin_name": "kode"})
    with pytest.raises(SchemaError, match=r"two columns named 'kode': two columns are renamed"):
        read_scenario(manifest)


def test_rename_onto_an_existing_column_is_an_error(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__rename={"admin_name": "admin_code"})
    with pytest.raises(SchemaError, match=r"two columns named 'admin_code': the file already has"):
        read_scenario(manifest)


def test_missing_admin_column_suggests_the_manifest_rename(manifest: Path) -> None:
    """The hint named a *_col keyword a manifest user cannot pass."""
    _with(manifest, layers__admin_desa__rename={"parent_code": "induk"})
    with pytest.raises(SchemaError) as err:
        read_scenario(manifest)
    msg = str(err.value)
    assert str(manifest) in msg and "missing column(s) 'parent_code'" in msg
    assert '"rename" in the manifest' in msg and "*_col" not in msg


def test_upper_case_field_names_are_mapped_back_and_counted(tmp_path: Path) -> None:
    gpd.GeoDataFrame(
        {"ADMIN_CODE": ["73.22.03.2001"], "Admin_Name": ["Bone"], "ADMIN_LEVEL": ["desa"],
         "PARENT_CODE": ["73.22.03"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=32751,
    ).to_file(tmp_path / "desa.gpkg")
    _write(tmp_path / "scenario.json", {"layers": {"admin_desa": {"path": "desa.gpkg"}}})
    with pytest.warns(Warning, match="field name case restored"):
        sc = read_scenario(tmp_path / "scenario.json")
    assert sc.admin_desa["admin_code"].tolist() == ["73.22.03.2001"]
    step = next(s for s in sc.ledger.steps if s.step.startswith("field names admin_desa"))
    assert step.reasons_repaired["field name case restored (ADMIN_CODE -> admin_code)"] == 1


def test_a_url_as_a_layer_path_is_refused_with_the_fix(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__path="https://example.org/desa.geojson")
    with pytest.raises(DataError, match=r"points to the URL .* Download the file"):
        read_manifest(manifest)


def test_backslashes_in_a_missing_path_get_a_hint(manifest: Path) -> None:
    _with(manifest, layers__admin_desa__path="batas\\desa.gpkg")
    with pytest.raises(DataError, match=r"does not exist. The path has backslashes: write it "
                                        "with '/'"):
        read_manifest(manifest)


def test_home_folder_in_a_path_is_expanded(manifest: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setenv("HOME", str(manifest.parent))
    _with(manifest, layers__admin_desa__path="~/desa.gpkg")
    assert read_manifest(manifest)["layers"]["admin_desa"]["path"] == manifest.parent / "desa.gpkg"


def test_sensors_false_in_toml_turns_sensor_siting_off(tmp_path: Path) -> None:
    """TOML has no null; `sensors = false` says what JSON's null says."""
    cfg = _config(tmp_path, "sensors = false\n", name="plan.toml")
    assert PlanConfig.from_file(cfg).sensors is None
    with pytest.raises(ParameterError, match="PlanConfig.sensors: expected SensorParameters"):
        PlanConfig.from_dict({"sensors": True})
