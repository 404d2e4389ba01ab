"""Reading and writing notebooks for the assignment tools (atomic writes, one-line errors)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.atomic import write_text


class NotANotebookError(ValueError):
    """A file that should be a Jupyter notebook is not one (unreadable, not JSON, not nbformat 4)."""


def read_notebook(path: str | os.PathLike) -> NotebookNode:
    """Read and validate a notebook (upgraded to nbformat 4); NotANotebookError names the file and why."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotANotebookError(
            f"{path}: cannot be read as a notebook ({exc.__class__.__name__}: {exc})"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # nbformat raises JSON, schema and attribute errors alike
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise NotANotebookError(f"{path}: not a Jupyter notebook ({reason[:200]})") from None
    return nb


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
