"""TorchStep: hyperparams with spaces, mini-batch learning, devices, freezing, state dicts."""

from __future__ import annotations

import gc
import sys
import weakref

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


def test_torch_step_built_in_spaces_never_refuse_a_value_it_takes():
    step = MLP(module=mlp).set_hyperparams(lr=0.5, batch_size=4096, epochs=500, weight_decay=0.1)
    assert (step.lr, step.batch_size, step.epochs, step.weight_decay) == (0.5, 4096, 500, 0.1)
    with pytest.raises(Exception, match=r"'nadam' is outside the space of 'optimizer'"):
        step.set_hyperparams(optimizer="nadam")  # a name TorchStep does not know


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
    gc.collect()
    baseline = torch.cuda.memory_allocated()
    step = MLP(module=mlp, device="cuda", lr=0.02, epochs=15, random_state=0).fit(X, y)
    assert next(step.module_.parameters()).device.type == "cuda"
    assert torch.cuda.memory_allocated() > baseline
    before, score = step.predict_proba(X), step.score(X, y)
    assert score > 0.9
    step.teardown()
    assert next(step.module_.parameters()).device.type == "cpu"
    assert torch.cuda.memory_allocated() <= baseline
    np.testing.assert_array_equal(step.predict_proba(X), before)  # back on the GPU lazily
    assert step.score(X, y) == score
    step.teardown()


def _big_mlp(n_features, n_outputs, hidden=1024):
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_outputs),
    )


class _FailAtEpochEnd:
    def on_epoch_end(self, **data):
        raise RuntimeError("the callback failed")


@needs_cuda
@pytest.mark.parametrize("composite", ["pipeline", "chain", "choose", "fit", "failed run"])
def test_torch_teardown_through_a_pipeline_frees_the_gpu(composite):
    from workbench import Choose

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 256)).astype("float32")
    y = rng.integers(0, 10, size=5000)
    gc.collect()
    baseline = torch.cuda.memory_allocated()
    net = TorchStep(module=_big_mlp, device="auto", epochs=1, batch_size=1024, random_state=0)
    if composite == "chain":
        encoder = Encoder(module=linear, width=256, device="auto", random_state=0)
        pipe = Pipeline([("encoder", encoder), ("net", net)])
    elif composite == "choose":
        pipe = Pipeline([("model", Choose([("net", net), ("other", MLP(module=mlp))]))])
    else:
        pipe = Pipeline([("net", net)])
    if composite == "failed run":  # fit_epochs set it up, so it tears it down
        fit_epochs(pipe, X, y, epochs=1, batch_size=1024, record=False)
        pipe.teardown()
        with pytest.raises(Exception, match="the callback failed") as raised:
            fit_epochs(pipe, X, y, epochs=2, batch_size=1024, callbacks=[_FailAtEpochEnd()])
        gc.collect()
        assert raised.value.__traceback__ is not None  # the run's frames live on
        assert torch.cuda.memory_allocated() <= baseline
        return
    if composite == "fit":
        pipe.fit(X, y)
    else:  # the run gives back what it set up, then predict sets the steps up again
        fit_epochs(pipe, X, y, epochs=2, batch_size=1024, validation_fraction=0.2, record=False)
        gc.collect()
        assert torch.cuda.memory_allocated() <= baseline
        pipe.setup()
    assert torch.cuda.memory_allocated() > baseline + 10_000_000  # weights and Adam's state
    before = pipe.predict(X)
    pipe.teardown()
    gc.collect()
    assert torch.cuda.memory_allocated() <= baseline
    np.testing.assert_array_equal(pipe.predict(X), before)  # usable again, set up lazily
    pipe.teardown()


@needs_cuda
def test_torch_teardown_moves_a_fused_optimizers_state_off_the_gpu(data):
    X, y = data

    class Fused(MLP):
        def build_optimizer(self, parameters):
            return torch.optim.Adam(parameters, lr=0.01, fused=True)

    step = Fused(module=mlp, device="cuda", epochs=2, random_state=0).fit(X, y)
    steps_before = step.optimizer_.state_dict()["state"][0]["step"].item()
    step.teardown()
    devices = {
        value.device.type
        for state in step.optimizer_.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    }
    assert devices == {"cpu"}
    step.partial_fit(X[:64], y[:64])  # back on the GPU, the step count on it too
    state = step.optimizer_.state_dict()["state"][0]
    assert state["step"].device.type == "cuda" and state["step"].item() == steps_before + 1


