"""Verdicts decided in the grader's own process, never in the student's kernel.

A check cell (the instructor's code: the visible ``check_x(x)`` call and the hidden tests) is run
here, in a namespace holding the instructor notebook's imports, where every other name it reads
(the student's ``x``) is a :class:`StudentFunction`: calling it sends the arguments to the
sandboxed kernel as data, the kernel calls the student's function and sends back the result as
data. The comparison, the verdict and the points are computed here, so nothing the student's code
does to its own ``check_x``, ``numpy`` or IPython can change them.

Calls into the course's reference implementation are detected twice: in the solution cells'
source (:func:`reference_uses`, by AST) and while the student's function runs (a tripwire in the
kernel, see :mod:`helpers.assignments.kernel_side`).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nbformat import NotebookNode

from helpers.assignments.cases import CaseResult
from helpers.assignments.cells import solution_names
from helpers.assignments.sandbox import KernelProblem, SandboxKernel
from helpers.errors import strip_ansi


@functools.lru_cache(maxsize=4096)  # the same check cells, for every submission
def python_source(source: str) -> str:
    """A cell's source as plain Python (IPython magics turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return None


def grader_namespace(instructor: NotebookNode) -> dict[str, Any]:
    """``np``, ``helpers``, the checkers and the instructor's own import statements that bind a name
    the check cells read."""
    import helpers
    import helpers.checks

    ns: dict[str, Any] = {"np": np, "helpers": helpers, "__name__": "__grader__"}
    ns.update({k: getattr(helpers.checks, k) for k in helpers.checks.__all__})
    wanted: set[str] = set()  # names the check cells read: only their imports are worth running
    for cell in instructor.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        tree = _parse(cell.source) if cell.cell_type == "code" and meta.get("grade") else None
        wanted |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()
    for cell in instructor.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        tree = _parse(cell.source)
        for node in tree.body if tree else []:
            bound = {(a.asname or a.name).split(".")[0] for a in getattr(node, "names", [])}
            if isinstance(node, ast.Import | ast.ImportFrom) and bound & wanted:
                with contextlib.suppress(Exception):
                    exec(compile(ast.Module([node], []), "<instructor imports>", "exec"), ns)  # noqa: S102
    # "from helpers import update_params  (the reference from here on)" binds an exercise's name:
    # the names the solution cells define are always the student's.
    for name in solution_names(instructor):
        ns.pop(name, None)
    return ns


def free_names(source: str, ns: dict[str, Any]) -> list[str]:
    """Names the code reads but neither defines nor finds in ``ns`` or the builtins: the student's."""
    tree = _parse(source)
    if tree is None:
        return []
    loaded, stored = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded.append(node.id) if isinstance(node.ctx, ast.Load) else stored.add(node.id))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda | ast.arg):
            stored.add(getattr(node, "name", None) or getattr(node, "arg", ""))
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
    return [n for n in dict.fromkeys(loaded) if n not in stored and n not in ns and not hasattr(builtins, n)]


def reference_uses(nb: NotebookNode) -> dict[str, str]:
    """``{function name: how}`` for solution-cell functions that call the course's function of that name.

    Seen: ``helpers.softmax``, ``helpers.nn.softmax``, any alias of a helpers module,
    ``from helpers import softmax [as s]``, ``getattr(<helpers alias>, "softmax")``.
    """
    trees = [(c, _parse(c.source)) for c in nb.cells if c.cell_type == "code"]
    roots, imported = {"helpers"}, {}
    for _, tree in trees:
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "helpers":
                        roots.add(a.asname or "helpers")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
                for a in node.names:
                    roots.add(a.asname or a.name)
                    imported[a.asname or a.name] = a.name
    found: dict[str, str] = {}
    for cell, tree in trees:
        if not (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("solution") or tree is None:
            continue
        for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(func):
                how = None
                if isinstance(node, ast.Name) and imported.get(node.id) == func.name:
                    how = f"{node.id} (imported from helpers)"
                elif isinstance(node, ast.Attribute) and node.attr == func.name:
                    root = node.value
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(root, ast.Name) and root.id in roots:
                        how = ast.unparse(node)
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr"
                    and any(isinstance(a, ast.Constant) and a.value == func.name for a in node.args[1:])
                ):
                    how = ast.unparse(node)
                if how and func.name not in found:
                    found[func.name] = f"{func.name} calls the course's reference {how}"
    return found


def _student_exception(ename: str, message: str) -> BaseException:
    """The student's exception, rebuilt here as a plain exception of the same name."""
    if ename == "NotImplementedError":
        return NotImplementedError(message)
    name = re.sub(r"\W", "", ename)[:60] or "Error"
    return type(name, (Exception,), {})(message)


def _changed(sent: Any, back: Any, where: str) -> str | None:
    """Where the kernel's copy ``back`` of an argument differs from what was ``sent``, or None."""
    if isinstance(sent, np.ndarray):
        if not (isinstance(back, np.ndarray) and back.shape == sent.shape and back.dtype == sent.dtype):
            return where
        return None if np.array_equal(sent, back, equal_nan=sent.dtype.kind in "fc") else where
    if isinstance(sent, list | tuple):
        if not isinstance(back, list | tuple) or len(back) != len(sent):
            return where
        return next(
            (w for i, (a, b) in enumerate(zip(sent, back)) if (w := _changed(a, b, f"{where}[{i}]"))), None
        )
    if isinstance(sent, dict):
        if not isinstance(back, dict) or back.keys() != sent.keys():
            return where
        return next((w for k in sent if (w := _changed(sent[k], back[k], f"{where}[{k!r}]"))), None)
    return None


