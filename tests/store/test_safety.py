"""Reading changes nothing, a read-only store says so, and a cut journal line breaks nothing."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import optuna
import pytest
from optuna.storages.journal import JournalFileSymlinkLock

import workbench
from workbench.exceptions import StorageError, WorkbenchWarning
from workbench.store import open_store
from workbench.store.shared import CUT_SUFFIX, record_run

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("WORKBENCH_STORAGE", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def listing(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_readonly_open_of_a_missing_journal_creates_nothing_and_lists_empty(tmp_path):
    missing = tmp_path / "nowhere" / "journal.log"
    store = open_store(str(missing), readonly=True)
    assert store.studies().empty and store.runs().empty
    assert store.changes()[1] == []
    assert listing(tmp_path) == set()


def test_readonly_open_of_the_default_store_creates_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_STORAGE", raising=False)
    assert open_store(readonly=True).summaries().empty
    assert not (tmp_path / ".workbench").exists()


def test_readonly_open_of_a_missing_sqlite_file_creates_nothing(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'none.db'}", readonly=True)
    assert store.studies().empty
    assert listing(tmp_path) == set()


def test_readonly_open_of_an_empty_sqlite_database_creates_no_table(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "empty.db").close()
    assert open_store(f"sqlite:///{tmp_path / 'empty.db'}", readonly=True).runs().empty
    with sqlite3.connect(tmp_path / "empty.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


def test_readonly_store_takes_no_lock_and_refuses_writes(tmp_path):
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="r")
    before = listing(tmp_path)
    store = open_store(str(journal), readonly=True)
    assert store.readonly
    assert store.runs()["name"].tolist() == ["r"]
    assert listing(tmp_path) == before  # no lock file, no workers folder
    with pytest.raises(StorageError, match=r"is read-only here.*Ask its owner for write access"):
        optuna.create_study(storage=store.storage, study_name="new")
    assert listing(tmp_path) == before


@pytest.fixture
def foreign_journal():
    """A journal file with one run, in a folder this test's other user can read, not write."""
    folder = Path(tempfile.mkdtemp(prefix="workbench-foreign-"))
    journal = folder / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="theirs")
    shutil.rmtree(folder / "journal.log.workers", ignore_errors=True)
    (folder / "journal.log.writer").unlink(missing_ok=True)  # the owner's writer lock
    folder.chmod(0o755)
    journal.chmod(0o644)
    try:
        yield journal
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_journal_owned_by_someone_else_opens_readonly_and_writing_names_the_path(
    foreign_journal,
):
    # Root may write anything, so the reader drops to user "nobody" (after importing).
    drop = "os.setgid(65534); os.setuid(65534)" if os.geteuid() == 0 else "pass"
    if os.geteuid() != 0:
        foreign_journal.chmod(0o444)
        foreign_journal.parent.chmod(0o555)
    result = python(
        f"""
        import json, os, sqlalchemy, filelock, optuna
        import workbench.store as store
        from workbench.store import shared
        from workbench.exceptions import StorageError
        {drop}
        opened = store.open_store({str(foreign_journal)!r})
        names = opened.runs()["name"].tolist()
        try:
            shared.record_run(structure={{}}, hyperparams={{}}, history=None,
                             storage={str(foreign_journal)!r}, run_name="mine")
            message = None
        except StorageError as error:
            message = str(error)
        print(json.dumps([opened.readonly, names, message]))
        """
    )
    assert result.returncode == 0, result.stderr
    readonly, names, message = json.loads(result.stdout.splitlines()[-1])
    assert readonly is True and names == ["theirs"]
    assert f"The store {str(foreign_journal)!r} is read-only here" in message
    assert "Ask its owner for write access, or record into a store you can write" in message
    assert {p.name for p in foreign_journal.parent.iterdir()} == {"journal.log"}


TUNE = """
import warnings, optuna
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from workbench import Pipeline
from workbench.tuning import Tuner
optuna.logging.set_verbosity(optuna.logging.ERROR)
X, y = load_iris(return_X_y=True)
tuner = Tuner(Pipeline([("model", LogisticRegression(max_iter=200))]), scoring="accuracy",
              cv=2, storage={journal!r}, study_name="cut", refit=False, random_state=0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    tuner.optimize(X, y, n_trials={n})
for warning in caught:
    print("WARNING", warning.category.__name__, warning.message)
print("TRIALS", len(tuner.study.trials))
"""


