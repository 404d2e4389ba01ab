"""Releasing student notebooks and autograding submissions (helpers.assignments).

Fast tests use a small instructor notebook built in code (tests/fixtures/assignment_notebook.py),
written to tmp_path so nbval never collects it; when the course notebooks exist, the release is
checked on all of them and grading on one of them.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments import (  # noqa: E402
    INSTRUCTIONS_TAG,
    grade_submissions,
    identify,
    release,
    release_notebook,
    restore_locked_cells,
    to_csv,
    to_markdown,
)
from helpers.assignments.cli import main, register  # noqa: E402
from helpers.editions import portable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT = 3


# --------------------------------------------------------------------------------------------
# Independent views of the nbgrader markup
# --------------------------------------------------------------------------------------------
def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbg(cell).get("solution"))


def is_check(cell) -> bool:
    return bool(nbg(cell).get("grade")) and not is_solution(cell)


def strip_region(source: str, begin: str, end: str) -> str:
    """``source`` without the lines from a ``begin`` marker line to an ``end`` marker line."""
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def solution_bodies(source: str) -> list[str]:
    """The non-blank lines strictly between BEGIN SOLUTION and END SOLUTION."""
    found = re.findall(r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION", source, flags=re.S)
    return [line.strip() for block in found for line in block.split("\n") if line.strip()]


def cells_by_id(nb) -> dict:
    return {nbg(c)["grade_id"]: c for c in nb.cells if nbg(c).get("grade_id")}


def check_released(instructor, student) -> None:
    """Every property a student version must have, checked against the instructor version."""
    assert INSTRUCTIONS_TAG in student.cells[0].metadata.get("tags", [])
    assert "Restart" in student.cells[0].source
    body = student.cells[1:]
    assert [c.cell_type for c in body] == [c.cell_type for c in instructor.cells]
    for icell, scell in zip(instructor.cells, body):
        assert "BEGIN SOLUTION" not in scell.source and "END SOLUTION" not in scell.source
        assert "HIDDEN TESTS" not in scell.source
        if scell.cell_type == "code":
            assert scell.outputs == [] and scell.execution_count is None
        if is_solution(icell):
            assert "raise NotImplementedError()" in scell.source
            for line in solution_bodies(icell.source):
                if line not in strip_region(icell.source, "BEGIN SOLUTION", "END SOLUTION"):
                    assert line not in scell.source, (
                        f"solution line {line!r} left in {nbg(icell)['grade_id']}"
                    )
        elif is_check(icell):
            assert scell.source == strip_region(icell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
            assert scell.metadata["editable"] is False and scell.metadata["deletable"] is False
            assert nbg(scell)["points"] == nbg(icell)["points"]
        elif scell.cell_type == "code":  # the paths relative to notebooks/ made portable
            assert scell.source == portable(icell.source)
        else:
            assert scell.source == icell.source


# --------------------------------------------------------------------------------------------
# Release (fixture notebook)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """(source dir, instructor notebook path, released student notebook path)."""
    base = tmp_path_factory.mktemp("course")
    src = fx.write_source_dir(base / "source")
    (released,) = release([src], base / "student")
    return base / "source", src, released


def test_release_fixture_has_no_solutions(course):
    _, src, released = course
    instructor, student = nbformat.read(src, 4), nbformat.read(released, 4)
    check_released(instructor, student)
    text = released.read_text()
    assert "x * x" not in text and "sum(xs) / len(xs)" not in text and "hidden:" not in text
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert code.count("raise NotImplementedError()") == 2
    nbformat.validate(student)


def test_release_does_not_touch_instructor_version(course, tmp_path):
    _, src, _ = course
    before = src.read_bytes()
    nb = nbformat.read(src, 4)
    snapshot = copy.deepcopy(nb)
    release_notebook(nb)
    assert nb == snapshot and src.read_bytes() == before
    with pytest.raises(ValueError, match="refusing to overwrite"):
        release([src], src.parent)


def test_release_reports_broken_markup(tmp_path):
    nb = fx.make_instructor_notebook()
    nb.cells[3].source = nb.cells[3].source.replace("    ### END SOLUTION", "")
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=r"broken\.ipynb: cannot be released.*end solution"):
        release([path], tmp_path / "out")


# --------------------------------------------------------------------------------------------
# Names and restoring locked cells (no kernel)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "student", "notebook"),
    [
        ("subs/alice/01_fixture.ipynb", "alice", "01_fixture.ipynb"),
        ("course/submitted/ann/ps1/01_fixture.ipynb", "ann", "01_fixture.ipynb"),
        ("subs/bob-01_fixture.ipynb", "bob", "01_fixture.ipynb"),
        ("subs/01_fixture_carol smith.ipynb", "carol smith", "01_fixture.ipynb"),
        ("subs/dave.ipynb", "dave", None),
        ("subs/eve.txt", "eve", None),
        ("subs/frank_01_fixture_long.ipynb", "frank", "01_fixture_long.ipynb"),
    ],
)
def test_identify(path, student, notebook):
    assert identify(path, ["01_fixture.ipynb", "01_fixture_long.ipynb"]) == (student, notebook)


def test_restore_puts_back_deleted_and_edited_check_cells(course):
    _, src, released = course
    instructor, student = nbformat.read(src, 4), nbformat.read(released, 4)
    sub = copy.deepcopy(student)
    ids = [nbg(c).get("grade_id") for c in sub.cells]
    del sub.cells[ids.index("check_square")]
    mean_check = sub.cells[[nbg(c).get("grade_id") for c in sub.cells].index("check_mean")]
    mean_check.source = "pass"
    mean_check.metadata.nbgrader["points"] = 100
    extra = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {**nbg(mean_check), "grade_id": "bonus"}})
    sub.cells.append(extra)

    restored, edited, reinserted = restore_locked_cells(sub, instructor)
    assert edited == ["check_mean"] and reinserted == ["check_square"]
    got = [nbg(c).get("grade_id") for c in restored.cells]
    assert got.index("check_square") == got.index("square") + 1
    by_id = cells_by_id(restored)
    icells = cells_by_id(instructor)
    for gid in ("check_square", "check_mean", "setup"):
        assert by_id[gid].source == icells[gid].source  # with the hidden tests
        assert (
            nbg(by_id[gid])["points" if gid != "setup" else "grade_id"]
            == nbg(icells[gid])["points" if gid != "setup" else "grade_id"]
        )
    assert "bonus" not in by_id
    assert by_id["square"].source == cells_by_id(student)["square"].source  # the student's work stays
    assert sub.cells[-1].metadata["nbgrader"]["grade_id"] == "bonus"  # input unchanged


def test_restore_untouched_release_reports_nothing(course):
    _, src, released = course
    _, edited, reinserted = restore_locked_cells(nbformat.read(released, 4), nbformat.read(src, 4))
    assert edited == [] and reinserted == []


# --------------------------------------------------------------------------------------------
# Grading the fixture: one batch of submissions, graded once
# --------------------------------------------------------------------------------------------
def _set_solution(nb, gid: str, body: str) -> None:
    cell = cells_by_id(nb)[gid]
    cell.source = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", body, cell.source, flags=re.S)
    cell.source = re.sub(r"# YOUR CODE HERE\n(\s*)raise NotImplementedError\(\)", body, cell.source)


def _drop(nb, gid: str) -> None:
    nb.cells = [c for c in nb.cells if nbg(c).get("grade_id") != gid]


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    source_dir, src, released = course
    subs = tmp_path_factory.mktemp("submissions")
    instructor = nbformat.read(src, 4)
    student = nbformat.read(released, 4)

    def save(name: str, nb) -> Path:
        path = subs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def variant(**solutions):
        nb = copy.deepcopy(instructor)
        for gid, body in solutions.items():
            _set_solution(nb, gid, body)
        return nb

    wrong_square = variant(square="return x + x")
    deleted = variant(square="return x + x")
    _drop(deleted, "check_square")
    edited = variant(square="return x + x")
    cells_by_id(edited)["check_square"].source = "pass"
    hidden = variant(mean="return sum(xs) / 3")  # passes the visible test, fails the hidden one
    loop = variant(square="while True:\n        pass")
    crash = variant(mean="import os\n    os._exit(1)")
    crash.cells.append(nbformat.v4.new_code_cell("mean([1])"))
    files = {
        "alice": save("alice/01_fixture.ipynb", instructor),
        "bob": save("bob-01_fixture.ipynb", student),
        "carol": save("carol_01_fixture.ipynb", wrong_square),
        "dan": save("dan_01_fixture.ipynb", deleted),
        "erin": save("erin_01_fixture.ipynb", edited),
        "fay": save("fay_01_fixture.ipynb", hidden),
        "gus": save("gus_01_fixture.ipynb", loop),
        "hal": save("hal_01_fixture.ipynb", crash),
    }
    files["ivy"] = subs / "ivy_01_fixture.ipynb"
    files["ivy"].write_text("these are my answers: 9 and 2\n")
    files["jo"] = subs / "jo_01_fixture.ipynb"
    files["jo"].write_text('{"cells": [')
    files["kim"] = save(
        "kim_99_other.ipynb", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    )
    files["lee"] = save("lee/Untitled (2).ipynb", instructor)  # found by its grade ids
    files["max"] = save("max/01_fixture (1).ipynb", instructor)  # a browser's copy mark
    results = grade_submissions(list(files.values()), source_dir, timeout=TIMEOUT)
    return {r.student: r for r in results}, results


def points(result) -> dict:
    return {e.grade_id: e.points for e in result.exercises}


def test_grade_instructor_version_full_marks(graded):
    r = graded[0]["alice"]
    assert r.status == "graded" and r.notebook == fx.NAME
    assert points(r) == fx.POINTS
    assert r.score == r.max_score == sum(fx.POINTS.values())
    assert all(e.status == "passed" and e.message == "" for e in r.exercises)
    assert "square: OK" in r.exercises[0].output


def test_grade_untouched_release_scores_zero(graded):
    r = graded[0]["bob"]
    assert r.status == "graded" and r.score == 0 and r.max_score == sum(fx.POINTS.values())
    assert all(e.status == "failed" and "NotImplementedError" in e.message for e in r.exercises)
    assert r.restored == []


def test_grade_one_wrong_exercise_loses_its_points(graded):
    r = graded[0]["carol"]
    assert points(r) == {"check_square": 0.0, "check_mean": fx.POINTS["check_mean"]}
    assert r.exercises[0].message == "AssertionError: square(3) should be 9"


@pytest.mark.parametrize("student", ["dan", "erin"])
def test_grade_deleted_or_emptied_check_cell_gains_nothing(graded, student):
    r = graded[0][student]
    assert points(r) == {"check_square": 0.0, "check_mean": fx.POINTS["check_mean"]}
    assert r.restored == ["check_square"]
    assert any("check_square" in p and "put back" in p for p in r.problems)


def test_grade_runs_hidden_tests(graded):
    r = graded[0]["fay"]
    assert points(r) == {"check_square": fx.POINTS["check_square"], "check_mean": 0.0}
    assert "hidden: the mean of one value" in r.exercises[1].message


def test_grade_infinite_loop_times_out(graded):
    r = graded[0]["gus"]
    assert r.status == "graded"
    assert points(r) == {"check_square": 0.0, "check_mean": fx.POINTS["check_mean"]}
    assert f"still running after {TIMEOUT} s" in r.exercises[0].message


def test_grade_kernel_crash(graded):
    r = graded[0]["hal"]
    assert r.status == "kernel died" and "kernel died" in r.error
    assert points(r) == {"check_square": fx.POINTS["check_square"], "check_mean": 0.0}
    assert r.exercises[1].status == "not run"


@pytest.mark.parametrize("student", ["ivy", "jo"])
def test_grade_not_a_notebook(graded, student):
    r = graded[0][student]
    assert r.status == "not a notebook" and "not a Jupyter notebook" in r.error
    assert r.score == 0 and r.max_score == sum(fx.POINTS.values())
    assert [e.status for e in r.exercises] == ["not run", "not run"]


def test_grade_unknown_notebook(graded):
    r = graded[0]["kim_99_other"]  # no notebook name in it: the whole file name
    assert r.status == "unknown notebook" and fx.NAME in r.error


@pytest.mark.parametrize("student", ["lee", "max"])
def test_grade_finds_the_notebook_by_grade_ids_or_despite_a_copy_mark(graded, student):
    """In a class with a folder per student the folder names the student, whatever the file's name."""
    r = graded[0][student]
    assert r.notebook == fx.NAME and r.status == "graded" and r.score == r.max_score


