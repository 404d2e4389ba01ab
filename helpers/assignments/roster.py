"""Who the students are: a roster CSV (Canvas's or Moodle's export, or a plain one) matched to results.

Formats, recognised by their header:

- Canvas gradebook export: ``Student, ID, SIS User ID, SIS Login ID, Section, ...`` (a
  "Points Possible" row, if there, is skipped);
- Moodle grade export (or a participants' list): ``First name, Last name, ID number, ...,
  Email address, ...``;
- plain: a ``student`` column (the name the submissions use), optional ``name``, ``id``, ``email``.

A submission's student (its folder or file-name part) is matched, case, accents and punctuation
aside, to the student column, a login or SIS id, an ID number, an email address or its part
before the @, or the full name either way round. Nothing is dropped: students the roster does not
know, names several roster rows share, and roster students with no submission are all listed
(:mod:`helpers.assignments.lms_export`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpers.assignments.grade import SubmissionResult

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


@dataclass
class Student:
    """One roster row: the name, the ids the LMS knows (by column), the raw row and the match keys."""

    name: str
    ids: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)


@dataclass
class Roster:
    """The students of a class, in roster order, and the format they came in (canvas, moodle, plain)."""

    kind: str
    students: list[Student]


@dataclass
class Matching:
    """Results matched to roster students: ``by_student[i][notebook]`` lists row i's results."""

    roster: Roster
    by_student: list[dict[str, list[SubmissionResult]]]
    unknown: list[SubmissionResult]  # no roster student has this name
    ambiguous: list[tuple[SubmissionResult, list[str]]]  # several roster students have it
    duplicate_names: list[str]  # roster rows sharing a name or an id, as sentences


def norm(text: str) -> str:
    """A name or id without case, accents, spaces or punctuation: ``"Ada  Lovelace"`` -> ``adalovelace``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\W_]+", "", text.casefold())


def _records(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the roster ({type(exc).__name__}: {exc})") from None
    if not rows:
        raise ValueError(f"{path}: the roster is empty")
    header = [h.strip() for h in rows[0]]
    records = [dict(zip(header, (v.strip() for v in row))) for row in rows[1:] if any(v.strip() for v in row)]
    return header, records


def read_roster(path: str | os.PathLike) -> Roster:
    """Read a Canvas, Moodle or plain roster CSV; ValueError naming the file and the problem."""
    path = Path(path)
    header, records = _records(path)
    lower = [h.casefold() for h in header]
    if "Student" in header and "ID" in header:
        kind = "canvas"
        records = [r for r in records if "points possible" not in r.get("Student", "").casefold()]
    elif "first name" in lower and "last name" in lower:
        kind = "moodle"
    elif "student" in lower:
        kind = "plain"
    else:
        raise ValueError(
            f"{path}: not a roster: expected Canvas's columns ({', '.join(CANVAS_COLUMNS)}), Moodle's "
            "(First name, Last name, ID number, Email address) or a 'student' column; "
            f"found: {', '.join(header)}"
        )
    students = []
    for r in records:
        low = {k.casefold(): v for k, v in r.items()}
        if kind == "canvas":
            name = r.get("Student", "")
            last, _, first = name.partition(",")
            names = [name, f"{first} {last}", f"{last} {first}"]
            ids = {k: r.get(k, "") for k in CANVAS_COLUMNS[1:4]}
        elif kind == "moodle":
            first, last = low.get("first name", ""), low.get("last name", "")
            name, names = f"{first} {last}".strip(), [f"{first} {last}", f"{last} {first}"]
            ids = {"ID number": low.get("id number", ""), "Email address": low.get("email address", "")}
            ids["Username"] = low.get("username", "")
        else:
            name = low.get("name") or low.get("student", "")
            names = [name, low.get("student", "")]
            ids = {"student": low.get("student", ""), "id": low.get("id", ""), "email": low.get("email", "")}
        email = next((v for v in ids.values() if "@" in v), "")
        keys = {norm(n) for n in names} | {norm(v) for v in ids.values()}
        keys |= {norm(email.split("@")[0])} if email else set()
        students.append(Student(name.strip(), {k: v for k, v in ids.items() if v}, r, keys - {""}))
    return Roster(kind, students)


def match(roster: Roster, results: list[SubmissionResult]) -> Matching:
    """Match every result to at most one roster student (see the module docstring)."""
    index: dict[str, list[int]] = {}
    for i, s in enumerate(roster.students):
        for k in s.keys:
            index.setdefault(k, []).append(i)
    shared: dict[tuple[int, ...], list[str]] = {}
    for k, rows in index.items():
        if len(rows) > 1:
            shared.setdefault(tuple(rows), []).append(k)
    duplicate_names = [
        " and ".join(roster.students[i].name or f"row {i + 2}" for i in rows)
        + " share "
        + ", ".join(sorted(ks))
        for rows, ks in shared.items()
    ]
    by_student: list[dict[str, list[SubmissionResult]]] = [{} for _ in roster.students]
    unknown, ambiguous = [], []
    for r in results:
        rows = index.get(norm(r.student), [])
        if not rows:
            unknown.append(r)
        elif len(rows) > 1:
            ambiguous.append((r, [roster.students[i].name for i in rows]))
        else:
            by_student[rows[0]].setdefault(r.notebook or Path(r.file).name, []).append(r)
    return Matching(roster, by_student, unknown, ambiguous, duplicate_names)


def notebooks_of(results: list[SubmissionResult]) -> list[str]:
    """The notebooks graded, in first-seen order (one LMS column each)."""
    return list(dict.fromkeys(r.notebook for r in results if r.notebook))


def ids(matching: Matching) -> dict[str, str]:
    """``{result file: the student's roster id}`` for every result matched to one roster student:
    SIS User ID, ID number, id, ... (never a plain roster's student column); "" when it has none."""
    from helpers.assignments.lms_export import _primary_id

    out = {}
    for s, done in zip(matching.roster.students, matching.by_student):
        for rs in done.values():
            out.update({r.file: _primary_id(s, own_name=False) for r in rs})
    return out
