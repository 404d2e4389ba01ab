"""Calling the student's function so that changing an input in place shows.

:func:`helpers.checks.core.call_student` is the one call wrapper: it hands the function copies
of its inputs and names any input the function changed in place. :func:`call_untouched` is the
same call with the labels first, kept for callers that use that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from helpers.checks.core import (
    call_student,
)


def call_untouched(name: str, func: Callable, labels: Sequence[str], *args: Any) -> Any:
    """``call_student(name, func, *args, labels=labels)``."""
    __tracebackhide__ = True  # noqa: F841
    return call_student(name, func, *args, labels=labels)
