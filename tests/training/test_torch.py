"""TorchStep: hyperparams with spaces, mini-batch learning, devices, freezing, state dicts."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="TorchStep tests need the torch extra")

from workbench import Hyperparam, Pipeline, ints  # noqa: E402
from workbench.exceptions import NotFittedError, TrainingError  # noqa: E402
from workbench.training import InputAsTarget, TorchStep, fit_epochs  # noqa: E402

needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine; the CPU path is tested"
)


def mlp(n_features, n_outputs, hidden=16):
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_outputs)
    )


def linear(n_features, n_outputs, width=None):
    return torch.nn.Linear(n_features, width or n_outputs)


class MLP(TorchStep):
    hidden = Hyperparam(16, space=ints(4, 256, log=True))


class Encoder(TorchStep):
    width = Hyperparam(3, space=ints(1, 32))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)).astype("float32")
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    return X, y


def test_torch_step_declares_hyperparams_with_spaces():
    step = MLP(module=mlp, lr=0.01)
    space = step.get_hyperparams_space()
    assert {"hidden", "lr", "weight_decay", "optimizer", "epochs", "batch_size"} <= set(space)
    assert step.get_hyperparams()["hidden"] == 16
    step.set_hyperparams(hidden=64)
    with pytest.raises(Exception, match=r"outside the space of 'hidden'"):
        step.set_hyperparams(hidden=1000)


def test_torch_step_classifies_with_labels_of_any_kind(data):
    X, y = data
    labels = np.array(["left", "right"])[y]
    model = MLP(module=mlp, lr=0.02, epochs=15, random_state=0, device="cpu").fit(X, labels)
    assert model.module_[0].out_features == 16  # the subclass's hyperparam reached the factory
    assert model.classes_.tolist() == ["left", "right"]
    assert model.score(X, labels) > 0.9
    proba = model.predict_proba(X[:3])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_torch_step_regresses_targets_of_the_same_shape(data):
    X, _ = data
    y = X @ np.arange(1.0, 6.0)
    model = TorchStep(module=linear, loss="mse", lr=0.05, epochs=40, random_state=0).fit(X, y)
    assert model.predict(X).shape == (400,)
    assert model.score(X, y) > 0.99
    wide = TorchStep(module=linear, loss="mse", epochs=1).fit(X, np.c_[y, -y])
    assert wide.predict(X).shape == (400, 2)


def test_torch_step_seeds_make_runs_identical(data):
    X, y = data
    first = MLP(module=mlp, epochs=2, random_state=3).fit(X, y).transform(X)
    second = MLP(module=mlp, epochs=2, random_state=3).fit(X, y).transform(X)
    np.testing.assert_array_equal(first, second)


def test_torch_step_reports_per_batch_loss_into_the_history(data):
    X, y = data
    pipe = Pipeline([("net", MLP(module=mlp, lr=0.01, random_state=0))])
    history = fit_epochs(pipe, X, y, epochs=4, batch_size=50, random_state=0, record_batches=True)
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert len(history.batches) == 4 * 8
    assert history["train_loss"].iloc[0] == pytest.approx(
        history.batches.loc[history.batches["epoch"] == 1, "loss"].mean()
    )


def test_torch_step_chooses_the_device_at_setup_and_frees_it_at_teardown(data):
    X, y = data
    step = MLP(module=mlp, epochs=1)
    assert not step.is_set_up
    step.fit(X, y)  # set up lazily on first use
    assert step.is_set_up and step._device.type in ("cpu", "cuda")
    before = step.predict(X)
    step.teardown()
    assert not step.is_set_up
    assert next(step.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(step.predict(X), before)  # set up again, same weights


def test_torch_step_refuses_cuda_where_there_is_none(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    step = MLP(module=mlp, device="cuda")
    with pytest.raises(Exception, match=r"asks for CUDA, but torch sees no GPU.*device='auto'"):
        step.fit(X, y)
    assert MLP(module=mlp, device="auto", epochs=1).fit(X, y)._device.type == "cpu"


@needs_cuda
def test_torch_step_trains_on_cuda_and_releases_its_memory(data):
    X, y = data
    baseline = torch.cuda.memory_allocated()
    step = MLP(module=mlp, device="cuda", epochs=2, random_state=0).fit(X, y)
    assert next(step.module_.parameters()).device.type == "cuda"
    assert torch.cuda.memory_allocated() > baseline
    step.teardown()
    assert next(step.module_.parameters()).device.type == "cpu"
    assert torch.cuda.memory_allocated() <= baseline
    assert step.score(X, y) > 0.6  # back on the GPU lazily


@needs_cuda
def test_torch_step_state_dict_from_cuda_loads_on_the_cpu(data):
    X, y = data
    step = MLP(module=mlp, device="cuda", epochs=2, random_state=0).fit(X, y)
    state = step.state_dict()
    assert all(t.device.type == "cpu" for t in state["module"].values())
    copy = MLP(module=mlp, device="cpu").load_state_dict(state)
    np.testing.assert_allclose(copy.predict_proba(X), step.predict_proba(X), atol=1e-5)


def test_frozen_torch_step_does_not_learn(data):
    X, y = data
    pipe = Pipeline([("net", MLP(module=mlp, epochs=1, random_state=0))]).fit(X, y)
    weights = [p.detach().clone() for p in pipe["net"].module_.parameters()]
    pipe.freeze("net")
    assert not any(p.requires_grad for p in pipe["net"].module_.parameters())
    pipe["net"].partial_fit(X, y)
    for before, after in zip(weights, pipe["net"].module_.parameters(), strict=True):
        torch.testing.assert_close(before, after)
    pipe.unfreeze("net")
    assert all(p.requires_grad for p in pipe["net"].module_.parameters())


def test_torch_state_dict_round_trip_rebuilds_from_hyperparams(data):
    X, y = data
    step = MLP(module=mlp, hidden=8, epochs=2, random_state=0).fit(X, y * 2 + 1)
    state = step.state_dict()
    assert set(state) == {"module", "optimizer", "meta"}
    assert state["meta"]["classes"] == [1, 3]
    copy = MLP(module=mlp, hidden=8).load_state_dict(state)
    np.testing.assert_array_equal(copy.predict(X), step.predict(X))
    copy.partial_fit(X[:50], y[:50] * 2 + 1)  # the optimizer state came along
    assert copy.optimizer_.state_dict()["state"][0]["step"].item() == (
        step.optimizer_.state_dict()["state"][0]["step"].item() + 1
    )


def test_torch_state_dict_errors_say_what_to_pass():
    with pytest.raises(NotFittedError, match="not fitted; nothing to save"):
        MLP(module=mlp).state_dict()
    with pytest.raises(
        TrainingError, match=r"keys 'module', 'optimizer' and 'meta'.*\['module'\]"
    ):
        MLP(module=mlp).load_state_dict({"module": {}})


def test_torch_step_bad_settings_are_clear(data):
    X, y = data
    with pytest.raises(TrainingError, match="needs module=, a factory"):
        TorchStep().fit(X, y)
    with pytest.raises(TrainingError, match=r"loss must be one of .*'mse'.* but got 'hinge'"):
        TorchStep(module=mlp, loss="hinge").fit(X, y)
    with pytest.raises(TrainingError, match="must return a torch.nn.Module, but returned 3"):
        TorchStep(module=lambda n, m: 3).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TorchStep(module=mlp).predict(X)


def test_torch_gradient_flows_from_the_next_torch_step(data):
    X, _ = data
    encoder = Encoder(module=linear, random_state=0)
    pipe = Pipeline(
        [
            ("target", InputAsTarget()),
            ("encoder", encoder),
            ("decoder", TorchStep(module=linear, loss="mse", lr=0.01, random_state=0)),
        ]
    )
    fit_epochs(pipe, X, epochs=1, batch_size=100)
    before = encoder.module_.weight.detach().clone()
    history = fit_epochs(pipe, X, epochs=3, batch_size=100)
    assert not torch.equal(before, encoder.module_.weight)  # learned from the decoder's loss
    assert history["train_loss"].is_monotonic_decreasing
    assert pipe.transform(X).shape == (400, 5)


def test_torch_step_feeding_a_non_torch_step_must_be_frozen(data):
    from sklearn.linear_model import SGDClassifier

    X, y = data
    pipe = Pipeline([("encoder", Encoder(module=linear)), ("head", SGDClassifier())])
    with pytest.raises(
        TrainingError, match=r"'encoder' \(Encoder\) learns from the gradient.*'head'"
    ):
        fit_epochs(pipe, X, y, epochs=1, batch_size=50)
    pipe.fit(X, y).freeze("encoder")
    history = fit_epochs(pipe, X, y, epochs=1, batch_size=50)
    assert len(history) == 1


def test_diverging_torch_loss_raises_with_the_history(data):
    X, _ = data
    y = X @ np.arange(1.0, 6.0) * 1e3
    pipe = Pipeline(
        [("net", TorchStep(module=linear, loss="mse", optimizer="sgd", lr=10.0, random_state=0))]
    )
    from workbench.exceptions import DivergedError

    with pytest.raises(DivergedError, match=r"loss became (nan|inf) at epoch \d+") as raised:
        fit_epochs(pipe, X, y, epochs=20, batch_size=20)
    failed_at = int(str(raised.value).split("at epoch ")[1].split(",")[0])
    history = raised.value.history
    assert history["epoch"].tolist() == list(range(1, failed_at))  # the epochs before it
    assert np.isfinite(history.get("train_loss", pd.Series(dtype=float))).all()


def test_missing_torch_names_the_extra(monkeypatch, data):
    X, y = data
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'workbench\[torch\]'"):
        TorchStep(module=mlp).fit(X, y)
