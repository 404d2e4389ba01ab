"""Shared test settings: draw figures off-screen, and mark the slow tests.

A test is ``slow`` when it starts Jupyter kernels, nbgrader, a browser or re-executes a
notebook: every test of the grading files below, the browser tests, nbval's notebook cells, and
any test whose body or fixtures, or the test helpers they call, call the grader or start a
kernel. So is a test that starts the project's command line in a subprocess (``python -m
helpers ...``): every start imports NumPy and the package, the assignment and edition commands
nbformat too (seconds), and most then train or grade. A test that is slow for another reason
(minutes of CPU in-process) carries ``@pytest.mark.slow`` itself. ``make test-fast`` runs the
rest (``-m "not slow"``, in parallel); ``make test`` and CI run everything.
"""

import functools
import inspect
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

TESTS = Path(__file__).resolve().parent
SLOW_FILES = {
    "test_grading_attacks.py",
    "test_grading_batch.py",
    "test_grading_run_all.py",
    "test_nbgrader.py",
}
STARTS_KERNELS = re.compile(
    r"\b(grade_submissions?|grade_many|grade_one|grade_notebook|SandboxKernel|NotebookClient)\("
)
GRADE_COMMAND = re.compile(r"assignments.*[\"']grade(-one)?[\"']", re.DOTALL)  # the grading command line
# A test helper running a command that starts kernels: run("grade", ...), run("validate", ...)
GRADE_ARGUMENT = re.compile(r"(?<!\.get)\(\s*[\"'](grade|grade-one|regrade|validate)[\"']\s*,")
CALL = re.compile(r"\b([A-Za-z_]\w*)\(")
# The project's command line started in a subprocess: [sys.executable, "-m", "helpers", ...]
STARTS_CLI = re.compile(r"[\"']-m[\"'],\s*[\"']helpers\b")
CLI_CONSTANT = re.compile(r"\[\s*\*CLI\b")  # [*CLI, ...] with CLI = [sys.executable, "-m", "helpers", ...]


@functools.cache
def _starts_slow_work(func, seen: frozenset = frozenset()) -> bool:
    """Whether ``func``'s source, or a function of the tests it calls, calls the grader, starts
    a kernel or starts the command line in a subprocess (each function read once)."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):  # built-in fixtures have no source to read
        return False
    if STARTS_KERNELS.search(source) or GRADE_COMMAND.search(source) or STARTS_CLI.search(source):
        return True
    if CLI_CONSTANT.search(source) and STARTS_CLI.search(_module_source(func)):
        return True
    if GRADE_ARGUMENT.search(source) and "assignments" in _module_source(func):
        return True  # e.g. run("grade", ...) with run() starting the assignments command line
    names = getattr(func, "__globals__", {})
    called = {names.get(name) for name in CALL.findall(source)} - {None, func}
    return any(
        inspect.isfunction(f) and _is_test_code(f) and f not in seen and _starts_slow_work(f, seen | {func})
        for f in called
    )


@functools.cache
def _module_source(func) -> str:
    try:
        return inspect.getsource(inspect.getmodule(func))
    except (OSError, TypeError):
        return ""


def _is_test_code(func) -> bool:
    """Whether ``func`` is defined under tests/ (the grader's own code is not searched)."""
    return Path(inspect.getfile(func)).resolve().is_relative_to(TESTS)


def _slow_by_its_code(item: pytest.Item) -> bool:
    """Whether the test's function or one of its fixtures calls the grader, starts a kernel or
    starts the command line in a subprocess."""
    functions = [getattr(item, "function", None)]
    for defs in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        functions += [d.func for d in defs]
    return any(func is not None and _starts_slow_work(func) for func in functions)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if (
            path.suffix == ".ipynb"
            or "browser" in path.parts
            or path.name in SLOW_FILES
            or _slow_by_its_code(item)
        ):
            item.add_marker(pytest.mark.slow)
