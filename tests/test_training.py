"""Tests for the training loops in helpers.nn: gradient_descent (full batch) and train (SGD).

Steps are checked against manual forward_prop / backward_prop / update_params calls, learning
rates are recovered from the parameters the per-epoch callback sees, and one test checks that
the network actually learns the offline MNIST sample.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from helpers import load_mnist, train_dev_split
from helpers.nn import (
    backward_prop,
    cross_entropy,
    evaluate,
    forward_prop,
    init_params,
    update_params,
)
from helpers.training import TrainingDiverged, gradient_descent, train


def blobs(m: int = 60, n: int = 4, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tiny separable problem: k well-separated Gaussian clusters, X (n, m), labels (m,)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n, k)) * 4
    y = np.arange(m) % k
    X = centres[:, y] + rng.standard_normal((n, m)) * 0.3
    return X, y


def manual_step(params, X, y, alpha):
    """One full-batch gradient-descent step written out with the building blocks."""
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)
    return update_params(*params, *grads, alpha), grads


def gradients(params, X, y):
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    return backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)


def assert_params_close(a, b, rtol=1e-10, atol=1e-12):
    assert len(a) == len(b) == 4
    for p, q, name in zip(a, b, ("W1", "b1", "W2", "b2")):
        assert p.shape == q.shape, name
        np.testing.assert_allclose(p, q, rtol=rtol, atol=atol, err_msg=name)


def params_equal(a, b) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a, b))


class Recorder:
    """A train() callback that keeps a copy of the parameters after every epoch."""

    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.params: list[tuple[np.ndarray, ...]] = []

    def __call__(self, epoch, params, history) -> None:
        self.epochs.append(epoch)
        self.params.append(tuple(np.array(p, copy=True) for p in params))


@pytest.fixture(scope="module")
def mnist_sample():
    return load_mnist(source="sample")


# --------------------------------------------------------------------------------------------
# gradient_descent
# --------------------------------------------------------------------------------------------
def test_gradient_descent_learns_tiny_problem():
    X, y = blobs()
    X_dev, y_dev = blobs(30, seed=0)
    params, hist = gradient_descent(
        X, y, 0.5, 100, n_hidden=8, scheme="he", seed=0, X_dev=X_dev, Y_dev=y_dev, progress=False
    )
    assert hist.unit == "iteration"
    assert hist.step == list(range(1, 101))
    assert len(hist.loss) == len(hist.accuracy) == 100
    assert len(hist.dev_loss) == len(hist.dev_accuracy) == 10  # every 10 iterations
    assert all(math.isfinite(v) for v in hist.loss)
    rises = sum(b > a + 1e-12 for a, b in zip(hist.loss, hist.loss[1:]))
    assert rises <= 10, f"the loss went up in {rises} of 99 iterations"
    assert hist.loss[-1] < 0.2 * hist.loss[0]
    assert hist.accuracy[-1] == 1.0
    assert evaluate(params, X, y)[1] == 1.0 and hist.dev_accuracy[-1] == 1.0
    assert [p.shape for p in params] == [(8, 4), (8, 1), (10, 8), (10, 1)]
    assert hist.seconds >= 0


@pytest.mark.parametrize(
    ("iterations", "eval_every", "n_dev"), [(25, 10, 3), (30, 10, 3), (7, 1, 7), (5, 10, 1)]
)
def test_gradient_descent_dev_evaluations(iterations, eval_every, n_dev):
    X, y = blobs(30)
    _, hist = gradient_descent(
        X, y, 0.1, iterations, seed=0, X_dev=X, Y_dev=y, eval_every=eval_every, progress=False
    )
    assert len(hist.loss) == iterations
    assert len(hist.dev_loss) == len(hist.dev_accuracy) == n_dev
    _, no_dev = gradient_descent(X, y, 0.1, iterations, seed=0, progress=False)
    assert no_dev.dev_loss == [] and no_dev.dev_accuracy == []


def test_gradient_descent_steps_equal_manual_steps():
    X, y = blobs(30)
    p0 = init_params(4, 5, 10, seed=1, scheme="notes")
    copies = [p.copy() for p in p0]
    params, hist = gradient_descent(X, y, 0.3, 3, params=p0, progress=False)
    expected = p0
    losses = []
    for _ in range(3):
        losses.append(cross_entropy(forward_prop(*expected, X)[3], y))
        expected, _ = manual_step(expected, X, y, 0.3)
    assert_params_close(params, expected)
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-12)
    for p, c in zip(p0, copies):  # the caller's parameters are not modified
        np.testing.assert_array_equal(p, c)


def test_gradient_descent_default_init_is_the_notes():
    X, y = blobs(30)
    p0 = init_params(4, 6, 10, seed=3, scheme="notes")
    a, _ = gradient_descent(X, y, 0.1, 2, n_hidden=6, seed=3, progress=False)
    b, _ = gradient_descent(X, y, 0.1, 2, params=p0, progress=False)
    assert_params_close(a, b, rtol=1e-14, atol=0)


def test_gradient_descent_one_hot_labels():
    X, y = blobs(30)
    Y = np.eye(10)[y].T
    a, ha = gradient_descent(X, y, 0.1, 5, seed=0, progress=False)
    b, hb = gradient_descent(X, Y, 0.1, 5, seed=0, progress=False)
    assert_params_close(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(X=np.zeros(4)), ValueError, "X must be 2-D"),
        (dict(Y=np.zeros(29, int)), ValueError, "Y has 29 examples, expected 30"),
        (dict(X_dev=np.zeros((4, 5)), Y_dev=np.zeros(6, int)), ValueError, "Y_dev"),
        (dict(eval_every=0), ValueError, "eval_every"),
        (dict(iterations=0), ValueError, "iterations"),
    ],
)
def test_gradient_descent_bad_args(kwargs, error, words):
    X, y = blobs(30)
    args = dict(X=X, Y=y, alpha=0.1, iterations=3, X_dev=X, Y_dev=y, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=words):
        gradient_descent(**args)


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def test_train_seeded_determinism():
    X, y = blobs()
    kw = dict(epochs=3, batch_size=16, alpha=0.1, progress=False)
    a, ha = train(X, y, seed=7, **kw)
    b, hb = train(X, y, seed=7, **kw)
    c, _ = train(X, y, seed=8, **kw)
    assert params_equal(a, b)
    assert ha.loss == hb.loss
    assert not params_equal(a, c)


def test_train_history():
    X, y = blobs()
    X_dev, y_dev = blobs(30, seed=0)
    rec = Recorder()
    _, hist = train(
        X,
        y,
        epochs=4,
        batch_size=16,
        alpha=0.1,
        seed=0,
        X_dev=X_dev,
        Y_dev=y_dev,
        callback=rec,
        progress=False,
    )
    assert hist.unit == "epoch" and hist.step == [1, 2, 3, 4]
    assert len(hist.loss) == len(hist.accuracy) == len(hist.dev_loss) == len(hist.dev_accuracy) == 4
    assert rec.epochs == [1, 2, 3, 4]
    for params, dev_loss, dev_acc in zip(rec.params, hist.dev_loss, hist.dev_accuracy):
        loss, acc = evaluate(params, X_dev.astype(np.float32), y_dev)
        assert dev_loss == pytest.approx(loss, rel=1e-5) and dev_acc == pytest.approx(acc)
    assert all(0 <= a <= 1 for a in hist.accuracy)
    _, no_dev = train(X, y, epochs=2, batch_size=16, alpha=0.1, seed=0, progress=False)
    assert no_dev.dev_loss == [] and len(no_dev.loss) == 2


@pytest.mark.parametrize("n_hidden", [1, 3, 37])
def test_train_any_hidden_width(n_hidden):
    X, y = blobs()
    params, hist = train(X, y, n_hidden=n_hidden, epochs=2, batch_size=16, alpha=0.1, seed=0, progress=False)
    assert [p.shape for p in params] == [(n_hidden, 4), (n_hidden, 1), (10, n_hidden), (10, 1)]
    assert all(np.all(np.isfinite(p)) for p in params)
    assert all(math.isfinite(v) for v in hist.loss)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_train_dtype(dtype):
    X, y = blobs()
    params, _ = train(X, y, epochs=1, batch_size=16, alpha=0.1, seed=0, dtype=dtype, progress=False)
    assert all(p.dtype == dtype for p in params)


def test_train_full_batch_step_equals_gradient_descent_step():
    """With batch_size=m and one epoch, train makes one full-batch step from the given params."""
    X, y = blobs()
    p0 = init_params(4, 6, 10, seed=2, scheme="he")
    expected, _ = manual_step(p0, X, y, 0.2)
    got, _ = train(X, y, epochs=1, batch_size=60, alpha=0.2, params=p0, dtype=np.float64, progress=False)
    assert_params_close(got, expected)
    gd, _ = gradient_descent(X, y, 0.2, 1, params=p0, progress=False)
    assert_params_close(got, gd)
    # batch_size > m behaves like batch_size = m
    big, _ = train(X, y, epochs=1, batch_size=1000, alpha=0.2, params=p0, dtype=np.float64, progress=False)
    assert_params_close(big, expected)


def test_train_minibatches_follow_the_seeded_shuffle():
    """Each epoch draws rng.permutation(m) from rng = default_rng(seed + 1) and steps through it.

    This pins the shuffling convention, so a published seed reproduces the same run.
    """
    X, y = blobs(60)
    p0 = init_params(4, 6, 10, seed=2, scheme="he")
    got, _ = train(
        X, y, epochs=2, batch_size=25, alpha=0.2, params=p0, seed=11, dtype=np.float64, progress=False
    )
    rng = np.random.default_rng(12)
    expected = p0
    for _ in range(2):
        order = rng.permutation(60)
        for s in range(0, 60, 25):
            idx = order[s : s + 25]
            expected, _ = manual_step(expected, X[:, idx], y[idx], 0.2)
    assert_params_close(got, expected)


def test_train_default_init_is_seeded_he():
    X, y = blobs()
    p0 = init_params(4, 6, 10, seed=5, scheme="he")
    a, _ = train(
        X, y, n_hidden=6, epochs=1, batch_size=60, alpha=0.1, seed=5, dtype=np.float64, progress=False
    )
    b, _ = train(
        X, y, epochs=1, batch_size=60, alpha=0.1, params=p0, seed=5, dtype=np.float64, progress=False
    )
    assert_params_close(a, b, rtol=1e-13, atol=1e-15)


def learning_rates(rec: Recorder, p0, X, y) -> list[float]:
    """The step size of every full-batch epoch, recovered from consecutive parameters."""
    rates = []
    prev = p0
    for params in rec.params:
        g = np.concatenate([q.ravel() for q in gradients(prev, X, y)])
        step = np.concatenate([(a - b).ravel() for a, b in zip(prev, params)])
        rate = float(step @ g / (g @ g))
        np.testing.assert_allclose(step, rate * g, rtol=1e-8, atol=1e-14)  # a plain gradient step
        rates.append(rate)
        prev = params
    return rates


def test_train_constant_schedule():
    X, y = blobs()
    p0 = init_params(4, 6, 10, seed=0)
    rec = Recorder()
    train(X, y, epochs=4, batch_size=60, alpha=0.3, params=p0, dtype=np.float64, callback=rec, progress=False)
    np.testing.assert_allclose(learning_rates(rec, p0, X, y), [0.3] * 4, rtol=1e-8)


def test_train_linear_schedule():
    X, y = blobs()
    p0 = init_params(4, 6, 10, seed=0)
    rec = Recorder()
    epochs, alpha = 5, 0.3
    train(
        X, y, epochs=epochs, batch_size=60, alpha=alpha, schedule="linear", params=p0,
        dtype=np.float64, callback=rec, progress=False,
    )  # fmt: skip
    rates = learning_rates(rec, p0, X, y)
    assert rates[0] == pytest.approx(alpha, rel=1e-8)  # starts at alpha
    np.testing.assert_allclose(np.diff(rates), np.diff(rates)[0], rtol=1e-6)  # linear
    assert np.diff(rates)[0] < 0  # decays
    assert 0 <= rates[-1] <= alpha / epochs * (1 + 1e-8)  # towards 0 by the end


def test_train_momentum():
    X, y = blobs()
    p0 = init_params(4, 6, 10, seed=0)
    rec = Recorder()
    alpha, mu = 0.2, 0.9
    train(
        X, y, epochs=3, batch_size=60, alpha=alpha, momentum=mu, params=p0, dtype=np.float64,
        callback=rec, progress=False,
    )  # fmt: skip
    expected, velocity = p0, [np.zeros_like(p) for p in p0]
    for got in rec.params:  # V := mu V + dP; P := P - alpha V
        velocity = [mu * v + g for v, g in zip(velocity, gradients(expected, X, y))]
        expected = tuple(p - alpha * v for p, v in zip(expected, velocity))
        assert_params_close(got, expected)


def test_train_momentum_and_schedule_learn():
    X, y = blobs()
    for kw in (dict(momentum=0.9), dict(schedule="linear"), dict(momentum=0.5, schedule="linear")):
        params, hist = train(X, y, epochs=15, batch_size=8, alpha=0.05, seed=0, progress=False, **kw)
        assert hist.loss[-1] < 0.5 * hist.loss[0], kw
        assert evaluate(params, X.astype(np.float32), y)[1] == 1.0, kw


def test_train_one_hot_labels_identical():
    X, y = blobs()
    kw = dict(epochs=2, batch_size=16, alpha=0.1, seed=0, progress=False)
    a, _ = train(X, y, **kw)
    b, _ = train(X, np.eye(10)[y].T, **kw)
    assert params_equal(a, b)


def test_train_does_not_modify_inputs():
    X, y = blobs()
    X = np.asfortranarray(X.astype(np.float32))
    p0 = init_params(4, 6, 10, seed=0, dtype=np.float32)
    copies = [a.copy() for a in (X, y, *p0)]
    train(X, y, epochs=2, batch_size=16, alpha=0.1, params=p0, seed=0, momentum=0.5, progress=False)
    for a, c in zip((X, y, *p0), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(epochs=0), "epochs"),
        (dict(epochs=2.5), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=-4), "batch_size"),
        (dict(schedule="cosine"), "schedule"),
        (dict(momentum=1.0), "momentum"),
        (dict(momentum=-0.1), "momentum"),
        (dict(X=np.zeros(4)), "X must be 2-D"),
        (dict(Y=np.zeros(59, int)), "Y has 59 examples, expected 60"),
        (dict(X_dev=np.zeros((4, 5)), Y_dev=np.zeros(6, int)), "Y_dev"),
        (dict(params=(np.zeros((6, 4)), np.zeros((6, 1)), np.zeros((10, 5)), np.zeros((10, 1)))), "W2"),
    ],
)
def test_train_bad_args(kwargs, words):
    X, y = blobs()
    args = dict(X=X, Y=y, epochs=1, batch_size=16, alpha=0.1, seed=0, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        train(**args)


@pytest.mark.parametrize("trainer", ["gradient_descent", "train", "fast.gradient_descent", "fast.train"])
@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (lambda y: y.reshape(1, -1), r"Y has shape \(1, 60\): labels must be 1-D"),  # trained on zeros before
        (lambda y: np.full((10, 60), 0.1), r"Y of shape \(10, 60\) is not one-hot"),
        (lambda y: 2 * np.eye(10)[y].T, "is not one-hot"),
    ],
)
def test_every_trainer_refuses_labels_that_are_not_labels_or_one_hot(trainer, bad, words):
    from helpers import fast

    X, y = blobs()
    fn = {"gradient_descent": gradient_descent, "train": train}.get(trainer) or getattr(fast, trainer[5:])
    settings = (
        dict(alpha=0.1, iterations=1) if "gradient" in trainer else dict(epochs=1, batch_size=16, alpha=0.1)
    )
    for where in ("Y", "Y_dev"):
        args = dict(X_dev=X, Y_dev=y, Y=y, **settings)
        args[where] = bad(y)
        with pytest.raises(ValueError, match=words.replace("Y", where, 1)):
            fn(X, args.pop("Y"), progress=False, **args)


# --------------------------------------------------------------------------------------------
# The thread policy: one BLAS thread around the epochs, BLAS given back afterwards
# --------------------------------------------------------------------------------------------
def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.mark.parametrize("trainer", ["gradient_descent", "train"])
@pytest.mark.parametrize("blas_threads", [1, 2, None])
def test_the_loops_run_blas_on_the_threads_asked_for_and_give_them_back(trainer, blas_threads):
    from threadpoolctl import threadpool_limits

    X, y = blobs()
    seen = []
    settings = dict(alpha=0.1, iterations=2, eval_every=1) if trainer == "gradient_descent" else {}
    settings = settings or dict(epochs=2, batch_size=16, alpha=0.1)
    fn = gradient_descent if trainer == "gradient_descent" else train
    with threadpool_limits(3, user_api="blas"):  # as configured: 3
        fn(
            X,
            y,
            blas_threads=blas_threads,
            callback=lambda *_: seen.append(_blas_threads()),
            progress=False,
            **settings,
        )
        assert _blas_threads() == [3] * len(_blas_threads())
    assert seen and all(t == [blas_threads or 3] * len(t) for t in seen)


def test_the_default_is_one_blas_thread_and_a_diverging_run_gives_blas_back():
    X, y = blobs()
    before = _blas_threads()
    seen = []
    train(
        X,
        y,
        epochs=1,
        batch_size=16,
        alpha=0.1,
        callback=lambda *_: seen.append(_blas_threads()),
        progress=False,
    )
    assert seen == [[1] * len(before)]
    with pytest.raises(TrainingDiverged):
        train(X * 1e3, y, epochs=3, batch_size=16, alpha=1e6, progress=False)
    assert _blas_threads() == before


# --------------------------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------------------------
def test_train_huge_learning_rate_raises_training_diverged(mnist_sample):
    X, y = mnist_sample.X_train[:, :1000], mnist_sample.y_train[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        with pytest.raises(TrainingDiverged, match="smaller learning rate"):
            train(X, y, epochs=5, batch_size=64, alpha=1e6, seed=0, progress=False)


def test_gradient_descent_huge_learning_rate_raises_training_diverged(mnist_sample):
    X, y = mnist_sample.X_train[:, :1000], mnist_sample.y_train[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDiverged, match="smaller learning rate"):
            gradient_descent(X, y, 1e6, 20, seed=0, progress=False)


def test_training_diverged_is_a_floating_point_error():
    assert issubclass(TrainingDiverged, FloatingPointError)


# --------------------------------------------------------------------------------------------
# Learning
# --------------------------------------------------------------------------------------------
def test_train_learns_the_offline_sample(mnist_sample):
    d = mnist_sample
    X_tr, y_tr, X_dev, y_dev = train_dev_split(d.X_train, d.y_train, 1000, seed=0)
    params, hist = train(
        X_tr, y_tr, epochs=15, batch_size=64, alpha=0.1, seed=0, X_dev=X_dev, Y_dev=y_dev, progress=False
    )
    _, dev_acc = evaluate(params, X_dev, y_dev)
    assert dev_acc == hist.dev_accuracy[-1]
    assert dev_acc >= 0.85, f"dev accuracy {dev_acc:.3f} after 15 epochs"
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    _, test_acc = evaluate(params, d.X_test, d.y_test)
    assert test_acc >= 0.8


# --------------------------------------------------------------------------------------------
# Recipes: each holds its trainer, a function of the fast engine
# --------------------------------------------------------------------------------------------
def test_every_recipe_holds_its_trainer_function():
    from helpers import fast
    from helpers.recipes import RECIPES

    trainers = {name: r.train for name, r in RECIPES.items()}
    assert trainers == {"notes": fast.gradient_descent, "fast": fast.train, "wide": fast.train}
    assert {name: r.train.__name__ for name, r in RECIPES.items()} == {
        "notes": "gradient_descent",
        "fast": "train",
        "wide": "train",
    }
    assert "iterations" in RECIPES["notes"] and "epochs" in RECIPES["fast"]
    assert "train" not in RECIPES["fast"] and dict(RECIPES["fast"])["batch_size"] == 64  # settings only


def test_run_recipe_trains_as_its_trainer_with_the_reference_numbers():
    from helpers.recipes import run_recipe

    X, y = blobs(m=90)
    params, history = run_recipe(
        "notes", X, y, iterations=3, n_hidden=4, dtype=np.float64, seed=0, progress=False
    )
    reference, ref_history = gradient_descent(
        X, y, 0.1, 3, n_hidden=4, scheme="notes", dtype=np.float64, seed=0, progress=False
    )
    assert history.unit == "iteration" and history.step == [1, 2, 3]
    assert_params_close(params, reference, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history.loss, ref_history.loss, rtol=1e-12)
    _, history = run_recipe("fast", X, y, epochs=2, seed=0, progress=False)
    assert history.unit == "epoch" and history.step == [1, 2]


def test_unknown_recipe_and_a_trainer_that_is_not_a_function_are_refused():
    from helpers.recipes import Recipe, run_recipe

    X, y = blobs(m=30)
    with pytest.raises(ValueError, match="unknown recipe 'nope'"):
        run_recipe("nope", X, y)
    with pytest.raises(TypeError, match="trainer must be a function"):
        Recipe("adam", epochs=1)


def test_reference_functions_take_only_the_notes_arguments():
    import inspect

    assert list(inspect.signature(backward_prop).parameters) == ["Z1", "A1", "Z2", "A2", "W1", "W2", "X", "Y"]
    assert "alpha" in inspect.signature(update_params).parameters
    assert list(inspect.signature(forward_prop).parameters) == ["W1", "b1", "W2", "b2", "X"]
