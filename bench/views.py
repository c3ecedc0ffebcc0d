"""Live views: what the learning curve costs the training thread, and what it sends.

1. 10,000 epochs of a trivial step (one batch, a loss and a validation statistic per epoch)
   with the live curve attached, against the same run without it. The curve's messages are
   serialised to JSON as the kernel would (a headless comm sends nothing). Goals: at most
   2 ms per epoch, and flat: the last 1,000 epochs cost no more than the first 1,000.
2. Bytes per update with an update every epoch: after 5,000 epochs no more than after 50
   (only the new points travel).
3. The saved size of example_notebooks/05_views.ipynb executed once, saved without widget state
   (JupyterLab's default; goal <= 300 kB) and with it (goal <= 600 kB; 832 kB before pictures,
   914 kB with them before the views shared their code and the space editor became one
   widget), how many view outputs carry a picture, and the models that weigh most.
4. The kernel-side cost of one picture update (goal: a few ms).

    PYTHONPATH=. /work/venv/bin/python bench/views.py
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
from typing import Any

import numpy as np

from workbench import Step
from workbench.training import fit_epochs
from workbench.views import curves

EPOCHS, FIRST, LAST = 10_000, 1_000, 1_000
ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "example_notebooks" / "05_views.ipynb"


class Trivial(Step):
    """Learns nothing, reports a shrinking loss: the loop and the views are all that cost."""

    reports_batch_loss = True

    def partial_fit(self, X: Any, y: Any = None) -> Trivial:
        self.seen_ = getattr(self, "seen_", 0) + 1
        self.batch_loss_ = 1.0 / self.seen_
        return self

    def transform(self, X: Any) -> Any:
        return X


def _halfway(estimator: Any, X: Any, y: Any) -> float:
    return 0.5 + 0.5 / getattr(estimator, "seen_", 1)


class Clock:
    """Records the time at each epoch's end (after the views had the event)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_epoch_end(self, **data: Any) -> None:
        self.times.append(time.perf_counter())


def _serialising(view: Any, sizes: list[int]) -> None:
    """Make the headless comm serialise each message as a kernel would, and count bytes."""

    def publish_msg(msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                    **keys: Any) -> None:  # fmt: skip
        sizes.append(len(json.dumps(data, separators=(",", ":"), allow_nan=False)))

    view.comm.publish_msg = publish_msg


def run(with_curve: bool, throttle: float = 0.25) -> tuple[list[float], Any, list[int]]:
    X = np.zeros((4, 1))
    clock, sizes = Clock(), []
    callbacks: list[Any] = []
    view = None
    if with_curve:
        view = curves(throttle=throttle)
        _serialising(view, sizes)
        callbacks.append(view)
    callbacks.append(clock)
    fit_epochs(
        Trivial(), X, epochs=EPOCHS, batch_size=4, shuffle=False, validation_data=(X, None),
        metrics={"score": _halfway}, callbacks=callbacks, record=False, progress=False,
    )  # fmt: skip
    gaps = list(np.diff(clock.times))
    return gaps, view, sizes


def curve_cost() -> None:
    print(f"1. training-thread cost, {EPOCHS} epochs of a trivial step")
    runs: dict[bool, list[list[float]]] = {False: [], True: []}
    for _ in range(3):  # interleaved, so both see the same machine load
        for attached in (False, True):
            runs[attached].append(run(attached)[0])
    base = [statistics.median(gaps) for gaps in zip(*runs[False], strict=True)]
    live = [statistics.median(gaps) for gaps in zip(*runs[True], strict=True)]
    extra = np.array(live) - np.array(base)
    mean = float(np.mean(extra)) * 1e3
    first, last = float(np.mean(extra[:FIRST])) * 1e3, float(np.mean(extra[-LAST:])) * 1e3
    print(f"   per epoch without the curve: {np.mean(base) * 1e3:.3f} ms (median of 3 runs)")
    print(f"   per epoch with the curve:    {np.mean(live) * 1e3:.3f} ms")
    print(f"   cost of the curve: {mean:.3f} ms per epoch (goal <= 2 ms)")
    print(f"   first {FIRST} epochs: {first:.3f} ms, last {LAST}: {last:.3f} ms (goal: flat)")

    # the view's own time, measured inside the callback
    _, view, sizes = run(True)
    inside: list[float] = []
    original = view.on_epoch_end

    def timed(**data: Any) -> None:
        started = time.perf_counter()
        original(**data)
        inside.append(time.perf_counter() - started)

    view.on_epoch_end = timed
    view.on_fit_begin(kind="epochs", path="")
    for epoch in range(EPOCHS + 1, 2 * EPOCHS + 1):
        view.on_epoch_end(epoch=epoch, row={"train_loss": 1 / epoch, "valid_score": 0.5})
    print(
        f"   inside on_epoch_end: mean {np.mean(inside) * 1e6:.1f} us, epochs 1-1000 "
        f"{np.mean(inside[:FIRST]) * 1e6:.1f} us, last 1000 {np.mean(inside[-LAST:]) * 1e6:.1f} us, "
        f"slowest {max(inside) * 1e3:.2f} ms"
    )
    print(f"   updates sent in the 10,000-epoch run (throttle 0.25 s): {len(sizes)}")


