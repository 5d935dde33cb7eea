"""Minimum needs of displaced people (BNPB Perka 7/2008, as InaSAFE ships them).

The profile is data: :meth:`MinimumNeeds.from_mapping` builds one from a JSON or TOML mapping
(InaSAFE's items: name, unit, amount per person, weekly or once), so a BPBD can use its own
(:func:`kotacerdas_gis.io.profiles.read_needs_profile` reads the file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..schemas import require_columns

__all__ = ["MinimumNeeds", "NeedItem", "minimum_needs"]

Frequency = Literal["weekly", "once"]


@dataclass(frozen=True)
class NeedItem:
    """One item of a minimum-needs profile.

    Attributes
    ----------
    key : str
        Column name in the needs table (``rice_kg``).
    amount : float
        Per displaced person, per week (``frequency="weekly"``) or once for the event.
    unit : str
        ``kg``, ``l``, ``unit`` ...
    frequency : {"weekly", "once"}
        Weekly items are multiplied by the profile's weeks.
    round_up : bool
        Whole items (kits, toilets): rounded up per area.
    label_id, label_en : str
        Names in Bahasa Indonesia and English (the key when not given).
    """

    key: str
    amount: float
    unit: str = ""
    frequency: Frequency = "weekly"
    round_up: bool = False
    label_id: str = ""
    label_en: str = ""


_ITEM_KEYS = ("key", "amount", "unit", "frequency", "round_up", "label_id", "label_en")


@dataclass(frozen=True)
class MinimumNeeds:
    """Minimum needs per displaced person per week (BNPB Perka 7/2008, as InaSAFE ships them).

    Attributes
    ----------
    rice_kg, drinking_water_l, clean_water_l, family_kit, toilet : float
        Per displaced person per week (the BNPB default profile; used when ``items`` is
        empty).
    weeks : float
        Number of weeks to plan for.
    items : tuple of NeedItem
        A profile of its own (from :meth:`from_mapping`); when given, it replaces the five
        BNPB quantities.
    name : str
        The profile's name (for the report).
    """

    rice_kg: float = 2.8
    drinking_water_l: float = 17.5
    clean_water_l: float = 67.0
    family_kit: float = 0.2
    toilet: float = 0.05
    weeks: float = 1.0
    items: tuple[NeedItem, ...] = ()
    name: str = "BNPB Perka 7/2008"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "minimum needs") -> MinimumNeeds:
        """Build a profile from a mapping (a JSON or TOML file's content).

        ``{"name": ..., "weeks": 1, "items": [{"key": "rice_kg", "amount": 2.8, "unit": "kg",
        "frequency": "weekly", "round_up": false, "label_id": "Beras", "label_en": "Rice"},
        ...]}``; ``frequency`` is ``weekly`` (default) or ``once``.

        Raises
        ------
        SchemaError
            Unknown keys, a missing key or amount, a negative amount, duplicated item keys,
            naming ``where``.

        Examples
        --------
        >>> n = MinimumNeeds.from_mapping({"name": "BPBD Luwu Utara", "weeks": 2, "items": [
        ...     {"key": "rice_kg", "amount": 2.5, "unit": "kg"},
        ...     {"key": "tarpaulin", "amount": 0.2, "frequency": "once", "round_up": True}]})
        >>> n.per_person()
        {'rice_kg': 5.0, 'tarpaulin': 0.2}
        >>> minimum_needs(12.0, needs=n).iloc[0].tolist()
        [12.0, 60.0, 3.0]
        """
        if not isinstance(data, Mapping):
            raise SchemaError(f"{where}: expected an object with 'items', found "
                              f"{type(data).__name__}.")
        unknown = sorted(set(data) - {"name", "weeks", "items"})
        if unknown:
            raise SchemaError(f"{where}: unknown key(s) {unknown}; use name, weeks, items.")
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise SchemaError(f"{where}: 'items' must be a non-empty list of objects "
                              '({"key": "rice_kg", "amount": 2.8, "unit": "kg"}).')
        out: list[NeedItem] = []
        for i, it in enumerate(items):
            if not isinstance(it, Mapping) or "key" not in it or "amount" not in it:
                raise SchemaError(f"{where}: items[{i}] needs 'key' and 'amount'.")
            bad = sorted(set(it) - set(_ITEM_KEYS))
            if bad:
                raise SchemaError(f"{where}: items[{i}] has unknown key(s) {bad}; use "
                                  f"{', '.join(_ITEM_KEYS)}.")
            amount = it["amount"]
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
                raise SchemaError(f"{where}: items[{i}] ({it['key']!r}) amount must be a "
                                  f"non-negative number, found {amount!r}.")
            freq = it.get("frequency", "weekly")
            if freq not in ("weekly", "once"):
                raise SchemaError(f"{where}: items[{i}] ({it['key']!r}) frequency must be "
                                  f"'weekly' or 'once', found {freq!r}.")
            if not isinstance(it.get("round_up", False), bool):
                raise SchemaError(f"{where}: items[{i}] ({it['key']!r}) round_up must be true "
                                  "or false.")
            out.append(NeedItem(str(it["key"]), float(amount), str(it.get("unit", "")), freq,
                                bool(it.get("round_up", False)), str(it.get("label_id", "")),
                                str(it.get("label_en", ""))))
        keys = [x.key for x in out]
        if len(set(keys)) < len(keys):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            raise SchemaError(f"{where}: duplicated item keys {dup}.")
        weeks = data.get("weeks", 1.0)
        if isinstance(weeks, bool) or not isinstance(weeks, (int, float)) or weeks <= 0:
            raise SchemaError(f"{where}: weeks must be a positive number, found {weeks!r}.")
        return cls(weeks=float(weeks), items=tuple(out),
                   name=str(data.get("name", "custom profile")))

    def profile_items(self) -> tuple[NeedItem, ...]:
        """Return the items of the profile (the BNPB default as items when none were given)."""
        if self.items:
            return self.items
        return (
            NeedItem("rice_kg", self.rice_kg, "kg", label_id="Beras", label_en="Rice"),
            NeedItem("drinking_water_l", self.drinking_water_l, "l", label_id="Air minum",
                     label_en="Drinking water"),
            NeedItem("clean_water_l", self.clean_water_l, "l", label_id="Air bersih",
                     label_en="Clean water"),
            NeedItem("family_kit", self.family_kit, "unit", round_up=True,
                     label_id="Paket keluarga", label_en="Family kits"),
            NeedItem("toilet", self.toilet, "unit", round_up=True, label_id="Jamban",
                     label_en="Toilets"),
        )

    def to_mapping(self) -> dict[str, Any]:
        """Return the profile as data (what :meth:`from_mapping` reads)."""
        return {"name": self.name, "weeks": self.weeks,
                "items": [{k: getattr(x, k) for k in _ITEM_KEYS} for x in self.profile_items()]}

    def per_person(self) -> dict[str, float]:
        """Column name -> quantity per displaced person for the whole period."""
        if self.items:
            return {x.key: x.amount * (self.weeks if x.frequency == "weekly" else 1.0)
                    for x in self.items}
        return {
            "rice_kg": self.rice_kg * self.weeks,
            "drinking_water_l": self.drinking_water_l * self.weeks,
            "clean_water_l": self.clean_water_l * self.weeks,
            "family_kit": self.family_kit * self.weeks,
            "toilet": self.toilet * self.weeks,
        }


def minimum_needs(displaced: pd.DataFrame | pd.Series | float, *,
                  needs: MinimumNeeds = MinimumNeeds(),
                  displaced_col: str = "displaced") -> pd.DataFrame:
    """Minimum needs of displaced people (not of all affected people).

    Parameters
    ----------
    displaced : DataFrame, Series or float
        Displaced people (a frame with a ``displaced`` column, a Series, or a number).
    needs : MinimumNeeds, keyword-only
        Quantities per person per week (BNPB Perka 7/2008 defaults).
    displaced_col : str, keyword-only
        Column of ``displaced`` when it is a frame.

    Returns
    -------
    DataFrame
        The input columns (or ``displaced``) plus ``rice_kg``, ``drinking_water_l``,
        ``clean_water_l``, ``family_kit``, ``toilet``; family kits and toilets rounded up.

    Raises
    ------
    SchemaError
        Missing column or negative numbers.

    Examples
    --------
    >>> minimum_needs(100.0).iloc[0].tolist()
    [100.0, 280.0, 1750.0, 6700.0, 20.0, 5.0]
    """
    if isinstance(displaced, pd.DataFrame):
        require_columns(displaced, [displaced_col], name="displaced")
        out = displaced.copy()
        d = pd.to_numeric(out[displaced_col], errors="coerce").to_numpy(float)
    else:
        d = np.atleast_1d(np.asarray(displaced, dtype=float))
        out = pd.DataFrame({displaced_col: d},
                           index=displaced.index if isinstance(displaced, pd.Series) else None)
    if np.isnan(d).any() or (d < 0).any():
        raise SchemaError(
            "displaced: expected non-negative numbers of people, found "
            f"{d[np.isnan(d) | (d < 0)][:5]}."
        )
    whole = {x.key for x in needs.profile_items() if x.round_up}
    for k, v in needs.per_person().items():
        q = d * v
        out[k] = np.maximum(np.ceil(q - 1e-9), 0.0) if k in whole else q
    return out
