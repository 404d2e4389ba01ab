"""Marks a learning-management system imports, one column per notebook, and what could not go in.

- Canvas (Grades > Import): the gradebook CSV, ``Student, ID, SIS User ID, SIS Login ID,
  Section`` then one column per notebook, its second row ``Points Possible``; Canvas matches
  students by those columns (so they come from its own export, the roster) and creates an
  assignment for each new column name.
- Moodle (Grade administration > Import > CSV file): ``First name, Last name, ID number,
  Email address`` then one column per notebook; on import, map "Email address" to ``useremail`` or
  "ID number" to ``useridnumber``.

A cell is left blank, never 0, when the student submitted nothing for that notebook, when the
submission could not be graded, when it waits for manual points, or when the student sent two
files for it: :func:`problems` lists each case, and the students the roster does not know.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from helpers.assignments.grade import SubmissionResult
from helpers.assignments.roster import Matching, notebooks_of


def _safe(value: str) -> str:
    from helpers.assignments.report import _safe

    return _safe(value)


def column(notebook: str) -> str:
    """The LMS column of a notebook: its file name without ``.ipynb``."""
    return Path(notebook).stem


def cell(results: list[SubmissionResult]) -> str:
    """The mark of one student for one notebook, or "" (see the module docstring)."""
    if len(results) != 1:
        return ""
    r = results[0]
    if r.status != "graded" or any(e.status == "manual" for e in r.exercises):
        return ""
    return f"{r.score:g}"


def _max_points(results: list[SubmissionResult]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in results:
        if r.notebook and r.max_score:
            out.setdefault(r.notebook, r.max_score)
    return out


def _write(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180, as both systems export
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return buf.getvalue()


def canvas_csv(matching: Matching, results: list[SubmissionResult]) -> str:
    """The Canvas gradebook import file."""
    notebooks = notebooks_of(results)
    points = _max_points(results)
    fixed = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    rows = [fixed + [column(n) for n in notebooks]]
    rows.append(["    Points Possible", "", "", "", ""] + [f"{points.get(n, 0):g}" for n in notebooks])
    for s, done in zip(matching.roster.students, matching.by_student):
        ids = [s.fields.get(c, s.ids.get(c, "")) for c in fixed[1:]]
        rows.append([s.fields.get("Student", s.name), *ids] + [cell(done.get(n, [])) for n in notebooks])
    return _write(rows)


def moodle_csv(matching: Matching, results: list[SubmissionResult]) -> str:
    """The Moodle grade import file (identify users by "Email address" or "ID number")."""
    notebooks = notebooks_of(results)
    rows = [["First name", "Last name", "ID number", "Email address"] + [column(n) for n in notebooks]]
    for s, done in zip(matching.roster.students, matching.by_student):
        low = {k.casefold(): v for k, v in s.fields.items()}
        first = low.get("first name", s.name.split(" ")[0] if s.name else "")
        last = low.get("last name", " ".join(s.name.split(" ")[1:]))
        ident = s.ids.get("ID number", s.ids.get("id", ""))
        email = next((v for v in s.ids.values() if "@" in v), "")
        rows.append([first, last, ident, email] + [cell(done.get(n, [])) for n in notebooks])
    return _write(rows)


def _primary_id(s, own_name: bool = True) -> str:
    """The student's id the LMS knows best; ``own_name``: else the plain roster's student column."""
    keys = ("SIS User ID", "ID number", "id", "ID", "SIS Login ID", "Username")
    for key in (*keys, "student") if own_name else keys:
        if s.ids.get(key):
            return s.ids[key]
    return ""


def roster_csv(matching: Matching, results: list[SubmissionResult]) -> str:
    """One row per roster student and notebook (those who submitted nothing too), then one per
    submission the roster does not place: ``name, id, email, notebook, student, score, max, status``."""
    rows = [["name", "id", "email", "notebook", "student", "score", "max", "status"]]
    for s, done in zip(matching.roster.students, matching.by_student):
        email = next((v for v in s.ids.values() if "@" in v), "")
        for n in notebooks_of(results):
            rs = done.get(n, [])
            status = "no submission" if not rs else f"{len(rs)} files" if len(rs) > 1 else rs[0].status
            student = rs[0].student if len(rs) == 1 else ""
            top = f"{rs[0].max_score:g}" if len(rs) == 1 else ""
            rows.append([s.name, _primary_id(s), email, column(n), student, cell(rs), top, status])
    for r, why in [(r, "not on the roster") for r in matching.unknown] + [
        (r, "several roster students") for r, _ in matching.ambiguous
    ]:
        rows.append(
            ["", "", "", column(_what(r)), r.student, cell([r]), f"{r.max_score:g}", f"{r.status}; {why}"]
        )
    return _write(rows)


def _what(r: SubmissionResult) -> str:
    return r.notebook or Path(r.file).name


def problems(matching: Matching, results: list[SubmissionResult]) -> list[str]:
    """Every mark that is not in the LMS file, and why, as one sentence each."""
    out = [f"Roster: {d}." for d in matching.duplicate_names]
    out += [f"{r.student} ({_what(r)}) is not on the roster." for r in matching.unknown]
    out += [
        f"{r.student} ({_what(r)}) matches several roster students: {', '.join(names)}."
        for r, names in matching.ambiguous
    ]
    notebooks = notebooks_of(results)
    for s, done in zip(matching.roster.students, matching.by_student):
        who = s.name or next(iter(s.ids.values()), "?")
        missing = [column(n) for n in notebooks if not done.get(n)]
        if missing:
            out.append(f"{who} submitted nothing for: {', '.join(missing)}.")
        for n, rs in done.items():
            if len(rs) > 1:
                files = ", ".join(Path(r.file).name for r in rs)
                out.append(f"{who} sent {len(rs)} files for {column(n)} ({files}): keep one and merge again.")
            elif rs[0].status != "graded":
                out.append(f"{who}: {column(n)} could not be graded ({rs[0].status}): regrade it.")
            elif any(e.status == "manual" for e in rs[0].exercises):
                out.append(f"{who}: {column(n)} waits for manual grading.")
    return out


def to_markdown(matching: Matching, results: list[SubmissionResult]) -> str:
    """The roster section of the class report: every mark that is not in the LMS file, and why."""
    from helpers.assignments.report import _cell

    lines = ["", "## Roster", ""]
    lines.append(f"{len(matching.roster.students)} students on the roster ({matching.roster.kind} format).")
    found = problems(matching, results)
    lines += [""] + ([f"- {_cell(p)}" for p in found] or ["Every student has one graded mark per notebook."])
    return "\n".join(lines) + "\n"
