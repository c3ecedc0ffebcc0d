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
from sklearn.utils import get_tags

from workbench.core import Choose, Composite, Pipeline, TrainOnly, is_fitted, is_passthrough
from workbench.exceptions import TrainingError
from workbench.training._targets import TransformTarget

Operation = Callable[[Any, Any], tuple[Any, Any]]


@dataclass
class Plan:
    """What one mini-batch goes through, and what the run reads back after it."""

    operations: list[Operation] = field(default_factory=list)
    steps: list[Any] = field(default_factory=list)  # the step of each operation, in order
    final: Any = None  # the step that learns at the end (it gets ``classes``)
    final_path: str = ""
    targets: list[TransformTarget] = field(default_factory=list)  # y goes through these
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


def _stateless(step: Any) -> bool:
    try:
        return not get_tags(step).requires_fit
    except (TypeError, ValueError, AttributeError):
        return False


def _no_partial_fit(step: Any, path: str) -> TrainingError:
    return TrainingError(
        f"Step {path!r} ({type(step).__name__}) has no partial_fit, so it cannot learn from "
        f"mini-batches. Fit it on the whole data first and freeze it (pipe.fit(X, y); "
        f"pipe.freeze({path!r})), or replace it with a step that learns incrementally "
        f"(SGDClassifier, MiniBatchKMeans, IncrementalPCA, ...)."
    )


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
        if not last and hasattr(step, "transform"):
            transform = step.transform
            plan.add(step, lambda X, y: (transform(X), y))
        return
    if isinstance(step, Pipeline):
        steps = step.named_children()
        for index, (name, child) in enumerate(steps):
            _compile(
                plan,
                child,
                _join(path, name),
                frozen=step.is_frozen(name),
                last=last and index == len(steps) - 1,
            )
        return
    if isinstance(step, Choose):
        name = step.chosen
        _compile(
            plan,
            step.chosen_step,
            _join(path, name),
            frozen=step.is_frozen(name),
            last=last,
        )
        return
    if isinstance(step, TrainOnly):
        _compile(
            plan,
            step.step,
            _join(path, "step"),
            frozen=step.is_frozen("step"),
            last=last,
        )
        return
    if isinstance(step, TransformTarget):
        plan.targets.append(step)
        plan.add(step, step.target_operation())
        _compile(
            plan,
            step.step,
            _join(path, "step"),
            frozen=step.is_frozen("step"),
            last=last,
        )
        return
    if isinstance(step, Composite) and not any(
        hasattr(step, name) for name in ("partial_fit", "partial_fit_resample")
    ):
        raise _no_partial_fit(step, path or type(step).__name__)
    if isinstance(step, Composite):
        _check_learning_children(step, path)
    _consume(plan, step, path, frozen=False)
    if last:
        _compile_final(plan, step, path)
    else:
        _compile_middle(plan, step, path)


def _check_learning_children(composite: Any, path: str) -> None:
    """The children a composite of another kind lets learn by mini-batch must be able to."""
    learning = getattr(composite, "partial_fit_children", None)
    inactive = composite._inactive_children()
    for name, child in learning() if learning is not None else composite.named_children():
        if is_passthrough(child) or name in inactive or composite.is_frozen(name):
            continue
        child_path = _join(path, name)
        incremental = ("partial_fit", "partial_fit_resample", "partial_fit_transform")
        if not any(hasattr(child, method) for method in incremental) and not _stateless(child):
            raise _no_partial_fit(child, child_path)
        if isinstance(child, Composite):
            _check_learning_children(child, child_path)


def _compile_final(plan: Plan, step: Any, path: str) -> None:
    if not hasattr(step, "partial_fit"):
        if _stateless(step):
            return
        raise _no_partial_fit(step, path or type(step).__name__)
    plan.final, plan.final_path = step, path
    plan.loss_attribute = _loss_attribute(step)
    partial_fit = step.partial_fit
    if _accepts_classes(step):
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
        partial_fit, transform = step.partial_fit, step.transform

        def learn_then_transform(X: Any, y: Any) -> tuple[Any, Any]:
            partial_fit(X, y)
            return transform(X), y

        plan.add(step, learn_then_transform)
    elif _stateless(step):
        fit_transform = step.fit_transform
        plan.add(step, lambda X, y: (fit_transform(X, y), y))
    else:
        raise _no_partial_fit(step, path or type(step).__name__)


def _accepts_classes(step: Any) -> bool:
    import inspect

    try:
        return "classes" in inspect.signature(step.partial_fit).parameters
    except (TypeError, ValueError):
        return False


def _join(prefix: str, name: str) -> str:
    return f"{prefix}__{name}" if prefix else name


def prepare(plan: Plan, root: Any, y: Any) -> Any:
    """Fit unfitted target transforms on the whole ``y``; return the classes the final step
    learns (None when it is no classifier, or ``y`` is None)."""
    for target in plan.targets:
        if y is None:
            break
        if not is_fitted(target.transformer):
            target.fit_target(y)
        y = target.transform_target(y)
    if y is None or plan.final is None or not _accepts_classes(plan.final):
        return None
    if plan.targets or is_classifier(plan.final) or is_classifier(root):
        return np.unique(np.asarray(y))
    return None
