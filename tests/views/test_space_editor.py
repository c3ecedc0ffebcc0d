"""View 2: the space editor edits the pipeline's space, and follows it."""

from __future__ import annotations

import html
import re

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from workbench import Pipeline, ints
from workbench.testing import EventRecorder
from workbench.views import SpaceEditor
from workbench.views._space_editor import EditError, _get_space_editor_info, parse_edit


def typed(editor, path, **changes):
    """What the page sends when a user changes a row's controls: all of them, as they stand."""
    values = {**editor.rows[path].entered, **changes}
    editor._on_front_end_message(None, {"type": "edit", "path": path, **values}, [])


def group(editor, path):
    return next(group for group in editor.groups if group["path"] == path)


def test_editor_info_groups_by_step_with_frozen_and_unchosen_marks(nested, data):
    nested.fit(*data).freeze("encoder")
    groups = {group.path: group for group in _get_space_editor_info(nested.describe())}
    assert groups["encoder__pca"].frozen and groups["encoder__pca"].depth == 2
    assert groups["model__linear"].active and not groups["model__forest"].active
    assert [row.path for row in groups["model"].rows] == ["model__choice"]


def test_a_valid_edit_writes_into_the_space_and_emits_space_changed(nested):
    recorder = EventRecorder()
    nested.add_callback(recorder)
    editor = SpaceEditor(nested)
    typed(editor, "model__linear__C", low="0.5")  # what typing into the row sends
    assert nested.get_hyperparams_space()["model__linear__C"] == FloatDistribution(
        0.5, 10000.0, log=True
    )
    assert any(event == "space_changed" for event, _ in recorder.events)
    editor.edit("encoder__pca__n_components", low="0.6", log=False)
    assert nested.get_hyperparams_space()["encoder__pca__n_components"].low == 0.6
    editor.edit("model__choice", choices=["forest"])
    assert nested.get_hyperparams_space()["model__choice"] == CategoricalDistribution(["forest"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"low": "100", "high": "1"}, r"low <= high must hold, but got low=100, high=1\."),
        ({"low": "0", "log": True}, r"A log scale needs low > 0, but got low=0\."),
        ({"low": "abc"}, r"low must be a number, but got 'abc'\."),
        ({"step": "-1", "log": False}, r"step must be > 0, but got step=-1\."),
    ],
)
def test_an_invalid_edit_shows_its_error_and_changes_nothing(nested, edit, message):
    editor = SpaceEditor(nested)
    before = nested.get_hyperparams_space()
    editor.edit("model__linear__C", **edit)
    assert nested.get_hyperparams_space() == before
    error = editor.messages["model__linear__C"]
    assert re.search(message, html.unescape(error))


def test_unticking_every_choice_is_refused(nested):
    editor = SpaceEditor(nested)
    editor.edit("model__choice", choices=[])
    assert "Keep at least one choice" in editor.messages["model__choice"]
    assert nested.get_hyperparams_space()["model__choice"].choices == ("linear", "forest")
    typed(editor, "model__choice", ticked=[False, True])  # ticks in the page, in choice order
    assert nested.get_hyperparams_space()["model__choice"].choices == ("forest",)
    typed(editor, "model__choice", ticked=[True])
    assert "model__choice has 2 choices, but got 1 ticks." in editor.messages["model__choice"]
    assert nested.get_hyperparams_space()["model__choice"].choices == ("forest",)


def test_parse_edit_reads_integers_and_steps():
    assert parse_edit("int", low="2", high="10", step="2") == IntDistribution(2, 10, step=2)
    with pytest.raises(EditError, match=r"low must be an integer, but got '2.5'\."):
        parse_edit("int", low="2.5", high="10")
    with pytest.raises(EditError, match=r"A log scale cannot have a step, but got step=2\."):
        parse_edit("int", low="2", high="10", step="2", log=True)
    with pytest.raises(EditError, match=r"high must be finite, but got 'inf'\."):
        parse_edit("float", low="1", high="inf")


