"""A self-contained HTML report of a plan, in Bahasa Indonesia or English.

:func:`write_report` renders whatever sections a run's summary has, with one
jinja2 template (``kotacerdas_gis/templates/report.html.j2``: inline CSS, no
external assets, every text autoescaped). Known sections come first, in this
order, with a heading and an introduction: ``scenario`` (with a prominent
notice when ``summary["scenario"]["demonstration"]`` is true: the bundled
data is a reconstruction, not official data), ``validation`` (the accounting
steps: ``n_in``, repaired, rejected and why), ``hazard``, ``impact``,
``access``, ``sensors``, ``service_points``, ``priorities``. Any other
section is rendered generically, so a later step needs no template change to
appear:

- a mapping becomes a key/value table (nested values rendered inside it),
- a list of mappings or a DataFrame becomes a table,
- a list of plain values becomes a list,
- numbers are formatted for the language (``1.234,5`` in Bahasa Indonesia,
  ``1,234.5`` in English), missing values as a dash; a ``hazard_class``
  column gets the palette's colour swatches.

Examples
--------
>>> import tempfile, pathlib
>>> summary = {"scenario": {"name": "Masamba 2020", "demonstration": True},
...            "hazard": {"zone_area_m2": {"high": 1250000.0, "low": 830500.5}}}
>>> out = write_report(summary, pathlib.Path(tempfile.mkdtemp()) / "report.html",
...                    title="Masamba", lang="en")
>>> text = out.read_text(encoding="utf-8")
>>> "not official data" in text, "1,250,000" in text
(True, True)
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from ..io.atomic import check_data_path, source_date, write_text_atomic
from .styles import ClassStyle, Lang, check_lang, layer_style, normalise_key

__all__ = ["write_report", "render_report", "format_value", "KNOWN_SECTIONS", "KEY_LABELS"]

#: Sections with a fixed place, heading and introduction: ``{key: (id, en, intro_id, intro_en)}``.
KNOWN_SECTIONS: dict[str, tuple[str, str, str, str]] = {
    "key_figures": (
        "Angka kunci",
        "Key figures",
        "Angka utama rencana ini; rinciannya ada di bagian-bagian berikut.",
        "The headline numbers of this plan; the sections below give the detail.",
    ),
    "scenario": (
        "Skenario dan data",
        "Scenario and data",
        "Wilayah kajian, lapisan data yang dipakai dan asal-usulnya.",
        "Study area, the data layers used and where they come from.",
    ),
    "validation": (
        "Pemeriksaan data",
        "Data validation",
        "Setiap langkah mencatat jumlah fitur yang masuk, diperbaiki dan ditolak beserta "
        "alasannya: tidak ada fitur yang hilang tanpa catatan.",
        "Each step records the features it received, repaired and rejected, with "
        "reasons: no feature disappears silently.",
    ),
    "hazard": (
        "Bahaya banjir",
        "Flood hazard",
        "Zona bahaya, kalibrasi terhadap banjir bandang 13 Juli 2020, dan luas per kelas.",
        "Hazard zones, their calibration against the 13 July 2020 flash flood, and area per class.",
    ),
    "impact": (
        "Dampak",
        "Impact",
        "Bangunan, jalan, fasilitas dan penduduk yang terpapar per kelas bahaya.",
        "Buildings, roads, facilities and people exposed per hazard class.",
    ),
    "impact_by_kecamatan": (
        "Dampak per kecamatan",
        "Impact per kecamatan",
        "Angka kunci penduduk dan aset untuk setiap kecamatan (seluruh wilayah studi).",
        "The key people and asset figures of every kecamatan (the whole study area).",
    ),
    "access": (
        "Aksesibilitas",
        "Access",
        "Desa yang terisolasi dan waktu tempuh saat banjir.",
        "Isolated villages and travel times during the flood.",
    ),
    "sensors": (
        "Lokasi sensor",
        "Sensor sites",
        "Usulan lokasi sensor muka air dan penakar hujan.",
        "Proposed water-level sensor and rain-gauge sites.",
    ),
    "service_points": (
        "Titik layanan",
        "Service points",
        "Usulan lokasi tempat pengungsian, pos kesehatan dan titik layanan.",
        "Proposed shelters, health posts and service points.",
    ),
    "priorities": (
        "Prioritas pembangunan kembali",
        "Rebuild priorities",
        "Peringkat aset yang rusak dengan kontribusi setiap kriteria.",
        "Ranking of damaged assets with the contribution of each criterion.",
    ),
}

#: Labels of common summary keys: ``{key: (id, en)}``; other keys are shown as they are.
KEY_LABELS: dict[str, tuple[str, str]] = {
    "area": ("Wilayah angka kunci", "Area of the key figures"),
    "level": ("Tingkat", "Level"),
    "code": ("Kode", "Code"),
    "shelters_recommended": ("Tempat pengungsian yang diusulkan", "Shelters recommended"),
    "shelters_people_within_limit": ("Pengungsi terjangkau dalam batas waktu",
                                     "Displaced people within the time limit"),
    "shelters_people_unreachable": ("Pengungsi tanpa jalan terbuka ke lokasi mana pun",
                                    "Displaced people with no open road to any site"),
    "shelters_gap": ("Selisih terjamin (tempat pengungsian)", "Certified gap (shelters)"),
    "health_posts_recommended": ("Pos kesehatan baru yang diusulkan",
                                 "New health posts recommended"),
    "health_posts_people_within_limit": ("Penduduk terjangkau layanan kesehatan dalam batas waktu",
                                         "People within the time limit of health care"),
    "health_posts_people_unreachable": ("Penduduk tanpa jalan terbuka ke layanan kesehatan",
                                        "People with no open road to health care"),
    "health_posts_gap": ("Selisih terjamin (pos kesehatan)", "Certified gap (health posts)"),
    "water_level_gauges_recommended": ("Pos duga air yang diusulkan",
                                       "Water-level gauges recommended"),
    "rain_gauges_recommended": ("Penakar hujan yang diusulkan", "Rain gauges recommended"),
    "people_warned_in_time_expected": ("Penduduk diperingatkan tepat waktu (harapan per banjir)",
                                       "People warned in time (expected per flash flood)"),
    "sensor_gap": ("Selisih terjamin (sensor)", "Certified gap (sensors)"),
    "top_rebuild_priorities": ("Prioritas pembangunan kembali teratas", "Top rebuild priorities"),
    "rebuild_budget_idr": ("Anggaran pembangunan kembali (Rp)", "Rebuild budget (Rp)"),
    "rebuild_budget_projects": ("Proyek dalam anggaran", "Projects within the budget"),
    "demonstration_data": ("Data demonstrasi", "Demonstration data"),
    "hazard_csi_vs_2020_footprint": (
        "Kecocokan zona DEM dengan banjir 2020 (CSI)",
        "DEM zones vs the 2020 footprint (CSI)",
    ),
    "hazard_area_km2": ("Luas zona bahaya (km²)", "Hazard zone area (km²)"),
    "displacement_rates": (
        "Laju pengungsian per kelas (parameter; bawaan InaSAFE)",
        "Displacement rate per class (a parameter; InaSAFE defaults)",
    ),
    "buildings_affected": ("Bangunan terdampak", "Buildings affected"),
    "people_affected": ("Penduduk terdampak", "People affected"),
    "people_displaced": ("Penduduk mengungsi", "People displaced"),
    "women_displaced": ("Perempuan mengungsi", "Women displaced"),
    "elderly_displaced": ("Lansia mengungsi", "Elderly displaced"),
    "disabled_displaced": ("Penyandang disabilitas mengungsi", "Disabled people displaced"),
    "health_facilities_affected": ("Fasilitas kesehatan terdampak", "Health facilities affected"),
    "roads_affected_km": ("Jalan terdampak (km)", "Roads affected (km)"),
    "weekly_needs_of_displaced": (
        "Kebutuhan minimum pengungsi per minggu",
        "Weekly minimum needs of the displaced",
    ),
    "villages_cut_off_from_health_care": (
        "Desa terputus dari layanan kesehatan",
        "Villages cut off from health care",
    ),
    "name": ("Nama", "Name"),
    "demonstration": ("Data demonstrasi", "Demonstration data"),
    "layers": ("Lapisan", "Layers"),
    "layer": ("Lapisan", "Layer"),
    "count": ("Jumlah", "Count"),
    "provenance": ("Asal data", "Provenance"),
    "source": ("Sumber", "Source"),
    "date": ("Tanggal", "Date"),
    "licence": ("Lisensi", "Licence"),
    "license": ("Lisensi", "Licence"),
    "crs": ("Sistem koordinat", "CRS"),
    "step": ("Langkah", "Step"),
    "n_in": ("Masuk", "In"),
    "n_repaired": ("Diperbaiki", "Repaired"),
    "n_rejected": ("Ditolak", "Rejected"),
    "n_out": ("Keluar", "Out"),
    "reasons_repaired": ("Alasan perbaikan", "Repair reasons"),
    "reasons_rejected": ("Alasan penolakan", "Rejection reasons"),
    "notes": ("Catatan", "Notes"),
    "calibration": ("Kalibrasi", "Calibration"),
    "hazard_class": ("Kelas bahaya", "Hazard class"),
    "exposure_class": ("Kelas keterpaparan", "Exposure class"),
    "area_m2": ("Luas (m²)", "Area (m²)"),
    "area_km2": ("Luas (km²)", "Area (km²)"),
    "length_m": ("Panjang (m)", "Length (m)"),
    "admin_name": ("Nama wilayah", "Area name"),
    "admin_code": ("Kode wilayah", "Area code"),
    "affected": ("Terdampak", "Affected"),
    "total_affected": ("Total terdampak", "Total affected"),
    "displaced": ("Mengungsi", "Displaced"),
    "isolated_villages": ("Desa terisolasi", "Isolated villages"),
    "travel_time_min": ("Waktu tempuh (menit)", "Travel time (min)"),
}

_MAX_ROWS = 500


def _label(key: Any, lang: Lang) -> str:
    labels = KEY_LABELS.get(str(key))
    if labels is None:
        return str(key)
    return labels[0] if lang == "id" else labels[1]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_value(value: Any, lang: Lang = "id") -> str:
    """Format a scalar for the report: numbers with the language's separators, dash for missing.

    Integers get thousands separators; other numbers keep up to three significant
    decimals (two when the value is 1 or more).

    Examples
    --------
    >>> format_value(1234567.891, "id"), format_value(1234567.891, "en")
    ('1.234.567,89', '1,234,567.89')
    >>> format_value(0.04567, "en"), format_value(True, "id"), format_value(None, "en")
    ('0.0457', 'Ya', '–')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return ("Ya" if value else "Tidak") if lang == "id" else ("Yes" if value else "No")
    if isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if value == int(value) and abs(value) < 1e15:
            text = f"{int(value):,}"
        elif abs(value) >= 1:
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
        else:
            text = f"{value:.3g}"
            if "e" in text:
                text = f"{value:.3e}"
            elif abs(value) < 0.1:
                text = f"{value:.4f}".rstrip("0").rstrip(".")
    elif isinstance(value, (_dt.datetime, _dt.date, pd.Timestamp)):
        return value.isoformat()
    else:
        return str(value)
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list, tuple, set, pd.DataFrame, pd.Series, np.ndarray))


