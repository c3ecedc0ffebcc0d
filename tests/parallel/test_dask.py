"""The same wrappers on a real dask.distributed LocalCluster, through joblib's dask backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import StandardScaler

from tests.parallel.steps import Failing, Locked, RowKernel
from workbench.exceptions import ParallelError
from workbench.parallel import ParallelTransform, ParallelUnion

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_parallel_transform_matches_serial(client, data):
    X, _ = data
    wrapper = ParallelTransform(RowKernel(rounds=2), backend="dask", chunk_size=20).fit(X)
    np.testing.assert_allclose(wrapper.transform(X), RowKernel(rounds=2).fit(X).transform(X))


def test_dask_ships_step_pickle_cannot_handle_through_its_saver(client, data, locked_saver):
    X, _ = data
    step = Locked().fit(X)
    step.setup()
    wrapper = ParallelTransform(step, backend="dask", chunk_size=30)
    np.testing.assert_allclose(wrapper.transform(X), (X - X.mean(axis=0)) * 2.0)


def test_dask_parallel_union_fits_on_the_cluster(client, data):
    X, _ = data
    branches = [("scale", StandardScaler()), ("pca", PCA(n_components=2, random_state=0))]
    union = ParallelUnion(branches, backend="dask")
    np.testing.assert_allclose(union.fit_transform(X), FeatureUnion(branches).fit_transform(X))
    assert union["scale"].mean_.shape == (4,)


def test_dask_worker_error_has_path_and_traceback(client, data):
    X, _ = data
    wrapper = ParallelTransform(Failing(limit=0.5), backend="dask", chunk_size=10).fit(X)
    with pytest.raises(ParallelError, match=r"(?s)at step 'step' \(Failing\).*Worker traceback"):
        wrapper.transform(X)
