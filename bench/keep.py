"""What keeping trials costs (issue 20): the time to keep a trial's fitted pipeline against the
trial's own time (goal: <= 5%), load_trial in a fresh process (goal: < 0.5 s), the epoch
checkpoint each trial writes against the epoch's time, and the epochs a SIGKILLed worker's
trial loses when the next worker resumes it (goal: at most one).

Digits, 10 epochs per trial, two pipelines: scaler + SGDClassifier, and scaler + a small
TorchStep MLP. Every trial is kept (keep="all": the most keeping can cost), each keep is timed
where it happens (serialising in the secure format, writing the artifact, recording it), and
trial times are the study's own (start to complete). Each checkpoint is timed where it is
written (the pipeline in the secure format and the run's state, written to the artifact store,
recorded on the trial, the one before removed), against the epoch's time (the trial's time over
its 10 epochs). For the resume, a worker process is SIGKILLed at a random moment of its epochs 4 to
7, another worker resumes the trial, and the epochs lost are the killed worker's progress
beyond its last checkpoint (the epochs it finished since, by its own log, and the part of the
next one it ran, by its epoch time); the resumed History is compared with an uninterrupted run
of the same params.

    .venv/bin/python bench/keep.py
"""

from __future__ import annotations

import json
import os
import random
import signal
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
from workbench.store import shared
from workbench.training import TorchStep
from workbench.tuning import Tuner, load_trial
from workbench.tuning._keep import Keeper
from workbench.tuning._resume import TrialCheckpoints

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 4


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


def timed_checkpoints() -> list[float]:
    """Wrap TrialCheckpoints.save so that each checkpoint's wall time is recorded."""
    times: list[float] = []
    original = TrialCheckpoints.save

    def save(self, state):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return original(self, state)
        finally:
            times.append(time.perf_counter() - start)

    TrialCheckpoints.save = save  # type: ignore[method-assign]
    return times


STUDY_FILE = """
import os
import time

from sklearn.datasets import load_digits

from bench.keep import make_tuner
from workbench.core import Callback


class EpochLog(Callback):
    def on_epoch_end(self, **data):
        with open(os.environ["WB_EPOCH_LOG"], "a") as log:
            log.write(f"{{data['epoch']}} {{time.time()}}\\n")


X, y = load_digits(return_X_y=True)
X = X.astype("float32")
tuner = make_tuner({name!r}, {journal!r}, callbacks=[EpochLog()])
"""


def make_tuner(name: str, journal: str, **options: object) -> Tuner:
    """The tuner every figure here uses: 10 epochs of 64 samples on digits."""
    options = {
        "keep": "all",
        "pruner": optuna.pruners.NopPruner(),
        "sampler": optuna.samplers.RandomSampler(seed=0),
        "refit": False,
        **options,
    }
    return Tuner(
        pipelines()[name],
        scoring="accuracy",
        epochs={"epochs": 10, "batch_size": 64, "random_state": 0},
        space=SPACES[name],
        storage=journal,
        study_name=name,
        **options,  # type: ignore[arg-type]
    )


def killed_and_resumed(name: str, folder: Path) -> dict[str, object]:
    """SIGKILL a worker at a random moment of its epochs 4 to 7; resume the trial here."""
    journal = str(folder / "journal.log")
    study_file = folder / "study.py"
    study_file.write_text(STUDY_FILE.format(name=name, journal=journal))
    log = folder / "epochs.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WB_EPOCH_LOG": str(log)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "worker", str(study_file), "--n-trials", "1"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while len(epoch_log(log)) < 3 and worker.poll() is None:
        time.sleep(0.005)
    (_, second), (_, third) = epoch_log(log)[1:3]
    epoch_time = third - second  # the worker's own (its first checkpoint pays for imports)
    time.sleep(random.uniform(0.0, 4.0) * epoch_time)
    os.kill(worker.pid, signal.SIGKILL)
    killed_at = time.time()
    worker.wait()
    ended = epoch_log(log)
    storage = shared.open_storage(journal, heartbeat_interval=None, grace_period=None)
    record = optuna.load_study(study_name=name, storage=storage).trials[0].system_attrs
    checkpointed = int((record.get(shared.CHECKPOINT_KEY) or {}).get("epoch", 0))
    finished, last_end = ended[-1]
    lost = finished - checkpointed + min((killed_at - last_end) / epoch_time, 1.0)
    from bench import keep as here  # the classes the worker's checkpoint names

    tuner = here.make_tuner(name, journal, keep=False)
    tuner.run_trials(*digits(), n_trials=1)
    error = tuner.study.trials[-1].user_attrs.get(shared.ERROR_KEY)
    resumed = tuner.history(1)
    reference = here.make_tuner(name, str(folder / "reference.log"), keep=False)
    reference.study.enqueue_trial(tuner.study.trials[0].params)
    reference.run_trials(*digits(), n_trials=1)
    columns = [c for c in resumed.columns if c != "epoch_time"]
    return {
        "checkpointed": checkpointed,
        "finished": finished,
        "lost": lost,
        "equal": resumed[columns].equals(reference.history(0)[columns]),
        "states": [t.state.name for t in tuner.study.trials],
        "error": error,
    }


