"""Reproducible bytes: two runs on the same inputs write the same files.

With ``SOURCE_DATE_EPOCH`` set, ``plan.gpkg``, ``map.html``, ``report.html`` and
``summary.json`` are byte-identical (runs in separate processes with different hash
seeds). Without it they differ only in the documented fields: the clock times
``timings_s`` / ``runtime_s`` (summary and report), the report's footer time stamp and
the GeoPackage's ``gpkg_contents.last_change``, ``gpkg_metadata_reference.timestamp``
and ``layer_styles.update_time``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kotacerdas_gis.errors import OutputError
from kotacerdas_gis.io.atomic import source_date
from kotacerdas_gis.outputs.bundle import OUTPUT_FILES
from kotacerdas_gis.outputs.summary import VOLATILE_FIELDS, drop_volatile

SRC = str(Path(__file__).resolve().parents[1] / "src")
_RUN = textwrap.dedent("""
    import sys
    from kotacerdas_gis.outputs.bundle import write_outputs
    from kotacerdas_gis.plan import PlanConfig, run_plan
    from kotacerdas_gis.testing import tiny_flood, tiny_scenario
    result = run_plan(tiny_scenario(flood=tiny_flood()), PlanConfig(lang="en"))
    write_outputs(result, sys.argv[1])
""")


def _runs(tmp_path: Path, epoch: str | None) -> tuple[Path, Path]:
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": SRC, "PYTHONHASHSEED": seed}
        env.pop("SOURCE_DATE_EPOCH", None)
        if epoch is not None:
            env["SOURCE_DATE_EPOCH"] = epoch
        out = tmp_path / f"out{seed}"
        subprocess.run([sys.executable, str(script), str(out)], check=True, env=env,
                       capture_output=True, timeout=300)
        outs.append(out)
    return outs[0], outs[1]


@pytest.fixture(scope="module")
def epoch_runs(tmp_path_factory) -> tuple[Path, Path]:
    return _runs(tmp_path_factory.mktemp("sde"), "1700000000")


@pytest.fixture(scope="module")
def clock_runs(tmp_path_factory) -> tuple[Path, Path]:
    return _runs(tmp_path_factory.mktemp("clock"), None)


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_source_date_epoch_gives_identical_bytes(epoch_runs, name: str) -> None:
    a, b = epoch_runs
    assert (a / name).read_bytes() == (b / name).read_bytes()


def test_source_date_epoch_stamps_every_time_field(epoch_runs) -> None:
    a, _ = epoch_runs
    assert "on 2023-11-14T22:13:20+00:00." in (a / "report.html").read_text()
    assert _gpkg_stamps(a / "plan.gpkg") == {"2023-11-14T22:13:20.000Z"}
    summary = json.loads((a / "summary.json").read_text())
    assert drop_volatile(summary) == summary  # no clock times in a reproducible build


def _gpkg_stamps(path: Path) -> set[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in con.execute("SELECT timestamp FROM gpkg_metadata_reference")}
        stamps |= {r[0] for r in con.execute("SELECT update_time FROM layer_styles")}
    finally:
        con.close()
    return stamps


def _normalised_gpkg(path: Path, tmp: Path) -> bytes:
    copy = tmp / path.parent.name
    shutil.copy(path, copy)
    con = sqlite3.connect(copy)
    with con:
        con.execute("UPDATE gpkg_contents SET last_change = 'T'")
        con.execute("UPDATE gpkg_metadata_reference SET timestamp = 'T'")
        con.execute("UPDATE layer_styles SET update_time = 'T'")
    con.close()
    return copy.read_bytes()


def _normalised_report(path: Path) -> str:
    text = path.read_text()
    text = re.sub(r'<section id="section-timings_s">.*?</section>', "", text, flags=re.S)
    text = re.sub(r'.*<th scope="row">runtime_s</th>.*\n', "", text)
    return re.sub(r" on \d{4}-\d\d-\d\dT[0-9:]+\+00:00\.</p></footer>", " on T.</p></footer>", text)


def test_without_source_date_epoch_only_documented_fields_differ(clock_runs, tmp_path) -> None:
    a, b = clock_runs
    assert (a / "map.html").read_bytes() == (b / "map.html").read_bytes()
    sa, sb = (json.loads((x / "summary.json").read_text()) for x in (a, b))
    assert "timings_s" in sa  # present when no SOURCE_DATE_EPOCH
    assert drop_volatile(sa) == drop_volatile(sb)
    assert _normalised_report(a / "report.html") == _normalised_report(b / "report.html")
    ga, gb = (_normalised_gpkg(x / "plan.gpkg", tmp_path) for x in (a, b))
    assert ga == gb


def test_volatile_fields_are_the_documented_ones() -> None:
    assert VOLATILE_FIELDS == ("timings_s", "runtime_s")


def test_map_ids_come_from_a_counter_only_inside_web_map() -> None:
    import folium

    from kotacerdas_gis.outputs.webmap import web_map
    from kotacerdas_gis.testing import tiny_scenario

    sc = tiny_scenario()
    pages = [web_map({"admin_desa": sc.admin_desa}, title="t").get_root().render()
             for _ in range(2)]
    assert pages[0] == pages[1]
    assert "_00000000000000000000000000000001" in pages[0]
    # folium elements built elsewhere keep their random ids (the patch is undone)
    assert folium.Map()._id != folium.Map()._id


def test_bad_source_date_epoch_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(OutputError, match="SOURCE_DATE_EPOCH='yesterday': expected a whole"):
        source_date()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert source_date() is None
