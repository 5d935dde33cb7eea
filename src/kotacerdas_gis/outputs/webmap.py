"""Offline Folium web maps of the plan's layers, with an HTML legend in Bahasa Indonesia or English.

:func:`web_map` builds a :class:`folium.Map` that needs nothing but Leaflet:
no jQuery, Bootstrap, Font Awesome or awesome-markers, no branca colormap
(it loads d3 from a CDN), no default marker images (points are circle
markers), and no basemap tiles unless asked for (``osm_tiles=True``; they need
the network). Every layer is a toggleable overlay (Leaflet's layer control)
with tooltips and popups showing its key columns, and the legend is plain
HTML/CSS whose sections follow the overlays on and off. Colours come from
:mod:`kotacerdas_gis.outputs.styles`, the palette shared with QGIS and the report.

:func:`write_web_map` writes the map atomically as one self-contained HTML
file: Leaflet's JavaScript, CSS and images (from the ``xstatic-leaflet``
package) are inlined, and any other external URL left in the page raises
:class:`OfflineAssetError`, so a map that would stay blank without network
is never written.

This is the only module of the package that converts to EPSG:4326. The input
layers must be in a metric working CRS (EPSG:32751 for Luwu Utara).

Compact data
------------
Leaflet draws from a compact payload instead of GeoJSON: per layer, all
coordinates are one string in the *encoded polyline* format (Google's
algorithm, as used by OSRM/Valhalla with 6 decimals): latitude/longitude
rounded to ``precision`` decimals (6: about 0.1 m), delta-coded and packed
five bits per character; polygon rings drop their closing point; ring, part
and feature sizes are integer lists (one integer when they are all equal);
only the popup columns travel, repeated strings dictionary-coded. For 100k
building polygons this is about 5-10 times smaller than ``folium.GeoJson``.
Layers with more than ``canvas_threshold`` features are drawn on a canvas
(fast for 100k features) instead of SVG paths.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> zones = gpd.GeoDataFrame(
...     {"hazard_class": ["high", "low"]},
...     geometry=[box(203000, 9717800, 203100, 9717900), box(203100, 9717800, 203300, 9717900)],
...     crs="EPSG:32751")
>>> m = web_map({"hazard_zones": zones}, title="Masamba", lang="en")
>>> html = m.get_root().render()
>>> "Flood hazard zones" in html and "#F03B20" in html
True
"""

from __future__ import annotations

import base64
import html as _html
import json
import logging
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from branca.element import Figure, MacroElement

import folium
import geopandas as gpd
import shapely
from folium.map import Layer
from folium.template import Template

from ..crs import WEB_CRS, require_metric
from ..errors import DataError, KotaCerdasError, RepairWarning
from ..io.atomic import write_text_atomic
from .element_ids import deterministic_ids
from .styles import (
    Lang,
    LayerStyle,
    LegendEntry,
    check_lang,
    column_label,
    hidden_layers,
    key_columns,
    layer_style,
    resolve_classes,
    value_label,
)

__all__ = [
    "OfflineAssetError",
    "OfflineMap",
    "Background",
    "hillshade",
    "hillshade_array",
    "plan_map_layers",
    "MAP_HIDDEN",
    "MAP_TOP_PRIORITIES",
    "MAP_FOCUS",
    "ONLINE_BASEMAPS",
    "web_map",
    "write_web_map",
    "encode_polyline",
    "LEAFLET_JS_URL",
    "LEAFLET_CSS_URL",
    "ALLOWED_URLS",
]

log = logging.getLogger(__name__)

#: The CDN addresses folium 0.20 uses for Leaflet 1.9.3; replaced by inlined files on writing.
LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
#: The OpenStreetMap tile template, present only with ``web_map(..., osm_tiles=True)``.
OSM_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: URLs allowed to remain in a written map: the opt-in tile template and attribution links.
ALLOWED_URLS: tuple[str, ...] = (
    OSM_TILES_URL,
    "https://openstreetmap.org/copyright",
    "https://www.openstreetmap.org/copyright",
    "https://leafletjs.com",
)

_MAP_LOCATION = (-2.55, 120.33)  # Masamba town centre, for a map without data


class OfflineAssetError(KotaCerdasError, ValueError):
    """A web map refers to an external resource that cannot be inlined (it would fail offline)."""


# ---------------------------------------------------------------------------------------------
# Encoding


#: Largest scaled coordinate the encoder takes: a latitude/longitude of 1e9 degrees at 6 decimals
#: (any real one is below 180); far below int64's range, so the delta coding cannot overflow.
_MAX_SCALED = 1e15


def encode_polyline(latlon: np.ndarray, *, precision: int = 6, name: str = "coordinates") -> str:
    """Encode ``(lat, lon)`` pairs with Google's encoded polyline algorithm, vectorised.

    Each coordinate is rounded to ``precision`` decimals, delta-coded against the
    previous point (the first against 0), zig-zag coded and written five bits per
    printable ASCII character (63-126).

    Parameters
    ----------
    latlon : ndarray, shape (n, 2)
        Latitudes and longitudes in degrees (EPSG:4326), in that order.
    precision : int, default 6
        Decimals kept, 1-6 (6 is about 0.1 m, 5 about 1 m).
    name : str, default "coordinates"
        What the coordinates are (a layer name), for error messages.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``precision`` is outside 1-6 or the array is not ``(n, 2)``.
    DataError
        If a coordinate is infinite, NaN, or beyond 1e9 degrees (e.g. a failed reprojection).

    Examples
    --------
    Google's documented example, at 5 decimals:

    >>> import numpy as np
    >>> encode_polyline(np.array([[38.5, -120.2], [40.7, -120.95], [43.252, -126.453]]),
    ...                 precision=5)
    '_p~iF~ps|U_ulLnnqC_mqNvxq`@'
    """
    if not 1 <= int(precision) <= 6:
        raise ValueError(f"precision: expected 1-6 decimals, found {precision!r}.")
    arr = np.asarray(latlon, dtype="float64")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"latlon: expected an array of shape (n, 2), found {arr.shape}.")
    if len(arr) == 0:
        return ""
    scaled = arr * 10 ** int(precision)
    with np.errstate(invalid="ignore"):
        ok = (np.abs(scaled) <= _MAX_SCALED).all(axis=1)  # False for inf and NaN too
    if not ok.all():
        raise DataError(
            f"{name}: {int((~ok).sum())} of {len(arr)} points have infinite, NaN or huge "
            "(beyond 1e9 degrees) coordinates, which cannot be drawn. They usually come from a "
            "wrong CRS (a .prj that says EPSG:4326 for projected metres, or latitude and "
            "longitude swapped) that made the reprojection fail; fix the layer's CRS "
            "(read_vector's assume_crs, or the .prj) and rerun."
        )
    ints = np.round(scaled).astype(np.int64)
    d = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    # zig-zag, as unsigned so that the shifts below always reach zero
    z = ((d << 1) ^ (d >> 63)).view(np.uint64)
    nchunks = np.ones(z.shape, dtype=np.int64)
    t = z >> np.uint64(5)
    while t.any():
        nchunks += t > 0
        t >>= np.uint64(5)
    width = int(nchunks.max())
    j = np.arange(width, dtype=np.uint64)
    chunks = ((z[:, None] >> (np.uint64(5) * j)[None, :]) & np.uint64(31)).astype(np.int64)
    j = j.astype(np.int64)
    chunks |= np.where(j[None, :] < nchunks[:, None] - 1, 32, 0)
    chunks += 63
    return chunks[j[None, :] < nchunks[:, None]].astype(np.uint8).tobytes().decode("ascii")


def _counts(offsets: np.ndarray) -> int | list[int]:
    """Sizes from offsets; one integer when all are equal (the common case: 4-point rings)."""
    n = np.diff(np.asarray(offsets, dtype=np.int64))
    if len(n) and (n == n[0]).all():
        return int(n[0])
    return n.tolist()


