"""Failed trials: stop a study whose trials all fail the same way, and say why once."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import optuna
from optuna.trial import FrozenTrial, TrialState

from workbench.exceptions import TuningError
from workbench.store import shared

DEFAULT_STOP_AFTER_FAILURES = 3


class FailureStreak:
    """An Optuna callback for one ``optimize`` call: when ``limit`` trials in a row fail with
    the same error before any trial of the call has completed or been pruned, the pipeline
    fails whatever the hyperparams, and the study stops (:meth:`error` says why)."""

    def __init__(self, study_name: str, limit: int | None):
        self.study_name = study_name
        self.limit = limit
        self.worked = False
        self.streak: list[tuple[int, str]] = []
        self.stopped = False
        self._errors: dict[int, BaseException] = {}

    def remember(self, number: int, error: BaseException) -> None:
        """Keep the exception a trial raised (the first of a streak is shown once)."""
        self._errors[number] = error

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            self.worked = True
            self.streak = []
            return
        if trial.state != TrialState.FAIL:
            return
        message = str(trial.user_attrs.get(shared.ERROR_KEY) or "an error with no message")
        if self.streak and self.streak[-1][1] != message:
            self.streak = []
        self.streak.append((trial.number, message))
        if not self.worked and self.limit is not None and len(self.streak) >= self.limit:
            self.stopped = True
            study.stop()

    def error(self) -> TuningError:
        """The TuningError to raise once the study stopped; its cause is the first failure."""
        numbers = [number for number, _ in self.streak]
        first, message = self.streak[0]
        error = TuningError(
            f"The study {self.study_name!r} stopped: trials {numbers} all failed with the same "
            f"error, and no trial of this run completed, so the pipeline fails whatever its "
            f"hyperparams. Trial {first}'s error:\n    {message}\n"
            f"Fix the pipeline (try pipe.fit(X, y), or one random point: "
            f"pipe.set_hyperparams(workbench.tuning.sample_hyperparams(pipe)).fit(X, y)), then "
            f"run optimize again; trials_dataframe() lists each trial's error. Pass "
            f"stop_after_failures=None to the Tuner to run every trial anyway."
        )
        error.__cause__ = self._errors.get(first)
        return error


def no_completed_trial(study: optuna.Study) -> TuningError:
    """The TuningError for a study with no completed trial to refit: counts and first error."""
    trials = study.get_trials(deepcopy=False)
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
    failed = [trial for trial in trials if shared.ERROR_KEY in trial.user_attrs]
    first = " "
    if failed:
        message = failed[0].user_attrs[shared.ERROR_KEY]
        first = f" The first error, trial {failed[0].number}'s:\n    {message}\n"
    return TuningError(
        f"No trial of the study {study.study_name!r} completed ({summary or 'no trials'}), so "
        f"there is no best pipeline to refit.{first}trials_dataframe() lists each trial's "
        f"state and error; fix the pipeline or widen the space, then run optimize again."
    )


class _OneLineFailures(logging.Filter):
    """Optuna logs a failed trial with its traceback; keep its one line (the error's repr):
    the error is recorded with the trial, and a stopped study shows it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage().startswith("Trial "):
            record.exc_info = None
            record.exc_text = None
        return True


_ONE_LINE = _OneLineFailures()


@contextlib.contextmanager
def one_line_failures() -> Iterator[None]:
    """Within this block, Optuna reports each failed trial in one line, without a traceback."""
    logger = logging.getLogger("optuna.study._optimize")
    logger.addFilter(_ONE_LINE)
    try:
        yield
    finally:
        logger.removeFilter(_ONE_LINE)


class _OptunaQuiet:
    """Optuna's log level while quiet tuners run: counted, so that overlapping runs (a panel's
    thread and the main thread) restore the level the first one found, once the last ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved = logging.NOTSET

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.depth == 0:
                self.saved = optuna.logging.get_verbosity()
                optuna.logging.set_verbosity(logging.CRITICAL)
            self.depth += 1
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0:
                    optuna.logging.set_verbosity(self.saved)


_QUIET = _OptunaQuiet()


@contextlib.contextmanager
def optuna_logging(verbose: bool) -> Iterator[None]:
    """Within this block Optuna logs nothing, unless ``verbose`` (then as configured); the
    level is restored afterwards."""
    if verbose:
        yield
        return
    with _QUIET():
        yield
