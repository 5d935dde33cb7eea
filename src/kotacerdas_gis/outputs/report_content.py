"""The sections of a plan's report: what an official reads, built from ``summary.json`` and layers.

:func:`plan_sections` turns the summary of
:func:`~kotacerdas_gis.outputs.summary.plan_summary` (and, when given, the layers of
:func:`~kotacerdas_gis.outputs.summary.plan_layers` for the maps and charts) into a list
of sections made of a few block kinds, which ``templates/report.html.j2`` renders:

- ``{"kind": "p", "text": ...}`` a paragraph; ``{"kind": "bullets", "items": [...]}``;
- ``{"kind": "cards", "title": ..., "cards": [{"value", "label"}]}`` key figures;
- ``{"kind": "table", "caption", "columns": [{"label", "num"}], "rows": [[cell]]}`` where a
  cell is ``{"text", "num", "colour"}``;
- ``{"kind": "figure", "figure": Figure}`` (:mod:`.figures`).

Every label is in the report's language; people are whole numbers, lengths in km, areas
in km², money in Rp juta/miliar, shares in %. Only the plan summary's own keys are read
(``key_figures``, ``hazard``, ``impact``, ``impact_by_kecamatan``, ``access``,
``service_points``, ``sensors``, ``priorities``, ``scenario``, ``validation``); a missing
key drops its section or block, never the report.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

import geopandas as gpd

from . import figures as F
from .styles import Lang

__all__ = ["plan_sections", "quality_in_words", "people", "PLAN_KEYS", "EVACUATED_2020"]

#: Summary keys that :func:`plan_sections` presents (others go to the report's appendix).
PLAN_KEYS = ("key_figures", "scenario", "validation", "hazard", "impact", "impact_by_kecamatan",
             "access", "service_points", "sensors", "priorities", "parameters", "skipped",
             "timings_s", "outputs", "kotacerdas_gis_version")
#: People evacuated in Luwu Utara after the flash flood of 13 July 2020 (BNPB, news accounts).
EVACUATED_2020 = 14_483

_ASSET_TYPES = {
    "bridge": ("Jembatan", "Bridge"), "road": ("Jalan", "Road"),
    "housing": ("Rumah", "Housing"), "health": ("Kesehatan", "Health"),
    "school": ("Sekolah", "School"), "government": ("Pemerintahan", "Government"),
    "market": ("Pasar", "Market"), "worship": ("Tempat ibadah", "Place of worship"),
    "other": ("Lainnya", "Other"),
}
_ADVICE = {
    "rebuild elsewhere or raise": ("bangun di tempat lain atau tinggikan",
                                   "rebuild elsewhere or raise"),
    "rebuild in place": ("bangun kembali di tempat", "rebuild in place"),
}
_ACCESS_STATUS = {
    "cut by flood": ("terputus oleh banjir", "cut off by the flood"),
    "not reachable before the flood": ("tak terjangkau sebelum banjir",
                                       "not reachable before the flood"),
}
_NEEDS = (
    ("rice_kg", ("Beras", "Rice"), "kg"),
    ("drinking_water_l", ("Air minum", "Drinking water"), "l"),
    ("clean_water_l", ("Air bersih", "Clean water"), "l"),
    ("family_kit", ("Paket keluarga", "Family kits"), ""),
    ("toilet", ("Toilet", "Toilets"), ""),
)


def _t(lang: Lang, id_: str, en: str) -> str:
    return id_ if lang == "id" else en


def _num(v: Any, lang: Lang, digits: int = 0) -> str:
    """Format a number with the language's separators (dash when missing)."""
    if v is None:
        return "–"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞"
    text = f"{x:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def people(v: Any, lang: Lang) -> str:
    """Whole persons, with thousands separators.

    Examples
    --------
    >>> people(352.99, "id"), people(14483, "en"), people(None, "en")
    ('353', '14,483', '–')
    """
    return _num(v, lang, 0)


def _pct(share: Any, lang: Lang) -> str:
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return _num(100 * float(share), lang, 0) + " %"


