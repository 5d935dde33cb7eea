#!/usr/bin/env python
"""Generate the bundled Masamba scenario: a deterministic, *synthetic* reconstruction.

The files written here stand in for the official data that a planner in Luwu Utara would use (BIG RBI or
HDX boundaries, DEMNAS, an OpenStreetMap extract, BNPB flood maps), which cannot be downloaded where this
package is built. Place names and Kemendagri codes are real; every geometry and every number is invented
by this script so that the pipeline has plausible inputs to run on. Nothing here is official data and
nothing is derived from any real geometry. See ``data/README.md``.

Usage::

    python scripts/make_masamba_data.py [--out DIR]

The script is deterministic: one seed (``numpy.random.default_rng(20200713)``), no time-dependent values,
no dependence on set or dict-hash order. Two runs write byte-identical files (``tests/test_bundled_data.py``
checks this). Everything is in the working CRS EPSG:32751 (WGS 84 / UTM 51S, metres).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

import geopandas as gpd
import shapely
import shapely.affinity
import shapely.geometry
import shapely.ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon
import rasterio
from rasterio.features import shapes, sieve
from rasterio.transform import from_origin
import pyogrio

try:  # the package's atomic writer; fall back to a local copy when run without the package installed
    from kotacerdas_gis.io.atomic import atomic_path
except ImportError:  # pragma: no cover - only without the package on sys.path
    import contextlib
    import os
    import tempfile

    @contextlib.contextmanager  # type: ignore[no-redef]
    def atomic_path(path: Any):  # noqa: ANN201
        """Yield a temporary path beside ``path`` and move it into place on success."""
        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        try:
            yield tmp
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()


SEED = 20200713
CRS = "EPSG:32751"
#: Masamba town centre, lon 120.33, lat -2.55, in UTM 51S.
TOWN_XY = (203_080.0, 9_717_839.0)
#: DEM grid: 1200 x 1400 cells of 30 m, x 185,000-221,000, y 9,692,000-9,734,000.
CELL = 30.0
X0, Y0, X1, Y1 = 185_000.0, 9_692_000.0, 221_000.0, 9_734_000.0
NX, NY = int((X1 - X0) / CELL), int((Y1 - Y0) / CELL)
NODATA = -9999.0
EVENT_DATE = "2020-07-13"
MAX_FILE_BYTES = 4_000_000
REPO_DATA = Path(__file__).resolve().parents[1] / "data"
KM = 1000.0


# ----------------------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------------------
def _km(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Control points given in km (x, y) -> metres."""
    return np.asarray(points, dtype=float) * KM


def _catmull_rom(ctrl: np.ndarray, step_m: float) -> np.ndarray:
    """A smooth curve through ``ctrl`` (n x 2, metres), sampled about every ``step_m`` metres."""
    pts = np.vstack([2 * ctrl[0] - ctrl[1], ctrl, 2 * ctrl[-1] - ctrl[-2]])
    out = [ctrl[:1]]
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        n = max(2, int(math.ceil(np.hypot(*(p2 - p1)) / step_m)))
        t = np.linspace(0.0, 1.0, n + 1)[1:, None]
        seg = 0.5 * (
            2 * p1
            + (-p0 + p2) * t
            + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
            + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
        )
        out.append(seg)
    return np.vstack(out)


