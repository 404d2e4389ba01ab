"""The checker of notebook 06's exercise: the confusion matrix.

It calls the student's function on small fixed label arrays, compares the result with
:func:`helpers.metrics.confusion_matrix` and prints a one-line verdict (see
:mod:`helpers.checks.core`); transposed tables, row shares, fractions, an empty diagonal and
counts that overflow a byte get verdicts that name them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import expect_array, fail, succeed
from helpers.checks.training import _as_float, _close
from helpers.checks.untouched import call_untouched
from helpers.metrics import confusion_matrix

__all__ = ["check_confusion_matrix"]


def check_confusion_matrix(confusion_matrix_fn: Callable) -> None:
    """Check ``confusion_matrix(y_true, y_pred)`` -> C (10, 10), C[i, j] = examples of true
    class i predicted as j."""
    __tracebackhide__ = True  # noqa: F841
    name = "confusion_matrix"
    rng = np.random.default_rng(6)
    for m in (50, 7, 300):
        y_true = rng.integers(0, 10, m)
        y_pred = np.where(rng.random(m) < 0.6, y_true, rng.integers(0, 10, m))
        if m == 7:  # a digit that never occurs must still have its row and column
            y_true, y_pred = np.minimum(y_true, 8), np.minimum(y_pred, 8)
        if m == 300:  # one digit, always right: a count above 255, too large for a byte
            y_true, y_pred = np.full(m, 3), np.full(m, 3)
        result = call_untouched(name, confusion_matrix_fn, ("y_true", "y_pred"), y_true, y_pred)
        arr = _as_float(result)
        if arr is None:
            fail(name, f"should return a NumPy array of shape (10, 10), got {type(result).__name__}")
        expected = confusion_matrix(y_true, y_pred).astype(np.float64)
        if arr.shape == expected.shape and not _close(arr, expected):
            if _close(arr, expected.T):
                fail(name, "it looks transposed: rows should be the true digits, columns the predictions")
            rows = expected.sum(axis=1, keepdims=True)
            if _close(arr, np.divide(expected, rows, out=np.zeros_like(expected), where=rows > 0)):
                fail(name, "returned shares of each row, expected counts of examples")
            if _close(arr, expected / m):
                fail(name, "returned fractions of all examples, expected counts of examples")
            if np.all(np.diag(arr) == 0) and np.diag(expected).any():
                fail(name, "the diagonal (the correct predictions) is all zero: count every example")
            if expected.max() > 255 and _close(arr, expected % 256):
                fail(
                    name,
                    f"a count of {expected.max():g} came out as {arr.max():g}: the counts overflowed",
                )
            if arr.sum() != m:
                fail(name, f"the entries add up to {arr.sum():g}, expected {m} (one count per example)")
        expect_array(name, "C", arr, expected, hint=f"with {m} examples")
    succeed(name)