@needs_cuda
def test_torch_state_dict_from_cuda_loads_on_the_cpu(data):
    X, y = data
    step = MLP(module=mlp, device="cuda", epochs=2, random_state=0).fit(X, y)
    state = step.state_dict()
    assert all(t.device.type == "cpu" for t in state["module"].values())
    assert all(
        value.device.type == "cpu"
        for entry in state["optimizer"]["state"].values()
        for value in entry.values()
        if isinstance(value, torch.Tensor)
    )
    copy = MLP(module=mlp, device="cpu").load_state_dict(state)
    np.testing.assert_allclose(copy.predict_proba(X), step.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(copy.predict(X), step.predict(X))


@needs_cuda
def test_fit_epochs_on_cuda_trains_alike_with_the_data_on_the_gpu_or_copied(data, monkeypatch):
    from workbench.training import _torch_data

    X, y = data
    weights = {}
    for share in (0.5, 0.0):  # 0.0: nothing fits, every batch goes through pinned memory
        monkeypatch.setattr(_torch_data, "RESIDENT_SHARE", share)
        pipe = Pipeline([("net", MLP(module=mlp, lr=0.01, device="cuda", random_state=0))])
        history = fit_epochs(pipe, X, y, epochs=3, batch_size=64, random_state=0, record=False)
        assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
        weights[share] = [p.detach().cpu() for p in pipe["net"].module_.parameters()]
    for resident, copied in zip(weights[0.5], weights[0.0], strict=True):
        torch.testing.assert_close(resident, copied)


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


def _recording_forward_tensors():
    """Weak references to every tensor a module's forward takes or makes (losses included:
    a loss is a module too), and the hook's handle."""
    seen = []

    def record(module, inputs, output):
        for tensor in (*inputs, output):
            if isinstance(tensor, torch.Tensor):
                seen.append(weakref.ref(tensor))

    return seen, torch.nn.modules.module.register_module_forward_hook(record)


def _composite(kind):
    from workbench import Choose, TrainOnly
    from workbench.training import TransformTarget

    net = MLP(module=mlp, lr=0.01, random_state=0)
    if kind == "pipeline":
        return Pipeline([("net", net)]), [net]
    if kind == "chain":
        encoder = Encoder(module=linear, width=4, random_state=0)
        return Pipeline([("encoder", encoder), ("net", net)]), [encoder, net]
    if kind == "choose":
        return Pipeline([("model", Choose([("net", net), ("other", MLP(module=mlp))]))]), [net]
    if kind == "train_only":
        noise = TrainOnly(Encoder(module=linear, width=5, random_state=1))
        return Pipeline([("noise", noise), ("net", net)]), [noise.step, net]
    from sklearn.preprocessing import OneHotEncoder

    regressor = TorchStep(module=linear, loss="mse", random_state=0)
    wrapped = TransformTarget(regressor, transformer=OneHotEncoder(sparse_output=False))
    return Pipeline([("model", wrapped)]), [regressor]


@pytest.mark.parametrize("kind", ["pipeline", "chain", "choose", "train_only", "target"])
def test_torch_teardown_through_composites_keeps_no_batch_tensor(data, kind):
    X, y = data
    pipe, nets = _composite(kind)
    seen, hook = _recording_forward_tensors()
    pipe.setup()  # set up by the user: the run leaves it set up, holding its gradients
    try:
        fit_epochs(pipe, X, y, epochs=2, batch_size=64, validation_fraction=0.2, record=False)
        pipe.predict(X[:10])
    finally:
        hook.remove()
    assert seen
    grads = [weakref.ref(p.grad) for net in nets for p in net.module_.parameters()]
    losses = [weakref.ref(net._batch_loss) for net in nets if net._batch_loss is not None]
    assert grads and losses and all(ref() is not None for ref in grads + losses)
    pipe.teardown()
    gc.collect()
    assert not [ref for ref in seen + grads + losses if ref() is not None]
    assert all(not net.is_set_up and isinstance(net.batch_loss_, float) for net in nets[-1:])
    assert all(p.grad is None for net in nets for p in net.module_.parameters())


def test_torch_run_that_fails_keeps_no_batch_tensor_in_its_traceback(data):
    X, y = data
    pipe = Pipeline([("net", MLP(module=mlp, random_state=0))])
    seen, hook = _recording_forward_tensors()
    try:
        with pytest.raises(Exception, match="the callback failed") as raised:
            fit_epochs(pipe, X, y, epochs=2, batch_size=64, callbacks=[_FailAtEpochEnd()])
    finally:
        hook.remove()
    gc.collect()
    assert raised.value.__traceback__ is not None  # the frames live on, the tensors do not
    assert seen and not [ref for ref in seen if ref() is not None]
    assert not pipe["net"].is_set_up


def test_torch_failed_run_restores_the_step_and_keeps_no_other_module(data):
    X, y = data
    pipe = Pipeline([("net", MLP(module=mlp, random_state=0))])
    fit_epochs(pipe, X, y, epochs=1, batch_size=64, record=False)
    pipe.teardown()
    expected = pipe.predict_proba(X)
    pipe.teardown()
    trained = [weakref.ref(p) for p in pipe["net"].module_.parameters()]
    with pytest.raises(Exception, match="the callback failed") as raised:
        fit_epochs(pipe, X, y, epochs=2, batch_size=64, callbacks=[_FailAtEpochEnd()])
    gc.collect()
    assert raised.value.__traceback__ is not None  # the frames live on, the old module not
    current = {id(p) for p in pipe["net"].module_.parameters()}
    assert all(ref() is None or id(ref()) in current for ref in trained)
    assert not pipe["net"].is_set_up
    np.testing.assert_array_equal(pipe.predict_proba(X), expected)  # as before the run


def test_torch_last_step_on_a_gpu_to_let_go_gives_back_cublas_workspaces(monkeypatch):
    from workbench.training import _torch

    monkeypatch.setattr(_torch, "_CUDA_HOLDERS", weakref.WeakSet())  # none from other tests
    cleared, emptied = [], []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(1))
    monkeypatch.setattr(
        torch._C, "_cuda_clearCublasWorkspaces", lambda: cleared.append(1), raising=False
    )
    first, second = MLP(module=mlp, device="cuda"), MLP(module=mlp, device="cuda")
    first.setup(), second.setup()
    first.teardown()
    assert (cleared, emptied) == ([], [1])  # the other step still uses the GPU
    second.teardown()
    assert (cleared, emptied) == ([1], [1, 1])


