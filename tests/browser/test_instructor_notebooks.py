"""Every instructor notebook, opened in JupyterLab and run as a student would: Restart and Run All.

Asserts: opening it does not modify it (the saved kernelspec is what JupyterLab writes), and
nbgrader's instructor menus are hidden (the course's `make lab` settings); after
the run every code cell ran, no output is an error or unexpected stderr, every figure the saved
notebook has is rendered as an image, widgets render, and MathJax reports no error.
"""

from __future__ import annotations

import json

import pytest
from labdriver import ROOT, STDERR, cell_outputs, code_cells, open_notebook, prompt_number, run_all

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
WIDGETS = {"DrawDigit": ".nn-draw", "MistakeExplorer": ".nn-mistakes"}


def expected(name: str) -> tuple[int, dict[str, int]]:
    """Figures (image/png outputs that are not a widget's static picture) and widgets per class."""
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    figures, widgets = 0, dict.fromkeys(WIDGETS.values(), 0)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = "".join(data.get("text/plain", ""))
            widget = next((sel for cls, sel in WIDGETS.items() if text.startswith(cls)), None)
            if widget:
                widgets[widget] += 1
            elif "image/png" in data:
                figures += 1
    return figures, widgets


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_instructor_notebook_runs_clean_in_jupyterlab(page, lab, name):
    open_notebook(page, lab, f"notebooks/{name}")
    assert page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 0, (
        f"{name}: opening the notebook modified it (its metadata differ from what JupyterLab writes)"
    )
    nbgrader_menu = page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").count()
    assert nbgrader_menu == 0, "make lab's settings (.jupyter/) must hide nbgrader's menus"
    run_all(page)
    cells = code_cells(page)
    problems = []
    for i in range(cells.count()):
        cell = cells.nth(i)
        if not cell.locator(".jp-InputArea-editor").inner_text().strip():
            continue
        prompt = prompt_number(cell)
        if not any(ch.isdigit() for ch in prompt):
            problems.append(f"code cell {i} did not run (prompt {prompt!r})")
        for out in cell_outputs(cell):
            if out["mime"] == STDERR:
                problems.append(f"code cell {i} wrote to stderr or raised: {out['text'][:300]!r}")
    assert not problems, f"{name}: " + "; ".join(problems)
    figures, widgets = expected(name)
    shown = page.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert shown >= figures, f"{name}: {shown} figures rendered, the saved notebook has {figures}"
    for selector, n in widgets.items():
        assert page.locator(selector).count() == n, f"{name}: expected {n} widget(s) {selector}"
    mathjax_errors = page.locator("mjx-merror, .MathJax_Error, merror").count()
    assert mathjax_errors == 0, f"{name}: MathJax reports {mathjax_errors} error(s)"
    if "$" in (ROOT / "notebooks" / name).read_text(encoding="utf-8"):
        assert page.locator("mjx-container").count() > 0, f"{name}: no formula was typeset"
    assert not page.errors, f"{name}: JavaScript errors: {page.errors[:3]}"
