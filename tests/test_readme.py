"""The README is the first test: every Python block runs as a new user would paste it.

Each block runs in a fresh IPython kernel (a real one, through jupyter_client) after "A first
look" alone, in a fresh folder with a store of its own: each section makes what it needs, so
a reader may paste any one of them after the first. Views passed as callbacks must show
themselves there, as they do in a notebook.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_WIDGET = "application/vnd.jupyter.widget-view+json"


def python_blocks(text: str) -> list[str]:
    """The code of each fenced ```python block of a Markdown text, in order."""
    return [match.group(1) for match in _BLOCK.finditer(text)]


def test_python_blocks_are_found_in_order_and_other_blocks_are_not():
    text = (
        "# Title\n\n```python\nx = 1\n```\n\ntext\n\n```bash\nls\n```\n\n"
        "```python\ny = x + 1\nz = [\n    y,\n]\n```\n"
    )
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\nz = [\n    y,\n]\n"]


class Kernel:
    """A fresh IPython kernel of this environment, running cells as a notebook does."""

    def __init__(self, cwd: Path):
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        env = {**os.environ, "WORKBENCH_STORAGE": str(cwd / ".workbench" / "journal.log")}
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, where: str) -> list[dict[str, Any]]:
        """Run ``code`` as one cell; its outputs (display_data, execute_result, ...) in order.
        An error fails the test with the kernel's traceback."""
        outputs: list[dict[str, Any]] = []

        def keep(message: dict[str, Any]) -> None:
            if message["msg_type"] in ("display_data", "execute_result", "error", "stream"):
                outputs.append({"type": message["msg_type"], **message["content"]})

        reply = self.client.execute_interactive(code, timeout=900, output_hook=keep)
        errors = [output for output in outputs if output["type"] == "error"]
        if reply["content"]["status"] != "ok" or errors:
            trace = "\n".join(errors[0]["traceback"]) if errors else str(reply["content"])
            pytest.fail(f"{where} failed in a fresh kernel:\n{_plain(trace)}")
        return outputs

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def fresh_kernel(tmp_path: Path) -> Iterator[Kernel]:
    kernel = Kernel(tmp_path)
    try:
        yield kernel
    finally:
        kernel.close()


def test_the_kernel_runs_this_environment(fresh_kernel):
    outputs = fresh_kernel.run("import sys; print(sys.prefix)", "a check")
    assert outputs[0]["text"].strip() == sys.prefix


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("number", range(2, len(BLOCKS) + 1))
def test_each_python_block_runs_pasted_after_a_first_look_alone(fresh_kernel, number):
    first, code = BLOCKS[0], BLOCKS[number - 1]
    fresh_kernel.run("import optuna; optuna.logging.set_verbosity(optuna.logging.WARNING)", "")
    fresh_kernel.run(first, "README.md, python block 1 (A first look)")
    outputs = fresh_kernel.run(code, f"README.md, python block {number}")
    if "TuningPanel" in code:  # the views block: the callbacks showed themselves, once each
        shown = [
            out for out in outputs if out["type"] == "display_data" and _WIDGET in out["data"]
        ]
        views = [out["data"]["text/plain"].rpartition("view: ")[2].rstrip(")") for out in shown]
        assert views == ["Curves", "Progress", "TuningPanel"]  # the panel: left last in the cell
        assert len({out["data"][_WIDGET]["model_id"] for out in shown}) == 3
    if "Tuner(" in code and "store" not in code and "SIGKILL" not in code:
        states = fresh_kernel.run("print(set(tuner.trials_dataframe()['state']))", "a check")
        assert set(eval(states[0]["text"])) <= {"complete", "pruned"}
    if "SIGKILL" in code:  # the resume block: the killed trial failed, its retry completed
        check = "print(tuner.trials_dataframe()[['state', 'error']].values.tolist())"
        killed, retry = eval(fresh_kernel.run(check, "a check")[0]["text"])
        assert killed[0] == "fail" and killed[1].startswith("WorkerLost")
        assert retry == ["complete", None]
    if "EarlyStopping" in code:
        last = fresh_kernel.run("print(history['valid_accuracy'].iloc[-1])", "a check")
        assert float(last[0]["text"]) > 0.8
