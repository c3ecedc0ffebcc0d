"""Steps the persistence tests save: they live in an importable module, as users' steps do."""

from __future__ import annotations

import threading

import numpy as np

from workbench import Hyperparam, Step, floats


class Shift(Step):
    """A plain Workbench step: adds a learned offset times ``scale``."""

    scale = Hyperparam(1.0, space=floats(0.0, 10.0))

    def fit(self, X, y=None):
        self.offset_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) + self.scale * self.offset_


class Locked(Step):
    """Holds a lock (pickle cannot handle it), taken at setup and dropped at teardown."""

    holds_resources = True
    factor = Hyperparam(2.0, space=floats(0.5, 4.0))

    def acquire_resources(self):
        self._lock = threading.Lock()

    def release_resources(self):
        del self._lock

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        self.scale_ = np.asarray(X).std(axis=0)
        return self

    def transform(self, X):
        with self._lock:
            return np.asarray(X) * self.factor / self.scale_


def mlp(n_features, n_outputs, hidden=8):
    """A module factory for TorchStep (imports torch only when called)."""
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_outputs)
    )


class Unmarked(Step):
    """Keeps a lock made while fitting, without declaring holds_resources: pickle fails on it."""

    def fit(self, X, y=None):
        self._lock = threading.Lock()
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        return np.asarray(X)
