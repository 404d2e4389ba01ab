"""A Dask cluster on this machine: to try ``grade --scheduler`` before a real cluster, and to test it.

:class:`LocalCluster` starts a ``dask scheduler`` and ``dask worker`` processes (one thread and
one BLAS thread each, no nanny, no dashboard) on 127.0.0.1, each in a session of its own with its
output in ``<folder>/<name>.log`` and, with two or more, its share of the cores (as the local
pool's workers, :func:`~helpers.assignments.executors.core_shares`), and kills them all when it is
left::

    with LocalCluster("dask-logs", workers=2) as cluster:
        grade_many(submissions, "results", scheduler=cluster.address)

or ``python -m helpers assignments grade ... --scheduler <cluster.address>`` meanwhile. Dask's own
``distributed.LocalCluster`` runs its workers in this process or under nannies that restart them;
these are plain processes, so that killing one is what a machine lost from a cluster does.
Needs the ``cluster`` extra.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: Seconds to wait for the scheduler's address, and for the workers to join it.
START_SECONDS = 60
WORKERS_SECONDS = 120


class LocalCluster:
    """A ``dask scheduler`` and ``workers`` worker processes (named w0, w1...) on 127.0.0.1.

    Entering starts them and waits until every worker has joined; :meth:`add_worker` adds one
    more (with variables of its own in its environment), :meth:`kill` kills one as a lost machine
    dies, and leaving kills them all.
    """

    def __init__(self, folder: str | os.PathLike, workers: int = 0) -> None:
        self.folder, self.n = Path(folder), workers
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self.address = ""

    def __enter__(self) -> LocalCluster:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._start_scheduler()
            from helpers.assignments.executors import core_shares

            shares = core_shares(self.n) or [None] * self.n
            for i in range(self.n):
                self.add_worker(f"w{i}", cores=shares[i])
            if self.n:
                self.wait_for(self.n)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_scheduler(self) -> None:
        file = self.folder / "scheduler.json"
        args = ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        proc = self._start("scheduler", [*args, "--scheduler-file", str(file)], {})
        end = time.monotonic() + START_SECONDS
        while not file.is_file() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.2)
        try:
            self.address = json.loads(file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            log = self.folder / "scheduler.log"
            raise RuntimeError(f"the Dask scheduler did not start (see {log})") from None

    def _start(
        self, name: str, args: list[str], env: dict[str, str], cores: set[int] | None = None
    ) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "w") as log:  # the process keeps its own copy
            proc = subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, **env},
                preexec_fn=None if cores is None else lambda: os.sched_setaffinity(0, cores),
            )
        self.procs.append(proc)
        return proc

    def add_worker(self, name: str, cores: set[int] | None = None, **env: str) -> None:
        """Start a worker called ``name`` (on ``cores`` only, when given), with ``env`` added to
        its environment."""
        args = ["worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        self.workers[name] = self._start(name, [*args, "--host", "127.0.0.1"], {**threads, **env}, cores)

    def wait_for(self, n: int) -> None:
        """Wait until ``n`` workers have joined the scheduler."""
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=WORKERS_SECONDS)

    def kill(self, name: str) -> None:
        """Kill the worker ``name`` and what it started (SIGKILL: no goodbye to the scheduler)."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)

    def stop(self) -> None:
        """Kill every process of the cluster and wait for each."""
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
