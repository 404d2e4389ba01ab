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
  behind other processes is given back, up to
  :data:`~helpers.assignments.timed_runs.STARVED_FACTOR` times the limit, see
  :mod:`~helpers.assignments.timed_runs`) and per notebook, memory, CPU seconds, file size, open
  files, processes; a process that grades one submission after another starts the next kernel
  while this one runs (:mod:`~helpers.assignments.spare_kernels`).

Without bubblewrap only the folder, the package copy and the limits hold; a root grader still
runs the kernel as a user of its own (and kills what that user left running), which must be able
to read the Python installation. A kernel that could not run (it did not start, its folder or its
arguments could not be written, it was starved of CPU by its neighbours) sets ``unusable``: the
submission is "not graded", never the student's 0.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from helpers.assignments import spare_kernels
from helpers.assignments.isolation import (
    DISK_MB,
    KERNEL_FOLDER,
    bwrap_path,
    grader_folder,
    hand_over,
    isolation,
    kernel_uid,
    kill_user,
    remove_folder,
    sandbox_command,
    sandbox_view,
)
from helpers.assignments.kernel_calls import DataCalls, KernelProblem
from helpers.assignments.kernel_package import package_copy, shared_package_copy
from helpers.assignments.spare_kernels import keep_a_spare
from helpers.assignments.timed_runs import STARVED_FACTOR, CellRun, TimedRuns
from helpers.atomic import temp_folder

__all__ = [
    "STARVED_FACTOR",
    "CellRun",
    "KernelProblem",
    "Limits",
    "SandboxKernel",
    "bwrap_path",
    "isolation",
    "keep_a_spare",
    "package_copy",
]

_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Limits:
    """Per-kernel limits: seconds per cell, seconds per notebook, memory and (with bwrap) the
    working folder's and /tmp's size in MiB."""

    cell: float = 300.0
    notebook: float = 1800.0
    memory_mb: int = 4096
    disk_mb: int = DISK_MB


class SandboxKernel(DataCalls, TimedRuns):
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

    def __enter__(self) -> SandboxKernel:
        key = (astuple(self.limits), tuple(map(str, self.files)), tuple(self.stubs))
        spare = spare_kernels.take(key)
        if spare is not None:  # started while the previous submission ran (see keep_a_spare)
            self.__dict__.update(spare.__dict__)
            self.deadline = time.monotonic() + self.limits.notebook
        else:
            self._start()
        if spare_kernels.wanted() and not self.dead:
            spare_kernels.start(key, SandboxKernel(self.limits, self.files, self.stubs))
        return self

    def _start(self) -> SandboxKernel:
        """Make the kernel's folders and start it there; what fails sets ``dead`` and ``unusable``."""
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
        self.uid = uid = kernel_uid(bwrap)
        try:
            pkg = self._fill_folders(bwrap)
        except OSError as exc:  # the temporary folder is full or unwritable: not the student's doing
            self.dead = self.unusable = f"the kernel's folder could not be made ({exc.strerror or exc})"
            return self
        self._tmp.chmod(0o711)  # a kernel with a user of its own passes through to s/, w/ and pkg/
        hand_over(self.stage, uid)
        if not bwrap:
            hand_over(self.cwd, uid)
        limits = (self.limits.memory_mb, int(self.limits.notebook) + 10, self.limits.disk_mb)
        wrap = sandbox_command(self.cwd, self.stage, pkg, limits, uid, bwrap)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(self.cwd / ".kernel.json")]
        kw: dict[str, Any] = {"transport": "ipc", "ip": str(self.cwd / "ipc")} if bwrap else {}
        self.km = _manager(wrap + kernel, uid, **kw)
        self.km.connection_file = str(self.stage / "files" / ".kernel.json")  # copied into w/ at start
        self.km.kernel_spec.interrupt_mode = "message"  # signals do not cross the sandbox
        self.deadline = time.monotonic() + self.limits.notebook
        self._launch(bwrap, _kernel_env(str(self.cwd), pkg))
        return self

    def _fill_folders(self, bwrap: str | None) -> Path:
        """Copy the files into ``s/files``, make ``w`` (without bwrap), find or make the package
        copy; returns the copy's folder."""
        (self.stage / "files").mkdir(parents=True)
        for f in self.files:
            shutil.copy2(f, self.stage / "files" / f.name)
        fonts = font_list(self._tmp.parent)
        if fonts is not None:  # matplotlib's list of the fonts, made once (it takes 0.3 s a kernel)
            shutil.copytree(fonts, self.stage / "files" / ".mpl")
        if not bwrap:
            self.cwd.mkdir()
        # A copy shared by every kernel of this process, when a kernel cannot write to it (bound
        # read-only, or not its user's); else one of its own.
        if bwrap or self.uid >= 0:
            return shared_package_copy(self._tmp.parent, self.stubs)
        return package_copy(self._tmp / "pkg", self.stubs)

    def _launch(self, bwrap: str | None, env: dict[str, str]) -> None:
        """Start the kernel and wait until it answers; a failure (bwrap refused, the kernel
        crashed at start...) sets ``dead`` and ``unusable``."""
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
                # Its outputs are not needed (verdicts come back as files): unread, they are
                # dropped by the kernel's socket instead of being decoded here, message by message.
                self.kc.iopub_channel.stop()
            except Exception as exc:  # noqa: BLE001 - bwrap refused, the kernel crashed at start...
                self.dead = f"the kernel did not start ({type(exc).__name__}: {str(exc)[:200]})"
                self.unusable = self.dead

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


def _manager(command: list[str], uid: int, **kw: Any):
    """A ``jupyter_client.KernelManager`` that starts ``command`` (the sandboxed kernel) and hands
    its connection file to the kernel's user ``uid``."""
    from jupyter_client import KernelManager

    class _Manager(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):  # noqa: ARG002
            return list(command)

        def write_connection_file(self, **kwargs):  # the kernel's user must read it
            super().write_connection_file(**kwargs)
            hand_over(Path(self.connection_file), uid)

    return _Manager(**kw)


_fonts: dict[str, Path | None] = {}  # this process's matplotlib font list, once made
_fonts_lock = threading.Lock()  # a spare kernel starts in a thread of its own


def font_list(parent: Path) -> Path | None:
    """A folder in ``parent`` holding the font list matplotlib makes on its first import (what a
    kernel's ``MPLCONFIGDIR`` would otherwise make in every kernel), made once per process by
    matplotlib itself in a process of ours with an empty home; None without matplotlib."""
    with _fonts_lock:
        if "folder" not in _fonts or (_fonts["folder"] is not None and not _fonts["folder"].is_dir()):
            folder = temp_folder(parent, "fonts")
            atexit.register(remove_folder, folder)
            env = _kernel_env(str(folder / "home"), folder / "none")
            env["MPLCONFIGDIR"] = str(folder / "mpl")
            (folder / "home").mkdir()
            code = "import matplotlib.font_manager"
            made = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
            ok = made.returncode == 0 and any((folder / "mpl").glob("fontlist-*.json"))
            _fonts["folder"] = folder / "mpl" if ok else None
        return _fonts["folder"]


def _kernel_env(home: str, pkg: Path) -> dict[str, str]:
    """The kernel's whole environment: its folder as home, the package copy on its path, one BLAS
    thread, no figures drawn."""
    return {
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