def _geometry_kind(geom_type: str) -> str:
    if geom_type.endswith("Polygon"):
        return "A"
    if geom_type.endswith("LineString") or geom_type == "LinearRing":
        return "L"
    if geom_type.endswith("Point"):
        return "P"
    return "?"


def _encode_geometries(
    geoms: np.ndarray, kind: str, precision: int, *, name: str = "coordinates"
) -> dict[str, Any]:
    """Encode one kind of geometry (A/L/P) into the compact payload of the JS runtime."""
    gtype, coords, offsets = shapely.to_ragged_array(geoms)
    name = gtype.name  # POINT, LINESTRING, POLYGON, MULTI*
    out: dict[str, Any] = {"k": kind, "nf": len(geoms)}
    if kind == "A":
        if name == "POLYGON":
            ring_off, geom_off = offsets
            poly_counts: int | list[int] = 1
            rings_per_poly = _counts(geom_off)
        else:
            ring_off, poly_off, geom_off = offsets
            poly_counts = _counts(geom_off)
            rings_per_poly = _counts(poly_off)
        keep = np.ones(len(coords), dtype=bool)
        keep[np.asarray(ring_off[1:], dtype=np.int64) - 1] = False  # drop closing points
        coords = coords[keep]
        out.update(
            n=_counts(np.asarray(ring_off) - np.arange(len(ring_off))),
            r=rings_per_poly,
            g=poly_counts,
        )
    elif kind == "L":
        if name == "LINESTRING":
            (geom_off,) = offsets
            out.update(n=_counts(geom_off), g=1)
        else:
            line_off, geom_off = offsets
            out.update(n=_counts(line_off), g=_counts(geom_off))
    else:
        if name == "POINT":
            out.update(g=1)
        else:
            (geom_off,) = offsets
            out.update(g=_counts(geom_off))
    out["c"] = encode_polyline(coords[:, [1, 0]], precision=precision, name=name)
    return out


#: Columns shown as Ya/Tidak (Yes/No) even when stored as 0/1.
_BOOL_COLUMNS = frozenset(
    {"existing", "in_budget", "isolated", "affected", "exposed", "bridge", "robust", "at_crossing"}
)
#: Columns holding a share 0-1, shown as a percentage.
_PERCENT_COLUMNS = frozenset({"flooded_frac", "displacement_rate", "damage_frac"})
_WHOLE = re.compile(
    r"(^|_)(affected|displaced|population|persons|people|households|buildings|facilities|rank"
    r"|count)(_|$)|^n_"
)


def _is_bool(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


def _field_type(column: str, values: pd.Series) -> str:
    """How the runtime formats a popup column: b(oolean), p(ercent), i(nteger), n(umber), t(ext)."""
    if _is_bool(values):
        return "b"
    if column.endswith("_id") or column == "id":
        return "t"  # identifiers: digits as stored, no thousands separator
    numeric = pd.api.types.is_numeric_dtype(values)
    if column in _BOOL_COLUMNS and numeric and set(values.dropna().unique()) <= {0, 1}:
        return "b"
    if numeric and (column in _PERCENT_COLUMNS or column.endswith("_frac")):
        return "p"
    if pd.api.types.is_integer_dtype(values) or (numeric and _WHOLE.search(column)):
        return "i"
    if numeric and column.startswith("travel_time_min_"):
        return "m"  # minutes; empty means not reachable
    return "n" if numeric else "t"


def _labelled(column: str, values: pd.Series, lang: Lang) -> pd.Series:
    """Text values replaced by their labels in ``lang`` (class and vocabulary labels)."""
    if _is_bool(values) or pd.api.types.is_numeric_dtype(values):
        return values
    uniq = pd.unique(values.dropna())
    mapping = {v: value_label(column, v, lang) for v in uniq}
    if all(k == v for k, v in mapping.items()):
        return values
    return values.map(lambda v: mapping.get(v, v) if not pd.isna(v) else None)


def _jsonable_column(values: pd.Series, lang: Lang) -> list[Any] | dict[str, Any] | None:
    """Column values for the payload; None when every value is missing."""
    if values.isna().all():
        return None
    if _is_bool(values):
        return [None if pd.isna(v) else int(bool(v)) for v in values]
    if pd.api.types.is_integer_dtype(values):
        return [None if pd.isna(v) else int(v) for v in values]
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64")
        mag = np.nanmax(np.abs(arr)) if np.isfinite(arr).any() else 0.0
        digits = 3 if mag < 100 else 1
        return [None if not math.isfinite(v) else round(float(v), digits) for v in arr]
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.isoformat() for v in values]
    strs = [
        None if (v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA) else str(v)
        for v in values
    ]
    uniq = pd.unique(pd.Series(strs, dtype=object))
    if len(uniq) * 2 <= len(strs):
        index = {v: i for i, v in enumerate(uniq)}
        return {"d": list(uniq), "i": [index[v] for v in strs]}
    return strs


def _leaflet_style(style: LayerStyle, entry: LegendEntry, kind: str) -> dict[str, Any]:
    """Leaflet path options of one legend entry."""
    if kind == "L":
        opts: dict[str, Any] = {"color": entry.colour, "weight": entry.weight_px, "opacity": 0.9}
    else:
        fill = style.fill_opacity > 0
        opts = {
            "color": style.outline if fill else entry.colour,
            "weight": style.weight_px,
            "opacity": 0.9,
            "fill": fill,
            "fillColor": entry.colour,
            "fillOpacity": style.fill_opacity,
        }
        if kind == "P":
            opts["radius"] = style.radius_px
    if style.dash:
        opts["dashArray"] = style.dash
    return opts


def _layer_payload(
    name: str,
    gdf: gpd.GeoDataFrame,
    style: LayerStyle,
    entries: list[LegendEntry],
    columns: list[str],
    *,
    lang: Lang,
    precision: int,
    canvas: bool,
) -> dict[str, Any]:
    """Build the JSON payload of one layer (EPSG:4326 input)."""
    geoms = gdf.geometry.to_numpy()
    kinds = np.array([_geometry_kind(str(t)) for t in gdf.geometry.geom_type])
    # style index per feature
    col = style.class_column if style.class_column in gdf.columns else None
    if col is None:
        sidx = np.zeros(len(gdf), dtype=np.int64)
    else:
        lookup = {e.value: i for i, e in enumerate(entries) if e.value is not None}
        missing_idx = next((i for i, e in enumerate(entries) if e.value is None), 0)
        sidx = np.array(
            [lookup.get(v, missing_idx) if not pd.isna(v) else missing_idx for v in gdf[col]],
            dtype=np.int64,
        )
    chunks = []
    for kind in ("A", "L", "P"):
        mask = kinds == kind
        if not mask.any():
            continue
        chunk = _encode_geometries(geoms[mask], kind, precision, name=name)
        s = sidx[mask]
        chunk["s"] = int(s[0]) if (s == s[0]).all() else s.tolist()
        props: dict[str, Any] = {}
        sub = gdf.loc[mask]
        for c in columns:
            if c == col:
                props[c] = {"d": [e.label for e in entries], "s": 1}
                continue
            vals = _jsonable_column(_labelled(c, sub[c], lang), lang)
            if vals is not None:
                props[c] = vals
        chunk["p"] = props
        chunks.append(chunk)
    styles = [_leaflet_style(style, e, chunks[0]["k"] if chunks else "A") for e in entries]
    return {
        "name": name,
        "title": style.title(lang),
        "prec": precision,
        "canvas": bool(canvas),
        "styles": styles,
        "fields": [[c, column_label(c, lang), _field_type(c, gdf[c])] for c in columns],
        "chunks": chunks,
        "lang": lang,
    }