def epoch_log(path: Path) -> list[tuple[int, float]]:
    """``(epoch, time it ended)`` for each epoch the worker finished."""
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(int(epoch), float(at)) for epoch, at in lines]


def digits() -> tuple[object, object]:
    X, y = load_digits(return_X_y=True)
    return X.astype("float32"), y


def fresh_process(journal: Path, study: str, trusted: list[str]) -> dict[str, float]:
    """In a fresh process (imports done first): load_trial's first call, which pays for the
    secure format's one-time imports (skops' lists of trusted types), then a second call; and
    the anchor, workbench.persistence.load of the same file, cold in another fresh process."""
    script = (
        "import json, sys, time\n"
        "import bench.keep\n"  # the module that defines the TorchStep class and its builder
        "from workbench.tuning import load_trial\n"
        "from workbench.store import open_store\n"
        "times = []\n"
        "for _ in range(2):\n"
        "    start = time.perf_counter()\n"
        f"    load_trial({study!r}, storage={str(journal)!r}, trusted={trusted!r})\n"
        "    times.append(time.perf_counter() - start)\n"
        f"info = open_store({str(journal)!r}).kept({study!r})\n"
        "number = max(info)\n"
        "print(json.dumps({'first': times[0], 'again': times[1], "
        "'file': info[number]['store']['path'] + '/' + info[number]['artifact_id']}))\n"
    )
    answer = json.loads(_run(script))
    anchor = (
        "import json, time\n"
        "import bench.keep\n"
        "from workbench.persistence import load\n"
        "start = time.perf_counter()\n"
        f"load({answer['file']!r}, trusted={trusted!r})\n"
        "print(json.dumps(time.perf_counter() - start))\n"
    )
    answer["persistence_load"] = float(json.loads(_run(anchor)))
    return answer


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from bench import keep as here  # the TorchStep class as a fresh process imports it

    random.seed(0)
    keeps = timed_keeps()
    checkpoints = timed_checkpoints()
    for name in here.pipelines():
        keeps.clear()
        checkpoints.clear()
        with tempfile.TemporaryDirectory() as folder:
            journal = Path(folder) / "journal.log"
            tuner = here.make_tuner(name, str(journal))
            tuner.optimize(*digits(), n_trials=TRIALS)
            trials = [t for t in tuner.study.trials if t.datetime_complete and t.datetime_start]
            durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trials]
            share = statistics.median(keeps[1:]) / statistics.median(durations)
            trusted = ["bench.keep.SmallMLP", "bench.keep.mlp"] if "Torch" in name else []
            start = time.perf_counter()
            load_trial(name, storage=str(journal), trusted=trusted)
            in_process = time.perf_counter() - start
            fresh = fresh_process(journal, name, trusted)
            size = sum(p.stat().st_size for p in (Path(folder) / "artifacts").iterdir())
            epoch_time = statistics.median(durations) / 10
            checkpoint = statistics.median(checkpoints[1:])
        with tempfile.TemporaryDirectory() as folder:
            resume = killed_and_resumed(name, Path(folder))
        print(f"\n{name}: {len(trials)} trials of 10 epochs on digits, every one kept")
        print(f"  trial time, median             {statistics.median(durations) * 1e3:8.1f} ms")
        print(f"  keeping a trial, median        {statistics.median(keeps[1:]) * 1e3:8.1f} ms")
        print(f"  keeping the first (+ imports)  {keeps[0] * 1e3:8.1f} ms")
        verdict = "met" if share <= 0.05 else "NOT met"
        print(f"  keeping / trial time, median   {share:8.2%}   (goal <= 5%: {verdict})")
        print(f"  kept files, all trials         {size / 1e3:8.1f} kB")
        verdict = "met" if max(in_process, fresh["again"]) < 0.5 else "NOT met"
        print(f"  load_trial, this process       {in_process * 1e3:8.1f} ms")
        print(
            f"  load_trial, fresh process, 2nd {fresh['again'] * 1e3:8.1f} ms   "
            f"(goal < 0.5 s: {verdict})"
        )
        print(
            f"  load_trial, fresh process, 1st {fresh['first'] * 1e3:8.1f} ms   "
            f"(anchor: persistence.load cold {fresh['persistence_load'] * 1e3:.1f} ms)"
        )
        print(f"  epoch time (trial / 10)        {epoch_time * 1e3:8.1f} ms")
        print(
            f"  epoch checkpoint, median       {checkpoint * 1e3:8.1f} ms   "
            f"({checkpoint / epoch_time:.1%} of the epoch; {len(checkpoints)} written)"
        )
        verdict = "met" if float(resume["lost"]) <= 1 else "NOT met"  # type: ignore[arg-type]
        print(
            f"  killed after epoch {resume['finished']}, checkpoint of epoch "
            f"{resume['checkpointed']}; the retry: {resume['states']} {resume['error'] or ''}"
        )
        print(
            f"  epochs lost on resume          {resume['lost']:8.2f}     (goal <= 1: {verdict}); "
            f"History equal to an uninterrupted run's: {resume['equal']}"
        )


if __name__ == "__main__":
    main()
