"""The checks a command makes before any work: its flags, its ``--out`` folder, its memory.

Each raises :class:`helpers.errors.UsageError` (exit code 2) for a bad argument, or another
exception (exit code 1) for what the data or the machine refuse; nothing has been loaded,
trained or written when they do.
"""

from __future__ import annotations

import argparse
import math
import re
import resource
from pathlib import Path

import numpy as np

from helpers.errors import UsageError
from helpers.metrics import BLOCK_BYTES
from helpers.models import MAX_HIDDEN
from helpers.report import check_out_dir


def _positive(name: str, value) -> None:
    """UsageError unless ``--name`` is unset or above 0."""
    if value is not None and value <= 0:
        raise UsageError(f"--{name} must be positive, got {value}")


def check_train_args(args: argparse.Namespace) -> None:
    """Refuse bad ``train`` flags (UsageError, exit 2) before anything is loaded or trained."""
    for name in ("hidden", "iterations", "epochs", "batch_size", "dev_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if args.alpha is not None and not (math.isfinite(args.alpha) and args.alpha > 0):
        raise UsageError(f"--alpha must be a positive number, got {args.alpha}")
    if args.hidden is not None and args.hidden > MAX_HIDDEN:
        raise UsageError(f"--hidden must be at most {MAX_HIDDEN}, got {args.hidden}")
    if not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must lie in 0..{2**32 - 1}, got {args.seed}")
    limits = {"iterations": 1_000_000, "epochs": 10_000, "batch_size": 60_000}
    for name, limit in limits.items():
        value = getattr(args, name)
        if value is not None and value > limit:
            raise UsageError(f"--{name.replace('_', '-')} must be at most {limit:,}, got {value:,}")
    args.out_path = checked_out(args.out, "train")


def checked_out(out: str, command: str) -> Path:
    """The real path a report of ``command`` goes to; UsageError (exit 2) when ``--out`` is refused.

    Refused before any work: a file, a folder this project did not write (a user's files are
    never replaced), a report of another command, a dangling symbolic link, a mount point.
    """
    try:
        return check_out_dir(out, command)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None


def check_memory(n_hidden: int, columns: int, dtype, data_bytes: int = 0) -> None:
    """Refuse a training whose working set cannot fit the address-space limit (``ulimit -v``).

    ``columns``: the examples one step computes on (a mini-batch, or a block of the full
    batch); the final evaluation runs in blocks (:func:`helpers.metrics.predict_proba_in_blocks`).
    The estimate counts the parameters with their gradients and velocities, the hidden layer
    of one step and of one evaluation block, and ``data_bytes`` still to be allocated.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return
    try:
        status = Path("/proc/self/status").read_text()
        used = int(re.search(r"^VmSize:\s+(\d+) kB", status, re.M).group(1)) * 1024
    except (OSError, AttributeError):
        return
    itemsize = np.dtype(dtype).itemsize
    params = (784 + 1 + 10) * n_hidden * itemsize
    need = 4 * params + 4 * n_hidden * columns * itemsize + 3 * BLOCK_BYTES + data_bytes
    if used + need > soft:
        raise MemoryError(
            f"a 784-{n_hidden}-10 network on steps of {columns:,} images needs about "
            f"{need / 2**20:,.0f} MiB more, but this process may use only {max(soft - used, 0) / 2**20:,.0f} "
            "MiB more (ulimit -v): choose fewer --hidden units or a smaller --batch-size; nothing was trained"
        )


def dev_size(args: argparse.Namespace, data) -> int:
    """The dev set's size: --dev-size, else 1000 (full MNIST) or 500; refuses sizes that do not fit."""
    m = data.X_train.shape[1]
    if args.dev_size is not None:
        if args.dev_size >= m:
            raise UsageError(f"--dev-size {args.dev_size} leaves no training images out of {m:,}")
        return args.dev_size
    if m < 10:
        raise ValueError(
            f"only {m} training images in {data.source.split(' (')[0]}: too few to hold out a dev set"
        )
    return min(1000 if data.kind == "full" else 500, m // 5)
