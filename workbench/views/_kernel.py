"""What the views need from the IPython kernel they run in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def after_each_cell(callback: Callable[[Any], None]) -> Callable[[], None] | None:
    """Call ``callback(result)`` after each cell an IPython kernel runs; return how to stop,
    or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    shell.events.register("post_run_cell", callback)
    return lambda: shell.events.unregister("post_run_cell", callback)
