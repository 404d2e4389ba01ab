"""Comparing a student's result with the expected one: shapes, values within tolerances that
follow the result's precision, numbers where one is due, tuples of arrays, and tables of known
mistakes. Each ``expect_*`` fails with a one-line verdict (:func:`helpers.checks.core.fail`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from helpers.checks.core import fail


def shape_problem(label: str, actual: tuple[int, ...], expected: tuple[int, ...]) -> str | None:
    """Describe how shape ``actual`` differs from ``expected``, or None when they are equal."""
    if actual == expected:
        return None
    if actual == ():
        return f"{label} is a scalar, expected shape {expected}"
    if len(expected) == 2 and actual == expected[::-1]:
        return f"{label} has shape {actual}, expected {expected}: it looks transposed"
    squeezed = tuple(s for s in expected if s != 1)
    if actual == squeezed and len(actual) < len(expected):
        return f"{label} has shape {actual}, expected {expected}: a column vector with {len(expected)} axes"
    return f"{label} has shape {actual}, expected {expected}"


def fmt(x: float, other: float | None = None) -> str:
    """``x`` with 4 significant digits, or as many more (up to 17) as it takes to tell it from
    ``other``."""
    x = float(x)
    for digits in range(4, 18):
        text = f"{x:.{digits}g}"
        if other is None or text != f"{float(other):.{digits}g}":
            return text
    return text


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


#: Tolerances of a comparison with a float64 formula, and the looser ones of a result computed
#: in float32 (about 7 significant digits; chapter 7 trains in it): relative, and absolute per
#: unit of the largest expected magnitude.
RTOL, ATOL = 1e-5, 1e-8
RTOL32, ATOL32 = 1e-4, 1e-6


def tolerances(
    actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None, *, dtype: Any = None
) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing ``actual`` with ``expected``: the given ones (default
    :data:`RTOL`, :data:`ATOL`), loosened to float32's when ``actual`` (or ``dtype``, the
    precision the inputs had) is float32."""
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    kinds = [np.asarray(actual).dtype] + ([np.dtype(dtype)] if dtype is not None else [])
    if any(k == np.float32 for k in kinds):
        exp = np.asarray(expected, dtype=np.float64)
        finite = exp[np.isfinite(exp)]
        scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
        rtol, atol = max(rtol, RTOL32), max(atol, ATOL32 * scale)
    return rtol, atol


def value_problem(
    label: str, actual: np.ndarray, expected: np.ndarray, *, rtol: float = RTOL, atol: float = ATOL
) -> str | None:
    """Describe how ``actual`` differs in value from ``expected`` (same shape), or None."""
    bad = ~np.isfinite(actual) & np.isfinite(expected)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        return f"{label} contains {actual[idx]} (at {label}{_index(idx)}), expected finite numbers"
    close = np.isclose(actual, expected, rtol=rtol, atol=atol)
    if close.all():
        return None
    prefix = "the shape is right but the values are off"
    if not actual.any():
        return f"{prefix}: {label} is all zeros"
    square = actual.ndim == 2 and actual.shape[0] == actual.shape[1]
    if square and np.allclose(actual, expected.T, rtol=rtol, atol=atol):
        return f"{prefix}: {label} looks transposed"
    if np.allclose(actual, -expected, rtol=rtol, atol=atol):
        return f"{prefix}: {label} has the opposite sign"
    norm = float(np.vdot(expected, expected))
    if norm > 0:
        scale = float(np.vdot(actual, expected)) / norm
        plausible = abs(scale - 1) > 1e-3 and abs(scale) > 1e-3
        if plausible and np.allclose(actual, scale * expected, rtol=rtol, atol=atol):
            return f"{prefix}: {label} is {fmt(scale)} times the expected values"
    idx = tuple(np.argwhere(~close)[0])
    wrong = int((~close).sum())
    return (
        f"{prefix}: {label}{_index(idx)} is {fmt(actual[idx], expected[idx])}, expected "
        f"{fmt(expected[idx], actual[idx])} ({wrong} of {close.size} entries differ)"
    )


def _numeric(value: Any) -> Any:
    """``value`` with a table (pandas), a ``Fraction`` or a ``Decimal`` turned into what NumPy
    reads as numbers; anything else as it is."""
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        return value.to_numpy()
    if isinstance(value, Fraction) or type(value).__name__ == "Decimal":
        return float(value)
    return value


def as_array_or_none(value: Any) -> np.ndarray | None:
    """``value`` as a float array of its own shape (float32 stays float32, any other number
    becomes float64), or None when it is not real numbers: for a checker that names the problem
    itself (see :func:`as_array` for the standard verdict)."""
    value = _numeric(value)
    if isinstance(value, list | tuple):
        value = [_numeric(v) for v in value]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            raw = np.asarray(value)
            if raw.dtype.kind == "c":
                return None
            dtype = np.float32 if raw.dtype == np.float32 else np.float64
            return np.asarray(raw, dtype=dtype)
    except (TypeError, ValueError, np.exceptions.ComplexWarning):
        return None