def test_torch_chain_applies_every_update_before_fit_epochs_returns(data):
    X, y = data
    encoder = Encoder(module=linear, width=4, random_state=0)
    pipe = Pipeline([("encoder", encoder), ("head", MLP(module=mlp, lr=0.01, random_state=0))])
    fit_epochs(pipe, X, y, epochs=2, batch_size=100, record=False)
    weights = [p.detach().clone() for p in encoder.module_.parameters()]
    for step in (encoder, pipe["head"]):  # 2 epochs of 4 batches, every update applied
        assert step.optimizer_.state_dict()["state"][0]["step"].item() == 8
    pipe.predict(X)  # what the user reads now is what predict uses
    for read, used in zip(weights, encoder.module_.parameters(), strict=True):
        torch.testing.assert_close(read, used, rtol=0, atol=0)
    pipe.partial_fit(X[:50], y[:50])
    assert encoder.optimizer_.state_dict()["state"][0]["step"].item() == 9


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=needs_cuda)])
def test_torch_teardown_and_set_up_again_change_no_state(data, device):
    X, y = data
    kept = MLP(module=mlp, device=device, epochs=2, random_state=0).fit(X, y)
    moved = MLP(module=mlp, device=device, epochs=2, random_state=0).fit(X, y)
    moved.teardown()
    moved.setup()
    for a, b in zip(kept.module_.parameters(), moved.module_.parameters(), strict=True):
        assert (a.device, a.dtype) == (b.device, b.dtype)
    for step in (kept, moved):  # both learn the same next batches
        step.partial_fit(X[:64], y[:64]).partial_fit(X[64:128], y[64:128])
    for a, b in zip(kept.module_.parameters(), moved.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(kept.predict_proba(X), moved.predict_proba(X))
