"""Static maps and charts of a plan for the report (matplotlib, Agg backend, PNG data URIs).

Each function takes the layers of :func:`~kotacerdas_gis.outputs.summary.plan_layers`
(GeoDataFrames in the working CRS, metres) or rows of ``summary.json`` and returns a
:class:`Figure` record (a ``data:image/png;base64,...`` URI, the alt text and a caption in
the report's language) or None when its data is missing. Nothing is written to disk here:
:func:`~kotacerdas_gis.outputs.report.write_report` embeds the images in ``report.html``.

Data text (place and facility names) is drawn with ``parse_math=False``, so a ``$`` in a
name stays text instead of starting matplotlib's mathtext. Figures are made with
matplotlib's object API (:class:`matplotlib.figure.Figure`, rendered by Agg): pyplot's
global backend and figure list are left alone, so the report can be written from a
notebook. In Jupyter a :class:`Figure` shows itself (``_repr_png_``).

Examples
--------
>>> fig = bar_chart([("Masamba", 9928.4), ("Baebunta", 1513.0)], title="t",
...                 xlabel="people", lang="en", alt="people affected per kecamatan")
>>> fig.uri.startswith("data:image/png;base64,"), fig.alt
(True, 'people affected per kecamatan')
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

from .styles import Lang, layer_style

__all__ = [
    "Figure",
    "hazard_map",
    "affected_map",
    "sites_map",
    "bar_chart",
    "class_chart",
    "access_chart",
    "AFFECTED_BINS",
]

#: Class limits (people) of the affected-per-desa map: 0, 1-99, 100-499, 500-999, 1000-2499, 2500+.
AFFECTED_BINS = (1, 100, 500, 1000, 2500)
_AFFECTED_COLOURS = ("#f7f7f7", "#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
#: Width of the report's figures (inches): the A4 text width at 17 cm.
_WIDTH_IN = 6.7
_DPI = 130


@dataclass(frozen=True)
class Figure:
    """One embedded image of the report.

    Attributes
    ----------
    key : str
        Stable id (``hazard_map``, ``affected_map``, ...), used as the ``<figure>`` id.
    uri : str
        ``data:image/png;base64,...``.
    alt, caption : str
        Alternative text and caption, in the report's language (plain text; the template
        escapes them).
    """

    key: str
    uri: str
    alt: str
    caption: str

    def png(self) -> bytes:
        """Return the PNG bytes."""
        return base64.b64decode(self.uri.split(",", 1)[1])

    def _repr_png_(self) -> bytes:
        return self.png()


def _subplots(figsize: tuple[float, float], ncols: int = 1) -> tuple[Any, Any]:
    """Make a figure outside pyplot (no global backend or figure list): ``(fig, ax or axes)``."""
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=figsize)
    return fig, fig.subplots(1, ncols)


def _encode(fig: Any) -> str:
    for ax in fig.axes:
        if ax.get_aspect() == 1.0:  # a map: geopandas labels the axes "Easting [metre]"
            ax.set_xlabel("")
            ax.set_ylabel("")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt_int(v: float, lang: Lang) -> str:
    text = f"{int(round(v)):,}"
    return text.replace(",", ".") if lang == "id" else text


def _extent(frames: Sequence[gpd.GeoDataFrame | None], pad: float = 0.08) -> tuple | None:
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return None
    b = np.array(boxes)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    dx, dy = max(x1 - x0, 500.0), max(y1 - y0, 500.0)
    return (x0 - pad * dx, x1 + pad * dx, y0 - pad * dy, y1 + pad * dy)


def _base(layers: Mapping[str, Any], extent: tuple, lang: Lang, *,
          labels: str | None = "admin_desa") -> tuple[Any, Any]:
    """Draw a map's frame: desa and kecamatan outlines, rivers, place names, scale bar, north."""
    x0, x1, y0, y1 = extent
    aspect = (y1 - y0) / max(x1 - x0, 1.0)
    height = float(np.clip(_WIDTH_IN * aspect, 3.0, 8.5))
    fig, ax = _subplots((_WIDTH_IN, height))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fbfbf8")
    from shapely.geometry import box

    view = box(x0, y0, x1, y1)
    desa = layers.get("admin_desa")
    if isinstance(desa, gpd.GeoDataFrame) and len(desa):
        desa.boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.4, zorder=5)
    kec = layers.get("admin_kecamatan")
    if isinstance(kec, gpd.GeoDataFrame) and len(kec):
        kec.boundary.plot(ax=ax, color="#555555", linewidth=1.0, zorder=6)
    rivers = layers.get("rivers")
    if isinstance(rivers, gpd.GeoDataFrame) and len(rivers):
        rivers.plot(ax=ax, color="#2b8cbe", linewidth=1.1, zorder=7)
    names = layers.get(labels) if labels else None
    if isinstance(names, gpd.GeoDataFrame) and len(names) and "admin_name" in names:
        pts = names.geometry.representative_point()
        inside = pts.within(view)
        for p, name in zip(pts[inside], names.loc[inside, "admin_name"], strict=True):
            ax.text(p.x, p.y, str(name), fontsize=6, ha="center", va="center", color="#333",
                    zorder=20, parse_math=False,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6})
    _scale_bar(ax, extent, lang)
    ax.annotate("U" if lang == "id" else "N", xy=(0.96, 0.95), xytext=(0.96, 0.86),
                xycoords="axes fraction", ha="center", va="center", fontsize=9, weight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#222", "lw": 1.2}, zorder=30)
    return fig, ax


def _scale_bar(ax: Any, extent: tuple, lang: Lang) -> None:
    x0, x1, y0, y1 = extent
    target = (x1 - x0) / 5
    nice = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    length = max([n for n in nice if n <= target] or [nice[0]])
    sx, sy = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([sx, sx + length], [sy, sy], color="#222", linewidth=3, solid_capstyle="butt",
            zorder=30)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    if lang == "id":
        label = label.replace(".", ",")
    ax.text(sx + length / 2, sy + 0.015 * (y1 - y0), label, ha="center", va="bottom",
            fontsize=7, zorder=31,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})


