"""Benchmark: web map of 100k building polygons, ours vs folium.GeoJson and GeoDataFrame.explore().

All three start from the same seeded GeoDataFrame in EPSG:32751 (the working CRS) and write an
HTML file; we time the whole path from frame to file (conversion to EPSG:4326 included) and
measure the file size. Results (medians of ``--repeat`` runs, one process, same machine) go to
``bench/webmap.md`` with ratios, because absolute times drift by about 30 % here.

Run: ``.venv/bin/python bench/bench_webmap.py [--n 100000] [--repeat 1] [--out bench/webmap.md]``

Load time in a browser (issue 13): :func:`load_rows` builds the demo plan's map and a
300,000-building synthetic map (a regency), each as ours and as folium's default ``GeoJson``
of the same layers, and measures the HTML size and the time headless Chromium (playwright,
network blocked; folium's Leaflet CDN files served from ``xstatic-leaflet``, its other CDN
files refused) takes from navigation until the features are drawn. ``--load`` prints the rows
as a markdown table and writes them to ``bench/webmap_load.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import folium
import geopandas as gpd
import shapely

from kotacerdas_gis.outputs.styles import EXPOSURE_CLASSES
from kotacerdas_gis.outputs.webmap import web_map, write_web_map

X0, Y0 = 203080.0, 9717839.0


def make_buildings(n: int, seed: int = 42) -> gpd.GeoDataFrame:
    """``n`` rotated rectangles 8-20 m long in a 40 x 40 km box around Masamba (EPSG:32751)."""
    rng = np.random.default_rng(seed)
    cx = X0 + rng.uniform(-20000, 20000, n)
    cy = Y0 + rng.uniform(-20000, 20000, n)
    length = rng.uniform(8, 20, n)
    width = length * rng.uniform(0.5, 0.9, n)
    angle = rng.uniform(0, np.pi, n)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * length[:, None]
    dy = corners[None, :, 1] * width[:, None]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    xs = cx[:, None] + dx * cos - dy * sin
    ys = cy[:, None] + dx * sin + dy * cos
    rings = np.stack([xs, ys], axis=-1)
    geoms = shapely.polygons(rings)
    classes = np.array([c.key for c in EXPOSURE_CLASSES])
    p = np.array([0.80, 0.04, 0.01, 0.01, 0.03, 0.01, 0.05, 0.01, 0.01, 0.005, 0.025])
    exposure = classes[rng.choice(len(classes), n, p=p / p.sum())]
    names = np.where(rng.uniform(size=n) < 0.03, "Masjid / Sekolah", None)
    return gpd.GeoDataFrame(
        {
            "asset_id": [f"osm_w{700000000 + i}" for i in range(n)],
            "name": names,
            "building": np.where(exposure == "residential", "house", "yes"),
            "exposure_class": exposure,
        },
        geometry=geoms,
        crs="EPSG:32751",
    )


def ours(gdf: gpd.GeoDataFrame, path: Path) -> None:
    write_web_map(web_map({"buildings": gdf}, title="Bangunan Masamba"), path)


def folium_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    web = gdf.to_crs(4326)
    m = folium.Map(location=[-2.55, 120.33], zoom_start=12)
    folium.GeoJson(web, name="buildings").add_to(m)
    m.save(str(path))


def explore(gdf: gpd.GeoDataFrame, path: Path) -> None:
    gdf.explore().save(str(path))


def measure(
    fn: Callable[[gpd.GeoDataFrame, Path], None], gdf: gpd.GeoDataFrame, repeat: int, workdir: Path
) -> tuple[float, int]:
    times, size = [], 0
    for i in range(repeat):
        path = workdir / f"{fn.__name__}_{i}.html"
        t0 = time.perf_counter()
        fn(gdf, path)
        times.append(time.perf_counter() - t0)
        size = path.stat().st_size
        path.unlink()
    return statistics.median(times), size


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
#: Ready conditions: ours sets ``KC.ready`` once every layer is built and added; folium's
#: default GeoJson is drawn as SVG paths once its script has run.
_READY = {
    "kotacerdas": "window.KC && KC.ready",
    "folium.GeoJson": "document.querySelectorAll('path.leaflet-interactive').length > 0",
}


def chromium_load_s(path: Path, method: str, *, timeout_s: float = 300.0) -> float | None:
    """Seconds from navigation until the map is drawn (two animation frames after ready).

    Returns None on timeout. Needs python playwright and /usr/bin/chromium.
    """
    import xstatic.pkg.leaflet as xleaflet
    from playwright.sync_api import TimeoutError as PwTimeout
    from playwright.sync_api import sync_playwright

    base = Path(xleaflet.BASE_DIR)

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:")):
            r.continue_()  # type: ignore[attr-defined]
        elif "leaflet@" in url and url.endswith((".js", ".css")):
            name = url.rsplit("/", 1)[1]
            ctype = "text/css" if name.endswith(".css") else "application/javascript"
            r.fulfill(body=(base / name).read_bytes(), content_type=ctype)  # type: ignore[attr-defined]
        else:
            r.abort()  # type: ignore[attr-defined]

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = b.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", route)
            t0 = time.perf_counter()
            page.goto(path.as_uri(), wait_until="commit", timeout=timeout_s * 1000)
            try:
                page.wait_for_function(_READY[method], timeout=timeout_s * 1000, polling=100)
                page.evaluate("new Promise(r => requestAnimationFrame(() => "
                              "requestAnimationFrame(r)))")
            except PwTimeout:
                return None
            return time.perf_counter() - t0
        finally:
            b.close()


def _folium_default(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Folium's default: a folium.Map with one folium.GeoJson per layer (all columns)."""
    m = folium.Map(location=[-2.55, 120.33], zoom_start=12)
    for name, gdf in layers.items():
        web = gdf.to_crs(4326)
        for c in web.columns:
            if c != web.geometry.name and not (
                web[c].dtype.kind in "biuf" or web[c].dtype == object
            ):
                web[c] = web[c].astype(str)
        web = web.replace([np.inf, -np.inf], np.nan)
        folium.GeoJson(web, name=name).add_to(m)
    m.save(str(path))


