"""Names carrying markup reach the written report and map as text, in the page and in Chromium.

A scenario, desa and facility named with the payloads planners' files can carry by accident
or on purpose (``<img src=x onerror=...>``, ``</script><script>...``) go through the whole
``write_outputs``; ``report.html`` must hold them escaped (static check) and a real headless
Chromium (system ``/usr/bin/chromium`` through playwright, network refused) must run none of
them on load, showing them as text. Hover and click on the map are covered by
``tests/test_webmap_browser.py``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kotacerdas_gis.outputs.bundle import write_outputs
from kotacerdas_gis.plan import PlanConfig, run_plan
from kotacerdas_gis.testing import tiny_scenario

IMG = "RSUD <img src=x onerror=\"document.title='pwned'\">"
SCRIPT = "Bone </script><script>document.title='pwned'</script>"
AMP = "Kappuna & <b>Co</b> {{ 7*7 }}"
NAME = f"tiny {IMG} {SCRIPT} {AMP}"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    sc = tiny_scenario()
    desa = sc.admin_desa.copy()
    desa["admin_name"] = [SCRIPT, AMP]
    fac = sc.facilities.copy()
    fac["name"] = [IMG]
    sc = dataclasses.replace(sc, name=NAME, admin_desa=desa, facilities=fac)
    out = tmp_path_factory.mktemp("xss") / "out"
    write_outputs(run_plan(sc, PlanConfig(lang="en")), out)
    return out


def test_report_holds_the_payloads_escaped(outputs: Path) -> None:
    html = (outputs / "report.html").read_text()
    assert "<img" not in html
    assert html.count("<script") == 0  # the report has no script at all
    assert "&lt;img src=x onerror=" in html
    assert "&lt;/script&gt;&lt;script&gt;" in html
    assert "&lt;b&gt;Co&lt;/b&gt; {{ 7*7 }}" in html  # not bold, not evaluated


def test_summary_json_keeps_the_names_as_data(outputs: Path) -> None:
    summary = json.loads((outputs / "summary.json").read_text())
    assert summary["scenario"]["name"] == NAME


def test_map_page_has_no_raw_payload_outside_json(outputs: Path) -> None:
    html = (outputs / "map.html").read_text()
    assert "<img src=x" not in html
    assert "</script><script>document.title" not in html


@pytest.fixture(scope="module")
def browser():
    from test_webmap_browser import CHROMIUM, FLAGS, _need_browser

    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", ["report.html", "map.html"])
def test_chromium_runs_no_payload_on_load(browser, outputs: Path, name: str) -> None:
    from test_webmap_browser import Page

    pg = Page(browser)
    pg.page.goto((outputs / name).as_uri())
    pg.page.wait_for_load_state("load")
    if name == "map.html":
        pg.page.wait_for_function("window.KC && KC.ready", timeout=30000)
    assert pg.page.title() != "pwned"
    assert pg.page.evaluate("document.querySelectorAll('img[onerror], img[src=\"x\"]').length") == 0
    assert pg.external() == []
    assert pg.errors == []
    if name == "report.html":
        text = pg.page.inner_text("body")
        assert "<img src=x onerror=" in text  # shown as text
        assert "</script><script>" in text and "<b>Co</b> {{ 7*7 }}" in text
        assert pg.page.locator("b").count() == 0
