"""A planner's own data through a manifest: the real HDX village boundaries with the bundled layers.

The real boundaries come from ../shared/data/real (not copied into the project); everything else
is the bundled reconstruction. The run goes through the command line, as a planner would run it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pyogrio

from kotacerdas_gis.cli import app
from kotacerdas_gis.datasets import demo_data_dir

runner = CliRunner()


@pytest.fixture
def manifest(tmp_path: Path, real_desa_path: Path) -> Path:
    data = demo_data_dir()
    bundled = json.loads((data / "scenario.json").read_text())
    layers = {
        key: {**spec, "path": str(data / spec["path"])}
        for key, spec in bundled["layers"].items()
        if key in ("roads", "buildings", "facilities", "observed_flood_2020", "dem", "rivers")
    }
    layers["admin_desa"] = {
        "path": str(real_desa_path),
        "adapter": "hdx",
        "source": "HDX COD-AB (BPS 2020)",
        "licence": "CC BY-IGO",
    }
    path = tmp_path / "scenario.json"
    path.write_text(
        json.dumps({"name": "HDX villages", "crs": "EPSG:32751", "layers": layers}, indent=1)
    )
    return path


def test_check_and_run_on_real_village_boundaries(manifest: Path, tmp_path: Path) -> None:
    checked = runner.invoke(app, ["check", str(manifest)])
    assert checked.exit_code == 0, checked.output
    assert "admin_desa" in checked.output and "179" in checked.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(manifest), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["counts"]["admin_desa"] == 179
    assert summary["scenario"]["demonstration"] is False
    desa = pyogrio.read_dataframe(
        out / "plan.gpkg", layer="aggregation_summary", read_geometry=False
    )
    assert len(desa) == 179  # every village, flooded or not
    hit = desa.set_index("admin_code").loc["id7322120020"]  # Bone, where Masamba town stands
    assert hit["admin_name"] == "Bone"
    assert hit["buildings_affected"] > 0
    # no population table in this manifest: people are not counted, and nothing pretends they are
    assert "people_affected" not in summary["key_figures"]
