"""ParallelTransform: chunks of rows in joblib workers, steps shipped through their savers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tests.parallel.steps import Failing, Killer, Locked, RowKernel, Unmarked, WhereAmI
from workbench import Pipeline, floats
from workbench.exceptions import HyperparamError, NotFittedError, ParallelError, UnsavableStepError
from workbench.parallel import ParallelTransform
from workbench.persistence import Saver, register_saver, unregister_saver
from workbench.testing import check_step


def test_parallel_transform_matches_serial_in_two_processes(data):
    X, _ = data
    wrapper = ParallelTransform(RowKernel(rounds=3), n_jobs=2).fit(X)
    np.testing.assert_allclose(wrapper.transform(X), RowKernel(rounds=3).fit(X).transform(X))
    pids = ParallelTransform(WhereAmI(), n_jobs=2).fit(X).transform(X).ravel()
    assert os.getpid() not in pids  # worker processes did the work, not this one


@pytest.mark.parametrize("chunk_size", [1, 7, 90, 1000])
def test_parallel_transform_chunk_sizes_keep_row_order(data, chunk_size):
    X, _ = data
    wrapper = ParallelTransform(StandardScaler(), n_jobs=2, chunk_size=chunk_size).fit(X)
    np.testing.assert_allclose(wrapper.transform(X), StandardScaler().fit(X).transform(X))


def test_parallel_transform_threading_and_sequential_backends(data):
    X, _ = data
    expected = RowKernel().fit(X).transform(X)
    for backend in ("threading", "sequential"):
        wrapper = ParallelTransform(RowKernel(), n_jobs=2, backend=backend, chunk_size=10)
        np.testing.assert_allclose(wrapper.fit(X).transform(X), expected)


def test_parallel_transform_predict_and_proba_in_chunks(data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    wrapper = ParallelTransform(LogisticRegression(), n_jobs=2, chunk_size=20).fit(X, y)
    np.testing.assert_array_equal(wrapper.predict(X), model.predict(X))
    np.testing.assert_allclose(wrapper.predict_proba(X), model.predict_proba(X))
    np.testing.assert_allclose(wrapper.decision_function(X), model.decision_function(X))
    assert wrapper.score(X, y) == model.score(X, y)
    assert list(wrapper.classes_) == [0, 1] and wrapper.n_features_in_ == 4
    assert not hasattr(ParallelTransform(StandardScaler()), "predict")


def test_parallel_transform_pandas_and_sparse_inputs(data):
    X, _ = data
    frame = pd.DataFrame(X, columns=list("abcd"), index=np.arange(100, 190))
    scaler = StandardScaler().set_output(transform="pandas")
    wrapper = ParallelTransform(scaler, n_jobs=2, chunk_size=25).fit(frame)
    out = wrapper.transform(frame)
    assert list(out.index) == list(frame.index) and list(out.columns) == list("abcd")
    sparse = scipy.sparse.csr_matrix(np.where(X > 0, X, 0.0))
    wrapper = ParallelTransform(StandardScaler(with_mean=False), n_jobs=2, chunk_size=30)
    out = wrapper.fit(sparse).transform(sparse)
    assert scipy.sparse.issparse(out)
    np.testing.assert_allclose(
        out.toarray(), StandardScaler(with_mean=False).fit(sparse).transform(sparse).toarray()
    )


def test_parallel_transform_step_pickle_cannot_handle_runs_through_its_saver(data, locked_saver):
    X, _ = data
    step = Locked(factor=3.0).fit(X)
    step.setup()  # holds a lock now
    expected = step.transform(X)
    wrapper = ParallelTransform(step, n_jobs=2, chunk_size=30)
    np.testing.assert_allclose(wrapper.transform(X), expected)


def test_parallel_transform_step_without_saver_is_an_error_naming_its_path(data):
    X, _ = data
    wrapper = ParallelTransform(Pipeline([("locked", Unmarked().fit(X))]), n_jobs=2)
    with pytest.raises(
        UnsavableStepError,
        match=r"ship the step at 'step__locked'.*holds_resources = True.*register_saver",
    ):
        wrapper.transform(X)


def test_parallel_transform_step_that_holds_resources_ships_without_a_saver(data):
    X, _ = data
    step = Locked(factor=3.0).fit(X)
    step.setup()  # it holds a lock here: it travels by its hyperparams and fitted state
    wrapper = ParallelTransform(step, n_jobs=2, chunk_size=30)
    np.testing.assert_allclose(wrapper.transform(X), (X - X.mean(axis=0)) * 3.0)


class JsonKernelSaver(Saver):
    """Counts its dumps: shipping to process workers goes through it."""

    dumps = 0

    def dump(self, step):
        JsonKernelSaver.dumps += 1
        return json.dumps(step.get_params()).encode()

    def load(self, data, *, step_class, trusted=()):
        return step_class(**json.loads(data)).fit(np.zeros((1, 1)))


def test_parallel_transform_ships_through_the_registered_saver(data):
    X, _ = data
    register_saver(RowKernel, JsonKernelSaver())
    try:
        JsonKernelSaver.dumps = 0
        wrapper = ParallelTransform(RowKernel(rounds=2), n_jobs=2, chunk_size=45).fit(X)
        out = wrapper.transform(X)
    finally:
        unregister_saver(RowKernel)
    assert JsonKernelSaver.dumps == 1  # packed once here, opened in the workers
    np.testing.assert_allclose(out, RowKernel(rounds=2).fit(X).transform(X))


def test_parallel_transform_worker_error_has_path_and_worker_traceback(data):
    X, _ = data
    inner = Pipeline([("scale", StandardScaler()), ("fail", Failing(limit=2.0))])
    wrapper = ParallelTransform(inner, n_jobs=2, chunk_size=10)
    with pytest.raises(ParallelError) as caught:
        wrapper.fit(X[:5] * 0).transform(X * 10)
    message = str(caught.value)
    assert "at step 'step__fail' (Failing): ValueError: a row is above 2.0" in message
    assert "Worker traceback:" in message and "in transform" in message


def test_parallel_transform_in_a_pipeline_fit_transform_and_introspection(data):
    X, y = data
    pipe = Pipeline(
        [
            ("features", ParallelTransform(RowKernel(factor=2.0), n_jobs=2, chunk_size=30)),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    serial = Pipeline([("features", RowKernel(factor=2.0)), ("model", LogisticRegression())])
    np.testing.assert_allclose(pipe.predict_proba(X), serial.fit(X, y).predict_proba(X))
    assert pipe["features__step"].factor == 2.0
    hyperparams = pipe.get_hyperparams()
    assert hyperparams["features__n_jobs"] == 2 and hyperparams["features__step__factor"] == 2.0
    assert pipe.get_hyperparams_space()["features__step__factor"] == floats(0.1, 10.0)
    pipe.set_hyperparams(features__step__factor=3.0, features__chunk_size=45)
    assert pipe["features"].chunk_size == 45 and pipe["features__step"].factor == 3.0
    assert [child["name"] for child in pipe.describe()["children"][0]["children"]] == ["step"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_jobs": 0}, r"n_jobs must be a non-zero integer.*but got 0"),
        ({"n_jobs": 1.5}, r"n_jobs must be a non-zero integer.*but got 1.5"),
        ({"chunk_size": 0}, r"chunk_size must be >= 1 row, but got 0"),
        ({"chunk_size": "big"}, r"chunk_size must be a number of rows.*'big'"),
        ({"backend": "lokky"}, r"backend must be one of .*'lokky'. Did you mean 'loky'\?"),
    ],
)
def test_parallel_transform_bad_options_are_errors(data, params, match):
    X, _ = data
    with pytest.raises(HyperparamError, match=match):
        ParallelTransform(StandardScaler(), **params).fit(X)
    wrapper = ParallelTransform(StandardScaler())
    with pytest.raises(HyperparamError, match=match):
        wrapper.set_hyperparams(**params)
    assert wrapper.n_jobs == -1 and wrapper.chunk_size is None  # nothing changed


def test_parallel_transform_before_fit_is_an_error(data):
    X, _ = data
    with pytest.raises(NotFittedError, match="not fitted yet; call fit\\(\\) before transform"):
        ParallelTransform(StandardScaler(), n_jobs=2).transform(X)


def test_parallel_transform_dask_without_client_says_how_to_start_one(data):
    X, _ = data
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    wrapper = ParallelTransform(StandardScaler(), backend="dask", chunk_size=10).fit(X)
    with pytest.raises(
        ParallelError, match=r"dask.distributed Client, and there is none.*Client\(LocalCluster"
    ):
        wrapper.transform(X)


def test_parallel_transform_passes_check_step(data):
    X, _ = data
    check_step(ParallelTransform(StandardScaler(), n_jobs=2, chunk_size=25), X)


class CountingFailure(Failing):
    """Counts the chunks it was given (threads share this one object)."""

    calls = 0

    def transform(self, X):
        type(self).calls += 1
        return super().transform(X)


def test_parallel_transform_first_failure_stops_the_other_tasks(data):
    X, _ = data
    X = X.copy()
    X[:1, 0] = 1e6  # the first chunk, and only it, fails
    CountingFailure.calls = 0
    wrapper = ParallelTransform(CountingFailure(), n_jobs=2, backend="threading", chunk_size=1)
    with pytest.raises(ParallelError, match="on rows 0:1 failed"):
        wrapper.fit(X).transform(X)
    assert CountingFailure.calls < len(X) // 2  # far from the 90 chunks asked for


@pytest.mark.slow
def test_parallel_transform_torch_step_ships_through_its_state_dicts(data):
    pytest.importorskip("torch", reason="the torch extra is not installed")
    from tests.persistence.steps import mlp
    from workbench.training import TorchStep

    X, y = data
    X = X.astype("float32")
    step = TorchStep(module=mlp, epochs=2, device="cpu", random_state=0).fit(X, y)
    wrapper = ParallelTransform(step, n_jobs=2, chunk_size=30)
    np.testing.assert_allclose(wrapper.predict_proba(X), step.predict_proba(X), rtol=1e-6)


def test_parallel_transform_worker_killed_is_a_parallel_error_naming_step_and_rows(data):
    X, _ = data
    X = np.abs(X)
    wrapper = ParallelTransform(Killer(), n_jobs=2, chunk_size=45).fit(X)
    hostile = X.copy()
    hostile[0, 0] = -1.0  # the worker with rows 0:45 is killed
    with pytest.raises(
        ParallelError,
        match=r"A worker process died while running transform\(\) of the step at 'step' on "
        r"rows 0:45 \(1 later task dropped\)\. .*fewer n_jobs(?s:.*)SIGKILL",
    ):
        wrapper.transform(hostile)
    np.testing.assert_array_equal(wrapper.transform(X), X)  # the wrapper still works


NOTEBOOK_STEP = """
import threading
import numpy as np
from workbench import Step
from workbench.exceptions import ParallelError
from workbench.parallel import ParallelTransform

LOCK = threading.Lock()

class Guarded(Step):
    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        with LOCK:
            return np.asarray(X) * 2

X = np.arange(40.0).reshape(20, 2)
wrapper = ParallelTransform(Guarded(), n_jobs=2).fit(X)
try:
    wrapper.transform(X)
except ParallelError as error:
    print(error)
wrapper.set_hyperparams(backend="threading")
print(wrapper.transform(X).sum())
"""


def test_parallel_transform_class_of_a_notebook_using_an_unpicklable_global(tmp_path):
    script = tmp_path / "notebook.py"  # run as __main__, as a notebook's cells are
    script.write_text(NOTEBOOK_STEP)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    first, second = done.stdout.strip().splitlines()
    assert first.startswith(
        "Cannot ship the step at 'step' (Guarded, defined in __main__: a notebook or a script) "
        "to worker processes."
    )
    assert "'LOCK' (a _thread.lock) cannot be pickled" in first
    assert "declare holds_resources = True on Guarded, create it in acquire_resources()" in first
    assert float(second) == 2 * np.arange(40.0).sum()  # in this process it runs
