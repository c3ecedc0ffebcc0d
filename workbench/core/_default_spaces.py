"""Default hyperparameter spaces for common scikit-learn estimators.

Ranges follow what practitioners search (scikit-learn's examples, auto-sklearn's and Optuna's
published search spaces): regularisation strengths on a log scale, tree counts in the tens to
hundreds, learning rates between 1e-3 and 1. Register a space of your own with
:func:`register_default_space`; a pipeline's :meth:`set_hyperparams_space` overrides any of them
for one step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from optuna.distributions import BaseDistribution

from workbench.core._space import Space, categorical, check_distribution, floats, ints

_C = floats(1e-4, 1e4, log=True)
_ALPHA = floats(1e-6, 1e2, log=True)
_SGD_ALPHA = floats(1e-7, 1e-1, log=True)
_L1_RATIO = floats(0.0, 1.0)
_LEARNING_RATE = floats(1e-3, 1.0, log=True)
_N_ESTIMATORS = ints(10, 500, log=True)
_MAX_DEPTH = ints(2, 32, log=True)
_MIN_SAMPLES_LEAF = ints(1, 32, log=True)
_MAX_FEATURES = floats(0.1, 1.0)
_BOOL = categorical([True, False])


def _forest() -> Space:
    return {
        "n_estimators": _N_ESTIMATORS,
        "max_depth": _MAX_DEPTH,
        "min_samples_leaf": _MIN_SAMPLES_LEAF,
        "max_features": _MAX_FEATURES,
        "bootstrap": _BOOL,
    }


def _gradient_boosting() -> Space:
    return {
        "n_estimators": _N_ESTIMATORS,
        "learning_rate": _LEARNING_RATE,
        "max_depth": ints(1, 10),
        "min_samples_leaf": _MIN_SAMPLES_LEAF,
        "subsample": floats(0.5, 1.0),
        "max_features": _MAX_FEATURES,
    }


def _hist_gradient_boosting() -> Space:
    return {
        "learning_rate": _LEARNING_RATE,
        "max_iter": ints(50, 1000, log=True),
        "max_leaf_nodes": ints(8, 256, log=True),
        "min_samples_leaf": ints(5, 100, log=True),
        "l2_regularization": floats(1e-8, 10.0, log=True),
    }


def _mlp() -> Space:
    return {
        "alpha": floats(1e-6, 1e-1, log=True),
        "learning_rate_init": floats(1e-4, 1e-1, log=True),
        "batch_size": categorical([32, 64, 128, 256]),
        "activation": categorical(["relu", "tanh", "logistic"]),
    }


def _kneighbors() -> Space:
    return {
        "n_neighbors": ints(1, 50, log=True),
        "weights": categorical(["uniform", "distance"]),
        "p": categorical([1, 2]),
    }


_SPACES: dict[str, Callable[[], Space]] = {
    "sklearn.linear_model.LogisticRegression": lambda: {
        "C": _C,
        "tol": floats(1e-6, 1e-2, log=True),
    },
    "sklearn.linear_model.Ridge": lambda: {"alpha": _ALPHA},
    "sklearn.linear_model.RidgeClassifier": lambda: {"alpha": _ALPHA},
    "sklearn.linear_model.Lasso": lambda: {"alpha": _ALPHA},
    "sklearn.linear_model.ElasticNet": lambda: {"alpha": _ALPHA, "l1_ratio": _L1_RATIO},
    "sklearn.linear_model.SGDClassifier": lambda: {
        "alpha": _SGD_ALPHA,
        "loss": categorical(["hinge", "log_loss", "modified_huber"]),
        "penalty": categorical(["l2", "l1", "elasticnet"]),
        "l1_ratio": _L1_RATIO,
        "eta0": floats(1e-4, 1.0, log=True),
    },
    "sklearn.linear_model.SGDRegressor": lambda: {
        "alpha": _SGD_ALPHA,
        "loss": categorical(["squared_error", "huber", "epsilon_insensitive"]),
        "penalty": categorical(["l2", "l1", "elasticnet"]),
        "l1_ratio": _L1_RATIO,
        "eta0": floats(1e-4, 1.0, log=True),
    },
    "sklearn.svm.SVC": lambda: {
        "C": floats(1e-3, 1e3, log=True),
        "gamma": floats(1e-5, 1e1, log=True),
        "kernel": categorical(["rbf", "linear", "poly", "sigmoid"]),
    },
    "sklearn.svm.SVR": lambda: {
        "C": floats(1e-3, 1e3, log=True),
        "gamma": floats(1e-5, 1e1, log=True),
        "epsilon": floats(1e-3, 1.0, log=True),
    },
    "sklearn.neighbors.KNeighborsClassifier": _kneighbors,
    "sklearn.neighbors.KNeighborsRegressor": _kneighbors,
    "sklearn.ensemble.RandomForestClassifier": _forest,
    "sklearn.ensemble.RandomForestRegressor": _forest,
    "sklearn.ensemble.ExtraTreesClassifier": _forest,
    "sklearn.ensemble.ExtraTreesRegressor": _forest,
    "sklearn.ensemble.GradientBoostingClassifier": _gradient_boosting,
    "sklearn.ensemble.GradientBoostingRegressor": _gradient_boosting,
    "sklearn.ensemble.HistGradientBoostingClassifier": _hist_gradient_boosting,
    "sklearn.ensemble.HistGradientBoostingRegressor": _hist_gradient_boosting,
    "sklearn.neural_network.MLPClassifier": _mlp,
    "sklearn.neural_network.MLPRegressor": _mlp,
    "sklearn.decomposition.PCA": lambda: {
        "n_components": floats(0.5, 0.999),
        "whiten": _BOOL,
    },
    "sklearn.decomposition.TruncatedSVD": lambda: {"n_components": ints(2, 256, log=True)},
    "sklearn.preprocessing.StandardScaler": lambda: {"with_mean": _BOOL, "with_std": _BOOL},
    "sklearn.preprocessing.MinMaxScaler": lambda: {"clip": _BOOL},
    "sklearn.preprocessing.PolynomialFeatures": lambda: {
        "degree": ints(1, 4),
        "interaction_only": _BOOL,
        "include_bias": _BOOL,
    },
    "sklearn.feature_selection.SelectKBest": lambda: {"k": ints(1, 100, log=True)},
}


def _qualified_name(cls: type) -> str:
    """``sklearn.ensemble.HistGradientBoostingClassifier``: the module path up to its first
    private part, where public packages re-export their classes."""
    public = []
    for part in cls.__module__.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, cls.__qualname__])


_CONSTRUCTOR_PARAMS: dict[type, tuple[str, ...]] = {}


def constructor_params(cls: Any) -> tuple[str, ...]:
    """The constructor parameters of a scikit-learn estimator class, inspected once per class."""
    names = _CONSTRUCTOR_PARAMS.get(cls)
    if names is None:
        names = _CONSTRUCTOR_PARAMS[cls] = tuple(cls._get_param_names())
    return names


def default_space(estimator: Any) -> Space:
    """The registered default space of ``estimator`` (empty when none is known).

    Only hyperparameters the estimator really has are kept. Returns a new dict each call.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> default_space(Ridge())
    {'alpha': FloatDistribution(high=100.0, log=True, low=1e-06, step=None)}
    """
    for cls in type(estimator).__mro__:
        factory = _SPACES.get(_qualified_name(cls))
        if factory is not None:
            space = factory()
            if hasattr(type(estimator), "_get_param_names"):
                known = constructor_params(type(estimator))
                space = {name: dist for name, dist in space.items() if name in known}
            return space
    return {}


def register_default_space(
    estimator_class: type, space: Mapping[str, BaseDistribution] | Callable[[], Space]
) -> None:
    """Make ``space`` the default space of every instance of ``estimator_class``.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> register_default_space(Ridge, {"alpha": floats(0.1, 10.0, log=True)})
    >>> default_space(Ridge())["alpha"].low
    0.1
    >>> register_default_space(Ridge, {"alpha": floats(1e-6, 1e2, log=True)})
    """
    if callable(space):
        factory = space
    else:
        frozen = {name: check_distribution(name, dist) for name, dist in space.items()}

        def factory() -> Space:
            return dict(frozen)

    _SPACES[_qualified_name(estimator_class)] = factory
