"""Checkers for chapter 2: ReLU, its derivative, softmax and the cross-entropy loss."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import (
    as_array,
    call_student,
    checker,
    expect_array,
    expect_scalar,
    fail,
    succeed,
)
from helpers.nn import cross_entropy as reference_cross_entropy
from helpers.nn import relu as reference_relu
from helpers.nn import relu_deriv as reference_relu_deriv
from helpers.nn import softmax as reference_softmax

#: The logits of the course notes' softmax example, as one column.
NOTES_LOGITS = np.array([[1.3], [5.1], [2.2], [0.7], [1.1]])
#: Logits 0 and 2000 apart: across columns (columns 0 and 1) and within a column (column 2).
FAR_APART = np.array([[0.0, 2000.0, 0.0], [5.0, 1999.0, 2000.0], [1.0, 2001.0, 1.0]])


def _mixed(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Fixed values of both signs with exact zeros in them, shape ``shape``."""
    Z = np.random.default_rng(seed).normal(0, 2, shape)
    Z.flat[::7] = 0.0
    return Z


#: (shape, seed) of the checkers' inputs: a batch, one column, one vector and a 3-D stack,
#: since ReLU and its slope work element-wise on arrays of any shape.
SHAPES = (((10, 5), 0), ((3, 1), 1), ((7,), 2), ((2, 3, 4), 3))


def _relu_problem(out: np.ndarray, Z: np.ndarray) -> str | None:
    """Name a common mistake in ``out`` (ReLU(Z), shape already right), or None."""
    expected = reference_relu(Z)
    if np.allclose(out, expected):
        return None
    neg = Z < 0
    if np.allclose(out[~neg], expected[~neg]) and not np.allclose(out[neg], 0):
        return "wrong where Z is negative: ReLU turns every negative entry into 0, whatever its size"
    if np.all(out == np.round(out)) and np.allclose(out, np.trunc(expected), atol=1):
        return "the values were rounded to whole numbers; keep them as floats"
    return None


