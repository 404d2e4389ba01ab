""" "The grader could not grade" is never "the student scored 0", and the grader cleans up after
its kernels: a sandbox that cannot run a kernel stops the command in one line, a kernel that could
not run makes its submission "not graded" (tried again, listed first, a non-zero exit), a neighbour's
load is given back as time, and nothing a kernel leaves (files, modes, processes) outlives it."""

from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments.batch import grade_submissions  # noqa: E402
from helpers.assignments.isolation import process_loads, process_tree, remove_folder  # noqa: E402
from helpers.assignments.report import to_markdown  # noqa: E402
from helpers.assignments.sandbox import STARVED_FACTOR, Limits, SandboxKernel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def broken_bwrap(tmp_path, monkeypatch):
    """A ``bwrap`` first on PATH that fails as a broken installation would; returns its call log."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (bin_dir / "bwrap").write_text(f"#!/bin/sh\necho call >> {log}\nexit 1\n")
    (bin_dir / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("HELPERS_NO_BWRAP", raising=False)
    return log


def test_a_sandbox_that_cannot_run_a_kernel_stops_the_command_in_one_line(tmp_path, broken_bwrap):
    src = fx.write_source_dir(tmp_path / "source")
    cmd = [sys.executable, "-m", "helpers.assignments", "grade", str(src), "--source-dir", str(src.parent)]
    cmd += ["--report", str(tmp_path / "grades")]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, env=os.environ)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "known-good notebook" in run.stderr
    assert not (tmp_path / "grades.json").exists()


def test_a_kernel_that_could_not_run_is_not_graded_retried_and_listed_first(tmp_path, broken_bwrap):
    src = fx.write_source_dir(tmp_path / "source")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / fx.NAME).write_bytes(src.read_bytes())
    (result,) = grade_submissions([tmp_path / "alice" / fx.NAME], src.parent, limits=Limits(cell=20))
    assert result.status == "not graded" and "did not start" in result.error
    assert all(e.status == "not graded" for e in result.exercises)
    assert broken_bwrap.read_text().count("call") == 2  # tried once more
    md = to_markdown([result])
    assert md.index("Not graded (1)") < md.index("| student |") and "alice" in md.split("| student |")[0]


class _FakeLoad(SandboxKernel):
    """A kernel whose processes' CPU and waiting times are given (no kernel is started)."""

    def __init__(self, loads):
        super().__init__(Limits(cell=10, notebook=1000))
        self.deadline = time.monotonic() + 1000
        self.loads = iter(loads)

    def _load(self, look_again=True):
        return next(self.loads)


def test_time_spent_waiting_behind_other_processes_is_given_back():
    start = time.monotonic() - 10  # 10 s into a cell of 10 s
    kernel = _FakeLoad([{7: (0.5, 9.0)}])  # it ran 1 s: the neighbours had the CPU
    assert kernel._time_left(start, {}, 10) > time.monotonic()
    assert kernel.unusable == ""


def test_a_cell_starved_to_the_end_is_not_the_students_zero():
    start = time.monotonic() - STARVED_FACTOR * 10
    kernel = _FakeLoad([{7: (0.6, STARVED_FACTOR * 5 - 1), 8: (0.4, STARVED_FACTOR * 5 - 1)}])
    assert kernel._time_left(start, {}, 10) is None
    assert "starved of CPU" in kernel.unusable


@pytest.mark.parametrize(("cpu", "wait"), [(10.5, 50.0), (0.1, 0.0)], ids=["own_busy_processes", "sleeping"])
def test_a_cell_that_had_its_time_is_the_students(cpu, wait):
    kernel = _FakeLoad([{7: (cpu, wait)}])
    assert kernel._time_left(time.monotonic() - 10, {}, 10) is None
    assert kernel.unusable == ""


def test_only_the_wait_since_the_cell_began_is_given_back():
    """A process that waited 50 s before the cell and not since, in a cell of 10 s: its time is up."""
    kernel = _FakeLoad([{7: (0.1, 50.0)}])
    assert kernel._time_left(time.monotonic() - 10, {7: (0.0, 50.0)}, 10) is None