def _rp(v: Any, lang: Lang) -> str:
    """Rupiah in juta (millions) or miliar (billions)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    x = float(v)
    if abs(x) >= 1e9:
        return f"Rp {_num(x / 1e9, lang, 1)} " + _t(lang, "miliar", "billion")
    return f"Rp {_num(x / 1e6, lang, 0)} " + _t(lang, "juta", "million")


def quality_in_words(gap: Any, status: Any, lang: Lang, *, sense: str = "max") -> str:
    """Say what the solver proved about a recommendation, from its certified gap.

    ``gap`` is the relative distance between the solution and the solver's bound
    (0.004 = 0.4 %): the best possible plan is at most that much better.

    Examples
    --------
    >>> quality_in_words(0.0, "optimal", "en")
    'proven optimal: no plan under the same conditions does better'
    >>> quality_in_words(0.004, "gap_limit", "en")
    'at most 0.4 % below the best possible'
    >>> quality_in_words(0.004, "gap_limit", "id", sense="min")
    'paling banyak 0,4 % di atas yang terbaik yang mungkin'
    """
    try:
        g = float(gap)
    except (TypeError, ValueError):
        return _t(lang, "mutu solusi tidak diketahui", "quality of the solution unknown")
    if math.isnan(g):
        return _t(lang, "mutu solusi tidak diketahui", "quality of the solution unknown")
    if g <= 1e-9 or (status == "optimal" and g < 1e-6):
        return _t(lang, "terbukti optimal: tidak ada rencana dengan syarat yang sama yang "
                  "lebih baik", "proven optimal: no plan under the same conditions does better")
    pct = 100 * g
    digits = 1 if pct >= 0.1 else 2
    text = _num(max(pct, 10 ** -digits), lang, digits)
    if sense == "min":
        return _t(lang, f"paling banyak {text} % di atas yang terbaik yang mungkin",
                  f"at most {text} % above the best possible")
    return _t(lang, f"paling banyak {text} % di bawah yang terbaik yang mungkin",
              f"at most {text} % below the best possible")


def _cell(text: Any, num: bool = False, colour: str | None = None) -> dict[str, Any]:
    return {"text": str(text), "num": num, "colour": colour}


def _table(caption: str, columns: Sequence[tuple[str, bool]], rows: Sequence[Sequence[Any]],
           note: str = "") -> dict[str, Any]:
    cells = [[c if isinstance(c, dict) else _cell(c, columns[i][1]) for i, c in enumerate(r)]
             for r in rows]
    return {"kind": "table", "caption": caption, "note": note,
            "columns": [{"label": lab, "num": num} for lab, num in columns], "rows": cells}


def _p(text: str) -> dict[str, Any]:
    return {"kind": "p", "text": text}


def _fig(figure: F.Figure | None) -> list[dict[str, Any]]:
    return [{"kind": "figure", "figure": figure}] if figure is not None else []


def _section(key: str, heading: str, blocks: list[dict[str, Any]], *,
             page_break: bool = False) -> dict[str, Any]:
    return {"key": key, "heading": heading, "intro": "", "blocks": blocks,
            "page_break": page_break}


def _classes(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(summary.get("hazard", {}).get("classes") or [])


def _class_label(classes: Sequence[Mapping[str, Any]], key: str, lang: Lang) -> tuple[str, str]:
    for c in classes:
        if c.get("key") == key:
            return str(c.get("label_id" if lang == "id" else "label_en", key)), str(c["colour"])
    return key, "#cccccc"


# ------------------------------------------------------------------------------ sections


def _area_name(area: Mapping[str, Any], lang: Lang) -> str:
    level = area.get("level")
    if level == "kecamatan":
        return f"Kecamatan {area.get('name')}"
    if level == "desa":
        return f"Desa {area.get('name')}"
    return _t(lang, "Seluruh wilayah studi", "The whole study area")


def _study_area_figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    kf = summary.get("key_figures", {})
    if isinstance(kf.get("study_area"), Mapping):
        return dict(kf["study_area"])
    a = summary.get("impact", {}).get("analysis_summary", {})
    out: dict[str, Any] = {
        "people_affected": a.get("total_affected"), "people_displaced": a.get("displaced"),
        "buildings_affected": a.get("buildings_affected"),
        "health_facilities_affected": a.get("health_facilities_affected"),
    }
    if a.get("roads_affected_length_m") is not None:
        out["roads_affected_km"] = float(a["roads_affected_length_m"]) / 1000
    iso = summary.get("access", {}).get("isolated")
    if iso is not None:
        out["villages_cut_off_from_health_care"] = sorted(
            str(r.get("name")) for r in iso if r.get("kind") == "desa")
    return out


def _cards(fig: Mapping[str, Any], lang: Lang) -> list[dict[str, str]]:
    out = []
    for key, label, fmt in (
        ("people_affected", _t(lang, "penduduk terdampak", "people affected"), "people"),
        ("people_displaced", _t(lang, "penduduk mengungsi (model)", "people displaced (model)"),
         "people"),
        ("buildings_affected", _t(lang, "bangunan terdampak", "buildings affected"), "people"),
        ("roads_affected_km", _t(lang, "km jalan terdampak", "km of road affected"), "km"),
        ("health_facilities_affected", _t(lang, "fasilitas kesehatan terdampak",
                                          "health facilities affected"), "people"),
    ):
        v = fig.get(key)
        if v is None:
            continue
        out.append({"value": _num(v, lang, 1) if fmt == "km" else people(v, lang),
                    "label": label})
    cut = fig.get("villages_cut_off_from_health_care")
    if cut is not None:
        out.append({"value": people(len(cut), lang),
                    "label": _t(lang, "desa terputus dari layanan kesehatan",
                                "villages cut off from health care")})
    return out


def _cover(summary: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    kf = summary.get("key_figures", {})
    area = kf.get("area", {"level": "study_area"})
    blocks: list[dict[str, Any]] = []
    scen = summary.get("scenario", {})
    study = _t(lang, "Seluruh wilayah studi", "The whole study area")
    if scen.get("name"):
        study += f" ({scen['name']})"
    if area.get("level") != "study_area":
        blocks.append({"kind": "cards", "key": "focus",
                       "title": _t(lang, "Wilayah fokus: ", "Focus area: ")
                       + _area_name(area, lang), "cards": _cards(kf, lang)})
    blocks.append({"kind": "cards", "key": "study_area", "title": study,
                   "cards": _cards(_study_area_figures(summary), lang)})
    rec = []
    for key, label in (
        ("shelters_recommended", _t(lang, "tempat pengungsian baru", "new shelters")),
        ("health_posts_recommended", _t(lang, "pos kesehatan baru", "new health posts")),
        ("water_level_gauges_recommended", _t(lang, "pos duga air", "water-level gauges")),
        ("rain_gauges_recommended", _t(lang, "penakar hujan", "rain gauges")),
        ("rebuild_budget_projects", _t(lang, "proyek pembangunan dalam anggaran",
                                       "rebuild projects within the budget")),
    ):
        if kf.get(key) is not None:
            rec.append({"value": people(kf[key], lang), "label": label})
    if rec:
        blocks.append({"kind": "cards", "key": "recommendations",
                       "title": _t(lang, "Rekomendasi (seluruh wilayah studi)",
                                   "Recommendations (the whole study area)"), "cards": rec})
    bullets = []
    area_km2 = kf.get("hazard_area_km2")
    if area_km2:
        bullets.append(_t(
            lang, f"Zona bahaya banjir seluas {_num(sum(area_km2.values()), lang, 1)} km² "
            "di seluruh wilayah studi.",
            f"Flood hazard zones cover {_num(sum(area_km2.values()), lang, 1)} km² of the "
            "whole study area."))
    cut = kf.get("villages_cut_off_from_health_care")
    if cut:
        where = _area_name(area, lang)
        bullets.append(_t(lang, f"Desa terputus dari layanan kesehatan ({where}): ",
                          f"Villages cut off from health care ({where}): ")
                       + ", ".join(map(str, cut)) + ".")
    top = kf.get("top_rebuild_priorities")
    if top:
        bullets.append(_t(lang, "Bangun kembali lebih dahulu: ", "Rebuild first: ")
                       + "; ".join(map(str, top)) + ".")
    if bullets:
        blocks.append({"kind": "bullets", "items": bullets})
    return _section("key_figures", _t(lang, "Ringkasan", "Summary"), blocks)


def _hazard(summary: Mapping[str, Any], layers: Mapping[str, Any], lang: Lang
            ) -> dict[str, Any] | None:
    hz = summary.get("hazard")
    if not hz:
        return None
    classes = _classes(summary)
    blocks: list[dict[str, Any]] = []
    cap = _t(lang, "Zona bahaya banjir (gabungan jejak banjir 13 Juli 2020 dan zona dari DEM; "
             "kelas tertinggi menang).",
             "Flood hazard zones (the 13 July 2020 footprint combined with the DEM-derived "
             "zones; the highest class wins).")
    blocks += _fig(F.hazard_map(layers, lang, cap) if layers else None)
    areas = hz.get("zones", {}).get("area_by_class_m2", {})
    rates = summary.get("key_figures", {}).get("displacement_rates", {})
    depth = {r.get("hazard_class"): r for r in summary.get("impact", {}).get("hazard_classes", [])}
    rows = []
    for c in classes:
        key = c["key"]
        if key not in areas:
            continue
        label, colour = _class_label(classes, key, lang)
        d = depth.get(key, {})
        rows.append([_cell(label, colour=colour), _cell(_num(areas[key] / 1e6, lang, 2), True),
                     _cell(people(d.get("n_zones"), lang), True),
                     _cell(_pct(rates.get(key), lang), True)])
    if rows:
        blocks.append(_table(
            _t(lang, "Luas zona bahaya per kelas (seluruh wilayah studi)",
               "Hazard zone area per class (the whole study area)"),
            [(_t(lang, "Kelas bahaya", "Hazard class"), False), ("km²", True),
             (_t(lang, "Jumlah zona", "Zones"), True),
             (_t(lang, "Laju pengungsian", "Displacement rate"), True)], rows))
    cal = hz.get("calibration")
    if cal:
        blocks.append(_p(_t(
            lang,
            f"Zona dari DEM (ketinggian di atas drainase terdekat, HAND) disesuaikan dengan jejak "
            f"banjir 13 Juli 2020: muka air {_num(cal.get('stage_m'), lang, 2)} m di atas "
            f"drainase, sungai dengan daerah tangkapan ≥ "
            f"{_num(cal.get('min_drain_area_km2'), lang, 0)} km². Zona ini mengenai "
            f"{_pct(cal.get('pod'), lang)} dari jejak yang teramati; {_pct(cal.get('far'), lang)} "
            f"dari zonanya berada di luar jejak. Indeks keberhasilan kritis (CSI) "
            f"{_num(cal.get('csi'), lang, 2)} (1 = sama persis).",
            f"The DEM-derived zones (height above the nearest drainage, HAND) were fitted to the "
            f"13 July 2020 footprint: a water stage of {_num(cal.get('stage_m'), lang, 2)} m "
            f"above drainage, streams with a catchment of at least "
            f"{_num(cal.get('min_drain_area_km2'), lang, 0)} km². They cover "
            f"{_pct(cal.get('pod'), lang)} of the observed footprint; "
            f"{_pct(cal.get('far'), lang)} of their area lies outside it. Critical success "
            f"index (CSI) {_num(cal.get('csi'), lang, 2)} (1 = identical).")))
    return _section("hazard", _t(lang, "Bahaya banjir", "Flood hazard"), blocks,
                    page_break=True)


def _impact(summary: Mapping[str, Any], layers: Mapping[str, Any], lang: Lang
            ) -> dict[str, Any] | None:
    imp = summary.get("impact")
    if not imp:
        return None
    blocks: list[dict[str, Any]] = []
    blocks.append(_p(_t(
        lang, "Terdampak: penduduk dan aset di dalam zona bahaya (kelas mana pun). Sebuah "
        "bangunan terdampak bila zona menyentuhnya; penduduk desa dibagi ke bangunan tempat "
        "tinggal, dan mengungsi = terdampak × laju pengungsian kelasnya.",
        "Affected: people and assets inside a hazard zone (any class). A building is affected "
        "when a zone touches it; a desa's people are spread over its residential buildings, and "
        "displaced = affected × the displacement rate of their class.")))
    if layers:
        blocks += _fig(F.affected_map(layers, lang, _t(
            lang, "Penduduk terdampak per desa (seluruh wilayah studi).",
            "People affected per desa (the whole study area).")))
    classes = _classes(summary)
    a = imp.get("analysis_summary", {})
    agg = layers.get("aggregation_summary") if layers else None
    crow = []
    for c in classes:
        key = c["key"]
        label, colour = _class_label(classes, key, lang)
        ppl = None
        if isinstance(agg, pd.DataFrame) and f"affected_{key}" in agg:
            ppl = float(pd.to_numeric(agg[f"affected_{key}"], errors="coerce").sum())
        crow.append({"label": label, "colour": colour, "people": ppl,
                     "buildings": a.get(f"buildings_{key}")})
    if any(r["people"] is not None for r in crow):
        blocks += _fig(F.class_chart(crow, lang, _t(
            lang, "Penduduk dan bangunan terdampak per kelas bahaya (seluruh wilayah studi).",
            "People and buildings affected per hazard class (the whole study area).")))
    kec = [r for r in summary.get("impact_by_kecamatan", []) if r.get("people_affected")]
    kec.sort(key=lambda r: -(r.get("people_affected") or 0))
    if kec:
        blocks += _fig(F.bar_chart(
            [(r["admin_name"], r["people_affected"]) for r in kec],
            second=[r.get("people_displaced") or 0 for r in kec],
            legend=(_t(lang, "terdampak", "affected"), _t(lang, "mengungsi", "displaced")),
            title=_t(lang, "Penduduk terdampak / mengungsi per kecamatan",
                     "People affected / displaced per kecamatan"),
            xlabel=_t(lang, "orang", "people"), lang=lang, key="kecamatan_chart",
            alt=_t(lang, "Diagram penduduk terdampak per kecamatan",
                   "Chart of people affected per kecamatan"),
            caption=_t(lang, "Kecamatan dengan penduduk terdampak.",
                       "Kecamatan with people affected.")))
        blocks.append(_table(
            _t(lang, "Dampak per kecamatan", "Impact per kecamatan"),
            [("Kecamatan", False), (_t(lang, "Penduduk terdampak", "People affected"), True),
             (_t(lang, "Mengungsi", "Displaced"), True),
             (_t(lang, "Bangunan terdampak", "Buildings affected"), True),
             (_t(lang, "Jalan terdampak (km)", "Roads affected (km)"), True),
             (_t(lang, "Faskes terdampak", "Health facilities affected"), True)],
            [[r["admin_name"], people(r.get("people_affected"), lang),
              people(r.get("people_displaced"), lang), people(r.get("buildings_affected"), lang),
              _num(r.get("roads_affected_km"), lang, 1),
              people(r.get("health_facilities_affected"), lang)] for r in kec]))
    desa = imp.get("most_affected_desa") or []
    if desa:
        blocks.append(_table(
            _t(lang, f"{len(desa)} desa dengan penduduk terdampak terbanyak",
               f"The {len(desa)} desa with the most people affected"),
            [("Desa", False), (_t(lang, "Penduduk terdampak", "People affected"), True),
             (_t(lang, "Mengungsi", "Displaced"), True)],
            [[r.get("admin_name") or r.get("admin_code"), people(r.get("total_affected"), lang),
              people(r.get("displaced"), lang)] for r in desa]))
    needs_all = imp.get("minimum_needs") or {}
    needs_focus = summary.get("key_figures", {}).get("weekly_needs_of_displaced") or {}
    area = summary.get("key_figures", {}).get("area", {"level": "study_area"})
    if needs_all:
        focus = area.get("level") != "study_area" and needs_focus
        cols = [(_t(lang, "Kebutuhan", "Need"), False)]
        if focus:
            cols.append((_area_name(area, lang), True))
        cols.append((_t(lang, "Seluruh wilayah studi", "Whole study area"), True))
        rows = []
        for key, labels, unit in _NEEDS:
            if key not in needs_all:
                continue
            name = labels[0] if lang == "id" else labels[1]
            row = [f"{name} ({unit})" if unit else name]
            if focus:
                row.append(people(needs_focus.get(key), lang))
            row.append(people(needs_all.get(key), lang))
            rows.append(row)
        blocks.append(_table(
            _t(lang, "Kebutuhan minimum pengungsi per minggu (Perka BNPB 7/2008)",
               "Weekly minimum needs of the displaced (BNPB regulation 7/2008)"), cols, rows))
    return _section("impact", _t(lang, "Dampak", "Impact"), blocks, page_break=True)


def _access(summary: Mapping[str, Any], layers: Mapping[str, Any], lang: Lang
            ) -> dict[str, Any] | None:
    acc = summary.get("access")
    if not acc:
        return None
    blocks: list[dict[str, Any]] = []
    d = acc.get("desa", {})
    if d:
        blocks.append(_p(_t(
            lang,
            f"Waktu tempuh dari pusat desa ke fasilitas kesehatan terdekat, di jalan sebelum dan "
            f"saat banjir (ruas di kelas bahaya tertinggi terputus, ruas lain melambat). Median "
            f"{_num(d.get('median_travel_time_min_before'), lang, 1)} menit sebelum, "
            f"{_num(d.get('median_travel_time_min_after'), lang, 1)} menit saat banjir; "
            f"{people(acc.get('road_segments_cut'), lang)} ruas jalan dan "
            f"{people(acc.get('bridges_cut'), lang)} jembatan terputus.",
            f"Travel time from each desa centre to the nearest health facility on the roads "
            f"before and during the flood (segments in the highest hazard class cut, others "
            f"slowed). Median {_num(d.get('median_travel_time_min_before'), lang, 1)} min "
            f"before, {_num(d.get('median_travel_time_min_after'), lang, 1)} min during the "
            f"flood; {people(acc.get('road_segments_cut'), lang)} road segments and "
            f"{people(acc.get('bridges_cut'), lang)} bridges cut.")))
    agg = layers.get("aggregation_summary") if layers else None
    if isinstance(agg, pd.DataFrame) and "travel_time_min_before" in agg:
        t = pd.DataFrame(agg.drop(columns="geometry", errors="ignore"))
        before = pd.to_numeric(t["travel_time_min_before"], errors="coerce")
        after = pd.to_numeric(t["travel_time_min_after"], errors="coerce")
        delta = (after.where(after.notna() & (after != math.inf), 1e9) - before)
        pick = t.assign(_d=delta, _b=before, _a=after)
        pick = pick[(pick["_d"] > 0.05) & pick["_b"].notna()].sort_values("_d", ascending=False)
        rows = [{"name": r["admin_name"], "before": r["_b"],
                 "after": None if (pd.isna(r["_a"]) or r["_a"] == math.inf) else r["_a"]}
                for _, r in pick.head(15).iterrows()]
        blocks += _fig(F.access_chart(rows, lang, _t(
            lang, "Desa yang waktu tempuhnya ke layanan kesehatan bertambah karena banjir "
            "(paling banyak 15, bertambah terbanyak lebih dahulu).",
            "Desa whose travel time to health care grows with the flood (at most 15, the "
            "largest increase first).")))
    iso = [r for r in acc.get("isolated", []) if r.get("kind") == "desa"]
    if iso:
        def status(r: Mapping[str, Any]) -> str:
            s = str(r.get("reason", ""))
            return _ACCESS_STATUS.get(s, (s, s))[0 if lang == "id" else 1]

        blocks.append(_table(
            _t(lang, "Desa terputus dari layanan kesehatan (seluruh wilayah studi)",
               "Villages cut off from health care (the whole study area)"),
            [("Desa", False), (_t(lang, "Sebab", "Why"), False),
             (_t(lang, "Sebelum banjir (menit)", "Before the flood (min)"), True)],
            [[r.get("name"), status(r), _num(r.get("travel_time_min_before"), lang, 0)]
             for r in iso]))
    n_fac = sum(1 for r in acc.get("isolated", []) if r.get("kind") != "desa")
    if n_fac:
        blocks.append(_p(_t(lang, f"Selain itu {n_fac} fasilitas terputus dari layanan "
                                  "kesehatan (lihat lapisan isolated di plan.gpkg).",
                            f"Also {n_fac} facilities are cut off from health care (see the "
                            "isolated table in plan.gpkg).")))
    return _section("access", _t(lang, "Akses ke layanan kesehatan", "Access to health care"),
                    blocks)


def _recommendations_map(layers: Mapping[str, Any], lang: Lang) -> list[dict[str, Any]]:
    if not layers:
        return []
    return _fig(F.sites_map(layers, lang, _t(
        lang, "Lokasi yang direkomendasikan: tempat pengungsian dan pos kesehatan baru, sensor, "
        "dan 20 prioritas pembangunan kembali teratas.",
        "Recommended sites: new shelters and health posts, sensors and the top 20 rebuild "
        "priorities.")))


def _service_points(summary: Mapping[str, Any], layers: Mapping[str, Any], lang: Lang
                    ) -> dict[str, Any] | None:
    sp = summary.get("service_points")
    if not sp:
        return None
    blocks: list[dict[str, Any]] = _recommendations_map(layers, lang)
    sites = layers.get("service_points") if layers else None
    for key, name, who in (
        ("shelters", _t(lang, "Tempat pengungsian", "Shelters"),
         _t(lang, "pengungsi, berjalan kaki", "displaced people, on foot")),
        ("health_posts", _t(lang, "Pos kesehatan", "Health posts"),
         _t(lang, "penduduk, berkendara", "residents, by vehicle")),
    ):
        res = sp.get(key)
        if not res:
            continue
        rep, sol = res.get("report", {}), res.get("solver", {})
        limit = _num(rep.get("max_time_min"), lang, 0)
        covered = people(rep.get("persons_covered_within_limit"), lang)
        n_new = (rep.get("p") or 0) - (rep.get("n_existing") or 0)
        text = _t(
            lang,
            f"{name}: {people(n_new, lang)} lokasi baru (model {str(rep.get('model', '')).upper()})"
            f" untuk {who}, dalam {limit} menit. {covered}"
            f" dari {people(rep.get('persons_total'), lang)} orang terjangkau dalam batas waktu; "
            f"{people(rep.get('persons_unreachable'), lang)} orang tidak punya jalan terbuka ke "
            f"lokasi mana pun. Mutu: {quality_in_words(sol.get('gap'), sol.get('status'), lang)}.",
            f"{name}: {people(n_new, lang)} new sites (model {str(rep.get('model', '')).upper()}) "
            f"for {who}, within {limit} minutes. {covered}"
            f" of {people(rep.get('persons_total'), lang)} people are reached within the limit; "
            f"{people(rep.get('persons_unreachable'), lang)} have no open road to any site. "
            f"Quality: {quality_in_words(sol.get('gap'), sol.get('status'), lang)}.")
        blocks.append(_p(text))
        if isinstance(sites, pd.DataFrame) and "kind" in sites:
            kind = "shelter" if key == "shelters" else "health_post"
            new = sites[(sites["kind"] == kind) & ~sites["existing"].astype(bool)]
            new = new.sort_values("people_covered", ascending=False)
            reason = "reason_id" if lang == "id" else "reason_en"
            where = _desa_of(new, layers)
            capacitated = bool(rep.get("capacitated"))
            rows = [[f"{where[i]} ({r['site_id']})" if where.get(i) else r["site_id"],
                     people(r.get("people_covered"), lang),
                     _num(r.get("mean_travel_time_min"), lang, 0),
                     people(r.get("capacity_persons"), lang) if capacitated else "–",
                     r.get(reason) or ""]
                    for i, r in new.iterrows()]
            idle = int((pd.to_numeric(new["people_covered"], errors="coerce").fillna(0)
                        < 0.5).sum())
            if idle:
                blocks.append(_p(_t(
                    lang, f"{idle} dari {len(new)} lokasi baru tidak mendapat seorang pun "
                    "(semua yang dapat dijangkaunya dilayani lokasi lain): orang yang sama "
                    "terjangkau dengan lebih sedikit lokasi; jumlah lokasi adalah parameter.",
                    f"{idle} of the {len(new)} new sites are assigned nobody (everyone they "
                    "could reach is served by another site): the same people are reached with "
                    "fewer sites; the number of sites is a parameter.")))
            if rows:
                blocks.append(_table(
                    _t(lang, f"{name} baru yang direkomendasikan",
                       f"New {name.lower()} recommended"),
                    [(_t(lang, "Lokasi (desa)", "Site (desa)"), False),
                     (_t(lang, "Orang terjangkau", "People reached"), True),
                     (_t(lang, "Rata-rata waktu (menit)", "Mean time (min)"), True),
                     (_t(lang, "Kapasitas (orang)", "Capacity (people)"), True),
                     (_t(lang, "Alasan", "Reason"), False)], rows))
    return _section("service_points", _t(lang, "Titik layanan", "Service points"), blocks,
                    page_break=True)


def _desa_of(points: pd.DataFrame, layers: Mapping[str, Any]) -> dict[Any, str]:
    """Name the desa each point lies in (by index), for tables of sites."""
    desa = layers.get("admin_desa") if layers else None
    if (not isinstance(points, gpd.GeoDataFrame) or not isinstance(desa, gpd.GeoDataFrame)
            or "admin_name" not in desa or not len(points)):
        return {}
    pts = points[[points.geometry.name]].copy()
    pts = pts.set_geometry(pts.geometry.representative_point())
    hit = gpd.sjoin(pts, desa[["admin_name", desa.geometry.name]].to_crs(points.crs),
                    how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    return {i: str(v) for i, v in hit["admin_name"].items() if isinstance(v, str)}


def _sensors(summary: Mapping[str, Any], layers: Mapping[str, Any], lang: Lang
             ) -> dict[str, Any] | None:
    se = summary.get("sensors")
    if not se:
        return None
    fig = se.get("figures", {})
    wl, rain = se.get("water_level", {}), se.get("rain", {})
    blocks: list[dict[str, Any]] = [_p(_t(
        lang,
        f"{people(fig.get('n_water_level_new'), lang)} pos duga air baru ditempatkan agar banjir "
        f"melewatinya sebelum mencapai penduduk: diharapkan "
        f"{people(fig.get('people_warned_expected'), lang)} dari "
        f"{people(fig.get('people_exposed_expected'), lang)} orang terpapar per banjir bandang "
        f"diperingatkan tepat waktu ({_pct(fig.get('warned_share'), lang)}); "
        f"{people(fig.get('people_unwarnable_expected'), lang)} orang tinggal terlalu dekat dengan "
        f"sumber banjir untuk diperingatkan oleh pos mana pun. Mutu: "
        f"{quality_in_words(wl.get('gap'), wl.get('status'), lang)}. "
        f"{people(fig.get('rain_gauges_new'), lang)} penakar hujan meliputi "
        f"{_pct(fig.get('rain_area_covered_share'), lang)} daerah tangkapan; mutu: "
        f"{quality_in_words(rain.get('gap'), rain.get('status'), lang)}.",
        f"{people(fig.get('n_water_level_new'), lang)} new water-level gauges are placed so "
        f"that the flood passes them before it reaches people: of "
        f"{people(fig.get('people_exposed_expected'), lang)} people exposed per flash flood, "
        f"{people(fig.get('people_warned_expected'), lang)} are expected to be warned in time "
        f"({_pct(fig.get('warned_share'), lang)}); "
        f"{people(fig.get('people_unwarnable_expected'), lang)} live too close to the source "
        f"of the flood for any gauge to warn them. Quality: "
        f"{quality_in_words(wl.get('gap'), wl.get('status'), lang)}. "
        f"{people(fig.get('rain_gauges_new'), lang)} rain gauges cover "
        f"{_pct(fig.get('rain_area_covered_share'), lang)} of the catchment; quality: "
        f"{quality_in_words(rain.get('gap'), rain.get('status'), lang)}."))]
    sites = se.get("sites") or []
    if sites:
        reason = "reason_id" if lang == "id" else "reason_en"
        kinds = {"water_level": _t(lang, "Pos duga air", "Water-level gauge"),
                 "rain": _t(lang, "Penakar hujan", "Rain gauge")}
        blocks.append(_table(
            _t(lang, "Lokasi sensor yang direkomendasikan", "Sensor sites recommended"),
            [(_t(lang, "Jenis", "Kind"), False),
             (_t(lang, "Orang diperingatkan (harapan)", "People warned (expected)"), True),
             (_t(lang, "Waktu peringatan median (menit)", "Median lead time (min)"), True),
             (_t(lang, "Alasan", "Reason"), False)],
            [[kinds.get(str(s.get("kind")), str(s.get("kind"))),
              people(s.get("expected_people_warned"), lang),
              _num(s.get("lead_time_median_min"), lang, 0), s.get(reason) or ""]
             for s in sites]))
    bands = se.get("lead_time_bands") or []
    if bands:
        def band(b: Mapping[str, Any]) -> str:
            name = str(b.get("band"))
            if name == "no gauge upstream":
                return _t(lang, "tidak ada pos di hulu", "no gauge upstream")
            return name.replace("min", _t(lang, "menit", "min"))

        blocks.append(_table(
            _t(lang, "Waktu peringatan yang diharapkan per banjir bandang",
               "Expected warning lead time per flash flood"),
            [(_t(lang, "Waktu peringatan", "Lead time"), False),
             (_t(lang, "Orang", "People"), True), (_t(lang, "Bagian", "Share"), True)],
            [[band(b), people(b.get("people_expected"), lang), _pct(b.get("share"), lang)]
             for b in bands]))
    return _section("sensors", _t(lang, "Sensor peringatan dini", "Early-warning sensors"),
                    blocks)


def _priorities(summary: Mapping[str, Any], lang: Lang, n: int = 10) -> dict[str, Any] | None:
    pr = summary.get("priorities")
    if not pr:
        return None
    blocks: list[dict[str, Any]] = []
    w = pr.get("weights", {})
    if w:
        names = {"damage": ("kerusakan", "damage"), "criticality": ("kekritisan", "criticality"),
                 "people_served": ("penduduk terlayani", "people served"),
                 "access": ("akses yang pulih", "access regained"),
                 "future_exposure": ("keterpaparan mendatang", "future exposure"),
                 "cost": ("biaya", "cost")}
        parts = ", ".join(f"{names.get(k, (k, k))[0 if lang == 'id' else 1]} "
                          f"{_pct(v, lang)}" for k, v in w.items())
        blocks.append(_p(_t(
            lang, f"{people(pr.get('n_ranked'), lang)} aset yang rusak diberi peringkat dengan "
            f"bobot: {parts}. Kestabilan: bagian dari 1.000 bobot acak di sekitarnya yang tetap "
            "menempatkan aset di 20 teratas.",
            f"{people(pr.get('n_ranked'), lang)} damaged assets are ranked with the weights: "
            f"{parts}. Stability: the share of 1,000 random nearby weightings that keep the "
            "asset in the top 20.")))
    b = pr.get("budget")
    if b:
        blocks.append(_p(_t(
            lang, f"Anggaran {_rp(b.get('budget_idr'), lang)} membiayai "
            f"{people(b.get('n_selected'), lang)} proyek ({_rp(b.get('cost_idr'), lang)}), "
            f"dengan jembatan sebelum jalan yang bergantung padanya. Mutu pilihan: "
            f"{quality_in_words(b.get('gap'), b.get('status'), lang)}.",
            f"A budget of {_rp(b.get('budget_idr'), lang)} buys "
            f"{people(b.get('n_selected'), lang)} projects ({_rp(b.get('cost_idr'), lang)}), "
            f"bridges before the roads that depend on them. Quality of the choice: "
            f"{quality_in_words(b.get('gap'), b.get('status'), lang)}.")))
    top = (pr.get("top") or [])[:n]
    if top:
        reason = "reason_id" if lang == "id" else "reason_en"
        yes, no = _t(lang, "Ya", "Yes"), _t(lang, "Tidak", "No")
        rows = []
        for r in top:
            t = _ASSET_TYPES.get(str(r.get("asset_type")), (r.get("asset_type"),) * 2)
            name = r.get("name")
            rows.append([
                people(r.get("rank"), lang),
                f"{name} ({r.get('asset_id')})" if isinstance(name, str) and name
                else str(r.get("asset_id")),
                t[0 if lang == "id" else 1], _pct(r.get("damage_frac"), lang),
                _rp(r.get("cost_idr"), lang), _pct(r.get("stability_top_share"), lang),
                yes if r.get("in_budget") else no, r.get(reason) or ""])
        blocks.append(_table(
            _t(lang, f"{len(top)} prioritas pembangunan kembali teratas",
               f"The top {len(top)} rebuild priorities"),
            [(_t(lang, "Peringkat", "Rank"), True), ("Aset" if lang == "id" else "Asset", False),
             (_t(lang, "Jenis", "Type"), False), (_t(lang, "Kerusakan", "Damage"), True),
             (_t(lang, "Biaya", "Cost"), True), (_t(lang, "Kestabilan", "Stability"), True),
             (_t(lang, "Dalam anggaran", "In the budget"), False),
             (_t(lang, "Alasan", "Reason"), False)], rows,
            note=_t(lang, "Daftar lengkap: lapisan rebuild_priorities di plan.gpkg.",
                    "The full list: layer rebuild_priorities in plan.gpkg.")))
    return _section("priorities", _t(lang, "Prioritas pembangunan kembali", "Rebuild priorities"),
                    blocks, page_break=True)


def _assumptions(summary: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    kf = summary.get("key_figures", {})
    rates = kf.get("displacement_rates", {})
    classes = _classes(summary)
    items = [_t(
        lang, "Terdampak berarti berada di dalam zona bahaya mana pun; tidak berarti rusak atau "
        "terluka. Bangunan dihitung terdampak bila zona menyentuh tapaknya.",
        "Affected means inside any hazard zone; it does not mean damaged or hurt. A building "
        "counts as affected when a zone touches its footprint.")]
    if rates:
        rtext = ", ".join(f"{_class_label(classes, k, lang)[0]} {_pct(v, lang)}"
                          for k, v in rates.items())
        displaced = summary.get("impact", {}).get("analysis_summary", {}).get("displaced")
        items.append(_t(
            lang, f"Laju pengungsian per kelas (bawaan InaSAFE): {rtext}. Dengan laju ini model "
            f"memperkirakan {people(displaced, lang)} pengungsi di seluruh wilayah studi, "
            f"sedangkan sekitar {people(EVACUATED_2020, lang)} orang mengungsi pada Juli 2020: "
            "laju bawaan meremehkan pengungsian akibat banjir bandang berlumpur. Untuk "
            "perencanaan tempat pengungsian gunakan laju yang lebih tinggi (parameter "
            "class_set).",
            f"Displacement rate per class (InaSAFE defaults): {rtext}. With these rates the "
            f"model puts the displaced at {people(displaced, lang)} in the whole study area, "
            f"where about {people(EVACUATED_2020, lang)} people were evacuated in July 2020: "
            "the default rates understate displacement by a mud-laden flash flood. For shelter "
            "planning use higher rates (parameter class_set)."))
    cover = summary.get("hazard", {}).get("dem_covers_frac_of_study_area")
    if cover is not None:
        items.append(_t(
            lang, f"DEM hanya meliputi {_pct(cover, lang)} wilayah studi: zona dari DEM hanya "
            "ada di sana; di luar itu hanya jejak banjir 2020 yang dipakai.",
            f"The DEM covers {_pct(cover, lang)} of the study area: DEM-derived zones exist "
            "only there; elsewhere only the 2020 footprint is used."))
    if summary.get("scenario", {}).get("demonstration"):
        items.append(_t(
            lang, "Data yang dibundel adalah rekonstruksi: nama tempat dan kode Kemendagri nyata, "
            "tetapi geometri dan angka sintetis. Angka laporan ini menunjukkan cara kerja, "
            "bukan keadaan sebenarnya.",
            "The bundled data is a reconstruction: place names and Kemendagri codes are real, "
            "geometry and numbers are synthetic. The numbers of this report show the method, "
            "not the real situation."))
    items.append(_t(
        lang, "Rekomendasi dihitung pada jalan yang tetap terbuka saat banjir; tempat tanpa "
        "jalan terbuka dilaporkan, tidak dibuang.",
        "Recommendations are computed on the roads that stay open during the flood; places "
        "with no open road are reported, not dropped."))
    return _section("assumptions", _t(lang, "Asumsi dan keterbatasan",
                                      "Assumptions and limits"),
                    [{"kind": "bullets", "items": items}])


def _rel(path: Any, base: str | None) -> str:
    """Show a path relative to the manifest's folder (POSIX separators); shorten absolute ones."""
    if path is None:
        return "–"
    text = str(path).replace("\\", "/")
    if base and posixpath.isabs(text):
        try:
            rel = posixpath.relpath(text, base.replace("\\", "/"))
            if not rel.startswith("../../"):
                return rel
        except ValueError:
            pass
    if posixpath.isabs(text):
        return posixpath.basename(text)
    return text


