"""How fast is a comparison? And importance per step?

Builds (once, in a temporary folder) a journal of ``--runs`` runs of ``--epochs`` epochs each,
written as ``fit_epochs`` records them (a five-step structure, twenty hyperparams, a History of
four statistics with a mutation half-way), and a study of ``--trials`` complete trials over
four hyperparams of two steps. Then it times, as medians of ``--repeat`` runs:

- ``compare cold``: a fresh Python process opens the journal (nothing indexed yet) and runs
  ``open_store(path).compare(all runs)``; timed inside that process, imports excluded
  (goal: under 1 s for 200 runs of 200 epochs);
- ``compare warm``: the same in this process, the journal already indexed;
- ``view data``: ``workbench.views.compare``'s plain data for the same comparison, downsampled
  to what a chart of 800 pixels shows (the part of the view the kernel computes);
- ``importance``: ``Store.importance(study)`` with the default PED-ANOVA evaluator
  (goal: under 2 s for a 10,000-trial study).

The browser side (1,000 curves drawn in Chromium under 200 ms) is measured by
``tests/browser/test_compare_view.py::test_compare_view_draws_a_thousand_curves_fast``.

Run: ``PYTHONPATH=. python bench/compare.py [--runs 200] [--epochs 200] [--trials 10000]``
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import BaseJournalBackend

from workbench.store import History, open_store, shared

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _structure(run: int) -> dict[str, Any]:
    def node(path: str, cls: str, hyperparams: dict[str, Any], children=()) -> dict[str, Any]:
        name = path.rpartition("__")[2]
        return {"name": name, "path": path, "class": cls, "active": True,
                "hyperparams": hyperparams, "children": list(children)}  # fmt: skip

    encoder = node(
        "encoder",
        "Pipeline",
        {},
        [
            node("encoder__scale", "StandardScaler", {"with_mean": True, "with_std": True}),
            node("encoder__pca", "PCA", {"n_components": 8 + run % 4, "whiten": False}),
        ],
    )
    head = "MLPClassifier" if run % 2 else "SGDClassifier"
    model = node("model", head, {f"p{i}": i * (1 + run % 3) for i in range(14)})
    return node("", "Pipeline", {}, [encoder, model])


def _history(run: int, epochs: int, *, accuracy: bool = True) -> History:
    rows = [
        {"epoch": e, "phase": "pretrain" if e <= epochs // 2 else "finetune",
         "mutation": "replace model" if e == epochs // 2 + 1 else None,
         "n_train": 800, "n_valid": 200, "epoch_time": 0.01,
         "train_loss": 1 / e + run / 1e3, "valid_loss": 1.1 / e + run / 1e3,
         **({"train_accuracy": 1 - 1 / (e + 1), "valid_accuracy": 1 - 1.2 / (e + 1)}
            if accuracy else {})}
        for e in range(1, epochs + 1)
    ]  # fmt: skip
    return History.from_rows(rows)


class _Buffer(BaseJournalBackend):
    """Collects journal lines in memory, to write a genuine Optuna journal file at once."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        return self.logs[log_number_from:]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        self.logs.extend(logs)


def build_runs(path: str, runs: int, epochs: int, *, accuracy: bool = True) -> list[str]:
    """A new journal file of ``runs`` recorded runs (losses, and accuracies unless told
    not)."""
    buffer = _Buffer()
    storage = JournalStorage(buffer)
    names = []
    for run in range(runs):
        history = _history(run, epochs, accuracy=accuracy)
        names.append(
            shared.record_run(
                structure=_structure(run),
                hyperparams={"model__p1": 1 + run % 3},
                history=history,
                storage=storage,
                run_name=f"run-{run:04d}",
                value=float(history["valid_loss"].iloc[-1]),
                metric="valid_loss",
            )
        )
    with open(path, "w") as file:  # a new journal: its ids start at 0
        for log in buffer.logs:
            file.write(json.dumps(log, separators=(",", ":")) + "\n")
    return names


def build_study(path: str, trials: int) -> str:
    storage = shared.open_storage(path)
    study = optuna.create_study(storage=storage, study_name="search", direction="maximize")
    study.set_user_attr(shared.KIND_KEY, "study")
    study.set_user_attr(shared.METRIC_KEY, "valid_accuracy")
    distributions = {
        "encoder__pca__n_components": IntDistribution(2, 32),
        "encoder__scale__with_mean": CategoricalDistribution([True, False]),
        "model__alpha": FloatDistribution(1e-5, 1.0, log=True),
        "model__l1_ratio": FloatDistribution(0.0, 1.0),
    }
    sampler = optuna.samplers.RandomSampler(seed=0)
    made = []
    for number in range(trials):
        params = {name: sampler.sample_independent(study, None, name, d)  # type: ignore[arg-type]
                  for name, d in distributions.items()}  # fmt: skip
        value = -abs(math.log10(params["model__alpha"]) + 3) + params["model__l1_ratio"] / 10
        made.append(
            optuna.trial.create_trial(
                params=params, distributions=distributions, value=value + (number % 7) / 1e4
            )
        )
    study.add_trials(made)
    return "search"


def _median(function: Any, repeat: int) -> str:
    """Median wall and CPU milliseconds (CPU time shows the work when other processes
    share the machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return f"{statistics.median(walls) * 1000:8.1f} ms wall {statistics.median(cpus) * 1000:8.1f} ms CPU"


COLD = """
import json, sys, time
from workbench.store import open_store
path, names = sys.argv[1], json.loads(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
found = open_store(path, readonly=True).compare(names)
print((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, len(found.curves))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs_path = str(Path(folder) / "runs.log")
        study_path = str(Path(folder) / "study.log")
        start = time.perf_counter()
        names = build_runs(runs_path, args.runs, args.epochs)
        build_study(study_path, args.trials)
        print(f"built in {time.perf_counter() - start:.1f} s: {args.runs} runs of "
              f"{args.epochs} epochs, a study of {args.trials} trials")  # fmt: skip
        cold, cold_cpu = [], []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", COLD, runs_path, json.dumps(names)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            milliseconds, cpu, rows = out.stdout.split()
            cold.append(float(milliseconds))
            cold_cpu.append(float(cpu))
        print(
            f"compare cold  {statistics.median(cold):8.1f} ms wall "
            f"{statistics.median(cold_cpu):8.1f} ms CPU  ({rows} curve rows; goal 1,000 ms)"
        )
        store = open_store(runs_path, readonly=True)
        print(f"compare warm  {_median(lambda: store.compare(names), args.repeat)}")
        _view_and_importance(store, names, study_path, args.repeat)


def _view_and_importance(store: Any, names: list[str], study_path: str, repeat: int) -> None:
    from workbench.views._compare_data import get_compare_info  # the kernel's part of the view

    comparison = store.compare(names)
    print(f"view data     {_median(lambda: get_compare_info(comparison, width=800), repeat)}")
    studies = open_store(study_path, readonly=True)
    start, cpu = time.perf_counter(), time.process_time()
    studies.importance("search")
    first = f"{(time.perf_counter() - start) * 1000:8.1f} ms wall {(time.process_time() - cpu) * 1000:8.1f} ms CPU"
    print(f"importance    {first}  (first call: the journal's trials read cold; goal 2,000 ms)")
    print(f"importance    {_median(lambda: studies.importance('search'), repeat)}  (again)")


if __name__ == "__main__":
    main()
