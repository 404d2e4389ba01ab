"""A small graded class end to end: feedback pages, the class report, the LMS file, regrade, validate.

The class (tests/fixtures/small_class.py) is graded once, through the command line; every
feedback page is then searched for the instructor's solutions and hidden tests.
"""

from __future__ import annotations

import csv
import html
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import small_class as sc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "helpers", "assignments"]
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
"Okafor, Adaeze",101,S101,adaeze,A
"Brown, Bartholomew",102,S102,bartholomew,A
"Jones, Calliope",103,S103,calliope,B
"Noether, Emmy",104,S104,emmy,B
"""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    paths = sc.write_class(base)
    (base / "roster.csv").write_text(ROSTER)
    args = [*map(str, paths.values()), "--report", str(base / "out" / "grades"), "--jobs", "2", "--quiet"]
    args += ["--source-dir", str(base / "instructor")]
    proc = run("grade", *args, "--feedback", str(base / "feedback"), "--roster", str(base / "roster.csv"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return base, paths, proc


def gid(cell) -> str | None:
    return (cell.metadata.get("nbgrader") or {}).get("grade_id")


def page(base: Path, student: str) -> str:
    return (base / "feedback" / student / "02_relu_and_softmax.html").read_text(encoding="utf-8")


def test_every_submission_gets_a_page(graded):
    base, paths, _ = graded
    pages = sorted(p.relative_to(base / "feedback").as_posix() for p in (base / "feedback").rglob("*.html"))
    assert pages == [f"{s}/02_relu_and_softmax.html" for s in sorted(paths)]


def test_pages_hold_no_hidden_test_no_solution_and_no_other_student(graded):
    base, paths, _ = graded
    secrets = sc.instructor_secrets(base / "release" / sc.CHAPTER.name)
    assert len(secrets) > 30 and "BEGIN HIDDEN TESTS" not in secrets
    for student in paths:
        text = page(base, student)
        plain = html.unescape(text)
        for secret in [*secrets, "HIDDEN TESTS", "BEGIN SOLUTION", "_hrng"]:
            assert secret not in plain, (student, secret)
        for other in set(paths) - {student}:
            assert other not in plain.lower(), (student, other)
        assert "check_relu(relu)" in plain  # the visible check is shown: the search above can fail
    assert sc.ADA["relu"] in html.unescape(page(base, "adaeze"))  # the student's own code is there


def test_a_hidden_failure_is_named_but_not_shown(graded):
    base, _, _ = graded
    results = json.loads((base / "out" / "grades.json").read_text())["submissions"]
    relu = next(e for r in results if r["student"] == "bartholomew" for e in r["exercises"])
    assert relu["status"] == "failed" and "Mismatched" in relu["message"]  # the grader's record has it
    text = html.unescape(page(base, "bartholomew"))
    assert "the visible check passed, but the hidden test failed" in text
    for leak in ("Mismatched", "a Z holding"):  # the hidden case's message (12345 is in his own code)
        assert leak not in text
    assert "the rows sum to 1, expected each column" in text  # a visible check's verdict is shown


def _relu_hidden_cases(base: Path) -> int:
    from helpers.assignments import cases
    from helpers.assignments.verdicts import python_source

    nb = nbformat.read(base / "instructor" / sc.CHAPTER.name, 4)
    (cell,) = [c for c in nb.cells if gid(c) == "check_relu"]
    return cases.plan(python_source(cell.source)).hidden


def test_every_report_and_page_shows_each_case_all_or_nothing_by_default(graded):
    base, _, _ = graded
    n = _relu_hidden_cases(base)
    assert n >= 4  # the course's loop over inputs, one case each, and the planted case
    results = json.loads((base / "out" / "grades.json").read_text())["submissions"]
    ben = next(r for r in results if r["student"] == "bartholomew")
    relu = next(e for e in ben["exercises"] if e["grade_id"] == "check_relu")
    assert [(c["part"], c["passed"]) for c in relu["cases"]] == [("visible", True)] + [("hidden", True)] * (
        n - 1
    ) + [("hidden", False)]
    assert relu["points"] == 0.0  # all or nothing
    want = f"visible check passed; hidden tests {n - 1} of {n} passed (hidden test {n} of {n} failed)"
    want += "; all or nothing"
    assert want in (base / "out" / "grades.md").read_text()
    rows = {r["student"]: r for r in csv.DictReader((base / "out" / "grades.csv").open())}
    assert rows["bartholomew"]["check_relu per check"] == want
    text = html.unescape(page(base, "bartholomew"))
    assert want in text and f"the hidden test failed in case {n} of {n}" in text


def test_grades_csv_has_the_rosters_student_ids(graded):
    base, _, _ = graded
    rows = {r["student"]: r for r in csv.DictReader((base / "out" / "grades.csv").open())}
    assert {s: r["student_id"] for s, r in rows.items()} == {
        "adaeze": "S101", "bartholomew": "S102", "calliope": "S103", "desdemona": ""
    }  # fmt: skip


def test_partial_credit_per_case_at_merge_time(graded, tmp_path):
    base, paths, _ = graded
    n = _relu_hidden_cases(base)
    proc = run(
        "merge", str(base / "out" / "grades-results"), "--report", str(tmp_path / "grades"),
        "--source-dir", str(base / "instructor"), "--partial-credit", "40%",
        "--feedback", str(tmp_path / "fb"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "grades.json").read_text())["submissions"]
    ben = next(r for r in results if r["student"] == "bartholomew")
    relu = next(e for e in ben["exercises"] if e["grade_id"] == "check_relu")
    assert relu["points"] == pytest.approx(0.4 + (n - 1) * 0.6 / n, abs=1e-4)
    assert [c["max_points"] for c in relu["cases"]] == pytest.approx([0.4] + [0.6 / n] * n)
    cal = next(r for r in results if r["student"] == "calliope")  # the stubs: every case fails
    assert cal["score"] == 0.0
    text = html.unescape((tmp_path / "fb" / "bartholomew" / "02_relu_and_softmax.html").read_text())
    assert f"visible check passed: 0.4/0.4; hidden tests {n - 1} of {n} passed: " in text
    secrets = sc.instructor_secrets(base / "release" / sc.CHAPTER.name)
    for student in paths:
        plain = html.unescape((tmp_path / "fb" / student / "02_relu_and_softmax.html").read_text())
        for secret in [*secrets, "HIDDEN TESTS", "_hrng", "Mismatched", "a Z holding"]:
            assert secret not in plain, (student, secret)


def test_pages_run_nothing(graded):
    base, paths, _ = graded
    for student in paths:
        text = page(base, student)
        assert "<script" not in text.lower() and "<img src=x" not in text
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "&lt;script&gt;" in page(base, "bartholomew")  # the student's raw HTML, as text


def test_class_report_shows_what_the_class_gets_wrong(graded):
    base, _, _ = graded
    md = (base / "out" / "grades.md").read_text()
    section = md[md.index("## What the class gets wrong") :]
    row = next(
        ln for ln in section.splitlines() if ln.startswith("| 02_relu_and_softmax.ipynb | check_softmax")
    )
    assert "| 2 / 4 | 50% | 1 / 2 |" in row
    assert "the rows sum to 1, expected each column (one example) to sum to 1: 1" in row
    assert "not implemented yet" in row
    figure = base / "out" / "grades-class.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![Pass rate per exercise: check_relu 2 of 4 passed;" in section  # the text alternative
    assert "02_relu_and_softmax.ipynb: adaeze, desdemona" in md[md.index("## Identical answers") :]


def test_canvas_file_has_every_roster_student_and_lists_the_rest(graded):
    base, _, _ = graded
    lines = (base / "out" / "grades-canvas.csv").read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,02_relu_and_softmax"
    assert lines[1] == "    Points Possible,,,,,5"
    assert lines[2:] == [
        '"Okafor, Adaeze",101,S101,adaeze,A,5',
        '"Brown, Bartholomew",102,S102,bartholomew,A,0',
        '"Jones, Calliope",103,S103,calliope,B,0',
        '"Noether, Emmy",104,S104,emmy,B,',
    ]
    roster = (base / "out" / "grades.md").read_text().split("## Roster")[1]
    assert "desdemona (02_relu_and_softmax.ipynb) is not on the roster." in roster
    assert "Noether, Emmy submitted nothing for: 02_relu_and_softmax." in roster
    table = (base / "out" / "grades-roster.csv").read_text().splitlines()
    assert '"Noether, Emmy",S104,,02_relu_and_softmax,,,,no submission' in table
    assert ",,,02_relu_and_softmax,desdemona,5,5,graded; not on the roster" in table


def test_regrade_one_notebook_and_re_merge(graded):
    base, paths, _ = graded
    results = base / "out" / "grades-results"
    before = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    nb = nbformat.read(paths["bartholomew"], 4)
    fixed = sc.fill(nbformat.read(base / "release" / sc.CHAPTER.name, 4), {"softmax": sc.ADA["softmax"]})
    answer = {gid(c): c.source for c in fixed.cells}["softmax"]
    next(c for c in nb.cells if gid(c) == "softmax").source = answer
    nbformat.write(nb, paths["bartholomew"])
    proc = run(
        "regrade", str(paths["bartholomew"]), "--report", str(base / "out" / "grades"),
        "--source-dir", str(base / "instructor"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    changed = [n for n in after if after[n] != before.get(n)]
    assert len(changed) == 1 and changed[0].startswith("02_relu_and_softmax-")
    report = json.loads((base / "out" / "grades.json").read_text())["submissions"]
    assert len(report) == 4
    ben = next(r for r in report if r["student"] == "bartholomew")
    assert {e["grade_id"]: e["status"] for e in ben["exercises"]}["check_softmax"] == "passed"
    assert ben["score"] == 2.0


def test_validate_tells_a_student_what_the_grader_will_say(graded, tmp_path):
    base, paths, _ = graded
    ok = run("validate", str(paths["adaeze"]))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✓ Assignment: 02_relu_and_softmax.ipynb (recognised by its grade ids)" in ok.stdout
    assert "Visible checks: 5 / 5 points." in ok.stdout and "Ready to submit." in ok.stdout
    assert len(ok.stdout.splitlines()) <= 24  # one screen
    blank = run("validate", str(paths["calliope"]))
    assert blank.returncode == 1
    assert "✗ check_softmax" in blank.stdout and "not implemented yet" in blank.stdout
    broken = tmp_path / "02_relu_and_softmax.ipynb"
    broken.write_text('{"cells": [')
    bad = run("validate", str(broken))
    assert bad.returncode == 2 and "Not gradable" in bad.stdout


def test_validate_never_runs_hidden_tests(tmp_path):
    # relu is wrong only where a hidden test looks: validate passes it, as the visible check does
    released = nbformat.read(sc.write_class(tmp_path)["calliope"], 4)
    path = tmp_path / "mine" / sc.CHAPTER.name
    path.parent.mkdir()
    nbformat.write(sc.fill(released, {"relu": sc.BEN["relu"]}), path)
    out = run("validate", str(path), "--source-dir", str(tmp_path / "instructor"))
    assert out.returncode == 1
    line = next(ln for ln in out.stdout.splitlines() if "check_relu " in ln)
    assert line.strip().startswith("✓") and "Mismatched" not in out.stdout