def _validation_and_provenance(summary: Mapping[str, Any], lang: Lang,
                               base: str | None) -> list[dict[str, Any]]:
    out = []
    val = summary.get("validation")
    if val:
        steps = val.get("accounting", [])
        busy = [s for s in steps if s.get("n_repaired") or s.get("n_rejected")]

        def reasons(d: Mapping[str, Any]) -> str:
            return "; ".join(f"{k}: {people(v, lang)}" for k, v in d.items()) or "–"

        blocks: list[dict[str, Any]] = [_p(_t(
            lang, f"{people(len(steps), lang)} langkah pembacaan dan pemeriksaan; "
            f"{people(len(steps) - len(busy), lang)} tanpa perbaikan atau penolakan. Tidak ada "
            "fitur yang hilang tanpa catatan.",
            f"{people(len(steps), lang)} reading and checking steps; "
            f"{people(len(steps) - len(busy), lang)} with no repair or rejection. No feature "
            "disappears without a record."))]
        if busy:
            blocks.append(_table(
                _t(lang, "Perbaikan dan penolakan data masukan", "Input repairs and rejections"),
                [(_t(lang, "Langkah", "Step"), False), (_t(lang, "Masuk", "In"), True),
                 (_t(lang, "Diperbaiki", "Repaired"), True),
                 (_t(lang, "Ditolak", "Rejected"), True), (_t(lang, "Alasan", "Reasons"), False)],
                [[s.get("step"), people(s.get("n_in"), lang), people(s.get("n_repaired"), lang),
                  people(s.get("n_rejected"), lang),
                  reasons({**s.get("reasons_repaired", {}), **s.get("reasons_rejected", {})})]
                 for s in busy]))
        for remark in val.get("remarks", []):
            blocks.append(_p(str(remark)))
        out.append(_section("validation", _t(lang, "Pemeriksaan data", "Data checks"), blocks))
    prov = summary.get("scenario", {}).get("provenance") or {}
    note = _t(lang, "Lapisan hasil dan parameternya: tabel provenance di plan.gpkg dan "
              "summary.json.", "Result layers and their parameters: the provenance table of "
              "plan.gpkg and summary.json.")
    if prov:
        rows = [[layer, p.get("source") or "–", p.get("licence") or "–", p.get("date") or "–",
                 _rel(p.get("path"), base)] for layer, p in prov.items()]
        pblocks: list[dict[str, Any]] = [_table(
            _t(lang, "Lapisan masukan (jalur relatif terhadap manifest)",
               "Input layers (paths relative to the manifest)"),
            [(_t(lang, "Lapisan", "Layer"), False), (_t(lang, "Sumber", "Source"), False),
             (_t(lang, "Lisensi", "Licence"), False), (_t(lang, "Tanggal", "Date"), False),
             (_t(lang, "Berkas", "File"), False)], rows, note=note)]
    else:
        pblocks = [_p(_t(lang, "Skenario ini tidak mencatat asal data lapisan masukannya. ",
                         "This scenario records no sources for its input layers. ") + note)]
    out.append(_section("provenance", _t(lang, "Asal data", "Data sources"), pblocks))
    return out


