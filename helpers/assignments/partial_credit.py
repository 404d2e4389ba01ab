"""Partial credit: an exercise's points split over its checks, the visible case and each hidden case.

The grader runs a check cell case by case and records each (:mod:`helpers.assignments.cases`):
the visible check as one case, each hidden test case as one. By default an exercise is still all
or nothing. The instructor may split it:

- per exercise, in the check cell's metadata: ``{"helpers": {"partial_credit": {"visible": 0.4}}}``
  gives the visible check 40% of the points and shares the other 60% equally among the hidden
  cases (applied when grading, so the result files hold it);
- for the whole class, ``--partial-credit P%``: the same with P% for every exercise whose cell
  says nothing (applied when the reports are made). The metadata wins.

A check without hidden cases stays all or nothing; one without a visible part shares all its
points among its hidden cases. Only a "passed" or "failed" exercise is split: "not run", "not
graded" and manual cells earn nothing here, nor a failure the grader itself declared (a call
into the course's reference, a kernel that stopped answering).

A result file written before cases were recorded has none: its visible check counts as passed
when every checker call before the hidden tests printed its ``✓`` line in the grader
(:func:`helpers.assignments.disclosure.visible_passes`), and its hidden tests as one case that
failed, so ``--partial-credit P%`` gives it P% as it did then.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.assignments.cases import CaseResult
from helpers.assignments.disclosure import _GRADER_WORDS, CheckSource, _and, from_visible_part, visible_passes

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from helpers.assignments.grade import ExerciseResult, SubmissionResult

_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_WORD = {True: "passed", False: "failed", None: "not run"}


def parse_share(text: str) -> float:
    """``"50%"`` -> 0.5; ValueError for anything but P% with P from 0 to 100."""
    m = _SHARE.match(text)
    if not m or float(m.group(1)) > 100:
        raise ValueError(f"--partial-credit {text!r}: expected P% with P from 0 to 100, e.g. 50%")
    return float(m.group(1)) / 100


def share_of(cell: NotebookNode) -> float | None:
    """The visible check's share a check cell's metadata asks for, or None; ValueError if malformed."""
    own = (cell.get("metadata", {}).get("helpers") or {}).get("partial_credit")
    if own is None:
        return None
    visible = own.get("visible") if isinstance(own, dict) else None
    if isinstance(visible, bool) or not isinstance(visible, int | float) or not 0 <= visible <= 1:
        gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id", "?")
        raise ValueError(
            f"{gid}: metadata helpers.partial_credit is {own!r}; expected "
            '{"visible": S} with S from 0 to 1 (the visible check\'s share)'
        )
    return float(visible)


def check_cells(source_dir: str | os.PathLike) -> dict[str, dict[str, tuple[str, float | None]]]:
    """``{notebook: {grade id: (check cell source, its share)}}`` for the instructor notebooks in
    ``source_dir``; ValueError naming the notebook and the cell whose metadata is malformed."""
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.cells import grade_cells, grade_id

    out: dict[str, dict[str, tuple[str, float | None]]] = {}
    for path in sorted(Path(source_dir).glob("*.ipynb")) if Path(source_dir).is_dir() else []:
        try:
            cells = grade_cells(read_notebook(path))
        except (NotANotebookError, OSError):
            continue
        try:
            out[path.name] = {grade_id(c): (c.source, share_of(c)) for c in cells}
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return out


def _legacy(e: ExerciseResult, check_source: str | None) -> list[CaseResult]:
    """Cases for a result recorded without them (see the module docstring)."""
    if e.status != "failed" or check_source is None:
        return []
    check = CheckSource.of(check_source)
    if check.hidden and visible_passes(e.output, check) and not from_visible_part(e.message, e.output, check):
        return [CaseResult("visible", True), CaseResult("hidden", False)]
    return []


def score(e: ExerciseResult, share: float | None, check_source: str | None = None) -> bool:
    """Split ``e``'s points over its cases, the visible one getting ``share`` (None: all or
    nothing), in place; True when a failed exercise earned points from it."""
    for c in e.cases:
        c.points = c.max_points = 0.0
    if e.status not in ("passed", "failed") or (share is None and not e.cases):
        return False  # not run, not graded, manual: their points are not this module's
    e.points = e.max_points if e.status == "passed" else 0.0
    cases = e.cases or (_legacy(e, check_source) if share is not None else [])
    hidden = [c for c in cases if c.part == "hidden"]
    if share is None or not hidden:
        return False
    visible = [c for c in cases if c.part == "visible"]
    for c in visible:
        c.max_points = share * e.max_points
    for c in hidden:
        c.max_points = ((1 - share) if visible else 1) * e.max_points / len(hidden)
    if e.message.startswith(_GRADER_WORDS):
        return False
    for c in cases:
        c.points = c.max_points if c.passed else 0.0
    if e.status == "failed":
        e.points = min(round(sum(c.points for c in cases), 4), e.max_points)
    return e.points > 0 and e.status == "failed"


def breakdown(e: ExerciseResult) -> str:
    """Points per check, e.g. "visible check passed: 0.8/0.8; hidden tests 3 of 5 passed: 0.72/1.2
    (hidden tests 2 and 4 of 5 failed)", or "" without cases. Names no case's input or message: safe
    to show a student. Only for an exercise the checks decided (passed, failed, not run)."""
    if not e.cases or e.status not in ("passed", "failed", "not run"):
        return ""
    split = any(c.max_points for c in e.cases)

    def pts(cs: list[CaseResult]) -> str:
        return f": {sum(c.points for c in cs):.4g}/{sum(c.max_points for c in cs):.4g}" if split else ""

    parts = [f"visible check {_WORD[c.passed]}{pts([c])}" for c in e.cases if c.part == "visible"]
    hidden = [c for c in e.cases if c.part == "hidden"]
    if hidden:
        n, ok = len(hidden), sum(c.passed is True for c in hidden)
        failed = [str(i + 1) for i, c in enumerate(hidden) if c.passed is False]
        missed = sum(c.passed is None for c in hidden)
        text = f"hidden tests {ok} of {n} passed{pts(hidden)}"
        if failed and 0 < ok < n:  # which ones, when not all or none
            text += f" (hidden test{'s' if len(failed) > 1 else ''} {_and(failed)} of {n} failed)"
        text += f", {missed} not run" if missed else ""
        parts.append(text)
    return "; ".join(parts) + ("" if split else "; all or nothing")


def _note(e: ExerciseResult) -> str:
    passed = {c.part: c.passed for c in e.cases} if e.cases else {"visible": True, "hidden": False}
    hidden_ok = any(c.passed for c in e.cases if c.part == "hidden")
    how = (
        "the visible check passed, the hidden tests did not"
        if passed.get("visible") and not hidden_ok
        else breakdown(e)
    )
    return f"{e.grade_id}: {how}: {e.points:g} of {e.max_points:g} points (partial credit)"


def apply(
    results: list[SubmissionResult], share: float | None, source_dir: str | os.PathLike
) -> list[SubmissionResult]:
    """Copies of ``results`` with every exercise split by its check cell's metadata, or else by
    ``share`` (None: all or nothing); each exercise that earned partial points is noted."""
    try:
        sources = check_cells(source_dir)
    except ValueError:  # the command line checked it first; a notebook changed since counts as silent
        sources = {}
    out = []
    for r in results:
        checks = sources.get(r.notebook or "", {})
        r, changed = copy.deepcopy(r), False
        for e in r.exercises:
            source, own = checks.get(e.grade_id, (None, None))
            before = e.points
            if score(e, own if own is not None else share, source):
                r.problems = [*r.problems, _note(e)]
            changed = changed or e.points != before
        if changed:
            r.score = float(sum(e.points for e in r.exercises))
        out.append(r)
    return out
