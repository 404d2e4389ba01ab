"""The editions: built from the instructor source, in agreement with it, and never overwriting a
learner's changes (a rebuild, ``make lab`` again, a ``git pull``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import editions, learner
from helpers.edition_files import build_learner, build_web, progress_report

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in SOURCE.glob("*.ipynb"))
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
SOLUTION_BODY = re.compile(r"### BEGIN SOLUTION[^\n]*\n(.*?)[ \t]*### END SOLUTION", re.S)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def kind(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        return "exercise"
    if meta.get("grade"):
        return "check"
    return cell.cell_type


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    build_learner(SOURCE, out / "learn")
    build_web(SOURCE, out / "web")
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_editions_agree_with_the_source(built, name):
    """Same prose, same non-exercise code, same checks; exercises stubs (learner) or worked (web)."""
    source = read(SOURCE / name)
    learn = editions.source_cells(read(built / "learn" / name))
    web = read(built / "web" / name).cells
    assert len(learn) == len(web) == len(source.cells), f"{name}: the editions lost or gained a cell"
    for i, (s, lc, wc) in enumerate(zip(source.cells, learn, web)):
        where = f"{name} cell {i}"
        assert kind(s) == kind(lc) == kind(wc), where
        if s.cell_type == "markdown":
            assert s.source == lc.source == wc.source, f"{where}: prose differs"
        elif kind(s) == "check":
            stripped = HIDDEN.sub("", s.source)
            assert "HIDDEN" not in lc.source + wc.source, where
            assert lc.source.strip() == wc.source.strip() == stripped.strip(), f"{where}: the checks differ"
        elif kind(s) == "exercise":
            assert "raise NotImplementedError()" in lc.source, f"{where}: the exercise is not a stub"
            body = SOLUTION_BODY.search(s.source).group(1)
            for line in (x.strip() for x in body.splitlines()):
                if line and not line.startswith(("#", "return", '"""')):
                    assert line not in lc.source, f"{where}: solution line {line!r} in the learner's edition"
            assert "SOLUTION" not in wc.source and body.strip() in wc.source, f"{where}: the worked answer"
        else:
            assert lc.source == editions.portable(s.source), f"{where}: the code differs"
            assert wc.source == s.source, f"{where}: the web edition's code differs"
            assert wc.outputs == s.outputs, f"{where}: the web edition lost the outputs"
            assert lc.outputs == [], f"{where}: the learner's edition has the source's outputs"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_learner_edition_has_no_answer_and_says_how_to_work(built, name):
    text = (built / "learn" / name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    nb = read(built / "learn" / name)
    added = [c for c in nb.cells if editions.EDITION_TAG in c.metadata.get("tags", [])]
    tags = [c.metadata["tags"][1] for c in added]
    exercises = editions.exercises(read(SOURCE / name))
    assert tags[:2] == ["learner-note", "learner-tools"] and nb.cells[1] is added[0]
    assert tags.count("hint-prompt") == len(exercises)
    if exercises:
        assert tags[-1] == "progress" and nb.cells[-1].source.endswith(f'progress("{Path(name).stem}")')
    else:  # the maths refresher: nothing to pass
        assert "progress" not in tags
    for code in (c.source for c in nb.cells if c.cell_type == "code"):
        assert '"../' not in code and "'../" not in code, "a path that only works in the checkout"


def test_every_exercise_has_two_or_three_hints_and_a_model_answer(built):
    names = [e for n in NOTEBOOKS for e in editions.exercises(read(SOURCE / n))]
    assert len(names) == len(set(names)) == 21
    hints = learner.load_hints(built / "learn")
    assert sorted(hints) == sorted(names), "hints.toml must name exactly the course's exercises"
    answers = json.loads((built / "learn" / ".course" / "solutions.json").read_text())
    assert sorted(answers) == sorted(names)
    for name in names:
        assert 2 <= len(hints[name]) <= 3, name
        assert len(set(hints[name])) == len(hints[name]), name
        assert "SOLUTION" not in answers[name] and "def " in answers[name], name
        body = [
            x.strip() for x in answers[name].splitlines()[2:] if x.strip() and not x.strip().startswith("#")
        ]
        for line in body:  # the first hint is a nudge: no line of the answer in it
            assert line not in hints[name][0], f"{name}: hint 1 gives away {line!r}"


def test_the_model_answers_pass_their_checks(built):
    """solution() shows what the checker accepts (the instructor's own solutions)."""
    import numpy as np

    import helpers
    from helpers import checks

    answers = json.loads((built / "learn" / ".course" / "solutions.json").read_text())
    for name, code in answers.items():  # each in the namespace of its chapter: the course's functions
        namespace = {"np": np, "helpers": helpers, **{k: getattr(helpers, k) for k in helpers.__all__}}
        exec(code, namespace)  # noqa: S102 - the course's own model answers
        getattr(checks, f"check_{name}")(namespace[name])


def test_chapter_7_ships_what_it_reads(built):
    nb = read(built / "learn" / "07_making_it_fast.ipynb")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for name in ("results.json",):  # its figure is drawn from the results, not read as a picture
        assert f'"{name}"' in code
        assert (built / "learn" / name).read_bytes() == (ROOT / "benchmarks" / "results" / name).read_bytes()
    assert (built / "learn" / "my_digit.png").is_file()


def test_the_graded_release_has_no_hints_and_no_answers(tmp_path):
    out = tmp_path / "release"
    from helpers.assignments.student_versions import release

    release(None, out, notebooks_dir=SOURCE)
    assert not (out / learner.HINTS_FILE).exists() and not (out / learner.COURSE_DIR).exists()
    assert learner.load_hints(out) == {}


# -- never overwriting the learner's work ---------------------------------------------------------
def _course(tmp_path: Path, names=("00_data_and_one_hot.ipynb", "04_updating_parameters.ipynb")) -> Path:
    src = tmp_path / "notebooks"
    src.mkdir()
    for n in names:
        shutil.copy(SOURCE / n, src / n)
    shutil.copy(SOURCE / "hints.toml", src / "hints.toml")
    return src


def _edit_markdown(path: Path, index: int, text: str) -> None:
    nb = read(path)
    nb.cells[index].source += text
    nbformat.write(nb, path)


def _learner_edits(path: Path) -> bytes:
    nb = read(path)
    nb.cells.append(nbformat.v4.new_code_cell("my_own_experiment = 42"))
    nbformat.write(nb, path)
    return path.read_bytes()


def test_rebuilding_keeps_a_changed_notebook_and_puts_the_new_version_beside_it(tmp_path):
    src, out = _course(tmp_path), tmp_path / "learn"
    build_learner(src, out)
    first = (out / "04_updating_parameters.ipynb").read_bytes()
    mine = _learner_edits(out / "00_data_and_one_hot.ipynb")

    again = build_learner(src, out)  # `make lab` again, nothing new in the course
    assert again.up_to_date and not again.notices and not again.written
    assert (out / "00_data_and_one_hot.ipynb").read_bytes() == mine
    assert not list(out.glob("*.new*"))
    (out / "04_updating_parameters.ipynb").unlink()  # a chapter the learner deleted comes back
    assert not build_learner(src, out).up_to_date
    assert (out / "04_updating_parameters.ipynb").read_bytes() == first
    assert (out / "00_data_and_one_hot.ipynb").read_bytes() == mine and not list(out.glob("*.new*"))

    _edit_markdown(src / "00_data_and_one_hot.ipynb", 0, "\n\nA new paragraph.")
    _edit_markdown(src / "04_updating_parameters.ipynb", 1, "\n\nAnother one.")
    report = build_learner(src, out)
    assert (out / "00_data_and_one_hot.ipynb").read_bytes() == mine, "the learner's notebook was overwritten"
    new = read(out / "00_data_and_one_hot.new.ipynb")
    assert new.cells[0].metadata["tags"] == [editions.EDITION_TAG, "update-notice"]
    assert "your copy is kept" in new.cells[0].source
    assert editions.source_cells(new)[0].source.endswith("A new paragraph.")
    assert (out / "04_updating_parameters.ipynb").read_bytes() != first, "an untouched chapter is updated"
    assert editions.source_cells(read(out / "04_updating_parameters.ipynb"))[1].source.endswith(
        "Another one."
    )
    kept = [n for n in report.notices if n.startswith("00_data_and_one_hot.ipynb")]
    assert len(kept) == 1 and "00_data_and_one_hot.new.ipynb" in kept[0] and "1 cell changed" in kept[0]
    assert "\n" not in kept[0]
    assert any(n.startswith("updated 04_updating_parameters.ipynb: 1 cell changed") for n in report.notices)


def test_a_changed_new_version_is_not_overwritten_either(tmp_path):
    src, out = _course(tmp_path, ("00_data_and_one_hot.ipynb",)), tmp_path / "learn"
    build_learner(src, out)
    mine = _learner_edits(out / "00_data_and_one_hot.ipynb")
    _edit_markdown(src / "00_data_and_one_hot.ipynb", 0, "\n\nOne.")
    build_learner(src, out)
    mine_new = _learner_edits(out / "00_data_and_one_hot.new.ipynb")
    _edit_markdown(src / "00_data_and_one_hot.ipynb", 0, "\n\nTwo.")
    build_learner(src, out)
    assert (out / "00_data_and_one_hot.ipynb").read_bytes() == mine
    assert (out / "00_data_and_one_hot.new.ipynb").read_bytes() == mine_new
    assert editions.source_cells(read(out / "00_data_and_one_hot.new-2.ipynb"))[0].source.endswith("Two.")


def test_a_file_the_learner_replaced_is_kept_and_progress_survives(tmp_path):
    src = _course(tmp_path, ("06_misclassified_digits.ipynb",))
    shutil.copy(SOURCE / "my_digit.png", src / "my_digit.png")
    out = tmp_path / "learn"
    build_learner(src, out)
    (out / "my_digit.png").write_bytes(b"my own digit")
    (out / ".course" / "progress.json").write_text('{"exercises": {"confusion_matrix": {"checked": 1}}}')
    (src / "my_digit.png").write_bytes(b"a new course digit")
    build_learner(src, out)
    assert (out / "my_digit.png").read_bytes() == b"my own digit"
    assert (out / "my_digit.new.png").read_bytes() == b"a new course digit"
    assert "confusion_matrix" in (out / ".course" / "progress.json").read_text()


def _git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    import os

    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_update_with_git_pull_keeps_the_learners_work(tmp_path):
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _course(upstream)
    shutil.copy(ROOT / ".gitignore", upstream / ".gitignore")
    _git(upstream, "init", "-q", "-b", "main")
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "-qm", "the course")
    _git(tmp_path, "clone", "-q", str(upstream), "clone")
    clone = tmp_path / "clone"
    build_learner(clone / "notebooks", clone / "learn")  # the first `make lab`
    mine = _learner_edits(clone / "learn" / "00_data_and_one_hot.ipynb")

    _edit_markdown(upstream / "notebooks" / "00_data_and_one_hot.ipynb", 0, "\n\nFixed a typo.")
    _git(upstream, "commit", "-qam", "a fix")
    _git(clone, "pull", "-q")
    assert _git(clone, "status", "--porcelain") == "", "the learner's edition must be ignored by git"
    report = build_learner(clone / "notebooks", clone / "learn")  # `make lab` after the pull
    assert (clone / "learn" / "00_data_and_one_hot.ipynb").read_bytes() == mine
    new = read(clone / "learn" / "00_data_and_one_hot.new.ipynb")
    assert editions.source_cells(new)[0].source.endswith("Fixed a typo.")
    assert len(report.notices) == 1 and "00_data_and_one_hot.new.ipynb" in report.notices[0]


