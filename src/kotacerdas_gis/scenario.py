"""The validated inputs of one study area: :class:`Scenario`.

A scenario holds canonical layers (see ``docs/DATA_MODEL.md``), all in one
metric working CRS, with provenance per layer and the accounting of how they
were loaded. :func:`build_scenario` is pure: it takes raw frames (as read by
:mod:`kotacerdas_gis.io`) and turns them into the canonical schema with the
adapters of :mod:`kotacerdas_gis.schemas`, counting every repair.
:meth:`Scenario.validate` checks the whole and returns a
:class:`ValidationReport`.

Reading a scenario from files is :func:`kotacerdas_gis.io.manifest.read_scenario`;
the bundled one is :func:`kotacerdas_gis.datasets.load_demo`.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box, Point
>>> kab = gpd.GeoDataFrame({"admin_code": ["73.22"], "admin_name": ["Luwu Utara"],
...     "admin_level": ["kabupaten"], "parent_code": ["73"]},
...     geometry=[box(200_000, 9_700_000, 210_000, 9_720_000)], crs=32751)
>>> fac = gpd.GeoDataFrame({"facility_id": ["F1"], "name": ["Puskesmas Masamba"],
...     "facility_type": ["Puskesmas"]}, geometry=[Point(203_080, 9_717_839)], crs=32751)
>>> sc = build_scenario(name="toy", admin_kabupaten=kab, facilities=fac)
>>> sc.facilities[["asset_id", "exposure_class"]].values.tolist()
[['F1', 'health']]
>>> sc.validate().ok
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
from pyproj import CRS

from .accounting import Ledger, StepReport
from .boundaries import admin_findings, extent_problems, population_name_findings
from .crs import as_crs, describe_crs, require_metric, require_same_crs
from .errors import CRSError, DataError, RepairWarning, SchemaError
from .overlay import trim_admin
from .schemas import (
    ADMIN_COLUMNS,
    bridge_flag,
    code_system_of,
    exposure_class_from_types,
    parse_numbers,
    require_columns,
    road_class_from_highway,
)

__all__ = ["Scenario", "ValidationReport", "build_scenario", "VECTOR_LAYERS"]

#: Vector layers of a scenario, by their contract name.
VECTOR_LAYERS = (
    "admin_kabupaten",
    "admin_kecamatan",
    "admin_desa",
    "rivers",
    "roads",
    "bridges",
    "buildings",
    "facilities",
    "observed_flood_2020",
    "hazard",
    "aggregation",
    "census",
)
_POP_NUMERIC = ("population", "households", "female", "elderly", "disabled")


@dataclass(frozen=True)
class ValidationReport:
    """What :meth:`Scenario.validate` found.

    Attributes
    ----------
    counts : dict
        Features per layer.
    problems : list of str
        Blocking problems (``ok`` is False when there is any).
    remarks : list of str
        Non-blocking findings (assets outside the boundary, desa without population ...).
    accounting : list of dict
        The loading steps (n_in, repaired, rejected with reasons).
    """

    counts: dict[str, int]
    problems: list[str]
    remarks: list[str]
    accounting: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        """True when there is no blocking problem."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (for ``summary.json`` under ``validation``)."""
        return {
            "ok": self.ok,
            "counts": dict(self.counts),
            "problems": list(self.problems),
            "remarks": list(self.remarks),
            "accounting": list(self.accounting),
        }


