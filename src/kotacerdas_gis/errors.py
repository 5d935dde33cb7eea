"""The exception and warning family of kotacerdas_gis.

Every error this package raises on bad input is a :class:`KotaCerdasError`. The
subclasses that describe bad *values* also derive from :class:`ValueError` (as
rasterio's ``DriverCapabilityError`` does), so ``except ValueError`` written
against geopandas or rasterio keeps working.

Messages follow one pattern: what was expected, what was found (naming the
file, layer or column), and how to fix it.

Examples
--------
>>> from kotacerdas_gis.errors import CRSError, KotaCerdasError
>>> issubclass(CRSError, KotaCerdasError) and issubclass(CRSError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "KotaCerdasError",
    "CRSError",
    "CRSMismatchError",
    "SchemaError",
    "ParameterError",
    "DataError",
    "InfeasibleProblemError",
    "OutputError",
    "KotaCerdasWarning",
    "RepairWarning",
]


class KotaCerdasError(Exception):
    """Base class of every error raised by kotacerdas_gis."""


class CRSError(KotaCerdasError, ValueError):
    """A layer has no CRS, a geographic CRS, or a CRS whose unit is not the metre."""


class CRSMismatchError(CRSError):
    """Two layers that must share the working CRS do not."""


class SchemaError(KotaCerdasError, ValueError):
    """A required column is missing or holds values of the wrong kind.

    The message lists the columns that exist, so the caller can pass the right
    name through the function's ``*_col`` keyword.
    """


class ParameterError(KotaCerdasError, ValueError):
    """An option has a value outside its valid range or choices.

    Raised by :mod:`kotacerdas_gis.checks` for every keyword option and
    :class:`~kotacerdas_gis.plan.PlanConfig` field; the message names the option,
    the value found and the valid choices or range.
    """


class DataError(KotaCerdasError, ValueError):
    """A file or layer is missing, unreadable, empty or corrupt.

    The message names the file and, where there is one, the layer.
    """


class InfeasibleProblemError(KotaCerdasError, RuntimeError):
    """An optimisation problem has no feasible solution with the given parameters."""


class OutputError(KotaCerdasError, OSError):
    """An output folder or file cannot be written: disk full, read-only, not a folder, ...

    The message names the path and the cause in plain words ("disk full",
    "read-only file system", "permission denied", "is a file, not a folder").
    Earlier outputs are left as they were.
    """


class KotaCerdasWarning(UserWarning):
    """Base class of the warnings issued by kotacerdas_gis."""


class RepairWarning(KotaCerdasWarning):
    """Input features were repaired or rejected; the accounting report has the counts."""
