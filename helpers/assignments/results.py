"""The records of a grading: one :class:`SubmissionResult` per file, one :class:`ExerciseResult` per
grade cell, with its cases (:class:`~helpers.assignments.cases.CaseResult`). They travel as JSON
(result files, Dask workers) through :meth:`SubmissionResult.to_dict` and ``from_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from helpers.assignments.cases import CaseResult


@dataclass
class ExerciseResult:
    """The score of one grade cell (``grade_id``) of one submission.

    status: "passed", "failed", "not run" (the kernel was gone or never answered), "not graded"
    (the kernel could not run, not the student's doing) or "manual" (a cell nbgrader leaves to
    manual grading, scored 0 here). message: why it failed. output: what
    the check printed (in the grader). cases: the check cell's visible case and hidden cases,
    each passed or not, with its points (:mod:`helpers.assignments.cases`, ``partial_credit``).
    """

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""
    output: str = ""
    cases: list[CaseResult] = field(default_factory=list)


@dataclass
class SubmissionResult:
    """The grading of one submitted file.

    status: "graded"; "not graded" when the grader's kernel could not run it (not the student's
    doing: grade it again); or "not a notebook", "unknown notebook", "kernel died", "timed out",
    "error" when the submission could not be (fully) graded, with ``error`` saying why.
    ``problems`` lists what went wrong on the way (timeouts, errors in ordinary cells, check cells
    put back, calls into the reference). ``sha256`` identifies the graded file's content;
    ``isolation`` says what sandbox the kernel ran in.
    """

    file: str
    student: str
    notebook: str | None
    status: str
    score: float = 0.0
    max_score: float = 0.0
    exercises: list[ExerciseResult] = field(default_factory=list)
    error: str = ""
    problems: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str = ""
    isolation: str = ""

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """The inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["exercises"] = [_exercise(e) for e in known.get("exercises", [])]
        return cls(**known)


def _exercise(data: dict) -> ExerciseResult:
    """An :class:`ExerciseResult` from its dict (unknown keys are ignored)."""
    known = {k: v for k, v in data.items() if k in ExerciseResult.__dataclass_fields__}
    fields = CaseResult.__dataclass_fields__
    known["cases"] = [
        CaseResult(**{k: v for k, v in c.items() if k in fields}) for c in known.get("cases", [])
    ]
    return ExerciseResult(**known)