@dataclass(frozen=True)
class Scenario:
    """The validated inputs of one study area, in one metric working CRS.

    Attributes
    ----------
    name : str
        Human name of the scenario.
    crs : pyproj.CRS
        The working CRS (EPSG:32751 for Luwu Utara).
    admin_kabupaten, admin_kecamatan, admin_desa : GeoDataFrame or None
        ``admin_code``, ``admin_name``, ``admin_level``, ``parent_code``.
    rivers : GeoDataFrame or None
        ``river_id``, ``name``.
    roads : GeoDataFrame or None
        ``asset_id``, ``name``, ``highway``, ``road_class``, ``bridge`` (bool).
    bridges : GeoDataFrame or None
        Points: ``asset_id``, ``name``, ``river``, ``road_id``.
    buildings : GeoDataFrame or None
        ``asset_id``, ``name``, ``building``, ``exposure_class``.
    facilities : GeoDataFrame or None
        Points: ``asset_id``, ``name``, ``facility_type``, ``exposure_class``,
        ``capacity_persons``.
    observed_flood_2020 : GeoDataFrame or None
        ``flood_id``, ``depth_min_m``, ``depth_max_m``, ``material``.
    population : DataFrame or None
        Per desa: ``admin_code``, ``population``, ``households``, ``female``,
        ``elderly``, ``disabled``.
    aggregation : GeoDataFrame or None
        Aggregation areas other than the desa (kecamatan, RW, a grid):
        ``aggregation_id`` (text), ``aggregation_name``, and any ``<group>_ratio`` columns
        (female, youth, adult, elderly, disabled; 0-1) for the demographic breakdown.
    census : GeoDataFrame or None
        Population polygons that are not the aggregation areas (census blocks):
        ``population`` and optionally ``female``, ``elderly``, ``disabled``, ``households``.
    dem_path : Path or None
        The DEM GeoTIFF, read lazily by window.
    hazard : GeoDataFrame or None
        A hazard polygon layer as given (any columns: depths, or a categorical field such as
        ``FLOODPRONE`` or ``KRB``), classified by ``hazard_spec``.
    hazard_raster_path : Path or None
        A hazard raster (depth in m, or an index such as InaRISK's 0-1), classified by
        ``hazard_spec``.
    hazard_spec : dict
        How the hazard layer is classified (JSON values): ``class_set`` (a name or an object
        of thresholds, keys, comparison...), and ``field``/``value_map``/``unmapped``,
        ``depth_min_col``/``depth_max_col``/``depth_rule`` or ``every_polygon`` for
        polygons, ``negative``/``min_zone_cells`` for a raster.
    provenance : dict
        Per layer: ``source``, ``date``, ``licence``, ``description``, ``path``.
    demonstration : bool
        True for the bundled reconstruction (never official data).
    ledger : Ledger
        How the layers were read and adapted.
    """

    name: str
    crs: CRS
    admin_kabupaten: gpd.GeoDataFrame | None = None
    admin_kecamatan: gpd.GeoDataFrame | None = None
    admin_desa: gpd.GeoDataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    bridges: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    observed_flood_2020: gpd.GeoDataFrame | None = None
    population: pd.DataFrame | None = None
    dem_path: Path | None = None
    hazard: gpd.GeoDataFrame | None = None
    hazard_raster_path: Path | None = None
    hazard_spec: dict[str, Any] = field(default_factory=dict)
    aggregation: gpd.GeoDataFrame | None = None
    census: gpd.GeoDataFrame | None = None
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    demonstration: bool = False
    description: str = ""
    ledger: Ledger = field(default_factory=Ledger)

    # ------------------------------------------------------------------ views
    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the vector layers present, by contract name (``admin_desa``, ``roads`` ...)."""
        out = {}
        for key in VECTOR_LAYERS:
            layer = getattr(self, key)
            if layer is not None:
                out[key] = layer
        return out

    @property
    def boundary(self) -> gpd.GeoDataFrame:
        """The study area: the kabupaten, else the union of the finest admin layer.

        Raises
        ------
        DataError
            If the scenario has no admin layer.
        """
        for key in ("admin_kabupaten", "admin_kecamatan", "admin_desa"):
            layer = getattr(self, key)
            if layer is not None:
                geom = layer.geometry.union_all()
                return gpd.GeoDataFrame({"name": [self.name]}, geometry=[geom], crs=self.crs)
        raise DataError(f"scenario {self.name!r} has no admin layer, so no study boundary.")

    @property
    def assets(self) -> gpd.GeoDataFrame:
        """Buildings, facilities, bridges and roads in one layer.

        Columns ``asset_id``, ``asset_class`` (building, facility, bridge, road),
        ``asset_type`` (the type as given), ``exposure_class`` (InaSAFE class; road
        class for roads), ``name``.
        """
        parts = []
        spec = [
            ("buildings", "building", "building", "exposure_class"),
            ("facilities", "facility", "facility_type", "exposure_class"),
            ("bridges", "bridge", None, None),
            ("roads", "road", "highway", "road_class"),
        ]
        for key, cls, type_col, class_col in spec:
            layer = getattr(self, key)
            if layer is None:
                continue
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "asset_id": layer["asset_id"].to_numpy(),
                        "asset_class": cls,
                        "asset_type": layer[type_col].to_numpy() if type_col else "bridge",
                        "exposure_class": layer[class_col].to_numpy() if class_col else "transport",
                        "name": layer["name"].to_numpy(),
                    },
                    geometry=layer.geometry.to_numpy(),
                    crs=self.crs,
                )
            )
        if not parts:
            return gpd.GeoDataFrame(
                {c: [] for c in ("asset_id", "asset_class", "asset_type", "exposure_class",
                                 "name")},
                geometry=[],
                crs=self.crs,
            )
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=self.crs)

    def counts(self) -> dict[str, int]:
        """Features per layer (rows for the population table)."""
        out = {k: len(v) for k, v in self.layers().items()}
        if self.population is not None:
            out["population"] = len(self.population)
        return out

    # ------------------------------------------------------------- validation
    def validate(self) -> ValidationReport:
        """Check the scenario as a whole.

        Blocking problems: no admin layer; layers in different CRSs; duplicate
        ``admin_code`` or ``asset_id``; population rows that match no desa.
        Remarks: assets outside the study boundary, desa without population,
        facilities of a class the siting needs but absent.

        Returns
        -------
        ValidationReport
        """
        problems: list[str] = []
        remarks: list[str] = []
        layers = self.layers()
        try:
            require_same_crs(at_location=False, **layers)
        except Exception as exc:  # CRSError family
            problems.append(str(exc))
        if not any(k.startswith("admin_") for k in layers):
            problems.append("no admin layer: add admin_kabupaten, admin_kecamatan or admin_desa.")
        for key, layer in layers.items():
            for col in ("admin_code", "asset_id", "aggregation_id"):
                if col in layer.columns:
                    dup = layer[col][layer[col].duplicated()]
                    if len(dup):
                        problems.append(
                            f"{key}: {len(dup)} duplicate {col} values, e.g. "
                            f"{dup.head(3).tolist()}."
                        )
        if not problems and any(k.startswith("admin_") for k in layers):
            admin_problems, admin_remarks = admin_findings(layers)
            problems.extend(admin_problems)
            remarks.extend(admin_remarks)
            remarks.extend(_overlap_remarks(self.ledger))
            area = self.boundary.geometry.iloc[0]
            # the study area is the first admin layer: the others are checked against it
            first = next(k for k in ("admin_kabupaten", "admin_kecamatan", "admin_desa")
                         if k in layers)
            far = extent_problems({k: v for k, v in layers.items() if k != first}, area,
                                  crs=self.crs)
            problems.extend(far)
            try:  # the working CRS must measure true where the study area lies
                require_metric(self.boundary, name="study area")
            except Exception as exc:  # CRSError
                problems.append(str(exc))
            far_keys = {p.split(":", 1)[0] for p in far}
            boundary = area.buffer(1.0)
            for key in ("buildings", "facilities", "roads", "bridges"):
                layer = layers.get(key)
                if layer is None or key in far_keys:
                    continue
                outside = ~layer.geometry.intersects(boundary)
                if outside.any():
                    remarks.append(
                        f"{key}: {int(outside.sum())} of {len(layer)} features lie outside the "
                        "study boundary; they are kept and reported as outside."
                    )
        remarks.extend(self._aggregation_remarks())
        if self.population is not None and self.admin_desa is not None:
            codes = set(self.admin_desa["admin_code"])
            pop_codes = set(self.population["admin_code"])
            stray = sorted(pop_codes - codes)
            if stray:
                pop_sys = sorted({str(c) for c in map(code_system_of, stray) if c})
                desa_sys = sorted({str(c) for c in map(code_system_of, codes) if c})
                which = (f" The table's codes are {'/'.join(pop_sys)} codes, the desa's "
                         f"{'/'.join(desa_sys)} codes." if pop_sys and desa_sys
                         and pop_sys != desa_sys else "")
                problems.append(
                    f"population: {len(stray)} admin_code values match no desa, e.g. {stray[:3]}."
                    f"{which} Use the same code system (Kemendagri or BPS) in both."
                )
            lacking = sorted(codes - pop_codes)
            if lacking:
                remarks.append(f"admin_desa: {len(lacking)} desa have no population row.")
            remarks.extend(population_name_findings(self.population, self.admin_desa))
        return ValidationReport(
            counts=self.counts(),
            problems=problems,
            remarks=remarks,
            accounting=self.ledger.to_records(),
        )

    @property
    def has_hazard_layer(self) -> bool:
        """Whether the scenario names its own hazard layer (polygons or a raster)."""
        return self.hazard is not None or self.hazard_raster_path is not None

    def hazard_description(self) -> dict[str, Any]:
        """Describe the hazard layer and how it is classified (for ``check``, summary.json)."""
        kind = "raster" if self.hazard_raster_path is not None else "polygons"
        out: dict[str, Any] = {"kind": kind, **self.hazard_spec}
        if self.hazard_raster_path is not None:
            out["path"] = str(self.hazard_raster_path)
        return out

    def _aggregation_remarks(self) -> list[str]:
        """Return what ``check`` says about the aggregation areas and the census polygons."""
        out = []
        if self.aggregation is not None:
            a = self.aggregation
            area = float(a.area.sum()) / 1e6
            ratios = [c for c in a.columns if c.endswith("_ratio")]
            ids = ", ".join(a["aggregation_id"].astype(str).head(3))
            text = (f"aggregation: {len(a)} areas ({area:.2f} km², ids {ids}"
                    f"{' ...' if len(a) > 3 else ''}); per-area figures are summed on them")
            if any(k.startswith("admin_") for k in self.layers()):
                inside = a.geometry.intersection(self.boundary.geometry.iloc[0]).area.sum()
                share = 100 * float(inside) / max(area * 1e6, 1e-9)
                text += f"; {share:.0f} % inside the study area"
            text += (f"; demographic ratios from {ratios}" if ratios
                     else "; demographic ratios: InaSAFE's defaults")
            out.append(text + ".")
        if self.census is not None:
            c = self.census
            out.append(f"census: {len(c)} population polygons, {float(c['population'].sum()):.0f} "
                       "people, split by area at hazard and aggregation edges.")
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready description for ``summary.json`` under ``scenario``."""
        return {
            "name": self.name,
            "description": self.description,
            "demonstration": self.demonstration,
            "crs": describe_crs(self.crs),
            "counts": self.counts(),
            "dem": str(self.dem_path) if self.dem_path else None,
            **({"hazard": self.hazard_description()} if self.has_hazard_layer else {}),
            "provenance": self.provenance,
        }


