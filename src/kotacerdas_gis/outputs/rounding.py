"""Display rounding as InaSAFE reports do: it changes what is shown, never the stored numbers.

InaSAFE rounds people up (nobody is rounded away) and to a few significant figures, so that a
modelled figure does not look more precise than it is. :func:`round_people` rounds up to a
whole person and then up to two significant figures; :func:`rounded` applies it to a copy of a
table for display.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["round_people", "rounded"]


def round_people(value: Any, *, significant: int = 2) -> int:
    """Round a number of people up to a whole person, then up to ``significant`` figures.

    Examples
    --------
    >>> round_people(0.2), round_people(87), round_people(1234), round_people(14483)
    (1, 87, 1300, 15000)
    """
    x = float(value)
    if math.isnan(x) or x <= 0:
        return 0
    n = math.ceil(x - 1e-9)
    digits = int(math.floor(math.log10(n))) + 1
    if digits <= significant:
        return n
    step = 10 ** (digits - significant)
    return int(math.ceil(n / step) * step)


def rounded(table: pd.DataFrame, *, people: Sequence[str] = (), significant: int = 2,
            decimals: int | None = None) -> pd.DataFrame:
    """Return a copy of ``table`` for display: ``people`` columns by :func:`round_people`.

    Other numeric columns are rounded to ``decimals`` when given. The input is not changed.

    Examples
    --------
    >>> t = pd.DataFrame({"displaced": [1234.5, 3.2], "rice_kg": [3456.6, 8.96]})
    >>> rounded(t, people=["displaced"], decimals=0).values.tolist()
    [[1300.0, 3457.0], [4.0, 9.0]]
    """
    out = table.copy()
    for c in people:
        out[c] = out[c].map(lambda v: round_people(v, significant=significant))
    if decimals is not None:
        rest = [c for c in out.select_dtypes("number").columns if c not in people]
        out[rest] = out[rest].round(decimals)
    return out