def plan_sections(summary: Mapping[str, Any], layers: Mapping[str, gpd.GeoDataFrame] | None,
                  lang: Lang, *, manifest_dir: str | None = None) -> list[dict[str, Any]]:
    """Build the report's sections from a plan summary (and its layers for maps and charts).

    Parameters
    ----------
    summary : mapping
        :func:`~kotacerdas_gis.outputs.summary.plan_summary` (JSON-ready).
    layers : mapping of str to GeoDataFrame, optional
        :func:`~kotacerdas_gis.outputs.summary.plan_layers`, working CRS (metres); without
        them the report has no maps or charts.
    lang : {"id", "en"}
    manifest_dir : str, optional
        Folder of the manifest: file paths are shown relative to it.

    Returns
    -------
    list of dict
        Sections ``key_figures``, ``hazard``, ``impact``, ``access``, ``service_points``,
        ``sensors``, ``priorities``, ``assumptions``, ``validation``, ``provenance``
        (those with data), each ``{"key", "heading", "blocks", "page_break"}``.
    """
    lay = layers or {}
    builders: list[Callable[[], dict[str, Any] | None]] = [
        lambda: _cover(summary, lang) if "key_figures" in summary else None,
        lambda: _hazard(summary, lay, lang),
        lambda: _impact(summary, lay, lang),
        lambda: _access(summary, lay, lang),
        lambda: _service_points(summary, lay, lang),
        lambda: _sensors(summary, lay, lang) if "service_points" in summary
        else _with_map(_sensors(summary, lay, lang), lay, lang),
        lambda: _priorities(summary, lang),
        lambda: _assumptions(summary, lang) if "key_figures" in summary else None,
    ]
    out = [s for s in (b() for b in builders) if s is not None]
    return out + _validation_and_provenance(summary, lang, manifest_dir)


def _with_map(section: dict[str, Any] | None, layers: Mapping[str, Any], lang: Lang
              ) -> dict[str, Any] | None:
    if section is not None:
        section["blocks"] = _recommendations_map(layers, lang) + section["blocks"]
    return section