# ------------------------------------------------------------------------------- building


def _ids(layer: gpd.GeoDataFrame, id_col: str, prefix: str, report: StepReport) -> pd.Series:
    if id_col in layer.columns:
        values = layer[id_col]
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")  # OSM ids read as float beside gaps: 123.0 -> "123"
        ids = values.astype(str)
        missing = layer[id_col].isna()
        if missing.any():
            report.repair(f"missing {id_col} generated", int(missing.sum()))
            ids = ids.where(~missing, [f"{prefix}-{i}" for i in range(len(layer))])
    else:
        report.note(f"no {id_col!r} column: asset_id generated as {prefix}-<row>")
        ids = pd.Series([f"{prefix}-{i}" for i in range(len(layer))], index=layer.index)
    dup = ids.duplicated(keep="first")
    if dup.any():
        report.repair("duplicate id made unique with a suffix", int(dup.sum()))
        counter = ids.groupby(ids).cumcount()
        ids = ids.where(~dup, ids + "~" + counter.astype(str))
    return ids


def _add_repairs(step: StepReport, report: StepReport) -> None:
    """Count an adapter's repairs in the loading step (and keep its notes)."""
    for reason, n in report.reasons_repaired.items():
        step.repair(reason, n)
    step.notes.extend(report.notes)


