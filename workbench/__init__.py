"""Workbench: an experimentation workbench for machine-learning pipelines in Jupyter.

The names below come from :mod:`workbench.core` on first use, so that ``import
workbench.store`` (what the Jupyter server does) loads neither the core nor scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from workbench._internal.version import package_version as _package_version

if TYPE_CHECKING:
    from workbench.core import Callback
    from workbench.core import Choose
    from workbench.core import Hyperparam
    from workbench.core import Pipeline
    from workbench.core import Step
    from workbench.core import TrainOnly
    from workbench.core import categorical
    from workbench.core import floats
    from workbench.core import ints

__version__ = _package_version()

__all__ = [
    "Callback",
    "Choose",
    "Hyperparam",
    "Pipeline",
    "Step",
    "TrainOnly",
    "__version__",
    "categorical",
    "floats",
    "ints",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module("workbench.core"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
