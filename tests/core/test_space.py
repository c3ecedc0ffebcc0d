from __future__ import annotations

import math

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from workbench import categorical, floats, ints
from workbench.core import contains, describe_distribution
from workbench.core.authoring import distribution_from_dict, distribution_to_dict
from workbench.exceptions import SpaceError


def test_short_constructors_return_optuna_distributions():
    assert floats(0.1, 1.0, log=True) == FloatDistribution(low=0.1, high=1.0, log=True)
    assert ints(1, 9, step=2) == IntDistribution(low=1, high=9, step=2)
    assert categorical(["a", "b"]) == CategoricalDistribution(choices=("a", "b"))


@pytest.mark.parametrize(
    ("distribution", "value", "expected"),
    [
        (ints(1, 10), 10, True),
        (ints(1, 10), 11, False),
        (ints(1, 9, step=2), 4, False),
        (ints(1, 10), 2.0, True),
        (ints(1, 10), 2.5, False),
        (ints(1, 10), True, False),
        (floats(0.0, 1.0), 1.0, True),
        (floats(0.0, 1.0), 1.01, False),
        (floats(0.0, 1.0), math.nan, False),
        (floats(0.0, 1.0, step=0.25), 0.5, True),
        (floats(0.0, 1.0, step=0.25), 0.3, False),
        (floats(0.0, 1.0), "0.5", False),
        (categorical([True, False]), 1, False),
        (categorical([1, 2]), True, False),
        (categorical([None, "a"]), None, True),
        (categorical(["a"]), "b", False),
    ],
)
def test_contains_matches_what_the_distribution_can_produce(distribution, value, expected):
    assert contains(distribution, value) is expected


def test_describe_distribution_reads_like_prose():
    assert describe_distribution(ints(2, 8, step=2)) == "an integer in [2, 8] by steps of 2"
    assert describe_distribution(categorical(["l1", "l2"])) == "one of 'l1', 'l2'"


@pytest.mark.parametrize(
    "distribution", [floats(1e-3, 1.0, log=True), ints(1, 9, step=2), categorical([None, 1, "a"])]
)
def test_distribution_dict_round_trip(distribution):
    assert distribution_from_dict(distribution_to_dict(distribution)) == distribution


def test_distribution_from_dict_rejects_unknown_type():
    with pytest.raises(SpaceError, match="'type' must be 'float', 'int' or 'categorical'"):
        distribution_from_dict({"type": "normal"})
