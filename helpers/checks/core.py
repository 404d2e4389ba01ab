"""The verdict machinery shared by every exercise checker.

A checker calls the student's function on fixed inputs, compares what comes back with the
reference implementation in :mod:`helpers.nn` and prints one short line:

    ✓ softmax: all checks passed
    ✗ softmax: the shape is right but the values are off: A[1, 0] is 0.5, expected 0.9002

On failure the same line is raised as a :class:`CheckFailed` (an ``AssertionError``), so the
notebook cell fails and nbgrader's autograder gives the cell 0 points. Feedback names the
output, the shape or the entry that is wrong, never the code that would fix it.

In a student's interactive Jupyter session (IPython, and ``NBGRADER_EXECUTION`` not set) a
failure that reaches the notebook does not stop "Run All": the verdict is shown once, followed by
a red "Not passed yet", and the student's name for the function is bound to the course's
reference version (when there is one, saying so), so the rest of the chapter runs. Under
nbgrader (the cell must fail there), in plain Python and in the grader, the check raises.

Building blocks for a checker::

    out = call_student("softmax", softmax, Z)           # runs it; stubs and crashes -> verdict
    A = as_array("softmax", "A", out)                   # a float array, or a verdict
    if close(A, reference(Z.T).T):                      # the form of a common mistake?
        fail("softmax", "A looks computed along the rows")  # then a verdict that names it
    expect_array("softmax", "A", A, reference(Z))       # shape, finiteness, values
    succeed("softmax")                                  # prints the ✓ line
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, NoReturn

import numpy as np

PASS_MARK = "✓"
FAIL_MARK = "✗"
NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code"


class CheckFailed(AssertionError):
    """An exercise check failed; ``str(exc)`` is the one-line verdict that was printed."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{FAIL_MARK} {name}: {problem}")

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the verdict alone, not the checker's code."""
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


def succeed(name: str, detail: str = "all checks passed") -> str:
    """Print and return the verdict ``✓ name: detail``."""
    verdict = f"{PASS_MARK} {name}: {detail}"
    print(verdict)
    return verdict


#: The student's function each checker last called, by exercise name (for the run-all fallback).
_STUDENT_FUNCS: dict[str, Callable] = {}


def _interactive_shell():
    """The IPython shell of a student's interactive session, or None (plain Python, nbgrader)."""
    ipython = sys.modules.get("IPython")
    if ipython is None or os.environ.get("NBGRADER_EXECUTION"):
        return None
    return ipython.get_ipython()


def _show_and_continue(shell, etype, value, tb, tb_offset=None) -> None:  # noqa: ARG001
    """IPython's handler for CheckFailed in a student's session: no traceback (the verdict is
    already printed), a red "not passed yet", the student's function replaced by the course's
    reference when there is one, and the cell counted as run, so "Run All" goes on."""
    import helpers

    reference = getattr(helpers, value.name, None)
    func = _STUDENT_FUNCS.get(value.name)
    names = [k for k, v in shell.user_ns.items() if func is not None and v is func and not k.startswith("_")]
    names = names or ([value.name] if value.name in shell.user_ns else [])
    flag = "\x1b[31mNot passed yet.\x1b[0m"
    if callable(reference) and names:
        for k in names:
            shell.user_ns[k] = reference
        print(
            f"{flag} For the rest of this notebook `{names[0]}` is the course's version "
            f"(helpers.{value.name}), so that the cells below run. Fix your function, then run its "
            "cell and this check again."
        )
    else:
        print(f"{flag} Cells below that use it may fail until it passes.")
    result = getattr(shell.displayhook, "exec_result", None)
    if result is not None:
        result.error_in_exec = None


def fail(name: str, problem: str) -> NoReturn:
    """Print the verdict ``✗ name: problem`` and raise it as :class:`CheckFailed`."""
    __tracebackhide__ = True  # noqa: F841  (IPython and pytest hide this frame)
    exc = CheckFailed(name, problem)
    shell = _interactive_shell()
    if shell is not None and CheckFailed not in shell.custom_exceptions:
        shell.set_custom_exc((CheckFailed,), _show_and_continue)
    print(exc)
    raise exc


#: The labels of the network's parameters and of their gradients, in the course's order.
PARAM_LABELS = ("W1", "b1", "W2", "b2")
GRAD_LABELS = ("dW1", "db1", "dW2", "db2")


