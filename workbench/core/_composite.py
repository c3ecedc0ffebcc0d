"""Composite: a step made of named sub-steps (Pipeline, Choose, TrainOnly, ...).

It owns what belongs to the links between a parent and its children: scikit-learn's nested
``get_params``/``set_params``, the spaces of plain scikit-learn children, frozen children and
addressing by path. Mutation by path, with its log, is in ``_mutation``; the frame of a fit and
the pieces every composite's fit shares are in ``_fitting``; ``Wrapper`` is in ``_wrapper``.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Self

from optuna.distributions import BaseDistribution

from workbench._internal.names import did_you_mean
from workbench.core import _tree
from workbench.core._default_spaces import constructor_params
from workbench.core._fitting import FitEmitter, MinibatchRoute, fit_frame
from workbench.core._mutation import Mutable, class_name
from workbench.core._paths import SEPARATOR, check_step_names
from workbench.core._step import Step
from workbench.exceptions import StructureError, UnknownPathError


class Composite(Mutable, Step):
    """Base of steps made of named sub-steps.

    Subclasses name the constructor parameter that holds the children in ``_children_param``
    (a list of ``(name, step)`` pairs, or a single step for wrappers that override
    :meth:`named_children` and :meth:`_set_child`).
    """

    _children_param: ClassVar[str] = "steps"
    _diagram_layout: ClassVar[str] = "serial"  # how scikit-learn's HTML display lays children out
    _foreign_spaces: dict[str, dict[str, BaseDistribution | None]] | None = None

    # -- children ------------------------------------------------------------------------
    def named_children(self) -> list[tuple[str, Any]]:
        """The direct sub-steps as ``(name, step)`` pairs, checked: well-formed, unique names."""
        return self._check_children()

    def _check_children(self) -> list[tuple[str, Any]]:
        pairs = getattr(self, self._children_param)
        if not isinstance(pairs, list | tuple) or not all(
            isinstance(pair, list | tuple) and len(pair) == 2 for pair in pairs
        ):
            raise StructureError(
                f"{type(self).__name__}'s {self._children_param!r} must be a list of "
                f"(name, step) pairs, but got {pairs!r}."
            )
        names = [name for name, _ in pairs]
        check_step_names(type(self).__name__, names, reserved=self._own_param_names())
        return [(name, step) for name, step in pairs]

    @classmethod
    def _own_param_names(cls) -> tuple[str, ...]:
        """Constructor parameters other than the children (inspected once per class: doing it
        on every fit would cost more than the rest of the fit's bookkeeping)."""
        return tuple(name for name in constructor_params(cls) if name != cls._children_param)

    def _set_child(self, name: str, step: Any) -> None:
        pairs = [(key, step if key == name else value) for key, value in self.named_children()]
        setattr(self, self._children_param, pairs)

    def _insert_child(self, name: str, step: Any, index: int) -> None:
        pairs = self.named_children()
        pairs.insert(index, (name, step))
        setattr(self, self._children_param, pairs)

    def _remove_child(self, name: str) -> None:
        pairs = [(key, value) for key, value in self.named_children() if key != name]
        setattr(self, self._children_param, pairs)

    def _child_must_transform(self, name: str) -> bool:
        """In a serial composite (a Pipeline), every child but the last feeds the next."""
        if self._diagram_layout != "serial":
            return False
        names = [key for key, _ in self.named_children()]
        return name in names and name != names[-1]

    def _child(self, name: str) -> Any:
        for key, step in self.named_children():
            if key == name:
                return step
        names = [key for key, _ in self.named_children()]
        raise UnknownPathError(
            f"{type(self).__name__} has no step {name!r}; its steps are {names}."
            f"{did_you_mean(name, names)}"
        )

    def _own_hyperparams(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._own_param_names()}

    # -- learning by mini-batch (the hooks of the contract in ``_minibatch``) -------------------
    def partial_fit_children(self) -> list[tuple[str, Any]]:
        """The children that learn when this composite learns from a mini-batch: all of them,
        unless a subclass says otherwise (a label transform fitted once, a mode that keeps
        nothing between batches). Each must have ``partial_fit`` or be frozen."""
        return self.named_children()

    def minibatch_route(self) -> MinibatchRoute | None:
        """How a compiled mini-batch run (``fit_epochs``) passes a batch through this composite.

        None (the default): the composite learns from a batch by its own ``partial_fit``. A
        composite that only hands batches on to its children (a Pipeline, a Choose) returns
        them in a :class:`MinibatchRoute`, so that the run calls the children directly.
        """
        return None

    # -- scikit-learn parameters -----------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=False)
        if not deep:
            return params
        try:
            children = self.named_children()
        except (TypeError, ValueError):
            return params
        for name, step in children:
            params[name] = step
            if hasattr(step, "get_params") and not isinstance(step, type):
                for key, value in step.get_params(deep=True).items():
                    params[f"{name}{SEPARATOR}{key}"] = value
        return params

    def set_params(self, **params: Any) -> Self:
        if not params:
            return self
        own = self._own_param_names()
        for key in [self._children_param, *own]:
            if key in params:  # set as they are: checked at first use, as scikit-learn asks
                setattr(self, key, params.pop(key))
        if not params:
            return self
        names = [name for name, _ in self.named_children()]
        nested: dict[str, dict[str, Any]] = {}
        for key in list(params):
            if key in names:
                self._set_child(key, params.pop(key))
        for key, value in params.items():
            head, separator, rest = key.partition(SEPARATOR)
            if separator and head in names:
                nested.setdefault(head, {})[rest] = value
            else:
                valid = sorted(self.get_params(deep=True))
                raise UnknownPathError(
                    f"Invalid parameter {key!r} for {type(self).__name__}."
                    f"{did_you_mean(key, valid)} Valid parameters are: {valid}."
                )
        for name, values in nested.items():
            self._child(name).set_params(**values)
        return self

    # -- spaces of plain scikit-learn children ----------------------------------------------
    def _foreign_space_overrides(self, name: str) -> dict[str, BaseDistribution | None]:
        return (self._foreign_spaces or {}).get(name, {})

    def _set_foreign_space_override(
        self, name: str, param: str, distribution: BaseDistribution | None
    ) -> None:
        spaces = copy.copy(self._foreign_spaces or {})
        spaces[name] = {**spaces.get(name, {}), param: distribution}
        self._foreign_spaces = spaces

    def __sklearn_clone__(self) -> Self:
        """An unfitted copy, except that frozen steps stay fitted and frozen.

        A frozen step is fixed, its fitted state included (a pre-trained encoder): the copies
        that a tuner or a cross-validation makes keep it, as scikit-learn's
        ``FrozenEstimator`` does. Each copy gets its own deep copy; a frozen step that cannot
        be copied is shared.
        """
        new = super().__sklearn_clone__()
        if self._foreign_spaces:
            new._foreign_spaces = copy.deepcopy(self._foreign_spaces)
        if self._frozen_children:
            for name, step in self.named_children():
                if name in self._frozen_children:
                    new._set_child(name, _copy_frozen(step))
            new._frozen_children = self._frozen_children
        return new

    def _diagram_label(self, name: str, step: Any) -> str:
        label = f"{name}: {class_name(step)}"
        return f"{label} (frozen)" if self._is_child_frozen(name) else label

    def _sk_visual_block_(self) -> Any:
        """The tree in scikit-learn's HTML display of estimators (a notebook's rich repr).

        ``_sk_visual_block_`` is how scikit-learn's own meta-estimators draw their children;
        scikit-learn falls back to a single box if this raises.
        """
        from sklearn.utils._repr_html.estimator import _VisualBlock

        pairs = self.named_children()
        return _VisualBlock(
            self._diagram_layout,
            [step for _, step in pairs],
            names=[self._diagram_label(name, step) for name, step in pairs],
            name_details=[str(step) for _, step in pairs],
            dash_wrapped=False,
        )

    # -- addressing --------------------------------------------------------------------------
    def __getitem__(self, key: str | int | slice) -> Any:
        """``pipe["encoder__pca"]`` by path, ``pipe[0]`` by position."""
        if isinstance(key, str):
            return _tree.resolve_step(self, key).step
        if isinstance(key, int):
            return self.named_children()[key][1]
        raise TypeError(
            f"{type(self).__name__} indices must be step paths (str) or positions (int), "
            f"not {type(key).__name__}."
        )

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        try:
            _tree.resolve_step(self, path)
        except UnknownPathError:
            return False
        return True

    def __len__(self) -> int:
        return len(self.named_children())

    # -- fitting -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def fitting(
        self, callbacks: Sequence[Any] | None = None, *, kind: str = "fit", **data: Any
    ) -> Iterator[FitEmitter]:
        """The frame of one fit: train mode, events, and teardown when it raises.

        Yields an emitter for events of the children. Modes are restored afterwards; when the
        fit raises, resources that it set up lazily are released.
        """
        with fit_frame(self, callbacks, kind, data) as emit:
            yield emit


def _copy_frozen(step: Any) -> Any:
    try:
        return copy.deepcopy(step)
    except Exception:  # a handle, a lock: share the fitted step rather than lose it
        return step
