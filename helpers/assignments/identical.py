"""Identical submissions: different students whose answer cells hold the same normalised code.

A hint for the instructor, never a verdict: short exercises have few right answers. The answer
cells (nbgrader solution cells) are normalised by dropping comments, blank lines, indentation
changes and string-quote style (Python's tokenizer and ``ast.unparse``); cells left as released
(the stub) do not count, so two blank submissions are not "identical".
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from pathlib import Path

from nbformat import NotebookNode

from helpers.assignments.grade import SubmissionResult


def normalised(source: str) -> str:
    """Python source without comments and layout (``ast.unparse``); the text itself if it does not parse."""
    from helpers.assignments.verdicts import python_source

    try:
        return ast.unparse(ast.parse(python_source(source)))
    except (SyntaxError, ValueError):
        try:
            toks = tokenize.generate_tokens(io.StringIO(source).readline)
            return " ".join(t.string for t in toks if t.type not in (tokenize.COMMENT, tokenize.NL))
        except (tokenize.TokenError, SyntaxError):
            return " ".join(source.split())


def answer_fingerprint(nb: NotebookNode, released: NotebookNode | None = None) -> str | None:
    """A hash of the notebook's answer cells, normalised; None when no answer differs from the release."""
    from helpers.assignments.cells import _meta, grade_id

    stubs = {grade_id(c): normalised(c.source) for c in (released.cells if released else []) if grade_id(c)}
    parts, changed = [], False
    for c in nb.cells:
        if not _meta(c).get("solution"):
            continue
        text = normalised(c.source) if c.cell_type == "code" else " ".join(c.source.split())
        changed |= text != stubs.get(grade_id(c)) and "NotImplementedError" not in text
        parts.append(f"{grade_id(c)}\n{text}")
    return hashlib.sha256("\n\n".join(parts).encode()).hexdigest() if changed else None


def identical_groups(
    results: list[SubmissionResult], released: dict[str, NotebookNode] | None = None
) -> list[tuple[str, list[str]]]:
    """``[(notebook, [students])]`` for answer cells shared by two or more different students."""
    from helpers.assignments._io import NotANotebookError, read_notebook

    groups: dict[tuple[str, str], set[str]] = {}
    for r in results:
        if not r.notebook:
            continue
        try:
            nb = read_notebook(r.file)
        except (NotANotebookError, OSError):
            continue
        fp = answer_fingerprint(nb, (released or {}).get(r.notebook))
        if fp:
            groups.setdefault((r.notebook, fp), set()).add(r.student)
    return sorted((nb, sorted(s)) for (nb, _), s in groups.items() if len(s) > 1)


def released_versions(notebooks: list[str], source_dir: str | Path) -> dict[str, NotebookNode]:
    """The student versions of the instructor notebooks (to tell an answer from the stub)."""
    from helpers.assignments._io import NotANotebookError, read_notebook
    from helpers.assignments.student_versions import release_notebook

    out = {}
    for name in notebooks:
        try:
            out[name] = release_notebook(read_notebook(Path(source_dir) / name), instructions=False)
        except (NotANotebookError, OSError, ValueError):
            continue
    return out


def to_markdown(groups: list[tuple[str, list[str]]]) -> str:
    """The "Identical answers" section of the class report ("" when there are none)."""
    from helpers.assignments.report import _cell

    if not groups:
        return ""
    lines = ["", "## Identical answers", ""]
    lines.append("The same code once comments and layout are set aside: a hint to look, not a verdict.")
    lines += [""] + [f"- {_cell(nb)}: {_cell(', '.join(students))}" for nb, students in groups]
    return "\n".join(lines) + "\n"
