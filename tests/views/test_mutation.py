"""View 6: the mutation panel replaces, freezes and trains, and shows the curve and log."""

from __future__ import annotations

import html

import pytest
from sklearn.linear_model import SGDClassifier

from workbench.views import MutationPanel
from workbench.views._mutation import _get_mutation_info, notebook_steps


def test_run_replace_freeze_and_run_again_marks_the_mutations(incremental, data):
    panel = MutationPanel(incremental, *data, batch_size=30)
    assert "No epochs yet" in panel.curve.value
    panel.run(2)
    panel.replace("model", SGDClassifier(loss="hinge", random_state=1))
    panel.freeze("scale")
    panel.run(2)
    history = panel.history
    assert list(history["epoch"]) == [1, 2, 3, 4]
    assert history["mutation"].iloc[2] == "replace model; freeze scale"
    assert list(history["phase"]) == ["run 1", "run 1", "run 2", "run 2"]
    info = _get_mutation_info(incremental, history)
    assert info.marks == [(2.5, "replace model; freeze scale")]
    assert info.frozen == ["scale"] and [row["op"] for row in info.log] == ["replace", "freeze"]
    assert "before epoch 3: replace model; freeze scale" in panel.curve.value
    assert "<svg" in panel.curve.value and "valid_accuracy" in panel.curve.value
    assert "replace" in panel.log_view.value and "SGDClassifier → SGDClassifier" in html.unescape(
        panel.log_view.value
    )
    assert panel.freeze_button.description == "Freeze"  # the target is the last step, 'model'
    panel.target.value = "scale"
    assert panel.freeze_button.description == "Unfreeze"


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
