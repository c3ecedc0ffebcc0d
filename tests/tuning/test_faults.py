"""Faults for real: a Ctrl-C inside a trial, SIGINT/SIGTERM/SIGKILL sent to a worker process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from sklearn.linear_model import LogisticRegression

from workbench import Pipeline
from workbench.tuning import Tuner, load_target

from .helpers import Interrupting, classification_data, wait_for, write_study_file

ROOT = Path(__file__).resolve().parents[2]
WORKBENCH = str(Path(sys.executable).parent / "workbench")


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def reopen(journal: Path, name: str) -> optuna.Study:
    """The study as a new process would read it from the journal file."""
    return optuna.load_study(
        study_name=name, storage=JournalStorage(JournalFileBackend(str(journal)))
    )


def states(study: optuna.Study) -> list[str]:
    return [trial.state.name for trial in study.get_trials(deepcopy=False)]


def test_keyboard_interrupt_in_a_trial_stops_after_recording_what_finished(tmp_path):
    journal = tmp_path / "journal.log"
    Interrupting.fits, Interrupting.allowed = 0, 2
    tuner = Tuner(
        Pipeline([("model", Interrupting())]),
        scoring="accuracy",
        holdout=0.25,
        storage=str(journal),
        study_name="ctrl-c",
    )
    with pytest.raises(KeyboardInterrupt):
        tuner.optimize(*classification_data(), n_trials=10)
    study = reopen(journal, "ctrl-c")
    assert states(study) == ["COMPLETE", "COMPLETE", "FAIL"]
    assert study.trials[2].user_attrs["workbench:error"].startswith("KeyboardInterrupt")
    frame = tuner.trials_dataframe()
    assert frame["state"].tolist() == ["complete", "complete", "fail"]


@pytest.fixture
def worker_env(tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    gate.mkdir()
    monkeypatch.setenv("WB_GATE_DIR", str(gate))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WB_GATE_DIR": str(gate),
        "WB_GATE_OPEN": "2",  # trials 0 and 1 finish; trial 2 waits for the release file
    }
    return gate, env


def start_worker(tmp_path, env, journal, name, *extra):
    study_file = write_study_file(tmp_path, storage=str(journal), study_name=name)
    return subprocess.Popen(
        [WORKBENCH, "worker", str(study_file), "--n-trials", "5", *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_mid_trial(gate: Path, journal: Path, name: str, process) -> None:
    """Until trial 2 is in its fit: three fits started, two trials complete in the store."""
    wait_for(
        lambda: len(list(gate.glob("started-*"))) >= 3 or process.poll() is not None,
        what="the third fit to start",
    )
    assert process.poll() is None, process.stderr.read()
    assert states(reopen(journal, name)) == ["COMPLETE", "COMPLETE", "RUNNING"]


@pytest.mark.slow
def test_worker_killed_mid_trial_leaves_store_readable_and_resume_fails_that_trial(
    tmp_path, worker_env
):
    gate, env = worker_env
    journal = tmp_path / "journal.log"
    worker = start_worker(tmp_path, env, journal, "killed")
    wait_mid_trial(gate, journal, "killed", worker)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL
    assert states(reopen(journal, "killed")) == ["COMPLETE", "COMPLETE", "RUNNING"]

    (gate / "release").touch()
    tuner, X, y = load_target(str(tmp_path / "study.py"))
    tuner.optimize(X, y, n_trials=2)
    study = reopen(journal, "killed")
    assert states(study) == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert study.trials[2].user_attrs["workbench:error"].startswith("WorkerLost")
    assert tuner.trials_dataframe()["error"].notna().tolist() == [False, False, True, False, False]


@pytest.mark.slow
def test_worker_sigint_stops_after_recording_what_finished(tmp_path, worker_env):
    gate, env = worker_env
    journal = tmp_path / "journal.log"
    worker = start_worker(tmp_path, env, journal, "sigint")
    wait_mid_trial(gate, journal, "sigint", worker)
    worker.send_signal(signal.SIGINT)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 130, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["trials"] == [0, 1] and report["interrupted"] is True
    study = reopen(journal, "sigint")
    assert states(study) == ["COMPLETE", "COMPLETE", "FAIL"]
    assert "interrupted" in study.trials[2].user_attrs["workbench:error"]


@pytest.mark.slow
def test_worker_sigterm_finishes_the_running_trial_then_stops(tmp_path, worker_env):
    gate, env = worker_env
    journal = tmp_path / "journal.log"
    worker = start_worker(tmp_path, env, journal, "sigterm")
    wait_mid_trial(gate, journal, "sigterm", worker)
    worker.send_signal(signal.SIGTERM)
    (gate / "release").touch()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["trials"] == [0, 1, 2]
    assert states(reopen(journal, "sigterm")) == ["COMPLETE", "COMPLETE", "COMPLETE"]


@pytest.mark.slow
def test_n_jobs_runs_trials_in_processes_sharing_the_store(tmp_path):
    journal = tmp_path / "journal.log"
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        holdout=0.25,
        storage=str(journal),
        study_name="parallel",
    )
    tuner.optimize(*classification_data(), n_trials=6, n_jobs=2)
    study = reopen(journal, "parallel")
    numbers = [trial.number for trial in study.trials]
    assert 6 <= len(numbers) <= 7  # each worker checks the total after its trial
    assert tuner.trials_run_ == sorted(numbers) == list(range(len(numbers)))
    assert set(states(study)) == {"COMPLETE"}
    workers = {trial.system_attrs["workbench:worker"] for trial in study.trials}
    assert len(workers) == 2
    assert tuner.best_pipeline_.predict(classification_data()[0][:3]).shape == (3,)


def test_n_jobs_with_an_in_memory_store_is_an_error():
    from workbench.exceptions import TuningError

    tuner = Tuner(Pipeline([("model", Interrupting())]), holdout=0.25, storage=":memory:")
    with pytest.raises(TuningError, match="share the study through the store"):
        tuner.optimize(*classification_data(), n_trials=2, n_jobs=2)
    assert tuner.study.trials == []
