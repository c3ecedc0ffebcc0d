"""The tuning panel: plain data, running off the main thread, Stop and Resume, apply."""

from __future__ import annotations

import logging
import threading

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import ClassifierMixin
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from tests.waiting import wait_for
from workbench import Choose, Hyperparam, Pipeline, Step, floats
from workbench.exceptions import TuningError, ViewError
from workbench.store import shared
from workbench.views import TuningPanel
from workbench.views._tuning_data import TrialRow, _get_tuning_info, charts_data

LOG_C = {"model__C": FloatDistribution(1e-3, 1e2, log=True)}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture
def storage(tmp_path):
    return str(tmp_path / "journal.log")


def _logistic():
    return Pipeline([("model", LogisticRegression(max_iter=200))])


class Gated(ClassifierMixin, Step):
    """A classifier whose fit waits for ``Gated.gate`` (a trial held running by the test)."""

    gate = threading.Event()
    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        assert type(self).gate.wait(20), "the test never opened the gate"
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class Failing(ClassifierMixin, Step):
    """A classifier whose fit always fails."""

    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        raise ValueError(f"C={self.C:.3g} is not accepted here")


# -- plain data ---------------------------------------------------------------------------------
def _row(number, state, value, **params):
    return TrialRow(
        number, state, value, 0.1, params, "ValueError: bad" if state == "fail" else None
    )


def test_tuning_info_counts_trials_and_tracks_the_best_so_far():
    rows = [_row(0, "complete", 0.7), _row(1, "pruned", 0.2), _row(2, "complete", 0.9),
            _row(3, "fail", None), _row(4, "complete", 0.8)]  # fmt: skip
    info = _get_tuning_info("s", "maximize", rows, {})
    assert info.counts == {"complete": 3, "pruned": 1, "fail": 1}
    assert info.best.number == 2
    assert info.best_so_far == [(0, 0.7), (1, 0.7), (2, 0.9), (3, 0.9), (4, 0.9)]
    assert not info.all_failed
    # the chart draws the store's best so far, sent with its data; it computes none itself
    assert charts_data(info)["best_so_far"] == [[0, 0.7], [1, 0.7], [2, 0.9], [3, 0.9], [4, 0.9]]


def test_tuning_info_minimizes_when_told():
    rows = [_row(0, "complete", 0.7), _row(1, "complete", 0.2)]
    assert _get_tuning_info("s", "minimize", rows, {}).best.number == 1


def test_tuning_info_says_when_every_trial_failed_with_the_first_error():
    rows = [_row(0, "fail", None), _row(1, "fail", None), _row(2, "running", None)]
    info = _get_tuning_info("s", "maximize", rows, {})
    assert info.all_failed
    assert info.first_error == (0, "ValueError: bad")


def test_tuning_info_axes_are_log_for_log_distributions():
    space = {
        "model__C": FloatDistribution(1e-3, 1e2, log=True),
        "model__max_iter": IntDistribution(10, 100),
        "model__solver": CategoricalDistribution(["lbfgs", "saga"]),
    }
    axes = {axis.path: axis for axis in _get_tuning_info("s", "maximize", [], space).axes}
    assert (axes["model__C"].kind, axes["model__C"].log) == ("float", True)
    assert (axes["model__max_iter"].kind, axes["model__max_iter"].log) == ("int", False)
    assert axes["model__solver"].choices == ["lbfgs", "saga"]


def _status(state, rows, **fields):
    from workbench.views._tuning_status import StatusInfo, _get_status_info

    class Study:  # what the status reads of a BackgroundStudy
        trials_done, budget_text, n_trials, error = 1, "4 trials", 4, None

    for name, value in fields.items():
        setattr(Study, name, value)
    Study.state = state
    info = _get_tuning_info("s", "maximize", rows, {})
    status = _get_status_info(info, Study())
    assert isinstance(status, StatusInfo)
    return status


