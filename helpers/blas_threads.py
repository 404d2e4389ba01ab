"""Threads for the fast engine, chosen by timing (chapter 7).

OpenBLAS splits a large enough matrix product over every core. On an idle machine that pays for
the wide network's products; beside a busy program every split product waits for the stalled
core. :class:`TimedChoice` times a few steps with each of two settings at the start of an epoch
and keeps the faster; :class:`AdaptiveBlasThreads` is that choice between one BLAS thread and
every core, and the engine's blocked gradient uses it to choose how many workers share out
its blocks. :func:`limit_blas_threads` is the policy the plain training loops put around their
epochs (one thread by default). ``benchmarks/README.md`` gives the measured gains.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController, threadpool_limits


@contextmanager
def limit_blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads inside the ``with`` block (None: leave BLAS as configured)."""
    if n is None:
        yield
        return
    with threadpool_limits(limits=int(n), user_api="blas"):
        yield


class TimedChoice:
    """Two settings of a loop, whichever timed faster at the start of an epoch.

    Call :meth:`before_step` and :meth:`after_step` around every step, with the step's index
    within its epoch (an epoch here is any run of steps: the full-batch loop uses windows of
    iterations). In a probing epoch ``probe`` steps run with ``choices[0]`` and ``probe`` with
    ``choices[1]``, each run after one untimed step (the first carries whatever ran before the
    epoch, the second wakes what the new setting needs), and the rest of the epoch runs with the
    faster: ``choices[1]`` only when its steps took less than ``margin`` times as long, and it is
    dropped as soon as its steps have taken 1.5 times as long. While ``choices[0]`` keeps
    winning, probes come after 1, 2, 4 and then every 8 epochs; while ``choices[1]`` wins, every
    epoch (the machine may change at any time). :attr:`current` is the setting in force;
    subclasses apply it in :meth:`_set`.
    """

    def __init__(self, choices: tuple[int, int], probe: int = 5, margin: float = 0.9) -> None:
        self.choices = choices
        self.probe = probe
        self.margin = margin
        self.current = choices[0]
        self.seconds = [0.0, 0.0]  # of the current probe, one per choice
        self.chosen: list[int] = []  # the choice made by each probe
        self._epoch = 0
        self._next_probe = 1  # the epoch of the next probe
        self._wait = 0  # epochs between probes while choices[0] wins
        self._probing = False
        self._start = 0.0

    def _set(self, choice: int) -> None:
        self.current = choice

    def _decide(self, choice: int) -> None:
        self._probing = False
        self.chosen.append(choice)
        self._set(choice)
        self._wait = min(2 * self._wait or 1, 8) if choice == self.choices[0] else 0
        self._next_probe = self._epoch + max(self._wait, 1)

    def before_step(self, i: int) -> None:
        """Set the choice for step ``i`` of the epoch (0 starts an epoch)."""
        if i == 0:
            self._epoch += 1
            self._probing = self._epoch >= self._next_probe
            if self._probing:
                self.seconds = [0.0, 0.0]
                self._set(self.choices[0])
        if not self._probing:
            return
        if i == 2 * self.probe + 2:
            first, second = self.seconds
            self._decide(self.choices[1] if second < self.margin * first else self.choices[0])
            return
        if i == self.probe + 1:
            self._set(self.choices[1])
        self._start = time.perf_counter()

    def after_step(self, i: int) -> None:
        """Add step ``i``'s time to its choice; stop the probe early when ``choices[1]`` is losing."""
        # Steps 0 and probe + 1 run untimed: the first carries whatever ran before the epoch, the
        # second wakes what the new setting needs (BLAS threads asleep, say).
        if not self._probing or i in (0, self.probe + 1) or i >= 2 * self.probe + 2:
            return
        k = 0 if i <= self.probe else 1
        self.seconds[k] += time.perf_counter() - self._start
        if k == 1 and self.seconds[1] > 1.5 * self.seconds[0]:
            self._decide(self.choices[0])


class AdaptiveBlasThreads(TimedChoice):
    """BLAS on one thread or on every core, whichever timed faster at the start of an epoch.

    A :class:`TimedChoice` between 1 and every core that sets BLAS's threads: every core only
    when it was at least 10% faster. An idle machine gets both cores on large products; beside
    a busy program, where each hand-over between BLAS threads stalls, one thread. Switching
    costs about a microsecond; it changes a split product's float32 numbers only in their last
    bits (the order of additions). :meth:`restore` gives BLAS back its threads.
    """

    def __init__(self, probe: int = 5) -> None:
        super().__init__((1, max(default_threads(), 1)), probe, margin=0.9)
        self.libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        self.original = [lib.num_threads for lib in self.libraries]

    def _set(self, threads: int) -> None:
        super()._set(threads)
        for lib in self.libraries:
            lib.set_num_threads(threads)

    def restore(self) -> None:
        """Give BLAS back the thread counts it had before."""
        for lib, threads in zip(self.libraries, self.original):
            lib.set_num_threads(threads)

    def __enter__(self) -> AdaptiveBlasThreads:
        return self

    def __exit__(self, *exc) -> None:
        self.restore()


def default_threads() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


__all__ = ["AdaptiveBlasThreads", "TimedChoice", "default_threads", "limit_blas_threads"]
