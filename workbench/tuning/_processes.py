"""Trials in several processes: worker processes started by ``optimize(n_jobs=...)``, and
``workbench worker`` processes that join a study through the store (:func:`run_worker`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING, Any, Self

import optuna
from optuna.storages import InMemoryStorage

from workbench.exceptions import TuningError
from workbench.store import shared

if TYPE_CHECKING:
    from workbench.tuning._tuner import Tuner


class GracefulStop:
    """Within this block, SIGTERM lets the running trial finish, then stops the study."""

    def __init__(self, study: optuna.Study):
        self.study = study
        self.previous: Any = None
        self.requested = False

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        with contextlib.suppress(RuntimeError):  # not inside optimize (between two calls)
            self.study.stop()

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


# -- many workers on one study ---------------------------------------------------------------
def optimize_in_processes(
    tuner: Tuner,
    X: Any,
    y: Any,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
) -> list[int]:
    """Run trials in ``n_jobs`` processes that share the study through the store."""
    from joblib import Parallel, delayed, effective_n_jobs

    if isinstance(tuner._open_storage(), InMemoryStorage):
        raise TuningError(
            f"n_jobs={n_jobs} runs trials in several processes, which share the study through "
            f"the store, but the store is in memory ({tuner.storage!r}). Use the embedded "
            f"store (storage=None), a journal file path or a database URL."
        )
    study = tuner.study  # created here, once, before the workers join it
    stop_after = None
    if n_trials is not None:
        stop_after = len(study.get_trials(deepcopy=False)) + n_trials
    jobs = effective_n_jobs(n_jobs)
    resolved = shared.resolve(tuner.storage)
    numbers = Parallel(n_jobs=jobs, backend="loky")(
        delayed(work_in_process)(tuner, resolved, X, y, n_trials, timeout, stop_after, seed)
        for seed in range(jobs)
    )
    return sorted(number for chunk in numbers for number in chunk)


def work_in_process(
    tuner: Tuner,
    storage: Any,
    X: Any,
    y: Any,
    n_trials: int | None,
    timeout: float | None,
    stop_after: int | None,
    seed: int,
) -> list[int]:
    tuner.storage = storage
    tuner._study = None
    tuner.refit = False
    tuner.trials_run_ = []
    tuner.sampler.reseed_rng()
    tuner._optimize_here(
        tuner.study, X, y, n_trials=n_trials, timeout=timeout, stop_after=stop_after
    )
    return tuner.trials_run_


def run_worker(
    tuner: Tuner,
    X: Any,
    y: Any = None,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
) -> list[int]:
    """Join ``tuner``'s study and run trials until ``n_trials`` trials exist in the study, the
    timeout passes, or SIGTERM (finish the running trial) / Ctrl-C (stop now); return the
    numbers of the trials this worker ran.
    """
    tuner.refit = False
    tuner._fresh_pending = False  # a worker joins; it never deletes what others recorded
    tuner.evaluation.prepare(tuner._base, X, y)
    study = tuner.study
    with GracefulStop(study) as stop:
        if not stop.requested:
            tuner._optimize_here(
                study,
                X,
                y,
                n_trials=n_trials,
                timeout=timeout,
                stop_after=n_trials,
            )
    return list(tuner.trials_run_)
