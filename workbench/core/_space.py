"""Spaces: mappings from hyperparameter name to an Optuna distribution.

Optuna's distributions are the vocabulary; the functions here only build, check and describe them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from workbench.exceptions import SpaceError

Space = dict[str, BaseDistribution]


def floats(
    low: float, high: float, *, log: bool = False, step: float | None = None
) -> FloatDistribution:
    """A float hyperparameter in ``[low, high]``.

    Examples
    --------
    >>> floats(1e-3, 10.0, log=True)
    FloatDistribution(high=10.0, log=True, low=0.001, step=None)

    Raises
    ------
    SpaceError
        A bound or the step is NaN or infinite, ``low > high``, or another rule of Optuna's
        ``FloatDistribution`` does not hold.
    """
    return _numeric("floats", FloatDistribution, low, high, log, step)


def ints(low: int, high: int, *, log: bool = False, step: int = 1) -> IntDistribution:
    """An integer hyperparameter in ``[low, high]``.

    Examples
    --------
    >>> ints(10, 500, log=True)
    IntDistribution(high=500, log=True, low=10, step=1)

    Raises
    ------
    SpaceError
        A bound or the step is NaN or infinite, ``low > high``, or another rule of Optuna's
        ``IntDistribution`` does not hold.
    """
    return _numeric("ints", IntDistribution, low, high, log, step)


def _numeric(kind: str, distribution: Any, low: Any, high: Any, log: bool, step: Any) -> Any:
    """``distribution(low, high, log, step)`` with finite bounds, else a SpaceError."""
    _check_bounds(kind, low=low, high=high, step=step)
    try:
        return distribution(low=low, high=high, log=log, step=step)
    except (ValueError, TypeError) as error:
        message = f"{kind}({low!r}, {high!r}, log={log!r}, step={step!r}): {error}"
        raise SpaceError(message) from None


def _check_bounds(kind: str, **bounds: Any) -> None:
    """Raise a SpaceError unless every bound is a finite number (a sampler cannot draw from
    NaN or infinite bounds: every trial would fail)."""
    for name, value in bounds.items():
        if value is None and name == "step":
            continue
        if isinstance(value, bool) or not isinstance(value, Real):
            raise SpaceError(
                f"The {name} of {kind}() must be a number, but got {value!r} "
                f"({type(value).__name__})."
            )
        if not math.isfinite(value):
            raise SpaceError(
                f"The {name} of {kind}() must be a finite number, but got {value!r}: a sampler "
                f"cannot draw from it. Give finite bounds (a log scale covers wide ranges: "
                f"{kind}(1e-6, 1e6, log=True))."
            )


def categorical(choices: Sequence[CategoricalChoiceType]) -> CategoricalDistribution:
    """A hyperparameter that takes one of ``choices`` (None, bool, int, float or str).

    Examples
    --------
    >>> categorical(["l1", "l2"])
    CategoricalDistribution(choices=('l1', 'l2'))
    """
    return CategoricalDistribution(choices=tuple(choices))


def check_distribution(path: str, distribution: object) -> BaseDistribution:
    """Return ``distribution`` if it is an Optuna distribution, else raise a SpaceError."""
    if not isinstance(distribution, BaseDistribution):
        raise SpaceError(
            f"The space of {path!r} must be an Optuna distribution (FloatDistribution, "
            f"IntDistribution or CategoricalDistribution; workbench.floats/ints/categorical "
            f"build them), but got {distribution!r}. Pass None to remove {path!r} from the space."
        )
    if isinstance(distribution, FloatDistribution | IntDistribution):
        kind = "floats" if isinstance(distribution, FloatDistribution) else "ints"
        try:
            _check_bounds(
                kind, low=distribution.low, high=distribution.high, step=distribution.step
            )
        except SpaceError as error:
            raise SpaceError(f"The space of {path!r} is {distribution!r}. {error}") from None
    return distribution


def _same_choice(choice: object, value: object) -> bool:
    if isinstance(choice, bool) or isinstance(value, bool):
        return isinstance(choice, bool) and isinstance(value, bool) and choice is value
    if choice is None or value is None:
        return choice is value
    if isinstance(choice, float) and isinstance(value, Real) and math.isnan(choice):
        return math.isnan(float(value))
    try:
        return bool(choice == value)
    except (TypeError, ValueError):
        return False


def contains(distribution: BaseDistribution, value: Any) -> bool:
    """Whether ``value`` is one that ``distribution`` can produce.

    Examples
    --------
    >>> contains(ints(1, 10), 3), contains(ints(1, 10), 11), contains(floats(0, 1), 0.5)
    (True, False, True)
    """
    if isinstance(distribution, CategoricalDistribution):
        return any(_same_choice(choice, value) for choice in distribution.choices)
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    if isinstance(distribution, IntDistribution):
        if not isinstance(value, Integral) and not (
            isinstance(value, float) and value.is_integer()
        ):
            return False
        integer = int(value)
        low, high, step = distribution.low, distribution.high, distribution.step
        return low <= integer <= high and (integer - low) % step == 0
    if isinstance(distribution, FloatDistribution):
        number = float(value)
        if math.isnan(number) or not distribution.low <= number <= distribution.high:
            return False
        if distribution.step is None:
            return True
        steps = (number - distribution.low) / distribution.step
        return abs(steps - round(steps)) < 1e-8
    return False


def describe_distribution(distribution: BaseDistribution) -> str:
    """A short human reading of a distribution, for error messages and views.

    Examples
    --------
    >>> describe_distribution(floats(1e-4, 1e4, log=True))
    'a float in [0.0001, 10000.0] (log scale)'
    """
    if isinstance(distribution, CategoricalDistribution):
        return "one of " + ", ".join(repr(choice) for choice in distribution.choices)
    kind = "an integer" if isinstance(distribution, IntDistribution) else "a float"
    low, high = distribution.low, distribution.high  # type: ignore[attr-defined]
    text = f"{kind} in [{low}, {high}]"
    step = distribution.step  # type: ignore[attr-defined]
    if step not in (None, 1):
        text += f" by steps of {step}"
    if distribution.log:  # type: ignore[attr-defined]
        text += " (log scale)"
    return text


def distribution_to_dict(distribution: BaseDistribution) -> dict[str, Any]:
    """Plain, JSON-ready data for a distribution (what views and stores read).

    Examples
    --------
    >>> distribution_to_dict(ints(1, 5))
    {'type': 'int', 'low': 1, 'high': 5, 'log': False, 'step': 1}
    """
    if isinstance(distribution, CategoricalDistribution):
        return {"type": "categorical", "choices": list(distribution.choices)}
    kind = "int" if isinstance(distribution, IntDistribution) else "float"
    return {
        "type": kind,
        "low": distribution.low,  # type: ignore[attr-defined]
        "high": distribution.high,  # type: ignore[attr-defined]
        "log": distribution.log,  # type: ignore[attr-defined]
        "step": distribution.step,  # type: ignore[attr-defined]
    }


def distribution_from_dict(data: Mapping[str, Any]) -> BaseDistribution:
    """Inverse of :func:`distribution_to_dict`."""
    kind = data.get("type")
    if kind == "categorical":
        return CategoricalDistribution(choices=tuple(data["choices"]))
    if kind == "int":
        return ints(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "float":
        return floats(data["low"], data["high"], log=data["log"], step=data["step"])
    raise SpaceError(
        f"A distribution's 'type' must be 'float', 'int' or 'categorical', but got {kind!r}."
    )
