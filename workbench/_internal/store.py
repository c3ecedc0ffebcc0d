"""The run/study store: an Optuna storage chosen by argument, environment or default.

Resolution, first match wins:

1. an explicit ``storage`` argument: an Optuna storage object, a storage URL
   (``sqlite:///x.db``, ``postgresql://user@host/db``, any SQLAlchemy URL), a path to a journal
   file (or to a directory, which gets ``journal.log`` inside), or ``":memory:"``;
2. the ``WORKBENCH_STORAGE`` environment variable, read the same way;
3. the embedded store: Optuna's journal file ``.workbench/journal.log`` in the working directory.

Studies and plain epoch runs both live there as Optuna studies; a run is a study holding one
trial, marked ``workbench:kind = "run"`` in its user attributes.

Optuna's journal storage has no heartbeat. Trials on the embedded store are therefore watched
with a lock the worker process holds for its lifetime (``fcntl.flock``: the kernel releases it
when the process dies, even by SIGKILL); a running trial whose worker's lock is free is stale and
is marked failed. RDB storages use Optuna's own heartbeats (``heartbeat_interval``,
``grace_period``, :func:`optuna.storages.fail_stale_trials`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import math
import os
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from workbench.exceptions import StorageError

ENV_VAR = "WORKBENCH_STORAGE"
DEFAULT_DIRECTORY = ".workbench"
JOURNAL_NAME = "journal.log"
MEMORY = ":memory:"

KIND_KEY = "workbench:kind"
WORKER_KEY = "workbench:worker"
ERROR_KEY = "workbench:error"
RECORD_KEY = "workbench:record"

#: Seconds between heartbeats and before a silent trial counts as stale, on RDB storages.
DEFAULT_HEARTBEAT_INTERVAL = 10
DEFAULT_GRACE_PERIOD = 30

StorageLike = str | os.PathLike[str] | BaseStorage | None

_CACHE: dict[tuple[str, int | None, int | None], BaseStorage] = {}
_CACHE_LOCK = threading.Lock()


# -- resolving and opening --------------------------------------------------------------------
def resolve(storage: StorageLike = None) -> str | BaseStorage:
    """The storage to use: an Optuna storage object, an RDB URL, a journal path or ``:memory:``.

    Journal paths come back absolute, so that a later change of working directory does not
    move the store.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if storage is None:
        storage = os.environ.get(ENV_VAR) or None
    if storage is None:
        return str(Path.cwd() / DEFAULT_DIRECTORY / JOURNAL_NAME)
    if not isinstance(storage, str | os.PathLike):
        raise StorageError(
            f"A store must be an Optuna storage, a storage URL or a journal file path, but got "
            f"{storage!r}. For example 'sqlite:///studies.db', "
            f"'postgresql://user@host/db' or '.workbench/journal.log'."
        )
    text = os.fspath(storage).strip()
    if not text:
        raise StorageError(
            f"A store URL or path must not be empty (check ${ENV_VAR}); leave it unset for the "
            f"embedded store under {DEFAULT_DIRECTORY}/."
        )
    if text == MEMORY or "://" in text:
        return text
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / JOURNAL_NAME
    return str(path.resolve())


def describe(storage: StorageLike = None) -> str:
    """A printable name of the store, with any password hidden."""
    resolved = resolve(storage)
    if isinstance(resolved, BaseStorage):
        return type(resolved).__name__
    if "://" in resolved:
        return _hide_password(resolved)
    return resolved


def _hide_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: show it as given
        return url


def open_storage(
    storage: StorageLike = None,
    *,
    heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = DEFAULT_GRACE_PERIOD,
) -> BaseStorage:
    """Open (once per process) the store that :func:`resolve` names.

    Raises :class:`~workbench.exceptions.StorageError` when it cannot be reached; nothing is
    created in that case.
    """
    resolved = resolve(storage)
    if isinstance(resolved, BaseStorage):
        return resolved
    key = (resolved, heartbeat_interval, grace_period)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if resolved == MEMORY:
            opened: BaseStorage = InMemoryStorage()
        elif "://" in resolved:
            opened = _open_rdb(resolved, heartbeat_interval, grace_period)
        else:
            opened = _open_journal(resolved)
        _CACHE[key] = opened
        return opened


def _open_rdb(url: str, heartbeat_interval: int | None, grace_period: int | None) -> BaseStorage:
    attempts = 3  # workers that open a new database at once race to create its tables
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(
                    url,
                    engine_kwargs={"pool_pre_ping": True},
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                )
        except ImportError as error:
            raise StorageError(
                f"The store {_hide_password(url)!r} needs a database driver that is not "
                f"installed: {error}. For PostgreSQL: pip install 'workbench[postgres]'."
            ) from error
        except Exception as error:
            if _lost_creation_race(error) and attempt < attempts - 1:
                continue
            raise StorageError(
                f"Cannot reach the store {_hide_password(url)!r}: {type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}. Check that the server "
                f"runs and the URL (dialect://user:password@host:port/database) is right, or "
                f"leave ${ENV_VAR} unset to use the embedded store under {DEFAULT_DIRECTORY}/."
            ) from error
    raise AssertionError("unreachable")  # pragma: no cover


