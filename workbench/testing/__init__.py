"""Checks and helpers for authors of steps, for their own test suites."""

from workbench.testing._check_step import check_step
from workbench.testing._recorder import EventRecorder

__all__ = ["EventRecorder", "check_step"]
