"""Hostile data files: sizes are checked from headers before anything is allocated or inflated.

Bombs are generated small and sparse here (a gzip stream of zeros, a sparse file), never
written at full size; the reading runs under an address-space limit (tests/bounded.py).
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from bounded import PRINT_PEAK_MIB, run_bounded

from helpers import data, kaggle_csv
from helpers.data import load_mnist, read_idx, read_kaggle_csv
from helpers.idx import MAX_IDX_BYTES


def _header(shape, type_code=0x08) -> bytes:
    return struct.pack(">HBB", 0, type_code, len(shape)) + b"".join(struct.pack(">I", n) for n in shape)


def _gzip_bomb(path: Path, head: bytes, zeros_mib: int) -> Path:
    """A gzip file: ``head`` then ``zeros_mib`` MiB of zero bytes, compressed as it is made."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as gz:
        gz.write(head)
        zeros = bytes(1 << 20)
        for _ in range(zeros_mib):
            gz.write(zeros)
    return path


def _idx(array: np.ndarray, type_code=0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0E: ">f8"}[type_code]
    return _header(array.shape, type_code) + array.astype(dtype).tobytes()


@pytest.fixture(autouse=True)
def checksums(monkeypatch) -> dict[str, str]:
    """A private copy of the checksum table, so that _fake_mnist can vouch for its files."""
    table = dict(data.MNIST_FILES)
    monkeypatch.setattr(data, "MNIST_FILES", table)
    return table


def _fake_mnist(folder: Path, m=(12, 6), gz=True, **replace: bytes) -> Path:
    """Four small IDX files under MNIST's names, made the verified copies for the test."""
    rng = np.random.default_rng(0)
    files = {}
    for split, count in zip(("train", "t10k"), m):
        files[f"{split}-images-idx3-ubyte"] = _idx(rng.integers(0, 256, (count, 28, 28)))
        files[f"{split}-labels-idx1-ubyte"] = _idx(rng.integers(0, 10, count))
    files.update(replace)
    data.MNIST_FILES.update({name: hashlib.md5(payload).hexdigest() for name, payload in files.items()})
    folder.mkdir(exist_ok=True)
    for name, payload in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (folder / name).write_bytes(payload)
    return folder


# --------------------------------------------------------------------------------------------
# Bombs: refused from the header, with memory bounded
# --------------------------------------------------------------------------------------------
def test_gzip_bomb_claiming_6_gb_is_refused_from_its_header(tmp_path):
    path = _gzip_bomb(tmp_path / "t10k-images-idx3-ubyte.gz", _header((7_700_000, 28, 28)), 64)
    assert path.stat().st_size < 200_000
    code = f"from helpers.data import read_idx\ntry:\n    read_idx({str(path)!r})\n"
    code += "except ValueError as e:\n    print(e)"
    result = run_bounded(code)
    assert result.returncode == 0, result.stderr
    assert "need 6,036,800,000 bytes, above the limit of 67,108,864 bytes" in result.stdout
    assert str(path) in result.stdout


def test_gzip_stream_longer_than_its_header_is_refused_after_one_extra_byte(tmp_path):
    """A valid MNIST header followed by far more data than it promises: never inflated whole."""
    path = _gzip_bomb(tmp_path / "t10k-labels-idx1-ubyte.gz", _header((10,)), 256)
    code = (
        f"from helpers.data import read_idx\ntry:\n    read_idx({str(path)!r})\nexcept ValueError as e:\n"
        "    print(e)\n" + PRINT_PEAK_MIB
    )
    result = run_bounded(code, mib=400)
    assert result.returncode == 0, result.stderr
    message, peak_mib = result.stdout.splitlines()
    assert "has trailing bytes after the 10 bytes" in message
    assert int(peak_mib) < 240  # 256 MiB were never inflated (NumPy and helpers alone take 100-170)


def test_sparse_6_gb_raw_file_is_refused_before_reading(tmp_path):
    bad_magic, big_header = tmp_path / "bad-magic", tmp_path / "train-images-idx3-ubyte"
    for path, head in ((bad_magic, b"\x50\x4b\x03\x04"), (big_header, _header((60000, 28, 28)))):
        with open(path, "wb") as f:
            f.write(head)
            f.truncate(6 << 30)  # sparse: no data blocks are written
    code = (
        "from helpers.data import read_idx\n"
        f"for p in ({str(bad_magic)!r}, {str(big_header)!r}):\n"
        "    try:\n        read_idx(p)\n    except ValueError as e:\n        print(e)"
    )
    result = run_bounded(code)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert "not an IDX file (magic number 504b0304" in first
    assert "has trailing bytes" in second and "6442450944" in second


