"""View 6: the mutation panel replaces, freezes and trains, and shows the curve and log."""

from __future__ import annotations

import html

import pytest
from sklearn.linear_model import SGDClassifier

from workbench.views import MutationPanel
from workbench.views._mutation import _get_mutation_info, notebook_steps


def test_run_replace_freeze_and_run_again_marks_the_mutations(incremental, data):
    panel = MutationPanel(incremental, *data, batch_size=30)
    assert panel.curve.to_frame().empty
    panel.run(2)
    panel.replace("model", SGDClassifier(loss="hinge", random_state=1))
    panel.freeze("scale")
    panel.run(2)
    history = panel.history
    assert list(history["epoch"]) == [1, 2, 3, 4]
    assert history["mutation"].iloc[2] == "replace model; freeze scale"
    assert list(history["phase"]) == ["run 1", "run 1", "run 2", "run 2"]
    info = _get_mutation_info(incremental)
    assert info.frozen == ["scale"] and [row["op"] for row in info.log] == ["replace", "freeze"]
    # one curve that continues across runs, the mutation marked where it happened
    points = panel.curve.to_frame()
    assert set(points["run"]) == {"run"}
    valid = points.query("statistic == 'accuracy' and split == 'valid'")
    assert valid["epoch"].tolist() == [1, 2, 3, 4]
    labels = [segment["label"] for segment in panel.curve.data["segments"]]
    assert any("replace model; freeze scale" in label for label in labels)
    assert "SGDClassifier → SGDClassifier" in html.unescape(panel.log_view.value)
    assert panel.freeze_button.description == "Freeze"  # the target is the last step, 'model'
    panel.target.value = "scale"
    assert panel.freeze_button.description == "Unfreeze"


def test_a_panel_continues_a_given_history(incremental, data):
    from workbench.training import fit_epochs

    history = fit_epochs(incremental, *data, epochs=2, batch_size=30, phase="pretrain",
                         validation_fraction=0.2, progress=False, record=False)  # fmt: skip
    panel = MutationPanel(incremental, *data, history=history, batch_size=30)
    assert panel.curve.to_frame()["epoch"].max() == 2
    panel.run(1)
    assert panel.curve.to_frame()["epoch"].max() == 3 and len(panel.history) == 3


def test_buttons_drive_the_same_actions(incremental, data):
    panel = MutationPanel(incremental, *data, batch_size=30, candidates={"mine": SGDClassifier()})
    panel.epochs.value = 1
    panel.run_button.click()
    assert len(panel.history) == 1
    panel.target.value = "model"
    panel.replacement.value = "mine"
    panel.replace_button.click()
    assert incremental["model"] is panel.candidates()["mine"]
    panel.target.value = "scale"
    panel.freeze_button.click()
    assert incremental.is_frozen("scale")
    panel.freeze_button.click()
    assert not incremental.is_frozen("scale")
    panel.replacement.value = "StandardScaler()"
    panel.replace_button.click()
    assert type(incremental["scale"]).__name__ == "StandardScaler"


def test_errors_show_in_the_panel_and_change_nothing(incremental, data):
    panel = MutationPanel(incremental, *data, batch_size=30)
    panel.freeze("model")
    assert "Cannot freeze 'model'" in html.unescape(panel.message.value)
    assert incremental.mutation_log == []
    panel.replace("nope", SGDClassifier())
    assert "Pipeline has no step 'nope'; its steps are ['scale', 'model']" in html.unescape(
        panel.message.value
    )
    bad = MutationPanel(incremental, data[0], data[1][:5], batch_size=30)
    bad.run(1)
    assert "wb-error" in bad.message.value and bad.history is None


def test_notebook_steps_lists_variables_that_hold_steps(incremental):
    found = notebook_steps({"pipe": incremental, "head": SGDClassifier(), "n": 3, "_x": SGDClassifier()},
                           exclude=incremental)  # fmt: skip
    assert list(found) == ["head"]


def test_the_panel_needs_a_composite():
    with pytest.raises(TypeError, match="MutationPanel needs a Workbench Pipeline"):
        MutationPanel(SGDClassifier(), [[1.0]], [0])


def test_the_reload_button_offers_new_notebook_variables(incremental, data):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()  # the notebook's namespace, as get_ipython() gives it
    shell.user_ns.pop("new_head", None)
    panel = MutationPanel(incremental, *data)
    assert "new_head" not in panel.replacement.options
    shell.user_ns["new_head"] = SGDClassifier()
    try:
        panel.reload_button.click()
        assert "new_head" in panel.replacement.options
    finally:
        shell.user_ns.pop("new_head")


class _Broken(SGDClassifier):
    """A head whose training fails with a plain (non-Workbench) error, as a buggy step does."""

    def partial_fit(self, X, y=None, classes=None, **params):
        raise AttributeError("'_Broken' object has no attribute 'coef_'")


def test_no_button_lets_an_error_escape_and_each_is_ready_again(incremental, data):
    panel = MutationPanel(incremental, *data, batch_size=30, candidates={"broken": _Broken()})
    # Run: a step that raises a plain AttributeError; the panel says so and can run again
    panel.replace("model", _Broken())
    panel.run_button.click()
    message = html.unescape(panel.message.value)
    assert "wb-error" in message and "AttributeError: '_Broken' object has no attribute" in message
    assert not panel.run_button.disabled and panel.history is None
    # Replace: a factory that fails; the case, a classifier mid-pipeline, is refused
    panel.replace("model", SGDClassifier(random_state=0))
    panel._extra_candidates["boom"] = lambda: 1 / 0
    panel.refresh()
    panel.replacement.value, panel.target.value = "boom", "model"
    panel.replace_button.click()
    assert "ZeroDivisionError: division by zero" in html.unescape(panel.message.value)
    before = incremental.describe()
    panel.replacement.value, panel.target.value = "SGDClassifier(loss='log_loss')", "scale"
    panel.replace_button.click()
    assert "'model' comes after it and learns from its output" in html.unescape(
        panel.message.value
    )
    assert incremental.describe() == before
    # Freeze: an unfitted step
    panel.target.value = "scale"
    panel.freeze_button.click()
    assert "Cannot freeze 'scale'" in html.unescape(panel.message.value)
    # every button still works afterwards
    panel.epochs.value = 1
    panel.run_button.click()
    assert len(panel.history) == 1 and "wb-error" not in panel.message.value


def test_before_its_first_run_the_panel_says_what_to_do_instead_of_an_empty_chart(
    incremental, data
):
    panel = MutationPanel(incremental, *data, batch_size=30)
    assert "press <b>Run</b> to train" in panel.hint.value
    assert panel.curve.layout.display == "none" and panel.hint.layout.display is None
    panel.run(1)
    assert panel.hint.layout.display == "none" and panel.curve.layout.display is None
    # a panel that continues a History shows its curve from the start
    again = MutationPanel(incremental, *data, batch_size=30, history=panel.history)
    assert again.curve.layout.display is None and again.hint.layout.display == "none"
