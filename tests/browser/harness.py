"""A real JupyterLab in a real Chromium, for the browser tests.

`start_lab` runs JupyterLab on 127.0.0.1 with a token (a subprocess of this Python's
environment, so the labextensions installed here are the ones tested). `Notebook` opens a
notebook in a Playwright page, runs it, waits for the kernel to go idle, executes code in that
kernel, switches theme and saves screenshots to the artifacts folder.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/test.sh``); Playwright is
the Python package, never ``playwright install``.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(os.environ.get("WORKBENCH_ARTIFACTS", REPO / "test-artifacts"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: ``url`` (with no trailing slash), ``token`` and ``root``."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def address(self, path: str) -> str:
        """The address of ``path`` (such as ``/lab/tree/x.ipynb``), with the token."""
        joiner = "&" if "?" in path else "?"
        return f"{self.url}{path}{joiner}token={self.token}"

    def get_json(self, path: str) -> Any:
        """GET a server route with the token and decode its JSON."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


@contextmanager
def start_lab(root: Path, *, env: dict[str, str] | None = None) -> Iterator[Lab]:
    """Run JupyterLab on ``root`` until the block ends; its kernels import this checkout."""
    root.mkdir(parents=True, exist_ok=True)
    settings = root.parent / f"{root.name}-lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    # this lab has no route to the internet: no news or update toast
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    token = secrets.token_hex(16)
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), environment.get("PYTHONPATH", "")) if p
    )
    log = root.parent / f"{root.name}-lab.log"
    for attempt in range(3):  # a port found free can be taken (by a kernel) before the lab binds
        lab = _launch(root, settings, token, environment, log)
        try:
            wait_for(
                functools.partial(_answers, lab),
                timeout=90,
                what="JupyterLab to answer /api/status",
            )
            break
        except _PortTakenError as error:
            _stop(lab.process)
            if attempt == 2:
                raise AssertionError(
                    f"no free port for JupyterLab:\n{log.read_text()[-3000:]}"
                ) from error
    try:
        yield lab
    finally:
        _stop(lab.process)


class _PortTakenError(Exception):
    """The lab could not bind the port it was given."""


def _launch(root: Path, settings: Path, token: str, environment: dict[str, str], log: Path) -> Lab:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.port_retries=0",  # never move silently to another port
                f"--ServerApp.token={token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={root.parent / f'{root.name}-workspaces'}",
            ],
            cwd=root,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Lab(f"http://127.0.0.1:{port}", token, root, process, log)


