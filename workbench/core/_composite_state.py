"""A composite apart from its children, as plain data, and back: the hook through which the
persistence layer saves composites without touching their private attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from workbench.core._composite import Composite
from workbench.core._space import distribution_from_dict, distribution_to_dict


class CompositeState(NamedTuple):
    """What :func:`composite_state` returns.

    ``state`` holds the composite's own attributes (hyperparams, frozen children, space
    overrides, mutation log) as plain data: lists, dicts and distributions as dicts.
    ``children_param`` names the attribute that holds the children, and ``children_form``
    says how: a ``"list"`` or a ``"tuple"`` of ``(name, step)`` pairs, or ``"single"`` steps
    each in an attribute of its own (a Wrapper's ``step``).
    """

    state: dict[str, Any]
    children_param: str
    children_form: str


def children_param_of(cls: type[Composite]) -> str:
    """The attribute in which composites of class ``cls`` hold their children."""
    return cls._children_param


def composite_state(composite: Composite) -> CompositeState:
    """``composite`` without its children, listeners or resources, as plain data."""
    children = [child for _, child in composite.named_children()]
    held = getattr(composite, composite._children_param)
    pairs = isinstance(held, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in held
    )
    form = ("tuple" if isinstance(held, tuple) else "list") if pairs else "single"
    state = dict(composite.__getstate__())
    for key in (composite._children_param, "_callbacks", "_is_set_up"):
        state.pop(key, None)  # listeners stay with the process, resources are never saved
    for key in [key for key, value in state.items() if any(value is child for child in children)]:
        del state[key]  # a child held in an attribute of its own (TransformTarget.transformer)
    if "_frozen_children" in state:
        state["_frozen_children"] = sorted(state["_frozen_children"])
    if state.get("_space_overrides"):
        state["_space_overrides"] = _plain_overrides(state["_space_overrides"])
    if state.get("_foreign_spaces"):
        state["_foreign_spaces"] = {
            name: _plain_overrides(values) for name, values in state["_foreign_spaces"].items()
        }
    if "_mutation_log" in state:
        state["_mutation_log"] = [dict(record) for record in state["_mutation_log"]]
    return CompositeState(state, composite._children_param, form)


def rebuild_composite(
    cls: type[Composite],
    state: Mapping[str, Any],
    children: Sequence[tuple[str, Any]],
    *,
    children_param: str,
    children_form: str,
) -> Composite:
    """A ``cls`` with the plain ``state`` of :func:`composite_state` and ``children``, held
    as ``children_form`` says; no constructor runs."""
    state = dict(state)
    if "_frozen_children" in state:
        state["_frozen_children"] = frozenset(state["_frozen_children"])
    if state.get("_space_overrides"):
        state["_space_overrides"] = _overrides_from_plain(state["_space_overrides"])
    if state.get("_foreign_spaces"):
        state["_foreign_spaces"] = {
            name: _overrides_from_plain(values)
            for name, values in state["_foreign_spaces"].items()
        }
    if "_mutation_log" in state:
        state["_mutation_log"] = tuple(state["_mutation_log"])
    composite: Any = object.__new__(cls)
    composite.__setstate__(state)
    if children_form == "single":  # children held one by one: the composite puts each in place
        for name, child in children:
            composite._set_child(name, child)
    else:
        pairs = list(children)
        setattr(composite, children_param, tuple(pairs) if children_form == "tuple" else pairs)
    return composite


def _plain_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: None if distribution is None else distribution_to_dict(distribution)
        for name, distribution in overrides.items()
    }


def _overrides_from_plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: None if data is None else distribution_from_dict(data)
        for name, data in values.items()
    }
