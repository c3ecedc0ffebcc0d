"""The Jupyter server extension behind the JupyterLab panel: authenticated, read-only REST.

Its process imports :mod:`workbench.store` and nothing of the core, training or tuning. Routes
live under ``<base_url>/workbench/api/`` (see ``_handlers``); the stores shown are configured
with ``c.WorkbenchApp.stores``.
"""

from typing import Any as _Any

from workbench.server._app import WorkbenchApp

__all__ = [
    "WorkbenchApp",
]


def _jupyter_server_extension_points() -> list[dict[str, _Any]]:
    return [{"module": "workbench.server", "app": WorkbenchApp}]
