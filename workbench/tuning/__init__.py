"""Tuning with Optuna: studies over a pipeline's own space, epoch pruning, many workers.

Optuna is the engine (samplers, pruners, storages); this package turns a pipeline's space into
trials, scores them, and records them in the Workbench store.
"""

from workbench.tuning._background import BackgroundStudy
from workbench.tuning._browse import load_history
from workbench.tuning._browse import studies
from workbench.tuning._browse import trials_frame
from workbench.tuning._load_trial import load_trial
from workbench.tuning._points import sample_hyperparams
from workbench.tuning._processes import run_worker
from workbench.tuning._tuner import Tuner
from workbench.tuning._tuner import tune
from workbench.tuning._workers import load_target

__all__ = [
    "BackgroundStudy",
    "Tuner",
    "load_history",
    "load_target",
    "load_trial",
    "run_worker",
    "sample_hyperparams",
    "studies",
    "trials_frame",
    "tune",
]