def _resample(xy: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polyline at even spacing; return points and their distance along the line."""
    d = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    s = np.linspace(0.0, d[-1], max(2, int(round(d[-1] / step_m)) + 1))
    return np.c_[np.interp(s, d, xy[:, 0]), np.interp(s, d, xy[:, 1])], s


def _normals(xy: np.ndarray) -> np.ndarray:
    t = np.gradient(xy, axis=0)
    t /= np.hypot(*t.T)[:, None]
    return np.c_[-t[:, 1], t[:, 0]]


def _noise_field(rng: np.random.Generator, scale_m: float, shape: tuple[int, int] = (NY, NX)) -> np.ndarray:
    """Smooth random field (about unit std) with a correlation length of ``scale_m`` on the DEM grid."""
    ny, nx = shape
    step = max(scale_m / CELL, 1.0)
    gy, gx = int(ny / step) + 4, int(nx / step) + 4
    coarse = rng.standard_normal((gy, gx))
    rows = np.arange(ny) / step + 1.0
    cols = np.arange(nx) / step + 1.0
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    f = ndimage.map_coordinates(coarse, [rr, cc], order=3, mode="nearest")
    return (f - f.mean()) / (f.std() + 1e-12)


def _fractal(rng: np.random.Generator, scales: Sequence[float], beta: float = 0.8) -> np.ndarray:
    total = np.zeros((NY, NX))
    for s in scales:
        total += (s / scales[0]) ** beta * _noise_field(rng, s)
    return total / total.std()


def _grid_xy() -> tuple[np.ndarray, np.ndarray]:
    x = X0 + (np.arange(NX) + 0.5) * CELL
    y = Y1 - (np.arange(NY) + 0.5) * CELL
    return np.meshgrid(x, y)


def _rowcol(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    col = np.floor((xy[:, 0] - X0) / CELL).astype(int)
    row = np.floor((Y1 - xy[:, 1]) / CELL).astype(int)
    return np.clip(row, 0, NY - 1), np.clip(col, 0, NX - 1)


def _round_geoms(geoms: Any) -> np.ndarray:
    """Snap coordinates to 1 cm (what is written), keeping geometries valid."""
    return shapely.set_precision(np.asarray(geoms, dtype=object), 0.01)


# ----------------------------------------------------------------------------------------------------------
# rivers
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RiverSpec:
    river_id: str
    name: str
    ctrl_km: tuple[tuple[float, float], ...]
    joins: str | None = None  # river_id of the river it flows into (the last point snaps onto it)
    meander_m: float = 150.0


RIVER_SPECS: tuple[RiverSpec, ...] = (
    RiverSpec("RV01", "Sungai Rongkong", (
        (186.3, 9733.99), (187.3, 9729.0), (188.9, 9724.0), (190.4, 9719.5), (191.6, 9715.5),
        (192.6, 9711.0), (193.3, 9706.5), (193.2, 9702.0), (192.8, 9697.0), (192.6, 9692.01)),
        meander_m=220.0),
    RiverSpec("RV02", "Sungai Radda", (
        (197.6, 9733.99), (197.9, 9729.0), (197.5, 9724.5), (197.3, 9720.0), (196.9, 9715.0),
        (196.1, 9710.5), (194.8, 9707.0), (193.3, 9705.2)), joins="RV01", meander_m=140.0),
    RiverSpec("RV03", "Sungai Masamba", (
        (204.9, 9733.99), (204.4, 9729.0), (203.9, 9724.5), (203.55, 9721.0), (203.35, 9718.3),
        (203.5, 9714.5), (203.9, 9710.0), (204.5, 9705.0), (205.0, 9699.0), (205.6, 9692.01)),
        meander_m=170.0),
    RiverSpec("RV04", "Sungai Baliase", (
        (212.3, 9733.99), (211.5, 9729.0), (210.7, 9724.0), (210.0, 9719.0), (210.3, 9713.0),
        (211.0, 9707.0), (211.8, 9700.0), (212.3, 9692.01)), meander_m=170.0),
    RiverSpec("RV05", "Sungai Meli", (
        (193.0, 9731.5), (193.9, 9727.5), (195.3, 9723.8), (197.3, 9721.6)), joins="RV02", meander_m=60.0),
    RiverSpec("RV06", "Sungai Lapapa", (
        (200.1, 9733.99), (200.8, 9730.0), (202.0, 9726.6), (203.7, 9723.6)), joins="RV03", meander_m=50.0),
    RiverSpec("RV07", "Sungai Pongo", (
        (208.3, 9733.99), (207.7, 9729.8), (206.2, 9726.8), (204.1, 9726.2)), joins="RV03", meander_m=50.0),
    RiverSpec("RV08", "Sungai Tandung", (
        (185.02, 9723.2), (186.6, 9721.4), (188.6, 9720.6), (190.3, 9719.9)), joins="RV01", meander_m=50.0),
)


def make_rivers(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Draw the rivers first (the DEM is carved along them): smooth curves with meanders."""
    lines: dict[str, LineString] = {}
    for spec in RIVER_SPECS:
        ctrl = _km(spec.ctrl_km)
        if spec.joins is not None:
            main = lines[spec.joins]
            end = main.interpolate(main.project(Point(ctrl[-1])))
            ctrl[-1] = (end.x, end.y)
        xy = _catmull_rom(ctrl, 50.0)
        xy, s = _resample(xy, 40.0)
        length = s[-1]
        # meanders: two sine trains with random phase and wavelength, stronger on the plain, tapered at ends
        lam1, lam2 = rng.uniform(1400, 2200), rng.uniform(550, 900)
        ph1, ph2 = rng.uniform(0, 2 * np.pi, 2)
        plain = 1.0 / (1.0 + np.exp((xy[:, 1] - 9_721_000.0) / 1500.0))  # 1 on the plain, 0 in mountains
        amp = spec.meander_m * (0.35 + 0.65 * plain)
        taper = np.clip(np.minimum(s, length - s) / 800.0, 0.0, 1.0)
        off = amp * taper * (0.75 * np.sin(2 * np.pi * s / lam1 + ph1) + 0.35 * np.sin(2 * np.pi * s / lam2 + ph2))
        xy = xy + _normals(xy) * off[:, None]
        if spec.joins is not None:
            xy[-1] = ctrl[-1]
        line = shapely.simplify(LineString(xy), 1.0)
        lines[spec.river_id] = line
    gdf = gpd.GeoDataFrame(
        {"river_id": [s.river_id for s in RIVER_SPECS], "name": [s.name for s in RIVER_SPECS]},
        geometry=[lines[s.river_id] for s in RIVER_SPECS],
        crs=CRS,
    )
    # snap tributary mouths exactly onto (a vertex of) the main river after rounding
    geoms = list(_round_geoms(gdf.geometry.values))
    ids = list(gdf["river_id"])
    for i, spec in enumerate(RIVER_SPECS):
        if spec.joins is None:
            continue
        main = geoms[ids.index(spec.joins)]
        mouth = Point(geoms[i].coords[-1])
        d = main.project(mouth)
        cut = np.asarray(main.coords)
        dist = np.r_[0.0, np.cumsum(np.hypot(*np.diff(cut, axis=0).T))]
        k = int(np.searchsorted(dist, d))
        snapped = main.interpolate(d)
        sxy = (round(snapped.x, 2), round(snapped.y, 2))
        new_main = np.vstack([cut[:k], [sxy], cut[k:]])
        keep = np.r_[True, np.hypot(*np.diff(new_main, axis=0).T) > 0.0]
        geoms[ids.index(spec.joins)] = LineString(new_main[keep])
        trib = np.asarray(geoms[i].coords)
        trib[-1] = sxy
        geoms[i] = LineString(trib)
    gdf = gdf.set_geometry(geoms, crs=CRS)
    return gdf


# ----------------------------------------------------------------------------------------------------------
# terrain
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Terrain:
    dem: np.ndarray  # float32, rounded to 0.1 m
    hand_m: np.ndarray  # height above the nearest river bed (by construction), float64
    dist_m: np.ndarray  # distance to the nearest river cell
    river_index: np.ndarray  # which river (index into RIVER_SPECS) is nearest, int
    river_y: np.ndarray  # y of the nearest river cell
    mountain_m: np.ndarray  # relief above the plain


def _plain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Coastal plain rising north at 2.4 m/km, with the alluvial fans of the Masamba, Radda, Rongkong."""
    p = 3.5 + 0.0024 * (y - Y0)
    for (ax, ay), h, r in (((203_700.0, 9_722_300.0), 40.0, 3300.0),
                           ((197_400.0, 9_722_200.0), 22.0, 2600.0),
                           ((190_300.0, 9_719_800.0), 25.0, 3000.0),
                           ((210_100.0, 9_721_500.0), 14.0, 2200.0)):
        p = p + h * np.exp(-np.hypot(x - ax, y - ay) / r)
    return p


def _front_y(x: np.ndarray) -> np.ndarray:
    """Where the mountains begin: about 4 km north of Masamba, closer to Sabbang in the west."""
    return (9_722_000.0 + 700.0 * np.sin((x - X0) / 2600.0)
            - 4500.0 * np.exp(-(((x - 184_000.0) / 3500.0) ** 2)))


def make_terrain(rng: np.random.Generator, rivers: gpd.GeoDataFrame) -> Terrain:
    """Relief: mountains north (to ~2,300 m), the fan of Masamba (~75 m), a plain falling to the coast."""
    xx, yy = _grid_xy()
    plain = _plain(xx, yy)
    big = _noise_field(rng, 9000.0)
    rough = _fractal(rng, (6000.0, 3000.0, 1500.0, 750.0, 360.0, 180.0, 90.0))
    t = yy - _front_y(xx)
    t = 600.0 * np.logaddexp(0.0, t / 600.0)  # soft start of the mountains
    height = 1500.0 + 280.0 * big
    mountain = height * (1.0 - np.exp(-t / 4500.0))
    mountain = mountain * np.clip(1.0 + 0.3 * rough, 0.4, 1.55)
    base = plain + mountain

    # rivers: sample every 10 m, a bed profile that never rises downstream, rasterised
    n_cells = NY * NX
    bed = np.full(n_cells, np.inf)
    m_at = np.zeros(n_cells)
    owner = np.full(n_cells, -1, dtype=int)
    mouth_bed: dict[str, np.ndarray] = {}
    for i, spec in enumerate(RIVER_SPECS):
        line = rivers.geometry.iloc[i]
        xy, s = _resample(np.asarray(line.coords), 10.0)
        r, c = _rowcol(xy)
        p_r, m_r = plain[r, c], mountain[r, c]
        raw = p_r - 2.5 + 0.45 * m_r
        prof = raw.copy()
        for k in range(1, len(prof)):  # never rising, at least 0.4 m/km downstream
            prof[k] = min(prof[k], prof[k - 1] - 0.0004 * (s[k] - s[k - 1]))
        if spec.joins is not None:  # end at the main river's bed where it joins
            main_bed = mouth_bed[spec.joins]
            jr, jc = r[-1], c[-1]
            jb = main_bed[jr * NX + jc] if np.isfinite(main_bed[jr * NX + jc]) else prof[-1]
            prof = np.maximum(prof, jb + 0.002 * (s[-1] - s))
        flat = r * NX + c
        better = prof < bed[flat]
        # the first writer of a cell owns it unless a lower bed arrives (tributary cells on the main: main wins)
        for f, b, mm, ok in zip(flat, prof, m_r, better, strict=True):
            if ok:
                bed[f], m_at[f], owner[f] = b, mm, i
        mouth_bed[spec.river_id] = bed.copy()
    bed = bed.reshape(NY, NX)
    m_at = m_at.reshape(NY, NX)
    owner = owner.reshape(NY, NX)
    is_river = np.isfinite(bed)
    dist, (ir, ic) = ndimage.distance_transform_edt(~is_river, sampling=CELL, return_indices=True)
    bed_n, m_n, own_n = bed[ir, ic], m_at[ir, ic], owner[ir, ic]
    slope = 0.003 + 0.42 * np.clip(m_n / 700.0, 0.0, 1.0)
    # on the plain the valley floor follows the smooth plain (no steps from the river's bed profile)
    w = np.clip(m_n / 100.0, 0.0, 1.0)
    floor = w * bed_n + (1.0 - w) * np.maximum(plain - 2.5, bed_n)
    valley = floor + 2.5 * (1.0 - np.exp(-dist / 40.0)) + slope * dist
    cap = base + 80.0 * np.exp(-mountain / 60.0)  # on the plain the river valleys shape the land
    z = np.minimum(cap, valley)
    # texture on the mountain valley sides (side ravines), none on the plain or in the channels
    texture = _fractal(rng, (1500.0, 700.0, 300.0, 120.0), beta=0.9)
    z = z + 0.1 * np.minimum(mountain, z - bed_n) * texture * (1.0 - np.exp(-dist / 250.0))
    # micro-relief on the plain and the fan, none in the channels
    micro = 0.25 * _fractal(rng, (1500.0, 700.0, 300.0, 150.0), beta=0.6)
    z = z + micro * (1.0 - np.exp(-dist / 90.0))
    dem = np.round(z, 1).astype(np.float32)
    hand = z - bed_n
    river_y = Y1 - (ir + 0.5) * CELL
    return Terrain(dem=dem, hand_m=hand, dist_m=dist, river_index=own_n, river_y=river_y, mountain_m=mountain)


def write_dem(dem: np.ndarray, path: Path) -> None:
    profile = {
        "driver": "GTiff", "dtype": "float32", "count": 1, "width": NX, "height": NY, "crs": CRS,
        "transform": from_origin(X0, Y1, CELL, CELL), "nodata": NODATA, "tiled": True,
        "blockxsize": 256, "blockysize": 256, "compress": "deflate", "predictor": 3, "zlevel": 9,
        "interleave": "band",
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(dem, 1)
        dst.set_band_description(1, "elevation_m (synthetic reconstruction, not DEMNAS)")
        dst.update_tags(source="synthetic reconstruction by scripts/make_masamba_data.py; not official data")


def write_vector(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(gdf, tmp, driver="GeoJSON", layer=layer,
                                layer_options={"COORDINATE_PRECISION": 2})


# ----------------------------------------------------------------------------------------------------------
# administrative boundaries (Kemendagri 2025 codes and names; geometry invented here)
# ----------------------------------------------------------------------------------------------------------
KECAMATAN: tuple[tuple[str, str], ...] = (
    ("73.22.01", "Malangke"), ("73.22.02", "Bone Bone"), ("73.22.03", "Masamba"), ("73.22.04", "Sabbang"),
    ("73.22.05", "Rongkong"), ("73.22.06", "Sukamaju"), ("73.22.07", "Seko"), ("73.22.08", "Malangke Barat"),
    ("73.22.09", "Rampi"), ("73.22.10", "Mappedeceng"), ("73.22.11", "Baebunta"), ("73.22.12", "Tana Lili"),
    ("73.22.13", "Sukamaju Selatan"), ("73.22.14", "Baebunta Selatan"), ("73.22.15", "Sabbang Selatan"),
)

#: Hand-drawn outline of the regency (km); the coast on the Gulf of Bone runs along the south-east.
KABUPATEN_OUTLINE_KM: tuple[tuple[float, float], ...] = (
    (186, 9678), (200, 9676.5), (212, 9679.5), (222, 9684), (232, 9690), (236.5, 9702), (233, 9716),
    (238.5, 9730), (236.5, 9748), (239.5, 9766), (232, 9782), (216, 9789), (198, 9786.5), (184, 9779),
    (170, 9784.5), (152, 9788), (138, 9781), (127, 9766), (125.5, 9748), (131, 9732), (140, 9721),
    (151, 9713), (163, 9711), (172, 9702), (178, 9691),
)

KABUPATEN_AREA_M2 = 7_500.0e6

#: Extra anchor points (km) that shape the kecamatan without desa in the bundle, and stretch the others
#: into the highlands: (code, x, y).
KEC_ANCHORS_KM: tuple[tuple[str, float, float], ...] = (
    ("73.22.01", 201.5, 9686.0), ("73.22.01", 208.0, 9688.5),
    ("73.22.08", 191.0, 9686.0), ("73.22.08", 186.5, 9690.5),
    ("73.22.02", 227.0, 9703.0), ("73.22.12", 228.5, 9691.5), ("73.22.12", 233.5, 9700.0),
    ("73.22.06", 218.5, 9713.0), ("73.22.06", 222.0, 9719.0), ("73.22.13", 218.0, 9698.5),
    ("73.22.13", 216.0, 9690.5),
    ("73.22.03", 205.0, 9738.0), ("73.22.03", 207.0, 9746.0), ("73.22.03", 212.0, 9730.0),
    ("73.22.11", 196.0, 9735.0), ("73.22.04", 180.0, 9722.0), ("73.22.04", 177.0, 9712.0),
    ("73.22.15", 181.0, 9700.0),
    ("73.22.05", 182.0, 9742.0), ("73.22.05", 189.0, 9752.0), ("73.22.05", 195.0, 9760.0),
    ("73.22.07", 150.0, 9762.0), ("73.22.07", 137.0, 9752.0), ("73.22.07", 160.0, 9777.0),
    ("73.22.07", 166.0, 9748.0), ("73.22.07", 150.0, 9727.0), ("73.22.07", 172.0, 9765.0),
    ("73.22.09", 222.0, 9772.0), ("73.22.09", 232.0, 9755.0), ("73.22.09", 208.0, 9781.0),
    ("73.22.09", 228.0, 9738.0),
)

#: Desa and kelurahan in the study area: (kecamatan code, name, kind, x km, y km, population weight).
#: Real village names; the positions are plausible, not surveyed.
DESA: tuple[tuple[str, str, str, float, float, float], ...] = (
    # Masamba: the town (kelurahan) on the Masamba river's fan, villages around, highland villages north
    ("73.22.03", "Bone", "kelurahan", 203.10, 9717.90, 5.2),
    ("73.22.03", "Kappuna", "kelurahan", 203.85, 9718.55, 4.1),
    ("73.22.03", "Kasimbong", "kelurahan", 202.55, 9716.85, 3.6),
    ("73.22.03", "Baliase", "kelurahan", 204.35, 9716.45, 3.2),
    ("73.22.03", "Kamiri", "desa", 204.90, 9714.40, 1.9),
    ("73.22.03", "Pandak", "desa", 202.20, 9719.30, 1.5),
    ("73.22.03", "Sumilin", "desa", 205.20, 9719.30, 1.4),
    ("73.22.03", "Lantang Tallang", "desa", 206.30, 9716.90, 1.3),
    ("73.22.03", "Pombakka", "desa", 201.40, 9715.30, 1.5),
    ("73.22.03", "Sepakat", "desa", 203.40, 9712.90, 1.6),
    ("73.22.03", "Laba", "desa", 206.60, 9713.20, 1.2),
    ("73.22.03", "Pongo", "desa", 204.60, 9722.60, 0.9),
    ("73.22.03", "Rompu", "desa", 202.10, 9722.80, 1.0),
    ("73.22.03", "Sassa", "desa", 200.80, 9718.60, 1.2),
    ("73.22.03", "Lapapa", "desa", 201.20, 9727.50, 0.6),
    ("73.22.03", "Toradda", "desa", 207.00, 9721.30, 0.8),
    ("73.22.03", "Maipi", "desa", 205.60, 9731.00, 0.5),
    ("73.22.03", "Baloli", "desa", 208.00, 9718.80, 1.0),
    ("73.22.03", "Masamba", "desa", 201.90, 9712.40, 1.3),
    # Baebunta
    ("73.22.11", "Baebunta", "kelurahan", 195.30, 9716.10, 3.0),
    ("73.22.11", "Radda", "desa", 197.50, 9719.60, 1.8),
    ("73.22.11", "Meli", "desa", 194.80, 9722.90, 1.4),
    ("73.22.11", "Salulemo", "desa", 193.60, 9727.20, 0.8),
    ("73.22.11", "Marampa", "desa", 198.70, 9725.20, 0.7),
    ("73.22.11", "Tarobok", "desa", 193.00, 9719.20, 1.2),
    ("73.22.11", "Mario", "desa", 198.60, 9716.40, 1.5),
    ("73.22.11", "Palandan", "desa", 196.60, 9713.20, 1.4),
    ("73.22.11", "Lembang-Lembang", "desa", 193.70, 9714.40, 1.3),
    ("73.22.11", "Kariango", "desa", 198.90, 9712.30, 1.2),
    ("73.22.11", "Lara", "desa", 191.20, 9712.60, 1.1),
    # Sabbang
    ("73.22.04", "Sabbang", "desa", 188.20, 9713.20, 2.2),
    ("73.22.04", "Pompaniki", "desa", 190.10, 9716.70, 1.4),
    ("73.22.04", "Malimbu", "desa", 186.40, 9717.40, 1.2),
    ("73.22.04", "Tandung", "desa", 185.80, 9721.60, 1.0),
    ("73.22.04", "Dandang", "desa", 190.00, 9711.10, 1.3),
    ("73.22.04", "Bakka", "desa", 186.20, 9710.60, 1.3),
    ("73.22.04", "Buangin", "desa", 189.00, 9720.60, 1.0),
    ("73.22.04", "Tulak Tallu", "desa", 187.70, 9725.80, 0.8),
    ("73.22.04", "Batu Alang", "desa", 183.60, 9726.50, 0.7),
    ("73.22.04", "Kampung Baru", "desa", 184.20, 9714.20, 1.1),
    ("73.22.04", "Marobo", "desa", 182.40, 9719.40, 0.9),
    # Baebunta Selatan
    ("73.22.14", "Lawewe", "desa", 197.20, 9707.20, 1.3),
    ("73.22.14", "Beringin Jaya", "desa", 194.60, 9709.80, 1.2),
    ("73.22.14", "Mukti Jaya", "desa", 198.20, 9702.40, 1.1),
    ("73.22.14", "Sumber Harum", "desa", 195.60, 9701.50, 1.0),
    ("73.22.14", "Bumi Harapan", "desa", 191.60, 9705.50, 0.9),
    ("73.22.14", "Polewali", "desa", 196.00, 9705.00, 1.1),
    # Sabbang Selatan
    ("73.22.15", "Pararra", "desa", 188.60, 9706.20, 1.3),
    ("73.22.15", "Salama", "desa", 186.00, 9704.00, 1.1),
    ("73.22.15", "Lero", "desa", 190.40, 9702.30, 1.0),
    ("73.22.15", "Buntu Torpedo", "desa", 187.60, 9699.00, 0.9),
    ("73.22.15", "Teteuri", "desa", 185.40, 9707.60, 1.0),
    # Mappedeceng
    ("73.22.10", "Uraso", "desa", 209.00, 9709.80, 1.4),
    ("73.22.10", "Benteng", "desa", 211.80, 9706.20, 1.2),
    ("73.22.10", "Kapidi", "desa", 208.90, 9705.30, 1.2),
    ("73.22.10", "Sumber Wangi", "desa", 213.40, 9709.40, 1.1),
    ("73.22.10", "Cendana Putih", "desa", 206.90, 9707.40, 1.3),
    ("73.22.10", "Mekar Jaya", "desa", 210.80, 9702.40, 1.0),
    ("73.22.10", "Ketulungan", "desa", 214.60, 9704.00, 1.0),
    ("73.22.10", "Harapan", "desa", 207.60, 9702.00, 1.1),
)


def _wobble(ring: np.ndarray, rng: np.random.Generator, levels: int = 4, rel: float = 0.07) -> np.ndarray:
    """Midpoint displacement of a closed ring: a hand-drawn outline looks less like a polygon."""
    pts = ring
    for _ in range(levels):
        nxt = np.roll(pts, -1, axis=0)
        mid = 0.5 * (pts + nxt)
        seg = nxt - pts
        length = np.hypot(*seg.T)
        normal = np.c_[-seg[:, 1], seg[:, 0]] / np.maximum(length, 1e-9)[:, None]
        mid = mid + normal * (rng.standard_normal(len(pts)) * rel * length)[:, None]
        out = np.empty((2 * len(pts), 2))
        out[0::2], out[1::2] = pts, mid
        pts = out
    return pts


def _merge_fragments(geoms: list[Any]) -> list[Any]:
    """Give every part but the largest of a multipart polygon to the neighbour sharing most border."""
    geoms = list(geoms)
    for i in range(len(geoms)):
        parts = list(getattr(geoms[i], "geoms", [geoms[i]]))
        if len(parts) < 2:
            continue
        parts.sort(key=lambda g: -g.area)
        geoms[i] = parts[0]
        for part in parts[1:]:
            shared = [0.0 if j == i else part.boundary.intersection(geoms[j].boundary).length
                      for j in range(len(geoms))]
            j = int(np.argmax(shared))
            if shared[j] <= 0.0:
                geoms[i] = geoms[i].union(part)
            else:
                geoms[j] = shapely.union(geoms[j], part)
    return geoms


def make_boundaries(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Kabupaten outline, 15 kecamatan tiling it, desa tiling the kecamatan of the study area."""
    ring = _wobble(_km(KABUPATEN_OUTLINE_KM), rng)
    kab = shapely.make_valid(Polygon(ring))
    if kab.geom_type != "Polygon":
        kab = max(kab.geoms, key=lambda g: g.area)
    # scale the drawing about the coast south of Masamba to the regency's area, about 7,500 km2
    factor = math.sqrt(KABUPATEN_AREA_M2 / kab.area)
    kab = shapely.affinity.scale(kab, factor, factor, origin=(203_000.0, 9_700_000.0))
    kab = shapely.set_precision(kab, 0.01)

    # kecamatan: Voronoi cells of a jittered 1.5 km lattice plus the desa centres, each labelled with the
    # kecamatan of its nearest anchor (desa centres and extra anchors), dissolved and clipped to the outline
    desa_xy = _km([(d[3], d[4]) for d in DESA])
    desa_kec = [d[0] for d in DESA]
    anchors = np.vstack([desa_xy, _km([(a[1], a[2]) for a in KEC_ANCHORS_KM])])
    anchor_kec = np.array(desa_kec + [a[0] for a in KEC_ANCHORS_KM])
    minx, miny, maxx, maxy = kab.bounds
    gx, gy = np.meshgrid(np.arange(minx - 3000, maxx + 3000, 1500.0), np.arange(miny - 3000, maxy + 3000, 1500.0))
    lattice = np.c_[gx.ravel(), gy.ravel()] + rng.uniform(-550, 550, (gx.size, 2))
    near_desa = np.min(np.hypot(lattice[:, None, 0] - desa_xy[None, :, 0],
                                lattice[:, None, 1] - desa_xy[None, :, 1]), axis=1)
    lattice = lattice[near_desa > 500.0]
    seeds = np.vstack([desa_xy, lattice])
    d2 = (seeds[:, None, 0] - anchors[None, :, 0]) ** 2 + (seeds[:, None, 1] - anchors[None, :, 1]) ** 2
    label = anchor_kec[np.argmin(d2, axis=1)]
    label[: len(desa_xy)] = desa_kec
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=kab.buffer(10_000).envelope, ordered=True)
    cells = np.asarray(cells.geoms, dtype=object)
    kec_geoms = []
    for code, _ in KECAMATAN:
        g = shapely.intersection(shapely.union_all(cells[label == code]), kab)
        kec_geoms.append(g)
    kec_geoms = _merge_fragments(kec_geoms)
    kec_geoms = list(_round_geoms(kec_geoms))
    kab_gdf = gpd.GeoDataFrame(
        {"admin_code": ["73.22"], "admin_name": ["Luwu Utara"], "admin_level": ["kabupaten"],
         "parent_code": ["73"]}, geometry=[kab], crs=CRS)
    kec_gdf = gpd.GeoDataFrame(
        {"admin_code": [c for c, _ in KECAMATAN], "admin_name": [n for _, n in KECAMATAN],
         "admin_level": "kecamatan", "parent_code": "73.22"}, geometry=kec_geoms, crs=CRS)

    # desa: Voronoi of the village centres within each kecamatan, clipped to it
    rows: list[dict[str, Any]] = []
    for code, _ in KECAMATAN:
        idx = [i for i, d in enumerate(DESA) if d[0] == code]
        if not idx:
            continue
        kec = kec_gdf.geometry.iloc[[c for c, _ in KECAMATAN].index(code)]
        pts = desa_xy[idx]
        vor = shapely.voronoi_polygons(MultiPoint(pts), extend_to=kec.buffer(10_000).envelope, ordered=True)
        pieces = [shapely.intersection(c, kec) for c in vor.geoms]
        pieces = list(_round_geoms(_merge_fragments(pieces)))
        # Kemendagri-style numbering: kelurahan 1001.., desa 2001.., alphabetical within each kind
        order = sorted(range(len(idx)), key=lambda k: (DESA[idx[k]][2] != "kelurahan", DESA[idx[k]][1]))
        n_kel = n_desa = 0
        for k in order:
            _, name, kind, *_ = DESA[idx[k]]
            if kind == "kelurahan":
                n_kel += 1
                num = 1000 + n_kel
            else:
                n_desa += 1
                num = 2000 + n_desa
            rows.append({"admin_code": f"{code}.{num}", "admin_name": name, "admin_level": "desa",
                         "parent_code": code, "kind": kind, "geometry": pieces[k]})
    desa_gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).sort_values("admin_code", ignore_index=True)
    return kab_gdf, kec_gdf, desa_gdf


