"""Round trips: what load() returns predicts exactly what was saved, with its whole state."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.persistence.steps import Locked, Shift
from workbench import Choose, Pipeline, TrainOnly, floats
from workbench.parallel import ParallelTransform, ParallelUnion
from workbench.persistence import dumps, load, loads, read_manifest, save

SHIFT = "tests.persistence.steps.Shift"
TREE = "sklearn.tree._tree.Tree"


def _nested(choice="linear"):
    return Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=3))])),
            ("shift", Shift(scale=0.5)),
            ("noise", TrainOnly(StandardScaler())),
            (
                "model",
                Choose(
                    [
                        ("linear", LogisticRegression(C=0.3)),
                        ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
                    ],
                    choice=choice,
                ),
            ),
        ]
    )


@pytest.mark.parametrize("choice", ["linear", "forest"])
def test_save_load_nested_pipeline_predicts_the_same(tmp_path, data, choice):
    X, y = data
    pipe = _nested(choice).fit(X, y)
    path = save(pipe, tmp_path / "pipe.wbz")
    loaded = load(path, trusted=[SHIFT, TREE])
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded.get_hyperparams().keys() == pipe.get_hyperparams().keys()
    assert loaded["model"].chosen == choice
    assert loaded["shift"].scale == 0.5


def test_save_load_keeps_spaces_frozen_steps_and_mutation_log(tmp_path, data):
    X, y = data
    pipe = _nested().fit(X, y)
    pipe.set_hyperparams_space(model__linear__C=floats(0.1, 5.0, log=True), shift__scale=None)
    pipe.set_hyperparams_space(encoder__pca__n_components=None)
    pipe.freeze("encoder").replace("noise", "passthrough")
    loaded = load(save(pipe, tmp_path / "p.wbz"), trusted=[SHIFT])
    assert loaded.get_hyperparams_space() == pipe.get_hyperparams_space()
    assert "shift__scale" not in loaded.get_hyperparams_space()
    assert loaded.is_frozen("encoder") and not loaded.is_frozen("model")
    assert [record["op"] for record in loaded.mutation_log] == ["freeze", "replace"]
    assert loaded.mutation_log == pipe.mutation_log
    assert loaded["noise"] == "passthrough"
    loaded.fit(X[:30], y[:30])  # the frozen encoder keeps what it learned from all rows
    np.testing.assert_array_equal(
        loaded["encoder__pca"].components_, pipe["encoder__pca"].components_
    )


def test_save_load_keeps_train_only_behaviour(tmp_path, data):
    X, _y = data
    step = TrainOnly(Shift()).fit(X)
    loaded = load(save(step, tmp_path / "t.wbz"), trusted=[SHIFT])
    np.testing.assert_array_equal(loaded.transform(X), X)  # eval mode: passes through
    np.testing.assert_array_equal(loaded.train().transform(X), step.train().transform(X))


def test_save_load_plain_scikit_learn_pipeline(tmp_path, data):
    X, y = data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    loaded = load(save(model, tmp_path / "sk.wbz"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_save_load_parallel_wrappers(tmp_path, data):
    X, y = data
    pipe = Pipeline(
        [
            (
                "features",
                ParallelUnion(
                    [("pca", PCA(n_components=2)), ("keep", "passthrough")], backend="threading"
                ),
            ),
            ("model", ParallelTransform(LogisticRegression(), n_jobs=2, chunk_size=7)),
        ]
    ).fit(X, y)
    loaded = load(save(pipe, tmp_path / "par.wbz"))
    assert loaded["model"].chunk_size == 7 and loaded["features"].backend == "threading"
    np.testing.assert_array_equal(loaded["features"].transform(X), pipe["features"].transform(X))
    np.testing.assert_array_equal(loaded["model__step"].coef_, pipe["model__step"].coef_)


def test_save_load_step_with_registered_saver_reacquires_its_resource(
    tmp_path, data, locked_saver
):
    X, _ = data
    pipe = Pipeline([("locked", Locked(factor=3.0))]).fit(X)
    pipe.set_hyperparams_space(locked__factor=floats(1.0, 3.0))
    expected = pipe.transform(X)
    loaded = load(save(pipe, tmp_path / "locked.wbz"))
    assert not loaded["locked"].is_set_up
    np.testing.assert_array_equal(loaded.transform(X), expected)
    assert loaded["locked"].is_set_up  # set up again, lazily, on first use
    assert loaded.get_hyperparams_space()["locked__factor"] == floats(1.0, 3.0)


def test_save_load_unfitted_pipeline_stays_unfitted_and_fits(tmp_path, data):
    X, y = data
    loaded = load(save(_nested(), tmp_path / "raw.wbz"), trusted=[SHIFT])
    assert not loaded.describe()["fitted"]
    np.testing.assert_array_equal(loaded.fit(X, y).predict(X), _nested().fit(X, y).predict(X))


def test_dumps_loads_round_trip_in_memory(data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    np.testing.assert_array_equal(loads(dumps(pipe)).predict(X), pipe.predict(X))
    assert len(dumps(pipe, compress=True)) < len(dumps(pipe))


def test_read_manifest_describes_the_file_without_loading(tmp_path, data):
    X, y = data
    pipe = _nested().fit(X, y).freeze("encoder")
    manifest = read_manifest(save(pipe, tmp_path / "m.wbz"))
    assert manifest["versions"]["scikit-learn"] and manifest["versions"]["python"]
    assert manifest["frozen"] == ["encoder"]
    assert manifest["hyperparams"]["model__linear__C"] == 0.3
    assert manifest["space"]["shift__scale"] == {
        "type": "float",
        "low": 0.0,
        "high": 10.0,
        "log": False,
        "step": None,
    }
    assert manifest["description"]["children"][0]["name"] == "encoder"
    assert manifest["mutation_log"][0]["op"] == "freeze"
    assert manifest["root"]["children"][1]["node"]["class"] == SHIFT


def _built_in_kinds():
    from workbench.training import (
        Flatten,
        ForEach,
        InputAsTarget,
        NextValueTarget,
        TransformTarget,
    )

    rng = np.random.default_rng(1)
    X2, X3 = rng.normal(size=(40, 3)), rng.normal(size=(40, 5, 3))
    y = X2 @ np.array([1.0, -2.0, 0.5])
    return [
        ("TransformTarget", TransformTarget(LogisticRegression(), transformer=None), None, None),
        (
            "TransformTarget",
            TransformTarget(
                Pipeline([("model", LinearRegression())]), transformer=StandardScaler()
            ),
            X2,
            y,
        ),
        ("ForEach", ForEach(StandardScaler()), X3, None),
        ("Flatten", Pipeline([("flat", Flatten()), ("scale", StandardScaler())]), X3, None),
        ("InputAsTarget", Pipeline([("target", InputAsTarget())]), X2, None),
        ("NextValueTarget", NextValueTarget(window=2), None, None),
        ("ParallelUnion", ParallelUnion([("a", StandardScaler())], n_jobs=1), X2, None),
    ]


KINDS = [
    "TransformTarget-unfitted",
    "TransformTarget",
    "ForEach",
    "Flatten",
    "InputAsTarget",
    "NextValueTarget",
    "ParallelUnion",
]


@pytest.mark.parametrize("index", range(len(KINDS)), ids=KINDS)
def test_save_load_every_built_in_kind_keeps_its_description(tmp_path, index):
    _, step, X, y = _built_in_kinds()[index]
    if X is not None:
        step.fit(X, y)
    loaded = load(save(step, tmp_path / "kind.wbz"))
    assert type(loaded) is type(step)
    assert loaded.describe() == step.describe()
    if X is not None and hasattr(step, "predict"):
        np.testing.assert_allclose(loaded.predict(X), step.predict(X))
    elif X is not None and hasattr(step, "transform"):
        np.testing.assert_allclose(loaded.transform(X), step.transform(X))
