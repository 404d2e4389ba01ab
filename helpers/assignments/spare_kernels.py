"""Spare kernels: each grading thread's next kernel, started while its current one grades.

In a process that grades one submission after another (a worker of the local pool or of a Dask
cluster), :func:`keep_a_spare` makes each :class:`~helpers.assignments.sandbox.SandboxKernel`
start its successor (same limits, files and stand-ins) in the background, so that the next
submission of that notebook finds its kernel ready (:func:`take`); a spare started for other
limits, files or stand-ins is shut down. Spares are shut down when the process ends.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpers.assignments.sandbox import SandboxKernel

#: Whether spares are kept, and the next kernel of each grading thread: (key, its start, it).
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


def wanted() -> bool:
    """Whether each kernel is to start its successor (:func:`keep_a_spare`)."""
    return _spare["on"]


def _drop_spares() -> None:
    for ident in list(_spare["by_thread"]):
        take(None, ident)


def start(key: tuple, kernel: SandboxKernel) -> None:
    """Start ``kernel`` in the background as this thread's spare for ``key``."""
    # Started by a thread that lives as long as the process: bwrap's --die-with-parent follows
    # the thread that started it, so a thread that ended would take its kernel with it.
    if "starter" not in _spare:
        from concurrent.futures import ThreadPoolExecutor

        _spare["starter"] = ThreadPoolExecutor(1, thread_name_prefix="spare-kernel")
    started = _spare["starter"].submit(kernel._start)
    _spare["by_thread"][threading.get_ident()] = (key, started, kernel)


def take(key: tuple | None, ident: int | None = None) -> SandboxKernel | None:
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
