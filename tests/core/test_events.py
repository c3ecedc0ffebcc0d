from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from workbench import Callback, floats
from workbench.exceptions import CallbackError, InvalidCallbackError, StopTraining
from workbench.testing import EventRecorder


def test_fit_emits_begin_each_step_with_its_full_path_and_end(nested, data):
    recorder = EventRecorder()
    nested.add_callback(recorder)
    nested.fit(*data)
    assert recorder.names() == ["fit_begin"] + ["step_fitted"] * 5 + ["fit_end"]
    paths = [event["path"] for name, event in recorder.events if name == "step_fitted"]
    assert paths == ["encoder__scale", "encoder__pca", "encoder", "model__linear", "model"]
    assert recorder.events[0][1]["n_samples"] == 80


def test_callbacks_for_one_fit_only(nested, data):
    recorder = EventRecorder()
    nested.fit(*data, callbacks=[recorder])
    nested.fit(*data)
    assert recorder.names().count("fit_begin") == 1


def test_hyperparams_space_and_mutation_events_carry_values(nested):
    recorder = EventRecorder()
    nested.add_callback(recorder)
    nested.set_hyperparams(model__linear__C=2.0)
    nested.set_hyperparams_space(model__linear__C=floats(0.1, 10.0))
    nested.replace("model__linear", LogisticRegression(C=5.0))
    (_, changed), (_, space), (_, mutated) = recorder.events
    assert changed["values"] == {"model__linear__C": 2.0}
    assert space["values"] == {"model__linear__C": floats(0.1, 10.0)}
    assert mutated["record"]["op"] == "replace" and mutated["path"] == "model__linear"


def test_raising_callback_is_reported_and_leaves_the_pipeline_consistent(nested, data):
    class Broken(Callback):
        def on_step_fitted(self, **data):
            raise ValueError("bad view")

    other = EventRecorder()
    nested.add_callback(Broken()).add_callback(other)
    with pytest.raises(
        CallbackError,
        match="Broken raised ValueError while handling the 'step_fitted' event: bad view",
    ):
        nested.fit(*data)
    assert other.names()[:2] == ["fit_begin", "step_fitted"]  # the other callback still heard it
    assert not nested.training
    nested.remove_callback(nested.callbacks[0])
    assert nested.fit(*data).predict(data[0]).shape == (80,)


def test_raising_callback_on_hyperparams_changed_keeps_the_applied_change(nested):
    class Broken(Callback):
        def on_hyperparams_changed(self, **data):
            raise RuntimeError("nope")

    nested.add_callback(Broken())
    with pytest.raises(CallbackError, match="'hyperparams_changed'"):
        nested.set_hyperparams(model__linear__C=3.0)
    assert nested["model__linear"].C == 3.0


def test_stop_training_passes_through_unchanged(nested, data):
    class Stop(Callback):
        def on_fit_begin(self, **data):
            raise StopTraining()

    with pytest.raises(StopTraining):
        nested.fit(*data, callbacks=[Stop()])


def test_add_callback_rejects_objects_without_event_methods(nested):
    with pytest.raises(ValueError, match="must have on_<event> methods"):
        nested.add_callback(print)
    with pytest.raises(ValueError, match="is not attached"):
        nested.remove_callback(EventRecorder())


def test_callback_misuse_is_a_callback_error_and_changes_nothing(nested):
    with pytest.raises(InvalidCallbackError, match="must have on_<event> methods") as caught:
        nested.add_callback(object())
    assert isinstance(caught.value, CallbackError)
    with pytest.raises(CallbackError, match="is not attached"):
        nested.remove_callback(EventRecorder())
    assert nested.callbacks == ()
