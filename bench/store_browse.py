"""How cheap is browsing the store? Journal file and SQLite, beside Optuna's own calls.

For each backend it builds (once, in a temporary folder) a store of 200 studies of 100 trials
each and a store holding one study of 10,000 trials; every trial holds what the tuner records
(two params, five intermediate values, a 10-epoch History). Then it times:

- cold listing: ``open_store(...).studies()`` from a fresh open, beside Optuna's
  ``get_all_studies()`` plus ``get_all_trials()`` of every study, also from a fresh open;
- ``changes(cursor)`` when nothing changed, on the 10,000-trial store, beside the same Optuna
  calls on the already opened storage (what a poller without cursors would do);
- one page of 100 trials of the 10,000-trial study, ``Store.trials(offset=5000, limit=100)``,
  beside Optuna's ``get_all_trials()`` of that study from a fresh open.

Run: ``PYTHONPATH=. python bench/store_browse.py [--scale 0.1] [--folder DIR]``
(``--scale`` shrinks the stores for a quick look; ``--folder`` keeps them for the next run).
Figures are medians of ``--repeat`` runs, in milliseconds of wall and of CPU time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.storages import JournalStorage, RDBStorage
from optuna.storages.journal import BaseJournalBackend, JournalFileBackend
from optuna.trial import TrialState

from workbench import store
from workbench.store import History, shared
from workbench.store.shared import make_record

optuna.logging.set_verbosity(optuna.logging.ERROR)

DISTRIBUTIONS = {
    "model__C": FloatDistribution(1e-3, 1e3, log=True),
    "model__solver": CategoricalDistribution(["lbfgs", "saga"]),
}


def _record() -> dict[str, Any]:
    rows = [
        {"epoch": e, "phase": "", "mutation": None, "n_train": 800, "n_valid": 200,
         "epoch_time": 0.01, "train_loss": 1 / e, "valid_accuracy": 0.5 + 0.04 * e}
        for e in range(1, 11)
    ]  # fmt: skip
    return make_record(history=History.from_rows(rows))


RECORD = _record()


def trial(number: int) -> optuna.trial.FrozenTrial:
    """A finished trial as the tuner records it."""
    state = TrialState.PRUNED if number % 7 == 3 else TrialState.COMPLETE
    return optuna.trial.create_trial(
        state=state,
        value=None if state == TrialState.PRUNED else 0.5 + math.sin(number) / 4,
        params={"model__C": 10 ** ((number % 13) / 2 - 3), "model__solver": "saga"},
        distributions=DISTRIBUTIONS,
        intermediate_values={step: 0.5 + step / 20 for step in range(5)},
        user_attrs={shared.RECORD_KEY: RECORD},
    )


class _Buffer(BaseJournalBackend):
    """Collects journal lines in memory, to write a genuine Optuna journal file at once."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        return self.logs[log_number_from:]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        self.logs.extend(logs)


def new_study(storage: Any, index: int) -> optuna.Study:
    study = optuna.create_study(
        storage=storage,
        study_name=f"study-{index:03d}",
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=index),
    )
    study.set_user_attr(shared.KIND_KEY, "study")
    study.set_user_attr(shared.METRIC_KEY, "valid_accuracy")
    return study


def build_journal(path: Path, n_studies: int, n_trials: int) -> str:
    """Written as the tuner writes: ask, params, intermediate values, the record, tell."""
    buffer = _Buffer()
    storage = JournalStorage(buffer)
    for index in range(n_studies):
        study = new_study(storage, index)
        for number in range(n_trials):
            template = trial(number)
            running = study.ask(DISTRIBUTIONS)
            for step, value in template.intermediate_values.items():
                running.report(value, step)
            running.set_user_attr(shared.RECORD_KEY, RECORD)
            study.tell(running, template.value, state=template.state)
    with open(path, "w") as file:
        for log in buffer.logs:
            file.write(json.dumps(log, separators=(",", ":")) + "\n")
    return str(path)


def build_sqlite(path: Path, n_studies: int, n_trials: int) -> str:
    """Optuna's schema, studies made by Optuna, trials bulk-inserted (Optuna's ORM writes
    one trial in tens of milliseconds: hours for these stores)."""
    import sqlalchemy as sa
    from optuna.distributions import distribution_to_json

    url = f"sqlite:///{path}"
    storage = RDBStorage(url)
    study_ids = [new_study(storage, index)._study_id for index in range(n_studies)]
    tables: dict[str, list[dict[str, Any]]] = {
        "trials": [], "trial_values": [], "trial_params": [],
        "trial_intermediate_values": [], "trial_user_attributes": [],
    }  # fmt: skip
    record = json.dumps(RECORD)
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    trial_id = 0
    for study_id in study_ids:
        for number in range(n_trials):
            trial_id += 1
            template = trial(number)
            moment = (now + datetime.timedelta(seconds=number)).strftime("%Y-%m-%d %H:%M:%S.%f")
            tables["trials"].append(
                {"trial_id": trial_id, "number": number, "study_id": study_id,
                 "state": template.state.name, "datetime_start": moment,
                 "datetime_complete": moment}
            )  # fmt: skip
            if template.value is not None:
                tables["trial_values"].append(
                    {"trial_id": trial_id, "objective": 0, "value": template.value,
                     "value_type": "FINITE"}
                )  # fmt: skip
            for name, distribution in DISTRIBUTIONS.items():
                tables["trial_params"].append(
                    {"trial_id": trial_id, "param_name": name,
                     "param_value": distribution.to_internal_repr(template.params[name]),
                     "distribution_json": distribution_to_json(distribution)}
                )  # fmt: skip
            for step, value in template.intermediate_values.items():
                tables["trial_intermediate_values"].append(
                    {"trial_id": trial_id, "step": step, "intermediate_value": value,
                     "intermediate_value_type": "FINITE"}
                )  # fmt: skip
            tables["trial_user_attributes"].append(
                {"trial_id": trial_id, "key": shared.RECORD_KEY, "value_json": record}
            )
    with storage.engine.begin() as connection:
        for table, rows in tables.items():
            columns = list(rows[0])
            connection.execute(
                sa.text(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})"
                ),
                rows,
            )
    storage.engine.dispose()
    check = fresh(url).get_all_trials(study_ids[0], deepcopy=False)  # Optuna reads it back
    assert [t.params["model__C"] for t in check] == [
        trial(n).params["model__C"] for n in range(n_trials)
    ]
    return url


