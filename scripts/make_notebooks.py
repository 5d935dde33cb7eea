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
        "from kotacerdas_gis.datasets import load_demo\n"
        "from kotacerdas_gis.plan import PlanConfig, run_plan\n"
        "from kotacerdas_gis.outputs.bundle import write_outputs\n\n"
        "scenario = load_demo()\n"
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
        "result = run_plan(scenario, PlanConfig(lang='en'))\n"
        "out = Path(tempfile.mkdtemp()) / 'masamba'\n"
        "files = write_outputs(result, out)\n"
        "sorted(p.name for p in files)"
    ),
    new_code_cell(
        "summary = result.summary()\n"
        "assert {'map.html', 'plan.gpkg', 'report.html', 'summary.json'} <= {p.name for p in files}\n"
        "{k: summary[k] for k in summary if k in ('hazard', 'impact', 'access')}"
    ),
    new_markdown_cell(
        "Open `map.html` in a browser (it works offline) and `plan.gpkg` in QGIS: the layers load "
        "with their styles."
    ),
]


def main() -> None:
    HERE.mkdir(exist_ok=True)
    nb = new_notebook(cells=QUICKSTART, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.write(nb, HERE / "01_quickstart.ipynb")


if __name__ == "__main__":
    main()
