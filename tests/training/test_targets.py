"""Label transforms: TransformTarget, InputAsTarget, NextValueTarget."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import LinearRegression, SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler

from workbench import Pipeline
from workbench.exceptions import StructureError, TrainingError
from workbench.training import InputAsTarget, NextValueTarget, TransformTarget, fit_epochs


def test_transform_target_scales_a_regression_target_and_inverts_predictions():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 1e4 + 1e3 * X[:, 0]
    model = TransformTarget(LinearRegression(), transformer=StandardScaler()).fit(X, y)
    assert np.abs(model.step.coef_).max() < 2.0  # learned on the standardized target
    np.testing.assert_allclose(model.predict(X[:5]), y[:5], rtol=1e-6)
    assert model.score(X, y) == pytest.approx(1.0)


def test_transform_target_one_hot_targets_through_a_multi_output_regressor(blobs):
    X, y = blobs
    labels = np.array(["no", "yes"])[y]
    model = TransformTarget(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=500, random_state=0),
        transformer=OneHotEncoder(sparse_output=False),
    ).fit(X, labels)
    assert model.step.n_outputs_ == 2
    assert set(model.predict(X)) == {"no", "yes"}
    assert model.score(X, labels) > 0.9


def test_transform_target_in_a_mini_batch_run_fits_the_encoder_on_the_whole_target(blobs):
    X, y = blobs
    labels = np.array(["cat", "dog"])[y]
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", TransformTarget(SGDClassifier(random_state=0), transformer=LabelEncoder())),
        ]
    )
    history = fit_epochs(pipe, X, labels, epochs=3, batch_size=50, validation_fraction=0.2)
    assert pipe["model__transformer"].classes_.tolist() == ["cat", "dog"]
    assert pipe["model__step"].classes_.tolist() == [0, 1]
    assert set(pipe.predict(X)) == {"cat", "dog"}
    assert history["valid_accuracy"].iloc[-1] > 0.85


def test_transform_target_partial_fit_alone_fits_the_transformer_on_classes(blobs):
    X, y = blobs
    labels = np.array(["a", "b"])[y]
    model = TransformTarget(SGDClassifier(random_state=0), transformer=LabelEncoder())
    model.partial_fit(X[:5], labels[:5], classes=["a", "b"])
    assert model.transformer.classes_.tolist() == ["a", "b"]
    assert model.step.classes_.tolist() == [0, 1]


def test_transform_target_hyperparams_are_addressable_by_path():
    pipe = Pipeline([("model", TransformTarget(SGDRegressor(), transformer=StandardScaler()))])
    pipe.set_hyperparams(model__step__alpha=0.01, model__transformer__with_mean=False)
    assert pipe["model__step"].alpha == 0.01
    assert "model__step__alpha" in pipe.get_hyperparams_space()
    with pytest.raises(
        StructureError,
        match=r"TransformTarget holds a fixed set of steps \('transformer', 'step'\)",
    ):
        pipe.remove("model__step")


def test_transform_target_without_y_says_so():
    with pytest.raises(TrainingError, match="needs y to transform, but got y=None"):
        TransformTarget(LinearRegression(), transformer=StandardScaler()).fit(np.ones((3, 1)))


def test_input_as_target_trains_an_autoencoder_by_mini_batch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6))
    pipe = Pipeline(
        [
            ("target", InputAsTarget()),
            ("encoder", IncrementalPCA(n_components=2)),
            (
                "decoder",
                MLPRegressor(hidden_layer_sizes=(), learning_rate_init=0.01, random_state=0),
            ),
        ]
    )
    history = fit_epochs(pipe, X, epochs=30, batch_size=50)
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0] / 100
    reconstruction = pipe.predict(X)  # eval mode: the target maker does nothing
    assert reconstruction.shape == X.shape
    assert np.mean((reconstruction - X) ** 2) < 0.1 * np.var(X)


def test_next_value_target_makes_autoregressive_pairs_while_fitting_only():
    series = np.sin(np.arange(200) / 5.0)
    pipe = Pipeline([("lags", NextValueTarget(window=5)), ("model", LinearRegression())])
    pipe.fit(series)
    assert pipe["model"].n_features_in_ == 5
    forecast = pipe.predict(series[-5:])
    assert forecast.shape == (1,)
    assert forecast[0] == pytest.approx(np.sin(200 / 5.0), abs=1e-3)


def test_next_value_target_learns_by_mini_batch():
    series = np.cos(np.arange(400) / 7.0)
    pipe = Pipeline([("lags", NextValueTarget(window=3)), ("model", SGDRegressor(random_state=0))])
    history = fit_epochs(pipe, series, epochs=5, batch_size=100, shuffle=False)
    assert history["n_train"].tolist() == [400] * 5
    assert pipe.predict(series[-3:])[0] == pytest.approx(np.cos(400 / 7.0), abs=0.1)


def test_next_value_target_rejects_a_too_short_series():
    with pytest.raises(TrainingError, match=r"more than window=4 values.*shape \(4,\)"):
        NextValueTarget(window=4).fit_resample(np.arange(4.0))
    with pytest.raises(TrainingError, match=r"at least window=4 values.*shape \(3,\)"):
        NextValueTarget(window=4).transform(np.arange(3.0))


def test_a_regressor_on_one_hot_targets_is_a_classifier_scored_by_accuracy():
    from sklearn.base import is_classifier
    from sklearn.datasets import load_digits
    from sklearn.linear_model import Ridge
    from sklearn.metrics import accuracy_score

    X, y = load_digits(return_X_y=True)
    model = TransformTarget(Ridge(), transformer=OneHotEncoder(sparse_output=False))
    assert is_classifier(model) and is_classifier(Pipeline([("model", model)]))
    model.fit(X, y)
    accuracy = accuracy_score(y, model.predict(X))
    assert model.score(X, y) == pytest.approx(accuracy) and accuracy > 0.9
    assert model.classes_.tolist() == list(range(10))


def test_fit_epochs_scores_a_class_encoding_target_by_accuracy(blobs):
    X, y = blobs
    labels = np.array(["no", "yes"])[y]
    pipe = Pipeline(
        [
            (
                "model",
                TransformTarget(
                    MLPRegressor(hidden_layer_sizes=(8,), random_state=0),
                    transformer=OneHotEncoder(sparse_output=False),
                ),
            )
        ]
    )
    history = fit_epochs(pipe, X, labels, epochs=3, batch_size=50, validation_fraction=0.2)
    assert "valid_accuracy" in history.columns and "valid_r2" not in history.columns
    assert pipe.classes_.tolist() == ["no", "yes"]


def test_a_scaled_target_stays_a_regressor_without_classes():
    from sklearn.base import is_regressor

    model = TransformTarget(LinearRegression(), transformer=StandardScaler())
    assert is_regressor(model) and not model.encodes_classes
    model.fit(np.arange(6.0).reshape(-1, 1), np.arange(6.0))
    with pytest.raises(
        AttributeError,
        match=r"classes_ only when its step is a fitted classifier or its transformer a fitted "
        r"class encoder, but got step LinearRegression and transformer StandardScaler",
    ):
        model.classes_  # noqa: B018


def test_a_tuner_with_default_scoring_optimises_the_accuracy_of_a_one_hot_target(blobs):
    import optuna
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import cross_val_score

    from workbench.tuning import Tuner

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = blobs
    pipe = Pipeline(
        [("model", TransformTarget(Ridge(), transformer=OneHotEncoder(sparse_output=False)))]
    )
    tuner = Tuner(pipe, cv=3, storage=":memory:", random_state=0).optimize(X, y, n_trials=2)
    best = tuner.candidate(tuner.best_params_)
    expected = cross_val_score(best, X, y, cv=3, scoring="accuracy").mean()
    assert tuner.best_value_ == pytest.approx(expected)


def test_next_value_target_takes_a_window_wider_than_its_search_space():
    step = NextValueTarget().set_hyperparams(window=100)
    X, y = step.fit_resample(np.arange(200.0), None)
    assert X.shape == (100, 100) and y[0] == 100.0
