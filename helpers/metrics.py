"""Where the network goes wrong: confusion matrix, per-class accuracy, worst mistakes (NumPy only).

Labels are integer arrays of shape (m,); ``A2`` is the network's output (10, m), one column of
class probabilities per example.
"""

from __future__ import annotations

import numpy as np

from helpers.labels import as_labels

#: Bytes of the hidden layer that one block of :func:`predict_proba_in_blocks` may take.
BLOCK_BYTES = 32 << 20


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


def predict_proba_in_blocks(params, X: np.ndarray, block_bytes: int = BLOCK_BYTES) -> np.ndarray:
    """The network's probabilities A2 (k, m) for X (n, m), computed a block of columns at a time.

    params: (W1 (h, n), b1, W2 (k, h), b2). The hidden layer of a block, h x columns, stays
    under ``block_bytes``, so memory grows with k x m (the output), not h x m: a 4096-unit
    network evaluates 59,000 images in a few tens of MiB instead of about 2 GiB.
    """
    from helpers.nn import predict_proba

    W1, W2 = params[0], params[2]
    m = X.shape[1] if np.ndim(X) == 2 else 0
    per_column = max(W1.shape[0], 1) * max(np.dtype(W1.dtype).itemsize, 1)
    block = max(1, min(m, int(block_bytes) // per_column)) if m else 1
    if m <= block:
        return predict_proba(params, X)
    A2 = np.empty((W2.shape[0], m), dtype=np.result_type(W2.dtype, X.dtype))
    for start in range(0, m, block):
        A2[:, start : start + block] = predict_proba(params, X[:, start : start + block])
    return A2


def evaluate_in_blocks(params, X: np.ndarray, y: np.ndarray, block_bytes: int = BLOCK_BYTES):
    """``(loss, accuracy, A2)`` of the network on X (n, m), labels y (m,), in blocks of columns.

    The same loss and accuracy as :func:`helpers.nn.evaluate`, with the memory of
    :func:`predict_proba_in_blocks`; A2 (k, m) is returned for the report's figures.
    """
    from helpers.nn import cross_entropy, get_accuracy, get_predictions

    A2 = predict_proba_in_blocks(params, X, block_bytes)
    return cross_entropy(A2, y), get_accuracy(get_predictions(A2), y), A2
