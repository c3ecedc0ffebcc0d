"""Events: a callback base with no-op methods, and one ``notify()`` that delivers them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from optuna.exceptions import TrialPruned

from workbench.exceptions import CallbackError, StopTraining

_CONTROL_FLOW = (StopTraining, TrialPruned)

__all__ = ["EVENTS", "Callback", "notify"]

#: Every event the core and the training loop emit, in the order a fit meets them.
EVENTS = (
    "fit_begin",
    "epoch_begin",
    "batch_end",
    "step_fitted",
    "epoch_end",
    "fit_end",
    "hyperparams_changed",
    "space_changed",
    "mutated",
    "trial_begin",
    "trial_end",
)


class Callback:
    """Base class of callbacks: override the ``on_<event>`` methods you care about.

    Each method receives the event's data as keyword arguments; accept ``**data`` so that
    new keys never break a callback.

    Examples
    --------
    >>> class Printer(Callback):
    ...     def on_step_fitted(self, *, path, **data):
    ...         print("fitted", path)
    >>> notify([Printer()], "step_fitted", path="scale", step=None)
    fitted scale
    """

    #: True for a callback that draws the run's progress itself: then ``fit_epochs`` shows no
    #: progress bar of its own unless asked (``progress=True``).
    shows_progress: bool = False

    def on_fit_begin(self, **data: Any) -> None:
        """A fit (``fit``, ``partial_fit`` or an epoch run) starts."""

    def on_fit_end(self, **data: Any) -> None:
        """A fit ended."""

    def on_step_fitted(self, **data: Any) -> None:
        """One step of the tree finished fitting (``path``, ``step``)."""

    def on_epoch_begin(self, **data: Any) -> None:
        """An epoch starts (``epoch``)."""

    def on_epoch_end(self, **data: Any) -> None:
        """An epoch ended (``epoch``, ``row``: that epoch's statistics)."""

    def on_batch_end(self, **data: Any) -> None:
        """A mini-batch was learned (``epoch``, ``batch``, statistics)."""

    def on_hyperparams_changed(self, **data: Any) -> None:
        """Hyperparams changed (``values``: flat path -> new value)."""

    def on_space_changed(self, **data: Any) -> None:
        """The space changed (``values``: flat path -> distribution or None)."""

    def on_mutated(self, **data: Any) -> None:
        """The tree changed shape (``record``: the mutation log entry)."""

    def on_trial_begin(self, **data: Any) -> None:
        """A tuning trial starts."""

    def on_trial_end(self, **data: Any) -> None:
        """A tuning trial ended."""


def notify(callbacks: Iterable[Any], event: str, /, **data: Any) -> None:
    """Deliver ``event`` with ``data`` to each callback's ``on_<event>`` method.

    Every callback gets the event even when an earlier one raises; the first error is then
    raised as a :class:`~workbench.exceptions.CallbackError`. Callers notify only at points
    where the pipeline is consistent, so a failing callback never leaves it half-changed.
    Control flow (``StopTraining``, Optuna's ``TrialPruned``) is re-raised as it is, after
    every callback had the event.
    """
    method_name = "on_" + event
    first_error: tuple[Any, BaseException] | None = None
    for callback in callbacks:
        method = getattr(callback, method_name, None)
        if method is None:
            continue
        try:
            method(**data)
        except Exception as raised:
            if first_error is None:
                first_error = (callback, raised)
    if first_error is not None:
        failed, error = first_error
        if isinstance(error, _CONTROL_FLOW):
            raise error
        raise CallbackError(
            f"Callback {type(failed).__name__} raised {type(error).__name__} while handling "
            f"the {event!r} event: {error}. The pipeline was left consistent; fix or detach "
            f"the callback (remove_callback) and try again."
        ) from error


@dataclass(frozen=True)
class EventScope:
    """Where events of a fit go: the callbacks listening and the path prefix.

    ``nested`` scopes are opened by a composite for its children (their fits are parts of the
    parent's); a scope opened by :func:`listening` is not: the fits inside are runs of their
    own that also report to its callbacks.
    """

    callbacks: Sequence[Any]
    prefix: str
    nested: bool = True


_SCOPE: ContextVar[EventScope | None] = ContextVar("workbench_event_scope", default=None)


def current_scope() -> EventScope | None:
    """The scope of the fit in progress in this context, if any."""
    return _SCOPE.get()


@contextlib.contextmanager
def event_scope(callbacks: Sequence[Any], prefix: str) -> Iterator[EventScope]:
    """Make nested steps emit into ``callbacks`` with paths under ``prefix``."""
    scope = EventScope(callbacks, prefix)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


@contextlib.contextmanager
def listening(callbacks: Sequence[Any]) -> Iterator[EventScope]:
    """Every fit and epoch run started in this block (in this context) also reports to
    ``callbacks``, and each stays a run of its own (``fit_begin`` ... ``fit_end``).

    A tuning trial runs inside one, so that a view attached once to a Tuner hears the trial
    events and the epochs of every trial. Scopes nest: the outer callbacks keep listening.

    Examples
    --------
    >>> class Count(Callback):
    ...     fits = 0
    ...     def on_fit_begin(self, **data):
    ...         self.fits += 1
    >>> count = Count()
    >>> with listening([count]):
    ...     notify(current_scope().callbacks, "fit_begin", path="")
    >>> count.fits
    1
    """
    outer = _SCOPE.get()
    if outer is None:
        scope = EventScope(tuple(callbacks), "", nested=False)
    else:
        scope = EventScope((*outer.callbacks, *callbacks), outer.prefix, outer.nested)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
