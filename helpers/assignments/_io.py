"""Reading and writing notebooks for the assignment tools (atomic writes, one-line errors)."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.atomic import write_text

#: The largest notebook read (the course's are under 1 MB with their outputs).
MAX_NOTEBOOK_BYTES = 64 * 2**20
#: The most JSON objects and lists a notebook may hold (the course's have under 1,000): a bound on
#: the memory parsing takes, checked before parsing.
MAX_CONTAINERS = 200_000


class NotANotebookError(ValueError):
    """A file that should be a Jupyter notebook is not one (unreadable, not JSON, not nbformat 4)."""


def read_regular(path: str | os.PathLike, max_bytes: int, follow: bool = True) -> bytes:
    """The bytes of ``path``, opened once without blocking on a FIFO (nor following a link unless
    ``follow``); OSError unless it is a regular file of at most ``max_bytes`` (checked on the open file)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"not a regular file (mode {stat.filemode(info.st_mode)})")
        if info.st_size > max_bytes:
            raise OSError(f"{info.st_size} bytes, more than the limit of {max_bytes}")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"more than the limit of {max_bytes} bytes")
    return data


def read_notebook(path: str | os.PathLike, data: bytes | None = None) -> NotebookNode:
    """Read and validate a notebook (upgraded to nbformat 4); NotANotebookError names the file and why.

    ``data``: the file's bytes when already read (see :func:`read_regular`).
    """
    path = Path(path)
    try:
        text = (data if data is not None else read_regular(path, MAX_NOTEBOOK_BYTES)).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise NotANotebookError(
            f"{path}: cannot be read as a notebook ({exc.__class__.__name__}: {why})"
        ) from None
    containers = text.count("{") + text.count("[")
    if containers > MAX_CONTAINERS:
        raise NotANotebookError(
            f"{path}: not a notebook the grader reads ({containers} JSON objects and lists, "
            f"more than the limit of {MAX_CONTAINERS})"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # nbformat raises JSON, schema and attribute errors alike
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise NotANotebookError(f"{path}: not a Jupyter notebook ({reason[:200]})") from None
    return nb


#: Notebooks read by :func:`read_unchanged_notebook`, by (path, inode, size, modification time).
_READ_BEFORE: dict[tuple, NotebookNode] = {}


def read_unchanged_notebook(path: str | os.PathLike) -> NotebookNode:
    """:func:`read_notebook` once per file and process while the file is unchanged: for the
    instructor's notebooks, read for every submission to tell which one it is. The notebook
    returned is shared: look, never change."""
    info = os.stat(path)
    key = (str(Path(path).absolute()), info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _READ_BEFORE:
        if len(_READ_BEFORE) > 256:
            _READ_BEFORE.clear()
        _READ_BEFORE[key] = read_notebook(path)
    return _READ_BEFORE[key]


def write_notebook(nb: NotebookNode, path: str | os.PathLike) -> Path:
    """Validate ``nb`` and write it to ``path`` atomically (nbformat 4 JSON)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = nbformat.writes(nb, version=4)
    return write_text(path, text + ("" if text.endswith("\n") else "\n"))


def require_nbgrader() -> None:
    """Raise a one-line ImportError unless nbgrader (the ``instructor`` extra) is installed."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise ImportError(
            "the assignment tools need nbgrader: pip install 'nn-from-scratch[instructor]'"
        ) from None
