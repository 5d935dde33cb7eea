"""The command line: demo on the bundled scenario, check, and clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pyogrio

from kotacerdas_gis.cli import app
from kotacerdas_gis.datasets import demo_manifest

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "masamba"
    result = runner.invoke(app, ["demo", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_writes_the_contract(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    assert sorted(p.name for p in out.iterdir()) == [
        "map.html",
        "plan.gpkg",
        "project.qgz",
        "report.html",
        "summary.json",
    ]
    layers = {row[0] for row in pyogrio.list_layers(out / "plan.gpkg")}
    assert {
        "admin_kabupaten",
        "admin_kecamatan",
        "admin_desa",
        "rivers",
        "roads",
        "buildings",
        "facilities",
        "observed_flood_2020",
        "hazard_zones",
        "streams",
    } <= layers
    prov = pyogrio.read_dataframe(out / "plan.gpkg", layer="provenance", read_geometry=False)
    spatial = {
        name for name in layers if pyogrio.read_info(out / "plan.gpkg", layer=name)["geometry_type"]
    }
    assert set(prov["layer"]) == spatial
    assert set(prov.loc[prov["kind"] == "input", "layer"]) >= {"buildings", "admin_desa"}
    assert prov.loc[prov["layer"] == "buildings", "source"].str.contains("not official").all()


def test_demo_summary_has_counts_provenance_and_hazard(demo_out: tuple[Path, str]) -> None:
    out, text = demo_out
    summary = json.loads((out / "summary.json").read_text())
    sc = summary["scenario"]
    assert sc["demonstration"] is True
    assert sc["counts"]["admin_kecamatan"] == 15
    assert sc["counts"]["buildings"] >= 5000
    assert "not official" in sc["provenance"]["buildings"]["source"]
    assert summary["validation"]["ok"] is True
    # the DEM zones reproduce the 2020 footprint: documented floor CSI >= 0.40 (measured 0.46)
    # the 36 km x 42 km DEM lies inside the 7,500 km2 kabupaten: it speaks for 20 % of it
    assert summary["hazard"]["dem_covers_frac_of_study_area"] == pytest.approx(
        36 * 42 / 7500, abs=1e-3
    )
    calib = summary["hazard"]["calibration"]
    assert calib["csi"] >= 0.40
    assert f"CSI {calib['csi']:.2f}" in text
    assert "not official data" in text


def test_check_reports_a_good_manifest() -> None:
    result = runner.invoke(app, ["check", str(demo_manifest())])
    assert result.exit_code == 0, result.output
    assert "scenario OK" in result.output


def test_bad_manifest_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "scenario.json"
    bad.write_text(json.dumps({"layers": {"roads": {"path": "jalan.gpkg"}}}))
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "DataError" in result.output and "jalan.gpkg" in result.output
    assert not (tmp_path / "o").exists()


def test_demo_figures_agree_across_layers_and_levels(demo_out: tuple[Path, str]) -> None:
    """The same count read from the impact layer, per desa, per kecamatan and in key_figures."""
    out, text = demo_out
    text = " ".join(text.split())  # rich wraps long lines
    summary = json.loads((out / "summary.json").read_text())
    key = summary["key_figures"]
    gpkg = out / "plan.gpkg"
    impact = pyogrio.read_dataframe(gpkg, layer="impact_buildings", read_geometry=False)
    desa = pyogrio.read_dataframe(gpkg, layer="aggregation_summary", read_geometry=False)
    kec = pyogrio.read_dataframe(gpkg, layer="aggregation_summary_kecamatan", read_geometry=False)
    # every building once in the impact layer
    assert len(impact) == summary["scenario"]["counts"]["buildings"]
    assert impact["asset_id"].is_unique
    n_affected = int(impact["affected"].astype(bool).sum())
    assert summary["impact"]["analysis_summary"]["buildings_affected"] == n_affected
    # the demo's key figures cover kecamatan Masamba (its focus area), and say so
    assert key["area"] == {"level": "kecamatan", "code": "73.22.03", "name": "Masamba"}
    in_focus = desa["parent_code"] == "73.22.03"
    masamba = impact["admin_code"].isin(desa.loc[in_focus, "admin_code"])
    assert key["buildings_affected"] == int(impact.loc[masamba, "affected"].astype(bool).sum())
    assert key["buildings_affected"] == int(
        kec.loc[kec["admin_code"] == "73.22.03", "buildings_affected"].iloc[0]
    )
    # the buildings inside desa add up per desa and per kecamatan
    inside = int(impact.loc[impact["admin_code"].notna(), "affected"].astype(bool).sum())
    assert int(desa["buildings_affected"].sum()) == inside
    assert int(kec["buildings_affected"].sum()) == inside
    # people: desa sums equal the total, and displaced never exceed affected
    assert desa["displaced"].sum() == pytest.approx(
        summary["impact"]["analysis_summary"]["displaced"], abs=1
    )
    assert desa.loc[in_focus, "displaced"].sum() == pytest.approx(key["people_displaced"], abs=1)
    assert (desa["displaced"] <= desa["total_affected"] + 1e-9).all()
    assert (desa["total_affected"] + desa["total_not_exposed"]).sum() == pytest.approx(
        desa["population"].sum()
    )
    # the villages printed as cut off are the ones flagged in the per-desa layer
    flagged = sorted(desa.loc[desa["isolated"].astype(bool) & in_focus, "admin_name"])
    assert flagged == key["villages_cut_off_from_health_care"]
    # and the command line printed the same figures for the same area
    assert f"impact, kecamatan Masamba: buildings affected {key['buildings_affected']:,}" in text


def test_plan_configuration_file_and_its_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "plan.json"
    cfg.write_text(json.dumps({"stage": 2.0}))
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--config", str(cfg)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "unknown key(s) ['stage']" in text and "stage_m" in text
    cfg.write_text(json.dumps({"combine_rule": "union"}))
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--config", str(cfg)])
    text = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2 and "combine_rule must be one of 'max', 'first'" in text
    assert not (tmp_path / "o").exists()


MARKUP = "Masamba [/] [bold red]x[/bold red] [i]y"


def test_a_missing_path_with_markup_is_printed_as_text(tmp_path: Path) -> None:
    """Rich markup in data (a `[/]` in a file name) is printed literally, not parsed (issue 12)."""
    bad = tmp_path / "scenario.json"
    bad.write_text(json.dumps({"layers": {"roads": {"path": f"{MARKUP}.gpkg"}}}))
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2, result.output  # before: rich's MarkupError, exit 1
    assert f"{MARKUP}.gpkg" in " ".join(result.output.split())  # rich wraps long lines


def test_a_scenario_name_with_markup_is_printed_as_text(tmp_path: Path) -> None:
    manifest = json.loads(demo_manifest().read_text(encoding="utf-8"))
    base = demo_manifest().parent
    for spec in manifest["layers"].values():
        spec["path"] = str(base / spec["path"])
    manifest["name"] = MARKUP
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert MARKUP in result.output


def test_help_documents_the_exit_codes() -> None:
    from kotacerdas_gis.cli import EXIT_CODES

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit codes:" in text
    for code in (0, 1, 2, 3):
        assert f"{code} " in text and code in EXIT_CODES
    assert "bad input, parameter or command line" in text


def test_demo_prints_each_step_of_the_plan(demo_out: tuple[Path, str]) -> None:
    from kotacerdas_gis.plan import PLAN_STEPS

    _, text = demo_out
    # not a terminal (CliRunner): one plain line per finished step, in order
    steps = re.findall(r"^  ([a-z ]+): \d+\.\d s$", text, flags=re.M)
    assert steps == list(PLAN_STEPS)


def test_run_plan_reports_progress_without_changing_the_result() -> None:
    import warnings

    import kotacerdas_gis as kc
    from kotacerdas_gis.plan import PLAN_STEPS
    from kotacerdas_gis.testing import tiny_flood, tiny_scenario

    calls: list[tuple[str, float | None]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(tiny_scenario(flood=tiny_flood()), kc.PlanConfig(),
                             progress=lambda step, s: calls.append((step, s)))
    starts = [c[0] for c in calls if c[1] is None]
    ends = [c[0] for c in calls if c[1] is not None]
    assert starts == ends and set(starts) <= set(PLAN_STEPS)
    assert starts == sorted(starts, key=PLAN_STEPS.index)  # in the documented order
    assert {"validate", "observed zones", "exposure"} <= set(starts)
    # a step that fails and is skipped (here the shelters: no displaced) ends without a timing
    assert set(result.timings_s) <= set(ends) and type(result.timings_s) is dict
    assert set(ends) - set(result.timings_s) <= set(result.skipped) | {"shelters",
                                                                       "health posts"}


def test_an_unwritable_output_is_exit_code_3_with_a_clear_message() -> None:
    import typer

    from kotacerdas_gis.cli import EXIT_WRITE, _guard

    def fail() -> None:
        raise PermissionError(13, "Permission denied", "/srv/out/[b]map.html")

    with pytest.raises(typer.Exit) as exc:
        _guard(fail)
    assert exc.value.exit_code == EXIT_WRITE == 3


def test_an_output_folder_that_is_a_file_fails_before_planning(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("old outputs")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 3, result.output
    text = " ".join(result.output.split())
    assert "it is a file, not a folder" in text and "out" in text and "Traceback" not in text
    assert "planning" not in text  # refused before the long steps
    assert out.read_text() == "old outputs"
