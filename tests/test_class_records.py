"""What is made from result files, without grading anything: what students may be told, the class's
view, rosters and LMS files, the manual grading sheet, late penalties and identical answers."""

from __future__ import annotations

import copy
import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402
import checker_notebook as cx  # noqa: E402

from helpers.assignments import class_stats, identical, late_work, lms_export, manual_grading, roster  # noqa: E402
from helpers.assignments.batch import write_result  # noqa: E402
from helpers.assignments.disclosure import student_message  # noqa: E402
from helpers.assignments.feedback import feedback_path, write_feedback  # noqa: E402
from helpers.assignments.grade import ExerciseResult, SubmissionResult  # noqa: E402
from helpers.assignments.report import to_csv, to_markdown  # noqa: E402

CLI = [sys.executable, "-m", "helpers", "assignments"]


def result(
    student: str, notebook: str = "01_fixture.ipynb", status: str = "graded", **exercises
) -> SubmissionResult:
    """A result whose exercises are ``gid=(points, max, status, message)``."""
    ex = [ExerciseResult(g, p, m, s, msg) for g, (p, m, s, msg) in exercises.items()]
    return SubmissionResult(
        f"/subs/{student}/{notebook}",
        student,
        notebook,
        status,
        sum(e.points for e in ex),
        sum(e.max_points for e in ex),
        ex,
    )


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
# Rosters and LMS files
# --------------------------------------------------------------------------------------------
CANVAS = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Old (1)\n    Points Possible,,,,,10\n"
    '"Lovelace, Ada",1,S1,alovelace,A,\n"Smith, John",2,S2,jsmith,A,\n"Smith, John",3,S3,jsmith2,B,\n'
    '"Noether, Emmy",4,S4,enoether,B,\n'
)
MOODLE = (
    "First name,Last name,ID number,Institution,Department,Email address\n"
    "Ada,Lovelace,1001,,,ada@uni.example\nEmmy,Noether,1002,,,emmy@uni.example\n"
)


def _roster(tmp_path, text: str) -> roster.Roster:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return roster.read_roster(path)


def test_read_canvas_moodle_and_plain_rosters(tmp_path):
    canvas = _roster(tmp_path, CANVAS)
    assert canvas.kind == "canvas" and [s.name for s in canvas.students][:2] == [
        "Lovelace, Ada",
        "Smith, John",
    ]
    assert len(canvas.students) == 4 and canvas.students[0].ids["SIS Login ID"] == "alovelace"
    moodle = _roster(tmp_path, MOODLE)
    assert moodle.kind == "moodle" and moodle.students[1].ids["Email address"] == "emmy@uni.example"
    plain = _roster(tmp_path, "student,name,email\nada,Ada Lovelace,ada@x.org\n")
    assert plain.kind == "plain" and plain.students[0].name == "Ada Lovelace"
    for bad, why in (("", "empty"), ("name,score\nada,3\n", "not a roster")):
        with pytest.raises(ValueError, match=why):
            _roster(tmp_path, bad)


def test_matching_finds_students_by_login_email_or_name_and_flags_the_rest(tmp_path):
    canvas = _roster(tmp_path, CANVAS)
    results = [
        result("alovelace", check_square=(2, 2, "passed", "")),
        result("ada_lovelace", "02_other.ipynb", check_square=(1, 2, "passed", "")),
        result("John Smith", check_square=(2, 2, "passed", "")),
        result("stranger", check_square=(2, 2, "passed", "")),
    ]
    m = roster.match(canvas, results)
    assert set(m.by_student[0]) == {"01_fixture.ipynb", "02_other.ipynb"}
    assert [r.student for r in m.unknown] == ["stranger"]
    assert [(r.student, names) for r, names in m.ambiguous] == [
        ("John Smith", ["Smith, John", "Smith, John"])
    ]
    assert any("Smith, John and Smith, John share" in d for d in m.duplicate_names)
    problems = lms_export.problems(m, results)
    assert "stranger (01_fixture.ipynb) is not on the roster." in problems
    assert "Noether, Emmy submitted nothing for: 01_fixture, 02_other." in problems
    moodle = roster.match(_roster(tmp_path, MOODLE), [result("ada", check_square=(2, 2, "passed", ""))])
    assert moodle.by_student[0]  # the part of the email before the @


