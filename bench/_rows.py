"""Row format shared by the benchmark scripts and ``run_all.py``.

A workload function takes a size and returns a list of rows (dicts). Each row compares our
time with one anchor's time measured in the same process, and says whether the answers agree
(checked before any ratio is reported: ``run_all.py`` prints no ratio for a row whose check
failed).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, GiB (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], out


def row(workload: str, size: str, n: float, ours: str, ours_s: float, *,
        anchor: str | None = None, anchor_s: float | None = None, agree: bool | None = None,
        check: str = "", note: str = "", peak_gb: float | None = None,
        **extra: Any) -> dict[str, Any]:
    """One result row.

    Parameters
    ----------
    workload, size : str
        Name of the workload and a label of its size.
    n : float
        The size as a number (for the fitted growth exponent).
    ours, anchor : str
        What was timed on each side.
    ours_s, anchor_s : float
        Seconds (anchor None when it was not run: no ratio).
    agree : bool or None
        Whether the results agree; None when there is nothing to compare with.
    check : str
        What was compared and the measured difference.
    peak_gb : float, optional
        Peak RSS of the process after our run (before the anchor ran), GiB.
    """
    return {"workload": workload, "size": size, "n": float(n), "ours": ours,
            "ours_s": float(ours_s), "anchor": anchor,
            "anchor_s": None if anchor_s is None else float(anchor_s), "agree": agree,
            "check": check, "note": note,
            "peak_gb": peak_rss_gb() if peak_gb is None else float(peak_gb), **extra}
