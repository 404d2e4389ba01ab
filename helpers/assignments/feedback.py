"""Feedback for students: one self-contained HTML file per submission, ``DIR/<student>/<notebook>.html``.

The page opens with a summary table (each exercise's result, points, message and points per
check: the visible check and the hidden cases, by number), then shows the
student's own notebook with the grader's verdict beside each check cell. What it never holds: the
hidden tests (check cells are shown as in the student's copy, from the released version), the
instructor's solutions (only the student's cells are shown), a hidden test's message or inputs
(:mod:`helpers.assignments.disclosure`), anyone else's name, or anything that runs: the student's
Markdown is rendered with raw HTML escaped, outputs are shown as text and PNG images only, and the
page forbids scripts (Content-Security-Policy).
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import os
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.assignments.grade import ExerciseResult, SubmissionResult
from helpers.atomic import write_text
from helpers.errors import strip_ansi

#: Text kept per output, and bytes per image, so that a notebook full of prints stays readable.
_MAX_TEXT, _MAX_IMAGE = 20_000, 2_000_000
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
# Blue and orange (Okabe-Ito): told apart with any colour vision, and every verdict is also a word.
_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #999;padding:.3rem .6rem;text-align:left;
vertical-align:top}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
.cell{margin:1rem 0}.in{border-left:4px solid #999}.out{border-left:4px solid #ddd}
.verdict{border:2px solid;padding:.5rem .8rem;margin:.5rem 0}.passed{border-color:#0072b2;background:#e8f2fa}
.failed{border-color:#d55e00;background:#fcefe6}.other{border-color:#666;background:#f0f0f0}
"""
_WORDS = {"passed": "✓ Passed", "failed": "✗ Failed", "not run": "– Not run", "manual": "… Awaiting a grader"}
_WORDS["graded by hand"] = "✎ Graded by hand"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(x: float) -> str:
    return f"{x:g}"


@functools.cache
def _markdown_parser():
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def _markdown(source: str) -> str:
    """The student's Markdown as HTML, any HTML in it escaped (shown as text)."""
    return _markdown_parser()(source)


def _text(value) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    text = strip_ansi(text)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "\n[... output cut]"


def _png(data) -> str | None:
    data = "".join(data) if isinstance(data, list) else str(data)
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None
    if len(raw) > _MAX_IMAGE or not raw.startswith(b"\x89PNG"):
        return None
    return base64.b64encode(raw).decode("ascii")