def test_lms_cells_are_blank_never_zero_for_what_was_not_graded(tmp_path):
    moodle = _roster(tmp_path, MOODLE + "Max,Murks,1003,,,=cmd@x.org\n")
    graded = result("ada", check_square=(2, 2, "passed", ""), check_mean=(3, 3, "passed", ""))
    broken = result("emmy", "01_fixture.ipynb", "kernel died", check_square=(0, 2, "not run", "x"))
    twice = [
        result("1003", check_square=(2, 2, "passed", "")),
        result("1003", check_square=(0, 2, "failed", "x")),
    ]
    twice[1].file = "/subs/1003-01_fixture (1).ipynb"
    m = roster.match(moodle, [graded, broken, *twice])
    rows = list(csv.reader(io.StringIO(lms_export.moodle_csv(m, [graded, broken, *twice]))))
    assert rows == [
        ["First name", "Last name", "ID number", "Email address", "01_fixture"],
        ["Ada", "Lovelace", "1001", "ada@uni.example", "5"],
        ["Emmy", "Noether", "1002", "emmy@uni.example", ""],
        ["Max", "Murks", "1003", "'=cmd@x.org", ""],
    ]
    table = list(csv.reader(io.StringIO(lms_export.roster_csv(m, [graded, broken, *twice]))))
    assert table[1:] == [
        ["Ada Lovelace", "1001", "ada@uni.example", "01_fixture", "ada", "5", "5", "graded"],
        ["Emmy Noether", "1002", "emmy@uni.example", "01_fixture", "emmy", "", "2", "kernel died"],
        ["Max Murks", "1003", "'=cmd@x.org", "01_fixture", "", "", "", "2 files"],
    ]
    problems = lms_export.problems(m, [graded, broken, *twice])
    assert "Emmy Noether: 01_fixture could not be graded (kernel died): regrade it." in problems
    assert any(p.startswith("Max Murks sent 2 files for 01_fixture") for p in problems)


