"""From a pipeline's space to an Optuna trial's suggestions, honouring ``Choose`` branches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from workbench.core import describe_distribution
from workbench.core.authoring import distribution_to_dict
from workbench.exceptions import SpaceError

Conditions = Mapping[str, tuple[tuple[str, Any], ...]]


def is_free(distribution: BaseDistribution) -> bool:
    """Whether a distribution leaves more than one value to choose from."""
    return not distribution.single()


def check_space(space: Mapping[str, BaseDistribution]) -> None:
    """Raise a SpaceError unless some hyperparameter of ``space`` is free to vary."""
    if not any(is_free(distribution) for distribution in space.values()):
        fixed = {path: describe_distribution(d) for path, d in space.items()}
        raise SpaceError(
            f"The space has no free hyperparameter to tune (got {fixed or 'an empty space'}). "
            f"Widen it with set_hyperparams_space(path=floats(...)/ints(...)/categorical([...])) "
            f"or pass space={{path: distribution}} to the tuner."
        )


def space_to_plain(space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """JSON-ready form of a space (stored with a study, compared on resume)."""
    return {path: distribution_to_dict(space[path]) for path in sorted(space)}


def ordered_paths(space: Mapping[str, BaseDistribution], conditions: Conditions) -> list[str]:
    """Paths in an order where each choice is sampled before the branches that depend on it."""
    depth = {path: len(conditions.get(path, ())) for path in space}
    return sorted(space, key=lambda path: (depth[path], path))


def suggest(
    trial: optuna.Trial,
    space: Mapping[str, BaseDistribution],
    conditions: Conditions,
    fixed: Mapping[str, Any],
) -> dict[str, Any]:
    """Sample the active part of ``space`` on ``trial``; return path -> value.

    A path whose ``Choose`` branch is not the chosen one is not sampled at all, so the sampler
    sees a conditional space. ``fixed`` gives the choices that are not in the space (the
    pipeline's current ones).
    """
    values: dict[str, Any] = {}
    for path in ordered_paths(space, conditions):
        if not all(
            _choice_of(choice_path, values, fixed) == option
            for choice_path, option in conditions.get(path, ())
        ):
            continue
        values[path] = suggest_one(trial, path, space[path])
    return values


def _choice_of(choice_path: str, values: Mapping[str, Any], fixed: Mapping[str, Any]) -> Any:
    return values[choice_path] if choice_path in values else fixed.get(choice_path)


def suggest_one(trial: optuna.Trial, path: str, distribution: BaseDistribution) -> Any:
    """Suggest one value with the public ``suggest_*`` method that matches the distribution."""
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            path, distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            path, distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(path, distribution.choices)
    raise SpaceError(
        f"The space of {path!r} must be a FloatDistribution, IntDistribution or "
        f"CategoricalDistribution, but got {distribution!r}."
    )
