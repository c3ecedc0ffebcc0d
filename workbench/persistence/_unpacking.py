"""Rebuilding a tree of steps from its manifest and blobs, refusing types nobody trusted."""

from __future__ import annotations

import hashlib
import importlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core import Step
from workbench.core.authoring import (
    Composite,
    children_param_of,
    is_passthrough,
    rebuild_composite,
)
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.persistence._manifest import BATCH, corrupted, versions
from workbench.persistence._savers import (
    FittedStateSaver,
    Saver,
    TorchStepSaver,
    decode_state,
    qualified_name,
    registered_class,
    shipping,
    skops_io,
    skops_loads,
    skops_untrusted,
    trusted_by_workbench,
    trusted_names,
)


def _nodes(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [record]
    for child in record.get("children", []):
        found.extend(_nodes(child["node"]))
    return found


_KEYS: dict[str, dict[str, type]] = {  # what each kind of node record holds, and of which type
    "passthrough": {"path": str},
    "leaf": {"path": str, "class": str, "saver": str, "member": str},
    "composite": {
        "path": str,
        "class": str,
        "children_param": str,
        "children_form": str,
        "children": list,
        "member": str,
    },
}
_SAVERS = ("skops", "registered", "fitted_state", "pickle")
_CHILDREN_FORMS = ("list", "tuple", "single")
_MAX_DEPTH = 200


def check_tree(root: Any, where: str) -> None:
    """Raise a PersistenceError unless every node record of the manifest is well formed.

    Names and members are only read here; which members exist, and which classes are trusted,
    is checked while unpacking.
    """
    pending: list[tuple[Any, int]] = [(root, 0)]
    while pending:
        record, depth = pending.pop()
        if depth > _MAX_DEPTH:
            raise corrupted(where, f"the tree is nested more than {_MAX_DEPTH} levels deep")
        kind = record.get("kind") if isinstance(record, dict) else None
        if kind not in _KEYS:
            raise corrupted(where, f"a node record of unknown kind {kind!r}")
        for key, expected in _KEYS[kind].items():
            if not isinstance(record.get(key), expected):
                raise corrupted(
                    where,
                    f"the {kind} node at {record.get('path')!r} needs {key!r} as a "
                    f"{expected.__name__}, but has {record.get(key)!r}",
                )
        if kind == "passthrough" and not is_passthrough(record.get("value")):
            raise corrupted(where, f"a passthrough node holds {record.get('value')!r}")
        if kind == "leaf" and record["saver"] not in _SAVERS:
            raise corrupted(where, f"the step at {record['path']!r} names no known saver")
        registered = kind == "leaf" and record["saver"] == "registered"
        if registered and not isinstance(record.get("registered_for"), str):
            raise corrupted(where, f"the step at {record['path']!r} names no saver class")
        if kind == "composite":
            if record["children_form"] not in _CHILDREN_FORMS:
                raise corrupted(where, f"the children of {record['path']!r} have no known form")
            for child in record["children"]:
                if not (isinstance(child, dict) and isinstance(child.get("name"), str)):
                    raise corrupted(where, f"a child of {record['path']!r} has no name")
                pending.append((child.get("node"), depth + 1))


_BUILT_IN_SAVERS = (FittedStateSaver, TorchStepSaver)  # their load enforces trust itself


@dataclass
class _Loader:
    members: Mapping[str, bytes]
    trusted: Sequence[str]
    savers: Mapping[str, tuple[type, Saver]] | None = None  # a shipment's own savers
    classes: Mapping[str, type] | None = None
    trust_all: bool = False
    where: str = "the file"
    batch: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def saver(self, record: Mapping[str, Any]) -> tuple[type, Saver]:
        name = record["registered_for"]
        if self.savers is not None and name in self.savers:
            return self.savers[name]
        found = registered_class(name)
        if found is None:
            raise PersistenceError(
                f"The step at {record['path'] or 'the root'!r} ({record['class']}) was saved by a "
                f"saver registered for {name!r}, and none is registered now. Call "
                f"workbench.persistence.register_saver(<that class>, <its saver>) before loading."
            )
        return found

    def untrusted(self, records: list[Mapping[str, Any]], *, deep: bool = True) -> list[str]:
        """Types nobody trusted; ``deep=False`` skips what skops checks while loading anyway."""
        found: set[str] = set()
        if deep and BATCH in self.members:
            found.update(skops_untrusted(self.members[BATCH]))
        for record in records:
            if record["kind"] == "composite" and not trusted_by_workbench(record["class"]):
                found.add(record["class"])
            elif record["kind"] == "leaf" and record["saver"] == "fitted_state":
                if not trusted_by_workbench(record["class"]):
                    found.add(record["class"])
                data = self.members.get(record["member"])
                if deep and data is not None:
                    found.update(skops_untrusted(data))
            elif record["kind"] == "leaf" and record["saver"] == "registered":
                registered, saver = self.saver(record)
                if record["class"] != qualified_name(registered) and not trusted_by_workbench(
                    record["class"]
                ):
                    found.add(record["class"])
                data = self.members.get(record["member"])
                if data is not None and (deep or type(saver) not in _BUILT_IN_SAVERS):
                    found.update(saver.untrusted_types(data))
        return sorted(name for name in found if name not in self.trusted)

    def open_batch(self) -> None:
        data = self.members.get(BATCH)
        if data is None:
            return
        trusted = self.trusted
        if self.trust_all:
            trusted = [*trusted, *skops_io().get_untrusted_types(data=data)]
        batch = skops_loads(data, trusted)
        if not isinstance(batch, dict):
            raise corrupted(self.where, f"{BATCH!r} holds a {type(batch).__name__}, not steps")
        self.batch = batch

    def member(self, record: Mapping[str, Any], *, batched: bool) -> tuple[bool, Any]:
        """``(True, object)`` from the skops blob, or ``(False, bytes)`` of a member of its own:
        the member the record names, used by no other node."""
        name = record["member"]
        if name in self.used:
            raise corrupted(self.where, f"two steps point at the same saved data {name!r}")
        self.used.add(name)
        if batched and name in self.batch:
            return True, self.batch[name]
        if name != BATCH and name in self.members and name.startswith("nodes/"):
            return False, self.members[name]
        raise corrupted(
            self.where,
            f"the step at {record['path'] or 'the root'!r} points at saved data {name!r}, "
            f"which the file does not hold",
        )

    def load(self, record: Mapping[str, Any]) -> Any:
        kind = record.get("kind")
        if kind == "passthrough":
            return record.get("value")
        if kind == "composite":
            return self._load_composite(record)
        if record["saver"] == "skops":
            found, step = self.member(record, batched=True)
            if not found:  # a leaf saved by skops is in the skops blob, never a member apart
                raise corrupted(self.where, f"the step at {record['path']!r} is not in the file")
            return step
        _, data = self.member(record, batched=False)
        if record["saver"] == "pickle":
            return self._unpickle(data, record)
        if record["saver"] == "fitted_state":  # a step that holds resources, no saver registered
            saver: Saver = FittedStateSaver()
            cls = self._class(record["class"], base=Step)
        else:
            registered, saver = self.saver(record)
            cls = registered
            if record["class"] != qualified_name(registered):
                cls = self._class(record["class"], base=registered)
        try:
            return saver.load(data, step_class=cls, trusted=self.trusted)
        except (PersistenceError, ImportError):
            raise
        except Exception as error:
            if type(error).__name__ == "UntrustedTypesFoundException":
                raise
            raise PersistenceError(
                f"Cannot load the step at {record['path'] or 'the root'!r} ({record['class']}): "
                f"{type(error).__name__}: {error}. The file may come from incompatible library "
                f"versions: {versions()} here."
            ) from error

    def _unpickle(self, data: bytes, record: Mapping[str, Any]) -> Any:
        if not self.trust_all:  # only a Packed made in this session unpickles
            raise PersistenceError(
                f"The data of the step at {record.get('path') or 'the root'!r} is a pickle, and "
                f"Workbench never loads pickles from files. The file was not written by "
                f"workbench.persistence.save(), or was tampered with."
            )
        return pickle.loads(data)

    def _class(self, name: str, *, base: type) -> type:
        if self.classes is not None and name in self.classes:
            return self.classes[name]
        module_name, _, attribute = name.rpartition(".")
        try:
            cls: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError) as error:
            raise PersistenceError(
                f"Cannot find class {name!r} named in the file: {error}. Import the module that "
                f"defines it first."
            ) from error
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PersistenceError(
                f"{name!r} named in the file is not a {base.__name__}, but {cls!r}; the file "
                f"is corrupted or was tampered with."
            )
        return cls

    def _load_composite(self, record: Mapping[str, Any]) -> Any:
        cls: Any = self._class(record["class"], base=Composite)
        held_in = children_param_of(cls)
        if record["children_param"] != held_in:
            raise corrupted(
                self.where,
                f"the {cls.__name__} at {record['path'] or 'the root'!r} keeps its children in "
                f"{held_in!r}, not {record['children_param']!r}",
            )
        batched, state = self.member(record, batched=True)
        if not batched:
            where = f"the {record['class']} at {record.get('path') or 'the root'!r}"
            state = decode_state(state, self.trusted, where=where)
        if not isinstance(state, dict):
            raise corrupted(self.where, f"the state of {record['path']!r} is not a mapping")
        children = [(child["name"], self.load(child["node"])) for child in record["children"]]
        return rebuild_composite(
            cls,
            state,
            children,
            children_param=record["children_param"],
            children_form=record["children_form"],
        )