def _lost_creation_race(error: Exception) -> bool:
    try:
        from sqlalchemy.exc import IntegrityError, ProgrammingError
    except ImportError:  # pragma: no cover - optuna depends on sqlalchemy
        return False
    return isinstance(error, IntegrityError | ProgrammingError) and (
        "already exists" in str(error) or "duplicate key" in str(error)
    )


def _open_journal(path: str) -> BaseStorage:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(path))
    except OSError as error:
        raise StorageError(
            f"Cannot open the journal file {path!r}: {error.strerror or error}. Choose a "
            f"writable directory, or set ${ENV_VAR} to a database URL."
        ) from error


def journal_path(storage: BaseStorage) -> str | None:
    """The file behind a journal file storage, or None for any other storage."""
    if isinstance(storage, JournalStorage):
        backend = getattr(storage, "_backend", None)
        if isinstance(backend, JournalFileBackend):
            return str(backend._file_path)
    return None


# -- liveness of workers on the embedded store ------------------------------------------------
class _Lease:
    """This process's lock in ``<journal>.workers/``: held while the process lives."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.worker_id = uuid.uuid4().hex
        self.path = directory / f"{self.worker_id}.lock"
        self.handle = open(self.path, "w")  # noqa: SIM115 - held for the process's lifetime
        fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.pid = os.getpid()
        atexit.register(self.close)

    def close(self) -> None:
        if os.getpid() != self.pid or self.handle.closed:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.handle.close()


_LEASES: dict[str, _Lease] = {}


def _workers_directory(journal: str) -> Path:
    return Path(journal + ".workers")


def worker_lease(storage: BaseStorage) -> str | None:
    """The id under which this process runs trials on ``storage`` (journal files only)."""
    journal = journal_path(storage)
    if journal is None:
        return None
    with _CACHE_LOCK:
        lease = _LEASES.get(journal)
        if lease is None or lease.pid != os.getpid():  # a forked child takes its own lease
            lease = _LEASES[journal] = _Lease(_workers_directory(journal))
        return lease.worker_id


def _worker_alive(journal: str, worker_id: str) -> bool:
    own = _LEASES.get(journal)
    if own is not None and own.worker_id == worker_id and own.pid == os.getpid():
        return True
    path = _workers_directory(journal) / f"{worker_id}.lock"
    try:
        handle = open(path, "a")  # noqa: SIM115 - closed below
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        with contextlib.suppress(OSError):
            path.unlink()
        return False


def fail_stale_trials(study: optuna.Study) -> list[int]:
    """Mark failed the running trials whose worker died; return their numbers.

    RDB storages with heartbeats find them by Optuna's heartbeats (``grace_period`` seconds
    without one); journal files by the worker locks described above. Each gets the error
    message ``WorkerLost: ...`` in its ``workbench:error`` user attribute.
    """
    storage = study._storage
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if not running:
        return []
    journal = journal_path(storage)
    if journal is None:
        if not is_heartbeat_enabled(storage):
            return []
        stale_ids = set(storage._get_stale_trial_ids(study._study_id))  # type: ignore[attr-defined]
        stale = [trial for trial in running if trial._trial_id in stale_ids]
    else:
        stale = [
            trial
            for trial in running
            if isinstance(trial.system_attrs.get(WORKER_KEY), str)
            and not _worker_alive(journal, trial.system_attrs[WORKER_KEY])
        ]
    failed = []
    for trial in stale:
        try:
            storage.set_trial_user_attr(trial._trial_id, ERROR_KEY, _STALE_MESSAGE)
            storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another process got there first
        failed.append(trial.number)
    return failed


_STALE_MESSAGE = (
    "WorkerLost: the process running this trial stopped without finishing it (killed, or its "
    "machine went down); the trial was marked failed when the study resumed."
)


# -- plain data ---------------------------------------------------------------------------------
def to_plain(value: Any) -> Any:
    """JSON-ready data (what every storage accepts): numpy values, DataFrames; NaN -> None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return {
            "columns": [str(column) for column in value.columns],
            "data": [[to_plain(item) for item in row] for row in value.itertuples(index=False)],
        }
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return str(value)
    return repr(value)


def frame_from_plain(data: Mapping[str, Any] | None) -> Any:
    """Inverse of :func:`to_plain` for a DataFrame (an empty frame for None)."""
    import pandas as pd

    if not data:
        return pd.DataFrame()
    return pd.DataFrame(data["data"], columns=data["columns"])


