"""The pipeline core: steps, pipelines, spaces, events, introspection and mutation.

The core knows nothing of Jupyter; views are built on what it returns and emits.
"""

from workbench.core._callbacks import EVENTS, Callback, notify
from workbench.core._choose import Choose
from workbench.core._composite import Composite, FitEmitter, fit_transform_step
from workbench.core._default_spaces import default_space, register_default_space
from workbench.core._introspection import (
    attribute_summary,
    fitted_attributes_of,
    is_fitted,
    plain_value,
)
from workbench.core._paths import nest
from workbench.core._pipeline import Pipeline
from workbench.core._space import (
    Space,
    categorical,
    contains,
    describe_distribution,
    distribution_from_dict,
    distribution_to_dict,
    floats,
    ints,
)
from workbench.core._step import Hyperparam, Step
from workbench.core._train_only import TrainOnly
from workbench.core._tree import is_passthrough

__all__ = [
    "EVENTS",
    "Callback",
    "Choose",
    "Composite",
    "FitEmitter",
    "Hyperparam",
    "Pipeline",
    "Space",
    "Step",
    "TrainOnly",
    "attribute_summary",
    "categorical",
    "contains",
    "default_space",
    "describe_distribution",
    "distribution_from_dict",
    "distribution_to_dict",
    "fit_transform_step",
    "fitted_attributes_of",
    "floats",
    "ints",
    "is_fitted",
    "is_passthrough",
    "nest",
    "notify",
    "plain_value",
    "register_default_space",
]
