"""One sentence per asset, in Bahasa Indonesia and in English, from its top contributions.

Indonesian numbers use '.' for thousands and ',' for decimals (2.140 jiwa; 1,2 miliar);
English ones ',' and '.'.

Examples
--------
>>> fmt_int_id(2140), fmt_int_en(2140), fmt_idr_id(1_250_000_000), fmt_idr_en(350_000_000)
('2.140', '2,140', 'Rp 1,25 miliar', 'IDR 350 million')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .scoring import CRITERIA

__all__ = [
    "TYPE_LABELS",
    "ADVICE_ELSEWHERE_ID",
    "ADVICE_ELSEWHERE_EN",
    "fmt_int_id",
    "fmt_int_en",
    "fmt_idr_id",
    "fmt_idr_en",
    "damage_label",
    "reason_sentences",
]

#: Asset type labels (id, en).
TYPE_LABELS: dict[str, tuple[str, str]] = {
    "health": ("Fasilitas kesehatan", "Health facility"),
    "school": ("Sekolah", "School"),
    "bridge": ("Jembatan", "Bridge"),
    "road": ("Jalan", "Road"),
    "government": ("Kantor pemerintah", "Government office"),
    "market": ("Pasar", "Market"),
    "housing": ("Rumah", "House"),
    "worship": ("Tempat ibadah", "Place of worship"),
    "other": ("Bangunan", "Building"),
}
ADVICE_ELSEWHERE_ID = "di zona bahaya tertinggi: bangun di tempat lain atau tinggikan"
ADVICE_ELSEWHERE_EN = "in the highest hazard class: rebuild elsewhere or raise"


def fmt_int_id(x: float) -> str:
    """Round to a whole number with '.' for thousands (Indonesian)."""
    return f"{round(float(x)):,}".replace(",", ".")


def fmt_int_en(x: float) -> str:
    """Round to a whole number with ',' for thousands (English)."""
    return f"{round(float(x)):,}"


def _short(x: float, *, dec: str) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return s.replace(".", dec)


def fmt_idr_id(x: float) -> str:
    """Rupiah in words Indonesians use: ribu, juta, miliar, triliun."""
    for f, w in ((1e12, "triliun"), (1e9, "miliar"), (1e6, "juta"), (1e3, "ribu")):
        if abs(x) >= f:
            return f"Rp {_short(x / f, dec=',')} {w}"
    return f"Rp {fmt_int_id(x)}"


def fmt_idr_en(x: float) -> str:
    """Rupiah in English short scale: thousand, million, billion, trillion."""
    for f, w in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if abs(x) >= f:
            return f"IDR {_short(x / f, dec='.')} {w}"
    return f"IDR {fmt_int_en(x)}"


def damage_label(frac: float) -> tuple[str, str]:
    """Damage class words (id, en) for a damage fraction, with the percentage."""
    pct = round(100 * float(frac))
    if frac > 0.5:
        return f"rusak berat ({pct} %)", f"heavily damaged ({pct} %)"
    if frac >= 0.3:
        return f"rusak sedang ({pct} %)", f"moderately damaged ({pct} %)"
    if frac > 0:
        return f"rusak ringan ({pct} %)", f"lightly damaged ({pct} %)"
    return "tidak rusak", "not damaged"


def _fragment(k: str, row: Mapping[str, Any], threshold_min: float,
              facility: tuple[str, str]) -> tuple[str, str] | None:
    t = fmt_int_en(threshold_min)
    if k == "access":
        n, p = int(row.get("places_reconnected", 0) or 0), float(row["people_regain_access"])
        k_route = int(row.get("route_assets", 0) or 0)
        rp = float(row.get("route_people_regain_access", 0) or 0)
        if rp > p and k_route > 0:
            rn = int(row.get("route_places_reconnected", 0) or 0)
            what_id = (f"{fmt_int_id(rn)} desa ({fmt_int_id(rp)} jiwa)" if rn else
                       f"akses {fmt_int_id(rp)} jiwa")
            what_en = (f"{fmt_int_en(rn)} {'village' if rn == 1 else 'villages'} "
                       f"({fmt_int_en(rp)} people)" if rn else
                       f"access for {fmt_int_en(rp)} people")
            return (f"bersama {fmt_int_id(k_route)} aset rusak lain di jalurnya, "
                    f"{'menghubungkan kembali' if rn else 'memulihkan'} {what_id} ke "
                    f"{facility[0]} dalam {t} menit",
                    f"with {fmt_int_en(k_route)} other damaged "
                    f"{'asset' if k_route == 1 else 'assets'} on its route, "
                    f"{'reconnects' if rn else 'restores'} {what_en} to {facility[1]} within "
                    f"{t} minutes")
        ap = float(row.get("access_people", p) or 0)
        if ap > p and ap > rp:
            return (f"bagian dari jalur rusak yang menghubungkan warga ke {facility[0]} dalam "
                    f"{t} menit (bagiannya: {fmt_int_id(ap)} jiwa)",
                    f"part of a damaged route that reconnects people to {facility[1]} within "
                    f"{t} minutes (its share: {fmt_int_en(ap)} people)")
        if n > 0:
            return (f"menghubungkan kembali {fmt_int_id(n)} desa ({fmt_int_id(p)} jiwa) ke "
                    f"{facility[0]} dalam {t} menit",
                    f"reconnects {fmt_int_en(n)} {'village' if n == 1 else 'villages'} "
                    f"({fmt_int_en(p)} people) to {facility[1]} within {t} minutes")
        return (f"memulihkan akses {fmt_int_id(p)} jiwa ke {facility[0]} dalam {t} menit",
                f"restores access within {t} minutes to {facility[1]} for {fmt_int_en(p)} "
                "people")
    if k == "damage":
        return damage_label(float(row["damage_frac"]))
    if k == "people_served":
        p = float(row["people_served"])
        return f"melayani {fmt_int_id(p)} jiwa", f"serves {fmt_int_en(p)} people"
    if k == "criticality":
        lab = TYPE_LABELS.get(str(row["asset_type"]).lower(), TYPE_LABELS["other"])
        return f"aset penting: {lab[0].lower()}", f"critical asset: {lab[1].lower()}"
    if k == "future_exposure":
        return "di luar zona bahaya tertinggi", "outside the highest hazard class"
    if k == "cost":
        c = float(row["cost_idr"])
        return f"biaya {fmt_idr_id(c)}", f"cost {fmt_idr_en(c)}"
    return None


def reason_sentences(
    row: Mapping[str, Any],
    *,
    threshold_min: float,
    max_parts: int = 3,
    facility_label: tuple[str, str] = ("fasilitas kesehatan", "a health facility"),
) -> tuple[str, str]:
    """Build the (id, en) sentence of one asset from its largest contributions.

    ``row`` holds ``name``, ``asset_type``, ``asset_id``, ``contrib_<criterion>``,
    ``damage_frac``, ``people_served``, ``people_regain_access``, ``places_reconnected``,
    ``cost_idr`` and ``in_highest_class``. The damage class always closes the sentence when it
    is not among the top parts; the advice for the highest hazard class is always added.

    Examples
    --------
    >>> row = {"name": "Jembatan Radda", "asset_type": "bridge", "asset_id": "b1",
    ...        "contrib_access": 0.3, "contrib_damage": 0.2, "contrib_criticality": 0.1,
    ...        "contrib_people_served": 0.0, "contrib_future_exposure": 0.0,
    ...        "contrib_cost": 0.0, "damage_frac": 0.8, "people_served": 2140,
    ...        "people_regain_access": 2140, "places_reconnected": 3, "cost_idr": 1e9,
    ...        "in_highest_class": False}
    >>> reason_sentences(row, threshold_min=30, max_parts=1)[0]
    'Jembatan Radda: menghubungkan kembali 3 desa (2.140 jiwa) ke fasilitas kesehatan dalam 30 menit; rusak berat (80 %)'
    """  # noqa: E501
    contrib = {k: float(row.get(f"contrib_{k}", 0.0) or 0.0) for k in CRITERIA}
    order = sorted((k for k in CRITERIA if contrib[k] > 0), key=lambda k: (-contrib[k],
                                                                             CRITERIA.index(k)))
    parts = [f for f in (_fragment(k, row, threshold_min, facility_label)
                         for k in order[:max_parts]) if f is not None]
    if "damage" not in order[:max_parts] and float(row.get("damage_frac", 0) or 0) > 0:
        parts.append(damage_label(float(row["damage_frac"])))
    if bool(row.get("in_highest_class", False)):
        parts.append((ADVICE_ELSEWHERE_ID, ADVICE_ELSEWHERE_EN))
    name = row.get("name")
    lab = TYPE_LABELS.get(str(row.get("asset_type", "other")).lower(), TYPE_LABELS["other"])
    if name is None or (isinstance(name, float) and np.isnan(name)) or str(name).strip() == "":
        nid, nen = f"{lab[0]} {row.get('asset_id')}", f"{lab[1]} {row.get('asset_id')}"
    else:
        nid = nen = str(name)
    if not parts:
        return f"{nid}: tidak ada kriteria yang menonjol", f"{nen}: no criterion stands out"
    return (f"{nid}: " + "; ".join(p[0] for p in parts),
            f"{nen}: " + "; ".join(p[1] for p in parts))