# ----------------------------------------------------------------------------------------------------------
# roads and bridges
# ----------------------------------------------------------------------------------------------------------
#: Main roads: (highway, name, control points in km). The first point of a road that starts on another road
#: is snapped onto it by the noding step (roads are drawn to overshoot by a few metres).
MAIN_ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    ("trunk", "Jalan Trans Sulawesi", (
        (185.0, 9707.6), (186.6, 9710.6), (188.2, 9713.0), (191.0, 9714.6), (193.5, 9715.4), (195.3, 9716.0),
        (198.5, 9716.8), (201.0, 9717.4), (203.0, 9717.72), (205.5, 9717.0), (208.0, 9714.6), (211.0, 9712.2),
        (214.5, 9711.0), (218.0, 9710.0), (221.0, 9709.0))),
    ("primary", "Jalan Poros Masamba-Malangke", (
        (203.0, 9717.72), (202.6, 9714.0), (202.2, 9710.0), (201.6, 9705.0), (201.0, 9699.0), (200.6, 9692.0))),
    ("secondary", "Jalan Poros Mappedeceng", (
        (207.17, 9715.40), (208.6, 9711.0), (210.4, 9706.5), (211.4, 9702.0), (212.8, 9697.0), (213.5, 9692.0))),
    ("secondary", "Jalan Poros Baebunta Selatan", (
        (195.3, 9716.0), (195.6, 9712.5), (196.6, 9708.0), (196.8, 9704.0), (196.3, 9698.0), (196.5, 9692.0))),
    ("tertiary", "Jalan Masamba-Rompu", (
        (202.4, 9717.58), (202.3, 9720.0), (202.1, 9723.0), (201.6, 9726.0), (201.2, 9727.6))),
    ("tertiary", "Jalan Sabbang-Rongkong", (
        (188.2, 9713.0), (187.6, 9717.0), (187.0, 9721.0), (187.4, 9725.0), (187.0, 9729.5), (186.6, 9734.0))),
    ("tertiary", "Jalan Poros Sabbang Selatan", (
        (188.2, 9713.0), (188.5, 9708.0), (188.3, 9703.0), (188.0, 9697.0), (187.8, 9692.0))),
    ("tertiary", "Jalan Radda-Meli", (
        (197.0, 9716.64), (197.6, 9719.0), (196.4, 9721.5), (194.8, 9722.9), (193.8, 9726.0), (193.6, 9727.6))),
    ("tertiary", "Jalan Poros Lawewe", (
        (196.8, 9706.0), (199.0, 9705.6), (201.6, 9705.0), (204.7, 9706.2), (207.0, 9707.4), (209.9, 9707.3))),
    ("tertiary", "Jalan Bandara Andi Jemma", ((204.6, 9717.34), (205.2, 9715.2), (205.6, 9713.6))),
    ("tertiary", "Jalan Baloli-Toradda", ((206.6, 9716.20), (207.5, 9718.6), (207.0, 9721.2))),
    ("tertiary", "Jalan Poros Sukamaju", ((214.5, 9711.0), (216.0, 9706.0), (217.5, 9700.0), (219.0, 9692.0))),
)

