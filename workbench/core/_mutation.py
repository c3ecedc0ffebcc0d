"""Mutation: change a pipeline's structure by path, keeping what is fitted, with a log.

``pipe.replace(path, step)``, ``insert``, ``remove``, ``freeze``, ``unfreeze`` and
``is_frozen`` act on the step at a path (``encoder__pca``) through its parent; each change is
checked before anything moves (a refused change leaves the pipeline exactly as it was), is
recorded in ``mutation_log`` (plain dicts, saved with the pipeline and with each run) and is
announced as a ``mutated`` event. :class:`Mutable` holds all of it; every composite is one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Self

from workbench._internal.names import did_you_mean
from workbench.core import _tree
from workbench.core._introspection import is_fitted
from workbench.core._paths import SEPARATOR, check_step_names
from workbench.exceptions import NotFittedError, StructureError, UnknownPathError


def class_name(step: Any) -> str:
    """The name a log and a diagram give ``step``: its class, or ``passthrough``."""
    return "passthrough" if _tree.is_passthrough(step) else type(step).__name__


def _transforms(step: Any) -> bool:
    """Whether ``step`` hands data on to a next step (passthrough does, as it is)."""
    return _tree.is_passthrough(step) or any(
        hasattr(step, method) for method in ("transform", "fit_transform", "fit_resample")
    )


class Mutable:
    """The mutation methods of a composite (mixed into ``Composite``).

    A composite provides ``named_children()``, ``_child(name)``, ``_set_child``,
    ``_insert_child``, ``_remove_child``, ``_own_param_names()``, ``_child_must_transform``
    and ``_emit``; this class changes them by path and keeps the log.
    """

    _frozen_children: frozenset[str] = frozenset()
    _foreign_spaces: dict[str, Any] | None = None
    _mutation_log: tuple[dict[str, Any], ...] = ()

    if TYPE_CHECKING:  # what a composite provides (Composite and Step define them)

        def named_children(self) -> list[tuple[str, Any]]:
            raise NotImplementedError

        def _child(self, name: str) -> Any:
            raise NotImplementedError

        def _set_child(self, name: str, step: Any) -> None:
            raise NotImplementedError

        def _insert_child(self, name: str, step: Any, index: int) -> None:
            raise NotImplementedError

        def _remove_child(self, name: str) -> None:
            raise NotImplementedError

        @classmethod
        def _own_param_names(cls) -> tuple[str, ...]:
            raise NotImplementedError

        def _emit(self, event: str, /, **data: Any) -> None:
            raise NotImplementedError

    def _fixed_children(self) -> str | None:
        """Why children cannot be inserted or removed here, or None where they can."""
        return None

    def _child_must_transform(self, name: str) -> bool:
        """Whether the child ``name`` must hand data on (a step follows it in this composite)."""
        return False

    # -- the log ---------------------------------------------------------------------------------
    @property
    def mutation_log(self) -> list[dict[str, Any]]:
        """Every mutation made through this composite, oldest first, as plain dicts."""
        return [dict(record) for record in self._mutation_log]

    def _record(self, op: str, path: str, **details: Any) -> dict[str, Any]:
        record = {
            "index": len(self._mutation_log),
            "op": op,
            "path": path,
            "time": time.time(),
            **details,
        }
        self._mutation_log = (*self._mutation_log, record)
        self._emit("mutated", path=path, step=self, record=dict(record))
        return record

    # -- finding the parent --------------------------------------------------------------------
    def _mutable_parent(self, path: str) -> tuple[Mutable, str]:
        if not isinstance(path, str) or not path:
            raise UnknownPathError(f"A mutation needs the path of a step, but got {path!r}.")
        head, _, name = path.rpartition(SEPARATOR)
        try:
            parent = _tree.resolve_step(self, head).step
        except UnknownPathError as error:
            raise UnknownPathError(f"Cannot change {path!r}: {error}") from None
        if not isinstance(parent, Mutable):
            raise StructureError(
                f"{head!r} is a {type(parent).__name__}, which holds no named steps; "
                f"{path!r} cannot be changed."
            )
        return parent, name

    def _must_transform(self, path: str) -> str | None:
        """The step after ``path``'s position, where one follows it (so a step there must
        transform), else None."""
        parts = path.split(SEPARATOR)
        node: Any = self
        followed: str | None = None
        for depth, name in enumerate(parts):
            if node._child_must_transform(name):
                names = [key for key, _ in node.named_children()]
                followed = SEPARATOR.join([*parts[:depth], names[names.index(name) + 1]])
            node = node._child(name)
        return followed

    # -- the changes ---------------------------------------------------------------------------
    def replace(self, path: str, step: Any) -> Self:
        """Put ``step`` at ``path`` in place of the step there; every other step keeps its
        fitted state. The old step's frozen flag and space overrides go with it.

        A step followed by another must transform (a classifier cannot feed the head): such a
        replacement raises :class:`~workbench.exceptions.StructureError` and changes nothing.
        """
        parent, name = self._mutable_parent(path)
        old = parent._child(name)
        followed = self._must_transform(path)
        if followed is not None and not _transforms(step):
            raise StructureError(
                f"Cannot put {class_name(step)} at {path!r}: {followed!r} comes after it and "
                f"learns from its output, but {class_name(step)} has no transform(). Put a "
                f"transformer (or 'passthrough') there, or replace the last step instead."
            )
        parent._set_child(name, step)
        parent._forget_child(name)
        self._record("replace", path, old=class_name(old), new=class_name(step))
        return self

    def insert(
        self, path: str, step: Any, *, before: str | None = None, after: str | None = None
    ) -> Self:
        """Add ``step`` at ``path`` (its last name is the new step's name), at the end of its
        parent or ``before``/``after`` a sibling named there."""
        parent, name = self._mutable_parent(path)
        names = [key for key, _ in parent.named_children()]
        check_step_names(type(parent).__name__, [*names, name], reserved=parent._own_param_names())
        if before is not None and after is not None:
            raise StructureError("Pass at most one of before= and after=, not both.")
        index = len(names)
        sibling = before if before is not None else after
        if sibling is not None:
            if sibling not in names:
                raise UnknownPathError(
                    f"Cannot insert {path!r} next to {sibling!r}: no such sibling; the steps "
                    f"there are {names}.{did_you_mean(sibling, names)}"
                )
            index = names.index(sibling) + (1 if after is not None else 0)
        parent._insert_child(name, step, index)
        self._record("insert", path, new=class_name(step), position=index)
        return self

    def remove(self, path: str) -> Self:
        """Take the step at ``path`` out of its parent."""
        parent, name = self._mutable_parent(path)
        old = parent._child(name)
        fixed = parent._fixed_children()
        if fixed is not None:
            raise StructureError(fixed)
        if len(parent.named_children()) == 1:
            raise StructureError(
                f"Cannot remove {path!r}: it is the only step of its parent. Replace it instead."
            )
        parent._remove_child(name)
        parent._forget_child(name)
        self._record("remove", path, old=class_name(old))
        return self

    def freeze(self, path: str) -> Self:
        """Keep the fitted step at ``path`` as it is: later fits only use it to transform."""
        parent, name = self._mutable_parent(path)
        step = parent._child(name)
        if not is_fitted(step):
            raise NotFittedError(
                f"Cannot freeze {path!r}: {class_name(step)} is not fitted. Fit it (or the "
                f"pipeline) first, then freeze it."
            )
        parent._frozen_children = parent._frozen_children | {name}
        if _tree.is_workbench(step):
            step.set_frozen(True)
        self._record("freeze", path, step_class=class_name(step))
        return self

    def unfreeze(self, path: str) -> Self:
        """Let later fits train the step at ``path`` again."""
        parent, name = self._mutable_parent(path)
        step = parent._child(name)
        parent._frozen_children = parent._frozen_children - {name}
        if _tree.is_workbench(step):
            step.set_frozen(False)
        self._record("unfreeze", path, step_class=class_name(step))
        return self

    def is_frozen(self, path: str) -> bool:
        """Whether the step at ``path`` is frozen."""
        parent, name = self._mutable_parent(path)
        parent._child(name)
        return parent._is_child_frozen(name)

    def _is_child_frozen(self, name: str) -> bool:
        return name in self._frozen_children

    def _forget_child(self, name: str) -> None:
        self._frozen_children = self._frozen_children - {name}
        if self._foreign_spaces and name in self._foreign_spaces:
            self._foreign_spaces = {k: v for k, v in self._foreign_spaces.items() if k != name}
