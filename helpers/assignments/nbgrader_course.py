"""An nbgrader course folder for the course notebooks, so ``nbgrader generate_assignment`` and
``nbgrader autograde`` work on them as they are.

Layout written by :func:`make_course` (nbgrader's standard one)::

    COURSE/nbgrader_config.py
    COURSE/source/header.ipynb                 the "How to work on this notebook" cell
    COURSE/source/<assignment>/<notebook>.ipynb   copies of the instructor notebooks

then, from COURSE (with the virtualenv's bin on PATH: nbgrader runs ``alembic``)::

    nbgrader generate_assignment <assignment> --force   -> release/<assignment>/...
    # students' files go to submitted/<student>/<assignment>/<notebook>.ipynb
    nbgrader autograde <assignment>                      -> autograded/..., gradebook.db
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat

from helpers.assignments._io import write_notebook
from helpers.assignments.student_versions import instructions_cell
from helpers.atomic import atomic_write, write_text

CONFIG_TEMPLATE = '''\
"""nbgrader configuration of the course "A neural network from scratch"."""

c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = {course_id!r}
# Put the "How to work on this notebook" cell first in every released notebook.
c.IncludeHeaderFooter.header = "source/header.ipynb"
# The stub that replaces each ### BEGIN SOLUTION .. ### END SOLUTION region (nbgrader's default).
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# Per-cell time limit when autograding, in seconds.
c.Execute.timeout = {timeout}
# A check cell the student deleted is put back (and one they edited is always overwritten).
c.OverwriteCells.add_missing_cells = True
'''


def config_text(course_id: str = "nn-from-scratch", timeout: int = 300) -> str:
    """The content of ``nbgrader_config.py``."""
    return CONFIG_TEMPLATE.format(course_id=course_id, timeout=int(timeout))


def make_course(
    course_dir: str | os.PathLike,
    notebooks: list[str | os.PathLike],
    assignment: str = "course",
    course_id: str = "nn-from-scratch",
    timeout: int = 300,
) -> Path:
    """Write (or refresh) the nbgrader course folder; returns ``course_dir/source/<assignment>``."""
    course = Path(course_dir)
    if not notebooks:
        raise ValueError("no notebooks given for the nbgrader course")
    source = course / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    write_text(course / "nbgrader_config.py", config_text(course_id, timeout))
    header = nbformat.v4.new_notebook()
    header.cells.append(instructions_cell())
    write_notebook(header, course / "source" / "header.ipynb")
    for nb in map(Path, notebooks):
        if not nb.is_file():
            raise FileNotFoundError(f"{nb}: no such notebook")
        with atomic_write(source / nb.name) as f, open(nb, "rb") as src:
            shutil.copyfileobj(src, f)
    return source
