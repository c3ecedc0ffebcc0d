"""View 1: a notebook's rich display of steps and of plain-data results."""

from __future__ import annotations

import re

import numpy as np
from sklearn.linear_model import LogisticRegression

import workbench._internal.display as core_display
from workbench import Pipeline, floats
from workbench.views import description_html, fitted_attributes_html, space_html, step_html
from workbench.views._display import _get_display_info


def test_display_info_marks_changed_hyperparams_spaces_and_the_chosen_branch(nested, data):
    nested.fit(*data).freeze("encoder")
    info = _get_display_info(nested.describe())
    encoder, model = info.children
    assert encoder.frozen and encoder.fitted and not model.frozen
    assert model.chosen == "linear"
    linear, forest = model.children
    assert linear.active and not forest.active
    by_name = {param.name: param for param in linear.hyperparams}
    assert by_name["C"].changed and by_name["C"].value == "0.5"
    assert not by_name["penalty"].changed
    assert by_name["C"].space == "search: [0.0001, 10000] log"  # a built-in space suggests
    pca = {attr.name: attr for attr in encoder.children[1].fitted_attributes}
    assert pca["components_"].shape == "(3, 5)" and pca["components_"].dtype == "float64"


def test_step_html_draws_the_tree_with_a_switch_for_choose(nested, data):
    nested.fit(*data)
    html = step_html(nested)
    switch = re.search(
        r'<span class="wb-on"[^>]*>linear</span><span class="wb-off"[^>]*>forest<', html
    )
    assert switch and "background:#1976d2" in switch.group(0)
    assert "not chosen" in html and "fitted" in html and "C=0.5" in html
    # light and dark themes: the text keeps the theme's colour, hover follows its variables
    assert not re.search(r'class="wb-view"[^>]*style="[^"]*color', html)
    assert "var(--jp-layout-color2" in html


def test_notebook_bundle_has_text_and_html_and_escapes_user_strings():
    class Sneaky(LogisticRegression):
        pass

    pipe = Pipeline([("<script>alert(1)</script>", LogisticRegression(C=0.25))])
    bundle = pipe._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Pipeline(")
    assert "<script>alert(1)" not in bundle["text/html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bundle["text/html"]


def test_display_falls_back_to_text_when_the_renderer_fails(monkeypatch):
    monkeypatch.setitem(core_display._RENDERERS, "step", "workbench.views:no_such_renderer")
    bundle = Pipeline([("model", LogisticRegression())])._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "LogisticRegression" in bundle["text/plain"]


def test_display_never_raises_when_the_repr_fails(monkeypatch):
    pipe = Pipeline([("model", LogisticRegression())])
    monkeypatch.setattr(Pipeline, "__repr__", lambda self: 1 / 0)
    assert pipe._repr_mimebundle_()["text/plain"] == "<Pipeline object (its repr failed)>"


def test_register_html_renderer_rejects_a_name_without_function():
    import pytest

    with pytest.raises(ValueError, match="'package.module:function', but got 'workbench.views'"):
        core_display.register_html_renderer("step", "workbench.views")


def test_plain_data_results_are_dicts_that_display_as_tables(nested, data):
    nested.fit(*data)
    space = nested.get_hyperparams_space()
    assert space == dict(space) and type(space).__name__ == "SpaceDict"
    html = space._repr_mimebundle_()["text/html"]
    assert "model__linear" in html and "∈ [0.0001, 10000] log" in html
    attributes = nested.fitted_attributes()
    html = attributes._repr_mimebundle_()["text/html"]
    assert "components_" in html and "(3, 5)" in html and "float64" in html
    description = nested.describe()
    assert description["children"][0]["name"] == "encoder"
    assert "wb-switch" in description._repr_mimebundle_()["text/html"]
    assert "model__choice" in space._repr_mimebundle_()["text/plain"]


def test_plain_data_results_pickle_as_plain_dicts(nested):
    import pickle

    space = pickle.loads(pickle.dumps(nested.get_hyperparams_space()))
    assert type(space) is dict and "model__choice" in space


def test_space_and_attribute_tables_for_empty_and_hand_made_data():
    assert "nothing to tune" in space_html({})
    assert "fit the pipeline first" in fitted_attributes_html({})
    html = space_html({"model__C": floats(0.01, 100.0, log=True)})
    assert "model" in html and "∈ [0.01, 100] log" in html
    html = fitted_attributes_html({"model": {"coef_": np.ones((1, 4)), "n_iter_": 7}})
    assert "(1, 4)" in html and ">7<" in html
    assert "StandardScaler" not in description_html({"name": "", "class": "Pipeline"})
