"""The batch plan: a pipeline tree compiled, once per epoch, into a flat list of operations.

Learning from a mini-batch then costs one Python call per step: no walk of the tree, no
``Composite.fitting()`` frame, no signature inspection per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from workbench.core import is_fitted
from workbench.core.authoring import (
    Composite,
    accepts_classes,
    check_partial_fit,
    is_passthrough,
    is_stateless,
    join_path,
    minibatch_route,
    no_partial_fit_error,
)
from workbench.exceptions import TrainingError

Operation = Callable[[Any, Any], tuple[Any, Any]]


@dataclass
class Plan:
    """What one mini-batch goes through, and what the run reads back after it."""

    operations: list[Operation] = field(default_factory=list)
    steps: list[Any] = field(default_factory=list)  # the step of each operation, in order
    final: Any = None  # the step that learns at the end (it gets ``classes``)
    final_path: str = ""
    targets: list[Any] = field(default_factory=list)  # y goes through these
    loss_attribute: str | None = None  # read on ``final`` after each batch
    classes: Any = None  # given to the final step's partial_fit, set once per run
    chain: tuple[Any, str] | None = None  # a step whose output carries its gradient graph

    def learn(self, X: Any, y: Any) -> None:
        for operation in self.operations:
            X, y = operation(X, y)

    def add(self, step: Any, operation: Operation) -> None:
        """Append ``operation``, done by ``step``."""
        self.operations.append(operation)
        self.steps.append(step)


def _loss_attribute(step: Any) -> str | None:
    if getattr(type(step), "reports_batch_loss", False):
        return "batch_loss_"
    from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron

    return "loss_" if isinstance(step, BaseMultilayerPerceptron) else None


def compile_plan(root: Any) -> Plan:
    """Compile ``root`` into a :class:`Plan`; a step that cannot learn incrementally is an
    error here, before any step is touched."""
    plan = Plan()
    _compile(plan, root, "", frozen=False, last=True)
    if plan.chain is not None:
        _consume(plan, None, "", frozen=True)
    return plan


def _consume(plan: Plan, step: Any, path: str, *, frozen: bool) -> None:
    """Check that a step fed by a gradient-passing step (a TorchStep) passes it on."""
    if plan.chain is None:
        return
    source, source_path = plan.chain
    plan.chain = None
    if step is not None and not frozen and getattr(type(step), "passes_gradient", False):
        return
    what = "nothing" if step is None else f"{path!r} ({type(step).__name__}"
    what += ", frozen)" if frozen and step is not None else ")" if step is not None else ""
    raise TrainingError(
        f"{source_path!r} ({type(source).__name__}) learns from the gradient of the next "
        f"TorchStep, but it feeds {what}. Freeze {source_path!r} so that it only transforms, "
        f"or follow it with an unfrozen TorchStep that has a loss."
    )


def _compile(plan: Plan, step: Any, path: str, *, frozen: bool, last: bool) -> None:
    if is_passthrough(step):
        return
    if frozen:
        _consume(plan, step, path, frozen=True)
        if not last:
            transform = _transform_of(step, path)
            plan.add(step, lambda X, y: (transform(X), y))
        return
    route = minibatch_route(step)
    if route is not None:  # a composite that hands batches on: its children go in the plan
        if route.target is not None:
            plan.targets.append(route.target)
            plan.add(route.target, route.target.target_operation())
        for index, (name, child) in enumerate(route.children):
            _compile(
                plan,
                child,
                join_path(path, name),
                frozen=step.is_frozen(name),
                last=last and index == len(route.children) - 1,
            )
        return
    if isinstance(step, Composite) and not any(
        hasattr(step, name) for name in ("partial_fit", "partial_fit_resample")
    ):
        raise no_partial_fit_error(step, path or type(step).__name__)
    check_partial_fit(step, path)
    _consume(plan, step, path, frozen=False)
    if last:
        _compile_final(plan, step, path)
    else:
        _compile_middle(plan, step, path)


def _compile_final(plan: Plan, step: Any, path: str) -> None:
    if not hasattr(step, "partial_fit"):
        if is_stateless(step):
            return
        raise no_partial_fit_error(step, path or type(step).__name__)
    plan.final, plan.final_path = step, path
    plan.loss_attribute = _loss_attribute(step)
    partial_fit = step.partial_fit
    if accepts_classes(step):
        holder = plan

        def learn_final(X: Any, y: Any) -> tuple[Any, Any]:
            partial_fit(X, y, classes=holder.classes)
            return X, y

        plan.add(step, learn_final)
    else:
        plan.add(step, lambda X, y: (partial_fit(X, y), (X, y))[1])


def _compile_middle(plan: Plan, step: Any, path: str) -> None:
    if hasattr(step, "partial_fit_resample"):
        plan.add(step, step.partial_fit_resample)
    elif hasattr(step, "partial_fit_transform"):
        learn_transform = step.partial_fit_transform
        plan.add(step, lambda X, y: (learn_transform(X, y), y))
        if getattr(type(step), "passes_gradient", False):
            plan.chain = (step, path)
    elif hasattr(step, "partial_fit"):
        partial_fit, transform = step.partial_fit, _transform_of(step, path)

        def learn_then_transform(X: Any, y: Any) -> tuple[Any, Any]:
            partial_fit(X, y)
            return transform(X), y

        plan.add(step, learn_then_transform)
    elif is_stateless(step):
        fit_transform = step.fit_transform
        plan.add(step, lambda X, y: (fit_transform(X, y), y))
    else:
        raise no_partial_fit_error(step, path or type(step).__name__)


def _transform_of(step: Any, path: str) -> Callable[[Any], Any]:
    """The ``transform`` of a step that other steps follow; an error naming it without one."""
    transform = getattr(step, "transform", None)
    if callable(transform):
        return transform
    does = [name for name in ("predict", "predict_proba", "score") if hasattr(step, name)]
    role = f" (it has {', '.join(does)}: a final step)" if does else ""
    raise TrainingError(
        f"Step {path!r} ({type(step).__name__}) is followed by other steps, so it must "
        f"transform the data it passes on, but it has no transform method{role}. Replace it "
        f"with a transformer, or move it to the end of the pipeline."
    )


def prepare(plan: Plan, root: Any, y: Any) -> Any:
    """Fit unfitted target transforms on the whole ``y``; return the classes the final step
    learns (None when it is no classifier, or ``y`` is None)."""
    for target in plan.targets:
        if y is None:
            break
        if not is_fitted(target.transformer):
            target.fit_target(y)
        y = target.transform_target(y)
    if y is None or plan.final is None or not accepts_classes(plan.final):
        return None
    if plan.targets or is_classifier(plan.final) or is_classifier(root):
        return np.unique(np.asarray(y))
    return None