HIGHWAY_RANK = {"trunk": 0, "primary": 1, "secondary": 2, "tertiary": 3, "unclassified": 4,
                "residential": 5, "track": 6}
#: Half the road corridor kept free of buildings, by class (m).
SETBACK_M = {"trunk": 11.0, "primary": 9.0, "secondary": 8.0, "tertiary": 7.0, "unclassified": 5.5,
             "residential": 5.0, "track": 4.0}
TOWN_KELURAHAN = ("Bone", "Kappuna", "Kasimbong", "Baliase")


@dataclass(frozen=True)
class Settlement:
    name: str
    x: float
    y: float
    radius_m: float
    spacing_m: float
    angle_deg: float
    density: float  # 0-1, share of building slots filled near the centre
    rows: int  # rows of buildings behind the street


def _settlements(rng: np.random.Generator) -> list[Settlement]:
    out = [Settlement("Masamba", 203_150.0, 9_717_350.0, 1650.0, 115.0, 14.0, 0.95, 2)]
    for code, name, _kind, xk, yk, w in DESA:
        if name in TOWN_KELURAHAN and code == "73.22.03":
            continue
        x, y = xk * KM, yk * KM
        if not (X0 + 500 < x < X1 - 500 and Y0 + 500 < y < Y1 - 500):
            continue
        out.append(Settlement(name, x, y, 230.0 + 150.0 * w, float(rng.uniform(120, 170)),
                              float(rng.uniform(-35, 35)), 0.55 + 0.06 * w, 1))
    return out


