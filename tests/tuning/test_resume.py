"""Resume after a crash: a trial's epoch checkpoints, and a SIGKILLed worker's trial taken up
by the next worker from its last checkpoint (real processes)."""

from __future__ import annotations

import io
import logging
import os
import runpy
import shutil
import signal
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import optuna
import pytest
from optuna.artifacts import FileSystemArtifactStore
from optuna.storages import RetryHeartbeatStaleTrialCallback
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, floats
from workbench.core import Callback
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.persistence import dumps
from workbench.store import shared
from workbench.tuning import Tuner, load_target
from workbench.tuning._resume import TrialCheckpoints, own_types, unpack_checkpoint

from .helpers import classification_data, wait_for

ROOT = Path(__file__).resolve().parents[2]
WORKBENCH = str(Path(sys.executable).parent / "workbench")
CHECKPOINT = shared.CHECKPOINT_KEY

STUDY = '''
import os
import time

import optuna
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, floats
from workbench import Pipeline, floats
from workbench.core import Callback
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.persistence import dumps
from workbench.tuning import Tuner
from tests.tuning.helpers import classification_data


class BlockAt(Callback):
    """In a worker started with WB_BLOCK_AT=k, epoch k + 1 never begins: it makes the file
    WB_BLOCKED and waits there to be killed."""

    def on_epoch_begin(self, **data):
        block = os.environ.get("WB_BLOCK_AT")
        if block and data["epoch"] == int(block) + 1:
            open(os.environ["WB_BLOCKED"], "w").close()  # every write of epoch k is done
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                time.sleep(0.05)


def make_tuner(storage, name, **options):
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    return Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": 6, "batch_size": 16, "random_state": 0, "train_metrics": True},
        space={"model__alpha": floats(1e-5, 1e-2, log=True)},
        storage=storage,
        study_name=name,
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.NopPruner(),
        callbacks=[BlockAt()],
        heartbeat_interval=1,
        grace_period=1,
        **options,
    )


X, y = classification_data(n=300)
tuner = make_tuner(STORAGE, "resumed")
'''


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def write_study(directory: Path, storage: str) -> Path:
    path = directory / "study.py"
    path.write_text(STUDY.replace("STORAGE", repr(storage)))
    return path


def statistics(history):
    return history[[column for column in history.columns if column != "epoch_time"]]


def study_of(storage: str, name: str = "resumed") -> optuna.Study:
    """The study as another process reads it now."""
    opened = shared.open_storage(storage, heartbeat_interval=None, grace_period=None)
    if isinstance(opened, optuna.storages.JournalStorage):
        opened = optuna.storages.JournalStorage(opened._backend)  # read the file afresh
    return optuna.load_study(study_name=name, storage=opened)


def checkpoint_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("checkpoint-*")) if folder.exists() else []


class EpochsRun(Callback):
    def __init__(self):
        self.epochs: list[int] = []

    def on_epoch_end(self, **data):
        self.epochs.append(data["epoch"])


