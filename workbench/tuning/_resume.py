"""Resume after a crash: each epoch of a trial leaves a checkpoint in the study's artifact
store, and a trial whose worker died is taken up by the next worker from its last checkpoint.

A trial of an epoch run on a persistent store records, in its system attribute
``workbench:checkpoint``, where to resume from: ``{"epoch": 0}`` before its first epoch ends
(resume from the start), then after each epoch the last checkpoint, an artifact that replaces
the one before::

    {"artifact_id", "sha256", "bytes", "epoch", "store", "replaces"}

The artifact is a zip holding the pipeline in Workbench's secure format (``pipeline.wbz``) and
``state.json``: the :class:`~workbench.training.EpochCheckpoint` (the History so far, the epoch,
the random generator's states). Whichever way the trial ends (complete, pruned, failed by an
exception, Ctrl-C), its checkpoint is removed. A trial whose worker was killed keeps it: the
store marks the trial failed and queues Optuna's retry of it (``workbench.store``'s liveness),
and the retry, a new trial with the same params, loads the checkpoint of the trial it retries
(``RetryHeartbeatStaleTrialCallback.retry_history``), through the trust rules of
:func:`~workbench.tuning.load_trial`: the checksum recorded in the store must match, and only
the types the tuner's own pipeline is made of are trusted; nothing in the file runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import uuid
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback

from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.store import shared
from workbench.tuning._keep import Keeper, describe_store, read_checked
from workbench.tuning._points import steps

LOGGER = logging.getLogger("workbench.tuning")
FORMAT = 1
PIPELINE_MEMBER = "pipeline.wbz"
STATE_MEMBER = "state.json"
START = {"epoch": 0}  # resumable, from the start: no epoch ended yet


class TrialCheckpoints:
    """One trial's checkpoints: where it resumes from, its own after each epoch, and their
    removal when it ends. An inactive one (no epoch run, an in-memory store) does nothing."""

    def __init__(
        self,
        trial: Any = None,
        store: Any = None,
        trusted: tuple[str, ...] = (),
        owner: Checkpoints | None = None,
    ):
        self.trial, self.store, self.trusted, self.owner = trial, store, trusted, owner
        self.active = trial is not None
        self.record: dict[str, Any] | None = None  # the checkpoint the trial resumes from
        self.source: int | None = None  # the number of the trial it resumes
        self.resume_from: Any = None  # an EpochCheckpoint, once loaded
        self.pipeline: Any = None
        self.reported: set[int] = set()  # epochs whose values the retry inherited

    def begin(self) -> None:
        """Find the checkpoint this trial resumes from, if it retries a trial, and record it
        as the trial's own (so that a retry of this trial finds it too)."""
        storage, trial_id = self.trial.storage, self.trial._trial_id
        frozen = storage.get_trial(trial_id)
        self.reported = set(frozen.intermediate_values)
        with warnings.catch_warnings():  # "experimental" in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retried = RetryHeartbeatStaleTrialCallback.retry_history(frozen)
        if retried:
            self.source = int(retried[-1])
            study_id = self.trial.study._study_id
            previous = storage.get_trial(
                storage.get_trial_id_from_study_id_trial_number(study_id, self.source)
            )
            record = previous.system_attrs.get(shared.CHECKPOINT_KEY)
            self.record = dict(record) if isinstance(record, Mapping) else None
        storage.set_trial_system_attr(trial_id, shared.CHECKPOINT_KEY, self.record or START)

    def start(self, candidate: Any) -> Any:
        """The pipeline to train: the checkpoint's, when resuming, else ``candidate``."""
        self.pipeline = candidate
        if self.active and self.record is not None and self.record.get("artifact_id"):
            assert self.source is not None
            data = read_checkpoint(self.store, self.record, self.trial, self.source)
            self.pipeline, self.resume_from = unpack_checkpoint(
                data, self.trusted, self.source, self.trial.study.study_name
            )
        return self.pipeline

    def save(self, state: Any) -> None:
        """Write the checkpoint after an epoch (``fit_epochs(checkpoint=...)``) in place of
        the last one. A checkpoint that cannot be written stops checkpointing, not the trial."""
        if not self.active:
            return
        try:
            data = pack_checkpoint(self.pipeline, state)
            artifact_id = f"checkpoint-{uuid.uuid4().hex}"
            self.store.write(artifact_id, io.BytesIO(data))
        except Exception as error:
            self.active = False
            if self.owner is not None:
                self.owner.active = False  # the next trials would fail the same way
            LOGGER.warning(
                "Trial %d cannot leave an epoch checkpoint (%s); no more checkpoints are "
                "written in this run, and a trial whose worker dies is not resumed. Register "
                "a saver for the step (workbench.persistence.register_saver) or check the "
                "artifact store.",
                self.trial.number,
                error,
            )
            return
        record = {
            "artifact_id": artifact_id,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "epoch": int(state.epoch),
            "store": describe_store(self.store),
            # what this one replaces: a worker killed before it removed that is cleaned after
            "replaces": (self.record or {}).get("artifact_id"),
        }
        self.trial.storage.set_trial_system_attr(
            self.trial._trial_id, shared.CHECKPOINT_KEY, record
        )
        self._remove(self.record)
        self.record = record

    def end(self) -> None:
        """Remove the trial's checkpoint: the trial ended, one way or another."""
        if self.trial is None:
            return
        self._remove(self.record)
        self.record = None
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            self.trial.storage.set_trial_system_attr(
                self.trial._trial_id, shared.CHECKPOINT_KEY, None
            )

    def _remove(self, record: Mapping[str, Any] | None) -> None:
        """Remove ``record``'s artifact and the one it replaced (if a kill left it)."""
        for key in ("artifact_id", "replaces"):
            if record and record.get(key):
                with contextlib.suppress(Exception):  # already gone
                    self.store.remove(str(record[key]))


