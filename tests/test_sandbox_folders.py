"""Where the grader's kernels work: a folder of the grader's own under the temporary folder.

On a shared ``/tmp`` another user could put a symbolic link or a folder of theirs where the
grader's folder goes; the grader must refuse it in one line rather than work (and delete) there.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.assignments.isolation import UnsafeFolderError, grader_folder
from helpers.atomic import temp_folder


@pytest.fixture
def tmp(monkeypatch) -> Iterator[Path]:
    """A temporary folder of the test's own in place of the system's, its path as short as /tmp's
    usually is (pytest's own are too long for the kernels' sockets)."""
    path = Path(tempfile.mkdtemp(prefix="sf.", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _refused(match: str) -> str:
    with pytest.raises(UnsafeFolderError, match=match) as info:
        grader_folder()
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(tempfile.gettempdir()))
    return message


def test_made_on_first_use_with_a_fixed_mode_and_reused(tmp):
    old = os.umask(0o077)  # a strict umask must not lock the kernels out
    try:
        folder = grader_folder()
    finally:
        os.umask(old)
    assert folder == tmp / f"helpers-grade-{os.geteuid()}"
    assert folder.is_dir() and not folder.is_symlink() and _mode(folder) == 0o711
    (folder / "kept").write_text("x")
    assert grader_folder() == folder and (folder / "kept").exists()


def test_an_existing_own_folder_gets_the_mode_a_kernel_passes_through(tmp):
    path = tmp / f"helpers-grade-{os.geteuid()}"
    path.mkdir(mode=0o700)
    assert grader_folder() == path and _mode(path) == 0o711


def test_a_symbolic_link_is_refused(tmp):
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    path = tmp / f"helpers-grade-{os.geteuid()}"
    path.symlink_to(elsewhere)
    assert "a symbolic link" in _refused("symbolic link")
    assert _mode(elsewhere) == 0o700 and list(elsewhere.iterdir()) == []  # not touched
    path.unlink()
    path.symlink_to(tmp / "missing")  # a dangling link: refused too, nothing made at its target
    _refused("symbolic link")
    assert not (tmp / "missing").exists()


def test_a_file_is_refused(tmp):
    (tmp / f"helpers-grade-{os.geteuid()}").write_text("not a folder")
    _refused("not a folder")


def test_a_folder_of_another_user_is_refused(tmp, monkeypatch):
    me = os.geteuid()
    if me == 0:  # a root grader: a folder really owned by someone else
        path = tmp / "helpers-grade-0"
        path.mkdir(mode=0o711)
        os.chown(path, 12345, 12345)
    else:  # not root: the folder is ours, the grader pretends to be another user
        monkeypatch.setattr(os, "geteuid", lambda: me + 1)
        path = tmp / f"helpers-grade-{me + 1}"
        path.mkdir(mode=0o711)
    message = _refused("owned by user")
    assert str(path) in message
    assert _mode(path) == 0o711  # its mode is left as it was


def test_a_folder_others_can_write_is_refused(tmp):
    path = tmp / f"helpers-grade-{os.geteuid()}"
    path.mkdir()
    path.chmod(0o1777)
    assert "mode 1777" in _refused("writable by others")
    path.chmod(0o770)
    _refused("writable by others")


def test_stale_folders_are_removed_only_inside_the_graders_folder(tmp):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = proc.pid
    folder = grader_folder()
    stale = folder / f".grade.{dead}.abc123.tmpdir"
    (stale / "w").mkdir(parents=True)
    beside = tmp / f".grade.{dead}.abc123.tmpdir"  # in the shared temporary folder: not ours
    beside.mkdir()
    mine = temp_folder(folder, "grade")  # what a kernel starting gets
    assert mine.parent == folder and mine.name.startswith(f".grade.{os.getpid()}.")
    assert mine.name.endswith(".tmpdir") and not stale.exists() and beside.exists()


def test_a_kernel_does_not_start_in_a_refused_folder(tmp):
    from helpers.assignments.sandbox import Limits, SandboxKernel

    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    (tmp / f"helpers-grade-{os.geteuid()}").symlink_to(elsewhere)
    with pytest.raises(UnsafeFolderError, match="symbolic link"), SandboxKernel(Limits()):
        pass
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("command", ["grade", "grade-one"])
def test_the_grading_commands_refuse_it_in_one_line(tmp, command):
    import subprocess
    import sys

    tmp_path = tmp
    (tmp_path / "source").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"helpers-grade-{os.geteuid()}").symlink_to(elsewhere)
    out = (
        ["--out", str(tmp_path / "r.json")] if command == "grade-one" else ["--report", str(tmp_path / "rep")]
    )
    run = subprocess.run(
        [sys.executable, "-m", "helpers.assignments", command, str(tmp_path / "s.ipynb"), *out]
        + ["--source-dir", str(tmp_path / "source")],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ") and "symbolic link" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "elsewhere",
        f"helpers-grade-{os.geteuid()}",
        "source",
    ]
    assert list(elsewhere.iterdir()) == []


def test_a_temporary_folder_too_long_for_the_kernels_sockets_is_refused_with_bwrap(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with pytest.raises(UnsafeFolderError, match=r"too long for the kernels' sockets .*set TMPDIR") as info:
        grader_folder("/usr/bin/bwrap")
    assert "\n" not in str(info.value) and not (deep / f"helpers-grade-{os.geteuid()}").exists()
    assert grader_folder(None).is_dir()  # without bwrap the kernels use TCP: any length will do


def test_the_longest_socket_path_under_the_usual_temporary_folder_fits(tmp):
    from helpers.assignments import isolation

    folder = grader_folder("/usr/bin/bwrap")
    made = temp_folder(folder, isolation.KERNEL_FOLDER)  # as SandboxKernel makes it
    try:
        longest = f"{made}/w/ipc-65535".replace(str(os.getpid()), "4194304")
        assert len(made.name) == len(".grade.4194304.abcdefgh.tmpdir") - 7 + len(str(os.getpid()))
        assert len(os.fsencode(longest)) <= isolation._SOCKET_PATH_MAX
    finally:
        made.rmdir()
