"""Values sent between the grader and a student's kernel as data: ``.npz`` files, never pickle.

A value is NumPy arrays, numbers, booleans, strings, None, and tuples, lists and dicts (string
keys) of those. :func:`dump` writes ``{"tree": <JSON description>, "a0": array, ...}`` with
:func:`numpy.savez`; :func:`load` reads it with :func:`helpers.npz.read_arrays`, which checks
every size before reading anything and never unpickles. This module imports NumPy and
:mod:`helpers.npz` alone, because the kernel imports it too.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from typing import Any

import numpy as np

from helpers.npz import NpzError, read_arrays

#: The largest file (and the largest sum of member sizes) :func:`load` accepts.
MAX_BYTES = 256 * 2**20
#: The most array values :func:`load` accepts in one file (2**25 float64 values are 256 MiB).
MAX_ELEMENTS = 2**25
#: The most arrays one file may hold.
MAX_ENTRIES = 4096
#: Where an open file descriptor can be opened again as the same file.
_FD_FOLDER = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"


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


def _count_values(headers: dict, max_elements: int) -> None:
    """ValueError when the arrays (not the tree) declare more than ``max_elements`` values."""
    values = sum(math.prod(h.shape) for name, h in headers.items() if name != "tree")
    if values > max_elements:
        raise ValueError(f"the result holds more than {max_elements} values")


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES, max_elements: int = MAX_ELEMENTS) -> Any:
    """Read a value written by :func:`dump`; WireError for anything else or anything too big.

    The file is opened once (not following a link, not blocking on a FIFO) and read through that
    open file by :func:`helpers.npz.read_arrays`, which checks its size, its entries and their
    arrays' declared shapes before reading any array; at most ``max_elements`` values in all, so
    a big result of small integers cannot become gigabytes of floats in a checker.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        link = exc.errno == errno.ELOOP
        why = "not a regular file (a link)" if link else f"cannot be opened ({exc.strerror})"
        raise WireError(f"the result is {why}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device planted by the student's code
            raise WireError("the result is not a regular file")
        # The open file itself (its /proc/self/fd link), so the file cannot be swapped meanwhile.
        arrays = read_arrays(
            f"{_FD_FOLDER}/{fd}",
            max_bytes=max_bytes,
            max_entries=MAX_ENTRIES,
            check=lambda headers: _count_values(headers, max_elements),
        )
        tree = json.loads(str(arrays.pop("tree")[()]))
    except NpzError as exc:
        raise WireError(f"unreadable result file ({exc})") from None
    except (KeyError, ValueError) as exc:  # no tree, or a tree that is not JSON
        raise WireError(f"unreadable result file ({type(exc).__name__}: {str(exc)[:200]})") from None
    finally:
        os.close(fd)
    return _decode(tree, arrays)
