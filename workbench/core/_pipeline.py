"""Pipeline: named steps run one after another; nestable, itself a step and a valid
scikit-learn estimator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metaestimators import available_if

from workbench.core import _tree
from workbench.core._composite import Composite
from workbench.core._fitting import MinibatchRoute, fit_transform_step, route_fit_params
from workbench.core._introspection import is_fitted
from workbench.core._minibatch import (
    can_partial_fit,
    check_partial_fit,
    partial_fit_final,
    partial_fit_step,
)
from workbench.core._paths import check_step_names


def _final_has(method: str) -> Any:
    def check(self: Pipeline) -> bool:
        final = self._final_estimator
        if _tree.is_passthrough(final):
            return method in ("transform", "fit_transform")
        if method == "fit_transform":
            return hasattr(final, "transform")
        return hasattr(final, method)

    return check


def _final_learns_incrementally(self: Pipeline) -> bool:
    """scikit-learn's checks call partial_fit wherever it exists: offer it only when the last
    step can learn by mini-batch (or is frozen or passthrough); steps before it that cannot
    are a TrainingError naming them."""
    name, final = self.steps[-1]
    return (
        _tree.is_passthrough(final)
        or hasattr(final, "partial_fit")
        or name in self._frozen_children
    )


def _all_have_inverse(self: Pipeline) -> bool:
    return all(
        _tree.is_passthrough(step) or hasattr(step, "inverse_transform") for _, step in self.steps
    )


class Pipeline(Composite):
    """Named steps applied in order: every step but the last transforms, the last one may
    predict.

    Parameters
    ----------
    steps : list of (name, step)
        Steps are any Workbench step, any scikit-learn estimator, or ``"passthrough"``. Names
        are unique and contain no ``__``. Pipelines nest to any depth.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Pipeline
    >>> pipe = Pipeline([
    ...     ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2))])),
    ...     ("model", LogisticRegression()),
    ... ])
    >>> X, y = np.random.default_rng(0).normal(size=(40, 4)), np.arange(40) % 2
    >>> pipe.set_hyperparams(model__C=0.5).fit(X, y)["encoder__pca"].components_.shape
    (2, 4)
    """

    _children_param = "steps"

    def __init__(self, steps: Sequence[tuple[str, Any]]):
        self.steps = steps
        if isinstance(steps, list | tuple) and all(
            isinstance(pair, tuple) and len(pair) == 2 for pair in steps
        ):
            check_step_names("Pipeline", [name for name, _ in steps])

    # -- scikit-learn's view -------------------------------------------------------------
    @property
    def named_steps(self) -> Bunch:
        """The direct steps by name (scikit-learn's attribute)."""
        return Bunch(**dict(self.steps))

    @property
    def _final_estimator(self) -> Any:
        return self.steps[-1][1]

    @property
    def classes_(self) -> np.ndarray:
        """The classes of the final step."""
        return self._final_estimator.classes_

    @property
    def n_features_in_(self) -> int:
        """The number of features the first step saw while fitting."""
        return self.steps[0][1].n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The feature names the first step saw while fitting."""
        return self.steps[0][1].feature_names_in_

    def __sklearn_is_fitted__(self) -> bool:
        return is_fitted(self._final_estimator)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        try:
            steps = [step for _, step in self.steps if not _tree.is_passthrough(step)]
            if steps:
                tags.input_tags.pairwise = get_tags(steps[0]).input_tags.pairwise
                tags.input_tags.sparse = all(get_tags(step).input_tags.sparse for step in steps)
            final = self.steps[-1][1]
            if not _tree.is_passthrough(final):
                final_tags = get_tags(final)
                tags.estimator_type = final_tags.estimator_type
                tags.target_tags.multi_output = final_tags.target_tags.multi_output
                tags.classifier_tags = final_tags.classifier_tags
                tags.regressor_tags = final_tags.regressor_tags
                tags.transformer_tags = final_tags.transformer_tags
        except (ValueError, AttributeError, TypeError, IndexError):
            pass  # malformed steps: fit will say what is wrong
        return tags

    def set_output(self, *, transform: str | None = None) -> Self:
        """Set the output container (``"default"``, ``"pandas"``, ``"polars"``) of every step."""
        for _, step in self._check_children():
            if hasattr(step, "set_output"):
                step.set_output(transform=transform)
        return self

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Feature names after the last transforming step."""
        names = input_features
        for _, step in self.steps:
            if _tree.is_passthrough(step):
                continue
            names = step.get_feature_names_out(names)
        return np.asarray(names, dtype=object)

    # -- fitting -------------------------------------------------------------------------
    def _fit(
        self,
        X: Any,
        y: Any,
        callbacks: Sequence[Any] | None,
        fit_params: dict[str, Any],
        final_method: str,
    ) -> Any:
        steps = self._check_children()
        if not steps:
            raise ValueError("A Pipeline needs at least one step, but got an empty list.")
        routed = route_fit_params("Pipeline", [name for name, _ in steps], fit_params)
        result: Any = self
        with self.fitting(callbacks, n_samples=_num_samples(X)) as emit:
            Xt, yt = X, y
            *head, (last_name, last) = steps
            for name, step in head:
                if _tree.is_passthrough(step):
                    continue
                frozen = name in self._frozen_children
                with emit.child(name, step):
                    Xt, yt = fit_transform_step(
                        step, Xt, yt, frozen=frozen, **routed.get(name, {})
                    )
                if not frozen:
                    emit("step_fitted", name, step)
            if _tree.is_passthrough(last):
                result = Xt if final_method == "fit_transform" else self
            elif last_name in self._frozen_children:
                if final_method == "fit_transform":
                    result = last.transform(Xt)
                elif final_method == "fit_predict":
                    result = last.predict(Xt)
            else:
                with emit.child(last_name, last):
                    params = routed.get(last_name, {})
                    if final_method == "fit":
                        last.fit(Xt, yt, **params)
                    elif hasattr(last, final_method):
                        result = getattr(last, final_method)(Xt, yt, **params)
                    else:
                        fitted = last.fit(Xt, yt, **params)
                        method = "transform" if final_method == "fit_transform" else "predict"
                        result = getattr(fitted, method)(Xt)
                emit("step_fitted", last_name, last)
        return result

    def fit(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Self:
        """Fit every step in train mode, in order; frozen steps only transform.

        ``callbacks`` listen to this fit only; ``<step>__<param>`` fit parameters reach that
        step's ``fit``.
        """
        self._fit(X, y, callbacks, fit_params, "fit")
        return self

    @available_if(_final_has("fit_transform"))
    def fit_transform(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Any:
        """Fit, then return what the last step makes of the training data."""
        return self._fit(X, y, callbacks, fit_params, "fit_transform")

    @available_if(_final_has("fit_predict"))
    def fit_predict(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Any:
        """Fit, then return the last step's ``fit_predict`` on the training data."""
        return self._fit(X, y, callbacks, fit_params, "fit_predict")

    # -- learning by mini-batch -----------------------------------------------------------
    def minibatch_route(self) -> MinibatchRoute:
        """A mini-batch goes through every step, in order."""
        return MinibatchRoute(self.named_children())

    def _partial_fit(
        self, X: Any, y: Any, callbacks: Sequence[Any] | None, classes: Any, last_transforms: bool
    ) -> tuple[Any, Any]:
        steps = self._check_children()
        if not steps:
            raise ValueError("A Pipeline needs at least one step, but got an empty list.")
        check_partial_fit(self)
        with self.fitting(callbacks, kind="partial_fit", n_samples=_num_samples(X)) as emit:
            Xt, yt = X, y
            *head, (last_name, last) = steps
            for name, step in head:
                if _tree.is_passthrough(step):
                    continue
                frozen = name in self._frozen_children
                with emit.child(name, step):
                    Xt, yt = partial_fit_step(step, Xt, yt, frozen=frozen)
                if not frozen:
                    emit("step_fitted", name, step)
            if _tree.is_passthrough(last):
                return Xt, yt
            frozen = last_name in self._frozen_children
            with emit.child(last_name, last):
                if last_transforms:
                    Xt, yt = partial_fit_step(last, Xt, yt, frozen=frozen)
                elif not frozen:
                    partial_fit_final(last, Xt, yt, classes=classes)
            if not frozen:
                emit("step_fitted", last_name, last)
        return Xt, yt

    @available_if(_final_learns_incrementally)
    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        *,
        classes: Any = None,
        callbacks: Sequence[Any] | None = None,
    ) -> Self:
        """Learn from one mini-batch: every step learns incrementally, in train mode.

        Each step that is not frozen must have ``partial_fit`` (frozen steps only transform,
        stateless ones are fitted on each batch). The method exists when the last step learns
        incrementally (scikit-learn's checks call it wherever it exists); a step before it
        that cannot is a :class:`~workbench.exceptions.TrainingError` naming it and the ways
        out, raised before any step is touched.

        A classifier at the end gets ``classes`` on its first call: the ``classes`` given, or
        else the labels of this first batch (pass ``classes`` when a batch may miss some;
        :func:`workbench.training.fit_epochs` passes them for you).
        """
        self._partial_fit(X, y, callbacks, classes, last_transforms=False)
        return self

    @available_if(can_partial_fit)
    def partial_fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """Learn from one mini-batch and return the ``(X, y)`` the next step learns from."""
        return self._partial_fit(X, y, None, None, last_transforms=True)

    # -- using ---------------------------------------------------------------------------
    def _transform_head(self, X: Any) -> Any:
        for _, step in self.steps[:-1]:
            if step is None or step == "passthrough" or not hasattr(step, "transform"):
                continue  # a resampler acts only while fitting
            X = step.transform(X)
        return X

    @available_if(_final_has("predict"))
    def predict(self, X: Any, **params: Any) -> Any:
        """Transform ``X`` through every step but the last, then predict with it."""
        return self.steps[-1][1].predict(self._transform_head(X), **params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X: Any, **params: Any) -> Any:
        """Class probabilities from the last step."""
        return self.steps[-1][1].predict_proba(self._transform_head(X), **params)

    @available_if(_final_has("predict_log_proba"))
    def predict_log_proba(self, X: Any, **params: Any) -> Any:
        """Log class probabilities from the last step."""
        return self.steps[-1][1].predict_log_proba(self._transform_head(X), **params)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """Decision function of the last step."""
        return self.steps[-1][1].decision_function(self._transform_head(X))

    @available_if(_final_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """Score samples with the last step."""
        return self.steps[-1][1].score_samples(self._transform_head(X))

    @available_if(_final_has("score"))
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The last step's score on the transformed ``X``."""
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.steps[-1][1].score(self._transform_head(X), y, **params)

    @available_if(_final_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform ``X`` through every step."""
        X = self._transform_head(X)
        final = self.steps[-1][1]
        return X if _tree.is_passthrough(final) else final.transform(X)

    @available_if(_all_have_inverse)
    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform`, last step first."""
        for _, step in reversed(self.steps):
            if not _tree.is_passthrough(step):
                X = step.inverse_transform(X)
        return X


def _num_samples(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None
