"""The one mechanism that checks declared options, and its one message form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench._internal.options import (
    InstanceOf,
    Interval,
    OneOf,
    Satisfies,
    check_option,
    check_options,
    describe,
)


@pytest.mark.parametrize(
    ("constraints", "words"),
    [
        ([Interval(int, 1)], "an integer >= 1"),
        ([None, Interval(int, 0)], "None or an integer >= 0"),
        ([Interval(float, 0, 1, closed="neither")], "a number in (0, 1)"),
        ([Interval(float, 0, 1, closed="left")], "a number in [0, 1)"),
        ([Interval(float, None, 5, closed="neither")], "a number < 5"),
        ([Interval(int, 1), OneOf(-1)], "an integer >= 1 or -1"),
        ([OneOf("auto", "min", "max")], "'auto', 'min' or 'max'"),
        ([None, InstanceOf(dict, "a dict"), Satisfies(callable, "a callable")],
         "None, a dict or a callable"),
    ],
)  # fmt: skip
def test_constraints_describe_themselves_in_words(constraints, words):
    assert describe(constraints) == words


@pytest.mark.parametrize("value", [0, -3, 1.0, True, "2", None, math.nan])
def test_an_integer_constraint_refuses_what_is_no_integer_in_range(value):
    with pytest.raises(ValueError, match=r"^epochs must be an integer >= 1, but got .+\.$"):
        check_option("epochs", value, [Interval(int, 1)], ValueError)


@pytest.mark.parametrize("value", [1, np.int64(7), 10**12])
def test_an_integer_constraint_takes_integers_numpy_ones_included(value):
    check_options({"epochs": value}, {"epochs": [Interval(int, 1)]}, ValueError)


@pytest.mark.parametrize("value", [0.0, math.nan, math.inf, False])
def test_an_open_interval_refuses_its_ends_nan_and_booleans(value):
    with pytest.raises(KeyError, match=r"fraction must be a float in \(0, 1\)"):
        check_option(
            "fraction",
            value,
            [Interval(float, 0, 1, closed="neither", noun="a float")],
            KeyError,
        )


def test_a_long_value_is_shown_by_its_type_and_options_are_checked_in_order():
    with pytest.raises(TypeError, match=r"^a must be a dict, but got list\.$"):
        check_options(
            {"a": list(range(100)), "b": 0},
            {"a": [InstanceOf(dict, "a dict")], "b": [Interval(int, 1)]},
            TypeError,
        )
    with pytest.raises(TypeError, match=r"^b must be 'x' or 'y', but got 1\.$"):
        check_option("b", 1, [OneOf("x", "y")], TypeError)