def _text(layer: gpd.GeoDataFrame, col: str) -> pd.Series:
    if col in layer.columns:
        return layer[col].astype(object).where(layer[col].notna(), None)
    return pd.Series([None] * len(layer), index=layer.index, dtype=object)


def _admin(layer: gpd.GeoDataFrame, key: str, level: str) -> gpd.GeoDataFrame:
    require_columns(layer, ADMIN_COLUMNS, name=key)
    out = layer.copy()
    out["admin_code"] = out["admin_code"].astype(str)
    wrong = out["admin_level"] != level
    if wrong.any():
        raise SchemaError(
            f"{key}: expected admin_level {level!r} on every row, found "
            f"{sorted(out.loc[wrong, 'admin_level'].astype(str).unique())}. Split the layer by "
            "level."
        )
    return out


_TRIM_STEP = "trim overlaps "
#: Overlaps of admin units above this area (m²) are trimmed on loading.
_TRIM_TOLERANCE_M2 = 1e-6


def _trimmed(layer: gpd.GeoDataFrame, key: str, crs: CRS, ledger: Ledger) -> gpd.GeoDataFrame:
    """Trim overlapping admin units once, on loading (the analysis and plan.gpkg share them)."""
    if not as_crs(crs).is_projected or len(layer) < 2:
        return layer
    # no tolerance worth the name: an overlap of a few cm² left in place double-counts the
    # road that crosses it (by the sliver's width)
    out, trim = trim_admin(layer, overlap_tolerance_m2=_TRIM_TOLERANCE_M2)
    if not trim.pairs:
        return layer
    step = ledger.step(_TRIM_STEP + key, source=key, n_in=len(layer))
    step.repair("overlapping admin unit trimmed (the smaller unit keeps the overlap)",
                int(trim.trimmed.sum()))
    step.repair("invalid admin outline made valid to be trimmed",
                int((trim.repaired & trim.trimmed).sum()))
    names = dict(zip(layer["admin_code"].astype(str), layer["admin_name"].astype(str),
                     strict=False)) if "admin_name" in layer else {}
    shared = sum(a for _, _, a in trim.pairs)
    eg = ", ".join(f"{names.get(a, a)} ({a}) / {names.get(b, b)} ({b}) {_area_text(m)}"
                   for a, b, m in trim.pairs[:3])
    step.note(f"{len(trim.pairs)} overlapping pairs, {_area_text(shared)} shared in all "
              f"(largest: {eg}); trimmed once for the analysis and plan.gpkg")
    return out


