"""The checkers of notebooks 04-05 pass the reference and name typical wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import metrics, nn
from helpers.checks.core import CheckFailed
from helpers.checks.metrics import check_confusion_matrix, check_get_accuracy, check_get_predictions
from helpers.checks.training import check_training_loop, check_update_params


def verdict_of(check, func, capsys) -> str:
    """The failing verdict (the exception's text), after checking it was also printed."""
    with pytest.raises(CheckFailed) as info:
        check(func)
    out = capsys.readouterr().out
    text = str(info.value)
    assert text.startswith("✗")
    assert text in out
    assert "\n" not in text
    return text


def passes(check, func, capsys) -> None:
    check(func)
    out = capsys.readouterr().out.strip()
    assert out.startswith("✓") and "all checks passed" in out


def stub(*args):
    raise NotImplementedError()


# --------------------------------------------------------------------------------------------
# update_params
# --------------------------------------------------------------------------------------------
def update_with(step):
    """An update_params that returns step(P, dP, alpha) for every parameter."""

    def update(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
        return tuple(step(P, dP, alpha) for P, dP in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)))

    return update


def test_update_params_reference_passes(capsys):
    passes(check_update_params, nn.update_params, capsys)


def test_update_params_that_changes_its_inputs_is_told_so(capsys):
    def in_place(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
        W1 -= alpha * dW1
        b1 -= alpha * db1
        W2 -= alpha * dW2
        b2 -= alpha * db2
        return W1, b1, W2, b2

    assert "changed its input W1 in place" in verdict_of(check_update_params, in_place, capsys)


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (lambda P, dP, a: P + a * dP, "uphill"),
        (lambda P, dP, a: P - dP, "learning rate alpha is missing"),
        (lambda P, dP, a: P - 0.1 * dP, "use the alpha argument"),
        (lambda P, dP, a: P, "unchanged"),
        (lambda P, dP, a: -a * dP, "start from the old"),
        (lambda P, dP, a: P - a * a * dP, "values are off"),
    ],
    ids=["wrong-sign", "forgot-alpha", "fixed-alpha", "unchanged", "no-old-value", "alpha-squared"],
)
def test_update_params_wrong_answers(step, words, capsys):
    text = verdict_of(check_update_params, update_with(step), capsys)
    assert words in text
    assert "update_params" in text


def test_update_params_wrong_order_names_the_shape(capsys):
    def swapped(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
        return W1 - alpha * dW1, W2 - alpha * dW2, b1 - alpha * db1, b2 - alpha * db2

    text = verdict_of(check_update_params, swapped, capsys)
    assert "b1" in text and "shape" in text


def test_update_params_three_values(capsys):
    text = verdict_of(check_update_params, lambda *a: a[:3], capsys)
    assert "should return 4 values" in text


def test_update_params_stub(capsys):
    assert "not implemented yet" in verdict_of(check_update_params, stub, capsys)


# --------------------------------------------------------------------------------------------
# get_predictions
# --------------------------------------------------------------------------------------------
def test_get_predictions_reference_passes(capsys):
    passes(check_get_predictions, nn.get_predictions, capsys)
    passes(check_get_predictions, lambda A2: np.argmax(A2, 0), capsys)


def test_get_predictions_wrong_axis(capsys):
    text = verdict_of(check_get_predictions, lambda A2: np.argmax(A2, axis=1), capsys)
    assert "shape (10,)" in text and "expected (7,)" in text


def test_get_predictions_flattened_argmax(capsys):
    text = verdict_of(check_get_predictions, lambda A2: np.argmax(A2), capsys)
    assert "scalar" in text


def test_get_predictions_max_instead_of_argmax(capsys):
    text = verdict_of(check_get_predictions, lambda A2: A2.max(axis=0), capsys)
    assert "largest probabilities" in text


def test_get_predictions_wrong_axis_on_square_input(capsys):
    """When m = 10 the wrong axis gives the right shape; the check still names it."""
    calls = []

    def sneaky(A2):
        calls.append(A2.shape)
        return A2.argmax(axis=0) if A2.shape[1] != A2.shape[0] else A2.argmax(axis=1)

    text = verdict_of(check_get_predictions, sneaky, capsys)
    assert "wrong axis" in text
    assert calls[-1] == (10, 10)


def test_get_predictions_stub(capsys):
    assert "not implemented yet" in verdict_of(check_get_predictions, stub, capsys)


# --------------------------------------------------------------------------------------------
# get_accuracy
# --------------------------------------------------------------------------------------------
def test_get_accuracy_reference_passes(capsys):
    passes(check_get_accuracy, nn.get_accuracy, capsys)
    passes(check_get_accuracy, lambda p, Y: np.sum(p == Y) / Y.size, capsys)


def test_get_accuracy_count(capsys):
    text = verdict_of(check_get_accuracy, lambda p, Y: np.sum(p == Y), capsys)
    assert "number of correct predictions" in text and "fraction" in text


def test_get_accuracy_percent(capsys):
    text = verdict_of(check_get_accuracy, lambda p, Y: 100 * np.mean(p == Y), capsys)
    assert "percentage" in text


def test_get_accuracy_error_rate(capsys):
    text = verdict_of(check_get_accuracy, lambda p, Y: np.mean(p != Y), capsys)
    assert "wrong predictions" in text


def test_get_accuracy_elementwise(capsys):
    text = verdict_of(check_get_accuracy, lambda p, Y: p == Y, capsys)
    assert "one number" in text


def test_get_accuracy_stub(capsys):
    assert "not implemented yet" in verdict_of(check_get_accuracy, stub, capsys)


# --------------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------------
def loop(record_after=False, keep=True, extra=0, fresh_init=False, stop_after=None):
    """A training loop with one optional mistake."""

    def training_loop(X, Y, params, alpha, iterations):
        if fresh_init:
            params = nn.init_params(X.shape[0], params[0].shape[0], params[2].shape[0], seed=7)
        losses = []
        for i in range(iterations + extra):
            if stop_after is not None and i == stop_after:
                break
            Z1, A1, Z2, A2 = nn.forward_prop(*params, X)
            if not record_after:
                losses.append(nn.cross_entropy(A2, Y))
            grads = nn.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y)
            new = nn.update_params(*params, *grads, alpha)
            if keep:
                params = new
            if record_after:
                losses.append(nn.cross_entropy(nn.forward_prop(*params, X)[3], Y))
        return params, losses

    return training_loop


