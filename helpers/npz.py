"""Reading an ``.npz`` file as untrusted input: each size is checked before it costs memory.

An ``.npz`` is a zip archive of ``.npy`` arrays. :func:`read_arrays` checks, each step before
the next one allocates anything: the file's size; the zip's end record (the number of entries
and the size of the zip directory, so millions of tiny entries are refused before they are
listed); each entry's name, compression and sizes from the directory; each array's ``.npy``
header (a plain dtype, never Python objects, and a shape of non-negative integers whose data
fits the budget); an optional check of all the headers by the caller. Only then is each
array read, in chunks, straight into its own buffer. Nothing is ever unpickled.

    arrays = read_arrays("model.npz", max_bytes=160 << 20, max_entries=4)
"""

from __future__ import annotations

import io
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_HEADER = 4096  #: the longest ``.npy`` header read (NumPy writes about 128 bytes)
_DIRECTORY_ENTRY = 1024  #: the most zip-directory bytes an entry may take (46 + name + extras)
_CHUNK = 1 << 20
_END = b"PK\x05\x06"  # the zip's end-of-directory record
_END64 = b"PK\x06\x06"  # its zip64 form, located by the record before _END
_LOCATOR64 = b"PK\x06\x07"


class NpzError(ValueError):
    """A file that is not a readable ``.npz`` within the limits; the message says why."""


