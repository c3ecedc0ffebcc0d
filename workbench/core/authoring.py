"""What an author of steps, composites or Workbench subpackages needs from the core.

:mod:`workbench.core` (and the top-level :mod:`workbench`) hold what a user types in a
notebook; this module holds the building blocks for writing new composites and the layers
above the core:

- the step contract: :func:`is_workbench_step` and :func:`is_workbench_pipeline` (how the
  layers above recognise a Workbench step or composite), :class:`WorkbenchStep` and
  :class:`WorkbenchPipeline` (the same as types, for annotations);
- composites: :class:`Composite`, :class:`Wrapper`, fitting children
  (:func:`fit_transform_step`, :func:`route_fit_params`, :class:`FitEmitter`) and
  scikit-learn tags taken from a child (:func:`delegate_tags`);
- the mini-batch contract: the hooks ``Composite.partial_fit_children()`` and
  ``Composite.minibatch_route()`` (:class:`MinibatchRoute`), and how one step learns from a
  batch (:func:`partial_fit_step`, :func:`partial_fit_final`, :func:`check_partial_fit`, ...);
- saving composites: :func:`composite_state` and :func:`rebuild_composite` (a composite
  apart from its children, as plain data, and back), :func:`children_param_of`;
- paths, events and plain data: :func:`join_path`, :func:`nest`, :func:`notify`,
  :func:`listening` and :func:`current_scope` (who hears the fits in progress),
  :func:`plain_value`, :func:`distribution_to_dict`, ...

It is the one public module inside ``workbench.core``, as ``sklearn.utils`` is scikit-learn's
toolbox for authors of estimators.

Examples
--------
>>> from workbench.core.authoring import join_path, nest
>>> join_path("encoder", "pca")
'encoder__pca'
>>> nest({"encoder__pca__n_components": 2})
{'encoder': {'pca': {'n_components': 2}}}
"""

from workbench.core._callbacks import current_scope
from workbench.core._callbacks import listening
from workbench.core._callbacks import notify
from workbench.core._composite import Composite
from workbench.core._fitting import FitEmitter
from workbench.core._fitting import MinibatchRoute
from workbench.core._fitting import delegate_tags
from workbench.core._fitting import fit_transform_step
from workbench.core._fitting import route_fit_params
from workbench.core._wrapper import Wrapper
from workbench.core._composite_state import CompositeState
from workbench.core._contract import WorkbenchPipeline
from workbench.core._contract import WorkbenchStep
from workbench.core._contract import is_workbench_pipeline
from workbench.core._contract import is_workbench_step
from workbench.core._composite_state import children_param_of
from workbench.core._composite_state import composite_state
from workbench.core._composite_state import rebuild_composite
from workbench.core._introspection import attribute_summary
from workbench.core._introspection import fitted_attributes_of
from workbench.core._introspection import plain_value
from workbench.core._minibatch import accepts_classes
from workbench.core._minibatch import can_partial_fit
from workbench.core._minibatch import check_partial_fit
from workbench.core._minibatch import is_stateless
from workbench.core._minibatch import learns_incrementally
from workbench.core._minibatch import minibatch_route
from workbench.core._minibatch import no_partial_fit_error
from workbench.core._minibatch import partial_fit_final
from workbench.core._minibatch import partial_fit_step
from workbench.core._paths import join_path
from workbench.core._paths import nest
from workbench.core._space import distribution_from_dict
from workbench.core._space import distribution_to_dict
from workbench.core._tree import is_passthrough

__all__ = [
    "Composite",
    "CompositeState",
    "FitEmitter",
    "MinibatchRoute",
    "WorkbenchPipeline",
    "WorkbenchStep",
    "Wrapper",
    "accepts_classes",
    "attribute_summary",
    "can_partial_fit",
    "check_partial_fit",
    "children_param_of",
    "composite_state",
    "current_scope",
    "delegate_tags",
    "distribution_from_dict",
    "distribution_to_dict",
    "fit_transform_step",
    "fitted_attributes_of",
    "is_passthrough",
    "is_stateless",
    "is_workbench_pipeline",
    "is_workbench_step",
    "join_path",
    "learns_incrementally",
    "listening",
    "minibatch_route",
    "nest",
    "no_partial_fit_error",
    "notify",
    "partial_fit_final",
    "partial_fit_step",
    "plain_value",
    "rebuild_composite",
    "route_fit_params",
]
