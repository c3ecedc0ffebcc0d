"""The Workbench magics, parsed with IPython's ``magic_arguments`` (so ``%wb_tune?`` shows
help). Bad arguments raise a ``UsageError`` with the usage line; an unknown variable name says
which names of the right kind exist."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from workbench._internal.names import did_you_mean
from workbench.core.authoring import is_workbench_step
from workbench.exceptions import WorkbenchError


def _is_step(value: Any) -> bool:
    """A Workbench pipeline or step (an instance: the class ``Pipeline`` holds none)."""
    return is_workbench_step(value)


def _is_data(value: Any) -> bool:
    return hasattr(value, "__len__") and not isinstance(value, str | bytes | type)


def _usage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Add the usage line to argparse's complaint (IPython gives only the complaint)."""

    @functools.wraps(method)
    def wrapper(self: WorkbenchMagics, line: str = "") -> Any:
        try:
            return method(self, line)
        except UsageError as error:
            parser = method.parser  # type: ignore[attr-defined]
            usage = " ".join(parser.format_usage().replace("::", "").split())
            raise UsageError(f"{error}\nUsage: {usage}") from None

    wrapper.__doc__ = _plain_help(method.__doc__ or "")
    return wrapper


def _plain_help(doc: str) -> str:
    """IPython's help for a magic, without the reST ``::`` that ``magic_arguments`` puts
    before the usage line (``%wb_tune?`` shows it as it is)."""
    head, separator, rest = doc.partition("::\n\n")
    if separator and not head.strip():
        return "Usage:\n" + rest
    return doc


