"""The instructor's folder as it travels to a grading process or a Dask worker.

A chapter that reads the benchmark's results (``../benchmarks/results/results.json``, chapter 7)
must find them on the worker where it finds them on the coordinator; a bundle whose names would
leave the folder it is unpacked into is refused.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from helpers.assignments import batch, executors  # noqa: E402
from helpers.assignments.sandbox import Limits, bwrap_path  # noqa: E402
from helpers.assignments.student_versions import referenced_files  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHAPTER_7 = NOTEBOOKS / "07_making_it_fast.ipynb"


def test_a_file_outside_the_folder_travels_with_its_relative_path():
    files = json.loads(executors.source_bundle(NOTEBOOKS))["files"]
    assert "../benchmarks/results/results.json" in files
    folder = executors._instructor_folder(executors.source_bundle(NOTEBOOKS))
    for name in files:  # every chapter finds every file it reads, with the bytes it was sent
        if name.endswith(".ipynb"):
            nb = nbformat.read(folder / name, 4)
            for f in referenced_files(nb, folder):
                assert f.read_bytes() == (NOTEBOOKS / os.path.relpath(f, folder)).read_bytes()
    assert (folder.parent / "benchmarks/results/results.json").is_file()


@pytest.mark.parametrize("name", ["../../escape.txt", "/etc/passwd", ".hidden", "sub/../../../x", "a/.git/x"])
def test_a_name_that_leaves_the_folder_is_refused(name):
    bundle = json.dumps({"files": {name: base64.b64encode(b"x").decode()}})
    with pytest.raises(ValueError, match="not a path inside"):
        executors._instructor_folder(bundle)


@pytest.mark.skipif(bwrap_path() is None, reason="grading needs bubblewrap (apt-get install bubblewrap)")
def test_the_chapter_that_reads_the_benchmark_results_is_graded_through_the_pool(tmp_path):
    student = tmp_path / "class" / "ines"
    student.mkdir(parents=True)
    (student / CHAPTER_7.name).write_bytes(CHAPTER_7.read_bytes())  # the instructor's answers
    [result] = batch.grade_many(
        [student / CHAPTER_7.name],
        tmp_path / "results",
        NOTEBOOKS,
        Limits(cell=120, notebook=600),
        jobs=1,
        bar=False,
    )
    assert (result.status, result.error) == ("graded", "")
    assert result.score == result.max_score > 0