def _area_text(m2: float) -> str:
    """``1.234 km²`` from 0.01 km², else ``560 m²``."""
    return f"{m2 / 1e6:,.3f} km²" if m2 >= 1e4 else f"{m2:,.0f} m²"


def _overlap_remarks(ledger: Ledger) -> list[str]:
    """One remark per admin layer trimmed on loading (from the ledger's trim steps)."""
    out = []
    for step in ledger.steps:
        if step.step.startswith(_TRIM_STEP) and step.n_repaired:
            key = step.step.removeprefix(_TRIM_STEP)
            out.append(f"{key}: overlapping units: {'; '.join(step.notes)}; {step.n_repaired} "
                       "units lost the overlap to the smaller unit (their people stay with them).")
    return out


def build_scenario(
    *,
    name: str,
    crs: Any = None,
    admin_kabupaten: gpd.GeoDataFrame | None = None,
    admin_kecamatan: gpd.GeoDataFrame | None = None,
    admin_desa: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    bridges: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    observed_flood_2020: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    dem_path: str | Path | None = None,
    hazard: gpd.GeoDataFrame | None = None,
    hazard_raster_path: str | Path | None = None,
    hazard_spec: dict[str, Any] | None = None,
    provenance: dict[str, dict[str, Any]] | None = None,
    demonstration: bool = False,
    description: str = "",
    ledger: Ledger | None = None,
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_id_col: str = "aggregation_id",
    aggregation_name_col: str | None = None,
    census: gpd.GeoDataFrame | None = None,
    census_population_col: str = "population",
    class_maps: dict[str, dict[str, list[str]]] | None = None,
) -> Scenario:
    """Build a :class:`Scenario` from raw layers, adapting them to the canonical schema.

    Input frames are not modified. Admin layers must already be canonical (use
    the adapters in :mod:`kotacerdas_gis.schemas` first). Asset layers need
    only geometry: ids are generated when absent, types are classified.

    Parameters
    ----------
    name : str
        Scenario name.
    crs : CRS-like, optional
        The working CRS; by default the first layer's. Every layer must be in it.
    admin_kabupaten, admin_kecamatan, admin_desa : GeoDataFrame, optional
        Canonical admin columns (``admin_code``, ``admin_name``, ``admin_level``, ``parent_code``).
    rivers : GeoDataFrame, optional
        Lines; ``river_id`` and ``name`` used when present.
    roads : GeoDataFrame, optional
        Lines with ``road_id`` (becomes ``asset_id``), ``highway`` (OSM value or road
        status text; classified to ``road_class``), ``bridge`` (``yes``/null), ``name``.
    bridges : GeoDataFrame, optional
        Points with ``bridge_id``, ``name``, ``river``, ``road_id``.
    buildings : GeoDataFrame, optional
        Polygons with ``building_id``, ``building`` (type), ``amenity``, ``name``.
    facilities : GeoDataFrame, optional
        Points with ``facility_id``, ``name``, ``facility_type``, ``amenity``,
        ``capacity_persons``.
    observed_flood_2020 : GeoDataFrame, optional
        Polygons with ``depth_min_m`` and ``depth_max_m`` (metres).
    population : DataFrame, optional
        Per desa: ``admin_code``, ``population`` and optionally ``households``,
        ``female``, ``elderly``, ``disabled``. Negative or missing counts are
        errors.
    dem_path : path-like, optional
        The DEM GeoTIFF.
    hazard, hazard_raster_path, hazard_spec : optional
        The scenario's own hazard layer (polygons as given, or a raster path) and how to
        classify it (see :class:`Scenario`); one of the two layers at most.
    provenance : dict, optional
        Per layer key: source, date, licence, description.
    demonstration : bool
        Mark the scenario as a demonstration reconstruction.
    description : str
        Free text.
    ledger : Ledger, optional
        The loading ledger to extend (from the readers).
    aggregation : GeoDataFrame, optional
        Aggregation areas with an id column ``aggregation_id_col`` and a name column
        ``aggregation_name_col`` (the id when None); they become ``aggregation_id`` (text) and
        ``aggregation_name``. Missing ids are an error; missing names take the id (counted).
    census : GeoDataFrame, optional
        Population polygons with ``census_population_col`` (becomes ``population``);
        negative or non-numeric counts are errors.
    class_maps : dict, optional
        Custom exposure value maps per layer (``{"buildings": {"government": ["ministry"]},
        "roads": {"local": ["kabupaten_road"]}}``), applied before the built-in rules
        (:func:`~kotacerdas_gis.schemas.check_class_map`); unmatched values are counted.

    Returns
    -------
    Scenario

    Raises
    ------
    CRSError, CRSMismatchError
        A layer is not metric, or layers differ in CRS.
    SchemaError
        An admin layer lacks canonical columns; population columns are missing,
        negative or NaN; flood depths are missing.
    """
    ledger = Ledger(list(ledger.steps)) if ledger is not None else Ledger()
    raw = {
        "admin_kabupaten": admin_kabupaten,
        "admin_kecamatan": admin_kecamatan,
        "admin_desa": admin_desa,
        "rivers": rivers,
        "roads": roads,
        "bridges": bridges,
        "buildings": buildings,
        "facilities": facilities,
        "observed_flood_2020": observed_flood_2020,
        "hazard": hazard,
        "aggregation": aggregation,
        "census": census,
    }
    maps = dict(class_maps or {})
    stray = sorted(set(maps) - {"buildings", "facilities", "roads"})
    if stray:
        raise SchemaError(f"class_maps: custom classes are for buildings, facilities and roads, "
                          f"found {stray}.")
    present = {k: v for k, v in raw.items() if v is not None}
    if present:
        # scale at each layer's place is checked by validate(): a layer far from true scale
        # here is a layer in the wrong place (swapped axes, wrong .prj), diagnosed there
        common = require_same_crs(at_location=False, **present)
        if crs is not None and not as_crs(crs).equals(common):
            require_same_crs(at_location=False, working_crs=as_crs(crs), **present)
        work_crs = common
    else:
        if crs is None:
            raise CRSError(
                "build_scenario: no vector layer and no crs: pass crs=, the metric working CRS "
                "of the study area (kotacerdas_gis.estimate_working_crs(boundary) gives its UTM "
                "zone)."
            )
        work_crs = as_crs(crs)

    out: dict[str, Any] = {}
    for key, level in (
        ("admin_kabupaten", "kabupaten"),
        ("admin_kecamatan", "kecamatan"),
        ("admin_desa", "desa"),
    ):
        if raw[key] is not None:
            out[key] = _trimmed(_admin(raw[key], key, level), key, work_crs, ledger)

    if rivers is not None:
        step = ledger.step("adapt rivers", source="rivers", n_in=len(rivers))
        r = rivers.copy()
        r["river_id"] = _ids(r, "river_id", "R", step)
        r["name"] = _text(r, "name")
        out["rivers"] = r

    if roads is not None:
        step = ledger.step("adapt roads", source="roads", n_in=len(roads))
        r = roads.copy()
        r["asset_id"] = _ids(r, "road_id", "road", step)
        r["name"] = _text(r, "name")
        r["highway"] = _text(r, "highway")
        r["road_class"], rep = road_class_from_highway(r["highway"], source="roads",
                                                       value_map=maps.get("roads"))
        _add_repairs(step, rep)
        r["bridge"] = bridge_flag(_text(r, "bridge"), source="roads")
        out["roads"] = r

    if bridges is not None:
        step = ledger.step("adapt bridges", source="bridges", n_in=len(bridges))
        b = bridges.copy()
        b["asset_id"] = _ids(b, "bridge_id", "bridge", step)
        for col in ("name", "river", "road_id"):
            b[col] = _text(b, col)
        out["bridges"] = b

    if buildings is not None:
        step = ledger.step("adapt buildings", source="buildings", n_in=len(buildings))
        b = buildings.copy()
        b["asset_id"] = _ids(b, "building_id", "bldg", step)
        b["name"] = _text(b, "name")
        b["building"] = _text(b, "building")
        first = _text(b, "amenity")
        b["exposure_class"], rep = exposure_class_from_types(
            first, fallback=b["building"], source="buildings", value_map=maps.get("buildings")
        )
        _add_repairs(step, rep)
        out["buildings"] = b

    if facilities is not None:
        step = ledger.step("adapt facilities", source="facilities", n_in=len(facilities))
        f = facilities.copy()
        f["asset_id"] = _ids(f, "facility_id", "fac", step)
        f["name"] = _text(f, "name")
        f["facility_type"] = _text(f, "facility_type")
        f["exposure_class"], rep = exposure_class_from_types(
            f["facility_type"], fallback=_text(f, "amenity"), source="facilities",
            value_map=maps.get("facilities")
        )
        _add_repairs(step, rep)
        if "capacity_persons" in f.columns:
            # "150 orang", "1.200" (Indonesian thousands) are read, not emptied
            f["capacity_persons"], rep = parse_numbers(f["capacity_persons"],
                                                       column="capacity_persons",
                                                       source="facilities")
            _add_repairs(step, rep)
        else:
            f["capacity_persons"] = np.nan
        out["facilities"] = f

    if observed_flood_2020 is not None:
        out["observed_flood_2020"] = _footprint(observed_flood_2020, ledger)

    if hazard is not None and hazard_raster_path is not None:
        raise SchemaError("build_scenario: give one hazard layer, polygons (hazard=) or a "
                          "raster (hazard_raster_path=), not both.")
    if hazard is not None:
        out["hazard"] = hazard.copy()
    if population is not None:
        out["population"] = _population(population, ledger)

    if aggregation is not None:
        out["aggregation"] = _aggregation(aggregation, aggregation_id_col, aggregation_name_col,
                                          ledger)
    if census is not None:
        out["census"] = _census(census, census_population_col, ledger)

    for step in ledger.steps:
        # the readers warned of their own repairs; these are the adapters' and the tables'
        if not step.clean and step.step.startswith(
                ("adapt", "check population", "field names", _TRIM_STEP)):
            warnings.warn(step.summary(), RepairWarning, stacklevel=2)

    return Scenario(
        name=name,
        crs=work_crs,
        dem_path=Path(dem_path) if dem_path is not None else None,
        hazard_raster_path=Path(hazard_raster_path) if hazard_raster_path is not None else None,
        hazard_spec=dict(hazard_spec or {}),
        provenance=dict(provenance or {}),
        demonstration=demonstration,
        description=description,
        ledger=ledger,
        **out,
    )


