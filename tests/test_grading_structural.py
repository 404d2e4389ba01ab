"""The grader's defences that do not rely on catching a trick in the act.

- the course's function of an exercise's name is not in the graded kernel, so no way of reaching
  it (a switched-off profiler, a thread, a copied code object, an alias made outside the
  solution cell, the package's source, an import after the solution) scores;
- the check's arrays are the grader's own: a function that zeroes its inputs in place cannot
  make a hidden test compare zeros with zeros;
- who is who: links and files that are not regular are refused, a folder per student names
  the student, a file is graded as the notebook its name says, identical files are flagged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as other  # noqa: E402
import checker_notebook as fx  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments.batch import grade_submissions  # noqa: E402
from helpers.assignments.grade import grade_submission  # noqa: E402
from helpers.assignments.sandbox import Limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell=20, notebook=60, memory_mb=2048)

#: Ways to reach the course's softmax from the student's softmax that a tripwire or a source scan misses.
REFERENCE_PATHS = {
    "profile_off": "import sys\n\ndef softmax(Z):\n    sys.setprofile(None)\n    return helpers.softmax(Z)",
    "thread": (
        "import threading\n\ndef softmax(Z):\n    out = []\n"
        "    t = threading.Thread(target=lambda: out.append(helpers.nn.softmax(Z)))\n"
        "    t.start()\n    t.join()\n    return out[0]"
    ),
    "copied_code": (  # a copy of the code object: not the one a tripwire watches
        "import types\n\nf = helpers.nn.softmax\n"
        "_f = types.FunctionType(f.__code__.replace(co_name='s'), f.__globals__)\n\n"
        "def softmax(Z):\n    return _f(Z)"
    ),
    "source_exec": (
        "def softmax(Z):\n    g = {}\n    exec(open(helpers.nn.__file__).read(), g)\n"
        "    return g['softmax'](Z)"
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("structural")
    src = fx.write_source_dir(base / "source")
    other.write_source_dir(base / "source")
    make = fx.make_instructor_notebook
    cases = {name: fx.with_solution(make(), "softmax", body) for name, body in REFERENCE_PATHS.items()}
    # An alias made in a cell of the student's own, outside the solution cell.
    cases["alias_outside"] = fx.with_solution(
        fx.with_cells(make(), "check_relu", "_sm = helpers.softmax"),
        "softmax",
        "import sys\n\ndef softmax(Z):\n    sys.setprofile(None)\n    return _sm(Z)",
    )
    # The unsolved softmax, then the course's imported under its name before the check.
    cases["import_after"] = fx.with_cells(
        fx.with_solution(make(), "softmax", "def softmax(Z):\n    raise NotImplementedError()"),
        "softmax",
        "from helpers import softmax",
    )
    cases["honest"] = make()
    subs = base / "subs"
    paths = []
    for name, nb in cases.items():
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / fx.NAME)
        paths.append(subs / name / fx.NAME)
    # Who is who.
    (subs / "twin").mkdir()
    (subs / "twin" / fx.NAME).write_bytes((subs / "honest" / fx.NAME).read_bytes())
    (subs / "mallory").mkdir()
    (subs / "mallory" / fx.NAME).symlink_to(src)  # the instructor's own notebook
    (subs / "eve2").symlink_to(subs / "honest", target_is_directory=True)  # a classmate's folder
    (subs / "eve").mkdir()
    (subs / "eve" / f"honest-{fx.NAME}").write_bytes(nbformat.writes(make()).encode())
    (subs / "zed").mkdir()
    nbformat.write(other.make_instructor_notebook(), subs / "zed" / fx.NAME)  # chapter "01" in the "02" slot
    paths += [subs / s / fx.NAME for s in ("twin", "mallory", "eve2", "zed")]
    paths.append(subs / "eve" / f"honest-{fx.NAME}")
    results = grade_submissions(paths, src.parent, limits=LIMITS)
    return {r.student: r for r in results}, results, base


def pts(r) -> dict:
    return {e.grade_id: e.points for e in r.exercises}


def test_the_honest_student_keeps_full_marks(graded):
    r = graded[0]["honest"]
    assert r.status == "graded" and pts(r) == fx.POINTS, r.exercises


@pytest.mark.parametrize("student", [*REFERENCE_PATHS, "alias_outside"])
def test_no_path_to_the_course_softmax_scores(graded, student):
    r = graded[0][student]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}, r.exercises
    said = [r.exercises[1].message, *r.problems]  # a thread's error stays in the thread: then reported
    assert any("not available while" in m or "called helpers.softmax" in m for m in said), said


def test_importing_the_course_function_after_the_solution_gains_nothing(graded):
    r = graded[0]["import_after"]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}
    assert "not implemented" in r.exercises[1].message


def test_links_are_refused_and_take_no_ones_place(graded):
    by, results, _ = graded
    for student in ("mallory", "eve2"):
        r = by[student]
        assert r.status == "refused" and r.score == 0 and "symbolic link" in r.error
    assert [r.student for r in results].count("honest") == 1


def test_a_file_naming_someone_else_in_a_students_folder_is_that_students(graded):
    by, results, _ = graded
    r = by["eve"]
    assert r.score == sum(fx.POINTS.values())
    assert any("'honest'" in p and "'eve'" in p for p in r.problems)
    assert [r.student for r in results].count("honest") == 1


def test_a_file_is_graded_as_the_notebook_its_name_says(graded):
    r = graded[0]["zed"]
    assert r.notebook == fx.NAME and r.score == 0 and r.max_score == sum(fx.POINTS.values())
    assert any(other.NAME in p and "graded as" in p for p in r.problems)


def test_identical_submissions_of_two_students_are_flagged(graded):
    by = graded[0]
    assert any("identical to the submission of twin" in p for p in by["honest"].problems)
    assert any("identical to the submission of honest" in p for p in by["twin"].problems)
    assert not any("identical" in p for p in by["eve"].problems)


def test_hidden_tests_see_the_graders_own_arrays(tmp_path):
    """A hidden test computing the reference after the call, on the arrays it passed: a function
    that zeroes its input in place and returns the softmax of zeros no longer passes it."""
    nb = fx.make_instructor_notebook()
    hidden = (
        "_hz = np.random.default_rng(1).normal(0, 3, (4, 6))\n"
        "np.testing.assert_allclose(softmax(_hz), helpers.softmax(_hz), rtol=1e-6)"
    )
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "check_softmax":
            c.source = hidden
    (tmp_path / "source").mkdir()
    nbformat.write(nb, tmp_path / "source" / fx.NAME)
    zeroing = "def softmax(Z):\n    Z[...] = 0\n    E = np.exp(Z)\n    return E / E.sum(axis=0)"
    (tmp_path / "sub").mkdir()
    nbformat.write(fx.with_solution(nb, "softmax", zeroing), tmp_path / "sub" / fx.NAME)
    r = grade_submission(tmp_path / "sub" / fx.NAME, tmp_path / "source", LIMITS)
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}, r.exercises
    assert "changed its argument 1 in place" in r.exercises[1].message


def test_a_fifo_submission_is_refused_without_hanging(tmp_path):
    src = fx.write_source_dir(tmp_path / "source")
    (tmp_path / "subs" / "fifo").mkdir(parents=True)
    os.mkfifo(tmp_path / "subs" / "fifo" / fx.NAME)
    cmd = [
        sys.executable,
        "-m",
        "helpers.assignments",
        "grade-one",
        str(tmp_path / "subs" / "fifo" / fx.NAME),
    ]
    cmd += ["--source-dir", str(src.parent), "--out", str(tmp_path / "r.json")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 1 and "(refused)" in run.stdout, run.stderr


def test_a_notebook_of_millions_of_empty_objects_is_refused_before_parsing(tmp_path):
    """7.6 MB of "{}" took the old grader to 2.5 GB in nbformat; refused now by its structure."""
    from helpers.assignments._io import NotANotebookError, read_notebook

    path = tmp_path / "many.ipynb"
    path.write_text('{"cells": [' + ",".join(["{}"] * 2_000_000) + '], "metadata": {}, "nbformat": 4}')
    with pytest.raises(NotANotebookError, match="JSON objects and lists"):
        read_notebook(path)
