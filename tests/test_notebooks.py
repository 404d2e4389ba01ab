"""Structure of the course notebooks: valid, executed, and with well-formed nbgrader exercises.

nbval (configured in pyproject.toml) re-executes the notebooks and compares their outputs; these
tests check what nbval does not: that the committed notebooks were executed top to bottom without
errors, and that every exercise is in nbgrader's format (a solution cell with the solution between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, followed by a locked, graded check cell).
Notebooks under a ``student`` folder (released copies without solutions) are only checked for
validity and nbgrader metadata, not for outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
EXECUTED = [p for p in PATHS if "student" not in p.relative_to(NOTEBOOKS).parts]
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
NBGRADER_KEYS = {"schema_version", "solution", "grade", "locked", "task", "grade_id"}


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode, dict]]:
    return [(i, c, c.metadata["nbgrader"]) for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata]


def test_there_are_notebooks():
    names = {p.name for p in PATHS}
    chapters = ("00_data_and_one_hot", "01_forward_propagation", "02_relu_and_softmax", "03_backpropagation")
    for stem in chapters:
        assert f"{stem}.ipynb" in names


@pytest.mark.parametrize("path", PATHS, ids=ids(PATHS))
def test_notebook_is_valid_nbformat(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernel is not python3"


@pytest.mark.parametrize("path", PATHS, ids=ids(PATHS))
def test_kernelspec_is_what_jupyterlab_writes(path):
    """JupyterLab rewrites a kernelspec that differs from the installed one: git sees a change on open."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    saved = read(path).metadata.get("kernelspec", {})
    want = {"display_name": spec.display_name, "language": spec.language, "name": "python3"}
    assert saved == want, f"{path.name}: kernelspec {saved} is not the installed kernel's {want}"
    nb = read(path)
    assert "widgets" not in nb.metadata, f"{path.name}: widget state saved in the notebook"
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {}), (
                f"{path.name}: cell {i} saved a widget view, which shows 'model not found' when opened"
            )


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_notebook_was_executed_without_errors(path):
    nb = read(path)
    counts = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"{path.name}: code cell {i} was never executed"
        counts.append(cell.execution_count)
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: cell {i} raised {out.get('ename')}"
            if out.output_type == "stream":
                assert out.name != "stderr", f"{path.name}: cell {i} wrote to stderr: {out.text[:200]!r}"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: cells were not run top to bottom once"


@pytest.mark.parametrize("path", PATHS, ids=ids(PATHS))
def test_nbgrader_metadata_is_valid(path):
    nb = read(path)
    seen: set[str] = set()
    for i, _cell, meta in nbgrader_cells(nb):
        where = f"{path.name} cell {i}"
        assert NBGRADER_KEYS <= set(meta), f"{where}: nbgrader metadata lacks {NBGRADER_KEYS - set(meta)}"
        assert meta["schema_version"] == 3, f"{where}: schema_version must be 3"
        for key in ("solution", "grade", "locked", "task"):
            assert isinstance(meta[key], bool), f"{where}: {key} must be true or false"
        grade_id = meta["grade_id"]
        assert GRADE_ID.match(grade_id), f"{where}: grade_id {grade_id!r} is not a valid nbgrader id"
        assert grade_id not in seen, f"{where}: grade_id {grade_id!r} is used twice"
        seen.add(grade_id)
        if meta["grade"]:
            points = meta.get("points")
            assert isinstance(points, int | float) and points > 0, f"{where}: a graded cell needs points > 0"


@pytest.mark.parametrize("path", PATHS, ids=ids(PATHS))
def test_exercises_have_markers_and_locked_checks(path):
    nb = read(path)
    cells = nbgrader_cells(nb)
    for i, cell, meta in cells:
        where = f"{path.name} cell {i} ({meta['grade_id']})"
        if meta["solution"]:
            assert cell.cell_type == "code", f"{where}: solution cells are code cells"
            assert not meta["locked"] and not meta["grade"], f"{where}: a solution cell is unlocked, ungraded"
            begin = cell.source.find("### BEGIN SOLUTION")
            end = cell.source.find("### END SOLUTION")
            in_student = "student" in path.relative_to(NOTEBOOKS).parts
            if not in_student:
                assert 0 <= begin < end, f"{where}: needs ### BEGIN SOLUTION ... ### END SOLUTION"
                assert cell.source[:begin].strip(), f"{where}: needs a stub (signature) before the solution"
            following = [m for j, _, m in cells if j > i]
            assert following and following[0]["grade"] and not following[0]["solution"], (
                f"{where}: must be followed by a check cell"
            )
        elif meta["grade"]:
            assert cell.cell_type == "code", f"{where}: check cells are code cells"
            assert meta["locked"], f"{where}: check cells must be locked"
            assert "check_" in cell.source or "assert" in cell.source, f"{where}: runs no check"
            hidden = cell.source.count("### BEGIN HIDDEN TESTS"), cell.source.count("### END HIDDEN TESTS")
            assert hidden[0] == hidden[1], f"{where}: unbalanced HIDDEN TESTS markers"


@pytest.mark.parametrize("path", PATHS, ids=ids(PATHS))
def test_solution_markers_only_in_solution_cells(path):
    nb = read(path)
    for i, cell in enumerate(nb.cells):
        if "### BEGIN SOLUTION" in cell.source or "### END SOLUTION" in cell.source:
            meta = cell.metadata.get("nbgrader", {})
            assert meta.get("solution"), f"{path.name} cell {i}: solution markers outside a solution cell"


def test_readme_lists_every_notebook():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS.glob("*.ipynb"):
        assert path.name in readme, f"notebooks/README.md does not mention {path.name}"