def test_read_idx_limit_is_a_parameter(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(_idx(np.zeros((4, 5), np.uint8)))
    assert read_idx(path).shape == (4, 5)
    with pytest.raises(ValueError, match="need 20 bytes, above the limit of 19 bytes"):
        read_idx(path, max_bytes=19)
    assert MAX_IDX_BYTES >= 47_040_000  # MNIST's largest file fits


def test_mnist_file_larger_than_mnist_is_refused(tmp_path):
    """Each MNIST name has a known size: 60,001 labels in the test labels file are refused."""
    _fake_mnist(tmp_path, **{"t10k-labels-idx1-ubyte": _idx(np.zeros(10_001, np.uint8))})
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte.gz: dimensions \(10001,\) need 10,001 bytes"
    ):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------------------------
# Silent wrong answers: labels and pixels are checked where they enter
# --------------------------------------------------------------------------------------------
def test_idx_label_of_10_is_refused(tmp_path):
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1])
    _fake_mnist(tmp_path, **{"train-labels-idx1-ubyte": _idx(labels)})
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.gz.*labels 0\.\.10, expected 0\.\.9"):
        load_mnist(tmp_path)


@pytest.mark.parametrize(
    ("type_code", "values"), [(0x0E, np.full((12, 28, 28), 0.5)), (0x0C, np.full((12, 28, 28), -3))]
)
def test_idx_images_that_are_not_bytes_are_refused(tmp_path, type_code, values):
    _fake_mnist(tmp_path, **{"train-images-idx3-ubyte": _idx(values, type_code)})
    with pytest.raises(ValueError, match="MNIST files hold unsigned bytes"):
        load_mnist(tmp_path)


def test_the_verified_gz_is_loaded_not_a_raw_file_beside_it(tmp_path):
    """download_mnist verifies <name>.gz; a corrupt raw copy next to it must not be what loads."""
    _fake_mnist(tmp_path)
    good = load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx(np.full(12, 7)))  # a stray raw copy
    again = load_mnist(tmp_path)
    np.testing.assert_array_equal(again.y_train, good.y_train)
    assert data.find_idx(tmp_path, "train-labels-idx1-ubyte").name.endswith(".gz")


def test_one_row_csv_says_it_is_too_small_not_dev_size(tmp_path):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    (tmp_path / "train.csv").write_text(header + "\n3," + ",".join(["0"] * 784) + "\n")
    with pytest.raises(ValueError, match=r"only 1 labelled digits; at least 12 are needed") as info:
        load_mnist(tmp_path)
    assert "dev_size" not in str(info.value)


def test_huge_csv_is_refused_from_its_size(tmp_path):
    path = tmp_path / "train.csv"
    with open(path, "wb") as f:
        f.truncate(kaggle_csv.MAX_CSV_BYTES + 1)  # sparse
    with pytest.raises(ValueError, match="above the limit of 134,217,728 for a train.csv"):
        read_kaggle_csv(path)


def test_csv_with_too_many_rows_is_refused_before_parsing(tmp_path):
    path = tmp_path / "train.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    path.write_text(header + "\n" + "\n" * 70_001)
    with pytest.raises(ValueError, match="70,001 rows, above the limit of 70,000"):
        read_kaggle_csv(path)


def test_sample_notice_names_the_folder_and_the_command(tmp_path):
    d = load_mnist(tmp_path / "nowhere")
    assert f"helpers.download_mnist({str(tmp_path / 'nowhere')!r})" in d.source
    assert f"python -m helpers download --data-dir {tmp_path / 'nowhere'}" in d.source
    notebook = load_mnist("../data", source="sample")  # what the notebooks pass
    assert "helpers.download_mnist('../data')" in notebook.source


def test_corrupt_gzip_is_one_clear_error(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(_idx(np.zeros(50, np.uint8)))[:-12])
    with pytest.raises(ValueError, match=f"{path}: "):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b" + zlib.compress(b"junk"))
    with pytest.raises(ValueError, match="corrupt or truncated gzip data"):
        read_idx(path)


def test_empty_idx_images_and_a_data_file_are_named(tmp_path):
    _fake_mnist(tmp_path / "none", m=(0, 2))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: holds no images"):
        load_mnist(tmp_path / "none")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="the data folder is a file"):
        load_mnist(tmp_path / "afile")


