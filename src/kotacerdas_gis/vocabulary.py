"""The vocabulary: every exposure class list, with its labels (id/en) and colours, in one place.

Buildings and point facilities share InaSAFE's exposure classes; roads have
InaSAFE's road classes, each with a default travel speed. The readers
(:mod:`kotacerdas_gis.schemas`), the exposure step, the road network's speeds
and every style (web map, QGIS, report) derive their lists from here, so a
class is spelled one way and drawn one way everywhere. Hazard class sets are
data of their own, in :mod:`kotacerdas_gis.hazard.classes`.

A class has a **value** (as stored in the data, InaSAFE's spelling:
``"place of worship"``) and a **key** (:func:`class_key`: ``"place_of_worship"``),
used for column names (``buildings_place_of_worship``) and palette look-ups.
Any spelling with the same key is the same class (:func:`canonical_classes`).

Examples
--------
>>> class_key(" Place-of Worship "), BUILDING_CLASSES["place_of_worship"].value
('place_of_worship', 'place of worship')
>>> ROAD_CLASSES["primary"].speed_kmh, ROAD_CLASSES["primary"].label("id")
(50.0, 'Jalan primer')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .errors import ParameterError

__all__ = [
    "Lang",
    "LANGS",
    "check_lang",
    "class_key",
    "VocabClass",
    "Vocabulary",
    "BUILDING_CLASSES",
    "ROAD_CLASSES",
    "FLOOD_MATERIAL_CLASSES",
    "NOT_EXPOSED",
    "NOT_EXPOSED_LABELS",
    "canonical_classes",
    "COLUMN_LABELS",
    "VALUE_LABELS",
    "value_label",
]

Lang = Literal["id", "en"]
LANGS: tuple[str, ...] = get_args(Lang)

#: ``hazard_class`` of an asset outside every zone, and its labels.
NOT_EXPOSED = "not exposed"
NOT_EXPOSED_LABELS = ("Tidak terdampak", "Not exposed")


def check_lang(lang: Any) -> Lang:
    """Return ``lang`` if it is a supported language, else raise :class:`ParameterError`.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.ParameterError: lang: expected one of 'id', 'en', found 'fr'. Use lang="id" (Bahasa Indonesia) or lang="en".
    """  # noqa: E501
    if lang not in LANGS:
        raise ParameterError(
            f"lang: expected one of {', '.join(repr(x) for x in LANGS)}, found {lang!r}. "
            'Use lang="id" (Bahasa Indonesia) or lang="en".'
        )
    return lang  # type: ignore[no-any-return]


def class_key(value: Any) -> str:
    """Return the key of a class value: lower case, runs of other characters to ``_``.

    The one normaliser of class values: column names, palette look-ups and the
    matching of spellings all use it.

    Examples
    --------
    >>> class_key("Place of Worship"), class_key("use-caution"), class_key("evacuation_centre")
    ('place_of_worship', 'use_caution', 'evacuation_centre')
    """
    return re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")


@dataclass(frozen=True)
class VocabClass:
    """One class of a vocabulary.

    Attributes
    ----------
    value : str
        The value as stored in the data (InaSAFE's spelling).
    label_id, label_en : str
        Labels in Bahasa Indonesia and English.
    colour : str
        ``#RRGGBB`` shared by the web map, QGIS and the report.
    weight_px : float or None
        Line width (roads).
    speed_kmh : float or None
        Default travel speed (roads), km/h: a parameter, not a fact (no survey behind
        it; calibrate locally through ``PlanConfig.speeds_kmh``).
    """

    value: str
    label_id: str
    label_en: str
    colour: str
    weight_px: float | None = None
    speed_kmh: float | None = None

    @property
    def key(self) -> str:
        """The class key (:func:`class_key` of the value)."""
        return class_key(self.value)

    def label(self, lang: Lang = "id") -> str:
        """Return the label in ``lang``."""
        return self.label_id if check_lang(lang) == "id" else self.label_en


@dataclass(frozen=True)
class Vocabulary:
    """An ordered class list, looked up by value or key."""

    name: str
    classes: tuple[VocabClass, ...]
    fallback: str = "other"

    def __iter__(self) -> Iterator[VocabClass]:
        return iter(self.classes)

    def __len__(self) -> int:
        return len(self.classes)

    def __getitem__(self, value: str) -> VocabClass:
        key = class_key(value)
        for c in self.classes:
            if c.key == key:
                return c
        raise KeyError(value)

    def get(self, value: Any) -> VocabClass | None:
        """Return the class of a value or key (any spelling), or None."""
        try:
            return self[str(value)]
        except KeyError:
            return None

    @property
    def values(self) -> tuple[str, ...]:
        """The values, in order (InaSAFE's spelling)."""
        return tuple(c.value for c in self.classes)

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys, in order."""
        return tuple(c.key for c in self.classes)


def canonical_classes(values: Iterable[Any], vocabulary: Vocabulary) -> tuple[list[str], int]:
    """Map values of any spelling to the vocabulary's values; unknown ones to its fallback.

    Parameters
    ----------
    values : iterable
        Class values as read (None and NaN count as unknown).
    vocabulary : Vocabulary
        The class list.

    Returns
    -------
    (list of str, int)
        The canonical values, and how many were unknown (to count as repaired).

    Examples
    --------
    >>> canonical_classes(["Place_of_Worship", "HEALTH", "mall", None], BUILDING_CLASSES)
    (['place of worship', 'health', 'other', 'other'], 2)
    """
    by_key = {c.key: c.value for c in vocabulary}
    out: list[str] = []
    unknown = 0
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            hit = None
        else:
            hit = by_key.get(class_key(v))
        if hit is None:
            unknown += 1
            hit = vocabulary.fallback
        out.append(hit)
    return out, unknown


#: InaSAFE's building (and point facility) exposure classes.
BUILDING_CLASSES = Vocabulary("building", (
    VocabClass("residential", "Permukiman", "Residential", "#E5C494"),
    VocabClass("education", "Pendidikan", "Education", "#1F78B4"),
    VocabClass("health", "Kesehatan", "Health", "#E31A1C"),
    VocabClass("transport", "Transportasi", "Transport", "#6A3D9A"),
    VocabClass("place of worship", "Tempat ibadah", "Place of worship", "#33A02C"),
    VocabClass("government", "Pemerintahan", "Government", "#FF7F00"),
    VocabClass("commercial", "Perdagangan", "Commercial", "#FB9A99"),
    VocabClass("recreation", "Rekreasi", "Recreation", "#B2DF8A"),
    VocabClass("public facility", "Fasilitas umum", "Public facility", "#A6CEE3"),
    VocabClass("evacuation centre", "Pusat evakuasi", "Evacuation centre", "#B15928"),
    VocabClass("other", "Lainnya", "Other", "#BDBDBD"),
))

#: InaSAFE's road classes, widest first, with default speeds for rural Sulawesi in mixed
#: traffic (km/h; parameters, not facts: calibrate locally).
ROAD_CLASSES = Vocabulary("road", (
    VocabClass("motorway", "Jalan bebas hambatan", "Motorway", "#B2182B", 4.0, 80.0),
    VocabClass("primary", "Jalan primer", "Primary road", "#E34A33", 3.0, 50.0),
    VocabClass("secondary", "Jalan sekunder", "Secondary road", "#FC8D59", 2.5, 40.0),
    VocabClass("local", "Jalan lokal", "Local road", "#525252", 1.5, 30.0),
    VocabClass("path", "Jalan setapak", "Path", "#969696", 1.0, 5.0),
    VocabClass("other", "Lainnya", "Other", "#BDBDBD", 1.0, 20.0),
))

#: Material of the observed 13 July 2020 flood.
FLOOD_MATERIAL_CLASSES = Vocabulary("flood material", (
    VocabClass("mud", "Lumpur", "Mud", "#8C6D31"),
    VocabClass("water", "Air", "Water", "#4292C6"),
), fallback="water")


#: Popup labels of the canonical columns: ``{column: (label_id, label_en)}``.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "asset_id": ("ID aset", "Asset ID"),
    "name": ("Nama", "Name"),
    "building": ("Jenis bangunan", "Building type"),
    "exposure_class": ("Kelas keterpaparan", "Exposure class"),
    "hazard_class": ("Kelas bahaya", "Hazard class"),
    "class_rank": ("Peringkat kelas", "Class rank"),
    "depth_min_m": ("Kedalaman min. (m)", "Min. depth (m)"),
    "depth_max_m": ("Kedalaman maks. (m)", "Max. depth (m)"),
    "displacement_rate": ("Laju pengungsian", "Displacement rate"),
    "area_m2": ("Luas (m²)", "Area (m²)"),
    "length_m": ("Panjang (m)", "Length (m)"),
    "source": ("Sumber", "Source"),
    "zone_id": ("ID zona", "Zone ID"),
    "road_class": ("Kelas jalan", "Road class"),
    "highway": ("Tag OSM highway", "OSM highway tag"),
    "bridge": ("Jembatan", "Bridge"),
    "admin_name": ("Nama wilayah", "Area name"),
    "admin_code": ("Kode wilayah", "Area code"),
    "admin_level": ("Tingkat", "Level"),
    "facility_type": ("Jenis fasilitas", "Facility type"),
    "capacity_persons": ("Kapasitas (orang)", "Capacity (persons)"),
    "flood_id": ("ID banjir", "Flood ID"),
    "material": ("Material", "Material"),
    "river_id": ("ID sungai", "River ID"),
    "river": ("Sungai", "River"),
    "road_id": ("ID jalan", "Road ID"),
    "affected": ("Terdampak", "Affected"),
    "total_affected": ("Total terdampak", "Total affected"),
    "displaced": ("Mengungsi", "Displaced"),
    "stream_id": ("ID alur", "Stream ID"),
    "strahler_order": ("Orde Strahler", "Strahler order"),
    "upstream_area_km2": ("Luas hulu (km²)", "Upstream area (km²)"),
    "site_id": ("ID lokasi", "Site ID"),
    "sensor_type": ("Jenis sensor", "Sensor type"),
    "service_type": ("Jenis layanan", "Service type"),
    "rank": ("Peringkat", "Rank"),
    "priority_rank": ("Peringkat prioritas", "Priority rank"),
    "score": ("Skor", "Score"),
    # exposure
    "flooded_frac": ("Bagian tergenang", "Share flooded"),
    "flooded_area_m2": ("Luas tergenang (m²)", "Flooded area (m²)"),
    "exposed": ("Terpapar", "Exposed"),
    "population": ("Penduduk", "Population"),
    "buildings_affected": ("Bangunan terdampak", "Buildings affected"),
    "health_facilities_affected": ("Fasilitas kesehatan terdampak", "Health facilities affected"),
    "households_affected": ("Rumah tangga terdampak", "Households affected"),
    "event_date": ("Tanggal kejadian", "Event date"),
    "amenity": ("Tag OSM amenity", "OSM amenity tag"),
    # access to health care
    "travel_time_min_before": ("Waktu ke faskes sebelum banjir (menit)",
                               "Travel time to health care before the flood (min)"),
    "travel_time_min_after": ("Waktu ke faskes saat banjir (menit)",
                              "Travel time to health care during the flood (min)"),
    "delta_min": ("Tambahan waktu (menit)", "Extra time (min)"),
    "nearest_facility_before": ("Faskes terdekat sebelum", "Nearest health facility before"),
    "nearest_facility_after": ("Faskes terdekat saat banjir", "Nearest health facility during"),
    "isolated": ("Terisolasi oleh banjir", "Cut off by the flood"),
    "status": ("Keterangan akses", "Access"),
    "reason": ("Alasan", "Reason"),
    # recommendations
    "kind": ("Jenis", "Kind"),
    "model": ("Model penempatan", "Siting model"),
    "existing": ("Sudah ada", "Existing"),
    "load_persons": ("Beban (orang)", "Load (persons)"),
    "people_covered": ("Penduduk terlayani", "People covered"),
    "mean_travel_time_min": ("Waktu tempuh rata-rata (menit)", "Mean travel time (min)"),
    "max_travel_time_min": ("Waktu tempuh maks. (menit)", "Max. travel time (min)"),
    "travel_time_min": ("Waktu tempuh (menit)", "Travel time (min)"),
    "persons": ("Orang", "Persons"),
    "demand_id": ("ID permintaan", "Demand ID"),
    "people_warned": ("Penduduk yang diperingatkan", "People warned"),
    "n_places_warned": ("Tempat yang diperingatkan", "Places warned"),
    "lead_time_min": ("Waktu tenggang (menit)", "Lead time (min)"),
    "lead_time_median_min": ("Waktu tenggang median (menit)", "Median lead time (min)"),
    "reason_id": ("Alasan", "Reason"),
    "reason_en": ("Alasan", "Reason"),
    "asset_type": ("Jenis aset", "Asset type"),
    "in_budget": ("Masuk anggaran", "Within budget"),
    "advice": ("Saran", "Advice"),
    "cost_idr": ("Biaya (Rp)", "Cost (IDR)"),
    "people_served": ("Penduduk terlayani", "People served"),
    "robust": ("Peringkat stabil", "Rank stable"),
    "affected_class": ("Kelas penduduk terdampak", "Affected people class"),
    "access_class_before": ("Kelas waktu tempuh sebelum", "Travel time class before"),
    "access_class_after": ("Kelas waktu tempuh saat banjir", "Travel time class during"),
}

#: Labels of enumerated values in popups:
#: ``{column: {class key of the value: (label_id, label_en)}}``.
#: Class vocabularies (exposure, road, hazard, material classes) are looked up by the styles.
VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "building": {  # OSM building tags
        "yes": ("Bangunan (tanpa rincian)", "Building (unspecified)"),
        "house": ("Rumah", "House"),
        "residential": ("Hunian", "Residential"),
        "commercial": ("Perdagangan", "Commercial"),
        "retail": ("Toko", "Retail"),
        "warehouse": ("Gudang", "Warehouse"),
        "government": ("Pemerintahan", "Government"),
        "school": ("Sekolah", "School"),
        "hospital": ("Rumah sakit", "Hospital"),
        "mosque": ("Masjid", "Mosque"),
        "church": ("Gereja", "Church"),
    },
    "source": {
        "observed_2020": ("Banjir teramati 2020", "Observed flood 2020"),
        "dem_hand": ("Model DEM (HAND)", "DEM model (HAND)"),
        "dem": ("Model DEM", "DEM model"),
        "observed": ("Banjir teramati", "Observed flood"),
    },
    "status": {
        "ok": ("Terjangkau", "Reachable"),
        "cut_by_flood": ("Terputus oleh banjir", "Cut off by the flood"),
    },
    "reason": {
        "cut_by_flood": ("Terputus oleh banjir", "Cut off by the flood"),
    },
    "advice": {
        "rebuild_in_place": ("Bangun kembali di tempat", "Rebuild in place"),
        "rebuild_elsewhere_or_raise": ("Bangun di tempat lain atau tinggikan",
                                       "Rebuild elsewhere or raise"),
    },
    "asset_type": {
        "housing": ("Perumahan", "Housing"),
        "road": ("Jalan", "Road"),
        "bridge": ("Jembatan", "Bridge"),
        "market": ("Pasar", "Market"),
        "government": ("Pemerintahan", "Government"),
        "school": ("Sekolah", "School"),
        "health": ("Kesehatan", "Health"),
        "other": ("Lainnya", "Other"),
    },
    "kind": {
        "shelter": ("Tempat pengungsian", "Shelter"),
        "health_post": ("Pos kesehatan", "Health post"),
        "water_level": ("Pos duga air", "Water-level gauge"),
        "rain": ("Penakar hujan", "Rain gauge"),
        "desa": ("Desa", "Village"),
        "facility": ("Fasilitas", "Facility"),
        "asset": ("Aset", "Asset"),
    },
    "model": {
        "mclp": ("Cakupan maksimum (MCLP)", "Maximal coverage (MCLP)"),
        "p_median": ("p-median", "p-median"),
        "pmedian": ("p-median", "p-median"),
        "lscp": ("Cakupan lengkap (LSCP)", "Set covering (LSCP)"),
    },
}

_NO_ROAD = re.compile(r"no road within (\d+(?:\.\d+)?) m")


def value_label(column: str, value: Any, lang: Lang = "id") -> Any:
    """Label of an enumerated value of ``column`` in ``lang``; other values unchanged.

    Examples
    --------
    >>> value_label("advice", "rebuild in place"), value_label("status", "no road within 5000 m")
    ('Bangun kembali di tempat', 'Tidak ada jalan dalam 5000 m')
    >>> value_label("name", "Masamba", "en")
    'Masamba'
    """
    if not isinstance(value, str):
        return value
    labels = VALUE_LABELS.get(column, {}).get(class_key(value))
    if labels is not None:
        return labels[0] if check_lang(lang) == "id" else labels[1]
    if column in ("status", "reason"):
        m = _NO_ROAD.fullmatch(value.strip())
        if m:
            return (f"Tidak ada jalan dalam {m.group(1)} m" if lang == "id"
                    else f"No road within {m.group(1)} m")
    return value
