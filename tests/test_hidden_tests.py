"""The hidden tests of the course notebooks' check cells.

Every locked check cell ends with a ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` block
that tests the student's function on inputs the visible checker does not use. These tests check
that every check cell has one, that the block is silent and passes for the instructor's solution,
that releasing a notebook removes it, and that grading puts it back, so a solution that passes
the visible checker but not the hidden tests loses that exercise's points. That the hidden tests
reject every known wrong solution is tested, mutant by mutant, in ``test_mutations.py``.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import helpers
import helpers.checks
import helpers.checks.training

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments import grade_submission, release_notebook  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
#: nbgrader's defaults (ClearHiddenTests.begin_test_delimeter / end_test_delimeter).
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
#: grade_id -> why that check cell has no hidden tests. Empty: every check cell has some.
WITHOUT_HIDDEN_TESTS: dict[str, str] = {}
SOLUTION = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _check_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in _read(path).cells if _meta(c).get("grade") and not _meta(c).get("solution")]


def _split(source: str) -> tuple[str, str]:
    """``(visible part, hidden lines)`` of a check cell's source."""
    head, _, rest = source.partition(BEGIN + "\n")
    hidden, _, tail = rest.partition("\n" + END)
    return head.rstrip("\n"), hidden


def _check_cell_ids() -> list[tuple[Path, str]]:
    return [(p, _meta(c)["grade_id"]) for p in PATHS for c in _check_cells(p)]


CHECK_CELLS = _check_cell_ids()
CHECK_IDS = [f"{p.stem}:{gid}" for p, gid in CHECK_CELLS]


def test_course_has_check_cells():
    assert len([p for p in PATHS if p.name[:2].isdigit()]) == 9  # chapters (the maths refresher has none)
    assert len(CHECK_CELLS) >= len(PATHS)
    assert set(WITHOUT_HIDDEN_TESTS) <= {gid for _, gid in CHECK_CELLS}


@pytest.mark.parametrize(("path", "gid"), CHECK_CELLS, ids=CHECK_IDS)
def test_check_cell_ends_with_hidden_tests(path, gid):
    cell = next(c for c in _check_cells(path) if _meta(c)["grade_id"] == gid)
    lines = cell.source.split("\n")
    if gid in WITHOUT_HIDDEN_TESTS:
        assert BEGIN not in cell.source
        return
    assert lines.count(BEGIN) == 1 and lines.count(END) == 1, f"{path.name} {gid}: one hidden block"
    assert lines[-1] == END, f"{path.name} {gid}: the hidden block should end the cell"
    visible, hidden = _split(cell.source)
    assert visible and "HIDDEN" not in visible
    asserts = re.search(r"^\s*(assert |np\.testing\.assert_|_hc\.expect_)", hidden, re.M)
    assert asserts, f"{gid}: the hidden block asserts nothing"
    assert "print(" not in hidden, f"{gid}: hidden tests must print nothing"


def _exercise_names(path: Path) -> set[str]:
    """The functions the notebook's solution cells define (the student's)."""
    names = set()
    for cell in _read(path).cells:
        if _meta(cell).get("solution"):
            tree = ast.parse(cell.source)
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return names


@pytest.mark.parametrize(("path", "gid"), CHECK_CELLS, ids=CHECK_IDS)
def test_hidden_tests_call_the_student_only_through_call_student(path, gid):
    """call_student hands the function copies and names an input it changed in place, so the
    expected values, computed from the test's own arrays, cannot be zeroed by the function."""
    _, _, hidden = _exercise(path, gid)
    student = _exercise_names(path)
    direct = [
        node.func.id
        for node in ast.walk(ast.parse(hidden))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in student
    ]
    assert not direct, f"{gid}: the hidden tests call {direct} directly"
    assert "call_student(" in hidden, f"{gid}: the hidden tests never call the student's function"


# --------------------------------------------------------------------------------------------
# Running the check cells in-process: the instructor's solution passes silently
# --------------------------------------------------------------------------------------------
def _namespace() -> dict:
    ns: dict = {"np": np, "helpers": helpers}
    for module in (helpers.checks, helpers.checks.training):
        ns.update({k: getattr(module, k) for k in dir(module) if k.startswith("check_")})
    for name in ("forward_prop", "cross_entropy", "backward_prop", "update_params"):
        ns[name] = getattr(helpers, name)  # what notebook 05 imports for its training loop
    return ns


def _solution_cell(path: Path, gid: str) -> nbformat.NotebookNode:
    return next(c for c in _read(path).cells if _meta(c).get("grade_id") == gid)


def _run(code: str, ns: dict) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(code, "<check cell>", "exec"), ns)
    return out.getvalue(), err.getvalue()


def _exercise(path: Path, gid: str) -> tuple[nbformat.NotebookNode, str, str]:
    """``(the solution cell, visible part, hidden part)`` of the check cell ``gid``."""
    check = next(c for c in _check_cells(path) if _meta(c)["grade_id"] == gid)
    cells = _read(path).cells
    index = next(i for i, c in enumerate(cells) if _meta(c).get("grade_id") == gid)
    solution = next(c for c in reversed(cells[:index]) if _meta(c).get("solution"))
    return solution, *_split(check.source)


@pytest.mark.parametrize(("path", "gid"), CHECK_CELLS, ids=CHECK_IDS)
def test_hidden_tests_pass_silently_for_the_solution(path, gid):
    if gid in WITHOUT_HIDDEN_TESTS:
        pytest.skip(WITHOUT_HIDDEN_TESTS[gid])
    solution, visible, hidden = _exercise(path, gid)
    ns = _namespace()
    _run(solution.source, ns)
    out, err = _run(visible, ns)
    assert out.startswith("✓")
    assert _run(hidden, ns) == ("", ""), f"{gid}: the hidden tests printed something"