def _dump_payload(payload: Any) -> str:
    """Compact JSON safe inside ``<script>`` and inside branca's templates.

    Strings carry no ``<``, ``>``, ``&``, no ``//`` (so no URL in the data is mistaken for
    an asset), and no ``{{``, ``{%``, ``{#``: branca compiles every rendered macro again as a
    jinja2 template. Structural JSON never has a ``{`` followed by ``{``, ``%`` or ``#``.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("/", "\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return _JINJA_OPEN.sub(r"\\u007b", text)


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def _esc(text: str) -> str:
    """HTML-escape text that goes through branca's templates (braces too)."""
    return _html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


# ---------------------------------------------------------------------------------------------
# Folium elements

_RUNTIME_JS = r"""
var KC = window.KC = window.KC || {layers: {}, map: null, renderer: null, ready: false};
function kcCanvas() {
  // one canvas for every layer: hit-testing then picks the topmost feature (a building over
  // its zone), which separate SVG and canvas panes cannot do
  if (!KC.renderer) { KC.renderer = L.canvas({padding: 0.5, tolerance: 3}); }
  return KC.renderer;
}
function kcDecode(s, scale) {
  var i = 0, n = s.length, lat = 0, lon = 0, pts = [], r, sh, b;
  while (i < n) {
    r = 0; sh = 0;
    do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
    lat += (r & 1) ? ~(r >> 1) : (r >> 1);
    r = 0; sh = 0;
    do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
    lon += (r & 1) ? ~(r >> 1) : (r >> 1);
    pts.push([lat / scale, lon / scale]);
  }
  return pts;
}
function kcAt(x, j) { return (typeof x === "number") ? x : x[j]; }
function kcValue(col, f, sIdx) {
  if (col === undefined || col === null) { return null; }
  if (Array.isArray(col)) { return col[f]; }
  if (col.s) { return col.d[sIdx]; }
  return col.d[kcAt(col.i, f)];
}
function kcNum(v, lang, digits) {
  return v.toLocaleString(lang === "id" ? "id-ID" : "en-GB", {maximumFractionDigits: digits});
}
function kcFormat(v, lang, t) {
  if (v === null || v === undefined || v === "") {
    if (t === "m") { return lang === "id" ? "tidak terjangkau" : "not reachable"; }
    return "\u2013";
  }
  if (t === "b") { return v ? (lang === "id" ? "Ya" : "Yes") : (lang === "id" ? "Tidak" : "No"); }
  if (t === "t") { return String(v); }
  if (typeof v === "number") {
    if (t === "p") { return kcNum(v * 100, lang, Math.abs(v) < 0.1 ? 1 : 0) + " %"; }
    if (t === "i") { return kcNum(Math.round(v), lang, 0); }
    var a = Math.abs(v);
    return kcNum(v, lang, a >= 100 ? 0 : (a >= 10 ? 1 : 2));
  }
  return String(v);
}
function kcLayer(spec) {
  var group = L.featureGroup();
  var renderer = kcCanvas();
  var scale = Math.pow(10, spec.prec);
  spec.chunks.forEach(function (ch) {
    var pts = kcDecode(ch.c, scale), pi = 0, ri = 0, gi = 0;
    for (var f = 0; f < ch.nf; f++) {
      var sIdx = kcAt(ch.s, f);
      var opts = Object.assign({}, spec.styles[sIdx]);
      opts.renderer = renderer;
      var lyr, q, t, m, np;
      if (ch.k === "P") {
        np = kcAt(ch.g, f);
        if (np === 1) { lyr = L.circleMarker(pts[pi], opts); }
        else {
          lyr = L.featureGroup(pts.slice(pi, pi + np).map(function (p) {
            var cm = L.circleMarker(p, opts); cm._kc = [ch, f, sIdx]; return cm; }));
        }
        pi += np;
      } else if (ch.k === "L") {
        var nl = kcAt(ch.g, f), lines = [];
        for (q = 0; q < nl; q++) { m = kcAt(ch.n, ri++); lines.push(pts.slice(pi, pi + m)); pi += m; }
        lyr = L.polyline(nl === 1 ? lines[0] : lines, opts);
      } else {
        var npg = kcAt(ch.g, f), polys = [];
        for (q = 0; q < npg; q++) {
          var nr = kcAt(ch.r, gi++), rings = [];
          for (t = 0; t < nr; t++) { m = kcAt(ch.n, ri++); rings.push(pts.slice(pi, pi + m)); pi += m; }
          polys.push(rings);
        }
        lyr = L.polygon(npg === 1 ? polys[0] : polys, opts);
      }
      lyr._kc = [ch, f, sIdx];
      group.addLayer(lyr);
    }
  });
  function kcSource(l) {
    while (l && !l._kc && l._eventParents) { l = l._eventParents[Object.keys(l._eventParents)[0]]; }
    return l && l._kc ? l._kc : null;
  }
  if (spec.fields.length) {
    group.bindTooltip(function (l) {
      // a DOM node with textContent: Leaflet inserts a returned string as HTML
      var el = document.createElement("span"), k = kcSource(l);
      el.textContent = spec.title;
      if (k) {
        for (var i = 0; i < spec.fields.length; i++) {
          var fl = spec.fields[i], v = kcValue(k[0].p[fl[0]], k[1], k[2]);
          if (v !== null && v !== undefined && v !== "" && fl[2] !== "b") {
            el.textContent = kcFormat(v, spec.lang, fl[2]); break;
          }
        }
      }
      return el;
    }, {sticky: true});
    group.bindPopup(function (l) {
      var k = kcSource(l), box = document.createElement("div");
      box.className = "kc-pop"; box.setAttribute("data-layer", spec.name);
      var h = document.createElement("strong"); h.textContent = spec.title; box.appendChild(h);
      var tb = document.createElement("table"); tb.className = "kc-popup";
      spec.fields.forEach(function (fl) {
        var tr = document.createElement("tr"), th = document.createElement("th"),
            td = document.createElement("td");
        th.textContent = fl[1];
        td.textContent = k ? kcFormat(kcValue(k[0].p[fl[0]], k[1], k[2]), spec.lang, fl[2]) : "";
        tr.appendChild(th); tr.appendChild(td); tb.appendChild(tr);
      });
      box.appendChild(tb);
      return box;
    }, {maxWidth: 320});
  }
  group._kcZ = spec.z; group._kcName = spec.name;
  KC.layers[spec.name] = group;
  return group;
}
function kcLabels(spec) {
  var group = L.layerGroup();
  spec.items.forEach(function (it) {
    var el = document.createElement("span");
    el.className = "kc-lbl kc-lbl-" + it[3];
    el.textContent = it[2];
    group.addLayer(L.marker([it[0], it[1]], {
      icon: L.divIcon({className: "kc-lbl-icon", html: el, iconSize: null}),
      interactive: false, keyboard: false}));
  });
  group._kcName = spec.name;
  KC.layers[spec.name] = group;
  return group;
}
function kcRestack(map, added) {
  // keep the drawing order (z) when a layer is switched back on: it was added on top
  if (!added || added._kcZ === undefined) { return; }
  Object.keys(KC.layers).map(function (k) { return KC.layers[k]; })
    .filter(function (g) { return g !== added && g._kcZ > added._kcZ && map.hasLayer(g); })
    .sort(function (a, b) { return a._kcZ - b._kcZ; })
    .forEach(function (g) { g.bringToFront(); });
}
var KcLayers = L.Control.Layers.extend({
  // Leaflet's control inserts names as HTML and knows no groups: names as text, group headings
  expand: function () {
    // on a phone the legend and the layer list take turns
    if (KC.narrow && KC.legend) { KC.legend.open = false; }
    return L.Control.Layers.prototype.expand.call(this);
  },
  _update: function () {
    this._kcLast = null;
    return L.Control.Layers.prototype._update.call(this);
  },
  _addItem: function (obj) {
    var container = obj.overlay ? this._overlaysList : this._baseLayersList;
    if (obj.overlay && obj.layer._kcGroupTitle && obj.layer._kcGroupTitle !== this._kcLast) {
      var h = document.createElement("div");
      h.className = "kc-grp"; h.textContent = obj.layer._kcGroupTitle;
      container.appendChild(h);
      this._kcLast = obj.layer._kcGroupTitle;
    }
    var label = document.createElement("label"), input = document.createElement("input");
    input.type = obj.overlay ? "checkbox" : "radio";
    if (!obj.overlay) { input.name = "leaflet-base-layers_" + L.Util.stamp(this); }
    input.className = "leaflet-control-layers-selector";
    input.defaultChecked = this._map.hasLayer(obj.layer);
    this._layerControlInputs.push(input);
    input.layerId = L.Util.stamp(obj.layer);
    L.DomEvent.on(input, "click", this._onInputClick, this);
    var name = document.createElement("span"), holder = document.createElement("span");
    name.textContent = " " + obj.name;
    label.appendChild(holder); holder.appendChild(input); holder.appendChild(name);
    container.appendChild(label);
    this._checkDisabledLayers();
    return label;
  }
});
function kcSetup(map, spec, overlays) {
  KC.map = map;
  if (spec.fit) { map.fitBounds(spec.fit, {padding: [10, 10], animate: false}); }
  var narrow = window.innerWidth < 700 || window.innerHeight < 500;
  KC.narrow = narrow;
  var off;
  if (spec.bg) {
    off = L.imageOverlay(spec.bg.url, spec.bg.bounds, {pane: "tilePane", interactive: false,
                                                        className: "kc-hillshade"});
  } else { off = L.layerGroup(); }
  off.addTo(map);
  var bases = {}, order = [[off, spec.offTitle]];
  KC.background = off;
  spec.online.forEach(function (o) {
    var t = L.tileLayer(o.url, {attribution: o.attr, maxZoom: o.maxZoom || 19}), failed = false;
    t.on("add", function () { failed = false; });
    t.on("tileerror", function () {
      if (failed || !map.hasLayer(t)) { return; }
      failed = true;  // offline: back to the offline background, and say so
      map.removeLayer(t); map.addLayer(off);
      var msg = document.getElementById("kc-msg");
      if (msg) { msg.textContent = spec.failText; msg.hidden = false; }
    });
    order.push([t, o.title]);
  });
  var ctl = new KcLayers(null, null, {collapsed: narrow, position: "topright"});
  order.forEach(function (b) { ctl.addBaseLayer(b[0], b[1]); });
  overlays.forEach(function (o) { o[0]._kcGroupTitle = o[2]; ctl.addOverlay(o[0], o[1]); });
  L.control.scale({imperial: false, metric: true, position: "bottomleft"}).addTo(map);
  var Legend = L.Control.extend({onAdd: function () {
    var el = document.getElementById(spec.legendId);
    L.DomEvent.disableClickPropagation(el); L.DomEvent.disableScrollPropagation(el);
    if (narrow) { el.open = false; }
    el.addEventListener("toggle", function () {
      if (el.open && KC.narrow && KC.control) { KC.control.collapse(); }
    });
    KC.legend = el;
    return el;
  }});
  new Legend({position: "bottomleft"}).addTo(map);
  ctl.addTo(map);
  KC.control = ctl;
  map.on("overlayadd overlayremove", function (e) {
    var id = e.layer && e.layer._kcLegend;
    var el = id ? document.getElementById(id) : null;
    if (el) { el.style.display = (e.type === "overlayadd") ? "" : "none"; }
    if (e.type === "overlayadd") { kcRestack(map, e.layer); }
  });
  function zoomClass() {
    var z = map.getZoom(), c = map.getContainer().classList;
    c.toggle("kc-z-desa", z >= spec.desaZoom); c.toggle("kc-z-near", z >= spec.desaZoom + 3);
  }
  map.on("zoomend", zoomClass); zoomClass();
  if (narrow) { map.getContainer().classList.add("kc-narrow"); }
  KC.ready = true;
}
"""  # noqa: E501


