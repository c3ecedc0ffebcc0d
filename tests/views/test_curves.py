"""Learning curves: plain data, the messages a live run sends, stored runs and studies."""

from __future__ import annotations

import json

import optuna
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import StorageError, ViewError
from workbench.training import History, fit_epochs
from workbench.tuning import Tuner
from workbench.views import Curves, curves
from workbench.views._curves_data import _get_curves_info


def _pipe():
    return Pipeline(
        [("scale", StandardScaler()), ("model", SGDClassifier(loss="log_loss", random_state=0))]
    )


def _sent(view: Curves) -> list[dict]:
    """Record every custom message the view sends to the front end."""
    messages: list[dict] = []
    original = view.send

    def send(content, buffers=None):
        messages.append(json.loads(json.dumps(content)))
        original(content, buffers)

    view.send = send  # type: ignore[method-assign]
    return messages


def _pretrain_history():
    return History.from_rows(
        [
            {"epoch": 1, "phase": "pretrain", "train_loss": 0.9, "valid_loss": 1.0},
            {"epoch": 2, "phase": "pretrain", "train_loss": 0.5, "valid_loss": 0.7},
            {
                "epoch": 3,
                "phase": "finetune",
                "mutation": "replace head; freeze encoder",
                "train_loss": 0.4,
                "valid_loss": float("nan"),
            },
        ]
    )


def test_curves_info_splits_train_and_valid_per_statistic():
    info = _get_curves_info(_pretrain_history())
    lines = {(s.statistic, s.split): s.values for s in info.series}
    assert lines == {("loss", "train"): [0.9, 0.5, 0.4], ("loss", "valid"): [1.0, 0.7, None]}
    assert [run.name for run in info.runs] == ["run"]


def test_curves_info_marks_mutations_as_segments_labelled_with_phase_and_change():
    info = _get_curves_info(_pretrain_history())
    assert [(s.epoch, s.label) for s in info.segments] == [
        (1, "pretrain"),
        (3, "finetune: replace head; freeze encoder"),
    ]


def test_curves_info_draws_no_segment_for_a_single_phase():
    history = History.from_rows([{"epoch": e, "train_loss": 1 / e} for e in (1, 2, 3)])
    assert _get_curves_info(history).segments == []


def test_curves_of_a_mapping_overlays_runs_under_their_names():
    first = History.from_rows([{"epoch": 1, "valid_accuracy": 0.5}])
    second = History.from_rows([{"epoch": 1, "valid_accuracy": 0.7}])
    view = curves({"lr=0.1": first, "lr=0.01": second})
    assert list(view.runs) == ["lr=0.1", "lr=0.01"]
    assert view.to_frame()["value"].tolist() == [0.5, 0.7]


def test_curves_rejects_a_source_it_cannot_draw():
    with pytest.raises(ViewError, match=r"draws a History, the name of a run .* but got int: 3"):
        curves(3)


def test_curves_rejects_a_nested_list():
    with pytest.raises(ViewError, match=r"one of the items is list"):
        curves([["a"]])


def test_curves_rejects_a_negative_throttle():
    with pytest.raises(ViewError, match=r"throttle .* >= 0, but got -1"):
        curves(throttle=-1)


def test_curves_of_an_unknown_name_suggests_close_ones(tmp_path, blobs):
    X, y = blobs
    storage = str(tmp_path / "journal.log")
    fit_epochs(_pipe(), X, y, epochs=2, batch_size=50, storage=storage, run_name="warmup")
    with pytest.raises(StorageError, match=r"No study or run named 'warmpu'.*'warmup'"):
        curves("warmpu", storage=storage)


def test_live_curve_gains_points_and_sends_only_the_new_ones(blobs):
    X, y = blobs
    view = curves(throttle=0)
    messages = _sent(view)
    fit_epochs(
        _pipe(), X, y, epochs=6, batch_size=50, validation_fraction=0.2, callbacks=[view],
        random_state=0, record=False,
    )  # fmt: skip
    appends = [m for m in messages if m["type"] == "append"]
    # one update per epoch, then the run's end
    assert [m["seq"] for m in appends] == list(range(1, 8))
    assert appends[-1]["runs"] == [{"name": "run", "state": "complete"}]
    # the state a saved notebook keeps has every point
    valid = next(s for s in view.data["series"] if s["split"] == "valid")
    assert valid["x"] == [1, 2, 3, 4, 5, 6]
    # each update carries only the new epoch: one step after the last epoch sent, and its value
    assert appends[5]["pts"] == [[valid["id"], 1, [valid["y"][5]]]]
    assert view.data["seq"] == 7
    assert view.runs == {"run": "complete"}


def test_live_updates_are_numbered_modulo_a_hundred_and_the_state_keeps_the_count():
    view = curves(throttle=0)
    messages = _sent(view)
    view.on_fit_begin(kind="epochs", path="")
    for epoch in range(1, 251):
        view.on_epoch_end(epoch=epoch, row={"train_loss": 0.5})
    appends = [m for m in messages if m["type"] == "append"]
    assert [m["seq"] for m in appends[97:102]] == [98, 99, 0, 1, 2]
    view.finish()
    assert view.data["seq"] == 250  # a front end that reloads the state counts on from here
    assert len(view.data["series"][0]["x"]) == 250