def _demo_layers() -> tuple[dict[str, gpd.GeoDataFrame], object, list[str]]:
    import warnings

    import kotacerdas_gis as kc
    from kotacerdas_gis.datasets import load_demo
    from kotacerdas_gis.outputs.summary import plan_layers
    from kotacerdas_gis.outputs.webmap import MAP_HIDDEN, hillshade, plan_map_layers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(load_demo(), kc.PlanConfig())
    layers = plan_map_layers(plan_layers(result))
    t = result.terrain
    bg = hillshade(t.dem_m, t.transform, t.crs) if t is not None else None
    return layers, bg, [k for k in layers if k not in MAP_HIDDEN]


def load_rows(
    *, n_buildings: int = 300_000, demo: bool = True, timeout_s: float = 300.0,
    workdir: Path | None = None,
) -> list[dict[str, object]]:
    """HTML size and Chromium load time of the demo map and of an ``n_buildings`` map.

    Returns
    -------
    list of dict
        One row per (map, method): ``map``, ``method`` (``kotacerdas`` or
        ``folium.GeoJson``), ``features``, ``html_mb``, ``write_s``, ``load_s`` (None:
        not drawn within ``timeout_s``), ``offline`` (works without network).
    """
    cases: list[tuple[str, dict[str, gpd.GeoDataFrame], object, list[str] | None]] = []
    if demo:
        layers, bg, visible = _demo_layers()
        cases.append(("demo (Masamba)", layers, bg, visible))
    if n_buildings:
        cases.append((f"{n_buildings:,} buildings", {"buildings": make_buildings(n_buildings)},
                      None, None))
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        for label, layers, bg, visible in cases:
            n = int(sum(len(v) for v in layers.values()))
            for method in ("kotacerdas", "folium.GeoJson"):
                path = Path(d) / f"{method}.html"
                t0 = time.perf_counter()
                if method == "kotacerdas":
                    m = web_map(layers, title="Masamba", visible=visible,
                                background=bg, online_basemaps=True)  # type: ignore[arg-type]
                    write_web_map(m, path)
                else:
                    _folium_default(layers, path)
                write_s = time.perf_counter() - t0
                load = chromium_load_s(path, method, timeout_s=timeout_s)
                rows.append({
                    "map": label, "method": method, "features": n,
                    "html_mb": round(path.stat().st_size / 1e6, 2),
                    "write_s": round(write_s, 2),
                    "load_s": None if load is None else round(load, 2),
                    "offline": method == "kotacerdas",
                })
                print(rows[-1], flush=True)
                path.unlink()
    return rows


