"""A mutation suite for the exercise checkers: the mistakes students really make, for every
exercise, each rejected by the visible checker with a verdict that names the problem (without
the code of the fix) and by the exercise's hidden tests in the notebook; and right solutions
written in unusual ways (``mutants.CORRECT``), each accepted by both.

Each exercise (in the package ``mutants`` beside this file) lists its mutants as solution
bodies: the text that replaces the notebook's ``### BEGIN SOLUTION`` .. ``### END SOLUTION``
block. The function around it is the notebook's own solution cell and the hidden tests are
those of the locked check cell after it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
from mutants import CORRECT, EXERCISES

import helpers
import helpers.checks
from helpers.checks import CheckFailed

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)
#: Code that a verdict must never contain: it would hand the student the fix.
CODE = ("np.", "keepdims", "axis=", ".T", "@", "return np", "return (", "astype", "[:,", "lambda")


# --------------------------------------------------------------------------------------------
# Machinery: the exercise cells, a mutant's function, its verdict and the hidden tests
# --------------------------------------------------------------------------------------------
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _notebook_exercises() -> dict[str, tuple[str, str, str | None]]:
    """solution grade_id -> (notebook name, solution cell source, hidden tests of the check cell
    after it or None) for every exercise in the notebooks."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            if not _meta(cell).get("solution"):
                continue
            check = next(
                (c for c in cells[i + 1 :] if _meta(c).get("grade") and not _meta(c).get("solution")), None
            )
            hidden = None
            if check is not None and BEGIN in check.source:
                hidden = check.source.partition(BEGIN + "\n")[2].partition("\n" + END)[0]
            found[_meta(cell)["grade_id"]] = (path.name, cell.source, hidden)
    return found


IN_NOTEBOOKS = _notebook_exercises()


def _namespace() -> dict:
    """What the notebooks' cells see: NumPy, helpers and the functions notebook 05 imports."""
    ns: dict = {"np": np, "helpers": helpers}
    for name in ("forward_prop", "cross_entropy", "backward_prop", "update_params"):
        ns[name] = getattr(helpers, name)
    return ns


def _function(gid: str, body: str | None = None):
    """The exercise's function: the solution, or the solution block replaced by ``body``."""
    source = IN_NOTEBOOKS[gid][1]
    if body is not None:
        source = SOLUTION.sub(
            lambda m: "\n".join(m.group(1) + line for line in body.split("\n")) + "\n", source
        )
        assert "BEGIN SOLUTION" not in source
    ns = _namespace()
    exec(compile(source, f"<{gid}>", "exec"), ns)
    return ns[gid], ns


def _verdict(gid: str, func) -> tuple[bool, str]:
    """(passed, printed line) of the visible checker on ``func``."""
    checker = getattr(helpers.checks, EXERCISES[gid][0])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            checker(func)
        except CheckFailed as exc:
            assert out.getvalue().strip() == str(exc), "the verdict is printed once, as raised"
            return False, str(exc)
    return True, out.getvalue().strip()


@contextlib.contextmanager
def _quietly():
    """As a notebook runs a check cell: output captured, warnings and floating-point errors not raised."""
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        yield


def _hidden_tests_pass(gid: str, ns: dict) -> bool:
    """Run the hidden tests the way the notebook does (warnings are not errors there)."""
    hidden = IN_NOTEBOOKS[gid][2]
    assert hidden, f"{gid}: its check cell has no hidden tests"
    with _quietly():
        try:
            exec(compile(hidden, f"<hidden tests of {gid}>", "exec"), ns)
        except Exception:  # noqa: BLE001 - a failed assert or a crash both score 0
            return False
    return True


CASES = [(gid, m) for gid, (_, mutants) in EXERCISES.items() for m in mutants]
CASE_IDS = [f"{gid}:{m.id}" for gid, m in CASES]
RIGHT = [(gid, c) for gid, variants in CORRECT.items() for c in variants]
RIGHT_IDS = [f"{gid}:{c.id}" for gid, c in RIGHT]


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------
def test_every_exercise_has_at_least_five_mutants():
    assert IN_NOTEBOOKS, "no exercises found in the notebooks"
    assert set(IN_NOTEBOOKS) == set(EXERCISES), set(IN_NOTEBOOKS) ^ set(EXERCISES)
    for gid, (_, mutants) in EXERCISES.items():
        assert len(mutants) >= 5, f"{gid}: {len(mutants)} mutants"
        assert len({m.id for m in mutants}) == len(mutants)