def _text(value: Any, lang: Lang) -> dict[str, Any]:
    is_num = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    return {"kind": "text", "text": format_value(value, lang), "cls": "num" if is_num else ""}


def _inline(value: Any, lang: Lang) -> str:
    """Squeeze a nested value into one table cell."""
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(k, lang)}: {_inline(v, lang)}" for k, v in value.items()) or "–"
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return ", ".join(_inline(v, lang) for v in value) or "–"
    return format_value(value, lang)


def _table(records: Sequence[Mapping[str, Any]], lang: Lang,
           palette: Mapping[str, ClassStyle] | None = None) -> dict[str, Any]:
    columns: list[str] = []
    for r in records:
        for k in r:
            if k not in columns:
                columns.append(k)
    hazard = layer_style("hazard_zones")
    rows = []
    for r in records[:_MAX_ROWS]:
        row = []
        for c in columns:
            v = r.get(c)
            if isinstance(v, np.generic):
                v = v.item()
            colour = None
            if c == "hazard_class" and not _is_missing(v):
                cs = (palette or {}).get(normalise_key(v)) or hazard.class_style(v)
                colour = cs.colour if cs else None
                text = cs.label(lang) if cs else str(v)
            elif _is_scalar(v):
                text = format_value(v, lang)
            else:
                text = _inline(v, lang)
            is_num = isinstance(v, (int, float)) and not isinstance(v, bool)
            row.append({"text": text, "cls": "num" if is_num else "", "colour": colour})
        rows.append(row)
    truncated = ""
    if len(records) > _MAX_ROWS:
        truncated = (
            f"{_MAX_ROWS} dari {len(records)} baris ditampilkan; lihat GeoPackage/summary.json."
            if lang == "id"
            else f"{_MAX_ROWS} of {len(records)} rows shown; see the GeoPackage/summary.json."
        )
    return {
        "kind": "table",
        "columns": [{"label": _label(c, lang)} for c in columns],
        "rows": rows,
        "truncated": truncated,
    }


