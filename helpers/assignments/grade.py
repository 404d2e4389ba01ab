"""Autograding of submitted notebooks, with every verdict decided outside the student's process.

For each submission:

1. read it (a file that is not a notebook gets a result, never an exception) and find its
   instructor notebook (see :mod:`helpers.assignments.cells`);
2. put back the instructor's locked cells (check cells with their hidden tests), so editing or
   deleting them gains nothing;
3. run the student's cells, up to the last check cell, in the sandbox of
   :mod:`helpers.assignments.sandbox` (described there once);
4. run each check cell, at its place in the notebook, in the grader's own process
   (:mod:`helpers.assignments.verdicts`), where every name a solution cell defines is the
   student's: the student's functions are called in the kernel on copies of the data and their
   results compared here. A check that fails, a kernel reply that is not "ok", a timeout, a dead
   kernel or a missing result fail that exercise, with the reason;
5. an exercise whose function calls the course's function of the same name fails (the course's is
   not in the kernel) unless ``allow_reference`` is set; either way the call is reported.

A kernel that could not grade (see :class:`~helpers.assignments.sandbox.SandboxKernel`) makes the
submission "not graded", never a 0; :func:`helpers.assignments.canary.check_sandbox` proves the
sandbox works before a class.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from nbformat import NotebookNode

from helpers.assignments import _io
from helpers.assignments._io import MAX_NOTEBOOK_BYTES, NotANotebookError, read_notebook, read_regular
from helpers.assignments.cells import (
    _meta,
    grade_cells,
    grade_id,
    identify_notebook,
    identify_student,
    is_grade_cell,
    max_score,
    restore_locked_cells,
    solution_names,
)
from helpers.assignments.results import ExerciseResult, SubmissionResult
from helpers.assignments.sandbox import Limits, SandboxKernel, isolation

__all__ = ["ExerciseResult", "SubmissionResult", "grade_notebook", "grade_submission"]

#: ``%matplotlib inline`` lines: grading draws no figures (the kernel's backend is Agg).
_MPL_INLINE = re.compile(r"^%matplotlib\b.*$", re.M)


def _label(nb: NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    first = (cell.source.strip().splitlines() or [""])[0][:60]
    gid = grade_id(cell)
    return f"cell {index + 1}" + (f" ({gid})" if gid else f" ({first!r})" if first else "")


def _check(cell: NotebookNode, ns: dict, kernel: SandboxKernel, uses: dict[str, str], allow_reference: bool):
    """Run one check cell here: its :class:`ExerciseResult` and the reference calls it saw."""
    from helpers.assignments.verdicts import free_names, run_check

    gid, points = grade_id(cell), float(_meta(cell).get("points", 0) or 0)
    check = run_check(cell.source, ns, kernel)
    passed, message = check.passed, check.message
    refs = [uses[n] for n in free_names(cell.source, ns) if n in uses]
    refs += [f"{n} called helpers.{n} while it was graded" for n in check.reference_calls]
    if passed and refs and not allow_reference:
        passed, message = False, "uses the course's reference implementation: " + "; ".join(refs)
    status = "passed" if passed else "not run" if kernel.dead else "failed"
    found = ExerciseResult(
        gid, points if passed else 0.0, points, status, message, check.printed, check.cases
    )
    return found, [f"{gid}: {r}" for r in refs]


def _run_cell(kernel: SandboxKernel, nb: NotebookNode, i: int, own: list[str]) -> tuple[str, str]:
    """Run an ordinary (or solution, or manual) cell in the kernel; ``("error" or "timeout", what
    went wrong)``, or ``("", "")``."""
    cell = nb.cells[i]
    run = kernel.run(_MPL_INLINE.sub("pass", cell.source))
    if _meta(cell).get("solution"):
        kernel.remember(own)
    if run.status == "error":
        return "error", f"{_label(nb, i)} raised {run.ename}: {run.evalue[:200]}".rstrip(": ")
    if run.status == "timeout" and not kernel.dead:
        return "timeout", f"{_label(nb, i)}: {run.evalue}"
    return "", ""


def _scored(instructor: NotebookNode, results: dict[str, ExerciseResult], problems: list[str]):
    """The exercises in the instructor's order (a deleted cell fails), split over their cases."""
    from helpers.assignments import partial_credit

    exercises = []
    for icell in grade_cells(instructor):
        gid = grade_id(icell)
        pts = float(_meta(icell).get("points", 0) or 0)
        exercises.append(results.get(gid) or ExerciseResult(gid, 0.0, pts, "failed", "the cell was deleted"))
        try:
            partial_credit.score(exercises[-1], partial_credit.share_of(icell))
        except ValueError as exc:
            problems.append(f"{exc}: graded all or nothing")
    return exercises


