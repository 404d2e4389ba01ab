"""Values sent between the grader and a student's kernel as data: ``.npz`` files, never pickle.

A value is NumPy arrays, numbers, booleans, strings, None, and tuples, lists and dicts (string
keys) of those. :func:`dump` writes ``{"tree": <JSON description>, "a0": array, ...}`` with
:func:`numpy.savez`; :func:`load` checks the file's size and its members' sizes before reading
anything, then reads it with ``allow_pickle=False``. This module imports NumPy alone, because the
kernel imports it too.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from typing import Any

import numpy as np

#: The largest file (and the largest sum of member sizes) :func:`load` accepts.
MAX_BYTES = 256 * 2**20


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


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Any:
    """Read a value written by :func:`dump`; WireError for anything else or anything too big."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):  # a link or a FIFO planted by the student's code
        raise WireError("the result is not a regular file")
    size = info.st_size
    if size > max_bytes:
        raise WireError(f"the result file is {size} bytes, more than the limit of {max_bytes}")
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(info.file_size for info in z.infolist())
        if total > max_bytes:
            raise WireError(f"the result holds {total} bytes, more than the limit of {max_bytes}")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        tree = json.loads(str(arrays.pop("tree")[()]))
    except WireError:
        raise
    except Exception as exc:  # zip, npy header, pickle refused, JSON: all mean "not our format"
        raise WireError(f"unreadable result file ({type(exc).__name__}: {str(exc)[:200]})") from None
    return _decode(tree, arrays)