class StudentFunction:
    """Stands for the student's function ``name``: calls it in the kernel, on data, and returns data.

    The kernel gets copies (the arguments travel as data), so the check's own arrays keep their
    values whatever the function does; a function that changes an argument in place is recorded
    in ``changed`` (and fails its exercise, see :func:`run_check`): none of the course's
    exercises changes its inputs.
    """

    def __init__(self, kernel: SandboxKernel, name: str) -> None:
        self.kernel, self.name, self.__name__ = kernel, name, name
        self.reference_calls = self.peak_bytes = 0
        self.measure_memory = False  # set by a checker that judges the memory a call holds
        self.changed = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            out = self.kernel.call(self.name, args, kwargs, measure=self.measure_memory)
        except TypeError as exc:  # an argument that is not data: a checker the grader cannot run
            raise KernelProblem(f"{self.name}: cannot send {exc} to the kernel") from None
        self.reference_calls += int(out.get("reference_calls", 0) or 0)
        self.peak_bytes = int(out.get("peak_bytes", 0) or 0)  # measured in the kernel, for memory checks
        if "error" in out:
            ename, message = (list(out["error"]) + ["", ""])[:2]
            raise _student_exception(str(ename), str(message))
        if "result" not in out:
            raise KernelProblem(f"{self.name}: malformed result (no return value)")
        back_args, back_kwargs = list(out.get("args", []) or []), dict(out.get("kwargs", {}) or {})
        sent = [
            (f"argument {i + 1}", a, back_args[i] if i < len(back_args) else None) for i, a in enumerate(args)
        ]
        sent += [(f"argument {k}", v, back_kwargs.get(k)) for k, v in kwargs.items()]
        where = next((w for label, a, b in sent if (w := _changed(a, b, label))), None)
        if where and not self.changed:
            self.changed = f"{self.name} changed its {where} in place; leave the inputs as they are"
        return out["result"]


def _message(exc: BaseException) -> str:
    from helpers.checks.core import CheckFailed

    if isinstance(exc, CheckFailed):
        return str(exc)
    lines = [ln.strip() for ln in strip_ansi(str(exc)).splitlines() if ln.strip()]
    text = " ".join(lines[:3])[:400]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class CheckRun:
    """What running one check cell here gave: ``passed`` (every case passed), ``message`` (why it
    failed: the first failing case's verdict, or an argument changed in place), what it
    ``printed``, the student's functions' calls into the course's reference, and the ``cases``
    (:mod:`helpers.assignments.cases`)."""

    passed: bool
    message: str
    printed: str = ""
    reference_calls: dict[str, int] = field(default_factory=dict)
    cases: list[CaseResult] = field(default_factory=list)


def _bind(names: list[str], kinds: dict, kernel: SandboxKernel, local: dict) -> dict[str, StudentFunction]:
    """Put the student's functions (as :class:`StudentFunction`) and values into ``local``."""
    proxies = {}
    for n in names:
        kind = kinds.get(n)
        if kind == "function":
            local[n] = proxies[n] = StudentFunction(kernel, n)
        elif isinstance(kind, list) and len(kind) == 2 and kind[0] == "value":
            local[n] = kind[1]
    return proxies


def run_check(source: str, ns: dict[str, Any], kernel: SandboxKernel) -> CheckRun:
    """Run the check code ``source`` here, case by case (:mod:`helpers.assignments.cases`).

    A student function that changed an argument in place fails the case it did it in, and the
    check, whatever it printed; the change is the check's message.
    """
    from helpers.assignments import cases

    try:
        names = free_names(source, ns)
        kinds = kernel.describe(names) if names else {}
    except KernelProblem as exc:
        return CheckRun(False, f"not graded: {exc}")
    why = "SyntaxError"
    try:
        cell = cases.plan(python_source(source))
        if cell is None:
            compile(python_source(source), "<check cell>", "exec")
    except Exception as exc:  # noqa: BLE001 - a check cell that is not Python fails as a whole
        cell, why = None, _message(exc)
    if cell is None:
        return CheckRun(False, why, cases=[cases.CaseResult("visible", False, why)])
    local = dict(ns)
    proxies = _bind(names, kinds, kernel, local)
    first_change: list[str] = []

    def changed() -> str:
        why = next((p.changed for p in proxies.values() if p.changed), "")
        for p in proxies.values():
            p.changed = ""
        if why and not first_change:
            first_change.append(why)
        return why

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        found, problem = cases.run(cell, local, _message, changed)
    failed = next((c.message for c in found if c.passed is not True), "")
    message = problem or (first_change[0] if first_change else failed)
    passed = not problem and all(c.passed for c in found)
    calls = {n: p.reference_calls for n, p in proxies.items() if p.reference_calls}
    return CheckRun(passed, message, strip_ansi(buf.getvalue()).strip()[-1000:], calls, found)