def grade_notebook(
    submission: NotebookNode,
    instructor: NotebookNode,
    files: list[Path] = (),
    limits: Limits | None = None,
    allow_reference: bool = False,
) -> tuple[list[ExerciseResult], list[str], list[str], str]:
    """Restore, run and score; returns ``(exercises, restored ids, problems, fatal error)``.

    ``files`` are copied into the kernel's folder (the data files the notebook opens).
    """
    from helpers.assignments.verdicts import grader_namespace, reference_uses

    own = solution_names(instructor)
    nb, edited, reinserted = restore_locked_cells(submission, instructor)
    problems = [f"locked cell {g} was edited: the original was put back" for g in edited]
    problems += [f"locked cell {g} was missing: the original was put back" for g in reinserted]
    uses, ns = reference_uses(nb), grader_namespace(instructor)
    results: dict[str, ExerciseResult] = {}
    errors = 0
    with SandboxKernel(limits or Limits(), files, stubs=[] if allow_reference else own) as kernel:
        fatal = kernel.dead
        # Cells after the last grade cell cannot change a verdict: they are not run.
        last = max((i for i, c in enumerate(nb.cells) if is_grade_cell(c)), default=-1)
        for i, cell in enumerate(nb.cells[: last + 1]):
            if cell.cell_type != "code":
                continue
            gid, meta = grade_id(cell), _meta(cell)
            points = float(meta.get("points", 0) or 0)
            if kernel.dead:
                if is_grade_cell(cell):
                    results[gid] = ExerciseResult(gid, 0.0, points, "not run", f"not graded: {kernel.dead}")
                continue
            if is_grade_cell(cell) and not meta.get("solution"):
                results[gid], refs = _check(cell, ns, kernel, uses, allow_reference)
                problems += refs
            else:
                if is_grade_cell(cell):
                    results[gid] = ExerciseResult(
                        gid, 0.0, points, "manual", "needs manual grading (scored 0 here)"
                    )
                kind, why = _run_cell(kernel, nb, i, own)
                if kind == "timeout" or (kind == "error" and errors < 5):  # five errors are enough
                    errors += kind == "error"
                    problems.append(why)
            if kernel.dead and not fatal:
                fatal = f"{_label(nb, i)}: {kernel.dead}; nothing after it was graded"
        if kernel.unusable:
            fatal = f"not graded: {kernel.unusable}"
            for r in results.values():
                if r.status in ("failed", "not run"):
                    r.status, r.points = "not graded", 0.0
    return _scored(instructor, results, problems), edited + reinserted, problems, fatal


def _linked(path: Path) -> bool:
    """Whether the file or its folder (the student's) is a symbolic link."""
    return path.is_symlink() or path.absolute().parent.is_symlink()


def _instructors(source_dir: Path, names: list[str]) -> dict[str, NotebookNode]:
    out = {}
    for name in names:
        try:
            out[name] = _io.read_unchanged_notebook(source_dir / name)  # read once per process
        except (NotANotebookError, OSError):
            continue
    return out


def _read(path: Path, result: SubmissionResult) -> NotebookNode | None:
    """The submitted notebook, or None with ``result``'s status and error saying why not."""
    if _linked(path):
        result.status = "refused"
        result.error = f"{path}: the file or its folder is a symbolic link; links are not graded"
        return None
    try:
        data = read_regular(path, MAX_NOTEBOOK_BYTES, follow=False)
        result.sha256 = hashlib.sha256(data).hexdigest()
    except OSError as exc:
        why = exc.strerror if exc.strerror else str(exc)
        result.status, result.error = "refused", f"{path}: {why}; only regular files are graded"
        return None
    try:
        return read_notebook(path, data)
    except NotANotebookError as exc:
        result.status, result.error = "not a notebook", str(exc)
        return None