def _extend(xy: np.ndarray, metres: float) -> np.ndarray:
    """Extend both ends of a polyline by ``metres`` so that it crosses the road it should meet."""
    xy = xy.copy()
    for a, b in ((0, 1), (-1, -2)):
        v = xy[a] - xy[b]
        xy[a] = xy[a] + v / np.hypot(*v) * metres
    return xy


def _node_network(lines: list[LineString], attrs: list[dict[str, Any]]) -> tuple[list[LineString], list[int]]:
    """Split all lines at every crossing; return the pieces and the index of the line each comes from."""
    noded = shapely.node(shapely.MultiLineString(lines))
    pieces = [g for g in noded.geoms if g.length > 0]
    tree = shapely.STRtree(lines)
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    # the piece lies on its source line; several may touch at a crossing, prefer the higher class
    src = []
    cand_p, cand_l = tree.query(mids, predicate="dwithin", distance=0.01)
    best: dict[int, int] = {}
    for pi, li in zip(cand_p.tolist(), cand_l.tolist(), strict=True):
        if pi not in best or HIGHWAY_RANK[attrs[li]["highway"]] < HIGHWAY_RANK[attrs[best[pi]]["highway"]]:
            best[pi] = li
    for i in range(len(pieces)):
        if i not in best:
            best[i] = int(tree.query_nearest(mids[i])[0])
        src.append(best[i])
    return pieces, src


def _endpoint_keys(pieces: Sequence[LineString]) -> tuple[np.ndarray, np.ndarray]:
    start = np.array([p.coords[0] for p in pieces])
    end = np.array([p.coords[-1] for p in pieces])
    allp = np.round(np.vstack([start, end]), 2)
    _, inv = np.unique(allp, axis=0, return_inverse=True)
    inv = inv.ravel()
    return inv[: len(pieces)], inv[len(pieces):]


def _prune(pieces: list[LineString], src: list[int], drop_dangles_below_m: float) -> tuple[list, list]:
    """Remove short dangling overshoots (repeatedly) and keep the largest connected network."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    for _ in range(3):
        a, b = _endpoint_keys(pieces)
        deg = np.bincount(np.r_[a, b])
        lengths = np.array([p.length for p in pieces])
        dangle = ((deg[a] == 1) | (deg[b] == 1)) & (lengths < drop_dangles_below_m)
        if not dangle.any():
            break
        pieces = [p for p, d in zip(pieces, dangle, strict=True) if not d]
        src = [s_ for s_, d in zip(src, dangle, strict=True) if not d]
    a, b = _endpoint_keys(pieces)
    n = int(max(a.max(), b.max())) + 1
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp[a], weights=[p.length for p in pieces])
    keep = comp[a] == int(np.argmax(sizes))
    return [p for p, k in zip(pieces, keep, strict=True) if k], [s_ for s_, k in zip(src, keep, strict=True) if k]


def _split_at_bridges(piece: LineString, rivers: Any, half_m: float) -> list[tuple[LineString, bool]]:
    """Cut a road piece where it crosses a river into [road, bridge, road, ...]."""
    hit = piece.intersection(rivers)
    pts = [g for g in getattr(hit, "geoms", [hit]) if g.geom_type == "Point" and not g.is_empty]
    if not pts:
        return [(piece, False)]
    length = piece.length
    ds = sorted(piece.project(p) for p in pts)
    cuts: list[tuple[float, float]] = []
    for d in ds:
        lo, hi = max(d - half_m, 0.0), min(d + half_m, length)
        if cuts and lo <= cuts[-1][1] + 1.0:
            cuts[-1] = (cuts[-1][0], hi)
        else:
            cuts.append((lo, hi))
    out: list[tuple[LineString, bool]] = []
    pos = 0.0
    for lo, hi in cuts:
        if lo - pos > 0.5:
            out.append((shapely.ops.substring(piece, pos, lo), False))
        else:
            lo = pos
        out.append((shapely.ops.substring(piece, lo, hi), True))
        pos = hi
    if length - pos > 0.5:
        out.append((shapely.ops.substring(piece, pos, length), False))
    else:  # glue a tiny rest onto the bridge so that the end vertex stays the junction
        last, _ = out[-1]
        out[-1] = (shapely.ops.substring(piece, length - last.length - (length - pos), length), True)
    return out


def make_roads(rng: np.random.Generator, rivers: gpd.GeoDataFrame, settlements: list[Settlement],
               kab: Any) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Trunk, collectors, village connectors and street grids, noded at junctions, bridges at rivers."""
    river_union = shapely.union_all(rivers.geometry.values)
    river_buf = river_union.buffer(30.0)
    window = shapely.box(X0 + 1, Y0 + 1, X1 - 1, Y1 - 1)
    lines: list[LineString] = []
    attrs: list[dict[str, Any]] = []
    for highway, name, ctrl in MAIN_ROADS:
        pts = _km(ctrl)
        if lines:  # a road that starts or ends near an earlier one starts or ends on it
            drawn = shapely.union_all(lines)
            for end in (0, -1):
                target = shapely.ops.nearest_points(Point(pts[end]), drawn)[1]
                if Point(pts[end]).distance(target) < 400.0:
                    pts[end] = (target.x, target.y)
        xy = _catmull_rom(pts, 60.0)
        xy = _extend(xy, 4.0)
        lines.append(shapely.simplify(LineString(xy), 0.5))
        attrs.append({"highway": highway, "name": name})
    main = shapely.union_all(lines)
    # street grids of the settlements, cut back from the river banks
    for st in settlements:
        th = math.radians(st.angle_deg)
        u, v = np.array([math.cos(th), math.sin(th)]), np.array([-math.sin(th), math.cos(th)])
        shape = shapely.affinity.scale(Point(st.x, st.y).buffer(st.radius_m, 24),
                                       float(rng.uniform(0.75, 1.25)), float(rng.uniform(0.75, 1.25)))
        shape = shape.intersection(window)
        n = int(st.radius_m * 1.3 // st.spacing_m) + 1
        offsets = (np.arange(-n, n + 1) + rng.uniform(-0.2, 0.2)) * st.spacing_m
        highway = "residential" if st.name == "Masamba" or st.density > 0.65 else "unclassified"
        for axis, other in ((u, v), (v, u)):
            for o in offsets:
                c = np.array([st.x, st.y]) + other * o
                seg = LineString([c - axis * st.radius_m * 1.4, c + axis * st.radius_m * 1.4])
                seg = seg.intersection(shape).difference(river_buf)
                for g in getattr(seg, "geoms", [seg]):
                    if g.geom_type == "LineString" and g.length > 40.0:
                        lines.append(g)
                        attrs.append({"highway": highway, "name": None})
        # a connector from the village centre to the nearest main road
        centre = Point(st.x, st.y)
        target = shapely.ops.nearest_points(centre, main)[1]
        if centre.distance(target) > 30.0:
            xy = _extend(np.array([[st.x, st.y], [target.x, target.y]]), 4.0)
            hw = "track" if _front_y(np.array([st.x]))[0] < st.y else "unclassified"
            lines.append(LineString(xy))
            attrs.append({"highway": hw, "name": None})
    # farm tracks on the plain, between villages
    for st in settlements[1:]:
        if rng.uniform() < 0.5:
            ang = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(900, 2200)
            p0 = np.array([st.x, st.y])
            p1 = p0 + length * np.array([math.cos(ang), math.sin(ang)])
            seg = LineString([p0, p1]).intersection(window).difference(river_buf)
            for g in getattr(seg, "geoms", [seg]):
                if g.geom_type == "LineString" and g.length > 100.0 and g.distance(centre) >= 0:
                    lines.append(g)
                    attrs.append({"highway": "track", "name": None})
    lines = [shapely.set_precision(g, 0.01) for g in lines]
    pieces, src = _node_network(lines, attrs)
    # thin the street grids a little (irregular blocks), then prune overshoots and islands
    drop = np.array([HIGHWAY_RANK[attrs[s_]["highway"]] >= 5 for s_ in src]) & (rng.uniform(size=len(pieces)) < 0.10)
    pieces = [p for p, d in zip(pieces, drop, strict=True) if not d]
    src = [s_ for s_, d in zip(src, drop, strict=True) if not d]
    pieces, src = _prune(pieces, src, 8.0)
    pieces, src = _prune(pieces, src, 8.0)
    # bridges where roads cross rivers
    rows: list[dict[str, Any]] = []
    bridge_rows: list[dict[str, Any]] = []
    river_tree = shapely.STRtree(rivers.geometry.values)
    for p, s_ in zip(pieces, src, strict=True):
        hw = attrs[s_]["highway"]
        half = 18.0 if hw in ("trunk", "primary") else 12.0
        for part, is_bridge in _split_at_bridges(p, river_union, half):
            part = shapely.set_precision(part, 0.01)
            if part.is_empty or part.length == 0:
                continue
            rows.append({"name": attrs[s_]["name"], "highway": hw, "bridge": "yes" if is_bridge else None,
                         "geometry": part})
    roads = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    roads.insert(0, "road_id", [f"R{i + 1:05d}" for i in range(len(roads))])
    for _, r in roads[roads["bridge"] == "yes"].iterrows():
        mid = r.geometry.interpolate(0.5, normalized=True)
        ri = int(river_tree.query_nearest(mid)[0])
        river_name = rivers["name"].iloc[ri]
        label = f"Jembatan {river_name.replace('Sungai ', '')}"
        bridge_rows.append({"name": label, "river": river_name, "road_id": r.road_id,
                            "geometry": shapely.set_precision(mid, 0.01)})
    bridges = gpd.GeoDataFrame(bridge_rows, geometry="geometry", crs=CRS)
    # number repeated names: Jembatan Masamba I, II, ...
    counts: dict[str, int] = {}
    names = []
    for nm in bridges["name"]:
        counts[nm] = counts.get(nm, 0) + 1
        names.append(nm)
    seen: dict[str, int] = {}
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]
    for i, nm in enumerate(names):
        if counts[nm] > 1:
            seen[nm] = seen.get(nm, 0) + 1
            names[i] = f"{nm} {roman[seen[nm] - 1] if seen[nm] <= len(roman) else seen[nm]}"
    bridges["name"] = names
    bridges.insert(0, "bridge_id", [f"BR{i + 1:03d}" for i in range(len(bridges))])
    return roads, bridges


