"""Which way is better for a statistic: the one rule every layer uses.

Early stopping, the Progress view, the store's listings, the tuning panel and the Lab panel
(which receives the direction from the server) all ask here, so that they never disagree.
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["minimize", "maximize"]

#: Words that name a statistic better when lower: a History column is ``<phase>_<name>``
#: (``valid_mse``, ``train_log_loss``) and is minimized when one of its ``_``-separated
#: words is one of these, or it ends with one (``valid_logloss``, ``crossentropy``).
LOWER_IS_BETTER_WORDS = (
    "loss",
    "error",
    "mse",
    "mae",
    "rmse",
    "msle",
    "rmsle",
    "mape",
    "nll",
    "perplexity",
    "deviance",
    "crossentropy",
)


def lower_is_better(statistic: str | None) -> bool:
    """Whether lower values of ``statistic`` (a History column or metric name) are better.

    Losses, errors and their abbreviations (see ``LOWER_IS_BETTER_WORDS``) are minimized;
    everything else, scikit-learn's scorers included, is maximized. A ``neg_`` scorer
    (``neg_mean_squared_error``) is already greater-is-better.

    Examples
    --------
    >>> lower_is_better("valid_mse"), lower_is_better("train_loss")
    (True, True)
    >>> lower_is_better("valid_accuracy"), lower_is_better("valid_neg_log_loss")
    (False, False)
    """
    name = (statistic or "").lower().replace("-", "_")
    words = [word for word in name.split("_") if word]
    if "neg" in words:
        return False
    return any(word in LOWER_IS_BETTER_WORDS for word in words) or name.endswith(
        LOWER_IS_BETTER_WORDS
    )


def metric_direction(statistic: str | None) -> Direction:
    """``"minimize"`` or ``"maximize"``: Optuna's name for :func:`lower_is_better`'s answer.

    Examples
    --------
    >>> metric_direction("valid_accuracy"), metric_direction("valid_rmse")
    ('maximize', 'minimize')
    """
    return "minimize" if lower_is_better(statistic) else "maximize"
