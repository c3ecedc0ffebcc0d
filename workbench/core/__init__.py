"""The pipeline core: steps, pipelines, spaces, events, introspection and mutation.

The core knows nothing of Jupyter; views are built on what it returns and emits.
"""

from workbench.core._callbacks import EVENTS
from workbench.core._callbacks import Callback
from workbench.core._callbacks import notify
from workbench.core._choose import Choose
from workbench.core._composite import Composite
from workbench.core._composite import FitEmitter
from workbench.core._composite import Wrapper
from workbench.core._composite import fit_transform_step
from workbench.core._composite import route_fit_params
from workbench.core._default_spaces import default_space
from workbench.core._display import Description
from workbench.core._display import FittedAttributes
from workbench.core._display import SpaceDict
from workbench.core._display import register_html_renderer
from workbench.core._default_spaces import register_default_space
from workbench.core._introspection import attribute_summary
from workbench.core._introspection import fitted_attributes_of
from workbench.core._introspection import is_fitted
from workbench.core._introspection import plain_value
from workbench.core._paths import nest
from workbench.core._pipeline import Pipeline
from workbench.core._space import Space
from workbench.core._space import categorical
from workbench.core._space import contains
from workbench.core._space import describe_distribution
from workbench.core._space import distribution_from_dict
from workbench.core._space import distribution_to_dict
from workbench.core._space import floats
from workbench.core._space import ints
from workbench.core._step import Hyperparam
from workbench.core._step import Step
from workbench.core._train_only import TrainOnly
from workbench.core._tree import is_passthrough

__all__ = [
    "EVENTS",
    "Callback",
    "Choose",
    "Composite",
    "Description",
    "FitEmitter",
    "FittedAttributes",
    "Hyperparam",
    "Pipeline",
    "Space",
    "SpaceDict",
    "Step",
    "TrainOnly",
    "Wrapper",
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
    "register_html_renderer",
    "route_fit_params",
]
