"""Submissions and their instructor notebooks: nbgrader cell metadata, who and what, locked cells.

- :func:`identify` / :func:`identify_notebook`: the student's name and the instructor notebook a
  submission belongs to (by its nbgrader grade ids first, its file name as the fallback);
- :func:`restore_locked_cells`: the instructor's check cells put back (nbgrader's OverwriteCells).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

#: Separators allowed between a student name and the notebook name in a submission's file name.
_SEPARATORS = "-_. "
#: What browsers and learning-management systems append to a downloaded copy: " (1)", "-2"...
_COPY_MARK = re.compile(r"\s*\(\d+\)$")


# --------------------------------------------------------------------------------------------
# nbgrader cell metadata
# --------------------------------------------------------------------------------------------
def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade_id, or None."""
    return _meta(cell).get("grade_id") or None


def is_grade_cell(cell: NotebookNode) -> bool:
    """True for an nbgrader grade cell (has points)."""
    return bool(_meta(cell).get("grade")) and grade_id(cell) is not None


def is_locked_cell(cell: NotebookNode) -> bool:
    """True for a cell whose source nbgrader restores at grading (nbgrader.utils.is_locked)."""
    m = _meta(cell)
    if not m or grade_id(cell) is None or m.get("solution"):
        return False
    return bool(m.get("grade") or m.get("locked"))


def grade_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The grade cells of ``nb`` in notebook order."""
    return [c for c in nb.cells if is_grade_cell(c)]


def solution_names(nb: NotebookNode) -> list[str]:
    """The names the solution cells of ``nb`` define at top level (functions, classes, assignments).

    These are the student's: the grader never binds them to anything else (see
    :mod:`helpers.assignments.sandbox`)."""
    import ast

    from helpers.assignments.verdicts import python_source

    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not _meta(cell).get("solution"):
            continue
        try:
            tree = ast.parse(python_source(cell.source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(names))


def max_score(nb: NotebookNode) -> float:
    """The notebook's total points (sum over its grade cells)."""
    return float(sum(float(_meta(c).get("points", 0)) for c in grade_cells(nb)))


# --------------------------------------------------------------------------------------------
# Who and what
# --------------------------------------------------------------------------------------------
def _strip_stem(stem: str, nb_stem: str) -> str | None:
    """The student part of ``stem`` when it is ``<student><sep><nb_stem>`` or ``<nb_stem><sep><student>``."""
    if stem.endswith(nb_stem) and len(stem) > len(nb_stem) and stem[-len(nb_stem) - 1] in _SEPARATORS:
        return stem[: -len(nb_stem)].strip(_SEPARATORS) or None
    if stem.startswith(nb_stem) and len(stem) > len(nb_stem) and stem[len(nb_stem)] in _SEPARATORS:
        return stem[len(nb_stem) :].strip(_SEPARATORS) or None
    return None


def identify(path: str | os.PathLike, notebook_names: list[str]) -> tuple[str, str | None]:
    """``(student, instructor notebook file name or None)`` for a submitted file.

    - ``<student>/<notebook>.ipynb`` (the file keeps the course notebook's name): the student is
      the parent folder's name, e.g. ``submissions/alice/02_forward_prop.ipynb`` -> alice; in
      nbgrader's layout ``submitted/<student>/<assignment>/<notebook>.ipynb`` it is the folder
      below ``submitted``;
    - ``<student>-<notebook>.ipynb`` or ``<notebook>-<student>.ipynb`` (separator ``-``, ``_``,
      ``.`` or a space): the rest of the file name, e.g. ``alice_02_forward_prop.ipynb`` -> alice;
      a copy mark such as `` (1)`` at the end is ignored;
    - anything else: the file name without its extension, and no instructor notebook.

    The longest matching notebook name wins.
    """
    student, name, _ = identify_student(path, notebook_names)
    return student, name


def _folder_student(path: Path) -> str:
    folders = path.absolute().parent.parts
    if "submitted" in folders[:-1]:
        return folders[len(folders) - 1 - folders[::-1].index("submitted") + 1]
    return folders[-1] if len(folders) > 1 else ""


def identify_student(
    path: str | os.PathLike, notebook_names: list[str], by: str | None = None
) -> tuple[str, str | None, list[str]]:
    """``(student, notebook or None, conflicts)``: :func:`identify` with one source for the name.

    ``by="folder"`` (submissions in a folder per student): the folder names the student, and a
    file name naming someone else (``eve/alice-02_relu_and_softmax.ipynb``) is a conflict,
    reported, never a second "alice". ``by="name"``: the file name does. ``None``: as
    :func:`identify` says.
    """
    path = Path(path)
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    stem = _COPY_MARK.sub("", stem) or stem
    named, notebook = None, None
    for name in sorted(notebook_names, key=len, reverse=True):
        nb_stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
        if stem == nb_stem:
            notebook = name
            break
        named = _strip_stem(stem, nb_stem)
        if named:
            notebook = name
            break
    folder = _folder_student(path)
    if by == "folder" and folder:
        conflicts = []
        if named and named != folder:
            conflicts.append(
                f"the file name names {named!r} but it is in {folder!r}'s folder: graded as {folder!r}"
            )
        return folder, notebook, conflicts
    if named:
        return named, notebook, []
    if notebook is not None and by != "name" and folder:
        return folder, notebook, []
    return stem, notebook, []


