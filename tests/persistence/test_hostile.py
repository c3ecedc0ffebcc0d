"""Hostile files: what an attacker could write, made with skops' own API, must run nothing."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import pickle
import re
import zipfile

import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import workbench.core
import workbench.core.authoring
import workbench.parallel
import workbench.parallel._workers
import workbench.training
from tests.persistence.steps import Locked
from workbench import Choose, Pipeline, TrainOnly
from workbench.core import Step
from workbench.core.authoring import Composite, Wrapper
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.parallel import ParallelTransform, ParallelUnion
from workbench.persistence import (
    TRUSTED_TYPES,
    FittedStateSaver,
    Packed,
    get_untrusted_types,
    load,
    save,
)
from workbench.training import (
    Flatten,
    ForEach,
    InputAsTarget,
    NextValueTarget,
    TransformTarget,
)


def _marker_pickle(marker):
    """A pickle that creates ``marker`` when it is unpickled: proof that code ran."""

    class Touch:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps(Touch())


def _packed_gadget(marker):
    """A Packed whose only node is a pickle: unpacking it as a shipment runs the pickle."""
    blob = _marker_pickle(marker)
    manifest = {
        "members": {"nodes/0000": {"sha256": hashlib.sha256(blob).hexdigest()}},
        "root": {
            "kind": "leaf",
            "path": "",
            "class": "x.Y",
            "saver": "pickle",
            "member": "nodes/0000",
        },
    }
    return Packed(manifest=manifest, members={"nodes/0000": blob})


def _posing_as(module, name, *args):
    """An object skops saves as a call of ``module.name(*args)`` when loaded."""

    class Call:
        def __reduce__(self):
            return (type(self), args)

    Call.__module__ = module.__name__
    Call.__name__ = Call.__qualname__ = name
    return Call()


def _replace_batch(path, data):
    """Put skops ``data`` in place of the file's skops blob, with a matching checksum."""
    with zipfile.ZipFile(path) as archive:
        comment = archive.comment
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["nodes/skops"] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    members["manifest.json"] = json.dumps(manifest).encode()
    members["nodes/skops"] = data
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = comment
        for name, blob in members.items():
            archive.writestr(name, blob)


def test_load_refuses_a_file_that_calls_a_workbench_function_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    gadget = _posing_as(workbench.parallel._workers, "receive", _packed_gadget(marker))
    data = skops.io.dumps(gadget)
    path = save(StandardScaler(), tmp_path / "gadget.wbz")
    _replace_batch(path, data)
    names = ["workbench.parallel._workers.receive", "workbench.persistence._format.Packed"]
    assert get_untrusted_types(path) == names
    with pytest.raises(UntrustedTypesError, match=re.escape(f"not trusted: {names!r}")):
        load(path)
    assert not marker.exists()
    assert get_untrusted_types(path) == names  # reading what a file needs runs nothing either
    assert not marker.exists()


def test_load_refuses_a_workbench_function_as_a_value(tmp_path):
    step = FunctionTransformer(func=workbench.core.authoring.fit_transform_step)
    path = save(Pipeline([("f", step)]), tmp_path / "function.wbz")
    name = "workbench.core._fitting.fit_transform_step"
    assert get_untrusted_types(path) == [name]
    with pytest.raises(UntrustedTypesError, match=re.escape(repr([name]))):
        load(path)
    assert load(path, trusted=[name])["f"].func is workbench.core.authoring.fit_transform_step


def test_load_refuses_a_manifest_that_names_a_workbench_function(tmp_path):
    path = save(Pipeline([("scale", StandardScaler())]), tmp_path / "p.wbz")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["root"]["class"] = "workbench.parallel._workers.receive"
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        for name, blob in members.items():
            archive.writestr(name, blob)
    with pytest.raises(UntrustedTypesError, match=r"\['workbench.parallel._workers.receive'\]"):
        load(path)


def _public_step_classes():
    found = set()
    modules = (workbench.core, workbench.core.authoring, workbench.training, workbench.parallel)
    for module in modules:
        for name in module.__all__:
            value = getattr(module, name)
            if (
                inspect.isclass(value)
                and issubclass(value, Step)
                and value not in (Step, Composite, Wrapper)
            ):
                found.add(f"{value.__module__}.{value.__qualname__}")
    return found


def test_trusted_types_are_classes_only_and_cover_every_workbench_step():
    for name in TRUSTED_TYPES:
        module, _, attribute = name.rpartition(".")
        assert inspect.isclass(getattr(importlib.import_module(module), attribute)), name
    workbench_names = {name for name in TRUSTED_TYPES if name.startswith("workbench.")}
    assert workbench_names == _public_step_classes()


