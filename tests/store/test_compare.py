"""Comparing runs and trials: every item form, several stores, curves, differing hyperparams,
structure diff, groups, missing items."""

from __future__ import annotations

import math

import optuna
import pandas as pd
import pytest

from workbench.exceptions import StorageError
from workbench.store import Comparison, History, compare, open_store
from workbench.store.shared import (
    KIND_KEY,
    METRIC_KEY,
    RECORD_KEY,
    STRUCTURE_KEY,
    make_record,
    open_storage,
    record_run,
)


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def structure(model_class="SGDClassifier", *, extra=None, alpha=0.0001):
    children = [
        {
            "name": "scale",
            "path": "scale",
            "class": "StandardScaler",
            "active": True,
            "hyperparams": {"with_mean": True},
            "children": [],
        },
        {
            "name": "model",
            "path": "model",
            "class": model_class,
            "active": True,
            "hyperparams": {"alpha": alpha, "loss": "hinge"},
            "children": [],
        },
    ]
    if extra:
        children.append(
            {
                "name": extra,
                "path": extra,
                "class": "PCA",
                "active": True,
                "hyperparams": {},
                "children": [],
            }
        )
    return {
        "name": "",
        "path": "",
        "class": "Pipeline",
        "active": True,
        "hyperparams": {},
        "children": children,
    }


def history(epochs=3, *, start=1.0, mutation_at=None):
    rows = []
    for epoch in range(1, epochs + 1):
        rows.append(
            {
                "epoch": epoch,
                "phase": "pretrain" if mutation_at and epoch < mutation_at else "train",
                "mutation": "replace model" if epoch == mutation_at else None,
                "epoch_time": 0.5,
                "train_loss": start / epoch,
                "valid_loss": start / epoch + 0.1,
                "valid_accuracy": 1 - start / (epoch + 1),
            }
        )
    return History.from_rows(rows)


def a_run(storage, name, *, alpha=0.0001, model_class="SGDClassifier", extra=None, **kw):
    h = history(**kw)
    return record_run(
        structure=structure(model_class, extra=extra, alpha=alpha),
        hyperparams={"model__alpha": alpha},
        history=h,
        storage=storage,
        run_name=name,
        value=float(h["valid_loss"].iloc[-1]),
        metric="valid_loss",
    )


def a_study(storage, name, values, *, direction="maximize", running=False):
    study = optuna.create_study(
        storage=open_storage(storage), study_name=name, direction=direction
    )
    study.set_user_attr(KIND_KEY, "study")
    study.set_user_attr(METRIC_KEY, "valid_accuracy")
    study.set_user_attr(STRUCTURE_KEY, structure())
    dist = optuna.distributions.FloatDistribution(1e-5, 1.0, log=True)
    for i, value in enumerate(values):
        study.add_trial(
            optuna.trial.create_trial(
                params={"model__alpha": 10.0 ** -(i + 1)},
                distributions={"model__alpha": dist},
                value=value,
                user_attrs={RECORD_KEY: make_record(history=history(start=1 + i))},
            )
        )
    if running:
        trial = study.ask({"model__alpha": dist})
        trial.report(0.25, step=1)
        trial.report(0.5, step=2)
    return study


@pytest.fixture
def journal(tmp_path):
    path = str(tmp_path / "journal.log")
    a_run(path, "run-a", alpha=0.1)
    a_run(path, "run-b", alpha=0.01, model_class="MLPClassifier", extra="pca", mutation_at=2)
    a_study(path, "search", [0.5, 0.9, 0.7])
    return path


def test_compare_takes_a_run_a_pair_a_hash_and_a_study_for_its_best_trial(journal):
    store = open_store(journal, readonly=True)
    found = store.compare(["run-a", ("search", 0), "search#2", "search"])
    assert isinstance(found, Comparison)
    assert found.labels == ["run-a", "search#0", "search#2", "search#1"]
    rows = found.items.set_index("label")
    assert rows.loc["run-a", ["kind", "study", "trial", "state"]].tolist() == [
        "run",
        "run-a",
        0,
        "complete",
    ]
    assert rows.loc["search#1", ["kind", "metric", "direction", "value"]].tolist() == [
        "trial",
        "valid_accuracy",
        "maximize",
        0.9,
    ]
    assert rows.loc["run-a", "epochs"] == 3
    assert rows.loc["run-a", "duration"] == pytest.approx(1.5)
    assert list(found.items.columns) == [
        "label",
        "store",
        "kind",
        "study",
        "trial",
        "metric",
        "direction",
        "value",
        "epochs",
        "duration",
        "state",
    ]


