"""The course's notebook format works with nbgrader itself: generate_assignment and autograde.

A temporary nbgrader course (written by helpers.assignments.make_course) holds the fixture
notebook and, when it exists, one small course notebook. nbgrader's student version must equal
``python -m helpers assignments release`` (cell by cell), and nbgrader's autograde scores must
equal our grader's on the same submissions.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments import grade_submissions, make_course, release  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "ps1"
NBGRADER = shutil.which("nbgrader", path=str(BIN)) or shutil.which("nbgrader")
pytestmark = pytest.mark.skipif(NBGRADER is None, reason="the nbgrader command is not installed")


def _course_notebook() -> Path | None:
    """One small course notebook with check cells, if the course has one yet."""
    for prefix in ("01_", "02_", "03_"):
        for p in sorted((ROOT / "notebooks").glob(f"{prefix}*.ipynb")):
            if any(c.metadata.get("nbgrader", {}).get("grade") for c in nbformat.read(p, 4).cells):
                return p
    return None


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The nbgrader course after generate_assignment and autograde, and our grader's results."""
    base = tmp_path_factory.mktemp("nbgrader")
    fixture_src = fx.write_source_dir(base / "instructor")
    notebooks = [fixture_src]
    extra = _course_notebook()
    if extra is not None:
        shutil.copyfile(extra, base / "instructor" / extra.name)
        notebooks.append(base / "instructor" / extra.name)
    course = base / "course"
    source = make_course(course, notebooks, assignment=ASSIGNMENT, timeout=120)
    shutil.copyfile(
        base / "instructor" / "values.txt", source / "values.txt"
    )  # a data file of the assignment

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    ours = release(notebooks, base / "ours")

    # Submissions in nbgrader's layout: submitted/<student>/<assignment>/<notebook>.ipynb
    released = {p.name: nbformat.read(course / "release" / ASSIGNMENT / p.name, 4) for p in notebooks}
    instructor = {p.name: nbformat.read(p, 4) for p in notebooks}
    wrong = copy.deepcopy(instructor[fx.NAME])
    for cell in wrong.cells:
        if _nbg(cell).get("grade_id") == "square":
            cell.source = "def square(x):\n    return x + x"
    wrong.cells = [c for c in wrong.cells if _nbg(c).get("grade_id") != "check_square"]
    submissions = {"alice": instructor, "bob": released, "carol": {**instructor, fx.NAME: wrong}}
    files = []
    for student, nbs in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, nb in nbs.items():
            nbformat.write(nb, folder / name)
            files.append(folder / name)

    nbgrader(course, "autograde", ASSIGNMENT)
    mine = grade_submissions(files, base / "instructor", timeout=120)
    return {"course": course, "notebooks": notebooks, "ours": ours, "submissions": submissions, "mine": mine}


def test_generate_assignment_equals_release_command(course):
    for src, ours in zip(course["notebooks"], course["ours"]):
        theirs = nbformat.read(course["course"] / "release" / ASSIGNMENT / src.name, 4)
        mine = nbformat.read(ours, 4)
        assert _sources(theirs) == _sources(mine)  # the header gives nbgrader the same first cell
        text = "\n".join(c.source for c in theirs.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert all(c.get("outputs", []) == [] for c in theirs.cells)
        for t, m in zip(theirs.cells, mine.cells):
            for key in ("grade_id", "points", "grade", "solution", "locked"):
                assert _nbg(t).get(key) == _nbg(m).get(key)
    fixture = (course["course"] / "release" / ASSIGNMENT / fx.NAME).read_text()
    assert "x * x" not in fixture and "len(xs)" not in fixture


def test_autograde_agrees_with_our_grader(course):
    from nbgrader.api import Gradebook

    db = f"sqlite:///{course['course'] / 'gradebook.db'}"
    mine = {(r.student, r.notebook): r for r in course["mine"]}  # student from submitted/<student>/...
    with Gradebook(db) as gb:
        for student, nbs in course["submissions"].items():
            for name in nbs:
                r = mine[(student, name)]
                assert r.status == "graded", r.error
                stem = Path(name).stem
                theirs = {
                    e.grade_id: gb.find_grade(e.grade_id, stem, ASSIGNMENT, student).score
                    for e in r.exercises
                }
                assert theirs == {e.grade_id: e.points for e in r.exercises}, (student, name)
                assert gb.find_submission_notebook(stem, ASSIGNMENT, student).score == pytest.approx(r.score)
    full = sum(fx.POINTS.values())
    scores = {(r.student, r.notebook): r.score for r in course["mine"]}
    assert scores[("alice", fx.NAME)] == full
    assert scores[("bob", fx.NAME)] == 0
    assert scores[("carol", fx.NAME)] == fx.POINTS["check_mean"]  # deleted check cell put back, fails


def test_autograded_notebooks_have_check_cells_back(course):
    nb = nbformat.read(course["course"] / "autograded" / "carol" / ASSIGNMENT / fx.NAME, 4)
    ids = [_nbg(c).get("grade_id") for c in nb.cells]
    assert ids.index("check_square") == ids.index("square") + 1
    check_mean = nb.cells[ids.index("check_mean")]
    assert "BEGIN HIDDEN TESTS" in check_mean.source  # nbgrader runs the hidden tests too
