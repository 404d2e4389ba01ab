"""Partial credit from the results as they are: the visible check's share of an exercise.

``--partial-credit P%``: an exercise whose visible check passed but whose hidden tests failed
earns P% of its points instead of 0 (default: none, all or nothing as before). "The visible check
passed" is read from what the check printed in the grader: every checker call before the hidden
tests printed its ``✓`` line before any ``✗`` (:func:`helpers.assignments.disclosure.visible_passes`);
the student's code cannot print there. A failure the grader itself declared (a call into the
course's reference, a kernel that stopped answering) earns nothing.

This splits an exercise in two (visible check, hidden tests). Credit per hidden test case would
need the grader to run each case on its own and record it, which the result files do not hold.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpers.assignments.grade import SubmissionResult

_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_share(text: str) -> float:
    """``"50%"`` -> 0.5; ValueError for anything but P% with P from 0 to 100."""
    m = _SHARE.match(text)
    if not m or float(m.group(1)) > 100:
        raise ValueError(f"--partial-credit {text!r}: expected P% with P from 0 to 100, e.g. 50%")
    return float(m.group(1)) / 100


def _check_sources(notebooks: set[str], source_dir: str | os.PathLike) -> dict[str, dict[str, str]]:
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.cells import grade_cells, grade_id

    out = {}
    for name in notebooks:
        try:
            out[name] = {grade_id(c): c.source for c in grade_cells(read_notebook(Path(source_dir) / name))}
        except (NotANotebookError, OSError):
            out[name] = {}
    return out


def apply(
    results: list[SubmissionResult], share: float, source_dir: str | os.PathLike
) -> list[SubmissionResult]:
    """Copies of ``results`` with the visible check's share given where only hidden tests failed."""
    from helpers.assignments.disclosure import _GRADER_WORDS, CheckSource, from_visible_part, visible_passes

    sources = _check_sources({r.notebook for r in results if r.notebook}, source_dir)
    out = []
    for r in results:
        checks = sources.get(r.notebook or "", {})
        r, changed = copy.deepcopy(r), False
        for e in r.exercises:
            src = checks.get(e.grade_id)
            if e.status != "failed" or src is None or e.message.startswith(_GRADER_WORDS):
                continue
            check = CheckSource.of(src)
            if (
                check.hidden
                and visible_passes(e.output, check)
                and not from_visible_part(e.message, e.output, check)
            ):
                e.points, changed = round(share * e.max_points, 4), True
                note = f"{e.grade_id}: the visible check passed, the hidden tests did not: "
                r.problems = [*r.problems, note + f"{e.points:g} of {e.max_points:g} points (partial credit)"]
        if changed:
            r.score = float(sum(e.points for e in r.exercises))
        out.append(r)
    return out