class _Runtime(MacroElement):
    """The decoder, layer builder and controls, once per map (in the page header)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <script>{{ this.js }}</script>
        <style>
          .leaflet-container { background: #F4F3EE; }
          table.kc-popup { border-collapse: collapse; margin-top: 4px; font-size: 12px; }
          table.kc-popup th { text-align: left; padding: 1px 8px 1px 0; color: #555; font-weight: normal; vertical-align: top; }
          table.kc-popup td { padding: 1px 0; }
          .kc-grp { font-weight: bold; margin: 6px 0 2px 0; border-top: 1px solid #ddd; padding-top: 4px; }
          .kc-grp:first-child { border-top: none; margin-top: 0; padding-top: 0; }
          .leaflet-control-layers-expanded { max-height: 70vh; overflow-y: auto; font-size: 12px; }
          .kc-lbl-icon { background: none; border: none; }
          .kc-lbl { display: inline-block; transform: translate(-50%, -50%); white-space: nowrap;
            font: 11px "Helvetica Neue", Arial, sans-serif; color: #222; pointer-events: none;
            text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff; }
          .kc-lbl-kecamatan { font-weight: bold; font-size: 13px; text-transform: uppercase; letter-spacing: 1px; color: #111; }
          .kc-lbl-desa { display: none; }
          .kc-z-desa .kc-lbl-desa { display: inline-block; }
          .kc-z-near .kc-lbl-kecamatan { display: none; }
          details.kc-legend { background: rgba(255,255,255,0.95); padding: 6px 8px; border-radius: 4px;
            box-shadow: 0 1px 5px rgba(0,0,0,0.4); font: 12px/1.35 "Helvetica Neue", Arial, sans-serif;
            max-height: 45vh; overflow-y: auto; max-width: 260px; }
          details.kc-legend summary { font-weight: bold; cursor: pointer; font-size: 13px; }
          .kc-legend .kc-sec-title { font-weight: bold; margin-top: 5px; }
          .kc-legend .kc-row { display: flex; align-items: center; gap: 6px; }
          .kc-legend .kc-sw { display: inline-block; width: 18px; height: 12px; box-sizing: border-box; flex: none; }
          .kc-legend .kc-sw.kc-pt { width: 12px; border-radius: 50%; margin: 0 3px; }
          .kc-legend .kc-sw.kc-ln { height: 0; }
          .kc-legend .kc-note, .kc-legend .kc-msg { margin-top: 6px; color: #555; font-size: 11px; }
          .kc-title { position: absolute; z-index: 700; top: 10px; left: 50px; max-width: calc(100% - 110px);
            font: bold 15px "Helvetica Neue", Arial, sans-serif; color: #222;
            background: rgba(255,255,255,0.9); padding: 4px 8px; border-radius: 4px;
            box-sizing: border-box; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
          @media (max-width: 699px) {
            .kc-title { font-size: 12px; padding: 3px 6px; }
            details.kc-legend { max-width: 70vw; max-height: 40vh; }
          }
        </style>
        {% endmacro %}
        """  # noqa: E501
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "KcRuntime"
        self.js = _RUNTIME_JS


class _CompactLayer(Layer):
    """One overlay drawn by the runtime from a compact payload (``kcLayer`` or ``kcLabels``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.builder }}({{ this.payload_json }});
            {{ this.get_name() }}._kcLegend = {{ this.legend_id|tojson }};
        {% endmacro %}
        """
    )

    def __init__(
        self,
        payload: Mapping[str, Any],
        *,
        name: str,
        legend_id: str,
        show: bool,
        builder: str = "kcLayer",
    ) -> None:
        super().__init__(name=name, overlay=True, control=False, show=show)
        self._name = "KcLayer"
        self.payload_json = _dump_payload(payload)
        self.legend_id = legend_id
        self.builder = builder


