"""partial_fit through Pipeline, Choose and TrainOnly (the core's mini-batch API)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from workbench import Choose, Pipeline, TrainOnly
from workbench.exceptions import TrainingError
from workbench.testing import EventRecorder


def test_pipeline_partial_fit_learns_incrementally_like_its_steps(blobs):
    X, y = blobs
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    scaler, model = StandardScaler(), SGDClassifier(random_state=0)
    for start in range(0, len(X), 100):
        pipe.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1])
        scaler.partial_fit(X[start : start + 100])
        model.partial_fit(scaler.transform(X[start : start + 100]), y[start : start + 100], [0, 1])
    np.testing.assert_allclose(pipe["scale"].mean_, X.mean(axis=0))
    np.testing.assert_allclose(pipe["model"].coef_, model.coef_)
    assert pipe.score(X, y) > 0.9


def test_pipeline_partial_fit_gives_the_classifier_classes_on_its_first_call(blobs):
    X, y = blobs
    pipe = Pipeline([("model", GaussianNB())])
    pipe.partial_fit(X[:50], y[:50])  # scikit-learn alone would ask for classes=
    pipe.partial_fit(X[50:], y[50:])
    assert pipe.classes_.tolist() == [0, 1]


def test_pipeline_partial_fit_leaves_frozen_steps_as_they_are(blobs):
    X, y = blobs
    pipe = Pipeline([("reduce", PCA(n_components=2)), ("model", SGDClassifier(random_state=0))])
    pipe.fit(X, y).freeze("reduce")
    components = pipe["reduce"].components_.copy()
    pipe.partial_fit(X[:100] * 10.0, y[:100])
    np.testing.assert_array_equal(pipe["reduce"].components_, components)


def test_pipeline_without_partial_fit_step_names_it_and_the_ways_out(blobs):
    X, y = blobs
    pipe = Pipeline([("reduce", PCA(n_components=5)), ("model", SGDClassifier(random_state=0))])
    with pytest.raises(TrainingError, match=r"'reduce' \(PCA\) has no partial_fit.*freeze"):
        pipe.partial_fit(X, y)
    assert not hasattr(pipe["model"], "coef_")  # checked before any step was touched
    pipe.fit(X, y).freeze("reduce")
    pipe.partial_fit(X, y)
    assert pipe.score(X, y) > 0.8


def test_pipeline_ending_without_partial_fit_offers_none():
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    assert not hasattr(pipe, "partial_fit")  # what scikit-learn's checks look at


def test_pipeline_partial_fit_accepts_stateless_steps(blobs):
    X, y = blobs
    pipe = Pipeline(
        [("double", FunctionTransformer(np.negative)), ("model", SGDClassifier(random_state=0))]
    )
    pipe.partial_fit(X, y)
    flipped = SGDClassifier(random_state=0).fit(-X, y)
    assert pipe.score(X, y) == pytest.approx(flipped.score(-X, y), abs=0.1)


def test_choose_partial_fit_trains_the_chosen_branch_only(blobs):
    X, y = blobs
    model = Choose([("a", SGDClassifier(random_state=0)), ("b", GaussianNB())], choice="b")
    model.partial_fit(X, y)
    assert hasattr(model["b"], "classes_")
    assert not hasattr(model["a"], "coef_")


def test_choose_without_partial_fit_on_its_chosen_branch_has_no_partial_fit():
    model = Choose([("sgd", SGDClassifier(random_state=0)), ("logistic", LogisticRegression())])
    assert hasattr(model, "partial_fit")
    model.set_hyperparams(choice="logistic")
    assert not hasattr(model, "partial_fit")


def test_train_only_partial_fit_applies_its_step_in_train_mode_only(blobs):
    X, _ = blobs
    pipe = Pipeline(
        [("shift", TrainOnly(FunctionTransformer(lambda X: X + 5.0))), ("scale", StandardScaler())]
    )
    pipe.partial_fit(X)
    np.testing.assert_allclose(pipe["scale"].mean_, X.mean(axis=0) + 5.0)
    assert pipe.training is False  # back in eval mode: predict sees raw data
    np.testing.assert_allclose(pipe["shift"].transform(X), X)


def test_pipeline_partial_fit_emits_fit_events_with_their_kind(blobs):
    X, y = blobs
    recorder = EventRecorder()
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    pipe.partial_fit(X, y, callbacks=[recorder])
    assert recorder.names() == ["fit_begin", "step_fitted", "step_fitted", "fit_end"]
    assert recorder.events[0][1]["kind"] == "partial_fit"
