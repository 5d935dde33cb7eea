r"""Editable data profiles read from files: the minimum-needs profile (JSON or TOML).

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "needs.toml"
>>> _ = p.write_text('name = "BPBD"\n[[items]]\nkey = "rice_kg"\namount = 2.8\nunit = "kg"\n')
>>> read_needs_profile(p).per_person()
{'rice_kg': 2.8}
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..exposure.needs import MinimumNeeds

__all__ = ["read_needs_profile"]


def read_needs_profile(path: str | os.PathLike[str]) -> MinimumNeeds:
    """Read a minimum-needs profile from a ``.json`` or ``.toml`` file.

    The file holds ``name``, ``weeks`` and ``items`` (see
    :meth:`kotacerdas_gis.exposure.MinimumNeeds.from_mapping`); ``MinimumNeeds().to_mapping()``
    is the BNPB default to start from.

    Raises
    ------
    DataError
        Missing file, another suffix, invalid JSON/TOML, not UTF-8 (each naming the file).
    SchemaError
        A profile that is not valid (naming the file and the item).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: minimum-needs profile not found.")
    suffix = p.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise DataError(f"{p}: expected a .json or .toml minimum-needs profile.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 text ({exc.reason}); save it as UTF-8.") from None
    if suffix == ".json":
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    else:
        try:
            toml: Any = importlib.import_module("tomllib")  # Python 3.11+
        except ModuleNotFoundError:
            raise DataError(f"{p}: reading TOML needs Python 3.11 or newer; save the profile "
                            "as JSON.") from None
        try:
            data = toml.loads(text)
        except toml.TOMLDecodeError as exc:
            raise DataError(f"{p}: not valid TOML ({exc}).") from None
    return MinimumNeeds.from_mapping(data, where=str(p))
