"""EventRecorder: a callback that keeps every event it hears, for tests."""

from __future__ import annotations

from typing import Any

from workbench.core import Callback


class EventRecorder(Callback):
    """Records every event as ``(name, data)``, in order.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from workbench import Pipeline
    >>> recorder = EventRecorder()
    >>> _ = Pipeline([("ridge", Ridge())]).fit([[0.0], [1.0]], [0.0, 1.0], callbacks=[recorder])
    >>> recorder.names()
    ['fit_begin', 'step_fitted', 'fit_end']
    """

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_"):
            events = object.__getattribute__(self, "events")
            return lambda **data: events.append((name[3:], data))
        return object.__getattribute__(self, name)

    def names(self) -> list[str]:
        """The names of the events heard, in order."""
        return [name for name, _ in self.events]