# ----------------------------------------------------------------------------------------------------------
# facilities and buildings
# ----------------------------------------------------------------------------------------------------------
#: Named facilities of the town: (name, facility_type, amenity, capacity_persons, building tag,
#: footprint width x depth in m, anchor x km, y km). Capacities are plausible shelter/patient numbers.
TOWN_FACILITIES: tuple[tuple[str, str, str, float | None, str, float, float, float, float], ...] = (
    ("RSUD Andi Djemma", "Rumah Sakit", "hospital", 150, "hospital", 70, 40, 202.70, 9718.35),
    ("Puskesmas Masamba", "Puskesmas", "clinic", 30, "clinic", 30, 18, 203.55, 9717.15),
    ("Kantor Bupati Luwu Utara", "Kantor Bupati", "townhall", 400, "government", 50, 30, 202.55, 9717.15),
    ("Kantor DPRD Luwu Utara", "Kantor DPRD", "townhall", 300, "government", 40, 25, 202.25, 9716.55),
    ("Markas PMI Kabupaten Luwu Utara", "PMI", "social_facility", 200, "public", 30, 20, 203.65, 9718.95),
    ("Gedung Pemuda Masamba", "Gedung Pemuda", "community_centre", 300, "public", 40, 25, 202.90, 9716.40),
    ("Pasar Sentral Masamba", "Pasar", "marketplace", None, "retail", 60, 45, 203.45, 9717.95),
    ("Bandar Udara Andi Jemma", "Bandara", "aerodrome", None, "transportation", 45, 20, 205.70, 9713.40),
    ("Masjid Agung Masamba", "Masjid", "place_of_worship", 800, "mosque", 35, 35, 203.00, 9717.45),
    ("Gereja Toraja Jemaat Masamba", "Gereja", "place_of_worship", 250, "church", 25, 15, 202.40, 9718.15),
    ("Gereja Katolik Santo Yosef Masamba", "Gereja", "place_of_worship", 200, "church", 25, 15, 203.90, 9716.85),
    ("SMP Negeri 1 Masamba", "SMP", "school", 300, "school", 45, 12, 202.90, 9718.80),
    ("SMP Negeri 2 Masamba", "SMP", "school", 300, "school", 45, 12, 204.60, 9715.00),
    ("SMA Negeri 1 Masamba", "SMA", "school", 400, "school", 50, 14, 202.15, 9717.85),
    ("Kantor Camat Masamba", "Kantor Camat", "townhall", 100, "government", 25, 15, 203.30, 9716.75),
)
KEC_MAIN_DESA = {"73.22.11": "Baebunta", "73.22.04": "Sabbang", "73.22.10": "Uraso", "73.22.14": "Lawewe",
                 "73.22.15": "Pararra"}
PUSTU_DESA = ("Pombakka", "Sepakat", "Pongo", "Radda", "Meli", "Pompaniki", "Dandang", "Kapidi", "Benteng",
              "Polewali", "Lero", "Sumber Wangi")
CHURCH_DESA = ("Lapapa", "Maipi", "Salulemo", "Tulak Tallu", "Batu Alang", "Marampa", "Rompu", "Tandung")


def _facility_list(rng: np.random.Generator) -> list[tuple]:
    kec_name = dict(KECAMATAN)
    facs = list(TOWN_FACILITIES)
    sd_count: dict[str, int] = {}
    for code, name, kind, xk, yk, _w in DESA:
        kname = kec_name[code]
        if code in KEC_MAIN_DESA and KEC_MAIN_DESA[code] == name:
            facs.append((f"Puskesmas {kname}", "Puskesmas", "clinic", 25, "clinic", 28, 16, xk + 0.12, yk + 0.05))
            facs.append((f"Kantor Camat {kname}", "Kantor Camat", "townhall", 80, "government", 25, 15,
                         xk - 0.10, yk + 0.08))
            facs.append((f"SMP Negeri 1 {kname}", "SMP", "school", 250, "school", 40, 12, xk + 0.05, yk - 0.15))
        if name in PUSTU_DESA:
            facs.append((f"Pustu {name}", "Puskesmas Pembantu", "clinic", 10, "clinic", 15, 10, xk - 0.06, yk - 0.06))
        sd_count[code] = sd_count.get(code, 0) + 1
        facs.append((f"SD Negeri {sd_count[code]} {kname}", "SD", "school", float(rng.integers(15, 26)) * 10,
                     "school", 36, 10, xk + 0.08, yk - 0.09))
        office = "Kantor Lurah" if kind == "kelurahan" else "Kantor Desa"
        facs.append((f"{office} {name}", "Kantor Desa", "townhall", None, "government", 18, 12, xk, yk + 0.03))
        if name in CHURCH_DESA:
            facs.append((f"Gereja Toraja Jemaat {name}", "Gereja", "place_of_worship", 150, "church", 20, 12,
                         xk + 0.07, yk + 0.07))
        elif name not in TOWN_KELURAHAN:
            facs.append((f"Masjid Jami {name}", "Masjid", "place_of_worship", float(rng.integers(15, 41)) * 10,
                         "mosque", 18, 18, xk - 0.07, yk + 0.06))
    return facs


def _rect(cx: float, cy: float, w: float, d: float, ux: float, uy: float) -> Polygon:
    """Rectangle centred on (cx, cy), ``w`` along the unit vector (ux, uy), ``d`` across it."""
    vx, vy = -uy, ux
    hw, hd = w / 2, d / 2
    return Polygon([(cx - ux * hw - vx * hd, cy - uy * hw - vy * hd), (cx + ux * hw - vx * hd, cy + uy * hw - vy * hd),
                    (cx + ux * hw + vx * hd, cy + uy * hw + vy * hd), (cx - ux * hw + vx * hd, cy - uy * hw + vy * hd)])


def _road_frame(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, shapely.STRtree, np.ndarray]:
    geoms = roads.geometry.values
    setback = roads["highway"].map(SETBACK_M).to_numpy()
    return np.asarray(geoms), shapely.STRtree(geoms), setback