def test_training_loop_reference_passes(capsys):
    passes(check_training_loop, loop(), capsys)


def test_training_loop_one_hot_free_of_dtype(capsys):
    """Returning the losses as an array instead of a list is fine."""
    base = loop()
    passes(check_training_loop, lambda *a: (base(*a)[0], np.array(base(*a)[1])), capsys)


def test_training_loop_loss_after_update(capsys):
    text = verdict_of(check_training_loop, loop(record_after=True), capsys)
    assert "after its update" in text


def test_training_loop_params_not_kept(capsys):
    text = verdict_of(check_training_loop, loop(keep=False), capsys)
    assert "did not change" in text


def test_training_loop_one_iteration_too_many(capsys):
    text = verdict_of(check_training_loop, loop(extra=1), capsys)
    assert "after 7 update(s), expected 6" in text


def test_training_loop_returns_early(capsys):
    text = verdict_of(check_training_loop, loop(stop_after=1), capsys)
    assert "after 1 update(s)" in text


def test_training_loop_fresh_init(capsys):
    text = verdict_of(check_training_loop, loop(fresh_init=True), capsys)
    assert "start from the params you are given" in text


def test_training_loop_missing_losses(capsys):
    base = loop()
    text = verdict_of(check_training_loop, lambda *a: base(*a)[0], capsys)
    assert "should return 2 values" in text


def test_training_loop_stub(capsys):
    assert "not implemented yet" in verdict_of(check_training_loop, stub, capsys)


# --------------------------------------------------------------------------------------------
# The confusion matrix
# --------------------------------------------------------------------------------------------
def loop_confusion(y_true, y_pred):
    C = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        C[t, p] += 1
    return C


def test_confusion_matrix_reference_passes(capsys):
    passes(check_confusion_matrix, metrics.confusion_matrix, capsys)
    passes(check_confusion_matrix, loop_confusion, capsys)


def test_confusion_matrix_transposed(capsys):
    text = verdict_of(check_confusion_matrix, lambda t, p: loop_confusion(p, t), capsys)
    assert "transposed" in text


def test_confusion_matrix_row_shares(capsys):
    def shares(t, p):
        C = loop_confusion(t, p).astype(float)
        return C / np.maximum(C.sum(axis=1, keepdims=True), 1)

    assert "shares of each row" in verdict_of(check_confusion_matrix, shares, capsys)


def test_confusion_matrix_only_seen_digits(capsys):
    """Sizing the matrix by the largest label seen breaks when a digit never occurs."""

    def sized_by_data(t, p):
        k = int(max(t.max(), p.max())) + 1
        C = np.zeros((k, k), dtype=int)
        np.add.at(C, (t, p), 1)
        return C

    text = verdict_of(check_confusion_matrix, sized_by_data, capsys)
    assert "shape (9, 9), expected (10, 10)" in text


def test_confusion_matrix_stub(capsys):
    assert "not implemented yet" in verdict_of(check_confusion_matrix, stub, capsys)


def test_training_loop_that_changes_the_given_params_is_told_so(capsys):
    base = loop()

    def in_place(X, Y, params, alpha, iterations):
        new_params, losses = base(X, Y, params, alpha, iterations)
        for p, q in zip(params, new_params):
            p[...] = q
        return new_params, losses

    assert "changed its input params in place" in verdict_of(check_training_loop, in_place, capsys)
