"""What Workbench's layers share of the store: record keys, opening, recording, liveness.

Users work with :mod:`workbench.store` (``open_store``, ``stores``, ``Store``, ...); the
tuning, training and view layers and the server also need the keys a record is written
under, the way a storage is opened and named, and the helpers that record runs. They import
them from here, as step authors import from :mod:`workbench.core.authoring`.
"""

from workbench.store._browse import SUMMARY_COLUMNS, TRIAL_COLUMNS
from workbench.store._compare import ItemRef, chart_of, compare_refs, find_item
from workbench.store._journal import CUT_SUFFIX
from workbench.store._liveness import fail_stale_trials, worker_lease
from workbench.store._open import (
    DEFAULT_DIRECTORY,
    DEFAULT_GRACE_PERIOD,
    DEFAULT_HEARTBEAT_INTERVAL,
    ENV_VAR,
    JOURNAL_NAME,
    MEMORY,
    StorageLike,
    describe,
    journal_path,
    open_storage,
    resolve,
)
from workbench.store._recording import (
    RunRecorder,
    make_record,
    metric_direction,
    record_run,
    run_value,
)
from workbench.store._schema import (
    CONDITIONS_KEY,
    ERROR_KEY,
    KIND_KEY,
    METRIC_KEY,
    RECORD_KEY,
    SCHEMA_KEY,
    SETUP_KEY,
    SPACE_KEY,
    STRUCTURE_KEY,
    WORKER_KEY,
    decode_history,
    encode_history,
    to_json_value,
)

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
    "SETUP_KEY",
    "SPACE_KEY",
    "STRUCTURE_KEY",
    "SUMMARY_COLUMNS",
    "TRIAL_COLUMNS",
    "WORKER_KEY",
    "ItemRef",
    "RunRecorder",
    "StorageLike",
    "chart_of",
    "compare_refs",
    "decode_history",
    "describe",
    "encode_history",
    "fail_stale_trials",
    "find_item",
    "journal_path",
    "make_record",
    "metric_direction",
    "open_storage",
    "record_run",
    "resolve",
    "run_value",
    "to_json_value",
    "worker_lease",
]