def _legend(ax: Any, items: Sequence[tuple[str, str]], title: str, *, kind: str = "patch",
            loc: str = "lower right") -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    for label, colour in items:
        if kind == "patch":
            handles.append(Patch(facecolor=colour, edgecolor="#666", linewidth=0.4, label=label))
        else:
            handles.append(Line2D([], [], marker=kind, linestyle="none", markersize=7,
                                  markerfacecolor=colour, markeredgecolor="#222", label=label))
    leg = ax.legend(handles=handles, title=title, loc=loc, fontsize=7, title_fontsize=7.5,
                    framealpha=0.9)
    leg.set_zorder(40)


def hazard_map(layers: Mapping[str, Any], lang: Lang, caption: str) -> Figure | None:
    """Map the hazard zones in their class colours (``colour`` column or the palette).

    The extent is the zones' own (plus 8 %); desa names label the view.
    """
    zones = layers.get("hazard_zones")
    if not isinstance(zones, gpd.GeoDataFrame) or not len(zones):
        return None
    extent = _extent([zones])
    assert extent is not None
    fig, ax = _base(layers, extent, lang)
    style = layer_style("hazard_zones")
    order = zones.sort_values("class_rank") if "class_rank" in zones else zones
    def swatch(key: Any) -> str:
        cs = style.class_style(key)
        return cs.colour if cs is not None else "#cccccc"

    colours = order["colour"] if "colour" in order else [swatch(c) for c in order["hazard_class"]]
    order.plot(ax=ax, color=list(colours), linewidth=0, zorder=3)
    seen: dict[str, str] = {}
    labels = order.drop_duplicates("hazard_class").sort_values(
        "class_rank", ascending=False) if "class_rank" in order else order
    for _, r in labels.iterrows():
        lab = r.get("label_id" if lang == "id" else "label_en") or r["hazard_class"]
        seen[str(lab)] = str(r["colour"]) if "colour" in r else "#cccccc"
    _legend(ax, list(seen.items()), "Kelas bahaya" if lang == "id" else "Hazard class")
    alt = ("Peta zona bahaya banjir per kelas" if lang == "id"
           else "Map of the flood hazard zones by class")
    return Figure("hazard_map", _encode(fig), alt, caption)


def affected_map(layers: Mapping[str, Any], lang: Lang, caption: str) -> Figure | None:
    """Map people affected per desa in classes (:data:`AFFECTED_BINS`, whole persons).

    The view is the desa with anyone affected (plus 8 %), the whole set when none is.
    """
    agg = layers.get("aggregation_summary")
    if not isinstance(agg, gpd.GeoDataFrame) or "total_affected" not in agg or not len(agg):
        return None
    values = pd.to_numeric(agg["total_affected"], errors="coerce").fillna(0).round()
    hit = agg[values > 0]
    extent = _extent([hit if len(hit) else agg])
    assert extent is not None
    fig, ax = _base(layers, extent, lang)
    cls = np.digitize(values.to_numpy(), AFFECTED_BINS)
    agg.plot(ax=ax, color=[_AFFECTED_COLOURS[c] for c in cls], edgecolor="#888",
             linewidth=0.3, zorder=2)
    edges = [0, *AFFECTED_BINS]
    items = [("0", _AFFECTED_COLOURS[0])]
    for i in range(1, len(edges)):
        hi = edges[i + 1] - 1 if i + 1 < len(edges) else None
        lo = _fmt_int(edges[i], lang)
        items.append((f"{lo}–{_fmt_int(hi, lang)}" if hi is not None else f"≥ {lo}",
                      _AFFECTED_COLOURS[i]))
    _legend(ax, items, "Penduduk terdampak" if lang == "id" else "People affected")
    alt = ("Peta penduduk terdampak per desa" if lang == "id"
           else "Map of people affected per desa")
    return Figure("affected_map", _encode(fig), alt, caption)


