"""The README is the first test: every Python block runs as written, top to bottom.

The blocks run in order in one namespace, in a fresh folder with a store of their own, as a new
user pasting them into one notebook would run them.
"""

from __future__ import annotations

import re
from pathlib import Path

import optuna
import pytest

README = Path(__file__).parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[str]:
    """The code of each fenced ```python block of a Markdown text, in order."""
    return [match.group(1) for match in _BLOCK.finditer(text)]


def test_python_blocks_are_found_in_order_and_other_blocks_are_not():
    text = (
        "# Title\n\n```python\nx = 1\n```\n\ntext\n\n```bash\nls\n```\n\n"
        "```python\ny = x + 1\nz = [\n    y,\n]\n```\n"
    )
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\nz = [\n    y,\n]\n"]


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs_as_written(tmp_path, monkeypatch):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_STORAGE", str(tmp_path / ".workbench" / "journal.log"))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for number, code in enumerate(blocks, start=1):
        exec(compile(code, f"README.md, python block {number}", "exec"), namespace)
    tuner = namespace["tuner"]
    assert tuner.trials_dataframe()["state"].isin(["complete", "pruned"]).all()
    assert namespace["history"]["valid_accuracy"].iloc[-1] > 0.8
