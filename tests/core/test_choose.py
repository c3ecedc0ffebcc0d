from __future__ import annotations

import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from workbench import Choose
from workbench.exceptions import HyperparamError, StructureError


def test_choice_is_a_categorical_hyperparam_with_readable_paths(nested):
    space = nested.get_hyperparams_space()
    assert space["model__choice"].choices == ("linear", "forest")
    assert "model__forest__n_estimators" in space


def test_only_the_chosen_branch_is_active(nested):
    active = nested.get_hyperparams_space(active_only=True)
    assert "model__linear__C" in active and "model__forest__n_estimators" not in active
    nested.set_hyperparams(model__choice="forest")
    active = nested.get_hyperparams(active_only=True)
    assert "model__forest__n_estimators" in active and "model__linear__C" not in active


def test_conditions_name_the_choice_each_branch_needs(nested):
    conditions = nested.hyperparams_conditions()
    assert conditions["model__forest__n_estimators"] == (("model__choice", "forest"),)
    assert "encoder__pca__n_components" not in conditions


def test_nested_choose_conditions_accumulate():
    inner = Choose([("a", LogisticRegression()), ("b", RandomForestClassifier())])
    outer = Choose([("x", inner), ("y", LogisticRegression())])
    assert outer.hyperparams_conditions()["x__b__n_estimators"] == (
        ("choice", "x"),
        ("x__choice", "b"),
    )


def test_fit_trains_only_the_chosen_branch(nested, data):
    nested.set_hyperparams(model__choice="forest").fit(*data)
    assert hasattr(nested["model__forest"], "estimators_")
    assert not hasattr(nested["model__linear"], "coef_")
    assert nested.predict_proba(data[0]).shape == (80, 2)


def test_unknown_choice_is_rejected_with_the_options(nested):
    with pytest.raises(
        HyperparamError,
        match="'tree' is outside the space of 'model__choice', which allows one of 'linear', 'forest'",
    ):
        nested.set_hyperparams(model__choice="tree")


def test_an_option_cannot_be_named_choice():
    with pytest.raises(StructureError, match="'choice' in Choose is taken by a hyperparameter"):
        Choose([("choice", LogisticRegression())])


def test_choose_via_set_params_to_a_missing_option_fails_at_use(data):
    model = Choose([("linear", LogisticRegression())], choice="nope")
    with pytest.raises(StructureError, match="Choose has no option 'nope'.*\\['linear'\\]"):
        model.fit(*data)


def test_hyperparams_name_the_branch_in_use_when_none_was_chosen(nested):
    assert nested["model"].choice is None  # the constructor's argument, stored unchanged
    assert nested["model"].chosen == "linear"
    assert nested.get_hyperparams()["model__choice"] == "linear"
    assert nested.get_hyperparams(active_only=True)["model__choice"] == "linear"
    assert nested.get_hyperparams(nested=True)["model"]["choice"] == "linear"
    nested.set_hyperparams(model__choice="forest")
    assert nested.get_hyperparams()["model__choice"] == nested["model"].chosen == "forest"
