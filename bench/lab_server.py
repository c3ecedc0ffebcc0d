"""Lab server: what the JupyterLab panel costs, on a store holding one large study (10,000
trials by default), for a journal file and for SQLite.

Measured through a real Jupyter server running the extension (an HTTP GET on 127.0.0.1 with
the token; the median of many, so the figure is the server's time plus a loopback round trip):

- the first listing after the server started (it reads its stores as it starts, in its
  thread pool), and a cold listing in this process (a journal's index built from nothing);
- ``changes`` with nothing changed: what the panel asks every second while idle;
- the first page of trials (100 rows): what opening the study costs;
- pages sorted by a column (by value both ways, from the start, middle and end; by a param;
  by duration): the first one asked, and the slowest of the others;
- beside optuna-dashboard's approach on the same store, where each refresh reads every trial of
  the study again (``storage.get_all_trials``) and serialises it all, timed in this process
  (so without even the HTTP round trip);
- one live refresh of the open study while trials are added: its summary, first page and the
  values for the best-so-far plot, either of every trial or from the newest on (what the
  panel asks since it keeps the values of finished trials), and the bytes it received.

The trials carry what Workbench records: two params, six intermediate values and a six-epoch
History each; every 50th failed. The stores are built in /dev/shm where there is one; the
journal through Optuna's ``add_trials``, SQLite by bulk inserts into Optuna's tables in one
transaction (see :func:`fill_sqlite`), checked with ``optuna.load_study``.

    .venv/bin/python bench/lab_server.py            # 10,000 trials
    .venv/bin/python bench/lab_server.py --trials 100000
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.distributions import FloatDistribution, IntDistribution, distribution_to_json
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState, create_trial

from workbench.store import open_store

STUDY = "big-study"
RECORD_KEY = "workbench:record"
REPEATS = 40


def make_trials(n_trials: int) -> list[FrozenTrial]:
    """The bench's trials: two params, six intermediate values and a History each; every
    50th trial failed (no value), so a page sorted by value has trials without one last."""
    distributions = {
        "model__alpha": FloatDistribution(1e-6, 1e-1, log=True),
        "model__max_depth": IntDistribution(1, 12),
    }
    trials = []
    for number in range(n_trials):
        curve = [0.5 + 0.4 * (1 - 0.7**epoch) * ((number % 97) / 97) for epoch in range(1, 7)]
        history = {
            "columns": ["epoch", "train_loss", "valid_accuracy"],
            "data": [[e + 1, 1.0 - v, v] for e, v in enumerate(curve)],
        }
        failed = number % 50 == 49
        trials.append(
            create_trial(
                state=TrialState.FAIL if failed else TrialState.COMPLETE,
                value=None if failed else curve[-1],
                params={
                    "model__alpha": 10 ** -(1 + number % 5),
                    "model__max_depth": 1 + number % 12,
                },
                distributions=distributions,
                intermediate_values=dict(enumerate(curve, start=1)),
                user_attrs={RECORD_KEY: {"history": history}},
            )
        )
    return trials


def fill_journal(path: Path, n_trials: int) -> float:
    """A journal file holding the study, written through Optuna's API (``add_trials``);
    the seconds it took."""
    started = time.perf_counter()
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = optuna.create_study(study_name=STUDY, storage=storage, direction="maximize")
    study.add_trials(make_trials(n_trials))
    return time.perf_counter() - started


def fill_sqlite(url: str, n_trials: int) -> float:
    """A SQLite store holding the study; the seconds it took.

    ``add_trials`` commits each trial with a dozen statements (the bench's first version did
    not finish 100,000 trials in 20 minutes). Here Optuna creates the study and its schema,
    and the trials go into Optuna's own tables in one transaction (SQLAlchemy Core, bulk
    inserts), as Optuna would write them; ``optuna.load_study`` then reads them back.
    """
    started = time.perf_counter()
    study = optuna.create_study(study_name=STUDY, storage=url, direction="maximize")
    engine = sa.create_engine(url)
    tables = sa.MetaData()
    tables.reflect(engine)
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in ("trials", "trial_params", "trial_values", "trial_intermediate_values")
    }
    rows["trial_user_attributes"] = []
    trials = make_trials(n_trials)
    for trial_id, trial in enumerate(trials, start=1):
        rows["trials"].append(
            {
                "trial_id": trial_id,
                "number": trial.number if trial.number >= 0 else trial_id - 1,
                "study_id": study._study_id,
                "state": trial.state.name,
                "datetime_start": _utc(trial.datetime_start),
                "datetime_complete": _utc(trial.datetime_complete),
            }
        )
        for name, value in trial.params.items():
            distribution = trial.distributions[name]
            rows["trial_params"].append(
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": distribution.to_internal_repr(value),
                    "distribution_json": distribution_to_json(distribution),
                }
            )
        for objective, value in enumerate(trial.values or ()):
            rows["trial_values"].append(
                {"trial_id": trial_id, "objective": objective, "value": value,
                 "value_type": "FINITE"}
            )  # fmt: skip
        for step, value in trial.intermediate_values.items():
            rows["trial_intermediate_values"].append(
                {"trial_id": trial_id, "step": step, "intermediate_value": value,
                 "intermediate_value_type": "FINITE"}
            )  # fmt: skip
        for key, value in trial.user_attrs.items():
            rows["trial_user_attributes"].append(
                {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
            )
    with engine.begin() as connection:
        for name, table_rows in rows.items():
            if table_rows:
                connection.execute(tables.tables[name].insert(), table_rows)
    engine.dispose()
    loaded = optuna.load_study(study_name=STUDY, storage=url)  # a valid Optuna store
    storage = loaded._storage
    last = storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(loaded._study_id, n_trials - 1)
    )
    assert storage.get_n_trials(loaded._study_id) == n_trials, n_trials
    assert last.user_attrs[RECORD_KEY]["history"]["columns"][0] == "epoch", last.user_attrs
    assert last.params == trials[-1].params and last.values == trials[-1].values, last
    return time.perf_counter() - started


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """As Optuna stores a time: naive UTC."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``jupyter server`` with the extension, showing ``stores``; stopped on exit."""

    def __init__(self, root: Path, stores: list[str]):
        self.token = secrets.token_hex(16)
        self.received = 0
        self.port = _free_port()
        config = root / "bench_config.json"
        config.write_text(json.dumps({"WorkbenchApp": {"stores": stores}}))
        env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_STORAGE"}
        self.log = (root / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                "--ip=127.0.0.1", f"--port={self.port}", f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={root}", f"--config={config}",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                self.get("api/status")
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(
                        f"the server did not start; see {root / 'server.log'}"
                    ) from None
                time.sleep(0.3)

    def get(self, path: str, **params: Any) -> Any:
        """GET as a browser asks (gzip accepted); the bytes received add to ``received``."""
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}{query}",
            headers={"Authorization": f"token {self.token}", "Accept-Encoding": "gzip"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            self.received += len(body)
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        return json.loads(body)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def median_ms(call: Any, repeats: int = REPEATS) -> float:
    call()  # warm: opening the store, first read
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def live_refresh(
    server: Server, store: str, storage: BaseStorage, *, all_values: bool, repeats: int
) -> tuple[float, float]:
    """One refresh of the open study while a worker adds trials: a trial is added (untimed),
    then the view's three requests are timed: the summary, the first page and the values, of
    every trial (``all_values``) or from the new one on (what the panel asks). The medians of
    the time (ms) and of the bytes received (gzip accepted, as a browser does)."""
    study = optuna.load_study(study_name=STUDY, storage=storage)
    base = f"workbench/api/stores/{store}/studies/{STUDY}"
    times, sizes = [], []
    for _ in range(repeats):
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=0.5))
        start = 0 if all_values else len(study.get_trials(deepcopy=False)) - 1
        received = server.received
        started = time.perf_counter()
        server.get(base)
        server.get(f"{base}/trials", limit=100)
        values = server.get(f"{base}/values", start=start)
        times.append(time.perf_counter() - started)
        sizes.append(server.received - received)
        assert values["rows"] and values["rows"][-1][2] == 0.5, values["rows"][-1:]
    return 1000 * statistics.median(times), statistics.median(sizes)


