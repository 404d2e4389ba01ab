"""Checkers for the notebooks' exercises: ``check_softmax(softmax)`` and friends.

Each ``check_*`` function calls the student's function on fixed inputs, compares the result
with the reference in :mod:`helpers.nn` and prints a one-line verdict; on failure it also raises
:class:`CheckFailed` (an ``AssertionError``), so nbgrader's autograder scores the cell 0.
The shared machinery lives in :mod:`helpers.checks.core`; each topic has its own module, whose
checkers are re-exported here.
"""

from helpers.checks.core import (
    CheckFailed,
    call_student,
    expect_array,
    expect_scalar,
    expect_tuple,
    fail,
    succeed,
)

__all__ = [
    "CheckFailed",
    "call_student",
    "expect_array",
    "expect_scalar",
    "expect_tuple",
    "fail",
    "succeed",
]