def fresh(url: str) -> Any:
    """An Optuna storage opened afresh (no cache), as Optuna's own tools open it."""
    if "://" in url:
        return RDBStorage(url, skip_compatibility_check=True)
    return JournalStorage(JournalFileBackend(url))


def cold_store(url: str) -> store.Store:
    from workbench.store import _journal_index, _open

    _open._CACHE.clear()  # a cold open: nothing read before (the bench reaches into the
    _journal_index._INDEXES.clear()  # caches that a real process fills on first use)
    return store.open_store(url, readonly=True)


def optuna_everything(storage: Any) -> int:
    total = 0
    for study in storage.get_all_studies():
        total += len(storage.get_all_trials(study._study_id, deepcopy=False))
    return total


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``repeat`` calls (CPU time is steadier on a
    shared machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def line(label: str, ours: tuple[float, float], theirs: tuple[float, float]) -> None:
    digits = 2 if ours[0] < 1 else 1
    print(
        f"{'':9} {label:46} {ours[0]:9.{digits}f} {ours[1]:9.{digits}f} "
        f"{theirs[0]:9.1f} {theirs[1]:9.1f}"
    )


def measure(many: str, big: str, n_studies: int, n_trials: int, n_big: int, repeat: int) -> None:
    listing = timed(lambda: cold_store(many).studies(), repeat)
    optuna_listing = timed(lambda: optuna_everything(fresh(many)), repeat)
    assert len(cold_store(many).studies()) == n_studies
    line(f"cold listing, {n_studies} studies x {n_trials} trials", listing, optuna_listing)

    reader = cold_store(big)
    cursor, names = reader.changes()
    assert names == ["study-000"]
    assert reader.changes(cursor)[1] == []
    opened = fresh(big)
    optuna_everything(opened)
    nothing = timed(lambda: reader.changes(cursor), max(repeat, 50))
    optuna_nothing = timed(lambda: optuna_everything(opened), repeat)
    line(f"changes(), nothing changed, {n_big}-trial study", nothing, optuna_nothing)

    offset = n_big // 2
    page = timed(lambda: cold_store(big).trials("study-000", offset=offset, limit=100), repeat)
    optuna_page = timed(lambda: optuna_everything(fresh(big)), repeat)
    rows = cold_store(big).trials("study-000", offset=offset, limit=100)
    assert rows["number"].tolist() == list(range(offset, min(offset + 100, n_big)))
    line("one page of 100 trials, cold open", page, optuna_page)
    warm = store.open_store(big, readonly=True)
    warm.trials("study-000", limit=1)
    warm_page = timed(lambda: warm.trials("study-000", offset=offset, limit=100), repeat)
    line("one page of 100 trials, store already open", warm_page, optuna_nothing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--folder", default=None, help="build the stores here, or reuse them")
    args = parser.parse_args()
    n_studies = max(2, round(200 * args.scale))
    n_trials = max(2, round(100 * args.scale))
    n_big = max(10, round(10_000 * args.scale))
    folder = Path(args.folder or tempfile.mkdtemp(prefix="workbench-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"stores in {folder}: {n_studies} studies x {n_trials} trials; one study of {n_big}")
    print(f"{'':9} {'median ms':46} {'ours wall':>9} {'ours cpu':>9} {'optuna':>9} {'cpu':>9}")
    for kind, build in (("journal", build_journal), ("sqlite", build_sqlite)):
        start = time.perf_counter()
        suffix = ".log" if kind == "journal" else ".db"
        many, big = (
            (f"sqlite:///{path}" if kind == "sqlite" else str(path))
            if path.exists()  # built by an earlier run with --folder
            else build(path, *sizes)
            for path, sizes in (
                (folder / f"many{suffix}", (n_studies, n_trials)),
                (folder / f"big{suffix}", (1, n_big)),
            )
        )
        print(f"{kind:9} (built in {time.perf_counter() - start:.0f} s)")
        measure(many, big, n_studies, n_trials, n_big, args.repeat)
    if args.folder is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
