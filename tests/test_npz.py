"""helpers.npz: the one safe .npz reader reads what numpy.savez writes, and refuses the rest."""

from __future__ import annotations

import os

import numpy as np
import pytest

from helpers.npz import NpzError, read_arrays


def _save(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


VALUES = {
    "tree": np.array('{"t": "v"}'),  # a 0-d string, as the grader's wire format sends
    "f8": np.arange(12.0).reshape(3, 4),
    "fortran": np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)),
    "big": np.arange(5, dtype=">i4"),
    "flags": np.array([True, False]),
    "empty": np.zeros((0, 3)),
    "scalar": np.array(3.5),
    "record": np.array([(1, 2.0)], dtype=[("a", "<i2"), ("b", ">f8")]),
    "complex": np.array([1 + 2j]),
}


def test_reads_what_savez_writes_as_numpy_load_does(tmp_path):
    path = _save(tmp_path / "v.npz", **VALUES)
    got = read_arrays(path, max_bytes=1 << 20, max_entries=len(VALUES))
    with np.load(path, allow_pickle=False) as expected:
        assert sorted(got) == sorted(expected.files)
        for name in expected.files:
            np.testing.assert_array_equal(got[name], expected[name])
            assert got[name].shape == expected[name].shape
            assert got[name].dtype.newbyteorder("=") == expected[name].dtype.newbyteorder("=")
    assert got["fortran"].flags.f_contiguous and got["big"].dtype.isnative
    assert got["f8"].flags.writeable


def test_the_budget_counts_arrays_and_entries(tmp_path):
    path = tmp_path / "v.npz"
    np.savez_compressed(path, a=np.zeros(1000), b=np.zeros(10))  # a file far smaller than its data
    with pytest.raises(NpzError, match="2 entries, above the limit of 1"):
        read_arrays(path, max_bytes=1 << 20, max_entries=1)
    with pytest.raises(
        NpzError, match=r"a: shape \(1000,\) of float64 needs 8,000 bytes, above the limit of 7,999"
    ):
        read_arrays(path, max_bytes=7999, max_entries=2)
    with pytest.raises(NpzError, match="bytes, above the limit of 100$"):
        read_arrays(path, max_bytes=100, max_entries=2)  # the file itself


def test_check_sees_the_headers_before_any_data(tmp_path):
    path = _save(tmp_path / "v.npz", a=np.zeros((2, 3)))
    seen = {}

    def check(headers):
        seen.update(headers)
        raise ValueError("not wanted")

    with pytest.raises(NpzError, match="^not wanted$"):
        read_arrays(path, max_bytes=1 << 20, max_entries=2, check=check)
    assert seen["a"].shape == (2, 3) and seen["a"].nbytes == 48


def test_objects_are_never_unpickled(tmp_path):
    path = tmp_path / "o.npz"
    with open(path, "wb") as f:
        np.savez(f, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(NpzError, match="a: holds Python objects"):
        read_arrays(path, max_bytes=1 << 20, max_entries=2)


def test_a_link_is_refused_when_links_are_not_followed(tmp_path):
    real = _save(tmp_path / "v.npz", a=np.zeros(3))
    link = tmp_path / "link.npz"
    os.symlink(real, link)
    assert read_arrays(link, max_bytes=1 << 20, max_entries=2)["a"].shape == (3,)
    with pytest.raises(NpzError, match="not a regular file"):
        read_arrays(link, max_bytes=1 << 20, max_entries=2, follow_symlinks=False)


@pytest.mark.parametrize("cut", [10, 100, -30, -5])
def test_a_truncated_archive_is_one_clear_error(tmp_path, cut):
    whole = _save(tmp_path / "v.npz", a=np.arange(1000.0)).read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(whole[:cut])
    with pytest.raises(NpzError):
        read_arrays(path, max_bytes=1 << 20, max_entries=2)


def test_a_directory_larger_than_its_entry_count_allows_is_refused(tmp_path):
    """End records that claim 2 entries over a directory of 100,000: refused before listing."""
    from zip_craft import many_entries

    path = many_entries(tmp_path / "lying.npz", 100_000, claimed=2)
    with pytest.raises(
        NpzError, match=r"a zip directory of [\d,]+ bytes, above the 4,096 that 4 entries may take"
    ):
        read_arrays(path, max_bytes=64 << 20, max_entries=4)


def test_reads_the_graders_wire_files_as_wire_load_does(tmp_path):
    """General enough for the grader's wire format: the same arrays, links refused."""
    from helpers.assignments import wire

    value = {"W": np.arange(6.0).reshape(2, 3), "n": 3, "t": (np.float32(2.5), "ok", None), "b": [True]}
    path = tmp_path / "value.npz"
    wire.dump(path, value)
    arrays = read_arrays(path, max_bytes=wire.MAX_BYTES, max_entries=64, follow_symlinks=False)
    with np.load(path, allow_pickle=False) as expected:
        assert sorted(arrays) == sorted(expected.files)
        for name in expected.files:
            np.testing.assert_array_equal(arrays[name], expected[name])