@pytest.mark.parametrize(
    ("state", "rows", "fields", "text", "bar"),
    [
        ("idle", [], {}, "Study <b>s</b> · 0 trials so far · Start runs 4 trials", (4, 1, "")),
        ("running", [_row(0, "complete", 0.7), _row(1, "running", None)], {},
         "<b>s</b>: running trial 1 · 1 complete, 1 running · best 0.7 (trial 0)", (4, 1, "")),
        ("stopped", [_row(0, "complete", 0.7)], {},
         "stopped after 1 trials of this run · 1 complete · best 0.7 (trial 0) · Resume",
         (4, 1, "")),
        ("finished", [_row(0, "complete", 0.7)], {"trials_done": 4},
         "<b>s</b>: finished · 1 complete · best 0.7", (4, 4, "success")),
        ("error", [_row(0, "complete", 0.7)], {"error": "OSError: disk <full>"},
         'stopped with an error<div class="wb-error">OSError: disk &lt;full&gt;</div>',
         (4, 1, "danger")),
        ("finished", [_row(0, "fail", None), _row(1, "fail", None)], {},
         "All 2 trials failed. First error (trial 0): ValueError: bad. Fix the pipeline",
         (4, 1, "danger")),
    ],
)  # fmt: skip
def test_the_status_line_says_what_the_study_does(state, rows, fields, text, bar):
    from workbench.views._tuning_status import bar_state, status_html

    status = _status(state, rows, **fields)
    assert text in status_html(status)
    assert bar_state(status) == bar


# -- options ------------------------------------------------------------------------------------
def test_panel_without_a_budget_runs_until_stopped(data, storage):
    panel = TuningPanel(_logistic(), *data, cv=2, space=LOG_C, storage=storage)
    assert "Start runs trials until Stop" in panel.status.value
    panel.start()
    wait_for(
        lambda: sum(row["state"] == "complete" for row in panel.table.rows) >= 2,
        timeout=20,
        what="two complete trials",
    )
    panel.stop()
    assert panel.wait(3)
    assert panel.state == "stopped" and panel.resume_button.disabled is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_trials": 0}, r"n_trials must be None or an integer >= 1, but got 0"),
        ({"timeout": -1}, r"timeout must be None or a number of seconds > 0, but got -1"),
    ],
)
def test_panel_rejects_a_bad_budget(data, options, message):
    with pytest.raises(ViewError, match=message):
        TuningPanel(_logistic(), *data, **options)


# -- running ------------------------------------------------------------------------------------
def test_panel_runs_the_study_off_the_main_thread_and_fills_its_widgets(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=4, cv=2, space=LOG_C, storage=storage,
                        study_name="run", random_state=0)  # fmt: skip
    threads = []
    panel.tuner.callbacks.append(
        type(
            "Spy",
            (),
            {"on_trial_begin": lambda self, **d: threads.append(threading.current_thread())},
        )()
    )
    assert panel.start() is panel
    assert panel.wait(60)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert panel.state == "finished"
    assert [row["state"] for row in panel.table.rows] == ["complete"] * 4
    assert panel.table.best == panel.tuner.study.best_trial.number
    # until a row is picked, the best trial's pipeline is the one shown
    assert f"<b>Trial {panel.table.best}</b> (best trial)" in panel.trial_view.value
    assert len(panel.charts.data["trials"]) == 4
    assert panel.charts.data["axes"][0]["log"] is True
    assert "finished · 4 complete · best" in panel.status.value
    assert panel.bar.bar_style == "success" and panel.bar.value == 4
    assert panel.start_button.disabled is False and panel.stop_button.disabled is True


def test_panel_shows_trials_already_in_the_store(data, storage):
    first = TuningPanel(_logistic(), *data, n_trials=2, cv=2, space=LOG_C, storage=storage,
                        study_name="kept")  # fmt: skip
    first.start().wait(60)
    again = TuningPanel(_logistic(), *data, n_trials=2, cv=2, space=LOG_C, storage=storage,
                        study_name="kept")  # fmt: skip
    assert [row["number"] for row in again.table.rows] == [0, 1]
    assert "2 trials so far" in again.status.value


def test_stop_finishes_the_running_trial_then_resume_runs_the_rest(data, storage):
    Gated.gate.clear()
    panel = TuningPanel(Pipeline([("model", Gated())]), *data, n_trials=4, holdout=0.25,
                        storage=storage, study_name="gated")  # fmt: skip
    panel.start()
    wait_for(
        lambda: any(row["state"] == "running" for row in panel.table.rows),
        timeout=20,
        what="a running trial",
    )
    panel.stop()
    assert panel.state == "stopping" and "stopping after the running trial" in panel.status.value
    assert panel.stop_button.disabled
    Gated.gate.set()
    assert panel.wait(3)
    assert panel.state == "stopped"
    assert [row["state"] for row in panel.table.rows] == ["complete"]
    assert panel.resume_button.disabled is False
    panel.resume().wait(60)
    assert panel.state == "finished"
    assert [row["state"] for row in panel.table.rows] == ["complete"] * 4
    with pytest.raises(ViewError, match=r"Nothing to resume: the study is finished"):
        panel.resume()


