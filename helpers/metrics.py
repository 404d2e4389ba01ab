"""Where the network goes wrong: confusion matrix, per-class accuracy, worst mistakes (NumPy only).

Labels are integer arrays of shape (m,); ``A2`` is the network's output (10, m), one column of
class probabilities per example.
"""

from __future__ import annotations

import numpy as np

from helpers.labels import as_labels


def _labels(name: str, y: np.ndarray, num_classes: int) -> np.ndarray:
    return as_labels(y, name=name, k=num_classes, one_hot=False)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts ``cm[i, j]`` = number of examples of true class i predicted as class j.

    y_true, y_pred: (m,) integer labels in 0..num_classes-1. Returns a (k, k) int64 array whose
    rows are true classes and columns predicted classes; it sums to m and its diagonal counts
    the correct predictions.
    """
    t = _labels("y_true", y_true, num_classes)
    p = _labels("y_pred", y_pred, num_classes)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    flat = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Accuracy on each true class: ``cm[i, i] / sum_j cm[i, j]``; (k, k) -> (k,).

    A class with no examples gets NaN.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (k, k) confusion matrix, got shape {cm.shape}")
    totals = cm.sum(axis=1).astype(np.float64)
    out = np.full(cm.shape[0], np.nan)
    np.divide(np.diag(cm), totals, out=out, where=totals > 0)
    return out


def most_confused_pairs(cm: np.ndarray, n: int = 5) -> list[tuple[int, int, int]]:
    """The n largest off-diagonal entries as ``(true, predicted, count)``, largest first.

    Pairs with a count of 0 are left out; ties are broken by (true, predicted) order.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (k, k) confusion matrix, got shape {cm.shape}")
    pairs = [
        (int(i), int(j), int(cm[i, j]))
        for i in range(cm.shape[0])
        for j in range(cm.shape[1])
        if i != j and cm[i, j] > 0
    ]
    pairs.sort(key=lambda t: (-t[2], t[0], t[1]))
    return pairs[: max(int(n), 0)]


def top_mistakes(y_true: np.ndarray, A2: np.ndarray, n: int | None = None) -> np.ndarray:
    """Indices of the misclassified examples, most confident mistake first.

    y_true (m,) labels, A2 (k, m) probabilities. A mistake is a column whose argmax differs
    from its label; its confidence is the column's largest probability. Returns at most n
    indices (all of them when n is None), sorted by confidence descending (stable for ties).
    """
    A2 = np.asarray(A2)
    if A2.ndim != 2:
        raise ValueError(f"A2 must be (classes, examples), got shape {A2.shape}")
    t = _labels("y_true", y_true, A2.shape[0])
    if t.shape[0] != A2.shape[1]:
        raise ValueError(f"y_true has {t.shape[0]} labels but A2 has {A2.shape[1]} columns")
    pred = A2.argmax(axis=0)
    wrong = np.flatnonzero(pred != t)
    confidence = A2[pred[wrong], wrong]
    order = wrong[np.argsort(-confidence, kind="stable")]
    return order if n is None else order[: max(int(n), 0)]
