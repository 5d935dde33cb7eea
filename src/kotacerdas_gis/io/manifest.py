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
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..accounting import Ledger
from ..crs import as_crs, describe_crs, estimate_working_crs
from ..errors import CRSMismatchError, DataError, SchemaError
from ..scenario import Scenario, build_scenario
from ..schemas import admin_from_bigrbi, admin_from_hdx
from .raster import read_raster
from .vector import GeometryFamily, read_table, read_vector

__all__ = ["read_scenario", "read_manifest", "read_json", "MANIFEST_KEYS", "HAZARD_OPTIONS"]

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
#: Layer keys a manifest may hold.
MANIFEST_KEYS = (*_GEOMETRY, "dem", "population", "hazard")

# --- the hazard layer (issue 11): its own options, kept apart for the manifest schema --------
#: Options of the ``hazard`` layer, by kind, beside the common layer options.
HAZARD_OPTIONS: dict[str, tuple[str, ...]] = {
    "any": ("class_set",),
    "polygons": ("field", "value_map", "unmapped", "depth_min_col", "depth_max_col",
                 "depth_rule", "every_polygon"),
    "raster": ("negative", "min_zone_cells"),
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
    if ("field" in spec) != ("value_map" in spec):
        raise SchemaError(
            f"{p}: layer 'hazard' needs both 'field' (the categorical column) and 'value_map' "
            "(class key -> values), or neither."
        )
# ------------------------------------------------------------------------------------------
_LAYER_OPTIONS = {
    "path", "layer", "adapter", "rename", "assume_crs", "encoding",
    "source", "date", "licence", "description", "url",
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
        allowed = _LAYER_OPTIONS | (
            set(sum(HAZARD_OPTIONS.values(), ())) if key == "hazard" else set())
        bad = sorted(set(spec) - allowed)
        if bad:
            raise SchemaError(
                f"{p}: layer {key!r} has unknown option(s) {bad}. "
                f"Options: {', '.join(sorted(allowed))}."
            )
        full = (p.parent / spec["path"]).resolve()
        if not full.exists():
            raise DataError(f"{p}: layer {key!r} points to {full}, which does not exist.")
        spec["path"] = full
        if key == "hazard":
            _check_hazard_spec(p, spec)
    manifest["_path"] = p.resolve()
    return manifest


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
    crs = (as_crs(manifest["crs"]) if manifest.get("crs") is not None
           else _estimated_crs(manifest, ledger))
    raw: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for key, spec in manifest["layers"].items():
        provenance[key] = {k: spec[k] for k in _PROVENANCE if k in spec}
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
            geometry_type=_GEOMETRY.get(key, "polygon"),
            encoding=spec.get("encoding"),
            name=key,
            ledger=ledger,
        )
        if spec.get("rename"):
            gdf = gdf.rename(columns=spec["rename"])
        adapter = spec.get("adapter", "canonical")
        if adapter == "hdx":
            gdf = admin_from_hdx(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
        elif adapter == "bigrbi":
            gdf, report = admin_from_bigrbi(gdf, level=key.removeprefix("admin_"))  # type: ignore[arg-type]
            ledger.add(report)
        elif adapter != "canonical":
            raise SchemaError(
                f"{manifest['_path']}: layer {key!r} has adapter {adapter!r}; "
                "use 'canonical', 'hdx' or 'bigrbi'."
            )
        raw[key] = gdf
    return build_scenario(
        name=str(manifest.get("name", Path(path).stem)),
        crs=crs,
        provenance=provenance,
        demonstration=bool(manifest.get("demonstration", False)),
        description=str(manifest.get("description", "")),
        ledger=ledger,
        **raw,
    )
