r"""Reading settings files: manifests and plan configurations, JSON or TOML, in any text encoding.

The only place where the package's own settings files are opened.
:func:`read_settings` returns the object a file holds, whatever its format:

- ``.json``: a JSON object (``{"stage_m": 2.5}``);
- ``.toml``: a TOML document (``stage_m = 2.5``; ``# comments`` allowed;
  ``[sensors]`` and ``[speeds_kmh]`` tables for nested settings), read with
  :mod:`tomllib`. TOML has no ``null``: leave such a key out for its default.

Encodings (:func:`read_text`): UTF-8 is expected. A UTF-8 byte-order mark
(Windows Notepad's "UTF-8 with BOM") is removed and a UTF-16 file with a
byte-order mark (Notepad's "Unicode") is decoded, each noted; text that is not
UTF-8 (a manifest saved in Latin-1 / Windows-1252 with ``é`` in a name) is
refused with the line, the column, what the bytes would be in Windows-1252,
and the fix, because reading it in a guessed encoding could change names silently.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "plan.toml").write_text('# a comment\nstage_m = 2.5\n[speeds_kmh]\nlocal = 25\n')
>>> read_settings(d / "plan.toml")
{'stage_m': 2.5, 'speeds_kmh': {'local': 25}}
>>> _ = (d / "plan.json").write_bytes(b'\xef\xbb\xbf{"lang": "en"}')
>>> read_settings(d / "plan.json")
{'lang': 'en'}
"""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Any

import tomllib

from ..errors import DataError

__all__ = ["read_text", "read_json", "read_toml", "read_settings", "SETTINGS_SUFFIXES"]

#: File suffixes :func:`read_settings` reads.
SETTINGS_SUFFIXES = (".json", ".toml")
_FIX_ENCODING = (
    "Save the file as UTF-8 (Notepad: File > Save as > Encoding: UTF-8; VS Code: 'Save with "
    "Encoding' > UTF-8; or `iconv -f WINDOWS-1252 -t UTF-8 old.json > new.json`)."
)


def read_text(
    path: str | os.PathLike[str], *, what: str = "file", hint: str = "",
    notes: list[str] | None = None,
) -> str:
    """Read a settings file as text, UTF-8 expected.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What the file is, for messages (``"manifest"``, ``"plan configuration"``).
    hint : str, optional
        Added to the message when the file is missing.
    notes : list of str, optional
        Receives a note when a byte-order mark was removed or UTF-16 decoded.

    Raises
    ------
    DataError
        Missing file, a folder, or text that is not UTF-8 (with the line, column and fix).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: {what} not found.{' ' + hint if hint else ''}")
    if p.is_dir():
        raise DataError(f"{p}: {what} expected, found a folder. Give the file's path.")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"{p}: {what} cannot be read ({exc.strerror}).") from exc
    for bom, codec, label in ((codecs.BOM_UTF8, "utf-8-sig", "a UTF-8 byte-order mark"),
                              (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (LE) text"),
                              (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (BE) text")):
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:  # pragma: no cover - a BOM then garbage
                raise DataError(f"{p}: {what} starts with {label} but does not decode "
                                f"({exc.reason}). {_FIX_ENCODING}") from exc
            if notes is not None:
                notes.append(f"{p.name}: {label} read (UTF-8 without a byte-order mark is "
                             "the standard)")
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = raw[exc.start:exc.start + 1]
        guess = bad.decode("cp1252", errors="replace")
        raise DataError(
            f"{p}: {what} is not UTF-8 text: byte 0x{bad.hex()} at line {line}, column {column} "
            f"(it would be {guess!r} in Windows-1252/Latin-1, so the file was probably saved in "
            f"that encoding). {_FIX_ENCODING}"
        ) from exc


def read_json(
    path: str | os.PathLike[str], *, what: str = "JSON file", hint: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Read a JSON object from a file (encodings as :func:`read_text`).

    Raises
    ------
    DataError
        Missing file, not UTF-8, invalid JSON, a key twice in one object, or not an
        object; the message names the file.
    """
    p = Path(path)
    text = read_text(p, what=what, hint=hint, notes=notes)

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:  # json.loads keeps the last silently
                raise DataError(
                    f"{p}: the key {key!r} appears twice in one object; JSON keeps only the "
                    "last, so the first would be lost silently. Keep one."
                )
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from exc
    if not isinstance(data, dict):
        raise DataError(f"{p}: expected a JSON object, found {type(data).__name__}.")
    return data


def read_toml(
    path: str | os.PathLike[str], *, what: str = "TOML file", hint: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Read a TOML document from a file (encodings as :func:`read_text`).

    Raises
    ------
    DataError
        Missing file, not UTF-8, or invalid TOML (with tomllib's line and column).
    """
    p = Path(path)
    text = read_text(p, what=what, hint=hint, notes=notes)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(
            f"{p}: not valid TOML ({exc}). Text values need quotes (lang = \"en\"), numbers "
            "and true/false do not."
        ) from exc


def read_settings(
    path: str | os.PathLike[str], *, what: str = "settings file", hint: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Read a JSON or TOML settings file by its suffix (``.json``, ``.toml``).

    Raises
    ------
    DataError
        As :func:`read_json` / :func:`read_toml`; another suffix is refused with the two known.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".toml":
        return read_toml(p, what=what, hint=hint, notes=notes)
    if suffix == ".json":
        return read_json(p, what=what, hint=hint, notes=notes)
    raise DataError(
        f"{p}: {what} must be a .json or .toml file, found {p.suffix or 'no suffix'!r}. "
        "Rename it (plan.toml or plan.json) to say which format it is in."
    )
