"""The step contract: what the layers above the core may rely on in a Workbench step.

A view, a magic or the tuner recognises a Workbench step with :func:`is_workbench_step` (and a
composite, which can be mutated, with :func:`is_workbench_pipeline`), never by probing for
methods; :class:`WorkbenchStep` and :class:`WorkbenchPipeline` are the same contracts as
types, for annotations (``pipeline: WorkbenchPipeline`` rather than ``Any``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol, Self, runtime_checkable

from workbench.core import _tree
from workbench.core._mutation import Mutable


@runtime_checkable
class WorkbenchStep(Protocol):
    """A Workbench step: hyperparams and spaces by path, introspection and events.

    Every :class:`~workbench.Step` (a Pipeline, a Choose, any step written on the base)
    follows it; a plain scikit-learn estimator does not (it is a leaf inside one).
    """

    def get_hyperparams(self, *, nested: bool = False, active_only: bool = False) -> Any: ...

    def set_hyperparams(
        self, values: Mapping[str, Any] | None = None, /, **kwargs: Any
    ) -> Self: ...

    def get_hyperparams_space(self, *, nested: bool = False, active_only: bool = False) -> Any: ...

    def set_hyperparams_space(self, values: Any = None, /, **kwargs: Any) -> Self: ...

    def walk(self) -> Iterator[tuple[str, Any]]: ...

    def describe(self) -> dict[str, Any]: ...

    def fitted_attributes(self) -> dict[str, dict[str, Any]]: ...

    def add_callback(self, callback: Any) -> Self: ...

    def remove_callback(self, callback: Any) -> Self: ...


@runtime_checkable
class WorkbenchPipeline(WorkbenchStep, Protocol):
    """A Workbench composite (a Pipeline, a Choose, ...): a step whose named steps can be
    addressed, replaced, frozen and logged (see ``workbench.core._mutation``)."""

    @property
    def mutation_log(self) -> list[dict[str, Any]]: ...

    def __getitem__(self, key: Any) -> Any: ...

    def replace(self, path: str, step: Any) -> Self: ...

    def freeze(self, path: str) -> Self: ...

    def unfreeze(self, path: str) -> Self: ...

    def is_frozen(self, path: str) -> bool: ...


def is_workbench_step(value: object) -> bool:
    """Whether ``value`` is a Workbench step (an instance; the class ``Pipeline`` is not one).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Pipeline
    >>> is_workbench_step(Pipeline([("scale", StandardScaler())])), is_workbench_step(Pipeline)
    (True, False)
    >>> is_workbench_step(StandardScaler())
    False
    """
    return not isinstance(value, type) and _tree.is_workbench(value)


def is_workbench_pipeline(value: object) -> bool:
    """Whether ``value`` is a Workbench composite: a step with named steps that can be mutated.

    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Pipeline
    >>> is_workbench_pipeline(Pipeline([("scale", StandardScaler())]))
    True
    """
    return is_workbench_step(value) and isinstance(value, Mutable)
