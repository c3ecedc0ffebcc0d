"""Overhead of a Workbench Pipeline against hand-written calls and scikit-learn's Pipeline.

StandardScaler + LogisticRegression, fit then predict, on 200x20 and 100000x20; then single-row
predict latency. Runs are interleaved (hand, workbench, sklearn, hand, ...) and the median of
each is compared, so drift on a busy machine hits all three alike.

    .venv/bin/python bench/pipeline_overhead.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline


def _data(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 20))
    y = (X @ rng.normal(size=20) + rng.normal(size=n_samples) > 0).astype(int)
    return X, y


def hand_written(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    scaler = StandardScaler()
    model = LogisticRegression()
    model.fit(scaler.fit_transform(X), y)
    return model.predict(scaler.transform(X))


def workbench_pipeline(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    return pipe.fit(X, y).predict(X)


def sklearn_pipeline(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    pipe = SklearnPipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    return pipe.fit(X, y).predict(X)


def interleaved(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: dict[str, float], unit: float, unit_name: str) -> None:
    hand = medians["hand-written"]
    print(f"\n{title}")
    for name, value in medians.items():
        print(f"  {name:<20} {value / unit:10.2f} {unit_name}   {value / hand:5.3f}x hand-written")
    ratio = medians["workbench"] / medians["sklearn Pipeline"]
    print(f"  workbench / sklearn Pipeline: {ratio:5.3f}x")


def main() -> None:
    for n_samples, repeats in ((200, 300), (100_000, 15)):
        X, y = _data(n_samples)
        np.testing.assert_array_equal(workbench_pipeline(X, y), hand_written(X, y))
        medians = interleaved(
            {
                "hand-written": lambda X=X, y=y: hand_written(X, y),
                "workbench": lambda X=X, y=y: workbench_pipeline(X, y),
                "sklearn Pipeline": lambda X=X, y=y: sklearn_pipeline(X, y),
            },
            repeats,
        )
        report(f"fit + predict, {n_samples}x20 (median of {repeats})", medians, 1e-3, "ms")

    X, y = _data(200)
    row = X[:1]
    scaler = StandardScaler().fit(X)
    model = LogisticRegression().fit(scaler.transform(X), y)
    ours = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    theirs = SklearnPipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    theirs.fit(X, y)
    medians = interleaved(
        {
            "hand-written": lambda: model.predict(scaler.transform(row)),
            "workbench": lambda: ours.predict(row),
            "sklearn Pipeline": lambda: theirs.predict(row),
        },
        3000,
    )
    report("single-row predict latency (median of 3000)", medians, 1e-6, "us")


if __name__ == "__main__":
    main()
