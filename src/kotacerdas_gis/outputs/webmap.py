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
    key_columns,
    layer_style,
    resolve_classes,
)

__all__ = [
    "OfflineAssetError",
    "OfflineMap",
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


def _jsonable_column(values: pd.Series, lang: Lang) -> list[Any] | dict[str, Any] | None:
    """Column values for the payload; None when every value is missing."""
    if values.isna().all():
        return None
    if pd.api.types.is_bool_dtype(values):
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
            vals = _jsonable_column(sub[c], lang)
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
        "fields": [[c, column_label(c, lang)] for c in columns],
        "chunks": chunks,
        "lang": lang,
    }


def _dump_payload(payload: Mapping[str, Any]) -> str:
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
function kcFormat(v, lang) {
  if (v === null || v === undefined || v === "") { return "\u2013"; }
  if (typeof v === "number") {
    return v.toLocaleString(lang === "id" ? "id-ID" : "en-GB", {maximumFractionDigits: 3});
  }
  return String(v);
}
function kcLayer(spec) {
  var group = L.featureGroup();
  var renderer = spec.canvas ? L.canvas({padding: 0.5}) : null;
  var scale = Math.pow(10, spec.prec);
  spec.chunks.forEach(function (ch) {
    var pts = kcDecode(ch.c, scale), pi = 0, ri = 0, gi = 0;
    for (var f = 0; f < ch.nf; f++) {
      var sIdx = kcAt(ch.s, f);
      var opts = Object.assign({}, spec.styles[sIdx]);
      if (renderer) { opts.renderer = renderer; }
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
          var v = kcValue(k[0].p[spec.fields[i][0]], k[1], k[2]);
          if (v !== null && v !== undefined && v !== "") { el.textContent = kcFormat(v, spec.lang); break; }
        }
      }
      return el;
    }, {sticky: true});
    group.bindPopup(function (l) {
      var k = kcSource(l), box = document.createElement("div");
      var h = document.createElement("strong"); h.textContent = spec.title; box.appendChild(h);
      var tb = document.createElement("table"); tb.className = "kc-popup";
      spec.fields.forEach(function (fl) {
        var tr = document.createElement("tr"), th = document.createElement("th"),
            td = document.createElement("td");
        th.textContent = fl[1];
        td.textContent = k ? kcFormat(kcValue(k[0].p[fl[0]], k[1], k[2]), spec.lang) : "";
        tr.appendChild(th); tr.appendChild(td); tb.appendChild(tr);
      });
      box.appendChild(tb);
      return box;
    });
  }
  return group;
}
"""  # noqa: E501


class _Runtime(MacroElement):
    """The decoder and layer builder, once per map (in the page header)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <script>{{ this.js }}</script>
        <style>
          table.kc-popup { border-collapse: collapse; margin-top: 4px; font-size: 12px; }
          table.kc-popup th { text-align: left; padding: 1px 8px 1px 0; color: #555; font-weight: normal; }
          table.kc-popup td { padding: 1px 0; }
        </style>
        {% endmacro %}
        """  # noqa: E501
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "KcRuntime"
        self.js = _RUNTIME_JS


class _CompactLayer(Layer):
    """One overlay drawn by the runtime from a compact payload."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = kcLayer({{ this.payload_json }});
            {{ this.get_name() }}._kcLegend = {{ this.legend_id|tojson }};
        {% endmacro %}
        """
    )

    def __init__(
        self, payload: Mapping[str, Any], *, name: str, legend_id: str, show: bool
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "KcLayer"
        self.payload_json = _dump_payload(payload)
        self.legend_id = legend_id


class _Legend(MacroElement):
    """HTML/CSS legend; a section per overlay, hidden while its overlay is off."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .kc-legend { position: absolute; z-index: 1000; bottom: 48px; left: 10px;
            background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 4px;
            box-shadow: 0 1px 5px rgba(0,0,0,0.4); font: 12px/1.4 "Helvetica Neue", Arial, sans-serif;
            max-height: 60%; overflow-y: auto; max-width: 280px; }
          .kc-legend h4 { margin: 0 0 4px 0; font-size: 13px; }
          .kc-legend .kc-sec-title { font-weight: bold; margin-top: 6px; }
          .kc-legend .kc-row { display: flex; align-items: center; gap: 6px; }
          .kc-legend .kc-sw { display: inline-block; width: 18px; height: 12px; box-sizing: border-box; flex: none; }
          .kc-legend .kc-sw.kc-pt { width: 12px; border-radius: 50%; margin: 0 3px; }
          .kc-legend .kc-sw.kc-ln { height: 0; }
          .kc-legend .kc-note { margin-top: 6px; color: #555; font-size: 11px; }
          .kc-title { position: absolute; z-index: 1000; top: 10px; left: 50px; right: 220px;
            font: bold 15px "Helvetica Neue", Arial, sans-serif; color: #222;
            background: rgba(255,255,255,0.85); padding: 4px 8px; border-radius: 4px;
            width: fit-content; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="kc-title">{{ this.title_html }}</div>
        <div class="kc-legend" id="{{ this.get_name() }}">{{ this.body_html }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.on("overlayadd overlayremove", function (e) {
                var id = e.layer && e.layer._kcLegend;
                var el = id ? document.getElementById(id) : null;
                if (el) { el.style.display = (e.type === "overlayadd") ? "" : "none"; }
            });
        {% endmacro %}
        """  # noqa: E501
    )

    def __init__(self, *, title_html: str, body_html: str) -> None:
        super().__init__()
        self._name = "KcLegend"
        self.title_html = title_html
        self.body_html = body_html


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
    if kind == "L":
        dash = "dashed" if style.dash else "solid"
        return (
            f'<span class="kc-sw kc-ln" style="border-top:{max(entry.weight_px, 1.5):.1f}px '
            f'{dash} {c}"></span>'
        )
    outline = _html.escape(style.outline if style.fill_opacity > 0 else entry.colour)
    dash = "dashed" if style.dash else "solid"
    if style.fill_opacity <= 0:
        return f'<span class="kc-sw" style="border:2px {dash} {c}"></span>'
    cls = "kc-sw kc-pt" if kind == "P" else "kc-sw"
    return (
        f'<span class="{cls}" style="background:{c};opacity:{max(style.fill_opacity, 0.5):.2f};'
        f'border:1px solid {outline}"></span>'
    )


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
    osm_tiles: bool = False,
    note: str | None = None,
    focus: Sequence[str] | None = None,
    width: str = "100%",
    height: str = "100%",
) -> OfflineMap:
    """Build an offline Leaflet map of the plan's layers, each a toggleable overlay, with a legend.

    Layers are drawn in the order given (later on top); known names of the output
    contract (``admin_kecamatan``, ``roads``, ``buildings``, ``hazard_zones``,
    ``sensor_sites`` ...) get their styles from :mod:`~kotacerdas_gis.outputs.styles`,
    unknown names a neutral default. Each layer is converted to EPSG:4326 here and
    only here; empty layers are left out (logged), and features with a missing or
    empty geometry are left out with a :class:`~kotacerdas_gis.errors.RepairWarning`.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layers by contract name, in a metric working CRS (EPSG:32751), any geometry types.
    title : str
        Page title, shown on the map and as the HTML ``<title>``.
    lang : {"id", "en"}, default "id"
        Language of the legend, layer names, tooltips and popups.
    visible : sequence of str, optional
        Layers shown when the page opens (default: all); the others start unticked.
    popup_columns : mapping of str to sequence of str, optional
        Popup columns per layer, overriding the style's key columns.
    class_colours : mapping of str to mapping of str to str, optional
        ``{layer: {class value: "#RRGGBB"}}`` colour overrides (e.g. a custom hazard class set).
    precision : int, default 6
        Decimals of the coordinates (6 is about 0.1 m; 5 about 1 m).
    canvas_threshold : int, default 5000
        Layers with more features are drawn on a canvas rather than as SVG paths.
    osm_tiles : bool, default False
        Add an OpenStreetMap basemap overlay, unticked (it needs the network).
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
        control_scale=True,
    )
    cast(Figure, m.get_root()).title = _html.escape(title)
    m.add_child(_Runtime())
    if osm_tiles:
        folium.TileLayer(
            tiles=OSM_TILES_URL,
            name="OpenStreetMap",
            overlay=True,
            show=False,
            control=True,
            attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
            max_zoom=19,
        ).add_to(m)

    bounds: list[float] | None = None
    sections: list[str] = []
    for name, gdf in layers.items():
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
        web = gdf[keep + [gdf.geometry.name]].to_crs(WEB_CRS)
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
            canvas=len(web) > canvas_threshold,
        )
        show = visible is None or name in visible
        legend_id = f"kc-legend-{len(sections)}"
        # Leaflet's layer control inserts overlay names as HTML: escape them
        _CompactLayer(payload, name=_esc(style.title(lang)), legend_id=legend_id, show=show).add_to(
            m
        )
        kind = payload["chunks"][0]["k"] if payload["chunks"] else "A"
        rows = "".join(
            f'<div class="kc-row">{_legend_swatch(kind, style, e)}'
            f"<span>{_esc(e.label)}</span></div>"
            for e in entries
        )
        hidden = "" if show else ' style="display:none"'
        sections.append(
            f'<div class="kc-sec" id="{legend_id}" data-layer="{_esc(name)}"{hidden}>'
            f'<div class="kc-sec-title">{_esc(style.title(lang))}</div>{rows}</div>'
        )
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

    heading = "Legenda" if lang == "id" else "Legend"
    note_html = f'<div class="kc-note">{_esc(note)}</div>' if note else ""
    _Legend(
        title_html=_esc(title), body_html=f"<h4>{heading}</h4>{''.join(sections)}{note_html}"
    ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if bounds is not None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], padding=(10, 10))
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
