"""What holds and must go on holding: damaged files at any byte, traversal names, old files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import PersistenceError
from workbench.persistence import load, loads, save


@pytest.fixture
def small(tmp_path, data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    return save(pipe, tmp_path / "small.wbz").read_bytes(), pipe, X


def test_truncated_at_every_position_is_refused(small):
    data, _, _ = small
    for size in range(len(data)):
        with pytest.raises(PersistenceError):
            loads(data[:size])


@pytest.mark.slow
def test_a_flipped_byte_at_any_position_is_refused_or_changes_nothing(small):
    data, pipe, X = small
    expected = pipe.predict_proba(X)
    refused = 0
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        try:
            loaded = loads(bytes(damaged))
        except PersistenceError:
            refused += 1
            continue
        # a byte no reader looks at (a timestamp, an unused header field): the same pipeline
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert refused > 0.9 * len(data)


def test_member_names_that_climb_out_write_nothing_anywhere(tmp_path, small):
    inside = tmp_path / "inside"
    inside.mkdir()
    path = inside / "evil.wbz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"workbench-pipeline"
        manifest = json.loads(zipfile.ZipFile(tmp_path / "small.wbz").read("manifest.json"))
        manifest["members"]["../../evil"] = {"sha256": "0" * 64, "size": 4}
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("../../evil", b"evil")
        archive.writestr("/tmp/evil-absolute", b"evil")
        with zipfile.ZipFile(tmp_path / "small.wbz") as original:
            for name in original.namelist():
                if name != "manifest.json":
                    archive.writestr(name, original.read(name))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(PersistenceError, match=r"'\.\./\.\./evil' is damaged"):
        load(path)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
