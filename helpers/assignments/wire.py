"""Values sent between the grader and a student's kernel as data: ``.npz`` files, never pickle.

A value is NumPy arrays, numbers, booleans, strings, None, and tuples, lists and dicts (string
keys) of those. :func:`dump` writes ``{"tree": <JSON description>, "a0": array, ...}`` with
:func:`numpy.savez`; :func:`load` checks the file's size and its members' sizes before reading
anything, then reads it with ``allow_pickle=False``. This module imports NumPy alone, because the
kernel imports it too.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import zipfile
from typing import Any

import numpy as np

#: The largest file (and the largest sum of member sizes) :func:`load` accepts.
MAX_BYTES = 256 * 2**20
#: The most array values :func:`load` accepts in one file (2**25 float64 values are 256 MiB).
MAX_ELEMENTS = 2**25


class WireError(ValueError):
    """A file that is not a valid value file (too big, not npz, object arrays, bad tree)."""


def _encode(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, np.ndarray | np.generic) and not isinstance(value, np.bool_ | np.str_):
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise TypeError("an array of Python objects")
        arrays.append(arr)
        return {"t": "a" if isinstance(value, np.ndarray) else "s", "i": len(arrays) - 1}
    if value is None or isinstance(value, bool | np.bool_):
        return {"t": "v", "v": None if value is None else bool(value)}
    if isinstance(value, int):
        return {"t": "v", "v": value} if abs(value) < 2**63 else {"t": "v", "v": float(value)}
    if isinstance(value, float | str | np.str_):
        return {
            "t": "v",
            "v": value if not isinstance(value, float) else repr(value),
            "f": isinstance(value, float),
        }
    if isinstance(value, tuple | list):
        return {
            "t": "tuple" if isinstance(value, tuple) else "list",
            "v": [_encode(v, arrays) for v in value],
        }
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"t": "dict", "v": {k: _encode(v, arrays) for k, v in value.items()}}
    raise TypeError(f"a {type(value).__name__}")


def _decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if not isinstance(tree, dict) or "t" not in tree:
        raise WireError("malformed value description")
    kind = tree["t"]
    if kind in ("a", "s"):
        arr = arrays.get(f"a{int(tree['i'])}")
        if arr is None:
            raise WireError("a value refers to a missing array")
        return arr if kind == "a" else arr[()]
    if kind == "v":
        return float(tree["v"]) if tree.get("f") else tree["v"]
    if kind in ("tuple", "list"):
        items = [_decode(v, arrays) for v in tree["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {str(k): _decode(v, arrays) for k, v in tree["v"].items()}
    raise WireError(f"unknown kind {kind!r}")


def dump(path: str | os.PathLike, value: Any) -> None:
    """Write ``value`` to ``path`` (.npz); TypeError names the first part that is not data."""
    arrays: list[np.ndarray] = []
    tree = _encode(value, arrays)
    with open(path, "wb") as f:
        np.savez(f, tree=np.array(json.dumps(tree)), **{f"a{i}": a for i, a in enumerate(arrays)})


def _check_members(f: Any, max_bytes: int, max_elements: int) -> None:
    """WireError unless every member is a .npy whose header declares plain data within the limits."""
    total = elements = 0
    with zipfile.ZipFile(f) as z:
        for info in z.infolist():
            total += info.file_size
            if total > max_bytes:
                raise WireError(f"the result holds more than the limit of {max_bytes} bytes")
            with z.open(info) as member:
                version = np.lib.format.read_magic(member)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read_header(member)
            if dtype.hasobject:
                raise WireError("the result holds an array of Python objects")
            count = int(np.prod(shape, dtype=object))
            elements += count if info.filename != "tree.npy" else 0
            if elements > max_elements or count * dtype.itemsize > max_bytes:
                raise WireError(f"the result holds more than {max_elements} values (or {max_bytes} bytes)")


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES, max_elements: int = MAX_ELEMENTS) -> Any:
    """Read a value written by :func:`dump`; WireError for anything else or anything too big.

    The file is opened once (not following a link, not blocking on a FIFO) and everything is
    checked on that open file: its size, its members' sizes and their arrays' declared shapes
    (at most ``max_elements`` values in all, so a big result of small integers cannot become
    gigabytes of floats in a checker), before any array is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        why = (
            "not a regular file (a link)"
            if exc.errno == errno.ELOOP
            else f"cannot be opened ({exc.strerror})"
        )
        raise WireError(f"the result is {why}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device planted by the student's code
            raise WireError("the result is not a regular file")
        if info.st_size > max_bytes:
            raise WireError(f"the result file is {info.st_size} bytes, more than the limit of {max_bytes}")
        try:
            _check_members(f, max_bytes, max_elements)
            f.seek(0)
            with np.load(f, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            tree = json.loads(str(arrays.pop("tree")[()]))
        except WireError:
            raise
        except Exception as exc:  # zip, npy header, pickle refused, JSON: all mean "not our format"
            raise WireError(f"unreadable result file ({type(exc).__name__}: {str(exc)[:200]})") from None
    return _decode(tree, arrays)