ZEROING = {
    "check_first_layer": (
        "01_forward_propagation.ipynb",
        "def first_layer(W1, b1, X):\n    for a in (W1, b1, X):\n        a[...] = 0\n"
        "    return np.zeros((W1.shape[0], X.shape[1]))",
    ),
    "check_forward_prop": (
        "01_forward_propagation.ipynb",
        "def forward_prop(W1, b1, W2, b2, X):\n    for a in (W1, b1, W2, b2, X):\n        a[...] = 0\n"
        "    h, m = W1.shape[0], X.shape[1]\n"
        "    return np.zeros((h, m)), np.zeros((h, m)), np.zeros((10, m)), np.full((10, m), 0.1)",
    ),
}


@pytest.mark.parametrize("gid", list(ZEROING))
def test_hidden_tests_are_not_fooled_by_a_function_that_zeroes_its_inputs(gid):
    """Zeroed inputs and zeros returned agree with a reference computed after the call; the
    hidden tests compute it before, from their own copies."""
    name, source = ZEROING[gid]
    _, _, hidden = _exercise(NOTEBOOKS / name, gid)
    ns = _namespace()
    _run(source, ns)
    with pytest.raises(AssertionError, match="in place"):
        _run(hidden, ns)


# --------------------------------------------------------------------------------------------
# Release removes the hidden tests
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_release_removes_hidden_tests(path):
    instructor = _read(path)
    released = {_meta(c).get("grade_id"): c for c in release_notebook(instructor).cells}
    text = "\n".join(c.source for c in released.values())
    assert "HIDDEN TESTS" not in text and "_hrng" not in text
    for cell in instructor.cells:
        gid = _meta(cell).get("grade_id")
        if BEGIN not in cell.source:
            continue
        visible, hidden = _split(cell.source)
        assert released[gid].source == visible, f"{gid}: the released check cell is the visible part"
        for line in hidden.splitlines():
            if line.strip() and not line.strip().startswith(("#", ")", "]", "):")):
                assert line not in released[gid].source.splitlines()


# --------------------------------------------------------------------------------------------
# Grading puts the hidden tests back
# --------------------------------------------------------------------------------------------
def _buggy_relu_submission(tmp_path: Path, instructor: nbformat.NotebookNode, name: str) -> Path:
    solutions = {_meta(c)["grade_id"]: c.source for c in instructor.cells if _meta(c).get("solution")}
    # relu fitted to the visible checker's inputs: a shape only the hidden tests use comes back as is
    buggy = "return np.maximum(Z, 0) if Z.shape != (3, 3) else Z"
    solutions["relu"] = SOLUTION.sub(buggy + "\n", solutions["relu"])
    submission = copy.deepcopy(release_notebook(instructor))
    for cell in submission.cells:
        if _meta(cell).get("solution"):
            cell.source = solutions[_meta(cell)["grade_id"]]
    path = tmp_path / "alice" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(submission, path)
    return path


def test_per_case_credit_from_the_check_cells_metadata(tmp_path):
    """The grader runs each hidden case on its own: the buggy relu fails one of them only, and a
    check cell asking for a 40% visible share gets its points per case in the result itself."""
    from helpers.assignments import cases
    from helpers.assignments.verdicts import python_source

    name = "02_relu_and_softmax.ipynb"
    instructor = _read(NOTEBOOKS / name)
    (check,) = [c for c in instructor.cells if _meta(c).get("grade_id") == "check_relu"]
    check.metadata["helpers"] = {"partial_credit": {"visible": 0.4}}
    n = cases.plan(python_source(check.source)).hidden
    source = tmp_path / "source"
    source.mkdir()
    nbformat.write(instructor, source / name)
    result = grade_submission(_buggy_relu_submission(tmp_path, instructor, name), source, timeout=120)
    assert result.status == "graded", result.error
    relu = next(e for e in result.exercises if e.grade_id == "check_relu")
    assert relu.status == "failed" and relu.cases[0].part == "visible" and relu.cases[0].passed
    hidden = [c.passed for c in relu.cases[1:]]
    assert len(hidden) == n >= 3 and hidden.count(False) == 1, hidden  # only the (3, 3) input
    assert relu.points == pytest.approx(0.4 + (n - 1) * 0.6 / n, abs=1e-4)
    assert [c.max_points for c in relu.cases] == pytest.approx([0.4] + [0.6 / n] * n)
    assert result.score == pytest.approx(result.max_score - 1 + relu.points)


def test_grading_a_solution_that_fails_only_hidden_tests(tmp_path):
    name = "02_relu_and_softmax.ipynb"
    instructor = _read(NOTEBOOKS / name)
    path = _buggy_relu_submission(tmp_path, instructor, name)
    assert BEGIN not in "\n".join(c.source for c in nbformat.read(path, 4).cells)

    result = grade_submission(path, NOTEBOOKS, timeout=120, notebook=name)

    assert result.status == "graded", result.error
    points = {e.grade_id: (e.points, e.max_points) for e in result.exercises}
    expected = {
        _meta(c)["grade_id"]: float(_meta(c)["points"]) for c in instructor.cells if _meta(c).get("grade")
    }
    assert points["check_relu"] == (0.0, expected["check_relu"])
    assert all(points[g] == (p, p) for g, p in expected.items() if g != "check_relu")
    assert result.score == result.max_score - expected["check_relu"]
    relu = next(e for e in result.exercises if e.grade_id == "check_relu")
    assert relu.output.startswith("✓ relu: all checks passed"), "the visible check passed"
    assert result.restored == [] and result.problems == []