def test_reports_csv_and_markdown(graded):
    by_student, results = graded
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    assert [row["student"] for row in rows] == [r.student for r in results]
    for row, r in zip(rows, results):
        per_exercise = [float(row[g]) for g in fx.POINTS if row[g] != ""]
        assert float(row["total"]) == pytest.approx(sum(per_exercise)) == pytest.approx(r.score)
    assert rows[0]["check_square"] == "2" and rows[0]["max"] == "5"
    md = to_markdown(results)
    assert "| alice | 01_fixture.ipynb | 5 / 5 | graded |" in md
    assert "AssertionError: square(3) should be 9" in md


def test_cli_release_and_grade(course, tmp_path, capsys):
    source_dir, src, _ = course
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["assignments", "release", str(src), "--out", str(tmp_path / "rel")])
    assert args.func(args) == 0
    check_released(nbformat.read(src, 4), nbformat.read(tmp_path / "rel" / fx.NAME, 4))

    bad = tmp_path / "zoe-01_fixture.ipynb"
    bad.write_text("not json")
    report = tmp_path / "out" / "grades.json"
    argv = [
        "assignments",
        "grade",
        str(tmp_path / "rel" / fx.NAME),
        str(bad),
        "--source-dir",
        str(source_dir),
    ]
    args = parser.parse_args([*argv, "--report", str(report), "--timeout", "20", "--quiet"])
    assert args.func(args) == 1  # one submission could not be graded
    data = json.loads(report.read_text())
    assert [s["status"] for s in data["submissions"]] == ["graded", "not a notebook"]
    assert data["submissions"][0]["student"] == "rel"
    assert (tmp_path / "out" / "grades.md").read_text().startswith("# Grading report")
    assert len((tmp_path / "out" / "grades.csv").read_text().splitlines()) == 3


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "helpers.assignments", "grade", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--source-dir" in out and "--timeout" in out
    assert main(["release", "--out", "/nonexistent/x", "/nonexistent/nb.ipynb"]) == 1


