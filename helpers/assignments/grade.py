"""Autograding of submitted notebooks, the nbgrader way but without an nbgrader course database.

For each submission:

1. read it (a file that is not a notebook gets a report entry, never an exception);
2. find the instructor notebook of the same name in the source folder (see :func:`identify`);
3. put back the instructor's locked cells (check cells with their hidden tests, read-only cells),
   matched by nbgrader ``grade_id``: an edited one is overwritten, a deleted one is re-inserted
   after the cell that precedes it in the instructor version (nbgrader's OverwriteCells with
   ``add_missing_cells``); the instructor's points always count;
4. run it in a fresh kernel (nbclient) whose working directory is the instructor notebook's
   folder, so relative paths such as ``../data`` work, with a per-cell timeout (the cell is
   interrupted and marked failed) and errors allowed, so later cells still run;
5. score every grade cell with :func:`nbgrader.utils.determine_grade`: full points when the cell
   ran without an error (and wrote nothing to stderr), 0 otherwise; a cell never run (the
   kernel died first) scores 0.

Student names come from the file name, see :func:`identify`.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.assignments._io import NotANotebookError, read_notebook, require_nbgrader

#: Separators allowed between a student name and the notebook name in a submission's file name.
_SEPARATORS = "-_. "
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMEOUT_ENAME = "CellTimeoutError"


@dataclass
class ExerciseResult:
    """The score of one grade cell (``grade_id``) of one submission.

    status: "passed", "failed", "not run" (the kernel died before) or "manual" (a cell nbgrader
    leaves to manual grading, scored 0 here). message: why it failed, the error's
    "Name: message" (or what it printed when the error has no message). output: what it printed.
    """

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""
    output: str = ""


@dataclass
class SubmissionResult:
    """The grading of one submitted file.

    status: "graded"; or "not a notebook", "unknown notebook", "kernel died", "error" when the
    submission could not be (fully) graded, with ``error`` saying why. ``problems`` lists what
    went wrong on the way (timeouts, check cells that were edited or deleted and put back).
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

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


# --------------------------------------------------------------------------------------------
# nbgrader cell metadata
# --------------------------------------------------------------------------------------------
def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade_id, or None."""
    return _meta(cell).get("grade_id") or None


def is_grade_cell(cell: NotebookNode) -> bool:
    """True for an nbgrader grade cell (has points)."""
    return bool(_meta(cell).get("grade")) and grade_id(cell) is not None


def is_locked_cell(cell: NotebookNode) -> bool:
    """True for a cell whose source nbgrader restores at grading (nbgrader.utils.is_locked)."""
    m = _meta(cell)
    if not m or grade_id(cell) is None or m.get("solution"):
        return False
    return bool(m.get("grade") or m.get("locked"))


def grade_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The grade cells of ``nb`` in notebook order."""
    return [c for c in nb.cells if is_grade_cell(c)]


def max_score(nb: NotebookNode) -> float:
    """The notebook's total points (sum over its grade cells)."""
    return float(sum(float(_meta(c).get("points", 0)) for c in grade_cells(nb)))


# --------------------------------------------------------------------------------------------
# Who and what
# --------------------------------------------------------------------------------------------
def _strip_stem(stem: str, nb_stem: str) -> str | None:
    """The student part of ``stem`` when it is ``<student><sep><nb_stem>`` or ``<nb_stem><sep><student>``."""
    if stem.endswith(nb_stem) and len(stem) > len(nb_stem) and stem[-len(nb_stem) - 1] in _SEPARATORS:
        return stem[: -len(nb_stem)].strip(_SEPARATORS) or None
    if stem.startswith(nb_stem) and len(stem) > len(nb_stem) and stem[len(nb_stem)] in _SEPARATORS:
        return stem[len(nb_stem) :].strip(_SEPARATORS) or None
    return None