def test_canvas_file_keeps_the_rosters_columns(tmp_path):
    canvas = _roster(tmp_path, CANVAS)
    r = result("enoether", check_square=(2, 2, "passed", ""), check_mean=(1, 3, "failed", "x"))
    rows = list(csv.reader(io.StringIO(lms_export.canvas_csv(roster.match(canvas, [r]), [r]))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_fixture"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "5"]
    assert rows[5] == ["Noether, Emmy", "4", "S4", "enoether", "B", "3"] and rows[2][-1] == ""


# --------------------------------------------------------------------------------------------
# Manual grading
# --------------------------------------------------------------------------------------------
@pytest.fixture
def manual_course(tmp_path):
    """The fixture notebook plus a Markdown answer cell graded by hand (2 points), and two results."""
    source = tmp_path / "src"
    fx.write_source_dir(source)
    nb = fx.make_instructor_notebook()
    meta = {"schema_version": 3, "solution": True, "grade": True, "locked": False, "task": False}
    meta |= {"grade_id": "explain", "points": 2}
    nb.cells.append(nbformat.v4.new_markdown_cell("Explain the mean.", metadata={"nbgrader": meta}))
    nbformat.write(nb, source / fx.NAME)
    subs = []
    for name in ("ada", "ben"):
        student = copy.deepcopy(nb)
        student.cells[-1].source = f"{name}'s answer: the sum over the count"
        path = tmp_path / name / fx.NAME
        path.parent.mkdir()
        nbformat.write(student, path)
        r = result(name, check_square=(2, 2, "passed", ""), explain=(0, 2, "failed", "the cell was deleted"))
        r.file, r.sha256 = str(path), name * 8
        subs.append(r)
    return source, subs, tmp_path


def test_manual_cells_wait_for_a_human_instead_of_scoring_zero(manual_course):
    source, results, _ = manual_course
    pending = manual_grading.mark_pending(results, source)
    assert [e.status for e in pending[0].exercises] == ["passed", "manual"]
    assert results[0].exercises[1].status == "failed"  # the originals are untouched
    rows = list(csv.reader(io.StringIO(to_csv(pending))))
    assert rows[1][3:5] == ["2", ""]  # blank, not 0
    assert "| explain | awaiting a grader | 2 | manual |" in to_markdown(pending)


def test_manual_sheet_round_trip(manual_course):
    source, results, tmp = manual_course
    pending = manual_grading.mark_pending(results, source)
    sheet = manual_grading.write_sheet(pending, tmp / "sheet.csv")
    with pytest.raises(FileExistsError, match="already exists"):
        manual_grading.write_sheet(pending, sheet)
    rows = list(csv.DictReader(sheet.open()))
    assert [(r["student"], r["exercise"], r["points"]) for r in rows] == [
        ("ada", "explain", ""),
        ("ben", "explain", ""),
    ]
    assert rows[0]["answer"] == "ada's answer: the sum over the count"
    rows[0]["points"], rows[0]["comment"] = "1.5", "clear, but say why"
    with sheet.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=manual_grading.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    merged, notes = manual_grading.merge_sheet(pending, sheet)
    ada, ben = merged
    assert (ada.score, ada.exercises[1].status, ada.exercises[1].message) == (
        3.5,
        "graded by hand",
        "clear, but say why",
    )
    assert ben.exercises[1].status == "manual" and notes == []
    rows[1]["points"], rows[1]["sha256"] = "2", "an older file"
    for change, why in (
        (("points", "3"), "outside 0..2"),
        (("points", "lots"), "not a number"),
        (("exercise", "check_square"), "autograded"),
        (("student", "zed"), "no graded exercise"),
    ):
        bad = [dict(rows[0], **{change[0]: change[1]})]
        path = tmp / f"bad-{change[0]}.csv"
        with path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=manual_grading.COLUMNS)
            w.writeheader()
            w.writerows(bad)
        with pytest.raises(ValueError, match=why):
            manual_grading.merge_sheet(pending, path)
    with sheet.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=manual_grading.COLUMNS)
        w.writeheader()
        w.writerows(rows)
    merged, notes = manual_grading.merge_sheet(pending, sheet)
    assert merged[1].exercises[1].status == "manual" and "older file" in notes[0]
    assert any("older file" in p for p in merged[1].problems)


