"""Steps the parallel tests run in workers: an importable module, as users' steps are."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np

from workbench import Hyperparam, Step, floats


class RowKernel(Step):
    """A CPU-bound per-row kernel: ``rounds`` of sin/cos over each row."""

    rounds = Hyperparam(5, doc="work per row")
    factor = Hyperparam(1.0, space=floats(0.1, 10.0))

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        out = np.asarray(X, dtype=float) * self.factor
        for _ in range(self.rounds):
            out = np.sin(out) + np.cos(out)
        return out


class Failing(Step):
    """Raises on any row whose first value is above ``limit``."""

    limit = Hyperparam(100.0)

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        if (np.asarray(X)[:, 0] > self.limit).any():
            raise ValueError(f"a row is above {self.limit}")
        return np.asarray(X)


class Locked(Step):
    """Holds a lock once set up: pickle cannot handle it."""

    holds_resources = True
    factor = Hyperparam(2.0)

    def acquire_resources(self):
        self._lock = threading.Lock()

    def release_resources(self):
        del self._lock

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        with self._lock:
            return (np.asarray(X) - self.mean_) * self.factor


class WhereAmI(Step):
    """Transforms every row into the id of the process that transformed it."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        return np.full((np.shape(X)[0], 1), os.getpid())


class Unmarked(Step):
    """Keeps a lock made while fitting, without declaring holds_resources: pickle fails on it."""

    def fit(self, X, y=None):
        self._lock = threading.Lock()
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        with self._lock:
            return np.asarray(X)


class Killer(Step):
    """Kills the worker process that transforms a row whose first value is negative."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        self.fitted_in_ = os.getpid()
        return self

    def transform(self, X):
        if os.getpid() != self.fitted_in_ and (np.asarray(X)[:, 0] < 0).any():
            os.kill(os.getpid(), signal.SIGKILL)
        return np.asarray(X)
