"""Lab server: what one refresh of the JupyterLab panel costs, on a store holding a
10,000-trial study, for a journal file and for SQLite.

Measured through a real Jupyter server running the extension (an HTTP GET on 127.0.0.1 with
the token; the median of many, so the figure is the server's time plus a loopback round trip):

- ``changes`` with nothing changed: what the panel asks every second while idle;
- the first page of trials (100 rows): what opening the study costs;
- beside optuna-dashboard's approach on the same store, where each refresh reads every trial of
  the study again (``storage.get_all_trials``) and serialises it all, timed in this process
  (so without even the HTTP round trip);
- one live refresh of the open study while trials are added: its summary, first page and the
  values for the best-so-far plot, either of every trial or from the newest on (what the
  panel asks since it keeps the values of finished trials).

The trials carry what Workbench records: two params, six intermediate values and a six-epoch
History each. The stores are built in /dev/shm where there is one (SQLite commits each added
trial; on a disk that takes many minutes); reads come from the page cache either way.

    .venv/bin/python bench/lab_server.py            # 10,000 trials
    .venv/bin/python bench/lab_server.py --trials 2000
"""

from __future__ import annotations

import argparse
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
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState, create_trial

STUDY = "big-study"
RECORD_KEY = "workbench:record"
REPEATS = 40


def fill(storage: BaseStorage, n_trials: int) -> float:
    """Create the study with ``n_trials`` finished trials; return the seconds it took."""
    started = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=STUDY, storage=storage, direction="maximize")
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
        trials.append(
            create_trial(
                state=TrialState.COMPLETE,
                value=curve[-1],
                params={
                    "model__alpha": 10 ** -(1 + number % 5),
                    "model__max_depth": 1 + number % 12,
                },
                distributions=distributions,
                intermediate_values=dict(enumerate(curve, start=1)),
                user_attrs={RECORD_KEY: {"history": history}},
            )
        )
    study.add_trials(trials)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``jupyter server`` with the extension, showing ``stores``; stopped on exit."""

    def __init__(self, root: Path, stores: list[str]):
        self.token = secrets.token_hex(16)
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
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}{query}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

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


def live_refresh_ms(
    server: Server, store: str, storage: BaseStorage, *, all_values: bool
) -> float:
    """One refresh of the open study while a worker adds trials: a trial is added (untimed),
    then the view's three requests are timed: the summary, the first page and the values, of
    every trial (``all_values``) or from the new one on (what the panel asks)."""
    study = optuna.load_study(study_name=STUDY, storage=storage)
    base = f"workbench/api/stores/{store}/studies/{STUDY}"
    times = []
    for _ in range(REPEATS // 4):
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=0.5))
        start = 0 if all_values else len(study.get_trials(deepcopy=False)) - 1
        started = time.perf_counter()
        server.get(base)
        server.get(f"{base}/trials", limit=100)
        values = server.get(f"{base}/values", start=start)
        times.append(time.perf_counter() - started)
        assert values["rows"] and values["rows"][-1][2] == 0.5, values["rows"][-1:]
    return 1000 * statistics.median(times)


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
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="workbench-lab-bench-", dir=shm) as folder:
        root = Path(folder)
        journal = root / "journal.log"
        sqlite = f"sqlite:///{root / 'studies.db'}"
        made = {
            "journal file": fill(JournalStorage(JournalFileBackend(str(journal))), args.trials),
            "SQLite": fill(RDBStorage(sqlite), args.trials),
        }
        server = Server(root, [str(journal), sqlite])
        try:
            ids = {
                info["url"]: info["id"] for info in server.get("workbench/api/stores")["stores"]
            }
            print(f"A study of {args.trials:,} trials; medians of {REPEATS} requests, in ms.\n")
            header = (
                f"{'store':<13} {'idle changes':>13} {'first page':>11} "
                f"{'dashboard refresh':>18} {'ratio':>7} {'live, all values':>17} "
                f"{'live, new values':>17}"
            )
            print(header)
            print("-" * len(header))
            for label, url, storage in [
                ("journal file", str(journal), JournalStorage(JournalFileBackend(str(journal)))),
                ("SQLite", sqlite, RDBStorage(sqlite)),
            ]:
                store = ids[url]
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
                dashboard = median_ms(lambda storage=storage: dashboard_refresh(storage), 5)
                every = live_refresh_ms(server, store, storage, all_values=True)
                new = live_refresh_ms(server, store, storage, all_values=False)
                print(
                    f"{label:<13} {changes:>13.2f} {page:>11.1f} {dashboard:>18.0f} "
                    f"{dashboard / changes:>6.0f}x {every:>17.0f} {new:>17.0f}"
                )
            print(
                "\nidle changes: GET changes?since=<cursor> when nothing changed (both stores "
                "are asked each time);\nfirst page: GET .../trials?limit=100; dashboard "
                "refresh: get_all_trials + JSON of them all, in process;\nratio: dashboard "
                "refresh / idle changes, what one idle second of the panel saves;\nlive: "
                "one refresh of the open study after a trial was added (summary, first page, "
                "values),\nwith the values of every trial (before) or from the new trial on "
                "(values?start=, what the panel asks).\n"
                + "".join(f"Building the {k} store took {v:.0f} s. " for k, v in made.items())
            )
        finally:
            server.close()


if __name__ == "__main__":
    main()
