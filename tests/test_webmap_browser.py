"""The written web map in a real headless Chromium (offline), through Python playwright.

Skips when /usr/bin/chromium or playwright is missing, unless CI=true (then it fails).
Never downloads playwright's own browsers: it drives the system Chromium.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
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

    def settle(self) -> None:
        """Wait two animation frames before clicking.

        The canvas re-projects its features on redraw; a click before that hits the old
        positions (flaky under load).
        """
        self.page.evaluate("new Promise(r => requestAnimationFrame(() => "
                           "requestAnimationFrame(r)))")

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.KC && KC.ready", timeout=30000)

    def counts(self) -> dict[str, int]:
        """Features per layer switched on (the canvas has no DOM element per feature)."""
        return self.page.evaluate(
            "Object.fromEntries(Object.entries(KC.layers).filter(([k, g]) => KC.map.hasLayer(g))"
            ".map(([k, g]) => [k, g.getLayers().length]))"
        )

    def toggle(self, label: str) -> None:
        self.page.locator(".leaflet-control-layers-overlays label", has_text=label).first.locator(
            "input"
        ).click()

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        xy = self.page.evaluate(
            "([lat, lon]) => { const p = KC.map.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [lat, lon],
        )
        box_ = self.page.locator(".folium-map").bounding_box()
        return box_["x"] + xy[0], box_["y"] + xy[1]

    def pixels(self, points: list[tuple[float, float]]) -> list[str]:
        """``#RRGGBB`` of the screenshot at page points."""
        from PIL import Image

        img = Image.open(io.BytesIO(self.page.screenshot())).convert("RGB")
        return ["#{:02X}{:02X}{:02X}".format(*img.getpixel((round(x), round(y))))
                for x, y in points]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _web(geom: object) -> Point:
    return gpd.GeoSeries([geom], crs=CRS).to_crs(4326).iloc[0]


def misleading_layers() -> dict[str, gpd.GeoDataFrame]:
    """Build the layers of issue 13's misleading map.

    An observed footprint over the zones, flooded buildings of their zone's colour.
    """
    layers = make_layers()
    layers["observed_flood_2020"] = gpd.GeoDataFrame(
        {"flood_id": ["OF1"], "material": ["water"], "depth_min_m": [0.5], "depth_max_m": [2.0]},
        geometry=[box(X0 - 1500, Y0 + 700, X0 + 1300, Y0 + 1000)],
        crs=CRS,
    )
    impact = layers.pop("buildings").copy()
    zones = layers["hazard_zones"]
    joined = gpd.sjoin(impact, zones[["hazard_class", "geometry"]], predicate="within", how="left")
    impact["hazard_class"] = joined["hazard_class"].to_numpy()
    impact["flooded_frac"] = 1.0
    impact["affected"] = True
    layers["impact_buildings"] = impact
    return layers


def _background() -> object:
    from affine import Affine

    from kotacerdas_gis.outputs.webmap import hillshade
    from kotacerdas_gis.testing import valley_dem

    dem = valley_dem(rows=161, cols=201, cell_m=30.0, side_slope=0.3, valley_slope=0.01)
    return hillshade(dem, Affine(30.0, 0, X0 - 3000, 0, -30.0, Y0 + 2400), CRS, max_px=400)


#: Zone centres near their northern edge, inside the observed footprint, away from the
#: buildings, roads and facilities: (class, x, y) in EPSG:32751.
ZONE_POINTS = [(c, X0 - 1150 + 700 * i, Y0 + 880) for i, c in
               enumerate(["high", "medium", "low", "use_caution"])]
SWATCH = {"high": "#F03B20", "medium": "#FEB24C", "low": "#FFFFB2", "use_caution": "#A6D96A"}


@pytest.fixture(scope="module")
def misleading_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = web_map(misleading_layers(), title="Masamba", lang="id", note="Data demonstrasi",
                background=_background(), online_basemaps=True)
    return write_web_map(m, tmp_path_factory.mktemp("mis") / "map.html")


