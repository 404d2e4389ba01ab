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


def read_result(path: str | os.PathLike) -> SubmissionResult:
    """Read one result file; ValueError naming the file when it is not one."""
    try:
        return SubmissionResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a grading result ({type(exc).__name__}: {exc})") from None


def grade_one(
    submission: str | os.PathLike,
    out: str | os.PathLike,
    source_dir: str | os.PathLike = "notebooks",
    limits: Limits | None = None,
    notebook: str | None = None,
    allow_reference: bool = False,
) -> SubmissionResult:
    """Grade ``submission`` and write its result to ``out``; returns the result."""
    result = grade_submission(
        submission, source_dir, limits, notebook=notebook, allow_reference=allow_reference
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
    results = []
    for p in paths:
        results.append(
            grade_submission(p, source_dir, limits, notebook=notebook, allow_reference=allow_reference)
        )
        if progress is not None:
            progress(results[-1])
    return results


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
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
    (default: when stderr is a terminal).
    """
    from tqdm import tqdm

    limits = limits or Limits()
    paths = [Path(p) for p in submissions]
    outs = [result_path(p, results_dir) for p in paths]
    results: list[SubmissionResult | None] = [None if force else _done(p, o) for p, o in zip(paths, outs)]
    todo = [i for i, r in enumerate(results) if r is None]
    jobs = max(1, jobs or os.cpu_count() or 1)
    queue: Queue[int] = Queue()
    for i in todo:
        queue.put(i)
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

    disable = None if bar is None else not bar
    with tqdm(total=len(paths), initial=len(paths) - len(todo), unit="nb", disable=disable) as pbar:
        threads = [
            threading.Thread(target=worker, args=(pbar,), daemon=True) for _ in range(min(jobs, len(todo)))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return [r for r in results if r is not None]


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
                job["path"], job["out"], job["source_dir"], limits, job["notebook"], job["allow_reference"]
            )
            reply = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported to the parent as this job's error
            reply = {"ok": False, "error": f"the grader failed ({type(exc).__name__}: {exc})"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


def merge(sources: list[str | os.PathLike]) -> list[SubmissionResult]:
    """The results in result files and folders of them (``*.json``, sorted by student and notebook)."""
    files: list[Path] = []
    for s in map(Path, sources):
        if s.is_dir():
            files += sorted(s.glob("*.json"))
        elif s.is_file():
            files.append(s)
        else:
            raise FileNotFoundError(f"{s}: no such result file or folder")
    results = [read_result(f) for f in files]
    return sorted(results, key=lambda r: (r.student, r.notebook or "", r.file))


if __name__ == "__main__":
    sys.exit(worker_main())
