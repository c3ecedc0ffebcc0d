"""The budget of a tuning run, checked once for every entry point (Tuner, TuningPanel, magics)."""

from __future__ import annotations

from typing import Any


def check_budget(n_trials: Any, timeout: Any, error: type[Exception]) -> None:
    """Raise ``error`` unless ``n_trials`` is None or a positive integer and ``timeout`` is None
    or a number of seconds > 0 (booleans are neither)."""
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1
    ):
        raise error(f"n_trials must be a positive integer, but got {n_trials!r}.")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise error(f"timeout must be a number of seconds > 0, but got {timeout!r}.")
