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

import os
import sys
import warnings
from collections.abc import Callable
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


def _copy(value: Any) -> Any:
    """A deep enough copy of an argument, so a function that edits its input in place cannot
    change the inputs the reference sees."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def call_student(name: str, func: Callable, *args: Any, _copy_args: bool = True, **kwargs: Any) -> Any:
    """Call the student's ``func`` on copies of the arguments (or on the arguments themselves
    when ``_copy_args`` is False, to see whether it modifies them) and return its result.

    Floating-point warnings (overflow, 0/0) are silenced: their consequences, NaN or inf in the
    output, are reported by :func:`expect_array` instead. A ``NotImplementedError`` (the stub)
    and any other exception become a failing verdict naming the problem.
    """
    __tracebackhide__ = True  # noqa: F841
    if not callable(func):
        fail(name, f"expected a function, got {type(func).__name__}")
    _STUDENT_FUNCS[name] = func
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if _copy_args:
                args, kwargs = _copy(args), {k: _copy(v) for k, v in kwargs.items()}
            result = func(*args, **kwargs)
    except NotImplementedError:
        fail(name, NOT_IMPLEMENTED)
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any crash of the student's code is a verdict
        text = str(exc).strip().splitlines()
        fail(name, f"raised {type(exc).__name__}" + (f": {text[0]}" if text else ""))
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


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def value_problem(
    label: str, actual: np.ndarray, expected: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-8
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
    square = actual.ndim == 2 and actual.shape[0] == actual.shape[1]
    if square and np.allclose(actual, expected.T, rtol=rtol, atol=atol):
        return f"{prefix}: {label} looks transposed"
    if np.allclose(actual, -expected, rtol=rtol, atol=atol):
        return f"{prefix}: {label} has the opposite sign"
    norm = float(np.vdot(expected, expected))
    if norm > 0:
        scale = float(np.vdot(actual, expected)) / norm
        if abs(scale - 1) > 1e-3 and np.allclose(actual, scale * expected, rtol=rtol, atol=atol):
            return f"{prefix}: {label} is {_fmt(scale)} times the expected values"
    idx = tuple(np.argwhere(~close)[0])
    wrong = int((~close).sum())
    return (
        f"{prefix}: {label}{_index(idx)} is {_fmt(actual[idx])}, expected {_fmt(expected[idx])} "
        f"({wrong} of {close.size} entries differ)"
    )


def as_array_or_none(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array of its own shape, or None when it is not numeric: for a
    checker that names the problem itself (see :func:`as_array` for the standard verdict)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def as_array(name: str, label: str, value: Any) -> np.ndarray:
    """``value`` as a float array, or a failing verdict when it is not numeric."""
    __tracebackhide__ = True  # noqa: F841
    arr = as_array_or_none(value)
    if arr is None:
        fail(name, f"{label} should be a NumPy array, got {type(value).__name__}")
    return arr


def close(a: np.ndarray, b: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether ``a`` and ``b`` have the same shape and every entry within ``atol + rtol |b|``
    (:func:`numpy.allclose`); arrays of different shapes are never close, even when they broadcast.
    The checkers test a student's result against the forms of common mistakes with it."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def expect_array(
    name: str,
    label: str,
    actual: Any,
    expected: np.ndarray,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Fail with a specific verdict unless ``actual`` has ``expected``'s shape and values.

    ``hint`` (optional) is appended to a shape or value problem, e.g. "keep one value per unit".
    """
    __tracebackhide__ = True  # noqa: F841
    arr = as_array(name, label, actual)
    expected = np.asarray(expected, dtype=np.float64)
    problem = shape_problem(label, arr.shape, expected.shape) or value_problem(
        label, arr, expected, rtol=rtol, atol=atol
    )
    if problem:
        fail(name, problem + (f" ({hint})" if hint else ""))


def expect_scalar(
    name: str, label: str, actual: Any, expected: float, *, rtol: float = 1e-5, atol: float = 1e-8
) -> None:
    """Fail unless ``actual`` is a single number close to ``expected``."""
    __tracebackhide__ = True  # noqa: F841
    arr = as_array(name, label, actual)
    if arr.size != 1:
        fail(name, f"{label} should be a single number, got an array of shape {arr.shape}")
    value = float(arr.reshape(()))
    if not np.isfinite(value):
        fail(name, f"{label} is {value}, expected a finite number")
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        fail(name, f"{label} is {_fmt(value)}, expected {_fmt(expected)}")


def expect_tuple(name: str, result: Any, labels: tuple[str, ...]) -> tuple:
    """Fail unless the function returned a tuple (or list) of ``len(labels)`` values."""
    __tracebackhide__ = True  # noqa: F841
    if not isinstance(result, tuple | list) or len(result) != len(labels):
        got = f"{len(result)} values" if isinstance(result, tuple | list) else type(result).__name__
        fail(name, f"should return {len(labels)} values ({', '.join(labels)}), got {got}")
    return tuple(result)