def _block(value: Any, lang: Lang, depth: int = 0,
           palette: Mapping[str, ClassStyle] | None = None) -> dict[str, Any]:
    """Turn any summary value into a render block (text, list, kv, table)."""
    if isinstance(value, pd.DataFrame):
        frame = value.drop(
            columns=[c for c in value.columns if str(value[c].dtype) == "geometry"], errors="ignore"
        )
        return _table(frame.to_dict(orient="records"), lang, palette)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Mapping):
        if depth >= 4:
            return {"kind": "text", "text": _inline(value, lang), "cls": ""}
        return {
            "kind": "kv",
            "rows": [(_label(k, lang), _block(v, lang, depth + 1, palette))
                     for k, v in value.items()],
        }
    if isinstance(value, (list, tuple, set)):
        items = list(value)
        if items and all(isinstance(x, Mapping) for x in items):
            return _table(items, lang, palette)
        if all(_is_scalar(x) for x in items):
            texts = [_text(x, lang) for x in items]
            return {
                "kind": "list",
                "items": texts,
                "inline": len(items) <= 12 and sum(len(t["text"]) for t in texts) < 120,
            }
        return {
            "kind": "list",
            "items": [_block(x, lang, depth + 1, palette) for x in items],
            "inline": False,
        }
    return _text(value, lang)


