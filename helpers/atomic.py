"""Writing files and folders so that nothing is ever left half-written.

Everything the project writes (downloads, models, reports, notebooks) goes through this module:

- :func:`atomic_write` writes one file: the data goes to a hidden temporary file in the target's
  folder, is optionally verified, and only then renamed over the target.
- :func:`atomic_dir` builds a whole folder (a report) in a hidden temporary folder beside the
  target and swaps it in with one rename, so a reader sees the old folder or the complete new
  one, never a mix of the two.
- :func:`temp_folder` makes such a hidden temporary folder for a caller that removes it itself
  (the grader's kernels work in them).

On any error, Ctrl-C included, the temporary file or folder is removed and the target is left
as it was. A process killed outright (SIGKILL, power loss) cannot clean up: its temporary names
carry its process id, and the next write into the same folder removes those of processes that
no longer run (:func:`remove_stale`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: Temporary names of ours: ``.<target name>.<pid>.<random><suffix>``.
_TEMP_SUFFIXES = (".tmp", ".part", ".tmpdir", ".old")
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+(\.tmp|\.part|\.tmpdir|\.old)$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # exists (another user's) or cannot tell: leave it alone
    return True


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove our temporary files and folders in ``folder`` left by processes that are gone.

    Only names this module creates are considered, and only those whose process id no longer
    runs, so a concurrent write in progress is never touched. Returns what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or _pid_alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def temp_folder(folder: str | os.PathLike, name: str) -> Path:
    """A new empty folder ``folder/.<name>.<pid>.<random>.tmpdir`` (mode 0700), for this process.

    What processes killed outright left in ``folder`` is removed first (:func:`remove_stale`),
    and this folder is removed the same way once this process is gone; while it runs, removing
    the folder is the caller's job.
    """
    remove_stale(folder)
    return Path(tempfile.mkdtemp(prefix=_temp_prefix(Path(name)), suffix=".tmpdir", dir=folder))


@contextmanager
def atomic_write(
    path: str | os.PathLike,
    mode: str = "wb",
    *,
    verify: Callable[[Path], Any] | None = None,
    suffix: str = ".tmp",
    **open_kwargs: Any,
) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success rename it to ``path``.

    ``mode`` is "wb" or "w" (``open_kwargs`` such as ``encoding`` go to :func:`os.fdopen`).
    ``verify(tmp_path)``, when given, runs after the file is closed and before the rename; an
    exception from it aborts the write. ``suffix`` is one of ".tmp" and ".part". The file gets
    the usual permissions (0644), not mkstemp's private 0600.
    """
    if suffix not in _TEMP_SUFFIXES:
        raise ValueError(f"atomic_write: suffix must be one of {_TEMP_SUFFIXES}, got {suffix!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path.parent)
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent)
    tmp = Path(name)
    try:
        f = os.fdopen(fd, mode, **open_kwargs)
        try:
            yield f
        except BaseException:
            try:
                f.close()  # a second error here (the full disk again) must not hide the first
            except OSError:
                pass
            raise
        f.close()
        if verify is not None:
            verify(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # already gone after a successful rename


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, \\n line ends) to ``path`` atomically; returns the path."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return Path(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE).

    Returns False where the system cannot do it (another OS, an old kernel, a file system
    without support); the caller then falls back to two renames.
    """
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        renameat2 = ctypes.CDLL(libc_name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def _swap_in(tmp: Path, path: Path) -> None:
    """Put the folder ``tmp`` at ``path``, replacing what is there; remove the old folder."""
    if not path.exists() and not path.is_symlink():
        try:
            os.rename(tmp, path)
            return
        except OSError as exc:  # another writer's folder got there first: replace it below
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    if not path.is_dir() or path.is_symlink():
        raise NotADirectoryError(f"{path}: exists and is not a folder; not replacing it")
    if _exchange(tmp, path):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".old", dir=path.parent))
    os.rename(path, old / path.name)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old / path.name, path)  # put the old folder back
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Build a folder in a hidden temporary folder beside ``path``; on success swap it in.

    Yields the temporary folder to write into. When the block ends without an exception the
    temporary folder replaces ``path`` (and any older folder there) in one atomic exchange on
    Linux; otherwise it is removed and ``path`` is left as it was. Two processes writing the
    same ``path`` at once each swap in a complete folder of their own, never a mix.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_folder(path.parent, path.name)
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        _swap_in(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["atomic_dir", "atomic_write", "remove_stale", "temp_folder", "write_text"]
