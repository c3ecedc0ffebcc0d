"""ForEach: a step made for lower-dimensional data, applied over the leading axis of ND data."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if

from workbench.core import Hyperparam, Step, categorical, is_fitted
from workbench.core.authoring import Wrapper
from workbench.exceptions import TrainingError

_MODES = ("flatten", "per_sample")


def _inner_has(method: str) -> Any:
    return lambda self: self.mode == "flatten" and hasattr(self.step, method)


class ForEach(Wrapper):
    """Apply ``step``, made for data of one dimension less, to each sample of ND data.

    ``X`` has shape ``(n_samples, *inner)``, three dimensions or more; each sample
    ``X[i]`` is what ``step`` works on (a sequence of frames, an image of rows).

    - ``mode="flatten"`` (default): the leading two axes are merged, one ``step`` is fitted
      on every row of every sample (``(n_samples * n_rows, ...)``), and outputs are put
      back in shape ``(n_samples, n_rows, ...)``. It learns by mini-batch when ``step``
      does; ``y`` (one label per sample) is repeated for each row.
    - ``mode="per_sample"``: each sample gets its own copy of ``step``, fitted on that
      sample alone and used on it at once (per-sample normalisation), then torn down;
      nothing is kept between samples, so ``transform`` works on new samples too.

    The inner step stays addressable: ``frames__step__n_components``, ``pipe["frames__step"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> X = np.random.default_rng(0).normal(size=(10, 7, 4))   # 10 sequences of 7 frames
    >>> ForEach(PCA(n_components=2)).fit_transform(X).shape
    (10, 7, 2)
    >>> ForEach(PCA(n_components=2), mode="per_sample").fit_transform(X).shape
    (10, 7, 2)
    """

    mode = Hyperparam("flatten", space=categorical(list(_MODES)))

    def __init__(self, step: Any, *, mode: str = "flatten"):
        self.step = step
        self.mode = mode  # type: ignore[assignment]  # a Hyperparam declared above

    def partial_fit_children(self) -> list[tuple[str, Any]]:
        """In ``per_sample`` mode nothing is learned across batches."""
        return [("step", self.step)] if self.mode == "flatten" else []

    def __sklearn_is_fitted__(self) -> bool:
        if not hasattr(self, "input_shape_"):
            return False
        return self.mode == "per_sample" or is_fitted(self.step)

    # -- shapes --------------------------------------------------------------------------
    def _check(self, X: Any) -> np.ndarray:
        if self.mode not in _MODES:
            raise TrainingError(f"ForEach mode must be one of {list(_MODES)}, got {self.mode!r}.")
        X = np.asarray(X)
        if X.ndim < 3:
            raise TrainingError(
                f"ForEach expects data of 3 dimensions or more, (n_samples, n_rows, ...), but "
                f"got shape {X.shape}. For 2-D data use the step itself."
            )
        return X

    @staticmethod
    def _merge(X: np.ndarray) -> np.ndarray:
        return X.reshape(X.shape[0] * X.shape[1], *X.shape[2:])

    @staticmethod
    def _restore(out: Any, X: np.ndarray) -> np.ndarray:
        out = np.asarray(out.toarray() if hasattr(out, "toarray") else out)
        return out.reshape(X.shape[0], X.shape[1], *out.shape[1:])

    @staticmethod
    def _repeat(y: Any, X: np.ndarray) -> Any:
        return None if y is None else np.repeat(np.asarray(y), X.shape[1], axis=0)

    def _per_sample(self, X: np.ndarray, y: Any) -> np.ndarray:
        """Each sample through its own copy of ``step``, torn down as soon as it is used (a
        copy that holds a device or a file gives it back before the next sample)."""
        outputs = []
        for sample in X:
            copy = clone(self.step)
            try:
                outputs.append(copy.fit_transform(sample))
            finally:
                if isinstance(copy, Step):
                    copy.teardown()
        return np.stack(outputs)

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        """Fit the inner step on every row (``flatten``); ``per_sample`` learns nothing."""
        X = self._check(X)
        with self.fitting() as emit:
            if self.mode == "flatten":
                with emit.child("step", self.step):
                    self.step.fit(self._merge(X), self._repeat(y, X), **fit_params)
                emit("step_fitted", "step", self.step)
        self.input_shape_ = tuple(X.shape[1:])
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit, then transform the training data."""
        return self.fit(X, y, **fit_params).transform(X)

    def partial_fit(self, X: Any, y: Any = None) -> Self:
        """Learn from one mini-batch (``flatten``: the inner step's ``partial_fit``)."""
        X = self._check(X)
        if self.mode == "flatten":
            if not hasattr(self.step, "partial_fit"):
                raise TrainingError(
                    f"ForEach's step ({type(self.step).__name__}) has no partial_fit; fit it "
                    f"first and freeze it, or use mode='per_sample'."
                )
            self.step.partial_fit(self._merge(X), self._repeat(y, X))
        self.input_shape_ = tuple(X.shape[1:])
        return self

    def partial_fit_transform(self, X: Any, y: Any = None) -> Any:
        """Learn from one mini-batch and transform it."""
        return self.partial_fit(X, y).transform(X)

    # -- using ---------------------------------------------------------------------------
    def transform(self, X: Any) -> Any:
        """Transform every row of every sample; the leading two axes are kept."""
        X = self._check(X)
        if self.mode == "per_sample":
            return self._per_sample(X, None)
        return self._restore(self.step.transform(self._merge(X)), X)

    @available_if(_inner_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """Undo :meth:`transform` (``flatten`` mode)."""
        X = self._check(X)
        return self._restore(self.step.inverse_transform(self._merge(X)), X)

    @available_if(_inner_has("predict"))
    def predict(self, X: Any) -> Any:
        """One prediction per row of each sample: shape ``(n_samples, n_rows, ...)``."""
        X = self._check(X)
        return self._restore(self.step.predict(self._merge(X)), X)


class Flatten(Step):
    """Reshape ``(n_samples, ...)`` to ``(n_samples, n_features)``, for a 2-D step after ND
    steps. It learns nothing.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten().fit_transform(np.zeros((4, 3, 2))).shape
    (4, 6)
    """

    def fit(self, X: Any, y: Any = None) -> Self:
        """Learns nothing."""
        return self

    def partial_fit(self, X: Any, y: Any = None) -> Self:
        """Learns nothing."""
        return self

    def transform(self, X: Any) -> Any:
        """``X`` with every axis after the first merged."""
        X = np.asarray(X)
        return X.reshape(len(X), -1)

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """``transform(X)``."""
        return self.transform(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
