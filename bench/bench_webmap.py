"""Benchmark: web map of 100k building polygons, ours vs folium.GeoJson and GeoDataFrame.explore().

All three start from the same seeded GeoDataFrame in EPSG:32751 (the working CRS) and write an
HTML file; we time the whole path from frame to file (conversion to EPSG:4326 included) and
measure the file size. Results (medians of ``--repeat`` runs, one process, same machine) go to
``bench/webmap.md`` with ratios, because absolute times drift by about 30 % here.

Run: ``.venv/bin/python bench/bench_webmap.py [--n 100000] [--repeat 1] [--out bench/webmap.md]``
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("webmap.md"))
    args = ap.parse_args()

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
