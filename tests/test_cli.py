"""The command line: demo on the bundled scenario, check, and clear errors."""

from __future__ import annotations

import json
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
