"""A check cell run case by case, in the grader's process: the visible check, then each hidden case.

The cell's top-level statements are split by where they stand: outside the ``### BEGIN HIDDEN
TESTS`` .. ``### END HIDDEN TESTS`` blocks they make the **visible case** (run in order until
the first failure); inside them each statement is either a **hidden case** or setup:

- a ``for`` loop over a tuple or list written out in the code (``for h, m in ((1, 1), (3, 5))``),
  without ``break`` or ``else``, is one case per item: the items are computed once, as Python
  would, then each iteration runs on its own;
- any other statement holding a test (``assert``, a call to a checker, ``expect_*``,
  ``assert_*`` or ``call_student`` whose result is not kept) is one case, loops included;
- everything else (assignments, imports) is setup. A setup statement that fails fails every
  hidden case after it (the last one, if none comes after), so a case never runs on stale data.

A failing case does not stop the next one. :class:`KernelProblem` (the kernel timed out, died or
sent back something unreadable) stops everything: the cases not run yet are recorded as not
run (``passed`` None). The number of cases depends only on the instructor's source, so it is the
same for every student.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpers.assignments.kernel_calls import KernelProblem

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)
_TEST_CALL = re.compile(r"^(check_|expect_|assert_|call_student$)")
_ITEM = "__grader_case_item__"  # the one item a loop's iteration runs on


@dataclass
class CaseResult:
    """One case of a check cell: ``part`` "visible" or "hidden"; ``passed`` None when it was not
    run (the kernel stopped answering); ``message``: why it failed (the instructor's eyes only:
    a hidden case's message is never shown to a student). ``points`` / ``max_points``: its share
    of the exercise's points, 0 / 0 when the exercise is all or nothing."""

    part: str
    passed: bool | None
    message: str = ""
    points: float = 0.0
    max_points: float = 0.0


@dataclass
class _Step:
    kind: str  # "visible", "setup", "case" or "loop"
    node: ast.stmt
    cases: int = 1  # hidden cases it stands for


@dataclass
class CasePlan:
    """The steps of a check cell, in source order; ``visible``: whether it has a visible case."""

    steps: list[_Step] = field(default_factory=list)
    visible: bool = False

    @property
    def hidden(self) -> int:
        """How many hidden cases the cell has (hidden setup alone counts as one)."""
        n = sum(s.cases for s in self.steps if s.kind in ("case", "loop"))
        return n or int(any(s.kind == "setup" for s in self.steps))


def _is_test(node: ast.AST) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Assert):
            return True
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call):
            f = n.value.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if _TEST_CALL.match(name):
                return True
    return False


def _items(node: ast.stmt) -> int:
    """How many cases a hidden top-level ``for`` loop is: its items, or 1 (run as one case)."""
    if not isinstance(node, ast.For) or node.orelse or not isinstance(node.iter, ast.Tuple | ast.List):
        return 0
    if any(isinstance(e, ast.Starred) for e in node.iter.elts) or not node.iter.elts:
        return 0
    if any(isinstance(n, ast.Break) for n in ast.walk(node)):
        return 0
    return len(node.iter.elts)


def plan(python: str) -> CasePlan | None:
    """The steps of a check cell given as plain Python (magics already turned into calls), or
    None when it does not parse."""
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return None
    hidden = [
        (python.count("\n", 0, m.start()) + 1, python.count("\n", 0, m.end()) + 1)
        for m in _HIDDEN.finditer(python)
    ]
    out = CasePlan()
    for node in tree.body:
        first, last = node.lineno, node.end_lineno or node.lineno
        inside = any(a <= first and last <= b for a, b in hidden)
        spans = any(first <= b and a <= last for a, b in hidden)
        if not spans:
            out.steps.append(_Step("visible", node, 0))
            out.visible = True
        elif inside and (n := _items(node)) and _is_test(node):
            out.steps.append(_Step("loop", node, n))
        elif _is_test(node) or not inside:  # a statement holding a hidden block is hidden, as one
            out.steps.append(_Step("case", node))
        else:
            out.steps.append(_Step("setup", node, 0))
    return out


def _exec(nodes: list[ast.stmt], local: dict[str, Any]) -> None:
    exec(compile(ast.Module(nodes, []), "<check cell>", "exec"), local)  # noqa: S102


