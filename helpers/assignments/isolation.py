"""The walls around a student's kernel: bubblewrap, a user of its own, resource limits.

:func:`sandbox_command` is the command prefix that :class:`~helpers.assignments.sandbox.SandboxKernel`
puts in front of the kernel (the sandbox is described in :mod:`helpers.assignments.sandbox`).
Why a user of its own: Linux counts processes per user and does not limit root at all, so a limit
on processes only holds for a kernel that is neither root nor sharing its user with its neighbours;
a root grader therefore runs each kernel as a fresh user id from a range no system hands out
(:data:`UID_RANGE`), with or without bubblewrap, and kills whatever that user still runs once the
kernel is done (:func:`kill_user`). The kernels' folders live in a folder of the grader's own
(:func:`grader_folder`), so that cleaning up never looks at another user's files in a shared /tmp.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

#: Processes (threads count too) a kernel with a user of its own may have; a kernel uses about ten.
MAX_PROCESSES = 128
#: The same limit when the kernel shares the grader's (non-root) user, whose other processes count.
SHARED_USER_PROCESSES = 512
#: User ids for kernels when the grader is root: far above the ones systems hand out to people.
UID_RANGE = (1_900_000_000, 2_000_000_000)
#: MiB of each of the kernel's own /tmp and working folder with bubblewrap (each a tmpfs).
DISK_MB = 512

#: The launcher, run inside the sandbox: argv = [mem, cpu, nproc, uid, stage, cwd, "--", cmd...];
#: uid -1 keeps the user it was started as. Once it is the kernel's user, it copies what the
#: folder ``stage`` holds (the data files, the connection file, matplotlib's font list in
#: ``.mpl/``) into the working folder ``cwd``.
_LAUNCHER = """\
import os, resource, shutil, sys
mem, cpu, nproc, uid = (int(v) for v in sys.argv[1:5])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
resource.setrlimit(resource.RLIMIT_FSIZE, (2**30, 2**30))
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
if nproc > 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
if uid >= 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
for top, _, names in os.walk(sys.argv[5]):
    here = os.path.join(sys.argv[6], os.path.relpath(top, sys.argv[5]))
    os.makedirs(here, exist_ok=True)
    for name in names:
        shutil.copyfile(os.path.join(top, name), os.path.join(here, name))
os.execvp(sys.argv[8], sys.argv[8:])
"""


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None (``HELPERS_NO_BWRAP=1`` pretends it is missing)."""
    return None if os.environ.get("HELPERS_NO_BWRAP") else shutil.which("bwrap")


def kernel_uid(bwrap: str | None) -> int:  # noqa: ARG001 - the same with or without bwrap
    """The user id a new kernel runs as: a fresh one when the grader is root, else -1 (its own)."""
    return random.randrange(*UID_RANGE) if os.geteuid() == 0 else -1


def sandbox_command(
    workdir: Path,
    stage: Path,
    pkg: Path,
    limits: tuple[int, int, int],
    uid: int,
    bwrap: str | None,
) -> list[str]:
    """The command prefix that runs a command in the sandbox (without bwrap: the limits only).

    ``workdir`` is the kernel's working folder, its only writable one besides /tmp: with bwrap a
    tmpfs of ``limits[2]`` MiB at that path inside the sandbox (a kernel that fills it gets
    ENOSPC; the disk and its neighbours are untouched), without bwrap a folder on the disk.
    ``stage`` holds what the grader hands the kernel (handed over to ``uid`` when uid >= 0, see
    :func:`hand_over`); it is read-only inside the sandbox, and the launcher copies the files
    of its ``files`` folder into ``workdir``. ``pkg`` holds the read-only package copy; ``limits`` are
    (memory MiB, CPU seconds, disk MiB); ``bwrap`` is what :func:`bwrap_path` returned.
    """
    memory_mb, cpu_seconds, disk_mb = limits
    nproc = MAX_PROCESSES if uid >= 0 else SHARED_USER_PROCESSES
    launcher = [sys.executable, "-c", _LAUNCHER, str(memory_mb * 2**20), str(cpu_seconds)]
    launcher += [str(nproc), str(uid), str(stage / "files"), str(workdir), "--"]
    return (_bwrap_args(bwrap, workdir, stage, pkg, uid >= 0, disk_mb) if bwrap else []) + launcher


