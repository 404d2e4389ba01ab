"""Checkers for chapter 2: ReLU, its derivative, softmax and the cross-entropy loss."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import (
    as_array,
    call_student,
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


def _mixed(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Fixed values of both signs with exact zeros in them, shape ``shape``."""
    Z = np.random.default_rng(seed).normal(0, 2, shape)
    Z.flat[::7] = 0.0
    return Z


def _check_unchanged(name: str, func: Callable, Z: np.ndarray) -> np.ndarray:
    """Call ``func(Z)`` on Z itself and fail when it modified Z in place."""
    before = Z.copy()
    out = call_student(name, func, Z, _copy_args=False)
    if not np.array_equal(Z, before):
        fail(name, "it changed its input Z in place; return a new array instead")
    return out


def check_relu(relu: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu(Z)``: max(Z, 0) element-wise, same shape as Z, Z itself untouched."""
    name = "relu"
    for shape, seed in (((10, 5), 0), ((3, 1), 1)):
        Z = _mixed(shape, seed)
        out = _check_unchanged(name, relu, Z)
        expect_array(name, "ReLU(Z)", out, reference_relu(Z))
    succeed(name)


def check_relu_deriv(relu_deriv: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``relu_deriv(Z)``: 1 where Z > 0, else 0 (ReLU'(0) = 0 by the course's convention)."""
    name = "relu_deriv"
    for shape, seed in (((10, 5), 0), ((3, 1), 1)):
        Z = _mixed(shape, seed)
        out = as_array(name, "ReLU'(Z)", _check_unchanged(name, relu_deriv, Z))
        expected = reference_relu_deriv(Z)
        if out.shape == Z.shape:
            if np.allclose(out, reference_relu(Z)):
                fail(name, "it returns ReLU(Z) itself, expected its derivative (the slope)")
            at_zero = Z == 0
            if np.allclose(out[~at_zero], expected[~at_zero]) and not np.allclose(out, expected):
                fail(name, "right everywhere except at Z = 0, where the course takes ReLU'(0) = 0")
        expect_array(name, "ReLU'(Z)", out, expected)
    succeed(name)


def check_softmax(softmax: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``softmax(Z)`` column by column, on the notes' example and on large logits."""
    name = "softmax"
    cases = (
        ("the notes' example", NOTES_LOGITS),
        ("10 x 4 logits", _mixed((10, 4), 2)),
        ("large logits", np.array([[1000.0, -5.0], [1001.0, 800.0], [1002.0, 790.0]])),
    )
    for what, Z in cases:
        A = as_array(name, "A", _check_unchanged(name, softmax, Z))
        expected = reference_softmax(Z)
        if A.shape == expected.shape:
            if what == "large logits" and not np.all(np.isfinite(A)):
                fail(name, "overflows on large logits (e.g. 1000): the result holds nan or inf")
            sums = A.sum(axis=0)
            if not np.allclose(sums, 1):
                if np.allclose(A.sum(axis=1), 1):
                    fail(name, "the rows sum to 1, expected each column (one example) to sum to 1")
                j = int(np.argmax(~np.isclose(sums, 1)))
                fail(name, f"column {j} sums to {sums[j]:.4g} on {what}, expected each column to sum to 1")
        expect_array(name, "A", A, expected, hint=f"on {what}")
    succeed(name)


def check_cross_entropy(cross_entropy: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """Check ``cross_entropy(A2, Y)``: mean over the m examples of -log(probability of the
    true class); A2 (10, m) probabilities, Y (10, m) one-hot; returns one number."""
    name = "cross_entropy"
    rng = np.random.default_rng(3)
    for m in (5, 1):
        A2 = reference_softmax(rng.normal(0, 2, (10, m)))
        y = rng.integers(0, 10, m)
        Y = np.zeros((10, m))
        Y[y, np.arange(m)] = 1
        out = call_student(name, cross_entropy, A2, Y)
        arr = as_array(name, "the loss", out)
        expected = reference_cross_entropy(A2, y)
        if arr.size != 1:
            fail(name, f"should return a single number (the mean loss), got an array of shape {arr.shape}")
        value = float(arr.reshape(()))
        if np.isclose(value, -expected):
            fail(name, f"the loss is {value:.4g}, expected {expected:.4g}: the sign is flipped")
        if m > 1 and np.isclose(value, expected * m):
            fail(name, f"the loss is {value:.4g}, expected {expected:.4g}: a total, not a mean over m = {m}")
        if np.isclose(value, expected / 10):
            fail(name, f"the loss is {value:.4g}, expected {expected:.4g}: divided by 10 m, expected by m")
        expect_scalar(name, "the loss", value, expected)
    succeed(name)
