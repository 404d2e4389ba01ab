"""Checkers for chapter 0: scaling the pixels and one-hot labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import as_array, expect_array
from helpers.checks.core import call_student, checker, fail, succeed
from helpers.data import one_hot as reference_one_hot


def _raw_rows(m: int, seed: int) -> np.ndarray:
    """Fake raw images: (m, 784) uint8 in 0..255, including both ends of the range."""
    rows = np.random.default_rng(seed).integers(0, 256, size=(m, 784), dtype=np.uint8)
    rows[0, :2] = (0, 255)
    return rows


def _scale_inputs() -> list[tuple[str, np.ndarray]]:
    """(what, raw pixels): rows of images, a stack of 28 x 28 images, and a faint image."""
    faint = np.random.default_rng(5).integers(0, 120, size=(1, 784), dtype=np.uint8)
    return [
        ("3 images as rows", _raw_rows(3, seed=3)),
        ("7 images as rows", _raw_rows(7, seed=7)),
        ("2 images of 28 x 28", _raw_rows(2, seed=2).reshape(2, 28, 28)),
        ("a faint image (no pixel above 119)", faint),
    ]


def _scale_problem(rows: np.ndarray, out: object, arr: np.ndarray) -> str | None:
    """Name a common mistake in ``arr``, the scaled ``rows`` of the same shape, or None."""
    dtype = np.asarray(out).dtype
    if np.issubdtype(dtype, np.integer):
        return f"the result has integer dtype {dtype}, expected floats in [0, 1]"
    if dtype == np.float16:
        return (
            "the result has dtype float16, whose 3 significant digits blur the pixels; use float32 or float64"
        )
    if arr.min() < 0:
        return f"the result goes down to {arr.min():.4g}, expected values in [0, 1] (0 must stay 0.0)"
    if arr.max() > 1:
        return f"the result reaches {arr.max():g}, expected values in [0, 1] (255 must become 1.0)"
    top = rows.max()
    if 0 < top < 255 and np.allclose(arr, rows / float(top)):
        return (
            "it divides by the largest pixel of the image it is given; a pixel's scale is fixed "
            "(255 is white in every image), so a faint image must stay faint"
        )
    white = rows == 255
    if white.any() and not np.allclose(arr[white], 1.0):
        return f"a white pixel (255) becomes {arr[white][0]:.4g}, expected 1.0"
    return None


@checker
def check_scale_pixels(scale_pixels: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``scale_pixels(rows)``: uint8 pixels 0..255 of any shape -> floats in [0, 1].

    Changing the input in place is a failure: the raw pixels are needed again later.
    """
    name = "scale_pixels"
    for what, rows in _scale_inputs():
        out = call_student(name, scale_pixels, rows, labels=("rows",))
        arr = as_array(name, "the result", out)
        if arr.shape == rows.shape:
            problem = _scale_problem(rows, out, arr)
            if problem:
                fail(name, f"{problem} (on {what})")
        expect_array(name, "the result", arr, rows / 255.0, hint=f"on {what}")
    succeed(name)


def _short(y: np.ndarray) -> str:
    """The labels as a list, the first 10 only when there are more, with their dtype if not int64."""
    text = str(y.tolist()) if y.size <= 10 else str(y[:10].tolist())[:-1] + ", ...]"
    return text + ("" if y.dtype == np.int64 else f" ({y.dtype})")


@checker
def check_one_hot(one_hot: Callable[..., np.ndarray]) -> None:
    """Check ``one_hot(y, num_classes=10)``: labels y (m,) -> Y (num_classes, m) with
    Y[y[i], i] = 1 and zeros elsewhere; also with another ``num_classes``."""
    name = "one_hot"
    cases = (
        (np.array([5, 0, 4, 1, 9, 2, 1, 3]), None),
        (np.array([7]), None),
        (np.arange(10)[::-1].copy(), None),
        (np.array([2, 0, 1, 2, 2]), 3),
        (np.array([11, 0, 3]), 12),
        # uint8 labels (as MNIST stores them), with label x position past 255
        ((np.arange(40) % 20).astype(np.uint8), 20),
    )
    for y, k in cases:
        args = (y,) if k is None else (y, k)
        out = call_student(name, one_hot, *args, labels=("y",))
        arr = as_array(name, "Y", out)
        expected = reference_one_hot(y) if k is None else reference_one_hot(y, k)
        given = f"labels y = {_short(y)}" + ("" if k is None else f" and num_classes={k}")
        if k is not None and arr.shape != expected.shape and arr.shape[:1] == (10,):
            fail(
                name,
                f"with num_classes={k}, Y has shape {arr.shape}, expected {expected.shape}: use num_classes",
            )
        if arr.shape == expected.shape:
            sums = arr.sum(axis=0)
            if not np.allclose(sums, 1):
                j = int(np.argmax(~np.isclose(sums, 1)))
                fail(
                    name, f"column {j} of Y sums to {sums[j]:g}, expected exactly one 1 per column ({given})"
                )
            rows = expected.shape[0]
            for shift in (1, -1):
                if np.array_equal(arr, reference_one_hot((y.astype(np.int64) + shift) % rows, rows)):
                    fail(
                        name,
                        f"each 1 looks shifted by one row from its label's row ({given}); rows count from 0",
                    )
        expect_array(name, "Y", arr, expected, hint=f"for {given}")
    succeed(name)