class _Recorder:
    """The hidden cases' results as they come, and the setup failure that fails the rest."""

    def __init__(self, message: Callable[[BaseException], str], after: Callable[[], str]) -> None:
        self.cases: list[CaseResult] = []
        self.broken = ""
        self.message, self.after = message, after

    def run(self, code: Callable[[], None]) -> None:
        """Run one hidden case (unless setup failed before it) and record it."""
        if self.broken:
            self.cases.append(CaseResult("hidden", False, self.broken))
            return
        self.cases.append(CaseResult("hidden", *self.attempt(code)))

    def attempt(self, code: Callable[[], None]) -> tuple[bool, str]:
        """``(passed, message)`` of running ``code``; an argument changed in place fails it."""
        try:
            code()
            passed, message = True, ""
        except Exception as exc:  # noqa: BLE001 - every failure of a check is a verdict
            passed, message = False, self.message(exc)
        changed = self.after()
        return (False, changed) if changed else (passed, message)


def run(
    cell: CasePlan,
    local: dict[str, Any],
    message: Callable[[BaseException], str],
    after: Callable[[], str] = lambda: "",
) -> tuple[list[CaseResult], str]:
    """Run the cell's cases in ``local``; returns ``(cases, problem)``: the visible case first,
    then the hidden ones, and "not graded: ..." when a :class:`KernelProblem` stopped the run.

    ``message`` turns an exception into a verdict; ``after()``, called after each case, returns
    why the case fails whatever it did (an argument the student's function changed), or "".
    """
    rec = _Recorder(message, after)
    visible = CaseResult("visible", True) if cell.visible else None
    pending = sum(s.kind == "visible" for s in cell.steps)  # visible statements not run yet
    problem = ""
    try:
        for step in cell.steps:
            if step.kind == "visible":
                if visible.passed:
                    visible.passed, visible.message = rec.attempt(lambda s=step: _exec([s.node], local))
                pending -= 1
            elif step.kind == "setup" and not rec.broken:
                passed, why = rec.attempt(lambda s=step: _exec([s.node], local))
                rec.broken = "" if passed else why
            elif step.kind == "case":
                rec.run(lambda s=step: _exec([s.node], local))
            elif step.kind == "loop":
                _loop(step, local, rec)
    except KernelProblem as exc:
        problem = f"not graded: {exc}"
        if visible is not None and visible.passed and pending:
            visible.passed, visible.message = None, problem
    wanted = cell.hidden
    if not problem and rec.broken:  # setup after the last case failed, or setup is all there is
        if rec.cases and len(rec.cases) == wanted and rec.cases[-1].passed:
            rec.cases[-1] = CaseResult("hidden", False, rec.broken)
        elif not rec.cases and wanted:
            rec.cases.append(CaseResult("hidden", False, rec.broken))
    elif not problem and wanted and not rec.cases:
        rec.cases.append(CaseResult("hidden", True))  # hidden setup alone, which ran
    rec.cases += [CaseResult("hidden", None, problem) for _ in range(wanted - len(rec.cases))]
    return ([visible] if visible else []) + rec.cases, problem


def _loop(step: _Step, local: dict[str, Any], rec: _Recorder) -> None:
    """One case per item of a loop written out in the code: the items first, then each iteration."""
    node = step.node
    assert isinstance(node, ast.For)
    items: list[Any] = []
    if not rec.broken:
        iterable = compile(ast.Expression(node.iter), "<check cell>", "eval")
        passed, why = rec.attempt(lambda: items.extend(eval(iterable, local)))  # noqa: S307
        rec.broken = "" if passed else why
    one = ast.For(node.target, ast.Name(_ITEM, ast.Load()), node.body, [])
    ast.copy_location(one, node)
    ast.fix_missing_locations(one)
    code = compile(ast.Module([one], []), "<check cell>", "exec")
    for i in range(step.cases):
        if i >= len(items):
            rec.cases.append(CaseResult("hidden", False, rec.broken or "the case's input is missing"))
            continue

        def iteration(item=items[i]) -> None:
            local[_ITEM] = (item,)
            try:
                exec(code, local)  # noqa: S102
            finally:
                local.pop(_ITEM, None)

        rec.run(iteration)
