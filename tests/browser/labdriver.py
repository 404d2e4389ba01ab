"""Drive JupyterLab in headless Chromium: start a server, open notebooks, run them, read the page.

Used by tests/browser. The server runs on 127.0.0.1 with a random port and token, on a
temporary copy of the notebooks, with the course's settings (`.jupyter/`, as `make lab` uses)
plus one for the tests (`tests/browser/jupyter/`: every cell kept in the page, no windowing).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
RUN_ALL = "Restart Kernel and Run All Cells…"
STDERR = "application/vnd.jupyter.stderr"


def chromium_path() -> str | None:
    """The system's Chromium (Debian's `chromium` package), or $CHROMIUM; never a downloaded one."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server: ``url(path)`` opens ``path`` (relative to ``root``)."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}&reset"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_lab(root: Path, log: Path, timeout: float = 90.0) -> Lab:
    """Start JupyterLab serving ``root``; return once its API answers."""
    port, token = _free_port(), secrets.token_hex(16)
    config_path = [str(ROOT / "tests" / "browser" / "jupyter"), str(ROOT / ".jupyter")]
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path),
        # One BLAS thread per kernel: with the browser busy on the other core, OpenBLAS's
        # hand-over between two threads stalls even small products.
        "OPENBLAS_NUM_THREADS": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    env.pop("JUPYTER_CONFIG_DIR", None)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    out = log.open("wb")
    process = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(process, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2):
                return lab
        except OSError:
            time.sleep(0.5)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s; see {log}")


# -- the page ----------------------------------------------------------------------------------
def open_notebook(page, lab: Lab, name: str, timeout: float = 60_000) -> None:
    """Open notebook ``name`` and wait until its kernel is idle."""
    page.goto(lab.url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout)
    wait_idle(page, timeout)


def wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=timeout)


def run_all(page, timeout: float = 300_000) -> None:
    """Kernel > Restart Kernel and Run All Cells, confirmed; wait until no cell is queued or running."""
    page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
    page.click(f".lm-Menu-itemLabel:text-is('{RUN_ALL}')")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(".jp-InputPrompt:has-text('[*]')", timeout=30_000)
    wait_done(page, timeout)


def wait_done(page, timeout: float = 300_000) -> None:
    """Until no input prompt shows [*] and the kernel is idle, twice in a row a second apart."""
    deadline = time.monotonic() + timeout / 1000
    calm = 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("cells still running after the time limit")
        busy = page.locator(".jp-InputPrompt:has-text('[*]')").count()
        idle = page.locator("#jp-main-statusbar >> text=Idle").count()
        calm = calm + 1 if not busy and idle else 0
        page.wait_for_timeout(1000)


def code_cells(page):
    return page.locator(".jp-Notebook .jp-CodeCell")


def cell_outputs(cell) -> list[dict]:
    """Each output of a code cell: its mime type and text."""
    return cell.locator(".jp-OutputArea-output").evaluate_all(
        "els => els.map(e => ({mime: e.dataset.mimeType || '', text: e.innerText}))"
    )


def prompt_number(cell) -> str:
    return cell.locator(".jp-InputPrompt").first.inner_text().strip()
