"""ParallelTransform: a step's transform (or predict) run over chunks of rows in workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from sklearn.utils.metaestimators import available_if

from workbench.core import is_fitted
from workbench.core.authoring import Wrapper
from workbench.exceptions import NotFittedError
from workbench.parallel import _workers


def _inner_has(method: str) -> Any:
    def check(self: ParallelTransform) -> bool:
        return hasattr(self.step, method)

    return check


def _apply_chunk(shipped: Any, method: str, X: Any, start: int, stop: int) -> Any:
    step = _workers.receive(shipped)
    X = _workers.plain_array(X)
    try:
        return getattr(step, method)(X)
    except Exception as error:
        raise _workers.failure(
            error, step, prefix="step", doing=f"{method}() on rows {start}:{stop}"
        ) from None


class ParallelTransform(Wrapper):
    """Run ``step``'s transform, predict and friends over chunks of rows in parallel workers.

    Fitting happens here, in this process; the fitted step then goes to joblib workers through
    its saver (see ``workbench.persistence.register_saver``), not as a plain pickle, so steps
    that pickle cannot handle still run in parallel. Results come back in row order. Input
    that fits in one chunk, ``n_jobs=1`` and the threading backend run in this process, on the
    step itself.

    Parameters
    ----------
    step : step
        Any step or scikit-learn estimator; its path inside the wrapper is ``step``.
    n_jobs : int, default -1
        Workers, joblib's convention (-1: every core); not 0.
    backend : {"loky", "multiprocessing", "threading", "sequential", "dask"}, default "loky"
        joblib's backend. ``"dask"`` runs on the current ``dask.distributed.Client``: start
        ``Client(LocalCluster())``, or ``Client("tcp://scheduler:8786")`` for a remote cluster.
    chunk_size : int, optional
        Rows per task; None splits the rows into one chunk per worker.

    Raises
    ------
    ParallelError
        The step failed in a worker: the message names its path (``step__scale`` for a nested
        step) and holds the worker's traceback; the other tasks are stopped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> wrapper = ParallelTransform(StandardScaler(), n_jobs=2, backend="threading")
    >>> wrapper.fit(X).transform(X)[:, 0].round(2).tolist()
    [-1.34, -0.45, 0.45, 1.34]
    >>> wrapper["step"].mean_.tolist()
    [3.0, 4.0]
    """

    _delegates_input_tags = True

    def __init__(
        self,
        step: Any,
        *,
        n_jobs: int = -1,
        backend: str = "loky",
        chunk_size: int | None = None,
    ):
        self.step = step
        self.n_jobs = n_jobs
        self.backend = backend
        self.chunk_size = chunk_size

    def _check_own_hyperparam(self, name: str, value: Any) -> None:
        checks = {
            "n_jobs": _workers.check_n_jobs,
            "backend": _workers.check_backend,
            "chunk_size": _workers.check_chunk_size,
        }
        if name in checks:
            checks[name](value)

    def _check_options(self) -> None:
        _workers.check_n_jobs(self.n_jobs)
        _workers.check_backend(self.backend)
        _workers.check_chunk_size(self.chunk_size)

    @property
    def classes_(self) -> np.ndarray:
        """The classes of the wrapped step."""
        return self.step.classes_

    @property
    def n_features_in_(self) -> int:
        """The number of features the wrapped step saw while fitting."""
        return self.step.n_features_in_

    # -- fitting -------------------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Self:
        """Fit the wrapped step here, in this process."""
        self._check_options()
        with self.fitting(callbacks) as emit:
            with emit.child("step", self.step):
                self.step.fit(X, y, **fit_params)
            emit("step_fitted", "step", self.step)
        return self

    @available_if(_inner_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit here, then transform the training data in parallel (in train mode)."""
        self._check_options()
        with self.fitting() as emit:
            with emit.child("step", self.step):
                self.step.fit(X, y, **fit_params)
            emit("step_fitted", "step", self.step)
            return self._map("transform", X)

    # -- using, in parallel ------------------------------------------------------------------
    def _map(self, method: str, X: Any) -> Any:
        self._check_options()
        if not is_fitted(self.step):
            raise NotFittedError(
                f"This ParallelTransform's {type(self.step).__name__} is not fitted yet; call "
                f"fit() before {method}()."
            )
        workers = _workers.effective_n_jobs(self.n_jobs, self.backend)
        bounds = _workers.chunk_bounds(_workers.num_rows(X), self.chunk_size, workers)
        if len(bounds) == 1:
            return getattr(self.step, method)(X)
        if hasattr(self.step, "setup") and _workers.in_process(self.n_jobs, self.backend):
            self.step.setup()  # threads share the step: acquire its resources once, here
        shipped = _workers.ship(self.step, self.n_jobs, self.backend, path="step")
        tasks = [
            (_apply_chunk, (shipped, method, _workers.take(X, start, stop), start, stop))
            for start, stop in bounds
        ]
        labels = [
            f"{method}() of the step at 'step' on rows {start}:{stop}" for start, stop in bounds
        ]
        parts = _workers.run(tasks, n_jobs=self.n_jobs, backend=self.backend, labels=labels)
        return _workers.concat_rows(parts)

    @available_if(_inner_has("transform"))
    def transform(self, X: Any) -> Any:
        """The wrapped step's transform, chunk by chunk in workers."""
        return self._map("transform", X)

    @available_if(_inner_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """The wrapped step's inverse transform, chunk by chunk in workers."""
        return self._map("inverse_transform", X)

    @available_if(_inner_has("predict"))
    def predict(self, X: Any) -> Any:
        """The wrapped step's predictions, chunk by chunk in workers."""
        return self._map("predict", X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, chunk by chunk in workers."""
        return self._map("predict_proba", X)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """Log class probabilities, chunk by chunk in workers."""
        return self._map("predict_log_proba", X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """The decision function, chunk by chunk in workers."""
        return self._map("decision_function", X)

    @available_if(_inner_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """Per-sample scores, chunk by chunk in workers."""
        return self._map("score_samples", X)

    @available_if(_inner_has("score"))
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The wrapped step's score, computed here."""
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.step.score(X, y, **params)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """The wrapped step's output feature names."""
        return self.step.get_feature_names_out(input_features)
