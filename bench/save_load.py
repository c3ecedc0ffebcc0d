"""save()+load() of a fitted nested scikit-learn pipeline against joblib.dump()+joblib.load()
(goal: <= 1.2x the time), with the file sizes.

Two pipelines: a small one (scaler and PCA nested, then logistic regression) and a large one
(the same encoder, then a 100-tree random forest). Runs are interleaved and medians compared;
skops alone on the same pipeline (skops.io.dump/load, no manifest, no trust lists, no atomic
write) shows how much of the time is the secure format itself.

    .venv/bin/python bench/save_load.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import skops.io
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.persistence import load, save

TRUSTED = ["sklearn.tree._tree.Tree"]


def _pipeline(model) -> Pipeline:
    encoder = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=10))])
    return Pipeline([("encoder", encoder), ("model", model)])


def _round_trips(pipe, folder: Path, repeats: int) -> dict[str, float]:
    ours, theirs, floor = folder / "pipe.wbz", folder / "pipe.joblib", folder / "pipe.skops"
    times: dict[str, list[float]] = {"workbench": [], "joblib": [], "skops": []}
    for _ in range(repeats):
        start = time.perf_counter()
        skops.io.dump(pipe, floor)
        skops.io.load(floor, trusted=skops.io.get_untrusted_types(file=floor))
        times["skops"].append(time.perf_counter() - start)
        start = time.perf_counter()
        save(pipe, ours)
        load(ours, trusted=TRUSTED)
        times["workbench"].append(time.perf_counter() - start)
        start = time.perf_counter()
        joblib.dump(pipe, theirs)
        joblib.load(theirs)
        times["joblib"].append(time.perf_counter() - start)
    result = {name: statistics.median(values) for name, values in times.items()}
    result["workbench_size"] = ours.stat().st_size
    result["joblib_size"] = theirs.stat().st_size
    return result


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 30))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    cases = {
        "scaler+PCA nested, logistic regression": _pipeline(LogisticRegression()),
        "scaler+PCA nested, random forest (100 trees)": _pipeline(
            RandomForestClassifier(n_estimators=100, random_state=0)
        ),
    }
    with tempfile.TemporaryDirectory() as folder:
        save(cases[next(iter(cases))].fit(X, y), Path(folder) / "warm.wbz")  # imports skops
        for title, pipe in cases.items():
            pipe.fit(X, y)
            result = _round_trips(pipe, Path(folder), repeats=7)
            ratio = result["workbench"] / result["joblib"]
            verdict = "met" if ratio <= 1.2 else "NOT met"
            print(f"\n{title}")
            print(f"  save+load, workbench (skops)  {result['workbench'] * 1e3:8.1f} ms")
            print(f"  dump+load, joblib (pickle)    {result['joblib'] * 1e3:8.1f} ms")
            print(f"  dump+load, skops alone        {result['skops'] * 1e3:8.1f} ms  (the floor)")
            print(f"  time ratio {ratio:.2f}x  (goal <= 1.2x: {verdict})")
            size_ratio = result["workbench_size"] / result["joblib_size"]
            print(
                f"  file size  {result['workbench_size'] / 1e3:.1f} kB vs "
                f"{result['joblib_size'] / 1e3:.1f} kB  ({size_ratio:.2f}x)"
            )


if __name__ == "__main__":
    main()
