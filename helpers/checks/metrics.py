"""Checkers of the exercises that score predictions: the confusion matrix (notebook 06),
get_predictions and get_accuracy (notebook 05).

Each calls the student's function on small fixed inputs, compares the result with
:mod:`helpers.nn` or :func:`helpers.metrics.confusion_matrix` and prints a one-line verdict (see
:mod:`helpers.checks.core`). Common mistakes get a verdict that names them: in the confusion
matrix, a transposed table, shares of each row or of all examples instead of counts, an empty
diagonal, counts that overflow a byte; in the predictions, the argmax along the wrong axis, the
largest probabilities instead of their classes, the least likely classes, classes counted from 1;
in the accuracy, a count, a percentage or the share of wrong predictions instead of the fraction
right, and a fraction rounded or cut to a whole number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import (
    _numeric,
    as_array_or_none,
    close,
    expect_array,
    expect_number,
    expect_scalar,
    first_mistake,
    shape_problem,
)
from helpers.checks.core import call_student, checker, fail, succeed
from helpers.metrics import confusion_matrix
from helpers.nn import get_accuracy, get_predictions

__all__ = ["check_confusion_matrix", "check_get_accuracy", "check_get_predictions"]


@checker
def check_confusion_matrix(confusion_matrix_fn: Callable) -> None:
    """Check ``confusion_matrix(y_true, y_pred)`` -> C (10, 10), C[i, j] = examples of true
    class i predicted as j."""
    __tracebackhide__ = True  # noqa: F841
    name = "confusion_matrix"
    rng = np.random.default_rng(6)
    for m in (50, 7, 300, 400):
        y_true = rng.integers(0, 10, m)
        y_pred = np.where(rng.random(m) < 0.6, y_true, rng.integers(0, 10, m))
        if m == 400:  # MNIST's labels are uint8
            y_true, y_pred = y_true.astype(np.uint8), y_pred.astype(np.uint8)
        if m == 7:  # a digit that never occurs must still have its row and column
            y_true, y_pred = np.minimum(y_true, 8), np.minimum(y_pred, 8)
        if m == 300:  # one digit, always right: a count above 255, too large for a byte
            y_true, y_pred = np.full(m, 3), np.full(m, 3)
        result = call_student(name, confusion_matrix_fn, y_true, y_pred, labels=("y_true", "y_pred"))
        arr = as_array_or_none(result)
        if arr is None:
            fail(name, f"should return a NumPy array of shape (10, 10), got {type(result).__name__}")
        expected = confusion_matrix(y_true, y_pred).astype(np.float64)
        if arr.shape == expected.shape and not close(arr, expected):
            rows = expected.sum(axis=1, keepdims=True)
            problem = first_mistake(
                arr,
                [
                    (
                        expected.T,
                        "it looks transposed: rows should be the true digits, columns the predictions",
                    ),
                    (
                        np.divide(expected, rows, out=np.zeros_like(expected), where=rows > 0),
                        "returned shares of each row, expected counts of examples",
                    ),
                    (expected / m, "returned fractions of all examples, expected counts of examples"),
                ],
            )
            if problem:
                fail(name, problem)
            if np.all(np.diag(arr) == 0) and np.diag(expected).any():
                fail(name, "the diagonal (the correct predictions) is all zero: count every example")
            if expected.max() > 255 and close(arr, expected % 256):
                fail(
                    name,
                    f"a count of {expected.max():g} came out as {arr.max():g}: the counts overflowed",
                )
            if arr.sum() != m:
                fail(name, f"the entries add up to {arr.sum():g}, expected {m} (one count per example)")
        expect_array(name, "C", arr, expected, hint=f"with {m} examples")
    succeed(name)


# --------------------------------------------------------------------------------------------
# get_predictions
# --------------------------------------------------------------------------------------------
def _probabilities(k: int, m: int, seed: int) -> np.ndarray:
    """A2 (k, m): random columns that sum to 1, each with a clear largest entry."""
    rng = np.random.default_rng(seed)
    A = rng.random((k, m)) + 0.1
    A[rng.integers(0, k, m), np.arange(m)] += 2.0
    return A / A.sum(axis=0, keepdims=True)


@checker
def check_get_predictions(get_predictions_fn: Callable) -> None:
    """Check ``get_predictions(A2)``: A2 (10, m) probabilities -> (m,) predicted classes."""
    __tracebackhide__ = True  # noqa: F841
    name = "get_predictions"
    for k, m, seed in ((10, 7, 0), (10, 10, 1), (10, 1, 2)):
        A2 = _probabilities(k, m, seed)
        result = call_student(name, get_predictions_fn, A2, labels=("A2",))
        arr = as_array_or_none(result)
        if arr is None:
            fail(name, f"should return a NumPy array of shape ({m},), got {type(result).__name__}")
        expected = get_predictions(A2)
        wrong_axis = A2.argmax(axis=1)
        if arr.shape == wrong_axis.shape and np.array_equal(arr, wrong_axis) and m != k:
            fail(
                name,
                f"predictions have shape {arr.shape}, expected ({m},): one prediction per example "
                f"(column of A2), taken over the {k} classes (rows)",
            )
        if arr.shape == (m,) and np.array_equal(arr, wrong_axis) and not np.array_equal(arr, expected):
            fail(name, "the argmax runs along the wrong axis: each column of A2 is one example")
        if arr.shape == (m,) and np.allclose(arr, A2.max(axis=0)):
            fail(name, "returned the largest probabilities, expected the classes (rows) that have them")
        if arr.shape == (m,) and np.array_equal(arr, A2.argmin(axis=0)):
            fail(name, "returned the classes with the smallest probabilities, expected the most likely ones")
        if arr.shape == (m,) and np.array_equal(arr, expected + 1):
            fail(name, "every prediction is one more than the most likely class: classes count from 0")
        problem = shape_problem("predictions", arr.shape, expected.shape)
        if problem:
            fail(name, problem + " (one predicted class per example)")
        expect_array(name, "predictions", arr, expected)
        kind = np.asarray(_numeric(result)).dtype
        if kind.kind not in "iu":
            fail(
                name,
                f"predictions have dtype {kind}: a class number is used as an index (a row of A2, a "
                "cell of the confusion matrix), so predictions must be integers",
            )
    succeed(name)


# --------------------------------------------------------------------------------------------
# get_accuracy
# --------------------------------------------------------------------------------------------
def _floors(get_accuracy_fn: Callable) -> bool:
    """Whether the student's function rounds fractions down to whole numbers: 0 for 2 of 3
    right, and 1 (not 0) when every prediction is right."""
    y = np.array([4, 1, 7])
    part = expect_number(
        "get_accuracy", "the accuracy", call_student("get_accuracy", get_accuracy_fn, np.array([4, 1, 0]), y)
    )
    whole = expect_number(
        "get_accuracy", "the accuracy", call_student("get_accuracy", get_accuracy_fn, y.copy(), y)
    )
    return part == 0 and whole == 1


@checker
def check_get_accuracy(get_accuracy_fn: Callable) -> None:
    """Check ``get_accuracy(predictions, Y)``: predictions (m,), labels Y (m,) -> a fraction.

    Long for its table of the known mistakes (a count, a percentage, rounding, integer division).
    """
    __tracebackhide__ = True  # noqa: F841
    name = "get_accuracy"
    rng = np.random.default_rng(0)
    cases = []
    for m, n_wrong in ((20, 6), (8, 0), (16, 16), (7, 2)):  # 5 of 7: a fraction with many digits
        y = rng.integers(0, 10, m)
        pred = y.copy()
        wrong = rng.choice(m, n_wrong, replace=False)
        pred[wrong] = (y[wrong] + rng.integers(1, 10, n_wrong)) % 10
        cases.append((pred, y))
    for pred, y in cases:
        result = call_student(name, get_accuracy_fn, pred, y, labels=("predictions", "Y"))
        arr = as_array_or_none(result)
        if arr is None or arr.size != 1:
            shape = "nothing numeric" if arr is None else f"an array of shape {arr.shape}"
            fail(name, f"should return one number (the fraction of correct predictions), got {shape}")
        value = expect_number(name, "the accuracy", result)
        expected = get_accuracy(pred, y)
        m, correct = y.size, int(np.sum(pred == y))
        if not np.isclose(value, expected):
            problem = first_mistake(
                np.float64(value),
                [
                    (
                        correct if correct != expected else None,
                        f"returned {value:g}, the number of correct predictions; expected the fraction "
                        f"of correct predictions, {expected:g} ({correct} of {m})",
                    ),
                    (
                        100 * expected,
                        f"returned {value:g}, a percentage; expected a fraction between 0 and 1",
                    ),
                    (
                        1 - expected,
                        f"returned {value:g}, the fraction of wrong predictions; expected {expected:g}",
                    ),
                ],
            )
            if problem:
                fail(name, problem)
            if any(np.isclose(value, round(expected, d), rtol=0, atol=1e-12) for d in range(4)):
                if value != np.floor(expected):
                    fail(
                        name,
                        f"returned {value:g} for {correct} of {m}: the fraction was rounded; keep all of it",
                    )
            if np.isclose(value, np.floor(expected)) and _floors(get_accuracy_fn):
                fail(
                    name,
                    f"returned {value:g} for {correct} correct out of {m}: the fraction was rounded down "
                    "to a whole number (integer division)",
                )
        expect_scalar(name, f"the accuracy of {correct} correct out of {m}", value, expected)
    succeed(name)