# --------------------------------------------------------------------------------------------
# What is loaded is what was verified: the loader checks the MD5 of the bytes it reads
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("kind", ["shuffled labels", "other images of the same shape"])
def test_a_valid_idx_file_with_the_wrong_md5_is_refused(tmp_path, checksums, gz, kind):
    """Another data set under MNIST's names (Fashion-MNIST) or shuffled labels: refused by name."""
    _fake_mnist(tmp_path, gz=gz)
    rng = np.random.default_rng(1)
    if kind == "shuffled labels":
        name, other = "train-labels-idx1-ubyte", _idx(np.roll(rng.integers(0, 10, 12), 1))
    else:
        name, other = "t10k-images-idx3-ubyte", _idx(rng.integers(0, 256, (6, 28, 28)))
    path = tmp_path / (f"{name}.gz" if gz else name)
    path.write_bytes(gzip.compress(other) if gz else other)  # the table still has the first MD5
    with pytest.raises(ValueError, match=f"{path}: wrong contents: MD5 .* expected {checksums[name]}"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="wrong contents"):
        load_mnist(tmp_path, source="full")  # never the sample in its place either


REAL_MNIST = next(  # the course machines keep a copy beside the checkout (or its worktrees)
    (
        p / "shared" / "data" / "mnist"
        for p in Path(__file__).resolve().parents[2:4]
        if (p / "shared").exists()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
)


@pytest.mark.skipif(
    not (REAL_MNIST / "t10k-labels-idx1-ubyte.gz").is_file(), reason=f"no real MNIST in {REAL_MNIST}"
)
def test_real_mnist_with_shuffled_test_labels_is_refused_and_raw_copies_verify(tmp_path, monkeypatch):
    """The real table: raw files verify by the MD5 of their content, as their .gz would."""
    monkeypatch.undo()
    for name in data.MNIST_FILES:
        (tmp_path / name).write_bytes(gzip.decompress((REAL_MNIST / f"{name}.gz").read_bytes()))
    assert load_mnist(tmp_path).kind == "full"  # raw copies of the real files load
    labels = tmp_path / "t10k-labels-idx1-ubyte"
    payload = labels.read_bytes()
    shuffled = np.random.default_rng(0).permutation(np.frombuffer(payload[8:], np.uint8))
    labels.write_bytes(payload[:8] + shuffled.tobytes())
    with pytest.raises(ValueError, match=f"{labels}: wrong contents"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------------------------
# CSV: every kind of line ending counts, a byte-order mark is fine, memory stays bounded
# --------------------------------------------------------------------------------------------
CSV_HEADER = "label," + ",".join(f"pixel{i}" for i in range(784))


def _csv_rows_text(m: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    table = np.column_stack([rng.integers(0, 10, m), rng.integers(0, 256, (m, 784))])
    return [",".join(map(str, row)) for row in table], table


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_csv_rows_count_against_the_cap_whatever_their_line_ending(tmp_path, monkeypatch, ending):
    rows, table = _csv_rows_text(21)
    path = tmp_path / "train.csv"
    path.write_bytes(ending.join([CSV_HEADER, *rows]).encode() + ending.encode())
    X, y = read_kaggle_csv(path)  # each ending reads the same table
    np.testing.assert_array_equal(y, table[:, 0])
    np.testing.assert_array_equal(np.round(X.T * 255), table[:, 1:])
    monkeypatch.setattr(kaggle_csv, "MAX_CSV_ROWS", 20)
    with pytest.raises(ValueError, match="at least 21 rows, above the limit of 20"):
        read_kaggle_csv(path)


def test_csv_with_a_byte_order_mark_reads_like_one_without(tmp_path):
    rows, table = _csv_rows_text(3)
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    plain.write_text("\n".join([CSV_HEADER, *rows]) + "\n", encoding="utf-8")
    marked.write_text("\n".join([CSV_HEADER, *rows]) + "\n", encoding="utf-8-sig")
    assert marked.read_bytes()[:3] == b"\xef\xbb\xbf"
    for got, want in zip(read_kaggle_csv(marked), read_kaggle_csv(plain)):
        np.testing.assert_array_equal(got, want)


def test_csv_with_one_wide_row_is_refused_without_parsing_it(tmp_path):
    """A 32 MB row of 16 million columns would take hundreds of MiB to parse: refused by length."""
    path = tmp_path / "train.csv"
    with open(path, "wb") as f:
        f.write(CSV_HEADER.encode() + b"\n" + b"0," * (16 << 20) + b"0\n")
    result = run_bounded(
        f"from helpers.data import read_kaggle_csv\ntry:\n    read_kaggle_csv({str(path)!r})\n"
        "except ValueError as e:\n    print(e)",
        mib=300,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert f"{path}: row 1 is longer than 12,560 characters" in result.stdout


def test_csv_row_with_too_many_columns_is_named_before_parsing(tmp_path):
    rows, _ = _csv_rows_text(3)
    rows[1] += ",0"
    path = tmp_path / "train.csv"
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n")
    with pytest.raises(ValueError, match=f"{path}: row 2 has 786 columns, expected 785"):
        read_kaggle_csv(path)
