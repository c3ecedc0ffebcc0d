"""Wrapper: a composite holding a fixed set of steps in attributes (TrainOnly, ForEach, ...)."""

from __future__ import annotations

from typing import Any, ClassVar

from workbench.core._composite import Composite
from workbench.core._default_spaces import constructor_params
from workbench.core._fitting import delegate_tags
from workbench.core._introspection import is_fitted
from workbench.exceptions import StructureError


class Wrapper(Composite):
    """Base of composites holding a fixed set of steps in attributes (``step`` by default).

    ``_child_attributes`` names them in order; they are replaced by path like any step, but
    never inserted or removed. Fitted when all of them are; scikit-learn tags come from
    ``step`` when there is one.
    """

    _children_param = "step"
    _child_attributes: ClassVar[tuple[str, ...]] = ("step",)
    _delegates_input_tags: ClassVar[bool] = False  # True where X goes to ``step`` as it is

    def named_children(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in self._child_attributes]

    def _check_children(self) -> list[tuple[str, Any]]:
        return self.named_children()

    @classmethod
    def _own_param_names(cls) -> tuple[str, ...]:
        return tuple(name for name in constructor_params(cls) if name not in cls._child_attributes)

    def _set_child(self, name: str, step: Any) -> None:
        setattr(self, name, step)

    def _insert_child(self, name: str, step: Any, index: int) -> None:
        raise StructureError(self._fixed_message())

    def _remove_child(self, name: str) -> None:
        raise StructureError(self._fixed_message())

    def _fixed_children(self) -> str | None:
        return self._fixed_message()

    def _fixed_message(self) -> str:
        held = ", ".join(repr(name) for name in self._child_attributes)
        return (
            f"{type(self).__name__} holds a fixed set of steps ({held}); replace one instead of "
            f"inserting or removing."
        )

    def __sklearn_is_fitted__(self) -> bool:
        return all(is_fitted(step) for _, step in self.named_children())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if "step" not in self._child_attributes:
            return tags
        return delegate_tags(tags, self.step, input_tags=self._delegates_input_tags)
