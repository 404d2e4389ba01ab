"""helpers.models: saving and loading the network's parameters, and every hostile model file.

Hostile files (bombs) are built small and sparse here, never written at full size: an .npy
header that claims a huge array, a zip entry that claims to inflate to gigabytes.
"""

from __future__ import annotations

import os
import re
import zipfile

import numpy as np
import pytest

from helpers.models import load_params, save_params
from helpers.nn import init_params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_load_round_trip(tmp_path, dtype):
    params = init_params(784, 12, 10, seed=3, scheme="notes", dtype=dtype)
    path = save_params(tmp_path / "model.npz", params)
    assert path == tmp_path / "model.npz"
    assert zipfile.is_zipfile(path)
    loaded = load_params(path)
    assert len(loaded) == 4
    for p, q in zip(params, loaded):
        assert q.dtype == p.dtype and q.shape == p.shape
        np.testing.assert_array_equal(q, p)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temp files left behind


def test_save_adds_npz_suffix_and_creates_dirs(tmp_path):
    params = init_params(6, 4, 3, seed=0)
    path = save_params(tmp_path / "runs" / "model", params)
    assert path == tmp_path / "runs" / "model.npz" and path.is_file()
    np.testing.assert_array_equal(load_params(path)[0], params[0])


def test_save_overwrites_atomically(tmp_path):
    first, second = init_params(6, 4, 3, seed=0), init_params(6, 4, 3, seed=1)
    path = save_params(tmp_path / "model.npz", first)
    save_params(path, second)
    np.testing.assert_array_equal(load_params(path)[2], second[2])
    assert os.listdir(tmp_path) == ["model.npz"]


@pytest.mark.parametrize("problem", ["wrong-shapes", "nan", "integer", "not-an-array"])
def test_failed_save_leaves_existing_file_untouched(tmp_path, problem):
    good = init_params(6, 4, 3, seed=0)
    path = save_params(tmp_path / "model.npz", good)
    before = path.read_bytes()
    W1, b1, W2, b2 = good
    bad = {
        "wrong-shapes": (W1, b1, np.zeros((3, 5)), b2),
        "nan": (W1, b1, np.full_like(W2, np.nan), b2),
        "integer": (W1.astype(int), b1, W2, b2),
        "not-an-array": (W1, b1, W2.tolist(), b2),
    }[problem]
    with pytest.raises((ValueError, TypeError)):
        save_params(path, bad)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def _write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _good_arrays():
    return dict(zip(("W1", "b1", "W2", "b2"), init_params(6, 4, 3, seed=0)))


class _Exploit:
    """Unpickling this creates a directory: proof that a pickle was executed."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (self.target,))


def _bad_model(tmp_path, case: str):
    path = tmp_path / f"{case}.npz"
    good = _good_arrays()
    if case == "text":
        path.write_text("this is not a model\n")
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "truncated-zip":
        _write_npz(path, **good)
        path.write_bytes(path.read_bytes()[:100])
    elif case == "plain-npy":
        with open(path, "wb") as f:
            np.save(f, good["W1"])
    elif case == "missing-array":
        _write_npz(path, **{k: v for k, v in good.items() if k != "b2"})
    elif case == "extra-array":
        _write_npz(path, **good, W3=np.zeros((2, 2)))
    elif case == "renamed-arrays":
        _write_npz(path, **{k.lower(): v for k, v in good.items()})
    elif case == "shapes-do-not-fit":
        _write_npz(path, **{**good, "W2": np.zeros((3, 5))})
    elif case == "bias-as-row":
        _write_npz(path, **{**good, "b1": good["b1"].T})
    elif case == "integer-dtype":
        _write_npz(path, **{**good, "W1": good["W1"].astype(np.int64)})
    elif case == "nan":
        _write_npz(path, **{**good, "b2": np.full((3, 1), np.nan)})
    elif case == "inf":
        _write_npz(path, **{**good, "W1": np.full((4, 6), np.inf)})
    elif case == "object-array":
        _write_npz(path, **{**good, "W1": np.array([_Exploit(str(tmp_path / "pwned"))], dtype=object)})
    elif case == "raw-pickle":
        import pickle  # only to build the hostile file; the code under test must not unpickle

        path.write_bytes(pickle.dumps(_Exploit(str(tmp_path / "pwned"))))
    return path


BAD_MODELS = [
    "text",
    "empty",
    "truncated-zip",
    "plain-npy",
    "missing-array",
    "extra-array",
    "renamed-arrays",
    "shapes-do-not-fit",
    "bias-as-row",
    "integer-dtype",
    "nan",
    "inf",
    "object-array",
    "raw-pickle",
]


@pytest.mark.parametrize("case", BAD_MODELS)
def test_load_params_rejects_bad_files(tmp_path, case):
    path = _bad_model(tmp_path, case)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_params(path)
    assert not (tmp_path / "pwned").exists(), "a pickle inside the file was executed"


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing-array", "b2"),
        ("extra-array", "W3"),
        ("shapes-do-not-fit", r"do not fit together: .*W2 \(3, 5\)"),
        ("integer-dtype", "W1 has dtype int64"),
        ("nan", "b2 holds NaN"),
    ],
)
def test_load_params_messages_say_what_is_wrong(tmp_path, case, words):
    with pytest.raises(ValueError, match=words):
        load_params(_bad_model(tmp_path, case))


def test_load_params_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "none.npz"))):
        load_params(tmp_path / "none.npz")

