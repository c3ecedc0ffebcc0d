"""ParallelUnion: branches fitted and applied side by side in workers, outputs joined."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from tests.parallel.steps import Failing, Locked, RowKernel
from workbench import Callback, Pipeline
from workbench.exceptions import HyperparamError, NotFittedError, ParallelError, StructureError
from workbench.parallel import ParallelUnion
from workbench.testing import check_step


class StepsFitted(Callback):
    def __init__(self):
        self.paths = []

    def on_step_fitted(self, *, path, **data):
        self.paths.append(path)


def _branches():
    return [("scale", StandardScaler()), ("pca", PCA(n_components=2, random_state=0))]


def test_parallel_union_matches_feature_union_in_processes(data):
    X, _ = data
    union = ParallelUnion(_branches(), n_jobs=2)
    expected = FeatureUnion(_branches()).fit_transform(X)
    np.testing.assert_allclose(union.fit_transform(X), expected)
    np.testing.assert_allclose(union.transform(X), expected)
    assert union["pca"].components_.shape == (2, 4)  # the fitted branch came back
    assert list(union.get_feature_names_out())[:2] == ["scale__x0", "scale__x1"]


def test_parallel_union_fit_reports_each_branch_and_keeps_modes(data):
    X, _ = data
    recorder = StepsFitted()
    union = ParallelUnion([*_branches(), ("kernel", RowKernel())], n_jobs=2)
    union.fit(X, callbacks=[recorder])
    assert sorted(recorder.paths) == ["kernel", "pca", "scale"]
    assert not union.training and not union["kernel"].training


def test_parallel_union_passthrough_and_frozen_branch(data):
    X, _ = data
    union = ParallelUnion([("keep", "passthrough"), *_branches()], n_jobs=2).fit(X)
    union.freeze("scale")
    mean_before = union["scale"].mean_.copy()
    out = union.fit_transform(X[:30] + 5.0)
    np.testing.assert_array_equal(union["scale"].mean_, mean_before)  # frozen: not refitted
    np.testing.assert_allclose(out[:, :4], X[:30] + 5.0)
    assert out.shape == (30, 10)


def test_parallel_union_branch_pickle_cannot_handle_goes_both_ways(data, locked_saver):
    X, _ = data
    step = Locked(factor=2.0)
    step.setup()  # holds a lock
    union = ParallelUnion([("locked", step), ("scale", StandardScaler())], n_jobs=2)
    out = union.fit_transform(X)
    np.testing.assert_allclose(union["locked"].mean_, X.mean(axis=0))
    np.testing.assert_allclose(out[:, :4], (X - X.mean(axis=0)) * 2.0)


def test_parallel_union_in_pipeline_threads(data):
    X, y = data
    pipe = Pipeline(
        [
            ("features", ParallelUnion(_branches(), n_jobs=2, backend="threading")),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    serial = Pipeline([("features", FeatureUnion(_branches())), ("model", LogisticRegression())])
    np.testing.assert_allclose(pipe.predict_proba(X), serial.fit(X, y).predict_proba(X))
    assert pipe.get_hyperparams()["features__pca__n_components"] == 2


def test_parallel_union_worker_error_names_the_branch(data):
    X, _ = data
    union = ParallelUnion([("scale", StandardScaler()), ("guard", Failing(limit=1.0))], n_jobs=2)
    with pytest.raises(
        ParallelError, match=r"(?s)fit\(\) failed in a worker at step 'guard'.*Worker"
    ):
        union.fit_transform(X * 10)


def test_parallel_union_bad_input(data):
    X, _ = data
    with pytest.raises(StructureError, match="needs at least one branch"):
        ParallelUnion([]).fit(X)
    with pytest.raises(HyperparamError, match="n_jobs must be a non-zero integer"):
        ParallelUnion(_branches(), n_jobs=0).fit(X)
    with pytest.raises(
        TypeError,
        match=r"ParallelUnion.fit\(\) got fit parameter 'weights'.*'<step>__<param>' with a step among \['scale', 'pca'\]",
    ):
        ParallelUnion(_branches(), backend="threading").fit(X, weights=1)
    with pytest.raises(NotFittedError, match="ParallelUnion is not fitted yet"):
        ParallelUnion(_branches()).transform(X)


def test_parallel_union_passes_check_step(data):
    X, _ = data
    check_step(ParallelUnion([("a", StandardScaler()), ("b", MinMaxScaler())], n_jobs=2), X)