def unpack(
    manifest: Mapping[str, Any],
    members: Mapping[str, bytes],
    *,
    trusted: Sequence[str] = (),
    savers: Mapping[str, tuple[type, Saver]] | None = None,
    classes: Mapping[str, type] | None = None,
    trust_all: bool = False,
    where: str = "the file",
    call: Callable[[list[str]], str] = lambda names: f"load(path, trusted={names!r})",
) -> Any:
    """Rebuild the tree from a checked manifest and its blobs (checked against their hashes).

    Types are checked before anything is built: composites' classes and registered savers'
    types from the manifest first, then skops refuses untrusted types in its blobs; either way
    the error lists every untrusted type of the file at once.
    """
    for name, expected in manifest["members"].items():
        data = members.get(name)
        if data is None or hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise PersistenceError(
                f"{where} is corrupted: the saved data {name!r} is "
                f"{'missing' if data is None else 'damaged (its checksum does not match)'}. "
                f"Save the pipeline again."
            )
    root = manifest["root"]
    check_tree(root, where)
    loader = _Loader(members, tuple(trusted), savers, classes, trust_all, where)
    if trust_all:
        with shipping():
            loader.open_batch()
            return loader.load(root)
    nodes = _nodes(root)
    try:
        if loader.untrusted(nodes, deep=False):
            raise skops_io().exceptions.UntrustedTypesFoundException([])
        loader.open_batch()
        return loader.load(root)
    except skops_io().exceptions.UntrustedTypesFoundException:
        untrusted = loader.untrusted(nodes)
        short_names = ", ".join(name.rpartition(".")[2] for name in untrusted)
        raise UntrustedTypesError(
            f"{where} holds types that are not trusted: {untrusted}. Loading builds objects of "
            f"these types, which can run their code. If you trust the file's source, load it "
            f"with:\n\n    {call(untrusted)}\n\nor pass the classes themselves "
            f"(trusted=[{short_names}]). Classes you registered a saver for in this session are "
            f"trusted already."
        ) from None


def untrusted_types(manifest: Mapping[str, Any], members: Mapping[str, bytes]) -> list[str]:
    """The type names that unpacking would refuse without ``trusted=``."""
    check_tree(manifest["root"], "the file")
    return _Loader(members, trusted_names(())).untrusted(_nodes(manifest["root"]))