def _footprint(footprint: gpd.GeoDataFrame, ledger: Ledger) -> gpd.GeoDataFrame:
    """Read the footprint's depths as numbers; count polygons lacking a depth bound.

    Depths written as text (``"2,5"``, ``"1.5 m"``) are read by
    :func:`~kotacerdas_gis.schemas.parse_numbers`. A polygon with ``depth_min_m``
    but no ``depth_max_m`` is classed by its minimum (a lower bound, so perhaps a
    class too low): counted under ``"no depth_max_m: classed by depth_min_m (a lower
    bound)"``; with neither it is rejected when the zones are classified.
    """
    require_columns(footprint, ["depth_min_m", "depth_max_m"], name="observed_flood_2020")
    step = ledger.step("adapt observed_flood_2020", source="observed_flood_2020",
                       n_in=len(footprint))
    fp = footprint.copy()
    for col in ("depth_min_m", "depth_max_m"):
        fp[col], rep = parse_numbers(fp[col], column=col, source="observed_flood_2020",
                                     kind="measure")
        _add_repairs(step, rep)
    lower_only = fp["depth_max_m"].isna() & fp["depth_min_m"].notna()
    step.repair("no depth_max_m: classed by depth_min_m (a lower bound)", int(lower_only.sum()))
    return fp
