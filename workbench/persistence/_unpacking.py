"""Rebuilding a tree of steps from its manifest and blobs, refusing types nobody trusted."""

from __future__ import annotations

import hashlib
import importlib
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core.authoring import Composite, rebuild_composite
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.persistence._manifest import BATCH, versions
from workbench.persistence._savers import (
    Saver,
    decode_state,
    qualified_name,
    registered_class,
    shipping,
    skops_io,
    skops_loads,
    skops_untrusted,
    trusted_by_workbench,
)


def _nodes(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [record]
    for child in record.get("children", []):
        found.extend(_nodes(child["node"]))
    return found


_BUILT_IN_SAVERS = ("FittedStateSaver", "TorchStepSaver")  # their load enforces trust itself


@dataclass
class _Loader:
    members: Mapping[str, bytes]
    trusted: Sequence[str]
    savers: Mapping[str, tuple[type, Saver]] | None = None  # a shipment's own savers
    classes: Mapping[str, type] | None = None
    trust_all: bool = False
    batch: dict[str, Any] = field(default_factory=dict)

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
            elif record["kind"] == "leaf" and record["saver"] == "registered":
                registered, saver = self.saver(record)
                if record["class"] != qualified_name(registered) and not trusted_by_workbench(
                    record["class"]
                ):
                    found.add(record["class"])
                if deep or type(saver).__name__ not in _BUILT_IN_SAVERS:
                    found.update(saver.untrusted_types(self.members[record["member"]]))
        return sorted(name for name in found if name not in self.trusted)

    def open_batch(self) -> None:
        data = self.members.get(BATCH)
        if data is None:
            return
        trusted = self.trusted
        if self.trust_all:
            trusted = [*trusted, *skops_io().get_untrusted_types(data=data)]
        self.batch = skops_loads(data, trusted)

    def load(self, record: Mapping[str, Any]) -> Any:
        kind = record.get("kind")
        if kind == "passthrough":
            return record.get("value")
        if kind == "composite":
            return self._load_composite(record)
        if kind != "leaf":
            raise PersistenceError(f"The file is corrupted: a node of unknown kind {kind!r}.")
        if record["saver"] == "skops":
            return self.batch[record["member"]]
        data = self.members[record["member"]]
        if record["saver"] == "pickle":
            return self._unpickle(data, record)
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
        cls = self._class(record["class"], base=Composite)
        member = record["member"]
        if member in self.batch:
            state = dict(self.batch[member])
        else:
            where = f"the {record['class']} at {record.get('path') or 'the root'!r}"
            state = decode_state(self.members[member], self.trusted, where=where)
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
    loader = _Loader(members, tuple(trusted), savers, classes, trust_all)
    root = manifest["root"]
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
        raise UntrustedTypesError(
            f"{where} holds types that are not trusted: {untrusted}. Loading builds "
            f"objects of these types, which can run their code. If you trust the file's "
            f"source, pass them: load(path, trusted={untrusted!r})."
        ) from None


def untrusted_types(manifest: Mapping[str, Any], members: Mapping[str, bytes]) -> list[str]:
    """The type names that unpacking would refuse without ``trusted=``."""
    return _Loader(members, ()).untrusted(_nodes(manifest["root"]))
