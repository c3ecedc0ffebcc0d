"""The run/study store: tuning studies and plain epoch runs on an Optuna storage.

Both are Optuna studies (a run holds one trial) in one store: by default the journal file
``.workbench/journal.log`` in the working directory; else any Optuna storage URL (SQLite,
PostgreSQL) or journal path, given as ``storage=`` or by ``$WORKBENCH_STORAGE``.

This package stands at the bottom of Workbench beside the core: importing it loads neither
scikit-learn nor the core, so that the Jupyter server can browse stores on its own. What the
other layers share (record keys, opening a storage, recording runs) is in
:mod:`workbench.store.shared`.

Examples
--------
>>> from optuna.storages import InMemoryStorage
>>> store = open_store(InMemoryStorage())
>>> store.studies().empty, store.runs().empty
(True, True)
"""

from workbench.store._browse import Store
from workbench.store._compare import Comparison
from workbench.store._compare_stores import compare
from workbench.store._history import History
from workbench.store._schema import SCHEMA_VERSION
from workbench.store._schema import TrialRecord
from workbench.store._stores import StoreInfo
from workbench.store._stores import open_store
from workbench.store._stores import stores

__all__ = [
    "SCHEMA_VERSION",
    "Comparison",
    "History",
    "Store",
    "StoreInfo",
    "TrialRecord",
    "compare",
    "open_store",
    "stores",
]
