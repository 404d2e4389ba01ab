"""Grading a class: one result file per submission, written as soon as it is graded, then a report.

- :func:`grade_one`: grade one submission and write its result (JSON, atomically). This is the
  unit to spread over a job runner (one command per submission, see the README);
- :func:`grade_many`: grade many submissions, ``jobs`` at a time in a local process pool or on a
  Dask cluster (tasks of plain data, :mod:`helpers.assignments.executors`), with a progress bar;
  results already in the results folder for the same file content are kept unless ``force``; a
  killed run loses only the submissions being graded at that moment;
- :func:`merge`: read result files (or folders of them) back for the class report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from helpers.assignments import executors
from helpers.assignments._io import MAX_NOTEBOOK_BYTES, read_regular
from helpers.assignments.grade import SubmissionResult, grade_submission
from helpers.assignments.sandbox import Limits
from helpers.atomic import write_text


def result_path(submission: str | os.PathLike, results_dir: str | os.PathLike) -> Path:
    """Where the result of ``submission`` goes: ``<results_dir>/<file stem>-<hash of its path>.json``."""
    path = Path(submission).resolve()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem)[:60]
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return Path(results_dir) / f"{slug}-{digest}.json"


def write_result(result: SubmissionResult, out: str | os.PathLike) -> Path:
    """Write one result file (JSON) atomically."""
    return write_text(out, json.dumps(result.to_dict(), indent=1, ensure_ascii=False) + "\n")


#: The largest result file read (one submission's result is a few kB).
MAX_RESULT_BYTES = 16 * 2**20


def read_result(path: str | os.PathLike) -> SubmissionResult:
    """Read one result file; ValueError naming the file when it is not one (too big, not a
    regular file, not JSON, nested too deep, not a result)."""
    try:
        data = json.loads(read_regular(path, MAX_RESULT_BYTES).decode("utf-8"))
        if not isinstance(data, dict) or "file" not in data or "status" not in data:
            raise ValueError("no file and status")
        return SubmissionResult.from_dict(data)
    except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{path}: not a grading result ({type(exc).__name__}: {why[:200]})") from None


def student_sources(paths: list[str | os.PathLike]) -> list[str | None]:
    """Where each submission's student name comes from: "folder" for a file in a subfolder of the
    folder the class's files share (a folder per student), else None (the file name, see
    :func:`~helpers.assignments.cells.identify_student`)."""
    parents = [os.path.abspath(Path(p).parent) for p in paths]
    if len(set(parents)) < 2:
        return [None] * len(paths)
    root = os.path.commonpath(parents)
    return ["folder" if parent != root else None for parent in parents]


def flag_identical(results: list[SubmissionResult]) -> None:
    """Add a problem to each submission whose file is byte for byte another student's (a hint)."""
    by_hash: dict[str, list[SubmissionResult]] = {}
    for r in results:
        if r.sha256:
            by_hash.setdefault(r.sha256, []).append(r)
    for same in by_hash.values():
        students = sorted({r.student for r in same})
        if len(students) < 2:
            continue
        for r in same:
            others = ", ".join(s for s in students if s != r.student)
            note = f"identical to the submission of {others} (a hint: check before acting)"
            if note not in r.problems:
                r.problems.append(note)


def grade_one(
    submission: str | os.PathLike,
    out: str | os.PathLike,
    source_dir: str | os.PathLike = "notebooks",
    limits: Limits | None = None,
    notebook: str | None = None,
    allow_reference: bool = False,
    student_from: str | None = None,
) -> SubmissionResult:
    """Grade ``submission`` and write its result to ``out``; returns the result."""
    kw = {"notebook": notebook, "allow_reference": allow_reference, "student_from": student_from}
    result = grade_submission(submission, source_dir, limits, **kw)
    write_result(result, out)
    return result