@dataclass(frozen=True)
class ArrayHeader:
    """What an entry's ``.npy`` header promises: shape, dtype, order, and where its data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _directory_size(f, size: int) -> tuple[int, int]:
    """(entries, bytes) of the zip directory, from the end record alone, as zipfile finds it."""
    tail_len = min(size, 22 + 0xFFFF)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = len(tail) - 22  # zipfile first looks for a record without a comment, then searches
    if at < 0 or tail[at : at + 4] != _END or tail[-2:] != b"\0\0":
        at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        raise NpzError("not an .npz (zip) archive: it has no zip directory")
    entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
    locator = tail[at - 20 : at] if at >= 20 else b""
    if locator[:4] == _LOCATOR64:  # zip64: the true counts are in another record
        (where,) = struct.unpack("<Q", locator[8:16])
        f.seek(where)
        record = f.read(56)
        if len(record) < 56 or record[:4] != _END64:
            raise NpzError("not an .npz (zip) archive: a damaged zip64 directory record")
        entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _read_header(f, name: str) -> ArrayHeader:
    """The checked ``.npy`` header of an open entry; its length is checked before it is read."""
    head = f.read(12)
    version = tuple(head[6:8])
    if head[:6] != b"\x93NUMPY" or version not in ((1, 0), (2, 0)):
        raise NpzError(f"{name}: not an .npy array of format version 1.0 or 2.0 (starts {head[:8]!r})")
    size = 2 if version == (1, 0) else 4
    length = int.from_bytes(head[8 : 8 + size], "little")
    if length > MAX_HEADER:
        raise NpzError(f"{name}: its .npy header claims {length:,} bytes, above the limit of {MAX_HEADER:,}")
    text = head + f.read(8 + size + length - len(head))
    reader = np.lib.format.read_array_header_1_0 if size == 2 else np.lib.format.read_array_header_2_0
    stream = io.BytesIO(text)
    np.lib.format.read_magic(stream)
    try:
        shape, fortran, dtype = reader(stream, max_header_size=MAX_HEADER)
    except (ValueError, SyntaxError, TypeError, OverflowError, EOFError) as exc:
        raise NpzError(f"{name}: not a valid .npy header ({_short(exc).split(' <ast')[0]})") from None
    if dtype.hasobject:
        raise NpzError(f"{name}: holds Python objects ({dtype}), which are never loaded")
    if not isinstance(shape, tuple) or not all(type(d) is int and d >= 0 for d in shape):
        raise NpzError(f"{name}: the shape {shape!r} is not a tuple of non-negative integers")
    return ArrayHeader(shape, dtype, bool(fortran), 8 + size + length)


def _read_data(f, header: ArrayHeader) -> np.ndarray:
    """The entry's data, read in chunks into a new array (no second copy of it in memory)."""
    c_shape = header.shape[::-1] if header.fortran else header.shape
    a = np.empty(c_shape, dtype=header.dtype)
    flat = a.reshape(-1).view(np.uint8) if a.dtype.itemsize else np.empty(0, np.uint8)
    done = 0
    while done < flat.size:
        chunk = f.read(min(_CHUNK, flat.size - done))
        if not chunk:
            raise NpzError(f"the data ends after {done:,} of {flat.size:,} bytes")
        flat[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
        done += len(chunk)
    if f.read(1):
        raise NpzError(f"more data follows the {flat.size:,} bytes its header promises")
    if not a.dtype.isnative and a.dtype.fields is None and a.dtype.subdtype is None:
        a = a.byteswap(inplace=True).view(a.dtype.newbyteorder("="))
    return a.T if header.fortran else a


def _headers(zf: zipfile.ZipFile) -> dict[str, tuple[zipfile.ZipInfo, ArrayHeader]]:
    """Each entry and its parsed ``.npy`` header, from the zip directory and the headers alone."""
    infos = zf.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise NpzError("two entries have the same name")
    out = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        if name == info.filename:
            raise NpzError(f"the entry {info.filename[:60]!r} is not an .npy array")
        if info.flag_bits & 1:
            raise NpzError(f"{name}: is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise NpzError(f"{name}: compression method {info.compress_type} is not supported")
        with zf.open(info) as f:
            out[name] = (info, _read_header(f, name))
    return out


def _check_sizes(headers: dict[str, tuple[zipfile.ZipInfo, ArrayHeader]], max_bytes: int) -> None:
    """Each entry holds exactly the data its header promises, and all of it fits the budget."""
    total = 0
    for name, (info, header) in headers.items():
        total += header.nbytes
        if total > max_bytes:
            raise NpzError(
                f"{name}: shape {header.shape} of {header.dtype} needs {header.nbytes:,} bytes, "
                f"above the limit of {max_bytes:,}"
            )
        if info.file_size != header.offset + header.nbytes:
            raise NpzError(
                f"{name}: its header promises {header.nbytes:,} bytes of data but the entry holds "
                f"{info.file_size - header.offset:,}"
            )


def _check_directory(raw, size: int, max_entries: int) -> None:
    """Refuse more than ``max_entries`` entries, or a zip directory larger than they may take,
    from the zip's end record alone (before zipfile lists the directory)."""
    entries, directory = _directory_size(raw, size)
    if entries > max_entries:
        raise NpzError(f"{entries:,} entries, above the limit of {max_entries}")
    if directory > max_entries * _DIRECTORY_ENTRY:
        raise NpzError(
            f"a zip directory of {directory:,} bytes, above the {max_entries * _DIRECTORY_ENTRY:,} "
            f"that {max_entries} entries may take"
        )


def _read_entries(zf: zipfile.ZipFile, max_bytes: int, max_entries: int, check) -> dict[str, np.ndarray]:
    """The arrays of ``zf`` by name: the directory and every header checked, then the data read."""
    if len(zf.infolist()) > max_entries:
        raise NpzError(f"{len(zf.infolist()):,} entries, above the limit of {max_entries}")
    headers = _headers(zf)
    if check is not None:
        try:
            check({name: header for name, (_, header) in headers.items()})
        except NpzError:
            raise
        except ValueError as exc:
            raise NpzError(str(exc)) from None
    _check_sizes(headers, max_bytes)
    arrays = {}
    for name, (entry, header) in headers.items():
        with zf.open(entry) as f:
            f.seek(header.offset)
            arrays[name] = _read_data(f, header)
    return arrays


def read_arrays(
    path: str | os.PathLike,
    *,
    max_bytes: int,
    max_entries: int,
    check: Callable[[dict[str, ArrayHeader]], None] | None = None,
    follow_symlinks: bool = True,
) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path`` by name (``W1.npy`` -> ``"W1"``), checked first.

    ``max_bytes`` bounds the file and the sum of its arrays' sizes, ``max_entries`` the number
    of arrays; ``check(headers)`` may raise ValueError to refuse the arrays from their headers
    alone, before any data is read. ``follow_symlinks=False`` refuses anything but a regular
    file (a link planted in place of a result). Simple dtypes come back in native byte order.
    Raises NpzError (a ValueError) saying what is wrong, without the path; FileNotFoundError
    when there is no file.
    """
    path = Path(path)
    info = os.stat(path, follow_symlinks=follow_symlinks)
    if not stat.S_ISREG(info.st_mode):
        raise NpzError("not a regular file")
    if info.st_size > max_bytes:
        raise NpzError(f"{info.st_size:,} bytes, above the limit of {max_bytes:,}")
    try:
        with open(path, "rb") as raw:
            _check_directory(raw, info.st_size, max_entries)
            with zipfile.ZipFile(raw) as zf:
                return _read_entries(zf, max_bytes, max_entries, check)
    except NpzError:
        raise
    except zipfile.BadZipFile as exc:
        raise NpzError(f"not an .npz (zip) archive ({_short(exc)})") from None
    except (ValueError, SyntaxError, TypeError, OverflowError, struct.error) as exc:
        raise NpzError(_short(exc)) from None  # an .npy header NumPy cannot parse, or check()
    except (OSError, EOFError, zlib.error, NotImplementedError, RuntimeError, MemoryError) as exc:
        raise NpzError(f"unreadable ({type(exc).__name__}: {_short(exc)})") from None


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


__all__ = ["MAX_HEADER", "ArrayHeader", "NpzError", "read_arrays"]