class Checkpoints:
    """The checkpoints of one optimize call's trials, in the tuner's artifact store: kept for
    epoch runs on a store where a dead worker is found (a journal file, a database with
    heartbeats; not one in memory), since only there is a trial resumed."""

    def __init__(self, evaluation: Any, keeper: Keeper, storage: Any, opened: Any, pipeline: Any):
        self.active = evaluation.kind == "epochs" and shared.finds_dead_workers(opened)
        self.keeper, self.storage = keeper, storage
        self.trusted = own_types(pipeline) if self.active else ()

    @contextlib.contextmanager
    def of(self, trial: optuna.Trial) -> Iterator[TrialCheckpoints]:
        """The trial's checkpoints while it runs; removed when it ends."""
        if not self.active:
            yield TrialCheckpoints()
            return
        store = self.keeper.artifact_store(self.storage)
        checkpoints = TrialCheckpoints(trial, store, self.trusted, owner=self)
        try:
            checkpoints.begin()
            yield checkpoints
        finally:
            checkpoints.end()


def pack_checkpoint(pipeline: Any, state: Any) -> bytes:
    """One zip: the pipeline in the secure format and the run's state as JSON."""
    from workbench.persistence import dumps

    plain = {
        "format": FORMAT,
        "epoch": int(state.epoch),
        "done": int(state.done),
        "epochs": int(state.epochs),
        "history": shared.encode_history(state.history),
        "random_state": state.random_state,
        "shuffle_state": state.shuffle_state,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(PIPELINE_MEMBER, dumps(pipeline))
        archive.writestr(STATE_MEMBER, json.dumps(plain))
    return buffer.getvalue()


def read_checkpoint(store: Any, record: Mapping[str, Any], trial: Any, source: int) -> bytes:
    """The checkpoint's bytes, checked against the checksum the store recorded."""
    epoch, study = record.get("epoch"), trial.study.study_name
    return read_checked(
        store,
        record,
        f"Trial {source}'s epoch checkpoint (epoch {epoch}) of {study!r}",
        missing=f", so trial {trial.number} cannot resume it. Workers on several hosts need "
        f"one shared artifact store: Tuner(..., artifacts=<a Boto3ArtifactStore, a "
        f"GCSArtifactStore, a shared folder>).",
        changed=f"when it was written: the artifact was changed or damaged since, so it is "
        f"not loaded and trial {trial.number} fails. Run the study on: its next trials start "
        f"afresh.",
    )


def unpack_checkpoint(
    data: bytes, trusted: tuple[str, ...], source: int, study: str
) -> tuple[Any, Any]:
    """``(pipeline, EpochCheckpoint)`` from checked bytes; only ``trusted`` types load."""
    from workbench.persistence import loads
    from workbench.training import EpochCheckpoint

    where = f"Trial {source}'s epoch checkpoint of {study!r}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            plain = json.loads(archive.read(STATE_MEMBER))
            pipeline_bytes = archive.read(PIPELINE_MEMBER)
        state = EpochCheckpoint(
            epoch=int(plain["epoch"]),
            done=int(plain["done"]),
            epochs=int(plain["epochs"]),
            history=shared.decode_history(plain["history"]),
            random_state=dict(plain["random_state"]),
            shuffle_state=dict(plain["shuffle_state"]),
        )
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as error:
        raise PersistenceError(f"{where} is damaged ({error}); it is not loaded.") from None
    if plain.get("format") != FORMAT:
        raise PersistenceError(
            f"{where} has format {plain.get('format')!r}; this Workbench reads format {FORMAT}."
        )
    try:
        return loads(pipeline_bytes, trusted=trusted), state
    except UntrustedTypesError as error:
        raise UntrustedTypesError(
            f"{where} names types that the tuner's pipeline is not made of, so it is not "
            f"loaded: {error}"
        ) from None


def own_types(pipeline: Any) -> tuple[str, ...]:
    """The qualified names of what ``pipeline`` is made of: each step's class, and the
    classes and functions among its hyperparams (a TorchStep's module factory)."""
    names: set[str] = set()
    for step in steps(pipeline):
        names.add(_qualified(type(step)))
        params = step.get_params(deep=False) if hasattr(step, "get_params") else {}
        for value in params.values():
            if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
                names.add(_qualified(value))
    return tuple(sorted(names))


def _qualified(thing: Any) -> str:
    return f"{thing.__module__}.{thing.__qualname__}"
