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
``adapter`` is ``"canonical"`` (default), ``"hdx"`` or ``"bigrbi"`` for admin
layers; ``rename`` maps source column names to the names the loader expects;
``assume_crs`` names the CRS of a file that declares none. Keys other than
those listed in :data:`MANIFEST_KEYS` are rejected, so a typo does not drop a
layer silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..accounting import Ledger
from ..crs import as_crs, describe_crs, estimate_working_crs
from ..errors import DataError, SchemaError
from ..scenario import Scenario, build_scenario
from ..schemas import admin_from_bigrbi, admin_from_hdx
from .vector import GeometryFamily, read_table, read_vector

__all__ = ["read_scenario", "read_manifest", "read_json", "MANIFEST_KEYS"]

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
_OSM_KEYS = ("roads", "buildings", "facilities")
#: Layer keys a manifest may hold.
MANIFEST_KEYS = (*_GEOMETRY, "dem", "population")
_LAYER_OPTIONS = {
    "path", "layer", "adapter", "rename", "assume_crs", "encoding",
    "source", "date", "licence", "description", "url", *_KEY_OPTIONS,
}
_PROVENANCE = ("source", "date", "licence", "description", "url")


def read_json(
    path: str | os.PathLike[str], *, what: str = "JSON file", hint: str = ""
) -> dict[str, Any]:
    """Read a JSON object from a file.

    Raises
    ------
    DataError
        Missing file, invalid JSON, or not an object; the message names the file.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: {what} not found.{' ' + hint if hint else ''}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    if not isinstance(data, dict):
        raise DataError(f"{p}: expected a JSON object, found {type(data).__name__}.")
    return data


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a manifest; return it with absolute layer paths.

    Raises
    ------
    DataError
        Missing or unreadable file, invalid JSON, a layer file that does not exist.
    SchemaError
        Unknown keys, missing ``layers`` or ``path``.
    """
    p = Path(path)
    manifest = read_json(p, what="manifest", hint="Write one like data/scenario.json.")
    if not isinstance(manifest.get("layers"), dict):
        raise SchemaError(f"{p}: expected an object with a 'layers' object.")
    unknown = sorted(set(manifest["layers"]) - set(MANIFEST_KEYS))
    if unknown:
        raise SchemaError(
            f"{p}: unknown layer key(s) {unknown}. Known keys: {', '.join(MANIFEST_KEYS)}."
        )
    for key, spec in manifest["layers"].items():
        if not isinstance(spec, dict) or "path" not in spec:
            raise SchemaError(f"{p}: layer {key!r} needs an object with a 'path'.")
        bad = sorted(set(spec) - _LAYER_OPTIONS)
        if bad:
            raise SchemaError(
                f"{p}: layer {key!r} has unknown option(s) {bad}. "
                f"Options: {', '.join(sorted(_LAYER_OPTIONS))}."
            )
        _check_key_options(p, key, spec)
        full = (p.parent / spec["path"]).resolve()
        if not full.exists():
            raise DataError(f"{p}: layer {key!r} points to {full}, which does not exist.")
        spec["path"] = full
    manifest["_path"] = p.resolve()
    return manifest


def _check_key_options(p: Path, key: str, spec: dict[str, Any]) -> None:
    """Check the options that belong to some layer keys only (issue 11 / 12 block)."""
    for opt, keys in _KEY_OPTIONS.items():
        if opt in spec and key not in keys:
            raise SchemaError(f"{p}: layer {key!r} has option {opt!r}, which only "
                              f"{', '.join(sorted(keys))} take.")
    for opt in ("id_field", "name_field", "population_field"):
        if opt in spec and (not isinstance(spec[opt], str) or not spec[opt]):
            raise SchemaError(f"{p}: layer {key!r} option {opt!r} must name a column (text), "
                              f"found {spec[opt]!r}.")
    if key == "aggregation" and "id_field" not in spec:
        raise SchemaError(f'{p}: layer "aggregation" needs "id_field", the column that '
                          'identifies each area (and optionally "name_field").')
    if "classes" in spec and not isinstance(spec["classes"], dict):
        raise SchemaError(f'{p}: layer {key!r} option "classes" must be an object '
                          '{"class": ["value", ...]}, found ' f"{spec['classes']!r}.")
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
    crs = (as_crs(manifest["crs"]) if manifest.get("crs") is not None
           else _estimated_crs(manifest, ledger))
    raw: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {"class_maps": {}}
    osm: dict[str, dict[str, Any]] = {}
    # OSM extracts last: they are clipped to the study area the other layers give
    order = sorted(manifest["layers"].items(), key=lambda kv: kv[1].get("adapter") == "osm")
    for key, spec in order:
        provenance[key] = {k: spec[k] for k in _PROVENANCE if k in spec}
        provenance[key]["path"] = os.path.relpath(spec["path"], manifest["_path"].parent)
        if key == "dem":
            raw["dem_path"] = spec["path"]
            continue
        if "classes" in spec:
            extra["class_maps"][key] = spec["classes"]
        if spec.get("adapter") == "osm":
            raw[key] = _osm_layer(manifest, key, spec, crs, raw, osm, ledger)
            continue
        if key == "population":
            rename = spec.get("rename", {})
            code_col = next(
                (src for src, dst in rename.items() if dst == "admin_code"), "admin_code"
            )
            table = read_table(  # codes are text: 7322032001 must not become a number
                spec["path"], layer=spec.get("layer"), dtype={code_col: str}, name="population"
            )
            raw["population"] = table.rename(columns=spec.get("rename", {}))
            continue
        gdf = read_vector(
            spec["path"],
            layer=spec.get("layer"),
            to_crs=crs,
            assume_crs=spec.get("assume_crs"),
            geometry_type=_GEOMETRY[key],
            encoding=spec.get("encoding"),
            name=key,
            ledger=ledger,
        )
        if spec.get("rename"):
            gdf = gdf.rename(columns=spec["rename"])
        if key == "aggregation":
            extra["aggregation_id_col"] = spec["id_field"]
            extra["aggregation_name_col"] = spec.get("name_field")
        if key == "census" and "population_field" in spec:
            extra["census_population_col"] = spec["population_field"]
        adapter = spec.get("adapter", "canonical")
        if adapter == "hdx":
            gdf = admin_from_hdx(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
        elif adapter == "bigrbi":
            gdf, report = admin_from_bigrbi(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
            ledger.add(report)
        elif adapter != "canonical":
            raise SchemaError(
                f"{manifest['_path']}: layer {key!r} has adapter {adapter!r}; "
                "use 'canonical', 'hdx' or 'bigrbi' (or 'osm' for roads, buildings, facilities)."
            )
        raw[key] = gdf
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