# --------------------------------------------------------------------------------------------
# Putting the instructor's locked cells back
# --------------------------------------------------------------------------------------------
def _signature(cell: NotebookNode) -> tuple:
    """What a student could tamper with in a locked cell: type, source, grading flags and points."""
    m = _meta(cell)
    flags = tuple(m.get(k) for k in ("grade", "solution", "locked", "task"))
    return cell.cell_type, cell.source, flags, float(m.get("points", 0) or 0)


def _fresh_copy(cell: NotebookNode) -> NotebookNode:
    new = copy.deepcopy(cell)
    if new.cell_type == "code":
        new.outputs = []
        new.execution_count = None
    return new


_RELEASED: dict[str, dict[str, tuple]] = {}  # instructor notebook's digest -> its cells' signatures


def _released_signatures(instructor: NotebookNode) -> dict[str, tuple]:
    """What an untouched student copy holds, by grade id: the released version's cells (hidden
    tests removed); worked out once per instructor notebook and process (nbgrader's steps take
    0.2 s a notebook)."""
    from helpers.assignments.student_versions import release_notebook

    key = hashlib.sha256(json.dumps(instructor, sort_keys=True).encode()).hexdigest()
    if key not in _RELEASED:
        if len(_RELEASED) > 64:
            _RELEASED.clear()
        released = release_notebook(instructor, instructions=False)
        _RELEASED[key] = {grade_id(c): _signature(c) for c in released.cells}
    return _RELEASED[key]


def restore_locked_cells(
    submission: NotebookNode, instructor: NotebookNode
) -> tuple[NotebookNode, list[str], list[str]]:
    """Return ``(notebook, edited_ids, reinserted_ids)``: ``submission`` with the instructor's locked cells.

    Every locked nbgrader cell of ``instructor`` (check cells, with their hidden tests) replaces the
    submission's cell of the same grade_id (source, type and metadata: the student cannot change
    the points), or, when the student deleted it, is inserted after the submission's cell that
    matches the nearest preceding nbgrader cell of the instructor version. Grade ids the
    instructor version does not know and repeated grade ids lose their nbgrader metadata, so they
    score nothing. ``submission`` itself is left unchanged.
    """
    nb = copy.deepcopy(submission)
    released = _released_signatures(instructor)
    _drop_foreign_ids(nb, {grade_id(c) for c in instructor.cells if grade_id(c)})
    edited: list[str] = []
    reinserted: list[str] = []
    anchor = -1  # index in nb after which a missing cell goes
    for pos, icell in enumerate(instructor.cells):
        gid = grade_id(icell)
        if gid is None:
            continue
        idx = next((i for i, c in enumerate(nb.cells) if grade_id(c) == gid), None)
        if idx is not None:
            if is_locked_cell(icell) and _put_back(nb, idx, icell, released.get(gid)):
                edited.append(gid)
            anchor = idx
        elif is_locked_cell(icell):
            anchor = anchor + 1 if anchor >= 0 else min(pos, len(nb.cells))
            _insert(nb, anchor, icell)
            reinserted.append(gid)
    return nb, edited, reinserted


def _drop_foreign_ids(nb: NotebookNode, known: set[str]) -> None:
    """Take the nbgrader metadata off cells whose grade id ``known`` lacks or an earlier cell has."""
    seen: set[str] = set()
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid not in known or gid in seen:
            cell.metadata.pop("nbgrader", None)
        else:
            seen.add(gid)


def _put_back(nb: NotebookNode, idx: int, icell: NotebookNode, released: tuple | None) -> bool:
    """Replace ``nb.cells[idx]`` with a fresh copy of the instructor's ``icell`` (keeping the
    cell's id); True when the student had changed it (it was neither ``icell`` nor ``released``)."""
    scell = nb.cells[idx]
    edited = _signature(scell) not in (_signature(icell), released)
    new = _fresh_copy(icell)
    if "id" in scell:
        new["id"] = scell["id"]
    nb.cells[idx] = new
    return edited


def _insert(nb: NotebookNode, at: int, icell: NotebookNode) -> None:
    """Insert a fresh copy of the instructor's ``icell`` at ``at`` (a new id if its own is taken)."""
    new = _fresh_copy(icell)
    if new.get("id") in {c.get("id") for c in nb.cells}:
        new["id"] = nbformat.v4.new_code_cell().id
    nb.cells.insert(at, new)


def identify_notebook(submission: NotebookNode, instructors: dict[str, NotebookNode]) -> str | None:
    """The instructor notebook (a key of ``instructors``) sharing the most grade ids with ``submission``.

    None when no notebook shares one, or when two share the same number (then the file name decides).
    """
    ids = {grade_id(c) for c in submission.cells} - {None}
    counts = sorted(
        ((len(ids & {grade_id(c) for c in nb.cells}), name) for name, nb in instructors.items()), reverse=True
    )
    if not counts or counts[0][0] == 0 or (len(counts) > 1 and counts[1][0] == counts[0][0]):
        return None
    return counts[0][1]