def _answers(lab: Lab) -> bool:
    if lab.process.poll() is not None:
        text = lab.log.read_text()
        if "already in use" in text:
            raise _PortTakenError()
        raise AssertionError(f"JupyterLab exited:\n{text[-3000:]}")
    try:
        lab.get_json("/api/status")
    except (OSError, http.client.HTTPException):  # not up yet, or another server's port
        return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """Write a notebook of code ``cells`` with kernelspec metadata (no kernel dialog)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


_KERNEL_STATE = """() => {
  const app = window.jupyterapp; if (!app) return {ready: false};
  const w = app.shell.currentWidget; if (!w || !w.sessionContext) return {ready: false};
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  let pending = 0;
  for (const c of (w.content ? w.content.widgets : [])) {
    const p = c.node.querySelector('.jp-InputPrompt');
    if (p && p.textContent.includes('*')) pending++;
  }
  return {ready: !!k, status: k ? k.status : null, pending};
}"""

_PROBLEMS = """() => {
  const text = document.body.innerText;
  const count = (s) => (text.match(new RegExp(s, 'g')) || []).length;
  return {
    errors: Array.from(document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],' +
      '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'))
      .map((e) => e.innerText.slice(0, 2000)),
    widget_errors: count('Error displaying widget'),
    widgets_loading: count('Loading widget'),
  };
}"""

_EXECUTE = """async (code) => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  const out = {stdout: '', result: null, error: null};
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type, c = msg.content;
    if (t === 'stream') out.stdout += c.text;
    else if (t === 'execute_result') out.result = c.data['text/plain'];
    else if (t === 'error') out.error = c.ename + ': ' + c.evalue;
  };
  await future.done;
  return out;
}"""


class Notebook:
    """A notebook open in a Playwright ``page`` of ``lab``."""

    def __init__(self, page: Any, lab: Lab, path: Path):
        self.page, self.lab, self.path = page, lab, path

    @classmethod
    def open(cls, page: Any, lab: Lab, path: Path) -> Notebook:
        """Open ``path`` (inside ``lab.root``) in a clean layout and wait for its kernel."""
        relative = path.relative_to(lab.root).as_posix()
        page.goto(lab.address(f"/lab/tree/{relative}") + "&reset")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
            timeout=120_000,
        )
        notebook = cls(page, lab, path)
        notebook.wait_idle(timeout=120)
        return notebook

    def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run a JupyterLab command, as the command palette would."""
        return self.page.evaluate(
            "([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args or {}]
        )

    def run_all(self, *, timeout: float = 300) -> None:
        """Run every cell and wait until the kernel is idle with nothing pending."""
        self.command("notebook:run-all-cells")
        self.wait_idle(timeout=timeout)

    def wait_idle(self, *, timeout: float, settle: float = 1.0) -> None:
        """Wait until the kernel has been idle, with no cell pending, for ``settle`` seconds."""
        since: list[float | None] = [None]

        def idle() -> bool:
            try:
                state = self.page.evaluate(_KERNEL_STATE)
            except Exception:  # the page is navigating
                state = {"ready": False}
            if state.get("ready") and state.get("status") == "idle" and not state.get("pending"):
                since[0] = since[0] or time.monotonic()
                return time.monotonic() - since[0] >= settle
            since[0] = None
            return False

        wait_for(idle, timeout=timeout, what=f"{self.path.name} to finish running", every=0.25)

    def execute(self, code: str) -> dict[str, Any]:
        """Run ``code`` in this notebook's kernel: ``{"stdout", "result", "error"}``."""
        return dict(self.page.evaluate(_EXECUTE, code))

    def evaluate(self, expression: str) -> Any:
        """The value of a Python ``expression`` in the kernel, through its JSON form."""
        out = self.execute(f"import json as _j; print(_j.dumps({expression}))")
        if out["error"]:
            raise AssertionError(f"{expression!r} raised in the kernel: {out['error']}")
        return json.loads(out["stdout"].strip().splitlines()[-1])

    def problems(self) -> dict[str, Any]:
        """What a person would notice: error outputs, widget errors, widgets still loading."""
        return dict(self.page.evaluate(_PROBLEMS))

    def assert_no_problems(self) -> None:
        problems = self.problems()
        assert not problems["errors"], problems["errors"]
        assert problems["widget_errors"] == 0, "a widget failed: 'Error displaying widget'"

    def set_theme(self, theme: str) -> None:
        """Switch to JupyterLab's ``"light"`` or ``"dark"`` theme and wait for it."""
        name = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}[theme]
        self.command("apputils:change-theme", {"theme": name})
        wanted = "true" if theme == "light" else "false"
        self.page.wait_for_function(
            f"() => document.body.dataset.jpThemeLight === '{wanted}'", timeout=20_000
        )
        # the splash JupyterLab shows while it changes theme dims the page: wait it out
        self.page.wait_for_function(
            "() => !document.querySelector('#jupyterlab-splash')", timeout=20_000
        )

    def screenshot(self, name: str, *, locator: Any = None) -> Path:
        """Save a screenshot (of ``locator`` if given, else the page) as a test artifact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def scroll_to(self, selector: str) -> Any:
        """Scroll the first element matching ``selector`` into view and return its locator."""
        locator = self.page.locator(selector).first
        locator.scroll_into_view_if_needed(timeout=30_000)
        return locator
