"""Trials in several processes: worker processes started by ``optimize(n_jobs=...)``, and
``workbench worker`` processes that join a study through the store (:func:`run_worker`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Protocol, Self

import optuna

from workbench.store import shared


class StudyWorker(Protocol):
    """What the processes here need of a tuner (:class:`~workbench.tuning.Tuner` is one)."""

    storage: Any
    trials_run_: list[int]

    @property
    def study(self) -> optuna.Study: ...

    def worker(self, storage: Any = None) -> StudyWorker: ...

    def run_trials(
        self,
        X: Any,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        until: int | None = None,
    ) -> list[int]: ...


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
    tuner: StudyWorker,
    X: Any,
    y: Any,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
) -> list[int]:
    """Run trials in ``n_jobs`` processes that share the study through the store (which the
    caller checked is not in memory); the evaluation is prepared, and travels with the tuner."""
    from joblib import Parallel, delayed, effective_n_jobs

    study = tuner.study  # created here, once, before the workers join it
    until = None
    if n_trials is not None:
        until = len(study.get_trials(deepcopy=False)) + n_trials
    jobs = effective_n_jobs(n_jobs)
    worker = tuner.worker(shared.resolve(tuner.storage))
    numbers = Parallel(n_jobs=jobs, backend="loky")(
        delayed(work_in_process)(worker, X, y, n_trials, timeout, until, seed)
        for seed in range(jobs)
    )
    return sorted(number for chunk in numbers for number in chunk)


def work_in_process(
    worker: StudyWorker,
    X: Any,
    y: Any,
    n_trials: int | None,
    timeout: float | None,
    until: int | None,
    seed: int,
) -> list[int]:
    """One worker process's trials (``seed`` tells the processes apart)."""
    return worker.worker().run_trials(X, y, n_trials=n_trials, timeout=timeout, until=until)


def run_worker(
    tuner: StudyWorker,
    X: Any,
    y: Any = None,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
) -> list[int]:
    """Join ``tuner``'s study and run trials until ``n_trials`` trials exist in the study, the
    timeout passes, or SIGTERM (finish the running trial) / Ctrl-C (stop now); return the
    numbers of the trials this worker ran.

    The worker never deletes what others recorded (``fresh`` is ignored) and never refits;
    ``tuner.trials_run_`` gets the numbers, also when Ctrl-C ends the worker.
    """
    worker = tuner.worker()
    with GracefulStop(worker.study) as stop:
        try:
            if not stop.requested:
                worker.run_trials(X, y, n_trials=n_trials, timeout=timeout, until=n_trials)
        finally:  # Ctrl-C too: the tuner keeps the numbers of the trials that were recorded
            tuner.trials_run_ += worker.trials_run_
    return list(worker.trials_run_)
