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

:func:`shared_package_copy` keeps one such copy per set of stand-ins for the whole process,
its bytecode compiled once, for kernels that cannot write to it (with bubblewrap it is bound
read-only; a root grader's kernels have users of their own): each kernel then neither copies nor
compiles the package (about 0.3 s of CPU a kernel). Otherwise each kernel gets its own copy.
"""

from __future__ import annotations

import ast
import atexit
import compileall
import re
import shutil
import threading
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


def package_copy(folder: Path, stubs: Iterable[str] = (), compiled: bool = False) -> Path:
    """Copy ``helpers`` into ``folder/helpers``, the functions named in ``stubs`` and the checks
    replaced as above (``compiled``: with its bytecode), and make it read-only; returns ``folder``."""
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
    if compiled:
        compileall.compile_dir(dst, quiet=2, workers=1)
    for p in sorted(dst.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    dst.chmod(0o555)
    return folder


_shared: dict[tuple[str, ...], Path] = {}  # stand-ins -> this process's copy
_lock = threading.Lock()  # a spare kernel starts in a thread of its own


def shared_package_copy(parent: Path, stubs: Iterable[str] = ()) -> Path:
    """This process's read-only copy for ``stubs`` (made on first use in a new folder in
    ``parent``, compiled, removed when the process ends): only for kernels that cannot write to it."""
    from multiprocessing import util

    from helpers.assignments.isolation import remove_folder
    from helpers.atomic import temp_folder

    key = tuple(sorted(set(stubs)))
    with _lock:
        if key not in _shared or not _shared[key].is_dir():
            folder = temp_folder(parent, "package")
            atexit.register(remove_folder, folder)
            util.Finalize(
                None, remove_folder, args=(folder,), exitpriority=10
            )  # a pool's worker skips atexit
            package_copy(folder, key, compiled=True)
            folder.chmod(0o755)  # the kernels' users list it (Python's import does) and read helpers/
            _shared[key] = folder
        return _shared[key]
