"""Kept trials: a trial's fitted pipeline saved, in Workbench's secure format, as an Optuna
artifact of that trial; the best few kept, the others deleted as better trials arrive."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
from optuna.storages import BaseStorage, InMemoryStorage
from optuna.trial import TrialState

from workbench.exceptions import PersistenceError, TuningError
from workbench.store import shared

LOGGER = logging.getLogger("workbench.tuning")
DEFAULT_KEEP = 3
ARTIFACTS_FOLDER = "artifacts"
_MEMORY_FOLDER: list[tempfile.TemporaryDirectory[str]] = []  # in-memory stores: one per process


def keep_count(keep: Any) -> int | None:
    """How many of the best trials to keep: ``k``, None for every trial, 0 for none."""
    if keep is False:
        return 0
    if keep is True or keep == "best":
        return DEFAULT_KEEP
    if keep == "all":
        return None
    if isinstance(keep, int) and not isinstance(keep, bool) and keep >= 1:
        return keep
    raise TuningError(
        f"keep must be 'best' (the best {DEFAULT_KEEP} trials), a number k >= 1 (the best k), "
        f"'all' or False (keep none), but got keep={keep!r}."
    )


def check_artifact_store(artifacts: Any) -> Any:
    """A folder becomes a FileSystemArtifactStore; an Optuna artifact store is used as it is."""
    if artifacts is None:
        return None
    if isinstance(artifacts, str | os.PathLike):
        return FileSystemArtifactStore(Path(artifacts).expanduser().resolve())
    if all(
        callable(getattr(artifacts, name, None)) for name in ("open_reader", "write", "remove")
    ):
        return artifacts
    raise TuningError(
        f"artifacts must be an Optuna artifact store (FileSystemArtifactStore, "
        f"Boto3ArtifactStore, GCSArtifactStore, ...) or a folder path, but got {artifacts!r}."
    )


def default_folder(storage: shared.StorageLike) -> Path:
    """Where kept pipelines go by default: ``artifacts/`` beside a journal or SQLite file,
    a temporary folder for an in-memory store, ``.workbench/artifacts`` here otherwise."""
    resolved = shared.resolve(storage)
    if isinstance(resolved, InMemoryStorage) or resolved == shared.MEMORY:
        if not _MEMORY_FOLDER:  # removed when the process ends, as the store is
            _MEMORY_FOLDER.append(tempfile.TemporaryDirectory(prefix="workbench-artifacts-"))
        return Path(_MEMORY_FOLDER[0].name)
    if isinstance(resolved, str) and resolved.startswith("sqlite:///"):
        database = resolved[len("sqlite:///") :]
        if database and database != shared.MEMORY:
            return Path(database).expanduser().resolve().parent / ARTIFACTS_FOLDER
    if isinstance(resolved, str) and "://" not in resolved:
        return Path(resolved).parent / ARTIFACTS_FOLDER
    return Path.cwd() / shared.DEFAULT_DIRECTORY / ARTIFACTS_FOLDER


def read_checked(
    store: Any, info: Mapping[str, Any], what: str, missing: str, changed: str
) -> bytes:
    """The bytes of the artifact ``info`` names (``artifact_id``), checked against the
    ``sha256`` recorded with it. A PersistenceError says ``what`` it is, then ``missing`` (after
    where it was looked for) or ``changed`` (after "the checksum recorded")."""
    from optuna.artifacts.exceptions import ArtifactNotFound

    try:
        with store.open_reader(str(info["artifact_id"])) as reader:
            data = reader.read()
    except (ArtifactNotFound, FileNotFoundError) as error:
        raise PersistenceError(
            f"{what} is missing from its artifact store ({info.get('store')}){missing}"
        ) from error
    if hashlib.sha256(data).hexdigest() != info.get("sha256"):
        raise PersistenceError(f"{what} does not match the checksum recorded {changed}")
    return bytes(data)


def describe_store(artifact_store: Any) -> dict[str, Any]:
    """Where an artifact store is, as the study records it: a folder, or the store's class."""
    folder = getattr(artifact_store, "_base_path", None)  # Optuna's FileSystemArtifactStore
    if isinstance(artifact_store, FileSystemArtifactStore) and folder is not None:
        return {"path": str(Path(folder).resolve())}
    return {"store": type(artifact_store).__name__}


def store_of(place: Mapping[str, Any] | None, artifacts: Any, number: int, study: str) -> Any:
    """The artifact store to read a kept pipeline from: ``artifacts`` if given, else the
    folder recorded when it was kept."""
    if artifacts is not None:
        return check_artifact_store(artifacts)
    if place and place.get("path"):
        return FileSystemArtifactStore(place["path"])
    kind = (place or {}).get("store", "an artifact store")
    raise TuningError(
        f"Trial {number} of {study!r} was kept in a {kind}, which the store cannot reopen by "
        f"itself: pass it as load_trial(..., artifacts=<the same {kind}>)."
    )


