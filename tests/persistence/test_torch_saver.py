"""The PyTorch step is saved through its state dicts, never through pickle."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from tests.persistence.steps import mlp
from workbench import Pipeline, floats
from workbench.exceptions import UntrustedTypesError
from workbench.persistence import (
    TorchStepSaver,
    load,
    register_saver,
    save,
    saver_for,
    unregister_saver,
)

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
from workbench.training import TorchStep  # noqa: E402

MLP = "tests.persistence.steps.mlp"


@pytest.fixture
def fitted(data):
    X, y = data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", TorchStep(module=mlp, lr=0.05, epochs=3, random_state=0, device="cpu")),
        ]
    )
    return pipe.fit(X.astype("float32"), y)


def test_torch_step_round_trip_predicts_the_same(tmp_path, data, fitted):
    X, _ = data
    X = X.astype("float32")
    fitted.set_hyperparams_space(net__lr=floats(1e-3, 0.1, log=True))
    path = save(fitted, tmp_path / "torch.wbz")
    loaded = load(path, trusted=[MLP])
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded["net"].get_hyperparams() == fitted["net"].get_hyperparams()
    assert loaded.get_hyperparams_space()["net__lr"] == floats(1e-3, 0.1, log=True)
    loaded.fit(X, data[1])  # the optimizer state came back too: training goes on


def test_torch_step_is_saved_by_state_dict_not_pickle(tmp_path, fitted):
    assert isinstance(saver_for(fitted["net"]), TorchStepSaver)
    path = save(fitted, tmp_path / "torch.wbz")
    with zipfile.ZipFile(path) as archive:
        blob = archive.read("nodes/0002")
    assert b"torch_state" in blob  # skops data holding torch.save bytes, no pickle of the step
    with pytest.raises(UntrustedTypesError, match=rf"\['{MLP}'\]"):
        load(path)


def test_unfitted_torch_step_round_trip(tmp_path):
    step = TorchStep(module=mlp, epochs=2, device="cpu")
    loaded = load(save(step, tmp_path / "raw.wbz"), trusted=[MLP])
    assert type(loaded) is TorchStep and not hasattr(loaded, "module_")
    assert loaded.get_hyperparams() == step.get_hyperparams()


def test_user_saver_for_torch_step_wins_over_the_built_in(fitted):
    class Mine(TorchStepSaver):
        pass

    register_saver(TorchStep, Mine())
    try:
        assert isinstance(saver_for(fitted["net"]), Mine)
    finally:
        unregister_saver(TorchStep)
    assert type(saver_for(fitted["net"])) is TorchStepSaver  # the built-in is back


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine; the CPU path is tested"
)
def test_torch_step_saved_on_a_gpu_loads_on_a_cpu_and_predicts_the_same(
    tmp_path, data, monkeypatch
):
    X, y = data
    X = X.astype("float32")
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", TorchStep(module=mlp, lr=0.05, epochs=3, random_state=0, device="auto")),
        ]
    ).fit(X, y)
    assert next(pipe["net"].module_.parameters()).device.type == "cuda"
    expected, proba = pipe.predict(X), pipe.predict_proba(X)
    path = save(pipe, tmp_path / "gpu.wbz")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without a GPU
    loaded = load(path, trusted=[MLP])
    np.testing.assert_array_equal(loaded.predict(X), expected)
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-5)
    assert next(loaded["net"].module_.parameters()).device.type == "cpu"
    net = loaded["net"]
    steps = net.optimizer_.state_dict()["state"][0]["step"].item()
    net.partial_fit(loaded["scale"].transform(X[:32]), y[:32])  # Adam's state is on the CPU
    assert net.optimizer_.state_dict()["state"][0]["step"].item() == steps + 1
    pipe.teardown()
