"""The checkers' machinery: verdicts, tolerances, the call wrapper, and every checker passing
the reference and failing the stub and odd results with a verdict.

Wrong answers of the notebooks' exercises are the mutation suite's (``tests/mutants``,
``test_mutations.py``); here are only those of ``check_backward_prop``, which no notebook asks for.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import table_standin  # noqa: E402

from helpers import checks, nn  # noqa: E402
from helpers.checks import CheckFailed  # noqa: E402
from helpers.checks.compare import (  # noqa: E402
    as_array_or_none,
    expect_array,
    expect_number,
    shape_problem,
    value_problem,
)
from helpers.checks.core import (  # noqa: E402
    NOT_IMPLEMENTED,
    call_student,
)
from helpers.data import one_hot  # noqa: E402

#: Every checker the package exports.
ALL_CHECKS = [getattr(checks, n) for n in checks.__all__ if n.startswith("check_")]


def stub(*args, **kwargs):
    """What a notebook's exercise looks like before the student fills it in."""
    raise NotImplementedError()


def fails(check, func, *fragments: str, capsys=None) -> str:
    """Run ``check(func)``, assert it fails with a message containing every fragment."""
    with pytest.raises(CheckFailed) as info:
        check(func)
    message = str(info.value)
    assert message.startswith("✗ "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert isinstance(info.value, AssertionError)
    if capsys is not None:
        assert capsys.readouterr().out.strip() == message  # printed once, the same line
    return message


# --------------------------------------------------------------------------------------------
# core
# --------------------------------------------------------------------------------------------
def test_shape_problem_names_the_usual_mistakes():
    assert shape_problem("db2", (10, 1), (10, 1)) is None
    assert shape_problem("db2", (), (10, 1)) == "db2 is a scalar, expected shape (10, 1)"
    assert "transposed" in shape_problem("Z1", (5, 10), (10, 5))
    assert "column vector" in shape_problem("b1", (10,), (10, 1))
    assert shape_problem("W1", (3, 4), (10, 784)) == "W1 has shape (3, 4), expected (10, 784)"


def test_value_problem_names_scale_sign_and_first_wrong_entry():
    e = np.arange(1.0, 7.0).reshape(2, 3)
    assert value_problem("A", e.copy(), e) is None
    assert "opposite sign" in value_problem("A", -e, e)
    assert "5 times" in value_problem("A", 5 * e, e)
    wrong = e.copy()
    wrong[1, 2] = 0.5
    message = value_problem("A", wrong, e)
    assert "the shape is right but the values are off" in message
    assert "A[1, 2] is 0.5, expected 6" in message and "1 of 6 entries" in message
    assert "nan" in value_problem("A", np.full_like(e, np.nan), e)


def test_value_problem_prints_enough_digits_to_show_the_difference():
    e = np.array([[-0.009901234]])
    message = value_problem("Z1", e * (1 + 3e-5), e)
    got, expected = re.search(r"Z1\[0, 0\] is (\S+), expected (\S+) ", message).groups()
    assert got != expected and float(got) != float(expected), message
    two = np.array([[-0.009901234, 1.0]])
    message = value_problem("Z1", two * [[1.5, 1]], two)
    assert message.endswith("is -0.01485, expected -0.009901 (1 of 2 entries differ)"), message


def test_value_problem_calls_zeros_zeros_not_a_multiple():
    message = value_problem("Z1", np.zeros((2, 3)), np.arange(1.0, 7.0).reshape(2, 3))
    assert "all zeros" in message and "times" not in message


def test_a_tiny_loss_of_the_other_sign_is_not_called_flipped():
    """-9e-09 against 9e-10 is not -1 times the expected value: the tolerance is absolute there."""
    from helpers.checks.activations import _loss_problem

    message = _loss_problem(-9e-9, 9e-10, 4, 10, 1e-5, 1e-12)
    assert message and "sign" not in message and "never negative" in message
    assert "sign is flipped" in _loss_problem(-0.7, 0.7, 4, 10, 1e-5, 1e-12)


def test_float32_results_get_float32_tolerances_float64_keep_theirs():
    e = np.array([1.0, 2.0, 3.0])
    off = e * (1 + 3e-5)
    assert value_problem("A", off, e) is not None
    expect_array("demo", "A", off.astype(np.float32), e)  # 7 digits are all float32 has
    with pytest.raises(CheckFailed):
        expect_array("demo", "A", (e * (1 + 1e-3)).astype(np.float32), e)


def test_numbers_and_tables_of_other_libraries_are_read_as_numbers():
    from fractions import Fraction

    assert expect_number("demo", "x", Fraction(7, 10)) == 0.7
    assert expect_number("demo", "x", np.array(0.5)) == 0.5
    assert as_array_or_none([Fraction(1, 2), Fraction(1, 4)]).tolist() == [0.5, 0.25]
    assert as_array_or_none(table_standin.DataFrame(np.eye(2))).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    for one in (np.array([0.5]), np.array([[0.5]])):
        with pytest.raises(CheckFailed, match=r"one number, got an array of shape \(1"):
            expect_number("demo", "x", one)
    assert as_array_or_none(np.array([1 + 2j])) is None


def test_call_student_names_the_input_changed_in_place_and_never_touches_the_callers():
    W, X = np.ones((2, 3)), np.ones((3, 4))

    def zeroes(W, X):
        X[...] = 0
        return W @ X

    with pytest.raises(CheckFailed, match="changed its input X in place"):
        call_student("demo", zeroes, W, X, labels=("W", "X"))
    assert X.all(), "the caller's array is untouched"


@pytest.mark.parametrize(
    ("func", "words"),
    [
        (
            lambda W1, b1, X: W1 @ X + b1.T,
            "do not broadcast together were combined entry by entry (shapes (10,6) and (1,10))",
        ),
        (lambda W1, b1, X: X @ W1 + b1, "a matrix product of shapes that do not fit"),
        (lambda W1, b1, X: W1[0, 0, 0], "indexed with more axes than it has"),
        (lambda W1, b1, X: W1 @ X + b1 if b1 else None, "where one True or False is needed"),
    ],
)
def test_numpy_errors_are_said_in_words_with_the_shapes_of_the_inputs(func, words):
    message = fails(
        checks.check_first_layer, func, "raised", words, "(the inputs: W1 (10, 784), b1 (10, 1), X (784, 6))"
    )
    assert "operands" not in message and "gufunc" not in message


ODD_RESULTS = {
    "a string": lambda *a: "0.5",
    "a dict": lambda *a: {"a": 1},
    "complex numbers": lambda *a: np.ones((10, 10)) * 1j,
    "a ragged list": lambda *a: [[1.0, 2.0], [3.0]],
    "a tuple of strings": lambda *a: ("a", "b", "c", "d"),
    "nested tuples": lambda *a: ((1.0,), ((2.0, 3.0),), (), ((),)),
    "an object array": lambda *a: np.array([None, 1.0], dtype=object),
    "a generator": lambda *a: (x for x in range(3)),
}


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.__name__ for c in ALL_CHECKS])
@pytest.mark.parametrize("what", list(ODD_RESULTS))
def test_an_odd_result_gets_a_verdict_never_a_traceback(check, what):
    with pytest.raises(CheckFailed):
        check(ODD_RESULTS[what])


