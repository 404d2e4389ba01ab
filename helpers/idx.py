"""IDX files, MNIST's format: read with every size checked before the payload is read.

An IDX file is a magic number ``0000TTDD`` (TT: the value type, DD: the number of dimensions),
DD big-endian uint32 sizes, then the values. Files may be gzip-compressed (detected by content).
The header is checked first, so a small file that claims gigabytes, a sparse file or a gzip
bomb is refused before anything is allocated or inflated.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import zlib
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


def _not_gzip(path: Path, head: bytes) -> ValueError:
    text = head[:40].decode("latin-1").strip()
    hint = " (it looks like an HTML page)" if text.lower().startswith(("<!doctype", "<html")) else ""
    return ValueError(f"{path}: named .gz but is not gzip data{hint}; starts with {text[:20]!r}")


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


def _read_idx_file(path: Path, max_bytes: int) -> np.ndarray:
    """Read an IDX file (raw or gzip), checking the header and the size limit first."""
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        if head != _GZIP_MAGIC:
            if path.suffix == ".gz":
                raise _not_gzip(path, raw.read(40))
            return _read_idx_stream(raw, path, max_bytes, os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                return _read_idx_stream(gz, path, max_bytes, None)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def parse_idx(data: bytes, name: str = "<bytes>", max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Parse IDX bytes already in memory; returns a new, writable array in native byte order."""
    return _read_idx_stream(io.BytesIO(data), name, max_bytes, len(data))


def read_idx(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into an array of the shape its header gives.

    The header is checked before the payload is read or decompressed: a payload above
    ``max_bytes`` is refused, and so is a wrong, truncated or non-IDX file, each with a
    ValueError naming the file and the problem. Returns a writable array in native byte order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such IDX file")
    return _read_idx_file(path, max_bytes)


def md5_of_payload(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES + 4096) -> str:
    """MD5 of the file's decompressed bytes (the checksum MNIST publishes), reading at most max_bytes.

    Raises ValueError for corrupt gzip data or a payload larger than ``max_bytes``.
    """
    path = Path(path)
    md5, size = hashlib.md5(), 0
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        if head != _GZIP_MAGIC and path.suffix == ".gz":
            raise _not_gzip(path, raw.read(40))
        f = gzip.GzipFile(fileobj=raw, mode="rb") if head == _GZIP_MAGIC else raw
        try:
            while chunk := f.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError(f"{path}: holds more than {max_bytes:,} bytes, the limit for this file")
                md5.update(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return md5.hexdigest()


__all__ = ["MAX_IDX_BYTES", "md5_of_payload", "parse_idx", "read_idx"]
