"""Shared test settings: draw figures off-screen, and mark the slow tests.

A test is ``slow`` when it starts Jupyter kernels, nbgrader, a browser or re-executes a
notebook: every test of the grading files below, the browser tests, nbval's notebook cells, and
any test whose body or fixtures call the grader or start a kernel. ``make test-fast`` runs the
rest (``-m "not slow"``); ``make test`` and CI run everything.
"""

import functools
import inspect
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

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


@functools.cache
def _calls_the_grader(func) -> bool:
    """Whether ``func``'s source calls the grader or starts a kernel (read once per function)."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):  # built-in fixtures have no source to read
        return False
    return bool(STARTS_KERNELS.search(source) or GRADE_COMMAND.search(source))


def _starts_kernels(item: pytest.Item) -> bool:
    """Whether the test's function or one of its fixtures calls the grader or starts a kernel."""
    functions = [getattr(item, "function", None)]
    for defs in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        functions += [d.func for d in defs]
    return any(func is not None and _calls_the_grader(func) for func in functions)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if (
            path.suffix == ".ipynb"
            or "browser" in path.parts
            or path.name in SLOW_FILES
            or _starts_kernels(item)
        ):
            item.add_marker(pytest.mark.slow)
