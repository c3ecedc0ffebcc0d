"""Savers: the registry, the built-in savers, and steps that cannot be saved."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from tests.persistence.steps import Locked, Shift, Unmarked
from workbench import Pipeline
from workbench.exceptions import (
    InvalidSaverError,
    PersistenceError,
    UnknownSaverError,
    UnsavableStepError,
)
from workbench.persistence import (
    FittedStateSaver,
    Saver,
    SkopsSaver,
    load,
    register_saver,
    save,
    saver_for,
    unregister_saver,
)


class Counter:
    """Not a scikit-learn estimator at all: a saver is its only way into a file."""

    def __init__(self, start=0):
        self.start = start

    def transform(self, X):
        return np.asarray(X) + self.start


class CounterSaver(Saver):
    def __init__(self):
        self.dumped = 0

    def dump(self, step):
        self.dumped += 1
        return json.dumps({"start": step.start}).encode()

    def load(self, data, *, step_class, trusted=()):
        return step_class(**json.loads(data))


class SubLocked(Locked):
    pass


def test_saver_for_picks_registered_saver_else_skops(locked_saver):
    assert isinstance(saver_for(Locked()), FittedStateSaver)
    assert isinstance(saver_for(SubLocked()), FittedStateSaver)  # found through the base class
    assert isinstance(saver_for(StandardScaler()), SkopsSaver)


def test_register_saver_user_saver_round_trips_through_a_file(tmp_path):
    saver = CounterSaver()
    register_saver(Counter, saver)
    try:
        path = save(Pipeline([("count", Counter(start=4))]), tmp_path / "c.wbz")
        loaded = load(path)
    finally:
        unregister_saver(Counter)
    assert saver.dumped == 1
    assert loaded["count"].transform([[1.0]]).tolist() == [[5.0]]


def test_load_without_the_registered_saver_says_what_to_register(tmp_path):
    register_saver(Counter, CounterSaver())
    try:
        path = save(Pipeline([("count", Counter())]), tmp_path / "c.wbz")
    finally:
        unregister_saver(Counter)
    with pytest.raises(PersistenceError, match=r"'count'.*none is registered now.*register_saver"):
        load(path)


def test_save_subclass_of_registered_class_needs_trust_to_load(tmp_path, data, locked_saver):
    X, _ = data
    path = save(Pipeline([("locked", SubLocked().fit(X))]), tmp_path / "s.wbz")
    name = "tests.persistence.test_savers.SubLocked"
    with pytest.raises(PersistenceError, match=rf"not trusted: \['{name}'\]"):
        load(path)
    loaded = load(path, trusted=[name])
    assert type(loaded["locked"]) is SubLocked
    np.testing.assert_allclose(loaded.transform(X), SubLocked().fit(X).transform(X))


def test_save_unpicklable_step_without_saver_names_its_path(tmp_path, data):
    X, _ = data
    pipe = Pipeline([("outer", Pipeline([("locked", Unmarked().fit(X))]))])
    target = tmp_path / "p.wbz"
    with pytest.raises(
        UnsavableStepError,
        match=r"'outer__locked'.*pickle cannot handle.*holds_resources = True on Unmarked.*"
        r"register_saver\(Unmarked",
    ):
        save(pipe, target)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_fitted_state_saver_refuses_unpicklable_fitted_attribute(data):
    X, _ = data
    step = Shift().fit(X)
    step.handle_ = (lambda: None).__code__  # code objects cannot be pickled
    with pytest.raises(UnsavableStepError, match="FittedStateSaver could not save.*Shift"):
        FittedStateSaver().dump(step)


def test_saver_that_returns_no_bytes_is_an_error(tmp_path):
    class Broken(CounterSaver):
        def dump(self, step):
            return "not bytes"

    register_saver(Counter, Broken())
    try:
        with pytest.raises(UnsavableStepError, match=r"must return bytes, but got str"):
            save(Pipeline([("count", Counter())]), tmp_path / "c.wbz")
    finally:
        unregister_saver(Counter)


def test_saver_that_raises_names_the_step(tmp_path):
    class Failing(CounterSaver):
        def dump(self, step):
            raise RuntimeError("device busy")

    register_saver(Counter, Failing())
    try:
        with pytest.raises(UnsavableStepError, match=r"'count'.*Failing failed.*device busy"):
            save(Pipeline([("count", Counter())]), tmp_path / "c.wbz")
    finally:
        unregister_saver(Counter)


def test_register_saver_bad_arguments():
    with pytest.raises(TypeError, match="needs a class.*pass type\\(step\\)"):
        register_saver(Counter(), CounterSaver())
    with pytest.raises(TypeError, match="needs a workbench.persistence.Saver.*FittedStateSaver"):
        register_saver(Counter, object())
    with pytest.raises(KeyError, match="No saver is registered for .*Counter"):
        unregister_saver(Counter)


def test_saver_registry_errors_are_persistence_errors():
    with pytest.raises(InvalidSaverError, match="needs a class") as caught:
        register_saver(Counter(), CounterSaver())
    assert isinstance(caught.value, PersistenceError)
    with pytest.raises(InvalidSaverError, match="needs a workbench.persistence.Saver"):
        register_saver(Counter, object())
    with pytest.raises(UnknownSaverError, match="No saver is registered for .*Counter") as caught:
        unregister_saver(Counter)
    assert isinstance(caught.value, PersistenceError)
    assert isinstance(saver_for(Counter()), SkopsSaver)  # the failed calls registered nothing


def test_saver_base_methods_say_what_to_define():
    with pytest.raises(NotImplementedError, match="must define dump"):
        Saver().dump(Counter())
    with pytest.raises(NotImplementedError, match="must define load"):
        Saver().load(b"", step_class=Counter)


def test_persistence_import_does_not_import_torch():
    code = "import sys, workbench.persistence, workbench.parallel; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
