"""Minimum needs of displaced people (BNPB Perka 7/2008, as InaSAFE ships them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..schemas import require_columns

__all__ = ["MinimumNeeds", "minimum_needs"]


@dataclass(frozen=True)
class MinimumNeeds:
    """Minimum needs per displaced person per week (BNPB Perka 7/2008, as InaSAFE ships them).

    Attributes
    ----------
    rice_kg, drinking_water_l, clean_water_l, family_kit, toilet : float
        Per displaced person per week.
    weeks : float
        Number of weeks to plan for.
    """

    rice_kg: float = 2.8
    drinking_water_l: float = 17.5
    clean_water_l: float = 67.0
    family_kit: float = 0.2
    toilet: float = 0.05
    weeks: float = 1.0

    def per_person(self) -> dict[str, float]:
        """Column name -> quantity per displaced person for the whole period."""
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
    for k, v in needs.per_person().items():
        q = d * v
        out[k] = np.maximum(np.ceil(q - 1e-9), 0.0) if k in ("family_kit", "toilet") else q
    return out