def sandbox_view(pid: int, folder: Path, timeout: float = 10.0) -> Path | None:
    """``folder`` inside the sandbox started as process ``pid`` (bwrap), as this process sees it:
    ``/proc/<pid of a process in the sandbox>/root/<folder>``; None when none appears in time."""
    import psutil

    mine = os.readlink("/proc/self/ns/mnt")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            for child in psutil.Process(pid).children(recursive=True):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{child.pid}/ns/mnt") != mine:
                        return Path(f"/proc/{child.pid}/root") / folder.relative_to("/")
        except psutil.Error:
            return None
        time.sleep(0.005)
    return None


def _bwrap_args(bwrap: str, workdir: Path, stage: Path, pkg: Path, as_root: bool, disk_mb: int) -> list[str]:
    if as_root:  # no user namespace: the launcher keeps only the right to become the kernel's user
        cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        cmd += ["--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd = [bwrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534"]
    cmd += ["--die-with-parent", "--new-session", "--unsetenv", "JPY_PARENT_PID", "--ro-bind", "/usr", "/usr"]
    for top in ("bin", "lib", "lib32", "lib64", "sbin"):
        p = Path("/") / top
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            cmd += ["--ro-bind", str(p), str(p)]
    # /proc, /dev and /tmp first: a later --tmpfs /tmp would hide a Python installation,
    # package copy or folder bound below /tmp (a checkout or virtual environment in /tmp).
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(disk_mb * 2**20)]
    cmd += ["--tmpfs", "/tmp"]
    made = {"/", "/usr", "/tmp", "/proc", "/dev"}

    def bind(flag: str, path: str) -> None:  # parents first, traversable by the kernel's user
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:
                cmd.extend(["--perms", "0755", "--dir", str(parent)])
                made.add(str(parent))
        cmd.extend([*flag.split(), path] if " " in flag else [flag, path, path])

    for prefix in dict.fromkeys((sys.base_prefix, sys.prefix)):
        if not prefix.startswith("/usr"):
            bind("--ro-bind", prefix)
    bind("--ro-bind", str(pkg))
    bind("--ro-bind", str(stage))
    bind(f"--perms 0777 --size {disk_mb * 2**20} --tmpfs", str(workdir))  # the working folder: its own tmpfs
    cmd += ["--chdir", str(workdir)]
    return cmd + ["--"]


#: The name of a kernel's folder in the grader's folder, as :func:`helpers.atomic.temp_folder`
#: makes it: ``.grade.<pid>.<random>.tmpdir``, holding the kernel's working folder ``w``.
KERNEL_FOLDER = "grade"
#: The longest tail of a kernel's socket path below the grader's folder (a process id has at most
#: 7 digits; ``tempfile`` draws 8 characters; jupyter_client numbers the sockets from 1).
_SOCKET_TAIL = len(f"/.{KERNEL_FOLDER}.4194304.abcdefgh.tmpdir/w/ipc-65535")
#: The bytes of a Unix socket's path (Linux's ``sun_path`` less its closing zero byte).
_SOCKET_PATH_MAX = 107


class UnsafeFolderError(OSError):
    """The grader's folder under the temporary folder is not one it can use (see :func:`grader_folder`)."""


