"""Label transforms: steps that change the expected outputs (y), or make them from X."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer, LabelEncoder, OneHotEncoder, OrdinalEncoder
from sklearn.utils import ClassifierTags, get_tags
from sklearn.utils.metaestimators import available_if

from workbench.core import Hyperparam, Step, ints, is_fitted
from workbench.core.authoring import MinibatchRoute, Wrapper, accepts_classes
from workbench.exceptions import TrainingError


def _step_has(method: str) -> Callable[[Any], bool]:
    return lambda self: hasattr(self.step, method)


_CLASS_ENCODERS = (OneHotEncoder, OrdinalEncoder, LabelEncoder, LabelBinarizer)


class TransformTarget(Wrapper):
    """Fit ``step`` on ``transformer(y)`` and turn its predictions back with
    ``transformer.inverse_transform``: label encoding, one-hot targets, a scaled regression
    target.

    A 1-D ``y`` reaches a transformer that wants 2-D input (``OneHotEncoder``,
    ``StandardScaler``) as one column, and one column comes back as 1-D. In a mini-batch run
    (:func:`~workbench.training.fit_epochs`) an unfitted transformer is first fitted on the
    whole ``y``; alone, ``partial_fit`` fits it on ``classes`` when given, else on the first
    batch. Both children are addressable (``model__step__alpha``,
    ``model__transformer__...``).

    A transformer that encodes classes (``OneHotEncoder``, ``OrdinalEncoder``,
    ``LabelEncoder``, ``LabelBinarizer``, or any fitted one with ``classes_`` or
    ``categories_``) makes the composite a classifier, whatever ``step`` is: ``score`` is the
    accuracy, ``classes_`` are the classes of ``y``, and ``fit_epochs`` and tuners score it
    as a classifier.

    Parameters
    ----------
    step : estimator
        What learns from the transformed target (a regressor, a classifier, a Pipeline).
    transformer : transformer
        What transforms ``y``; it needs ``inverse_transform`` for predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.arange(6.0).reshape(-1, 1)
    >>> model = TransformTarget(LinearRegression(), transformer=StandardScaler())
    >>> model.fit(X, 1000.0 * X.ravel()).predict([[7.0]]).round(3).tolist()
    [7000.0]
    """

    _child_attributes = ("transformer", "step")

    def __init__(self, step: Any, *, transformer: Any):
        self.step = step
        self.transformer = transformer

    @property
    def encodes_classes(self) -> bool:
        """Whether the transformer encodes classes, which makes this step a classifier."""
        transformer = self.transformer
        return isinstance(transformer, _CLASS_ENCODERS) or (
            hasattr(transformer, "inverse_transform")
            and (hasattr(transformer, "classes_") or hasattr(transformer, "categories_"))
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if self.encodes_classes and tags.estimator_type != "classifier":
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
            tags.regressor_tags = None
        return tags

    def partial_fit_children(self) -> list[tuple[str, Any]]:
        """Only ``step`` learns by mini-batch; the transformer is fitted once."""
        return [("step", self.step)]

    def minibatch_route(self) -> MinibatchRoute:
        """In a mini-batch run ``y`` is transformed here, then the batch goes to ``step``."""
        return MinibatchRoute([("step", self.step)], target=self)

    # -- the target ----------------------------------------------------------------------
    def _wants_2d(self) -> bool:
        try:
            return bool(get_tags(self.transformer).input_tags.two_d_array)
        except (AttributeError, TypeError, ValueError):
            return True

    def _to_transformer(self, y: Any) -> Any:
        y = np.asarray(y)
        return y.reshape(-1, 1) if y.ndim == 1 and self._wants_2d() else y

    @staticmethod
    def _from_transformer(y: Any) -> Any:
        if hasattr(y, "toarray"):
            y = y.toarray()
        y = np.asarray(y)
        return y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y

    def fit_target(self, y: Any) -> Self:
        """Fit the transformer on ``y`` (the whole target of a run)."""
        if y is None:
            raise TrainingError("TransformTarget needs y to transform, but got y=None.")
        self.transformer.fit(self._to_transformer(y))
        return self

    def transform_target(self, y: Any) -> Any:
        """``y`` as ``step`` learns it."""
        return (
            None
            if y is None
            else self._from_transformer(self.transformer.transform(self._to_transformer(y)))
        )

    def inverse_transform_target(self, y: Any) -> Any:
        """Predictions of ``step`` back in the units of ``y``."""
        return self._from_transformer(self.transformer.inverse_transform(self._to_transformer(y)))

    def target_operation(self) -> Callable[[Any, Any], tuple[Any, Any]]:
        """The batch operation of a mini-batch run: ``(X, y) -> (X, transformed y)``."""
        transform = self.transform_target
        return lambda X, y: (X, transform(y))

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        """Fit the transformer on ``y``, then ``step`` on ``(X, transformed y)``."""
        with self.fitting() as emit:
            self.fit_target(y)
            emit("step_fitted", "transformer", self.transformer)
            with emit.child("step", self.step):
                self.step.fit(X, self.transform_target(y), **fit_params)
            emit("step_fitted", "step", self.step)
        return self

    @available_if(_step_has("partial_fit"))
    def partial_fit(self, X: Any, y: Any = None, *, classes: Any = None) -> Self:
        """Learn from one mini-batch; the transformer is fitted on the first call."""
        if not is_fitted(self.transformer):
            self.fit_target(classes if classes is not None else y)
        yt = self.transform_target(y)
        params: dict[str, Any] = {}
        if accepts_classes(self.step):
            params["classes"] = np.unique(
                yt if classes is None else self.transform_target(classes)
            )
        with self.fitting(kind="partial_fit") as emit:
            with emit.child("step", self.step):
                self.step.partial_fit(X, yt, **params)
            emit("step_fitted", "step", self.step)
        return self

    # -- using ---------------------------------------------------------------------------
    @property
    def classes_(self) -> Any:
        """The classes, in the units of ``y``: those of ``step`` turned back, or those the
        transformer encodes (a regressor learning one-hot targets)."""
        if hasattr(self.step, "classes_"):
            return self.inverse_transform_target(self.step.classes_)
        encoded = getattr(self.transformer, "classes_", None)
        if encoded is None and hasattr(self.transformer, "categories_"):
            categories = self.transformer.categories_
            encoded = categories[0] if len(categories) == 1 else categories
        if encoded is None:
            raise AttributeError(
                f"TransformTarget has classes_ only when its step is a fitted classifier or its "
                f"transformer a fitted class encoder, but got step "
                f"{type(self.step).__name__} and transformer {type(self.transformer).__name__}."
            )
        return encoded

    @available_if(_step_has("predict"))
    def predict(self, X: Any) -> Any:
        """``step``'s predictions, turned back into the units of ``y``."""
        return self.inverse_transform_target(self.step.predict(X))

    @available_if(_step_has("transform"))
    def transform(self, X: Any) -> Any:
        """``step``'s transform."""
        return self.step.transform(X)

    @available_if(_step_has("predict"))
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy for a classifier (see :attr:`encodes_classes`), R^2 otherwise, on the
        original ``y``."""
        predicted = self.predict(X)
        if is_classifier(self) or predicted.dtype.kind in "OUSb":
            return float(accuracy_score(y, predicted, sample_weight=sample_weight))
        return float(r2_score(y, predicted, sample_weight=sample_weight))


class InputAsTarget(Step):
    """While fitting, the expected output becomes the input itself: an autoencoder's target.

    In eval mode (predict, transform) data passes through unchanged; it learns nothing.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = InputAsTarget().fit_resample(np.ones((2, 3)), None)
    >>> y.shape
    (2, 3)
    """

    def fit(self, X: Any, y: Any = None) -> Self:
        """Learns nothing."""
        return self

    def fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """``(X, X)``."""
        return X, X

    def partial_fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """``(X, X)``, for one mini-batch."""
        return X, X

    def transform(self, X: Any) -> Any:
        """``X`` unchanged."""
        return X

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


class NextValueTarget(Step):
    """Autoregressive targets: windows of the last ``window`` values predict the next one.

    ``X`` is a series, shape ``(n_times,)`` or ``(n_times, n_features)``. While fitting, the
    inputs become the windows ending at each time and the target the value right after
    (``n_times - window`` pairs); ``transform`` returns every window (``n_times - window + 1``
    rows), the last of which forecasts the first unseen value.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = NextValueTarget(window=2).fit_resample(np.arange(5.0), None)
    >>> X.tolist(), y.tolist()
    ([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]], [2.0, 3.0, 4.0])
    """

    window = Hyperparam(1, space=ints(1, 64, log=True), doc="past values per window", strict=False)

    def _windows(self, X: Any, *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        series = np.asarray(X)
        window: Any = self.window
        if series.ndim not in (1, 2) or len(series) < window + fitting:
            least = "more than" if fitting else "at least"
            raise TrainingError(
                f"NextValueTarget expects a series of {least} window={window} values, "
                f"shape (n_times,) or (n_times, n_features), but got shape {series.shape}."
            )
        windows = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)
        return windows.reshape(len(windows), -1), series

    def fit(self, X: Any, y: Any = None) -> Self:
        """Learns nothing."""
        return self

    def fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """``(windows, next values)``."""
        windows, series = self._windows(X, fitting=True)
        return windows[:-1], series[len(series) - len(windows) + 1 :]

    def partial_fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """``(windows, next values)`` of one stretch of the series."""
        return self.fit_resample(X, y)

    def transform(self, X: Any) -> Any:
        """Every window of ``X``."""
        return self._windows(X, fitting=False)[0]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