# -- hints, model answers and progress in the notebook ---------------------------------------------
@pytest.fixture
def edition(tmp_path, monkeypatch):
    src = _course(tmp_path, ("02_relu_and_softmax.ipynb",))
    build_learner(src, tmp_path / "learn")
    monkeypatch.chdir(tmp_path / "learn")
    monkeypatch.setattr(learner, "_shown", {})
    monkeypatch.setattr(learner, "_results", {})
    return tmp_path / "learn"


def test_hints_come_one_at_a_time(edition, capsys):
    hints = learner.load_hints()["softmax"]
    for k in range(len(hints)):
        learner.hint("softmax")
        out = capsys.readouterr().out
        assert f"Hint {k + 1} of {len(hints)} for softmax: {hints[k]}" in out
        assert all(h not in out for h in hints[k + 1 :]), "a later hint shown too early"
    learner.hint("softmax")
    out = capsys.readouterr().out
    assert all(h in out for h in hints), "once all are shown, all are shown again"
    learner.hint("softmx")
    assert "Did you mean 'softmax'?" in capsys.readouterr().out


def test_hints_continue_after_a_kernel_restart_and_count_in_progress(edition, capsys, monkeypatch):
    learner.hint("relu")
    learner.hint("relu")
    monkeypatch.setattr(learner, "_shown", {})  # a restarted kernel: what is recorded remains
    monkeypatch.setattr(learner, "_results", {})
    capsys.readouterr()
    learner.hint("relu")
    assert "Hint 3 of 3 for relu" in capsys.readouterr().out
    learner._record("relu", passed=True)
    learner.progress("02_relu_and_softmax")
    assert re.search(r"✓ relu\s+passed \(3 hints\)", capsys.readouterr().out)


