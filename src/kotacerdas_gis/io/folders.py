"""The output folder, checked before any computation: :func:`check_output_folder`.

A run that computes for minutes and then finds it cannot write (``--out`` names an
existing file, a read-only folder, a path under a file, a full or read-only disk)
wastes the planner's time; these are found first, by creating and removing a
probe file where the outputs will go. Nothing is left behind: a folder that did
not exist is not created by the check.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> check_output_folder(d / "out") == (d / "out")
True
>>> (d / "out").exists()
False
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from ..errors import DataError

__all__ = ["check_output_folder"]

_WHY = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "the path cannot be created there",
}


def check_output_folder(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that outputs can be written to ``path``; return it as a Path.

    Parameters
    ----------
    path : path-like
        The output folder; it may not exist yet (its nearest existing parent is then
        checked, and it is not created).
    option : str
        How the user gave the folder, for messages.

    Raises
    ------
    DataError
        ``path`` is an existing file; a parent of it is a file; or a probe file cannot
        be created in the folder or its nearest existing parent (the reason named:
        permission denied, read-only file system, disk full ...), with the fix.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise DataError(
            f"{option} {p}: is an existing file, not a folder. Give a folder for the outputs "
            "(map.html, plan.gpkg, report.html, summary.json), e.g. --out out/plan."
        )
    probe_dir = p
    while not probe_dir.exists():
        if probe_dir.parent == probe_dir:
            break
        probe_dir = probe_dir.parent
    if probe_dir.exists() and not probe_dir.is_dir():
        raise DataError(
            f"{option} {p}: {probe_dir} is a file, so no folder can be made under it. Give "
            "another output folder."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".kotacerdas-probe-", dir=probe_dir)
    except OSError as exc:
        why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
        where = "" if probe_dir == p else f" (checked in {probe_dir}, its nearest existing folder)"
        raise DataError(
            f"{option} {p}: outputs cannot be written there{where}: {why}. Choose a folder you "
            "can write to (e.g. --out ~/kotacerdas/plan), or fix its permissions."
        ) from exc
    os.close(fd)
    os.unlink(probe)
    return p
