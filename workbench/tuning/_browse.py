"""Browse the store from Python: studies and runs as a DataFrame, any recorded History."""

from __future__ import annotations

import pandas as pd

from workbench._internal import store


def studies(storage: store.StorageLike = None) -> pd.DataFrame:
    """Every study and run in the store: name, kind, direction, trial counts, best value.

    ``storage`` defaults to ``$WORKBENCH_STORAGE``, else ``.workbench/journal.log`` here.

    Examples
    --------
    >>> list(studies(":memory:").columns[:4])
    ['name', 'kind', 'direction', 'trials']
    """
    columns = ["name", "kind", "direction", "trials", "complete", "pruned", "fail",
               "running", "waiting", "best_value", "started"]  # fmt: skip
    return pd.DataFrame(store.studies(storage), columns=columns)


def load_history(name: str, trial: int = 0, *, storage: store.StorageLike = None) -> pd.DataFrame:
    """The per-epoch History recorded for ``trial`` of study ``name``; a run's trial is 0.

    Plain epoch runs (``fit_epochs``) and tuning trials are browsed alike.

    Examples
    --------
    >>> load_history("no-such-run", storage=":memory:")
    Traceback (most recent call last):
    ...
    workbench.exceptions.StorageError: No study or run named 'no-such-run' in the store ...
    """
    frame: pd.DataFrame = store.load_history(name, trial, storage=storage)
    return frame
