"""The written web map in a real headless Chromium (offline), through Python playwright.

Skips when /usr/bin/chromium or playwright is missing, unless CI=true (then it fails).
Never downloads playwright's own browsers: it drives the system Chromium.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import skip_or_fail
from test_webmap import make_layers  # the same 39 features the unit tests draw

import folium
import geopandas as gpd
from shapely.geometry import Point, box

from kotacerdas_gis.outputs.webmap import web_map, write_web_map

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
X0, Y0 = 203080.0, 9717839.0
CRS = "EPSG:32751"

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("python playwright")
    if missing:
        skip_or_fail(f"browser tests need {missing}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Page:
    """A page with every request and page error recorded, the network refused."""

    def __init__(self, browser: object) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort()
            ),
        )

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def paths(self) -> int:
        return self.page.locator("path.leaflet-interactive").count()

    def toggle(self, label: str) -> None:
        self.page.locator(".leaflet-control-layers-overlays label", has_text=label).locator(
            "input"
        ).click()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_map_renders_offline_toggles_and_pops_up(browser: object, tmp_path: Path) -> None:
    path = write_web_map(
        web_map(make_layers(), title="Masamba", lang="id", note="Data demonstrasi"),
        tmp_path / "map.html",
    )
    pg = Page(browser)
    pg.page.goto(path.as_uri())
    pg.page.wait_for_selector("path.leaflet-interactive")
    assert pg.paths() == 1 + 4 + 2 + 30 + 2
    for label, n in [
        ("Bangunan", 30),
        ("Zona bahaya banjir", 4),
        ("Jalan", 2),
        ("Fasilitas penting", 2),
        ("Batas kecamatan", 1),
    ]:
        pg.toggle(label)
        assert pg.paths() == 39 - n, label
        legend = pg.page.locator(".kc-legend .kc-sec", has_text=label).first
        assert not legend.is_visible()
        pg.toggle(label)
        assert pg.paths() == 39
        assert legend.is_visible()
    # palette colours reach the SVG
    assert pg.page.locator('path.leaflet-interactive[fill="#F03B20"]').count() == 1
    assert pg.page.locator('path.leaflet-interactive[stroke="#E34A33"]').count() == 1
    # click the second facility's circle marker where Leaflet placed it
    lonlat = make_layers()["facilities"].to_crs(4326).geometry.iloc[1]
    xy = pg.page.evaluate(
        "([lat, lon]) => { const m = window[document.querySelector('.folium-map').id];"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lonlat.y, lonlat.x],
    )
    box_ = pg.page.locator(".folium-map").bounding_box()
    pg.page.mouse.click(box_["x"] + xy[0], box_["y"] + xy[1])
    popup = pg.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "SDN 1 Masamba" in popup.inner_text() and "Pendidikan" in popup.inner_text()
    shot = tmp_path / "map.png"
    pg.page.screenshot(path=str(shot))
    assert _png_size(shot) == (1200, 800)
    assert pg.errors == []
    assert pg.external() == []
    pg.page.close()


def test_visible_subset_and_canvas_layer(browser: object, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x, y = X0 + rng.uniform(-2000, 2000, 3000), Y0 + rng.uniform(-2000, 2000, 3000)
    many = gpd.GeoDataFrame(
        {"asset_id": [f"b{i}" for i in range(3000)], "exposure_class": "residential"},
        geometry=[box(a, b, a + 12, b + 10) for a, b in zip(x, y, strict=True)],
        crs=CRS,
    )
    layers = make_layers()
    layers["buildings"] = many
    m = web_map(
        layers, title="t", lang="en", visible=["hazard_zones", "buildings"], canvas_threshold=1000
    )
    path = write_web_map(m, tmp_path / "map.html")
    pg = Page(browser)
    pg.page.goto(path.as_uri())
    pg.page.wait_for_selector("path.leaflet-interactive")
    assert pg.paths() == 4  # buildings on canvas; admin, roads, facilities start unticked
    assert pg.page.locator("canvas.leaflet-zoom-animated").count() == 1
    pg.toggle("Roads")
    assert pg.paths() == 6
    assert pg.errors == [] and pg.external() == []
    pg.page.close()


def test_a_cdn_map_is_caught_by_the_request_recorder(browser: object, tmp_path: Path) -> None:
    """Negative control: folium's own output asks the network for its assets."""
    path = tmp_path / "cdn.html"
    folium.Map(tiles=None).save(str(path))
    pg = Page(browser)
    pg.page.goto(path.as_uri())
    pg.page.wait_for_timeout(300)
    assert any("leaflet" in u for u in pg.external())
    assert pg.errors  # L is not defined
    pg.page.close()


