"""Points of a pipeline's space without a study: the tunable space, and random draws from it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from sklearn.utils import get_tags

from workbench.core.authoring import is_workbench_pipeline
from workbench.exceptions import TuningError
from workbench.tuning._sampling import suggest


def frozen_steps(pipeline: Any) -> list[str]:
    """Paths of the frozen steps of ``pipeline`` (outermost only)."""
    if not is_workbench_pipeline(pipeline):
        return []
    found: list[str] = []
    for path, _ in pipeline.walk():
        if not any(path.startswith(f"{outer}__") for outer in found) and pipeline.is_frozen(path):
            found.append(path)
    return found


def _frozen_owner(path: str, frozen: Sequence[str]) -> str | None:
    return next((step for step in frozen if path.startswith(f"{step}__")), None)


def tunable_space(pipeline: Any) -> dict[str, BaseDistribution]:
    """The space a tuner samples: every ``Choose`` branch, no frozen step.

    A frozen step is fixed, fitted state included, so its hyperparams are left out.
    """
    frozen = frozen_steps(pipeline)
    return {
        path: distribution
        for path, distribution in pipeline.get_hyperparams_space().items()
        if _frozen_owner(path, frozen) is None
    }


def check_not_frozen(pipeline: Any, paths: Sequence[str]) -> None:
    """Raise a TuningError if any of ``paths`` belongs to a frozen step."""
    frozen = frozen_steps(pipeline)
    for path in paths:
        owner = _frozen_owner(path, frozen)
        if owner is not None:
            raise TuningError(
                f"{path!r} belongs to the frozen step {owner!r}: a frozen step keeps its fitted "
                f"state, so it cannot be tuned. Leave {path!r} out of space=, or unfreeze the "
                f"step first: pipe.unfreeze({owner!r})."
            )


def choices_in_use(pipeline: Any, conditions: Mapping[str, Any]) -> dict[str, Any]:
    """The current option of every ``Choose`` that a condition names (choice path -> option)."""
    fixed = {}
    for needs in conditions.values():
        for choice_path, _ in needs:
            head, _, _ = choice_path.rpartition("__")
            step = pipeline[head] if head else pipeline
            fixed[choice_path] = step.chosen
    return fixed


class _RandomDraws:
    """Answers a trial's ``suggest_*`` calls with uniform random draws (Optuna's
    RandomSampler's rules: log scales drawn in log space, steps on the grid)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        if step is not None:
            return float(low + step * self.rng.integers(0, round((high - low) / step) + 1))
        if log:
            return float(
                min(high, max(low, math.exp(self.rng.uniform(math.log(low), math.log(high)))))
            )
        return float(self.rng.uniform(low, high)) if high > low else float(low)

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        if log:
            drawn = math.exp(self.rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))
            return int(min(high, max(low, round(drawn))))
        return int(low + step * self.rng.integers(0, (high - low) // step + 1))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return choices[int(self.rng.integers(0, len(choices)))]


def sample_hyperparams(
    pipeline: Any,
    *,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, Any]:
    """Draw one random point of ``pipeline``'s space, without a study.

    Each ``Choose`` picks an option first; only the chosen branch's hyperparams are drawn.
    Frozen steps are fixed and left out, as a :class:`Tuner` leaves them out. Set the point
    with ``pipeline.set_hyperparams(point)``: a smoke test of the space, or a random baseline.

    Parameters
    ----------
    pipeline : Step
        A Workbench step or pipeline.
    random_state : int, numpy Generator or None
        Seed of the draw; the same seed draws the same point.

    Returns
    -------
    dict
        Path -> value, for every hyperparameter that is active at that point.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Choose, Pipeline
    >>> pipe = Pipeline([("model", Choose([("linear", LogisticRegression()),
    ...                                    ("forest", RandomForestClassifier())]))])
    >>> point = sample_hyperparams(pipe, random_state=0)
    >>> branch = point["model__choice"]
    >>> all(path.startswith(f"model__{branch}__") for path in point if path != "model__choice")
    True
    >>> pipe.set_hyperparams(point)["model"].chosen == branch
    True
    """
    conditions = pipeline.hyperparams_conditions()
    draws = _RandomDraws(np.random.default_rng(random_state))
    trial = cast(optuna.Trial, draws)
    return suggest(
        trial, tunable_space(pipeline), conditions, choices_in_use(pipeline, conditions)
    )


def needs_targets(pipeline: Any) -> bool:
    """True for a classifier or regressor none of whose steps makes its targets itself
    (``fit_resample``, as ``InputAsTarget``): it cannot fit without ``y``."""
    try:
        tags = get_tags(pipeline)
    except Exception:  # an estimator whose tags cannot be read: let the trials say
        return False
    supervised = tags.estimator_type in ("classifier", "regressor") or tags.target_tags.required
    return supervised and not any(hasattr(step, "fit_resample") for step in steps(pipeline))


def steps(step: Any) -> Iterator[Any]:
    """``step`` and every step below it, depth first."""
    yield step
    children = getattr(step, "named_children", None)
    if callable(children):
        for _, child in children():
            yield from steps(child)
