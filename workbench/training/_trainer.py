"""fit_epochs: mini-batches, epochs, shuffling, validation, metrics, events and a History.

Its options are declared and checked in ``_options``; the run itself, in named parts, is
``_epoch_run.EpochRun``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from workbench.store import History
from workbench.training._checkpoint import EpochCheckpoint
from workbench.training._early_stopping import EarlyStopping
from workbench.training._epoch_run import EpochRun
from workbench.training._options import check_fit_options


def fit_epochs(
    pipeline: Any,
    X: Any,
    y: Any = None,
    *,
    epochs: int,
    batch_size: int,
    shuffle: bool = True,
    random_state: int | np.random.Generator | None = None,
    validation_fraction: float | None = None,
    validation_data: tuple[Any, Any] | None = None,
    metrics: Any = None,
    train_metrics: bool = False,
    early_stopping: EarlyStopping | int | None = None,
    callbacks: Sequence[Any] | None = None,
    progress: bool | None = None,
    record_batches: bool = False,
    history: History | None = None,
    checkpoint: Callable[[EpochCheckpoint], None] | None = None,
    resume_from: EpochCheckpoint | None = None,
    phase: str = "train",
    record: bool = True,
    storage: Any = None,
    run_name: str | None = None,
) -> History:
    """Train ``pipeline`` by mini-batches for ``epochs`` epochs and return its :class:`History`.

    Every step learns with ``partial_fit`` (frozen steps only transform); a classifier at the
    end gets ``classes`` from the whole ``y``. The tree is in train mode during the run and
    back in its former mode afterwards. Every option is checked before any step is touched.

    The run sets the tree up (``setup()``: devices, files) and, whichever way it ends (all
    epochs, an early stop, an error, Ctrl-C, pruning), tears down every step it set up,
    through every composite, before it puts steps back or returns: a step used afterwards
    sets itself up again. A pipeline set up before the run (``with pipe:``) stays set up.

    A pipeline of :class:`~workbench.training.TorchStep` alone takes its batches on the
    steps' device: the data are moved there once per run when they take at most half of its
    free memory, else each batch is copied from pinned memory without waiting. A TorchStep's
    losses are read from the device once per epoch (after each batch only for callbacks that
    handle ``batch_end``).

    Parameters
    ----------
    pipeline : Pipeline or estimator
        A Workbench step or any scikit-learn estimator with ``partial_fit``.
    X, y : array-like
        Training data (``y`` may be None for unsupervised learning). Arrays of any number of
        dimensions; pandas objects are indexed by position.
    epochs, batch_size : int
        Passes over the data, and samples per mini-batch (the last one may be smaller).
    shuffle, random_state
        Shuffle the samples before each epoch, reproducibly with a seed.
    validation_fraction : float in (0, 1), optional
        Hold out this fraction of ``X, y`` (stratified for classifiers) to validate on.
    validation_data : (X_valid, y_valid), optional
        Explicit validation data, instead of a fraction.
    metrics : str, callable, list of them, or dict name -> metric, optional
        scikit-learn scorer names (``"accuracy"``, ``"neg_log_loss"``) or callables
        ``(estimator, X, y) -> float``. By default ``accuracy`` for a classifier and ``r2``
        for a regressor. Each gives ``valid_<name>`` with validation data, and
        ``train_<name>`` on the training data when ``train_metrics`` is True.
    early_stopping : EarlyStopping or int, optional
        An :class:`EarlyStopping` (an int is its ``patience``).
    callbacks : list of Callback, optional
        They get ``fit_begin``, ``epoch_begin``, ``batch_end``, ``epoch_end`` (with ``row``,
        the History row) and ``fit_end``, besides the pipeline's own callbacks. Raising
        :class:`~workbench.exceptions.StopTraining` ends the run cleanly. Any error, from a
        step or a callback, puts every step back as it was before the run; an interruption
        (Ctrl-C, Optuna's ``TrialPruned``) keeps the training so far. Either way the history
        so far is on the exception's ``history`` attribute.
    progress : bool, optional
        A progress bar (tqdm.auto); by default only where the session is interactive and no
        callback draws progress itself (such as :class:`workbench.views.Progress`).
    record_batches : bool
        Also keep one row per mini-batch in ``History.batches``.
    history : History, optional
        A History to continue: epochs count on from its last one, and mutations of the
        pipeline since that run are marked on the first new row.
    checkpoint : callable, optional
        Called after each epoch (after the ``epoch_end`` callbacks) with an
        :class:`EpochCheckpoint`: the History so far and the random state the batches are drawn
        from. Saved with the pipeline as it is then, it lets a crashed run go on.
    resume_from : EpochCheckpoint, optional
        Go on with an interrupted run of ``epochs`` epochs from its checkpoint, on the pipeline
        as it was at that checkpoint: the epochs it had left run, on the same validation split
        and the same batches (``random_state`` is the checkpoint's). Not with ``history``. An
        ``early_stopping`` starts afresh: its patience counts from the checkpoint on.
    phase : str
        A label for this run's rows (``"pretrain"``, ``"finetune"``).
    record, storage, run_name
        Record the run (structure, hyperparams, History; or the error it raised) in the
        Workbench store, where it is browsed like a tuning trial: by default the journal file
        ``.workbench/journal.log`` in the working directory, or ``$WORKBENCH_STORAGE``, or
        ``storage`` (any Optuna storage URL). ``run_name`` defaults to a fresh timestamped one.

    Returns
    -------
    History
        One row per epoch (see :class:`History`).

    Raises
    ------
    TrainingError
        Bad options, or a step that cannot learn by mini-batch.
    DivergedError
        The loss became NaN or infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Pipeline
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    >>> history = fit_epochs(pipe, X, y, epochs=3, batch_size=32, random_state=0,
    ...                      validation_fraction=0.25)
    >>> history[["epoch", "n_train", "n_valid"]].values.tolist()
    [[1, 150, 50], [2, 150, 50], [3, 150, 50]]
    >>> bool(history["valid_accuracy"].iloc[-1] > 0.8)
    True
    """
    options = {
        "epochs": epochs,
        "batch_size": batch_size,
        "shuffle": shuffle,
        "random_state": random_state,
        "validation_fraction": validation_fraction,
        "validation_data": validation_data,
        "metrics": metrics,
        "train_metrics": train_metrics,
        "early_stopping": early_stopping,
        "callbacks": callbacks,
        "progress": progress,
        "record_batches": record_batches,
        "history": history,
        "checkpoint": checkpoint,
        "resume_from": resume_from,
        "phase": phase,
        "record": record,
        "storage": storage,
        "run_name": run_name,
    }
    return EpochRun(pipeline, check_fit_options(pipeline, X, y, options)).fit()
