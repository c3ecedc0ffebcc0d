"""What Workbench's layers share of the store: record keys, opening, recording, liveness, and
the domain rules (which way is better for a statistic, a trial's row, the best so far, which
History columns are statistics, a trial's own structure, where a run's pipeline changed).

Users work with :mod:`workbench.store` (``open_store``, ``stores``, ``Store``, ...); the
tuning, training and view layers and the server also need the keys a record is written
under, the way a storage is opened and named, and the helpers that record runs. They import
them from here, as step authors import from :mod:`workbench.core.authoring`.
"""

from workbench.store._browse import SUMMARY_COLUMNS
from workbench.store._compare import ItemRef, chart_of, compare_refs, find_item, find_items
from workbench.store._direction import lower_is_better, metric_direction
from workbench.store._history import (
    MarkTracker,
    final_statistics,
    history_marks,
    is_statistic,
    split_statistic,
)
from workbench.store._journal import CUT_SUFFIX
from workbench.store._kept import (
    CHECKPOINT_KEY,
    EXTENDS_KEY,
    KEPT_PREFIX,
    RESUMES_KEY,
    VERSION_KEY,
    format_bytes,
    kept_bytes,
    kept_key,
    kept_pipelines,
    split_version,
    version_name,
)
from workbench.store._lineage import (
    REUSED_KEY,
    lineage_of,
    lineage_text,
    resumed_by,
    version_fields,
)
from workbench.store._liveness import fail_stale_trials, finds_dead_workers, worker_lease
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
from workbench.store._trials import (
    TRIAL_COLUMNS,
    BestSoFar,
    best_so_far,
    better,
    raw_trial,
    trial_row,
    trial_structure,
    trials_frame,
)

__all__ = [
    "CHECKPOINT_KEY",
    "CONDITIONS_KEY",
    "CUT_SUFFIX",
    "DEFAULT_DIRECTORY",
    "DEFAULT_GRACE_PERIOD",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "ENV_VAR",
    "ERROR_KEY",
    "EXTENDS_KEY",
    "JOURNAL_NAME",
    "KEPT_PREFIX",
    "KIND_KEY",
    "MEMORY",
    "METRIC_KEY",
    "RECORD_KEY",
    "RESUMES_KEY",
    "REUSED_KEY",
    "SCHEMA_KEY",
    "SETUP_KEY",
    "SPACE_KEY",
    "STRUCTURE_KEY",
    "SUMMARY_COLUMNS",
    "TRIAL_COLUMNS",
    "VERSION_KEY",
    "WORKER_KEY",
    "BestSoFar",
    "ItemRef",
    "MarkTracker",
    "RunRecorder",
    "StorageLike",
    "best_so_far",
    "better",
    "chart_of",
    "compare_refs",
    "decode_history",
    "describe",
    "encode_history",
    "fail_stale_trials",
    "final_statistics",
    "find_item",
    "find_items",
    "finds_dead_workers",
    "format_bytes",
    "history_marks",
    "is_statistic",
    "journal_path",
    "kept_bytes",
    "kept_key",
    "kept_pipelines",
    "lineage_of",
    "lineage_text",
    "lower_is_better",
    "make_record",
    "metric_direction",
    "open_storage",
    "raw_trial",
    "record_run",
    "resolve",
    "resumed_by",
    "run_value",
    "split_statistic",
    "split_version",
    "to_json_value",
    "trial_row",
    "trial_structure",
    "trials_frame",
    "version_fields",
    "version_name",
    "worker_lease",
]
