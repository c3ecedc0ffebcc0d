"""Bad files and bad paths: atomic saves, truncated, corrupted, foreign, newer and untrusted."""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tests.persistence.steps import Shift
from workbench import Pipeline
from workbench.core.authoring import Composite
from workbench.exceptions import PersistenceError, UntrustedTypesError
from workbench.persistence import FORMAT_VERSION, get_untrusted_types, load, pack, save


@pytest.fixture
def saved(tmp_path, data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    return save(pipe, tmp_path / "pipe.wbz"), pipe


def _rewrite(path, change):
    """Rewrite the zip at ``path`` with ``change(name, data) -> data`` applied to members."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        for name, data in members.items():
            archive.writestr(name, change(name, data))


def test_save_crash_midway_leaves_previous_file_intact(saved, monkeypatch, data):
    path, pipe = saved
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    X, y = data
    with pytest.raises(PersistenceError, match="Cannot save to .*No space left on device"):
        save(Pipeline([("model", LogisticRegression(C=2.0))]).fit(X, y), path)
    assert path.read_bytes() == before
    assert sorted(item.name for item in path.parent.iterdir()) == ["pipe.wbz"]  # no temp file
    np.testing.assert_array_equal(load(path).predict(X), pipe.predict(X))


def test_save_interrupted_leaves_no_temporary_file(saved, monkeypatch):
    path, pipe = saved

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save(pipe, path.parent / "other.wbz")
    assert sorted(item.name for item in path.parent.iterdir()) == ["pipe.wbz"]


def test_save_replaces_an_existing_file(saved, data):
    path, _ = saved
    X, y = data
    save(Pipeline([("model", LogisticRegression(C=7.0))]).fit(X, y), path)
    assert load(path)["model"].C == 7.0


def test_save_to_missing_folder_or_directory_is_an_error(tmp_path):
    with pytest.raises(PersistenceError, match=r"folder .*nowhere' does not exist.*mkdir"):
        save(StandardScaler(), tmp_path / "nowhere" / "p.wbz")
    with pytest.raises(PersistenceError, match=r"it is a directory.*pipeline.wbz"):
        save(StandardScaler(), tmp_path)


def test_save_to_unwritable_folder_is_an_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(PersistenceError, match="Cannot save to .*Permission denied.*writable"):
        save(StandardScaler(), tmp_path / "p.wbz")
    assert list(tmp_path.iterdir()) == []


def test_save_through_a_file_in_the_path_is_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PersistenceError, match="does not exist"):
        save(StandardScaler(), blocker / "p.wbz")


def test_load_missing_path_is_an_error(tmp_path):
    with pytest.raises(PersistenceError, match=r"Cannot load .*missing.wbz': no such file"):
        load(tmp_path / "missing.wbz")
    with pytest.raises(PersistenceError, match="it is a directory"):
        load(tmp_path)


def test_load_truncated_file_is_an_error(saved):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PersistenceError, match="truncated, corrupted, or not a file written by"):
        load(path)


def test_load_file_that_is_not_a_zip_is_an_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(PersistenceError, match="truncated, corrupted, or not a file written by"):
        load(path)
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as archive:
        archive.writestr("manifest.json", "{}")
    with pytest.raises(PersistenceError, match="not a file written by.*end record is missing"):
        load(tmp_path / "plain.zip")


def test_load_flipped_bytes_is_an_error(saved):
    path, _ = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("nodes/skops")
    middle = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match=r"'nodes/skops' is corrupted"):
        load(path)


def test_load_member_changed_behind_its_checksum_is_an_error(saved):
    path, _ = saved
    _rewrite(path, lambda name, data: data[:-1] + b"?" if name == "nodes/skops" else data)
    with pytest.raises(PersistenceError, match=r"'nodes/skops' is damaged.*checksum"):
        load(path)


def test_load_member_missing_is_an_error(saved):
    path, _ = saved
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        for name, data in members.items():
            if name != "nodes/skops":
                archive.writestr(name, data)
    with pytest.raises(PersistenceError, match=r"'nodes/skops' is missing"):
        load(path)


def test_load_zip_without_manifest_is_an_error(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        archive.writestr("readme.txt", "hi")
    with pytest.raises(PersistenceError, match="has no manifest.json"):
        load(path)


def test_load_foreign_manifest_is_an_error(saved):
    path, _ = saved
    _rewrite(path, lambda name, data: b'{"format": "other"}' if name == "manifest.json" else data)
    with pytest.raises(PersistenceError, match=r"not a Workbench pipeline file.*got 'other'"):
        load(path)


def test_load_newer_format_version_is_an_error(saved):
    path, _ = saved

    def bump(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = FORMAT_VERSION + 1
        manifest["versions"]["workbench"] = "9.0.0"
        return json.dumps(manifest).encode()

    _rewrite(path, bump)
    with pytest.raises(
        PersistenceError,
        match=rf"format version {FORMAT_VERSION + 1} \(saved by workbench 9.0.0\).*upgrade",
    ):
        load(path)


def test_load_untrusted_types_lists_them_all_and_trusted_accepts(tmp_path, data):
    X, _y = data
    pipe = Pipeline([("a", Shift()), ("b", Pipeline([("c", Shift(scale=2.0))]))]).fit(X)
    path = save(pipe, tmp_path / "u.wbz")
    name = "tests.persistence.steps.Shift"
    assert get_untrusted_types(path) == [name]
    with pytest.raises(UntrustedTypesError, match=rf"not trusted: \['{name}'\]") as error:
        load(path)
    assert f"workbench.persistence.load({str(path)!r}, trusted=['{name}'])" in str(error.value)
    np.testing.assert_array_equal(load(path, trusted=[name]).transform(X), pipe.transform(X))


def test_load_untrusted_composite_class_is_refused(tmp_path, data):
    path = save(Pipeline([("scale", StandardScaler())]), tmp_path / "p.wbz")

    def retarget(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["root"]["class"] = "os.system"
        return json.dumps(manifest).encode()

    _rewrite(path, retarget)
    with pytest.raises(UntrustedTypesError, match=r"\['os.system'\]"):
        load(path)
    with pytest.raises(PersistenceError, match="'os.system' named in the file is not a Composite"):
        load(path, trusted=["os.system"])


class Bag(Composite):
    """A composite class of the user's own: loading it needs trust."""

    _children_param = "steps"

    def __init__(self, steps):
        self.steps = steps

    def transform(self, X):
        return self.steps[0][1].transform(X)


def test_load_lists_untrusted_composites_and_steps_together(tmp_path, data):
    X, _ = data
    path = save(Bag([("shift", Shift().fit(X))]), tmp_path / "bag.wbz")
    names = ["tests.persistence.steps.Shift", "tests.persistence.test_integrity.Bag"]
    with pytest.raises(UntrustedTypesError, match=re.escape(repr(names))):
        load(path)
    with pytest.raises(UntrustedTypesError, match=re.escape(repr(names[1:]))):
        load(path, trusted=names[:1])
    loaded = load(path, trusted=names)
    np.testing.assert_array_equal(loaded.transform(X), Shift().fit(X).transform(X))


def test_load_never_unpickles_from_a_file(tmp_path, data):
    X, _ = data
    packed = pack(Pipeline([("shift", Shift().fit(X))]), secure=False)  # for workers only
    path = tmp_path / "pickled.wbz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        archive.writestr("manifest.json", json.dumps(packed.manifest))
        for name, blob in packed.members.items():
            archive.writestr(name, blob)
    with pytest.raises(PersistenceError, match="is a pickle, and Workbench never loads pickles"):
        load(path, trusted=["tests.persistence.steps.Shift"])
    assert packed.unpack()["shift"].offset_.shape == (4,)  # the session's own workers may
