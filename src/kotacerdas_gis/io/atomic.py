"""Atomic file writing: a reader never sees a half-written output.

Every writer in this package writes to a temporary file in the destination's
folder and moves it into place with :func:`os.replace`, which is atomic on
POSIX and Windows file systems. If writing fails, the temporary file is
removed and any earlier file at the destination is left untouched.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_path(d / "out.txt") as tmp:
...     _ = tmp.write_text("hello")
>>> (d / "out.txt").read_text()
'hello'
>>> sorted(p.name for p in d.iterdir())
['out.txt']
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..accounting import jsonable  # moved below analysis; re-exported here

__all__ = ["atomic_path", "write_text_atomic", "write_json_atomic", "jsonable"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` on success.

    The temporary file keeps ``path``'s suffix (GDAL picks drivers by it).
    The parent folder is created when missing.

    Parameters
    ----------
    path : path-like
        The final destination.

    Yields
    ------
    pathlib.Path
        Where to write. It does not exist yet when yielded.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=dest.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary file for {dest}")
        os.replace(tmp, dest)
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal")):
            if leftover.exists():
                leftover.unlink()


def check_data_path(data: Any, path: Any, kind: type = object) -> None:
    """Refuse a writer call with the path first: every writer here takes ``(data, path)``."""
    from ..errors import ParameterError

    if isinstance(data, os.PathLike) or not isinstance(path, (str, os.PathLike)):
        raise ParameterError(
            f"writers take (data, path): found a {type(data).__name__} then a "
            f"{type(path).__name__}. Pass the data first and the destination path second."
        )
    if kind is str and not isinstance(data, str):
        raise ParameterError(f"text: expected a str, found {type(data).__name__}.")


def write_text_atomic(text: str, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return the path (data first, as every writer)."""
    check_data_path(text, path, str)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_json_atomic(data: Any, path: str | os.PathLike[str], *, indent: int = 2) -> Path:
    """Write ``data`` as UTF-8 JSON (keys sorted, non-ASCII kept) to ``path`` atomically."""
    check_data_path(data, path)
    text = json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=True, default=_jsonable)
    return write_text_atomic(text + "\n", path)


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars, paths and dates for :func:`json.dumps`."""
    import datetime as _dt

    import numpy as np

    if isinstance(obj, (np.generic, np.ndarray, Path, _dt.date, _dt.datetime)):
        return jsonable(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