def test_editing_the_space_from_python_refreshes_the_editor(nested, data):
    editor = SpaceEditor(nested)
    nested.set_hyperparams_space({"encoder__pca__n_components": ints(2, 5)})
    (shown,) = group(editor, "encoder__pca")["rows"][:1]
    assert (shown["kind"], shown["low"], shown["high"]) == ("int", "2", "5")
    nested.set_hyperparams(model__choice="forest")
    assert not group(editor, "model__linear")["active"]  # drawn greyed
    assert group(editor, "model__forest")["active"]
    assert "not chosen" in group(editor, "model__linear")["head"]
    nested.fit(*data).freeze("encoder")
    assert group(editor, "encoder__pca")["frozen"]  # its controls are disabled
    assert "frozen: fixed" in group(editor, "encoder__pca")["head"]
    assert not group(editor, "model__linear")["frozen"]


def test_close_detaches_the_editor(nested):
    editor = SpaceEditor(nested)
    assert editor._listener in nested.callbacks
    editor.close()
    assert editor._listener not in nested.callbacks


def test_editor_refuses_a_plain_estimator():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(
        TypeError,
        match=r"SpaceEditor needs a Workbench step or pipeline, but got LogisticRegression",
    ):
        SpaceEditor(LogisticRegression())


def test_an_empty_space_says_so():
    from sklearn.preprocessing import FunctionTransformer

    editor = SpaceEditor(Pipeline([("f", FunctionTransformer())]))
    assert editor.groups == [] and "no hyperparameter space" in editor.status


def test_the_next_tuning_run_uses_the_edited_space(data):
    from sklearn.neighbors import KNeighborsClassifier

    from workbench.tuning import tune

    pipe = Pipeline([("knn", KNeighborsClassifier())])
    editor = SpaceEditor(pipe)
    editor.edit("knn__n_neighbors", low="3", high="5")
    editor.edit("knn__weights", choices=["distance"])
    tuner = tune(pipe, *data, n_trials=6, scoring="accuracy", cv=2, storage=":memory:")
    sampled = [trial.params for trial in tuner.study.trials]
    assert all(3 <= params["knn__n_neighbors"] <= 5 for params in sampled)
    assert {params["knn__weights"] for params in sampled} == {"distance"}


def test_the_editor_is_one_widget_model_whatever_the_space_becomes(nested):
    """A notebook saved with its widget state keeps every model ever opened: the editor's
    rows are its data, not one widget per control."""
    from ipywidgets.widgets.widget import _instances

    editor = SpaceEditor(nested)
    before = len(_instances)
    nested.set_hyperparams_space({"encoder__pca__n_components": ints(2, 5)})  # float -> int
    editor.edit("model__linear__C", low="0.5")
    assert len(_instances) == before
    assert editor.rows["encoder__pca__n_components"].kind == "int"
    rows = sum(len(group["rows"]) for group in editor.groups)
    assert rows == len(nested.get_hyperparams_space()) and rows >= 8


def test_a_message_about_a_row_the_kernel_replaced_is_ignored(nested):
    editor = SpaceEditor(nested)
    before = nested.get_hyperparams_space()
    editor._on_front_end_message(None, {"type": "edit", "path": "gone__C", "low": "1"}, [])
    editor._on_front_end_message(None, {"type": "other"}, [])
    assert nested.get_hyperparams_space() == before


def test_a_refused_entry_shows_the_bound_in_force_beside_its_error(nested):
    editor = SpaceEditor(nested)
    editor.edit("model__linear__C", low="abc")
    shown = html.unescape(editor.messages["model__linear__C"])
    assert "low must be a number, but got 'abc'." in shown
    assert "the space stays ∈ [0.0001, 10000] log" in shown


def test_an_edit_that_fails_unexpectedly_is_shown_in_its_row(nested, monkeypatch):
    editor = SpaceEditor(nested)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the storage went away")

    monkeypatch.setattr(nested, "set_hyperparams_space", fail)
    typed(editor, "model__linear__C", low="0.5")  # the page's edit, as a user's typing sends
    shown = html.unescape(editor.messages["model__linear__C"])
    assert "RuntimeError: the storage went away" in shown
    monkeypatch.undo()
    typed(editor, "model__linear__C", low="0.25")
    assert nested.get_hyperparams_space()["model__linear__C"].low == 0.25
