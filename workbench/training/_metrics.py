"""Metrics of an epoch run: scikit-learn scorer names or callables, resolved up front."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sklearn.base import is_classifier, is_regressor

from workbench._internal.scoring import scorer_by_name
from workbench.exceptions import TrainingError

Scorer = Callable[[Any, Any, Any], float]


def default_metrics(pipeline: Any, y: Any) -> tuple[str, ...]:
    """``accuracy`` for a classifier, ``r2`` for a regressor, nothing without labels."""
    if y is None:
        return ()
    if is_classifier(pipeline):
        return ("accuracy",)
    if is_regressor(pipeline):
        return ("r2",)
    return ()


def resolve_metrics(metrics: Any) -> dict[str, Scorer]:
    """Name -> scorer ``(estimator, X, y) -> float``; an unknown name is an error now."""
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    items: Iterable[tuple[str, Any]]
    if isinstance(metrics, Mapping):
        items = metrics.items()
    else:
        items = [(_name_of(metric), metric) for metric in metrics]
    resolved: dict[str, Scorer] = {}
    for name, metric in items:
        if isinstance(metric, str):
            resolved[name] = _scorer(metric)
        elif callable(metric):
            resolved[name] = metric
        else:
            raise TrainingError(
                f"A metric is a scikit-learn scorer name (such as 'accuracy') or a callable "
                f"(estimator, X, y) -> float, but got {metric!r}."
            )
    return resolved


def _name_of(metric: Any) -> str:
    if isinstance(metric, str):
        return metric
    if not callable(metric):
        return repr(metric)  # rejected with a clear message below
    name = getattr(metric, "__name__", None) or getattr(
        getattr(metric, "_score_func", None), "__name__", None
    )
    if not name or name == "<lambda>":
        raise TrainingError(
            f"Cannot name the metric {metric!r}; pass metrics as a dict: {{'name': metric}}."
        )
    return str(name)


def _scorer(name: str) -> Scorer:
    scorer: Scorer = scorer_by_name(name, error=TrainingError, what="metric")
    return scorer
