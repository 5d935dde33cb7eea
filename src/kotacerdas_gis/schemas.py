"""Adapters from the data planners have to the package's canonical schemas.

Admin boundaries arrive from BIG (RBI layers: ``NAMOBJ``, ``WADMKD``, ``KDEPUM``
...), from HDX COD-AB / BPS (``village_code``, ``district`` ...) and as
Kemendagri code lists without geometry. They all become one schema:
``admin_code``, ``admin_name``, ``admin_level`` (``kabupaten``, ``kecamatan``,
``desa``) and ``parent_code``, plus ``code_system`` (``kemendagri`` or ``bps``):
codes of the two systems differ and are never mixed silently.

Assets arrive with OSM tags or Indonesian free-text types. They become
InaSAFE's exposure classes (buildings and facilities) and road classes.
Unknown types map to ``"other"`` and are counted, never dropped.

All functions here are pure: frames in, new frames out.

Examples
--------
>>> import pandas as pd
>>> classes, report = exposure_class_from_types(pd.Series(["Puskesmas", "SD Negeri", "house", "?"]))
>>> list(classes)
['health', 'education', 'residential', 'other']
>>> report.reasons_repaired["unknown type mapped to 'other'"]
1
>>> list(road_class_from_highway(pd.Series(["trunk", "residential", "footway", None]))[0])
['primary', 'local', 'path', 'other']
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

import geopandas as gpd

from .accounting import StepReport
from .errors import SchemaError
from .vocabulary import BUILDING_CLASSES, Vocabulary, class_key
from .vocabulary import ROAD_CLASSES as VOCAB_ROADS

__all__ = [
    "ADMIN_COLUMNS",
    "AdminLevel",
    "BUILDING_EXPOSURE_CLASSES",
    "ROAD_CLASSES",
    "LUWU_UTARA_KECAMATAN",
    "BPS2020_KECAMATAN_TO_KEMENDAGRI",
    "require_columns",
    "normalise_name",
    "admin_from_hdx",
    "admin_from_bigrbi",
    "admin_from_code_table",
    "admin_from_kemendagri",
    "admin_name_key",
    "code_system_of",
    "kemendagri_code",
    "exposure_class_from_types",
    "road_class_from_highway",
    "check_class_map",
    "OSM_FACILITY_AMENITIES",
    "osm_other_tags",
    "assets_from_osm",
    "bridge_flag",
    "parse_numbers",
    "parse_flags",
    "COUNT_UNITS",
    "METRE_UNITS",
    "TRUE_WORDS",
    "FALSE_WORDS",
    "BRIDGE_WORDS",
]

AdminLevel = Literal["kabupaten", "kecamatan", "desa"]
ADMIN_COLUMNS = ["admin_code", "admin_name", "admin_level", "parent_code"]

#: InaSAFE's building exposure classes (the values of the vocabulary's BUILDING_CLASSES).
BUILDING_EXPOSURE_CLASSES: tuple[str, ...] = BUILDING_CLASSES.values
#: InaSAFE's road classes (values of :data:`kotacerdas_gis.vocabulary.ROAD_CLASSES`).
ROAD_CLASSES: tuple[str, ...] = VOCAB_ROADS.values

#: The 15 kecamatan of Luwu Utara with their Kemendagri 2025 codes (DOMAIN.md).
LUWU_UTARA_KECAMATAN: dict[str, str] = {
    "73.22.01": "Malangke",
    "73.22.02": "Bone Bone",
    "73.22.03": "Masamba",
    "73.22.04": "Sabbang",
    "73.22.05": "Rongkong",
    "73.22.06": "Sukamaju",
    "73.22.07": "Seko",
    "73.22.08": "Malangke Barat",
    "73.22.09": "Rampi",
    "73.22.10": "Mappedeceng",
    "73.22.11": "Baebunta",
    "73.22.12": "Tana Lili",
    "73.22.13": "Sukamaju Selatan",
    "73.22.14": "Baebunta Selatan",
    "73.22.15": "Sabbang Selatan",
}
#: The 12 kecamatan of the BPS 2020 structure (HDX) and the Kemendagri code of
#: the unit they correspond to today (Limbong is now Rongkong; the three
#: "Selatan" kecamatan were split off later, so their area lies in these).
BPS2020_KECAMATAN_TO_KEMENDAGRI: dict[str, str] = {
    "malangke": "73.22.01",
    "bone bone": "73.22.02",
    "masamba": "73.22.03",
    "sabbang": "73.22.04",
    "limbong": "73.22.05",
    "sukamaju": "73.22.06",
    "seko": "73.22.07",
    "malangke barat": "73.22.08",
    "rampi": "73.22.09",
    "mappedeceng": "73.22.10",
    "baebunta": "73.22.11",
    "tana lili": "73.22.12",
}


def require_columns(
    df: pd.DataFrame, columns: Sequence[str], *, name: str, hint: str = ""
) -> None:
    """Raise :class:`SchemaError` naming the missing columns and listing those present.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The table to check (its active geometry column is not listed).
    columns : sequence of str
        The columns that must exist.
    name : str
        The layer's name, for the message (``"roads"``).
    hint : str, optional
        Added to the fix, e.g. ``" (pass the output of buildings_exposure)"``.

    Raises
    ------
    SchemaError
        When a column is missing.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], name="roads")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.SchemaError: roads: missing column(s) 'b'; found only ['a']. Rename the column (in a manifest, the layer's "rename": {"<your column>": "b"}; in Python, the function's *_col keyword or DataFrame.rename).
    """  # noqa: E501 (a doctest's expected message is one line)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        geom = getattr(df, "_geometry_column_name", None)
        present = [c for c in df.columns if c != geom]
        raise SchemaError(
            f"{name}: missing column(s) {', '.join(repr(c) for c in missing)}; found only "
            f"{present}. Rename the column (in a manifest, the layer's \"rename\": "
            f"{{\"<your column>\": \"{missing[0]}\"}}; in Python, the function's *_col keyword "
            f"or DataFrame.rename){hint}."
        )


def normalise_name(name: object) -> str:
    """Return a matching key for place names from different sources.

    Case, accents, dots, hyphens and repeated spaces are removed, and Roman
    numerals written out as words are not touched (names are not keys alone:
    several villages share a name in different kecamatan).

    Examples
    --------
    >>> normalise_name("Upt. Sepakat"), normalise_name("UPT  sepakat"), normalise_name("Bone-Bone")
    ('upt sepakat', 'upt sepakat', 'bone bone')
    """
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[.\-_/]", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def _canonical(
    gdf: gpd.GeoDataFrame, cols: dict[str, pd.Series], keep: list[str]
) -> gpd.GeoDataFrame:
    data = {k: v.to_numpy() for k, v in cols.items()}
    for c in keep:
        data[f"src_{c}"] = gdf[c].to_numpy()
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.to_numpy(), crs=gdf.crs, index=gdf.index)


def admin_from_hdx(gdf: gpd.GeoDataFrame, *, level: AdminLevel = "desa") -> gpd.GeoDataFrame:
    """Canonical admin units from an HDX COD-AB (BPS) village layer.

    Parameters
    ----------
    gdf : GeoDataFrame
        Villages with HDX columns ``village_code``, ``village``, ``district_code``,
        ``district``, ``regency_code``, ``regency`` (any CRS; not reprojected here).
    level : {"desa", "kecamatan", "kabupaten"}
        ``desa`` keeps the villages; the higher levels dissolve them.

    Returns
    -------
    GeoDataFrame
        ``admin_code`` (BPS style, e.g. ``id7322120020``), ``admin_name``,
        ``admin_level``, ``parent_code``, ``code_system`` (``"bps"``),
        ``kecamatan_name``, ``kemendagri_kecamatan`` (today's Kemendagri code of the
        kecamatan, or None where the old name has no match), and the source's
        columns prefixed ``src_`` (desa level only).

    Raises
    ------
    SchemaError
        If a required HDX column is missing.
    """
    need = ["village_code", "village", "district_code", "district", "regency_code", "regency"]
    require_columns(gdf, need, name="HDX village layer")
    kemendagri = gdf["district"].map(
        lambda s: BPS2020_KECAMATAN_TO_KEMENDAGRI.get(normalise_name(s))
    )
    if level == "desa":
        out = _canonical(
            gdf,
            {
                "admin_code": gdf["village_code"].astype(str),
                "admin_name": gdf["village"].astype(str).str.strip(),
                "admin_level": pd.Series("desa", index=gdf.index),
                "parent_code": gdf["district_code"].astype(str),
                "code_system": pd.Series("bps", index=gdf.index),
                "kecamatan_name": gdf["district"].astype(str),
                "kemendagri_kecamatan": kemendagri,
            },
            keep=[c for c in gdf.columns if c != gdf.geometry.name],
        )
        return out.reset_index(drop=True)
    if level == "kecamatan":
        grouped = gdf.assign(_kmd=kemendagri).dissolve(
            by=["district_code", "district", "regency_code", "_kmd"], as_index=False, dropna=False
        )
        return gpd.GeoDataFrame(
            {
                "admin_code": grouped["district_code"].astype(str),
                "admin_name": grouped["district"].astype(str),
                "admin_level": "kecamatan",
                "parent_code": grouped["regency_code"].astype(str),
                "code_system": "bps",
                "kecamatan_name": grouped["district"].astype(str),
                "kemendagri_kecamatan": grouped["_kmd"],
            },
            geometry=grouped.geometry,
            crs=gdf.crs,
        )
    if level == "kabupaten":
        grouped = gdf.dissolve(by=["regency_code", "regency"], as_index=False)
        return gpd.GeoDataFrame(
            {
                "admin_code": grouped["regency_code"].astype(str),
                "admin_name": grouped["regency"].astype(str),
                "admin_level": "kabupaten",
                "parent_code": gdf["province_code"].iloc[0] if "province_code" in gdf else None,
                "code_system": "bps",
            },
            geometry=grouped.geometry,
            crs=gdf.crs,
        )
    raise ValueError(f"level must be one of 'desa', 'kecamatan', 'kabupaten', not {level!r}")


_BIG_NAME = {"desa": "WADMKD", "kecamatan": "WADMKC", "kabupaten": "WADMKK"}
_BIG_CODE = {"desa": "KDEPUM", "kecamatan": "KDCPUM", "kabupaten": "KDPKAB"}
_BIG_PARENT = {"desa": "KDCPUM", "kecamatan": "KDPKAB", "kabupaten": "KDPPUM"}


def admin_from_bigrbi(
    gdf: gpd.GeoDataFrame, *, level: AdminLevel
) -> tuple[gpd.GeoDataFrame, StepReport]:
    """Canonical admin units from a BIG RBI boundary layer.

    BIG layers carry every level's name on each feature (``WADMKD`` desa,
    ``WADMKC`` kecamatan, ``WADMKK`` kabupaten) and ``NAMOBJ`` for the feature
    itself. Dissolved copies sometimes keep one village's attributes on a whole
    regency outline, so names are checked: a feature whose ``NAMOBJ`` is not the
    name at the requested level is counted under ``"NAMOBJ disagrees with level
    name"`` and takes the level's name.

    Parameters
    ----------
    gdf : GeoDataFrame
        With ``NAMOBJ``, the level's name column and code column (``KDEPUM``,
        ``KDCPUM`` or ``KDPKAB``).
    level : {"desa", "kecamatan", "kabupaten"}

    Returns
    -------
    (GeoDataFrame, StepReport)
        Canonical columns plus ``code_system`` = ``"kemendagri"`` and the source
        columns prefixed ``src_``; the report of names repaired.

    Raises
    ------
    SchemaError
        If ``NAMOBJ`` or the level's columns are missing.
    """
    if level not in _BIG_NAME:
        raise ValueError(f"level must be one of {list(_BIG_NAME)}, not {level!r}")
    name_col, code_col = _BIG_NAME[level], _BIG_CODE[level]
    require_columns(gdf, ["NAMOBJ", name_col, code_col], name=f"BIG RBI {level} layer")
    report = StepReport(step=f"adapt BIG RBI {level}", n_in=len(gdf))
    level_name = gdf[name_col].astype(str).str.strip()
    disagree = gdf["NAMOBJ"].map(normalise_name) != level_name.map(normalise_name)
    report.repair("NAMOBJ disagrees with level name", int(disagree.sum()))
    parent_col = _BIG_PARENT[level]
    parent = gdf[parent_col].astype(str) if parent_col in gdf else pd.Series(None, index=gdf.index)
    out = _canonical(
        gdf,
        {
            "admin_code": gdf[code_col].astype(str).str.strip(),
            "admin_name": level_name,
            "admin_level": pd.Series(level, index=gdf.index),
            "parent_code": parent,
            "code_system": pd.Series("kemendagri", index=gdf.index),
        },
        keep=[c for c in gdf.columns if c != gdf.geometry.name],
    )
    return out.reset_index(drop=True), report


#: Kemendagri codes: province.kabupaten[.kecamatan[.desa]], e.g. 73.22.03.1002.
_KMD_DOTTED = re.compile(r"^\d{2}\.\d{2}(\.\d{2}(\.\d{4})?)?$")
#: The same written without dots (7322, 732203, 7322031002), as spreadsheets often do.
_KMD_PLAIN = re.compile(r"^\d{2}(\d{2}){1,2}(\d{4})?$")
#: BPS codes as HDX COD-AB writes them (id7322, id7322120, id7322120020).
_BPS = re.compile(r"^(?:id)?\d{4}(?:\d{3}(?:\d{3})?)?$", re.IGNORECASE)
_KMD_LEVELS = {2: "kabupaten", 3: "kecamatan", 4: "desa"}


def kemendagri_code(code: object) -> str | None:
    """Return a Kemendagri code in its dotted form, or None when ``code`` is not one.

    Examples
    --------
    >>> kemendagri_code("73.22.03.1002"), kemendagri_code("7322031002"), kemendagri_code(" 7322 ")
    ('73.22.03.1002', '73.22.03.1002', '73.22')
    >>> kemendagri_code("id7322120020") is None, kemendagri_code("73.2.3") is None
    (True, True)
    """
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    text = str(code).strip()
    if _KMD_DOTTED.match(text):
        return text
    if _KMD_PLAIN.match(text) and len(text) in (4, 6, 10):
        parts = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(p for p in parts if p)
    return None


def code_system_of(code: object) -> str | None:
    """Return ``"kemendagri"`` (``73.22.03``), ``"bps"`` (``id7322120``) or None (unknown).

    Undotted digits of a Kemendagri length (4, 6 or 10) count as Kemendagri; BPS codes have 7
    digits for a kecamatan and 10 for a desa, so a 10-digit code without ``id`` is ambiguous
    and read as Kemendagri, the system of the canonical schema.

    Examples
    --------
    >>> [code_system_of(c) for c in ["73.22.03", "id7322120", "7322120", "Masamba"]]
    ['kemendagri', 'bps', 'bps', None]
    """
    if kemendagri_code(code) is not None:
        return "kemendagri"
    text = "" if code is None else str(code).strip()
    return "bps" if _BPS.match(text) else None


_NAME_PREFIX = re.compile(r"^(desa|kelurahan|kel|ds|kecamatan|kec|kabupaten|kab|kota)\s+")


def admin_name_key(name: object) -> str:
    """Return a key for comparing Indonesian place names across sources.

    :func:`normalise_name` (case, accents, dots, hyphens), then the admin prefixes ``Desa``,
    ``Kelurahan``, ``Kel.``, ``Ds.``, ``Kecamatan``, ``Kec.``, ``Kabupaten``, ``Kab.`` are
    removed, and so are the spaces (``Giri Kusuma`` and ``Girikusuma`` are one name).

    Examples
    --------
    >>> admin_name_key("Desa Bone-Bone"), admin_name_key("BONE BONE")
    ('bonebone', 'bonebone')
    >>> admin_name_key("Kel. Kappuna")
    'kappuna'
    """
    key = normalise_name(name)
    key = _NAME_PREFIX.sub("", key)
    return key.replace(" ", "")


def _parse_kemendagri(codes: pd.Series, *, where: str, code_col: str) -> pd.Series:
    dotted = codes.map(kemendagri_code)
    bad = dotted.isna()
    if bad.any():
        examples = codes[bad].astype(str).head(5).tolist()
        bps = [c for c in examples if code_system_of(c) == "bps"]
        hint = (" They look like BPS codes (HDX): use the 'hdx' adapter for such a layer; BPS "
                "and Kemendagri codes are different systems and are never mixed."
                if bps else "")
        raise SchemaError(
            f"{where}: {int(bad.sum())} codes of unknown shape in column {code_col!r}, e.g. "
            f"{examples}; expected Kemendagri codes '73.22', '73.22.03' or '73.22.03.2001' "
            f"(dots optional).{hint}"
        )
    return dotted


def admin_from_code_table(
    df: pd.DataFrame, *, code_col: str = "kode", name_col: str = "nama"
) -> pd.DataFrame:
    """Canonical admin records from a Kemendagri code list (no geometry).

    The level follows from the code: ``73.22`` kabupaten, ``73.22.03`` kecamatan,
    ``73.22.03.2001`` desa; the parent is the code without its last part. Codes written
    without dots (``7322032001``) are read as the dotted form. A desa code's fourth part tells
    a kelurahan (``1xxx``) from a desa (``2xxx``): column ``desa_type`` (None above desa level).

    Examples
    --------
    >>> t = pd.DataFrame({"kode": ["73.22", "73.22.03", "73.22.03.2001", "7322031002"],
    ...                   "nama": ["Luwu Utara", "Masamba", "Bone", "Kappuna"]})
    >>> admin_from_code_table(t)[["admin_code", "admin_level", "parent_code", "desa_type"]
    ...                          ].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['73.22', 'kabupaten', '73', None], ['73.22.03', 'kecamatan', '73.22', None],
     ['73.22.03.2001', 'desa', '73.22.03', 'desa'],
     ['73.22.03.1002', 'desa', '73.22.03', 'kelurahan']]

    Raises
    ------
    SchemaError
        If a column is missing or a code has an unknown shape (BPS codes are named as such).
    """
    require_columns(df, [code_col, name_col], name="Kemendagri code table")
    codes = _parse_kemendagri(df[code_col], where="Kemendagri code table", code_col=code_col)
    parts = codes.str.count(r"\.") + 1
    levels = parts.map(_KMD_LEVELS)
    last = codes.str.rsplit(".", n=1).str[-1]
    first = last.str[0].where(parts == 4)
    desa_type = first.map({"1": "kelurahan", "2": "desa"}).astype(object)
    return pd.DataFrame(
        {
            "admin_code": codes,
            "admin_name": df[name_col].astype(str).str.strip(),
            "admin_level": levels,
            "parent_code": codes.str.rsplit(".", n=1).str[0],
            "code_system": "kemendagri",
            "desa_type": desa_type.where(desa_type.notna(), None),
        },
        index=df.index,
    )


def admin_from_kemendagri(
    gdf: gpd.GeoDataFrame, *, level: AdminLevel, code_col: str = "kode", name_col: str = "nama"
) -> tuple[gpd.GeoDataFrame, StepReport]:
    """Canonical admin units from Kemendagri boundaries (columns ``kode``, ``nama``).

    Levels and parents come from the codes (:func:`admin_from_code_table`): ``73.22``
    kabupaten, ``73.22.03`` kecamatan, ``73.22.03.1002`` a kelurahan (``1xxx``) and
    ``73.22.03.2001`` a desa (``2xxx``), column ``desa_type``. One file may hold several
    levels: the rows of ``level`` are kept and the others counted in a note (read the same
    file under each ``admin_*`` key).

    Parameters
    ----------
    gdf : GeoDataFrame
        With ``code_col`` and ``name_col`` (rename other spellings first, e.g. a manifest's
        ``"rename": {"KODE": "kode"}``).
    level : {"desa", "kecamatan", "kabupaten"}
    code_col, name_col : str

    Returns
    -------
    (GeoDataFrame, StepReport)
        ``admin_code`` (dotted), ``admin_name``, ``admin_level``, ``parent_code``,
        ``code_system`` = ``"kemendagri"``, ``desa_type``, source columns prefixed ``src_``.

    Raises
    ------
    SchemaError
        Missing columns; codes of unknown shape (BPS codes named as such); no row of ``level``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"kode": ["73.22.03", "73.22.03.1002", "73.22.03.2001"],
    ...     "nama": ["Masamba", "Kasimbong", "Bone"]}, geometry=[box(0, 0, 2, 1), box(0, 0, 1, 1),
    ...     box(1, 0, 2, 1)], crs=32751)
    >>> desa, rep = admin_from_kemendagri(g, level="desa")
    >>> desa[["admin_code", "parent_code", "desa_type"]].values.tolist()
    [['73.22.03.1002', '73.22.03', 'kelurahan'], ['73.22.03.2001', '73.22.03', 'desa']]
    >>> rep.notes[0][:45]
    '1 rows of other levels by their code (1 kecam'
    """
    if level not in _BIG_NAME:
        raise ValueError(f"level must be one of {list(_BIG_NAME)}, not {level!r}")
    where = f"Kemendagri {level} layer"
    require_columns(gdf, [code_col, name_col], name=where)
    report = StepReport(step=f"adapt Kemendagri {level}", n_in=len(gdf))
    table = admin_from_code_table(gdf, code_col=code_col, name_col=name_col)
    plain = gdf[code_col].astype(str).str.strip() != table["admin_code"]
    report.repair("code written without dots read as dotted", int(plain.sum()))
    mine = (table["admin_level"] == level).to_numpy()
    if not mine.any():
        found = sorted(set(table["admin_level"]))
        raise SchemaError(
            f"{where}: no {level} codes in column {code_col!r} (found {found} codes, e.g. "
            f"{table['admin_code'].head(3).tolist()}); a {level} code looks like "
            f"{ {'kabupaten': '73.22', 'kecamatan': '73.22.03', 'desa': '73.22.03.2001'}[level]}."
        )
    if (~mine).any():
        other = table.loc[~mine, "admin_level"].value_counts().sort_index()
        report.note(
            f"{int((~mine).sum())} rows of other levels by their code ("
            + ", ".join(f"{n} {lv}" for lv, n in other.items())
            + ") left out of this layer: read the file under their own admin_* key")
    keep = [c for c in gdf.columns if c != gdf.geometry.name]
    out = _canonical(gdf, {c: table[c] for c in table.columns}, keep=keep)
    return out[mine].reset_index(drop=True), report


# --- exposure classes ---------------------------------------------------------------------------
# Ordered rules: the first pattern that matches the normalised type wins. Patterns cover OSM
# values (building=*, amenity=*, healthcare=*) and Indonesian free text.
_EXPOSURE_RULES: list[tuple[str, str]] = [
    ("evacuation centre", r"\b(evacuation|pengungsian|shelter|posko)\b"),
    ("health", r"\b(hospital|clinic|doctors|health|healthcare|rumah sakit|rs|rsud|puskesmas|"
     r"pustu|puskesmas pembantu|posyandu|klinik|polindes|poskesdes|pmi|pharmacy|apotek)\b"),
    ("education", r"\b(school|university|college|kindergarten|education|sekolah|sd|smp|sma|smk|"
     r"mi|mts|ma|tk|paud|madrasah|pesantren|universitas|kampus)\b"),
    ("place of worship", r"\b(mosque|church|temple|chapel|place of worship|masjid|mesjid|"
     r"musholla|mushola|langgar|surau|gereja|pura|vihara|klenteng)\b"),
    ("government", r"\b(government|townhall|town hall|public building|office|courthouse|police|"
     r"kantor|dprd|bupati|camat|lurah|kelurahan|polsek|polres|koramil)\b"),
    ("transport", r"\b(airport|aerodrome|bandara|bandar udara|terminal|station|bus station|"
     r"pelabuhan|port|transportation|parking)\b"),
    ("commercial", r"\b(commercial|retail|shop|market|marketplace|pasar|toko|kios|warung|"
     r"supermarket|"
     r"bank|hotel|warehouse|gudang|industrial|ruko|office building)\b"),
    ("recreation", r"\b(stadium|sports|sports centre|lapangan|gedung olahraga|gor|park|taman|"
     r"recreation|community centre|gedung pemuda)\b"),
    ("public facility", r"\b(public|community|civic|fire station|pemadam|balai|gedung|"
     r"library|perpustakaan|post office|kantor pos)\b"),
    ("residential", r"\b(house|residential|apartments|detached|terrace|hut|rumah|perumahan|"
     r"dormitory|asrama|bungalow|semidetached house|farm)\b"),
]
_COMPILED = [(cls, re.compile(pat)) for cls, pat in _EXPOSURE_RULES]


def _exposure_class(value: object) -> str | None:
    key = normalise_name(value)
    if not key:
        return None
    for cls, pattern in _COMPILED:
        if pattern.search(key):
            return cls
    return None


def exposure_class_from_types(
    types: pd.Series, *, fallback: pd.Series | None = None, source: str = "",
    value_map: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.Series, StepReport]:
    """InaSAFE exposure classes from OSM tags or Indonesian free-text types.

    Parameters
    ----------
    types : Series of str
        The most specific type first (``amenity``, a facility type, ``building``).
    fallback : Series of str, optional
        Tried where ``types`` gives no class (e.g. ``building`` when ``amenity``
        is empty). OSM's ``building=yes`` says nothing and maps to ``"other"``.
    source : str
        Name of the layer, for the report.
    value_map : mapping of class to list of str, optional
        A custom class map (the manifest's ``"classes"``), applied before the built-in rules
        to ``types`` and then to ``fallback``; see :func:`check_class_map`.

    Returns
    -------
    (Series of str, StepReport)
        ``exposure_class`` aligned on ``types``' index, one of
        :data:`BUILDING_EXPOSURE_CLASSES`; the report counts the features whose
        type was unknown (mapped to ``"other"``: a repair, not a rejection).
    """
    report = StepReport(step="classify exposure", source=source, n_in=len(types))
    lookup = check_class_map(value_map, BUILDING_CLASSES, name=f"{source or 'layer'}: classes")
    classes = pd.Series([None] * len(types), index=types.index, dtype=object)
    if lookup:
        classes = _apply_class_map(types, lookup)
        if fallback is not None:
            classes = classes.where(classes.notna(), _apply_class_map(fallback, lookup))
        report.repair("type mapped by the custom class map", int(classes.notna().sum()))
    classes = classes.where(classes.notna(), types.map(_exposure_class))
    if fallback is not None:
        classes = classes.where(classes.notna(), fallback.map(_exposure_class))
    unknown = classes.isna()
    report.repair("unknown type mapped to 'other'", int(unknown.sum()))
    _note_unmatched(report, types, unknown, fallback)
    return classes.fillna("other").rename("exposure_class"), report


def check_class_map(value_map: Mapping[str, Sequence[str]] | None, vocabulary: Vocabulary, *,
                    name: str = "classes") -> dict[str, str]:
    """Check a custom class map ``{class: [values ...]}``; return ``{value key: class}``.

    Classes are matched to the vocabulary by :func:`~kotacerdas_gis.vocabulary.class_key`
    (``"Place of Worship"`` = ``"place_of_worship"``); values too (``"Kantor Bupati"`` matches
    ``kantor_bupati``).

    Raises
    ------
    SchemaError
        Not a mapping of lists of text, an unknown class (the known ones are listed), or a value
        given for two classes.

    Examples
    --------
    >>> check_class_map({"government": ["ministry", "Kantor"]}, BUILDING_CLASSES)
    {'ministry': 'government', 'kantor': 'government'}
    >>> check_class_map({"palace": ["istana"]}, BUILDING_CLASSES)
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.SchemaError: classes: unknown class 'palace'. Known classes: residential, education, health, transport, place of worship, government, commercial, recreation, public facility, evacuation centre, other.
    """  # noqa: E501
    if value_map is None:
        return {}
    if not isinstance(value_map, Mapping):
        raise SchemaError(f"{name}: expected an object {{class: [values]}}, found "
                          f"{type(value_map).__name__}.")
    by_key = {c.key: c.value for c in vocabulary}
    out: dict[str, str] = {}
    for cls, values in value_map.items():
        canon = by_key.get(class_key(cls))
        if canon is None:
            raise SchemaError(f"{name}: unknown class {cls!r}. Known classes: "
                              f"{', '.join(vocabulary.values)}.")
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise SchemaError(f"{name}: class {cls!r} needs a list of values, found {values!r}; "
                              f'write e.g. "{cls}": ["{values}"].')
        for v in values:
            if not isinstance(v, str) or not class_key(v):
                raise SchemaError(f"{name}: class {cls!r} has a value {v!r}; expected text.")
            k = class_key(v)
            if out.get(k, canon) != canon:
                raise SchemaError(f"{name}: value {v!r} is given for both {out[k]!r} and "
                                  f"{canon!r}; keep it under one class.")
            out[k] = canon
    return out


def _apply_class_map(values: pd.Series, lookup: Mapping[str, str]) -> pd.Series:
    """Class of each value by the custom map (None where it does not match)."""
    return values.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                      else lookup.get(class_key(v)))


def _note_unmatched(report: StepReport, values: pd.Series, unknown: pd.Series,
                    fallback: pd.Series | None = None) -> None:
    """Name the values that matched no class (the ten most frequent, with counts)."""
    if not unknown.any():
        return
    v = values[unknown]
    if fallback is not None:
        v = v.where(v.notna(), fallback[unknown])
    counts = v.astype(object).where(v.notna(), "<empty>").astype(str).value_counts()
    listed = ", ".join(f"{k!r}: {n}" for k, n in counts.head(10).items())
    report.note(f"values matched by no class (mapped to 'other'): {listed}"
                + (f" and {len(counts) - 10} more" if len(counts) > 10 else "")
                + "; map them with \"classes\": {class: [values]} in the manifest")


_ROAD_MAP = {
    "motorway": "motorway", "motorway_link": "motorway",
    "trunk": "primary", "trunk_link": "primary", "primary": "primary", "primary_link": "primary",
    "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "secondary", "tertiary_link": "secondary",
    "residential": "local", "unclassified": "local", "living_street": "local",
    "service": "local", "road": "local",
    "track": "path", "path": "path", "footway": "path", "cycleway": "path",
    "bridleway": "path", "steps": "path", "pedestrian": "path",
    # Indonesian road status (BIG RBI REMARK / free text)
    "jalan nasional": "primary", "jalan arteri": "primary", "jalan provinsi": "secondary",
    "jalan kolektor": "secondary", "jalan kabupaten": "secondary", "jalan lokal": "local",
    "jalan desa": "local", "jalan setapak": "path", "jalan lain": "other",
}


def road_class_from_highway(
    highway: pd.Series, *, source: str = "",
    value_map: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.Series, StepReport]:
    """InaSAFE road classes from OSM ``highway`` values or Indonesian road status text.

    Parameters
    ----------
    highway : Series of str
        OSM ``highway`` values or road status text.
    source : str
        Name of the layer, for the report.
    value_map : mapping of class to list of str, optional
        A custom class map (the manifest's ``"classes"``: ``{"local": ["kabupaten_road"]}``),
        applied before the built-in table; see :func:`check_class_map`.

    Returns
    -------
    (Series of str, StepReport)
        ``road_class`` in :data:`ROAD_CLASSES`; unknown values become
        ``"other"``, counted in the report, which names them in a note.

    Examples
    --------
    >>> c, rep = road_class_from_highway(pd.Series(["kabupaten_road", "village_road", "trunk"]),
    ...     value_map={"secondary": ["kabupaten_road"]})
    >>> list(c), rep.reasons_repaired["unknown road type mapped to 'other'"]
    (['secondary', 'other', 'primary'], 1)
    """
    report = StepReport(step="classify roads", source=source, n_in=len(highway))
    lookup = check_class_map(value_map, VOCAB_ROADS, name=f"{source or 'roads'}: classes")
    classes = pd.Series([None] * len(highway), index=highway.index, dtype=object)
    if lookup:
        classes = _apply_class_map(highway, lookup)
        report.repair("road type mapped by the custom class map", int(classes.notna().sum()))
    key = highway.map(lambda v: normalise_name(v).replace(" ", "_") if v is not None else "")
    classes = classes.where(classes.notna(), key.map(_ROAD_MAP))
    # Indonesian keys contain spaces: try them too
    classes = classes.where(classes.notna(),
                            highway.map(lambda v: _ROAD_MAP.get(normalise_name(v))))
    unknown = classes.isna()
    report.repair("unknown road type mapped to 'other'", int(unknown.sum()))
    _note_unmatched(report, highway, unknown)
    return classes.fillna("other").rename("road_class"), report


# --- text attributes: numbers in Indonesian format, units, yes/no flags ----------------------

NumberKind = Literal["count", "measure"]
#: Units accepted after a count ("150 orang"), removed and counted.
COUNT_UNITS = ("orang", "jiwa", "org", "people", "persons", "person", "pax", "kk", "ruta",
               "rumah tangga", "kepala keluarga", "kepala rumah tangga", "households")
#: Units accepted after a measure in metres ("2,5 m").
METRE_UNITS = ("m", "meter", "metre", "meters", "metres")
_NUM_TOKEN = re.compile(r"^(?P<num>[+-]?\d[\d.,]*)\s*(?P<unit>\D.*)?$")
_PLAIN = re.compile(r"^[+-]?\d+$")
_DOT_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
_ID_FULL = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")
_EN_FULL = re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$")
_DOT_DEC = re.compile(r"^[+-]?\d+\.\d+$")
_COMMA_DEC = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS_DOT = "thousands separator '.' read (Indonesian format, e.g. '3.483' -> 3483)"
_THOUSANDS_COMMA = "thousands separator ',' read (e.g. '3,483' -> 3483)"
_DECIMAL_COMMA = "decimal comma read (Indonesian format, e.g. '2,5' -> 2.5)"
_UNIT = "unit removed from a number (e.g. '150 orang' -> 150)"


def _token_shape(tok: str) -> str:
    """Name the shape of a number written as text: plain, grouped, decimal, or bad."""
    if _PLAIN.match(tok):
        return "plain"
    if _DOT_GROUPED.match(tok):
        return "dot_grouped" if tok.count(".") == 1 else "id"
    if _COMMA_GROUPED.match(tok):
        return "comma_grouped" if tok.count(",") == 1 else "en"
    if _ID_FULL.match(tok) or _COMMA_DEC.match(tok):
        return "id"
    if _EN_FULL.match(tok) or _DOT_DEC.match(tok):
        return "en"
    return "bad"


def parse_numbers(
    values: pd.Series,
    *,
    column: str,
    source: str = "",
    kind: NumberKind = "count",
    units: Sequence[str] | None = None,
) -> tuple[pd.Series, StepReport]:
    """Numbers from a column that may hold text: Indonesian formats and units recognised.

    Numeric values pass unchanged; text is read as a number when its format is
    clear, else refused, never guessed:

    - the column's convention is found from the values that can only be read one
      way: ``2,5`` or ``1.234,5`` or ``1.234.567`` say Indonesian (``.`` groups
      thousands, ``,`` is the decimal mark); ``2.5``, ``1,234.5`` or ``1,234,567``
      say English. A column showing both is refused.
    - ``3.483`` (one group of three digits) is 3,483 in an Indonesian column, and in a
      column of counts without other evidence (a fraction of a person is no count);
      3.483 in an English column and in a measure column without evidence.
      ``3,483`` is 3,483 in an English column or a count column, 3.483 in an
      Indonesian one, and refused in a measure column without evidence.
    - a unit after the number (``150 orang``, ``20 jiwa``, ``2,5 m``) is removed
      when it is one of ``units`` (default :data:`COUNT_UNITS` for counts,
      :data:`METRE_UNITS` for measures).
    - counts must come out whole.

    Parameters
    ----------
    values : Series
        The column (object, string or numeric dtype).
    column : str
        Its name, for messages.
    source : str
        The layer or file, for messages and the report.
    kind : {"count", "measure"}
        People, households, capacity (``count``), or depths in metres (``measure``).
    units : sequence of str, optional
        Units accepted after the number.

    Returns
    -------
    (Series of float, StepReport)
        NaN where the value is missing or empty text; the report counts each value
        read from a thousands separator, a decimal comma or with a unit removed.

    Raises
    ------
    SchemaError
        Text that is no number (``"sekitar 150"``, ``"150-200"``), a unit not accepted,
        a column mixing conventions, an ambiguous value, or a count that is not whole;
        the message names the source, the column and the values.

    Examples
    --------
    >>> v, rep = parse_numbers(pd.Series(["3.483", "1.200", "150 orang", 20]), column="population")
    >>> v.tolist()
    [3483.0, 1200.0, 150.0, 20.0]
    >>> sorted(rep.reasons_repaired.values())
    [1, 2]
    >>> parse_numbers(pd.Series(["2,5", "0,75"]), column="depth_max_m", kind="measure")[0].tolist()
    [2.5, 0.75]
    """
    accepted = tuple(units) if units is not None else (COUNT_UNITS if kind == "count"
                                                        else METRE_UNITS)
    label = f"{source}: column {column!r}" if source else f"column {column!r}"
    report = StepReport(step=f"read numbers in {column}", source=source, n_in=len(values))
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), report  # numbers already: nothing to read
    # by position, not label: an index may repeat labels
    out = np.full(len(values), np.nan)
    tokens: dict[int, str] = {}
    bad: list[str] = []
    unit_rows = 0
    for idx, v in enumerate(values.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            continue
        if isinstance(v, (bool, np.bool_)):
            bad.append(repr(v))
            continue
        if isinstance(v, numbers.Number):
            out[idx] = float(v)  # type: ignore[arg-type]
            continue
        text = str(v).strip()
        if not text:
            continue
        m = _NUM_TOKEN.match(text)
        if m is None:
            bad.append(repr(text))
            continue
        unit = (m.group("unit") or "").strip()
        if unit:
            if normalise_name(unit) not in accepted:
                bad.append(repr(text))
                continue
            unit_rows += 1
        tokens[idx] = m.group("num")
    if bad:
        raise SchemaError(
            f"{label}: {len(bad)} value(s) are not numbers: {', '.join(sorted(set(bad))[:5])}. "
            f"Write plain numbers (3483, 2.5 or the Indonesian 3.483, 2,5)"
            + (f"; units allowed after a number: {', '.join(accepted)}" if accepted else "")
            + ". Fix the source table, or leave the cell empty when the value is unknown."
        )
    shapes = {idx: _token_shape(tok) for idx, tok in tokens.items()}
    weird = sorted({tokens[i] for i, sh in shapes.items() if sh == "bad"})
    if weird:
        raise SchemaError(
            f"{label}: {len(weird)} value(s) are not numbers in any format: {weird[:5]}. "
            "Write them as 3483 or 2.5 (or the Indonesian 3.483 and 2,5)."
        )
    id_ex = [tokens[i] for i, sh in shapes.items() if sh == "id"]
    en_ex = [tokens[i] for i, sh in shapes.items() if sh == "en"]
    if id_ex and en_ex:
        raise SchemaError(
            f"{label}: mixes number formats: Indonesian {id_ex[:3]} ('.' groups thousands, ',' "
            f"is the decimal mark) and English {en_ex[:3]}. Write every value the same way."
        )
    dot = [tokens[i] for i, sh in shapes.items() if sh == "dot_grouped"]
    comma = [tokens[i] for i, sh in shapes.items() if sh == "comma_grouped"]
    convention = "id" if id_ex else "en" if en_ex else None
    if convention is None:
        if kind == "count" and dot and comma:
            raise SchemaError(
                f"{label}: mixes thousands separators: {dot[:3]} and {comma[:3]}. Write every "
                "value the same way (3483, or 3.483 throughout)."
            )
        if kind == "count":
            convention = "id" if dot else "en"
        elif comma:
            raise SchemaError(
                f"{label}: {comma[:3]} is ambiguous: a decimal comma (Indonesian, 1,500 = 1.5) or "
                "a thousands separator (1,500 = 1500)? Write 1.5 or 1500."
            )
        else:
            convention = "en"
    for idx, tok in tokens.items():
        sh = shapes[idx]
        sign = -1.0 if tok.startswith("-") else 1.0
        body = tok.lstrip("+-")
        if convention == "id" or (kind == "count" and sh == "dot_grouped" and convention is None):
            number = float(body.replace(".", "").replace(",", "."))
        else:
            number = float(body.replace(",", ""))
        if convention == "id":
            if "." in body and sh != "plain":
                report.repair(f"{column}: {_THOUSANDS_DOT}")
            if "," in body:
                report.repair(f"{column}: {_DECIMAL_COMMA}")
        elif "," in body:
            report.repair(f"{column}: {_THOUSANDS_COMMA}")
        out[idx] = sign * number
    if unit_rows:
        report.repair(f"{column}: {_UNIT}", unit_rows)
    if kind == "count":
        frac = [tokens[i] for i in tokens if not float(out[i]).is_integer()]
        if frac:
            raise SchemaError(
                f"{label}: counts must be whole numbers, found {frac[:5]}. Write the count of "
                "people (3483, or the Indonesian 3.483 with '.' grouping thousands)."
            )
    return pd.Series(out, index=values.index, name=values.name), report


#: Values read as true and as false by :func:`parse_flags` (``ya``/``tidak`` and English forms).
TRUE_WORDS = ("yes", "ya", "y", "true", "t", "benar", "ada", "1")
FALSE_WORDS = ("no", "tidak", "tdk", "n", "false", "f", "bukan", "tidak ada", "0", "none")
#: OSM ``bridge=*`` values that are bridges (besides :data:`TRUE_WORDS`).
BRIDGE_WORDS = ("viaduct", "aqueduct", "boardwalk", "cantilever", "covered", "movable",
                "trestle", "suspension", "simple brunnel", "low water crossing", "jembatan",
                "culvert")


def parse_flags(
    values: pd.Series, *, column: str, source: str = "", true_words: Sequence[str] = ()
) -> pd.Series:
    """Booleans from yes/no text in Indonesian or English; unknown values refused.

    Missing values and empty text are false; numbers are true when non-zero;
    :data:`TRUE_WORDS` (``ya``, ``yes``, ``true``, ``1`` ...) and ``true_words`` are
    true, :data:`FALSE_WORDS` (``tidak``, ``no``, ``false``, ``0`` ...) false.

    Raises
    ------
    SchemaError
        For any other value, naming the source, the column and the values.

    Examples
    --------
    >>> parse_flags(pd.Series(["ya", "tidak", None, "Y", 0.0]), column="bridge").tolist()
    [True, False, False, True, False]
    """
    trues = set(TRUE_WORDS) | {normalise_name(w) for w in true_words}
    falses = set(FALSE_WORDS) | {""}
    unknown: list[str] = []

    def flag(v: object) -> bool:
        if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            return False
        if isinstance(v, (bool, np.bool_, numbers.Number)):
            return bool(v)
        text = normalise_name(v)
        try:
            x = float(str(v).strip())  # "0", "1.0", "nan" as text
        except ValueError:
            if text in trues:
                return True
            if text not in falses:
                unknown.append(str(v))
            return False
        return not math.isnan(x) and x != 0.0

    out = values.map(flag).astype(bool)
    if unknown:
        counts = pd.Series(unknown).value_counts()
        shown = ", ".join(f"{k!r} ({n})" for k, n in counts.head(5).items())
        label = f"{source}: column {column!r}" if source else f"column {column!r}"
        raise SchemaError(
            f"{label}: {len(unknown)} value(s) are neither yes nor no: {shown}. Expected "
            f"{', '.join(sorted(trues))} (true) or {', '.join(sorted(falses - {''}))} (false), "
            "or empty. Fix the column or map the values with the manifest's rename to another "
            "column."
        )
    return out


def bridge_flag(values: pd.Series, *, source: str = "") -> pd.Series:
    """Boolean bridge flag from OSM-style or Indonesian values.

    ``yes``, ``ya``, ``viaduct`` and the other OSM ``bridge=*`` kinds
    (:data:`BRIDGE_WORDS`), ``1``, ``true`` are bridges; ``no``, ``tidak``,
    ``false``, ``0`` and empty are not; anything else is refused
    (:func:`parse_flags`), never taken as a bridge.

    Examples
    --------
    >>> bridge_flag(pd.Series(["yes", None, "no", "viaduct", True, "tidak"])).tolist()
    [True, False, False, True, True, False]

    Numbers (a 0/1 column read with missing values is float) are true when non-zero:

    >>> bridge_flag(pd.Series([1.0, 0.0, float("nan"), "0.0"])).tolist()
    [True, False, False, False]
    """
    return parse_flags(values, column="bridge", source=source,
                       true_words=BRIDGE_WORDS).rename("bridge")


# ------------------------------------------------------------------------------------ OSM tags

#: ``amenity`` values that make an OSM feature a facility (health, education, government,
#: worship, markets, emergency services, shelters); any ``healthcare=*`` makes one too.
OSM_FACILITY_AMENITIES: frozenset[str] = frozenset({
    "hospital", "clinic", "doctors", "dentist", "pharmacy", "health_post", "school",
    "kindergarten", "college", "university", "townhall", "courthouse", "police",
    "fire_station", "marketplace", "place_of_worship", "community_centre", "social_facility",
    "shelter", "post_office", "library", "bus_station", "ferry_terminal",
})

_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def osm_other_tags(values: pd.Series) -> pd.Series:
    r"""Parse GDAL's ``other_tags`` (hstore text ``"bridge"=>"yes","lanes"=>"2"``) into dicts.

    Examples
    --------
    >>> osm_other_tags(pd.Series(['"bridge"=>"yes","name:en"=>"A \\"B\\""', None])).tolist()
    [{'bridge': 'yes', 'name:en': 'A "B"'}, {}]
    """
    def parse(v: object) -> dict[str, str]:
        if not isinstance(v, str) or not v:
            return {}
        return {k.replace('\\"', '"'): x.replace('\\"', '"') for k, x in _HSTORE.findall(v)}

    return values.map(parse)


def _osm_tag(frame: pd.DataFrame, tags: pd.Series, key: str) -> pd.Series:
    """One tag: the driver's own column when it has one, else from ``other_tags``."""
    from_tags = tags.map(lambda d: d.get(key))
    if key in frame.columns:
        own = frame[key].astype(object).where(frame[key].notna(), None)
        return own.where(own.notna(), from_tags)
    return from_tags


def assets_from_osm(
    layers: Mapping[str, gpd.GeoDataFrame], *, source: str = "osm"
) -> tuple[dict[str, gpd.GeoDataFrame], StepReport]:
    """Roads, buildings and facilities from the layers of GDAL's OSM driver.

    * roads: ``lines`` with a ``highway`` tag (``road_id`` = ``osm_id``, ``highway``,
      ``bridge`` from ``other_tags``, ``name``);
    * buildings: ``multipolygons`` with a ``building`` tag (``building_id``, ``building``,
      ``amenity``, ``name``);
    * facilities: ``points`` and ``multipolygons`` whose ``amenity`` is one of
      :data:`OSM_FACILITY_AMENITIES` or that carry a ``healthcare`` tag (``facility_id``,
      ``facility_type`` = the ``healthcare`` value, else the ``amenity`` value, ``amenity``,
      ``name``; polygons stay polygons and are placed at a point on their surface by the
      exposure step).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``points``, ``lines``, ``multipolygons`` as read (any may be missing), with ``osm_id``
        (``osm_way_id`` for polygons made of ways) and ``other_tags``.
    source : str
        The file, for the report.

    Returns
    -------
    (dict of GeoDataFrame, StepReport)
        ``{"roads": ..., "buildings": ..., "facilities": ...}`` (only those found), raw frames
        for :func:`~kotacerdas_gis.scenario.build_scenario`; the report counts the features
        per tag value taken in one note per tag (``OSM tag highway: residential 12, primary
        3``; ``building``, ``amenity``, ``healthcare``, ``bridge`` alike) and the features
        without a used tag as rejected.
    """
    rep = StepReport("OSM tags -> roads, buildings, facilities", source=source)
    out: dict[str, gpd.GeoDataFrame] = {}

    def ids(frame: pd.DataFrame) -> pd.Series:
        idc = frame["osm_id"] if "osm_id" in frame.columns else pd.Series(None, index=frame.index)
        if "osm_way_id" in frame.columns:
            way = "w" + frame["osm_way_id"].astype(str)
            idc = ("r" + idc.astype(str)).where(idc.notna(), way.where(frame["osm_way_id"].notna()))
        return idc.astype(object).where(idc.notna(), None)

    used: dict[str, Counter[str]] = {}

    def count(prefix: str, values: pd.Series) -> None:
        c = used.setdefault(prefix, Counter())
        for v, n in values.dropna().astype(str).value_counts().items():
            c[str(v)] += int(n)

    def tags_of(frame: pd.DataFrame) -> pd.Series:
        return (osm_other_tags(frame["other_tags"]) if "other_tags" in frame.columns
                else pd.Series([{}] * len(frame), index=frame.index, dtype=object))

    n_in = 0
    lines = layers.get("lines")
    if lines is not None:
        n_in += len(lines)
        tags = tags_of(lines)
        hw = _osm_tag(lines, tags, "highway")
        keep = hw.notna()
        rep.reject("OSM line without a highway tag (rivers, power lines ...)", int((~keep).sum()))
        if keep.any():
            r = lines[keep]
            t = tags[keep]
            bridge = t.map(lambda d: d.get("bridge")).astype(object)
            bridge = bridge.where(bridge.notna(), None)
            count("highway", hw[keep])
            count("bridge", bridge.where(bridge.map(lambda b: b not in (None, "no"))))
            out["roads"] = gpd.GeoDataFrame(
                {"road_id": ids(r).to_numpy(), "name": r.get("name", pd.Series(None, index=r.index))
                 .to_numpy(), "highway": hw[keep].to_numpy(), "bridge": bridge.to_numpy()},
                geometry=r.geometry.to_numpy(), crs=lines.crs)
    facilities: list[gpd.GeoDataFrame] = []

    def facility_rows(frame: gpd.GeoDataFrame, tags: pd.Series) -> pd.Series:
        am = _osm_tag(frame, tags, "amenity")
        hc = _osm_tag(frame, tags, "healthcare")
        is_fac = (am.map(lambda v: v in OSM_FACILITY_AMENITIES).astype(bool)
                  | hc.notna().astype(bool))
        if is_fac.any():
            f = frame[is_fac]
            count("amenity", am[is_fac])
            count("healthcare", hc[is_fac])
            facilities.append(gpd.GeoDataFrame(
                {"facility_id": ids(f).to_numpy(),
                 "name": f.get("name", pd.Series(None, index=f.index)).to_numpy(),
                 "facility_type": hc[is_fac].where(hc[is_fac].notna(), am[is_fac]).to_numpy(),
                 "amenity": am[is_fac].to_numpy()},
                geometry=f.geometry.to_numpy(), crs=frame.crs))
        return is_fac

    polys = layers.get("multipolygons")
    if polys is not None:
        n_in += len(polys)
        tags = tags_of(polys)
        bld = _osm_tag(polys, tags, "building")
        is_bld = bld.notna().astype(bool) & (bld.astype(object) != "no").astype(bool)
        is_fac = facility_rows(polys, tags)
        rep.reject("OSM polygon without a building, facility amenity or healthcare tag "
                   "(land use, water ...)", int((~is_bld & ~is_fac).sum()))
        if is_bld.any():
            b = polys[is_bld]
            count("building", bld[is_bld])
            out["buildings"] = gpd.GeoDataFrame(
                {"building_id": ids(b).to_numpy(),
                 "name": b.get("name", pd.Series(None, index=b.index)).to_numpy(),
                 "building": bld[is_bld].to_numpy(),
                 "amenity": _osm_tag(b, tags[is_bld], "amenity").to_numpy()},
                geometry=b.geometry.to_numpy(), crs=polys.crs)
    points = layers.get("points")
    if points is not None:
        n_in += len(points)
        is_fac = facility_rows(points, tags_of(points))
        rep.reject("OSM point without a facility amenity or healthcare tag", int((~is_fac).sum()))
    if facilities:
        out["facilities"] = gpd.GeoDataFrame(pd.concat(facilities, ignore_index=True),
                                             crs=facilities[0].crs)
    rep.n_in = n_in
    for key, c in used.items():  # the tag mapping, counted: one note per tag
        if c:
            rep.note(f"OSM tag {key}: " + ", ".join(f"{v} {n}" for v, n in c.most_common()))
    return out, rep
