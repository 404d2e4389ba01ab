"""The ``helpers`` package a graded kernel imports: a read-only copy without the answers.

:func:`package_copy` copies the package for one kernel. In that copy every top-level function
of the course named like one of the notebook's exercises (``softmax`` for chapter 2, ...) is a
stand-in that calls the notebook's own function of that name (see
:func:`helpers.assignments.kernel_side.notebook_function`), and ``helpers.checks`` (which holds
references such as the training loop's) is a module whose every name refuses to run: checks run
in the grader. So no alias, thread, copied code object or switched-off profiler can reach the
course's answer inside the kernel; a function calling its own name in the course fails with
:class:`~helpers.assignments.kernel_side.ReferenceUnavailable`. The rest of the course
(``forward_prop`` in chapter 5, ``train``...) is there and, where it uses an exercise, uses the
student's.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

_CHECKS_STUB = '''"""In a graded kernel the checks are not here: they run in the grader."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def not_here(*args, **kwargs):
        raise RuntimeError(f"{name} runs in the grader, not in the graded kernel")

    return not_here
'''

_STUB = (
    "def {name}(*args, **kwargs):\n"
    '    """The notebook\'s own {name}: the course\'s is not available while this notebook is graded."""\n'
    '    return __import__("helpers.assignments.kernel_side", fromlist=["_"]).notebook_function(\n'
    '        "{name}", args, kwargs\n'
    "    )\n"
    "\n"
    "\n"
    "{name}.__grading_stub__ = True\n"
)


def stub_functions(source: str, names: set[str]) -> str:
    """``source`` with each top-level ``def`` of a name in ``names`` replaced by a stand-in."""
    if not any(re.search(rf"^(async )?def {re.escape(n)}\b", source, re.M) for n in names):
        return source
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    for node in reversed(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            lines[start : node.end_lineno] = [_STUB.format(name=node.name)]
    return "".join(lines)


def package_copy(folder: Path, stubs: Iterable[str] = ()) -> Path:
    """Copy ``helpers`` into ``folder/helpers``, the functions named in ``stubs`` and the checks
    replaced as above, and make it read-only; returns ``folder``."""
    import helpers

    src = Path(helpers.__file__).resolve().parent
    dst = folder / "helpers"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), symlinks=False)
    shutil.rmtree(dst / "checks")
    (dst / "checks").mkdir()
    (dst / "checks" / "__init__.py").write_text(_CHECKS_STUB)
    names = set(stubs)
    if names:
        for py in dst.rglob("*.py"):
            if "assignments" in py.relative_to(dst).parts:
                continue
            text = py.read_text(encoding="utf-8")
            new = stub_functions(text, names)
            if new != text:
                py.write_text(new, encoding="utf-8")
    for p in sorted(dst.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    dst.chmod(0o555)
    return folder