def test_expect_array_prints_and_raises_the_same_line(capsys):
    with pytest.raises(CheckFailed) as info:
        expect_array("demo", "db2", np.float64(0.3), np.zeros((10, 1)))
    assert str(info.value) == "✗ demo: db2 is a scalar, expected shape (10, 1)"
    assert capsys.readouterr().out.strip() == str(info.value)


def test_crashes_and_missing_return_become_verdicts():
    def crashes(Z):
        return Z @ np.ones((3, 3))

    fails(checks.check_softmax, crashes, "raised ValueError")
    fails(checks.check_softmax, lambda Z: None, "returned None")
    fails(checks.check_softmax, "softmax", "expected a function")


# --------------------------------------------------------------------------------------------
# Every checker passes the reference and fails the stub
# --------------------------------------------------------------------------------------------
def _ref_scale(rows):
    return rows / 255.0


def _ref_first_layer(W1, b1, X):
    return W1 @ X + b1


def _ref_cross_entropy(A2, Y):
    return nn.cross_entropy(A2, Y)


def _ref_output_grads(A1, A2, Y):
    m = Y.shape[1]
    dZ2 = A2 - Y
    return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m


def _ref_hidden_grads(Z1, W2, dZ2, X):
    m = X.shape[1]
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m


REFERENCES = [
    (checks.check_scale_pixels, _ref_scale),
    (checks.check_one_hot, one_hot),
    (checks.check_first_layer, _ref_first_layer),
    (checks.check_forward_prop, nn.forward_prop),
    (checks.check_relu, nn.relu),
    (checks.check_relu_deriv, nn.relu_deriv),
    (checks.check_softmax, nn.softmax),
    (checks.check_cross_entropy, _ref_cross_entropy),
    (checks.check_output_layer_grads, _ref_output_grads),
    (checks.check_hidden_layer_grads, _ref_hidden_grads),
    (checks.check_backward_prop, nn.backward_prop),
]


@pytest.mark.parametrize("check, reference", REFERENCES, ids=[c.__name__ for c, _ in REFERENCES])
def test_checker_passes_the_reference(check, reference, capsys):
    check(reference)
    out = capsys.readouterr().out.strip()
    assert out.startswith("✓ ") and out.endswith(": all checks passed"), out


@pytest.mark.parametrize("check", [c for c, _ in REFERENCES], ids=[c.__name__ for c, _ in REFERENCES])
def test_checker_reports_an_unfinished_stub(check, capsys):
    message = fails(check, stub, NOT_IMPLEMENTED, capsys=capsys)
    assert message == f"✗ {check.__name__.removeprefix('check_')}: {NOT_IMPLEMENTED}"


# --------------------------------------------------------------------------------------------
# Wrong answers live in the mutation suite (tests/mutants, test_mutations.py); here only what
# is not a notebook exercise (backward_prop) and the checkers' own behaviour
# --------------------------------------------------------------------------------------------
def test_softmax_overflow_raises_no_runtime_warning():
    """pytest turns RuntimeWarnings into errors (pyproject): the naive overflow must stay silent."""

    def naive(Z):
        return np.exp(Z) / np.exp(Z).sum(axis=0)

    with pytest.raises(CheckFailed, match="overflows"):
        checks.check_softmax(naive)


def test_backward_prop_wrong_answers():
    def scalar_db2(*args):
        dW1, db1, dW2, db2 = nn.backward_prop(*args)
        return dW1, db1, dW2, np.float64(db2.mean())

    fails(checks.check_backward_prop, scalar_db2, "db2 is a single number, expected shape (10, 1)")

    def swapped(*args):
        dW1, db1, dW2, db2 = nn.backward_prop(*args)
        return dW2, db2, dW1, db1

    fails(checks.check_backward_prop, swapped, "has shape")


def test_ipython_shows_the_verdict_not_the_checker_code():
    """In a notebook a failed check renders as one line, without the checker's source lines."""
    with pytest.raises(CheckFailed) as info:
        checks.check_relu(lambda Z: Z)
    rendered = info.value._render_traceback_()
    assert len(rendered) == 1 and rendered[0].endswith(str(info.value))
    assert "reference" not in rendered[0]
