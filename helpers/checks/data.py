"""Checkers for chapter 0: scaling the pixels and one-hot labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import as_array, call_student, expect_array, fail, succeed
from helpers.data import one_hot as reference_one_hot


def _raw_rows(m: int, seed: int) -> np.ndarray:
    """Fake raw images: (m, 784) uint8 in 0..255, including both ends of the range."""
    rows = np.random.default_rng(seed).integers(0, 256, size=(m, 784), dtype=np.uint8)
    rows[0, :2] = (0, 255)
    return rows


def check_scale_pixels(scale_pixels: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``scale_pixels(rows)``: uint8 pixels 0..255 of any shape -> floats in [0, 1]."""
    name = "scale_pixels"
    for m in (3, 7):
        rows = _raw_rows(m, seed=m)
        before = rows.copy()
        out = call_student(name, scale_pixels, rows)
        arr = as_array(name, "the result", out)
        if not np.array_equal(rows, before):
            fail(name, "it changed its input array; return a new array instead")
        if arr.shape == rows.shape and np.issubdtype(np.asarray(out).dtype, np.integer):
            fail(name, f"the result has integer dtype {np.asarray(out).dtype}, expected floats in [0, 1]")
        if arr.shape == rows.shape and arr.max() > 1:
            fail(name, f"the result reaches {arr.max():g}, expected values in [0, 1] (255 must become 1.0)")
        expect_array(name, "the result", arr, rows / 255.0)
    succeed(name)


def check_one_hot(one_hot: Callable[..., np.ndarray]) -> None:
    """Check ``one_hot(y)``: labels y (m,) -> Y (10, m) with Y[y[i], i] = 1 and zeros elsewhere."""
    name = "one_hot"
    for y in (np.array([5, 0, 4, 1, 9, 2, 1, 3]), np.array([7]), np.arange(10)[::-1].copy()):
        out = call_student(name, one_hot, y)
        arr = as_array(name, "Y", out)
        expected = reference_one_hot(y)
        if arr.shape == expected.shape:
            sums = arr.sum(axis=0)
            if not np.allclose(sums, 1):
                j = int(np.argmax(~np.isclose(sums, 1)))
                fail(name, f"column {j} of Y sums to {sums[j]:g}, expected exactly one 1 per column")
        expect_array(name, "Y", arr, expected, hint=f"for labels y = {y.tolist()}")
    succeed(name)
