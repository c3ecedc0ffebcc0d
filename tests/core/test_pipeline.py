from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, floats, ints
from workbench.exceptions import HyperparamError, StructureError, UnknownPathError


def test_hyperparams_by_flat_path_and_nested_dict_round_trip(nested):
    flat = nested.get_hyperparams()
    assert flat["encoder__pca__n_components"] == 3
    tree = nested.get_hyperparams(nested=True)
    assert tree["encoder"]["pca"]["n_components"] == 3
    nested.set_hyperparams({"encoder": {"pca": {"whiten": True}}, "model__linear__C": 2.0})
    assert nested["encoder__pca"].whiten is True
    assert nested["model__linear"].C == 2.0
    nested.set_hyperparams(flat)
    assert nested.get_hyperparams() == flat
    nested.set_hyperparams(tree)
    assert nested.get_hyperparams() == flat


def test_the_current_value_and_the_default_are_accepted_even_outside_the_space(nested):
    nested.set_hyperparams_space(encoder__pca__n_components=floats(0.5, 0.999))
    assert nested["encoder__pca"].n_components == 3  # the space declared is a variance fraction
    nested.set_hyperparams(encoder__pca__n_components=3)
    nested.set_hyperparams(encoder__pca__n_components=None)  # PCA's own default
    assert nested["encoder__pca"].n_components is None
    with pytest.raises(
        HyperparamError,
        match="4 is outside the space of 'encoder__pca__n_components', which allows a float in \\[0.5, 0.999\\]",
    ):
        nested.set_hyperparams(encoder__pca__n_components=4)


def test_a_builtin_default_space_never_refuses_a_value_the_estimator_takes(nested, data):
    assert nested.get_hyperparams_space()["encoder__pca__n_components"] == floats(0.5, 0.999)
    nested.set_hyperparams(encoder__pca__n_components=2, model__linear__C=1e6)
    assert nested["encoder__pca"].n_components == 2 and nested["model__linear"].C == 1e6
    nested.fit(*data)
    assert nested["encoder__pca"].components_.shape == (2, 5)
    # the space is still where a tuner searches
    assert nested.get_hyperparams_space()["encoder__pca__n_components"] == floats(0.5, 0.999)


def test_dict_valued_hyperparam_stays_a_value_in_nested_form(nested):
    nested.set_hyperparams(model__linear__class_weight={0: 1.0, 1: 2.0})
    tree = nested.get_hyperparams(nested=True)
    assert tree["model"]["linear"]["class_weight"] == {0: 1.0, 1: 2.0}
    nested.set_hyperparams(tree)
    assert nested["model__linear"].class_weight == {0: 1.0, 1: 2.0}


def test_value_outside_a_declared_space_raises_and_changes_nothing(nested):
    nested.set_hyperparams_space(model__linear__C=floats(0.01, 100.0, log=True))
    before = nested.get_hyperparams()
    with pytest.raises(
        HyperparamError, match=r"1000000.0 is outside the space of 'model__linear__C'"
    ):
        nested.set_hyperparams(encoder__pca__n_components=0.8, model__linear__C=1e6)
    assert nested.get_hyperparams() == before


def test_unknown_path_suggests_near_misses_and_changes_nothing(nested):
    before = nested.get_hyperparams()
    with pytest.raises(
        UnknownPathError,
        match="'encoder__pca__n_component'.*Did you mean 'encoder__pca__n_components'",
    ):
        nested.set_hyperparams(model__linear__C=2.0, encoder__pca__n_component=2)
    assert nested.get_hyperparams() == before


def test_unknown_step_path_lists_the_steps_there(nested):
    with pytest.raises(
        UnknownPathError,
        match=r"encoder has no step 'pcaa'; its steps are \['pca', 'scale'\].*Did you mean 'encoder__pca'",
    ):
        nested["encoder__pcaa"]


def test_widening_the_space_then_setting_works(nested):
    nested.set_hyperparams_space(model__linear__C=floats(1e-3, 1e7, log=True))
    nested.set_hyperparams(model__linear__C=1e6)
    assert nested["model__linear"].C == 1e6
    assert nested.get_hyperparams_space()["model__linear__C"].high == 1e7


def test_space_by_nested_dict_and_removal(nested):
    nested.set_hyperparams_space({"encoder": {"pca": {"n_components": ints(1, 5)}}})
    nested.set_hyperparams_space(encoder__scale__with_mean=None)
    space = nested.get_hyperparams_space()
    assert space["encoder__pca__n_components"] == ints(1, 5)
    assert "encoder__scale__with_mean" not in space
    assert nested.get_hyperparams_space(nested=True)["encoder"]["pca"]["n_components"] == ints(
        1, 5
    )


def test_space_override_of_unknown_path_raises(nested):
    with pytest.raises(
        UnknownPathError, match="No hyperparameter to give a space at path 'model__linear__CC'"
    ):
        nested.set_hyperparams_space(model__linear__CC=floats(0.1, 1.0))


