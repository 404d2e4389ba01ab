"""Running code in a sandboxed kernel under its time limits: the seconds per cell and per notebook.

:class:`TimedRuns` is the part of :class:`~helpers.assignments.sandbox.SandboxKernel` that sends
code to the kernel and waits for its reply. A cell's limit counts only the time the kernel could
run: seconds it spent waiting for a CPU behind other processes are given back, up to
:data:`STARVED_FACTOR` times the limit; a cell still starved then makes the kernel ``unusable``
(not the student's doing). A cell past its limit is interrupted, and its kernel stopped when it
does not answer.

Each run starts by reading the CPU and waiting times of the kernel's processes known from the
last look (a few small reads; finding a kernel's descendants reads the whole process table, so it
is done only when a cell passes its limit). A process that was not known at the start counts from
zero: all its wait and CPU time are this cell's (more time given back, or less, to a student's
own background processes only, and never past the caps).
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpers.assignments.isolation import process_loads, process_tree

if TYPE_CHECKING:
    from helpers.assignments.sandbox import Limits

#: How many times its limit a cell starved of CPU by other processes may take (see TimedRuns).
STARVED_FACTOR = 10


@dataclass
class CellRun:
    """What running one piece of code in the kernel gave: status "ok", "error", "timeout" or "dead"."""

    status: str
    ename: str = ""
    evalue: str = ""


class TimedRuns:
    """Code run with deadlines, for a kernel that has its manager ``km``, its client ``kc``, its
    limits and its notebook's ``deadline`` (:class:`~helpers.assignments.sandbox.SandboxKernel`)."""

    km: Any
    kc: Any
    limits: Limits
    deadline: float
    dead: str
    unusable: str
    _tree: tuple[int, ...] = ()  # the kernel's processes at the last look (_load)

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
        start, load = time.monotonic(), self._load(look_again=False)
        end = start + limit
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
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
        content = reply.get("content", {})
        if content.get("status") == "ok":
            return CellRun("ok")
        return CellRun("error", str(content.get("ename", "Error")), str(content.get("evalue", "")))

    def _load(self, look_again: bool = True) -> dict[int, tuple[float, float]]:
        """(CPU seconds used, seconds spent waiting for a CPU) so far by each of the kernel's
        processes: those found now, or (``look_again=False``) those of the last look."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is None:
            return {}
        if look_again or not self._tree:
            self._tree = process_tree(proc.pid)
        return process_loads(self._tree)

    def _time_left(self, start: float, load: dict[int, tuple[float, float]], limit: float) -> float | None:
        """A new end for a cell past its ``limit`` seconds that was starved of CPU, else None.

        The limit counts the time the kernel could run: seconds spent waiting for a CPU behind
        other processes are given back, up to :data:`STARVED_FACTOR` times the limit and the
        notebook's deadline. A cell whose processes used ``limit`` CPU seconds (a student's own
        busy processes) or that was not waiting (a sleeping one) has had its time. At the cap,
        a cell still starved makes the kernel unusable: not the student's doing.
        """
        now = time.monotonic()
        cpu = wait = 0.0
        for pid, (used, waited) in self._load().items():
            before = load.get(pid, (0.0, 0.0))
            cpu, wait = cpu + used - before[0], wait + waited - before[1]
        wait = min(wait, now - start)
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

    def _kill(self, why: str) -> None:
        self.dead = why
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