# --------------------------------------------------------------------------------------------
# The course notebooks (skipped until they exist)
# --------------------------------------------------------------------------------------------
COURSE = sorted(p for p in NOTEBOOKS.glob("0[0-9]_*.ipynb"))
GRADED_COURSE = [p for p in COURSE if any(is_check(c) for c in nbformat.read(p, 4).cells)]


@pytest.mark.skipif(not GRADED_COURSE, reason="no course notebook with check cells yet")
@pytest.mark.parametrize("path", GRADED_COURSE, ids=[p.stem for p in GRADED_COURSE])
def test_release_course_notebook(path, tmp_path):
    (out,) = release([path], tmp_path)
    check_released(nbformat.read(path, 4), nbformat.read(out, 4))


@pytest.mark.parametrize("path", COURSE, ids=[p.stem for p in COURSE])
def test_released_chapter_works_from_its_own_folder(path, tmp_path):
    """No path relative to notebooks/ is left, and every file the chapter reads is shipped beside it."""
    (out,) = release([path], tmp_path)
    code = "\n".join(c.source for c in nbformat.read(out, 4).cells if c.cell_type == "code")
    assert '"../' not in code and "'../" not in code, f"{path.name}: a path that only works in the checkout"
    assert "load_mnist()" in code  # the data found as from any folder (helpers.paths)
    shipped = {
        "06_misclassified_digits.ipynb": ["my_digit.png"],
        "07_making_it_fast.ipynb": ["results.json"],
    }.get(path.name, [])
    for name in shipped:
        assert f'"{name}"' in code and (tmp_path / name).is_file(), f"{path.name}: {name} not shipped"
    if path.name == "07_making_it_fast.ipynb":
        results = ROOT / "benchmarks" / "results" / "results.json"
        assert (tmp_path / "results.json").read_bytes() == results.read_bytes()
    if path.name == "05_training_loop.ipynb":
        assert '"reports/notebook_model.npz"' in code  # saved inside the release folder