#: Recommended sites on the sites map: (layer, kind, colour, marker, (label id, label en)).
_SITE_KINDS = (
    ("service_points", "shelter", "#2ca25f", "s", ("Tempat pengungsian baru", "New shelter")),
    ("service_points", "health_post", "#e7298a", "P", ("Pos kesehatan baru", "New health post")),
    ("sensor_sites", "water_level", "#08519c", "v", ("Pos duga air", "Water-level gauge")),
    ("sensor_sites", "rain", "#6a51a3", "o", ("Penakar hujan", "Rain gauge")),
)


def sites_map(layers: Mapping[str, Any], lang: Lang, caption: str,
              top_priorities: int = 20) -> Figure | None:
    """Map the recommended sites: new shelters and health posts, sensors, top rebuild priorities.

    Hazard zones are drawn pale beneath; existing facilities kept as sites are not drawn.
    """
    parts: list[tuple[gpd.GeoDataFrame, str, str, str]] = []
    for name, kind, colour, marker, lab in _SITE_KINDS:
        layer = layers.get(name)
        if not isinstance(layer, gpd.GeoDataFrame) or "kind" not in layer:
            continue
        new = layer[~layer["existing"].astype(bool)] if "existing" in layer else layer
        sel = new[new["kind"] == kind]
        if len(sel):
            parts.append((sel, colour, marker, lab[0] if lang == "id" else lab[1]))
    rp = layers.get("rebuild_priorities")
    if isinstance(rp, gpd.GeoDataFrame) and len(rp):
        top = rp.nsmallest(top_priorities, "rank") if "rank" in rp else rp.head(top_priorities)
        top_label = (f"{top_priorities} prioritas pembangunan teratas" if lang == "id"
                     else f"Top {top_priorities} rebuild priorities")
        parts.append((top, "#ff7f00", "D", top_label))
    if not parts:
        return None
    extent = _extent([p[0] for p in parts] + [layers.get("hazard_zones")])
    assert extent is not None
    fig, ax = _base(layers, extent, lang, labels="admin_kecamatan")
    zones = layers.get("hazard_zones")
    if isinstance(zones, gpd.GeoDataFrame) and len(zones):
        zones.plot(ax=ax, color="#c6dbef", linewidth=0, zorder=2)
    for gdf, colour, marker, _ in parts:
        pts = gdf.geometry.representative_point()
        ax.scatter(pts.x, pts.y, s=34, c=colour, marker=marker, edgecolors="#222",
                   linewidths=0.5, zorder=25)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor="#c6dbef", label="Zona bahaya" if lang == "id"
                                else "Hazard zone")]
    handles += [Line2D([], [], marker=m, linestyle="none", markersize=7, markerfacecolor=c,
                       markeredgecolor="#222", label=lab) for _, c, m, lab in parts]
    leg = ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9,
                    title="Rekomendasi" if lang == "id" else "Recommendations",
                    title_fontsize=7.5)
    leg.set_zorder(40)
    alt = ("Peta lokasi yang direkomendasikan" if lang == "id"
           else "Map of the recommended sites")
    return Figure("sites_map", _encode(fig), alt, caption)


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, xlabel: str, lang: Lang,
              alt: str, caption: str = "", key: str = "bar_chart",
              second: Sequence[float] | None = None,
              legend: tuple[str, str] | None = None) -> Figure:
    """Horizontal bars of whole numbers (one or two series), largest first, values written on.

    Parameters
    ----------
    rows : sequence of (label, value)
        Bars; labels are data text (drawn with ``parse_math=False``).
    second : sequence of float, optional
        A second series drawn inside the first (e.g. displaced inside affected).
    legend : (str, str), optional
        Names of the two series.
    """
    labels = [str(r[0]) for r in rows]
    vals = np.array([float(r[1]) for r in rows])
    fig, ax = _subplots((_WIDTH_IN, 0.9 + 0.32 * max(len(rows), 1)))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, vals, color="#fb6a4a", height=0.7, label=legend[0] if legend else None)
    if second is not None:
        ax.barh(y, np.asarray(second, dtype=float), color="#a50f15", height=0.35,
                label=legend[1] if legend else None)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8, parse_math=False)
    top = float(vals.max()) if len(vals) else 1.0
    for yi, v, s in zip(y, vals, second if second is not None else [None] * len(vals),
                        strict=True):
        text = _fmt_int(v, lang) + (f" / {_fmt_int(s, lang)}" if s is not None else "")
        ax.text(v + top * 0.01, yi, text, va="center", fontsize=7)
    ax.set_xlim(0, top * 1.22 if top > 0 else 1)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=9, loc="left", parse_math=False)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_formatter(_int_formatter(lang))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend:
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    return Figure(key, _encode(fig), alt, caption)