def as_array(name: str, label: str, value: Any) -> np.ndarray:
    """``value`` as a float array, or a failing verdict when it is not numeric."""
    __tracebackhide__ = True  # noqa: F841
    arr = as_array_or_none(value)
    if arr is None:
        fail(name, f"{label} should be a NumPy array of real numbers, got {type(value).__name__}")
    return arr


def close(a: np.ndarray, b: np.ndarray, *, rtol: float | None = None, atol: float | None = None) -> bool:
    """Whether ``a`` and ``b`` have the same shape and every entry within ``atol + rtol |b|``
    (:func:`numpy.allclose`, with :func:`tolerances` for ``a``'s precision); arrays of
    different shapes are never close, even when they broadcast. The checkers test a student's
    result against the forms of common mistakes with it."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    rtol, atol = tolerances(a, b, rtol, atol)
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def first_mistake(
    actual: Any, mistakes: Sequence[tuple[Any, str]], *, rtol: float | None = None, atol: float | None = None
) -> str | None:
    """The message of the first ``(candidate, message)`` whose candidate ``actual`` is
    :func:`close` to (a candidate of None is skipped), or None: a table of known mistakes."""
    for candidate, message in mistakes:
        if candidate is not None and close(actual, np.asarray(candidate), rtol=rtol, atol=atol):
            return message
    return None


def expect_array(
    name: str,
    label: str,
    actual: Any,
    expected: np.ndarray,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    hint: str = "",
    dtype: Any = None,
) -> None:
    """Fail with a specific verdict unless ``actual`` has ``expected``'s shape and values, within
    :func:`tolerances` (looser for a float32 result or float32 inputs, ``dtype``).

    ``hint`` (optional) is appended to a shape or value problem, e.g. "keep one value per unit".
    """
    __tracebackhide__ = True  # noqa: F841
    arr = as_array(name, label, actual)
    expected = np.asarray(expected, dtype=np.float64)
    rtol, atol = tolerances(arr, expected, rtol, atol, dtype=dtype)
    problem = shape_problem(label, arr.shape, expected.shape) or value_problem(
        label, arr, expected, rtol=rtol, atol=atol
    )
    if problem:
        fail(name, problem + (f" ({hint})" if hint else ""))


def expect_number(name: str, label: str, value: Any) -> float:
    """``value`` as a float when it is one number (a Python or NumPy number, a 0-d array, a
    ``Fraction``), or a failing verdict: an array of shape (1,) or (1, 1) is not a number, as
    code that formats or adds it as one fails."""
    __tracebackhide__ = True  # noqa: F841
    arr = as_array_or_none(value)
    if arr is None:
        fail(name, f"{label} should be one number, got {type(value).__name__}")
    if arr.ndim:
        fail(
            name,
            f"{label} should be one number, got an array of shape {arr.shape}"
            + (": take the number out of the array" if arr.size == 1 else ""),
        )
    return float(arr)


def expect_scalar(
    name: str,
    label: str,
    actual: Any,
    expected: float,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    dtype: Any = None,
) -> None:
    """Fail unless ``actual`` is one number (:func:`expect_number`) close to ``expected``."""
    __tracebackhide__ = True  # noqa: F841
    value = expect_number(name, label, actual)
    if not np.isfinite(value):
        fail(name, f"{label} is {value}, expected a finite number")
    rtol, atol = tolerances(as_array_or_none(actual), expected, rtol, atol, dtype=dtype)
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        fail(name, f"{label} is {fmt(value, expected)}, expected {fmt(expected, value)}")


def expect_tuple(name: str, result: Any, labels: Sequence[str]) -> tuple:
    """Fail unless the function returned a tuple (or list, or an array along its first axis)
    of ``len(labels)`` values."""
    __tracebackhide__ = True  # noqa: F841
    sequence = isinstance(result, tuple | list) or (isinstance(result, np.ndarray) and result.ndim > 0)
    if not sequence or len(result) != len(labels):
        got = f"{len(result)} values" if sequence else type(result).__name__
        fail(name, f"should return {len(labels)} values ({', '.join(labels)}), got {got}")
    return tuple(result)


def expect_arrays(name: str, result: Any, labels: Sequence[str], what: str = "") -> dict[str, np.ndarray]:
    """The tuple of ``len(labels)`` arrays the function returned, by label (each a float array,
    see :func:`as_array`), or a failing verdict; ``what`` prefixes each label in verdicts."""
    __tracebackhide__ = True  # noqa: F841
    values = expect_tuple(name, result, [f"{what} {k}".strip() for k in labels])
    return {k: as_array(name, f"{what} {k}".strip(), v) for k, v in zip(labels, values)}
