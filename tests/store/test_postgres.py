"""PostgreSQL through a plain postgresql:// URL (psycopg 3), against the suite's real server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import optuna
import pytest
from sklearn.linear_model import LogisticRegression

from workbench import Pipeline
from workbench.exceptions import StorageError
from workbench.store import open_store, stores
from workbench.training import fit_epochs
from workbench.tuning import Tuner

from ..tuning.helpers import classification_data
from .test_browse import sgd_pipeline
from .test_safety import ROOT


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def database_url(postgres_url):
    """A fresh database on the suite's server, so that other tests' studies stay apart."""
    import psycopg

    name = f"store_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_url.rsplit('/', 1)[0]}/{name}"


def test_plain_postgresql_url_records_and_browses(database_url):
    postgres_url = database_url
    assert postgres_url.startswith("postgresql://")  # no +driver: what the README shows
    suffix = uuid.uuid4().hex[:6]
    history = fit_epochs(
        sgd_pipeline(),
        *classification_data(),
        epochs=2,
        batch_size=16,
        validation_fraction=0.25,
        random_state=0,
        storage=postgres_url,
        run_name=f"pg-run-{suffix}",
    )
    reader = open_store(postgres_url, readonly=True)
    assert reader.kind == "postgresql"
    cursor, _ = reader.changes()
    assert reader.changes(cursor)[1] == []
    tuner = Tuner(
        Pipeline([("model", LogisticRegression(max_iter=300))]),
        scoring="accuracy",
        cv=2,
        storage=postgres_url,
        study_name=f"pg-study-{suffix}",
        refit=False,
        random_state=0,
    ).optimize(*classification_data(), n_trials=3)
    assert reader.changes(cursor)[1] == [f"pg-study-{suffix}"]

    studies = reader.studies().set_index("name")
    row = studies.loc[f"pg-study-{suffix}"]
    assert (row["kind"], row["metric"], row["direction"]) == ("study", "accuracy", "maximize")
    assert (row["n_trials"], row["complete"]) == (3, 3)
    assert row["best_value"] == pytest.approx(tuner.best_value_)
    run = reader.runs().set_index("name").loc[f"pg-run-{suffix}"]
    assert (run["metric"], run["direction"]) == ("valid_accuracy", "maximize")
    assert run["best_value"] == pytest.approx(history["valid_accuracy"].iloc[-1])

    page = reader.trials(f"pg-study-{suffix}", offset=1, limit=2)
    assert page["number"].tolist() == [1, 2]
    expected = tuner.study.trials[1]
    assert page["model__C"].iloc[0] == pytest.approx(expected.params["model__C"])
    assert page["value"].iloc[0] == pytest.approx(expected.value)
    assert page["duration"].iloc[0] >= 0
    assert reader.history(f"pg-run-{suffix}").equals(history)
    listed = [info for info in stores(extra=[postgres_url]) if info.kind == "postgresql"]
    assert [(info.opens, info.error) for info in listed] == [(True, None)]


def test_missing_psycopg_names_the_module_and_the_extra(postgres_url):
    code = f"""
    import sys
    sys.modules["psycopg"] = None  # as where the postgres extra is not installed
    from workbench.store import open_store
    from workbench.exceptions import StorageError
    try:
        open_store({postgres_url!r})
    except StorageError as error:
        print(error)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "needs the database driver module 'psycopg', which is not installed" in result.stdout
    assert "pip install 'workbench[postgres]' (psycopg 3" in result.stdout


def test_unknown_driver_names_the_module_that_is_missing():
    with pytest.raises(StorageError, match=r"needs the database driver module 'pg8000'"):
        open_store("postgresql+pg8000://x@127.0.0.1:1/none")


def test_unreachable_postgresql_is_listed_as_not_opening():
    [info] = [
        i
        for i in stores(extra=["postgresql://me:secret@127.0.0.1:1/none"])
        if i.kind == "postgresql"
    ]
    assert (info.name, info.opens) == ("postgresql://me:***@127.0.0.1:1/none", False)
    assert info.error.startswith("Cannot reach the store 'postgresql://me:***@127.0.0.1:1/none'")
    assert "secret" not in json.dumps(info.to_json())


def test_values_read_by_sql_match_the_journals_for_every_state_and_infinite_values(
    database_url, tmp_path
):
    """The best-so-far values come from one SQL query on an RDB; they are what the journal's
    index gives for the same trials: failed and running trials, an infinite value."""

    def fill(storage):
        study = optuna.create_study(storage=storage, study_name="values", direction="minimize")
        for value in (0.5, float("inf"), 0.2, float("-inf")):
            study.add_trial(optuna.trial.create_trial(value=value))
        study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
        study.add_trial(optuna.trial.create_trial(value=0.1))
        study.ask()

    journal = str(tmp_path / "journal.log")
    expected = None
    for url in (journal, f"sqlite:///{tmp_path / 'values.db'}", database_url):
        fill(open_store(url).storage)
        values = open_store(url).values("values")
        rows = values.astype(object).where(values.notna(), None).values.tolist()
        if expected is None:
            expected = rows
            assert [row[:3] for row in rows][:4] == [
                [0, "complete", 0.5],
                [1, "complete", float("inf")],
                [2, "complete", 0.2],
                [3, "complete", float("-inf")],
            ]
            assert rows[4][1] == "fail" and rows[-1][1] == "running"
        assert rows == expected, url
        assert open_store(url).values("values", start=4, best=3)["best_number"].tolist()[:2] == [
            3,
            3,
        ]
