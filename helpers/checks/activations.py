"""Checkers for chapter 2: ReLU, its derivative, softmax and the cross-entropy loss."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import (
    as_array,
    close,
    expect_array,
    expect_number,
    expect_scalar,
    first_mistake,
    fmt,
    tolerances,
)
from helpers.checks.core import call_student, checker, fail, succeed
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


def _elementwise_inputs() -> list[tuple[str, np.ndarray]]:
    """(what, Z) for ReLU and its slope: the shapes above, then integers, float32, all zeros,
    and the extremes of float64 (the largest numbers and the smallest subnormal ones)."""
    cases = [(f"Z of shape {shape}", _mixed(shape, seed)) for shape, seed in SHAPES]
    return cases + [
        ("integer Z", np.array([[-3, 0, 2], [5, -1, 0]])),
        ("float32 Z", _mixed((4, 6), 4).astype(np.float32)),
        ("Z all zeros", np.zeros((10, 1))),
        ("Z with extreme values", np.array([[-1e300, 1e300, 5e-324, -5e-324, 0.0]])),
    ]


def _relu_problem(out: np.ndarray, Z: np.ndarray) -> str | None:
    """Name a common mistake in ``out`` (ReLU(Z), shape already right), or None."""
    expected = reference_relu(Z)
    if close(out, expected):
        return None
    neg = Z < 0
    if close(out[~neg], expected[~neg]) and not close(out[neg], np.zeros(int(neg.sum()))):
        return "wrong where Z is negative: ReLU turns every negative entry into 0, whatever its size"
    if np.all(out == np.round(out)) and np.allclose(out, np.trunc(expected), atol=1):
        return "the values were rounded to whole numbers; keep them as floats"
    return None


@checker
def check_relu(relu: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu(Z)``: max(Z, 0) element-wise, same shape as Z (any shape and dtype), Z untouched."""
    name = "relu"
    for what, Z in _elementwise_inputs():
        out = as_array(name, "ReLU(Z)", call_student(name, relu, Z, labels=("Z",)))
        if out.shape == Z.shape and np.all(np.isfinite(out)):
            problem = _relu_problem(out, Z)
            if problem:
                fail(name, f"{problem} ({what})")
        expect_array(name, "ReLU(Z)", out, reference_relu(Z), hint=what)
    succeed(name)


