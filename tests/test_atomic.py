"""helpers.atomic: files appear complete or not at all."""

import os
import stat

import pytest

from helpers.atomic import atomic_write, write_text


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