def _aggregation(layer: gpd.GeoDataFrame, id_col: str, name_col: str | None,
                 ledger: Ledger) -> gpd.GeoDataFrame:
    """Canonical aggregation areas: ``aggregation_id``, ``aggregation_name``, ratios kept."""
    hint = (" (in a manifest: \"aggregation\": {\"path\": ..., \"id_field\": ..., "
            "\"name_field\": ...})")
    require_columns(layer, [id_col] + ([name_col] if name_col else []), name="aggregation",
                    hint=hint)
    step = ledger.step("adapt aggregation areas", source="aggregation", n_in=len(layer))
    ids = layer[id_col]
    if ids.isna().any():
        raise SchemaError(f"aggregation: column {id_col!r} is empty in "
                          f"{int(ids.isna().sum())} rows; every area needs an id.")
    if pd.api.types.is_float_dtype(ids) and (ids % 1 == 0).all():
        ids = ids.astype("int64")  # cell numbers read as float: 3.0 -> "3"
    out = gpd.GeoDataFrame({"aggregation_id": ids.astype(str).to_numpy()},
                           geometry=layer.geometry.to_numpy(), crs=layer.crs)
    names = _text(layer, name_col).to_numpy() if name_col else out["aggregation_id"].to_numpy()
    missing = pd.isna(names)
    step.repair("missing aggregation name: the id used", int(missing.sum()))
    out["aggregation_name"] = np.where(missing, out["aggregation_id"].to_numpy(), names)
    for c in layer.columns:
        if str(c).endswith("_ratio"):
            out[c] = pd.to_numeric(layer[c], errors="coerce").to_numpy()
    return out


