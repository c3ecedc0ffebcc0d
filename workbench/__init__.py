"""Workbench: an experimentation workbench for machine-learning pipelines in Jupyter."""

from workbench._internal.version import package_version as _package_version
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