def _copy(value: Any) -> Any:
    """A deep enough copy of an argument (arrays, tuples and lists of them)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple | list):
        return type(value)(_copy(v) for v in value)
    return value


def _same(before: Any, after: Any) -> bool:
    """Whether ``after`` still holds the values of ``before`` (arrays, tuples of arrays)."""
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and after.dtype == before.dtype
            and np.array_equal(after, before, equal_nan=before.dtype.kind == "f")
        )
    if isinstance(before, tuple | list):
        return len(after) == len(before) and all(_same(b, a) for b, a in zip(before, after))
    return True


#: What NumPy's commonest error messages mean, for a learner: (words in the message, meaning).
NUMPY_ERRORS = (
    (
        "could not be broadcast",
        "two arrays whose shapes do not broadcast together were combined entry by entry",
    ),
    (
        "mismatch in its core dimension",
        "a matrix product of shapes that do not fit (the inner sizes must agree)",
    ),
    ("not aligned", "a matrix product of shapes that do not fit (the inner sizes must agree)"),
    ("too many indices", "an array was indexed with more axes than it has"),
    ("out of bounds", "an index past the end of an axis"),
    ("are valid indices", "an array was indexed with numbers that are not integers"),
    ("used as indices must be of integer", "an array was indexed with numbers that are not integers"),
    ("truth value of an array", "an array of many values was used where one True or False is needed"),
    ("cannot reshape", "an array was reshaped to a shape with another number of entries"),
)


def _crash(exc: Exception, args: tuple, labels: Sequence[str]) -> str:
    """The verdict for a student's function that raised ``exc`` on ``args``: NumPy's commonest
    errors said in words, with the shapes of the inputs; any other error's first line."""
    lines = str(exc).strip().splitlines()
    meaning = next((m for words, m in NUMPY_ERRORS if lines and words in lines[0]), None)
    operands = re.search(r"with shapes ((?:\([\d,]*\) ?)+)", lines[0]) if lines else None
    if meaning and operands:
        meaning += f" (shapes {' and '.join(operands.group(1).split())})"
    if meaning is None:
        return f"raised {type(exc).__name__}" + (f": {lines[0]}" if lines else "")
    shapes = [
        f"{labels[i] if i < len(labels) else f'input {i + 1}'} {a.shape}"
        for i, a in enumerate(args)
        if isinstance(a, np.ndarray)
    ]
    return f"raised {type(exc).__name__}: {meaning}" + (
        f" (the inputs: {', '.join(shapes)})" if shapes else ""
    )


def call_student(name: str, func: Callable, *args: Any, labels: Sequence[str] = ()) -> Any:
    """``func(*args)`` on fresh copies of the arguments, so the caller's arrays are never
    touched; a failing verdict naming the first input (``labels[i]`` for ``args[i]``; unlabelled
    ones are "input i") that the function changed in place.

    Floating-point warnings (overflow, 0/0) are silenced: their consequences, NaN or inf in the
    output, are reported by :func:`expect_array` instead. A ``NotImplementedError`` (the stub)
    and any other exception become a failing verdict naming the problem.
    """
    __tracebackhide__ = True  # noqa: F841
    if not callable(func):
        fail(name, f"expected a function, got {type(func).__name__}")
    _STUDENT_FUNCS[name] = func
    given = [_copy(a) for a in args]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = func(*given)
    except NotImplementedError:
        fail(name, NOT_IMPLEMENTED)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any crash of the student's code is a verdict
        fail(name, _crash(exc, args, labels))
    for i, (before, after) in enumerate(zip(args, given)):
        if not _same(before, after):
            label = labels[i] if i < len(labels) else f"input {i + 1}"
            fail(name, f"it changed its input {label} in place; leave the inputs as they are")
    if result is None:
        fail(name, "returned None: did you forget the `return` statement?")
    return result


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
    """Fail unless the function returned a tuple (or list) of ``len(labels)`` values."""
    __tracebackhide__ = True  # noqa: F841
    if not isinstance(result, tuple | list) or len(result) != len(labels):
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        fail(name, f"should return {len(labels)} values ({', '.join(labels)}), got {got}")
    return tuple(result)


def expect_arrays(name: str, result: Any, labels: Sequence[str], what: str = "") -> dict[str, np.ndarray]:
    """The tuple of ``len(labels)`` arrays the function returned, by label (each a float array,
    see :func:`as_array`), or a failing verdict; ``what`` prefixes each label in verdicts."""
    __tracebackhide__ = True  # noqa: F841
    values = expect_tuple(name, result, [f"{what} {k}".strip() for k in labels])
    return {k: as_array(name, f"{what} {k}".strip(), v) for k, v in zip(labels, values)}


def checker(func: Callable[..., None]) -> Callable[..., None]:
    """Decorate a ``check_*`` function: anything its own comparisons raise on an unusual result
    (a NumPy error on a ragged or odd value) becomes a one-line verdict, never a traceback."""

    @functools.wraps(func)
    def wrapper(student: Callable, *args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True  # noqa: F841
        name = func.__name__.removeprefix("check_")
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return func(student, *args, **kwargs)
        except CheckFailed:
            raise
        except (TypeError, ValueError, IndexError, ArithmeticError) as exc:  # NumPy on an odd result
            fail(
                name,
                f"the result could not be checked ({type(exc).__name__} while comparing it): "
                "return the kind of value the exercise asks for",
            )

    return wrapper
