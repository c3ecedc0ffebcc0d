"""Which hyperparams mattered in a study, by path and by step, with Optuna's evaluators."""

from __future__ import annotations

import math
import warnings
from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any

import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.importance import BaseImportanceEvaluator, PedAnovaImportanceEvaluator
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from workbench.exceptions import StorageError
from workbench.store._schema import KIND_KEY, RUN, SPACE_KEY
from workbench.store._trials import TRIAL_COLUMNS

if TYPE_CHECKING:
    from workbench.store._browse import Store

#: Columns of :meth:`Store.importance`.
IMPORTANCE_COLUMNS = ("path", "step", "importance")


def step_of(path: str, depth: int | None = None) -> str:
    """The step a hyperparam belongs to (``"encoder__pca"`` for
    ``"encoder__pca__n_components"``; ``""`` for the pipeline's own), cut to ``depth``
    levels when given.

    Examples
    --------
    >>> step_of("encoder__pca__n_components"), step_of("encoder__pca__n_components", 1)
    ('encoder__pca', 'encoder')
    """
    step = path.rpartition("__")[0]
    if depth is not None and step:
        step = "__".join(step.split("__")[:depth])
    return step


def importance(
    store: Store,
    study: str,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    by: str = "path",
    depth: int | None = None,
) -> pd.DataFrame:
    """``Store.importance``: see there."""
    if by not in ("path", "step"):
        raise StorageError(f"by must be 'path' or 'step', but got {by!r}.")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise StorageError(f"depth must be None or a whole number >= 1, but got {depth!r}.")
    attrs, directions, _ = store._study(study)  # a StorageError naming close names if none
    if attrs.get(KIND_KEY) == RUN:
        raise StorageError(
            f"{study!r} is a run: it sampled no hyperparams. Importance is for tuning studies "
            f"(Store.studies() lists them)."
        )
    trials = store.trials(study)
    paths = [str(c) for c in trials.columns if c not in TRIAL_COLUMNS and c != "values"]
    complete = trials[(trials["state"] == "complete") & trials["value"].map(_finite)]
    if len(complete) < 2 or not paths:
        raise StorageError(
            f"Importance needs at least two complete trials with a value and a sampled "
            f"hyperparam, but {study!r} has {len(complete)} complete trial(s) and "
            f"{len(paths)} hyperparam(s)."
        )
    distributions = _distributions(attrs.get(SPACE_KEY) or {}, complete, paths)
    scores = _evaluate(complete, distributions, directions[0], evaluator)
    frame = pd.DataFrame(
        [(path, step_of(path, depth), scores.get(path, 0.0)) for path in paths],
        columns=list(IMPORTANCE_COLUMNS),
    )
    total = frame["importance"].sum()
    frame["importance"] = frame["importance"] / total if total > 0 else 1.0 / len(frame)
    if by == "step":
        frame = pd.DataFrame(frame.groupby("step", sort=False, as_index=False)["importance"].sum())
    return frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _distributions(
    space: Mapping[str, Any], trials: pd.DataFrame, paths: list[str]
) -> dict[str, BaseDistribution]:
    """Each path's distribution: the study's stored space, else what its values span."""
    found: dict[str, BaseDistribution] = {}
    for path in paths:
        stored = _from_plain(space.get(path))
        values = [v for v in trials[path] if v is not None and not _is_nan(v)]
        if stored is not None and all(_fits(stored, v) for v in values):
            found[path] = stored
            continue
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if values and len(numbers) == len(values):
            low, high = min(numbers), max(numbers)
            if all(isinstance(v, int) or float(v).is_integer() for v in numbers):
                found[path] = IntDistribution(int(low), int(high))
            else:
                found[path] = FloatDistribution(float(low), float(high))
        else:
            found[path] = CategoricalDistribution(list(dict.fromkeys(values)) or [None])
    return found


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _fits(distribution: BaseDistribution, value: Any) -> bool:
    if isinstance(distribution, CategoricalDistribution):
        return value in distribution.choices
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return bool(distribution.low <= value <= distribution.high)  # type: ignore[attr-defined]


def _from_plain(plain: Any) -> BaseDistribution | None:
    """An Optuna distribution from the core's plain form (``{"type": "float", ...}``)."""
    if not isinstance(plain, Mapping):
        return None
    try:
        if plain.get("type") == "categorical":
            return CategoricalDistribution(list(plain["choices"]))
        if plain.get("type") == "int":
            return IntDistribution(
                int(plain["low"]), int(plain["high"]), log=bool(plain.get("log")),
                step=int(plain.get("step") or 1),
            )  # fmt: skip
        if plain.get("type") == "float":
            step = plain.get("step")
            return FloatDistribution(
                float(plain["low"]), float(plain["high"]), log=bool(plain.get("log")),
                step=None if step is None else float(step),
            )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _evaluate(
    trials: pd.DataFrame,
    distributions: dict[str, BaseDistribution],
    direction: str,
    evaluator: BaseImportanceEvaluator | None,
) -> dict[str, float]:
    """The evaluator's importances on an in-memory copy of the complete trials, with the
    study's direction (so that a maximized study's best trials are its greatest)."""
    made: list[FrozenTrial] = []
    for values in trials.to_dict(orient="records"):
        params = {
            path: _plain_value(values[path])
            for path in distributions
            if values.get(path) is not None and not _is_nan(values[path])
        }
        number = len(made)  # evaluators tell trials apart by id: each gets its own
        made.append(
            FrozenTrial(
                number=number,
                state=TrialState.COMPLETE,
                value=float(values["value"]),
                datetime_start=None,
                datetime_complete=None,
                params=params,
                distributions={path: distributions[path] for path in params},
                user_attrs={},
                system_attrs={},
                intermediate_values={},
                trial_id=number,
            )
        )
    copy = _TrialsStudy(
        made,
        StudyDirection.MAXIMIZE if direction.startswith("maximize") else StudyDirection.MINIMIZE,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental evaluators warn on every call
        found = optuna.importance.get_param_importances(
            copy, evaluator=evaluator or PedAnovaImportanceEvaluator(), normalize=False
        )
    return {str(path): float(value) for path, value in found.items()}


class _TrialsStudy(optuna.Study):
    """Frozen trials seen as a study by Optuna's evaluators, which read only its trials and
    directions: no storage, so that 10,000 trials are not copied into one."""

    def __init__(self, trials: list[FrozenTrial], direction: StudyDirection):
        self._frozen = trials
        self._direction = direction

    @property
    def directions(self) -> list[StudyDirection]:
        return [self._direction]

    @property
    def direction(self) -> StudyDirection:
        return self._direction

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return [trial for trial in self._frozen if states is None or trial.state in states]

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


def _plain_value(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) and type(value).__module__ == "numpy" else value
