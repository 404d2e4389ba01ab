"""The one check for class labels, used wherever labels enter the project.

Labels are a 1-D integer array ``y`` of shape (m,), one class in ``0..k-1`` per example; a
one-hot matrix ``Y`` of shape (k, m) is accepted too and turned into labels.
"""

from __future__ import annotations

import numpy as np


def as_labels(
    Y: np.ndarray,
    m: int | None = None,
    name: str = "Y",
    *,
    k: int | None = None,
    one_hot: bool = True,
) -> np.ndarray:
    """Integer labels of shape (m,) (dtype intp) from labels (m,) or a one-hot matrix (k, m).

    ``m``: the number of examples expected; ``k``: the number of classes, so every label must
    lie in ``0..k-1`` (for a one-hot matrix, k is also its number of rows). ``one_hot=False``
    refuses 2-D input. Float labels are accepted when they are whole numbers. Anything else
    raises a ValueError naming ``name`` and the problem.
    """
    Y = np.asarray(Y)
    if Y.ndim == 2 and one_hot:
        if k is not None and Y.shape[0] != k:
            raise ValueError(f"{name} is one-hot with {Y.shape[0]} rows, expected {k} (one per class)")
        labels = Y.argmax(axis=0).astype(np.intp, copy=False)
    elif Y.ndim == 1:
        if Y.dtype.kind not in "iub":
            if Y.dtype.kind != "f":
                raise ValueError(f"{name} must hold integer labels, got dtype {Y.dtype}")
            whole = Y == np.round(Y)  # False for NaN
            if Y.size and not np.all(whole):
                raise ValueError(f"{name} holds non-integer labels, e.g. {Y[~whole][0]}")
        labels = Y.astype(np.intp, copy=False)
    else:
        shapes = "(m,) or one-hot (k, m)" if one_hot else "(m,)"
        raise ValueError(f"{name} must be labels of shape {shapes}, got shape {Y.shape}")
    if m is not None and labels.shape[0] != m:
        raise ValueError(f"{name} has {labels.shape[0]} examples, expected {m} (one per column of X)")
    if k is not None and labels.size:
        low, high = Y.min() if Y.ndim == 1 else 0, Y.max() if Y.ndim == 1 else 0
        if low < 0 or high >= k:
            raise ValueError(f"{name} holds labels {low:g}..{high:g}, expected 0..{k - 1}")
    return labels


__all__ = ["as_labels"]