def test_map_loads_with_its_feature_counts_and_toggles(
    browser: object, misleading_map: Path
) -> None:
    pg = Page(browser)
    pg.open(misleading_map)
    expected = {"admin_kecamatan": 1, "hazard_zones": 4, "roads": 2, "impact_buildings": 30,
                "facilities": 2, "observed_flood_2020": 1, "place_labels": 1}
    assert pg.counts() == expected
    for label, name in [
        ("Bangunan menurut kelas bahaya", "impact_buildings"),
        ("Zona bahaya banjir", "hazard_zones"),
        ("Jalan", "roads"),
        ("Fasilitas penting", "facilities"),
        ("Batas kecamatan", "admin_kecamatan"),
        ("Nama tempat", "place_labels"),
    ]:
        pg.toggle(label)
        assert name not in pg.counts(), label
        legend = pg.page.locator(f'.kc-legend .kc-sec[data-layer="{name}"]')
        if legend.count():
            assert not legend.is_visible()
        pg.toggle(label)
        assert pg.counts() == expected
        if legend.count():
            assert legend.is_visible()
    # the layer control is grouped, each group once, in order
    groups = pg.page.locator(".kc-grp").all_inner_texts()
    assert groups == ["Batas", "Bahaya", "Keterpaparan", "Akses"]
    # base layers: the offline relief chosen, the online ones offered
    bases = pg.page.locator(".leaflet-control-layers-base label").all_inner_texts()
    assert [b.strip() for b in bases] == [
        "Relief (luring, dari DEM)", "OpenStreetMap (daring)", "Citra satelit Esri (daring)"]
    assert pg.page.locator(".leaflet-control-layers-base input").first.is_checked()
    # metric scale only; no duplicate section title in the legend
    assert pg.page.locator(".leaflet-control-scale-line").count() == 1
    titles = pg.page.locator(".kc-legend .kc-sec-title").all_inner_texts()
    assert len(titles) == len(set(titles))
    assert pg.errors == [] and pg.external() == []
    pg.page.close()


def test_each_hazard_class_renders_its_legend_swatch(browser: object, misleading_map: Path) -> None:
    """Check that every zone pixel, inside the observed footprint too, is its swatch.

    Issue 13: the observed footprint over Rendah made the colour of Waspada.
    """
    pg = Page(browser)
    pg.open(misleading_map)
    pg.page.wait_for_timeout(400)  # the zoom animation
    legend = pg.page.evaluate(
        "Array.from(document.querySelectorAll('.kc-sec[data-layer=hazard_zones] .kc-row'))"
        ".map(r => [r.innerText.trim(), getComputedStyle(r.querySelector('.kc-sw'))"
        ".backgroundColor])"
    )
    rgb = {lab: "#{:02X}{:02X}{:02X}".format(*(int(v) for v in re.findall(r"\d+", c)[:3]))
           for lab, c in legend}
    assert rgb == {"Tinggi": "#F03B20", "Sedang": "#FEB24C", "Rendah": "#FFFFB2",
                   "Waspada": "#A6D96A"}
    pts = [pg.xy(_web(Point(x, y)).y, _web(Point(x, y)).x) for _, x, y in ZONE_POINTS]
    got = pg.pixels(pts)
    assert got == [SWATCH[c] for c, _, _ in ZONE_POINTS]
    pg.toggle("Zona bahaya banjir")  # the relief shows through where the zones were
    grey = pg.pixels(pts)
    assert all(g[1:3] == g[3:5] == g[5:7] for g in grey), grey
    assert pg.errors == []
    pg.page.close()


def test_clicking_a_flooded_building_opens_its_popup(browser: object, misleading_map: Path) -> None:
    pg = Page(browser)
    pg.open(misleading_map)
    pg.page.evaluate("KC.map.setZoom(17, {animate: false})")
    layers = misleading_layers()
    b = layers["impact_buildings"]
    hits = 0
    for i in range(0, 30, 3):
        c = _web(b.geometry.iloc[i].centroid)
        pg.page.evaluate("([lat, lon]) => KC.map.setView([lat, lon], 17, {animate: false})",
                         [c.y, c.x])
        pg.settle()  # let the canvas redraw at the new view before clicking
        x, y = pg.xy(c.y, c.x)
        pg.page.mouse.click(x, y)
        popup = pg.page.locator(".leaflet-popup-content .kc-pop")
        popup.wait_for()
        if popup.get_attribute("data-layer") == "impact_buildings":
            text = popup.inner_text()
            assert b["asset_id"].iloc[i] in text and "Ya" in text and "100 %" in text, text
            assert "flooded_frac" not in text and "True" not in text
            hits += 1
        pg.page.evaluate("KC.map.closePopup()")
    assert hits == 10
    # away from buildings the zone answers, with its values in Bahasa Indonesia
    _, x0, y0 = ZONE_POINTS[0]
    c = _web(Point(x0, y0 - 1400))
    pg.page.evaluate("([lat, lon]) => KC.map.setView([lat, lon], 17, {animate: false})",
                     [c.y, c.x])
    pg.settle()  # let the canvas redraw at the new view before clicking
    pg.page.mouse.click(*pg.xy(c.y, c.x))
    popup = pg.page.locator(".leaflet-popup-content .kc-pop")
    popup.wait_for()
    assert popup.get_attribute("data-layer") == "hazard_zones"
    assert "Tinggi" in popup.inner_text() and "Luas (m²)" in popup.inner_text()
    assert "1.400.000" in popup.inner_text()  # 700 m x 2000 m, id-ID digits
    assert pg.errors == []
    pg.page.close()


