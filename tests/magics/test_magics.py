"""``%load_ext workbench`` and its magics, in a real IPython shell."""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier

from workbench import Pipeline
from workbench.views import Inspector, MutationPanel, SpaceEditor


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "workbench")
    names = {
        "pipe": Pipeline([("model", SGDClassifier(random_state=0))]),
        "X": np.random.default_rng(0).normal(size=(40, 3)),
        "y": np.arange(40) % 2,
        "count": 3,
    }
    shell.user_ns.update(names)
    yield shell
    for name in names:
        shell.user_ns.pop(name, None)


def test_load_ext_registers_every_magic(shell):
    magics = shell.magics_manager.magics["line"]
    for name in ("wb_inspect", "wb_space", "wb_mutate", "wb_tune", "wb_curves", "wb_studies"):
        assert name in magics
    assert (
        "%wb_tune [--trials TRIALS] [--timeout TIMEOUT] pipeline X [y]"
        in magics["wb_tune"].__doc__
    )


def test_view_magics_open_their_views(shell):
    assert isinstance(shell.run_line_magic("wb_space", "pipe"), SpaceEditor)
    inspector = shell.run_line_magic("wb_inspect", "pipe --path model")
    assert isinstance(inspector, Inspector) and inspector.selected == "model"
    panel = shell.run_line_magic("wb_mutate", "pipe X y --batch-size 20")
    assert isinstance(panel, MutationPanel) and panel.options["batch_size"] == 20


def test_an_unknown_variable_names_the_ones_that_exist(shell):
    with pytest.raises(
        UsageError,
        match=r"No variable named 'pip' in the notebook\. Did you mean 'pipe'\? Variables that hold Workbench pipelines or steps: .*pipe",
    ):
        shell.run_line_magic("wb_space", "pip")
    with pytest.raises(
        UsageError, match=r"'count' holds a int, but Workbench pipelines or steps is expected here"
    ):
        shell.run_line_magic("wb_inspect", "count")
    with pytest.raises(UsageError, match=r"No step at path 'nope'"):
        shell.run_line_magic("wb_inspect", "pipe --path nope")


def test_bad_arguments_give_the_usage_line(shell):
    with pytest.raises(
        UsageError, match=r"unrecognized arguments: --bogus\nUsage: %wb_space pipeline"
    ):
        shell.run_line_magic("wb_space", "pipe --bogus")
    with pytest.raises(
        UsageError, match=r"required: pipeline\nUsage: %wb_inspect \[--path PATH\] pipeline"
    ):
        shell.run_line_magic("wb_inspect", "")
    with pytest.raises(UsageError, match=r"argument --trials: invalid int value: 'many'"):
        shell.run_line_magic("wb_tune", "pipe X y --trials many")
    with pytest.raises(UsageError, match=r"--trials must be at least 1, but got 0\."):
        shell.run_line_magic("wb_tune", "pipe X y --trials 0")
    with pytest.raises(UsageError, match=r"--timeout must be positive seconds, but got -1\.0\."):
        shell.run_line_magic("wb_tune", "pipe X y --timeout -1")
    with pytest.raises(UsageError, match=r"--batch-size must be at least 1, but got 0\."):
        shell.run_line_magic("wb_mutate", "pipe X y --batch-size 0")


def test_the_extension_loads_as_ipython_expects():
    import workbench

    registered = []

    class FakeShell:
        def register_magics(self, magics):
            registered.append(magics)

    workbench.load_ipython_extension(FakeShell())
    assert registered == [workbench.magics.WorkbenchMagics]


def test_a_plain_estimator_is_not_a_pipeline(shell):
    shell.user_ns["plain"] = LogisticRegression()
    try:
        with pytest.raises(UsageError, match=r"'plain' holds a LogisticRegression"):
            shell.run_line_magic("wb_space", "plain")
    finally:
        shell.user_ns.pop("plain")


def test_wb_tune_opens_a_running_panel_and_returns_at_once(shell):
    from workbench.views import TuningPanel

    shell.user_ns["knn"] = Pipeline([("knn", KNeighborsClassifier())])
    try:
        panel = shell.run_line_magic("wb_tune", "knn X y --trials 3 --timeout 60")
        assert isinstance(panel, TuningPanel)
        assert panel.wait(timeout=120)
        trials = panel.tuner.study.trials
        assert len(trials) == 3 and all(trial.state.is_finished() for trial in trials)
    finally:
        shell.user_ns.pop("knn")


