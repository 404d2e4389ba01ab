"""Calling the student's function so that changing an input in place shows.

:func:`helpers.checks.core.call_student` hands the function copies of its inputs by default,
which protects the checker's own arrays but hides a function that edits its inputs. The
checkers call through :func:`call_untouched` instead: the function gets copies that the
checker then compares with the originals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helpers.checks.core import call_student, fail


def call_untouched(name: str, func: Callable, labels: Sequence[str], *args: Any) -> Any:
    """``func(*args)`` on fresh copies of the array arguments; a failing verdict naming the
    first input (``labels[i]`` for ``args[i]``) that the function changed in place."""
    __tracebackhide__ = True  # noqa: F841
    given = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    result = call_student(name, func, *given, _copy_args=False)
    for label, before, after in zip(labels, args, given):
        if isinstance(before, np.ndarray) and not (
            isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(after, before)
        ):
            fail(name, f"it changed its input {label} in place; leave the inputs as they are")
    return result