class _Legend(MacroElement):
    """The title, and a collapsible HTML legend whose sections follow their overlays."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="kc-title">{{ this.title_html }}</div>
        <details class="kc-legend" id="{{ this.get_name() }}" open>{{ this.body_html }}</details>
        {% endmacro %}
        """
    )

    def __init__(self, *, title_html: str, body_html: str) -> None:
        super().__init__()
        self._name = "KcLegend"
        self.title_html = title_html
        self.body_html = body_html


class _Setup(MacroElement):
    """Background layers, grouped layer control, scale bar and legend (after every layer)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            kcSetup({{ this._parent.get_name() }}, {{ this.spec_json }}, [{{ this.overlays_js }}]);
        {% endmacro %}
        """
    )

    def __init__(self, spec: Mapping[str, Any], overlays: Sequence[tuple[Layer, str, str]]) -> None:
        super().__init__()
        self._name = "KcSetup"
        self.spec_json = _dump_payload(spec)
        self._overlays = list(overlays)

    def render(self, **kwargs: Any) -> Any:
        # the layers' variable names are known once the figure is assembled
        self.overlays_js = ",".join(
            f"[{layer.get_name()},{_dump_payload(name)},{_dump_payload(group)}]"  # type: ignore[arg-type]
            for layer, name, group in self._overlays
        )
        return super().render(**kwargs)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` loading only Leaflet (JS and CSS), which :func:`write_web_map` inlines.

    Attributes
    ----------
    kc_lang : {"id", "en"}
        Language of the page (written as ``<html lang=...>``).
    """

    def __init__(self, *args: Any, lang: Lang = "id", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # instance lists: folium's add_js_link mutates the class-level lists in place
        self.default_js = [("leaflet", LEAFLET_JS_URL)]
        self.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
        self.kc_lang = check_lang(lang)


# ---------------------------------------------------------------------------------------------
# web_map


def _legend_swatch(kind: str, style: LayerStyle, entry: LegendEntry) -> str:
    c = _html.escape(entry.colour)
    dash = "dashed" if style.dash else "solid"
    if kind == "L" or style.fill_opacity <= 0:
        return (
            f'<span class="kc-sw kc-ln" style="border-top:{max(entry.weight_px, 2.0):.1f}px '
            f'{dash} {c}"></span>'
        )
    outline = _html.escape(style.outline)
    border = f"{min(max(style.weight_px, 1.0), 2.0):.0f}px solid {outline}" if style.weight_px > 0 \
        else f"1px solid {c}"
    cls = "kc-sw kc-pt" if kind == "P" else "kc-sw"
    return f'<span class="{cls}" style="background:{c};border:{border}"></span>'


def _require_finite(gdf: gpd.GeoDataFrame, *, name: str, stage: str) -> None:
    """Raise DataError naming the layer when features have infinite or NaN coordinates."""
    xy, idx = shapely.get_coordinates(gdf.geometry.to_numpy(), return_index=True)
    bad = np.unique(idx[~np.isfinite(xy).all(axis=1)])
    if len(bad):
        raise DataError(
            f"{name}: {len(bad)} of {len(gdf)} features have infinite or NaN coordinates "
            f"{stage} (first at row {int(bad[0])}), so the layer cannot be drawn. This usually "
            "comes from a wrong CRS: a .prj that says EPSG:4326 for projected metres, or "
            "latitude and longitude swapped. Fix the layer's CRS (read_vector's assume_crs, "
            "or the .prj) and rerun."
        )


# ---------------------------------------------------------------------------------------------
# Background: an offline hillshade; online basemaps as options


@dataclass(frozen=True)
class Background:
    """An offline background image for :func:`web_map` (see :func:`hillshade`).

    Attributes
    ----------
    url : str
        ``data:image/png;base64,...``.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees (EPSG:4326) of the image's Web
        Mercator (EPSG:3857) grid, the projection Leaflet stretches it in.
    title_id, title_en : str
        Name in the layer control.
    """

    url: str
    bounds: list[list[float]]
    title_id: str = "Relief (luring, dari DEM)"
    title_en: str = "Relief (offline, from the DEM)"

    @property
    def nbytes(self) -> int:
        """Size of the data URL, bytes (what the image adds to the page)."""
        return len(self.url)


def hillshade_array(
    dem_m: np.ndarray,
    cell_x_m: float,
    cell_y_m: float,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
) -> np.ndarray:
    """Illumination 0-1 of each cell of a north-up DEM (Horn's 3 x 3 slope and aspect).

    ``sin(alt) cos(slope) + cos(alt) sin(slope) cos(azimuth - aspect)``, clipped to 0-1;
    NaN where the DEM has none (edges repeat the nearest cell).

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.zeros((3, 3))
    >>> round(float(hillshade_array(flat, 30, 30)[1, 1]), 4)  # sin 45 degrees
    0.7071
    >>> east = np.tile(np.arange(5.0) * 15, (5, 1))  # rises 0.5 m per m to the east
    >>> round(float(hillshade_array(east, 30, 30)[2, 2]), 3)
    0.856
    """
    dem = np.asarray(dem_m, dtype="float64")
    valid = np.isfinite(dem)
    fill = np.where(valid, dem, np.nanmean(dem[valid]) if valid.any() else 0.0)
    pad = np.pad(fill, 1, mode="edge")
    # Horn (1981): weighted differences; rows grow southwards
    gx = ((pad[:-2, 2:] + 2 * pad[1:-1, 2:] + pad[2:, 2:])
          - (pad[:-2, :-2] + 2 * pad[1:-1, :-2] + pad[2:, :-2])) / (8 * cell_x_m)
    gy = ((pad[2:, :-2] + 2 * pad[2:, 1:-1] + pad[2:, 2:])
          - (pad[:-2, :-2] + 2 * pad[:-2, 1:-1] + pad[:-2, 2:])) / (8 * cell_y_m)
    gx, gy = gx * z_factor, gy * z_factor
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)  # downslope direction, clockwise from north
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    shade = np.clip(shade, 0.0, 1.0)
    shade[~valid] = np.nan
    return shade


def hillshade(
    dem_m: np.ndarray,
    transform: Any,
    crs: Any,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
    max_px: int = 1000,
) -> Background:
    """Shade a DEM (Horn's slope and aspect, numpy) and prepare it as the map's offline background.

    The shading is computed on the DEM's own grid in the working CRS (metre cells),
    then resampled (bilinear) to Web Mercator with at most ``max_px`` pixels a side
    and written as a grey PNG (cells without elevation transparent), light enough
    that opaque layers above it keep their legend colours.

    Parameters
    ----------
    dem_m : ndarray of float, shape (rows, cols)
        Elevation, m; NaN where there is none.
    transform : affine.Affine
        The DEM's grid transform, metres in ``crs`` (north up).
    crs : pyproj.CRS or str
        The working CRS (metric).
    azimuth_deg, altitude_deg : float
        Direction and height of the light, degrees (315, 45: from the north-west).
    z_factor : float
        Vertical exaggeration.
    max_px : int
        Largest side of the image, pixels (the page grows by about 1 byte per pixel).

    Returns
    -------
    Background

    Raises
    ------
    DataError
        If the DEM has no cell with elevation.
    """
    import io

    from PIL import Image

    import rasterio.warp
    from pyproj import Transformer
    from rasterio.crs import CRS as RioCRS

    dem = np.asarray(dem_m, dtype="float64")
    if dem.ndim != 2 or not np.isfinite(dem).any():
        raise DataError("hillshade: the DEM has no cell with elevation; pass another DEM.")
    shade = hillshade_array(
        dem, abs(float(transform.a)), abs(float(transform.e)), azimuth_deg=azimuth_deg,
        altitude_deg=altitude_deg, z_factor=z_factor,
    ).astype("float32")
    src_crs = RioCRS.from_user_input(crs)
    rows, cols = dem.shape
    left, top = transform.c, transform.f
    right, bottom = left + cols * transform.a, top + rows * transform.e
    dst_tf, w, h = rasterio.warp.calculate_default_transform(
        src_crs, "EPSG:3857", cols, rows, left=left, bottom=bottom, right=right, top=top)
    k = max(w / max_px, h / max_px, 1.0)
    w, h = max(int(round(w / k)), 1), max(int(round(h / k)), 1)
    dst_tf, w, h = rasterio.warp.calculate_default_transform(
        src_crs, "EPSG:3857", cols, rows, left=left, bottom=bottom, right=right, top=top,
        dst_width=w, dst_height=h)
    out = np.full((h, w), np.nan, dtype="float32")
    rasterio.warp.reproject(
        shade, out, src_transform=transform, src_crs=src_crs, dst_transform=dst_tf,
        dst_crs="EPSG:3857", resampling=rasterio.warp.Resampling.bilinear,
        src_nodata=np.nan, dst_nodata=np.nan)
    ok = np.isfinite(out)
    # light greys (150-250): relief that reads without competing with the data's colours
    grey = np.where(ok, 150 + 100 * np.nan_to_num(out), 0).round().astype(np.uint8)
    grey = (grey // 4 * 4).astype(np.uint8)  # 64 levels: half the PNG, no visible banding
    la = np.stack([grey, np.where(ok, 255, 0).astype(np.uint8)], axis=-1)
    buf = io.BytesIO()
    Image.fromarray(la, mode="LA").save(buf, format="PNG", optimize=True)
    x0, y0 = dst_tf.c, dst_tf.f
    x1, y1 = x0 + w * dst_tf.a, y0 + h * dst_tf.e
    to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([x0, x1], [y1, y0])
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Background(url=url, bounds=[[float(lat0), float(lon0)], [float(lat1), float(lon1)]])


#: Online basemaps offered (never chosen by default) by ``web_map(online_basemaps=True)``:
#: ``(xyzservices provider, title_id, title_en)``.
ONLINE_BASEMAPS: tuple[tuple[str, str, str], ...] = (
    ("OpenStreetMap.Mapnik", "OpenStreetMap (daring)", "OpenStreetMap (online)"),
    ("Esri.WorldImagery", "Citra satelit Esri (daring)", "Esri imagery (online)"),
)


def _online_basemaps(lang: Lang) -> list[dict[str, Any]]:
    import xyzservices.providers as xyz

    out = []
    for path, title_id, title_en in ONLINE_BASEMAPS:
        provider: Any = xyz
        for part in path.split("."):
            provider = provider[part]
        out.append({
            "url": provider.build_url(),
            "attr": provider.html_attribution,
            "maxZoom": int(provider.get("max_zoom", 19) or 19),
            "title": title_id if lang == "id" else title_en,
        })
    return out


# ---------------------------------------------------------------------------------------------
# The plan's map layers


#: Layers drawn on the map but switched off when it opens (owner: ``LayerStyle.hidden_in``,
#: styles.py).
MAP_HIDDEN = hidden_layers("map")
#: Rebuild priorities drawn on the map (the GeoPackage holds every ranked asset).
MAP_TOP_PRIORITIES = 20
#: Layers whose extent the map opens on: the first one present.
MAP_FOCUS = ("hazard_zones", "observed_flood_2020", "admin_desa")
#: Layers left off the web map (the GeoPackage has them): their content is drawn by another
#: layer (the per-desa summary by the choropleths).
MAP_SKIP = ("admin_kabupaten", "aggregation_summary_kecamatan", "aggregation_summary")


def _classify(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class key ``ge_<lower bound>`` of each finite value; None for NaN and infinity."""
    v = np.asarray(values, dtype="float64")
    out = np.full(len(v), None, dtype=object)
    ok = np.isfinite(v)
    idx = np.searchsorted(np.asarray(breaks, dtype="float64"), v[ok], side="right") - 1
    labels = np.array([f"ge_{b:g}" for b in breaks], dtype=object)
    out[ok] = labels[np.clip(idx, 0, len(breaks) - 1)]
    return out


def plan_map_layers(
    layers: Mapping[str, gpd.GeoDataFrame], *, top_priorities: int = MAP_TOP_PRIORITIES
) -> dict[str, gpd.GeoDataFrame]:
    """Choose and derive the web map's layers from the plan's layers (output contract names).

    Left out: :data:`MAP_SKIP`, ``buildings`` when ``impact_buildings`` exists (the same
    footprints), the service points that are existing facilities (drawn as facilities).
    Only the ``top_priorities`` best-ranked rebuild priorities are kept. Derived from
    ``aggregation_summary`` (per desa):

    - ``desa_affected``: ``affected_class`` from whole affected people
      (:data:`~kotacerdas_gis.outputs.styles.AFFECTED_BREAKS`);
    - ``access_before`` / ``access_after``: ``access_class_before`` / ``_after`` from the
      travel time to the nearest health facility
      (:data:`~kotacerdas_gis.outputs.styles.ACCESS_BREAKS_MIN`), ``cut`` for the desa
      isolated by the flood, ``no_road`` for those without road access;
    - ``isolated_desa``: the desa cut off from health care by the flood, with the reason
      and the minutes before (after: none, ``travel_time_min_after`` is empty).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        E.g. :func:`~kotacerdas_gis.outputs.summary.plan_layers`; not modified.
    top_priorities : int
        Rebuild priorities drawn.

    Returns
    -------
    dict of str to GeoDataFrame
    """
    from .styles import ACCESS_BREAKS_MIN, AFFECTED_BREAKS

    out: dict[str, gpd.GeoDataFrame] = {}
    for name, layer in layers.items():
        if not isinstance(layer, gpd.GeoDataFrame) or name in MAP_SKIP:
            continue
        if name == "buildings" and "impact_buildings" in layers:
            continue
        if name == "rebuild_priorities" and "rank" in layer.columns:
            layer = layer.nsmallest(top_priorities, "rank")
        if name == "service_points" and "existing" in layer.columns:
            layer = layer[~layer["existing"].fillna(False).astype(bool)]
        out[name] = layer
    agg = layers.get("aggregation_summary")
    if isinstance(agg, gpd.GeoDataFrame) and len(agg):
        desa = agg.copy()
        for c in ("total_affected", "displaced", "population", "buildings_affected"):
            if c in desa.columns:
                desa[c] = desa[c].astype("float64").round()
        if "total_affected" in desa.columns:
            desa["affected_class"] = _classify(desa["total_affected"].to_numpy(), AFFECTED_BREAKS)
            out["desa_affected"] = desa
        if "travel_time_min_before" in desa.columns:
            iso = (desa["isolated"].fillna(False).astype(bool).to_numpy()
                   if "isolated" in desa.columns else np.zeros(len(desa), dtype=bool))
            for when in ("before", "after"):
                t = desa[f"travel_time_min_{when}"].to_numpy(dtype="float64")
                cls = _classify(t, ACCESS_BREAKS_MIN)
                cls[~np.isfinite(t)] = "no_road"
                if when == "after":
                    cls[iso] = "cut"
                    desa[f"travel_time_min_{when}"] = np.where(np.isfinite(t), t, np.nan)
                else:
                    desa[f"travel_time_min_{when}"] = np.where(np.isfinite(t), t, np.nan)
                desa[f"access_class_{when}"] = cls
            access = desa.drop(columns=["affected_class"], errors="ignore")
            out["access_before"] = access
            out["access_after"] = access
            if "desa_affected" in out:
                out["desa_affected"] = desa
            if iso.any():
                cut = desa.loc[iso].copy()
                cut["reason"] = cut["status"] if "status" in cut.columns else "cut by flood"
                out["isolated_desa"] = cut
    return out


def _labels_payload(layers: Mapping[str, gpd.GeoDataFrame]) -> list[list[Any]]:
    """Place names: ``[lat, lon, name, level]`` at a point inside each desa and kecamatan."""
    items: list[list[Any]] = []
    for name, level in (("admin_kecamatan", "kecamatan"), ("admin_desa", "desa")):
        gdf = layers.get(name)
        if not isinstance(gdf, gpd.GeoDataFrame) or "admin_name" not in gdf.columns:
            continue
        ok = gdf.geometry.notna() & ~gdf.geometry.is_empty & gdf["admin_name"].notna()
        g = gdf.loc[ok.to_numpy()]
        if not len(g):
            continue
        pts = gpd.GeoSeries(shapely.point_on_surface(g.geometry.to_numpy()), crs=g.crs)
        ll = shapely.get_coordinates(pts.to_crs(WEB_CRS).to_numpy())
        items.extend(
            [round(float(y), 6), round(float(x), 6), str(n), level]
            for (x, y), n in zip(ll, g["admin_name"], strict=True)
        )
    return items


@deterministic_ids  # reproducible map.html: element ids from a counter, not urandom
def web_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    title: str,
    lang: Lang = "id",
    visible: Sequence[str] | None = None,
    popup_columns: Mapping[str, Sequence[str]] | None = None,
    class_colours: Mapping[str, Mapping[str, str]] | None = None,
    precision: int = 6,
    canvas_threshold: int = 5000,
    background: Background | None = None,
    online_basemaps: bool = False,
    osm_tiles: bool = False,
    labels: bool = True,
    desa_label_zoom: int = 13,
    note: str | None = None,
    focus: Sequence[str] | None = None,
    width: str = "100%",
    height: str = "100%",
) -> OfflineMap:
    """Build an offline Leaflet map of the plan's layers, grouped and stacked, with a legend.

    Layers are listed in the layer control by group (Batas, Bahaya, Keterpaparan, Akses,
    Rekomendasi: each style's ``group``), in the order given within a group, and drawn
    by their style's ``z`` (areas at the bottom, then lines, buildings and points on
    top, kept when a layer is switched off and on). Every layer is drawn on one canvas,
    so that a click picks the topmost feature (a flooded building, not its zone). Areas
    are opaque and outline-only layers (boundaries, the observed 2020 footprint) are
    drawn as lines, so every pixel of the map has the colour of a legend swatch. Known
    names of the output contract get their styles from
    :mod:`~kotacerdas_gis.outputs.styles`, unknown names a neutral default. Each layer
    is converted to EPSG:4326 here and only here; empty layers are left out (logged),
    and features with a missing or empty geometry are left out with a
    :class:`~kotacerdas_gis.errors.RepairWarning`.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layers by contract name, in a metric working CRS (EPSG:32751), any geometry types.
    title : str
        Page title, shown on the map and as the HTML ``<title>``.
    lang : {"id", "en"}, default "id"
        Language of the legend, layer names, tooltips, popups (labels and values, Ya/Tidak,
        numbers as 1.234,5 in id) and controls.
    visible : sequence of str, optional
        Layers shown when the page opens (default: all); the others start unticked.
    popup_columns : mapping of str to sequence of str, optional
        Popup columns per layer, overriding the style's key columns.
    class_colours : mapping of str to mapping of str to str, optional
        ``{layer: {class value: "#RRGGBB"}}`` colour overrides (e.g. a custom hazard class set).
    precision : int, default 6
        Decimals of the coordinates (6 is about 0.1 m; 5 about 1 m).
    canvas_threshold : int, default 5000
        Kept for compatibility: every layer is drawn on the canvas.
    background : Background, optional
        The offline background, the default base layer (:func:`hillshade` of the DEM);
        without it the background is plain.
    online_basemaps : bool, default False
        Offer OpenStreetMap and Esri imagery (xyzservices) as base layers; never chosen
        at opening. When their tiles fail (offline), the map returns to the offline
        background and says so under the legend.
    osm_tiles : bool, default False
        Same as ``online_basemaps`` (older name).
    labels : bool, default True
        Place names of ``admin_kecamatan`` and ``admin_desa`` (``admin_name``), a layer
        of the Batas group; desa names from zoom ``desa_label_zoom``.
    desa_label_zoom : int, default 13
        Zoom from which desa names are shown (kecamatan names until 3 levels more).
    note : str, optional
        A line of text under the legend (e.g. "Demonstration data, not official").
    focus : sequence of str, optional
        Layers whose joint extent the map opens on (default: every drawn layer).
        Names not among ``layers`` are ignored.
    width, height : str
        Map size (CSS).

    Returns
    -------
    OfflineMap
        A :class:`folium.Map`; write it with :func:`write_web_map`.

    Raises
    ------
    CRSError
        If a layer has no CRS, a geographic CRS, or a CRS not in metres.
    SchemaError
        If ``popup_columns`` names a missing column, or ``visible`` an unknown layer.
    DataError
        If a layer has infinite or NaN coordinates (before or after conversion to EPSG:4326).
    ValueError
        If ``lang`` or ``precision`` is not supported.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[Point(203080, 9717839)],
    ...                          crs="EPSG:32751")
    >>> m = web_map({"sensor_sites": sites}, title="Sensor", lang="id")
    >>> "Usulan lokasi sensor" in m.get_root().render()
    True
    """
    from ..errors import SchemaError
    from .styles import MAP_GROUPS

    check_lang(lang)
    if not 1 <= int(precision) <= 6:
        raise ValueError(f"precision: expected 1-6 decimals, found {precision!r}.")
    if visible is not None:
        unknown = [v for v in visible if v not in layers]
        if unknown:
            raise SchemaError(
                f"visible: layers {unknown} are not among the layers given ({list(layers)})."
            )
    for name, gdf in layers.items():
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise SchemaError(
                f"{name}: expected a GeoDataFrame, found {type(gdf).__name__}. "
                "Non-spatial tables belong in the report or the GeoPackage."
            )
        require_metric(gdf, name=name)

    m = OfflineMap(
        location=list(_MAP_LOCATION),
        tiles=None,
        zoom_start=12,
        lang=lang,
        width=width,
        height=height,
        control_scale=False,  # a metric-only scale bar is added by the setup
    )
    cast(Figure, m.get_root()).title = _html.escape(title)
    m.add_child(_Runtime())

    def group_title(key: str) -> str:
        t = MAP_GROUPS.get(key, MAP_GROUPS["lainnya"])
        return t[0] if lang == "id" else t[1]

    group_order = {k: i for i, k in enumerate(MAP_GROUPS)}
    bounds: list[float] | None = None
    drawn: list[tuple[int, int, str, dict[str, Any], LayerStyle, list[LegendEntry], bool]] = []
    for pos, (name, gdf) in enumerate(layers.items()):
        style = layer_style(name)
        if len(gdf) == 0:
            log.info("web map: layer %s is empty and is left out", name)
            continue
        bad = gdf.geometry.isna() | gdf.geometry.is_empty
        if bad.any():
            warnings.warn(
                f"web map: {int(bad.sum())} of {len(gdf)} features of {name} have no geometry "
                "and are not drawn.",
                RepairWarning,
                stacklevel=2,
            )
            gdf = gdf.loc[~bad.to_numpy()]
            if len(gdf) == 0:
                continue
        columns = key_columns(style, gdf, columns=(popup_columns or {}).get(name))
        if popup_columns is None or name not in popup_columns:
            other = "reason_en" if lang == "id" else "reason_id"
            if other in columns and ("reason_" + lang) in columns:
                columns = [c for c in columns if c != other]
        keep = list(
            dict.fromkeys(
                columns
                + [
                    c
                    for c in (style.class_column, "colour", "class_rank", f"label_{lang}")
                    if c and c in gdf.columns
                ]
            )
        )
        _require_finite(gdf, name=name, stage="in the working CRS")
        sub = gdf[keep + [gdf.geometry.name]]
        if style.fill_opacity <= 0:
            # outline-only areas are drawn as their boundaries: clickable on the line only,
            # so they never catch a click meant for what lies inside them
            kinds = sub.geometry.geom_type.str.endswith("Polygon").to_numpy()
            if kinds.any():
                geoms = sub.geometry.to_numpy().copy()
                geoms[kinds] = shapely.boundary(geoms[kinds])
                sub = sub.set_geometry(gpd.GeoSeries(geoms, index=sub.index, crs=sub.crs))
        web = sub.to_crs(WEB_CRS)
        _require_finite(web, name=name, stage="after conversion to EPSG:4326")
        entries = resolve_classes(
            style, web, lang=lang, class_colours=(class_colours or {}).get(name)
        )
        payload = _layer_payload(
            name,
            web,
            style,
            entries,
            columns,
            lang=lang,
            precision=int(precision),
            canvas=True,
        )
        payload["z"] = style.z
        show = visible is None or name in visible
        drawn.append((style.z, pos, name, payload, style, entries, show))
        b = web.total_bounds
        in_focus = not focus or name in focus or not any(f in layers for f in focus)
        if in_focus and np.isfinite(b).all():
            bounds = (
                list(b)
                if bounds is None
                else [
                    min(bounds[0], b[0]),
                    min(bounds[1], b[1]),
                    max(bounds[2], b[2]),
                    max(bounds[3], b[3]),
                ]
            )

    # add in drawing order; list in the control by group, then in the order given
    sections: dict[str, tuple[int, int, str]] = {}
    elements: dict[str, Layer] = {}
    for _z, pos, name, payload, style, entries, show in sorted(drawn, key=lambda d: d[:2]):
        legend_id = f"kc-legend-{len(elements)}"
        el = _CompactLayer(payload, name=_esc(style.title(lang)), legend_id=legend_id, show=show)
        el.add_to(m)
        elements[name] = el
        kind = payload["chunks"][0]["k"] if payload["chunks"] else "A"
        hidden = "" if show else ' style="display:none"'
        if len(entries) == 1 and entries[0].value is None:
            body = (f'<div class="kc-row">{_legend_swatch(kind, style, entries[0])}'
                    f"<span>{_esc(style.title(lang))}</span></div>")
        else:
            rows = "".join(
                f'<div class="kc-row">{_legend_swatch(kind, style, e)}'
                f"<span>{_esc(e.label)}</span></div>"
                for e in entries
            )
            body = f'<div class="kc-sec-title">{_esc(style.title(lang))}</div>{rows}'
        sections[name] = (
            group_order.get(style.group, len(group_order)),
            pos,
            f'<div class="kc-sec" id="{legend_id}" data-layer="{_esc(name)}"{hidden}>{body}</div>',
        )
    label_items = _labels_payload(layers) if labels else []
    overlays: list[tuple[int, int, Layer, str, str]] = []
    for _z, pos, name, _p, style, _e, _s in drawn:
        overlays.append((group_order.get(style.group, len(group_order)), pos, elements[name],
                         style.title(lang), group_title(style.group)))
    if label_items:
        lname = "Nama tempat" if lang == "id" else "Place names"
        lab = _CompactLayer({"name": "place_labels", "items": label_items}, name=_esc(lname),
                            legend_id="", show=True, builder="kcLabels")
        lab.add_to(m)
        overlays.append((group_order["batas"], -1, lab, lname, group_title("batas")))
    overlays.sort(key=lambda o: (o[0], o[1]))

    heading = "Legenda" if lang == "id" else "Legend"
    note_html = f'<div class="kc-note">{_esc(note)}</div>' if note else ""
    ordered = "".join(sec[2] for sec in sorted(sections.values(), key=lambda t: (t[0], t[1])))
    legend = _Legend(
        title_html=_esc(title),
        body_html=(f"<summary>{heading}</summary>{ordered}"
                   f'<div class="kc-msg" id="kc-msg" hidden></div>{note_html}'),
    )
    legend.add_to(m)
    spec = {
        "bg": {"url": background.url, "bounds": background.bounds} if background else None,
        "offTitle": (
            (background.title_id if lang == "id" else background.title_en) if background
            else ("Tanpa peta dasar (luring)" if lang == "id" else "No basemap (offline)")
        ),
        "online": _online_basemaps(lang) if (online_basemaps or osm_tiles) else [],
        "failText": (
            "Peta dasar daring tidak dapat dimuat (tanpa internet): kembali ke peta dasar luring."
            if lang == "id"
            else "The online basemap could not load (no internet): back to the offline one."
        ),
        "legendId": legend.get_name(),
        "desaZoom": int(desa_label_zoom),
        # opened on the focus layers' extent without the zoom animation
        "fit": None if bounds is None else [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
    }
    _Setup(spec, [(o[2], o[3], o[4]) for o in overlays]).add_to(m)
    return m


# ---------------------------------------------------------------------------------------------
# Writing


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from ``xstatic-leaflet``, the CSS with its images as data URIs."""
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ImportError(
            "writing offline web maps needs xstatic-leaflet: pip install 'xstatic-leaflet>=1.9.3'"
        ) from exc
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        target = base / match.group(1)
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments carry bug-tracker URLs
    css = re.sub(r"url\((images/[A-Za-z0-9_.\-]+\.png)\)", inline, css)
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


_URL_RE = re.compile(r"https?://[^\s\"'<>()\\]+", re.IGNORECASE)
_RELATIVE_RE = re.compile(r"""(?:src|href)\s*=\s*["']?//|url\(\s*["']?//|@import""", re.IGNORECASE)


def _external_urls(text: str) -> list[str]:
    found = []
    for url in _URL_RE.findall(text):
        url = url.rstrip(".,;")
        if not any(url == a or url.startswith(a + "/") for a in ALLOWED_URLS):
            found.append(url)
    found.extend(m.group(0) for m in _RELATIVE_RE.finditer(text))
    return sorted(set(found))


def write_web_map(m: folium.Map, path: str | Path) -> Path:
    """Write a map as one self-contained HTML file that works offline, atomically.

    Leaflet's JavaScript and CSS (with its control images as data URIs) are inlined
    from ``xstatic-leaflet``. Any other external reference left in the page (another
    CDN script or stylesheet, a web font, branca's d3) raises, naming it; the only
    URLs allowed are the opt-in OpenStreetMap tile template and attribution links.

    Parameters
    ----------
    m : folium.Map
        Usually from :func:`web_map`.
    path : path-like
        Destination ``.html``; an earlier file is replaced only once writing succeeded.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OfflineAssetError
        If the page refers to an external resource other than Leaflet's.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"name": ["RSUD"]}, geometry=[Point(203080, 9717839)], crs=32751)
    >>> out = write_web_map(web_map({"facilities": pts}, title="t"),
    ...                     pathlib.Path(tempfile.mkdtemp()) / "map.html")
    >>> "cdn.jsdelivr" in out.read_text(encoding="utf-8")
    False
    """
    root = m.get_root()
    page = root.render()
    js_tag = f'<script src="{LEAFLET_JS_URL}"></script>'
    css_tag = f'<link rel="stylesheet" href="{LEAFLET_CSS_URL}"/>'
    js_mark, css_mark = "<!--kc-leaflet-js-->", "<!--kc-leaflet-css-->"
    page = page.replace(js_tag, js_mark, 1).replace(css_tag, css_mark, 1)
    leftovers = _external_urls(page)
    if leftovers:
        raise OfflineAssetError(
            f"the map refers to external resources that would not load offline: {leftovers}. "
            "Build the map with kotacerdas_gis.outputs.webmap.web_map (Leaflet only, circle "
            "markers, HTML legend), or remove the elements that load them (branca colormaps, "
            "awesome markers, plugins)."
        )
    js, css = _leaflet_assets()
    page = page.replace(css_mark, f"<style>{css}</style>", 1)
    page = page.replace(js_mark, f"<script>{js}</script>", 1)
    lang = getattr(m, "kc_lang", None)
    if lang:
        page = page.replace("<html>", f'<html lang="{lang}">', 1)
    return write_text_atomic(page, path)