class Keeper:
    """Keeps the pipelines of the best ``keep`` trials (or of all) as trial artifacts."""

    def __init__(self, keep: Any, artifacts: Any, evaluation: Any):
        self.count = keep_count(keep)
        self.artifacts = check_artifact_store(artifacts)
        self.fitted_on = str(evaluation.fitted_on)
        self.trains_in_place = evaluation.kind == "epochs"  # a pruned trial's pipeline is fitted
        self._failed = False

    @property
    def active(self) -> bool:
        return self.count != 0 and not self._failed

    def artifact_store(self, storage: shared.StorageLike) -> Any:
        if self.artifacts is not None:
            return self.artifacts
        folder = default_folder(storage)
        folder.mkdir(parents=True, exist_ok=True)
        return FileSystemArtifactStore(folder)

    def after_complete(
        self, trial: optuna.Trial, pipeline: Any, value: float, storage: shared.StorageLike
    ) -> None:
        """Keep ``pipeline`` if trial is among the best; delete those it pushes out."""
        if not self.active or pipeline is None or value != value:
            return
        study = trial.study
        best: set[int] | None = None
        if self.count is not None:
            values = {
                done.number: float(done.value)
                for done in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if done.value is not None
            }
            values[trial.number] = float(value)
            best = set(best_numbers(values, study.direction.name.lower(), self.count))
            if trial.number not in best:
                return
        store = self.artifact_store(storage)
        if not self.keep(trial, pipeline, store):
            return
        if best is not None:
            self._push_out(study, best, store)

    def after_pruned(
        self, trial: optuna.Trial, pipeline: Any, storage: shared.StorageLike
    ) -> None:
        """With ``keep="all"``, a pruned trial's pipeline (trained so far) is kept too."""
        if self.active and self.count is None and self.trains_in_place and pipeline is not None:
            self.keep(trial, pipeline, self.artifact_store(storage))

    def keep(self, trial: optuna.Trial, pipeline: Any, store: Any) -> bool:
        """Save ``pipeline`` as an artifact of ``trial`` and record it in the study."""
        from workbench.persistence import dumps

        try:
            data = dumps(pipeline)
        except Exception as error:  # a step nobody can save: the trial stands, keeping stops
            self._failed = True
            LOGGER.warning(
                "Trial %d's pipeline cannot be kept (%s); no more pipelines are kept in this "
                "run. Register a saver for the step (workbench.persistence.register_saver), "
                "or pass keep=False.",
                trial.number,
                error,
            )
            return False
        with tempfile.TemporaryDirectory(prefix="workbench-keep-") as folder:
            path = os.path.join(folder, f"trial-{trial.number}.wbz")
            with open(path, "wb") as handle:
                handle.write(data)
            artifact_id = upload_artifact(
                artifact_store=store,
                file_path=path,
                study_or_trial=trial,
                mimetype="application/zip",
            )
        info = {
            "artifact_id": artifact_id,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "fitted_on": self.fitted_on,
            "store": describe_store(store),
        }
        trial.study.set_user_attr(shared.kept_key(trial.number), info)
        return True

    def _push_out(self, study: optuna.Study, best: set[int], store: Any) -> None:
        complete = {
            done.number for done in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        }
        for number, info in shared.kept_pipelines(study.user_attrs).items():
            if number in complete and number not in best:
                remove_kept(study, number, info, store)


def remove_kept(study: optuna.Study, number: int, info: Mapping[str, Any], store: Any) -> None:
    """Delete trial ``number``'s kept pipeline and record that it is gone."""
    with contextlib.suppress(Exception):  # already removed by another worker
        store.remove(str(info["artifact_id"]))
    study.set_user_attr(shared.kept_key(number), None)


def forget_kept(storage: BaseStorage, study_name: str, artifacts: Any) -> None:
    """Delete every kept pipeline of a study about to be deleted (``fresh=True``), and the
    epoch checkpoints its dead workers left (a trial that ended removed its own)."""
    study = optuna.load_study(study_name=study_name, storage=storage)
    for number, info in shared.kept_pipelines(study.user_attrs).items():
        store = _store_at(info, artifacts)
        if store is not None:
            remove_kept(study, number, info, store)
    for trial in study.get_trials(deepcopy=False):
        record = trial.system_attrs.get(shared.CHECKPOINT_KEY)
        store = _store_at(record, artifacts) if isinstance(record, Mapping) else None
        for key in ("artifact_id", "replaces"):
            if store is not None and record and record.get(key):
                with contextlib.suppress(Exception):  # removed already
                    store.remove(str(record[key]))


def _store_at(info: Mapping[str, Any], artifacts: Any) -> Any:
    """The artifact store a kept file is in: ``artifacts`` if given, else the folder recorded
    with it; None when neither is known."""
    place = info.get("store") or {}
    if artifacts is None and place.get("path"):
        return FileSystemArtifactStore(place["path"])
    return artifacts


def best_numbers(values: Mapping[int, float], direction: str, count: int) -> list[int]:
    """The numbers of the ``count`` best trials, best first (the earlier one first on a tie)."""
    sign = -1.0 if direction == "maximize" else 1.0
    ranked = sorted(values.items(), key=lambda item: (sign * item[1], item[0]))
    return [number for number, _ in ranked[:count]]