def test_release_refuses_a_missing_results_file(tmp_path):
    """A chapter reading a benchmark result that is not there is not released without it."""
    src = tmp_path / "course" / "notebooks"
    src.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('open("../benchmarks/results/missing.json")')]
    nbformat.write(nb, src / "ch.ipynb")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        release([src / "ch.ipynb"], tmp_path / "out")


def _pick_course_notebook() -> Path | None:
    for prefix in ("02_", "03_"):
        for p in GRADED_COURSE:
            if p.name.startswith(prefix):
                return p
    return GRADED_COURSE[0] if GRADED_COURSE else None


@pytest.mark.skipif(_pick_course_notebook() is None, reason="no course notebook with check cells yet")
def test_grade_course_notebook(tmp_path):
    path = _pick_course_notebook()
    instructor = nbformat.read(path, 4)
    (released,) = release([path], tmp_path / "student")
    check_ids = [nbg(c)["grade_id"] for c in instructor.cells if is_check(c)]
    pts = {nbg(c)["grade_id"]: float(nbg(c)["points"]) for c in instructor.cells if is_check(c)}

    # Break the last exercise that has checks after it: replace its solution by the stub.
    student_cells = cells_by_id(nbformat.read(released, 4))
    order = [nbg(c).get("grade_id") for c in instructor.cells]
    last = max(
        (
            i
            for i, c in enumerate(instructor.cells)
            if is_solution(c) and any(is_check(d) for d in instructor.cells[i:])
        ),
    )
    broken_id = order[last]
    lost = {g for g in order[last:] if g in pts}
    wrong = copy.deepcopy(instructor)
    cells_by_id(wrong)[broken_id].source = student_cells[broken_id].source
    # ...and delete one check cell, empty another: graded as if they were there.
    tampered = copy.deepcopy(instructor)
    cells_by_id(tampered)[check_ids[-1]].source = "pass"
    _drop(tampered, check_ids[0])

    subs = tmp_path / "subs"
    files = []
    for name, nb in (("full", instructor), ("wrong", wrong), ("tampered", tampered)):
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / path.name)
        files.append(subs / name / path.name)
    files.insert(1, released)
    results = {r.student: r for r in grade_submissions(files, NOTEBOOKS, timeout=600)}
    total = sum(pts.values())

    assert results["full"].status == "graded", results["full"].error
    assert points(results["full"]) == pts, [e.message for e in results["full"].exercises]
    assert results["student"].status == "graded" and results["student"].score == 0
    assert results["wrong"].score == pytest.approx(total - sum(pts[g] for g in lost))
    assert {e.grade_id for e in results["wrong"].exercises if e.points == 0} == lost
    assert points(results["tampered"]) == pts
    assert set(results["tampered"].restored) == {check_ids[0], check_ids[-1]}


