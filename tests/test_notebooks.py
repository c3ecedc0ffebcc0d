"""The example notebooks (``example_notebooks/NN_name.ipynb``) run top to bottom in a real kernel.

Only numbered notebooks are examples: the lab opens on ``example_notebooks/``, so the notebooks
a user creates there (``Untitled.ipynb``, ``scratch.ipynb``) land beside them and must never
become part of the suite.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).parent.parent / "example_notebooks"
EXAMPLE_PATTERN = "[0-9][0-9]_*.ipynb"


def example_notebooks(folder: Path) -> list[Path]:
    """The numbered example notebooks in ``folder``, in order."""
    return sorted(folder.glob(EXAMPLE_PATTERN))


NOTEBOOKS = example_notebooks(EXAMPLES)


def test_only_numbered_notebooks_are_examples(tmp_path):
    for name in ("01_pipelines.ipynb", "Untitled.ipynb", "scratch.ipynb", "Untitled1.ipynb"):
        (tmp_path / name).write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "02_tuning-checkpoint.ipynb").write_text("{}")
    assert [path.name for path in example_notebooks(tmp_path)] == ["01_pipelines.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs_without_errors(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    assert any(out.output_type in ("execute_result", "display_data") for out in outputs)
