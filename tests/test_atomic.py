"""helpers.atomic: files appear complete or not at all."""

import os
import stat
from pathlib import Path

import pytest

from helpers.atomic import KeptAside, atomic_dir, atomic_write, remove_stale, temp_folder, write_text


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_then_rename(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text(target, "hello\n")
    assert target.read_text() == "hello\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert _leftovers(target.parent) == []


def test_error_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_failed_verification_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def reject(tmp):
        assert tmp.read_bytes() == b"new", "verify sees the complete temporary file"
        raise ValueError("bad payload")

    with pytest.raises(ValueError, match="bad payload"), atomic_write(target, verify=reject) as f:
        f.write(b"new")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_keyboard_interrupt_leaves_nothing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as f:
        f.write(b"x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Folders: built aside, swapped in whole; what killed processes left is cleaned up
# --------------------------------------------------------------------------------------------
def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _accept(folder: Path) -> None:
    """A may_replace that lets any folder be replaced (the caller has checked it is its own)."""


def test_atomic_dir_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "report"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_dir(target, may_replace=_accept) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".report.") and not target.samefile(tmp)
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]  # old files do not linger
    assert _leftovers(tmp_path) == []


def test_atomic_dir_error_keeps_the_old_folder(tmp_path):
    target = tmp_path / "report"
    target.mkdir()
    (target / "a.txt").write_text("old")
    for error in (OSError(28, "No space left on device"), KeyboardInterrupt()):
        with pytest.raises(type(error)), atomic_dir(target) as tmp:
            (tmp / "a.txt").write_text("new")
            raise error
        assert (target / "a.txt").read_text() == "old" and _leftovers(tmp_path) == []


def test_atomic_dir_refuses_to_replace_a_file(tmp_path):
    target = tmp_path / "report"
    target.write_text("a file")
    with pytest.raises(KeptAside, match="not a folder.*kept|not a folder.*written is in"):
        with atomic_dir(target, may_replace=_accept) as tmp:
            (tmp / "x").write_text("x")
    assert target.read_text() == "a file" and _leftovers(tmp_path) == []
    assert (tmp_path / "report.new" / "x").read_text() == "x"  # the work is kept, visibly


@pytest.mark.parametrize("kind", ["file", "folder", "hidden file"])
def test_atomic_dir_replaces_only_an_empty_folder_by_default(tmp_path, kind):
    """The class of data loss: a folder with anything in it is never replaced unless the caller
    says it is its own; what was built is kept beside it under a visible name."""
    target = tmp_path / "thesis"
    target.mkdir()
    name = {"file": "t.tex", "folder": "figures", "hidden file": ".git"}[kind]
    (target / name).mkdir() if kind == "folder" else (target / name).write_text("mine")
    with pytest.raises(KeptAside, match=r"thesis: a folder with files in it; not replacing it.*thesis\.new"):
        with atomic_dir(target) as tmp:
            (tmp / "model.npz").write_text("new")
    assert [p.name for p in target.iterdir()] == [name]
    assert [p.name for p in (tmp_path / "thesis.new").iterdir()] == ["model.npz"]
    assert _leftovers(tmp_path) == []

    empty = tmp_path / "empty"
    empty.mkdir()
    with atomic_dir(empty) as tmp:
        (tmp / "model.npz").write_text("new")
    assert [p.name for p in empty.iterdir()] == ["model.npz"]


def test_atomic_dir_checks_again_just_before_the_swap(tmp_path):
    """A file put into the folder while the new one was being built stops the swap."""
    target = tmp_path / "report"
    target.mkdir()
    seen = []

    def only_ours(folder: Path) -> None:
        seen.append(sorted(p.name for p in folder.iterdir()))
        if (folder / "notes.txt").exists():
            raise ValueError(f"{folder}: holds 'notes.txt'")

    with pytest.raises(KeptAside, match="notes.txt"), atomic_dir(target, may_replace=only_ours) as tmp:
        (tmp / "a").write_text("new")
        (target / "notes.txt").write_text("mine")  # arrives during the work
    assert seen == [["notes.txt"]] and (target / "notes.txt").read_text() == "mine"


def test_write_errors_name_the_file(tmp_path):
    """A full disk raises ENOSPC with no file name; the error names the file being written."""
    target = tmp_path / "model.npz"
    with pytest.raises(OSError) as info, atomic_write(target) as f:
        f.write(b"x")
        raise OSError(28, "No space left on device")
    assert info.value.errno == 28 and info.value.filename == str(target)
    assert str(target) in str(info.value)

    folder = tmp_path / "latest"
    with pytest.raises(OSError) as info, atomic_dir(folder) as tmp:
        with atomic_write(tmp / "metrics.json") as f:
            raise OSError(28, "No space left on device")
    assert info.value.filename == str(folder / "metrics.json")  # the report's name, not the hidden one
    assert not folder.exists() and _leftovers(tmp_path) == []


def test_concurrent_folder_writers_never_mix(tmp_path):
    """Eight threads write the same folder, each a complete set of its own: one set wins whole."""
    import threading

    target = tmp_path / "report"
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            with atomic_dir(target, may_replace=_accept) as tmp:
                for name in ("model", "metrics", "figure"):
                    (tmp / name).write_text(str(i))
        except BaseException as exc:  # every writer must succeed
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({(target / n).read_text() for n in ("model", "metrics", "figure")}) == 1
    assert _leftovers(tmp_path) == []


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    stale_file = tmp_path / f".model.npz.{dead}.abc123.tmp"
    stale_dir = tmp_path / f".latest.{dead}.xyz.tmpdir"
    stale_part = tmp_path / f".train-images-idx3-ubyte.gz.{dead}.q1.part"
    live = tmp_path / f".other.{alive}.k9.tmp"  # a write in progress: left alone
    theirs = tmp_path / ".hidden.123.tmp"  # not one of our names: left alone
    for p in (stale_file, stale_part, live, theirs):
        p.write_text("x")
    stale_dir.mkdir()
    (stale_dir / "metrics.json").write_text("{}")
    removed = remove_stale(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_dir, stale_part])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, theirs.name])
    write_text(tmp_path / "x.txt", "hi")  # every write cleans its folder first


def test_temp_folder_of_a_killed_process_is_removed_by_the_next_one(tmp_path):
    import subprocess
    import sys

    code = "import sys; from helpers.atomic import temp_folder; print(temp_folder(sys.argv[1], 'grade'))"
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    left = Path(out.stdout.strip())  # its process has exited without removing it
    assert left.parent == tmp_path and left.is_dir() and left.name.startswith(".grade.")
    mine = temp_folder(tmp_path, "grade")
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o700 and list(mine.iterdir()) == []
    assert mine.name.startswith(f".grade.{os.getpid()}.") and mine.name.endswith(".tmpdir")
    assert not left.exists()
    assert remove_stale(tmp_path) == [] and mine.is_dir()  # this process runs: its folder stays
