"""Where the course finds its files, the same way wherever a notebook or a command runs.

The MNIST folder, first that applies:

1. ``$MNIST_DATA_DIR``, when set (a folder shared by several checkouts, or outside any);
2. the checkout's ``data/`` (``make download`` fills it), when ``helpers`` runs from a checkout;
3. a per-user cache: ``$XDG_CACHE_HOME/nn-from-scratch/mnist`` (default ``~/.cache/...``).

:func:`describe_data` says in one line which folder that is, what it holds and how to fill it.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable naming the MNIST folder.
DATA_ENV = "MNIST_DATA_DIR"


def checkout_root() -> Path | None:
    """The top folder of the course's checkout this ``helpers`` runs from, or None (installed)."""
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "notebooks").is_dir():
        return repo
    return None


def user_cache_dir() -> Path:
    """The per-user MNIST cache: ``$XDG_CACHE_HOME/nn-from-scratch/mnist`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nn-from-scratch" / "mnist"


def data_dir() -> Path:
    """The MNIST folder: ``$MNIST_DATA_DIR``, else the checkout's ``data/``, else the user cache."""
    named = os.environ.get(DATA_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data"
    return user_cache_dir()


def describe_data() -> str:
    """One line: the folder :func:`data_dir` picks, whether full MNIST is there, how to get it."""
    from helpers.data import MNIST_FILES, find_idx

    folder = data_dir()
    why = (
        f"named by ${DATA_ENV}"
        if os.environ.get(DATA_ENV, "").strip()
        else "this checkout's data/"
        if checkout_root()
        else "the per-user cache"
    )
    if folder.is_dir() and all(find_idx(folder, n) for n in MNIST_FILES):
        return f"Data: full MNIST (70,000 digits) from {folder} ({why})."
    if (folder / "train.csv").is_file():
        return f"Data: Kaggle's train.csv (42,000 digits) from {folder} ({why})."
    return (
        f"Data: the 5,000-digit sample (full MNIST is not in {folder}, {why}). For all 70,000 digits "
        f"run `python -m helpers download --data-dir {folder}` in a shell, or set ${DATA_ENV} to a "
        "folder that holds them."
    )
