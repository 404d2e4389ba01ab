"""Score reports: JSON (everything), Markdown (readable tables) and CSV (one row per submission),
each with the points per check (the visible check and the hidden cases)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from pathlib import Path

from helpers.assignments.grade import SubmissionResult
from helpers.assignments.partial_credit import breakdown
from helpers.atomic import write_text


def _fmt(x: float) -> str:
    return f"{x:g}"


#: Markdown's punctuation that starts a link, an image, inline code or a table cell.
_MARKDOWN = re.compile(r"([\\`\[\]|])")
#: What GitHub's Markdown turns into a link without any brackets: URLs, www. names, e-mail addresses.
_AUTOLINK = (("://", "&#58;//"), ("www.", "www&#46;"), ("@", "&#64;"))


def _cell(text: str) -> str:
    """Text shown as it is in Markdown (a table cell, a heading): one line, HTML escaped, the
    brackets, backslashes, backticks and bars backslash-escaped and bare URLs broken, so a
    student's name or message carries no live image, link, HTML or code."""
    out = _MARKDOWN.sub(r"\\\1", html.escape(" ".join(str(text).split())))
    for old, new in _AUTOLINK:
        out = out.replace(old, new)
    return out


def _safe(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR
    gets a leading single quote (OWASP's advice against CSV injection)."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_json(results: list[SubmissionResult]) -> str:
    """All results as JSON: ``{"submissions": [...]}`` (see SubmissionResult / ExerciseResult)."""
    return json.dumps({"submissions": [r.to_dict() for r in results]}, indent=2, ensure_ascii=False) + "\n"


def to_markdown(results: list[SubmissionResult]) -> str:
    """A summary table of all submissions, then one table of exercises per submission."""
    lines = ["# Grading report", ""]
    isolations = sorted({r.isolation for r in results if r.isolation})
    lines += [f"Kernels ran in: {_cell(i)}." for i in isolations] + ([""] if isolations else [])
    waiting = [r for r in results if r.status == "not graded"]
    if waiting:
        lines += [
            f"**Not graded ({len(waiting)}): the grader could not run their kernels; grade them again.**",
            "",
        ]
        lines += [
            f"- {_cell(r.student)}: {_cell(r.notebook or Path(r.file).name)}: {_cell(r.error)}"
            for r in waiting
        ]
        lines.append("")
    lines += ["| student | notebook | score | status |", "|---|---|---:|---|"]
    for r in results:
        status = r.status if not r.error else f"{r.status}: {r.error}"
        lines.append(
            f"| {_cell(r.student)} | {_cell(r.notebook or '-')} | "
            f"{_fmt(r.score)} / {_fmt(r.max_score)} | {_cell(status)} |"
        )
    for r in results:
        lines += [
            "",
            f"## {_cell(r.student)}: {_cell(r.notebook or Path(r.file).name)}, "
            f"{_fmt(r.score)} / {_fmt(r.max_score)}",
            "",
        ]
        lines.append(f"File: {_cell(r.file)}. Status: {_cell(r.status)}.")
        if r.error:
            lines += ["", f"**{_cell(r.error)}**"]
        for p in r.problems:
            lines.append(f"- {_cell(p)}")
        if r.exercises:
            lines += ["", "| exercise | points | max | result | message | per check |"]
            lines.append("|---|---:|---:|---|---|---|")
            for e in r.exercises:
                points = "awaiting a grader" if e.status == "manual" else _fmt(e.points)
                lines.append(
                    f"| {_cell(e.grade_id)} | {points} | {_fmt(e.max_points)} | "
                    f"{_cell(e.status)} | {_cell(e.message)} | {_cell(breakdown(e))} |"
                )
    return "\n".join(lines) + "\n"


def csv_columns(results: list[SubmissionResult]) -> list[str]:
    """The grade-id columns in notebook order (``<notebook>:<grade_id>`` for several notebooks)."""
    notebooks = list(dict.fromkeys(r.notebook for r in results if r.notebook and r.exercises))
    cols: list[str] = []
    for r in results:
        for e in r.exercises:
            col = e.grade_id if len(notebooks) <= 1 else f"{Path(r.notebook).stem}:{e.grade_id}"
            if col not in cols:
                cols.append(col)
    return cols


def _column(r: SubmissionResult, gid: str, several: bool) -> str:
    return f"{Path(r.notebook).stem}:{gid}" if several else gid


def to_csv(results: list[SubmissionResult], student_ids: dict[str, str] | None = None) -> str:
    """One row per submission: student, notebook, status, a column per grade_id, total, max, file,
    then, for results that record their cases, a "<grade_id> per check" column each
    (:func:`~helpers.assignments.partial_credit.breakdown`).

    ``student_ids`` (result file -> the roster's id, see :func:`helpers.assignments.roster.ids`)
    adds a ``student_id`` column after ``student`` when any id is known.
    """
    cols = csv_columns(results)
    several = len({r.notebook for r in results if r.notebook and r.exercises}) > 1
    checks = any(e.cases for r in results for e in r.exercises)
    ids = student_ids if student_ids and any(student_ids.values()) else None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    head = ["student", *(["student_id"] if ids else []), "notebook", "status", *cols, "total", "max", "file"]
    writer.writerow([_safe(c) for c in head + ([f"{c} per check" for c in cols] if checks else [])])
    for r in results:
        points = {  # an exercise awaiting a human grader is blank, not 0
            _column(r, e.grade_id, several): e.points for e in r.exercises if e.status != "manual"
        }
        row = [r.student, *([ids.get(r.file, "")] if ids else []), r.notebook or "", r.status]
        row += [_fmt(points[c]) if c in points else "" for c in cols]
        row += [_fmt(r.score), _fmt(r.max_score), r.file]
        if checks:
            per = {_column(r, e.grade_id, several): breakdown(e) for e in r.exercises}
            row += [per.get(c, "") for c in cols]
        writer.writerow([_safe(v) for v in row])
    return buf.getvalue()


def report_paths(report: str | os.PathLike) -> dict[str, Path]:
    """``{"json", "md", "csv"}`` paths for a report name; a .json/.md/.csv suffix is replaced."""
    report = Path(report)
    base = report.with_suffix("") if report.suffix.lower() in {".json", ".md", ".csv"} else report
    return {ext: base.with_name(base.name + "." + ext) for ext in ("json", "md", "csv")}


def write_reports(
    results: list[SubmissionResult],
    report: str | os.PathLike,
    sections: list[str] = (),
    student_ids: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Write the JSON, Markdown and CSV reports next to each other; returns their paths.

    ``sections``: more Markdown for the end of the Markdown report (the class's view, the roster);
    ``student_ids``: the roster's ids for the CSV (see :func:`to_csv`).
    """
    paths = report_paths(report)
    write_text(paths["json"], to_json(results))
    write_text(paths["md"], to_markdown(results) + "".join(sections))
    write_text(paths["csv"], to_csv(results, student_ids))
    return paths
