"""The exercise checkers pass the reference implementations and catch typical wrong answers.

Every wrong answer here is a plausible student attempt; the test asserts that the checker fails
with a CheckFailed (an AssertionError, so nbgrader scores the cell 0) whose message names the
specific problem, and that the verdict line was printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks, nn
from helpers.checks import CheckFailed
from helpers.checks.core import NOT_IMPLEMENTED, expect_array, shape_problem, value_problem
from helpers.data import one_hot


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
# Typical wrong answers, chapter by chapter
# --------------------------------------------------------------------------------------------
def test_scale_pixels_wrong_answers():
    fails(checks.check_scale_pixels, lambda r: r // 255, "integer dtype")
    fails(checks.check_scale_pixels, lambda r: r.astype(float), "reaches 255")
    fails(checks.check_scale_pixels, lambda r: r / 256, "a white pixel (255) becomes 0.9961")
    fails(checks.check_scale_pixels, lambda r: (r / 255).T, "transposed")


def test_scale_pixels_accepts_float32(capsys):
    """float32 keeps 7 digits, plenty for pixels (and what helpers.train uses); float16 does not."""
    checks.check_scale_pixels(lambda r: r.astype(np.float32) / 255)
    assert capsys.readouterr().out.startswith("✓")
    fails(checks.check_scale_pixels, lambda r: r.astype(np.float16) / 255, "float16")


def test_one_hot_wrong_answers():
    fails(checks.check_one_hot, lambda y: np.eye(10)[y], "has shape (8, 10), expected (10, 8)", "transposed")
    fails(checks.check_one_hot, lambda y: np.eye(10)[:, y] * 2, "column 0 of Y sums to 2")

    def off_by_one(y):
        Y = np.zeros((10, y.size))
        Y[(y + 1) % 10, np.arange(y.size)] = 1
        return Y

    fails(checks.check_one_hot, off_by_one, "shifted by one row", "labels y =")


def test_first_layer_wrong_answers():
    fails(checks.check_first_layer, lambda W1, b1, X: W1 @ X, "missing the bias")
    fails(checks.check_first_layer, lambda W1, b1, X: (W1 @ X + b1).T, "transposed")
    fails(checks.check_first_layer, lambda W1, b1, X: X @ W1 + b1, "raised ValueError")
    fails(checks.check_first_layer, lambda W1, b1, X: W1 @ X + b1.T, "raised ValueError")


def _forward_with(**changes):
    def forward(W1, b1, W2, b2, X):
        Z1 = W1 @ X + b1
        A1 = changes.get("A1", nn.relu)(Z1)
        Z2 = W2 @ (Z1 if changes.get("from_Z1") else A1) + b2
        A2 = changes.get("A2", nn.softmax)(Z2)
        return Z1, A1, Z2, A2

    return forward


def test_forward_prop_wrong_answers():
    fails(checks.check_forward_prop, _forward_with(A1=lambda Z: Z), "A1 equals Z1")
    fails(checks.check_forward_prop, _forward_with(from_Z1=True), "Z2 is computed from Z1")
    fails(checks.check_forward_prop, _forward_with(A2=nn.relu), "A2 uses ReLU")
    fails(checks.check_forward_prop, _forward_with(A2=lambda Z: nn.softmax(Z.T).T), "wrong axis")
    fails(checks.check_forward_prop, lambda *a: nn.forward_prop(*a)[:3], "should return 4 values")


def test_forward_prop_with_hard_coded_sizes_fails():
    def hard_coded(W1, b1, W2, b2, X):
        Z1 = W1 @ X + b1
        A1 = nn.relu(Z1)
        Z2 = W2 @ A1 + b2
        return Z1, A1, Z2, nn.softmax(Z2) + np.zeros((10, 6))

    fails(checks.check_forward_prop, hard_coded, "A2 has shape (10, 6), expected (10, 1)", "m = 1")


def test_relu_wrong_answers():
    def in_place(Z):
        Z[Z < 0] = 0
        return Z

    fails(checks.check_relu, in_place, "changed its input Z in place")
    fails(checks.check_relu, lambda Z: np.maximum(Z, 0).ravel(), "has shape (50,), expected (10, 5)")
    fails(checks.check_relu, lambda Z: np.abs(Z), "wrong where Z is negative")
    fails(checks.check_relu, lambda Z: np.maximum(Z, 0).sum(), "is a scalar")


def test_relu_deriv_wrong_answers():
    fails(checks.check_relu_deriv, nn.relu, "returns ReLU(Z) itself")
    fails(checks.check_relu_deriv, lambda Z: (Z >= 0).astype(float), "except at Z = 0")
    fails(checks.check_relu_deriv, lambda Z: (Z < 0).astype(float), "wrong where Z < 0")


def test_softmax_wrong_answers():
    def naive(Z):
        E = np.exp(Z)
        return E / E.sum(axis=0, keepdims=True)

    fails(checks.check_softmax, naive, "overflows on large logits")
    fails(checks.check_softmax, lambda Z: np.exp(Z) / np.exp(Z).sum(), "column 0 sums to")

    def by_rows(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    fails(checks.check_softmax, by_rows, "the rows sum to 1")
    fails(checks.check_softmax, lambda Z: nn.softmax(Z).T, "transposed")

    def no_exp(Z):
        return Z / Z.sum(axis=0, keepdims=True)

    fails(checks.check_softmax, no_exp, "notes' example")


def test_softmax_overflow_raises_no_runtime_warning():
    """pytest turns RuntimeWarnings into errors (pyproject): the naive overflow must stay silent."""

    def naive(Z):
        return np.exp(Z) / np.exp(Z).sum(axis=0)

    with pytest.raises(CheckFailed, match="overflows"):
        checks.check_softmax(naive)


def test_cross_entropy_wrong_answers():
    fails(checks.check_cross_entropy, lambda A2, Y: np.sum(Y * np.log(A2)) / Y.shape[1], "sign is flipped")
    fails(checks.check_cross_entropy, lambda A2, Y: -np.sum(Y * np.log(A2)), "a total, not a mean")
    fails(checks.check_cross_entropy, lambda A2, Y: -np.mean(Y * np.log(A2)), "divided by 10 m")
    fails(checks.check_cross_entropy, lambda A2, Y: -np.sum(Y * np.log(A2), axis=0), "single number")


def _output_with(db=None, dW_scale=1.0, transpose=False):
    def grads(A1, A2, Y):
        m = Y.shape[1]
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m * dW_scale
        db2 = db(dZ2) if db else dZ2.mean(axis=1, keepdims=True)
        return dZ2, dW2.T if transpose else dW2, db2

    return grads


def test_output_layer_grads_wrong_answers():
    fails(checks.check_output_layer_grads, _output_with(db=lambda d: np.sum(d) / d.shape[1]), "db2")
    message = fails(checks.check_output_layer_grads, _output_with(db=lambda d: np.sum(d) / d.shape[1]))
    assert "db2 is a single number, expected shape (10, 1)" in message
    fails(
        checks.check_output_layer_grads,
        _output_with(db=lambda d: np.mean(np.abs(d), axis=1, keepdims=True)),
        "db2 averages the absolute errors",
    )
    fails(checks.check_output_layer_grads, _output_with(db=lambda d: d.mean(axis=1)), "db2 has shape (10,)")
    fails(checks.check_output_layer_grads, _output_with(dW_scale=6.0), "dW2 is m = 6 times too large", "mean")
    fails(checks.check_output_layer_grads, _output_with(transpose=True), "dW2", "transposed")
    fails(
        checks.check_output_layer_grads,
        lambda A1, A2, Y: (A2 @ Y.T, None, None),
        "dZ2 has shape (10, 10), expected (10, 6)",
    )


def test_hidden_layer_grads_wrong_answers():
    def no_relu(Z1, W2, dZ2, X):
        dZ1 = W2.T @ dZ2
        return dZ1, dZ1 @ X.T / X.shape[1], dZ1.mean(axis=1, keepdims=True)

    fails(checks.check_hidden_layer_grads, no_relu, "dZ1 ignores the ReLU")

    def no_one_over_m(Z1, W2, dZ2, X):
        dZ1, _, db1 = _ref_hidden_grads(Z1, W2, dZ2, X)
        return dZ1, dZ1 @ X.T, db1

    fails(checks.check_hidden_layer_grads, no_one_over_m, "dW1 is m = 6 times too large", "a sum")

    def transposed(Z1, W2, dZ2, X):
        dZ1, dW1, db1 = _ref_hidden_grads(Z1, W2, dZ2, X)
        return dZ1, dW1.T, db1

    fails(checks.check_hidden_layer_grads, transposed, "dW1 has shape (784, 10), expected (10, 784)")


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


def test_functions_that_change_their_inputs_in_place_are_told_so():
    """The visible checks say what the hidden tests would otherwise only catch at grading."""

    def softmax_in_place(Z):
        Z -= Z.max(axis=0, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=0, keepdims=True)
        return Z

    def output_grads_in_place(A1, A2, Y):
        m = Y.shape[1]
        A2 -= Y
        return A2, A2 @ A1.T / m, A2.sum(axis=1, keepdims=True) / m

    with pytest.raises(CheckFailed, match="changed its input Z in place"):
        checks.check_softmax(softmax_in_place)
    with pytest.raises(CheckFailed, match="changed its input A2 in place"):
        checks.check_output_layer_grads(output_grads_in_place)
