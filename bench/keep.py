"""What keeping trials costs (issue 20): the time to keep a trial's fitted pipeline against the
trial's own time (goal: <= 5%), and load_trial in a fresh process (goal: < 0.5 s).

Digits, 10 epochs per trial, two pipelines: scaler + SGDClassifier, and scaler + a small
TorchStep MLP. Every trial is kept (keep="all": the most keeping can cost), each keep is timed
where it happens (serialising in the secure format, writing the artifact, recording it), and
trial times are the study's own (start to complete).

    .venv/bin/python bench/keep.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Hyperparam, Pipeline, floats, ints
from workbench.training import TorchStep
from workbench.tuning import Tuner, load_trial
from workbench.tuning._keep import Keeper

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 6


def mlp(n_features: int, n_outputs: int, hidden: int) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_outputs)
    )


class SmallMLP(TorchStep):
    hidden = Hyperparam(64, space=ints(16, 128, log=True))


def pipelines() -> dict[str, Pipeline]:
    sgd = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    torch_step = SmallMLP(module=mlp, lr=0.01, random_state=0, device="cpu")
    small = Pipeline([("scale", StandardScaler()), ("model", torch_step)])
    return {"SGDClassifier": sgd, "TorchStep MLP": small}


SPACES = {
    "SGDClassifier": {"model__alpha": floats(1e-5, 1e-2, log=True)},
    "TorchStep MLP": {"model__lr": floats(1e-3, 3e-2, log=True)},
}


def timed_keeps() -> list[float]:
    """Wrap Keeper.keep so that each keep's wall time is recorded."""
    times: list[float] = []
    original = Keeper.keep

    def keep(self, trial, pipeline, store):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original(self, trial, pipeline, store)
        finally:
            times.append(time.perf_counter() - start)

    Keeper.keep = keep  # type: ignore[method-assign]
    return times


def fresh_load_seconds(journal: Path, study: str, trusted: list[str]) -> float:
    script = (
        "import json, time\n"
        "from workbench.tuning import load_trial\n"
        "import bench.keep\n"  # the module that defines the TorchStep class and its builder
        "start = time.perf_counter()\n"
        f"load_trial({study!r}, storage={str(journal)!r}, trusted={trusted!r})\n"
        "print(json.dumps(time.perf_counter() - start))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from bench import keep as here  # the TorchStep class as a fresh process imports it

    X, y = load_digits(return_X_y=True)
    X = X.astype("float32")
    keeps = timed_keeps()
    for name, pipe in here.pipelines().items():
        keeps.clear()
        with tempfile.TemporaryDirectory() as folder:
            journal = Path(folder) / "journal.log"
            tuner = Tuner(
                pipe,
                scoring="accuracy",
                epochs={"epochs": 10, "batch_size": 64, "random_state": 0},
                space=SPACES[name],
                storage=str(journal),
                study_name=name,
                keep="all",
                pruner=optuna.pruners.NopPruner(),
                sampler=optuna.samplers.RandomSampler(seed=0),
                refit=False,
            )
            tuner.optimize(X, y, n_trials=TRIALS)
            trials = [t for t in tuner.study.trials if t.datetime_complete and t.datetime_start]
            durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trials]
            share = sum(keeps) / sum(durations)
            trusted = ["bench.keep.SmallMLP", "bench.keep.mlp"] if "Torch" in name else []
            start = time.perf_counter()
            load_trial(name, storage=str(journal), trusted=trusted)
            in_process = time.perf_counter() - start
            fresh = fresh_load_seconds(journal, name, trusted)
            size = sum(p.stat().st_size for p in (Path(folder) / "artifacts").iterdir())
            print(f"\n{name}: {len(trials)} trials of 10 epochs on digits, every one kept")
            print(f"  trial time, median          {statistics.median(durations) * 1e3:8.1f} ms")
            print(f"  keeping a trial, median     {statistics.median(keeps) * 1e3:8.1f} ms")
            verdict = "met" if share <= 0.05 else "NOT met"
            print(f"  keeping / trial time        {share:8.2%}   (goal <= 5%: {verdict})")
            print(f"  kept files, all trials      {size / 1e3:8.1f} kB")
            verdict = "met" if max(in_process, fresh) < 0.5 else "NOT met"
            print(f"  load_trial, this process    {in_process * 1e3:8.1f} ms")
            print(
                f"  load_trial, fresh process   {fresh * 1e3:8.1f} ms   (goal < 0.5 s: {verdict})"
            )


if __name__ == "__main__":
    main()