@checker
def check_relu(relu: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu(Z)``: max(Z, 0) element-wise, same shape as Z (any shape), Z untouched."""
    name = "relu"
    for shape, seed in SHAPES:
        Z = _mixed(shape, seed)
        out = as_array(name, "ReLU(Z)", call_student(name, relu, Z, labels=("Z",)))
        if out.shape == Z.shape:
            problem = _relu_problem(out, Z)
            if problem:
                fail(name, f"{problem} (Z of shape {Z.shape})")
        expect_array(name, "ReLU(Z)", out, reference_relu(Z), hint=f"Z of shape {Z.shape}")
    succeed(name)


@checker
def check_relu_deriv(relu_deriv: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu_deriv(Z)``: 1 where Z > 0, else 0 (ReLU'(0) = 0 by the course's convention),
    same shape as Z (any shape), Z untouched."""
    name = "relu_deriv"
    for shape, seed in SHAPES:
        Z = _mixed(shape, seed)
        out = as_array(name, "ReLU'(Z)", call_student(name, relu_deriv, Z, labels=("Z",)))
        expected = reference_relu_deriv(Z)
        if out.shape == Z.shape and not np.allclose(out, expected):
            if np.allclose(out, reference_relu(Z)):
                fail(name, "it returns ReLU(Z) itself, expected its derivative (the slope)")
            neg = Z < 0
            if not np.allclose(out[neg], 0):
                fail(name, "wrong where Z < 0: ReLU is flat there, so what is its slope?")
            at_zero = Z == 0
            if np.allclose(out[~at_zero], expected[~at_zero]):
                fail(name, "right everywhere except at Z = 0, where the course takes ReLU'(0) = 0")
        expect_array(name, "ReLU'(Z)", out, expected, hint=f"Z of shape {Z.shape}")
    succeed(name)


@checker
def check_softmax(softmax: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``softmax(Z)`` column by column, on the notes' example and on large logits."""
    name = "softmax"
    cases = (
        ("the notes' example", NOTES_LOGITS),
        ("10 x 4 logits", _mixed((10, 4), 2)),
        ("large logits", np.array([[1000.0, -5.0], [1001.0, 800.0], [1002.0, 790.0]])),
        ("logits far apart", FAR_APART),
    )
    for what, Z in cases:
        A = as_array(name, "A", call_student(name, softmax, Z, labels=("Z",)))
        expected = reference_softmax(Z)
        if A.shape == expected.shape:
            if what == "large logits" and not np.all(np.isfinite(A)):
                fail(name, "overflows on large logits (e.g. 1000): the result holds nan or inf")
            if what == "logits far apart" and not np.all(np.isfinite(A)):
                j = int(np.argmax(~np.all(np.isfinite(A), axis=0)))
                fail(
                    name,
                    f"the result holds nan or inf in column {j} of logits far apart (one column near 0 "
                    "beside columns near 2000, and 0 beside 2000 within a column): every exponential "
                    "of that column overflowed or underflowed",
                )
            sums = A.sum(axis=0)
            if not np.allclose(sums, 1):
                if np.allclose(A.sum(axis=1), 1):
                    fail(name, "the rows sum to 1, expected each column (one example) to sum to 1")
                j = int(np.argmax(~np.isclose(sums, 1)))
                fail(name, f"column {j} sums to {sums[j]:.4g} on {what}, expected each column to sum to 1")
            if A.shape[0] > 1 and not np.allclose(A, expected):
                with np.errstate(all="ignore"):  # a column can underflow to 0 / 0 here
                    E = np.exp(Z - Z.max(axis=1, keepdims=True))
                    row_shifted = E / E.sum(axis=0, keepdims=True)
                if np.allclose(A, row_shifted):
                    fail(
                        name,
                        f"the values are off on {what}: each row of logits was shifted by its own amount; "
                        "a column's softmax stays the same only when all its logits move together",
                    )
        expect_array(name, "A", A, expected, hint=f"on {what}")
    succeed(name)


def _loss_problem(value: float, expected: float, m: int, k: int) -> str | None:
    """Name a common mistake in the loss ``value`` (expected ``expected``, m examples, k
    classes), or None."""
    got = f"the loss is {value:.4g}, expected {expected:.4g}"
    if np.isclose(value, expected, atol=1e-12):
        return None
    if np.isclose(value, -expected):
        return f"{got}: the sign is flipped"
    if m > 1 and np.isclose(value, expected * m):
        return f"{got}: a total, not a mean over m = {m}"
    if np.isclose(value, expected / k):
        return f"{got}: divided by {k} m, expected by m"
    if m != k and np.isclose(value, expected * m / k):
        return f"{got}: divided by {k}, the number of classes, expected by m = {m}, the number of examples"
    if np.isclose(value, expected / np.log(10)):
        return f"{got}: that is the base-10 logarithm; cross-entropy uses the natural logarithm"
    if expected < 1e-6:
        return f"{got}: when the network is nearly certain and right the loss must be nearly 0"
    return None


@checker
def check_cross_entropy(cross_entropy: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """Check ``cross_entropy(A2, Y)``: mean over the m examples of -log(probability of the
    true class); A2 (10, m) probabilities, Y (10, m) one-hot; returns one number."""
    name = "cross_entropy"
    rng = np.random.default_rng(3)
    cases = []
    for m in (5, 1):
        y = rng.integers(0, 10, m)
        cases.append((reference_softmax(rng.normal(0, 2, (10, m))), y))
    y = rng.integers(0, 10, 4)
    confident = np.full((10, 4), 1e-10)
    confident[y, np.arange(4)] = 1 - 9e-10  # nearly certain and right: a loss near 1e-9
    cases.append((confident, y))
    for A2, y in cases:
        k, m = A2.shape
        Y = np.zeros((k, m))
        Y[y, np.arange(m)] = 1
        out = call_student(name, cross_entropy, A2, Y, labels=("A2", "Y"))
        arr = as_array(name, "the loss", out)
        expected = reference_cross_entropy(A2, y)
        if arr.size != 1:
            fail(name, f"should return a single number (the mean loss), got an array of shape {arr.shape}")
        value = float(arr.reshape(()))
        if np.isfinite(value):
            problem = _loss_problem(value, expected, m, k)
            if problem and not np.isclose(value, expected, rtol=1e-5, atol=1e-12):
                fail(name, problem)
        expect_scalar(name, "the loss", value, expected, atol=1e-12)
    succeed(name)
