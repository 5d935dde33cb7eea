"""The raster value type of the analysis rooms: what a lazily read raster must offer.

Analysis code (hazard, exposure) accepts either an array with ``transform`` and
``crs``, or any object with the members below; it never imports the readers in
:mod:`kotacerdas_gis.io`. :class:`kotacerdas_gis.io.raster.RasterSource` (what
:func:`kotacerdas_gis.read_raster` returns) is one.

Examples
--------
>>> import numpy as np
>>> isinstance(np.zeros((2, 2)), RasterLike)
False
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["RasterLike"]


@runtime_checkable
class RasterLike(Protocol):
    """A single-band raster read lazily, by window, in a metric CRS.

    Attributes
    ----------
    name : str
        Name used in messages (the file name).
    path : path-like
        Where it comes from (for provenance).
    transform : affine.Affine
        Grid transform of the whole raster.
    crs : pyproj.CRS
        Its CRS.
    """

    name: str
    path: Any
    transform: Any
    crs: Any

    def read(self, *, window: Any = None, as_float: bool = False) -> Any:
        """Read the band (or a window of it); ``as_float``: float32 with NaN for nodata."""
        ...

    def window_for_bounds(self, bounds: tuple[float, float, float, float]) -> Any:
        """Return the window covering ``(left, bottom, right, top)``."""
        ...

    def window_transform(self, window: Any) -> Any:
        """Return the transform of a window."""
        ...
