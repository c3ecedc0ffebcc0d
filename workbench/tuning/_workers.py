"""Many workers on one study: processes on this machine, or ``workbench worker`` anywhere."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from optuna.storages import InMemoryStorage

from workbench import store
from workbench.exceptions import TuningError
from workbench.tuning._tuner import GracefulStop, Tuner


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
    resolved = store.resolve(tuner.storage)
    numbers = Parallel(n_jobs=jobs, backend="loky")(
        delayed(_work)(tuner, resolved, X, y, n_trials, timeout, stop_after, seed)
        for seed in range(jobs)
    )
    return sorted(number for chunk in numbers for number in chunk)


def _work(
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
                n_trials=None if n_trials is None else n_trials,
                timeout=timeout,
                stop_after=n_trials,
            )
    return list(tuner.trials_run_)


def load_target(target: str, *, tuner_name: str = "tuner") -> tuple[Tuner, Any, Any]:
    """``(tuner, X, y)`` from ``path/to/file.py[:name]`` or ``package.module[:name]``.

    The module defines the tuner (default name ``tuner``) and the data as ``X`` and ``y``
    (``y`` may be missing for unsupervised pipelines). A notebook exported with
    ``jupyter nbconvert --to script`` works as it is, if its calls to ``optimize`` are left out
    or guarded by ``if __name__ == "__main__":``.
    """
    location, _, name = target.partition(":")
    name = name or tuner_name
    module = _import(location)
    if not hasattr(module, name):
        tuners = [key for key, value in vars(module).items() if isinstance(value, Tuner)]
        raise TuningError(
            f"{location!r} defines no {name!r}; its Tuner objects are {tuners or 'none'}. "
            f"Name one after a colon: {location}:<name>."
        )
    tuner = getattr(module, name)
    if not isinstance(tuner, Tuner):
        raise TuningError(
            f"{location}:{name} must be a workbench.tuning.Tuner, but got {type(tuner).__name__}."
        )
    if not hasattr(module, "X"):
        raise TuningError(
            f"{location!r} defines no data: the worker reads the training data from its "
            f"module-level X (and y)."
        )
    return tuner, module.X, getattr(module, "y", None)


def _import(location: str) -> Any:
    if location.endswith(".py") or os.sep in location:
        path = Path(location).resolve()
        if not path.is_file():
            raise TuningError(
                f"No study file {str(path)!r}. Pass a Python file (a notebook exported with "
                f"jupyter nbconvert --to script) or an importable module name."
            )
        spec = importlib.util.spec_from_file_location(f"workbench_study_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        return module
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        raise TuningError(
            f"Cannot import the study module {location!r}: {error}. Pass a file path "
            f"(study.py) or a module on sys.path."
        ) from error
