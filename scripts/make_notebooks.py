"""Write the walkthrough notebooks (stored without outputs; nbmake runs them in `make test`).

Run: python scripts/make_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parents[1] / "notebooks"

QUICKSTART = [
    new_markdown_cell(
        "# 01 · Quickstart: the Masamba scenario from data to map\n\n"
        "This notebook loads the bundled Masamba scenario, checks it, runs the plan and writes the "
        "outputs a planner opens: an offline web map, a GeoPackage for QGIS, a report and "
        "`summary.json`.\n\n"
        "**The bundled data is a demonstration reconstruction, not official data** "
        "(see `data/README.md`)."
    ),
    new_code_cell(
        "import tempfile\nfrom pathlib import Path\n\n"
        "import kotacerdas_gis as kc\n\n"
        "scenario = kc.load_demo()\n"
        "print(scenario.name, '| demonstration:', scenario.demonstration, '| CRS:', scenario.crs.to_epsg())\n"
        "scenario.counts()"
    ),
    new_markdown_cell(
        "## Validation and accounting\n\nEvery repair or rejection made while reading is counted."
    ),
    new_code_cell(
        "report = scenario.validate()\n"
        "assert report.ok, report.problems\n"
        "import pandas as pd\n"
        "pd.DataFrame(report.accounting)[['step', 'n_in', 'n_repaired', 'n_rejected']]"
    ),
    new_markdown_cell("## Run the plan and write the outputs"),
    new_code_cell(
        "result = kc.run_plan(scenario, kc.PlanConfig(lang='en', focus_area='Masamba'))\n"
        "out = Path(tempfile.mkdtemp()) / 'masamba'\n"
        "files = kc.write_outputs(result, out)\n"
        "sorted(p.name for p in files)"
    ),
    new_code_cell(
        "summary = kc.plan_summary(result)\n"
        "assert {'map.html', 'plan.gpkg', 'report.html', 'summary.json'} <= {p.name for p in files}\n"
        "{k: summary[k] for k in summary if k in ('hazard', 'impact', 'access')}"
    ),
    new_markdown_cell(
        "Open `map.html` in a browser (it works offline) and `plan.gpkg` in QGIS: the layers load "
        "with their styles."
    ),
]

HAZARD_IMPACT = [
    new_markdown_cell(
        "# 02 · Hazard, impact and access, step by step\n\n"
        "The building blocks that `run_plan` strings together, on the bundled Masamba scenario "
        "(a demonstration reconstruction, not official data). Every function is pure: frames and "
        "arrays in, new frames and frozen results out, in EPSG:32751."
    ),
    new_code_cell(
        "import warnings\n"
        "from kotacerdas_gis.datasets import load_demo\n"
        "from kotacerdas_gis.io.raster import read_raster\n"
        "from kotacerdas_gis import hazard\n\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')  # the load repairs are in scenario.ledger\n"
        "    scenario = load_demo()\n"
        "dem = read_raster(scenario.dem_path)   # lazy: nothing is read yet\n"
        "dem.width, dem.height, dem.res"
    ),
    new_markdown_cell(
        "## Terrain with pyflwdir: streams and HAND (height above nearest drainage)"
    ),
    new_code_cell(
        "terrain = hazard.derive_terrain(dem, stream_threshold_km2=1.0)\n"
        "streams = hazard.streams_layer(terrain)\n"
        "print(len(streams), 'stream segments,', round(streams.length_m.sum() / 1000), 'km')\n"
        "hazard.river_agreement(terrain, scenario.rivers)  # share of river length within 2 cells"
    ),
    new_markdown_cell(
        "## Calibrate the DEM-derived zones on the 13 July 2020 footprint\n\n"
        "A cell floods when its HAND is below a stage and it drains to a stream of at least a "
        "given upstream area; the pair that best reproduces the footprint is kept, with its "
        "critical success index (CSI), hit rate and false-alarm ratio."
    ),
    new_code_cell(
        "calib = hazard.calibrate_hand(terrain, scenario.observed_flood_2020)\n"
        "{k: calib.to_dict()[k] for k in ('stage_m', 'min_drain_area_km2', 'csi', 'pod', 'far')}"
    ),
    new_code_cell(
        "observed = hazard.observed_zones(scenario.observed_flood_2020)\n"
        "dem_risk = hazard.dem_zones(terrain, **calib.dem_zones_kwargs())\n"
        "zones = hazard.combine_zones(observed, dem_risk, rule='max')\n"
        "{k: round(v / 1e6, 2) for k, v in zones.area_by_class_m2().items()}  # km2 per class"
    ),
    new_markdown_cell("## What the zones hit, per desa (InaSAFE names)"),
    new_code_cell(
        "from kotacerdas_gis.exposure import analyse_exposure\n"
        "impact = analyse_exposure(zones.zones, buildings=scenario.buildings, roads=scenario.roads,\n"
        "                          facilities=scenario.facilities, admin=scenario.admin_desa,\n"
        "                          population=scenario.population)\n"
        "impact.aggregation_summary.sort_values('total_affected', ascending=False)[\n"
        "    ['admin_name', 'buildings_affected', 'total_affected', 'displaced']].head(8)"
    ),
    new_code_cell("impact.needs[impact.needs.admin_code == 'total']"),
    new_markdown_cell("## Who is cut off from health care"),
    new_code_cell(
        "from kotacerdas_gis.network import access_to_facilities\n"
        "access = access_to_facilities(scenario.roads, scenario.facilities, zones=zones.zones,\n"
        "                              admin=scenario.admin_desa)\n"
        "access.isolated"
    ),
]


def main() -> None:
    HERE.mkdir(exist_ok=True)
    nb = new_notebook(cells=QUICKSTART, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.write(nb, HERE / "01_quickstart.ipynb")
    nb = new_notebook(cells=HAZARD_IMPACT, metadata=nb.metadata)
    nbformat.write(nb, HERE / "02_hazard_impact_access.ipynb")


if __name__ == "__main__":
    main()
