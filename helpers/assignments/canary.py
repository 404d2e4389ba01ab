"""The check before a class: the sandbox grades a known-good notebook, or nothing is graded."""

from __future__ import annotations

import os
import sys

from helpers.assignments.grade import grade_notebook
from helpers.assignments.sandbox import Limits, bwrap_path


class SandboxUnusable(RuntimeError):
    """The sandbox cannot run a kernel on this machine: nothing would be graded."""


def check_sandbox(limits: Limits | None = None) -> None:
    """Grade a known-good notebook in the sandbox; :class:`SandboxUnusable` (one line) unless it
    gets full marks. Run before the first student, so a broken machine never zeroes a class."""
    import nbformat

    code = nbformat.v4.new_code_cell
    meta = {"grade": False, "solution": True, "locked": False, "grade_id": "double", "schema_version": 3}
    solution = code("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    solution.metadata["nbgrader"] = meta
    check = code("assert double(np.arange(3)).tolist() == [0, 2, 4]")
    check.metadata["nbgrader"] = {**meta, "grade": True, "solution": False, "locked": True}
    check.metadata["nbgrader"] |= {"grade_id": "check_double", "points": 1}
    nb = nbformat.v4.new_notebook(cells=[code("import numpy as np"), solution, check])
    limits = limits or Limits()
    try:
        exercises, _, _, fatal = grade_notebook(nb, nb, limits=Limits(60, 120, limits.memory_mb))
    except Exception as exc:  # noqa: BLE001 - whatever broke, the sandbox is not usable
        fatal, exercises = f"{type(exc).__name__}: {exc}", []
    if fatal or not exercises or exercises[0].status != "passed":
        why = " ".join((fatal or (exercises[0].message if exercises else "no result")).split())
        if os.geteuid() == 0 and not bwrap_path():
            why += (
                "; as root without bubblewrap the kernels run as a user of their own, who must be able to "
                f"read {sys.base_prefix}: install bubblewrap or grade as another user"
            )
        raise SandboxUnusable(
            f"the sandbox cannot grade a known-good notebook here, nothing was graded: {why}"
        )
