"""The Jupyter server extension: configuration and the routes it registers."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import List, Unicode

from workbench.server._catalog import StoreCatalog
from workbench.server._compare import compare_routes
from workbench.server._handlers import routes


class WorkbenchApp(ExtensionApp):
    """Serves Workbench's stores (studies, runs, trials, Histories) to the JupyterLab panel.

    Enabled on install (``jupyter-config/server-config/``). The stores shown are the embedded
    store of the server's root directory, those of ``$WORKBENCH_STORAGE``, and
    ``c.WorkbenchApp.stores``. Every route is read-only and needs Jupyter's authentication.

    Examples
    --------
    >>> WorkbenchApp.name
    'workbench'
    """

    name = "workbench"
    load_other_extensions = True

    stores = List(
        Unicode(),
        default_value=[],
        help=(
            "Stores to show beside the embedded store of the root directory and "
            "$WORKBENCH_STORAGE: storage URLs (sqlite:///studies.db, "
            "postgresql://user@host/db) or journal file paths."
        ),
    ).tag(config=True)

    def initialize_settings(self) -> None:
        """Make the store catalog that every handler reads."""
        root = self.serverapp.root_dir if self.serverapp is not None else None
        self.catalog = StoreCatalog(self.stores, root=root)
        self.settings["workbench_catalog"] = self.catalog
        self.catalog.warm()  # the panel's first listing finds the stores read

    def initialize_handlers(self) -> None:
        """Register the REST routes under ``<base_url>/workbench/api/``."""
        self.handlers.extend([*routes(), *compare_routes()])

    async def stop_extension(self) -> None:
        """Stop the catalog's thread pool."""
        self.catalog.close()