def test_live_curve_throttles_updates_by_wall_time(blobs):
    X, y = blobs
    view = curves(throttle=3600)
    messages = _sent(view)
    fit_epochs(
        _pipe(), X, y, epochs=5, batch_size=50, validation_fraction=0.2, callbacks=[view],
        record=False,
    )  # fmt: skip
    appends = [m for m in messages if m["type"] == "append"]
    # the first epoch goes out at once, the next four together when the run ends
    assert [sum(len(ys) for _, _, ys in m.get("pts", [])) for m in appends] == [1, 4]


def test_live_curve_continues_a_history_and_marks_the_mutation(blobs):
    X, y = blobs
    pipe = _pipe()
    history = fit_epochs(
        pipe, X, y, epochs=2, batch_size=50, validation_fraction=0.2, phase="pretrain",
        record=False,
    )  # fmt: skip
    view = curves(history, throttle=0)
    pipe.replace("model", SGDClassifier(loss="hinge", random_state=0))
    fit_epochs(
        pipe, X, y, epochs=2, batch_size=50, validation_fraction=0.2, history=history,
        phase="finetune", callbacks=[view], record=False,
    )  # fmt: skip
    assert list(view.runs) == ["run"]
    assert view.to_frame()["epoch"].tolist() == [1, 2, 3, 4]
    assert [(s["x"], s["label"]) for s in view.data["segments"]] == [
        (1, "pretrain"),
        (3, "finetune: replace model"),
    ]


def test_a_second_run_from_epoch_one_is_overlaid(blobs):
    X, y = blobs
    view = curves(throttle=0)
    for _ in range(2):
        fit_epochs(
            _pipe(), X, y, epochs=2, batch_size=50, validation_fraction=0.2, callbacks=[view],
            record=False,
        )  # fmt: skip
    assert list(view.runs) == ["run", "run 2"]


def test_a_sync_request_stores_the_whole_chart_in_the_state():
    view = curves(throttle=3600)
    view.on_fit_begin(kind="epochs", path="")
    view.on_epoch_end(epoch=1, row={"train_loss": 0.5})
    view.on_epoch_end(epoch=2, row={"train_loss": 0.25})
    assert view.data["series"] == []
    view._on_front_end_message(view, {"type": "sync"}, [])
    assert view.data["series"][0]["y"] == [0.5, 0.25]


def test_stored_run_draws_like_its_history(tmp_path, blobs):
    X, y = blobs
    storage = str(tmp_path / "journal.log")
    history = fit_epochs(
        _pipe(), X, y, epochs=3, batch_size=50, validation_fraction=0.2, storage=storage,
        run_name="baseline", random_state=0,
    )  # fmt: skip
    live, stored = _get_curves_info(history), _get_curves_info("baseline", storage=storage)
    assert [(s.statistic, s.split, s.epochs, s.values) for s in stored.series] == [
        (s.statistic, s.split, s.epochs, s.values) for s in live.series
    ]
    assert stored.runs[0].name == "baseline"
    assert stored.title == "baseline"


def _epoch_tuner(storage, name="study"):
    return Tuner(
        _pipe(),
        scoring="accuracy",
        epochs={"epochs": 4, "batch_size": 50},
        storage=storage,
        study_name=name,
        random_state=0,
        space={"model__alpha": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True)},
        pruner=optuna.pruners.ThresholdPruner(lower=1.01, n_warmup_steps=2),
        refit=False,
    )


def test_a_tuner_view_draws_each_trial_live_and_marks_the_pruned(tmp_path, blobs):
    X, y = blobs
    storage = str(tmp_path / "journal.log")
    tuner = _epoch_tuner(storage)
    view = curves(tuner, throttle=0)
    tuner.optimize(X, y, n_trials=3)
    assert view.runs == {"trial 0": "pruned", "trial 1": "pruned", "trial 2": "pruned"}
    # pruned at epoch 2 (after a warm-up of 2 steps): two points per trial
    frame = view.to_frame()
    assert frame.groupby("run")["epoch"].max().tolist() == [2, 2, 2]


def test_a_stored_study_draws_the_same_as_the_live_view(tmp_path, blobs):
    X, y = blobs
    storage = str(tmp_path / "journal.log")
    tuner = _epoch_tuner(storage)
    live = curves(tuner, throttle=0)
    tuner.optimize(X, y, n_trials=2)
    stored = curves("study", storage=storage)
    assert stored.runs == live.runs
    columns = ["run", "statistic", "split", "epoch", "value"]
    assert stored.to_frame().sort_values(columns).values.tolist() == (
        live.to_frame().sort_values(columns).values.tolist()
    )


def test_a_study_without_epoch_runs_says_why_it_has_no_curves(tmp_path, blobs):
    X, y = blobs
    storage = str(tmp_path / "journal.log")
    Tuner(
        _pipe(), scoring="accuracy", cv=2, storage=storage, study_name="cv", refit=False
    ).optimize(X, y, n_trials=1)
    view = curves("cv", storage=storage)
    assert "No run here recorded per-epoch statistics" in view.data["message"]
