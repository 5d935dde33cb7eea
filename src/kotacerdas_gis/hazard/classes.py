"""Hazard classifications as data: PetaBencana depth, wet/dry, generic, InaRISK, custom.

A :class:`ClassSet` is an ordered, validated list of :class:`HazardClass`
intervals over one value (flood depth in metres, an index 0-1...). The set's
``comparison`` states on which side an inner threshold falls:

- ``">"`` (the default, PetaBencana's "high > 1.5 m, medium 0.7-1.5 m"): a class
  holds ``min_value < v <= max_value``, so a depth of exactly 1.5 m is *medium*;
- ``">="`` ("at least 1.0 m"): a class holds ``min_value <= v < max_value``, so a
  cell of exactly 1.0 m falls in the class that starts at 1.0 m.

The two outer edges are the same under both rules: the lowest edge is excluded
(a depth of 0 m is dry) unless ``include_lowest=True`` (InaRISK "rendah <= 0.33"
starts at 0 inclusive), and a finite top edge is included (an index of exactly
1.0 is *tinggi*). A value outside every class (NaN, a depth of 0 m, an index
above 1) is *not hazardous*: key ``"none"``, rank 0, grey.

Each class also says whether it is ``affected``: InaSAFE's generic ``low`` is
*exposed but not affected*; assets in it count in ``total_not_affected`` and
nobody there is displaced (its ``displacement_rate`` must be 0).

Thresholds, colours and displacement rates are parameters: the builders
(:func:`petabencana_class_set`, :func:`inarisk_class_set`,
:func:`generic_class_set`, :func:`custom_class_set`) take them as keywords
and the module constants hold the defaults from DOMAIN.md (InaSAFE).

Examples
--------
>>> PETABENCANA.classify_keys([0.0, 0.05, 0.1, 0.7, 1.5, 1.51, 4.0]).tolist()
['none', 'use_caution', 'use_caution', 'low', 'medium', 'high', 'high']
>>> PETABENCANA.classify_ranks([0.0, 0.4, 2.0]).tolist()
[0, 2, 4]
>>> PETABENCANA["high"].displacement_rate, PETABENCANA["high"].colour
(0.05, '#F03B20')
>>> at_least = custom_class_set([1.0], keys=["shallow", "deep"], comparison=">=")
>>> at_least.classify_keys([0.0, 0.5, 1.0, 2.0]).tolist()  # 1.0 m is "at least 1.0 m"
['none', 'shallow', 'deep', 'deep']
>>> GENERIC["low"].affected, GENERIC["medium"].affected
(False, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from ..errors import SchemaError

__all__ = [
    "Comparison",
    "HazardClass",
    "ClassSet",
    "NOT_HAZARDOUS",
    "NOT_EXPOSED_COLOUR",
    "PETABENCANA",
    "WET_DRY",
    "GENERIC",
    "INARISK",
    "petabencana_class_set",
    "wet_dry_class_set",
    "generic_class_set",
    "inarisk_class_set",
    "custom_class_set",
    "get_class_set",
    "class_set_from_spec",
    "CLASS_SET_SPEC_KEYS",
]

#: How an inner class threshold compares: ``">"`` (value above it goes up) or ``">="``.
Comparison = Literal[">", ">="]

#: Grey for areas that are not exposed / not hazardous (DOMAIN.md).
NOT_EXPOSED_COLOUR = "#8C8C8C"
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class HazardClass:
    """One hazard class: an interval ``min_value < v <= max_value`` with labels and rates.

    Attributes
    ----------
    key : str
        Machine key written to ``hazard_class`` (``"high"``).
    rank : int
        Severity, larger = worse; 0 only for the not-hazardous class.
    label_id, label_en : str
        Labels in Bahasa Indonesia and English.
    min_value, max_value : float
        Interval bounds in the class set's unit (``-inf``/``inf`` allowed).
    colour : str
        ``#RRGGBB`` fill colour shared by web map, QGIS style and report.
    displacement_rate : float
        Share of the exposed population displaced, 0-1 (InaSAFE defaults).
    affected : bool, default True
        Whether assets and people in this class are *affected* (InaSAFE). False makes the
        class "exposed but not affected" (generic ``low``): counted in
        ``total_not_affected``, nobody displaced (the rate must then be 0).
    """

    key: str
    rank: int
    label_id: str
    label_en: str
    min_value: float
    max_value: float
    colour: str
    displacement_rate: float
    affected: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_value", float(self.min_value))
        object.__setattr__(self, "max_value", float(self.max_value))
        object.__setattr__(self, "displacement_rate", float(self.displacement_rate))
        object.__setattr__(self, "affected", bool(self.affected))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (infinite bounds become None)."""
        def fin(v: float) -> float | None:
            return None if (v is None or not math.isfinite(v)) else float(v)

        return {
            "key": self.key, "rank": self.rank, "label_id": self.label_id,
            "label_en": self.label_en, "min_value": fin(self.min_value),
            "max_value": fin(self.max_value), "colour": self.colour,
            "displacement_rate": self.displacement_rate, "affected": self.affected,
        }


