"""Tests for the network in helpers.nn, each against an independent computation.

Gradients are checked against central finite differences of the loss, forward propagation
against a plain per-example loop, softmax against math.exp.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from helpers import nn
from helpers.nn import (
    backward_prop,
    cross_entropy,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    init_params,
    predict,
    predict_proba,
    relu,
    relu_deriv,
    softmax,
    update_params,
)
from helpers.validation import check_network


def one_hot_of(y: np.ndarray, k: int) -> np.ndarray:
    """One-hot (k, m), built here so the tests do not depend on helpers.data.one_hot."""
    return np.eye(k)[y].T


def small_problem(n: int = 6, h: int = 4, k: int = 3, m: int = 7, margin: float = 0.05):
    """Float64 params, X (n, m) and labels (m,) whose Z1 keeps away from ReLU's kink at 0.

    Seeds are tried in order until every |Z1| exceeds ``margin`` and Z1 has entries of both
    signs (so the ReLU mask is exercised); the result is deterministic.
    """
    for seed in range(1000):
        rng = np.random.default_rng(seed)
        W1 = rng.standard_normal((h, n))
        b1 = rng.standard_normal((h, 1)) * 0.5
        W2 = rng.standard_normal((k, h))
        b2 = rng.standard_normal((k, 1)) * 0.5
        X = rng.standard_normal((n, m))
        Z1 = W1 @ X + b1
        if np.abs(Z1).min() > margin and (Z1 > 0).any() and (Z1 < 0).any():
            y = rng.integers(0, k, m)
            y[: min(k, m)] = np.arange(min(k, m))  # many classes present
            return (W1, b1, W2, b2), X, y
    raise AssertionError("no seed gave a kink-free problem")


# --------------------------------------------------------------------------------------------
# init_params
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["he", "notes"])
def test_init_params_shapes_and_dtypes(scheme):
    W1, b1, W2, b2 = init_params(seed=0, scheme=scheme)
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((10, 784), (10, 1), (10, 10), (10, 1))
    assert all(p.dtype == np.float64 for p in (W1, b1, W2, b2))
    params = init_params(5, 3, 4, seed=0, scheme=scheme, dtype=np.float32)
    assert [p.shape for p in params] == [(3, 5), (3, 1), (4, 3), (4, 1)]
    assert all(p.dtype == np.float32 for p in params)


@pytest.mark.parametrize("scheme", ["he", "notes"])
def test_init_params_seeding(scheme):
    a = init_params(20, 7, 10, seed=1, scheme=scheme)
    b = init_params(20, 7, 10, seed=1, scheme=scheme)
    c = init_params(20, 7, 10, seed=2, scheme=scheme)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], c[2])


def test_init_params_notes_uniform():
    params = init_params(784, 50, 200, seed=0, scheme="notes")
    for p in params:
        assert p.min() >= -0.5 and p.max() < 0.5
    everything = np.concatenate([p.ravel() for p in params])
    assert everything.min() < -0.49 and everything.max() > 0.49  # covers the interval
    assert abs(everything.mean()) < 0.01
    assert abs(everything.std() - math.sqrt(1 / 12)) < 0.01  # std of U(-0.5, 0.5)
    assert np.any(params[1] != 0) and np.any(params[3] != 0)  # biases random too


def test_init_params_he():
    W1, b1, W2, b2 = init_params(784, 100, 1000, seed=0, scheme="he")
    assert W1.std() == pytest.approx(math.sqrt(2 / 784), rel=0.03)
    assert W2.std() == pytest.approx(math.sqrt(2 / 100), rel=0.03)
    assert abs(W1.mean()) < 0.1 * W1.std() and abs(W2.mean()) < 0.1 * W2.std()
    np.testing.assert_array_equal(b1, np.zeros((100, 1)))
    np.testing.assert_array_equal(b2, np.zeros((1000, 1)))


def test_init_params_default_scheme_is_he():
    for p, q in zip(init_params(30, 8, 10, seed=4), init_params(30, 8, 10, seed=4, scheme="he")):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(n_hidden=0), "n_hidden"),
        (dict(n_hidden=-3), "n_hidden"),
        (dict(n_hidden=2.5), "n_hidden"),
        (dict(n_input=0), "n_input"),
        (dict(n_output=0), "n_output"),
        (dict(scheme="xavier"), "scheme"),
    ],
)
def test_init_params_bad_args(kwargs, words):
    with pytest.raises(ValueError, match=words):
        init_params(**kwargs)


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------
def test_relu_hand_cases():
    Z = np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, -1e-12]])
    np.testing.assert_array_equal(relu(Z), [[0, 0, 3], [0.5, 0, 0]])
    np.testing.assert_array_equal(relu_deriv(Z), [[0, 0, 1], [1, 0, 0]])
    assert relu(Z).shape == Z.shape and relu_deriv(Z).shape == Z.shape
    assert relu_deriv(Z.astype(np.float32)).dtype == np.float32
    assert relu(Z.astype(np.float32)).dtype == np.float32
    assert relu_deriv(np.array([-1, 0, 2])).tolist() == [0, 0, 1]


def test_relu_does_not_modify_input():
    Z = np.array([-1.0, 2.0])
    relu(Z)
    relu_deriv(Z)
    np.testing.assert_array_equal(Z, [-1.0, 2.0])


def test_softmax_notes_example():
    logits = [1.3, 5.1, 2.2, 0.7, 1.1]
    A = softmax(np.array(logits).reshape(5, 1))
    exps = [math.exp(z) for z in logits]
    np.testing.assert_allclose(A[:, 0], [e / sum(exps) for e in exps], rtol=1e-12)
    np.testing.assert_array_equal(np.round(A[:, 0], 2), [0.02, 0.90, 0.05, 0.01, 0.02])


def test_softmax_columns_are_distributions():
    Z = np.random.default_rng(0).standard_normal((10, 25)) * 5
    A = softmax(Z)
    assert A.shape == Z.shape
    assert np.all(A > 0)
    np.testing.assert_allclose(A.sum(axis=0), 1, rtol=1e-12)
    for j in range(Z.shape[1]):  # against a direct per-column computation
        e = np.exp(Z[:, j])
        np.testing.assert_allclose(A[:, j], e / e.sum(), rtol=1e-12)


def test_softmax_shift_invariant_per_column():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((4, 6))
    shift = rng.standard_normal((1, 6)) * 100
    np.testing.assert_allclose(softmax(Z + shift), softmax(Z), rtol=1e-10)


def test_softmax_does_not_modify_input():
    Z = np.array([[1.0, 2.0], [3.0, 4.0]])
    softmax(Z)
    np.testing.assert_array_equal(Z, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_extreme_logits(dtype):
    Z = np.array([[1e4, -1e4, 1e4], [-1e4, 1e4, 1e4], [0, 0, -1e4]], dtype=dtype)
    # Underflow of exp(-2e4) to 0 is expected and harmless; overflow, 0/0 or NaN are not.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        A = softmax(Z)
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A, [[1, 0, 0.5], [0, 1, 0.5], [0, 0, 0]], atol=1e-6)


def test_softmax_rejects_1d():
    with pytest.raises(ValueError, match="2-D"):
        softmax(np.array([1.0, 2.0]))


# --------------------------------------------------------------------------------------------
# Forward propagation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("h", "k"), [(4, 3), (10, 10), (1, 10)])
def test_forward_prop_matches_per_example_loop(h, k):
    rng = np.random.default_rng(h)
    n, m = 6, 7
    W1, b1 = rng.standard_normal((h, n)), rng.standard_normal((h, 1))
    W2, b2 = rng.standard_normal((k, h)), rng.standard_normal((k, 1))
    X = rng.random((n, m))
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    assert (Z1.shape, A1.shape, Z2.shape, A2.shape) == ((h, m), (h, m), (k, m), (k, m))
    for j in range(m):
        z1 = [sum(W1[r, c] * X[c, j] for c in range(n)) + b1[r, 0] for r in range(h)]
        a1 = [max(v, 0.0) for v in z1]
        z2 = [sum(W2[r, c] * a1[c] for c in range(h)) + b2[r, 0] for r in range(k)]
        e = [math.exp(v - max(z2)) for v in z2]
        np.testing.assert_allclose(Z1[:, j], z1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(A1[:, j], a1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(Z2[:, j], z2, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(A2[:, j], [v / sum(e) for v in e], rtol=1e-12, atol=1e-15)


def test_forward_prop_keeps_float32():
    params = init_params(784, 10, 10, seed=0, dtype=np.float32)
    X = np.random.default_rng(0).random((784, 5), dtype=np.float32)
    assert all(a.dtype == np.float32 for a in forward_prop(*params, X))


# The formulas run bare; check_network, at the entry of the loops and evaluate, names the array.
@pytest.mark.parametrize(
    ("which", "bad", "pattern"),
    [
        ("X", np.zeros((5, 7)), r"X has shape \(5, 7\), expected \(6, m\)"),
        ("X", np.zeros(6), r"X has shape \(6,\), expected \(6, m\)"),
        ("b1", np.zeros(4), r"b1 has shape \(4,\), expected \(4, 1\)"),
        ("b1", np.zeros((5, 1)), r"b1 has shape \(5, 1\), expected \(4, 1\)"),
        ("W2", np.zeros((3, 5)), r"W2 has shape \(3, 5\), expected \(3, 4\)"),
        ("b2", np.zeros((1, 3)), r"b2 has shape \(1, 3\), expected \(3, 1\)"),
        ("W1", np.zeros(24), r"W1 must be 2-D .*\(24,\)"),
    ],
)
def test_network_shape_errors_are_named_at_the_entry(which, bad, pattern):
    (W1, b1, W2, b2), X, y = small_problem()
    args = dict(W1=W1, b1=b1, W2=W2, b2=b2, X=X)
    args[which] = bad
    params = tuple(args[name] for name in ("W1", "b1", "W2", "b2"))
    with pytest.raises(ValueError, match=pattern):
        check_network(params, args["X"], y)
    with pytest.raises(ValueError, match=pattern):
        evaluate(params, args["X"], y)
    if np.ndim(bad) == 2:  # bare: NumPy's own error (a 1-D W1 or X can even pass unnoticed)
        with pytest.raises(ValueError):
            forward_prop(**args)


# --------------------------------------------------------------------------------------------
# Backward propagation: every gradient against central finite differences
# --------------------------------------------------------------------------------------------
def numerical_gradients(params, X, Y, eps: float = 1e-6) -> list[np.ndarray]:
    """Central differences of cross_entropy(forward_prop(...)[3], Y) w.r.t. each parameter."""
    grads = []
    for i, p in enumerate(params):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            shifted = [q.copy() for q in params]
            shifted[i][idx] = p[idx] + eps
            up = cross_entropy(forward_prop(*shifted, X)[3], Y)
            shifted[i][idx] = p[idx] - eps
            down = cross_entropy(forward_prop(*shifted, X)[3], Y)
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


@pytest.mark.parametrize("k", [3, 10])
def test_backward_prop_matches_finite_differences(k):
    params, X, y = small_problem(k=k)
    W1, b1, W2, b2 = params
    h, m = W1.shape[0], X.shape[1]
    numeric = numerical_gradients(params, X, y)
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    for Y in (y, one_hot_of(y, k)):
        grads = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        assert [g.shape for g in grads] == [(h, 6), (h, 1), (k, h), (k, 1)]
        for name, g, num in zip(("dW1", "db1", "dW2", "db2"), grads, numeric):
            assert np.all(num.shape == g.shape)
            assert np.linalg.norm(num) > 1e-4, f"{name}: finite differences vanish, a weak check"
            assert relative_error(g, num) < 1e-7, name
    # The ReLU mask matters here: some hidden units are off for some examples.
    assert 0 < np.count_nonzero(Z1 > 0) < Z1.size
    assert m == 7


def test_backward_prop_labels_and_one_hot_identical():
    params, X, y = small_problem(k=10)
    W1, _, W2, _ = params
    cache = forward_prop(*params, X)
    a = backward_prop(*cache, W1, W2, X, y)
    b = backward_prop(*cache, W1, W2, X, one_hot_of(y, 10))
    for g, q in zip(a, b):
        np.testing.assert_allclose(g, q, rtol=1e-14, atol=1e-16)


def test_backward_prop_bias_gradients_are_means_over_examples():
    params, X, y = small_problem(k=3)
    W1, _, W2, _ = params
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    _, db1, _, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, y)
    dZ2 = A2 - one_hot_of(y, 3)
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    assert db2.shape == (3, 1) and db1.shape == (4, 1)
    np.testing.assert_allclose(db2[:, 0], [dZ2[i].sum() / 7 for i in range(3)], rtol=1e-12)
    np.testing.assert_allclose(db1[:, 0], [dZ1[i].sum() / 7 for i in range(4)], rtol=1e-12, atol=1e-15)


def test_backward_prop_does_not_modify_inputs():
    params, X, y = small_problem()
    cache = forward_prop(*params, X)
    copies = [a.copy() for a in (*cache, *params, X, y)]
    backward_prop(*cache, params[0], params[2], X, y)
    for a, c in zip((*cache, *params, X, y), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    ("which", "pattern"),
    [
        ("Z1", "broadcast"),  # the cache's shapes: NumPy's own error, the formulas run bare
        ("A2", "broadcast"),
        ("W2", "mismatch|aligned|broadcast"),
        ("Y", r"Y has 6 examples, expected 7"),
        ("Y1h", r"Y is one-hot with 4 rows, expected 3"),
        ("Ylabel", r"Y holds labels 1\.\.3, expected 0\.\.2"),
        ("Yrow", r"Y has shape \(1, 7\): labels must be 1-D"),
        ("Yproba", r"not one-hot: every column must hold exactly one 1"),
    ],
)
def test_backward_prop_shape_errors(which, pattern):
    params, X, y = small_problem()
    W1, _, W2, _ = params
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    args = dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2, W1=W1, W2=W2, X=X, Y=y)
    if which in ("Z1", "A2"):
        args[which] = args[which][:, :6]
    elif which == "X":
        args["X"] = X[:5]
    elif which == "W2":
        args["W2"] = np.zeros((3, 5))
    elif which == "Y":
        args["Y"] = y[:6]
    elif which == "Y1h":
        args["Y"] = one_hot_of(y, 4)
    elif which == "Yrow":
        args["Y"] = y.reshape(1, -1)
    elif which == "Yproba":
        args["Y"] = A2
    else:
        args["Y"] = np.where(y == 0, 3, y)
    with pytest.raises(ValueError, match=pattern):
        backward_prop(**args)


def test_backward_prop_is_bare_so_a_wrong_x_gives_a_wrong_shape_that_update_params_refuses():
    params, X, y = small_problem()
    cache = forward_prop(*params, X)
    dW1 = backward_prop(*cache, params[0], params[2], X[:5], y)[0]
    assert dW1.shape == (4, 5)  # not W1's (4, 6): check_network is the place that names X
    with pytest.raises(ValueError, match="broadcast"):
        update_params(*params, dW1, *params[1:], 0.1)


# --------------------------------------------------------------------------------------------
# update_params
# --------------------------------------------------------------------------------------------
def test_update_params_arithmetic():
    rng = np.random.default_rng(7)
    params = [rng.standard_normal(s) for s in ((4, 6), (4, 1), (3, 4), (3, 1))]
    grads = [rng.standard_normal(p.shape) for p in params]
    before = [p.copy() for p in params]
    new = update_params(*params, *grads, 0.25)
    for p, g, q, b in zip(params, grads, new, before):
        for idx in np.ndindex(p.shape):
            assert q[idx] == pytest.approx(b[idx] - 0.25 * g[idx], rel=1e-15, abs=1e-15)
        np.testing.assert_array_equal(p, b)  # new arrays, the old ones untouched
    for p, q in zip(params, update_params(*params, *grads, 0.0)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("i", range(4))
def test_update_params_shape_errors(i):
    params = [np.zeros(s) for s in ((4, 6), (4, 1), (3, 4), (3, 1))]
    grads = [np.zeros_like(p) for p in params]
    grads[i] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="broadcast"):  # bare: NumPy's own error
        update_params(*params, *grads, 0.1)


# --------------------------------------------------------------------------------------------
# Loss, predictions, accuracy
# --------------------------------------------------------------------------------------------
def test_cross_entropy_hand_case():
    A2 = np.array([[0.7, 0.1], [0.2, 0.6], [0.1, 0.3]])
    y = np.array([0, 2])
    expected = -(math.log(0.7) + math.log(0.3)) / 2
    assert cross_entropy(A2, y) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy(A2, one_hot_of(y, 3)) == pytest.approx(expected, rel=1e-14)
    assert isinstance(cross_entropy(A2, y), float)


def test_cross_entropy_zero_probability_is_finite():
    A2 = np.array([[0.0, 1.0], [1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cross_entropy(A2, np.array([0, 0]))
    assert math.isfinite(loss) and loss > 100
    assert math.isfinite(cross_entropy(A2.astype(np.float32), np.array([0, 1])))


def test_cross_entropy_errors():
    A2 = np.full((3, 4), 1 / 3)
    with pytest.raises(ValueError, match="Y has 3 examples, expected 4"):
        cross_entropy(A2, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        cross_entropy(A2, np.array([0, 1, 2, 3]))


def test_get_predictions_and_accuracy():
    A2 = np.array([[0.1, 0.8, 0.2, 0.3], [0.7, 0.1, 0.2, 0.3], [0.2, 0.1, 0.6, 0.4]])
    preds = get_predictions(A2)
    np.testing.assert_array_equal(preds, [1, 0, 2, 2])
    y = np.array([1, 0, 1, 2])
    assert get_accuracy(preds, y) == 0.75
    assert get_accuracy(preds, preds) == 1.0
    with pytest.raises(ValueError, match="Y has 3 examples, expected 4"):
        get_accuracy(preds, y[:3])


@pytest.mark.parametrize(
    ("predictions", "Y", "words"),
    [
        (None, "row", r"Y must be labels of shape \(m,\), got shape \(1, 4\)"),  # 0.25 before
        (None, "A2", r"Y must be labels of shape \(m,\), got shape \(3, 4\)"),  # 1.0 before
        (None, "one-hot", r"Y must be labels of shape \(m,\)"),
        ("A2", None, r"predictions must be labels of shape \(m,\)"),
        ("floats", None, "predictions holds non-integer labels"),
    ],
)
def test_get_accuracy_takes_labels_only(predictions, Y, words):
    A2 = np.array([[0.1, 0.8, 0.2, 0.3], [0.7, 0.1, 0.2, 0.3], [0.2, 0.1, 0.6, 0.4]])
    y = np.array([1, 0, 1, 2])
    given = {None: None, "A2": A2, "row": y.reshape(1, -1), "one-hot": one_hot_of(y, 3), "floats": A2[0]}
    with pytest.raises(ValueError, match=words):
        get_accuracy(
            get_predictions(A2) if predictions is None else given[predictions], y if Y is None else given[Y]
        )


def test_predict_and_evaluate():
    params, X, y = small_problem(k=10, m=9)
    A2 = forward_prop(*params, X)[3]
    np.testing.assert_array_equal(predict_proba(params, X), A2)
    np.testing.assert_array_equal(predict(params, X), A2.argmax(axis=0))
    loss, acc = evaluate(params, X, y)
    assert loss == pytest.approx(-np.mean(np.log(A2[y, np.arange(9)])), rel=1e-12)
    assert acc == pytest.approx(np.mean(A2.argmax(axis=0) == y))
    assert evaluate(params, X, one_hot_of(y, 10)) == (loss, acc)


def test_init_params_refuses_a_dtype_that_is_not_floating_point():
    for dtype in (int, np.int32, bool):
        with pytest.raises(ValueError, match="dtype must be a floating-point type"):
            init_params(784, 10, 10, seed=0, dtype=dtype)  # int: all zeros before


def test_nn_module_has_no_pickle():
    source = open(nn.__file__, encoding="utf-8").read()
    assert "import pickle" not in source and "allow_pickle=True" not in source
