"""Checks that any step must pass, for step authors' own test suites."""

from workbench.testing._check_step import check_step

__all__ = ["check_step"]
