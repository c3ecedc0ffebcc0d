"""Tuner.extend: train a kept trial's pipeline for more epochs, as a new trial linked to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from workbench.core.authoring import notify
from workbench.exceptions import TuningError
from workbench.store import shared
from workbench.tuning._evaluation import EpochRun
from workbench.tuning._load_trial import load_trial

if TYPE_CHECKING:
    from workbench.tuning._tuner import Tuner


def extend_trial(
    tuner: Tuner,
    number: int,
    epochs: int,
    data: tuple[Any, Any] | None,
    trusted: Sequence[str | type],
) -> int:
    """Train trial ``number``'s kept pipeline ``epochs`` more epochs; the new trial's number."""
    run = tuner.evaluation
    if not isinstance(run, EpochRun):
        raise TuningError(
            f"extend trains a trial's pipeline for more epochs, but this tuner scores trials by "
            f"{run.kind!r}. Tune with epochs={{'epochs': ..., 'batch_size': ...}} to extend."
        )
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TuningError(f"epochs must be a positive integer, but got epochs={epochs!r}.")
    if data is None:
        raise TuningError(
            "extend needs the training data: pass X and y (extend(trial, epochs=N, X=X, y=y)), "
            "or run optimize first, whose data extend then uses."
        )
    study = tuner.study
    original = _finished(study, number)
    pipeline = load_trial(study, number, artifacts=tuner._keeper.artifacts, trusted=trusted)
    before = tuner.history(number)
    trial = _new_trial(study, original)
    if tuner.callbacks:
        notify(
            tuner.callbacks,
            "trial_begin",
            trial=trial.number,
            params=dict(original.params),
            extends=number,
        )
    try:
        history = _train(run, tuner.scorer, pipeline, data, epochs, before)
        assert run.monitor is not None
        values = [float(v) for v in history[run.monitor] if v == v]
        value = (max if tuner.direction == "maximize" else min)(values)
        for epoch, row_value in zip(history["epoch"], history[run.monitor], strict=True):
            if row_value == row_value:
                trial.report(float(row_value), step=int(epoch))
        trial.set_user_attr(shared.RECORD_KEY, shared.make_record(history=history))
        tuner._keeper.after_complete(trial, pipeline, value, tuner.storage)
    except BaseException as error:
        trial.set_user_attr(shared.ERROR_KEY, f"{type(error).__name__}: {error}")
        study.tell(trial, state=TrialState.FAIL)
        _notify_end(tuner, trial, "fail", None, number)
        raise
    study.tell(trial, value)
    _notify_end(tuner, trial, "complete", value, number)
    return trial.number


def _notify_end(
    tuner: Tuner, trial: optuna.Trial, state: str, value: float | None, extends: int
) -> None:
    """``trial_end`` for the new trial; ``extends`` tells listeners it ran outside a budget."""
    if tuner.callbacks:
        notify(
            tuner.callbacks,
            "trial_end",
            trial=trial.number,
            state=state,
            value=value,
            extends=extends,
        )


def _finished(study: optuna.Study, number: int) -> FrozenTrial:
    trials = study.get_trials(deepcopy=False)
    found = next((trial for trial in trials if trial.number == number), None)
    if found is None:
        raise TuningError(
            f"The study {study.study_name!r} has no trial {number!r}; its trials are "
            f"0..{len(trials) - 1}."
        )
    if found.state not in (TrialState.COMPLETE, TrialState.PRUNED):
        raise TuningError(
            f"Trial {number} is {found.state.name.lower()}; extend a complete or pruned trial."
        )
    return found


def _new_trial(study: optuna.Study, original: FrozenTrial) -> optuna.Trial:
    """A running trial with the original's params and distributions, linked to it."""
    template = optuna.trial.create_trial(
        state=TrialState.RUNNING,
        params=dict(original.params),
        distributions=dict(original.distributions),
        user_attrs={shared.EXTENDS_KEY: original.number},
    )
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.Trial(study, trial_id)


def _train(
    run: EpochRun, scorer: Any, pipeline: Any, data: tuple[Any, Any], epochs: int, before: Any
) -> Any:
    """The epoch run's own options (its validation split, its seed), ``epochs`` more epochs."""
    options = dict(run.options)
    options["epochs"] = epochs
    options["metrics"] = {run.metric_name: scorer}
    if len(before):
        options["history"] = before
    X, y = data
    return run._fit_epochs(**options)(pipeline, X, y)