def test_a_tree_of_every_workbench_step_loads_without_trusted(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    pipe = Pipeline(
        [
            ("train_only", TrainOnly(StandardScaler())),
            ("union", ParallelUnion([("a", StandardScaler()), ("b", StandardScaler())], n_jobs=1)),
            ("parallel", ParallelTransform(StandardScaler(), n_jobs=1)),
            ("model", Choose([("logistic", LogisticRegression())], choice="logistic")),
        ]
    ).fit(X, y)
    others = [
        ForEach(StandardScaler()),
        Flatten(),
        InputAsTarget(),
        NextValueTarget(),
        TransformTarget(LogisticRegression(), transformer=StandardScaler()),
    ]
    path = save(
        Pipeline([("pipe", pipe), *[(f"s{i}", s) for i, s in enumerate(others)]]),
        tmp_path / "all.wbz",
    )
    assert get_untrusted_types(path) == []
    loaded = load(path)
    np.testing.assert_array_equal(loaded["pipe"].predict(X), pipe.predict(X))


def _edit_manifest(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        for name, blob in members.items():
            archive.writestr(name, blob)


@pytest.fixture
def mixed(tmp_path, data, locked_saver):
    """A saved pipeline with a composite, a skops leaf and a leaf saved by its own saver."""
    X, _ = data
    pipe = Pipeline([("scale", StandardScaler()), ("locked", Locked().fit(X))]).fit(X)
    return save(pipe, tmp_path / "mixed.wbz")


@pytest.mark.parametrize(
    "target", ["nodes/elsewhere", "../../evil", "nodes/skops", "manifest.json"]
)
@pytest.mark.parametrize("node", ["root", "scale", "locked"])
def test_load_manifest_pointing_a_node_at_another_member_is_an_error(mixed, target, node):
    def retarget(manifest):
        record = manifest["root"]
        if node != "root":
            record = next(c["node"] for c in record["children"] if c["name"] == node)
        record["member"] = target

    _edit_manifest(mixed, retarget)
    trusted = ["tests.persistence.steps.Locked"]
    with pytest.raises(
        PersistenceError,
        match=rf"'{re.escape(str(mixed))}' is corrupted or was tampered with: the step at "
        rf"'{'the root' if node == 'root' else node}' points at saved data '{re.escape(target)}'",
    ):
        load(mixed, trusted=trusted)


def test_load_manifest_pointing_two_nodes_at_one_member_is_an_error(mixed):
    def alias(manifest):
        first, second = (child["node"] for child in manifest["root"]["children"])
        second["member"] = first["member"]
        second["saver"] = first["saver"]

    _edit_manifest(mixed, alias)
    with pytest.raises(PersistenceError, match="two steps point at the same saved data"):
        load(mixed, trusted=["tests.persistence.steps.Locked"])


def _set(key, value, *, child=None):
    def change(manifest):
        record = manifest["root"] if child is None else manifest["root"]["children"][child]["node"]
        record[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_set("kind", "script"), "a node record of unknown kind 'script'"),
        (_set("kind", "leaf"), "the leaf node at '' needs 'saver' as a str, but has None"),
        (_set("member", None, child=0), "the leaf node at 'scale' needs 'member' as a str"),
        (_set("children", {"a": 1}), "the composite node at '' needs 'children' as a list"),
        (_set("children_form", "dict"), "the children of '' have no known form"),
        (_set("saver", "eval", child=0), "the step at 'scale' names no known saver"),
        (_set("registered_for", None, child=1), "the step at 'locked' names no saver class"),
        (
            _set("children_param", "__class__"),
            "the Pipeline at 'the root' keeps its children in 'steps', not '__class__'",
        ),
    ],
)
def test_load_malformed_manifest_records_are_errors(mixed, change, problem):
    _edit_manifest(mixed, change)
    with pytest.raises(PersistenceError, match=re.escape(f"tampered with: {problem}")):
        load(mixed, trusted=["tests.persistence.steps.Locked"])


def test_load_passthrough_record_holding_anything_else_is_an_error(mixed):
    def change(manifest):
        manifest["root"]["children"][0]["node"] = {
            "kind": "passthrough",
            "path": "scale",
            "value": "os.system",
        }

    _edit_manifest(mixed, change)
    with pytest.raises(PersistenceError, match="a passthrough node holds 'os.system'"):
        load(mixed, trusted=["tests.persistence.steps.Locked"])


def test_load_manifest_nested_too_deep_is_an_error(mixed):
    def nest(manifest):
        record = manifest["root"]
        for _ in range(300):
            record = {**record, "children": [{"name": "deeper", "node": record}]}
        manifest["root"] = record

    _edit_manifest(mixed, nest)
    with pytest.raises(PersistenceError, match="nested more than 200 levels deep"):
        load(mixed)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.update(members=["nodes/skops"]), "does not list its saved data"),
        (lambda m: m["members"]["nodes/skops"].pop("sha256"), "does not list its saved data"),
        (lambda m: m.update(root="os.system"), "has no root step"),
    ],
)
def test_load_malformed_member_list_or_root_is_an_error(mixed, change, problem):
    _edit_manifest(mixed, change)
    with pytest.raises(PersistenceError, match=problem):
        load(mixed)


def test_fitted_state_naming_other_attributes_is_refused(data):
    X, _ = data
    blob = skops.io.dumps(
        {"params": {}, "fitted": {"__class__": Pipeline, "mean_": 1.0}, "space": None}
    )
    with pytest.raises(
        PersistenceError, match=r"not fitted attributes \(name_\): \['__class__'\]"
    ):
        FittedStateSaver().load(blob, step_class=Locked)
    assert FittedStateSaver().load(
        FittedStateSaver().dump(Locked().fit(X)), step_class=Locked
    ).scale_.shape == (4,)
