"""fit_epochs(checkpoint=...) and fit_epochs(resume_from=...): a run resumed from a checkpoint
goes on exactly as the uninterrupted run went."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import StopTraining, TrainingError
from workbench.persistence import dumps, loads
from workbench.training import EpochCheckpoint, fit_epochs

OPTIONS = {
    "epochs": 6,
    "batch_size": 16,
    "validation_fraction": 0.25,
    "train_metrics": True,
    "record": False,
    "progress": False,
}


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def pipe():
    return Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])


def statistics(history):
    return history[[column for column in history.columns if column != "epoch_time"]]


def run_with_checkpoints(random_state, **options):
    """The History of a whole run, and each epoch's checkpoint with the pipeline's bytes then."""
    saved = {}
    pipeline = pipe()

    def checkpoint(state):
        saved[state.epoch] = (state, dumps(pipeline))

    history = fit_epochs(
        pipeline,
        *data(),
        random_state=random_state,
        checkpoint=checkpoint,
        **{**OPTIONS, **options},
    )
    return history, saved


@pytest.mark.parametrize("random_state", [0, None])
def test_a_run_resumed_from_its_checkpoint_equals_the_uninterrupted_run(random_state):
    history, saved = run_with_checkpoints(random_state)
    assert sorted(saved) == [1, 2, 3, 4, 5, 6]
    state, pipeline_bytes = saved[3]
    assert (state.epoch, state.done, state.epochs) == (3, 3, 6)
    assert state.history["epoch"].tolist() == [1, 2, 3]
    resumed = fit_epochs(loads(pipeline_bytes), *data(), resume_from=state, **OPTIONS)
    assert resumed["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert statistics(resumed).equals(statistics(history))  # same split, same batches


def test_a_checkpoint_of_the_last_epoch_resumes_to_nothing_left():
    history, saved = run_with_checkpoints(0)
    state, pipeline_bytes = saved[6]
    assert state.finished
    resumed = fit_epochs(loads(pipeline_bytes), *data(), resume_from=state, **OPTIONS)
    assert statistics(resumed).equals(statistics(history))


def test_a_checkpoint_after_an_early_stop_resumes_to_nothing_left():
    class StopAtTwo:
        def on_epoch_end(self, **event):
            if event["epoch"] == 2:
                raise StopTraining("enough")

    _, saved = run_with_checkpoints(0, callbacks=[StopAtTwo()])
    assert sorted(saved) == [1, 2] and saved[2][0].finished
    state, pipeline_bytes = saved[2]
    resumed = fit_epochs(loads(pipeline_bytes), *data(), resume_from=state, **OPTIONS)
    assert resumed["epoch"].tolist() == [1, 2]
    assert resumed.attrs["stop_reason"] == "enough"


def test_resume_from_with_a_history_is_an_error():
    history, saved = run_with_checkpoints(0)
    with pytest.raises(TrainingError, match="history .* or resume_from .*not both"):
        fit_epochs(pipe(), *data(), resume_from=saved[2][0], history=history, **OPTIONS)


def test_resume_from_must_be_a_checkpoint():
    with pytest.raises(TrainingError, match="resume_from must be .*EpochCheckpoint"):
        fit_epochs(pipe(), *data(), resume_from={"epoch": 2}, **OPTIONS)


def test_checkpoint_must_be_callable():
    with pytest.raises(TrainingError, match="checkpoint must be .*callable"):
        fit_epochs(pipe(), *data(), checkpoint="every epoch", **OPTIONS)


@pytest.mark.parametrize(
    ("field", "state", "message"),
    [
        ("random_state", {"bit_generator": "os.system"}, "random_state must be a numpy bit"),
        ("shuffle_state", {"bit_generator": "PCG64", "state": "x"}, "shuffle_state is not a"),
    ],
)
def test_a_checkpoint_with_a_broken_random_state_is_refused(field, state, message):
    _, saved = run_with_checkpoints(0)
    broken = saved[2][0]._replace(**{field: state})
    with pytest.raises(TrainingError, match=message):
        fit_epochs(pipe(), *data(), resume_from=broken, **OPTIONS)


def test_epoch_checkpoint_is_plain_data():
    _, saved = run_with_checkpoints(0)
    state = saved[1][0]
    assert isinstance(state, EpochCheckpoint)
    assert state.random_state["bit_generator"] == "PCG64"
    assert state.shuffle_state != state.random_state  # the split and one epoch's shuffle drew