def sorted_pages_ms(server: Server, store: str, n_trials: int) -> tuple[float, float]:
    """Pages of 100 sorted by a column: the first one asked (ms), then the slowest median of
    several (by value both ways, from the start, the middle and the end; by a param)."""
    path = f"workbench/api/stores/{store}/studies/{STUDY}/trials"
    started = time.perf_counter()
    page = server.get(path, sort="value", descending=1, limit=100)
    first = 1000 * (time.perf_counter() - started)
    value = page["columns"].index("value")
    assert page["rows"][0][value] == max(r[value] for r in page["rows"] if r[value] is not None)
    asked = [
        {"sort": "value", "descending": 1, "offset": 0},
        {"sort": "value", "descending": 0, "offset": n_trials // 2},
        {"sort": "value", "descending": 0, "offset": max(0, n_trials - 100)},
        {"sort": "model__max_depth", "descending": 1, "offset": n_trials // 3},
        {"sort": "duration", "descending": 0, "offset": n_trials // 4},
    ]
    slowest = max(
        median_ms(lambda query=query: server.get(path, limit=100, **query), repeats=10)
        for query in asked
    )
    return first, slowest


def dashboard_refresh(storage: BaseStorage) -> None:
    """What optuna-dashboard does per refresh: every trial of the study, read and serialised."""
    study_id = storage.get_study_id_from_name(STUDY)
    trials = storage.get_all_trials(study_id, deepcopy=False)
    json.dumps(
        [
            {
                "number": t.number,
                "state": t.state.name,
                "values": t.values,
                "params": t.params,
                "intermediate_values": list(t.intermediate_values.items()),
                "user_attrs": t.user_attrs,
                "datetime_start": str(t.datetime_start),
                "datetime_complete": str(t.datetime_complete),
            }
            for t in trials
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="workbench-lab-bench-", dir=shm) as folder:
        root = Path(folder)
        journal = root / "journal.log"
        sqlite = f"sqlite:///{root / 'studies.db'}"
        made = {
            "journal file": fill_journal(journal, args.trials),
            "SQLite": fill_sqlite(sqlite, args.trials),
        }
        server = Server(root, [str(journal), sqlite])
        try:
            measure(server, journal, sqlite, args.trials, made)
        finally:
            server.close()


def cold_listing_ms(target: str) -> float:
    """A listing read in this process from nothing (a journal's index built, SQLite's counts
    made): what the server does as it starts."""
    started = time.perf_counter()
    open_store(target, readonly=True).summaries()
    return 1000 * (time.perf_counter() - started)


def measure(
    server: Server, journal: Path, sqlite: str, n_trials: int, made: dict[str, float]
) -> None:
    ids = {info["url"]: info["id"] for info in server.get("workbench/api/stores")["stores"]}
    print(
        f"A study of {n_trials:,} trials; medians of {REPEATS} requests (10 for pages and "
        f"live refreshes), in ms."
    )
    header = (
        f"{'store':<13} {'first listing':>13} {'idle changes':>12} {'first page':>10} "
        f"{'1st sorted':>10} {'sorted page':>11} {'dashboard':>9} {'live, all':>9} "
        f"{'live, new':>9} {'bytes':>7}"
    )
    print(header)
    print("-" * len(header))
    stores = [
        ("journal file", str(journal), JournalStorage(JournalFileBackend(str(journal)))),
        ("SQLite", sqlite, RDBStorage(sqlite)),
    ]
    for label, url, storage in stores:
        store = ids[url]
        started = time.perf_counter()  # the first listing since the server started
        server.get("workbench/api/studies", store=store)
        listing = 1000 * (time.perf_counter() - started)
        cursor = server.get("workbench/api/changes")["cursor"]
        idle = server.get("workbench/api/changes", since=cursor)
        assert not [c for c in idle["changed"] if c["names"]], idle
        changes = median_ms(
            lambda cursor=cursor: server.get("workbench/api/changes", since=cursor)
        )
        page = median_ms(
            lambda store=store: server.get(
                f"workbench/api/stores/{store}/studies/{STUDY}/trials", limit=100
            ),
            repeats=10,
        )
        first_sorted, sorted_page = sorted_pages_ms(server, store, n_trials)
        started = time.perf_counter()  # once: minutes for SQLite at 100,000 trials
        dashboard_refresh(storage)
        dashboard = 1000 * (time.perf_counter() - started)
        every, _ = live_refresh(server, store, storage, all_values=True, repeats=3)
        new, size = live_refresh(server, store, storage, all_values=False, repeats=REPEATS // 4)
        print(
            f"{label:<13} {listing:>13.0f} {changes:>12.2f} {page:>10.1f} {first_sorted:>10.0f} "
            f"{sorted_page:>11.0f} {dashboard:>9.0f} {every:>9.0f} {new:>9.0f} {size:>7.0f}"
        )
    cold = {label: cold_listing_ms(target) for label, target in [
        ("journal file", str(journal)), ("SQLite", sqlite)
    ]}  # fmt: skip
    print(
        "\nfirst listing: the first GET studies?store= after the server answered (it starts "
        "reading its stores as it starts);\ncold listing in this process, without a server: "
        + ", ".join(f"{label} {ms:.0f} ms" for label, ms in cold.items())
        + ";\nidle changes: GET changes?since=<cursor> when nothing changed "
        "(both stores are asked each time);\nfirst page: GET .../trials?limit=100; 1st sorted: "
        "the first page sorted by value (descending);\nsorted page: the slowest median of pages "
        "sorted by value (both ways, start, middle, end), by a param\nand by duration; "
        "dashboard: optuna-dashboard's refresh, once (get_all_trials + JSON of them all, in "
        "process);\nlive: one refresh of the open study after a trial was added (summary, "
        "first page, values), with the values\nof every trial (all, median of 3) or from the "
        "new trial on (new, what the panel asks); bytes: received\nfor a 'new' refresh, gzip "
        "accepted as a browser does.\n"
        + "".join(f"Building the {k} store took {v:.0f} s. " for k, v in made.items())
    )


if __name__ == "__main__":
    main()
