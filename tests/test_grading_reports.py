"""The class report: a student's text is shown, never run as Markdown, and one bad result file
does not stop the merge. No kernel is started here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.assignments.batch import merge, write_result
from helpers.assignments.grade import ExerciseResult, SubmissionResult
from helpers.assignments.report import to_markdown

ROOT = Path(__file__).resolve().parents[1]
LIVE = "![status](https://evil.example/ok.png) [regrade here](https://evil.example/login) www.evil.example"


def _result(student: str, message: str = "") -> SubmissionResult:
    ex = [ExerciseResult("check_relu", 0.0, 1.0, "failed", message)]
    return SubmissionResult(
        f"{student}.ipynb", student, "02_relu_and_softmax.ipynb", "graded", 0, 1, ex, sha256=student
    )


def test_markdown_carries_no_live_image_or_link_from_a_student():
    md = to_markdown([_result(LIVE, LIVE)])
    assert "![status](" not in md and "[regrade here](" not in md
    assert "https://" not in md and "www.evil" not in md  # no bare URL for the renderer to link
    assert "\\[regrade here\\]" in md  # the text is still there, shown as text


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_merge_reads_unknown_keys_and_skips_and_lists_what_is_not_a_result(tmp_path):
    data = _result("alice").to_dict()
    data["from_a_newer_grader"] = 1
    data["exercises"][0]["confidence"] = 0.5
    _write(tmp_path, "alice.json", json.dumps(data))
    write_result(_result("bob"), tmp_path / "bob.json")
    _write(tmp_path, "notes.json", '{"todo": "regrade carol"}')
    _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    _write(tmp_path, "list.json", "[1, 2]")
    skipped: list[str] = []
    results = merge([tmp_path], skipped)
    assert [r.student for r in results] == ["alice", "bob"]
    assert sorted(Path(s.split(":")[0]).name for s in skipped) == ["deep.json", "list.json", "notes.json"]


def test_the_merge_command_lists_skipped_files_in_one_line_each(tmp_path):
    (tmp_path / "results").mkdir()
    write_result(_result("bob"), tmp_path / "results" / "bob.json")
    _write(tmp_path / "results", "deep.json", "[" * 100_000 + "]" * 100_000)
    cmd = [sys.executable, "-m", "helpers.assignments", "merge", str(tmp_path / "results")]
    run = subprocess.run(
        cmd + ["--report", str(tmp_path / "grades")], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith("skipped ") and "deep.json" in line
    assert [r["student"] for r in json.loads((tmp_path / "grades.json").read_text())["submissions"]] == [
        "bob"
    ]