def test_phone_controls_start_collapsed_and_leave_the_map(browser: object,
                                                         misleading_map: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else r.abort())
    page.goto(misleading_map.as_uri())
    page.wait_for_function("window.KC && KC.ready")
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    assert page.evaluate("document.querySelector('details.kc-legend').open") is False
    covered = 0.0
    for sel in (".leaflet-control-layers", "details.kc-legend", ".kc-title",
                ".leaflet-control-zoom", ".leaflet-control-scale"):
        bb = page.locator(sel).first.bounding_box()
        covered += bb["width"] * bb["height"]
    assert covered / (390 * 844) < 0.08, covered
    # the legend opens on demand; the layer list and the legend take turns
    page.locator("details.kc-legend summary").click()
    assert page.evaluate("document.querySelector('details.kc-legend').open") is True
    page.evaluate("KC.control.expand()")
    assert page.locator(".leaflet-control-layers-expanded").count() == 1
    assert page.evaluate("document.querySelector('details.kc-legend').open") is False
    page.locator("details.kc-legend summary").click()
    page.wait_for_timeout(50)
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    assert errors == []
    page.close()


def test_online_basemap_falls_back_to_the_offline_relief(browser: object,
                                                         misleading_map: Path) -> None:
    pg = Page(browser)
    pg.open(misleading_map)
    pg.page.locator(".leaflet-control-layers-base label", has_text="OpenStreetMap").locator(
        "input").click()
    pg.page.wait_for_function("KC.map.hasLayer(KC.background)", timeout=10000)
    assert pg.page.locator(".leaflet-control-layers-base input").first.is_checked()
    msg = pg.page.locator("#kc-msg")
    assert msg.is_visible() and "luring" in msg.inner_text()
    assert any("tile.openstreetmap.org" in u for u in pg.external())  # tried, refused
    assert pg.errors == []
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


XSS = (
    "RSUD <img src=x onerror=\"document.title='pwned'\"> {{x}} [/] "
    "</script><script>document.title='p2'</script>"
)


def test_names_with_markup_stay_text_under_hover_and_click(browser: object, tmp_path: Path) -> None:
    """Names carrying <img onerror> and </script> are shown literally and never run."""
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
    pg.open(path)
    assert pg.page.title() == title  # the <title> is text
    assert pg.page.locator("img").count() == 0  # no element made from the data
    web = {k: v.to_crs(4326) for k, v in layers.items()}
    targets = [
        web["facilities"].geometry.iloc[0],
        web[XSS].geometry.iloc[0].interpolate(0.5, normalized=True),
        # on the kecamatan's boundary (drawn as a line), away from everything else
        _web(Point(X0 + 2200, Y0 + 2000)),
    ]
    for p in targets:
        x, y = pg.xy(p.y, p.x)
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
    # legend labels, legend note, map title, place label and layer control show the text
    assert XSS in pg.page.locator(".kc-title").inner_text()
    legend = pg.page.locator(".kc-legend").inner_text()
    assert XSS + " T" in legend and legend.count(XSS) >= 3
    assert XSS in pg.page.locator(".leaflet-control-layers-overlays").inner_text()
    assert pg.page.locator(".kc-lbl-kecamatan").text_content() == XSS
    assert pg.page.locator("img").count() == 0
    pg.page.wait_for_timeout(300)
    assert pg.page.evaluate("document.title") == title
    assert pg.errors == [] and pg.external() == []
    pg.page.close()


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], object]:
    """Write the demo plan's map.html with write_outputs (once per module)."""
    import warnings

    import kotacerdas_gis as kc
    from kotacerdas_gis.datasets import load_demo
    from kotacerdas_gis.outputs.bundle import write_outputs
    from kotacerdas_gis.outputs.summary import plan_layers
    from kotacerdas_gis.outputs.webmap import MAP_HIDDEN, plan_map_layers

    _need_browser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(load_demo(), kc.PlanConfig())
        out = tmp_path_factory.mktemp("demo")
        write_outputs(result, out)
    layers = plan_map_layers(plan_layers(result))
    shown = {k: len(v) for k, v in layers.items() if k not in MAP_HIDDEN}
    return out / "map.html", shown, layers