@pytest.mark.parametrize("gid", list(EXERCISES))
def test_the_solution_passes_the_checker_and_the_hidden_tests(gid):
    func, ns = _function(gid)
    passed, line = _verdict(gid, func)
    assert passed and line.startswith("✓"), line
    assert _hidden_tests_pass(gid, ns)


@pytest.mark.parametrize(("gid", "mutant"), CASES, ids=CASE_IDS)
def test_the_checker_rejects_the_mutant_and_names_the_problem(gid, mutant):
    func, _ = _function(gid, mutant.body)
    passed, line = _verdict(gid, func)
    assert not passed, f"{gid}: the checker passed {mutant.id!r}"
    text = line.lower()
    for word in mutant.words:
        assert word.lower() in text, f"{word!r} not in {line!r}"
    for code in CODE + mutant.not_words:
        assert code.lower() not in text, f"the verdict gives code away ({code!r}): {line!r}"


@pytest.mark.parametrize(("gid", "mutant"), CASES, ids=CASE_IDS)
def test_the_hidden_tests_reject_the_mutant(gid, mutant):
    _, ns = _function(gid, mutant.body)
    assert not _hidden_tests_pass(gid, ns), f"{gid}: the hidden tests passed {mutant.id!r}"


@pytest.mark.parametrize(("gid", "variant"), RIGHT, ids=RIGHT_IDS)
def test_an_unusual_right_solution_passes_the_checker_and_the_hidden_tests(gid, variant):
    func, _ = _function(gid, variant.body)
    passed, line = _verdict(gid, func)
    assert passed, f"{gid}: the checker rejected {variant.id!r}: {line}"
    _, ns = _function(gid, variant.body)
    assert _hidden_tests_pass(gid, ns), f"{gid}: the hidden tests rejected {variant.id!r}"


def test_every_exercise_has_unusual_right_solutions():
    assert set(CORRECT) == set(EXERCISES), set(EXERCISES) - set(CORRECT)


# --------------------------------------------------------------------------------------------
# Per-case credit: the grader's case-by-case run of the whole check cell, half the points visible
# --------------------------------------------------------------------------------------------
SHARE = 0.5


@functools.cache
def _check_cell(gid: str) -> tuple[str, dict]:
    """The locked check cell after exercise ``gid``'s solution cell, and the grader's namespace."""
    from helpers.assignments.verdicts import grader_namespace

    path = NOTEBOOKS / IN_NOTEBOOKS[gid][0]
    cells = nbformat.read(path, as_version=4).cells
    at = next(i for i, c in enumerate(cells) if _meta(c).get("grade_id") == gid)
    check = next(c for c in cells[at + 1 :] if _meta(c).get("grade") and not _meta(c).get("solution"))
    return check.source, grader_namespace(nbformat.read(path, as_version=4))


def _per_case_score(gid: str, body: str | None):
    """The exercise scored the grader's way, case by case, with the visible check worth ``SHARE``."""
    from helpers.assignments import cases, partial_credit
    from helpers.assignments.grade import ExerciseResult
    from helpers.assignments.verdicts import _message, python_source

    func, _ = _function(gid, body)
    source, ns = _check_cell(gid)
    with _quietly():
        found, problem = cases.run(cases.plan(python_source(source)), {**ns, gid: func}, _message)
    assert not problem
    passed = all(c.passed for c in found)
    e = ExerciseResult(gid, 2.0 if passed else 0.0, 2.0, "passed" if passed else "failed", "", "", found)
    partial_credit.score(e, SHARE)
    return e


@pytest.mark.parametrize(("gid", "mutant"), CASES, ids=CASE_IDS)
def test_with_per_case_credit_a_mutant_still_scores_below_full_marks(gid, mutant):
    e = _per_case_score(gid, mutant.body)
    assert e.status == "failed" and e.points < e.max_points, f"{gid}: {mutant.id!r} scored full marks"
    assert [c.part for c in e.cases][:1] == ["visible"] and len(e.cases) > 2  # one case per hidden input
    assert e.cases[0].passed is False  # the visible check rejects it (see above): its share is lost


@pytest.mark.parametrize(
    ("gid", "variant"), [(g, None) for g in EXERCISES] + RIGHT, ids=list(EXERCISES) + RIGHT_IDS
)
def test_with_per_case_credit_right_solutions_score_full_marks(gid, variant):
    e = _per_case_score(gid, variant.body if variant is not None else None)
    assert e.status == "passed" and e.points == e.max_points, [c.message for c in e.cases if not c.passed]
    assert sum(c.points for c in e.cases) == pytest.approx(e.max_points)