def grader_folder(bwrap: str | None = None) -> Path:
    """The folder of this grader's kernels' folders: ``<temporary folder>/helpers-grade-<euid>``.

    Made on first use with mode 0711: other users, a kernel's own user among them, may pass
    through to a kernel's folder but neither list nor write. One that exists is used only when
    it is a real folder (not a symbolic link) owned by this user and writable by no one else;
    otherwise :class:`UnsafeFolderError` says why in one line. The checks and the mode are
    applied to the folder opened without following a link, so the path cannot be swapped between.
    With ``bwrap`` (what :func:`bwrap_path` returned) the kernels talk over Unix sockets in their
    folders, so the path must leave room for them: a long ``TMPDIR`` is refused the same way.
    """
    path = Path(tempfile.gettempdir()) / f"helpers-grade-{os.geteuid()}"
    room = _SOCKET_PATH_MAX - _SOCKET_TAIL
    if bwrap and len(os.fsencode(path)) > room:
        raise UnsafeFolderError(
            f"{path}: {len(os.fsencode(path))} bytes long, too long for the kernels' sockets inside it "
            f"(at most {room}); set TMPDIR to a shorter folder"
        )
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise UnsafeFolderError(f"{path}: cannot create the grader's folder ({exc.strerror})") from None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        why = "a symbolic link" if path.is_symlink() else "not a folder" if path.exists() else exc.strerror
        raise UnsafeFolderError(
            f"{path}: {why}, not the grader's own folder; remove it or set TMPDIR"
        ) from None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            why = f"owned by user {st.st_uid}, not by the grader's user {os.geteuid()}"
        elif st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            why = f"writable by others (mode {stat.S_IMODE(st.st_mode):o})"
        else:
            os.fchmod(fd, 0o711)
            return path
    finally:
        os.close(fd)
    raise UnsafeFolderError(f"{path}: {why}; remove it or set TMPDIR")


def kill_user(uid: int) -> None:
    """Kill every process of the kernel's own user ``uid`` (what it left running; nothing for -1)."""
    import psutil

    if uid < 0:
        return
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and uid in proc.info["uids"][:2]:
                proc.kill()
        except psutil.Error:
            continue


def process_tree(pid: int) -> tuple[int, ...]:
    """Process ``pid`` and its descendants (empty when it is gone)."""
    import psutil

    try:
        top = psutil.Process(pid)
        return (pid, *(p.pid for p in top.children(recursive=True)))
    except psutil.Error:
        return ()


def process_loads(pids: tuple[int, ...]) -> dict[int, tuple[float, float]]:
    """(CPU seconds used, seconds spent waiting for a CPU) by each of ``pids`` that still runs
    (every thread's wait, from ``/proc/<pid>/task/*/schedstat``). A few small reads per process:
    cheap enough for every cell (finding the descendants, :func:`process_tree`, reads the whole
    process table)."""
    tick = os.sysconf("SC_CLK_TCK")
    loads = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
            wait = sum(
                int((task / "schedstat").read_bytes().split()[1])
                for task in Path(f"/proc/{pid}/task").iterdir()
            )
            loads[pid] = ((int(fields[11]) + int(fields[12])) / tick, wait / 1e9)
        except (OSError, ValueError, IndexError):
            continue
    return loads


def remove_folder(folder: Path) -> None:
    """Remove a kernel's folder whatever modes it left (a read-only package copy, a ``chmod 555``)."""
    for top, dirs, _ in os.walk(folder):
        for d in dirs:
            p = os.path.join(top, d)
            if not os.path.islink(p):
                with contextlib.suppress(OSError):
                    os.chmod(p, 0o700)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def hand_over(folder: Path, uid: int) -> None:
    """Give ``folder`` and everything in it to ``uid`` (nothing to do for uid -1)."""
    if uid < 0:
        return
    for p in [folder, *folder.rglob("*")]:
        os.chown(p, uid, uid, follow_symlinks=False)


def isolation() -> str:
    """A one-line description of the isolation the grader's kernels get on this machine."""
    limits = "memory, CPU-time and file limits"
    root = os.geteuid() == 0
    if not bwrap_path():
        who = (
            f"a user of its own, at most {MAX_PROCESSES} processes"
            if root
            else (f"at most {SHARED_USER_PROCESSES} processes")
        )
        return f"no sandbox (bwrap not found): empty working folder, read-only package copy, {limits}, {who}"
    who = "a user of its own" if root else "user 65534 in its own user namespace"
    shared = f", at most {SHARED_USER_PROCESSES} processes for the grader's user"
    limits += f", at most {MAX_PROCESSES} processes" if root else shared
    return (
        f"bubblewrap: {who}, its own PID, network and IPC namespaces, read-only system and "
        f"package, only its own folder and /tmp writable ({DISK_MB} MiB each); {limits}"
    )