def test_demo_map_layers_and_the_cut_off_village(browser: object, demo_map: tuple) -> None:
    """Issue 13: Kariango, cut off from health care, said nothing of it; now its layer does."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    path, shown, layers = demo_map
    pg = Page(browser)
    pg.open(path)
    counts = pg.counts()
    labels = counts.pop("place_labels")
    assert counts == shown
    assert labels == len(layers["admin_desa"]) + len(layers["admin_kecamatan"])
    assert {"isolated_desa", "rebuild_priorities", "service_points", "sensor_sites",
            "sensor_warning_reach"} <= set(counts)
    assert pg.page.locator(".kc-grp").all_inner_texts() == [
        "Batas", "Bahaya", "Keterpaparan", "Akses", "Rekomendasi"]
    iso = layers["isolated_desa"]
    row = iso[iso["admin_name"] == "Kariango"].iloc[0]
    ring = row.geometry.exterior
    found = None
    for f in np.linspace(0.05, 0.95, 12):
        p = _web(ring.interpolate(f, normalized=True))
        pg.page.evaluate("([lat, lon]) => KC.map.setView([lat, lon], 16, {animate: false})",
                         [p.y, p.x])
        pg.settle()  # let the canvas redraw at the new view before clicking
        pg.page.mouse.click(*pg.xy(p.y, p.x))
        popup = pg.page.locator(".leaflet-popup-content .kc-pop")
        try:  # a point of the outline may fall where no feature answers: try the next one
            popup.wait_for(timeout=5000)
        except PlaywrightTimeout:
            continue
        if popup.get_attribute("data-layer") == "isolated_desa":
            found = popup.inner_text()
            break
        pg.page.evaluate("KC.map.closePopup()")
    assert found is not None
    before = f"{round(row['travel_time_min_before'], 1):g}".replace(".", ",")
    assert "Kariango" in found and "Terputus oleh banjir" in found, found
    assert f"sebelum banjir (menit)\t{before}\n" in found, found
    assert "saat banjir (menit)\ttidak terjangkau" in found, found
    # every popup label is a label, not a column name
    ths = pg.page.locator(".kc-pop th").all_inner_texts()
    assert ths and not any("_" in t for t in ths), ths
    assert pg.errors == [] and pg.external() == []
    pg.page.close()


def test_demo_flooded_buildings_answer_their_own_clicks(browser: object, demo_map: tuple) -> None:
    """Issue 13: 15 of 16 clicks on a flooded building opened the zone's popup."""
    path, _, layers = demo_map
    b = layers["impact_buildings"]
    flooded = b[b["hazard_class"].isin(["high", "medium"])]
    points = pd.concat([layers[n].geometry for n in ("facilities", "bridges", "service_points",
                                                     "rebuild_priorities", "sensor_sites")])
    far = flooded.geometry.centroid.apply(lambda c: points.distance(c).min() > 40)
    sample = flooded[far.to_numpy()].sample(16, random_state=13)
    pg = Page(browser)
    pg.open(path)
    got = []
    for _, row in sample.iterrows():
        c = _web(row.geometry.representative_point())
        pg.page.evaluate("([lat, lon]) => KC.map.setView([lat, lon], 18, {animate: false})",
                         [c.y, c.x])
        pg.settle()  # let the canvas redraw at the new view before clicking
        pg.page.mouse.click(*pg.xy(c.y, c.x))
        popup = pg.page.locator(".leaflet-popup-content .kc-pop")
        popup.wait_for()
        got.append((popup.get_attribute("data-layer"), row["asset_id"] in popup.inner_text()))
        pg.page.evaluate("KC.map.closePopup()")
    assert got == [("impact_buildings", True)] * 16
    assert pg.errors == []
    pg.page.close()
