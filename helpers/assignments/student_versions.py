"""Student versions of the course notebooks, made with nbgrader's own preprocessors.

``nbgrader generate_assignment`` runs (nbgrader 0.9) IncludeHeaderFooter, InstantiateTests, LockCells,
ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests,
ClearMarkScheme, ComputeChecksums, CheckCellMetadata. :func:`release_notebook` runs the same chain
minus the three steps that need an nbgrader course (the header/footer files, the autotest templates
and the gradebook database), then puts a "How to work on this notebook" cell first.

The result: every ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` region (or a whole solution cell
without one) becomes ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, every
``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` region is gone, outputs are cleared, check
cells are kept (locked: not deletable, not editable) with their nbgrader checksums.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.assignments._io import read_notebook, require_nbgrader, write_notebook
from helpers.atomic import atomic_write

#: Tag of the instructions cell put first in every released notebook.
INSTRUCTIONS_TAG = "how-to-work"

INSTRUCTIONS = """\
## How to work on this notebook

- **Where to write:** only in the cells that contain `# YOUR CODE HERE`. Replace the line
  `raise NotImplementedError()` with your code; keep the function names and arguments as given.
- **Check as you go:** after each exercise, run your cell, then the check cell right below it.
  The check prints a one-line verdict; when it fails, read the message, fix your code and run
  both cells again.
- **Don't edit or delete the check cells** (they are locked). When your notebook is graded the
  original check cells are put back, together with extra hidden tests, so changing them gains
  nothing.
- **Before you submit:** *Kernel → Restart Kernel and Run All Cells*, check that every cell runs
  from top to bottom without an error, save, and hand in this `.ipynb` file under its original name.
"""


def instructions_cell() -> NotebookNode:
    """The markdown cell "How to work on this notebook" (tagged ``how-to-work``, locked)."""
    cell = nbformat.v4.new_markdown_cell(INSTRUCTIONS)
    cell.metadata.update({"tags": [INSTRUCTIONS_TAG], "deletable": False, "editable": False})
    return cell


def _nbgrader_preprocessors() -> list:
    """nbgrader's generate_assignment chain without the course-bound steps, freshly configured."""
    require_nbgrader()
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    return [
        LockCells(),
        ClearSolutions(),
        ClearOutput(),
        CheckCellMetadata(),
        ComputeChecksums(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
        CheckCellMetadata(),
    ]


def release_notebook(nb: NotebookNode, instructions: bool = True) -> NotebookNode:
    """Return the student version of the instructor notebook ``nb`` (``nb`` itself is left unchanged).

    Raises RuntimeError / ValidationError (from nbgrader) when the nbgrader markup is broken, e.g. a
    BEGIN SOLUTION without END SOLUTION, a solution region outside a solution cell, a duplicate grade_id.
    """
    from helpers.editions import portable

    out = copy.deepcopy(nb)
    for cell in out.cells:  # the paths relative to notebooks/ made to work from any folder
        if cell.cell_type == "code":
            cell.source = portable(cell.source)
    resources: dict = {}
    for pp in _nbgrader_preprocessors():
        out, resources = pp.preprocess(out, resources)
    if instructions:
        out.cells.insert(0, instructions_cell())
    return out


def referenced_files(nb: NotebookNode, folder: str | os.PathLike) -> list[Path]:
    """The files the notebook in ``folder`` opens, to ship beside it: every file in ``folder`` (not
    a notebook, not hidden) whose name appears in a cell's source or in the notebook metadata
    ``"files": [...]``, plus the benchmark results it reads (:func:`helpers.editions.shipped_files`,
    under ``folder``'s parent; FileNotFoundError when one is missing)."""
    from helpers.editions import shipped_files

    folder = Path(folder)
    text = "\n".join(c.source for c in nb.cells)
    listed = {str(n) for n in nb.metadata.get("files", []) or []}
    beside = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix != ".ipynb"
        and not p.name.startswith(".")
        and (p.name in text or p.name in listed)
    ]
    results = [folder.parent / rel for rel in shipped_files(nb)]
    for p in results:
        if not p.is_file():
            raise FileNotFoundError(f"{p}: the notebook reads it, and it is missing")
    return sorted(beside + results)


def release_file(source: str | os.PathLike, out_dir: str | os.PathLike, instructions: bool = True) -> Path:
    """Release one notebook file into ``out_dir`` (same file name) with the files it opens
    (:func:`referenced_files`, copied atomically); returns the written notebook's path."""
    source = Path(source)
    out_dir = Path(out_dir)
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ValueError(f"{target}: refusing to overwrite the instructor notebook with its student version")
    nb = read_notebook(source)
    try:
        student = release_notebook(nb, instructions=instructions)
    except Exception as exc:
        raise ValueError(f"{source}: cannot be released ({exc.__class__.__name__}: {exc})") from None
    for f in referenced_files(nb, source.parent):
        with atomic_write(out_dir / f.name) as out:
            out.write(f.read_bytes())
    return write_notebook(student, target)


def course_notebooks(notebooks_dir: str | os.PathLike = "notebooks") -> list[Path]:
    """The course notebooks ``notebooks_dir/*.ipynb``, sorted by name."""
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such notebooks folder")
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def release(
    notebooks: Iterable[str | os.PathLike] | None,
    out_dir: str | os.PathLike,
    notebooks_dir: str | os.PathLike = "notebooks",
    instructions: bool = True,
) -> list[Path]:
    """Release ``notebooks`` (default: every ``notebooks_dir/*.ipynb``) into ``out_dir``."""
    paths = [Path(p) for p in notebooks] if notebooks else course_notebooks(notebooks_dir)
    if not paths:
        raise FileNotFoundError(f"{notebooks_dir}: no notebooks to release")
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such notebook")
    return [release_file(p, out_dir, instructions=instructions) for p in paths]
