"""What is made from result files, without grading anything (1): what students may be told,
feedback pages, the class's view, identical answers and partial credit."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402
import checker_notebook as cx  # noqa: E402
from small_class import result  # noqa: E402

from helpers.assignments import class_stats, identical  # noqa: E402
from helpers.assignments.disclosure import student_message  # noqa: E402
from helpers.assignments.feedback import feedback_path, write_feedback  # noqa: E402
from helpers.assignments.grade import SubmissionResult  # noqa: E402


# --------------------------------------------------------------------------------------------
# What a student may be told
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "printed", "shown"),
    [
        ("AssertionError: mean([1, 2, 3]) should be 2", "", True),  # the visible assert's own text
        ("AssertionError: hidden: the mean of one value is that value", "", False),
        ("ZeroDivisionError: division by zero", "", False),  # visible or hidden: cannot tell
        ("NameError: name 'mean' is not defined", "", True),
        ("not graded: the kernel died", "", True),
    ],
)
def test_a_plain_assert_check_shows_only_visible_messages(message, printed, shown):
    told = student_message("failed", message, printed, fx.CHECK_MEAN)
    assert (told == message) is shown
    if not shown:
        assert told == "the hidden test failed (hidden tests are not shown)"


@pytest.mark.parametrize(
    ("message", "printed", "shown"),
    [
        ("✗ softmax: the rows sum to 1", "✗ softmax: the rows sum to 1", True),
        ("AssertionError: Not equal to tolerance rtol=1e-06", "✓ softmax: all checks passed", False),
        ("NameError: name '_hz' is not defined", "✓ softmax: all checks passed", False),
    ],
)
def test_a_checker_check_shows_its_verdict_and_hides_the_hidden_tests(message, printed, shown):
    told = student_message("failed", message, printed, cx.CHECK_SOFTMAX)
    assert (told == message) is shown
    if not shown:
        assert told.startswith("the visible check passed, but the hidden test failed")
        assert "rtol" not in told and "_hz" not in told


def test_a_checker_called_by_a_hidden_test_is_not_taken_for_the_visible_one():
    source = "check_relu(relu)\n### BEGIN HIDDEN TESTS\ncheck_relu(relu2)\n### END HIDDEN TESTS"
    hidden = student_message("failed", "✗ relu: bad", "✓ relu: all checks passed\n✗ relu: bad", source)
    assert hidden.startswith("the visible check passed, but the hidden test failed")
    assert student_message("failed", "✗ relu: bad", "✗ relu: bad", source) == "✗ relu: bad"
    aliased = (
        "check_relu(relu)\n### BEGIN HIDDEN TESTS\nfrom helpers.checks import fail as f\nf('relu', 'Z=42')\n"
    )
    told = student_message(
        "failed", "✗ relu: Z=42", "✓ relu: all checks passed\n✗ relu: Z=42", aliased + "### END HIDDEN TESTS"
    )
    assert "Z=42" not in told and "hidden test failed" in told
    cut = "x" * 1000 + "\n✗ relu: bad"  # the grader keeps the end of long output: cannot count
    assert "hidden test failed" in student_message("failed", "✗ relu: bad", cut, source)


def test_without_hidden_tests_every_message_is_the_students():
    assert student_message("failed", "ZeroDivisionError: x", "", fx.CHECK_SQUARE) == "ZeroDivisionError: x"
    assert student_message("passed", "", "", fx.CHECK_SQUARE) == "passed"
    assert student_message("failed", "AssertionError: secret", "", None) == "failed (details withheld)"


def test_feedback_page_of_a_synthetic_result(tmp_path):
    source = tmp_path / "src"
    fx.write_source_dir(source)
    sub = tmp_path / "subs" / "../evil" / "x"
    sub.mkdir(parents=True)
    nb = fx.make_instructor_notebook()
    nb.cells[6].source = "def mean(xs):\n    return sum(xs) / 3"
    nb.cells[7].source = "print('my own check')"  # the check cell edited...
    del nb.cells[4]  # ... and check_square deleted: both are shown as in the student's copy
    nbformat.write(nb, sub / fx.NAME)
    r = result(
        "../evil",
        check_square=(2, 2, "passed", ""),
        check_mean=(0, 3, "failed", "AssertionError: hidden: the mean of one value is that value"),
    )
    r.file = str(sub / fx.NAME)
    (page,) = write_feedback([r], tmp_path / "fb", source)
    assert page == feedback_path(r, tmp_path / "fb") and page.parent.parent == tmp_path / "fb"
    text = page.read_text()
    assert "hidden: the mean" not in text and "mean([4.0])" not in text and "BEGIN HIDDEN" not in text
    assert "the hidden test failed" in text and "sum(xs) / 3" in text and "my own check" not in text
    cells = text.split('<section class="cell"')
    square = next(i for i, c in enumerate(cells) if "return x * x" in c)
    assert "assert square(3) == 9" in cells[square + 1] and "check_square: 2 / 2 points" in cells[square + 1]
    assert "return sum(xs) / len(xs)" not in text  # the instructor's solution is not the student's
    again = write_feedback([r, r], tmp_path / "fb2", source)
    assert [p.name for p in again] == ["01_fixture.html", "01_fixture-2.html"]


# --------------------------------------------------------------------------------------------
# What the class gets wrong
# --------------------------------------------------------------------------------------------
def test_class_stats_group_the_same_mistake_and_count_students():
    loss = "✗ loss: the loss is {}, expected {}: a total, not a mean"
    results = [
        result(
            "a", check_square=(2, 2, "passed", ""), check_mean=(0, 3, "failed", loss.format(21.96, 4.392))
        ),
        result(
            "b",
            check_square=(0, 2, "failed", "✗ square: shape (3,)"),
            check_mean=(0, 3, "failed", loss.format(19.3, 3.86)),
        ),
        result("c", check_square=(2, 2, "passed", ""), check_mean=(3, 3, "passed", "")),
        result(
            "d", check_square=(0, 2, "not run", "not graded: kernel died"), check_mean=(0, 3, "not run", "x")
        ),
        result("e", "01_fixture.ipynb", "not a notebook"),
    ]
    square, mean = class_stats.exercise_stats(results)
    assert (square.grade_id, square.submissions, square.passed, square.failed, square.other) == (
        "check_square",
        4,
        2,
        1,
        1,
    )
    assert square.pass_rate == 0.5 and square.median == 1.0
    assert mean.mistakes == [(loss.format(21.96, 4.392), 2)]
    md = class_stats.to_markdown([square, mean], "fig.png")
    assert "| 01_fixture.ipynb | check_mean | 1 / 4 | 25% | 0 / 3 |" in md
    assert "check_square 2 of 4 passed; check_mean 1 of 4 passed." in md


def test_class_figure_is_a_png_with_its_description(tmp_path):
    stats = class_stats.exercise_stats([result("a", check_square=(2, 2, "passed", ""))])
    path = class_stats.write_figure(stats, tmp_path / "f.png")
    data = path.read_bytes()
    assert data[:4] == b"\x89PNG" and b"check_square 1 of 1 passed" in data
    assert class_stats.write_figure([], tmp_path / "none.png") is None


# --------------------------------------------------------------------------------------------
# Identical answers
# --------------------------------------------------------------------------------------------
def test_identical_answers_ignore_comments_and_layout_but_not_stubs(tmp_path):
    released = fx.make_instructor_notebook()
    for c in released.cells:
        if (c.metadata.get("nbgrader") or {}).get("solution"):
            c.source = c.source.split("\n")[0] + "\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    answers = {
        "ada": "def square(x):\n    return x * x",
        "ben": "def square(x):\n    # my own\n\n    return x*x   # done",
        "cy": "def square(x):\n    return x ** 2",
    }
    rs = []
    for name in ("ada", "ben", "cy", "dee", "eve"):
        nb = copy.deepcopy(released)
        if name in answers:
            nb.cells[3].source = answers[name]
        path = tmp_path / name / fx.NAME
        path.parent.mkdir()
        nbformat.write(nb, path)
        r = result(name)
        r.file = str(path)
        rs.append(r)
    assert identical.identical_groups(rs, {fx.NAME: released}) == [
        (fx.NAME, ["ada", "ben"])
    ]  # dee, eve: stubs
    rs[1].student = "ada"  # one student's two files are not "different students"
    assert identical.identical_groups(rs, {fx.NAME: released}) == []


# --------------------------------------------------------------------------------------------
# Partial credit
# --------------------------------------------------------------------------------------------
def test_partial_credit_only_when_the_visible_check_passed_and_a_hidden_test_failed(tmp_path):
    from helpers.assignments import partial_credit

    cx.write_source_dir(tmp_path)
    ok = "✓ softmax: all checks passed"

    def one(student, status, message, printed):
        r = result(student, cx.NAME, check_relu=(1, 1, "passed", ""), check_softmax=(0, 2, status, message))
        r.exercises[1].output = printed
        return r

    rs = [
        one("hidden", "failed", "AssertionError: Not equal to tolerance", ok),
        one("visible", "failed", "✗ softmax: the rows sum to 1", "✗ softmax: the rows sum to 1"),
        one("reference", "failed", "uses the course's reference implementation: softmax calls helpers", ok),
        one("kernel", "not run", "not graded: the kernel died", ok),
        one("forged", "failed", "AssertionError: x", ""),  # nothing printed: no evidence of a pass
    ]
    out = partial_credit.apply(rs, partial_credit.parse_share("50%"), tmp_path)
    assert [r.score for r in out] == [2.0, 1.0, 1.0, 1.0, 1.0]
    assert out[0].problems == [
        "check_softmax: the visible check passed, the hidden tests did not: 1 of 2 points (partial credit)"
    ]
    assert rs[0].score == 1.0  # the originals are untouched
    for bad in ("half", "120%"):
        with pytest.raises(ValueError, match="expected P%"):
            partial_credit.parse_share(bad)


def test_feedback_for_a_file_that_could_not_be_graded(tmp_path):
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "answers.ipynb").write_text("my answers are 9 and 2")
    r = SubmissionResult(str(tmp_path / "bob" / "answers.ipynb"), "bob", None, "unknown notebook")
    r.error = "answers.ipynb: no instructor notebook shares its grade ids"
    (page,) = write_feedback([r], tmp_path / "fb", tmp_path)
    assert page == tmp_path / "fb" / "bob" / "answers.html"
    text = page.read_text()
    assert "Status: unknown notebook" in text and "no instructor notebook shares its grade ids" in text
    assert "Your notebook" not in text
