"""The pipeline core: steps, pipelines, spaces, events, introspection and mutation.

The core knows nothing of Jupyter; views are built on what it returns and emits. This package
holds what a user types; what an author of steps, composites or subpackages needs besides
lives in :mod:`workbench.core.authoring`.
"""

from workbench.core._callbacks import EVENTS
from workbench.core._callbacks import Callback
from workbench.core._choose import Choose
from workbench.core._default_spaces import default_space
from workbench.core._display import Description
from workbench.core._display import FittedAttributes
from workbench.core._display import SpaceDict
from workbench.core._default_spaces import register_default_space
from workbench.core._introspection import is_fitted
from workbench.core._pipeline import Pipeline
from workbench.core._space import Space
from workbench.core._space import categorical
from workbench.core._space import contains
from workbench.core._space import describe_distribution
from workbench.core._space import floats
from workbench.core._space import ints
from workbench.core._step import Hyperparam
from workbench.core._step import Step
from workbench.core._train_only import TrainOnly

__all__ = [
    "EVENTS",
    "Callback",
    "Choose",
    "Description",
    "FittedAttributes",
    "Hyperparam",
    "Pipeline",
    "Space",
    "SpaceDict",
    "Step",
    "TrainOnly",
    "categorical",
    "contains",
    "default_space",
    "describe_distribution",
    "floats",
    "ints",
    "is_fitted",
    "register_default_space",
]