@checker
def check_relu_deriv(relu_deriv: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu_deriv(Z)``: 1 where Z > 0, else 0 (ReLU'(0) = 0 by the course's convention),
    same shape as Z (any shape and dtype), Z untouched."""
    name = "relu_deriv"
    for what, Z in _elementwise_inputs():
        out = as_array(name, "ReLU'(Z)", call_student(name, relu_deriv, Z, labels=("Z",)))
        expected = reference_relu_deriv(Z)
        if out.shape == Z.shape and not close(out, expected) and np.all(np.isfinite(out)):
            if close(out, reference_relu(Z)):
                fail(name, "it returns ReLU(Z) itself, expected its derivative (the slope)")
            neg = Z < 0
            if not np.allclose(out[neg], 0):
                fail(name, "wrong where Z < 0: ReLU is flat there, so what is its slope?")
            at_zero = Z == 0
            if np.allclose(out[~at_zero], expected[~at_zero]):
                fail(name, "right everywhere except at Z = 0, where the course takes ReLU'(0) = 0")
        expect_array(name, "ReLU'(Z)", out, expected, hint=what)
    succeed(name)


#: Why a column of softmax holds nan or inf.
EVERY = "every exponential of that column overflowed or underflowed"


def _softmax_inputs() -> list[tuple[str, np.ndarray, str]]:
    """(what, Z, why a result with nan or inf is wrong there) for the softmax checker."""
    return [
        ("the notes' example", NOTES_LOGITS, ""),
        ("10 x 4 logits", _mixed((10, 4), 2), ""),
        ("large logits", np.array([[1000.0, -5.0], [1001.0, 800.0], [1002.0, 790.0]]), ""),
        ("logits far apart", FAR_APART, ""),
        (
            "very negative logits (around -1000)",
            np.array([[-1000.0, -2000.0], [-1001.0, -2000.5], [-1003.0, -1999.0]]),
            "every exponential of that column underflowed to 0",
        ),
        ("integer logits", np.array([[1, 2, 3], [3, 2, 1], [0, 0, 5]]), ""),
        (
            "huge logits (around 20000)",
            np.array([[20000.0, 0.0], [20001.0, 5.0], [19990.0, 20000.0]]),
            EVERY + " (even a longer float type overflows there)",
        ),
        ("float32 logits", _mixed((10, 4), 5).astype(np.float32), ""),
    ]


@checker
def check_softmax(softmax: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``softmax(Z)`` column by column, on the notes' example, large, very negative, huge,
    integer and float32 logits."""
    name = "softmax"
    for what, Z, why in _softmax_inputs():
        A = as_array(name, "A", call_student(name, softmax, Z, labels=("Z",)))
        expected = reference_softmax(Z.astype(np.float64))
        if A.shape == expected.shape:
            if not np.all(np.isfinite(A)):
                j = int(np.argmax(~np.all(np.isfinite(A), axis=0)))
                if what == "large logits":
                    fail(name, "overflows on large logits (e.g. 1000): the result holds nan or inf")
                if what == "logits far apart":
                    fail(
                        name,
                        f"the result holds nan or inf in column {j} of logits far apart (one column near "
                        "0 beside columns near 2000, and 0 beside 2000 within a column): every "
                        "exponential of that column overflowed or underflowed",
                    )
                fail(name, f"the result holds nan or inf in column {j} of {what}: {why or EVERY}")
            sums = A.sum(axis=0)
            if not close(sums, np.ones_like(sums)):
                if close(A.sum(axis=1), np.ones(A.shape[0])):
                    fail(name, "the rows sum to 1, expected each column (one example) to sum to 1")
                j = int(np.argmax(~np.isclose(sums, 1, rtol=1e-4)))
                fail(name, f"column {j} sums to {sums[j]:.4g} on {what}, expected each column to sum to 1")
            if A.shape[0] > 1 and not close(A, expected):
                with np.errstate(all="ignore"):  # a column can underflow to 0 / 0 here
                    E = np.exp(Z - Z.max(axis=1, keepdims=True))
                    row_shifted = E / E.sum(axis=0, keepdims=True)
                if close(A, row_shifted):
                    fail(
                        name,
                        f"the values are off on {what}: each row of logits was shifted by its own amount; "
                        "a column's softmax stays the same only when all its logits move together",
                    )
        expect_array(name, "A", A, expected, hint=f"on {what}", dtype=Z.dtype)
    succeed(name)


def _loss_problem(value: float, expected: float, m: int, k: int, rtol: float, atol: float) -> str | None:
    """Name a common mistake in the loss ``value`` (expected ``expected``, m examples, k
    classes, within ``rtol`` and ``atol``), or None."""
    if close(np.float64(value), np.float64(expected), rtol=rtol, atol=atol):
        return None
    got = f"the loss is {fmt(value, expected)}, expected {fmt(expected, value)}"
    mistake = first_mistake(
        np.float64(value),
        [
            (-expected, f"{got}: the sign is flipped"),
            (expected * m if m > 1 else None, f"{got}: a total, not a mean over m = {m}"),
            (expected / k, f"{got}: divided by {k} m, expected by m"),
            (
                expected * m / k if m != k else None,
                f"{got}: divided by {k}, the number of classes, expected by m = {m}, the number of examples",
            ),
            (
                expected / np.log(10),
                f"{got}: that is the base-10 logarithm; cross-entropy uses the natural logarithm",
            ),
        ],
        rtol=rtol,
        atol=atol,
    )
    if mistake:
        return mistake
    if value < 0:
        return f"{got}: a loss is never negative (it is minus the log of a probability, at most 1)"
    if expected < 1e-6:
        return f"{got}: when the network is nearly certain and right the loss must be nearly 0"
    return None


def _loss_inputs() -> list[tuple[str, np.ndarray, np.ndarray, type]]:
    """(what, A2 (k, m), labels y (m,), dtype of the one-hot Y) for the loss checker."""
    rng = np.random.default_rng(3)
    cases = []
    for m in (5, 1):
        y = rng.integers(0, 10, m)
        cases.append((f"{m} examples", reference_softmax(rng.normal(0, 2, (10, m))), y, float))
    y = rng.integers(0, 10, 4)
    confident = np.full((10, 4), 1e-10)
    confident[y, np.arange(4)] = 1 - 9e-10  # nearly certain and right: a loss near 1e-9
    cases.append(("nearly certain and right", confident, y, float))
    # Logits 800 apart: softmax gives exactly 0 to column 0's classes 0 and 2 (column 0 is right)
    zeros = reference_softmax(np.array([[0.0, 0.0], [800.0, 5.0], [1.0, 2.0]]))
    cases.append(("probabilities with exact zeros", zeros, np.array([1, 2]), float))
    cases.append(
        (
            "float32 probabilities",
            reference_softmax(rng.normal(0, 2, (10, 6))).astype(np.float32),
            rng.integers(0, 10, 6),
            float,
        )
    )
    cases.append(
        ("an integer one-hot Y", reference_softmax(rng.normal(0, 2, (10, 3))), np.array([1, 1, 8]), np.int64)
    )
    return cases


@checker
def check_cross_entropy(cross_entropy: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """Check ``cross_entropy(A2, Y)``: mean over the m examples of -log(probability of the
    true class); A2 (k, m) probabilities (also with exact zeros, and float32), Y (k, m) one-hot;
    returns one number."""
    name = "cross_entropy"
    for what, A2, y, y_dtype in _loss_inputs():
        k, m = A2.shape
        Y = np.zeros((k, m), dtype=y_dtype)
        Y[y, np.arange(m)] = 1
        expected = reference_cross_entropy(A2.astype(np.float64), y)
        out = call_student(name, cross_entropy, A2, Y, labels=("A2", "Y"))
        arr = as_array(name, "the loss", out)
        if arr.size != 1:
            fail(name, f"should return a single number (the mean loss), got an array of shape {arr.shape}")
        value = expect_number(name, "the loss", out)
        if np.isnan(value) and what == "probabilities with exact zeros":
            fail(
                name,
                "the loss is nan on probabilities with exact zeros (softmax gives 0 to a class far below "
                "the largest logit, even in a column the network gets right): 0 times log 0 is nan, "
                "and only the true class's probability belongs in the loss",
            )
        rtol, atol = tolerances(arr, expected, dtype=A2.dtype)
        if np.isfinite(value):
            problem = _loss_problem(value, expected, m, k, rtol, atol)
            if problem:
                fail(name, f"{problem} ({what})" if what.startswith(("prob", "float", "an int")) else problem)
        expect_scalar(name, "the loss", value, expected, rtol=rtol, atol=atol)
    succeed(name)
