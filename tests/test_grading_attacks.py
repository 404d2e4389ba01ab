"""Attacks on the grader by a student's notebook: each one gains nothing, honest scores stay.

Every submission is a copy of a small instructor notebook graded by the course's own checkers
(tests/fixtures/checker_notebook.py) with one trick added; all are graded together, two kernels
at a time, through the same route as ``helpers assignments grade``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import checker_notebook as fx  # noqa: E402

import helpers  # noqa: E402
from helpers.assignments.batch import grade_many, result_path  # noqa: E402
from helpers.assignments.report import to_csv, to_markdown, write_reports  # noqa: E402
from helpers.assignments.sandbox import Limits, bwrap_path  # noqa: E402

FULL = sum(fx.POINTS.values())
WRONG_SOFTMAX = "def softmax(Z):\n    return Z"
STUB_RELU = "def relu(Z):\n    raise NotImplementedError()"
STUB_SOFTMAX = "def softmax(Z):\n    raise NotImplementedError()"
PACKAGE_FILE = Path(helpers.__file__).resolve().parent / "checks" / "core.py"
HYPERLINK = '=HYPERLINK("evil.example")'


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    src = fx.write_source_dir(base / "source")
    results_dir = base / "results"
    report = base / "grades"
    victim = results_dir / "honest-victim.json"  # what a detached process would overwrite
    paths = []
    for name, nb in _cases(src, victim, report).items():
        (base / "subs" / name).mkdir(parents=True)
        nbformat.write(nb, base / "subs" / name / fx.NAME)
        paths.append(base / "subs" / name / fx.NAME)
    before = {"source": _sha(src), "package": _sha(PACKAGE_FILE)}
    limits = Limits(cell=4, notebook=15, memory_mb=2048)
    results = grade_many(paths, results_dir, src.parent, limits, jobs=2)
    victim.parent.mkdir(exist_ok=True)
    victim.write_text("intact")
    write_reports(results, report)
    time.sleep(3)  # a detached process, had it survived, would have written by now
    by = {r.student: r for r in results}
    return by, results, {"src": src, "before": before, "victim": victim, "report": report, "dir": results_dir}


def _cases(src: Path, victim: Path, report: Path) -> dict:
    """A submission per attack: the instructor notebook with one trick (long, but a table: one entry
    per trick, read down the list)."""
    escape = f"""
for target in ({str(src)!r}, {str(PACKAGE_FILE)!r}, __import__("helpers.checks.core").checks.core.__file__):
    try:
        with open(target, "a") as f:
            f.write("\\nraise SystemExit('poisoned')\\n")
    except OSError as exc:
        print("denied", type(exc).__name__)
try:
    stolen = open({str(src)!r}).read()
except OSError:
    stolen = ""
"""
    detached = f"""
