"""The server extension's process loads the store and nothing of the layers above it."""

from __future__ import annotations

import json
import subprocess
import sys

ABOVE_THE_STORE = (
    "workbench.core",
    "workbench.training",
    "workbench.tuning",
    "workbench.views",
    "workbench.magics",
    "workbench.persistence",
    "workbench.parallel",
    "sklearn",
    "torch",
    "ipywidgets",
)


def test_the_server_extension_imports_the_store_alone() -> None:
    code = "import json, sys, workbench.server; print(json.dumps(sorted(m for m in sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    assert "workbench.store" in loaded
    assert [name for name in loaded if name.startswith(ABOVE_THE_STORE)] == []