def make_facilities(rng: np.random.Generator, roads: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame
                    ) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """Place each facility in its own footprint beside the nearest road, clear of roads and rivers."""
    geoms, tree, setback = _road_frame(roads)
    local = roads["bridge"].isna().to_numpy()
    river_buf = shapely.union_all(rivers.geometry.values).buffer(25.0)
    placed: list[Polygon] = []
    fac_rows: list[dict[str, Any]] = []
    bld_rows: list[dict[str, Any]] = []
    for name, ftype, amenity, cap, btag, w, d, xk, yk in _facility_list(rng):
        anchor = Point(xk * KM, yk * KM)
        near = tree.query(anchor.buffer(900.0))
        near = near[local[near]]
        near = near[np.argsort(shapely.distance(geoms[near], anchor), kind="stable")][:30]
        chosen = None
        for ri in near:
            line = geoms[ri]
            d0 = line.project(anchor)
            for shift in (0.0, 25.0, -25.0, 50.0, -50.0, 80.0, -80.0):
                dd = d0 + shift
                if dd < w / 2 + 5 or dd > line.length - w / 2 - 5:
                    continue
                p, q = line.interpolate(dd - 1.0), line.interpolate(dd + 1.0)
                ux, uy = q.x - p.x, q.y - p.y
                norm = math.hypot(ux, uy)
                ux, uy = ux / norm, uy / norm
                c = line.interpolate(dd)
                side = 1.0 if (anchor.x - c.x) * -uy + (anchor.y - c.y) * ux >= 0 else -1.0
                for sgn in (side, -side):
                    off = setback[ri] + 3.0 + d / 2
                    poly = _rect(c.x + sgn * -uy * off, c.y + sgn * ux * off, w, d, ux, uy)
                    if tree.query(poly.buffer(3.0), predicate="intersects").size:
                        continue
                    if poly.intersects(river_buf) or any(poly.buffer(4.0).intersects(o) for o in placed):
                        continue
                    chosen = poly
                    break
                if chosen is not None:
                    break
            if chosen is not None:
                break
        if chosen is None:
            if any(name == t[0] for t in TOWN_FACILITIES):
                raise RuntimeError(f"could not place facility {name!r} near {anchor}")
            continue  # villages outside the street network of the bundle (outside the DEM window)
        chosen = shapely.set_precision(chosen, 0.01)
        placed.append(chosen)
        pt = shapely.set_precision(chosen.centroid, 0.01)
        fac_rows.append({"name": name, "facility_type": ftype, "amenity": amenity,
                         "capacity_persons": float(cap) if cap is not None else np.nan, "geometry": pt})
        bld_rows.append({"building": btag, "name": name, "geometry": chosen})
    fac = gpd.GeoDataFrame(fac_rows, geometry="geometry", crs=CRS)
    fac.insert(0, "facility_id", [f"F{i + 1:04d}" for i in range(len(fac))])
    return fac, bld_rows


