from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import clone

from workbench import Hyperparam, Step, floats, ints
from workbench.exceptions import HyperparamError, LifecycleError, SpaceError


class Noise(Step):
    """A step whose hyperparams are declared once."""

    scale = Hyperparam(0.1, space=floats(0.0, 1.0))
    copies = Hyperparam(1, space=ints(1, 4))
    seed = Hyperparam(None)

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):
        return np.asarray(X) + self.scale


class Device(Step):
    holds_resources = True
    log: list[str] = []

    size = Hyperparam(2)

    def acquire_resources(self):
        self.log.append("acquire")

    def release_resources(self):
        self.log.append("release")

    def fit(self, X, y=None):
        self.fitted_ = True
        return self


def test_declared_hyperparams_give_a_keyword_only_sklearn_constructor():
    signature = inspect.signature(Noise)
    assert list(signature.parameters) == ["scale", "copies", "seed"]
    assert all(p.kind is p.KEYWORD_ONLY for p in signature.parameters.values())
    step = Noise(scale=0.5)
    assert step.get_params() == {"scale": 0.5, "copies": 1, "seed": None}
    assert clone(step).scale == 0.5


def test_unknown_constructor_argument_suggests_the_declared_name():
    with pytest.raises(TypeError, match="unexpected hyperparameter 'scal'.*Did you mean 'scale'"):
        Noise(scal=0.2)


def test_declared_space_is_the_step_space_and_can_be_overridden():
    step = Noise()
    assert step.get_hyperparams_space() == {"scale": floats(0.0, 1.0), "copies": ints(1, 4)}
    step.set_hyperparams_space(scale=floats(0.0, 5.0), copies=None)
    assert step.get_hyperparams_space() == {"scale": floats(0.0, 5.0)}
    assert Noise().get_hyperparams_space()["scale"] == floats(0.0, 1.0)  # class untouched


def test_subclass_inherits_and_extends_declarations():
    class LoudNoise(Noise):
        volume = Hyperparam(3, space=ints(1, 10))

    assert LoudNoise().get_params() == {"scale": 0.1, "copies": 1, "seed": None, "volume": 3}


def test_set_hyperparams_outside_space_names_path_value_and_range():
    step = Noise()
    with pytest.raises(
        HyperparamError, match=r"1.5 is outside the space of 'scale'.*\[0.0, 1.0\]"
    ):
        step.set_hyperparams(scale=1.5)
    assert step.scale == 0.1


def test_hyperparam_declaration_rejects_a_space_that_is_not_a_distribution():
    with pytest.raises(SpaceError, match="must be an Optuna distribution"):
        Hyperparam(1, space=(1, 10))


def test_set_hyperparams_space_rejects_non_distributions():
    with pytest.raises(SpaceError, match="space of 'scale' must be an Optuna distribution"):
        Noise().set_hyperparams_space(scale=[0, 1])


def test_setup_is_lazy_idempotent_and_teardown_releases_once():
    Device.log = []
    step = Device()
    assert not step.is_set_up
    step.fit([[1.0]])
    assert step.is_set_up and Device.log == ["acquire"]
    step.setup()
    step.teardown()
    step.teardown()
    assert Device.log == ["acquire", "release"]


def test_context_manager_tears_down_even_when_the_body_raises():
    Device.log = []
    with pytest.raises(RuntimeError, match="boom"), Device() as step:
        assert step.is_set_up
        raise RuntimeError("boom")
    assert Device.log == ["acquire", "release"]


def test_failing_setup_is_a_lifecycle_error_and_leaves_step_not_set_up():
    class Broken(Step):
        holds_resources = True

        def acquire_resources(self):
            raise OSError("no device")

    step = Broken()
    with pytest.raises(LifecycleError, match="setup\\(\\) of Broken failed: no device"):
        step.setup()
    assert not step.is_set_up


def test_pickling_drops_resources_and_callbacks():
    import pickle

    Device.log = []
    step = Device().setup()
    step.add_callback(object.__new__(type("CB", (), {"on_fit_end": lambda self, **d: None})))
    restored = pickle.loads(pickle.dumps(step))
    assert not restored.is_set_up and restored.callbacks == ()


def test_a_space_declared_not_strict_only_says_where_to_search():
    class Learner(Step):
        rate = Hyperparam(0.01, space=floats(1e-4, 1e-1, log=True), strict=False)
        depth = Hyperparam(2, space=ints(1, 8))

    step = Learner().set_hyperparams(rate=0.5)
    assert step.rate == 0.5
    assert step.get_hyperparams_space()["rate"] == floats(1e-4, 1e-1, log=True)
    with pytest.raises(HyperparamError, match=r"9 is outside the space of 'depth'"):
        step.set_hyperparams(depth=9)
    step.set_hyperparams_space(rate=floats(1e-3, 1e-2))  # the user's own space binds
    with pytest.raises(HyperparamError, match=r"0.7 is outside the space of 'rate'"):
        step.set_hyperparams(rate=0.7)
    assert step.rate == 0.5