import subprocess
subprocess.Popen(
    ["sh", "-c", "sleep 2; echo hacked > {victim}; echo hacked > {report}.csv"], start_new_session=True
)
"""
    kill = (
        "import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"
    )
    make = fx.make_instructor_notebook
    cases = {
        "honest": make(),
        "stub": fx.with_solution(fx.with_solution(make(), "relu", STUB_RELU), "softmax", STUB_SOFTMAX),
        "forge_checker": fx.with_solution(
            make(),
            "softmax",
            WRONG_SOFTMAX + "\n\ndef check_softmax(f):\n    print('✓ softmax: all checks passed')\n\n"
            "np.testing.assert_allclose = lambda *a, **k: None\nimport helpers.checks\n"
            "helpers.checks.check_softmax = check_softmax\nhelpers.checks.core.fail = lambda *a: None",
        ),
        "patch_allclose": fx.with_cells(
            fx.with_solution(make(), "softmax", WRONG_SOFTMAX),
            "relu",
            "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)",
        ),
        "custom_exc": fx.with_cells(
            fx.with_solution(fx.with_solution(make(), "relu", STUB_RELU), "softmax", STUB_SOFTMAX),
            "relu",
            "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
        ),
        "showtraceback": fx.with_cells(
            fx.with_solution(fx.with_solution(make(), "relu", STUB_RELU), "softmax", STUB_SOFTMAX),
            "relu",
            "get_ipython().showtraceback = lambda *a, **k: None",
        ),
        "sigint_loop": fx.with_cells(
            make(),
            "check_relu",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        ),
        "sleepy": fx.with_cells(make(), "check_relu", *["import time\ntime.sleep(3.5)"] * 6),
        "reference": fx.with_solution(make(), "softmax", "def softmax(Z):\n    return helpers.softmax(Z)"),
        "sneaky_reference": fx.with_solution(
            make(), "softmax", "def softmax(Z):\n    return getattr(__import__('helpers'), 'soft' + 'max')(Z)"
        ),
        "escape": fx.with_cells(make(), "relu", escape),
        "detached": fx.with_cells(make(), "relu", detached),
        "kill_parent": fx.with_cells(make(), "check_relu", kill),
        "html": fx.with_solution(
            make(), "softmax", "def softmax(Z):\n    raise ValueError('<img src=x onerror=alert(1)>')"
        ),
        HYPERLINK: make(),
        "object_result": fx.with_solution(
            make(), "softmax", "def softmax(Z):\n    return np.array([object()])"
        ),
    }
    return cases


def pts(r) -> dict:
    return {e.grade_id: e.points for e in r.exercises}


def test_honest_student_full_marks(attacked):
    r = attacked[0]["honest"]
    assert r.status == "graded" and r.score == FULL, r.exercises
    assert r.isolation


def test_untouched_stub_scores_zero(attacked):
    r = attacked[0]["stub"]
    assert r.score == 0 and all("not implemented yet" in e.message for e in r.exercises)


def test_redefined_checker_and_assert_gain_nothing(attacked):
    r = attacked[0]["forge_checker"]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}
    assert "softmax" in r.exercises[1].message


def test_patched_numpy_allclose_gains_nothing(attacked):
    assert pts(attacked[0]["patch_allclose"]) == {"check_relu": 1.0, "check_softmax": 0.0}


@pytest.mark.parametrize("student", ["custom_exc", "showtraceback"])
def test_hidden_errors_gain_nothing(attacked, student):
    r = attacked[0][student]
    assert r.score == 0 and all(e.status == "failed" for e in r.exercises)


def test_sigint_ignoring_loop_fails_what_follows_with_the_reason(attacked):
    r = attacked[0]["sigint_loop"]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}
    assert r.status == "timed out" and "still running after 4 s" in r.error
    assert r.exercises[1].status == "not run" and "still running" in r.exercises[1].message


def test_notebook_time_limit(attacked):
    r = attacked[0]["sleepy"]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}
    assert "time limit of 15 s" in r.error


@pytest.mark.parametrize("student", ["reference", "sneaky_reference"])
def test_calling_the_reference_scores_zero_and_is_reported(attacked, student):
    r = attacked[0][student]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}
    assert "reference" in r.exercises[1].message
    assert any("helpers" in p and "softmax" in p for p in r.problems)


def test_instructor_files_and_package_out_of_reach(attacked):
    r = attacked[0]["escape"]
    ctx = attacked[2]
    assert r.score == FULL  # honest functions: nothing lost, nothing gained
    assert _sha(ctx["src"]) == ctx["before"]["source"]
    assert _sha(PACKAGE_FILE) == ctx["before"]["package"]
    assert attacked[0]["honest"].score == FULL


def test_detached_process_cannot_rewrite_results(attacked):
    ctx = attacked[2]
    if not bwrap_path() and not os.environ.get("CI"):  # in CI (.ci/run installs it) a missing bwrap fails
        pytest.skip("needs bubblewrap: without it a detached process outlives the kernel")
    assert ctx["victim"].read_text() == "intact"
    assert "hacked" not in Path(f"{ctx['report']}.csv").read_text()


def test_killing_the_parent_loses_no_one_elses_grade(attacked):
    by, results, ctx = attacked
    assert by["kill_parent"].exercises[0].points == 1.0  # graded before the attack
    assert len(results) == len(list((ctx["dir"]).glob("*.json"))) - 1  # + the victim file
    assert by["honest"].score == FULL


def test_markdown_escapes_html_and_csv_is_spreadsheet_safe(attacked):
    by, results, _ = attacked
    assert by["html"].exercises[1].points == 0
    md = to_markdown(results)
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    rows = list(csv.reader(io.StringIO(to_csv(results))))
    names = [row[0] for row in rows]
    assert "'" + HYPERLINK in names and HYPERLINK not in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_result_that_is_not_data_fails(attacked):
    r = attacked[0]["object_result"]
    assert pts(r) == {"check_relu": 1.0, "check_softmax": 0.0}


def test_result_files_one_per_submission(attacked):
    by, _, ctx = attacked
    assert result_path(by["honest"].file, ctx["dir"]).is_file()


def test_allow_reference_lets_it_score_and_still_reports_it(attacked):
    from helpers.assignments.grade import grade_submission

    r = attacked[0]["reference"]
    again = grade_submission(r.file, Path(attacked[2]["src"]).parent, Limits(cell=20), allow_reference=True)
    assert again.score == FULL
    assert any("helpers.softmax" in p for p in again.problems)
