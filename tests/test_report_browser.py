"""The plan's report in real headless Chromium (offline): A4 print layout, PDF with its figures.

Skips when /usr/bin/chromium or playwright is missing, unless CI=true (then it fails).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import skip_or_fail

import kotacerdas_gis as kc
from kotacerdas_gis.outputs.bundle import write_outputs

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: A4 (210 mm) less the report's 15 mm side margins, in CSS pixels (96 per inch).
A4_TEXT_PX = round((210 - 2 * 15) / 25.4 * 96)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"report browser tests need {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("report browser tests need python playwright")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report_demo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(kc.load_demo(), kc.PlanConfig(focus_area="Masamba",
                                                           rebuild_budget_idr=50e9))
    write_outputs(result, out)
    return out / "report.html"


def _open(browser: object, path: Path, width: int) -> tuple[object, list[str], list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 1000})  # type: ignore[attr-defined]
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog " + d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else r.abort())
    page.emulate_media(media="print")
    page.goto(path.as_uri())
    return page, requests, errors


def test_report_prints_on_a4_with_its_figures(browser: object, demo_report: Path) -> None:
    page, requests, errors = _open(browser, demo_report, A4_TEXT_PX)
    wide = page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll('table, img, figure, p, li, h1, h2, .cards')]
          .filter(e => e.getBoundingClientRect().right > w + 0.5)
          .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right));
    }""")
    assert wide == [], f"wider than the A4 text width ({A4_TEXT_PX} px): {wide[:5]}"
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_TEXT_PX
    figs = page.evaluate("""() => [...document.querySelectorAll('figure img')]
        .map(i => [i.closest('figure').id, i.complete && i.naturalWidth > 300])""")
    ids = {f for f, ok in figs if ok}
    assert {"fig-hazard_map", "fig-affected_map", "fig-sites_map", "fig-class_chart",
            "fig-kecamatan_chart", "fig-access_chart"} <= ids, figs
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    assert pdf[:5] == b"%PDF-"
    n_pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    n_images = len(re.findall(rb"/Subtype\s*/Image", pdf))
    assert 5 <= n_pages <= 30 and n_images >= len(ids)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert errors == []


def test_report_tables_are_few_and_people_whole(demo_report: Path) -> None:
    html = demo_report.read_text(encoding="utf-8")
    assert html.count("<table") <= 16  # the data dump had 67
    assert "14.483" in html and "DEM hanya meliputi 20 %" in html
    assert "Wilayah fokus: Kecamatan Masamba" in html
    assert re.search(r"paling banyak 0,0\d % di bawah yang terbaik yang mungkin", html)
    assert "/work/" not in html and "352,99" not in html


def test_markup_in_names_stays_text_in_chromium(browser: object, tmp_path: Path) -> None:
    import dataclasses

    from kotacerdas_gis.testing import tiny_flood, tiny_scenario

    xss, xss2 = "<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>"
    sc = tiny_scenario(flood=tiny_flood())
    desa = sc.admin_desa.copy()
    desa["admin_name"] = [xss, xss2]
    sc = dataclasses.replace(sc, admin_desa=desa, name=xss2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(sc, kc.PlanConfig(focus_area="73.22.03.2001"))
    write_outputs(result, tmp_path)
    page, requests, errors = _open(browser, tmp_path / "report.html", 1000)
    text = page.inner_text("body")
    n_img = page.evaluate("document.querySelectorAll('img:not([src^=\"data:image/png\"])').length")
    n_script = page.evaluate("document.querySelectorAll('script').length")
    page.close()
    assert xss in text and "alert(2)" in text
    assert n_img == 0 and n_script == 0 and errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