def test_default_spaces_cover_sklearn_estimators(nested):
    space = nested.get_hyperparams_space()
    assert space["model__linear__C"] == floats(1e-4, 1e4, log=True)
    assert space["model__forest__n_estimators"] == ints(10, 500, log=True)


def test_step_names_must_be_unique_and_free_of_double_underscore():
    with pytest.raises(StructureError, match="'a__b' in Pipeline contains '__'.*'a_b'"):
        Pipeline([("a__b", StandardScaler())])
    with pytest.raises(
        StructureError, match="'scale_' in Pipeline starts or ends with '_'.*'scale'"
    ):
        Pipeline([("scale_", StandardScaler())])
    with pytest.raises(StructureError, match="unique within a level, but 'x' appears twice"):
        Pipeline([("x", StandardScaler()), ("x", LogisticRegression())])


def test_malformed_steps_are_reported_at_first_use(data):
    pipe = Pipeline("not steps")
    with pytest.raises(StructureError, match="'steps' must be a list of \\(name, step\\) pairs"):
        pipe.fit(*data)


def test_fit_params_are_routed_to_their_step(data):
    X, y = data
    weights = np.ones(len(y))
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    pipe.fit(X, y, model__sample_weight=weights)
    assert pipe["model"].coef_.shape == (1, 5)
    with pytest.raises(
        TypeError, match="fit parameter 'modl__sample_weight'.*Did you mean 'model'"
    ):
        pipe.fit(X, y, modl__sample_weight=weights)


def test_nested_fitted_attributes_by_path_and_in_one_call(nested, data):
    nested.fit(*data)
    assert nested["encoder__pca"].components_.shape == (3, 5)
    attributes = nested.fitted_attributes()
    assert attributes["encoder__pca"]["components_"] is nested["encoder__pca"].components_
    assert "coef_" in attributes["model__linear"]
    assert "model__forest" not in attributes  # not chosen, not fitted


def test_walk_yields_every_path_parent_first(nested):
    assert [path for path, _ in nested.walk()] == [
        "encoder",
        "encoder__scale",
        "encoder__pca",
        "model",
        "model__linear",
        "model__forest",
    ]
    assert "encoder__pca" in nested and "encoder__nope" not in nested
    assert nested[0] is nested["encoder"] and len(nested) == 2


def test_describe_is_complete_json_ready_plain_data(nested, data):
    nested.fit(*data)
    tree = json.loads(json.dumps(nested.describe()))
    encoder, model = tree["children"]
    pca = encoder["children"][1]
    assert pca["path"] == "encoder__pca" and pca["class"] == "PCA" and pca["fitted"]
    assert pca["hyperparams"]["n_components"] == 3
    assert pca["fitted_attributes"]["components_"] == {
        "type": "ndarray",
        "shape": [3, 5],
        "dtype": "float64",
    }
    assert pca["space"]["whiten"] == {"type": "categorical", "choices": [True, False]}
    assert model["space"]["choice"]["choices"] == ["linear", "forest"]
    forest = model["children"][1]
    assert forest["active"] is False and forest["fitted"] is False
    assert tree["kind"] == "classifier" and tree["training"] is False


def test_describe_writes_nan_and_infinite_values_as_json_null():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge

    pipe = Pipeline(
        [("impute", SimpleImputer(fill_value=float("nan"))), ("model", Ridge(alpha=np.inf))]
    )
    tree = json.loads(json.dumps(pipe.describe(), allow_nan=False))  # strict JSON
    impute, model = tree["children"]
    assert impute["hyperparams"]["fill_value"] is None
    assert model["hyperparams"]["alpha"] is None


def test_predict_matches_hand_written_calls(data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    scaler = StandardScaler().fit(X)
    model = LogisticRegression().fit(scaler.transform(X), y)
    np.testing.assert_array_equal(pipe.predict(X), model.predict(scaler.transform(X)))


def test_passthrough_steps_are_skipped(data):
    X, y = data
    pipe = Pipeline([("scale", "passthrough"), ("model", LogisticRegression())]).fit(X, y)
    assert pipe.predict(X).shape == (80,)
    assert Pipeline([("reduce", PCA(2)), ("last", "passthrough")]).fit_transform(X).shape == (
        80,
        2,
    )


def test_notebook_display_draws_every_nested_step(nested, data):
    from sklearn.utils import estimator_html_repr

    nested.fit(*data).freeze("encoder")
    html = estimator_html_repr(nested)
    for label in ("encoder: Pipeline (frozen)", "model: Choose",
                  "linear: LogisticRegression (chosen)", "forest: RandomForestClassifier",
                  ">StandardScaler<", ">PCA<"):  # fmt: skip
        assert label in html
    bundle = nested._repr_mimebundle_()
    assert "text/plain" in bundle and "text/html" in bundle
