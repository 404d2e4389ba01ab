"""helpers.models: saving and loading the network's parameters, and every hostile model file.

Hostile files (bombs) are built small and sparse here, never written at full size: an .npy
header that claims a huge array, a zip entry that claims to inflate to gigabytes.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile

import numpy as np
import pytest

from helpers import models
from helpers.models import MAX_ABS_WEIGHT, MAX_HIDDEN, load_params, save_params
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


def test_save_creates_dirs(tmp_path):
    params = init_params(6, 4, 3, seed=0)
    path = save_params(tmp_path / "runs" / "model.npz", params)
    assert path == tmp_path / "runs" / "model.npz" and path.is_file()
    np.testing.assert_array_equal(load_params(path)[0], params[0])


@pytest.mark.parametrize("name", ["runs", "model", "model.txt", "model.npz.bak"])
def test_save_refuses_a_name_without_npz_and_a_folder(tmp_path, name):
    """Never another file than the one named: no ``.npz`` appended, a folder is not a file."""
    params = init_params(6, 4, 3, seed=0)
    with pytest.raises(
        ValueError, match=f"{re.escape(str(tmp_path / name))}: a model file's name ends in .npz"
    ):
        save_params(tmp_path / name, params)
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(
        IsADirectoryError, match="is a folder; name the model file, e.g. .*folder.npz/model.npz"
    ):
        save_params(tmp_path / "folder.npz", params)
    assert os.listdir(tmp_path) == ["folder.npz"] and os.listdir(tmp_path / "folder.npz") == []


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


# --------------------------------------------------------------------------------------------
# Hostile model files: sizes are checked from the headers, before anything is read
# --------------------------------------------------------------------------------------------
def _npy_header(shape, descr="<f8") -> bytes:
    """A .npy version 1.0 header for an array of ``shape``, built by hand (no data follows)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin-1")


def _zip_model(path, entries: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(f"{name}.npy", data)
    return path


def _model_entries(h=4, n=784, k=10, scale=0.1) -> dict[str, bytes]:
    entries = {}
    for name, shape in (("W1", (h, n)), ("b1", (h, 1)), ("W2", (k, h)), ("b2", (k, 1))):
        entries[name] = _npy_header(shape) + np.full(shape, scale).tobytes()
    return entries


def test_header_claiming_100_gib_is_refused_without_allocating(tmp_path):
    entries = _model_entries()
    entries["W1"] = _npy_header((4, 3_355_443_200))  # 100 GiB of float64, and no data
    path = _zip_model(tmp_path / "claims.npz", entries)
    assert path.stat().st_size < 4096
    with pytest.raises(ValueError, match=r"W1 has 3355443200 inputs; a model has 1 to 4096"):
        load_params(path)


def test_zip_bomb_entry_is_refused_before_decompressing(tmp_path):
    """An entry that inflates to 256 MiB under a header promising 32 values: never inflated."""
    path = tmp_path / "bomb.npz"
    entries = _model_entries(h=4, n=8, k=3)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("b1", "W2", "b2"):
            zf.writestr(f"{name}.npy", entries[name])
        with zf.open("W1.npy", "w", force_zip64=True) as f:  # streamed: never 256 MiB in memory
            f.write(entries["W1"][:128])
            zeros = bytes(1 << 20)
            for _ in range(256):
                f.write(zeros)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"promises 256 bytes of data but the entry holds 268,435,"):
        load_params(path)


@pytest.mark.parametrize(
    ("h", "n", "k", "words"),
    [
        (0, 784, 10, "0 hidden units; a model has 1 to 4096"),
        (MAX_HIDDEN + 1, 784, 10, f"{MAX_HIDDEN + 1} hidden units"),
        (4, 784, 1000, "W2 has 1000 outputs, expected 10"),
        (4, 784, 3, "W2 has 3 outputs, expected 10"),
        (4, 100, 10, "W1 has 100 inputs, expected 784"),
    ],
)
def test_the_cli_shapes_are_exact(tmp_path, h, n, k, words):
    path = _zip_model(tmp_path / "model.npz", _model_entries(h, n, k))
    with pytest.raises(ValueError, match=words):
        load_params(path, n_input=784, n_output=10)


def test_huge_finite_weights_are_refused(tmp_path):
    """1e38 is finite, yet W2 @ A1 overflows to inf and softmax answers NaN: refused at load."""
    path = _zip_model(tmp_path / "model.npz", _model_entries(scale=1e38))
    with pytest.raises(ValueError, match=r"W1 holds a weight of size 1e\+38, above the limit 1e\+06"):
        load_params(path)
    with pytest.raises(ValueError, match="above the limit"):
        save_params(
            tmp_path / "new.npz", tuple(np.full(s, 1e38) for s in [(4, 784), (4, 1), (10, 4), (10, 1)])
        )


def test_weights_at_the_limit_give_finite_probabilities(tmp_path):
    """The bound is a guarantee: the largest accepted weights still give finite answers."""
    from helpers.nn import predict_proba

    rng = np.random.default_rng(0)
    params = tuple(
        np.where(rng.random(s) < 0.5, -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT).astype(np.float32)
        for s in [(64, 784), (64, 1), (10, 64), (10, 1)]
    )
    loaded = load_params(save_params(tmp_path / "model.npz", params), n_input=784, n_output=10)
    A2 = predict_proba(loaded, rng.random((784, 5)).astype(np.float32))
    assert np.all(np.isfinite(A2))