def _int_formatter(lang: Lang) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: _fmt_int(v, lang))


def class_chart(rows: Sequence[Mapping[str, Any]], lang: Lang, caption: str) -> Figure | None:
    """Bars per hazard class: people affected and buildings affected side by side.

    Parameters
    ----------
    rows : sequence of mapping
        ``label``, ``colour``, ``people`` and ``buildings`` per class, worst first.
    """
    rows = [r for r in rows if (r.get("people") or 0) > 0 or (r.get("buildings") or 0) > 0]
    if not rows:
        return None
    fig, axes = _subplots((_WIDTH_IN, 2.4), ncols=2)
    for ax, key, title in zip(axes, ("people", "buildings"),
                              (("Penduduk terdampak", "People affected"),
                               ("Bangunan terdampak", "Buildings affected")), strict=True):
        vals = [float(r.get(key) or 0) for r in rows]
        x = np.arange(len(rows))
        ax.bar(x, vals, color=[r["colour"] for r in rows], edgecolor="#555", linewidth=0.5)
        ax.set_xticks(x)
        ax.set_xticklabels([str(r["label"]) for r in rows], fontsize=7.5, parse_math=False)
        ax.set_title(title[0] if lang == "id" else title[1], fontsize=9, loc="left")
        ax.yaxis.set_major_formatter(_int_formatter(lang))
        ax.tick_params(axis="y", labelsize=7)
        top = max(vals) if vals else 1.0
        for xi, v in zip(x, vals, strict=True):
            ax.text(xi, v + top * 0.02, _fmt_int(v, lang), ha="center", fontsize=7)
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    alt = ("Diagram penduduk dan bangunan terdampak per kelas bahaya" if lang == "id"
           else "Chart of people and buildings affected per hazard class")
    return Figure("class_chart", _encode(fig), alt, caption)


def access_chart(rows: Sequence[Mapping[str, Any]], lang: Lang, caption: str) -> Figure | None:
    """Travel time to health care before and after the flood, per desa (dumbbells).

    Parameters
    ----------
    rows : sequence of mapping
        ``name``, ``before`` and ``after`` (minutes; ``after`` None when the flood cuts
        the desa off, drawn as a cross at the right edge labelled "cut off").
    """
    if not rows:
        return None
    fig, ax = _subplots((_WIDTH_IN, 0.9 + 0.3 * len(rows)))
    finite = [float(r[k]) for r in rows for k in ("before", "after")
              if r.get(k) is not None and np.isfinite(float(r[k]))]
    right = max(finite or [10.0]) * 1.15 + 5
    cut = "terputus" if lang == "id" else "cut off"
    for i, r in enumerate(rows[::-1]):
        b = r.get("before")
        a = r.get("after")
        b_ok = b is not None and np.isfinite(float(b))
        a_ok = a is not None and np.isfinite(float(a))
        if b_ok and a_ok:
            ax.plot([b, a], [i, i], color="#999", linewidth=1.5, zorder=1)
        if b_ok:
            ax.scatter([b], [i], color="#3182bd", s=22, zorder=2)
        if a_ok:
            ax.scatter([a], [i], color="#de2d26", s=22, zorder=3)
        else:
            ax.scatter([right], [i], color="#de2d26", marker="x", s=30, zorder=3)
            ax.text(right, i + 0.25, cut, fontsize=6.5, ha="center", color="#de2d26")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([str(r["name"]) for r in rows[::-1]], fontsize=8, parse_math=False)
    ax.set_xlim(0, right * 1.08)
    ax.set_xlabel("Waktu tempuh ke layanan kesehatan (menit)" if lang == "id"
                  else "Travel time to health care (minutes)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    from matplotlib.lines import Line2D

    ax.legend(handles=[
        Line2D([], [], marker="o", linestyle="none", color="#3182bd",
               label="sebelum banjir" if lang == "id" else "before the flood"),
        Line2D([], [], marker="o", linestyle="none", color="#de2d26",
               label="saat banjir" if lang == "id" else "during the flood")],
        fontsize=7, loc="lower right", frameon=True, framealpha=0.9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    alt = ("Diagram waktu tempuh ke layanan kesehatan sebelum dan saat banjir" if lang == "id"
           else "Chart of travel time to health care before and during the flood")
    return Figure("access_chart", _encode(fig), alt, caption)
