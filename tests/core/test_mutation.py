from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import MinMaxScaler

from workbench.exceptions import NotFittedError, StructureError, UnknownPathError


def test_replace_keeps_every_other_fitted_step(nested, data):
    nested.fit(*data)
    components = nested["encoder__pca"].components_.copy()
    nested.replace("model", SGDClassifier(random_state=0))
    np.testing.assert_array_equal(nested["encoder__pca"].components_, components)
    assert not hasattr(nested["model"], "coef_")
    nested.fit(*data)
    assert nested["model"].coef_.shape == (1, 3)


def test_freeze_keeps_a_fitted_step_as_it_is_through_later_fits(nested, data):
    X, y = data
    nested.fit(X, y)
    nested.freeze("encoder")
    components = nested["encoder__pca"].components_.copy()
    nested.fit(X[:40] * 3.0, y[:40])
    np.testing.assert_array_equal(nested["encoder__pca"].components_, components)
    assert nested.is_frozen("encoder") and nested.describe()["children"][0]["frozen"]
    nested.unfreeze("encoder").fit(X[:40] * 3.0, y[:40])
    assert not np.array_equal(nested["encoder__pca"].components_, components)


def test_freezing_an_unfitted_step_says_to_fit_first(nested):
    with pytest.raises(NotFittedError, match="Cannot freeze 'encoder__pca': PCA is not fitted"):
        nested.freeze("encoder__pca")


def test_insert_before_after_and_remove(nested, data):
    nested.insert("encoder__minmax", MinMaxScaler(), before="pca")
    assert [name for name, _ in nested["encoder"].steps] == ["scale", "minmax", "pca"]
    nested.remove("encoder__scale")
    assert [name for name, _ in nested["encoder"].steps] == ["minmax", "pca"]
    nested.insert("model__other", LogisticRegression())
    assert nested.get_hyperparams_space()["model__choice"].choices == ("linear", "forest", "other")
    assert nested.fit(*data).predict(data[0]).shape == (80,)


def test_mutation_log_records_every_change_in_order(nested, data):
    nested.fit(*data)
    nested.freeze("encoder")
    nested.replace("model", SGDClassifier())
    nested.insert("head", LogisticRegression(), after="model")
    log = nested.mutation_log
    assert [(r["op"], r["path"]) for r in log] == [
        ("freeze", "encoder"),
        ("replace", "model"),
        ("insert", "head"),
    ]
    assert log[1]["old"] == "Choose" and log[1]["new"] == "SGDClassifier"
    assert [r["index"] for r in log] == [0, 1, 2]


def test_bad_mutations_raise_and_change_nothing(nested):
    before = nested.get_params(deep=False)["steps"]
    with pytest.raises(StructureError, match="'scale' appears twice"):
        nested.insert("encoder__scale", MinMaxScaler())
    with pytest.raises(UnknownPathError, match="no such sibling.*Did you mean 'pca'"):
        nested.insert("encoder__minmax", MinMaxScaler(), before="pcaa")
    with pytest.raises(
        UnknownPathError,
        match="Cannot change 'encodr__pca': No step at path 'encodr'.*Did you mean 'encoder'",
    ):
        nested.replace("encodr__pca", MinMaxScaler())
    with pytest.raises(
        StructureError, match="'encoder__scale' is a StandardScaler, which holds no named steps"
    ):
        nested.remove("encoder__scale__x")
    with pytest.raises(StructureError, match="Pass at most one of before= and after="):
        nested.insert("encoder__m", MinMaxScaler(), before="pca", after="scale")
    assert nested.get_params(deep=False)["steps"] == before
    assert nested.mutation_log == []


def test_replacing_drops_the_old_steps_space_override(nested):
    from workbench import floats

    nested.set_hyperparams_space(model__linear__C=floats(1.0, 2.0))
    nested.replace("model__linear", LogisticRegression())
    assert nested.get_hyperparams_space()["model__linear__C"] == floats(1e-4, 1e4, log=True)


def test_removing_the_only_step_or_addressing_badly_is_refused(nested):
    nested.remove("encoder__scale")
    with pytest.raises(
        StructureError,
        match="Cannot remove 'encoder__pca': it is the only step of its parent. Replace it instead.",
    ):
        nested.remove("encoder__pca")
    with pytest.raises(UnknownPathError, match="A mutation needs the path of a step, but got ''"):
        nested.freeze("")
    with pytest.raises(
        TypeError, match="indices must be step paths \\(str\\) or positions \\(int\\), not float"
    ):
        nested[1.5]


def test_a_clone_keeps_frozen_steps_fitted_and_frozen(nested, data):
    from sklearn.base import clone

    nested.fit(*data).freeze("encoder")
    copy = clone(nested)
    assert copy.is_frozen("encoder")
    assert np.array_equal(copy["encoder__pca"].components_, nested["encoder__pca"].components_)
    assert copy["encoder__pca"] is not nested["encoder__pca"]  # its own copy
    assert not hasattr(copy["model__linear"], "coef_")  # the rest is unfitted, as clone says
    copy.unfreeze("encoder").fit(data[0][:20], data[1][:20])
    assert not np.array_equal(copy["encoder__pca"].mean_, nested["encoder__pca"].mean_)


def test_frozen_steps_are_left_out_of_the_active_space(nested, data):
    nested.fit(*data).freeze("encoder")
    active = nested.get_hyperparams_space(active_only=True)
    assert not [path for path in active if path.startswith("encoder__")]
    assert "model__linear__C" in active
    assert "encoder__pca__n_components" in nested.get_hyperparams_space()  # still readable
    nested.unfreeze("encoder")
    assert "encoder__pca__n_components" in nested.get_hyperparams_space(active_only=True)


def test_replace_refuses_a_step_that_cannot_feed_the_next_and_changes_nothing(nested, data):
    nested.fit(*data).freeze("encoder")
    before = nested.describe()
    pca = nested["encoder__pca"]
    # the case: a classifier in place of the frozen, fitted encoder mid-pipeline
    with pytest.raises(
        StructureError,
        match="Cannot put SGDClassifier at 'encoder': 'model' comes after it and learns from "
        "its output, but SGDClassifier has no transform\\(\\)",
    ):
        nested.replace("encoder", SGDClassifier())
    # deeper: the last step of the encoder still feeds the model
    with pytest.raises(
        StructureError, match="Cannot put LogisticRegression at 'encoder__pca': 'model' comes"
    ):
        nested.replace("encoder__pca", LogisticRegression())
    assert nested.describe() == before and nested["encoder__pca"] is pca
    assert nested.is_frozen("encoder") and nested.mutation_log[-1]["op"] == "freeze"
    # a transformer or passthrough may stand there; any step may be last (or a branch of it)
    nested.unfreeze("encoder").replace("encoder__pca", MinMaxScaler()).replace(
        "encoder__scale", "passthrough"
    )
    nested.replace("model__linear", SGDClassifier(random_state=0))
    assert nested.fit(*data).predict(data[0]).shape == (80,)
