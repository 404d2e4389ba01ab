"""A student's "Restart Kernel and Run All": a failing check flags the exercise once, in red, and
the rest of the chapter runs on the course's reference; nbgrader still sees the failure."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELLS = [
    "import numpy as np\nfrom helpers.checks import check_softmax",
    "def softmax(Z):\n    return Z",
    "check_softmax(softmax)",
    "print(softmax(np.zeros((2, 1))).ravel())",
]


def _run(env: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in CELLS])
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()  # allow_errors=False
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


def test_run_all_goes_on_after_a_failing_check():
    nb = _run({})
    check, after = _text(nb.cells[2]), _text(nb.cells[3])
    assert check.count("✗ softmax") == 1 and "\x1b[31mNot passed yet" in check
    assert "helpers.softmax" in check
    assert after.strip() == "[0.5 0.5]"  # the reference stood in


def test_nbgrader_execution_still_fails_the_cell(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with pytest.raises(CellExecutionError) as info:
        _run({"NBGRADER_EXECUTION": "autograde"})
    assert str(info.value).count("✗ softmax") >= 1
