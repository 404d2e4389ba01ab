"""What a graded kernel sends back: a Fraction, a pandas table or an array of Python numbers is
the number or array it stands for, within limits; the memory a call held is measured where it ran."""

from __future__ import annotations

import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import checker_notebook as fx  # noqa: E402
import table_standin  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader (the 'instructor' extra) is not installed")

from helpers.assignments import kernel_side, wire  # noqa: E402
from helpers.assignments.grade import grade_submission  # noqa: E402
from helpers.assignments.sandbox import Limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell=60, notebook=120, memory_mb=2048)


def _returned(tmp_path, value):
    """What the grader reads back when the kernel's function returns ``value``."""
    wire.dump(tmp_path / "in.npz", [[], {}])
    kernel_side.call({"f": lambda: value}, "f", str(tmp_path / "in.npz"), str(tmp_path / "out.npz"))
    return wire.load(tmp_path / "out.npz")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 3), 1 / 3),
        (Decimal("0.25"), 0.25),
        (np.array(Fraction(1, 2)), np.array(0.5)),
        (np.array([Fraction(1, 2), 3], dtype=object), np.array([0.5, 3.0])),
        ((np.float32(1.5), [Fraction(1, 4)]), (np.float32(1.5), [0.25])),
        (np.array(2.5), np.array(2.5)),
    ],
)
def test_numbers_of_other_kinds_come_back_as_numbers(tmp_path, value, expected):
    out = _returned(tmp_path, value)
    assert "error" not in out, out  # the old kernel side: "returned a Fraction that cannot be graded"
    np.testing.assert_equal(out["result"], expected)


def test_pandas_tables_come_back_as_their_arrays(tmp_path):
    frame = table_standin.DataFrame([[1.0, 0.5], [2.0, Fraction(1, 4)]])
    np.testing.assert_array_equal(_returned(tmp_path, frame)["result"], [[1.0, 0.5], [2.0, 0.25]])
    np.testing.assert_array_equal(_returned(tmp_path, table_standin.DataFrame([1, 2]))["result"], [1, 2])


def test_what_is_too_big_or_not_numbers_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(wire, "MAX_ELEMENTS", 10)
    out = _returned(tmp_path, np.array([Fraction(1, 2)] * 11, dtype=object))
    assert out["error"][0] == "TypeError" and "11 values (at most 10)" in out["error"][1]
    out = _returned(tmp_path, np.array(["a", None], dtype=object))
    assert "array of Python objects that are not numbers" in out["error"][1]
    deep: list = []
    for _ in range(kernel_side.MAX_DEPTH + 2):
        deep = [deep]
    assert "nested more than" in _returned(tmp_path, deep)["error"][1]


def test_a_table_and_fractions_score_through_the_grader(tmp_path):
    src = fx.write_source_dir(tmp_path / "source")
    exact = (
        "from fractions import Fraction\n\ndef relu(Z):\n"
        "    return np.vectorize(Fraction, otypes=[object])(np.maximum(Z, 0))"
    )
    table = (  # a pandas table as the grader sees one (pandas itself is not a course dependency)
        "class DataFrame:\n    __module__ = 'pandas.core.frame'\n\n    def __init__(self, a):\n"
        "        self.a = a\n\n    def to_numpy(self):\n        return self.a.astype(object)\n\n"
        "def softmax(Z):\n    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
        "    return DataFrame(E / E.sum(axis=0, keepdims=True))"
    )
    nb = fx.with_solution(fx.with_solution(fx.make_instructor_notebook(), "relu", exact), "softmax", table)
    (tmp_path / "sub").mkdir()
    nbformat.write(nb, tmp_path / "sub" / fx.NAME)
    r = grade_submission(tmp_path / "sub" / fx.NAME, src.parent, LIMITS)
    assert {e.grade_id: e.points for e in r.exercises} == fx.POINTS, [e.message for e in r.exercises]


def _chapter7(solution: str) -> nbformat.NotebookNode:
    """A notebook of chapter 7's blocked_gradients exercise and its check cell, as the course has them."""
    course = nbformat.read(ROOT / "notebooks" / "07_making_it_fast.ipynb", 4)
    cells = {(c.metadata.get("nbgrader") or {}).get("grade_id"): c for c in course.cells}
    setup = (
        "import numpy as np\nimport helpers\n"
        "from helpers import backward_prop, forward_prop\nfrom helpers.checks import check_blocked_gradients"
    )
    sol, check = cells["blocked_gradients"], cells["check_blocked_gradients"]
    sol = nbformat.v4.new_code_cell(solution or sol.source, metadata=sol.metadata)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup), sol, check])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


IGNORES_BLOCK = (
    "def blocked_gradients(W1, b1, W2, b2, X, Y, block):\n"
    "    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n"
    "    return tuple(backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y))"
)


@pytest.mark.parametrize(("solution", "points"), [("", 1.0), (IGNORES_BLOCK, 0.0)])
def test_a_full_batch_pass_that_ignores_block_fails_in_the_grader_too(tmp_path, solution, points):
    """In process the checker sees the memory of one full-batch pass; in the grader the function
    runs in the kernel, which now measures it there (the old grader gave this 1/1)."""
    (tmp_path / "source").mkdir()
    nbformat.write(_chapter7(""), tmp_path / "source" / "07_blocked.ipynb")
    (tmp_path / "sub").mkdir()
    nbformat.write(_chapter7(solution), tmp_path / "sub" / "07_blocked.ipynb")
    r = grade_submission(tmp_path / "sub" / "07_blocked.ipynb", tmp_path / "source", LIMITS)
    assert [e.points for e in r.exercises] == [points], [e.message for e in r.exercises]
    if not points:
        assert "full-batch pass" in r.exercises[0].message
