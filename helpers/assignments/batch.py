"""Grading a class: one result file per submission, written as soon as it is graded, then a report.

- :func:`grade_one`: grade one submission and write its result (JSON, atomically). This is the
  unit to spread over a job runner (one command per submission, see the README);
- :func:`grade_many`: grade many submissions, ``jobs`` at a time in long-lived worker processes
  (JSON lines in and out, each grading with its own sandboxed kernel), with a progress bar; results already in
  the results folder for the same file content are kept unless ``force``; a killed run loses only
  the submissions being graded at that moment;
- :func:`merge`: read result files (or folders of them) back for the class report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from queue import Empty, Queue

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
    result = grade_submission(
        submission,
        source_dir,
        limits,
        notebook=notebook,
        allow_reference=allow_reference,
        student_from=student_from,
    )
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
) -> list[SubmissionResult]:
    """Grade every submission (``jobs`` in parallel, default one per core); results in input order.

    ``progress(result)`` is called as each one finishes; ``bar`` shows a tqdm progress bar
    (default: when stderr is a terminal). The submissions that came out "not graded" (their
    kernel could not run) are graded once more at the end, one at a time.
    """
    from tqdm import tqdm

    limits = limits or Limits()
    paths = [Path(p) for p in submissions]
    student_from = student_sources(paths)
    outs = [result_path(p, results_dir) for p in paths]
    results: list[SubmissionResult | None] = [None if force else _done(p, o) for p, o in zip(paths, outs)]
    todo = [i for i, r in enumerate(results) if r is None or r.status == "not graded"]
    jobs = max(1, jobs or os.cpu_count() or 1)
    queue: Queue[int] = Queue()
    lock = threading.Lock()

    def worker(pbar) -> None:
        """Feed one long-lived worker process (JSON lines in and out: no pickle) until the queue is empty."""
        proc = None
        while True:
            try:
                i = queue.get_nowait()
            except Empty:
                break
            if proc is None or proc.poll() is not None:
                proc = _start_worker()
            job = {"path": str(paths[i]), "out": str(outs[i]), "source_dir": str(source_dir)}
            job |= {"limits": asdict(limits), "notebook": notebook, "allow_reference": allow_reference}
            job["student_from"] = student_from[i]
            try:
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.flush()
                reply = json.loads(proc.stdout.readline() or "{}")
            except (OSError, ValueError):
                reply = {}
            try:
                result = read_result(outs[i]) if reply.get("ok") else None
            except ValueError:
                result = None
            if result is None:
                why = reply.get("error") or f"the grader process exited ({proc.poll()})"
                result = SubmissionResult(
                    str(paths[i]), paths[i].stem, None, "error", error=f"{why}; run again"
                )
            with lock:
                results[i] = result
                pbar.update(1)
                if progress is not None:
                    progress(result)
        if proc is not None:
            proc.stdin.close()
            proc.wait()

    def run(indices: list[int], n: int, pbar) -> None:
        for i in indices:
            queue.put(i)
        threads = [
            threading.Thread(target=worker, args=(pbar,), daemon=True) for _ in range(min(n, len(indices)))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    disable = None if bar is None else not bar
    with tqdm(total=len(paths), initial=len(paths) - len(todo), unit="nb", disable=disable) as pbar:
        run(todo, jobs, pbar)
        again = [i for i in todo if results[i] is not None and results[i].status == "not graded"]
        if again:  # their kernels could not run (a busy or full machine?): once more, one at a time
            pbar.total += len(again)
            run(again, 1, pbar)
    done = [r for r in results if r is not None]
    flag_identical(done)
    return done


def _start_worker() -> subprocess.Popen:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # one core per job; see sandbox for the kernels
    cmd = [sys.executable, "-m", "helpers.assignments.batch"]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def worker_main() -> int:
    """A grading worker: one JSON job per line on stdin, one JSON reply per line on stdout."""
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything printed by the grading goes to stderr, not into the replies
    for line in sys.stdin:
        try:
            job = json.loads(line)
            limits = Limits(**job["limits"])
            grade_one(
                job["path"],
                job["out"],
                job["source_dir"],
                limits,
                job["notebook"],
                job["allow_reference"],
                job.get("student_from"),
            )
            reply = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported to the parent as this job's error
            reply = {"ok": False, "error": f"the grader failed ({type(exc).__name__}: {exc})"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


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


if __name__ == "__main__":
    sys.exit(worker_main())
