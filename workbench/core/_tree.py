"""Walking a tree of steps: paths, hyperparams and spaces of every node, validated changes.

A node is a Workbench step (``_workbench_node``) or any scikit-learn estimator, which is a leaf
whose hyperparams are its ``get_params(deep=False)`` and whose space is its registered default.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from optuna.distributions import BaseDistribution
from sklearn.base import BaseEstimator

from workbench._internal.names import did_you_mean
from workbench.core._constraints import check_constraints
from workbench.core._default_spaces import constructor_params, default_space
from workbench.core._paths import SEPARATOR, join_path
from workbench.core._space import Space, check_distribution, contains, describe_distribution
from workbench.exceptions import HyperparamError, StructureError, UnknownPathError


class Node(NamedTuple):
    """One node met while walking: its path, the step, its parent and its name there."""

    path: str
    step: Any
    parent: Any
    name: str


def is_workbench(step: Any) -> bool:
    return getattr(step, "_workbench_node", False) is True


def is_passthrough(step: Any) -> bool:
    """Whether ``step`` stands for no step at all: ``None`` or ``"passthrough"``."""
    return step is None or (isinstance(step, str) and step == "passthrough")


def children(step: Any) -> list[tuple[str, Any]]:
    return step.named_children() if is_workbench(step) else []


def shallow_params(step: Any) -> dict[str, Any]:
    """``step.get_params(deep=False)``, without inspecting the constructor on every call where
    the class keeps scikit-learn's own ``get_params``."""
    if type(step).get_params is BaseEstimator.get_params:
        return {name: getattr(step, name) for name in constructor_params(type(step))}
    return step.get_params(deep=False)


def own_hyperparams(step: Any) -> dict[str, Any]:
    if is_workbench(step):
        return step._own_hyperparams()
    if hasattr(step, "get_params") and not isinstance(step, type):
        return shallow_params(step)
    return {}


def own_space(step: Any, parent: Any, name: str) -> Space:
    """The effective space of one node's own hyperparams (defaults plus overrides)."""
    if is_workbench(step):
        space = step._declared_space()
        overrides = step._space_overrides or {}
    else:
        space = default_space(step) if not is_passthrough(step) else {}
        overrides = parent._foreign_space_overrides(name) if parent is not None else {}
    for param, distribution in overrides.items():
        if distribution is None:
            space.pop(param, None)
        else:
            space[param] = distribution
    return space


def binding_space(step: Any, parent: Any, name: str) -> Space:
    """The part of a node's space that refuses values outside it: what a step declares
    (``Hyperparam(space=...)``, unless ``strict=False``) and what the user set
    (``set_hyperparams_space``). A built-in
    default space of a scikit-learn estimator is only where to search: the estimator itself
    judges its values (``PCA(n_components=12)``)."""
    if is_workbench(step):
        overrides = step._space_overrides or {}
        loose = {
            param
            for param, hyperparam in step._declared_hyperparams.items()
            if not hyperparam.strict and param not in overrides
        }
        space = own_space(step, parent, name)
        return {param: dist for param, dist in space.items() if param not in loose}
    overrides = parent._foreign_space_overrides(name) if parent is not None else {}
    return {param: dist for param, dist in overrides.items() if dist is not None}


def walk(root: Any, *, active_only: bool = False, skip_frozen: bool = False) -> Iterator[Node]:
    """Pre-order walk from ``root`` (path ``""``); a parent comes before its children.

    ``active_only`` leaves out the branches a Choose did not choose; ``skip_frozen`` leaves out
    frozen steps and everything inside them.
    """
    stack = [Node("", root, None, "")]
    while stack:
        node = stack.pop()
        yield node
        skipped: tuple[str, ...] = ()
        if is_workbench(node.step):
            if active_only:
                skipped = node.step._inactive_children()
            if skip_frozen:
                skipped = (*skipped, *getattr(node.step, "_frozen_children", ()))
        nested = [
            Node(join_path(node.path, name), child, node.step, name)
            for name, child in children(node.step)
            if name not in skipped
        ]
        stack.extend(reversed(nested))


