"""Liveness of trials: a running trial whose worker died is marked failed.

Optuna's journal storage has no heartbeat. Trials on a journal file are therefore watched with
a lock the worker process holds for its lifetime (``filelock``: an OS file lock, which the
operating system releases when the process dies, even by SIGKILL), in
``<journal>.workers/<worker id>.lock``; a running trial whose worker's lock is free is stale.
RDB storages use Optuna's own heartbeats (``heartbeat_interval``, ``grace_period``); Optuna
5.1's journal storage implements none (it is no ``BaseHeartbeat``).

A stale trial that left an epoch checkpoint (``workbench:checkpoint``, see ``_kept``) is
retried by Optuna's ``RetryHeartbeatStaleTrialCallback`` (``RetryFailedTrialCallback`` before
Optuna 4.9): a waiting copy of the trial, with its params, which the next worker runs first and
which finds the trial it retries with ``retry_history``. On RDB storages Optuna calls it itself
when its heartbeats find the trial stale (:func:`retry_resumable` is the storage's
``heartbeat_stale_trial_callback``); on journal files :func:`fail_stale_trials` calls it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import uuid
from pathlib import Path

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.trial import TrialState

from workbench.exceptions import StorageError
from workbench.store._open import journal_path
from workbench.store._retry import retry_resumable
from workbench.store._schema import ERROR_KEY, WORKER_KEY

STALE_MESSAGE = (
    "WorkerLost: the process running this trial stopped without finishing it (killed, or its "
    "machine went down); the trial was marked failed when the study resumed."
)


class _Lease:
    """This process's lock in ``<journal>.workers/``: held while the process lives."""

    def __init__(self, directory: Path):
        from filelock import FileLock

        self.worker_id = uuid.uuid4().hex
        self.path = directory / f"{self.worker_id}.lock"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.lock = FileLock(self.path, thread_local=False)
            self.lock.acquire(blocking=False)
        except OSError as error:
            raise StorageError(
                f"Cannot register this process as a worker of the store: "
                f"{error.strerror or error} ({self.path}). Make the folder {directory} "
                f"writable for this user, or record into another store (storage=... or "
                f"$WORKBENCH_STORAGE)."
            ) from error
        self.pid = os.getpid()
        atexit.register(self.close)

    def close(self) -> None:
        if os.getpid() != self.pid or not self.lock.is_locked:
            return
        self.lock.release()
        with contextlib.suppress(OSError):
            self.path.unlink()


_LEASES: dict[str, _Lease] = {}
_LEASES_LOCK = threading.Lock()


def _workers_directory(journal: str) -> Path:
    return Path(journal + ".workers")


def worker_lease(storage: BaseStorage) -> str | None:
    """The id under which this process runs trials on ``storage`` (journal files only)."""
    journal = journal_path(storage)
    if journal is None:
        return None
    with _LEASES_LOCK:
        lease = _LEASES.get(journal)
        if lease is None or lease.pid != os.getpid():  # a forked child takes its own lease
            lease = _LEASES[journal] = _Lease(_workers_directory(journal))
        return lease.worker_id


def _worker_alive(journal: str, worker_id: str) -> bool:
    from filelock import FileLock, Timeout

    own = _LEASES.get(journal)
    if own is not None and own.worker_id == worker_id and own.pid == os.getpid():
        return True
    path = _workers_directory(journal) / f"{worker_id}.lock"
    if not path.exists():
        return False
    probe = FileLock(path, thread_local=False)
    try:
        probe.acquire(blocking=False)
    except Timeout:
        return True
    except OSError:  # cannot even open it: nobody can be holding it for us to see
        return False
    probe.release()
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def finds_dead_workers(storage: BaseStorage) -> bool:
    """Whether a trial whose worker died is found on ``storage``: on a journal file (the
    workers' locks) or on a store with Optuna's heartbeats on; not in memory, nor on a
    database without heartbeats."""
    return journal_path(storage) is not None or is_heartbeat_enabled(storage)


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
            storage.set_trial_user_attr(trial._trial_id, ERROR_KEY, STALE_MESSAGE)
            storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another process got there first
        failed.append(trial.number)
        retry_resumable(study, storage.get_trial(trial._trial_id))
    return failed
