"""Checks of admin boundaries and layer extents, for :meth:`Scenario.validate` (check and run).

Pure functions: frames in, sentences out (``problems`` block a run, ``remarks`` do not).

* :func:`extent_problems`: a layer that lies wholly outside the study area is an error, with a
  diagnosis: x and y swapped (the swapped extent fits), degrees declared as metres or metres
  declared as another CRS (a wrong ``.prj``; the file's own coordinates fit the study area), or
  another region (the distance in km).
* :func:`admin_findings`: mixed code systems in one layer (BPS ``id7322120`` beside Kemendagri
  ``73.22.03``), units without area, parents that match no unit of the level above, a unit far
  too large for its level.
* :func:`population_name_findings`: population rows whose name disagrees with the name of the
  unit of the same code, after :func:`kotacerdas_gis.schemas.admin_name_key` (case, ``Desa``/
  ``Kelurahan`` prefixes, spaces, hyphens).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> area = box(200_000, 9_700_000, 210_000, 9_720_000)
>>> swapped = gpd.GeoDataFrame(geometry=[box(9_705_000, 201_000, 9_706_000, 202_000)], crs=32751)
>>> print(extent_problems({"roads": swapped}, area)[0])  # doctest: +ELLIPSIS
roads: all 1 features lie outside the study area ... x and y are swapped ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely
from pyproj import CRS, Transformer

from .crs import as_crs, describe_crs
from .schemas import admin_name_key, code_system_of

__all__ = [
    "MAX_UNIT_AREA_KM2",
    "bbox_distance_km",
    "extent_problems",
    "diagnose_extent",
    "admin_findings",
    "population_name_findings",
]

#: Area above which a unit is "far too large for its level" (km²). The largest desa of Luwu
#: Utara (in Seko and Rampi) cover a few hundred km²; the kabupaten about 7,500 km².
MAX_UNIT_AREA_KM2 = {"desa": 1_000.0, "kecamatan": 5_000.0, "kabupaten": 50_000.0}
_LEVEL_OF = {"admin_kabupaten": "kabupaten", "admin_kecamatan": "kecamatan",
             "admin_desa": "desa"}
_PARENT_OF = {"admin_desa": "admin_kecamatan", "admin_kecamatan": "admin_kabupaten"}
_NAME_COLUMNS = ("admin_name", "nama", "nama_desa", "desa", "village", "name")


def _fmt_bounds(b: Any) -> str:
    return f"x {b[0]:,.0f}..{b[2]:,.0f}, y {b[1]:,.0f}..{b[3]:,.0f}"


def bbox_distance_km(a: Any, b: Any) -> float:
    """Return the distance (km) between boxes ``(minx, miny, maxx, maxy)`` in metres (0: they meet).

    Examples
    --------
    >>> bbox_distance_km((0, 0, 1000, 1000), (4000, 5000, 6000, 6000))
    5.0
    """
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return math.hypot(dx, dy) / 1000.0


def _fits(bounds: Any, area: Any) -> bool:
    return bool(all(math.isfinite(v) for v in bounds)) and shapely.box(*bounds).intersects(area)


def diagnose_extent(
    bounds: Any, area: Any, crs: Any, *, source_bounds: Any = None, source_crs: Any = None
) -> str:
    """Explain why a layer with extent ``bounds`` misses the study ``area`` (both in ``crs``).

    Parameters
    ----------
    bounds : sequence of float
        ``(minx, miny, maxx, maxy)`` of the layer in the working CRS.
    area : shapely geometry
        The study area in the working CRS.
    crs : CRS-like
        The working CRS.
    source_bounds, source_crs : optional
        The layer's extent and CRS as the file declared them (``gdf.attrs`` of
        :func:`kotacerdas_gis.io.vector.read_vector`), when it was reprojected.

    Returns
    -------
    str
        One sentence with the likely cause and the fix.
    """
    work = as_crs(crs)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if _fits((miny, minx, maxy, maxx), area):
        return (
            "x and y are swapped (with x and y exchanged the layer lies in the study area): swap "
            "the coordinate columns when converting (x = easting or longitude, y = northing or "
            "latitude), e.g. shapely.ops.transform(lambda x, y: (y, x), geom)."
        )
    if source_bounds is not None and source_crs is not None:
        src = as_crs(source_crs)
        if not src.equals(work) and _fits(source_bounds, area):
            return (
                f"the file's coordinates ({_fmt_bounds(source_bounds)}) are already those of the "
                f"study area in {describe_crs(work)}, but the file declares "
                f"{describe_crs(src)}: the .prj is wrong. Write the right .prj (or remove it "
                f"and pass assume_crs='EPSG:{work.to_epsg() or '...'}')."
            )
    if work.is_projected and max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        lonlat = Transformer.from_crs(work, CRS.from_epsg(4326), always_xy=True)
        ab = lonlat.transform_bounds(*area.bounds)
        fits = _fits(bounds, shapely.box(*ab))
        return (
            f"the coordinates ({_fmt_bounds(bounds)}) look like degrees"
            + (" and as longitude/latitude they lie in the study area" if fits else "")
            + f", but the layer is declared in {describe_crs(work)} (metres): the .prj is wrong. "
            "Declare EPSG:4326 (or pass assume_crs='EPSG:4326' for a file without .prj)."
        )
    km = bbox_distance_km((minx, miny, maxx, maxy), area.bounds)
    return (
        f"it lies {km:,.0f} km from the study area ({_fmt_bounds(bounds)}, "
        f"{describe_crs(work)}): it shows another region. Use the layer of the study area."
    )


def extent_problems(
    layers: dict[str, gpd.GeoDataFrame], area: Any, *, crs: Any = None
) -> list[str]:
    """One problem per layer that lies wholly outside the study ``area``, with its diagnosis.

    A layer counts as outside when its bounding box misses the study area, or (for layers of
    up to 200,000 features) when no feature intersects it.

    Parameters
    ----------
    layers : dict
        Layer name -> GeoDataFrame in the working CRS.
    area : shapely geometry
        The study area (``Scenario.boundary``), in the same CRS.
    crs : CRS-like, optional
        The working CRS (default: the first layer's).

    Returns
    -------
    list of str
    """
    out: list[str] = []
    zone = area.buffer(1.0)
    for key, layer in layers.items():
        if layer is None or len(layer) == 0:
            continue
        geoms = layer.geometry.to_numpy()
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not ok.any():
            continue
        bounds = shapely.total_bounds(geoms[ok])
        if _fits(bounds, zone):
            if len(layer) > 200_000 or shapely.intersects(geoms[ok], zone).any():
                continue
        why = diagnose_extent(
            bounds, area, crs if crs is not None else layer.crs,
            source_bounds=layer.attrs.get("source_bounds"),
            source_crs=layer.attrs.get("source_crs"),
        )
        out.append(f"{key}: all {len(layer)} features lie outside the study area "
                   f"({_fmt_bounds(area.bounds)}); {why}")
    return out


def _examples(codes: pd.Series, names: pd.Series | None, n: int = 5) -> str:
    if names is None:
        return ", ".join(repr(c) for c in codes.head(n))
    return ", ".join(f"{nm} ({c})" for c, nm in zip(codes.head(n), names.head(n), strict=False))


def admin_findings(layers: dict[str, gpd.GeoDataFrame]) -> tuple[list[str], list[str]]:
    """Problems and remarks of the admin layers (``admin_kabupaten``, ``_kecamatan``, ``_desa``).

    Problems: a layer mixing BPS and Kemendagri codes; units without area (an empty outline, or
    one that repeats another unit's and was trimmed away as an overlap). Remarks: parents that
    match no unit of the level above; a layer whose code system differs from its parent
    layer's; units larger than :data:`MAX_UNIT_AREA_KM2` for their level.

    Returns
    -------
    (problems, remarks) : lists of str
    """
    problems: list[str] = []
    remarks: list[str] = []
    for key, level in _LEVEL_OF.items():
        layer = layers.get(key)
        if layer is None or len(layer) == 0:
            continue
        codes = layer["admin_code"].astype(str)
        names = layer["admin_name"].astype(str) if "admin_name" in layer else None
        systems = codes.map(code_system_of)
        kinds = sorted(s for s in systems.dropna().unique())
        if len(kinds) > 1:
            bps = codes[systems == "bps"]
            kmd = codes[systems == "kemendagri"]
            problems.append(
                f"{key}: the layer mixes code systems: {len(kmd)} Kemendagri codes (e.g. "
                f"{kmd.head(2).tolist()}) and {len(bps)} BPS codes (e.g. {bps.head(2).tolist()})."
                " Use one system in a layer (the Kemendagri codes of kemendagri/bigrbi sources, "
                "or the BPS codes of HDX); codes of the two systems differ for the same unit."
            )
        geoms = layer.geometry.to_numpy()
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if layer.crs is not None and as_crs(layer.crs).is_projected:
            area_km2 = np.where(empty, 0.0, shapely.area(np.where(empty, shapely.Polygon(),
                                                                  geoms))) / 1e6
            empty |= area_km2 <= 0
            big = area_km2 > MAX_UNIT_AREA_KM2[level]
            if big.any():
                sel = np.flatnonzero(big)
                desc = ", ".join(
                    f"{names.iloc[i] if names is not None else codes.iloc[i]} ({codes.iloc[i]}, "
                    f"{area_km2[i]:,.0f} km²)" for i in sel[:5])
                remarks.append(
                    f"{key}: {len(sel)} units are far too large for a {level} (over "
                    f"{MAX_UNIT_AREA_KM2[level]:,.0f} km²): {desc}. A higher level's outline in "
                    f"the {level} layer, or a unit not split into its {level}?"
                )
        if empty.any():
            problems.append(
                f"{key}: {int(empty.sum())} units have no area: "
                f"{_examples(codes[empty], names[empty] if names is not None else None)}. Their "
                "outline is empty, or repeats another unit's and was trimmed away as an overlap; "
                "their people could not be placed. Fix or merge these units in the boundary "
                "layer."
            )
        parent_key = _PARENT_OF.get(key, "")
        parents = layers.get(parent_key) if parent_key else None
        if parents is not None and "parent_code" in layer.columns:
            known = set(parents["admin_code"].astype(str))
            pc = layer["parent_code"]
            given = pc.notna()
            stray = given & ~pc.astype(str).isin(known)
            if stray.any():
                psys = {str(s) for s in map(code_system_of, known) if s}
                lsys = {str(s) for s in map(code_system_of, pc[given].astype(str)) if s}
                hint = ""
                if psys and lsys and psys != lsys:
                    hint = (f" The parent codes are {'/'.join(sorted(lsys))} codes but "
                            f"{parent_key} uses {'/'.join(sorted(psys))} codes: use one code "
                            "system in both layers.")
                remarks.append(
                    f"{key}: {int(stray.sum())} of {len(layer)} units have a parent_code that "
                    f"matches no unit of {parent_key}, e.g. "
                    f"{sorted(set(pc[stray].astype(str)))[:5]} (in "
                    f"{_examples(codes[stray], names[stray] if names is not None else None, 3)})"
                    f"; their figures per {_LEVEL_OF[parent_key]} go under an unknown parent."
                    + hint
                )
    return problems, remarks


def population_name_findings(
    population: pd.DataFrame, desa: gpd.GeoDataFrame
) -> list[str]:
    """Remarks on population rows whose name disagrees with the desa of the same code.

    The population table's name column is the first of ``admin_name``, ``nama``,
    ``nama_desa``, ``desa``, ``village``, ``name`` present; names are compared after
    :func:`kotacerdas_gis.schemas.admin_name_key` (case, ``Desa``/``Kelurahan`` prefixes,
    spaces, hyphens), so ``DESA BONE-BONE`` and ``Bone Bone`` agree.

    Returns
    -------
    list of str
        Empty, or one remark listing the rows (a shifted code list, or codes of another year).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"admin_code": ["1", "2"], "admin_name": ["Bone-Bone", "Kappuna"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=32751)
    >>> p = pd.DataFrame({"admin_code": ["1", "2"], "nama": ["DESA BONE BONE", "Masamba"]})
    >>> population_name_findings(p, d)  # doctest: +ELLIPSIS
    ["population: 1 of 2 rows name another unit than the desa of their admin_code ...: 2 'Masamba' vs 'Kappuna'. ..."]
    """  # noqa: E501
    col = next((c for c in _NAME_COLUMNS if c in population.columns), None)
    if col is None or "admin_name" not in desa.columns:
        return []
    names = pd.Series(desa["admin_name"].astype(str).to_numpy(),
                      index=desa["admin_code"].astype(str).to_numpy())
    names = names[~names.index.duplicated()]
    pop = population[population["admin_code"].astype(str).isin(names.index)]
    if len(pop) == 0:
        return []
    theirs = pop[col].astype(str)
    ours = names.reindex(pop["admin_code"].astype(str)).to_numpy()
    differ = (theirs.map(admin_name_key).to_numpy()
              != pd.Series(ours).map(admin_name_key).to_numpy()) & pop[col].notna().to_numpy()
    if not differ.any():
        return []
    rows = [f"{c} {t!r} vs {o!r}" for c, t, o in zip(
        pop["admin_code"].astype(str)[differ], theirs[differ], ours[differ], strict=True)]
    return [
        f"population: {int(differ.sum())} of {len(pop)} rows name another unit than the desa "
        f"of their admin_code (after normalising case, Desa/Kelurahan prefixes, spaces and "
        f"hyphens; column {col!r}): {'; '.join(rows[:5])}{'; ...' if len(rows) > 5 else ''}. "
        "Check that the table and the boundaries use the same code list (and year)."
    ]
