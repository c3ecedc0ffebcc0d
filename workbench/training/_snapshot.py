"""The learned state of a tree's leaf steps, taken before an epoch run and put back if it fails."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from workbench.core.authoring import Composite

_NOT_LEARNED = frozenset({"_callbacks"})  # listeners (views with widgets): kept, never copied


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # a resource (a lock, a handle): not learned state, kept as it is
        return value


def copy_learned(attributes: dict[str, Any]) -> dict[str, Any]:
    """A copy of a step's attributes; listeners and resources (a handle, a lock) kept as they
    are, since they are no learned state."""
    return {
        name: value if name in _NOT_LEARNED else _copy(value) for name, value in attributes.items()
    }


class Snapshot:
    """Every leaf step's attributes as they are now; :meth:`restore` puts them back in place.

    Steps keep their identity (what a user holds, ``pipe["scale"]``, stays the pipeline's). A
    fitted TorchStep is kept through its ``state_dict()`` (tensors copied to the CPU), so a run
    on a device does not hold a second copy of the module there.
    """

    def __init__(self, root: Any):
        leaves = [root]
        if isinstance(root, Composite):
            leaves = [step for _, step in root.walk() if not isinstance(step, Composite)]
        self.saved: list[tuple[Any, dict[str, Any], Any]] = []
        for step in leaves:
            if not hasattr(step, "__dict__"):  # passthrough (None, "passthrough")
                continue
            torch_state = None
            if hasattr(step, "load_state_dict") and hasattr(step, "module_"):
                with contextlib.suppress(Exception):  # else copied as any other step
                    torch_state = step.state_dict()
            attributes = dict(vars(step)) if torch_state is not None else copy_learned(vars(step))
            self.saved.append((step, attributes, torch_state))

    def restore(self) -> None:
        for step, attributes, torch_state in self.saved:
            vars(step).clear()
            vars(step).update(attributes)
            if torch_state is not None:
                was_set_up = step.is_set_up
                step.load_state_dict(torch_state)  # which sets the step up on its device
                if not was_set_up:
                    step.teardown()  # as it was before the run: holding no device memory
