"""Workbench: an experimentation workbench for machine-learning pipelines in Jupyter.

The names below come from :mod:`workbench.core` on first use, so that ``import
workbench.store`` (what the Jupyter server does) loads neither the core nor scikit-learn.
"""

from __future__ import annotations

import importlib
import typing

from workbench._internal.display import register_html_renderer as _register_html_renderer
from workbench._internal.version import package_version as _package_version

if typing.TYPE_CHECKING:
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

# A notebook draws steps and plain-data results with the views; the core only knows their names.
_register_html_renderer("step", "workbench.views:step_html")
_register_html_renderer("description", "workbench.views:description_html")
_register_html_renderer("space", "workbench.views:space_html")
_register_html_renderer("fitted_attributes", "workbench.views:fitted_attributes_html")


def load_ipython_extension(ipython: typing.Any) -> None:
    """``%load_ext workbench``: register the Workbench magics (see :mod:`workbench.magics`)."""
    from workbench.magics import load_ipython_extension as load

    load(ipython)


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
    "load_ipython_extension",
]


def __getattr__(name: str) -> typing.Any:
    if name in __all__:
        value = getattr(importlib.import_module("workbench.core"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
