"""Damage per asset: depth-damage curves, a flash-flood factor, or observed damage classes.

The curves are data (:class:`DamageCurve`): piecewise linear between their knots, 0 at 0 m and
constant beyond the last knot. The defaults are the JRC global flood depth-damage functions for
Asia (Huizinga, De Moel & Szewczyk 2017): residential buildings and transport (roads, bridges).
Buildings of other classes use the residential curve (an assumption: JRC's commercial and
industrial Asian curves need their own data).

Examples
--------
>>> JRC_ASIA_RESIDENTIAL(np.array([0.0, 0.5, 1.0, 1.5, 8.0])).round(4).tolist()
[0.0, 0.327, 0.494, 0.6075, 1.0]
>>> OBSERVED_DAMAGE_FRAC["rusak berat"]
0.75
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..accounting import StepReport
from ..errors import ParameterError, SchemaError

__all__ = [
    "DamageCurve",
    "JRC_ASIA_RESIDENTIAL",
    "JRC_ASIA_TRANSPORT",
    "DEFAULT_DAMAGE_CURVES",
    "OBSERVED_DAMAGE_FRAC",
    "FLASH_FLOOD_FACTOR",
    "MUD_MATERIALS",
    "damage_fraction",
]


@dataclass(frozen=True)
class DamageCurve:
    """A depth-damage function: damage fraction (0-1) of the replacement value by depth (m).

    Parameters
    ----------
    name : str
        Identifier, stored in the parameters of a result.
    depth_m : sequence of float
        Knots (m), strictly increasing, all > 0 (0 m -> 0 is implied).
    damage_frac : sequence of float
        Damage fraction at each knot, in [0, 1] and non-decreasing.
    source : str
        Where the numbers come from.

    Raises
    ------
    ParameterError
        Knots not increasing or not positive, fractions outside [0, 1] or decreasing.

    Examples
    --------
    >>> c = DamageCurve("x", (1.0, 2.0), (0.5, 1.0))
    >>> c(np.array([0.5, 1.5, 3.0])).tolist()
    [0.25, 0.75, 1.0]
    """

    name: str
    depth_m: tuple[float, ...]
    damage_frac: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        d = tuple(float(x) for x in self.depth_m)
        f = tuple(float(x) for x in self.damage_frac)
        object.__setattr__(self, "depth_m", d)
        object.__setattr__(self, "damage_frac", f)
        if len(d) == 0 or len(d) != len(f):
            raise ParameterError(
                f"damage curve {self.name!r}: expected as many depths as fractions (>= 1), found "
                f"{len(d)} depths and {len(f)} fractions.")
        if not all(x > 0 and math.isfinite(x) for x in d) or any(
                b <= a for a, b in zip(d, d[1:], strict=False)):
            raise ParameterError(
                f"damage curve {self.name!r}: expected finite depths > 0 m in increasing order "
                f"(0 m -> 0 is implied), found {list(d)}.")
        if not all(0.0 <= x <= 1.0 for x in f) or any(b < a for a, b in zip(f, f[1:],
                                                                             strict=False)):
            raise ParameterError(
                f"damage curve {self.name!r}: expected fractions in [0, 1], non-decreasing with "
                f"depth, found {list(f)}.")

    def __call__(self, depth_m: Any) -> np.ndarray:
        """Damage fraction at ``depth_m`` (m); NaN or negative depth -> 0."""
        x = np.asarray(depth_m, dtype=float)
        x = np.where(np.isfinite(x) & (x > 0), x, 0.0)
        return np.interp(x, (0.0, *self.depth_m), (0.0, *self.damage_frac))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"name": self.name, "depth_m": list(self.depth_m),
                "damage_frac": list(self.damage_frac), "source": self.source}


_JRC = "JRC global flood depth-damage functions, Asia (Huizinga, De Moel & Szewczyk 2017)"
#: JRC Asia residential buildings: 0.5 m 32.7 %, 1 m 49.4 %, 2 m 72.1 %, 3 m 87 %, 6 m 100 %.
JRC_ASIA_RESIDENTIAL = DamageCurve("jrc_asia_residential", (0.5, 1.0, 2.0, 3.0, 6.0),
                                   (0.327, 0.494, 0.721, 0.870, 1.0), source=_JRC)
#: JRC Asia transport (roads, bridges): 0.5 m 35.8 %, 1 m 57.2 %, 3 m 100 %.
JRC_ASIA_TRANSPORT = DamageCurve("jrc_asia_transport", (0.5, 1.0, 3.0), (0.358, 0.572, 1.0),
                                 source=_JRC)
#: Curve per asset type; types not listed use ``"default"`` (residential: an assumption).
DEFAULT_DAMAGE_CURVES: dict[str, DamageCurve] = {
    "road": JRC_ASIA_TRANSPORT,
    "bridge": JRC_ASIA_TRANSPORT,
    "default": JRC_ASIA_RESIDENTIAL,
}
#: Observed damage classes -> damage fraction: the midpoints of the bands used in Indonesian
#: post-disaster assessments (rusak ringan < 30 %, sedang 30-50 %, berat > 50 %; *verify* with
#: the BNPB/PUPR guideline in use), "hancur" (destroyed) = 1. English aliases accepted.
OBSERVED_DAMAGE_FRAC: dict[str, float] = {
    "rusak ringan": 0.15, "ringan": 0.15, "light": 0.15, "minor": 0.15,
    "rusak sedang": 0.40, "sedang": 0.40, "moderate": 0.40,
    "rusak berat": 0.75, "berat": 0.75, "heavy": 0.75, "severe": 0.75, "major": 0.75,
    "hancur": 1.0, "hilang": 1.0, "destroyed": 1.0,
    "tidak rusak": 0.0, "none": 0.0, "no damage": 0.0,
}
#: Multiplier of the curve's fraction where the flood carried mud and debris (banjir bandang),
#: capped at 1. An ASSUMPTION: no published curve for Indonesian debris flows; the 2020 Masamba
#: flood left 1-4 m of mud, which damages more than still water of the same depth. Set 1 to turn
#: it off.
FLASH_FLOOD_FACTOR = 1.25
#: ``material`` values that get the flash-flood factor.
MUD_MATERIALS: tuple[str, ...] = ("mud", "debris", "lumpur", "bandang", "flash flood")


def damage_fraction(
    assets: pd.DataFrame,
    *,
    type_col: str = "asset_type",
    depth_col: str = "depth_m",
    material_col: str = "material",
    observed_col: str = "damage_observed",
    curves: Mapping[str, DamageCurve] | None = None,
    flash_flood_factor: float = FLASH_FLOOD_FACTOR,
    mud_materials: Sequence[str] = MUD_MATERIALS,
    default_material: str | None = None,
    report: StepReport | None = None,
) -> pd.DataFrame:
    """Damage fraction (0-1) of each asset's replacement value.

    An observed damage class (``rusak berat / sedang / ringan``) wins over the curve. Otherwise
    the asset type's curve at ``depth_m``; where ``material`` is mud or debris the curve's
    fraction is multiplied by ``flash_flood_factor`` (capped at 1). Assets with no depth and no
    observed class get 0 (counted in ``report``).

    Parameters
    ----------
    assets : DataFrame
        One row per asset with ``asset_type``; optional ``depth_m`` (m), ``material``,
        ``damage_observed``.
    type_col, depth_col, material_col, observed_col : str, keyword-only
        Column names.
    curves : mapping, keyword-only
        Curve per asset type, merged over :data:`DEFAULT_DAMAGE_CURVES` (``"default"`` for the
        rest).
    flash_flood_factor : float, keyword-only
        Multiplier >= 1 for mud and debris (:data:`FLASH_FLOOD_FACTOR`, an assumption).
    mud_materials : sequence of str, keyword-only
        Material values (case-insensitive) that get the factor.
    default_material : str, keyword-only
        Material of rows without one (e.g. ``"mud"`` for a flash-flood event).
    report : StepReport, keyword-only
        Where unrecognised classes and missing depths are counted.

    Returns
    -------
    DataFrame
        On the input index: ``damage_frac`` (0-1), ``damage_source`` ("observed", "curve",
        "none"), ``damage_curve`` (curve name or None).

    Raises
    ------
    SchemaError
        No ``asset_type`` column.
    ParameterError
        ``flash_flood_factor`` < 1.

    Examples
    --------
    >>> a = pd.DataFrame({"asset_type": ["housing", "road", "school"], "depth_m": [1.0, 1.0, 2.0],
    ...     "material": ["water", "water", "mud"],
    ...     "damage_observed": [None, None, "rusak sedang"]})
    >>> damage_fraction(a).damage_frac.tolist()
    [0.494, 0.572, 0.4]
    """
    if type_col not in assets.columns:
        raise SchemaError(f"assets: expected column {type_col!r}, found {list(assets.columns)}.")
    if not (flash_flood_factor >= 1.0):
        raise ParameterError(
            f"flash_flood_factor: expected a multiplier >= 1, found {flash_flood_factor}.")
    cv = dict(DEFAULT_DAMAGE_CURVES)
    cv.update(curves or {})
    n = len(assets)
    types = assets[type_col].astype(str).str.strip().str.lower().to_numpy(object)
    depth = (pd.to_numeric(assets[depth_col], errors="coerce").to_numpy(float)
             if depth_col in assets.columns else np.full(n, np.nan))
    frac = np.zeros(n)
    curve_name = np.full(n, None, dtype=object)
    for t in np.unique(types):
        m = types == t
        c = cv.get(t, cv["default"])
        frac[m] = c(depth[m])
        curve_name[m] = c.name
    if material_col in assets.columns:
        mat = assets[material_col].astype(object).where(assets[material_col].notna(),
                                                        default_material)
    else:
        mat = pd.Series([default_material] * n, index=assets.index, dtype=object)
    muds = {s.lower() for s in mud_materials}
    is_mud = np.array([isinstance(x, str) and x.strip().lower() in muds for x in mat])
    frac = np.where(is_mud, np.minimum(frac * flash_flood_factor, 1.0), frac)
    source = np.where(np.isfinite(depth) & (depth > 0), "curve", "none").astype(object)
    curve_name[source == "none"] = None
    if observed_col in assets.columns:
        obs = assets[observed_col]
        has = obs.notna().to_numpy() & (obs.astype(str).str.strip() != "").to_numpy()
        keys = obs.astype(str).str.strip().str.lower().to_numpy(object)
        known = np.array([k in OBSERVED_DAMAGE_FRAC for k in keys]) & has
        if report is not None:
            report.repair(f"unrecognised {observed_col} label: the depth-damage curve was used",
                          int((has & ~known).sum()))
        frac = np.where(known, [OBSERVED_DAMAGE_FRAC.get(k, 0.0) for k in keys], frac)
        source[known] = "observed"
        curve_name[known] = None
    if report is not None:
        report.repair("no depth and no observed damage class: damage 0", int((source == "none")
                                                                             .sum()))
    return pd.DataFrame({"damage_frac": frac.astype(float), "damage_source": source,
                         "damage_curve": curve_name}, index=assets.index)