def test_start_while_running_says_to_stop_first(data, storage):
    Gated.gate.clear()
    panel = TuningPanel(Pipeline([("model", Gated())]), *data, n_trials=1, holdout=0.25,
                        storage=storage)  # fmt: skip
    panel.start()
    try:
        with pytest.raises(ViewError, match=r"already running; press Stop"):
            panel.start()
    finally:
        Gated.gate.set()
        panel.wait(60)


def test_a_study_whose_trials_all_fail_says_so_with_the_first_error(data, storage):
    panel = TuningPanel(Pipeline([("model", Failing())]), *data, n_trials=3, holdout=0.25,
                        storage=storage, random_state=0)  # fmt: skip
    heard = []
    handler = logging.Handler()
    handler.emit = heard.append
    logging.getLogger("optuna").addHandler(handler)
    try:
        panel.start().wait(60)
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    first = panel.info().trials[0]
    assert f"All 3 trials failed. First error (trial 0): {first.error}" in panel.status.value
    assert "stopped with an error" not in panel.status.value  # said once, not twice
    assert first.error.startswith("ValueError: C=")
    assert panel.bar.bar_style == "danger"
    assert heard == []  # no traceback per failed trial in the notebook
    assert [row["error"][:11] for row in panel.table.rows] == ["ValueError:"] * 3


# -- selecting and applying ---------------------------------------------------------------------
def _choose_pipe():
    return Pipeline([
        ("scale", StandardScaler()),
        ("reduce", Choose([("pca", PCA(n_components=2)), ("none", "passthrough")])),
        ("model", LogisticRegression(max_iter=200)),
    ])  # fmt: skip


def test_selecting_a_trial_shows_its_sampled_values_and_chosen_branch(data, storage):
    space = {"reduce__choice": CategoricalDistribution(["pca", "none"]), **LOG_C}
    panel = TuningPanel(_choose_pipe(), *data, n_trials=3, holdout=0.25, space=space,
                        storage=storage, random_state=0)  # fmt: skip
    panel.start().wait(60)
    row = panel.info().trials[1]
    panel.table.selected = 1
    shown = panel.trial_view.value
    assert "Trial 1" in shown
    assert f"<b>C</b> = {row.params['model__C']!r}" in shown
    chosen = row.params["reduce__choice"]
    assert f"{chosen} <span class='wb-class'>" in shown and "wb-chosen" in shown


def test_apply_sets_the_best_trials_values_and_shows_what_changed(data, storage):
    pipe = _logistic()
    panel = TuningPanel(pipe, *data, n_trials=3, cv=2, space=LOG_C, storage=storage,
                        random_state=0)  # fmt: skip
    panel.start().wait(60)
    best = panel.info().best
    changes = panel.apply()
    assert changes == {"model__C": (1.0, best.params["model__C"])}
    assert pipe.get_hyperparams()["model__C"] == best.params["model__C"]
    assert f"Applied trial {best.number} to the pipeline" in panel.status.value
    assert panel.apply() == {}
    assert "already had its values" in panel.status.value


def test_apply_points_to_the_kept_pipeline_which_loads_fitted(data, storage):
    pipe = _logistic()
    panel = TuningPanel(pipe, *data, n_trials=3, cv=2, space=LOG_C, storage=storage, keep=1)
    panel.start().wait(60)
    best = panel.info().best
    panel.apply()
    assert f"<code>panel.runner.kept_pipeline({best.number})</code> loads it" in panel.status.value
    fitted = panel.runner.kept_pipeline()
    assert fitted.get_hyperparams()["model__C"] == best.params["model__C"]
    assert fitted.predict(data[0][:4]).shape == (4,)  # fitted, as the trial trained it
    other = next(row.number for row in panel.info().trials if row.number != best.number)
    panel.apply(trial=other)
    assert "kept its fitted pipeline" not in panel.status.value
    with pytest.raises(TuningError, match=rf"did not keep trial {other}"):
        panel.runner.kept_pipeline(other)