def test_the_load_of_a_process_tree_counts_its_children():
    busy = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])"]
    )
    try:
        deadline = time.monotonic() + 30
        while len(tree := process_tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert tree[0] == parent.pid and len(tree) == 2
        child = tree[1]
        loads = {}
        while parent.poll() is None and time.monotonic() < deadline:
            loads.update(process_loads(tree))  # the child's last reading before it ends
            time.sleep(0.05)
        assert loads[child][0] >= 0.2, loads  # the busy child's CPU seconds, read from /proc
        assert loads[child][1] >= 0.0
    finally:
        parent.kill()


def test_a_kernels_folder_is_removed_whatever_modes_it_left():
    """As a user that is not root (where modes bind), a read-only tree is still removed."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    code = (
        "import contextlib, os, shutil, sys\nfrom pathlib import Path\n"
        + inspect.getsource(remove_folder)
        + "os.setgid(65534)\nos.setuid(65534)\ntop = Path(sys.argv[1])\n"
        "(top / 'a' / 'b').mkdir(parents=True)\n"
        "(top / 'a' / 'b' / 'big').write_bytes(b'x' * 10**6)\n"
        "for p in (top / 'a' / 'b', top / 'a'):\n    p.chmod(0o555)\n"
        "remove_folder(top)\nprint(top.exists())"
    )
    base = Path(tempfile.mkdtemp())  # pytest's folders are closed to other users
    try:
        os.chown(base, 65534, 65534)  # the grader owns the folder its kernels' folders are in
        top = base / "kernel"
        top.mkdir()
        os.chown(top, 65534, 65534)
        run = subprocess.run(
            ["/usr/bin/python3", "-c", code, str(top)], capture_output=True, text=True, cwd="/"
        )
        assert run.stdout.strip() == "False", run.stderr
    finally:
        shutil.rmtree(base)


def test_without_bubblewrap_a_root_grader_kills_what_the_kernel_left_running(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("the case of a root grader")
    monkeypatch.setenv("HELPERS_NO_BWRAP", "1")
    marker = "317.25"
    with SandboxKernel(Limits(cell=30, notebook=60)) as kernel:
        if kernel.dead:  # its own user cannot read this Python installation: nothing ran as root
            assert "did not start" in kernel.dead and kernel.uid > 0
            return
        run = kernel.run(
            f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
            "import os\nassert os.geteuid() != 0"
        )
        assert run.status == "ok", run
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
    assert left == []


def test_a_students_read_only_folder_does_not_outlive_the_kernel():
    with SandboxKernel(Limits(cell=30, notebook=60)) as kernel:
        assert not kernel.dead, kernel.dead
        folder = kernel._tmp
        run = kernel.run(
            "import os\nos.makedirs('keep/deep')\nopen('keep/deep/f', 'wb').write(b'x' * 10**6)\n"
            "os.chmod('keep/deep', 0o555)\nos.chmod('keep', 0o555)"
        )
        assert run.status == "ok", run
    assert not folder.exists()
    assert stat.S_ISDIR(os.stat(folder.parent).st_mode)


def test_a_full_temporary_folder_is_not_the_students_zero(tmp_path, monkeypatch):
    """A neighbour that filled the temporary folder: the submission is not graded, never 0."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    full = Path(tempfile.mkdtemp(prefix="full"))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(full)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with contextlib.suppress(OSError), open(full / "neighbour", "wb", buffering=0) as f:
            while True:
                f.write(b"x" * 4096)
        monkeypatch.setattr(tempfile, "tempdir", str(full))
        src = fx.write_source_dir(tmp_path / "source")
        (tmp_path / "alice").mkdir()
        (tmp_path / "alice" / fx.NAME).write_bytes(src.read_bytes())
        (result,) = grade_submissions([tmp_path / "alice" / fx.NAME], src.parent, limits=Limits(cell=20))
        assert result.status == "not graded" and "could not be made" in result.error, result.error
        assert result.score == 0 and all(e.status == "not graded" for e in result.exercises)
    finally:
        subprocess.run(["umount", str(full)], check=True)
        full.rmdir()


def test_the_cell_after_an_error_runs_even_when_the_kernel_would_abort_what_comes_next():
    # ipykernel aborts the execute requests that reach it shortly after an error; on a busy machine
    # the next cell landed in that window and was reported as "raised Error". Widening the window
    # to 5 s (ipykernel 6: a timeout; 7: the message that ends the aborting comes late) makes the
    # race certain: the next cell must still run.
    widen = (
        "k = get_ipython().kernel\n"
        "k.stop_on_error_timeout = 5.0\n"
        "if getattr(k, 'shell_channel_thread', None):\n"
        "    post, loop = k._post_dummy_stop_aborting_message, k.shell_channel_thread.io_loop\n"
        "    k._post_dummy_stop_aborting_message = lambda *a: loop.call_later(5.0, post, *a)\n"
    )
    with SandboxKernel(Limits(cell=30, notebook=120)) as kernel:
        assert not kernel.dead, kernel.dead
        assert kernel.run(widen).status == "ok"
        failed = kernel.run("raise ValueError('the student cell')")
        assert (failed.status, failed.ename) == ("error", "ValueError")
        after = kernel.run("x = 1 + 1")
        assert after.status == "ok", after