def _class_palette(summary: Mapping[str, Any]) -> dict[str, ClassStyle]:
    """Swatches of the run's own hazard classes (``summary["hazard"]["classes"]``), by key."""
    hazard = summary.get("hazard")
    rows = hazard.get("classes") if isinstance(hazard, Mapping) else None
    out: dict[str, ClassStyle] = {}
    for r in rows or []:
        if isinstance(r, Mapping) and r.get("key") and r.get("colour"):
            out[normalise_key(r["key"])] = ClassStyle(
                normalise_key(r["key"]), str(r.get("label_id", r["key"])),
                str(r.get("label_en", r["key"])), str(r["colour"]))
    return out


def _demonstration(summary: Mapping[str, Any], lang: Lang) -> dict[str, str] | None:
    scenario = summary.get("scenario")
    if not isinstance(scenario, Mapping) or not scenario.get("demonstration"):
        return None
    if lang == "id":
        return {
            "title": "Data demonstrasi, bukan data resmi.",
            "text": "Data yang dibundel adalah rekonstruksi untuk demonstrasi (bentuk, lokasi dan "
            "jumlah dibuat mendekati kenyataan), bukan data resmi BIG, BNPB atau "
            "Pemerintah Kabupaten Luwu Utara. Jangan gunakan angka dalam laporan ini "
            "untuk keputusan sebelum dijalankan ulang dengan data resmi.",
        }
    return {
        "title": "Demonstration data, not official data.",
        "text": "The bundled data is a reconstruction for demonstration (shapes, places and "
        "counts made to resemble reality), not official data of BIG, BNPB or the "
        "Luwu Utara regency government. Do not base decisions on the numbers in this "
        "report before re-running it on official data.",
    }


