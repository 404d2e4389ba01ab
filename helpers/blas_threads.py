"""BLAS threads for the fast engine: one thread or every core, chosen by timing (chapter 7).

OpenBLAS splits a large enough matrix product over every core. On an idle machine that pays for
the wide network's products; beside a busy program every split product waits for the stalled
core. :class:`AdaptiveBlasThreads` times a few steps each way at the start of an epoch and keeps
the faster; :func:`limit_blas_threads` and :func:`default_threads` are the two settings it moves
between. :mod:`helpers.fast` uses them; its docstring gives the measured gains.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def limit_blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads inside the ``with`` block (None: leave BLAS as configured)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(n), user_api="blas"):
        yield


class AdaptiveBlasThreads:
    """BLAS on one thread or on every core, whichever timed faster at the start of an epoch.

    Call :meth:`before_step` and :meth:`after_step` around every step, with the step's index
    within its epoch. In a probing epoch the first ``probe`` steps run with BLAS on one thread,
    the next ``probe`` on every core, and the rest of the epoch with the faster (every core only
    when it was at least 10% faster). Every core is dropped as soon as its steps have taken 1.5
    times as long as the single-threaded ones, so a probe beside a busy program costs little.
    While one thread keeps winning, probes come after 1, 2, 4 and then every 8 epochs; while
    every core wins, every epoch (a busy program may start at any time). An idle machine gets
    both cores on large products; beside a busy program, where each hand-over between BLAS
    threads stalls, one thread. Switching costs about a microsecond; it changes a split product's
    float32 numbers only in their last bits (the order of additions).
    """

    def __init__(self, probe: int = 5) -> None:
        from threadpoolctl import ThreadpoolController

        self.libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        self.original = [lib.num_threads for lib in self.libraries]
        self.choices = (1, max(default_threads(), 1))
        self.probe = probe
        self.seconds = [0.0, 0.0]  # of the current probe: one thread, every core
        self.chosen: list[int] = []  # the thread count chosen by each probe
        self._epoch = 0
        self._next_probe = 1  # the epoch of the next probe
        self._wait = 0  # epochs between probes while one thread wins
        self._probing = False
        self._start = 0.0

    def _set(self, threads: int) -> None:
        for lib in self.libraries:
            lib.set_num_threads(threads)

    def _decide(self, threads: int) -> None:
        self._probing = False
        self.chosen.append(threads)
        self._set(threads)
        self._wait = min(2 * self._wait or 1, 8) if threads == 1 else 0
        self._next_probe = self._epoch + max(self._wait, 1)

    def before_step(self, i: int) -> None:
        """Set BLAS's threads for step ``i`` of the epoch (0 starts an epoch)."""
        if i == 0:
            self._epoch += 1
            self._probing = self._epoch >= self._next_probe
            if self._probing:
                self.seconds = [0.0, 0.0]
                self._set(1)
        if not self._probing:
            return
        if i == 2 * self.probe:
            single, every = self.seconds
            self._decide(self.choices[1] if every < 0.9 * single else 1)
            return
        if i == self.probe:
            self._set(self.choices[1])
        self._start = time.perf_counter()

    def after_step(self, i: int) -> None:
        """Add step ``i``'s time to its probe; stop the probe early when every core is losing."""
        if not self._probing or i >= 2 * self.probe:
            return
        self.seconds[i // self.probe] += time.perf_counter() - self._start
        if i >= self.probe and self.seconds[1] > 1.5 * self.seconds[0]:
            self._decide(1)

    def restore(self) -> None:
        """Give BLAS back the thread counts it had before."""
        for lib, threads in zip(self.libraries, self.original):
            lib.set_num_threads(threads)


def default_threads() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


__all__ = ["AdaptiveBlasThreads", "default_threads", "limit_blas_threads"]
