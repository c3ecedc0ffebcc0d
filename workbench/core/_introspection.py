"""Plain-data descriptions of a tree of steps, for views, stores and people."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from workbench._internal.plain import finite_or_none
from workbench.core import _tree
from workbench.core._space import distribution_to_dict


def plain_value(value: Any) -> Any:
    """A JSON-ready rendering of a hyperparam value: scalars as they are (NaN and the
    infinities as None, as the store writes them), the rest as repr."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return finite_or_none(float(value))
    if isinstance(value, list | tuple) and all(
        item is None or isinstance(item, bool | int | float | str) for item in value
    ):
        return list(value)
    return repr(value)


def attribute_summary(value: Any) -> dict[str, Any]:
    """Type, and shape and dtype where it has them, of one fitted attribute."""
    summary: dict[str, Any] = {"type": type(value).__name__}
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        summary["shape"] = list(shape)
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        summary["dtype"] = str(dtype)
    if isinstance(value, list | tuple | dict) and "shape" not in summary:
        summary["length"] = len(value)
    if value is None or isinstance(value, bool | int | float | str | np.generic):
        summary["value"] = plain_value(value)
    return summary


def fitted_attributes_of(step: Any) -> dict[str, Any]:
    """The learned attributes of one step (scikit-learn's ``name_`` convention)."""
    try:
        names = vars(step)
    except TypeError:
        return {}
    return {
        name: value
        for name, value in names.items()
        if name.endswith("_") and not name.startswith("_")
    }


def is_fitted(step: Any) -> bool:
    """Whether scikit-learn would consider ``step`` fitted."""
    if _tree.is_passthrough(step):
        return True
    try:
        check_is_fitted(step)
    except (NotFittedError, TypeError, ValueError, AttributeError):
        return False
    return True


def estimator_kind(step: Any) -> str:
    """'classifier', 'regressor', 'transformer', 'clusterer', 'passthrough' or 'estimator'."""
    if _tree.is_passthrough(step):
        return "passthrough"
    try:
        from sklearn.utils import get_tags

        kind = get_tags(step).estimator_type
    except Exception:
        kind = None
    if kind:
        return str(kind)
    if hasattr(step, "transform"):
        return "transformer"
    return "estimator"


def describe_tree(root: Any) -> dict[str, Any]:
    """Nested plain data on every node of ``root`` (see ``Step.describe``)."""
    nodes: dict[str, dict[str, Any]] = {}
    active_paths = {node.path for node in _tree.walk(root, active_only=True)}
    for node in _tree.walk(root):
        step = node.step
        workbench = _tree.is_workbench(step)
        hyperparams = {
            name: value
            for name, value in _tree.own_hyperparams(step).items()
            if not _is_step_like(value)
        }
        frozen = bool(node.parent is not None and node.parent._is_child_frozen(node.name))
        entry: dict[str, Any] = {
            "name": node.name,
            "path": node.path,
            "class": "passthrough" if _tree.is_passthrough(step) else type(step).__name__,
            "module": type(step).__module__,
            "kind": estimator_kind(step),
            "workbench": workbench,
            "active": node.path in active_paths,
            "hyperparams": {name: plain_value(value) for name, value in hyperparams.items()},
            "changed": sorted(
                name
                for name, value in hyperparams.items()
                if _differs_from_default(step, name, value)
            ),
            "space": {
                name: distribution_to_dict(distribution)
                for name, distribution in _tree.own_space(step, node.parent, node.name).items()
            },
            # the names whose space refuses values outside it (declared or set); the others are
            # built-in spaces, which only say where a tuner searches
            "space_binding": sorted(_tree.binding_space(step, node.parent, node.name)),
            "fitted": is_fitted(step),
            "frozen": frozen,
            "chosen": getattr(step, "chosen", None) if _choice_param(step) else None,
            "training": bool(getattr(step, "training", False)) if workbench else None,
            "holds_resources": bool(getattr(step, "holds_resources", False)),
            "is_set_up": bool(getattr(step, "is_set_up", False)) if workbench else None,
            "fitted_attributes": {
                name: attribute_summary(value)
                for name, value in fitted_attributes_of(step).items()
            },
            "children": [],
        }
        nodes[node.path] = entry
        if node.parent is not None:
            parent_path = node.path.rpartition("__")[0]
            nodes[parent_path]["children"].append(entry)
    return nodes[""]


def _is_step_like(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(isinstance(item, tuple) and len(item) == 2 for item in value)
    return hasattr(value, "get_params") and not isinstance(value, type)


def _choice_param(step: Any) -> str | None:
    return getattr(step, "_choice_param", None) if _tree.is_workbench(step) else None


def _differs_from_default(step: Any, name: str, value: Any) -> bool:
    """Whether a hyperparam was set to something other than its constructor's default."""
    default = _tree._constructor_default(step, name)
    # arrays and other values without one truth differ
    return default is not inspect.Parameter.empty and not _tree._equal(default, value)
