"""The released student versions in a real browser (marked ``student``).

Run all on a student version: every unsolved exercise's check is flagged (an output with the
verdict "✗") and the run reaches the last cell. Typing a correct solution and running it turns
its check green ("✓").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from labdriver import ROOT, cell_outputs, code_cells, open_notebook, prompt_number, run_all

pytestmark = pytest.mark.student
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0[0-9]_*.ipynb"))  # the chapters


@pytest.fixture(scope="module")
def released(course):
    out = course / "student"
    subprocess.run(
        [sys.executable, "-m", "helpers", "assignments", "release", "--out", str(out),
         "--notebooks-dir", str(course / "notebooks")],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    return out


def exercises(path) -> list[tuple[int, int]]:
    """(solution, check) indices among the code cells of a notebook, one pair per exercise."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    pairs, solution = [], None
    for i, cell in enumerate(code):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            solution = i
        elif meta.get("grade") and solution is not None:
            pairs.append((solution, i))
            solution = None
    return pairs


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_flags_every_unsolved_exercise_and_reaches_the_end(page, lab, released, name):
    pairs = exercises(released / name)
    assert pairs, f"{name}: the student version has no exercise"
    open_notebook(page, lab, f"student/{name}")
    run_all(page)
    cells = code_cells(page)
    unflagged = [c for _, c in pairs if not any("✗" in o["text"] for o in cell_outputs(cells.nth(c)))]
    assert not unflagged, f"{name}: the checks in code cells {unflagged} do not flag their exercise with ✗"
    last = prompt_number(cells.nth(cells.count() - 1))
    assert any(ch.isdigit() for ch in last), f"{name}: Run All stopped before the last cell ({last!r})"


def test_a_correct_solution_turns_the_check_green(page, lab, released):
    name = NOTEBOOKS[0]
    instructor = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    code = [c for c in instructor["cells"] if c["cell_type"] == "code"]
    solution_index, check_index = exercises(released / name)[0]
    source = "".join(code[solution_index]["source"])
    solution = "\n".join(line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                         and "### END SOLUTION" not in line)  # fmt: skip
    open_notebook(page, lab, f"student/{name}")
    run_all(page)
    cells = code_cells(page)
    editor = cells.nth(solution_index).locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(solution)
    page.keyboard.press("Shift+Enter")  # runs the solution, selects the check cell
    page.keyboard.press("Shift+Enter")  # runs the check
    check = cells.nth(check_index)
    page.wait_for_function(
        "([i]) => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')][i].innerText.includes('✓')",
        arg=[check_index],
        timeout=60_000,
    )
    texts = " ".join(o["text"] for o in cell_outputs(check))
    assert "✓" in texts and "✗" not in texts, texts[:300]
