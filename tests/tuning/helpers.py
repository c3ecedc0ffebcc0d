"""Steps and study files that tuning tests drive: failing, interrupting and blocking fits."""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression

from tests.waiting import wait_for  # noqa: F401  (tuning tests import it from here)
from workbench import Hyperparam, Step, categorical, floats


class Flaky(ClassifierMixin, Step):
    """A classifier that raises when ``mode == "boom"`` (a failing trial)."""

    mode = Hyperparam("ok", space=categorical(["ok", "boom"]))
    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        if self.mode == "boom":
            raise ValueError("boom was chosen")
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class Interrupting(ClassifierMixin, Step):
    """Fits normally ``Interrupting.allowed`` times, then raises KeyboardInterrupt (Ctrl-C)."""

    allowed = 2
    fits = 0
    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        if type(self).fits >= type(self).allowed:
            raise KeyboardInterrupt
        type(self).fits += 1
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class Gate(ClassifierMixin, Step):
    """Marks each fit with a file in ``$WB_GATE_DIR``; the fit after ``$WB_GATE_OPEN`` fits
    waits for the file ``release`` there (a trial caught mid-way by a signal)."""

    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        gate = Path(os.environ["WB_GATE_DIR"])
        done = len(list(gate.glob("started-*")))
        (gate / f"started-{uuid.uuid4().hex}").touch()
        if done >= int(os.environ.get("WB_GATE_OPEN", "1000000")):
            deadline = time.monotonic() + 120
            while not (gate / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def classification_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def write_study_file(
    directory: Path, *, storage: str, study_name: str, step: str = "Gate"
) -> Path:
    """A study module for ``workbench worker``: a Tuner named ``tuner`` and data ``X``, ``y``."""
    path = directory / "study.py"
    path.write_text(
        textwrap.dedent(
            f"""
            import optuna
            from workbench import Pipeline
            from workbench.tuning import Tuner
            from tests.tuning.helpers import {step}, classification_data

            X, y = classification_data()
            pipe = Pipeline([("model", {step}())])
            tuner = Tuner(
                pipe,
                scoring="accuracy",
                holdout=0.25,
                storage={storage!r},
                study_name={study_name!r},
                sampler=optuna.samplers.RandomSampler(seed=0),
                heartbeat_interval=1,
                grace_period=2,
            )
            """
        )
    )
    return path