def _census(layer: gpd.GeoDataFrame, pop_col: str, ledger: Ledger) -> gpd.GeoDataFrame:
    """Canonical census polygons: ``population`` and the optional group counts, numeric."""
    hint = ' (in a manifest: "census": {"path": ..., "population_field": ...})'
    require_columns(layer, [pop_col], name="census", hint=hint)
    out = layer.copy()
    if pop_col != "population":
        out = out.drop(columns=["population"], errors="ignore").rename(
            columns={pop_col: "population"})
    ledger.step("adapt census polygons", source="census", n_in=len(out))
    for col in _POP_NUMERIC:
        if col not in out.columns:
            continue
        v = pd.to_numeric(out[col], errors="coerce")
        bad = (v.isna() & out[col].notna()) | (v < 0)
        if bad.any():
            raise SchemaError(
                f"census: column {col!r} has negative or non-numeric values "
                f"{out.loc[bad, col].head(3).tolist()} (rows {list(out.index[bad][:3])}). Fix "
                "the source table: counts of people are numbers >= 0.")
        out[col] = v
    return out


def _population(population: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    require_columns(population, ["admin_code", "population"], name="population")
    pop = population.copy()
    pop["admin_code"] = pop["admin_code"].astype(str)
    step = ledger.step("check population", source="population", n_in=len(pop))
    for col in _POP_NUMERIC:
        if col not in pop.columns:
            if col != "population":
                pop[col] = np.nan
                step.note(f"no {col!r} column: vulnerable-group figures for it are unknown (NaN)")
            continue
        values, rep = parse_numbers(pop[col], column=col, source="population")
        _add_repairs(step, rep)
        if col != "population" and len(values) and values.isna().all():
            # a column wholly unknown is the same as no column (and what a built
            # scenario's own table holds for it, so a canonical table reads back)
            pop[col] = np.nan
            step.note(f"{col!r} column empty: vulnerable-group figures for it are unknown (NaN)")
            continue
        if values.isna().any():
            rows = pop.loc[values.isna(), "admin_code"].head(5).tolist()
            fix = ("Fill them (0 if nobody lives there) or drop those rows." if col == "population"
                   else f"Fill them, or leave out the whole {col!r} column if the figures are "
                   "unknown (they are then reported as unknown).")
            raise SchemaError(
                f"population: column {col!r} has {int(values.isna().sum())} missing value(s), "
                f"for admin_code {rows}. {fix}"
            )
        if (values < 0).any():
            rows = pop.loc[values < 0, "admin_code"].head(5).tolist()
            raise SchemaError(
                f"population: column {col!r} has negative values for admin_code {rows}. "
                "Counts of people cannot be negative: fix the source table."
            )
        pop[col] = values
    over = pop["population"] < pop[["female", "elderly", "disabled"]].max(axis=1)
    if over.any():
        raise SchemaError(
            f"population: a vulnerable-group count exceeds the population for admin_code "
            f"{pop.loc[over, 'admin_code'].head(5).tolist()}."
        )
    dup = pop["admin_code"].duplicated()
    if dup.any():
        raise SchemaError(
            f"population: duplicate admin_code {pop.loc[dup, 'admin_code'].head(5).tolist()}; "
            "one row per desa expected."
        )
    return pop