CHAPTER_8 = NOTEBOOKS / "08_generalisation.ipynb"
L2_SOLUTION = "return dW1 + lambd / m * W1, db1, dW2 + lambd / m * W2, db2"


@pytest.mark.skipif(not CHAPTER_8.exists(), reason="chapter 8 is not in notebooks/")
def test_grade_chapter_8(tmp_path):
    """Chapter 8 releases and grades like the others: full marks for the instructor version, 0 for
    the unsolved student version, 0 for l2_gradient with the biases decayed too, and 0 (reported)
    for an l2_gradient that calls the course's own."""
    instructor = nbformat.read(CHAPTER_8, 4)
    (released,) = release([CHAPTER_8], tmp_path / "student")
    check_released(instructor, nbformat.read(released, 4))
    assert L2_SOLUTION in cells_by_id(instructor)["l2_gradient"].source
    variants = {
        "biases": "return tuple(dP + lambd / m * P for dP, P in zip(grads, params))",
        "reference": "import helpers\n    return helpers.l2_gradient(grads, params, lambd, m)",
    }
    subs = tmp_path / "subs"
    files = [released]
    for name, nb in (("full", instructor), *((k, copy.deepcopy(instructor)) for k in variants)):
        if name in variants:
            cell = cells_by_id(nb)["l2_gradient"]
            cell.source = cell.source.replace(L2_SOLUTION, variants[name])
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / CHAPTER_8.name)
        files.append(subs / name / CHAPTER_8.name)
    results = {r.student: r for r in grade_submissions(files, NOTEBOOKS, timeout=600)}
    assert results["full"].status == "graded", results["full"].error
    assert points(results["full"]) == {"check_l2_gradient": 1.0}
    assert results["student"].status == "graded" and results["student"].score == 0
    for name in variants:
        (exercise,) = results[name].exercises
        assert exercise.points == 0, (name, exercise.message)
    assert "bias" in results["biases"].exercises[0].message
    assert "reference" in results["reference"].exercises[0].message
