"""Saving your own steps: resource holders save by default; trusting classes, not only names."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest

import workbench
from tests.persistence.steps import Locked, Shift, mlp
from workbench import Pipeline
from workbench.exceptions import UntrustedTypesError
from workbench.persistence import (
    FittedStateSaver,
    dumps,
    get_untrusted_types,
    load,
    loads,
    read_manifest,
    register_saver,
    save,
    saver_for,
    unregister_saver,
)

LOCKED = "tests.persistence.steps.Locked"
SHIFT = "tests.persistence.steps.Shift"


def test_step_that_holds_resources_saves_without_registering_a_saver(tmp_path, data):
    X, _ = data
    step = Locked(factor=3.0).fit(X)
    step.setup()  # it holds its lock now: pickle cannot handle it
    assert isinstance(saver_for(step), FittedStateSaver)
    path = save(Pipeline([("locked", step)]), tmp_path / "locked.wbz")
    assert read_manifest(path)["format_version"] == 2
    loaded = load(path, trusted=[Locked])
    assert loaded["locked"].get_hyperparams() == {"factor": 3.0}
    assert not loaded[
        "locked"
    ].is_set_up  # the lock stayed behind; the loaded step takes a new one
    np.testing.assert_array_equal(loaded.transform(X), step.transform(X))
    assert loaded["locked"].is_set_up


def test_files_without_resource_holders_keep_format_version_1(tmp_path, data):
    X, _ = data
    path = save(Pipeline([("shift", Shift().fit(X))]), tmp_path / "plain.wbz")
    assert read_manifest(path)["format_version"] == 1


def test_load_resource_holder_saved_by_default_needs_its_class_trusted(tmp_path, data):
    X, _ = data
    path = save(Locked().fit(X), tmp_path / "locked.wbz")
    assert get_untrusted_types(path) == [LOCKED]
    with pytest.raises(UntrustedTypesError, match=re.escape(f"not trusted: {[LOCKED]!r}")):
        load(path)


def test_load_trusted_accepts_the_classes_themselves(tmp_path, data):
    X, _ = data
    pipe = Pipeline([("a", Shift()), ("b", Locked())]).fit(X)
    path = save(pipe, tmp_path / "mine.wbz")
    loaded = load(path, trusted=[Shift, Locked])
    np.testing.assert_array_equal(loaded.transform(X), pipe.transform(X))
    np.testing.assert_array_equal(
        loads(dumps(pipe), trusted=[Shift, LOCKED]).transform(X), pipe.transform(X)
    )


def test_load_trusted_accepts_functions_themselves(tmp_path, data):
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    from workbench.training import TorchStep

    X, y = data
    step = TorchStep(module=mlp, epochs=1, device="cpu", random_state=0).fit(
        X.astype("float32"), y
    )
    path = save(step, tmp_path / "torch.wbz")
    loaded = load(path, trusted=[mlp])
    assert isinstance(loaded.module_, torch.nn.Sequential)


def test_classes_with_a_saver_registered_in_this_session_are_trusted(tmp_path, data):
    X, _ = data
    path = save(Pipeline([("locked", Locked().fit(X))]), tmp_path / "locked.wbz")
    register_saver(Locked, FittedStateSaver())
    try:
        assert get_untrusted_types(path) == []
        loaded = load(path)
    finally:
        unregister_saver(Locked)
    np.testing.assert_array_equal(loaded.transform(X), Locked().fit(X).transform(X))
    with pytest.raises(UntrustedTypesError, match=re.escape(LOCKED)):
        load(path)  # unregistered: no longer trusted


def test_untrusted_types_error_shows_the_exact_call_to_copy(tmp_path, data):
    X, _ = data
    path = save(Pipeline([("a", Shift()), ("b", Locked())]).fit(X), tmp_path / "mine.wbz")
    with pytest.raises(UntrustedTypesError) as error:
        load(path)
    message = str(error.value)
    call = f"workbench.persistence.load({str(path)!r}, trusted={[LOCKED, SHIFT]!r})"
    assert f"\n\n    {call}\n\n" in message
    assert "trusted=[Locked, Shift]" in message
    loaded = eval(call, {"workbench": workbench})  # the call runs as printed
    assert loaded.transform(X).shape == X.shape
    with pytest.raises(
        UntrustedTypesError, match=re.escape("workbench.persistence.loads(data, trusted=")
    ):
        loads(path.read_bytes())


@pytest.mark.parametrize(
    ("trusted", "problem"),
    [
        ("tests.persistence.steps.Shift", "trusted= takes a list of type names or classes"),
        (Shift, r"pass trusted=\['Shift'\]"),
        ([3], r"trusted= takes type names \('module.Class'\), classes or functions, but got 3"),
    ],
)
def test_load_trusted_of_the_wrong_kind_is_an_error(tmp_path, data, trusted, problem):
    path = save(Shift().fit(data[0]), tmp_path / "s.wbz")
    with pytest.raises(TypeError, match=problem):
        load(path, trusted=trusted)


def test_saved_resource_holder_file_holds_no_pickle(tmp_path, data):
    X, _ = data
    step = Locked().fit(X)
    step.setup()
    path = save(step, tmp_path / "locked.wbz")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        blob = archive.read(manifest["root"]["member"])
    assert manifest["root"]["saver"] == "fitted_state"
    assert blob.startswith(b"PK")  # skops data, not a pickle