def test_compare_study_name_means_its_best_trial_for_a_minimized_study(tmp_path):
    path = str(tmp_path / "j.log")
    a_study(path, "low", [0.5, 0.2, 0.7], direction="minimize")
    assert open_store(path).compare(["low"]).labels == ["low#1"]


def test_compare_curves_are_long_with_split_phase_and_mutation_marks(journal):
    found = open_store(journal).compare(["run-a", "run-b"])
    curves = found.curves
    assert list(curves.columns) == [
        "label",
        "epoch",
        "statistic",
        "split",
        "value",
        "phase",
        "mutation",
    ]
    b = curves[(curves["label"] == "run-b") & (curves["statistic"] == "valid_loss")]
    assert b["epoch"].tolist() == [1, 2, 3]
    assert b["value"].tolist() == pytest.approx([1.1, 0.6, 1 / 3 + 0.1])
    assert b["mutation"].tolist() == [None, "replace model", None]
    assert b["phase"].tolist() == ["pretrain", "train", "train"]
    assert set(curves.loc[curves["statistic"] == "train_loss", "split"]) == {"train"}
    assert set(curves.loc[curves["statistic"] == "valid_accuracy", "split"]) == {"valid"}
    # the store's marks: the first phase, then where the pipeline changed
    assert found.marks.values.tolist() == [
        ["run-b", 1, "pretrain"],
        ["run-b", 2, "train: replace model"],
    ]
    assert found.to_json()["marks"][1] == {
        "label": "run-b",
        "epoch": 2,
        "mark": "train: replace model",
    }


def test_compare_differing_keeps_only_the_hyperparams_that_differ(journal):
    found = open_store(journal).compare(["run-a", "search#0", "search#1"])
    assert list(found.differing.columns) == ["run-a", "search#0", "search#1"]
    assert found.differing.index.tolist() == ["model__alpha"]
    assert found.differing.loc["model__alpha"].tolist() == [0.1, 0.1, 0.01]
    assert "scale__with_mean" in found.hyperparams.index  # equal everywhere: not differing
    assert "scale__with_mean" not in found.differing.index


def test_compare_structure_diff_names_added_removed_and_other_classes(journal):
    diff = open_store(journal).compare(["run-a", "run-b"]).structure_diff
    assert diff[["path", "change", "depth", "run-a", "run-b"]].values.tolist() == [
        ["model", "class", 1, "SGDClassifier", "MLPClassifier"],
        ["pca", "added", 1, None, "PCA"],
    ]
    reverse = open_store(journal).compare(["run-b", "run-a"]).structure_diff
    assert reverse.set_index("path").loc["pca", "change"] == "removed"


def test_compare_structure_diff_marks_a_step_a_mutation_replaced(tmp_path):
    path = str(tmp_path / "j.log")
    a_run(path, "plain")
    record_run(
        structure=structure(),
        hyperparams={},
        history=history(),
        storage=path,
        run_name="mutated",
        value=0.5,
        metric="valid_loss",
        mutation_log=[{"index": 0, "op": "replace", "path": "model", "time": 1.0}],
    )
    diff = open_store(path).compare(["plain", "mutated"]).structure_diff
    assert diff[["path", "change"]].values.tolist() == [["model", "replaced"]]
    assert open_store(path).compare(["plain", "mutated"]).mutation_logs["mutated"][0]["op"] == (
        "replace"
    )


def test_compare_a_running_trial_shows_what_it_reported(tmp_path):
    path = str(tmp_path / "j.log")
    a_study(path, "live", [0.5], running=True)
    found = open_store(path).compare(["live#1"])
    assert found.items["state"].tolist() == ["running"]
    assert found.curves[["epoch", "statistic", "split", "value"]].values.tolist() == [
        [1, "valid_accuracy", "valid", 0.25],
        [2, "valid_accuracy", "valid", 0.5],
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("run-z", r"Cannot compare 'run-z': no study or run named 'run-z' .*Did you mean"),
        ("search#7", r"Cannot compare 'search#7': 'search' has no trial 7; it has 3 trial"),
        (("search", 9), r"Cannot compare \('search', 9\): 'search' has no trial 9"),
        (("search", "x"), r"An item pair is \(study, trial number\).*\('search', 'x'\)"),
        (3, r"An item is a run's name.*but got 3"),
    ],
)
def test_compare_missing_or_malformed_item_is_an_error_naming_it(journal, item, message):
    with pytest.raises(StorageError, match=message):
        open_store(journal).compare(["run-a", item])


