"""How a composite fits: the frame of one fit (modes, events, teardown) and the small pieces
every composite's ``fit`` shares (passing data on, routing fit parameters, delegating tags)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sklearn.utils import get_tags

from workbench._internal.names import did_you_mean
from workbench.core import _tree
from workbench.core._callbacks import current_scope, event_scope, notify
from workbench.core._paths import SEPARATOR, join_path
from workbench.core._step import Step


def fit_transform_step(
    step: Any, X: Any, y: Any, *, frozen: bool = False, **params: Any
) -> tuple[Any, Any]:
    """Fit ``step`` on ``(X, y)`` and return what the next step learns from.

    A frozen step only transforms. A step with ``fit_resample`` (a sampler, a label transform,
    :class:`TrainOnly`) returns new ``(X, y)`` while fitting.
    """
    if frozen:
        if hasattr(step, "transform"):
            return step.transform(X), y
        return X, y
    if hasattr(step, "fit_resample"):
        return step.fit_resample(X, y, **params)
    if hasattr(step, "fit_transform"):
        return step.fit_transform(X, y, **params), y
    return step.fit(X, y, **params).transform(X), y


def delegate_tags(tags: Any, inner: Any, *, input_tags: bool = False) -> Any:
    """``tags`` with the estimator type and the target-side tags of ``inner`` (and its input
    tags, where the composite hands its input straight to it); unchanged if ``inner`` has none."""
    try:
        found = get_tags(inner)
    except (AttributeError, TypeError, ValueError):
        return tags
    tags.estimator_type = found.estimator_type
    tags.classifier_tags = found.classifier_tags
    tags.regressor_tags = found.regressor_tags
    tags.transformer_tags = found.transformer_tags
    tags.target_tags = found.target_tags
    if input_tags:
        tags.input_tags = found.input_tags
    return tags


def route_fit_params(
    owner: str, names: Sequence[str], fit_params: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Split ``<step>__<param>`` fit parameters by step name (scikit-learn's convention)."""
    routed: dict[str, dict[str, Any]] = {}
    for key, value in fit_params.items():
        name, separator, param = key.partition(SEPARATOR)
        if not separator or name not in names:
            raise TypeError(
                f"{owner}.fit() got fit parameter {key!r}; name it after its step, as "
                f"'<step>__<param>' with a step among {list(names)}.{did_you_mean(name, names)}"
            )
        routed.setdefault(name, {})[param] = value
    return routed


class MinibatchRoute(NamedTuple):
    """How a composite passes a mini-batch on, returned by ``Composite.minibatch_route()``.

    A batch goes through ``children``, in order, as if they stood in the parent's place; the
    last one is the last step of the run where the composite is. ``target``, when given, is a
    label transform that changes ``y`` before the children see it, with the methods of
    :class:`~workbench.training.TransformTarget`: ``target_operation()``, ``fit_target(y)``,
    ``transform_target(y)``, and its ``transformer``, fitted once on the whole ``y``.
    """

    children: list[tuple[str, Any]]
    target: Any = None


class FitEmitter:
    """Sends events of one fit to its listeners, with paths under the fit's prefix."""

    __slots__ = ("listeners", "prefix")

    def __init__(self, listeners: Sequence[Any], prefix: str):
        self.listeners = listeners
        self.prefix = prefix

    def __call__(self, event: str, name: str, step: Any, /, **data: Any) -> None:
        if self.listeners:
            notify(self.listeners, event, path=join_path(self.prefix, name), step=step, **data)

    @contextlib.contextmanager
    def child(self, name: str, step: Any) -> Iterator[None]:
        """Nested composites fitted inside this block emit under ``prefix__name``."""
        if _tree.is_workbench(step) and step.named_children():
            with event_scope(self.listeners, join_path(self.prefix, name)):
                yield
        else:
            yield


@contextlib.contextmanager
def fit_frame(
    step: Step, callbacks: Sequence[Any] | None, kind: str, data: dict[str, Any]
) -> Iterator[FitEmitter]:
    """The body of ``Composite.fitting``: train mode, ``fit_begin``/``fit_end`` for a fit that
    is a run of its own, teardown of what the fit set up when it raises."""
    outer = current_scope()
    listeners: tuple[Any, ...] = (*step._callbacks, *(callbacks or ()))
    prefix = ""
    if outer is not None:
        listeners = (*outer.callbacks, *listeners)
        prefix = outer.prefix
    nested = outer is not None and outer.nested  # else this fit is a run of its own
    was_training = step._training
    was_set_up = step._is_set_up
    step.train()
    emit = FitEmitter(listeners, prefix)
    started = time.perf_counter()
    try:
        if not nested and listeners:
            notify(listeners, "fit_begin", path=prefix, step=step, kind=kind, **data)
        yield emit
        if not nested and listeners:
            notify(
                listeners,
                "fit_end",
                path=prefix,
                step=step,
                kind=kind,
                duration=time.perf_counter() - started,
                **data,
            )
    except BaseException:
        if not nested and not was_set_up:
            with contextlib.suppress(Exception):
                step.teardown()
        raise
    finally:
        step.train(was_training)