def _outputs(cell: NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(f"<pre>{_e(_text(out.get('text', '')))}</pre>")
        elif kind == "error":
            tb = "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"
            parts.append(f"<pre>{_e(_text(tb))}</pre>")
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            png = _png(data["image/png"]) if "image/png" in data else None
            if png:
                alt = _text(data.get("text/plain", "a figure"))[:200]
                parts.append(f'<img alt="{_e(alt)}" src="data:image/png;base64,{png}">')
            elif "text/plain" in data:
                parts.append(f"<pre>{_e(_text(data['text/plain']))}</pre>")
    return f'<div class="out">{"".join(parts)}</div>' if parts else ""


def verdict_html(e: ExerciseResult, message: str) -> str:
    """The verdict box shown beside one exercise: the result, the points, the message and the
    points per check (:func:`~helpers.assignments.partial_credit.breakdown`)."""
    from helpers.assignments.partial_credit import breakdown

    kind = e.status if e.status in ("passed", "failed") else "other"
    word = _WORDS.get(e.status, e.status)
    text = "" if message == "passed" else f"<br>{_e(message)}"
    per_check = breakdown(e)
    text += f"<br>{_e(per_check)}" if per_check else ""
    return (
        f'<div class="verdict {kind}" role="note"><strong>{_e(word)}</strong> '
        f"{_e(e.grade_id)}: {_fmt(e.points)} / {_fmt(e.max_points)} points{text}</div>"
    )


def _summary(result: SubmissionResult, messages: dict[str, str]) -> str:
    from helpers.assignments.partial_credit import breakdown

    rows = "".join(
        f"<tr><td>{_e(e.grade_id)}</td><td>{_fmt(e.points)} / {_fmt(e.max_points)}</td>"
        f"<td>{_e(_WORDS.get(e.status, e.status))}</td><td>{_e(messages[e.grade_id])}</td>"
        f"<td>{_e(breakdown(e))}</td></tr>"
        for e in result.exercises
    )
    head = "<tr><th scope='col'>Exercise</th><th scope='col'>Points</th><th scope='col'>Result</th>"
    head += "<th scope='col'>Message</th><th scope='col'>Per check</th></tr>"
    table = f"<table><caption>Your results, exercise by exercise</caption><thead>{head}</thead>"
    table += f"<tbody>{rows}</tbody></table>" if rows else "</table>"
    notes = [result.error] if result.error else []
    notes += result.problems
    items = "".join(f"<li>{_e(p)}</li>" for p in notes)
    return table + (f"<h2>Notes from the grader</h2><ul>{items}</ul>" if items else "")


def shown_notebook(submission: NotebookNode, released: NotebookNode) -> NotebookNode:
    """The student's notebook with every locked cell (check cells) as in the student's copy, without
    outputs, put back where the student deleted it (after the cell before it in the copy)."""
    from helpers.assignments.cells import grade_id, is_locked_cell

    def fresh(cell: NotebookNode) -> NotebookNode:
        extra = {"outputs": [], "execution_count": None} if cell.cell_type == "code" else {}
        return nbformat.from_dict(dict(cell, **extra))

    locked = {grade_id(c): c for c in released.cells if is_locked_cell(c)}
    cells, seen = [], set()
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in locked and gid not in seen:
            cell = fresh(locked[gid])
        seen.add(gid)
        cells.append(cell)
    for i, cell in enumerate(released.cells):
        gid = grade_id(cell)
        if gid in locked and gid not in seen:  # deleted by the student: after its predecessor's place
            before = {grade_id(c) for c in released.cells[:i]} - {None}
            at = max((k + 1 for k, c in enumerate(cells) if grade_id(c) in before), default=len(cells))
            cells.insert(at, fresh(cell))
            seen.add(gid)
    return nbformat.from_dict(dict(submission, cells=cells))


def render(
    result: SubmissionResult,
    submission: NotebookNode | None,
    released: NotebookNode | None,
    check_sources: dict[str, str],
) -> str:
    """The feedback page of one result. ``check_sources``: the instructor's check cells by grade id
    (to tell visible from hidden failures; never shown)."""
    from helpers.assignments.cells import grade_id
    from helpers.assignments.disclosure import student_message

    messages = {
        e.grade_id: student_message(e.status, e.message, e.output, check_sources.get(e.grade_id), e.cases)
        for e in result.exercises
    }
    name = result.notebook or Path(result.file).name
    title = f"Feedback on {name}"
    body = [f"<h1>{_e(title)}</h1>"]
    body.append(
        f"<p>Student: {_e(result.student)}. Score: <strong>{_fmt(result.score)} / "
        f"{_fmt(result.max_score)}</strong>. Status: {_e(result.status)}. "
        f"File: {_e(Path(result.file).name)}.</p>"
    )
    body.append(_summary(result, messages))
    if submission is not None and released is not None:
        body.append("<h2>Your notebook</h2>")
        by_id = {e.grade_id: e for e in result.exercises}
        for i, cell in enumerate(shown_notebook(submission, released).cells):
            label = f"Cell {i + 1}"
            if cell.cell_type == "markdown":
                body.append(f'<section class="cell" aria-label="{label}">{_markdown(cell.source)}</section>')
            elif cell.cell_type == "code":
                gid = grade_id(cell)
                inner = f'<pre class="in"><code>{_e(cell.source)}</code></pre>{_outputs(cell)}'
                if gid in by_id:
                    inner += verdict_html(by_id[gid], messages[gid])
                body.append(f'<section class="cell" aria-label="{label}">{inner}</section>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body><main>\n"
        + "\n".join(body)
        + "\n</main></body></html>\n"
    )


def _safe_name(text: str) -> str:
    name = re.sub(r"[^\w.@+-]+", "_", text).strip("._") or "unnamed"
    return name[:100]


def feedback_path(result: SubmissionResult, out_dir: str | os.PathLike) -> Path:
    """``<out_dir>/<student>/<notebook stem>.html`` (names made safe for a file system)."""
    stem = Path(result.notebook or Path(result.file).name).stem
    return Path(out_dir) / _safe_name(result.student) / f"{_safe_name(stem)}.html"


def write_feedback(
    results: list[SubmissionResult], out_dir: str | os.PathLike, source_dir: str | os.PathLike = "notebooks"
) -> list[Path]:
    """Write one feedback page per result (atomically); two results with one page name get ``-2``, ``-3``."""
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.cells import grade_cells, grade_id
    from helpers.assignments.student_versions import release_notebook

    instructors: dict[str, tuple[NotebookNode, dict[str, str]] | None] = {}
    written: list[Path] = []
    for r in results:
        if r.notebook and r.notebook not in instructors:
            try:
                inb = read_notebook(Path(source_dir) / r.notebook)
                checks = {grade_id(c): c.source for c in grade_cells(inb)}
                instructors[r.notebook] = (release_notebook(inb, instructions=False), checks)
            except (NotANotebookError, OSError):
                instructors[r.notebook] = None
        released, checks = instructors.get(r.notebook) or (None, {})
        try:
            submission = read_notebook(r.file) if released is not None else None
        except (NotANotebookError, OSError):
            submission = None
        path = first = feedback_path(r, out_dir)
        n = 2
        while path in written:
            path = first.with_name(f"{first.stem}-{n}.html")
            n += 1
        written.append(write_text(path, render(r, submission, released, checks)))
    return written
