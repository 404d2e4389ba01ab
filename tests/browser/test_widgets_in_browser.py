"""The widgets of chapter 6 in a real browser: draw a "1" with the mouse, click the confusion matrix."""

from __future__ import annotations

import json
import math

from labdriver import open_notebook, run_all

NOTEBOOK = "notebooks/06_misclassified_digits.ipynb"
PREDICTION = "() => document.querySelector('.nn-draw').dataset.prediction"
MESSAGE = "() => document.querySelector('.nn-draw .nn-message').textContent"
CLEAR_ROUND_TRIP = """() => new Promise((resolve) => {
  const el = document.querySelector(".nn-draw");
  const t0 = performance.now();
  const seen = new MutationObserver(() => {
    if (el.dataset.prediction === "-1") { seen.disconnect(); resolve(performance.now() - t0); }
  });
  seen.observe(el, { attributes: true });
  el.querySelector(".nn-clear").click();
})"""
HEADING = "() => document.querySelector('.nn-mistakes .nn-heading').textContent"


def draw_stroke(page, canvas, points: list[tuple[float, float]], size: float = 280) -> None:
    """Press, move through ``points`` (canvas coordinates 0..size) in small steps, release."""
    box = canvas.bounding_box()
    sx, sy = box["width"] / size, box["height"] / size
    x0, y0 = points[0]
    page.mouse.move(box["x"] + x0 * sx, box["y"] + y0 * sy)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=12)
    page.mouse.up()


def test_draw_a_one_and_the_widget_reads_one(page, lab):
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    widget = page.locator(".nn-draw")
    assert widget.count() == 1
    widget.scroll_into_view_if_needed()
    assert widget.get_attribute("data-prediction") != "-1", "the widget starts on a test digit"
    round_trip = page.evaluate(CLEAR_ROUND_TRIP)  # Clear -> kernel -> bars emptied, timed in the page
    print(f"widget round trip (Clear -> kernel -> bars emptied): {round_trip:.0f} ms")
    assert widget.get_attribute("data-prediction") == "-1"
    pad = widget.locator(".nn-pad")
    draw_stroke(page, pad, [(140, 40), (141, 110), (142, 180), (142, 240)])
    page.wait_for_function(f"{PREDICTION} === '1'", timeout=15_000)
    probs = json.loads(widget.get_attribute("data-probs"))
    assert len(probs) == 10 and math.isclose(sum(probs), 1.0, abs_tol=1e-4), probs
    assert max(range(10), key=probs.__getitem__) == 1
    hidden = widget.locator(".nn-hidden .nn-bar").count()
    assert hidden == 10, f"{hidden} hidden-activation bars, the network has 10 hidden units"
    widget.locator(".nn-load").click()
    page.wait_for_function(f"{MESSAGE}.includes('Test digit')")
    assert not page.errors, page.errors[:3]


def test_click_a_cell_of_the_confusion_matrix(page, lab):
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    explorer = page.locator(".nn-mistakes")
    explorer.scroll_into_view_if_needed()
    cells = explorer.locator("td[data-true]")
    assert cells.count() == 100
    target = None
    for i in range(100):
        cell = cells.nth(i)
        t, p = cell.get_attribute("data-true"), cell.get_attribute("data-predicted")
        if t != p and cell.inner_text().strip():
            target = (cell, t, p, int(cell.inner_text()))
            break
    assert target is not None, "the confusion matrix shows no mistake at all"
    cell, t, p, count = target
    cell.click()
    heading = explorer.locator(".nn-heading")
    page.wait_for_function(f"{HEADING}.startsWith('true {t} read as {p}:')")
    assert f"{count} digit" in heading.inner_text()
    assert explorer.locator(".nn-item").count() == min(count, 24)
    assert explorer.locator("td.nn-selected").count() == 1


FOCUSED = """() => {
  const a = document.activeElement;
  return a ? `${a.className}|${a.dataset.true ?? ""},${a.dataset.predicted ?? ""}` : "";
}"""


def test_confusion_matrix_by_keyboard(page, lab):
    """Tab reaches one cell of the matrix, the arrows move, Enter and Space select; the gallery follows."""
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    explorer = page.locator(".nn-mistakes")
    explorer.scroll_into_view_if_needed()
    assert explorer.locator("td[tabindex='0']").count() == 1, "one cell of the matrix is in the Tab order"
    assert explorer.locator("td[tabindex='-1']").count() == 99
    # a starting point just before the cells (a click would make the notebook cell active, and its
    # toolbar could take the next Tab)
    explorer.locator(".nn-matrix caption").evaluate("c => { c.tabIndex = -1; c.focus(); }")
    page.keyboard.press("Tab")
    t, p = (int(v) for v in page.evaluate(FOCUSED).split("|")[1].split(","))
    assert explorer.locator("td.nn-selected").get_attribute("data-true") == str(t), (
        "Tab lands on the selected cell"
    )
    j, k = (t + 1) % 10 if t < 9 else t - 1, p  # one row down (or up from the last row)
    page.keyboard.press("ArrowDown" if t < 9 else "ArrowUp")
    assert page.evaluate(FOCUSED).endswith(f"|{j},{k}"), page.evaluate(FOCUSED)
    page.keyboard.press("Enter")
    page.wait_for_function(f"{HEADING}.startsWith('true {j} read as {k}:')")
    assert explorer.locator("td.nn-selected").get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowLeft" if k > 0 else "ArrowRight")
    k2 = k - 1 if k > 0 else k + 1
    page.keyboard.press(" ")
    page.wait_for_function(f"{HEADING}.startsWith('true {j} read as {k2}:')")
    assert page.evaluate(FOCUSED).endswith(f"|{j},{k2}"), "focus stays on the cell after selecting it"
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0, "Enter did not go to the notebook"
    # every mini-bar of every digit shown is labelled with its digit; the answer's bar is red
    items = explorer.locator(".nn-item")
    labels = items.first.locator(".nn-bar span").all_inner_texts()
    assert labels == [str(d) for d in range(10)], labels
    answer = items.first.locator(".nn-bar-answer .nn-bar-fill").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert answer == "rgb(192, 57, 43)", f"the answer bar is {answer}, the notebook's text says red"
    assert not page.errors, page.errors[:3]


def test_drawing_pad_test_digit_by_keyboard(page, lab):
    """From Clear, Tab goes to Test digit, and Enter loads a test digit: no mouse on the canvas needed."""
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    widget = page.locator(".nn-draw")
    widget.scroll_into_view_if_needed()
    widget.locator(".nn-clear").focus()
    page.keyboard.press("Enter")  # Clear, by keyboard
    page.wait_for_function(f"{PREDICTION} === '-1'")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "nn-load"
    page.keyboard.press("Enter")
    page.wait_for_function(f"{MESSAGE}.includes('Test digit')")
    assert widget.get_attribute("data-prediction") != "-1"
    first = page.evaluate(MESSAGE)
    page.keyboard.press(" ")  # Space presses it again: the next test digit
    page.wait_for_function(
        "(first) => { const m = document.querySelector('.nn-draw .nn-message').textContent;"
        " return m.includes('Test digit') && m !== first; }",
        arg=first,
    )
    assert widget.locator(".nn-pad").get_attribute("aria-label"), "the canvas says what it is for"
    assert widget.locator(".nn-probs .nn-bar span").all_inner_texts() == [str(d) for d in range(10)]
    assert page.locator(".jp-Notebook.jp-mod-editMode").count() == 0, "Enter did not go to the notebook"
    assert not page.errors, page.errors[:3]
