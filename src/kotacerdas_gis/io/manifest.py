"""Reading a scenario from a manifest: one JSON file that names every input.

A manifest is how a planner swaps the bundled reconstruction for official data
(BIG or HDX boundaries, DEMNAS, an OSM extract, BNPB flood maps)::

    {
      "name": "Masamba, official data",
      "crs": "EPSG:32751",
      "demonstration": false,
      "layers": {
        "admin_desa": {"path": "batas_desa.gpkg", "layer": "desa", "adapter": "bigrbi",
                       "source": "BIG RBI 1:25.000", "date": "2023", "licence": "..."},
        "buildings":  {"path": "osm.gpkg", "layer": "buildings",
                       "rename": {"osm_id": "building_id"}},
        "dem":        {"path": "demnas.tif"},
        "population": {"path": "penduduk_desa.csv"}
      }
    }

Paths are relative to the manifest. Every vector layer is read with
:func:`kotacerdas_gis.io.vector.read_vector` and reprojected to ``crs``;
``adapter`` is ``"canonical"`` (default), ``"hdx"``, ``"bigrbi"`` or ``"kemendagri"``
(columns ``kode``, ``nama``; levels and parents from the codes) for admin layers;
``rename`` maps source column names to the names the loader expects;
``assume_crs`` names the CRS of a file that declares none.

The manifest is checked against a typed schema (:func:`validate_manifest`:
:data:`TOP_LEVEL_KEYS`, :data:`MANIFEST_KEYS`, :data:`LAYER_KEYS`): an unknown
key at any level is an error suggesting the closest valid one, so a typo neither
drops a layer nor loses the ``demonstration`` flag silently; values of the wrong
type (a ``path`` that is a number, ``"demonstration": "false"``) are errors.
Text encodings are handled by :func:`kotacerdas_gis.io.config.read_text`.
Shapefile field names cut to 10 characters are mapped back
(:func:`kotacerdas_gis.io.vector.restore_field_names`, which also restores
names in other case: ``ADMIN_CODE``), and the population table
is read as text so that its numbers are read by
:func:`kotacerdas_gis.schemas.parse_numbers` (``3.483`` people are 3,483).

The scenario's own hazard layer, polygons or a raster (by the file's suffix), goes under
``"hazard"`` with how to classify it (:data:`HAZARD_OPTIONS`)::

    "hazard": {"path": "rawan_banjir.gpkg", "class_set": "wet_dry",
               "field": "FLOODPRONE", "value_map": {"wet": ["YES", "yes"], "dry": ["NO", "no"]}}
    "hazard": {"path": "krb.shp", "class_set": "generic", "field": "KRB",
               "value_map": {"high": ["Tinggi"], "medium": ["Sedang"], "low": ["Rendah"]}}
    "hazard": {"path": "kedalaman.tif",
               "class_set": {"thresholds": [0.5, 1.0], "keys": ["low", "medium", "high"],
                             "comparison": ">="}}
    "hazard": {"path": "inarisk_banjir.tif", "class_set": "inarisk"}
    "hazard": {"path": "kedalaman.tif", "class_set": "petabencana", "building_rule": "mean"}

A raster's buildings take the highest class over their footprint unless ``building_rule``
(:data:`BUILDING_RULES`) says ``"mean"`` (coverage-weighted) or ``"centroid"``.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..accounting import Ledger
from ..checks import check_keys, choices_of, closest, did_you_mean
from ..crs import as_crs, describe_crs, estimate_working_crs
from ..errors import CRSMismatchError, DataError, ParameterError, SchemaError
from ..exposure.raster_hazard import Statistic
from ..scenario import Scenario, build_scenario
from ..schemas import admin_from_bigrbi, admin_from_hdx, admin_from_kemendagri
from .config import read_json, read_settings
from .raster import read_raster
from .vector import GeometryFamily, read_table, read_vector, restore_field_names

__all__ = [
    "read_scenario",
    "read_manifest",
    "validate_manifest",
    "read_json",
    "MANIFEST_KEYS",
    "TOP_LEVEL_KEYS",
    "LAYER_KEYS",
    "ADAPTERS",
    "HAZARD_OPTIONS",
]

_GEOMETRY: dict[str, GeometryFamily] = {
    "admin_kabupaten": "polygon",
    "admin_kecamatan": "polygon",
    "admin_desa": "polygon",
    "rivers": "line",
    "roads": "line",
    "bridges": "point",
    "buildings": "polygon",
    "facilities": "point",
    "observed_flood_2020": "polygon",
}

# --- issue 11 / 12 manifest keys (aggregation areas, census polygons, custom class maps, the
# OSM adapter), kept in one block for the typed manifest schema:
#   "aggregation": {"path": ..., "id_field": "cell_id", "name_field": "label"}
#   "census":      {"path": ..., "population_field": "jiwa"}
#   "buildings" / "facilities" / "roads": {"classes": {"government": ["ministry"]}}
#   "roads" / "buildings" / "facilities": {"path": "extract.osm.pbf", "adapter": "osm"}
_GEOMETRY.update({"aggregation": "polygon", "census": "polygon"})
_KEY_OPTIONS: dict[str, set[str]] = {
    "id_field": {"aggregation"}, "name_field": {"aggregation"},
    "population_field": {"census"}, "classes": {"buildings", "facilities", "roads"},
}
#: The JSON types of those options (for :func:`validate_manifest`).
KEY_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "id_field": (str,), "name_field": (str,), "population_field": (str,), "classes": (dict,),
}
_OSM_KEYS = ("roads", "buildings", "facilities")
#: Layer keys a manifest may hold.
MANIFEST_KEYS = (*_GEOMETRY, "dem", "population", "hazard")

# --- the hazard layer (issue 11): its own options, kept apart for the manifest schema --------
#: Options of the ``hazard`` layer, by kind, beside the common layer options.
HAZARD_OPTIONS: dict[str, tuple[str, ...]] = {
    "any": ("class_set",),
    "polygons": ("field", "value_map", "unmapped", "depth_min_col", "depth_max_col",
                 "depth_rule", "every_polygon"),
    "raster": ("negative", "min_zone_cells", "building_rule"),
}
#: How buildings are classed against a hazard raster (``building_rule``): ``max`` over the
#: footprint (the default: the raster's zones, the highest class a footprint touches), the
#: coverage-weighted ``mean`` over it, or the value at its ``centroid``
#: (:func:`kotacerdas_gis.exposure.buildings_raster_exposure`).
BUILDING_RULES = choices_of(Statistic)
#: The JSON types of the hazard layer's options (for :func:`validate_manifest`).
HAZARD_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "class_set": (str, dict), "field": (str,), "value_map": (dict,), "unmapped": (str,),
    "depth_min_col": (str, type(None)), "depth_max_col": (str, type(None)), "depth_rule": (str,),
    "every_polygon": (str,), "negative": (str,), "min_zone_cells": (int,),
    "building_rule": (str,),
}
#: File suffixes read as a hazard raster (anything else is a vector layer).
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".asc", ".nc")


def _hazard_kind(path: Any) -> str:
    return "raster" if Path(path).suffix.lower() in RASTER_SUFFIXES else "polygons"


def _check_hazard_spec(p: Path, spec: dict[str, Any]) -> None:
    """Refuse hazard options of the other kind and value maps that are not objects of lists."""
    kind = _hazard_kind(spec["path"])
    other = "raster" if kind == "polygons" else "polygons"
    wrong = sorted(set(spec) & set(HAZARD_OPTIONS[other]))
    if wrong:
        raise SchemaError(
            f"{p}: layer 'hazard' is {kind} ({Path(spec['path']).name}) but has the {other} "
            f"option(s) {wrong}; {kind} take "
            f"{', '.join(HAZARD_OPTIONS['any'] + HAZARD_OPTIONS[kind])}."
        )
    vm = spec.get("value_map")
    if vm is not None and not (isinstance(vm, dict) and all(
            isinstance(v, (list, str, int, float)) for v in vm.values())):
        raise SchemaError(
            f"{p}: layer 'hazard' value_map must be an object of class key -> list of values, "
            'e.g. {"wet": ["YES", "yes"], "dry": ["NO", "no"]}.'
        )
    rule = spec.get("building_rule", "max")
    if rule not in BUILDING_RULES:
        raise SchemaError(
            f"{p}: layer 'hazard' building_rule is {rule!r}; use one of "
            f"{', '.join(repr(r) for r in BUILDING_RULES)} (how a building is classed from the "
            "raster: highest value over its footprint, coverage-weighted mean, or centroid)."
        )
    if ("field" in spec) != ("value_map" in spec):
        raise SchemaError(
            f"{p}: layer 'hazard' needs both 'field' (the categorical column) and 'value_map' "
            "(class key -> values), or neither."
        )
# ------------------------------------------------------------------------------------------

#: Top-level keys of a manifest and the JSON types they take (the schema; see validate_manifest).
TOP_LEVEL_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "crs": (str, int, type(None)),
    "demonstration": (bool,),
    "description": (str,),
    "layers": (dict,),
    "generated_by": (str,),
    "seed": (int,),
    "comment": (str,),
}
#: Keys of one layer's specification and their types.
LAYER_KEYS: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "layer": (str,),
    "adapter": (str,),
    "rename": (dict,),
    "assume_crs": (str, int),
    "encoding": (str,),
    "source": (str,),
    "date": (str, int),
    "licence": (str,),
    "description": (str,),
    "url": (str,),
    "comment": (str,),
}
#: The values of a layer's ``adapter``.
ADAPTERS = ("canonical", "hdx", "bigrbi", "kemendagri", "osm")
_PROVENANCE = ("source", "date", "licence", "description", "url")
_TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", dict: "an object",
               type(None): "null"}


def _json_type(value: Any) -> str:
    """Name a value's JSON type, for messages."""
    return {str: "text", bool: "true/false", int: "a number", float: "a number",
            dict: "an object", list: "a list", type(None): "null"}.get(type(value),
                                                                     type(value).__name__)


