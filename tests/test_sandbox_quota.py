"""Each kernel's working folder has a size of its own (with bubblewrap): a kernel that writes
without end gets "no space left" itself, graded as the student's own failure, and the disk and
the kernel beside it are untouched. Without bubblewrap the folder is on the disk."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import checker_notebook as fx  # noqa: E402

from helpers.assignments.isolation import bwrap_path  # noqa: E402
from helpers.assignments.sandbox import Limits, SandboxKernel  # noqa: E402

needs_bwrap = pytest.mark.skipif(not bwrap_path(), reason="bubblewrap (bwrap) is not installed")
SMALL = Limits(cell=30, notebook=90, memory_mb=1024, disk_mb=8)
#: Writes up to 64 MiB into the working folder; prints how much it wrote before the disk said no.
FILL = (
    "_f, _n = open('fill.bin', 'wb', buffering=0), 0\n"
    "try:\n    while _n < 64:\n        _f.write(b'x' * 2**20)\n        _n += 1\n"
    "except OSError as _e:\n    _full = _e.errno\nelse:\n    _full = 0\n"
)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@needs_bwrap
def test_a_kernel_filling_its_folder_hits_its_own_limit_and_not_its_neighbours(tmp_path):
    data = tmp_path / "pixels.csv"
    data.write_text("1,2,3\n")
    with SandboxKernel(SMALL, files=[data]) as full, SandboxKernel(SMALL, files=[data]) as beside:
        assert not full.dead and not beside.dead, (full.dead, beside.dead)
        run = full.run(FILL + "assert _full == 28 and _n <= 8, (_full, _n)")  # 28: ENOSPC
        assert run.status == "ok", run  # the old folder took all 64 MiB of the grader's disk
        assert _size(full._tmp) - _size(full._tmp / "pkg") < 2**20  # nothing of it on the grader's disk
        code = "def f(x):\n    return open('pixels.csv').read(), x * 2"
        for k in (full, beside):
            assert k.run(code).status == "ok"
        out = full.call("f", (np.arange(3.0),), {})
        assert out["error"][0] == "OSError" and "working folder is full" in out["error"][1], out
        assert not full.unusable  # the student's own doing: graded, not "not graded"
        out = beside.call("f", (np.arange(3.0),), {})
        assert out["result"][0] == "1,2,3\n" and list(out["result"][1]) == [0.0, 2.0, 4.0], out
        assert beside.run(FILL + "assert _full == 28").status == "ok"  # its own 8 MiB, all of them


@needs_bwrap
def test_a_submission_that_fills_its_folder_is_graded_as_its_own_failure(tmp_path):
    from helpers.assignments.batch import grade_submissions

    pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")
    src = fx.write_source_dir(tmp_path / "source")
    for student, nb in {
        "filler": fx.with_cells(fx.make_instructor_notebook(), "relu", FILL),
        "honest": fx.make_instructor_notebook(),
    }.items():
        (tmp_path / student).mkdir()
        nbformat.write(nb, tmp_path / student / fx.NAME)
    paths = [tmp_path / s / fx.NAME for s in ("filler", "honest")]
    results = {r.student: r for r in grade_submissions(paths, src.parent, limits=SMALL)}
    filler, honest = results["filler"], results["honest"]
    assert filler.status == "graded" and honest.status == "graded", (filler.error, honest.error)
    points = {e.grade_id: e.points for e in filler.exercises}
    assert points == {"check_relu": 0.0, "check_softmax": 0.0}, [e.message for e in filler.exercises]
    assert "working folder is full" in filler.exercises[0].message
    assert {e.grade_id: e.points for e in honest.exercises} == fx.POINTS


def test_without_bubblewrap_the_folder_is_on_the_disk_with_the_data_files(tmp_path, monkeypatch):
    """No tmpfs without bwrap: the files reach the working folder all the same, and what the
    kernel writes lands in its folder on the disk (bounded per file only; a full disk there is
    "not graded", see test_grading_not_graded)."""
    from helpers.assignments import sandbox

    monkeypatch.setenv("HELPERS_NO_BWRAP", "1")
    # A root grader's kernel user of its own may not read this Python installation: the grader's user.
    monkeypatch.setattr(sandbox, "kernel_uid", lambda bwrap: -1)
    data = tmp_path / "pixels.csv"
    data.write_text("1,2,3\n")
    with SandboxKernel(SMALL, files=[data]) as k:
        assert not k.dead, k.dead
        assert k.run("open('out.txt', 'w').write(open('pixels.csv').read())").status == "ok"
        assert (k.workdir / "out.txt").read_text() == "1,2,3\n" and k.workdir == k.cwd
        assert not k.own_disk
