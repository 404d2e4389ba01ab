"""Before submitting: is this notebook gradable, and what do the visible checks say? One screen.

``python -m helpers assignments validate NOTEBOOK`` grades the notebook the way the grader does
(the check cells put back, the student's cells in the sandbox, verdicts decided outside it) but
against the *student version* of its assignment, made on the spot from ``--source-dir``: the
visible checks run, hidden tests never do, whatever the folder holds, so nothing of them can show.

Exit code 0: gradable and every visible check passes; 1: gradable, but a check fails or something
needs fixing; 2: not gradable (not a notebook, an unknown assignment, a kernel that died or ran
out of time).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpers.assignments.grade import SubmissionResult

OK, BAD = "✓", "✗"
UNGRADABLE = ("not a notebook", "unknown notebook", "kernel died", "timed out")


@dataclass
class Validation:
    """The grading against the student version, and the lines to print."""

    result: SubmissionResult
    lines: list[str]
    code: int


def _assignment(path: Path, source_dir: Path) -> tuple[str | None, str]:
    """The instructor notebook's file name for ``path`` and how it was found."""
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.cells import identify, identify_notebook

    names = sorted(p.name for p in source_dir.glob("*.ipynb"))
    _, by_name = identify(path, names)
    try:
        nb = read_notebook(path)
    except NotANotebookError:
        return by_name, "its file name"
    notebooks = {}
    for n in names:
        try:
            notebooks[n] = read_notebook(source_dir / n)
        except (NotANotebookError, OSError):
            continue
    by_ids = identify_notebook(nb, notebooks)
    return (by_ids, "its grade ids") if by_ids else (by_name, "its file name")


def validate(path: str | os.PathLike, source_dir: str | os.PathLike = "notebooks", limits=None) -> Validation:
    """Grade ``path`` against the student version of its assignment and describe the outcome."""
    from helpers.assignments.grade import grade_submission
    from helpers.assignments.student_versions import release_file

    path, source_dir = Path(path), Path(source_dir)
    name, how = _assignment(path, source_dir)
    with tempfile.TemporaryDirectory(prefix="helpers-validate-") as tmp:
        if name is not None:
            try:
                release_file(source_dir / name, tmp, instructions=False)
            except (OSError, ValueError) as exc:
                raise ValueError(f"{source_dir / name}: cannot make its student version ({exc})") from None
        result = grade_submission(path, tmp, limits, notebook=name)
    if name is None and result.status == "unknown notebook":
        names = ", ".join(sorted(p.name for p in source_dir.glob("*.ipynb"))) or "none found"
        result.error = (
            f"{path.name}: no assignment in {source_dir} shares its grade ids or its name ({names})"
        )
    return describe(result, how)


def describe(result: SubmissionResult, how: str = "its grade ids") -> Validation:
    """The one-screen report of a validation ``result`` (graded against the student version)."""
    from helpers.assignments.report import _fmt

    lines = [f"Checking {Path(result.file).name} the way the grader will (visible checks only)."]
    if result.status in UNGRADABLE[:2]:
        lines.append(f"{BAD} Not gradable: {result.error}")
        return Validation(result, lines, 2)
    lines.append(f"{OK} Assignment: {result.notebook} (recognised by {how})")
    restored = [p for p in result.problems if p.startswith("locked cell")]
    if restored:
        lines += [f"{BAD} Cells: {p}" for p in restored]
    else:
        lines.append(f"{OK} Cells: every check cell is intact")
    ran = [p for p in result.problems if not p.startswith("locked cell")]
    if result.error:
        lines.append(f"{BAD} Runs: {result.error}")
    lines += [f"{BAD} Runs: {p}" for p in ran]
    if not ran and not result.error:
        lines.append(f"{OK} Runs: every cell up to the last check ran without an error")
    lines.append("Visible checks:")
    width = max((len(e.grade_id) for e in result.exercises), default=0)
    for e in result.exercises:
        mark = OK if e.status == "passed" else "…" if e.status == "manual" else BAD
        message = "" if e.status == "passed" else f"  {e.message}"
        lines.append(f"  {mark} {e.grade_id:<{width}}  {_fmt(e.points)} / {_fmt(e.max_points)}{message}")
    lines.append(
        f"Visible checks: {_fmt(result.score)} / {_fmt(result.max_score)} points. "
        "At grading, hidden tests try more cases."
    )
    if result.status in UNGRADABLE:
        lines.append(f"{BAD} Not gradable as it is: {result.status}.")
        return Validation(result, lines, 2)
    fine = not restored and not ran and all(e.status in ("passed", "manual") for e in result.exercises)
    lines.append(f"{OK} Ready to submit." if fine else f"{BAD} Gradable, but fix what is marked {BAD} first.")
    return Validation(result, lines, 0 if fine else 1)
