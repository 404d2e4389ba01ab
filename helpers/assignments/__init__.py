"""Classroom assignments: student versions of the course notebooks and their autograding.

- :func:`release` / :func:`release_notebook`: the student version (nbgrader's preprocessors);
- :func:`grade_submission` / :func:`grade_submissions`: restore the locked check cells, run the
  student's cells in a sandboxed kernel (:mod:`.sandbox`), decide every verdict in the grader
  (:mod:`.verdicts`), score;
- :func:`grade_many` / :func:`grade_one` / :func:`merge`: a class in parallel, one result file per
  submission, and the class report from result files (:mod:`.batch`);
- :func:`write_reports`: JSON, Markdown and CSV score reports;
- :func:`make_course`: an nbgrader course folder for ``nbgrader generate_assignment`` / ``autograde``.

nbgrader (the ``instructor`` extra) is imported only when a function needs it.
"""

import importlib

# Loaded on first use, so that `python -m helpers ...` does not pay for nbformat and nbclient
# unless an assignments command runs.
_HOMES = {
    "ExerciseResult": "grade",
    "SubmissionResult": "grade",
    "grade_submission": "grade",
    "grade_submissions": "batch",
    "grade_many": "batch",
    "identify": "cells",
    "identify_notebook": "cells",
    "restore_locked_cells": "cells",
    "grade_one": "batch",
    "merge": "batch",
    "referenced_files": "student_versions",
    "make_course": "nbgrader_course",
    "INSTRUCTIONS_TAG": "student_versions",
    "release": "student_versions",
    "release_file": "student_versions",
    "release_notebook": "student_versions",
    "to_csv": "report",
    "to_json": "report",
    "to_markdown": "report",
    "write_reports": "report",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"helpers.assignments.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'helpers.assignments' has no attribute {name!r}")


__all__ = [
    "INSTRUCTIONS_TAG",
    "ExerciseResult",
    "SubmissionResult",
    "grade_submission",
    "grade_submissions",
    "grade_many",
    "grade_one",
    "identify",
    "identify_notebook",
    "merge",
    "referenced_files",
    "make_course",
    "release",
    "release_file",
    "release_notebook",
    "restore_locked_cells",
    "to_csv",
    "to_json",
    "to_markdown",
    "write_reports",
]