def kill_at_epoch(tmp_path: Path, storage: str, epoch: int, trial: int = 0) -> None:
    """Run a worker process until trial ``trial``'s checkpoint of ``epoch`` is in the store
    and the worker waits before its next epoch, then SIGKILL it."""
    study_file = write_study(tmp_path, storage)
    blocked = tmp_path / f"blocked-{trial}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WB_BLOCK_AT": str(epoch),
        "WB_BLOCKED": str(blocked),
    }
    worker = subprocess.Popen(
        [WORKBENCH, "worker", str(study_file), "--n-trials", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def checkpointed() -> bool:
        assert worker.poll() is None, worker.stderr.read()
        try:
            trials = study_of(storage).get_trials(deepcopy=False)
        except KeyError:  # the study is not created yet
            return False
        record = trials[trial].system_attrs.get(CHECKPOINT) if len(trials) > trial else None
        return bool(record) and record["epoch"] == epoch and blocked.exists()

    try:
        wait_for(checkpointed, timeout=120, what=f"the checkpoint of epoch {epoch}")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        worker.stderr.close()
    assert worker.returncode == -signal.SIGKILL


def reference_tuner(tmp_path: Path, params: dict) -> Tuner:
    """A tuner that ran the same trial (``params``) without interruption, in a store of its
    own."""
    study = runpy.run_path(str(tmp_path / "study.py"))
    reference = study["make_tuner"](str(tmp_path / "reference" / "journal.log"), "reference")
    reference.study.enqueue_trial(params)
    reference.run_trials(study["X"], study["y"], n_trials=1)
    return reference


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "epoch"), [("journal", 3), ("sqlite", 3), ("journal", 0)])
def test_a_sigkilled_worker_s_trial_is_resumed_from_its_last_checkpoint(tmp_path, kind, epoch):
    storage = str(tmp_path / "journal.log") if kind == "journal" else f"sqlite:///{tmp_path}/s.db"
    kill_at_epoch(tmp_path, storage, epoch)  # epoch 0: killed before its first epoch ended
    killed = study_of(storage).trials
    assert [t.state.name for t in killed] == ["RUNNING"]
    assert killed[0].system_attrs[CHECKPOINT]["epoch"] == epoch
    artifacts = tmp_path / "artifacts"
    assert len(checkpoint_files(artifacts)) == min(epoch, 1)  # each replaces the one before

    tuner, X, y = load_target(str(tmp_path / "study.py"))
    if kind == "sqlite":  # Optuna's heartbeats: the trial is stale after the grace period
        storage_object = tuner.study._storage
        wait_for(
            lambda: storage_object._get_stale_trial_ids(tuner.study._study_id),
            what="the heartbeat of the killed trial to go stale",
        )
    seen = EpochsRun()
    tuner.callbacks.append(seen)
    assert tuner.run_trials(X, y, n_trials=1) == [1]

    study = study_of(storage)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    original, retry = study.trials
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        assert RetryHeartbeatStaleTrialCallback.retried_trial_number(retry) == 0
    assert retry.params == original.params
    assert seen.epochs == list(range(epoch + 1, 7))  # no epoch done before the kill again
    resumed = tuner.history(1)
    assert resumed["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    reference = reference_tuner(tmp_path, original.params)
    expected = reference.history(0)
    assert statistics(resumed).equals(statistics(expected))
    assert retry.value == max(expected["valid_accuracy"])
    assert retry.intermediate_values == reference.study.trials[0].intermediate_values
    assert retry.system_attrs[CHECKPOINT] is None
    assert checkpoint_files(artifacts) == []


@pytest.mark.slow
def test_a_resumed_trial_killed_again_is_resumed_from_its_own_last_checkpoint(tmp_path):
    storage = str(tmp_path / "journal.log")
    kill_at_epoch(tmp_path, storage, 2)
    kill_at_epoch(tmp_path, storage, 4, trial=1)  # the retry, killed after its epoch 4
    tuner, X, y = load_target(str(tmp_path / "study.py"))
    seen = EpochsRun()
    tuner.callbacks.append(seen)
    assert tuner.run_trials(X, y, n_trials=1) == [2]
    study = study_of(storage)
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL", "COMPLETE"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        assert RetryHeartbeatStaleTrialCallback.retry_history(study.trials[2]) == [0, 1]
    assert seen.epochs == [5, 6]
    expected = reference_tuner(tmp_path, study.trials[0].params).history(0)
    assert statistics(tuner.history(2)).equals(statistics(expected))
    assert checkpoint_files(tmp_path / "artifacts") == []


# -- the checkpoint a killed worker left, and what the next worker makes of it ---------------
@pytest.fixture(scope="module")
def killed_study(tmp_path_factory):
    """A journal whose trial 0 was SIGKILLed after its checkpoint of epoch 3."""
    folder = tmp_path_factory.mktemp("killed")
    kill_at_epoch(folder, str(folder / "journal.log"), 3)
    return folder


def copy_of(killed: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the killed study's store and artifacts: ``(journal, the checkpoint file)``."""
    shutil.copytree(killed, tmp_path / "store")
    journal = tmp_path / "store" / "journal.log"
    write_study(tmp_path / "store", str(journal))
    (checkpoint,) = (tmp_path / "store" / "artifacts").glob("checkpoint-*")
    return journal, checkpoint


def resume_in_process(journal: Path) -> tuple[optuna.Study, object]:
    tuner, X, y = load_target(str(journal.parent / "study.py"))
    tuner.run_trials(X, y, n_trials=1)
    return study_of(str(journal)), tuner


def test_a_tampered_checkpoint_is_refused_and_the_retry_fails_saying_so(killed_study, tmp_path):
    journal, checkpoint = copy_of(killed_study, tmp_path)
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    study, _ = resume_in_process(journal)
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]
    error = study.trials[1].user_attrs[shared.ERROR_KEY]
    assert error.startswith(
        "PersistenceError: Trial 0's epoch checkpoint (epoch 3) of 'resumed' does not match "
        "the checksum recorded when it was written"
    )
    assert checkpoint_files(journal.parent / "artifacts") == []  # the retry removed it


def test_fresh_removes_the_checkpoint_a_dead_worker_left(killed_study, tmp_path):
    journal, checkpoint = copy_of(killed_study, tmp_path)
    assert checkpoint.exists()
    make_tuner = runpy.run_path(str(journal.parent / "study.py"))["make_tuner"]
    # the copy's records name the original's folder: point at the copy's
    fresh = make_tuner(str(journal), "resumed", fresh=True, artifacts=str(checkpoint.parent))
    assert fresh.study.trials == []  # the study starts over, and its files with it
    assert checkpoint_files(journal.parent / "artifacts") == []


def test_a_missing_checkpoint_fails_the_retry_naming_the_shared_store_to_use(
    killed_study, tmp_path
):
    journal, checkpoint = copy_of(killed_study, tmp_path)
    checkpoint.unlink()
    study, _ = resume_in_process(journal)
    error = study.trials[1].user_attrs[shared.ERROR_KEY]
    assert "is missing from its artifact store" in error
    assert "Tuner(..., artifacts=" in error


def checkpoint_bytes(killed: Path) -> bytes:
    (checkpoint,) = (killed / "artifacts").glob("checkpoint-*")
    return checkpoint.read_bytes()


def rezip(data: bytes, **members: bytes) -> bytes:
    """The checkpoint zip with some members replaced."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents.update(members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_checkpoint_is_loaded_only_with_the_types_of_the_tuner_s_pipeline(killed_study):
    data = checkpoint_bytes(killed_study)
    pipeline, state = unpack_checkpoint(data, own_types(pipe()), 0, "resumed")
    assert (state.epoch, state.done, state.epochs) == (3, 3, 6)
    assert state.history["epoch"].tolist() == [1, 2, 3]
    assert pipeline["model"].t_ > 1  # fitted: three epochs of SGD
    untrusted = rezip(data, **{"pipeline.wbz": dumps(Pipeline([("m", Marker())]))})
    with pytest.raises(
        UntrustedTypesError,
        match=r"Trial 0's epoch checkpoint of 'resumed' names types that the tuner's pipeline "
        r"is not made of, so it is not loaded: .*test_resume.Marker",
    ):
        unpack_checkpoint(untrusted, own_types(pipe()), 0, "resumed")


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"state.json": b"{not json"}, "is damaged"),
        ({"state.json": b'{"format": 1}'}, r"is damaged \('epoch'\)"),
        (
            {
                "state.json": b'{"format": 99, "epoch": 1, "done": 1, "epochs": 2, "history": null,'
                b' "random_state": {}, "shuffle_state": {}}'
            },
            "has format 99; this Workbench reads format 1",
        ),
    ],
)
def test_a_damaged_checkpoint_is_refused(killed_study, members, message):
    data = rezip(checkpoint_bytes(killed_study), **members)
    with pytest.raises(
        PersistenceError, match=rf"Trial 0's epoch checkpoint of 'resumed' {message}"
    ):
        unpack_checkpoint(data, own_types(pipe()), 0, "resumed")


def test_a_checkpoint_that_is_no_zip_is_refused():
    with pytest.raises(PersistenceError, match="epoch checkpoint of 'x' is damaged"):
        unpack_checkpoint(b"no zip", (), 0, "x")


# -- checkpoints in one process: written each epoch, removed at the end --------------------
class Marker(Callback):
    """A step-like class no tuner here is made of."""


def pipe() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])


class Watch(Callback):
    """What the artifact folder holds when each epoch begins; raises ``error`` at ``at``."""

    def __init__(self, folder: Path, at: int | None = None, error: BaseException | None = None):
        self.folder, self.at, self.error = folder, at, error
        self.files: dict[int, list[str]] = {}

    def on_epoch_begin(self, **data):
        self.files[data["epoch"]] = checkpoint_files(self.folder)
        if data["epoch"] == self.at and self.error is not None:
            raise self.error


def tuner_in(tmp_path: Path, watch: Watch, **options) -> Tuner:
    return Tuner(
        pipe(),
        scoring="accuracy",
        epochs={"epochs": 4, "batch_size": 32, "random_state": 0},
        space={"model__alpha": floats(1e-5, 1e-2, log=True)},
        storage=str(tmp_path / "journal.log"),
        study_name="ends",
        callbacks=[watch],
        refit=False,
        **options,
    )


@pytest.mark.parametrize(
    ("how", "error", "state"),
    [
        ("complete", None, "COMPLETE"),
        ("failed", ValueError("a step broke"), "FAIL"),
        ("interrupted", KeyboardInterrupt(), "FAIL"),
    ],
)
def test_a_trial_s_checkpoint_is_replaced_each_epoch_and_removed_when_it_ends(
    tmp_path, how, error, state
):
    watch = Watch(tmp_path / "artifacts", at=3, error=error)
    tuner = tuner_in(tmp_path, watch)
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            tuner.optimize(*classification_data(), n_trials=1)
    else:
        tuner.optimize(*classification_data(), n_trials=1)
    assert [len(files) for files in watch.files.values()][:3] == [0, 1, 1]
    assert watch.files[2] != watch.files[3]  # epoch 2's replaced epoch 1's
    trial = study_of(str(tmp_path / "journal.log"), "ends").trials[0]
    assert trial.state.name == state
    assert trial.system_attrs[CHECKPOINT] is None
    assert checkpoint_files(tmp_path / "artifacts") == []


def test_a_pruned_trial_s_checkpoint_is_removed(tmp_path):
    watch = Watch(tmp_path / "artifacts")
    pruner = optuna.pruners.ThresholdPruner(lower=2.0, n_warmup_steps=3)  # prunes at epoch 3
    tuner = tuner_in(tmp_path, watch, pruner=pruner, keep=False)
    tuner.optimize(*classification_data(), n_trials=1)
    trial = study_of(str(tmp_path / "journal.log"), "ends").trials[0]
    assert trial.state.name == "PRUNED"
    assert len(watch.files[3]) == 1  # epoch 2's checkpoint was there
    assert trial.system_attrs[CHECKPOINT] is None
    assert checkpoint_files(tmp_path / "artifacts") == []


@pytest.mark.parametrize("storage", [":memory:", "sqlite:///{tmp_path}/db.sqlite"])
def test_a_store_where_no_dead_worker_is_found_leaves_no_checkpoint(tmp_path, storage):
    """In memory, or a database without heartbeats: no trial is ever resumed there, so
    checkpoints would only cost time."""
    watch = Watch(tmp_path / "artifacts")
    tuner = tuner_in(tmp_path, watch, keep=False, heartbeat_interval=None, grace_period=None)
    tuner.storage = storage.format(tmp_path=tmp_path)
    tuner.optimize(*classification_data(), n_trials=1)
    assert CHECKPOINT not in tuner.study.trials[0].system_attrs
    assert watch.files[4] == []


class BrokenStore:
    """An artifact store that cannot write."""

    def open_reader(self, artifact_id):
        raise FileNotFoundError(artifact_id)

    def write(self, artifact_id, content):
        raise OSError("disk full")

    def remove(self, artifact_id):
        raise FileNotFoundError(artifact_id)


def test_a_checkpoint_that_cannot_be_written_stops_checkpointing_not_the_trial(tmp_path, caplog):
    watch = Watch(tmp_path / "artifacts")
    tuner = tuner_in(tmp_path, watch, artifacts=BrokenStore(), keep=False)
    with caplog.at_level(logging.WARNING, logger="workbench.tuning"):
        tuner.optimize(*classification_data(), n_trials=2)
    assert [t.state.name for t in tuner.study.trials] == ["COMPLETE", "COMPLETE"]
    warned = [r.getMessage() for r in caplog.records if "epoch checkpoint" in r.getMessage()]
    assert len(warned) == 1  # once a run, not once a trial or an epoch
    assert "Trial 0 cannot leave an epoch checkpoint (disk full); no more checkpoints" in warned[0]
    assert "is not resumed" in warned[0]
    assert CHECKPOINT not in tuner.study.trials[1].system_attrs


# -- the store: which stale trials are retried ------------------------------------------------
def stale_trial(storage, study, **system_attrs) -> None:
    trial = study.ask()
    storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, "0" * 32)  # no lock held
    for key, value in system_attrs.items():
        storage.set_trial_system_attr(trial._trial_id, key, value)


def test_a_stale_trial_is_retried_only_if_it_left_a_checkpoint(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="stale")
    stale_trial(storage, study)  # a holdout or cv trial: nothing to resume
    stale_trial(storage, study, **{CHECKPOINT: {"epoch": 0}})
    assert shared.fail_stale_trials(study) == [0, 1]
    trials = study.get_trials(deepcopy=False)
    assert [t.state.name for t in trials] == ["FAIL", "FAIL", "WAITING"]
    retry = trials[2]
    assert retry.system_attrs["failed_trial"] == 1
    assert shared.WORKER_KEY not in retry.system_attrs  # the dead worker's id stays behind
    assert shared.ERROR_KEY not in retry.user_attrs
    assert trials[1].user_attrs[shared.ERROR_KEY].startswith("WorkerLost")


def test_a_trial_whose_workers_keep_dying_stays_failed_after_three_resumes(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="again")
    stale_trial(
        storage,
        study,
        **{CHECKPOINT: {"epoch": 0}, "failed_trial": 0, "retry_history": [0, 1, 2]},
    )
    assert shared.fail_stale_trials(study) == [0]
    assert [t.state.name for t in study.get_trials(deepcopy=False)] == ["FAIL"]


def test_a_running_worker_takes_up_a_dead_peer_s_trial_after_its_own(tmp_path):
    journal = tmp_path / "journal.log"

    class PeerDies(Callback):
        """During trial 0, a peer's trial appears whose worker is dead (its lock is free)."""

        def on_epoch_end(self, **data):
            if data["epoch"] == 1 and len(tuner.study.trials) == 1:
                storage = tuner.study._storage
                peer = tuner.study.ask()
                storage.set_trial_system_attr(peer._trial_id, shared.WORKER_KEY, "0" * 32)
                storage.set_trial_system_attr(peer._trial_id, CHECKPOINT, {"epoch": 0})

    tuner = tuner_in(tmp_path, PeerDies(), keep=False)
    tuner.optimize(*classification_data(), n_trials=2)
    trials = study_of(str(journal), "ends").trials
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert trials[2].system_attrs["failed_trial"] == 1
    assert tuner.trials_run_ == [0, 2]


def test_a_checkpoint_a_killed_worker_left_behind_its_replacement_is_removed(tmp_path):
    """Killed after recording checkpoint k but before removing k - 1: k - 1 goes with k."""
    store = FileSystemArtifactStore(str(tmp_path))
    for name in ("checkpoint-old", "checkpoint-new"):
        store.write(name, io.BytesIO(b"x"))
    study = optuna.create_study(storage=shared.open_storage(str(tmp_path / "j.log")))
    checkpoints = TrialCheckpoints(study.ask(), store)
    checkpoints.record = {"artifact_id": "checkpoint-new", "replaces": "checkpoint-old"}
    checkpoints.end()
    assert checkpoint_files(tmp_path) == []
    assert study.trials[0].system_attrs[CHECKPOINT] is None
