"""Stale trials that left an epoch checkpoint are retried, by Optuna's own retry callback."""

from __future__ import annotations

import copy
import warnings

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial

from workbench.store._kept import CHECKPOINT_KEY, RESUMES_KEY
from workbench.store._schema import ERROR_KEY, WORKER_KEY

#: How many times a trial whose workers keep dying is resumed before it stays failed.
MAX_RESUMES = 3


def retry_resumable(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue a retry of the stale ``trial`` (Optuna's ``RetryHeartbeatStaleTrialCallback``)
    when it left an epoch checkpoint to resume from; others stay failed.

    The retry copies the trial's attributes, all but the dead worker's id and the error, and
    records in ``workbench:resumes`` the number of the trial it resumes (its lineage).
    """
    if trial.system_attrs.get(CHECKPOINT_KEY) is None:
        return
    clean = copy.deepcopy(trial)
    clean.system_attrs = {k: v for k, v in trial.system_attrs.items() if k != WORKER_KEY}
    clean.user_attrs = {k: v for k, v in trial.user_attrs.items() if k != ERROR_KEY}
    clean.user_attrs[RESUMES_KEY] = trial.number
    with warnings.catch_warnings():  # "experimental" in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = RetryHeartbeatStaleTrialCallback(
            max_retry=MAX_RESUMES, inherit_intermediate_values=True
        )
        retry(study, clean)
