"""Pre-train then fine-tune, end to end: with PyTorch and with scikit-learn parts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPRegressor

from workbench import Callback, Pipeline
from workbench.training import InputAsTarget, fit_epochs


class UnfreezeAt(Callback):
    """Unfreezes ``path`` at the end of ``epoch``: the next epoch trains it again."""

    def __init__(self, path, epoch):
        self.path, self.epoch = path, epoch

    def on_epoch_end(self, *, epoch, step, **data):
        if epoch == self.epoch:
            step.unfreeze(self.path)


@pytest.fixture
def latent():
    """Unlabeled and labeled data made from 3 latent factors; the label is the first's sign."""
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(1200, 3))
    X = (Z @ rng.normal(size=(3, 12)) + 0.1 * rng.normal(size=(1200, 12))).astype("float32")
    y = (Z[:, 0] > 0).astype(int)
    return X[:1000], X[1000:], y[1000:]


def check_one_continuous_curve(history, *, pretrain, frozen, unfrozen):
    total = pretrain + frozen + unfrozen
    assert history["epoch"].tolist() == list(range(1, total + 1))
    assert history["phase"].tolist() == ["pretrain"] * pretrain + ["finetune"] * (total - pretrain)
    marks = history["mutation"].tolist()
    assert marks[pretrain] == "remove target; replace head; freeze encoder"
    assert marks[pretrain + frozen] == "unfreeze encoder"
    assert sum(mark is not None for mark in marks) == 2
    assert history["train_loss"].iloc[:pretrain].is_monotonic_decreasing


def test_pretrain_then_finetune_with_scikit_learn_parts(latent):
    unlabeled, X, y = latent
    pipe = Pipeline(
        [
            ("target", InputAsTarget()),
            ("encoder", IncrementalPCA(n_components=3)),
            ("head", MLPRegressor(hidden_layer_sizes=(), learning_rate_init=0.01, random_state=0)),
        ]
    )
    history = fit_epochs(pipe, unlabeled, epochs=3, batch_size=100, phase="pretrain")
    components = pipe["encoder"].components_.copy()

    pipe.remove("target").replace("head", SGDClassifier(random_state=0)).freeze("encoder")
    history = fit_epochs(
        pipe, X, y, epochs=5, batch_size=20, random_state=0, validation_fraction=0.25,
        history=history, phase="finetune", callbacks=[UnfreezeAt("encoder", epoch=5)],
    )  # fmt: skip
    frozen_rows = history.iloc[3:5]
    assert frozen_rows["valid_accuracy"].iloc[-1] > 0.85
    assert not np.allclose(pipe["encoder"].components_, components)  # learned after unfreezing
    check_one_continuous_curve(history, pretrain=3, frozen=2, unfrozen=3)
    assert history["train_loss"].iloc[3:].isna().all()  # SGDClassifier reports no loss


def test_pretrain_then_finetune_with_pytorch(latent):
    torch = pytest.importorskip("torch", reason="the PyTorch flow needs the torch extra")
    from workbench.training import TorchStep

    def encoder(n_features, n_outputs):
        return torch.nn.Sequential(torch.nn.Linear(n_features, 16), torch.nn.Tanh(),
                                   torch.nn.Linear(16, 3))  # fmt: skip

    def decoder(n_features, n_outputs):
        return torch.nn.Sequential(torch.nn.Linear(n_features, 16), torch.nn.Tanh(),
                                   torch.nn.Linear(16, n_outputs))  # fmt: skip

    unlabeled, X, y = latent
    pipe = Pipeline(
        [
            ("target", InputAsTarget()),
            ("encoder", TorchStep(module=encoder, lr=0.01, random_state=0)),
            ("head", TorchStep(module=decoder, loss="mse", lr=0.01, random_state=0)),
        ]
    )
    history = fit_epochs(pipe, unlabeled, epochs=4, batch_size=50, phase="pretrain")
    assert history["train_loss"].iloc[-1] < 0.5 * history["train_loss"].iloc[0]

    head = TorchStep(module=decoder, loss="cross_entropy", lr=0.01, random_state=0)
    pipe.remove("target").replace("head", head).freeze("encoder")
    weights = []

    class Watch(Callback):
        def on_epoch_end(self, *, step, **data):
            weights.append(step["encoder"].module_[0].weight.detach().clone())

    history = fit_epochs(
        pipe, X, y, epochs=6, batch_size=20, random_state=0, validation_fraction=0.25,
        history=history, phase="finetune", callbacks=[UnfreezeAt("encoder", 7), Watch()],
    )  # fmt: skip
    check_one_continuous_curve(history, pretrain=4, frozen=3, unfrozen=3)
    assert torch.equal(weights[0], weights[2])  # frozen for the first fine-tuning epochs
    assert not torch.equal(weights[2], weights[-1])  # then trained through the head's loss
    assert history["valid_accuracy"].iloc[-1] > 0.85
    assert pipe.predict(X).shape == (200,)
