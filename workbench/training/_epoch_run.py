"""One epoch run, in named parts: ``fit`` -> ``fit_loop`` -> ``run_single_epoch`` ->
``learn_batches`` -> ``train_step`` (after skorch's ``fit_loop`` -> ``run_single_epoch`` ->
``train_step``), and how the run ends: released, restored and recorded.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterator
from typing import Any

from optuna import TrialPruned

from workbench.core import Callback
from workbench.core.authoring import current_scope, notify
from workbench.exceptions import DivergedError, StopTraining
from workbench.store import History
from workbench.training._batches import batch_source
from workbench.training._checkpoint import EpochCheckpoint, plain_state
from workbench.training._lifecycle import RunResources
from workbench.training._options import RunOptions
from workbench.training._plan import Plan, compile_plan, prepare
from workbench.training._snapshot import Snapshot


def _hears_batches(listener: Any) -> bool:
    """Whether ``listener`` does anything on ``batch_end`` (the base Callback's does not)."""
    method = getattr(listener, "on_batch_end", None)
    return method is not None and getattr(method, "__func__", None) is not Callback.on_batch_end


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


class EpochRun:
    """One ``fit_epochs`` call on ``pipeline`` with checked ``options``."""

    def __init__(self, pipeline: Any, options: RunOptions):
        self.pipeline, self.options, self.plan = pipeline, options, options.plan
        self.workbench = hasattr(pipeline, "train") and hasattr(pipeline, "setup")
        self.was_training = bool(getattr(pipeline, "training", False))
        stopper = options.early_stopping
        scope = current_scope()  # a tuning trial's listeners hear its epochs too
        self.listeners: tuple[Any, ...] = (
            *(scope.callbacks if scope is not None else ()),
            *(getattr(pipeline, "callbacks", ()) if self.workbench else ()),
            *options.callbacks,
            *((stopper,) if stopper is not None else ()),
        )
        self.batch_listeners = self.listeners if any(map(_hears_batches, self.listeners)) else ()
        previous = options.history
        self.first_epoch = (
            1 if previous is None or previous.empty else int(previous["epoch"].max()) + 1
        )
        self.seen_mutations = (
            len(getattr(pipeline, "mutation_log", ()))
            if previous is None
            else int(previous.attrs.get("mutation_count", 0))
        )
        self.rows: list[dict[str, Any]] = []
        self.batch_rows: list[dict[str, Any]] | None = [] if options.record_batches else None
        self.attrs: dict[str, Any] = {"stop_reason": None}
        if options.done and previous is not None:  # a resumed run that had stopped early
            self.attrs["stop_reason"] = previous.attrs.get("stop_reason")
        self.resources = RunResources(pipeline)
        self.source: Any = None
        self.source_steps: list[int] = []

    # -- the run and how it ends -----------------------------------------------------------
    def fit(self) -> History:
        """Run every epoch; whichever way the run ends, release what it set up first."""
        before = Snapshot(self.pipeline)  # a failed run leaves the steps as they were
        try:
            result = self.fit_loop()
        except BaseException as error:
            self.fail(error, before)
            raise
        finally:
            del before  # the modules it held go now, even while a traceback lives on
            if self.workbench:
                self.pipeline.train(self.was_training)
        errors = self.release()
        if errors:
            errors[0].history = result  # type: ignore[attr-defined]
            raise errors[0]
        return result

    def release(self) -> list[BaseException]:
        """Give back the run's data on a device and every resource the run set up."""
        if self.source is not None:
            self.source.release()
            self.source = None
        return self.resources.release()

    def fail(self, error: BaseException, before: Snapshot) -> None:
        """Release, then put the steps back as they were (unless the run was interrupted or
        pruned: that keeps the training so far), then record the failed run."""
        with contextlib.suppress(Exception):
            error.history = self.history()  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):
            self.release()
        if isinstance(error, Exception) and not isinstance(error, TrialPruned):
            before.restore()
        if self.options.recorder is not None:
            with contextlib.suppress(Exception):
                self.options.recorder(self.pipeline, self.history(), error)

    def history(self) -> History:
        """The History so far: the continued one's rows, then this run's."""
        attrs = {**self.attrs, "mutation_count": self.seen_mutations}
        previous = self.options.history
        old_rows: list[Any] = [] if previous is None else previous.to_dict("records")
        old_batches: list[Any] = (
            previous.batches.to_dict("records")
            if previous is not None and previous.batches is not None
            else []
        )
        new_batches = self.batch_rows
        batches = None if new_batches is None and not old_batches else old_batches
        if new_batches is not None:
            batches = [*old_batches, *new_batches]
        return History.from_rows([*old_rows, *self.rows], batches=batches, attrs=attrs)

    # -- the loop ----------------------------------------------------------------------------
    def fit_loop(self) -> History:
        """Set up, run the epochs until the last one or a stop, and end the run."""
        self.begin()
        epochs = self.options.epochs
        with _progress(self.shows_progress(), epochs) as bar:
            for epoch in range(self.first_epoch, self.first_epoch + epochs):
                stop = self.run_single_epoch(epoch, bar)
                self.save_checkpoint(epoch, stop)
                if stop:
                    break
        if self.options.early_stopping is not None:
            self.attrs["best_epoch"] = self.options.early_stopping.best_epoch
        result = self.history()
        if self.options.recorder is not None:
            self.options.recorder(self.pipeline, result)
        self.notify("fit_end", kind="epochs", history=result)
        return result

    def save_checkpoint(self, epoch: int, stop: bool) -> None:
        """Hand the run's state after ``epoch`` to the ``checkpoint`` callable, if any."""
        options = self.options
        if options.checkpoint is None:
            return
        done = options.done + epoch - self.first_epoch + 1
        options.checkpoint(
            EpochCheckpoint(
                epoch=epoch,
                done=done,
                epochs=options.done + options.epochs,
                history=self.history(),
                random_state=options.random_state,
                shuffle_state=plain_state(options.rng),
            )
        )

    def begin(self) -> None:
        """Set the tree up in train mode, prepare the plan and the batches, say so."""
        pipeline, plan, data = self.pipeline, self.plan, self.options.data
        self.resources.setup()
        if self.workbench:
            pipeline.train()
        plan.classes = prepare(plan, pipeline, data.y)
        self.source = batch_source(plan, data.X, data.y)
        self.source_steps = list(map(id, plan.steps))
        self.notify(
            "fit_begin",
            kind="epochs",
            epochs=self.options.epochs,
            n_samples=data.n_samples,
            statistics=self.options.statistics,
        )

    def shows_progress(self) -> bool:
        """A tqdm bar: as asked, else where interactive and no callback draws progress."""
        if self.options.progress is not None:
            return bool(self.options.progress)
        drawn = any(getattr(listener, "shows_progress", False) for listener in self.listeners)
        return _interactive() and not drawn

    def notify(self, event: str, **data: Any) -> None:
        if self.listeners:
            notify(self.listeners, event, path="", step=self.pipeline, **data)

    def refresh_plan(self, epoch: int) -> str | None:
        """Recompile the plan (the tree may have changed between epochs); the mutations
        since the last epoch, as text, or None."""
        mutation, self.seen_mutations = _mutation_text(self.pipeline, self.seen_mutations)
        if mutation is None and epoch == self.first_epoch:
            return None
        pipeline, y = self.pipeline, self.options.data.y
        classes = self.plan.classes
        self.plan = compile_plan(pipeline)
        self.plan.classes = classes if mutation is None else prepare(self.plan, pipeline, y)
        if list(map(id, self.plan.steps)) != self.source_steps or mutation is not None:
            self.source.release()
            self.source = batch_source(self.plan, self.options.data.X, y)
            self.source_steps = list(map(id, self.plan.steps))
        return mutation

    def run_single_epoch(self, epoch: int, bar: Any) -> bool:
        """Learn, evaluate and report one epoch; whether the run stops after it."""
        mutation = self.refresh_plan(epoch)
        try:
            self.notify("epoch_begin", epoch=epoch)
            learned, stop = self.learn_batches(epoch)
        except StopTraining as stop_before:
            self.attrs["stop_reason"] = str(stop_before) or "StopTraining"
            return True
        row = {
            "epoch": epoch,
            "phase": self.options.phase,
            "mutation": mutation,
            "n_train": learned.pop("n_train"),
            "n_valid": self.options.data.n_valid,
            **learned,
        }
        self.evaluate(row)
        self.rows.append(row)
        if bar is not None:
            statistics = {k: v for k, v in row.items() if k.startswith(("train_", "valid_"))}
            bar.set_postfix(statistics, refresh=False)
            bar.update(1)
        try:
            self.notify("epoch_end", epoch=epoch, row=row)
        except StopTraining as stop_after:
            stop = stop or str(stop_after) or "StopTraining"
        if stop:
            self.attrs["stop_reason"] = stop
        return bool(stop)

    def learn_batches(self, epoch: int) -> tuple[dict[str, Any], str | None]:
        """Learn from every batch once; the row's times and loss, and why it stopped, if so.

        Losses stay where the final step left them (a GPU's memory) until the epoch's end,
        and are read back then at once; only listeners of ``batch_end`` get (and wait for)
        each.
        """
        source, options = self.source, self.options
        order = options.rng.permutation(source.n_samples) if options.shuffle else None
        losses: list[Any] = []
        sizes: list[int] = []
        stop: str | None = None
        started = time.perf_counter()
        for batch, (X_batch, y_batch, size) in enumerate(
            source.batches(order, options.batch_size)
        ):
            stop = self.train_step(epoch, batch, X_batch, y_batch, size, losses)
            sizes.append(size)
            if stop is not None:
                break
        train_loss = self.read_losses(epoch, losses, sizes)  # waits for a device's work
        row: dict[str, Any] = {"n_train": sum(sizes)}
        row["epoch_time"] = time.perf_counter() - started
        if train_loss is not None:
            row["train_loss"] = train_loss
        return row, stop

    def train_step(
        self, epoch: int, batch: int, X_batch: Any, y_batch: Any, size: int, losses: list[Any]
    ) -> str | None:
        """Learn from one mini-batch and tell ``batch_end`` listeners; why to stop, if so."""
        plan, listeners = self.plan, self.batch_listeners
        plan.learn(X_batch, y_batch)
        loss = None
        if plan.loss_attribute is not None:
            loss = self.source.read_loss()
            if listeners or isinstance(loss, float):  # a float costs nothing to check now
                loss = _finite(float(loss), plan, epoch, batch)
            losses.append(loss)
        if listeners:
            try:
                self.notify("batch_end", epoch=epoch, batch=batch, n_samples=size, loss=loss)
            except StopTraining as stopped:
                return str(stopped) or "StopTraining"
        return None

    def read_losses(self, epoch: int, losses: list[Any], sizes: list[int]) -> float | None:
        """Read an epoch's losses back, check each, keep batch rows; the mean loss."""
        measured = self.plan.loss_attribute is not None
        values = self.source.to_floats(losses) if measured else [None] * len(sizes)
        for batch, (loss, size) in enumerate(zip(values, sizes, strict=True)):
            if loss is not None:
                _finite(loss, self.plan, epoch, batch)
            if self.batch_rows is not None:
                self.batch_rows.append(
                    {"epoch": epoch, "batch": batch, "n_samples": size, "loss": loss}
                )
        if not measured:
            return None
        return sum(loss * size for loss, size in zip(values, sizes, strict=True)) / sum(sizes)

    def evaluate(self, row: dict[str, Any]) -> None:
        """Score the metrics on the training and validation data, in eval mode."""
        options, data, pipeline = self.options, self.options.data, self.pipeline
        if not options.scorers or not (options.train_metrics or data.validating):
            return
        if self.workbench:
            pipeline.eval()
        try:
            for name, scorer in options.scorers.items():
                if options.train_metrics:
                    row[f"train_{name}"] = float(scorer(pipeline, data.X, data.y))
                if data.validating:
                    row[f"valid_{name}"] = float(scorer(pipeline, data.X_valid, data.y_valid))
        finally:
            if self.workbench:
                pipeline.train()


def _finite(loss: float, plan: Plan, epoch: int, batch: int) -> float:
    if not math.isfinite(loss):
        raise DivergedError(
            f"The training loss became {loss} at epoch {epoch}, batch {batch} (step "
            f"{plan.final_path or type(plan.final).__name__!r}). Lower the learning rate, "
            f"scale the inputs or clip the gradients; error.history holds the epochs "
            f"before this one."
        )
    return loss
