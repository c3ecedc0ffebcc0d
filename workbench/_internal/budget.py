"""The budget of a tuning run, checked once for every entry point (Tuner, TuningPanel, magics)."""

from __future__ import annotations

from typing import Any

from workbench._internal.options import Interval, check_options

BUDGET_CONSTRAINTS = {
    "n_trials": [None, Interval(int, 1)],
    "timeout": [None, Interval(float, 0, closed="neither", noun="a number of seconds")],
}


def check_budget(n_trials: Any, timeout: Any, error: type[Exception]) -> None:
    """Raise ``error`` unless ``n_trials`` is None or an integer >= 1 and ``timeout`` is None
    or a number of seconds > 0 (booleans are neither)."""
    check_options({"n_trials": n_trials, "timeout": timeout}, BUDGET_CONSTRAINTS, error)
