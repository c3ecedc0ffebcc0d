"""Property tests: random nested pipelines and spaces."""

from __future__ import annotations

import optuna
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import Choose, Hyperparam, Pipeline, Step, categorical, floats, ints
from workbench.core.authoring import nest

optuna.logging.set_verbosity(optuna.logging.WARNING)


class Leaf(Step):
    rate = Hyperparam(0.5, space=floats(0.0, 1.0))
    width = Hyperparam(4, space=ints(1, 8))
    kind = Hyperparam("a", space=categorical(["a", "b"]))
    extra = Hyperparam({"nested": "dict value"})


names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6).filter(
    lambda name: "__" not in name and name != "choice" and name.strip("_") == name
)


@st.composite
def spaces(draw):
    low = draw(st.floats(-100, 100, allow_nan=False))
    width = draw(st.floats(1e-3, 100, allow_nan=False))
    int_low = draw(st.integers(-50, 50))
    step = draw(st.integers(1, 3))
    return {
        "rate": floats(low, low + width, log=False),
        "width": ints(int_low, int_low + step * draw(st.integers(0, 10)), step=step),
        "kind": categorical(
            draw(
                st.lists(
                    st.sampled_from([None, 1, 2.5, "x", True]), min_size=1, max_size=4, unique=True
                )
            )
        ),
    }


def leaves():
    return st.builds(Leaf)


def trees():
    def extend(children):
        pairs = st.lists(
            st.tuples(names, children), min_size=1, max_size=3, unique_by=lambda p: p[0]
        )
        return st.one_of(pairs.map(Pipeline), pairs.map(Choose))

    return st.recursive(leaves(), extend, max_leaves=6).filter(lambda t: not isinstance(t, Leaf))


@st.composite
def trees_with_spaces(draw):
    tree = draw(trees())
    for path, step in tree.walk():
        if isinstance(step, Leaf):
            tree.set_hyperparams_space(
                {f"{path}__{name}": d for name, d in draw(spaces()).items()}
            )
    return tree


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees_with_spaces())
def test_flat_and_nested_hyperparams_round_trip_exactly(tree):
    flat = tree.get_hyperparams()
    nested = tree.get_hyperparams(nested=True)
    assert nest(flat) == nested
    tree.set_hyperparams(nested)
    assert tree.get_hyperparams() == flat
    tree.set_hyperparams(flat)
    assert tree.get_hyperparams(nested=True) == nested
    space = tree.get_hyperparams_space()
    assert nest(space) == tree.get_hyperparams_space(nested=True)
    tree.set_hyperparams_space(tree.get_hyperparams_space(nested=True))
    assert tree.get_hyperparams_space() == space


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees_with_spaces(), st.integers(0, 2**16))
def test_every_value_sampled_through_optuna_is_accepted(tree, seed):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(3):
        trial = study.ask(fixed_distributions=tree.get_hyperparams_space())
        tree.set_hyperparams(trial.params)
        current = tree.get_hyperparams()
        assert all(current[path] == value for path, value in trial.params.items())
        study.tell(trial, 0.0)
