"""The ``workbench`` console script: ``worker`` and ``studies``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from sklearn.linear_model import LogisticRegression

from tests.tuning.helpers import classification_data, write_study_file
from workbench import Pipeline, store
from workbench.cli import main
from workbench.store import shared
from workbench.tuning import Tuner

ROOT = Path(__file__).resolve().parents[1]
WORKBENCH = str(Path(sys.executable).parent / "workbench")


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_cli_studies_lists_trial_counts_and_best_values(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(shared.ENV_VAR, raising=False)
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        cv=2,
        study_name="listed",
        refit=False,
    )
    tuner.optimize(*classification_data(), n_trials=3)
    assert main(["studies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "name",
        "kind",
        "direction",
        "trials",
        "complete",
        "pruned",
        "fail",
        "best_value",
        "kept",
    ]
    assert lines[1].split()[:7] == ["listed", "study", "maximize", "3", "3", "0", "0"]
    assert float(lines[1].split()[7]) == pytest.approx(tuner.best_value_, abs=1e-5)


def test_cli_studies_json_reads_the_store_named_by_the_environment(tmp_path, monkeypatch, capsys):
    journal = tmp_path / "elsewhere.log"
    monkeypatch.setenv(shared.ENV_VAR, str(journal))
    shared.record_run(
        structure={"class": "Pipeline"},
        hyperparams={"a": 1},
        history=None,
        run_name="one-run",
        value=0.5,
    )
    assert main(["studies", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["name"], row["kind"], row["trials"], row["best_value"]) for row in rows] == [
        ("one-run", "run", 1, 0.5)
    ]


def test_cli_studies_of_an_empty_store_says_so(tmp_path, capsys):
    assert main(["studies", "--storage", str(tmp_path / "empty.log")]) == 0
    assert capsys.readouterr().out.startswith("No studies or runs in ")


def test_cli_studies_unreachable_store_is_an_error(capsys):
    status = main(["studies", "--storage", "postgresql://x@127.0.0.1:1/none"])
    assert status == 2
    assert "workbench: error: Cannot reach the store" in capsys.readouterr().err


def test_cli_worker_runs_trials_of_a_study_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WB_GATE_DIR", str(tmp_path))
    journal = tmp_path / "journal.log"
    study_file = write_study_file(tmp_path, storage=str(journal), study_name="filed")
    assert main(["worker", str(study_file), "--n-trials", "3"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report == {
        "study": "filed",
        "storage": str(journal),
        "trials": [0, 1, 2],
        "interrupted": False,
    }
    # a second worker joins the same study and adds trials up to the new total
    assert main(["worker", str(study_file), "--n-trials", "5"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["trials"] == [3, 4]


def test_cli_worker_accepts_a_module_name_and_overrides(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WB_GATE_DIR", str(tmp_path))
    write_study_file(tmp_path, storage=":memory:", study_name="unused")
    (tmp_path / "study.py").rename(tmp_path / "my_study_module.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    other = tmp_path / "other.log"
    status = main(
        [
            "worker",
            "my_study_module:tuner",
            "--n-trials",
            "1",
            "--storage",
            str(other),
            "--study-name",
            "renamed",
        ]
    )
    assert status == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["study"] == "renamed"
    assert store.open_store(str(other)).studies()["name"].tolist() == ["renamed"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/study.py", "No study file"),
        ("no_such_module_here", "Cannot import the study module 'no_such_module_here'"),
    ],
)
def test_cli_worker_bad_target_is_an_error(target, message, capsys):
    assert main(["worker", target]) == 2
    assert message in capsys.readouterr().err


def test_cli_worker_file_without_the_tuner_names_what_it_has(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WB_GATE_DIR", str(tmp_path))
    study_file = write_study_file(tmp_path, storage=":memory:", study_name="x")
    assert main(["worker", f"{study_file}:other"]) == 2
    err = capsys.readouterr().err
    assert "defines no 'other'; its Tuner objects are ['tuner']" in err


@pytest.mark.slow
def test_two_workers_on_postgres_lose_no_trial_and_do_none_twice(tmp_path, postgres_url):
    study_file = write_study_file(tmp_path, storage=postgres_url, study_name="shared")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WB_GATE_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen(
            [WORKBENCH, "worker", str(study_file), "--n-trials", "16"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    first, second = (set(report["trials"]) for report in reports)
    assert first and second, "both workers ran trials"
    assert not first & second
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    numbers = [trial.number for trial in study.trials]
    assert sorted(first | second) == sorted(numbers) == list(range(len(numbers)))
    assert 16 <= len(numbers) <= 17
    assert {trial.state.name for trial in study.trials} == {"COMPLETE"}
    listing = subprocess.run(
        [WORKBENCH, "studies", "--storage", postgres_url, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(listing)["trials"] == len(numbers)