def _ungraded(
    result: SubmissionResult,
    submission: NotebookNode | None,
    instructor: NotebookNode | None,
    source_dir: Path,
    names: list[str],
) -> SubmissionResult:
    """``result`` for a file that is not gradable (every exercise "not run") or whose instructor
    notebook is unknown."""
    if submission is None:
        result.exercises = [
            ExerciseResult(grade_id(c), 0.0, float(_meta(c).get("points", 0)), "not run", "not gradable")
            for c in (grade_cells(instructor) if instructor is not None else [])
        ]
        return result
    result.status = "unknown notebook"
    result.error = (
        f"{Path(result.file).name}: no instructor notebook in {source_dir} shares its grade ids or "
        f"matches its file name (expected one of: {', '.join(names) or 'none found'})"
    )
    return result


def _fatal_status(fatal: str) -> str:
    """A submission's status from what ended its grading."""
    if fatal.startswith("not graded"):
        return "not graded"
    return "kernel died" if "died" in fatal else "timed out" if "still running" in fatal else "error"


def grade_submission(
    path: str | os.PathLike,
    source_dir: str | os.PathLike = "notebooks",
    limits: Limits | None = None,
    notebook: str | None = None,
    allow_reference: bool = False,
    timeout: float | None = None,
    student_from: str | None = None,
) -> SubmissionResult:
    """Grade one submitted file against its instructor notebook in ``source_dir``; never raises for bad input.

    ``notebook`` names the instructor notebook (file name in ``source_dir``) instead of finding it
    by file name, then grade ids. ``student_from`` ("folder", "name" or None): where the
    student's name comes from (see :func:`~helpers.assignments.cells.identify_student`). A link
    (the file or its folder) and a file that is not regular are refused. ``timeout`` (seconds per
    cell) is short for ``Limits(cell=timeout)``.
    """
    if limits is None:
        limits = Limits(cell=timeout) if timeout else Limits()
    from helpers.assignments.student_versions import referenced_files

    start = time.monotonic()
    path, source_dir = Path(path), Path(source_dir)
    names = sorted(p.name for p in source_dir.glob("*.ipynb")) if source_dir.is_dir() else []
    student, nb_name, conflicts = identify_student(path, [notebook] if notebook else names, student_from)
    result = SubmissionResult(str(path), student, nb_name, "graded", isolation=isolation())
    result.problems += conflicts
    submission = _read(path, result)
    if submission is not None and not notebook:
        nb_name = result.notebook = _identify(submission, nb_name, _instructors(source_dir, names), result)
    instructor = None
    if nb_name is not None:
        try:
            instructor = read_notebook(source_dir / nb_name)
            result.max_score = max_score(instructor)
        except (NotANotebookError, OSError) as exc:
            result.status, result.error = "error", f"instructor notebook: {exc}"
            return result
    if submission is None:
        result.notebook = nb_name
    if submission is None or instructor is None:
        return _ungraded(result, submission, instructor, source_dir, names)
    files = referenced_files(instructor, source_dir)
    exercises, restored, problems, fatal = grade_notebook(
        submission, instructor, files, limits, allow_reference
    )
    result.exercises, result.restored = exercises, restored
    result.problems += problems
    result.score = float(sum(e.points for e in exercises))
    if fatal:
        result.status, result.error = _fatal_status(fatal), fatal
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _identify(
    submission: NotebookNode,
    nb_name: str | None,
    instructors: dict[str, NotebookNode],
    result: SubmissionResult,
) -> str | None:
    """The instructor notebook a submission is graded against: the one its file name or folder
    names, else the one sharing its grade ids; a mismatch is noted in ``result``."""
    by_ids = identify_notebook(submission, instructors)
    if nb_name is None:
        return by_ids
    if by_ids and by_ids != nb_name:  # the slot decides; the mismatch is reported
        result.problems.append(
            f"named for {nb_name} but its exercises are those of {by_ids}: graded as {nb_name}"
        )
    return nb_name
