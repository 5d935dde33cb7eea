"""Atomic writing: a reader never sees a half-written file, nor a folder mixing two runs.

Files
    Every writer in this package writes to a temporary file in the destination's
    folder (``.<stem>.<8 random>.tmp<suffix>``) and moves it into place with
    :func:`os.replace`, which is atomic on POSIX and Windows file systems. If
    writing fails, the temporary file is removed and any earlier file at the
    destination is left untouched.

Folders (:func:`output_unit`)
    A run's outputs are one unit. They are written into a staging folder beside
    the target, on the same file system: ``<parent>/.<name>.staging-<pid>-<8 hex>/``.
    When every file is complete (and fsync'ed), the staging folder and the target
    are exchanged in one atomic system call (Linux ``renameat2(RENAME_EXCHANGE)``;
    a plain :func:`os.rename` when the target does not exist yet), so at every
    instant ``<target>`` is either the previous complete set or the new complete
    set. The previous set, now under the staging name, is then removed. Files in
    the target that are not this package's outputs (a QGIS project saved beside
    ``plan.gpkg``, notes) are carried over as hard links (copies where the file
    system has none) just before the exchange. The new folder keeps the old one's
    mode bits and group (not ACLs or extended attributes). A program whose current
    folder is the old one (a shell ``cd``'ed into it) goes on seeing the previous
    run until it enters the folder again (``cd .``).

    A run killed at any point (SIGKILL, power cut after fsync) leaves the target
    as it was or complete, plus at most one stale ``.<name>.staging-<pid>-<hex>``
    folder. The next run (and :func:`clean_stale`) removes such folders when
    their process is gone, and the temporary files of killed writers inside the
    target, recognised by name only; a file of another name in a stale folder
    that the target lacks is moved back into the target, never deleted.

    Where the exchange is impossible (not Linux, a file system without
    ``RENAME_EXCHANGE``, a target that is a mount point, the current folder, or
    holds sub-folders that are not outputs, or whose parent folder is not writable)
    the files are moved in one by one with :func:`os.replace`, ``summary.json``
    last: each file is whole, but a kill during these few renames can leave a mix
    (a warning is logged). For a mount point or a locked parent the staging folder
    is made inside the target, since renames cannot cross file systems.

Errors (:func:`check_output_folder`, :class:`~kotacerdas_gis.errors.OutputError`)
    A full disk, a read-only file system, a folder without write permission or a
    path that is a file are reported naming the path and the cause ("disk full",
    ...), before any computation when the caller checks first, and in any case
    without touching the earlier outputs.

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
import ctypes
import datetime as _dt
import errno
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..accounting import jsonable  # moved below analysis; re-exported here
from ..errors import OutputError

__all__ = [
    "atomic_path",
    "write_text_atomic",
    "write_json_atomic",
    "jsonable",
    "output_unit",
    "check_output_folder",
    "clean_stale",
    "output_error",
    "source_date",
]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` on success.

    The temporary file, ``.<stem>.<pid>-<8 random>.tmp<suffix>``, keeps ``path``'s
    suffix (GDAL picks drivers by it). Temporary files for the same destination left
    by killed processes (their pid no longer runs) are removed first. The parent
    folder is created when missing.

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
    _clean_stale_tmp(dest)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.stem}.{os.getpid()}-", suffix=f".tmp{dest.suffix}", dir=dest.parent
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


# --------------------------------------------------------------------------- folders as a unit

#: Stale staging folders beside a target: ``.<name>.staging-<pid>-<8 hex>``.
_STAGING_RE = re.compile(r"^\.(?P<name>.+)\.staging-(?P<pid>\d+)-[0-9a-f]{8}$")
#: Temporary files of :func:`atomic_path` (``.<stem>.<pid>-<mkstemp's 8>.tmp<suffix>``; the
#: pid is missing in files of versions before 0.2) and their SQLite side files.
_TMP_RE = re.compile(
    r"^\.(?P<stem>.+)\.(?:(?P<pid>\d+)-)?[a-z0-9_]{8}\.tmp(?P<suffix>\.[A-Za-z0-9]+)?"
    r"(-journal|-wal|-shm)?$"
)
#: Probe files of :func:`check_output_folder`.
_PROBE_RE = re.compile(r"^\.(?P<name>.+)\.probe-(?P<pid>\d+)-[0-9a-f]{8}$")
_SQLITE_SIDE = ("-journal", "-wal", "-shm")

_CAUSES = {
    errno.ENOSPC: "disk full (no space left on the device)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied (the folder is not writable by this user)",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EFBIG: "file too large for this file system or the process limit",
    errno.ENAMETOOLONG: "path too long",
}
_DISK_FULL_TEXT = ("disk is full", "no space left", "disk full", "database or disk is full")


def output_error(exc: BaseException, path: str | os.PathLike[str]) -> OutputError | None:
    """Translate an OS or GDAL/SQLite write failure into a clear :class:`OutputError`.

    Returns ``None`` when ``exc`` is not a write failure of the file system (a bug or
    bad data: the caller re-raises it unchanged).
    """
    cause = None
    if isinstance(exc, OSError) and exc.errno in _CAUSES:
        cause = _CAUSES[exc.errno]
    elif any(t in str(exc).lower() for t in _DISK_FULL_TEXT):
        cause = _CAUSES[errno.ENOSPC]
    elif isinstance(exc, OSError) and exc.errno is not None:
        cause = os.strerror(exc.errno)
    if cause is None:
        return None
    fix = {
        _CAUSES[errno.ENOSPC]: "Free some space on that disk or choose another --out folder.",
        _CAUSES[errno.EDQUOT]: "Free some space on that disk or choose another --out folder.",
        _CAUSES[errno.EROFS]: "Choose an --out folder on a writable disk.",
    }.get(cause, "Choose another --out folder, or fix the folder's permissions.")
    err = OutputError(
        f"cannot write outputs to {Path(path)}: {cause}. {fix} "
        "Earlier outputs there were left as they were."
    )
    err.errno = getattr(exc, "errno", None)
    return err


def source_date() -> _dt.datetime | None:
    """Return the time given by ``SOURCE_DATE_EPOCH`` (UTC), or ``None`` when it is unset.

    Writers stamp this time instead of the clock, so that two runs on the same inputs
    give byte-identical files (https://reproducible-builds.org/specs/source-date-epoch/).

    Raises
    ------
    OutputError
        If the variable is set but is not a whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return None
    try:
        secs = int(raw.strip())
    except ValueError:
        raise OutputError(
            f"SOURCE_DATE_EPOCH={raw!r}: expected a whole number of seconds since "
            "1970-01-01 UTC, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)."
        ) from None
    return _dt.datetime.fromtimestamp(secs, tz=_dt.timezone.utc)


def _stale_tmp(name: str) -> re.Match[str] | None:
    """Match a temporary file name of a process that no longer runs (or of an old version)."""
    m = _TMP_RE.match(name)
    if m is None or (m["pid"] is not None and _pid_alive(int(m["pid"]))):
        return None
    return m


def _clean_stale_tmp(dest: Path) -> None:
    with contextlib.suppress(OSError):
        for entry in dest.parent.iterdir():
            m = _stale_tmp(entry.name)
            if m and m["stem"] == dest.stem and (m["suffix"] or "") == dest.suffix:
                _remove(entry)
                log.info("removed %s, left by a killed writer", entry)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # pragma: no cover - Windows: pids are not checked (taken as gone)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _salvage(stale: Path, target: Path, own: frozenset[str]) -> None:
    """Empty a stale staging folder: outputs removed, a file the target lacks moved back."""
    for entry in sorted(stale.iterdir()):
        base = entry.name
        for side in _SQLITE_SIDE:
            base = base.removesuffix(side)
        if base in own or _TMP_RE.match(entry.name):
            _remove(entry)
        elif not target.is_dir():
            continue  # the only copy of a user's file: left where it is
        elif not (target / entry.name).exists():
            with contextlib.suppress(OSError):
                os.rename(entry, target / entry.name)
                log.warning("moved %s back into %s (left in a stale staging folder)",
                            entry.name, target)
        else:
            _remove(entry)  # a link or copy of the target's own file
    with contextlib.suppress(OSError):
        stale.rmdir()


def clean_stale(target: str | os.PathLike[str], own: Iterable[str] = ()) -> list[str]:
    """Remove what killed runs left beside and inside ``target``; return the names removed.

    Only names of this package's patterns, of processes that no longer run, are
    touched: staging folders ``.<name>.staging-<pid>-<hex>`` (beside the target, or
    inside it when its parent was not writable), temporary files
    ``.<stem>.<pid>-<8 chars>.tmp<suffix>[-journal|-wal|-shm]`` inside it (also the
    pid-less names of older versions) and probes ``.<name>.probe-<pid>-<hex>``. User
    files are never removed: one found in a stale staging folder that the target
    lacks is moved back into the target.
    """
    target = Path(target)
    removed: list[str] = []
    parent = target.parent
    owned = frozenset(own)
    if parent.is_dir():
        for entry in parent.iterdir():
            m = _STAGING_RE.match(entry.name)
            if m and m["name"] == target.name and entry.is_dir() and not _pid_alive(int(m["pid"])):
                _salvage(entry, target, owned)
                removed.append(entry.name)
            m = _PROBE_RE.match(entry.name)
            if m and m["name"] == target.name and entry.is_file() and not _pid_alive(int(m["pid"])):
                _remove(entry)
                removed.append(entry.name)
    if target.is_dir():
        for entry in target.iterdir():
            m = _STAGING_RE.match(entry.name)
            if m and m["name"] == target.name and entry.is_dir() and not _pid_alive(int(m["pid"])):
                _salvage(entry, target, owned)
                removed.append(entry.name)
                continue
            probe = _PROBE_RE.match(entry.name)
            stale_probe = probe is not None and not _pid_alive(int(probe["pid"]))
            if (_stale_tmp(entry.name) or stale_probe) and entry.is_file():
                _remove(entry)
                removed.append(entry.name)
    if removed:
        log.info("removed %d stale temporary entries of killed runs: %s", len(removed), removed)
    return removed


def _probe(folder: Path, name: str) -> None:
    probe = folder / f".{name}.probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"k")
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _own_size(target: Path, own: Iterable[str]) -> int:
    total = 0
    for name in own:
        with contextlib.suppress(OSError):
            total += (target / name).stat().st_size
    return total


def check_output_folder(
    path: str | os.PathLike[str], *, own: Iterable[str] = (), need_bytes: int | None = None
) -> Path:
    """Check that an output folder can receive a run's outputs, before any computation.

    Nothing is created (a missing folder stays missing); a probe file is written and
    removed in the folder that will receive the staging folder, and in the target
    when it exists.

    Parameters
    ----------
    path : path-like
        The output folder (``--out``). It may not exist yet.
    own : iterable of str
        Names of the output files (their current size is the space the new set needs
        beside the old one until the swap).
    need_bytes : int, optional
        Space needed (bytes); default the size of the outputs already in the folder.

    Returns
    -------
    pathlib.Path
        The folder, absolute, symbolic links resolved.

    Raises
    ------
    OutputError
        Naming the path and the cause: the path is a file; a part of it is a file;
        "disk full" (less free space than ``need_bytes``, or no space at all); a
        read-only file system; permission denied.
    """
    from ..errors import ParameterError

    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ParameterError(f"output folder: expected a path, found {path!r}.")
    target = Path(os.path.realpath(os.fspath(path)))
    try:
        return _check_folder(target, own, need_bytes)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        err = output_error(exc, target)
        raise (err or exc) from None


def _check_folder(target: Path, own: Iterable[str], need_bytes: int | None) -> Path:
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"cannot write outputs to {target}: it is a file, not a folder. Choose a folder "
            f"path for --out (e.g. {target.with_name(target.name + '_out')}), or move the file."
        )
    if target.parent == target:
        raise OutputError(f"cannot write outputs to {target}: a file system root. Choose a folder.")
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(
            f"cannot write outputs to {target}: {existing} is a file, not a folder. "
            "Choose another --out folder."
        )
    if target.is_dir():
        _probe(target, target.name)
        try:
            _probe(existing, target.name)
        except PermissionError:
            pass  # a folder prepared for us in a locked parent: staged inside (not a unit)
    else:
        _probe(existing, target.name)
    need = _own_size(target, own) if need_bytes is None else int(need_bytes)
    free = shutil.disk_usage(existing).free
    if free < max(need, 1):
        raise OutputError(
            f"cannot write outputs to {target}: disk full: {free / 1e6:.1f} MB free on the disk "
            f"of {existing}, the outputs need about {need / 1e6:.1f} MB (the new set is written "
            "beside the old one, then swapped in). Free some space or choose another --out folder."
        )
    return target


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - other systems
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - old glibc, musl
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV,
               errno.EBUSY):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    with contextlib.suppress(OSError):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _carry_over(target: Path, staging: Path, own: frozenset[str]) -> bool:
    """Link the target's non-output files into staging; ``False`` if it holds own folders."""
    others = []
    for entry in target.iterdir():
        base = entry.name
        for side in _SQLITE_SIDE:
            base = base.removesuffix(side)
        if base in own or _TMP_RE.match(entry.name) or _PROBE_RE.match(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            return False
        others.append(entry)
    for entry in others:
        dest = staging / entry.name
        if dest.exists() or dest.is_symlink():
            continue
        if entry.is_symlink():
            os.symlink(os.readlink(entry), dest)
            continue
        try:
            os.link(entry, dest)
        except OSError:
            shutil.copy2(entry, dest)
    return True


def _other_file_system(target: Path) -> bool:
    """Whether ``target`` is a mount point (its parent lies on another file system)."""
    try:
        return os.path.ismount(target) or target.stat().st_dev != target.parent.stat().st_dev
    except OSError:
        return False


def _swappable(target: Path) -> bool:
    if not target.exists():
        return True
    if os.path.ismount(target):
        return False
    with contextlib.suppress(OSError):
        cwd = Path.cwd().resolve()
        if cwd == target or target in cwd.parents:
            return False
    return True


@contextlib.contextmanager
def output_unit(
    target: str | os.PathLike[str], *, own: Iterable[str], last: str | None = None
) -> Iterator[Path]:
    """Yield a staging folder to write a run's files into; swap it in as ``target`` on success.

    See the module's notes for the scheme and its guarantees. On an error the staging
    folder is removed and ``target`` is left as it was; file-system failures become an
    :class:`~kotacerdas_gis.errors.OutputError` naming the path and the cause.

    Parameters
    ----------
    target : path-like
        The output folder; created (by the swap) when missing.
    own : iterable of str
        Names of the files of the unit (the output contract). Other files in the
        target are kept.
    last : str, optional
        In the one-by-one fallback, the file moved last (``summary.json``).

    Yields
    ------
    pathlib.Path
        The staging folder (empty).
    """
    owned = frozenset(own)
    dest = check_output_folder(target, own=owned)
    clean_stale(dest, owned)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging_name = f".{dest.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    staging = dest.parent / staging_name
    if dest.is_dir() and _other_file_system(dest):
        staging = dest / staging_name  # renames cannot cross file systems: stage inside
    try:
        try:
            os.mkdir(staging)
        except PermissionError:
            if not dest.is_dir():
                raise
            staging = dest / staging_name  # the parent is locked: stage inside, move one by one
            os.mkdir(staging)
        if dest.is_dir() and staging.parent != dest:
            st = dest.stat()  # the swapped-in folder keeps the mode (setgid too) and group
            os.chmod(staging, stat.S_IMODE(st.st_mode))
            with contextlib.suppress(OSError):
                os.chown(staging, -1, st.st_gid)
    except OSError as exc:
        raise output_error(exc, dest) or exc from None
    try:
        yield staging
        for f in staging.iterdir():
            _fsync(f)
        _fsync(staging)
        _commit(staging, dest, owned, last)
    except BaseException as exc:
        full = _nearly_full(staging)
        _remove(staging)
        if isinstance(exc, Exception):
            err = output_error(exc, dest)
            if err is None and full:  # GDAL often says only "Failed to commit transaction"
                err = output_error(OSError(errno.ENOSPC, f"{exc}"), dest)
            if err is not None:
                raise err from exc
        raise
    _fsync(dest.parent)


#: Free space under which a failed write is put down to a full disk (bytes).
_NEARLY_FULL = 1 << 20


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def _commit(staging: Path, dest: Path, own: frozenset[str], last: str | None) -> None:
    if not dest.exists():
        os.rename(staging, dest)
        return
    inside = staging.parent == dest
    if (not inside and _swappable(dest) and _carry_over(dest, staging, own)
            and _exchange(staging, dest)):
        _salvage(staging, dest, own)  # staging now holds the previous set
        return
    log.warning("%s: outputs replaced one by one (the folder cannot be swapped as a unit)", dest)
    names = sorted(p.name for p in staging.iterdir() if p.name in own)
    if last in names:
        names.remove(last)
        names.append(last)
    for name in names:
        os.replace(staging / name, dest / name)
    _remove(staging)