def test_a_model_answer_only_after_the_check_ran(edition, capsys):
    learner.solution("softmax")
    out = capsys.readouterr().out
    assert "Run the check cell of softmax first" in out and "np.exp" not in out
    learner._record("softmax", passed=False)
    learner.solution("softmax")
    out = capsys.readouterr().out
    assert "A model answer for softmax" in out and "exp" in out
    saved = json.loads((edition / ".course" / "progress.json").read_text())["exercises"]["softmax"]
    assert saved == {"checked": 1, "passed": False, "solution_shown": True}


def test_no_model_answers_outside_the_learners_edition(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    learner.solution("softmax")
    learner.hint("softmax")
    out = capsys.readouterr().out
    assert "no model answers" in out and "no hints" in out


def test_progress_in_the_chapter_and_for_the_course(edition, capsys):
    learner._record("relu", passed=True)
    learner._record("softmax", passed=False)
    learner._record("softmax", passed=False)
    learner.progress("02_relu_and_softmax")
    out = capsys.readouterr().out
    assert "Chapter 02_relu_and_softmax: 1 of 4 exercises pass" in out
    assert re.search(r"✓ relu\s+passed", out) and re.search(
        r"✗ softmax\s+not passed yet \(checked 2 times\)", out
    )
    assert re.search(r"· cross_entropy\s+not checked yet", out)
    passed, total, lines = progress_report(edition)
    assert (passed, total) == (1, 4) and lines[0].endswith("02_relu_and_softmax: 1 of 4 exercises pass")
    done = subprocess.run(
        [sys.executable, "-m", "helpers", "editions", "progress", "--learner", str(edition)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0 and "In all: 1 of 4 exercises pass." in done.stdout


def test_make_progress_without_an_edition_says_how_to_make_one(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers", "editions", "progress", "--learner", str(tmp_path / "none")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "make lab" in done.stderr


def test_a_missing_source_is_one_line_and_writes_nothing(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers", "editions", "build", "--source", str(tmp_path / "none"),
         "--learner", str(tmp_path / "learn")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no such notebooks folder" in done.stderr
    assert not (tmp_path / "learn").exists()
