"""View 5: the inspector shows every step and edits hyperparams in place."""

from __future__ import annotations

import html
import re

import pytest

from workbench import ints
from workbench.views import Inspector
from workbench.views._inspector import _get_step_info, _get_tree_info, _render_step, parse_value


def test_tree_lists_every_step_with_marks(nested, data):
    nested.fit(*data).freeze("encoder")
    entries = _get_tree_info(nested.describe())
    labels = {entry.path: (entry.label, entry.depth) for entry in entries}
    assert labels[""] == ("(root) · Pipeline", 0)
    assert labels["encoder"] == ("encoder · Pipeline  [frozen]", 1)
    assert labels["model__forest"] == ("forest · RandomForestClassifier  [not chosen]", 2)
    assert labels["encoder__pca"][1] == 2


def test_step_info_has_hyperparams_spaces_and_plottable_attributes(nested, data):
    nested.fit(*data)
    info = _get_step_info(nested, "encoder__pca")
    params = {name: (value, changed, space) for name, value, changed, space in info.hyperparams}
    assert params["n_components"] == ("3", True, "search: [0.5, 0.999]")
    attributes = {item.name: item for item in info.attributes}
    components = attributes["components_"]
    assert (components.shape, components.dtype) == ("(3, 5)", "float64")
    assert len(components.values) == 3 and len(components.values[0]) == 5
    assert attributes["explained_variance_"].values is not None
    assert attributes["n_components_"].values is None
    page = _render_step(info)
    assert page.count("<svg") >= 2  # components_ as a heat map, variances as bars


def test_selecting_a_step_shows_it(nested, data):
    nested.fit(*data)
    inspector = Inspector(nested)
    assert inspector.selected == ""
    inspector.select("model__linear")
    assert "LogisticRegression" in inspector.detail.value and "coef_" in inspector.detail.value
    assert "C" in inspector.param.options and inspector.value.value in ("0.5",)
    with pytest.raises(KeyError, match=r"No step at path 'model__svm'"):
        inspector.select("model__svm")


def test_setting_a_hyperparam_in_place_is_validated(nested):
    from workbench import floats

    nested.set_hyperparams_space({"model__linear__C": floats(0.01, 100.0, log=True)})
    inspector = Inspector(nested, path="model__linear")
    inspector.set_value("C", "2.0")
    assert nested["model__linear"].C == 2.0
    assert "set model__linear__C = 2" in inspector.error.value
    inspector.set_value("C", "1e9")
    assert nested["model__linear"].C == 2.0
    assert "outside the space of 'model__linear__C'" in html.unescape(inspector.error.value)


def test_the_apply_button_sets_the_selected_hyperparam(nested):
    inspector = Inspector(nested, path="model__linear")
    inspector.param.value = "max_iter"
    inspector.value.value = "250"
    inspector.apply.click()
    assert nested["model__linear"].max_iter == 250


def test_the_inspector_follows_mutations_and_fits(nested, data):
    from sklearn.linear_model import SGDClassifier

    inspector = Inspector(nested, path="model__forest")
    nested.replace("model__forest", SGDClassifier())
    assert "SGDClassifier" in inspector.tree.options[-1][0]
    assert "SGDClassifier" in inspector.detail.value
    nested.fit(*data)
    inspector.select("encoder__scale")
    assert "mean_" in inspector.detail.value
    inspector.close()
    assert inspector._listener not in nested.callbacks


def test_parse_value_and_refusal_of_plain_estimators():
    from sklearn.linear_model import LogisticRegression

    assert parse_value(" (8, 8) ") == (8, 8) and parse_value("l2") == "l2"
    with pytest.raises(TypeError, match="Inspector needs a Workbench step or pipeline"):
        Inspector(LogisticRegression())
    with pytest.raises(KeyError, match=r"No step at path 'nope'"):
        from workbench import Pipeline

        Inspector(Pipeline([("model", LogisticRegression())]), path="nope")


def test_a_failing_apply_shows_its_error_and_the_button_is_ready_again(nested, monkeypatch):
    inspector = Inspector(nested)
    inspector.select("model__linear")

    def fail(*_args, **_kwargs):
        raise RuntimeError("set_params exploded")

    monkeypatch.setattr(nested, "set_hyperparams", fail)
    inspector.param.value, inspector.value.value = "C", "2.0"
    inspector.apply.click()
    assert "RuntimeError: set_params exploded" in html.unescape(inspector.error.value)
    assert not inspector.apply.disabled
    monkeypatch.undo()
    inspector.apply.click()
    assert nested.get_hyperparams()["model__linear__C"] == 2.0


def test_a_built_in_space_reads_as_a_suggestion_never_as_a_violated_bound(nested, data):
    nested.set_hyperparams(encoder__pca__n_components=3)
    info = _get_step_info(nested, "encoder__pca")
    row = {name: space for name, _value, _changed, space in info.hyperparams}
    assert row["n_components"] == "search: [0.5, 0.999]"  # PCA's built-in space suggests
    nested.set_hyperparams_space(encoder__pca__n_components=ints(2, 4))
    info = _get_step_info(nested, "encoder__pca")
    row = {name: space for name, _value, _changed, space in info.hyperparams}
    assert row["n_components"] == "∈ [2, 4] int"  # a declared space binds


def test_the_root_of_a_fitted_pipeline_does_not_say_not_fitted(nested, data):
    inspector = Inspector(nested)
    assert "not fitted yet" in inspector.detail.value
    nested.fit(*data)
    inspector.refresh()
    assert "fitted" in inspector.detail.value and "not fitted yet" not in inspector.detail.value
    assert "no fitted attributes of its own" in inspector.detail.value


def test_the_step_list_keeps_its_width_whatever_the_right_pane_shows(nested):
    inspector = Inspector(nested)
    assert inspector.tree.layout.flex == "0 0 390px" and inspector.tree.layout.width == "390px"


def test_heat_map_draws_each_cell_in_its_colour_and_shade_in_few_bytes() -> None:
    import numpy as np

    from workbench.views._html import heatmap_svg

    values = np.array([[1.0, -0.5, 0.0], [0.26, -1.0, np.nan]])
    svg = heatmap_svg(values)
    assert re.findall(r'fill="(#\w+)" fill-opacity="([\d.]+)" d="([^"]+)"', svg) == [
        ("#1565c0", "0.5", "M6 0h6v6h-6z"),  # -0.5: blue, half
        ("#1565c0", "1", "M6 6h6v6h-6z"),  # -1: blue, full
        ("#d84315", "0.25", "M0 6h6v6h-6z"),  # 0.26: red, a quarter
        ("#d84315", "1", "M0 0h6v6h-6z"),  # 1: red, full; 0 and nan are not drawn
    ]
    big = heatmap_svg(np.random.default_rng(0).normal(size=(10, 24)))  # a 10-class coef_
    assert 200 < big.count("h6v6h-6z") <= 240 and len(big) < 6_000  # was some 20 kB
