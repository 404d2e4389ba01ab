"""The sandbox a student's kernel runs in (the one description of it; the README says the same).

:class:`SandboxKernel` starts an IPython kernel for one submission and runs code in it with
deadlines. What the kernel gets:

- **a folder of its own**: a fresh working folder ``w`` in a temporary folder inside the grader's
  own folder (:func:`~helpers.assignments.isolation.grader_folder`), holding only copies of the
  files the grader hands it (the notebook's data files, from the read-only ``s``), removed with
  everything in it, whatever its modes, once the kernel is done. With bubblewrap ``w`` and
  ``/tmp`` are each a tmpfs of its own of :attr:`Limits.disk_mb` MiB: a kernel that fills its
  folder gets ENOSPC, the student's own failure, and the disk stays free for its neighbours; the
  grader reaches ``w`` (results, sockets) at the same path, a link to it through the sandbox's
  root (``/proc/<pid>/root``).
  Without bubblewrap ``w`` is a folder on the disk (each file limited to 1 GiB; a full disk
  there is "not graded");
- **a package without the answers**: the ``helpers`` it imports is a read-only copy in which the
  notebook's exercises are stand-ins calling the student's own functions and the checks are
  absent (:mod:`helpers.assignments.kernel_package`), unless ``--allow-reference``;
- **walls** (:mod:`helpers.assignments.isolation`): with bubblewrap (``bwrap``, Debian package
  ``bubblewrap``) its own PID, network and IPC namespaces, a view of only ``/usr``, the Python
  installation, the package copy and its folder (the instructor's notebooks, the reports and the
  other students' work are on no path it can read), every process it starts dying with it, and a
  user that is not root: a root grader gives each kernel a user id of its own, limited to
  :data:`~helpers.assignments.isolation.MAX_PROCESSES` processes; a grader that is not root runs
  it as user 65534 in a user namespace, where the process limit
  (:data:`~helpers.assignments.isolation.SHARED_USER_PROCESSES`) counts the grader's user;
- **a share of the CPU**: with bubblewrap each kernel is a session of its own, which Linux's
  autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) gives one share of the CPU
  however many processes it starts;
- **limits**: seconds per cell (counting only the time the kernel could run: time spent waiting
  behind other processes is given back, up to :data:`STARVED_FACTOR` times the limit) and per
  notebook, memory, CPU seconds, file size, open files, processes.

Without bubblewrap only the folder, the package copy and the limits hold; a root grader still
runs the kernel as a user of its own (and kills what that user left running), which must be able
to read the Python installation. A kernel that could not run (it did not start, its folder or its
arguments could not be written, it was starved of CPU by its neighbours) sets ``unusable``: the
submission is "not graded", never the student's 0.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from helpers.assignments.isolation import (
    DISK_MB,
    KERNEL_FOLDER,
    bwrap_path,
    grader_folder,
    hand_over,
    isolation,
    kernel_uid,
    kill_user,
    process_tree_load,
    remove_folder,
    sandbox_command,
    sandbox_view,
)
from helpers.assignments.kernel_calls import DataCalls, KernelProblem
from helpers.assignments.kernel_package import package_copy
from helpers.atomic import temp_folder

__all__ = ["CellRun", "KernelProblem", "Limits", "SandboxKernel", "bwrap_path", "isolation", "package_copy"]

_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: How many times its limit a cell starved of CPU by other processes may take (see SandboxKernel).
STARVED_FACTOR = 10


@dataclass
class CellRun:
    """What running one piece of code in the kernel gave: status "ok", "error", "timeout" or "dead"."""

    status: str
    ename: str = ""
    evalue: str = ""


@dataclass
class Limits:
    """Per-kernel limits: seconds per cell, seconds per notebook, memory and (with bwrap) the
    working folder's and /tmp's size in MiB."""

    cell: float = 300.0
    notebook: float = 1800.0
    memory_mb: int = 4096
    disk_mb: int = DISK_MB


class SandboxKernel(DataCalls):
    """One sandboxed kernel in a fresh folder; use as a context manager.

    ``files`` are copied into the working folder first (the submission's data files); ``stubs``
    are the exercise names whose course functions are stand-ins in the kernel's package.
    """

    def __init__(self, limits: Limits, files: list[Path] = (), stubs: list[str] = ()) -> None:
        self.limits = limits
        self.files = list(files)
        self.stubs = list(stubs)
        self.dead = ""  # why the kernel is gone, once it is
        self.unusable = ""  # why it could not grade, when that was not the student's doing
        self.deadline = 0.0
        self.uid = -1  # the kernel's user id outside the sandbox, when it has one of its own

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> SandboxKernel:
        key = (astuple(self.limits), tuple(map(str, self.files)), tuple(self.stubs))
        spare = _take_spare(key)
        if spare is not None:  # started while the previous submission ran (see keep_a_spare)
            self.__dict__.update(spare.__dict__)
            self.deadline = time.monotonic() + self.limits.notebook
        else:
            self._start()
        if _spare["on"] and not self.dead:
            _make_spare(key, SandboxKernel(self.limits, self.files, self.stubs))
        return self

    def _start(self) -> SandboxKernel:
        from jupyter_client import KernelManager

        # A temporary folder of helpers.atomic's (its name carries our process id) in the grader's
        # own folder: the folders of a grader killed outright are removed by the next one.
        bwrap = bwrap_path()
        self.km, self.kc = None, None
        self._tmp = temp_folder(grader_folder(bwrap), KERNEL_FOLDER)
        # What the grader hands the kernel (read-only inside the sandbox), and the kernel's working
        # folder: with bwrap a tmpfs of its own inside the sandbox, which the grader reaches as
        # the same path through the sandbox's root once the kernel runs (see _reach_sandbox).
        self.stage, self.cwd = self._tmp / "s", self._tmp / "w"
        self.workdir, self.own_disk = self.cwd, bool(bwrap)
        try:
            (self.stage / "files").mkdir(parents=True)
            for f in self.files:
                shutil.copy2(f, self.stage / "files" / f.name)
            if not bwrap:
                self.cwd.mkdir()
            pkg = package_copy(self._tmp / "pkg", self.stubs)
        except OSError as exc:  # the temporary folder is full or unwritable: not the student's doing
            self.dead = self.unusable = f"the kernel's folder could not be made ({exc.strerror or exc})"
            return self
        self.uid = uid = kernel_uid(bwrap)
        self._tmp.chmod(0o711)  # a kernel with a user of its own passes through to s/, w/ and pkg/
        hand_over(self.stage, uid)
        if not bwrap:
            hand_over(self.cwd, uid)
        limits = (self.limits.memory_mb, int(self.limits.notebook) + 10, self.limits.disk_mb)
        wrap = sandbox_command(self.cwd, self.stage, pkg, limits, uid, bwrap)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(self.cwd / ".kernel.json")]

        class _Manager(KernelManager):
            def format_kernel_cmd(self, extra_arguments=None):  # noqa: ARG002
                return wrap + kernel

            def write_connection_file(self, **kwargs):  # the kernel's user must read it
                super().write_connection_file(**kwargs)
                hand_over(Path(self.connection_file), uid)

        kw: dict[str, Any] = {"transport": "ipc", "ip": str(self.cwd / "ipc")} if bwrap else {}
        self.km = _Manager(**kw)
        self.km.connection_file = str(self.stage / "files" / ".kernel.json")  # copied into w/ at start
        self.km.kernel_spec.interrupt_mode = "message"  # signals do not cross the sandbox
        home = str(self.cwd)
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
                where = str(self._tmp if bwrap else self.cwd)
                self.km.start_kernel(env=env, cwd=where, stdout=log, stderr=log)
                self._reach_sandbox(bwrap)
                self.kc = self.km.blocking_client()
                self.kc.start_channels()
                self.kc.wait_for_ready(timeout=min(60.0, self.limits.notebook))
            except Exception as exc:  # noqa: BLE001 - bwrap refused, the kernel crashed at start...
                self.dead = f"the kernel did not start ({type(exc).__name__}: {str(exc)[:200]})"
                self.unusable = self.dead
        return self

    def _reach_sandbox(self, bwrap: str | None) -> None:
        """With bwrap, make the kernel's working folder (its sockets, its results) reachable here
        at the same path: a link to it through the sandbox's root. RuntimeError when no process
        of the sandbox appears."""
        if bwrap:
            view = sandbox_view(self.km.provisioner.process.pid, self.cwd)
            if view is None:
                raise RuntimeError("no process appeared in the sandbox")
            self.cwd.symlink_to(view, target_is_directory=True)

    def __exit__(self, *exc: object) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            kill_user(self.uid)
            remove_folder(self._tmp)

    def _close(self) -> None:
        """Leave without an exception (a spare no one took)."""
        try:
            self.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - its folder is removed by the next grader
            pass

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
        # stop_on_error=False: after a cell's error ipykernel would otherwise abort the requests
        # that reach it in the next moments, and a slow machine turns that race into a made-up error.
        msg_id = self.kc.execute(
            code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=False
        )
        start, load = time.monotonic(), self._load()
        end = start + limit
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                self._drain_iopub()
                if not self.km.is_alive():
                    self.dead = "the kernel died"
                    return CellRun("dead", evalue=self.dead)
                if time.monotonic() > end:
                    end = self._time_left(start, load, limit)
                    if end is None:
                        return self._timed_out(msg_id, limit)
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        self._drain_iopub()
        content = reply.get("content", {})
        if content.get("status") == "ok":
            return CellRun("ok")
        return CellRun("error", str(content.get("ename", "Error")), str(content.get("evalue", "")))

    def _load(self) -> tuple[float, float]:
        """(CPU seconds used, seconds spent waiting for a CPU) by the kernel's processes so far."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return process_tree_load(proc.pid) if proc is not None else (0.0, 0.0)

    def _time_left(self, start: float, load: tuple[float, float], limit: float) -> float | None:
        """A new end for a cell past its ``limit`` seconds that was starved of CPU, else None.

        The limit counts the time the kernel could run: seconds spent waiting for a CPU behind
        other processes are given back, up to :data:`STARVED_FACTOR` times the limit and the
        notebook's deadline. A cell whose processes used ``limit`` CPU seconds (a student's own
        busy processes) or that was not waiting (a sleeping one) has had its time. At the cap,
        a cell still starved makes the kernel unusable: not the student's doing.
        """
        now = time.monotonic()
        cpu, wait = self._load()
        cpu, wait = cpu - load[0], min(wait - load[1], now - start)
        ran = now - start - wait
        if ran >= limit or cpu >= limit:
            return None
        if now - start < STARVED_FACTOR * limit and now < self.deadline:
            return min(now + max(0.5, limit - ran), start + STARVED_FACTOR * limit, self.deadline)
        self.unusable = self.unusable or (
            f"the kernel was starved of CPU by other processes (it ran {ran:.0f} s in {now - start:.0f} s)"
        )
        return None

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


#: The next kernel of each grading thread, started while its current one grades (see keep_a_spare).
_spare: dict[str, Any] = {"on": False, "by_thread": {}}


def keep_a_spare(on: bool = True) -> None:
    """In a process that grades one submission after another: start each kernel's successor (same
    limits, files and stand-ins) in the background while it runs, so that the next submission of
    that notebook finds its kernel ready. Spares are shut down when the process ends."""
    if on and not _spare["on"]:
        from multiprocessing import util

        atexit.register(_drop_spares)
        util.Finalize(None, _drop_spares, exitpriority=10)  # a process pool's worker skips atexit
    _spare["on"] = on


def _drop_spares() -> None:
    for ident in list(_spare["by_thread"]):
        _take_spare(None, ident)


def _make_spare(key: tuple, kernel: SandboxKernel) -> None:
    # Started by a thread that lives as long as the process: bwrap's --die-with-parent follows
    # the thread that started it, so a thread that ended would take its kernel with it.
    if "starter" not in _spare:
        from concurrent.futures import ThreadPoolExecutor

        _spare["starter"] = ThreadPoolExecutor(1, thread_name_prefix="spare-kernel")
    started = _spare["starter"].submit(kernel._start)
    _spare["by_thread"][threading.get_ident()] = (key, started, kernel)


def _take_spare(key: tuple | None, ident: int | None = None) -> SandboxKernel | None:
    """This thread's spare kernel if it was started for ``key`` and is ready; any other is shut down."""
    found = _spare["by_thread"].pop(threading.get_ident() if ident is None else ident, None)
    if found is None:
        return None
    started_for, started, kernel = found
    started.exception()  # wait for it (_start reports its own failures in kernel.dead)
    if started_for == key and not kernel.dead and kernel.km is not None and kernel.km.is_alive():
        return kernel
    kernel._close()
    return None
