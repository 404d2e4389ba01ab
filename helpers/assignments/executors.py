"""Where a class is graded: a local process pool or a Dask cluster, with one task function for both.

A task is plain data: :func:`make_task` turns one submission into a JSON string (its bytes in
base64, its file name and folder name, the limits and options), :func:`source_bundle` turns the
instructor's folder (the notebooks and the data files they open) into another, and
:func:`grade_task` grades it on whichever machine runs it, unpacking both into folders of its own,
and returns ``SubmissionResult.to_dict()`` as a JSON string. Workers need no shared file system.

- :func:`local_executor`: a ``concurrent.futures.ProcessPoolExecutor`` (spawn, one BLAS thread
  per worker), and :func:`run_local` to run tasks in it;
- :func:`dask_client`: a ``distributed.Client`` (the optional ``cluster`` extra), after checking
  that every worker has bubblewrap (:class:`NoSandboxOnWorkers` otherwise, unless allowed), and
  :func:`run_dask` to run tasks on it (a Dask cluster on this machine, to try it:
  :class:`~helpers.assignments.local_cluster.LocalCluster`).

No pickle of ours: what we send and what comes back are JSON strings, read with ``json.loads``.
Dask's own transport pickles the task function and those strings, so a cluster's scheduler and
workers must be machines the instructor trusts; student code never runs in a worker's process,
only in its sandboxed kernels.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import tempfile
from collections.abc import Callable
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

from helpers.assignments._io import MAX_NOTEBOOK_BYTES, read_regular
from helpers.assignments.sandbox import Limits

#: What a runner calls as each task ends: ``finished(index, reply)``, or ``(index, None, why)``.
Finished = Callable[..., None]
#: The largest instructor folder (notebooks and data files) sent with a class.
MAX_BUNDLE_BYTES = 256 * 2**20


class NoSandboxOnWorkers(RuntimeError):
    """Some Dask workers have no bubblewrap: student code would run there without the sandbox."""


def source_bundle(source_dir: str | os.PathLike) -> str:
    """The instructor's folder as JSON: ``{"files": {path: base64}}`` for its notebooks and the
    files they open (:func:`~helpers.assignments.student_versions.referenced_files`), each path
    relative to the folder (``../benchmarks/results/results.json`` for a result it reads)."""
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.student_versions import referenced_files

    folder = Path(source_dir)
    names: set[Path] = set()
    for nb_path in sorted(folder.glob("*.ipynb")):
        names.add(nb_path)
        try:
            names.update(referenced_files(read_notebook(nb_path), folder))
        except (NotANotebookError, OSError):
            continue  # sent as it is: the worker reports it the way a local grading would
    files, total = {}, 0
    for p in sorted(names):
        data = read_regular(p, MAX_BUNDLE_BYTES, follow=False)
        total += len(data)
        if total > MAX_BUNDLE_BYTES:
            raise ValueError(f"{folder}: more than {MAX_BUNDLE_BYTES >> 20} MiB of notebooks and data files")
        files[Path(os.path.relpath(p, folder)).as_posix()] = base64.b64encode(data).decode("ascii")
    return json.dumps({"files": files})


def make_task(
    path: Path, limits: Limits, student_from: str | None, options: dict, sandbox_required: bool
) -> str | None:
    """One submission as a JSON task, or None when it cannot travel (a link, not a regular
    file, too big): those are graded where they are, which refuses them without a kernel."""
    if path.is_symlink() or path.absolute().parent.is_symlink():
        return None
    try:
        data = read_regular(path, MAX_NOTEBOOK_BYTES, follow=False)
    except OSError:
        return None
    task = {
        "file": str(path),
        "name": path.name,
        "folder": path.absolute().parent.name,
        "data": base64.b64encode(data).decode("ascii"),
        "limits": asdict(limits),
        "student_from": student_from,
        "sandbox_required": sandbox_required,
        **options,  # notebook, allow_reference
    }
    return json.dumps(task)


_unpacked: dict[str, Path] = {}  # bundle digest -> its folder, once per worker process


def _instructor_folder(bundle: str) -> Path:
    """The bundle's files in a folder of this process's (written once per bundle), laid out as
    on the coordinator: the notebooks in ``<tmp>/source``, a ``../x`` file in ``<tmp>/x``."""
    digest = hashlib.sha256(bundle.encode()).hexdigest()
    if digest not in _unpacked or not _unpacked[digest].is_dir():
        root = Path(tempfile.mkdtemp(prefix="grader-source-"))
        folder = root / "source"
        folder.mkdir()
        for name, b64 in json.loads(bundle)["files"].items():
            inside = posixpath.normpath(posixpath.join("source", name))
            parts = inside.split("/")
            if posixpath.isabs(name) or parts[0] == ".." or any(p.startswith(".") for p in parts):
                raise ValueError(f"{name!r}: not a path inside the instructor's folder")
            (root / inside).parent.mkdir(parents=True, exist_ok=True)
            (root / inside).write_bytes(base64.b64decode(b64))
        _unpacked[digest] = folder
    return _unpacked[digest]


def grade_task(task: str, bundle: str) -> str:
    """Grade one task (:func:`make_task`) against ``bundle`` (:func:`source_bundle`) here;
    ``SubmissionResult.to_dict()`` as JSON, its ``file`` the coordinator's path."""
    from helpers.assignments.grade import SubmissionResult, grade_submission
    from helpers.assignments.isolation import bwrap_path
    from helpers.assignments.spare_kernels import keep_a_spare

    keep_a_spare()  # the next submission's kernel starts while this one is graded
    job = json.loads(task)
    if job["sandbox_required"] and not bwrap_path():
        import socket

        why = f"not graded: the worker {socket.gethostname()} has no bubblewrap (the sandbox)"
        result = SubmissionResult(
            job["file"], Path(job["file"]).stem, job["notebook"], "not graded", error=why
        )
        return json.dumps(result.to_dict())
    source = _instructor_folder(bundle)
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as tmp:
        # The same folder and file names as on the coordinator: the student is found the same way.
        path = Path(tmp) / (job["folder"] or "submission") / job["name"]
        path.parent.mkdir()
        path.write_bytes(base64.b64decode(job["data"]))
        result = grade_submission(
            path,
            source,
            Limits(**job["limits"]),
            notebook=job["notebook"],
            allow_reference=job["allow_reference"],
            student_from=job["student_from"],
        )
    result.file = job["file"]
    return json.dumps(result.to_dict())


