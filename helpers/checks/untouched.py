"""Calling the student's function so that changing an input in place shows.

:func:`helpers.checks.core.call_student` hands the function copies of its inputs by default,
which protects the checker's own arrays but hides a function that edits its inputs. Every
checker calls through :func:`call_untouched` instead: the function gets copies that the checker
then compares with the originals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers.checks.core import call_student, fail


def _copy(value: Any) -> Any:
    """A copy of an array, or of each array in a tuple; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _same(before: Any, after: Any) -> bool:
    """Whether ``after`` still holds the values of ``before`` (arrays, tuples of arrays)."""
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(after, before)
    if isinstance(before, tuple):
        return len(after) == len(before) and all(_same(b, a) for b, a in zip(before, after))
    return True


def call_untouched(name: str, func: Callable, labels: Sequence[str], *args: Any) -> Any:
    """``func(*args)`` on fresh copies of the arrays among ``args`` (arrays or tuples of
    arrays); a failing verdict naming the first input (``labels[i]`` for ``args[i]``) that the
    function changed in place. ``labels`` may be shorter than ``args``: the rest are numbers."""
    __tracebackhide__ = True  # noqa: F841
    given = [_copy(a) for a in args]
    result = call_student(name, func, *given, _copy_args=False)
    for label, before, after in zip(labels, args, given):
        if not _same(before, after):
            fail(name, f"it changed its input {label} in place; leave the inputs as they are")
    return result
