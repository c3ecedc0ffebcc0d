"""TrainOnly: a step that acts while training and lets data through unchanged in eval mode."""

from __future__ import annotations

from typing import Any, Self

from sklearn.utils.metaestimators import available_if

from workbench.core._fitting import MinibatchRoute, fit_transform_step
from workbench.core._minibatch import can_partial_fit, check_partial_fit, partial_fit_step
from workbench.core._wrapper import Wrapper


class TrainOnly(Wrapper):
    """Apply ``step`` in train mode only: augmentation, noise, subsampling.

    While a pipeline fits (train mode) the wrapped step transforms, or resamples ``(X, y)``
    when it has ``fit_resample``; in eval mode, the default after fitting, data passes through.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> noise = TrainOnly(FunctionTransformer(lambda X: X + 1.0)).fit(np.zeros((2, 1)))
    >>> noise.transform(np.zeros((2, 1))).ravel().tolist()
    [0.0, 0.0]
    >>> noise.train().transform(np.zeros((2, 1))).ravel().tolist()
    [1.0, 1.0]
    """

    def __init__(self, step: Any):
        self.step = step

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> Self:
        """Fit the wrapped step."""
        self.fit_resample(X, y, **fit_params)
        return self

    def fit_resample(self, X: Any, y: Any = None, **fit_params: Any) -> tuple[Any, Any]:
        """Fit the wrapped step; in train mode return its output, else ``(X, y)`` unchanged."""
        training = self._training
        with self.fitting() as emit:
            with emit.child("step", self.step):
                result = fit_transform_step(self.step, X, y, **fit_params)
            emit("step_fitted", "step", self.step)
        return result if training else (X, y)

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit, and return the training data as the next step sees it."""
        return self.fit_resample(X, y, **fit_params)[0]

    def minibatch_route(self) -> MinibatchRoute:
        """In a mini-batch run (train mode) a batch goes through the wrapped step."""
        return MinibatchRoute([("step", self.step)])

    @available_if(can_partial_fit)
    def partial_fit(self, X: Any, y: Any = None) -> Self:
        """Let the wrapped step learn from one mini-batch."""
        self.partial_fit_resample(X, y)
        return self

    @available_if(can_partial_fit)
    def partial_fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """Learn from one mini-batch; in train mode return the wrapped step's output."""
        check_partial_fit(self)
        training = self._training
        with self.fitting(kind="partial_fit") as emit:
            with emit.child("step", self.step):
                result = partial_fit_step(self.step, X, y)
            emit("step_fitted", "step", self.step)
        return result if training else (X, y)

    def transform(self, X: Any) -> Any:
        """The wrapped step's transform in train mode; ``X`` unchanged in eval mode."""
        if self._training and hasattr(self.step, "transform"):
            return self.step.transform(X)
        return X
