"""An epoch run that fails leaves the pipeline as it was before the run."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Callback, Pipeline
from workbench.training import fit_epochs


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    fit_epochs(pipe, X, y, epochs=2, batch_size=50, random_state=0, record=False)
    return pipe, X, y


def test_fit_epochs_with_nan_in_the_first_batch_changes_no_step(fitted):
    pipe, X, y = fitted
    scaler = pipe["scale"]
    before = (scaler.n_samples_seen_, scaler.mean_.copy(), pipe["model"].coef_.copy())
    predictions = pipe.predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fit_epochs(pipe, bad, y, epochs=1, batch_size=50, shuffle=False, record=False)
    assert pipe["scale"] is scaler  # the same objects, put back in place
    assert scaler.n_samples_seen_ == before[0]
    np.testing.assert_array_equal(scaler.mean_, before[1])
    np.testing.assert_array_equal(pipe["model"].coef_, before[2])
    np.testing.assert_array_equal(pipe.predict(X), predictions)


class FailAtEpoch(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, *, epoch, **data):
        if epoch == self.epoch:
            raise RuntimeError(f"failed at epoch {epoch}")


def test_fit_epochs_failing_after_some_epochs_restores_the_pipeline_and_keeps_the_history(fitted):
    pipe, X, y = fitted
    coef = pipe["model"].coef_.copy()
    with pytest.raises(RuntimeError, match="failed at epoch 2") as error:
        fit_epochs(pipe, X, y, epochs=3, batch_size=50, callbacks=[FailAtEpoch(2)], record=False)
    assert list(error.value.history["epoch"]) == [1, 2]
    np.testing.assert_array_equal(pipe["model"].coef_, coef)


def test_fit_epochs_interrupted_keeps_the_training_so_far(fitted):
    pipe, X, y = fitted
    coef = pipe["model"].coef_.copy()

    class Interrupt(Callback):
        def on_epoch_end(self, **data):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_epochs(pipe, X, y, epochs=3, batch_size=50, callbacks=[Interrupt()], record=False)
    assert not np.array_equal(pipe["model"].coef_, coef)  # one more epoch was learned


def test_fit_epochs_failing_restores_a_torch_step_weights():
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    from workbench.training import TorchStep

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype("float32")
    y = (X[:, 0] > 0).astype(int)

    def mlp(n_features, n_outputs):
        return torch.nn.Sequential(torch.nn.Linear(n_features, 8), torch.nn.Linear(8, n_outputs))

    pipe = Pipeline([("net", TorchStep(module=mlp, lr=0.05, device="cpu", random_state=0))])
    fit_epochs(pipe, X, y, epochs=1, batch_size=40, record=False)
    weights = {k: v.clone() for k, v in pipe["net"].module_.state_dict().items()}
    probabilities = pipe.predict_proba(X)
    with pytest.raises(RuntimeError, match="failed at epoch 1"):
        fit_epochs(pipe, X, y, epochs=2, batch_size=40, callbacks=[FailAtEpoch(1)], record=False)
    for name, value in pipe["net"].module_.state_dict().items():
        assert torch.equal(value, weights[name]), name
    np.testing.assert_allclose(pipe.predict_proba(X), probabilities)