def test_extend_button_trains_the_best_trial_further_as_a_new_trial(data, storage):
    pipe = Pipeline([("model", SGDClassifier(random_state=0))])
    panel = TuningPanel(pipe, *data, n_trials=2, storage=storage, space={
        "model__alpha": floats(1e-5, 1e-2, log=True)},
        epochs={"epochs": 2, "batch_size": 20, "random_state": 0})  # fmt: skip
    panel.start().wait(60)
    best = panel.info().best.number
    panel.extend_button.click()
    assert "Trial 2 extends trial" in panel.status.value
    assert panel.tuner.history(2)["epoch"].tolist() == [1, 2, 3, 4]
    assert [row.number for row in panel.info().trials] == [0, 1, 2]
    assert panel.tuner.study.trials[2].params == panel.tuner.study.trials[best].params


def test_extend_is_hidden_without_epochs_and_says_why_it_cannot(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=LOG_C, storage=storage)
    assert panel.extend_button.layout.display == "none"
    with pytest.raises(ViewError, match=r"no best trial to extend"):
        panel.extend()
    panel.start().wait(60)
    with pytest.raises(ViewError, match=r"scores trials by 'cv'. Tune with epochs="):
        panel.extend()


def test_apply_a_chosen_trial(data, storage):
    pipe = _logistic()
    panel = TuningPanel(pipe, *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    panel.start().wait(60)
    panel.apply(trial=0)
    assert pipe.get_hyperparams()["model__C"] == panel.info().trials[0].params["model__C"]


def test_apply_before_any_trial_says_so(data, storage):
    pipe = _logistic()
    panel = TuningPanel(pipe, *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    with pytest.raises(ViewError, match=r"has completed yet, so there is no best trial"):
        panel.apply()
    assert pipe.get_hyperparams()["model__C"] == 1.0


def test_apply_an_unknown_trial_lists_the_trials(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    panel.start().wait(60)
    with pytest.raises(ViewError, match=r"has no trial 7; its trials: 0..1"):
        panel.apply(trial=7)


def test_apply_a_failed_trial_is_refused(data, storage):
    pipe = Pipeline([("model", Failing())])
    panel = TuningPanel(pipe, *data, n_trials=1, holdout=0.25, storage=storage)
    panel.start().wait(60)
    with pytest.raises(ViewError, match=r"Trial 0 is fail \(ValueError: C=.*\); apply a complete"):
        panel.apply(trial=0)
    assert pipe.get_hyperparams()["model__C"] == 1.0


def test_apply_button_errors_show_in_the_panel(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=LOG_C, storage=storage)
    panel.apply_button.click()
    assert "no best trial to apply" in panel.status.value


# -- space edits and epochs ---------------------------------------------------------------------
def test_start_uses_the_space_as_edited_since_the_panel_was_made(data, storage):
    pipe = _logistic()
    pipe.set_hyperparams_space({"model__C": FloatDistribution(0.5, 0.6)})
    panel = TuningPanel(pipe, *data, n_trials=2, cv=2, storage=storage)
    first_study = panel.tuner.study_name
    pipe.set_hyperparams_space({"model__C": FloatDistribution(5.0, 6.0)})
    panel.start().wait(60)
    assert panel.tuner.study_name == first_study  # nothing ran in the first space yet
    assert all(5.0 <= row.params["model__C"] <= 6.0 for row in panel.info().trials)
    pipe.set_hyperparams_space({"model__C": FloatDistribution(5.5, 6.0)})
    panel.start().wait(60)  # after trials ran: the study goes on in its next version
    assert panel.tuner.study_name == f"{first_study}@2"
    assert "(version 2, from version 1, reused" in panel.status.value


def test_epoch_trials_draw_live_curves_with_pruned_trials_marked(data, storage):
    pipe = Pipeline([("model", SGDClassifier(random_state=0))])
    panel = TuningPanel(
        pipe, *data, n_trials=3, scoring="accuracy", epochs={"epochs": 4, "batch_size": 40},
        space={"model__alpha": FloatDistribution(1e-5, 1e-1, log=True)}, storage=storage,
        pruner=optuna.pruners.ThresholdPruner(lower=1.01, n_warmup_steps=2), random_state=0,
    )  # fmt: skip
    panel.start().wait(60)
    assert panel.curves.runs == {"trial 0": "pruned", "trial 1": "pruned", "trial 2": "pruned"}
    assert panel.curves.layout.display != "none"
    assert len(panel.curves.data["series"]) == 3  # the saved state has them


def test_cross_validated_trials_hide_the_curves(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=LOG_C, storage=storage)
    assert panel.curves.layout.display == "none"


def test_panel_shows_the_importance_of_each_step_when_the_study_ends(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=4, cv=2, space=LOG_C, storage=storage,
                        study_name="importance", random_state=0)  # fmt: skip
    assert panel.importance.value == ""  # nothing before a study ran
    assert panel.start().wait(60)
    shown = panel.importance.value
    assert "<b>model</b>" in shown and "<code>model__C</code>" in shown
    assert shown.count("100%") == 2  # the only step, the only hyperparam


# -- every handler shows its error in the panel and stays ready --------------------------------
def _boom(*args, **kwargs):
    raise RuntimeError("the store went away")


@pytest.mark.parametrize("button", ["start_button", "resume_button", "stop_button"])
def test_a_failing_button_shows_its_error_in_the_panel_and_is_ready_again(
    data, storage, monkeypatch, button
):
    panel = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=LOG_C, storage=storage)
    action = {"start_button": "start", "resume_button": "resume", "stop_button": "stop"}
    monkeypatch.setattr(panel.runner, action[button], _boom)
    getattr(panel, button).click()  # raises nothing into the kernel
    assert "RuntimeError: the store went away" in panel.status.value
    assert 'class="wb-error"' in panel.status.value
    assert panel.start_button.disabled is False and panel.state == "idle"
    monkeypatch.undo()
    panel.start_button.click()  # ready again: the next click works, the error is gone
    assert panel.wait(60) and panel.state == "finished"
    assert "the store went away" not in panel.status.value


def test_a_failing_apply_shows_its_error_and_leaves_the_pipeline(data, storage, monkeypatch):
    pipe = _logistic()
    panel = TuningPanel(pipe, *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    panel.start().wait(60)
    monkeypatch.setattr(pipe, "set_hyperparams", _boom)
    panel.apply_button.click()
    assert "RuntimeError: the store went away" in panel.status.value
    assert pipe.get_hyperparams()["model__C"] == 1.0
    assert panel.apply_button.disabled is False


def test_selecting_a_trial_whose_drawing_fails_shows_the_error(data, storage, monkeypatch):
    panel = TuningPanel(_logistic(), *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    panel.start().wait(60)
    monkeypatch.setattr(panel, "_show_trial", _boom)
    panel.table.selected = 1  # the table's observer is a handler too
    assert "RuntimeError: the store went away" in panel.status.value


def test_resume_clicked_when_nothing_is_left_says_why_in_the_panel(data, storage):
    panel = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=LOG_C, storage=storage)
    panel.resume_button.click()
    assert "Nothing to resume: the study is idle" in panel.status.value


def test_the_panel_only_draws_its_study():
    import inspect

    from workbench.tuning import BackgroundStudy

    lines, _ = inspect.getsourcelines(TuningPanel)
    assert len(lines) <= 250
    source = "".join(lines)
    assert "threading.Thread" not in source and "optimize(" not in source  # the study runs it
    assert BackgroundStudy.__module__ == "workbench.tuning._background"


def test_a_drawing_error_during_a_trial_shows_in_the_panel_and_never_fails_the_trial(
    data, storage, monkeypatch
):
    panel = TuningPanel(_logistic(), *data, n_trials=2, cv=2, space=LOG_C, storage=storage)
    monkeypatch.setattr(panel.trials, "began", _boom)
    panel.start().wait(60)
    assert [t.state.name for t in panel.tuner.study.get_trials()] == ["COMPLETE", "COMPLETE"]
    assert "RuntimeError: the store went away" in panel.status.value


def test_the_panel_says_which_version_it_is_on_and_where_it_came_from(data, storage):
    wide = {"model__C": FloatDistribution(1e-3, 1e2, log=True)}
    first = TuningPanel(_logistic(), *data, n_trials=6, cv=2, space=wide, storage=storage,
                        study_name="versioned", sampler=optuna.samplers.RandomSampler(seed=0))  # fmt: skip
    first.start().wait(60)
    assert "wb-version" not in first.status.value  # a study never versioned: nothing said
    fitting = sum(0.1 <= row.params["model__C"] <= 10 for row in first.info().trials)
    narrow = {"model__C": FloatDistribution(0.1, 10.0)}
    second = TuningPanel(_logistic(), *data, n_trials=1, cv=2, space=narrow, storage=storage,
                         study_name="versioned")  # fmt: skip
    second.start().wait(60)
    assert second.tuner.study_name == "versioned@2"
    info = second.info()
    assert info.version == {"base": "versioned", "version": 2, "version_from": 1,
                            "reused": fitting}  # fmt: skip
    trials = "trial" if fitting == 1 else "trials"
    assert (
        f'<b>versioned@2</b> <span class="wb-version">(version 2, from version 1, reused '
        f"{fitting} {trials})</span>" in second.status.value
    )
    # the reused trials say where they came from, in the table's lineage column
    assert second.table.columns[1] == {
        "key": "lineage",
        "label": "lineage",
        "title": "the trial it extends, reused, or resumes after its worker died",
    }
    lineage = [row["lineage"] for row in second.table.rows]
    assert lineage[:fitting] == [
        f"reused from versioned#{row.number}"
        for row in first.info().trials
        if 0.1 <= row.params["model__C"] <= 10
    ]
    assert lineage[fitting:] == [None]
    picture = second._draw_picture().html  # what a saved notebook shows without the kernel
    assert "(version 2, from version 1, reused" in picture and ">reused from versioned#" in picture


def test_an_extended_trial_shows_what_it_extends_in_the_table(data, storage):
    pipe = Pipeline([("model", SGDClassifier(random_state=0))])
    panel = TuningPanel(pipe, *data, n_trials=2, storage=storage, space={
        "model__alpha": floats(1e-5, 1e-2, log=True)},
        epochs={"epochs": 2, "batch_size": 20, "random_state": 0})  # fmt: skip
    panel.start().wait(60)
    assert "lineage" not in [column["key"] for column in panel.table.columns]
    panel.extend(0, epochs=1)
    assert [column["key"] for column in panel.table.columns][:2] == ["number", "lineage"]
    assert [row["lineage"] for row in panel.table.rows] == [None, None, "extends 0"]
    panel.table.selected = 2
    assert "(selected) · extends 0" in panel.trial_view.value
    # the picture a saved notebook keeps has the lineage column too
    picture = panel._draw_picture().html
    assert "<th" in picture and ">lineage</th>" in picture and ">extends 0</td>" in picture


def test_a_dead_worker_s_trial_and_its_retry_say_so_in_the_table(data, storage):
    pipe = Pipeline([("model", SGDClassifier(random_state=0))])
    panel = TuningPanel(pipe, *data, n_trials=1, storage=storage, space={
        "model__alpha": floats(1e-5, 1e-2, log=True)},
        epochs={"epochs": 2, "batch_size": 20, "random_state": 0})  # fmt: skip
    panel.start().wait(60)
    # a peer worker died running trial 1 (its lock is free), before its first epoch ended
    study = panel.tuner.study
    dead = study.ask({"model__alpha": FloatDistribution(1e-5, 1e-2, log=True)})
    study._storage.set_trial_system_attr(dead._trial_id, shared.WORKER_KEY, "0" * 32)
    study._storage.set_trial_system_attr(dead._trial_id, shared.CHECKPOINT_KEY, {"epoch": 0})
    panel.start().wait(60)  # finds the dead trial and resumes it as trial 2
    states = [row["state"] for row in panel.table.rows]
    assert states == ["complete", "fail", "complete"]
    assert [column["key"] for column in panel.table.columns][:2] == ["number", "lineage"]
    assert [row["lineage"] for row in panel.table.rows] == [None, "resumed by 2", "resumes 1"]
    panel.table.selected = 2
    assert "(selected) · resumes 1" in panel.trial_view.value
    picture = panel._draw_picture().html  # what a saved notebook keeps
    assert ">resumed by 2</td>" in picture and ">resumes 1</td>" in picture