def grade_submissions(
    paths: list[str | os.PathLike],
    source_dir: str | os.PathLike = "notebooks",
    timeout: float = 300,
    notebook: str | None = None,
    progress=None,
    limits: Limits | None = None,
    allow_reference: bool = False,
) -> list[SubmissionResult]:
    """Grade every file in ``paths`` in this process, one after the other (no result files);
    ``progress(result)`` is called after each one. :func:`grade_many` is the parallel route."""
    limits = limits or Limits(cell=timeout)
    kw = {"notebook": notebook, "allow_reference": allow_reference}
    results = []
    for p, by in zip(paths, student_sources(paths)):
        result = grade_submission(p, source_dir, limits, student_from=by, **kw)
        if result.status == "not graded":  # the kernel could not run: once more
            result = grade_submission(p, source_dir, limits, student_from=by, **kw)
        results.append(result)
        if progress is not None:
            progress(results[-1])
    flag_identical(results)
    return results


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(read_regular(path, MAX_NOTEBOOK_BYTES, follow=False)).hexdigest()
    except OSError:
        return ""


def _done(submission: Path, out: Path) -> SubmissionResult | None:
    """The stored result when it is for this very file content, else None."""
    if not out.is_file():
        return None
    try:
        result = read_result(out)
    except ValueError:
        return None
    return result if result.sha256 and result.sha256 == _sha256(submission) else None


def grade_many(
    submissions: list[str | os.PathLike],
    results_dir: str | os.PathLike,
    source_dir: str | os.PathLike = "notebooks",
    limits: Limits | None = None,
    jobs: int | None = None,
    notebook: str | None = None,
    allow_reference: bool = False,
    force: bool = False,
    progress=None,
    bar: bool | None = None,
    scheduler: str | None = None,
    allow_unsandboxed_workers: bool = False,
) -> list[SubmissionResult]:
    """Grade every submission (``jobs`` in parallel, default one per core); results in input order.

    Each submission is a task of plain data (:mod:`helpers.assignments.executors`) run in a local
    process pool, or on the Dask cluster whose scheduler is ``scheduler`` (``tcp://HOST:PORT``;
    its workers must have bubblewrap unless ``allow_unsandboxed_workers``). Each result is
    written here, atomically, as it comes back. ``progress(result)`` is called as each one
    finishes; ``bar`` shows a tqdm progress bar (default: when stderr is a terminal). The
    submissions that came out "not graded" (their kernel could not run) are graded once more at
    the end (one at a time when local).
    """
    paths = [Path(p) for p in submissions]
    options = {"notebook": notebook, "allow_reference": allow_reference}
    run = _ClassRun(paths, results_dir, source_dir, limits or Limits(), options, progress)
    todo = run.todo(force)
    if todo and scheduler:
        run.client = executors.dask_client(scheduler, allow_unsandboxed_workers)
    try:
        run.pack(todo, sandboxed=run.client is not None and not allow_unsandboxed_workers)
        run.grade(todo, max(1, jobs or os.cpu_count() or 1), bar)
    finally:
        if run.client is not None:
            run.client.close()
    done = [r for r in run.results if r is not None]
    flag_identical(done)
    return done


