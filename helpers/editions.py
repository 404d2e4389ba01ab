"""The course's three editions, made from one source, the instructor notebooks in ``notebooks/``.

- **instructor source** (``notebooks/``, tracked): solutions between ``### BEGIN SOLUTION`` markers
  and hidden tests; what ``helpers assignments release`` and the grader read.
- **learner's edition** (:func:`learner_notebook`, built into ``learn/`` by ``make lab``): every
  exercise a stub to replace, the check cells without their hidden tests (nbgrader's own
  preprocessors, as in the graded release), outputs cleared; after the title a note on how to work
  and a cell that imports ``hint``, ``solution`` and ``progress`` and says which data are used;
  after every check cell a prompt for ``hint(...)`` and ``solution(...)``; a last cell showing the
  chapter's progress; and the paths of :data:`PORTABLE` replaced, so it works wherever it is. Its
  ``.course/`` folder holds the hints and the model answers that ``helpers.learner`` shows.
- **web edition** (:func:`web_notebook`, built into ``web/``): the source with its outputs and
  figures, the worked solutions without their markers, hidden tests removed: the course to read.

Cells added to an edition carry the tag :data:`EDITION_TAG`; every other cell comes from the
source, so :func:`source_cells` lets a test compare an edition with its source cell by cell.
"""

from __future__ import annotations

import copy
import re

import nbformat
from nbformat import NotebookNode

#: Tag of the cells an edition adds (the learner's note and tools, the hint prompts, progress).
EDITION_TAG = "edition"
#: Paths the source reads or writes relative to notebooks/, and what the learner's edition and the
#: graded release use instead: the benchmark results shipped beside the notebook
#: (:func:`shipped_files`) and a ``reports/`` folder beside it. (The data need no rewrite: the
#: notebooks call ``load_mnist()``, which finds them from any folder.) So a copy works wherever it is.
PORTABLE = (('"../benchmarks/results/', '"'), ('"../reports/', '"reports/'))
_SHIPPED = re.compile(r'"\.\./(benchmarks/results/[\w.-]+)"')
TOOLS_CELL = """\
# hint("name"), solution("name") and progress(...): see "How to work on this chapter" above
from helpers.learner import hint, progress, solution  # noqa: F401
from helpers.paths import describe_data

print(describe_data())"""
PROGRESS_CELL = """\
# Your progress in this chapter (`make progress` in a terminal lists every chapter)
progress("{stem}")"""
_SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S)

LEARNER_NOTE = """\
## How to work on this chapter

This is your copy of the chapter (the learner's edition): change it as you like, it is saved as
you type and rebuilding or updating the course never overwrites it (a newer version arrives
beside it as `NAME.new.ipynb`).

- **Run the cells in order** (Shift+Enter). Cells that draw, such as the digit canvas, need the
  cells above them to have run.
- **Exercises:** replace `raise NotImplementedError()` in the cells that say `# YOUR CODE HERE`,
  then run the cell and the **check cell** below it. The check prints ✓ or ✗ with what is wrong;
  while it fails, the chapter goes on (with the course's own version of the function, if it has one).
- **Stuck?** `hint("name")` (in any cell) shows the next hint for exercise `name`, from a nudge to
  nearly the answer. After its check has run once, `solution("name")` shows a model answer.
- **Progress:** the last cell lists which exercises pass; `make progress` lists every chapter.
- **Outputs:** your copy starts without any; running the cells makes them. The figures as the
  course saved them are in the instructor notebooks (`notebooks/`) and the web edition.
"""


def _edition_cell(kind: str, text: str, key: str = "") -> NotebookNode:
    """A markdown cell the edition adds; its id is fixed, so a rebuild writes the same bytes."""
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = f"{EDITION_TAG}-{kind}{'-' + key if key else ''}"[:64]
    cell.metadata["tags"] = [EDITION_TAG, kind]
    return cell


def _grade_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def exercises(nb: NotebookNode) -> list[str]:
    """The notebook's exercises: the grade ids of its solution code cells, in order."""
    return [
        m["grade_id"]
        for c in nb.cells
        if c.cell_type == "code" and (m := _grade_meta(c)).get("solution") and m.get("grade_id")
    ]


def solutions(nb: NotebookNode) -> dict[str, str]:
    """``{exercise: model answer}``: each solution cell with its solution markers removed."""
    out = {}
    for cell in nb.cells:
        meta = _grade_meta(cell)
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            out[meta["grade_id"]] = _SOLUTION.sub(lambda m: m.group(1), cell.source).rstrip() + "\n"
    return out


def hint_prompt(name: str) -> str:
    """The markdown line after exercise ``name``'s check cell in the learner's edition."""
    return (
        f'*Stuck on `{name}`?* Run `hint("{name}")` in a new cell for a hint (again for the next '
        f'one). After its check has run once, `solution("{name}")` shows a model answer.'
    )


def portable(code: str) -> str:
    """A code cell's source with the checkout-relative paths of :data:`PORTABLE` replaced."""
    for old, new in PORTABLE:
        code = code.replace(old, new)
    return code


def shipped_files(nb: NotebookNode) -> list[str]:
    """The files under ``benchmarks/results/`` the notebook reads (paths relative to the checkout)."""
    found = {m for c in nb.cells if c.cell_type == "code" for m in _SHIPPED.findall(c.source)}
    return sorted(found)


def _code_cell(kind: str, code: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(code)
    cell.id = f"{EDITION_TAG}-{kind}"
    cell.metadata["tags"] = [EDITION_TAG, kind]
    return cell


def learner_notebook(source: NotebookNode, name: str = "") -> NotebookNode:
    """The learner's edition of one instructor notebook ``name`` (``source`` is left unchanged)."""
    from helpers.assignments.student_versions import release_notebook

    nb = release_notebook(source, instructions=False)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = portable(cell.source)
        cells.append(cell)
        if i == 0:  # after the title: how to work, and the tools (which also say which data)
            cells += [_edition_cell("learner-note", LEARNER_NOTE), _code_cell("learner-tools", TOOLS_CELL)]
        meta = _grade_meta(cell)
        match = re.match(r"\s*check_(\w+)\s*\(", cell.source) if cell.cell_type == "code" else None
        if meta.get("grade") and match:
            cells.append(_edition_cell("hint-prompt", hint_prompt(match.group(1)), match.group(1)))
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    if stem and exercises(source):
        cells.append(_code_cell("progress", PROGRESS_CELL.format(stem=stem)))
    nb.cells = cells
    return nb


def with_notice(nb: NotebookNode, notice: str) -> NotebookNode:
    """A copy of ``nb`` opening with the markdown cell ``notice`` (a newer version beside the learner's)."""
    out = copy.deepcopy(nb)
    out.cells.insert(0, _edition_cell("update-notice", f"**A newer version of this chapter.** {notice}"))
    return out


def web_notebook(source: NotebookNode) -> NotebookNode:
    """The web edition of one instructor notebook: outputs and solutions kept, hidden tests removed."""
    from helpers.assignments._io import require_nbgrader

    require_nbgrader()
    from nbgrader.preprocessors import ClearHiddenTests

    nb, _ = ClearHiddenTests().preprocess(copy.deepcopy(source), {})
    for cell in nb.cells:
        if cell.cell_type == "code" and _grade_meta(cell).get("solution"):
            cell.source = _SOLUTION.sub(lambda m: m.group(1), cell.source)
    return nb


def source_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The cells of an edition that come from the source (those without :data:`EDITION_TAG`)."""
    return [c for c in nb.cells if EDITION_TAG not in c.get("metadata", {}).get("tags", [])]
