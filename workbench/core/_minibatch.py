"""The mini-batch contract: which steps can learn by mini-batch, how one step learns from a
batch, and how a composite passes a batch on to its children.

``Pipeline.partial_fit`` and the compiled batch plan of ``workbench.training.fit_epochs`` both
decide here; a composite describes itself through two hooks, ``partial_fit_children`` and
``minibatch_route`` (see :class:`~workbench.core.authoring.Composite`).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.utils import get_tags

from workbench.core import _tree
from workbench.core._composite import Composite
from workbench.core._fitting import MinibatchRoute, fit_transform_step
from workbench.core._introspection import is_fitted
from workbench.core._paths import join_path
from workbench.exceptions import TrainingError

INCREMENTAL_METHODS = ("partial_fit", "partial_fit_resample", "partial_fit_transform")


def minibatch_route(step: Any) -> MinibatchRoute | None:
    """The route of a composite that passes mini-batches on; None for any other step."""
    return step.minibatch_route() if isinstance(step, Composite) else None


def is_stateless(step: Any) -> bool:
    """Whether scikit-learn's tags say ``step`` learns nothing (``requires_fit=False``)."""
    try:
        return not get_tags(step).requires_fit
    except (TypeError, ValueError, AttributeError):
        return False


def accepts_classes(step: Any) -> bool:
    """Whether ``step.partial_fit`` takes ``classes`` (scikit-learn's incremental classifiers)."""
    try:
        return "classes" in inspect.signature(step.partial_fit).parameters
    except (TypeError, ValueError):
        return False


def learns_incrementally(step: Any) -> bool:
    """Whether ``step`` can take its part in a mini-batch run: it has a ``partial_fit`` of some
    kind, or is stateless (fitting it costs nothing)."""
    return any(hasattr(step, method) for method in INCREMENTAL_METHODS) or is_stateless(step)


def no_partial_fit_error(step: Any, path: str) -> TrainingError:
    """The error for a step at ``path`` that has to learn by mini-batch and cannot."""
    return TrainingError(
        f"Step {path!r} ({type(step).__name__}) has no partial_fit, so it cannot learn from "
        f"mini-batches. Fit it on the whole data first and freeze it (pipe.fit(X, y); "
        f"pipe.freeze({path!r})), or replace it with a step that learns incrementally "
        f"(SGDClassifier, MiniBatchKMeans, IncrementalPCA, ...)."
    )


def check_partial_fit(root: Any, prefix: str = "") -> None:
    """Raise a TrainingError naming the first active, unfrozen step without ``partial_fit``."""
    if not isinstance(root, Composite):
        return
    inactive = root._inactive_children()
    for name, step in root.partial_fit_children():
        path = join_path(prefix, name)
        if name in inactive or _tree.is_passthrough(step) or root._is_child_frozen(name):
            continue
        if not learns_incrementally(step):
            raise no_partial_fit_error(step, path)
        check_partial_fit(step, path)


def can_partial_fit(composite: Any) -> bool:
    """True when every active, unfrozen step learns incrementally; else an AttributeError
    (``available_if`` turns it into a missing method) that names the step that does not."""
    try:
        check_partial_fit(composite)
    except TrainingError as error:
        raise AttributeError(str(error)) from error
    return True


def partial_fit_step(step: Any, X: Any, y: Any, *, frozen: bool = False) -> tuple[Any, Any]:
    """Let ``step`` learn from one mini-batch and return what the next step learns from.

    A frozen step only transforms; a step with ``partial_fit_resample`` returns new
    ``(X, y)``; any other step learns with ``partial_fit`` and then transforms.
    """
    if frozen:
        return (step.transform(X), y) if hasattr(step, "transform") else (X, y)
    if hasattr(step, "partial_fit_resample"):
        return step.partial_fit_resample(X, y)
    if hasattr(step, "partial_fit_transform"):
        return step.partial_fit_transform(X, y), y
    if not hasattr(step, "partial_fit"):  # stateless (checked): fitting costs nothing
        return fit_transform_step(step, X, y)
    step.partial_fit(X, y)
    return step.transform(X), y


def partial_fit_final(step: Any, X: Any, y: Any, *, classes: Any = None) -> None:
    """``step.partial_fit`` on one batch, with ``classes`` on a classifier's first call."""
    if accepts_classes(step):
        if classes is None and y is not None and not is_fitted(step):
            classes = np.unique(y)
        if classes is not None:
            step.partial_fit(X, y, classes=classes)
            return
    step.partial_fit(X, y)