XSS = "RSUD <img src=x onerror=\"document.title='pwned'\"> {{x}} [/]"


def _screen_xy(pg: Page, lat: float, lon: float) -> tuple[float, float]:
    xy = pg.page.evaluate(
        "([lat, lon]) => { const m = window[document.querySelector('.folium-map').id];"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box_ = pg.page.locator(".folium-map").bounding_box()
    return box_["x"] + xy[0], box_["y"] + xy[1]


def test_names_with_markup_stay_text_under_hover_and_click(browser: object, tmp_path: Path) -> None:
    """A name carrying an <img onerror> is shown literally and never runs (issue 12, A1)."""
    from shapely.geometry import LineString

    layers = make_layers()
    layers["facilities"].loc[0, "name"] = XSS
    layers["admin_kecamatan"].loc[0, "admin_name"] = XSS
    layers["hazard_zones"]["label_id"] = [XSS + " T", "Sedang", "Rendah", "Waspada"]
    river = gpd.GeoDataFrame(
        {"name": [XSS]},
        geometry=[LineString([(X0 + 1800, Y0 - 1800), (X0 + 1800, Y0 + 1800)])],
        crs=CRS,
    )
    layers[XSS] = river  # an unknown layer: its name becomes the overlay's title
    title = "Peta " + XSS
    path = write_web_map(web_map(layers, title=title, lang="id", note=XSS), tmp_path / "map.html")
    pg = Page(browser)
    pg.page.goto(path.as_uri())
    pg.page.wait_for_selector("path.leaflet-interactive")
    assert pg.page.title() == title  # the <title> is text
    assert pg.page.locator("img").count() == 0  # no element made from the data
    web = {k: v.to_crs(4326) for k, v in layers.items()}
    targets = [
        web["facilities"].geometry.iloc[0],
        web[XSS].geometry.iloc[0].interpolate(0.5, normalized=True),
        # inside the kecamatan only (east of the zones, away from the roads and the river)
        gpd.GeoSeries([Point(X0 + 2200, Y0 + 1800)], crs=CRS).to_crs(4326).iloc[0],
    ]
    for p in targets:
        x, y = _screen_xy(pg, p.y, p.x)
        pg.page.mouse.move(x - 3, y - 3)
        pg.page.mouse.move(x, y)
        tip = pg.page.locator(".leaflet-tooltip").last
        tip.wait_for()
        assert XSS in tip.inner_text()
        pg.page.mouse.click(x, y)
        popup = pg.page.locator(".leaflet-popup-content").last
        popup.wait_for()
        assert XSS in popup.inner_text()
        pg.page.wait_for_timeout(100)
        assert pg.page.evaluate("document.title") == title
    # legend labels, legend note, map title and the layer control show the text literally
    assert XSS in pg.page.locator(".kc-title").inner_text()
    legend = pg.page.locator(".kc-legend").inner_text()
    assert XSS + " T" in legend and legend.count(XSS) >= 3
    assert XSS in pg.page.locator(".leaflet-control-layers-overlays").inner_text()
    assert pg.page.locator("img").count() == 0
    pg.page.wait_for_timeout(300)
    assert pg.page.evaluate("document.title") == title
    assert pg.errors == [] and pg.external() == []
    pg.page.close()
