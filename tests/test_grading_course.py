"""Marks one can trust on the course itself: every chapter's unsolved release scores 0 on every
exercise and its instructor version full marks, and the grader works from a Python installation
under the temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import assignment_notebook as fx  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments import release  # noqa: E402
from helpers.assignments.batch import grade_submissions  # noqa: E402
from helpers.assignments.sandbox import Limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(
    p
    for p in NOTEBOOKS.glob("0[0-9]_*.ipynb")
    if any((c.metadata.get("nbgrader") or {}).get("grade") for c in nbformat.read(p, 4).cells)
)


def _points(nb) -> dict[str, float]:
    cells = [c.metadata.get("nbgrader") or {} for c in nb.cells]
    return {m["grade_id"]: float(m["points"]) for m in cells if m.get("grade") and not m.get("solution")}


@pytest.mark.skipif(not CHAPTERS, reason="no course notebook with check cells")
def test_unsolved_releases_score_nothing_and_instructor_versions_everything(tmp_path):
    """Chapters 4-6 import the course's function under an exercise's name further down ("the
    reference from here on"): the exercise is still the student's, so the unsolved one scores 0."""
    released = [p for p in release(CHAPTERS, tmp_path / "student") if p.suffix == ".ipynb"]
    instructor = []
    for path in CHAPTERS:
        (tmp_path / "instructor" / path.stem).mkdir(parents=True)
        instructor.append(tmp_path / "instructor" / path.stem / path.name)
        instructor[-1].write_bytes(path.read_bytes())
    results = grade_submissions(released + instructor, NOTEBOOKS, limits=Limits(cell=600))
    assert len(results) == 2 * len(CHAPTERS)
    for r in results:
        want = _points(nbformat.read(NOTEBOOKS / r.notebook, 4))
        got = {e.grade_id: e.points for e in r.exercises}
        assert r.status == "graded", (r.file, r.error)
        if r.student == "student":  # the release folder
            assert got == dict.fromkeys(want, 0.0), (r.notebook, r.exercises)
        else:
            assert got == want, (r.notebook, [e.message for e in r.exercises])


def test_a_python_installation_under_the_temporary_folder_grades(tmp_path):
    """A checkout or virtual environment under /tmp is not hidden by the sandbox's own /tmp."""
    venv = tmp_path / "venv"  # tmp_path is under /tmp (or TMPDIR)
    venv.symlink_to(Path(sys.prefix), target_is_directory=True)
    python = venv / "bin" / "python"
    probe = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True)
    assert probe.stdout.strip() == str(venv)
    src = fx.write_source_dir(tmp_path / "source")
    (unsolved,) = (p for p in release([src], tmp_path / "alice") if p.suffix == ".ipynb")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / fx.NAME).write_bytes(src.read_bytes())
    cmd = [python, "-m", "helpers.assignments", "grade", str(unsolved), str(tmp_path / "bob" / fx.NAME)]
    cmd += ["--source-dir", str(src.parent), "--report", str(tmp_path / "grades"), "--quiet", "--jobs", "1"]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    scores = {
        r["student"]: r["score"] for r in json.loads((tmp_path / "grades.json").read_text())["submissions"]
    }
    assert scores == {"alice": 0.0, "bob": sum(fx.POINTS.values())}
