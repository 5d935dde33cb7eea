"""Deterministic element ids for folium/branca pages (reproducible ``map.html``).

branca gives every element a random id (``os.urandom``), which becomes a JavaScript
variable name in the page, so two builds of the same map never give the same bytes.
:func:`deterministic_ids` wraps a map builder: while it runs, new elements get ids
from a counter (``00000000000000000000000000000001``, ...), unique within the map.
Elements built elsewhere keep branca's random ids.

Examples
--------
>>> import folium
>>> @deterministic_ids
... def build():
...     return folium.Map()
>>> build()._id == build()._id
True
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

from branca.element import Element

__all__ = ["deterministic_ids", "counted_ids"]

F = TypeVar("F", bound=Callable[..., Any])
_LOCK = threading.RLock()


@contextlib.contextmanager
def counted_ids() -> Iterator[None]:
    """Within the block, give new branca elements ids from a counter (thread-safe)."""
    counter = itertools.count(1)
    with _LOCK:
        saved = Element.__dict__["_generate_id"]
        Element._generate_id = classmethod(  # type: ignore[method-assign,assignment]
            lambda cls: f"{next(counter):032x}"
        )
        try:
            yield
        finally:
            Element._generate_id = saved  # type: ignore[method-assign]


def deterministic_ids(fn: F) -> F:
    """Decorate a map builder so that the elements it creates get counter ids."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with counted_ids():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
