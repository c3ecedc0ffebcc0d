"""Options checked declaratively, with one message form (after scikit-learn's
``_parameter_constraints`` and ``validate_params``).

A function states what each option may be, as a list of constraints (any one may hold), and
calls :func:`check_options` once; a value that fits none raises the caller's error class with
one message form: ``"<name> must be <what>, but got <value>."``

>>> check_options({"epochs": 0}, {"epochs": [Interval(int, 1)]}, ValueError)
Traceback (most recent call last):
...
ValueError: epochs must be an integer >= 1, but got 0.
>>> check_options({"mode": "up"}, {"mode": [OneOf("min", "max"), None]}, ValueError)
Traceback (most recent call last):
...
ValueError: mode must be 'min', 'max' or None, but got 'up'.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class Constraint:
    """One thing an option may be: :meth:`accepts` a value, :meth:`describe` says what."""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> list[str]:
        """What it accepts, as phrases joined by ``,``/``or`` in the message."""
        raise NotImplementedError


class Interval(Constraint):
    """A number of ``kind`` (``int`` or ``float``: any real) between ``low`` and ``high``
    (None: unbounded), ends included unless ``closed`` says otherwise; never a bool or NaN.
    ``noun`` replaces "an int"/"a number" in the message; ``note`` is appended to it."""

    def __init__(
        self,
        kind: type,
        low: float | None = None,
        high: float | None = None,
        *,
        closed: str = "both",
        noun: str | None = None,
        note: str | None = None,
    ):
        self.integral = kind is int
        self.low, self.high, self.closed = low, high, closed
        self.noun = noun or ("an integer" if self.integral else "a number")
        self.note = note

    def accepts(self, value: Any) -> bool:
        wanted: type = numbers.Integral if self.integral else numbers.Real
        if isinstance(value, bool) or not isinstance(value, wanted):
            return False
        number = float(value)  # type: ignore[arg-type]  # a Real, checked above
        if math.isnan(number):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and not (number >= self.low if left else number > self.low):
            return False
        return self.high is None or (number <= self.high if right else number < self.high)

    def describe(self) -> list[str]:
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            bounds = f"in {'[' if left else '('}{self.low}, {self.high}{']' if right else ')'}"
        elif self.low is not None:
            bounds = f"{'>=' if left else '>'} {self.low}"
        elif self.high is not None:
            bounds = f"{'<=' if right else '<'} {self.high}"
        else:
            bounds = ""
        phrase = f"{self.noun} {bounds}".strip()
        return [phrase + (self.note or "")]


class OneOf(Constraint):
    """One of a few values (compared with ``==``, of the same type)."""

    def __init__(self, *values: Any):
        self.values = values

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(option) and value == option for option in self.values)

    def describe(self) -> list[str]:
        return [repr(option) for option in self.values]


class InstanceOf(Constraint):
    """An instance of ``kind``, described as ``what`` (``"an EarlyStopping"``)."""

    def __init__(self, kind: type | tuple[type, ...], what: str):
        self.kind, self.what = kind, what

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.kind)

    def describe(self) -> list[str]:
        return [self.what]


class Satisfies(Constraint):
    """Whatever ``test`` accepts, described as ``what``."""

    def __init__(self, test: Callable[[Any], bool], what: str):
        self.test, self.what = test, what

    def accepts(self, value: Any) -> bool:
        return bool(self.test(value))

    def describe(self) -> list[str]:
        return [self.what]


class _NoneConstraint(Constraint):
    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> list[str]:
        return ["None"]


def _constraint(item: Constraint | None) -> Constraint:
    return _NoneConstraint() if item is None else item


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def shown(value: Any) -> str:
    """A value as a message shows it: its repr when short, else its type's name."""
    text = repr(value)
    return text if len(text) <= 60 and "\n" not in text else type(value).__name__


def describe(constraints: Sequence[Constraint | None]) -> str:
    """What an option under ``constraints`` may be, in words."""
    return _join([phrase for item in constraints for phrase in _constraint(item).describe()])


def check_option(
    name: str, value: Any, constraints: Sequence[Constraint | None], error: type[Exception]
) -> None:
    """Raise ``error`` unless ``value`` meets one of ``constraints``."""
    if not any(_constraint(item).accepts(value) for item in constraints):
        raise error(f"{name} must be {describe(constraints)}, but got {shown(value)}.")


def check_options(
    values: Mapping[str, Any],
    constraints: Mapping[str, Sequence[Constraint | None]],
    error: type[Exception],
) -> None:
    """Check each option of ``values`` named in ``constraints``, in that order."""
    for name, allowed in constraints.items():
        check_option(name, values[name], allowed, error)