def make_buildings(rng: np.random.Generator, roads: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame,
                   settlements: list[Settlement], facility_buildings: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Houses and shops in rows along the streets, denser in the town; no overlaps, none on roads."""
    geoms, tree, setback = _road_frame(roads)
    hw = roads["highway"].to_numpy()
    bridge = roads["bridge"].notna().to_numpy()
    cx = np.array([s_.x for s_ in settlements])
    cy = np.array([s_.y for s_ in settlements])
    rad = np.array([s_.radius_m for s_ in settlements])
    dens = np.array([s_.density for s_ in settlements])
    nrows = np.array([s_.rows for s_ in settlements])
    cands: list[Polygon] = []
    tags: list[str] = []
    for i, line in enumerate(geoms):
        if bridge[i] or hw[i] == "track" or line.length < 20.0:
            continue
        mid = line.interpolate(0.5, normalized=True)
        dist = np.hypot(cx - mid.x, cy - mid.y) / rad
        k = int(np.argmin(dist))
        if dist[k] > 1.15:
            continue
        town = settlements[k].name == "Masamba"
        p_fill = (0.5 if town else 0.36) * dens[k] * math.exp(-1.3 * dist[k] ** 2)
        pos = 6.0
        while pos < line.length - 6.0:
            w = float(rng.uniform(6.0, 12.0) if not town else rng.uniform(6.0, 14.0))
            c = line.interpolate(pos + w / 2)
            p, q = line.interpolate(max(pos + w / 2 - 1.0, 0.0)), line.interpolate(min(pos + w / 2 + 1.0, line.length))
            ux, uy = q.x - p.x, q.y - p.y
            norm = math.hypot(ux, uy) or 1.0
            ux, uy = ux / norm, uy / norm
            for sgn in (1.0, -1.0):
                off = setback[i] + float(rng.uniform(1.5, 6.0))
                for row in range(int(nrows[k])):
                    d = float(rng.uniform(7.0, 16.0) if row == 0 else rng.uniform(6.0, 12.0))
                    if rng.uniform() < p_fill * (1.0 if row == 0 else 0.55):
                        cands.append(_rect(c.x + sgn * -uy * (off + d / 2), c.y + sgn * ux * (off + d / 2),
                                           w, d, ux, uy))
                        if town and hw[i] in ("trunk", "primary", "secondary") and row == 0:
                            tags.append(str(rng.choice(["commercial", "retail", "retail", "house"])))
                        else:
                            tags.append(str(rng.choice(["house"] * 28 + ["residential"] * 6 + ["yes"] * 4
                                                       + ["warehouse"] + ["commercial"])))
                    off += d + float(rng.uniform(3.0, 8.0))
            pos += w + float(rng.uniform(2.5, 9.0))
    # accept in order: facility footprints first, then candidates not overlapping anything accepted
    all_polys = np.array([b["geometry"] for b in facility_buildings] + cands, dtype=object)
    n_fac = len(facility_buildings)
    ok = np.ones(len(all_polys), dtype=bool)
    hits = tree.query(shapely.buffer(all_polys[n_fac:], 1.0), predicate="intersects")[0] + n_fac
    ok[hits] = False
    river_buf = shapely.union_all(rivers.geometry.values).buffer(20.0)
    ok[n_fac:] &= ~shapely.intersects(all_polys[n_fac:], river_buf)
    ok[n_fac:] &= shapely.within(all_polys[n_fac:], shapely.box(X0 + 30, Y0 + 30, X1 - 30, Y1 - 30))
    btree = shapely.STRtree(all_polys)
    a, b = btree.query(all_polys, predicate="intersects")
    pairs = a < b
    a, b = a[pairs], b[pairs]
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    starts = np.searchsorted(a, np.arange(len(all_polys)))
    ends = np.searchsorted(a, np.arange(len(all_polys)), side="right")
    for i in range(len(all_polys)):
        if ok[i]:
            ok[b[starts[i]:ends[i]]] = False
    ok[:n_fac] = True
    polys = _round_geoms(all_polys[ok])
    btags = ([b_["building"] for b_ in facility_buildings] + tags)
    names = [b_["name"] for b_ in facility_buildings] + [None] * len(cands)
    keep = np.flatnonzero(ok)
    gdf = gpd.GeoDataFrame({"building": [btags[i] for i in keep], "name": [names[i] for i in keep]},
                           geometry=list(polys), crs=CRS)
    # order by position (west to east in 500 m strips) so that ids read like a survey
    key = (np.floor(gdf.geometry.centroid.y.to_numpy() / 500.0) * -1e7 + gdf.geometry.centroid.x.to_numpy())
    gdf = gdf.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    gdf.insert(0, "building_id", [f"B{i + 1:06d}" for i in range(len(gdf))])
    return gdf


# ----------------------------------------------------------------------------------------------------------
# the observed footprint of 13 July 2020
# ----------------------------------------------------------------------------------------------------------
#: Depth bands (PetaBencana classes): (class code, depth_min_m, depth_max_m).
FLOOD_BANDS = ((3, 1.5, 4.0), (2, 0.7, 1.5), (1, 0.1, 0.7))


def _stage(river_idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Peak flood stage above the river bed (m), by river and northing: highest through Masamba town."""
    ids = np.array([s_.river_id for s_ in RIVER_SPECS])[np.clip(river_idx, 0, None)]
    st = np.zeros(y.shape)
    yk = y / KM
    m = ids == "RV03"  # Masamba: mud 1-4 m deep through the town, shallower towards the coast
    st[m] = np.interp(yk[m], [9692.0, 9700.0, 9714.0, 9723.0, 9723.5], [2.2, 2.6, 4.6, 4.6, 0.0])
    m = ids == "RV02"  # Radda through Radda and Baebunta
    st[m] = np.interp(yk[m], [9704.5, 9712.0, 9722.5, 9723.0], [2.2, 3.4, 3.4, 0.0])
    m = ids == "RV01"  # Rongkong below the hills
    st[m] = np.interp(yk[m], [9692.0, 9705.0, 9720.5, 9721.0], [2.4, 2.9, 2.9, 0.0])
    m = ids == "RV04"  # Baliase: water, not mud, on the plain
    st[m] = np.interp(yk[m], [9692.0, 9718.0, 9719.0], [2.2, 2.6, 0.0])
    m = ids == "RV05"  # Meli near its mouth
    st[m] = np.interp(yk[m], [9721.5, 9723.5, 9724.0], [2.0, 2.0, 0.0])
    return st


def make_flood(rng: np.random.Generator, terrain: Terrain) -> gpd.GeoDataFrame:
    """Footprint polygons: flood stage along the rivers minus height above the river, made irregular."""
    stage = _stage(terrain.river_index, terrain.river_y)
    stage = np.where(terrain.mountain_m < 80.0, stage, 0.0)
    n1 = _noise_field(rng, 900.0)
    n2 = _noise_field(rng, 240.0)
    depth = stage * (1.0 + 0.15 * n1) - terrain.hand_m + 0.3 * n2
    near = (stage > 0.0) & (terrain.dist_m < 2500.0) & (terrain.hand_m > -1.0)
    depth = np.where(near, depth, 0.0)
    cls = np.zeros(depth.shape, dtype=np.uint8)
    cls[depth >= 0.1] = 1
    cls[depth >= 0.7] = 2
    cls[depth >= 1.5] = 3
    cls = sieve(cls, size=15, connectivity=8)
    ids = np.array([s_.river_id for s_ in RIVER_SPECS])[np.clip(terrain.river_index, 0, None)]
    yy = terrain.river_y
    mud = (cls >= 2) & np.isin(ids, ["RV02", "RV03", "RV05"]) & (yy > 9_709_000.0)
    code = (cls.astype(np.int32) * 2 + mud.astype(np.int32)).astype(np.int32)
    code = np.where(cls > 0, code, 0).astype(np.int32)
    transform = from_origin(X0, Y1, CELL, CELL)
    polys, codes = [], []
    for geom, val in shapes(code, mask=code > 0, connectivity=4, transform=transform):
        polys.append(shapely.geometry.shape(geom))
        codes.append(int(val))
    polys_arr = shapely.coverage_simplify(np.asarray(polys, dtype=object), 14.0)
    polys_arr = shapely.make_valid(_round_geoms(polys_arr))
    rows = []
    band = {c: (lo, hi) for c, lo, hi in FLOOD_BANDS}
    for g, v in zip(polys_arr, codes, strict=True):
        parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            continue
        g = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        c, is_mud = v // 2, v % 2
        rows.append({"depth_min_m": band[c][0], "depth_max_m": band[c][1],
                     "material": "mud" if is_mud else "water", "event_date": EVENT_DATE, "geometry": g})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    key = -np.round(gdf.geometry.centroid.y.to_numpy(), 0) * 1e6 + np.round(gdf.geometry.centroid.x.to_numpy(), 0)
    gdf = gdf.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    gdf.insert(0, "flood_id", [f"FL{i + 1:04d}" for i in range(len(gdf))])
    return gdf


# ----------------------------------------------------------------------------------------------------------
# population (BPS-like totals per kecamatan, shared among desa by weight)
# ----------------------------------------------------------------------------------------------------------
KEC_POPULATION_2020 = {"73.22.03": 36_200, "73.22.11": 32_100, "73.22.04": 37_000, "73.22.10": 24_100,
                       "73.22.14": 19_800, "73.22.15": 17_600}


def make_population(rng: np.random.Generator, desa: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population 2020 per desa: plausible totals, ~3.9 people per household, 49.5 % female."""
    weight = {(d[0], d[1]): d[5] for d in DESA}
    rows = []
    for code, total in KEC_POPULATION_2020.items():
        sub = desa[desa["parent_code"] == code]
        w = np.array([weight[(code, n)] for n in sub["admin_name"]]) * rng.uniform(0.9, 1.1, len(sub))
        pop = np.floor(total * w / w.sum()).astype(int)
        pop[np.argmax(w)] += total - pop.sum()
        for (_, r), p_ in zip(sub.iterrows(), pop, strict=True):
            rows.append({
                "admin_code": r.admin_code, "admin_name": r.admin_name, "year": 2020, "population": int(p_),
                "households": int(round(p_ / rng.uniform(3.7, 4.2))),
                "female": int(round(p_ * rng.uniform(0.488, 0.502))),
                "elderly": int(round(p_ * rng.uniform(0.08, 0.10))),
                "disabled": int(round(p_ * rng.uniform(0.01, 0.02))),
            })
    return pd.DataFrame(rows).sort_values("admin_code", ignore_index=True)


# ----------------------------------------------------------------------------------------------------------
# manifest
# ----------------------------------------------------------------------------------------------------------
SYNTHETIC = "synthetic reconstruction by scripts/make_masamba_data.py; not official data"
LAYER_DOCS: dict[str, tuple[str, str]] = {
    "admin_kabupaten": ("boundaries/kabupaten.geojson",
                        "Outline of Kabupaten Luwu Utara (73.22), hand-drawn and scaled to ~7,500 km2; stands in for a "
                        "BIG RBI or HDX COD-AB boundary"),
    "admin_kecamatan": ("boundaries/kecamatan.geojson",
                        "The 15 kecamatan with Kemendagri 2025 codes and names; invented shapes tiling the outline"),
    "admin_desa": ("boundaries/desa.geojson",
                   "Desa/kelurahan of Masamba, Baebunta, Sabbang, Mappedeceng, Baebunta Selatan, Sabbang Selatan; "
                   "real names, Kemendagri-style codes, Voronoi shapes around invented village centres"),
    "rivers": ("terrain/rivers.geojson",
               "Sungai Masamba, Radda, Rongkong, Baliase and tributaries, drawn by hand with synthetic meanders"),
    "dem": ("terrain/dem.tif",
            "30 m DEM (float32 m, nodata -9999), 1200 x 1400 cells; synthetic relief carved along the rivers; "
            "stands in for DEMNAS or Copernicus GLO-30"),
    "roads": ("infrastructure/roads.geojson",
              "Road segments split at junctions with OSM highway classes and bridge=yes at river crossings; "
              "stands in for an OpenStreetMap extract"),
    "bridges": ("infrastructure/bridges.geojson", "Points where roads cross rivers"),
    "buildings": ("infrastructure/buildings.geojson",
                  "Building footprints (6-20 m rectangles, larger public buildings) along streets; a sample, "
                  "sparser than the real settlements"),
    "facilities": ("infrastructure/facilities.geojson",
                   "Named facilities (hospital, puskesmas, pustu, schools, offices, PMI, Gedung Pemuda, market, "
                   "airport, mosques, churches); real names where known, invented positions and capacities"),
    "observed_flood_2020": ("hazard/observed_flood_2020.geojson",
                            "Footprint of the 13 July 2020 flash flood in PetaBencana depth bands, mud or water; "
                            "synthetic, NOT a BNPB map"),
    "population": ("population/population_desa.csv",
                   "Population 2020 per desa with households, female, elderly (60+), disabled; BPS-like totals, "
                   "invented split"),
}


def make_manifest(paths: dict[str, Path], out: Path) -> dict[str, Any]:
    layers = {}
    for key, (rel, desc) in LAYER_DOCS.items():
        layers[key] = {"path": rel, "source": SYNTHETIC, "date": EVENT_DATE if key == "observed_flood_2020"
                       else "2020", "licence": "CC0-1.0 (synthetic demonstration data)", "description": desc}
    return {
        "name": "Masamba, Luwu Utara",
        "description": ("A plausible, deterministic reconstruction of Masamba and its neighbours for demonstrating "
                        "kotacerdas_gis. Place names and Kemendagri codes are real; all geometry and numbers are "
                        "synthetic. Not official data: do not use it for decisions. See data/README.md for how to "
                        "swap in official data."),
        "crs": CRS,
        "demonstration": True,
        "generated_by": "scripts/make_masamba_data.py",
        "seed": SEED,
        "layers": layers,
    }


# ----------------------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------------------
def generate(out: Path) -> dict[str, Path]:
    """Write every layer into ``out`` and return {layer key: path}."""
    out = Path(out)
    master = np.random.default_rng(SEED)
    rng_rivers, rng_terrain, rng_admin, rng_roads, rng_build, rng_flood, rng_pop = master.spawn(7)
    rivers = make_rivers(rng_rivers)
    terrain = make_terrain(rng_terrain, rivers)
    paths: dict[str, Path] = {}
    paths["rivers"] = out / "terrain" / "rivers.geojson"
    write_vector(rivers, paths["rivers"], "rivers")
    paths["dem"] = out / "terrain" / "dem.tif"
    write_dem(terrain.dem, paths["dem"])
    kab, kec, desa = make_boundaries(rng_admin)
    for key, gdf, name in (("admin_kabupaten", kab, "kabupaten"), ("admin_kecamatan", kec, "kecamatan"),
                           ("admin_desa", desa.drop(columns="kind"), "desa")):
        paths[key] = out / "boundaries" / f"{name}.geojson"
        write_vector(gdf, paths[key], name)
    settlements = _settlements(rng_roads)
    roads, bridges = make_roads(rng_roads, rivers, settlements, kab.geometry.iloc[0])
    for key, gdf, folder in (("roads", roads, "infrastructure"), ("bridges", bridges, "infrastructure")):
        paths[key] = out / folder / f"{key}.geojson"
        write_vector(gdf, paths[key], key)
    facilities, fac_buildings = make_facilities(rng_build, roads, rivers)
    buildings = make_buildings(rng_build, roads, rivers, settlements, fac_buildings)
    for key, gdf in (("facilities", facilities), ("buildings", buildings)):
        paths[key] = out / "infrastructure" / f"{key}.geojson"
        write_vector(gdf, paths[key], key)
    flood = make_flood(rng_flood, terrain)
    paths["observed_flood_2020"] = out / "hazard" / "observed_flood_2020.geojson"
    write_vector(flood, paths["observed_flood_2020"], "observed_flood_2020")
    pop = make_population(rng_pop, desa)
    paths["population"] = out / "population" / "population_desa.csv"
    with atomic_path(paths["population"]) as tmp:
        pop.to_csv(tmp, index=False, lineterminator="\n")
    manifest = make_manifest(paths, out)
    paths["manifest"] = out / "scenario.json"
    with atomic_path(paths["manifest"]) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    too_big = {k: p.stat().st_size for k, p in paths.items() if p.stat().st_size > MAX_FILE_BYTES}
    if too_big:
        raise RuntimeError(f"files over {MAX_FILE_BYTES} bytes: {too_big}")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_DATA, help="output folder (default: the repo's data/)")
    args = parser.parse_args(argv)
    paths = generate(args.out)
    for key, p in sorted(paths.items()):
        size = p.stat().st_size
        print(f"{key:22s} {p.relative_to(args.out)}  {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
