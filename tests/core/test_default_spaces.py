from __future__ import annotations

import numpy as np
import optuna
import pytest
from sklearn import (
    decomposition,
    ensemble,
    feature_selection,
    linear_model,
    neighbors,
    neural_network,
    preprocessing,
    svm,
)
from sklearn.linear_model import Ridge

from workbench import Pipeline, floats
from workbench.core import default_space, register_default_space

ESTIMATORS = [
    linear_model.LogisticRegression,
    linear_model.Ridge,
    linear_model.Lasso,
    linear_model.ElasticNet,
    linear_model.SGDClassifier,
    linear_model.SGDRegressor,
    svm.SVC,
    neighbors.KNeighborsClassifier,
    neighbors.KNeighborsRegressor,
    ensemble.RandomForestClassifier,
    ensemble.RandomForestRegressor,
    ensemble.ExtraTreesClassifier,
    ensemble.ExtraTreesRegressor,
    ensemble.GradientBoostingClassifier,
    ensemble.GradientBoostingRegressor,
    ensemble.HistGradientBoostingClassifier,
    ensemble.HistGradientBoostingRegressor,
    neural_network.MLPClassifier,
    neural_network.MLPRegressor,
    decomposition.PCA,
    decomposition.TruncatedSVD,
    preprocessing.StandardScaler,
    preprocessing.MinMaxScaler,
    preprocessing.PolynomialFeatures,
    feature_selection.SelectKBest,
]


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_default_space_values_fit(estimator_class):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8))
    y = (X[:, 0] > 0).astype(int)
    space = default_space(estimator_class())
    assert space and set(space) <= set(estimator_class().get_params())
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(2):
        trial = study.ask(fixed_distributions=space)
        params = dict(trial.params)
        if estimator_class in (decomposition.TruncatedSVD, feature_selection.SelectKBest):
            params = {"n_components" if "n_components" in params else "k": 4}
        extra = {"max_iter": 30} if "MLP" in estimator_class.__name__ else {}
        estimator = estimator_class(**params, **extra)
        pipe = Pipeline([("step", estimator)])
        pipe.set_hyperparams({f"step__{k}": v for k, v in params.items()})
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(X, y)
        out = pipe.transform(X) if hasattr(estimator, "transform") else pipe.predict(X)
        assert len(out) == 300
        study.tell(trial, 0.0)


def test_user_can_register_a_default_space():
    register_default_space(Ridge, {"alpha": floats(0.5, 2.0)})
    try:
        assert Pipeline([("ridge", Ridge())]).get_hyperparams_space() == {
            "ridge__alpha": floats(0.5, 2.0)
        }
    finally:
        register_default_space(Ridge, {"alpha": floats(1e-6, 1e2, log=True)})


def test_unknown_estimators_have_an_empty_space():
    from sklearn.preprocessing import FunctionTransformer

    assert default_space(FunctionTransformer()) == {}