# -- runs ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(verbosity, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def record_run(
    *,
    structure: Mapping[str, Any],
    hyperparams: Mapping[str, Any],
    history: Any,
    storage: StorageLike = None,
    run_name: str | None = None,
    value: float | None = None,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Record one plain fit (an epoch run) as a one-trial study; return the run's name.

    ``structure`` is the core's ``describe()`` of the pipeline, ``history`` its History,
    ``value`` the statistic a listing shows (0.0 when the run has none), ``error`` the message
    of a run that raised (the trial is then marked failed).
    """
    opened = open_storage(storage)
    name = run_name or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    try:
        with _quiet_optuna():  # a run is not a study the user made: no "new study" line
            study = optuna.create_study(storage=opened, study_name=name, load_if_exists=False)
    except optuna.exceptions.DuplicatedStudyError:
        raise StorageError(
            f"A study or run named {name!r} is already in the store {describe(storage)!r}. "
            f"Pass another run_name, or none to get a fresh one."
        ) from None
    study.set_user_attr(KIND_KEY, "run")
    study.set_user_attr("workbench:structure", to_plain(dict(structure)))
    record = to_plain({"hyperparams": dict(hyperparams), "history": history, **(extra or {})})
    user_attrs: dict[str, Any] = {RECORD_KEY: record}
    finite = value is not None and math.isfinite(value)
    if error is not None:
        user_attrs[ERROR_KEY] = error
    trial = optuna.trial.create_trial(
        state=TrialState.FAIL if error is not None else TrialState.COMPLETE,
        value=None if error is not None else (float(value) if finite else 0.0),  # type: ignore[arg-type]
        user_attrs=user_attrs,
    )
    study.add_trial(trial)
    return name


class RunRecorder:
    """Records an epoch run at its end; opened (and checked) before the run starts.

    The training layer uses it so that a store that cannot be reached is an error before any
    step is touched, and a run is recorded whether it ends well or raises.
    """

    def __init__(self, storage: StorageLike = None, run_name: str | None = None):
        self.storage = open_storage(storage)
        self.run_name = run_name
        if run_name is not None and run_name in optuna.get_all_study_names(storage=self.storage):
            raise StorageError(
                f"A study or run named {run_name!r} is already in the store "
                f"{describe(storage)!r}. Pass another run_name, or none to get a fresh one."
            )

    def __call__(self, pipeline: Any, history: Any, error: BaseException | None = None) -> str:
        describe_tree = getattr(pipeline, "describe", None)
        structure = (
            describe_tree() if callable(describe_tree) else {"class": type(pipeline).__name__}
        )
        get = getattr(pipeline, "get_hyperparams", None) or pipeline.get_params
        value, column = _run_value(history)
        message = None
        if error is not None:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return record_run(
            structure=structure,
            hyperparams={key: v for key, v in get().items() if _is_plain(v)},
            history=history,
            storage=self.storage,
            run_name=self.run_name,
            value=value,
            error=message,
            extra={"value_column": column},
        )


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _run_value(history: Any) -> tuple[float | None, str | None]:
    """The last row's first validation statistic, else its training loss."""
    columns = [str(c) for c in getattr(history, "columns", ())]
    if history is None or not len(history):
        return None, None
    for column in [c for c in columns if c.startswith("valid_")] + ["train_loss"]:
        if column in columns:
            value = history[column].iloc[-1]
            if isinstance(value, int | float) and math.isfinite(value):
                return float(value), column
    return None, None


def studies(storage: StorageLike = None) -> list[dict[str, Any]]:
    """One plain dict per study or run in the store: name, kind, direction, counts, best value."""
    opened = open_storage(storage)
    rows = []
    for summary in optuna.get_all_study_summaries(storage=opened, include_best_trial=False):
        study = optuna.load_study(study_name=summary.study_name, storage=opened)
        trials = study.get_trials(deepcopy=False)
        counts = {state.name.lower(): 0 for state in TrialState}
        for trial in trials:
            counts[trial.state.name.lower()] += 1
        best = None
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
        if complete:
            pick = max if summary.direction == optuna.study.StudyDirection.MAXIMIZE else min
            best = pick(t.value for t in complete if t.value is not None)
        rows.append(
            {
                "name": summary.study_name,
                "kind": summary.user_attrs.get(KIND_KEY, "study"),
                "direction": summary.direction.name.lower(),
                "trials": len(trials),
                **counts,
                "best_value": best,
                "started": summary.datetime_start,
            }
        )
    return rows


def load_history(name: str, trial: int = 0, *, storage: StorageLike = None) -> Any:
    """The History recorded for trial ``trial`` of study ``name`` (a run's only trial is 0)."""
    opened = open_storage(storage)
    try:
        study = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        import difflib

        names = optuna.get_all_study_names(storage=opened)
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise StorageError(
            f"No study or run named {name!r} in the store {describe(storage)!r}.{hint} "
            f"`workbench studies` lists them."
        ) from None
    for frozen in study.get_trials(deepcopy=False):
        if frozen.number == trial:
            history = (frozen.user_attrs.get(RECORD_KEY) or {}).get("history")
            return frame_from_plain(history_as_split(history))
    raise StorageError(
        f"{name!r} has no trial {trial!r}; it has {len(study.trials)} trial(s), numbered from 0."
    )


def history_as_split(history: Any) -> Any:
    """Stored History in the split form, also from the rows a pruned trial leaves."""
    if isinstance(history, list):
        columns: list[str] = []
        for row in history:
            columns += [key for key in row if key not in columns]
        return {"columns": columns, "data": [[row.get(c) for c in columns] for row in history]}
    return history
