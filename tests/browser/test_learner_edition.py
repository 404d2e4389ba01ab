"""The learner's edition as `make lab` serves it: JupyterLab rooted at learn/, one exercise walked
through in Chromium: wrong answer -> hint -> correct answer -> the chapter's progress, with the
answer autosaved to disk."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from labdriver import cell_outputs, code_cells, open_notebook, run_all, start_lab

from helpers.edition_files import build_learner

CHAPTER = "00_data_and_one_hot.ipynb"
EXERCISE = "scale_pixels"
WRONG = 'def scale_pixels(rows):\n    """Pixel bytes 0..255 -> floats in [0, 1]."""\n    return rows / 256.0'
RIGHT = 'def scale_pixels(rows):\n    """Pixel bytes 0..255 -> floats in [0, 1]."""\n    return rows / 255.0'


@pytest.fixture(scope="module")
def learn(course):
    """The learner's edition built from the course's notebooks, and JupyterLab rooted at it."""
    folder = course / "learn"
    build_learner(course / "notebooks", folder)
    server = start_lab(folder, course / "jupyterlab-learn.log")
    yield folder, server
    server.stop()


@pytest.fixture
def learner_page(chromium, learn, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    if getattr(request.node, "browser_failed", False):
        from conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "learner_edition.png"), full_page=True)
        (ARTIFACTS / "learner_edition.txt").write_text(page.inner_text("body"), encoding="utf-8")
        shutil.copy(learn[1].log, ARTIFACTS / "jupyterlab-learn.log")
    context.close()


def _exercise_and_check(path) -> tuple[int, int]:
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in code]
    return ids.index(EXERCISE), ids.index(f"check_{EXERCISE}")


def _replace_and_check(page, cells, exercise: int, source: str) -> None:
    editor = cells.nth(exercise).locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(source)
    page.keyboard.press("Shift+Enter")  # runs the exercise, moves to the check cell
    page.keyboard.press("Shift+Enter")  # runs the check


def _wait_text(page, index: int, text: str, timeout: float = 60_000) -> str:
    page.wait_for_function(
        "([i, t]) => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')][i].innerText.includes(t)",
        arg=[index, text],
        timeout=timeout,
    )
    return " ".join(o["text"] for o in cell_outputs(code_cells(page).nth(index)))


def test_wrong_answer_hint_correct_answer_progress(learner_page, learn):
    folder, server = learn
    page = learner_page
    exercise, check = _exercise_and_check(folder / CHAPTER)
    open_notebook(page, server, CHAPTER)
    body = page.inner_text(".jp-NotebookPanel")
    assert "BEGIN SOLUTION" not in body and "HIDDEN TESTS" not in body
    page.wait_for_selector(".jp-DirListing-item[title*='00_data_and_one_hot']")
    listing = page.inner_text(".jp-DirListing-content")
    assert "notebooks" not in listing.split(), "the instructor source must not be one click away"
    run_all(page)
    cells = code_cells(page)
    assert "not implemented yet" in _wait_text(page, check, "✗")

    # 1. a wrong answer: the check says what is wrong and where the next hint is
    _replace_and_check(page, cells, exercise, WRONG)
    out = _wait_text(page, check, "0.9961")
    assert "✗ scale_pixels" in out and 'Stuck? hint("scale_pixels") shows hint 1 of 3.' in out

    # 2. a hint, in a new cell below the check's hint prompt
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text('hint("scale_pixels")')
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector(".jp-OutputArea-output:has-text('Hint 1 of 3 for scale_pixels')", timeout=30_000)
    assert page.locator(".jp-OutputArea-output:has-text('Hint 2 of 3')").count() == 0

    # 3. the correct answer turns the check green
    cells = code_cells(page)
    _replace_and_check(page, cells, exercise, RIGHT)
    out = _wait_text(page, check, "✓")
    assert "✓ scale_pixels: all checks passed" in out and "✗" not in out

    # 4. the chapter's progress, in its last cell
    last = cells.count() - 1
    cells.nth(last).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    out = _wait_text(page, last, "exercises pass")
    assert "Chapter 00_data_and_one_hot: 1 of 2 exercises pass" in out
    assert re.search(r"✓ scale_pixels\s+passed", out) and re.search(r"✗ one_hot\s+not passed yet", out)

    # 5. autosave: the answer reaches the disk without Ctrl+S
    deadline = time.monotonic() + 90
    while "rows / 255.0" not in (folder / CHAPTER).read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the learner's answer was not autosaved within 90 s"
        time.sleep(2)