def identify(path: str | os.PathLike, notebook_names: list[str]) -> tuple[str, str | None]:
    """``(student, instructor notebook file name or None)`` for a submitted file.

    - ``<student>/<notebook>.ipynb`` (the file keeps the course notebook's name): the student is
      the parent folder's name, e.g. ``submissions/alice/02_forward_prop.ipynb`` -> alice; in
      nbgrader's layout ``submitted/<student>/<assignment>/<notebook>.ipynb`` it is the folder
      below ``submitted``;
    - ``<student>-<notebook>.ipynb`` or ``<notebook>-<student>.ipynb`` (separator ``-``, ``_``,
      ``.`` or a space): the rest of the file name, e.g. ``alice_02_forward_prop.ipynb`` -> alice;
    - anything else: the file name without its extension, and no instructor notebook.

    The longest matching notebook name wins.
    """
    path = Path(path)
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    for name in sorted(notebook_names, key=len, reverse=True):
        nb_stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
        if stem == nb_stem:
            folders = path.resolve().parent.parts
            if "submitted" in folders[:-1]:
                return folders[len(folders) - 1 - folders[::-1].index("submitted") + 1], name
            return (folders[-1] if len(folders) > 1 else stem), name
        student = _strip_stem(stem, nb_stem)
        if student:
            return student, name
    return stem, None


# --------------------------------------------------------------------------------------------
# Putting the instructor's locked cells back
# --------------------------------------------------------------------------------------------
def _signature(cell: NotebookNode) -> tuple:
    """What a student could tamper with in a locked cell: type, source, grading flags and points."""
    m = _meta(cell)
    flags = tuple(m.get(k) for k in ("grade", "solution", "locked", "task"))
    return cell.cell_type, cell.source, flags, float(m.get("points", 0) or 0)


def _fresh_copy(cell: NotebookNode) -> NotebookNode:
    new = copy.deepcopy(cell)
    if new.cell_type == "code":
        new.outputs = []
        new.execution_count = None
    return new


def restore_locked_cells(
    submission: NotebookNode, instructor: NotebookNode
) -> tuple[NotebookNode, list[str], list[str]]:
    """Return ``(notebook, edited_ids, reinserted_ids)``: ``submission`` with the instructor's locked cells.

    Every locked nbgrader cell of ``instructor`` (check cells, with their hidden tests) replaces the
    submission's cell of the same grade_id (source, type and metadata: the student cannot change
    the points), or, when the student deleted it, is inserted after the submission's cell that
    matches the nearest preceding nbgrader cell of the instructor version. Grade ids the
    instructor version does not know and repeated grade ids lose their nbgrader metadata, so they
    score nothing. ``submission`` itself is left unchanged.
    """
    from helpers.assignments.student_versions import release_notebook

    nb = copy.deepcopy(submission)
    # What an untouched student copy holds: the released version (hidden tests removed).
    released = {grade_id(c): _signature(c) for c in release_notebook(instructor, instructions=False).cells}
    known = {grade_id(c) for c in instructor.cells if grade_id(c)}
    seen: set[str] = set()
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid not in known or gid in seen:
            cell.metadata.pop("nbgrader", None)
        else:
            seen.add(gid)

    def index_of(gid: str) -> int | None:
        for i, c in enumerate(nb.cells):
            if grade_id(c) == gid:
                return i
        return None

    edited: list[str] = []
    reinserted: list[str] = []
    anchor = -1  # index in nb after which a missing cell goes
    for pos, icell in enumerate(instructor.cells):
        gid = grade_id(icell)
        if gid is None:
            continue
        idx = index_of(gid)
        if idx is not None:
            if is_locked_cell(icell):
                scell = nb.cells[idx]
                if _signature(scell) not in (_signature(icell), released.get(gid)):
                    edited.append(gid)
                new = _fresh_copy(icell)
                if "id" in scell:
                    new["id"] = scell["id"]
                nb.cells[idx] = new
            anchor = idx
        elif is_locked_cell(icell):
            new = _fresh_copy(icell)
            ids = {c.get("id") for c in nb.cells}
            if new.get("id") in ids:
                new["id"] = nbformat.v4.new_code_cell().id
            at = anchor + 1 if anchor >= 0 else min(pos, len(nb.cells))
            nb.cells.insert(at, new)
            reinserted.append(gid)
            anchor = at
    return nb, edited, reinserted


# --------------------------------------------------------------------------------------------
# Running and scoring
# --------------------------------------------------------------------------------------------
def _text(value) -> str:
    return _ANSI.sub("", "".join(value) if isinstance(value, list) else str(value or ""))


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:300]


