"""Workbench: an experimentation workbench for machine-learning pipelines in Jupyter."""

from typing import Any

from workbench.core import Callback
from workbench.core import Choose
from workbench.core import Hyperparam
from workbench.core import Pipeline
from workbench.core import Step
from workbench.core import TrainOnly
from workbench.core import categorical
from workbench.core import floats
from workbench.core import ints
from workbench.core import register_html_renderer as _register_html_renderer

__version__ = "0.1.0"

# A notebook draws steps and plain-data results with the views; the core only knows their names.
_register_html_renderer("step", "workbench.views:step_html")
_register_html_renderer("description", "workbench.views:description_html")
_register_html_renderer("space", "workbench.views:space_html")
_register_html_renderer("fitted_attributes", "workbench.views:fitted_attributes_html")


def load_ipython_extension(ipython: Any) -> None:
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