def test_wb_curves_draws_a_history_variable_or_names_the_store(shell):
    from workbench.training import History
    from workbench.views import Curves

    shell.user_ns["history"] = History.from_rows(
        [{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.6}]
    )
    try:
        assert isinstance(shell.run_line_magic("wb_curves", "history"), Curves)
    finally:
        shell.user_ns.pop("history")
    with pytest.raises(UsageError, match=r"No study or run named 'no_such_run' in the store"):
        shell.run_line_magic("wb_curves", "no_such_run")


def test_wb_studies_lists_the_store_as_a_table(shell, tmp_path):
    import optuna

    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    optuna.create_study(study_name="first-study", storage=storage)
    table = shell.run_line_magic("wb_studies", f"--storage {storage}")
    assert list(table["name"]) == ["first-study"]
    with pytest.raises(UsageError, match=r"Usage: %wb_studies \[--storage STORAGE\]"):
        shell.run_line_magic("wb_studies", "extra")


def test_wb_compare_opens_a_comparison_or_names_the_missing_item(shell, tmp_path):
    from workbench.store.shared import record_run
    from workbench.training import History
    from workbench.views import CompareView

    path = str(tmp_path / "journal.log")
    for name, alpha in (("run-a", 0.1), ("run-b", 0.2)):
        record_run(
            structure={"path": "", "class": "Pipeline", "hyperparams": {"alpha": alpha}},
            hyperparams={},
            history=History.from_rows([{"epoch": 1, "train_loss": alpha}]),
            storage=path,
            run_name=name,
        )
    view = shell.run_line_magic("wb_compare", f"run-a run-b --group-by alpha --storage {path}")
    assert isinstance(view, CompareView)
    assert view.data["groups"] == {"0.1": ["run-a"], "0.2": ["run-b"]}
    with pytest.raises(UsageError, match=r"Cannot compare 'run-c'.*Did you mean"):
        shell.run_line_magic("wb_compare", f"run-a run-c --storage {path}")
    with pytest.raises(UsageError, match=r"Usage: %wb_compare"):
        shell.run_line_magic("wb_compare", "")


def test_wb_tune_without_y_for_a_classifier_is_refused_before_a_study_exists(
    shell, tmp_path, monkeypatch
):
    from workbench.store import open_store

    journal = str(tmp_path / "journal.log")
    monkeypatch.setenv("WORKBENCH_STORAGE", journal)
    with pytest.raises(
        UsageError,
        match=r"learns from targets, but y is None.*\nUsage: %wb_tune .* pipeline X \[y\]",
    ):
        shell.run_line_magic("wb_tune", "pipe X --trials 3")
    assert open_store(journal).studies().empty  # no junk study of failed trials


def test_the_did_you_mean_offers_only_variables_holding_pipelines(shell):
    from workbench import Choose

    shell.user_ns.update({"Pipeline": Pipeline, "Choose": Choose})
    try:
        with pytest.raises(UsageError) as caught:
            shell.run_line_magic("wb_space", "pip")
    finally:
        shell.user_ns.pop("Pipeline"), shell.user_ns.pop("Choose")
    message = str(caught.value)
    assert (
        "Did you mean 'pipe'? Variables that hold Workbench pipelines or steps: pipe.\n" in message
    )
    assert "Pipeline" not in message.split("Usage:")[0] and "Choose" not in message


def test_magic_help_shows_no_rest_markup(shell):
    for name in ("wb_tune", "wb_studies", "wb_runs", "wb_inspect"):
        shown = shell.object_inspect_text(f"%{name}")
        assert "::" not in shown
        assert f"Usage:\n  %{name}" in shown


def test_wb_runs_lists_the_recorded_runs_and_wb_studies_the_studies(shell, tmp_path):
    import optuna

    from workbench.training import fit_epochs

    journal = str(tmp_path / "journal.log")
    fit_epochs(Pipeline([("model", SGDClassifier(random_state=0))]), shell.user_ns["X"],
               shell.user_ns["y"], epochs=1, batch_size=10, storage=journal,
               run_name="first-run")  # fmt: skip
    optuna.create_study(study_name="a-study", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(journal)))  # fmt: skip
    runs = shell.run_line_magic("wb_runs", f"--storage {journal}")
    assert list(runs["name"]) == ["first-run"]
    assert "first-run" not in list(
        shell.run_line_magic("wb_studies", f"--storage {journal}")["name"]
    )