def _cell_label(nb: NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    gid = grade_id(cell)
    first = _first_line(cell.source)[:60]
    return f"cell {index + 1}" + (f" ({gid})" if gid else f" ({first!r})" if first else "")


def execute(
    nb: NotebookNode, cwd: str | os.PathLike, timeout: int, kernel_name: str
) -> tuple[set[int], set[int], str]:
    """Run every code cell of ``nb`` in place in a fresh kernel.

    Returns ``(indices of the cells run, indices of the cells interrupted at the timeout, fatal error)``.

    Errors are recorded in the cells' outputs and the run goes on; a cell still running after
    ``timeout`` seconds is interrupted and gets a ``CellTimeoutError`` output. When the kernel
    dies, the remaining cells are left unrun and the fatal error says where it died.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": TIMEOUT_ENAME,
            "evalue": f"the cell was still running after {timeout} s and was interrupted",
            "traceback": [f"{TIMEOUT_ENAME}: the cell was still running after {timeout} s"],
        },
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    ran: set[int] = set()
    timed_out: set[int] = set()
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    index = -1
    try:
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                start = time.monotonic()
                client.execute_cell(cell, index)
                ran.add(index)
                if time.monotonic() - start >= timeout and _outputs(cell)[2] is not None:
                    timed_out.add(index)
    except DeadKernelError:
        where = _cell_label(nb, index) if index >= 0 else "start-up"
        return ran, timed_out, f"the kernel died while running {where}; the cells after it were not run"
    except Exception as exc:  # a kernel that cannot start, a broken connection...
        where = _cell_label(nb, index) if index >= 0 else "start-up"
        return (
            ran,
            timed_out,
            f"execution stopped at {where}: {exc.__class__.__name__}: {_first_line(str(exc))}",
        )
    return ran, timed_out, ""


def _outputs(cell: NotebookNode) -> tuple[str, str, dict | None]:
    """``(stdout, stderr, first error output)`` of a code cell."""
    out, err, error = [], [], None
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            (err if o.name == "stderr" else out).append(_text(o.text))
        elif o.output_type == "error" and error is None:
            error = o
    return "".join(out).strip(), "".join(err).strip(), error


def score_cell(cell: NotebookNode, ran: bool, timeout: int | None = None) -> ExerciseResult:
    """Score one (executed) grade cell with nbgrader's rule.

    ``ran`` False means never run (0 points); ``timeout`` set means it was interrupted at that limit.
    """
    require_nbgrader()
    from nbgrader.utils import determine_grade

    gid = grade_id(cell) or "?"
    max_points = float(_meta(cell).get("points", 0))
    stdout, stderr, error = _outputs(cell) if cell.cell_type == "code" else ("", "", None)
    printed = stdout[-1000:]
    if cell.cell_type == "code" and not _meta(cell).get("solution") and not ran:
        return ExerciseResult(
            gid, 0.0, max_points, "not run", "not run: the kernel died before this cell", printed
        )
    try:
        points, _ = determine_grade(cell)
    except ValueError as exc:  # e.g. the cell's result is a number above its points
        return ExerciseResult(
            gid, 0.0, max_points, "failed", f"cannot be scored: {_first_line(str(exc))}", printed
        )
    if points is None:
        return ExerciseResult(gid, 0.0, max_points, "manual", "needs manual grading (scored 0 here)", printed)
    points = float(points)
    if points >= max_points:
        return ExerciseResult(gid, points, max_points, "passed", "", printed)
    if timeout is not None:
        message = f"{TIMEOUT_ENAME}: still running after {timeout} s, interrupted"
    elif error is not None:
        evalue = _first_line(_text(error.get("evalue", "")))
        ename = error.get("ename", "Error")
        last_printed = (stdout.splitlines() or [""])[-1]
        message = f"{ename}: {evalue}" if evalue else (f"{ename}: {last_printed}" if last_printed else ename)
    elif stderr:
        message = f"wrote to stderr: {_first_line(stderr)}"
    else:
        message = f"partial credit: {points:g} of {max_points:g}"
    return ExerciseResult(gid, points, max_points, "failed", message, printed)


def _kernel_name(nb: NotebookNode) -> str:
    return nb.metadata.get("kernelspec", {}).get("name") or "python3"


def grade_notebook(
    submission: NotebookNode,
    instructor: NotebookNode,
    cwd: str | os.PathLike,
    timeout: int = 300,
) -> tuple[list[ExerciseResult], list[str], list[str], str]:
    """Restore, run and score; returns ``(exercises, restored ids, problems, fatal error)``."""
    from nbconvert.preprocessors import ClearOutputPreprocessor

    nb, edited, reinserted = restore_locked_cells(submission, instructor)
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    nb.metadata["kernelspec"] = copy.deepcopy(instructor.metadata.get("kernelspec", {}))
    problems = [f"locked cell {g} was edited: the original was put back" for g in edited]
    problems += [f"locked cell {g} was missing: the original was put back" for g in reinserted]
    ran, timed_out, fatal = execute(nb, cwd, timeout, _kernel_name(instructor))
    for i in sorted(timed_out):
        problems.append(f"{_cell_label(nb, i)} timed out after {timeout} s and was interrupted")
    by_id = {grade_id(c): i for i, c in enumerate(nb.cells) if is_grade_cell(c)}
    exercises = []
    for icell in grade_cells(instructor):
        gid = grade_id(icell)
        i = by_id.get(gid)
        if i is None:  # a gradable (solution + grade) cell the student deleted
            pts = float(_meta(icell).get("points", 0))
            exercises.append(ExerciseResult(gid, 0.0, pts, "failed", "the cell was deleted"))
            continue
        exercises.append(score_cell(nb.cells[i], i in ran, timeout if i in timed_out else None))
    return exercises, edited + reinserted, problems, fatal


def grade_submission(
    path: str | os.PathLike,
    source_dir: str | os.PathLike = "notebooks",
    timeout: int = 300,
    notebook: str | None = None,
) -> SubmissionResult:
    """Grade one submitted file against its instructor notebook in ``source_dir``; never raises for bad input.

    ``notebook`` names the instructor notebook (file name in ``source_dir``) instead of guessing
    it from the submission's file name.
    """
    start = time.monotonic()
    path = Path(path)
    source_dir = Path(source_dir)
    names = sorted(p.name for p in source_dir.glob("*.ipynb")) if source_dir.is_dir() else []
    student, nb_name = identify(path, [notebook] if notebook else names)
    result = SubmissionResult(file=str(path), student=student, notebook=nb_name, status="graded")

    instructor = None
    if nb_name is not None:
        try:
            instructor = read_notebook(source_dir / nb_name)
            result.max_score = max_score(instructor)
        except (NotANotebookError, OSError) as exc:
            result.status, result.error = "error", f"instructor notebook: {exc}"
            return result
    try:
        submission = read_notebook(path)
    except NotANotebookError as exc:
        result.status, result.error = "not a notebook", str(exc)
        _zero_all(result, instructor)
        return result
    if instructor is None:
        result.status = "unknown notebook"
        result.error = (
            f"{path.name}: no instructor notebook in {source_dir} matches this file name "
            f"(expected one of: {', '.join(names) or 'none found'})"
        )
        return result

    exercises, restored, problems, fatal = grade_notebook(
        submission, instructor, (source_dir / nb_name).resolve().parent, timeout
    )
    result.exercises, result.restored, result.problems = exercises, restored, problems
    result.score = float(sum(e.points for e in exercises))
    if fatal:
        result.status, result.error = "kernel died" if "kernel died" in fatal else "error", fatal
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _zero_all(result: SubmissionResult, instructor: NotebookNode | None) -> None:
    if instructor is None:
        return
    result.exercises = [
        ExerciseResult(
            grade_id(c), 0.0, float(_meta(c).get("points", 0)), "not run", "submission not gradable"
        )
        for c in grade_cells(instructor)
    ]


def grade_submissions(
    paths: list[str | os.PathLike],
    source_dir: str | os.PathLike = "notebooks",
    timeout: int = 300,
    notebook: str | None = None,
    progress=None,
) -> list[SubmissionResult]:
    """Grade every file in ``paths`` (in order); ``progress(result)`` is called after each one."""
    results = []
    for p in paths:
        r = grade_submission(p, source_dir, timeout=timeout, notebook=notebook)
        results.append(r)
        if progress is not None:
            progress(r)
    return results
