"""A student's kernel in a sandbox: an empty folder, a read-only package, limits, no network.

:class:`SandboxKernel` starts an IPython kernel for one submission and runs code in it with a
deadline. The kernel's working folder is a fresh temporary folder, inside the grader's own
folder under the temporary folder (:func:`~helpers.assignments.isolation.grader_folder`),
holding only the files the grader puts there (the submission's data files); the ``helpers``
package it imports is a copy on a read-only mount. With bubblewrap (``bwrap``, Debian package
``bubblewrap``) the kernel also runs as a user that is not root (see
:mod:`helpers.assignments.isolation`) in its own process, network and IPC namespaces, and sees
only the Python installation, ``/usr``, the package copy and its folder: the instructor's
notebooks, the reports and the grader's other files are not on any path it can read, and every
process it starts dies with it. Its processes are limited too: a root grader gives each kernel a
user of its own, with at most :data:`~helpers.assignments.isolation.MAX_PROCESSES` (128)
processes; a grader that is not root cannot, and its kernels' limit,
:data:`~helpers.assignments.isolation.SHARED_USER_PROCESSES` (512), counts every process of the
grader's user (the grader, the other kernels, the user's other programs). Without bwrap (see
:func:`isolation`), the kernel runs in the empty folder with the same resource limits (none on
processes for a root grader), and the grader says so in its results.

The sandbox itself (bubblewrap, the kernel's own user, the resource limits) is built by
:mod:`helpers.assignments.isolation`.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.assignments import wire
from helpers.assignments.isolation import (
    KERNEL_FOLDER,
    bwrap_path,
    grader_folder,
    hand_over,
    isolation,
    kernel_uid,
    sandbox_command,
)
from helpers.atomic import temp_folder

__all__ = ["CellRun", "KernelProblem", "Limits", "SandboxKernel", "bwrap_path", "isolation", "package_copy"]

_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class KernelProblem(BaseException):
    """The kernel timed out, died or sent back something unreadable: the exercise fails with this.

    A BaseException, so that checkers' ``except Exception`` does not turn it into a student verdict.
    """


@dataclass
class CellRun:
    """What running one piece of code in the kernel gave: status "ok", "error", "timeout" or "dead"."""

    status: str
    ename: str = ""
    evalue: str = ""


@dataclass
class Limits:
    """Per-kernel limits: seconds per cell, seconds per notebook, memory in MiB."""

    cell: float = 300.0
    notebook: float = 1800.0
    memory_mb: int = 4096


def package_copy(folder: Path) -> Path:
    """Copy the ``helpers`` package into ``folder/helpers`` and make it read-only; returns ``folder``."""
    import helpers

    src = Path(helpers.__file__).resolve().parent
    dst = folder / "helpers"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for p in sorted(dst.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    dst.chmod(0o555)
    return folder


class SandboxKernel:
    """One sandboxed kernel in a fresh folder; use as a context manager.

    ``files`` are copied into the working folder first (the submission's data files).
    """

    def __init__(self, limits: Limits, files: list[Path] = (), pkg: Path | None = None) -> None:
        self.limits = limits
        self.files = list(files)
        self.pkg = pkg
        self.dead = ""  # why the kernel is gone, once it is
        self.deadline = 0.0
        self.uid = -1  # the kernel's user id outside the sandbox, when it has one of its own

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> SandboxKernel:
        from jupyter_client import KernelManager

        # A temporary folder of helpers.atomic's (its name carries our process id) in the grader's
        # own folder: the folders of a grader killed outright are removed by the next one.
        bwrap = bwrap_path()
        self._tmp = temp_folder(grader_folder(bwrap), KERNEL_FOLDER)
        self.workdir = self._tmp / "w"
        self.workdir.mkdir()
        for f in self.files:
            shutil.copy2(f, self.workdir / f.name)
        pkg = self.pkg or package_copy(self._tmp / "pkg")
        self.uid = uid = kernel_uid(bwrap)
        self._tmp.chmod(0o711)  # a kernel with a user of its own passes through to w/ and pkg/
        hand_over(self.workdir, uid)
        cpu = int(self.limits.notebook) + 10
        wrap = sandbox_command(self.workdir, pkg, self.limits.memory_mb, cpu, uid, bwrap)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]

        class _Manager(KernelManager):
            def format_kernel_cmd(self, extra_arguments=None):  # noqa: ARG002
                conn = os.path.realpath(self.connection_file)
                return wrap + [a.replace("{connection_file}", conn) for a in kernel]

            def write_connection_file(self, **kwargs):  # the kernel's user must read it
                super().write_connection_file(**kwargs)
                hand_over(Path(self.connection_file), uid)

        kw: dict[str, Any] = {"transport": "ipc", "ip": str(self.workdir / "ipc")} if bwrap else {}
        self.km = _Manager(**kw)
        self.km.connection_file = str(self.workdir / ".kernel.json")
        self.km.kernel_spec.interrupt_mode = "message"  # signals do not cross the sandbox
        home = str(self.workdir)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "PYTHONPATH": str(pkg),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",  # figures are not drawn: grading needs no pictures
            "MPLCONFIGDIR": f"{home}/.mpl",
            "IPYTHONDIR": f"{home}/.ipython",
            "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter",
            "LANG": "C.UTF-8",
            **{k: "1" for k in _THREADS},
        }
        self.deadline = time.monotonic() + self.limits.notebook
        self.kc = None
        # HELPERS_KERNEL_LOG=FILE keeps the kernel's own output, to debug a sandbox that fails.
        with open(os.environ.get("HELPERS_KERNEL_LOG", os.devnull), "w") as log:
            try:
                self.km.start_kernel(env=env, cwd=str(self.workdir), stdout=log, stderr=log)
                self.kc = self.km.blocking_client()
                self.kc.start_channels()
                self.kc.wait_for_ready(timeout=min(60.0, self.limits.notebook))
            except Exception as exc:  # noqa: BLE001 - bwrap refused, the kernel crashed at start...
                self.dead = f"the kernel did not start ({type(exc).__name__}: {str(exc)[:200]})"
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _kill(self, why: str) -> None:
        self.dead = why
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    # -- running code ----------------------------------------------------------------------
    def _drain_iopub(self) -> None:
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def run(self, code: str, timeout: float | None = None, silent: bool = False) -> CellRun:
        """Run ``code``; stop it after ``timeout`` s (default: the cell limit) or at the deadline."""
        if self.dead:
            return CellRun("dead", evalue=self.dead)
        limit = min(timeout or self.limits.cell, self.deadline - time.monotonic())
        if limit <= 0:
            self._kill(f"the notebook's time limit of {self.limits.notebook:g} s was reached")
            return CellRun("timeout", evalue=self.dead)
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False)
        end = time.monotonic() + limit
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                self._drain_iopub()
                if not self.km.is_alive():
                    self.dead = "the kernel died"
                    return CellRun("dead", evalue=self.dead)
                if time.monotonic() > end:
                    return self._timed_out(msg_id, limit)
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        self._drain_iopub()
        content = reply.get("content", {})
        if content.get("status") == "ok":
            return CellRun("ok")
        return CellRun("error", str(content.get("ename", "Error")), str(content.get("evalue", "")))

    def _timed_out(self, msg_id: str, limit: float) -> CellRun:
        """Interrupt; a kernel that does not answer within 5 s (it ignores SIGINT) is killed."""
        whole = time.monotonic() >= self.deadline
        what = f"the notebook's time limit of {self.limits.notebook:g} s" if whole else f"{limit:.0f} s"
        try:
            self.km.interrupt_kernel()
            end = time.monotonic() + 5
            while time.monotonic() < end and not whole:
                reply = self.kc.get_shell_msg(timeout=max(0.1, end - time.monotonic()))
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return CellRun("timeout", "Timeout", f"still running after {what}, interrupted")
        except (queue.Empty, RuntimeError):
            pass
        self._kill(f"still running after {what}; the kernel was stopped")
        return CellRun("timeout", "Timeout", self.dead)

    def _round_trip(self, func: str, args: str, dst: Path, what: str) -> object:
        """Run ``kernel_side.<func>(user_ns, <args>, dst)`` in the kernel; return what it wrote.

        Raises :class:`KernelProblem` (its message starting with ``what``) for a timeout, a dead
        kernel, or a result that is missing or not data.
        """
        code = (
            f"__import__('helpers.assignments.kernel_side', fromlist=[{func!r}]).{func}("
            f"__import__('IPython').get_ipython().user_ns, {args}, {str(dst)!r})"
        )
        run = self.run(code, silent=True)
        if run.status in ("timeout", "dead"):
            raise KernelProblem(f"{what}: {run.evalue or run.status}")
        if not dst.is_file():
            raise KernelProblem(f"{what}: no result came back ({run.ename}: {run.evalue})".rstrip(" :()"))
        try:
            return wire.load(dst)
        except wire.WireError as exc:
            raise KernelProblem(f"{what}: {exc}") from None

    def call(self, name: str, args: tuple, kwargs: dict) -> dict:
        """Call the kernel's ``name(*args, **kwargs)``; returns kernel_side's result dict.

        Raises :class:`KernelProblem` for a timeout, a dead kernel or an unreadable result.
        """
        nonce = uuid.uuid4().hex
        src, dst = self.workdir / f".in-{nonce}.npz", self.workdir / f".out-{nonce}.npz"
        wire.dump(src, [list(args), kwargs])
        hand_over(src, self.uid)
        try:
            out = self._round_trip("call", f"{name!r}, {str(src)!r}", dst, name)
            if not isinstance(out, dict):
                raise KernelProblem(f"{name}: malformed result")
            return out
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def describe(self, names: list[str]) -> dict:
        """``{name: "function" | "missing" | "other" | ["value", v]}`` for names in the kernel."""
        dst = self.workdir / f".names-{uuid.uuid4().hex}.npz"
        try:
            out = self._round_trip("describe", repr(names), dst, "the kernel's namespace could not be read")
            return out if isinstance(out, dict) else {}
        finally:
            dst.unlink(missing_ok=True)
