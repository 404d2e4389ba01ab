"""Written answers and manual points: a sheet the instructor fills in, merged into every report.

A grade cell that is also an answer cell (nbgrader "manually graded answer", code or Markdown) is
left to a human: its exercise has status "manual" and counts as waiting, not as 0 (blank in the
CSV and LMS files, "awaiting a grader" in feedback). :func:`write_sheet` lists those cells, one
row per submission, with the student's answer; the instructor fills in ``points`` and
``comment``; :func:`merge_sheet` puts them into the results (status "graded by hand").

A row is applied only to the very file it was made for (its ``sha256``): points given to an older
file are reported, not carried over to a new one. A sheet row naming no graded exercise, points
that are not a number, or points outside ``0..max`` stop the merge with one line naming the row.
"""

from __future__ import annotations

import copy
import csv
import io
import os
from pathlib import Path

from nbformat import NotebookNode

from helpers.assignments.grade import ExerciseResult, SubmissionResult
from helpers.atomic import write_text

COLUMNS = ["student", "notebook", "exercise", "max", "points", "comment", "sha256", "file", "answer"]
PENDING = "needs manual grading"
BY_HAND = "graded by hand"
#: Characters of the student's answer copied into the sheet.
_ANSWER = 2000


def manual_ids(instructor: NotebookNode) -> set[str]:
    """Grade ids of the cells a human grades (nbgrader grade cells that are also answer cells)."""
    from helpers.assignments.cells import _meta, grade_cells, grade_id

    return {grade_id(c) for c in grade_cells(instructor) if _meta(c).get("solution")}


def _instructor_manual(results: list[SubmissionResult], source_dir: str | os.PathLike) -> dict[str, set[str]]:
    from helpers.assignments._io import NotANotebookError, read_notebook

    out: dict[str, set[str]] = {}
    for name in {r.notebook for r in results if r.notebook}:
        try:
            out[name] = manual_ids(read_notebook(Path(source_dir) / name))
        except (NotANotebookError, OSError):
            out[name] = set()
    return out


def mark_pending(results: list[SubmissionResult], source_dir: str | os.PathLike) -> list[SubmissionResult]:
    """Copies of ``results`` where every manually graded cell is "manual" (waiting), whatever the
    autograder made of it (a Markdown answer cell is never run, so it may be reported as missing)."""
    manual = _instructor_manual(results, source_dir)
    out = []
    for r in results:
        ids = manual.get(r.notebook or "", set())
        if r.status == "graded" and any(e.grade_id in ids and e.status != "manual" for e in r.exercises):
            r = copy.deepcopy(r)
            for e in r.exercises:
                if e.grade_id in ids:
                    e.points, e.status, e.message, e.output = 0.0, "manual", PENDING, ""
            r.score = float(sum(e.points for e in r.exercises))
        out.append(r)
    return out


def _answer(path: str, gid: str) -> str:
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.cells import grade_id

    try:
        nb = read_notebook(path)
    except (NotANotebookError, OSError):
        return ""
    text = next((c.source for c in nb.cells if grade_id(c) == gid), "(the cell is missing)")
    return text if len(text) <= _ANSWER else text[:_ANSWER] + " [...]"


def sheet_text(results: list[SubmissionResult]) -> str:
    """The sheet (CSV): one row per submission and manually graded cell, points and comment blank."""
    from helpers.assignments.report import _safe

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        for e in r.exercises:
            if e.status == "manual":
                row = [r.student, r.notebook or "", e.grade_id, f"{e.max_points:g}", "", "", r.sha256, r.file]
                writer.writerow([_safe(v) for v in [*row, _answer(r.file, e.grade_id)]])
    return buf.getvalue()


def write_sheet(results: list[SubmissionResult], path: str | os.PathLike) -> Path:
    """Write the sheet; refuses to replace an existing file (it may hold the instructor's points)."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path}: already exists (it may hold your points): choose another name")
    return write_text(path, sheet_text(results))


def read_sheet(path: str | os.PathLike) -> list[dict[str, str]]:
    """The filled rows (points given) of a sheet; ValueError naming the file and row."""
    path = Path(path)
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(
            f"{path}: cannot read the manual grading sheet ({type(exc).__name__}: {exc})"
        ) from None
    missing = {"student", "notebook", "exercise", "points"} - set(rows[0] if rows else COLUMNS)
    if missing:
        raise ValueError(f"{path}: not a manual grading sheet (no column {', '.join(sorted(missing))})")
    filled = []
    for i, row in enumerate(rows, start=2):
        text = (row.get("points") or "").strip()
        if not text:
            continue
        try:
            row["points"] = float(text)
        except ValueError:
            raise ValueError(f"{path}, row {i}: points {text!r} is not a number") from None
        row["_row"] = i
        filled.append(row)
    return filled


def merge_sheet(
    results: list[SubmissionResult], path: str | os.PathLike
) -> tuple[list[SubmissionResult], list[str]]:
    """``(results with the sheet's points, notes)``: copies; the result files are not touched."""
    rows = read_sheet(path)
    index = {
        (r.student, r.notebook or "", e.grade_id): (k, e) for k, r in enumerate(results) for e in r.exercises
    }
    out = [copy.deepcopy(r) for r in results]
    notes = []
    for row in rows:
        key = (row["student"].lstrip("'"), row["notebook"], row["exercise"])
        if key not in index:
            raise ValueError(
                f"{path}, row {row['_row']}: no graded exercise {key[2]} of {key[0]} in {key[1]}"
            )
        k, _ = index[key]
        r = out[k]
        e: ExerciseResult = next(x for x in r.exercises if x.grade_id == key[2])
        if e.status not in ("manual", BY_HAND):
            raise ValueError(f"{path}, row {row['_row']}: {key[2]} is autograded, not a manual cell")
        if not 0 <= row["points"] <= e.max_points:
            raise ValueError(
                f"{path}, row {row['_row']}: points {row['points']:g} outside 0..{e.max_points:g}"
            )
        if row.get("sha256") and r.sha256 and row["sha256"] != r.sha256:
            note = f"{key[2]}: the manual grading sheet's points are for an older file (not used)"
            r.problems = [*r.problems, note]
            notes.append(f"{r.student}: {key[1]}: {note}")
            continue
        comment = (row.get("comment") or "").strip()
        e.points, e.status, e.message = row["points"], BY_HAND, comment or BY_HAND
        r.score = float(sum(x.points for x in r.exercises))
    return out, notes