def render_report(
    summary: Mapping[str, Any],
    *,
    title: str,
    lang: Lang = "id",
    layers: Mapping[str, Any] | None = None,
    manifest_dir: str | os.PathLike[str] | None = None,
    generated_at: _dt.datetime | None = None,
) -> str:
    """Render the report HTML (see :func:`write_report`) and return it as a string.

    Examples
    --------
    >>> html = render_report({"notes": ["<b>raw</b>"]}, title="T & U", lang="en")
    >>> "T &amp; U" in html and "&lt;b&gt;raw&lt;/b&gt;" in html
    True
    """
    from .. import __version__
    from .report_content import PLAN_KEYS, plan_sections

    check_lang(lang)
    if not isinstance(summary, Mapping):
        raise TypeError(f"summary: expected a mapping of sections, found {type(summary).__name__}.")
    palette = _class_palette(summary)
    plan = "key_figures" in summary
    if plan:
        sections = plan_sections(summary, layers, lang,
                                 manifest_dir=None if manifest_dir is None else str(manifest_dir))
        keys = [k for k in summary if k not in PLAN_KEYS]
    else:
        sections = []
        keys = [k for k in KNOWN_SECTIONS if k in summary]
        keys += [k for k in summary if k not in KNOWN_SECTIONS]
    for key in keys:
        known = KNOWN_SECTIONS.get(key)
        if known:
            heading, intro = (known[0], known[2]) if lang == "id" else (known[1], known[3])
        else:
            heading, intro = str(key).replace("_", " ").capitalize(), ""
        sections.append(
            {
                "key": normalise_key(key),
                "heading": heading,
                "intro": intro,
                "blocks": [{"kind": "generic", "block": _block(summary[key], lang, 0, palette)}],
                "page_break": False,
            }
        )
    when = generated_at or source_date()  # none by default: a rerun writes the same file
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kotacerdas_gis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    template = env.get_template("report.html.j2")
    made = (f"Dibuat oleh kotacerdas_gis {__version__}" if lang == "id"
            else f"Made by kotacerdas_gis {__version__}")
    if when is not None:
        stamp = when.replace(microsecond=0).isoformat()
        made += f" pada {stamp}" if lang == "id" else f" on {stamp}"
    return template.render(
        lang=lang,
        title=title,
        subtitle=(
            "Laporan perencanaan risiko banjir, Kabupaten Luwu Utara"
            if lang == "id"
            else "Flood-risk planning report, Kabupaten Luwu Utara"
        ),
        demonstration=_demonstration(summary, lang),
        sections=sections,
        toc=plan,
        toc_title="Isi" if lang == "id" else "Contents",
        empty_text="Ringkasan kosong." if lang == "id" else "The summary is empty.",
        footer=made + ".",
    )


def write_report(
    summary: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    title: str,
    lang: Lang = "id",
    layers: Mapping[str, Any] | None = None,
    manifest_dir: str | os.PathLike[str] | None = None,
    generated_at: _dt.datetime | None = None,
) -> Path:
    """Write a self-contained HTML report of a run's summary, atomically.

    A plan's summary (one with ``key_figures``, from
    :func:`~kotacerdas_gis.outputs.summary.plan_summary`) becomes a document: a first page
    with the key figures of the focus area and of the whole study area, then hazard,
    impact, access, each recommendation with its reasons and proven quality, the
    assumptions, the data checks and the data sources (see
    :mod:`~kotacerdas_gis.outputs.report_content`); with ``layers`` it has static maps and
    charts (:mod:`~kotacerdas_gis.outputs.figures`, PNG data URIs). Sections the document
    does not know are appended, rendered generically. Any other mapping is rendered
    generically, section by section. Print CSS lays it out on A4.

    Parameters
    ----------
    summary : mapping
        Sections by key (``key_figures``, ``scenario``, ``validation``, ``hazard``,
        ``impact``, ``access``, ``sensors``, ``service_points``, ``priorities``, or anything
        else). Values may be scalars, mappings, lists (of mappings: tables), DataFrames;
        GeoDataFrames are shown without their geometry. ``summary["scenario"]["demonstration"]
        = True`` adds a notice that the data is a reconstruction, not official data.
    path : path-like
        Destination ``.html``.
    title : str
        Report title.
    lang : {"id", "en"}, default "id"
        Language of headings, labels and number formats.
    layers : mapping of str to GeoDataFrame, optional
        The plan's layers (working CRS) for the maps and charts.
    manifest_dir : path-like, optional
        The manifest's folder: file paths are shown relative to it.
    generated_at : datetime, optional
        Time stamp in the footer (default: ``SOURCE_DATE_EPOCH`` when set, else none, so
        that a rerun writes the same file).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``lang`` is not supported.
    TypeError
        If ``summary`` is not a mapping.
    """
    check_data_path(summary, path)
    html = render_report(summary, title=title, lang=lang, layers=layers,
                         manifest_dir=manifest_dir, generated_at=generated_at)
    return write_text_atomic(html, path)
