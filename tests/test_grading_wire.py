"""The data format between grader and kernel: round trips, and everything else refused."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

from helpers.assignments import wire


def test_round_trip(tmp_path):
    value = {"result": (np.arange(6.0).reshape(2, 3), 2, 0.5, None, True, "ok", [np.float32(1.5)])}
    wire.dump(tmp_path / "v.npz", value)
    back = wire.load(tmp_path / "v.npz")
    np.testing.assert_array_equal(back["result"][0], value["result"][0])
    assert back["result"][1:6] == (2, 0.5, None, True, "ok")
    assert back["result"][6][0] == np.float32(1.5) and isinstance(back["result"][6][0], np.float32)


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, lambda: 0])
def test_dump_refuses_what_is_not_data(tmp_path, value):
    with pytest.raises(TypeError):
        wire.dump(tmp_path / "v.npz", value)


def test_load_refuses_pickles_links_and_big_files(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as z:
        z.write(tmp_path / "obj.npy", "tree.npy")
    with pytest.raises(wire.WireError, match="unreadable|Python objects"):
        wire.load(tmp_path / "p.npz")
    wire.dump(tmp_path / "big.npz", np.zeros(1000))
    with pytest.raises(wire.WireError, match="limit"):
        wire.load(tmp_path / "big.npz", max_bytes=1000)
    os.symlink(tmp_path / "big.npz", tmp_path / "link.npz")
    with pytest.raises(wire.WireError, match="regular file"):
        wire.load(tmp_path / "link.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(wire.WireError):
        wire.load(tmp_path / "junk.npz")


def test_load_does_not_block_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "fifo.npz")
    with pytest.raises(wire.WireError, match="regular file"):
        wire.load(tmp_path / "fifo.npz")  # the old load opened it and waited for a writer forever


def test_load_bounds_the_values_a_result_declares(tmp_path):
    """Many small integers would become gigabytes of floats in a checker: refused by count."""
    wire.dump(tmp_path / "int8.npz", np.zeros(5000, dtype=np.int8))
    with pytest.raises(wire.WireError, match="more than 1000 values"):
        wire.load(tmp_path / "int8.npz", max_elements=1000)
    assert wire.load(tmp_path / "int8.npz", max_elements=5000).shape == (5000,)


def test_load_checks_the_declared_shape_not_only_the_zip_sizes(tmp_path):
    """A member whose .npy header declares a huge array in a few bytes is refused before reading."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as z:
        z.writestr("a0.npy", np.lib.format.MAGIC_PREFIX + bytes([1, 0]) + header.getvalue()[8:] + b"\0" * 64)
        buf = io.BytesIO()
        np.save(buf, np.array('{"t": "a", "i": 0}'))
        z.writestr("tree.npy", buf.getvalue())
    with pytest.raises(wire.WireError, match="more than"):
        wire.load(tmp_path / "huge.npz")


def test_load_reads_through_the_one_npz_reader(tmp_path):
    """helpers.npz's checks hold for results too: too many entries, and data its header does not promise."""
    with zipfile.ZipFile(tmp_path / "many.npz", "w") as z:
        buf = io.BytesIO()
        np.save(buf, np.array('{"t": "v", "v": 1}'))
        z.writestr("tree.npy", buf.getvalue())
        for i in range(wire.MAX_ENTRIES):
            z.writestr(f"x{i}.npy", b"")
    with pytest.raises(wire.WireError, match="entries"):
        wire.load(tmp_path / "many.npz")  # the old load listed and accepted them all
    wire.dump(tmp_path / "v.npz", np.arange(4.0))
    with zipfile.ZipFile(tmp_path / "v.npz") as z, zipfile.ZipFile(tmp_path / "long.npz", "w") as out:
        out.writestr("tree.npy", z.read("tree.npy"))
        out.writestr("a0.npy", z.read("a0.npy") + b"\0" * 8)  # trailing bytes the header does not declare
    with pytest.raises(wire.WireError, match="unreadable result file"):
        wire.load(tmp_path / "long.npz")
