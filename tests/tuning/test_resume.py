"""Resume after a crash: a trial's epoch checkpoints, and a SIGKILLed worker's trial taken up
by the next worker from its last checkpoint (real processes)."""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback

from workbench.core import Callback
from workbench.store import shared
from workbench.tuning import load_target

from .helpers import wait_for

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
from workbench.core import Callback
from workbench.tuning import Tuner
from tests.tuning.helpers import classification_data


class BlockAt(Callback):
    """In a worker started with WB_BLOCK_AT=k, epoch k + 1 never begins: it waits there to
    be killed."""

    def on_epoch_begin(self, **data):
        block = os.environ.get("WB_BLOCK_AT")
        if block and data["epoch"] == int(block) + 1:
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


def kill_at_epoch(tmp_path: Path, storage: str, epoch: int) -> None:
    """Run a worker process until trial 0's checkpoint of ``epoch`` is in the store, then
    SIGKILL it."""
    study_file = write_study(tmp_path, storage)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WB_BLOCK_AT": str(epoch)}
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
        record = trials[0].system_attrs.get(CHECKPOINT) if trials else None
        return bool(record) and record["epoch"] == epoch

    try:
        wait_for(checkpointed, timeout=120, what=f"the checkpoint of epoch {epoch}")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL


def reference_history(tmp_path: Path, params: dict) -> object:
    """The History of the same trial (``params``) run without interruption, in a store of
    its own."""
    study = runpy.run_path(str(tmp_path / "study.py"))
    reference = study["make_tuner"](str(tmp_path / "reference" / "journal.log"), "reference")
    reference.study.enqueue_trial(params)
    reference.run_trials(study["X"], study["y"], n_trials=1)
    return reference.history(0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_a_sigkilled_worker_s_trial_is_resumed_from_its_last_checkpoint(tmp_path, kind):
    storage = str(tmp_path / "journal.log") if kind == "journal" else f"sqlite:///{tmp_path}/s.db"
    kill_at_epoch(tmp_path, storage, 3)
    killed = study_of(storage).trials
    assert [t.state.name for t in killed] == ["RUNNING"]
    assert killed[0].system_attrs[CHECKPOINT]["epoch"] == 3
    artifacts = tmp_path / "artifacts"
    assert len(checkpoint_files(artifacts)) == 1  # each epoch's replaced the one before

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
    assert seen.epochs == [4, 5, 6]  # no epoch done before the kill is done again
    resumed = tuner.history(1)
    assert resumed["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    expected = reference_history(tmp_path, original.params)
    assert statistics(resumed).equals(statistics(expected))
    assert retry.value == max(expected["valid_accuracy"])
    assert retry.system_attrs[CHECKPOINT] is None
    assert checkpoint_files(artifacts) == []