def _check_type(p: Path, key: str, value: Any, types: tuple[type, ...]) -> None:
    """Raise SchemaError unless ``value`` has one of ``types`` exactly (true is no number)."""
    if any(type(value) is t for t in types):
        return
    expected = " or ".join(_TYPE_NAMES[t] for t in types)
    fix = ""
    if isinstance(value, str):
        low = value.strip().lower()
        if bool in types and low in ("true", "false"):
            fix = f" Write {low} without quotes: \"{low}\" in quotes is text."
        elif int in types and low.lstrip("-").isdigit():
            fix = f" Write {low} without quotes."
    elif str in types and value is not None and not isinstance(value, (dict, list)):
        fix = f" Write it in quotes: \"{value}\"."
    raise SchemaError(
        f"{p}: key {key!r}: expected {expected}, found {value!r} ({_json_type(value)}).{fix}"
    )


def _check_keys(p: Path, where: str, data: dict[str, Any], known: Any) -> None:
    """Raise SchemaError for unknown keys of a manifest object, suggesting the closest."""
    try:
        check_keys(data, list(known), name=f"{p}: {where}")
    except ParameterError as exc:
        raise SchemaError(str(exc)) from None


def validate_manifest(manifest: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Check a manifest object against the schema; raise naming the key, the file and the fix.

    Every level is checked: the top level (:data:`TOP_LEVEL_KEYS`), the layer keys
    (:data:`MANIFEST_KEYS`), each layer's options (:data:`LAYER_KEYS`), the
    ``rename`` mapping (text to text), ``adapter`` (:data:`ADAPTERS`) and
    ``encoding`` (a codec Python knows). A misspelt key is given the closest valid
    one; a quoted boolean or number is refused (``"demonstration": "false"`` would
    otherwise read as true).

    Raises
    ------
    SchemaError
        For the first problem found.
    """
    p = Path(path)
    _check_keys(p, "top level", manifest, TOP_LEVEL_KEYS)
    if "layers" not in manifest:
        raise SchemaError(f"{p}: no 'layers' object. Add \"layers\": {{\"admin_desa\": "
                          "{\"path\": \"desa.gpkg\"}, ...} (see data/scenario.json).")
    for key, types in TOP_LEVEL_KEYS.items():
        if key in manifest:
            _check_type(p, key, manifest[key], types)
    _check_keys(p, "layers", manifest["layers"], MANIFEST_KEYS)
    for key, spec in manifest["layers"].items():
        where = f"layers.{key}"
        if not isinstance(spec, dict):
            raise SchemaError(f"{p}: key {where!r}: expected an object such as {{\"path\": "
                              f"\"{key}.gpkg\"}}, found {spec!r} ({_json_type(spec)}).")
        known = LAYER_KEYS | KEY_OPTION_TYPES | (HAZARD_KEY_TYPES if key == "hazard" else {})
        _check_keys(p, where, spec, known)
        if "path" not in spec:
            raise SchemaError(f"{p}: {where} has no 'path'. Add \"path\": the file, relative "
                              "to the manifest.")
        for opt, types in known.items():
            if opt in spec:
                _check_type(p, f"{where}.{opt}", spec[opt], types)
        if not spec["path"].strip():
            raise SchemaError(f"{p}: key '{where}.path' is empty. Give the file, relative to "
                              "the manifest.")
        _check_key_options(p, key, spec)
        for src, dst in spec.get("rename", {}).items():
            if not isinstance(dst, str) or not dst.strip():
                raise SchemaError(
                    f"{p}: key '{where}.rename.{src}': expected the new column name as text, "
                    f"found {dst!r} ({_json_type(dst)}). rename maps source names to the names "
                    'the loader expects, e.g. {"kode": "admin_code"}.'
                )
        adapter = spec.get("adapter", "canonical")
        if adapter not in ADAPTERS:
            raise SchemaError(
                f"{p}: key '{where}.adapter': {adapter!r} is not an adapter"
                f"{did_you_mean(adapter, ADAPTERS)}; use one of {', '.join(ADAPTERS)}."
            )
        if "encoding" in spec:
            try:
                codecs.lookup(spec["encoding"])
            except LookupError:
                raise SchemaError(
                    f"{p}: key '{where}.encoding': {spec['encoding']!r} is not a text encoding "
                    "Python knows; use e.g. 'utf-8', 'latin-1' or 'cp1252'."
                ) from None


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a manifest; return it with absolute layer paths.

    The manifest is JSON (or TOML with a ``.toml`` suffix) in UTF-8; a byte-order
    mark is removed and noted under ``"_notes"``; other encodings are refused
    with the fix (:func:`kotacerdas_gis.io.config.read_text`). The content is
    checked by :func:`validate_manifest`.

    Raises
    ------
    DataError
        Missing or unreadable file, not UTF-8, invalid JSON, a layer file that does not exist.
    SchemaError
        Unknown keys (at every level), values of the wrong type, missing ``layers`` or ``path``.
    """
    p = Path(path)
    notes: list[str] = []
    hint = "Write one like data/scenario.json."
    manifest = (read_settings(p, what="manifest", hint=hint, notes=notes)
                if p.suffix.lower() == ".toml"
                else read_json(p, what="manifest", hint=hint, notes=notes))
    validate_manifest(manifest, p)
    for key, spec in manifest["layers"].items():
        given = spec["path"].strip()
        if "://" in given:
            raise DataError(
                f"{p}: layer {key!r} points to the URL {given!r}. Download the file and give "
                "its path (this package reads local files only, so a run never depends on the "
                "network)."
            )
        full = (p.parent / Path(given).expanduser()).resolve()
        if not full.exists():
            hint = ""
            if "\\" in given:
                hint = (" The path has backslashes: write it with '/' (\"data/desa.gpkg\"), "
                        "which works on Windows too.")
            raise DataError(f"{p}: layer {key!r} points to {full}, which does not exist.{hint}")
        spec["path"] = full
        if key == "hazard":
            _check_hazard_spec(p, spec)
    manifest["_path"] = p.resolve()
    manifest["_notes"] = notes
    return manifest


#: Columns build_scenario reads from each layer (names longer than 10 characters are cut by DBF).
SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "admin_kabupaten": ("admin_code", "admin_name", "admin_level", "parent_code"),
    "admin_kecamatan": ("admin_code", "admin_name", "admin_level", "parent_code"),
    "admin_desa": ("admin_code", "admin_name", "admin_level", "parent_code"),
    "rivers": ("river_id", "name"),
    "roads": ("road_id", "name", "highway", "bridge"),
    "bridges": ("bridge_id", "name", "river", "road_id"),
    "buildings": ("building_id", "name", "building", "amenity"),
    "facilities": ("facility_id", "name", "facility_type", "amenity", "capacity_persons"),
    "observed_flood_2020": ("flood_id", "depth_min_m", "depth_max_m", "material"),
    "population": ("admin_code", "population", "households", "female", "elderly", "disabled"),
}