#: The class of values outside every interval: rank 0, grey, nobody displaced.
NOT_HAZARDOUS = HazardClass(
    key="none", rank=0, label_id="Tidak terdampak", label_en="Not exposed",
    min_value=math.nan, max_value=math.nan, colour=NOT_EXPOSED_COLOUR, displacement_rate=0.0,
    affected=False,
)


@dataclass(frozen=True)
class ClassSet:
    """An ordered, gap-free, non-overlapping set of hazard classes over one value.

    Parameters
    ----------
    name : str
        Identifier (``"petabencana_depth"``), stored in provenance.
    classes : sequence of HazardClass
        The classes, in any order; stored sorted by ``min_value``.
    value_name : str, default "depth_m"
        What is classified, with its unit (``"depth_m"``, ``"index"``).
    include_lowest : bool, default False
        Whether the lowest class includes its lower bound.
    description : str
        Where the thresholds come from.
    comparison : {'>', '>='}, default '>'
        Which class a value equal to an inner threshold falls in: ``">"`` the lower one
        (``min_value < v <= max_value``), ``">="`` the upper one (``min_value <= v <
        max_value``). The outer edges do not depend on it (see the module notes).

    Raises
    ------
    SchemaError
        If keys or ranks repeat, a rank is below 1, an interval is empty, two
        neighbouring classes leave a gap or overlap (the message names both),
        a colour is not ``#RRGGBB`` or a displacement rate is outside 0-1.

    Examples
    --------
    >>> custom_class_set([0, 1, 2], keys=["low", "high"], name="two")["high"].min_value
    1.0
    >>> ClassSet("bad", [HazardClass("low", 1, "Rendah", "Low", 0, 1, "#FFFFB2", 0.01),
    ...                  HazardClass("high", 2, "Tinggi", "High", 1.5, 3, "#F03B20", 0.05)])
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.SchemaError: class set 'bad': classes 'low' (0.0 to 1.0) and 'high' (1.5 to 3.0) leave a gap between 1.0 and 1.5; each class must start where the one below ends.
    """  # noqa: E501

    name: str
    classes: tuple[HazardClass, ...]
    value_name: str = "depth_m"
    include_lowest: bool = False
    description: str = ""
    comparison: Comparison = ">"
    _edges: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.comparison not in get_args(Comparison):
            raise SchemaError(
                f"class set {self.name!r}: comparison {self.comparison!r} is not one of "
                "'>' (a value equal to a threshold stays in the lower class) or '>=' (it goes "
                "to the class that starts at the threshold)."
            )
        classes = tuple(sorted(self.classes, key=lambda c: (c.min_value, c.max_value)))
        object.__setattr__(self, "classes", classes)
        _validate(self.name, classes)
        edges = np.array([c.min_value for c in classes] + [classes[-1].max_value], dtype=float)
        edges.setflags(write=False)
        object.__setattr__(self, "_edges", edges)

    # --- access -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[HazardClass]:
        return iter(self.classes)

    def __len__(self) -> int:
        return len(self.classes)

    def __getitem__(self, key: str) -> HazardClass:
        for c in self.classes:
            if c.key == key:
                return c
        if key == NOT_HAZARDOUS.key:
            return NOT_HAZARDOUS
        raise KeyError(f"class set {self.name!r} has no class {key!r}; it has {self.keys}")

    @property
    def keys(self) -> list[str]:
        """Class keys from the lowest interval to the highest."""
        return [c.key for c in self.classes]

    @property
    def affected_keys(self) -> list[str]:
        """Keys of the classes whose assets and people count as affected."""
        return [c.key for c in self.classes if c.affected]

    def interval_text(self, key: str) -> str:
        """Describe class ``key``'s interval in the set's comparison (``0.7 < v <= 1.5``)."""
        c = self[key]
        i = self.classes.index(c)
        lo_op = "<=" if (self.comparison == ">=" and i > 0) or (
            i == 0 and self.include_lowest) else "<"
        hi_op = "<" if (self.comparison == ">=" and i < len(self.classes) - 1) else "<="
        parts = []
        if math.isfinite(c.min_value):
            parts.append(f"{c.min_value:g} {lo_op} ")
        parts.append("v")
        if math.isfinite(c.max_value):
            parts.append(f" {hi_op} {c.max_value:g}")
        return "".join(parts)

    @property
    def max_rank(self) -> int:
        """The largest rank in the set."""
        return max(c.rank for c in self.classes)

    def by_rank(self, rank: int) -> HazardClass:
        """Return the class with ``rank`` (0 gives :data:`NOT_HAZARDOUS`)."""
        if rank == 0:
            return NOT_HAZARDOUS
        for c in self.classes:
            if c.rank == rank:
                return c
        raise KeyError(f"class set {self.name!r} has no class of rank {rank}")

    def to_frame(self, *, include_none: bool = True) -> pd.DataFrame:
        """One row per class (worst first), for legends and styles."""
        rows = [c.to_dict() for c in sorted(self.classes, key=lambda c: -c.rank)]
        if include_none:
            rows.append(NOT_HAZARDOUS.to_dict())
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the set."""
        return {
            "name": self.name, "value_name": self.value_name,
            "include_lowest": self.include_lowest, "description": self.description,
            "comparison": self.comparison,
            "classes": [c.to_dict() for c in self.classes],
        }

    # --- classification -----------------------------------------------------------------
    def class_index(self, values: Any) -> np.ndarray:
        """Index into :attr:`classes` of each value, -1 where no class applies."""
        v = np.asarray(values, dtype=float)
        e = self._edges
        n = len(self.classes)
        if self.comparison == ">":
            idx = np.searchsorted(e, v, side="left") - 1  # e[i] < v <= e[i+1]  ->  i
        else:
            idx = np.searchsorted(e, v, side="right") - 1  # e[i] <= v < e[i+1]  ->  i
            idx = np.where(v == e[-1], n - 1, idx)  # a finite top edge stays included
        # the lowest edge is excluded under both rules unless include_lowest
        idx = np.where(v == e[0], 0 if self.include_lowest else -1, idx)
        bad = np.isnan(v) | (idx < 0) | (idx >= n)
        return np.where(bad, -1, idx).astype(np.int64)

    def classify_ranks(self, values: Any) -> np.ndarray:
        """Rank of each value's class (0 = not hazardous) as an int array.

        A pandas Series in gives a Series named ``class_rank`` on the same index.
        """
        ranks = np.array([c.rank for c in self.classes] + [0], dtype=np.int16)
        out = ranks[self.class_index(values)]
        if isinstance(values, pd.Series):
            return pd.Series(out, index=values.index, name="class_rank")  # type: ignore[return-value]
        return out

    def classify_keys(self, values: Any) -> np.ndarray:
        """Key of each value's class (``"none"`` = not hazardous) as an object array.

        A pandas Series in gives a Series named ``hazard_class`` on the same index.
        """
        keys = np.array(self.keys + [NOT_HAZARDOUS.key], dtype=object)
        out = keys[self.class_index(values)]
        if isinstance(values, pd.Series):
            return pd.Series(out, index=values.index, name="hazard_class")  # type: ignore[return-value]
        return out

    def class_columns(self, ranks: Any) -> pd.DataFrame:
        """Return the per-class output columns for an array of ranks.

        Returns ``hazard_class``, ``class_rank``, ``label_id``, ``label_en``,
        ``class_min``, ``class_max`` (NaN where unbounded), ``displacement_rate``,
        ``colour``, ``affected`` (bool; False for rank 0).
        """
        r = np.asarray(ranks, dtype=int)
        lut = {c.rank: c for c in self.classes}
        lut[0] = NOT_HAZARDOUS
        unknown = sorted(set(np.unique(r).tolist()) - set(lut))
        if unknown:
            raise SchemaError(
                f"class set {self.name!r} has no class of rank {unknown}; its ranks are "
                f"{sorted(lut)}"
            )
        cls = [lut[int(x)] for x in r]

        def fin(x: float) -> float:
            return x if math.isfinite(x) else math.nan

        return pd.DataFrame({
            "hazard_class": [c.key for c in cls],
            "class_rank": r.astype(np.int64),
            "label_id": [c.label_id for c in cls],
            "label_en": [c.label_en for c in cls],
            "class_min": [fin(c.min_value) for c in cls],
            "class_max": [fin(c.max_value) for c in cls],
            "displacement_rate": [c.displacement_rate for c in cls],
            "colour": [c.colour for c in cls],
            "affected": np.array([c.affected for c in cls], dtype=bool),
        })


def _validate(name: str, classes: tuple[HazardClass, ...]) -> None:
    if not classes:
        raise SchemaError(f"class set {name!r}: expected at least one class, found none.")
    keys = [c.key for c in classes]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SchemaError(f"class set {name!r}: class keys must be unique, {dup} repeat.")
    if NOT_HAZARDOUS.key in keys:
        raise SchemaError(
            f"class set {name!r}: the key 'none' is reserved for values outside every class."
        )
    ranks = [c.rank for c in classes]
    dupr = sorted({r for r in ranks if ranks.count(r) > 1})
    if dupr:
        raise SchemaError(f"class set {name!r}: ranks must be unique, {dupr} repeat ({keys}).")
    for c in classes:
        if int(c.rank) != c.rank or c.rank < 1:
            raise SchemaError(
                f"class set {name!r}: class {c.key!r} has rank {c.rank}; hazardous classes "
                "need an integer rank of 1 or more (0 is 'not hazardous')."
            )
        if math.isnan(c.min_value) or math.isnan(c.max_value) or not c.min_value < c.max_value:
            raise SchemaError(
                f"class set {name!r}: class {c.key!r} has min_value {c.min_value} and max_value "
                f"{c.max_value}; expected min_value < max_value."
            )
        if not _HEX.match(c.colour):
            raise SchemaError(
                f"class set {name!r}: class {c.key!r} has colour {c.colour!r}; expected #RRGGBB."
            )
        if not 0.0 <= c.displacement_rate <= 1.0:
            raise SchemaError(
                f"class set {name!r}: class {c.key!r} has displacement_rate "
                f"{c.displacement_rate}; expected a share between 0 and 1 (5 % is 0.05)."
            )
        if not c.affected and c.displacement_rate > 0:
            raise SchemaError(
                f"class set {name!r}: class {c.key!r} is not affected but has displacement_rate "
                f"{c.displacement_rate}; nobody is displaced where nobody is affected. Set its "
                "rate to 0, or mark the class affected=True."
            )
    for a, b in zip(classes[:-1], classes[1:], strict=False):
        if a.max_value != b.min_value:
            what = (f"leave a gap between {a.max_value} and {b.min_value}"
                    if a.max_value < b.min_value
                    else f"overlap between {b.min_value} and {a.max_value}")
            raise SchemaError(
                f"class set {name!r}: classes {a.key!r} ({a.min_value} to {a.max_value}) "
                f"and {b.key!r} ({b.min_value} to {b.max_value}) {what}; each class must "
                "start where the one below ends."
            )


# --- builders ---------------------------------------------------------------------------
def custom_class_set(
    thresholds: Sequence[float],
    *,
    keys: Sequence[str],
    name: str = "custom",
    labels_id: Sequence[str] | None = None,
    labels_en: Sequence[str] | None = None,
    colours: Sequence[str] | None = None,
    displacement_rates: Sequence[float] | None = None,
    ranks: Sequence[int] | None = None,
    value_name: str = "depth_m",
    include_lowest: bool = False,
    description: str = "user-defined thresholds",
    comparison: Comparison = ">",
    affected: Sequence[bool] | None = None,
    lower_bound: float = 0.0,
    upper_bound: float = math.inf,
) -> ClassSet:
    """Build a class set from ascending thresholds and ``n`` keys (lowest first).

    Parameters
    ----------
    thresholds : sequence of float
        Either the ``n + 1`` class edges, ascending (``inf`` allowed as the last one), or
        only the ``n - 1`` inner thresholds: the two open ends are then implied, the lowest
        class running from ``lower_bound`` (excluded unless ``include_lowest``; 0 m is dry)
        and the highest up to ``upper_bound`` (default ``inf``).
    keys : sequence of str
        One key per class, from the lowest interval to the highest.
    name : str
        Name of the set.
    labels_id, labels_en : sequence of str, optional
        Labels; default to the keys.
    colours : sequence of str, optional
        ``#RRGGBB`` per class; default a yellow-to-red ramp.
    displacement_rates : sequence of float, optional
        0-1 per class; default 0.
    ranks : sequence of int, optional
        Default ``1..n`` in ascending value order.
    value_name : str, default "depth_m"
        What is classified, with its unit.
    include_lowest : bool, default False
        Whether the lowest class includes its lower edge.
    description : str
        Provenance of the thresholds.
    comparison : {'>', '>='}, default '>'
        On which side an inner threshold falls: ``">"`` keeps a value equal to a
        threshold in the lower class (``min < v <= max``), ``">="`` puts it in the class
        that starts there (``min <= v < max``; "at least 1.0 m").
    affected : sequence of bool, optional
        Per class, whether it counts as affected; default all True.
    lower_bound, upper_bound : float
        The implied outer edges when only inner thresholds are given.

    Returns
    -------
    ClassSet

    Raises
    ------
    SchemaError
        If the lengths disagree or the thresholds are not ascending.
    """
    t = [float(x) for x in thresholds]
    n = len(keys)
    if n >= 1 and len(t) == n - 1:
        t = [float(lower_bound), *t, float(upper_bound)]
    if len(t) != n + 1:
        raise SchemaError(
            f"class set {name!r}: expected {n + 1} class edges (or the {n - 1} inner thresholds)"
            f" for {n} classes, found {len(t)} values."
        )
    for a, b in zip(t[:-1], t[1:], strict=False):
        if not a < b:
            raise SchemaError(
                f"class set {name!r}: thresholds must ascend, found {a} then {b} in {t}."
            )
    ramp = ["#A6D96A", "#FFFFB2", "#FEB24C", "#F03B20", "#BD0026"]
    colours = list(colours) if colours is not None else (ramp[-n:] if n <= len(ramp) else None)
    if colours is None:
        raise SchemaError(f"class set {name!r}: pass colours= for more than {len(ramp)} classes.")
    lists: dict[str, list[Any]] = {
        "labels_id": list(labels_id) if labels_id is not None else list(keys),
        "labels_en": list(labels_en) if labels_en is not None else list(keys),
        "colours": colours,
        "displacement_rates": (list(displacement_rates) if displacement_rates is not None
                               else [0.0] * n),
        "ranks": list(ranks) if ranks is not None else list(range(1, n + 1)),
        "affected": list(affected) if affected is not None else [True] * n,
    }
    for k, v in lists.items():
        if len(v) != n:
            raise SchemaError(f"class set {name!r}: expected {n} {k}, found {len(v)}.")
    classes = [
        HazardClass(keys[i], int(lists["ranks"][i]), lists["labels_id"][i],
                    lists["labels_en"][i], t[i], t[i + 1], lists["colours"][i],
                    float(lists["displacement_rates"][i]), bool(lists["affected"][i]))
        for i in range(n)
    ]
    return ClassSet(name, tuple(classes), value_name=value_name,
                    include_lowest=include_lowest, description=description,
                    comparison=comparison)


def petabencana_class_set(
    *,
    caution_max_m: float = 0.1,
    low_max_m: float = 0.7,
    medium_max_m: float = 1.5,
    displacement_rates: Sequence[float] = (0.0, 0.01, 0.03, 0.05),
) -> ClassSet:
    """PetaBencana flood-depth classes (InaSAFE): use caution, low, medium, high.

    Defaults: use caution 0-0.1 m, low 0.1-0.7 m, medium 0.7-1.5 m,
    high > 1.5 m; displacement 0 %, 1 %, 3 %, 5 % (InaSAFE defaults, in that order).
    A depth of 0 m (dry) is not hazardous.
    """
    return custom_class_set(
        [0.0, caution_max_m, low_max_m, medium_max_m, math.inf],
        keys=["use_caution", "low", "medium", "high"],
        name="petabencana_depth",
        labels_id=["Waspada", "Rendah", "Sedang", "Tinggi"],
        labels_en=["Use caution", "Low", "Medium", "High"],
        colours=["#A6D96A", "#FFFFB2", "#FEB24C", "#F03B20"],
        displacement_rates=displacement_rates,
        value_name="depth_m",
        description="PetaBencana flood depth classes as InaSAFE defines them",
    )


def wet_dry_class_set(*, displacement_rate: float = 0.01, colour: str = "#F03B20") -> ClassSet:
    """Wet/dry flood polygons (InaSAFE): any depth above 0 m is wet; 1 % displaced by default."""
    return custom_class_set(
        [0.0, math.inf], keys=["wet"], name="wet_dry", labels_id=["Tergenang"],
        labels_en=["Wet"], colours=[colour], displacement_rates=[displacement_rate],
        value_name="depth_m", description="InaSAFE wet/dry flood polygons",
    )


def generic_class_set(
    *,
    low_max: float = 1.0,
    medium_max: float = 2.0,
    high_max: float = 3.0,
    displacement_rates: Sequence[float] = (0.0, 0.03, 0.05),
    value_name: str = "value",
    low_affected: bool = False,
) -> ClassSet:
    """Build generic low/medium/high classes over a continuous value (InaSAFE generic hazard).

    Defaults treat the value as a class code: ``0 < v <= 1`` low, ``1 < v <= 2``
    medium, ``2 < v <= 3`` high. As in InaSAFE, ``low`` is *exposed but not
    affected* (``low_affected=False``, displacement 0); the rates of medium and
    high (3 %, 5 %) borrow the flood defaults and are a configurable assumption.
    """
    return custom_class_set(
        [0.0, low_max, medium_max, high_max], keys=["low", "medium", "high"],
        name="generic", labels_id=["Rendah", "Sedang", "Tinggi"],
        labels_en=["Low", "Medium", "High"], colours=["#FFFFB2", "#FEB24C", "#F03B20"],
        displacement_rates=displacement_rates, value_name=value_name,
        affected=[low_affected, True, True],
        description="generic high/medium/low hazard (InaSAFE: low exposed, not affected)",
    )


def inarisk_class_set(
    *,
    low_max: float = 0.33,
    medium_max: float = 0.66,
    displacement_rates: Sequence[float] = (0.01, 0.03, 0.05),
    comparison: Comparison = ">",
) -> ClassSet:
    """BNPB InaRISK 0-1 hazard index: rendah <= 0.33, sedang <= 0.66, tinggi above.

    The thresholds were seen only in a secondary source (*verify*), hence
    keywords. 0 belongs to *rendah* and 1 to *tinggi*; values above 1 are outside
    every class. ``comparison=">="`` puts an index of exactly 0.33 in *sedang*.
    The displacement rates are an assumption borrowed from the flood defaults.
    """
    return custom_class_set(
        [0.0, low_max, medium_max, 1.0], keys=["low", "medium", "high"], name="inarisk_index",
        labels_id=["Rendah", "Sedang", "Tinggi"], labels_en=["Low", "Medium", "High"],
        colours=["#FFFFB2", "#FEB24C", "#F03B20"], displacement_rates=displacement_rates,
        value_name="index", include_lowest=True, comparison=comparison,
        description="BNPB InaRISK hazard index (thresholds to verify)",
    )


#: PetaBencana depth classes with InaSAFE's default rates.
PETABENCANA = petabencana_class_set()
#: Wet/dry (1 % displaced when wet).
WET_DRY = wet_dry_class_set()
#: Generic low/medium/high over class codes 1, 2, 3.
GENERIC = generic_class_set()
#: InaRISK 0-1 index (thresholds to verify).
INARISK = inarisk_class_set()

_BUILTIN = {c.name: c for c in (PETABENCANA, WET_DRY, GENERIC, INARISK)}
_BUILTIN.update({"petabencana": PETABENCANA, "inarisk": INARISK})


def get_class_set(name_or_set: str | ClassSet) -> ClassSet:
    """Return a built-in class set by name, or the set itself.

    Raises
    ------
    SchemaError
        For an unknown name; the message lists the known ones.
    """
    if isinstance(name_or_set, ClassSet):
        return name_or_set
    try:
        return _BUILTIN[name_or_set]
    except KeyError:
        raise SchemaError(
            f"unknown class set {name_or_set!r}; choose one of {sorted(_BUILTIN)} or pass a "
            "ClassSet (see custom_class_set)."
        ) from None


#: Keys of a class set written as data (a manifest's ``"class_set": {...}``).
CLASS_SET_SPEC_KEYS = (
    "name", "thresholds", "keys", "comparison", "labels_id", "labels_en", "colours",
    "displacement_rates", "affected", "ranks", "value_name", "include_lowest", "lower_bound",
    "upper_bound", "description",
)


def class_set_from_spec(spec: str | ClassSet | dict[str, Any]) -> ClassSet:
    """Build a class set from a name, a ClassSet, or a JSON object (a manifest's ``class_set``).

    The object takes the keywords of :func:`custom_class_set` (:data:`CLASS_SET_SPEC_KEYS`);
    ``thresholds`` and ``keys`` are required, ``comparison`` defaults to ``">"``.

    Raises
    ------
    SchemaError
        For an unknown name, an unknown key or a set that does not validate; the message
        names the key.

    Examples
    --------
    >>> cs = class_set_from_spec({"name": "depth_1m", "thresholds": [1.0],
    ...                           "keys": ["shallow", "deep"], "comparison": ">="})
    >>> cs.classify_keys([1.0]).tolist(), class_set_from_spec("inarisk").name
    (['deep'], 'inarisk_index')
    """
    if isinstance(spec, (str, ClassSet)):
        return get_class_set(spec)
    if not isinstance(spec, dict):
        raise SchemaError(
            f"class_set: expected a name ({sorted(_BUILTIN)}) or an object with thresholds and "
            f"keys, found {type(spec).__name__}."
        )
    unknown = sorted(set(spec) - set(CLASS_SET_SPEC_KEYS))
    if unknown:
        raise SchemaError(
            f"class_set: unknown key(s) {unknown}; known: {', '.join(CLASS_SET_SPEC_KEYS)}."
        )
    missing = [k for k in ("thresholds", "keys") if k not in spec]
    if missing:
        raise SchemaError(
            f"class_set: expected {missing} (e.g. \"thresholds\": [0.5, 1.0], \"keys\": "
            "[\"low\", \"medium\", \"high\"], \"comparison\": \">=\")."
        )
    kw = {k: v for k, v in spec.items() if k not in ("thresholds", "keys")}
    kw.setdefault("name", "custom")
    try:
        return custom_class_set(spec["thresholds"], keys=spec["keys"], **kw)
    except TypeError as exc:
        raise SchemaError(f"class_set: {exc}") from exc