class _ClassRun:
    """One :func:`grade_many`: the submissions, their result files, what came back so far."""

    def __init__(
        self,
        paths: list[Path],
        results_dir: str | os.PathLike,
        source_dir: str | os.PathLike,
        limits: Limits,
        options: dict,
        progress: Callable | None,
    ) -> None:
        self.paths, self.source_dir, self.limits, self.options = paths, source_dir, limits, options
        self.progress, self.client, self.pbar = progress, None, None
        self.student_from = student_sources(paths)
        self.outs = [result_path(p, results_dir) for p in paths]
        self.results: list[SubmissionResult | None] = [None] * len(paths)
        self.tasks: dict[int, str | None] = {}
        self.bundle = ""

    def todo(self, force: bool) -> list[int]:
        """The submissions to grade: all with ``force``, else those without a result for their
        file's content or whose result is "not graded" (the others' results are kept)."""
        if not force:
            self.results = [_done(p, o) for p, o in zip(self.paths, self.outs)]
        return [i for i, r in enumerate(self.results) if r is None or r.status == "not graded"]

    def pack(self, todo: list[int], sandboxed: bool) -> None:
        """The tasks of ``todo`` (``sandboxed``: each checks again that it has the sandbox) and the
        instructor's folder, as plain data."""
        tasks = (
            executors.make_task(self.paths[i], self.limits, self.student_from[i], self.options, sandboxed)
            for i in todo
        )
        self.tasks = dict(zip(todo, tasks))
        self.bundle = executors.source_bundle(self.source_dir) if todo else ""

    def grade(self, todo: list[int], jobs: int, bar: bool | None) -> None:
        """Grade ``todo``, then once more, one at a time, those that came out "not graded"."""
        from tqdm import tqdm

        n, disable = len(self.paths), None if bar is None else not bar
        with tqdm(total=n, initial=n - len(todo), unit="nb", disable=disable) as self.pbar:
            self._run(todo, jobs)
            results = self.results
            again = [i for i in todo if results[i] is not None and results[i].status == "not graded"]
            if again:  # their kernels could not run (a busy or full machine?): once more, one at a time
                self.pbar.total += len(again)
                self._run(again, 1)

    def _run(self, indices: list[int], jobs: int) -> None:
        for i in [i for i in indices if self.tasks[i] is None]:  # a link, not a file...: refused here
            self.finished(i, self._grade_here(i))
        # Sorted by notebook: a worker's next task is likely the same notebook, whose kernel
        # (same files, same stand-ins) it started while grading the last (spare_kernels).
        by_name = sorted(
            (i for i in indices if self.tasks[i] is not None), key=lambda i: (self.paths[i].name, i)
        )
        if self.client is not None:
            executors.run_dask(self.client, by_name, self.tasks, self.bundle, self.finished)
        else:
            executors.run_local(by_name, jobs, self.tasks, self.bundle, self.finished)

    def _grade_here(self, i: int) -> str:
        result = grade_submission(
            self.paths[i], self.source_dir, self.limits, student_from=self.student_from[i], **self.options
        )
        return json.dumps(result.to_dict())

    def finished(self, i: int, reply: str | None, why: str = "") -> None:
        """Record submission ``i``'s result (``reply``, JSON) and write its file; without one, an
        error saying ``why``."""
        result = None
        if reply is not None:
            try:
                result = SubmissionResult.from_dict(json.loads(reply))
                write_result(result, self.outs[i])
            except (ValueError, TypeError, OSError) as exc:
                result, why = None, f"its result could not be written ({type(exc).__name__}: {exc})"
        if result is None:
            path = self.paths[i]
            student = path.parent.name if self.student_from[i] == "folder" else path.stem
            result = SubmissionResult(str(path), student, None, "error", error=f"{why}; run again")
        self.results[i] = result
        self.pbar.update(1)
        if self.progress is not None:
            self.progress(result)


def merge(sources: list[str | os.PathLike], skipped: list[str] | None = None) -> list[SubmissionResult]:
    """The results in result files and folders of them (``*.json``, sorted by student and notebook).

    A file that is not a result is left out, with why appended to ``skipped`` (when given).
    """
    files: list[Path] = []
    for s in map(Path, sources):
        if s.is_dir():
            files += sorted(s.glob("*.json"))
        elif s.is_file():
            files.append(s)
        else:
            raise FileNotFoundError(f"{s}: no such result file or folder")
    results = []
    for f in files:
        try:
            results.append(read_result(f))
        except ValueError as exc:
            if skipped is not None:
                skipped.append(str(exc))
    flag_identical(results)
    return sorted(results, key=lambda r: (r.student, r.notebook or "", r.file))