@magics_class
class WorkbenchMagics(Magics):
    """``%wb_inspect``, ``%wb_space``, ``%wb_mutate``, ``%wb_tune``, ``%wb_curves``,
    ``%wb_compare``, ``%wb_studies`` and ``%wb_runs``."""

    def _variable(self, name: str, accept: Callable[[Any], bool], what: str) -> Any:
        namespace = self.shell.user_ns if self.shell is not None else {}
        if name not in namespace:
            fitting = sorted(
                key
                for key, value in namespace.items()
                if not key.startswith("_") and accept(value)
            )
            hint = did_you_mean(name, fitting, cutoff=0.5)
            listed = ", ".join(fitting) if fitting else "none"
            raise UsageError(
                f"No variable named {name!r} in the notebook.{hint} Variables that hold "
                f"{what}: {listed}."
            )
        value = namespace[name]
        if not accept(value):
            raise UsageError(
                f"{name!r} holds a {type(value).__name__}, but {what} is expected here."
            )
        return value

    def _args(self, magic: str, line: str) -> Any:
        return parse_argstring(getattr(self, magic), line)

    def _pipeline(self, name: str) -> Any:
        return self._variable(name, _is_step, "Workbench pipelines or steps")

    def _data(self, name: str | None) -> Any:
        if name is None:
            return None
        return self._variable(name, _is_data, "data (arrays, DataFrames, lists)")

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument("pipeline", help="the name of a variable holding a Workbench pipeline or step")
    @argument("--path", default="", help="the step selected first, such as model__linear")
    def wb_inspect(self, line: str = "") -> Any:
        """Open the inspector on a pipeline: its tree, each step's hyperparams, space and
        fitted attributes, and an in-place hyperparameter editor."""
        from workbench.views import Inspector

        args = self._args("wb_inspect", line)
        pipeline = self._pipeline(args.pipeline)
        try:
            return Inspector(pipeline, path=args.path)
        except KeyError as error:
            raise UsageError(str(error.args[0])) from None

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument("pipeline", help="the name of a variable holding a Workbench pipeline or step")
    def wb_space(self, line: str = "") -> Any:
        """Open the space editor on a pipeline: edits go straight into its space."""
        from workbench.views import SpaceEditor

        args = self._args("wb_space", line)
        return SpaceEditor(self._pipeline(args.pipeline))

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument("pipeline", help="the name of a variable holding a Workbench pipeline")
    @argument("X", help="the name of the training inputs")
    @argument("y", nargs="?", default=None, help="the name of the training targets")
    @argument("--batch-size", type=int, default=64, help="samples per mini-batch (64)")
    def wb_mutate(self, line: str = "") -> Any:
        """Open the mutation panel: replace, freeze and unfreeze steps, run more epochs."""
        from workbench.views import MutationPanel

        args = self._args("wb_mutate", line)
        if args.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, but got {args.batch_size}.")
        return MutationPanel(
            self._pipeline(args.pipeline),
            self._data(args.X),
            self._data(args.y),
            batch_size=args.batch_size,
        )

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument("pipeline", help="the name of a variable holding a Workbench pipeline")
    @argument("X", help="the name of the training inputs")
    @argument("y", nargs="?", default=None, help="the name of the training targets")
    @argument("--trials", type=int, default=None, help="how many trials to run")
    @argument("--timeout", type=float, default=None, help="stop starting trials after seconds")
    def wb_tune(self, line: str = "") -> Any:
        """Open the tuning panel and start a study over the pipeline's space; returns at once
        (the study runs off the main thread; Stop and Resume are in the panel)."""
        args = self._args("wb_tune", line)
        if args.trials is not None and args.trials < 1:
            raise UsageError(f"--trials must be at least 1, but got {args.trials}.")
        if args.timeout is not None and args.timeout <= 0:
            raise UsageError(f"--timeout must be positive seconds, but got {args.timeout}.")
        from workbench.views import TuningPanel

        pipeline, X, y = self._pipeline(args.pipeline), self._data(args.X), self._data(args.y)
        try:  # the options and data are checked here, before any study exists
            panel = TuningPanel(pipeline, X, y, n_trials=args.trials, timeout=args.timeout)
        except WorkbenchError as error:
            raise UsageError(str(error)) from None
        panel.start()
        return panel

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument(
        "source",
        help="a variable holding a History or a Tuner, or the name of a run or study in the store",
    )
    def wb_curves(self, line: str = "") -> Any:
        """Draw learning curves of a History, a Tuner, or a run or study in the store."""
        from workbench.views import curves

        args = self._args("wb_curves", line)
        namespace = self.shell.user_ns if self.shell is not None else {}
        source = namespace.get(args.source, args.source)
        try:
            return curves(source)
        except (WorkbenchError, KeyError, ValueError) as error:
            raise UsageError(str(error.args[0] if error.args else error)) from None

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument("items", nargs="+", help="runs, studies (their best trial) or study#trial")
    @argument("--group-by", default=None, help="a hyperparam path: a mean and a band per value")
    @argument("--storage", default=None, help="the store (the configured stores if absent)")
    def wb_compare(self, line: str = "") -> Any:
        """Compare runs and trials side by side: curves, differing hyperparams, structure."""
        from workbench.views import compare

        args = self._args("wb_compare", line)
        try:
            return compare(*args.items, group_by=args.group_by, storage=args.storage)
        except (WorkbenchError, ValueError) as error:
            raise UsageError(str(error.args[0] if error.args else error)) from None

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument(
        "--storage", default=None, help="an Optuna storage URL (the default store if absent)"
    )
    def wb_studies(self, line: str = "") -> Any:
        """The tuning studies in the store, as a table (``%wb_runs`` lists the runs)."""
        args = self._args("wb_studies", line)
        return _listing(args.storage, "studies")

    @line_magic
    @_usage_errors
    @magic_arguments()
    @argument(
        "--storage", default=None, help="an Optuna storage URL (the default store if absent)"
    )
    def wb_runs(self, line: str = "") -> Any:
        """The recorded runs (``fit_epochs`` runs) in the store, as a table."""
        args = self._args("wb_runs", line)
        return _listing(args.storage, "runs")


def _listing(storage: str | None, what: str) -> Any:
    """The store's ``studies()`` or ``runs()`` table; a store that cannot be read is a
    UsageError with the store's message."""
    from workbench.store import open_store

    try:
        return getattr(open_store(storage, readonly=True), what)()
    except (WorkbenchError, ValueError) as error:
        raise UsageError(str(error.args[0] if error.args else error)) from None


def load_ipython_extension(ipython: Any) -> None:
    """Register the Workbench magics with ``ipython`` (what ``%load_ext workbench`` calls)."""
    ipython.register_magics(WorkbenchMagics)
