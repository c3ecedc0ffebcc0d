"""One trial of a Tuner's study: what Optuna calls with each trial, and what a trial that
stops early leaves in the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import optuna
import pandas as pd

from workbench.core.authoring import listening, notify
from workbench.store import History, shared
from workbench.tuning._failures import FailureStreak
from workbench.tuning._points import choices_in_use
from workbench.tuning._resume import Checkpoints
from workbench.tuning._sampling import suggest

if TYPE_CHECKING:
    from workbench.tuning._tuner import Tuner


def trial_objective(
    tuner: Tuner, X: Any, y: Any, failures: FailureStreak | None = None
) -> Callable[[optuna.Trial], float]:
    """The objective Optuna runs for each trial of ``tuner``'s study: sample, build, train
    (resuming a dead worker's epochs), score, record, keep; a failure is recorded on the trial
    and told to the listeners before it propagates."""
    storage = tuner._open_storage()
    worker = shared.worker_lease(storage)
    fixed = choices_in_use(tuner._base, tuner.conditions)
    checkpoints = Checkpoints(tuner.evaluation, tuner._keeper, tuner.storage, storage, tuner._base)

    def objective(trial: optuna.Trial) -> float:
        if worker is not None:
            storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, worker)
        with listening(tuner.callbacks) as scope:  # the trial's fits report to them too
            return run_trial(trial, scope.callbacks)

    def run_trial(trial: optuna.Trial, listeners: Sequence[Any]) -> float:
        candidate = None
        try:  # sampling too: a sampler's error is the trial's, recorded on it
            params = suggest(trial, tuner.space, tuner.conditions, fixed)
            if listeners:
                notify(listeners, "trial_begin", trial=trial.number, params=dict(params))
            with checkpoints.of(trial) as resume:  # a retried trial resumes its epochs
                candidate = resume.start(tuner.candidate(params))
                outcome = tuner.evaluation.score(candidate, X, y, tuner.scorer, trial, resume)
        except optuna.TrialPruned as pruned:
            _record(trial, getattr(pruned, "history", None), candidate)
            tuner._keeper.after_pruned(trial, candidate, tuner.storage)
            _notify_end(listeners, trial, "pruned", None)
            raise
        except BaseException as error:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            if isinstance(error, KeyboardInterrupt):
                message = "KeyboardInterrupt: the study was interrupted during this trial."
            trial.set_user_attr(shared.ERROR_KEY, message)
            if failures is not None:
                failures.remember(trial.number, error)
            _record(trial, getattr(error, "history", None), candidate)
            _notify_end(listeners, trial, "fail", None)
            raise
        record = dict(outcome.record)
        history = record.pop("history", None)
        trial.set_user_attr(
            shared.RECORD_KEY,
            shared.make_record(
                history=history,
                mutation_log=getattr(candidate, "mutation_log", None),
                **record,
            ),
        )
        if outcome.value != outcome.value:
            trial.set_user_attr(shared.ERROR_KEY, "The score was NaN.")
        tuner._keeper.after_complete(trial, outcome.fitted, outcome.value, tuner.storage)
        _notify_end(listeners, trial, "complete", outcome.value)
        return outcome.value

    return objective


def _notify_end(
    listeners: Sequence[Any], trial: optuna.Trial, state: str, value: float | None
) -> None:
    if listeners:
        notify(listeners, "trial_end", trial=trial.number, state=state, value=value)


def _record(trial: optuna.Trial, history: Any, candidate: Any) -> None:
    """Record what a trial that stopped early leaves: its History so far, its mutations."""
    if history is not None and not isinstance(history, pd.DataFrame):
        history = History.from_rows(history)  # the rows a pruning callback kept
    if history is not None and not len(history):
        history = None
    mutation_log = getattr(candidate, "mutation_log", None)
    if history is not None or mutation_log:
        trial.set_user_attr(
            shared.RECORD_KEY, shared.make_record(history=history, mutation_log=mutation_log)
        )
