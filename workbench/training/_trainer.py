"""fit_epochs: mini-batches, epochs, shuffling, validation, metrics, events and a History."""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from optuna import TrialPruned
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

from workbench.core import Callback
from workbench.core.authoring import current_scope, notify
from workbench.exceptions import DivergedError, StopTraining, TrainingError
from workbench.store import History
from workbench.store.shared import RunRecorder
from workbench.training._early_stopping import EarlyStopping
from workbench.training._metrics import default_metrics, resolve_metrics
from workbench.training._plan import Plan, compile_plan, prepare
from workbench.training._snapshot import Snapshot


def _length(data: Any, what: str) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(data)
    except TypeError:
        raise TrainingError(
            f"{what} must be an array-like with a length, but got {data!r}."
        ) from None


def _as_indexable(data: Any) -> Any:
    if data is None or hasattr(data, "iloc") or hasattr(data, "shape"):
        return data
    return np.asarray(data)


def _take(data: Any, index: Any) -> Any:
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[index]
    return data[index]


class _HostBatches:
    """A run's batches taken on the host, as they are."""

    def __init__(
        self,
        X: Any,
        y: Any,
        read_loss: Callable[[], Any],
        to_floats: Callable[[Sequence[Any]], list[float]],
    ) -> None:
        self.X, self.y, self.n_samples = X, y, _length(X, "X")
        self.read_loss, self.to_floats = read_loss, to_floats

    def batches(self, order: np.ndarray | None, batch_size: int) -> Iterator[tuple[Any, Any, int]]:
        X, y, n_samples = self.X, self.y, self.n_samples
        for start in range(0, n_samples, batch_size):
            index = (
                slice(start, start + batch_size)
                if order is None
                else order[start : start + batch_size]
            )
            yield _take(X, index), _take(y, index), min(batch_size, n_samples - start)

    def release(self) -> None:
        self.X = self.y = None


def _floats(losses: Sequence[Any]) -> list[float]:
    return [float(loss) for loss in losses]


def _batch_source(plan: Plan, X: Any, y: Any) -> Any:
    """Where the run's batches come from, and how the final step's losses are read.

    A plan of TorchSteps alone takes its batches on their device (the data moved there once
    when it fits); a TorchStep at the end leaves each loss on its device, read back once per
    epoch; any other final step's loss is read as a float after each batch.
    """
    from workbench.training._torch import TorchStep

    final, attribute, steps = plan.final, plan.loss_attribute, plan.steps
    if not isinstance(final, TorchStep):
        return _HostBatches(X, y, lambda: float(getattr(final, str(attribute))), _floats)
    from workbench.training._torch_data import TorchBatches

    if not plan.targets and all(isinstance(step, TorchStep) for step in steps):
        return TorchBatches(X, y, entry=steps[0], final=final, classes=plan.classes)
    return _HostBatches(X, y, lambda: final._batch_loss, TorchBatches.to_floats)


def _hears_batches(listener: Any) -> bool:
    """Whether ``listener`` does anything on ``batch_end`` (the base Callback's does not)."""
    method = getattr(listener, "on_batch_end", None)
    return method is not None and getattr(method, "__func__", None) is not Callback.on_batch_end


def _check_positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise TrainingError(f"{name} must be an int >= 1, but got {value!r}.")


def _interactive() -> bool:
    shell = sys.modules.get("IPython")
    if shell is not None:
        ipython = shell.get_ipython()
        if ipython is not None and hasattr(ipython, "kernel"):
            return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextlib.contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="epoch", leave=True)
    try:
        yield bar
    finally:
        bar.close()


