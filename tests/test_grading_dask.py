"""Grading on a real Dask cluster on 127.0.0.1: a scheduler and two workers, one killed mid-class."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import distributed  # in the test extra, as in the cluster extra
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import small_class  # noqa: E402

from helpers.assignments import batch  # noqa: E402
from helpers.assignments.executors import NoSandboxOnWorkers, make_task, source_bundle  # noqa: E402
from helpers.assignments.local_cluster import LocalCluster  # noqa: E402
from helpers.assignments.sandbox import Limits, bwrap_path  # noqa: E402

LIMITS = Limits(cell=60, notebook=300)
needs_bwrap = pytest.mark.skipif(
    not bwrap_path() and not os.environ.get("CI"), reason="bubblewrap (apt install bubblewrap) not installed"
)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler alone: each test adds its workers."""
    with LocalCluster(tmp_path / "cluster") as c:
        yield c


def _summary(results) -> dict:
    """What must not depend on where a submission was graded."""
    return {
        r.student: (
            r.file,
            r.notebook,
            r.status,
            r.score,
            r.max_score,
            r.sha256,
            [(e.grade_id, e.points, e.status, e.message) for e in r.exercises],
            sorted(r.problems),
        )
        for r in results
    }


def _counting_writes(monkeypatch) -> list[Path]:
    written: list[Path] = []
    real = batch.write_result

    def write(result, out):
        written.append(Path(out))
        return real(result, out)

    monkeypatch.setattr(batch, "write_result", write)
    return written


@pytest.mark.slow
@needs_bwrap
def test_a_worker_killed_mid_class_loses_nothing_and_writes_each_result_once(tmp_path, cluster, monkeypatch):
    subs = small_class.write_class(tmp_path / "class")
    paths = list(subs.values()) * 1
    source = small_class.CHAPTER.parent
    local = batch.grade_many(paths, tmp_path / "local", source, LIMITS, jobs=1, bar=False)
    assert {r.status for r in local} == {"graded"}

    cluster.add_worker("w1")
    cluster.add_worker("w2")
    cluster.wait_for(2)
    written = _counting_writes(monkeypatch)
    killed = threading.Event()

    def progress(result) -> None:  # the first result back: both workers are busy with the next ones
        if not killed.is_set():
            killed.set()
            cluster.kill("w2")

    results_dir = tmp_path / "dask"
    remote = batch.grade_many(
        paths, results_dir, source, LIMITS, scheduler=cluster.address, progress=progress, bar=False
    )
    assert killed.is_set()
    assert cluster.workers["w2"].wait(timeout=30) is not None
    assert sorted(written) == sorted(batch.result_path(p, results_dir) for p in paths)  # each once
    assert _summary(remote) == _summary(local)
    assert _summary(batch.merge([results_dir])) == _summary(local)
    assert {r.isolation for r in remote} == {r.isolation for r in local}

    written.clear()  # a second run finds every result written: nothing is sent
    again = batch.grade_many(paths, results_dir, source, LIMITS, scheduler=cluster.address, bar=False)
    assert written == [] and _summary(again) == _summary(local)


@pytest.mark.slow
def test_workers_without_bubblewrap_are_refused_unless_allowed(tmp_path, cluster):
    subs = small_class.write_class(tmp_path / "class")
    cluster.add_worker("bare", HELPERS_NO_BWRAP="1")
    cluster.wait_for(1)
    with pytest.raises(NoSandboxOnWorkers, match="1 of 1 Dask workers have no bubblewrap"):
        batch.grade_many(
            list(subs.values()),
            tmp_path / "r",
            small_class.CHAPTER.parent,
            LIMITS,
            scheduler=cluster.address,
            bar=False,
        )
    assert not (tmp_path / "r").exists()
    cli = [sys.executable, "-m", "helpers.assignments", "grade", str(subs["adaeze"]), "--quiet"]
    cli += ["--source-dir", str(small_class.CHAPTER.parent), "--report", str(tmp_path / "g")]
    run = subprocess.run([*cli, "--scheduler", cluster.address], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "--allow-unsandboxed-workers" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    run = subprocess.run(
        [*cli, "--scheduler", cluster.address, "--allow-unsandboxed-workers", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    (sub,) = json.loads((tmp_path / "g.json").read_text())["submissions"]
    assert sub["isolation"].startswith("no sandbox")  # graded on that worker, as asked
    if sub["status"] == "not graded":  # a root grader's kernel user cannot read this Python: not a 0
        assert run.returncode == 1 and "the kernel did not start" in sub["error"], sub
    else:
        assert run.returncode == 0 and sub["score"] == sub["max_score"] > 0, run.stderr


def test_a_task_is_plain_json_and_carries_everything_a_worker_needs(tmp_path):
    subs = small_class.write_class(tmp_path / "class")
    task = json.loads(
        make_task(subs["adaeze"], LIMITS, "folder", {"notebook": None, "allow_reference": False}, True)
    )
    assert task["name"] == small_class.CHAPTER.name and task["folder"] == "adaeze"
    assert task["file"] == str(subs["adaeze"]) and task["limits"]["cell"] == 60
    bundle = json.loads(source_bundle(small_class.CHAPTER.parent))["files"]
    assert small_class.CHAPTER.name in bundle  # and no hidden file (".." leads to a file it reads)
    assert all(not p.startswith(".") for n in bundle for p in n.split("/") if p != "..")
    link = tmp_path / "link.ipynb"
    link.symlink_to(subs["adaeze"])
    assert make_task(link, LIMITS, None, {}, True) is None  # refused where it is, never sent


@pytest.mark.slow
def test_a_local_cluster_starts_its_workers_with_one_blas_thread_and_leaves_nothing_running(tmp_path):
    with LocalCluster(tmp_path, workers=2) as c:
        with distributed.Client(c.address, timeout=30) as client:
            threads = client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS"))
            names = sorted(w["name"] for w in client.scheduler_info()["workers"].values())
        procs = list(c.procs)
    assert names == ["w0", "w1"] and sorted(threads.values()) == ["1", "1"]
    assert len(procs) == 3 and all(p.poll() is not None for p in procs)
    assert (tmp_path / "scheduler.log").is_file() and (tmp_path / "w1.log").is_file()
