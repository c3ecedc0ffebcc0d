"""scikit-learn's own parameter constraints, checked when a hyperparameter is set by path."""

from __future__ import annotations

from typing import Any

from workbench.exceptions import HyperparamError

try:  # scikit-learn's validation (since 1.2); private, so its absence only skips the check
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )
except ImportError:  # pragma: no cover - every supported scikit-learn has it
    validate_parameter_constraints = None


def check_constraints(step: Any, param: str, value: Any, path: str) -> None:
    """Raise a HyperparamError if ``step`` declares ``_parameter_constraints`` that refuse
    ``value`` for ``param`` (the checks scikit-learn would only run at ``fit``)."""
    constraints = getattr(type(step), "_parameter_constraints", None)
    if validate_parameter_constraints is None or not isinstance(constraints, dict):
        return
    if param not in constraints:
        return
    try:
        validate_parameter_constraints(
            {param: constraints[param]}, {param: value}, caller_name=type(step).__name__
        )
    except InvalidParameterError as error:
        raise HyperparamError(
            f"Cannot set {path!r} to {value!r}: {error} Nothing was changed; pass a value "
            f"that {type(step).__name__} allows."
        ) from None