def test_merge_command_with_manual_sheet_and_feedback(manual_course):
    source, results, tmp = manual_course
    for r in results:
        write_result(r, tmp / "results" / f"{r.student}.json")
    out = subprocess.run(
        [
            *CLI,
            "manual-sheet",
            str(tmp / "results"),
            "--out",
            str(tmp / "s.csv"),
            "--source-dir",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    text = (
        (tmp / "s.csv")
        .read_text()
        .replace("ada,01_fixture.ipynb,explain,2,,", "ada,01_fixture.ipynb,explain,2,2,well done")
    )
    (tmp / "s.csv").write_text(text)
    out = subprocess.run(
        [
            *CLI,
            "merge",
            str(tmp / "results"),
            "--report",
            str(tmp / "g"),
            "--source-dir",
            str(source),
            "--manual",
            str(tmp / "s.csv"),
            "--feedback",
            str(tmp / "fb"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader((tmp / "g.csv").open()))
    assert rows[1][:5] == ["ada", "01_fixture.ipynb", "graded", "2", "2"] and rows[2][4] == ""
    assert "well done" in (tmp / "fb" / "ada" / "01_fixture.html").read_text()
    assert "Awaiting a grader" in (tmp / "fb" / "ben" / "01_fixture.html").read_text()


# --------------------------------------------------------------------------------------------
# Late work
# --------------------------------------------------------------------------------------------
def test_late_policy_parsing():
    p = late_work.parse_policy("2026-12-01T23:59+01:00", "10%/day")
    assert p.fraction == 0.1 and p.unit == timedelta(days=1)
    assert late_work.parse_policy("2026-12-01T23:59Z", "50%").unit is None
    for deadline, penalty, why in (
        ("2026-12-01 23:59", "10%", "no time zone"),
        ("yesterday", "10%", "not an ISO 8601"),
        ("2026-12-01T23:59Z", "ten", "expected P%"),
        ("2026-12-01T23:59Z", "150%", "expected P%"),
    ):
        with pytest.raises(ValueError, match=why):
            late_work.parse_policy(deadline, penalty)


def test_late_penalty_per_started_day_capped_and_noted(tmp_path):
    p = late_work.parse_policy("2026-12-01T12:00Z", "40%/day")
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert p.penalty(at) == 0 and p.penalty(at + timedelta(minutes=1)) == 0.4
    assert p.penalty(at + timedelta(days=1, minutes=1)) == 0.8 and p.penalty(at + timedelta(days=5)) == 1.0
    times = tmp_path / "times.csv"
    times.write_text(
        "Student,Notebook,Submitted at\nada,01_fixture.ipynb,2026-12-01T13:30+00:00\n"
        "ben,,2026-12-01T11:00:00Z\n"
    )
    rs = [
        result(n, check_square=(2, 2, "passed", ""), check_mean=(3, 3, "passed", ""))
        for n in ("ada", "ben", "cy")
    ]
    ada, ben, cy = late_work.apply(rs, p, late_work.read_times(times))
    assert ada.score == 3.0 and ada.problems[-1].endswith("0 h 90 min late: -40% (5 -> 3)") is False
    assert (
        ada.problems[-1]
        == "submitted 2026-12-01T13:30+00:00 (submission times), 1 h 30 min late: -40% (5 -> 3)"
    )
    assert ben.score == 5 and ben.problems[-1].endswith(": on time")
    assert cy.score == 5 and "no submission time found" in cy.problems[-1]
    assert rs[0].score == 5  # the originals are untouched


def test_late_penalty_from_file_times(tmp_path):
    f = tmp_path / "ada" / "01_fixture.ipynb"
    f.parent.mkdir()
    f.write_text("{}")
    os.utime(f, (datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp(),) * 2)
    r = result("ada", check_square=(2, 2, "passed", ""))
    r.file = str(f)
    (late,) = late_work.apply([r], late_work.parse_policy("2026-12-01T12:00Z", "25%"))
    assert late.score == 1.5 and "(file time), 1 d 0 h 0 min late: -25%" in late.problems[-1]
    r.file = str(tmp_path / "gone.ipynb")
    (unknown,) = late_work.apply([r], late_work.parse_policy("2026-12-01T12:00Z", "25%"))
    assert (
        unknown.score == 2
        and unknown.problems[-1] == "no submission time found (file time): no late penalty applied"
    )


def test_bad_post_grading_options_fail_in_one_line_before_grading(tmp_path):
    (tmp_path / "moodle.csv").write_text(MOODLE)
    for extra, why in (
        (["--roster", str(tmp_path / "moodle.csv"), "--lms", "canvas"], "needs Canvas's own"),
        (["--partial-credit", "half"], "expected P%"),
        (["--deadline", "tomorrow"], "ISO 8601"),
        (["--lms", "canvas"], "--lms needs --roster"),
        (["--roster", str(tmp_path / "none.csv")], "cannot read the roster"),
        (["--late-penalty", "5%"], "need --deadline"),
    ):
        out = subprocess.run(
            [*CLI, "grade", str(tmp_path / "x.ipynb"), "--report", str(tmp_path / "g"), *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 2 and why in out.stderr and len(out.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "g-results").exists()  # nothing was graded


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
