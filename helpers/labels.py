"""The one check for class labels, used wherever labels enter the project.

Labels are a 1-D integer array ``y`` of shape (m,), one class in ``0..k-1`` per example. A
one-hot matrix ``Y`` of shape (k, m), with exactly one 1 and otherwise zeros in every column,
is accepted too and turned into labels; any other 2-D array (labels of shape (1, m),
probabilities) is refused, since reading it as one-hot would train on, or score, the wrong classes.
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
        labels = _one_hot_labels(Y, name, k)
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
    if k is not None and labels.size and Y.ndim == 1:
        low, high = Y.min(), Y.max()
        if low < 0 or high >= k:
            raise ValueError(f"{name} holds labels {low:g}..{high:g}, expected 0..{k - 1}")
    return labels


def _one_hot_labels(Y: np.ndarray, name: str, k: int | None) -> np.ndarray:
    """The labels (m,) of a one-hot Y (k, m): exactly one 1, otherwise zeros, in every column."""
    if Y.shape[0] == 1:
        raise ValueError(
            f"{name} has shape {Y.shape}: labels must be 1-D, shape (m,) (y.ravel()); "
            "a one-hot Y has one row per class"
        )
    if k is not None and Y.shape[0] != k:
        raise ValueError(f"{name} is one-hot with {Y.shape[0]} rows, expected {k} (one per class)")
    ones = Y == 1
    if Y.dtype.kind not in "iubf" or not np.all(ones | (Y == 0)) or not np.all(ones.sum(axis=0) == 1):
        raise ValueError(
            f"{name} of shape {Y.shape} is not one-hot: every column must hold exactly one 1 and "
            "zeros (probabilities such as A2 are not labels)"
        )
    return ones.argmax(axis=0).astype(np.intp, copy=False)


def as_one_hot(Y: np.ndarray, k: int, m: int, dtype: type | np.dtype = np.float64) -> np.ndarray:
    """One-hot Y (k, m) of ``dtype`` from labels (m,) in 0..k-1 or a one-hot (k, m), checked."""
    one_hot = np.zeros((k, m), dtype=dtype)
    one_hot[as_labels(Y, m, k=k), np.arange(m)] = 1
    return one_hot


__all__ = ["as_labels", "as_one_hot"]