def test_random_bytes_message_gives_no_unsafe_advice(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(ValueError) as info:
        load_params(path)
    assert "pickle" not in str(info.value) and str(path) in str(info.value)


def test_models_module_never_unpickles():
    source = open(models.__file__, encoding="utf-8").read()
    assert "import pickle" not in source and "allow_pickle" not in source and "np.load(" not in source


def test_a_model_file_larger_than_any_model_is_refused_from_its_size(tmp_path):
    path = tmp_path / "huge.npz"
    with open(path, "wb") as f:
        f.truncate(models.MAX_FILE_BYTES + 1)  # sparse
    with pytest.raises(ValueError, match=f"{path}: .*above the limit of 167,772,160"):
        load_params(path)


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ("(True, 784)", r"W1: the shape \(True, 784\) is not a tuple of non-negative integers"),
        ("(4, False)", r"not a tuple of non-negative integers|expected two whole numbers"),
        ("(-4, 784)", r"\(-4, 784\) is not a tuple of non-negative integers"),
        ("(4, -784)", "not a tuple of non-negative integers"),
        (f"({2**70}, 784)", rf"W1 \({2**70}, 784\)"),
        ("(4.0, 784)", r"W1: not a valid .npy header \(shape is not valid: \(4.0, 784\)\)"),
        ("(np.int64(4), 784)", r"W1: not a valid .npy header \(malformed node or string on line 1:\)"),
        ("(4, 784, 1)", "expected a 2-D array"),
        ("4", "W1: not a valid .npy header"),
        ("None", "W1: not a valid .npy header"),
    ],
)
def test_a_header_shape_that_is_not_whole_numbers_is_one_clear_error(tmp_path, shape, words):
    """Booleans, NumPy scalars, negative, huge or non-integer sizes in a header: a ValueError."""
    entries = _model_entries()
    text = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    entries["W1"] = (
        b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + bytes(8 * 4 * 784)
    )
    path = _zip_model(tmp_path / "model.npz", entries)
    with pytest.raises(ValueError, match=words) as info:
        load_params(path)
    assert str(info.value).startswith(f"{path}: not a valid model file: ") and "\n" not in str(info.value)


def test_shapes_of_booleans_are_refused_when_saving_too():
    with pytest.raises(ValueError, match="expected two whole numbers"):
        models.check_model_shapes(
            {"W1": (True, 784), "b1": (True, 1), "W2": (10, 1), "b2": (10, 1)}, None, None
        )


_LOAD_AND_PRINT = (
    "from helpers.models import load_params\n"
    "try:\n    load_params({path!r})\nexcept ValueError as e:\n    print(e)"
)


def test_a_zip_directory_of_a_million_entries_is_refused_before_it_is_listed(tmp_path):
    """58 MB of zip directory would take about 500 MiB once listed: refused from the end record."""
    from bounded import run_bounded
    from zip_craft import many_entries

    path = many_entries(tmp_path / "many.npz", 1_000_000)
    code = _LOAD_AND_PRINT.format(path=str(path))
    result = run_bounded(code, mib=400)
    assert result.returncode == 0, result.stderr[-500:]
    assert (
        result.stdout.strip() == f"{path}: not a valid model file: 1,000,000 entries, above the limit of 16"
    )


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("duplicate", "two entries have the same name"),
        ("not-npy", "is not an .npy array"),
        ("object", "holds Python objects"),
        ("long-header", "W1: its .npy header claims 4,294,967,295 bytes, above the limit of 4,096"),
        ("trailing", "W1: its header promises"),
    ],
)
def test_odd_archives_are_one_clear_error(tmp_path, case, words):
    entries = _model_entries()
    path = tmp_path / "model.npz"
    if case == "long-header":  # a version 2.0 header that claims 4 GiB of text
        entries["W1"] = b"\x93NUMPY\x02\x00" + (2**32 - 1).to_bytes(4, "little") + b"{"
    elif case == "object":
        entries["W1"] = _npy_header((4, 784), descr="|O") + bytes(8 * 4 * 784)
    elif case == "trailing":
        entries["W1"] += b"\0" * 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in entries.items():
                zf.writestr(f"{name}.npy", data)
            if case == "duplicate":
                zf.writestr("W1.npy", entries["W1"])
            if case == "not-npy":
                zf.writestr("notes.txt", b"hello")
    with pytest.raises(ValueError, match=words) as info:
        load_params(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


@pytest.mark.slow  # compresses 512 MiB of zeros to build the file
def test_an_npy_header_claiming_gigabytes_is_refused_before_it_is_inflated(tmp_path):
    """The header's own length is checked before reading it: 512 MiB of zeros stay compressed."""
    from bounded import run_bounded

    path = tmp_path / "model.npz"
    entries = _model_entries()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("b1", "W2", "b2"):
            zf.writestr(f"{name}.npy", entries[name])
        with zf.open("W1.npy", "w", force_zip64=True) as f:
            f.write(b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little"))
            zeros = bytes(1 << 20)
            for _ in range(512):
                f.write(zeros)
    code = _LOAD_AND_PRINT.format(path=str(path))
    result = run_bounded(code, mib=300)
    assert result.returncode == 0, result.stderr[-500:]
    assert "W1: its .npy header claims 2,147,483,648 bytes, above the limit of 4,096" in result.stdout
