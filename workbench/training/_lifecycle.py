"""The resources an epoch run sets up, released whichever way the run ends."""

from __future__ import annotations

from typing import Any


def _lifecycle_steps(root: Any) -> list[Any]:
    """``root`` and every step under it that has a lifecycle, parents before children."""
    if not (hasattr(root, "setup") and hasattr(root, "teardown")):
        return []
    found = [root]
    if hasattr(root, "walk"):
        found += [step for _, step in root.walk() if hasattr(step, "teardown")]
    return found


def _descendants(step: Any) -> list[Any]:
    return [child for _, child in step.walk()] if hasattr(step, "walk") else []


class RunResources:
    """What a run sets up, and the one way to give it back.

    The steps set up before the run (by the user, ``with pipe:``) stay set up; every other
    step the run set up (the whole tree at its start, and steps a mutation brought in during
    the run) is torn down by :meth:`release`, children before parents, through every
    composite, before the run restores the pipeline's former state or returns.
    """

    def __init__(self, root: Any):
        self.root = root
        self.steps = _lifecycle_steps(root)
        self.kept = {id(step) for step in self.steps if getattr(step, "is_set_up", False)}

    def setup(self) -> None:
        if self.steps:
            self.root.setup()

    def release(self) -> list[BaseException]:
        """Tear down what the run set up; the errors of steps that failed to let go."""
        errors: list[BaseException] = []
        seen: set[int] = set()
        ordered = [*self.steps, *_lifecycle_steps(self.root)]  # the tree may have changed
        for step in reversed(ordered):
            if id(step) in seen or id(step) in self.kept:
                continue
            seen.add(id(step))
            if not getattr(step, "is_set_up", False):
                continue
            if any(id(child) in self.kept for child in _descendants(step)):
                continue  # its own children, set up before the run, stay; the others go alone
            try:
                step.teardown()
            except Exception as error:
                errors.append(error)
        return errors
