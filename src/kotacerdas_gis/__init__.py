"""kotacerdas_gis: flood-risk planning for the smart-city rebuilding of Masamba, Luwu Utara.

Overlays flood-risk zones with infrastructure and recommends where to put
flood sensors, where to put service points, and which damaged assets to
rebuild first. Writes Folium web maps, styled GeoPackages for QGIS and reports.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    CRSError,
    CRSMismatchError,
    DataError,
    InfeasibleProblemError,
    KotaCerdasError,
    KotaCerdasWarning,
    RepairWarning,
    SchemaError,
)

__all__ = [
    "__version__",
    "CRSError",
    "CRSMismatchError",
    "DataError",
    "InfeasibleProblemError",
    "KotaCerdasError",
    "KotaCerdasWarning",
    "RepairWarning",
    "SchemaError",
]
