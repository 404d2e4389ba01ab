"""What a student may be told about each graded exercise: never a hidden test's code, input or message.

A check cell is the visible check (what the student's copy holds) plus hidden tests between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. A result file keeps the message of whatever
ended the cell, which may come from a hidden test (its assertion text often names the case it
tried). :func:`student_message` passes a failure message on only when it provably comes from the
visible part:

- the cell has no hidden tests;
- the message is a checker's verdict (``✗ name: ...``) printed before every checker call of the
  visible part had printed its ``✓`` (each course checker prints one when it passes), so it was
  one of them; when the output was cut (the grader keeps its end), nothing is shown;
- the message is ``AssertionError: <text>`` with ``<text>`` a string written in the visible part
  and not in the hidden tests;
- ``NameError`` for a name the visible code before the hidden tests reads (a function the student
  did not define);
- the grader's own words: "not graded: ..." (the kernel), a reference call, a deleted cell.

Anything else becomes "a hidden test failed" with the number of hidden tests, nothing more.

A result that records its cases (:mod:`helpers.assignments.cases`, decided in the grader) needs
none of this guessing: a failed visible case shows its own verdict; failed hidden cases are named
by number ("the hidden test failed in cases 2 and 4 of 5"), never by message or input.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpers.checks.core import FAIL_MARK, PASS_MARK

if TYPE_CHECKING:
    from helpers.assignments.cases import CaseResult

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)
#: The grader keeps the last this many characters of what a check printed.
_OUTPUT_KEPT = 1000
#: Messages written by the grader itself (grade.py), about the kernel or the submission, not a test.
_GRADER_WORDS = ("not graded: ", "not gradable", "uses the course's reference implementation", "needs manual")


@dataclass(frozen=True)
class CheckSource:
    """A check cell split: ``visible`` (hidden tests cut out), the ``hidden`` blocks, and ``first``,
    the visible code that runs before any hidden test."""

    visible: str
    hidden: tuple[str, ...]
    first: str

    @classmethod
    def of(cls, source: str) -> CheckSource:
        """Split a check cell's source."""
        first = source.split("### BEGIN HIDDEN TESTS")[0]
        return cls(_HIDDEN.sub("\n", source), tuple(_HIDDEN.findall(source)), first)


def _tree(source: str) -> ast.Module | None:
    from helpers.assignments.verdicts import python_source

    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return None


def _checker_calls(source: str) -> int:
    """How many calls to the course's checkers (``helpers.checks.check_*``, each printing one ``✓``
    line when it passes) the code makes."""
    import helpers.checks

    names = {n for n in helpers.checks.__all__ if n.startswith("check_")}
    tree = _tree(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)] if tree else []
    return sum(
        1
        for c in calls
        if (isinstance(c.func, ast.Name) and c.func.id in names)
        or (isinstance(c.func, ast.Attribute) and c.func.attr in names)
    )


def _strings(source: str) -> set[str]:
    tree = _tree(source)
    return (
        {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if tree
        else set()
    )


def _names(source: str) -> set[str]:
    tree = _tree(source)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()


def _hidden_text(check: CheckSource) -> str:
    return "\n".join(check.hidden)


def from_visible_part(message: str, printed: str, check: CheckSource) -> bool:
    """True when the failure ``message`` (with what the check ``printed``) comes from the visible part."""
    if not check.hidden or message.startswith(_GRADER_WORDS) or message == "the cell was deleted":
        return True
    if message.startswith(FAIL_MARK + " "):
        lines = [ln.strip() for ln in printed.splitlines()]
        if len(printed) >= _OUTPUT_KEPT or message not in lines:
            return False  # the start of the output may be cut off: the count below would be wrong
        before = lines[: lines.index(message)]
        return sum(ln.startswith(PASS_MARK) for ln in before) < _checker_calls(check.first)
    name = re.fullmatch(r"NameError: name '(\w+)' is not defined", message)
    if name:  # a function the student did not define: the visible code reads it first
        return name.group(1) in _names(check.first)
    if message.startswith("AssertionError: "):
        text = message[len("AssertionError: ") :]
        hidden_strings = _strings(_hidden_text(check))
        return any(" ".join(s.split()) == text for s in _strings(check.visible) - hidden_strings)
    return False


def visible_passes(printed: str, check: CheckSource) -> bool:
    """True when every checker call before the hidden tests printed its ``✓`` line before any ``✗``."""
    calls = _checker_calls(check.first)
    if not calls or len(printed) >= _OUTPUT_KEPT:
        return False
    lines = [ln.strip() for ln in printed.splitlines()]
    before = lines[: next((i for i, ln in enumerate(lines) if ln.startswith(FAIL_MARK)), len(lines))]
    return sum(ln.startswith(PASS_MARK) for ln in before) >= calls


def _from_cases(cases: list[CaseResult], printed: str, check: CheckSource) -> str:
    """The message for a failed exercise whose cases were recorded: the visible case's own verdict
    when it failed (visible code after the hidden tests runs after them: its message is shown
    only as :func:`from_visible_part` allows), else which hidden cases failed, by number."""
    visible = next((c for c in cases if c.part == "visible"), None)
    if visible is not None and visible.passed is False:
        after = " ".join(check.visible.split()) != " ".join(check.first.split())
        if not after or from_visible_part(visible.message, printed, check):
            return visible.message
        return "the visible check failed (details withheld)"
    hidden = [c for c in cases if c.part == "hidden"]
    failed = [str(i + 1) for i, c in enumerate(hidden) if c.passed is False]
    if not failed:
        return "failed (details withheld)"
    which = "the hidden test" if len(check.hidden) <= 1 else "the hidden tests"
    where = f"case{'s' if len(failed) > 1 else ''} {_and(failed)} of {len(hidden)}"
    head = "the visible check passed, but " if visible is not None and visible.passed else ""
    return f"{head}{which} failed in {where} (hidden tests are not shown)"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def student_message(
    status: str, message: str, printed: str, check_source: str | None, cases: list[CaseResult] = ()
) -> str:
    """The message a student may read for one exercise (see the module docstring); with the
    exercise's ``cases`` recorded, the visible case's verdict or the numbers of the hidden cases
    that failed."""
    if status == "passed":
        return "passed"
    if check_source is None:  # no instructor cell to tell the parts apart: say nothing of the test
        return message if message.startswith(_GRADER_WORDS) else "failed (details withheld)"
    check = CheckSource.of(check_source)
    grader = message.startswith(_GRADER_WORDS) or message == "the cell was deleted"
    if status == "failed" and cases and not grader:
        return _from_cases(list(cases), printed, check)
    if status != "failed" or from_visible_part(message, printed, check):
        return message
    n = len(check.hidden)
    which = "the hidden test" if n == 1 else f"one of the {n} hidden tests"
    if visible_passes(printed, check):
        return f"the visible check passed, but {which} failed (hidden tests are not shown)"
    return f"{which} failed (hidden tests are not shown)"