def flat_hyperparams(root: Any, *, active_only: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for node in walk(root, active_only=active_only):
        for param, value in own_hyperparams(node.step).items():
            values[join_path(node.path, param)] = value
    return values


def flat_space(root: Any, *, active_only: bool = False, skip_frozen: bool = False) -> Space:
    space: Space = {}
    for node in walk(root, active_only=active_only, skip_frozen=skip_frozen):
        for param, distribution in own_space(node.step, node.parent, node.name).items():
            space[join_path(node.path, param)] = distribution
    return space


def conditions(root: Any) -> dict[str, tuple[tuple[str, Any], ...]]:
    """For each conditional path, the ``(choice path, option)`` pairs that must all hold."""
    found: dict[str, tuple[tuple[str, Any], ...]] = {}
    required: dict[str, tuple[tuple[str, Any], ...]] = {"": ()}
    for node in walk(root):
        needs = required[node.path]
        for param in own_space(node.step, node.parent, node.name):
            if needs:
                found[join_path(node.path, param)] = needs
        choice_param = (
            getattr(node.step, "_choice_param", None) if is_workbench(node.step) else None
        )
        for name, _ in children(node.step):
            extra = ((join_path(node.path, choice_param), name),) if choice_param else ()
            required[join_path(node.path, name)] = needs + extra
    return found


def resolve_step(root: Any, path: str) -> Node:
    """The node at ``path`` (``""`` is the root), or an UnknownPathError with suggestions."""
    node = Node("", root, None, "")
    if path == "":
        return node
    for name in path.split(SEPARATOR):
        named = dict(children(node.step))
        if name not in named:
            known = [item.path for item in walk(root) if item.path]
            raise UnknownPathError(
                f"No step at path {path!r}: {node.path or 'the root'} has no step {name!r}; "
                f"its steps are {sorted(named)}.{did_you_mean(path, known)}"
            )
        node = Node(join_path(node.path, name), named[name], node.step, name)
    return node


class _Owners:
    """Resolves hyperparam paths to their owning nodes, each node looked up once per call."""

    def __init__(self, root: Any):
        self.root = root
        self._nodes: dict[str, tuple[Node | None, dict[str, Any]]] = {}
        self._spaces: dict[str, Space] = {}

    def resolve(self, path: str, *, what: str = "hyperparameter") -> tuple[Node, str, Any]:
        """The owning node, the param's name there and its current value."""
        head, _, param = path.rpartition(SEPARATOR)
        if head not in self._nodes:
            try:
                node: Node | None = resolve_step(self.root, head)
            except UnknownPathError:
                node = None
            self._nodes[head] = (node, own_hyperparams(node.step) if node else {})
        node, hyperparams = self._nodes[head]
        if node is None or not param or param not in hyperparams:
            known = list(flat_hyperparams(self.root))
            raise UnknownPathError(
                f"No {what} at path {path!r}.{did_you_mean(path, known)} "
                f"Paths are step names joined by '__' and ending in a hyperparameter name; "
                f"get_hyperparams() lists them all."
            )
        return node, param, hyperparams[param]

    def space(self, node: Node) -> Space:
        if node.path not in self._spaces:
            self._spaces[node.path] = binding_space(node.step, node.parent, node.name)
        return self._spaces[node.path]


def flatten(root: Any, values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flat paths from a mapping that may nest dicts under step names (``{"pca": {...}}``)."""
    step = resolve_step(root, prefix).step if prefix else root
    names = {name for name, _ in children(step)}
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise HyperparamError(f"Hyperparameter paths must be strings, but got {key!r}.")
        path = join_path(prefix, key)
        if key in names and isinstance(value, Mapping):
            flat.update(flatten(root, value, path))
        else:
            flat[path] = value
    return flat


def _equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _constructor_default(step: Any, param: str) -> Any:
    try:
        parameter = inspect.signature(type(step)).parameters.get(param)
    except (TypeError, ValueError):
        return inspect.Parameter.empty
    return inspect.Parameter.empty if parameter is None else parameter.default


def set_hyperparams(root: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every value first, then apply them all; returns the flat changes."""
    flat = flatten(root, values)
    owners = _Owners(root)
    plan: list[tuple[Node, str, Any]] = []
    for path, value in flat.items():
        node, param, current = owners.resolve(path)
        distribution = owners.space(node).get(param)
        if (
            distribution is not None
            and not contains(distribution, value)
            and not _equal(value, current)
            and not _equal(value, _constructor_default(node.step, param))
        ):
            raise HyperparamError(
                f"{value!r} is outside the space of {path!r}, which allows "
                f"{describe_distribution(distribution)}. Pass a value inside it, or widen "
                f"the space first: set_hyperparams_space({{{path!r}: ...}})."
            )
        check_constraints(node.step, param, value, path)
        if is_workbench(node.step):
            node.step._check_own_hyperparam(param, value)
        plan.append((node, param, value))
    by_step: dict[int, tuple[Any, dict[str, Any]]] = {}
    for node, param, value in plan:
        by_step.setdefault(id(node.step), (node.step, {}))[1][param] = value
    for step, params in by_step.values():
        step.set_params(**params)
    return flat


def set_space(root: Any, values: Mapping[str, BaseDistribution | None]) -> dict[str, Any]:
    """Validate then apply space changes (None removes a hyperparam from the space)."""
    flat = flatten(root, values)
    owners = _Owners(root)
    plan = []
    for path, distribution in flat.items():
        node, param, _ = owners.resolve(path, what="hyperparameter to give a space")
        if distribution is not None:
            check_distribution(path, distribution)
        if node.parent is None and not is_workbench(node.step):
            raise StructureError(
                f"Cannot store a space for {path!r}: a scikit-learn estimator keeps its space "
                f"in the Workbench pipeline that holds it. Put it in a Pipeline first."
            )
        plan.append((node, param, distribution))
    for node, param, distribution in plan:
        if is_workbench(node.step):
            node.step._space_overrides = {
                **(node.step._space_overrides or {}),
                param: distribution,
            }
        else:
            node.parent._set_foreign_space_override(node.name, param, distribution)
    return flat
