"""The saved form of a tree of steps: a JSON manifest plus blobs of bytes.

The manifest holds the structure (one record per node), the core's description of the tree,
the hyperparams, spaces, mutation log and frozen steps, and the versions it was saved with.
Steps with a registered saver get a blob each, made by their saver; every other node (the
scikit-learn parts, and composites' own state) goes into one skops blob, parsed once when
loaded. Composites are rebuilt from their class (trusted only when it is Workbench's own or
named in ``trusted``), their own state and their children.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.authoring import (
    Composite,
    CompositeState,
    composite_state,
    distribution_to_dict,
    is_passthrough,
    join_path,
    plain_value,
)
from workbench.exceptions import UnsavableStepError
from workbench.persistence._manifest import BATCH, FORMAT, versions
from workbench.persistence._savers import (
    FittedStateSaver,
    Saver,
    check_picklable,
    encode_state,
    holds_resources,
    pickle_dumps,
    qualified_name,
    registered_saver,
    shipping,
    skops_io,
)
from workbench.persistence._unpacking import unpack


@dataclass
class Packed:
    """A tree of steps as a manifest and blobs, plus what a worker needs to open it.

    ``savers`` and ``classes`` (the registered savers the tree used, and classes defined in
    ``__main__``) travel with it when it is shipped to a worker, whose registry and
    ``__main__`` are not the caller's. Made by :func:`pack`; :meth:`unpack` rebuilds the tree.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> pack(StandardScaler(with_std=False)).unpack()
    StandardScaler(with_std=False)
    """

    manifest: dict[str, Any]
    members: dict[str, bytes]
    savers: dict[str, tuple[type, Saver]] = field(default_factory=dict)
    classes: dict[str, type] = field(default_factory=dict)
    secure: bool = True
    format_version: int = 1  # the lowest version that can read what was packed
    batch: dict[str, Any] = field(default_factory=dict, repr=False)
    paths: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def digest(self) -> str:
        """A hash of the content, the same for equal trees packed twice."""
        hashes = sorted(
            (name, entry["sha256"]) for name, entry in self.manifest["members"].items()
        )
        return hashlib.sha256(json.dumps([hashes, self.manifest["root"]]).encode()).hexdigest()

    def unpack(self) -> Any:
        """Rebuild the tree; every type is trusted, since this process or its parent packed it."""
        return unpack(
            self.manifest,
            self.members,
            savers=self.savers,
            classes=self.classes,
            trust_all=True,
            where="the packed step",
        )


# -- packing -------------------------------------------------------------------------------------
def pack(
    step: Any,
    *,
    describe: bool = True,
    savers: Mapping[str, tuple[type, Saver]] | None = None,
    path: str = "",
    secure: bool = True,
) -> Packed:
    """Turn every node of ``step`` into a record and a blob through its saver, in memory.

    ``describe=False`` leaves out the plain-data description of the tree (hyperparams, spaces,
    frozen steps), which only people and views read: shipping to workers skips it. ``savers``
    adds ``(class, saver)`` pairs to the registry's (a worker packs with its shipment's savers).
    ``path`` is the step's own path in a larger tree, for error messages. ``secure=False``
    packs for this session's own workers: steps without a registered saver, and composites'
    own state, go as cloudpickle bytes (fast, and classes defined in ``__main__`` travel by
    value); such a pack only opens through :meth:`Packed.unpack`, never from a file.

    Raises
    ------
    UnsavableStepError
        A step has no saver and pickle cannot handle it; the message names its path.
    """
    packed = Packed(manifest={}, members={}, secure=secure)
    with contextlib.nullcontext() if secure else shipping():
        root = _pack_node(step, path, packed, dict(savers or {}))
    if packed.batch:
        packed.members[BATCH] = _dump_batch(packed)
        packed.batch = {}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": packed.format_version,
        "versions": versions(),
        "root": root,
        "members": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in packed.members.items()
        },
    }
    if not describe:
        packed.manifest = manifest
        return packed
    description = getattr(step, "describe", None)
    manifest |= {
        "saved_at": time.time(),
        "description": description() if callable(description) else None,
        "hyperparams": _plain_hyperparams(step),
        "space": _plain_space(step),
        "mutation_log": [dict(record) for record in getattr(step, "mutation_log", [])],
        "frozen": _frozen_paths(step),
    }
    packed.manifest = json.loads(json.dumps(manifest, default=repr))
    return packed


def _find_saver(step: Any, extra: Mapping[str, tuple[type, Saver]]) -> tuple[type, Saver] | None:
    found = registered_saver(step)
    if found is not None or not extra:
        return found
    for cls in type(step).__mro__:
        for registered, saver in extra.values():
            if registered is cls:
                return registered, saver
    return None


def _pack_node(
    step: Any, path: str, packed: Packed, extra: Mapping[str, tuple[type, Saver]]
) -> dict[str, Any]:
    if is_passthrough(step):
        return {"kind": "passthrough", "path": path, "value": step}
    cls = type(step)
    if cls.__module__ == "__main__":
        packed.classes[qualified_name(cls)] = cls
    member = f"nodes/{len(packed.paths):04d}"
    packed.paths[member] = path
    found = _find_saver(step, extra)
    if found is None and holds_resources(step):
        return _pack_fitted_state(step, path, member, packed)
    if found is None and not packed.secure and not isinstance(step, Composite):
        return _pack_pickled(step, path, member, packed)
    if isinstance(step, Composite) and found is None:
        children = [
            {"name": name, "node": _pack_node(child, join_path(path, name), packed, extra)}
            for name, child in step.named_children()
        ]
        shell = _shell_state(step, path)
        if packed.secure:
            packed.batch[member] = shell.state
        else:
            packed.members[member] = encode_state(shell.state)
        return {
            "kind": "composite",
            "path": path,
            "class": qualified_name(cls),
            "children_param": shell.children_param,
            "children_form": shell.children_form,
            "children": children,
            "member": member,
        }
    if found is None:
        try:
            check_picklable(step)
        except UnsavableStepError as error:
            raise _unsavable(error, path, cls) from error
        packed.batch[member] = step
        return {
            "kind": "leaf",
            "path": path,
            "class": qualified_name(cls),
            "saver": "skops",
            "member": member,
        }
    saver = found[1]
    try:
        data = saver.dump(step)
    except UnsavableStepError as error:
        raise _unsavable(error, path, cls) from error
    except Exception as error:
        raise UnsavableStepError(
            f"Cannot save the step at {path or 'the root'!r}: {type(saver).__name__} failed on "
            f"{cls.__name__}: {error!r}"
        ) from error
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UnsavableStepError(
            f"{type(saver).__name__}.dump() must return bytes, but got {type(data).__name__} "
            f"for the step at {path!r}."
        )
    packed.members[member] = bytes(data)
    packed.savers[qualified_name(found[0])] = found
    return {
        "kind": "leaf",
        "path": path,
        "class": qualified_name(cls),
        "saver": "registered",
        "registered_for": qualified_name(found[0]),
        "member": member,
    }


def _pack_fitted_state(step: Any, path: str, member: str, packed: Packed) -> dict[str, Any]:
    """A step that holds resources, with no saver registered: its hyperparams and fitted state."""
    try:
        packed.members[member] = FittedStateSaver().dump(step)
    except UnsavableStepError as error:
        raise UnsavableStepError(
            f"Cannot save the step at {path or 'the root'!r}, which holds resources: {error}"
        ) from error
    packed.format_version = max(packed.format_version, 2)
    return {
        "kind": "leaf",
        "path": path,
        "class": qualified_name(type(step)),
        "saver": "fitted_state",
        "member": member,
    }


def _unsavable(
    error: Exception, path: str, cls: type, *, shipping: bool = False
) -> UnsavableStepError:
    where = f"the step at {path or 'the root'!r}"
    doing, then = (
        (f"ship {where} to workers", "travels by") if shipping else (f"save {where}", "saves")
    )
    return UnsavableStepError(
        f"Cannot {doing}: {error} If it holds a resource (a lock, a file, a device), declare "
        f"holds_resources = True on {cls.__name__} and acquire it in acquire_resources(): it "
        f"then {then} its hyperparams and fitted attributes. Or register a saver for it: "
        f"workbench.persistence.register_saver({cls.__name__}, "
        f"workbench.persistence.FittedStateSaver()), or subclass workbench.persistence.Saver."
    )


def _dump_batch(packed: Packed) -> bytes:
    """Every node without a saver of its own in one skops blob: one parse to load them all."""
    try:
        return bytes(skops_io().dumps(packed.batch))
    except Exception as error:
        for member, value in packed.batch.items():  # find the node to blame
            try:
                skops_io().dumps(value)
            except Exception:
                path = packed.paths[member]
                raise UnsavableStepError(
                    f"Cannot save the {type(value).__name__} at {path or 'the root'!r}: skops "
                    f"cannot save it ({error}). Register a saver for its class."
                ) from error
        raise UnsavableStepError(f"skops cannot save the pipeline: {error}") from error


def _pack_pickled(step: Any, path: str, member: str, packed: Packed) -> dict[str, Any]:
    try:
        check_picklable(step)
        packed.members[member] = pickle_dumps(step)
    except Exception as error:
        raise _unsavable(error, path, type(step), shipping=True) from error
    return {
        "kind": "leaf",
        "path": path,
        "class": qualified_name(type(step)),
        "saver": "pickle",
        "member": member,
    }


def _shell_state(step: Composite, path: str) -> CompositeState:
    """A composite's own state (hyperparams, frozen names, spaces, log) without children."""
    shell = composite_state(step)
    try:
        check_picklable(shell.state)
    except UnsavableStepError as error:
        raise UnsavableStepError(
            f"Cannot save the {type(step).__name__} at {path or 'the root'!r}: its own state "
            f"({sorted(shell.state)}) cannot be saved: {error}"
        ) from error
    return shell


def _plain_hyperparams(step: Any) -> dict[str, Any]:
    if not hasattr(step, "get_hyperparams"):
        return {}
    return {
        path: plain_value(value)
        for path, value in step.get_hyperparams().items()
        if isinstance(value, str)
        or not (hasattr(value, "get_params") or (isinstance(value, list | tuple) and value))
    }


def _plain_space(step: Any) -> dict[str, Any]:
    if not hasattr(step, "get_hyperparams_space"):
        return {}
    return {
        path: distribution_to_dict(distribution)
        for path, distribution in step.get_hyperparams_space().items()
    }


def _frozen_paths(step: Any) -> list[str]:
    if not isinstance(step, Composite):
        return []
    return [path for path, _ in step.walk() if step.is_frozen(path)]


# -- unpacking -----------------------------------------------------------------------------------