def core_shares(n: int) -> list[set[int]] | None:
    """The cores this process may use, shared out over ``n`` graders on this machine (a set each;
    round robin when there are more graders than cores); None for one grader or one core.

    A grader's kernels inherit its share, so a notebook that spreads work over "every core" (the
    chapters' BLAS threads and block workers, ``os.sched_getaffinity``) spreads it over its own:
    beside its neighbours' busy kernels a split product would wait for a stalled core (chapter 7
    measured it), and on two cores two graders then used the CPU time of four.
    """
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if n < 2 or len(cores) < 2:
        return None
    if n >= len(cores):
        return [{cores[i % len(cores)]} for i in range(n)]
    return [set(cores[i * len(cores) // n : (i + 1) * len(cores) // n]) for i in range(n)]


def _worker_start(shares: list[set[int]] | None, started) -> None:
    """A pool worker's set-up: one BLAS thread, and the next share of the cores (see core_shares)."""
    from threadpoolctl import threadpool_limits

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    threadpool_limits(1)
    if shares:
        with started.get_lock():
            i, started.value = started.value, started.value + 1
        os.sched_setaffinity(0, shares[i % len(shares)])


def local_executor(jobs: int):
    """A process pool of ``jobs`` workers (spawn: no state inherited; one BLAS thread each; with
    two or more, each its share of the cores, :func:`core_shares`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    args = (core_shares(jobs), ctx.Value("i", 0))
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_start, initargs=args)


def _has_bwrap() -> str:
    from helpers.assignments.isolation import bwrap_path

    return bwrap_path() or ""


def dask_client(scheduler: str, allow_unsandboxed: bool = False):
    """A ``distributed.Client`` on ``scheduler`` (``tcp://HOST:PORT``) whose workers all have
    bubblewrap; :class:`NoSandboxOnWorkers` names those without, unless ``allow_unsandboxed``."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("--scheduler needs Dask's distributed: pip install -e '.[cluster]'") from None
    client = Client(scheduler, timeout=30)
    try:
        found = client.run(_has_bwrap)
        if not found:
            raise NoSandboxOnWorkers(f"{scheduler}: the scheduler has no workers")
        missing = sorted(w for w, path in found.items() if not path)
        if missing and not allow_unsandboxed:
            raise NoSandboxOnWorkers(
                f"{len(missing)} of {len(found)} Dask workers have no bubblewrap (the sandbox): "
                f"{', '.join(missing[:5])}; install it there (apt install bubblewrap) or pass "
                "--allow-unsandboxed-workers"
            )
    except BaseException:
        client.close()
        raise
    return client


def run_local(indices: list[int], jobs: int, tasks: dict, bundle: str, finished: Finished) -> None:
    """Run ``tasks[i]`` for each of ``indices`` in a process pool of ``jobs``, calling
    ``finished(i, reply)`` or ``finished(i, None, why)``; those of a pool broken by a dying worker
    are run again (up to three pools), then reported."""
    pending = list(indices)
    for _ in range(3):
        if not pending:
            return
        broken = []
        with local_executor(min(jobs, len(pending))) as pool:
            futures = {pool.submit(grade_task, tasks[i], bundle): i for i in pending}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    finished(i, future.result())
                except BrokenProcessPool:
                    broken.append(i)
                except Exception as exc:  # noqa: BLE001 - this submission's error, reported
                    finished(i, None, f"the grader failed ({type(exc).__name__}: {exc})")
        pending = sorted(broken)
    for i in pending:
        finished(i, None, "the grader process died three times")


def run_dask(client, indices: list[int], tasks: dict, bundle: str, finished: Finished) -> None:
    """Run the tasks as :func:`run_local` does, on a Dask cluster; a task whose worker dies is
    rerun elsewhere by Dask."""
    import uuid

    from distributed import as_completed as completed

    if not indices:
        return
    [source] = client.scatter([bundle], hash=False)  # sent to a worker once, not with every task
    futures = {}
    for i in indices:
        key = f"grade-{i}-{uuid.uuid4().hex[:12]}"
        futures[client.submit(grade_task, tasks[i], source, key=key, pure=False, retries=2)] = i
    for future in completed(futures):
        i = futures[future]
        try:
            finished(i, future.result())
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: this submission's error
            finished(i, None, f"the cluster could not grade it ({type(exc).__name__}: {str(exc)[:200]})")
