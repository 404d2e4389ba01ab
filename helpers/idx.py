"""IDX files, MNIST's format: read with every size checked before the payload is read.

An IDX file is a magic number ``0000TTDD`` (TT: the value type, DD: the number of dimensions),
DD big-endian uint32 sizes, then the values. Files may be gzip-compressed (detected by content).
:func:`verify_md5` is the one checksum test of such a file (downloads and loads both use it).
The header is checked first, so a small file that claims gigabytes, a sparse file or a gzip
bomb is refused before anything is allocated or inflated.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

# IDX type codes (third byte of the magic number) -> big-endian dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_IDX_BYTES = 64 << 20  #: :func:`read_idx` refuses larger payloads (MNIST's largest: 47 MB)
_GZIP_MAGIC = b"\x1f\x8b"


_PAGE_STARTS = ("<!doctype", "<html", "<?xml", "<error")


class ChecksumError(ValueError):
    """A file that reads well but whose MD5 is not the expected one (another file of that name)."""


def _not_gzip(path: Path, head: bytes) -> ValueError:
    text = head[:40].decode("latin-1").strip()
    hint = " (it looks like an HTML or XML page)" if text.lower().startswith(_PAGE_STARTS) else ""
    named = "named .gz but is " if path.suffix == ".gz" else ""
    return ValueError(f"{path}: {named}not gzip data{hint}; starts with {text[:20]!r}")


class _Hashing:
    """A read-only stream that feeds every byte read through it to an MD5."""

    def __init__(self, f) -> None:
        self.f, self.md5, self.size = f, hashlib.md5(), 0

    def _seen(self, data) -> None:
        self.md5.update(data)
        self.size += len(data)

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self._seen(data)
        return data

    def readinto(self, view) -> int:
        got = self.f.readinto(view)
        self._seen(view[:got])
        return got


@contextlib.contextmanager
def _payload(path: Path, gzip_required: bool) -> Iterator[tuple[_Hashing, int | None]]:
    """The file's decompressed bytes as a hashing stream, and their size when known (raw data).

    gzip is detected by content; ``gzip_required`` (a ``.gz`` name) refuses anything else.
    Corrupt gzip data becomes a ValueError naming the file.
    """
    with open(path, "rb") as raw:
        head = raw.read(64)
        raw.seek(0)
        if head[:2] != _GZIP_MAGIC:
            if gzip_required:
                raise _not_gzip(path, head)
            yield _Hashing(raw), os.fstat(raw.fileno()).st_size
            return
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield _Hashing(gz), None
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def _check_md5(path, stream: _Hashing, expected: str | None) -> None:
    """The one verdict on a checksum: a ValueError naming the file unless its MD5 is expected."""
    if expected is not None and stream.md5.hexdigest() != expected:
        raise ChecksumError(
            f"{path}: wrong contents: MD5 of its {stream.size:,} decompressed bytes is "
            f"{stream.md5.hexdigest()}, expected {expected}"
        )


def _read_exact(f, n: int, path: Path, what: str) -> bytearray:
    """Exactly n bytes from f into a new buffer, or a ValueError saying where the data ended."""
    buf = bytearray(n)
    view, done = memoryview(buf), 0
    while done < n:
        got = f.readinto(view[done:])
        if not got:
            raise ValueError(f"{path}: truncated: {what} needs {n:,} bytes, the data ends after {done:,}")
        done += got
    return buf


def _read_idx_stream(f, path, max_bytes: int, size: int | None) -> np.ndarray:
    """Read IDX from the stream f: header, size checks, then exactly the payload it announces.

    ``size``: the stream's total length when known (raw data), checked before the payload.
    """
    magic = f.read(4)
    if len(magic) < 4:
        raise ValueError(f"{path}: too short for an IDX file ({len(magic)} bytes)")
    zero, type_code, ndim = int.from_bytes(magic[:2], "big"), magic[2], magic[3]
    if zero != 0 or type_code not in _IDX_DTYPES or not 1 <= ndim <= 4:
        raise ValueError(
            f"{path}: not an IDX file (magic number {magic.hex()}; expected 0000, a type code "
            f"in {sorted(f'{t:02x}' for t in _IDX_DTYPES)} and 1 to 4 dimensions)"
        )
    dims = _read_exact(f, 4 * ndim, path, f"a header of {ndim} dimensions")
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[type_code]
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if nbytes > max_bytes:
        raise ValueError(
            f"{path}: dimensions {shape} need {nbytes:,} bytes, above the limit of "
            f"{max_bytes:,} bytes for this file"
        )
    expected = 4 + 4 * ndim + nbytes
    if size is not None and size != expected:
        what = "truncated" if size < expected else "has trailing bytes"
        raise ValueError(f"{path}: {what}: dimensions {shape} need {expected} bytes, the file has {size}")
    payload = _read_exact(f, nbytes, path, f"dimensions {shape}")
    if f.read(1):
        raise ValueError(f"{path}: has trailing bytes after the {nbytes:,} bytes of dimensions {shape}")
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)  # writable: payload is a bytearray
    return array.astype(dtype.newbyteorder("=")) if dtype.itemsize > 1 else array


def parse_idx(data: bytes, name: str = "<bytes>", max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Parse IDX bytes already in memory; returns a new, writable array in native byte order."""
    return _read_idx_stream(io.BytesIO(data), name, max_bytes, len(data))


def read_idx(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES, md5: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into an array of the shape its header gives.

    The header is checked before the payload is read or decompressed: a payload above
    ``max_bytes`` is refused, and so is a wrong, truncated or non-IDX file, each with a
    ValueError naming the file and the problem. ``md5``: the expected MD5 of the decompressed
    bytes, computed on the bytes as they are read (no second pass); a file whose bytes differ
    is refused. Returns a writable array in native byte order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such IDX file")
    with _payload(path, path.suffix == ".gz") as (f, size):
        array = _read_idx_stream(f, path, max_bytes, size)
    _check_md5(path, f, md5)
    return array


def verify_md5(path: str | os.PathLike, expected: str, max_bytes: int, gzip_required: bool = False) -> None:
    """Raise ValueError (:class:`ChecksumError` for a wrong MD5) naming ``path`` unless the MD5
    of its decompressed bytes is ``expected``.

    The checksum MNIST publishes is that of the decompressed file, so a raw ``<name>`` and its
    ``<name>.gz`` verify against the same value. At most ``max_bytes`` are inflated: a gzip
    bomb is refused after ``max_bytes``. A ``.gz`` name (or ``gzip_required``) must hold gzip
    data; an HTML or XML error page saved under the name is recognised as such.
    """
    path = Path(path)
    with _payload(path, gzip_required or path.suffix == ".gz") as (f, _):
        while f.read(1 << 20):
            if f.size > max_bytes:
                raise ValueError(f"{path}: decompresses to more than {max_bytes:,} bytes, its limit")
    _check_md5(path, f, expected)


__all__ = ["MAX_IDX_BYTES", "ChecksumError", "parse_idx", "read_idx", "verify_md5"]
