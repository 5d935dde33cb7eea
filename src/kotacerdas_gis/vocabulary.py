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
