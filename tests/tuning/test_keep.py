"""Kept trials: fitted pipelines saved as trial artifacts, bounded by keep=, loaded back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.artifacts import FileSystemArtifactStore
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from tests.tuning.helpers import Flaky, classification_data
from workbench import Pipeline, store
from workbench.cli import main
from workbench.exceptions import (
    PersistenceError,
    StorageError,
    TuningError,
    UntrustedTypesError,
)
from workbench.tuning import Tuner, load_trial

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def logistic():
    return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=300))])


def tuned(tmp_path, *, n_trials=8, name="kept", pipe=None, **options):
    journal = tmp_path / "journal.log"
    options.setdefault("cv", 2)
    tuner = Tuner(
        pipe or logistic(),
        scoring="accuracy",
        storage=str(journal),
        study_name=name,
        sampler=optuna.samplers.RandomSampler(seed=0),
        refit=False,
        **options,
    )
    tuner.optimize(*classification_data(), n_trials=n_trials)
    return tuner, str(journal)


def best_three(tuner):
    frame = tuner.trials_dataframe()
    frame = frame[frame["state"] == "complete"].sort_values(
        ["value", "number"], ascending=[False, True]
    )
    return sorted(frame["number"].head(3).tolist())


def test_keep_best_three_of_eight_trials_keeps_exactly_the_best_three(tmp_path):
    tuner, journal = tuned(tmp_path)
    kept = store.open_store(journal).kept("kept")
    assert sorted(kept) == best_three(tuner)
    files = sorted(path.name for path in (tmp_path / "artifacts").iterdir())
    assert files == sorted(info["artifact_id"] for info in kept.values())  # the others deleted


def test_keep_int_all_and_false(tmp_path):
    tuner, journal = tuned(tmp_path / "one", keep=1)
    assert list(store.open_store(journal).kept("kept")) == [tuner.study.best_trial.number]
    _, journal = tuned(tmp_path / "all", keep="all", n_trials=5)
    assert sorted(store.open_store(journal).kept("kept")) == [0, 1, 2, 3, 4]
    _, journal = tuned(tmp_path / "none", keep=False, n_trials=3)
    assert store.open_store(journal).kept("kept") == {}
    assert not (tmp_path / "none" / "artifacts").exists()


@pytest.mark.parametrize("keep", [0, -2, "some", 2.5, None])
def test_keep_refuses_what_is_no_policy(keep):
    with pytest.raises(TuningError, match=r"keep must be 'best' .* but got keep="):
        Tuner(logistic(), keep=keep)


def test_artifacts_refuses_what_is_no_artifact_store():
    with pytest.raises(TuningError, match="artifacts must be an Optuna artifact store"):
        Tuner(logistic(), artifacts=42)


def test_kept_pipelines_go_to_the_artifact_store_given(tmp_path):
    elsewhere = tmp_path / "bucket"
    elsewhere.mkdir()
    tuner, journal = tuned(tmp_path, artifacts=FileSystemArtifactStore(str(elsewhere)))
    assert len(list(elsewhere.iterdir())) == 3
    assert not (tmp_path / "artifacts").exists()
    pipe = load_trial("kept", best_three(tuner)[0], storage=journal)
    assert pipe.predict(classification_data()[0][:2]).shape == (2,)


def test_load_trial_in_a_fresh_process_returns_the_best_fitted_pipeline(tmp_path):
    tuner, journal = tuned(tmp_path)
    _, y = classification_data()
    script = (
        "import json, sys\n"
        "from workbench.tuning import load_trial\n"
        "from tests.tuning.helpers import classification_data\n"
        "X, y = classification_data()\n"
        f"pipe = load_trial('kept', storage={journal!r})\n"
        "print(json.dumps({'class': type(pipe).__name__, 'C': pipe.get_hyperparams()"
        "['model__C'], 'predictions': pipe.predict(X).tolist()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    best = tuner.study.best_trial
    assert answer["class"] == "Pipeline"
    assert answer["C"] == pytest.approx(best.params["model__C"])
    assert np.mean(np.array(answer["predictions"]) == y) > 0.8


def test_load_trial_of_a_trial_not_kept_names_those_that_are(tmp_path):
    tuner, journal = tuned(tmp_path)
    kept = best_three(tuner)
    other = next(n for n in range(8) if n not in kept)
    with pytest.raises(
        TuningError, match=rf"did not keep trial {other}.*Kept trials: {re.escape(str(kept))}"
    ):
        load_trial("kept", other, storage=journal)


def test_load_trial_without_kept_pipelines_says_how_to_keep(tmp_path):
    _, journal = tuned(tmp_path, keep=False, n_trials=2)
    with pytest.raises(TuningError, match=r"keeps no fitted pipeline.*keep='best'"):
        load_trial("kept", storage=journal)


def test_load_trial_bad_numbers_and_names(tmp_path):
    _, journal = tuned(tmp_path, n_trials=2)
    with pytest.raises(TuningError, match=r"has no trial 9; its trials are 0\.\.1"):
        load_trial("kept", 9, storage=journal)
    with pytest.raises(TuningError, match=r"trial must be a trial number .* but got '1'"):
        load_trial("kept", "1", storage=journal)
    with pytest.raises(StorageError, match=r"No study or run named 'kep'.*Did you mean 'kept'"):
        load_trial("kep", storage=journal)


def test_load_trial_refuses_a_flipped_byte(tmp_path):
    tuner, journal = tuned(tmp_path)
    number = best_three(tuner)[0]
    info = store.open_store(journal).kept("kept")[number]
    path = tmp_path / "artifacts" / info["artifact_id"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match=r"does not match the checksum recorded"):
        load_trial("kept", number, storage=journal)


def test_load_trial_refuses_an_untrusted_type_until_trusted(tmp_path):
    pipe = Pipeline([("model", Flaky())]).set_hyperparams_space(model__mode=None)
    tuner, journal = tuned(tmp_path, pipe=pipe, n_trials=3)
    best = tuner.study.best_trial.number
    with pytest.raises(UntrustedTypesError, match=r"tests\.tuning\.helpers\.Flaky") as caught:
        load_trial("kept", storage=journal)
    assert f"workbench.tuning.load_trial('kept', {best}, trusted=" in str(caught.value)
    loaded = load_trial("kept", storage=journal, trusted=[Flaky])
    assert loaded.get_hyperparams()["model__C"] == pytest.approx(tuner.best_params_["model__C"])


def test_load_trial_of_a_removed_artifact_says_it_is_missing(tmp_path):
    _, journal = tuned(tmp_path, n_trials=2)
    for path in (tmp_path / "artifacts").iterdir():
        path.unlink()
    with pytest.raises(PersistenceError, match=r"is missing from its artifact store"):
        load_trial("kept", storage=journal)


def test_fresh_deletes_the_kept_pipelines_of_the_old_study(tmp_path):
    tuned(tmp_path, n_trials=4)
    assert len(list((tmp_path / "artifacts").iterdir())) == 3
    tuned(tmp_path, n_trials=1, fresh=True)
    assert len(list((tmp_path / "artifacts").iterdir())) == 1


def test_an_epoch_run_keeps_its_trained_pipeline_and_with_all_its_pruned_ones(tmp_path):
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    tuner, journal = tuned(
        tmp_path,
        pipe=pipe,
        cv=None,
        epochs={"epochs": 4, "batch_size": 20, "random_state": 0},
        keep="all",
        n_trials=10,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
    )
    frame = tuner.trials_dataframe()
    kept = store.open_store(journal).kept("kept")
    assert sorted(kept) == frame[frame["state"].isin(["complete", "pruned"])]["number"].tolist()
    pruned = frame[frame["state"] == "pruned"]["number"].tolist()
    assert pruned, "the pruner stopped no trial"
    trained = load_trial("kept", pruned[0], storage=journal)
    assert hasattr(trained["model"], "coef_")  # trained up to where it was pruned
    assert store.open_store(journal).record("kept", pruned[0]).kept["fitted_on"] == (
        "the epoch run's training data"
    )


def test_workbench_studies_reports_the_disk_use_of_kept_pipelines(tmp_path, capsys):
    _, journal = tuned(tmp_path)
    total = sum(info["bytes"] for info in store.open_store(journal).kept("kept").values())
    assert main(["studies", "--storage", journal]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "kept"
    assert lines[1].split()[8] == "3"
    assert lines[-1].startswith("Kept pipelines: 3, ")
    assert main(["studies", "--storage", journal, "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["kept"], row["kept_bytes"]) == (3, total)


def test_a_pipeline_that_cannot_be_saved_is_tuned_and_not_kept(tmp_path, caplog):
    class Local(Flaky):  # a class defined in a function: pickle cannot save it
        pass

    pipe = Pipeline([("model", Local())]).set_hyperparams_space(model__mode=None)
    with caplog.at_level("WARNING", logger="workbench.tuning"):
        tuner, journal = tuned(tmp_path, pipe=pipe, n_trials=3)
    assert tuner.trials_dataframe()["state"].tolist() == ["complete"] * 3
    assert store.open_store(journal).kept("kept") == {}
    [note] = [r.getMessage() for r in caplog.records if r.name == "workbench.tuning"]
    assert "pipeline cannot be kept" in note and "keep=False" in note
