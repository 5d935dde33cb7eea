"""One place to check option values: every keyword option of the package goes through here.

Each check raises :class:`~kotacerdas_gis.errors.ParameterError` (a ``ValueError``)
naming the option, the value found and what is valid, in the manner of
pyflwdir's ``unit=`` check.

Examples
--------
>>> from kotacerdas_gis.checks import check_choice, check_number
>>> check_choice("max", ("max", "first"), name="combine_rule")
'max'
>>> check_choice("sum", ("max", "first"), name="combine_rule")
Traceback (most recent call last):
...
kotacerdas_gis.errors.ParameterError: combine_rule must be one of 'max', 'first'; found 'sum'.
>>> check_number(2.5, name="stage_m", gt=0)
2.5
>>> check_number("2.5", name="stage_m", gt=0)
Traceback (most recent call last):
...
kotacerdas_gis.errors.ParameterError: stage_m: expected a number, found '2.5' (str). Write it ...
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, get_args

from .errors import ParameterError

__all__ = [
    "check_choice",
    "check_number",
    "check_int",
    "check_bool",
    "check_keys",
    "closest",
    "did_you_mean",
    "choices_of",
]

T = TypeVar("T")


def choices_of(literal: Any) -> tuple[Any, ...]:
    """Return the values of a ``typing.Literal`` (or any iterable of choices) as a tuple."""
    args = get_args(literal)
    return tuple(args) if args else tuple(literal)


def check_choice(value: T, choices: Any, *, name: str) -> T:
    """Return ``value`` if it is one of ``choices`` (a ``Literal`` type or an iterable).

    Raises
    ------
    ParameterError
        Listing the valid choices.
    """
    valid = choices_of(choices)
    if isinstance(value, str) or not isinstance(value, Iterable):
        if value in valid:
            return value
    raise ParameterError(f"{name} must be one of {', '.join(map(repr, valid))}; found {value!r}.")


def check_number(
    value: Any,
    *,
    name: str,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    allow_none: bool = False,
) -> Any:
    """Return ``value`` if it is a finite real number within the given bounds.

    Booleans and strings are refused (``"2.5"`` in a JSON config is a common slip).

    Parameters
    ----------
    value : Any
        The value to check.
    name : str
        The option's name, as the user wrote it (``"PlanConfig.stage_m"``).
    gt, ge, lt, le : float, optional
        Strict and inclusive bounds.
    allow_none : bool
        Accept None (an option that may be left unset).

    Raises
    ------
    ParameterError
        Saying what was expected and what was found.
    """
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = " Write it without quotes." if isinstance(value, str) else ""
        raise ParameterError(
            f"{name}: expected a number, found {value!r} ({type(value).__name__}).{hint}"
        )
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(f"{name}: expected a finite number, found {value!r}.")
    bounds = [(gt, lambda a, b: a > b, ">"), (ge, lambda a, b: a >= b, ">="),
              (lt, lambda a, b: a < b, "<"), (le, lambda a, b: a <= b, "<=")]
    for bound, ok, sym in bounds:
        if bound is not None and not ok(v, bound):
            raise ParameterError(f"{name}: expected a number {sym} {bound:g}, found {value!r}.")
    return value


def check_int(value: Any, *, name: str, ge: int | None = None, le: int | None = None) -> int:
    """Return ``value`` as an int if it is a whole number within the bounds.

    Raises
    ------
    ParameterError
        For a non-integer or out-of-range value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if not (isinstance(value, numbers.Real) and float(value).is_integer()):
            raise ParameterError(
                f"{name}: expected a whole number, found {value!r} ({type(value).__name__})."
            )
    v = int(value)
    if ge is not None and v < ge:
        raise ParameterError(f"{name}: expected a whole number >= {ge}, found {value!r}.")
    if le is not None and v > le:
        raise ParameterError(f"{name}: expected a whole number <= {le}, found {value!r}.")
    return v


def closest(word: Any, choices: Iterable[str]) -> str | None:
    """Return the valid name closest to a misspelt one (:func:`difflib.get_close_matches`), or None.

    Examples
    --------
    >>> closest("demonstraton", ["name", "demonstration", "layers"])
    'demonstration'
    >>> closest("xyz", ["name", "layers"]) is None
    True
    """
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    """``" (did you mean 'stage_m'?)"`` when a close valid name exists, else ``""``."""
    near = closest(word, choices)
    return f" (did you mean {near!r}?)" if near else ""


def check_keys(data: Any, known: Iterable[str], *, name: str, fix: str = "") -> Mapping[str, Any]:
    """Return ``data`` if it is a mapping whose keys are all in ``known``.

    Parameters
    ----------
    data : Any
        The mapping to check (a JSON or TOML object).
    known : iterable of str
        The valid keys, in the order the message lists them.
    name : str
        What the mapping is, for the message (``"plan configuration"``,
        ``"PlanConfig.sensors"``, ``"scenario.json: layers.roads"``).
    fix : str, optional
        Added to the message.

    Raises
    ------
    ParameterError
        When ``data`` is not a mapping, or for unknown keys; each misspelt key is
        given the closest valid one.

    Examples
    --------
    >>> check_keys({"stage": 2.5}, ["stage_m", "lang"], name="plan configuration")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.ParameterError: plan configuration: unknown key(s) ['stage']; did you mean 'stage_m' for 'stage'? Known keys: stage_m, lang.
    """  # noqa: E501
    valid = list(known)
    if not isinstance(data, Mapping):
        raise ParameterError(
            f"{name}: expected a mapping of {', '.join(valid)}, found {data!r} "
            f"({type(data).__name__}).{' ' + fix if fix else ''}"
        )
    unknown = sorted(str(k) for k in data if k not in valid)
    if unknown:
        hints = [f"{near!r} for {k!r}" for k in unknown if (near := closest(k, valid))]
        hint = f"; did you mean {', '.join(hints)}?" if hints else "."
        raise ParameterError(
            f"{name}: unknown key(s) {unknown}{hint} Known keys: {', '.join(valid)}."
            f"{' ' + fix if fix else ''}"
        )
    return data


def check_bool(value: Any, *, name: str) -> bool:
    """Return ``value`` if it is a boolean (``true``/``false`` in JSON and TOML).

    Text such as ``"false"`` is refused: ``bool("false")`` is True in Python, so a
    quoted value would silently mean the opposite.

    Examples
    --------
    >>> check_bool(False, name="calibrate")
    False
    >>> check_bool("false", name="calibrate")
    Traceback (most recent call last):
    ...
    kotacerdas_gis.errors.ParameterError: calibrate: expected true or false, found 'false' (str). Write false without quotes.
    """  # noqa: E501
    if isinstance(value, bool):
        return value
    hint = ""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        hint = f" Write {value.strip().lower()} without quotes."
    raise ParameterError(
        f"{name}: expected true or false, found {value!r} ({type(value).__name__}).{hint}"
    )
