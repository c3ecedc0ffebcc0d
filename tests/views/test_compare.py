"""The comparison view: charts by statistic, one colour per item, groups with bands,
downsampling, the tables, and a running trial that gains points."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from workbench.exceptions import ViewError
from workbench.store import open_store
from workbench.store.shared import open_storage
from workbench.views import CompareView, compare
from workbench.views._compare_data import downsample, get_compare_info

from ..store.test_compare import a_run, a_study


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def journal(tmp_path):
    path = str(tmp_path / "journal.log")
    a_run(path, "run-a", alpha=0.1)
    a_run(path, "run-b", alpha=0.01, model_class="MLPClassifier", extra="pca", mutation_at=2)
    a_study(path, "search", [0.5, 0.9, 0.7])
    return path


def _series(view: CompareView) -> dict[tuple[str, str, str], dict]:
    return {
        (s["label"], s["statistic"], s["split"]): s
        for chart in view.data["charts"]
        for s in chart["series"]
    }


def test_compare_view_draws_one_chart_per_statistic_and_one_colour_per_item(journal):
    view = compare("run-a", "run-b", "search#1", storage=journal, interval=0)
    assert isinstance(view, CompareView)
    assert [chart["statistic"] for chart in view.data["charts"]] == ["loss", "accuracy"]
    series = _series(view)
    assert series[("run-b", "loss", "train")]["y"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert series[("run-b", "loss", "valid")]["x"] == [1.0, 2.0, 3.0]
    assert view.data["colors"] == {"run-a": 0, "run-b": 1, "search#1": 2}
    assert {s["color"] for key, s in series.items() if key[0] == "search#1"} == {2}
    assert view.data["marks"] == [
        {"label": "run-b", "epoch": 1, "mark": "pretrain"},
        {"label": "run-b", "epoch": 2, "mark": "train: replace model"},
    ]
    assert view.data["differing"]["paths"] == ["model__alpha"]
    assert [row["path"] for row in view.data["structure"]] == ["model", "pca"]
    assert view.comparison.labels == ["run-a", "run-b", "search#1"]


def test_compare_view_group_by_draws_a_mean_and_a_band_per_group(journal):
    view = compare(
        ["search#0", "search#1", "run-a"], group_by="model__alpha", storage=journal, interval=0
    )
    assert view.data["colors"] == {"0.1": 0, "0.01": 1}
    assert view.data["groups"] == {"0.1": ["search#0", "run-a"], "0.01": ["search#1"]}
    band = _series(view)[("0.1", "loss", "train")]
    assert band["y"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert band["low"] == band["high"] == pytest.approx([1.0, 0.5, 1 / 3])
    wide = _series(view)[("0.1", "accuracy", "valid")]
    assert wide["low"][0] < wide["y"][0] < wide["high"][0] or wide["low"] == wide["high"]
    assert view.data["marks"] == []


def test_downsample_keeps_every_peak_a_pixel_can_show():
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 50) + (x == 7_777) * 5.0
    xs, ys = downsample(x, y, 200)
    assert len(xs) <= 4 * 200
    assert ys.max() == y.max() and xs[ys.argmax()] == 7_777
    assert xs[0] == 0 and xs[-1] == 9_999
    short_x, _ = downsample(x[:300], y[:300], 200)
    assert len(short_x) == 300  # under two points a pixel: all of them


def test_compare_view_info_of_a_thousand_curves_is_downsampled_to_the_width(journal):
    comparison = open_store(journal).compare(["run-a"])
    info = get_compare_info(comparison, width=100)
    assert all(len(s["x"]) == 3 for chart in info["charts"] for s in chart["series"])


def test_a_running_trial_gains_points_as_it_trains(tmp_path):
    path = str(tmp_path / "journal.log")
    study = a_study(path, "live", [0.5], running=True)
    view = compare("live#0", "live#1", storage=path, interval=0)
    sent = []
    view.send = sent.append  # what goes to the front end
    assert view.live.running == ["live#1"]
    assert _series(view)[("live#1", "accuracy", "valid")]["y"] == [0.25, 0.5]
    assert view.refresh() is False  # nothing new: nothing sent
    trial = optuna.trial.Trial(study, study.trials[1]._trial_id)
    trial.report(0.75, step=3)
    assert view.refresh() is True
    assert sent[-1]["type"] == "append"
    assert sent[-1]["points"] == [["live#1\x00valid_accuracy", [3.0], [0.75]]]
    assert _series(view)[("live#1", "accuracy", "valid")]["y"] == [0.25, 0.5, 0.75]
    study.tell(trial, 0.8)  # it ends: no longer followed
    view.refresh()
    assert view.live.running == []
    assert view.comparison.items.set_index("label").loc["live#1", "state"] == "complete"


def test_compare_view_follows_a_running_trial_in_the_background(tmp_path):
    import time

    path = str(tmp_path / "journal.log")
    study = a_study(path, "live", [0.5], running=True)
    view = compare("live#1", storage=path, interval=0.05)
    trial = optuna.trial.Trial(study, study.trials[1]._trial_id)
    trial.report(0.9, step=3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _series(view)[("live#1", "accuracy", "valid")]["y"][-1] == 0.9:
            break
        time.sleep(0.02)
    assert _series(view)[("live#1", "accuracy", "valid")]["y"] == [0.25, 0.5, 0.9]
    view.close()
    assert open_storage(path) is not None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: compare(storage=p), "needs at least one item"),
        (lambda p: compare("run-zz", storage=p), r"Cannot compare 'run-zz'.*Did you mean"),
        (lambda p: compare("run-a", storage=p, stores={"x": p}), "not both"),
        (lambda p: compare("run-a", storage=p, interval=-1), "interval must be a number"),
        (lambda p: compare("run-a", storage=p, width=3), "width must be a whole number"),
        (lambda p: compare("run-a", group_by="nope", storage=p), "No hyperparam 'nope'"),
    ],
)
def test_compare_view_bad_input_says_what_to_pass(journal, call, message):
    with pytest.raises(ViewError, match=message):
        call(journal)
