"""Writing files and folders so that nothing is ever left half-written.

Everything the project writes (downloads, models, reports, notebooks) goes through this module.
:func:`atomic_write` writes one file into a hidden temporary file beside it, verifies it if
asked, and only then renames it over the target. :func:`atomic_dir` builds a whole folder (a
report) beside the target and swaps it in with one rename, so a reader sees the old folder or
the complete new one; it replaces only a new path, an empty folder or one that ``may_replace``
accepts. :func:`temp_folder` makes such a hidden folder for a caller that removes it itself.

On any error, Ctrl-C included, the temporary file or folder is removed, the target is left as
it was, and an OSError names the file being written (``path: No space left on device``). A
process killed outright cannot clean up: its temporary names carry its process id, and the next
write into the same folder removes those of processes that are gone (:func:`remove_stale`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

#: Temporary names of ours: ``.<target name>.<pid>.<random><suffix>``.
_TEMP_SUFFIXES = (".tmp", ".part", ".tmpdir", ".old")
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+(\.tmp|\.part|\.tmpdir|\.old)$")
T = TypeVar("T")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists (this one does)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        pass  # exists (another user's) or cannot tell: leave it alone
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


_HELD = {signal.SIGINT, signal.SIGTERM}


def _hold_signals() -> object:
    """Hold back Ctrl-C and SIGTERM (they arrive later); returns what :func:`_release_signals` needs."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    except (AttributeError, ValueError, OSError):  # no pthread_sigmask on this system
        return None


def _release_signals(held: object) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def _temporary(make: Callable[[], T], remove: Callable[[T], Any]) -> Iterator[T]:
    """What ``make()`` creates, removed by ``remove(it)`` on any exit; Ctrl-C and SIGTERM are held
    back (they arrive later) until that removal is armed, so neither can leave it behind."""
    held = _hold_signals()
    try:
        made = make()
    except BaseException:
        _release_signals(held)
        raise
    try:
        _release_signals(held)  # from here on, the finally clause removes it
        yield made
    finally:
        remove(made)


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
    with _temporary(
        lambda: tempfile.mkstemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent),
        lambda made: Path(made[1]).unlink(missing_ok=True),  # already gone after a successful rename
    ) as (fd, name):
        tmp = Path(name)
        f = os.fdopen(fd, mode, **open_kwargs)
        try:
            yield f
        except BaseException as exc:
            try:
                f.close()  # a second error here (the full disk again) must not hide the first
            except OSError:
                pass
            if isinstance(exc, OSError):
                raise named(exc, path) from None
            raise
        try:
            f.close()
        except OSError as exc:
            raise named(exc, path) from None
        if verify is not None:
            verify(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


def named(exc: OSError, path: str | os.PathLike) -> OSError:
    """``exc`` as an OSError that names ``path`` (the file being written) when it named none: a full
    disk's ``[Errno 28] No space left on device`` becomes ``...: 'path'``, same type and errno."""
    if exc.filename is not None or exc.errno is None:
        return exc
    try:
        return type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path))
    except TypeError:  # an OSError subclass with another signature
        return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path))


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, \\n line ends) to ``path`` atomically; returns the path."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return Path(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system cannot (another OS, an old kernel, a file system without it): rename twice then."""
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


class KeptAside(OSError):
    """The new folder was built but could not be swapped in; it was kept under a visible name."""


def _check_replaceable(path: Path, may_replace: Callable[[Path], Any] | None) -> None:
    """Raise unless the folder ``path`` may be replaced: it is empty, or ``may_replace`` accepts it."""
    if path.is_symlink() or not path.is_dir():
        raise NotADirectoryError(f"{path}: exists and is not a folder; not replacing it")
    if may_replace is not None:
        may_replace(path)
    elif any(os.scandir(path)):
        raise FileExistsError(f"{path}: a folder with files in it; not replacing it")


def _swap_in(tmp: Path, path: Path, may_replace: Callable[[Path], Any] | None) -> None:
    """Put the folder ``tmp`` at ``path``, replacing what is there; remove the old folder."""
    if not path.exists() and not path.is_symlink():
        try:
            os.rename(tmp, path)
            return
        except OSError as exc:  # another writer's folder got there first: replace it below
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    _check_replaceable(path, may_replace)
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


def _keep_aside(tmp: Path, path: Path) -> Path | None:
    """Rename ``tmp`` to the first free name ``<path>.new``, ``<path>.new-2``, ...; None if none works."""
    for i in range(1, 100):
        aside = path.with_name(f"{path.name}.new" + (f"-{i}" if i > 1 else ""))
        if aside.exists() or aside.is_symlink():
            continue
        try:
            os.rename(tmp, aside)
        except OSError:
            return None
        return aside
    return None


def _outside(exc: OSError, tmp: Path, path: Path) -> OSError:
    """``exc`` naming the file in ``path`` (the folder being built) rather than in ``tmp``."""
    name = os.fspath(exc.filename) if exc.filename is not None else None
    if name is None:
        return named(exc, path)
    try:
        inside = Path(name).relative_to(tmp)
    except ValueError:
        return exc
    return named(type(exc)(exc.errno, exc.strerror, None), path / inside) if exc.errno else exc


@contextmanager
def atomic_dir(
    path: str | os.PathLike, *, may_replace: Callable[[Path], Any] | None = None
) -> Iterator[Path]:
    """Build a folder in a hidden temporary folder beside ``path``; on success swap it in.

    Yields the folder to write into. When the block ends without an exception, it replaces
    ``path`` in one atomic exchange on Linux; otherwise it is removed and ``path`` is left as it
    was. Only a new path or an empty folder is replaced, unless ``may_replace(path)``, called
    just before the swap, accepts the folder there (it raises to refuse). Two processes writing
    ``path`` at once each swap in a complete folder of their own. When the swap itself fails,
    the new folder is kept as ``<path>.new`` and :class:`KeptAside` says so.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make = partial(temp_folder, path.parent, path.name)
    with _temporary(make, partial(shutil.rmtree, ignore_errors=True)) as tmp:
        try:
            yield tmp
        except OSError as exc:
            raise _outside(exc, tmp, path) from None
        os.chmod(tmp, 0o755)
        try:
            _swap_in(tmp, path, may_replace)
        except Exception as exc:
            aside = _keep_aside(tmp, path)
            if aside is None:
                raise
            reason = " ".join(str(exc).split())
            raise KeptAside(f"{reason}; what was written is in {aside}") from None


__all__ = ["KeptAside", "atomic_dir", "named", "atomic_write", "remove_stale", "temp_folder", "write_text"]
