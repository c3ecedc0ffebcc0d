"""The run/study store: tuning studies and plain epoch runs on an Optuna storage.

Both are Optuna studies (a run holds one trial) in one store: by default the journal file
``.workbench/journal.log`` in the working directory; else any Optuna storage URL (SQLite,
PostgreSQL) or journal path, given as ``storage=`` or by ``$WORKBENCH_STORAGE``.

This package stands at the bottom of Workbench beside the core: importing it loads neither
scikit-learn nor the core, so that the Jupyter server can browse stores on its own.

Examples
--------
>>> from optuna.storages import InMemoryStorage
>>> store = open_store(InMemoryStorage())
>>> store.studies().empty, store.runs().empty
(True, True)
"""

from workbench.store._browse import SUMMARY_COLUMNS
from workbench.store._browse import TRIAL_COLUMNS
from workbench.store._browse import Store
from workbench.store._history import History
from workbench.store._journal import CUT_SUFFIX
from workbench.store._liveness import fail_stale_trials
from workbench.store._liveness import worker_lease
from workbench.store._open import DEFAULT_DIRECTORY
from workbench.store._open import DEFAULT_GRACE_PERIOD
from workbench.store._open import DEFAULT_HEARTBEAT_INTERVAL
from workbench.store._open import ENV_VAR
from workbench.store._open import JOURNAL_NAME
from workbench.store._open import MEMORY
from workbench.store._open import StorageLike
from workbench.store._open import describe
from workbench.store._open import journal_path
from workbench.store._open import open_storage
from workbench.store._open import resolve
from workbench.store._recording import RunRecorder
from workbench.store._recording import make_record
from workbench.store._recording import metric_direction
from workbench.store._recording import record_run
from workbench.store._recording import run_value
from workbench.store._schema import CONDITIONS_KEY
from workbench.store._schema import ERROR_KEY
from workbench.store._schema import KIND_KEY
from workbench.store._schema import METRIC_KEY
from workbench.store._schema import RECORD_KEY
from workbench.store._schema import SCHEMA_KEY
from workbench.store._schema import SCHEMA_VERSION
from workbench.store._schema import SETUP_KEY
from workbench.store._schema import SPACE_KEY
from workbench.store._schema import STRUCTURE_KEY
from workbench.store._schema import WORKER_KEY
from workbench.store._schema import TrialRecord
from workbench.store._schema import decode_history
from workbench.store._schema import encode_history
from workbench.store._schema import to_json_value
from workbench.store._stores import StoreInfo
from workbench.store._stores import open_store
from workbench.store._stores import stores

__all__ = [
    "CONDITIONS_KEY",
    "CUT_SUFFIX",
    "DEFAULT_DIRECTORY",
    "DEFAULT_GRACE_PERIOD",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "ENV_VAR",
    "ERROR_KEY",
    "JOURNAL_NAME",
    "KIND_KEY",
    "MEMORY",
    "METRIC_KEY",
    "RECORD_KEY",
    "SCHEMA_KEY",
    "SCHEMA_VERSION",
    "SETUP_KEY",
    "SPACE_KEY",
    "STRUCTURE_KEY",
    "SUMMARY_COLUMNS",
    "TRIAL_COLUMNS",
    "WORKER_KEY",
    "History",
    "RunRecorder",
    "StorageLike",
    "Store",
    "StoreInfo",
    "TrialRecord",
    "decode_history",
    "describe",
    "encode_history",
    "fail_stale_trials",
    "journal_path",
    "make_record",
    "metric_direction",
    "open_storage",
    "open_store",
    "record_run",
    "resolve",
    "run_value",
    "stores",
    "to_json_value",
    "worker_lease",
]
