"""ParallelTransform on 2 worker processes against the same step run serially (goal >= 1.7x).

A CPU-bound per-row NumPy kernel that takes about 1 s serially over the whole input. The loky
workers are started once before timing (the first call's start-up is reported apart), then
serial and parallel runs are interleaved and their medians (and bests) compared. joblib alone on the same
two chunks (the step pickled as it is) shows what the machine gives at that moment: on a
shared machine other processes take cores, and neither can beat that. The step goes to the
workers through the savers (a class defined here, in __main__, travels by value).

    .venv/bin/python bench/parallel_speedup.py
"""

from __future__ import annotations

import os
import statistics
import time

import joblib
import numpy as np

from workbench import Hyperparam, Step
from workbench.parallel import ParallelTransform

MEMMAP_ABOVE = "64M"  # ParallelTransform's threshold for memory-mapping inputs

N_ROWS = 16000


class RowKernel(Step):
    """Per row: ``rounds`` passes of NumPy ufuncs on the row (single-threaded, CPU-bound)."""

    rounds = Hyperparam(20)

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        out = np.empty_like(X)
        for index, row in enumerate(X):
            value = row
            for _ in range(self.rounds):
                value = np.sin(value) * np.cos(value) + np.sqrt(np.abs(value))
            out[index] = value
        return out


def _time(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _joblib_alone(step: RowKernel, X: np.ndarray) -> np.ndarray:
    """The same two chunks through joblib with a plain pickle of the step: the machine's ceiling."""
    half = len(X) // 2
    # the same memory-map threshold as ParallelTransform: loky keeps one pool of workers, and
    # calls with other settings would restart it in turn
    chunks = joblib.Parallel(n_jobs=2, max_nbytes=MEMMAP_ABOVE)(
        joblib.delayed(step.transform)(chunk) for chunk in (X[:half], X[half:])
    )
    return np.concatenate(chunks)


def main() -> None:
    X = np.random.default_rng(0).normal(size=(N_ROWS, 64))
    serial = RowKernel().fit(X)
    parallel = ParallelTransform(RowKernel(), n_jobs=2).fit(X)
    cold = _time(lambda: parallel.transform(X))
    np.testing.assert_allclose(parallel.transform(X), serial.transform(X))
    _joblib_alone(serial, X)
    serial_times, parallel_times, joblib_times = [], [], []
    for _ in range(7):
        serial_times.append(_time(lambda: serial.transform(X)))
        parallel_times.append(_time(lambda: parallel.transform(X)))
        joblib_times.append(_time(lambda: _joblib_alone(serial, X)))
    serial_median = statistics.median(serial_times)
    parallel_median = statistics.median(parallel_times)
    joblib_median = statistics.median(joblib_times)
    best = min(serial_times) / min(parallel_times)
    print(f"ParallelTransform, {N_ROWS} rows x 64, per-row NumPy kernel, {os.cpu_count()} CPUs")
    print(f"  serial (the step alone)       {serial_median:7.3f} s")
    print(
        f"  ParallelTransform n_jobs=2    {parallel_median:7.3f} s   (median of 7, warm workers)"
    )
    print(f"  joblib alone, plain pickle    {joblib_median:7.3f} s   (what the machine gives now)")
    print(f"  first call, starting workers  {cold:7.3f} s")
    speedup = serial_median / parallel_median
    verdict = "met" if speedup >= 1.7 else "NOT met"
    print(f"  speed-up {speedup:.2f}x of medians, {best:.2f}x of bests  (goal >= 1.7x: {verdict})")
    print(f"  joblib alone: {serial_median / joblib_median:.2f}x; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
