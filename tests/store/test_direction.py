"""The one rule for which way is better for a statistic, and everything that follows it."""

from __future__ import annotations

import pytest

from workbench.store.shared import lower_is_better, metric_direction


@pytest.mark.parametrize(
    "statistic",
    [
        "train_loss",
        "valid_loss",
        "valid_log_loss",
        "valid_logloss",
        "valid_mse",
        "valid_rmse",
        "valid_mae",
        "train_error",
        "valid_max_error",
        "valid_mean_squared_error",
        "valid_perplexity",
        "valid_zero_one_loss",
        "valid_nll",
        "Valid-MSE",
    ],
)
def test_losses_and_errors_are_better_lower(statistic):
    assert lower_is_better(statistic) is True
    assert metric_direction(statistic) == "minimize"


@pytest.mark.parametrize(
    "statistic",
    [
        "valid_accuracy",
        "valid_r2",
        "train_f1",
        "valid_roc_auc",
        "valid_neg_log_loss",
        "valid_neg_mean_squared_error",
        "valid_neg_root_mean_squared_error",
        "value",
        "",
        None,
    ],
)
def test_scores_and_neg_scorers_are_better_higher(statistic):
    assert lower_is_better(statistic) is False
    assert metric_direction(statistic) == "maximize"


def test_the_store_records_a_run_in_the_rules_direction(tmp_path):
    from workbench.store import open_store
    from workbench.store.shared import record_run

    storage = f"sqlite:///{tmp_path / 'runs.db'}"
    for name, metric in (("errors", "valid_mse"), ("scores", "valid_accuracy")):
        record_run(
            structure={}, hyperparams={}, history=None, storage=storage, run_name=name,
            value=0.5, metric=metric,
        )  # fmt: skip
    runs = open_store(storage).runs()
    directions = dict(zip(runs["name"], runs["direction"], strict=True))
    assert directions == {"errors": "minimize", "scores": "maximize"}