def test_cut_last_line_is_set_aside_with_a_warning_and_the_store_works_on(tmp_path):
    journal = tmp_path / "journal.log"
    first = python(TUNE.format(journal=str(journal), n=4))
    assert first.returncode == 0, first.stderr
    data = journal.read_bytes()
    journal.write_bytes(data[:-15])  # a crash in the middle of the last write
    cut = data[data.rstrip(b"\n").rfind(b"\n") + 1 : -15]

    second = python(TUNE.format(journal=str(journal), n=2))  # another process, as after a crash
    assert second.returncode == 0, second.stderr
    warnings_seen = [line for line in second.stdout.splitlines() if line.startswith("WARNING")]
    assert len(warnings_seen) == 1
    assert "WorkbenchWarning" in warnings_seen[0]
    assert f"The journal file {journal} ended in a cut line" in warnings_seen[0]
    assert f"It was moved to {journal}{CUT_SUFFIX}" in warnings_seen[0]
    assert "TRIALS 6" in second.stdout
    assert Path(f"{journal}{CUT_SUFFIX}").read_bytes() == cut + b"\n"

    store = open_store(str(journal), readonly=True)
    study = store.studies()
    assert study[["name", "n_trials", "complete", "fail"]].values.tolist() == [["cut", 6, 5, 1]]
    # the cut line was trial 3's completion: left running by a dead worker, it was failed
    trials = store.trials("cut")
    assert trials["state"].tolist() == ["complete"] * 3 + ["fail"] + ["complete"] * 2
    assert trials["error"].iloc[3].startswith("WorkerLost")


def test_cut_last_line_is_skipped_by_readers_without_changing_the_file(tmp_path):
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="a")
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="b")
    data = journal.read_bytes()
    journal.write_bytes(data[:-15])
    store = open_store(str(journal), readonly=True)
    assert store.runs()["name"].tolist() == ["a", "b"]  # only b's last update was cut
    assert journal.read_bytes() == data[:-15]


def test_writer_in_this_process_sets_a_cut_line_aside_before_appending(tmp_path):
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="a")
    with journal.open("ab") as file:
        file.write(b'{"op_code": 4, "worker')  # another process died while writing
    with pytest.warns(WorkbenchWarning, match=r"ended in a cut line \(22 bytes"):
        record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="b")
    assert open_store(str(journal), readonly=True).runs()["name"].tolist() == ["a", "b"]
    assert Path(f"{journal}{CUT_SUFFIX}").read_text() == '{"op_code": 4, "worker\n'


def test_importing_the_store_loads_no_scikit_learn_torch_widgets_or_core():
    result = python(
        """
        import sys, json
        import workbench.store
        store = workbench.store.open_store(":memory:", readonly=True)
        store.studies(); store.changes()
        heavy = ("sklearn", "torch", "ipywidgets", "IPython", "plotly", "workbench.core",
                 "workbench.training", "workbench.tuning")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
        """
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_no_workbench_module_imports_fcntl_at_module_level():
    offenders = []
    for path in Path(workbench.__file__).parent.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[0] in ("fcntl", "msvcrt") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _study_in_a_thread(journal: Path, name: str) -> threading.Thread:
    """Create study ``name`` in ``journal`` from a thread; its lock never forces a holder
    (no grace period), so the thread ends only once the lock is free or freed as dead."""
    store = open_store(str(journal))
    store.storage._backend._lock.grace_period = None
    thread = threading.Thread(
        target=optuna.create_study, kwargs={"storage": store.storage, "study_name": name}
    )
    thread.start()
    return thread


def test_a_writer_killed_holding_the_journal_lock_never_blocks_the_next_one(tmp_path):
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="a")
    killed = python(
        f"""
        import os, signal
        from workbench.store import open_store
        open_store({str(journal)!r}).storage._backend._lock.acquire()
        print(os.readlink({str(journal)!r} + ".lock"), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert killed.returncode == -signal.SIGKILL
    assert killed.stdout.strip() == f"{journal}#workbench"  # the symlink it left says whose
    thread = _study_in_a_thread(journal, "after")
    thread.join(timeout=60)
    assert not thread.is_alive(), "the next writer waited for a lock whose holder is dead"
    assert "after" in open_store(str(journal)).studies()["name"].tolist()
    assert not Path(f"{journal}.lock").exists()


def test_a_plain_optuna_writers_journal_lock_is_waited_for(tmp_path):
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="a")
    theirs = JournalFileSymlinkLock(str(journal))  # what a plain Optuna process takes
    theirs.acquire()
    thread = _study_in_a_thread(journal, "after")
    thread.join(timeout=1.0)
    assert thread.is_alive()  # still waiting: a live plain Optuna writer is never forced
    assert "after" not in open_store(str(journal), readonly=True).studies()["name"].tolist()
    theirs.release()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert "after" in open_store(str(journal)).studies()["name"].tolist()


def test_threads_sharing_one_journal_lock_take_it_in_turn(tmp_path):
    """The OS lock is reentrant within a process; the journal lock still admits one thread."""
    journal = tmp_path / "journal.log"
    record_run(structure={}, hyperparams={}, history=None, storage=str(journal), run_name="a")
    lock = open_store(str(journal)).storage._backend._lock
    lock.acquire()
    other = threading.Thread(target=lambda: (lock.acquire(), lock.release()))
    other.start()
    other.join(timeout=1.0)
    assert other.is_alive()  # the second thread waits; it never takes the holder's symlink
    assert os.readlink(f"{journal}.lock") == f"{journal}#workbench"
    lock.release()
    other.join(timeout=60)
    assert not other.is_alive() and not Path(f"{journal}.lock").exists()
