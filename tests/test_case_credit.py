"""Check cells run case by case in the grader's process, and the points split over the cases.

No kernel is started here: the student's functions are plain Python functions in the namespace
(the grader's own runs go through :class:`~helpers.assignments.verdicts.StudentFunction`; see
``test_hidden_tests.py`` and ``test_class_feedback.py``).
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from small_class import result  # noqa: E402

from helpers.assignments import cases, partial_credit  # noqa: E402
from helpers.assignments.cases import CaseResult  # noqa: E402
from helpers.assignments.disclosure import student_message  # noqa: E402
from helpers.assignments.kernel_calls import KernelProblem  # noqa: E402
from helpers.assignments.verdicts import _message, python_source  # noqa: E402

CELL = """\
assert double(2) == 4, "double(2) should be 4"
### BEGIN HIDDEN TESTS
_hk = 3
for _hx, _hwant in ((1, 2), (5, 10), (-4, -8), (0.5, 1.0)):
    assert double(_hx) == _hwant, f"secret input {_hx}"
assert double(_hk) == 6, "secret three"
### END HIDDEN TESTS
"""


def _run(source: str, **student) -> tuple[list[CaseResult], str]:
    plan = cases.plan(python_source(source))
    assert plan is not None
    with redirect_stdout(io.StringIO()):
        return cases.run(plan, {"np": np, **student}, _message)


def _passed(found: list[CaseResult]) -> list[tuple[str, bool | None]]:
    return [(c.part, c.passed) for c in found]


def test_each_iteration_of_a_written_out_loop_and_each_check_is_a_case():
    plan = cases.plan(python_source(CELL))
    assert plan.visible and plan.hidden == 5  # 4 iterations + the assert; the assignment is setup
    found, problem = _run(CELL, double=lambda x: 2 * x)
    assert problem == "" and all(c.passed for c in found) and len(found) == 6


def test_a_failing_case_does_not_stop_the_next_ones():
    found, _ = _run(CELL, double=lambda x: 2 * x if x > 0 else 0)  # wrong for -4 only
    assert _passed(found) == [("visible", True)] + [("hidden", p) for p in (True, True, False, True, True)]
    assert found[3].message == "AssertionError: secret input -4"  # kept for the instructor


def test_a_visible_failure_still_runs_the_hidden_cases():
    found, _ = _run(CELL, double=lambda x: 2 * x if x != 2 else 5)
    assert _passed(found)[0] == ("visible", False) and all(c.passed for c in found[1:])


def test_a_failing_setup_fails_every_hidden_case_after_it_and_never_uses_stale_data():
    cell = CELL.replace("_hk = 3", "_hk = double('x') * 0 + 3")  # setup that raises for this double
    found, _ = _run(cell, double=lambda x: 2 * x if isinstance(x, int | float) else 1 / 0)
    assert _passed(found) == [("visible", True)] + [("hidden", False)] * 5
    assert all(c.message == "ZeroDivisionError: division by zero" for c in found[1:])
    trailing = CELL.replace("### END", "_hlast = double(None) + 1\n### END")
    found, _ = _run(trailing, double=lambda x: 2 * x)  # setup after the last case fails that case
    assert _passed(found)[-1] == ("hidden", False) and "TypeError" in found[-1].message


def test_a_loop_that_is_not_written_out_is_one_case():
    cell = "### BEGIN HIDDEN TESTS\nfor _hx in range(3):\n    assert double(_hx) == 2 * _hx\n"
    cell += "### END HIDDEN TESTS"
    plan = cases.plan(cell)
    assert not plan.visible and plan.hidden == 1
    found, _ = _run(cell, double=lambda x: 2 * x if x != 1 else 0)
    assert _passed(found) == [("hidden", False)]


def test_continue_works_in_a_case_and_a_loop_with_break_is_one_case():
    cell = (
        "### BEGIN HIDDEN TESTS\nfor _hx in (1, 2, 3):\n    if _hx == 2:\n        continue\n"
        "    assert double(_hx) == 2 * _hx\n### END HIDDEN TESTS"
    )
    found, _ = _run(cell, double=lambda x: 2 * x if x != 2 else 0)
    assert _passed(found) == [("hidden", True)] * 3
    assert cases.plan(cell.replace("continue", "break")).hidden == 1


def test_a_kernel_problem_stops_the_run_and_leaves_the_rest_not_run():
    def double(x):
        if x == -4:
            raise KernelProblem("double: still running after 10 s, interrupted")
        return 2 * x

    found, problem = _run(CELL, double=double)
    assert problem == "not graded: double: still running after 10 s, interrupted"
    assert _passed(found) == [("visible", True)] + [("hidden", p) for p in (True, True, None, None, None)]


def test_an_argument_changed_in_place_fails_the_case_it_happened_in():
    changed: list[int] = []

    def double(x):
        changed.extend([1] if x == 5 else [])
        return 2 * x

    def after() -> str:  # what the grader's StudentFunction reports after each case
        return "double changed its argument 1 in place" if changed and not changed.clear() else ""

    with redirect_stdout(io.StringIO()):
        found, _ = cases.run(cases.plan(python_source(CELL)), {"double": double}, _message, after)
    assert [c.passed for c in found] == [True, True, False, True, True, True]
    assert found[2].message == "double changed its argument 1 in place"


# --------------------------------------------------------------------------------------------
# Points per case
# --------------------------------------------------------------------------------------------
def _exercise(visible: bool | None, hidden: list[bool | None], status: str = "failed", message: str = "x"):
    r = result("ada", check=(0.0, 2.0, status, message))
    e = r.exercises[0]
    e.cases = [CaseResult("visible", visible)] + [CaseResult("hidden", h) for h in hidden]
    return r, e


def test_visible_share_and_hidden_cases_share_the_rest_equally():
    _, e = _exercise(True, [True, False, True, False, True])
    assert partial_credit.score(e, 0.4)
    assert e.points == pytest.approx(0.8 + 3 * 1.2 / 5)
    assert [c.max_points for c in e.cases] == pytest.approx([0.8, 0.24, 0.24, 0.24, 0.24, 0.24])
    text = partial_credit.breakdown(e)
    assert (
        text == "visible check passed: 0.8/0.8; hidden tests 3 of 5 passed: 0.72/1.2 "
        "(hidden tests 2 and 4 of 5 failed)"
    )


def test_all_or_nothing_by_default_and_when_nothing_is_asked():
    _, e = _exercise(True, [True, False])
    assert not partial_credit.score(e, None) and e.points == 0.0
    assert partial_credit.breakdown(e) == (
        "visible check passed; hidden tests 1 of 2 passed (hidden test 2 of 2 failed); all or nothing"
    )
    _, e = _exercise(True, [True, True], status="passed")
    partial_credit.score(e, 0.3)
    assert e.points == 2.0 and sum(c.points for c in e.cases) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("not run", "not graded: the kernel died"),
        ("not graded", "not graded: the kernel did not start"),
        ("failed", "not graded: relu: still running after 10 s, interrupted"),
        ("failed", "uses the course's reference implementation: relu calls helpers.relu"),
        ("manual", "needs manual grading (scored 0 here)"),
    ],
)
def test_what_the_grader_could_not_decide_earns_no_partial_points(status, message):
    _, e = _exercise(True, [True, None, None], status=status, message=message)
    assert not partial_credit.score(e, 0.5)
    assert e.points == 0.0 and all(c.points == 0 for c in e.cases)


def _instructor(tmp_path: Path, share) -> Path:
    meta = {"nbgrader": {"grade": True, "grade_id": "check", "points": 2, "solution": False, "locked": True}}
    if share is not None:
        meta["helpers"] = {"partial_credit": {"visible": share}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL, metadata=meta)])
    nbformat.write(nb, tmp_path / "01_fixture.ipynb")
    return tmp_path


def test_the_flag_splits_every_exercise_and_a_cells_own_metadata_wins(tmp_path):
    r, _ = _exercise(True, [True, False, False, False, True])
    out = partial_credit.apply([r], 0.5, _instructor(tmp_path, None))
    assert out[0].score == pytest.approx(1.0 + 2 * 1.0 / 5) and r.score == 0.0  # a copy
    assert out[0].problems == [
        "check: visible check passed: 1/1; hidden tests 2 of 5 passed: 0.4/1 "
        "(hidden tests 2, 3 and 4 of 5 failed): 1.4 of 2 points (partial credit)"
    ]
    out = partial_credit.apply([r], 0.5, _instructor(tmp_path, 0.0))  # visible 0%: the cases share it all
    assert out[0].score == pytest.approx(2 * 2.0 / 5)
    assert partial_credit.apply([r], None, tmp_path)[0].score == pytest.approx(0.8)  # metadata alone
    r2, _ = _exercise(True, [False] * 5)
    out = partial_credit.apply([r2], 0.5, _instructor(tmp_path, None))  # the old behaviour
    assert out[0].problems == [
        "check: the visible check passed, the hidden tests did not: 1 of 2 points (partial credit)"
    ]


@pytest.mark.parametrize("bad", [1.5, -0.1, "40%", True, None, {"hidden": 0.5}])
def test_malformed_metadata_is_one_line_naming_the_cell(tmp_path, bad):
    meta = {"nbgrader": {"grade": True, "grade_id": "check", "points": 2, "solution": False, "locked": True}}
    meta["helpers"] = {"partial_credit": bad if isinstance(bad, dict) else {"visible": bad}}
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL, metadata=meta)]),
        tmp_path / "01_fixture.ipynb",
    )
    with pytest.raises(ValueError, match=r"01_fixture.ipynb: check: metadata helpers.partial_credit") as exc:
        partial_credit.check_cells(tmp_path)
    assert "\n" not in str(exc.value)


def test_a_student_is_told_which_hidden_cases_failed_by_number_only():
    _, e = _exercise(True, [True, False, True, False, True], message="AssertionError: secret input -4")
    e.cases[2].message = e.cases[4].message = "AssertionError: secret input -4"
    told = student_message(e.status, e.message, "", CELL, e.cases)
    assert (
        told == "the visible check passed, but the hidden test failed in cases 2 and 4 of 5 "
        "(hidden tests are not shown)"
    )
    assert "secret" not in told + partial_credit.breakdown(e)
    _, e = _exercise(False, [True, True], message="AssertionError: double(2) should be 4")
    e.cases[0].message = e.message
    assert student_message(e.status, e.message, "", CELL, e.cases) == e.message  # the visible verdict