def load_table(rows: list[dict[str, object]]) -> str:
    """Markdown table of :func:`load_rows`."""
    lines = ["| map | method | features | HTML (MB) | write (s) | Chromium load (s) | offline |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        load = "timeout" if r["load_s"] is None else f"{r['load_s']:.2f}"
        lines.append(f"| {r['map']} | {r['method']} | {r['features']:,} | {r['html_mb']:.2f} | "
                     f"{r['write_s']:.2f} | {load} | {'yes' if r['offline'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("webmap.md"))
    ap.add_argument("--load", action="store_true",
                    help="browser load times of the demo and a --n-building map (issue 13)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    if args.load:
        rows = load_rows(n_buildings=args.n, timeout_s=args.timeout)
        table = load_table(rows)
        print(table)
        out = Path(__file__).with_name("webmap_load.md")
        out.write_text(
            "# Web map in Chromium: HTML size and load time\n\n"
            "Headless Chromium (playwright, network blocked; folium's Leaflet served locally, "
            "its other CDN files refused), 1280 x 800, from navigation until the features are "
            f"drawn. {platform.machine()}, folium {folium.__version__}.\n\n" + table,
            encoding="utf-8")
        print(f"wrote {out}")
        return

    gdf = make_buildings(args.n)
    ours(gdf.iloc[:100], Path(tempfile.mkdtemp()) / "warm.html")  # imports, asset cache
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for fn in (ours, folium_geojson, explore):
            t, size = measure(fn, gdf, args.repeat, Path(d))
            rows.append((fn.__name__, t, size))
            print(
                f"{fn.__name__:15s} {t:7.2f} s {size / 1e6:8.2f} MB {size / args.n:7.1f} B/building"
            )
    base_t, base_s = rows[0][1], rows[0][2]
    lines = [
        "# Web map of building polygons: size and write time",
        "",
        f"{args.n:,} seeded building polygons (8-20 m, rotated rectangles, 40 x 40 km around "
        "Masamba, EPSG:32751; columns asset_id, name (3 % filled), building, exposure_class). "
        "Each method goes from the same frame to an HTML file, conversion to EPSG:4326 included. "
        f"Median of {args.repeat} run(s), one process, on {platform.machine()} with "
        f"{platform.python_implementation()} {platform.python_version()}, folium {folium.__version__}, "
        f"geopandas {gpd.__version__}.",
        "",
        "| method | HTML size (MB) | bytes per building | write time (s) | size vs ours | time vs ours |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t, size in rows:
        lines.append(
            f"| {name} | {size / 1e6:.2f} | {size / args.n:.1f} | {t:.2f} | "
            f"{size / base_s:.2f}x | {t / base_t:.2f}x |"
        )
    lines += [
        "",
        "- `ours`: `web_map` + `write_web_map` (encoded-polyline payload at 6 decimals, popup "
        "columns only, Leaflet inlined, canvas renderer above 5,000 features). The file works "
        "offline; the other two load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs and "
        "stay blank without network.",
        "- `folium_geojson`: `folium.GeoJson(gdf.to_crs(4326))` on a default `folium.Map`, saved.",
        "- `explore`: `gdf.explore().save(...)` with its defaults (tooltips of all columns).",
        "- Target (ANCHOR_NUMBERS.md): <= 8.4 MB for 100k buildings, >= 5x smaller than folium.",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