def bytes_per_update() -> None:
    print("2. bytes per update, one update per epoch (throttle=0)")
    view = curves(throttle=0)
    sizes: list[int] = []
    _serialising(view, sizes)
    view.on_fit_begin(kind="epochs", path="")
    rng = np.random.default_rng(0)
    for epoch in range(1, 5_001):  # values of the same printed width all along
        loss, score = rng.uniform(0.1, 0.9, size=2).round(4)
        view.on_epoch_end(epoch=epoch, row={"train_loss": loss, "valid_score": score})
    print(f"   update after epoch 50: {sizes[49]} bytes; after epoch 5,000: {sizes[4999]} bytes")
    print("   (points carry their step from the last epoch sent, updates their number modulo 100)")
    before = len(sizes)
    view.finish()
    print(f"   the closing snapshot (the state a saved notebook keeps): {sizes[before:]} bytes")


def notebook_size() -> None:
    """One execution of 05_views.ipynb, saved with its widget state and without it (what
    JupyterLab saves by default): the outputs are the same, the state is the ``widgets``
    metadata."""
    import nbformat
    from nbclient import NotebookClient

    path = NOTEBOOK if NOTEBOOK.exists() else None
    print(f"3. saved notebook, with and without widget state: {path or 'bench cells'}")
    notebook = nbformat.read(path, as_version=4) if path else _bench_notebook()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "WORKBENCH_STORAGE": str(pathlib.Path(folder) / "journal.log")}
        os.environ.update(env)
        client = NotebookClient(
            notebook, timeout=600, kernel_name="python3", store_widget_state=True,
            resources={"metadata": {"path": str(path.parent if path else ROOT)}},
        )  # fmt: skip
        started = time.perf_counter()
        client.execute()
        with_state = pathlib.Path(folder) / "with_state.ipynb"
        nbformat.write(notebook, with_state)
        widgets = notebook.metadata.pop("widgets", {})
        without_state = pathlib.Path(folder) / "without_state.ipynb"
        nbformat.write(notebook, without_state)
        sizes = with_state.stat().st_size, without_state.stat().st_size
        states = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    outputs = [
        out.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    ]
    views = [data for data in outputs if "application/vnd.jupyter.widget-view+json" in data]
    pictured = [data for data in views if "wb-picture" in data.get("text/html", "")]
    print(
        f"   executed in {time.perf_counter() - started:.1f} s; {len(states)} widget models; "
        f"{len(pictured)} of {len(views)} view outputs carry a picture"
    )
    print(
        f"   without widget state: {sizes[1] / 1e3:.0f} kB (goal <= 300 kB; 96 kB before pictures)"
    )
    print(
        f"   with widget state:    {sizes[0] / 1e3:.0f} kB (goal <= 600 kB; 914 kB before shared "
        "view code and a one-widget space editor, 832 kB before pictures)"
    )
    by_kind: dict[str, list[int]] = {}
    for model in states.values():
        state = model.get("state", {})
        kind = state.get("_anywidget_id") or state.get("_model_name", "?")
        if "source" in state:  # a view module's code, held once for all its views
            kind = "view code (shared)"
        entry = by_kind.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += len(json.dumps(model, separators=(",", ":")))
    for kind, (count, size_of) in sorted(by_kind.items(), key=lambda item: -item[1][1])[:8]:
        print(f"     {kind}: {count} models, {size_of / 1e3:.0f} kB")


def picture_cost() -> None:
    """Kernel-side time to draw and publish one picture (goal: a few ms)."""

    print("4. one picture update on the kernel side (draw + bundle), curves of 2 x N epochs")
    for epochs in (100, 1_000):
        view = curves()
        view.on_fit_begin(kind="epochs", path="")
        for epoch in range(1, epochs + 1):
            view.on_epoch_end(epoch=epoch, row={"train_loss": 1 / epoch, "valid_loss": 2 / epoch})
        started = time.perf_counter()
        for _ in range(20):
            view._picture_bundle(view._draw_picture())
        elapsed = (time.perf_counter() - started) / 20
        print(f"   {epochs} epochs: {elapsed * 1e3:.2f} ms per picture")


def _bench_notebook() -> Any:
    import nbformat

    cells = [
        f"import sys; sys.path.insert(0, {str(ROOT)!r})",
        "from sklearn.datasets import load_digits\n"
        "from sklearn.neural_network import MLPClassifier\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from workbench import Pipeline\n"
        "from workbench.training import fit_epochs\n"
        "from workbench.views import Progress, TuningPanel, curves\n"
        "X, y = load_digits(return_X_y=True)\n"
        "pipe = Pipeline([('scale', StandardScaler()), "
        "('mlp', MLPClassifier(hidden_layer_sizes=(32,), random_state=0))])",
        "view = curves(); bar = Progress(); display(view, bar)\n"
        "history = fit_epochs(pipe, X, y, epochs=30, batch_size=64, validation_fraction=0.2, "
        "callbacks=[view, bar], progress=False)",
        "curves(history)",
        "panel = TuningPanel(pipe, X, y, n_trials=6, scoring='accuracy', "
        "epochs={'epochs': 8, 'batch_size': 64}, study_name='bench-views')\n"
        "panel.start().wait(300); panel",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


if __name__ == "__main__":
    which = sys.argv[1:] or ["cost", "bytes", "notebook", "picture"]
    if "cost" in which:
        curve_cost()
    if "bytes" in which:
        bytes_per_update()
    if "notebook" in which:
        notebook_size()
    if "picture" in which:
        picture_cost()
