"""Progress: the bar and its text through a run, at its end, and for a study."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
import pytest
from sklearn.linear_model import SGDClassifier

from workbench import Pipeline
from workbench.exceptions import DivergedError, ViewError
from workbench.training import EarlyStopping, History, fit_epochs
from workbench.tuning import Tuner
from workbench.views import Progress


def _pipe():
    return Pipeline([("model", SGDClassifier(random_state=0))])


def test_progress_ends_green_and_full_after_all_epochs(blobs):
    X, y = blobs
    bar = Progress(throttle=0)
    fit_epochs(
        _pipe(), X, y, epochs=4, batch_size=50, validation_fraction=0.2, callbacks=[bar],
        record=False, progress=False,
    )  # fmt: skip
    info = bar.info()
    assert (info.status, info.done, info.total) == ("complete", 4, 4)
    assert bar.bar.bar_style == "success"
    assert (bar.bar.value, bar.bar.max) == (4, 4)
    assert "✓ 4/4 epochs" in bar.label.value
    assert f"best valid_accuracy {info.best.value:.4g} at epoch {info.best.at}" in bar.label.value


def test_progress_of_an_early_stop_is_no_failure_and_names_the_reason():
    bar = Progress(throttle=0)
    bar.on_fit_begin(kind="epochs", path="", epochs=8, statistics=["valid_accuracy"])
    rows = [0.9, 0.8, 0.7]
    for epoch, value in enumerate(rows, start=1):
        bar.on_epoch_end(epoch=epoch, row={"valid_accuracy": value})
    reason = "valid_accuracy did not improve for 2 epochs; best 0.9 at epoch 1"
    history = History.from_rows([], attrs={"stop_reason": reason, "best_epoch": 1})
    bar.on_fit_end(kind="epochs", path="", history=history)
    info = bar.info()
    assert info.status == "stopped"
    assert bar.bar.bar_style == "success"  # not a red, unfinished bar
    assert bar.bar.value == bar.bar.max == 3
    assert info.text == (
        "✓ stopped early at epoch 3 of 8: valid_accuracy did not improve for 2 epochs"
        " · best valid_accuracy 0.9 at epoch 1"
    )


def test_progress_of_a_real_early_stopped_run(blobs):
    X, y = blobs
    bar = Progress(throttle=0)
    fit_epochs(
        _pipe(), X, y, epochs=50, batch_size=50, validation_fraction=0.2, callbacks=[bar],
        early_stopping=EarlyStopping(patience=1), record=False, progress=False,
    )  # fmt: skip
    info = bar.info()
    assert info.status == "stopped" and info.done < 50
    assert info.text.startswith(f"✓ stopped early at epoch {info.done} of 50: valid_accuracy")


def test_progress_shows_the_lowest_loss_as_best():
    bar = Progress(throttle=0)
    bar.on_fit_begin(kind="epochs", path="", epochs=3, statistics=["train_loss"])
    for epoch, loss in enumerate([0.5, 0.2, 0.3], start=1):
        bar.on_epoch_end(epoch=epoch, row={"train_loss": loss})
    assert bar.info().best == ("train_loss", 0.2, 2)
    assert bar.info().text.startswith("epoch 3/3 · train_loss 0.3 · best train_loss 0.2 at")


def test_progress_turns_red_when_the_cell_ended_with_the_run_failing():
    bar = Progress(throttle=0)
    bar.on_fit_begin(kind="epochs", path="", epochs=8, statistics=["train_loss"])
    bar.on_epoch_end(epoch=1, row={"train_loss": 0.5})
    error = DivergedError("The training loss became nan at epoch 2")
    bar._after_cell(SimpleNamespace(error_in_exec=error))
    info = bar.info()
    assert info.status == "failed"
    assert bar.bar.bar_style == "danger"
    assert info.text.startswith("✗ failed at epoch 1: DivergedError: The training loss became nan")


def test_progress_counts_trials_and_shows_the_best(tmp_path, blobs):
    X, y = blobs
    bar = Progress(total=3, throttle=0)
    tuner = Tuner(
        _pipe(), scoring="accuracy", holdout=0.25, storage=str(tmp_path / "j.log"),
        random_state=0, callbacks=[bar], refit=False,
        space={"model__alpha": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True)},
    )  # fmt: skip
    tuner.optimize(X, y, n_trials=3)
    info = bar.info()
    assert (info.kind, info.status, info.done, info.counts) == (
        "trials", "complete", 3, {"complete": 3},
    )  # fmt: skip
    assert info.best.value == pytest.approx(tuner.best_value_)
    assert info.best.at == tuner.study.best_trial.number
    assert bar.bar.bar_style == "success"


def test_progress_of_a_study_whose_trials_all_failed_is_red():
    bar = Progress(total=2, throttle=0)
    for trial in (0, 1):
        bar.on_trial_begin(trial=trial, params={})
        bar.on_trial_end(trial=trial, state="fail", value=None)
    assert bar.info().counts == {"fail": 2}
    assert bar.bar.bar_style == "danger"


def test_progress_rejects_a_bad_total():
    with pytest.raises(ViewError, match=r"total must be None or an integer >= 1, but got 0"):
        Progress(total=0)


def test_progress_rejects_a_bad_throttle():
    with pytest.raises(ViewError, match=r"throttle must be a number of seconds >= 0, but got -1"):
        Progress(throttle=-1)


def test_progress_rejects_a_bad_direction():
    with pytest.raises(ViewError, match=r"direction must be 'maximize', 'minimize' or None"):
        Progress(direction="up")


def test_progress_replaces_the_tqdm_bar_of_an_interactive_epoch_run(blobs, capfd, monkeypatch):
    import workbench.training._epoch_run as trainer

    monkeypatch.setattr(trainer, "_interactive", lambda: True)  # as in a notebook
    X, y = blobs
    fit_epochs(_pipe(), X, y, epochs=3, batch_size=50, record=False)
    assert "3/3" in capfd.readouterr().err  # the run's own tqdm bar
    bar = Progress(throttle=0)
    fit_epochs(_pipe(), X, y, epochs=3, batch_size=50, record=False, callbacks=[bar])
    assert "3/3" not in capfd.readouterr().err  # one bar only: the view's
    assert bar.info().done == 3
    fit_epochs(
        _pipe(), X, y, epochs=3, batch_size=50, record=False, callbacks=[bar], progress=True
    )
    assert "3/3" in capfd.readouterr().err  # asked for: both


def test_a_view_passed_as_a_callback_shows_itself_once_when_the_run_starts(
    incremental, data, monkeypatch
):
    """As tqdm.auto does: a view never displayed shows itself when its run starts, once."""
    from workbench.training import fit_epochs
    from workbench.views import Curves, MutationPanel, _kernel

    shown: list[object] = []
    monkeypatch.setattr(_kernel, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *objects, **_: shown.extend(objects))
    live, bar, seen = Curves(), Progress(), Progress()
    seen._repr_mimebundle_()  # the notebook displayed this one already
    for _ in range(2):  # two runs: each view shows itself at the first only
        fit_epochs(incremental, *data, epochs=2, batch_size=30, callbacks=[live, bar, seen])
    assert shown == [live, bar]
    # a view held by a panel stays in the panel
    shown.clear()
    panel = MutationPanel(incremental, *data, batch_size=30)
    panel.run(1)
    assert shown == [] and "wb-error" not in panel.message.value
