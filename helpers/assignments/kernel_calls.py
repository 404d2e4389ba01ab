"""Calling a sandboxed kernel's functions on data: the grader's half of :mod:`kernel_side`.

:class:`DataCalls` is the part of :class:`~helpers.assignments.sandbox.SandboxKernel` that writes
the arguments as a :mod:`~helpers.assignments.wire` file into the folder the kernel reads
(``stage``), runs :mod:`~helpers.assignments.kernel_side` in the kernel, and reads back the file
it wrote into its working folder (``cwd`` in the kernel, ``workdir`` here: the same path).
Whatever comes back is data, checked as such; nothing in it is run here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.assignments import wire
from helpers.assignments.isolation import hand_over

if TYPE_CHECKING:
    from helpers.assignments.sandbox import CellRun, Limits


class KernelProblem(BaseException):
    """The kernel timed out, died or sent back something unreadable: the exercise fails with this.

    A BaseException, so that checkers' ``except Exception`` does not turn it into a student verdict.
    """


class DataCalls:
    """Round trips through files, for a kernel that has ``run``, its folders and its limits
    (:class:`~helpers.assignments.sandbox.SandboxKernel`)."""

    stage: Path
    cwd: Path
    workdir: Path
    uid: int
    own_disk: bool
    dead: str
    unusable: str
    limits: Limits
    run: Callable[..., CellRun]  # SandboxKernel.run

    def _round_trip(self, func: str, args: str, name: str, what: str, *extra: object) -> object:
        """Run ``kernel_side.<func>(user_ns, <args>, <working folder>/name, *extra)`` in the kernel;
        return what it wrote there.

        Raises :class:`KernelProblem` (its message starting with ``what``) for a timeout, a dead
        kernel, or a result that is missing or not data. A working folder of its own that the
        kernel filled is the student's doing: the result is that error.
        """
        code = (
            f"__import__('helpers.assignments.kernel_side', fromlist=[{func!r}]).{func}("
            f"__import__('IPython').get_ipython().user_ns, {args}, {str(self.cwd / name)!r}"
            + "".join(f", {e!r}" for e in extra)
            + ")"
        )
        run = self.run(code, silent=True)
        dst = self.workdir / name
        if run.status in ("timeout", "dead"):
            raise KernelProblem(f"{what}: {run.evalue or run.status}")
        if run.ename == "OSError" and os.strerror(errno.ENOSPC) in run.evalue:
            if self.own_disk:
                why = f"the kernel's working folder is full (it holds {self.limits.disk_mb} MiB)"
                return {"error": ["OSError", f"{why}: no result could be written"]}
            self.unusable = self.unusable or f"the kernel's folder is full ({run.evalue[:200]})"
        if not dst.is_file():
            raise KernelProblem(f"{what}: no result came back ({run.ename}: {run.evalue})".rstrip(" :()"))
        try:
            return wire.load(dst)
        except wire.WireError as exc:
            raise KernelProblem(f"{what}: {exc}") from None

    def call(self, name: str, args: tuple, kwargs: dict, measure: bool = False) -> dict:
        """Call the kernel's ``name(*args, **kwargs)``; returns kernel_side's result dict (with
        ``measure``, the peak of the memory the call allocated in ``peak_bytes``).

        Raises :class:`KernelProblem` for a timeout, a dead kernel or an unreadable result.
        """
        nonce = uuid.uuid4().hex
        src, dst = self.stage / f".in-{nonce}.npz", f".out-{nonce}.npz"
        try:
            wire.dump(src, [list(args), kwargs])
            hand_over(src, self.uid)
        except OSError as exc:
            src.unlink(missing_ok=True)
            self.unusable = self.unusable or f"the arguments could not be written ({exc.strerror or exc})"
            raise KernelProblem(f"{name}: {self.unusable}") from None
        try:
            out = self._round_trip("call", f"{name!r}, {str(src)!r}", dst, name, measure)
            if not isinstance(out, dict):
                raise KernelProblem(f"{name}: malformed result")
            return out
        finally:
            src.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a kernel that is gone took its folder along
                (self.workdir / dst).unlink(missing_ok=True)

    def remember(self, names: list[str]) -> None:
        """Have the kernel remember its functions ``names`` as the notebook's own (after a solution cell)."""
        if names and not self.dead:
            self.run(
                f"__import__('helpers.assignments.kernel_side', fromlist=['remember']).remember("
                f"__import__('IPython').get_ipython().user_ns, {names!r})",
                silent=True,
            )

    def describe(self, names: list[str]) -> dict:
        """``{name: "function" | "missing" | "other" | ["value", v]}`` for names in the kernel
        (all "function" when its working folder is full: calling them gives that error)."""
        dst = f".names-{uuid.uuid4().hex}.npz"
        try:
            out = self._round_trip("describe", repr(names), dst, "the kernel's namespace could not be read")
            if isinstance(out, dict) and "error" in out:  # its full folder: each call will say so
                return dict.fromkeys(names, "function")
            return out if isinstance(out, dict) else {}
        finally:
            with contextlib.suppress(OSError):
                (self.workdir / dst).unlink(missing_ok=True)
