"""Classroom assignments: student versions of the course notebooks and their autograding.

- :func:`release` / :func:`release_notebook`: the student version (nbgrader's preprocessors);
- :func:`grade_submission` / :func:`grade_submissions`: restore the locked check cells, run, score;
- :func:`write_reports`: JSON, Markdown and CSV score reports;
- :func:`make_course`: an nbgrader course folder for ``nbgrader generate_assignment`` / ``autograde``.

nbgrader (the ``instructor`` extra) is imported only when a function needs it.
"""

from helpers.assignments.grade import (
    ExerciseResult,
    SubmissionResult,
    grade_submission,
    grade_submissions,
    identify,
    restore_locked_cells,
)
from helpers.assignments.nbgrader_course import make_course
from helpers.assignments.release import INSTRUCTIONS_TAG, release, release_file, release_notebook
from helpers.assignments.report import to_csv, to_json, to_markdown, write_reports

__all__ = [
    "INSTRUCTIONS_TAG",
    "ExerciseResult",
    "SubmissionResult",
    "grade_submission",
    "grade_submissions",
    "identify",
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
