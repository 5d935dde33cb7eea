"""One palette and one legend per class, shared by the web map, QGIS styles and the report.

Everything an output shows in colour comes from here, so that a hazard zone
is the same red in the browser, in QGIS and in the report. Each known layer
of the output contract (``docs/DATA_MODEL.md``) has a :class:`LayerStyle`:
a title in Bahasa Indonesia and English, a default colour, and, where the
layer is classified, the column it is classified on and one
:class:`ClassStyle` per class. Unknown layer names get a neutral default.

:func:`resolve_classes` turns a style and the data into the legend entries
actually needed (classes present, in palette order, with their colours and
labels); the web map, :mod:`~kotacerdas_gis.outputs.qgis` and the report all
call it.

Hazard classes use the PetaBencana / InaSAFE flood-depth colours: high
``#F03B20``, medium ``#FEB24C``, low ``#FFFFB2``, use caution ``#A6D96A`` and
grey ``#8C8C8C`` for not exposed. A hazard class set that carries its own
colours (a ``colour`` column in the zones layer, or ``class_colours=``)
overrides the palette.

Examples
--------
>>> style = layer_style("hazard_zones")
>>> style.class_column, style.class_style("high").colour
('hazard_class', '#F03B20')
>>> style.class_style("use caution").label("en")
'Use caution'
>>> layer_style("my_custom_layer").title("id")
'my_custom_layer'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ..hazard.classes import NOT_EXPOSED_COLOUR, NOT_HAZARDOUS, PETABENCANA
from ..vocabulary import (
    BUILDING_CLASSES,
    COLUMN_LABELS,
    NOT_EXPOSED,
    NOT_EXPOSED_LABELS,
    Lang,
    Vocabulary,
    check_lang,
    class_key,
)
from ..vocabulary import FLOOD_MATERIAL_CLASSES as VOCAB_MATERIAL
from ..vocabulary import ROAD_CLASSES as VOCAB_ROADS
from ..vocabulary import (
    value_label as _vocab_value_label,
)

__all__ = [
    "Lang",
    "ClassStyle",
    "LayerStyle",
    "LegendEntry",
    "HAZARD_CLASSES",
    "ROAD_CLASSES",
    "EXPOSURE_CLASSES",
    "FLOOD_MATERIAL_CLASSES",
    "LAYER_STYLES",
    "MAP_GROUPS",
    "hidden_layers",
    "AFFECTED_BREAKS",
    "AFFECTED_CLASSES",
    "ACCESS_BREAKS_MIN",
    "ACCESS_CLASSES",
    "value_label",
    "DEFAULT_STYLE",
    "COLUMN_LABELS",
    "UNCLASSIFIED_COLOUR",
    "check_lang",
    "normalise_key",
    "layer_style",
    "column_label",
    "resolve_classes",
    "key_columns",
    "hex_to_rgba",
]

#: Colour of values a palette does not know (and of missing class values).
UNCLASSIFIED_COLOUR = "#BDBDBD"

#: The one normaliser of class values (see :func:`kotacerdas_gis.vocabulary.class_key`):
#: lower case, spaces and dashes to ``_`` (``" Place of Worship "`` -> ``place_of_worship``).
normalise_key = class_key


def hex_to_rgba(colour: str, alpha: float = 1.0) -> tuple[int, int, int, int]:
    """Convert ``#RRGGBB`` to an ``(r, g, b, a)`` tuple of 0-255 integers (QGIS colours).

    Examples
    --------
    >>> hex_to_rgba("#F03B20")
    (240, 59, 32, 255)
    >>> hex_to_rgba("#000000", 0.5)
    (0, 0, 0, 128)
    """
    c = colour.lstrip("#")
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", c):
        raise ValueError(f"colour: expected '#RRGGBB', found {colour!r}.")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), int(round(alpha * 255)))


@dataclass(frozen=True)
class ClassStyle:
    """The look of one class of a classified layer.

    Attributes
    ----------
    key : str
        The normalised class value (see :func:`normalise_key`).
    label_id, label_en : str
        Legend labels in Bahasa Indonesia and English.
    colour : str
        ``#RRGGBB``: fill colour of polygons and markers, line colour of lines.
    weight_px : float or None
        Line width in screen pixels for line layers (None: the layer's).
    """

    key: str
    label_id: str
    label_en: str
    colour: str
    weight_px: float | None = None

    def label(self, lang: Lang = "id") -> str:
        """Return the label in ``lang``."""
        return self.label_id if check_lang(lang) == "id" else self.label_en


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn everywhere.

    Attributes
    ----------
    name : str
        Layer name of the output contract (``hazard_zones``, ``roads`` ...).
    title_id, title_en : str
        Layer title in Bahasa Indonesia and English.
    colour : str
        Default fill (polygons, markers) or line (lines) colour, ``#RRGGBB``.
    outline : str
        Outline colour of polygons and markers, ``#RRGGBB``.
    weight_px : float
        Line or outline width in screen pixels (QGIS: converted to mm).
    fill_opacity : float
        0-1; 0 draws outlines only (admin boundaries).
    radius_px : float
        Marker radius in screen pixels for point layers.
    dash : str or None
        Leaflet dash array such as ``"4 4"``; None for solid lines.
    class_column : str or None
        Column the layer is classified on; None for a single symbol.
    classes : tuple of ClassStyle
        Known classes, in legend order.
    key_columns : tuple of str
        Columns shown in popups (the first present one is the tooltip).
    group : str
        Key of the layer's group in the map's layer control and the QGIS project
        (:data:`MAP_GROUPS`: ``batas``, ``bahaya``, ``keterpaparan``, ``akses``,
        ``rekomendasi``; ``lainnya`` for unknown layers).
    z : int
        Drawing order on the map (higher on top): areas, then lines, then points.
    hidden_in : tuple of str
        Where the layer is switched off when it opens: ``"map"`` (the web map), ``"project"``
        (the QGIS project); :func:`hidden_layers` lists them.
    """

    name: str
    title_id: str
    title_en: str
    colour: str
    outline: str = "#404040"
    weight_px: float = 1.0
    fill_opacity: float = 0.6
    radius_px: float = 6.0
    dash: str | None = None
    class_column: str | None = None
    classes: tuple[ClassStyle, ...] = ()
    key_columns: tuple[str, ...] = ()
    group: str = "lainnya"
    z: int = 75
    hidden_in: tuple[str, ...] = ()
    _by_key: dict[str, ClassStyle] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.classes})

    def title(self, lang: Lang = "id") -> str:
        """Return the layer title in ``lang``."""
        return self.title_id if check_lang(lang) == "id" else self.title_en

    def class_style(self, value: Any) -> ClassStyle | None:
        """Return the :class:`ClassStyle` of a class value (normalised), or None when unknown."""
        return self._by_key.get(normalise_key(value))


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a class value present in the data, with its look.

    Attributes
    ----------
    value : object
        The class value exactly as it is in the data (None for a single-symbol layer).
    label : str
        Legend label in the requested language.
    colour : str
        ``#RRGGBB`` fill (polygons, markers) or line colour.
    weight_px : float
        Line width in screen pixels.
    count : int
        Number of features with this value.
    """

    value: Any
    label: str
    colour: str
    weight_px: float
    count: int


def _c(
    key: str, label_id: str, label_en: str, colour: str, weight_px: float | None = None
) -> ClassStyle:
    return ClassStyle(key, label_id, label_en, colour, weight_px)


def _from_vocabulary(vocabulary: Vocabulary) -> tuple[ClassStyle, ...]:
    return tuple(_c(c.key, c.label_id, c.label_en, c.colour, c.weight_px) for c in vocabulary)


#: PetaBencana flood-depth classes (InaSAFE), worst first, plus "not exposed": the default
#: class set's own colours and labels (a zones layer's ``colour`` column overrides them).
HAZARD_CLASSES: tuple[ClassStyle, ...] = (
    *(_c(c.key, c.label_id, c.label_en, c.colour)
      for c in sorted(PETABENCANA.classes, key=lambda c: -c.rank)),
    _c(class_key(NOT_EXPOSED), *NOT_EXPOSED_LABELS, NOT_EXPOSED_COLOUR),
    # hazard.classes names the class of values outside every interval "none"
    _c(NOT_HAZARDOUS.key, NOT_HAZARDOUS.label_id, NOT_HAZARDOUS.label_en, NOT_HAZARDOUS.colour),
)

#: InaSAFE road classes, widest first (from :data:`kotacerdas_gis.vocabulary.ROAD_CLASSES`).
ROAD_CLASSES: tuple[ClassStyle, ...] = _from_vocabulary(VOCAB_ROADS)

#: InaSAFE building / facility exposure classes (from the vocabulary).
EXPOSURE_CLASSES: tuple[ClassStyle, ...] = _from_vocabulary(BUILDING_CLASSES)

#: Material of the observed 13 July 2020 flood (from the vocabulary).
FLOOD_MATERIAL_CLASSES: tuple[ClassStyle, ...] = _from_vocabulary(VOCAB_MATERIAL)

#: Classes of affected people per desa (``affected_class``): key, labels, colour; the key is
#: the class's lower bound (people), see :data:`AFFECTED_BREAKS`.
AFFECTED_BREAKS: tuple[int, ...] = (0, 1, 100, 500, 1000)
AFFECTED_CLASSES: tuple[ClassStyle, ...] = (
    _c("ge_1000", "1.000 orang atau lebih", "1,000 people or more", "#54278F"),
    _c("ge_500", "500 - 999 orang", "500 - 999 people", "#756BB1"),
    _c("ge_100", "100 - 499 orang", "100 - 499 people", "#9E9AC8"),
    _c("ge_1", "1 - 99 orang", "1 - 99 people", "#CBC9E2"),
    _c("ge_0", "Tidak ada", "None", "#F2F0F7"),
)

#: Classes of travel time to the nearest health facility (``access_class_*``), minutes: the
#: key is the class's lower bound, see :data:`ACCESS_BREAKS_MIN`.
ACCESS_BREAKS_MIN: tuple[float, ...] = (0.0, 10.0, 20.0, 40.0)
ACCESS_CLASSES: tuple[ClassStyle, ...] = (
    _c("cut", "Terputus oleh banjir", "Cut off by the flood", "#C51B8A"),
    _c("no_road", "Tanpa akses jalan", "No road access", "#636363"),
    _c("ge_40", "40 menit atau lebih", "40 minutes or more", "#08589E"),
    _c("ge_20", "20 - 40 menit", "20 - 40 minutes", "#4EB3D3"),
    _c("ge_10", "10 - 20 menit", "10 - 20 minutes", "#A8DDB5"),
    _c("ge_0", "Kurang dari 10 menit", "Under 10 minutes", "#F0F9E8"),
)

_ADMIN_KEYS = ("admin_name", "admin_code", "admin_level")
_BUILDING_KEYS = ("name", "asset_id", "exposure_class", "building")

#: Styles of the layers of the output contract.
LAYER_STYLES: dict[str, LayerStyle] = {
    s.name: s
    for s in (
        LayerStyle(
            "admin_kabupaten",
            "Batas kabupaten",
            "Regency boundary",
            "#000000",
            outline="#000000",
            weight_px=3.0,
            fill_opacity=0.0,
            key_columns=_ADMIN_KEYS,
        ),
        LayerStyle(
            "admin_kecamatan",
            "Batas kecamatan",
            "Sub-district boundaries",
            "#252525",
            outline="#252525",
            weight_px=2.0,
            fill_opacity=0.0,
            dash="6 3",
            key_columns=_ADMIN_KEYS,
        ),
        LayerStyle(
            "admin_desa",
            "Batas desa",
            "Village boundaries",
            "#737373",
            outline="#737373",
            weight_px=1.0,
            fill_opacity=0.0,
            dash="2 3",
            key_columns=_ADMIN_KEYS,
        ),
        LayerStyle(
            "rivers", "Sungai", "Rivers", "#2B8CBE", weight_px=2.5, key_columns=("name", "river_id")
        ),
        LayerStyle(
            "streams",
            "Alur sungai (DEM)",
            "Streams (DEM)",
            "#74A9CF",
            weight_px=1.2,
            key_columns=("stream_id", "strahler_order", "upstream_area_km2"),
        ),
        LayerStyle(
            "roads",
            "Jalan",
            "Roads",
            "#525252",
            weight_px=1.5,
            class_column="road_class",
            classes=ROAD_CLASSES,
            key_columns=("name", "road_class", "highway", "bridge", "asset_id"),
        ),
        LayerStyle(
            "buildings",
            "Bangunan",
            "Buildings",
            "#E5C494",
            outline="#1A1A1A",
            weight_px=1.0,
            fill_opacity=1.0,
            class_column="exposure_class",
            classes=EXPOSURE_CLASSES,
            key_columns=_BUILDING_KEYS,
        ),
        LayerStyle(
            "facilities",
            "Fasilitas penting",
            "Key facilities",
            "#1F78B4",
            outline="#FFFFFF",
            weight_px=1.5,
            fill_opacity=0.95,
            radius_px=5.0,
            class_column="exposure_class",
            classes=EXPOSURE_CLASSES,
            key_columns=("name", "facility_type", "exposure_class", "capacity_persons", "asset_id"),
        ),
        LayerStyle(
            "bridges",
            "Jembatan",
            "Bridges",
            "#4D4D4D",
            outline="#FFFFFF",
            weight_px=1.0,
            fill_opacity=0.95,
            radius_px=5.0,
            key_columns=("name", "river", "road_id", "asset_id"),
        ),
        LayerStyle(
            "observed_flood_2020",
            "Banjir bandang 13 Juli 2020 (teramati)",
            "Observed flash flood, 13 July 2020",
            "#8C6D31",
            outline="#5C4A1F",
            weight_px=2.0,
            fill_opacity=0.0,  # outline only: a fill over the zones would mix their colours
            dash="5 3",
            class_column="material",
            classes=FLOOD_MATERIAL_CLASSES,
            key_columns=("flood_id", "material", "depth_min_m", "depth_max_m"),
        ),
        LayerStyle(
            "hazard_zones",
            "Zona bahaya banjir",
            "Flood hazard zones",
            "#FEB24C",
            outline="#7F2704",
            # opaque and without outline: every pixel of a zone is its legend swatch (a
            # translucent fill over another layer makes the colour of another class)
            weight_px=0.0,
            fill_opacity=1.0,
            class_column="hazard_class",
            classes=HAZARD_CLASSES,
            key_columns=(
                "hazard_class",
                "depth_min_m",
                "depth_max_m",
                "displacement_rate",
                "area_m2",
                "source",
                "zone_id",
            ),
        ),
        LayerStyle(
            "impact_buildings",
            "Bangunan menurut kelas bahaya",
            "Buildings by hazard class",
            "#8C8C8C",
            outline="#1A1A1A",  # dark outline: a red building on a red zone stays visible
            weight_px=1.0,
            fill_opacity=1.0,
            class_column="hazard_class",
            classes=HAZARD_CLASSES,
            key_columns=_BUILDING_KEYS + ("hazard_class", "flooded_frac", "affected"),
        ),
        LayerStyle(
            "impact_roads",
            "Jalan menurut kelas bahaya",
            "Roads by hazard class",
            "#8C8C8C",
            weight_px=2.0,
            class_column="hazard_class",
            classes=HAZARD_CLASSES,
            key_columns=("name", "road_class", "hazard_class", "length_m", "asset_id"),
        ),
        LayerStyle(
            "impact_facilities",
            "Fasilitas menurut kelas bahaya",
            "Facilities by hazard class",
            "#8C8C8C",
            outline="#FFFFFF",
            weight_px=1.5,
            fill_opacity=0.95,
            radius_px=5.0,
            class_column="hazard_class",
            classes=HAZARD_CLASSES,
            key_columns=("name", "facility_type", "exposure_class", "hazard_class", "asset_id"),
        ),
        LayerStyle(
            "aggregation_summary",
            "Ringkasan per desa",
            "Summary per village",
            "#9E9AC8",
            outline="#54278F",
            weight_px=1.0,
            fill_opacity=0.0,
            key_columns=("admin_name", "admin_code", "total_affected", "displaced"),
        ),
        LayerStyle(
            "aggregation_summary_kecamatan",
            "Ringkasan per kecamatan",
            "Summary per kecamatan",
            "#9E9AC8",
            outline="#3F007D",
            weight_px=2.0,
            fill_opacity=0.0,
            key_columns=("admin_code", "n_desa", "total_affected", "displaced"),
        ),
        LayerStyle(
            "aggregation_summary_areas",
            "Ringkasan per wilayah agregasi",
            "Summary per aggregation area",
            "#9E9AC8",
            outline="#54278F",
            weight_px=1.0,
            fill_opacity=0.0,
            key_columns=("admin_name", "admin_code", "total_affected", "displaced"),
        ),
        LayerStyle(
            "sensor_sites",
            "Usulan lokasi sensor",
            "Proposed sensor sites",
            "#6A3D9A",
            outline="#FFFFFF",
            weight_px=2.0,
            fill_opacity=1.0,
            radius_px=8.0,
            class_column="kind",
            classes=(
                _c("water_level", "Pos duga air", "Water-level gauge", "#6A3D9A"),
                _c("rain", "Penakar hujan", "Rain gauge", "#1F78B4"),
            ),
            key_columns=("site_id", "kind", "people_warned", "lead_time_median_min",
                         "upstream_area_km2", "reason_id", "reason_en"),
        ),
        LayerStyle(
            "sensor_warning_reach",
            "Jangkauan peringatan sensor",
            "Warning reach of the gauges",
            "#6A3D9A",
            weight_px=2.5,
            dash="6 4",
            key_columns=("site_id", "length_m", "lead_time_min", "n_places_warned"),
        ),
        LayerStyle(
            "service_points",
            "Usulan titik layanan",
            "Proposed service points",
            "#1B9E77",
            outline="#FFFFFF",
            weight_px=2.0,
            fill_opacity=1.0,
            radius_px=8.0,
            class_column="kind",
            classes=(
                _c("shelter", "Tempat pengungsian", "Shelter", "#1B9E77"),
                _c("health_post", "Pos kesehatan", "Health post", "#E7298A"),
            ),
            key_columns=("site_id", "kind", "existing", "capacity_persons", "people_covered",
                         "mean_travel_time_min", "reason_id", "reason_en"),
        ),
        LayerStyle(
            "service_assignment",
            "Rute ke titik layanan",
            "Trips to the service points",
            "#66A61E",
            weight_px=1.0,
            key_columns=("demand_id", "site_id", "travel_time_min", "persons"),
        ),
        LayerStyle(
            "rebuild_priorities",
            "Prioritas pembangunan kembali",
            "Rebuild priorities",
            "#D95F02",
            outline="#7F2704",
            weight_px=3.0,
            fill_opacity=0.8,
            radius_px=6.0,
            key_columns=("rank", "name", "asset_id", "asset_type", "score", "in_budget",
                         "advice", "reason_id", "reason_en"),
        ),
        LayerStyle(
            "desa_affected",
            "Penduduk terdampak per desa",
            "Affected people per village",
            "#F2F0F7",
            outline="#54278F",
            weight_px=0.5,
            fill_opacity=1.0,
            class_column="affected_class",
            classes=AFFECTED_CLASSES,
            key_columns=("admin_name", "total_affected", "displaced", "population",
                         "buildings_affected", "isolated", "travel_time_min_before",
                         "travel_time_min_after"),
        ),
        LayerStyle(
            "access_before",
            "Waktu ke faskes sebelum banjir",
            "Travel time to health care before the flood",
            "#EDF8FB",
            outline="#4D4D4D",
            weight_px=0.5,
            fill_opacity=1.0,
            class_column="access_class_before",
            classes=ACCESS_CLASSES,
            key_columns=("admin_name", "travel_time_min_before", "nearest_facility_before",
                         "status"),
        ),
        LayerStyle(
            "access_after",
            "Waktu ke faskes saat banjir",
            "Travel time to health care during the flood",
            "#EDF8FB",
            outline="#4D4D4D",
            weight_px=0.5,
            fill_opacity=1.0,
            class_column="access_class_after",
            classes=ACCESS_CLASSES,
            key_columns=("admin_name", "travel_time_min_after", "travel_time_min_before",
                         "delta_min", "nearest_facility_after", "status"),
        ),
        LayerStyle(
            "isolated_desa",
            "Desa terputus dari faskes",
            "Villages cut off from health care",
            "#C51B8A",
            outline="#C51B8A",
            weight_px=3.5,
            fill_opacity=0.0,
            key_columns=("admin_name", "reason", "travel_time_min_before",
                         "travel_time_min_after", "total_affected"),
        ),
    )
}

#: Groups of the map's layer control (and of the QGIS project), in order:
#: ``{key: (title_id, title_en)}``.
MAP_GROUPS: dict[str, tuple[str, str]] = {
    "batas": ("Batas", "Boundaries"),
    "bahaya": ("Bahaya", "Hazard"),
    "keterpaparan": ("Keterpaparan", "Exposure"),
    "akses": ("Akses", "Access"),
    "rekomendasi": ("Rekomendasi", "Recommendations"),
    "lainnya": ("Lainnya", "Other"),
}

#: Group and drawing order of each known layer: areas (choropleths, zones) at the bottom,
#: outlines and lines above, buildings, then points on top, so that every asset is
#: visible and clickable over its zone.
_PLACEMENT: dict[str, tuple[str, int]] = {
    "admin_kabupaten": ("batas", 40),
    "admin_kecamatan": ("batas", 42),
    "admin_desa": ("batas", 41),
    "hazard_zones": ("bahaya", 20),
    "observed_flood_2020": ("bahaya", 30),
    "rivers": ("bahaya", 50),
    "streams": ("bahaya", 49),
    "desa_affected": ("keterpaparan", 12),
    "aggregation_summary": ("keterpaparan", 13),
    "aggregation_summary_kecamatan": ("keterpaparan", 12),
    "aggregation_summary_areas": ("keterpaparan", 11),
    "impact_buildings": ("keterpaparan", 60),
    "buildings": ("keterpaparan", 59),
    "impact_roads": ("keterpaparan", 56),
    "impact_facilities": ("keterpaparan", 80),
    "facilities": ("keterpaparan", 79),
    "access_before": ("akses", 10),
    "access_after": ("akses", 11),
    "isolated_desa": ("akses", 70),
    "roads": ("akses", 55),
    "bridges": ("akses", 81),
    "service_points": ("rekomendasi", 86),
    "service_assignment": ("rekomendasi", 65),
    "sensor_sites": ("rekomendasi", 87),
    "sensor_warning_reach": ("rekomendasi", 66),
    "rebuild_priorities": ("rekomendasi", 85),
}
#: Where each layer starts switched off (the others open shown): dense or secondary layers on
#: both. The QGIS project (all GeoPackage layers, and a print layout) also hides the 2020
#: footprint (the zones hold it, and its fill over them would mix their colours), the desa
#: outlines, roads, bridges, the warning reach and the per-kecamatan summary (not on the web
#: map); the web map also hides its own choropleths (desa_affected, access_*: not in the
#: GeoPackage), so that it opens on the zones.
_BOTH = ("map", "project")
_HIDDEN_IN: dict[str, tuple[str, ...]] = {
    "buildings": _BOTH,
    "impact_roads": _BOTH,
    "impact_facilities": _BOTH,
    "streams": _BOTH,
    "aggregation_summary": _BOTH,
    "service_assignment": _BOTH,
    "observed_flood_2020": ("project",),
    "admin_desa": ("project",),
    "aggregation_summary_kecamatan": ("project",),
    "sensor_warning_reach": ("project",),
    "roads": ("project",),
    "bridges": ("project",),
    "desa_affected": ("map",),
    "access_before": ("map",),
    "access_after": ("map",),
}
LAYER_STYLES = {
    k: replace(v, group=_PLACEMENT[k][0], z=_PLACEMENT[k][1], hidden_in=_HIDDEN_IN.get(k, ()))
    if k in _PLACEMENT else v
    for k, v in LAYER_STYLES.items()
}


def hidden_layers(where: str) -> tuple[str, ...]:
    """Return the known layers switched off when ``where`` opens (``"map"`` or ``"project"``).

    Raises
    ------
    SchemaError
        For another ``where``.

    Examples
    --------
    >>> "buildings" in hidden_layers("map") and "buildings" in hidden_layers("project")
    True
    >>> "roads" in hidden_layers("map"), "roads" in hidden_layers("project")
    (False, True)
    """
    from ..errors import SchemaError

    if where not in ("map", "project"):
        raise SchemaError(f"hidden_layers: where must be 'map' or 'project', found {where!r}")
    return tuple(k for k, v in LAYER_STYLES.items() if where in v.hidden_in)

#: Style of a layer name that is not in :data:`LAYER_STYLES` (a neutral grey-blue).
DEFAULT_STYLE = LayerStyle(
    "", "", "", "#7B8FA6", outline="#3F4A57", weight_px=1.5, fill_opacity=0.4
)

def layer_style(name: str) -> LayerStyle:
    """Return the :class:`LayerStyle` of a layer name (a neutral default titled ``name``)."""
    style = LAYER_STYLES.get(name)
    if style is not None:
        return style
    return LayerStyle(
        name,
        name,
        name,
        DEFAULT_STYLE.colour,
        outline=DEFAULT_STYLE.outline,
        weight_px=DEFAULT_STYLE.weight_px,
        fill_opacity=DEFAULT_STYLE.fill_opacity,
    )


def column_label(column: str, lang: Lang = "id") -> str:
    """Popup label of a column in ``lang`` (the column name itself when unknown).

    Examples
    --------
    >>> column_label("area_m2", "en"), column_label("foo_bar")
    ('Area (m²)', 'foo_bar')
    """
    labels = COLUMN_LABELS.get(column)
    if labels is None:
        return column
    return labels[0] if check_lang(lang) == "id" else labels[1]


#: Columns whose values are classes of a palette: their labels come from it.
_CLASS_COLUMNS: dict[str, tuple[ClassStyle, ...]] = {
    "hazard_class": HAZARD_CLASSES,
    "exposure_class": EXPOSURE_CLASSES,
    "road_class": ROAD_CLASSES,
    "material": FLOOD_MATERIAL_CLASSES,
    "affected_class": AFFECTED_CLASSES,
    "access_class_before": ACCESS_CLASSES,
    "access_class_after": ACCESS_CLASSES,
}


def value_label(column: str, value: Any, lang: Lang = "id") -> Any:
    """Label of a value of ``column`` in ``lang``: class labels, then the vocabulary's.

    Values that are not enumerations (names, numbers) are returned unchanged.

    Examples
    --------
    >>> value_label("exposure_class", "commercial"), value_label("hazard_class", "high", "en")
    ('Perdagangan', 'High')
    >>> value_label("source", "observed_2020")
    'Banjir teramati 2020'
    """
    classes = _CLASS_COLUMNS.get(column)
    if classes is not None and isinstance(value, str):
        key = normalise_key(value)
        for c in classes:
            if c.key == key:
                return c.label(lang)
    return _vocab_value_label(column, value, lang)


def _ramp(n: int) -> list[str]:
    """``n`` colours from the hazard palette, worst first (for unknown ranked classes)."""
    base = [c.colour for c in HAZARD_CLASSES[:4]]
    if n <= len(base):
        step = (len(base) - 1) / max(n - 1, 1)
        return [base[round(i * step)] for i in range(n)]
    return [base[min(i * len(base) // n, len(base) - 1)] for i in range(n)]


def resolve_classes(
    style: LayerStyle,
    data: pd.DataFrame,
    *,
    lang: Lang = "id",
    class_colours: Mapping[str, str] | None = None,
    colour_col: str = "colour",
    rank_col: str = "class_rank",
) -> list[LegendEntry]:
    """List the legend entries a layer needs: classes in ``data``, with colour and label.

    Order: the palette's classes first (in palette order), then values the palette does
    not know (by ``rank_col`` descending when the column exists, else alphabetically),
    then missing values. A single-symbol layer (no ``class_column``, or the column
    absent from ``data``) gets one entry with ``value=None``.

    Colour of a class, first found: ``class_colours[value]``; the ``colour_col`` column
    of the data (a hazard class set that carries colours); the palette; for unknown
    values of a layer with ``rank_col``, a ramp of the hazard palette by rank; else
    :data:`UNCLASSIFIED_COLOUR`. Labels of hazard zones come from the data's
    ``label_id`` / ``label_en`` columns when present, else from the palette.

    Parameters
    ----------
    style : LayerStyle
        The layer's style (:func:`layer_style`).
    data : DataFrame or GeoDataFrame
        The layer (any CRS: only attributes are read).
    lang : {"id", "en"}
        Language of the labels.
    class_colours : mapping of str to str, optional
        ``{class value: "#RRGGBB"}`` overrides.
    colour_col, rank_col : str
        Optional columns with a colour and a rank per feature.

    Returns
    -------
    list of LegendEntry

    Examples
    --------
    >>> import pandas as pd
    >>> zones = pd.DataFrame({"hazard_class": ["low", "high", "low"]})
    >>> [(e.value, e.label, e.colour, e.count)
    ...  for e in resolve_classes(layer_style("hazard_zones"), zones, lang="en")]
    [('high', 'High', '#F03B20', 1), ('low', 'Low', '#FFFFB2', 2)]
    """
    check_lang(lang)
    col = style.class_column
    if col is None or col not in data.columns:
        return [
            LegendEntry(
                None,
                style.title(lang),
                _colour_override(class_colours, None, style.colour),
                style.weight_px,
                len(data),
            )
        ]
    values = data[col]
    present = values.dropna()
    counts = present.value_counts(sort=False)
    colours_from_data: dict[Any, str] = {}
    if colour_col in data.columns:
        pairs = data[[col, colour_col]].dropna().drop_duplicates(subset=[col])
        colours_from_data = {
            v: str(c)
            for v, c in zip(pairs[col], pairs[colour_col], strict=True)
            if re.fullmatch(r"#[0-9A-Fa-f]{6}", str(c))
        }
    label_col = f"label_{lang}"
    labels_from_data: dict[Any, str] = {}
    if label_col in data.columns:
        pairs = data[[col, label_col]].dropna().drop_duplicates(subset=[col])
        labels_from_data = {v: str(lab)
                            for v, lab in zip(pairs[col], pairs[label_col], strict=True)}
    ranks: dict[Any, float] = {}
    if rank_col in data.columns:
        ranks = data.groupby(col)[rank_col].max().to_dict()

    known = [v for v in counts.index if style.class_style(v) is not None]
    order = {c.key: i for i, c in enumerate(style.classes)}
    known.sort(key=lambda v: order[normalise_key(v)])
    unknown = [v for v in counts.index if style.class_style(v) is None]
    if ranks:
        unknown.sort(key=lambda v: (-float(ranks.get(v, 0) or 0), str(v)))
    else:
        unknown.sort(key=str)
    ramp = dict(zip(unknown, _ramp(len(unknown)), strict=True)) if ranks and unknown else {}

    entries = []
    for v in known + unknown:
        cs = style.class_style(v)
        colour = colours_from_data.get(v) or (cs.colour if cs else ramp.get(v, UNCLASSIFIED_COLOUR))
        colour = _colour_override(class_colours, v, colour)
        label = labels_from_data.get(v) or (cs.label(lang) if cs else str(v))
        weight = cs.weight_px if cs and cs.weight_px is not None else style.weight_px
        entries.append(LegendEntry(v, label, colour, weight, int(counts[v])))
    n_missing = int(values.isna().sum())
    if n_missing:
        entries.append(
            LegendEntry(
                None,
                "Tidak terklasifikasi" if lang == "id" else "Unclassified",
                UNCLASSIFIED_COLOUR,
                style.weight_px,
                n_missing,
            )
        )
    return entries


def _colour_override(overrides: Mapping[str, str] | None, value: Any, colour: str) -> str:
    if not overrides:
        return colour
    if value in overrides:
        return overrides[value]
    return overrides.get(normalise_key(value), colour) if value is not None else colour


def key_columns(
    style: LayerStyle,
    data: pd.DataFrame,
    *,
    max_columns: int = 6,
    columns: Sequence[str] | None = None,
) -> list[str]:
    """Choose a layer's popup columns: ``columns`` if given, else its style's key columns.

    Unknown layers (no key column present) show their first ``max_columns`` attribute columns.

    Raises
    ------
    SchemaError
        If ``columns`` names a column the data does not have.
    """
    from ..errors import SchemaError

    attrs = [c for c in data.columns if c != getattr(data, "_geometry_column_name", "geometry")]
    if columns is not None:
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise SchemaError(
                f"{style.name or 'layer'}: popup columns {missing} not found; the layer has "
                f"{attrs}. Pass existing columns in popup_columns=."
            )
        return list(columns)
    chosen = [c for c in style.key_columns if c in data.columns]
    if (
        style.class_column
        and style.class_column in data.columns
        and style.class_column not in chosen
    ):
        chosen.append(style.class_column)
    if not chosen:
        chosen = attrs[:max_columns]
    return chosen