def test_compare_study_without_a_complete_trial_says_to_name_a_trial(tmp_path):
    path = str(tmp_path / "j.log")
    a_study(path, "fresh", [], running=True)
    with pytest.raises(StorageError, match=r"'fresh': it has no complete trial.*'fresh#0'"):
        open_store(path).compare(["fresh"])


def test_compare_needs_an_item(journal):
    with pytest.raises(StorageError, match="needs at least one item"):
        open_store(journal).compare([])


def test_compare_same_item_twice_is_shown_once(journal):
    assert open_store(journal).compare(["run-a", "run-a#0", ("run-a", 0)]).labels == ["run-a"]


def test_compare_across_stores_by_prefix_or_by_search(tmp_path):
    one, two = str(tmp_path / "one.log"), str(tmp_path / "two.log")
    a_run(one, "run-a", alpha=0.1)
    a_run(two, "run-a", alpha=0.5)
    a_run(two, "only-two")
    stores = {"one": one, "two": two}
    found = compare(["one:run-a", "two:run-a", "only-two"], stores=stores)
    assert found.labels == ["one:run-a", "two:run-a", "two:only-two"]
    assert found.items["store"].tolist() == ["one", "two", "two"]
    assert found.differing.loc["model__alpha", ["one:run-a", "two:run-a"]].tolist() == [0.1, 0.5]
    with pytest.raises(StorageError, match=r"Cannot compare 'nowhere': no store of \['one', "):
        compare(["nowhere"], stores=stores)


def test_compare_default_stores_are_the_configured_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_STORAGE", raising=False)
    a_run(None, "here")
    assert compare(["here"]).items["store"].tolist() == ["default"]


def test_compare_grouped_gives_a_mean_and_a_band_per_group(journal):
    found = open_store(journal).compare(["search#0", "search#1", "search#2", "run-a"])
    groups = found.group_labels("model__alpha")
    assert groups == {"0.1": ["search#0", "run-a"], "0.01": ["search#1"], "0.001": ["search#2"]}
    band = found.grouped("model__alpha")
    first = band[(band["group"] == "0.1") & (band["statistic"] == "train_loss")]
    assert first["mean"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert (first["n"] == 2).all()
    std = found.grouped("model__alpha", band="std")
    one = std[(std["group"] == "0.01") & (std["statistic"] == "train_loss")]
    assert (one["low"] == one["mean"]).all()  # one item: no spread
    with pytest.raises(StorageError, match=r"No hyperparam 'model__alfa'.*Did you mean"):
        found.grouped("model__alfa")
    with pytest.raises(StorageError, match="band must be 'range' or 'std', but got 'iqr'"):
        found.grouped("model__alpha", band="iqr")


def test_compare_to_json_is_strict_json_with_one_series_per_item_and_statistic(journal):
    import json

    found = open_store(journal).compare(["run-a", "search#1"])
    data = found.to_json()
    json.dumps(data, allow_nan=False)
    assert {(s["label"], s["statistic"]) for s in data["series"]} == {
        (label, stat)
        for label in ("run-a", "search#1")
        for stat in ("train_loss", "valid_loss", "valid_accuracy")
    }
    assert data["differing"]["paths"] == ["model__alpha"]
    assert data["differing"]["rows"] == [[0.1, 0.01]]
    assert data["items"][1]["label"] == "search#1"


def test_compare_history_with_a_missing_value_keeps_it_missing(tmp_path):
    path = str(tmp_path / "j.log")
    h = history()
    h.loc[1, "valid_loss"] = math.nan
    record_run(
        structure=structure(),
        hyperparams={},
        history=h,
        storage=path,
        run_name="gap",
        value=0.3,
        metric="valid_loss",
    )
    found = open_store(path).compare(["gap"])
    series = {s["statistic"]: s for s in found.to_json()["series"]}
    assert series["valid_loss"]["value"][1] is None
    assert pd.isna(found.curves.query("statistic == 'valid_loss'")["value"].iloc[1])


def test_compare_default_stores_leave_out_one_that_cannot_open(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "WORKBENCH_STORAGE", f"{tmp_path / 'here.log'} postgresql://x@127.0.0.1:9/none"
    )
    a_run(str(tmp_path / "here.log"), "here")
    found = compare(["here"])
    assert found.labels == ["here"]
    with pytest.raises(StorageError, match=r"Cannot compare 'elsewhere': no store of"):
        compare(["elsewhere"])
