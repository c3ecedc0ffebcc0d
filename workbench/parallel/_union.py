"""ParallelUnion: several branches fitted and applied side by side, outputs side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from workbench.core import is_fitted
from workbench.core.authoring import (
    Composite,
    fit_transform_step,
    is_passthrough,
    route_fit_params,
)
from workbench.exceptions import NotFittedError, StructureError
from workbench.parallel import _workers
from workbench.persistence import Packed, pack


def _fit_branch(
    shipped: Any, X: Any, y: Any, params: dict[str, Any], name: str, with_output: bool
) -> tuple[Any, Any]:
    step = shipped.unpack() if isinstance(shipped, Packed) else shipped  # fitting changes it
    X = _workers.plain_array(X)
    try:
        if with_output:
            output, _ = fit_transform_step(step, X, y, **params)
        else:
            step.fit(X, y, **params)
            output = None
    except Exception as error:
        raise _workers.failure(error, step, prefix=name, doing="fit()") from None
    if isinstance(shipped, Packed):  # back through the savers it came with
        packed = pack(step, describe=False, savers=shipped.savers, path=name, secure=False)
        return packed, output
    return step, output


def _transform_branch(shipped: Any, X: Any, name: str) -> Any:
    step = _workers.receive(shipped)
    X = _workers.plain_array(X)
    try:
        return step.transform(X)
    except Exception as error:
        raise _workers.failure(error, step, prefix=name, doing="transform()") from None


class ParallelUnion(Composite):
    """Branches that each see the same input, run side by side; their outputs are joined
    column by column (scikit-learn's ``FeatureUnion``, in parallel workers).

    Each branch travels to its worker through its saver (see
    ``workbench.persistence.register_saver``), is fitted there, and comes back the same way;
    frozen branches only transform. Events of fits inside workers stay there; the union emits
    ``step_fitted`` for each branch once it is back.

    Parameters
    ----------
    branches : list of (name, step)
        Transformers, or ``"passthrough"`` to keep the input columns.
    n_jobs : int, default -1
        Workers, joblib's convention (-1: every core); not 0.
    backend : {"loky", "multiprocessing", "threading", "sequential", "dask"}, default "loky"
        joblib's backend; ``"dask"`` runs on the current ``dask.distributed.Client``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.preprocessing import StandardScaler
    >>> union = ParallelUnion([("scaled", StandardScaler()), ("pca", PCA(n_components=1))],
    ...                       n_jobs=2, backend="threading")
    >>> union.fit_transform(np.arange(12.0).reshape(4, 3)).shape
    (4, 4)
    """

    _children_param = "branches"
    _diagram_layout = "parallel"

    def __init__(
        self, branches: Sequence[tuple[str, Any]], *, n_jobs: int = -1, backend: str = "loky"
    ):
        self.branches = branches
        self.n_jobs = n_jobs
        self.backend = backend

    def _check_own_hyperparam(self, name: str, value: Any) -> None:
        if name == "n_jobs":
            _workers.check_n_jobs(value)
        elif name == "backend":
            _workers.check_backend(value)

    def _check_options(self) -> list[tuple[str, Any]]:
        _workers.check_n_jobs(self.n_jobs)
        _workers.check_backend(self.backend)
        branches = self._check_children()
        if not branches:
            raise StructureError(
                "A ParallelUnion needs at least one branch, but got an empty list."
            )
        return branches

    def __sklearn_is_fitted__(self) -> bool:
        return all(is_fitted(step) for _, step in self.named_children())

    # -- fitting -------------------------------------------------------------------------------
    def _fit(
        self,
        X: Any,
        y: Any,
        callbacks: Sequence[Any] | None,
        fit_params: dict[str, Any],
        *,
        with_output: bool,
    ) -> list[Any]:
        branches = self._check_options()
        routed = route_fit_params("ParallelUnion", [name for name, _ in branches], fit_params)
        outputs: dict[str, Any] = {}
        with self.fitting(callbacks) as emit:
            tasks: list[tuple[Any, tuple[Any, ...]]] = []
            fitted_names = []
            for name, step in branches:
                if is_passthrough(step):
                    outputs[name] = X
                    continue
                shipped = _workers.ship(step, self.n_jobs, self.backend, path=name)
                if name in self._frozen_children:
                    if with_output:
                        tasks.append((_transform_branch, (shipped, X, name)))
                        fitted_names.append((name, False))
                    continue
                tasks.append(
                    (_fit_branch, (shipped, X, y, routed.get(name, {}), name, with_output))
                )
                fitted_names.append((name, True))
            labels = [
                f"{'fit' if fitted else 'transform'}() of the branch {name!r}"
                for name, fitted in fitted_names
            ]
            results = _workers.run(tasks, n_jobs=self.n_jobs, backend=self.backend, labels=labels)
            for (name, fitted), result in zip(fitted_names, results, strict=True):
                if not fitted:
                    outputs[name] = result
                    continue
                back, output = result
                step = back.unpack() if isinstance(back, Packed) else back
                self._set_child(name, step)
                outputs[name] = output
                emit("step_fitted", name, step)
        return [outputs[name] for name, _ in branches]

    def fit(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Self:
        """Fit every branch that is not frozen, side by side in workers."""
        self._fit(X, y, callbacks, fit_params, with_output=False)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit the branches in workers and join what each makes of the training data."""
        return _workers.concat_columns(self._fit(X, y, None, fit_params, with_output=True))

    # -- using ---------------------------------------------------------------------------------
    def transform(self, X: Any) -> Any:
        """Each branch's transform, side by side in workers, joined column by column."""
        branches = self._check_options()
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                "This ParallelUnion is not fitted yet; call fit() before transform()."
            )
        tasks: list[tuple[Any, tuple[Any, ...]]] = []
        labels: list[str] = []
        for name, step in branches:
            if not is_passthrough(step):
                shipped = _workers.ship(step, self.n_jobs, self.backend, path=name)
                tasks.append((_transform_branch, (shipped, X, name)))
                labels.append(f"transform() of the branch {name!r}")
        results = iter(
            _workers.run(tasks, n_jobs=self.n_jobs, backend=self.backend, labels=labels)
        )
        parts = [X if is_passthrough(step) else next(results) for _, step in branches]
        return _workers.concat_columns(parts)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<branch>__<feature>`` for every output column, as scikit-learn's FeatureUnion."""
        names: list[str] = []
        for name, step in self.named_children():
            if is_passthrough(step):
                features = np.asarray(input_features, dtype=object)
            else:
                features = step.get_feature_names_out(input_features)
            names.extend(f"{name}__{feature}" for feature in features)
        return np.asarray(names, dtype=object)
