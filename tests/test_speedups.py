"""The speed-ups in helpers.nn change speed only, never results.

Every check compares the library against a plain, unoptimised NumPy transcription of the
course's formulas written here (no call into helpers.nn except to start from the same
parameters): full-batch gradient descent processed in column blocks must equal the one-block
computation, and mini-batch ``train`` must equal a straightforward loop.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from helpers.data import images_to_columns, parse_idx
from helpers.nn import (
    TrainingDiverged,
    backward_prop,
    forward_prop,
    gradient_descent,
    init_params,
    train,
    update_params,
)


def _data(n: int = 40, m: int = 300, k: int = 10, seed: int = 0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.random((n, m)).astype(dtype)
    y = rng.integers(0, k, size=m)
    y[:k] = np.arange(k)  # every class present
    return X, y


def _reference_grads(W1, b1, W2, b2, X, y):
    """Loss, accuracy and gradients by the textbook formulas, one-hot matrix and all."""
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    E = np.exp(Z2 - Z2.max(axis=0))
    A2 = E / E.sum(axis=0)
    Y = np.zeros_like(A2)
    Y[y, np.arange(m)] = 1
    loss = -np.mean(np.log(A2[y, np.arange(m)]))
    accuracy = np.mean(A2.argmax(axis=0) == y)
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (Z1 > 0).astype(Z1.dtype)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return loss, accuracy, (dW1, db1, dW2, db2)


def _reference_gradient_descent(params, X, y, alpha, iterations):
    W1, b1, W2, b2 = (p.copy() for p in params)
    losses = []
    for _ in range(iterations):
        loss, _, (dW1, db1, dW2, db2) = _reference_grads(W1, b1, W2, b2, X, y)
        losses.append(loss)
        W1, b1, W2, b2 = W1 - alpha * dW1, b1 - alpha * db1, W2 - alpha * dW2, b2 - alpha * db2
    return (W1, b1, W2, b2), losses


def _reference_train(params, X, y, *, epochs, batch_size, alpha, momentum, schedule, seed):
    """Mini-batch SGD as the docstring of train() describes it, written the obvious way."""
    params = [p.copy() for p in params]
    m = X.shape[1]
    rng = np.random.default_rng(seed + 1)
    steps = -(-m // batch_size)
    total = epochs * steps
    velocity = [np.zeros_like(p) for p in params]
    step = 0
    losses, accuracies = [], []
    for _ in range(epochs):
        order = rng.permutation(m)
        loss_sum = correct = 0.0
        for s in range(0, m, batch_size):
            idx = order[s : s + batch_size]
            loss, acc, grads = _reference_grads(*params, X[:, idx], y[idx])
            loss_sum += loss * len(idx)
            correct += acc * len(idx)
            lr = alpha * (1 - step / total) if schedule == "linear" else alpha
            if momentum:
                velocity = [momentum * v + g for v, g in zip(velocity, grads)]
                grads = velocity
            params = [p - lr * g for p, g in zip(params, grads)]
            step += 1
        losses.append(loss_sum / m)
        accuracies.append(correct / m)
    return params, losses, accuracies


@pytest.mark.parametrize(("dtype", "rtol", "atol"), [(np.float64, 1e-12, 1e-12), (np.float32, 1e-5, 1e-5)])
@pytest.mark.parametrize("block_size", [1, 64, 299, 300, 10_000])
def test_blocked_gradient_descent_equals_one_block(dtype, rtol, atol, block_size):
    X, y = _data(dtype=dtype)
    params = init_params(40, 8, 10, seed=3, scheme="notes")
    kwargs = dict(params=params, dtype=dtype, progress=False, eval_every=2)
    blocked, h_blocked = gradient_descent(X, y, 0.5, 6, block_size=block_size, X_dev=X, Y_dev=y, **kwargs)
    whole, h_whole = gradient_descent(X, y, 0.5, 6, block_size=X.shape[1], X_dev=X, Y_dev=y, **kwargs)
    for a, b in zip(blocked, whole):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    np.testing.assert_allclose(h_blocked.loss, h_whole.loss, rtol=rtol, atol=atol)
    np.testing.assert_allclose(h_blocked.dev_loss, h_whole.dev_loss, rtol=rtol, atol=atol)
    assert h_blocked.accuracy == h_whole.accuracy
    assert h_blocked.step == h_whole.step == list(range(1, 7))


def test_gradient_descent_matches_textbook_loop():
    X, y = _data(m=1000)
    params = init_params(40, 12, 10, seed=1, scheme="notes")
    ours, history = gradient_descent(X, y, 0.3, 8, params=params, block_size=128, progress=False)
    ref, losses = _reference_gradient_descent(params, X, y, 0.3, 8)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-11)
    assert losses[-1] < losses[0]  # the comparison is not between two runs that went nowhere


def test_blocked_gradient_descent_still_detects_divergence():
    X, y = _data()
    with pytest.raises(TrainingDiverged, match="smaller learning rate"):
        gradient_descent(X, y, 1e30, 20, seed=0, block_size=64, threads=2, dtype=np.float32, progress=False)


def test_threads_do_not_change_the_result():
    X, y = _data(m=500)
    params = init_params(40, 8, 10, seed=8, scheme="notes")
    kwargs = dict(params=params, block_size=37, progress=False)
    one, h_one = gradient_descent(X, y, 0.5, 5, threads=1, **kwargs)
    two, h_two = gradient_descent(X, y, 0.5, 5, threads=2, **kwargs)
    three, _ = gradient_descent(X, y, 0.5, 5, threads=3, **kwargs)
    for a, b, c in zip(one, two, three):
        np.testing.assert_array_equal(a, b)  # block sums are taken in block order: bit for bit
        np.testing.assert_array_equal(a, c)
    assert h_one.loss == h_two.loss and h_one.accuracy == h_two.accuracy


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_gradient_descent_rejects_bad_block_size_and_threads(bad):
    X, y = _data(m=50)
    for name in ("block_size", "threads"):
        with pytest.raises(ValueError, match=name):
            gradient_descent(X, y, 0.1, 1, progress=False, **{name: bad})


@pytest.mark.parametrize(
    ("batch_size", "momentum", "schedule"),
    [(32, 0.0, "constant"), (64, 0.9, "linear"), (77, 0.5, "linear"), (300, 0.0, "linear")],
)
def test_train_matches_straightforward_loop(batch_size, momentum, schedule):
    X, y = _data(m=300)
    params = init_params(40, 16, 10, seed=2)
    settings = dict(epochs=3, batch_size=batch_size, alpha=0.05, momentum=momentum, schedule=schedule)
    ours, history = train(X, y, params=params, seed=7, dtype=np.float64, progress=False, **settings)
    ref, losses, accuracies = _reference_train(params, X, y, seed=7, **settings)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)
    np.testing.assert_allclose(history.accuracy, accuracies, rtol=1e-12)
    assert not np.allclose(ours[0], params[0])


@pytest.mark.parametrize("order", ["F", "C"])
def test_train_float32_matches_loop_for_any_memory_order(order):
    X, y = _data(m=250)
    X32 = np.asarray(X, dtype=np.float32, order=order)
    params = init_params(40, 16, 10, seed=4)
    settings = dict(epochs=2, batch_size=50, alpha=0.1, momentum=0.9, schedule="linear")
    ours, history = train(X32, y, params=params, seed=1, progress=False, **settings)
    ref, losses, _ = _reference_train(params, X32.astype(np.float64), y, seed=1, **settings)
    for a, b in zip(ours, ref):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-4)


def test_train_converts_float64_data_to_the_requested_dtype():
    X, y = _data(m=200)
    params = init_params(40, 8, 10, seed=5)
    a, _ = train(X, y, params=params, seed=0, epochs=1, batch_size=40, alpha=0.1, progress=False)
    b, _ = train(
        X.astype(np.float32), y, params=params, seed=0, epochs=1, batch_size=40, alpha=0.1, progress=False
    )
    for p, q in zip(a, b):
        assert p.dtype == q.dtype == np.float32
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_prop_equal_textbook_formulas(dtype):
    X, y = _data(m=64, dtype=dtype)
    W1, b1, W2, b2 = init_params(40, 16, 10, seed=6, scheme="notes", dtype=dtype)
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    loss, _, ref = _reference_grads(W1, b1, W2, b2, X, y)
    np.testing.assert_allclose(Z1, W1 @ X + b1, rtol=1e-6)
    np.testing.assert_array_equal(A1, np.maximum(Z1, 0))
    ours = backward_prop(Z1, A1, Z2, A2, W1, W2, X, y)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(ours, ref):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    # the inputs are left as they were: the in-place operations only touch fresh arrays
    np.testing.assert_array_equal(A1, np.maximum(W1 @ X + b1, 0))


def test_backward_prop_out_writes_the_same_gradients_into_the_given_arrays():
    X, y = _data(m=64, dtype=np.float32)
    W1, b1, W2, b2 = init_params(40, 16, 10, seed=6, scheme="notes", dtype=np.float32)
    cache = forward_prop(W1, b1, W2, b2, X)
    fresh = backward_prop(*cache, W1, W2, X, y)
    out = tuple(np.full_like(g, np.nan) for g in fresh)
    written = backward_prop(*cache, W1, W2, X, y, out=out)
    for w, o, f in zip(written, out, fresh):
        assert w is o
        np.testing.assert_array_equal(o, f)


@pytest.mark.parametrize("scale", [0.0, 0.37, 2.5])
def test_backward_prop_scale_multiplies_every_gradient(scale):
    X, y = _data(m=64)
    W1, b1, W2, b2 = init_params(40, 16, 10, seed=6, scheme="notes")
    cache = forward_prop(W1, b1, W2, b2, X)
    plain = backward_prop(*cache, W1, W2, X, y)
    scaled = backward_prop(*cache, W1, W2, X, y, scale=scale)
    for p, s in zip(plain, scaled):
        assert np.abs(p).max() > 0  # so that a scale left out cannot pass for scale 0
        np.testing.assert_allclose(s, scale * p, rtol=1e-12, atol=1e-15)


def test_update_params_with_alpha_one_returns_new_arrays_and_keeps_its_inputs():
    W1, b1, W2, b2 = init_params(40, 16, 10, seed=6)
    steps = init_params(40, 16, 10, seed=7)
    before = [a.copy() for a in (W1, b1, W2, b2, *steps)]
    new = update_params(W1, b1, W2, b2, *steps, 1)
    for n, p, g in zip(new, (W1, b1, W2, b2), steps):
        assert n is not p and n is not g
        np.testing.assert_array_equal(n, p - g)
    for a, b in zip((W1, b1, W2, b2, *steps), before):
        np.testing.assert_array_equal(a, b)


def test_train_with_zero_learning_rate_leaves_the_parameters_unchanged():
    X, y = _data(m=100)
    params = init_params(40, 8, 10, seed=2)
    for momentum in (0.0, 0.9):
        for schedule in ("constant", "linear"):
            ours, _ = train(
                X,
                y,
                params=params,
                seed=0,
                epochs=2,
                batch_size=30,
                alpha=0.0,
                momentum=momentum,
                schedule=schedule,
                dtype=np.float64,
                progress=False,
            )
            for a, b in zip(ours, params):
                np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------------
# Memory: lazy plotting imports, no needless copies while loading
# --------------------------------------------------------------------------------------------
def test_importing_helpers_does_not_import_matplotlib():
    code = (
        "import sys, helpers\n"
        "assert 'matplotlib' not in sys.modules, 'import helpers pulled in matplotlib'\n"
        "from helpers import plot_digits\n"
        "assert 'matplotlib.pyplot' in sys.modules and callable(plot_digits)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_every_name_in_all_resolves_and_plots_are_the_real_functions():
    import helpers
    import helpers.plots

    for name in helpers.__all__:
        assert getattr(helpers, name) is not None, name
    assert helpers.plot_digits is helpers.plots.plot_digits
    assert {"plot_history", "plot_weights"} <= set(dir(helpers))
    with pytest.raises(AttributeError, match="no attribute"):
        helpers.plot_nothing  # noqa: B018


@pytest.mark.parametrize("pixels", [np.uint8, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_images_to_columns_equals_astype_then_divide(dtype, pixels):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28)).astype(pixels)
    X = images_to_columns(images, dtype)
    expected = images.reshape(7, 784).astype(dtype) / dtype(255)
    assert X.dtype == dtype and X.shape == (784, 7) and X.flags.f_contiguous
    np.testing.assert_array_equal(X, expected.T)


@pytest.mark.parametrize(("code", "dtype"), [(0x08, ">u1"), (0x0B, ">i2"), (0x0D, ">f4")])
def test_parse_idx_returns_a_writable_native_copy(code, dtype):
    values = np.arange(24).reshape(2, 3, 4).astype(dtype)
    header = bytes([0, 0, code, 3]) + b"".join(int(s).to_bytes(4, "big") for s in values.shape)
    data = header + values.tobytes()
    out = parse_idx(data)
    assert out.flags.writeable and out.dtype.isnative
    np.testing.assert_array_equal(out, values.astype(np.dtype(dtype).newbyteorder("=")))
    out[0, 0, 0] = 7  # writable, and not a view of the bytes
