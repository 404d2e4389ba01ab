"""What is made from result files, without grading anything (2): rosters and LMS files, the
manual grading sheet, late penalties, and post-grading options checked before grading."""

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
from small_class import result  # noqa: E402

from helpers.assignments import late_work, lms_export, manual_grading, roster  # noqa: E402
from helpers.assignments.batch import write_result  # noqa: E402
from helpers.assignments.report import to_csv, to_markdown  # noqa: E402

CLI = [sys.executable, "-m", "helpers", "assignments"]


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


def test_grades_csv_gets_the_rosters_student_id_column_only_when_it_has_ids(tmp_path):
    ada, stranger = (
        result("ada", check_square=(2, 2, "passed", "")),
        result("zed", check_square=(0, 2, "failed", "")),
    )
    m = roster.match(_roster(tmp_path, MOODLE), [ada, stranger])
    rows = list(csv.DictReader(io.StringIO(to_csv([ada, stranger], roster.ids(m)))))
    assert list(rows[0])[:3] == ["student", "student_id", "notebook"]
    assert [(r["student"], r["student_id"]) for r in rows] == [("ada", "1001"), ("zed", "")]
    plain = roster.match(_roster(tmp_path, "student,name\nada,Ada Lovelace\n"), [ada])
    assert "student_id" not in to_csv([ada], roster.ids(plain)).splitlines()[0]  # no ids: no column
    assert to_csv([ada]).splitlines()[0].startswith("student,notebook,status,")  # no roster: as before
