"""The configured stores: the embedded default, $WORKBENCH_STORAGE (several), the server's."""

from __future__ import annotations

import pytest

from workbench.exceptions import StorageError
from workbench.store import open_store, stores
from workbench.store.shared import ENV_VAR, record_run, resolve


def test_stores_lists_the_default_then_every_store_of_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = tmp_path / "a.log", tmp_path / "b.db"
    monkeypatch.setenv(ENV_VAR, f"{first}  sqlite:///{second}\n{first}")
    listed = stores()
    assert [(info.name, info.kind, info.opens, info.error) for info in listed] == [
        ("default", "journal", True, None),
        (str(first), "journal", True, None),
        (f"sqlite:///{second}", "sqlite", True, None),
    ]
    assert listed[0].url == str(tmp_path / ".workbench" / "journal.log")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # listing created nothing


def test_first_store_of_the_environment_is_where_runs_are_written(tmp_path, monkeypatch):
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    monkeypatch.setenv(ENV_VAR, f"{first} {second}")
    assert resolve() == str(first)
    record_run(structure={}, hyperparams={}, history=None, run_name="here")
    assert open_store(str(first)).runs()["name"].tolist() == ["here"]


def test_stores_opens_an_entry_by_its_info(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    journal = tmp_path / "x.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="r")
    default, info = stores(extra=[str(journal)], root=tmp_path)
    assert default.name == "default"
    assert open_store(info, readonly=True).runs()["name"].tolist() == ["r"]
    assert info.to_json() == {
        "name": str(journal),
        "url": str(journal),
        "kind": "journal",
        "opens": True,
        "error": None,
    }


def test_stores_root_names_whose_embedded_store_is_listed(tmp_path):
    assert stores(root=tmp_path)[0].url == str(tmp_path / ".workbench" / "journal.log")


def test_stores_without_probe_opens_none(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    broken = tmp_path / "bad.db"
    broken.write_text("not a database")
    url = f"sqlite:///{broken}"
    probed = stores(extra=[url], root=tmp_path)[1]
    assert (probed.opens, probed.error is None) == (False, False)
    listed = stores(extra=[url], root=tmp_path, probe=False)
    assert [(info.name, info.kind, info.opens, info.error) for info in listed] == [
        ("default", "journal", True, None),
        (url, "sqlite", True, None),
    ]


def test_stores_extra_as_a_bare_string_is_an_error(tmp_path):
    with pytest.raises(
        StorageError,
        match=r"extra must be a list of store URLs or paths, but got the string 'x.log'",
    ):
        stores(extra="x.log", root=tmp_path)


def test_blank_environment_variable_is_an_error(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "   ")
    with pytest.raises(StorageError, match=r"is set but names no store \('   '\)"):
        resolve()
