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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from helpers.assignments._io import MAX_NOTEBOOK_BYTES, NotANotebookError, read_notebook, read_regular
from helpers.assignments.cases import CaseResult
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
from helpers.assignments.sandbox import Limits, SandboxKernel, isolation

#: ``%matplotlib inline`` lines: grading draws no figures (the kernel's backend is Agg).
_MPL_INLINE = re.compile(r"^%matplotlib\b.*$", re.M)


@dataclass
class ExerciseResult:
    """The score of one grade cell (``grade_id``) of one submission.

    status: "passed", "failed", "not run" (the kernel was gone or never answered), "not graded"
    (the kernel could not run, not the student's doing) or "manual" (a cell nbgrader leaves to
    manual grading, scored 0 here). message: why it failed. output: what
    the check printed (in the grader). cases: the check cell's visible case and hidden cases,
    each passed or not, with its points (:mod:`helpers.assignments.cases`, ``partial_credit``).
    """

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""
    output: str = ""
    cases: list[CaseResult] = field(default_factory=list)


@dataclass
class SubmissionResult:
    """The grading of one submitted file.

    status: "graded"; "not graded" when the grader's kernel could not run it (not the student's
    doing: grade it again); or "not a notebook", "unknown notebook", "kernel died", "timed out",
    "error" when the submission could not be (fully) graded, with ``error`` saying why.
    ``problems`` lists what went wrong on the way (timeouts, errors in ordinary cells, check cells
    put back, calls into the reference). ``sha256`` identifies the graded file's content;
    ``isolation`` says what sandbox the kernel ran in.
    """

    file: str
    student: str
    notebook: str | None
    status: str
    score: float = 0.0
    max_score: float = 0.0
    exercises: list[ExerciseResult] = field(default_factory=list)
    error: str = ""
    problems: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str = ""
    isolation: str = ""

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """The inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["exercises"] = [_exercise(e) for e in known.get("exercises", [])]
        return cls(**known)


def _exercise(data: dict) -> ExerciseResult:
    """An :class:`ExerciseResult` from its dict (unknown keys are ignored)."""
    known = {k: v for k, v in data.items() if k in ExerciseResult.__dataclass_fields__}
    fields = CaseResult.__dataclass_fields__
    known["cases"] = [CaseResult(**{k: v for k, v in c.items() if k in fields}) for c in known.get("cases", [])]
    return ExerciseResult(**known)


def _label(nb: NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    first = (cell.source.strip().splitlines() or [""])[0][:60]
    gid = grade_id(cell)
    return f"cell {index + 1}" + (f" ({gid})" if gid else f" ({first!r})" if first else "")


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
    from helpers.assignments import partial_credit
    from helpers.assignments.verdicts import free_names, grader_namespace, reference_uses, run_check

    limits = limits or Limits()
    own = solution_names(instructor)
    nb, edited, reinserted = restore_locked_cells(submission, instructor)
    problems = [f"locked cell {g} was edited: the original was put back" for g in edited]
    problems += [f"locked cell {g} was missing: the original was put back" for g in reinserted]
    uses = reference_uses(nb)
    ns = grader_namespace(instructor)
    results: dict[str, ExerciseResult] = {}
    errors = 0
    with SandboxKernel(limits, files, stubs=[] if allow_reference else own) as kernel:
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
                check = run_check(cell.source, ns, kernel)
                passed, message = check.passed, check.message
                refs = [uses[n] for n in free_names(cell.source, ns) if n in uses]
                refs += [f"{n} called helpers.{n} while it was graded" for n in check.reference_calls]
                problems += [f"{gid}: {r}" for r in refs]
                if passed and refs and not allow_reference:
                    passed, message = False, "uses the course's reference implementation: " + "; ".join(refs)
                status = "passed" if passed else "not run" if kernel.dead else "failed"
                results[gid] = ExerciseResult(
                    gid, points if passed else 0.0, points, status, message, check.printed, check.cases
                )
            else:
                if is_grade_cell(cell):
                    results[gid] = ExerciseResult(
                        gid, 0.0, points, "manual", "needs manual grading (scored 0 here)"
                    )
                run = kernel.run(_MPL_INLINE.sub("pass", cell.source))
                if meta.get("solution"):
                    kernel.remember(own)
                if run.status == "error" and errors < 5:
                    errors += 1
                    problems.append(f"{_label(nb, i)} raised {run.ename}: {run.evalue[:200]}".rstrip(": "))
                elif run.status == "timeout" and not kernel.dead:
                    problems.append(f"{_label(nb, i)}: {run.evalue}")
            if kernel.dead and not fatal:
                fatal = f"{_label(nb, i)}: {kernel.dead}; nothing after it was graded"
        if kernel.unusable:
            fatal = f"not graded: {kernel.unusable}"
            for r in results.values():
                if r.status in ("failed", "not run"):
                    r.status, r.points = "not graded", 0.0
    exercises = []
    for icell in grade_cells(instructor):
        gid = grade_id(icell)
        pts = float(_meta(icell).get("points", 0) or 0)
        exercises.append(results.get(gid) or ExerciseResult(gid, 0.0, pts, "failed", "the cell was deleted"))
        try:
            partial_credit.score(exercises[-1], partial_credit.share_of(icell))
        except ValueError as exc:
            problems.append(f"{exc}: graded all or nothing")
    return exercises, edited + reinserted, problems, fatal


def _linked(path: Path) -> bool:
    """Whether the file or its folder (the student's) is a symbolic link."""
    return path.is_symlink() or path.absolute().parent.is_symlink()


def _instructors(source_dir: Path, names: list[str]) -> dict[str, NotebookNode]:
    out = {}
    for name in names:
        try:
            out[name] = read_notebook(source_dir / name)
        except (NotANotebookError, OSError):
            continue
    return out


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
    submission, data = None, None
    if _linked(path):
        result.status, result.error = (
            "refused",
            f"{path}: the file or its folder is a symbolic link; links are not graded",
        )
    else:
        try:
            data = read_regular(path, MAX_NOTEBOOK_BYTES, follow=False)
            result.sha256 = hashlib.sha256(data).hexdigest()
        except OSError as exc:
            why = exc.strerror if exc.strerror else str(exc)
            result.status, result.error = "refused", f"{path}: {why}; only regular files are graded"
    if data is not None:
        try:
            submission = read_notebook(path, data)
        except NotANotebookError as exc:
            result.status, result.error = "not a notebook", str(exc)
    if submission is not None and not notebook:
        by_ids = identify_notebook(submission, _instructors(source_dir, names))
        if nb_name is None:
            nb_name = by_ids
        elif by_ids and by_ids != nb_name:  # the slot decides; the mismatch is reported
            result.problems.append(
                f"named for {nb_name} but its exercises are those of {by_ids}: graded as {nb_name}"
            )
        result.notebook = nb_name
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
        result.exercises = [
            ExerciseResult(grade_id(c), 0.0, float(_meta(c).get("points", 0)), "not run", "not gradable")
            for c in (grade_cells(instructor) if instructor is not None else [])
        ]
        return result
    if instructor is None:
        result.status = "unknown notebook"
        result.error = (
            f"{path.name}: no instructor notebook in {source_dir} shares its grade ids or matches "
            f"its file name (expected one of: {', '.join(names) or 'none found'})"
        )
        return result
    files = referenced_files(instructor, source_dir)
    exercises, restored, problems, fatal = grade_notebook(
        submission, instructor, files, limits, allow_reference
    )
    result.exercises, result.restored = exercises, restored
    result.problems += problems
    result.score = float(sum(e.points for e in exercises))
    if fatal:
        result.status = (
            "not graded"
            if fatal.startswith("not graded")
            else "kernel died"
            if "died" in fatal
            else "timed out"
            if "still running" in fatal
            else "error"
        )
        result.error = fatal
    result.seconds = round(time.monotonic() - start, 2)
    return result
