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

Building blocks for a checker (the comparisons are in :mod:`helpers.checks.compare`)::

    @checker                                            # odd results -> a verdict, not a traceback
    def check_softmax(softmax):
        out = call_student("softmax", softmax, Z, labels=("Z",))  # copies; stubs, crashes and
                                                        # inputs changed in place -> verdict
        A = as_array("softmax", "A", out)               # a float array, or a verdict
        problem = first_mistake(A, [(reference(Z.T).T, "A looks computed along the rows")])
        if problem:                                     # the form of a common mistake?
            fail("softmax", problem)                    # then a verdict that names it
        expect_array("softmax", "A", A, reference(Z))   # shape, finiteness, values
        succeed("softmax")                              # prints the ✓ line
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
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


def _show_and_continue(shell, etype, value, tb, tb_offset=None) -> None:  # IPython's signature
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
    except Exception as exc:  # any crash of the student's code is a verdict
        fail(name, _crash(exc, args, labels))
    for i, (before, after) in enumerate(zip(args, given)):
        if not _same(before, after):
            label = labels[i] if i < len(labels) else f"input {i + 1}"
            fail(name, f"it changed its input {label} in place; leave the inputs as they are")
    if result is None:
        fail(name, "returned None: did you forget the `return` statement?")
    return result


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
