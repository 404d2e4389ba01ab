"""The grading route at class scale: the sandbox, result files, kill and resume, split and merge."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402

from helpers.assignments import release  # noqa: E402
from helpers.assignments.batch import merge, read_result  # noqa: E402
from helpers.assignments.isolation import MAX_PROCESSES, SHARED_USER_PROCESSES  # noqa: E402
from helpers.assignments.sandbox import KernelProblem, Limits, SandboxKernel, bwrap_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "helpers.assignments"]
# Skipped on a developer's machine without bubblewrap; in CI (.ci/run installs it) a missing one fails.
needs_bwrap = pytest.mark.skipif(
    not bwrap_path() and not os.environ.get("CI"), reason="bubblewrap (apt install bubblewrap) not installed"
)


@needs_bwrap
def test_sandbox_denies_package_writes_instructor_reads_and_network(tmp_path):
    secret = tmp_path / "instructor" / "solutions.ipynb"
    secret.parent.mkdir()
    secret.write_text("the answers")
    with SandboxKernel(Limits(cell=20, notebook=60)) as k:
        assert not k.dead, k.dead
        probe = (
            "import helpers, os, socket\n"
            "def attempt(f):\n    try:\n        f()\n        return 'allowed'\n"
            "    except Exception as exc:\n        return type(exc).__name__\n"
            "pkg = attempt(lambda: open(helpers.__file__, 'a').write('x'))\n"
            "new = attempt(lambda: open(os.path.join(os.path.dirname(helpers.__file__), 'evil.py'), 'w'))\n"
            f"read = attempt(lambda: open({str(secret)!r}).read())\n"
            "net = attempt(lambda: socket.create_connection(('1.1.1.1', 80), timeout=2))\n"
            "def report():\n    return [pkg, new, read, net, os.getuid()]\n"
        )
        assert k.run(probe).status == "ok"
        pkg, new, read, net, uid = k.call("report", (), {})["result"]
        own = k.uid
    assert pkg != "allowed" and new != "allowed"
    assert read == "FileNotFoundError"  # not on any path the kernel can see
    assert net != "allowed"
    assert uid == (own if own >= 0 else 65534) and uid != 0  # a root grader gives it a user of its own


def _processes_of(uid: int) -> list[str]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:  # gone meanwhile
            continue
        if any(line.split()[:2] == ["Uid:", str(uid)] for line in lines):
            found.append(status.parent.name)
    return found


@needs_bwrap
def test_fork_bomb_stops_at_the_process_limit_and_spares_the_next_kernel():
    bomb = (
        "import os, time\nchildren = 0\n"
        "try:\n    for _ in range(10 * MAX):\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n"
        "        children += 1\nexcept OSError as exc:\n    refused = type(exc).__name__\n"
        "def report():\n    return [children, refused]\n"
    )
    limit = MAX_PROCESSES if os.geteuid() == 0 else SHARED_USER_PROCESSES  # the grader's user's count
    with SandboxKernel(Limits(cell=30, notebook=60)) as k:
        assert k.run(f"MAX = {limit}").status == "ok"
        assert k.run(bomb).status == "ok"
        children, refused = k.call("report", (), {})["result"]
        uid = k.uid
        assert uid < 0 or len(_processes_of(uid)) > children  # the kernel and its sleeping children
    assert refused == "BlockingIOError"  # fork: EAGAIN, the process limit
    assert 0 < children < limit
    end = time.monotonic() + 10  # 128 processes killed at once take a while to exit on a busy machine
    while uid >= 0 and _processes_of(uid) and time.monotonic() < end:
        time.sleep(0.1)
    assert uid < 0 or not _processes_of(uid)  # every child died with the kernel
    with SandboxKernel(Limits(cell=30, notebook=60)) as k:  # its processes died with it
        assert not k.dead, k.dead
        fork_once = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)"
        assert k.run(fork_once).status == "ok"


@pytest.fixture
def short_tmp(monkeypatch):
    """A temporary folder of the test's own in place of the system's, with a short path.

    The kernel's sockets live in its folder, and a socket's path has at most 107 bytes.
    """
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="g"))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    shutil.rmtree(path)


def test_a_killed_graders_kernel_folder_is_removed_by_the_next_kernel(short_tmp):
    from helpers.assignments.isolation import grader_folder

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(gone.stdout)
    left = grader_folder() / f".grade.{dead_pid}.abc123.tmpdir"
    (left / "w").mkdir(parents=True)
    (left / "w" / "answers.txt").write_text("a kernel's folder, its grader killed outright")
    # Another user's entries in a shared /tmp with names like ours: never looked at.
    beside = [short_tmp / f".grade.{dead_pid}.abc123.tmpdir", short_tmp / f".notes.{dead_pid}.x1.tmp"]
    beside[0].mkdir()
    beside[1].write_text("someone else's")
    with SandboxKernel(Limits(cell=20, notebook=60)) as k:
        assert not k.dead, k.dead
        assert k.run("open('answer.txt', 'w').write('written in the kernel')").status == "ok"
        assert not left.exists()
        mine = k._tmp
        assert mine.parent == short_tmp / f"helpers-grade-{os.geteuid()}"
        assert mine.is_dir() and f".{os.getpid()}." in mine.name
        assert (k.workdir / "answer.txt").read_text() == "written in the kernel"
    assert not mine.exists()
    assert all(p.exists() for p in beside)


def test_sandbox_call_round_trip_and_in_place_changes(tmp_path):
    with SandboxKernel(Limits(cell=20, notebook=60, memory_mb=1024)) as k:
        assert k.run("big = bytearray(2 * 2**30)").ename == "MemoryError"  # the memory limit
        assert k.run("def f(x, n=1):\n    x[0] = -1\n    return x * n, 'ok'").status == "ok"
        out = k.call("f", (np.arange(3.0),), {"n": 2})
        np.testing.assert_array_equal(out["result"][0], [-2.0, 2.0, 4.0])
        assert out["result"][1] == "ok"
        np.testing.assert_array_equal(out["args"][0], [-1.0, 1.0, 2.0])
        assert k.run("import os\nos._exit(3)").status == "dead"
        with pytest.raises(KernelProblem, match="died"):
            k.call("f", (1,), {})


def _submissions(tmp_path: Path, n: int) -> tuple[Path, list[Path]]:
    src = fx.write_source_dir(tmp_path / "source")
    paths = []
    for i in range(n):
        p = tmp_path / "subs" / f"s{i}" / fx.NAME
        p.parent.mkdir(parents=True)
        nbformat.write(fx.make_instructor_notebook(), p)
        paths.append(p)
    return src.parent, paths


def test_kill_midway_keeps_finished_results_and_resume_completes(tmp_path):
    source, paths = _submissions(tmp_path, 4)
    results = tmp_path / "results"
    cmd = [*CLI, "grade", *map(str, paths), "--source-dir", str(source), "--jobs", "1"]
    cmd += ["--results", str(results), "--report", str(tmp_path / "grades"), "--quiet", "--timeout", "20"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 240
        while time.monotonic() < end and not list(results.glob("*.json")):
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = {p: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 1 <= len(done) < len(paths)
    assert all(read_result(p).score == 5 for p in done)  # complete, readable files only
    assert not (tmp_path / "grades.json").exists()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert {p: p.stat().st_mtime_ns for p in done} == done  # not graded again
    data = json.loads((tmp_path / "grades.json").read_text())
    assert [s["score"] for s in data["submissions"]] == [5.0] * len(paths)


def test_grade_one_per_submission_then_merge(tmp_path):
    source, paths = _submissions(tmp_path, 2)
    student = release([fx.write_source_dir(tmp_path / "src2")], tmp_path / "released")[0]
    nbformat.write(nbformat.read(student, 4), paths[1])
    for i, p in enumerate(paths):
        run = subprocess.run(
            [
                *CLI,
                "grade-one",
                str(p),
                "--out",
                str(tmp_path / "r" / f"{i}.json"),
                "--source-dir",
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
    merged = subprocess.run(
        [*CLI, "merge", str(tmp_path / "r"), "--report", str(tmp_path / "class")],
        capture_output=True,
        text=True,
    )
    assert merged.returncode == 0, merged.stderr
    data = json.loads((tmp_path / "class.json").read_text())
    assert {s["student"]: s["score"] for s in data["submissions"]} == {"s0": 5.0, "s1": 0.0}
    assert [r.student for r in merge([tmp_path / "r"])] == ["s0", "s1"]
    assert subprocess.run([*CLI, "merge", str(tmp_path / "nothing")], capture_output=True).returncode == 1


def test_release_ships_the_files_a_notebook_opens(tmp_path):
    (out,) = release([ROOT / "notebooks" / "06_misclassified_digits.ipynb"], tmp_path)
    assert (tmp_path / "my_digit.png").read_bytes() == (ROOT / "notebooks" / "my_digit.png").read_bytes()
    src = fx.write_source_dir(tmp_path / "fixture")
    release([src], tmp_path / "fx")
    assert (tmp_path / "fx" / "values.txt").read_text() == "1 2 3 6\n"
    assert out.is_file()


def test_a_pool_worker_killed_mid_class_is_replaced_and_each_result_written_once(tmp_path, monkeypatch):
    import multiprocessing

    from helpers.assignments import batch

    source, paths = _submissions(tmp_path, 5)
    written: list[Path] = []
    real = batch.write_result

    def write(result, out):
        written.append(Path(out))
        return real(result, out)

    def progress(result) -> None:  # at the first result back, the other worker is grading one
        if len(written) == 1:
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)

    monkeypatch.setattr(batch, "write_result", write)
    results_dir = tmp_path / "results"
    results = batch.grade_many(
        paths, results_dir, source, Limits(cell=30), jobs=2, progress=progress, bar=False
    )
    assert [r.score for r in results] == [5.0] * len(paths)  # the data file travelled with each task
    assert [r.file for r in results] == [str(p) for p in paths]
    assert sorted(written) == sorted(batch.result_path(p, results_dir) for p in paths)


def test_graders_on_one_machine_get_the_cores_shared_out():
    """Each grader's kernels spread "every core" work over its own share (core_shares)."""
    from helpers.assignments.executors import core_shares, local_executor

    cores = sorted(os.sched_getaffinity(0))
    assert core_shares(1) is None
    if len(cores) < 2:
        assert core_shares(2) is None
        return
    shares = core_shares(2)
    assert len(shares) == 2 and shares[0].isdisjoint(shares[1]) and shares[0] | shares[1] == set(cores)
    assert [len(s) for s in core_shares(len(cores) + 1)] == [1] * (len(cores) + 1)
    with local_executor(2) as pool:
        seen = {frozenset(pool.submit(os.sched_getaffinity, 0).result()) for _ in range(20)}
    assert seen <= {frozenset(s) for s in shares} and seen