_COL_HINT = "Pass the right name through the function's *_col keyword, or rename the column"
_RENAME_HINT = ('Map the file\'s column to it with the layer\'s "rename" in the manifest, e.g. '
                '"rename": {"kode": "admin_code"}')


@contextlib.contextmanager
def _for_manifest(path: Path, key: str | None = None) -> Iterator[None]:
    """Name the manifest (and layer) in schema errors, with the manifest's fix."""
    try:
        yield
    except SchemaError as exc:
        # the adapters speak to Python callers (a *_col keyword); a manifest has "rename"
        msg = str(exc).replace(_COL_HINT, _RENAME_HINT)
        msg = re.sub(r"\(in a manifest, the layer's \"rename\": (.*?); in Python, the function's "
                     r"\*_col keyword or DataFrame\.rename\)",
                     r"""(the layer's "rename" in the manifest: \1)""", msg)
        where = f"{path}: layer {key!r}: " if key else f"{path}: "
        raise SchemaError(where + msg) from None


def _rename(df: Any, key: str, spec: dict[str, Any], manifest: Path) -> Any:
    """Apply a layer's ``rename``; a source column absent or a name given twice is an error."""
    rename: dict[str, str] = spec.get("rename") or {}
    if not rename:
        return df
    geom = getattr(df, "_geometry_column_name", None)
    cols = [str(c) for c in df.columns if c != geom]
    where = f"{manifest}: key 'layers.{key}.rename'"
    missing = [src for src in rename if src not in cols]
    if missing:
        hints = "".join(f" For {src!r}, did you mean {near!r}?" for src in missing
                        if (near := next((c for c in cols if c.casefold() == src.casefold()),
                                         None) or closest(src, cols)))
        raise SchemaError(
            f"{where}: column(s) {missing} are not in {Path(spec['path']).name}, so nothing "
            f"would be renamed.{hints} Columns in the file: {', '.join(cols)}."
        )
    targets = list(rename.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    clash = sorted({t for t in targets if t in cols and t not in rename})
    if twice or clash:
        name = (twice or clash)[0]
        why = ("two columns are renamed to it" if twice
               else "the file already has a column of that name")
        raise SchemaError(
            f"{where}: the layer would have two columns named {name!r}: {why}. Rename only one "
            f"column to {name!r} (rename the other away, e.g. \"{name}\": \"{name}_source\")."
        )
    return df.rename(columns=rename)


def _restore_field_names(df: Any, key: str, spec: dict[str, Any], ledger: Ledger) -> Any:
    """Map back field names in other case, or cut to 10 characters by a DBF, counted."""
    if key not in SOURCE_COLUMNS or spec.get("adapter", "canonical") != "canonical":
        return df
    dbf = Path(spec["path"]).suffix.lower() in (".shp", ".dbf", ".zip")
    return restore_field_names(df, SOURCE_COLUMNS[key], name=f"{key} ({Path(spec['path']).name})",
                               ledger=ledger, dbf=dbf)


def _check_key_options(p: Path, key: str, spec: dict[str, Any]) -> None:
    """Check the options that belong to some layer keys only (issue 11 / 12 block)."""
    for opt, keys in _KEY_OPTIONS.items():
        if opt in spec and key not in keys:
            raise SchemaError(f"{p}: layer {key!r} has option {opt!r}, which only "
                              f"{', '.join(sorted(keys))} take.")
    # the types are the schema's (KEY_OPTION_TYPES); an empty column name is not
    for opt in ("id_field", "name_field", "population_field"):
        if opt in spec and not spec[opt].strip():
            raise SchemaError(f"{p}: layer {key!r} option {opt!r} must name a column, "
                              f"found {spec[opt]!r}.")
    if key == "aggregation" and "id_field" not in spec:
        raise SchemaError(f'{p}: layer "aggregation" needs "id_field", the column that '
                          'identifies each area (and optionally "name_field").')
    if spec.get("adapter") == "osm" and key not in _OSM_KEYS:
        raise SchemaError(f'{p}: layer {key!r} has adapter "osm"; only '
                          f"{', '.join(_OSM_KEYS)} are read from an OSM extract.")


def _estimated_crs(manifest: dict[str, Any], ledger: Ledger) -> Any:
    """Estimate the working CRS from the study boundary of a manifest without ``crs``."""
    layers = manifest["layers"]
    vectors = [k for k in layers if k in _GEOMETRY]
    order = [k for k in ("admin_kabupaten", "admin_kecamatan", "admin_desa") if k in layers]
    key = next(iter(order or vectors), None)
    if key is None:
        raise DataError(
            f"{manifest['_path']}: no 'crs' and no vector layer to estimate it from. "
            'Add "crs": "EPSG:...", the metric CRS of the study area.'
        )
    spec = layers[key]
    boundary = read_vector(spec["path"], layer=spec.get("layer"), assume_crs=spec.get("assume_crs"),
                           metric=False, encoding=spec.get("encoding"), name=key)
    crs = estimate_working_crs(boundary)
    step = ledger.step("working CRS", source=key, n_in=len(boundary))
    step.note(f"the manifest gives no 'crs': estimated {describe_crs(crs)} from {key} "
              "(the UTM zone of its bounding box); set \"crs\" in the manifest to choose another")
    return crs


def _hazard_raster(path: Path, crs: Any, ledger: Ledger) -> Path:
    """Check a hazard raster's CRS against the working CRS (it is read lazily later)."""
    src = read_raster(path, name="hazard")
    if not as_crs(src.crs).equals(as_crs(crs)):
        raise CRSMismatchError(
            f"hazard: the raster {path.name} is in {describe_crs(src.crs)} but the working CRS "
            f"is {describe_crs(crs)}. Reproject it: kotacerdas_gis.io.raster.reproject_raster("
            f'read_raster("{path}"), "{path.stem}_working.tif", crs="{as_crs(crs).to_string()}")'
            ' (resampling="bilinear" for depths, "nearest" for an index or class codes).'
        )
    step = ledger.step("hazard raster", source="hazard", n_in=1)
    step.note(f"{path.name}: {src.width} x {src.height} cells of {src.res[0]:g} m, "
              f"{describe_crs(src.crs)}, nodata {src.nodata}")
    return path


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read every layer a manifest names and build a :class:`~kotacerdas_gis.scenario.Scenario`.

    Parameters
    ----------
    path : path-like
        The manifest (JSON).

    Returns
    -------
    Scenario
        All vector layers in the manifest's ``crs``, or, when the manifest gives
        none, in the UTM zone of the study boundary (the first of
        ``admin_kabupaten``, ``admin_kecamatan``, ``admin_desa`` present, else the
        first vector layer; :func:`kotacerdas_gis.crs.estimate_working_crs`, logged and
        noted in the ledger); the loading ledger, and provenance per layer.

    Raises
    ------
    DataError, SchemaError, CRSError
        From the manifest check and the readers, naming file and layer.
    """
    manifest = read_manifest(path)
    ledger = Ledger()
    if manifest["_notes"]:
        step = ledger.step("read manifest", source=str(manifest["_path"].name))
        for note in manifest["_notes"]:
            step.note(note)
    crs = (as_crs(manifest["crs"]) if manifest.get("crs") is not None
           else _estimated_crs(manifest, ledger))
    raw: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {"class_maps": {}}
    osm: dict[str, dict[str, Any]] = {}
    # OSM extracts last: they are clipped to the study area the other layers give
    order = sorted(manifest["layers"].items(), key=lambda kv: kv[1].get("adapter") == "osm")
    for key, spec in order:
        provenance[key] = {k: str(spec[k]) for k in _PROVENANCE if k in spec}
        provenance[key]["path"] = os.path.relpath(spec["path"], manifest["_path"].parent)
        if key == "dem":
            raw["dem_path"] = spec["path"]
            continue
        if key == "hazard":
            kind = _hazard_kind(spec["path"])
            opts = HAZARD_OPTIONS["any"] + HAZARD_OPTIONS[kind]
            raw["hazard_spec"] = {k: spec[k] for k in opts if k in spec}
            if kind == "raster":
                raw["hazard_raster_path"] = _hazard_raster(spec["path"], crs, ledger)
                continue
        if "classes" in spec:
            extra["class_maps"][key] = spec["classes"]
        if spec.get("adapter") == "osm":
            raw[key] = _osm_layer(manifest, key, spec, crs, raw, osm, ledger)
            continue
        if key == "population":
            # every column as text: codes (7322032001) must not become numbers, and counts
            # such as "3.483" (Indonesian thousands) must not become 3.483: build_scenario
            # reads the numbers (schemas.parse_numbers)
            table = read_table(spec["path"], layer=spec.get("layer"), dtype=str,
                               name="population", ledger=ledger)
            table = _rename(table, key, spec, manifest["_path"])
            raw["population"] = _restore_field_names(table, key, spec, ledger)
            continue
        gdf = read_vector(
            spec["path"],
            layer=spec.get("layer"),
            to_crs=crs,
            assume_crs=spec.get("assume_crs"),
            geometry_type=_GEOMETRY.get(key, "polygon"),
            encoding=spec.get("encoding"),
            name=key,
            ledger=ledger,
        )
        gdf = _rename(gdf, key, spec, manifest["_path"])
        gdf = _restore_field_names(gdf, key, spec, ledger)
        if key == "aggregation":
            extra["aggregation_id_col"] = spec["id_field"]
            extra["aggregation_name_col"] = spec.get("name_field")
        if key == "census" and "population_field" in spec:
            extra["census_population_col"] = spec["population_field"]
        adapter = spec.get("adapter", "canonical")
        if adapter == "hdx":
            with _for_manifest(manifest["_path"], key):
                gdf = admin_from_hdx(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
        elif adapter in ("bigrbi", "kemendagri"):
            adapt = admin_from_bigrbi if adapter == "bigrbi" else admin_from_kemendagri
            with _for_manifest(manifest["_path"], key):
                gdf, report = adapt(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
            report.source = key
            ledger.add(report)
        elif adapter != "canonical":
            raise SchemaError(
                f"{manifest['_path']}: layer {key!r} has adapter {adapter!r}; "
                "use 'canonical', 'hdx', 'bigrbi' or 'kemendagri' (or 'osm' for roads, "
                "buildings, facilities)."
            )
        raw[key] = gdf
    with _for_manifest(manifest["_path"]):
        return build_scenario(
            name=str(manifest.get("name", Path(path).stem)),
            crs=crs,
            provenance=provenance,
            demonstration=bool(manifest.get("demonstration", False)),
            description=str(manifest.get("description", "")),
            ledger=ledger,
            **extra,
            **raw,
        )



def _osm_layer(manifest: dict[str, Any], key: str, spec: dict[str, Any], crs: Any,
               raw: dict[str, Any], cache: dict[str, dict[str, Any]], ledger: Ledger) -> Any:
    """One layer of an OSM extract (read once per file), clipped to the study area."""
    from .osm import read_osm

    path = str(spec["path"])
    if path not in cache:
        area = next((raw[k] for k in ("admin_kabupaten", "admin_kecamatan", "admin_desa",
                                      "aggregation") if k in raw), None)
        if area is None:
            ledger.step("read OSM extract", source=path).note(
                "no boundary or aggregation layer: the extract is read whole (not clipped)")
        cache[path] = read_osm(spec["path"], to_crs=crs, area=area, ledger=ledger)
    found = cache[path]
    if key not in found:
        raise DataError(f"{manifest['_path']}: layer {key!r}: the OSM extract {path} holds no "
                        f"{key} in the study area (tags used: highway for roads, building for "
                        "buildings, amenity/healthcare for facilities). Remove the layer or use "
                        "another extract.")
    return found[key]
