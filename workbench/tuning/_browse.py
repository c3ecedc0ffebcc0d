"""Browse the store from Python: studies, runs and trials as DataFrames, any recorded History."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
import pandas as pd

from workbench import store
from workbench.store import shared


def studies(storage: shared.StorageLike = None) -> pd.DataFrame:
    """Every study and run in the store: name, kind, metric, direction, counts, best value.

    ``storage`` defaults to ``$WORKBENCH_STORAGE``, else ``.workbench/journal.log`` here. Built
    on :func:`workbench.store.open_store` (read-only: listing creates nothing), whose
    ``studies()`` and ``runs()`` list the two kinds apart.

    Examples
    --------
    >>> list(studies(":memory:").columns[:4])
    ['name', 'kind', 'direction', 'trials']
    """
    frame = store.open_store(storage, readonly=True).summaries()
    frame = frame.rename(columns={"n_trials": "trials"})
    columns = ["name", "kind", "direction", "trials", "complete", "pruned", "fail",
               "running", "waiting", "best_value", "started", "metric", "last_change"]  # fmt: skip
    return frame[columns]


def load_history(name: str, trial: int = 0, *, storage: shared.StorageLike = None) -> pd.DataFrame:
    """The per-epoch History recorded for ``trial`` of study ``name``; a run's trial is 0.

    Plain epoch runs (``fit_epochs``) and tuning trials are browsed alike.

    Examples
    --------
    >>> load_history("no-such-run", storage=":memory:")
    Traceback (most recent call last):
    ...
    workbench.exceptions.StorageError: No study or run named 'no-such-run' in the store ...
    """
    return store.open_store(storage, readonly=True).history(name, trial)


_FIXED_COLUMNS = shared.TRIAL_COLUMNS


def trials_frame(study: optuna.Study, space: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The trials of ``study`` as a DataFrame, with the columns of
    :meth:`workbench.store.Store.trials` (see :meth:`Tuner.trials_dataframe`)."""
    return shared.trials_frame(
        study.get_trials(deepcopy=False), paths=space or (), several=len(study.directions) > 1
    )
