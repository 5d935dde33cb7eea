"""Accounting: no feature disappears silently.

Each processing step that repairs or rejects features records a
:class:`StepReport` with ``n_in``, ``n_repaired`` and ``n_rejected`` and the
reasons. A :class:`Ledger` collects the reports of a whole run so that they
travel with the result (``Scenario.validate()``, ``PlanResult``) and end up in
``summary.json``.

Examples
--------
>>> ledger = Ledger()
>>> step = ledger.step("read buildings", source="buildings.gpkg|buildings", n_in=10)
>>> step.repair("invalid geometry fixed with make_valid", 2)
>>> step.reject("empty geometry", 1)
>>> step.n_out, step.n_repaired, step.n_rejected
(9, 2, 1)
>>> ledger.to_records()[0]["reasons_rejected"]
{'empty geometry': 1}
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["StepReport", "Ledger", "jsonable"]


@dataclass
class StepReport:
    """What one step did to the features it was given.

    Attributes
    ----------
    step : str
        A short name of the step ("read buildings", "split roads at zone edges").
    source : str
        The file and layer, or the input layer's name.
    n_in : int
        Number of features the step received.
    reasons_repaired, reasons_rejected : collections.Counter
        Number of features repaired or rejected, per reason.
    notes : list of str
        Free-text remarks (for example a CRS reprojection).
    """

    step: str
    source: str = ""
    n_in: int = 0
    reasons_repaired: Counter[str] = field(default_factory=Counter)
    reasons_rejected: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def repair(self, reason: str, n: int = 1) -> None:
        """Count ``n`` features repaired for ``reason`` (no-op when ``n`` is 0)."""
        if n:
            self.reasons_repaired[reason] += int(n)

    def reject(self, reason: str, n: int = 1) -> None:
        """Count ``n`` features rejected for ``reason`` (no-op when ``n`` is 0)."""
        if n:
            self.reasons_rejected[reason] += int(n)

    def note(self, text: str) -> None:
        """Add a free-text remark."""
        self.notes.append(text)

    @property
    def n_repaired(self) -> int:
        """Total number of repaired features."""
        return int(sum(self.reasons_repaired.values()))

    @property
    def n_rejected(self) -> int:
        """Total number of rejected features."""
        return int(sum(self.reasons_rejected.values()))

    @property
    def n_out(self) -> int:
        """Number of features passed on: ``n_in - n_rejected``."""
        return self.n_in - self.n_rejected

    @property
    def clean(self) -> bool:
        """True when nothing was repaired or rejected."""
        return not self.reasons_repaired and not self.reasons_rejected

    def summary(self) -> str:
        """One line for logs and warnings."""
        parts = [f"{self.step} ({self.source})" if self.source else self.step, f"{self.n_in} in"]
        if self.reasons_repaired:
            parts.append(
                f"{self.n_repaired} repaired ("
                + ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons_repaired.items()))
                + ")"
            )
        if self.reasons_rejected:
            parts.append(
                f"{self.n_rejected} rejected ("
                + ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons_rejected.items()))
                + ")"
            )
        return "; ".join(parts)

    def to_record(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "step": self.step,
            "source": self.source,
            "n_in": self.n_in,
            "n_repaired": self.n_repaired,
            "n_rejected": self.n_rejected,
            "n_out": self.n_out,
            "reasons_repaired": dict(sorted(self.reasons_repaired.items())),
            "reasons_rejected": dict(sorted(self.reasons_rejected.items())),
            "notes": list(self.notes),
        }


@dataclass
class Ledger:
    """An ordered collection of :class:`StepReport` objects for one run."""

    steps: list[StepReport] = field(default_factory=list)

    def step(self, step: str, *, source: str = "", n_in: int = 0) -> StepReport:
        """Start, record and return a new step report."""
        report = StepReport(step=step, source=source, n_in=int(n_in))
        self.steps.append(report)
        return report

    def add(self, report: StepReport) -> StepReport:
        """Append an existing report and return it."""
        self.steps.append(report)
        return report

    def extend(self, other: Ledger) -> None:
        """Append every step of another ledger."""
        self.steps.extend(other.steps)

    @property
    def n_repaired(self) -> int:
        """Total repaired over all steps."""
        return sum(s.n_repaired for s in self.steps)

    @property
    def n_rejected(self) -> int:
        """Total rejected over all steps."""
        return sum(s.n_rejected for s in self.steps)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready list of the steps."""
        return [s.to_record() for s in self.steps]

    def __len__(self) -> int:
        return len(self.steps)


def jsonable(value: Any) -> Any:
    """Return ``value`` ready for :func:`json.dumps`, recursively.

    numpy scalars and arrays become Python numbers and lists, NaN and infinite
    floats become None (JSON has no NaN), paths become strings, dates ISO text,
    mappings dicts with string keys, tuples and sets lists. Anything else is
    returned as it is.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.float32(0.5), 1: [np.nan, np.int64(3)], "p": Path("x")})
    {'a': 0.5, '1': [None, 3], 'p': 'x'}
    """
    import datetime as _dt
    from collections.abc import Mapping

    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value
