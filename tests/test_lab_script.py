"""``scripts/lab.sh`` says what it is doing, one line per stage, before each slow step."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "lab.sh"


def _stub(path: Path, log: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{path.name} $*" >> "{log}"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_lab_script_prints_one_line_per_stage_before_it(tmp_path):
    # a copy of the project's layout whose python, jupyter and npm only log their calls
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "lab.sh")
    (tmp_path / "example_notebooks").mkdir()
    calls = tmp_path / "calls.log"
    for tool in (".venv/bin/python", ".venv/bin/jupyter", "bin/npm"):
        _stub(tmp_path / tool, calls)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "scripts/lab.sh"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["lab.sh"] * 4
    assert "upgrading pip" in lines[0]
    assert "installing Workbench" in lines[1] and "JupyterLab extension" in lines[2 - 1]
    assert "registering the kernel" in lines[2]
    assert "starting JupyterLab" in lines[3]
    # each stage line comes before its step: four stages, the steps they announce all ran
    assert [line.split()[0] for line in calls.read_text().splitlines()] == [
        "python",
        "python",
        "python",
        "jupyter",
    ]