def _mutation_text(root: Any, seen: int) -> tuple[str | None, int]:
    log = getattr(root, "mutation_log", None)
    if log is None or len(log) <= seen:
        return None, seen if log is None else len(log)
    return "; ".join(f"{record['op']} {record['path']}" for record in log[seen:]), len(log)


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
    phase: str = "train",
    record: bool = True,
    storage: Any = None,
    run_name: str | None = None,
) -> History:
    """Train ``pipeline`` by mini-batches for ``epochs`` epochs and return its :class:`History`.

    Every step learns with ``partial_fit`` (frozen steps only transform); a classifier at the
    end gets ``classes`` from the whole ``y``. The tree is in train mode during the run and
    back in its former mode afterwards. Every option is checked before any step is touched.

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
    # -- every check before any step is touched -------------------------------------------
    _check_positive_int(epochs, "epochs")
    _check_positive_int(batch_size, "batch_size")
    X, y = _as_indexable(X), _as_indexable(y)
    n_samples = _length(X, "X")
    if y is not None and _length(y, "y") != n_samples:
        raise TrainingError(
            f"X and y must have the same number of samples, but got {n_samples} and "
            f"{_length(y, 'y')}."
        )
    if n_samples == 0:
        raise TrainingError("X has no samples; pass at least one.")
    if validation_fraction is not None and validation_data is not None:
        raise TrainingError("Pass validation_fraction or validation_data, not both.")
    if validation_fraction is not None and not (
        isinstance(validation_fraction, numbers.Real) and 0 < validation_fraction < 1
    ):
        raise TrainingError(
            f"validation_fraction must be a float in (0, 1), such as 0.2, but got "
            f"{validation_fraction!r}."
        )
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise TrainingError(
                f"validation_data must be a pair (X_valid, y_valid), but got "
                f"{type(validation_data).__name__}."
            )
        X_valid, y_valid = (_as_indexable(item) for item in validation_data)
        if y_valid is not None and _length(X_valid, "X_valid") != _length(y_valid, "y_valid"):
            raise TrainingError(
                f"validation_data's X and y must have the same number of samples, but got "
                f"{_length(X_valid, 'X_valid')} and {_length(y_valid, 'y_valid')}."
            )
    scorers = resolve_metrics(default_metrics(pipeline, y) if metrics is None else metrics)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TrainingError(
            f"early_stopping must be an EarlyStopping or an int (the patience), but got "
            f"{early_stopping!r}."
        )
    if history is not None and not isinstance(history, History):
        raise TrainingError(
            f"history must be a History returned by an earlier fit_epochs, but got "
            f"{type(history).__name__}."
        )
    plan = compile_plan(pipeline)
    recorder = RunRecorder(storage, run_name) if record else None  # an unreachable store fails now
    validating = validation_fraction is not None or validation_data is not None
    statistics = (["train_loss"] if plan.loss_attribute else []) + [
        f"{prefix}_{name}"
        for prefix, on in (("train", train_metrics), ("valid", validating))
        if on
        for name in scorers
    ]
    if early_stopping is not None:
        early_stopping.choose_column(statistics)

    # -- data ------------------------------------------------------------------------------
    rng = np.random.default_rng(random_state)
    if validation_fraction is not None:
        stratify = y if y is not None and is_classifier(pipeline) else None
        seed = int(rng.integers(2**31 - 1))
        try:
            X, X_valid, y, y_valid = _split(X, y, validation_fraction, seed, stratify)
        except ValueError:  # a class too small to stratify
            X, X_valid, y, y_valid = _split(X, y, validation_fraction, seed, None)
        n_samples = _length(X, "X")
    elif validation_data is None:
        X_valid = y_valid = None
    n_valid = _length(X_valid, "X_valid") if validating else 0

    # -- the run ---------------------------------------------------------------------------
    workbench = hasattr(pipeline, "train") and hasattr(pipeline, "setup")
    was_training = bool(getattr(pipeline, "training", False))
    was_set_up = bool(getattr(pipeline, "is_set_up", False))
    scope = current_scope()  # a tuning trial's listeners hear its epochs too
    listeners = (
        *(scope.callbacks if scope is not None else ()),
        *(getattr(pipeline, "callbacks", ()) if workbench else ()),
        *(callbacks or ()),
        *((early_stopping,) if early_stopping is not None else ()),
    )
    previous = history
    first_epoch = 1 if previous is None or previous.empty else int(previous["epoch"].max()) + 1
    seen_mutations = int(previous.attrs.get("mutation_count", 0)) if previous is not None else 0
    if previous is None:
        seen_mutations = len(getattr(pipeline, "mutation_log", ()))
    rows: list[dict[str, Any]] = []
    batch_rows: list[dict[str, Any]] | None = [] if record_batches else None
    attrs: dict[str, Any] = {"stop_reason": None}

    def current_history() -> History:
        return _combine(previous, rows, batch_rows, {**attrs, "mutation_count": seen_mutations})

    if progress is None:  # a callback that draws progress (a Progress view) replaces the bar
        show = _interactive() and not any(getattr(x, "shows_progress", False) for x in listeners)
    else:
        show = bool(progress)
    hears_batches = any(_hears_batches(listener) for listener in listeners)
    source: Any = None
    before = Snapshot(pipeline)  # a failed run leaves the steps as they were
    try:
        if workbench:
            pipeline.setup()
            pipeline.train()
        plan.classes = prepare(plan, pipeline, y)
        source, source_steps = _batch_source(plan, X, y), list(map(id, plan.steps))
        if listeners:
            notify(
                listeners,
                "fit_begin",
                path="",
                step=pipeline,
                kind="epochs",
                epochs=epochs,
                n_samples=n_samples,
                statistics=statistics,
            )
        with _progress(show, epochs) as bar:
            for epoch in range(first_epoch, first_epoch + epochs):
                mutation, seen_mutations = _mutation_text(pipeline, seen_mutations)
                if mutation is not None or epoch != first_epoch:
                    classes = plan.classes
                    plan = compile_plan(pipeline)  # the tree may have changed between epochs
                    plan.classes = classes if mutation is None else prepare(plan, pipeline, y)
                    if list(map(id, plan.steps)) != source_steps or mutation is not None:
                        source.release()
                        source = _batch_source(plan, X, y)
                        source_steps = list(map(id, plan.steps))
                try:
                    if listeners:
                        notify(listeners, "epoch_begin", path="", step=pipeline, epoch=epoch)
                    row, stop = _run_epoch(
                        plan,
                        pipeline,
                        source,
                        epoch,
                        batch_size,
                        shuffle,
                        rng,
                        listeners if hears_batches else (),
                        batch_rows,
                    )
                except StopTraining as stop_before:
                    attrs["stop_reason"] = str(stop_before) or "StopTraining"
                    break
                row = {
                    "epoch": epoch,
                    "phase": phase,
                    "mutation": mutation,
                    "n_train": row.pop("n_train"),
                    "n_valid": n_valid,
                    **row,
                }
                _evaluate(row, pipeline, workbench, scorers, train_metrics, X, y, X_valid, y_valid)
                rows.append(row)
                if bar is not None:
                    bar.set_postfix(
                        {k: v for k, v in row.items() if k.startswith(("train_", "valid_"))},
                        refresh=False,
                    )
                    bar.update(1)
                try:
                    if listeners:
                        notify(
                            listeners, "epoch_end", path="", step=pipeline, epoch=epoch, row=row
                        )
                except StopTraining as stop_after:
                    stop = stop or str(stop_after) or "StopTraining"
                if stop:
                    attrs["stop_reason"] = stop
                    break
        if early_stopping is not None:
            attrs["best_epoch"] = early_stopping.best_epoch
        result = current_history()
        if recorder is not None:
            recorder(pipeline, result)
        if listeners:
            notify(listeners, "fit_end", path="", step=pipeline, kind="epochs", history=result)
    except BaseException as error:
        with contextlib.suppress(Exception):
            error.history = current_history()  # type: ignore[attr-defined]
        if isinstance(error, Exception) and not isinstance(error, TrialPruned):
            before.restore()  # an interruption (Ctrl-C, pruning) keeps the training so far
        if recorder is not None:
            with contextlib.suppress(Exception):
                recorder(pipeline, current_history(), error)
        if workbench and not was_set_up:
            with contextlib.suppress(Exception):
                pipeline.teardown()
        raise
    finally:
        if source is not None:
            source.release()  # the data on a device go now, even while a traceback lives on
        del before  # and so do the modules it held, replaced when it restored a TorchStep
        if workbench:
            pipeline.train(was_training)
    return result


def _split(X: Any, y: Any, fraction: float, seed: int, stratify: Any) -> list[Any]:
    if y is None:
        X_train, X_valid = train_test_split(X, test_size=fraction, random_state=seed, shuffle=True)
        return [X_train, X_valid, None, None]
    return list(train_test_split(X, y, test_size=fraction, random_state=seed, stratify=stratify))


def _run_epoch(
    plan: Plan,
    pipeline: Any,
    source: Any,
    epoch: int,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
    listeners: Sequence[Any],
    batch_rows: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any], str | None]:
    """Learn from every batch once; the row's times and loss, and why it stopped, if so.

    Losses stay where the final step left them (a GPU's memory) until the epoch's end, and
    are read back then at once; only listeners of ``batch_end`` get (and wait for) each.
    """
    n_samples = source.n_samples
    order = rng.permutation(n_samples) if shuffle else None
    learn, loss_attribute = plan.learn, plan.loss_attribute
    losses: list[Any] = []
    sizes: list[int] = []
    stop: str | None = None
    started = time.perf_counter()
    for batch, (X_batch, y_batch, size) in enumerate(source.batches(order, batch_size)):
        learn(X_batch, y_batch)
        sizes.append(size)
        loss = None
        if loss_attribute is not None:
            loss = source.read_loss()
            if listeners or isinstance(loss, float):  # a float costs nothing to check now
                loss = _finite(float(loss), plan, epoch, batch)
            losses.append(loss)
        if listeners:
            try:
                notify(
                    listeners,
                    "batch_end",
                    path="",
                    step=pipeline,
                    epoch=epoch,
                    batch=batch,
                    n_samples=size,
                    loss=loss,
                )
            except StopTraining as stopped:
                stop = str(stopped) or "StopTraining"
                break
    values = source.to_floats(losses) if loss_attribute is not None else [None] * len(sizes)
    for batch, (loss, size) in enumerate(zip(values, sizes, strict=True)):
        if loss is not None:
            _finite(loss, plan, epoch, batch)
        if batch_rows is not None:
            batch_rows.append({"epoch": epoch, "batch": batch, "n_samples": size, "loss": loss})
    seen = sum(sizes)
    row: dict[str, Any] = {"n_train": seen, "epoch_time": time.perf_counter() - started}
    if loss_attribute is not None:
        row["train_loss"] = (
            sum(loss * size for loss, size in zip(values, sizes, strict=True)) / seen
        )
    return row, stop


def _finite(loss: float, plan: Plan, epoch: int, batch: int) -> float:
    if not math.isfinite(loss):
        raise DivergedError(
            f"The training loss became {loss} at epoch {epoch}, batch {batch} (step "
            f"{plan.final_path or type(plan.final).__name__!r}). Lower the learning rate, "
            f"scale the inputs or clip the gradients; error.history holds the epochs "
            f"before this one."
        )
    return loss


def _evaluate(
    row: dict[str, Any],
    pipeline: Any,
    workbench: bool,
    scorers: Mapping[str, Any],
    train_metrics: bool,
    X: Any,
    y: Any,
    X_valid: Any,
    y_valid: Any,
) -> None:
    if not scorers or not (train_metrics or X_valid is not None):
        return
    if workbench:
        pipeline.eval()
    try:
        for name, scorer in scorers.items():
            if train_metrics:
                row[f"train_{name}"] = float(scorer(pipeline, X, y))
            if X_valid is not None:
                row[f"valid_{name}"] = float(scorer(pipeline, X_valid, y_valid))
    finally:
        if workbench:
            pipeline.train()


def _combine(
    previous: History | None,
    rows: list[dict[str, Any]],
    batch_rows: list[dict[str, Any]] | None,
    attrs: dict[str, Any],
) -> History:
    old_rows: list[Any] = [] if previous is None else previous.to_dict("records")
    old_batches: list[Any] = (
        previous.batches.to_dict("records")
        if previous is not None and previous.batches is not None
        else []
    )
    batches = None if batch_rows is None and not old_batches else old_batches + (batch_rows or [])
    return History.from_rows([*old_rows, *rows], batches=batches, attrs=attrs)
